import { describe, expect, it } from 'vitest';
import { bigintNs, decimalUnits, nsecOfBigint, nsecOfWords, nsHi, nsLo, relNs, secOfBigint, secOfWords, setNs64, tsBefore } from './timestamp.js';

/** A small deterministic generator (tests stay reproducible). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('timestamps as numbers', () => {
  const rnd = rng(12);
  const u64s: bigint[] = [0n, 1n, 999_999_999n, 1_000_000_000n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n, 1_700_000_000_123_456_789n, 2n ** 64n - 1n];
  for (let i = 0; i < 1000; i++) u64s.push((BigInt(Math.floor(rnd() * 2 ** 32)) << 32n) | BigInt(Math.floor(rnd() * 2 ** 32)));
  for (let i = 0; i < 300; i++) u64s.push(1_700_000_000_000_000_000n + BigInt(Math.floor(rnd() * 2 ** 52)));

  it('splits seconds and nanoseconds into the u64 words setBigUint64 writes, and reads them back', () => {
    const dv = new DataView(new ArrayBuffer(8));
    for (const ns of u64s) {
      const sec = secOfBigint(ns);
      const nsec = nsecOfBigint(ns);
      expect(bigintNs(sec, nsec)).toBe(ns);
      setNs64(dv, 0, sec, nsec);
      expect(dv.getBigUint64(0, true)).toBe(ns);
      const hi = nsHi(sec, nsec);
      const lo = nsLo(sec, nsec);
      expect((BigInt(hi) << 32n) | BigInt(lo)).toBe(ns);
      expect(secOfWords(hi, lo)).toBe(sec);
      expect(nsecOfWords(hi, lo)).toBe(nsec);
    }
  });

  it('wraps times before 1970 and past 2^64 ns as setBigUint64 does', () => {
    const dv = new DataView(new ArrayBuffer(8));
    for (const ns of [-1n, -1_000_000_001n, 2n ** 64n, 2n ** 64n + 5n, -(2n ** 63n)]) {
      setNs64(dv, 0, secOfBigint(ns), nsecOfBigint(ns));
      expect(dv.getBigUint64(0, true)).toBe(BigInt.asUintN(64, ns));
    }
    expect([secOfBigint(-1n), nsecOfBigint(-1n)]).toEqual([-1, 999_999_999]);
  });

  it('reads pcapng units of every decimal resolution as the BigInt way does', () => {
    const out = { sec: 0, nsec: 0 };
    for (let digits = 0; digits <= 9; digits++) {
      for (const u of u64s) {
        const hi = Number(u >> 32n);
        const lo = Number(u & 0xffffffffn);
        const ns = u * 10n ** BigInt(9 - digits);
        if (decimalUnits(hi, lo, digits, out)) expect([out.sec, out.nsec]).toEqual([secOfBigint(ns), nsecOfBigint(ns)]);
        else expect(ns / 1_000_000_000n >= 2n ** 53n).toBe(true);
      }
    }
  });

  it('orders pairs and measures distances from a base exactly below 2^53 ns', () => {
    expect(tsBefore(1, 999_999_999, 2, 0)).toBe(true);
    expect(tsBefore(2, 0, 2, 0)).toBe(false);
    expect(tsBefore(2, 1, 2, 0)).toBe(false);
    const base = 1_700_000_000_123_456_789n;
    const bh = Number(base >> 32n);
    const bl = Number(base & 0xffffffffn);
    for (const d of [0n, 1n, -1n, 4_000_000n, 2n ** 32n + 7n, 2n ** 53n - 1n, -(2n ** 40n)]) {
      const t = base + d;
      expect(relNs(Number(t >> 32n), Number(t & 0xffffffffn), bh, bl)).toBe(Number(d));
    }
  });
});
