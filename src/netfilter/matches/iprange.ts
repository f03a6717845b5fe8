/**
 * `-m iprange` (xt_iprange.c revision 1 / libxt_iprange.c): source and
 * destination address ranges `a-b` (or a single address), each with `!`.
 * A range written high-low is kept as written and matches nothing, as in
 * the kernel.
 *
 * @example
 * -m iprange --src-range 192.0.2.10-192.0.2.20 ! --dst-range 10.0.0.0-10.255.255.255
 */
import { OptionError, defineMatch, type OptionSpec, type OptionUse } from '../xt.js';
import { formatIPv4 } from '../../packet/addr.js';
import { checkUses, parseIptablesIPv4 } from './util.js';

export interface IprangeConfig {
  readonly src: boolean;
  readonly srcMin: number;
  readonly srcMax: number;
  readonly invSrc: boolean;
  readonly dst: boolean;
  readonly dstMin: number;
  readonly dstMax: number;
  readonly invDst: boolean;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'src-range', args: 1, invert: true },
  { name: 'dst-range', args: 1, invert: true },
];

function parseRange(use: OptionUse): [number, number] {
  const text = use.args[0]!;
  const dash = text.indexOf('-');
  const parts = dash < 0 ? [text] : [text.slice(0, dash), text.slice(dash + 1)];
  const out: number[] = [];
  for (const p of parts) {
    const v = parseIptablesIPv4(p);
    if (v === undefined) {
      throw new OptionError(
        `iprange: Bad value for "--${use.spec.name}" option: "${p}"; expected an IPv4 address or range a.b.c.d-e.f.g.h`,
        use,
      );
    }
    out.push(v);
  }
  return [out[0]!, out[1] ?? out[0]!];
}

export const iprangeMatch = defineMatch<IprangeConfig>({
  name: 'iprange',
  options: OPTIONS,
  parse(uses) {
    checkUses('iprange', uses);
    let src = false;
    let dst = false;
    let srcMin = 0;
    let srcMax = 0;
    let dstMin = 0;
    let dstMax = 0;
    let invSrc = false;
    let invDst = false;
    for (const u of uses) {
      if (u.spec.name === 'src-range') {
        [srcMin, srcMax] = parseRange(u);
        src = true;
        invSrc = u.invert;
      } else if (u.spec.name === 'dst-range') {
        [dstMin, dstMax] = parseRange(u);
        dst = true;
        invDst = u.invert;
      }
    }
    if (!src && !dst) throw new OptionError("iprange match: You must specify `--src-range' or `--dst-range'");
    return { src, srcMin, srcMax, invSrc, dst, dstMin, dstMax, invDst };
  },
  save(c) {
    const out: string[] = [];
    if (c.src) out.push(`${c.invSrc ? '! ' : ''}--src-range ${formatIPv4(c.srcMin)}-${formatIPv4(c.srcMax)}`);
    if (c.dst) out.push(`${c.invDst ? '! ' : ''}--dst-range ${formatIPv4(c.dstMin)}-${formatIPv4(c.dstMax)}`);
    return out.join(' ');
  },
  match(c, skb) {
    if (c.src && (skb.saddr < c.srcMin || skb.saddr > c.srcMax) !== c.invSrc) return false;
    if (c.dst && (skb.daddr < c.dstMin || skb.daddr > c.dstMax) !== c.invDst) return false;
    return true;
  },
});
