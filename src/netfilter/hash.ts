/**
 * A 32-bit integer mixer (the murmur3 finalizer), for the hash tables of
 * conntrack and hashlimit: spreads nearby keys over the buckets.
 */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
