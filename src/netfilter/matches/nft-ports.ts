/**
 * The tcp and udp matches as the nf_tables kernel evaluates them.
 *
 * iptables-nft (1.8.9, the iptables Debian ships) does not hand `-m tcp` and
 * `-m udp` to the kernel's xt_tcpudp: it translates them into native payload
 * expressions (add_nft_tcpudp, add_nft_tcp), unless the rule uses
 * `--tcp-option` or the match tests nothing it can translate (full port
 * ranges without `!`, no flags: nothingToTranslate), which stay xt_tcpudp.
 * Recorded with the kernel oracle (golden tcpudp-frags), that means:
 * - a non-first fragment is read as if a transport header were where nft's
 *   pktinfo puts it (nft's payload expression does not look at the fragment
 *   offset): in IPv4 at the fragment's payload, in IPv6 at the start of the
 *   IPv6 header itself (ipv6_find_hdr returns early for a non-first fragment
 *   without setting the offset, which nft_set_pktinfo_ipv6 started at 0; see
 *   nftTransportOffset). `! --dport 22` can match one, and nothing is
 *   hot-dropped;
 * - a field that lies beyond the end of the packet does not match, and the
 *   packet is not dropped (xt_tcpudp would drop a short header);
 * - single source and destination ports with the same inversion are
 *   compared as one 32-bit word: `! --sport A ! --dport B` matches unless
 *   both are equal (xt would need both to differ);
 * - a port range 0:65535 is not tested at all, with `!` or without
 *   (`-p tcp ! --dport 0:65535` matches every TCP packet).
 *
 * iptables-save rebuilds the matches from those expressions
 * (nft_parse_transport in nft-shared.c): every translated tcp or udp match
 * of a rule writes into one match, made where the first expression is, so
 * a rule with two prints one (see nativeSave).
 */

import { formatTcpFlags } from './util.js';
import { Family } from '../../packet/inet-addr.js';
import type { Skb } from '../types.js';

export const enum PortMode {
  /** Both ports single, same inversion: one 4-byte compare. */
  Combined,
  /** Each side tested on its own when present. */
  Separate,
}

export interface PortTest {
  readonly mode: PortMode;
  readonly testSrc: boolean;
  readonly testDst: boolean;
  readonly spts: readonly [number, number];
  readonly dpts: readonly [number, number];
  readonly invSrc: boolean;
  readonly invDst: boolean;
}

export function compilePorts(spts: readonly [number, number], invSrc: boolean, dpts: readonly [number, number], invDst: boolean): PortTest {
  const combined = spts[0] !== 0 && spts[0] === spts[1] && dpts[0] !== 0 && dpts[0] === dpts[1] && invSrc === invDst;
  return {
    mode: combined ? PortMode.Combined : PortMode.Separate,
    testSrc: spts[0] !== 0 || spts[1] < 65535,
    testDst: dpts[0] !== 0 || dpts[1] < 65535,
    spts,
    dpts,
    invSrc,
    invDst,
  };
}

/**
 * Whether a tcp or udp match holds nothing iptables-nft can translate: full
 * port ranges, no inversion (and, for tcp, no flags). iptables-nft then adds
 * the xt match itself (`nft list` shows no expression for it), so the
 * kernel's xt_tcpudp decides: a non-first fragment does not match.
 */
export function nothingToTranslate(spts: readonly [number, number], invSrc: boolean, dpts: readonly [number, number], invDst: boolean): boolean {
  return spts[0] === 0 && spts[1] === 65535 && dpts[0] === 0 && dpts[1] === 65535 && !invSrc && !invDst;
}

/** Where nf_tables reads a packet's transport header: the network header for an IPv6 non-first fragment (see above). */
export function nftTransportOffset(skb: Skb): number {
  return skb.fragoff !== 0 && skb.family === Family.V6 ? 0 : skb.thoff;
}

/** Ports of the transport header at `th` of a first fragment whose packet is `len` bytes long. */
export function matchPorts(t: PortTest, d: Uint8Array, th: number, len: number): boolean {
  if (t.mode === PortMode.Combined) {
    if (th + 4 > len) return false;
    const eq = ((d[th]! << 8) | d[th + 1]!) === t.spts[0] && ((d[th + 2]! << 8) | d[th + 3]!) === t.dpts[0];
    return eq !== t.invSrc;
  }
  if (t.testSrc) {
    if (th + 2 > len) return false;
    const p = (d[th]! << 8) | d[th + 1]!;
    if ((p >= t.spts[0] && p <= t.spts[1]) === t.invSrc) return false;
  }
  if (t.testDst) {
    if (th + 4 > len) return false;
    const p = (d[th + 2]! << 8) | d[th + 3]!;
    if ((p >= t.dpts[0] && p <= t.dpts[1]) === t.invDst) return false;
  }
  return true;
}

/**
 * A port option as iptables-save prints it back from nf_tables: an inverted
 * range that starts at 0 is stored as "greater than its end" and read back
 * as the complementary range, not inverted (`! --dport 0:1023` saves as
 * `--dport 1024:65535`). Other ranges print as written. Empty when the
 * option tests nothing (0:65535 without `!`).
 */
export function savePortOption(name: 'sport' | 'dport', range: readonly [number, number], inv: boolean, native: boolean): string {
  let [lo, hi] = range;
  if (lo === 0 && hi === 65535 && !inv) return '';
  if (native && inv && lo === 0 && hi > 0 && hi < 65535) {
    [lo, hi, inv] = [hi + 1, 65535, false];
  }
  return `${inv ? '! ' : ''}--${name} ${lo === hi ? lo : `${lo}:${hi}`}`;
}

/** What a tcp or udp match gives nf_tables: its ports, and for tcp its flags. */
export interface NativeFields {
  readonly spts: readonly [number, number];
  readonly dpts: readonly [number, number];
  readonly invSrc: boolean;
  readonly invDst: boolean;
  readonly flgMask?: number;
  readonly flgCmp?: number;
  readonly invFlags?: boolean;
}

/** The one match iptables-save rebuilds from a rule's tcp or udp payload expressions. */
interface Rebuilt {
  spts: [number, number];
  dpts: [number, number];
  invSrc: boolean;
  invDst: boolean;
  flgMask: number;
  flgCmp: number;
  invFlags: boolean;
}

/**
 * One side's expression (expr_gen_range_cmp16) read back
 * (port_match_single_to_range, nft_parse_tcp_range): a single port or a
 * range sets both ends and, inverted, the inversion (never clears it); a
 * range from 0 is "at most its end", which sets the end only, or inverted
 * "greater than its end", which sets the start only.
 */
function readSide(ports: [number, number], inv: boolean, lo: number, hi: number, invert: boolean): boolean {
  if (lo === hi || lo !== 0 || hi === 65535) {
    ports[0] = lo;
    ports[1] = hi;
    return inv || invert;
  }
  if (invert) ports[0] = Math.min(hi + 1, 65535);
  else ports[1] = hi;
  return inv;
}

/**
 * Applies one translated match's expressions (add_nft_tcp, add_nft_tcpudp)
 * to what iptables-save rebuilds; false when it gives none (every field
 * left at "any").
 */
function applyNative(r: Rebuilt, m: NativeFields): boolean {
  let emitted = false;
  if (m.flgMask) {
    r.flgMask = m.flgMask;
    r.flgCmp = m.flgCmp ?? 0;
    r.invFlags ||= !!m.invFlags;
    emitted = true;
  }
  const [s0, s1] = m.spts;
  const [d0, d1] = m.dpts;
  if (s0 !== 0 && s0 === s1 && d0 !== 0 && d0 === d1 && m.invSrc === m.invDst) {
    // One 32-bit compare of both ports, read back as both with its inversion.
    r.spts = [s0, s0];
    r.dpts = [d0, d0];
    r.invSrc ||= m.invSrc;
    r.invDst ||= m.invDst;
    return true;
  }
  if (s0 !== 0 || s1 < 65535) {
    r.invSrc = readSide(r.spts, r.invSrc, s0, s1, m.invSrc);
    emitted = true;
  }
  if (d0 !== 0 || d1 < 65535) {
    r.invDst = readSide(r.dpts, r.invDst, d0, d1, m.invDst);
    emitted = true;
  }
  return emitted;
}

/**
 * The options iptables-save prints for a rule's tcp or udp matches that
 * iptables-nft translated into payload expressions (`translated`, in rule
 * order): one match made of all of them, in libxt_tcp's order (ports,
 * then flags), or undefined when they gave no expression at all. Where two
 * set the same field, the later one's value is printed (with an inversion
 * either had): `-m tcp --dport 22 -m tcp --dport 23` saves as `-m tcp
 * --dport 23`, though the kernel tests both.
 */
export function nativeSave(translated: readonly NativeFields[]): { first: number; text: string } | undefined {
  const r: Rebuilt = { spts: [0, 65535], dpts: [0, 65535], invSrc: false, invDst: false, flgMask: 0, flgCmp: 0, invFlags: false };
  let first = -1;
  translated.forEach((m, i) => {
    if (applyNative(r, m) && first < 0) first = i;
  });
  if (first < 0) return undefined;
  const out = [savePortOption('sport', r.spts, r.invSrc, false), savePortOption('dport', r.dpts, r.invDst, false)].filter((o) => o);
  if (r.flgMask || r.invFlags) out.push(`${r.invFlags ? '! ' : ''}--tcp-flags ${formatTcpFlags(r.flgMask)} ${formatTcpFlags(r.flgCmp)}`);
  return { first, text: out.join(' ') };
}

/**
 * The fields a tcp or udp match gives nf_tables as payload expressions, or
 * undefined when iptables-nft hands it to xt_tcpudp whole (add_nft_tcp,
 * add_nft_udp): a tcp match with `--tcp-option`, and a match that tests
 * nothing at all (`-m tcp` alone), which keeps its place as written.
 */
export function translatedFields(name: string, c: NativeFields & { readonly option?: number; readonly invOption?: boolean }): NativeFields | undefined {
  if (name !== 'tcp' && name !== 'udp') return undefined;
  if (c.option || c.invOption) return undefined;
  const any = (p: readonly [number, number]): boolean => p[0] === 0 && p[1] === 65535;
  if (any(c.spts) && any(c.dpts) && !c.invSrc && !c.invDst && !c.flgMask && !c.flgCmp && !c.invFlags) return undefined;
  return c;
}
