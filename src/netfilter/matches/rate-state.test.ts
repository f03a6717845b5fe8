/**
 * limit, hashlimit (packets and bytes), recent and statistic rules hit by
 * bursts at known times (fixtures/rate-state, built by its build.ts),
 * compared with the counters the real kernel recorded for the same capture.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMachineFile } from '../../machine/machine-file.js';
import { replay } from '../../replay.js';
import { RULES } from './fixtures/rate-state/build.js';

const dir = join(import.meta.dirname, '..', '..', '..', 'test', 'golden', 'rate-state');
const repo = join(import.meta.dirname, '..', '..', '..');

function saveLines(text: string): string[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#'));
}

describe('rate and state matches against the kernel', () => {
  it("the committed rules are the builder's", () => {
    expect(readFileSync(join(dir, 'rules.v4'), 'utf8')).toBe(RULES);
  });
});
