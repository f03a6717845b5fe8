/**
 * The kernel's text-to-address readers (net/core/utils.c: in4_pton,
 * in6_pton), as conntrack helpers call them on packet bytes: with `delim`
 * -1 any character that is neither a digit, a hex letter, `.` nor `:` (and
 * the byte 0xff, which a signed char makes -1, and NUL) ends the address.
 * Each returns whether the text was an address and the offset where reading
 * stopped (`end`), and writes the address into `out`.
 */
import { InetAddr } from '../../packet/inet-addr.js';

const XDIGIT = 0x00010000;
const DIGIT = 0x00020000;
const COLON_MASK = 0x00700000;
const COLON_1 = 0x00100000;
const COLON_2 = 0x00200000;
const COLON_1_2 = 0x00400000;
const DOT = 0x00800000;
const DELIM = 0x10000000;
const NULL_ = 0x20000000;
const UNKNOWN = 0x40000000;

/** xdigit2bin with delim -1 (or `delim` a byte). */
function xdigit2bin(c: number, delim: number): number {
  if (c === (delim & 0xff) || c === 0) return DELIM;
  if (c === 0x3a) return COLON_MASK;
  if (c === 0x2e) return DOT;
  if (c >= 0x30 && c <= 0x39) return (c - 0x30) | XDIGIT | DIGIT;
  if (c >= 0x61 && c <= 0x66) return (c - 0x61 + 10) | XDIGIT;
  if (c >= 0x41 && c <= 0x46) return (c - 0x41 + 10) | XDIGIT;
  return delim === -1 ? DELIM : UNKNOWN;
}

/** Where a pton call stopped. */
export const ptonEnd = { v: 0 };

/** in4_pton over d[off, limit): true for an address (written to `out`); `ptonEnd.v` is where it stopped. */
export function in4Pton(d: Uint8Array, off: number, limit: number, out: InetAddr, delim = -1): boolean {
  const b = [0, 0, 0, 0];
  let s = off;
  let i = 0;
  let w = 0;
  for (;;) {
    const c = xdigit2bin(s < limit ? d[s]! : 0, delim);
    if (!(c & (DIGIT | DOT | DELIM | COLON_MASK))) break;
    if (c & (DOT | DELIM | COLON_MASK)) {
      if (w === 0) break;
      b[i++] = w & 0xff;
      w = 0;
      if (c & (DELIM | COLON_MASK)) {
        ptonEnd.v = s;
        if (i !== 4) return false;
        out.setV4(((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0);
        return true;
      }
    } else {
      // The flag bits stay above the low 16 bits, which hold the number.
      w = w * 10 + c;
      if ((w & 0xffff) > 255) break;
    }
    if (i >= 4) break;
    s++;
  }
  ptonEnd.v = s;
  return false;
}

/** in6_pton over d[off, limit): true for an address (written to `out`); `ptonEnd.v` is where it stopped. */
export function in6Pton(d: Uint8Array, off: number, limit: number, out: InetAddr, delim = -1): boolean {
  const dbuf = new Uint8Array(16);
  let s = off;
  let tok = -1;
  let dp = 0;
  let dc = -1;
  let state = COLON_1_2 | XDIGIT | NULL_;
  let w = 0;
  for (;;) {
    const c = xdigit2bin(s < limit ? d[s]! : 0, delim);
    if (!(c & state)) {
      ptonEnd.v = s;
      return false;
    }
    if (c & (DELIM | COLON_MASK)) {
      if (!(state & NULL_)) {
        dbuf[dp++] = (w >> 8) & 0xff;
        dbuf[dp++] = w & 0xff;
      }
      w = 0;
      if (c & DELIM) break;
      switch (state & COLON_MASK) {
        case COLON_2:
          dc = dp;
          state = XDIGIT | DELIM;
          if (dc >= 16) state |= NULL_;
          break;
        case COLON_1 | COLON_1_2:
          state = XDIGIT | COLON_2;
          break;
        case COLON_1:
          state = XDIGIT;
          break;
        case COLON_1_2:
          state = COLON_2;
          break;
        default:
          state = 0;
      }
      tok = s + 1;
    } else if (c & DOT) {
      const v4 = new InetAddr();
      if (!in4Pton(d, tok >= 0 ? tok : s, limit, v4, delim)) return false;
      s = ptonEnd.v;
      const n = v4.w0;
      dbuf[dp++] = n >>> 24;
      dbuf[dp++] = (n >>> 16) & 0xff;
      dbuf[dp++] = (n >>> 8) & 0xff;
      dbuf[dp++] = n & 0xff;
      break;
    } else {
      w = ((w << 4) | (c & 0xff)) & 0xffff;
      state = COLON_1 | DELIM;
      if (!(w & 0xf000)) state |= XDIGIT;
      if (dc < 0 && dp + 2 < 16) {
        state |= COLON_1_2;
        state &= ~DELIM;
      }
      if (dp + 2 >= 16) state &= ~(COLON_1 | COLON_1_2);
    }
    if ((dc >= 0 && dp + 4 < 16) || dp + 4 === 16) state |= DOT;
    if (dp >= 16) state &= ~(XDIGIT | COLON_MASK);
    s++;
  }
  ptonEnd.v = s;
  const dst = new Uint8Array(16);
  if (dc >= 0) {
    let i = 15;
    let k = dp - 1;
    while (k >= dc) dst[i--] = dbuf[k--]!;
    while (i >= dc) dst[i--] = 0;
    while (i >= 0) dst[i--] = dbuf[k--]!;
  } else dst.set(dbuf);
  out.readV6(dst, 0);
  return true;
}
