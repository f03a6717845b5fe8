/**
 * `-m length` (xt_length.c / libxt_length.c): the IP total length in a
 * range `n`, `a:b`, `:b` or `a:`, with `!`. A range written high:low is kept
 * and matches nothing, as in the kernel.
 *
 * @example
 * -m length --length 0:99
 */
import { OptionError, defineMatch, type OptionSpec, type OptionUse } from '../xt.js';
import { checkMandatory, checkUses, strtoulPrefix } from './util.js';

export interface LengthConfig {
  readonly min: number;
  readonly max: number;
  readonly invert: boolean;
}

const OPTIONS: readonly OptionSpec[] = [{ name: 'length', args: 1, invert: true, mandatory: true }];

/** libxtables' `a:b` range of unsigned numbers (XTTYPE_UINT16RC). */
export function parseUintRange(module: string, use: OptionUse, max: number): [number, number] {
  const text = use.args[0]!;
  const name = use.spec.name;
  const vals: number[] = [];
  let pos = 0;
  for (let i = 0; ; i++) {
    if (i === 2) throw new OptionError(`${module}: Too many components for option "--${name}" (max: 2)`, use);
    let end: number;
    let value: number;
    if (pos >= text.length || text[pos] === ':') {
      end = pos;
      value = i > 0 ? max : 0;
    } else {
      const r = strtoulPrefix(text, max, pos);
      if (!r) {
        throw new OptionError(
          `${module}: bad value for option "--${name}" near "${text.slice(pos)}", or out of range (0-${max}).`,
          use,
        );
      }
      end = r.end;
      value = r.value;
      if (end < text.length && text[end] !== ':') {
        throw new OptionError(
          `${module}: Argument to "--${name}" has unexpected characters near "${text.slice(end)}".`,
          use,
        );
      }
    }
    vals.push(value);
    if (end >= text.length) break;
    pos = end + 1;
  }
  return [vals[0]!, vals[1] ?? vals[0]!];
}

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
