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
