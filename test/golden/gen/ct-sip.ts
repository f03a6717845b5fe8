/**
 * ct-sip: the sip conntrack helper (`CT --helper sip` on UDP and TCP 5060)
 * through the gateway, both families, with a filter that lets new
 * connections through only to port 5060 and otherwise only ESTABLISHED and
 * RELATED packets, so that every media stream and every incoming call
 * depends on the expectations the signalling made:
 *
 * - a phone inside registers with the proxy outside (its Contact on port
 *   5062; the expectation is inactive until the 200 OK, which sets its
 *   expiry), and the proxy's INVITE to that Contact is RELATED and gets the
 *   sip helper; the call's RTP and RTCP both ways, RELATED first;
 * - an outgoing call with audio and video (183 with SDP, then 200, ACK),
 *   media addresses at session and media level, RTP RELATED; BYE tears the
 *   rest down (RTCP after it is NEW and dropped);
 * - a CANCELled call (CANCEL itself read as nothing; its 487 flushes the
 *   INVITE's media) and a busy one (486);
 * - media named for another host (sip_direct_media: not expected), an odd
 *   port (RTP on the even one below it), an inactive stream (port 0), three
 *   audio streams in one offer (four expectations per entry and class: the
 *   oldest evicted), the same offer seen on a second SIP flow (not expected
 *   again);
 * - messages the helper drops: a response without a code, an INVITE
 *   without CSeq and one whose CSeq is above 2^32 - 1, a media port below 1024,
 *   media without an address, a Contact `expires=` without a number;
 *   messages it lets through unread: OPTIONS without CSeq, a Contact with a
 *   port below 1024 or a host name;
 * - SIP over TCP: a REGISTER and an INVITE in one segment (compact `l:`
 *   and `m:`), an INVITE split over two segments (never read: no media
 *   expected), a segment whose Content-Length runs past its end;
 * - IPv6: a REGISTER with a bracketed Contact and a call with `c=IN IP6`.
 *
 * Expectations are left pending for `kernel.expect` and `kernel.expect6`.
 */
import { ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, type Scenario } from './capture.js';

const FILTER = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m helper --helper sip
-A FORWARD -m conntrack --ctstate RELATED -m conntrack --ctstatus EXPECTED
-A FORWARD -p udp -m conntrack --ctstate RELATED
-A FORWARD -p tcp -m conntrack --ctstate RELATED
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -p udp -m udp --dport 5060 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -p tcp -m tcp --dport 5060 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -p udp -m conntrack --ctstate NEW
-A FORWARD -p tcp -m conntrack --ctstate NEW
COMMIT
`;
const RAW = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp -m udp --dport 5060 -j CT --helper sip
-A PREROUTING -p tcp -m tcp --dport 5060 -j CT --helper sip
COMMIT
`;
export const rules = `# cofw golden: ct-sip (IPv4)\n${RAW}${FILTER}`;
export const rules6 = `# cofw golden: ct-sip (IPv6)\n${RAW}${FILTER}`;

const enc = new TextEncoder();

/** A SIP message: its lines, a Content-Length (unless the lines have one), CRLFs, and the body. */
function sip(lines: string[], body = '', length = true): Uint8Array {
  const b = body.replace(/\n/g, '\r\n');
  const all = length ? [...lines, `Content-Length: ${b.length}`] : lines;
  return enc.encode(`${all.join('\r\n')}\r\n\r\n${b}`);
}

/** An SDP offer or answer: the session's address (or none), then media lines (each `audio 20000` and an optional address). */
function sdp(v6: boolean, session: string | null, media: Array<[string, string?]>): string {
  const ip = v6 ? 'IP6' : 'IP4';
  let s = `v=0\no=- 1 1 IN ${ip} ${session ?? '0.0.0.0'}\ns=call\n`;
  if (session) s += `c=IN ${ip} ${session}\n`;
  s += 't=0 0\n';
  for (const [m, addr] of media) {
    s += `m=${m} RTP/AVP 0\n`;
    if (addr) s += `c=IN ${ip} ${addr}\n`;
  }
  return s;
}

export function build(): Scenario & { rules6: string } {
  const c = new Capture(3_000_000n);
  const rtp = new Uint8Array(20).fill(0x80);
  const side = (v6: boolean) => {
    const ip = (src: string, dst: string, l4: ReturnType<typeof udp>): Uint8Array => (v6 ? ipv6({ src, dst }, l4) : ipv4({ src, dst }, l4));
    const inside = (a: string): boolean => a.startsWith('192.0.2.') || a.startsWith('2001:db8:2::');
    const send = (src: string, dst: string, l4: ReturnType<typeof udp>): void => {
      const p = ip(src, dst, l4);
      const eth = inside(src)
        ? { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01', ethertype: v6 ? 0x86dd : 0x0800 }
        : { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01', ethertype: v6 ? 0x86dd : 0x0800 };
      if (inside(src)) c.host(p, eth);
      else c.wire(p, eth);
    };
    const u = (src: string, sport: number, dst: string, dport: number, payload: Uint8Array): void => send(src, dst, udp({ sport, dport, payload }));
    const t = (src: string, sport: number, dst: string, dport: number, flags: string, seq: number, ack: number, payload?: Uint8Array): void =>
      send(src, dst, tcp({ sport, dport, flags, seq, ack, ...(payload ? { payload } : {}) }));
    return { u, t };
  };

  // ---- IPv4 over UDP ----
  {
    const { u } = side(false);
    const A = '192.0.2.10';
    const B = '192.0.2.11';
    const P = '203.0.113.50';
    const Q = '203.0.113.60';
    const via = (h: string, p = 5060) => `Via: SIP/2.0/UDP ${h}:${p};branch=z9hG4bK${h.length}`;
    // A registers: Contact on 5062, expectation inactive until the 200 OK (expires=600 there).
    u(
      A,
      5060,
      P,
      5060,
      sip([
        'REGISTER sip:203.0.113.50 SIP/2.0',
        via(A),
        'From: <sip:alice@203.0.113.50>;tag=r1',
        'To: <sip:alice@203.0.113.50>',
        'Call-ID: reg1@192.0.2.10',
        'CSeq: 1 REGISTER',
        'Contact: <sip:alice@192.0.2.10:5062>',
        'Expires: 3600',
      ]),
    );
    u(
      P,
      5060,
      A,
      5060,
      sip([
        'SIP/2.0 200 OK',
        via(A),
        'From: <sip:alice@203.0.113.50>;tag=r1',
        'To: <sip:alice@203.0.113.50>;tag=r2',
        'Call-ID: reg1@192.0.2.10',
        'CSeq: 1 REGISTER',
        'Contact: <sip:alice@192.0.2.10:5062>;expires=600',
      ]),
    );
    // The proxy calls A at its Contact: RELATED, with the sip helper; media both ways.
    u(
      P,
      5060,
      A,
      5062,
      sip(
        [
          'INVITE sip:alice@192.0.2.10:5062 SIP/2.0',
          via(P),
          'From: <sip:bob@203.0.113.50>;tag=i1',
          'To: <sip:alice@192.0.2.10>',
          'Call-ID: in1@203.0.113.50',
          'CSeq: 10 INVITE',
          'Contact: <sip:bob@203.0.113.50>',
          'Content-Type: application/sdp',
        ],
        sdp(false, P, [['audio 30000']]),
      ),
    );
    u(A, 5062, P, 5060, sip(['SIP/2.0 180 Ringing', via(P), 'CSeq: 10 INVITE']));
    u(
      A,
      5062,
      P,
      5060,
      sip(
        ['SIP/2.0 200 OK', via(P), 'CSeq: 10 INVITE', 'Contact: <sip:alice@192.0.2.10:5062>', 'Content-Type: application/sdp'],
        sdp(false, A, [['audio 20000']]),
      ),
    );
    u(P, 5060, A, 5062, sip(['ACK sip:alice@192.0.2.10:5062 SIP/2.0', via(P), 'CSeq: 10 ACK']));
    u(A, 20000, P, 30000, rtp);
    u(P, 30000, A, 20000, rtp);
    u(P, 30001, A, 20001, rtp);
    u(A, 20001, P, 30001, rtp);
    // The proxy's BYE: nothing left to flush on that entry; a second RTP flow to the used port is NEW.
    u(P, 5060, A, 5062, sip(['BYE sip:alice@192.0.2.10:5062 SIP/2.0', via(P), 'CSeq: 11 BYE']));
    u(P, 30002, A, 20000, rtp);

    // A calls out with audio (session address) and video (its own address); 183 with SDP, 200, ACK.
    const inv = (cseq: number, body: string, extra: string[] = []): Uint8Array =>
      sip(
        [
          'INVITE sip:carol@203.0.113.50 SIP/2.0',
          via(A),
          'From: <sip:alice@203.0.113.50>;tag=o1',
          'To: <sip:carol@203.0.113.50>',
          'Call-ID: out1@192.0.2.10',
          `CSeq: ${cseq} INVITE`,
          'Contact: <sip:alice@192.0.2.10>',
          ...extra,
          'Content-Type: application/sdp',
        ],
        body,
      );
    const resp = (code: string, cseq: number, method: string, body = ''): Uint8Array => sip([`SIP/2.0 ${code}`, via(A), `CSeq: ${cseq} ${method}`], body);
    u(A, 5060, P, 5060, inv(2, sdp(false, A, [['audio 21000'], ['video 21002', A]])));
    u(P, 5060, A, 5060, resp('183 Session Progress', 2, 'INVITE', sdp(false, P, [['audio 31000'], ['video 31002']])));
    u(P, 5060, A, 5060, resp('200 OK', 2, 'INVITE', sdp(false, P, [['audio 31000'], ['video 31002']])));
    u(A, 5060, P, 5060, sip(['ACK sip:carol@203.0.113.50 SIP/2.0', via(A), 'CSeq: 2 ACK']));
    u(P, 31000, A, 21000, rtp);
    u(A, 21002, P, 31002, rtp);
    // BYE from A: the media expectations left go (RTCP after it is NEW).
    u(A, 5060, P, 5060, sip(['BYE sip:carol@203.0.113.50 SIP/2.0', via(A), 'CSeq: 3 BYE']));
    u(P, 5060, A, 5060, resp('200 OK', 3, 'BYE'));
    u(P, 31001, A, 21001, rtp);
    u(A, 21001, P, 31001, rtp);

    // A CANCELled call: CANCEL is not read; the 487 to the INVITE flushes its media.
    u(A, 5060, P, 5060, inv(4, sdp(false, A, [['audio 22000']])));
    u(P, 5060, A, 5060, resp('180 Ringing', 4, 'INVITE'));
    u(A, 5060, P, 5060, sip(['CANCEL sip:carol@203.0.113.50 SIP/2.0', via(A), 'CSeq: 4 CANCEL']));
    u(P, 5060, A, 5060, resp('200 OK', 4, 'CANCEL'));
    u(P, 5060, A, 5060, resp('487 Request Terminated', 4, 'INVITE'));
    u(P, 32000, A, 22000, rtp);
    // A busy callee: 486 to the INVITE, same.
    u(A, 5060, P, 5060, inv(5, sdp(false, A, [['audio 23000']])));
    u(P, 5060, A, 5060, resp('486 Busy Here', 5, 'INVITE'));
    u(P, 33000, A, 23000, rtp);
    // A late 4xx for an older INVITE leaves the newest's media alone.
    u(A, 5060, P, 5060, inv(6, sdp(false, A, [['audio 24001']])));
    u(P, 5060, A, 5060, resp('408 Request Timeout', 5, 'INVITE'));
    // Odd port: RTP on the even port below it, RTCP on the odd one.
    u(P, 34000, A, 24000, rtp);
    u(P, 34001, A, 24001, rtp);

    // Media named for another host, an inactive stream, then three audio streams (the oldest two evicted).
    u(A, 5060, P, 5060, inv(7, sdp(false, A, [['audio 25000', B], ['audio 0'], ['video 25002']])));
    u(B, 25000, P, 35000, rtp);
    u(P, 35000, B, 25000, rtp);
    u(A, 5060, P, 5060, inv(8, sdp(false, A, [['audio 26000'], ['audio 26002'], ['audio 26004']])));
    u(P, 36000, A, 26000, rtp);
    u(P, 36000, A, 26004, rtp);
    // The same offer on a second flow of A's (another source port): not expected again.
    u(
      A,
      5070,
      P,
      5060,
      sip(['INVITE sip:dave@203.0.113.50 SIP/2.0', via(A, 5070), 'CSeq: 1 INVITE', 'Content-Type: application/sdp'], sdp(false, A, [['audio 26002']])),
    );

    // Dropped by the helper.
    u(P, 5060, A, 5060, sip(['SIP/2.0 OK', via(A), 'CSeq: 8 INVITE']));
    u(A, 5060, P, 5060, sip(['INVITE sip:carol@203.0.113.50 SIP/2.0', via(A), 'Content-Type: application/sdp'], sdp(false, A, [['audio 27000']])));
    u(A, 5060, P, 5060, sip(['INVITE sip:carol@203.0.113.50 SIP/2.0', via(A), 'CSeq: 4294967296 INVITE']));
    u(A, 5060, P, 5060, inv(9, sdp(false, A, [['audio 80']])));
    u(A, 5060, P, 5060, inv(10, sdp(false, null, [['audio 27002']])));
    u(B, 5060, P, 5060, sip(['REGISTER sip:203.0.113.50 SIP/2.0', via(B), 'CSeq: 1 REGISTER', 'Contact: <sip:bob@192.0.2.11:5060>;expires=soon']));
    // Let through unread, or read and ignored.
    u(B, 5060, P, 5060, sip(['OPTIONS sip:203.0.113.50 SIP/2.0', via(B)]));
    u(B, 5060, P, 5060, sip(['REGISTER sip:203.0.113.50 SIP/2.0', via(B), 'CSeq: 2 REGISTER', 'Contact: <sip:bob@192.0.2.11:999>', 'Expires: 60']));
    u(B, 5060, P, 5060, sip(['REGISTER sip:203.0.113.50 SIP/2.0', via(B), 'CSeq: 3 REGISTER', 'Contact: <sip:bob@phone.example>', 'Expires: 60']));
    // A registration whose 200 OK names another Contact: its expectation is removed.
    u(B, 5060, Q, 5060, sip(['REGISTER sip:203.0.113.60 SIP/2.0', via(B), 'CSeq: 4 REGISTER', 'm: <sip:bob@192.0.2.11:5064>;expires=300']));
    u(Q, 5060, B, 5060, sip(['SIP/2.0 200 OK', via(B), 'CSeq: 4 REGISTER', 'Contact: <sip:bob@192.0.2.99:5064>;expires=300']));
    u(Q, 5060, B, 5064, sip(['INVITE sip:bob@192.0.2.11:5064 SIP/2.0', via(Q), 'CSeq: 1 INVITE']));
    // One left inactive (no answer yet).
    u(B, 5060, P, 5060, sip(['REGISTER sip:203.0.113.50 SIP/2.0', via(B), 'CSeq: 5 REGISTER', 'Contact: <sip:bob@192.0.2.11:5066>', 'Expires: 120']));
  }

  // ---- IPv4 over TCP ----
  {
    const { t, u } = side(false);
    const C = '192.0.2.20';
    const P = '203.0.113.50';
    let cs = 1000;
    let ps = 900000;
    t(C, 40000, P, 5060, 'S', cs++, 0);
    t(P, 5060, C, 40000, 'SA', ps++, cs);
    t(C, 40000, P, 5060, 'A', cs, ps);
    const cl = (payload: Uint8Array): void => {
      t(C, 40000, P, 5060, 'PA', cs, ps, payload);
      cs += payload.length;
    };
    const sv = (payload: Uint8Array): void => {
      t(P, 5060, C, 40000, 'PA', ps, cs, payload);
      ps += payload.length;
    };
    const via = 'Via: SIP/2.0/TCP 192.0.2.20:40000;branch=z9hG4bKt';
    // REGISTER and INVITE in one segment, compact forms.
    const reg = sip(
      ['REGISTER sip:203.0.113.50 SIP/2.0', via, 'CSeq: 1 REGISTER', 'm: <sip:erin@192.0.2.20:5060;transport=tcp>;expires=200', 'l: 0'],
      '',
      false,
    );
    const body = sdp(false, C, [['audio 28000']]).replace(/\n/g, '\r\n');
    const inv = sip(
      ['INVITE sip:frank@203.0.113.50 SIP/2.0', via, 'CSeq: 2 INVITE', 'Content-Type: application/sdp', `l: ${body.length}`],
      sdp(false, C, [['audio 28000']]),
      false,
    );
    cl(new Uint8Array([...reg, ...inv]));
    sv(sip(['SIP/2.0 200 OK', via, 'CSeq: 1 REGISTER', 'Contact: <sip:erin@192.0.2.20:5060;transport=TCP>;expires=200']));
    t(P, 41000, C, 5060, 'S', 5000, 0);
    t(C, 5060, P, 41000, 'SA', 7000, 5001);
    sv(sip(['SIP/2.0 200 OK', via, 'CSeq: 2 INVITE', 'Content-Type: application/sdp'], sdp(false, P, [['audio 38000']])));
    u(P, 38000, C, 28000, rtp);
    u(C, 28000, P, 38000, rtp);
    // An INVITE split over two segments: never read.
    const split = sip(['INVITE sip:gina@203.0.113.50 SIP/2.0', via, 'CSeq: 3 INVITE', 'Content-Type: application/sdp'], sdp(false, C, [['audio 28100']]));
    cl(split.subarray(0, 60));
    cl(split.subarray(60));
    // Content-Length beyond the segment: not read either.
    cl(
      sip(
        ['INVITE sip:hank@203.0.113.50 SIP/2.0', via, 'CSeq: 4 INVITE', 'Content-Length: 900', 'Content-Type: application/sdp'],
        sdp(false, C, [['audio 28200']]),
        false,
      ),
    );
  }

  // ---- IPv6 over UDP ----
  {
    const { u } = side(true);
    const A = '2001:db8:2::10';
    const P = '2001:db8:ff::50';
    u(
      A,
      5060,
      P,
      5060,
      sip([
        'REGISTER sip:[2001:db8:ff::50] SIP/2.0',
        'Via: SIP/2.0/UDP [2001:db8:2::10]:5060',
        'CSeq: 1 REGISTER',
        'Contact: <sip:alice@[2001:db8:2::10]:5062>;expires=900',
      ]),
    );
    u(
      P,
      5060,
      A,
      5060,
      sip(['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP [2001:db8:2::10]:5060', 'CSeq: 1 REGISTER', 'Contact: <sip:alice@[2001:db8:2::10]:5062>;expires=900']),
    );
    u(
      A,
      5060,
      P,
      5060,
      sip(
        ['INVITE sip:bob@[2001:db8:ff::50] SIP/2.0', 'Via: SIP/2.0/UDP [2001:db8:2::10]:5060', 'CSeq: 2 INVITE', 'Content-Type: application/sdp'],
        sdp(true, A, [['audio 20000']]),
      ),
    );
    u(P, 5060, A, 5060, sip(['SIP/2.0 200 OK', 'CSeq: 2 INVITE', 'Content-Type: application/sdp'], sdp(true, P, [['audio 30000']])));
    u(P, 30000, A, 20000, rtp);
    u(A, 20000, P, 30000, rtp);
    u(A, 20001, P, 30001, rtp);
    u(P, 5061, A, 5062, sip(['OPTIONS sip:alice@[2001:db8:2::10]:5062 SIP/2.0', 'CSeq: 1 OPTIONS']));
  }
  return { rules, rules6, capture: c };
}
