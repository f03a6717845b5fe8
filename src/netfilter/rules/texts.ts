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

/**
 * `ruleTextAt` read from an `iptables-save` text without loading it: the
 * lines themselves, indexed by table and chain on first use. For the text
 * cofw's own save writes (the guest's: canonical lines, `saveRuleset`),
 * each line is what `ruleTextAt` of that text loaded gives (a test compares
 * the two on every golden and corpus rule file), at a fraction of the cost
 * for long rule sets: the drop report needs a few rules' texts, not the
 * rule set.
 *
 * @example
 * const texts = new SaveTexts(saveText);
 * texts.at('filter', 'INPUT', 3); // '-A INPUT -p tcp -m tcp --dport 23 -j DROP'
 */
export class SaveTexts {
  private tables: Map<string, Map<string, { policy: string | undefined; rules: string[] }>> | undefined;

  constructor(private readonly save: string) {}

  /** The text of `rule` (1-based; 0 for the policy) of `chain` in `table`, or undefined when there is none. */
  at(table: string, chain: string, rule: number): string | undefined {
    const c = this.index().get(table)?.get(chain);
    if (!c) return undefined;
    if (rule === 0) return c.policy === undefined ? undefined : `-P ${chain} ${c.policy}`;
    return c.rules[rule - 1];
  }

  private index(): Map<string, Map<string, { policy: string | undefined; rules: string[] }>> {
    if (this.tables) return this.tables;
    const tables = new Map<string, Map<string, { policy: string | undefined; rules: string[] }>>();
    let chains: Map<string, { policy: string | undefined; rules: string[] }> | undefined;
    for (let line of this.save.split('\n')) {
      if (line.startsWith('*')) tables.set(line.slice(1), (chains = new Map()));
      else if (!chains) continue;
      else if (line.startsWith(':')) {
        // :NAME POLICY [packets:bytes], POLICY `-` for a user-defined chain.
        const [name = '', policy = '-'] = line.slice(1).split(' ');
        chains.set(name, { policy: policy === '-' ? undefined : policy, rules: [] });
      } else {
        if (line.startsWith('[')) line = line.slice(line.indexOf('] ') + 2);
        if (!line.startsWith('-A ')) continue;
        const end = line.indexOf(' ', 3);
        chains.get(end < 0 ? line.slice(3) : line.slice(3, end))?.rules.push(line);
      }
    }
    return (this.tables = tables);
  }
}
