import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCaptures, type CaptureFrame } from '../capture/index.js';
import { sampleFrames } from '../capture/testing.js';
import { fileNamePart, SplitCaptures } from './split-captures.js';

async function readAll(path: string): Promise<CaptureFrame[]> {
  const out: CaptureFrame[] = [];
  for await (const f of openCaptures([path]).frames) out.push(f);
  return out;
}

describe('split captures', () => {
  it('names files safely and uniquely', () => {
    expect(fileNamePart('stack-IP_INADDRERRORS (martian source)')).toBe('stack-IP_INADDRERRORS-martian-source');
    expect(fileNamePart('filter-my/chain-rule3')).toBe('filter-my-chain-rule3');
    expect(fileNamePart('../..')).toBe('x');
    expect(fileNamePart('a'.repeat(200))).toHaveLength(80);
    const dir = mkdtempSync(join(tmpdir(), 'cofw-split-'));
    const s = new SplitCaptures({ dir, stem: 'dropped', format: 'pcapng' });
    expect(s.file('filter-a/b-rule1', 'one').file).toBe(join(dir, 'dropped-filter-a-b-rule1.pcapng'));
    expect(s.file('filter-a?b-rule1', 'two').file).toBe(join(dir, 'dropped-filter-a-b-rule1-2.pcapng'));
    expect(s.file('FILTER-A-B-RULE1', 'three').file).toBe(join(dir, 'dropped-FILTER-A-B-RULE1-3.pcapng'));
  });

  it('streams many files within its budget, each complete at the end, with comments and interface names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cofw-split-'));
    // A budget smaller than one record: every record is written out at once, by appending.
    const s = new SplitCaptures({ dir, stem: 'd', format: 'pcapng', budget: 64 });
    const frames = sampleFrames();
    const files = Array.from({ length: 300 }, (_, i) => s.file(`filter-INPUT-rule${i + 1}`, `filter/INPUT rule ${i + 1}`));
    for (let round = 0; round < 3; round++) {
      files.forEach((f, i) => f.write({ ...frames[(i + round) % frames.length]!, comment: f.what, ifName: round === 2 ? 'eth1' : 'eth0', direction: 'in' }));
    }
    const done = s.close();
    expect(done).toHaveLength(300);
    expect(done[41]).toEqual({ file: join(dir, 'd-filter-INPUT-rule42.pcapng'), frames: 3, what: 'filter/INPUT rule 42' });
    expect(readdirSync(dir)).toHaveLength(300);
    const got = await readAll(join(dir, 'd-filter-INPUT-rule42.pcapng'));
    expect(got.map((f) => f.tsNs)).toEqual([41, 42, 43].map((k) => frames[k % frames.length]!.tsNs));
    expect(got.map((f) => f.ifName)).toEqual(['eth0', 'eth0', 'eth1']);
    expect(Buffer.from(got[0]!.data)).toEqual(Buffer.from(frames[1]!.data));
    expect(readFileSync(join(dir, 'd-filter-INPUT-rule42.pcapng')).includes(Buffer.from('filter/INPUT rule 42'))).toBe(true);
  });

  it('writes classic pcap and creates nothing for causes without packets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cofw-split-'));
    const s = new SplitCaptures({ dir, stem: 'dropped', format: 'pcap' });
    const f = s.file('stack-IP_CSUM', 'stack: IP_CSUM');
    const frames = sampleFrames();
    f.write({ ...frames[0]!, comment: 'x' });
    expect(existsSync(f.file)).toBe(false); // gathered, not yet written
    s.close();
    expect(readFileSync(f.file).readUInt32LE(0)).toBe(0xa1b2c3d4);
    const got = await readAll(f.file);
    expect(got).toHaveLength(1);
    expect(got[0]!.tsNs).toBe((frames[0]!.tsNs / 1000n) * 1000n);
    expect(readdirSync(dir)).toEqual(['dropped-stack-IP_CSUM.pcap']);
  });
});
