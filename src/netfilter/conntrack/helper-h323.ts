/**
 * The H.323 conntrack helpers (net/netfilter/nf_conntrack_h323_main.c),
 * both families: `RAS` (UDP, the gatekeeper's registration, admission and
 * status channel on port 1719), `Q.931` (TCP, call signalling on port
 * 1720) and `H.245` (the media control channel; the kernel registers it
 * for UDP, so `CT --helper H.245` needs `-p udp`, but it is meant for the
 * TCP connections a Q.931 message announces, which get it from their
 * expectation). Messages are decoded by h323-asn1.ts.
 *
 * RAS (every packet, either direction, decoded whole; a message that does
 * not decode is let through):
 * - RRQ: the first callSignalAddress naming the sender's own address with
 *   a port other than 0 expects Q.931 calls to it (TCP to that port, from
 *   the gatekeeper only: the module's gkrouted_only is 1), permanent (every
 *   call is RELATED); its timeToLive (default_rrq_ttl 300 without one) is
 *   kept for the RCF.
 * - RCF: a timeToLive replaces the kept one; a kept value above 0 sets the
 *   RAS entry to expire that many seconds later (and would set the
 *   expectation's too, but the kernel looks it up from address 0, which a
 *   gatekeeper-only expectation never matches).
 * - URQ: the entry's expectations are removed; it expires 30 seconds later.
 * - GCF: a rasAddress other than the sender's own address and port
 *   expects RAS from the requester to it (UDP, helper RAS), unless this
 *   entry was itself expected.
 * - ACF: a destCallSignalAddress other than the address the ACF goes to
 *   expects the call from the requester to it (TCP, helper Q.931, permanent).
 * - LCF: its callSignalAddress expects the call from the requester (TCP,
 *   helper Q.931, permanent).
 * GRQ, ARQ, LRQ and IRR only matter for NAT.
 *
 * Q.931 and H.245 (TCP: only once the connection has seen both
 * directions, ESTABLISHED; each TPKT of a segment in turn, the first at the
 * segment's start; a TPKT header alone in a segment announces its data in
 * the next one; a TPKT longer than what is left ends the reading; a
 * message that does not decode ends it too, without dropping):
 * - Setup, CallProceeding, Connect, Alerting, Facility and Progress: an
 *   h245Address naming the sender's own address (port not 0) expects the
 *   H.245 connection from the other end to it (TCP, helper H.245); each
 *   fastStart OpenLogicalChannel is read as below; a Facility with reason
 *   callForwarded and an alternativeAddress expects the forwarded call from
 *   the other end to that address (TCP, helper Q.931) unless routes to the
 *   alternative address and to the other end leave by the same device to
 *   the same next hop (callforward_filter 1).
 * - Tunnelled H.245 messages (h245Control) and the H.245 connection's own
 *   messages: OpenLogicalChannel (forward and reverse H.225.0 parameters)
 *   and OpenLogicalChannelAck: each mediaChannel and mediaControlChannel
 *   naming the sender's own address (port not 0) expects RTP and RTCP
 *   (UDP, from the other end to the even port and the odd port after it);
 *   a T.120 separate LAN stack address expects TCP to it, permanent.
 * Every expectation needs the kernel's policy to take it (RAS 32 per
 * entry, Q.931 20, H.245 18; 240 seconds each); one it refuses drops the
 * packet, with nf_ct_helper_log's `cannot process RAS message`, `cannot
 * process Q.931 message` or `cannot process H.245 message`.
 *
 * Without NAT (nf_nat_h323), which rewrites the addresses inside these
 * messages: cofw does not emulate it, so it rewrites none.
 */
import { Family, InetAddr } from '../../packet/inet-addr.js';
import { NF_ACCEPT, type Skb } from '../types.js';
import { IP_CT_ESTABLISHED, IP_CT_ESTABLISHED_REPLY, IP_CT_IS_REPLY, IPS_EXPECTED, type Conn } from './conn.js';
import { choiceIndex, component, type DNode, decodeH245Message, decodeQ931, decodeRasMessage, H323_ERROR_NONE, optionBit } from './h323-asn1.js';
import { H323_USER_INFORMATION, MULTIMEDIA_SYSTEM_CONTROL_MESSAGE, RAS_MESSAGE } from './h323-types.js';
import { Expectation, helperDrop, NF_CT_EXPECT_PERMANENT, type Helper, type HelperHost } from './helpers.js';

/** Module parameters (their defaults). */
const DEFAULT_RRQ_TTL = 300;
const GKROUTED_ONLY = true;
const CALLFORWARD_FILTER = true;
/** H323_MAX_SIZE: the most of a payload the helpers read. */
const H323_MAX_SIZE = 65535;
/** H323_RTP_CHANNEL_MAX. */
const RTP_CHANNEL_MAX = 4;

/** struct nf_ct_h323_master (the RAS timeout and the TPKT lengths share it in the kernel). */
interface H323Info {
  /** Q.931 signal port announced per direction (RRQ), for the RCF. */
  readonly sigPort: [number, number];
  /** The RAS registration's time to live (seconds). */
  timeout: number;
  /** A TPKT header alone in a segment: the length of the data the next one holds, per direction. */
  readonly tpktLen: [number, number];
}

const initInfo = (): H323Info => ({ sigPort: [0, 0], timeout: 0, tpktLen: [0, 0] });

// The rows the helpers read, found by name in the tables.
const H225 = {
  rrq: component(RAS_MESSAGE, 'registrationRequest'),
  rcf: component(RAS_MESSAGE, 'registrationConfirm'),
  uuPdu: component(H323_USER_INFORMATION, 'h323UuPdu'),
};
const BODY = component(H225.uuPdu, 'h323MessageBody');
const RAS = {
  gcf: choiceIndex(RAS_MESSAGE, 'gatekeeperConfirm'),
  rrq: choiceIndex(RAS_MESSAGE, 'registrationRequest'),
  rcf: choiceIndex(RAS_MESSAGE, 'registrationConfirm'),
  urq: choiceIndex(RAS_MESSAGE, 'unregistrationRequest'),
  acf: choiceIndex(RAS_MESSAGE, 'admissionConfirm'),
  lcf: choiceIndex(RAS_MESSAGE, 'locationConfirm'),
  rrqTtl: optionBit(H225.rrq, 'timeToLive'),
  rcfTtl: optionBit(H225.rcf, 'timeToLive'),
};
const PDU_H245_CONTROL = optionBit(H225.uuPdu, 'h245Control');
/** The call signalling messages whose h245Address and fastStart the helper reads, by body index. */
const CALL_MESSAGES = new Map<number, { name: string; h245: number; fastStart: number }>(
  ['setup', 'callProceeding', 'connect', 'alerting', 'facility', 'progress'].map((name) => {
    const row = component(BODY, name);
    return [choiceIndex(BODY, name), { name, h245: optionBit(row, 'h245Address'), fastStart: optionBit(row, 'fastStart') }];
  }),
);
const FACILITY = component(BODY, 'facility');
const FACILITY_BODY = choiceIndex(BODY, 'facility');
const FACILITY_ALTERNATIVE = optionBit(FACILITY, 'alternativeAddress');
const CALL_FORWARDED = choiceIndex(component(FACILITY, 'reason'), 'callForwarded');
const TRANSPORT_ADDRESS = component(component(RAS_MESSAGE, 'gatekeeperConfirm'), 'rasAddress');
const TA_IP = choiceIndex(TRANSPORT_ADDRESS, 'ipAddress');
const TA_IP6 = choiceIndex(TRANSPORT_ADDRESS, 'ip6Address');

const REQUEST = component(MULTIMEDIA_SYSTEM_CONTROL_MESSAGE, 'request');
const RESPONSE = component(MULTIMEDIA_SYSTEM_CONTROL_MESSAGE, 'response');
const OLC = component(REQUEST, 'openLogicalChannel');
const OLCA = component(RESPONSE, 'openLogicalChannelAck');
const FORWARD = component(OLC, 'forwardLogicalChannelParameters');
const REVERSE = component(OLC, 'reverseLogicalChannelParameters');
const OLCA_REVERSE = component(OLCA, 'reverseLogicalChannelParameters');
const OLCA_FORWARD_ACK = component(OLCA, 'forwardMultiplexAckParameters');
const H2250 = component(component(FORWARD, 'multiplexParameters'), 'h2250LogicalChannelParameters');
const H2250_ACK = component(OLCA_FORWARD_ACK, 'h2250LogicalChannelAckParameters');
const DATA_TYPE = component(FORWARD, 'dataType');
const APPLICATION = component(component(DATA_TYPE, 'data'), 'application');
const NETWORK_ADDRESS = component(component(OLC, 'separateStack'), 'networkAddress');
const H245_TA = component(H2250, 'mediaChannel');
const UNICAST = component(H245_TA, 'unicastAddress');
const H245 = {
  request: choiceIndex(MULTIMEDIA_SYSTEM_CONTROL_MESSAGE, 'request'),
  response: choiceIndex(MULTIMEDIA_SYSTEM_CONTROL_MESSAGE, 'response'),
  olc: choiceIndex(REQUEST, 'openLogicalChannel'),
  olca: choiceIndex(RESPONSE, 'openLogicalChannelAck'),
  olcReverse: optionBit(OLC, 'reverseLogicalChannelParameters'),
  olcSeparateStack: optionBit(OLC, 'separateStack'),
  reverseMultiplex: optionBit(REVERSE, 'multiplexParameters'),
  fwdH2250: choiceIndex(component(FORWARD, 'multiplexParameters'), 'h2250LogicalChannelParameters'),
  revH2250: choiceIndex(component(REVERSE, 'multiplexParameters'), 'h2250LogicalChannelParameters'),
  mediaChannel: optionBit(H2250, 'mediaChannel'),
  mediaControlChannel: optionBit(H2250, 'mediaControlChannel'),
  olcaReverse: optionBit(OLCA, 'reverseLogicalChannelParameters'),
  olcaSeparateStack: optionBit(OLCA, 'separateStack'),
  olcaForwardAck: optionBit(OLCA, 'forwardMultiplexAckParameters'),
  olcaReverseMultiplex: optionBit(OLCA_REVERSE, 'multiplexParameters'),
  olcaRevH2250: choiceIndex(component(OLCA_REVERSE, 'multiplexParameters'), 'h2250LogicalChannelParameters'),
  ackH2250: choiceIndex(OLCA_FORWARD_ACK, 'h2250LogicalChannelAckParameters'),
  ackMediaChannel: optionBit(H2250_ACK, 'mediaChannel'),
  ackMediaControlChannel: optionBit(H2250_ACK, 'mediaControlChannel'),
  dataTypeData: choiceIndex(DATA_TYPE, 'data'),
  t120: choiceIndex(APPLICATION, 't120'),
  separateLanStack: choiceIndex(component(APPLICATION, 't120'), 'separateLANStack'),
  localAreaAddress: choiceIndex(NETWORK_ADDRESS, 'localAreaAddress'),
  unicast: choiceIndex(H245_TA, 'unicastAddress'),
  ip: choiceIndex(UNICAST, 'iPAddress'),
  ip6: choiceIndex(UNICAST, 'iP6Address'),
};

/** What a message names: an address and a port. */
interface Named {
  addr: InetAddr;
  port: number;
}

/** Reads the address of `len` bytes at `p` (and the port after it) in the connection's family. */
function readAddr(d: Uint8Array, p: number, v6: boolean): Named {
  const w = (k: number): number => ((d[p + k]! << 24) | (d[p + k + 1]! << 16) | (d[p + k + 2]! << 8) | d[p + k + 3]!) >>> 0;
  const addr = v6 ? InetAddr.v6(w(0), w(4), w(8), w(12)) : InetAddr.v4(w(0));
  const q = p + (v6 ? 16 : 4);
  return { addr, port: ((d[q] ?? 0) << 8) | (d[q + 1] ?? 0) };
}

/** get_h225_addr: an H.225 TransportAddress of the connection's family, or null. */
function h225Addr(conn: Conn, d: Uint8Array, base: number, ta: DNode): Named | null {
  const v6 = conn.orig.src.family === Family.V6;
  if (ta.v === TA_IP && !v6) return readAddr(d, base + ta.get('ipAddress').get('ip').v, false);
  if (ta.v === TA_IP6 && v6) return readAddr(d, base + ta.get('ip6Address').get('ip').v, true);
  return null;
}

/** get_h245_addr: a unicast H.245 TransportAddress of the connection's family, or null. */
function h245Addr(conn: Conn, d: Uint8Array, base: number, ta: DNode): Named | null {
  if (ta.v !== H245.unicast) return null;
  const u = ta.get('unicastAddress');
  const v6 = conn.orig.src.family === Family.V6;
  if (u.v === H245.ip && !v6) return readAddr(d, base + u.get('iPAddress').get('network').v, false);
  if (u.v === H245.ip6 && v6) return readAddr(d, base + u.get('iP6Address').get('network').v, true);
  return null;
}

const dirOf = (ctinfo: number): number => (ctinfo >= IP_CT_IS_REPLY ? 1 : 0);

/** What the H.245 and Q.931 processing needs of the packet. */
interface Ctx {
  readonly host: HelperHost;
  readonly conn: Conn;
  readonly dir: number;
  readonly d: Uint8Array;
  /** Where the decoded message's offsets count from. */
  readonly base: number;
}

/** expect_rtp_rtcp: 0, or -1 when an expectation was refused. */
function expectRtpRtcp(c: Ctx, ta: DNode): number {
  const a = h245Addr(c.conn, c.d, c.base, ta);
  const me = c.conn.tuple(c.dir);
  if (!a || !a.addr.equals(me.src) || a.port === 0) return 0;
  const peer = c.conn.tuple(1 - c.dir);
  const rtp = new Expectation(c.conn, 0, 17, peer.src.clone(), peer.dst.clone(), -1, a.port & ~1);
  const rtcp = new Expectation(c.conn, 0, 17, peer.src.clone(), peer.dst.clone(), -1, a.port | 1);
  if (c.host.expectRelated(rtp) !== 0) return -1;
  if (c.host.expectRelated(rtcp) !== 0) {
    c.host.unexpectRelated(rtp);
    return -1;
  }
  return 0;
}

/** expect_t120. */
function expectT120(c: Ctx, ta: DNode): number {
  const a = h245Addr(c.conn, c.d, c.base, ta);
  if (!a || !a.addr.equals(c.conn.tuple(c.dir).src) || a.port === 0) return 0;
  const peer = c.conn.tuple(1 - c.dir);
  const exp = new Expectation(c.conn, 0, 6, peer.src.clone(), peer.dst.clone(), -1, a.port);
  exp.flags = NF_CT_EXPECT_PERMANENT;
  return c.host.expectRelated(exp) === 0 ? 0 : -1;
}

/** process_h245_channel: an H2250LogicalChannelParameters' (or Ack's) media and media control channels. */
function processChannel(c: Ctx, ch: DNode, mediaBit: number, controlBit: number): number {
  if (ch.v & mediaBit && expectRtpRtcp(c, ch.get('mediaChannel')) < 0) return -1;
  if (ch.v & controlBit && expectRtpRtcp(c, ch.get('mediaControlChannel')) < 0) return -1;
  return 0;
}

/** process_olc. */
function processOlc(c: Ctx, olc: DNode): number {
  const fwd = olc.get('forwardLogicalChannelParameters');
  const fmux = fwd.get('multiplexParameters');
  if (fmux.v === H245.fwdH2250 && processChannel(c, fmux.get('h2250LogicalChannelParameters'), H245.mediaChannel, H245.mediaControlChannel) < 0) return -1;
  const rev = olc.get('reverseLogicalChannelParameters');
  if (olc.v & H245.olcReverse && rev.v & H245.reverseMultiplex) {
    const rmux = rev.get('multiplexParameters');
    if (rmux.v === H245.revH2250 && processChannel(c, rmux.get('h2250LogicalChannelParameters'), H245.mediaChannel, H245.mediaControlChannel) < 0) return -1;
  }
  const dt = fwd.get('dataType');
  const app = dt.get('data').get('application');
  const net = olc.get('separateStack').get('networkAddress');
  if (
    olc.v & H245.olcSeparateStack &&
    dt.v === H245.dataTypeData &&
    app.v === H245.t120 &&
    app.get('t120').v === H245.separateLanStack &&
    net.v === H245.localAreaAddress &&
    expectT120(c, net.get('localAreaAddress')) < 0
  )
    return -1;
  return 0;
}

/** process_olca. */
function processOlca(c: Ctx, olca: DNode): number {
  const rev = olca.get('reverseLogicalChannelParameters');
  if (olca.v & H245.olcaReverse && rev.v & H245.olcaReverseMultiplex) {
    const rmux = rev.get('multiplexParameters');
    if (rmux.v === H245.olcaRevH2250 && processChannel(c, rmux.get('h2250LogicalChannelParameters'), H245.mediaChannel, H245.mediaControlChannel) < 0)
      return -1;
  }
  const ackp = olca.get('forwardMultiplexAckParameters');
  if (olca.v & H245.olcaForwardAck && ackp.v === H245.ackH2250) {
    if (processChannel(c, ackp.get('h2250LogicalChannelAckParameters'), H245.ackMediaChannel, H245.ackMediaControlChannel) < 0) return -1;
  }
  const net = olca.get('separateStack').get('networkAddress');
  if (olca.v & H245.olcaSeparateStack && net.v === H245.localAreaAddress && expectT120(c, net.get('localAreaAddress')) < 0) return -1;
  return 0;
}

/** process_h245: a MultimediaSystemControlMessage. */
function processH245(c: Ctx, m: DNode): number {
  if (m.v === H245.request) {
    const r = m.get('request');
    if (r.v === H245.olc) return processOlc(c, r.get('openLogicalChannel'));
  } else if (m.v === H245.response) {
    const r = m.get('response');
    if (r.v === H245.olca) return processOlca(c, r.get('openLogicalChannelAck'));
  }
  return 0;
}

/** expect_h245: an h245Address in a Q.931 message. */
function expectH245(c: Ctx, ta: DNode): number {
  const a = h225Addr(c.conn, c.d, c.base, ta);
  if (!a || !a.addr.equals(c.conn.tuple(c.dir).src) || a.port === 0) return 0;
  const peer = c.conn.tuple(1 - c.dir);
  const exp = new Expectation(c.conn, 0, 6, peer.src.clone(), peer.dst.clone(), -1, a.port);
  exp.helper = h245Helper;
  return c.host.expectRelated(exp) === 0 ? 0 : -1;
}

/** expect_callforwarding: a Facility's alternativeAddress. */
function expectCallForwarding(c: Ctx, ta: DNode): number {
  const a = h225Addr(c.conn, c.d, c.base, ta);
  if (!a || a.port === 0) return 0;
  const peer = c.conn.tuple(1 - c.dir);
  if (CALLFORWARD_FILTER && c.host.sameRoute(a.addr, peer.src)) return 0;
  const exp = new Expectation(c.conn, 0, 6, peer.src.clone(), a.addr, -1, a.port);
  exp.helper = q931Helper;
  return c.host.expectRelated(exp) === 0 ? 0 : -1;
}

/** process_q931: the call signalling message in a decoded H323-UserInformation. */
function processQ931(c: Ctx, uuie: DNode): number {
  const pdu = uuie.get('h323UuPdu');
  const body = pdu.get('h323MessageBody');
  const kind = CALL_MESSAGES.get(body.v);
  if (kind) {
    const m = body.get(kind.name);
    if (body.v === FACILITY_BODY && m.get('reason').v === CALL_FORWARDED) {
      if (m.v & FACILITY_ALTERNATIVE && expectCallForwarding(c, m.get('alternativeAddress')) < 0) return -1;
    } else {
      if (m.v & kind.h245 && expectH245(c, m.get('h245Address')) < 0) return -1;
      if (m.v & kind.fastStart) for (const olc of m.get('fastStart').items ?? []) if (processOlc(c, olc) < 0) return -1;
    }
  }
  if (pdu.v & PDU_H245_CONTROL) for (const msg of pdu.get('h245Control').items ?? []) if (processH245(c, msg) < 0) return -1;
  return 0;
}

/**
 * get_tpkt_data: the next TPKT's data in the TCP payload, as [offset in
 * `d`, length], or null when there is none (`prev` is the last one found,
 * or null for the first).
 */
function nextTpkt(skb: Skb, thoff: number, info: H323Info, dir: number, prev: [number, number] | null): [number, number] | null {
  const d = skb.data;
  // skb_header_pointer for a TCP header (an H.245 helper on a UDP entry reads one too).
  if (thoff + 20 > skb.len) return null;
  const dataoff = thoff + (d[thoff + 12]! >> 4) * 4;
  let datalen = skb.len - dataoff;
  if (datalen <= 0) {
    info.tpktLen[dir] = 0;
    return null;
  }
  if (datalen > H323_MAX_SIZE) datalen = H323_MAX_SIZE;
  let tpkt: number;
  if (prev === null) {
    tpkt = dataoff;
    if (datalen < 4 || d[tpkt] !== 0x03 || d[tpkt + 1] !== 0) {
      // A TPKT header sent alone before: this segment is its data.
      const want = info.tpktLen[dir]!;
      if (want > 0) {
        info.tpktLen[dir] = 0;
        return want <= datalen ? [dataoff, want] : null;
      }
      return null;
    }
  } else {
    const tpktoff = prev[0] + prev[1] - dataoff;
    datalen -= tpktoff;
    if (datalen <= 4) {
      info.tpktLen[dir] = 0;
      return null;
    }
    tpkt = prev[0] + prev[1];
    if (d[tpkt] !== 0x03 || d[tpkt + 1] !== 0) {
      info.tpktLen[dir] = 0;
      return null;
    }
  }
  const tpktlen = (d[tpkt + 2]! << 8) | d[tpkt + 3]!;
  if (tpktlen < 4) {
    info.tpktLen[dir] = 0;
    return null;
  }
  if (tpktlen > datalen) {
    // A TPKT header alone: its data comes in the next segment.
    info.tpktLen[dir] = datalen === 4 ? tpktlen - 4 : 0;
    return null;
  }
  info.tpktLen[dir] = 0;
  return [tpkt + 4, tpktlen - 4];
}

/** q931_help and h245_help: each TPKT of an ESTABLISHED connection's segment in turn. */
function tpktHelp(helper: Helper, text: string, isQ931: boolean, host: HelperHost, skb: Skb, thoff: number, conn: Conn, ctinfo: number): number {
  if (ctinfo !== IP_CT_ESTABLISHED && ctinfo !== IP_CT_ESTABLISHED_REPLY) return NF_ACCEPT;
  const info = conn.helpData as H323Info;
  const dir = dirOf(ctinfo);
  const d = skb.data;
  for (let t = nextTpkt(skb, thoff, info, dir, null); t !== null; t = nextTpkt(skb, thoff, info, dir, t)) {
    const c: Ctx = { host, conn, dir, d, base: t[0] };
    if (isQ931) {
      const r = decodeQ931(d, t[0], t[1]);
      if (r.ret < H323_ERROR_NONE) break;
      if (processQ931(c, r.msg) < 0) return helperDrop(helper, text);
    } else {
      const r = decodeH245Message(d, t[0], t[1]);
      if (r.ret < H323_ERROR_NONE) break;
      if (processH245(c, r.msg) < 0) return helperDrop(helper, text);
    }
  }
  return NF_ACCEPT;
}

export const h245Helper: Helper = {
  name: 'H.245',
  proto: 17,
  policy: { maxExpected: RTP_CHANNEL_MAX * 4 + 2, timeout: 240 },
  init: initInfo,
  help: (host, skb, thoff, conn, ctinfo) => tpktHelp(h245Helper, 'cannot process H.245 message', false, host, skb, thoff, conn, ctinfo),
};

export const q931Helper: Helper = {
  name: 'Q.931',
  proto: 6,
  policy: { maxExpected: RTP_CHANNEL_MAX * 4 + 4, timeout: 240 },
  init: initInfo,
  help: (host, skb, thoff, conn, ctinfo) => tpktHelp(q931Helper, 'cannot process Q.931 message', true, host, skb, thoff, conn, ctinfo),
};

/** expect_q931: an RRQ's first callSignalAddress of the sender itself. */
function expectQ931(c: Ctx, info: H323Info, list: readonly DNode[]): number {
  const me = c.conn.tuple(c.dir);
  let a: Named | null = null;
  for (const ta of list) {
    const n = h225Addr(c.conn, c.d, c.base, ta);
    if (n && n.addr.equals(me.src) && n.port !== 0) {
      a = n;
      break;
    }
  }
  if (!a) return 0;
  const peer = c.conn.tuple(1 - c.dir);
  const exp = new Expectation(c.conn, 0, 6, GKROUTED_ONLY ? peer.src.clone() : null, peer.dst.clone(), -1, a.port);
  exp.helper = q931Helper;
  exp.flags = NF_CT_EXPECT_PERMANENT;
  if (c.host.expectRelated(exp) !== 0) return -1;
  info.sigPort[c.dir] = a.port;
  return 0;
}

/** An expectation of a call or a RAS channel from the requester to `a`. */
function expectFromPeer(c: Ctx, proto: number, a: Named, helper: Helper, flags: number): number {
  const exp = new Expectation(c.conn, 0, proto, c.conn.tuple(1 - c.dir).src.clone(), a.addr, -1, a.port);
  exp.helper = helper;
  exp.flags = flags;
  return c.host.expectRelated(exp) === 0 ? 0 : -1;
}

/** process_ras. */
function processRas(c: Ctx, info: H323Info, ras: DNode): number {
  const { host, conn, dir } = c;
  switch (ras.v) {
    case RAS.gcf: {
      const a = h225Addr(conn, c.d, c.base, ras.get('gatekeeperConfirm').get('rasAddress'));
      if (!a) return 0;
      const me = conn.tuple(dir);
      if (a.addr.equals(me.src) && a.port === me.sport) return 0;
      if (conn.status & IPS_EXPECTED) return 0;
      return expectFromPeer(c, 17, a, rasHelper, 0);
    }
    case RAS.rrq: {
      const rrq = ras.get('registrationRequest');
      if (expectQ931(c, info, rrq.get('callSignalAddress').items ?? []) < 0) return -1;
      info.timeout = rrq.v & RAS.rrqTtl ? rrq.get('timeToLive').v : DEFAULT_RRQ_TTL;
      return 0;
    }
    case RAS.rcf: {
      const rcf = ras.get('registrationConfirm');
      if (rcf.v & RAS.rcfTtl) info.timeout = rcf.get('timeToLive').v;
      if (info.timeout > 0) {
        host.refreshTimeout(conn, info.timeout);
        const exp = host.findOwnExpectation(conn, 6, conn.tuple(dir).dst, info.sigPort[1 - dir]!);
        if (exp) host.setExpectTimeout(exp, info.timeout);
      }
      return 0;
    }
    case RAS.urq:
      host.removeExpectations(conn);
      info.sigPort[0] = info.sigPort[1] = 0;
      host.refreshTimeout(conn, 30);
      return 0;
    case RAS.acf: {
      const a = h225Addr(conn, c.d, c.base, ras.get('admissionConfirm').get('destCallSignalAddress'));
      if (!a || a.addr.equals(conn.tuple(dir).dst)) return 0;
      return expectFromPeer(c, 6, a, q931Helper, NF_CT_EXPECT_PERMANENT);
    }
    case RAS.lcf: {
      const a = h225Addr(conn, c.d, c.base, ras.get('locationConfirm').get('callSignalAddress'));
      if (!a) return 0;
      return expectFromPeer(c, 6, a, q931Helper, NF_CT_EXPECT_PERMANENT);
    }
    default:
      return 0;
  }
}

export const rasHelper: Helper = {
  name: 'RAS',
  proto: 17,
  policy: { maxExpected: 32, timeout: 240 },
  init: initInfo,

  help(host: HelperHost, skb: Skb, thoff: number, conn: Conn, ctinfo: number): number {
    const dataoff = thoff + 8;
    if (thoff + 8 > skb.len || dataoff >= skb.len) return NF_ACCEPT;
    const len = Math.min(skb.len - dataoff, H323_MAX_SIZE);
    const r = decodeRasMessage(skb.data, dataoff, len);
    if (r.ret < H323_ERROR_NONE) return NF_ACCEPT;
    const c: Ctx = { host, conn, dir: dirOf(ctinfo), d: skb.data, base: dataoff };
    if (processRas(c, conn.helpData as H323Info, r.msg) < 0) return helperDrop(rasHelper, 'cannot process RAS message');
    return NF_ACCEPT;
  },
};
