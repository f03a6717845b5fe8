/**
 * Input files read whole, up to a size no real one reaches.
 *
 * A rule file or a machine file is read into memory at once; one far
 * larger than any real one (a wrong path to a disk image, a log, a
 * never-ending pipe) would take the machine's memory before anything
 * could be said about it. readInputText refuses it instead: a regular file
 * by its size, before a byte is read; anything else (a pipe, a device) as
 * soon as more than the limit has come.
 *
 * @example
 * const text = readInputText('rules.v4', 64 * MiB); // InputTooLargeError past 64 MiB
 */
import fs from 'node:fs';

export const MiB = 1024 * 1024;

/** A file over its limit: `size` is its size, or undefined when it is not a regular file (then more than `limit` came). */
export class InputTooLargeError extends Error {
  override readonly name = 'InputTooLargeError';
  constructor(
    readonly path: string,
    readonly size: number | undefined,
    readonly limit: number,
  ) {
    super(`${path}: ${size === undefined ? `more than ${sizeText(limit)}` : sizeText(size)}, over the limit of ${sizeText(limit)}`);
  }
}

/** A size in the unit a person reads it in: bytes, KiB or MiB with one decimal. */
export function sizeText(bytes: number): string {
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(1).replace(/\.0$/, '')} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
  return `${bytes} bytes`;
}

/** The file's text (UTF-8, as readFileSync decodes it), or InputTooLargeError past `limit` bytes. Other errors are fs's. */
export function readInputText(path: string, limit: number): string {
  const fd = fs.openSync(path, 'r');
  try {
    const st = fs.fstatSync(fd);
    if (st.isFile() && st.size > limit) throw new InputTooLargeError(path, st.size, limit);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(MiB, limit + 1 - total));
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(n === buf.length ? buf : buf.subarray(0, n));
      total += n;
      if (total > limit) throw new InputTooLargeError(path, st.isFile() ? total : undefined, limit);
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}
