/**
 * The IPv6 extension header chain, walked as the kernel's `ipv6_find_hdr`
 * walks it for netfilter (net/ipv6/exthdrs_core.c, with target -1): over
 * hop-by-hop options (0), routing (43), fragment (44), destination options
 * (60) and AH (51), to the first header that is not one of them (the
 * upper-layer protocol; 59 "no next header" counts as found). A non-first
 * fragment stops the walk at its fragment header: its protocol is the one
 * that header names, and it has no transport header.
 *
 * Everything is bounded by `len`: a chain that runs past the bytes present
 * is malformed (`proto` -1), as the kernel's -EBADMSG.
 *
 * AH: nf_tables (whose `meta l4proto` is what ip6tables-nft's `-p` reads)
 * walks with IP6_FH_F_AUTH and stops at an AH header, so AH is the
 * protocol; conntrack (ipv6_skip_exthdr) steps over it (`skipAuth`).
 */

/** Extension headers (ipv6_ext_hdr). */
export function isExtHeader(nexthdr: number): boolean {
  return nexthdr === 0 || nexthdr === 43 || nexthdr === 44 || nexthdr === 51 || nexthdr === 59 || nexthdr === 60;
}

/** What the walk found: reused, never allocated per packet. */
export class ExtWalk {
  /** Upper-layer protocol, or -1 when the chain is malformed. */
  proto = -1;
  /** Offset of the upper-layer header (of the fragment header's payload for a non-first fragment). */
  thoff = 0;
  /** Fragment offset in bytes (non-zero: a non-first fragment). */
  fragoff = 0;
  /** A fragment header was met (first or not). */
  fragment = false;
  /** Offset of the fragment header, when one was met. */
  fragHdr = -1;
  /** The fragment header's more-fragments flag. */
  moreFragments = false;
}

/** Walks the chain of the IPv6 packet at `d[0..len)` into `out`; returns `out.proto`. */
export function walkExtHeaders(d: Uint8Array, len: number, out: ExtWalk, skipAuth = false): number {
  out.fragoff = 0;
  out.fragment = false;
  out.fragHdr = -1;
  out.moreFragments = false;
  out.proto = -1;
  if (len < 40) return -1;
  let nexthdr = d[6]!;
  let start = 40;
  for (let guard = 0; guard < 64; guard++) {
    if (!isExtHeader(nexthdr) || nexthdr === 59 || (nexthdr === 51 && !skipAuth)) {
      out.proto = nexthdr;
      out.thoff = start;
      return nexthdr;
    }
    if (start + 2 > len) return -1;
    const next = d[start]!;
    let hdrlen: number;
    if (nexthdr === 44) {
      if (start + 8 > len) return -1;
      out.fragment = true;
      out.fragHdr = start;
      const fo = ((d[start + 2]! << 8) | d[start + 3]!) & ~0x7;
      out.moreFragments = (d[start + 3]! & 1) !== 0;
      if (fo) {
        out.fragoff = fo;
        out.proto = next;
        out.thoff = start + 8;
        // A non-first fragment whose next header is another extension header has no protocol to find.
        if (isExtHeader(next) && next !== 59) out.proto = -1;
        return out.proto;
      }
      hdrlen = 8;
    } else if (nexthdr === 51) {
      hdrlen = (d[start + 1]! + 2) << 2;
    } else {
      hdrlen = (d[start + 1]! + 1) << 3;
    }
    nexthdr = next;
    start += hdrlen;
  }
  return -1;
}
