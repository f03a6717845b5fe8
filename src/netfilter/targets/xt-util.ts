/**
 * Shared pieces of the mangling targets: number parsing as libxtables does
 * it (strtoumax with base 0 behind xtables_strtoui, the `value[/mask]` of
 * XTTYPE_MARKMASK32) with iptables 1.8.9's messages, and the checksum
 * updates the kernel applies when a target rewrites a byte in place
 * (csum_replace2 and ipv4_change_dsfield), so that rewritten packets carry
 * the very checksum bytes the kernel would write.
 */
import { OptionError, type OptionUse } from '../xt.js';

/**
 * strtoumax(s, &end, 0): the number at the start of `s` and the index where
 * parsing stopped, or undefined when no digit was read (end == s). Leading
 * white space and a sign are accepted as C does; a minus sign negates
 * modulo 2^64, which any range check below then refuses (except `-0`).
 */
export function cStrtoul(s: string): { value: number; end: number } | undefined {
  let i = 0;
  while (i < s.length && ' \t\n\v\f\r'.includes(s[i]!)) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') {
    neg = s[i] === '-';
    i++;
  }
  let base = 10;
  if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && /[0-9a-fA-F]/.test(s[i + 2] ?? '')) {
    base = 16;
    i += 2;
  } else if (s[i] === '0') base = 8;
  const start = i;
  let v = 0;
  for (; i < s.length; i++) {
    const d = parseInt(s[i]!, 36);
    if (Number.isNaN(d) || d >= base) break;
    v = v * base + d;
  }
  if (i === start) return undefined;
  if (neg && v !== 0) v = Number.MAX_SAFE_INTEGER; // wraps to a huge unsigned value
  return { value: v, end: i };
}

/** xtables_strtoui over the whole string: the number when it is entirely a number within [min, max]. */
export function cUint(s: string, min: number, max: number): number | undefined {
  const r = cStrtoul(s);
  if (!r || r.end !== s.length || r.value < min || r.value > max) return undefined;
  return r.value;
}

/** An XTTYPE_UINT8/16/32 option (xtopt_parse_int), with its message. */
export function uintOption(ext: string, use: OptionUse, min: number, max: number): number {
  const v = cUint(use.args[0] ?? '', min, max);
  if (v === undefined) throw new OptionError(`${ext}: bad value for option "--${use.spec.name}", or out of range (${min}-${max}).`, use);
  return v;
}

/** An XTTYPE_MARKMASK32 option `value[/mask]` (xtopt_parse_markmask); mask defaults to 0xffffffff. */
export function markMaskOption(ext: string, use: OptionUse): { mark: number; mask: number } {
  const arg = use.args[0] ?? '';
  const name = use.spec.name;
  const bad = (): never => {
    throw new OptionError(`${ext}: bad integer value for option "--${name}", or out of range.`, use);
  };
  const m = cStrtoul(arg);
  if (!m || m.value > 0xffffffff) bad();
  let end = m!.end;
  let mask = 0xffffffff;
  if (arg[end] === '/') {
    const rest = arg.slice(end + 1);
    const k = cStrtoul(rest);
    if (!k || k.value > 0xffffffff) bad();
    mask = k!.value;
    end += 1 + k!.end;
  }
  if (end !== arg.length) throw new OptionError(`${ext}: trailing garbage after value for option "--${name}".`, use);
  return { mark: m!.value >>> 0, mask: mask >>> 0 };
}

/** iptables' message for two options of one group in one rule. */
export function exclusive(ext: string, first: OptionUse, second: OptionUse): OptionError {
  return new OptionError(`${ext}: option "--${first.spec.name}" cannot be used together with "--${second.spec.name}".`, second);
}

/** `0x%x` of an unsigned 32-bit value. */
export function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16)}`;
}

/** `0x%02x` of a byte. */
export function hex8(v: number): string {
  return `0x${(v & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * csum_replace2: the 16-bit word `from` of the checksummed data became `to`;
 * updates the checksum stored big-endian at `b[at]` (RFC 1624, eqn. 3).
 */
export function csumReplace2(b: Uint8Array, at: number, from: number, to: number): void {
  let s = (~((b[at]! << 8) | b[at + 1]!) & 0xffff) + (~from & 0xffff) + (to & 0xffff);
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  const c = ~s & 0xffff;
  b[at] = c >> 8;
  b[at + 1] = c & 0xff;
}

/**
 * One byte of checksummed data changed from `from` to `to`; `odd` says
 * whether it is the low byte of its 16-bit word (odd offset from the start
 * of the checksummed range). The same update as csum_replace2 on the word.
 */
export function csumReplaceByte(b: Uint8Array, at: number, odd: boolean, from: number, to: number): void {
  if (odd) csumReplace2(b, at, from & 0xff, to & 0xff);
  else csumReplace2(b, at, (from & 0xff) << 8, (to & 0xff) << 8);
}

/**
 * ipv4_change_dsfield (include/net/dsfield.h): the TOS byte becomes
 * `(tos & mask) | value`, the header checksum updated with the kernel's own
 * arithmetic (which is not csum_replace2's, and can differ from it in the
 * representation of zero).
 */
export function ipv4ChangeDsfield(ip: Uint8Array, mask: number, value: number): void {
  const tos = ip[1]!;
  const ds = ((tos & mask) | value) & 0xff;
  let check = ((ip[10]! << 8) | ip[11]!) + tos;
  if ((check + 1) >>> 16) check = (check + 1) & 0xffff;
  check = (check - ds) >>> 0;
  check = (check + (check >>> 16)) >>> 0;
  ip[10] = (check >>> 8) & 0xff;
  ip[11] = check & 0xff;
  ip[1] = ds;
}
