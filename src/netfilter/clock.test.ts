import { describe, expect, it } from 'vitest';
import { HZ, JiffyClock } from './clock.js';

describe('JiffyClock', () => {
  const exact = (ns: bigint): number => Number((ns * BigInt(HZ)) / 1_000_000_000n);

  it('agrees with floor(ns * HZ / 10^9) forwards, backwards, at jiffy edges and far away', () => {
    const c = new JiffyClock();
    const times = [0n, 1n, 3_999_999n, 4_000_000n, 4_000_001n, 1_700_000_000_123_456_789n, 1_700_000_000_123_456_790n, 1_700_000_000_000_000_000n];
    for (let i = 0n; i < 2000n; i++) times.push(1_700_000_000_000_000_000n + i * 1_999_999n);
    times.push(5n * 10n ** 15n, 2n ** 50n - 1n, 2n ** 50n, 2n ** 53n + 12_345n, 3_999_999n, 10n ** 19n);
    for (const t of times) expect(c.of(t)).toBe(exact(t));
  });
});
