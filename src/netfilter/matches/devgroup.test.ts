/**
 * `-m devgroup` and the machine file's device groups: the rule texts as
 * iptables-restore and iptables-save 1.8.9 gave them back on Debian (and,
 * as root, as they do here), the kernel's refusals by hook, the groups
 * through the machine file. The kernel's counters on traffic are in golden
 * devgroup.
 */
import { describe, expect, it } from 'vitest';
import { decodeBoot, encodeBoot } from '../../machine/passage/boot.js';
import { machineFileText, parseMachineFile } from '../../machine/machine-file.js';
import { cofwOutcome, kernelRows, liveUnavailable, type KernelRow } from '../kernel-rows.js';

const ROWS: readonly KernelRow[] = [
  { rule: '-A INPUT -m devgroup --src-group 0x5', save: '-A INPUT -m devgroup --src-group 0x5' },
  { rule: '-A INPUT -m devgroup --src-group 10', save: '-A INPUT -m devgroup --src-group 0xa' },
  { rule: '-A INPUT -m devgroup ! --src-group 3/0xf', save: '-A INPUT -m devgroup ! --src-group 0x3/0xf' },
  { rule: '-A INPUT -m devgroup --src-group default', save: '-A INPUT -m devgroup --src-group default' },
  { rule: '-A INPUT -m devgroup --src-group 0', save: '-A INPUT -m devgroup --src-group default' },
  { rule: '-A INPUT -m devgroup --src-group 0/0xff', save: '-A INPUT -m devgroup --src-group 0x0/0xff' },
  { rule: '-A INPUT -m devgroup --src-group 010', save: '-A INPUT -m devgroup --src-group 0x8' },
  { rule: '-A INPUT -m devgroup --src-group 0xffffffff/0', save: '-A INPUT -m devgroup --src-group 0xffffffff/0x0' },
  { rule: '-A OUTPUT -m devgroup --dst-group 7', save: '-A OUTPUT -m devgroup --dst-group 0x7' },
  { rule: '-A FORWARD -m devgroup --dst-group 2/3 --src-group 1', save: '-A FORWARD -m devgroup --src-group 0x1 --dst-group 0x2/0x3' },
  { rule: '-A POSTROUTING -m devgroup ! --dst-group default', save: '-A POSTROUTING -m devgroup ! --dst-group default', table: 'mangle' },
  { rule: '-A INPUT -m devgroup --src-group 4', save: '-A INPUT -m devgroup --src-group 0x4', family: 6 },
  { rule: '-A INPUT -m devgroup --dst-group 7', save: null, error: 'only valid from FORWARD/OUTPUT/POSTROUTING' },
  { rule: '-A OUTPUT -m devgroup --src-group 7', save: null, error: 'only valid from PREROUTING/INPUT/FORWARD' },
  { rule: '-A PREROUTING -m devgroup --dst-group 7', save: null, error: 'only valid from FORWARD', table: 'mangle' },
  { rule: '-A POSTROUTING -m devgroup --src-group 7', save: null, error: 'only valid from PREROUTING', table: 'mangle' },
  // nf_tables gives checkentry no hook for a user chain's rules: accepted whatever reaches the chain.
  { rule: '-A INPUT -j c', before: [':c - [0:0]', '-A c -m devgroup --dst-group 1'], save: '-A c -m devgroup --dst-group 0x1' },
  { rule: '-A INPUT -m devgroup', save: null, error: "You must specify either '--src-group' or '--dst-group'" },
  { rule: '-A INPUT -m devgroup --src-group foo', save: null, error: 'devgroup: could not map name foo to an integer value for option "--src-group".' },
  { rule: '-A INPUT -m devgroup --src-group 5x', save: null, error: 'could not map name 5x' },
  { rule: '-A INPUT -m devgroup --src-group 5/x', save: null, error: 'devgroup: bad integer value for option "--src-group", or out of range.' },
  { rule: '-A INPUT -m devgroup --src-group 5/1x', save: null, error: 'trailing garbage' },
  { rule: '-A INPUT -m devgroup --src-group 4294967296', save: null, error: 'could not map name 4294967296' },
  { rule: '-A INPUT -m devgroup --src-group 1 --src-group 2', save: null, error: 'can only be used once' },
];

describe('-m devgroup: the rule text', () => {
  it.each(ROWS.map((r) => [r.rule, r] as const))('%s', (_, row) => {
    expect(cofwOutcome(row)).toBe(row.save);
  });
  const why = liveUnavailable();
  it.skipIf(why !== '')('the real iptables-restore and iptables-save still answer as recorded', () => {
    expect(kernelRows(ROWS, 'dg')).toEqual(ROWS.map((r) => r.save));
  });
  if (why) it.skip(`live: ${why}`, () => {});
});

describe('device groups in the machine file', () => {
  const text = (group: string) =>
    `hostname: t\ninterfaces:\n  - name: eth0\n    addresses: [192.0.2.1/24]\n    group: ${group}\n  - name: eth1\n    addresses: [198.51.100.1/24]\n`;
  it('reads a number or default, writes it back, and carries it to the guest', () => {
    const m = parseMachineFile(text('4294967295'), 'm.yaml');
    expect(m.devices.find((d) => d.name === 'eth0')!.group).toBe(4294967295);
    expect(m.devices.find((d) => d.name === 'eth1')!.group).toBeUndefined();
    expect(machineFileText(m)).toContain('    group: 4294967295\n');
    const back = decodeBoot(encodeBoot({ bootTsNs: 0n, rulesFile: 'r', spec: m }));
    expect(back.spec.devices.map((d) => d.group)).toEqual(m.devices.map((d) => d.group));
    expect(parseMachineFile(text('default'), 'm.yaml').devices.find((d) => d.name === 'eth0')!.group).toBeUndefined();
  });
  it('refuses what is not a group', () => {
    for (const bad of ['-1', '4294967296', 'wan', '1.5'])
      expect(() => parseMachineFile(text(bad), 'bad.yaml')).toThrow(/bad\.yaml:5:\d+: group must be a device group number/);
  });
});
