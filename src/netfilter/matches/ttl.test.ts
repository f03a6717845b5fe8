import { describe, expect, it } from 'vitest';
import { ipv4, udp } from '../../packet/build.js';
import { ttlMatch } from './ttl.js';
import { parseCtx, parseError, roundTrip, run, skbOf, usesOf } from './test-util.js';

const TTL_ROWS: Array<[string, string]> = [
  ['--ttl-eq 64', '--ttl-eq 64'],
  ['! --ttl-eq 64', '! --ttl-eq 64'],
  ['--ttl-lt 64', '--ttl-lt 64'],
  ['--ttl-gt 64', '--ttl-gt 64'],
  ['--ttl-eq 255', '--ttl-eq 255'],
  ['--ttl-eq 0', '--ttl-eq 0'],
  ['--ttl 5', '--ttl-eq 5'],
  ['--ttl-lt 0', '--ttl-lt 0'],
  ['--ttl-gt 255', '--ttl-gt 255'],
  ['--ttl-eq 0x10', '--ttl-eq 16'],
  ["--ttl-eq ' 10'", '--ttl-eq 10'],
  ['--ttl-eq 010', '--ttl-eq 8'],
];
const TTL_BAD: Array<[string, string]> = [
  ['! --ttl-lt 64', 'ttl: option "--ttl-lt" cannot be inverted.'],
  ['! --ttl-gt 64', 'ttl: option "--ttl-gt" cannot be inverted.'],
  ['--ttl-eq 256', 'ttl: bad value for option "--ttl-eq", or out of range (0-255).'],
  ['--ttl-eq x', 'ttl: bad value for option "--ttl-eq", or out of range (0-255).'],
  ['--ttl-eq 10x', 'ttl: bad value for option "--ttl-eq", or out of range (0-255).'],
  ['--ttl-eq 1 --ttl-lt 5', 'ttl: option "--ttl-lt" cannot be used together with "--ttl-eq".'],
  ['', "TTL match: You must specify one of `--ttl-eq', `--ttl-lt', `--ttl-gt"],
];

describe('ttl', () => {
  it.each(TTL_ROWS)('save %s', (i, s) => expect(roundTrip(ttlMatch, i)).toBe(s));
  it.each(TTL_BAD)('refuse %s', (i, e) => expect(parseError(ttlMatch, i)).toContain(e));
  it('compares the IP TTL', () => {
    const cfg = (t: string) => ttlMatch.parse(usesOf(ttlMatch, t), parseCtx());
    const p = skbOf(ipv4({ src: '192.0.2.1', dst: '192.0.2.2', ttl: 64 }, udp({ sport: 1, dport: 2 })));
    expect(run(ttlMatch, cfg('--ttl-eq 64'), p).matched).toBe(true);
    expect(run(ttlMatch, cfg('! --ttl-eq 64'), p).matched).toBe(false);
    expect(run(ttlMatch, cfg('! --ttl-eq 63'), p).matched).toBe(true);
    expect(run(ttlMatch, cfg('--ttl-lt 64'), p).matched).toBe(false);
    expect(run(ttlMatch, cfg('--ttl-lt 65'), p).matched).toBe(true);
    expect(run(ttlMatch, cfg('--ttl-gt 63'), p).matched).toBe(true);
    expect(run(ttlMatch, cfg('--ttl-gt 64'), p).matched).toBe(false);
  });
});
