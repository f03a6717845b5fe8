import { describe, expect, it } from 'vitest';
import { fragHeader, ipv6, raw, udp } from '../../packet/build.js';
import { fragMatch } from './frag.js';
import { parseCtx6, parseError6, run, save6, skb6, truncate6, usesOf } from './test-util.js';

// Recorded from ip6tables-restore then ip6tables-save 1.8.9 (nf_tables); BAD: the options -> its message.
const ROWS: Array<[string, string]> = [
  ['-A INPUT -m frag', '-A INPUT -m frag'],
  ['-A INPUT -m frag --fragid 5', '-A INPUT -m frag --fragid 5'],
  ['-A INPUT -m frag ! --fragid 5', '-A INPUT -m frag ! --fragid 5'],
  ['-A INPUT -m frag --fragid 5:10', '-A INPUT -m frag --fragid 5:10'],
  ['-A INPUT -m frag --fragid 10:5', '-A INPUT -m frag --fragid 10:5'],
  ['-A INPUT -m frag --fragid :10', '-A INPUT -m frag --fragid 0:10'],
  ['-A INPUT -m frag --fragid 10:', '-A INPUT -m frag --fragid 10:4294967295'],
  ['-A INPUT -m frag --fragid 0:4294967295', '-A INPUT -m frag'],
  ['-A INPUT -m frag ! --fragid 0:4294967295', '-A INPUT -m frag'],
  ['-A INPUT -m frag ! --fragid 0:', '-A INPUT -m frag'],
  ['-A INPUT -m frag --fragid 0x10', '-A INPUT -m frag --fragid 16'],
  ['-A INPUT -m frag --fraglen 8', '-A INPUT -m frag --fraglen 8'],
  ['-A INPUT -m frag ! --fraglen 8', '-A INPUT -m frag ! --fraglen 8'],
  ['-A INPUT -m frag --fraglen 0', '-A INPUT -m frag --fraglen 0'],
  ['-A INPUT -m frag --fragres', '-A INPUT -m frag --fragres'],
  ['-A INPUT -m frag --fragfirst', '-A INPUT -m frag --fragfirst'],
  ['-A INPUT -m frag --fragmore', '-A INPUT -m frag --fragmore'],
  ['-A INPUT -m frag --fraglast', '-A INPUT -m frag --fraglast'],
  ['-A INPUT -m frag --fraglast --fragid 3 --fragres --fragfirst --fraglen 8', '-A INPUT -m frag --fragid 3 --fraglen 8 --fragres --fragfirst --fraglast'],
];
const BAD: Array<[string, string]> = [
  ['--fragid 4294967296', 'frag: bad value for option "--fragid" near "4294967296", or out of range (0-4294967295).'],
  ['--fragid -1', 'frag: bad value for option "--fragid" near "-1", or out of range (0-4294967295).'],
  ['--fragid 1:2:3', 'frag: Too many components for option "--fragid" (max: 2)'],
  ['--fragid 5x', 'frag: Argument to "--fragid" has unexpected characters near "x".'],
  ['--fragid 5:x', 'frag: bad value for option "--fragid" near "x", or out of range (0-4294967295).'],
  ['--fraglen 4294967296', 'frag: bad value for option "--fraglen", or out of range (0-4294967295).'],
  ['--fragmore --fraglast', 'frag: option "--fragmore" cannot be used together with "--fraglast".'],
  ['! --fragres', 'frag: option "--fragres" cannot be inverted.'],
  ['! --fragfirst', 'frag: option "--fragfirst" cannot be inverted.'],
  ['--fragid 1 --fragid 2', 'frag: option "--fragid" can only be used once.'],
];

describe('frag: ip6tables-restore -> ip6tables-save', () => {
  it.each(ROWS)('%s', (rule, saved) => expect(save6(rule)).toBe(saved));
});

describe('frag: refusals', () => {
  it.each(BAD)('%s', (text, err) => expect(parseError6(fragMatch, text)).toBe(err));
});

const SRC = '2001:db8::2';
const DST = '2001:db8::1';
const first = ipv6({ src: SRC, dst: DST, ext: [fragHeader(0, true, 0x1234)], rawL4: true }, udp({ sport: 1, dport: 2, payload: new Uint8Array(16) }));
const later = ipv6({ src: SRC, dst: DST, ext: [fragHeader(16, true, 0x1234)], rawL4: true }, raw(17, new Uint8Array(16)));
const last = ipv6({ src: SRC, dst: DST, ext: [fragHeader(32, false, 0x1234)], rawL4: true }, raw(17, new Uint8Array(16)));

describe('frag: matching (frag_mt6)', () => {
  const cfg = (t: string) => fragMatch.parse(usesOf(fragMatch, t), parseCtx6());
  const m = (t: string, p: Uint8Array) => run(fragMatch, cfg(t), skb6(p)).matched;
  // Recorded from the kernel: first, a later and the last fragment of one packet.
  it.each([
    ['', [true, true, true]],
    ['--fragid 4660', [true, true, true]],
    ['! --fragid 1', [true, true, true]],
    ['--fragid 4661:5000', [false, false, false]],
    ['--fragfirst', [true, false, false]],
    ['--fragmore', [true, true, false]],
    ['--fraglast', [false, false, true]],
    ['--fraglen 99', [true, true, true]],
  ] as const)('%s', (t, want) => expect([m(t, first), m(t, later), m(t, last)]).toEqual(want));
  it('--fragres: the reserved byte and bits are zero', () => {
    const res = first.slice();
    res[41] = 1;
    expect(m('--fragres', first)).toBe(true);
    expect(m('--fragres', res)).toBe(false);
    const bits = first.slice();
    bits[43] = bits[43]! | 0x02;
    expect(m('--fragres', bits)).toBe(false);
  });
  it('no fragment header: no match, no drop', () => {
    expect(run(fragMatch, cfg(''), skb6(ipv6({ src: SRC, dst: DST }, udp({ sport: 1, dport: 2 }))))).toEqual({ matched: false, hotdrop: false });
  });
  // Recorded from the kernel: a fragment header of 4 or 2 bytes drops the packet.
  it('hotdrops a fragment header cut short', () => {
    const hdr = (n: number) => skb6(truncate6(ipv6({ src: SRC, dst: DST, rawL4: true }, raw(44, Uint8Array.from([17, 0, 0, 0, 0, 0, 0, 1]))), 40 + n));
    expect(run(fragMatch, cfg(''), hdr(4))).toEqual({ matched: false, hotdrop: true });
    expect(run(fragMatch, cfg(''), hdr(2))).toEqual({ matched: false, hotdrop: true });
  });
});
