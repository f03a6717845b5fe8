import { describe, expect, it } from 'vitest';
import { fragHeader, ipv6, raw } from '../../packet/build.js';
import { mhMatch } from './mh.js';
import { checkCtx6, parseCtx6, parseError6, run, save6, skb6, truncate6, usesOf } from './test-util.js';

// Recorded from ip6tables-restore then ip6tables-save 1.8.9 (nf_tables); BAD: the options -> its message.
const ROWS: Array<[string, string]> = [
  ['-A INPUT -p mh -m mh --mh-type 1', '-A INPUT -p mobility-header -m mh --mh-type 1'],
  ['-A INPUT -p mh -m mh --mh-type binding-update', '-A INPUT -p mobility-header -m mh --mh-type 5'],
  ['-A INPUT -p mh -m mh --mh-type bu', '-A INPUT -p mobility-header -m mh --mh-type 5'],
  ['-A INPUT -p mh -m mh --mh-type b', '-A INPUT -p mobility-header -m mh --mh-type 0'],
  ['-A INPUT -p mh -m mh --mh-type binding', '-A INPUT -p mobility-header -m mh --mh-type 0'],
  ['-A INPUT -p mh -m mh --mh-type BE', '-A INPUT -p mobility-header -m mh --mh-type 7'],
  ['-A INPUT -p mh -m mh --mh-type h', '-A INPUT -p mobility-header -m mh --mh-type 1'],
  ['-A INPUT -p mh -m mh --mh-type home-test', '-A INPUT -p mobility-header -m mh --mh-type 3'],
  ['-A INPUT -p mh -m mh --mh-type ho', '-A INPUT -p mobility-header -m mh --mh-type 1'],
  ['-A INPUT -p mh -m mh --mh-type hot', '-A INPUT -p mobility-header -m mh --mh-type 3'],
  ['-A INPUT -p mh -m mh --mh-type care', '-A INPUT -p mobility-header -m mh --mh-type 2'],
  ['-A INPUT -p mh -m mh ! --mh-type 2:5', '-A INPUT -p mobility-header -m mh ! --mh-type 2:5'],
  ['-A INPUT -p mh -m mh --mh-type :5', '-A INPUT -p mobility-header -m mh --mh-type 0:5'],
  ['-A INPUT -p mh -m mh --mh-type 5:', '-A INPUT -p mobility-header -m mh --mh-type 5:255'],
  ['-A INPUT -p mh -m mh --mh-type 0:255', '-A INPUT -p mobility-header -m mh'],
  ['-A INPUT -p mh -m mh ! --mh-type 0:255', '-A INPUT -p mobility-header -m mh'],
  ['-A INPUT -p mh -m mh --mh-type :', '-A INPUT -p mobility-header -m mh'],
  ['-A INPUT -p mh -m mh --mh-type bu:ba', '-A INPUT -p mobility-header -m mh --mh-type 5:6'],
  ['-A INPUT -p mh -m mh --mh-type ""', '-A INPUT -p mobility-header -m mh --mh-type 0'],
  ['-A INPUT -p mh -m mh --mh-type 0x5', '-A INPUT -p mobility-header -m mh --mh-type 5'],
  ['-A INPUT -p mh -m mh', '-A INPUT -p mobility-header -m mh'],
];
const BAD: Array<[string, string]> = [
  ['--mh-type 5:2', 'Invalid MH type range (min > max)'],
  ['--mh-type 256', "Invalid MH type `256'"],
  ['--mh-type foo', "Invalid MH type `foo'"],
  ['--mh-type 1:2:3', "Invalid MH type `2:3'"],
  ['--mh-type -0', "Invalid MH type `-0'"],
  ['--mh-type 1 --mh-type 2', 'mh: option "--mh-type" can only be used once.'],
];

describe('mh: ip6tables-restore -> ip6tables-save', () => {
  it.each(ROWS)('%s', (rule, saved) => expect(save6(rule)).toBe(saved));
  it('-p ipv6-mh is 135 too', () => expect(save6('-A INPUT -p ipv6-mh -m mh --mh-type 1')).toBe('-A INPUT -p mobility-header -m mh --mh-type 1'));
  it('as ip6tables, -p mobility-header and -p 135 do not load it implicitly (only -p mh does)', () => {
    expect(save6('-A INPUT -p mobility-header --mh-type 1')).toMatch(/unknown option .--mh-type/);
    expect(save6('-A INPUT -p 135 --mh-type 1')).toMatch(/unknown option .--mh-type/);
  });
});

describe('mh: refusals', () => {
  it.each(BAD)('%s', (text, err) => expect(parseError6(mhMatch, text)).toBe(err));
  it('the kernel wants -p mh, not inverted (ip6tables: RULE_APPEND failed (Invalid argument))', () => {
    const c = mhMatch.parse(usesOf(mhMatch, '--mh-type 1'), parseCtx6(135));
    expect(() => mhMatch.check!(c, checkCtx6(2, 0))).toThrow('mh match: only valid for protocol 135');
    expect(() => mhMatch.check!(c, checkCtx6(2, 6))).toThrow('mh match: only valid for protocol 135');
    expect(() => mhMatch.check!(c, checkCtx6(2, 135, true))).toThrow('mh match: only valid for protocol 135');
    expect(() => mhMatch.check!(c, checkCtx6(2, 135))).not.toThrow();
  });
});

const SRC = '2001:db8::2';
const DST = '2001:db8::1';
const mh = (proto: number, type: number) => ipv6({ src: SRC, dst: DST, rawL4: true }, raw(135, Uint8Array.from([proto, 0, type, 0, 0, 0, 0, 0])));

// Each recorded from the kernel with the same rule and packet.
describe('mh: matching (mh_mt6)', () => {
  const cfg = (t: string) => mhMatch.parse(usesOf(mhMatch, t), parseCtx6(135));
  it('the type, ranges and inversion', () => {
    expect(run(mhMatch, cfg('--mh-type 5'), skb6(mh(59, 5))).matched).toBe(true);
    expect(run(mhMatch, cfg('--mh-type 6'), skb6(mh(59, 5))).matched).toBe(false);
    expect(run(mhMatch, cfg('--mh-type bu:ba'), skb6(mh(59, 6))).matched).toBe(true);
    expect(run(mhMatch, cfg('! --mh-type 2:5'), skb6(mh(59, 6))).matched).toBe(true);
    expect(run(mhMatch, cfg(''), skb6(mh(59, 200))).matched).toBe(true);
  });
  it('hotdrops a payload proto other than 59 and a header shorter than 6 bytes', () => {
    expect(run(mhMatch, cfg('--mh-type 5'), skb6(mh(6, 5)))).toEqual({ matched: false, hotdrop: true });
    expect(run(mhMatch, cfg('--mh-type 5'), skb6(truncate6(mh(59, 5), 45)))).toEqual({ matched: false, hotdrop: true });
  });
  it('never matches a non-first fragment', () => {
    const p = ipv6({ src: SRC, dst: DST, ext: [fragHeader(8, false, 1)], rawL4: true }, raw(135, new Uint8Array(8)));
    expect(run(mhMatch, cfg('! --mh-type 5'), skb6(p))).toEqual({ matched: false, hotdrop: false });
  });
});
