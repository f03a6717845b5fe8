/**
 * The pptp conntrack helper (net/netfilter/nf_conntrack_pptp.c), IPv4 only,
 * with the GRE tracker's keymap (nf_conntrack_proto_gre.c).
 *
 * The control connection (TCP 1723) is taken to be opened by the client
 * (PNS) towards the server (PAC), as the kernel assumes: messages of the
 * original direction are the PNS's, of the reply direction the PAC's. Once
 * the connection is ESTABLISHED the helper reads the first control message
 * of each packet (the 8-byte PPTP header with packet type 1 and the magic
 * cookie, the control header, then the message, which must be at least as
 * long as the kernel's structure for its type or is ignored) and follows
 * the session (Start-Control-Connection-Request and -Reply, Stop-...) and
 * the one call it can follow (Outgoing-Call-Request and -Reply,
 * Incoming-Call-Request, -Reply and -Connected, Call-Clear-Request,
 * Call-Disconnect-Notify). A message out of place, or naming another call,
 * is ignored: the helper never drops a packet.
 *
 * An accepted Outgoing-Call-Reply or an Incoming-Call-Connected expects the
 * call's GRE both ways (two expectations, max_expected 2, 300 seconds): from
 * the PNS to the PAC with keys (PNS call id, PAC call id), and back with
 * (PAC call id, PNS call id); and adds the master's two GRE keymap entries,
 * which give a version 1 GRE packet (whose key field is the receiver's call
 * id) its source key, so that both directions of the call meet in one
 * entry. A keymap already held for another call is kept and the new call's
 * expectations are withdrawn (one call per session). The first GRE packet
 * of either direction makes the entry, RELATED, and withdraws the other
 * direction's expectation. A Call-Disconnect-Notify, or the control entry's
 * end, removes the keymap and the call's GRE entry or expectations (for the
 * call ids the helper last recorded); a GRE entry that ends takes its
 * master's keymap with it. The GRE entry keeps GRE's own timeouts (30 and
 * 180 seconds): the helper's 10 minutes and 5 hours are overwritten by the
 * GRE tracker when it sees the first packet, as on Linux 6.18 (measured).
 */
import { NF_ACCEPT, type Skb } from '../types.js';
import { IPS_DST_NAT, IPS_SRC_NAT, IP_CT_ESTABLISHED, IP_CT_ESTABLISHED_REPLY, IP_CT_IS_REPLY, type Conn, type Tuple } from './conn.js';
import { Expectation, type Helper, type HelperHost } from './helpers.js';

/** IP_CT_DIR_ORIGINAL, IP_CT_DIR_REPLY: the master's direction an expected GRE flow goes in (exp->dir). */
export const IP_CT_DIR_ORIGINAL = 0;
export const IP_CT_DIR_REPLY = 1;

/**
 * nf_nat_pptp_hook: what the pptp NAT helper does on a NATed control
 * connection (src/netfilter/nat/helper-pptp.ts sets it when NAT is loaded).
 */
export interface PptpNatHook {
  /** pptp_outbound_pkt: a message from the PNS (`protoff`: the TCP header); NF_ACCEPT or NF_DROP. */
  outbound(host: HelperHost, skb: Skb, ct: Conn, ctinfo: number, protoff: number, msg: number): number;
  /** pptp_inbound_pkt: a message from the PAC. */
  inbound(host: HelperHost, skb: Skb, ct: Conn, ctinfo: number, protoff: number, msg: number): number;
  /** pptp_exp_gre: the two expectations' (source key, destination key, saved key). */
  expGre(ct: Conn): { orig: [number, number, number]; reply: [number, number, number] };
  /** pptp_nat_expected: binds a new GRE entry as its master is translated. */
  expectfn(host: HelperHost, conn: Conn, exp: Expectation): void;
}

/** The hook slot (null until the NAT helpers are loaded). */
export const pptpNatHook: { hook: PptpNatHook | null } = { hook: null };

const IPS_NAT_MASK = IPS_SRC_NAT | IPS_DST_NAT;

/** enum pptp_ctrlsess_state. */
export const enum SessionState {
  None = 0,
  Error = 1,
  StopReq = 2,
  Requested = 3,
  Confirmed = 4,
}

/** enum pptp_ctrlcall_state. */
export const enum CallState {
  None = 0,
  Error = 1,
  OutReq = 2,
  OutConf = 3,
  InReq = 4,
  InRep = 5,
  InConf = 6,
  ClearReq = 7,
}

/** struct nf_ct_pptp_master (its keymap is the tracker's). */
export interface PptpState {
  sstate: SessionState;
  cstate: CallState;
  pacCallId: number;
  pnsCallId: number;
  /** struct nf_nat_pptp (the NAT extension's): the PNS's own call id, and the PAC's, when NAT rewrote them. */
  natPnsCallId: number;
  natPacCallId: number;
}

const PPTP_PACKET_CONTROL = 1;
const PPTP_MAGIC_COOKIE = 0x1a2b3c4d;

const START_SESSION_REQUEST = 1;
const START_SESSION_REPLY = 2;
const STOP_SESSION_REQUEST = 3;
const STOP_SESSION_REPLY = 4;
const ECHO_REQUEST = 5;
const ECHO_REPLY = 6;
const OUT_CALL_REQUEST = 7;
const OUT_CALL_REPLY = 8;
const IN_CALL_REQUEST = 9;
const IN_CALL_REPLY = 10;
const IN_CALL_CONNECT = 11;
const CALL_CLEAR_REQUEST = 12;
const CALL_DISCONNECT_NOTIFY = 13;
const WAN_ERROR_NOTIFY = 14;
const SET_LINK_INFO = 15;
const MSG_MAX = 15;

/** pptp_msg_size: the body each message type needs at least (echo messages have none listed). */
const MSG_SIZE = [0, 144, 144, 4, 4, 0, 0, 156, 20, 208, 12, 16, 4, 136, 28, 12];

/** Result codes that accept. */
const PPTP_START_OK = 1;
const PPTP_STOP_OK = 1;
const PPTP_OUTCALL_CONNECT = 1;
const PPTP_INCALL_ACCEPT = 1;

function u16(d: Uint8Array, off: number): number {
  return (d[off]! << 8) | d[off + 1]!;
}

/** pptp_expectfn: the new GRE entry's other direction is no longer expected (the NAT helper's when the master is NATed). */
function pptpExpectfn(host: HelperHost, conn: Conn, exp: Expectation): void {
  const nat = pptpNatHook.hook;
  if (nat !== null && conn.master!.status & IPS_NAT_MASK) {
    nat.expectfn(host, conn, exp);
    return;
  }
  // nf_ct_invert_tuple of the expectation's tuple.
  const inv: Tuple = { proto: 47, src: exp.dst, dst: exp.src!, sport: exp.dport, dport: exp.sport };
  const other = host.expectFind(inv, conn);
  if (other !== null) host.unexpectRelated(other);
}

/** exp_gre: expects the call's GRE both ways and adds the master's keymap; false when something was refused. */
function expGre(host: HelperHost, ct: Conn, callId: number, peerCallId: number): boolean {
  const o = ct.orig;
  const r = ct.reply;
  const nat = pptpNatHook.hook !== null && ct.status & IPS_NAT_MASK ? pptpNatHook.hook.expGre(ct) : null;
  const ok = nat?.orig ?? [peerCallId, callId, 0];
  const rk = nat?.reply ?? [callId, peerCallId, 0];
  const expOrig = new Expectation(ct, 0, 47, o.src.clone(), o.dst.clone(), ok[0], ok[1]);
  const expReply = new Expectation(ct, 0, 47, r.src.clone(), r.dst.clone(), rk[0], rk[1]);
  expOrig.expectfn = pptpExpectfn;
  expReply.expectfn = pptpExpectfn;
  expOrig.savedProto = ok[2];
  expReply.savedProto = rk[2];
  expOrig.dir = IP_CT_DIR_ORIGINAL;
  expReply.dir = IP_CT_DIR_REPLY;
  if (host.expectRelated(expOrig) !== 0) return false;
  if (host.expectRelated(expReply) !== 0) {
    host.unexpectRelated(expOrig);
    return false;
  }
  const tupleOf = (e: Expectation): Tuple => ({ proto: 47, src: e.src!, dst: e.dst, sport: e.sport, dport: e.dport });
  if (!host.greKeymapAdd(ct, tupleOf(expOrig), tupleOf(expReply))) {
    host.unexpectRelated(expReply);
    host.unexpectRelated(expOrig);
    return false;
  }
  return true;
}

/** destroy_sibling_or_exp: kills the GRE entry holding `t`, or else withdraws the expectation covering it. */
function destroySiblingOrExp(host: HelperHost, ct: Conn, t: Tuple): void {
  const sibling = host.lookup(t, ct);
  if (sibling !== null) {
    host.kill(sibling);
    return;
  }
  const exp = host.expectFind(t, ct);
  if (exp !== null) host.unexpectRelated(exp);
}

/** pptp_destroy_siblings: the keymap, and the GRE of the call ids last recorded, both directions. */
function destroySiblings(host: HelperHost, ct: Conn): void {
  const info = ct.helpData as PptpState;
  host.greKeymapDestroy(ct);
  const o = ct.orig;
  const r = ct.reply;
  destroySiblingOrExp(host, ct, { proto: 47, src: o.src, dst: o.dst, sport: info.pnsCallId, dport: info.pacCallId });
  destroySiblingOrExp(host, ct, { proto: 47, src: r.src, dst: r.dst, sport: info.pacCallId, dport: info.pnsCallId });
}

/** pptp_outbound_pkt: a message from the PNS (body at `b`); false when it is out of place (invalid: NAT leaves it alone). */
function outbound(d: Uint8Array, b: number, msg: number, info: PptpState): boolean {
  switch (msg) {
    case START_SESSION_REQUEST:
      if (info.sstate !== SessionState.None) return false;
      info.sstate = SessionState.Requested;
      return true;
    case STOP_SESSION_REQUEST:
      info.sstate = SessionState.StopReq;
      return true;
    case OUT_CALL_REQUEST:
      if (info.sstate !== SessionState.Confirmed) return false;
      info.cstate = CallState.OutReq;
      info.pnsCallId = u16(d, b);
      return true;
    case IN_CALL_REPLY: {
      if (info.cstate !== CallState.InReq && info.cstate !== CallState.InRep) return false;
      const cid = u16(d, b);
      if (info.pacCallId !== u16(d, b + 2)) return false;
      if (d[b + 4] === PPTP_INCALL_ACCEPT) {
        info.cstate = CallState.InRep;
        info.pnsCallId = cid;
      } else info.cstate = CallState.None;
      return true;
    }
    case CALL_CLEAR_REQUEST:
      if (info.sstate !== SessionState.Confirmed) return false;
      info.cstate = CallState.ClearReq;
      return true;
    case SET_LINK_INFO:
    case ECHO_REQUEST:
    case ECHO_REPLY:
      return true;
    default:
      return false;
  }
}

/** pptp_inbound_pkt: a message from the PAC (body at `b`); false when it is out of place (invalid: NAT leaves it alone). */
function inbound(host: HelperHost, d: Uint8Array, b: number, msg: number, ct: Conn, info: PptpState): boolean {
  switch (msg) {
    case START_SESSION_REPLY:
      if (info.sstate < SessionState.Requested) return false;
      info.sstate = d[b + 2] === PPTP_START_OK ? SessionState.Confirmed : SessionState.Error;
      return true;
    case STOP_SESSION_REPLY:
      if (info.sstate > SessionState.StopReq) return false;
      info.sstate = d[b] === PPTP_STOP_OK ? SessionState.None : SessionState.Error;
      return true;
    case OUT_CALL_REPLY: {
      if (info.sstate !== SessionState.Confirmed) return false;
      if (info.cstate !== CallState.OutReq && info.cstate !== CallState.OutConf) return false;
      const cid = u16(d, b);
      const pcid = u16(d, b + 2);
      if (info.pnsCallId !== pcid) return false;
      if (d[b + 4] === PPTP_OUTCALL_CONNECT) {
        info.cstate = CallState.OutConf;
        info.pacCallId = cid;
        expGre(host, ct, cid, pcid);
      } else info.cstate = CallState.None;
      return true;
    }
    case IN_CALL_REQUEST:
      if (info.sstate !== SessionState.Confirmed) return false;
      info.cstate = CallState.InReq;
      info.pacCallId = u16(d, b);
      return true;
    case IN_CALL_CONNECT: {
      if (info.sstate !== SessionState.Confirmed) return false;
      if (info.cstate !== CallState.InRep && info.cstate !== CallState.InConf) return false;
      const pcid = u16(d, b);
      if (info.pnsCallId !== pcid) return false;
      info.cstate = CallState.InConf;
      expGre(host, ct, info.pacCallId, pcid);
      return true;
    }
    case CALL_DISCONNECT_NOTIFY:
      info.cstate = CallState.None;
      destroySiblings(host, ct);
      return true;
    case WAN_ERROR_NOTIFY:
    case SET_LINK_INFO:
    case ECHO_REQUEST:
    case ECHO_REPLY:
      return true;
    default:
      return false;
  }
}

export const pptpHelper: Helper = {
  name: 'pptp',
  proto: 6,
  policy: { maxExpected: 2, timeout: 5 * 60 },
  init: (): PptpState => ({ sstate: SessionState.None, cstate: CallState.None, pacCallId: 0, pnsCallId: 0, natPnsCallId: 0, natPacCallId: 0 }),

  help(host: HelperHost, skb: Skb, thoff: number, conn: Conn, ctinfo: number): number {
    if (ctinfo !== IP_CT_ESTABLISHED && ctinfo !== IP_CT_ESTABLISHED_REPLY) return NF_ACCEPT;
    const d = skb.data;
    const len = skb.len;
    if (thoff + 20 > len) return NF_ACCEPT;
    // The PPTP header (length, packet type, magic cookie), then the control header (type, reserved).
    const off = thoff + (d[thoff + 12]! >> 4) * 4;
    if (off + 12 > len) return NF_ACCEPT;
    if (u16(d, off + 2) !== PPTP_PACKET_CONTROL || ((d[off + 4]! << 24) | (d[off + 5]! << 16) | (d[off + 6]! << 8) | d[off + 7]!) >>> 0 !== PPTP_MAGIC_COOKIE)
      return NF_ACCEPT;
    const msg = u16(d, off + 8);
    const body = off + 12;
    if (msg > 0 && msg <= MSG_MAX && len - body < MSG_SIZE[msg]!) return NF_ACCEPT;
    const info = conn.helpData as PptpState;
    const reply = ctinfo >= IP_CT_IS_REPLY;
    const valid = reply ? inbound(host, d, body, msg, conn, info) : outbound(d, body, msg, info);
    // nf_nat_pptp rewrites the call ids of a NATed connection's messages the state machine took.
    const nat = pptpNatHook.hook;
    if (!valid || nat === null || !(conn.status & IPS_NAT_MASK)) return NF_ACCEPT;
    return reply ? nat.inbound(host, skb, conn, ctinfo, thoff, msg) : nat.outbound(host, skb, conn, ctinfo, thoff, msg);
  },

  destroy(host: HelperHost, conn: Conn): void {
    destroySiblings(host, conn);
  },
};

/** The message types, for tests. */
export const PPTP_MESSAGES = {
  START_SESSION_REQUEST,
  START_SESSION_REPLY,
  STOP_SESSION_REQUEST,
  STOP_SESSION_REPLY,
  ECHO_REQUEST,
  ECHO_REPLY,
  OUT_CALL_REQUEST,
  OUT_CALL_REPLY,
  IN_CALL_REQUEST,
  IN_CALL_REPLY,
  IN_CALL_CONNECT,
  CALL_CLEAR_REQUEST,
  CALL_DISCONNECT_NOTIFY,
  WAN_ERROR_NOTIFY,
  SET_LINK_INFO,
} as const;
