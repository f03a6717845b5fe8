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
 * NAT (nf_nat_h323, src/netfilter/nat/helper-h323.ts): on an IPv4 entry
 * that is NATed either way, the expectations whose announced address the
 * NAT changed (the sender's address is translated in this direction) are
 * handed to the NAT hooks, which rewrite the address in place and make
 * the expected connection follow its master; RAS messages' rasAddress and
 * call signal addresses and a Setup's destCallSignalAddress and
 * sourceCallSignalAddress are rewritten too (GRQ, RRQ, RCF, URQ, ARQ, ACF,
 * LRQ, IRR). The decoder records each IPv4 address's offset from the
 * message start as the kernel's does. IPv6 entries are never rewritten
 * (the kernel's module is IPv4 only): their expectations name the
 * addresses read from the entry's tuples, so through an IPv6 NAT they
 * name the translated address and the connection is not translated on.
 */
import { Family, InetAddr } from '../../packet/inet-addr.js';
import { NF_ACCEPT, type Skb } from '../types.js';
import { IP_CT_ESTABLISHED, IP_CT_ESTABLISHED_REPLY, IP_CT_IS_REPLY, IPS_DST_NAT, IPS_EXPECTED, IPS_SRC_NAT, type Conn } from './conn.js';
import { choiceIndex, component, type DNode, decodeH245Message, decodeQ931, decodeRasMessage, H323_ERROR_NONE, optionBit } from './h323-asn1.js';
import { H323_USER_INFORMATION, MULTIMEDIA_SYSTEM_CONTROL_MESSAGE, RAS_MESSAGE } from './h323-types.js';
import { Expectation, helperDrop, helperLog, NF_CT_EXPECT_PERMANENT, type Helper, type HelperHost } from './helpers.js';

/** H323_MAX_SIZE: the most of a payload the helpers read. */
const H323_MAX_SIZE = 65535;
/** H323_RTP_CHANNEL_MAX. */
export const RTP_CHANNEL_MAX = 4;

/** struct nf_ct_h323_master (the RAS timeout and the TPKT lengths share it in the kernel). */
export interface H323Info {
  /**
   * The signal port announced per direction (an RRQ's Q.931 port; with
   * NAT, the announced port and the one it was rewritten to, of an RRQ or
   * of an h245Address).
   */
  readonly sigPort: [number, number];
  /** With NAT, each media channel's RTP port as announced and as rewritten, per direction (rtp_port). */
  readonly rtpPort: Array<[number, number]>;
  /** The RAS registration's time to live (seconds). */
  timeout: number;
  /** A TPKT header alone in a segment: the length of the data the next one holds, per direction. */
  readonly tpktLen: [number, number];
}

const initInfo = (): H323Info => ({
  sigPort: [0, 0],
  rtpPort: Array.from({ length: RTP_CHANNEL_MAX }, (): [number, number] => [0, 0]),
  timeout: 0,
  tpktLen: [0, 0],
});

// The rows the helpers read, found by name in the tables.
const H225 = {
  rrq: component(RAS_MESSAGE, 'registrationRequest'),
  rcf: component(RAS_MESSAGE, 'registrationConfirm'),
  uuPdu: component(H323_USER_INFORMATION, 'h323UuPdu'),
};
const BODY = component(H225.uuPdu, 'h323MessageBody');
const ARQ = component(RAS_MESSAGE, 'admissionRequest');
const RAS = {
  grq: choiceIndex(RAS_MESSAGE, 'gatekeeperRequest'),
  arq: choiceIndex(RAS_MESSAGE, 'admissionRequest'),
  lrq: choiceIndex(RAS_MESSAGE, 'locationRequest'),
  irr: choiceIndex(RAS_MESSAGE, 'infoRequestResponse'),
  arqDest: optionBit(ARQ, 'destCallSignalAddress'),
  arqSrc: optionBit(ARQ, 'srcCallSignalAddress'),
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
const SETUP_ROW = component(BODY, 'setup');
const SETUP_BODY = choiceIndex(BODY, 'setup');
const SETUP = {
  destCallSignalAddress: optionBit(SETUP_ROW, 'destCallSignalAddress'),
  sourceCallSignalAddress: optionBit(SETUP_ROW, 'sourceCallSignalAddress'),
};
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
export interface Named {
  addr: InetAddr;
  port: number;
}

/** Reads the address of `len` bytes at `p` (and the port after it) in the connection's family. */
export function readAddr(d: Uint8Array, p: number, v6: boolean): Named {
  const w = (k: number): number => ((d[p + k]! << 24) | (d[p + k + 1]! << 16) | (d[p + k + 2]! << 8) | d[p + k + 3]!) >>> 0;
  const addr = v6 ? InetAddr.v6(w(0), w(4), w(8), w(12)) : InetAddr.v4(w(0));
  const q = p + (v6 ? 16 : 4);
  return { addr, port: ((d[q] ?? 0) << 8) | (d[q + 1] ?? 0) };
}

/** get_h225_addr: an H.225 TransportAddress of the connection's family, or null. */
export function h225Addr(conn: Conn, d: Uint8Array, base: number, ta: DNode): Named | null {
  const v6 = conn.orig.src.family === Family.V6;
  if (ta.v === TA_IP && !v6) return readAddr(d, base + ta.get('ipAddress').get('ip').v, false);
  if (ta.v === TA_IP6 && v6) return readAddr(d, base + ta.get('ip6Address').get('ip').v, true);
  return null;
}

/** get_h245_addr: a unicast H.245 TransportAddress of the connection's family, or null. */
export function h245Addr(conn: Conn, d: Uint8Array, base: number, ta: DNode): Named | null {
  if (ta.v !== H245.unicast) return null;
  const u = ta.get('unicastAddress');
  const v6 = conn.orig.src.family === Family.V6;
  if (u.v === H245.ip && !v6) return readAddr(d, base + u.get('iPAddress').get('network').v, false);
  if (u.v === H245.ip6 && v6) return readAddr(d, base + u.get('iP6Address').get('network').v, true);
  return null;
}

const dirOf = (ctinfo: number): number => (ctinfo >= IP_CT_IS_REPLY ? 1 : 0);

/**
 * What processing a message needs of its packet (and what the NAT hooks
 * need to rewrite it): `base` is where the decoded message's offsets count
 * from in `skb.data`, `payload` where the transport payload starts as the
 * helper reads it (after the UDP header for RAS, after the TCP header for
 * Q.931 and H.245).
 */
export interface H323Ctx {
  readonly host: HelperHost;
  readonly conn: Conn;
  readonly dir: number;
  readonly ctinfo: number;
  readonly skb: Skb;
  readonly thoff: number;
  readonly payload: number;
  readonly base: number;
}
type Ctx = H323Ctx;

/**
 * nfct_h323_nat_hooks (nf_nat_h323's functions, set by
 * src/netfilter/nat/helper-h323.ts): each returns 0, or -1 when the
 * packet could not be rewritten (the helper then drops it). `ta` is a
 * decoded TransportAddress (H.225) or H245 TransportAddress.
 */
export interface H323NatHooks {
  setH225Addr(c: H323Ctx, ta: DNode, addr: InetAddr, port: number): number;
  setH245Addr(c: H323Ctx, ta: DNode, addr: InetAddr, port: number): number;
  setSigAddr(c: H323Ctx, list: readonly DNode[]): number;
  setRasAddr(c: H323Ctx, list: readonly DNode[]): number;
  natRtpRtcp(c: H323Ctx, ta: DNode, port: number, rtpPort: number, rtp: Expectation, rtcp: Expectation): number;
  natT120(c: H323Ctx, ta: DNode, port: number, exp: Expectation): number;
  natH245(c: H323Ctx, ta: DNode, port: number, exp: Expectation): number;
  natCallforwarding(c: H323Ctx, ta: DNode, port: number, exp: Expectation): number;
  natQ931(c: H323Ctx, list: readonly DNode[], idx: number, port: number, exp: Expectation): number;
}

/**
 * nfct_h323_nat_hook: filled when the NAT helpers are loaded
 * (src/netfilter/nat/helper-registry.ts). `notice` is what the NAT side
 * logged before a failure, put before the helper's drop text.
 */
export const h323NatHook: { hooks: H323NatHooks | null; notice: string } = { hooks: null, notice: '' };

/** nf_ct_helper_log's drop, after what the NAT side logged when it could not rewrite the packet. */
function drop(helper: Helper, text: string): number {
  const v = helperDrop(helper, text);
  if (h323NatHook.notice !== '') {
    helperLog.reason = `${h323NatHook.notice}; ${helperLog.reason}`;
    h323NatHook.notice = '';
  }
  return v;
}

const IPS_NAT_MASK = IPS_SRC_NAT | IPS_DST_NAT;

/** The RAS messages' test: NAT hooks set, an IPv4 entry, NATed either way. */
function rasNat(c: Ctx): H323NatHooks | null {
  const hooks = h323NatHook.hooks;
  return hooks !== null && c.conn.family === Family.V4 && c.conn.status & IPS_NAT_MASK ? hooks : null;
}

/** The expectations' test: as rasNat, and the sender's address is translated in this direction. */
function natNeeded(c: Ctx): H323NatHooks | null {
  return c.conn.tuple(c.dir).src.equals(c.conn.tuple(1 - c.dir).dst) ? null : rasNat(c);
}

/** expect_rtp_rtcp: 0, or -1 when an expectation was refused. */
function expectRtpRtcp(c: Ctx, ta: DNode): number {
  const a = h245Addr(c.conn, c.skb.data, c.base, ta);
  const me = c.conn.tuple(c.dir);
  if (!a || !a.addr.equals(me.src) || a.port === 0) return 0;
  const peer = c.conn.tuple(1 - c.dir);
  const rtp = new Expectation(c.conn, 0, 17, peer.src.clone(), peer.dst.clone(), -1, a.port & ~1);
  const rtcp = new Expectation(c.conn, 0, 17, peer.src.clone(), peer.dst.clone(), -1, a.port | 1);
  const nat = natNeeded(c);
  if (nat !== null) return nat.natRtpRtcp(c, ta, a.port, a.port & ~1, rtp, rtcp);
  if (c.host.expectRelated(rtp) !== 0) return -1;
  if (c.host.expectRelated(rtcp) !== 0) {
    c.host.unexpectRelated(rtp);
    return -1;
  }
  return 0;
}

/** expect_t120. */
function expectT120(c: Ctx, ta: DNode): number {
  const a = h245Addr(c.conn, c.skb.data, c.base, ta);
  if (!a || !a.addr.equals(c.conn.tuple(c.dir).src) || a.port === 0) return 0;
  const peer = c.conn.tuple(1 - c.dir);
  const exp = new Expectation(c.conn, 0, 6, peer.src.clone(), peer.dst.clone(), -1, a.port);
  exp.flags = NF_CT_EXPECT_PERMANENT;
  const nat = natNeeded(c);
  if (nat !== null) return nat.natT120(c, ta, a.port, exp);
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
  const a = h225Addr(c.conn, c.skb.data, c.base, ta);
  if (!a || !a.addr.equals(c.conn.tuple(c.dir).src) || a.port === 0) return 0;
  const peer = c.conn.tuple(1 - c.dir);
  const exp = new Expectation(c.conn, 0, 6, peer.src.clone(), peer.dst.clone(), -1, a.port);
  exp.helper = h245Helper;
  const nat = natNeeded(c);
  if (nat !== null) return nat.natH245(c, ta, a.port, exp);
  return c.host.expectRelated(exp) === 0 ? 0 : -1;
}

/** expect_callforwarding: a Facility's alternativeAddress. */
function expectCallForwarding(c: Ctx, ta: DNode): number {
  const a = h225Addr(c.conn, c.skb.data, c.base, ta);
  if (!a || a.port === 0) return 0;
  const peer = c.conn.tuple(1 - c.dir);
  if (c.host.params.h323CallforwardFilter && c.host.sameRoute(a.addr, peer.src)) return 0;
  const exp = new Expectation(c.conn, 0, 6, peer.src.clone(), a.addr, -1, a.port);
  exp.helper = q931Helper;
  const nat = natNeeded(c);
  if (nat !== null) return nat.natCallforwarding(c, ta, a.port, exp);
  return c.host.expectRelated(exp) === 0 ? 0 : -1;
}

/**
 * process_setup's NAT part: a destCallSignalAddress other than where the
 * entry's answers come from becomes that address and port; a
 * sourceCallSignalAddress other than where they go becomes that address
 * and port.
 */
function natSetupAddresses(c: Ctx, setup: DNode): number {
  const nat = rasNat(c);
  if (nat === null) return 0;
  const back = c.conn.tuple(1 - c.dir);
  if (setup.v & SETUP.destCallSignalAddress) {
    const ta = setup.get('destCallSignalAddress');
    const a = h225Addr(c.conn, c.skb.data, c.base, ta);
    if (a && !a.addr.equals(back.src) && nat.setH225Addr(c, ta, back.src, back.sport) < 0) return -1;
  }
  if (setup.v & SETUP.sourceCallSignalAddress) {
    const ta = setup.get('sourceCallSignalAddress');
    const a = h225Addr(c.conn, c.skb.data, c.base, ta);
    if (a && !a.addr.equals(back.dst) && nat.setH225Addr(c, ta, back.dst, back.dport) < 0) return -1;
  }
  return 0;
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
      if (body.v === SETUP_BODY && natSetupAddresses(c, m) < 0) return -1;
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
  const payload = thoff + (skb.data[thoff + 12]! >> 4) * 4;
  for (let t = nextTpkt(skb, thoff, info, dir, null); t !== null; t = nextTpkt(skb, thoff, info, dir, t)) {
    // The NAT hooks rewrite the packet in place, address for address: the offsets stay good.
    const d = skb.data;
    const c: Ctx = { host, conn, dir, ctinfo, skb, thoff, payload, base: t[0] };
    if (isQ931) {
      const r = decodeQ931(d, t[0], t[1]);
      if (r.ret < H323_ERROR_NONE) break;
      if (processQ931(c, r.msg) < 0) return drop(helper, text);
    } else {
      const r = decodeH245Message(d, t[0], t[1]);
      if (r.ret < H323_ERROR_NONE) break;
      if (processH245(c, r.msg) < 0) return drop(helper, text);
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
  let idx = 0;
  for (; idx < list.length; idx++) {
    const n = h225Addr(c.conn, c.skb.data, c.base, list[idx]!);
    if (n && n.addr.equals(me.src) && n.port !== 0) {
      a = n;
      break;
    }
  }
  if (!a) return 0;
  const peer = c.conn.tuple(1 - c.dir);
  const exp = new Expectation(c.conn, 0, 6, c.host.params.h323GkroutedOnly ? peer.src.clone() : null, peer.dst.clone(), -1, a.port);
  exp.helper = q931Helper;
  exp.flags = NF_CT_EXPECT_PERMANENT;
  const nat = rasNat(c);
  if (nat !== null) return nat.natQ931(c, list, idx, a.port, exp);
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
    case RAS.grq: {
      const nat = rasNat(c);
      return nat === null ? 0 : nat.setRasAddr(c, [ras.get('gatekeeperRequest').get('rasAddress')]);
    }
    case RAS.gcf: {
      const a = h225Addr(conn, c.skb.data, c.base, ras.get('gatekeeperConfirm').get('rasAddress'));
      if (!a) return 0;
      const me = conn.tuple(dir);
      if (a.addr.equals(me.src) && a.port === me.sport) return 0;
      if (conn.status & IPS_EXPECTED) return 0;
      return expectFromPeer(c, 17, a, rasHelper, 0);
    }
    case RAS.rrq: {
      const rrq = ras.get('registrationRequest');
      if (expectQ931(c, info, rrq.get('callSignalAddress').items ?? []) < 0) return -1;
      const nat = rasNat(c);
      if (nat !== null && nat.setRasAddr(c, rrq.get('rasAddress').items ?? []) < 0) return -1;
      info.timeout = rrq.v & RAS.rrqTtl ? rrq.get('timeToLive').v : c.host.params.h323DefaultRrqTtl;
      return 0;
    }
    case RAS.rcf: {
      const rcf = ras.get('registrationConfirm');
      const nat = rasNat(c);
      if (nat !== null && nat.setSigAddr(c, rcf.get('callSignalAddress').items ?? []) < 0) return -1;
      if (rcf.v & RAS.rcfTtl) info.timeout = rcf.get('timeToLive').v;
      if (info.timeout > 0) {
        host.refreshTimeout(conn, info.timeout);
        const exp = host.findOwnExpectation(conn, 6, conn.tuple(dir).dst, info.sigPort[1 - dir]!);
        if (exp) host.setExpectTimeout(exp, info.timeout);
      }
      return 0;
    }
    case RAS.urq: {
      const nat = rasNat(c);
      if (nat !== null && nat.setSigAddr(c, ras.get('unregistrationRequest').get('callSignalAddress').items ?? []) < 0) return -1;
      host.removeExpectations(conn);
      info.sigPort[0] = info.sigPort[1] = 0;
      host.refreshTimeout(conn, 30);
      return 0;
    }
    case RAS.arq:
      return processArq(c, info, ras.get('admissionRequest'));
    case RAS.acf: {
      const ta = ras.get('admissionConfirm').get('destCallSignalAddress');
      const a = h225Addr(conn, c.skb.data, c.base, ta);
      if (!a) return 0;
      if (a.addr.equals(conn.tuple(dir).dst)) {
        // Answering ACF.
        const nat = rasNat(c);
        return nat === null ? 0 : nat.setSigAddr(c, [ta]);
      }
      return expectFromPeer(c, 6, a, q931Helper, NF_CT_EXPECT_PERMANENT);
    }
    case RAS.lrq: {
      const nat = rasNat(c);
      return nat === null ? 0 : nat.setRasAddr(c, [ras.get('locationRequest').get('replyAddress')]);
    }
    case RAS.lcf: {
      const a = h225Addr(conn, c.skb.data, c.base, ras.get('locationConfirm').get('callSignalAddress'));
      if (!a) return 0;
      return expectFromPeer(c, 6, a, q931Helper, NF_CT_EXPECT_PERMANENT);
    }
    case RAS.irr: {
      const nat = rasNat(c);
      if (nat === null) return 0;
      const irr = ras.get('infoRequestResponse');
      if (nat.setRasAddr(c, [irr.get('rasAddress')]) < 0) return -1;
      return nat.setSigAddr(c, irr.get('callSignalAddress').items ?? []);
    }
    default:
      return 0;
  }
}

/** process_arq: NAT only (an answering ARQ's destCallSignalAddress, else a calling ARQ's srcCallSignalAddress). */
function processArq(c: Ctx, info: H323Info, arq: DNode): number {
  const hooks = h323NatHook.hooks;
  if (hooks === null) return 0;
  const nat = rasNat(c);
  const me = c.conn.tuple(c.dir);
  const back = c.conn.tuple(1 - c.dir);
  if (arq.v & RAS.arqDest) {
    const ta = arq.get('destCallSignalAddress');
    const a = h225Addr(c.conn, c.skb.data, c.base, ta);
    if (a && a.addr.equals(me.src) && a.port === info.sigPort[c.dir] && nat !== null) return nat.setH225Addr(c, ta, back.dst, info.sigPort[1 - c.dir]!);
  }
  if (arq.v & RAS.arqSrc) {
    const ta = arq.get('srcCallSignalAddress');
    const a = h225Addr(c.conn, c.skb.data, c.base, ta);
    if (a && a.addr.equals(me.src) && nat !== null) return nat.setH225Addr(c, ta, back.dst, a.port);
  }
  return 0;
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
    const c: Ctx = { host, conn, dir: dirOf(ctinfo), ctinfo, skb, thoff, payload: dataoff, base: dataoff };
    if (processRas(c, conn.helpData as H323Info, r.msg) < 0) return drop(rasHelper, 'cannot process RAS message');
    return NF_ACCEPT;
  },
};
