import { describe, expect, it } from 'vitest';
import { InetAddr } from '../../packet/inet-addr.js';
import { ipv4, udp } from '../../packet/build.js';
import { Conn } from '../conntrack/conn.js';
import { connmarkMatch } from './connmark.js';
import { markMatch } from './mark.js';
import { parseCtx, parseError, roundTrip, run, skbOf, usesOf } from './test-util.js';

// iptables-restore then iptables-save, iptables 1.8.9 (nf_tables) on Linux 6.18.
const MARK_ROWS: Array<[string, string]> = [
  ['--mark 1', '--mark 0x1'],
  ['--mark 0x1/0xffffffff', '--mark 0x1'],
  ['--mark 0', '--mark 0x0'],
  ['! --mark 0', '! --mark 0x0'],
  ['--mark 0/0', '--mark 0x0/0x0'],
  ['! --mark 0/0', '! --mark 0x0/0x0'],
  ['--mark 0x11/0xf0', '--mark 0x11/0xf0'],
  ['--mark 4294967295', '--mark 0xffffffff'],
  ['--mark 0xffffffff/0', '--mark 0xffffffff/0x0'],
  ['--mark 010', '--mark 0x8'],
  ["--mark ' 5'", '--mark 0x5'],
  ['--mark 5/0x0f', '--mark 0x5/0xf'],
  ['! --mark 0/1', '! --mark 0x0/0x1'],
];
const MARK_BAD: Array<[string, string]> = [
  ['--mark 4294967296', 'mark: bad integer value for option "--mark", or out of range.'],
  ['--mark -1', 'mark: bad integer value for option "--mark", or out of range.'],
  ['--mark x', 'mark: bad integer value for option "--mark", or out of range.'],
  ['--mark 1/', 'mark: bad integer value for option "--mark", or out of range.'],
  ['--mark 1/x', 'mark: bad integer value for option "--mark", or out of range.'],
  ['--mark /1', 'mark: bad integer value for option "--mark", or out of range.'],
  ["--mark '1 /2'", 'mark: trailing garbage after value for option "--mark".'],
  ['--mark 5x', 'mark: trailing garbage after value for option "--mark".'],
  ['--mark 1/2/3', 'mark: trailing garbage after value for option "--mark".'],
  ['', 'mark: option "--mark" must be specified'],
];
const CONNMARK_ROWS: Array<[string, string]> = [
  ['--mark 1', '--mark 0x1'],
  ['! --mark 1/0xff', '! --mark 0x1/0xff'],
  ['--mark 0/0', '--mark 0x0/0x0'],
];
const CONNMARK_BAD: Array<[string, string]> = [
  ['--mark 4294967296', 'connmark: bad integer value for option "--mark", or out of range.'],
  ['--mark 1/', 'connmark: bad integer value for option "--mark", or out of range.'],
  ['', 'connmark: option "--mark" must be specified'],
];

const pkt = () => skbOf(ipv4({ src: '203.0.113.1', dst: '198.51.100.1' }, udp({ sport: 1, dport: 2 })));

describe('mark', () => {
  it.each(MARK_ROWS)('save %s', (i, s) => expect(roundTrip(markMatch, i)).toBe(s));
  it.each(MARK_BAD)('refuse %s', (i, e) => expect(parseError(markMatch, i)).toBe(e));
  it('tests (nfmark & mask) == value', () => {
    const cfg = (t: string) => markMatch.parse(usesOf(markMatch, t), parseCtx());
    const s = pkt();
    s.mark = 0x1234;
    expect(run(markMatch, cfg('--mark 0x1234'), s).matched).toBe(true);
    expect(run(markMatch, cfg('--mark 0x1235'), s).matched).toBe(false);
    expect(run(markMatch, cfg('--mark 0x30/0xf0'), s).matched).toBe(true);
    expect(run(markMatch, cfg('! --mark 0x30/0xf0'), s).matched).toBe(false);
    // A value with bits outside the mask never matches.
    expect(run(markMatch, cfg('--mark 0x31/0xf0'), s).matched).toBe(false);
    expect(run(markMatch, cfg('! --mark 0x31/0xf0'), s).matched).toBe(true);
    s.mark = 0xffffffff;
    expect(run(markMatch, cfg('--mark 0xffffffff'), s).matched).toBe(true);
    expect(run(markMatch, cfg('--mark 0x80000000/0x80000000'), s).matched).toBe(true);
  });
});

describe('connmark', () => {
  it.each(CONNMARK_ROWS)('save %s', (i, s) => expect(roundTrip(connmarkMatch, i)).toBe(s));
  it.each(CONNMARK_BAD)('refuse %s', (i, e) => expect(parseError(connmarkMatch, i)).toBe(e));
  it("tests the entry's mark; no entry matches neither way", () => {
    const cfg = (t: string) => connmarkMatch.parse(usesOf(connmarkMatch, t), parseCtx());
    const s = pkt();
    s.mark = 7; // the packet's own mark is not looked at
    expect(run(connmarkMatch, cfg('--mark 0'), s).matched).toBe(false);
    expect(run(connmarkMatch, cfg('! --mark 0'), s).matched).toBe(false);
    const ct = new Conn(17, InetAddr.v4(1), InetAddr.v4(2), 1, 2, InetAddr.v4(2), InetAddr.v4(1), 2, 1);
    s.ct = ct;
    expect(run(connmarkMatch, cfg('--mark 0'), s).matched).toBe(true);
    ct.mark = 0x5ac;
    expect(run(connmarkMatch, cfg('--mark 0xac/0xff'), s).matched).toBe(true);
    expect(run(connmarkMatch, cfg('! --mark 0x5ac'), s).matched).toBe(false);
    expect(run(connmarkMatch, cfg('--mark 7'), s).matched).toBe(false);
  });
});
