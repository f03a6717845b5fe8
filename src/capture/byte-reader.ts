/**
 * Streaming input for the capture readers: the file (gunzipped when it is
 * gzip) read in 64 KiB chunks, with just enough buffering to hand out one
 * record at a time. Memory stays bounded by the largest record.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { gunzip } from './gunzip.js';

/** A capture's bytes, and the error that ended them early, if one did (gzip: see gunzip.ts). */
export interface ByteStream {
  readonly stream: Readable;
  /** Set once the stream has ended, when something went wrong after its last byte (a gzip check, the bomb guard). */
  endError(): Error | undefined;
}

/**
 * Opens the byte stream of a capture: the file (in pieces of `piece` bytes), or its decompressed contents
 * (read 64 KiB at a time, the steps in which the bomb guard watches the ratio).
 */
export function openByteStream(file: string, gzip: boolean, piece = 64 * 1024): ByteStream {
  const src = createReadStream(file, { highWaterMark: gzip ? 64 * 1024 : piece });
  if (!gzip) return { stream: src, endError: () => undefined };
  return gunzip(src);
}

export class ByteReader {
  private readonly it: AsyncIterator<Buffer>;
  private chunks: Buffer[] = [];
  private avail = 0;
  /** Absolute offset of the next unread byte. */
  pos = 0;
  private ended = false;
  /** The stream's error (e.g. damaged gzip data), once it ended with one. */
  error: Error | undefined;

  private readonly stream: Readable;

  constructor(private readonly source: ByteStream) {
    this.stream = source.stream;
    this.it = this.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** Bytes buffered and not consumed. */
  get available(): number {
    return this.avail;
  }

  /** Makes at least `n` bytes available; false when the stream ends first. */
  async fill(n: number): Promise<boolean> {
    while (this.avail < n && !this.ended) {
      let r: IteratorResult<Buffer>;
      try {
        r = await this.it.next();
      } catch (e) {
        this.error = e instanceof Error ? e : new Error(String(e));
        this.ended = true;
        break;
      }
      if (r.done) {
        this.ended = true;
        this.error = this.source.endError();
        break;
      }
      if (r.value.length) {
        this.chunks.push(r.value);
        this.avail += r.value.length;
      }
    }
    return this.avail >= n;
  }

  /** Consumes `n` available bytes: a view into a chunk when possible, else a copy. */
  read(n: number): Uint8Array {
    if (n > this.avail) throw new RangeError(`read(${n}) with only ${this.avail} bytes available`);
    this.pos += n;
    this.avail -= n;
    const first = this.chunks[0];
    if (first && first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return out;
    }
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const c = this.chunks[0]!;
      const take = Math.min(c.length, n - o);
      out.set(c.subarray(0, take), o);
      o += take;
      if (take === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(take);
    }
    return out;
  }

  /** Looks at available bytes without consuming them (copy when split over chunks). */
  peek(n: number): Uint8Array {
    const first = this.chunks[0];
    if (first && first.length >= n) return first.subarray(0, n);
    const out = new Uint8Array(Math.min(n, this.avail));
    let o = 0;
    for (const c of this.chunks) {
      if (o >= out.length) break;
      const take = Math.min(c.length, out.length - o);
      out.set(c.subarray(0, take), o);
      o += take;
    }
    return out;
  }

  close(): void {
    this.stream.destroy();
  }
}
