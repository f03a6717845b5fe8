/**
 * Bob Jenkins' lookup3 hash over 32-bit words, as the kernel's `jhash2`
 * (include/linux/jhash.h). The NAT core uses it to pick an address from a
 * range, so the same connection maps to the same address as on Linux.
 *
 * Words are taken as the kernel reads them from memory on a little-endian
 * machine: `leWord` turns an address word (most significant byte first, as
 * cofw holds it) into that value.
 */

const JHASH_INITVAL = 0xdeadbeef;

function rol32(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The value a little-endian CPU reads from the four bytes of a big-endian word. */
export function leWord(w: number): number {
  return (((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24)) >>> 0;
}

/** jhash2(k, k.length, initval). */
export function jhash2(k: readonly number[], initval: number): number {
  let length = k.length;
  let a = (JHASH_INITVAL + (length << 2) + initval) >>> 0;
  let b = a;
  let c = a;
  let i = 0;
  while (length > 3) {
    a = (a + k[i]!) >>> 0;
    b = (b + k[i + 1]!) >>> 0;
    c = (c + k[i + 2]!) >>> 0;
    // __jhash_mix
    a = (a - c) >>> 0;
    a = (a ^ rol32(c, 4)) >>> 0;
    c = (c + b) >>> 0;
    b = (b - a) >>> 0;
    b = (b ^ rol32(a, 6)) >>> 0;
    a = (a + c) >>> 0;
    c = (c - b) >>> 0;
    c = (c ^ rol32(b, 8)) >>> 0;
    b = (b + a) >>> 0;
    a = (a - c) >>> 0;
    a = (a ^ rol32(c, 16)) >>> 0;
    c = (c + b) >>> 0;
    b = (b - a) >>> 0;
    b = (b ^ rol32(a, 19)) >>> 0;
    a = (a + c) >>> 0;
    c = (c - b) >>> 0;
    c = (c ^ rol32(b, 4)) >>> 0;
    b = (b + a) >>> 0;
    length -= 3;
    i += 3;
  }
  // The last one to three words (the kernel's switch falls through from 3 to 1).
  if (length > 0) {
    if (length === 3) c = (c + k[i + 2]!) >>> 0;
    if (length >= 2) b = (b + k[i + 1]!) >>> 0;
    a = (a + k[i]!) >>> 0;
    // __jhash_final
    c = (c ^ b) >>> 0;
    c = (c - rol32(b, 14)) >>> 0;
    a = (a ^ c) >>> 0;
    a = (a - rol32(c, 11)) >>> 0;
    b = (b ^ a) >>> 0;
    b = (b - rol32(a, 25)) >>> 0;
    c = (c ^ b) >>> 0;
    c = (c - rol32(b, 16)) >>> 0;
    a = (a ^ c) >>> 0;
    a = (a - rol32(c, 4)) >>> 0;
    b = (b ^ a) >>> 0;
    b = (b - rol32(a, 14)) >>> 0;
    c = (c ^ b) >>> 0;
    c = (c - rol32(b, 24)) >>> 0;
  }
  return c;
}

/** reciprocal_scale(val, ep_ro): maps a 32-bit value into [0, ep_ro). */
export function reciprocalScale(val: number, epRo: number): number {
  return Number((BigInt(val >>> 0) * BigInt(epRo >>> 0)) >> 32n);
}
