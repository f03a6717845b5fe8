/**
 * One traffic, every capture format: the sample scenario (pcaps/sample.pcap
 * through rules/sample.v4 on machines/sample.yaml) written as classic pcap
 * in both byte orders and both timestamp units, pcapng with one interface
 * and with two named ones, Linux cooked v1 and v2, and gzip-compressed pcap.
 * Replayed, each must leave the rules with the counters the real kernel
 * recorded for that traffic (test/golden/sample/kernel.save), line for line.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { openCaptures, type CaptureFrame } from '../src/capture/index.js';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 } from '../src/capture/link.js';
import { pcapHeaderVariant, pcapRecordVariant, type PcapVariant } from '../src/capture/pcap-write.js';
import { encodeLink } from '../src/capture/testing.js';
import { pcapngInterface, pcapngPacket, pcapngSectionHeader } from '../src/capture/writer.js';
import { decideIngress } from '../src/conet/daemon.js';
import { Fib } from '../src/net/fib.js';
import { loadMachineFile } from '../src/machine/machine-file.js';
import { replay } from '../src/replay.js';

const root = join(import.meta.dirname, '..');
const SAMPLE = join(root, 'pcaps/sample.pcap');
const RULES = join(root, 'rules/sample.v4');
const MACHINE = loadMachineFile(join(root, 'machines/sample.yaml'));
const KERNEL = readFileSync(join(root, 'test/golden/sample/kernel.save'), 'utf8');

/** The rule and chain lines of an iptables-save text, without comments. */
const saveLines = (text: string): string[] => text.split('\n').filter((l) => l && !l.startsWith('#'));

let dir: string;
let frames: CaptureFrame[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cofw-formats-'));
  frames = [];
  for await (const f of openCaptures([SAMPLE]).frames) frames.push(f);
});

/** Where the machine receives the frame (its interface name), and whether the firewall sent it itself. */
function ingressOf(f: CaptureFrame): { ifName: string; local: boolean } {
  const fib = new Fib(MACHINE);
  const i = decideIngress(f, fib, MACHINE.devices);
  const dev = MACHINE.devices.find((d) => d.unit === i.unit);
  return { ifName: dev!.name, local: i.output };
}

/** Linux's packet type for a frame, as a cooked capture on the firewall records it. */
function packetType(f: CaptureFrame): number {
  if (ingressOf(f).local) return 4; // PACKET_OUTGOING
  const d = f.data;
  if (d[0]! & 1) return d.subarray(0, 6).every((b) => b === 0xff) ? 1 : 2; // BROADCAST, MULTICAST
  return 0; // PACKET_HOST
}

/** A classic pcap of the sample frames in variant `v`, each frame encoded for `linkType`. */
function pcapBytes(v: PcapVariant, linkType = LINKTYPE_ETHERNET): Uint8Array {
  const parts: Uint8Array[] = [pcapHeaderVariant({ ...v, linkType })];
  for (const f of frames) {
    const d = encodeLink(linkType, f.data, packetType(f));
    parts.push(pcapRecordVariant(v, f.tsNs, d, f.origLen - f.data.length + d.length));
  }
  return Buffer.concat(parts);
}

/** A pcapng of the sample frames; `ifOf` gives each frame's interface index into `names` (undefined: no if_name). */
function pcapngBytes(names: Array<string | undefined>, ifOf: (f: CaptureFrame, i: number) => number): Uint8Array {
  const parts: Uint8Array[] = [pcapngSectionHeader()];
  for (const name of names) parts.push(pcapngInterface(LINKTYPE_ETHERNET, name === undefined ? { tsresol: 9 } : { name, tsresol: 9 }));
  frames.forEach((f, i) => parts.push(pcapngPacket(ifOf(f, i), f.tsNs, f.data, f.origLen)));
  return Buffer.concat(parts);
}

const variants: Array<[string, string, () => Uint8Array]> = [
  ['classic pcap', 'le-us.pcap', () => pcapBytes({})],
  ['big-endian pcap', 'be-us.pcap', () => pcapBytes({ bigEndian: true })],
  ['nanosecond pcap', 'le-ns.pcap', () => pcapBytes({ nanosecond: true })],
  ['big-endian nanosecond pcap', 'be-ns.pcap', () => pcapBytes({ bigEndian: true, nanosecond: true })],
  ['pcapng, one interface', 'one.pcapng', () => pcapngBytes([undefined], () => 0)],
  [
    'pcapng, eth0 and eth1 (each frame on its receiving interface, local ones on either)',
    'two.pcapng',
    () =>
      pcapngBytes(['eth0', 'eth1'], (f, i) => {
        const { ifName, local } = ingressOf(f);
        if (local) return i % 2;
        return ifName === 'eth1' ? 1 : 0;
      }),
  ],
  ['Linux cooked (SLL)', 'sll.pcap', () => pcapBytes({}, LINKTYPE_LINUX_SLL)],
  ['Linux cooked v2 (SLL2)', 'sll2.pcap', () => pcapBytes({}, LINKTYPE_LINUX_SLL2)],
  ['gzip-compressed pcap', 'sample.pcap.gz', () => gzipSync(pcapBytes({}))],
];

describe("capture formats: the same traffic gives the kernel's counters in every format", () => {
  it('reads the whole sample', () => {
    expect(frames.length).toBe(224);
    // The two-interface variant really uses both interfaces.
    const names = new Set(frames.map((f) => ingressOf(f).ifName));
    expect([...names].sort()).toEqual(['eth0', 'eth1']);
  });

  it.each(variants)('%s', async (_what, file, bytes) => {
    const path = join(dir, file);
    writeFileSync(path, bytes());
    const r = await replay({ rulesFile: RULES, machine: MACHINE, captures: [path] });
    expect(r.damage).toEqual([]);
    expect(r.framesIn).toBe(frames.length);
    expect(saveLines(r.save)).toEqual(saveLines(KERNEL));
  });

  it('every format gives the same save text and the same LOG lines', async () => {
    const saves = new Set<string>();
    const logs = new Set<string>();
    for (const [, file] of variants) {
      const r = await replay({ rulesFile: RULES, machine: MACHINE, captures: [join(dir, file)] });
      saves.add(r.save);
      logs.add(r.console.filter((l) => l.includes('cofw-drop: ')).join('\n'));
    }
    expect(saves.size).toBe(1);
    expect(logs.size).toBe(1);
    expect([...logs][0]).toContain('MAC=');
  });
});

describe('pcapng direction flags', () => {
  it("outbound copies of forwarded packets are not replayed twice; the firewall's own outbound packets are", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cofw-dir-'));
    const frames: CaptureFrame[] = [];
    for await (const f of openCaptures([SAMPLE]).frames) frames.push(f);
    const { openCaptureWriter } = await import('../src/capture/index.js');
    const fib = new Fib(MACHINE);
    const w = openCaptureWriter(join(dir, 'both-ways.pcapng'));
    let outbound = 0;
    for (const f of frames) {
      const ing = decideIngress(f, fib, MACHINE.devices);
      const dev = MACHINE.devices.find((d) => d.unit === ing.unit)!;
      if (ing.output) {
        // The firewall's own packet, seen leaving: replayed through OUTPUT.
        w.write({ tsNs: f.tsNs, data: f.data, ifName: dev.name, direction: 'out' });
        continue;
      }
      w.write({ tsNs: f.tsNs, data: f.data, ifName: dev.name, direction: 'in' });
      // A copy as if seen leaving on the other interface: must not count again.
      const other = MACHINE.devices.find((d) => d.unit >= 0 && d.unit !== ing.unit)!;
      w.write({ tsNs: f.tsNs + 1000n, data: f.data, ifName: other.name, direction: 'out' });
      outbound++;
    }
    await w.close();
    const r = await replay({ rulesFile: RULES, machine: MACHINE, captures: [join(dir, 'both-ways.pcapng')] });
    expect(r.fates.outbound).toBe(outbound);
    expect(r.framesIn).toBe(frames.length + outbound);
    expect(saveLines(r.save)).toEqual(saveLines(KERNEL));
  });
});

describe('direction flags in the captures cofw writes', () => {
  it("the firewall's own frames carry no direction, so that replaying the capture takes them as locally generated again", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cofw-own-'));
    const accepted = join(dir, 'accepted.pcapng');
    const dropped = join(dir, 'dropped.pcapng');
    await replay({ rulesFile: RULES, machine: MACHINE, captures: [SAMPLE], accepted, dropped });
    const fib = new Fib(MACHINE);
    let own = 0;
    for (const file of [accepted, dropped]) {
      for await (const f of openCaptures([file]).frames) {
        // Frames from one of the firewall's addresses, as the firewall received them (not as it sent them out).
        if (!decideIngress({ data: f.data }, fib, MACHINE.devices).output || f.direction === 'out') continue;
        own++;
        expect(f.direction).toBeUndefined();
        expect(decideIngress(f, fib, MACHINE.devices).output).toBe(true);
      }
    }
    expect(own).toBeGreaterThan(0);
  });
});
