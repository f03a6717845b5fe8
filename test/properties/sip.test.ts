/**
 * The sip helper on any payload: SIP-like messages pieced together from the
 * tokens its parser looks for (and any bytes among them), over UDP and TCP,
 * in both families. It never throws, lets the packet through or drops it
 * with the kernel's log text, and every expectation it makes is for UDP
 * media between the two ends of the signalling, or for a call to the sender.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipv4, ipv6, tcp, udp } from '../../src/packet/build.js';
import { helperIndex } from '../../src/netfilter/conntrack/helper-registry.js';
import { Conntrack, ZONE_DIR_BOTH, zoneTemplate } from '../../src/netfilter/conntrack/index.js';
import { Hook, NF_ACCEPT, Skb } from '../../src/netfilter/types.js';
import { params, timeout } from './config.js';

const TOKENS = [
  'INVITE sip:b@x SIP/2.0',
  'REGISTER sip:x SIP/2.0',
  'UPDATE sip:x SIP/2.0',
  'BYE sip:x SIP/2.0',
  'ACK sip:x SIP/2.0',
  'PRACK sip:x SIP/2.0',
  'SIP/2.0 200 OK',
  'SIP/2.0 183 x',
  'SIP/2.0 487 x',
  'SIP/2.0 ',
  'CSeq: ',
  'CSeq: 1 INVITE',
  'CSeq: 1 REGISTER',
  '1',
  '4294967296',
  ' INVITE',
  ' REGISTER',
  '\r\n',
  '\n',
  '\r',
  ' ',
  '\t',
  ':',
  ',',
  ';',
  'Contact: <sip:a@',
  'm: ',
  'sip:',
  '@',
  '192.0.2.10',
  '[2001:db8:2::10]',
  '2001:db8:2::10',
  ':5062',
  ':99',
  '>',
  ';expires=',
  ';transport=tcp',
  'Expires: 60',
  'v=0',
  'c=IN IP4 192.0.2.10',
  'c=IN IP6 2001:db8:2::10',
  'm=audio ',
  'm=video ',
  'm=image ',
  '20000',
  '0',
  '80',
  'Content-Length: ',
  'l: ',
  '\r\n\r\n',
];

const enc = new TextEncoder();
const tokens = fc.array(fc.constantFrom(...TOKENS), { maxLength: 6 }).map((t) => t.join(''));
/** A line: one the parser acts on (with the sender's address as SELF), or pieces of them. */
const line = (lines: string[]): fc.Arbitrary<string> => fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...lines) }, { weight: 1, arbitrary: tokens });
const START = [
  'INVITE sip:b@x SIP/2.0',
  'REGISTER sip:x SIP/2.0',
  'UPDATE sip:x SIP/2.0',
  'BYE sip:x SIP/2.0',
  'ACK sip:x SIP/2.0',
  'SIP/2.0 200 OK',
  'SIP/2.0 183 x',
  'SIP/2.0 487 x',
];
const HEADERS = [
  'CSeq: 1 INVITE',
  'CSeq: 1 REGISTER',
  'CSeq: 2 UPDATE',
  'Contact: <sip:a@SELF:5062>;expires=60',
  'm: <sip:a@SELF:5064;transport=tcp>, <sip:SELF>',
  'Expires: 60',
  'Content-Type: application/sdp',
];
const BODY = ['v=0', 'c=IN IP4 SELF', 'c=IN IP6 SELF', 'm=audio 20000 RTP/AVP 0', 'm=video 20003 RTP/AVP 0', 'm=image 20010 RTP/AVP 0', 'm=audio 0 RTP/AVP 0'];
const message = fc
  .tuple(line(START), fc.array(line(HEADERS), { maxLength: 6 }), fc.array(line(BODY), { maxLength: 6 }), fc.boolean(), fc.uint8Array({ maxLength: 4 }))
  .map(([start, headers, body, length, junk]) => {
    const b = body.join('\r\n');
    const hs = length ? [...headers, `Content-Length: ${b.length}`] : headers;
    return { text: `${[start, ...hs].join('\r\n')}\r\n\r\n${b}`, junk };
  });

describe('sip helper on any payload', () => {
  it(
    'never throws, accepts or drops with the kernel text, and expects only media between the ends or calls to the sender',
    () => {
      let made = 0;
      fc.assert(
        fc.property(fc.boolean(), fc.boolean(), fc.array(fc.tuple(fc.boolean(), message), { minLength: 1, maxLength: 4 }), (v6, overTcp, msgs) => {
          const ct = new Conntrack();
          const a = v6 ? '2001:db8:2::10' : '192.0.2.10';
          const p = v6 ? '2001:db8:ff::50' : '203.0.113.50';
          let now = 1_000_000_000;
          const ip = (src: string, dst: string, l4: ReturnType<typeof udp>): Uint8Array => (v6 ? ipv6({ src, dst }, l4) : ipv4({ src, dst }, l4));
          const send = (bytes: Uint8Array): boolean => {
            const skb = v6 ? new Skb().loadV6(bytes) : new Skb().load(bytes);
            skb.ctZone = zoneTemplate(0, ZONE_DIR_BOTH, false, helperIndex('sip', overTcp ? 6 : 17));
            now += 1_000_000;
            expect(ct.in(skb, Hook.PreRouting, now)).toBe(NF_ACCEPT);
            const ok = ct.confirm(skb, now);
            if (!ok) expect(ct.helperDropReason ?? '').toMatch(/^nf_ct_sip: dropping packet: /);
            return ok;
          };
          let cs = 100;
          let ps = 5000;
          if (overTcp) {
            send(ip(a, p, tcp({ sport: 40000, dport: 5060, flags: 'S', seq: cs++ })));
            send(ip(p, a, tcp({ sport: 5060, dport: 40000, flags: 'SA', seq: ps++, ack: cs })));
          }
          for (const [fromA, msg] of msgs) {
            const [src, dst, sport, dport] = fromA ? [a, p, 40000, 5060] : [p, a, 5060, 40000];
            const text = enc.encode(msg.text.replace(/SELF/g, v6 ? `[${src}]` : src).replace(/IP6 \[(.*?)\]/g, 'IP6 $1'));
            const body = new Uint8Array([...text, ...msg.junk]);
            if (overTcp) {
              send(ip(src, dst, tcp({ sport, dport, flags: 'PA', seq: fromA ? cs : ps, ack: fromA ? ps : cs, payload: body })));
              if (fromA) cs += body.length;
              else ps += body.length;
            } else send(ip(src, dst, udp({ sport, dport, payload: body })));
          }
          for (const line of ct.listExpectations(now).split('\n').filter(Boolean)) {
            made++;
            const m = /proto=(\d+) src=(\S+) dst=(\S+) sport=0 dport=(\d+) /.exec(line)!;
            expect([a, p]).toContain(m[2]);
            expect([a, p]).toContain(m[3]);
            expect(m[2]).not.toBe(m[3]);
            expect(Number(m[4])).toBeGreaterThanOrEqual(1024);
            if (m[1] === '6') expect(line).toContain('PERMANENT');
          }
        }),
        params(300),
      );
      // The pieces do make expectations (the property is not vacuous).
      expect(made).toBeGreaterThan(0);
    },
    timeout(60_000),
  );
});
