/**
 * A replay that lists no conntrack table (`conntrackList: false`, what
 * `cofw replay` asks when it writes no `--conntrack` file) reports the same
 * address translations as one that lists it: the guest sends only the lines
 * that may show one, and the report reads them as it reads the whole table.
 * Checked on the golden scenarios with NAT of every kind (IPv4 and IPv6,
 * ICMP, GRE, helpers, zones, clashes, prefix translation) and a few without.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMachineFile } from '../src/machine/machine-file.js';
import { replay, type ReplayOptions } from '../src/replay.js';
import { translations } from '../src/report/translations.js';
import { formatReport } from '../src/report/text.js';

const root = join(import.meta.dirname, 'golden');
const SCENARIOS = ['nat-gateway', 'nat6', 'nat-kube', 'nat-clash', 'ct-pptp-nat', 'ct-h323-nat', 'zones', 'npt', 'nat-helpers', 'ct-mixed', 'filter-basic'];

function options(name: string): ReplayOptions {
  const dir = join(root, name);
  const machineFile = existsSync(join(dir, 'machine.yaml')) ? join(dir, 'machine.yaml') : join(root, 'machine.yaml');
  const rules6File = join(dir, 'rules.v6');
  return {
    rulesFile: join(dir, 'rules.v4'),
    ...(existsSync(rules6File) ? { rules6File } : {}),
    machine: loadMachineFile(machineFile),
    captures: [join(dir, existsSync(join(dir, 'capture.pcapng')) ? 'capture.pcapng' : 'capture.pcap')],
  };
}

describe('the report without listing the conntrack table', () => {
  for (const name of SCENARIOS.filter((s) => existsSync(join(root, s, 'rules.v4')))) {
    it(`${name}: the same translations, expectations and report`, async () => {
      const full = await replay(options(name));
      const lean = await replay({ ...options(name), conntrackList: false });
      expect(lean.conntrack).toBeUndefined();
      expect(lean.conntrack6).toBeUndefined();
      expect(lean.translations).toEqual(full.translations);
      if (full.conntrack !== undefined) expect(full.translations).toEqual(translations(full.conntrack + (full.conntrack6 ?? '')));
      expect(lean.conntrackExpect).toEqual(full.conntrackExpect);
      const ctx = { captures: ['capture'], rulesFile: 'rules.v4', machine: 'machine.yaml', top: 1000 };
      // The passage carried less (the table's text): the rest of the report is the same.
      expect(formatReport({ ...lean, stats: full.stats }, ctx)).toBe(formatReport(full, ctx));
      // NPT translates without conntrack: its entries mirror their tuples.
      if (!['filter-basic', 'ct-mixed', 'npt'].includes(name)) expect(full.translations?.length, 'the scenario translates addresses').toBeGreaterThan(0);
    });
  }
});
