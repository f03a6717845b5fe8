/**
 * HMARK: rule text -> iptables-save text and refusals, as Debian's iptables
 * 1.8.9 (nf_tables) on Linux 6.18 printed and refused them in a network
 * namespace; the marks themselves are compared with the kernel's, bit for
 * bit, in test/golden/hmark (conntrack's mark= after CONNMARK --save-mark).
 */
import { describe, expect, it } from 'vitest';
import { ipv4, ipv6, tcp, udp } from '../../packet/build.js';
import { Family } from '../../packet/inet-addr.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';
import { Hook, Skb, XT_CONTINUE } from '../types.js';
import { hmarkTarget } from './hmark.js';
import { params, recorder, skbOf } from './test-services.js';

function load(opts: string, family = Family.V4, table = 'mangle'): string {
  try {
    const rs = loadRuleset(`*${table}\n-A PREROUTING -j HMARK ${opts}\nCOMMIT\n`, 'test.rules', { family });
    return saveRuleset(rs)
      .split('\n')
      .filter((l) => l.startsWith('-A'))
      .at(-1)!
      .replace('-A PREROUTING -j HMARK ', '');
  } catch (e) {
    return `refused: ${(e as Error).message}`;
  }
}

describe('HMARK parsing and saving (iptables 1.8.9)', () => {
  it.each([
    ['--hmark-tuple src --hmark-mod 10 --hmark-rnd 0x1', '--hmark-src-prefix 32 --hmark-rnd 0x00000001 --hmark-mod 10'],
    [
      '--hmark-tuple src,dst,sport,dport,proto --hmark-mod 10 --hmark-rnd 0x1',
      '--hmark-src-prefix 32 --hmark-dst-prefix 32 --hmark-sport-mask 0xffff --hmark-dport-mask 0xffff --hmark-proto-mask 0xffff --hmark-rnd 0x00000001 --hmark-mod 10',
    ],
    [
      '--hmark-tuple ct,src,dst,sport,dport,proto --hmark-mod 10 --hmark-rnd 0x1 --hmark-offset 100',
      '--hmark-src-prefix 32 --hmark-dst-prefix 32 --hmark-sport-mask 0xffff --hmark-dport-mask 0xffff --hmark-proto-mask 0xffff --hmark-rnd 0x00000001 --hmark-mod 10 --hmark-offset 100 --hmark-tuple ct',
    ],
    [
      '--hmark-src-prefix 24 --hmark-dst-prefix 16 --hmark-sport-mask 0xff --hmark-dport-mask 0xff00 --hmark-proto-mask 0xf --hmark-rnd 5 --hmark-mod 3 --hmark-offset 7',
      '--hmark-src-prefix 24 --hmark-dst-prefix 16 --hmark-sport-mask 0x00ff --hmark-dport-mask 0xff00 --hmark-proto-mask 0x0f --hmark-rnd 0x00000005 --hmark-mod 3 --hmark-offset 7',
    ],
    ['--hmark-spi-mask 0x1 --hmark-mod 3 --hmark-rnd 9', '--hmark-spi-mask 0x00000001 --hmark-rnd 0x00000009 --hmark-mod 3'],
    ['--hmark-spi 0x1 --hmark-mod 3 --hmark-rnd 9', '--hmark-spi 0x00000001 --hmark-rnd 0x00000009 --hmark-mod 3'],
    ['--hmark-sport 0x1 --hmark-dport 2 --hmark-mod 3 --hmark-rnd 9', '--hmark-sport 0x0001 --hmark-dport 0x0002 --hmark-rnd 0x00000009 --hmark-mod 3'],
    ['--hmark-src-prefix 24 --hmark-tuple src --hmark-mod 7 --hmark-rnd 3', '--hmark-src-prefix 32 --hmark-rnd 0x00000003 --hmark-mod 7'],
    [
      '--hmark-tuple s,D,sp,dp,p --hmark-mod 7 --hmark-rnd 3',
      '--hmark-src-prefix 32 --hmark-dst-prefix 32 --hmark-sport-mask 0xffff --hmark-dport-mask 0xffff --hmark-proto-mask 0xffff --hmark-rnd 0x00000003 --hmark-mod 7',
    ],
    ['--hmark-tuple spi --hmark-mod 7 --hmark-rnd 3', '--hmark-spi-mask 0xffffffff --hmark-rnd 0x00000003 --hmark-mod 7'],
    [
      '--hmark-tuple src --hmark-proto-mask 0x1ff --hmark-mod 7 --hmark-rnd 3',
      '--hmark-src-prefix 32 --hmark-proto-mask 0x1ff --hmark-rnd 0x00000003 --hmark-mod 7',
    ],
    ['--hmark-src-prefix 255.0.255.0 --hmark-mod 7 --hmark-rnd 3', '--hmark-src-prefix 32 --hmark-rnd 0x00000003 --hmark-mod 7'],
    [
      '--hmark-src-prefix 255.255.0.0 --hmark-dst-prefix 0 --hmark-mod 7 --hmark-rnd 3',
      '--hmark-src-prefix 16 --hmark-dst-prefix 0 --hmark-rnd 0x00000003 --hmark-mod 7',
    ],
    ['--hmark-tuple c --hmark-mod 7 --hmark-rnd 3', '--hmark-rnd 0x00000003 --hmark-mod 7 --hmark-tuple ct'],
    [
      '--hmark-tuple ct,src --hmark-offset 4294967295 --hmark-mod 7 --hmark-rnd 3',
      '--hmark-src-prefix 32 --hmark-rnd 0x00000003 --hmark-mod 7 --hmark-offset 4294967295 --hmark-tuple ct',
    ],
  ])('%s', (opts, want) => {
    expect(load(opts)).toBe(want);
  });

  it('prints IPv6 prefixes out of 128', () => {
    expect(load('--hmark-tuple src,dst --hmark-mod 3 --hmark-rnd 1', Family.V6)).toBe(
      '--hmark-src-prefix 128 --hmark-dst-prefix 128 --hmark-rnd 0x00000001 --hmark-mod 3',
    );
    expect(load('--hmark-src-prefix 64 --hmark-dst-prefix ffff:ffff:ffff:ff00:: --hmark-mod 3 --hmark-rnd 1', Family.V6)).toBe(
      '--hmark-src-prefix 64 --hmark-dst-prefix 56 --hmark-rnd 0x00000001 --hmark-mod 3',
    );
  });

  it.each([
    ['--hmark-tuple src --hmark-src-prefix 24 --hmark-mod 7 --hmark-rnd 3', 'HMARK: option "--hmark-src-prefix" can only be used once.'],
    ['--hmark-tuple spi,sport --hmark-mod 7 --hmark-rnd 3', 'you cannot use --hmark-spi-mask and --hmark-?port-mask,at the same time'],
    ['--hmark-tuple src,foo --hmark-mod 7 --hmark-rnd 3', 'Bad type "foo"'],
    ['--hmark-tuple foo,src --hmark-mod 7 --hmark-rnd 3', 'Bad type "foo,src"'],
    ['--hmark-tuple ,src --hmark-mod 7 --hmark-rnd 3', 'Bad type ",src"'],
    ['--hmark-tuple src, --hmark-mod 7 --hmark-rnd 3', '"--hmark-tuple" requires a list of types with no spaces, e.g. src,dst,sport,dport,proto'],
    ['--hmark-tuple src --hmark-tuple dst --hmark-mod 7 --hmark-rnd 3', 'HMARK: option "--hmark-tuple" can only be used once.'],
    ['--hmark-tuple src --hmark-mod 0 --hmark-rnd 3', 'HMARK: bad value for option "--hmark-mod", or out of range (1-4294967295).'],
    ['--hmark-offset 5 --hmark-mod 7 --hmark-rnd 3', 'you have to specify --hmark-tuple at least'],
    [
      '--hmark-sport-mask 0x10000 --hmark-tuple src --hmark-mod 7 --hmark-rnd 3',
      'HMARK: bad value for option "--hmark-sport-mask", or out of range (0-65535).',
    ],
    ['--hmark-tuple src --hmark-rnd 3', '--hmark-mod is mandatory'],
    ['--hmark-tuple src --hmark-mod 3', '--hmark-rnd is mandatory'],
    // The kernel's hmark_tg_check (RULE_APPEND failed (Invalid argument)).
    ['--hmark-spi 5 --hmark-sport 1 --hmark-mod 7 --hmark-rnd 3', "spi-set and port-set can't be combined"],
  ])('refuses %s', (opts, why) => {
    expect(load(opts)).toContain(why);
  });

  it('is valid in every table', () => {
    expect(load('--hmark-tuple src --hmark-mod 3 --hmark-rnd 1', Family.V4, 'raw')).toBe('--hmark-src-prefix 32 --hmark-rnd 0x00000001 --hmark-mod 3');
  });
});

function cfg(text: string, family = Family.V4) {
  const words = text.split(' ');
  const uses = [];
  for (let i = 0; i < words.length; i += 2) {
    const name = words[i]!.slice(2);
    uses.push({ spec: hmarkTarget.options.find((o) => o.name === name)!, written: name, args: [words[i + 1]!], invert: false, pos: { line: 1, column: 1 } });
  }
  return hmarkTarget.parse(uses, { family, table: 'mangle', chain: 'PREROUTING', head: { proto: 0, invProto: false, fragment: false, invFragment: false } });
}

function markOf(c: ReturnType<typeof cfg>, skb: Skb): number {
  skb.mark = 0xdead;
  expect(hmarkTarget.target(c, skb, params(recorder(), Hook.PreRouting, null, null))).toBe(XT_CONTINUE);
  return skb.mark;
}

describe('HMARK on packets', () => {
  const c = cfg('--hmark-tuple src,dst,sport,dport,proto --hmark-mod 4294967000 --hmark-rnd 0xdeadbeef');

  it('gives both directions of a flow the same mark', () => {
    const a = markOf(c, skbOf(ipv4({ src: '192.0.2.20', dst: '203.0.113.9' }, tcp({ sport: 33000, dport: 1000, flags: 'S' }))));
    const b = markOf(c, skbOf(ipv4({ src: '203.0.113.9', dst: '192.0.2.20' }, tcp({ sport: 1000, dport: 33000, flags: 'SA' }))));
    expect(a).toBe(b);
    // The kernel's mark for this flow (test/golden/hmark/kernel.conntrack).
    expect(a).toBe(1440871407);
    const a6 = markOf(c, new Skb().loadV6(ipv6({ src: '2001:db8:2::20', dst: '2001:db8:99::5' }, tcp({ sport: 34000, dport: 2000, flags: 'S' }))));
    const b6 = markOf(c, new Skb().loadV6(ipv6({ src: '2001:db8:99::5', dst: '2001:db8:2::20' }, tcp({ sport: 2000, dport: 34000, flags: 'SA' }))));
    expect(a6).toBe(b6);
    expect(a6).toBe(3468874192);
  });

  it('scales into the modulus and adds the offset', () => {
    const small = cfg('--hmark-tuple src,dst,sport,dport,proto --hmark-mod 4 --hmark-offset 100 --hmark-rnd 0x1');
    for (let p = 1; p < 50; p++) {
      const m = markOf(small, skbOf(ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, udp({ sport: p, dport: 53 }))));
      expect(m).toBeGreaterThanOrEqual(100);
      expect(m).toBeLessThan(104);
    }
  });

  it('leaves the mark alone with --hmark-tuple ct and no connection', () => {
    const ct = cfg('--hmark-tuple ct,src --hmark-mod 7 --hmark-rnd 3');
    expect(markOf(ct, skbOf(ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, udp({ sport: 1, dport: 2 }))))).toBe(0xdead);
  });

  it('hashes the zero tuple for an IPv6 chain it cannot follow', () => {
    const ip = ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }, udp({ sport: 1, dport: 2 }));
    ip[6] = 0; // hop-by-hop options that run past the packet
    const bad = new Uint8Array(41);
    bad.set(ip.subarray(0, 40));
    bad[5] = 1;
    const zero = markOf(c, new Skb().loadV6(bad));
    expect(zero).not.toBe(0xdead);
    const bad2 = bad.slice();
    bad2[8] = 0x30; // another source: still the zero tuple
    expect(markOf(c, new Skb().loadV6(bad2))).toBe(zero);
  });
});
