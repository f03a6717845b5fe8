// `npm run fuzz [-- SEED [RUNS]]`: the property tests of test/properties with
// a random seed (printed first, so that a failure can be run again) and
// RUNS times the runs CI makes (default 50). Rerun one failure with
// `COFW_FUZZ_SEED=SEED npx vitest run test/properties/NAME.test.ts`.
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const [seedArg, runsArg, ...rest] = process.argv.slice(2);
const seed = seedArg !== undefined ? Number(seedArg) : randomInt(0, 2 ** 31 - 1);
const runs = runsArg !== undefined ? Number(runsArg) : 50;
if (!Number.isInteger(seed) || !(runs >= 1)) {
  console.error('usage: npm run fuzz [-- SEED [RUNS]]   (SEED an integer, RUNS a multiplier of the CI runs, at least 1)');
  process.exit(2);
}
console.log(`fuzz: seed ${seed}, ${runs} times the CI runs (rerun with: npm run fuzz -- ${seed} ${runs})`);
const r = spawnSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', 'test/properties', ...rest], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, COFW_FUZZ_SEED: String(seed), COFW_FUZZ_RUNS: String(runs) },
});
console.log(`fuzz: seed ${seed} ${r.status === 0 ? 'passed' : 'FAILED'}`);
process.exit(r.status ?? 1);
