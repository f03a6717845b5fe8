/**
 * ct-sip-nat-edges: nf_nat_sip at the edges of its rules, with ct-sip-nat's
 * rules (MASQUERADE, the DNAT port forward of 5070), both families:
 *
 * - a REGISTER whose Via names another host (left alone), whose From has no
 *   port (5060 assumed: written back with the translated address and
 *   `:5060`) and whose Contact is on port 65534 (expected at
 *   198.51.100.1:65534); a second phone registering a Contact on 65534
 *   too: the translated expectation clashes with the first's (another
 *   master: -EBUSY), the one port left to try is taken, "all ports in use
 *   for SIP", dropped;
 * - the registrar's 200 listing `198.51.100.1:5060` twice in one Contact
 *   header and 65534 on another line: the first rewritten two bytes shorter,
 *   the search goes on from where it ended before the rewrite, past the
 *   comma: the second is left as it was. (The first Contact, without
 *   `expires=` in a 200 without Expires, ends the helper's own reading: the
 *   expectation is removed, and the registrar's OPTIONS to 65534 is the
 *   firewall's own.)
 * - an INVITE whose SDP has no `o=` line: its media are expected (RTP from
 *   the proxy RELATED) but the session cannot be rewritten and the kernel
 *   drops the INVITE without a log line;
 * - an offer whose last stream names another host: the session's `o=` and
 *   `c=` get that host's address (the last stream's, untranslated);
 * - IPv6 through the port forward: the phone's BYE with `maddr=` in
 *   brackets and `rport`, the caller's answer with `received=` and `rport=`.
 */
import { ipv4, ipv6, udp } from '../../../src/packet/build.js';
import { Capture, type Scenario } from './capture.js';
import { rules as natRules, rules6 as natRules6, sdp, sip } from './ct-sip-nat.js';

export const rules = natRules.replace('ct-sip-nat (IPv4)', 'ct-sip-nat-edges (IPv4)');
export const rules6 = natRules6.replace('ct-sip-nat (IPv6)', 'ct-sip-nat-edges (IPv6)');

const enc = new TextEncoder();

export function build(): Scenario & { rules6: string } {
  const c = new Capture(4_000_000n);
  const rtp = new Uint8Array(32).fill(0x80);
  const u = (src: string, sport: number, dst: string, dport: number, payload: string | Uint8Array): void => {
    const v6 = src.includes(':');
    const l4 = udp({ sport, dport, payload: typeof payload === 'string' ? enc.encode(payload) : payload });
    const p = v6 ? ipv6({ src, dst }, l4) : ipv4({ src, dst }, l4);
    const inside = src.startsWith('192.0.2.') || src.startsWith('2001:db8:2::');
    const eth = inside
      ? { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01', ethertype: v6 ? 0x86dd : 0x0800 }
      : { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01', ethertype: v6 ? 0x86dd : 0x0800 };
    if (inside) c.host(p, eth);
    else c.wire(p, eth);
  };
  const OUT = '198.51.100.1';
  const A = '192.0.2.10';
  const C = '192.0.2.11';
  const P = '203.0.113.50';
  const reg = (from: string, sport: number, user: string): string =>
    sip([
      'REGISTER sip:203.0.113.50 SIP/2.0',
      `Via: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bK-${user}`,
      `From: <sip:${user}@${from}>;tag=${user}`,
      `To: <sip:${user}@203.0.113.50>`,
      `Call-ID: reg-${user}`,
      'CSeq: 1 REGISTER',
      `Contact: <sip:${user}@${from}:65534>`,
      'Expires: 3600',
    ]);
  u(A, 5060, P, 5060, reg(A, 5060, 'alice'));
  u(C, 5062, P, 5060, reg(C, 5062, 'carol'));
  u(
    P,
    5060,
    OUT,
    5060,
    sip([
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bK-alice',
      `From: <sip:alice@${OUT}:5060>;tag=alice`,
      'To: <sip:alice@203.0.113.50>;tag=r',
      'Call-ID: reg-alice',
      'CSeq: 1 REGISTER',
      `Contact: <sip:alice@${OUT}:5060>,<sip:alice@${OUT}:5060>;q=0.5`,
      `Contact: <sip:alice@${OUT}:65534>;expires=900`,
    ]),
  );
  // To the Contact the 200 removed: the firewall's own (NEW, to INPUT).
  u(P, 5090, OUT, 65534, sip(['OPTIONS sip:alice@198.51.100.1:65534 SIP/2.0', `Via: SIP/2.0/UDP ${P}:5090;branch=z9hG4bK-o`, 'CSeq: 1 OPTIONS']));

  const inv = (cseq: number, body: string): string =>
    sip(
      [
        'INVITE sip:bob@203.0.113.50 SIP/2.0',
        `Via: SIP/2.0/UDP ${A}:5060;branch=z9hG4bK-e${cseq}`,
        `From: <sip:alice@203.0.113.50>;tag=e${cseq}`,
        'To: <sip:bob@203.0.113.50>',
        `Call-ID: edge${cseq}`,
        `CSeq: ${cseq} INVITE`,
        `Contact: <sip:alice@${A}:5060>`,
        'Content-Type: application/sdp',
      ],
      body,
    );
  // No o= line: the media are expected, the INVITE dropped.
  u(A, 5060, P, 5060, inv(2, `v=0\ns=call\nc=IN IP4 ${A}\nt=0 0\nm=audio 17000 RTP/AVP 0\n`));
  u(P, 31700, OUT, 17000, rtp);
  // The last stream names another host: the session's o= and c= take its address.
  u(A, 5060, P, 5060, inv(3, `${sdp(false, A, 17100)}m=video 17200 RTP/AVP 31\nc=IN IP4 192.0.2.99\n`));
  u(P, 31800, OUT, 17100, rtp);

  // ---- IPv6 through the port forward ----
  const O6 = '2001:db8:100::1';
  const Q6 = '2001:db8:113::60';
  const B6 = '2001:db8:2::20';
  u(
    Q6,
    5060,
    O6,
    5070,
    sip(
      [
        `INVITE sip:bob@[${O6}]:5070 SIP/2.0`,
        `Via: SIP/2.0/UDP [${Q6}]:5060;branch=z9hG4bK-6q`,
        `From: <sip:q@[${Q6}]:5060>;tag=6q`,
        `To: <sip:bob@[${O6}]:5070>`,
        'Call-ID: fwd6',
        'CSeq: 1 INVITE',
        `Contact: <sip:q@[${Q6}]:5060>`,
        'Content-Type: application/sdp',
      ],
      sdp(true, Q6, 42000),
    ),
  );
  u(
    B6,
    5060,
    Q6,
    5060,
    sip(
      [
        'SIP/2.0 200 OK',
        `Via: SIP/2.0/UDP [${Q6}]:5060;branch=z9hG4bK-6q`,
        `From: <sip:q@[${Q6}]:5060>;tag=6q`,
        `To: <sip:bob@[${B6}]:5060>;tag=6b`,
        'Call-ID: fwd6',
        'CSeq: 1 INVITE',
        `Contact: <sip:bob@[${B6}]:5060>`,
        'Content-Type: application/sdp',
      ],
      sdp(true, B6, 22000),
    ),
  );
  u(Q6, 42000, O6, 22000, rtp);
  u(B6, 22000, Q6, 42000, rtp);
  u(
    B6,
    5060,
    Q6,
    5060,
    sip([
      `BYE sip:q@[${Q6}]:5060 SIP/2.0`,
      `Via: SIP/2.0/UDP [${B6}]:5060;rport;maddr=[${B6}];branch=z9hG4bK-6bye`,
      `From: <sip:bob@[${B6}]:5060>;tag=6b`,
      `To: <sip:q@[${Q6}]:5060>;tag=6q`,
      'Call-ID: fwd6',
      'CSeq: 2 BYE',
    ]),
  );
  u(
    Q6,
    5060,
    O6,
    5070,
    sip([
      'SIP/2.0 200 OK',
      `Via: SIP/2.0/UDP [${O6}]:5070;rport=5070;received=${O6};branch=z9hG4bK-6bye`,
      `From: <sip:bob@[${O6}]:5070>;tag=6b`,
      `To: <sip:q@[${Q6}]:5060>;tag=6q`,
      'Call-ID: fwd6',
      'CSeq: 2 BYE',
    ]),
  );
  return { rules, rules6, capture: c };
}
