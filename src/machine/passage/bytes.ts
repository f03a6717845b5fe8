/**
 * The byte codec message payloads are written in: a little-endian writer
 * that grows as needed (ByteWriter), a bounds-checked reader that throws
 * PassageError on a short payload (ByteReader), and the UTF-8 coders they
 * and the message codecs share.
 */
import { PassageError } from './page.js';

/** UTF-8, shared by every payload that carries text. */
export const enc = new TextEncoder();
export const dec = new TextDecoder();

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
