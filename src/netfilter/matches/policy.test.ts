/**
 * `-m policy`: rule text -> iptables-save text and refusals, read from
 * Debian's iptables and ip6tables 1.8.9 (nf_tables) on Linux 6.18 in a
 * network namespace (restore, then save; the kernel's reasons from dmesg),
 * and what it answers on a guest without IPsec.
 */
import { describe, expect, it } from 'vitest';
import { Family } from '../../packet/inet-addr.js';
import { ipv4, udp } from '../../packet/build.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';
import { Hook } from '../types.js';
import { policyMatch } from './policy.js';
import { params, parseCtx, run, skbOf, usesOf } from './test-util.js';

function saved(rule: string, family = Family.V4): string {
  const rs = loadRuleset(`*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rule}\nCOMMIT\n`, 'policy.rules', { family });
  return saveRuleset(rs)
    .split('\n')
    .find((l) => l.startsWith('-A'))!;
}

function refusal(rule: string, family = Family.V4): string {
  try {
    saved(rule, family);
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
}

/** [rule, what iptables-save printed]. */
const ROWS: Array<[string, string]> = [
  ['-A INPUT -m policy --dir in --pol none', '-A INPUT -m policy --dir in --pol none'],
  ['-A INPUT -m policy --dir in --pol ipsec', '-A INPUT -m policy --dir in --pol ipsec'],
  ['-A INPUT -m policy --dir in', '-A INPUT -m policy --dir in --pol ipsec'],
  [
    '-A OUTPUT -m policy --dir out --pol ipsec --strict --reqid 1 --spi 0x10 --proto esp --mode tunnel --tunnel-src 10.0.0.1/24 --tunnel-dst 10.0.0.2 --next --reqid 2 --proto ah --mode transport',
    '-A OUTPUT -m policy --dir out --pol ipsec --strict --reqid 1 --spi 0x10 --proto esp --mode tunnel --tunnel-dst 10.0.0.2 --tunnel-src 10.0.0.1/24 --next --reqid 2 --proto ah --mode transport',
  ],
  ['-A FORWARD -m policy --dir in --pol ipsec', '-A FORWARD -m policy --dir in --pol ipsec'],
  ['-A FORWARD -m policy --dir out --pol ipsec', '-A FORWARD -m policy --dir out --pol ipsec'],
  ['-A INPUT -m policy --dir in --pol ipsec --reqid 5', '-A INPUT -m policy --dir in --pol ipsec --reqid 5'],
  ['-A INPUT -m policy --dir in --pol none --reqid 5', '-A INPUT -m policy --dir in --pol none'],
  ['-A INPUT -m policy --dir in --pol ipsec --proto ipcomp', '-A INPUT -m policy --dir in --pol ipsec --proto ipcomp'],
  ['-A INPUT -m policy --dir in --pol ipsec --proto 108', '-A INPUT -m policy --dir in --pol ipsec --proto ipcomp'],
  ['-A INPUT -m policy --dir in --pol ipsec --proto 51', '-A INPUT -m policy --dir in --pol ipsec --proto ah'],
  ['-A INPUT -m policy --dir in --pol ipsec --proto IPSEC-ESP', '-A INPUT -m policy --dir in --pol ipsec --proto esp'],
  ['-A INPUT -m policy --dir in --pol ipsec --proto 0x32', '-A INPUT -m policy --dir in --pol ipsec --proto esp'],
  ['-A INPUT -m policy --dir in --pol ipsec --reqid 0', '-A INPUT -m policy --dir in --pol ipsec --reqid 0'],
  [
    '-A INPUT -m policy --dir in --pol ipsec --strict --reqid 1 --next --reqid 2 --next --reqid 3 --next --reqid 4',
    '-A INPUT -m policy --dir in --pol ipsec --strict --reqid 1 --next --reqid 2 --next --reqid 3 --next --reqid 4',
  ],
  [
    '-A INPUT -m policy --dir in --pol ipsec ! --reqid 5 ! --spi 7 ! --proto 50 --mode tunnel ! --tunnel-src 1.2.3.4 ! --tunnel-dst 1.2.3.0/255.255.255.0',
    '-A INPUT -m policy --dir in --pol ipsec ! --reqid 5 ! --spi 0x7 ! --proto esp --mode tunnel ! --tunnel-dst 1.2.3.0/24 ! --tunnel-src 1.2.3.4',
  ],
  [
    '-A INPUT -m policy --dir in --pol ipsec ! --mode transport --tunnel-src 1.2.3.4',
    '-A INPUT -m policy --dir in --pol ipsec ! --mode transport --tunnel-src 1.2.3.4',
  ],
  ['-A INPUT -m policy --dir in --pol ipsec --tunnel-src 1.2.3.4 --mode tunnel', '-A INPUT -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 1.2.3.4'],
  [
    '-A INPUT -m policy --dir in --pol ipsec --strict --reqid 3 --spi 3 --proto esp',
    '-A INPUT -m policy --dir in --pol ipsec --strict --reqid 3 --spi 0x3 --proto esp',
  ],
  // A prefix beyond 32 is read as a mask written as an address (0.0.0.33): its holes leave the host mask.
  [
    '-A INPUT -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 1.2.3.4/33',
    '-A INPUT -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 1.2.3.4',
  ],
  [
    '-A INPUT -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 1.2.3.4/0',
    '-A INPUT -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 1.2.3.4/0',
  ],
  [
    '-A INPUT -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 1.2.3.4/255.0.255.0',
    '-A INPUT -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 1.2.3.4',
  ],
  ['-A INPUT -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 10.1', '-A INPUT -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 10.0.0.1'],
];

/** The same in ip6tables. */
const ROWS6: Array<[string, string]> = [
  [
    '-A INPUT -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 2001:db8::1/64 --tunnel-dst ::1',
    '-A INPUT -m policy --dir in --pol ipsec --mode tunnel --tunnel-dst ::1 --tunnel-src 2001:db8::1/64',
  ],
  [
    '-A INPUT -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 2001:db8::1/ffff::',
    '-A INPUT -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 2001:db8::1/16',
  ],
  [
    '-A INPUT -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 2001:db8::1/ff00:ff::',
    '-A INPUT -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 2001:db8::1',
  ],
];

/** [rule, the message iptables or the kernel gave]. */
const REFUSED: Array<[string, string | RegExp]> = [
  ['-A INPUT -m policy --pol ipsec', 'policy match: neither --dir in nor --dir out specified'],
  ['-A INPUT -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 1.2.3.4 ! --reqid 5 ! --mode tunnel', /double --mode option/],
  ['-A INPUT -m policy --dir in --pol ipsec ! --mode tunnel ! --tunnel-src 1.2.3.4', /policy match: --tunnel-src\/--tunnel-dst is only valid in tunnel mode/],
  ['-A INPUT -m policy --dir in --pol ipsec --tunnel-src 1.2.3.4/16', /policy match: --tunnel-src\/--tunnel-dst is only valid in tunnel mode/],
  ['-A INPUT -m policy --dir in --pol ipsec --proto tcp', /policy match: protocol must be ah\/esp\/ipcomp/],
  ['-A INPUT -m policy --dir in --pol ipsec --proto 0', /policy match: protocol must be ah\/esp\/ipcomp/],
  ['-A INPUT -m policy --dir in --pol ipsec --proto all', /policy match: protocol must be ah\/esp\/ipcomp/],
  ['-A INPUT -m policy --dir in --pol ipsec --proto ESP', /unknown protocol "ESP" specified/],
  ['-A INPUT -m policy --dir in --pol ipsec --next', /policy: option "--next" also requires "--strict"\./],
  ['-A INPUT -m policy --dir in --pol ipsec --reqid 1 --next --reqid 2', /policy: option "--next" also requires "--strict"\./],
  [
    '-A INPUT -m policy --dir in --pol ipsec --strict --next',
    /policy match: empty policy element 0\. --strict is in effect, but at least one of reqid, spi, tunnel-src, tunnel-dst, proto or mode is required\./,
  ],
  [
    '-A INPUT -m policy --dir in --pol ipsec --strict --reqid 1 --next --reqid 2 --next --reqid 3 --next --reqid 4 --next --reqid 5',
    /policy match: maximum policy depth reached/,
  ],
  ['-A INPUT -m policy --dir IN --pol IPSEC', /policy_match: invalid dir "IN"/],
  ['-A INPUT -m policy --dir in --pol NONE', /policy match: invalid policy "NONE"/],
  ['-A INPUT -m policy --dir in --pol foo', /policy match: invalid policy "foo"/],
  ['-A INPUT -m policy --dir in --pol ipsec --mode Tunnel', /policy match: invalid mode "Tunnel"/],
  ['-A INPUT -m policy --dir in --pol ipsec --reqid 1 --reqid 2', /policy match: double --reqid option/],
  ['-A INPUT -m policy --dir in --pol ipsec --strict --reqid 1 --next --spi 2 --spi 3', /policy match: double --spi option/],
  ['-A INPUT -m policy --dir in --pol none --strict', /policy match: policy none but --strict given/],
  ['-A INPUT -m policy --dir in --pol none --strict --reqid 1 --next --reqid 2', /policy match: policy none but --strict given/],
  ['-A INPUT -m policy --dir in --pol none --reqid 1 --next --reqid 2', /policy match: policy none but policy given/],
  ['-A INPUT -m policy --dir in --pol ipsec --spi -1', /policy: bad value for option "--spi", or out of range \(0-4294967295\)\./],
  ['-A INPUT -m policy --dir in --pol ipsec --reqid 4294967296', /policy: bad value for option "--reqid", or out of range \(0-4294967295\)\./],
  ['-A INPUT -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 1.2.3.4,5.6.7.8', /getaddrinfo: Name or service not known/],
  ['-A INPUT -m policy ! --dir in --pol none', /cannot be inverted/],
  ['-A INPUT -m policy --dir in ! --pol none', /cannot be inverted/],
  // The kernel's policy_mt_check (dmesg).
  ['-A INPUT -m policy --dir out --pol none', /xt_policy: output policy not valid in PREROUTING and INPUT/],
  ['-A OUTPUT -m policy --dir in --pol none', /xt_policy: input policy not valid in POSTROUTING and OUTPUT/],
];

const REFUSED6: Array<[string, RegExp]> = [
  ['-A INPUT -m policy --dir out --pol none', /xt_policy: output policy not valid in PREROUTING and INPUT/],
  ['-A OUTPUT -m policy --dir in --pol none', /xt_policy: input policy not valid in POSTROUTING and OUTPUT/],
  [
    '-A INPUT -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 2001:db8::1/129',
    /policy: bad value for option "--tunnel-src", neither a valid network mask nor valid CIDR \(0-128\)\./,
  ],
  ['-A INPUT -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 10.0.0.1', /Address family for hostname not supported/],
];

describe('policy', () => {
  it.each(ROWS)('save %s', (r, s) => expect(saved(r)).toBe(s));
  it.each(ROWS6)('save (ip6tables) %s', (r, s) => expect(saved(r, Family.V6)).toBe(s));
  it.each(REFUSED)('refuses %s', (r, m) => expect(refusal(r)).toMatch(m));
  it.each(REFUSED6)('refuses (ip6tables) %s', (r, m) => expect(refusal(r, Family.V6)).toMatch(m));

  it('matches as on a host without IPsec: --pol none always, --pol ipsec never, whatever the elements', () => {
    const s = skbOf(ipv4({ src: '203.0.113.1', dst: '198.51.100.1' }, udp({ sport: 500, dport: 500 })));
    const m = (t: string, hook: Hook): boolean => run(policyMatch, policyMatch.parse(usesOf(policyMatch, t), parseCtx()), s, params(hook)).matched;
    expect(m('--dir in --pol none', Hook.LocalIn)).toBe(true);
    expect(m('--dir in --pol ipsec', Hook.LocalIn)).toBe(false);
    expect(m('--dir in --pol ipsec ! --reqid 1', Hook.LocalIn)).toBe(false);
    expect(m('--dir in --pol ipsec --strict ! --proto esp', Hook.Forward)).toBe(false);
    expect(m('--dir out --pol none', Hook.PostRouting)).toBe(true);
    expect(m('--dir out --pol ipsec', Hook.LocalOut)).toBe(false);
  });
});
