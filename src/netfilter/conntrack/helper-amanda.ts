/**
 * The amanda conntrack helper (net/netfilter/nf_conntrack_amanda.c), both
 * families: in a packet of the reply direction (from the Amanda client's
 * amandad on UDP 10080 back to the server), after `CONNECT ` and before the
 * next newline, `DATA n`, `MESG n` and `INDEX n` each expect a TCP
 * connection from the server to the client's port n (at most five digits,
 * a u16 that wraps; a port 0 stops the reading). Each reply packet also
 * sets the UDP entry to expire 300 seconds later (the module's
 * master_timeout, module-params.ts). Up to four expectations per entry (measured on the
 * reference kernel), 180 seconds each.
 */
import { NF_ACCEPT, type Skb } from '../types.js';
import { IPS_DST_NAT, IPS_SRC_NAT, IP_CT_IS_REPLY, type Conn } from './conn.js';
import { Expectation, helperDrop, type Helper, type HelperHost, type PayloadNatHook } from './helpers.js';

/**
 * nf_nat_amanda_hook: the NAT side (src/netfilter/nat/helper-amanda.ts sets
 * it), given the port's digits at `matchoff` (from the UDP payload's start)
 * and their count; NF_ACCEPT or NF_DROP.
 */
export type AmandaNatHook = PayloadNatHook;

/** The hook slot (null until the NAT helpers are loaded). */
export const amandaNatHook: { fn: AmandaNatHook | null } = { fn: null };

const enc = new TextEncoder();
const CONNECT = enc.encode('CONNECT ');
const NEWLINE = enc.encode('\n');
const WORDS = [enc.encode('DATA '), enc.encode('MESG '), enc.encode('INDEX ')];

/** skb_find_text: where `p` first lies wholly within [from, to), or -1. */
function findText(d: Uint8Array, from: number, to: number, p: Uint8Array): number {
  outer: for (let i = from; i + p.length <= to; i++) {
    for (let k = 0; k < p.length; k++) if (d[i + k] !== p[k]) continue outer;
    return i;
  }
  return -1;
}

export const amandaHelper: Helper = {
  name: 'amanda',
  proto: 17,
  // Measured on 6.18: an entry keeps four expectations, the fifth evicts the oldest.
  policy: { maxExpected: 4, timeout: 180 },
  init: () => null,

  help(host: HelperHost, skb: Skb, thoff: number, conn: Conn, ctinfo: number): number {
    if (ctinfo < IP_CT_IS_REPLY) return NF_ACCEPT;
    host.refreshTimeout(conn, host.params.amandaMasterTimeout);
    const d = skb.data;
    const len = skb.len;
    const dataoff = thoff + 8;
    if (dataoff >= len) return NF_ACCEPT;
    let start = findText(d, dataoff, len, CONNECT);
    if (start < 0) return NF_ACCEPT;
    start += CONNECT.length;
    const stop = findText(d, start, len, NEWLINE);
    if (stop < 0) return NF_ACCEPT;
    let verdict = NF_ACCEPT;
    for (const w of WORDS) {
      // A NAT rewrite may have moved the packet to a larger buffer.
      const b = skb.data;
      let off = findText(b, start, stop, w);
      if (off < 0) continue;
      off += w.length;
      // simple_strtoul over at most five characters.
      const n = Math.min(5, stop - off);
      let digits = 0;
      let value = 0;
      while (digits < n && b[off + digits]! >= 0x30 && b[off + digits]! <= 0x39) value = value * 10 + b[off + digits++]! - 0x30;
      const port = value & 0xffff;
      if (port === 0) break;
      const o = conn.orig;
      const exp = new Expectation(conn, 0, 6, o.src.clone(), o.dst.clone(), -1, port);
      // The NAT side rewrites the digits in place; the words after them are then read from the rewritten packet.
      const nat = amandaNatHook.fn;
      if (nat !== null && conn.status & (IPS_SRC_NAT | IPS_DST_NAT)) verdict = nat(host, skb, conn, ctinfo, thoff, off - dataoff, digits, exp);
      else if (host.expectRelated(exp) !== 0) verdict = helperDrop(amandaHelper, 'cannot add expectation');
    }
    return verdict;
  },
};
