/**
 * `-m socket` and `-m physdev`: rule text -> iptables-save text and
 * refusals, read from Debian's iptables and ip6tables 1.8.9 (nf_tables) on
 * Linux 6.18 in a network namespace (the kernel's reasons from dmesg). The
 * socket match's counters with no local socket are compared with the
 * kernel's in test/golden/queue-policy.
 */
import { describe, expect, it } from 'vitest';
import { Family } from '../../packet/inet-addr.js';
import { ipv4, tcp } from '../../packet/build.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';
import { Hook } from '../types.js';
import { PHYSDEV_REFUSAL } from './physdev.js';
import { socketMatch } from './socket.js';
import { params, parseCtx, run, skbOf, usesOf } from './test-util.js';

const CHAINS: Record<string, string> = {
  mangle: ':PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n',
  filter: ':INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n',
};

function saved(rule: string, family = Family.V4, table = 'mangle'): string {
  const rs = loadRuleset(`*${table}\n${CHAINS[table]}${rule}\nCOMMIT\n`, 'socket.rules', { family });
  return saveRuleset(rs)
    .split('\n')
    .find((l) => l.startsWith('-A'))!;
}

function refusal(rule: string, family = Family.V4, table = 'mangle'): string {
  try {
    saved(rule, family, table);
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
}

const ROWS: Array<[string, string]> = [
  ['-A PREROUTING -m socket', '-A PREROUTING -m socket'],
  ['-A PREROUTING -m socket --transparent', '-A PREROUTING -m socket --transparent'],
  ['-A PREROUTING -m socket --nowildcard', '-A PREROUTING -m socket --nowildcard'],
  ['-A PREROUTING -m socket --restore-skmark', '-A PREROUTING -m socket --restore-skmark'],
  ['-A PREROUTING -m socket --restore-skmark --nowildcard --transparent', '-A PREROUTING -m socket --transparent --nowildcard --restore-skmark'],
  ['-A INPUT -m socket', '-A INPUT -m socket'],
];

describe('socket', () => {
  it.each(ROWS)('save %s', (r, s) => expect(saved(r)).toBe(s));
  it('is valid from PREROUTING and INPUT only, both families', () => {
    expect(saved('-A PREROUTING -m socket --transparent', Family.V6)).toBe('-A PREROUTING -m socket --transparent');
    expect(refusal('-A OUTPUT -m socket')).toMatch(/socket match: used from hooks OUTPUT, but only valid from PREROUTING\/INPUT/);
    expect(refusal('-A FORWARD -m socket', Family.V6)).toMatch(/socket match: used from hooks FORWARD, but only valid from PREROUTING\/INPUT/);
    expect(refusal('-A PREROUTING -m socket ! --transparent')).toMatch(/cannot be inverted/);
  });
  it('finds no local socket: false, and no mark restored', () => {
    const s = skbOf(ipv4({ src: '203.0.113.7', dst: '198.51.100.1' }, tcp({ sport: 1, dport: 22 })));
    for (const t of ['', '--transparent', '--nowildcard', '--transparent --nowildcard --restore-skmark']) {
      const c = socketMatch.parse(usesOf(socketMatch, t), parseCtx());
      expect(run(socketMatch, c, s, params(Hook.PreRouting)).matched).toBe(false);
    }
    expect(s.mark).toBe(0);
  });
});

describe('physdev', () => {
  it('is refused with the reason: no bridge in the machine', () => {
    const m = refusal('-A FORWARD -m physdev --physdev-is-bridged -j ACCEPT', Family.V4, 'filter');
    expect(m).toContain(PHYSDEV_REFUSAL);
    expect(m).toMatch(/has no bridge.*declare the bridge in the machine file \(`bridges:`.*match the routed interface with -i\/-o instead/);
    expect(refusal('-A FORWARD -m physdev --physdev-in eth0 ! --physdev-out eth1', Family.V6, 'filter')).toContain(PHYSDEV_REFUSAL);
  });
  it("gives iptables' own message for a malformed rule first", () => {
    expect(refusal('-A FORWARD -m physdev', Family.V4, 'filter')).toMatch(/PHYSDEV: no physdev option specified/);
    expect(refusal('-A FORWARD -m physdev --physdev-in 0123456789abcdef', Family.V4, 'filter')).toMatch(
      /interface name `0123456789abcdef' must be shorter than IFNAMSIZ \(15\)/,
    );
    expect(refusal('-A FORWARD -m physdev --physdev-in', Family.V4, 'filter')).toMatch(/requires an argument|requires/);
  });
});
