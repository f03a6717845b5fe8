/**
 * The netbios-ns conntrack helper (net/netfilter/nf_conntrack_netbios_ns.c
 * and nf_conntrack_broadcast.c), IPv4 only: a NetBIOS name query the
 * machine itself broadcasts (a packet from a local socket, in the original
 * direction, routed as a broadcast to the broadcast address of one of its
 * output interface's primary addresses) expects the answers: UDP from any
 * address of that subnet and port 137 to the querying port. The
 * expectation is permanent (every answer in time is RELATED, none uses it
 * up) and lives 3 seconds, and the query's own entry is set to expire 3
 * seconds later too. A machine file's IPv4 addresses always carry a
 * broadcast address (as `ip addr add ... brd +`, DHCP clients and network
 * managers set it); an address added without one gives the kernel's helper
 * nothing to match.
 */
import { InetAddr } from '../../packet/inet-addr.js';
import { NF_ACCEPT, type Skb } from '../types.js';
import { IP_CT_IS_REPLY, type Conn } from './conn.js';
import { Expectation, NF_CT_EXPECT_PERMANENT, type Helper, type HelperHost } from './helpers.js';

/** NMBD_PORT: the helper's own port, the expected answers' source port. */
const NMBD_PORT = 137;
/** The module's `timeout` parameter (seconds). */
const TIMEOUT = 3;

export const netbiosNsHelper: Helper = {
  name: 'netbios-ns',
  proto: 17,
  policy: { maxExpected: 1, timeout: TIMEOUT },
  init: () => null,

  help(host: HelperHost, skb: Skb, _thoff: number, conn: Conn, ctinfo: number): number {
    if (ctinfo >= IP_CT_IS_REPLY) return NF_ACCEPT;
    const mask = host.localBroadcastMask(skb);
    if (mask === 0) return NF_ACCEPT;
    const r = conn.reply;
    const exp = new Expectation(conn, 0, 17, r.src.clone(), r.dst.clone(), NMBD_PORT, r.dport, InetAddr.v4(mask));
    exp.flags = NF_CT_EXPECT_PERMANENT;
    host.expectRelated(exp);
    host.refreshTimeout(conn, TIMEOUT);
    return NF_ACCEPT;
  },
};
