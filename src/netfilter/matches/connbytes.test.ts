/**
 * `-m connbytes` and connection accounting: the rule texts as
 * iptables-restore and iptables-save 1.8.9 gave them back (and, as root,
 * as they do here), the accounting that conntrack -L lists, the machine
 * file's net.netfilter.nf_conntrack_acct, and the warning the kernel logs
 * when a rule turns accounting on. The kernel's verdicts and counters on
 * traffic are in golden connbytes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writePcapFile } from '../../capture/pcap-write.js';
import { ethernet, ipv4, udp } from '../../packet/build.js';
import { parseMachineFile, machineFileText } from '../../machine/machine-file.js';
import { replay } from '../../replay.js';
import { cofwOutcome, kernelRows, liveUnavailable, type KernelRow } from '../kernel-rows.js';

const D = '--connbytes-dir both --connbytes-mode bytes';
const ROWS: readonly KernelRow[] = [
  {
    rule: '-A INPUT -m connbytes --connbytes 10 --connbytes-dir both --connbytes-mode packets',
    save: '-A INPUT -m connbytes --connbytes 10 --connbytes-mode packets --connbytes-dir both',
  },
  {
    rule: '-A INPUT -m connbytes --connbytes 10:20 --connbytes-dir original --connbytes-mode bytes',
    save: '-A INPUT -m connbytes --connbytes 10:20 --connbytes-mode bytes --connbytes-dir original',
  },
  {
    rule: '-A INPUT -m connbytes ! --connbytes 0:20 --connbytes-dir reply --connbytes-mode avgpkt',
    save: '-A INPUT -m connbytes ! --connbytes 0:20 --connbytes-mode avgpkt --connbytes-dir reply',
  },
  {
    rule: '-A INPUT -m connbytes ! --connbytes 7 --connbytes-mode avgpkt --connbytes-dir reply',
    save: '-A INPUT -m connbytes ! --connbytes 7 --connbytes-mode avgpkt --connbytes-dir reply',
  },
  // Inverting a one-value range swaps equal bounds: the same rule, saved without `!`.
  {
    rule: '-A INPUT -m connbytes ! --connbytes 5:5 --connbytes-dir reply --connbytes-mode avgpkt',
    save: '-A INPUT -m connbytes --connbytes 5:5 --connbytes-mode avgpkt --connbytes-dir reply',
  },
  // A TO of 0 or 2^64-1 is not printed.
  { rule: `-A INPUT -m connbytes --connbytes 0:0 ${D}`, save: '-A INPUT -m connbytes --connbytes 0 --connbytes-mode bytes --connbytes-dir both' },
  {
    rule: `-A INPUT -m connbytes --connbytes 3:18446744073709551615 ${D}`,
    save: '-A INPUT -m connbytes --connbytes 3 --connbytes-mode bytes --connbytes-dir both',
  },
  { rule: `-A INPUT -m connbytes --connbytes :5 ${D}`, save: '-A INPUT -m connbytes --connbytes 0:5 --connbytes-mode bytes --connbytes-dir both' },
  { rule: `-A INPUT -m connbytes --connbytes 5: ${D}`, save: '-A INPUT -m connbytes --connbytes 5 --connbytes-mode bytes --connbytes-dir both' },
  { rule: `-A INPUT -m connbytes --connbytes 0x10:020 ${D}`, save: '-A INPUT -m connbytes --connbytes 16:16 --connbytes-mode bytes --connbytes-dir both' },
  { rule: `-A INPUT -m connbytes --connbytes +7 ${D}`, save: '-A INPUT -m connbytes --connbytes 7 --connbytes-mode bytes --connbytes-dir both' },
  {
    rule: '-A INPUT -m connbytes --connbytes-mode avgpkt --connbytes 3 --connbytes-dir reply',
    save: '-A INPUT -m connbytes --connbytes 3 --connbytes-mode avgpkt --connbytes-dir reply',
  },
  { rule: `-A INPUT -m connbytes --connbytes 1 ${D}`, save: '-A INPUT -m connbytes --connbytes 1 --connbytes-mode bytes --connbytes-dir both', family: 6 },
  { rule: `-A INPUT -m connbytes --connbytes 5:3 ${D}`, save: null, error: '5 should be less than 3' },
  { rule: `-A INPUT -m connbytes --connbytes abc ${D}`, save: null, error: 'bad value for option "--connbytes" near "abc"' },
  { rule: `-A INPUT -m connbytes --connbytes 1:2:3 ${D}`, save: null, error: 'Too many components' },
  { rule: `-A INPUT -m connbytes --connbytes 3:3x ${D}`, save: null, error: 'unexpected characters near "x"' },
  { rule: `-A INPUT -m connbytes --connbytes -1 ${D}`, save: null, error: 'near "-1"' },
  { rule: `-A INPUT -m connbytes --connbytes 18446744073709551616 ${D}`, save: null, error: 'out of range (0-18446744073709551615)' },
  { rule: '-A INPUT -m connbytes --connbytes 1', save: null, error: 'option "--connbytes-dir" must be specified' },
  { rule: '-A INPUT -m connbytes --connbytes 1 --connbytes-dir both', save: null, error: 'option "--connbytes-mode" must be specified' },
  { rule: '-A INPUT -m connbytes --connbytes-dir both --connbytes-mode bytes', save: null, error: 'option "--connbytes" must be specified' },
  { rule: '-A INPUT -m connbytes --connbytes 1 --connbytes-dir foo --connbytes-mode bytes', save: null, error: 'Unknown --connbytes-dir `foo' },
  { rule: '-A INPUT -m connbytes --connbytes 1 --connbytes-dir both --connbytes-mode foo', save: null, error: 'Unknown --connbytes-mode `foo' },
  { rule: `-A INPUT -m connbytes --connbytes 1 --connbytes 2 ${D}`, save: null, error: 'can only be used once' },
  { rule: '-A INPUT -m connbytes --connbytes 1 ! --connbytes-dir both --connbytes-mode bytes', save: null, error: 'cannot be inverted' },
];

describe('-m connbytes: the rule text', () => {
  it.each(ROWS.map((r) => [r.rule, r] as const))('%s', (_, row) => {
    expect(cofwOutcome(row)).toBe(row.save);
  });
  const why = liveUnavailable();
  it.skipIf(why !== '')('the real iptables-restore and iptables-save still answer as recorded', () => {
    expect(kernelRows(ROWS, 'cb')).toEqual(ROWS.map((r) => r.save));
  });
  if (why) it.skip(`live: ${why}`, () => {});
});

const MACHINE = (acct?: 0 | 1) =>
  parseMachineFile(
    `hostname: t
interfaces:
  - name: eth0
    mac: "02:00:00:00:00:01"
    addresses: [198.51.100.1/24]
  - name: eth1
    mac: "02:00:00:00:01:01"
    addresses: [192.0.2.1/24]
routes:
  - to: default
    via: 198.51.100.254
${acct === undefined ? '' : `sysctl:\n  net.netfilter.nf_conntrack_acct: ${acct}\n`}`,
    'm.yaml',
  );
const T0 = 1_700_000_000_000_000_000n;
const WIRE = { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' };
const HOST = { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01' };

async function run(rules: string, acct?: 0 | 1) {
  const dir = mkdtempSync(join(tmpdir(), 'cofw-connbytes-'));
  try {
    const cap = join(dir, 'in.pcap');
    const q = ipv4({ src: '192.0.2.10', dst: '203.0.113.5' }, udp({ sport: 4000, dport: 53, payload: new Uint8Array(12) }));
    const a = ipv4({ src: '203.0.113.5', dst: '192.0.2.10' }, udp({ sport: 53, dport: 4000, payload: new Uint8Array(100) }));
    writePcapFile(cap, [
      { tsNs: T0, data: ethernet(HOST, q) },
      { tsNs: T0 + 1_000_000n, data: ethernet(WIRE, a) },
      { tsNs: T0 + 2_000_000n, data: ethernet(HOST, q) },
    ]);
    return await replay({ rulesFile: 'r.v4', rulesText: rules, machine: MACHINE(acct), captures: [cap] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const STATEFUL = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -m state --state NEW\nCOMMIT\n';
const CONNBYTES =
  '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -m connbytes --connbytes 2: --connbytes-dir original --connbytes-mode packets\n-A FORWARD -m connbytes --connbytes 40 --connbytes-dir both --connbytes-mode avgpkt\nCOMMIT\n';
const ENTRY = 'src=192.0.2.10 dst=203.0.113.5 sport=4000 dport=53 packets=2 bytes=80 src=203.0.113.5 dst=192.0.2.10 sport=53 dport=4000 packets=1 bytes=128';

describe('connection accounting', () => {
  it('is off by default: conntrack -L lists no counters', async () => {
    const r = await run(STATEFUL);
    expect(r.conntrack).toContain('sport=4000 dport=53 src=');
    expect(r.conntrack).not.toContain('packets=');
  });

  it('net.netfilter.nf_conntrack_acct: 1 counts each direction (IP length), listed after its tuple', async () => {
    const r = await run(STATEFUL, 1);
    expect(r.conntrack).toContain(ENTRY);
  });

  it('a connbytes rule turns it on, with the kernel warning once; the counters include the packet in hand', async () => {
    const r = await run(CONNBYTES);
    expect(r.conntrack).toContain(ENTRY);
    expect(r.console.filter((l) => l.includes('xt_connbytes: Forcing CT accounting to be enabled'))).toHaveLength(1);
    // The third packet is the original direction's second; the average of (40 + 128) / 2 and (80 + 128) / 3 is at least 40 from the first.
    expect(r.save).toContain('[1:40] -A FORWARD -m connbytes --connbytes 2 --connbytes-mode packets --connbytes-dir original');
    expect(r.save).toContain('[3:208] -A FORWARD -m connbytes --connbytes 40 --connbytes-mode avgpkt --connbytes-dir both');
  });

  it('turned on in the machine file, the rule logs nothing', async () => {
    const r = await run(CONNBYTES, 1);
    expect(r.console.some((l) => l.includes('xt_connbytes'))).toBe(false);
  });

  it('the machine file writes the sysctl back and refuses other values', () => {
    expect(machineFileText(MACHINE(1))).toContain('  net.netfilter.nf_conntrack_acct: 1\n');
    expect(() => parseMachineFile('sysctl:\n  net.netfilter.nf_conntrack_acct: 2\n', 'bad.yaml')).toThrow(/bad\.yaml:2:\d+: /);
  });
});
