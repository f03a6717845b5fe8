/**
 * The guest kernel as a coroutine. It owns everything on the guest side:
 * the boot (parameters from the Boot message), init (`iptables-restore <
 * /dev/cobd0` through block-device messages), the conet driver, printk to
 * the console, and the oops path. It reads only what crosses the passage
 * page and writes only messages into it; it switches to the host by
 * leaving an operation in the page and yielding:
 *
 *   Idle      nothing more to do: the host may deliver more frames
 *   Message   the page is full: the host drains it and resumes the guest
 *   Device    a block request waits for its reply
 *   Terminate the guest has stopped (a Terminate message says why)
 *
 * On every entry the guest reads the batch the host left, message by
 * message, in place (each is validated; a frame is handed to the stack as a
 * view into the page). Its replies (fates, console lines, block requests)
 * gather in its own MessageBuffer meanwhile, because the page still holds
 * unread frames; once the batch is read the page is empty and the replies
 * go in, in runs of whole messages, switching to the host whenever the page
 * fills. Any exception while the guest runs is an oops: the unread rest of
 * the batch is discarded (the host applies its fail policy to it), the
 * report goes to the console and the guest terminates with PANIC (or BUG
 * for a programming error), after sending the fates it had already decided.
 */
import type { Fate } from '../netfilter/fate.js';
import type { Ruleset } from '../netfilter/rules/model.js';
import { hostsTable, type HostsTable } from '../netfilter/rules/hosts.js';
import { machineFacts, type MachineFacts } from './spec.js';
import { parseIpsets, type IpsetStore } from '../netfilter/ipset/ipset.js';
import { HZ } from '../netfilter/clock.js';
import { relNs } from '../capture/timestamp.js';
import type { StackOptions } from '../net/ipv4/stack.js';
import { formatMac } from '../packet/addr.js';
import { ConetDriver, type NetStack } from '../conet/driver.js';
import {
  Assembler,
  BLK_READ_MAX,
  BLK_REPLY_HEADER,
  FRAME_HEADER,
  FateEncoder,
  MessageBuffer,
  Module,
  MsgType,
  Op,
  PassageError,
  Termination,
  checkFrame,
  cobd,
  decodeBlkReply,
  decodeBoot,
  encodeBlkRead,
  encodeBooted,
  encodeInitFailed,
  encodeSave,
  encodeTerminate,
  putConsole,
  type BlkReply,
  type BootMsg,
  type InitError,
  type PassagePage,
} from './passage/index.js';

/** What the guest links against: the rule loader and the network stack. Tests pass fakes. */
export interface GuestDeps {
  /** Throws RuleFileError(s) on a bad rule file; `ipv6` for an ip6tables rule file; `hosts`, the guest's /etc/hosts, for host names in -s and -d. */
  loadRuleset(text: string, file: string, ipv6?: boolean, hosts?: HostsTable, ipsets?: IpsetStore, facts?: MachineFacts): Ruleset;
  /** Boots the stack with the iptables and (when loaded) ip6tables rule sets; may throw when they cannot run. */
  createStack(opts: StackOptions, ruleset: Ruleset, ruleset6?: Ruleset | null): NetStack;
  /** iptables-save text, with counters when asked. */
  saveRuleset(rs: Ruleset, opts: { counters?: boolean }): string;
}

export const KERNEL_VERSION = '2.6.33.7-co-0.7.9';

type Co = Generator<void, void, void>;

interface LineColError {
  message: string;
  file: string;
  line: number;
  column: number;
}

function isPositioned(e: unknown): e is LineColError {
  return (
    e instanceof Error &&
    typeof (e as unknown as LineColError).file === 'string' &&
    typeof (e as unknown as LineColError).line === 'number' &&
    typeof (e as unknown as LineColError).column === 'number'
  );
}

/** A RuleFileError's message without its `file:line:column: ` prefix. */
function bareMessage(e: LineColError): string {
  const prefix = `${e.file}:${e.line}:${e.column}: `;
  return e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
}

/** Where an exception was raised: its first stack frame. */
function whereOf(e: unknown): string {
  if (!(e instanceof Error) || !e.stack) return 'unknown location';
  const at = e.stack.split('\n').find((l) => /^\s+at /.test(l));
  return at ? at.trim().replace(/^at /, '') : 'unknown location';
}

export function* guestKernel(page: PassagePage, deps: GuestDeps): Co {
  yield* new GuestKernel(page, deps).run();
}

class GuestKernel {
  private readonly assembler = new Assembler();
  /** Replies gathered while the page still holds unread messages from the host. */
  private readonly out: MessageBuffer;
  private readonly fates: FateEncoder;
  /** Who wrote what the page holds now: the host (unread by the guest) or the guest. */
  private pageHoldsHost = true;
  private boot: BootMsg | undefined;
  /**
   * The guest's clock: the latest time seen, as the two 32-bit words of its
   * u64 nanoseconds since 1970 (exact, for the fate records), and the boot
   * time's words; the stack is told nanoseconds since boot as a number.
   */
  private clockHi = 0;
  private clockLo = 0;
  private bootHi = 0;
  private bootLo = 0;
  /** Frame being handled (for the oops report), 0 when none. */
  private current = 0;
  private currentUnit = -1;
  /**
   * Marks (asked by a host that runs several guests, one per worker): the
   * frame whose arrival caused what is written now, and the phase (0 its
   * timers, 1 its handling, 2 the shutdown); and the last mark written.
   */
  private marks = false;
  private cause = 0;
  private phase = 0;
  private markedCause = -1;
  private markedPhase = -1;
  private stack: NetStack | undefined;
  private ruleset: Ruleset | undefined;
  private ruleset6: Ruleset | null = null;
  /** The IP sets `ipset restore` loaded at init, when an ipset file is attached. */
  private ipsets: IpsetStore | undefined;
  private driver: ConetDriver | undefined;
  // The message nextMessage() found: payload at m8[mAt, mAt + mSize).
  private m8: Uint8Array;
  private mView: DataView;
  private mAt = 0;
  private mSize = 0;
  private mTo = 0;
  private mType = 0;

  constructor(
    private readonly page: PassagePage,
    private readonly deps: GuestDeps,
  ) {
    this.out = new MessageBuffer(page.maxChunk);
    this.fates = new FateEncoder(this.out);
    this.m8 = page.bytes;
    this.mView = page.view;
  }

  *run(): Co {
    try {
      if (!(yield* this.init())) return;
      yield* this.mainLoop();
    } catch (e) {
      yield* this.oops(e);
    }
  }

  // -- page I/O ---------------------------------------------------------------

  /** Finds the next whole message in the page (joining chunks); false when the page is empty. */
  private nextMessage(): boolean {
    const page = this.page;
    for (;;) {
      const at = page.next();
      if (at < 0) return false;
      const from = page.msgFrom;
      if (!(from === Module.MONITOR || from === Module.DAEMON || (from >= Module.COBD0 && from <= Module.COBD_END))) {
        throw new PassageError(`message to guest module ${page.msgTo} claims to come from guest module ${from}`);
      }
      if (!page.msgMore && !this.assembler.pending) {
        this.m8 = page.bytes;
        this.mView = page.view;
        this.mAt = at;
        this.mSize = page.msgSize;
      } else {
        const whole = this.assembler.add(from, page.msgTo, page.msgType, page.msgMore, page.bytes, at, page.msgSize);
        if (!whole) continue;
        this.m8 = whole;
        this.mView = new DataView(whole.buffer);
        this.mAt = 0;
        this.mSize = whole.length;
      }
      this.mTo = page.msgTo;
      this.mType = page.msgType;
      return true;
    }
  }

  /** The current message's payload (a view). */
  private payload(): Uint8Array {
    return this.m8.subarray(this.mAt, this.mAt + this.mSize);
  }

  /** Switches to the host with `op`; on return, the page holds what the host wrote. */
  private *exit(op: Op): Co {
    this.page.op = op;
    yield;
    this.page.op = Op.None;
    this.pageHoldsHost = true;
  }

  /** Moves the gathered replies into the page (read empty by now), yielding to the host while it is full. */
  private *flush(): Co {
    const out = this.out;
    let pos = 0;
    while (pos < out.len) {
      this.pageHoldsHost = false;
      pos = this.page.writeMessages(out.bytes, out.view, pos, out.len);
      if (pos < out.len) yield* this.exit(Op.Message);
    }
    out.len = 0;
  }

  /** Sends one message (chunked when large) after everything gathered before it. */
  private *send(from: number, to: number, type: number, data: Uint8Array): Co {
    this.out.put(from, to, type, data);
    yield* this.flush();
  }

  /** The clock as one BigInt (for what is rare: console lines, the end of the run). */
  private clockNs(): bigint {
    return (BigInt(this.clockHi) << 32n) | BigInt(this.clockLo);
  }

  private sinceBoot(): bigint {
    const boot = this.boot?.bootTsNs ?? 0n;
    const now = this.clockNs();
    return now > boot ? now - boot : 0n;
  }

  /** Moves the clock to the u64 time (hi, lo) when it is later; returns that time in nanoseconds since boot. */
  private tick(hi: number, lo: number): number {
    if (hi > this.clockHi || (hi === this.clockHi && lo > this.clockLo)) {
      this.clockHi = hi;
      this.clockLo = lo;
    }
    return relNs(hi, lo, this.bootHi, this.bootLo);
  }

  /** Writes a Mark message when the cause or phase changed since the last one. */
  private mark(): void {
    if (this.cause === this.markedCause && this.phase === this.markedPhase) return;
    this.markedCause = this.cause;
    this.markedPhase = this.phase;
    const b = this.out;
    const o = b.begin(Module.LINUX, Module.DAEMON, MsgType.Mark, 5);
    b.view.setUint32(o, this.cause >>> 0, true);
    b.bytes[o + 4] = this.phase;
    b.end(o + 5);
  }

  private printk(level: number, text: string): void {
    if (this.marks) this.mark();
    putConsole(this.out, level, this.sinceBoot(), text);
  }

  // -- block device client ------------------------------------------------------

  private *blk(unit: number, type: number, payload: Uint8Array): Generator<void, BlkReply, void> {
    // Everything gathered goes first, so that the request is the last message before the DEVICE exit.
    yield* this.flush();
    yield* this.send(Module.LINUX, cobd(unit), type, payload);
    yield* this.exit(Op.Device);
    if (!this.nextMessage() || this.mType !== MsgType.BlkReply) throw new Error(`cobd${unit}: no reply to block request ${type}`);
    const r = decodeBlkReply(this.payload());
    if (this.nextMessage()) throw new Error(`cobd${unit}: unexpected message type ${this.mType} after a block reply`);
    if (r.request !== type) throw new Error(`cobd${unit}: reply to request ${r.request}, expected ${type}`);
    return r;
  }

  /** `cat /dev/cobdN`: open, stat, read in chunks, close. */
  private *readDisk(unit: number): Generator<void, Uint8Array, void> {
    const o = yield* this.blk(unit, MsgType.BlkOpen, new Uint8Array(0));
    if (o.status !== 0) throw new Error(`cobd${unit}: open failed (${o.status})`);
    const st = yield* this.blk(unit, MsgType.BlkStat, new Uint8Array(0));
    if (st.status !== 0) throw new Error(`cobd${unit}: stat failed (${st.status})`);
    const size = st.value;
    this.printk(6, `cobd${unit}: ${size} bytes`);
    const data = new Uint8Array(size);
    let off = 0;
    while (off < size) {
      const len = Math.min(BLK_READ_MAX, this.page.maxChunk - BLK_REPLY_HEADER, size - off);
      const r = yield* this.blk(unit, MsgType.BlkRead, encodeBlkRead({ offset: off, length: len }));
      if (r.status !== 0) throw new Error(`cobd${unit}: read at ${off} failed (${r.status})`);
      if (r.value !== off || r.data.length === 0 || r.data.length > len) throw new Error(`cobd${unit}: short or misplaced read at ${off}`);
      data.set(r.data, off);
      off += r.data.length;
    }
    yield* this.blk(unit, MsgType.BlkClose, new Uint8Array(0));
    return data;
  }

  // -- boot and init ---------------------------------------------------------------

  private *init(): Generator<void, boolean, void> {
    if (!this.nextMessage() || this.mType !== MsgType.Boot) throw new Error(`guest entered without boot parameters`);
    const boot = decodeBoot(this.payload());
    this.boot = boot;
    this.bootHi = this.clockHi = Number(BigInt.asUintN(64, boot.bootTsNs) >> 32n);
    this.bootLo = this.clockLo = Number(BigInt.asUintN(64, boot.bootTsNs) & 0xffffffffn);
    const spec = boot.spec;
    this.printk(5, `Linux version ${KERNEL_VERSION} (cofw@${spec.hostname}) #1 PREEMPT cofw`);
    const eths = spec.devices.filter((d) => d.unit >= 0);
    this.printk(6, `Kernel command line: cobd0=${boot.rulesFile} ${eths.map((d) => `eth${d.unit}=conet,${formatMac(d.mac)}`).join(' ')} HZ=250`);
    for (const d of eths) this.printk(6, `conet: ${d.name} ${formatMac(d.mac)}`);
    let bytes: Uint8Array;
    let bytes6: Uint8Array | null = null;
    try {
      bytes = yield* this.readDisk(0);
    } catch (e) {
      yield* this.initFailed(e, '', boot.rulesFile);
      return false;
    }
    if (boot.rules6File) {
      try {
        bytes6 = yield* this.readDisk(1);
      } catch (e) {
        yield* this.initFailed(e, '', boot.rules6File);
        return false;
      }
    }
    let ipsetBytes: Uint8Array | null = null;
    if (boot.ipsetsFile) {
      try {
        ipsetBytes = yield* this.readDisk(boot.rules6File ? 2 : 1);
      } catch (e) {
        yield* this.initFailed(e, '', boot.ipsetsFile);
        return false;
      }
    }
    yield* this.flush();
    // `ipset restore < /dev/cobdN`, before the rules that name the sets.
    let ipsets: IpsetStore | undefined;
    if (ipsetBytes && boot.ipsetsFile) {
      const ipsetText = new TextDecoder('utf-8').decode(ipsetBytes);
      try {
        ipsets = parseIpsets(ipsetText, boot.ipsetsFile);
      } catch (e) {
        yield* this.initFailed(e, ipsetText, boot.ipsetsFile);
        return false;
      }
      this.ipsets = ipsets;
      this.printk(6, `ipset restore: ${ipsets.sets.size} set${ipsets.sets.size === 1 ? '' : 's'}`);
    }
    // The rule files as iptables-restore reads them: a byte-order mark stays (and is refused) rather than being skipped.
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
    const hosts = hostsTable(spec.hosts, spec.hostname);
    const ports = machineFacts(spec);
    let ruleset: Ruleset;
    let ruleset6: Ruleset | null = null;
    if (bytes6 && boot.rules6File) {
      const text6 = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes6);
      try {
        ruleset6 = this.deps.loadRuleset(text6, boot.rules6File, true, hosts, ipsets, ports);
      } catch (e) {
        yield* this.initFailed(e, text6, boot.rules6File);
        return false;
      }
    }
    try {
      ruleset = this.deps.loadRuleset(text, boot.rulesFile, false, hosts, ipsets, ports);
      this.stack = this.deps.createStack(
        {
          spec,
          printk: (level, line) => this.printk(level, line),
          fate: (f) => {
            let opens = false;
            if (this.marks) {
              // The first fate of a frame's handling, about that frame (nearly every frame's one fate), is its own mark.
              if (this.phase === 1 && this.cause === f.frameNo && (this.markedCause !== this.cause || this.markedPhase !== 1)) {
                this.markedCause = this.cause;
                this.markedPhase = 1;
                opens = true;
              } else this.mark();
            }
            this.fates.fate(f, this.clockHi, this.clockLo, opens);
          },
          ...(boot.noLeavingFrames ? { leavingFrames: false } : {}),
          clockOriginNs: BigInt.asUintN(64, boot.bootTsNs),
          ...(boot.trace?.length ? { trace: (n: number) => boot.trace!.some(([lo, hi]) => n >= lo && n <= hi) } : {}),
        },
        ruleset,
        ruleset6,
      );
    } catch (e) {
      yield* this.initFailed(e, text, boot.rulesFile);
      return false;
    }
    this.ruleset = ruleset;
    this.ruleset6 = ruleset6;
    this.stack.setClock(0);
    this.driver = new ConetDriver(this.stack);
    let rules = 0;
    for (const t of ruleset.tables.values()) for (const c of t.chains.values()) rules += c.rules.length;
    this.printk(6, `iptables-restore: loaded ${rules} rules in ${ruleset.tables.size} tables`);
    yield* this.flush();
    yield* this.send(Module.LINUX, Module.MONITOR, MsgType.Save, encodeSave({ counters: false, text: this.deps.saveRuleset(ruleset, {}) }));
    if (ruleset6) {
      let rules6 = 0;
      for (const t of ruleset6.tables.values()) for (const c of t.chains.values()) rules6 += c.rules.length;
      this.printk(6, `ip6tables-restore: loaded ${rules6} rules in ${ruleset6.tables.size} tables`);
      yield* this.send(Module.LINUX, Module.MONITOR, MsgType.Save, encodeSave({ counters: false, ipv6: true, text: this.deps.saveRuleset(ruleset6, {}) }));
    }
    yield* this.send(Module.LINUX, Module.MONITOR, MsgType.Booted, encodeBooted({ rules, tables: ruleset.tables.size }));
    yield* this.exit(Op.Idle);
    return true;
  }

  /** init exits: the errors cross as console lines and a structured message; the guest halts. */
  private *initFailed(e: unknown, text: string, file: string): Co {
    const list: unknown[] = e instanceof Error && Array.isArray((e as { errors?: unknown }).errors) ? (e as unknown as { errors: unknown[] }).errors : [e];
    const errors: InitError[] = [];
    let ruleFile = true;
    for (const x of list) {
      if (isPositioned(x)) {
        errors.push({ file: x.file, line: x.line, column: x.column, message: bareMessage(x) });
      } else {
        // Not a parse error (the stack refused the rule set): point at the table it names, if any.
        ruleFile = ruleFile && errors.length > 0;
        const msg = x instanceof Error ? x.message : String(x);
        const table = /the (\w+) table/.exec(msg)?.[1];
        let line = 0;
        if (table) {
          const idx = text.split('\n').findIndex((l) => l.trim() === `*${table}`);
          if (idx >= 0) line = idx + 1;
        }
        errors.push({ file, line, column: line ? 1 : 0, message: msg });
      }
    }
    for (const er of errors) this.printk(3, `iptables-restore: ${er.file}:${er.line}:${er.column}: ${er.message}`);
    this.printk(3, `init: iptables-restore < /dev/cobd0 failed; halting`);
    yield* this.flush();
    yield* this.send(Module.LINUX, Module.MONITOR, MsgType.InitFailed, encodeInitFailed({ ruleFile: ruleFile || errors.every((x) => x.line > 0), errors }));
    yield* this.terminate(Termination.HALT, 0, 'init failed: the rule file was refused');
  }

  private *terminate(reason: number, frameNo: number, text: string): Co {
    yield* this.send(Module.LINUX, Module.MONITOR, MsgType.Terminate, encodeTerminate({ reason, frameNo, text }));
    this.page.op = Op.Terminate;
    yield;
  }

  // -- running ---------------------------------------------------------------------

  private *mainLoop(): Co {
    const driver = this.driver!;
    for (;;) {
      while (this.nextMessage()) {
        if (this.mType === MsgType.Frame) {
          const u8 = this.m8;
          const at = this.mAt;
          const flags = checkFrame(u8, at, this.mSize);
          const frameNo = this.mView.getUint32(at, true);
          const tsNs = this.tick(this.mView.getUint32(at + 8, true), this.mView.getUint32(at + 4, true));
          this.current = frameNo;
          this.currentUnit = this.mTo - Module.CONET0;
          if (this.marks) {
            // Its timers first (they fire as the clock reaches it), then its handling.
            this.cause = frameNo;
            this.phase = 0;
            this.stack!.setClock(tsNs);
            this.phase = 1;
          }
          driver.deliverAt(this.currentUnit, frameNo, tsNs, flags, u8, at + FRAME_HEADER, at + this.mSize);
          this.current = 0;
        } else if (this.mType === MsgType.Tick) {
          if (this.mSize !== 12) throw new PassageError(`tick: payload of ${this.mSize} bytes, 12 expected`);
          const tsNs = this.tick(this.mView.getUint32(this.mAt + 8, true), this.mView.getUint32(this.mAt + 4, true));
          this.cause = this.mView.getUint32(this.mAt, true);
          this.phase = 0;
          this.stack!.setClock(tsNs);
        } else if (this.mType === MsgType.MarksOn) {
          this.marks = true;
        } else if (this.mType === MsgType.Shutdown) {
          if (!this.page.empty) throw new Error(`messages after the shutdown request`);
          this.cause = 0;
          this.phase = 2;
          yield* this.shutdown();
          return;
        } else {
          throw new Error(`unexpected message type ${this.mType} for ${this.mTo}`);
        }
      }
      yield* this.flush();
      yield* this.exit(Op.Idle);
    }
  }

  private *shutdown(): Co {
    this.stack!.finish?.();
    this.printk(6, `reboot: Power down`);
    yield* this.flush();
    yield* this.send(
      Module.LINUX,
      Module.MONITOR,
      MsgType.Save,
      encodeSave({ counters: true, text: this.deps.saveRuleset(this.ruleset!, { counters: true }) }),
    );
    if (this.ruleset6) {
      yield* this.send(
        Module.LINUX,
        Module.MONITOR,
        MsgType.Save,
        encodeSave({ counters: true, ipv6: true, text: this.deps.saveRuleset(this.ruleset6, { counters: true }) }),
      );
    }
    // Without a table to list (the host writes none), only the lines that may show an address translation.
    const stack = this.stack!;
    const translatedOnly = this.boot!.noConntrackList === true && stack.conntrackTranslated !== undefined;
    const tr = translatedOnly ? stack.conntrackTranslated!(this.ruleset6 !== undefined) : undefined;
    if (tr !== undefined) yield* this.send(Module.LINUX, Module.MONITOR, MsgType.ConntrackTranslated, new TextEncoder().encode(tr));
    const ct = translatedOnly ? undefined : stack.conntrackList?.();
    if (ct !== undefined) yield* this.send(Module.LINUX, Module.MONITOR, MsgType.Conntrack, new TextEncoder().encode(ct));
    const peak = this.marks ? this.stack!.conntrackPeak?.() : undefined;
    if (peak) {
      const b = new Uint8Array(8);
      const dv = new DataView(b.buffer);
      dv.setUint32(0, peak.peak, true);
      dv.setUint32(4, peak.max, true);
      yield* this.send(Module.LINUX, Module.MONITOR, MsgType.ConntrackPeak, b);
    }
    const ct6 = this.ruleset6 && !translatedOnly ? this.stack!.conntrackList6?.() : undefined;
    if (ct6 !== undefined) yield* this.send(Module.LINUX, Module.MONITOR, MsgType.Conntrack6, new TextEncoder().encode(ct6));
    const exp = ct !== undefined || tr !== undefined ? this.stack!.conntrackExpect?.(this.ruleset6 !== undefined) : undefined;
    if (exp !== undefined) yield* this.send(Module.LINUX, Module.MONITOR, MsgType.ConntrackExpect, new TextEncoder().encode(exp));
    const acct = stack.nfacctList?.();
    if (acct !== undefined) yield* this.send(Module.LINUX, Module.MONITOR, MsgType.Nfacct, new TextEncoder().encode(acct));
    if (this.ipsets) {
      // `ipset save` at the last packet's time, in jiffies since boot (when the sets were restored).
      const now = Number(((this.clockNs() - this.boot!.bootTsNs) * BigInt(HZ)) / 1_000_000_000n);
      yield* this.send(Module.LINUX, Module.MONITOR, MsgType.Ipsets, new TextEncoder().encode(this.ipsets.save(now)));
    }
    yield* this.terminate(Termination.POWEROFF, 0, 'power down');
  }

  // -- oops -------------------------------------------------------------------------

  private *oops(e: unknown): Co {
    const err = e instanceof Error ? e : new Error(String(e));
    const bug = err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError;
    const overflow = err instanceof RangeError && /call stack/i.test(err.message);
    const frameNo = this.current;
    const handling = frameNo ? `frame ${frameNo} on ${this.currentUnit >= 0 ? `eth${this.currentUnit}` : 'the host link'}` : 'no frame';
    this.printk(1, `${bug ? 'kernel BUG' : 'Oops'}: ${err.name}: ${err.message}`);
    this.printk(1, `CPU: 0 PID: 1 Comm: ${frameNo ? 'ksoftirqd/0' : 'init'} Not tainted ${KERNEL_VERSION} #1`);
    this.printk(1, `RIP: ${whereOf(err)}`);
    this.printk(1, `Handling: ${handling}`);
    const trace = (err.stack ?? '')
      .split('\n')
      .filter((l) => /^\s+at /.test(l))
      .slice(0, 8);
    if (trace.length) {
      this.printk(1, 'Call Trace:');
      for (const l of trace) this.printk(1, ` ${l.trim().replace(/^at /, '')}`);
    }
    this.printk(0, `Kernel panic - not syncing: Fatal exception${frameNo ? ` in interrupt` : ''}`);
    const reason = overflow ? Termination.STACK_OVERFLOW : bug ? Termination.BUG : Termination.PANIC;
    // The unread rest of the batch never reaches the stack: the host's fail policy applies to it.
    if (this.pageHoldsHost) this.page.discard();
    yield* this.flush();
    yield* this.terminate(reason, frameNo, `${err.name}: ${err.message} at ${whereOf(err)} (${handling})`);
  }
}
