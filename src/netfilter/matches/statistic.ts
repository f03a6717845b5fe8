/**
 * `-m statistic` (libxt_statistic.c / xt_statistic.c), an xt match under
 * iptables-nft.
 *
 * - `--mode nth --every n --packet p`: one counter per rule, starting at
 *   n-1-p; every packet advances it modulo n and the packet that brings it
 *   to 0 matches, so the first match is packet p+1 (counting from 1), then
 *   every n-th.
 * - `--mode random --probability x`: matches when a random 31-bit number is
 *   below round(x * 2^31). The kernel's get_random_u32 is not replayable, so
 *   cofw draws from a seeded generator, one per guest: the seed is the
 *   environment variable `COFW_RANDOM_SEED` (an unsigned integer; 0 when
 *   unset) read when the guest's generator is first used. The same seed,
 *   rules and captures give the same verdicts; they are not the kernel's.
 *
 * @example
 * -m statistic --mode nth --every 3 --packet 1
 */
import { OptionError, defineMatch, type OptionSpec } from '../xt.js';
import type { GuestServices, Skb, XtParams } from '../types.js';
import { uintArg } from '../args.js';
import { checkUses } from './util.js';
import { guestTable } from './shared-state.js';

export const MODE_RANDOM = 0;
export const MODE_NTH = 1;

export interface StatisticConfig {
  readonly mode: number;
  readonly invert: boolean;
  /** round(probability * 2^31). */
  readonly probability: number;
  /** n - 1. */
  readonly every: number;
  readonly packet: number;
  /** The rule's nth counter (info->master->count). */
  count: number;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'mode', args: 1 },
  { name: 'probability', args: 1, invert: true, excludes: ['every', 'packet'] },
  { name: 'every', args: 1, invert: true, excludes: ['probability'] },
  { name: 'packet', args: 1, excludes: ['probability'] },
];

/** The environment variable that seeds `--mode random`. */
export const SEED_VARIABLE = 'COFW_RANDOM_SEED';

/** A small deterministic generator (xorshift32 over a splitmix-scrambled seed). */
export class SeededRandom {
  private s: number;
  constructor(seed: number) {
    let z = (seed + 0x9e3779b9) | 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    this.s = z || 0x6d2b79f5;
  }
  /** The next unsigned 32-bit number. */
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x;
    return x >>> 0;
  }
}

/** The seed `COFW_RANDOM_SEED` names (0 when unset or not a number). */
export function seedFromEnv(): number {
  const v = process.env[SEED_VARIABLE];
  if (v === undefined || v === '') return 0;
  const n = Number(v);
  return Number.isFinite(n) ? n >>> 0 : 0;
}

/** strtod for the option's value, as libxtables reads XTTYPE_DOUBLE (whole text). */
function parseDouble(text: string): number | undefined {
  if (!/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) && !/^\s*[+-]?0[xX][0-9a-fA-F.]+([pP][+-]?\d+)?$/.test(text)) return undefined;
  const v = Number(text.trim());
  return Number.isNaN(v) ? undefined : v;
}

export const statisticMatch = defineMatch<StatisticConfig>({
  name: 'statistic',
  options: OPTIONS,
  parse(uses) {
    checkUses('statistic', uses);
    let mode = -1;
    let invert = false;
    let probability = 0;
    let every = 0;
    let packet = 0;
    const has = (n: string): boolean => uses.some((u) => u.spec.name === n);
    for (const u of uses) {
      if (u.invert) invert = true;
      const a = u.args[0]!;
      switch (u.spec.name) {
        case 'mode':
          if (a === 'random') mode = MODE_RANDOM;
          else if (a === 'nth') mode = MODE_NTH;
          else throw new OptionError(`Bad mode "${a}"`, u);
          break;
        case 'probability': {
          const v = parseDouble(a);
          if (v === undefined || v < 0 || v > 1) throw new OptionError('statistic: bad value for option "--probability", or out of range (0-1).', u);
          // lround: halves away from zero.
          probability = Math.floor(0x80000000 * v + 0.5);
          break;
        }
        case 'every': {
          const v = uintArg('statistic', u, 1, 4294967295);
          if (!has('packet')) throw new OptionError('statistic: option "--every" also requires "--packet".', u);
          every = v - 1;
          break;
        }
        case 'packet': {
          packet = uintArg('statistic', u, 0, 4294967295);
          break;
        }
      }
    }
    if (mode < 0) throw new OptionError('statistic: option "--mode" must be specified');
    if (mode === MODE_RANDOM && !has('probability')) throw new OptionError('--probability must be specified when using random mode');
    if (mode === MODE_NTH && !has('every') && !has('packet')) throw new OptionError('--every and --packet must be specified when using nth mode');
    if (packet > every) throw new OptionError('the --packet p must be 0 <= p <= n-1');
    return { mode, invert, probability, every, packet, count: every - packet };
  },
  save(c) {
    const inv = c.invert ? ' !' : '';
    if (c.mode === MODE_RANDOM) return `--mode random${inv} --probability ${(c.probability / 0x80000000).toFixed(11)}`;
    return `--mode nth${inv} --every ${c.every + 1} --packet ${c.packet}`;
  },
  match(c, _skb: Skb, par: XtParams) {
    if (c.mode === MODE_RANDOM) {
      const rnd = guestTable<SeededRandom>(par.services, 'statistic:random', () => new SeededRandom(seedFromEnv()));
      return (rnd.next() & 0x7fffffff) < c.probability !== c.invert;
    }
    c.count = c.count === c.every ? 0 : c.count + 1;
    return (c.count === 0) !== c.invert;
  },
});

/** The generator `--mode random` uses for a guest (for tests). */
export function guestRandom(svc: GuestServices): SeededRandom {
  return guestTable<SeededRandom>(svc, 'statistic:random', () => new SeededRandom(seedFromEnv()));
}
