/**
 * Payloads larger than the page's `maxChunk` cross as several messages with
 * the MORE bit (0x8000) set on all but the last: `chunks` splits a payload,
 * `Assembler` joins the messages again.
 */
import { PassageError, type Message } from './page.js';

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
