import { describe, expect, it } from 'vitest';
import { HZ, JiffyClock, jiffiesOfNs } from './clock.js';

describe('JiffyClock', () => {
  const exact = (ns: bigint): number => {
    const d = 1_000_000_000n / BigInt(HZ);
    const j = ns / d;
    return Number(j * d > ns ? j - 1n : j);
  };

  it('agrees with floor(ns * HZ / 10^9) forwards, backwards, at jiffy edges and far away', () => {
    const c = new JiffyClock();
    const times = [0n, 1n, 3_999_999n, 4_000_000n, 4_000_001n, 1_700_000_000_123_456n, 1_700_000_000_123_457n, -1n, -4_000_000n, -4_000_001n];
    for (let i = 0n; i < 2000n; i++) times.push(1_700_000_000_000_000n + i * 1_999_999n);
    times.push(5n * 10n ** 15n, 2n ** 50n - 1n, 2n ** 50n, 2n ** 53n - 1n, 2n ** 53n - 4_000_001n, 2n ** 53n - 3_999_999n);
    for (const t of times) {
      expect(c.of(Number(t))).toBe(exact(t));
      expect(jiffiesOfNs(Number(t))).toBe(exact(t));
    }
  });

  it('counts from its origin as the epoch jiffies of origin + ns, at edges of both', () => {
    for (const origin of [0n, 1n, 3_999_999n, 4_000_000n, 1_700_000_000_123_456_789n, 1_700_000_000_000_000_000n, 10n ** 19n]) {
      const c = new JiffyClock(origin);
      for (const ns of [0n, 1n, 2_000_000n, 3_999_999n, 4_000_000n, 123_456_789_012n, 2n ** 53n - 4_000_000n * 2n - 1n])
        expect(c.of(Number(ns))).toBe(exact(origin + ns));
    }
  });
});
