import { describe, expect, it } from 'vitest';
import { ipv4, tcp, udp } from '../../packet/build.js';
import { ecnMatch } from './ecn.js';
import { checkCtx, parseCtx, parseError, roundTrip, run, skbOf, truncate, usesOf } from './test-util.js';

// iptables-restore then iptables-save, iptables 1.8.9 (nf_tables) on Linux 6.18.
const ROWS: Array<[string, string]> = [
  ['--ecn-tcp-cwr', '--ecn-tcp-cwr'],
  ['! --ecn-tcp-cwr', '! --ecn-tcp-cwr'],
  ['--ecn-tcp-ece --ecn-tcp-cwr', '--ecn-tcp-ece --ecn-tcp-cwr'],
  ['--ecn-tcp-cwr --ecn-tcp-ece', '--ecn-tcp-ece --ecn-tcp-cwr'],
  ['! --ecn-tcp-ece ! --ecn-ip-ect 2', '! --ecn-tcp-ece ! --ecn-ip-ect 2'],
  ['--ecn-ip-ect 0 --ecn-tcp-cwr', '--ecn-tcp-cwr --ecn-ip-ect 0'],
  ['! --ecn-tcp-cwr --ecn-tcp-ece', '--ecn-tcp-ece ! --ecn-tcp-cwr'],
  ["--ecn-ip-ect ' 2'", '--ecn-ip-ect 2'],
];
const BAD: Array<[string, string]> = [
  ['--ecn-ip-ect 4', 'ecn: bad value for option "--ecn-ip-ect", or out of range (0-3).'],
  ['--ecn-ip-ect x', 'ecn: bad value for option "--ecn-ip-ect", or out of range (0-3).'],
  ['', 'ECN match: some option required'],
];

const cfg = (t: string) => ecnMatch.parse(usesOf(ecnMatch, t), parseCtx(6));
const seg = (flags: string, tos = 0) => ipv4({ src: '203.0.113.1', dst: '198.51.100.1', tos }, tcp({ sport: 1, dport: 2, flags }));

describe('ecn', () => {
  it.each(ROWS)('save %s', (i, s) => expect(roundTrip(ecnMatch, i, 6)).toBe(s));
  it.each(BAD)('refuse %s', (i, e) => expect(parseError(ecnMatch, i, 6)).toBe(e));
  it('the TCP bits need -p tcp without ! (the kernel: cannot match TCP bits for non-tcp packets)', () => {
    const c = cfg('--ecn-tcp-cwr');
    expect(() => ecnMatch.check!(c, checkCtx(2, 0))).toThrow(/non-tcp/);
    expect(() => ecnMatch.check!(c, checkCtx(2, 17))).toThrow(/non-tcp/);
    expect(() => ecnMatch.check!(c, checkCtx(2, 6, true))).toThrow(/non-tcp/);
    expect(() => ecnMatch.check!(c, checkCtx(2, 6))).not.toThrow();
    expect(() => ecnMatch.check!(cfg('--ecn-ip-ect 1'), checkCtx(2, 0))).not.toThrow();
  });
  it('tests CWR, ECE and the IP ECN field; a short header does not match and is not dropped', () => {
    expect(run(ecnMatch, cfg('--ecn-tcp-ece --ecn-tcp-cwr'), skbOf(seg('SEC'))).matched).toBe(true);
    expect(run(ecnMatch, cfg('--ecn-tcp-ece --ecn-tcp-cwr'), skbOf(seg('SE'))).matched).toBe(false);
    expect(run(ecnMatch, cfg('! --ecn-tcp-cwr'), skbOf(seg('SE'))).matched).toBe(true);
    expect(run(ecnMatch, cfg('! --ecn-tcp-cwr'), skbOf(seg('AC'))).matched).toBe(false);
    expect(run(ecnMatch, cfg('--ecn-ip-ect 2'), skbOf(seg('A', 0xba))).matched).toBe(true);
    expect(run(ecnMatch, cfg('! --ecn-ip-ect 0'), skbOf(seg('A', 0xb8))).matched).toBe(false);
    const short = run(ecnMatch, cfg('! --ecn-tcp-cwr'), skbOf(truncate(seg('S'), 32)));
    expect(short).toEqual({ matched: false, hotdrop: false });
    // The IP part alone does not read the transport header.
    const u = skbOf(ipv4({ src: '203.0.113.1', dst: '198.51.100.1', tos: 3 }, udp({ sport: 1, dport: 2 })));
    expect(run(ecnMatch, cfg('--ecn-ip-ect 3'), u).matched).toBe(true);
  });
});
