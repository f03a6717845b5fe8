/**
 * RATEEST and `-m rateest`: rule text -> iptables-save text and refusals,
 * as Debian's iptables 1.8.9 (nf_tables) on Linux 6.18 gave them in fresh
 * network namespaces; gen_estimator's arithmetic on the guest's clock; the
 * match's comparisons.
 */
import { describe, expect, it } from 'vitest';
import { Family } from '../../packet/inet-addr.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';
import { RateEstimator, wheelExpiry, cStrtod } from '../rateest.js';
import { rateestParams, rateestTime } from '../targets/rateest.js';
import { rateestRate } from './rateest.js';
import { sharedState } from '../../workers/exactness.js';

const HEAD = ':INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n';
const EST =
  '-A INPUT -j RATEEST --rateest-name a --rateest-interval 250ms --rateest-ewmalog 1s\n-A INPUT -j RATEEST --rateest-name b --rateest-interval 1s --rateest-ewmalog 4s\n';

function saved(rules: string, family = Family.V4): string[] {
  const rs = loadRuleset(`*filter\n${HEAD}${rules}\nCOMMIT\n`, 'rateest.rules', { family });
  return saveRuleset(rs)
    .split('\n')
    .filter((l) => l.startsWith('-A'));
}

function refusal(rules: string): string {
  try {
    saved(rules);
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
}

// iptables-restore then iptables-save, each in a fresh network namespace.
const TARGET_ROWS: Array<[string, string]> = [
  ['--rateest-name a --rateest-interval 1s --rateest-ewmalog 8s', '--rateest-name a --rateest-interval 1.0s --rateest-ewmalog 8.0s'],
  ['--rateest-name a --rateest-interval 250ms --rateest-ewmalog 1s', '--rateest-name a --rateest-interval 250.0ms --rateest-ewmalog 1.0s'],
  [
    '--rateest-name abcdefghijklmnopq --rateest-interval 1s --rateest-ewmalog 8s',
    '--rateest-name abcdefghijklmno --rateest-interval 1.0s --rateest-ewmalog 8.0s',
  ],
];

const MATCH_ROWS: Array<[string, string]> = [
  ['--rateest a --rateest-bps1 1 --rateest-gt', '--rateest a --rateest-gt --rateest-bps 0bit'],
  ['--rateest a --rateest-bps 1000 --rateest-gt', '--rateest a --rateest-gt --rateest-bps 1000bit'],
  ['--rateest a --rateest-gt --rateest-bps 1000', '--rateest a --rateest-gt --rateest-bps 1000bit'],
  ['--rateest a --rateest-pps 10 --rateest-lt', '--rateest a --rateest-lt --rateest-pps 10'],
  ['--rateest a --rateest-pps 10 ! --rateest-lt', '--rateest a ! --rateest-lt --rateest-pps 10'],
  ['--rateest a --rateest-pps 10 --rateest-bps 8kbit --rateest-eq', '--rateest a --rateest-eq --rateest-bps 8000bit --rateest-eq --rateest-pps 10'],
  ['--rateest1 a --rateest-bps --rateest-gt --rateest2 b', '--rateest1 a --rateest-gt --rateest-bps --rateest2 b'],
  ['--rateest1 a --rateest-pps --rateest-bps --rateest-lt --rateest2 b', '--rateest1 a --rateest-lt --rateest-bps --rateest-lt --rateest-pps --rateest2 b'],
  [
    '--rateest-delta --rateest1 a --rateest-bps1 1mbit --rateest-gt --rateest2 b --rateest-bps2 2mbit',
    '--rateest-delta --rateest1 a --rateest-bps1 1000Kbit --rateest-gt --rateest-bps2 2000Kbit --rateest2 b',
  ],
  [
    '--rateest-delta --rateest1 a --rateest-pps1 5 --rateest-lt --rateest2 b --rateest-pps2 7',
    '--rateest-delta --rateest1 a --rateest-pps1 5 --rateest-lt --rateest-pps2 7 --rateest2 b',
  ],
  ['--rateest-delta --rateest a --rateest-pps1 5 --rateest-lt --rateest-pps2 7', '--rateest-delta --rateest a --rateest-pps1 5 --rateest-lt --rateest-pps2 7'],
  ['--rateest a --rateest-bps 12345678 --rateest-gt', '--rateest a --rateest-gt --rateest-bps 12346Kbit'],
  ['--rateest a --rateest-bps 1.5gbit --rateest-gt', '--rateest a --rateest-gt --rateest-bps 1500Mbit'],
  ['--rateest a --rateest-bps 10KBps --rateest-gt', '--rateest a --rateest-gt --rateest-bps 80000bit'],
  ['--rateest a --rateest-bps 3 --rateest-gt', '--rateest a --rateest-gt --rateest-bps 0bit'],
];

describe('RATEEST and -m rateest: parsing, saving, refusals', () => {
  it.each(TARGET_ROWS)('-j RATEEST %s', (rule, want) => {
    expect(saved(`-A INPUT -j RATEEST ${rule}`)).toEqual([`-A INPUT -j RATEEST ${want}`]);
    expect(saved(`-A INPUT -j RATEEST ${rule}`, Family.V6)).toEqual([`-A INPUT -j RATEEST ${want}`]);
  });

  it.each(MATCH_ROWS)('-m rateest %s', (rule, want) => {
    expect(saved(`${EST}-A INPUT -m rateest ${rule}`).at(-1)).toBe(`-A INPUT -m rateest ${want}`);
  });

  it("refuses what libxt_RATEEST's final check and the kernel refuse", () => {
    expect(refusal('-A INPUT -j RATEEST --rateest-name a --rateest-interval 250ms --rateest-ewmalog 1')).toMatch(/RATEEST: ewmalog value is out of range/);
    expect(refusal('-A INPUT -j RATEEST --rateest-name a --rateest-interval 0.5 --rateest-ewmalog 2s')).toMatch(/RATEEST: ewmalog value is out of range/);
    expect(refusal('-A INPUT -j RATEEST --rateest-name a --rateest-interval 9s --rateest-ewmalog 64s')).toMatch(/RATEEST: interval value is too large/);
    expect(refusal('-A INPUT -j RATEEST --rateest-name a --rateest-interval 1s --rateest-ewmalog 1s')).toMatch(/RATEEST: ewmalog value is out of range/);
    expect(refusal('-A INPUT -j RATEEST --rateest-name a --rateest-interval 1s')).toMatch(/RATEEST: ewmalog value is out of range/);
    expect(refusal('-A INPUT -j RATEEST --rateest-interval 1s --rateest-ewmalog 8s')).toMatch(/RATEEST: option "--rateest-name" must be specified/);
    expect(refusal('-A INPUT -j RATEEST --rateest-name a --rateest-interval 1x --rateest-ewmalog 8s')).toMatch(/RATEEST: bad interval value "1x"/);
    // xt_rateest_tg_checkentry: the same name with other parameters (RULE_APPEND failed (Invalid argument)).
    expect(
      refusal(
        '-A INPUT -j RATEEST --rateest-name a --rateest-interval 1s --rateest-ewmalog 8s\n-A INPUT -j RATEEST --rateest-name a --rateest-interval 2s --rateest-ewmalog 8s',
      ),
    ).toMatch(/RATEEST: the estimator a exists with another interval or ewmalog \(Invalid argument\)/);
    expect(
      saved(
        '-A INPUT -j RATEEST --rateest-name a --rateest-interval 1s --rateest-ewmalog 8s\n-A INPUT -j RATEEST --rateest-name a --rateest-interval 1s --rateest-ewmalog 8s',
      ),
    ).toHaveLength(2);
    // The 8 s interval is the largest gen_new_estimator takes.
    expect(saved('-A INPUT -j RATEEST --rateest-name a --rateest-interval 8s --rateest-ewmalog 64s')).toEqual([
      '-A INPUT -j RATEEST --rateest-name a --rateest-interval 8.0s --rateest-ewmalog 64.0s',
    ]);
  });

  it("refuses what libxt_rateest and the kernel's checkentry refuse", () => {
    expect(refusal(`${EST}-A INPUT -m rateest --rateest a --rateest-gt`)).toMatch(/rateest: give --rateest-bps or --rateest-pps \(Invalid argument\)/);
    expect(refusal(`${EST}-A INPUT -m rateest --rateest a --rateest-pps 5`)).toMatch(
      /rateest: give --rateest-lt, --rateest-gt or --rateest-eq \(Invalid argument\)/,
    );
    expect(refusal(`${EST}-A INPUT -m rateest --rateest c --rateest-pps 5 --rateest-gt`)).toMatch(/rateest: no rate estimator c \(No such file or directory\)/);
    expect(refusal(`${EST}-A INPUT -m rateest --rateest1 a --rateest-pps --rateest-gt --rateest2 c`)).toMatch(/no rate estimator c/);
    // An estimator made by a later rule does not exist yet.
    expect(refusal(`-A INPUT -m rateest --rateest a --rateest-pps 5 --rateest-gt\n${EST}`)).toMatch(/no rate estimator a/);
    expect(refusal(`${EST}-A INPUT -m rateest --rateest a --rateest1 b --rateest-pps 5 --rateest-gt`)).toMatch(/rateest: can't specify --rateest1 twice/);
    expect(refusal(`${EST}-A INPUT -m rateest --rateest a --rateest-pps 5 --rateest-pps2 6 --rateest-gt`)).toMatch(
      /rateest: can't specify --rateest-pps2 twice/,
    );
    expect(refusal(`${EST}-A INPUT -m rateest --rateest a --rateest-pps 5 --rateest-gt --rateest-gt`)).toMatch(/rateest: can't specify lt\/gt\/eq twice/);
    expect(refusal(`${EST}-A INPUT -m rateest ! --rateest a --rateest-pps 5 --rateest-gt`)).toMatch(/rateest: rateest can't be inverted/);
    expect(refusal(`${EST}-A INPUT -m rateest --rateest a --rateest-bps 5zbit --rateest-gt`)).toMatch(/rateest: could not parse rate `5zbit'/);
    expect(refusal(`${EST}-A INPUT -m rateest --rateest a --rateest-pps 5x --rateest-gt`)).toMatch(/rateest: could not parse pps `5x'/);
    // lt then gt: the last one holds.
    expect(saved(`${EST}-A INPUT -m rateest --rateest a --rateest-pps 5 --rateest-lt --rateest-gt`).at(-1)).toBe(
      '-A INPUT -m rateest --rateest a --rateest-gt --rateest-pps 5',
    );
  });

  it('reads times and rates as the C library does', () => {
    expect(rateestTime('1s')).toBe(1_000_000);
    expect(rateestTime('250MS')).toBe(250_000);
    expect(rateestTime('1')).toBe(1);
    expect(rateestTime('1.5secs')).toBe(1_500_000);
    expect(rateestTime('s')).toBeUndefined();
    expect(rateestParams(1_000_000, 8_000_000)).toEqual({ interval: 0, ewmaLog: 3 });
    expect(rateestParams(250_000, 1_000_000)).toEqual({ interval: -2, ewmaLog: 2 });
    expect(rateestRate('8kbit')).toBe(1000);
    expect(rateestRate('1KBPS')).toBe(1000);
    expect(rateestRate('1Kibit')).toBe(128);
    expect(cStrtod(' -1.5e3x')).toEqual({ value: -1500, end: 7 });
    expect(cStrtod('0x10').value).toBe(16);
  });
});

describe('gen_estimator on the guest clock', () => {
  it('fires every (HZ/4) << intvl_log jiffies, late by the timer wheel granule', () => {
    expect(wheelExpiry(62, 0)).toBe(63);
    expect(wheelExpiry(248, 0)).toBe(256);
    expect(wheelExpiry(1984, 0)).toBe(2048);
  });

  it('averages bytes and packets with the kernel integer arithmetic', () => {
    // 250 ms, ewma_log 2: 10 packets of 100 bytes in each period.
    const e = new RateEstimator('a', { interval: -2, ewmaLog: 2 }, 0);
    let pps: number[] = [];
    for (let j = 0; j <= 62 * 8; j++) {
      if (j % 6 === 0 && j % 62 < 60) {
        e.advance(j);
        e.bytes += 100;
        e.packets += 1;
      }
      e.advance(j);
      if (j % 62 === 61) pps.push(e.pps());
    }
    // Each firing: avpps += (dp << 10 >> 2) - (avpps >> 2); 10 packets a period read as 40 per second.
    expect(pps.slice(0, 3)).toEqual([0, 10, 17]);
    expect(pps.at(-1)).toBeGreaterThan(30);
    expect(pps.at(-1)).toBeLessThanOrEqual(40);
    pps = [];
    // Idle: the averages decay, then stop changing (avpps >> ewma_log reaches 0), over a long gap at once.
    e.advance(62 * 10_000);
    expect(e.pps()).toBe(0);
    expect(e.avpps).toBeLessThan(4);
  });
});

describe('sharding', () => {
  it('replays rule sets with estimators on one worker: their rates sum every connection', () => {
    const rs = loadRuleset(`*filter\n${HEAD}${EST}-A INPUT -m rateest --rateest a --rateest-pps 5 --rateest-gt\nCOMMIT\n`, 'rateest.rules');
    const shared = sharedState(rs);
    expect(shared.map((s) => s.where)).toEqual(['filter/INPUT rule 1', 'filter/INPUT rule 2', 'filter/INPUT rule 3']);
    expect(shared[0]!.why).toMatch(/RATEEST/);
    expect(shared[2]!.why).toMatch(/rateest/);
  });
});
