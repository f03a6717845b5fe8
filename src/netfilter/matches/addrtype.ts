/**
 * `-m addrtype` (xt_addrtype.c revision 1 / libxt_addrtype.c): the route
 * type of the source and/or destination address (comma lists of LOCAL,
 * UNICAST, BROADCAST, ...; `!` per option), optionally as seen from the
 * input (`--limit-iface-in`) or output (`--limit-iface-out`) device.
 *
 * @example
 * -m addrtype --dst-type LOCAL --limit-iface-in
 */
import { CheckError, Family, OptionError, defineMatch, hookBits, type OptionSpec, type OptionUse } from '../xt.js';
import { Hook } from '../types.js';
import { checkUses } from './util.js';

/** Names indexed by route type (RTN_*); bit `1 << type` in a mask. */
export const ADDRTYPE_NAMES = [
  'UNSPEC',
  'UNICAST',
  'LOCAL',
  'BROADCAST',
  'ANYCAST',
  'MULTICAST',
  'BLACKHOLE',
  'UNREACHABLE',
  'PROHIBIT',
  'THROW',
  'NAT',
  'XRESOLVE',
] as const;

export interface AddrtypeConfig {
  /** Bit mask of `1 << RouteType`; 0 when not tested. */
  readonly src: number;
  readonly dst: number;
  readonly invSrc: boolean;
  readonly invDst: boolean;
  readonly limitIn: boolean;
  readonly limitOut: boolean;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'src-type', args: 1, invert: true },
  { name: 'dst-type', args: 1, invert: true },
  { name: 'limit-iface-in', args: 0, excludes: ['limit-iface-out'] },
  { name: 'limit-iface-out', args: 0, excludes: ['limit-iface-in'] },
];

function parseTypes(use: OptionUse): number {
  let mask = 0;
  for (const item of use.args[0]!.split(',')) {
    const i = ADDRTYPE_NAMES.indexOf(item.toUpperCase() as (typeof ADDRTYPE_NAMES)[number]);
    if (i < 0) {
      throw new OptionError(`addrtype: bad type "${item}"; expected a comma list of ${ADDRTYPE_NAMES.join(', ')}`, use);
    }
    mask |= 1 << i;
  }
  return mask;
}

function formatTypes(mask: number): string {
  return ADDRTYPE_NAMES.filter((_, i) => mask & (1 << i)).join(',');
}

const IN_HOOKS = hookBits(Hook.PreRouting, Hook.LocalIn);
const OUT_HOOKS = hookBits(Hook.PostRouting, Hook.LocalOut);

export const addrtypeMatch = defineMatch<AddrtypeConfig>({
  name: 'addrtype',
  // xt_addrtype revision 1 serves IPv6 too; cofw asks the IPv4 routing table.
  emulates: Family.V4,
  options: OPTIONS,
  parse(uses) {
    checkUses('addrtype', uses);
    let src = 0;
    let dst = 0;
    let invSrc = false;
    let invDst = false;
    let limitIn = false;
    let limitOut = false;
    for (const u of uses) {
      switch (u.spec.name) {
        case 'src-type':
          src = parseTypes(u);
          invSrc = u.invert;
          break;
        case 'dst-type':
          dst = parseTypes(u);
          invDst = u.invert;
          break;
        case 'limit-iface-in':
          limitIn = true;
          break;
        case 'limit-iface-out':
          limitOut = true;
          break;
      }
    }
    if (!uses.some((u) => u.spec.name === 'src-type' || u.spec.name === 'dst-type')) {
      throw new OptionError('addrtype: you must specify --src-type or --dst-type');
    }
    return { src, dst, invSrc, invDst, limitIn, limitOut };
  },
  check(c, ctx) {
    if (c.limitIn && c.limitOut) {
      throw new CheckError('both incoming and outgoing interface limitation cannot be selected');
    }
    if (ctx.hookMask & IN_HOOKS && c.limitOut) {
      throw new CheckError('output interface limitation not valid in PREROUTING and INPUT');
    }
    if (ctx.hookMask & OUT_HOOKS && c.limitIn) {
      throw new CheckError('input interface limitation not valid in POSTROUTING and OUTPUT');
    }
  },
  save(c) {
    const out: string[] = [];
    if (c.src) out.push(`${c.invSrc ? '! ' : ''}--src-type ${formatTypes(c.src)}`);
    if (c.dst) out.push(`${c.invDst ? '! ' : ''}--dst-type ${formatTypes(c.dst)}`);
    if (c.limitIn) out.push('--limit-iface-in');
    if (c.limitOut) out.push('--limit-iface-out');
    return out.join(' ');
  },
  match(c, skb, par) {
    const dev = c.limitIn ? par.inDev : c.limitOut ? par.outDev : null;
    if (c.src && ((c.src & (1 << par.services.addrType(skb.saddr, dev))) !== 0) === c.invSrc) return false;
    if (c.dst && ((c.dst & (1 << par.services.addrType(skb.daddr, dev))) !== 0) === c.invDst) return false;
    return true;
  },
});
