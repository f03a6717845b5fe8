/**
 * Captures from the wild: what real writers put in files that the common
 * tools read one way and cofw read another. Each case says what libpcap or
 * tshark does with the same bytes; where tshark is installed, the test
 * asks it too.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, deflateRawSync, gzipSync } from 'node:zlib';
import { CaptureError, openCaptures, skipText, type CaptureFrame } from './index.js';
import { pcapHeaderVariant, pcapRecordVariant } from './pcap-write.js';
import { pcapngBlock, pcapngInterface, pcapngPacket, pcapngSectionHeader } from './writer.js';
import { sampleFrames, toMicro } from './testing.js';
import { crc32, gunzip, GzipBombError, GzipCheckError } from './gunzip.js';
import { Readable } from 'node:stream';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cofw-wild-'));
});
const put = (name: string, bytes: Uint8Array): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};
const frames = sampleFrames();
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

async function readAll(paths: string[]) {
  const c = openCaptures(paths);
  const got: CaptureFrame[] = [];
  for await (const f of c.frames) got.push(f);
  return { got, damage: c.damage, skipped: c.skipped };
}

const TSHARK = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
/** tshark's view of a file: one line per frame with the fields asked, or its error. */
function tshark(file: string, fields: string[]): { lines: string[]; error: string } {
  const r = spawnSync('tshark', ['-r', file, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8' });
  return {
    lines: r.stdout.split('\n').filter(Boolean),
    error: r.stderr
      .split('\n')
      .filter((l) => !l.startsWith('Running as user'))
      .join('\n'),
  };
}

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('nothing thrown');
}

describe('the link type field of a pcap file header', () => {
  const pcapWith = (name: string, field: number, records: Uint8Array[]): string => {
    const h = pcapHeaderVariant({ nanosecond: true });
    new DataView(h.buffer, h.byteOffset).setUint32(20, field, true);
    return put(name, Buffer.concat([h, ...records]));
  };

  it('reserved bits (0x03ff0000) are ignored, as libpcap ignores them: the link type is the low 16 bits', async () => {
    const p = pcapWith(
      'reserved.pcap',
      0x00010001,
      frames.map((f) => pcapRecordVariant({ nanosecond: true }, f.tsNs, f.data)),
    );
    const { got, damage } = await readAll([p]);
    expect(damage).toEqual([]);
    expect(got.map((f) => [f.linkType, hex(f.data)])).toEqual(frames.map((f) => [1, hex(f.data)]));
  });

  it('an FCS length (P bit 0x04000000, length in 16-bit words above it) is the Ethernet FCS, removed as the network card removes it', async () => {
    const fcs = (d: Uint8Array): Uint8Array => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(crc32(d, 0));
      return Buffer.concat([d, b]);
    };
    const f0 = frames[0]!.data;
    const f1 = frames[1]!.data;
    const withFcs0 = fcs(f0);
    const withFcs1 = fcs(f1);
    const records = [
      pcapRecordVariant({ nanosecond: true }, 1n, withFcs0),
      // Cut by the snaplen two bytes into the FCS, and well before it.
      pcapRecordVariant({ nanosecond: true }, 2n, withFcs1.subarray(0, withFcs1.length - 2), withFcs1.length),
      pcapRecordVariant({ nanosecond: true }, 3n, withFcs1.subarray(0, 40), withFcs1.length),
    ];
    const p = pcapWith('fcs.pcap', 0x24000001, records);
    const { got, damage } = await readAll([p]);
    expect(damage).toEqual([]);
    expect(got.map((f) => [hex(f.data), f.origLen, f.truncated])).toEqual([
      [hex(f0), f0.length, 0],
      [hex(f1), f1.length, 0],
      [hex(f1.subarray(0, 40)), f1.length, f1.length - 40],
    ]);
    // The P bit with a length of 0: no FCS.
    const p0 = pcapWith('fcs0.pcap', 0x04000001, [pcapRecordVariant({ nanosecond: true }, 1n, f0)]);
    expect((await readAll([p0])).got.map((f) => hex(f.data))).toEqual([hex(f0)]);
    if (TSHARK) {
      // tshark shows the same 4 bytes as the frame check sequence.
      expect(tshark(p, ['eth.fcs']).lines[0]).toBe(`0x${Buffer.from(withFcs0.subarray(-4)).readUInt32BE().toString(16).padStart(8, '0')}`);
    }
  });

  it('a link type cofw does not read is refused up front (exit 1) with its name', () => {
    const p = pcapWith('frelay.pcap', 107, []);
    const e = thrown(() => openCaptures([p]));
    expect(e).toBeInstanceOf(CaptureError);
    expect(e.message).toMatch(/, byte 20: FRELAY \(107\) is not a link type cofw reads/);
  });
});

describe('pcapng section versions', () => {
  const versioned = (major: number, minor: number, le = true): Uint8Array => {
    const shb = pcapngSectionHeader(le);
    const dv = new DataView(shb.buffer, shb.byteOffset);
    dv.setUint16(12, major, le);
    dv.setUint16(14, minor, le);
    return shb;
  };
  const f = frames[0]!;
  const body = (le = true): Uint8Array[] => [pcapngInterface(1, { tsresol: 9 }, le), pcapngPacket(0, f.tsNs, f.data, f.data.length, {}, le)];

  it.each([
    [1, 0],
    [1, 2],
  ])('%i.%i is read, as libpcap and tshark read it', async (major, minor) => {
    const p = put(`v${major}${minor}.pcapng`, Buffer.concat([versioned(major, minor), ...body()]));
    const { got, damage } = await readAll([p]);
    expect(damage).toEqual([]);
    expect(got.map((x) => x.tsNs)).toEqual([f.tsNs]);
    if (TSHARK) expect(tshark(p, ['frame.number']).lines).toEqual(['1']);
  });

  it.each([
    [1, 1, true],
    [1, 3, false],
    [2, 0, true],
  ])('%i.%i is refused up front (exit 1), as libpcap and tshark refuse it', (major, minor, le) => {
    const p = put(`v${major}${minor}.pcapng`, Buffer.concat([versioned(major, minor, le), ...body(le)]));
    const e = thrown(() => openCaptures([p]));
    expect(e).toBeInstanceOf(CaptureError);
    expect(e.message).toBe(
      `${p}, byte 12: pcapng version ${major}.${minor} is not one cofw reads: as libpcap and Wireshark, it reads versions 1.0 and 1.2 (1.1 was never a version of the format); the program that wrote the file does not follow the pcapng specification`,
    );
    if (TSHARK) expect(tshark(p, ['frame.number']).error).toContain(`pcapng: unknown SHB version ${major}.${minor}`);
  });

  it('a later section of version 1.1 ends the reading there (damage), after the records before it', async () => {
    const p = put('later11.pcapng', Buffer.concat([versioned(1, 0), ...body(), versioned(1, 1), ...body()]));
    const { got, damage } = await readAll([p]);
    expect(got).toHaveLength(1);
    expect(damage.map((d) => d.message)).toEqual([
      expect.stringMatching(
        /block 4 at byte \d+, after record 1, is a Section Header Block of pcapng version 1\.1, which cofw does not read \(as libpcap and Wireshark, it reads 1\.0 and 1\.2\); the 1 record before it was read$/,
      ),
    ]);
  });

  it('a Section Header Block too short for its fixed fields is damage, not a crash', async () => {
    const p = put('shortshb.pcapng', Buffer.concat([versioned(1, 0), ...body(), pcapngBlock(0x0a0d0d0a, Uint8Array.of(0x4d, 0x3c, 0x2b, 0x1a))]));
    const { got, damage } = await readAll([p]);
    expect(got).toHaveLength(1);
    expect(damage[0]!.message).toMatch(/\(Section Header Block\) at byte \d+, after record 1, is only 16 bytes long, too short for its fixed fields/);
  });
});

describe('pcapng interfaces of link types cofw does not read', () => {
  const eth = frames[0]!;
  const usbData = new Uint8Array(64).fill(0x55);

  it('their packets are skipped and counted; the rest is replayed, numbered as tshark numbers them', async () => {
    const p = put(
      'mixed.pcapng',
      Buffer.concat([
        pcapngSectionHeader(),
        pcapngInterface(220, { name: 'usbmon1', tsresol: 9 }),
        pcapngInterface(1, { name: 'eth0', tsresol: 9 }),
        pcapngPacket(0, eth.tsNs - 2n, usbData),
        pcapngPacket(1, eth.tsNs, eth.data),
        pcapngPacket(0, eth.tsNs + 1n, usbData),
        pcapngPacket(0, eth.tsNs + 2n, usbData),
        pcapngPacket(1, eth.tsNs + 3n, eth.data),
      ]),
    );
    const { got, damage, skipped } = await readAll([p]);
    expect(damage).toEqual([]);
    expect(got.map((f) => [f.index, f.ifName, f.tsNs])).toEqual([
      [2, 'eth0', eth.tsNs],
      [5, 'eth0', eth.tsNs + 3n],
    ]);
    expect(skipped).toEqual([
      { file: p, section: 1, interfaceId: 0, ifName: 'usbmon1', linkType: 220, records: 3, firstIndex: 1, firstOffset: expect.any(Number) },
    ]);
    expect(skipText(skipped[0]!)).toBe(
      `${p}: 3 records of interface 0 (usbmon1), USB_LINUX_MMAPPED (usbmon) (220), skipped (the first is record 1 at byte ${skipped[0]!.firstOffset}): cofw does not read that link type`,
    );
    if (TSHARK) expect(tshark(p, ['frame.number', 'frame.interface_id']).lines).toEqual(['1\t0', '2\t1', '3\t0', '4\t0', '5\t1']);
  });

  it('a file whose interfaces are all of such link types is refused up front (exit 1), as a pcap file of one is', () => {
    const p = put('usb.pcapng', Buffer.concat([pcapngSectionHeader(), pcapngInterface(220, { name: 'usbmon1' }), pcapngPacket(0, 1n, usbData)]));
    const e = thrown(() => openCaptures([p]));
    expect(e).toBeInstanceOf(CaptureError);
    expect(e.message).toMatch(
      /^.*usb\.pcapng, byte \d+: interface 0 \(usbmon1\) is USB_LINUX_MMAPPED \(usbmon\) \(220\), which is not a link type cofw reads \(it reads Ethernet/,
    );
    const two = put('two.pcapng', Buffer.concat([pcapngSectionHeader(), pcapngInterface(107), pcapngInterface(249, { name: 'usbpcap' })]));
    expect(thrown(() => openCaptures([two])).message).toMatch(
      /two\.pcapng, byte \d+: none of its 2 interfaces is of a link type cofw reads \(interface 0: FRELAY \(107\); interface 1 \(usbpcap\): USBPCAP \(249\)\) \(it reads/,
    );
  });

  it('a second section of another link type is read after the skipped first', async () => {
    const p = put(
      'sections.pcapng',
      Buffer.concat([
        pcapngSectionHeader(),
        pcapngInterface(107),
        pcapngPacket(0, 1n, usbData),
        pcapngSectionHeader(),
        pcapngInterface(1, { tsresol: 9 }),
        pcapngPacket(0, eth.tsNs, eth.data),
      ]),
    );
    // The first packet decides: all the interfaces before it are frame relay, so the file is refused.
    expect(thrown(() => openCaptures([p]))).toBeInstanceOf(CaptureError);
    // With an Ethernet interface in the first section, it is read, section by section.
    const q = put(
      'sections2.pcapng',
      Buffer.concat([
        pcapngSectionHeader(),
        pcapngInterface(107),
        pcapngInterface(1, { tsresol: 9 }),
        pcapngPacket(0, 1n, usbData),
        pcapngSectionHeader(),
        pcapngInterface(107),
        pcapngPacket(0, 1n, usbData),
        pcapngPacket(0, 1n, usbData),
      ]),
    );
    const { got, skipped } = await readAll([q]);
    expect(got).toEqual([]);
    expect(skipped.map((s) => [s.section, s.interfaceId, s.records, s.firstIndex])).toEqual([
      [1, 0, 1, 1],
      [2, 0, 2, 2],
    ]);
  });
});

describe('pcapng Simple Packet Blocks', () => {
  const spb = (d: Uint8Array): Uint8Array => {
    const b = new Uint8Array(4 + d.length);
    new DataView(b.buffer).setUint32(0, d.length, true);
    b.set(d, 4);
    return pcapngBlock(3, b);
  };

  it('take the timestamp of the packet block before them (0 before the first, as libpcap gives them)', async () => {
    const [a, b, c] = frames;
    const p = put(
      'spb.pcapng',
      Buffer.concat([
        pcapngSectionHeader(),
        pcapngInterface(1, { tsresol: 6 }),
        spb(a!.data),
        pcapngPacket(0, a!.tsNs / 1000n, a!.data),
        spb(b!.data),
        spb(c!.data),
        pcapngPacket(0, c!.tsNs / 1000n, c!.data),
        spb(a!.data),
      ]),
    );
    const { got, damage } = await readAll([p]);
    expect(damage).toEqual([]);
    expect(got.map((f) => [f.index, f.tsNs])).toEqual([
      [1, 0n],
      [2, toMicro(a!.tsNs)],
      [3, toMicro(a!.tsNs)],
      [4, toMicro(a!.tsNs)],
      [5, toMicro(c!.tsNs)],
      [6, toMicro(c!.tsNs)],
    ]);
    // tshark shows no time for them.
    if (TSHARK)
      expect(tshark(p, ['frame.number', 'frame.time_epoch']).lines.map((l) => l.split('\t').length === 1 || l.endsWith('\t'))).toEqual([
        true,
        false,
        true,
        true,
        false,
        true,
      ]);
  });
});

describe('gzip', () => {
  const pcap = Buffer.concat([pcapHeaderVariant({}), ...frames.map((f) => pcapRecordVariant({}, f.tsNs, f.data))]);
  const pcapng = Buffer.concat([pcapngSectionHeader(), pcapngInterface(1, { tsresol: 9 }), ...frames.map((f) => pcapngPacket(0, f.tsNs, f.data))]);
  const nano = Buffer.concat([pcapHeaderVariant({ nanosecond: true }), ...frames.map((f) => pcapRecordVariant({ nanosecond: true }, f.tsNs, f.data))]);
  const badCrc = (b: Uint8Array): Buffer => {
    const g = Buffer.from(gzipSync(b));
    g[g.length - 8]! ^= 0xff;
    return g;
  };

  it.each([
    ['pcap', pcap],
    ['pcap-ns', nano],
    ['pcapng', pcapng],
  ])('%s: a member whose CRC does not match delivers all its bytes, then says so (as zcat does)', async (kind, plain) => {
    const p = put(`crc-${kind}.gz`, badCrc(plain));
    const { got, damage } = await readAll([p]);
    expect(got.map((f) => hex(f.data))).toEqual(frames.map((f) => hex(f.data)));
    expect(damage).toHaveLength(1);
    expect(damage[0]!.message).toMatch(
      /: the gzip member at byte 0 fails its CRC check \([0-9a-f]{8} computed, [0-9a-f]{8} recorded at byte \d+\): its data was read to the end, as `zcat` reads it, but may be damaged; recompress the original capture if you have it/,
    );
    expect(damage[0]!.message).toContain('the 5 records before it were read');
  });

  it('delivers the same bytes zcat writes for a member with a bad CRC, then the member after it is not read (zcat stops there too)', async () => {
    const plain = Buffer.from(Array.from({ length: 300_000 }, (_, i) => ((i * 7919) ^ (i >> 9)) & 255));
    const bad = Buffer.concat([badCrc(plain), gzipSync(Buffer.from('second member'))]);
    const s = gunzip(Readable.from([bad]));
    const out: Buffer[] = [];
    for await (const c of s.stream) out.push(c as Buffer);
    expect(Buffer.concat(out).equals(plain)).toBe(true);
    expect(s.endError()).toBeInstanceOf(GzipCheckError);
    const zcat = spawnSync('zcat', [], { input: bad });
    if (zcat.status !== null && !zcat.error) {
      expect(zcat.status).toBe(1);
      expect(zcat.stdout.equals(plain)).toBe(true);
      expect(zcat.stderr.toString()).toContain('crc error');
    }
  });

  it('a wrong length is said too; a second member after a good one is read; trailing garbage is ignored', async () => {
    const g = Buffer.from(gzipSync(pcap));
    g.writeUInt32LE(g.readUInt32LE(g.length - 4) + 1, g.length - 4);
    const { got, damage } = await readAll([put('len.pcap.gz', g)]);
    expect(got).toHaveLength(5);
    expect(damage[0]!.message).toMatch(/has \d+ bytes but records \d+ \(length check at byte \d+\)/);

    const half = pcap.length - frames.at(-1)!.data.length - 16;
    const two = Buffer.concat([gzipSync(pcap.subarray(0, half)), gzipSync(pcap.subarray(half)), Buffer.from('garbage')]);
    const r2 = await readAll([put('two.pcap.gz', two)]);
    expect(r2.damage).toEqual([]);
    expect(r2.got.map((f) => hex(f.data))).toEqual(frames.map((f) => hex(f.data)));
  });

  it('a member with gzip header fields (name, comment, extra, header CRC) is read', async () => {
    const d = deflateRawSync(pcap);
    const t = Buffer.alloc(8);
    t.writeUInt32LE(crc32(pcap, 0), 0);
    t.writeUInt32LE(pcap.length, 4);
    const head = Buffer.from([0x1f, 0x8b, 8, 4 | 8 | 16 | 2, 0, 0, 0, 0, 0, 3, 3, 0, 1, 2, 3, ...Buffer.from('x.pcap\0note\0'), 0xaa, 0xbb]);
    const { got, damage } = await readAll([put('fields.pcap.gz', Buffer.concat([head, d, t]))]);
    expect(damage).toEqual([]);
    expect(got).toHaveLength(5);
  });

  it('a file cut short inside the compressed data keeps what came before', async () => {
    const many = Array.from({ length: 400 }, (_, i) =>
      pcapRecordVariant({}, BigInt(i) * 1_000_017_000n, Buffer.from(Array.from({ length: 60 + (i % 40) }, (_, k) => (i * 31 + k * 7) & 255))),
    );
    const g = gzipSync(Buffer.concat([pcapHeaderVariant({}), ...many]));
    const { got, damage } = await readAll([put('cut.pcap.gz', g.subarray(0, g.length - 200))]);
    expect(got.length).toBeGreaterThan(100);
    expect(got.length).toBeLessThan(400);
    expect(damage[0]!.message).toMatch(/the gzip-compressed data ends early or is damaged here \(unexpected end of file\)/);
  });

  it('a 1 MiB gzip bomb stops at the guard with a message, after a bounded number of bytes', async () => {
    // A pcap header and then 1 GiB of zeros (each 16 zero bytes read as an empty record), deflated
    // as gzip -9 deflates it: 1 MiB pieces flushed to byte boundaries, the same bytes for each piece.
    const first = Buffer.alloc(1024 * 1024);
    first.set(pcapHeaderVariant({ nanosecond: true }));
    const flush = { level: 9, finishFlush: constants.Z_FULL_FLUSH };
    const piece = deflateRawSync(Buffer.alloc(1024 * 1024), flush);
    const bomb = Buffer.concat([
      Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]),
      deflateRawSync(first, flush),
      ...Array<Buffer>(1023).fill(piece),
      Buffer.from([3, 0]),
      Buffer.alloc(8),
    ]);
    expect(bomb.length).toBeLessThan(1.1 * 1024 * 1024);
    const p = put('bomb.pcap.gz', bomb);
    const c = openCaptures([p]);
    let n = 0;
    for await (const f of c.frames) n += f.data.length + 1;
    expect(n).toBeLessThan((17 * 1024 * 1024) / 16);
    expect(c.damage).toHaveLength(1);
    expect(c.damage[0]!.message).toMatch(
      /: the gzip data expands more than 200 times \(\d+ bytes from the first \d+ compressed bytes\): a decompression bomb, or a capture of the same bytes over and over; reading stopped here\. If the capture is genuine, decompress it first \(`zcat in\.pcap\.gz > in\.pcap`\) and give cofw the decompressed file/,
    );
  }, 60_000);

  it('the guard itself: a ratio over the limit past the floor stops; below the floor it does not', async () => {
    const zeros = gzipSync(Buffer.alloc(4 * 1024 * 1024));
    const read = async (floor: number) => {
      const s = gunzip(Readable.from([zeros]), { ratio: 100, floor });
      let n = 0;
      for await (const c of s.stream) n += (c as Buffer).length;
      return { n, error: s.endError() };
    };
    const small = await read(8 * 1024 * 1024);
    expect(small).toEqual({ n: 4 * 1024 * 1024, error: undefined });
    const stopped = await read(1024 * 1024);
    expect(stopped.error).toBeInstanceOf(GzipBombError);
    expect(stopped.n).toBeLessThanOrEqual(1024 * 1024 + 64 * 1024);
    const bad = Buffer.from(gzipSync(Buffer.from('hello')));
    bad[bad.length - 5]! ^= 1;
    const s = gunzip(Readable.from([bad]));
    const out: Buffer[] = [];
    for await (const c of s.stream) out.push(c as Buffer);
    expect(Buffer.concat(out).toString()).toBe('hello');
    expect(s.endError()).toBeInstanceOf(GzipCheckError);
  });

  it('a small gzip capture with a bad CRC is not refused up front', async () => {
    const p = put('tiny.pcap.gz', badCrc(pcap.subarray(0, 24 + 16 + frames[0]!.data.length)));
    const { got, damage } = await readAll([p]);
    expect(got).toHaveLength(1);
    expect(damage).toHaveLength(1);
  });
});
