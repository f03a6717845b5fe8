/**
 * `-m addrtype` (xt_addrtype.c revision 1 / libxt_addrtype.c): the route
 * type of the source and/or destination address (comma lists of LOCAL,
 * UNICAST, BROADCAST, ...; `!` per option), optionally as seen from the
 * input (`--limit-iface-in`) or output (`--limit-iface-out`) device.
 *
 * IPv6 (addrtype_mt6) asks differently, and cofw does as it does: UNICAST,
 * MULTICAST and UNSPEC are the address's own kind (ipv6_addr_type: UNSPEC
 * is `::`, MULTICAST ff00::/8, UNICAST every other address but the
 * IPv4-mapped ::ffff:0:0/96), and each of them named must hold (a list
 * naming two of them never matches); LOCAL, ANYCAST and UNREACHABLE come
 * from a route lookup of the address (GuestServices.addrType6), bound to
 * the device under --limit-iface-*, and one of them named is enough. The
 * kernel refuses BROADCAST, BLACKHOLE, PROHIBIT, THROW, NAT and XRESOLVE in
 * an ip6tables rule (EINVAL).
 *
 * @example
 * -m addrtype --dst-type LOCAL --limit-iface-in
 */
import { CheckError, Family, OptionError, defineMatch, hookBits, type OptionSpec, type OptionUse } from '../xt.js';
import { Hook, RouteType, type GuestServices, type NetDevice } from '../types.js';
import type { InetAddr } from '../../packet/inet-addr.js';
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

/** XT_ADDRTYPE_* bits (1 << RTN_*). */
const T_UNSPEC = 1 << RouteType.Unspec;
const T_UNICAST = 1 << RouteType.Unicast;
const T_LOCAL = 1 << RouteType.Local;
const T_BROADCAST = 1 << RouteType.Broadcast;
const T_ANYCAST = 1 << RouteType.Anycast;
const T_MULTICAST = 1 << RouteType.Multicast;
const T_BLACKHOLE = 1 << RouteType.Blackhole;
const T_UNREACHABLE = 1 << RouteType.Unreachable;
const T_PROHIBIT = 1 << RouteType.Prohibit;
/** The types match_lookup_rt6 answers from the route lookup. */
const T_LOOKUP = T_LOCAL | T_ANYCAST | T_UNREACHABLE;

/**
 * match_type6: the address's kind (ipv6_addr_type) for UNICAST, MULTICAST
 * and UNSPEC, each required; then, when LOCAL, ANYCAST or UNREACHABLE is
 * named, whether the route lookup gives one of those named.
 */
function matchType6(addr: InetAddr, mask: number, dev: NetDevice | null, svc: GuestServices): boolean {
  const multicast = addr.w0 >>> 24 === 0xff;
  const any = addr.isZero();
  if (mask & T_MULTICAST && !multicast) return false;
  if (mask & T_UNICAST && (multicast || any || (addr.w0 === 0 && addr.w1 === 0 && addr.w2 === 0xffff))) return false;
  if (mask & T_UNSPEC && !any) return false;
  if (mask & T_LOOKUP) return (mask & T_LOOKUP & (1 << svc.addrType6(addr, dev))) !== 0;
  return true;
}

const IN_HOOKS = hookBits(Hook.PreRouting, Hook.LocalIn);
const OUT_HOOKS = hookBits(Hook.PostRouting, Hook.LocalOut);

export const addrtypeMatch = defineMatch<AddrtypeConfig>({
  name: 'addrtype',
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
    if (ctx.family === Family.V6) {
      const both = c.src | c.dst;
      if (both & T_BLACKHOLE) throw new CheckError('ipv6 BLACKHOLE matching not supported');
      if (both >= T_PROHIBIT) throw new CheckError('ipv6 PROHIBT (THROW, NAT ..) matching not supported');
      if (both & T_BROADCAST) throw new CheckError('ipv6 does not support BROADCAST matching');
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
    if (skb.family === Family.V6) {
      if (c.src && matchType6(skb.src, c.src, dev, par.services) === c.invSrc) return false;
      if (c.dst && matchType6(skb.dst, c.dst, dev, par.services) === c.invDst) return false;
      return true;
    }
    if (c.src && ((c.src & (1 << par.services.addrType(skb.saddr, dev))) !== 0) === c.invSrc) return false;
    if (c.dst && ((c.dst & (1 << par.services.addrType(skb.daddr, dev))) !== 0) === c.invDst) return false;
    return true;
  },
});
