/**
 * The page itself: a fixed-size byte region (64 KiB by default) holding a
 * ring of messages `{from: u8, to: u8, type: u16, size: u32, data}`, and
 * the error for a message that cannot be trusted.
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
 * object per message.
 */
import { ACCEPTS, MODULES_MAX, MORE, TYPE_SLOTS, moduleName } from './modules.js';

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
        throw new PassageError(
          `message at ring offset ${at}: size ${size} goes beyond the page (${used - MSG_HEADER} bytes of payload present, page ring ${cap})`,
        );
      }
      if (rawType === PAD) {
        if (MSG_HEADER + size !== tail || used === tail)
          throw new PassageError(`padding at ring offset ${at}: ${size} bytes do not reach the end of the ring, or nothing follows it`);
        dv.setUint32(0, 0, true);
        dv.setUint32(8, used - tail, true);
        continue;
      }
      if (MSG_HEADER + size > tail) throw new PassageError(`message at ring offset ${at}: size ${size} runs past the end of the ring (messages do not wrap)`);
      const type = rawType & ~MORE;
      if (type >= TYPE_SLOTS || ACCEPTS[to * TYPE_SLOTS + type] !== 1)
        throw new PassageError(`message at ring offset ${at}: type ${type} is not one ${moduleName(to)} accepts`);
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
