/**
 * Shared pieces of the mangling targets: iptables' message for exclusive
 * options, hex printing, C's strtoumax (the option arguments themselves
 * are parsed by args.ts), and the checksum
 * updates the kernel applies when a target rewrites a byte in place
 * (csum_replace2 and ipv4_change_dsfield), so that rewritten packets carry
 * the very checksum bytes the kernel would write; the IPv6 traffic class
 * read and written as ipv6_get_dsfield and ipv6_change_dsfield do.
 */
import { cStrtoumax } from '../args.js';
import { OptionError, type OptionUse } from '../xt.js';

/**
 * glibc's strtoumax(s, &end, 0) (args.ts's cStrtoumax): the number at the
 * start of `s` and the index where parsing stopped, or undefined when no
 * digit was read (end == s). Leading white space and a sign are accepted as
 * C does; a minus sign negates modulo 2^64. iptables 1.8.9 reads the
 * targets' options with xtables_strtoul instead, which refuses the minus
 * (args.ts's xtStrtoul, behind uintArg and parseValMask).
 */
export function cStrtoul(s: string): { value: number; end: number } | undefined {
  const r = cStrtoumax(s);
  return r.end === 0 ? undefined : { value: Number(r.value), end: r.end };
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

/**
 * ipv6_get_dsfield (include/net/dsfield.h): the IPv6 traffic class, the
 * eight bits after the version nibble (the DSCP in its upper six, ECN in
 * its lower two), as the dscp, tos and ecn matches read it.
 */
export function ipv6GetDsfield(ip: Uint8Array): number {
  return ((ip[0]! << 4) | (ip[1]! >> 4)) & 0xff;
}

/**
 * ipv6_change_dsfield: the traffic class becomes `(tc & mask) | value`
 * (IPv6 has no header checksum); the version and the flow label stay.
 */
export function ipv6ChangeDsfield(ip: Uint8Array, mask: number, value: number): void {
  const word = (ip[0]! << 8) | ip[1]!;
  const nw = (word & (((mask & 0xff) << 4) | 0xf00f)) | ((value & 0xff) << 4);
  ip[0] = (nw >> 8) & 0xff;
  ip[1] = nw & 0xff;
}
