/**
 * The replay on several workers: the main thread reads the captures,
 * numbers the frames and decides their ingress (as for one guest), then
 * hands each frame to the worker its connection hashes to
 * (src/workers/shard-key.ts); each worker runs a guest of its own
 * (src/workers/worker.ts). What the guests report comes back per batch and
 * is put in the order one guest would have reported it, by the marks the
 * guests write (the frame whose arrival caused each fate and console line,
 * and whether its timers or its handling did), so that the report, the
 * counters, the conntrack table and the output captures are those of one
 * guest.
 *
 * The clock: every worker's guest gets each of its frames with the time of
 * the latest frame of the whole capture so far (the firewall's clock, which
 * never goes back), and a worker that holds fragments gets a tick for every
 * other worker's frame while they may time out, so that its timers fire at
 * the frame where one guest's would have. Every worker gets the last frame's
 * time before it powers off (conntrack -L counts the timeouts from it).
 *
 * What cannot be made exact is found and said (`notExact`); the caller then
 * replays on one worker: IPv4 (or IPv6) fragments on more than one worker
 * (fragment memory and ipfrag_max_dist span every datagram), a fragmented
 * ICMP error, the timers of two workers firing at one frame, a guest that
 * stops (an oops), and the conntrack tables of the workers holding, at
 * their peaks, more entries together than one table may hold (one guest's
 * table may then have filled, and dropped early).
 */
import { Worker } from 'node:worker_threads';
import { encodeBoot, type BootMsg } from '../machine/passage/index.js';
import type { FateMsg } from '../machine/passage/index.js';
import type { MachineStats } from '../machine/machine.js';
import type { DropSite, FateKind } from '../netfilter/fate.js';
import { keyFrame, type FrameKey } from './shard-key.js';
import { ByteIn, ByteOut, OUT_CONSOLE, OUT_FATE, OUT_FATE_MARK, OUT_MARK, OUT_REASON, OUT_SITE, REC_FRAME, REC_TICK } from './wire.js';
import { workerScriptUrl } from './worker-script.js';
import { WORKER_TAG, type FromWorker, type ToWorker, type WorkerBooted, type WorkerFinal, type WorkerInit } from './worker.js';
import { mergeConntrack, mergeExpectations, mergeSaves, mergeTranslated } from './merge.js';
import { mergeNfacctLists } from '../netfilter/nfacct.js';

/** Frames per batch (all workers together; shard directories record it, src/workers/shard-dir.ts). */
export const BATCH = 4096;
/** Batches in flight before the oldest is awaited. */
const DEPTH = 4;
/** How long a worker that got a fragment gets ticks: longer than any fragment queue lives (30 s IPv4, 60 s IPv6). */
const FRAG_HORIZON_NS = 120_000_000_000n;

export interface ShardedOptions {
  workers: number;
  /** The boot parameters without the boot time (known at the first frame). */
  boot: Omit<BootMsg, 'bootTsNs'>;
  rulesText: string;
  rules6Text?: string;
  ipsetsText?: string;
  pageSize?: number;
  /** Where the shards' guests run (worker threads of this process by default). */
  transport?: ShardTransport;
  /** The worker script (by default dist/workers/worker.js beside this module, or the bundle's dist/cofw-worker.mjs: src/workers/worker-script.ts). */
  workerUrl?: URL;
  /** Every fate, in one guest's order. The record is valid during the call. */
  onFate: (f: FateMsg) => void;
  /** Console lines kept; later ones are counted. */
  consoleLimit?: number;
}

/**
 * A fate as read from a worker's record, in place: one record reused for
 * every fate (valid during the call it is passed to). Every field is always
 * present (no property is ever deleted, which would make the object a slow
 * dictionary for every later access), and the timestamp and the leaving
 * frame are read only when asked for (the frame then as a copy of its
 * own): the report reads the captured frame's time and data for a
 * frame's own fate, so most fates never make either.
 */
class WireFate implements FateMsg {
  kind: FateKind = 1 as FateKind;
  unit = -1;
  frameNo = 0;
  site: DropSite | undefined = undefined;
  reason: string | undefined = undefined;
  private src: ByteIn | undefined = undefined;
  private tsAt = 0;
  private frameAt = -1;
  private frameLen = 0;
  private copy: Uint8Array | undefined = undefined;

  get tsNs(): bigint {
    return this.src!.view.getBigUint64(this.tsAt, true);
  }

  /** The time's u64 nanoseconds as two 32-bit words (no BigInt). */
  get tsHi(): number {
    return this.src!.view.getUint32(this.tsAt + 4, true);
  }
  get tsLo(): number {
    return this.src!.view.getUint32(this.tsAt, true);
  }

  get frame(): Uint8Array | undefined {
    if (this.frameAt < 0) return undefined;
    return (this.copy ??= this.src!.bytes.slice(this.frameAt, this.frameAt + this.frameLen));
  }

  /** The frame as a view into the worker's records (no copy): read it during the call only. */
  frameView(): Uint8Array | undefined {
    if (this.frameAt < 0) return undefined;
    return this.copy ?? this.src!.bytes.subarray(this.frameAt, this.frameAt + this.frameLen);
  }

  /** Points the record at a fate's body in `r` (after its type byte); leaves `r` after it. */
  read(r: ByteIn, sites: DropSite[], reasons: string[]): void {
    this.src = r;
    this.copy = undefined;
    const b = r.bytes;
    const p = r.pos;
    this.kind = b[p] as FateKind;
    const unit = b[p + 1]!;
    this.unit = unit === 0xff ? -1 : unit;
    this.frameNo = r.view.getUint32(p + 2, true);
    this.tsAt = p + 6;
    const site = r.view.getInt32(p + 14, true);
    const reason = r.view.getInt32(p + 18, true);
    const len = r.view.getInt32(p + 22, true);
    this.site = site >= 0 ? sites[site] : undefined;
    this.reason = reason >= 0 ? reasons[reason] : undefined;
    if (len >= 0) {
      this.frameAt = p + 26;
      this.frameLen = len;
      r.pos = p + 26 + len;
    } else {
      this.frameAt = -1;
      r.pos = p + 26;
    }
  }
}

/** One run of records a worker wrote under one mark. */
interface Segment {
  cause: number;
  phase: number;
  worker: number;
  /** [start, end) in the worker's buffer `r`. */
  r: ByteIn;
  start: number;
  end: number;
}

/** A cause of 0 is the shutdown: after every frame. */
const causeKey = (c: number): number => (c === 0 ? Number.MAX_SAFE_INTEGER : c);

export class ShardedMachine {
  readonly n: number;
  /** Set when the run cannot be exact: why (the caller replays on one worker). */
  notExact: string | undefined;
  bootSave: string | undefined;
  bootSave6: string | undefined;
  finalSave: string | undefined;
  finalSave6: string | undefined;
  conntrack: string | undefined;
  conntrack6: string | undefined;
  /** Without the tables (`noConntrackList`): the lines that may show an address translation, as one guest's `conntrackTranslated`. */
  conntrackTranslated: string | undefined;
  conntrackExpect: string | undefined;
  ipsets: string | undefined;
  /** The accounting objects (`nfacct list`): each worker's additions summed onto the starting counters. */
  nfacct: string | undefined;
  readonly console: string[] = [];
  consoleDropped = 0;
  readonly stats: MachineStats = { switches: 0, messagesToGuest: 0, messagesToHost: 0, bytesThroughPage: 0 };
  /** Frames delivered since the last batch was sent. */
  private count = 0;
  private readonly batches: ByteOut[];
  private readonly pending: Array<Promise<ArrayBuffer[]>> = [];
  private seq = 0;
  private failure: Error | undefined;
  private readonly key: FrameKey = { shard: 0, fragment: 0, fragmentedError: false };
  /** Per worker: the clock of its latest fragment (-1: none). */
  private readonly lastFrag: bigint[];
  private readonly frag4 = new Set<number>();
  private readonly frag6 = new Set<number>();
  private lastFrameNo = 0;
  private lastClock = 0n;
  private lastOwner = -1;
  /** Per worker: the last frame it got a tick for. */
  private readonly ticked: number[];
  /** Per worker: drop sites and reasons by the ids its records give them. */
  private readonly sites: DropSite[][];
  private readonly reasons: string[][];
  /** Drop sites, one object per site of either rule set. */
  private readonly siteObjs = new Map<string, DropSite>();
  /** Per worker: the mark in force at the end of its last batch. */
  private readonly marks: Array<{ cause: number; phase: number }>;
  private readonly consoleLimit: number;
  private readonly fateRec = new WireFate();

  private readonly transport: ShardTransport;
  /** Per shard: whether its frames are copied into batches (the transport feeds its guest here). */
  private readonly fed: boolean[];

  constructor(private readonly opts: ShardedOptions) {
    this.n = opts.workers;
    this.transport = opts.transport ?? new ThreadTransport(opts.workers, opts.workerUrl);
    if (this.transport.shards !== this.n) throw new Error(`sharded replay: ${this.n} shards asked, the transport has ${this.transport.shards}`);
    this.fed = Array.from({ length: this.n }, (_, i) => this.transport.feeds(i));
    this.batches = Array.from({ length: this.n }, () => new ByteOut(1 << 18));
    this.lastFrag = new Array<bigint>(this.n).fill(-1n);
    this.ticked = new Array<number>(this.n).fill(0);
    this.sites = Array.from({ length: this.n }, () => []);
    this.reasons = Array.from({ length: this.n }, () => []);
    this.marks = Array.from({ length: this.n }, () => ({ cause: 0, phase: 0 }));
    this.consoleLimit = opts.consoleLimit ?? 100_000;
  }

  get running(): boolean {
    return !this.failure;
  }

  /** Starts the shards' guests (worker threads, or what the transport has); false (with `notExact`) when one could not boot. */
  async boot(bootTsNs: bigint): Promise<boolean> {
    const init: WorkerInit = {
      boot: encodeBoot({ ...this.opts.boot, bootTsNs }),
      rulesText: this.opts.rulesText,
      ...(this.opts.rules6Text !== undefined ? { rules6Text: this.opts.rules6Text } : {}),
      ...(this.opts.ipsetsText !== undefined ? { ipsetsText: this.opts.ipsetsText } : {}),
      ...(this.opts.pageSize ? { pageSize: this.opts.pageSize } : {}),
    };
    const booted = await this.transport.boot(init);
    for (const b of booted) {
      if (!b.ok) {
        this.notExact = `a worker could not boot its guest (${b.error ?? 'no reason given'})`;
        await this.terminate();
        return false;
      }
    }
    const first = booted[0]!;
    this.bootSave = first.bootSave;
    this.bootSave6 = first.bootSave6;
    for (const l of first.console ?? []) this.log(l);
    return true;
  }

  /** Queues a frame for its worker, with ticks for the workers whose fragments may time out. `clockNs`: the firewall's clock at it. */
  deliverFrame(unit: number, frameNo: number, clockNs: bigint, flags: number, data: Uint8Array): boolean {
    const k = keyFrame(data, this.n, this.key);
    const w = k.shard;
    if (k.fragment) {
      const set = k.fragment === 4 ? this.frag4 : this.frag6;
      set.add(w);
      if (set.size > 1 && !this.notExact)
        this.notExact = `IPv${k.fragment} fragments reached more than one worker (fragment memory and ipfrag_max_dist span every datagram)`;
      if (k.fragmentedError && !this.notExact) this.notExact = `frame ${frameNo} is a fragment of an ICMP error (its connection may be on another worker)`;
      this.lastFrag[w] = clockNs;
    }
    const prev = this.lastClock;
    for (let i = 0; i < this.n; i++) {
      const lf = this.lastFrag[i]!;
      if (i !== w && lf >= 0n && prev <= lf + FRAG_HORIZON_NS) {
        if (this.fed[i]) this.put(i, REC_TICK, 0, 0, frameNo, clockNs, undefined);
        this.ticked[i] = frameNo;
      }
    }
    if (this.fed[w]) this.put(w, REC_FRAME, unit, flags, frameNo, clockNs, data);
    this.lastFrameNo = frameNo;
    this.lastClock = clockNs;
    this.lastOwner = w;
    this.count++;
    return true;
  }

  private put(w: number, kind: number, unit: number, flags: number, frameNo: number, clockNs: bigint, data: Uint8Array | undefined): void {
    const b = this.batches[w]!;
    const len = data ? data.length : 0;
    b.ensure(20 + len);
    const at = b.len;
    b.bytes[at] = kind;
    b.bytes[at + 1] = unit;
    b.bytes[at + 2] = flags;
    b.bytes[at + 3] = 0;
    b.view.setUint32(at + 4, frameNo, true);
    b.view.setBigUint64(at + 8, clockNs, true);
    b.view.setUint32(at + 16, len, true);
    if (data) b.bytes.set(data, at + 20);
    b.len = at + 20 + len;
  }

  /** A batch is full: send it (the caller awaits `flush`). */
  get needsFlush(): boolean {
    return this.count >= BATCH;
  }

  /** Sends the batch and merges the oldest ones in flight beyond the window. */
  async flush(): Promise<void> {
    this.send();
    while (this.pending.length > DEPTH) await this.mergeOldest();
  }

  private send(): void {
    if (this.failure) throw this.failure;
    const seq = this.seq++;
    const bufs = this.batches.map((b) => b.take());
    const outs = this.transport.batch(seq, bufs);
    // A failure is thrown where the batch is awaited; until then it is only noted.
    outs.catch((e: unknown) => {
      this.failure ??= e instanceof Error ? e : new Error(String(e));
    });
    this.pending.push(outs);
    this.count = 0;
  }

  private async mergeOldest(): Promise<void> {
    const outs = await this.pending.shift()!;
    if (this.transport.merges) this.merge(outs);
  }

  /** Puts the workers' records of one batch in one guest's order and hands them on. */
  private merge(outs: ArrayBuffer[]): void {
    const segs: Segment[] = [];
    for (let w = 0; w < outs.length; w++) {
      const r = new ByteIn(outs[w]!);
      let cur: Segment | undefined;
      const open = (cause: number, phase: number): void => {
        if (cur) cur.end = r.pos;
        cur = { cause, phase, worker: w, r, start: r.pos, end: r.pos };
        segs.push(cur);
      };
      while (r.more) {
        const at = r.pos;
        const t = r.u8();
        if (t === OUT_MARK) {
          const cause = r.u32();
          const phase = r.u8();
          const m = this.marks[w]!;
          m.cause = cause;
          m.phase = phase;
          if (cur) cur.end = at;
          cur = undefined;
          open(cause, phase);
          continue;
        }
        if (t === OUT_FATE_MARK) {
          // A fate that is its own frame's mark (phase 1): the segment begins with it.
          const cause = r.view.getUint32(r.pos + 2, true);
          const m = this.marks[w]!;
          m.cause = cause;
          m.phase = 1;
          r.pos = at;
          open(cause, 1);
          r.u8();
          this.skip(t, r);
          continue;
        }
        if (!cur) {
          r.pos = at;
          open(this.marks[w]!.cause, this.marks[w]!.phase);
          r.u8();
        }
        this.skip(t, r);
      }
      if (cur) cur.end = r.pos;
    }
    // Stable: within one (cause, phase), the workers in order; a worker's segments keep theirs.
    segs.sort((a, b) => causeKey(a.cause) - causeKey(b.cause) || a.phase - b.phase || a.worker - b.worker);
    for (let i = 1; i < segs.length; i++) {
      const a = segs[i - 1]!;
      const b = segs[i]!;
      if (a.cause === b.cause && a.phase === b.phase && a.worker !== b.worker && b.phase !== 2 && !this.notExact)
        this.notExact = `the timers of two workers fired at frame ${b.cause} (fragment queues timing out at once)`;
    }
    for (const s of segs) if (s.phase !== 2) this.play(s);
    const ends = segs.filter((s) => s.phase === 2);
    if (ends.length) this.playEnd(ends);
  }

  /** Skips the body of a record of type `t`. */
  private skip(t: number, r: ByteIn): void {
    if (t === OUT_FATE || t === OUT_FATE_MARK) {
      r.pos += 1 + 1 + 4 + 8 + 4 + 4;
      const len = r.i32();
      if (len > 0) r.pos += len;
    } else if (t === OUT_CONSOLE) r.pos += 4 + r.view.getUint32(r.pos, true);
    else if (t === OUT_SITE) {
      r.pos += 9;
      r.str();
      r.str();
    } else if (t === OUT_REASON) {
      r.pos += 4;
      r.str();
    } else throw new Error(`replay worker: record type ${t} at ${r.pos - 1}`);
  }

  /** Hands on the records of one segment. */
  private play(s: Segment): void {
    const r = s.r;
    r.pos = s.start;
    const w = s.worker;
    while (r.pos < s.end) {
      const t = r.u8();
      if (t === OUT_MARK) {
        r.pos += 5;
      } else if (t === OUT_FATE || t === OUT_FATE_MARK) {
        this.fateRec.read(r, this.sites[w]!, this.reasons[w]!);
        this.opts.onFate(this.fateRec);
      } else if (t === OUT_CONSOLE) this.log(r.text());
      else if (t === OUT_SITE) {
        const id = r.u32();
        const ipv6 = r.u8() === 1;
        const rule = r.u32();
        const table = r.str();
        const chain = r.str();
        const key = `${ipv6 ? 6 : 4} ${table} ${chain} ${rule}`;
        let site = this.siteObjs.get(key);
        if (!site) this.siteObjs.set(key, (site = { table, chain, rule, ...(ipv6 ? { ipv6: true } : {}) }));
        this.sites[w]![id] = site;
      } else if (t === OUT_REASON) {
        const id = r.u32();
        this.reasons[w]![id] = r.str();
      }
    }
  }

  /**
   * The shutdown's records: every worker powers off (its last line), but
   * only one guest's finishing (fragments still held) may say more.
   */
  private playEnd(ends: Segment[]): void {
    const lines = (s: Segment): number => {
      let n = 0;
      const r = s.r;
      r.pos = s.start;
      while (r.pos < s.end) {
        const t = r.u8();
        if (t === OUT_MARK) r.pos += 5;
        else {
          if (t !== OUT_CONSOLE) n += 1000;
          else n++;
          this.skip(t, r);
        }
      }
      return n;
    };
    const more = ends.filter((s) => lines(s) > 1);
    if (more.length > 1 && !this.notExact) this.notExact = 'the guests of two workers held fragments at the end';
    this.play(more[0] ?? ends[0]!);
  }

  private log(line: string): void {
    if (this.console.length >= this.consoleLimit) this.consoleDropped++;
    else this.console.push(line);
  }

  /** Ends the run: what is in flight is finished, the guests power off at the last frame's time, and their results are merged. */
  async shutdown(): Promise<void> {
    // Every worker's clock reaches the last frame (the one that had it has it).
    if (this.lastFrameNo > 0)
      for (let i = 0; i < this.n; i++)
        if (i !== this.lastOwner && this.ticked[i] !== this.lastFrameNo && this.fed[i])
          this.put(i, REC_TICK, 0, 0, this.lastFrameNo, this.lastClock, undefined);
    this.send();
    while (this.pending.length) await this.mergeOldest();
    const finals = await this.transport.finish(this.lastClock);
    if (!this.transport.merges) return;
    this.merge(finals.map((f) => f.out));
    for (const f of finals) {
      this.stats.switches += f.stats.switches;
      this.stats.messagesToGuest += f.stats.messagesToGuest;
      this.stats.messagesToHost += f.stats.messagesToHost;
      this.stats.bytesThroughPage += f.stats.bytesThroughPage;
      if (f.stopped && !this.notExact) this.notExact = `a worker's guest stopped (${f.stopped})`;
    }
    // The tables together never held more than the sum of their peaks: below one table's limit, no guest's filled.
    const peaks = finals.map((f) => f.conntrackPeak).filter((p) => p !== undefined);
    const sum = peaks.reduce((n, p) => n + p.peak, 0);
    const max = peaks[0]?.max ?? 0;
    if (max && sum > max && !this.notExact)
      this.notExact = `the workers' conntrack tables held up to ${sum} entries together, more than one table holds (${max}, nf_conntrack_max): one guest's may have filled`;
    this.finalSave = mergeSaves(finals.map((f) => f.finalSave));
    this.finalSave6 = mergeSaves(finals.map((f) => f.finalSave6));
    this.conntrack = mergeConntrack(finals.map((f) => f.conntrack));
    this.conntrack6 = mergeConntrack(finals.map((f) => f.conntrack6));
    this.conntrackTranslated = mergeTranslated(finals.map((f) => f.conntrackTranslated));
    this.conntrackExpect = mergeExpectations(finals.map((f) => f.conntrackExpect));
    this.ipsets = finals[0]!.ipsets;
    this.nfacct = mergeNfacctLists(
      finals.map((f) => f.nfacct),
      this.opts.boot.spec.nfacct ?? [],
    );
    await this.terminate();
  }

  /** Stops the workers (or closes the shard files). */
  async terminate(): Promise<void> {
    await this.transport.close();
  }
}

/**
 * Where the shards' guests run and how their batches reach them: worker
 * threads of this process (`ThreadTransport`), or, past one machine, a
 * shard run's own guest writing its records to a directory and a merge
 * reading every shard's directory back (src/workers/shard-dir.ts). The
 * frames, clocks and the merge into one guest's order are ShardedMachine's,
 * the same whatever the transport.
 */
export interface ShardTransport {
  readonly shards: number;
  /** Whether shard `i`'s guest is fed here (else its frames are not copied into batches). */
  feeds(i: number): boolean;
  /** False when the records are kept for a later merge (a shard run): nothing is merged here. */
  readonly merges: boolean;
  /** Boots every shard's guest: what each said. */
  boot(init: WorkerInit): Promise<WorkerBooted[]>;
  /** Hands batch `seq` (per shard, transferred) to the guests: what each caused, per shard. */
  batch(seq: number, bufs: ArrayBuffer[]): Promise<ArrayBuffer[]>;
  /** Moves the clocks to the last frame's and powers off: what each shard leaves. */
  finish(lastClock: bigint): Promise<WorkerFinal[]>;
  /** Stops the guests (or closes files); safe to call more than once. */
  close(): Promise<void>;
}

/** Worker threads of this process, one guest each. */
export class ThreadTransport implements ShardTransport {
  readonly merges = true;
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, { outs: ArrayBuffer[]; left: number; resolve: (o: ArrayBuffer[]) => void; reject: (e: Error) => void }>();
  private finals: Array<WorkerFinal | undefined> = [];
  private finalWait: { resolve: (f: WorkerFinal[]) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(
    readonly shards: number,
    private readonly url = workerScriptUrl(),
  ) {}

  feeds(): boolean {
    return true;
  }

  async boot(init: WorkerInit): Promise<WorkerBooted[]> {
    return Promise.all(
      Array.from(
        { length: this.shards },
        (_, i) =>
          new Promise<WorkerBooted>((resolve) => {
            const w = new Worker(this.url, { workerData: { cofw: WORKER_TAG, init } });
            this.workers.push(w);
            w.once('message', (m: FromWorker) => {
              resolve(m.type === 'booted' ? m : { ok: false, error: m.type === 'error' ? m.message : m.type });
              w.on('message', (msg: FromWorker) => this.onMessage(i, msg));
            });
            w.on('error', (e) => {
              this.fail(e);
              resolve({ ok: false, error: e.message });
            });
          }),
      ),
    );
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.waiting.values()) p.reject(this.failure);
    this.waiting.clear();
    this.finalWait?.reject(this.failure);
  }

  private onMessage(i: number, m: FromWorker): void {
    if (m.type === 'batch') {
      const p = this.waiting.get(m.seq);
      if (!p) return;
      p.outs[i] = m.out;
      if (--p.left === 0) {
        this.waiting.delete(m.seq);
        p.resolve(p.outs);
      }
    } else if (m.type === 'final') {
      this.finals[i] = m;
      if (this.finals.filter((f) => f).length === this.shards) this.finalWait?.resolve(this.finals.map((f) => f!));
    } else if (m.type === 'error') this.fail(new Error(`replay worker ${i}: ${m.message}`));
  }

  batch(seq: number, bufs: ArrayBuffer[]): Promise<ArrayBuffer[]> {
    if (this.failure) return Promise.reject(this.failure);
    const done = new Promise<ArrayBuffer[]>((resolve, reject) =>
      this.waiting.set(seq, { outs: new Array<ArrayBuffer>(this.shards), left: this.shards, resolve, reject }),
    );
    for (let i = 0; i < this.shards; i++) this.workers[i]!.postMessage({ type: 'batch', seq, buf: bufs[i]! } satisfies ToWorker, [bufs[i]!]);
    return done;
  }

  finish(lastClock: bigint): Promise<WorkerFinal[]> {
    if (this.failure) return Promise.reject(this.failure);
    const all = new Promise<WorkerFinal[]>((resolve, reject) => (this.finalWait = { resolve, reject }));
    for (const w of this.workers) w.postMessage({ type: 'finish', lastFrameNo: 0, lastClock } satisfies ToWorker);
    return all;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
