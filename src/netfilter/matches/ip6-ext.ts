/**
 * What the ip6tables extension matches share: the kernel's
 * `ipv6_find_hdr(skb, &offset, target, NULL, NULL)` for a given extension
 * header (net/ipv6/exthdrs_core.c), the header length rules, and
 * libxtables' final option check (xtables_options_fcheck: mandatory
 * options and exclusions, in the order of the extension's option table,
 * with its words).
 *
 * The Skb's own walk (`skb.ext`, src/net/ipv6/exthdr.ts) answers where the
 * upper-layer header is; the matches here look for one particular header
 * and read it themselves, every read bounded by `skb.len` as
 * skb_header_pointer bounds it.
 */
import { OptionError, type OptionUse } from '../xt.js';

/** NEXTHDR_* numbers (include/net/ipv6.h). */
export const NEXTHDR_HOP = 0;
export const NEXTHDR_ROUTING = 43;
export const NEXTHDR_FRAGMENT = 44;
export const NEXTHDR_ESP = 50;
export const NEXTHDR_AUTH = 51;
export const NEXTHDR_NONE = 59;
export const NEXTHDR_DEST = 60;

/** -ENOENT: the header is not in the chain (the match just does not match). */
export const ENOENT = -2;
/** -EBADMSG: the chain runs past the packet (the matches drop it: hotdrop). */
export const EBADMSG = -74;

/** ipv6_ext_hdr(): the headers ipv6_find_hdr and ipv6_skip_exthdr step over (and NONE). */
export function ipv6ExtHdr(nexthdr: number): boolean {
  return nexthdr === 0 || nexthdr === 43 || nexthdr === 44 || nexthdr === 51 || nexthdr === 59 || nexthdr === 60;
}

/** ipv6_optlen(): (hdrlen + 1) * 8 of an options or routing header at `off`. */
export function optLen(d: Uint8Array, off: number): number {
  return (d[off + 1]! + 1) << 3;
}

/** ipv6_authlen(): (hdrlen + 2) * 4 of an AH header at `off`. */
export function authLen(d: Uint8Array, off: number): number {
  return (d[off + 1]! + 2) << 2;
}

export function u16(d: Uint8Array, off: number): number {
  return (d[off]! << 8) | d[off + 1]!;
}

export function u32(d: Uint8Array, off: number): number {
  return ((d[off]! << 24) | (d[off + 1]! << 16) | (d[off + 2]! << 8) | d[off + 3]!) >>> 0;
}

/**
 * ipv6_find_hdr(skb, &offset, target, NULL, NULL) with a target header
 * (`target` >= 0): the offset of the first `target` header in the chain of
 * the IPv6 packet `d[0, len)`, or ENOENT when the chain ends (upper-layer
 * header, no next header, or a non-first fragment) before it, or EBADMSG
 * when a header to read lies beyond `len`. A non-first fragment's own
 * fragment header is found; nothing after it is.
 */
export function findHdr(d: Uint8Array, len: number, target: number): number {
  let start = 40;
  let nexthdr = d[6]!;
  for (;;) {
    const found = nexthdr === target;
    if (!ipv6ExtHdr(nexthdr) || nexthdr === NEXTHDR_NONE) return ENOENT;
    if (start + 2 > len) return EBADMSG;
    let hdrlen: number;
    if (nexthdr === NEXTHDR_ROUTING && start + 4 > len) return EBADMSG;
    if (nexthdr === NEXTHDR_FRAGMENT) {
      if (start + 4 > len) return EBADMSG;
      if (u16(d, start + 2) & ~7) {
        if (!found) return ENOENT;
        return start;
      }
      hdrlen = 8;
    } else if (nexthdr === NEXTHDR_AUTH) hdrlen = authLen(d, start);
    else hdrlen = optLen(d, start);
    if (found) return start;
    nexthdr = d[start]!;
    start += hdrlen;
  }
}

/** One row of an extension's option table, as xtables_options_fcheck reads it. */
export interface FcheckEntry {
  readonly name: string;
  /** The entry's id (entries sharing an id are one option written two ways). */
  readonly id: number;
  /** Ids this option cannot be used with (its `.excl` bits). */
  readonly excl?: readonly number[];
  readonly mandatory?: boolean;
}

/**
 * xtables_options_fcheck: in the extension's table order, a mandatory
 * option missing is `ext: option "--x" must be specified`; a used option
 * whose exclusion was used too is `ext: option "--x" cannot be used
 * together with "--y".`, the other named by the first table entry of its
 * id. `used` holds the ids of the options given.
 */
export function fcheck(ext: string, table: readonly FcheckEntry[], used: ReadonlySet<number>, uses: readonly OptionUse[] = []): void {
  for (const e of table) {
    if (e.mandatory && !used.has(e.id)) throw new OptionError(`${ext}: option "--${e.name}" must be specified`);
    if (!used.has(e.id)) continue;
    for (let i = 0; i < 32; i++) {
      if (i === e.id) continue;
      const other = table.find((o) => o.id === i);
      if (!other || !e.excl?.includes(i) || !used.has(i)) continue;
      const at = uses.find((u) => u.spec.name === e.name || u.spec.aliases?.includes(e.name));
      throw new OptionError(`${ext}: option "--${e.name}" cannot be used together with "--${other.name}".`, at);
    }
  }
}
