/**
 * What crosses between the replay's main thread and its workers: frames
 * and clock ticks one way, fates,
 * console lines and marks the other, as records in a growable byte buffer
 * that is transferred, never copied.
 *
 * To a worker (a batch): per record
 *   u8 kind (1 frame, 2 tick) | u8 unit | u8 flags | u8 0 | u32 frame | u64 clock (ns) | u32 length | bytes
 * From a worker (what the batch caused, in the guest's order): per record
 *   u8 1 mark    | u32 cause | u8 phase
 *   u8 2 fate    | u8 kind | i8 unit | u32 frame | u64 ns | i32 site | i32 reason | i32 length (-1: none) | bytes
 *   u8 3 console | u32 length | UTF-8 text
 *   u8 4 site    | u32 id | u8 ipv6 | u32 rule | str table | str chain   (a drop site the later fates name)
 *   u8 5 reason  | u32 id | str reason
 *   u8 6 fate    | as 2, and a mark (cause: its frame, phase 1) before it (nearly every frame's one fate)
 * where str is u16 length and UTF-8 bytes.
 */

const enc = new TextEncoder();
const dec = new TextDecoder();

export const REC_FRAME = 1;
export const REC_TICK = 2;

export const OUT_MARK = 1;
export const OUT_FATE = 2;
export const OUT_CONSOLE = 3;
export const OUT_SITE = 4;
export const OUT_REASON = 5;
export const OUT_FATE_MARK = 6;

/** A byte buffer that grows as records are appended. */
export class ByteOut {
  bytes: Uint8Array;
  view: DataView;
  len = 0;

  constructor(size = 1 << 16) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Room for `n` more bytes. */
  ensure(n: number): void {
    if (this.len + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.bytes.subarray(0, this.len));
    this.bytes = b;
    this.view = new DataView(b.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.bytes[this.len++] = v;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.len, v >>> 0, true);
    this.len += 4;
  }

  i32(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.len, v, true);
    this.len += 4;
  }

  u64(v: bigint): void {
    this.ensure(8);
    this.view.setBigUint64(this.len, v, true);
    this.len += 8;
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.bytes.set(b, this.len);
    this.len += b.length;
  }

  str(s: string): void {
    this.ensure(2 + s.length * 3);
    const r = enc.encodeInto(s, this.bytes.subarray(this.len + 2));
    this.view.setUint16(this.len, r.written, true);
    this.len += 2 + r.written;
  }

  /** UTF-8 text with a u32 length. */
  text(s: string): void {
    this.ensure(4 + s.length * 3);
    const r = enc.encodeInto(s, this.bytes.subarray(this.len + 4));
    this.view.setUint32(this.len, r.written, true);
    this.len += 4 + r.written;
  }

  /** The bytes written, as an ArrayBuffer of their own (to transfer), and a fresh start. */
  take(): ArrayBuffer {
    const out = this.bytes.slice(0, this.len).buffer;
    this.len = 0;
    return out;
  }
}

/** Reads what ByteOut wrote. */
export class ByteIn {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  pos = 0;

  constructor(buf: ArrayBuffer | Uint8Array) {
    this.bytes = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  get more(): boolean {
    return this.pos < this.bytes.length;
  }

  u8(): number {
    return this.bytes[this.pos++]!;
  }

  u32(): number {
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  i32(): number {
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** `n` bytes, as a view. */
  raw(n: number): Uint8Array {
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  str(): string {
    const n = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return dec.decode(this.raw(n));
  }

  text(): string {
    const n = this.u32();
    return dec.decode(this.raw(n));
  }
}
