/**
 * RATEEST (xt_RATEEST.c revision 0 / libxt_RATEEST.c): counts the packet
 * (its IP length) into the rate estimator it names and lets it go on to
 * the next rule (XT_CONTINUE). Both families, any table, any hook; the
 * estimator itself, and how it averages, is src/netfilter/rateest.ts.
 *
 * Options as iptables 1.8.9 reads them: `--rateest-name NAME` (16 bytes:
 * a longer name is cut to 15), `--rateest-interval TIME` and
 * `--rateest-ewmalog TIME`, each a C double with an optional unit (`s`,
 * `sec`, `secs`, `ms`, `msec`, `msecs`, `us`, `usec`, `usecs`, any case;
 * without one, microseconds). The interval becomes the first of 250 ms,
 * 500 ms, 1 s, 2 s, 4 s, 8 s that is not shorter ("RATEEST: interval value
 * is too large" beyond 8 s); ewma_log the largest k for which interval /
 * -ln(1 - 2^-k) is at most the time constant, 1 to 30 ("RATEEST: ewmalog
 * value is out of range"). iptables-save prints them back as the interval
 * and interval * 2^ewma_log (in 32 bits: 1 s with ewma_log 13 wraps), in
 * `%.1fs`, `%.1fms` or `%uus`.
 *
 * The kernel's checkentry: a second RATEEST naming an estimator another
 * rule made must give its very interval and ewma_log (else EINVAL).
 *
 * @example
 * -A FORWARD -o eth0 -j RATEEST --rateest-name wan --rateest-interval 250ms --rateest-ewmalog 1s
 */
import { cStrtod, doubleToU32, estimatorFor, type EstimatorParams, type RateEstimator } from '../rateest.js';
import { groupOf } from '../matches/shared-state.js';
import type { GuestServices } from '../types.js';
import { XT_CONTINUE } from '../types.js';
import { CheckError, OptionError, defineTarget, type OptionSpec, type OptionUse } from '../xt.js';

export interface RateestTargetConfig extends EstimatorParams {
  readonly name: string;
  /** The load's record of the estimator's parameters (the first RATEEST naming it). */
  readonly first: EstimatorParams;
  boundTo: GuestServices | null;
  est: RateEstimator | null;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'rateest-name', args: 1 },
  { name: 'rateest-interval', args: 1 },
  { name: 'rateest-ewmalog', args: 1 },
];

const TIME_UNITS_PER_SEC = 1_000_000;

/** RATEEST_get_time: microseconds, or undefined when the text is not a time. */
export function rateestTime(text: string): number | undefined {
  const { value, end } = cStrtod(text);
  if (end === 0) return undefined;
  let t = value;
  const unit = text.slice(end).toLowerCase();
  if (unit) {
    if (unit === 's' || unit === 'sec' || unit === 'secs') t *= TIME_UNITS_PER_SEC;
    else if (unit === 'ms' || unit === 'msec' || unit === 'msecs') t *= TIME_UNITS_PER_SEC / 1000;
    else if (unit === 'us' || unit === 'usec' || unit === 'usecs') t *= TIME_UNITS_PER_SEC / 1000000;
    else return undefined;
  }
  return doubleToU32(t);
}

/** RATEEST_print_time. */
function printTime(us: number): string {
  if (us >= TIME_UNITS_PER_SEC) return `${(us / TIME_UNITS_PER_SEC).toFixed(1)}s`;
  if (us >= TIME_UNITS_PER_SEC / 1000) return `${(us / (TIME_UNITS_PER_SEC / 1000)).toFixed(1)}ms`;
  return `${us}us`;
}

/** RATEEST_final_check: the interval and ewma_log from the microseconds given. */
export function rateestParams(intervalUs: number, ewmaUs: number, use?: OptionUse): EstimatorParams {
  let i = 0;
  for (; i <= 5; i++) if (intervalUs <= 2 ** i * (TIME_UNITS_PER_SEC / 4)) break;
  if (i > 5) throw new OptionError('RATEEST: interval value is too large', use);
  let e = 1;
  for (; e < 32; e++) {
    // (1 << e) is a C int: 1 << 31 is negative.
    const w = 1.0 - 1.0 / (1 << e);
    if (intervalUs / -Math.log(w) > ewmaUs) break;
  }
  e--;
  if (e === 0 || e >= 31) throw new OptionError('RATEEST: ewmalog value is out of range', use);
  return { interval: i - 2, ewmaLog: e };
}

export const rateestTarget = defineTarget<RateestTargetConfig>({
  name: 'RATEEST',
  options: OPTIONS,
  parse(uses, ctx) {
    let name: string | undefined;
    let interval = 0;
    let ewma = 0;
    for (const u of uses) {
      const a = u.args[0] ?? '';
      switch (u.spec.name) {
        case 'rateest-name':
          name = a;
          break;
        case 'rateest-interval': {
          const t = rateestTime(a);
          if (t === undefined) throw new OptionError(`RATEEST: bad interval value "${a}"`, u);
          interval = t;
          break;
        }
        case 'rateest-ewmalog': {
          const t = rateestTime(a);
          if (t === undefined) throw new OptionError(`RATEEST: bad ewmalog value "${a}"`, u);
          ewma = t;
          break;
        }
      }
    }
    // x6_fcheck first, then the mandatory options.
    const params = rateestParams(interval, ewma);
    for (const n of ['rateest-name', 'rateest-interval', 'rateest-ewmalog']) {
      if (!uses.some((u) => u.spec.name === n)) throw new OptionError(`RATEEST: option "--${n}" must be specified`);
    }
    const first = groupOf<EstimatorParams>(ctx, `rateest:${name!}`, () => params);
    return { name: name!, ...params, first, boundTo: null, est: null };
  },
  /** xt_rateest_tg_checkentry: an estimator another rule made must be asked for with its own parameters. */
  check(c) {
    if (c.first.interval !== c.interval || c.first.ewmaLog !== c.ewmaLog) {
      throw new CheckError(
        `RATEEST: the estimator ${c.name} exists with another interval or ewmalog (Invalid argument); give every RATEEST rule naming it the same ones`,
      );
    }
  },
  attach(c, svc) {
    bind(c, svc);
  },
  save(c) {
    const interval = (TIME_UNITS_PER_SEC * 2 ** (c.interval + 2)) / 4;
    // unsigned int arithmetic: the product wraps at 2^32.
    const ewma = Number(BigInt.asUintN(32, BigInt(interval) * 2n ** BigInt(c.ewmaLog)));
    return `--rateest-name ${c.name} --rateest-interval ${printTime(interval)} --rateest-ewmalog ${printTime(ewma)}`;
  },
  target(c, skb, par) {
    const svc = par.services;
    const est = c.boundTo === svc && c.est ? c.est : bind(c, svc);
    est.advance(svc.jiffies());
    est.bytes += skb.totLen;
    est.packets++;
    return XT_CONTINUE;
  },
});

function bind(c: RateestTargetConfig, svc: GuestServices): RateEstimator {
  const est = estimatorFor(svc, c.name, c);
  c.boundTo = svc;
  c.est = est;
  return est;
}
