/**
 * The guest kernel's clock rate, defined once: jiffies run at HZ=250, as on
 * the reference kernel (Debian's CONFIG_HZ_250). Every module that counts
 * in jiffies (conntrack timeouts, hashlimit credits, recent's `--seconds`,
 * the garbage collectors of shared tables) takes HZ from here.
 *
 * @example
 * msecsToJiffies(1000) === HZ; msecsToJiffies(1) === 1
 */

/** Jiffies per second (CONFIG_HZ). */
export const HZ = 250;

/** msecs_to_jiffies at HZ=250: milliseconds rounded up to whole 4 ms jiffies. */
export function msecsToJiffies(ms: number): number {
  return Math.ceil((ms * HZ) / 1000);
}

/** Nanoseconds per jiffy at HZ=250 (4 ms). */
export const NS_PER_JIFFY = 1_000_000_000 / HZ;

/**
 * floor(ns / NS_PER_JIFFY) for a whole number of nanoseconds, exact
 * wherever `ns` is (|ns| < 2^53, 104 days): the division's rounding can
 * only reach the next whole jiffy from below, and that is undone.
 *
 * @example
 * jiffiesOfNs(3_999_999) === 0; jiffiesOfNs(4_000_000) === 1; jiffiesOfNs(-1) === -1
 */
export function jiffiesOfNs(ns: number): number {
  const j = Math.floor(ns / NS_PER_JIFFY);
  return j * NS_PER_JIFFY > ns ? j - 1 : j;
}

/**
 * Jiffies counted from the epoch, floor((origin + ns) * HZ / 10^9), for a
 * clock that counts in ordinary numbers of nanoseconds since `origin` (a
 * BigInt of nanoseconds since 1970, given once): the origin's whole
 * jiffies and its remainder are kept, so each reading is one division in
 * doubles, exact while `ns` stays below 2^53 (104 days after the origin).
 *
 * @example
 * const j = new JiffyClock(1_700_000_000_002_000_000n); j.of(2_000_000) === 425_000_000_001
 */
export class JiffyClock {
  private readonly baseJ: number;
  private readonly phase: number;

  constructor(originNs = 0n) {
    const d = BigInt(NS_PER_JIFFY);
    let j = originNs / d;
    if (j * d > originNs) j -= 1n;
    this.baseJ = Number(j);
    this.phase = Number(originNs - j * d);
  }

  of(ns: number): number {
    return this.baseJ + jiffiesOfNs(this.phase + ns);
  }
}
