/**
 * The matches the kernel registers for both families and cofw once ran on
 * IPv4 headers only, in ip6tables rules: addrtype, recent, hashlimit,
 * connlimit, dscp, tos and ecn. The saved texts and refusals were read
 * from Debian's ip6tables 1.8.9 (nf_tables) on Linux 6.18 in a network
 * namespace (ip6tables-restore, then ip6tables-save); the addrtype answers
 * from the same kernel, with the addresses and routes of the machine below
 * on two veth devices: rules counted the firewall's own packets in OUTPUT
 * and POSTROUTING (--limit-iface-out) and packets sent in from a peer in
 * PREROUTING (--src-type, --limit-iface-in). The rest is the kernel's
 * *_mt6 code on crafted packets.
 */
import { describe, expect, it } from 'vitest';
import { fragHeader, icmp6, ipv4, ipv6, optionsHeader, raw, tcp, udp } from '../../packet/build.js';
import { parseMachineFile } from '../../machine/machine-file.js';
import { Fib } from '../../net/fib.js';
import { Conn } from '../conntrack/conn.js';
import { Hook, type GuestServices, type NetDevice, type Skb } from '../types.js';
import { attachRuleset, type MatchModule } from '../xt.js';
import { Family } from '../../packet/inet-addr.js';
import { loadRuleset } from '../rules/restore.js';
import { addrtypeMatch } from './addrtype.js';
import { connlimitMatch, connlimitMatches, type ConnlimitView } from './connlimit.js';
import { dscpMatch } from './dscp.js';
import { ecnMatch } from './ecn.js';
import { hashlimitMatch } from './hashlimit.js';
import { recentMatch } from './recent.js';
import { tosMatch } from './tos.js';
import { checkCtx6, params, parseCtx, parseCtx6, run, save6, services, skb6, skbOf, usesOf } from './test-util.js';

/** [rule as written, as ip6tables-save prints it]. */
const SAVE6: Array<[string, string]> = [
  ['-A INPUT -m dscp --dscp 10', '-A INPUT -m dscp --dscp 0x0a'],
  ['-A INPUT -m dscp ! --dscp-class EF', '-A INPUT -m dscp ! --dscp 0x2e'],
  ['-A INPUT -m tos --tos 0x10', '-A INPUT -m tos --tos 0x10/0xff'],
  ['-A INPUT -m tos ! --tos Minimize-Delay', '-A INPUT -m tos ! --tos 0x10/0x3f'],
  ['-A INPUT -m ecn --ecn-ip-ect 2', '-A INPUT -m ecn --ecn-ip-ect 2'],
  ['-A INPUT -p tcp -m ecn ! --ecn-tcp-ece --ecn-tcp-cwr --ecn-ip-ect 1', '-A INPUT -p tcp -m ecn ! --ecn-tcp-ece --ecn-tcp-cwr --ecn-ip-ect 1'],
  ['-A INPUT -m recent --set', '-A INPUT -m recent --set --name DEFAULT --mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff --rsource'],
  [
    '-A INPUT -m recent --rcheck --seconds 60 --hitcount 3 --rttl --name X --mask ffff:ffff:: --rdest',
    '-A INPUT -m recent --rcheck --seconds 60 --hitcount 3 --rttl --name X --mask ffff:ffff:: --rdest',
  ],
  ['-A INPUT -m recent --update --mask 2001:db8::1 --name Y', '-A INPUT -m recent --update --name Y --mask 2001:db8::1 --rsource'],
  ['-A INPUT -m recent --set --mask ::ffff:1.2.3.4', '-A INPUT -m recent --set --name DEFAULT --mask ::ffff:1.2.3.4 --rsource'],
  ['-A INPUT -m hashlimit --hashlimit-upto 5/s --hashlimit-name a', '-A INPUT -m hashlimit --hashlimit-upto 5/sec --hashlimit-burst 5 --hashlimit-name a'],
  [
    '-A INPUT -m hashlimit --hashlimit-upto 5/s --hashlimit-name b --hashlimit-srcmask 64 --hashlimit-dstmask 128 --hashlimit-mode srcip,dstip',
    '-A INPUT -m hashlimit --hashlimit-upto 5/sec --hashlimit-burst 5 --hashlimit-mode srcip,dstip --hashlimit-name b --hashlimit-srcmask 64',
  ],
  [
    '-A INPUT -m hashlimit --hashlimit-upto 5/s --hashlimit-name d --hashlimit-srcmask 0',
    '-A INPUT -m hashlimit --hashlimit-upto 5/sec --hashlimit-burst 5 --hashlimit-name d --hashlimit-srcmask 0',
  ],
  [
    '-A INPUT -m hashlimit --hashlimit-upto 5/s --hashlimit-name e --hashlimit-srcmask ffff:ffff:ffff::',
    '-A INPUT -m hashlimit --hashlimit-upto 5/sec --hashlimit-burst 5 --hashlimit-name e --hashlimit-srcmask 48',
  ],
  [
    '-A INPUT -m hashlimit --hashlimit-upto 5/s --hashlimit-name f --hashlimit-srcmask 32',
    '-A INPUT -m hashlimit --hashlimit-upto 5/sec --hashlimit-burst 5 --hashlimit-name f --hashlimit-srcmask 32',
  ],
  ['-A INPUT -m connlimit --connlimit-above 2', '-A INPUT -m connlimit --connlimit-above 2 --connlimit-mask 128 --connlimit-saddr'],
  [
    '-A INPUT -m connlimit --connlimit-upto 2 --connlimit-mask 64 --connlimit-daddr',
    '-A INPUT -m connlimit --connlimit-upto 2 --connlimit-mask 64 --connlimit-daddr',
  ],
  [
    '-A INPUT -m connlimit --connlimit-above 2 --connlimit-mask ffff:ffff:ff00::',
    '-A INPUT -m connlimit --connlimit-above 2 --connlimit-mask 40 --connlimit-saddr',
  ],
  ['-A INPUT -m connlimit --connlimit-above 2 --connlimit-mask 0', '-A INPUT -m connlimit --connlimit-above 2 --connlimit-mask 0 --connlimit-saddr'],
  ['-A INPUT -m connlimit --connlimit-above 2 --connlimit-mask ffff::ffff', '-A INPUT -m connlimit --connlimit-above 2 --connlimit-mask 128 --connlimit-saddr'],
  ['-A INPUT -m addrtype --src-type LOCAL', '-A INPUT -m addrtype --src-type LOCAL'],
  ['-A INPUT -m addrtype --dst-type UNICAST,MULTICAST --limit-iface-in', '-A INPUT -m addrtype --dst-type UNICAST,MULTICAST --limit-iface-in'],
  ['-A INPUT -m addrtype ! --dst-type ANYCAST ! --src-type UNREACHABLE', '-A INPUT -m addrtype ! --src-type UNREACHABLE ! --dst-type ANYCAST'],
  ['-A INPUT -m addrtype --dst-type UNSPEC', '-A INPUT -m addrtype --dst-type UNSPEC'],
  ['-A OUTPUT -m addrtype --dst-type LOCAL --limit-iface-out', '-A OUTPUT -m addrtype --dst-type LOCAL --limit-iface-out'],
];

/** [rule, what the refusal says]: ip6tables' own message, or the kernel's EINVAL. */
const REFUSED6: Array<[string, string | RegExp]> = [
  ['-A INPUT -m recent --set --mask 1.2.3.4', 'getaddrinfo: Address family for hostname not supported'],
  ['-A INPUT -m recent --set --mask 2001:db8::/64', /getaddrinfo: Name or service not known/],
  [
    '-A INPUT -m hashlimit --hashlimit-upto 5/s --hashlimit-name c --hashlimit-srcmask 129',
    'hashlimit: bad value for option "--hashlimit-srcmask", neither a valid network mask nor valid CIDR (0-128).',
  ],
  ['-A INPUT -m hashlimit --hashlimit-upto 5/s --hashlimit-name e --hashlimit-srcmask ffff::ffff', /must be 0-128 for IPv6/],
  [
    '-A INPUT -m connlimit --connlimit-above 2 --connlimit-mask 129',
    'connlimit: bad value for option "--connlimit-mask", neither a valid network mask nor valid CIDR (0-128).',
  ],
  ['-A INPUT -m addrtype --dst-type BROADCAST', 'ipv6 does not support BROADCAST matching'],
  ['-A INPUT -m addrtype --dst-type BLACKHOLE', 'ipv6 BLACKHOLE matching not supported'],
  ['-A INPUT -m addrtype --src-type PROHIBIT', 'ipv6 PROHIBT (THROW, NAT ..) matching not supported'],
  ['-A INPUT -m addrtype --dst-type LOCAL --limit-iface-out', 'output interface limitation not valid in PREROUTING and INPUT'],
];

describe('ip6tables-restore -> ip6tables-save', () => {
  it.each(SAVE6)('%s', (rule, want) => expect(save6(rule)).toBe(want));
  it.each(REFUSED6)('refuses %s', (rule, want) => {
    const got = save6(rule);
    if (typeof want === 'string') expect(got).toContain(want);
    else expect(got).toMatch(want);
  });
});

const A = '2001:db8:2::10';
const B = '2001:db8:100::1';

describe('dscp, tos and ecn read the traffic class', () => {
  const pkt = (trafficClass: number, flowLabel = 0) => skb6(ipv6({ src: A, dst: B, trafficClass, flowLabel }, udp({ sport: 1, dport: 2 })));
  const m6 = <C>(mod: MatchModule<C>, text: string): C => mod.parse(usesOf(mod, text), parseCtx6());

  it('dscp: the upper six bits, the flow label and version left out', () => {
    const ef = m6(dscpMatch, '--dscp 0x2e');
    expect(run(dscpMatch, ef, pkt(0xb9)).matched).toBe(true);
    expect(run(dscpMatch, ef, pkt(0xb8, 0xfffff)).matched).toBe(true);
    expect(run(dscpMatch, ef, pkt(0x00, 0xfffff)).matched).toBe(false);
    const zero = m6(dscpMatch, '! --dscp 0');
    expect(run(dscpMatch, zero, pkt(0x03, 0xfffff)).matched).toBe(false);
  });

  it('tos: (traffic class & mask) == value', () => {
    const c = m6(tosMatch, '--tos 0x10/0x3f');
    expect(run(tosMatch, c, pkt(0xd0)).matched).toBe(true);
    expect(run(tosMatch, c, pkt(0xd1)).matched).toBe(false);
    expect(run(tosMatch, m6(tosMatch, '--tos 0xd1'), pkt(0xd1, 0x12345)).matched).toBe(true);
  });

  it('ecn: the two low bits of the traffic class; TCP flags past extension headers', () => {
    const ect = (n: number) => m6(ecnMatch, `--ecn-ip-ect ${n}`);
    expect(run(ecnMatch, ect(1), pkt(0xb9)).matched).toBe(true);
    expect(run(ecnMatch, ect(2), pkt(0xb9)).matched).toBe(false);
    expect(run(ecnMatch, ect(3), pkt(0x03, 0xfffff)).matched).toBe(true);
    const ece = ecnMatch.parse(usesOf(ecnMatch, '--ecn-tcp-ece ! --ecn-tcp-cwr'), parseCtx6(6));
    const seg = (flags: string) => skb6(ipv6({ src: A, dst: B, ext: [optionsHeader(60)] }, tcp({ sport: 1, dport: 2, flags })));
    expect(run(ecnMatch, ece, seg('SE')).matched).toBe(true);
    expect(run(ecnMatch, ece, seg('SEC')).matched).toBe(false);
    expect(run(ecnMatch, ece, seg('S')).matched).toBe(false);
  });

  it('the IPv4 TOS byte stays IPv4', () => {
    const v4 = skbOf(ipv4({ src: '192.0.2.1', dst: '198.51.100.1', tos: 0xb9 }, udp({ sport: 1, dport: 2 })));
    expect(run(dscpMatch, dscpMatch.parse(usesOf(dscpMatch, '--dscp 0x2e'), parseCtx()), v4).matched).toBe(true);
    expect(run(ecnMatch, ecnMatch.parse(usesOf(ecnMatch, '--ecn-ip-ect 1'), parseCtx()), v4).matched).toBe(true);
  });
});

/** A guest clock the tests move, at HZ=250. */
function clock(svc: GuestServices = services()): { par: ReturnType<typeof params>; set(ms: number): void } {
  let ms = 0;
  const s: GuestServices = { ...svc, jiffies: () => Math.floor((ms * 250) / 1000) };
  return { par: { ...params(), services: s }, set: (t) => void (ms = t) };
}

const echo6 = (src: string, hopLimit = 64, dst = B): Skb => skb6(ipv6({ src, dst, hopLimit }, icmp6({ type: 128, id: 1, seq: 1 })));
const echo4 = (src: string): Skb => skbOf(ipv4({ src, dst: '198.51.100.1' }, udp({ sport: 1, dport: 2 })));

describe('recent on IPv6', () => {
  it("lists IPv6 addresses under the rule's mask; --rttl compares hop limits", () => {
    const k = clock();
    const ctx = { ...parseCtx6(), shared: new Map<string, unknown>() };
    const cfg = (t: string) => recentMatch.parse(usesOf(recentMatch, t), ctx);
    const set = cfg('--set --name N6 --mask ffff:ffff:ffff:ffff::');
    const check = cfg('--rcheck --name N6');
    const ttl = cfg('--rcheck --rttl --name N6');
    expect(run(recentMatch, check, echo6('2001:db8:2::10'), k.par).matched).toBe(false);
    expect(run(recentMatch, set, echo6('2001:db8:2::10', 64), k.par).matched).toBe(true);
    expect(run(recentMatch, check, echo6('2001:db8:2::ffff'), k.par).matched).toBe(true); // the same /64
    expect(run(recentMatch, check, echo6('2001:db8:2:1::10'), k.par).matched).toBe(false);
    expect(run(recentMatch, ttl, echo6('2001:db8:2::99', 64), k.par).matched).toBe(true);
    expect(run(recentMatch, ttl, echo6('2001:db8:2::99', 63), k.par).matched).toBe(false);
    expect(recentMatch.save(set)).toBe('--set --name N6 --mask ffff:ffff:ffff:ffff:: --rsource');
  });

  it('a forwarded packet counts the hop limit it came with', () => {
    const k = clock();
    const ctx = { ...parseCtx6(), shared: new Map<string, unknown>() };
    const set = recentMatch.parse(usesOf(recentMatch, '--set --name F6'), ctx);
    const ttl = recentMatch.parse(usesOf(recentMatch, '--rcheck --rttl --name F6'), ctx);
    const eth = { name: 'eth0', index: 2, mac: new Uint8Array(6), addrs: [], mtu: 1500, unit: 0 } satisfies NetDevice;
    const fwd = { ...k.par, hook: Hook.Forward, inDev: eth, outDev: eth };
    expect(run(recentMatch, set, echo6(A, 63), fwd).matched).toBe(true); // 64 before forwarding
    expect(run(recentMatch, ttl, echo6(A, 64), k.par).matched).toBe(true);
  });

  it("one list per name for both families: entries keep their family, the creator's mask applies to all four words", () => {
    const k = clock();
    const set4 = recentMatch.parse(usesOf(recentMatch, '--set --name BOTH --mask 255.255.255.0'), { ...parseCtx(), shared: new Map() });
    const check4 = recentMatch.parse(usesOf(recentMatch, '--rcheck --name BOTH'), { ...parseCtx(), shared: new Map() });
    const ctx6 = { ...parseCtx6(), shared: new Map<string, unknown>() };
    const set6 = recentMatch.parse(usesOf(recentMatch, '--set --name BOTH'), ctx6);
    const check6 = recentMatch.parse(usesOf(recentMatch, '--rcheck --name BOTH'), ctx6);
    expect(run(recentMatch, set4, echo4('192.0.2.1'), k.par).matched).toBe(true); // creates the list, mask /24
    // ::c000:201 has the IPv4 address's bits, in another family.
    expect(run(recentMatch, check6, echo6('::192.0.2.1'), k.par).matched).toBe(false);
    expect(run(recentMatch, set6, echo6('2001:db8:2::10'), k.par).matched).toBe(true);
    // The IPv4 mask leaves an IPv6 address its first 24 bits.
    expect(run(recentMatch, check6, echo6('2001:dff::1'), k.par).matched).toBe(true);
    expect(run(recentMatch, check6, echo6('2001:e00::1'), k.par).matched).toBe(false);
    expect(run(recentMatch, check4, echo4('192.0.2.77'), k.par).matched).toBe(true);
    // An IPv4 rule's default mask is all ones over the four words: IPv6 addresses stay whole.
    const k2 = clock();
    const dflt4 = recentMatch.parse(usesOf(recentMatch, '--set --name WHOLE'), parseCtx());
    const whole6 = recentMatch.parse(usesOf(recentMatch, '--rcheck --name WHOLE'), parseCtx6());
    run(recentMatch, dflt4, echo4('192.0.2.1'), k2.par);
    run(recentMatch, recentMatch.parse(usesOf(recentMatch, '--set --name WHOLE'), parseCtx6()), echo6('2001:db8:100::fe'), k2.par);
    expect(run(recentMatch, whole6, echo6('2001:db8:100::fe'), k2.par).matched).toBe(true);
    expect(run(recentMatch, whole6, echo6('2001:db8:100::fd'), k2.par).matched).toBe(false);
    expect(recentMatch.save(dflt4)).toBe('--set --name WHOLE --mask 255.255.255.255 --rsource');
    // 100 addresses over both families: 99 more IPv4 ones push out the oldest, the first IPv4 entry.
    for (let i = 0; i < 99; i++) run(recentMatch, set4, echo4(`10.0.${i}.1`), k.par);
    expect(run(recentMatch, check4, echo4('192.0.2.77'), k.par).matched).toBe(false);
    expect(run(recentMatch, check6, echo6('2001:db8:2::10'), k.par).matched).toBe(true);
  });
});

describe('recent lists made in load order', () => {
  it("ufw's IPv4 --mask 255.255.255.255, loaded first, makes its IPv6 list count per /32", () => {
    const k = clock();
    const v4 = loadRuleset(`*filter\n-A INPUT -p tcp -m recent --set --name DEFAULT --mask 255.255.255.255 --rsource\nCOMMIT\n`, 'rules.v4');
    const v6 = loadRuleset(`*filter\n-A INPUT -p tcp -m recent --rcheck --name DEFAULT --rsource\nCOMMIT\n`, 'rules.v6', { family: Family.V6 });
    const set6 = recentMatch.parse(usesOf(recentMatch, '--set --name DEFAULT'), parseCtx6());
    attachRuleset(v4, k.par.services);
    attachRuleset(v6, k.par.services);
    const check6 = v6.tables.get('filter')!.chains.get('INPUT')!.rules[0]!.matches[0]!.config as ReturnType<typeof recentMatch.parse>;
    expect(run(recentMatch, set6, echo6('2001:db8:99::20'), k.par).matched).toBe(true);
    expect(run(recentMatch, check6, echo6('2001:db8:99::21'), k.par).matched).toBe(true);
    expect(run(recentMatch, check6, echo6('2001:db9::21'), k.par).matched).toBe(false);
  });
});

describe('hashlimit on IPv6', () => {
  type Ext = Array<{ type: number; bytes: Uint8Array }>;
  const dgram = (src: string, dst: string, dport: number, ext: Ext = []) => skb6(ipv6({ src, dst, ext }, udp({ sport: 1000, dport })));
  const cfg = (t: string) => hashlimitMatch.parse(usesOf(hashlimitMatch, t), parseCtx6());
  const once = (name: string, mode: string) => cfg(`--hashlimit-upto 1/sec --hashlimit-burst 1 --hashlimit-mode ${mode} --hashlimit-name ${name}`);

  it('one bucket per masked source, up to 128 bits', () => {
    const k = clock();
    const c = cfg('--hashlimit-upto 1/sec --hashlimit-burst 1 --hashlimit-mode srcip --hashlimit-srcmask 64 --hashlimit-name s64');
    const m = (src: string) => run(hashlimitMatch, c, dgram(src, B, 53), k.par).matched;
    expect([m('2001:db8:2::1'), m('2001:db8:2::ffff:1'), m('2001:db8:2:1::1')]).toEqual([true, false, true]);
    const full = once('s128', 'srcip,dstip');
    const f = (src: string, dst: string) => run(hashlimitMatch, full, dgram(src, dst, 53), k.par).matched;
    expect([f(A, B), f(A, B), f('2001:db8:2::11', B), f(A, '2001:db8:100::2')]).toEqual([true, false, true, true]);
    const none = cfg('--hashlimit-upto 1/sec --hashlimit-burst 1 --hashlimit-mode srcip --hashlimit-srcmask 0 --hashlimit-name s0');
    expect([run(hashlimitMatch, none, dgram(A, B, 1), k.par).matched, run(hashlimitMatch, none, dgram('fe80::1', B, 1), k.par).matched]).toEqual([true, false]);
    const odd = cfg('--hashlimit-upto 1/sec --hashlimit-burst 1 --hashlimit-mode dstip --hashlimit-dstmask 100 --hashlimit-name s100');
    const d = (dst: string) => run(hashlimitMatch, odd, dgram(A, dst, 1), k.par).matched;
    expect([d('2001:db8::0fff:ffff'), d('2001:db8::0f00:0000'), d('2001:db8::1000:0')]).toEqual([true, false, true]);
  });

  it('ports past extension headers; none in a later fragment; "no next header" hot-drops', () => {
    const k = clock();
    const c = once('p6', 'dstport');
    const r = (s: Skb) => run(hashlimitMatch, c, s, k.par);
    expect(r(dgram(A, B, 53, [optionsHeader(0), optionsHeader(60, 16)]))).toEqual({ matched: true, hotdrop: false });
    expect(r(dgram(A, B, 53))).toEqual({ matched: false, hotdrop: false });
    expect(r(dgram(A, B, 54, [fragHeader(0, true, 7)]))).toEqual({ matched: true, hotdrop: false });
    // Later fragments: the key has no ports, whatever their payload holds.
    const later = (b: number) =>
      skb6(ipv6({ src: A, dst: B, ext: [fragHeader(64, false, 7)], rawL4: true }, raw(17, new Uint8Array([b, b, b, b, b, b, b, b]))));
    expect([r(later(1)).matched, r(later(2)).matched]).toEqual([true, false]);
    expect(r(skb6(ipv6({ src: A, dst: B }, raw(59, new Uint8Array(8)))))).toEqual({ matched: false, hotdrop: true });
    // Without a port in the mode, no header is read.
    const ip = once('noports', 'srcip');
    expect(run(hashlimitMatch, ip, skb6(ipv6({ src: A, dst: B }, raw(59, new Uint8Array(8)))), k.par)).toEqual({ matched: true, hotdrop: false });
  });

  it('an iptables and an ip6tables rule of one name have a table each', () => {
    const k = clock();
    const c4 = hashlimitMatch.parse(usesOf(hashlimitMatch, '--hashlimit-upto 1/sec --hashlimit-burst 1 --hashlimit-name fam'), parseCtx());
    const c6 = once('fam', 'srcip');
    expect(run(hashlimitMatch, c4, echo4('192.0.2.1'), k.par).matched).toBe(true);
    expect(run(hashlimitMatch, c6, dgram(A, B, 1), k.par).matched).toBe(true);
    expect(run(hashlimitMatch, c4, echo4('192.0.2.1'), k.par).matched).toBe(false);
    expect(run(hashlimitMatch, c6, dgram(A, B, 1), k.par).matched).toBe(false);
    expect(hashlimitMatch.save(c6)).toBe('--hashlimit-upto 1/sec --hashlimit-burst 1 --hashlimit-mode srcip --hashlimit-name fam');
  });
});

describe('connlimit on IPv6', () => {
  /** Every listed connection is alive. */
  const ALIVE: ConnlimitView = { status: (ct) => (ct ? 1 : 0) };

  it('counts the connections of the masked source', () => {
    const c = connlimitMatch.parse(usesOf(connlimitMatch, '--connlimit-above 2 --connlimit-mask 64'), parseCtx6(6));
    const k = clock();
    const syn = (src: string): Skb => {
      const s = skb6(ipv6({ src, dst: B }, tcp({ sport: 1000, dport: 22, flags: 'S' })));
      s.ct = new Conn(6, s.src.clone(), s.dst.clone(), 1000, 22, s.dst.clone(), s.src.clone(), 22, 1000);
      return s;
    };
    const m = (s: Skb) => connlimitMatches(c, s, k.par, ALIVE);
    expect([m(syn('2001:db8:2::1')), m(syn('2001:db8:2::2')), m(syn('2001:db8:2::ffff'))]).toEqual([false, false, true]);
    expect(m(syn('2001:db8:2:1::1'))).toBe(false); // another /64
    // One connection seen again in a later jiffy is listed once (within one jiffy the kernel adds it again).
    const again = syn('2001:db8:3::1');
    const seen = [m(again)];
    k.set(10);
    seen.push(m(again));
    k.set(20);
    seen.push(m(again));
    expect(seen).toEqual([false, false, false]);
  });

  it('--connlimit-daddr keys on the destination', () => {
    const c = connlimitMatch.parse(usesOf(connlimitMatch, '--connlimit-upto 1 --connlimit-daddr'), parseCtx6(6));
    const k = clock();
    const to = (dst: string): Skb => {
      const s = skb6(ipv6({ src: A, dst }, tcp({ sport: 1, dport: 2, flags: 'S' })));
      s.ct = new Conn(6, s.src.clone(), s.dst.clone(), 1, 2, s.dst.clone(), s.src.clone(), 2, 1);
      return s;
    };
    expect([
      connlimitMatches(c, to(B), k.par, ALIVE),
      connlimitMatches(c, to(B), k.par, ALIVE),
      connlimitMatches(c, to('2001:db8:100::2'), k.par, ALIVE),
    ]).toEqual([true, false, true]);
  });
});

/**
 * The machine of the kernel run: eth0 2001:db8:100::1/64, eth1
 * 2001:db8:2::1/64, 2001:db8:5::/48 via 2001:db8:100::fe, and
 * 2001:db8:7::/64 on eth1 without a gateway.
 */
const SPEC = parseMachineFile(
  `interfaces:
  - name: eth0
    mac: "02:00:00:00:00:01"
    addresses: [2001:db8:100::1/64]
  - name: eth1
    mac: "02:00:00:00:01:01"
    addresses: [2001:db8:2::1/64]
routes:
  - to: 2001:db8:5::/48
    via: 2001:db8:100::fe
  - to: 2001:db8:7::/64
    dev: eth1
`,
  'addrtype.yaml',
);

describe('addrtype on IPv6, as the kernel answered', () => {
  const fib = new Fib(SPEC);
  const dev = (name: string) => SPEC.devices.find((d) => d.name === name)!;
  const svc: GuestServices = { ...services(), addrType6: (a, d) => fib.v6.routeType(a, d) };
  /** Which of the types the kernel tested match `addr` as a destination (and as a source: the same), with the output device when limited. */
  const TYPES = ['UNICAST', 'LOCAL', 'ANYCAST', 'UNREACHABLE', 'MULTICAST', 'UNSPEC'];
  const types = (addr: string, out: string | null): string[] =>
    TYPES.filter((t) => {
      const c = addrtypeMatch.parse(usesOf(addrtypeMatch, `--dst-type ${t}${out ? ' --limit-iface-out' : ''}`), parseCtx6());
      const par = { ...params(Hook.PostRouting), services: svc, outDev: out ? dev(out) : null };
      return run(addrtypeMatch, c, echo6(B, 64, addr), par).matched;
    });

  it.each([
    // [address, types without a device, the output device, types bound to it]
    ['2001:db8:2::5', ['UNICAST'], 'eth1', ['UNICAST']],
    ['2001:db8:2::', ['UNICAST', 'ANYCAST'], 'lo', ['UNICAST', 'UNREACHABLE']],
    ['2001:db8:2::', ['UNICAST', 'ANYCAST'], 'eth0', ['UNICAST', 'UNREACHABLE']],
    ['2001:db8:100::1', ['UNICAST', 'LOCAL'], 'lo', ['UNICAST', 'UNREACHABLE']],
    ['2001:db8:2::1', ['UNICAST', 'LOCAL'], 'eth1', ['UNICAST', 'LOCAL']],
    ['2001:db8:2::1', ['UNICAST', 'LOCAL'], 'eth0', ['UNICAST', 'UNREACHABLE']],
    ['2001:db8:5::9', ['UNICAST'], 'eth0', ['UNICAST']],
    ['2001:db8:7::', ['UNICAST', 'ANYCAST'], 'eth1', ['UNICAST', 'ANYCAST']],
    ['2001:db8:7::', ['UNICAST', 'ANYCAST'], 'eth0', ['UNICAST', 'UNREACHABLE']],
    ['2001:db8:7::3', ['UNICAST'], 'eth1', ['UNICAST']],
    ['2001:db8:5::3', ['UNICAST'], 'eth0', ['UNICAST']],
    ['ff02::1', ['MULTICAST'], 'eth0', ['MULTICAST']],
    ['fe80::99', ['UNICAST'], 'eth0', ['UNICAST']],
    ['::1', ['UNICAST', 'LOCAL'], 'lo', ['UNICAST', 'LOCAL']],
    ['2001:db8:9::1', ['UNICAST', 'UNREACHABLE'], 'eth0', ['UNICAST', 'UNREACHABLE']],
    ['::', ['UNREACHABLE', 'UNSPEC'], 'eth0', ['UNREACHABLE', 'UNSPEC']],
    ['::ffff:192.0.2.1', ['UNREACHABLE'], 'eth1', ['UNREACHABLE']],
  ] as Array<[string, string[], string, string[]]>)('%s: %j; out %s: %j', (addr, free, out, bound) => {
    expect(types(addr, null)).toEqual(free);
    expect(types(addr, out)).toEqual(bound);
  });

  it('a list of kinds must all hold; a list of looked-up types needs one; ! inverts', () => {
    const m = (text: string, dst: string) =>
      run(addrtypeMatch, addrtypeMatch.parse(usesOf(addrtypeMatch, text), parseCtx6()), echo6(B, 64, dst), { ...params(), services: svc }).matched;
    expect(m('--dst-type UNICAST,MULTICAST', 'ff02::1')).toBe(false);
    expect(m('--dst-type UNICAST,MULTICAST', '2001:db8:2::5')).toBe(false);
    expect(m('--dst-type UNICAST,LOCAL', '2001:db8:2::1')).toBe(true);
    expect(m('--dst-type UNICAST,LOCAL', '2001:db8:2::5')).toBe(false);
    expect(m('--dst-type LOCAL,ANYCAST', '2001:db8:2::')).toBe(true);
    expect(m('! --dst-type LOCAL', '2001:db8:2::5')).toBe(true);
    expect(m('--src-type LOCAL ! --dst-type LOCAL', '2001:db8:2::5')).toBe(true);
  });

  it('the kernel refuses the IPv4-only types for IPv6, after the interface checks', () => {
    const check = (text: string, hooks: number) => {
      try {
        addrtypeMatch.check!(addrtypeMatch.parse(usesOf(addrtypeMatch, text), parseCtx6()), checkCtx6(hooks));
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(check('--dst-type BROADCAST --limit-iface-out', 1 << Hook.LocalIn)).toBe('output interface limitation not valid in PREROUTING and INPUT');
    expect(check('--src-type NAT', 1 << Hook.LocalIn)).toBe('ipv6 PROHIBT (THROW, NAT ..) matching not supported');
    expect(check('--src-type XRESOLVE,BLACKHOLE', 1 << Hook.LocalIn)).toBe('ipv6 BLACKHOLE matching not supported');
    expect(check('--dst-type LOCAL,UNICAST,ANYCAST,MULTICAST,UNSPEC,UNREACHABLE', 1 << Hook.LocalIn)).toBe('');
  });
});
