/**
 * MARK (net/netfilter/xt_mark.c, revision 2; iptables extensions/libxt_MARK.c):
 * sets the packet's nfmark and lets it go on to the next rule.
 *
 * iptables-nft loads MARK as the xt target itself (`target name MARK rev 2`;
 * `nft list ruleset` only *displays* it as `meta mark set`), so the kernel's
 * mark_tg runs: `mark = (mark & ~mask) ^ value`. Every option is a way of
 * writing that pair, and iptables-save prints the pair:
 *
 *   --set-xmark v/m   value v, mask m (m defaults to 0xffffffff)
 *   --set-mark v/m    value v, mask v|m
 *   --and-mark v      value 0, mask ~v
 *   --or-mark v       value v, mask v
 *   --xor-mark v      value v, mask 0
 *
 * MARK is valid in every table and on every hook.
 */
import { XT_CONTINUE } from '../types.js';
import { parseValMask, uintArg } from '../args.js';
import { defineTarget, OptionError, type OptionUse } from '../xt.js';
import { exclusive, hex32 } from './xt-util.js';

export interface MarkConfig {
  readonly value: number;
  readonly mask: number;
}

const OPS = ['set-xmark', 'set-mark', 'and-mark', 'or-mark', 'xor-mark'];

export const markTarget = defineTarget<MarkConfig>({
  name: 'MARK',
  options: OPS.map((name) => ({ name, args: 1 as const })),

  parse(uses) {
    let op: OptionUse | undefined;
    let value = 0;
    let mask = 0;
    for (const u of uses) {
      if (op) throw exclusive('MARK', op, u);
      op = u;
      const name = u.spec.name;
      if (name === 'set-xmark' || name === 'set-mark') {
        const vm = parseValMask('MARK', u);
        value = vm.value;
        mask = name === 'set-mark' ? (vm.value | vm.mask) >>> 0 : vm.mask;
      } else {
        const v = uintArg('MARK', u, 0, 0xffffffff) >>> 0;
        if (name === 'and-mark') [value, mask] = [0, ~v >>> 0];
        else if (name === 'or-mark') [value, mask] = [v, v];
        else [value, mask] = [v, 0];
      }
    }
    if (!op) throw new OptionError('MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required');
    return { value, mask };
  },

  target(config, skb) {
    skb.mark = ((skb.mark & ~config.mask) ^ config.value) >>> 0;
    return XT_CONTINUE;
  },

  save(config) {
    return `--set-xmark ${hex32(config.value)}/${hex32(config.mask)}`;
  },
});
