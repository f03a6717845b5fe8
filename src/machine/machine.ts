/**
 * The cooperative machine, host side: the monitor that owns the passage
 * page, switches to the guest kernel coroutine and back, and routes every
 * message the guest leaves by its destination module (console, conet
 * daemon, block devices, monitor), as coLinux's monitor does.
 *
 * Exactly one side runs at a time. The host writes a batch of frames into
 * the page, in place, until it is full (or the captures pause), then
 * switches; the guest reads the batch, hands each frame to its stack,
 * writes its fates and console lines (yielding when the page fills), and
 * goes idle. The host reads what the guest wrote in place too: one
 * `FateRecord` is reused for every fate. Switches and messages are counted.
 *
 * A guest that throws, leaves an unknown operation, or writes a malformed
 * message is stopped; the host survives, records why (`termination`) and
 * the caller applies the fail policy to every frame still without a fate.
 *
 * @example
 * const m = new Machine({ spec, rulesFile: 'rules.v4', disks: [fileBlockDevice('rules.v4')], guest: deps, onFate });
 * m.boot(firstTsNs);              // throws RuleFileError on a bad rule file
 * m.deliverFrame(0, 1, tsSec, tsNsec, 0, data); // or m.deliver(0, { frameNo: 1, tsNs, output: false, data })
 * const save = m.shutdown();      // iptables-save -c from the guest
 */
import { RuleFileError, RuleFileErrors } from '../netfilter/rules/api.js';
import type { BlockDevice } from './cobd.js';
import { guestKernel, type GuestDeps } from './guest.js';
import {
  Assembler,
  DEFAULT_PAGE_SIZE,
  FRAME_HEADER,
  FRAME_OUTPUT,
  FRAME_TRUNCATED,
  FateDecoder,
  FateRecord,
  Module,
  MsgType,
  Op,
  PassageError,
  PassagePage,
  Termination,
  chunks,
  conet,
  decodeBlkRead,
  decodeBooted,
  decodeInitFailed,
  decodeSave,
  decodeTerminate,
  encodeBlkReply,
  encodeBoot,
  encodeFrame,
  putFrame,
  putFrameAt,
  terminationName,
  type BootedMsg,
  type FateMsg,
  type FrameMsg,
  type InitFailedMsg,
  type TerminationReason,
} from './passage/index.js';
import type { MachineSpec } from './spec.js';
import { bigintNs, nsecOfBigint, secOfBigint } from '../capture/timestamp.js';

export interface MachineOptions {
  readonly spec: MachineSpec;
  /** Name the guest loads the rules under (errors and reports name it). */
  readonly rulesFile: string;
  /** Name of the ip6tables rule file on cobd1, when there is one. */
  readonly rules6File?: string;
  /** Name of the ipset file on the disk after the rule files, when there is one. */
  readonly ipsetsFile?: string;
  /** cobd0, cobd1, ...: cobd0 holds the rule file. */
  readonly disks: readonly BlockDevice[];
  readonly guest: GuestDeps;
  /** Frame number ranges the guest traces (TRACE lines on the console). */
  readonly trace?: ReadonlyArray<readonly [number, number]>;
  /** The host keeps no leaving frames (no accepted capture): fates of packets that got through cross without them. */
  readonly noLeavingFrames?: boolean;
  /**
   * No conntrack table is listed at shutdown (`conntrack` and `conntrack6`
   * stay undefined): the guest sends only the lines that may show an
   * address translation (`conntrackTranslated`).
   */
  readonly noConntrackList?: boolean;
  /**
   * Every fate the guest reports, in order. The record is reused for the
   * next fate: it is valid during the call; copy what you keep (its
   * `frame` is a copy of its own and may be kept).
   */
  readonly onFate: (f: FateMsg) => void;
  /** Passage page size in bytes (64 KiB by default). */
  readonly pageSize?: number;
  /** Console lines kept (LOG rules can print one per packet); later ones are counted. */
  readonly consoleLimit?: number;
  /** Every console line instead of `console` (no limit then), in order with the fates and marks. */
  readonly onConsole?: (line: string) => void;
  /**
   * With `marks()`: the frame whose arrival caused the fates and console
   * lines that follow, and the phase (0 its timers, 1 its handling, 2 the
   * shutdown). A fate whose `opensMark` is set stands for the mark (its
   * frame, 1) before it: `onMark` is not called for that one.
   */
  readonly onMark?: (cause: number, phase: number) => void;
}

export interface MachineStats {
  /** Context switches, both directions. */
  switches: number;
  messagesToGuest: number;
  messagesToHost: number;
  bytesThroughPage: number;
}

export interface GuestTermination {
  readonly reason: TerminationReason;
  /** Frame being handled when the guest stopped, 0 when none. */
  readonly frameNo: number;
  readonly message: string;
  /** An oops (PANIC, BUG, ...) as opposed to a clean power-off or halt. */
  readonly oops: boolean;
}

const CLEAN = new Set<TerminationReason>(['END', 'POWEROFF', 'HALT', 'REBOOT']);
const ENOENT = -2;
const EINVAL = -22;

/** `[    1.234567] ` from nanoseconds since boot. */
export function kernelTimestamp(ns: bigint): string {
  const sec = ns / 1_000_000_000n;
  const usec = (ns % 1_000_000_000n) / 1000n;
  return `[${sec.toString().padStart(5, ' ')}.${usec.toString().padStart(6, '0')}] `;
}

export class Machine {
  readonly page: PassagePage;
  readonly stats: MachineStats = { switches: 0, messagesToGuest: 0, messagesToHost: 0, bytesThroughPage: 0 };
  readonly console: string[] = [];
  consoleDropped = 0;
  termination: GuestTermination | undefined;
  booted: BootedMsg | undefined;
  /** iptables-save text the guest printed after init (no counters) and at power-off (counters). */
  bootSave: string | undefined;
  finalSave: string | undefined;
  /** The same for the ip6tables rule set, when one was loaded. */
  bootSave6: string | undefined;
  finalSave6: string | undefined;
  /** The guest's connection tracking table at shutdown (`conntrack -L`), when it tracked connections. */
  conntrack: string | undefined;
  /** Its IPv6 entries (`conntrack -L -f ipv6`). */
  conntrack6: string | undefined;
  /**
   * With `noConntrackList`: the lines of those two tables (IPv4, then IPv6)
   * that may show an address translation, in their order there.
   */
  conntrackTranslated: string | undefined;
  /** The pending expectations at shutdown (`conntrack -L expect`, IPv4 then IPv6), when it tracked connections. */
  conntrackExpect: string | undefined;
  /** With marks: the most entries the guest's conntrack table held at once, and its limit (0 unlimited). */
  conntrackPeak: { peak: number; max: number } | undefined;
  /** The guest's IP sets at shutdown (`ipset save`), when an ipset file was restored. */
  ipsets: string | undefined;
  /** The accounting objects at shutdown (`nfacct list`), when the machine has any. */
  nfacct: string | undefined;
  private initFailure: InitFailedMsg | undefined;
  private guest: Generator<void, void, void> | null = null;
  private readonly assembler = new Assembler();
  private readonly replies: Array<{ from: number; data: Uint8Array }> = [];
  private readonly consoleLimit: number;
  private readonly fates = new FateDecoder();
  private readonly fate = new FateRecord();
  private readonly text = new TextDecoder();

  constructor(private readonly opts: MachineOptions) {
    this.page = new PassagePage(opts.pageSize ?? DEFAULT_PAGE_SIZE);
    this.consoleLimit = opts.consoleLimit ?? 100_000;
  }

  /** Is the guest running (booted, not terminated)? */
  get running(): boolean {
    return this.guest !== null;
  }

  /**
   * Boots the guest: boot parameters cross the page, init reads cobd0 and
   * loads the rules. A refused rule file throws RuleFileError (or
   * RuleFileErrors when there are several); a guest that oopses during boot
   * leaves `running` false and `termination` set.
   */
  boot(bootTsNs: bigint): void {
    if (this.guest || this.termination) throw new Error('the machine has already booted');
    this.guest = guestKernel(this.page, this.opts.guest);
    const data = encodeBoot({
      bootTsNs,
      rulesFile: this.opts.rulesFile,
      spec: this.opts.spec,
      ...(this.opts.trace ? { trace: this.opts.trace } : {}),
      ...(this.opts.rules6File ? { rules6File: this.opts.rules6File } : {}),
      ...(this.opts.ipsetsFile ? { ipsetsFile: this.opts.ipsetsFile } : {}),
      ...(this.opts.noLeavingFrames ? { noLeavingFrames: true } : {}),
      ...(this.opts.noConntrackList ? { noConntrackList: true } : {}),
    });
    this.hostSend(Module.MONITOR, Module.LINUX, MsgType.Boot, data);
    this.enter();
    if (this.initFailure) throw initError(this.initFailure);
  }

  /** Queues a frame for conet unit `unit`; switches when the page is full. False when the guest is not running. */
  deliver(unit: number, f: FrameMsg): boolean {
    return this.deliverFrame(
      unit,
      f.frameNo,
      secOfBigint(f.tsNs),
      nsecOfBigint(f.tsNs),
      (f.output ? FRAME_OUTPUT : 0) | (f.truncated ? FRAME_TRUNCATED : 0),
      f.data,
    );
  }

  /** `deliver` without a message object: the frame message is written straight into the page. */
  /** `flags`: FRAME_OUTPUT, FRAME_TRUNCATED. Its time: tsSec seconds and tsNsec nanoseconds since 1970. */
  deliverFrame(unit: number, frameNo: number, tsSec: number, tsNsec: number, flags: number, data: Uint8Array): boolean {
    if (!this.guest) return false;
    const page = this.page;
    if (FRAME_HEADER + data.length > page.maxChunk)
      return this.hostSend(
        Module.DAEMON,
        conet(unit),
        MsgType.Frame,
        encodeFrame({ frameNo, tsNs: bigintNs(tsSec, tsNsec), output: (flags & FRAME_OUTPUT) !== 0, truncated: (flags & FRAME_TRUNCATED) !== 0, data }),
      );
    let at = page.reserve(Module.DAEMON, conet(unit), MsgType.Frame, FRAME_HEADER + data.length);
    while (at < 0) {
      this.enter();
      if (!this.guest) return false;
      at = page.reserve(Module.DAEMON, conet(unit), MsgType.Frame, FRAME_HEADER + data.length);
    }
    putFrame(page.bytes, page.view, at, frameNo, tsSec, tsNsec, flags, data);
    this.stats.messagesToGuest++;
    return true;
  }

  /** `deliverFrame` of the frame of `len` bytes at src[start] (a frame of a capture's batch), with no view made of it. */
  deliverFrameAt(unit: number, frameNo: number, tsSec: number, tsNsec: number, flags: number, src: Uint8Array, start: number, len: number): boolean {
    if (!this.guest) return false;
    const page = this.page;
    if (FRAME_HEADER + len > page.maxChunk) return this.deliverFrame(unit, frameNo, tsSec, tsNsec, flags, src.subarray(start, start + len));
    let at = page.reserve(Module.DAEMON, conet(unit), MsgType.Frame, FRAME_HEADER + len);
    while (at < 0) {
      this.enter();
      if (!this.guest) return false;
      at = page.reserve(Module.DAEMON, conet(unit), MsgType.Frame, FRAME_HEADER + len);
    }
    putFrameAt(page.bytes, page.view, at, frameNo, tsSec, tsNsec, flags, src, start, len);
    this.stats.messagesToGuest++;
    return true;
  }

  /** Asks the guest to mark what each frame caused (`onMark`): for a machine that is one of several workers. */
  marks(): boolean {
    return !!this.guest && this.hostSend(Module.MONITOR, Module.LINUX, MsgType.MarksOn, new Uint8Array(0));
  }

  /** Moves the guest's clock to frame `frameNo`'s time, which another worker handles: its timers fire as they would have. */
  tick(frameNo: number, tsNs: bigint): boolean {
    if (!this.guest) return false;
    const page = this.page;
    let at = page.reserve(Module.MONITOR, Module.LINUX, MsgType.Tick, 12);
    while (at < 0) {
      this.enter();
      if (!this.guest) return false;
      at = page.reserve(Module.MONITOR, Module.LINUX, MsgType.Tick, 12);
    }
    page.view.setUint32(at, frameNo >>> 0, true);
    page.view.setBigUint64(at + 4, tsNs, true);
    this.stats.messagesToGuest++;
    return true;
  }

  /** Lets the guest handle everything queued (the host has nothing more for now). */
  settle(): void {
    if (this.guest && !this.page.empty) this.enter();
  }

  /**
   * Ends the run: the guest finishes what it holds, prints its counters and
   * powers off. Returns the final iptables-save text, or undefined when the
   * guest is not running.
   */
  shutdown(): string | undefined {
    if (!this.guest) return this.finalSave;
    this.settle();
    if (!this.guest) return this.finalSave;
    this.hostSend(Module.MONITOR, Module.LINUX, MsgType.Shutdown, new Uint8Array(0));
    for (let i = 0; this.guest && i < 4; i++) this.enter();
    if (this.guest) this.kill('INVALID_OPERATION', 'the guest did not power off when asked');
    return this.finalSave;
  }

  // -- switching -----------------------------------------------------------------

  private hostSend(from: number, to: number, type: number, data: Uint8Array): boolean {
    const parts = chunks(data, this.page.maxChunk);
    for (let i = 0; i < parts.length; i++) {
      while (!this.page.write(from, to, type, parts[i]!, i < parts.length - 1)) {
        this.enter();
        if (!this.guest) return false;
      }
      this.stats.messagesToGuest++;
    }
    this.stats.bytesThroughPage = this.page.bytesWritten;
    return true;
  }

  /** Switches to the guest and serves it until it is idle or gone. */
  private enter(): void {
    while (this.guest) {
      const g = this.guest;
      this.stats.switches++;
      let done: boolean | undefined;
      try {
        done = g.next().done;
      } catch (e) {
        this.stats.switches++;
        this.guestFault(e, 'the guest kernel raised an exception its oops handler did not catch');
        return;
      }
      this.stats.switches++;
      const op = this.page.op;
      try {
        this.drain();
      } catch (e) {
        if (!(e instanceof PassageError)) throw e;
        this.kill('BUG', `malformed message from the guest rejected: ${e.message}`);
        return;
      }
      this.stats.bytesThroughPage = this.page.bytesWritten;
      if (done || op === Op.Terminate) {
        this.guest = null;
        if (!this.termination) this.termination = { reason: 'END', frameNo: 0, message: 'the guest stopped without saying why', oops: false };
        return;
      }
      if (op === Op.Idle) return;
      if (op !== Op.Message && op !== Op.Device) {
        this.kill('INVALID_OPERATION', `the guest left with unknown operation ${op}`);
        return;
      }
    }
  }

  private guestFault(e: unknown, what: string): void {
    const err = e instanceof Error ? e : new Error(String(e));
    const overflow = err instanceof RangeError && /call stack/i.test(err.message);
    this.kill(overflow ? 'STACK_OVERFLOW' : 'PANIC', `${what}: ${err.name}: ${err.message}`);
  }

  /** Stops the guest from the host side. */
  private kill(reason: TerminationReason, message: string): void {
    const g = this.guest;
    this.guest = null;
    try {
      g?.return();
    } catch {
      // the guest is gone either way
    }
    this.termination = { reason, frameNo: 0, message, oops: !CLEAN.has(reason) };
    this.log(0n, `cofw monitor: guest stopped (${reason}): ${message}`);
  }

  // -- the host's message switch ------------------------------------------------------

  private drain(): void {
    const page = this.page;
    for (let at = page.next(); at >= 0; at = page.next()) {
      this.stats.messagesToHost++;
      const from = page.msgFrom;
      const to = page.msgTo;
      if (!(from === Module.LINUX || (from >= Module.CONET0 && from <= Module.CONET_END))) {
        throw new PassageError(`message to module ${to} claims to come from host module ${from}`);
      }
      if (!page.msgMore && !this.assembler.pending) this.route(to, page.msgType, page.bytes, page.view, at, page.msgSize);
      else {
        const whole = this.assembler.add(from, to, page.msgType, page.msgMore, page.bytes, at, page.msgSize);
        if (whole) this.route(to, page.msgType, whole, new DataView(whole.buffer), 0, whole.length);
      }
    }
    // Replies go in once the page is drained: the ring is then the guest's to read.
    for (const r of this.replies.splice(0)) {
      if (!page.write(r.from, Module.LINUX, MsgType.BlkReply, r.data)) throw new Error(`no room in the passage page for a block reply`);
      this.stats.messagesToGuest++;
    }
  }

  /** Routes one message by its destination; its payload is u8[at, at + size), read in place. */
  private route(to: number, type: number, u8: Uint8Array, dv: DataView, at: number, size: number): void {
    if (to === Module.DAEMON) {
      if (type === MsgType.Fate) {
        this.fates.decode(this.fate, u8, dv, at, size);
        this.opts.onFate(this.fate);
      } else if (type === MsgType.Mark) {
        if (size !== 5) throw new PassageError(`mark: payload of ${size} bytes, 5 expected`);
        this.opts.onMark?.(dv.getUint32(at, true), u8[at + 4]!);
      } else this.fates.intern(u8, at, size);
    } else if (to === Module.CONSOLE) {
      if (size < 9) throw new PassageError(`console line: payload of ${size} bytes, 9 needed before the text`);
      const level = u8[at]!;
      if (level > 7) throw new PassageError(`console line: log level ${level} out of range (0-7)`);
      if (this.opts.onConsole) this.opts.onConsole(kernelTimestamp(dv.getBigUint64(at + 1, true)) + this.text.decode(u8.subarray(at + 9, at + size)));
      else if (this.console.length >= this.consoleLimit) this.consoleDropped++;
      else this.console.push(kernelTimestamp(dv.getBigUint64(at + 1, true)) + this.text.decode(u8.subarray(at + 9, at + size)));
    } else if (to === Module.MONITOR) {
      this.monitor(type, u8.subarray(at, at + size));
    } else if (to >= Module.COBD0 && to <= Module.COBD_END) {
      this.cobd(to - Module.COBD0, type, u8.subarray(at, at + size));
    } else {
      throw new PassageError(`message for guest module ${to} written by the guest`);
    }
  }

  private monitor(type: number, data: Uint8Array): void {
    switch (type) {
      case MsgType.Terminate: {
        const t = decodeTerminate(data);
        const reason = terminationName(t.reason)!;
        this.termination = { reason, frameNo: t.frameNo, message: t.text, oops: !CLEAN.has(reason) };
        return;
      }
      case MsgType.InitFailed:
        this.initFailure = decodeInitFailed(data);
        return;
      case MsgType.Save: {
        const s = decodeSave(data);
        if (s.ipv6) {
          if (s.counters) this.finalSave6 = s.text;
          else this.bootSave6 = s.text;
        } else if (s.counters) this.finalSave = s.text;
        else this.bootSave = s.text;
        return;
      }
      case MsgType.Booted:
        this.booted = decodeBooted(data);
        return;
      case MsgType.Conntrack:
        this.conntrack = new TextDecoder('utf-8', { fatal: false }).decode(data);
        return;
      case MsgType.Conntrack6:
        this.conntrack6 = new TextDecoder('utf-8', { fatal: false }).decode(data);
        return;
      case MsgType.ConntrackTranslated:
        this.conntrackTranslated = new TextDecoder('utf-8', { fatal: false }).decode(data);
        return;
      case MsgType.ConntrackExpect:
        this.conntrackExpect = new TextDecoder('utf-8', { fatal: false }).decode(data);
        return;
      case MsgType.ConntrackPeak:
        if (data.length !== 8) throw new PassageError(`conntrack peak: payload of ${data.length} bytes, 8 expected`);
        this.conntrackPeak = {
          peak: new DataView(data.buffer, data.byteOffset).getUint32(0, true),
          max: new DataView(data.buffer, data.byteOffset).getUint32(4, true),
        };
        return;
      case MsgType.Ipsets:
        this.ipsets = new TextDecoder('utf-8', { fatal: false }).decode(data);
        return;
      case MsgType.Nfacct:
        this.nfacct = new TextDecoder('utf-8', { fatal: false }).decode(data);
        return;
    }
  }

  /** Serves one block request and leaves the reply in the page. */
  private cobd(unit: number, type: number, payload: Uint8Array): void {
    const disk = this.opts.disks[unit];
    let status = 0;
    let value = 0;
    let data: Uint8Array = new Uint8Array(0);
    if (!disk) status = ENOENT;
    else {
      try {
        if (type === MsgType.BlkOpen) disk.open();
        else if (type === MsgType.BlkStat) value = disk.size();
        else if (type === MsgType.BlkClose) disk.close();
        else {
          const r = decodeBlkRead(payload);
          value = r.offset;
          data = disk.read(r.offset, r.length);
        }
      } catch (e) {
        if (e instanceof PassageError) throw e;
        status = EINVAL;
        this.log(0n, `cobd${unit}: ${disk.name}: ${(e as Error).message}`);
      }
    }
    this.replies.push({ from: Module.COBD0 + unit, data: encodeBlkReply({ request: type, status, value, data }) });
  }

  private log(sinceBootNs: bigint, text: string): void {
    if (this.opts.onConsole) {
      this.opts.onConsole(kernelTimestamp(sinceBootNs) + text);
      return;
    }
    if (this.console.length >= this.consoleLimit) {
      this.consoleDropped++;
      return;
    }
    this.console.push(kernelTimestamp(sinceBootNs) + text);
  }
}

/** The host's view of a failed init: the rule file error(s) as the loader raised them. */
function initError(f: InitFailedMsg): Error {
  const errs = f.errors.map((e) => new RuleFileError(e.message, e.file, e.line, e.column));
  if (errs.length === 1) return errs[0]!;
  if (errs.length === 0) return new RuleFileError('init failed without a reason', '?', 0, 0);
  return new RuleFileErrors(errs);
}

export { Termination };
