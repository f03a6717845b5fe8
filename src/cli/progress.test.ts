import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './main.js';
import { ReplayProgress, type ProgressStream } from './progress.js';

/** A terminal stand-in: collects what is written; `isTTY` as asked. */
function fakeTerminal(isTTY: boolean): { stream: ProgressStream; text: () => string } {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  }) as Writable & { isTTY?: boolean; columns?: number };
  stream.isTTY = isTTY;
  stream.columns = 120;
  return { stream, text: () => out };
}

/** Terminal escape sequences (cursor moves, line erases, save and restore) and carriage returns. */
// eslint-disable-next-line no-control-regex -- these are what a terminal is sent
const ESCAPES = /\r|\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g;
/** The last line drawn: the text after the last escape sequence or carriage return. */
const lastLine = (s: string): string => s.split(ESCAPES).filter(Boolean).at(-1) ?? '';
/** Ends with a line erase (and perhaps a cursor restore)? */
const endsCleared = (s: string): boolean => s.endsWith('\u001b[2K') || s.endsWith('\u001b[2K\u001b8');

const dir = mkdtempSync(join(tmpdir(), 'cofw-progress-'));
const a = join(dir, 'a.pcap');
const b = join(dir, 'b.pcap');
writeFileSync(a, Buffer.alloc(1000));
writeFileSync(b, Buffer.alloc(3000));

describe('ReplayProgress', () => {
  it('draws nothing when the stream is not a terminal', () => {
    const t = fakeTerminal(false);
    expect(ReplayProgress.start(t.stream, [a])).toBeUndefined();
    expect(t.text()).toBe('');
  });

  it('shows frames, frames/s, the share of the captures bytes read and an ETA, and clears its line', async () => {
    const t = fakeTerminal(true);
    const p = ReplayProgress.start(t.stream, [a, b])!;
    expect(p).toBeDefined();
    await new Promise((r) => setTimeout(r, 450));
    // Merged captures: the bytes read are each capture's last offset, added up.
    p.update(1024, { file: a, offset: 1000 });
    // (The line is redrawn at most 5 times a second.)
    await new Promise((r) => setTimeout(r, 450));
    p.update(2048, { file: b, offset: 1000 });
    const line = lastLine(t.text());
    expect(line).toMatch(/^cofw: \[=+-+\] 50% \| 2048 frames \| \d+ frames\/s \| ETA \S+$/);
    p.stop();
    // Cleared: the last thing written erases the line.
    expect(endsCleared(t.text())).toBe(true);
  });

  it('shows no percentage when a capture is compressed (its size does not tell the bytes to read)', async () => {
    const gz = join(dir, 'c.pcap.gz');
    writeFileSync(gz, gzipSync(Buffer.alloc(5000)));
    const t = fakeTerminal(true);
    const p = ReplayProgress.start(t.stream, [a, gz])!;
    await new Promise((r) => setTimeout(r, 450));
    p.update(4096, { file: gz, offset: 4000 });
    const line = lastLine(t.text());
    expect(line).toMatch(/^cofw: 4096 frames \| \d+ frames\/s$/);
    p.stop();
  });
});

describe('cofw replay on a terminal', () => {
  const root = join(import.meta.dirname, '../..');
  const args = ['replay', join(root, 'pcaps/sample.pcap'), '--rules', join(root, 'rules/sample.v4'), '--machine', join(root, 'machines/sample.yaml')];
  const wasTTY = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
  afterEach(() => {
    if (wasTTY) Object.defineProperty(process.stderr, 'isTTY', wasTTY);
    else delete (process.stderr as { isTTY?: boolean }).isTTY;
    vi.restoreAllMocks();
  });

  /** `cofw ...args` with stderr a terminal (a fake one): what it wrote there. */
  async function onTerminal(...extra: string[]): Promise<{ code: number; err: string }> {
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
    let err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((() => true) as typeof process.stdout.write);
    vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array) => ((err += String(chunk)), true)) as typeof process.stderr.write);
    const code = await main(['node', 'cofw', ...args, ...extra]);
    return { code, err };
  }

  it('shows its progress line and clears it at the end', async () => {
    const r = await onTerminal();
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/cofw: \[=+\] 100% \| 224 frames \| \d+ frames\/s/);
    expect(endsCleared(r.err)).toBe(true);
    // Nothing but the progress line was written.
    expect(r.err.split(ESCAPES).filter((l) => l && !l.startsWith('cofw: ['))).toEqual([]);
  });

  it('shows nothing with --quiet', async () => {
    const r = await onTerminal('-q');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
  });
});
