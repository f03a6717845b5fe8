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
import { LIMIT_RATE, parseRate, printRate, uintArg } from '../args.js';
import { checkUses } from './util.js';

/** XT_LIMIT_SCALE: avg is in 1/10000 s per packet. */
export const XT_LIMIT_SCALE = Number(LIMIT_RATE.scale);
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

/** parse_rate of libxt_limit (args.ts's parseRate with its atoi into uint32_t): avg in XT_LIMIT_SCALE units, or an OptionError. */
function limitRate(text: string, use: OptionUse): number {
  const r = parseRate(text, LIMIT_RATE, use);
  if (!r) throw new OptionError(`bad rate "${text}"'`, use);
  return Number(r.avg);
}

/** print_rate: the unit iptables shows `avg` in, as nft.c's add_nft_limit also chooses it. */
function rateOf(avg: number): ReturnType<typeof printRate> {
  return printRate(BigInt(avg), LIMIT_RATE.scale);
}

/** `R/unit` as iptables prints an avg. */
export function formatRate(avg: number): string {
  return rateOf(avg).text;
}

export const limitMatch = defineMatch<LimitConfig>({
  name: 'limit',
  options: OPTIONS,
  parse(uses) {
    checkUses('limit', uses);
    let avg = Math.floor((XT_LIMIT_SCALE * 3600) / 3);
    let burst = DEFAULT_BURST;
    for (const u of uses) {
      if (u.spec.name === 'limit') avg = limitRate(u.args[0]!, u);
      else burst = uintArg('limit', u, 0, 10000);
    }
    const shown = rateOf(avg);
    const rate = Number(shown.count);
    const unit = shown.seconds;
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
    return limitTake(c, par.services.nowNs());
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
