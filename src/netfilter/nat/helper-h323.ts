/**
 * The H.323 NAT helper (net/ipv4/netfilter/nf_nat_h323.c), IPv4 only: on
 * a NATed RAS, Q.931 or H.245 entry, the conntrack helpers
 * (conntrack/helper-h323.ts) hand each IPv4 TransportAddress they act on
 * to these hooks, which rewrite its four address bytes and two port bytes
 * in place (six bytes for six: the TCP sequence numbers need no
 * adjustment; the IP and transport checksums are made right) at the
 * offset the PER decoder recorded, and register the expectations so that
 * the connections they announce follow their master through the NAT.
 *
 * - RAS: the sender's own rasAddress (GRQ, RRQ, LRQ's replyAddress, IRR)
 *   becomes the address and port the other end sees it by; an RRQ's
 *   callSignalAddress becomes that address and a Q.931 port of the NAT
 *   side's choosing (the same port while no other master expects it;
 *   expectation followed by `q931Expect`), both ports kept in the entry's
 *   `sigPort`; an RCF's, URQ's, IRR's and answering ACF's call signal
 *   address naming the registered port is turned back (the gatekeeper's
 *   view to the endpoint's own address and port, and the endpoint's own to
 *   the translated one); an ARQ's destCallSignalAddress (answering) and
 *   srcCallSignalAddress (calling) become the translated address.
 *   GnomeMeeting's loopback first address is rewritten too.
 * - Q.931: a Setup's destCallSignalAddress and sourceCallSignalAddress
 *   become where the entry's answers come from and go to; an h245Address
 *   of the sender becomes the translated address and a port of the NAT
 *   side's choosing (the one chosen before for the same announced port),
 *   and the H.245 connection follows its master (`followMaster`); a call
 *   forwarding's alternativeAddress becomes the translated address (the
 *   forwarded call is expected there and translated to the real one:
 *   `callForwardingExpect`).
 * - H.245 (and the fastStart and tunnelled OpenLogicalChannels of Q.931):
 *   a media channel's RTP or RTCP address becomes the translated address
 *   and an even/odd port pair of the NAT side's choosing (from the
 *   announced RTP port up by twos; at most four channels per entry and
 *   direction are remembered in `rtpPort`, a fifth is let through
 *   unrewritten and unexpected); a T.120 address a port from the announced
 *   one (`expFindPort`).
 *
 * When a port cannot be found the kernel only logs (`nf_nat_h323: out of
 * RTP ports`, `out of expectations`, `nf_nat_q931: out of TCP ports`,
 * `nf_nat_ras: out of TCP ports`) and lets the message through unchanged
 * and unexpected. When the packet cannot be rewritten (cut short by the
 * capture's snaplen) it logs `nf_nat_h323: nf_nat_mangle_tcp_packet
 * error` (or `..._udp_packet error`) and the conntrack helper drops the
 * packet (`cannot process Q.931 message`, ...): both lines are the drop's
 * reason here.
 */
import { InetAddr } from '../../packet/inet-addr.js';
import type { Conn } from '../conntrack/conn.js';
import { h225Addr, h323NatHook, type H323Ctx, type H323Info, type H323NatHooks, RTP_CHANNEL_MAX } from '../conntrack/helper-h323.js';
import type { DNode } from '../conntrack/h323-asn1.js';
import type { Expectation, HelperHost } from '../conntrack/helpers.js';
import { expFindPort, followMaster, mangleTcpPacket, mangleUdpPacket } from './helper.js';
import { Manip, NF_NAT_RANGE_MAP_IPS, NF_NAT_RANGE_PROTO_SPECIFIED } from './range.js';

/** -EBUSY: the expectation clashes with another master's. */
const EBUSY = -16;

/**
 * set_addr: writes `addr` (IPv4) and `port` over the six bytes at `at` (an
 * offset in the packet); 0, or -1 when the packet could not be rewritten.
 */
function setAddr(c: H323Ctx, at: number, addr: InetAddr, port: number): number {
  const w = addr.w0 >>> 0;
  const buf = Uint8Array.of(w >>> 24, (w >>> 16) & 0xff, (w >>> 8) & 0xff, w & 0xff, (port >> 8) & 0xff, port & 0xff);
  const matchoff = at - c.payload;
  if (c.conn.proto === 6) {
    if (!mangleTcpPacket(c.skb, c.conn, c.ctinfo, c.thoff, matchoff, buf.length, buf)) {
      h323NatHook.notice = 'nf_nat_h323: nf_nat_mangle_tcp_packet error';
      return -1;
    }
  } else if (!mangleUdpPacket(c.skb, c.conn, c.ctinfo, c.thoff, matchoff, buf.length, buf)) {
    h323NatHook.notice = 'nf_nat_h323: nf_nat_mangle_udp_packet error';
    return -1;
  }
  return 0;
}

/** set_h225_addr: a TransportAddress's ipAddress (its recorded offset, whatever the choice, as the kernel reads it). */
function setH225Addr(c: H323Ctx, ta: DNode, addr: InetAddr, port: number): number {
  return setAddr(c, c.base + ta.get('ipAddress').get('ip').v, addr, port);
}

/** set_h245_addr: an H245 TransportAddress's unicast iPAddress. */
function setH245Addr(c: H323Ctx, ta: DNode, addr: InetAddr, port: number): number {
  return setAddr(c, c.base + ta.get('unicastAddress').get('iPAddress').get('network').v, addr, port);
}

const isLoopback = (a: InetAddr): boolean => a.w0 >>> 24 === 127;

/** set_sig_addr: the first call signal address naming the registered port, either way. */
function setSigAddr(c: H323Ctx, list: readonly DNode[]): number {
  const info = c.conn.helpData as H323Info;
  const dir = c.dir;
  const me = c.conn.tuple(dir);
  const back = c.conn.tuple(1 - dir);
  for (let i = 0; i < list.length; i++) {
    const a = h225Addr(c.conn, c.skb.data, c.base, list[i]!);
    if (a === null || a.port !== info.sigPort[dir]) continue;
    if (a.addr.equals(me.src)) {
      // Endpoint to gatekeeper (GnomeMeeting names a loopback address first: that one is rewritten).
      let k = i;
      if (k > 0) {
        const first = h225Addr(c.conn, c.skb.data, c.base, list[0]!);
        if (first !== null && isLoopback(first.addr)) k = 0;
      }
      return setH225Addr(c, list[k]!, back.dst, info.sigPort[1 - dir]!);
    }
    if (a.addr.equals(me.dst)) return setH225Addr(c, list[i]!, back.src, info.sigPort[1 - dir]!);
  }
  return 0;
}

/** set_ras_addr: the first RAS address naming the sender's own address and port. */
function setRasAddr(c: H323Ctx, list: readonly DNode[]): number {
  const me = c.conn.tuple(c.dir);
  const back = c.conn.tuple(1 - c.dir);
  for (const ta of list) {
    const a = h225Addr(c.conn, c.skb.data, c.base, ta);
    if (a !== null && a.addr.equals(me.src) && a.port === me.sport) return setH225Addr(c, ta, back.dst, back.dport);
  }
  return 0;
}

/** nf_ct_expect_related_pair as nat_rtp_rtcp uses it: both, or neither. */
function expectPair(host: HelperHost, rtp: Expectation, rtcp: Expectation): number {
  const r = host.expectRelated(rtp);
  if (r !== 0) return r;
  const r2 = host.expectRelated(rtcp);
  if (r2 !== 0) host.unexpectRelated(rtp);
  return r2;
}

/** nat_rtp_rtcp. */
function natRtpRtcp(c: H323Ctx, ta: DNode, port: number, rtpPort: number, rtp: Expectation, rtcp: Expectation): number {
  const info = c.conn.helpData as H323Info;
  const dir = c.dir;
  for (const e of [rtp, rtcp]) {
    e.savedProto = e.dport;
    e.expectfn = followMaster;
    e.dir = 1 - dir;
  }
  let i = 0;
  for (; i < RTP_CHANNEL_MAX; i++) {
    const slot = info.rtpPort[i]!;
    if (slot[dir] === rtpPort) {
      // "Use allocated ports first": the kernel takes this direction's port, the one announced.
      rtp.dport = slot[dir];
      rtcp.dport = (slot[dir] + 1) & 0xffff;
      break;
    }
    if (slot[dir] === 0) break;
  }
  if (i >= RTP_CHANNEL_MAX) return 0; // nf_nat_h323: out of expectations
  let nated = rtp.dport;
  for (; nated !== 0; nated = (nated + 2) & 0xffff) {
    rtp.dport = nated;
    rtcp.dport = (nated + 1) & 0xffff;
    const r = expectPair(c.host, rtp, rtcp);
    if (r === 0) break;
    if (r === EBUSY) continue;
    nated = 0;
    break;
  }
  if (nated === 0) return 0; // nf_nat_h323: out of RTP ports
  if (setH245Addr(c, ta, c.conn.tuple(1 - dir).dst, port & 1 ? nated + 1 : nated) !== 0) {
    c.host.unexpectRelated(rtp);
    c.host.unexpectRelated(rtcp);
    return -1;
  }
  info.rtpPort[i]![dir] = rtpPort;
  info.rtpPort[i]![1 - dir] = nated;
  return 0;
}

/** nat_t120. */
function natT120(c: H323Ctx, ta: DNode, port: number, exp: Expectation): number {
  const dir = c.dir;
  exp.savedProto = exp.dport;
  exp.expectfn = followMaster;
  exp.dir = 1 - dir;
  const nated = expFindPort(c.host, exp, port);
  if (nated === 0) return 0; // nf_nat_h323: out of TCP ports
  if (setH245Addr(c, ta, c.conn.tuple(1 - dir).dst, nated) < 0) {
    c.host.unexpectRelated(exp);
    return -1;
  }
  return 0;
}

/** nat_h245. */
function natH245(c: H323Ctx, ta: DNode, port: number, exp: Expectation): number {
  const info = c.conn.helpData as H323Info;
  const dir = c.dir;
  exp.savedProto = exp.dport;
  exp.expectfn = followMaster;
  exp.dir = 1 - dir;
  let nated = port;
  if (info.sigPort[dir] === port) nated = info.sigPort[1 - dir]!;
  nated = expFindPort(c.host, exp, nated);
  if (nated === 0) return 0; // nf_nat_q931: out of TCP ports
  if (setH225Addr(c, ta, c.conn.tuple(1 - dir).dst, nated) !== 0) {
    c.host.unexpectRelated(exp);
    return -1;
  }
  info.sigPort[dir] = port;
  info.sigPort[1 - dir] = nated;
  return 0;
}

/**
 * ip_nat_q931_expect: a call to a registered endpoint. From the gatekeeper
 * only (gkrouted_only, the expectation names its source), as
 * nf_nat_follow_master; from anywhere, the source is left as it is and the
 * destination goes to the endpoint's own address and announced port.
 */
export function q931Expect(host: HelperHost, conn: Conn, exp: Expectation): void {
  if (exp.src !== null) {
    followMaster(host, conn, exp);
    return;
  }
  const nat = host.nat;
  const master = conn.master;
  if (nat === null || master === null) return;
  const own = conn.tuple(exp.dir ^ 1).src;
  const to = master.tuple(exp.dir ^ 1).src;
  nat.setup(conn, { flags: NF_NAT_RANGE_MAP_IPS, minAddr: own, maxAddr: own, minProto: 0, maxProto: 0, baseProto: 0 }, Manip.Src);
  nat.setup(
    conn,
    { flags: NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED, minAddr: to, maxAddr: to, minProto: exp.savedProto, maxProto: exp.savedProto, baseProto: 0 },
    Manip.Dst,
  );
}

/** nat_q931: an RRQ's callSignalAddress (the `idx`th of `list`). */
function natQ931(c: H323Ctx, list: readonly DNode[], idx: number, port: number, exp: Expectation): number {
  const info = c.conn.helpData as H323Info;
  const dir = c.dir;
  const to = c.conn.tuple(1 - dir).dst;
  exp.savedProto = exp.dport;
  exp.expectfn = q931Expect;
  exp.dir = 1 - dir;
  let nated = port;
  if (info.sigPort[dir] === port) nated = info.sigPort[1 - dir]!;
  nated = expFindPort(c.host, exp, nated);
  if (nated === 0) return 0; // nf_nat_ras: out of TCP ports
  if (setH225Addr(c, list[idx]!, to, nated) !== 0) {
    c.host.unexpectRelated(exp);
    return -1;
  }
  info.sigPort[dir] = port;
  info.sigPort[1 - dir] = nated;
  // GnomeMeeting names a loopback address first: rewritten too.
  if (idx > 0) {
    const first = h225Addr(c.conn, c.skb.data, c.base, list[0]!);
    if (first !== null && isLoopback(first.addr) && setH225Addr(c, list[0]!, to, nated) !== 0) {
      c.host.unexpectRelated(exp);
      return -1;
    }
  }
  return 0;
}

/**
 * ip_nat_callforwarding_expect: the forwarded call keeps its source (the
 * new entry's own, read in the expectation's other direction) and goes to
 * the alternative address and port the Facility named.
 */
export function callForwardingExpect(host: HelperHost, conn: Conn, exp: Expectation): void {
  const nat = host.nat;
  if (nat === null || exp.savedAddr === null) return;
  const own = conn.tuple(exp.dir ^ 1).src;
  const to = exp.savedAddr;
  nat.setup(conn, { flags: NF_NAT_RANGE_MAP_IPS, minAddr: own, maxAddr: own, minProto: 0, maxProto: 0, baseProto: 0 }, Manip.Src);
  nat.setup(
    conn,
    { flags: NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED, minAddr: to, maxAddr: to, minProto: exp.savedProto, maxProto: exp.savedProto, baseProto: 0 },
    Manip.Dst,
  );
}

/** nat_callforwarding: the call is expected at the translated address instead. */
function natCallforwarding(c: H323Ctx, ta: DNode, port: number, exp: Expectation): number {
  const dir = c.dir;
  const to = c.conn.tuple(1 - dir).dst;
  exp.savedAddr = exp.dst;
  exp.dst = InetAddr.v4(to.w0 >>> 0);
  exp.savedProto = exp.dport;
  exp.expectfn = callForwardingExpect;
  exp.dir = 1 - dir;
  const nated = expFindPort(c.host, exp, port);
  if (nated === 0) return 0; // nf_nat_q931: out of TCP ports
  if (setH225Addr(c, ta, to, nated) !== 0) {
    c.host.unexpectRelated(exp);
    return -1;
  }
  return 0;
}

export const natH323: H323NatHooks = {
  setH225Addr,
  setH245Addr,
  setSigAddr,
  setRasAddr,
  natRtpRtcp,
  natT120,
  natH245,
  natCallforwarding,
  natQ931,
};

h323NatHook.hooks = natH323;
