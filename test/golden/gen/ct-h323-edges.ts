/**
 * ct-h323-edges: what the H.323 helpers' decoder and framing make of
 * messages at their edges, both families, with ct-h323's rules: each case
 * announces an H.245 address (or a media or call address) and then the
 * announced connection is tried, so whether the kernel read the message
 * shows in its verdict.
 *
 * - A Setup whose extension bitmap reaches the component the kernel's
 *   tables STOP at (endpointIdentifier, after multipleCalls and
 *   maintainConnection are named): the Setup's decoding ends there and its
 *   parent reads on from that point (this one still decodes: its
 *   h245Address is read).
 * - A Setup with a fastStart item whose CHOICE index is past its root
 *   alternatives (a decoding error: nothing of the message is used, not
 *   even its h245Address).
 * - A message cut short (an h245Address followed by too few bytes), a
 *   Q.931 message without a user-user element, a TPKT shorter than its
 *   header, a TPKT longer than the segment, two TPKTs of which the second
 *   is not one (the first is read).
 * - An ip6Address on an IPv4 connection (and an ipAddress on IPv6): not the
 *   connection's family, ignored.
 * - An ACF naming the endpoint itself (the answering side: nothing), a GCF
 *   naming the gatekeeper's own RAS address and port (nothing).
 * - Ten OpenLogicalChannels on one H.245 connection (twenty RTP and RTCP
 *   expectations, the H.245 policy keeps eighteen: the oldest go).
 * - A RAS SEQUENCE OF count far past the message's end (a decoding error).
 */
import { ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, type Scenario } from './capture.js';
import { rules, rules6 } from './ct-h323.js';
import { component, decodeQ931, decodeRasMessage, H323_ERROR_BOUND, H323_ERROR_RANGE } from '../../../src/netfilter/conntrack/h323-asn1.js';
import { H323_USER_INFORMATION } from '../../../src/netfilter/conntrack/h323-types.js';
import { h245, h245Addr, perEncode, q931, ras, taddr, tpkt, type PerValue } from './h323-per.js';

const BODY = component(component(H323_USER_INFORMATION, 'h323UuPdu'), 'h323MessageBody');

class Tcp {
  private aSeq: number;
  private bSeq: number;
  constructor(
    private readonly send: (src: string, ip: Uint8Array) => void,
    private readonly v6: boolean,
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
    this.send(src, this.v6 ? ipv6({ src, dst }, l4) : ipv4({ src, dst }, l4));
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
  sendA(data: Uint8Array): this {
    this.pkt(true, 'PA', data);
    this.pkt(false, 'A');
    return this;
  }
}

const setup = (h245Address: PerValue, extra: PerValue = {}): PerValue => ({ setup: { h245Address, conferenceID: 16, sourceInfo: {}, ...extra } });
const call = (crv: number, body: PerValue): Uint8Array => tpkt(q931(5, crv, { h323UuPdu: { h323MessageBody: body, h245Tunneling: false } }));

export function build(): Scenario & { rules6: string } {
  const c = new Capture(3_000_000n);
  for (const v6 of [false, true]) {
    const ep = v6 ? '2001:db8:2::10' : '192.0.2.10';
    const re = v6 ? '2001:db8:ff::20' : '203.0.113.20';
    const gk = v6 ? '2001:db8:ff::5' : '203.0.113.5';
    const foreign = v6 ? '192.0.2.10' : '2001:db8:2::10';
    const inside = (a: string): boolean => a === ep;
    const send = (src: string, ip: Uint8Array): void => {
      if (inside(src)) {
        if (v6) c.host(ip, { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01', ethertype: 0x86dd });
        else c.host(ip);
      } else if (v6) c.wire(ip, { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01', ethertype: 0x86dd });
      else c.wire(ip);
    };
    let port = 41000;
    const conn = (a: string, b: string, bPort: number): Tcp => new Tcp(send, v6, a, port++, b, bPort, 5000 + port * 7919);
    const dgram = (src: string, sport: number, dst: string, dport: number, payload: Uint8Array): void =>
      send(src, v6 ? ipv6({ src, dst }, udp({ sport, dport, payload })) : ipv4({ src, dst }, udp({ sport, dport, payload })));
    /** A call out whose Setup (the TCP payload) is `payload`; then the callee tries the H.245 port `h245`. */
    const trySetup = (payload: Uint8Array, h245Port: number): void => {
      conn(ep, re, 1720).open().sendA(payload);
      conn(re, ep, h245Port).syn();
    };

    // The Setup's extension bitmap reaches its STOP (endpointIdentifier).
    trySetup(call(1, setup(taddr(ep, 1900), { mediaWaitForConnect: false, canOverlapSend: false, multipleCalls: false, maintainConnection: true })), 1900);
    // The same components but the last two: read.
    trySetup(call(2, setup(taddr(ep, 1901), { mediaWaitForConnect: false, canOverlapSend: false })), 1901);
    // A fastStart item with a CHOICE index past its root alternatives: nothing of the message is used.
    const good = call(3, setup(taddr(ep, 1902), { fastStart: [FAST_OLC] }));
    const bad = good.slice();
    // The item's dataType index (after forwardLogicalChannelNumber, the parameters' extension and portNumber bits and
    // dataType's extension bit) made 7: past DataType's six root alternatives.
    const item = perEncode(component(component(BODY, 'setup'), 'fastStart').fields![0]!, FAST_OLC);
    const at = indexOf(bad, item);
    bad[at + 3]! |= 0x1c;
    check(decodeQ931(good, 4, good.length - 4).ret >= 0 && decodeQ931(bad, 4, bad.length - 4).ret === H323_ERROR_RANGE, 'the bad fastStart item');
    trySetup(bad, 1902);
    // Cut short: the h245Address and four bytes after it.
    const whole = call(4, setup(taddr(ep, 1903)));
    const q = whole.slice(4);
    const cut = q.slice(0, q.length - 30);
    check(decodeQ931(cut, 0, cut.length).ret === H323_ERROR_BOUND, 'the cut Setup');
    trySetup(tpkt(cut), 1903);
    // No user-user element.
    trySetup(tpkt(Uint8Array.of(0x08, 0x02, 0x00, 0x05, 0x05, 0x04, 0x03, 0x88, 0x93, 0xa5)), 1904);
    // A TPKT shorter than its header, and one longer than the segment.
    trySetup(Uint8Array.of(3, 0, 0, 2, ...call(5, setup(taddr(ep, 1905)))), 1905);
    const long = call(6, setup(taddr(ep, 1906)));
    long[3] = long[3]! + 8;
    trySetup(long, 1906);
    // Two TPKTs, the second not one: the first is read.
    trySetup(Uint8Array.of(...call(7, setup(taddr(ep, 1907))), 0x47, 0x45, 0x54, 0x20, 0x2f, 0x20), 1907);
    // The other family's address: ignored.
    trySetup(call(8, setup(taddr(foreign, 1908))), 1908);

    // RAS: an ACF naming the endpoint itself, a GCF naming the gatekeeper's own RAS port.
    dgram(ep, 1719, gk, 1719, ras({ admissionRequest: { requestSeqNum: 1, endpointIdentifier: 'E', srcInfo: [] } }));
    dgram(gk, 1719, ep, 1719, ras({ admissionConfirm: { requestSeqNum: 1, bandWidth: 1, destCallSignalAddress: taddr(ep, 1720) } }));
    dgram(ep, 1718, gk, 1719, ras({ gatekeeperRequest: { requestSeqNum: 2, rasAddress: taddr(ep, 1718), endpointType: {} } }));
    dgram(gk, 1719, ep, 1718, ras({ gatekeeperConfirm: { requestSeqNum: 2, rasAddress: taddr(gk, 1719) } }));
    // A SEQUENCE OF count far past the end (callSignalAddress of 300 items, two given).
    const rrq = ras({
      registrationRequest: {
        requestSeqNum: 3,
        callSignalAddress: [taddr(ep, 1720), taddr(ep, 1720)],
        rasAddress: [taddr(ep, 1719)],
        terminalType: { terminal: {} },
        endpointVendor: { vendor: { t35CountryCode: 9 } },
      },
    });
    // The count: after the choice and bitmap bits (2 bytes), requestSeqNum (2), the OID (its length byte and bytes), discoveryComplete's byte.
    const hugeAt = 5 + rrq[4]! + 1;
    check(rrq[hugeAt] === 2, 'the callSignalAddress count');
    const huge = Uint8Array.of(...rrq.subarray(0, hugeAt), 0x81, 0x2c, ...rrq.subarray(hugeAt + 1));
    check(decodeRasMessage(huge, 0, huge.length).ret === H323_ERROR_BOUND, 'the huge count');
    dgram(ep, 1721, gk, 1719, huge);
    conn(gk, ep, 1720).syn();

    // Ten OpenLogicalChannels on one H.245 connection: the policy keeps eighteen expectations.
    const sig = conn(ep, re, 1720).open();
    sig.sendA(call(9, setup(taddr(ep, 1910))));
    const ctl = conn(re, ep, 1910).open();
    for (let k = 0; k < 10; k++) {
      const olc = {
        forwardLogicalChannelNumber: k + 1,
        forwardLogicalChannelParameters: {
          dataType: { audioData: { g711Ulaw64k: 20 } },
          multiplexParameters: { h2250LogicalChannelParameters: { sessionID: 1, mediaChannel: h245Addr(re, 8000 + 2 * k) } },
        },
      };
      ctl.sendA(tpkt(h245({ request: { openLogicalChannel: olc } })));
    }
    dgram(ep, 9000, re, 8000, new Uint8Array(12));
    dgram(ep, 9000, re, 8002, new Uint8Array(12));
    dgram(ep, 9000, re, 8018, new Uint8Array(12));
  }
  return { rules: rules.replace('ct-h323 (IPv4)', 'ct-h323-edges (IPv4)'), rules6: rules6.replace('ct-h323 (IPv6)', 'ct-h323-edges (IPv6)'), capture: c };
}

const FAST_OLC = {
  forwardLogicalChannelNumber: 1,
  forwardLogicalChannelParameters: { dataType: { nullData: null }, multiplexParameters: { none: null } },
};

function indexOf(b: Uint8Array, sub: Uint8Array): number {
  outer: for (let i = 0; i + sub.length <= b.length; i++) {
    for (let k = 0; k < sub.length; k++) if (b[i + k] !== sub[k]) continue outer;
    return i;
  }
  throw new Error('not found');
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`ct-h323-edges: ${what} is not what the scenario needs`);
}
