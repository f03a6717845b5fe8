/**
 * The passage page: the only door between host and guest. A fixed-size byte
 * region (64 KiB by default) holding a ring of messages
 * `{from: u8, to: u8, type: u16, size: u32, data}` addressed to modules
 * numbered as coLinux numbers them (LINUX 0, MONITOR 1, DAEMON 2, CONSOLE 6,
 * CONET0-15 8..23, COBD0-31 24..55).
 *
 * Layout (little-endian):
 *   0  u32 read position in the data area
 *   4  u32 write position in the data area
 *   8  u32 bytes in use
 *   12 u32 the guest's exit operation (Op)
 *   16 data area: the ring. A message never wraps: when the next one does
 *      not fit before the end of the ring, the writer fills the end with a
 *      PAD message (type 0; fewer bytes than a header are skipped without
 *      one) and starts again at offset 0. An empty ring restarts at 0.
 *
 * The contract: `reserve`/`write` append while there is room and report a
 * full page (the writer yields, the other side drains). `next`/`read`
 * validate every message before anything in it is used: module numbers in
 * range, size within the page and the ring, a type the destination knows.
 * A malformed message throws `PassageError`; nothing in it is trusted.
 *
 * Cheap by construction: writers encode payloads in place (`reserve`, or a
 * `MessageBuffer` copied over in runs of whole messages), readers decode
 * them in place (`next` returns the payload's offset), so crossing costs no
 * object per message. Drop sites and reasons cross once as definitions
 * (Intern) and then by number.
 *
 * Payloads larger than `maxChunk` cross as several messages with the MORE
 * bit (0x8000) set on all but the last; `Assembler` joins them again.
 *
 * The payload encodings for each message type are at the end of this file.
 *
 * @example
 * const page = new PassagePage();
 * page.write(Module.DAEMON, conet(0), MsgType.Frame, encodeFrame({ frameNo: 1, tsNs: 0n, output: false, data }));
 * const m = page.read(); // { from: 2, to: 8, type: 16, data } (a copy)
 * const at = page.next(); // or in place: header in page.msg*, payload at page.bytes[at, at + page.msgSize)
 */
import type { DropSite, Fate, FateKind } from '../../netfilter/fate.js';
import type { FailPolicy, MachineSpec, RouteSpec } from '../spec.js';
import type { IfAddress, NetDevice } from '../../netfilter/types.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Module numbers (co_module_t). */
export const Module = {
  LINUX: 0,
  MONITOR: 1,
  DAEMON: 2,
  IDLE: 3,
  KERNEL_SWITCH: 4,
  USER_SWITCH: 5,
  CONSOLE: 6,
  PRINTK: 7,
  CONET0: 8,
  CONET_END: 23,
  COBD0: 24,
  COBD_END: 55,
} as const;
/** One past the highest module number cofw uses. */
export const MODULES_MAX = 56;
export const MAX_CONET = 16;
export const MAX_COBD = 32;

export const conet = (unit: number): number => Module.CONET0 + unit;
export const cobd = (unit: number): number => Module.COBD0 + unit;

/** The guest's exit operation, left in the page when it switches to the host. */
export const enum Op {
  None = 0,
  /** Nothing more to do: the host may deliver more. */
  Idle = 1,
  /** Messages for the host (the page is full, or a batch is ready); resume me afterwards. */
  Message = 2,
  /** A synchronous device request (cobd) is in the page; reply, then resume me. */
  Device = 3,
  /** The guest has stopped; a Terminate message says why. */
  Terminate = 4,
}

/** Termination reasons (co_termination_reason_t). */
export const Termination = {
  END: 0,
  REBOOT: 1,
  POWEROFF: 2,
  PANIC: 3,
  HALT: 4,
  INVALID_OPERATION: 7,
  STACK_OVERFLOW: 8,
  BUG: 9,
} as const;
export type TerminationReason = keyof typeof Termination;
export function terminationName(n: number): TerminationReason | undefined {
  for (const [k, v] of Object.entries(Termination)) if (v === n) return k as TerminationReason;
  return undefined;
}

/** Message types. The MORE bit marks a chunk that has a continuation. */
export const MsgType = {
  /** MONITOR -> LINUX: boot parameters (machine spec, boot time, rule file name). */
  Boot: 1,
  /** MONITOR -> LINUX: the captures have ended; finish and power off. */
  Shutdown: 2,
  /** LINUX -> MONITOR: the guest stops (reason, frame, text). */
  Terminate: 3,
  /** LINUX -> MONITOR: init failed (rule file errors). */
  InitFailed: 4,
  /** LINUX -> MONITOR: iptables-save text (at boot without, at shutdown with counters). */
  Save: 5,
  /** LINUX -> MONITOR: init done. */
  Booted: 6,
  /** LINUX -> MONITOR: the connection tracking table at shutdown, as `conntrack -L` prints it. */
  Conntrack: 7,
  /** DAEMON -> CONETn: a frame for the guest. */
  Frame: 16,
  /** CONETn (or LINUX) -> DAEMON: a fate record. */
  Fate: 17,
  /** LINUX -> DAEMON: defines a drop site or reason that later fate records name by number. */
  Intern: 18,
  /** LINUX -> CONSOLE: one kernel log line. */
  ConsoleLine: 32,
  /** LINUX -> COBDn: block requests. */
  BlkOpen: 48,
  BlkStat: 49,
  BlkRead: 50,
  BlkClose: 51,
  /** COBDn -> LINUX: the reply to a block request. */
  BlkReply: 52,
} as const;
export const MORE = 0x8000;

function moduleName(m: number): string {
  if (m >= Module.CONET0 && m <= Module.CONET_END) return `CONET${m - Module.CONET0}`;
  if (m >= Module.COBD0 && m <= Module.COBD_END) return `COBD${m - Module.COBD0}`;
  return ['LINUX', 'MONITOR', 'DAEMON', 'IDLE', 'KERNEL_SWITCH', 'USER_SWITCH', 'CONSOLE', 'PRINTK'][m] ?? `module ${m}`;
}

/** Types each destination accepts, as a table: ACCEPTS[to * TYPE_SLOTS + type] is 1. */
const TYPE_SLOTS = 64;
const ACCEPTS = new Uint8Array(MODULES_MAX * TYPE_SLOTS);
function accept(to: number, types: readonly number[]): void {
  for (const t of types) ACCEPTS[to * TYPE_SLOTS + t] = 1;
}
accept(Module.LINUX, [MsgType.Boot, MsgType.Shutdown, MsgType.BlkReply]);
accept(Module.MONITOR, [MsgType.Terminate, MsgType.InitFailed, MsgType.Save, MsgType.Booted, MsgType.Conntrack]);
accept(Module.DAEMON, [MsgType.Fate, MsgType.Intern]);
accept(Module.CONSOLE, [MsgType.ConsoleLine]);
for (let m = Module.CONET0; m <= Module.CONET_END; m++) accept(m, [MsgType.Frame]);
for (let m = Module.COBD0; m <= Module.COBD_END; m++) accept(m, [MsgType.BlkOpen, MsgType.BlkStat, MsgType.BlkRead, MsgType.BlkClose]);

/** A message that cannot be trusted: where in the page and what is wrong. */
export class PassageError extends Error {
  override readonly name = 'PassageError';
}

export interface Message {
  readonly from: number;
  readonly to: number;
  /** Type without the MORE bit. */
  readonly type: number;
  readonly more: boolean;
  /** A copy: the page may be overwritten after the read. */
  readonly data: Uint8Array;
}

const CTRL = 16;
export const MSG_HEADER = 8;
export const DEFAULT_PAGE_SIZE = 64 * 1024;
/** Type of the padding message that fills the end of the ring when the next message does not fit there. */
export const PAD = 0;

/**
 * The page. Writers either `reserve` a message and fill its payload in
 * place, or `write` a finished payload; readers call `next`, which
 * validates the message and leaves its header in `msgFrom`, `msgTo`,
 * `msgType`, `msgMore`, `msgSize` and returns where its payload starts in
 * `bytes`. The payload stays readable until the next write: the reader
 * decodes it in place, without copying it out (`read` is the copying form).
 */
export class PassagePage {
  readonly buffer: ArrayBuffer;
  /** The whole page (control words and ring). */
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Size of the ring (the data area). */
  readonly capacity: number;
  /** Largest payload of one message (a quarter of the ring, so that a batch has several). */
  readonly maxChunk: number;
  /** Bytes of messages written so far (headers included, padding not). */
  bytesWritten = 0;
  /** Header of the message `next` returned last. */
  msgFrom = 0;
  msgTo = 0;
  /** Without the MORE bit. */
  msgType = 0;
  msgMore = false;
  msgSize = 0;

  constructor(size = DEFAULT_PAGE_SIZE) {
    if (!Number.isInteger(size) || size < 1024) throw new RangeError(`passage page of ${size} bytes: at least 1024 bytes are needed`);
    this.buffer = new ArrayBuffer(size);
    this.bytes = new Uint8Array(this.buffer);
    this.view = new DataView(this.buffer);
    this.capacity = size - CTRL;
    this.maxChunk = Math.floor(this.capacity / 4) - MSG_HEADER;
  }

  /** Bytes in use in the ring. */
  get used(): number {
    return this.view.getUint32(8, true);
  }
  get free(): number {
    return this.capacity - this.used;
  }
  get empty(): boolean {
    return this.used === 0;
  }
  get op(): number {
    return this.view.getUint32(12, true);
  }
  set op(v: number) {
    this.view.setUint32(12, v, true);
  }

  /** Fills the ring from `w` to its end with padding (a PAD header when one fits). */
  private pad(w: number, tail: number): void {
    if (tail >= MSG_HEADER) {
      const at = CTRL + w;
      this.bytes[at] = 0;
      this.bytes[at + 1] = 0;
      this.view.setUint16(at + 2, PAD, true);
      this.view.setUint32(at + 4, tail - MSG_HEADER, true);
    }
  }

  /**
   * Reserves one message with a payload of `size` bytes and writes its
   * header; returns the offset in `bytes` where the payload goes (it is
   * contiguous), or -1 when the page has no room (the writer yields). A
   * payload larger than `maxChunk` is a programming error: split it first.
   */
  reserve(from: number, to: number, type: number, size: number, more = false): number {
    if (size > this.maxChunk) throw new RangeError(`message of ${size} bytes is larger than a chunk (${this.maxChunk}); split it`);
    const dv = this.view;
    const cap = this.capacity;
    const total = MSG_HEADER + size;
    let used = dv.getUint32(8, true);
    let w = dv.getUint32(4, true);
    if (used === 0 && w !== 0) {
      w = 0;
      dv.setUint32(0, 0, true);
    }
    const tail = cap - w;
    if (tail < total) {
      // Messages never wrap: pad the end of the ring and start again at 0.
      if (tail + total > cap - used) return -1;
      this.pad(w, tail);
      used += tail;
      w = 0;
    } else if (total > cap - used) return -1;
    const at = CTRL + w;
    this.bytes[at] = from;
    this.bytes[at + 1] = to;
    dv.setUint16(at + 2, more ? type | MORE : type, true);
    dv.setUint32(at + 4, size, true);
    w += total;
    dv.setUint32(4, w === cap ? 0 : w, true);
    dv.setUint32(8, used + total, true);
    this.bytesWritten += total;
    return at + MSG_HEADER;
  }

  /**
   * Appends one message; false when there is no room (the writer yields).
   * A payload larger than `maxChunk` is a programming error: split it with
   * `chunks` first.
   */
  write(from: number, to: number, type: number, data: Uint8Array, more = false): boolean {
    const at = this.reserve(from, to, type, data.length, more);
    if (at < 0) return false;
    this.bytes.set(data, at);
    return true;
  }

  /**
   * Copies whole messages, already in page format (header and payload), from
   * `src[start, end)` into the ring while they fit; returns where it stopped
   * (`end` when all went in). Used to send a batch written elsewhere.
   */
  writeMessages(src: Uint8Array, srcView: DataView, start: number, end: number): number {
    const dv = this.view;
    const cap = this.capacity;
    let pos = start;
    while (pos < end) {
      let used = dv.getUint32(8, true);
      let w = dv.getUint32(4, true);
      if (used === 0 && w !== 0) {
        w = 0;
        dv.setUint32(0, 0, true);
      }
      const tail = cap - w;
      const room = Math.min(tail, cap - used);
      let q = pos;
      while (q < end) {
        const t = MSG_HEADER + srcView.getUint32(q + 4, true);
        if (q + t - pos > room) break;
        q += t;
      }
      if (q > pos) {
        this.bytes.set(src.subarray(pos, q), CTRL + w);
        w += q - pos;
        dv.setUint32(4, w === cap ? 0 : w, true);
        dv.setUint32(8, used + q - pos, true);
        this.bytesWritten += q - pos;
        pos = q;
        continue;
      }
      const t = MSG_HEADER + srcView.getUint32(pos + 4, true);
      if (t > this.maxChunk + MSG_HEADER) throw new RangeError(`message of ${t - MSG_HEADER} bytes is larger than a chunk (${this.maxChunk}); split it`);
      if (tail >= t || tail + t > cap - used) return pos;
      this.pad(w, tail);
      used += tail;
      dv.setUint32(4, 0, true);
      dv.setUint32(8, used, true);
    }
    return pos;
  }

  /**
   * Validates the next message and consumes it; returns the offset of its
   * payload in `bytes` (header fields in `msg*`), or -1 when the ring is
   * empty. Throws PassageError for anything malformed.
   */
  next(): number {
    const dv = this.view;
    const cap = this.capacity;
    for (;;) {
      const used = dv.getUint32(8, true);
      if (used === 0) return -1;
      const at = dv.getUint32(0, true);
      if (used > cap || at >= cap) throw new PassageError(`passage page control words are corrupt (read position ${at}, ${used} bytes in use of ${cap})`);
      const tail = cap - at;
      if (tail < MSG_HEADER) {
        // Too little room for a header: the writer skipped it.
        if (used < tail + MSG_HEADER) throw new PassageError(`ring offset ${at}: ${used} bytes in use end in the ${tail} bytes skipped at the end of the ring`);
        dv.setUint32(0, 0, true);
        dv.setUint32(8, used - tail, true);
        continue;
      }
      if (used < MSG_HEADER) throw new PassageError(`message at ring offset ${at}: ${used} bytes left, fewer than a header`);
      const h = CTRL + at;
      const from = this.bytes[h]!;
      const to = this.bytes[h + 1]!;
      const rawType = dv.getUint16(h + 2, true);
      const size = dv.getUint32(h + 4, true);
      if (from >= MODULES_MAX) throw new PassageError(`message at ring offset ${at}: sender module ${from} is out of range (0-${MODULES_MAX - 1})`);
      if (to >= MODULES_MAX) throw new PassageError(`message at ring offset ${at}: destination module ${to} is out of range (0-${MODULES_MAX - 1})`);
      if (size > cap - MSG_HEADER || MSG_HEADER + size > used) {
        throw new PassageError(`message at ring offset ${at}: size ${size} goes beyond the page (${used - MSG_HEADER} bytes of payload present, page ring ${cap})`);
      }
      if (rawType === PAD) {
        if (MSG_HEADER + size !== tail || used === tail) throw new PassageError(`padding at ring offset ${at}: ${size} bytes do not reach the end of the ring, or nothing follows it`);
        dv.setUint32(0, 0, true);
        dv.setUint32(8, used - tail, true);
        continue;
      }
      if (MSG_HEADER + size > tail) throw new PassageError(`message at ring offset ${at}: size ${size} runs past the end of the ring (messages do not wrap)`);
      const type = rawType & ~MORE;
      if (type >= TYPE_SLOTS || ACCEPTS[to * TYPE_SLOTS + type] !== 1) throw new PassageError(`message at ring offset ${at}: type ${type} is not one ${moduleName(to)} accepts`);
      const left = used - MSG_HEADER - size;
      if (left === 0) {
        dv.setUint32(0, 0, true);
        dv.setUint32(4, 0, true);
      } else {
        const r = at + MSG_HEADER + size;
        dv.setUint32(0, r === cap ? 0 : r, true);
      }
      dv.setUint32(8, left, true);
      this.msgFrom = from;
      this.msgTo = to;
      this.msgType = type;
      this.msgMore = (rawType & MORE) !== 0;
      this.msgSize = size;
      return h + MSG_HEADER;
    }
  }

  /** Reads, validates and copies out the next message; null when the ring is empty. */
  read(): Message | null {
    const at = this.next();
    if (at < 0) return null;
    return { from: this.msgFrom, to: this.msgTo, type: this.msgType, more: this.msgMore, data: this.bytes.slice(at, at + this.msgSize) };
  }

  /** Forgets every unread message (a guest that stops leaves the rest unread). */
  discard(): void {
    this.view.setUint32(0, 0, true);
    this.view.setUint32(4, 0, true);
    this.view.setUint32(8, 0, true);
  }

  /** Raw access for tests that forge malformed messages. */
  rawBytes(): Uint8Array {
    return this.bytes;
  }
}

/** Splits a payload into chunks of at most `max` bytes (one empty chunk for an empty payload). */
export function chunks(data: Uint8Array, max: number): Uint8Array[] {
  if (data.length <= max) return [data];
  const out: Uint8Array[] = [];
  for (let o = 0; o < data.length; o += max) out.push(data.subarray(o, Math.min(o + max, data.length)));
  return out;
}

/**
 * Joins chunked messages; returns whole messages. Bounded: a message may not
 * exceed `limit` bytes. Only chunked messages cost anything: `pending` is
 * false in the common case and the reader skips the assembler then.
 */
export class Assembler {
  private readonly parts = new Map<number, Uint8Array[]>();
  private readonly sizes = new Map<number, number>();
  constructor(private readonly limit = 256 * 1024 * 1024) {}

  /** Takes one chunk (copied); returns the whole payload when `more` is false, else null. */
  add(from: number, to: number, type: number, more: boolean, src: Uint8Array, off: number, len: number): Uint8Array | null {
    const key = (from << 24) | (to << 16) | type;
    const have = this.parts.get(key);
    if (!have && !more) return src.slice(off, off + len);
    const size = (this.sizes.get(key) ?? 0) + len;
    if (size > this.limit) throw new PassageError(`chunked message ${from}/${to}/${type} exceeds ${this.limit} bytes`);
    const list = have ?? [];
    list.push(src.slice(off, off + len));
    if (more) {
      this.parts.set(key, list);
      this.sizes.set(key, size);
      return null;
    }
    this.parts.delete(key);
    this.sizes.delete(key);
    const data = new Uint8Array(size);
    let o = 0;
    for (const p of list) {
      data.set(p, o);
      o += p.length;
    }
    return data;
  }

  push(m: Message): Message | null {
    if (!m.more && !this.pending) return m;
    const data = this.add(m.from, m.to, m.type, m.more, m.data, 0, m.data.length);
    return data ? { from: m.from, to: m.to, type: m.type, more: false, data } : null;
  }

  get pending(): boolean {
    return this.parts.size > 0;
  }
}

/**
 * A growable run of messages in page format, written in place: `begin`
 * writes a header and returns where the payload goes, `end` closes it (and
 * splits a payload larger than `maxChunk` into chunks). The guest gathers
 * its replies here while unread frames still occupy the page, then hands
 * the run to `PassagePage.writeMessages`.
 */
export class MessageBuffer {
  bytes = new Uint8Array(16 * 1024);
  view = new DataView(this.bytes.buffer);
  len = 0;
  private start = 0;
  constructor(readonly maxChunk: number) {}

  /** Room for `n` more bytes after `len`. */
  ensure(n: number): void {
    if (this.len + n <= this.bytes.length) return;
    let c = this.bytes.length * 2;
    while (c < this.len + n) c *= 2;
    const b = new Uint8Array(c);
    // Everything, not just `len`: a message being written (begun, not yet
    // ended) lies beyond `len` and must survive the move.
    b.set(this.bytes);
    this.bytes = b;
    this.view = new DataView(b.buffer);
  }

  /** Starts a message with room for `room` payload bytes; returns the payload offset. */
  begin(from: number, to: number, type: number, room: number): number {
    this.ensure(MSG_HEADER + room);
    const at = this.len;
    this.bytes[at] = from;
    this.bytes[at + 1] = to;
    this.view.setUint16(at + 2, type, true);
    this.start = at;
    return at + MSG_HEADER;
  }

  /** Ends the message begun last; its payload ends at `payloadEnd`. */
  end(payloadEnd: number): void {
    const at = this.start;
    const size = payloadEnd - at - MSG_HEADER;
    if (size <= this.maxChunk) {
      this.view.setUint32(at + 4, size, true);
      this.len = payloadEnd;
      return;
    }
    // Rare: a payload larger than a chunk crosses as several messages.
    const payload = this.bytes.slice(at + MSG_HEADER, payloadEnd);
    const from = this.bytes[at]!;
    const to = this.bytes[at + 1]!;
    const type = this.view.getUint16(at + 2, true);
    this.len = at;
    const parts = chunks(payload, this.maxChunk);
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      const o = this.begin(from, to, i < parts.length - 1 ? type | MORE : type, p.length);
      this.bytes.set(p, o);
      this.view.setUint32(this.start + 4, p.length, true);
      this.len = o + p.length;
    }
  }

  /** Appends a finished payload as one message (chunked when large). */
  put(from: number, to: number, type: number, data: Uint8Array): void {
    const o = this.begin(from, to, type, data.length);
    this.bytes.set(data, o);
    this.end(o + data.length);
  }
}

// -- byte encodings ----------------------------------------------------------


/** Little-endian writer that grows as needed. */
export class ByteWriter {
  private buf = new Uint8Array(64);
  private dv = new DataView(this.buf.buffer);
  len = 0;
  private need(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let c = this.buf.length * 2;
    while (c < this.len + n) c *= 2;
    const b = new Uint8Array(c);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
    this.dv = new DataView(b.buffer);
  }
  u8(v: number): this {
    this.need(1);
    this.dv.setUint8(this.len, v);
    this.len += 1;
    return this;
  }
  u16(v: number): this {
    this.need(2);
    this.dv.setUint16(this.len, v, true);
    this.len += 2;
    return this;
  }
  u32(v: number): this {
    this.need(4);
    this.dv.setUint32(this.len, v >>> 0, true);
    this.len += 4;
    return this;
  }
  i32(v: number): this {
    this.need(4);
    this.dv.setInt32(this.len, v, true);
    this.len += 4;
    return this;
  }
  u64(v: bigint): this {
    this.need(8);
    this.dv.setBigUint64(this.len, BigInt.asUintN(64, v), true);
    this.len += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.need(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }
  /** A string with a length prefix of `width` bytes (1, 2 or 4). */
  str(s: string, width: 1 | 2 | 4): this {
    let b = enc.encode(s);
    const max = width === 1 ? 0xff : width === 2 ? 0xffff : 0xffffffff;
    if (b.length > max) b = b.subarray(0, max);
    if (width === 1) this.u8(b.length);
    else if (width === 2) this.u16(b.length);
    else this.u32(b.length);
    return this.bytes(b);
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Bounds-checked little-endian reader: a short payload throws PassageError. */
export class ByteReader {
  private readonly dv: DataView;
  pos = 0;
  constructor(
    private readonly b: Uint8Array,
    private readonly what: string,
  ) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  private need(n: number): void {
    if (this.pos + n > this.b.length) throw new PassageError(`${this.what}: payload of ${this.b.length} bytes ends at byte ${this.pos}, ${n} more needed`);
  }
  u8(): number {
    this.need(1);
    return this.dv.getUint8(this.pos++);
  }
  i8(): number {
    this.need(1);
    return this.dv.getInt8(this.pos++);
  }
  u16(): number {
    this.need(2);
    const v = this.dv.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.dv.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.dv.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const v = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  rest(): Uint8Array {
    return this.bytes(this.b.length - this.pos);
  }
  str(width: 1 | 2 | 4): string {
    const n = width === 1 ? this.u8() : width === 2 ? this.u16() : this.u32();
    return dec.decode(this.bytes(n));
  }
  end(): void {
    if (this.pos !== this.b.length) throw new PassageError(`${this.what}: ${this.b.length - this.pos} unexpected bytes after the payload`);
  }
}

// Frame (DAEMON -> CONETn): u32 frameNo, u64 tsNs, u8 flags, frame bytes.
/** Frame flag: locally generated (its source is a guest address), the OUTPUT path. */
export const FRAME_OUTPUT = 1;
/** Frame flag: the capture cut the frame short (snaplen); its IP length tells how long it was. */
export const FRAME_TRUNCATED = 2;
export interface FrameMsg {
  readonly frameNo: number;
  readonly tsNs: bigint;
  /** Locally generated (its source is a guest address): the OUTPUT path. */
  readonly output: boolean;
  /** Cut short by the capture's snaplen. */
  readonly truncated?: boolean;
  readonly data: Uint8Array;
}
/** Bytes of a frame message before the frame. */
export const FRAME_HEADER = 13;
/** Writes a frame message's payload at `at` (FRAME_HEADER + data.length bytes). */
export function putFrame(u8: Uint8Array, dv: DataView, at: number, frameNo: number, tsNs: bigint, flags: number, data: Uint8Array): void {
  dv.setUint32(at, frameNo, true);
  dv.setBigUint64(at + 4, tsNs, true);
  u8[at + 12] = flags;
  u8.set(data, at + FRAME_HEADER);
}
/** Checks a frame message's fixed part in place; returns its flags. */
export function checkFrame(u8: Uint8Array, at: number, size: number): number {
  if (size < FRAME_HEADER) throw new PassageError(`frame message: payload of ${size} bytes, ${FRAME_HEADER} needed before the frame`);
  const flags = u8[at + 12]!;
  if (flags & ~(FRAME_OUTPUT | FRAME_TRUNCATED)) throw new PassageError(`frame message: unknown flags 0x${flags.toString(16)}`);
  return flags;
}
export function encodeFrame(f: FrameMsg): Uint8Array {
  const b = new Uint8Array(FRAME_HEADER + f.data.length);
  putFrame(b, new DataView(b.buffer), 0, f.frameNo, f.tsNs, (f.output ? FRAME_OUTPUT : 0) | (f.truncated ? FRAME_TRUNCATED : 0), f.data);
  return b;
}
export function decodeFrame(b: Uint8Array): FrameMsg {
  const flags = checkFrame(b, 0, b.length);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { frameNo: dv.getUint32(0, true), tsNs: dv.getBigUint64(4, true), output: (flags & FRAME_OUTPUT) !== 0, truncated: (flags & FRAME_TRUNCATED) !== 0, data: b.slice(FRAME_HEADER) };
}

// Fate (CONETn or LINUX -> DAEMON): u8 kind, i8 unit, u8 flags (1 site, 2 reason, 4 frame), u32 frameNo, u64 tsNs,
//   [site: u32 site id] [reason: u32 reason id] [frame: rest]
// Intern (LINUX -> DAEMON): defines the next site or reason id, before the first fate that uses it:
//   u8 kind (1 site, 2 reason), u32 id, then site: u32 rule, str8 table, str8 chain; reason: str16 text.
// Drop sites and reasons are few and repeat for every drop: they cross once, then by number.
/** A fate as it crosses the page: with the guest's clock when it was decided. */
export interface FateMsg extends Fate {
  readonly tsNs: bigint;
}
const FATE_KIND_MAX = 10;
/** Bytes of a fate record before its optional parts. */
export const FATE_HEADER = 15;
/** Most sites, and most reasons, a guest may define. */
export const INTERN_MAX = 1 << 20;
const INTERN_SITE = 1;
const INTERN_REASON = 2;

/** Writes a string with a length prefix of `width` bytes (1 or 2), truncated to fit; returns the next offset. */
function putStr(b: MessageBuffer, at: number, s: string, width: 1 | 2): number {
  const max = width === 1 ? 0xff : 0xffff;
  b.ensure(at - b.len + width + s.length * 3);
  const r = enc.encodeInto(s, b.bytes.subarray(at + width, at + width + Math.min(max, s.length * 3)));
  if (width === 1) b.bytes[at] = r.written;
  else b.view.setUint16(at, r.written, true);
  return at + width + r.written;
}

/** The guest's side of fate records: writes them into a MessageBuffer, defining sites and reasons on first use. */
export class FateEncoder {
  private readonly siteIds = new Map<string, Map<string, number[]>>();
  private readonly reasonIds = new Map<string, number>();
  private sites = 0;
  private reasons = 0;
  constructor(private readonly out: MessageBuffer) {}

  private siteId(s: DropSite): number {
    let chains = this.siteIds.get(s.table);
    if (!chains) this.siteIds.set(s.table, (chains = new Map()));
    let rules = chains.get(s.chain);
    if (!rules) chains.set(s.chain, (rules = []));
    const id = rules[s.rule];
    if (id !== undefined) return id;
    const n = this.sites++;
    rules[s.rule] = n;
    const b = this.out;
    const o = b.begin(Module.LINUX, Module.DAEMON, MsgType.Intern, 9);
    b.bytes[o] = INTERN_SITE;
    b.view.setUint32(o + 1, n, true);
    b.view.setUint32(o + 5, s.rule >>> 0, true);
    b.end(putStr(b, putStr(b, o + 9, s.table, 1), s.chain, 1));
    return n;
  }

  private reasonId(r: string): number {
    const id = this.reasonIds.get(r);
    if (id !== undefined) return id;
    const n = this.reasons++;
    this.reasonIds.set(r, n);
    const b = this.out;
    const o = b.begin(Module.LINUX, Module.DAEMON, MsgType.Intern, 5);
    b.bytes[o] = INTERN_REASON;
    b.view.setUint32(o + 1, n, true);
    b.end(putStr(b, o + 5, r, 2));
    return n;
  }

  /** Appends one fate record (and the definitions it needs). */
  fate(f: Fate, tsNs: bigint): void {
    const site = f.site ? this.siteId(f.site) : -1;
    const reason = f.reason !== undefined ? this.reasonId(f.reason) : -1;
    const frame = f.frame;
    const flags = (site >= 0 ? 1 : 0) | (reason >= 0 ? 2 : 0) | (frame ? 4 : 0);
    const b = this.out;
    const o = b.begin(f.unit >= 0 ? Module.CONET0 + f.unit : Module.LINUX, Module.DAEMON, MsgType.Fate, FATE_HEADER + 8 + (frame ? frame.length : 0));
    const u8 = b.bytes;
    const dv = b.view;
    u8[o] = f.kind;
    u8[o + 1] = f.unit & 0xff;
    u8[o + 2] = flags;
    dv.setUint32(o + 3, f.frameNo >>> 0, true);
    dv.setBigUint64(o + 7, tsNs, true);
    let p = o + FATE_HEADER;
    if (site >= 0) {
      dv.setUint32(p, site, true);
      p += 4;
    }
    if (reason >= 0) {
      dv.setUint32(p, reason, true);
      p += 4;
    }
    if (frame) {
      u8.set(frame, p);
      p += frame.length;
    }
    b.end(p);
  }
}

/**
 * A fate record read in place. The host reuses one for every fate: it is
 * valid during the call it is passed to; copy what you keep. `tsNs` and
 * `frame` are read from the page only when asked for (`frame` then as a
 * copy of its own, which may be kept), so a consumer that does not want the
 * leaving frame never pays for copying it.
 */
export class FateRecord implements FateMsg {
  kind: FateKind = 1 as FateKind;
  unit = -1;
  frameNo = 0;
  site: DropSite | undefined = undefined;
  reason: string | undefined = undefined;
  declare readonly tsNs: bigint;
  declare readonly frame: Uint8Array | undefined;
  // Where the record lies: src[at, end); its frame from frameAt (-1: none).
  #src: Uint8Array = new Uint8Array(0);
  #view = new DataView(this.#src.buffer);
  #at = 0;
  #end = 0;
  #frameAt = -1;
  #copy: Uint8Array | undefined = undefined;

  constructor() {
    Object.defineProperty(this, 'tsNs', { enumerable: true, get: () => this.#view.getBigUint64(this.#at + 7, true) });
    Object.defineProperty(this, 'frame', { enumerable: true, get: () => (this.#frameAt < 0 ? undefined : (this.#copy ??= this.#src.slice(this.#frameAt, this.#end))) });
  }

  /** Points the record at a new place (the decoder calls this). */
  point(src: Uint8Array, view: DataView, at: number, end: number, frameAt: number): void {
    this.#src = src;
    this.#view = view;
    this.#at = at;
    this.#end = end;
    this.#frameAt = frameAt;
    this.#copy = undefined;
  }
}

/** The host's side of fate records: the sites and reasons the guest defined, and validation. */
export class FateDecoder {
  /** Site objects by id: the same object for every fate at that site. */
  readonly sites: DropSite[] = [];
  readonly reasons: string[] = [];

  /** A definition (Intern message). */
  intern(u8: Uint8Array, at: number, size: number): void {
    const r = new ByteReader(u8.subarray(at, at + size), 'definition');
    const kind = r.u8();
    const id = r.u32();
    if (kind === INTERN_SITE) {
      if (id !== this.sites.length) throw new PassageError(`definition: site ${id} out of order (${this.sites.length} expected)`);
      if (id >= INTERN_MAX) throw new PassageError(`definition: more than ${INTERN_MAX} drop sites`);
      const rule = r.u32();
      const table = r.str(1);
      const chain = r.str(1);
      r.end();
      this.sites.push({ table, chain, rule });
    } else if (kind === INTERN_REASON) {
      if (id !== this.reasons.length) throw new PassageError(`definition: reason ${id} out of order (${this.reasons.length} expected)`);
      if (id >= INTERN_MAX) throw new PassageError(`definition: more than ${INTERN_MAX} reasons`);
      const text = r.str(2);
      r.end();
      this.reasons.push(text);
    } else throw new PassageError(`definition: unknown kind ${kind}`);
  }

  /** Decodes a fate record at `at` into `f`. */
  decode(f: FateRecord, u8: Uint8Array, dv: DataView, at: number, size: number): void {
    if (size < FATE_HEADER) throw new PassageError(`fate record: payload of ${size} bytes ends at byte ${size}, ${FATE_HEADER} needed`);
    const kind = u8[at]!;
    if (kind < 1 || kind > FATE_KIND_MAX) throw new PassageError(`fate record: unknown fate kind ${kind}`);
    const unit = dv.getInt8(at + 1);
    if (unit < -1 || unit >= MAX_CONET) throw new PassageError(`fate record: conet unit ${unit} out of range`);
    const flags = u8[at + 2]!;
    if (flags & ~7) throw new PassageError(`fate record: unknown flags 0x${flags.toString(16)}`);
    const end = at + size;
    let p = at + FATE_HEADER;
    let site: DropSite | undefined;
    let reason: string | undefined;
    if (flags & 1) {
      if (p + 4 > end) throw new PassageError(`fate record: payload of ${size} bytes ends before its site`);
      const id = dv.getUint32(p, true);
      site = this.sites[id];
      if (!site) throw new PassageError(`fate record: drop site ${id} was never defined`);
      p += 4;
    }
    if (flags & 2) {
      if (p + 4 > end) throw new PassageError(`fate record: payload of ${size} bytes ends before its reason`);
      const id = dv.getUint32(p, true);
      reason = this.reasons[id];
      if (reason === undefined) throw new PassageError(`fate record: reason ${id} was never defined`);
      p += 4;
    }
    if (!(flags & 4) && p !== end) throw new PassageError(`fate record: ${end - p} unexpected bytes after the payload`);
    f.kind = kind as FateKind;
    f.unit = unit;
    f.frameNo = dv.getUint32(at + 3, true);
    f.site = site;
    f.reason = reason;
    f.point(u8, dv, at, end, flags & 4 ? p : -1);
  }
}

// Console line (LINUX -> CONSOLE): u8 level, u64 ns since boot, text.
export interface ConsoleMsg {
  readonly level: number;
  readonly sinceBootNs: bigint;
  readonly text: string;
}
/** Appends a console line to a MessageBuffer. */
export function putConsole(b: MessageBuffer, level: number, sinceBootNs: bigint, text: string): void {
  const o = b.begin(Module.LINUX, Module.CONSOLE, MsgType.ConsoleLine, 9 + text.length * 3);
  b.bytes[o] = level;
  b.view.setBigUint64(o + 1, sinceBootNs, true);
  const r = enc.encodeInto(text, b.bytes.subarray(o + 9));
  b.end(o + 9 + r.written);
}
export function encodeConsole(c: ConsoleMsg): Uint8Array {
  return new ByteWriter().u8(c.level).u64(c.sinceBootNs).bytes(enc.encode(c.text)).done();
}
export function decodeConsole(b: Uint8Array): ConsoleMsg {
  const r = new ByteReader(b, 'console line');
  const level = r.u8();
  if (level > 7) throw new PassageError(`console line: log level ${level} out of range (0-7)`);
  const sinceBootNs = r.u64();
  return { level, sinceBootNs, text: dec.decode(r.rest()) };
}

// Block requests (LINUX -> COBDn): Open/Stat/Close empty; Read: u64 offset, u32 length.
// Block reply (COBDn -> LINUX): u8 request type, i32 status (0 or -errno), u64 value (size, or offset of the data), data.
export const BLK_READ_MAX = 16 * 1024;
/** Bytes of a block reply before its data. */
export const BLK_REPLY_HEADER = 13;
export interface BlkRead {
  readonly offset: number;
  readonly length: number;
}
export function encodeBlkRead(r: BlkRead): Uint8Array {
  return new ByteWriter().u64(BigInt(r.offset)).u32(r.length).done();
}
export function decodeBlkRead(b: Uint8Array): BlkRead {
  const r = new ByteReader(b, 'block read request');
  const offset = r.u64();
  const length = r.u32();
  r.end();
  if (offset > BigInt(Number.MAX_SAFE_INTEGER)) throw new PassageError(`block read request: offset ${offset} out of range`);
  if (length > BLK_READ_MAX) throw new PassageError(`block read request: ${length} bytes asked, at most ${BLK_READ_MAX} per request`);
  return { offset: Number(offset), length };
}
export interface BlkReply {
  readonly request: number;
  readonly status: number;
  readonly value: number;
  readonly data: Uint8Array;
}
export function encodeBlkReply(r: BlkReply): Uint8Array {
  return new ByteWriter().u8(r.request).i32(r.status).u64(BigInt(r.value)).bytes(r.data).done();
}
export function decodeBlkReply(b: Uint8Array): BlkReply {
  const r = new ByteReader(b, 'block reply');
  const request = r.u8();
  if (request < MsgType.BlkOpen || request > MsgType.BlkClose) throw new PassageError(`block reply: unknown request type ${request}`);
  const status = r.i32();
  const value = r.u64();
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new PassageError(`block reply: value ${value} out of range`);
  return { request, status, value: Number(value), data: r.rest().slice() };
}

// Boot (MONITOR -> LINUX): u64 bootTs, str16 rule file name, machine spec.
export interface BootMsg {
  readonly bootTsNs: bigint;
  readonly rulesFile: string;
  readonly spec: MachineSpec;
  /** Frame number ranges [first, last] to trace (the kernel's TRACE, as a boot parameter). */
  readonly trace?: ReadonlyArray<readonly [number, number]>;
}
export function encodeBoot(b: BootMsg): Uint8Array {
  const w = new ByteWriter().u64(b.bootTsNs).str(b.rulesFile, 2).str(b.spec.hostname, 2).u8(b.spec.failPolicy === 'open' ? 1 : 0);
  w.u8(b.spec.devices.length);
  for (const d of b.spec.devices) {
    w.str(d.name, 1).u16(d.index).u8(d.unit & 0xff).bytes(d.mac.subarray(0, 6)).u32(d.mtu).u8(d.addrs.length);
    for (const a of d.addrs) w.u32(a.addr).u8(a.prefix).u32(a.broadcast);
  }
  w.u16(b.spec.routes.length);
  for (const r of b.spec.routes) w.u32(r.dst).u8(r.prefix).u8(r.via !== undefined ? 1 : 0).u32(r.via ?? 0).str(r.dev, 1);
  const trace = b.trace ?? [];
  w.u16(trace.length);
  for (const [lo, hi] of trace) w.u32(lo).u32(hi);
  // Conntrack settings: u8 present, u32 max (0 = default), u8 loose (2 = default), u8 liberal (2 = default).
  const ct = b.spec.conntrack;
  w.u8(ct ? 1 : 0);
  if (ct) w.u32(ct.max ?? 0).u8(ct.tcpLoose === undefined ? 2 : ct.tcpLoose ? 1 : 0).u8(ct.tcpBeLiberal === undefined ? 2 : ct.tcpBeLiberal ? 1 : 0);
  return w.done();
}
export function decodeBoot(b: Uint8Array): BootMsg {
  const r = new ByteReader(b, 'boot parameters');
  const bootTsNs = r.u64();
  const rulesFile = r.str(2);
  const hostname = r.str(2);
  const failPolicy: FailPolicy = r.u8() === 1 ? 'open' : 'closed';
  const devices: NetDevice[] = [];
  for (let n = r.u8(), i = 0; i < n; i++) {
    const name = r.str(1);
    const index = r.u16();
    const unit = r.i8();
    const mac = r.bytes(6).slice();
    const mtu = r.u32();
    const addrs: IfAddress[] = [];
    for (let k = r.u8(), j = 0; j < k; j++) {
      const addr = r.u32();
      const prefix = r.u8();
      if (prefix > 32) throw new PassageError(`boot parameters: prefix /${prefix} on ${name}`);
      addrs.push({ addr, prefix, broadcast: r.u32() });
    }
    devices.push({ name, index, unit, mac, mtu, addrs });
  }
  const routes: RouteSpec[] = [];
  for (let n = r.u16(), i = 0; i < n; i++) {
    const dst = r.u32();
    const prefix = r.u8();
    const hasVia = r.u8();
    const via = r.u32();
    const dev = r.str(1);
    if (prefix > 32) throw new PassageError(`boot parameters: route prefix /${prefix}`);
    routes.push(hasVia ? { dst, prefix, via, dev } : { dst, prefix, dev });
  }
  const trace: Array<[number, number]> = [];
  for (let n = r.u16(), i = 0; i < n; i++) {
    const lo = r.u32();
    const hi = r.u32();
    if (hi < lo) throw new PassageError(`boot parameters: trace range ${lo}-${hi}`);
    trace.push([lo, hi]);
  }
  let conntrack: { max?: number; tcpLoose?: boolean; tcpBeLiberal?: boolean } | undefined;
  if (r.u8()) {
    const max = r.u32();
    const loose = r.u8();
    const liberal = r.u8();
    if (loose > 2 || liberal > 2) throw new PassageError(`boot parameters: conntrack flags ${loose}/${liberal}`);
    conntrack = {};
    if (max) conntrack.max = max;
    if (loose !== 2) conntrack.tcpLoose = loose === 1;
    if (liberal !== 2) conntrack.tcpBeLiberal = liberal === 1;
  }
  r.end();
  return { bootTsNs, rulesFile, spec: { hostname, devices, routes, failPolicy, ...(conntrack ? { conntrack } : {}) }, trace };
}

// Terminate (LINUX -> MONITOR): u8 reason, u32 frameNo (0: none), text.
export interface TerminateMsg {
  readonly reason: number;
  readonly frameNo: number;
  readonly text: string;
}
export function encodeTerminate(t: TerminateMsg): Uint8Array {
  return new ByteWriter().u8(t.reason).u32(t.frameNo).bytes(enc.encode(t.text)).done();
}
export function decodeTerminate(b: Uint8Array): TerminateMsg {
  const r = new ByteReader(b, 'terminate');
  const reason = r.u8();
  if (terminationName(reason) === undefined) throw new PassageError(`terminate: unknown reason ${reason}`);
  const frameNo = r.u32();
  return { reason, frameNo, text: dec.decode(r.rest()) };
}

// InitFailed (LINUX -> MONITOR): u8 kind (1: rule file errors, 2: other), u16 count, each: u32 line, u32 column, str16 file, str32 message.
export interface InitError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Without the `file:line:column: ` prefix. */
  readonly message: string;
}
export interface InitFailedMsg {
  readonly ruleFile: boolean;
  readonly errors: readonly InitError[];
}
export function encodeInitFailed(m: InitFailedMsg): Uint8Array {
  const w = new ByteWriter().u8(m.ruleFile ? 1 : 2).u16(m.errors.length);
  for (const e of m.errors) w.u32(e.line).u32(e.column).str(e.file, 2).str(e.message, 4);
  return w.done();
}
export function decodeInitFailed(b: Uint8Array): InitFailedMsg {
  const r = new ByteReader(b, 'init failure');
  const kind = r.u8();
  if (kind !== 1 && kind !== 2) throw new PassageError(`init failure: unknown kind ${kind}`);
  const errors: InitError[] = [];
  for (let n = r.u16(), i = 0; i < n; i++) {
    const line = r.u32();
    const column = r.u32();
    const file = r.str(2);
    errors.push({ line, column, file, message: r.str(4) });
  }
  r.end();
  return { ruleFile: kind === 1, errors };
}

// Booted (LINUX -> MONITOR): u32 rules, u32 tables.
export interface BootedMsg {
  readonly rules: number;
  readonly tables: number;
}
export function encodeBooted(m: BootedMsg): Uint8Array {
  return new ByteWriter().u32(m.rules).u32(m.tables).done();
}
export function decodeBooted(b: Uint8Array): BootedMsg {
  const r = new ByteReader(b, 'booted');
  const rules = r.u32();
  const tables = r.u32();
  r.end();
  return { rules, tables };
}

// Save (LINUX -> MONITOR): u8 counters (0/1), text.
export interface SaveMsg {
  readonly counters: boolean;
  readonly text: string;
}
export function encodeSave(m: SaveMsg): Uint8Array {
  return new ByteWriter().u8(m.counters ? 1 : 0).bytes(enc.encode(m.text)).done();
}
export function decodeSave(b: Uint8Array): SaveMsg {
  const r = new ByteReader(b, 'save');
  const c = r.u8();
  if (c > 1) throw new PassageError(`save: unknown flag ${c}`);
  return { counters: c === 1, text: dec.decode(r.rest()) };
}
