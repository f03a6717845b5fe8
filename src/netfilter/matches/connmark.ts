/**
 * `-m connmark` (xt_connmark.c / libxt_connmark.c revision 1):
 * `[!] --mark value[/mask]` tests the mark of the packet's conntrack entry,
 * `(ct->mark & mask) == value`, inverted by `!`. A packet without an entry
 * (untracked, invalid, or conntrack not running) matches neither way, as
 * nf_ct_get returns NULL and the kernel returns false before the XOR.
 *
 * Unlike `-m mark`, iptables-nft 1.8.9 keeps this one as the xt module
 * (`match name connmark rev 1`); its use makes the kernel register
 * conntrack's hooks (the stack's CONNTRACK_USERS lists it).
 *
 * @example
 * -m connmark ! --mark 0x1/0xff
 */
import { defineMatch, type OptionSpec } from '../xt.js';
import type { Conn } from '../conntrack/conn.js';
import { parseMarkMask, saveMarkMask, type MarkMatchConfig } from './mark.js';

const OPTIONS: readonly OptionSpec[] = [{ name: 'mark', args: 1, invert: true, mandatory: true }];

export const connmarkMatch = defineMatch<MarkMatchConfig>({
  name: 'connmark',
  options: OPTIONS,
  parse(uses) {
    return parseMarkMask('connmark', uses);
  },
  save: saveMarkMask,
  match(c, skb) {
    const ct = skb.ct;
    if (ct === null) return false;
    return ((ct.mark & c.mask) >>> 0 === c.mark) !== c.invert;
  },
});
