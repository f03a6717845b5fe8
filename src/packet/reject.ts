/**
 * The packets REJECT sends, built byte for byte as Linux builds them:
 * a TCP reset (nf_send_reset, net/ipv4/netfilter/nf_reject_ipv4.c) or an
 * ICMP destination-unreachable error (nf_send_unreach, then icmp_send in
 * net/ipv4/icmp.c). Pure functions over the original IPv4 packet: they
 * return a complete IPv4 packet with its checksums, or null when the kernel
 * would send nothing because of the packet itself. Rules that depend on
 * routing (broadcast or multicast destination, no route back, the reply's
 * source address) are the caller's: see src/netfilter/targets/reject.ts.
 *
 * The IPv6 replies are ip6t_REJECT's: nf_send_reset6 and nf_send_unreach6
 * (net/ipv6/netfilter/nf_reject_ipv6.c), the latter through icmp6_send
 * (net/ipv6/icmp.c): see {@link buildTcpReset6} and
 * {@link buildIcmp6Unreach}.
 *
 * @example
 * const rst = buildTcpReset(orig, { verifyChecksum: true }); // null for a RST, a fragment...
 * const err = buildIcmpError(orig, 3, 3, localAddr, { id: 1 });
 * const rst6 = buildTcpReset6(orig6, { verifyChecksum: true });
 * const err6 = buildIcmp6Unreach(orig6, 4, localAddr6, { verifyChecksum: true }); // port unreachable
 */
import { inetChecksum, l4Checksum, l4Checksum6, setIPv4Checksum, sum16, fold } from './checksum.js';
import type { InetAddr } from './inet-addr.js';

export const ICMP_DEST_UNREACH = 3;

/** ICMP types icmp_send treats as errors (icmp_pointers[].error in icmp.c). */
const ICMP_ERROR_TYPES = new Uint8Array(19);
for (const t of [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12]) ICMP_ERROR_TYPES[t] = 1;
/** NR_ICMP_TYPES: types above it count as errors too. */
const NR_ICMP_TYPES = 18;

const IPPROTO_ICMP = 1;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_GRE = 47;
const IPPROTO_ESP = 50;
const IPPROTO_AH = 51;
const IPPROTO_SCTP = 132;
const IPPROTO_UDPLITE = 136;

/** The IP length the kernel works with: tot_len, never past the bytes present. */
function ipLen(orig: Uint8Array): number {
  const tot = (orig[2]! << 8) | orig[3]!;
  return tot < orig.length ? tot : orig.length;
}

function fragOffset(orig: Uint8Array): number {
  return ((orig[6]! << 8) | orig[7]!) & 0x1fff;
}

/**
 * nf_ip_checksum (net/netfilter/utils.c) for a packet that arrived with
 * CHECKSUM_NONE: true when the transport checksum over the rest of the
 * packet is right. TCP and UDP include the pseudo header; any other
 * protocol is a plain sum over its payload.
 */
export function transportChecksumOk(orig: Uint8Array, len = ipLen(orig)): boolean {
  const ihl = (orig[0]! & 0x0f) * 4;
  const proto = orig[9]!;
  if (ihl > len) return false;
  if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) return l4Checksum(orig, ihl, len - ihl, proto) === 0;
  return fold(sum16(orig, ihl, len - ihl)) === 0;
}

/**
 * nf_reject_verify_csum (include/net/netfilter/nf_reject.h): whether
 * nf_send_unreach must check the transport checksum before answering. Not
 * for UDP with a zero (absent) checksum, nor for protocols without a
 * one's-complement checksum over the whole payload.
 */
function rejectVerifiesChecksum(orig: Uint8Array, ihl: number, len: number): boolean {
  switch (orig[9]!) {
    case IPPROTO_UDP:
      if (ihl + 8 > len) return true;
      return orig[ihl + 6] !== 0 || orig[ihl + 7] !== 0;
    case IPPROTO_GRE:
    case IPPROTO_AH:
    case IPPROTO_ESP:
    case IPPROTO_SCTP:
    case IPPROTO_UDPLITE:
      return false;
  }
  return true;
}

export interface ResetOptions {
  /** TTL of the reset: ip4_dst_hoplimit of the route (64 by default). */
  ttl?: number;
  /**
   * Check the TCP checksum first (nf_reject_ip_tcphdr_get -> nf_ip_checksum).
   * False in OUTPUT: a local packet is CHECKSUM_PARTIAL and is never checked.
   */
  verifyChecksum?: boolean;
}

/**
 * The TCP reset nf_send_reset sends in answer to `orig` (an IPv4 packet),
 * or null when it sends none.
 *
 * Kernel rules, in order:
 * - nf_reject_ip_tcphdr_get: nothing for a non-first fragment, for a non-TCP
 *   packet, when the 20-byte TCP header is not all there, for a RST, or
 *   when the TCP checksum is wrong (nf_ip_checksum; skipped in OUTPUT).
 * - nf_reject_iphdr_put: IPv4 header without options, TOS 0, ID 0, DF,
 *   TTL from the route, source = original destination and back.
 * - nf_reject_ip_tcphdr_put: ports swapped, 20-byte header, window 0.
 *   If the original had ACK: seq = its ack_seq, flags RST only. Otherwise
 *   seq 0, ack_seq = seq + SYN + FIN + payload length, flags RST+ACK.
 */
export function buildTcpReset(orig: Uint8Array, opts: ResetOptions = {}): Uint8Array | null {
  if (orig.length < 20) return null;
  const len = ipLen(orig);
  const ihl = (orig[0]! & 0x0f) * 4;
  if (fragOffset(orig) !== 0) return null;
  if (orig[9] !== IPPROTO_TCP) return null;
  if (ihl + 20 > len) return null;
  const flags = orig[ihl + 13]!;
  if (flags & 0x04) return null;
  if ((opts.verifyChecksum ?? true) && !transportChecksumOk(orig, len)) return null;

  const out = new Uint8Array(40);
  out[0] = 0x45;
  out[3] = 40;
  out[6] = 0x40; // DF
  out[8] = opts.ttl ?? 64;
  out[9] = IPPROTO_TCP;
  out.set(orig.subarray(16, 20), 12);
  out.set(orig.subarray(12, 16), 16);
  const t = 20;
  out[t] = orig[ihl + 2]!;
  out[t + 1] = orig[ihl + 3]!;
  out[t + 2] = orig[ihl]!;
  out[t + 3] = orig[ihl + 1]!;
  out[t + 12] = 5 << 4;
  if (flags & 0x10) {
    out.set(orig.subarray(ihl + 8, ihl + 12), t + 4);
    out[t + 13] = 0x04;
  } else {
    const seq = ((orig[ihl + 4]! << 24) | (orig[ihl + 5]! << 16) | (orig[ihl + 6]! << 8) | orig[ihl + 7]!) >>> 0;
    const doff = (orig[ihl + 12]! >> 4) * 4;
    const ack = (seq + (flags & 0x02 ? 1 : 0) + (flags & 0x01 ? 1 : 0) + (len - ihl - doff)) >>> 0;
    out[t + 8] = ack >>> 24;
    out[t + 9] = (ack >>> 16) & 255;
    out[t + 10] = (ack >>> 8) & 255;
    out[t + 11] = ack & 255;
    out[t + 13] = 0x14;
  }
  const c = l4Checksum(out, 20, 20, IPPROTO_TCP);
  out[t + 16] = c >> 8;
  out[t + 17] = c & 255;
  setIPv4Checksum(out);
  return out;
}

export interface IcmpErrorOptions {
  /**
   * The IP ID. Linux takes it from ip_select_ident (a secret-keyed hash and
   * per-destination counter), so no outside observer can predict it.
   */
  id: number;
  /** MTU of the route back to the original source (room is min(mtu, 576)). */
  mtu?: number;
  /**
   * Check the transport checksum first where nf_send_unreach does. False in
   * OUTPUT: a local packet is CHECKSUM_PARTIAL, which counts as verified.
   */
  verifyChecksum?: boolean;
  /** TTL: the ICMP socket uses the default TTL, 64. */
  ttl?: number;
}

/** The ID cofw gives an ICMP error: a stable mix of the original's addresses and ID. */
export function icmpErrorId(orig: Uint8Array): number {
  let h = 0x9e37;
  for (let i = 4; i < 6; i++) h = (h * 31 + orig[i]!) & 0xffff;
  for (let i = 12; i < 20; i++) h = (h * 31 + orig[i]!) & 0xffff;
  return h;
}

/**
 * The ICMP error `type`/`code` Linux sends about `orig` from `saddr`, or
 * null when it sends none.
 *
 * Kernel rules, in order:
 * - nf_send_unreach: nothing for a non-first fragment; nothing when the
 *   transport checksum is wrong, for the protocols nf_reject_verify_csum
 *   checks (not UDP without checksum, GRE, AH, ESP, SCTP, UDP-Lite).
 * - __icmp_send: nothing for a non-first fragment; nothing about an ICMP
 *   error (types icmp_pointers marks as errors, or above NR_ICMP_TYPES), or
 *   when that type byte is not there. (Physical and route broadcast or
 *   multicast are the caller's to check.)
 * - The error quotes as much of the original as fits in 576 bytes (or the
 *   route MTU if smaller) after its own 20-byte IP and 8-byte ICMP headers;
 *   nothing when that room is no more than an IP header.
 * - IP header: TOS = (orig TOS & IPTOS_TOS_MASK) | IPTOS_PREC_INTERNETCONTROL,
 *   no DF (the ICMP socket is IP_PMTUDISC_DONT), TTL 64, protocol ICMP.
 *   Options of the original are not echoed (see the limitations in
 *   targets/reject.ts).
 */
export function buildIcmpError(orig: Uint8Array, type: number, code: number, saddr: number, opts: IcmpErrorOptions): Uint8Array | null {
  if (orig.length < 20) return null;
  const len = ipLen(orig);
  const ihl = (orig[0]! & 0x0f) * 4;
  if (fragOffset(orig) !== 0) return null;
  if ((opts.verifyChecksum ?? true) && rejectVerifiesChecksum(orig, ihl, len) && !transportChecksumOk(orig, len)) return null;
  if (orig[9] === IPPROTO_ICMP && (type > NR_ICMP_TYPES || ICMP_ERROR_TYPES[type])) {
    if (ihl + 1 > len) return null;
    const inner = orig[ihl]!;
    if (inner > NR_ICMP_TYPES || ICMP_ERROR_TYPES[inner]) return null;
  }
  const mtu = opts.mtu ?? 1500;
  const room = (mtu < 576 ? mtu : 576) - 20 - 8;
  if (room <= 20) return null;
  const dataLen = len < room ? len : room;
  const tot = 28 + dataLen;
  const out = new Uint8Array(tot);
  out[0] = 0x45;
  out[1] = (orig[1]! & 0x1e) | 0xc0;
  out[2] = tot >> 8;
  out[3] = tot & 255;
  out[4] = (opts.id >> 8) & 255;
  out[5] = opts.id & 255;
  out[8] = opts.ttl ?? 64;
  out[9] = IPPROTO_ICMP;
  out[12] = saddr >>> 24;
  out[13] = (saddr >>> 16) & 255;
  out[14] = (saddr >>> 8) & 255;
  out[15] = saddr & 255;
  out.set(orig.subarray(12, 16), 16);
  out[20] = type;
  out[21] = code;
  out.set(orig.subarray(0, dataLen), 28);
  const c = inetChecksum(out, 20, tot - 20);
  out[22] = c >> 8;
  out[23] = c & 255;
  setIPv4Checksum(out);
  return out;
}

// ---------------------------------------------------------------------------
// IPv6 (ip6t_REJECT)

const IPPROTO_ICMPV6 = 58;
const IPPROTO_DCCP = 33;
/** ICMPV6_DEST_UNREACH. */
export const ICMPV6_DEST_UNREACH = 1;
/** IPV6_MIN_MTU - sizeof(ipv6hdr) - sizeof(icmp6hdr): the most of the original an ICMPv6 error quotes. */
const ICMPV6_QUOTE_MAX = 1280 - 40 - 8;

/** The IPv6 length the kernel works with: 40 + payload length, never past the bytes present. */
function ip6Len(orig: Uint8Array): number {
  const tot = 40 + ((orig[4]! << 8) | orig[5]!);
  return tot < orig.length ? tot : orig.length;
}

/**
 * ipv6_skip_exthdr(skb, 40, &nexthdr, &frag_off) over `d[0, len)`: the
 * offset after hop-by-hop, routing, fragment, AH and destination options
 * headers and the header found there; a non-first fragment stops at its
 * fragment header (which stays the `nexthdr`); offset -1 for "no next
 * header" or a header that is not all there.
 */
export function ipv6SkipExthdr(d: Uint8Array, len: number): { off: number; nexthdr: number; fragOff: number } {
  let start = 40;
  let nexthdr = d[6]!;
  let fragOff = 0;
  while (nexthdr === 0 || nexthdr === 43 || nexthdr === 44 || nexthdr === 51 || nexthdr === 59 || nexthdr === 60) {
    if (nexthdr === 59 || start + 2 > len) return { off: -1, nexthdr, fragOff };
    let hdrlen: number;
    if (nexthdr === 44) {
      if (start + 4 > len) return { off: -1, nexthdr, fragOff };
      fragOff = (d[start + 2]! << 8) | d[start + 3]!;
      if (fragOff & ~7) break;
      hdrlen = 8;
    } else if (nexthdr === 51) hdrlen = (d[start + 1]! + 2) << 2;
    else hdrlen = (d[start + 1]! + 1) << 3;
    nexthdr = d[start]!;
    start += hdrlen;
  }
  return { off: start, nexthdr, fragOff };
}

/**
 * ipv6_addr_type(a) & IPV6_ADDR_UNICAST for the address at `d[off]`: every
 * address but the unspecified one, multicast (ff00::/8) and IPv4-mapped
 * (::ffff:0:0/96).
 */
export function ipv6IsUnicast(d: Uint8Array, off: number): boolean {
  if (d[off] === 0xff) return false;
  for (let i = 0; i < 10; i++) if (d[off + i] !== 0) return true;
  if (d[off + 10] === 0xff && d[off + 11] === 0xff) return false;
  if (d[off + 10] !== 0 || d[off + 11] !== 0) return true;
  for (let i = 12; i < 16; i++) if (d[off + i] !== 0) return true;
  return false;
}

export interface Reset6Options {
  /** Hop limit of the reset: ip6_dst_hoplimit of the route back (64 by default). */
  hopLimit?: number;
  /** Check the TCP checksum first (nf_ip6_checksum); false in OUTPUT, where a local packet is CHECKSUM_PARTIAL. */
  verifyChecksum?: boolean;
}

/**
 * The TCP reset nf_send_reset6 sends in answer to `orig` (an IPv6 packet),
 * or null when it sends none. Routing (no route back: nothing) is the
 * caller's.
 *
 * Kernel rules, in order:
 * - both addresses must be unicast (ipv6_addr_type & IPV6_ADDR_UNICAST);
 * - nf_reject_ip6_tcphdr_get: the header after the extension headers
 *   (ipv6_skip_exthdr, so nothing for a non-first fragment) must be TCP
 *   with its 20 bytes present; nothing for a RST or a wrong checksum
 *   (computed over the rest of the packet).
 * - nf_reject_ip6hdr_put: traffic class 0, flow label 0, the route's hop
 *   limit, addresses swapped.
 * - nf_reject_ip6_tcphdr_put: ports swapped, 20-byte header, window 0; with
 *   ACK: seq = its ack_seq, flags RST; otherwise seq 0, ack_seq = seq + SYN
 *   + FIN + payload length, flags RST+ACK.
 */
export function buildTcpReset6(orig: Uint8Array, opts: Reset6Options = {}): Uint8Array | null {
  if (orig.length < 40) return null;
  if (!ipv6IsUnicast(orig, 8) || !ipv6IsUnicast(orig, 24)) return null;
  const len = ip6Len(orig);
  const sk = ipv6SkipExthdr(orig, len);
  if (sk.off < 0 || sk.off > len) return null;
  const th = sk.off;
  const otcplen = len - th;
  if (sk.nexthdr !== IPPROTO_TCP || otcplen < 20) return null;
  const flags = orig[th + 13]!;
  if (flags & 0x04) return null;
  if ((opts.verifyChecksum ?? true) && l4Checksum6(orig, th, otcplen, IPPROTO_TCP) !== 0) return null;

  const out = new Uint8Array(60);
  out[0] = 0x60;
  out[5] = 20;
  out[6] = IPPROTO_TCP;
  out[7] = opts.hopLimit ?? 64;
  out.set(orig.subarray(24, 40), 8);
  out.set(orig.subarray(8, 24), 24);
  const t = 40;
  out[t] = orig[th + 2]!;
  out[t + 1] = orig[th + 3]!;
  out[t + 2] = orig[th]!;
  out[t + 3] = orig[th + 1]!;
  out[t + 12] = 5 << 4;
  if (flags & 0x10) {
    out.set(orig.subarray(th + 8, th + 12), t + 4);
    out[t + 13] = 0x04;
  } else {
    const seq = ((orig[th + 4]! << 24) | (orig[th + 5]! << 16) | (orig[th + 6]! << 8) | orig[th + 7]!) >>> 0;
    const doff = (orig[th + 12]! >> 4) * 4;
    const ack = (seq + (flags & 0x02 ? 1 : 0) + (flags & 0x01 ? 1 : 0) + otcplen - doff) >>> 0;
    out[t + 8] = ack >>> 24;
    out[t + 9] = (ack >>> 16) & 255;
    out[t + 10] = (ack >>> 8) & 255;
    out[t + 11] = ack & 255;
    out[t + 13] = 0x14;
  }
  const c = l4Checksum6(out, 40, 20, IPPROTO_TCP);
  out[t + 16] = c >> 8;
  out[t + 17] = c & 255;
  return out;
}

/**
 * nf_reject_verify_csum for IPv6: whether the transport checksum must be
 * right before an ICMPv6 error is sent. UDP only when its checksum field
 * is not zero (or the header is cut short): Linux 6.18 answers a UDP
 * packet without checksum, mandatory as it is in IPv6 (recorded from the
 * kernel); never GRE, AH, ESP, SCTP, UDP-Lite or DCCP.
 */
function reject6VerifiesChecksum(orig: Uint8Array, th: number, len: number, proto: number): boolean {
  switch (proto) {
    case IPPROTO_UDP:
      return th + 8 > len || orig[th + 6] !== 0 || orig[th + 7] !== 0;
    case IPPROTO_GRE:
    case IPPROTO_AH:
    case IPPROTO_ESP:
    case IPPROTO_SCTP:
    case IPPROTO_UDPLITE:
    case IPPROTO_DCCP:
      return false;
  }
  return true;
}

/**
 * is_ineligible (net/ipv6/icmp.c): never answer an ICMPv6 error (a type
 * below 128) or an ICMPv6 message whose type byte is missing.
 */
function icmp6Ineligible(orig: Uint8Array, len: number): boolean {
  if (len < 40) return true;
  const sk = ipv6SkipExthdr(orig, len);
  if (sk.off < 0) return false;
  if (sk.nexthdr !== IPPROTO_ICMPV6) return false;
  if (sk.off + 1 > len) return sk.fragOff === 0;
  return (orig[sk.off]! & 0x80) === 0;
}

export interface Icmp6ErrorOptions {
  /** Check the transport checksum first (reject6_csum_ok); false in OUTPUT (CHECKSUM_PARTIAL). */
  verifyChecksum?: boolean;
  /** Hop limit: the ICMPv6 socket takes the route's, 64 by default. */
  hopLimit?: number;
  /**
   * Flow label. Linux labels its ICMPv6 errors automatically
   * (auto_flowlabels) from a hash keyed by a secret drawn at boot, so an
   * outside observer cannot predict it.
   */
  flowLabel?: number;
}

/** The flow label cofw gives an ICMPv6 error: a stable, non-zero mix of the original's addresses and first word. */
export function icmp6ErrorFlowLabel(orig: Uint8Array): number {
  let h = 0x9e3779b1;
  for (let i = 0; i < 40; i++) if (i < 4 || i >= 8) h = Math.imul(h ^ orig[i]!, 0x01000193) >>> 0;
  return h & 0xfffff || 1;
}

/**
 * An ICMPv6 error the IPv6 stack itself sends (icmp6_send): `type`, `code`
 * and the 32-bit `info` (a parameter problem's pointer, a packet too big's
 * MTU), quoting as much of `orig` as fits in 1280 bytes, from `saddr`,
 * traffic class 0, the automatic flow label, hop limit 64. Null where
 * icmp6_send sends nothing: a source that names no single node (unspecified
 * or multicast), an error about an ICMPv6 error (is_ineligible), or a
 * multicast destination or a frame not addressed to the host
 * (`toHost` false) unless it is a packet too big or a parameter problem
 * about an option whose type asks for one even then (its two high bits 10).
 */
export function buildIcmp6Error(
  orig: Uint8Array,
  type: number,
  code: number,
  info: number,
  saddr: InetAddr,
  opts: Icmp6ErrorOptions & { toHost?: boolean } = {},
): Uint8Array | null {
  if (orig.length < 40) return null;
  const len = ip6Len(orig);
  if (orig[24] === 0xff || opts.toHost === false) {
    const unrecOption = type === 4 && code === 2 && info < len && (orig[info]! & 0xc0) === 0x80;
    if (type !== 2 && !unrecOption) return null;
  }
  if (orig[8] === 0xff || orig.subarray(8, 24).every((b) => b === 0)) return null;
  if (icmp6Ineligible(orig, len)) return null;
  const dataLen = len < ICMPV6_QUOTE_MAX ? len : ICMPV6_QUOTE_MAX;
  const plen = 8 + dataLen;
  const out = new Uint8Array(40 + plen);
  const fl = opts.flowLabel ?? icmp6ErrorFlowLabel(orig);
  out[0] = 0x60;
  out[1] = (fl >> 16) & 0x0f;
  out[2] = (fl >> 8) & 255;
  out[3] = fl & 255;
  out[4] = plen >> 8;
  out[5] = plen & 255;
  out[6] = IPPROTO_ICMPV6;
  out[7] = opts.hopLimit ?? 64;
  saddr.write(out, 8);
  out.set(orig.subarray(8, 24), 24);
  out[40] = type;
  out[41] = code;
  out[44] = (info >>> 24) & 255;
  out[45] = (info >>> 16) & 255;
  out[46] = (info >>> 8) & 255;
  out[47] = info & 255;
  out.set(orig.subarray(0, dataLen), 48);
  const c = l4Checksum6(out, 40, plen, IPPROTO_ICMPV6);
  out[42] = c >> 8;
  out[43] = c & 255;
  return out;
}

/**
 * The ICMPv6 destination-unreachable error with `code` that nf_send_unreach6
 * sends from `saddr` about `orig`, or null when it sends none. Routing,
 * the source address, the link-layer type of the original (pkt_type) and
 * rate limits are the caller's.
 *
 * Kernel rules, in order:
 * - reject6_csum_ok: nothing when the headers after the extension headers
 *   (ipv6_skip_exthdr) are missing or start at the end of the packet, for
 *   a non-first fragment, or when the transport checksum is wrong (the
 *   protocols nf_reject_verify_csum checks: every one but GRE, AH, ESP,
 *   SCTP, UDP-Lite and DCCP, and UDP with a zero checksum). The check
 *   covers unknown protocols too, with their number in the pseudo header,
 *   so they are seldom answered.
 * - icmp6_send: nothing to a multicast destination, from an unspecified or
 *   multicast source, or about an ICMPv6 error (is_ineligible).
 * - The error quotes as much of the original as fits in the IPv6 minimum
 *   MTU (1280 bytes with its own 40-byte IPv6 and 8-byte ICMPv6 headers);
 *   traffic class 0, the automatic flow label, hop limit 64.
 */
export function buildIcmp6Unreach(orig: Uint8Array, code: number, saddr: InetAddr, opts: Icmp6ErrorOptions = {}): Uint8Array | null {
  if (orig.length < 40) return null;
  const len = ip6Len(orig);
  const sk = ipv6SkipExthdr(orig, len);
  if (sk.off < 0 || sk.off >= len || sk.fragOff & ~7) return null;
  if ((opts.verifyChecksum ?? true) && reject6VerifiesChecksum(orig, sk.off, len, sk.nexthdr) && l4Checksum6(orig, sk.off, len - sk.off, sk.nexthdr) !== 0) {
    return null;
  }
  return buildIcmp6Error(orig, ICMPV6_DEST_UNREACH, code, 0, saddr, opts);
}
