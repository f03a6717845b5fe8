import { describe, expect, it } from 'vitest';
import { loadRuleset } from './restore.js';
import { saveRuleset } from './save.js';
import { ruleTextAt } from './texts.js';

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
