/**
 * The guest's IPv6 path, as net/ipv6/ip6_input.c, ip6_forward and
 * ip6_output run it for netfilter, on the shared core of the stack (hooks,
 * conntrack, fates, transmission):
 *
 *   received:  ipv6_rcv checks (version, payload length, truncation, source
 *              not multicast, loopback only on lo, no multicast of scope 0
 *              or 1 from outside, hop-by-hop header first) -> PREROUTING
 *              (with conntrack, nf_defrag_ipv6 reassembles first) -> route:
 *              local:   INPUT -> delivered (multicast: only groups the
 *                       interfaces joined: all-nodes ff02::1, ff01::1 and
 *                       each address's solicited-node group)
 *              forward: not PACKET_HOST -> drop; source unspecified,
 *                       multicast or loopback -> drop; link-local source or
 *                       destination -> not forwarded; hop limit <= 1 -> drop
 *                       (the kernel's time-exceeded is not generated); larger
 *                       than the output MTU -> drop (IPv6 routers never
 *                       fragment); hop limit - 1 -> FORWARD -> POSTROUTING -> out
 *   local out: route -> OUTPUT -> POSTROUTING -> out (or looped back in)
 *
 * Without conntrack, fragments reach INPUT one by one: the kernel
 * reassembles IPv6 for local delivery only after the INPUT hook (the
 * fragment header is a protocol handler), unlike IPv4.
 */
import { Family } from '../../packet/inet-addr.js';
import { FateKind } from '../../netfilter/fate.js';
import { Hook, PacketType, RouteType, type NetDevice, type Skb } from '../../netfilter/types.js';
import type { Fib } from '../fib.js';
import { Ipv6Defrag } from './defrag.js';
import { gsoFits, markGro } from '../gro.js';

/** What the IPv6 path needs of the stack it runs on. */
export interface StackCore {
  readonly skb: Skb;
  readonly fib: Fib;
  readonly lo: NetDevice;
  /** Connection tracking runs (nf_defrag_ipv6 reassembles before it). */
  readonly tracking: boolean;
  clock(): bigint;
  /** Runs the tables (and conntrack) of `hook` for the loaded packet; false when it was dropped (fate given). */
  hook(hook: Hook, inDev: NetDevice | null, outDev: NetDevice | null, frameNo: number, generated?: boolean): boolean;
  /** nf_conntrack_confirm; false when dropped (fate given). */
  confirm(frameNo: number, generated?: boolean): boolean;
  /** Resets the packet's conntrack fields (a new packet starts its way). */
  resetCt(): void;
  stackDrop(frameNo: number, reason: string): void;
  delivered(frameNo: number, unit?: number): void;
  transmit(kind: FateKind, dev: NetDevice, frameNo: number): void;
  /** Runs `go` with the fates of a reassembled packet fanned out to each of its fragments. */
  asWhole(frames: number[], last: number, go: () => void): void;
}

/** Stack drop reasons of the IPv6 path, named after the kernel's SKB_DROP_REASON_* and counters. */
export const Ipv6Reason = {
  tooShort: 'PKT_TOO_SMALL (IPv6)',
  badHeader: 'IP_INHDR (IPv6 header)',
  badSource: 'IP_INADDRERRORS (IPv6 martian source)',
  badDest: 'IP_INADDRERRORS (IPv6 martian destination)',
  noRoute: 'IP_INNOROUTES (IPv6)',
  notForUs: 'OTHERHOST (not for this host)',
  hopLimit: 'IP_INHDR (hop limit expired in transit)',
  tooBig: 'PKT_TOO_BIG (IPv6 packets are not fragmented on the way)',
  linkLocal: 'IPV6 link-local address not forwarded',
  multicastNotJoined: 'IP_INNOROUTES (IPv6 multicast not joined)',
  badExtHeader: 'IP_INHDR (IPv6 extension headers)',
} as const;

function isMulticast(a: { w0: number }): boolean {
  return a.w0 >>> 24 === 0xff;
}

function isLinkLocal(a: { w0: number }): boolean {
  return a.w0 >>> 22 === 0x3fa; // fe80::/10
}

function isLoopback(a: { w0: number; w1: number; w2: number; w3: number }): boolean {
  return a.w0 === 0 && a.w1 === 0 && a.w2 === 0 && a.w3 === 1;
}

export class Ipv6Path {
  private readonly defrag = new Ipv6Defrag();

  constructor(private readonly core: StackCore) {}

  /** ipv6_rcv's checks; a drop reason or undefined. `ip` starts at the IPv6 header. */
  validate(ip: Uint8Array, dev: NetDevice, truncated: boolean): string | undefined {
    if (ip.length < 40) return Ipv6Reason.tooShort;
    if (ip[0]! >> 4 !== 6) return Ipv6Reason.badHeader;
    const plen = (ip[4]! << 8) | ip[5]!;
    if (plen === 0 && ip[6] === 0) return Ipv6Reason.badHeader; // jumbograms are not emulated
    if (40 + plen > ip.length && !truncated) return Ipv6Reason.tooShort;
    const s0 = ((ip[8]! << 24) | (ip[9]! << 16) | (ip[10]! << 8) | ip[11]!) >>> 0;
    const d0 = ((ip[24]! << 24) | (ip[25]! << 16) | (ip[26]! << 8) | ip[27]!) >>> 0;
    if (s0 >>> 24 === 0xff) return Ipv6Reason.badSource;
    if (dev !== this.core.lo) {
      const loop = (o: number): boolean => ip.subarray(o, o + 15).every((b) => b === 0) && ip[o + 15] === 1;
      if (loop(8) || loop(24)) return loop(8) ? Ipv6Reason.badSource : Ipv6Reason.badDest;
      // Multicast of interface-local (1) or reserved (0) scope does not come from the wire.
      if (d0 >>> 24 === 0xff && ((d0 >>> 16) & 0xf) <= 1) return Ipv6Reason.badDest;
    }
    return undefined;
  }

  /** A received IPv6 packet (`ip` trimmed to its length by the caller's validation). */
  receive(ip: Uint8Array, dev: NetDevice, mac: Uint8Array | null, pktType: PacketType, frameNo: number): void {
    const core = this.core;
    const skb = core.skb.loadV6(ip).begin(mac, pktType, frameNo);
    if (dev.gro) markGro(skb, dev);
    // A malformed extension header chain still reaches the rules (whose -p then matches nothing);
    // the kernel notices it only when a protocol handler reads the chain, after INPUT.
    if (core.tracking && skb.ext.fragment && skb.protocol >= 0) {
      // nf_defrag_ipv6 at -400: the fragments wait for their whole packet.
      const done = this.defrag.add(skb, dev, frameNo, core.clock());
      if (done.dropped) for (const f of done.dropped) core.stackDrop(f, done.reason);
      if (!done.whole) return;
      const whole = done.whole;
      core.asWhole(whole.frames, frameNo, () => {
        core.skb.loadV6(whole.packet).begin(whole.mac, whole.pktType, frameNo);
        this.prerouting(whole.dev, frameNo);
      });
      return;
    }
    this.prerouting(dev, frameNo);
  }

  /** Ends the run: fragments still waiting are dropped. */
  finish(): void {
    for (const f of this.defrag.flush()) this.core.stackDrop(f, 'FRAG_REASM_TIMEOUT (IPv6)');
  }

  /** The clock moved: queues older than 60 s (ip6frag_time) expire. */
  expire(nowNs: bigint): void {
    for (const f of this.defrag.expire(nowNs)) this.core.stackDrop(f, 'FRAG_REASM_TIMEOUT (IPv6)');
  }

  private prerouting(dev: NetDevice, frameNo: number): void {
    const core = this.core;
    core.resetCt();
    if (!core.hook(Hook.PreRouting, dev, null, frameNo)) return;
    this.routeInput(dev, frameNo);
  }

  /** ip6_route_input: local, joined multicast, or forward. */
  private routeInput(dev: NetDevice, frameNo: number): void {
    const core = this.core;
    const skb = core.skb;
    const dst = skb.dst;
    if (isMulticast(dst)) {
      if (this.joined(dev)) return this.localDeliver(dev, frameNo);
      return core.stackDrop(frameNo, Ipv6Reason.multicastNotJoined);
    }
    const rt = core.fib.lookup(dst);
    if (rt.type === RouteType.Local || rt.type === RouteType.Anycast) return this.localDeliver(dev, frameNo);
    if (rt.type !== RouteType.Unicast || !rt.dev) return core.stackDrop(frameNo, Ipv6Reason.noRoute);
    this.forward(dev, rt.dev, frameNo);
  }

  /** Multicast groups an interface has joined: all-nodes and each address's solicited-node group. */
  private joined(dev: NetDevice): boolean {
    const d = this.core.skb.dst;
    // ff01::1 and ff02::1 (all nodes).
    if ((d.w0 === 0xff010000 || d.w0 === 0xff020000) && d.w1 === 0 && d.w2 === 0 && d.w3 === 1) return true;
    // ff02::1:ffXX:XXXX for each of the interface's addresses.
    if (d.w0 === 0xff020000 && d.w1 === 0 && d.w2 === 1 && d.w3 >>> 24 === 0xff) {
      for (const a of dev.addrs) if (a.addr.family === Family.V6 && (a.addr.w3 & 0xffffff) === (d.w3 & 0xffffff)) return true;
    }
    return false;
  }

  private localDeliver(dev: NetDevice, frameNo: number): void {
    const core = this.core;
    if (!core.hook(Hook.LocalIn, dev, null, frameNo)) return;
    if (!core.confirm(frameNo)) return;
    if (core.skb.protocol < 0) return core.stackDrop(frameNo, Ipv6Reason.badExtHeader);
    core.delivered(frameNo);
  }

  private forward(inDev: NetDevice, outDev: NetDevice, frameNo: number): void {
    const core = this.core;
    const skb = core.skb;
    if (skb.pktType !== PacketType.Host) return core.stackDrop(frameNo, Ipv6Reason.notForUs);
    const ip = skb.data;
    if (ip[7]! <= 1) return core.stackDrop(frameNo, Ipv6Reason.hopLimit);
    const src = skb.src;
    if (src.isZero() || isMulticast(src) || isLoopback(src)) return core.stackDrop(frameNo, Ipv6Reason.badSource);
    if (isLinkLocal(src) || isLinkLocal(skb.dst)) return core.stackDrop(frameNo, Ipv6Reason.linkLocal);
    // ip6_pkt_too_big: a GRO super-packet is too big only when its segments are.
    if (skb.totLen > outDev.mtu && !gsoFits(skb, outDev.mtu)) return core.stackDrop(frameNo, Ipv6Reason.tooBig);
    ip[7] = ip[7]! - 1;
    if (!core.hook(Hook.Forward, inDev, outDev, frameNo)) return;
    if (!core.hook(Hook.PostRouting, null, outDev, frameNo)) return;
    if (!core.confirm(frameNo)) return;
    core.transmit(FateKind.Forwarded, outDev, frameNo);
  }

  /** A locally generated IPv6 packet (its source is one of the guest's addresses). */
  output(ip: Uint8Array, frameNo: number): void {
    const core = this.core;
    const skb = core.skb.loadV6(ip).begin(null, PacketType.Host, frameNo);
    core.resetCt();
    if (skb.protocol < 0) return core.stackDrop(frameNo, Ipv6Reason.badExtHeader);
    const dst = skb.dst;
    let outDev: NetDevice | null;
    if (isMulticast(dst)) outDev = core.fib.deviceFor(skb.src) ?? null;
    else {
      const rt = core.fib.lookup(dst);
      outDev = rt.dev;
      if (!outDev) return core.stackDrop(frameNo, Ipv6Reason.noRoute);
    }
    if (!outDev) return core.stackDrop(frameNo, Ipv6Reason.noRoute);
    if (!core.hook(Hook.LocalOut, null, outDev, frameNo)) return;
    if (!core.hook(Hook.PostRouting, null, outDev, frameNo)) return;
    if (!core.confirm(frameNo)) return;
    if (outDev === core.lo) {
      skb.pktType = PacketType.Host;
      if (!core.hook(Hook.PreRouting, core.lo, null, frameNo)) return;
      if (!core.hook(Hook.LocalIn, core.lo, null, frameNo)) return;
      if (!core.confirm(frameNo)) return;
      core.delivered(frameNo, -1);
      return;
    }
    core.transmit(FateKind.Sent, outDev, frameNo);
  }
}
