/**
 * Timestamps without BigInt on the per-frame path. A frame's time is a pair
 * of ordinary numbers: whole seconds since the epoch (`sec`, an integer)
 * and nanoseconds within that second (`nsec`, 0 to 999,999,999). Both are
 * exact for every time a capture can hold (pcapng's 64-bit nanoseconds end
 * at 18,446,744,073 s, far below 2^53). The passage page and the fate
 * records still carry one unsigned 64-bit count of nanoseconds, written and
 * read here as two 32-bit words; the guest counts its clock in nanoseconds
 * since boot as a number, exact for 2^53 ns (104 days) after the first
 * frame (see `relNs`).
 *
 * @example
 * const hi = nsHi(1_700_000_000, 5), lo = nsLo(1_700_000_000, 5);
 * secOfWords(hi, lo) === 1_700_000_000; nsecOfWords(hi, lo) === 5;
 * bigintNs(1_700_000_000, 5) === 1_700_000_000_000_000_005n
 */

/** Nanoseconds in a second. */
export const NS_PER_SEC = 1_000_000_000;

const TWO32 = 4_294_967_296;

/** The timestamp as one BigInt of nanoseconds since the epoch (for reports and messages; it allocates). */
export function bigintNs(sec: number, nsec: number): bigint {
  return BigInt(sec) * 1_000_000_000n + BigInt(nsec);
}

/** Seconds of a BigInt nanosecond time (floor division, so `nsecOfBigint` is never negative). */
export function secOfBigint(ns: bigint): number {
  let s = ns / 1_000_000_000n;
  if (ns < 0n && s * 1_000_000_000n !== ns) s -= 1n;
  return Number(s);
}

/** Nanoseconds within the second of a BigInt nanosecond time. */
export function nsecOfBigint(ns: bigint): number {
  const r = ns % 1_000_000_000n;
  return Number(r < 0n ? r + 1_000_000_000n : r);
}

/** Does (sec, nsec) come strictly before (sec2, nsec2)? */
export function tsBefore(sec: number, nsec: number, sec2: number, nsec2: number): boolean {
  return sec < sec2 || (sec === sec2 && nsec < nsec2);
}

// The two 32-bit words of sec * 10^9 + nsec (modulo 2^64, as a u64 field holds it), from `split`.
let wHi = 0;
let wLo = 0;

/** Splits sec * 10^9 + nsec into its 32-bit words (wHi, wLo): exact without BigInt for 0 <= sec < 2^34 (the year 2514). */
function split(sec: number, nsec: number): void {
  if (sec >= 0 && sec < 17_179_869_184) {
    const a1 = Math.floor(sec / 65_536);
    const p0 = (sec - a1 * 65_536) * NS_PER_SEC + nsec; // < 2^46
    const p1 = a1 * NS_PER_SEC; // < 2^48
    const q = Math.floor(p1 / 65_536);
    const low = (p1 - q * 65_536) * 65_536 + p0; // < 2^47
    const carry = Math.floor(low / TWO32);
    wHi = (q + carry) >>> 0;
    wLo = low - carry * TWO32;
    return;
  }
  const ns = BigInt.asUintN(64, bigintNs(sec, nsec));
  wHi = Number(ns >> 32n);
  wLo = Number(ns & 0xffffffffn);
}

/** Writes sec * 10^9 + nsec as an unsigned 64-bit little-endian count of nanoseconds at `at` (as setBigUint64 would). */
export function setNs64(dv: DataView, at: number, sec: number, nsec: number): void {
  split(sec, nsec);
  dv.setUint32(at, wLo, true);
  dv.setUint32(at + 4, wHi, true);
}

/** Writes sec * 10^9 + nsec as its high 32-bit word then its low one, each little-endian, at `at` (pcapng's timestamp fields). */
export function setNsHiLo(dv: DataView, at: number, sec: number, nsec: number): void {
  split(sec, nsec);
  dv.setUint32(at, wHi, true);
  dv.setUint32(at + 4, wLo, true);
}

/** The high 32-bit word of sec * 10^9 + nsec (modulo 2^64). */
export function nsHi(sec: number, nsec: number): number {
  split(sec, nsec);
  return wHi;
}

/** The low 32-bit word of sec * 10^9 + nsec (modulo 2^64). */
export function nsLo(sec: number, nsec: number): number {
  split(sec, nsec);
  return wLo;
}

// Quotient and remainder of the last `divWords`.
let dQ = 0;
let dR = 0;

/**
 * Divides the unsigned 64-bit number hi * 2^32 + lo by `d` (1 to 10^9) in
 * base-65536 digits, each step exact in a double: quotient in dQ (exact
 * below 2^53, which every quotient by 1000 or more of a 64-bit number is
 * not; callers check), remainder in dR.
 */
function divWords(hi: number, lo: number, d: number): void {
  let cur = hi >>> 16;
  let q = Math.floor(cur / d);
  let r = cur - q * d;
  cur = r * 65_536 + (hi & 0xffff);
  let qd = Math.floor(cur / d);
  r = cur - qd * d;
  q = q * 65_536 + qd;
  cur = r * 65_536 + (lo >>> 16);
  qd = Math.floor(cur / d);
  r = cur - qd * d;
  q = q * 65_536 + qd;
  cur = r * 65_536 + (lo & 0xffff);
  qd = Math.floor(cur / d);
  dR = cur - qd * d;
  dQ = q * 65_536 + qd;
}

/** Seconds of the unsigned 64-bit nanosecond count hi * 2^32 + lo. */
export function secOfWords(hi: number, lo: number): number {
  divWords(hi, lo, NS_PER_SEC);
  return dQ;
}

/** Nanoseconds within the second of the unsigned 64-bit nanosecond count hi * 2^32 + lo. */
export function nsecOfWords(hi: number, lo: number): number {
  divWords(hi, lo, NS_PER_SEC);
  return dR;
}

/**
 * Seconds and nanoseconds of a pcapng timestamp of hi * 2^32 + lo units of
 * 10^-digits s (digits 0 to 9), into `out`; false when the seconds would
 * not be exact in a double (the caller takes the BigInt way).
 */
export function decimalUnits(hi: number, lo: number, digits: number, out: { sec: number; nsec: number }): boolean {
  if (digits === 9) {
    divWords(hi, lo, NS_PER_SEC);
    out.sec = dQ;
    out.nsec = dR;
    return true;
  }
  const per = 10 ** digits;
  if (hi < 2_097_152) {
    // Below 2^53 units: one division.
    const units = hi * TWO32 + lo;
    const s = Math.floor(units / per);
    out.sec = s;
    out.nsec = (units - s * per) * 10 ** (9 - digits);
    return true;
  }
  divWords(hi, lo, per);
  if (dQ >= 2 ** 53) return false;
  out.sec = dQ;
  out.nsec = dR * 10 ** (9 - digits);
  return true;
}

/**
 * Nanoseconds from the u64 words (baseHi, baseLo) to (hi, lo), as a number:
 * exact while the distance is below 2^53 ns (104 days); farther, rounded to
 * the nearest double (2 ns steps up to 208 days, 4 ns to 416, ...).
 */
export function relNs(hi: number, lo: number, baseHi: number, baseLo: number): number {
  return (hi - baseHi) * TWO32 + (lo - baseLo);
}
