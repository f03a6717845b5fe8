/**
 * nf_conntrack_broadcast_help (net/netfilter/nf_conntrack_broadcast.c),
 * shared by the netbios-ns and snmp helpers, IPv4 only: a packet the
 * machine itself sends from a local socket, in the original direction,
 * routed as a broadcast to the broadcast address of one of its output
 * interface's primary addresses, expects the answers: UDP from any address
 * of that subnet and the helper's own port to the sending port. The
 * expectation is permanent (every answer in time is RELATED, none uses it
 * up) and lives as long as the helper's policy says; the sending entry is
 * set to expire that long after the packet too. A machine file's IPv4
 * addresses always carry a broadcast address (as `ip addr add ... brd +`,
 * DHCP clients and network managers set it); an address added without one
 * gives the kernel's helper nothing to match.
 */
import { InetAddr } from '../../packet/inet-addr.js';
import type { Skb } from '../types.js';
import { IP_CT_IS_REPLY, type Conn } from './conn.js';
import { Expectation, NF_CT_EXPECT_PERMANENT, type HelperHost } from './helpers.js';

/** Expects the answers to a local broadcast from `port` of its subnet for `timeout` seconds (the helper's policy). */
export function broadcastHelp(host: HelperHost, skb: Skb, conn: Conn, ctinfo: number, port: number, timeout: number): void {
  if (ctinfo >= IP_CT_IS_REPLY) return;
  const mask = host.localBroadcastMask(skb);
  if (mask === 0) return;
  const r = conn.reply;
  const exp = new Expectation(conn, 0, 17, r.src.clone(), r.dst.clone(), port, r.dport, InetAddr.v4(mask));
  exp.flags = NF_CT_EXPECT_PERMANENT;
  host.expectRelated(exp);
  host.refreshTimeout(conn, timeout);
}
