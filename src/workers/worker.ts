/**
 * A replay worker: one guest of its own (the cooperative machine with the
 * rule files on its block devices), fed the frames of its shard and clock
 * ticks by the main thread (src/workers/sharded.ts), answering each batch
 * with what it caused: fates, console lines, and the marks that say which
 * frame caused them, so that the main thread can put the outcomes of every
 * worker in the order one guest would have produced them.
 *
 * Runs in a worker thread (`node:worker_threads`, workerData.cofw ===
 * 'replay-worker'), or in the calling thread for a shard run
 * (`WorkerGuest` directly).
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { memoryBlockDevice } from '../machine/cobd.js';
import { Machine, type MachineStats } from '../machine/machine.js';
import { decodeBoot, type FateMsg, type FateRecord } from '../machine/passage/index.js';
import type { DropSite } from '../netfilter/fate.js';
import { linuxGuest } from '../replay.js';
import { ByteIn, ByteOut, OUT_CONSOLE, OUT_FATE, OUT_FATE_MARK, OUT_MARK, OUT_REASON, OUT_SITE, REC_FRAME, REC_TICK } from './wire.js';
import { decimalUnits } from '../capture/timestamp.js';

/** What a worker boots with: the boot parameters as the passage page carries them (machine spec, boot time, names), and the files' texts. */
export interface WorkerInit {
  boot: Uint8Array;
  rulesText: string;
  rules6Text?: string;
  ipsetsText?: string;
  pageSize?: number;
}

/** What a worker says after its boot. */
export interface WorkerBooted {
  ok: boolean;
  /** Why it could not boot (the one-worker run then says it properly). */
  error?: string;
  bootSave?: string;
  bootSave6?: string;
  /** The boot's console lines. */
  console?: string[];
}

/** What a worker leaves at the end. */
export interface WorkerFinal {
  /** The records of the shutdown (its marks, fates, console lines). */
  out: ArrayBuffer;
  finalSave?: string;
  finalSave6?: string;
  conntrack?: string;
  conntrack6?: string;
  /** Without the table (`noConntrackList`): its lines that may show an address translation (IPv4, then IPv6). */
  conntrackTranslated?: string;
  conntrackExpect?: string;
  ipsets?: string;
  nfacct?: string;
  stats: MachineStats;
  /** The most conntrack entries its guest held at once, and the table's limit. */
  conntrackPeak?: { peak: number; max: number };
  /** The guest stopped by itself (an oops): the run is not exact and is done again on one worker. */
  stopped?: string;
}

/** One shard's guest and the encoding of what it reports. */
export class WorkerGuest {
  readonly machine: Machine;
  private readonly out = new ByteOut();
  private readonly siteIds = new Map<DropSite, number>();
  private readonly reasonIds = new Map<string, number>();

  constructor(init: WorkerInit) {
    const boot = decodeBoot(init.boot);
    const enc = new TextEncoder();
    const disks = [memoryBlockDevice(boot.rulesFile, enc.encode(init.rulesText))];
    if (boot.rules6File !== undefined) disks.push(memoryBlockDevice(boot.rules6File, enc.encode(init.rules6Text ?? '')));
    if (boot.ipsetsFile !== undefined) disks.push(memoryBlockDevice(boot.ipsetsFile, enc.encode(init.ipsetsText ?? '')));
    this.bootTsNs = boot.bootTsNs;
    this.machine = new Machine({
      spec: boot.spec,
      rulesFile: boot.rulesFile,
      ...(boot.rules6File !== undefined ? { rules6File: boot.rules6File } : {}),
      ...(boot.ipsetsFile !== undefined ? { ipsetsFile: boot.ipsetsFile } : {}),
      disks,
      guest: linuxGuest,
      ...(boot.trace?.length ? { trace: boot.trace } : {}),
      ...(init.pageSize ? { pageSize: init.pageSize } : {}),
      // What the main thread will not read does not cross: the leaving frames without an accepted capture, the table without --conntrack.
      ...(boot.noLeavingFrames ? { noLeavingFrames: true } : {}),
      ...(boot.noConntrackList ? { noConntrackList: true } : {}),
      onFate: (f) => this.fate(f),
      onConsole: (line) => {
        if (this.booting) {
          this.bootConsole.push(line);
          return;
        }
        this.out.u8(OUT_CONSOLE);
        this.out.text(line);
      },
      onMark: (cause, phase) => {
        this.out.u8(OUT_MARK);
        this.out.u32(cause);
        this.out.u8(phase);
      },
    });
  }

  private readonly bootTsNs: bigint;
  private booting = true;
  /** The boot's console lines (before any frame). */
  private readonly bootConsole: string[] = [];

  /** Boots the guest and asks it for marks. */
  boot(): WorkerBooted {
    try {
      this.machine.boot(this.bootTsNs);
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    } finally {
      this.booting = false;
    }
    if (!this.machine.running || !this.machine.marks()) return { ok: false, error: this.machine.termination?.message ?? 'the guest did not boot' };
    return {
      ok: true,
      console: this.bootConsole,
      ...(this.machine.bootSave !== undefined ? { bootSave: this.machine.bootSave } : {}),
      ...(this.machine.bootSave6 !== undefined ? { bootSave6: this.machine.bootSave6 } : {}),
    };
  }

  private fate(f: FateMsg): void {
    const o = this.out;
    let opens = (f as Partial<FateRecord>).opensMark === true;
    // A site or reason defined here must follow the mark: then the mark goes first, on its own.
    if (opens && ((f.site && !this.siteIds.has(f.site)) || (f.reason !== undefined && !this.reasonIds.has(f.reason)))) {
      o.u8(OUT_MARK);
      o.u32(f.frameNo);
      o.u8(1);
      opens = false;
    }
    let site = -1;
    if (f.site) {
      const id = this.siteIds.get(f.site);
      if (id !== undefined) site = id;
      else {
        site = this.siteIds.size;
        this.siteIds.set(f.site, site);
        o.u8(OUT_SITE);
        o.u32(site);
        o.u8(f.site.ipv6 ? 1 : 0);
        o.u32(f.site.rule);
        o.str(f.site.table);
        o.str(f.site.chain);
      }
    }
    let reason = -1;
    if (f.reason !== undefined) {
      const id = this.reasonIds.get(f.reason);
      if (id !== undefined) reason = id;
      else {
        reason = this.reasonIds.size;
        this.reasonIds.set(f.reason, reason);
        o.u8(OUT_REASON);
        o.u32(reason);
        o.str(f.reason);
      }
    }
    const frame = f.frame;
    o.ensure(30 + (frame ? frame.length : 0));
    o.u8(opens ? OUT_FATE_MARK : OUT_FATE);
    o.u8(f.kind);
    o.u8(f.unit & 0xff);
    o.u32(f.frameNo);
    // The time as the page's fate record holds it (two words, no BigInt), else from tsNs.
    const rec = f as Partial<FateRecord>;
    if (rec.tsHi !== undefined) {
      o.u32(rec.tsLo!);
      o.u32(rec.tsHi);
    } else o.u64(f.tsNs);
    o.i32(site);
    o.i32(reason);
    if (frame) {
      o.i32(frame.length);
      o.raw(frame);
    } else o.i32(-1);
  }

  /** A batch record's time as seconds and nanoseconds (decimalUnits' result, reused). */
  private readonly ts = { sec: 0, nsec: 0 };

  /** Hands a batch of frames and ticks to the guest; returns what they caused. */
  batch(buf: ArrayBuffer | Uint8Array): ArrayBuffer {
    const r = new ByteIn(buf);
    const m = this.machine;
    while (r.more) {
      const kind = r.u8();
      const unit = r.u8();
      const flags = r.u8();
      r.u8();
      const frameNo = r.u32();
      // The clock's u64 nanoseconds as two words: a BigInt only for the rare tick.
      const lo = r.u32();
      const hi = r.u32();
      const len = r.u32();
      const at = r.pos;
      if (at + len > r.bytes.length) throw new Error(`batch record of frame ${frameNo} cut short (${len} bytes at ${at} of ${r.bytes.length})`);
      r.pos += len;
      if (kind === REC_FRAME) {
        // Seconds and nanoseconds from one division; the frame copied into the page from the batch, no view made.
        decimalUnits(hi, lo, 9, this.ts);
        m.deliverFrameAt(unit, frameNo, this.ts.sec, this.ts.nsec, flags, r.bytes, at, len);
      } else if (kind === REC_TICK) m.tick(frameNo, (BigInt(hi) << 32n) | BigInt(lo));
    }
    m.settle();
    return this.out.take();
  }

  /** Moves the clock to the run's last frame, powers off, and says what is left. */
  finish(lastFrameNo: number, lastClock: bigint): WorkerFinal {
    const m = this.machine;
    if (lastFrameNo > 0) m.tick(lastFrameNo, lastClock);
    m.shutdown();
    const t = m.termination;
    const stopped = t && t.reason !== 'POWEROFF' ? `${t.reason}: ${t.message}` : undefined;
    return {
      out: this.out.take(),
      ...(m.finalSave !== undefined ? { finalSave: m.finalSave } : {}),
      ...(m.finalSave6 !== undefined ? { finalSave6: m.finalSave6 } : {}),
      ...(m.conntrack !== undefined ? { conntrack: m.conntrack } : {}),
      ...(m.conntrack6 !== undefined ? { conntrack6: m.conntrack6 } : {}),
      ...(m.conntrackTranslated !== undefined ? { conntrackTranslated: m.conntrackTranslated } : {}),
      ...(m.conntrackExpect !== undefined ? { conntrackExpect: m.conntrackExpect } : {}),
      ...(m.ipsets !== undefined ? { ipsets: m.ipsets } : {}),
      ...(m.nfacct !== undefined ? { nfacct: m.nfacct } : {}),
      stats: { ...m.stats },
      ...(m.conntrackPeak ? { conntrackPeak: m.conntrackPeak } : {}),
      ...(stopped ? { stopped } : {}),
    };
  }
}

/** Messages to a worker thread. */
export type ToWorker = { type: 'batch'; seq: number; buf: ArrayBuffer } | { type: 'finish'; lastFrameNo: number; lastClock: bigint };
/** Messages from it. */
export type FromWorker =
  | ({ type: 'booted' } & WorkerBooted)
  | { type: 'batch'; seq: number; out: ArrayBuffer }
  | ({ type: 'final' } & WorkerFinal)
  | { type: 'error'; message: string };

/** workerData's mark of a replay worker. */
export const WORKER_TAG = 'replay-worker';

if (!isMainThread && parentPort && (workerData as { cofw?: string } | undefined)?.cofw === WORKER_TAG) {
  const port = parentPort;
  const init = (workerData as { init: WorkerInit }).init;
  try {
    const g = new WorkerGuest(init);
    const booted = g.boot();
    port.postMessage({ type: 'booted', ...booted } satisfies FromWorker);
    port.on('message', (msg: ToWorker) => {
      try {
        if (msg.type === 'batch') {
          const out = g.batch(msg.buf);
          port.postMessage({ type: 'batch', seq: msg.seq, out } satisfies FromWorker, [out]);
        } else {
          const fin = g.finish(msg.lastFrameNo, msg.lastClock);
          port.postMessage({ type: 'final', ...fin } satisfies FromWorker, [fin.out]);
          port.close();
        }
      } catch (e) {
        port.postMessage({ type: 'error', message: (e as Error).stack ?? String(e) } satisfies FromWorker);
      }
    });
  } catch (e) {
    port.postMessage({ type: 'error', message: (e as Error).stack ?? String(e) } satisfies FromWorker);
  }
}
