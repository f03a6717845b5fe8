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
 * @example
 * const rst = buildTcpReset(orig, { verifyChecksum: true }); // null for a RST, a fragment...
 * const err = buildIcmpError(orig, 3, 3, localAddr, { id: 1 });
 */
import { inetChecksum, l4Checksum, setIPv4Checksum, sum16, fold } from './checksum.js';

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
export function buildIcmpError(
  orig: Uint8Array,
  type: number,
  code: number,
  saddr: number,
  opts: IcmpErrorOptions,
): Uint8Array | null {
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
