import { describe, expect, it } from 'vitest';
import { Family } from '../../packet/inet-addr.js';
import { loadRuleset } from './restore.js';
import { findShadowed, formatShadowed } from './shadow.js';

/** A filter table with these INPUT rules (and a user chain `more` for jumps). */
function rules(lines: string[], family = Family.V4): ReturnType<typeof loadRuleset> {
  const text = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':more - [0:0]',
    ...lines.map((l) => `-A INPUT ${l}`),
    'COMMIT',
    '',
  ].join('\n');
  return loadRuleset(text, 'crafted.rules', { family });
}

/** The shadowed rules: `N by A,B` (`=` when redundant). */
function shadowed(lines: string[], family = Family.V4): string[] {
  return findShadowed(rules(lines, family)).map((s) => `${s.rule}${s.redundant ? '=' : ''} by ${s.by.map((b) => b.rule).join(',')}`);
}

describe('shadowed rules, on crafted chains where the answer is known', () => {
  const cases: Array<[string, string[], string[], Family?]> = [
    ['a subnet after its supernet', ['-s 10.0.0.0/8 -j DROP', '-s 10.1.0.0/16 -j ACCEPT'], ['2 by 1']],
    ['a supernet after a subnet is not', ['-s 10.1.0.0/16 -j DROP', '-s 10.0.0.0/8 -j ACCEPT'], []],
    [
      'port ranges that together cover a third',
      ['-p tcp --dport 1:100 -j ACCEPT', '-p tcp --dport 101:200 -j ACCEPT', '-p tcp --dport 50:150 -j ACCEPT'],
      ['3= by 1,2'],
    ],
    ['another protocol is not', ['-p tcp --dport 22 -j ACCEPT', '-p udp --dport 22 -j ACCEPT'], []],
    ['LOG and MARK end nothing', ['-j LOG', '-j MARK --set-mark 1', '-p tcp -j DROP'], []],
    ['a jump to a user chain may return', ['-j more', '-p tcp -j DROP'], []],
    ['a goto does not return', ['-g more', '-p tcp -j DROP'], ['2 by 1']],
    ['RETURN ends the chain', ['-p udp -j RETURN', '-p udp --dport 53 -j ACCEPT'], ['2 by 1']],
    ['REJECT ends it too', ['-s 192.0.2.0/24 -j REJECT', '-s 192.0.2.7 -p tcp --dport 25 -j REJECT'], ['2= by 1']],
    ['a rule with an unknown match can be shadowed', ['-p tcp -j ACCEPT', '-p tcp -m limit --limit 1/s -j DROP'], ['2 by 1']],
    ['but never shadows', ['-p tcp -m limit --limit 1/s -j ACCEPT', '-p tcp --dport 22 -j DROP'], []],
    ['--tcp-flags is not understood: it shadows nothing', ['-p tcp --syn -j DROP', '-p tcp --syn --dport 22 -j DROP'], []],
    ['interface wildcards', ['-i eth+ -j ACCEPT', '-i eth0 -p tcp -j DROP', '-i wlan0 -j DROP'], ['2 by 1']],
    ['! -i and -i together cover every interface', ['! -i eth0 -j DROP', '-i eth0 -j DROP', '-i eth1 -p udp -j ACCEPT'], ['3 by 1']],
    ['+ is every interface', ['-i + -j DROP', '-i lo -j ACCEPT'], ['2 by 1']],
    [
      'negated addresses',
      ['! -s 192.168.0.0/16 -j DROP', '-s 192.168.1.0/24 -j DROP', '-s 192.168.1.5 -j ACCEPT', '-s 192.168.2.0/24 -j ACCEPT', '-s 8.8.8.8 -j ACCEPT'],
      ['3 by 2', '5 by 1'],
    ],
    // multiport (xt) never matches a later fragment; nf_tables' --dport reads one's payload as ports, so it is not shadowed.
    ['multiport does not cover --dport (later fragments)', ['-p tcp -m multiport --dports 22,80,443 -j ACCEPT', '-p tcp --dport 80 -j ACCEPT'], []],
    ['unless the fragments went first', ['-f -j DROP', '-p tcp -m multiport --dports 22,80,443 -j ACCEPT', '-p tcp --dport 80 -j ACCEPT'], ['3 by 1,2']],
    ['multiport after multiport', ['-p tcp -m multiport --dports 22,80:90 -j ACCEPT', '-p tcp -m multiport --dports 85,22 -j ACCEPT'], ['2= by 1']],
    [
      'multiport --ports covers either side',
      ['-p udp -m multiport --ports 53 -j ACCEPT', '-p udp --sport 53 -m multiport --dports 1:65535 -j ACCEPT'],
      ['2= by 1'],
    ],
    [
      'connection states',
      ['-m state --state ESTABLISHED,RELATED -j ACCEPT', '-m conntrack --ctstate ESTABLISHED -j ACCEPT', '-m conntrack --ctstate NEW -j ACCEPT'],
      ['2= by 1'],
    ],
    ['! --ctstate', ['-m conntrack ! --ctstate INVALID -j ACCEPT', '-m state --state NEW -p tcp -j DROP', '-m state --state INVALID -j DROP'], ['2 by 1']],
    [
      'conntrack options other than --ctstate are not understood',
      ['-m conntrack --ctstate NEW --ctproto tcp -j ACCEPT', '-m state --state NEW -p tcp -j DROP'],
      [],
    ],
    // `! --sport A ! --dport B` is one 32-bit compare in nf_tables: it matches unless both are equal.
    [
      'inverted port pairs',
      ['-p tcp ! --sport 1 ! --dport 2 -j DROP', '-p tcp --sport 3 -j ACCEPT', '-p tcp --sport 1 --dport 3 -j ACCEPT', '-p tcp --sport 1 --dport 2 -j ACCEPT'],
      ['2 by 1', '3 by 1'],
    ],
    ['iprange', ['-m iprange --src-range 10.0.0.1-10.0.0.100 -j DROP', '-s 10.0.0.64/27 -j DROP', '-s 10.0.0.64/26 -j DROP'], ['2= by 1']],
    ['-f and ! -f', ['-f -j DROP', '! -f -j DROP', '-p icmp -j ACCEPT'], ['3 by 1,2']],
    ['a mask that is not a prefix never shadows', ['-s 10.0.0.0/255.0.255.0 -j DROP', '-s 10.0.0.0/24 -j DROP'], []],
    ['comments match everything', ['-p tcp -m comment --comment x -j DROP', '-p tcp --dport 22 -m comment --comment y -j DROP'], ['2= by 1']],
    ['IPv6 prefixes', ['-s 2001:db8::/32 -j DROP', '-s 2001:db8:1::/48 -p tcp -j ACCEPT', '-s 2001:db9::/48 -j ACCEPT'], ['2 by 1'], Family.V6],
  ];
  it.each(cases)('%s', (_what, lines, want, family) => {
    expect(shadowed(lines, family ?? Family.V4)).toEqual(want);
  });

  it('names the rules with their file lines, texts, what it did not understand', () => {
    const list = findShadowed(rules(['-p tcp -j ACCEPT', '-p tcp -m limit --limit 1/s --dport 22 -j DROP']));
    expect(list).toEqual([
      {
        table: 'filter',
        chain: 'INPUT',
        rule: 2,
        file: 'crafted.rules',
        line: 7,
        text: '-A INPUT -p tcp -m limit --limit 1/sec -m tcp --dport 22 -j DROP',
        by: [{ rule: 1, line: 6, text: '-A INPUT -p tcp -j ACCEPT' }],
        redundant: false,
        unknown: ['limit'],
      },
    ]);
    expect(formatShadowed(list, 'crafted.rules', 2)).toBe(
      'crafted.rules: 1 shadowed rule (of 2): earlier rules catch every packet they would match\n' +
        '  crafted.rules:7  filter:INPUT:2  -A INPUT -p tcp -m limit --limit 1/sec -m tcp --dport 22 -j DROP\n' +
        '      never reached: caught, with another target, by\n' +
        '        crafted.rules:6  rule 1  -A INPUT -p tcp -j ACCEPT\n' +
        '      (read without what the analysis does not understand: limit)\n',
    );
  });

  it('a long block list is checked in reasonable time', () => {
    const lines: string[] = [];
    for (let i = 0; i < 1500; i++) lines.push(`-s 10.${i >> 8}.${i & 255}.0/24 -j DROP`);
    lines.push('-s 10.3.7.9 -p tcp --dport 22 -j ACCEPT', '-s 10.200.0.0/16 -j ACCEPT');
    const t0 = Date.now();
    expect(shadowed(lines)).toEqual(['1501 by 776']);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});
