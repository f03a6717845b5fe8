/**
 * `-m realm` (net/netfilter/xt_realm.c, extensions/libxt_realm.c), IPv4:
 * `[!] --realm VALUE[/MASK]` tests the realms of the packet's route
 * (dst->tclassid: FROM << 16 | TO): `(tclassid & mask) == value`, inverted
 * by `!`. The value is a number (base 0) or a name of
 * /etc/iproute2/rt_realms, which on Debian names only `cosmos` (0);
 * iptables-save prints a full-mask value by its name when it has one,
 * otherwise in hexadecimal (`--realm 0x5/0xff`).
 *
 * The kernel registers the match for INPUT, FORWARD, OUTPUT and
 * POSTROUTING: a rule reachable from PREROUTING, before routing, is
 * refused (nf_tables checks a user chain's rules when a jump from
 * PREROUTING reaches them). The realms are the machine file's (`realm:` on
 * IPv4 routes and rules), set on the packet as the guest routes it
 * (Skb.tclassid; see the stack's sourceRealms, forwardRealms and
 * outputRealms): a packet the machine sends has its route's; a forwarded
 * packet its route's, its halves that are 0 filled from its rule's, then
 * from the route back to its source (whose TO realm becomes the FROM
 * realm); a packet delivered to the machine only that last part
 * (fib_validate_source's itag, rt_set_nexthop). iptables-nft turns a
 * full-mask rule without `!` into nftables' `meta rtclassid`, which reads
 * the same field.
 *
 * @example
 * -A FORWARD -m realm --realm 7 -j ACCEPT
 */
import { parseValMaskNamed, printValMask } from '../args.js';
import { Hook } from '../types.js';
import { CheckError, defineMatch, Family, hookBits, type OptionSpec } from '../xt.js';
import { checkMandatory, checkUses } from './util.js';
import { hookNames } from './mac.js';

/** Debian's /etc/iproute2/rt_realms. */
export const REALM_NAMES: ReadonlyMap<string, number> = new Map([['cosmos', 0]]);

export interface RealmConfig {
  readonly id: number;
  readonly mask: number;
  readonly invert: boolean;
}

const OPTIONS: readonly OptionSpec[] = [{ name: 'realm', args: 1, invert: true }];
const REALM_HOOKS = hookBits(Hook.LocalIn, Hook.Forward, Hook.LocalOut, Hook.PostRouting);

export const realmMatch = defineMatch<RealmConfig>({
  name: 'realm',
  family: Family.V4,
  options: OPTIONS,
  parse(uses) {
    checkUses('realm', uses);
    checkMandatory('realm', uses, ['realm']);
    const u = uses[0]!;
    const { value, mask } = parseValMaskNamed('realm', u, REALM_NAMES, '/etc/iproute2/rt_realms');
    return { id: value, mask, invert: u.invert };
  },
  check(_c, ctx) {
    if (ctx.hookMask & ~REALM_HOOKS)
      throw new CheckError(`realm match: used from hooks ${hookNames(ctx.hookMask)}, but only valid from INPUT/FORWARD/OUTPUT/POSTROUTING`);
  },
  save(c) {
    return `${c.invert ? '! ' : ''}--realm ${printValMask(c.id, c.mask, REALM_NAMES)}`;
  },
  match(c, skb) {
    return (c.id === (skb.tclassid & c.mask) >>> 0) !== c.invert;
  },
});
