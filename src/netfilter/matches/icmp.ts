/**
 * `-m icmp` (xt_icmp in ip_tables.c / libipt_icmp.c): `--icmp-type` by
 * name (or unambiguous prefix), number or type/code, with `!`. Saved as
 * numbers, `any` for type 255, as iptables 1.8 prints them.
 *
 * @example
 * -p icmp -m icmp --icmp-type 8        (echo-request)
 * -p icmp -m icmp --icmp-type 3/3      (port-unreachable)
 */
import { defineMatch, Family, type OptionSpec } from '../xt.js';
import { checkProto } from './tcp.js';
import { checkMandatory, checkUses, parseIcmpType } from './util.js';

export const IPPROTO_ICMP = 1;

export interface IcmpConfig {
  /** 255 matches every ICMP packet. */
  readonly type: number;
  readonly codeMin: number;
  readonly codeMax: number;
  readonly invert: boolean;
}

const OPTIONS: readonly OptionSpec[] = [{ name: 'icmp-type', args: 1, invert: true, mandatory: true }];

export const icmpMatch = defineMatch<IcmpConfig>({
  name: 'icmp',
  // ip_tables.c registers icmp for IPv4 only (ip6tables has icmp6).
  family: Family.V4,
  options: OPTIONS,
  parse(uses) {
    checkUses('icmp', uses);
    checkMandatory('icmp', uses, ['icmp-type']);
    const u = uses.find((x) => x.spec.name === 'icmp-type')!;
    return { ...parseIcmpType(u.args[0]!, u), invert: u.invert };
  },
  check(_c, ctx) {
    checkProto('icmp', IPPROTO_ICMP, ctx);
  },
  save(c) {
    const inv = c.invert ? '! ' : '';
    if (c.type === 0xff) return `${inv}--icmp-type any`;
    if (c.codeMin === 0 && c.codeMax === 0xff) return `${inv}--icmp-type ${c.type}`;
    if (c.codeMin === c.codeMax) return `${inv}--icmp-type ${c.type}/${c.codeMin}`;
    return `${inv}--icmp-type ${c.type}/${c.codeMin}-${c.codeMax}`;
  },
  match(c, skb, par) {
    if (skb.fragoff !== 0) return false;
    const th = skb.thoff;
    // The kernel reads a whole struct icmphdr (8 bytes) before looking at it.
    if (th + 8 > skb.len) {
      par.hotdrop = true;
      return false;
    }
    const type = skb.data[th]!;
    const code = skb.data[th + 1]!;
    const hit = c.type === 0xff || (type === c.type && code >= c.codeMin && code <= c.codeMax);
    return hit !== c.invert;
  },
});
