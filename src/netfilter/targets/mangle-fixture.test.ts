/**
 * The mangling targets against the real kernel: fixtures/mangle holds a
 * rule set using MARK, CONNMARK, CT, NOTRACK, TRACE, DSCP, TOS, TTL, ECN,
 * TCPMSS and NFLOG across raw, mangle and filter, a capture (see
 * mangle-fixture.ts for what each flow shows), and what Linux 6.18 with
 * iptables 1.8.9 (nf_tables) did with it. cofw must print the same counters
 * and the same connection table (marks included).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMachineFile } from '../../machine/machine-file.js';
import { replay } from '../../replay.js';
import { MANGLE_RULES, mangleFrames } from './mangle-fixture.js';

const dir = join(import.meta.dirname, '..', '..', '..', 'test', 'golden', 'mangle');
const repo = join(import.meta.dirname, '..', '..', '..');

const saveLines = (t: string): string[] => t.split('\n').filter((l) => l && !l.startsWith('#'));

/**
 * The save text as one block per table, in table-name order: iptables-nft
 * lists tables in the kernel's order (here mangle, raw, filter), which is
 * a matter for the save module, not for these targets.
 */
function byTable(lines: string[]): string[][] {
  const blocks: string[][] = [];
  for (const l of lines) {
    if (l.startsWith('*')) blocks.push([]);
    blocks.at(-1)?.push(l);
  }
  return blocks.sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

/** conntrack -L lines without `use=` (the kernel's references) and with the timeout apart. */
function ctEntries(t: string): Array<{ key: string; timeout: number }> {
  return t
    .split('\n')
    .filter((l) => l)
    .map((l) => {
      const [proto = '', num = '', timeout = '', ...rest] = l.replace(/ use=\d+$/, '').split(/\s+/);
      return { key: `${proto} ${num} ${rest.join(' ')}`, timeout: Number(timeout) };
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

describe('mangling targets: kernel recording', () => {
  it('the committed rules and capture are what the fixture builder writes', () => {
    expect(readFileSync(join(dir, 'rules.v4'), 'utf8')).toBe(MANGLE_RULES);
    const pcap = readFileSync(join(dir, 'capture.pcap'));
    expect(pcap.length).toBe(24 + mangleFrames().reduce((n, f) => n + 16 + f.data.length, 0));
  });
});
