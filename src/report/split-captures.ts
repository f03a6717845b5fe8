/**
 * Dropped packets split into one capture per cause: one file per dropping
 * rule, per chain policy, per stack reason, per fail policy. Names say which
 * is which: `dropped-filter-INPUT-rule3.pcapng`,
 * `dropped-filter-FORWARD-policy.pcapng`, `dropped-stack-IP_CSUM.pcapng`.
 *
 * A rule set can have thousands of dropping rules, so no file stays open:
 * records are gathered in memory up to a total budget for all files
 * together, then every file's share is appended (open, write, close). Memory
 * is bounded by the budget and the number of open descriptors by one,
 * however many files there are. A file is created (with its header) when
 * its first packet comes, so causes that dropped nothing leave no file.
 * Files are written as temporary files and put in place by `close` (or by
 * the owner of the `files` set they were opened in), as every output is
 * (src/io/output-file.ts); `discard` leaves earlier files of those names as
 * they were.
 *
 * @example
 * const s = new SplitCaptures({ dir: 'out', stem: 'dropped', format: 'pcapng' });
 * const f = s.file('filter-INPUT-rule3', 'filter/INPUT rule 3: -A INPUT -p udp -j DROP');
 * f.write({ tsNs, data, comment: f.what, ifName: 'eth0' });
 * const files = s.close(); // [{ file: 'out/dropped-filter-INPUT-rule3.pcapng', frames: 1, what: ... }]
 */
import { mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LINKTYPE_ETHERNET, pcapHeader, pcapRecord } from '../capture/pcap-write.js';
import { pcapngInterface, pcapngPacket, pcapngSectionHeader, type CaptureWriter } from '../capture/writer.js';
import { OutputError, OutputFiles, reasonText, type OutputFile } from '../io/output-file.js';
import { bigintNs } from '../capture/timestamp.js';

export type SplitFormat = 'pcap' | 'pcapng';

export interface SplitCapturesOptions {
  /** Folder the files are written into (must exist). */
  dir: string;
  /** First part of every name: `dropped` gives `dropped-filter-INPUT-rule3.pcapng`. */
  stem: string;
  format: SplitFormat;
  /** Bytes gathered for all files together before they are written out (4 MiB by default). */
  budget?: number;
  /** The set of outputs the files are opened in; its owner puts them in place. Without it, `close` does. */
  files?: OutputFiles;
  /** How messages name these outputs (`--split-by`). */
  option?: string;
}

/** One file written: its path, how many packets it holds, and the cause they share. */
export interface SplitFile {
  file: string;
  frames: number;
  what: string;
}

type Frame = Parameters<CaptureWriter['write']>[0];

/** One cause's capture. */
export interface SplitCapture {
  readonly file: string;
  /** The cause, as the packets' comments name it. */
  readonly what: string;
  write(f: Frame): void;
}

/**
 * The split captures a replay's options ask for, or undefined without
 * `splitBy`: in `splitDir` (created if missing) or the `dropped` file's
 * folder, named after the `dropped` file's name without its extension
 * (`dropped` without one), in `outFormat`, else the `dropped` file's
 * format, else pcapng (which keeps the comments).
 */
export function splitCapturesFor(opts: {
  splitBy?: 'rule' | undefined;
  dropped?: string | undefined;
  splitDir?: string | undefined;
  outFormat?: SplitFormat | undefined;
  outputs?: OutputFiles | undefined;
}): SplitCaptures | undefined {
  if (!opts.splitBy) return undefined;
  if (opts.splitBy !== 'rule') throw new Error(`splitBy: ${String(opts.splitBy)}: the only way to split is 'rule'`);
  if (!opts.dropped && !opts.splitDir) throw new Error('splitBy: the split captures go next to `dropped` or into `splitDir`; give one of them');
  const dir = opts.splitDir ?? dirname(opts.dropped!);
  if (opts.splitDir) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new OutputError(dir, '--split-dir', `--split-dir ${dir}: cannot create the folder: ${reasonText(e)}`, { cause: e });
    }
  }
  const stem = splitStem(opts.dropped);
  const format = opts.outFormat ?? (opts.dropped && !/\.pcapng$/i.test(opts.dropped) ? 'pcap' : 'pcapng');
  return new SplitCaptures({ dir, stem, format, option: '--split-by', ...(opts.outputs ? { files: opts.outputs } : {}) });
}

/** The first part of the split captures' names: the `dropped` file's name without its extensions, else `dropped`. */
export function splitStem(dropped: string | undefined): string {
  return dropped ? basename(dropped).replace(/(\.(pcapng|pcap|cap|gz))+$/i, '') || 'dropped' : 'dropped';
}

/** A name part safe on every file system: letters, digits and `_.+=`; other runs become `-`. */
export function fileNamePart(text: string): string {
  const s = text.replace(/[^A-Za-z0-9_.+=]+/g, '-').replace(/^[-.]+|-+$/g, '');
  return (s.length > 80 ? s.slice(0, 80).replace(/-+$/, '') : s) || 'x';
}

class Pending implements SplitCapture {
  chunks: Uint8Array[] = [];
  buffered = 0;
  /** The output, once the first records are written out. */
  out: OutputFile | undefined;
  /** Its header's length while it is the first chunk (not yet written out). */
  header = 0;
  frames = 0;
  readonly ifIds = new Map<string, number>();

  constructor(
    readonly file: string,
    readonly what: string,
    private readonly owner: SplitCaptures,
    private readonly format: SplitFormat,
  ) {}

  /** Gathers the file header. */
  start(): void {
    const h = this.format === 'pcapng' ? pcapngSectionHeader() : pcapHeader(LINKTYPE_ETHERNET);
    this.header = h.length;
    this.push(h);
  }

  /** Gives the pcapng section a comment (shb_comment), in the buffer or in the file. */
  comment(text: string): void {
    if (this.format !== 'pcapng') return;
    const h = pcapngSectionHeader(true, text);
    if (!this.out) {
      this.buffered += h.length - this.chunks[0]!.length;
      this.owner.gathered(h.length - this.chunks[0]!.length);
      this.chunks[0] = h;
    } else this.out.rewriteHead(this.header, h);
  }

  push(b: Uint8Array): void {
    this.chunks.push(b);
    this.buffered += b.length;
    this.owner.gathered(b.length);
  }

  write(f: Frame): void {
    this.frames++;
    const origLen = f.origLen ?? f.data.length;
    const tsNs = f.tsSec !== undefined ? bigintNs(f.tsSec, f.tsNsec ?? 0) : (f.tsNs ?? 0n);
    if (this.format === 'pcap') {
      this.push(pcapRecord(tsNs, f.data, origLen));
      return;
    }
    const key = f.ifName ?? '';
    let id = this.ifIds.get(key);
    if (id === undefined) {
      id = this.ifIds.size;
      this.ifIds.set(key, id);
      this.push(pcapngInterface(LINKTYPE_ETHERNET, f.ifName === undefined ? { tsresol: 9 } : { name: f.ifName, tsresol: 9 }));
    }
    const o: { comment?: string; direction?: 'in' | 'out' } = {};
    if (f.comment !== undefined) o.comment = f.comment;
    if (f.direction) o.direction = f.direction;
    this.push(pcapngPacket(id, tsNs, f.data, origLen, o));
  }

  /** Appends what was gathered to the file (creating it the first time); no descriptor stays open. */
  flush(): void {
    if (!this.buffered) return;
    const out = (this.out ??= this.owner.open(this.file));
    out.write(Buffer.concat(this.chunks, this.buffered));
    out.release();
    this.chunks = [];
    this.buffered = 0;
  }
}

/** The split captures of one replay (see the module comment). */
export class SplitCaptures {
  private readonly files: Pending[] = [];
  private readonly taken = new Set<string>();
  private total = 0;
  private readonly budget: number;
  private closed = false;
  private readonly outputs: OutputFiles;

  constructor(private readonly opts: SplitCapturesOptions) {
    this.budget = opts.budget ?? 4 * 1024 * 1024;
    this.outputs = opts.files ?? new OutputFiles();
  }

  /** Opens one file's output (a temporary file until it is put in place). */
  open(file: string): OutputFile {
    return this.outputs.open(file, this.opts.option);
  }

  /**
   * A new capture for one cause. `name` is made safe for a file name and
   * unique (case-insensitively: a second `x` becomes `x-2`).
   */
  file(name: string, what: string): SplitCapture {
    if (this.closed) throw new Error('SplitCaptures: file() after close()');
    const base = `${this.opts.stem}-${fileNamePart(name)}`;
    let n = base;
    for (let i = 2; this.taken.has(n.toLowerCase()); i++) n = `${base}-${i}`;
    this.taken.add(n.toLowerCase());
    const p = new Pending(join(this.opts.dir, `${n}.${this.opts.format}`), what, this, this.opts.format);
    this.files.push(p);
    p.start();
    return p;
  }

  /** Called by a file for every record gathered; writes all out when the budget is spent. */
  gathered(bytes: number): void {
    this.total += bytes;
    if (this.total >= this.budget) this.flush();
  }

  private flush(): void {
    for (const f of this.files) f.flush();
    this.total = 0;
  }

  /**
   * Writes out what is left and puts the files in place (unless they were
   * opened in the caller's `files`); returns the files written (in the
   * order their first packet came). In pcapng, `sectionComment` becomes
   * every file's section comment (as when they hold only part of a run).
   */
  close(o: { sectionComment?: string } = {}): SplitFile[] {
    if (!this.closed) {
      this.closed = true;
      try {
        if (o.sectionComment !== undefined) for (const f of this.files) f.comment(o.sectionComment);
        this.flush();
        for (const f of this.files) f.out?.finish();
        if (!this.opts.files) this.outputs.commit();
      } catch (e) {
        this.discard();
        throw e;
      }
    }
    return this.files.map((f) => ({ file: f.file, frames: f.frames, what: f.what }));
  }

  /** Abandons the files: none is put in place, earlier files of those names stay as they were. */
  discard(): void {
    this.closed = true;
    for (const f of this.files) f.out?.discard();
  }
}
