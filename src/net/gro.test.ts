/**
 * `gro: true`: TCP packets received longer than the MTU (GRO super-packets
 * in a capture taken on a host with offloads) are forwarded when their
 * segments fit the output MTU, counted once at their full length, as
 * ip_exceeds_mtu and ip6_pkt_too_big decide with skb_gso_validate_network_len.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writePcapFile } from '../capture/pcap-write.js';
import { ethernet, ipv4, ipv6, tcp, udp } from '../packet/build.js';
import { MachineFileError, machineFileText, parseMachineFile } from '../machine/machine-file.js';
import { replay } from '../replay.js';

const machine = (gro: boolean, outMtu = 1500) =>
  parseMachineFile(
    `hostname: t
interfaces:
  - name: eth0
    mac: "02:00:00:00:00:01"
    addresses: [198.51.100.1/24, 2001:db8:1::1/64]
${gro ? '    gro: true\n' : ''}  - name: eth1
    mac: "02:00:00:00:01:01"
    addresses: [192.0.2.1/24, 2001:db8:2::1/64]
    mtu: ${outMtu}
`,
    'm.yaml',
  );
const RULES = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';
const WIRE = { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' };
const T0 = 1_700_000_000_000_000_000n;
const big4 = ipv4({ src: '198.51.100.9', dst: '192.0.2.10' }, tcp({ sport: 443, dport: 40000, flags: 'A', payload: new Uint8Array(2960) }));
const big6 = ipv6({ src: '2001:db8:1::9', dst: '2001:db8:2::10' }, tcp({ sport: 443, dport: 40000, flags: 'A', payload: new Uint8Array(2940) }));
const bigUdp = ipv4({ src: '198.51.100.9', dst: '192.0.2.10' }, udp({ sport: 53, dport: 40000, payload: new Uint8Array(2972) }));

async function run(gro: boolean, outMtu = 1500, pkts = [big4, big6, bigUdp]) {
  const dir = mkdtempSync(join(tmpdir(), 'cofw-gro-'));
  try {
    const cap = join(dir, 'in.pcap');
    writePcapFile(
      cap,
      pkts.map((p, i) => ({ tsNs: T0 + BigInt(i) * 1000n, data: ethernet({ ...WIRE, ethertype: p[0]! >> 4 === 6 ? 0x86dd : 0x0800 }, p) })),
    );
    return await replay({ rulesFile: 'r.v4', rulesText: RULES, rules6File: 'r.v6', rules6Text: RULES, machine: machine(gro, outMtu), captures: [cap] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('gro: true on an interface', () => {
  it('forwards TCP super-packets whose segments fit the output MTU, counted once at full length', async () => {
    const r = await run(true);
    expect(big4.length).toBe(3000);
    expect(r.fates).toMatchObject({ forwarded: 2, droppedByStack: 1 });
    expect(r.save).toContain(':FORWARD ACCEPT [1:3000]');
    expect(r.save6).toContain(':FORWARD ACCEPT [1:3000]');
    // UDP is not merged by GRO: a datagram longer than the MTU with DF is too big.
    expect(r.drops.reasons.map((x) => x.reason)).toEqual([expect.stringMatching(/PKT_TOO_BIG/)]);
  });

  it('without gro, the same packets are too big to forward', async () => {
    const r = await run(false);
    expect(r.fates).toMatchObject({ forwarded: 0, droppedByStack: 3 });
  });

  it('segments larger than the output MTU are too big (the input MTU sets their size)', async () => {
    const r = await run(true, 1400);
    expect(r.fates).toMatchObject({ forwarded: 0, droppedByStack: 3 });
  });

  it('the machine file reads and writes gro, and refuses what is not a boolean', () => {
    const m = machine(true);
    expect(m.devices.find((d) => d.name === 'eth0')!.gro).toBe(true);
    expect(m.devices.find((d) => d.name === 'eth1')!.gro).toBeUndefined();
    expect(machineFileText(m)).toContain('    gro: true\n');
    expect(parseMachineFile(machineFileText(m), 'again.yaml').devices.map((d) => d.gro)).toEqual(m.devices.map((d) => d.gro));
    let err: unknown;
    try {
      parseMachineFile('interfaces:\n  - name: eth0\n    addresses: [192.0.2.1/24]\n    gro: yes please\n', 'bad.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MachineFileError);
    expect(String((err as Error).message)).toMatch(/bad\.yaml:4:\d+: .*gro must be true or false/);
  });
});
