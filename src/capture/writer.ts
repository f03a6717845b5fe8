/**
 * Capture output: classic pcap (microsecond, little-endian, Ethernet) or
 * pcapng (one section, one Interface Description Block per distinct
 * interface name at its first use, nanosecond timestamps, comments and
 * direction on the Enhanced Packet Block). Records are gathered in a
 * 1 MiB buffer and written out as it fills, so the whole capture is never
 * held in memory: into a temporary file, in the background (on libuv's
 * threads) while records go on into a second buffer; when that one fills
 * first, at once (OutputFile.writeLater).
 *
 * The capture is written to a temporary file beside its name and renamed
 * into place when it is closed (src/io/output-file.ts), so an earlier file
 * of that name is never left half overwritten: a failed or abandoned
 * capture leaves it as it was.
 */
import { OutputFiles, type OutputFile } from '../io/output-file.js';
import { pcapHeader, pcapRecord, LINKTYPE_ETHERNET } from './pcap-write.js';
import { bigintNs, nsecOfBigint, secOfBigint, setNsHiLo } from './timestamp.js';

/**
 * One record to write. Its time is `tsSec` and `tsNsec` (seconds since 1970
 * and nanoseconds in that second, ordinary numbers, as CaptureFrame has
 * them) or, when `tsSec` is absent, `tsNs` (one BigInt of nanoseconds).
 */
export interface CaptureRecord {
  tsNs?: bigint;
  tsSec?: number;
  tsNsec?: number;
  data: Uint8Array;
  origLen?: number;
  comment?: string;
  ifName?: string;
  direction?: 'in' | 'out';
}

export interface CaptureWriter {
  /** The capture's name (where it is put when complete). */
  readonly path: string;
  /**
   * Appends a record. The record and its `data` are the caller's and valid
   * during the call only (`data` may be a view into a buffer the caller
   * reuses): a writer that keeps them copies them.
   */
  write(f: CaptureRecord): void;
  /**
   * Writes out what is left and puts the capture in place (or, opened in a
   * set of outputs, finishes it for the set's commit). In pcapng,
   * `sectionComment` becomes the section's comment (shb_comment), as when a
   * capture holds only part of a run; pcap has no place for it. The sync to
   * the disk runs on one of libuv's threads: captures closed together are
   * synced at the same time.
   */
  close(opts?: { sectionComment?: string }): Promise<void>;
  /** Abandons the capture: nothing is put in place, an earlier file of that name stays as it was. */
  abort(): void;
  /** Starts the capture again, empty (a replay done again); false when it cannot (written in place, to a pipe). */
  restart?(): boolean;
}

const FLUSH_AT = 1024 * 1024;
/** Record buffers of one capture: one being filled, the other being written out in the background. */
const BUFFERS = 2;
/** Most comments whose UTF-8 bytes a writer keeps (a run's drop sites and reasons are far fewer). */
const COMMENTS_KEPT = 1024;
const pad4 = (n: number): number => (n + 3) & ~3;

/** One pcapng option (code, value) with its padding. */
export function pcapngOption(code: number, value: Uint8Array, le = true): Uint8Array {
  const b = new Uint8Array(4 + pad4(value.length));
  const dv = new DataView(b.buffer);
  dv.setUint16(0, code, le);
  dv.setUint16(2, value.length, le);
  b.set(value, 4);
  return b;
}

/** A pcapng block: type, length, body, options (ended by opt_endofopt when any), length. */
export function pcapngBlock(type: number, body: Uint8Array, opts: Uint8Array[] = [], le = true): Uint8Array {
  const optLen = opts.length ? opts.reduce((s, o) => s + o.length, 0) + 4 : 0;
  const len = 12 + pad4(body.length) + optLen;
  const b = new Uint8Array(len);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, type, le);
  dv.setUint32(4, len, le);
  b.set(body, 8);
  let o = 8 + pad4(body.length);
  for (const opt of opts) {
    b.set(opt, o);
    o += opt.length;
  }
  dv.setUint32(len - 4, len, le);
  return b;
}

const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

/** Section Header Block (little-endian, version 1.0, unknown section length, shb_userappl, and shb_comment when given). */
export function pcapngSectionHeader(le = true, comment?: string): Uint8Array {
  const body = new Uint8Array(16);
  const dv = new DataView(body.buffer);
  dv.setUint32(0, 0x1a2b3c4d, le);
  dv.setUint16(4, 1, le);
  dv.setUint16(6, 0, le);
  dv.setBigInt64(8, -1n, le);
  const opts = comment === undefined ? [] : [pcapngOption(1, utf8(comment), le)];
  opts.push(pcapngOption(4, utf8('cofw'), le));
  return pcapngBlock(0x0a0d0d0a, body, opts, le);
}

/** Interface Description Block: link type, snaplen (0 = no limit), if_name, if_tsresol. */
export function pcapngInterface(
  linkType: number,
  opts: { name?: string; tsresol?: number; snaplen?: number; tsoffsetSec?: bigint } = {},
  le = true,
): Uint8Array {
  const body = new Uint8Array(8);
  const dv = new DataView(body.buffer);
  dv.setUint16(0, linkType, le);
  dv.setUint32(4, opts.snaplen ?? 0, le);
  const o: Uint8Array[] = [];
  if (opts.name !== undefined) o.push(pcapngOption(2, utf8(opts.name), le));
  if (opts.tsresol !== undefined) o.push(pcapngOption(9, Uint8Array.of(opts.tsresol), le));
  if (opts.tsoffsetSec !== undefined) {
    const v = new Uint8Array(8);
    new DataView(v.buffer).setBigInt64(0, opts.tsoffsetSec, le);
    o.push(pcapngOption(14, v, le));
  }
  return pcapngBlock(1, body, o, le);
}

/** Enhanced Packet Block with a timestamp already in the interface's units. */
export function pcapngPacket(
  ifId: number,
  tsUnits: bigint,
  data: Uint8Array,
  origLen = data.length,
  opts: { comment?: string; direction?: 'in' | 'out' } = {},
  le = true,
): Uint8Array {
  const body = new Uint8Array(20 + data.length);
  const dv = new DataView(body.buffer);
  dv.setUint32(0, ifId, le);
  dv.setUint32(4, Number((tsUnits >> 32n) & 0xffffffffn), le);
  dv.setUint32(8, Number(tsUnits & 0xffffffffn), le);
  dv.setUint32(12, data.length, le);
  dv.setUint32(16, origLen, le);
  body.set(data, 20);
  const o: Uint8Array[] = [];
  if (opts.comment !== undefined) o.push(pcapngOption(1, utf8(opts.comment), le));
  if (opts.direction) {
    const v = new Uint8Array(4);
    new DataView(v.buffer).setUint32(0, opts.direction === 'in' ? 1 : 2, le);
    o.push(pcapngOption(2, v, le));
  }
  return pcapngBlock(6, body, o, le);
}

/**
 * Capture records written straight into one buffer, byte for byte as
 * `pcapRecord` and `pcapngPacket` build them (writer.test.ts compares
 * them), without an object per record, and timestamps given as seconds
 * and nanoseconds (no BigInt). `pcap` and `epb` return false, writing nothing, for what they
 * leave to those functions: a record that does not fit, a timestamp before
 * 1970, a comment longer than an option holds.
 */
export class RecordWriter {
  buf: Buffer;
  /** The buffer's fields are stored through this view (no range checks, unlike Buffer.writeUInt32LE). */
  private view: DataView;
  pos = 0;
  // Comments' UTF-8 bytes: a drop site's comment repeats for every frame it drops (at most COMMENTS_KEPT kept).
  private readonly comments = new Map<string, Uint8Array>();

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  /** Goes on in `buf` (of the same size), from its start: the buffer written so far is being written out. */
  swap(buf: Buffer): void {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.length);
    this.pos = 0;
  }

  /** Do `n` more bytes fit? */
  fits(n: number): boolean {
    return this.pos + n <= this.buf.length;
  }

  /** At most how many bytes an Enhanced Packet Block of `dataLength` bytes with `comment` takes. */
  static epbBound(dataLength: number, comment: string | undefined): number {
    return 32 + dataLength + 3 + (comment === undefined ? 0 : 8 + comment.length * 3) + 12;
  }

  bytes(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** A classic pcap record (microseconds, little-endian), at `sec` seconds and `nsec` nanoseconds since 1970. */
  pcap(sec: number, nsec: number, data: Uint8Array, origLen: number): boolean {
    const n = data.length;
    const p = this.pos;
    if (sec < 0 || p + 16 + n > this.buf.length) return false;
    if (sec > 0xffffffff) {
      // pcap's seconds are 32 bits: a later time is written as the last one it holds (2106), never wrapped.
      sec = 0xffffffff;
      nsec = 999_999_999;
    }
    const v = this.view;
    v.setUint32(p, sec, true);
    v.setUint32(p + 4, Math.floor(nsec / 1000), true);
    v.setUint32(p + 8, n, true);
    v.setUint32(p + 12, origLen, true);
    this.buf.set(data, p + 16);
    this.pos = p + 16 + n;
    return true;
  }

  /** An Enhanced Packet Block, timestamp in nanoseconds (the interface's if_tsresol 9), with a comment and a direction when given. */
  epb(ifId: number, sec: number, nsec: number, data: Uint8Array, origLen: number, comment: string | undefined, direction: 'in' | 'out' | undefined): boolean {
    // 0 to 2^64 - 1 ns: 18,446,744,073.709551615 s.
    if (sec < 0 || sec > 18_446_744_073 || (sec === 18_446_744_073 && nsec > 709_551_615)) return false;
    if (comment !== undefined && comment.length * 3 > 0xffff) return false;
    if (!this.fits(RecordWriter.epbBound(data.length, comment))) return false;
    const b = this.buf;
    const v = this.view;
    const n = data.length;
    const start = this.pos;
    v.setUint32(start, 6, true);
    v.setUint32(start + 8, ifId, true);
    setNsHiLo(v, start + 12, sec, nsec);
    v.setUint32(start + 20, n, true);
    v.setUint32(start + 24, origLen, true);
    // The data's padding to 4 bytes is zeroed first (the word the data ends in), then the data is copied over it.
    let p = start + 28 + ((n + 3) & ~3);
    if (n > 0) v.setUint32(p - 4, 0, true);
    b.set(data, start + 28);
    if (comment !== undefined || direction) {
      if (comment !== undefined) {
        let c = this.comments.get(comment);
        if (c === undefined) {
          if (this.comments.size >= COMMENTS_KEPT) this.comments.clear();
          this.comments.set(comment, (c = Buffer.from(comment, 'utf8')));
        }
        const m = c.length;
        v.setUint16(p, 1, true);
        v.setUint16(p + 2, m, true);
        p += 4;
        const padded = p + ((m + 3) & ~3);
        if (m > 0) v.setUint32(padded - 4, 0, true);
        b.set(c, p);
        p = padded;
      }
      if (direction) {
        v.setUint16(p, 2, true);
        v.setUint16(p + 2, 4, true);
        v.setUint32(p + 4, direction === 'in' ? 1 : 2, true);
        p += 8;
      }
      v.setUint32(p, 0, true);
      p += 4;
    }
    const len = p + 4 - start;
    v.setUint32(start + 4, len, true);
    v.setUint32(p, len, true);
    this.pos = p + 4;
    return true;
  }
}

/** The format of an output capture: `format`, else by its name (`.pcapng` is pcapng, anything else pcap). */
export function captureFormatFor(path: string, format?: 'pcap' | 'pcapng'): 'pcap' | 'pcapng' {
  return format ?? (/\.pcapng$/i.test(path) ? 'pcapng' : 'pcap');
}

export interface CaptureWriterOptions {
  format?: 'pcap' | 'pcapng';
  /**
   * The set of outputs the capture belongs to: it is then opened there and
   * `close` only finishes it; the set's owner puts it in place
   * (`files.commit()`) or abandons it with the rest. Without it, `close`
   * puts the capture in place at once.
   */
  files?: OutputFiles;
  /** How messages name the output (a command-line option such as `--dropped`). */
  option?: string;
}

/**
 * Opens an output capture: format from `format` or the extension
 * (.pcapng -> pcapng, else pcap). In pcapng one IDB per distinct ifName
 * (first use), comments as opt_comment on the EPB; in pcap comments,
 * interface names and directions are dropped. The file is created (as a
 * temporary file beside `path`) at once, so a folder that is missing or not
 * writable fails here, with an OutputError; so does a write that fails
 * later (a full disk), from `write` or `close`.
 *
 * @example
 * const w = openCaptureWriter('dropped.pcapng');
 * w.write({ tsNs: 1_700_000_000_000_000_000n, data: frame, ifName: 'eth0', comment: 'filter/INPUT rule 3' });
 * await w.close();
 */
export function openCaptureWriter(path: string, opts: CaptureWriterOptions = {}): CaptureWriter {
  const format = captureFormatFor(path, opts.format);
  const own = !opts.files;
  const files = opts.files ?? new OutputFiles();
  const out: OutputFile = files.open(path, opts.option);
  /** The header at the start of the file, until it is written out (then it can only be rewritten). */
  let head: Uint8Array | null = format === 'pcapng' ? pcapngSectionHeader() : pcapHeader(LINKTYPE_ETHERNET);
  const headerLength = head.length;
  // Everything after the header is written straight into `rec` (no object per record).
  const rec = new RecordWriter(FLUSH_AT + 128 * 1024);
  const ifIds = new Map<string, number>();
  let closed = false;
  // Buffers written out in the background and given back (OutputFile.writeLater), and how many there are.
  const spare: Buffer[] = [];
  let buffers = 1;
  /**
   * Writes out what the buffer holds: in the background (`later`) while
   * records go on into another buffer, when one is free; else at once, and
   * the buffer is reused without a copy.
   */
  const flush = (later = true): void => {
    if (head === null && rec.pos === 0) return;
    const body = rec.buf.subarray(0, rec.pos);
    if (head !== null) {
      out.write(Buffer.concat([head, body]));
      head = null;
      rec.pos = 0;
      return;
    }
    if (later) {
      const next = spare.pop() ?? (buffers < BUFFERS ? (buffers++, Buffer.allocUnsafe(rec.buf.length)) : undefined);
      if (next) {
        const full = rec.buf;
        rec.swap(next);
        out.writeLater(body, () => spare.push(full));
        return;
      }
    }
    out.write(body);
    rec.pos = 0;
  };
  /** Bytes built elsewhere (an interface block, a record too large for the buffer), in order. */
  const push = (b: Uint8Array): void => {
    if (!rec.fits(b.length)) flush();
    if (rec.fits(b.length)) rec.bytes(b);
    else {
      flush();
      out.write(b);
    }
  };
  const abort = (): void => {
    closed = true;
    rec.pos = 0;
    if (own) files.discard();
    else out.discard();
  };
  return {
    path,
    write(f) {
      if (closed) throw new Error(`${path}: write after close`);
      const origLen = f.origLen ?? f.data.length;
      let sec: number;
      let nsec: number;
      if (f.tsSec !== undefined) {
        sec = f.tsSec;
        nsec = f.tsNsec ?? 0;
      } else {
        sec = secOfBigint(f.tsNs ?? 0n);
        nsec = nsecOfBigint(f.tsNs ?? 0n);
      }
      if (format === 'pcap') {
        if (!rec.fits(16 + f.data.length)) flush();
        if (!rec.pcap(sec, nsec, f.data, origLen)) push(pcapRecord(f.tsSec !== undefined ? bigintNs(sec, nsec) : (f.tsNs ?? 0n), f.data, origLen));
      } else {
        const key = f.ifName ?? '';
        let id = ifIds.get(key);
        if (id === undefined) {
          id = ifIds.size;
          ifIds.set(key, id);
          push(pcapngInterface(LINKTYPE_ETHERNET, f.ifName === undefined ? { tsresol: 9 } : { name: f.ifName, tsresol: 9 }));
        }
        if (!rec.fits(RecordWriter.epbBound(f.data.length, f.comment))) flush();
        if (!rec.epb(id, sec, nsec, f.data, origLen, f.comment, f.direction)) {
          const o: { comment?: string; direction?: 'in' | 'out' } = {};
          if (f.comment !== undefined) o.comment = f.comment;
          if (f.direction) o.direction = f.direction;
          push(pcapngPacket(id, f.tsSec !== undefined ? bigintNs(sec, nsec) : (f.tsNs ?? 0n), f.data, origLen, o));
        }
      }
      if (rec.pos >= FLUSH_AT) flush();
    },
    async close(o = {}) {
      if (closed) return;
      closed = true;
      try {
        if (format === 'pcapng' && o.sectionComment !== undefined) {
          const commented = pcapngSectionHeader(true, o.sectionComment);
          if (head !== null) head = commented;
          else {
            flush(false);
            await out.settle();
            out.rewriteHead(headerLength, commented);
          }
        }
        flush(false);
        // Synced on one of libuv's threads (the other outputs of the run may be synced meanwhile).
        await out.finishLater();
        if (own) files.commit();
      } catch (e) {
        if (own) files.discard();
        else out.discard();
        throw e instanceof Error ? e : new Error(String(e));
      }
    },
    abort,
    restart() {
      if (closed || out.inPlace) return false;
      rec.pos = 0;
      ifIds.clear();
      if (!out.restart()) return false;
      head = format === 'pcapng' ? pcapngSectionHeader() : pcapHeader(LINKTYPE_ETHERNET);
      return true;
    },
  };
}
