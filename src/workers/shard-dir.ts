/**
 * Past one machine: shard directories. `cofw replay --shard I/N --shard-dir
 * DIR` reads the whole capture (every shard numbers the frames and keeps the
 * firewall's clock as one guest would), feeds only the connections that
 * hash to shard I (src/workers/shard-key.ts, as `--workers N` does) to a
 * guest of its own, and writes what that guest reported to DIR
 * (`ShardWriter`). `cofw merge DIR...` reads the captures again and plays
 * every shard's records back through the same merge as the worker threads'
 * (`ShardSet`, a ShardTransport of src/workers/sharded.ts), so that the
 * report, the counters, the conntrack table and the captures are one
 * guest's.
 *
 * A shard directory, format `cofw-shard` version 2 (version 1, before fates that are their own marks, is refused with a message):
 *
 *   records.bin   "COFWSHRD" | u32 version (2) | then per batch:
 *                 u32 batch number | u32 length | the guest's records of that
 *                 batch (src/workers/wire.ts, "from a worker"), and last the
 *                 records of its shutdown under batch number 0xffffffff.
 *                 Little-endian.
 *   shard.json    written last (its presence says the shard finished): the
 *                 format and version, the shard's index and count, the batch
 *                 size, the inputs (rule files' names and texts, the machine
 *                 file's name and text, the captures' paths, sizes and
 *                 SHA-256), frames and batches seen, what the guest said at
 *                 its boot and left at its end (iptables-save -c texts,
 *                 conntrack -L, expectations, sets, peak table size), and
 *                 `notExact` when the run found it could not be exact.
 *
 * Every shard of one run must have the same inputs (compared when merging:
 * rule texts, machine text, capture digests), the same count, and each
 * index once; a merge refuses anything else and says which directory
 * differs in what.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { ShardTransport } from './sharded.js';
import { WorkerGuest, type WorkerBooted, type WorkerFinal, type WorkerInit } from './worker.js';

export const SHARD_FORMAT = 'cofw-shard';
export const SHARD_VERSION = 2;
const MAGIC = 'COFWSHRD';
const FINAL = 0xffffffff;
const MANIFEST = 'shard.json';
const RECORDS = 'records.bin';

/** A shard directory is refused (missing, unfinished, of another run) or a merge cannot be exact: the message says which and why. */
export class ShardError extends Error {
  override readonly name = 'ShardError';
}

/** A capture as a shard read it. */
export interface ShardCapture {
  path: string;
  size: number;
  sha256: string;
}

/** What a shard ran on: the same for every shard of one run. */
export interface ShardInputs {
  rulesFile: string;
  rulesText: string;
  rules6File?: string;
  rules6Text?: string;
  ipsetsFile?: string;
  ipsetsText?: string;
  /** The machine file's name (or how the machine was made) and its text. */
  machineName: string;
  machineText: string;
  /** The fail policy given on the command line, over the machine file's. */
  fail?: 'closed' | 'open';
  captures: ShardCapture[];
}

export interface ShardManifest {
  format: typeof SHARD_FORMAT;
  version: number;
  shard: number;
  of: number;
  /** Frames per batch (the batches of every shard and of the merge must match). */
  batch: number;
  inputs: ShardInputs;
  /** Frames read from the captures (every shard reads them all). */
  frames: number;
  batches: number;
  booted: WorkerBooted;
  /** What the guest left at its end (`out` is in records.bin). */
  final?: Omit<WorkerFinal, 'out'>;
  notExact?: string;
}

/** The SHA-256 of each capture and its size, read as a stream. */
export async function captureDigests(paths: readonly string[]): Promise<ShardCapture[]> {
  const out: ShardCapture[] = [];
  for (const path of paths) {
    const h = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      h.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    out.push({ path, size, sha256: h.digest('hex') });
  }
  return out;
}

/** `I/N` (0 ≤ I < N ≤ 256) -> { index, of }, or an error message. */
export function parseShardSpec(text: string): { index: number; of: number } | string {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m) return `expected I/N (shard I of N, I from 0 to N-1), such as 0/4`;
  const index = Number(m[1]);
  const of = Number(m[2]);
  if (of < 1 || of > 256) return `N must be from 1 to 256 (got ${of})`;
  if (index >= of) return `I must be from 0 to ${of - 1} (shards are numbered from 0, as JOB_COMPLETION_INDEX is)`;
  return { index, of };
}

/** A shard run's transport: its own guest in this thread, its records written to the directory. */
export class ShardWriter implements ShardTransport {
  readonly merges = false;
  private guest: WorkerGuest | undefined;
  private fd: number | undefined;
  private batches = 0;
  private booted: WorkerBooted | undefined;
  private final: Omit<WorkerFinal, 'out'> | undefined;
  private readonly head = Buffer.alloc(8);

  constructor(
    readonly dir: string,
    readonly index: number,
    readonly shards: number,
  ) {
    try {
      mkdirSync(dir, { recursive: true });
      // A shard run again (a retried job) starts afresh: the directory is unfinished until shard.json is written.
      rmSync(join(dir, MANIFEST), { force: true });
      this.fd = openSync(join(dir, RECORDS), 'w');
      const h = Buffer.alloc(12);
      h.write(MAGIC, 0, 'latin1');
      h.writeUInt32LE(SHARD_VERSION, 8);
      writeSync(this.fd, h);
    } catch (e) {
      throw new ShardError(
        `--shard-dir ${dir}: cannot write the shard's directory (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check the path`,
        {
          cause: e,
        },
      );
    }
  }

  feeds(i: number): boolean {
    return i === this.index;
  }

  boot(init: WorkerInit): Promise<WorkerBooted[]> {
    this.guest = new WorkerGuest(init);
    const b = this.guest.boot();
    this.booted = b;
    return Promise.resolve(new Array<WorkerBooted>(this.shards).fill(b));
  }

  private write(seq: number, out: ArrayBuffer): void {
    this.head.writeUInt32LE(seq, 0);
    this.head.writeUInt32LE(out.byteLength, 4);
    writeSync(this.fd!, this.head);
    if (out.byteLength) writeSync(this.fd!, new Uint8Array(out));
  }

  batch(seq: number, bufs: ArrayBuffer[]): Promise<ArrayBuffer[]> {
    this.write(seq, this.guest!.batch(bufs[this.index]!));
    this.batches++;
    return Promise.resolve([]);
  }

  finish(lastClock: bigint): Promise<WorkerFinal[]> {
    const { out, ...rest } = this.guest!.finish(0, lastClock);
    this.write(FINAL, out);
    this.final = rest;
    return Promise.resolve([]);
  }

  /** Writes shard.json: the shard is finished (or says why it cannot be exact). */
  complete(inputs: ShardInputs, batch: number, frames: number, notExact?: string): void {
    const m: ShardManifest = {
      format: SHARD_FORMAT,
      version: SHARD_VERSION,
      shard: this.index,
      of: this.shards,
      batch,
      inputs,
      frames,
      batches: this.batches,
      booted: this.booted ?? { ok: false, error: 'not booted' },
      ...(this.final ? { final: this.final } : {}),
      ...(notExact ? { notExact } : {}),
    };
    this.closeFd();
    const tmp = join(this.dir, `.${MANIFEST}.tmp`);
    writeFileSync(tmp, JSON.stringify(m));
    renameSync(tmp, join(this.dir, MANIFEST));
  }

  private closeFd(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  close(): Promise<void> {
    this.closeFd();
    return Promise.resolve();
  }
}

/** The same inputs, or what differs (for a message). */
function inputsDiffer(a: ShardInputs, b: ShardInputs): string | undefined {
  if (a.rulesText !== b.rulesText) return `the iptables rule file (${b.rulesFile} against ${a.rulesFile})`;
  if ((a.rules6Text ?? null) !== (b.rules6Text ?? null)) return `the ip6tables rule file (${b.rules6File ?? 'none'} against ${a.rules6File ?? 'none'})`;
  if ((a.ipsetsText ?? null) !== (b.ipsetsText ?? null)) return `the ipset file (${b.ipsetsFile ?? 'none'} against ${a.ipsetsFile ?? 'none'})`;
  if (a.machineText !== b.machineText || (a.fail ?? null) !== (b.fail ?? null)) return `the machine (${b.machineName} against ${a.machineName})`;
  if (a.captures.length !== b.captures.length) return `the captures (${b.captures.length} against ${a.captures.length})`;
  for (let i = 0; i < a.captures.length; i++) {
    const x = a.captures[i]!;
    const y = b.captures[i]!;
    if (x.sha256 !== y.sha256 || x.size !== y.size)
      return `capture ${i + 1} (${y.path}, ${y.size} bytes, against ${x.path}, ${x.size} bytes: their contents differ)`;
  }
  return undefined;
}

/** Every shard of one run, read back for a merge: a transport whose guests are the records the shards wrote. */
export class ShardSet implements ShardTransport {
  readonly merges = true;
  readonly shards: number;
  private readonly fds: number[] = [];
  private readonly head = Buffer.alloc(8);

  private constructor(
    readonly dirs: string[],
    readonly manifests: ShardManifest[],
  ) {
    this.shards = manifests.length;
  }

  /** The inputs every shard ran on. */
  get inputs(): ShardInputs {
    return this.manifests[0]!.inputs;
  }

  /**
   * Reads and checks the shard directories: each finished, of one format,
   * one run (the same count, batch size and inputs) and every index once.
   * Throws ShardError saying which directory is wrong and how.
   */
  static open(dirs: readonly string[], batch: number): ShardSet {
    if (!dirs.length) throw new ShardError('give the shard directories to merge');
    const found: Array<{ dir: string; m: ShardManifest }> = [];
    for (const dir of dirs) {
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ShardError(`${dir}: no such directory (give the --shard-dir of every shard)`);
      const path = join(dir, MANIFEST);
      if (!existsSync(path))
        throw new ShardError(
          existsSync(join(dir, RECORDS))
            ? `${dir}: the shard did not finish (no ${MANIFEST}): run its \`cofw replay --shard\` again`
            : `${dir}: not a shard directory (no ${MANIFEST}; \`cofw replay --shard I/N --shard-dir ${dir}\` writes one)`,
        );
      let m: ShardManifest;
      try {
        m = JSON.parse(readFileSync(path, 'utf8')) as ShardManifest;
      } catch (e) {
        throw new ShardError(`${path}: cannot read the shard's description (${(e as Error).message}); run its \`cofw replay --shard\` again`, { cause: e });
      }
      if (m.format !== SHARD_FORMAT) throw new ShardError(`${path}: not a cofw shard description (format ${JSON.stringify(m.format)})`);
      if (m.version !== SHARD_VERSION)
        throw new ShardError(
          `${path}: a shard of format version ${m.version}; this cofw merges version ${SHARD_VERSION}: run the shards and the merge with one cofw`,
        );
      if (m.batch !== batch)
        throw new ShardError(`${path}: written with batches of ${m.batch} frames, this cofw uses ${batch}: run the shards and the merge with one cofw`);
      found.push({ dir, m });
    }
    const first = found[0]!;
    const of = first.m.of;
    for (const f of found.slice(1)) {
      if (f.m.of !== of)
        throw new ShardError(`${f.dir} is shard ${f.m.shard}/${f.m.of} but ${first.dir} is shard ${first.m.shard}/${of}: the shards of one run share their N`);
      const d = inputsDiffer(first.m.inputs, f.m.inputs);
      if (d) throw new ShardError(`${f.dir} (shard ${f.m.shard}/${of}) was run on other inputs than ${first.dir} (shard ${first.m.shard}/${of}): ${d}`);
    }
    const byIndex: Array<{ dir: string; m: ShardManifest } | undefined> = new Array(of);
    for (const f of found) {
      const had = byIndex[f.m.shard];
      if (had) throw new ShardError(`${had.dir} and ${f.dir} are both shard ${f.m.shard}/${of}: give each shard's directory once`);
      byIndex[f.m.shard] = f;
    }
    const missing = [...byIndex.keys()].filter((i) => !byIndex[i]);
    if (missing.length)
      throw new ShardError(
        `shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${of}`).join(', ')} missing: a merge needs the directories of all ${of} shards (0 to ${of - 1})`,
      );
    for (const f of found) {
      if (f.m.notExact)
        throw new ShardError(
          `${f.dir}: shard ${f.m.shard}/${of} found the run cannot be sharded exactly: ${f.m.notExact}; replay the capture on one machine (without --shard)`,
        );
      if (!f.m.booted.ok) throw new ShardError(`${f.dir}: shard ${f.m.shard}/${of}'s guest did not boot (${f.m.booted.error ?? 'no reason given'})`);
      if (f.m.frames !== first.m.frames || f.m.batches !== first.m.batches)
        throw new ShardError(
          `${f.dir} read ${f.m.frames} frames in ${f.m.batches} batches, ${first.dir} ${first.m.frames} in ${first.m.batches}: the shards read different captures`,
        );
    }
    const set = new ShardSet(
      byIndex.map((f) => f!.dir),
      byIndex.map((f) => f!.m),
    );
    set.openRecords();
    return set;
  }

  private openRecords(): void {
    for (const dir of this.dirs) {
      const fd = openSync(join(dir, RECORDS), 'r');
      this.fds.push(fd);
      const h = Buffer.alloc(12);
      if (readSync(fd, h, 0, 12, null) !== 12 || h.toString('latin1', 0, 8) !== MAGIC || h.readUInt32LE(8) !== SHARD_VERSION)
        throw new ShardError(`${join(dir, RECORDS)}: not a cofw shard's records (version ${SHARD_VERSION}); run its \`cofw replay --shard\` again`);
    }
  }

  /** Checks that the captures to read are those the shards read (size and SHA-256). */
  async checkCaptures(paths: readonly string[]): Promise<void> {
    const want = this.inputs.captures;
    if (paths.length !== want.length)
      throw new ShardError(
        `the shards read ${want.length} capture${want.length === 1 ? '' : 's'} (${want.map((c) => c.path).join(', ')}); ${paths.length} given`,
      );
    const got = await captureDigests(paths);
    got.forEach((g, i) => {
      const w = want[i]!;
      if (g.sha256 !== w.sha256 || g.size !== w.size)
        throw new ShardError(
          `${g.path} is not the capture the shards read as capture ${i + 1} (${w.path}: ${w.size} bytes, SHA-256 ${w.sha256}; this one: ${g.size} bytes, ${g.sha256})`,
        );
    });
  }

  feeds(): boolean {
    return false;
  }

  boot(): Promise<WorkerBooted[]> {
    return Promise.resolve(this.manifests.map((m) => m.booted));
  }

  private read(i: number, seq: number): ArrayBuffer {
    const fd = this.fds[i]!;
    const where = `${join(this.dirs[i]!, RECORDS)}`;
    if (readSync(fd, this.head, 0, 8, null) !== 8)
      throw new ShardError(`${where}: ends before batch ${seq === FINAL ? 'the end' : seq}: the shard's records are cut short`);
    const at = this.head.readUInt32LE(0);
    const len = this.head.readUInt32LE(4);
    if (at !== seq)
      throw new ShardError(
        `${where}: holds batch ${at === FINAL ? 'of the end' : at} where the merge reached batch ${seq === FINAL ? 'of the end' : seq}: the shard read other frames than the merge`,
      );
    const out = new Uint8Array(len);
    let got = 0;
    while (got < len) {
      const n = readSync(fd, out, got, len - got, null);
      if (n <= 0) throw new ShardError(`${where}: batch ${seq} is cut short`);
      got += n;
    }
    return out.buffer;
  }

  batch(seq: number): Promise<ArrayBuffer[]> {
    try {
      return Promise.resolve(this.fds.map((_, i) => this.read(i, seq)));
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  finish(): Promise<WorkerFinal[]> {
    try {
      return Promise.resolve(
        this.manifests.map((m, i) => {
          const out = this.read(i, FINAL);
          if (readSync(this.fds[i]!, this.head, 0, 1, null) !== 0) throw new ShardError(`${join(this.dirs[i]!, RECORDS)}: more records than the merge read`);
          if (!m.final) throw new ShardError(`${join(this.dirs[i]!, MANIFEST)}: the shard did not finish its guest`);
          return { ...m.final, out };
        }),
      );
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  close(): Promise<void> {
    for (const fd of this.fds.splice(0)) closeSync(fd);
    return Promise.resolve();
  }
}
