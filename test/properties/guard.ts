/**
 * Out-of-bounds read detection for code that reads packets by index: a
 * Uint8Array behind a Proxy that records every index read outside
 * [0, limit). In JavaScript such a read gives `undefined`, which `<<` and
 * `|` turn into 0 without a word; the guard makes it visible. Subarrays of
 * a guarded array are guarded too; everything else is the array's own.
 */

/** The reads a guard saw outside its bounds: [index, limit]; `where` is the stack of the first. */
export type OobLog = Array<[number, number]> & { where?: string };

const INDEX = /^(?:0|[1-9]\d*|-\d+)$/;

/** `b` guarded: reads at an index outside [0, limit) are recorded in `log`. */
export function guarded(b: Uint8Array, log: OobLog, limit = b.length): Uint8Array {
  return new Proxy(b, {
    get(target, prop) {
      if (typeof prop === 'string' && INDEX.test(prop)) {
        const i = Number(prop);
        if (i < 0 || i >= limit) {
          if (!log.length) log.where = new Error('read out of bounds').stack;
          log.push([i, limit]);
        }
        return target[i];
      }
      if (prop === 'subarray')
        return (start = 0, end = target.length): Uint8Array => {
          const s = start < 0 ? Math.max(target.length + start, 0) : Math.min(start, target.length);
          const e = end < 0 ? Math.max(target.length + end, 0) : Math.min(end, target.length);
          return guarded(target.subarray(s, e), log, Math.max(0, Math.min(e, limit) - s));
        };
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
    set(target, prop, value) {
      return Reflect.set(target, prop, value, target);
    },
  });
}
