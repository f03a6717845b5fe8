/**
 * `-m limit` (libxt_limit.c), as the reference kernel really runs it:
 * iptables-nft translates the match into a native nf_tables `limit`
 * expression (nft.c add_nft_limit), so the token bucket is nft_limit.c's,
 * counted in nanoseconds of the monotonic clock, not xt_limit.c's jiffies.
 *
 * The rate is first reduced to iptables' `avg` (XT_LIMIT_SCALE units per
 * packet), then to nft's (rate, unit seconds) pair by add_nft_limit's loop;
 * the bucket holds `burst` packets of `unit * 1e9 / rate` ns each, starts
 * full, refills with elapsed time and is capped at its size. iptables-save
 * prints the rate it reads back from nft (`--limit 3/hour` for the default),
 * and `--limit-burst` only when it is not 5 (a burst of 0 becomes 5 in nft).
 *
 * State: one bucket per rule, in the parsed configuration.
 *
 * @example
 * -m limit --limit 3/min --limit-burst 7
 */
import { OptionError, defineMatch, type OptionSpec, type OptionUse } from '../xt.js';
import type { Skb, XtParams } from '../types.js';
import { checkUses, strtoul } from './util.js';

/** XT_LIMIT_SCALE: avg is in 1/10000 s per packet. */
export const XT_LIMIT_SCALE = 10000;
const DEFAULT_BURST = 5;

export interface LimitConfig {
  /** xt_rateinfo.avg as iptables computes it from --limit. */
  readonly avg: number;
  /** nft's rate and unit (seconds), from add_nft_limit. */
  readonly rate: number;
  readonly unit: number;
  /** Burst as nft keeps it (0 becomes 5). */
  readonly burst: number;
  /** Nanoseconds a packet costs (nsecs / rate). */
  readonly cost: number;
  /** Bucket size in nanoseconds (cost * burst). */
  readonly tokensMax: number;
  /** Bucket state: tokens (ns) and the time of the last evaluation (ns since boot). */
  tokens: number;
  last: number;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'limit', args: 1 },
  { name: 'limit-burst', args: 1 },
];

/** C's atoi: leading white space, a sign, digits; the rest ignored. Wraps to 32 bits as the C code stores it. */
export function atoi(text: string): number {
  let i = 0;
  while (i < text.length && ' \t\n\r\f\v'.includes(text[i]!)) i++;
  let neg = false;
  if (text[i] === '+' || text[i] === '-') neg = text[i++] === '-';
  let v = 0;
  while (i < text.length && text[i]! >= '0' && text[i]! <= '9') v = (v * 10 + (text.charCodeAt(i++) - 48)) % 4294967296;
  return neg ? -v : v;
}

/** The unit suffix after `/` as libxt_limit reads it (any prefix of second/minute/hour/day, any case); 0 when bad. */
export function rateUnit(text: string): number {
  const slash = text.indexOf('/');
  if (slash < 0) return 1;
  const u = text.slice(slash + 1).toLowerCase();
  if (u.length === 0) return 0;
  if ('second'.startsWith(u)) return 1;
  if ('minute'.startsWith(u)) return 60;
  if ('hour'.startsWith(u)) return 3600;
  if ('day'.startsWith(u)) return 86400;
  return 0;
}

/** parse_rate of libxt_limit: avg in XT_LIMIT_SCALE units, or an OptionError. */
function parseRate(text: string, use: OptionUse): number {
  const mult = rateUnit(text);
  const r = atoi(text) >>> 0;
  if (mult === 0 || r === 0) throw new OptionError(`bad rate "${text}"'`, use);
  const avg = Math.floor((XT_LIMIT_SCALE * mult) / r);
  if (avg === 0) throw new OptionError(`Rate too fast "${text}"`, use);
  return avg;
}

const MULTS = [XT_LIMIT_SCALE * 86400, XT_LIMIT_SCALE * 3600, XT_LIMIT_SCALE * 60, XT_LIMIT_SCALE] as const;
const MULT_NAMES = ['day', 'hour', 'min', 'sec'] as const;

/** The index of the unit libxt's print_rate and nft.c's add_nft_limit choose for `avg`. */
function unitIndex(avg: number): number {
  let i = 1;
  for (; i < MULTS.length; i++) {
    const m = MULTS[i]!;
    if (avg > m || Math.floor(m / avg) < m % avg) break;
  }
  return i - 1;
}

/** `R/unit` as iptables prints an avg. */
export function formatRate(avg: number): string {
  const i = unitIndex(avg);
  return `${Math.floor(MULTS[i]! / avg)}/${MULT_NAMES[i]}`;
}

export const limitMatch = defineMatch<LimitConfig>({
  name: 'limit',
  options: OPTIONS,
  parse(uses) {
    checkUses('limit', uses);
    let avg = Math.floor((XT_LIMIT_SCALE * 3600) / 3);
    let burst = DEFAULT_BURST;
    for (const u of uses) {
      if (u.spec.name === 'limit') avg = parseRate(u.args[0]!, u);
      else {
        const v = strtoul(u.args[0]!, 10000);
        if (v === undefined) throw new OptionError('limit: bad value for option "--limit-burst", or out of range (0-10000).', u);
        burst = v;
      }
    }
    const i = unitIndex(avg);
    const rate = Math.floor(MULTS[i]! / avg);
    const unit = MULTS[i]! / XT_LIMIT_SCALE;
    if (burst === 0) burst = DEFAULT_BURST;
    const cost = Math.floor((unit * 1e9) / rate);
    const tokensMax = cost * burst;
    return { avg, rate, unit, burst, cost, tokensMax, tokens: tokensMax, last: 0 };
  },
  save(c) {
    // iptables-nft reads the nft expression back as avg = unit * scale / rate.
    const avg = Math.floor((c.unit * XT_LIMIT_SCALE) / c.rate);
    return `--limit ${formatRate(avg)}${c.burst !== DEFAULT_BURST ? ` --limit-burst ${c.burst}` : ''}`;
  },
  match(c, _skb: Skb, par: XtParams) {
    return limitTake(c, Number(par.services.nowNs()));
  },
});

/** nft_limit_eval for one packet at `now` ns: true when the bucket had a packet's worth of tokens. */
export function limitTake(c: LimitConfig, now: number): boolean {
  let tokens = c.tokens + now - c.last;
  if (tokens > c.tokensMax) tokens = c.tokensMax;
  c.last = now;
  const delta = tokens - c.cost;
  if (delta >= 0) {
    c.tokens = delta;
    return true;
  }
  c.tokens = tokens;
  return false;
}
