/**
 * `CT --timeout NAME` with the machine's timeout policies: which rules load
 * and their iptables-save text, and the refusals with the kernel's reasons.
 * Every row was read from Debian's iptables v1.8.9 (nf_tables) on Linux
 * 6.18 in a network namespace after `nfct add timeout` made the same
 * policies (iptables-restore, iptables-save, ip6tables likewise; the
 * reasons from dmesg).
 */
import { describe, expect, it } from 'vitest';
import { Family } from '../../packet/inet-addr.js';
import type { TimeoutPolicy } from '../conntrack/timeout-policy.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';

const p = (name: string, family: Family, protocol: string, timeouts: Record<string, number> = { timeout: 5 }): TimeoutPolicy => ({
  name,
  family,
  protocol,
  timeouts,
});
const TCP = { established: 100, close: 10 };
const POLICIES: TimeoutPolicy[] = [
  p('short', Family.V4, 'tcp', TCP),
  p('u1', Family.V4, 'udp', { unreplied: 5 }),
  p('g1', Family.V4, 'generic'),
  p('i1', Family.V4, 'icmp'),
  p('i6', Family.V6, 'icmpv6'),
  p('s1', Family.V4, 'sctp', { established: 3 }),
  p('gr', Family.V4, 'gre', { unreplied: 3 }),
  p('ul', Family.V4, 'udplite', { unreplied: 3 }),
  p('short6', Family.V6, 'tcp', TCP),
  ...['a', 'abc', 'abcd', 'abcde', 'abcdefghijkl', 'abcdefghijklmnopqrstuvwxyz01234'].map((n) => p(n, Family.V4, 'tcp', TCP)),
];

const text = (rule: string): string => `*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rule}\nCOMMIT\n`;
function saved(rule: string, family = Family.V4): string {
  const rs = loadRuleset(text(rule), 'r', { family, cttimeout: POLICIES });
  return saveRuleset(rs)
    .split('\n')
    .filter((l) => l.startsWith('-A'))
    .join('\n');
}
function refusal(rule: string, family = Family.V4): string {
  try {
    loadRuleset(text(rule), 'r', { family, cttimeout: POLICIES });
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
}

/** [family, rule, iptables-save's line]. */
const SAVES: Array<[Family, string, string]> = [
  [Family.V4, '-A PREROUTING -p tcp -j CT --timeout a', '-A PREROUTING -p tcp -j CT --timeout a'],
  [Family.V4, '-A PREROUTING -p tcp -j CT --timeout abc', '-A PREROUTING -p tcp -j CT --timeout abc'],
  [Family.V4, '-A PREROUTING -p tcp -j CT --timeout abcd', '-A PREROUTING -p tcp -j CT --timeout abcd'],
  [Family.V4, '-A PREROUTING -p tcp -j CT --timeout abcde', '-A PREROUTING -p tcp -j CT --timeout abcd'],
  [Family.V4, '-A PREROUTING -p tcp -j CT --timeout abcdefghijkl', '-A PREROUTING -p tcp -j CT --timeout abcd'],
  [Family.V4, '-A PREROUTING -p tcp -j CT --timeout abcdefghijklmnopqrstuvwxyz01234', '-A PREROUTING -p tcp -j CT --timeout abcd'],
  // 32 characters: the 31 that fit name the policy.
  [Family.V4, '-A PREROUTING -p tcp -j CT --timeout abcdefghijklmnopqrstuvwxyz012345', '-A PREROUTING -p tcp -j CT --timeout abcd'],
  [Family.V4, '-A PREROUTING -p tcp -j CT --timeout short', '-A PREROUTING -p tcp -j CT --timeout shor'],
  [Family.V4, '-A PREROUTING -p tcp -j CT --timeout short --zone 3 --helper ftp', '-A PREROUTING -p tcp -j CT --helper ftp --timeout shor --zone 3'],
  [Family.V4, '-A PREROUTING -p esp -j CT --timeout g1', '-A PREROUTING -p esp -j CT --timeout g1'],
  [Family.V4, '-A PREROUTING -p dccp -j CT --timeout g1', '-A PREROUTING -p dccp -j CT --timeout g1'],
  [Family.V4, '-A PREROUTING -p udplite -j CT --timeout ul', '-A PREROUTING -p udplite -j CT --timeout ul'],
  [Family.V4, '-A PREROUTING -p sctp -j CT --timeout s1', '-A PREROUTING -p sctp -j CT --timeout s1'],
  [Family.V4, '-A PREROUTING -p gre -j CT --timeout gr', '-A PREROUTING -p gre -j CT --timeout gr'],
  [Family.V4, '-A PREROUTING -p icmp -j CT --timeout i1', '-A PREROUTING -p icmp -j CT --timeout i1'],
  [Family.V4, '-A PREROUTING -p udp -j CT --timeout u1', '-A PREROUTING -p udp -j CT --timeout u1'],
  [Family.V4, '-A OUTPUT -p udp -j CT --notrack --timeout nopeXY', '-A OUTPUT -p udp -j CT --notrack --timeout nope'],
  [Family.V6, '-A PREROUTING -p tcp -j CT --timeout short6', '-A PREROUTING -p tcp -j CT --timeout shor'],
  [Family.V6, '-A PREROUTING -p ipv6-icmp -j CT --timeout i6', '-A PREROUTING -p ipv6-icmp -j CT --timeout i6'],
];

/** [family, rule, the kernel's reason]. */
const REFUSALS: Array<[Family, string, string]> = [
  [Family.V4, '-A PREROUTING -p tcp -j CT --timeout g1', "Timeout policy `g1' can only be used by L4 protocol number 255"],
  [Family.V4, '-A PREROUTING -j CT --timeout short', 'xt_CT: You must specify a L4 protocol and not use inversions on it'],
  [Family.V4, '-A PREROUTING -p all -j CT --timeout short', 'xt_CT: You must specify a L4 protocol and not use inversions on it'],
  [Family.V4, '-A PREROUTING ! -p tcp -j CT --timeout short', 'xt_CT: You must specify a L4 protocol and not use inversions on it'],
  [Family.V4, '-A PREROUTING -p ipv6-icmp -j CT --timeout g1', "Timeout policy `g1' can only be used by L4 protocol number 255"],
  [Family.V4, '-A PREROUTING -p icmp -j CT --timeout g1', "Timeout policy `g1' can only be used by L4 protocol number 255"],
  [Family.V4, '-A PREROUTING -p udp -j CT --timeout short', "Timeout policy `short' can only be used by L4 protocol number 6"],
  [Family.V4, '-A PREROUTING -p tcp -j CT --timeout short6', "Timeout policy `short6' can only be used by L3 protocol number 10"],
  [Family.V4, '-A PREROUTING -p tcp -j CT --timeout nope', 'No such timeout policy "nope" (declare it in the machine file\'s cttimeout:'],
  [Family.V4, '-A PREROUTING -p tcp -j CT --timeout shor', 'No such timeout policy "shor"'],
  [Family.V6, '-A PREROUTING -p icmp -j CT --timeout i6', "Timeout policy `i6' can only be used by L4 protocol number 58"],
  [Family.V6, '-A PREROUTING -p tcp -j CT --timeout short', "Timeout policy `short' can only be used by L3 protocol number 2"],
  [Family.V6, '-A PREROUTING -p udp -j CT --timeout short6', "Timeout policy `short6' can only be used by L4 protocol number 6"],
];

describe('CT --timeout', () => {
  it.each(SAVES)('family %s: %s', (family, rule, want) => {
    expect(saved(rule, family)).toBe(want);
  });

  it.each(REFUSALS)('family %s refuses %s', (family, rule, want) => {
    expect(refusal(rule, family)).toContain(want);
  });

  it('without the machine file declaring it, a policy is refused with the hint', () => {
    expect(() => loadRuleset(text('-A PREROUTING -p tcp -j CT --timeout short'), 'r')).toThrow(
      /No such timeout policy "short" \(declare it in the machine file/,
    );
  });

  it("the guest's own save text, loaded again by the host, names the policy by its first 4 bytes", () => {
    const save = saveRuleset(loadRuleset(text('-A PREROUTING -p tcp -j CT --timeout short --zone 2'), 'r', { cttimeout: POLICIES }));
    const again = loadRuleset(save, 'r', { cttimeout: POLICIES, guestSave: true });
    expect(saveRuleset(again)).toBe(save);
    const rule = [...again.tables.get('raw')!.chains.get('PREROUTING')!.rules][0]!;
    expect((rule.target as { config: { timeoutIndex: number } }).config.timeoutIndex).toBe(1);
  });
});
