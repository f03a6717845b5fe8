/**
 * Properties of the capture readers on any file: classic pcap and pcapng
 * built block by block (mostly plausible) and then damaged, gzip-wrapped or
 * not, and plain random bytes. A file either cannot be opened (CaptureError
 * with the file, a record number and a byte offset) or yields frames and
 * then perhaps damage; nothing else is ever thrown, every number is a
 * number, a frame's counts agree with each other, and a gzip-compressed
 * copy of a file reads exactly as the file.
 */
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { CaptureError, openCaptures, type CaptureDamage, type CaptureFrame, type CaptureSkip } from '../../src/capture/index.js';
import { params, timeout } from './config.js';
import { ethFrame, mutated } from './packets-arb.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cofw-prop-captures-'));
});

const LINK_TYPES = [1, 1, 1, 113, 276, 101, 228, 229, 0, 108, 12, 14, 9, 220];
const u32 = (v: number, le: boolean): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, le);
  return b;
};
const u16 = (v: number, le: boolean): Uint8Array => {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, v & 0xffff, le);
  return b;
};
const cat = (parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);
const pad4 = (b: Uint8Array): Uint8Array => cat([b, new Uint8Array((4 - (b.length % 4)) % 4)]);

/** A packet's bytes: an Ethernet frame (read as whatever the link type says) or random bytes. */
const packetBytes = fc.oneof({ weight: 3, arbitrary: ethFrame }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 80 }) });

/** A classic pcap file: micro- or nanosecond, either byte order, records whose lengths mostly agree. */
const pcapFile = fc
  .record({
    magic: fc.constantFrom(0xa1b2c3d4, 0xa1b23c4d),
    le: fc.boolean(),
    version: fc.oneof(
      { weight: 9, arbitrary: fc.constant([2, 4]) },
      { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 5 })) },
    ),
    snaplen: fc.constantFrom(65535, 262144, 64, 0),
    link: fc.oneof(fc.constantFrom(...LINK_TYPES), fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0x24000001, 0x04000001, 0x00010001, 0xf4000001)),
    records: fc.array(
      fc.record({
        sec: fc.oneof(fc.constant(1_700_000_000), fc.nat()),
        frac: fc.oneof(fc.nat(999_999), fc.nat()),
        data: packetBytes,
        capDelta: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -10, max: 300_000 }) }),
        origDelta: fc.oneof({ weight: 7, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: -20, max: 2000 }) }),
      }),
      { maxLength: 8 },
    ),
  })
  .map((f) =>
    cat([
      u32(f.magic, f.le),
      u16(f.version[0]!, f.le),
      u16(f.version[1]!, f.le),
      u32(0, f.le),
      u32(0, f.le),
      u32(f.snaplen, f.le),
      u32(f.link, f.le),
      ...f.records.flatMap((r) => [
        u32(r.sec, f.le),
        u32(r.frac, f.le),
        u32(Math.max(0, r.data.length + r.capDelta), f.le),
        u32(Math.max(0, r.data.length + r.origDelta), f.le),
        r.data,
      ]),
    ]),
  );

const option = (code: number, value: Uint8Array, le: boolean): Uint8Array => cat([u16(code, le), u16(value.length, le), pad4(value)]);
const block = (type: number, body: Uint8Array, le: boolean, lenDelta = 0): Uint8Array => {
  const b = pad4(body);
  const len = 12 + b.length;
  return cat([u32(type, le), u32(len + lenDelta, le), b, u32(len, le)]);
};

/** A pcapng block of any kind, in byte order `le`. */
const pcapngBlock = (le: boolean): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    // Interface Description Block, with options.
    {
      weight: 3,
      arbitrary: fc
        .record({
          link: fc.oneof(fc.constantFrom(...LINK_TYPES), fc.integer({ min: 0, max: 0xffff })),
          snaplen: fc.constantFrom(0, 65535, 60),
          name: fc.option(fc.string({ maxLength: 12 })),
          tsresol: fc.option(fc.oneof(fc.constantFrom(6, 9, 0x89, 3, 0), fc.integer({ min: 0, max: 255 }))),
          tsoffset: fc.option(fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n })),
          junk: fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.uint8Array({ maxLength: 9 })), { maxLength: 2 }),
        })
        .map((i) => {
          const opts: Uint8Array[] = [];
          if (i.name !== null) opts.push(option(2, Buffer.from(i.name), le));
          if (i.tsresol !== null) opts.push(option(9, Uint8Array.of(i.tsresol), le));
          if (i.tsoffset !== null) {
            const b = new Uint8Array(8);
            new DataView(b.buffer).setBigInt64(0, i.tsoffset, le);
            opts.push(option(14, b, le));
          }
          for (const [c, v] of i.junk) opts.push(option(c, v, le));
          if (opts.length) opts.push(new Uint8Array(4));
          return block(1, cat([u16(i.link, le), u16(0, le), u32(i.snaplen, le), ...opts]), le);
        }),
    },
    // Enhanced Packet Block (and the obsolete Packet Block).
    {
      weight: 6,
      arbitrary: fc
        .record({
          type: fc.constantFrom(6, 6, 6, 2),
          ifId: fc.oneof(
            { weight: 12, arbitrary: fc.constant(0) },
            { weight: 4, arbitrary: fc.integer({ min: 1, max: 2 }) },
            { weight: 1, arbitrary: fc.nat() },
          ),
          ts: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
          data: packetBytes,
          capDelta: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -10, max: 300_000 }) }),
          origDelta: fc.oneof({ weight: 7, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: -20, max: 2000 }) }),
          flags: fc.option(fc.nat()),
        })
        .map((p) => {
          const id = p.type === 2 ? cat([u16(p.ifId, le), u16(0, le)]) : u32(p.ifId, le);
          const opts = p.flags !== null ? [option(2, u32(p.flags, le), le), new Uint8Array(4)] : [];
          return block(
            p.type,
            cat([
              id,
              u32(Number(p.ts >> 32n), le),
              u32(Number(p.ts & 0xffffffffn), le),
              u32(Math.max(0, p.data.length + p.capDelta), le),
              u32(Math.max(0, p.data.length + p.origDelta), le),
              pad4(p.data),
              ...opts,
            ]),
            le,
          );
        }),
    },
    // Simple Packet Block.
    {
      weight: 2,
      arbitrary: fc.tuple(packetBytes, fc.integer({ min: -4, max: 100 })).map(([d, od]) => block(3, cat([u32(Math.max(0, d.length + od), le), d]), le)),
    },
    // Another section.
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.boolean(), fc.constantFrom([1, 0], [1, 2], [1, 1], [2, 0]))
        .map(([le2, [ma, mi]]) => block(0x0a0d0d0a, cat([u32(0x1a2b3c4d, le2), u16(ma!, le2), u16(mi!, le2), new Uint8Array(8).fill(0xff)]), le2)),
    },
    // Statistics, name resolution, unknown blocks, impossible lengths.
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(4, 5, 10, 0x0bad, 0x80000001), fc.uint8Array({ maxLength: 24 })).map(([t, b]) => block(t, b, le)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 0, max: 10 }), fc.uint8Array({ maxLength: 24 }), fc.integer({ min: -16, max: 16 }))
        .map(([t, b, d]) => block(t, b, le, d)),
    },
  );

/** A pcapng file: a section header (mostly version 1.0), an interface, then blocks of any kind. */
const pcapngFile = fc
  .boolean()
  .chain((le) =>
    fc
      .tuple(
        fc.oneof({ weight: 9, arbitrary: fc.constant([1, 0]) }, { weight: 1, arbitrary: fc.constantFrom([1, 2], [1, 1], [0, 9]) }),
        fc.array(pcapngBlock(le), { minLength: 0, maxLength: 10 }),
        fc.constantFrom(1, 1, 113, 220),
      )
      .map(([[ma, mi], blocks, link]) =>
        cat([
          block(0x0a0d0d0a, cat([u32(0x1a2b3c4d, le), u16(ma!, le), u16(mi!, le), new Uint8Array(8).fill(0xff)]), le),
          block(1, cat([u16(link, le), u16(0, le), u32(0, le)]), le),
          ...blocks,
        ]),
      ),
  );

/** A file's bytes, damaged now and then. */
const captureBytes = fc.oneof(
  { weight: 2, arbitrary: pcapFile },
  { weight: 2, arbitrary: mutated(pcapFile) },
  { weight: 3, arbitrary: pcapngFile },
  { weight: 3, arbitrary: mutated(pcapngFile) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
);

interface Read {
  refused?: CaptureError;
  frames: CaptureFrame[];
  damage: CaptureDamage[];
  skipped: CaptureSkip[];
}

let n = 0;
/** Writes `bytes` to a file and reads it as cofw does; anything but a CaptureError thrown fails the property. */
async function read(bytes: Uint8Array, ext = '.cap'): Promise<Read & { path: string }> {
  const path = join(dir, `c${n++ % 8}${ext}`);
  writeFileSync(path, bytes);
  let c: ReturnType<typeof openCaptures>;
  try {
    c = openCaptures([path]);
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    return { path, refused: e, frames: [], damage: [], skipped: [] };
  }
  const frames: CaptureFrame[] = [];
  for await (const f of c.frames) frames.push(f);
  return { path, frames, damage: c.damage, skipped: c.skipped };
}

const isInt = (v: unknown, min = 0): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;

/** What every read must satisfy. */
function wellFormed(r: Read & { path: string }): void {
  if (r.refused) {
    expect(r.refused.message.startsWith(r.path)).toBe(true);
    expect(isInt(r.refused.index) && isInt(r.refused.offset)).toBe(true);
    return;
  }
  let last = 0;
  for (const f of r.frames) {
    expect(typeof f.tsNs).toBe('bigint');
    expect(f.data).toBeInstanceOf(Uint8Array);
    expect(isInt(f.origLen) && isInt(f.truncated) && isInt(f.offset) && isInt(f.index, 1) && isInt(f.linkType)).toBe(true);
    expect(f.truncated).toBe(Math.max(0, f.origLen - f.data.length));
    expect(f.index).toBeGreaterThan(last);
    last = f.index;
    expect(f.file).toBe(r.path);
  }
  expect(r.damage.length).toBeLessThanOrEqual(1);
  for (const d of r.damage) {
    expect(d.file).toBe(r.path);
    expect(isInt(d.index, 1) && isInt(d.offset)).toBe(true);
    expect(d.index).toBeGreaterThan(last);
    expect(d.message.startsWith(`${r.path}:`)).toBe(true);
    expect(d.message).not.toMatch(/undefined|NaN/);
  }
  for (const s of r.skipped)
    expect(isInt(s.records, 1) && isInt(s.firstIndex, 1) && isInt(s.firstOffset) && isInt(s.interfaceId) && isInt(s.section, 1)).toBe(true);
}

const view = (r: Read) => ({
  refused: r.refused?.message,
  frames: r.frames.map((f) => [f.tsNs, Buffer.from(f.data).toString('hex'), f.origLen, f.index, f.offset, f.ifName, f.direction, f.pktType]),
  damage: r.damage.map((d) => [d.index, d.offset]),
  skipped: r.skipped.map((s) => [s.interfaceId, s.records]),
});

describe('the capture readers', () => {
  it(
    'read any file into frames and at most one damage, or refuse it with a CaptureError; nothing else is thrown',
    async () => {
      await fc.assert(
        fc.asyncProperty(captureBytes, async (bytes) => {
          wellFormed(await read(bytes));
        }),
        params(400),
      );
    },
    timeout(30_000),
  );

  it(
    'read a gzip-compressed copy exactly as the file (messages aside), and damaged compressed data without throwing',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          captureBytes,
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 2 }),
          fc.option(fc.nat()),
          async (bytes, flips, cut) => {
            const plain = await read(bytes);
            const gz = await read(gzipSync(bytes), '.gz');
            wellFormed(gz);
            if (plain.refused) expect(gz.refused).toBeDefined();
            else expect(view(gz)).toEqual(view(plain));
            // Damaged compressed bytes: anything but a throw of another kind.
            const z = Buffer.from(gzipSync(bytes));
            for (const [i, v] of flips) z[i % z.length] = v;
            wellFormed(await read(cut === null ? z : z.subarray(0, cut % (z.length + 1)), '.gz'));
          },
        ),
        params(150),
      );
    },
    timeout(30_000),
  );

  it(
    'read a file cut short as a prefix of the whole file',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(pcapFile, pcapngFile), fc.nat(), async (bytes, cut) => {
          const whole = await read(bytes);
          if (whole.refused || whole.damage.length) return;
          const part = await read(bytes.subarray(0, cut % (bytes.length + 1)));
          wellFormed(part);
          if (part.refused) return;
          expect(view(part).frames).toEqual(view(whole).frames.slice(0, part.frames.length));
        }),
        params(200),
      );
    },
    timeout(30_000),
  );
});
