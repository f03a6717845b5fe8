import { describe, expect, it } from 'vitest';
import { ipv4, raw, tcp } from '../../packet/build.js';
import { tcpmssMatch } from './tcpmss.js';
import { checkCtx, parseCtx, parseError, roundTrip, run, skbOf, truncate, usesOf } from './test-util.js';

// iptables-restore then iptables-save, iptables 1.8.9 (nf_tables) on Linux 6.18.
const ROWS: Array<[string, string]> = [
  ['--mss 100', '--mss 100'],
  ['--mss 100:200', '--mss 100:200'],
  ['! --mss 1460', '! --mss 1460'],
  ['--mss :200', '--mss 0:200'],
  ['--mss 100:', '--mss 100:65535'],
  ['--mss 0:65535', '--mss 0:65535'],
];
const BAD: Array<[string, string]> = [
  ['--mss 200:100', 'tcpmss: invalid range given'],
  ['--mss 65536', 'tcpmss: bad value for option "--mss" near "65536", or out of range (0-65535).'],
  ['--mss x', 'tcpmss: bad value for option "--mss" near "x", or out of range (0-65535).'],
  ['', 'tcpmss: option "--mss" must be specified'],
];

const cfg = (t: string) => tcpmssMatch.parse(usesOf(tcpmssMatch, t), parseCtx(6));
const seg = (flags: string, options?: Uint8Array) => ipv4({ src: '203.0.113.1', dst: '198.51.100.1' }, tcp({ sport: 1, dport: 2, flags, options }));
const MSS = (v: number) => Uint8Array.of(2, 4, v >> 8, v & 255);

describe('tcpmss', () => {
  it.each(ROWS)('save %s', (i, s) => expect(roundTrip(tcpmssMatch, i, 6)).toBe(s));
  it.each(BAD)('refuse %s', (i, e) => expect(parseError(tcpmssMatch, i, 6)).toBe(e));
  it('needs -p tcp without !', () => {
    expect(() => tcpmssMatch.check!(cfg('--mss 1'), checkCtx(2, 0))).toThrow(/only valid for protocol 6/);
    expect(() => tcpmssMatch.check!(cfg('--mss 1'), checkCtx(2, 6, true))).toThrow(/only valid for protocol 6/);
    expect(() => tcpmssMatch.check!(cfg('--mss 1'), checkCtx(2, 6))).not.toThrow();
  });
  it('reads the MSS option of any segment, SYN or not', () => {
    expect(run(tcpmssMatch, cfg('--mss 1460'), skbOf(seg('S', MSS(1460)))).matched).toBe(true);
    expect(run(tcpmssMatch, cfg('--mss 1460'), skbOf(seg('A', MSS(1460)))).matched).toBe(true);
    expect(run(tcpmssMatch, cfg('--mss 0:1000'), skbOf(seg('S', Uint8Array.of(1, 1, 4, 2, ...MSS(536))))).matched).toBe(true);
    expect(run(tcpmssMatch, cfg('! --mss 1400'), skbOf(seg('S', MSS(1400)))).matched).toBe(false);
    // No MSS option: only the inverted form matches.
    expect(run(tcpmssMatch, cfg('--mss 0:65535'), skbOf(seg('S'))).matched).toBe(false);
    expect(run(tcpmssMatch, cfg('! --mss 1400'), skbOf(seg('S'))).matched).toBe(true);
    // A kind 2 option whose length is not 4 is skipped.
    expect(run(tcpmssMatch, cfg('! --mss 1400'), skbOf(seg('S', Uint8Array.of(2, 3, 5, 0x78)))).matched).toBe(true);
  });
  it('hot-drops a short header, a data offset below 5 and options cut off', () => {
    expect(run(tcpmssMatch, cfg('! --mss 1'), skbOf(truncate(seg('S'), 32)))).toEqual({ matched: false, hotdrop: true });
    const bad = seg('A');
    bad[32] = 0x40;
    expect(run(tcpmssMatch, cfg('! --mss 1'), skbOf(bad))).toEqual({ matched: false, hotdrop: true });
    const cut = ipv4(
      { src: '203.0.113.1', dst: '198.51.100.1' },
      raw(6, Uint8Array.of(0, 1, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x10, 0xfa, 0xf0, 0, 0, 0, 0, 2, 4)),
    );
    expect(run(tcpmssMatch, cfg('! --mss 1'), skbOf(cut))).toEqual({ matched: false, hotdrop: true });
  });
});
