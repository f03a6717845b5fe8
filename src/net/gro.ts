/**
 * GRO super-packets, as a capture taken on a host with receive offloads
 * holds them: the network card or the kernel's GRO merged consecutive TCP
 * segments of a flow into one packet longer than the MTU before tcpdump
 * saw it. On an interface with `gro: true` in the machine file, such a
 * packet is taken for what the kernel would have made of it: an skb with
 * gso_size set (tcp_gro_receive sets it to the first segment's payload
 * length; cofw takes the largest the interface carries, its MTU less the
 * IP and TCP headers). netfilter sees it once, with its full length (one
 * packet in the counters); forwarded, it is not too big when each of its
 * segments fits the output MTU (ip_exceeds_mtu and ip6_pkt_too_big ask
 * skb_gso_validate_network_len), and the kernel cuts it into those
 * segments on output (GSO, or the card's TSO).
 */
import type { NetDevice, Skb } from '../netfilter/types.js';
import { Family } from '../packet/inet-addr.js';

const IPPROTO_TCP = 6;

/** TCP header length of the packet's segment, or 0 when its header is not all there. */
function tcpHeaderLen(skb: Skb): number {
  if (skb.thoff + 20 > skb.len) return 0;
  return (skb.data[skb.thoff + 12]! >> 4) * 4;
}

/** Marks a packet received on `dev` as a GRO super-packet when it is one (see the module comment). */
export function markGro(skb: Skb, dev: NetDevice): void {
  if (!dev.gro || skb.totLen <= dev.mtu || skb.protocol !== IPPROTO_TCP || skb.fragoff !== 0 || skb.truncated) return;
  if (skb.family === Family.V4 ? (skb.data[6]! & 0x20) !== 0 : skb.ext.fragment) return;
  const thlen = tcpHeaderLen(skb);
  const size = dev.mtu - skb.thoff - thlen;
  if (thlen >= 20 && size > 0) skb.gsoSize = size;
}

/** skb_gso_validate_network_len: a GRO super-packet whose every segment fits `mtu` (IP header, TCP header, gso_size). */
export function gsoFits(skb: Skb, mtu: number): boolean {
  return skb.gsoSize > 0 && skb.thoff + tcpHeaderLen(skb) + skb.gsoSize <= mtu;
}
