/**
 * The family seam in the rule loader and the engine: an ip6tables rule file
 * loads into the same model (addresses of its family), saves as
 * ip6tables-save prints it, and runs on the packet's IPv6 addresses; modules
 * registered for one family are refused in the other with iptables' words.
 */
import { describe, expect, it } from 'vitest';
import { Family, InetAddr, parseInetAddr } from '../../packet/inet-addr.js';
import { CompiledTable } from '../engine.js';
import { Hook, NF_ACCEPT, NF_DROP, Skb, type XtParams } from '../types.js';
import { defineMatch, defineTarget } from '../xt.js';
import { RuleFileErrors } from './api.js';
import { loadRuleset } from './restore.js';
import { saveRuleset } from './save.js';

function v6(...lines: string[]): string {
  return ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ...lines, 'COMMIT', ''].join('\n');
}

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof RuleFileErrors) return e.message;
    throw e;
  }
  throw new Error('expected a rule file error');
}

describe('ip6tables rule files', () => {
  it('load IPv6 addresses and save them as ip6tables-save prints them', () => {
    const rs = loadRuleset(
      v6(
        '-A INPUT -s 2001:DB8:0:0::1 -j DROP',
        '-A INPUT -d 2001:db8:100::/40 -j ACCEPT',
        '-A INPUT ! -s ::ffff:192.0.2.1/128 -j DROP',
        '-A FORWARD -s 2001:db8::/ffff:ffff:0:ffff:: -j DROP',
      ),
      'rules.v6',
      { family: Family.V6 },
    );
    expect(rs.family).toBe(Family.V6);
    const text = saveRuleset(rs, { counters: false });
    expect(text).toContain('-A INPUT -s 2001:db8::1/128 -j DROP\n');
    expect(text).toContain('-A INPUT -d 2001:db8:100::/40 -j ACCEPT\n');
    expect(text).toContain('-A INPUT ! -s ::ffff:192.0.2.1/128 -j DROP\n');
    expect(text).toContain('-A FORWARD -s 2001:db8::/ffff:ffff:0:ffff:: -j DROP\n');
  });

  it('refuse an address of the other family, saying where it belongs', () => {
    expect(errorOf(() => loadRuleset(v6('-A INPUT -s 192.0.2.1 -j DROP'), 'rules.v6', { family: Family.V6 }))).toMatch(
      /rules\.v6:5:.*host\/network `192\.0\.2\.1' not found: an IPv4 address belongs in iptables rules/,
    );
    expect(errorOf(() => loadRuleset(v6('-A INPUT -s 2001:db8::1 -j DROP'), 'rules.v4'))).toMatch(/an IPv6 address belongs in ip6tables rules/);
    expect(errorOf(() => loadRuleset(v6('-A INPUT -s 2001:db8::/129 -j DROP'), 'rules.v6', { family: Family.V6 }))).toMatch(
      /invalid mask `129' specified: expected a prefix length 0-128/,
    );
  });

  it('take -6 lines in ip6tables files and skip -4 lines, and the reverse', () => {
    const rules = v6('-4 -A INPUT -s 192.0.2.1 -j DROP', '-6 -A INPUT -s 2001:db8::1 -j DROP');
    expect(saveRuleset(loadRuleset(rules, 'rules.v6', { family: Family.V6 }), { counters: false })).toContain('-A INPUT -s 2001:db8::1/128 -j DROP\n');
    expect(saveRuleset(loadRuleset(rules, 'rules.v6', { family: Family.V6 }), { counters: false })).not.toContain('192.0.2.1');
  });
});

describe('the engine on IPv6 packets', () => {
  const rs = loadRuleset(v6('-A INPUT -s 2001:db8:1::/48 -j DROP', '-A INPUT ! -d 2001:db8:100::1/128 -j DROP'), 'rules.v6', { family: Family.V6 });
  const table = new CompiledTable(rs.tables.get('filter')!, Family.V6);
  const par = { hook: Hook.LocalIn, table: 'filter', inDev: null, outDev: null, hotdrop: false, services: {} } as unknown as XtParams;
  const packet = (src: string, dst: string): Skb => {
    const skb = new Skb();
    skb.family = Family.V6;
    skb.src.copyFrom(parseInetAddr(src)!);
    skb.dst.copyFrom(parseInetAddr(dst)!);
    skb.totLen = 60;
    return skb;
  };

  it('tests all four words of both addresses, with inversion', () => {
    expect(table.run(packet('2001:db8:1:ffff::9', '2001:db8:100::1'), par)).toBe(NF_DROP);
    expect(table.site).toEqual({ chain: 'INPUT', rule: 1 });
    expect(table.run(packet('2001:db8:2::9', '2001:db8:100::2'), par)).toBe(NF_DROP);
    expect(table.site).toEqual({ chain: 'INPUT', rule: 2 });
    expect(table.run(packet('2001:db8:2::9', '2001:db8:100::1'), par)).toBe(NF_ACCEPT);
    expect(table.site).toEqual({ chain: 'INPUT', rule: 0 });
    const filter = rs.tables.get('filter')!.chains.get('INPUT')!;
    expect(filter.rules.map((r) => r.packets)).toEqual([1, 1]);
    expect(filter.packets).toBe(1);
  });

  it('keeps an IPv4 address from matching its IPv4-mapped IPv6 twin', () => {
    expect(InetAddr.v4(0xc0000201).equals(parseInetAddr('::ffff:192.0.2.1')!)).toBe(false);
  });
});

describe('modules of one family', () => {
  // Stand-ins registered only for the test: the loader's family check is what is tested.
  const v4only = defineMatch({ name: 'icmp', family: Family.V4, options: [], parse: () => null, save: () => '', match: () => true });
  it("are refused in the other family with iptables' own words", async () => {
    const { MATCH_BY_NAME, TARGET_BY_NAME } = await import('./restore.js');
    const before = MATCH_BY_NAME.get('icmp');
    MATCH_BY_NAME.set('icmp', v4only);
    try {
      expect(errorOf(() => loadRuleset(v6('-A INPUT -m icmp -j DROP'), 'rules.v6', { family: Family.V6 }))).toMatch(
        /rules\.v6:5:\d+: Couldn't load match `icmp':No such file or directory \(icmp is an iptables match; ip6tables rules cannot use it\)/,
      );
    } finally {
      if (before) MATCH_BY_NAME.set('icmp', before);
    }
    const v4target = defineTarget({ name: 'ONLY4', family: Family.V4, options: [], parse: () => null, save: () => '', target: () => NF_ACCEPT });
    TARGET_BY_NAME.set('ONLY4', v4target);
    try {
      expect(errorOf(() => loadRuleset(v6('-A INPUT -j ONLY4'), 'rules.v6', { family: Family.V6 }))).toMatch(/Couldn't load target `ONLY4'/);
      expect(saveRuleset(loadRuleset(v6('-A INPUT -j ONLY4'), 'rules.v4'), { counters: false })).toContain('-A INPUT -j ONLY4');
    } finally {
      TARGET_BY_NAME.delete('ONLY4');
    }
  });

  it('that cofw emulates for one family only are refused in the other as not emulated', async () => {
    const { MATCH_BY_NAME } = await import('./restore.js');
    MATCH_BY_NAME.set('half', defineMatch({ name: 'half', emulates: Family.V4, options: [], parse: () => null, save: () => '', match: () => true }));
    try {
      expect(errorOf(() => loadRuleset(v6('-A INPUT -m half -j DROP'), 'rules.v6', { family: Family.V6 }))).toMatch(
        /match `half' is not emulated for IPv6 rules yet/,
      );
    } finally {
      MATCH_BY_NAME.delete('half');
    }
  });
});
