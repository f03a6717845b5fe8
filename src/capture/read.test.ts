import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openCaptures, type CaptureFrame } from './index.js';
import { pcapHeaderVariant, pcapRecordVariant, writePcapFile, type PcapVariant } from './pcap-write.js';
import { pcapngBlock, pcapngInterface, pcapngPacket, pcapngSectionHeader } from './writer.js';
import { encodeLink, expectedEthernet, sampleFrames, toMicro } from './testing.js';
import { DLT_RAW_12, LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW } from './link.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cofw-capture-'));
});

const frames = sampleFrames();

async function readAll(paths: string[]): Promise<{ got: CaptureFrame[]; damage: ReturnType<typeof openCaptures>['damage']; formats: Map<string, string> }> {
  const c = openCaptures(paths);
  const got: CaptureFrame[] = [];
  for await (const f of c.frames) got.push(f);
  return { got, damage: c.damage, formats: c.formats };
}

function writePcap(name: string, v: PcapVariant, linkType = LINKTYPE_ETHERNET, origExtra = 0): string {
  const path = join(dir, name);
  const parts = [pcapHeaderVariant({ ...v, linkType })];
  for (const f of frames) {
    const d = encodeLink(linkType, f.data);
    parts.push(pcapRecordVariant(v, f.tsNs, d, d.length + origExtra));
  }
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

/** The essentials every format must reproduce. */
const core = (f: CaptureFrame) => ({ tsNs: f.tsNs, data: Buffer.from(f.data).toString('hex'), origLen: f.origLen, truncated: f.truncated });

function expected(linkType: number, micro: boolean) {
  return frames.map((f) => {
    const d = expectedEthernet(linkType, f.data);
    return { tsNs: micro ? toMicro(f.tsNs) : f.tsNs, data: Buffer.from(d).toString('hex'), origLen: d.length, truncated: 0 };
  });
}

describe('classic pcap', () => {
  it.each([
    ['le-us.pcap', {}, true],
    ['be-us.pcap', { bigEndian: true }, true],
    ['le-ns.pcap', { nanosecond: true }, false],
    ['be-ns.pcap', { bigEndian: true, nanosecond: true }, false],
  ] as const)('%s reads back the same frames', async (name, v, micro) => {
    const p = writePcap(name, v);
    const { got, damage, formats } = await readAll([p]);
    expect(damage).toEqual([]);
    expect(got.map(core)).toEqual(expected(LINKTYPE_ETHERNET, micro));
    expect(formats.get(p)).toBe(micro ? 'pcap' : 'pcap-ns');
    expect(got.map((f) => [f.index, f.offset, f.linkType, f.file])).toEqual(
      frames.map((_, i) => [i + 1, 24 + frames.slice(0, i).reduce((s, x) => s + 16 + x.data.length, 0), 1, p]),
    );
  });

  it('the writer in pcap-write.ts reads back too', async () => {
    const p = join(dir, 'plain.pcap');
    writePcapFile(p, frames);
    const { got } = await readAll([p]);
    expect(got.map(core)).toEqual(expected(LINKTYPE_ETHERNET, true));
  });

  it.each([
    ['sll', LINKTYPE_LINUX_SLL],
    ['sll2', LINKTYPE_LINUX_SLL2],
    ['raw', LINKTYPE_RAW],
    ['raw-dlt12', DLT_RAW_12],
    ['ipv4', LINKTYPE_IPV4],
    ['null', LINKTYPE_NULL],
    ['loop', LINKTYPE_LOOP],
  ] as const)('%s link type converts to Ethernet', async (name, lt) => {
    for (const ns of [false, true]) {
      const p = writePcap(`${name}-${ns}.pcap`, { nanosecond: ns }, lt);
      const { got, damage } = await readAll([p]);
      expect(damage).toEqual([]);
      expect(got.map(core)).toEqual(expected(lt, !ns));
      expect(got.every((f) => f.linkType === lt)).toBe(true);
      if (lt === LINKTYPE_LINUX_SLL || lt === LINKTYPE_LINUX_SLL2) expect(got.map((f) => f.pktType)).toEqual(frames.map(() => 0));
      else expect(got.every((f) => f.pktType === undefined)).toBe(true);
    }
  });

  it('NULL in big-endian host order and cooked packet types', async () => {
    const p = join(dir, 'null-be.pcap');
    const sll = join(dir, 'sll-types.pcap');
    writeFileSync(
      p,
      Buffer.concat([
        pcapHeaderVariant({ linkType: LINKTYPE_NULL }),
        ...frames.map((f) => pcapRecordVariant({}, f.tsNs, encodeLink(LINKTYPE_NULL, f.data, 0, false))),
      ]),
    );
    writeFileSync(
      sll,
      Buffer.concat([
        pcapHeaderVariant({ linkType: LINKTYPE_LINUX_SLL }),
        ...frames.map((f, i) => pcapRecordVariant({}, f.tsNs, encodeLink(LINKTYPE_LINUX_SLL, f.data, i))),
      ]),
    );
    expect((await readAll([p])).got.map(core)).toEqual(expected(LINKTYPE_NULL, true));
    expect((await readAll([sll])).got.map((f) => f.pktType)).toEqual([0, 1, 2, 3, 4]);
  });

  it('snaplen truncation is reported per frame, in converted lengths', async () => {
    const p = join(dir, 'snap.pcap');
    const f = frames[2]!;
    const sllData = encodeLink(LINKTYPE_LINUX_SLL, f.data);
    writeFileSync(
      p,
      Buffer.concat([pcapHeaderVariant({ linkType: LINKTYPE_LINUX_SLL, snaplen: 40 }), pcapRecordVariant({}, f.tsNs, sllData.subarray(0, 40), sllData.length)]),
    );
    const { got } = await readAll([p]);
    expect(got[0]!.data.length).toBe(38);
    expect(got[0]!.origLen).toBe(f.data.length);
    expect(got[0]!.truncated).toBe(f.data.length - 38);
  });
});

describe('pcapng', () => {
  it('one interface, nanosecond resolution, little and big endian', async () => {
    for (const le of [true, false]) {
      const p = join(dir, `one-${le}.pcapng`);
      const parts = [pcapngSectionHeader(le), pcapngInterface(LINKTYPE_ETHERNET, { name: 'eth0', tsresol: 9 }, le)];
      for (const f of frames) parts.push(pcapngPacket(0, f.tsNs, f.data, f.data.length, {}, le));
      writeFileSync(p, Buffer.concat(parts));
      const { got, damage, formats } = await readAll([p]);
      expect(damage).toEqual([]);
      expect(formats.get(p)).toBe('pcapng');
      expect(got.map(core)).toEqual(expected(LINKTYPE_ETHERNET, false));
      expect(got.every((f) => f.ifName === 'eth0')).toBe(true);
    }
  });

  it('two interfaces with their own names, link types, resolutions and offsets; direction flags', async () => {
    const p = join(dir, 'two.pcapng');
    const parts = [
      pcapngSectionHeader(),
      pcapngInterface(LINKTYPE_ETHERNET, { name: 'eth0' }), // default: microseconds
      pcapngInterface(LINKTYPE_LINUX_SLL, { name: 'any', tsresol: 9, tsoffsetSec: 1000n }),
    ];
    frames.forEach((f, i) => {
      if (i % 2 === 0) parts.push(pcapngPacket(0, f.tsNs / 1000n, f.data, f.data.length, { direction: 'in' }));
      else {
        const d = encodeLink(LINKTYPE_LINUX_SLL, f.data, 4);
        parts.push(pcapngPacket(1, f.tsNs - 1000n * 1_000_000_000n, d, d.length, { direction: 'out', comment: 'x' }));
      }
    });
    writeFileSync(p, Buffer.concat(parts));
    const { got, damage } = await readAll([p]);
    expect(damage).toEqual([]);
    expect(got.map(core)).toEqual(
      frames.map((f, i) => {
        const d = i % 2 ? expectedEthernet(LINKTYPE_LINUX_SLL, f.data) : f.data;
        return { tsNs: i % 2 ? f.tsNs : toMicro(f.tsNs), data: Buffer.from(d).toString('hex'), origLen: d.length, truncated: 0 };
      }),
    );
    expect(got.map((f) => [f.ifName, f.direction, f.linkType, f.pktType])).toEqual(
      frames.map((_, i) => (i % 2 ? ['any', 'out', LINKTYPE_LINUX_SLL, 4] : ['eth0', 'in', LINKTYPE_ETHERNET, undefined])),
    );
  });

  it('power-of-two resolution, SPB, obsolete Packet Block, unknown blocks, several sections in both byte orders', async () => {
    const p = join(dir, 'mixed.pcapng');
    const [a, b, c, d] = frames as [(typeof frames)[0], (typeof frames)[0], (typeof frames)[0], (typeof frames)[0]];
    // 2^-9 s units: 1953125 ns each, exact in nanoseconds.
    const tick = 1_953_125n;
    const tsA = (a.tsNs / tick) * tick;
    const spb = new Uint8Array(4 + b.data.length);
    new DataView(spb.buffer).setUint32(0, b.data.length, true);
    spb.set(b.data, 4);
    const pb = new Uint8Array(20 + c.data.length);
    const pdv = new DataView(pb.buffer);
    pdv.setUint16(0, 0, false);
    const cUnits = c.tsNs / 1000n;
    pdv.setUint32(4, Number(cUnits >> 32n), false);
    pdv.setUint32(8, Number(cUnits & 0xffffffffn), false);
    pdv.setUint32(12, c.data.length, false);
    pdv.setUint32(16, c.data.length, false);
    pb.set(c.data, 20);
    const flags = new Uint8Array(4);
    new DataView(flags.buffer).setUint32(0, 1, false);
    writeFileSync(
      p,
      Buffer.concat([
        pcapngSectionHeader(true),
        pcapngInterface(LINKTYPE_ETHERNET, { name: 'p2', tsresol: 0x89 }),
        pcapngBlock(0x0bad, new Uint8Array(12)), // unknown block: skipped
        pcapngPacket(0, tsA / tick, a.data),
        pcapngBlock(3, spb),
        pcapngSectionHeader(false),
        pcapngInterface(LINKTYPE_ETHERNET, { name: 'be0' }, false),
        pcapngBlock(5, new Uint8Array(12), [], false), // statistics: skipped
        pcapngBlock(2, pb, [new Uint8Array([0, 2, 0, 4, ...flags])], false),
        pcapngPacket(0, d.tsNs / 1000n, d.data, d.data.length, {}, false),
      ]),
    );
    const { got, damage } = await readAll([p]);
    expect(damage).toEqual([]);
    expect(got.map((f) => [f.tsNs, f.ifName, f.direction, f.index])).toEqual([
      [tsA, 'p2', undefined, 1],
      [tsA, 'p2', undefined, 2], // an SPB takes the timestamp of the packet before it
      [toMicro(c.tsNs), 'be0', 'in', 3],
      [toMicro(d.tsNs), 'be0', undefined, 4],
    ]);
    expect(got.map((f) => Buffer.from(f.data).toString('hex'))).toEqual([a, b, c, d].map((f) => Buffer.from(f.data).toString('hex')));
  });

  it('SPB uses the snaplen of interface 0', async () => {
    const p = join(dir, 'spb-snap.pcapng');
    const f = frames[3]!;
    const spb = new Uint8Array(4 + 60);
    new DataView(spb.buffer).setUint32(0, f.data.length, true);
    spb.set(f.data.subarray(0, 60), 4);
    writeFileSync(p, Buffer.concat([pcapngSectionHeader(), pcapngInterface(LINKTYPE_ETHERNET, { snaplen: 60 }), pcapngBlock(3, spb)]));
    const { got } = await readAll([p]);
    expect(got.length).toBe(1);
    expect(got[0]!.data.length).toBe(60);
    expect(got[0]!.truncated).toBe(f.data.length - 60);
  });
});

describe('gzip and merging', () => {
  it('gzip input is detected by magic, whatever the name', async () => {
    const src = writePcap('for-gz.pcap', { nanosecond: true });
    const { readFileSync } = await import('node:fs');
    const gz = join(dir, 'compressed-without-extension');
    writeFileSync(gz, gzipSync(readFileSync(src)));
    const ng = join(dir, 'x.pcapng.gz');
    writeFileSync(
      ng,
      gzipSync(Buffer.concat([pcapngSectionHeader(), pcapngInterface(1, { tsresol: 9 }), ...frames.map((f) => pcapngPacket(0, f.tsNs, f.data))])),
    );
    const us = join(dir, 'x.pcap.gz');
    writeFileSync(us, gzipSync(readFileSync(writePcap('for-gz-us.pcap', {}))));
    const { got, formats } = await readAll([gz]);
    expect(formats.get(gz)).toBe('pcap-ns+gzip');
    expect(got.map(core)).toEqual(expected(LINKTYPE_ETHERNET, false));
    const r2 = await readAll([ng]);
    expect(r2.formats.get(ng)).toBe('pcapng+gzip');
    expect(r2.got.map(core)).toEqual(expected(LINKTYPE_ETHERNET, false));
    const r3 = await readAll([us]);
    expect(r3.formats.get(us)).toBe('pcap+gzip');
    expect(r3.got.map(core)).toEqual(expected(LINKTYPE_ETHERNET, true));
  });

  it('merges captures by timestamp, ties by file order then record order', async () => {
    const t = 1_700_000_000_000_000_000n;
    const mk = (name: string, ts: bigint[]) => {
      const p = join(dir, name);
      writeFileSync(
        p,
        Buffer.concat([pcapHeaderVariant({ nanosecond: true }), ...ts.map((x, i) => pcapRecordVariant({ nanosecond: true }, x, frames[i]!.data))]),
      );
      return p;
    };
    const a = mk('m-a.pcap', [t + 1n, t + 5n, t + 5n, t + 9n]);
    const b = mk('m-b.pcap', [t + 0n, t + 5n, t + 7n]);
    const { got } = await readAll([a, b]);
    expect(got.map((f) => [Number(f.tsNs - t), f.file === a ? 'a' : 'b', f.index])).toEqual([
      [0, 'b', 1],
      [1, 'a', 1],
      [5, 'a', 2],
      [5, 'a', 3],
      [5, 'b', 2],
      [7, 'b', 3],
      [9, 'a', 4],
    ]);
  });

  it('streams a large file with bounded memory and can stop early', async () => {
    const p = join(dir, 'big.pcap');
    const rec = pcapRecordVariant({}, 1_700_000_000_000_000_000n, frames[3]!.data);
    const n = 40000;
    const body = Buffer.alloc(24 + rec.length * n);
    Buffer.from(pcapHeaderVariant()).copy(body, 0);
    for (let i = 0; i < n; i++) Buffer.from(rec).copy(body, 24 + i * rec.length);
    writeFileSync(p, body);
    let count = 0;
    for await (const f of openCaptures([p]).frames) {
      count++;
      expect(f.data.length).toBe(frames[3]!.data.length);
    }
    expect(count).toBe(n);
    let early = 0;
    for await (const _ of openCaptures([p]).frames) if (++early === 10) break;
    expect(early).toBe(10);
  });
});
