/**
 * `-m iprange` (xt_iprange.c revision 1 / libxt_iprange.c): source and
 * destination address ranges `a-b` (or a single address), each with `!`,
 * in the rule file's family: IPv4 as xtables_numeric_to_ipaddr reads it
 * (`10.1` is 10.1.0.0), IPv6 as inet_pton. A range written high-low is
 * kept as written and matches nothing, as in the kernel (which compares
 * IPv4 as numbers and IPv6 with ipv6_addr_cmp, word by word).
 *
 * @example
 * -m iprange --src-range 192.0.2.10-192.0.2.20 ! --dst-range 10.0.0.0-10.255.255.255
 * -m iprange --src-range 2001:db8::10-2001:db8::20        (ip6tables)
 */
import { Family, OptionError, defineMatch, type OptionSpec, type OptionUse } from '../xt.js';
import type { InetAddr } from '../../packet/inet-addr.js';
import { numericAddr, splitRange } from '../args.js';
import { checkUses } from './util.js';

export interface IprangeConfig {
  readonly v6: boolean;
  readonly src: boolean;
  readonly srcMin: InetAddr | null;
  readonly srcMax: InetAddr | null;
  readonly invSrc: boolean;
  readonly dst: boolean;
  readonly dstMin: InetAddr | null;
  readonly dstMax: InetAddr | null;
  readonly invDst: boolean;
  /** The IPv4 bounds as numbers, for the IPv4 hot path (0 when unused or IPv6). */
  readonly srcMin4: number;
  readonly srcMax4: number;
  readonly dstMin4: number;
  readonly dstMax4: number;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'src-range', args: 1, invert: true },
  { name: 'dst-range', args: 1, invert: true },
];

/** iprange_parse_range: the text cut at its first `-`, each side a numeric address of the family. */
function parseRange(use: OptionUse, family: Family): [InetAddr, InetAddr] {
  const [from, to] = splitRange(use.args[0]!, '-');
  const out: InetAddr[] = [];
  for (const p of to === undefined ? [from] : [from, to]) {
    const v = numericAddr(p, family);
    if (v === undefined) {
      const what = family === Family.V6 ? 'an IPv6 address or range a::b-c::d' : 'an IPv4 address or range a.b.c.d-e.f.g.h';
      throw new OptionError(`iprange: Bad value for "--${use.spec.name}" option: "${p}"; expected ${what}`, use);
    }
    out.push(v);
  }
  return [out[0]!, out[1] ?? out[0]!];
}

export const iprangeMatch = defineMatch<IprangeConfig>({
  name: 'iprange',
  options: OPTIONS,
  parse(uses, ctx) {
    checkUses('iprange', uses);
    let src: [InetAddr, InetAddr] | null = null;
    let dst: [InetAddr, InetAddr] | null = null;
    let invSrc = false;
    let invDst = false;
    for (const u of uses) {
      if (u.spec.name === 'src-range') {
        src = parseRange(u, ctx.family);
        invSrc = u.invert;
      } else if (u.spec.name === 'dst-range') {
        dst = parseRange(u, ctx.family);
        invDst = u.invert;
      }
    }
    if (!src && !dst) throw new OptionError("iprange match: You must specify `--src-range' or `--dst-range'");
    return {
      v6: ctx.family === Family.V6,
      src: src !== null,
      srcMin: src?.[0] ?? null,
      srcMax: src?.[1] ?? null,
      invSrc,
      dst: dst !== null,
      dstMin: dst?.[0] ?? null,
      dstMax: dst?.[1] ?? null,
      invDst,
      srcMin4: src?.[0].w0 ?? 0,
      srcMax4: src?.[1].w0 ?? 0,
      dstMin4: dst?.[0].w0 ?? 0,
      dstMax4: dst?.[1].w0 ?? 0,
    };
  },
  save(c) {
    const out: string[] = [];
    if (c.src) out.push(`${c.invSrc ? '! ' : ''}--src-range ${c.srcMin!.toString()}-${c.srcMax!.toString()}`);
    if (c.dst) out.push(`${c.invDst ? '! ' : ''}--dst-range ${c.dstMin!.toString()}-${c.dstMax!.toString()}`);
    return out.join(' ');
  },
  match(c, skb) {
    if (c.v6) {
      if (c.src && (skb.src.compare(c.srcMin!) < 0 || skb.src.compare(c.srcMax!) > 0) !== c.invSrc) return false;
      if (c.dst && (skb.dst.compare(c.dstMin!) < 0 || skb.dst.compare(c.dstMax!) > 0) !== c.invDst) return false;
      return true;
    }
    if (c.src && (skb.saddr < c.srcMin4 || skb.saddr > c.srcMax4) !== c.invSrc) return false;
    if (c.dst && (skb.daddr < c.dstMin4 || skb.daddr > c.dstMax4) !== c.invDst) return false;
    return true;
  },
});
