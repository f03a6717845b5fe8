/**
 * Which shard a frame belongs to: a symmetric hash of its connection's
 * address pair, so that both directions, every fragment of a datagram, and
 * the ICMP errors about a connection land on the shard that tracks it.
 *
 * - The key is the unordered pair {source, destination} of the IPv4 or
 *   IPv6 header, not the ports or the protocol: a non-first fragment
 *   carries no ports, and what conntrack relates to a connection (ICMP
 *   errors, the packets of a connection and its fragments) shares its
 *   addresses.
 * - An ICMP or ICMPv6 error (destination unreachable, time exceeded,
 *   parameter problem, source quench, redirect; packet too big) is keyed
 *   by the packet it quotes, as conntrack relates it: the quoted pair is
 *   the connection's. A fragment of an error is keyed by its outer header
 *   like every fragment (the rest of its datagram has no quoted header);
 *   `keyFrame` says so (`fragmentedError`), since the run is then not
 *   provably exact.
 * - Frames that are not IP (ARP, ...) go to shard 0.
 *
 * @example
 * const k = keyFrame(frame, 4); // k.shard in 0..3, k.fragment 0, 4 or 6
 */
import { etherPayload } from '../conet/daemon.js';

export interface FrameKey {
  shard: number;
  /** 4 or 6 when the frame is an IPv4 or IPv6 fragment, else 0. */
  fragment: number;
  /** A fragment that begins an ICMP error (its quoted packet's connection may be on another shard). */
  fragmentedError: boolean;
}

const fmix = (h: number): number => {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
};

/** The pair's hash, the same whichever address comes first. */
function pairHash(a: number, b: number): number {
  const lo = a < b ? a : b;
  const hi = a < b ? b : a;
  return fmix(Math.imul(lo, 0x9e3779b1) ^ fmix(hi ^ 0x7f4a7c15));
}

const u32 = (d: Uint8Array, o: number): number => ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
/** An IPv6 address folded to 32 bits. */
const v6word = (d: Uint8Array, o: number): number => fmix(u32(d, o) ^ fmix(u32(d, o + 4) ^ fmix(u32(d, o + 8) ^ fmix(u32(d, o + 12)))));

/** ICMP types that quote a packet (RFC 792, 1812): unreachable, source quench, redirect, time exceeded, parameter problem. */
const ICMP_ERROR = new Set([3, 4, 5, 11, 12]);

/**
 * The shard of a captured Ethernet frame among `n`, its fragment family.
 * `out` is filled and returned (no allocation per frame).
 */
export function keyFrame(d: Uint8Array, n: number, out: FrameKey = { shard: 0, fragment: 0, fragmentedError: false }): FrameKey {
  out.shard = 0;
  out.fragment = 0;
  out.fragmentedError = false;
  if (n <= 1) return out;
  const { off, type } = etherPayload(d);
  let h = 0;
  if (type === 0x0800 && d.length >= off + 20) {
    const ihl = (d[off]! & 0x0f) * 4;
    const proto = d[off + 9]!;
    const fragField = ((d[off + 6]! << 8) | d[off + 7]!) & 0x3fff;
    const icmp = off + ihl;
    const error = proto === 1 && d.length >= icmp + 1 && ICMP_ERROR.has(d[icmp]!);
    if (fragField !== 0) {
      out.fragment = 4;
      if (error && (fragField & 0x1fff) === 0) out.fragmentedError = true;
    } else if (error && d.length >= icmp + 8 + 20) {
      // The quoted header: its pair is the connection's.
      h = pairHash(u32(d, icmp + 8 + 12), u32(d, icmp + 8 + 16));
      out.shard = h % n;
      return out;
    }
    h = pairHash(u32(d, off + 12), u32(d, off + 16));
  } else if (type === 0x86dd && d.length >= off + 40) {
    let next = d[off + 6]!;
    let p = off + 40;
    let later = false;
    // Extension headers up to the upper layer (hop-by-hop, routing, fragment, destination options, AH).
    for (let i = 0; i < 8 && p + 8 <= d.length; i++) {
      if (next === 44) {
        out.fragment = 6;
        const offset = ((d[p + 2]! << 8) | d[p + 3]!) & 0xfff8;
        next = d[p]!;
        p += 8;
        if (offset !== 0) {
          later = true;
          break;
        }
      } else if (next === 0 || next === 43 || next === 60) {
        next = d[p]!;
        p += (d[p + 1]! + 1) * 8;
      } else if (next === 51) {
        next = d[p]!;
        p += (d[p + 1]! + 2) * 4;
      } else break;
    }
    const error = !later && next === 58 && d.length > p && d[p]! >= 1 && d[p]! <= 4;
    if (out.fragment) {
      if (error) out.fragmentedError = true;
    } else if (error && d.length >= p + 8 + 40) {
      h = pairHash(v6word(d, p + 8 + 8), v6word(d, p + 8 + 24));
      out.shard = h % n;
      return out;
    }
    h = pairHash(v6word(d, off + 8), v6word(d, off + 24));
  } else return out;
  out.shard = h % n;
  return out;
}
