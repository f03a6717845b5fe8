/**
 * `-m tos` (xt_dscp.c's tos_mt / libxt_tos.c revision 1):
 * `[!] --tos value[/mask]` tests `(tos & mask) == value` on the IPv4 TOS
 * byte. A number without a mask gets mask 0xff; a symbolic name
 * (case-insensitive: Minimize-Delay 0x10, Maximize-Throughput 0x08,
 * Maximize-Reliability 0x04, Minimize-Cost 0x02, Normal-Service 0x00) gets
 * mask 0x3f. iptables-save always prints `0xVV/0xMM`.
 *
 * @example
 * -m tos --tos Minimize-Delay
 */
import { defineMatch, OptionError, type OptionSpec } from '../xt.js';
import { cStrtoul } from '../targets/xt-util.js';
import { checkUses } from './util.js';

export interface TosMatchConfig {
  readonly value: number;
  readonly mask: number;
  readonly invert: boolean;
}

const NAMES: ReadonlyMap<string, number> = new Map([
  ['minimize-delay', 0x10],
  ['maximize-throughput', 0x08],
  ['maximize-reliability', 0x04],
  ['minimize-cost', 0x02],
  ['normal-service', 0x00],
]);

const OPTIONS: readonly OptionSpec[] = [{ name: 'tos', args: 1, invert: true, mandatory: true }];

/** XTTYPE_TOSMASK as libxtables 1.8.9 parses it (xtopt_parse_tosmask), with its messages. */
export function parseTosMask(arg: string): { value: number; mask: number } {
  const v = cStrtoul(arg);
  if (v && v.value <= 0xff) {
    let end = v.end;
    let mask = 0xff;
    if (arg[end] === '/') {
      const m = cStrtoul(arg.slice(end + 1));
      if (!m || m.value > 0xff) throw new OptionError(`Illegal value: "${arg}"`);
      mask = m.value;
      end += 1 + m.end;
    }
    if (end !== arg.length) throw new OptionError(`Illegal value: "${arg}"`);
    return { value: v.value, mask };
  }
  const named = NAMES.get(arg.toLowerCase());
  if (named === undefined) throw new OptionError(`Symbolic name "${arg}" is unknown`);
  return { value: named, mask: 0x3f };
}

const hex2 = (v: number): string => `0x${v.toString(16).padStart(2, '0')}`;

export const tosMatch = defineMatch<TosMatchConfig>({
  name: 'tos',
  options: OPTIONS,
  parse(uses) {
    checkUses('tos', uses);
    const u = uses.find((x) => x.spec.name === 'tos');
    if (!u) throw new OptionError('tos: option "--tos" must be specified');
    try {
      return { ...parseTosMask(u.args[0] ?? ''), invert: u.invert };
    } catch (e) {
      throw new OptionError((e as Error).message, u);
    }
  },
  save(c) {
    return `${c.invert ? '! ' : ''}--tos ${hex2(c.value)}/${hex2(c.mask)}`;
  },
  match(c, skb) {
    return ((skb.data[1]! & c.mask) === c.value) !== c.invert;
  },
});
