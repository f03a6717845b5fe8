/**
 * Frames in batches as indexes into the pieces of the file they were read
 * from: a struct of arrays per batch instead of a frame object and a view
 * per frame (about 190 bytes a frame the garbage collector had to take
 * back). Frame `i` of a batch is `buf[i]` from `start[i]` for `len[i]`
 * bytes, its time `tsSec[i]` and `tsNsec[i]`, and so on; `frame(i)` makes
 * it a `CaptureFrame` for the consumers that want one. The rare fields
 * (a pcapng interface name or direction, a cooked capture's packet type, a
 * frame that is not IP) are in `extra[i]`, undefined for most frames.
 */
import type { CaptureFrame } from './types.js';
import { CapturedFrame } from './types.js';

/** What few frames carry beyond their bytes and times (see CaptureFrame). */
export interface FrameExtra {
  ifName?: string;
  direction?: 'in' | 'out';
  pktType?: number;
  nonIp?: string;
}

export class FrameBatch {
  /** Frames in the batch. */
  length = 0;
  /** The bytes each frame is in (a piece of the file, shared by its frames; or the frame's own copy). */
  readonly buf: Uint8Array[];
  readonly start: Int32Array;
  /** Captured length. */
  readonly len: Int32Array;
  /** Length on the wire (CaptureFrame.origLen). */
  readonly origLen: Float64Array;
  /** CaptureFrame.truncated. */
  readonly truncated: Float64Array;
  readonly tsSec: Float64Array;
  readonly tsNsec: Int32Array;
  readonly linkType: Int32Array;
  /** 1-based record number in its file. */
  readonly index: Float64Array;
  /** Byte offset of the record in its file. */
  readonly offset: Float64Array;
  readonly file: string[];
  readonly extra: Array<FrameExtra | undefined>;

  constructor(readonly capacity: number) {
    this.buf = new Array<Uint8Array>(capacity);
    this.start = new Int32Array(capacity);
    this.len = new Int32Array(capacity);
    this.origLen = new Float64Array(capacity);
    this.truncated = new Float64Array(capacity);
    this.tsSec = new Float64Array(capacity);
    this.tsNsec = new Int32Array(capacity);
    this.linkType = new Int32Array(capacity);
    this.index = new Float64Array(capacity);
    this.offset = new Float64Array(capacity);
    this.file = new Array<string>(capacity);
    this.extra = new Array<FrameExtra | undefined>(capacity);
  }

  get full(): boolean {
    return this.length === this.capacity;
  }

  /** Adds a frame read as `len` bytes of `buf` at `start`; returns its place. */
  add(
    buf: Uint8Array,
    start: number,
    len: number,
    origLen: number,
    truncated: number,
    tsSec: number,
    tsNsec: number,
    linkType: number,
    file: string,
    index: number,
    offset: number,
  ): number {
    const i = this.length++;
    this.buf[i] = buf;
    this.start[i] = start;
    this.len[i] = len;
    this.origLen[i] = origLen;
    this.truncated[i] = truncated;
    this.tsSec[i] = tsSec;
    this.tsNsec[i] = tsNsec;
    this.linkType[i] = linkType;
    this.file[i] = file;
    this.index[i] = index;
    this.offset[i] = offset;
    this.extra[i] = undefined;
    return i;
  }

  /** Adds a frame given as an object (its data is kept as it is). */
  push(f: CaptureFrame): void {
    const i = this.add(f.data, 0, f.data.length, f.origLen, f.truncated, f.tsSec, f.tsNsec, f.linkType, f.file, f.index, f.offset);
    if (f.ifName !== undefined || f.direction !== undefined || f.pktType !== undefined || f.nonIp !== undefined) {
      const x: FrameExtra = {};
      if (f.ifName !== undefined) x.ifName = f.ifName;
      if (f.direction !== undefined) x.direction = f.direction;
      if (f.pktType !== undefined) x.pktType = f.pktType;
      if (f.nonIp !== undefined) x.nonIp = f.nonIp;
      this.extra[i] = x;
    }
  }

  /** Adds frame `i` of `from`. */
  copy(from: FrameBatch, i: number): void {
    const j = this.add(
      from.buf[i]!,
      from.start[i]!,
      from.len[i]!,
      from.origLen[i]!,
      from.truncated[i]!,
      from.tsSec[i]!,
      from.tsNsec[i]!,
      from.linkType[i]!,
      from.file[i]!,
      from.index[i]!,
      from.offset[i]!,
    );
    this.extra[j] = from.extra[i];
  }

  /** Frame `i`'s bytes (a view, unless the frame is a whole buffer of its own). */
  data(i: number): Uint8Array {
    const b = this.buf[i]!;
    const s = this.start[i]!;
    const n = this.len[i]!;
    return s === 0 && n === b.length ? b : b.subarray(s, s + n);
  }

  /** Frame `i` as a CaptureFrame (a new object; its data a view into the same bytes). */
  frame(i: number): CaptureFrame {
    const f = new CapturedFrame(
      this.tsSec[i]!,
      this.tsNsec[i]!,
      this.data(i),
      this.origLen[i]!,
      this.truncated[i]!,
      this.linkType[i]!,
      this.file[i]!,
      this.index[i]!,
      this.offset[i]!,
    );
    const x = this.extra[i];
    if (x) {
      if (x.ifName !== undefined) f.ifName = x.ifName;
      if (x.direction !== undefined) f.direction = x.direction;
      if (x.pktType !== undefined) f.pktType = x.pktType;
      if (x.nonIp !== undefined) f.nonIp = x.nonIp;
    }
    return f;
  }
}
