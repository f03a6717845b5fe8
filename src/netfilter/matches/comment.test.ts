import { describe, expect, it } from 'vitest';
import { commentMatch } from './comment.js';
import { parseCtx, parseError, roundTrip, run, skbOf, usesOf } from './test-util.js';
import { ipv4, udp } from '../../packet/build.js';

// Input -> iptables-save 1.8.9 text after `-m comment`.
const ROWS: Array<[string, string]> = [
  ['--comment hello', '--comment hello'],
  ['--comment "hello world"', '--comment "hello world"'],
  ['--comment ""', '--comment ""'],
  [`--comment 'a"b'`, '--comment "a\\"b"'],
  [`--comment "a'b"`, '--comment "a\\\'b"'],
  [`--comment 'a\\b'`, '--comment "a\\\\b"'],
  [`--comment 'a$b'`, '--comment "a$b"'],
  [`--comment 'a;b'`, '--comment "a;b"'],
  [`--comment '-x'`, '--comment -x'],
  ["--comment 'tab\there'", '--comment "tab\there"'],
  ["--comment 'a`b'", '--comment "a`b"'],
  ["--comment 'a!b'", '--comment "a!b"'],
  ["--comment 'ü'", '--comment "ü"'],
  [`--comment ${'x'.repeat(255)}`, `--comment ${'x'.repeat(255)}`],
  [`--comment ${'x'.repeat(300)}`, `--comment ${'x'.repeat(255)}`],
];

describe('comment: parse -> save (iptables-save 1.8.9)', () => {
  it.each(ROWS)('%s', (input, saved) => expect(roundTrip(commentMatch, input)).toBe(saved));
  it('cuts at 255 bytes without splitting a character', () => {
    const saved = roundTrip(commentMatch, `--comment ${'x'.repeat(254)}ü`);
    expect(saved).toBe(`--comment ${'x'.repeat(254)}`);
  });
});

describe('comment: refusals and matching', () => {
  it('refuses what iptables refuses', () => {
    expect(parseError(commentMatch, '')).toBe('comment: option "--comment" must be specified');
    expect(parseError(commentMatch, '--comment a --comment b')).toBe('comment: option "--comment" can only be used once.');
    expect(parseError(commentMatch, '! --comment a')).toBe('comment: option "--comment" cannot be inverted.');
  });
  it('always matches', () => {
    const c = commentMatch.parse(usesOf(commentMatch, '--comment x'), parseCtx());
    const p = skbOf(ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, udp({ sport: 1, dport: 2 })));
    expect(run(commentMatch, c, p)).toEqual({ matched: true, hotdrop: false });
  });
});
