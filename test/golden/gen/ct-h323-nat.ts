/**
 * ct-h323-nat: the H.323 helpers through NAT (nf_nat_h323). The inside
 * network 192.0.2.0/24 leaves by MASQUERADE (198.51.100.1), the endpoint
 * 192.0.2.11 by SNAT to 198.51.100.7, and TCP 1720 of the firewall is
 * forwarded (DNAT) to the inside terminal 192.0.2.20. Outside hosts send to
 * the translated addresses, as they would. Messages are PER-encoded by
 * h323-per.ts; what the firewall sent is recorded, to compare every
 * rewritten address and port byte for byte.
 *
 * - RAS through MASQUERADE: GRQ (rasAddress rewritten), RRQ (callSignal
 *   and rasAddress rewritten; the gatekeeper's call to the translated
 *   address follows to the endpoint, Setup's destCallSignalAddress turned
 *   back to the endpoint's), RCF (callSignalAddress turned back), ARQ
 *   (srcCallSignalAddress), ACF naming the callee (expected, untouched),
 *   LRQ (replyAddress), an answering ARQ and ACF, an IRR; GnomeMeeting's
 *   loopback first callSignalAddress (an RRQ rewrites it and the real one,
 *   a URQ only the loopback one); through SNAT: RRQ, RCF and URQ of
 *   192.0.2.11.
 * - A call out through MASQUERADE: Setup with h245Address,
 *   sourceCallSignalAddress and a fastStart channel (all rewritten, the
 *   H.245 connection and media from the callee follow to the caller), a
 *   Connect from the callee (nothing to rewrite); on the callee's H.245
 *   connection an OpenLogicalChannel (rewritten), its Ack (not), a T.120
 *   address (rewritten); on the caller's H.245 connection (followed) an
 *   OpenLogicalChannelAck from the caller (rewritten); an OpenLogicalChannel
 *   tunnelled in a Facility (rewritten); a call forwarding
 *   from the caller to an inside host (rewritten: the callee's forwarded
 *   call follows to it); media both ways.
 * - A port forward: a caller outside calls 198.51.100.1:1720, DNATed to
 *   the inside terminal: the Setup's destCallSignalAddress becomes the
 *   terminal's, the terminal's Connect's h245Address and fastStart the
 *   firewall's; the H.245 connection and media follow.
 * - IPv6 through MASQUERADE (nf_nat_h323 is IPv4 only): nothing is
 *   rewritten, and the expectations name the translated address the
 *   conntrack helper reads from the entry (an RRQ's calls from the
 *   gatekeeper, a Setup's H.245 connection), so those connections come to
 *   the firewall itself, RELATED, and are not translated on to the
 *   endpoint.
 */
import { ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, DUAL_STACK_MACHINE, type Scenario } from './capture.js';
import { h245, h245Addr, q931, ras, taddr, tpkt, type PerValue } from './h323-per.js';

const RAW = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp -m udp --dport 1719 -j CT --helper RAS
-A PREROUTING -p tcp -m tcp --dport 1720 -j CT --helper Q.931
COMMIT
`;

export const rules = `# cofw golden: ct-h323-nat (the H.323 helpers through NAT)
${RAW}*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 198.51.100.1/32 -i eth0 -p tcp -m tcp --dport 1720 -j DNAT --to-destination 192.0.2.20
-A PREROUTING -i eth0
-A POSTROUTING -s 192.0.2.11/32 -o eth0 -j SNAT --to-source 198.51.100.7
-A POSTROUTING -s 192.0.2.0/24 -o eth0 -j MASQUERADE
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m helper --helper RAS
-A FORWARD -m helper --helper Q.931
-A FORWARD -m helper --helper H.245
-A FORWARD -m conntrack --ctstate RELATED
-A FORWARD -m conntrack --ctstate RELATED -m conntrack --ctstate DNAT
-A FORWARD -m conntrack --ctstate RELATED -p udp
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i eth1 -p udp -m udp --dport 1719 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -i eth1 -p tcp -m tcp --dport 1720 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -d 192.0.2.20/32 -p tcp -m tcp --dport 1720 -m conntrack --ctstate NEW,DNAT -j ACCEPT
-A FORWARD -m conntrack --ctstate NEW
-A FORWARD -m conntrack --ctstate INVALID
COMMIT
`;

export const rules6 = `# cofw golden: ct-h323-nat (IPv6: MASQUERADE, nothing rewritten)
${RAW}*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -s 2001:db8:2::/64 -o eth0 -j MASQUERADE
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctstate RELATED
-A INPUT -m conntrack --ctstate NEW
-A FORWARD -m conntrack --ctstate RELATED
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i eth1 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -m conntrack --ctstate NEW
COMMIT
`;

export const machine = DUAL_STACK_MACHINE;

const FW = '198.51.100.1';
const FW7 = '198.51.100.7';
const EP = '192.0.2.10';
const EP2 = '192.0.2.11';
const EP3 = '192.0.2.12';
const EP4 = '192.0.2.13';
const TERM = '192.0.2.20';
const FWD = '192.0.2.30';
const GK = '203.0.113.5';
const RE = '203.0.113.20';
const CALLER = '203.0.113.60';
const FW6 = '2001:db8:100::1';
const EP6 = '2001:db8:2::10';
const GK6 = '2001:db8:ff::5';
const RE6 = '2001:db8:ff::20';

const inside = (a: string): boolean => a.startsWith('192.0.2.') || a.startsWith('2001:db8:2:');
const V6_HOST = { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01', ethertype: 0x86dd };
const V6_WIRE = { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01', ethertype: 0x86dd };

/** Sends an IPv4 or IPv6 packet from the side its source is on. */
function sendIp(c: Capture, src: string, dst: string, l4: ReturnType<typeof udp>): void {
  const v6 = src.includes(':');
  const ip = v6 ? ipv6({ src, dst }, l4) : ipv4({ src, dst }, l4);
  if (inside(src)) {
    if (v6) c.host(ip, V6_HOST);
    else c.host(ip);
  } else if (v6) c.wire(ip, V6_WIRE);
  else c.wire(ip);
}

/**
 * A TCP connection through NAT: A sends from `a` to `aTo` (the address and
 * port it knows B by), B from `b` to `bTo`.
 */
class Tcp {
  private aSeq: number;
  private bSeq: number;
  constructor(
    private readonly c: Capture,
    private readonly a: [string, number],
    private readonly aTo: [string, number],
    private readonly b: [string, number],
    private readonly bTo: [string, number],
    iss: number,
  ) {
    this.aSeq = iss;
    this.bSeq = iss + 500_000;
  }

  private pkt(fromA: boolean, flags: string, data?: Uint8Array): void {
    const [src, sport] = fromA ? this.a : this.b;
    const [dst, dport] = fromA ? this.aTo : this.bTo;
    const seq = fromA ? this.aSeq : this.bSeq;
    const ack = flags === 'S' ? 0 : fromA ? this.bSeq : this.aSeq;
    sendIp(this.c, src, dst, tcp({ sport, dport, flags, seq: seq >>> 0, ack: ack >>> 0, payload: data }));
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
  sendB(data: Uint8Array): this {
    this.pkt(false, 'PA', data);
    this.pkt(true, 'A');
    return this;
  }
}

const g711 = { audioData: { g711Ulaw64k: 20 } };

function olc(n: number, channel: PerValue, extra: PerValue = {}): PerValue {
  return {
    forwardLogicalChannelNumber: n,
    forwardLogicalChannelParameters: { dataType: g711, multiplexParameters: { h2250LogicalChannelParameters: { sessionID: 1, ...channel } } },
    ...extra,
  };
}

function call(type: number, crv: number, body: PerValue, pdu: PerValue = {}): Uint8Array {
  return tpkt(q931(type, crv, { h323UuPdu: { h323MessageBody: body, h245Tunneling: false, ...pdu } }));
}

export function build(): Scenario & { rules6: string; machine: string } {
  const c = new Capture(3_000_000n);
  const dgram = (src: string, sport: number, dst: string, dport: number, payload: Uint8Array): void => sendIp(c, src, dst, udp({ sport, dport, payload }));
  let iss = 1_000_000;
  const conn = (a: [string, number], aTo: [string, number], b: [string, number], bTo: [string, number]): Tcp => new Tcp(c, a, aTo, b, bTo, (iss += 77_777));

  // --- RAS through MASQUERADE: the gatekeeper sees the endpoint as 198.51.100.1.
  dgram(EP, 1719, GK, 1719, ras({ gatekeeperRequest: { requestSeqNum: 1, rasAddress: taddr(EP, 1719), endpointType: {} } }));
  dgram(GK, 1719, FW, 1719, ras({ gatekeeperConfirm: { requestSeqNum: 1, rasAddress: taddr(GK, 1719) } }));
  const rrq = (ep: string, seq: number): PerValue => ({
    registrationRequest: {
      requestSeqNum: seq,
      callSignalAddress: [taddr(ep, 1720)],
      rasAddress: [taddr(ep, 1719)],
      terminalType: { terminal: {} },
      endpointVendor: { vendor: { t35CountryCode: 9 } },
      timeToLive: 600,
      keepAlive: false,
    },
  });
  const rcf = (ep: string, seq: number, port = 1720): PerValue => ({
    registrationConfirm: { requestSeqNum: seq, callSignalAddress: [taddr(ep, port)], endpointIdentifier: 'EP1', timeToLive: 90, willRespondToIRR: false },
  });
  dgram(EP, 1719, GK, 1719, ras(rrq(EP, 2)));
  dgram(GK, 1719, FW, 1719, ras(rcf(FW, 2)));
  // The gatekeeper's call to the registered address follows to the endpoint.
  conn([GK, 41000], [FW, 1720], [EP, 1720], [GK, 41000])
    .open()
    .sendA(call(5, 11, { setup: { destCallSignalAddress: taddr(FW, 1720), sourceCallSignalAddress: taddr(GK, 41000), conferenceID: 16, sourceInfo: {} } }));
  // Admission: a calling ARQ, then the callee's address (expected from the endpoint, untouched).
  dgram(EP, 1719, GK, 1719, ras({ admissionRequest: { requestSeqNum: 3, endpointIdentifier: 'EP1', srcInfo: [], srcCallSignalAddress: taddr(EP, 1720) } }));
  dgram(GK, 1719, FW, 1719, ras({ admissionConfirm: { requestSeqNum: 3, bandWidth: 640, destCallSignalAddress: taddr(RE, 1720) } }));
  dgram(EP, 1719, GK, 1719, ras({ locationRequest: { requestSeqNum: 4, destinationInfo: [], replyAddress: taddr(EP, 1719) } }));
  // An answering ARQ and ACF (the registered call signal address both ways), an IRR.
  dgram(
    EP,
    1719,
    GK,
    1719,
    ras({ admissionRequest: { requestSeqNum: 8, endpointIdentifier: 'EP1', srcInfo: [], destCallSignalAddress: taddr(EP, 1720), answerCall: true } }),
  );
  dgram(GK, 1719, FW, 1719, ras({ admissionConfirm: { requestSeqNum: 8, bandWidth: 640, destCallSignalAddress: taddr(FW, 1720) } }));
  dgram(
    EP,
    1719,
    GK,
    1719,
    ras({
      infoRequestResponse: { requestSeqNum: 9, endpointType: {}, endpointIdentifier: 'EP1', rasAddress: taddr(EP, 1719), callSignalAddress: [taddr(EP, 1720)] },
    }),
  );
  // GnomeMeeting names a loopback address first: the RRQ's is rewritten with the real one, the URQ's instead of it.
  dgram(
    EP4,
    1718,
    GK,
    1719,
    ras({
      ...rrq(EP4, 10),
      registrationRequest: {
        ...rrq(EP4, 10).registrationRequest,
        callSignalAddress: [taddr('127.0.0.1', 1730), taddr(EP4, 1730)],
        rasAddress: [taddr(EP4, 1718)],
      },
    }),
  );
  dgram(GK, 1719, FW, 1718, ras(rcf(FW, 10, 1730)));
  dgram(EP4, 1718, GK, 1719, ras({ unregistrationRequest: { requestSeqNum: 11, callSignalAddress: [taddr('127.0.0.1', 1730), taddr(EP4, 1730)] } }));
  // Through SNAT: register, confirm, unregister.
  dgram(EP2, 1719, GK, 1719, ras(rrq(EP2, 5)));
  dgram(GK, 1719, FW7, 1719, ras(rcf(FW7, 5)));
  dgram(EP2, 1719, GK, 1719, ras({ unregistrationRequest: { requestSeqNum: 6, callSignalAddress: [taddr(EP2, 1720)] } }));

  // --- A call out through MASQUERADE (the ACF's callee): RELATED, with Q.931.
  const sig = conn([EP, 40001], [RE, 1720], [RE, 1720], [FW, 40001]).open();
  const fast = olc(1, { mediaChannel: h245Addr(EP, 5000), mediaControlChannel: h245Addr(EP, 5001) });
  sig.sendA(
    call(5, 21, {
      setup: {
        h245Address: taddr(EP, 1800),
        destCallSignalAddress: taddr(RE, 1720),
        sourceCallSignalAddress: taddr(EP, 40001),
        conferenceID: 16,
        sourceInfo: {},
        fastStart: [fast],
      },
    }),
  );
  sig.sendB(call(7, 21, { connect: { h245Address: taddr(RE, 1802), conferenceID: 16, destinationInfo: {} } }));
  // A second caller announcing the same RTP port: the pair is held by the first call's, the next pair up is taken.
  const sig3 = conn([EP3, 40003], [RE, 1720], [RE, 1720], [FW, 40003]).open();
  sig3.sendA(
    call(5, 23, {
      setup: { conferenceID: 16, sourceInfo: {}, fastStart: [olc(1, { mediaChannel: h245Addr(EP3, 5000), mediaControlChannel: h245Addr(EP3, 5001) })] },
    }),
  );
  dgram(RE, 7100, FW, 5002, new Uint8Array(20));
  dgram(RE, 7101, FW, 5003, new Uint8Array(20));
  // The callee's H.245 connection (expected from the caller, untranslated, then MASQUERADEd).
  const ctl = conn([EP, 40002], [RE, 1802], [RE, 1802], [FW, 40002]).open();
  ctl.sendA(tpkt(h245({ request: { openLogicalChannel: olc(2, { mediaChannel: h245Addr(EP, 5010), mediaControlChannel: h245Addr(EP, 5011) }) } })));
  ctl.sendB(
    tpkt(
      h245({
        response: {
          openLogicalChannelAck: {
            forwardLogicalChannelNumber: 2,
            forwardMultiplexAckParameters: {
              h2250LogicalChannelAckParameters: { mediaChannel: h245Addr(RE, 6000), mediaControlChannel: h245Addr(RE, 6001) },
            },
          },
        },
      }),
    ),
  );
  const t120 = olc(4, {}, { separateStack: { networkAddress: { localAreaAddress: h245Addr(EP, 1503) } } });
  t120.forwardLogicalChannelParameters.dataType = { data: { application: { t120: { separateLANStack: null } }, maxBitRate: 100 } };
  t120.forwardLogicalChannelParameters.multiplexParameters = { none: null };
  ctl.sendA(tpkt(h245({ request: { openLogicalChannel: t120 } })));
  conn([RE, 42000], [FW, 1503], [EP, 1503], [RE, 42000]).open();
  // Four more channels: three fill the entry's table of RTP ports, the fifth is let through unrewritten and unexpected.
  for (const [n, port] of [
    [5, 5040],
    [6, 5050],
    [7, 5060],
    [8, 5070],
  ] as const)
    ctl.sendA(tpkt(h245({ request: { openLogicalChannel: olc(n, { mediaChannel: h245Addr(EP, port) }) } })));
  dgram(RE, 7040, FW, 5040, new Uint8Array(20));
  dgram(RE, 7070, FW, 5070, new Uint8Array(20));
  // The caller's H.245 connection, from the callee to the translated address: it follows to the caller.
  const ctl2 = conn([RE, 42001], [FW, 1800], [EP, 1800], [RE, 42001]).open();
  ctl2.sendB(
    tpkt(
      h245({
        response: {
          openLogicalChannelAck: {
            forwardLogicalChannelNumber: 3,
            forwardMultiplexAckParameters: {
              h2250LogicalChannelAckParameters: { mediaChannel: h245Addr(EP, 5020), mediaControlChannel: h245Addr(EP, 5021) },
            },
          },
        },
      }),
    ),
  );
  // Media: to the translated RTP and RTCP ports, and from the caller to the callee's.
  dgram(RE, 7000, FW, 5000, new Uint8Array(20));
  dgram(RE, 7001, FW, 5001, new Uint8Array(20));
  dgram(RE, 7010, FW, 5010, new Uint8Array(20));
  dgram(RE, 7020, FW, 5021, new Uint8Array(20));
  dgram(EP, 5000, RE, 6000, new Uint8Array(20));
  // An OpenLogicalChannel tunnelled in a Facility (h245Control): rewritten at its offset in the open type.
  const tunnelled = h245({ request: { openLogicalChannel: olc(9, { mediaChannel: h245Addr(EP, 5080), mediaControlChannel: h245Addr(EP, 5081) }) } });
  sig.sendA(call(0x62, 21, { facility: { reason: { undefinedReason: null } } }, { h245Control: [tunnelled] }));
  dgram(RE, 7080, FW, 5080, new Uint8Array(20));
  // Call forwarding from the caller to a host inside: the callee's forwarded call follows to it.
  sig.sendA(call(0x62, 21, { facility: { reason: { callForwarded: null }, alternativeAddress: taddr(FWD, 1720) } }));
  conn([RE, 42002], [FW, 1720], [FWD, 1720], [RE, 42002]).open();

  // --- A port forward to the inside terminal.
  const fwd = conn([CALLER, 43000], [FW, 1720], [TERM, 1720], [CALLER, 43000]).open();
  fwd.sendA(
    call(5, 41, {
      setup: {
        h245Address: taddr(CALLER, 1900),
        destCallSignalAddress: taddr(FW, 1720),
        sourceCallSignalAddress: taddr(CALLER, 43000),
        conferenceID: 16,
        sourceInfo: {},
        fastStart: [olc(1, { mediaChannel: h245Addr(CALLER, 8000) })],
      },
    }),
  );
  fwd.sendB(
    call(7, 41, {
      connect: {
        h245Address: taddr(TERM, 1901),
        conferenceID: 16,
        destinationInfo: {},
        fastStart: [olc(1, { mediaChannel: h245Addr(TERM, 5030) })],
      },
    }),
  );
  conn([CALLER, 43001], [FW, 1901], [TERM, 1901], [CALLER, 43001]).open();
  dgram(CALLER, 8000, FW, 5030, new Uint8Array(20));
  dgram(TERM, 5030, CALLER, 8000, new Uint8Array(20));

  // --- IPv6 through MASQUERADE: nothing rewritten; the expectations name the firewall's address.
  dgram(EP6, 1719, GK6, 1719, ras(rrq(EP6, 7)));
  dgram(GK6, 1719, FW6, 1719, ras(rcf(FW6, 7)));
  conn([GK6, 41000], [FW6, 1720], [FW6, 1720], [GK6, 41000]).syn();
  const sig6 = conn([EP6, 40001], [RE6, 1720], [RE6, 1720], [FW6, 40001]).open();
  sig6.sendA(
    call(5, 51, {
      setup: {
        h245Address: taddr(EP6, 1800),
        sourceCallSignalAddress: taddr(EP6, 40001),
        conferenceID: 16,
        sourceInfo: {},
        fastStart: [olc(1, { mediaChannel: h245Addr(EP6, 5000), mediaControlChannel: h245Addr(EP6, 5001) })],
      },
    }),
  );
  conn([RE6, 42000], [FW6, 1800], [FW6, 1800], [RE6, 42000]).syn();
  dgram(RE6, 7000, FW6, 5000, new Uint8Array(20));
  dgram(RE6, 7000, EP6, 5000, new Uint8Array(20));
  return { rules, rules6, machine, capture: c };
}
