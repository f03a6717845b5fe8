/**
 * How the property tests run. In CI (and `npm test`): a fixed seed and a
 * bounded number of runs per property, so that a run is repeatable and the
 * whole suite stays well under a minute. `npm run fuzz` sets COFW_FUZZ_SEED
 * (a random seed it prints) and COFW_FUZZ_RUNS (a multiplier of the runs);
 * rerun a failure with the seed and path fast-check prints, e.g.
 * `COFW_FUZZ_SEED=123 npx vitest run test/properties/captures.test.ts`.
 */
import fc from 'fast-check';

/** The seed of every property: COFW_FUZZ_SEED, or a fixed one. */
export const SEED = process.env.COFW_FUZZ_SEED !== undefined ? Number(process.env.COFW_FUZZ_SEED) : 0x0c0f3;
/** Multiplier of every property's runs (COFW_FUZZ_RUNS, 1 by default). */
export const SCALE = process.env.COFW_FUZZ_RUNS !== undefined ? Math.max(1, Number(process.env.COFW_FUZZ_RUNS)) : 1;

/** fast-check parameters for a property of `runs` runs (in CI). */
export function params<T>(runs: number, extra: fc.Parameters<T> = {}): fc.Parameters<T> {
  return { seed: SEED, numRuns: Math.round(runs * SCALE), ...extra };
}

/** A per-test timeout that grows with the runs. */
export function timeout(ms: number): number {
  return Math.round(ms * SCALE) + 10_000;
}
