/**
 * ct-sip-edges: what the sip helper does at the edges of its rules (IPv4,
 * UDP and TCP, the rules of ct-sip):
 *
 * - the same media in two SIP flows: one whose RTP expectation was used
 *   (the second flow expects RTP itself, RTCP already expected by the
 *   first: -EALREADY, taken as done), one still pending (not expected
 *   again);
 * - the same port offered again as video by an UPDATE (another class of
 *   the same tuple: -EALREADY, nothing new) and PRACK's and UPDATE's answers
 *   with SDP;
 * - two image streams (two image expectations per entry: the first pair
 *   evicted), and a fourth stream after three (not read);
 * - a 200 OK to REGISTER with two Contacts in one header, the second the
 *   client's; a deregistration (`expires=0`) answered 200 (the expectation
 *   removed); a 401 (removed) and a 100 (kept); a REGISTER over an expected
 *   connection (not read);
 * - a lower-case method, a method followed by two spaces (not read), a
 *   `c=` of 0.0.0.0 (call on hold: nothing expected), a Contact on a
 *   continuation line;
 * - over TCP: the expected call's own SIP messages, read by the helper the
 *   expectation gave it.
 */
import { ipv4, tcp, udp } from '../../../src/packet/build.js';
import { Capture, type Scenario } from './capture.js';
import { rules } from './ct-sip.js';

export { rules };

const enc = new TextEncoder();

function sip(lines: string[], body = ''): Uint8Array {
  const b = body.replace(/\n/g, '\r\n');
  return enc.encode(`${[...lines, `Content-Length: ${b.length}`].join('\r\n')}\r\n\r\n${b}`);
}

function sdp(session: string, media: string[]): string {
  return `v=0\no=- 1 1 IN IP4 ${session}\ns=-\nc=IN IP4 ${session}\nt=0 0\n${media.map((m) => `m=${m} RTP/AVP 0\n`).join('')}`;
}

export function build(): Scenario {
  const c = new Capture(3_000_000n);
  const rtp = new Uint8Array(20).fill(0x80);
  const inside = (a: string): boolean => a.startsWith('192.0.2.');
  const send = (src: string, dst: string, l4: ReturnType<typeof udp>): void => {
    const p = ipv4({ src, dst }, l4);
    if (inside(src)) c.host(p);
    else c.wire(p);
  };
  const u = (src: string, sport: number, dst: string, dport: number, payload: Uint8Array): void => send(src, dst, udp({ sport, dport, payload }));
  const A = '192.0.2.40';
  const B = '192.0.2.41';
  const P = '203.0.113.70';
  const inv = (cseq: number, body: string, method = 'INVITE'): Uint8Array =>
    sip([`${method} sip:x@203.0.113.70 SIP/2.0`, `CSeq: ${cseq} ${method.toUpperCase()}`, 'Content-Type: application/sdp'], body);
  const resp = (code: string, cseq: number, method: string, body = '', extra: string[] = []): Uint8Array =>
    sip([`SIP/2.0 ${code}`, `CSeq: ${cseq} ${method}`, ...extra], body);

  // The same media in two SIP flows of A's.
  u(A, 5060, P, 5060, inv(1, sdp(A, ['audio 20000', 'audio 20010'])));
  u(P, 40000, A, 20000, rtp);
  u(A, 5070, P, 5060, inv(1, sdp(A, ['audio 20000', 'audio 20010'])));
  u(P, 40001, A, 20010, rtp);
  u(P, 40002, A, 20011, rtp);

  // An UPDATE offering a pending audio port as video; PRACK's and UPDATE's 2xx with SDP.
  u(A, 5080, P, 5060, inv(1, sdp(A, ['audio 21000'])));
  u(A, 5080, P, 5060, inv(2, sdp(A, ['video 21000']), 'UPDATE'));
  u(P, 5060, A, 5080, resp('200 OK', 2, 'UPDATE', sdp(P, ['video 31000'])));
  u(A, 5080, P, 5060, inv(3, '', 'PRACK'));
  u(P, 5060, A, 5080, resp('200 OK', 3, 'PRACK', sdp(P, ['audio 31002'])));
  u(A, 21000, P, 31000, rtp);
  u(A, 21001, P, 31002, rtp);

  // Two image streams (two per entry), a fourth stream after three.
  u(A, 5090, P, 5060, inv(1, sdp(A, ['image 22000', 'image 22002', 'audio 22004', 'audio 22006'])));
  u(P, 40003, A, 22000, rtp);
  u(P, 40004, A, 22002, rtp);
  u(P, 40005, A, 22006, rtp);

  // REGISTER: a 200 OK whose Contact header lists two, the client's second.
  u(B, 5060, P, 5060, sip(['REGISTER sip:203.0.113.70 SIP/2.0', 'CSeq: 1 REGISTER', 'Contact:\r\n <sip:b@192.0.2.41:5062>', 'Expires: 300']));
  u(P, 5060, B, 5060, resp('100 Trying', 1, 'REGISTER'));
  u(P, 5060, B, 5060, resp('200 OK', 1, 'REGISTER', '', ['Contact: <sip:b@198.51.100.9:5062>;expires=60, <sip:b@192.0.2.41:5062>;expires=240']));
  // The registrar's call; a REGISTER over it is not read.
  u(P, 5061, B, 5062, inv(1, sdp(P, ['audio 32000'])));
  u(B, 5062, P, 5061, sip(['REGISTER sip:203.0.113.70 SIP/2.0', 'CSeq: 2 REGISTER', 'Contact: <sip:b@192.0.2.41:5064>', 'Expires: 300']));
  // Deregistration: expires=0, its 200 removes the expectation.
  u(B, 5060, P, 5060, sip(['REGISTER sip:203.0.113.70 SIP/2.0', 'CSeq: 3 REGISTER', 'Contact: <sip:b@192.0.2.41:5062>;expires=0']));
  u(P, 5060, B, 5060, resp('200 OK', 3, 'REGISTER'));
  u(P, 5063, B, 5062, sip(['OPTIONS sip:b@192.0.2.41 SIP/2.0', 'CSeq: 1 OPTIONS']));
  // A 401: removed too.
  u(B, 5070, P, 5060, sip(['REGISTER sip:203.0.113.70 SIP/2.0', 'CSeq: 9 REGISTER', 'Contact: <sip:b@192.0.2.41:5066>;expires=300']));
  u(P, 5060, B, 5070, resp('401 Unauthorized', 9, 'REGISTER'));
  u(P, 5064, B, 5066, sip(['OPTIONS sip:b@192.0.2.41 SIP/2.0', 'CSeq: 1 OPTIONS']));

  // A lower-case method is read; two spaces after it are not; a call on hold removes the media and expects nothing.
  u(B, 5080, P, 5060, sip(['invite sip:x@203.0.113.70 SIP/2.0', 'CSeq: 1 invite'], sdp(B, ['audio 23000'])));
  u(B, 5080, P, 5060, sip(['INVITE  sip:x@203.0.113.70 SIP/2.0', 'CSeq: 2 INVITE'], sdp(B, ['audio 23010'])));
  u(P, 40006, B, 23000, rtp);
  u(B, 5080, P, 5060, sip(['INVITE sip:x@203.0.113.70 SIP/2.0', 'CSeq: 3 INVITE'], sdp('0.0.0.0', ['audio 23020'])));
  u(P, 40007, B, 23001, rtp);

  // TCP: a registration, the registrar's expected TCP call, and that call's own SDP read by its helper.
  const t = (src: string, sport: number, dst: string, dport: number, flags: string, seq: number, ack: number, payload?: Uint8Array): void =>
    send(src, dst, tcp({ sport, dport, flags, seq, ack, ...(payload ? { payload } : {}) }));
  const C = '192.0.2.42';
  t(C, 40100, P, 5060, 'S', 100, 0);
  t(P, 5060, C, 40100, 'SA', 500, 101);
  t(C, 40100, P, 5060, 'A', 101, 501);
  const reg = sip(['REGISTER sip:203.0.113.70 SIP/2.0', 'CSeq: 1 REGISTER', 'Contact: <sip:c@192.0.2.42:5070;transport=TCP>', 'Expires: 120']);
  t(C, 40100, P, 5060, 'PA', 101, 501, reg);
  const ok = resp('200 OK', 1, 'REGISTER', '', ['Contact: <sip:c@192.0.2.42:5070;transport=TCP>;expires=120']);
  t(P, 5060, C, 40100, 'PA', 501, 101 + reg.length, ok);
  t(P, 41100, C, 5070, 'S', 1000, 0);
  t(C, 5070, P, 41100, 'SA', 2000, 1001);
  t(P, 41100, C, 5070, 'A', 1001, 2001);
  const call = inv(1, sdp(P, ['audio 33000']));
  t(P, 41100, C, 5070, 'PA', 1001, 2001, call);
  const answer = resp('200 OK', 1, 'INVITE', sdp(C, ['audio 24000']));
  t(C, 5070, P, 41100, 'PA', 2001, 1001 + call.length, answer);
  u(P, 33000, C, 24000, rtp);
  u(C, 24000, P, 33000, rtp);
  return { rules, capture: c };
}
