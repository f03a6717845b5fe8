/**
 * Rule texts by position: the text `iptables-save` prints for rule N of a
 * chain (`-A CHAIN ...`), or for a built-in chain's policy (rule 0,
 * `-P CHAIN POLICY`), read from a loaded rule set. The drop report and the
 * dropped capture's comments name a drop site by it.
 *
 * @example
 * const rs = loadRuleset(saveText, 'rules.v4');
 * ruleTextAt(rs, 'filter', 'INPUT', 3); // '-A INPUT -p tcp -m tcp --dport 23 -j DROP'
 * ruleTextAt(rs, 'filter', 'INPUT', 0); // '-P INPUT DROP'
 */
import type { Ruleset } from './model.js';
import { ruleLine } from './save.js';

/** The text of `rule` (1-based; 0 for the policy) of `chain` in `table`, or undefined when there is none. */
export function ruleTextAt(rs: Ruleset, table: string, chain: string, rule: number): string | undefined {
  const c = rs.tables.get(table)?.chains.get(chain);
  if (!c) return undefined;
  if (rule === 0) return c.builtin ? `-P ${c.name} ${c.policy}` : undefined;
  const r = c.rules[rule - 1];
  return r ? ruleLine(c.name, r) : undefined;
}
