import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuleset } from '../netfilter/rules/restore.js';
import { Family } from '../packet/inet-addr.js';
import { listRuleset } from './listing.js';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures/listing');

/**
 * The columns iptables 1.8.9 prints (`iptables -L -v -n -x --line-numbers`,
 * recorded from the real command after iptables-restore of the same file)
 * up to the destination; cofw's last column is its own (the save form).
 */
function recorded(file: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync(join(FIXTURES, file), 'utf8').split('\n')) {
    if (line.startsWith('Chain ')) out.push(line);
    else if (/^\d/.test(line)) out.push(line.trim().split(/\s+/).slice(0, 10).join(' '));
  }
  return out;
}

function listed(file: string, family: Family): string[] {
  const rs = loadRuleset(readFileSync(join(FIXTURES, file), 'utf8'), file, { family });
  const out: string[] = [];
  for (const t of listRuleset(rs))
    for (const c of t.chains) {
      out.push(c.header);
      for (const r of c.rules) out.push([r.num, r.pkts, r.bytes, r.target, r.prot, r.opt, r.in, r.out, r.source, r.destination].join(' '));
    }
  return out;
}

describe('listRuleset', () => {
  it('lays out an iptables rule set as iptables -L -v -n -x --line-numbers does', () => {
    expect(listed('rules.v4', Family.V4)).toEqual(recorded('iptables-L.txt'));
  });

  it('and an ip6tables rule set as ip6tables does', () => {
    expect(listed('rules.v6', Family.V6)).toEqual(recorded('ip6tables-L.txt'));
  });

  it("gives the options as iptables-save writes them, a goto as [goto], and counts a user chain's references", () => {
    const rs = loadRuleset(
      '*filter\n:INPUT ACCEPT [3:120]\n:a - [0:0]\n[5:300] -A INPUT -p tcp -m tcp --dport 22 -g a\n-A INPUT -j a\n-A a -j REJECT --reject-with tcp-reset -p tcp\nCOMMIT\n',
      'x.v4',
      { restoreCounters: true },
    );
    const [filter] = listRuleset(rs);
    expect(filter!.command).toBe('iptables');
    const input = filter!.chains.find((c) => c.name === 'INPUT');
    const a = filter!.chains.at(-1);
    expect(input!.header).toBe('Chain INPUT (policy ACCEPT 3 packets, 120 bytes)');
    expect(input!.rules[0]).toMatchObject({ pkts: 5, bytes: 300, target: 'a', options: '-m tcp --dport 22 [goto]' });
    expect(a!.header).toBe('Chain a (2 references)');
    expect(a!.rules[0]!.options).toBe('--reject-with tcp-reset');
  });
});
