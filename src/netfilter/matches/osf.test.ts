import { describe, expect, it } from 'vitest';
import { ipv4, tcp } from '../../packet/build.js';
import { Family } from '../../packet/inet-addr.js';
import { Hook } from '../types.js';
import { liveCompare, liveUnavailable } from './live-iptables.js';
import { osfMatch } from './osf.js';
import { checkCtx, params, parseCtx, parseError, roundTrip, run, skbOf, usesOf } from './test-util.js';
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

describe('osf against iptables-restore in a network namespace', () => {
  const why = liveUnavailable();
  it.skipIf(why !== '')('loads, refuses and saves as iptables 1.8.9 and the kernel do', () => {
    for (const o of liveCompare(FILES)) expect(o.cofw, o.file).toEqual(o.kernel);
  });
  if (why) it.skip(`live: ${why}`, () => {});
});
