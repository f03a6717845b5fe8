/**
 * `-m rpfilter` (net/ipv4/netfilter/ipt_rpfilter.c, net/ipv6/netfilter/
 * ip6t_rpfilter.c, extensions/libxt_rpfilter.c): reverse path filtering,
 * as `rp_filter` does it in the stack but as a match: the packet matches
 * when the route back to its source leaves through the interface it came
 * in on (or, with `--loose`, through any interface).
 *
 * Options (no arguments, none invertible, each once): `--loose` (any
 * interface will do), `--validmark` (the packet's mark takes part in the
 * lookup), `--accept-local` (a route to one of the firewall's own
 * addresses counts), `--invert` (the result is inverted; `!` is refused).
 * iptables-save prints them in that order.
 *
 * Where: the kernel registers the match for PREROUTING only (a user chain
 * reached from another hook is refused, xt_check_match), and its
 * checkentry refuses every table but raw and mangle.
 *
 * IPv4 (rpfilter_mt): a packet from the loopback device (or a looped-back
 * copy) matches; so does one from 0.0.0.0/8 to 255.255.255.255 or to
 * 224.0.0.0/24 (a DHCP discover, IGMP); otherwise fib_lookup of the source
 * must give UNICAST (or LOCAL with `--accept-local`) and, unless
 * `--loose`, a next hop through the input device. A broadcast address as
 * source, or one without a route, never matches.
 *
 * IPv6 (rpfilter_mt): a packet from the loopback device, or from `::`,
 * matches; otherwise ip6_route_lookup of the source (bound to the input
 * device for a link-local source; preferring it unless `--loose`): no
 * route or an anycast route never matches, a local route matches only with
 * `--accept-local` (whatever the input device), any other route matches
 * when it leaves through the input device or with `--loose`. Multicast
 * sources meet the ff00::/8 route of the input device.
 *
 * Policy routing (the machine file's `rules:`): the lookup comes from lo
 * (rules with `iif lo` match it), with the packet's destination as its
 * source (IPv4: none when the destination is multicast, broadcast or in
 * 0/8; IPv6: none when it is `::` or multicast) and, with `--validmark`,
 * the packet's mark (0 without it).
 *
 * Not modelled: multipath routes; VRF (l3mdev).
 *
 * @example
 * -t raw -A PREROUTING -m rpfilter --invert -j DROP
 */
import { CheckError, defineMatch, hookBits, type OptionSpec } from '../xt.js';
import { Hook, PacketType, RouteType } from '../types.js';
import { Family } from '../../packet/inet-addr.js';
import { hookNames } from './mac.js';
import { checkUses } from './util.js';

export interface RpfilterConfig {
  readonly loose: boolean;
  readonly validmark: boolean;
  readonly acceptLocal: boolean;
  readonly invert: boolean;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'loose', args: 0 },
  { name: 'validmark', args: 0 },
  { name: 'accept-local', args: 0 },
  { name: 'invert', args: 0 },
];

const HOOKS = hookBits(Hook.PreRouting);

export const rpfilterMatch = defineMatch<RpfilterConfig>({
  name: 'rpfilter',
  options: OPTIONS,
  parse(uses) {
    checkUses('rpfilter', uses);
    const has = (n: string): boolean => uses.some((u) => u.spec.name === n);
    return { loose: has('loose'), validmark: has('validmark'), acceptLocal: has('accept-local'), invert: has('invert') };
  },
  check(_c, ctx) {
    // xt_check_match: the match's .hooks; then rpfilter_check.
    if (ctx.hookMask & ~HOOKS) {
      throw new CheckError(`rpfilter match: used from hooks ${hookNames(ctx.hookMask)}, but only valid from PREROUTING`);
    }
    if (ctx.table !== 'mangle' && ctx.table !== 'raw') {
      throw new CheckError(`rpfilter: only valid in 'raw' or 'mangle' table, not '${ctx.table}'`);
    }
  },
  save(c) {
    const out: string[] = [];
    if (c.loose) out.push('--loose');
    if (c.validmark) out.push('--validmark');
    if (c.acceptLocal) out.push('--accept-local');
    if (c.invert) out.push('--invert');
    return out.join(' ');
  },
  match(c, skb, par) {
    const inDev = par.inDev;
    // rpfilter_is_loopback
    if (skb.pktType === PacketType.Loopback || inDev === null || inDev.unit < 0) return !c.invert;
    const lookup = par.services.reverseRoute;
    if (skb.family === Family.V6) {
      if (skb.src.isZero()) return !c.invert;
      if (!lookup) return c.invert;
      const linkLocal = skb.src.w0 >>> 22 === 0x3fa; // fe80::/10
      const d = skb.dst;
      const r = lookup.call(
        par.services,
        skb.src,
        linkLocal || !c.loose ? inDev : null,
        linkLocal,
        c.validmark ? skb.mark : 0,
        d.isZero() || d.w0 >>> 24 === 0xff ? null : d,
      );
      let ok: boolean;
      if (r.type === RouteType.Unreachable || r.type === RouteType.Anycast || r.type === RouteType.Blackhole || r.type === RouteType.Prohibit) ok = false;
      else if (r.type === RouteType.Local) ok = c.acceptLocal;
      else ok = c.loose || r.dev === inDev;
      return ok !== c.invert;
    }
    const saddr = skb.saddr;
    const daddr = skb.daddr;
    if (saddr >>> 24 === 0 && (daddr === 0xffffffff || daddr >>> 8 === 0xe00000)) return !c.invert;
    if (!lookup) return c.invert;
    // rpfilter_get_saddr: the destination is the lookup's source, unless multicast, limited broadcast or 0/8.
    const from = daddr >>> 28 === 0xe || daddr === 0xffffffff || daddr >>> 24 === 0 ? null : skb.dst;
    const r = lookup.call(par.services, skb.src, null, false, c.validmark ? skb.mark : 0, from);
    let ok = false;
    if (r.type === RouteType.Unicast || (r.type === RouteType.Local && c.acceptLocal)) ok = c.loose || r.dev === inDev;
    return ok !== c.invert;
  },
});
