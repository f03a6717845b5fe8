/**
 * Output captures are put in place only when complete: abandoned or failed
 * (a full disk) they leave an earlier file of that name as it was and no
 * temporary file; a section comment marks a capture that holds only part
 * of a run, whether its header is still in the buffer or already on disk.
 */
import { execFileSync } from 'node:child_process';
import fs, { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { OutputError, OutputFiles, TEMP_SUFFIX, type OutputIo } from '../io/output-file.js';
import { openCaptures } from './index.js';
import { openCaptureWriter, pcapngPacket, RecordWriter } from './writer.js';
import { pcapHeader, pcapRecord } from './pcap-write.js';
import { nsecOfBigint, secOfBigint } from './timestamp.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cofw-writer-safe-'));
});

const frame = (i: number): { tsNs: bigint; data: Uint8Array } => ({
  tsNs: 1_700_000_000_000_000_000n + BigInt(i) * 1000n,
  data: new Uint8Array(60).fill(i & 0xff),
});
const temps = (): string[] => readdirSync(dir).filter((n) => n.endsWith(TEMP_SUFFIX));

async function count(path: string): Promise<number> {
  let n = 0;
  for await (const _ of openCaptures([path]).frames) n++;
  return n;
}

/** The shb_comment of the first section of a little-endian pcapng file, if any. */
function sectionComment(path: string): string | undefined {
  const b = readFileSync(path);
  const len = b.readUInt32LE(4);
  for (let o = 24; o + 4 <= len - 4;) {
    const code = b.readUInt16LE(o);
    const n = b.readUInt16LE(o + 2);
    if (code === 0) break;
    if (code === 1) return b.subarray(o + 4, o + 4 + n).toString('utf8');
    o += 4 + ((n + 3) & ~3);
  }
  return undefined;
}

const has = (tool: string): boolean => {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe('openCaptureWriter', () => {
  it('writes a temporary file and puts the capture in place on close', async () => {
    const path = join(dir, 'a.pcap');
    const w = openCaptureWriter(path);
    expect(w.path).toBe(path);
    for (let i = 0; i < 5; i++) w.write(frame(i));
    expect(readdirSync(dir)).toEqual(temps());
    await w.close();
    expect(readdirSync(dir)).toEqual(['a.pcap']);
    expect(await count(path)).toBe(5);
  });

  it('abort leaves the earlier file as it was and no temporary file', () => {
    const path = join(dir, 'a.pcapng');
    writeFileSync(path, 'earlier');
    const w = openCaptureWriter(path);
    for (let i = 0; i < 50_000; i++) w.write(frame(i)); // several MiB: written out along the way
    expect(temps()).toHaveLength(1);
    w.abort();
    expect(readFileSync(path, 'utf8')).toBe('earlier');
    expect(temps()).toEqual([]);
  });

  it('a full disk is an OutputError from write (or close) naming the output; abort cleans up', async () => {
    const path = join(dir, 'd.pcapng');
    writeFileSync(path, 'earlier');
    const io: OutputIo = {
      ...fs,
      writeSync: (() => {
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      }) as OutputIo['writeSync'],
    };
    const files = new OutputFiles(io);
    const w = openCaptureWriter(path, { files, option: '--dropped' });
    let err: unknown;
    try {
      for (let i = 0; i < 50_000; i++) w.write(frame(i));
      await w.close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OutputError);
    expect((err as Error).message).toBe(`--dropped ${path}: cannot write it: no space left on the device (the disk is full)`);
    w.abort();
    files.discard();
    expect(readdirSync(dir)).toEqual(['d.pcapng']);
    expect(readFileSync(path, 'utf8')).toBe('earlier');
  });

  it('a missing folder fails when the capture is opened, naming the option', () => {
    expect(() => openCaptureWriter(join(dir, 'nope', 'a.pcap'), { option: '--accepted' })).toThrow(
      /^--accepted .*a\.pcap: cannot write the output: the folder .*nope does not exist/,
    );
  });

  it('a section comment marks the capture, with its header still buffered or already written out', async () => {
    for (const n of [3, 40_000]) {
      const path = join(dir, `p${n}.pcapng`);
      const w = openCaptureWriter(path);
      for (let i = 0; i < n; i++) w.write({ ...frame(i), ifName: 'eth0', comment: `frame ${i + 1}` });
      await w.close({ sectionComment: 'cofw: PARTIAL: test' });
      expect(sectionComment(path)).toBe('cofw: PARTIAL: test');
      expect(await count(path)).toBe(n);
      expect(temps()).toEqual([]);
      if (has('capinfos')) expect(execFileSync('capinfos', ['-k', path], { encoding: 'utf8' })).toContain('cofw: PARTIAL: test');
    }
    // Without a comment, none; pcap has no place for one and ignores it.
    const plain = join(dir, 'plain.pcapng');
    const w = openCaptureWriter(plain);
    w.write(frame(1));
    await w.close();
    expect(sectionComment(plain)).toBeUndefined();
    const pcap = join(dir, 'x.pcap');
    const v = openCaptureWriter(pcap);
    v.write(frame(1));
    await v.close({ sectionComment: 'ignored' });
    expect(await count(pcap)).toBe(1);
  });

  it('in a set of outputs, close only finishes: the owner puts it in place', async () => {
    const path = join(dir, 'a.pcap');
    const files = new OutputFiles();
    const w = openCaptureWriter(path, { files });
    w.write(frame(1));
    await w.close();
    expect(readdirSync(dir)).toEqual(temps());
    files.commit();
    expect(readdirSync(dir)).toEqual(['a.pcap']);
  });
});

describe('records written into the buffer', () => {
  it('are byte for byte those pcapRecord and pcapngPacket build, for any timestamp, length, comment and direction', () => {
    let seed = 99;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const times = [
      0n,
      999n,
      1_000_000_000n,
      1_700_000_000_999_999_999n,
      1_700_000_001_000_000_000n,
      (1n << 32n) - 1n,
      1n << 32n,
      4_294_967_295_999_999_999n,
      4_294_967_296_000_000_000n,
      (1n << 64n) - 1n,
    ];
    const comments = [undefined, '', 'a', 'filter/INPUT rule 3: -A INPUT -j DROP', 'é€𝄞 ünïcode', 'x'.repeat(21_000)];
    const w = new RecordWriter(1 << 20);
    const pcapWant: Uint8Array[] = [];
    const ngWant: Uint8Array[] = [];
    const ng = new RecordWriter(1 << 20);
    let t = 1_700_000_000_000_000_000n;
    for (let i = 0; i < 2000; i++) {
      t = i % 97 === 0 || t > 1n << 63n ? times[rnd(times.length - 1)]! : t + BigInt(rnd(3_000_000));
      if (i % 500 === 499) t = (1n << 64n) - 1n;
      const data = new Uint8Array(rnd(200)).map(() => rnd(256));
      const origLen = rnd(2) ? data.length : data.length + rnd(1000);
      expect(w.pcap(secOfBigint(t), nsecOfBigint(t), data, origLen)).toBe(true);
      pcapWant.push(pcapRecord(t, data, origLen));
      const comment = comments[rnd(comments.length)];
      const direction = (['in', 'out', undefined] as const)[rnd(3)];
      const ifId = rnd(4);
      expect(ng.epb(ifId, secOfBigint(t), nsecOfBigint(t), data, origLen, comment, direction)).toBe(true);
      ngWant.push(pcapngPacket(ifId, t, data, origLen, { ...(comment !== undefined ? { comment } : {}), ...(direction ? { direction } : {}) }));
      if (w.pos > 1 << 19) {
        expect(Buffer.from(w.buf.subarray(0, w.pos)).equals(Buffer.concat(pcapWant.splice(0)))).toBe(true);
        w.pos = 0;
      }
      if (ng.pos > 1 << 19) {
        expect(Buffer.from(ng.buf.subarray(0, ng.pos)).equals(Buffer.concat(ngWant.splice(0)))).toBe(true);
        ng.pos = 0;
      }
    }
    expect(Buffer.from(w.buf.subarray(0, w.pos)).equals(Buffer.concat(pcapWant))).toBe(true);
    expect(Buffer.from(ng.buf.subarray(0, ng.pos)).equals(Buffer.concat(ngWant))).toBe(true);
    // Left to the general builders: times before 1970, past pcapng's 64 bits.
    expect(w.pcap(-1, 999_999_999, new Uint8Array(1), 1)).toBe(false);
    expect(ng.epb(0, 18_446_744_073, 709_551_616, new Uint8Array(1), 1, undefined, undefined)).toBe(false);
    expect(ng.epb(0, -1, 999_999_999, new Uint8Array(1), 1, undefined, undefined)).toBe(false);
  });

  it('a writer of either format reads back every frame; a record larger than its buffer is written whole, in order', async () => {
    const frames = (i: number): { tsNs: bigint; data: Uint8Array; comment?: string; ifName: string } => {
      const n = i === 1 ? 200_000 : 60 + (i % 1400);
      return {
        tsNs: 1_700_000_000_000_000_000n + BigInt(i) * 1_000n,
        data: new Uint8Array(n).fill(i & 0xff),
        ...(i % 3 ? { comment: `c${i}` } : {}),
        ifName: i % 2 ? 'eth0' : 'eth1',
      };
    };
    for (const name of ['many.pcap', 'many.pcapng']) {
      const path = join(dir, name);
      const w = openCaptureWriter(path);
      for (let i = 0; i < 3000; i++) w.write(frames(i));
      await w.close({ sectionComment: 'part' });
      expect(await count(path)).toBe(3000);
    }
    const path = join(dir, 'huge.pcap');
    const w = openCaptureWriter(path);
    const huge = new Uint8Array(1_500_000).fill(7);
    w.write(frames(0));
    w.write({ tsNs: 5n, data: huge });
    w.write(frames(2));
    await w.close();
    const want = Buffer.concat([pcapHeader(), pcapRecord(frames(0).tsNs, frames(0).data), pcapRecord(5n, huge), pcapRecord(frames(2).tsNs, frames(2).data)]);
    expect(readFileSync(path).equals(want)).toBe(true);
  });

  it('a capture of many buffers (written out in the background) is byte for byte its records, in order', async () => {
    const path = join(dir, 'big.pcap');
    const w = openCaptureWriter(path);
    const want: Uint8Array[] = [pcapHeader()];
    for (let i = 0; i < 60_000; i++) {
      const f = { tsNs: 1_700_000_000_000_000_000n + BigInt(i) * 1_000n, data: new Uint8Array(i % 5000 === 7 ? 300_000 : 40 + (i % 300)).fill(i & 0xff) };
      w.write(f);
      want.push(pcapRecord(f.tsNs, f.data));
    }
    await w.close();
    const got = readFileSync(path);
    expect(got.length).toBeGreaterThan(10 * 1024 * 1024);
    expect(got.equals(Buffer.concat(want))).toBe(true);
    expect(temps()).toEqual([]);
  });
});
