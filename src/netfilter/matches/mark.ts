/**
 * `-m mark` (xt_mark.c / libxt_mark.c revision 1): `[!] --mark value[/mask]`
 * tests the packet's nfmark: `(mark & mask) == value`, inverted by `!`.
 *
 * iptables-nft 1.8.9 translates the match into native nf_tables
 * expressions (`meta mark & mask ==/!= value`, as `nft --debug=netlink`
 * shows); they compute exactly what xt_mark does, so one function serves.
 * A value with bits outside the mask never matches (`! --mark` always does).
 *
 * @example
 * -m mark ! --mark 0x10/0xf0
 */
import { defineMatch, OptionError, type OptionSpec, type OptionUse } from '../xt.js';
import { parseValMask } from '../args.js';
import { exclusive } from '../targets/xt-util.js';
import { checkUses } from './util.js';

export interface MarkMatchConfig {
  readonly mark: number;
  readonly mask: number;
  readonly invert: boolean;
}

const OPTIONS: readonly OptionSpec[] = [{ name: 'mark', args: 1, invert: true, mandatory: true }];

/**
 * libxtables' per-option rules, in the order iptables 1.8.9 applies them:
 * an option that excludes an earlier one is refused naming the earlier
 * option first (`dscp: option "--dscp" cannot be used together with
 * "--dscp-class".`), then util's checkUses (inversion, repetition).
 * (util.checkUses names the two the other way round.)
 */
export function checkOptionUses(module: string, uses: readonly OptionUse[]): void {
  for (let k = 0; k < uses.length; k++) {
    const u = uses[k]!;
    for (let e = 0; e < k; e++) {
      const earlier = uses[e]!;
      if (earlier.spec.name !== u.spec.name && (u.spec.excludes?.includes(earlier.spec.name) || earlier.spec.excludes?.includes(u.spec.name))) {
        throw exclusive(module, earlier, u);
      }
    }
  }
  checkUses(module, uses);
}

/** iptables-save's ` --mark 0x1` / `--mark 0x1/0xff` (the mask only when it is not all ones). */
export function saveMarkMask(c: MarkMatchConfig): string {
  const v = `0x${c.mark.toString(16)}`;
  const text = c.mask === 0xffffffff ? `--mark ${v}` : `--mark ${v}/0x${c.mask.toString(16)}`;
  return c.invert ? `! ${text}` : text;
}

/** Parses the one `--mark value[/mask]` option of mark and connmark. */
export function parseMarkMask(ext: string, uses: readonly OptionUse[]): MarkMatchConfig {
  checkUses(ext, uses);
  const u = uses.find((x) => x.spec.name === 'mark');
  if (!u) throw new OptionError(`${ext}: option "--mark" must be specified`);
  const { value, mask } = parseValMask(ext, u);
  return { mark: value, mask, invert: u.invert };
}

export const markMatch = defineMatch<MarkMatchConfig>({
  name: 'mark',
  options: OPTIONS,
  parse(uses) {
    return parseMarkMask('mark', uses);
  },
  save: saveMarkMask,
  match(c, skb) {
    return ((skb.mark & c.mask) >>> 0 === c.mark) !== c.invert;
  },
});
