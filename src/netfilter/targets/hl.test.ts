import { describe, expect, it } from 'vitest';
import { ipv6, udp } from '../../packet/build.js';
import { XT_CONTINUE } from '../types.js';
import { parseCtx6, parseError6, save6, skb6, usesOf, params } from '../matches/test-util.js';
import { hlTarget } from './hl.js';

// Recorded from ip6tables-restore then ip6tables-save 1.8.9 (nf_tables), mangle table; BAD: the options -> its message.
const ROWS: Array<[string, string]> = [
  ['-A PREROUTING -j HL --hl-set 64', '-A PREROUTING -j HL --hl-set 64'],
  ['-A PREROUTING -j HL --hl-set 0', '-A PREROUTING -j HL --hl-set 0'],
  ['-A PREROUTING -j HL --hl-dec 1', '-A PREROUTING -j HL --hl-dec 1'],
  ['-A PREROUTING -j HL --hl-inc 255', '-A PREROUTING -j HL --hl-inc 255'],
  ['-A PREROUTING -j HL --hl-set 0x10', '-A PREROUTING -j HL --hl-set 16'],
  ['-A POSTROUTING -j HL --hl-inc 3', '-A POSTROUTING -j HL --hl-inc 3'],
  ['-A FORWARD -j HL --hl-dec 2', '-A FORWARD -j HL --hl-dec 2'],
];
const BAD: Array<[string, string]> = [
  ['--hl-dec 0', 'HL: bad value for option "--hl-dec", or out of range (1-255).'],
  ['--hl-inc 0', 'HL: bad value for option "--hl-inc", or out of range (1-255).'],
  ['--hl-set 256', 'HL: bad value for option "--hl-set", or out of range (0-255).'],
  ['', 'HL: You must specify an action'],
  ['--hl-set 1 --hl-dec 1', 'HL: option "--hl-set" cannot be used together with "--hl-dec".'],
  ['! --hl-set 1', 'HL: option "--hl-set" cannot be inverted.'],
];

describe('HL: ip6tables-restore -> ip6tables-save', () => {
  it.each(ROWS)('%s', (rule, saved) => expect(save6(rule, 'mangle')).toBe(saved));
  it('the mangle table only (ip6tables: RULE_APPEND failed (Invalid argument))', () => {
    expect(save6('-A INPUT -j HL --hl-set 5')).toContain('HL target is only valid in the mangle table, not filter');
    expect(save6('-A PREROUTING -j HL --hl-set 5', 'raw')).toContain('HL target is only valid in the mangle table, not raw');
  });
});

describe('HL: refusals', () => {
  it.each(BAD)('%s', (text, err) => expect(parseError6(hlTarget, text)).toBe(err));
  it('--hl-dec with --hl-inc, as HL_opts orders them', () =>
    expect(parseError6(hlTarget, '--hl-inc 1 --hl-dec 1')).toBe('HL: option "--hl-dec" cannot be used together with "--hl-inc".'));
});

describe('HL: the hop limit (hl_tg6)', () => {
  const cfg = (t: string) => hlTarget.parse(usesOf(hlTarget, t), { ...parseCtx6(), table: 'mangle' });
  const hop = (t: string, hl: number): number => {
    const skb = skb6(ipv6({ src: '2001:db8::2', dst: '2001:db8::1', hopLimit: hl }, udp({ sport: 1, dport: 2 })));
    expect(hlTarget.target(cfg(t), skb, params())).toBe(XT_CONTINUE);
    return skb.data[7]!;
  };
  it.each([
    ['--hl-set 5', 64, 5],
    ['--hl-set 0', 64, 0],
    ['--hl-inc 10', 64, 74],
    ['--hl-inc 10', 250, 255],
    ['--hl-dec 10', 64, 54],
    ['--hl-dec 10', 3, 0],
  ] as const)('%s on %i: %i', (t, before, after) => expect(hop(t, before)).toBe(after));
});
