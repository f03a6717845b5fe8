/**
 * The rate estimators RATEEST feeds and `-m rateest` reads (xt_RATEEST.c,
 * xt_rateest.c, net/core/gen_estimator.c): one per name in the guest (the
 * kernel keeps one hash of them per network namespace, both families
 * sharing it), made when the first RATEEST rule naming it is loaded.
 *
 * gen_estimator, on the guest's clock: a timer every `(HZ/4) << intvl_log`
 * jiffies (HZ/4 is 62 at HZ=250, so "250 ms" is 248 ms), `intvl_log` the
 * interval + 2 (interval -2 is 250 ms ... 3 is 8 s); at each firing
 *
 *     brate = (bytes - last_bytes) << (10 - intvl_log)
 *     avbps += (brate >> ewma_log) - (avbps >> ewma_log)
 *
 * and the same for packets (avpps); a reader takes `avbps >> 8` bytes and
 * `avpps >> 8` packets per second. The timer is first armed one period
 * after the estimator is made; each firing arms the next one period after
 * the previous nominal time (one jiffy after now when that has passed).
 * The timer wheel rounds an expiry up to its level's granularity (1 jiffy
 * below 63 jiffies away, 8 below 504, 64 below 4032, 512 beyond), and a
 * timer fires one granule after the rounded-down expiry (calc_index), so
 * a firing is late by up to a granule, as in the kernel.
 *
 * The estimator is made when the guest installs its rules: at the first
 * frame's time (the kernel's starts when iptables-restore loads the rules,
 * which a capture does not record, so the phase of its timer against the
 * packets is the first frame's). Timers are run lazily, when a packet
 * counts or reads an estimator: every firing up to the packet's jiffy,
 * with the counters as they were (no packet came in between).
 */
import type { GuestServices } from './types.js';
import { HZ } from './clock.js';
import { guestTable } from './matches/shared-state.js';

/** An estimator's parameters as struct gnet_estimator holds them: interval -2..3, ewma_log 1..30. */
export interface EstimatorParams {
  readonly interval: number;
  readonly ewmaLog: number;
}

/** IFNAMSIZ: an estimator's name holds at most 15 bytes. */
export const RATEEST_NAME_SIZE = 16;

/** The jiffy a timer armed at `clk` for `expires` fires (calc_wheel_index, calc_index: rounded up to its level's granularity). */
export function wheelExpiry(expires: number, clk: number): number {
  const delta = expires - clk;
  let shift = 0;
  if (delta >= 63) shift = delta < 504 ? 3 : delta < 4032 ? 6 : delta < 32256 ? 9 : 12;
  return (Math.floor(expires / 2 ** shift) + 1) * 2 ** shift;
}

/** x >> n for a non-negative integer below 2^53. */
function shr(x: number, n: number): number {
  return Math.floor(x / 2 ** n);
}

/** One rate estimator: its counters (gnet_stats_basic_sync) and gen_estimator's state. */
export class RateEstimator {
  bytes = 0;
  packets = 0;
  private lastBytes = 0;
  private lastPackets = 0;
  /** Rates scaled by 2^8 (and by 2^10 >> intvl_log per interval), as gen_estimator keeps them. */
  avbps = 0;
  avpps = 0;
  /** The nominal expiry of the next firing, and the jiffy it fires. */
  private nextJiffies: number;
  private fireAt: number;
  private readonly intvlLog: number;
  private readonly period: number;

  constructor(
    readonly name: string,
    readonly params: EstimatorParams,
    now: number,
  ) {
    this.intvlLog = params.interval + 2;
    this.period = Math.floor(HZ / 4) * 2 ** this.intvlLog;
    this.nextJiffies = now + this.period;
    this.fireAt = wheelExpiry(this.nextJiffies, now);
  }

  /** Runs every timer firing up to jiffy `now` (est_timer). */
  advance(now: number): void {
    const e = this.params.ewmaLog;
    while (this.fireAt <= now) {
      const at = this.fireAt;
      const db = this.bytes - this.lastBytes;
      const dp = this.packets - this.lastPackets;
      if (db === 0 && dp === 0 && shr(this.avbps, e) === 0 && shr(this.avpps, e) === 0) {
        // Nothing can change any more (no packet, and the averages too small to decay): skip the firings that would
        // change nothing, keeping the timer's schedule.
        const skip = Math.floor((now - this.nextJiffies) / this.period) - 1;
        if (skip > 0) {
          this.nextJiffies += skip * this.period;
          this.fireAt = wheelExpiry(this.nextJiffies, this.nextJiffies - this.period + 1);
          continue;
        }
      }
      const brate = db * 2 ** (10 - this.intvlLog);
      const prate = dp * 2 ** (10 - this.intvlLog);
      this.avbps += shr(brate, e) - shr(this.avbps, e);
      this.avpps += shr(prate, e) - shr(this.avpps, e);
      this.lastBytes = this.bytes;
      this.lastPackets = this.packets;
      this.nextJiffies += this.period;
      if (at >= this.nextJiffies) this.nextJiffies = at + 1;
      this.fireAt = wheelExpiry(this.nextJiffies, at);
    }
  }

  /** gen_estimator_read: bytes and packets per second. */
  bps(): number {
    return shr(this.avbps, 8);
  }

  pps(): number {
    return shr(this.avpps, 8);
  }
}

/** The guest's estimators by name. */
export function estimators(svc: GuestServices): Map<string, RateEstimator> {
  return guestTable(svc, 'rateest', () => new Map<string, RateEstimator>());
}

/** The estimator `name` of the guest, made at the guest's clock when it has none yet (xt_rateest_tg_checkentry). */
export function estimatorFor(svc: GuestServices, name: string, params: EstimatorParams): RateEstimator {
  const all = estimators(svc);
  let est = all.get(name);
  if (!est) {
    est = new RateEstimator(name, params, svc.jiffies());
    all.set(name, est);
  }
  return est;
}

/**
 * glibc's strtod on the start of `s`: the value and where it stopped (end
 * 0: nothing read). Decimal with an exponent, hexadecimal with a binary
 * exponent, `inf`, `infinity`, `nan`, after white space and a sign.
 */
export function cStrtod(s: string): { value: number; end: number } {
  const m =
    /^[\t\n\v\f\r ]*([+-]?)(?:(0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?)|((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(infinity|inf)|(nan(?:\([0-9A-Za-z_]*\))?))/i.exec(
      s,
    );
  if (!m) return { value: 0, end: 0 };
  const sign = m[1] === '-' ? -1 : 1;
  let v: number;
  if (m[2] !== undefined) {
    const h = /^0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)(?:[pP]([+-]?\d+))?$/.exec(m[2])!;
    const int = h[1] ?? '';
    const frac = h[2] ?? '';
    v = (int ? parseInt(int, 16) : 0) + (frac ? parseInt(frac, 16) / 16 ** frac.length : 0);
    if (h[3]) v *= 2 ** Number(h[3]);
  } else if (m[3] !== undefined) v = Number(m[3]);
  else if (m[4] !== undefined) v = Infinity;
  else v = NaN;
  return { value: sign * v, end: m[0].length };
}

/** A double converted to unsigned int as gcc does it on x86-64 (cvttsd2si to 64 bits, low 32 bits kept; NaN and beyond 2^63 give 0). */
export function doubleToU32(x: number): number {
  if (!(Math.abs(x) < 2 ** 63)) return 0;
  return Number(BigInt.asUintN(32, BigInt(Math.trunc(x))));
}
