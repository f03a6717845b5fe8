/**
 * SNPT and DNPT: rule text -> ip6tables-save text and refusals, as Debian's
 * ip6tables 1.8.9 (nf_tables) on Linux 6.18 printed and refused them in a
 * network namespace; the prefix mapping against RFC 6296's worked example
 * (test/golden/xt-targets holds the kernel's own rewritten packets).
 */
import { describe, expect, it } from 'vitest';
import { ipv6, udp } from '../../packet/build.js';
import { l4Checksum6 } from '../../packet/checksum.js';
import { Family, parseIPv6 } from '../../packet/inet-addr.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';
import { Hook, NF_DROP, Skb, XT_CONTINUE } from '../types.js';
import { dnptTarget, nptAdjustment, snptTarget, type NptConfig } from './npt.js';
import { ETH0, params, recorder } from './test-services.js';

function load(rule: string, table = 'mangle'): string {
  try {
    const rs = loadRuleset(`*${table}\n:X - [0:0]\n${rule}\nCOMMIT\n`, 'test.v6', { family: Family.V6 });
    return saveRuleset(rs)
      .split('\n')
      .filter((l) => l.startsWith('-A'))
      .at(-1)!;
  } catch (e) {
    return `refused: ${(e as Error).message}`;
  }
}

describe('SNPT and DNPT parsing and saving (ip6tables 1.8.9)', () => {
  it.each([
    ['-A PREROUTING -j DNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/48', '-A PREROUTING -j DNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/48'],
    ['-A OUTPUT -j DNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/48', '-A OUTPUT -j DNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/48'],
    [
      '-A POSTROUTING -j SNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/56',
      '-A POSTROUTING -j SNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/56',
    ],
    ['-A INPUT -j SNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/56', '-A INPUT -j SNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/56'],
    ['-A PREROUTING -j DNPT --src-pfx ::/0 --dst-pfx 2001:db8:2::/64', '-A PREROUTING -j DNPT --dst-pfx 2001:db8:2::/64'],
    ['-A PREROUTING -j DNPT --src-pfx 2001:db8:2::/64 --dst-pfx ::/0', '-A PREROUTING -j DNPT --src-pfx 2001:db8:2::/64'],
    ['-A PREROUTING -j DNPT --src-pfx ::/0 --dst-pfx ::/0', '-A PREROUTING -j DNPT'],
    [
      '-A PREROUTING -j DNPT --src-pfx 2001:db8:1::/ffff:ffff:ffff:: --dst-pfx 2001:0db8:0002:0000::/64',
      '-A PREROUTING -j DNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/64',
    ],
    ['-A PREROUTING -j DNPT --src-pfx 2001:db8:1::/ffff:ffff:ffff:0:: --dst-pfx ::/ffff::', '-A PREROUTING -j DNPT --src-pfx 2001:db8:1::/48 --dst-pfx ::/16'],
    ['-A X -j DNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/48', '-A X -j DNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/48'],
  ])('%s', (rule, want) => {
    expect(load(rule)).toBe(want);
  });

  it.each([
    // ip6tables' own refusals.
    ['-A PREROUTING -j DNPT --src-pfx 2001:db8:1::/48', 'DNPT: option "--dst-pfx" must be specified'],
    ['-A PREROUTING -j DNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/48 --src-pfx 2001:db8:3::/48', 'DNPT: option "--src-pfx" can only be used once.'],
    ['-A PREROUTING -j DNPT ! --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/48', 'DNPT: option "--src-pfx" cannot be inverted.'],
    [
      '-A PREROUTING -j DNPT --src-pfx 2001:db8:1::/x --dst-pfx 2001:db8:2::/48',
      'DNPT: bad value for option "--src-pfx", neither a valid network mask nor valid CIDR (0-128).',
    ],
    ['-A PREROUTING -j DNPT --src-pfx 2001:db8:1::/129 --dst-pfx 2001:db8:2::/48', 'neither a valid network mask nor valid CIDR (0-128).'],
    ['-A PREROUTING -j DNPT --src-pfx 10.0.0.1/8 --dst-pfx 2001:db8:2::/48', 'getaddrinfo: Address family for hostname not supported'],
    // The kernel's (RULE_APPEND failed (Invalid argument)).
    ['-A PREROUTING -j DNPT --src-pfx 2001:db8:1::/65 --dst-pfx 2001:db8:2::/48', 'at most 64'],
    ['-A PREROUTING -j DNPT --src-pfx 2001:db8:1:: --dst-pfx 2001:db8:2::/48', 'at most 64'],
    ['-A PREROUTING -j DNPT --src-pfx 2001:db8:1::/ffff:0:ffff:: --dst-pfx 2001:db8:2::/48', 'at most 64'],
    ['-A POSTROUTING -j SNPT --src-pfx 2001:db8:1::5/48 --dst-pfx 2001:db8:2::/48', 'bits set past its length'],
    ['-A POSTROUTING -j SNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2:0:7::/56', 'bits set past its length'],
    ['-A PREROUTING -j DNPT --src-pfx 2001:db8:1::/ffff:ffff:: --dst-pfx 2001:db8:2::/48', 'bits set past its length'],
    ['-A INPUT -j DNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/48', 'hook INPUT'],
    ['-A FORWARD -j SNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/48', 'hook FORWARD'],
    ['-A OUTPUT -j SNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/48', 'hook OUTPUT'],
  ])('refuses %s', (rule, why) => {
    expect(load(rule)).toContain(why);
  });

  it('is valid in the mangle table only, and from a user chain only as its hooks reach it', () => {
    expect(load('-A PREROUTING -j DNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/48', 'nat')).toMatch(/^refused: .*mangle/);
    expect(load('-A PREROUTING -j DNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/48', 'raw')).toMatch(/^refused: .*mangle/);
    expect(load('-A OUTPUT -j DNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/48', 'filter')).toMatch(/^refused: .*mangle/);
    expect(load('-A X -j DNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/48\n-A PREROUTING -j X\n-A INPUT -j X')).toMatch(
      /^refused: test.v6:5:.*hook INPUT/,
    );
  });

  it('is not an iptables target', () => {
    expect(() => loadRuleset('*mangle\n-A PREROUTING -j DNPT --src-pfx 10.0.0.0/8 --dst-pfx 10.1.0.0/16\nCOMMIT\n', 't.v4')).toThrow();
  });
});

function config(target: typeof snptTarget, src: string, dst: string): NptConfig {
  const opt = (name: string, arg: string) => ({
    spec: target.options.find((o) => o.name === name)!,
    written: name,
    args: [arg],
    invert: false,
    pos: { line: 1, column: 1 },
  });
  const ctx = { family: Family.V6, table: 'mangle', chain: 'POSTROUTING', head: { proto: 0, invProto: false, fragment: false, invFragment: false } };
  return target.parse([opt('src-pfx', src), opt('dst-pfx', dst)], ctx);
}

describe('SNPT and DNPT on packets', () => {
  it("maps RFC 6296's example: fd01:203:405:1::1234 -> 2001:db8:1:d550::1234, and back", () => {
    const c = config(snptTarget, 'fd01:203:405::/48', '2001:db8:1::/48');
    const ip = ipv6({ src: 'fd01:203:405:1::1234', dst: '2001:db8:99::1' }, udp({ sport: 1000, dport: 53, payload: new Uint8Array(8) }));
    const skb = new Skb().loadV6(ip);
    expect(snptTarget.target(c, skb, params(recorder(), Hook.PostRouting, null, ETH0))).toBe(XT_CONTINUE);
    expect(skb.src.toString()).toBe('2001:db8:1:d550::1234');
    // Checksum-neutral: the UDP checksum still verifies.
    expect(l4Checksum6(skb.data, 40, skb.totLen - 40, 17)).toBe(0);
    const back = config(dnptTarget, '2001:db8:1::/48', 'fd01:203:405::/48');
    const reply = ipv6({ src: '2001:db8:99::1', dst: '2001:db8:1:d550::1234' }, udp({ sport: 53, dport: 1000 }));
    const r = new Skb().loadV6(reply);
    expect(dnptTarget.target(back, r, params(recorder(), Hook.PreRouting, ETH0, null))).toBe(XT_CONTINUE);
    expect(r.dst.toString()).toBe('fd01:203:405:1::1234');
  });

  it('writes 0xffff as 0 and, past /48, adjusts the first word of the interface id that is not 0xffff', () => {
    const c = config(snptTarget, 'fd01:203:405:1::/64', '2001:db8:1:2::/64');
    const ip = ipv6({ src: 'fd01:203:405:1:ffff:5::1', dst: '2001:db8:99::1' }, udp({ sport: 1, dport: 2, payload: new Uint8Array(4) }));
    const skb = new Skb().loadV6(ip);
    snptTarget.target(c, skb, params(recorder(), Hook.PostRouting, null, ETH0));
    expect(skb.src.toString().startsWith('2001:db8:1:2:ffff:')).toBe(true);
    expect(l4Checksum6(skb.data, 40, skb.totLen - 40, 17)).toBe(0);
  });

  it('drops an address whose interface id is all ones and answers with a parameter problem', () => {
    const c = config(dnptTarget, '2001:db8:1::/64', 'fd00:1::/64');
    const ip = ipv6({ src: '2001:db8:99::1', dst: '2001:db8:1:0:ffff:ffff:ffff:ffff' }, udp({ sport: 1, dport: 2 }));
    const g = recorder();
    const skb = new Skb().loadV6(ip);
    expect(dnptTarget.target(c, skb, params(g, Hook.PreRouting, ETH0, null))).toBe(NF_DROP);
    expect(g.sent).toHaveLength(1);
    const e = g.sent[0]!;
    expect([e[40], e[41], e[47]]).toEqual([4, 0, 24]);
    // The quoted packet's destination prefix was already rewritten.
    expect(parseIPv6('fd00:1::ffff:ffff:ffff:ffff')!.equals(new Skb().loadV6(e.subarray(48)).dst)).toBe(true);
  });

  it('computes the adjustment as ip6t_npt_checkentry', () => {
    expect(nptAdjustment(parseIPv6('fd01:203:405::')!, parseIPv6('2001:db8:1::')!).toString(16)).toBe('d54f');
  });
});
