/**
 * `-m state --state INVALID,NEW,RELATED,ESTABLISHED,UNTRACKED` (with `!`).
 * iptables-nft runs it as xt_conntrack revision 3 with only the state set;
 * iptables-save prints it back as `-m state`.
 *
 * @example
 * -m state --state RELATED,ESTABLISHED
 * -m state ! --state INVALID,NEW,UNTRACKED
 */
import { defineMatch, type OptionSpec } from '../../xt.js';
import { checkMandatory, checkUses } from '../../matches/util.js';
import { formatStates, parseStates, stateBit } from './states.js';

export interface StateConfig {
  readonly mask: number;
  readonly invert: boolean;
}

const OPTIONS: readonly OptionSpec[] = [{ name: 'state', args: 1, invert: true, mandatory: true }];

export const stateMatch = defineMatch<StateConfig>({
  name: 'state',
  options: OPTIONS,
  parse(uses) {
    checkUses('state', uses);
    checkMandatory('state', uses, ['state']);
    const u = uses[0]!;
    return { mask: parseStates(u.args[0]!, false, 'state', u), invert: u.invert };
  },
  save(c) {
    return `${c.invert ? '! ' : ''}--state ${formatStates(c.mask)}`;
  },
  match(c, skb) {
    return ((c.mask & stateBit(skb)) !== 0) !== c.invert;
  },
});
