/**
 * `-m dscp` (xt_dscp.c / libxt_dscp.c): `[!] --dscp value` (0-63) or
 * `[!] --dscp-class name` tests the six DSCP bits of the IPv4 TOS byte, or
 * of the IPv6 traffic class in an ip6tables rule (dscp_mt6,
 * ipv6_get_dsfield).
 * A class is saved as its number (`--dscp-class EF` saves as
 * `--dscp 0x2e`). Class names compare case-insensitively over the class
 * name's length, as libxt_dscp_helper's strncasecmp does: `EFX` is EF,
 * `cs10` is CS1 (args.ts's dscpClass, shared with the DSCP target).
 *
 * @example
 * -m dscp ! --dscp-class AF41
 */
import { defineMatch, Family, OptionError, type OptionSpec } from '../xt.js';
import { ipv6GetDsfield } from '../targets/xt-util.js';
import { dscpClassArg, uintArg } from '../args.js';
import { checkOptionUses } from './mark.js';

export interface DscpMatchConfig {
  readonly dscp: number;
  readonly invert: boolean;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'dscp', args: 1, invert: true, excludes: ['dscp-class'] },
  { name: 'dscp-class', args: 1, invert: true, excludes: ['dscp'] },
];

export const dscpMatch = defineMatch<DscpMatchConfig>({
  name: 'dscp',
  options: OPTIONS,
  parse(uses) {
    checkOptionUses('dscp', uses);
    const u = uses[0];
    if (!u) throw new OptionError('DSCP match: Parameter --dscp is required');
    return { dscp: u.spec.name === 'dscp' ? uintArg('dscp', u, 0, 63) : dscpClassArg(u), invert: u.invert };
  },
  save(c) {
    return `${c.invert ? '! ' : ''}--dscp 0x${c.dscp.toString(16).padStart(2, '0')}`;
  },
  match(c, skb) {
    const ds = skb.family === Family.V6 ? ipv6GetDsfield(skb.data) : skb.data[1]!;
    return (ds >> 2 === c.dscp) !== c.invert;
  },
});
