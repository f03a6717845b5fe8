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

/** Nanoseconds per jiffy at HZ=250 (4 ms), as a BigInt. */
const NS_PER_JIFFY = BigInt(1_000_000_000 / HZ);

/**
 * Jiffies from nanoseconds, floor(ns * HZ / 10^9), for a clock read once
 * per packet: instead of a BigInt multiplication and division each time,
 * it keeps the last whole jiffy it met and counts from there in ordinary
 * numbers (exact while the distance stays below 2^50 ns, about 13 days;
 * earlier times and farther ones take the BigInt way and move the base).
 *
 * @example
 * const j = new JiffyClock(); j.of(8_000_000n) === 2
 */
export class JiffyClock {
  private baseNs = 0n;
  private baseJ = 0;

  of(ns: bigint): number {
    const d = Number(ns - this.baseNs);
    if (d >= 0 && d < 2 ** 50) return this.baseJ + Math.floor(d / (1_000_000_000 / HZ));
    const j = ns / NS_PER_JIFFY;
    this.baseNs = j * NS_PER_JIFFY;
    this.baseJ = Number(j);
    return this.baseJ;
  }
}
