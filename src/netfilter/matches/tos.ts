/**
 * `-m tos` (xt_dscp.c's tos_mt / libxt_tos.c revision 1):
 * `[!] --tos value[/mask]` tests `(tos & mask) == value` on the IPv4 TOS
 * byte, or on the IPv6 traffic class in an ip6tables rule. A number without a mask gets mask 0xff; a symbolic name
 * (case-insensitive: Minimize-Delay 0x10, Maximize-Throughput 0x08,
 * Maximize-Reliability 0x04, Minimize-Cost 0x02, Normal-Service 0x00) gets
 * mask 0x3f. iptables-save always prints `0xVV/0xMM`.
 *
 * @example
 * -m tos --tos Minimize-Delay
 */
import { defineMatch, Family, OptionError, type OptionSpec } from '../xt.js';
import { parseTosMask } from '../args.js';
import { hex8, ipv6GetDsfield } from '../targets/xt-util.js';
import { checkUses } from './util.js';

export interface TosMatchConfig {
  readonly value: number;
  readonly mask: number;
  readonly invert: boolean;
}

const OPTIONS: readonly OptionSpec[] = [{ name: 'tos', args: 1, invert: true, mandatory: true }];

export const tosMatch = defineMatch<TosMatchConfig>({
  name: 'tos',
  options: OPTIONS,
  parse(uses) {
    checkUses('tos', uses);
    const u = uses.find((x) => x.spec.name === 'tos');
    if (!u) throw new OptionError('tos: option "--tos" must be specified');
    return { ...parseTosMask(u.args[0] ?? '', 0x3f, u), invert: u.invert };
  },
  save(c) {
    return `${c.invert ? '! ' : ''}--tos ${hex8(c.value)}/${hex8(c.mask)}`;
  },
  match(c, skb) {
    const ds = skb.family === Family.V6 ? ipv6GetDsfield(skb.data) : skb.data[1]!;
    return ((ds & c.mask) === c.value) !== c.invert;
  },
});
