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
 *   16 data area: the ring; a message may wrap around its end.
 *
 * The contract: `write` appends while there is room and returns false when
 * the page is full (the writer yields, the other side drains). `read`
 * validates every message before anything in it is used: module numbers in
 * range, size within the page, a type the destination knows. A malformed
 * message throws `PassageError`; nothing in it is trusted.
 *
 * Payloads larger than `maxChunk` cross as several messages with the MORE
 * bit (0x8000) set on all but the last; `Assembler` joins them again.
 *
 * The payload encodings for each message type are at the end of this file.
 *
 * @example
 * const page = new PassagePage();
 * page.write(Module.DAEMON, conet(0), MsgType.Frame, encodeFrame({ frameNo: 1, tsNs: 0n, output: false, data }));
 * const m = page.read(); // { from: 2, to: 8, type: 16, data }
 */
import type { DropSite, Fate, FateKind } from '../netfilter/fate.js';
import type { FailPolicy, MachineSpec, RouteSpec } from './spec.js';
import type { IfAddress, NetDevice } from '../netfilter/types.js';

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
  /** DAEMON -> CONETn: a frame for the guest. */
  Frame: 16,
  /** CONETn -> DAEMON: a fate record. */
  Fate: 17,
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

/** The types each destination accepts. */
function acceptedTypes(to: number): readonly number[] {
  if (to === Module.LINUX) return [MsgType.Boot, MsgType.Shutdown, MsgType.BlkReply];
  if (to === Module.MONITOR) return [MsgType.Terminate, MsgType.InitFailed, MsgType.Save, MsgType.Booted];
  if (to === Module.DAEMON) return [MsgType.Fate];
  if (to === Module.CONSOLE) return [MsgType.ConsoleLine];
  if (to >= Module.CONET0 && to <= Module.CONET_END) return [MsgType.Frame];
  if (to >= Module.COBD0 && to <= Module.COBD_END) return [MsgType.BlkOpen, MsgType.BlkStat, MsgType.BlkRead, MsgType.BlkClose];
  return [];
}

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

export class PassagePage {
  readonly buffer: ArrayBuffer;
  private readonly bytes: Uint8Array;
  private readonly dv: DataView;
  /** Size of the ring (the data area). */
  readonly capacity: number;
  /** Largest payload of one message (a quarter of the ring, so that a batch has several). */
  readonly maxChunk: number;
  /** Bytes of messages written so far (headers included). */
  bytesWritten = 0;

  constructor(size = DEFAULT_PAGE_SIZE) {
    if (!Number.isInteger(size) || size < 1024) throw new RangeError(`passage page of ${size} bytes: at least 1024 bytes are needed`);
    this.buffer = new ArrayBuffer(size);
    this.bytes = new Uint8Array(this.buffer);
    this.dv = new DataView(this.buffer);
    this.capacity = size - CTRL;
    this.maxChunk = Math.floor(this.capacity / 4) - MSG_HEADER;
  }

  private get readPos(): number {
    return this.dv.getUint32(0, true);
  }
  private get writePos(): number {
    return this.dv.getUint32(4, true);
  }
  /** Bytes in use in the ring. */
  get used(): number {
    return this.dv.getUint32(8, true);
  }
  get free(): number {
    return this.capacity - this.used;
  }
  get empty(): boolean {
    return this.used === 0;
  }
  get op(): number {
    return this.dv.getUint32(12, true);
  }
  set op(v: number) {
    this.dv.setUint32(12, v, true);
  }

  /** Copies `src` into the ring at `pos`, wrapping; returns the next position. */
  private put(pos: number, src: Uint8Array): number {
    const first = Math.min(src.length, this.capacity - pos);
    this.bytes.set(src.subarray(0, first), CTRL + pos);
    if (first < src.length) this.bytes.set(src.subarray(first), CTRL);
    return (pos + src.length) % this.capacity;
  }

  private get(pos: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    const first = Math.min(len, this.capacity - pos);
    out.set(this.bytes.subarray(CTRL + pos, CTRL + pos + first));
    if (first < len) out.set(this.bytes.subarray(CTRL, CTRL + len - first), first);
    return out;
  }

  /**
   * Appends one message; false when there is no room (the writer yields).
   * A payload larger than `maxChunk` is a programming error: split it with
   * `chunks` first.
   */
  write(from: number, to: number, type: number, data: Uint8Array, more = false): boolean {
    if (data.length > this.maxChunk) throw new RangeError(`message of ${data.length} bytes is larger than a chunk (${this.maxChunk}); split it`);
    const total = MSG_HEADER + data.length;
    if (total > this.free) return false;
    const h = new Uint8Array(MSG_HEADER);
    const hv = new DataView(h.buffer);
    h[0] = from;
    h[1] = to;
    hv.setUint16(2, type | (more ? MORE : 0), true);
    hv.setUint32(4, data.length, true);
    let pos = this.put(this.writePos, h);
    pos = this.put(pos, data);
    this.dv.setUint32(4, pos, true);
    this.dv.setUint32(8, this.used + total, true);
    this.bytesWritten += total;
    return true;
  }

  /** Reads and validates the next message; null when the ring is empty. */
  read(): Message | null {
    const used = this.used;
    if (used === 0) return null;
    const at = this.readPos;
    if (used > this.capacity || at >= this.capacity) throw new PassageError(`passage page control words are corrupt (read position ${at}, ${used} bytes in use of ${this.capacity})`);
    if (used < MSG_HEADER) throw new PassageError(`message at ring offset ${at}: ${used} bytes left, fewer than a header`);
    const h = this.get(at, MSG_HEADER);
    const hv = new DataView(h.buffer);
    const from = h[0]!;
    const to = h[1]!;
    const rawType = hv.getUint16(2, true);
    const size = hv.getUint32(4, true);
    const where = `message at ring offset ${at}`;
    if (from >= MODULES_MAX) throw new PassageError(`${where}: sender module ${from} is out of range (0-${MODULES_MAX - 1})`);
    if (to >= MODULES_MAX) throw new PassageError(`${where}: destination module ${to} is out of range (0-${MODULES_MAX - 1})`);
    if (size > this.capacity - MSG_HEADER || MSG_HEADER + size > used) {
      throw new PassageError(`${where}: size ${size} goes beyond the page (${used - MSG_HEADER} bytes of payload present, page ring ${this.capacity})`);
    }
    const type = rawType & ~MORE;
    if (!acceptedTypes(to).includes(type)) throw new PassageError(`${where}: type ${type} is not one ${moduleName(to)} accepts`);
    const data = this.get((at + MSG_HEADER) % this.capacity, size);
    this.dv.setUint32(0, (at + MSG_HEADER + size) % this.capacity, true);
    this.dv.setUint32(8, used - MSG_HEADER - size, true);
    return { from, to, type, more: (rawType & MORE) !== 0, data };
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

/** Joins chunked messages; returns whole messages. Bounded: a message may not exceed `limit` bytes. */
export class Assembler {
  private readonly parts = new Map<string, Uint8Array[]>();
  private readonly sizes = new Map<string, number>();
  constructor(private readonly limit = 256 * 1024 * 1024) {}

  push(m: Message): Message | null {
    const key = `${m.from}/${m.to}/${m.type}`;
    const have = this.parts.get(key);
    if (!have && !m.more) return m;
    const size = (this.sizes.get(key) ?? 0) + m.data.length;
    if (size > this.limit) throw new PassageError(`chunked message ${key} exceeds ${this.limit} bytes`);
    const list = have ?? [];
    list.push(m.data);
    if (m.more) {
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
    return { from: m.from, to: m.to, type: m.type, more: false, data };
  }

  get pending(): boolean {
    return this.parts.size > 0;
  }
}

// -- byte encodings ----------------------------------------------------------

const enc = new TextEncoder();
const dec = new TextDecoder();

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

// Frame (DAEMON -> CONETn): u32 frameNo, u64 tsNs, u8 flags (1: locally generated, OUTPUT path), frame bytes.
export interface FrameMsg {
  readonly frameNo: number;
  readonly tsNs: bigint;
  /** Locally generated (its source is a guest address): the OUTPUT path. */
  readonly output: boolean;
  readonly data: Uint8Array;
}
export function encodeFrame(f: FrameMsg): Uint8Array {
  return new ByteWriter().u32(f.frameNo).u64(f.tsNs).u8(f.output ? 1 : 0).bytes(f.data).done();
}
export function decodeFrame(b: Uint8Array): FrameMsg {
  const r = new ByteReader(b, 'frame message');
  const frameNo = r.u32();
  const tsNs = r.u64();
  const flags = r.u8();
  if (flags & ~1) throw new PassageError(`frame message: unknown flags 0x${flags.toString(16)}`);
  return { frameNo, tsNs, output: (flags & 1) !== 0, data: r.rest().slice() };
}

// Fate (CONETn -> DAEMON): u8 kind, i8 unit, u8 flags (1 site, 2 reason, 4 frame), u32 frameNo, u64 tsNs
//   [site: u32 rule, str8 table, str8 chain] [reason: str16] [frame: rest]
/** A fate as it crosses the page: with the guest's clock when it was decided. */
export interface FateMsg extends Fate {
  readonly tsNs: bigint;
}
const FATE_KIND_MAX = 10;
export function encodeFate(f: Fate, tsNs: bigint): Uint8Array {
  const flags = (f.site ? 1 : 0) | (f.reason !== undefined ? 2 : 0) | (f.frame ? 4 : 0);
  const w = new ByteWriter().u8(f.kind).u8(f.unit & 0xff).u8(flags).u32(f.frameNo).u64(tsNs);
  if (f.site) w.u32(f.site.rule).str(f.site.table, 1).str(f.site.chain, 1);
  if (f.reason !== undefined) w.str(f.reason, 2);
  if (f.frame) w.bytes(f.frame);
  return w.done();
}
export function decodeFate(b: Uint8Array): FateMsg {
  const r = new ByteReader(b, 'fate record');
  const kind = r.u8();
  if (kind < 1 || kind > FATE_KIND_MAX) throw new PassageError(`fate record: unknown fate kind ${kind}`);
  const unit = r.i8();
  if (unit < -1 || unit >= MAX_CONET) throw new PassageError(`fate record: conet unit ${unit} out of range`);
  const flags = r.u8();
  if (flags & ~7) throw new PassageError(`fate record: unknown flags 0x${flags.toString(16)}`);
  const frameNo = r.u32();
  const tsNs = r.u64();
  let site: DropSite | undefined;
  let reason: string | undefined;
  let frame: Uint8Array | undefined;
  if (flags & 1) {
    const rule = r.u32();
    const table = r.str(1);
    const chain = r.str(1);
    site = { table, chain, rule };
  }
  if (flags & 2) reason = r.str(2);
  if (flags & 4) frame = r.rest().slice();
  r.end();
  return { kind: kind as FateKind, unit, frameNo, tsNs, ...(site ? { site } : {}), ...(reason !== undefined ? { reason } : {}), ...(frame ? { frame } : {}) };
}

// Console line (LINUX -> CONSOLE): u8 level, u64 ns since boot, text.
export interface ConsoleMsg {
  readonly level: number;
  readonly sinceBootNs: bigint;
  readonly text: string;
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
  r.end();
  return { bootTsNs, rulesFile, spec: { hostname, devices, routes, failPolicy } };
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
