/**
 * `-m dscp` (xt_dscp.c / libxt_dscp.c): `[!] --dscp value` (0-63) or
 * `[!] --dscp-class name` tests the six DSCP bits of the IPv4 TOS byte.
 * A class is saved as its number (`--dscp-class EF` saves as
 * `--dscp 0x2e`). Class names compare case-insensitively over the class
 * name's length, as libxt_dscp_helper's strncasecmp does: `EFX` is EF,
 * `cs10` is CS1.
 *
 * @example
 * -m dscp ! --dscp-class AF41
 */
import { defineMatch, OptionError, type OptionSpec } from '../xt.js';
import { uintOption } from '../targets/xt-util.js';
import { checkOptionUses } from './mark.js';

export interface DscpMatchConfig {
  readonly dscp: number;
  readonly invert: boolean;
}

/** ds_classes of libxt_dscp_helper.c, in its order (the first prefix wins). */
const CLASSES: ReadonlyArray<readonly [string, number]> = [
  ['CS0', 0x00], ['CS1', 0x08], ['CS2', 0x10], ['CS3', 0x18], ['CS4', 0x20], ['CS5', 0x28], ['CS6', 0x30], ['CS7', 0x38],
  ['BE', 0x00],
  ['AF11', 0x0a], ['AF12', 0x0c], ['AF13', 0x0e],
  ['AF21', 0x12], ['AF22', 0x14], ['AF23', 0x16],
  ['AF31', 0x1a], ['AF32', 0x1c], ['AF33', 0x1e],
  ['AF41', 0x22], ['AF42', 0x24], ['AF43', 0x26],
  ['EF', 0x2e],
];

/** class_to_dscp: the first class whose name starts `text` (case-insensitive). */
export function dscpClass(text: string): number | undefined {
  const upper = text.toUpperCase();
  for (const [name, v] of CLASSES) if (upper.startsWith(name)) return v;
  return undefined;
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
    if (u.spec.name === 'dscp') return { dscp: uintOption('dscp', u, 0, 63), invert: u.invert };
    const v = dscpClass(u.args[0] ?? '');
    if (v === undefined) throw new OptionError(`Invalid DSCP value \`${u.args[0]}'`, u);
    return { dscp: v, invert: u.invert };
  },
  save(c) {
    return `${c.invert ? '! ' : ''}--dscp 0x${c.dscp.toString(16).padStart(2, '0')}`;
  },
  match(c, skb) {
    return skb.data[1]! >> 2 === c.dscp !== c.invert;
  },
});
