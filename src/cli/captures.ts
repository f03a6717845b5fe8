/**
 * Captures that are not regular files: `-` (standard input, as tcpdump
 * users write `tcpdump -w - | cofw replay - ...`), a named pipe (FIFO) or a
 * character device. The capture readers read a file twice when the machine
 * is guessed and look at its first bytes before reading it, which a pipe
 * cannot do, so such a capture is first copied to a temporary file (in
 * TMPDIR) and read from there; messages name it as the user did. Standard
 * input redirected from a regular file (`cofw replay - < x.pcap`) is read
 * in place.
 *
 * Copying stops at the first bytes when they are not a capture (the reader
 * then says what they are), and when `signal` is aborted (an interrupt):
 * what came until then is replayed.
 *
 * @example
 * const c = await prepareCaptures(['-', 'b.pcap'], signal);
 * try { await replay({ captures: c.paths, ... }); } finally { c.cleanup(); }
 */
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { reasonText } from '../io/output-file.js';
import { InputError } from './errors.js';

/** What messages call standard input. */
export const STDIN_NAME = 'standard input';

export interface PreparedCaptures {
  /** The paths the readers open, in the order given. */
  paths: string[];
  /** `text` with every temporary path replaced by the name the user gave. */
  shown(text: string): string;
  /** The captures whose copying an interrupt cut short (as the user named them). */
  cut: string[];
  /** Removes the temporary copies. */
  cleanup(): void;
}

/** The first bytes of a pcap (either byte order, micro- or nanoseconds), a pcapng or a gzip file. */
function looksLikeCapture(b: Uint8Array): boolean {
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return true;
  if (b.length < 4) return true;
  const m = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  return [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a].includes(m);
}

/** Copies `src` into `to` until it ends, its first bytes are not a capture, or `signal` aborts. True when cut by the signal. */
function copy(src: Readable, to: string, name: string, signal: AbortSignal): Promise<boolean> {
  const fd = openSync(to, 'wx', 0o600);
  let head: Buffer = Buffer.alloc(0);
  let checked = false;
  return new Promise<boolean>((resolve, reject) => {
    const done = (cut: boolean, err?: unknown): void => {
      src.off('data', onData);
      src.off('end', onEnd);
      src.off('error', onError);
      signal.removeEventListener('abort', onAbort);
      src.destroy();
      try {
        closeSync(fd);
      } catch {
        // closed already
      }
      if (err === undefined) resolve(cut);
      else reject(err instanceof Error ? err : new Error(String(err)));
    };
    const onData = (chunk: Buffer): void => {
      try {
        for (let o = 0; o < chunk.length;) o += writeSync(fd, chunk, o, chunk.length - o);
      } catch (e) {
        done(false, new InputError(`${name}: cannot keep a copy of the capture in ${tmpdir()} (set TMPDIR to another folder): ${reasonText(e)}`, { cause: e }));
        return;
      }
      if (!checked) {
        head = Buffer.concat([head, chunk]);
        if (head.length >= 4) {
          checked = true;
          // Not a capture: the reader says what it is from these bytes.
          if (!looksLikeCapture(head)) done(false);
        }
      }
    };
    const onEnd = (): void => done(false);
    const onError = (e: Error): void => done(false, new InputError(`${name}: cannot read the capture: ${reasonText(e)}`, { cause: e }));
    const onAbort = (): void => done(true);
    if (signal.aborted) {
      done(true);
      return;
    }
    src.on('data', onData);
    src.on('end', onEnd);
    src.on('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Makes every capture readable as a file (see the module comment). Throws
 * InputError for standard input on a terminal.
 */
export async function prepareCaptures(
  captures: string[],
  signal: AbortSignal,
  stdin: Readable & { isTTY?: boolean } = process.stdin,
): Promise<PreparedCaptures> {
  const names = new Map<string, string>();
  const cut: string[] = [];
  let dir: string | undefined;
  const cleanup = (): void => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  };
  const spoolPath = (name: string): string => {
    dir ??= mkdtempSync(join(tmpdir(), 'cofw-'));
    return join(dir, `${names.size + 1}-${basename(name) === '-' ? 'stdin' : basename(name)}`);
  };
  const paths: string[] = [];
  try {
    for (const c of captures) {
      if (c === '-') {
        if (stdin.isTTY)
          throw new InputError(
            `- (${STDIN_NAME}) is a terminal, not a capture: pipe one in (tcpdump -w - ... | cofw replay - ...) or redirect one (cofw replay - < capture.pcap)`,
          );
        const st = fstatSync(0);
        // A file redirected to standard input is read in place (Linux names it /proc/self/fd/0).
        if (st.isFile() && existsSync('/proc/self/fd/0')) {
          names.set('/proc/self/fd/0', STDIN_NAME);
          paths.push('/proc/self/fd/0');
          continue;
        }
        const to = spoolPath(c);
        names.set(to, STDIN_NAME);
        if (await copy(stdin, to, STDIN_NAME, signal)) cut.push(c);
        paths.push(to);
        continue;
      }
      let st;
      try {
        st = statSync(c);
      } catch {
        paths.push(c); // the reader names what is wrong
        continue;
      }
      if (st.isFIFO() || st.isCharacterDevice() || st.isSocket()) {
        const to = spoolPath(c);
        names.set(to, c);
        if (await copy(createReadStream(c, { highWaterMark: 64 * 1024 }), to, c, signal)) cut.push(c);
        paths.push(to);
        continue;
      }
      paths.push(c);
    }
  } catch (e) {
    cleanup();
    throw e;
  }
  const shown = (text: string): string => {
    let t = text;
    for (const [path, name] of names) t = t.split(path).join(name);
    return t;
  };
  return { paths, shown, cut, cleanup };
}
