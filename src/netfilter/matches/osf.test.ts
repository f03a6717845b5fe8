import { describe, expect, it } from 'vitest';
import { ipv4, tcp } from '../../packet/build.js';
import { Family } from '../../packet/inet-addr.js';
import { Hook } from '../types.js';
import { liveCompare, liveUnavailable } from './live-iptables.js';
import { osfMatch } from './osf.js';
import { osfLists, parseOsfFingerprints } from './osf-fingers.js';
import { checkCtx, dev, params, parseCtx, parseError, roundTrip, run, skbOf, usesOf } from './test-util.js';
import { hookBits } from '../xt.js';

/** Recorded with iptables-restore and iptables-save 1.8.9 (nf_tables) on Linux 6.18. */
const ROWS: ReadonlyArray<readonly [string, string]> = [
  ['--genre Linux', '--genre Linux'],
  ['! --genre Linux', '! --genre Linux'],
  ['--genre unknown --ttl 0', '--genre unknown --ttl 0'],
  ['--genre Linux --ttl 2 --log 0', '--genre Linux --ttl 2 --log 0'],
  ['--log 1 --genre Linux', '--genre Linux --log 1'],
  ['--genre "Linux 2.6"', '--genre Linux 2.6'],
  ['--genre ""', '--genre '],
];

const BAD: ReadonlyArray<readonly [string, string]> = [
  ['--genre Linux --ttl 3', 'osf: bad value for option "--ttl", or out of range (0-2).'],
  ['--genre Linux --log 3', 'osf: bad value for option "--log", or out of range (0-2).'],
  ['--ttl 1', 'osf: option "--genre" must be specified'],
  ['--genre Linux --genre BSD', 'osf: option "--genre" can only be used once.'],
];

const FILES = [
  ...ROWS.map((r) => `-A INPUT -p tcp -m osf ${r[0]}`),
  ...BAD.map((r) => `-A INPUT -p tcp -m osf ${r[0]}`),
  '-A INPUT -m osf --genre Linux',
  '! -p tcp -A INPUT -m osf --genre Linux',
  '-A INPUT -p udp -m osf --genre Linux',
  `-A INPUT -p tcp -m osf --genre ${'a'.repeat(40)}`,
  '-A FORWARD -p tcp -m osf --genre Linux',
  '-A OUTPUT -p tcp -m osf --genre Linux',
].map((r) => `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${r}\nCOMMIT\n`);

describe('osf', () => {
  it.each(ROWS)('save %s', (i, s) => expect(roundTrip(osfMatch, i, 6)).toBe(s));
  it.each(BAD)('refuse %s', (i, e) => expect(parseError(osfMatch, i, 6)).toBe(e));
  it('is refused without -p tcp and outside PREROUTING, INPUT and FORWARD', () => {
    const c = osfMatch.parse(usesOf(osfMatch, '--genre Linux'), parseCtx(6));
    expect(() => osfMatch.check!(c, checkCtx(hookBits(Hook.LocalIn), 6))).not.toThrow();
    expect(() => osfMatch.check!(c, checkCtx(hookBits(Hook.LocalIn), 17))).toThrow(/only with -p tcp/);
    expect(() => osfMatch.check!(c, checkCtx(hookBits(Hook.LocalIn), 6, true))).toThrow(/only with -p tcp/);
    expect(() => osfMatch.check!(c, checkCtx(hookBits(Hook.LocalOut), 6))).toThrow(/PREROUTING, INPUT and FORWARD/);
  });
  it('matches nothing with no fingerprints loaded, inverted or not', () => {
    const syn = skbOf(ipv4({ src: '203.0.113.1', dst: '198.51.100.1' }, tcp({ sport: 1, dport: 22, flags: 'S' })));
    for (const t of ['--genre Linux', '! --genre Linux', '--genre Linux --log 2'])
      expect(run(osfMatch, osfMatch.parse(usesOf(osfMatch, t), parseCtx(6)), syn, params(Hook.LocalIn)).matched).toBe(false);
  });
  it('is IPv4 only, as libxt_osf and xt_osf are', () => expect(osfMatch.family).toBe(Family.V4));
});

describe('osf with fingerprints loaded (nfnl_osf -f)', () => {
  const fingers = osfLists(
    parseOsfFingerprints(
      'S44:64:1:60:M*,S,T,N,W7:Linux:2.6:2.6.x:\n*:64:1:60:M*,S,T,N,W7:Any:1:wild:\n65535:128:1:52:M*,N,W2,N,N,S:Windows:2000:SP4:\n',
      'pf.os',
    ),
  );
  const LINUX = Uint8Array.of(2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7);
  const syn = (ttl: number, window = 64240): ReturnType<typeof skbOf> =>
    skbOf(ipv4({ src: '203.0.113.9', dst: '198.51.100.1', ttl }, tcp({ sport: 40000, dport: 22, flags: 'S', window, options: LINUX })));
  const eth0 = dev('eth0', 2);
  const go = (rule: string, skb: ReturnType<typeof skbOf>): { matched: boolean; log: string[] } => {
    const log: string[] = [];
    const par = params(Hook.LocalIn, { inDev: eth0 });
    par.services.printk = (level, line) => log.push(`<${level}>${line}`);
    const c = osfMatch.parse(usesOf(osfMatch, rule), { ...parseCtx(6), osf: fingers });
    return { matched: run(osfMatch, c, skb, par).matched, log };
  };

  it('matches the genre of a fingerprint the SYN fits; ! is ignored, as the kernel ignores it', () => {
    expect(go('--genre Linux', syn(64)).matched).toBe(true);
    expect(go('! --genre Linux', syn(64)).matched).toBe(true);
    expect(go('--genre Windows', syn(64)).matched).toBe(false);
    expect(go('--genre Any', syn(64, 1)).matched).toBe(true);
    expect(go('--genre Linux', syn(64, 1)).matched).toBe(false);
  });

  it('checks the TTL: the same without --ttl, at most with --ttl 1, none with --ttl 2', () => {
    expect([go('--genre Linux', syn(60)).matched, go('--genre Linux --ttl 1', syn(60)).matched, go('--genre Linux --ttl 1', syn(65)).matched]).toEqual([
      false,
      true,
      false,
    ]);
    expect(go('--genre Linux --ttl 2', syn(65)).matched).toBe(true);
  });

  it('with --log, matches any known OS whatever the genre, and logs as nf_log_ipv4 does', () => {
    const r = go('--genre Nothing --log 0', syn(64));
    expect(r.matched).toBe(true);
    expect(r.log).toHaveLength(4); // Linux and Any, two lines each
    expect(r.log[0]).toBe('<5>Linux [2.6:2.6.x] : 203.0.113.9:40000 -> 198.51.100.1:22 hops=0');
    expect(r.log[1]).toMatch(
      /^<5>IN=eth0 OUT= MAC= SRC=203\.0\.113\.9 DST=198\.51\.100\.1 LEN=60 .* SEQ=0 ACK=0 WINDOW=64240 RES=0x00 SYN URGP=0 OPT \(020405B4/,
    );
    expect(r.log[2]).toBe('<5>Any [1:wild] : 203.0.113.9:40000 -> 198.51.100.1:22 hops=0');
    expect(go('--genre Nothing --log 1', syn(64)).log).toHaveLength(2); // the first only
    expect(go('--genre Nothing --log 2', syn(64)).log).toHaveLength(4);
  });

  it('logs "Remote OS is not known" with --log when no fingerprint fits, and does not match', () => {
    const r = go('--genre Linux --log 1', syn(100));
    expect(r.matched).toBe(false);
    expect(r.log[0]).toBe('<5>Remote OS is not known: 203.0.113.9:40000 -> 198.51.100.1:22');
    expect(go('--genre Linux --log 1 --ttl 2', syn(100)).log[0]).toBe('<5>Linux [2.6:2.6.x] : 203.0.113.9:40000 -> 198.51.100.1:22 hops=-36');
  });
});

describe('osf against iptables-restore in a network namespace', () => {
  const why = liveUnavailable();
  it.skipIf(why !== '')('loads, refuses and saves as iptables 1.8.9 and the kernel do', () => {
    for (const o of liveCompare(FILES)) expect(o.cofw, o.file).toEqual(o.kernel);
  });
  if (why) it.skip(`live: ${why}`, () => {});
});
