/**
 * Capture output: classic pcap (microsecond, little-endian, Ethernet) or
 * pcapng (one section, one Interface Description Block per distinct
 * interface name at its first use, nanosecond timestamps, comments and
 * direction on the Enhanced Packet Block). Records are gathered in a
 * 1 MiB buffer and written out as it fills, so the whole capture is never
 * held in memory.
 *
 * The capture is written to a temporary file beside its name and renamed
 * into place when it is closed (src/io/output-file.ts), so an earlier file
 * of that name is never left half overwritten: a failed or abandoned
 * capture leaves it as it was.
 */
import { OutputFiles, type OutputFile } from '../io/output-file.js';
import { pcapHeader, pcapRecord, LINKTYPE_ETHERNET } from './pcap-write.js';

export interface CaptureWriter {
  /** The capture's name (where it is put when complete). */
  readonly path: string;
  write(f: { tsNs: bigint; data: Uint8Array; origLen?: number; comment?: string; ifName?: string; direction?: 'in' | 'out' }): void;
  /**
   * Writes out what is left and puts the capture in place. In pcapng,
   * `sectionComment` becomes the section's comment (shb_comment), as when a
   * capture holds only part of a run; pcap has no place for it.
   */
  close(opts?: { sectionComment?: string }): Promise<void>;
  /** Abandons the capture: nothing is put in place, an earlier file of that name stays as it was. */
  abort(): void;
}

const FLUSH_AT = 1024 * 1024;
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
  const parts: Uint8Array[] = [];
  let buffered = 0;
  /** Bytes of the header at the start of the file, until it is written out (then it can only be rewritten). */
  let headerInBuffer = true;
  const header = format === 'pcapng' ? pcapngSectionHeader() : pcapHeader(LINKTYPE_ETHERNET);
  const ifIds = new Map<string, number>();
  let closed = false;
  const push = (b: Uint8Array): void => {
    parts.push(b);
    buffered += b.length;
    if (buffered >= FLUSH_AT) flush();
  };
  const flush = (): void => {
    if (buffered === 0) return;
    out.write(Buffer.concat(parts, buffered));
    headerInBuffer = false;
    parts.length = 0;
    buffered = 0;
  };
  const abort = (): void => {
    closed = true;
    parts.length = 0;
    buffered = 0;
    if (own) files.discard();
    else out.discard();
  };
  push(header);
  return {
    path,
    write(f) {
      if (closed) throw new Error(`${path}: write after close`);
      if (format === 'pcap') {
        push(pcapRecord(f.tsNs, f.data, f.origLen ?? f.data.length));
        return;
      }
      const key = f.ifName ?? '';
      let id = ifIds.get(key);
      if (id === undefined) {
        id = ifIds.size;
        ifIds.set(key, id);
        push(pcapngInterface(LINKTYPE_ETHERNET, f.ifName === undefined ? { tsresol: 9 } : { name: f.ifName, tsresol: 9 }));
      }
      const o: { comment?: string; direction?: 'in' | 'out' } = {};
      if (f.comment !== undefined) o.comment = f.comment;
      if (f.direction) o.direction = f.direction;
      push(pcapngPacket(id, f.tsNs, f.data, f.origLen ?? f.data.length, o));
    },
    close(o = {}) {
      if (closed) return Promise.resolve();
      closed = true;
      try {
        if (format === 'pcapng' && o.sectionComment !== undefined) {
          const commented = pcapngSectionHeader(true, o.sectionComment);
          if (headerInBuffer) {
            buffered += commented.length - parts[0]!.length;
            parts[0] = commented;
          } else {
            flush();
            out.rewriteHead(header.length, commented);
          }
        }
        flush();
        if (own) files.commit();
        else out.finish();
      } catch (e) {
        if (own) files.discard();
        else out.discard();
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
      return Promise.resolve();
    },
    abort,
  };
}
