import { describe, expect, it } from 'vitest';
import { parseInetAddr } from '../../packet/inet-addr.js';
import { ipv4, ipv6, tcp, udp } from '../../packet/build.js';
import { l4Checksum } from '../../packet/checksum.js';
import { Conn, IP_CT_ESTABLISHED, IP_CT_ESTABLISHED_REPLY, IPS_DST_NAT, IPS_SEQ_ADJUST, IPS_SRC_NAT } from '../conntrack/conn.js';
import { sipTcpHelper, sipUdpHelper } from '../conntrack/helper-sip.js';
import { type Expectation, helperLog, type HelperHost } from '../conntrack/helpers.js';
import { DEFAULT_MODULE_PARAMS } from '../conntrack/module-params.js';
import { seqadjExtAdd, seqOffset } from '../conntrack/seqadj.js';
import { NF_ACCEPT, NF_DROP, Skb } from '../types.js';
import './helper-sip.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const A = '192.0.2.10';
const P = '203.0.113.50';
const OUT = '198.51.100.1';

/** A SIP message: lines, Content-Length, blank line, body (LF turned into CRLF). */
function sip(lines: string[], body = ''): string {
  const b = body.replace(/\n/g, '\r\n');
  return `${[...lines, `Content-Length: ${b.length}`].join('\r\n')}\r\n\r\n${b}`;
}

/** A helper host that registers expectations unless `refuse` says otherwise. */
function host(refuse: (e: Expectation) => number = () => 0): HelperHost & { exps: Expectation[] } {
  const exps: Expectation[] = [];
  const h = {
    exps,
    nat: null,
    expectRelated(e: Expectation): number {
      const r = refuse(e);
      if (r === 0) exps.push(e);
      return r;
    },
    unexpectRelated(e: Expectation): void {
      exps.splice(exps.indexOf(e), 1);
    },
    removeExpectation(e: Expectation): boolean {
      const i = exps.indexOf(e);
      if (i >= 0) exps.splice(i, 1);
      return i >= 0;
    },
    findExpectation: () => null,
    refreshTimeout: () => undefined,
    refreshExpectation: () => true,
    params: DEFAULT_MODULE_PARAMS,
  };
  return h as unknown as HelperHost & { exps: Expectation[] };
}

/** A entry of `proto` from A:aport to P:5060, MASQUERADEd to 198.51.100.1:oport. */
function masq(proto: number, aport = 5060, oport = aport): Conn {
  const a = parseInetAddr(A)!;
  const p = parseInetAddr(P)!;
  const c = new Conn(proto, a, p, aport, 5060, p, parseInetAddr(OUT)!, 5060, oport);
  c.status |= IPS_SRC_NAT;
  c.helper = proto === 6 ? sipTcpHelper : sipUdpHelper;
  c.helpData = c.helper.init();
  seqadjExtAdd(c);
  return c;
}

/** Runs the UDP helper on `text` sent in direction `dir` (after NAT rewrote the header); the verdict and the payload. */
function udpRun(h: HelperHost, c: Conn, dir: number, text: string): { v: number; text: string; skb: Skb } {
  // The packet as it leaves: the other direction's view of the addresses.
  const r = c.tuple(1 - dir);
  const skb = new Skb().load(ipv4({ src: r.dst.toString(), dst: r.src.toString() }, udp({ sport: r.dport, dport: r.sport, payload: enc.encode(text) })));
  helperLog.reason = '';
  const v = sipUdpHelper.help(h, skb, skb.thoff, c, dir ? IP_CT_ESTABLISHED_REPLY : IP_CT_ESTABLISHED);
  return { v, text: dec.decode(skb.data.subarray(skb.thoff + 8, skb.len)), skb };
}

describe('nf_nat_sip (message addresses)', () => {
  it('rewrites the sender own Via, Contact and From, leaves others, and fixes the UDP length and checksum', () => {
    const c = masq(17);
    const h = host();
    const msg = sip([
      'OPTIONS sip:bob@203.0.113.50 SIP/2.0',
      `Via: SIP/2.0/UDP ${A}:5060;branch=z9hG4bK-1`,
      `From: <sip:alice@${A}>;tag=1`,
      'To: <sip:bob@203.0.113.50>',
      `Contact: <sip:alice@${A}:5060>, <sip:alice@192.0.2.99:5060>`,
      'CSeq: 1 OPTIONS',
    ]);
    const out = udpRun(h, c, 0, msg);
    expect(out.v).toBe(NF_ACCEPT);
    expect(out.text).toContain(`Via: SIP/2.0/UDP ${OUT}:5060;branch`);
    // No port written: 5060 assumed, and written back.
    expect(out.text).toContain(`From: <sip:alice@${OUT}:5060>;tag=1`);
    expect(out.text).toContain(`Contact: <sip:alice@${OUT}:5060>, <sip:alice@192.0.2.99:5060>`);
    expect(out.text).toContain('To: <sip:bob@203.0.113.50>\r\n');
    const d = out.skb.data;
    const ulen = (d[out.skb.thoff + 4]! << 8) | d[out.skb.thoff + 5]!;
    expect(ulen).toBe(out.skb.len - out.skb.thoff);
    expect(l4Checksum(d, out.skb.thoff, ulen, 17)).toBe(0);
  });

  it('rewrites a response Via and its received= and rport= back to the inside, and skips a Contact after a shortened one', () => {
    const c = masq(17, 5060, 6000);
    const msg = sip([
      'SIP/2.0 200 OK',
      `Via: SIP/2.0/UDP ${OUT}:6000;rport=6000;received=${OUT};branch=z9hG4bK-1`,
      'CSeq: 1 OPTIONS',
      `Contact: <sip:a@${OUT}:6000>,<sip:a@${OUT}:6000>`,
    ]);
    const out = udpRun(host(), c, 1, msg);
    expect(out.v).toBe(NF_ACCEPT);
    expect(out.text).toContain(`Via: SIP/2.0/UDP ${A}:5060;rport=5060;received=${A};branch`);
    // The search goes on from where the first Contact ended before it shrank: past the comma.
    expect(out.text).toContain(`Contact: <sip:a@${A}:5060>,<sip:a@${OUT}:6000>`);
  });

  it('sends the answers of an entry whose request Via named another port to that port', () => {
    const c = masq(17, 40123, 40123);
    udpRun(host(), c, 0, sip(['OPTIONS sip:b@203.0.113.50 SIP/2.0', `Via: SIP/2.0/UDP ${A}:5060;branch=z9hG4bK-1`, 'CSeq: 1 OPTIONS']));
    // The request's Via (not the sender's port) went out as it was, and comes back so.
    const out = udpRun(host(), c, 1, sip(['SIP/2.0 200 OK', `Via: SIP/2.0/UDP ${A}:5060;branch=z9hG4bK-1`, 'CSeq: 1 OPTIONS']));
    expect(out.v).toBe(NF_ACCEPT);
    const d = out.skb.data;
    expect((d[out.skb.thoff + 2]! << 8) | d[out.skb.thoff + 3]!).toBe(5060);
    expect(out.text).toContain(`Via: SIP/2.0/UDP ${A}:5060;branch`);
    expect(l4Checksum(d, out.skb.thoff, out.skb.len - out.skb.thoff, 17)).toBe(0);
  });
});

describe('nf_nat_sip (SDP and expectations)', () => {
  const invite = (body: string): string =>
    sip(['INVITE sip:bob@203.0.113.50 SIP/2.0', `Via: SIP/2.0/UDP ${A}:5060;branch=z9hG4bK-1`, 'CSeq: 1 INVITE', 'Content-Type: application/sdp'], body);

  it('expects RTP and RTCP at the translated address and rewrites o=, c= and Content-Length', () => {
    const h = host();
    const body = `v=0\no=- 1 1 IN IP4 ${A}\ns=-\nc=IN IP4 ${A}\nt=0 0\nm=audio 16384 RTP/AVP 0\n`;
    const out = udpRun(h, masq(17), 0, invite(body));
    expect(out.v).toBe(NF_ACCEPT);
    expect(h.exps.map((e) => `${e.src} ${e.dst}:${e.dport} saved ${e.savedAddr}:${e.savedProto} dir ${e.dir}`)).toEqual([
      `${P} ${OUT}:16384 saved ${A}:16384 dir 1`,
      `${P} ${OUT}:16385 saved ${A}:16385 dir 1`,
    ]);
    const sdpText = body.replaceAll(A, OUT).replace(/\n/g, '\r\n');
    expect(out.text).toContain(`Content-Length: ${sdpText.length}\r\n\r\n${sdpText}`);
  });

  it('takes the next even pair for a clash, rewriting the m= port, and drops when no pair is left', () => {
    const busy = (ports: number[]) => (e: Expectation) => (ports.includes(e.dport) ? -16 : 0);
    const h = host(busy([16384, 16387]));
    const body = `v=0\no=- 1 1 IN IP4 ${A}\ns=-\nc=IN IP4 ${A}\nt=0 0\nm=audio 16384 RTP/AVP 0\n`;
    const out = udpRun(h, masq(17), 0, invite(body));
    expect(out.v).toBe(NF_ACCEPT);
    expect(h.exps.map((e) => e.dport)).toEqual([16388, 16389]);
    expect(out.text).toContain('m=audio 16388 RTP/AVP 0');
    const full = udpRun(host(busy([65534])), masq(17), 0, invite(body.replace('16384', '65534')));
    expect(full.v).toBe(NF_DROP);
    expect(helperLog.reason).toBe('nf_ct_sip: dropping packet: all ports in use for SDP media; nf_ct_sip: dropping packet: cannot add expectation for voice');
    // The same translated expectation of another master (-EALREADY) is no clash: no next pair either.
    expect(
      udpRun(
        host(() => -114),
        masq(17),
        0,
        invite(body),
      ).v,
    ).toBe(NF_DROP);
  });

  it('drops an offer without an o= line after expecting its media (the kernel logs nothing)', () => {
    const h = host();
    const out = udpRun(h, masq(17), 0, invite(`v=0\ns=-\nc=IN IP4 ${A}\nt=0 0\nm=audio 16384 RTP/AVP 0\n`));
    expect(out.v).toBe(NF_DROP);
    expect(h.exps).toHaveLength(2);
    expect(helperLog.reason).toBe('nf_nat_sip: no SDP o= line with an address to rewrite (the kernel logs nothing)');
  });

  it('registers a REGISTER Contact at the translated address, or drops when its one port is taken', () => {
    const reg = (port: number): string =>
      sip([
        'REGISTER sip:203.0.113.50 SIP/2.0',
        `Via: SIP/2.0/UDP ${A}:5060;branch=z9hG4bK-1`,
        'CSeq: 1 REGISTER',
        `Contact: <sip:a@${A}:${port}>`,
        'Expires: 60',
      ]);
    const h = host();
    const out = udpRun(h, masq(17, 5060, 6000), 0, reg(5060));
    expect(out.v).toBe(NF_ACCEPT);
    // The signalling port is the one the registrar sees: 6000.
    expect(h.exps.map((e) => `${e.dst}:${e.dport} saved ${e.savedAddr}:${e.savedProto}`)).toEqual([`${OUT}:6000 saved ${A}:5060`]);
    expect(out.text).toContain(`Contact: <sip:a@${OUT}:6000>`);
    const busy = udpRun(
      host(() => -16),
      masq(17),
      0,
      reg(65534),
    );
    expect(busy.v).toBe(NF_DROP);
    expect(helperLog.reason).toBe('nf_ct_sip: dropping packet: all ports in use for SIP');
  });
});

describe('nf_nat_sip over TCP and IPv6', () => {
  it('sums a segment of two messages into one sequence adjustment', () => {
    const c = masq(6, 40000, 40000);
    const m1 = sip(['OPTIONS sip:b@203.0.113.50 SIP/2.0', `Via: SIP/2.0/TCP ${A}:40000;branch=z9hG4bK-1`, 'CSeq: 1 OPTIONS']);
    const m2 = sip(['OPTIONS sip:b@203.0.113.50 SIP/2.0', `Via: SIP/2.0/TCP ${A}:40000;branch=z9hG4bK-2`, 'CSeq: 2 OPTIONS']);
    const skb = new Skb().load(ipv4({ src: OUT, dst: P }, tcp({ sport: 40000, dport: 5060, flags: 'PA', seq: 1000, ack: 1, payload: enc.encode(m1 + m2) })));
    expect(sipTcpHelper.help(host(), skb, skb.thoff, c, IP_CT_ESTABLISHED)).toBe(NF_ACCEPT);
    const text = dec.decode(skb.data.subarray(skb.thoff + 20, skb.len));
    expect(text).toBe((m1 + m2).replaceAll(A, OUT));
    expect(c.status & IPS_SEQ_ADJUST).toBeTruthy();
    expect(seqOffset(c.seqadj!, 0, 1001)).toBe(4);
    expect(l4Checksum(skb.data, skb.thoff, skb.len - skb.thoff, 6)).toBe(0);
  });

  it('writes IPv6 addresses in brackets in URIs and bare in SDP', () => {
    const a = parseInetAddr('2001:db8:2::10')!;
    const p = parseInetAddr('2001:db8:ff::50')!;
    const o = parseInetAddr('2001:db8:100::1')!;
    const c = new Conn(17, a, p, 5060, 5060, p, o, 5060, 5060);
    c.status |= IPS_SRC_NAT | IPS_DST_NAT;
    c.helper = sipUdpHelper;
    c.helpData = sipUdpHelper.init();
    const body = 'v=0\no=- 1 1 IN IP6 2001:db8:2::10\ns=-\nc=IN IP6 2001:db8:2::10\nt=0 0\nm=audio 16384 RTP/AVP 0\n';
    const msg = sip(['INVITE sip:b@[2001:db8:ff::50] SIP/2.0', 'Via: SIP/2.0/UDP [2001:db8:2::10]:5060;branch=z9hG4bK-1', 'CSeq: 1 INVITE'], body);
    const skb = new Skb().loadV6(ipv6({ src: '2001:db8:100::1', dst: '2001:db8:ff::50' }, udp({ sport: 5060, dport: 5060, payload: enc.encode(msg) })));
    expect(sipUdpHelper.help(host(), skb, skb.thoff, c, IP_CT_ESTABLISHED)).toBe(NF_ACCEPT);
    const text = dec.decode(skb.data.subarray(skb.thoff + 8, skb.len));
    expect(text).toContain('Via: SIP/2.0/UDP [2001:db8:100::1]:5060;branch');
    expect(text).toContain('o=- 1 1 IN IP6 2001:db8:100::1\r\n');
    expect(text).toContain('c=IN IP6 2001:db8:100::1\r\n');
  });
});
