/**
 * `-m length` (xt_length.c / libxt_length.c): the IP total length in a
 * range `n`, `a:b`, `:b` or `a:`, with `!`. A range written high:low is kept
 * and matches nothing, as in the kernel. The length is `Skb.totLen`, the
 * IP packet length of either family (xt_length's length_mt6 counts the
 * IPv6 payload length plus the 40-byte header).
 *
 * @example
 * -m length --length 0:99
 */
import { defineMatch, type OptionSpec } from '../xt.js';
import { parseUintRange } from '../args.js';
import { checkMandatory, checkUses } from './util.js';

export interface LengthConfig {
  readonly min: number;
  readonly max: number;
  readonly invert: boolean;
}

const OPTIONS: readonly OptionSpec[] = [{ name: 'length', args: 1, invert: true, mandatory: true }];

export const lengthMatch = defineMatch<LengthConfig>({
  name: 'length',
  options: OPTIONS,
  parse(uses) {
    checkUses('length', uses);
    checkMandatory('length', uses, ['length']);
    const u = uses.find((x) => x.spec.name === 'length')!;
    const [min, max] = parseUintRange('length', u, 65535);
    return { min, max, invert: u.invert };
  },
  save(c) {
    return `${c.invert ? '! ' : ''}--length ${c.min === c.max ? c.min : `${c.min}:${c.max}`}`;
  },
  match(c, skb) {
    return (skb.totLen >= c.min && skb.totLen <= c.max) !== c.invert;
  },
});
