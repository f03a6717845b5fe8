/**
 * The H.323 helpers' partial ASN.1 PER decoder (the kernel's
 * nf_conntrack_h323_asn1.c): it walks a message with the type tables of
 * h323-types.ts, skipping what the helpers do not need (extension
 * additions and open types by their length, STOP rows not at all), and
 * keeps what a DECODE row names: a SEQUENCE's optional-component bitmap, a
 * CHOICE's index, a SEQUENCE OF's count (at most `ub` items kept), a
 * constrained integer's value (timeToLive) and, for an IP address, its
 * offset from the start of the message.
 *
 * It reads the aligned variant of PER as the kernel does, quirks included:
 * an open field's length is read where the bit pointer stands, skipping a
 * field by its length leaves the bit offset alone, a child that meets a
 * STOP row ends only its own SEQUENCE (its parent goes on reading from
 * there), and a CHOICE alternative known only by index beyond `ub` is
 * skipped by its length. Every read is bounds-checked as the kernel checks
 * it (H323_ERROR_BOUND past the end, H323_ERROR_RANGE for a root CHOICE
 * index past its alternatives or an extension bitmap over 32 bits): a
 * hostile message ends in an error, never an exception, and every loop is
 * bounded by a count read from the message (at most 65535 + lb).
 *
 * Reads past the end only happen where the kernel reads past it too
 * (before its bounds check fails); they read the frame's following bytes,
 * or 0 past the frame.
 */
import {
  BITSTR,
  BMPSTR,
  BOOL,
  BYTE,
  CHOICE,
  CONS,
  DECODE,
  ENUM,
  EXT,
  FIXD,
  H323_USER_INFORMATION,
  INT,
  MULTIMEDIA_SYSTEM_CONTROL_MESSAGE,
  NUL,
  NUMSTR,
  OCTSTR,
  OID,
  OPEN,
  OPT,
  RAS_MESSAGE,
  SEMI,
  SEQ,
  SEQOF,
  STOP,
  UNCO,
  WORD,
  type Field,
} from './h323-types.js';

export const H323_ERROR_NONE = 0;
/** Decoding stopped at a STOP row: not an error. */
export const H323_ERROR_STOP = 1;
export const H323_ERROR_BOUND = -1;
export const H323_ERROR_RANGE = -2;

/**
 * A decoded value: `v` is a SEQUENCE's bitmap (bit 31 the first optional
 * component, then the extension additions), a CHOICE's index, a SEQUENCE
 * OF's count, an integer, or an address's offset from the message start;
 * `kids` the decoded components by name, `items` the kept items.
 */
export class DNode {
  v = 0;
  kids: Map<string, DNode> | null = null;
  items: DNode[] | null = null;

  /** The component `name` (an empty node when it was not decoded). */
  get(name: string): DNode {
    return this.kids?.get(name) ?? EMPTY;
  }

  /** The component `name`, made when absent (for the decoder). */
  slot(name: string): DNode {
    const kids = this.kids ?? (this.kids = new Map());
    let n = kids.get(name);
    if (!n) kids.set(name, (n = new DNode()));
    return n;
  }
}

const EMPTY = new DNode();

/** The bit stream (struct bitstr): byte indexes into `d`. */
class Bits {
  constructor(
    readonly d: Uint8Array,
    /** Where offsets are counted from (the message start). */
    readonly buf: number,
    public cur: number,
    readonly end: number,
  ) {}
  bit = 0;

  byte(i: number): number {
    return this.d[i] ?? 0;
  }

  /** nf_h323_error_boundary: would `bytes` bytes and `bits` bits more pass the end? */
  over(bytes: number, bits: number): boolean {
    bits += this.bit;
    bytes += bits >>> 3;
    if (bits & 7) bytes++;
    return this.cur + bytes > this.end;
  }

  align(): void {
    if (this.bit) {
      this.cur++;
      this.bit = 0;
    }
  }

  incBits(b: number): void {
    if ((this.bit += b) > 7) {
      this.cur += this.bit >>> 3;
      this.bit &= 7;
    }
  }

  /** get_len: a length of one byte, or of two when the first has its top bit (14 bits). */
  len(): number {
    let v = this.byte(this.cur++);
    if (v & 0x80) v = ((v & 0x3f) << 8) + this.byte(this.cur++);
    return v;
  }

  getBit(): number {
    const b = this.byte(this.cur) & (0x80 >>> this.bit);
    this.incBits(1);
    return b;
  }

  /** get_bits: up to 8 bits. */
  getBits(b: number): number {
    let v = this.byte(this.cur) & (0xff >>> this.bit);
    const l = b + this.bit;
    if (l < 8) {
      v >>>= 8 - l;
      this.bit = l;
    } else if (l === 8) {
      this.cur++;
      this.bit = 0;
    } else {
      v = (v << 8) + this.byte(++this.cur);
      v >>>= 16 - l;
      this.bit = l - 8;
    }
    return v;
  }

  /** get_bitmap: up to 32 bits, left-aligned in a u32. */
  getBitmap(b: number): number {
    if (!b) return 0;
    const l = this.bit + b;
    let v: number;
    if (l < 8) {
      v = (this.byte(this.cur) << (this.bit + 24)) >>> 0;
      this.bit = l;
    } else if (l === 8) {
      v = (this.byte(this.cur++) << (this.bit + 24)) >>> 0;
      this.bit = 0;
    } else {
      v = 0;
      let shift = 24;
      for (let bytes = l >>> 3; bytes; bytes--, shift -= 8) v = (v | (this.byte(this.cur++) << shift)) >>> 0;
      if (l < 32) {
        v = ((v | (this.byte(this.cur) << shift)) << this.bit) >>> 0;
      } else if (l > 32) {
        v = ((v << this.bit) | (this.byte(this.cur) >>> (8 - this.bit))) >>> 0;
      }
      this.bit = l & 7;
    }
    return (v & (0xffffffff << (32 - b))) >>> 0;
  }

  /** get_uint: `b` bytes, big-endian. */
  getUint(b: number): number {
    let v = 0;
    for (let k = 0; k < b; k++) v = v * 256 + this.byte(this.cur++);
    return v >>> 0;
  }
}

type Decoder = (bs: Bits, f: Field, base: DNode | null) => number;

function decodeNul(): number {
  return H323_ERROR_NONE;
}

function decodeBool(bs: Bits): number {
  bs.incBits(1);
  return bs.over(0, 0) ? H323_ERROR_BOUND : H323_ERROR_NONE;
}

function decodeOid(bs: Bits): number {
  bs.align();
  if (bs.over(1, 0)) return H323_ERROR_BOUND;
  const len = bs.byte(bs.cur++);
  bs.cur += len;
  return bs.over(0, 0) ? H323_ERROR_BOUND : H323_ERROR_NONE;
}

function decodeInt(bs: Bits, f: Field, base: DNode | null): number {
  switch (f.sz) {
    case BYTE:
      bs.align();
      bs.cur++;
      break;
    case WORD:
      bs.align();
      bs.cur += 2;
      break;
    case CONS: {
      if (bs.over(0, 2)) return H323_ERROR_BOUND;
      const len = bs.getBits(2) + 1;
      bs.align();
      // timeToLive: reading the value moves past it, and the kernel then
      // moves `len` bytes further (its bounds check counts both).
      if (base && f.attr & DECODE) base.slot(f.name).v = (bs.getUint(len) + f.lb) >>> 0;
      bs.cur += len;
      break;
    }
    case UNCO: {
      bs.align();
      if (bs.over(2, 0)) return H323_ERROR_BOUND;
      const len = bs.len();
      bs.cur += len;
      break;
    }
    default:
      bs.incBits(f.sz);
  }
  return bs.over(0, 0) ? H323_ERROR_BOUND : H323_ERROR_NONE;
}

function decodeEnum(bs: Bits, f: Field): number {
  if (f.attr & EXT && bs.getBit()) bs.incBits(7);
  else bs.incBits(f.sz);
  return bs.over(0, 0) ? H323_ERROR_BOUND : H323_ERROR_NONE;
}

function decodeBitstr(bs: Bits, f: Field): number {
  bs.align();
  let len: number;
  switch (f.sz) {
    case FIXD:
      len = f.lb;
      break;
    case WORD:
      if (bs.over(2, 0)) return H323_ERROR_BOUND;
      len = bs.byte(bs.cur++) << 8;
      len += bs.byte(bs.cur++) + f.lb;
      break;
    case SEMI:
      if (bs.over(2, 0)) return H323_ERROR_BOUND;
      len = bs.len();
      break;
    default:
      len = 0;
  }
  bs.cur += len >>> 3;
  bs.bit = len & 7;
  return bs.over(0, 0) ? H323_ERROR_BOUND : H323_ERROR_NONE;
}

function decodeNumstr(bs: Bits, f: Field): number {
  if (bs.over(0, f.sz)) return H323_ERROR_BOUND;
  const len = bs.getBits(f.sz) + f.lb;
  bs.align();
  bs.incBits(len << 2);
  return bs.over(0, 0) ? H323_ERROR_BOUND : H323_ERROR_NONE;
}

function decodeOctstr(bs: Bits, f: Field, base: DNode | null): number {
  let len: number;
  switch (f.sz) {
    case FIXD:
      if (f.lb > 2) {
        bs.align();
        // An IP address: where it starts.
        if (base && f.attr & DECODE) base.slot(f.name).v = bs.cur - bs.buf;
      }
      len = f.lb;
      break;
    case BYTE:
      bs.align();
      if (bs.over(1, 0)) return H323_ERROR_BOUND;
      len = bs.byte(bs.cur++) + f.lb;
      break;
    case SEMI:
      bs.align();
      if (bs.over(2, 0)) return H323_ERROR_BOUND;
      len = bs.len() + f.lb;
      break;
    default:
      if (bs.over(0, f.sz)) return H323_ERROR_BOUND;
      len = bs.getBits(f.sz) + f.lb;
      bs.align();
  }
  bs.cur += len;
  return bs.over(0, 0) ? H323_ERROR_BOUND : H323_ERROR_NONE;
}

function decodeBmpstr(bs: Bits, f: Field): number {
  let len: number;
  if (f.sz === BYTE) {
    bs.align();
    if (bs.over(1, 0)) return H323_ERROR_BOUND;
    len = bs.byte(bs.cur++) + f.lb;
  } else {
    if (bs.over(0, f.sz)) return H323_ERROR_BOUND;
    len = bs.getBits(f.sz) + f.lb;
    bs.align();
  }
  bs.cur += len << 1;
  return bs.over(0, 0) ? H323_ERROR_BOUND : H323_ERROR_NONE;
}

/** Decodes `son` as an open type: a length, then the value (kept only when decoded). */
function decodeOpen(bs: Bits, son: Field, base: DNode | null): number {
  if (bs.over(2, 0)) return H323_ERROR_BOUND;
  const len = bs.len();
  if (bs.over(len, 0)) return H323_ERROR_BOUND;
  if (!base || !(son.attr & DECODE)) {
    bs.cur += len;
    return H323_ERROR_NONE;
  }
  const beg = bs.cur;
  const err = decode(bs, son, base);
  if (err < H323_ERROR_NONE) return err;
  bs.cur = beg + len;
  bs.bit = 0;
  return H323_ERROR_NONE;
}

function decodeSeq(bs: Bits, f: Field, parent: DNode | null): number {
  const base = parent && f.attr & DECODE ? parent.slot(f.name) : null;
  if (bs.over(0, 1)) return H323_ERROR_BOUND;
  const ext = f.attr & EXT ? bs.getBit() : 0;
  if (bs.over(0, f.sz)) return H323_ERROR_BOUND;
  if (f.sz > 32) return H323_ERROR_RANGE;
  let bmp = bs.getBitmap(f.sz);
  if (base) base.v = bmp;
  const fields = f.fields ?? [];
  let i = 0;
  // The root components.
  for (let opt = 0; i < f.lb; i++) {
    const son = fields[i];
    if (!son) return H323_ERROR_RANGE;
    if (son.attr & STOP) return H323_ERROR_STOP;
    if (son.attr & OPT && !(((0x80000000 >>> opt++) & bmp) >>> 0)) continue;
    const err = son.attr & OPEN ? decodeOpen(bs, son, base) : decode(bs, son, base);
    if (err < H323_ERROR_NONE) return err;
  }
  if (!ext) return H323_ERROR_NONE;
  // The extension additions: a bitmap of up to 32, then each present one as an open type.
  if (bs.over(0, 7)) return H323_ERROR_BOUND;
  const bmp2Len = bs.getBits(7) + 1;
  if (bs.over(0, bmp2Len)) return H323_ERROR_BOUND;
  if (bmp2Len > 32) return H323_ERROR_RANGE;
  const bmp2 = bs.getBitmap(bmp2Len);
  bmp = (bmp | (f.sz < 32 ? bmp2 >>> f.sz : 0)) >>> 0;
  if (base) base.v = bmp;
  bs.align();
  for (let opt = 0; opt < bmp2Len; opt++, i++) {
    if (i >= f.ub) {
      // A newer version's addition: skipped by its length, present or not.
      if (bs.over(2, 0)) return H323_ERROR_BOUND;
      const len = bs.len();
      if (bs.over(len, 0)) return H323_ERROR_BOUND;
      bs.cur += len;
      continue;
    }
    const son = fields[i];
    if (!son) return H323_ERROR_RANGE;
    if (son.attr & STOP) return H323_ERROR_STOP;
    if (!(((0x80000000 >>> opt) & bmp2) >>> 0)) continue;
    const err = decodeOpen(bs, son, base);
    if (err < H323_ERROR_NONE) return err;
  }
  return H323_ERROR_NONE;
}

function decodeSeqof(bs: Bits, f: Field, parent: DNode | null): number {
  const base = parent && f.attr & DECODE ? parent.slot(f.name) : null;
  let count: number;
  switch (f.sz) {
    case BYTE:
      bs.align();
      if (bs.over(1, 0)) return H323_ERROR_BOUND;
      count = bs.byte(bs.cur++);
      break;
    case WORD:
      bs.align();
      if (bs.over(2, 0)) return H323_ERROR_BOUND;
      count = bs.byte(bs.cur++) << 8;
      count += bs.byte(bs.cur++);
      break;
    case SEMI:
      bs.align();
      if (bs.over(2, 0)) return H323_ERROR_BOUND;
      count = bs.len();
      break;
    default:
      if (bs.over(0, f.sz)) return H323_ERROR_BOUND;
      count = bs.getBits(f.sz);
  }
  count += f.lb;
  let kept = 0;
  if (base) {
    kept = Math.min(count, f.ub);
    base.v = kept;
    base.items = [];
  }
  const son = f.fields?.[0];
  if (!son) return count === 0 ? H323_ERROR_NONE : H323_ERROR_RANGE;
  for (let i = 0; i < count; i++) {
    // Each kept item decodes into a holder of its own.
    const holder = base && i < kept ? new DNode() : null;
    let err: number;
    if (son.attr & OPEN) {
      bs.align();
      err = decodeOpen(bs, son, holder);
    } else err = decode(bs, son, holder);
    if (err < H323_ERROR_NONE) return err;
    if (holder) base!.items!.push(holder.get(son.name));
  }
  return H323_ERROR_NONE;
}

function decodeChoice(bs: Bits, f: Field, parent: DNode | null): number {
  const base = parent && f.attr & DECODE ? parent.slot(f.name) : null;
  if (bs.over(0, 1)) return H323_ERROR_BOUND;
  let type: number;
  let ext = 0;
  if (f.attr & EXT && bs.getBit()) {
    ext = 1;
    if (bs.over(0, 7)) return H323_ERROR_BOUND;
    type = bs.getBits(7) + f.lb;
  } else {
    if (bs.over(0, f.sz)) return H323_ERROR_BOUND;
    type = bs.getBits(f.sz);
    if (type >= f.lb) return H323_ERROR_RANGE;
  }
  if (base) base.v = type;
  if (type >= f.ub) {
    // A newer version's alternative: skipped by its length.
    bs.align();
    if (bs.over(2, 0)) return H323_ERROR_BOUND;
    const len = bs.len();
    if (bs.over(len, 0)) return H323_ERROR_BOUND;
    bs.cur += len;
    return H323_ERROR_NONE;
  }
  const son = f.fields?.[type];
  if (!son) return H323_ERROR_RANGE;
  if (son.attr & STOP) return H323_ERROR_STOP;
  if (ext || son.attr & OPEN) {
    bs.align();
    return decodeOpen(bs, son, base);
  }
  const err = decode(bs, son, base);
  return err < H323_ERROR_NONE ? err : H323_ERROR_NONE;
}

const DECODERS: readonly Decoder[] = [
  decodeNul,
  decodeBool,
  decodeOid,
  decodeInt,
  decodeEnum,
  decodeBitstr,
  decodeNumstr,
  decodeOctstr,
  decodeBmpstr,
  decodeSeq,
  decodeSeqof,
  decodeChoice,
];

/** Nesting is bounded by the tables (they hold no cycle), so recursion is too. */
function decode(bs: Bits, f: Field, base: DNode | null): number {
  return DECODERS[f.type]!(bs, f, base);
}

/** A decoded message: the decoder's result code and what it kept (under the top row's name). */
export interface Decoded {
  readonly ret: number;
  readonly msg: DNode;
}

/** DecodeRasMessage: the RAS message in `d[off, off + len)`; offsets count from `off`. */
export function decodeRasMessage(d: Uint8Array, off: number, len: number): Decoded {
  const root = new DNode();
  const ret = decodeChoice(new Bits(d, off, off, off + len), RAS_MESSAGE, root);
  return { ret, msg: root.get(RAS_MESSAGE.name) };
}

/** DecodeMultimediaSystemControlMessage: the H.245 message in `d[off, off + len)`. */
export function decodeH245Message(d: Uint8Array, off: number, len: number): Decoded {
  const root = new DNode();
  const ret = decodeChoice(new Bits(d, off, off, off + len), MULTIMEDIA_SYSTEM_CONTROL_MESSAGE, root);
  return { ret, msg: root.get(MULTIMEDIA_SYSTEM_CONTROL_MESSAGE.name) };
}

/**
 * DecodeQ931: the Q.931 message in `d[off, off + len)` (protocol
 * discriminator 8, call reference, message type, then information elements
 * each read as type and one length byte) up to its user-user element
 * (0x7e, a two-byte length, then a protocol discriminator byte the decoder
 * skips), whose H323-UserInformation it decodes; H323_ERROR_BOUND without
 * one. Offsets count from `off`.
 */
export function decodeQ931(d: Uint8Array, off: number, len: number): Decoded & { messageType: number } {
  const fail = (ret: number, messageType = 0): Decoded & { messageType: number } => ({ ret, msg: EMPTY, messageType });
  let p = off;
  let sz = len;
  if (sz < 1) return fail(H323_ERROR_BOUND);
  if (d[p] !== 0x08) return fail(H323_ERROR_RANGE);
  p++;
  sz--;
  if (sz < 1) return fail(H323_ERROR_BOUND);
  let l = d[p++]!;
  sz--;
  if (sz < l) return fail(H323_ERROR_BOUND);
  p += l;
  sz -= l;
  if (sz < 2) return fail(H323_ERROR_BOUND);
  const messageType = d[p++]!;
  sz--;
  if (d[p]! & 0x80) {
    p++;
    sz--;
  }
  while (sz > 0) {
    if (d[p] === 0x7e) {
      if (sz < 3) break;
      p++;
      l = (d[p++]! << 8) | d[p++]!;
      sz -= 3;
      if (sz < l) break;
      p++;
      l--;
      if (l <= 0) break;
      const root = new DNode();
      const ret = decodeSeq(new Bits(d, off, p, p + l), H323_USER_INFORMATION, root);
      return { ret, msg: root.get(H323_USER_INFORMATION.name), messageType };
    }
    p++;
    sz--;
    if (sz < 1) break;
    l = d[p++]!;
    sz--;
    if (sz < l) break;
    p += l;
    sz -= l;
  }
  return fail(H323_ERROR_BOUND, messageType);
}

/**
 * The bitmap bit of a SEQUENCE's component `name` (the kernel's
 * e<Type>_<name> constants): optional root components in order from bit 31,
 * then the extension additions after the `sz` bits of the root bitmap.
 */
export function optionBit(seq: Field, name: string): number {
  const fields = seq.fields ?? [];
  let opt = 0;
  for (let i = 0; i < fields.length; i++) {
    const son = fields[i]!;
    const pos = i < seq.lb ? (son.attr & OPT ? opt++ : -1) : seq.sz + (i - seq.lb);
    if (son.name === name) {
      if (pos < 0) throw new Error(`${seq.name}.${name} is not optional`);
      return (0x80000000 >>> pos) >>> 0;
    }
  }
  throw new Error(`${seq.name} has no component ${name}`);
}

/** The index of a CHOICE's alternative `name`. */
export function choiceIndex(choice: Field, name: string): number {
  const k = (choice.fields ?? []).findIndex((a) => a.name === name);
  if (k < 0) throw new Error(`${choice.name} has no alternative ${name}`);
  return k;
}

/** The row `name` among `f`'s components (to find the tables the helpers read). */
export function component(f: Field, name: string): Field {
  const son = f.fields?.find((a) => a.name === name);
  if (!son) throw new Error(`${f.name} has no component ${name}`);
  return son;
}
