import { describe, expect, it } from 'vitest';
import { ipv6, udp } from '../../packet/build.js';
import { hlMatch } from './hl.js';
import { parseCtx6, parseError6, run, save6, skb6, usesOf } from './test-util.js';

// Recorded from ip6tables-restore then ip6tables-save 1.8.9 (nf_tables); BAD: the options -> its message.
const ROWS: Array<[string, string]> = [
  ['-A INPUT -m hl --hl-eq 64', '-A INPUT -m hl --hl-eq 64'],
  ['-A INPUT -m hl ! --hl-eq 64', '-A INPUT -m hl ! --hl-eq 64'],
  ['-A INPUT -m hl --hl-lt 64', '-A INPUT -m hl --hl-lt 64'],
  ['-A INPUT -m hl --hl-gt 0', '-A INPUT -m hl --hl-gt 0'],
  ['-A INPUT -m hl --hl 5', '-A INPUT -m hl --hl-eq 5'],
  ['-A INPUT -m hl ! --hl 5', '-A INPUT -m hl ! --hl-eq 5'],
  ['-A INPUT -m hl --hl-eq 0x10', '-A INPUT -m hl --hl-eq 16'],
  ['-A INPUT -m hl --hl-eq 010', '-A INPUT -m hl --hl-eq 8'],
];
const BAD: Array<[string, string]> = [
  ['--hl-eq 256', 'hl: bad value for option "--hl-eq", or out of range (0-255).'],
  ['--hl-eq -1', 'hl: bad value for option "--hl-eq", or out of range (0-255).'],
  ['--hl-eq x', 'hl: bad value for option "--hl-eq", or out of range (0-255).'],
  ['! --hl-lt 3', 'hl: option "--hl-lt" cannot be inverted.'],
  ['--hl-eq 1 --hl-lt 5', 'hl: option "--hl-lt" cannot be used together with "--hl-eq".'],
  ['--hl-eq 1 --hl-eq 2', 'hl: option "--hl-eq" can only be used once.'],
  ['--hl 1 --hl-eq 2', 'hl: option "--hl-eq" can only be used once.'],
  ['', "HL match: You must specify one of `--hl-eq', `--hl-lt', `--hl-gt'"],
];

describe('hl: ip6tables-restore -> ip6tables-save', () => {
  it.each(ROWS)('%s', (rule, saved) => expect(save6(rule)).toBe(saved));
  it('--hl names itself in its message', () => expect(parseError6(hlMatch, '--hl 256')).toBe('hl: bad value for option "--hl", or out of range (0-255).'));
  it('is an ip6tables match (iptables has ttl)', () => expect(save6('-A INPUT -m ttl --ttl-eq 1')).toContain("Couldn't load match `ttl'"));
});

describe('hl: refusals', () => {
  it.each(BAD)('%s', (text, err) => expect(parseError6(hlMatch, text)).toBe(err));
  it('--hl-gt with --hl-eq, as hl_opts orders them', () =>
    expect(parseError6(hlMatch, '--hl-gt 1 --hl-eq 2')).toBe('hl: option "--hl-gt" cannot be used together with "--hl-eq".'));
});

describe('hl: matching the hop limit', () => {
  const cfg = (t: string) => hlMatch.parse(usesOf(hlMatch, t), parseCtx6());
  const p = skb6(ipv6({ src: '2001:db8::2', dst: '2001:db8::1', hopLimit: 64 }, udp({ sport: 1, dport: 2 })));
  it.each([
    ['--hl-eq 64', true],
    ['--hl-eq 63', false],
    ['! --hl-eq 64', false],
    ['! --hl-eq 63', true],
    ['--hl 64', true],
    ['--hl-lt 64', false],
    ['--hl-lt 65', true],
    ['--hl-gt 63', true],
    ['--hl-gt 64', false],
  ] as const)('%s: %s', (t, want) => expect(run(hlMatch, cfg(t), p).matched).toBe(want));
});
