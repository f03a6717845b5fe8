/**
 * ct-h323: the H.323 conntrack helpers through the gateway, both families.
 * `CT --helper RAS` on UDP 1719 and `CT --helper Q.931` on TCP 1720 (raw
 * PREROUTING); the filter lets new connections through only from the
 * inside to UDP 1719 and TCP 1720, and otherwise only ESTABLISHED and
 * RELATED, so every other connection's verdict depends on what the
 * helpers expected. Messages are PER-encoded by h323-per.ts.
 *
 * - RAS: an endpoint inside registers with the gatekeeper outside (RRQ
 *   with a timeToLive, RCF with another): the gatekeeper's calls to the
 *   endpoint's port 1720 are RELATED (a permanent expectation: two calls),
 *   another host's call is not (gkrouted_only); the RCF's timeToLive sets
 *   the RAS entry's timeout. A GCF naming another RAS port of the
 *   gatekeeper (RAS expected there, with the RAS helper), an ACF and an LCF
 *   naming a callee outside (the endpoint's call RELATED, with Q.931). An
 *   endpoint that registers and unregisters (URQ: its expectation removed,
 *   the entry expires 30 s later), an RRQ whose timeToLive ends the message
 *   (the kernel moves past it twice and fails to decode: nothing expected),
 *   a RAS message that is not one.
 * - Q.931: the endpoint calls out. Setup with an h245Address and a fastStart
 *   OpenLogicalChannel; CallProceeding and Alerting in one segment (two
 *   TPKTs), Connect with an h245Address; the H.245 connections are RELATED
 *   and get the H.245 helper; OpenLogicalChannel and OpenLogicalChannelAck
 *   over H.245 expect RTP and RTCP both ways; a T.120 separate stack twice
 *   (permanent); an OpenLogicalChannel tunnelled in a Facility; a TPKT
 *   header alone in a segment and its data in the next; call forwarding to
 *   another side (expected) and to the same side (the routes agree: not
 *   tracked); an h245Address naming another host (ignored); a second call
 *   announcing the H.245 address the first announced (the kernel refuses an
 *   expectation that clashes with another master's and drops the packet,
 *   `cannot process Q.931 message`); bytes that are not a TPKT.
 * - Media to a port nobody announced is dropped.
 */
import { ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, type Scenario } from './capture.js';
import { h245, h245Addr, q931, ras, taddr, tpkt, type PerValue } from './h323-per.js';

const FILTER = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m helper --helper RAS
-A FORWARD -m helper --helper Q.931
-A FORWARD -m helper --helper H.245
-A FORWARD -m conntrack --ctstate RELATED
-A FORWARD -m conntrack --ctstate RELATED -m helper --helper Q.931
-A FORWARD -m conntrack --ctstate RELATED -m helper --helper H.245
-A FORWARD -m conntrack --ctstate RELATED -p udp
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i eth1 -p udp -m udp --dport 1719 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -i eth1 -p tcp -m tcp --dport 1720 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -m conntrack --ctstate NEW
-A FORWARD -m conntrack --ctstate INVALID
COMMIT
`;
const RAW = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp -m udp --dport 1719 -j CT --helper RAS
-A PREROUTING -p tcp -m tcp --dport 1720 -j CT --helper Q.931
COMMIT
`;
export const rules = `# cofw golden: ct-h323 (IPv4)\n${RAW}${FILTER}`;
export const rules6 = `# cofw golden: ct-h323 (IPv6)\n${RAW}${FILTER}`;

type Send = (ip: Uint8Array) => void;

interface Ends {
  v6: boolean;
  host: Send;
  wire: Send;
  /** Is this address inside (behind eth1)? */
  inside(a: string): boolean;
}

/** A TCP connection, with the sequence numbers each side has sent. */
class Tcp {
  private aSeq: number;
  private bSeq: number;
  constructor(
    private readonly e: Ends,
    private readonly a: string,
    private readonly aPort: number,
    private readonly b: string,
    private readonly bPort: number,
    iss: number,
  ) {
    this.aSeq = iss;
    this.bSeq = iss + 500_000;
  }

  private pkt(fromA: boolean, flags: string, data?: Uint8Array): void {
    const src = fromA ? this.a : this.b;
    const dst = fromA ? this.b : this.a;
    const seq = fromA ? this.aSeq : this.bSeq;
    const ack = flags === 'S' ? 0 : fromA ? this.bSeq : this.aSeq;
    const l4 = tcp({ sport: fromA ? this.aPort : this.bPort, dport: fromA ? this.bPort : this.aPort, flags, seq: seq >>> 0, ack: ack >>> 0, payload: data });
    const ip = this.e.v6 ? ipv6({ src, dst }, l4) : ipv4({ src, dst }, l4);
    (this.e.inside(src) ? this.e.host : this.e.wire)(ip);
    const n = (data?.length ?? 0) + (flags.includes('S') || flags.includes('F') ? 1 : 0);
    if (fromA) this.aSeq += n;
    else this.bSeq += n;
  }

  open(): this {
    this.pkt(true, 'S');
    this.pkt(false, 'SA');
    this.pkt(true, 'A');
    return this;
  }
  syn(): this {
    this.pkt(true, 'S');
    return this;
  }
  /** The opener sends `data`; the other end acknowledges. */
  sendA(...data: Uint8Array[]): this {
    this.pkt(true, 'PA', concat(data));
    this.pkt(false, 'A');
    return this;
  }
  /** The other end sends `data`; the opener acknowledges. */
  sendB(...data: Uint8Array[]): this {
    this.pkt(false, 'PA', concat(data));
    this.pkt(true, 'A');
    return this;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let k = 0;
  for (const p of parts) {
    out.set(p, k);
    k += p.length;
  }
  return out;
}

const g711 = { audioData: { g711Ulaw64k: 20 } };

/** An OpenLogicalChannel whose forward H.225.0 parameters carry `channel`. */
function olc(n: number, channel: PerValue, extra: PerValue = {}): PerValue {
  return {
    forwardLogicalChannelNumber: n,
    forwardLogicalChannelParameters: { dataType: g711, multiplexParameters: { h2250LogicalChannelParameters: { sessionID: 1, ...channel } } },
    ...extra,
  };
}

/** A Q.931 message in a TPKT: `body` is the h323-message-body choice. */
function call(type: number, crv: number, body: PerValue, pdu: PerValue = {}): Uint8Array {
  return tpkt(q931(type, crv, { h323UuPdu: { h323MessageBody: body, h245Tunneling: false, ...pdu } }));
}

export function build(): Scenario & { rules6: string } {
  const c = new Capture(3_000_000n);
  for (const v6 of [false, true]) {
    const A = v6
      ? {
          ep: '2001:db8:2::10',
          ep2: '2001:db8:2::11',
          ep3: '2001:db8:2::12',
          gk: '2001:db8:ff::5',
          re: '2001:db8:ff::20',
          re2: '2001:db8:ff::21',
          alt: '2001:db8:ff::30',
          other: '2001:db8:ff::66',
          near: '2001:db8:ff::40',
        }
      : {
          ep: '192.0.2.10',
          ep2: '192.0.2.11',
          ep3: '192.0.2.12',
          gk: '203.0.113.5',
          re: '203.0.113.20',
          re2: '203.0.113.21',
          alt: '203.0.113.30',
          other: '203.0.113.66',
          near: '203.0.113.40',
        };
    const e: Ends = {
      v6,
      host: (b) => (v6 ? c.host(b, { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01', ethertype: 0x86dd }) : c.host(b)),
      wire: (b) => (v6 ? c.wire(b, { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01', ethertype: 0x86dd }) : c.wire(b)),
      inside: (a) => a.startsWith(v6 ? '2001:db8:2:' : '192.0.2.'),
    };
    const ip = (src: string, dst: string, l4: ReturnType<typeof udp>): Uint8Array => (v6 ? ipv6({ src, dst }, l4) : ipv4({ src, dst }, l4));
    const dgram = (src: string, sport: number, dst: string, dport: number, payload: Uint8Array): void =>
      (e.inside(src) ? e.host : e.wire)(ip(src, dst, udp({ sport, dport, payload })));
    const rasMsg = (src: string, dst: string, sport: number, m: PerValue): void => dgram(src, sport, dst, 1719, ras(m));
    const rasReply = (src: string, dst: string, dport: number, m: PerValue): void => dgram(src, 1719, dst, dport, ras(m));
    const rrq = (ep: string, ttl: number | null, tail = true, sigPort = 1720): PerValue => ({
      registrationRequest: {
        requestSeqNum: 1,
        callSignalAddress: [taddr(ep, sigPort)],
        rasAddress: [taddr(ep, 1719)],
        terminalType: { terminal: {} },
        endpointVendor: { vendor: { t35CountryCode: 9 } },
        ...(ttl !== null ? { timeToLive: ttl } : {}),
        ...(tail ? { keepAlive: false } : {}),
      },
    });
    const rcf = (ttl: number): PerValue => ({
      registrationConfirm: { requestSeqNum: 1, callSignalAddress: [], endpointIdentifier: 'EP1', timeToLive: ttl, willRespondToIRR: false },
    });
    let port = 40000;
    const conn = (a: string, b: string, bPort: number): Tcp => new Tcp(e, a, port++, b, bPort, 1000 + port * 7919);

    // --- RAS: registration, calls from the gatekeeper.
    rasMsg(A.ep, A.gk, 1719, rrq(A.ep, 600));
    rasReply(A.gk, A.ep, 1719, rcf(90));
    conn(A.gk, A.ep, 1720)
      .open()
      .sendA(call(5, 11, { setup: { conferenceID: 16, sourceInfo: {} } }));
    conn(A.gk, A.ep, 1720).open();
    conn(A.other, A.ep, 1720).syn();
    // Gatekeeper discovery: RAS expected at the gatekeeper's other port (with the RAS helper).
    rasMsg(A.ep, A.gk, 1718, { gatekeeperRequest: { requestSeqNum: 2, rasAddress: taddr(A.ep, 1718), endpointType: {} } });
    rasReply(A.gk, A.ep, 1718, { gatekeeperConfirm: { requestSeqNum: 2, rasAddress: taddr(A.gk, 1730) } });
    dgram(A.ep, 1718, A.gk, 1730, ras(rrq(A.ep, null, true, 1722)));
    dgram(A.gk, 1730, A.ep, 1718, ras(rcf(120)));
    // Admission and location: the callee's call signal address expected from the endpoint.
    rasMsg(A.ep, A.gk, 1719, { admissionRequest: { requestSeqNum: 3, endpointIdentifier: 'EP1', srcInfo: [] } });
    rasReply(A.gk, A.ep, 1719, { admissionConfirm: { requestSeqNum: 3, bandWidth: 640, destCallSignalAddress: taddr(A.re2, 1720) } });
    rasMsg(A.ep, A.gk, 1719, { locationRequest: { requestSeqNum: 4, destinationInfo: [], replyAddress: taddr(A.ep, 1719) } });
    rasReply(A.gk, A.ep, 1719, { locationConfirm: { requestSeqNum: 4, callSignalAddress: taddr(A.re2, 1721), rasAddress: taddr(A.re2, 1719) } });
    conn(A.ep, A.re2, 1720).open();
    conn(A.ep, A.re2, 1721).open();
    conn(A.gk, A.ep, 1722).open();
    // Register, then unregister: nothing is expected any more.
    rasMsg(A.ep2, A.gk, 1719, rrq(A.ep2, 600));
    rasReply(A.gk, A.ep2, 1719, rcf(600));
    rasMsg(A.ep2, A.gk, 1719, { unregistrationRequest: { requestSeqNum: 5, callSignalAddress: [taddr(A.ep2, 1720)] } });
    conn(A.gk, A.ep2, 1720).syn();
    // A timeToLive that ends the message: the kernel's decoder fails, nothing is expected.
    rasMsg(A.ep3, A.gk, 1719, rrq(A.ep3, 600, false));
    conn(A.gk, A.ep3, 1720).syn();
    // Registered again: the RCF's timeToLive is the entry's timeout.
    rasMsg(A.ep, A.gk, 1719, rrq(A.ep, 600));
    rasReply(A.gk, A.ep, 1719, rcf(90));
    // Not a RAS message: let through, nothing expected.
    dgram(A.ep3, 1720, A.gk, 1719, Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x01));

    // --- Q.931: the endpoint calls out.
    const sig = conn(A.ep, A.re, 1720).open();
    const fast = olc(1, { mediaChannel: h245Addr(A.ep, 5000), mediaControlChannel: h245Addr(A.ep, 5001) });
    sig.sendA(call(5, 21, { setup: { h245Address: taddr(A.ep, 1800), conferenceID: 16, sourceInfo: {}, fastStart: [fast] } }));
    sig.sendB(call(2, 21, { callProceeding: { destinationInfo: {} } }), call(1, 21, { alerting: { destinationInfo: {}, h245Address: taddr(A.re, 1801) } }));
    // A TPKT header alone, then its data.
    const connect = call(7, 21, { connect: { h245Address: taddr(A.re, 1802), conferenceID: 16, destinationInfo: {} } });
    sig.sendB(connect.subarray(0, 4));
    sig.sendB(connect.subarray(4));
    // An h245Address naming another host: ignored.
    sig.sendB(call(3, 21, { progress: { destinationInfo: {}, h245Address: taddr(A.other, 1803) } }));
    // Not a TPKT: nothing.
    sig.sendA(Uint8Array.of(0x47, 0x45, 0x54, 0x20));
    // An OpenLogicalChannel tunnelled in a Facility.
    const tunnelled = h245({ request: { openLogicalChannel: olc(3, { mediaChannel: h245Addr(A.re, 6100) }) } });
    sig.sendB(call(0x62, 21, { facility: { reason: { undefinedReason: null } } }, { h245Control: [tunnelled] }));
    // Call forwarding: to another side (expected), and where the routes agree (not tracked).
    sig.sendB(call(0x62, 21, { facility: { reason: { callForwarded: null }, alternativeAddress: taddr(A.alt, 1720) } }));
    sig.sendA(call(0x62, 21, { facility: { reason: { callForwarded: null }, alternativeAddress: taddr(A.near, 1720) } }));
    conn(A.ep, A.alt, 1720).open();
    conn(A.re, A.near, 1720).syn();

    // The H.245 connections announced: from the callee to the Setup's, from the caller to the Alerting's.
    conn(A.re, A.ep, 1800).open();
    const ctl = conn(A.ep, A.re, 1801).open();
    ctl.sendA(tpkt(h245({ request: { openLogicalChannel: olc(2, { mediaControlChannel: h245Addr(A.ep, 5011) }) } })));
    ctl.sendB(
      tpkt(
        h245({
          response: {
            openLogicalChannelAck: {
              forwardLogicalChannelNumber: 2,
              forwardMultiplexAckParameters: {
                h2250LogicalChannelAckParameters: { mediaChannel: h245Addr(A.re, 6000), mediaControlChannel: h245Addr(A.re, 6001) },
              },
            },
          },
        }),
      ),
    );
    // T.120 on a separate LAN stack: permanent, two connections.
    const t120 = olc(4, {}, { separateStack: { networkAddress: { localAreaAddress: h245Addr(A.ep, 1503) } } });
    t120.forwardLogicalChannelParameters.dataType = { data: { application: { t120: { separateLANStack: null } }, maxBitRate: 100 } };
    t120.forwardLogicalChannelParameters.multiplexParameters = { none: null };
    ctl.sendA(tpkt(h245({ request: { openLogicalChannel: t120 } })));
    conn(A.re, A.ep, 1503).open();
    conn(A.re, A.ep, 1503).open();

    // Media: RTP and RTCP both ways, and to a port nobody announced.
    dgram(A.re, 7000, A.ep, 5000, new Uint8Array(20));
    dgram(A.re, 7001, A.ep, 5001, new Uint8Array(20));
    dgram(A.re, 7010, A.ep, 5010, new Uint8Array(20));
    dgram(A.ep, 5000, A.re, 6000, new Uint8Array(20));
    dgram(A.ep, 5001, A.re, 6001, new Uint8Array(20));
    dgram(A.ep, 5000, A.re, 6100, new Uint8Array(20));
    dgram(A.re, 7000, A.ep, 5004, new Uint8Array(20));

    // A second call announcing the first call's H.245 address: the expectation clashes, the packet is dropped.
    const first = conn(A.ep, A.re, 1720).open();
    first.sendA(call(5, 31, { setup: { h245Address: taddr(A.ep, 1850), conferenceID: 16, sourceInfo: {} } }));
    const second = conn(A.ep, A.re, 1720).open();
    second.sendA(call(5, 32, { setup: { h245Address: taddr(A.ep, 1850), conferenceID: 16, sourceInfo: {} } }));
  }
  return { rules, rules6, capture: c };
}
