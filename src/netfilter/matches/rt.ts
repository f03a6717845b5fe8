/**
 * `-m rt` (net/ipv6/netfilter/ip6t_rt.c, extensions/libip6t_rt.c): the
 * routing header. `--rt-type N`, `--rt-segsleft N[:M]` (a range kept as
 * written), `--rt-len N` (the header's length in bytes), each with `!`;
 * for type 0 only (`--rt-type 0` written before them): `--rt-0-res`
 * (reserved word zero), `--rt-0-addrs A,B,...` (the header's addresses,
 * at most 16, must be exactly these) and `--rt-0-not-strict` (after
 * `--rt-0-addrs`: the listed addresses appear in this order, others may
 * come between).
 *
 * A packet without a routing header does not match; one whose chain or
 * header (as its length field says, since Linux 6.18's stable fix) runs
 * past the packet is dropped (hotdrop). Saved as ip6tables-save prints it: `--rt-segsleft` only when
 * not 0:4294967295 (an inverted full range is lost), addresses as inet_ntop
 * writes them.
 *
 * @example
 * -m rt --rt-type 0 -j DROP          (the deprecated type 0 header, RFC 5095)
 * -m rt --rt-type 2 --rt-segsleft 1
 */
import { defineMatch, Family, OptionError, type OptionSpec, type OptionUse } from '../xt.js';
import { parseUintRange, uintArg } from '../args.js';
import { InetAddr, parseIPv6 } from '../../packet/inet-addr.js';
import { ENOENT, findHdr, NEXTHDR_ROUTING, optLen, u32 } from './ip6-ext.js';
import { checkUses } from './util.js';

/** IP6T_RT_* flags (linux/netfilter_ipv6/ip6t_rt.h). */
export const IP6T_RT_TYP = 0x01;
export const IP6T_RT_SGS = 0x02;
export const IP6T_RT_LEN = 0x04;
export const IP6T_RT_RES = 0x08;
export const IP6T_RT_FST = 0x10;
export const IP6T_RT_FST_NSTRICT = 0x20;
/** IP6T_RT_HOPS: the most addresses a rule lists. */
export const IP6T_RT_HOPS = 16;

export interface RtConfig {
  readonly rtType: number;
  readonly invType: boolean;
  readonly segsleft: readonly [number, number];
  readonly invSegs: boolean;
  readonly hdrlen: number;
  readonly invLen: boolean;
  readonly flags: number;
  readonly addrs: readonly InetAddr[];
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'rt-type', args: 1, invert: true },
  { name: 'rt-segsleft', args: 1, invert: true },
  { name: 'rt-len', args: 1, invert: true },
  { name: 'rt-0-res', args: 0 },
  { name: 'rt-0-addrs', args: 1 },
  { name: 'rt-0-not-strict', args: 0 },
];

/** parse_addresses: a comma list of inet_pton addresses, at most IP6T_RT_HOPS. */
function parseAddresses(text: string, use: OptionUse): InetAddr[] {
  const out: InetAddr[] = [];
  const items = text.split(',');
  let i = 0;
  for (; i < items.length && i < IP6T_RT_HOPS; i++) {
    const a = parseIPv6(items[i]!);
    if (!a) throw new OptionError(`bad address: ${items[i]}`, use);
    out.push(a);
  }
  if (i < items.length) throw new OptionError('too many addresses specified', use);
  return out;
}

export const rtMatch = defineMatch<RtConfig>({
  name: 'rt',
  family: Family.V6,
  options: OPTIONS,
  parse(uses) {
    checkUses('rt', uses);
    let rtType = 0;
    let invType = false;
    let segsleft: [number, number] = [0, 0xffffffff];
    let invSegs = false;
    let hdrlen = 0;
    let invLen = false;
    let flags = 0;
    let addrs: InetAddr[] = [];
    const typeZero = (): boolean => (flags & IP6T_RT_TYP) !== 0 && rtType === 0 && !invType;
    for (const u of uses) {
      switch (u.spec.name) {
        case 'rt-type':
          rtType = uintArg('rt', u, 0, 0xffffffff);
          invType = u.invert;
          flags |= IP6T_RT_TYP;
          break;
        case 'rt-segsleft':
          segsleft = parseUintRange('rt', u, 0xffffffff);
          invSegs = u.invert;
          flags |= IP6T_RT_SGS;
          break;
        case 'rt-len':
          hdrlen = uintArg('rt', u, 0, 0xffffffff);
          invLen = u.invert;
          flags |= IP6T_RT_LEN;
          break;
        case 'rt-0-res':
          if (!typeZero()) throw new OptionError("`--rt-type 0' required before `--rt-0-res'", u);
          flags |= IP6T_RT_RES;
          break;
        case 'rt-0-addrs':
          if (!typeZero()) throw new OptionError("`--rt-type 0' required before `--rt-0-addrs'", u);
          addrs = parseAddresses(u.args[0] ?? '', u);
          flags |= IP6T_RT_FST;
          break;
        case 'rt-0-not-strict':
          if (!(flags & IP6T_RT_FST)) throw new OptionError("`--rt-0-addr ...' required before `--rt-0-not-strict'", u);
          flags |= IP6T_RT_FST_NSTRICT;
          break;
      }
    }
    return { rtType, invType, segsleft, invSegs, hdrlen, invLen, flags, addrs };
  },
  save(c) {
    const out: string[] = [];
    if (c.flags & IP6T_RT_TYP) out.push(`${c.invType ? '! ' : ''}--rt-type ${c.rtType}`);
    const [lo, hi] = c.segsleft;
    if (!(lo === 0 && hi === 0xffffffff)) out.push(`${c.invSegs ? '! ' : ''}--rt-segsleft ${lo !== hi ? `${lo}:${hi}` : lo}`);
    if (c.flags & IP6T_RT_LEN) out.push(`${c.invLen ? '! ' : ''}--rt-len ${c.hdrlen}`);
    if (c.flags & IP6T_RT_RES) out.push('--rt-0-res');
    if (c.flags & IP6T_RT_FST) out.push('--rt-0-addrs');
    if (c.addrs.length) out.push(c.addrs.map((a) => a.toString()).join(','));
    if (c.flags & IP6T_RT_FST_NSTRICT) out.push('--rt-0-not-strict');
    return out.join(' ');
  },
  match(c, skb, par) {
    const d = skb.data;
    const len = skb.len;
    const ptr = findHdr(d, len, NEXTHDR_ROUTING);
    if (ptr < 0) {
      if (ptr !== ENOENT) par.hotdrop = true;
      return false;
    }
    // struct ipv6_rt_hdr: nexthdr, hdrlen, type, segments_left.
    if (ptr + 4 > len) {
      par.hotdrop = true;
      return false;
    }
    const hdrlen = optLen(d, ptr);
    if (len - ptr < hdrlen) {
      par.hotdrop = true;
      return false;
    }
    const segs = d[ptr + 3]!;
    let ret =
      (segs >= c.segsleft[0] && segs <= c.segsleft[1]) !== c.invSegs &&
      (!(c.flags & IP6T_RT_LEN) || (c.hdrlen === hdrlen) !== c.invLen) &&
      (!(c.flags & IP6T_RT_TYP) || (c.rtType === d[ptr + 2]) !== c.invType);
    if (ret && c.flags & IP6T_RT_RES) {
      // struct rt0_hdr: the reserved word after the fixed four bytes (within the header checked above).
      ret = u32(d, ptr + 4) === 0;
    }
    if (!(c.flags & IP6T_RT_FST)) return ret;
    const slots = ((hdrlen - 8) / 16) | 0;
    const n = c.addrs.length;
    if (n > slots) return false;
    const at = (i: number): number => ptr + 8 + i * 16;
    if (c.flags & IP6T_RT_FST_NSTRICT) {
      let i = 0;
      for (let t = 0; t < slots; t++) {
        if (equalAt(d, at(t), c.addrs[i]!)) i++;
        if (i === n) break;
      }
      return i === n ? ret : false;
    }
    let t = 0;
    for (; t < n; t++) if (!equalAt(d, at(t), c.addrs[t]!)) break;
    return t === n && t === slots ? ret : false;
  },
});

function equalAt(d: Uint8Array, off: number, a: InetAddr): boolean {
  return u32(d, off) === a.w0 >>> 0 && u32(d, off + 4) === a.w1 >>> 0 && u32(d, off + 8) === a.w2 >>> 0 && u32(d, off + 12) === a.w3 >>> 0;
}
