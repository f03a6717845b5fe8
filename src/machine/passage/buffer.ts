/**
 * Messages gathered away from the page, in page format, to be copied in as
 * runs of whole messages (`PassagePage.writeMessages`): the guest's replies
 * while unread frames still occupy the page.
 */
import { chunks } from './chunks.js';
import { MORE } from './modules.js';
import { MSG_HEADER } from './page.js';

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
