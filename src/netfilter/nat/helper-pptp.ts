/**
 * The pptp NAT helper (net/ipv4/netfilter/nf_nat_pptp.c), IPv4: on a
 * NATed control connection it rewrites call ids in place (two bytes for
 * two: the TCP sequence numbers need no adjustment) and translates the
 * call's GRE to follow its master, as on Linux 6.18 (golden ct-pptp-nat):
 *
 * - from the client (PNS): an Outgoing-Call-Request's call id becomes the
 *   control connection's translated TCP source port (the reply tuple's
 *   destination port), which the helper then records as the PNS call id
 *   (the client's own is kept aside); an Incoming-Call-Reply's and a
 *   Call-Clear-Request's call id become the recorded PNS call id;
 * - from the server (PAC): the peer call id of an Outgoing-Call-Reply, an
 *   Incoming-Call-Connected, a WAN-Error-Notify and a Set-Link-Info, and
 *   the call id of a Call-Disconnect-Notify (the kernel's choice, though it
 *   is the server's own), become the client's own call id (0 when the
 *   session saw no Outgoing-Call-Request);
 * - the call's expectations get the keys the translated GRE carries: from
 *   the client (its own call id, the server's), from the server (the
 *   server's, the translated one);
 * - the GRE entry of the first packet is bound at once: from the client,
 *   its source to the control connection's translated address and its
 *   source key to the translated call id; from the server, its destination
 *   to the client and its destination key (the GRE key field) to the
 *   client's own call id. The other direction's expectation is withdrawn
 *   only for a client's first packet: for a server's first packet the
 *   kernel looks it up with the new entry's (empty) NAT data, finds
 *   nothing, and leaves it pending (measured).
 */
import { IP_CT_DIR_ORIGINAL, pptpHelper, pptpNatHook, type PptpNatHook, type PptpState } from '../conntrack/helper-pptp.js';
import { helperLog, type Expectation, type HelperHost } from '../conntrack/helpers.js';
import type { Conn } from '../conntrack/conn.js';
import { NF_ACCEPT, NF_DROP, type Skb } from '../types.js';
import { mangleTcpPacket } from './helper.js';
import { Manip, NF_NAT_RANGE_MAP_IPS, NF_NAT_RANGE_PROTO_SPECIFIED } from './range.js';

const OUT_CALL_REQUEST = 7;
const OUT_CALL_REPLY = 8;
const IN_CALL_REPLY = 10;
const IN_CALL_CONNECT = 11;
const CALL_CLEAR_REQUEST = 12;
const CALL_DISCONNECT_NOTIFY = 13;
const WAN_ERROR_NOTIFY = 14;
const SET_LINK_INFO = 15;

/** The PPTP header and the control header before a message's body. */
const HEADERS = 12;

/** Writes `id` over the two bytes at `off` of the message body (nf_nat_mangle_tcp_packet with the same length). */
function rewrite(skb: Skb, ct: Conn, ctinfo: number, protoff: number, off: number, id: number): number {
  if (mangleTcpPacket(skb, ct, ctinfo, protoff, HEADERS + off, 2, new Uint8Array([id >> 8, id & 0xff]))) return NF_ACCEPT;
  helperLog.reason = `nf_nat_${pptpHelper.name}: cannot mangle packet`;
  return NF_DROP;
}

export const natPptp: PptpNatHook = {
  outbound(_host: HelperHost, skb: Skb, ct: Conn, ctinfo: number, protoff: number, msg: number): number {
    const info = ct.helpData as PptpState;
    let id = info.pnsCallId;
    switch (msg) {
      case OUT_CALL_REQUEST:
        // The client's own call id is kept aside; the translated TCP source port stands for it.
        info.natPnsCallId = info.pnsCallId;
        id = ct.reply.dport;
        info.pnsCallId = id;
        break;
      case IN_CALL_REPLY:
      case CALL_CLEAR_REQUEST:
        break;
      default:
        return NF_ACCEPT;
    }
    return rewrite(skb, ct, ctinfo, protoff, 0, id);
  },

  inbound(_host: HelperHost, skb: Skb, ct: Conn, ctinfo: number, protoff: number, msg: number): number {
    const info = ct.helpData as PptpState;
    let off: number;
    switch (msg) {
      case OUT_CALL_REPLY:
        off = 2;
        break;
      case IN_CALL_CONNECT:
      case WAN_ERROR_NOTIFY:
      case CALL_DISCONNECT_NOTIFY:
      case SET_LINK_INFO:
        off = 0;
        break;
      default:
        return NF_ACCEPT;
    }
    return rewrite(skb, ct, ctinfo, protoff, off, info.natPnsCallId);
  },

  expGre(ct: Conn): { orig: [number, number, number]; reply: [number, number, number] } {
    const info = ct.helpData as PptpState;
    info.natPacCallId = info.pacCallId;
    return {
      orig: [info.natPnsCallId, info.pacCallId, info.pnsCallId],
      reply: [info.natPacCallId, info.pnsCallId, info.natPnsCallId],
    };
  },

  expectfn(host: HelperHost, conn: Conn, exp: Expectation): void {
    const master = conn.master!;
    const info = master.helpData as PptpState;
    const other = master.tuple(exp.dir ^ 1);
    // The other direction's expectation: from the server for a client's first packet; for a server's first
    // packet the kernel reads the new entry's own NAT data (both call ids 0).
    const t =
      exp.dir === IP_CT_DIR_ORIGINAL
        ? { proto: 47, src: other.src, dst: other.dst, sport: info.pacCallId, dport: info.pnsCallId }
        : { proto: 47, src: other.src, dst: other.dst, sport: 0, dport: 0 };
    const found = host.expectFind(t, conn);
    if (found !== null) host.unexpectRelated(found);
    const nat = host.nat;
    if (nat === null) return;
    const orig = exp.dir === IP_CT_DIR_ORIGINAL;
    const saved = exp.savedProto;
    nat.setup(
      conn,
      {
        flags: NF_NAT_RANGE_MAP_IPS | (orig ? NF_NAT_RANGE_PROTO_SPECIFIED : 0),
        minAddr: other.dst,
        maxAddr: other.dst,
        minProto: saved,
        maxProto: saved,
        baseProto: 0,
      },
      Manip.Src,
    );
    nat.setup(
      conn,
      {
        flags: NF_NAT_RANGE_MAP_IPS | (orig ? 0 : NF_NAT_RANGE_PROTO_SPECIFIED),
        minAddr: other.src,
        maxAddr: other.src,
        minProto: saved,
        maxProto: saved,
        baseProto: 0,
      },
      Manip.Dst,
    );
  },
};

pptpNatHook.hook = natPptp;
