/**
 * A small aligned-PER encoder for H.323 messages, driven by the helpers'
 * type tables (src/netfilter/conntrack/h323-types.ts), for tests and
 * golden scenarios. A value is an object for a SEQUENCE (an optional
 * component is present when named; a mandatory one not named gets its
 * smallest value), `{ alternativeName: value }` for a CHOICE, an array for
 * a SEQUENCE OF, a number for an integer, a byte array for an OCTET STRING
 * (a number for its length, filled with zeros), a string for a character
 * string, a boolean for a BOOLEAN. Extension additions are encoded as open
 * types after the extension bitmap. Types the tables only skip (no
 * components listed) cannot be encoded.
 */
import {
  BITSTR,
  BMPSTR,
  BOOL,
  BYTE,
  CHOICE,
  CONS,
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
  UNCO,
  WORD,
  type Field,
} from '../../../src/netfilter/conntrack/h323-types.js';

export type PerValue = any;

class BitWriter {
  readonly bytes: number[] = [];
  private bit = 0;

  bits(v: number, n: number): void {
    for (let k = n - 1; k >= 0; k--) {
      if (this.bit === 0) this.bytes.push(0);
      if ((v / 2 ** k) & 1) this.bytes[this.bytes.length - 1]! |= 0x80 >> this.bit;
      this.bit = (this.bit + 1) & 7;
    }
  }

  align(): void {
    this.bit = 0;
  }

  byte(v: number): void {
    this.align();
    this.bytes.push(v & 0xff);
  }

  raw(b: ArrayLike<number>): void {
    this.align();
    for (let i = 0; i < b.length; i++) this.bytes.push(b[i]! & 0xff);
  }

  /** A length determinant (one byte below 128, else two). */
  len(n: number): void {
    this.align();
    if (n < 128) this.bytes.push(n);
    else this.bytes.push(0x80 | (n >> 8), n & 0xff);
  }
}

function octets(v: PerValue, n?: number): number[] {
  if (typeof v === 'number') return new Array<number>(v).fill(0);
  if (typeof v === 'string') return [...v].map((c) => c.charCodeAt(0));
  const a = v === undefined ? [] : Array.from(v as ArrayLike<number>);
  if (n !== undefined) while (a.length < n) a.push(0);
  return a;
}

function bitsFor(range: number): number {
  return range;
}

/** Rows with components, by shape (type, sz, lb, ub): for a row the tables only skip (an endpointType after a STOP). */
const SHAPES = new Map<string, Field>();
function collect(f: Field): void {
  const key = `${f.type},${f.sz},${f.lb},${f.ub}`;
  if (!f.fields || SHAPES.has(key)) return;
  SHAPES.set(key, f);
  for (const son of f.fields) collect(son);
}
for (const top of [RAS_MESSAGE, H323_USER_INFORMATION, MULTIMEDIA_SYSTEM_CONTROL_MESSAGE]) collect(top);

function enc(w: BitWriter, row: Field, v: PerValue): void {
  const like = row.fields || (row.type !== SEQ && row.type !== CHOICE && row.type !== SEQOF) ? null : SHAPES.get(`${row.type},${row.sz},${row.lb},${row.ub}`);
  const f: Field = like ? { ...row, fields: like.fields } : row;
  switch (f.type) {
    case NUL:
      return;
    case BOOL:
      w.bits(v ? 1 : 0, 1);
      return;
    case OID: {
      const b = octets(v ?? [0x00, 0x08, 0x81, 0x75, 0x00, 0x04]);
      w.len(b.length);
      w.raw(b);
      return;
    }
    case INT: {
      const n = (v ?? f.lb) - f.lb;
      if (f.sz === BYTE) w.byte(n);
      else if (f.sz === WORD) {
        w.byte(n >> 8);
        w.byte(n);
      } else if (f.sz === CONS) {
        const len = n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x1000000 ? 3 : 4;
        w.bits(len - 1, 2);
        w.align();
        for (let k = len - 1; k >= 0; k--) w.bytes.push(Math.floor(n / 256 ** k) & 0xff);
      } else if (f.sz === UNCO) {
        w.len(1);
        w.raw([n]);
      } else w.bits(n, bitsFor(f.sz));
      return;
    }
    case ENUM:
      if (f.attr & EXT) w.bits(0, 1);
      w.bits(v ?? 0, f.sz);
      return;
    case BITSTR: {
      if (f.sz !== FIXD) throw new Error(`${f.name}: only fixed bit strings`);
      w.align();
      w.bits(0, f.lb);
      return;
    }
    case NUMSTR: {
      const s = String(v ?? '1'.repeat(f.lb));
      w.bits(s.length - f.lb, f.sz);
      w.align();
      for (const c of s) w.bits(Number(c) & 0xf, 4);
      return;
    }
    case OCTSTR: {
      if (f.sz === FIXD) {
        const b = octets(v, f.lb).slice(0, f.lb);
        if (f.lb > 2) w.raw(b);
        else throw new Error(`${f.name}: short fixed octet strings are not encoded`);
        return;
      }
      const b = octets(v ?? f.lb);
      if (f.sz === BYTE) w.byte(b.length - f.lb);
      else if (f.sz === SEMI) w.len(b.length - f.lb);
      else {
        w.bits(b.length - f.lb, f.sz);
        w.align();
      }
      w.raw(b);
      return;
    }
    case BMPSTR: {
      const s = String(v ?? 'x'.repeat(f.lb));
      if (f.sz === BYTE) w.byte(s.length - f.lb);
      else {
        w.bits(s.length - f.lb, f.sz);
        w.align();
      }
      for (const c of s) w.raw([0, c.charCodeAt(0)]);
      return;
    }
    case SEQ:
      encSeq(w, f, v ?? {});
      return;
    case SEQOF: {
      const items = (v ?? []) as PerValue[];
      const n = items.length - f.lb;
      if (f.sz === BYTE) w.byte(n);
      else if (f.sz === WORD) {
        w.byte(n >> 8);
        w.byte(n);
      } else if (f.sz === SEMI) w.len(n);
      else w.bits(n, f.sz);
      const son = f.fields![0]!;
      for (const it of items) {
        if (son.attr & OPEN) openType(w, son, it);
        else enc(w, son, it);
      }
      return;
    }
    case CHOICE: {
      const [name, val] = Object.entries(v ?? { [f.fields![0]!.name]: undefined })[0]!;
      const idx = f.fields!.findIndex((a) => a.name === name);
      if (idx < 0) throw new Error(`${f.name} has no alternative ${name}`);
      const son = f.fields![idx]!;
      if (f.attr & EXT) w.bits(idx >= f.lb ? 1 : 0, 1);
      if (idx >= f.lb) {
        w.bits(idx - f.lb, 7);
        openType(w, son, val);
      } else {
        w.bits(idx, f.sz);
        if (son.attr & OPEN) openType(w, son, val);
        else enc(w, son, val);
      }
      return;
    }
    default:
      throw new Error(`${f.name}: cannot encode type ${f.type}`);
  }
}

function openType(w: BitWriter, f: Field, v: PerValue): void {
  // An already encoded value (a tunnelled H.245 message).
  if (v instanceof Uint8Array && f.type !== OCTSTR) {
    w.len(v.length);
    w.raw(v);
    return;
  }
  const inner = new BitWriter();
  enc(inner, f, v);
  if (inner.bytes.length === 0) inner.bytes.push(0);
  w.len(inner.bytes.length);
  w.raw(inner.bytes);
}

function encSeq(w: BitWriter, f: Field, v: Record<string, PerValue>): void {
  const fields = f.fields ?? [];
  const present = (name: string): boolean => Object.prototype.hasOwnProperty.call(v, name);
  const exts = fields.slice(f.lb).filter((x) => present(x.name));
  if (f.attr & EXT) w.bits(exts.length ? 1 : 0, 1);
  const root = fields.slice(0, f.lb);
  for (const son of root) if (son.attr & OPT) w.bits(present(son.name) ? 1 : 0, 1);
  for (const son of root) {
    if (son.attr & OPT && !present(son.name)) continue;
    if (son.attr & OPEN) openType(w, son, v[son.name]);
    else enc(w, son, v[son.name]);
  }
  if (!exts.length) return;
  const last = Math.max(...exts.map((x) => fields.indexOf(x))) - f.lb + 1;
  w.bits(last - 1, 7);
  for (let k = 0; k < last; k++) w.bits(present(fields[f.lb + k]!.name) ? 1 : 0, 1);
  for (let k = 0; k < last; k++) {
    const son = fields[f.lb + k]!;
    if (present(son.name)) openType(w, son, v[son.name]);
  }
}

/** Encodes `v` as the type of row `f`. */
export function perEncode(f: Field, v: PerValue): Uint8Array {
  const w = new BitWriter();
  enc(w, f, v);
  return Uint8Array.from(w.bytes);
}

/** A RAS message, `{ registrationRequest: {...} }`. */
export const ras = (v: PerValue): Uint8Array => perEncode(RAS_MESSAGE, v);
/** An H.245 message, `{ request: { openLogicalChannel: {...} } }`. */
export const h245 = (v: PerValue): Uint8Array => perEncode(MULTIMEDIA_SYSTEM_CONTROL_MESSAGE, v);

/**
 * A Q.931 message (call reference 2 bytes, a bearer capability and the
 * user-user element) carrying `uuie`, an H323-UserInformation value.
 */
export function q931(messageType: number, crv: number, uuie: PerValue): Uint8Array {
  const body = perEncode(H323_USER_INFORMATION, uuie);
  const ie = [0x04, 0x03, 0x88, 0x93, 0xa5];
  const uu = [0x7e, (body.length + 1) >> 8, (body.length + 1) & 0xff, 0x05, ...body];
  return Uint8Array.from([0x08, 0x02, (crv >> 8) & 0x7f, crv & 0xff, messageType, ...ie, ...uu]);
}

/** A TPKT (RFC 1006) around `data`. */
export function tpkt(data: Uint8Array): Uint8Array {
  const n = data.length + 4;
  return Uint8Array.from([3, 0, n >> 8, n & 0xff, ...data]);
}

/** An H.225 TransportAddress (IPv4 or IPv6). */
export function taddr(ip: string, port: number): PerValue {
  if (ip.includes(':')) return { ip6Address: { ip: ip6Bytes(ip), port } };
  return { ipAddress: { ip: ip.split('.').map(Number), port } };
}

/** An H.245 TransportAddress (unicast IPv4 or IPv6). */
export function h245Addr(ip: string, port: number): PerValue {
  if (ip.includes(':')) return { unicastAddress: { iP6Address: { network: ip6Bytes(ip), tsapIdentifier: port } } };
  return { unicastAddress: { iPAddress: { network: ip.split('.').map(Number), tsapIdentifier: port } } };
}

function ip6Bytes(s: string): number[] {
  const [head, tail] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
}
