/**
 * The tftp conntrack helper (net/netfilter/nf_conntrack_tftp.c): a read or
 * write request (opcode 1 or 2, in a packet of either direction) expects
 * the server's answer, a UDP flow from the server's address and any port
 * to the client's address and port (the reply tuple's destination). A
 * request repeated replaces the expectation (one per entry, 300 seconds).
 */
import { NF_ACCEPT, type Skb } from '../types.js';
import { IPS_DST_NAT, IPS_SRC_NAT, type Conn } from './conn.js';
import { Expectation, helperDrop, type Helper, type HelperHost } from './helpers.js';

/** nf_nat_tftp_hook: registers the expectation of a NATed entry (src/netfilter/nat/helper-tftp.ts sets it); NF_ACCEPT or NF_DROP. */
export type TftpNatHook = (host: HelperHost, skb: Skb, conn: Conn, ctinfo: number, exp: Expectation) => number;

/** The hook slot (null until the NAT helpers are loaded). */
export const tftpNatHook: { fn: TftpNatHook | null } = { fn: null };

export const tftpHelper: Helper = {
  name: 'tftp',
  proto: 17,
  policy: { maxExpected: 1, timeout: 5 * 60 },
  init: () => null,

  help(host: HelperHost, skb: Skb, thoff: number, conn: Conn, ctinfo: number): number {
    const d = skb.data;
    if (thoff + 8 + 2 > skb.len) return NF_ACCEPT;
    const opcode = (d[thoff + 8]! << 8) | d[thoff + 9]!;
    if (opcode !== 1 && opcode !== 2) return NF_ACCEPT;
    const r = conn.reply;
    const exp = new Expectation(conn, 0, 17, r.src.clone(), r.dst.clone(), -1, r.dport);
    const nat = tftpNatHook.fn;
    if (nat !== null && conn.status & (IPS_SRC_NAT | IPS_DST_NAT)) return nat(host, skb, conn, ctinfo, exp);
    if (host.expectRelated(exp) !== 0) return helperDrop(tftpHelper, 'cannot add expectation');
    return NF_ACCEPT;
  },
};
