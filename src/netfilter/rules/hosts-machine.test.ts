/**
 * Host names from the machine file's `hosts:` (the guest's /etc/hosts):
 * read and checked with the machine file, carried to the guest in the boot
 * parameters, used by the rule loader when the guest boots (replay) and by
 * `cofw check` and `cofw save` with `--machine`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { writePcapFile } from '../../capture/pcap-write.js';
import { main } from '../../cli/main.js';
import { MachineFileError, machineFileText, parseMachineFile } from '../../machine/machine-file.js';
import { decodeBoot, encodeBoot } from '../../machine/passage/index.js';
import { ethernet, ipv4, tcp } from '../../packet/build.js';
import { replay } from '../../replay.js';

const BASE = `hostname: fw1
interfaces:
  - name: eth0
    mac: "02:00:00:00:00:01"
    addresses: [198.51.100.1/24, 2001:db8:1::1/64]
routes:
  - to: default
    via: 198.51.100.254
`;
const HOSTS = `hosts:
  web1: 192.0.2.10
  db: [198.51.100.5, 2001:db8::5]
`;

function problems(text: string): string[] {
  try {
    parseMachineFile(text, 'm.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(MachineFileError);
    return (e as MachineFileError).problems.map((p) => `${p.line}:${p.column}: ${p.message}`);
  }
  throw new Error('expected a MachineFileError');
}

describe('the machine file', () => {
  it('reads hosts: as name to addresses of either family, in order, and writes them back', () => {
    const spec = parseMachineFile(BASE + HOSTS, 'm.yaml');
    expect(Object.fromEntries(Object.entries(spec.hosts!).map(([n, a]) => [n, a.map(String)]))).toEqual({
      web1: ['192.0.2.10'],
      db: ['198.51.100.5', '2001:db8::5'],
    });
    expect(machineFileText(spec)).toContain('hosts:\n  web1: 192.0.2.10\n  db: [198.51.100.5, 2001:db8::5]\n');
    expect(parseMachineFile(machineFileText(spec), 'again.yaml').hosts).toEqual(spec.hosts);
  });

  it('refuses what /etc/hosts could not give a rule, saying what is accepted', () => {
    expect(problems(BASE + 'hosts: [web1]\n')[0]).toMatch(/hosts must be a mapping of host names to addresses/);
    expect(problems(BASE + 'hosts:\n  web1: 192.0.2.0/24\n')[0]).toMatch(/host web1: `192\.0\.2\.0\/24' must be an IPv4 or IPv6 address without a prefix/);
    expect(problems(BASE + 'hosts:\n  "a b": 192.0.2.1\n')[0]).toMatch(/host name `a b' is not one a rule can name/);
    expect(problems(BASE + 'hosts:\n  "10.1": 192.0.2.1\n')[0]).toMatch(/host name `10\.1' reads as an address, so iptables would never look it up/);
  });

  it('crosses to the guest in the boot parameters', () => {
    const spec = parseMachineFile(BASE + HOSTS, 'm.yaml');
    expect(decodeBoot(encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec })).spec).toEqual(spec);
    const plain = parseMachineFile(BASE, 'm.yaml');
    expect(decodeBoot(encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec: plain })).spec).toEqual(plain);
  });
});

describe('host names in rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cofw-hosts-'));
  const rules = join(dir, 'rules.v4');
  writeFileSync(rules, '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s db -p tcp --dport 22 -j DROP\nCOMMIT\n');
  const machine = join(dir, 'm.yaml');
  writeFileSync(machine, BASE + HOSTS);

  it('resolve from the machine file when the guest boots: the rule drops what comes from the host', async () => {
    const cap = join(dir, 'in.pcap');
    const wire = { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' };
    writePcapFile(cap, [
      { tsNs: 1n, data: ethernet(wire, ipv4({ src: '198.51.100.5', dst: '198.51.100.1' }, tcp({ sport: 1000, dport: 22, flags: 'S' }))) },
      { tsNs: 2n, data: ethernet(wire, ipv4({ src: '198.51.100.6', dst: '198.51.100.1' }, tcp({ sport: 1000, dport: 22, flags: 'S' }))) },
    ]);
    const r = await replay({ rulesFile: rules, machine: parseMachineFile(BASE + HOSTS, 'm.yaml'), captures: [cap] });
    expect(r.drops.sites.map((s) => [s.chain, s.rule, s.text, s.count])).toEqual([
      ['INPUT', 1, '-A INPUT -s 198.51.100.5/32 -p tcp -m tcp --dport 22 -j DROP', 1],
    ]);
  });

  it('are refused at boot without the machine file naming them, saying how to add them', async () => {
    const cap = join(dir, 'empty.pcap');
    writePcapFile(cap, []);
    await expect(replay({ rulesFile: rules, machine: parseMachineFile(BASE, 'm.yaml'), captures: [cap] })).rejects.toThrow(
      /host\/network `db' not found: .*cofw does not resolve names through DNS. Name it in the machine file \(hosts: \{ db: 192\.0\.2\.10 \}\)/,
    );
  });

  it('resolve in cofw check and cofw save with --machine', async () => {
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    try {
      expect(await main(['node', 'cofw', 'save', rules, '--machine', machine])).toBe(0);
      expect(out.join('')).toContain('-A INPUT -s 198.51.100.5/32 -p tcp -m tcp --dport 22 -j DROP\n');
      expect(await main(['node', 'cofw', 'check', rules, '--machine', machine])).toBe(0);
      expect(await main(['node', 'cofw', 'check', rules])).toBe(1);
      expect(err.join('')).toMatch(/host\/network `db' not found/);
    } finally {
      vi.restoreAllMocks();
    }
  });
});
