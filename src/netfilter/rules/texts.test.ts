import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Family } from '../../packet/inet-addr.js';
import type { Ruleset } from './model.js';
import { loadRuleset } from './restore.js';
import { saveRuleset } from './save.js';
import { SaveTexts, ruleTextAt } from './texts.js';

const RULES = `*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:blocked - [0:0]
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -s 192.0.2.0/255.255.255.0,198.51.100.7 -j blocked
-A blocked -j DROP
COMMIT
`;

describe('rule texts by position', () => {
  it('names rules and built-in policies as iptables-save prints them', () => {
    const rs = loadRuleset(RULES, 'r.v4');
    expect(ruleTextAt(rs, 'filter', 'INPUT', 1)).toBe('-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT');
    // A comma list is several rules, as iptables expands it.
    expect(ruleTextAt(rs, 'filter', 'INPUT', 2)).toBe('-A INPUT -s 192.0.2.0/24 -j blocked');
    expect(ruleTextAt(rs, 'filter', 'INPUT', 3)).toBe('-A INPUT -s 198.51.100.7/32 -j blocked');
    expect(ruleTextAt(rs, 'filter', 'INPUT', 0)).toBe('-P INPUT DROP');
    expect(ruleTextAt(rs, 'filter', 'blocked', 1)).toBe('-A blocked -j DROP');
    expect(ruleTextAt(rs, 'filter', 'blocked', 0)).toBeUndefined();
    expect(ruleTextAt(rs, 'filter', 'INPUT', 4)).toBeUndefined();
    expect(ruleTextAt(rs, 'nat', 'INPUT', 1)).toBeUndefined();
    // Each text is the rule's line in the saved text.
    const saved = saveRuleset(rs).split('\n');
    for (const [t, c, n] of [
      ['filter', 'INPUT', 1],
      ['filter', 'INPUT', 3],
      ['filter', 'blocked', 1],
    ] as const)
      expect(saved).toContain(ruleTextAt(rs, t, c, n));
  });
});

describe('rule texts read from a save text', () => {
  /** Every position of every chain of a rule set, the policy (0) and one past the last rule included. */
  const positions = (rs: Ruleset): Array<[string, string, number]> => {
    const out: Array<[string, string, number]> = [];
    for (const t of rs.tables.values()) for (const c of t.chains.values()) for (let n = 0; n <= c.rules.length + 1; n++) out.push([t.name, c.name, n]);
    return out;
  };

  it('gives what ruleTextAt gives from the same text loaded, for every rule of every golden scenario', () => {
    const golden = new URL('../../../test/golden/', import.meta.url).pathname;
    let rules = 0;
    let sets = 0;
    for (const d of readdirSync(golden)) {
      for (const [file, family] of [
        ['kernel.save', Family.V4],
        ['kernel.save6', Family.V6],
      ] as const) {
        const f = join(golden, d, file);
        if (!existsSync(f)) continue;
        let rs: Ruleset;
        try {
          rs = loadRuleset(readFileSync(f, 'utf8'), f, { family, restoreCounters: true });
        } catch {
          continue; // a rule set that needs its scenario's ipsets or machine
        }
        // The guest's save (canonical lines, with counters), as the host reads it back.
        const save = saveRuleset(rs, { counters: true });
        const loaded = loadRuleset(save, f, { family, restoreCounters: true, guestSave: true });
        const texts = new SaveTexts(save);
        for (const [t, c, n] of positions(loaded)) {
          expect(texts.at(t, c, n), `${d}/${file} ${t} ${c} ${n}`).toBe(ruleTextAt(loaded, t, c, n));
          if (n > 0 && ruleTextAt(loaded, t, c, n)) rules++;
        }
        sets++;
      }
    }
    expect(sets).toBeGreaterThan(100);
    expect(rules).toBeGreaterThan(2000);
    expect(new SaveTexts(save0()).at('nat', 'INPUT', 1)).toBeUndefined();
  });
});

const save0 = (): string => saveRuleset(loadRuleset(RULES, 'r.v4'));
