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
import { openCaptureWriter } from './writer.js';

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
