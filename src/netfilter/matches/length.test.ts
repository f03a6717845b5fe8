import { describe, expect, it } from 'vitest';
import { ipv4, udp } from '../../packet/build.js';
import { lengthMatch } from './length.js';
import { parseCtx, parseError, roundTrip, run, skbOf, usesOf } from './test-util.js';

const LENGTH_ROWS: Array<[string, string]> = [
  ['--length 100', '--length 100'],
  ['--length 100:200', '--length 100:200'],
  ['--length :200', '--length 0:200'],
  ['--length 100:', '--length 100:65535'],
  ['! --length 100:200', '! --length 100:200'],
  ['--length 200:100', '--length 200:100'],
  ['--length 0:65535', '--length 0:65535'],
  ['--length 0', '--length 0'],
  ['--length 0x10', '--length 16'],
  ["--length ' 100'", '--length 100'],
];
const LENGTH_BAD: Array<[string, string]> = [
  ['--length 65536', 'length: bad value for option "--length" near "65536", or out of range (0-65535).'],
  ['--length x', 'length: bad value for option "--length" near "x", or out of range (0-65535).'],
  ['--length 100:200:300', 'length: Too many components for option "--length" (max: 2)'],
  ['--length 100-200', 'length: Argument to "--length" has unexpected characters near "-200".'],
  ['', 'length: option "--length" must be specified'],
  ['--length 100 --length 200', 'length: option "--length" can only be used once.'],
];

describe('length', () => {
  it.each(LENGTH_ROWS)('save %s', (i, s) => expect(roundTrip(lengthMatch, i)).toBe(s));
  it.each(LENGTH_BAD)('refuse %s', (i, e) => expect(parseError(lengthMatch, i)).toContain(e));
  it('counts the IP total length', () => {
    const cfg = (t: string) => lengthMatch.parse(usesOf(lengthMatch, t), parseCtx());
    // 20 IP + 8 UDP + 72 payload = 100
    const p = skbOf(ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, udp({ sport: 1, dport: 2, payload: new Uint8Array(72) })));
    expect(p.len).toBe(100);
    expect(run(lengthMatch, cfg('--length 100'), p).matched).toBe(true);
    expect(run(lengthMatch, cfg('--length 101:'), p).matched).toBe(false);
    expect(run(lengthMatch, cfg('! --length 101:'), p).matched).toBe(true);
    expect(run(lengthMatch, cfg('--length 200:100'), p).matched).toBe(false);
    // Ethernet padding beyond the IP total length is not counted.
    const padded = new Uint8Array(128);
    padded.set(p.data);
    expect(run(lengthMatch, cfg('--length 100'), skbOf(padded)).matched).toBe(true);
  });
});
