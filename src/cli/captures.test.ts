/**
 * Captures that are not files: standard input on a terminal is refused with
 * a message; a copy stops at first bytes that are not a capture (so an
 * endless stream such as /dev/zero is not copied whole) and where an
 * interrupt comes; messages name the copies as the user named the capture;
 * the copies are removed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InputError } from './errors.js';
import { prepareCaptures, STDIN_NAME } from './captures.js';

const SAMPLE = join(import.meta.dirname, '..', '..', 'pcaps', 'sample.pcap');

/**
 * A stream that gives `chunk` again and again, at most `max` times (a bound,
 * so that a failing test cannot fill the disk), each after a turn of the
 * event loop as a pipe would; it counts how many it gave.
 */
function endless(chunk: Buffer, max: number): Readable & { given: number } {
  const s = new Readable({
    read() {
      if (s.given >= max) {
        this.push(null);
        return;
      }
      s.given++;
      setImmediate(() => this.push(chunk));
    },
  }) as Readable & { given: number };
  s.given = 0;
  return s;
}

describe('prepareCaptures', () => {
  it('refuses standard input on a terminal', async () => {
    const tty = Object.assign(Readable.from([]), { isTTY: true });
    const e = await prepareCaptures(['-'], new AbortController().signal, tty).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toMatch(/^- \(standard input\) is a terminal, not a capture: pipe one in/);
  });

  it('copies a capture from a stream, names it as standard input, and removes the copy', async () => {
    const bytes = readFileSync(SAMPLE);
    const c = await prepareCaptures(['-'], new AbortController().signal, Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]));
    expect(c.paths).toHaveLength(1);
    const copy = c.paths[0]!;
    if (copy !== '/proc/self/fd/0') expect(readFileSync(copy)).toEqual(bytes);
    expect(c.shown(`${copy}, record 3 at byte 40: cut short`)).toBe(`${STDIN_NAME}, record 3 at byte 40: cut short`);
    expect(c.cut).toEqual([]);
    c.cleanup();
    if (copy !== '/proc/self/fd/0') expect(existsSync(dirname(copy))).toBe(false);
  });

  it('stops copying at first bytes that are not a capture (an endless stream of zeros)', async () => {
    const zeros = endless(Buffer.alloc(65536), 100);
    const c = await prepareCaptures(['-'], new AbortController().signal, zeros);
    expect(zeros.given).toBeLessThan(4);
    c.cleanup();
  });

  it('an interrupt ends the copy where it is; what came is kept', async () => {
    const head = readFileSync(SAMPLE).subarray(0, 4096);
    const stream = endless(head, 20_000);
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort('SIGINT'), 50);
    const c = await prepareCaptures(['-'], ctrl.signal, stream);
    expect(c.cut).toEqual(['-']);
    expect(stream.given).toBeGreaterThan(0);
    expect(stream.given).toBeLessThan(20_000);
    expect(readFileSync(c.paths[0]!).length).toBeGreaterThan(0);
    c.cleanup();
  });
});
