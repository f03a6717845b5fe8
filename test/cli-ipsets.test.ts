/**
 * IP sets on the command line: `--ipsets` on check, save, replay and trace,
 * the machine file's `ipsets:`, `--save-ipsets`, and errors in an ipset
 * file (file:line:column, exit 1).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { writePcapFile } from '../src/capture/pcap-write.js';
import { ethernet, ipv4, udp } from '../src/packet/build.js';
import { cofw } from './cli-run.js';
import { expectValidReport } from './report-schema.js';

let dir: string;
let rules: string;
let sets: string;
let capture: string;
let machine: string;

const RULES = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m set --match-set ban src -j DROP
-A INPUT -p udp -m udp --dport 9 -j SET --add-set ban src --exist --timeout 30
COMMIT
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cofw-ipsets-'));
  rules = join(dir, 'rules.v4');
  writeFileSync(rules, RULES);
  sets = join(dir, 'sets.save');
  writeFileSync(sets, 'create ban hash:ip family inet hashsize 1024 maxelem 65536 timeout 60 counters\n');
  machine = join(dir, 'm.yaml');
  writeFileSync(machine, 'interfaces:\n  - name: eth0\n    mac: "02:00:00:00:00:01"\n    addresses: [198.51.100.1/24]\nfail: closed\nipsets: sets.save\n');
  capture = join(dir, 'c.pcap');
  const frame = (dport: number): Uint8Array =>
    ethernet({ src: '02:00:00:00:00:99', dst: '02:00:00:00:00:01' }, ipv4({ src: '198.51.100.7', dst: '198.51.100.1' }, udp({ sport: 4000, dport })));
  // A packet to port 9 bans its source: the two after it are dropped by the set; 40 s later the ban (30 s) has expired.
  writePcapFile(capture, [
    { tsNs: 1_000_000_000n, data: frame(53) },
    { tsNs: 2_000_000_000n, data: frame(9) },
    { tsNs: 3_000_000_000n, data: frame(53) },
    { tsNs: 4_000_000_000n, data: frame(53) },
    { tsNs: 44_000_000_000n, data: frame(53) },
  ]);
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('--ipsets', () => {
  it('check and save load the sets first; without them the rule is refused as iptables refuses it', async () => {
    expect(await cofw('check', rules, '--ipsets', sets)).toMatchObject({ code: 0, out: `${rules}: OK (1 table, 2 rules)\n` });
    const s = await cofw('save', rules, '--ipsets', sets);
    expect(s.code).toBe(0);
    expect(s.out).toContain('-A INPUT -p udp -m udp --dport 9 -j SET --add-set ban src --exist --timeout 30\n');
    expect((await cofw('check', rules, '--machine', machine)).code).toBe(0);
    const bad = await cofw('check', rules);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(`${rules}:5:`);
    expect(bad.err).toContain("Set ban doesn't exist.");
  });

  it('an ipset file error names its file, line and column (exit 1)', async () => {
    const broken = join(dir, 'broken.save');
    writeFileSync(broken, 'create ban hash:ip\nadd ban 1.2.3.4 timeout 5\n');
    const r = await cofw('check', rules, '--ipsets', broken);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`cofw: ${broken}:2:17: Timeout cannot be used: set was created without timeout support\n`);
    const rr = await cofw('replay', capture, '--rules', rules, '--machine', machine, '--ipsets', broken, '-q');
    expect(rr.code).toBe(1);
    expect(rr.err).toContain(`${broken}:2:17: Timeout cannot be used`);
  });

  it('replay: SET feeds a later --match-set on the capture clock; --save-ipsets writes the sets; the report names the set', async () => {
    const after = join(dir, 'after.save');
    const json = join(dir, 'r.json');
    const r = await cofw('replay', capture, '--rules', rules, '--machine', machine, '--save-ipsets', after, '--json', json, '-q');
    expect(r.code).toBe(0);
    const text = readFileSync(json, 'utf8');
    expectValidReport(text);
    const result = JSON.parse(text) as { fates: Record<string, number>; drops: { sites: Array<{ text: string; count: number }> }; ipsets?: string };
    expect(result.ipsets).toBe(readFileSync(after, 'utf8'));
    expect(result.fates.droppedByRule).toBe(2);
    expect(result.drops.sites[0]).toMatchObject({ count: 2, text: '-A INPUT -m set --match-set ban src -j DROP' });
    expect(r.out).toContain('--match-set ban src');
    // Added at 2 s with 30 s: expired at the last packet (44 s), so the saved set is empty.
    expect(readFileSync(after, 'utf8')).toMatch(
      /^create ban hash:ip family inet hashsize 1024 maxelem 65536 timeout 60 counters bucketsize 12 initval 0x[0-9a-f]{8}\n$/,
    );
  });

  it('--save-ipsets keeps entries that have not expired, with timeout left and counters', async () => {
    const short = join(dir, 'short.pcap');
    const frame = (dport: number): Uint8Array =>
      ethernet({ src: '02:00:00:00:00:99', dst: '02:00:00:00:00:01' }, ipv4({ src: '198.51.100.7', dst: '198.51.100.1' }, udp({ sport: 4000, dport })));
    writePcapFile(short, [
      { tsNs: 1_000_000_000n, data: frame(9) },
      { tsNs: 11_000_000_000n, data: frame(53) },
    ]);
    const after = join(dir, 'after2.save');
    const r = await cofw('replay', short, '--rules', rules, '--ipsets', sets, '--local', '198.51.100.1/24', '--save-ipsets', after, '-q');
    expect(r.code).toBe(0);
    // Added by the first packet (1 packet of 28 bytes), counted again by the --match-set of the second.
    expect(readFileSync(after, 'utf8').split('\n')[1]).toBe('add ban 198.51.100.7 timeout 20 packets 2 bytes 56');
  });

  it('--save-ipsets without sets is a usage error', async () => {
    const r = await cofw('replay', capture, '--rules', rules, '--local', '198.51.100.1/24', '--save-ipsets', join(dir, 'x.save'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('--save-ipsets needs the sets');
  });
});
