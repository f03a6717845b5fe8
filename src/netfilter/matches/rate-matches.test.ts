/**
 * Parse -> save rows and refusals of limit, hashlimit, recent, statistic and
 * connlimit, taken from Debian's iptables-restore / iptables-save 1.8.9 on
 * the reference kernel, and their per-packet behaviour on crafted packets.
 */
import { describe, expect, it } from 'vitest';
import { icmp, ipv4, tcp, udp } from '../../packet/build.js';
import type { GuestServices, XtParams } from '../types.js';
import { CheckError } from '../xt.js';
import { limitMatch, limitTake } from './limit.js';
import { hashlimitMatch } from './hashlimit.js';
import { recentMatch } from './recent.js';
import { statisticMatch, SeededRandom } from './statistic.js';
import { connlimitMatch } from './connlimit.js';
import { checkCtx, params, parseCtx, parseError, roundTrip, run, services, skbOf, usesOf } from './test-util.js';

const LIMIT_ROWS: Array<[string, string]> = [
  ['--limit 3/min --limit-burst 7', '--limit 3/min --limit-burst 7'],
  ['--limit 10/sec', '--limit 10/sec'],
  ['', '--limit 3/hour'],
  ['--limit 1/hour', '--limit 1/hour'],
  ['--limit 2/day', '--limit 2/day'],
  ['--limit 5/m', '--limit 5/min'],
  ['--limit 5/s', '--limit 5/sec'],
  ['--limit 5/se', '--limit 5/sec'],
  ['--limit 5', '--limit 5/sec'],
  ['--limit 10000/s', '--limit 10000/sec'],
  ['--limit 7/min', '--limit 7/min'],
  ['--limit 13/minute', '--limit 13/min'],
  ['--limit 400/hour', '--limit 400/hour'],
  ['--limit 100/day', '--limit 100/day'],
  ['--limit 3/h --limit-burst 0', '--limit 3/hour'],
  ['--limit-burst 10000', '--limit 3/hour --limit-burst 10000'],
  ['--limit 5/MIN', '--limit 5/min'],
  ['--limit 5x/s', '--limit 5/sec'],
  ['--limit 4000/min', '--limit 4000/min'],
];
const LIMIT_BAD: Array<[string, string]> = [
  ['--limit 5/x', 'bad rate "5/x"\''],
  ['--limit 0/s', 'bad rate "0/s"\''],
  ['--limit /s', 'bad rate "/s"\''],
  ['--limit 5/', 'bad rate "5/"\''],
  ['--limit abc', 'bad rate "abc"\''],
  ['--limit 10001/s', 'Rate too fast "10001/s"'],
  ['--limit -5/s', 'Rate too fast "-5/s"'],
  ['--limit-burst 10001', 'limit: bad value for option "--limit-burst", or out of range (0-10000).'],
  ['! --limit 5/s', 'limit: option "--limit" cannot be inverted.'],
];

const HL = '--hashlimit-name a';
const HASHLIMIT_ROWS: Array<[string, string]> = [
  [`--hashlimit-upto 5/sec ${HL}`, `--hashlimit-upto 5/sec --hashlimit-burst 5 ${HL}`],
  [`--hashlimit 5 ${HL} --hashlimit-mode srcip`, `--hashlimit-upto 5/sec --hashlimit-burst 5 --hashlimit-mode srcip ${HL}`],
  [`! --hashlimit-upto 5/min ${HL}`, `--hashlimit-above 5/min --hashlimit-burst 5 ${HL}`],
  [`! --hashlimit-above 5/min ${HL}`, `--hashlimit-upto 5/min --hashlimit-burst 5 ${HL}`],
  [`--hashlimit-upto 1kb/s ${HL}`, `--hashlimit-upto 1kb/s ${HL}`],
  [`--hashlimit-upto 1mb/s ${HL}`, `--hashlimit-upto 1mb/s ${HL}`],
  [`--hashlimit-upto 1000b/s ${HL}`, `--hashlimit-upto 992b/s ${HL}`],
  [`--hashlimit-upto 512kb/s --hashlimit-burst 1mb ${HL}`, `--hashlimit-upto 512kb/s --hashlimit-burst 1mb ${HL}`],
  [`--hashlimit-upto 100kb/s --hashlimit-burst 1000kb ${HL}`, `--hashlimit-upto 100kb/s --hashlimit-burst 1000kb ${HL}`],
  [`--hashlimit-upto 5/s --hashlimit-burst 1000000 ${HL}`, `--hashlimit-upto 5/sec --hashlimit-burst 1000000 ${HL}`],
  [`--hashlimit-upto 1/day --hashlimit-burst 1000 ${HL}`, `--hashlimit-upto 1/day --hashlimit-burst 1000 ${HL}`],
  [
    `--hashlimit-upto 5/s --hashlimit-mode dstport,srcport,dstip,srcip ${HL}`,
    `--hashlimit-upto 5/sec --hashlimit-burst 5 --hashlimit-mode srcip,srcport,dstip,dstport ${HL}`,
  ],
  [`--hashlimit-upto 5/s --hashlimit-mode srcip|dstip ${HL}`, `--hashlimit-upto 5/sec --hashlimit-burst 5 --hashlimit-mode srcip,dstip ${HL}`],
  [`--hashlimit-upto 5/s --hashlimit-srcmask 32 --hashlimit-dstmask 0 ${HL}`, `--hashlimit-upto 5/sec --hashlimit-burst 5 ${HL} --hashlimit-dstmask 0`],
  [`--hashlimit-upto 5/s --hashlimit-htable-expire 1000 ${HL}`, `--hashlimit-upto 5/sec --hashlimit-burst 5 ${HL}`],
  [`--hashlimit-upto 5/min --hashlimit-htable-expire 60000 ${HL}`, `--hashlimit-upto 5/min --hashlimit-burst 5 ${HL}`],
  [`--hashlimit-upto 5/min --hashlimit-htable-size 2000000 ${HL}`, `--hashlimit-upto 5/min --hashlimit-burst 5 ${HL} --hashlimit-htable-size 1048576`],
  [`--hashlimit-upto 7/min ${HL}`, `--hashlimit-upto 7/min --hashlimit-burst 5 ${HL}`],
  [`--hashlimit-upto 400/hour ${HL}`, `--hashlimit-upto 400/hour --hashlimit-burst 5 ${HL}`],
  [`--hashlimit-upto 3/h ${HL}`, `--hashlimit-upto 3/hour --hashlimit-burst 5 ${HL}`],
  [`--hashlimit-upto 5/s ${HL} --hashlimit-htable-max 5`, `--hashlimit-upto 5/sec --hashlimit-burst 5 ${HL} --hashlimit-htable-max 5`],
  [`--hashlimit-upto 5/s ${HL} --hashlimit-burst 5k`, `--hashlimit-upto 5/sec --hashlimit-burst 5120 ${HL}`],
  [
    '--hashlimit-above 100kb/s --hashlimit-name bar --hashlimit-srcmask 24 --hashlimit-mode srcip --hashlimit-htable-expire 2000 --hashlimit-htable-size 64 --hashlimit-htable-max 100 --hashlimit-htable-gcinterval 500',
    '--hashlimit-above 100kb/s --hashlimit-mode srcip --hashlimit-name bar --hashlimit-htable-size 64 --hashlimit-htable-max 100 --hashlimit-htable-gcinterval 500 --hashlimit-htable-expire 2000 --hashlimit-srcmask 24',
  ],
];
const HASHLIMIT_BAD: Array<[string, string]> = [
  ['--hashlimit-upto 5/sec', 'hashlimit: option "--hashlimit-name" must be specified'],
  [HL, 'You have to specify --hashlimit'],
  [`--hashlimit-upto 5/min --hashlimit-above 3/s ${HL}`, 'hashlimit: option "--hashlimit-above" cannot be used together with "--hashlimit-upto".'],
  [`--hashlimit-upto 512kb/s --hashlimit-burst 100 ${HL}`, 'burst cannot be smaller than 524288b'],
  [`--hashlimit-upto 5/s --hashlimit-burst 0 ${HL}`, 'bad value for option "--hashlimit-burst", or out of range (1-1000000).'],
  [`--hashlimit-upto 5/s --hashlimit-burst 1000001 ${HL}`, 'bad value for option "--hashlimit-burst", or out of range (1-1000000).'],
  [`--hashlimit-upto 1000001/s ${HL}`, 'Rate too fast "1000001/s"'],
  [`--hashlimit-upto 5/s --hashlimit-mode foo ${HL}`, 'hashlimit: Bad value for "--hashlimit-mode" option: "foo"'],
  [
    `--hashlimit-upto 5/s ${HL} --hashlimit-srcmask x`,
    'hashlimit: bad value for option "--hashlimit-srcmask", neither a valid network mask nor valid CIDR (0-32).',
  ],
  [`--hashlimit-upto 5/s ${HL} --hashlimit-upto 3/s`, 'hashlimit: option "--hashlimit-upto" can only be used once.'],
];
/** Rules iptables accepts and the kernel's checkentry refuses (RULE_APPEND failed). */
const HASHLIMIT_KERNEL_BAD: string[] = [
  `--hashlimit-upto 5/s --hashlimit-srcmask 33 ${HL}`,
  `--hashlimit-upto 5/s --hashlimit-htable-expire 0 ${HL}`,
  `--hashlimit-upto 5/s --hashlimit-htable-gcinterval 0 ${HL}`,
  '--hashlimit-upto 5/s --hashlimit-name a/b',
  '--hashlimit-upto 5/s --hashlimit-name ..',
  `--hashlimit-upto 1/day --hashlimit-burst 10000 ${HL}`,
];

const RECENT_ROWS: Array<[string, string]> = [
  ['--set', '--set --name DEFAULT --mask 255.255.255.255 --rsource'],
  ['! --set --name x', '! --set --name x --mask 255.255.255.255 --rsource'],
  ['--set --name A --rsource', '--set --name A --mask 255.255.255.255 --rsource'],
  ['--update --seconds 10 --hitcount 3 --name A --rttl', '--update --seconds 10 --hitcount 3 --rttl --name A --mask 255.255.255.255 --rsource'],
  ['--rcheck --seconds 5 --reap --name B --mask 255.255.255.0 --rdest', '--rcheck --seconds 5 --reap --name B --mask 255.255.255.0 --rdest'],
  ['--remove', '--remove --name DEFAULT --mask 255.255.255.255 --rsource'],
  ['--update --hitcount 65535', '--update --hitcount 65535 --name DEFAULT --mask 255.255.255.255 --rsource'],
  ['--update --hitcount 0', '--update --name DEFAULT --mask 255.255.255.255 --rsource'],
  ['--rcheck --mask 16', '--rcheck --name DEFAULT --mask 0.0.0.16 --rsource'],
  ['--rcheck --mask 255.0.255.0', '--rcheck --name DEFAULT --mask 255.0.255.0 --rsource'],
  ['--rcheck --rdest --rsource', '--rcheck --name DEFAULT --mask 255.255.255.255 --rsource'],
];
const RECENT_BAD: Array<[string, string]> = [
  ['', "recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'"],
  ['--set --rcheck', 'recent: option "--rcheck" cannot be used together with "--set".'],
  ['--set --rttl', 'recent: option "--rttl" cannot be used together with "--set".'],
  ['--remove --rttl', 'recent: option "--rttl" cannot be used together with "--remove".'],
  ['--rcheck --reap', 'recent: option "--reap" also requires "--seconds".'],
  ['--rcheck --seconds 0', 'recent: bad value for option "--seconds", or out of range (1-4294967295).'],
  ['--rcheck --name a --name b', 'recent: option "--name" can only be used once.'],
  ['--rcheck ! --rttl', 'recent: option "--rttl" cannot be inverted.'],
];
const RECENT_KERNEL_BAD = ['--set --seconds 5', '--set --hitcount 2', '--update --hitcount 65536', '--rcheck --name a/b'];

const STATISTIC_ROWS: Array<[string, string]> = [
  ['--mode nth --every 3 --packet 1', '--mode nth --every 3 --packet 1'],
  ['--mode nth --every 3 --packet 0', '--mode nth --every 3 --packet 0'],
  ['--mode nth ! --every 3 --packet 2', '--mode nth ! --every 3 --packet 2'],
  ['--mode random --probability 0.25', '--mode random --probability 0.25000000000'],
  ['--mode random --probability 0.1', '--mode random --probability 0.10000000009'],
  ['--mode random ! --probability 0.5', '--mode random ! --probability 0.50000000000'],
  ['--mode random --probability 0', '--mode random --probability 0.00000000000'],
  ['--mode random --probability 1', '--mode random --probability 1.00000000000'],
  ['--mode random --probability 1e-3', '--mode random --probability 0.00100000016'],
];
const STATISTIC_BAD: Array<[string, string]> = [
  ['--mode nth --every 3', 'statistic: option "--every" also requires "--packet".'],
  ['--mode nth --packet 1', 'the --packet p must be 0 <= p <= n-1'],
  ['--mode nth', '--every and --packet must be specified when using nth mode'],
  ['--mode random', '--probability must be specified when using random mode'],
  ['--mode foo --every 2 --packet 0', 'Bad mode "foo"'],
  ['--mode nth --every 3 --packet 3', 'the --packet p must be 0 <= p <= n-1'],
  ['--mode random --probability 1.5', 'statistic: bad value for option "--probability", or out of range (0-1).'],
  ['--mode nth --every 0 --packet 0', 'statistic: bad value for option "--every", or out of range (1-4294967295).'],
  ['--mode random --every 2 --packet 1', '--probability must be specified when using random mode'],
  ['--mode nth --every 2 --packet 1 --probability 0.3', 'statistic: option "--probability" cannot be used together with "--every".'],
];

const CONNLIMIT_ROWS: Array<[string, string]> = [
  ['--connlimit-above 2', '--connlimit-above 2 --connlimit-mask 32 --connlimit-saddr'],
  ['! --connlimit-above 2', '--connlimit-upto 2 --connlimit-mask 32 --connlimit-saddr'],
  ['! --connlimit-upto 2', '--connlimit-above 2 --connlimit-mask 32 --connlimit-saddr'],
  ['--connlimit-upto 2 --connlimit-daddr', '--connlimit-upto 2 --connlimit-mask 32 --connlimit-daddr'],
  ['--connlimit-above 2 --connlimit-mask 24', '--connlimit-above 2 --connlimit-mask 24 --connlimit-saddr'],
  ['--connlimit-above 2 --connlimit-mask 33', '--connlimit-above 2 --connlimit-mask 32 --connlimit-saddr'],
  ['--connlimit-above 2 --connlimit-mask 255.255.255.0', '--connlimit-above 2 --connlimit-mask 24 --connlimit-saddr'],
  ['--connlimit-above 2 --connlimit-mask 0', '--connlimit-above 2 --connlimit-mask 0 --connlimit-saddr'],
  ['--connlimit-upto 0', '--connlimit-upto 0 --connlimit-mask 32 --connlimit-saddr'],
  ['--connlimit-above 4294967295', '--connlimit-above 4294967295 --connlimit-mask 32 --connlimit-saddr'],
];
const CONNLIMIT_BAD: Array<[string, string]> = [
  ['', 'You must specify "--connlimit-above" or "--connlimit-upto".'],
  ['--connlimit-above 2 --connlimit-saddr --connlimit-daddr', 'connlimit: option "--connlimit-daddr" cannot be used together with "--connlimit-saddr".'],
  ['--connlimit-above 2 --connlimit-upto 3', 'connlimit: option "--connlimit-upto" cannot be used together with "--connlimit-above".'],
];

function kernelRefuses(module: typeof hashlimitMatch | typeof recentMatch, text: string): string {
  const c = (module as typeof hashlimitMatch).parse(usesOf(module, text), parseCtx());
  try {
    (module as typeof hashlimitMatch).check!(c as never, checkCtx(2));
    return '';
  } catch (e) {
    expect(e).toBeInstanceOf(CheckError);
    return (e as Error).message;
  }
}

/** A guest clock the test moves. */
function clock(): { svc: GuestServices; par: XtParams; set(ms: number): void } {
  let ns = 0;
  const svc: GuestServices = { ...services(), nowNs: () => ns, jiffies: () => Math.floor((ns * 250) / 1e9) };
  const par = { ...params(), services: svc };
  return { svc, par, set: (ms: number) => void (ns = Math.round(ms * 1e6)) };
}

const ping = (src = '203.0.113.1', ttl = 64) => skbOf(ipv4({ src, dst: '198.51.100.1', ttl }, icmp({ type: 8, id: 1, seq: 1 })));
const dgram = (src: string, dst: string, sport: number, dport: number, size = 0) =>
  skbOf(ipv4({ src, dst }, udp({ sport, dport, payload: new Uint8Array(size) })));

describe('limit', () => {
  it.each(LIMIT_ROWS)('save %s', (i, s) => expect(roundTrip(limitMatch, i)).toBe(s));
  it.each(LIMIT_BAD)('refuse %s', (i, e) => expect(parseError(limitMatch, i)).toBe(e));

  it('runs nft_limit: a full bucket of burst packets, refilled in nanoseconds', () => {
    const c = limitMatch.parse(usesOf(limitMatch, '--limit 5/sec --limit-burst 3'), parseCtx());
    expect(c.cost).toBe(200_000_000);
    const at = (ms: number) => limitTake(c, ms * 1e6);
    expect([at(0), at(1), at(2), at(3)]).toEqual([true, true, true, false]);
    expect(at(150)).toBe(false); // 147 ms of tokens: not yet one packet
    expect(at(204)).toBe(true); // 201 ms since 3 ms
    expect(at(10_000)).toBe(true);
    expect([at(10_001), at(10_002), at(10_003)]).toEqual([true, true, false]); // capped at the burst
  });

  it('per rule state, through the guest clock', () => {
    const k = clock();
    const c = limitMatch.parse(usesOf(limitMatch, '--limit 1/sec --limit-burst 1'), parseCtx());
    expect(run(limitMatch, c, ping(), k.par).matched).toBe(true);
    k.set(999);
    expect(run(limitMatch, c, ping(), k.par).matched).toBe(false);
    k.set(1001);
    expect(run(limitMatch, c, ping(), k.par).matched).toBe(true);
  });
});

describe('hashlimit', () => {
  it.each(HASHLIMIT_ROWS)('save %s', (i, s) => expect(roundTrip(hashlimitMatch, i)).toBe(s));
  it.each(HASHLIMIT_BAD)('refuse %s', (i, e) => expect(parseError(hashlimitMatch, i)).toBe(e));
  it.each(HASHLIMIT_KERNEL_BAD)('the kernel refuses %s', (i) => expect(kernelRefuses(hashlimitMatch, i)).not.toBe(''));
  it('accepts what the kernel accepts', () => {
    for (const [i] of HASHLIMIT_ROWS) expect(kernelRefuses(hashlimitMatch, i)).toBe('');
  });

  it('one bucket per masked source, refilled per jiffy', () => {
    const k = clock();
    const c = hashlimitMatch.parse(
      usesOf(hashlimitMatch, '--hashlimit-upto 4/sec --hashlimit-burst 2 --hashlimit-mode srcip --hashlimit-srcmask 24 --hashlimit-name t1'),
      parseCtx(),
    );
    const m = (src: string) => run(hashlimitMatch, c, dgram(src, '198.51.100.1', 1, 53), k.par).matched;
    expect([m('203.0.113.1'), m('203.0.113.2'), m('203.0.113.3')]).toEqual([true, true, false]);
    expect(m('203.0.114.1')).toBe(true); // another /24
    k.set(248); // 62 jiffies: less than a quarter second
    expect(m('203.0.113.1')).toBe(false);
    k.set(252); // 63 jiffies >= 62.5
    expect(m('203.0.113.1')).toBe(true);
  });

  it('--hashlimit-above matches over the rate; ports hash per destination port', () => {
    const k = clock();
    const c = hashlimitMatch.parse(
      usesOf(hashlimitMatch, '--hashlimit-above 1/sec --hashlimit-burst 1 --hashlimit-mode dstport --hashlimit-name t2'),
      parseCtx(),
    );
    const m = (dport: number) => run(hashlimitMatch, c, dgram('203.0.113.1', '198.51.100.1', 1, dport), k.par).matched;
    expect([m(53), m(53), m(54), m(54)]).toEqual([false, true, false, true]);
  });

  it('bytes: a packet costs (len/16 + 1) chunks', () => {
    const k = clock();
    const c = hashlimitMatch.parse(usesOf(hashlimitMatch, '--hashlimit-upto 1kb/s --hashlimit-name t3'), parseCtx());
    const m = () => run(hashlimitMatch, c, dgram('203.0.113.1', '198.51.100.1', 1, 2, 472), k.par).matched; // 500 bytes
    expect([m(), m(), m()]).toEqual([true, true, false]);
  });

  it('a full table drops the packet that needs a new entry', () => {
    const k = clock();
    const c = hashlimitMatch.parse(
      usesOf(hashlimitMatch, '--hashlimit-upto 5/sec --hashlimit-mode srcip --hashlimit-htable-size 16 --hashlimit-htable-max 16 --hashlimit-name t4'),
      parseCtx(),
    );
    for (let i = 0; i < 16; i++)
      expect(run(hashlimitMatch, c, dgram(`203.0.113.${i}`, '198.51.100.1', 1, 2), k.par)).toEqual({ matched: true, hotdrop: false });
    expect(run(hashlimitMatch, c, dgram('203.0.113.99', '198.51.100.1', 1, 2), k.par)).toEqual({ matched: false, hotdrop: true });
    // Expired entries go at the next garbage collection (1 s expiry, 1 s interval).
    k.set(2100);
    expect(run(hashlimitMatch, c, dgram('203.0.113.99', '198.51.100.1', 1, 2), k.par)).toEqual({ matched: true, hotdrop: false });
  });

  it('a port mode on a short packet hot-drops it', () => {
    const k = clock();
    const c = hashlimitMatch.parse(usesOf(hashlimitMatch, '--hashlimit-upto 5/sec --hashlimit-mode dstport --hashlimit-name t5'), parseCtx());
    const ip = ipv4({ src: '203.0.113.1', dst: '198.51.100.1' }, udp({ sport: 1, dport: 2 }));
    const short = ip.slice(0, 22);
    short[3] = 22;
    expect(run(hashlimitMatch, c, skbOf(short), k.par)).toEqual({ matched: false, hotdrop: true });
  });
});

describe('recent', () => {
  it.each(RECENT_ROWS)('save %s', (i, s) => expect(roundTrip(recentMatch, i)).toBe(s));
  it.each(RECENT_BAD)('refuse %s', (i, e) => expect(parseError(recentMatch, i)).toBe(e));
  it.each(RECENT_KERNEL_BAD)('the kernel refuses %s', (i) => expect(kernelRefuses(recentMatch, i)).not.toBe(''));

  it('set, rcheck with seconds and hitcount, update, remove; lists shared by name', () => {
    const k = clock();
    const shared = new Map<string, unknown>();
    const ctx = { ...parseCtx(), shared };
    const cfg = (t: string) => recentMatch.parse(usesOf(recentMatch, t), ctx);
    const set = cfg('--set --name L');
    const check = cfg('--rcheck --seconds 2 --hitcount 2 --name L');
    const remove = cfg('--remove --name L');
    const m = (c: ReturnType<typeof cfg>, src = '203.0.113.1') => run(recentMatch, c, ping(src), k.par).matched;
    expect(m(check)).toBe(false);
    expect(m(set)).toBe(true);
    expect(m(check)).toBe(false); // one hit
    k.set(1000);
    expect(m(set)).toBe(true);
    expect(m(check)).toBe(true);
    k.set(2500); // the first stamp (0 ms) left the 2 s window
    expect(m(check)).toBe(false);
    expect(m(remove)).toBe(true);
    expect(m(remove)).toBe(false);
  });

  it('the list keeps 100 addresses, forgetting the least recently seen', () => {
    const k = clock();
    const set = recentMatch.parse(usesOf(recentMatch, '--set --name M'), parseCtx());
    const check = recentMatch.parse(usesOf(recentMatch, '--rcheck --name M'), parseCtx());
    for (let i = 0; i <= 100; i++) run(recentMatch, set, ping(`10.0.${i >> 8}.${i & 255}`), k.par);
    expect(run(recentMatch, check, ping('10.0.0.0'), k.par).matched).toBe(false);
    expect(run(recentMatch, check, ping('10.0.0.1'), k.par).matched).toBe(true);
    expect(run(recentMatch, check, ping('10.0.0.100'), k.par).matched).toBe(true);
  });

  it('--rttl compares the TTL the address was set with', () => {
    const k = clock();
    const set = recentMatch.parse(usesOf(recentMatch, '--set --name T'), parseCtx());
    const check = recentMatch.parse(usesOf(recentMatch, '--rcheck --rttl --name T'), parseCtx());
    run(recentMatch, set, ping('203.0.113.1', 64), k.par);
    expect(run(recentMatch, check, ping('203.0.113.1', 63), k.par).matched).toBe(false);
    expect(run(recentMatch, check, ping('203.0.113.1', 64), k.par).matched).toBe(true);
  });

  it('--reap drops the oldest entry once it is older than --seconds', () => {
    const k = clock();
    const set = recentMatch.parse(usesOf(recentMatch, '--set --name R'), parseCtx());
    const reap = recentMatch.parse(usesOf(recentMatch, '--rcheck --seconds 1 --reap --name R'), parseCtx());
    const check = recentMatch.parse(usesOf(recentMatch, '--rcheck --name R'), parseCtx());
    run(recentMatch, set, ping('203.0.113.1'), k.par);
    k.set(500);
    run(recentMatch, set, ping('203.0.113.2'), k.par);
    k.set(1200);
    expect(run(recentMatch, reap, ping('203.0.113.2'), k.par).matched).toBe(true);
    expect(run(recentMatch, check, ping('203.0.113.1'), k.par).matched).toBe(false);
  });
});

describe('statistic', () => {
  it.each(STATISTIC_ROWS)('save %s', (i, s) => expect(roundTrip(statisticMatch, i)).toBe(s));
  it.each(STATISTIC_BAD)('refuse %s', (i, e) => expect(parseError(statisticMatch, i)).toBe(e));

  it('nth: packet p+1, then every n-th', () => {
    const c = statisticMatch.parse(usesOf(statisticMatch, '--mode nth --every 3 --packet 1'), parseCtx());
    const got = Array.from({ length: 7 }, () => run(statisticMatch, c, ping()).matched);
    expect(got).toEqual([false, true, false, false, true, false, false]);
    const inv = statisticMatch.parse(usesOf(statisticMatch, '--mode nth ! --every 2 --packet 0'), parseCtx());
    expect(Array.from({ length: 4 }, () => run(statisticMatch, inv, ping()).matched)).toEqual([false, true, false, true]);
  });

  it('random: seeded, about the probability, 0 never and 1 always', () => {
    const par = params();
    const c = statisticMatch.parse(usesOf(statisticMatch, '--mode random --probability 0.25'), parseCtx());
    let n = 0;
    for (let i = 0; i < 4000; i++) if (run(statisticMatch, c, ping(), par).matched) n++;
    expect(n).toBeGreaterThan(850);
    expect(n).toBeLessThan(1150);
    const never = statisticMatch.parse(usesOf(statisticMatch, '--mode random --probability 0'), parseCtx());
    const always = statisticMatch.parse(usesOf(statisticMatch, '--mode random --probability 1'), parseCtx());
    for (let i = 0; i < 100; i++) {
      expect(run(statisticMatch, never, ping(), par).matched).toBe(false);
      expect(run(statisticMatch, always, ping(), par).matched).toBe(true);
    }
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    expect([a.next(), a.next()]).toEqual([b.next(), b.next()]);
  });
});

describe('connlimit', () => {
  it.each(CONNLIMIT_ROWS)('save %s', (i, s) => expect(roundTrip(connlimitMatch, i, 6)).toBe(s));
  it.each(CONNLIMIT_BAD)('refuse %s', (i, e) => expect(parseError(connlimitMatch, i, 6)).toBe(e));
});

describe('hashlimit and recent tables belong to the guest', () => {
  it('two guests do not share a table of the same name', () => {
    const c = hashlimitMatch.parse(usesOf(hashlimitMatch, '--hashlimit-upto 1/sec --hashlimit-burst 1 --hashlimit-name g'), parseCtx());
    const a = clock();
    const b = clock();
    const s = () => skbOf(ipv4({ src: '203.0.113.1', dst: '198.51.100.1' }, tcp({ sport: 1, dport: 2 })));
    expect(run(hashlimitMatch, c, s(), a.par).matched).toBe(true);
    expect(run(hashlimitMatch, c, s(), b.par).matched).toBe(true);
    expect(run(hashlimitMatch, c, s(), a.par).matched).toBe(false);
  });
});
