/**
 * `-m srh` (net/ipv6/netfilter/ip6t_srh.c, revision 1;
 * extensions/libip6t_srh.c), IPv6 only: the Segment Routing Header (a
 * routing header of type 4, RFC 8754). Each option takes `!`:
 * `--srh-next-hdr N`, `--srh-hdr-len-eq|gt|lt N`, `--srh-segs-left-eq|gt|lt
 * N`, `--srh-last-entry-eq|gt|lt N` (0-255), `--srh-tag N` (0-65535), and
 * `--srh-psid`, `--srh-nsid`, `--srh-lsid ADDR[/MASK]` (the previous, next
 * and last segment: the segment list's entries Segments Left + 1, Segments
 * Left - 1 and 0).
 *
 * libip6t_srh keeps one value per field: the eq, gt and lt tests of Hdr
 * Ext Len (and of Segments Left, and of Last Entry) all compare with the
 * last value written, and iptables-save prints that value for each. A
 * mask with holes becomes the host mask, saved as /128; an address is
 * saved as written, with its prefix length always.
 *
 * `--srh-tag` compares the rule's tag with the packet's read in the wrong
 * byte order, as ip6t_srh does on a little-endian machine (the only kind
 * cofw models): `--srh-tag 0x1234` matches a header whose tag is 0x3412
 * (recorded with the kernel oracle, golden xt-matches).
 *
 * A packet matches when its first routing header (found through the
 * extension header chain, ipv6_find_hdr) is a whole SRH, of type 4, with
 * Segments Left not above Last Entry, and every test given holds. No SRH,
 * a chain or header cut short, another routing type: no match, never a
 * drop. `--srh-psid` fails when Segments Left equals Last Entry (no
 * previous segment), `--srh-nsid` when Segments Left is 0; a segment
 * beyond the packet fails the test.
 *
 * @example
 * -A FORWARD -m srh --srh-segs-left-gt 0 ! --srh-nsid 2001:db8:ff::/48 -j DROP
 */
import { defineMatch, Family, OptionError, type OptionSpec, type OptionUse } from '../xt.js';
import { hostAddr, parsePlen, plenError, plenMask, splitRange, uintArg } from '../args.js';
import { InetAddr } from '../../packet/inet-addr.js';
import { findHdr, NEXTHDR_ROUTING, optLen } from './ip6-ext.js';
import { checkUses } from './util.js';

/** IP6T_SRH_* flags (linux/netfilter_ipv6/ip6t_srh.h); the inversion flags have the same values. */
export const SRH_NEXTHDR = 0x0001;
export const SRH_LEN_EQ = 0x0002;
export const SRH_LEN_GT = 0x0004;
export const SRH_LEN_LT = 0x0008;
export const SRH_SEGS_EQ = 0x0010;
export const SRH_SEGS_GT = 0x0020;
export const SRH_SEGS_LT = 0x0040;
export const SRH_LAST_EQ = 0x0080;
export const SRH_LAST_GT = 0x0100;
export const SRH_LAST_LT = 0x0200;
export const SRH_TAG = 0x0400;
export const SRH_PSID = 0x0800;
export const SRH_NSID = 0x1000;
export const SRH_LSID = 0x2000;

interface Sid {
  readonly addr: InetAddr;
  readonly mask: InetAddr;
}

export interface SrhConfig {
  readonly flags: number;
  readonly invFlags: number;
  readonly nextHdr: number;
  readonly hdrLen: number;
  readonly segsLeft: number;
  readonly lastEntry: number;
  readonly tag: number;
  readonly psid: Sid | null;
  readonly nsid: Sid | null;
  readonly lsid: Sid | null;
}

/** The options in libip6t_srh's order (the order iptables-save prints them), with their flag and field. */
const FIELDS: ReadonlyArray<readonly [string, number, 'nextHdr' | 'hdrLen' | 'segsLeft' | 'lastEntry' | 'tag' | 'psid' | 'nsid' | 'lsid']> = [
  ['srh-next-hdr', SRH_NEXTHDR, 'nextHdr'],
  ['srh-hdr-len-eq', SRH_LEN_EQ, 'hdrLen'],
  ['srh-hdr-len-gt', SRH_LEN_GT, 'hdrLen'],
  ['srh-hdr-len-lt', SRH_LEN_LT, 'hdrLen'],
  ['srh-segs-left-eq', SRH_SEGS_EQ, 'segsLeft'],
  ['srh-segs-left-gt', SRH_SEGS_GT, 'segsLeft'],
  ['srh-segs-left-lt', SRH_SEGS_LT, 'segsLeft'],
  ['srh-last-entry-eq', SRH_LAST_EQ, 'lastEntry'],
  ['srh-last-entry-gt', SRH_LAST_GT, 'lastEntry'],
  ['srh-last-entry-lt', SRH_LAST_LT, 'lastEntry'],
  ['srh-tag', SRH_TAG, 'tag'],
  ['srh-psid', SRH_PSID, 'psid'],
  ['srh-nsid', SRH_NSID, 'nsid'],
  ['srh-lsid', SRH_LSID, 'lsid'],
];

const OPTIONS: readonly OptionSpec[] = FIELDS.map(([name]) => ({ name, args: 1, invert: true }));

/** XTTYPE_HOSTMASK for IPv6: a numeric address, then an optional `/` and a prefix length or a mask written as an address. */
function parseSid(use: OptionUse): Sid {
  const [host, m] = splitRange(use.args[0] ?? '', '/');
  const addr = hostAddr(host, Family.V6);
  if (addr === undefined) throw new OptionError(`getaddrinfo: Name or service not known (${host}: write a numeric IPv6 address)`, use);
  let plen = 128;
  if (m !== undefined) {
    const n = parsePlen(m, Family.V6);
    if (n === undefined) throw plenError('srh', use, Family.V6);
    plen = n;
  }
  return { addr, mask: plenMask(Family.V6, plen) };
}

export const srhMatch = defineMatch<SrhConfig>({
  name: 'srh',
  family: Family.V6,
  options: OPTIONS,
  parse(uses) {
    checkUses('srh', uses);
    const c = {
      flags: 0,
      invFlags: 0,
      nextHdr: 0,
      hdrLen: 0,
      segsLeft: 0,
      lastEntry: 0,
      tag: 0,
      psid: null as Sid | null,
      nsid: null as Sid | null,
      lsid: null as Sid | null,
    };
    for (const u of uses) {
      const [, flag, field] = FIELDS.find(([n]) => n === u.spec.name)!;
      c.flags |= flag;
      if (u.invert) c.invFlags |= flag;
      if (field === 'psid' || field === 'nsid' || field === 'lsid') c[field] = parseSid(u);
      else c[field] = uintArg('srh', u, 0, field === 'tag' ? 0xffff : 0xff);
    }
    return c;
  },
  save(c) {
    const out: string[] = [];
    for (const [name, flag, field] of FIELDS) {
      if (!(c.flags & flag)) continue;
      const inv = c.invFlags & flag ? '! ' : '';
      const v = c[field];
      out.push(typeof v === 'number' ? `${inv}--${name} ${v}` : `${inv}--${name} ${v!.addr.toString()}/${v!.mask.prefixLength()}`);
    }
    return out.join(' ');
  },
  match(c, skb) {
    const d = skb.data;
    const len = skb.len;
    const off = findHdr(d, len, NEXTHDR_ROUTING);
    // struct ipv6_sr_hdr: nexthdr, hdrlen, type, segments_left, first_segment, flags, tag (8 bytes), then the segments.
    if (off < 0 || off + 8 > len) return false;
    if (len - off < optLen(d, off)) return false;
    if (d[off + 2] !== 4) return false;
    const segsLeft = d[off + 3]!;
    const last = d[off + 4]!;
    if (segsLeft > last) return false;
    const f = c.flags;
    // NF_SRH_INVF: a test fails when (its condition does not hold) differs from its inversion.
    const fails = (flag: number, holds: boolean): boolean => !holds !== ((c.invFlags & flag) !== 0);
    if (f & SRH_NEXTHDR && fails(SRH_NEXTHDR, d[off] === c.nextHdr)) return false;
    const hdrLen = d[off + 1]!;
    if (f & SRH_LEN_EQ && fails(SRH_LEN_EQ, hdrLen === c.hdrLen)) return false;
    if (f & SRH_LEN_GT && fails(SRH_LEN_GT, hdrLen > c.hdrLen)) return false;
    if (f & SRH_LEN_LT && fails(SRH_LEN_LT, hdrLen < c.hdrLen)) return false;
    if (f & SRH_SEGS_EQ && fails(SRH_SEGS_EQ, segsLeft === c.segsLeft)) return false;
    if (f & SRH_SEGS_GT && fails(SRH_SEGS_GT, segsLeft > c.segsLeft)) return false;
    if (f & SRH_SEGS_LT && fails(SRH_SEGS_LT, segsLeft < c.segsLeft)) return false;
    if (f & SRH_LAST_EQ && fails(SRH_LAST_EQ, last === c.lastEntry)) return false;
    if (f & SRH_LAST_GT && fails(SRH_LAST_GT, last > c.lastEntry)) return false;
    if (f & SRH_LAST_LT && fails(SRH_LAST_LT, last < c.lastEntry)) return false;
    // The kernel compares the packet's tag as it lies in memory (big-endian) with the rule's in host order: on a
    // little-endian machine (x86, arm64) `--srh-tag 0x1234` matches the tag 0x3412.
    if (f & SRH_TAG && fails(SRH_TAG, (d[off + 6]! | (d[off + 7]! << 8)) === c.tag)) return false;
    if (f & SRH_PSID) {
      if (segsLeft === last) return false;
      if (!sidHolds(d, len, off + 8 + (segsLeft + 1) * 16, c.psid!, (c.invFlags & SRH_PSID) !== 0)) return false;
    }
    if (f & SRH_NSID) {
      if (segsLeft === 0) return false;
      if (!sidHolds(d, len, off + 8 + (segsLeft - 1) * 16, c.nsid!, (c.invFlags & SRH_NSID) !== 0)) return false;
    }
    if (f & SRH_LSID && !sidHolds(d, len, off + 8, c.lsid!, (c.invFlags & SRH_LSID) !== 0)) return false;
    return true;
  },
});

const scratch = new InetAddr();

/** The segment at `at` is within the packet and (not, with `inv`) in sid's network (ipv6_masked_addr_cmp). */
function sidHolds(d: Uint8Array, len: number, at: number, sid: Sid, inv: boolean): boolean {
  if (at + 16 > len) return false;
  scratch.readV6(d, at);
  const m = sid.mask;
  const a = sid.addr;
  const differs =
    ((scratch.w0 ^ a.w0) & m.w0) !== 0 || ((scratch.w1 ^ a.w1) & m.w1) !== 0 || ((scratch.w2 ^ a.w2) & m.w2) !== 0 || ((scratch.w3 ^ a.w3) & m.w3) !== 0;
  return differs === inv;
}
