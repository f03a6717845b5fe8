/**
 * ct-sip-nat: the sip helper on NATed signalling (nf_nat_sip), both
 * families, UDP and TCP: phones inside behind MASQUERADE (192.0.2.0/24 as
 * 198.51.100.1, 2001:db8:2::/64 as 2001:db8:100::1) and a DNAT port
 * forward of UDP and TCP 5070 to an inside phone's 5060, with a filter that
 * passes only new signalling, a helper's RELATED connections and
 * ESTABLISHED:
 *
 * - a phone registers through MASQUERADE (Via with `rport`, Contact and the
 *   signalling expectation at 198.51.100.1:5060 rewritten, the 200's Via,
 *   `received=` and Contact back to the inside address), the proxy's call
 *   to the registered Contact (RELATED, DNATed to the phone);
 * - an outgoing call: SDP `o=`/`c=` rewritten (Content-Length two bytes per
 *   address longer), the answer's media expected from the phone; RTP out
 *   first (its source the port the offer expected: the paired
 *   expectation), RTCP in first (DNATed to the phone);
 * - a second phone offering the media port the first has expected from the
 *   same proxy: the translated expectation is the first's to the letter
 *   (-EALREADY, not a clash), so the kernel drops the INVITE ("all ports in
 *   use for SDP media") instead of taking the next pair; offered again on
 *   another port, it passes;
 * - the port forward: an incoming call to 198.51.100.1:5070 (Request-URI
 *   and To rewritten to the phone), its 200 (Contact and To back to
 *   198.51.100.1:5070, SDP to the public address), media both ways, the
 *   phone's own BYE with `maddr=`, `rport` and the caller's answer with
 *   `received=` and `rport=` rewritten; a caller whose Via names another
 *   port than it sends from (forced_dport: the answers go to the Via's port);
 * - SIP over TCP through MASQUERADE: REGISTER and INVITE in one segment,
 *   both rewritten (the sequence adjustment shifts everything after it),
 *   the proxy's answers, the registrar's TCP call to the Contact;
 * - IPv6: a REGISTER and a call with bracketed addresses and `c=IN IP6`.
 *
 * `kernel.expect` and `kernel.expect6` hold what is left pending; sent
 * packets recorded.
 */
import { ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, type Scenario } from './capture.js';

const FILTER = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m helper --helper sip
-A FORWARD -m conntrack --ctstate RELATED -m conntrack --ctstate DNAT
-A FORWARD -p udp -m conntrack --ctstate RELATED
-A FORWARD -p tcp -m conntrack --ctstate RELATED
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i eth1 -p udp -m udp --dport 5060 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -i eth1 -p tcp -m tcp --dport 5060 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -i eth0 -m conntrack --ctstate NEW --ctorigdstport 5070 -j ACCEPT
-A FORWARD -p udp -m conntrack --ctstate NEW
-A FORWARD -p tcp -m conntrack --ctstate NEW
COMMIT
`;
const RAW = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp -m udp --dport 5060 -j CT --helper sip
-A PREROUTING -p tcp -m tcp --dport 5060 -j CT --helper sip
-A PREROUTING -p udp -m udp --dport 5070 -j CT --helper sip
-A PREROUTING -p tcp -m tcp --dport 5070 -j CT --helper sip
COMMIT
`;
const nat = (inside: string, phone: string): string => `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i eth0 -p udp -m udp --dport 5070 -j DNAT --to-destination ${phone}
-A PREROUTING -i eth0 -p tcp -m tcp --dport 5070 -j DNAT --to-destination ${phone}
-A POSTROUTING -s ${inside} -o eth0 -j MASQUERADE
COMMIT
`;
export const rules = `# cofw golden: ct-sip-nat (IPv4)\n${RAW}${nat('192.0.2.0/24', '192.0.2.20:5060')}${FILTER}`;
export const rules6 = `# cofw golden: ct-sip-nat (IPv6)\n${RAW}${nat('2001:db8:2::/64', '[2001:db8:2::20]:5060')}${FILTER}`;

const enc = new TextEncoder();

/** A SIP message: its lines, a Content-Length, CRLFs, and the body (LF turned into CRLF). */
export function sip(lines: string[], body = ''): string {
  const b = body.replace(/\n/g, '\r\n');
  return `${[...lines, `Content-Length: ${b.length}`].join('\r\n')}\r\n\r\n${b}`;
}

/** An SDP body: owner and session connection at `addr`, one audio line (with its own `c=` when `media` is given). */
export function sdp(v6: boolean, addr: string, port: number, media?: string): string {
  const ip = v6 ? 'IP6' : 'IP4';
  let s = `v=0\no=- 7 7 IN ${ip} ${addr}\ns=call\nc=IN ${ip} ${addr}\nt=0 0\nm=audio ${port} RTP/AVP 0 8\n`;
  if (media) s += `c=IN ${ip} ${media}\n`;
  return `${s}a=rtpmap:0 PCMU/8000\n`;
}

export function build(): Scenario & { rules6: string } {
  const c = new Capture(4_000_000n);
  const rtp = new Uint8Array(32).fill(0x80);
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
    const u = (src: string, sport: number, dst: string, dport: number, payload: string | Uint8Array): void =>
      send(src, dst, udp({ sport, dport, payload: typeof payload === 'string' ? enc.encode(payload) : payload }));
    const t = (src: string, sport: number, dst: string, dport: number, flags: string, seq: number, ack: number, payload?: string): void =>
      send(src, dst, tcp({ sport, dport, flags, seq, ack, ...(payload ? { payload: enc.encode(payload) } : {}) }));
    return { u, t };
  };
  const OUT = '198.51.100.1';

  // ---- IPv4 over UDP ----
  {
    const { u } = side(false);
    const A = '192.0.2.10';
    const C = '192.0.2.11';
    const B = '192.0.2.20';
    const P = '203.0.113.50';
    const Q = '203.0.113.60';
    const R = '203.0.113.70';
    const via = (h: string, p: number, extra = '') => `Via: SIP/2.0/UDP ${h}:${p};branch=z9hG4bK-${p}${extra}`;

    // A registers through MASQUERADE: Via (with rport), Contact rewritten; the expectation for the proxy's calls at 198.51.100.1:5060.
    u(
      A,
      5060,
      P,
      5060,
      sip([
        'REGISTER sip:203.0.113.50 SIP/2.0',
        via(A, 5060, ';rport'),
        'From: <sip:alice@203.0.113.50>;tag=r1',
        'To: <sip:alice@203.0.113.50>',
        'Call-ID: reg1-alice',
        'CSeq: 1 REGISTER',
        'Contact: <sip:alice@192.0.2.10:5060>',
        'Expires: 3600',
      ]),
    );
    // The proxy answers what it saw: Via and Contact at the public address, received= and rport= filled in.
    u(
      P,
      5060,
      OUT,
      5060,
      sip([
        'SIP/2.0 200 OK',
        `Via: SIP/2.0/UDP ${OUT}:5060;branch=z9hG4bK-5060;rport=5060;received=${OUT}`,
        'From: <sip:alice@203.0.113.50>;tag=r1',
        'To: <sip:alice@203.0.113.50>;tag=r2',
        'Call-ID: reg1-alice',
        'CSeq: 1 REGISTER',
        `Contact: <sip:alice@${OUT}:5060>;expires=600`,
      ]),
    );
    // An outgoing call with audio: o= and c= rewritten, Content-Length with them.
    const inv = (from: string, sport: number, cseq: number, body: string, callid: string): string =>
      sip(
        [
          'INVITE sip:bob@203.0.113.50 SIP/2.0',
          via(from, sport),
          `From: <sip:a${sport}@203.0.113.50>;tag=i${cseq}`,
          'To: <sip:bob@203.0.113.50>',
          `Call-ID: ${callid}`,
          `CSeq: ${cseq} INVITE`,
          `Contact: <sip:a@${from}:${sport}>`,
          'Content-Type: application/sdp',
        ],
        body,
      );
    u(A, 5060, P, 5060, inv(A, 5060, 2, sdp(false, A, 16384), 'call1'));
    const ok = (to: string, port: number, cseq: number, method: string, body: string, callid: string, contact = `${P}:5060`): string =>
      sip(
        [
          'SIP/2.0 200 OK',
          `Via: SIP/2.0/UDP ${to}:${port};branch=z9hG4bK-${port}`,
          `From: <sip:a${port}@203.0.113.50>;tag=i${cseq}`,
          'To: <sip:bob@203.0.113.50>;tag=b1',
          `Call-ID: ${callid}`,
          `CSeq: ${cseq} ${method}`,
          `Contact: <sip:bob@${contact}>`,
          ...(body ? ['Content-Type: application/sdp'] : []),
        ],
        body,
      );
    u(P, 5060, OUT, 5060, ok(OUT, 5060, 2, 'INVITE', sdp(false, P, 30000), 'call1'));
    // RTP out first: it leaves from the port the offer announced (the paired expectation); RTP back; RTCP in first.
    u(A, 16384, P, 30000, rtp);
    u(P, 30000, OUT, 16384, rtp);
    u(P, 30001, OUT, 16385, rtp);
    u(A, 16385, P, 30001, rtp);

    // A second phone (from 5062) offering the same port to the same proxy: the translated RTP expectation
    // is A's to the letter (-EALREADY, not a clash): "all ports in use for SDP media", dropped; offered again
    // on another port, it passes.
    u(C, 5062, P, 5060, inv(C, 5062, 1, sdp(false, C, 16384), 'call2'));
    u(C, 5062, P, 5060, inv(C, 5062, 1, sdp(false, C, 16500), 'call2'));
    u(P, 5060, OUT, 5062, ok(OUT, 5062, 1, 'INVITE', sdp(false, P, 30100), 'call2'));
    u(P, 30100, OUT, 16500, rtp);
    u(C, 16500, P, 30100, rtp);
    // A's first call ends: BYE flushes its media.
    u(A, 5060, P, 5060, sip(['BYE sip:bob@203.0.113.50 SIP/2.0', via(A, 5060), 'From: <sip:a5060@203.0.113.50>;tag=i2', 'Call-ID: call1', 'CSeq: 4 BYE']));
    // The proxy calls A at its registered Contact (from another port): RELATED, DNATed to A:5060.
    u(
      P,
      5080,
      OUT,
      5060,
      sip([
        `INVITE sip:alice@${OUT}:5060 SIP/2.0`,
        `Via: SIP/2.0/UDP ${P}:5080;branch=z9hG4bK-in1`,
        'From: <sip:carol@203.0.113.50>;tag=c1',
        `To: <sip:alice@${OUT}:5060>`,
        'Call-ID: call5',
        'CSeq: 1 INVITE',
        `Contact: <sip:carol@${P}:5060>`,
      ]),
    );

    // The port forward: Q calls B at 198.51.100.1:5070.
    const fwd = (from: string, sport: number, viaPort: number, cseq: number, callid: string, mport: number): string =>
      sip(
        [
          `INVITE sip:bob@${OUT}:5070 SIP/2.0`,
          via(from, viaPort),
          `From: <sip:q@${from}:${viaPort}>;tag=q${cseq}`,
          `To: <sip:bob@${OUT}:5070>`,
          `Call-ID: ${callid}`,
          `CSeq: ${cseq} INVITE`,
          `Contact: <sip:q@${from}:${viaPort}>`,
          'Content-Type: application/sdp',
        ],
        sdp(false, from, mport),
      );
    u(Q, 5060, OUT, 5070, fwd(Q, 5060, 5060, 1, 'call6', 40000));
    // B answers with its own addresses: Contact, To and the SDP go out as 198.51.100.1:5070 (media at the media level).
    const bok = (to: string, toPort: number, cseq: number, callid: string, body: string): string =>
      sip(
        [
          'SIP/2.0 200 OK',
          `Via: SIP/2.0/UDP ${to}:${toPort};branch=z9hG4bK-${toPort}`,
          `From: <sip:q@${to}:${toPort}>;tag=q${cseq}`,
          `To: <sip:bob@${B}:5060>;tag=b${cseq}`,
          `Call-ID: ${callid}`,
          `CSeq: ${cseq} INVITE`,
          `Contact: <sip:bob@${B}:5060>`,
          'Content-Type: application/sdp',
        ],
        body,
      );
    u(B, 5060, Q, 5060, bok(Q, 5060, 1, 'call6', sdp(false, B, 20000, B)));
    u(Q, 40000, OUT, 20000, rtp);
    u(B, 20000, Q, 40000, rtp);
    u(B, 20001, Q, 40001, rtp);
    // B hangs up: its Via (rport, maddr=) goes out as 198.51.100.1:5070; Q's answer comes back with received= and rport=.
    u(
      B,
      5060,
      Q,
      5060,
      sip([
        `BYE sip:q@${Q}:5060 SIP/2.0`,
        `Via: SIP/2.0/UDP ${B}:5060;rport;maddr=${B};branch=z9hG4bK-bye`,
        `From: <sip:bob@${B}:5060>;tag=b1`,
        `To: <sip:q@${Q}:5060>;tag=q1`,
        'Call-ID: call6',
        'CSeq: 2 BYE',
      ]),
    );
    u(
      Q,
      5060,
      OUT,
      5070,
      sip([
        'SIP/2.0 200 OK',
        `Via: SIP/2.0/UDP ${OUT}:5070;rport=5070;received=${OUT};maddr=${OUT};branch=z9hG4bK-bye`,
        `From: <sip:bob@${OUT}:5070>;tag=b1`,
        `To: <sip:q@${Q}:5060>;tag=q1`,
        'Call-ID: call6',
        'CSeq: 2 BYE',
      ]),
    );
    // R sends from 40123 but its Via names 5060: B's answers go to R's port 5060.
    u(R, 40123, OUT, 5070, fwd(R, 40123, 5060, 1, 'call7', 41000));
    u(B, 5060, R, 40123, bok(R, 5060, 1, 'call7', sdp(false, B, 20002)));
    u(R, 41000, OUT, 20002, rtp);
  }

  // ---- IPv4 over TCP ----
  {
    const { t } = side(false);
    const D = '192.0.2.12';
    const P = '203.0.113.50';
    // What the firewall makes of D's messages: every mention of D's address names the public one.
    const grow = (s: string): number => {
      const n = s.split(D).length - 1;
      return n * (OUT.length - D.length);
    };
    let a = 1_000_000;
    let b = 5_000_000;
    let shift = 0;
    t(D, 40000, P, 5060, 'S', a, 0);
    t(P, 5060, OUT, 40000, 'SA', b, a + 1);
    a++;
    b++;
    t(D, 40000, P, 5060, 'A', a, b);
    const reg = sip([
      'REGISTER sip:203.0.113.50;transport=tcp SIP/2.0',
      `Via: SIP/2.0/TCP ${D}:40000;branch=z9hG4bK-t1`,
      'From: <sip:dave@203.0.113.50>;tag=t1',
      'To: <sip:dave@203.0.113.50>',
      'Call-ID: reg-dave',
      'CSeq: 1 REGISTER',
      `Contact: <sip:dave@${D}:5060;transport=tcp>`,
      'Expires: 600',
    ]);
    const body = sdp(false, D, 18000);
    const invite = sip(
      [
        'INVITE sip:erin@203.0.113.50;transport=tcp SIP/2.0',
        `Via: SIP/2.0/TCP ${D}:40000;branch=z9hG4bK-t2`,
        'From: <sip:dave@203.0.113.50>;tag=t2',
        'To: <sip:erin@203.0.113.50>',
        'Call-ID: call-dave',
        'CSeq: 1 INVITE',
        `Contact: <sip:dave@${D}:40000;transport=tcp>`,
        'Content-Type: application/sdp',
      ],
      body,
    );
    // Content-Length grows with the SDP (two digits stay two or three: counted by the rewritten body).
    const seg = reg + invite;
    const bodyGrow = grow(body.replace(/\n/g, '\r\n'));
    const clenGrow = `${body.replace(/\n/g, '\r\n').length + bodyGrow}`.length - `${body.replace(/\n/g, '\r\n').length}`.length;
    t(D, 40000, P, 5060, 'PA', a, b, seg);
    a += seg.length;
    shift += grow(seg) + clenGrow;
    const r1 = sip([
      'SIP/2.0 200 OK',
      `Via: SIP/2.0/TCP ${OUT}:40000;branch=z9hG4bK-t1`,
      'From: <sip:dave@203.0.113.50>;tag=t1',
      'To: <sip:dave@203.0.113.50>;tag=p1',
      'Call-ID: reg-dave',
      'CSeq: 1 REGISTER',
      `Contact: <sip:dave@${OUT}:5060;transport=tcp>;expires=600`,
    ]);
    t(P, 5060, OUT, 40000, 'PA', b, a + shift, r1);
    b += r1.length;
    // D's ACK in its own numbering (the firewall adds the shift to its sequence numbers).
    t(D, 40000, P, 5060, 'A', a, b - (OUT.length - D.length));
    const r2 = sip(
      [
        'SIP/2.0 200 OK',
        `Via: SIP/2.0/TCP ${OUT}:40000;branch=z9hG4bK-t2`,
        'From: <sip:dave@203.0.113.50>;tag=t2',
        'To: <sip:erin@203.0.113.50>;tag=p2',
        'Call-ID: call-dave',
        'CSeq: 1 INVITE',
        `Contact: <sip:erin@${P}:5060;transport=tcp>`,
        'Content-Type: application/sdp',
      ],
      sdp(false, P, 31000),
    );
    t(P, 5060, OUT, 40000, 'PA', b, a + shift, r2);
    b += r2.length;
    // The media of the TCP call.
    const { u } = side(false);
    u(D, 18000, P, 31000, rtp);
    u(P, 31000, OUT, 18000, rtp);
    // The registrar's TCP call to the registered Contact: RELATED, DNATed to D:5060.
    t(P, 41000, OUT, 5060, 'S', 9_000_000, 0);
    t(D, 5060, P, 41000, 'SA', 9_500_000, 9_000_001);
    t(P, 41000, OUT, 5060, 'A', 9_000_001, 9_500_001);
    // D's own ACK after the responses, still unshifted.
    t(D, 40000, P, 5060, 'A', a, b - 2 * (OUT.length - D.length));
  }

  // ---- IPv6 over UDP ----
  {
    const { u } = side(true);
    const A = '2001:db8:2::10';
    const P = '2001:db8:113::50';
    const O6 = '2001:db8:100::1';
    u(
      A,
      5060,
      P,
      5060,
      sip([
        'REGISTER sip:[2001:db8:113::50] SIP/2.0',
        `Via: SIP/2.0/UDP [${A}]:5060;rport;branch=z9hG4bK-6r`,
        'From: <sip:alice@[2001:db8:113::50]>;tag=6r',
        'To: <sip:alice@[2001:db8:113::50]>',
        'Call-ID: reg6',
        'CSeq: 1 REGISTER',
        `Contact: <sip:alice@[${A}]:5060>`,
        'Expires: 3600',
      ]),
    );
    u(
      P,
      5060,
      O6,
      5060,
      sip([
        'SIP/2.0 200 OK',
        `Via: SIP/2.0/UDP [${O6}]:5060;rport=5060;received=${O6};branch=z9hG4bK-6r`,
        'From: <sip:alice@[2001:db8:113::50]>;tag=6r',
        'To: <sip:alice@[2001:db8:113::50]>;tag=6s',
        'Call-ID: reg6',
        'CSeq: 1 REGISTER',
        `Contact: <sip:alice@[${O6}]:5060>;expires=900`,
      ]),
    );
    u(
      A,
      5060,
      P,
      5060,
      sip(
        [
          'INVITE sip:bob@[2001:db8:113::50] SIP/2.0',
          `Via: SIP/2.0/UDP [${A}]:5060;branch=z9hG4bK-6i`,
          'From: <sip:alice@[2001:db8:113::50]>;tag=6i',
          'To: <sip:bob@[2001:db8:113::50]>',
          'Call-ID: call6v6',
          'CSeq: 2 INVITE',
          `Contact: <sip:alice@[${A}]:5060>`,
          'Content-Type: application/sdp',
        ],
        sdp(true, A, 16384),
      ),
    );
    u(
      P,
      5060,
      O6,
      5060,
      sip(
        [
          'SIP/2.0 200 OK',
          `Via: SIP/2.0/UDP [${O6}]:5060;branch=z9hG4bK-6i`,
          'From: <sip:alice@[2001:db8:113::50]>;tag=6i',
          'To: <sip:bob@[2001:db8:113::50]>;tag=6b',
          'Call-ID: call6v6',
          'CSeq: 2 INVITE',
          `Contact: <sip:bob@[${P}]:5060>`,
          'Content-Type: application/sdp',
        ],
        sdp(true, P, 30000),
      ),
    );
    u(P, 30000, O6, 16384, rtp);
    u(A, 16384, P, 30000, rtp);
  }
  return { rules, rules6, capture: c };
}
