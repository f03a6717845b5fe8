/**
 * The sip NAT helper (net/netfilter/nf_nat_sip.c), UDP and TCP, both
 * families: on a NATed SIP entry it rewrites the addresses a message
 * carries into what the other side sees, and expects media and incoming
 * calls at the translated address.
 *
 * map_addr, for an address and port found in the message (the Request-URI,
 * the topmost Via, every Contact, From and To): the sender's own (the
 * entry's source in this direction) becomes the address and port the other
 * side sees it by (the other direction's destination); the receiver's own
 * becomes what the sender sees it by (the other direction's source, or the
 * port a Via saved, `forced_dport`); any other is left alone. It is written
 * `addr:port` (IPv6 `[addr]:port`), whatever the original left out. The
 * topmost Via (of the entry's protocol) is read only when it names the
 * sender of a request or the receiver of a response; then its `maddr=`
 * (the sender's address: the other side's view, in brackets on IPv6),
 * `received=` (the receiver's: the sender's view of it) and `rport=` (the
 * receiver's port, 1024 to 65535) parameters are rewritten alike. A reply
 * direction message of an entry whose Via saved a port is sent to that
 * port (UDP).
 *
 * SDP: each media line's RTP and RTCP expectations are registered for the
 * address the other end sends to (the translated one, unless the sender's
 * own address is unchanged by NAT), on the same even port if free, else on
 * the next even pair (nf_nat_sdp_media); a changed port rewrites the `m=`
 * line, a media `c=` line gets the translated address, and the session's
 * `o=` and `c=` the last media's; each rewrite fixes Content-Length (the
 * bytes from `v=` to the message's end). A REGISTER's Contact expectation
 * is registered for the translated address and the port the other side
 * sees (the same port, else random ones: nf_nat_exp_find_port), the Contact
 * rewritten when either changed. A connection that matches one of these
 * expectations is sent on to the address and port first announced, its
 * source taken from the master's other expectation announcing that source
 * (the paired media), else from where the master sends to when it comes
 * from the master's peer (nf_nat_sip_expected).
 *
 * Over TCP the rewrites of a segment's messages are summed into the
 * entry's sequence adjustment (nf_nat_sip_seq_adjust).
 *
 * Failures drop the packet with the kernel's texts ("cannot mangle Via
 * header", "all ports in use for SDP media", ...).
 */
import { Family, type InetAddr } from '../../packet/inet-addr.js';
import type { Conn } from '../conntrack/conn.js';
import {
  type Ctx,
  getHeader,
  getSdpHeader,
  HDR_CONTACT,
  HDR_CONTENT_LENGTH,
  HDR_FROM,
  HDR_TO,
  HDR_VIA_TCP,
  HDR_VIA_UDP,
  m,
  type Msg,
  numeric,
  parseAddressParam,
  parseHeaderUri,
  parseNumericalParam,
  parseRequest,
  SIP_EXPECT_SIGNALLING,
  Sdp,
  type SipNatHooks,
  sipNatHooks,
  type SipState,
  uri,
} from '../conntrack/helper-sip.js';
import { type Expectation, helperDrop, type HelperHost, helperLog, NF_CT_EXP_F_SKIP_MASTER } from '../conntrack/helpers.js';
import { seqadjSet } from '../conntrack/seqadj.js';
import { NF_ACCEPT, NF_DROP } from '../types.js';
import { ascii, expFindPort, mangleTcpPacket, mangleUdpPacket } from './helper.js';
import { Manip, NF_NAT_RANGE_MAP_IPS, NF_NAT_RANGE_PROTO_SPECIFIED, type NatRange } from './range.js';

const EBUSY = -16;

const state = (c: Ctx): SipState => c.conn.helpData as SipState;

/** sip_sprintf_addr: dotted quad, or the compressed IPv6 text (in brackets with `delim`). */
function fmtAddr(family: Family, a: InetAddr, delim: boolean): string {
  return family === Family.V6 && delim ? `[${a.toString()}]` : a.toString();
}

/** sip_sprintf_addr_port. */
function fmtAddrPort(family: Family, a: InetAddr, port: number): string {
  return `${fmtAddr(family, a, true)}:${port}`;
}

/** The transport payload's offset (mangle_packet's baseoff). */
function payloadOff(c: Ctx): number {
  return c.conn.proto === 6 ? c.protoff + (c.skb.data[c.protoff + 12]! >> 4) * 4 : c.protoff + 8;
}

/**
 * mangle_packet: replaces `matchlen` bytes at `matchoff` (an offset into
 * `msg.d`) with `text`; TCP leaves the sequence adjustment to the end of
 * the segment. The message's buffer and end follow the change. False when
 * the packet cannot be rewritten.
 */
function mangle(c: Ctx, msg: Msg, matchoff: number, matchlen: number, text: string): boolean {
  const rep = ascii(text);
  const off = matchoff - payloadOff(c);
  const ok =
    c.conn.proto === 6
      ? mangleTcpPacket(c.skb, c.conn, c.ctinfo, c.protoff, off, matchlen, rep, false)
      : mangleUdpPacket(c.skb, c.conn, c.ctinfo, c.protoff, off, matchlen, rep);
  if (!ok) return false;
  msg.d = c.skb.data;
  msg.limit += rep.length - matchlen;
  return true;
}

/** map_addr: rewrites the address and port at `matchoff` when they are either end's of this direction. */
function mapAddr(c: Ctx, msg: Msg, matchoff: number, matchlen: number, addr: InetAddr, port: number): boolean {
  const t = c.conn.tuple(c.dir);
  const r = c.conn.tuple(1 - c.dir);
  let newaddr: InetAddr;
  let newport: number;
  if (t.src.equals(addr) && t.sport === port) {
    newaddr = r.dst;
    newport = r.dport;
  } else if (t.dst.equals(addr) && t.dport === port) {
    newaddr = r.src;
    newport = state(c).forcedDport || r.sport;
  } else return true;
  if (newaddr.equals(addr) && newport === port) return true;
  return mangle(c, msg, matchoff, matchlen, fmtAddrPort(c.conn.family, newaddr, newport));
}

/** map_sip_addr: the first header of its kind. */
function mapSipAddr(c: Ctx, msg: Msg, h: typeof HDR_FROM): boolean {
  if (parseHeaderUri(msg, msg.base, h, null) <= 0) return true;
  return mapAddr(c, msg, m.off, m.len, uri.addr.clone(), uri.port);
}

const SIP_20 = ascii('SIP/2.0');
const MADDR = ascii('maddr=');
const RECEIVED = ascii('received=');
const RPORT = ascii('rport=');

function caseIs(d: Uint8Array, p: number, end: number, s: Uint8Array): boolean {
  if (p + s.length > end) return false;
  for (let i = 0; i < s.length; i++) {
    const a = d[p + i]!;
    const b = s[i]!;
    if ((a >= 0x41 && a <= 0x5a ? a + 32 : a) !== (b >= 0x41 && b <= 0x5a ? b + 32 : b)) return false;
  }
  return true;
}

function fail(c: Ctx, text: string): boolean {
  helperDrop(c.helper, text);
  return false;
}

/** nf_nat_sip: the message's own addresses; false to drop. */
function natMsg(c: Ctx, msg: Msg): boolean {
  const conn = c.conn;
  const family = conn.family;
  const t = conn.tuple(c.dir);
  const r = conn.tuple(1 - c.dir);
  let request = false;
  if (!caseIs(msg.d, msg.base, msg.limit, SIP_20)) {
    if (parseRequest(msg) > 0 && !mapAddr(c, msg, m.off, m.len, uri.addr.clone(), uri.port)) return fail(c, 'cannot mangle SIP message');
    request = true;
  }
  // The topmost Via and its parameters, when it names this connection's end.
  if (parseHeaderUri(msg, msg.base, conn.proto === 6 ? HDR_VIA_TCP : HDR_VIA_UDP, null) > 0) {
    const addr = uri.addr.clone();
    const port = uri.port;
    const matchoff = m.off;
    const matchlen = m.len;
    const mine = request ? addr.equals(t.src) && port === t.sport : addr.equals(t.dst) && port === t.dport;
    if (mine) {
      const olen = msg.limit;
      if (!mapAddr(c, msg, matchoff, matchlen, addr, port)) return fail(c, 'cannot mangle Via header');
      const matchend = matchoff + matchlen + msg.limit - olen;
      const p = addr;
      // maddr=: where to send the reply (RFC 3261).
      if (parseAddressParam(msg, matchend, MADDR, p, true) > 0 && p.equals(t.src) && !p.equals(r.dst)) {
        if (!mangle(c, msg, m.off, m.len, fmtAddr(family, r.dst, true))) return fail(c, 'cannot mangle maddr');
      }
      // received=: the address the request came from.
      if (parseAddressParam(msg, matchend, RECEIVED, p, false) > 0 && p.equals(t.dst) && !p.equals(r.src)) {
        if (!mangle(c, msg, m.off, m.len, fmtAddr(family, r.src, false))) return fail(c, 'cannot mangle received');
      }
      // rport=: the port it came from (RFC 3581).
      if (parseNumericalParam(msg, matchend, RPORT) > 0) {
        const n = numeric.v;
        if (n >= 1024 && n <= 65535 && n === t.dport && n !== r.sport && !mangle(c, msg, m.off, m.len, `${r.sport}`)) return fail(c, 'cannot mangle rport');
      }
    }
  }
  // Every Contact (the search goes on from where the last one ended before its rewrite).
  const inHeader = { v: false };
  let coff = msg.base;
  while (parseHeaderUri(msg, coff, HDR_CONTACT, inHeader) > 0) {
    coff = uri.end;
    if (!mapAddr(c, msg, m.off, m.len, uri.addr.clone(), uri.port)) return fail(c, 'cannot mangle contact');
  }
  if (!mapSipAddr(c, msg, HDR_FROM) || !mapSipAddr(c, msg, HDR_TO)) return fail(c, 'cannot mangle SIP from/to');
  // The reply goes to the port the request's Via named (UDP; see the README's limitations for TCP).
  const forced = state(c).forcedDport;
  if (c.dir === 1 && forced && conn.proto === 17) {
    const d = c.skb.data;
    d[c.protoff + 2] = forced >> 8;
    d[c.protoff + 3] = forced & 0xff;
    if (!mangleUdpPacket(c.skb, conn, c.ctinfo, c.protoff, 0, 0, new Uint8Array(0))) return fail(c, 'cannot mangle packet');
  }
  return true;
}

/** nf_nat_sip_seq_adjust. */
function natSeqAdjust(c: Ctx, off: number): void {
  if (c.conn.proto !== 6 || off === 0) return;
  const d = c.skb.data;
  const o = c.protoff + 4;
  const seq = ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
  seqadjSet(c.conn, c.ctinfo, seq, off);
}

/**
 * nf_nat_sip_expected, an expectation's `expectfn`: the new entry goes on
 * to the address and port first announced; a media connection whose source
 * another of the master's expectations announced leaves from that
 * expectation's translated address and port, any other connection from the
 * master's peer from the address the master sends to.
 */
export function natSipExpected(host: HelperHost, conn: Conn, exp: Expectation): void {
  const nat = host.nat;
  const master = conn.master;
  if (nat === null || master === null || exp.savedAddr === null) return;
  nat.setup(
    conn,
    {
      flags: NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED,
      minAddr: exp.savedAddr,
      maxAddr: exp.savedAddr,
      minProto: exp.savedProto,
      maxProto: exp.savedProto,
      baseProto: 0,
    },
    Manip.Dst,
  );
  let range: NatRange | null = null;
  if (exp.cls !== SIP_EXPECT_SIGNALLING) {
    for (const p of master.expectations ?? []) {
      if (p.family !== conn.family || p.proto !== conn.proto || p.savedAddr === null) continue;
      if (!conn.orig.src.equals(p.savedAddr) || conn.orig.sport !== p.savedProto) continue;
      range = {
        flags: NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED,
        minAddr: p.dst,
        maxAddr: p.dst,
        minProto: p.dport,
        maxProto: p.dport,
        baseProto: 0,
      };
      break;
    }
  }
  if (range === null && conn.orig.src.equals(master.tuple(exp.dir).src)) {
    const a = master.tuple(1 - exp.dir).dst;
    range = { flags: NF_NAT_RANGE_MAP_IPS, minAddr: a, maxAddr: a, minProto: 0, maxProto: 0, baseProto: 0 };
  }
  if (range !== null) nat.setup(conn, range, Manip.Src);
}

/** Where the expected connection will be sent: the translated address, unless the sender's own is unchanged. */
function expectAddr(c: Ctx, exp: Expectation): InetAddr {
  const t = c.conn.tuple(c.dir);
  const r = c.conn.tuple(1 - c.dir);
  return (t.src.equals(r.dst) ? exp.dst : r.dst).clone();
}

/** Sets an expectation up for NAT: the real address and port saved, the translated address, nf_nat_sip_expected. */
function translate(c: Ctx, exp: Expectation, newaddr: InetAddr): void {
  exp.savedAddr = exp.dst;
  exp.dst = newaddr.clone();
  exp.savedProto = exp.dport;
  exp.dir = 1 - c.dir;
  exp.expectfn = natSipExpected;
}

/** nf_nat_sip_expect: a REGISTER's Contact expectation, at the translated address. */
function natExpect(c: Ctx, msg: Msg, exp: Expectation, matchoff: number, matchlen: number): number {
  const t = c.conn.tuple(c.dir);
  const r = c.conn.tuple(1 - c.dir);
  const newaddr = expectAddr(c, exp);
  // The signalling port: the other side sees the sender's at the other direction's destination port.
  const srcport = state(c).forcedDport || t.sport;
  let port = exp.dport === srcport ? r.dport : exp.dport;
  translate(c, exp, newaddr);
  port = expFindPort(c.host, exp, port);
  if (port === 0) {
    helperDrop(c.helper, 'all ports in use for SIP');
    return NF_DROP;
  }
  if (!exp.dst.equals(exp.savedAddr!) || exp.dport !== exp.savedProto) {
    if (!mangle(c, msg, matchoff, matchlen, fmtAddrPort(c.conn.family, newaddr, port))) {
      helperDrop(c.helper, 'cannot mangle packet');
      c.host.unexpectRelated(exp);
      return NF_DROP;
    }
  }
  return NF_ACCEPT;
}

/** mangle_content_len: Content-Length becomes the length from `v=` to the message's end. */
function mangleContentLen(c: Ctx, msg: Msg): boolean {
  if (getSdpHeader(msg, msg.base, Sdp.Version, Sdp.Unspec) <= 0) return false;
  const clen = msg.limit - m.off + 2;
  if (getHeader(msg, msg.base, HDR_CONTENT_LENGTH) <= 0) return false;
  return mangle(c, msg, m.off, m.len, `${clen}`);
}

/** mangle_sdp_packet: 0, -ENOENT (no such line) or -EINVAL (not rewritten). */
function mangleSdp(c: Ctx, msg: Msg, sdpoff: number, type: Sdp, text: string): number {
  if (getSdpHeader(msg, sdpoff, type, Sdp.Media) <= 0) return -2;
  return mangle(c, msg, m.off, m.len, text) ? 0 : -22;
}

/** nf_nat_sdp_addr: a media description's `c=` address. */
function natSdpAddr(c: Ctx, msg: Msg, mediaoff: number, addr: InetAddr): number {
  if (mangleSdp(c, msg, mediaoff, Sdp.Connection, fmtAddr(c.conn.family, addr, false)) !== 0) return NF_DROP;
  return mangleContentLen(c, msg) ? NF_ACCEPT : NF_DROP;
}

/** nf_nat_sdp_port: a media port. */
function natSdpPort(c: Ctx, msg: Msg, matchoff: number, matchlen: number, port: number): number {
  if (!mangle(c, msg, matchoff, matchlen, `${port}`)) return NF_DROP;
  return mangleContentLen(c, msg) ? NF_ACCEPT : NF_DROP;
}

/** nf_nat_sdp_session: the session's `o=` (required) and `c=` (if any) addresses. */
function natSdpSession(c: Ctx, msg: Msg, sdpoff: number, addr: InetAddr): number {
  const text = fmtAddr(c.conn.family, addr, false);
  // The kernel logs nothing for these drops: the reason says what failed.
  const owner = mangleSdp(c, msg, sdpoff, Sdp.Owner, text);
  if (owner !== 0) return silentDrop(owner === -2 ? 'no SDP o= line with an address to rewrite' : 'cannot mangle the SDP owner');
  // The session's c= is optional (each media may have its own).
  if (mangleSdp(c, msg, sdpoff, Sdp.Connection, text) === -22) return silentDrop('cannot mangle the SDP connection');
  if (!mangleContentLen(c, msg)) return silentDrop('cannot mangle Content-Length');
  return NF_ACCEPT;
}

/** A drop the kernel does not log (nf_nat_sdp_session's): the reason names nf_nat_sip and what failed. */
function silentDrop(what: string): number {
  helperLog.reason = `nf_nat_sip: ${what} (the kernel logs nothing)`;
  return NF_DROP;
}

/** nf_nat_sdp_media: RTP and RTCP at the translated address, on the announced even port or the next free pair. */
function natSdpMedia(c: Ctx, msg: Msg, rtp: Expectation, rtcp: Expectation, mediaoff: number, medialen: number, rtpAddr: InetAddr): number {
  const newaddr = expectAddr(c, rtp);
  rtpAddr.copyFrom(newaddr);
  translate(c, rtp, newaddr);
  translate(c, rtcp, newaddr);
  const host = c.host;
  let port = rtp.dport;
  for (; port !== 0; port = (port + 2) & 0xffff) {
    rtp.dport = port;
    let ret = host.expectRelated(rtp, NF_CT_EXP_F_SKIP_MASTER);
    if (ret === EBUSY) continue;
    if (ret < 0) {
      port = 0;
      break;
    }
    rtcp.dport = port + 1;
    ret = host.expectRelated(rtcp, NF_CT_EXP_F_SKIP_MASTER);
    if (ret === 0) break;
    host.unexpectRelated(rtp);
    if (ret === EBUSY) continue;
    port = 0;
    break;
  }
  if (port === 0) {
    helperDrop(c.helper, 'all ports in use for SDP media');
    return NF_DROP;
  }
  if (rtp.dport !== rtp.savedProto && natSdpPort(c, msg, mediaoff, medialen, port) !== NF_ACCEPT) {
    helperDrop(c.helper, 'cannot mangle SDP message');
    host.unexpectRelated(rtp);
    host.unexpectRelated(rtcp);
    return NF_DROP;
  }
  return NF_ACCEPT;
}

/** nf_nat_sip_hooks. */
export const natSip: SipNatHooks = {
  msg: natMsg,
  seqAdjust: natSeqAdjust,
  expect: natExpect,
  sdpAddr: natSdpAddr,
  sdpPort: natSdpPort,
  sdpSession: natSdpSession,
  sdpMedia: natSdpMedia,
};

sipNatHooks.hooks = natSip;
