/**
 * gzip decompression for capture input, as `zcat` does it: the members of
 * the file one after another (RFC 1952), each checked against its CRC-32
 * and length. Where Node's own gunzip stream throws away the last bytes of
 * a member whose check fails, this one delivers all of them first and then
 * fails with GzipCheckError, as zcat writes the data and then warns.
 *
 * A guard stops a decompression bomb: once more than GZIP_RATIO_FLOOR
 * bytes have come out, output more than GZIP_RATIO_LIMIT times the
 * compressed bytes read fails with GzipBombError (deflate's own limit is
 * about 1032; real captures compress less than 20 times). What came out
 * before is delivered.
 *
 * @example
 * const stream = gunzip(createReadStream('capture.pcap.gz'));
 * for await (const chunk of stream) use(chunk);
 */
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';

/** Output more than this many times the compressed input is a decompression bomb... */
export const GZIP_RATIO_LIMIT = 200;
/** ...once the output is larger than this (bytes): small files are never stopped. */
export const GZIP_RATIO_FLOOR = 16 * 1024 * 1024;
/** A gzip member header longer than this (its name or comment never ends) is not a gzip header. */
const MAX_HEADER = 1024 * 1024;

/** A member's CRC-32 or length does not match its data (the data was delivered). */
export class GzipCheckError extends Error {
  override readonly name = 'GzipCheckError';
  constructor(
    message: string,
    /** Byte offset of the member's trailer in the compressed file. */
    readonly offset: number,
  ) {
    super(message);
  }
}

/** The output outgrew the input beyond GZIP_RATIO_LIMIT: decompression stopped. */
export class GzipBombError extends Error {
  override readonly name = 'GzipBombError';
  constructor(
    message: string,
    /** Compressed bytes read and bytes delivered when it stopped. */
    readonly compressed: number,
    readonly expanded: number,
  ) {
    super(message);
  }
}

export interface GzipGuard {
  /** Largest output / input ratio (default GZIP_RATIO_LIMIT). */
  ratio?: number;
  /** Output size below which the ratio is not checked (default GZIP_RATIO_FLOOR). */
  floor?: number;
}

// CRC-32 (IEEE 802.3, as gzip): zlib's own where Node has it (20.15 and later).
let table: Uint32Array | undefined;
function crc32js(b: Uint8Array, crc: number): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = ~crc;
  for (let i = 0; i < b.length; i++) c = table[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
const zcrc = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
export const crc32: (b: Uint8Array, crc: number) => number = typeof zcrc === 'function' ? (b, c) => zcrc(b, c) >>> 0 : crc32js;

/**
 * The length of the gzip member header at the start of `b`: a number, 0
 * when `b` does not hold all of it yet, or an error text when it is not a
 * gzip header zcat would read.
 */
export function gzipHeaderLength(b: Uint8Array): number | string {
  if (b.length >= 1 && b[0] !== 0x1f) return 'not in gzip format';
  if (b.length >= 2 && b[1] !== 0x8b) return 'not in gzip format';
  if (b.length >= 3 && b[2] !== 8) return `unknown compression method ${b[2]}`;
  if (b.length >= 4 && b[3]! & 0xe0) return `unknown header flags 0x${b[3]!.toString(16)}`;
  if (b.length < 10) return 0;
  const flg = b[3]!;
  let o = 10;
  if (flg & 4) {
    if (b.length < o + 2) return 0;
    o += 2 + (b[o]! | (b[o + 1]! << 8));
  }
  for (const bit of [8, 16]) {
    if (!(flg & bit)) continue;
    const z = b.indexOf(0, o);
    if (z < 0) return b.length > MAX_HEADER ? 'a gzip header whose name or comment never ends' : 0;
    o = z + 1;
  }
  if (flg & 2) o += 2;
  if (b.length < o) return b.length > MAX_HEADER ? 'a gzip header longer than 1 MiB' : 0;
  return o;
}

/** Chunks from a stream, with bytes put back and a count of what was taken. */
class Source {
  private readonly it: AsyncIterator<Buffer>;
  private back: Buffer[] = [];
  private eof = false;
  /** Bytes taken from the stream so far (put-back bytes count once). */
  taken = 0;
  /** Offset in the stream of the next byte `next` returns. */
  pos = 0;

  constructor(stream: Readable) {
    this.it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** The next chunk, or undefined at the end. */
  async next(): Promise<Buffer | undefined> {
    let c = this.back.pop();
    if (!c) {
      if (this.eof) return undefined;
      for (;;) {
        const r = await this.it.next();
        if (r.done) {
          this.eof = true;
          return undefined;
        }
        if (r.value.length) {
          c = r.value;
          this.taken += c.length;
          break;
        }
      }
    }
    this.pos += c.length;
    return c;
  }

  unshift(b: Buffer): void {
    if (!b.length) return;
    this.back.push(b);
    this.pos -= b.length;
  }

  /** At least `n` bytes (or all that is left) as one buffer; the rest stays. */
  async gather(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const c = await this.next();
      if (!c) break;
      parts.push(c);
      have += c.length;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}

/** Writes `chunk` into the inflater and waits until it has been processed. */
function write(inf: zlib.InflateRaw, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    inf.write(chunk, (e) => (e ? reject(e) : resolve()));
  });
}

async function* members(stream: Readable, guard: Required<GzipGuard>): AsyncGenerator<Buffer> {
  const src = new Source(stream);
  let out = 0;
  try {
    for (let member = 0; ; member++) {
      // The member header (or, after the first member, the end or trailing garbage, ignored as gzip does).
      let head: Buffer = Buffer.alloc(0);
      let hlen: number | string = 0;
      while (hlen === 0) {
        const c = await src.next();
        if (!c) break;
        head = head.length ? Buffer.concat([head, c]) : c;
        hlen = gzipHeaderLength(head);
      }
      if (member > 0 && (head.length < 2 || head[0] !== 0x1f || head[1] !== 0x8b)) return;
      if (typeof hlen === 'string') throw new Error(hlen);
      if (hlen === 0) throw new Error('unexpected end of file');
      const memberAt = src.pos - head.length;
      src.unshift(head.subarray(hlen));

      // The deflate data: written in order, one chunk at a time; the inflater stops at its end,
      // and what it did not take (the trailer, the next member) goes back to the source.
      const inf = zlib.createInflateRaw({ chunkSize: 64 * 1024 });
      const pump = (async (): Promise<void> => {
        try {
          for (;;) {
            const c = await src.next();
            if (!c) {
              inf.end();
              return;
            }
            const before = inf.bytesWritten;
            await write(inf, c);
            const took = inf.bytesWritten - before;
            if (took < c.length) {
              src.unshift(c.subarray(took));
              if (!inf.writableEnded) inf.end();
              return;
            }
          }
        } catch (e) {
          inf.destroy(e instanceof Error ? e : new Error(String(e)));
          throw e;
        }
      })();
      pump.catch(() => undefined);
      let crc = 0;
      let size = 0;
      for await (const chunk of inf as AsyncIterable<Buffer>) {
        crc = crc32(chunk, crc);
        size += chunk.length;
        out += chunk.length;
        if (out > guard.floor && out > guard.ratio * src.taken)
          throw new GzipBombError(
            `the gzip data expands more than ${guard.ratio} times (${out} bytes from the first ${src.taken} compressed bytes): a decompression bomb, or a capture of the same bytes over and over`,
            src.taken,
            out - chunk.length,
          );
        yield chunk;
      }
      await pump;
      const trailerAt = src.pos;
      const t = await src.gather(8);
      if (t.length < 8) {
        src.unshift(t);
        throw new Error('unexpected end of file');
      }
      src.unshift(t.subarray(8));
      const wantCrc = t.readUInt32LE(0);
      const wantSize = t.readUInt32LE(4);
      if (wantCrc !== crc)
        throw new GzipCheckError(
          `the gzip member at byte ${memberAt} fails its CRC check (${crc.toString(16).padStart(8, '0')} computed, ${wantCrc.toString(16).padStart(8, '0')} recorded at byte ${trailerAt})`,
          trailerAt,
        );
      if (wantSize !== size % 2 ** 32)
        throw new GzipCheckError(
          `the gzip member at byte ${memberAt} has ${size} bytes but records ${wantSize} (length check at byte ${trailerAt + 4})`,
          trailerAt,
        );
    }
  } finally {
    stream.destroy();
  }
}

/**
 * The decompressed contents of a gzip stream (see the module comment). It
 * ends without an 'error' event: an error (damaged data, a check that
 * fails, the guard, the file's own read error) is kept in `endError()` and
 * the stream ends after every byte that came before it, so that nothing
 * decompressed is lost in a buffer when a stream errors.
 */
export function gunzip(stream: Readable, guard: GzipGuard = {}): { stream: Readable; endError(): Error | undefined } {
  const g = { ratio: guard.ratio ?? GZIP_RATIO_LIMIT, floor: guard.floor ?? GZIP_RATIO_FLOOR };
  let error: Error | undefined;
  async function* kept(): AsyncGenerator<Buffer> {
    try {
      yield* members(stream, g);
    } catch (e) {
      error = e instanceof Error ? e : new Error(String(e));
    }
  }
  return { stream: Readable.from(kept(), { objectMode: false, highWaterMark: 64 * 1024 }), endError: () => error };
}

/**
 * The start of a gzip file's decompressed contents, for a look at its
 * header: as much as the complete members in `b` and the start of the next
 * one give (checks not verified: they need the whole member). `complete`
 * when `b` was all decompressed to its last member's end.
 */
export function gunzipHead(b: Uint8Array, maxOutput: number): { data: Uint8Array; complete: boolean } {
  const parts: Buffer[] = [];
  let have = 0;
  let o = 0;
  for (let member = 0; o < b.length && have < maxOutput; member++) {
    const rest = b.subarray(o);
    if (member > 0 && (rest.length < 2 || rest[0] !== 0x1f || rest[1] !== 0x8b)) return { data: Buffer.concat(parts), complete: true };
    const hlen = gzipHeaderLength(rest);
    if (typeof hlen === 'string') throw new Error(hlen);
    if (hlen === 0) break;
    // A bomb expands past maxOutput: take less of its input until what comes out fits.
    let body = rest.subarray(hlen);
    let r: { buffer: Buffer; engine: { bytesWritten: number } };
    for (;;) {
      try {
        r = zlib.inflateRawSync(body, { finishFlush: zlib.constants.Z_SYNC_FLUSH, info: true, maxOutputLength: maxOutput - have }) as unknown as typeof r;
        break;
      } catch (e) {
        if (!(e instanceof RangeError) || body.length <= 64) throw e;
        body = body.subarray(0, body.length >> 1);
      }
    }
    parts.push(r.buffer);
    have += r.buffer.length;
    const end = o + hlen + r.engine.bytesWritten;
    if (r.engine.bytesWritten >= body.length || end + 8 > b.length) return { data: Buffer.concat(parts), complete: false };
    o = end + 8;
  }
  return { data: Buffer.concat(parts), complete: o === b.length };
}
