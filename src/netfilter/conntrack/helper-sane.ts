/**
 * The sane conntrack helper (net/netfilter/nf_conntrack_sane.c), both
 * families, on the SANE network scanner protocol's control connection
 * (saned, TCP 6566).
 *
 * Once the connection has seen traffic both ways, a client's packet whose
 * payload is exactly eight bytes and starts with the RPC code 7
 * (SANE_NET_START) makes the helper wait for the next reply; any other
 * eight-byte request stops the waiting (a payload of another length
 * changes nothing). The next server packet with a payload ends the
 * waiting, and if it is at least eight bytes long with status 0
 * (SANE_STATUS_SUCCESS) and a zero 16-bit word before the port, it expects
 * a TCP connection from the client's address (any source port) to the
 * server's address and that port. One expectation per control connection
 * (a second evicts the first), 300 seconds.
 */
import { NF_ACCEPT, type Skb } from '../types.js';
import { IP_CT_ESTABLISHED, IP_CT_ESTABLISHED_REPLY, type Conn } from './conn.js';
import { Expectation, helperDrop, type Helper, type HelperHost } from './helpers.js';

/** SANE_NET_START. */
const SANE_NET_START = 7;

/** struct nf_ct_sane_master: waiting for the reply to a SANE_NET_START. */
interface SaneState {
  startRequested: boolean;
}

function u32(d: Uint8Array, off: number): number {
  return ((d[off]! << 24) | (d[off + 1]! << 16) | (d[off + 2]! << 8) | d[off + 3]!) >>> 0;
}

export const saneHelper: Helper = {
  name: 'sane',
  proto: 6,
  policy: { maxExpected: 1, timeout: 5 * 60 },
  init: (): SaneState => ({ startRequested: false }),

  help(host: HelperHost, skb: Skb, thoff: number, conn: Conn, ctinfo: number): number {
    if (ctinfo !== IP_CT_ESTABLISHED && ctinfo !== IP_CT_ESTABLISHED_REPLY) return NF_ACCEPT;
    const d = skb.data;
    const len = skb.len;
    if (thoff + 20 > len) return NF_ACCEPT;
    const dataoff = thoff + (d[thoff + 12]! >> 4) * 4;
    if (dataoff >= len) return NF_ACCEPT;
    const datalen = len - dataoff;
    const state = conn.helpData as SaneState;
    if (ctinfo === IP_CT_ESTABLISHED) {
      // struct sane_request: RPC code, handle.
      if (datalen !== 8) return NF_ACCEPT;
      state.startRequested = u32(d, dataoff) === SANE_NET_START;
      return NF_ACCEPT;
    }
    if (!state.startRequested) return NF_ACCEPT;
    state.startRequested = false;
    // struct sane_reply_net_start: status, a zero 16-bit word, the port.
    if (datalen < 8) return NF_ACCEPT;
    if (u32(d, dataoff) !== 0) return NF_ACCEPT;
    if (d[dataoff + 4] !== 0 || d[dataoff + 5] !== 0) return NF_ACCEPT;
    const port = (d[dataoff + 6]! << 8) | d[dataoff + 7]!;
    const o = conn.orig;
    const exp = new Expectation(conn, 0, 6, o.src.clone(), o.dst.clone(), -1, port);
    return host.expectRelated(exp) === 0 ? NF_ACCEPT : helperDrop(conn.helper ?? saneHelper, 'cannot add expectation');
  },
};
