/**
 * The cooperative machine, host side: the monitor that owns the passage
 * page, switches to the guest kernel coroutine and back, and routes every
 * message the guest leaves by its destination module (console, conet
 * daemon, block devices, monitor), as coLinux's monitor does.
 *
 * Exactly one side runs at a time. The host writes a batch of frames until
 * the page is full (or the captures pause), then switches; the guest drains
 * the page, handles the batch, writes its fates and console lines (yielding
 * when the page fills), and goes idle. Switches and messages are counted.
 *
 * A guest that throws, leaves an unknown operation, or writes a malformed
 * message is stopped; the host survives, records why (`termination`) and
 * the caller applies the fail policy to every frame still without a fate.
 *
 * @example
 * const m = new Machine({ spec, rulesFile: 'rules.v4', disks: [fileBlockDevice('rules.v4')], guest: deps, onFate });
 * m.boot(firstTsNs);              // throws RuleFileError on a bad rule file
 * m.deliver(0, { frameNo: 1, tsNs, output: false, data });
 * const save = m.shutdown();      // iptables-save -c from the guest
 */
import { RuleFileError, RuleFileErrors } from '../netfilter/rules/api.js';
import type { BlockDevice } from './cobd.js';
import { guestKernel, type GuestDeps } from './guest.js';
import {
  Assembler,
  DEFAULT_PAGE_SIZE,
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
  decodeConsole,
  decodeFate,
  decodeInitFailed,
  decodeSave,
  decodeTerminate,
  encodeBlkReply,
  encodeBoot,
  encodeFrame,
  terminationName,
  type BootedMsg,
  type FateMsg,
  type FrameMsg,
  type InitFailedMsg,
  type Message,
  type TerminationReason,
} from './passage.js';
import type { MachineSpec } from './spec.js';

export interface MachineOptions {
  readonly spec: MachineSpec;
  /** Name the guest loads the rules under (errors and reports name it). */
  readonly rulesFile: string;
  /** cobd0, cobd1, ...: cobd0 holds the rule file. */
  readonly disks: readonly BlockDevice[];
  readonly guest: GuestDeps;
  /** Every fate the guest reports, in order. */
  readonly onFate: (f: FateMsg) => void;
  /** Passage page size in bytes (64 KiB by default). */
  readonly pageSize?: number;
  /** Console lines kept (LOG rules can print one per packet); later ones are counted. */
  readonly consoleLimit?: number;
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
  private initFailure: InitFailedMsg | undefined;
  private guest: Generator<void, void, void> | null = null;
  private readonly assembler = new Assembler();
  private readonly replies: Array<{ from: number; data: Uint8Array }> = [];
  private readonly consoleLimit: number;

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
    const data = encodeBoot({ bootTsNs, rulesFile: this.opts.rulesFile, spec: this.opts.spec });
    this.hostSend(Module.MONITOR, Module.LINUX, MsgType.Boot, data);
    this.enter();
    if (this.initFailure) throw initError(this.initFailure);
  }

  /** Queues a frame for conet unit `unit`; switches when the page is full. False when the guest is not running. */
  deliver(unit: number, f: FrameMsg): boolean {
    if (!this.guest) return false;
    return this.hostSend(Module.DAEMON, conet(unit), MsgType.Frame, encodeFrame(f));
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
    for (let m = this.page.read(); m; m = this.page.read()) {
      this.stats.messagesToHost++;
      if (!(m.from === Module.LINUX || (m.from >= Module.CONET0 && m.from <= Module.CONET_END))) {
        throw new PassageError(`message to module ${m.to} claims to come from host module ${m.from}`);
      }
      const whole = this.assembler.push(m);
      if (whole) this.route(whole);
    }
    // Replies go in once the page is drained: the ring is then the guest's to read.
    for (const r of this.replies.splice(0)) {
      if (!this.page.write(r.from, Module.LINUX, MsgType.BlkReply, r.data)) throw new Error(`no room in the passage page for a block reply`);
      this.stats.messagesToGuest++;
    }
  }

  private route(m: Message): void {
    const to = m.to;
    if (to === Module.CONSOLE) {
      const c = decodeConsole(m.data);
      this.log(c.sinceBootNs, c.text);
    } else if (to === Module.DAEMON) {
      this.opts.onFate(decodeFate(m.data));
    } else if (to === Module.MONITOR) {
      this.monitor(m);
    } else if (to >= Module.COBD0 && to <= Module.COBD_END) {
      this.cobd(to - Module.COBD0, m);
    } else {
      throw new PassageError(`message for guest module ${to} written by the guest`);
    }
  }

  private monitor(m: Message): void {
    switch (m.type) {
      case MsgType.Terminate: {
        const t = decodeTerminate(m.data);
        const reason = terminationName(t.reason)!;
        this.termination = { reason, frameNo: t.frameNo, message: t.text, oops: !CLEAN.has(reason) };
        return;
      }
      case MsgType.InitFailed:
        this.initFailure = decodeInitFailed(m.data);
        return;
      case MsgType.Save: {
        const s = decodeSave(m.data);
        if (s.counters) this.finalSave = s.text;
        else this.bootSave = s.text;
        return;
      }
      case MsgType.Booted:
        this.booted = decodeBooted(m.data);
        return;
    }
  }

  /** Serves one block request and leaves the reply in the page. */
  private cobd(unit: number, m: Message): void {
    const disk = this.opts.disks[unit];
    let status = 0;
    let value = 0;
    let data: Uint8Array = new Uint8Array(0);
    if (!disk) status = ENOENT;
    else {
      try {
        if (m.type === MsgType.BlkOpen) disk.open();
        else if (m.type === MsgType.BlkStat) value = disk.size();
        else if (m.type === MsgType.BlkClose) disk.close();
        else {
          const r = decodeBlkRead(m.data);
          value = r.offset;
          data = disk.read(r.offset, r.length);
        }
      } catch (e) {
        if (e instanceof PassageError) throw e;
        status = EINVAL;
        this.log(0n, `cobd${unit}: ${disk.name}: ${(e as Error).message}`);
      }
    }
    this.replies.push({ from: Module.COBD0 + unit, data: encodeBlkReply({ request: m.type, status, value, data }) });
  }

  private log(sinceBootNs: bigint, text: string): void {
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
