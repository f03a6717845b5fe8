import { describe, expect, it } from 'vitest';
import { Family, InetAddr } from '../../packet/inet-addr.js';
import { ipv4, ipv6, tcp, udp } from '../../packet/build.js';
import { Hook, NF_ACCEPT, Skb } from '../types.js';
import { helperIndex } from './helper-registry.js';
import { sipHeader } from './helper-sip.js';
import { helperLog } from './helpers.js';
import { in4Pton, in6Pton, ptonEnd } from './inet-pton.js';
import { Conntrack, IP_CT_NEW, IP_CT_RELATED, ZONE_DIR_BOTH, zoneTemplate, type ConntrackOptions } from './index.js';

const enc = new TextEncoder();
const A = '192.0.2.10';
const P = '203.0.113.50';
const A6 = '2001:db8:2::10';
const P6 = '2001:db8:ff::50';

/** A SIP message: lines, Content-Length, blank line, body (LF turned into CRLF). */
function sip(lines: string[], body = ''): string {
  const b = body.replace(/\n/g, '\r\n');
  return `${[...lines, `Content-Length: ${b.length}`].join('\r\n')}\r\n\r\n${b}`;
}

/** A conntrack table with packets sent through in() and confirm(), each one millisecond apart. */
class Rig {
  readonly ct: Conntrack;
  now = 1_000_000_000;
  constructor(
    readonly v6 = false,
    opts: ConntrackOptions = {},
  ) {
    this.ct = new Conntrack(opts);
  }
  get a(): string {
    return this.v6 ? A6 : A;
  }
  get p(): string {
    return this.v6 ? P6 : P;
  }
  send(ip: Uint8Array, helper = ''): { skb: Skb; ok: boolean } {
    const skb = ip[0]! >> 4 === 6 ? new Skb().loadV6(ip) : new Skb().load(ip);
    skb.ctZone = helper ? zoneTemplate(0, ZONE_DIR_BOTH, false, helperIndex('sip', ip[0]! >> 4 === 6 ? ip[6]! : ip[9]!)) : -1;
    this.now += 1_000_000;
    expect(this.ct.in(skb, Hook.PreRouting, this.now)).toBe(NF_ACCEPT);
    return { skb, ok: this.ct.confirm(skb, this.now) };
  }
  ip(src: string, dst: string, l4: ReturnType<typeof udp>): Uint8Array {
    return this.v6 ? ipv6({ src, dst }, l4) : ipv4({ src, dst }, l4);
  }
  /** A UDP datagram; to port 5060 it gets the sip helper, as `-p udp --dport 5060 -j CT --helper sip` would give it. */
  u(src: string, sport: number, dst: string, dport: number, text: string | Uint8Array): { skb: Skb; ok: boolean } {
    const payload = typeof text === 'string' ? enc.encode(text) : text;
    return this.send(this.ip(src, dst, udp({ sport, dport, payload })), dport === 5060 ? 'sip' : '');
  }
  /** The pending expectations half a second later (as the kernel's are listed a moment after the capture). */
  expectations(): string[] {
    return this.ct
      .listExpectations(this.now + 500_000_000)
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/ mask-src=\S+ mask-dst=\S+ sport=\d+ dport=65535/, '').replace(/ helper=sip$/, ''));
  }
}

const sdp = (addr: string, media: string, ver = 4): string => `v=0\no=- 1 1 IN IP${ver} ${addr}\ns=-\nc=IN IP${ver} ${addr}\nt=0 0\nm=${media} RTP/AVP 0\n`;

describe('sip message parser (ct_sip_get_header)', () => {
  it('finds headers by name or compact form at a line start, any case, across continuation lines', () => {
    expect(sipHeader('INVITE x SIP/2.0\r\ncseq: 12 INVITE\r\n', 'CSeq')).toEqual({ ret: 1, value: '12' });
    expect(sipHeader('INVITE x SIP/2.0\r\nCSeq:\r\n  7 INVITE\r\n', 'CSeq')).toEqual({ ret: 1, value: '7' });
    expect(sipHeader('INVITE x SIP/2.0\r\nl: 42\r\n', 'Content-Length')).toEqual({ ret: 1, value: '42' });
    expect(sipHeader('INVITE x SIP/2.0\nm : <sip:bob@192.0.2.1:5070>\n', 'Contact')).toEqual({ ret: 1, value: '192.0.2.1:5070' });
    expect(sipHeader('INVITE x SIP/2.0\r\ni: abc@host\r\n', 'Call-Id')).toEqual({ ret: 1, value: 'abc@host' });
    expect(sipHeader('INVITE x SIP/2.0\r\nv: SIP/2.0/UDP 192.0.2.1;branch=1\r\n', 'Via/UDP')).toEqual({ ret: 1, value: '192.0.2.1' });
    expect(sipHeader('INVITE x SIP/2.0\r\nFrom: <sip:[2001:db8::1]:5061>\r\n', 'From', Family.V6)).toEqual({ ret: 1, value: '[2001:db8::1]:5061' });
  });

  it('never reads the first line, needs a colon after the name, and skips what does not parse', () => {
    expect(sipHeader('CSeq: 1 INVITE\r\n', 'CSeq').ret).toBe(0);
    // A longer name that begins with this one ends the search.
    expect(sipHeader('X\r\nCSeqs: 1\r\nCSeq: 2\r\n', 'CSeq').ret).toBe(0);
    // A compact form must not be followed by a letter.
    expect(sipHeader('X\r\nlx: 1\r\n', 'Content-Length').ret).toBe(0);
    expect(sipHeader('X\r\nCSeq: INVITE\r\n', 'CSeq').ret).toBe(-1);
    // A host name, a port below 1024 or of six digits: not an address.
    expect(sipHeader('X\r\nContact: <sip:bob@example.com>\r\n', 'Contact').ret).toBe(-1);
    expect(sipHeader('X\r\nContact: <sip:bob@192.0.2.1:999>\r\n', 'Contact').ret).toBe(-1);
    expect(sipHeader('X\r\nContact: <sip:bob@192.0.2.1:005060>\r\n', 'Contact').ret).toBe(-1);
    // IPv6 needs its brackets in a URI.
    expect(sipHeader('X\r\nContact: <sip:2001:db8::1>\r\n', 'Contact', Family.V6).ret).toBe(-1);
  });
});

describe('in4_pton and in6_pton', () => {
  const v4 = (s: string): string | null => {
    const a = new InetAddr();
    const d = enc.encode(s);
    return in4Pton(d, 0, d.length, a) ? `${a.toString()}@${ptonEnd.v}` : null;
  };
  const v6 = (s: string): string | null => {
    const a = new InetAddr();
    const d = enc.encode(s);
    return in6Pton(d, 0, d.length, a) ? `${a.toString()}@${ptonEnd.v}` : null;
  };
  it('reads dotted quads up to any other character, refusing hex letters and a fifth part', () => {
    expect(v4('192.0.2.10')).toBe('192.0.2.10@10');
    expect(v4('010.0.0.1;x')).toBe('10.0.0.1@9');
    expect(v4('1.2.3.4:5060')).toBe('1.2.3.4@7');
    expect(v4('1.2.3.4a')).toBeNull();
    expect(v4('1.2.3.4.5')).toBeNull();
    expect(v4('1.2.3.256')).toBeNull();
    expect(v4('1.2..4')).toBeNull();
  });
  it('reads IPv6 with ::, an IPv4 tail, and stops at a bracket', () => {
    expect(v6('2001:db8::1]')).toBe('2001:db8::1@11');
    expect(v6('::ffff:192.0.2.1')).toBe('::ffff:192.0.2.1@16');
    expect(v6('1:2:3:4:5:6:7:8')).toBe('1:2:3:4:5:6:7:8@15');
    expect(v6('1::2::3')).toBeNull();
    expect(v6('12345::1')).toBeNull();
  });
});

describe('sip helper', () => {
  it('expects RTP and RTCP from the other end to the media address its sender offers, both ways, RELATED', () => {
    const r = new Rig();
    r.u(A, 5060, P, 5060, sip(['INVITE sip:b@203.0.113.50 SIP/2.0', 'CSeq: 1 INVITE'], sdp(A, 'audio 20000')));
    r.u(P, 5060, A, 5060, sip(['SIP/2.0 200 OK', 'CSeq: 1 INVITE'], sdp(P, 'video 30001')));
    expect(r.expectations()).toEqual([
      `179 proto=17 src=${A} dst=${P} sport=0 dport=30000 master-src=${A} master-dst=${P} sport=5060 dport=5060 class=2`,
      `179 proto=17 src=${A} dst=${P} sport=0 dport=30001 master-src=${A} master-dst=${P} sport=5060 dport=5060 class=2`,
      `179 proto=17 src=${P} dst=${A} sport=0 dport=20000 master-src=${A} master-dst=${P} sport=5060 dport=5060 class=1`,
      `179 proto=17 src=${P} dst=${A} sport=0 dport=20001 master-src=${A} master-dst=${P} sport=5060 dport=5060 class=1`,
    ]);
    expect(r.u(P, 40000, A, 20000, 'rtp').skb.ctinfo).toBe(IP_CT_RELATED);
    expect(r.u(A, 41000, P, 30001, 'rtcp').skb.ctinfo).toBe(IP_CT_RELATED);
    // The entry expires sip_timeout (3600 s) after each message.
    expect(r.ct.list(r.now)).toContain(`udp      17 3599 src=${A} dst=${P} sport=5060 dport=5060 src=${P}`);
  });

  it('with sip_direct_media 0 expects the media of any address, from anywhere; sip_timeout and sip_direct_signalling 0 are read too', () => {
    const r = new Rig(false, { modules: { nf_conntrack_sip: { sip_direct_media: 0, sip_direct_signalling: 0, sip_timeout: 600 } } });
    r.u(A, 5060, P, 5060, sip(['INVITE sip:b@203.0.113.50 SIP/2.0', 'CSeq: 1 INVITE'], sdp('198.51.100.7', 'audio 20000')));
    expect(r.expectations()).toEqual([
      `179 proto=17 src=0.0.0.0 dst=198.51.100.7 sport=0 dport=20000 master-src=${A} master-dst=${P} sport=5060 dport=5060 class=1`,
      `179 proto=17 src=0.0.0.0 dst=198.51.100.7 sport=0 dport=20001 master-src=${A} master-dst=${P} sport=5060 dport=5060 class=1`,
    ]);
    expect(r.u('192.0.2.99', 40000, '198.51.100.7', 20000, 'rtp').skb.ctinfo).toBe(IP_CT_RELATED);
    expect(r.ct.list(r.now)).toContain(`udp      17 600 src=${A} dst=${P} sport=5060 dport=5060`);
    r.u(A, 5060, P, 5060, sip(['REGISTER sip:x SIP/2.0', 'CSeq: 5 REGISTER', `Contact: <sip:a@${A}:5062>`, 'Expires: 3600']));
    expect(r.expectations().filter((l) => l.includes('class=0'))).toEqual([
      `179 proto=17 src=0.0.0.0 dst=${A} sport=0 dport=5062 master-src=${A} master-dst=${P} sport=5060 dport=5060 PERMANENT,INACTIVE class=0`,
    ]);
    // With the defaults, media for an address other than the sender's is not expected.
    const d = new Rig();
    d.u(A, 5060, P, 5060, sip(['INVITE sip:b@203.0.113.50 SIP/2.0', 'CSeq: 1 INVITE'], sdp('198.51.100.7', 'audio 20000')));
    expect(d.expectations()).toEqual([]);
  });

  it('BYE and a final failure of the last INVITE flush the media expectations; CANCEL does not', () => {
    const r = new Rig();
    r.u(A, 5060, P, 5060, sip(['INVITE sip:b@x SIP/2.0', 'CSeq: 3 INVITE'], sdp(A, 'audio 20000')));
    r.u(A, 5060, P, 5060, sip(['CANCEL sip:b@x SIP/2.0', 'CSeq: 3 CANCEL']));
    expect(r.expectations()).toHaveLength(2);
    r.u(P, 5060, A, 5060, sip(['SIP/2.0 487 Request Terminated', 'CSeq: 2 INVITE']));
    expect(r.expectations()).toHaveLength(2);
    r.u(P, 5060, A, 5060, sip(['SIP/2.0 487 Request Terminated', 'CSeq: 3 INVITE']));
    expect(r.expectations()).toEqual([]);
    r.u(A, 5060, P, 5060, sip(['INVITE sip:b@x SIP/2.0', 'CSeq: 4 INVITE'], sdp(A, 'image 20002')));
    expect(r.expectations()).toHaveLength(2);
    r.u(P, 5060, A, 5060, sip(['BYE sip:a@x SIP/2.0', 'CSeq: 1 BYE']));
    expect(r.expectations()).toEqual([]);
    expect(r.u(P, 40000, A, 20002, 'rtp').skb.ctinfo).toBe(IP_CT_NEW);
  });

  it('REGISTER expects the registrar inactive until its 2xx, then for the expires it grants; the call gets the helper', () => {
    const r = new Rig(true);
    r.u(A6, 5060, P6, 5060, sip(['REGISTER sip:x SIP/2.0', 'CSeq: 5 REGISTER', `Contact: <sip:a@[${A6}]:5062>`, 'Expires: 3600']));
    expect(r.expectations()).toEqual([
      `179 proto=17 src=${P6} dst=${A6} sport=0 dport=5062 master-src=${A6} master-dst=${P6} sport=5060 dport=5060 PERMANENT,INACTIVE class=0`,
    ]);
    // Inactive: not matched.
    expect(r.u(P6, 5070, A6, 5062, 'x').skb.ctinfo).toBe(IP_CT_NEW);
    r.u(P6, 5060, A6, 5060, sip(['SIP/2.0 200 OK', 'CSeq: 5 REGISTER', `Contact: <sip:a@[${A6}]:5062>;expires=600`]));
    expect(r.expectations()[0]).toMatch(/^599 .* PERMANENT class=0$/);
    const call = r.u(P6, 5061, A6, 5062, sip(['INVITE sip:a@x SIP/2.0', 'CSeq: 1 INVITE'], sdp(P6, 'audio 30000', 6)));
    expect(call.skb.ctinfo).toBe(IP_CT_RELATED);
    expect(call.skb.ct!.helper?.name).toBe('sip');
    expect(r.expectations()).toHaveLength(3);
    // A REGISTER answered without that Contact loses its expectation.
    r.u(A6, 5060, P6, 5060, sip(['REGISTER sip:x SIP/2.0', 'CSeq: 6 REGISTER', `Contact: <sip:a@[${A6}]:5064>;expires=60`]));
    r.u(P6, 5060, A6, 5060, sip(['SIP/2.0 200 OK', 'CSeq: 6 REGISTER', `Contact: <sip:a@[${P6}]:5064>;expires=60`]));
    expect(r.expectations().filter((l) => l.includes('class=0'))).toEqual([]);
  });

  it('drops what it cannot parse, with the kernel log text', () => {
    const r = new Rig();
    const drop = (text: string): string => {
      expect(r.u(A, 5060, P, 5060, text).ok).toBe(false);
      return r.ct.helperDropReason ?? '';
    };
    expect(drop(sip(['SIP/2.0 abc', 'CSeq: 1 INVITE']))).toBe('nf_ct_sip: dropping packet: cannot get code');
    expect(drop(sip(['INVITE sip:b@x SIP/2.0']))).toBe('nf_ct_sip: dropping packet: cannot parse cseq');
    expect(drop(sip(['INVITE sip:b@x SIP/2.0', 'CSeq: 4294967296 INVITE']))).toBe('nf_ct_sip: dropping packet: cannot get cseq');
    expect(drop(sip(['INVITE sip:b@x SIP/2.0', 'CSeq: 1 INVITE'], sdp(A, 'audio 80')))).toBe('nf_ct_sip: dropping packet: wrong port 80');
    expect(drop(sip(['INVITE sip:b@x SIP/2.0', 'CSeq: 1 INVITE'], 'v=0\nm=audio 20000 RTP/AVP 0\n'))).toBe(
      'nf_ct_sip: dropping packet: cannot parse SDP message',
    );
    expect(drop(sip(['REGISTER sip:x SIP/2.0', 'CSeq: 1 REGISTER', `Contact: <sip:a@${A}>;expires=x`]))).toBe(
      'nf_ct_sip: dropping packet: cannot parse expires',
    );
    expect(helperLog.reason).toBe('nf_ct_sip: dropping packet: cannot parse expires');
    // Unknown methods pass unread.
    expect(r.u(A, 5060, P, 5060, 'OPTIONS sip:x SIP/2.0\r\n\r\n').ok).toBe(true);
  });

  it('reads every whole message of a TCP segment, and none split over two', () => {
    const r = new Rig();
    let cs = 100;
    let ps = 9000;
    const t = (src: string, sport: number, dst: string, dport: number, flags: string, seq: number, ack: number, text = ''): Skb =>
      r.send(r.ip(src, dst, tcp({ sport, dport, flags, seq, ack, payload: enc.encode(text) })), dport === 5060 ? 'sip' : '').skb;
    t(A, 40000, P, 5060, 'S', cs++, 0);
    t(P, 5060, A, 40000, 'SA', ps++, cs);
    t(A, 40000, P, 5060, 'A', cs, ps);
    const two =
      sip(['INVITE sip:b@x SIP/2.0', 'CSeq: 1 INVITE'], sdp(A, 'audio 20000')) + sip(['UPDATE sip:b@x SIP/2.0', 'CSeq: 2 UPDATE'], sdp(A, 'video 22000'));
    t(A, 40000, P, 5060, 'PA', cs, ps, two);
    cs += two.length;
    expect(r.expectations().map((l) => l.replace(/ master.*/, ''))).toEqual([
      `179 proto=17 src=${P} dst=${A} sport=0 dport=20000`,
      `179 proto=17 src=${P} dst=${A} sport=0 dport=20001`,
      `179 proto=17 src=${P} dst=${A} sport=0 dport=22000`,
      `179 proto=17 src=${P} dst=${A} sport=0 dport=22001`,
    ]);
    const split = sip(['INVITE sip:b@x SIP/2.0', 'CSeq: 3 INVITE'], sdp(A, 'audio 24000'));
    t(A, 40000, P, 5060, 'PA', cs, ps, split.slice(0, 40));
    t(A, 40000, P, 5060, 'PA', cs + 40, ps, split.slice(40));
    expect(r.expectations()).toHaveLength(4);
    expect(r.ct.list(r.now + 500_000_000)).toContain('tcp      6 3599 ESTABLISHED');
  });
});
