/**
 * The family each match and target declares (the table in args.ts), and
 * what that means for an ip6tables rule file: a module the kernel registers
 * for IPv4 only cannot be loaded; one whose cofw code reads IPv4 headers is
 * refused as not emulated; the others parse their arguments in the file's
 * family and run on IPv6 packets.
 */
import { describe, expect, it } from 'vitest';
import { Family, parseInetAddr } from '../../packet/inet-addr.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';
import { TARGETS } from '../targets/index.js';
import { PacketType, Skb } from '../types.js';
import type { MatchModule, ParseContext, TargetModule } from '../xt.js';
import { conntrackMatch } from '../conntrack/matches/conntrack.js';
import { MATCHES } from './index.js';
import { iprangeMatch } from './iprange.js';
import { pkttypeMatch } from './pkttype.js';
import { parseCtx, parseError, run, usesOf } from './test-util.js';

const BOTH = 'both';
const V4 = 'family V4';
const V6 = 'family V6';
const EMULATES_V4 = 'emulates V4';

/** [module name, what cofw declares]: see the table in args.ts for the kernel's registrations. */
const MATCH_FAMILIES: Array<[string, string]> = [
  ['tcp', BOTH],
  ['udp', BOTH],
  ['icmp', V4],
  ['multiport', BOTH],
  ['comment', BOTH],
  ['iprange', BOTH],
  ['length', BOTH],
  ['ttl', V4],
  ['mac', BOTH],
  ['pkttype', BOTH],
  ['addrtype', BOTH],
  ['state', BOTH],
  ['conntrack', BOTH],
  ['limit', BOTH],
  ['hashlimit', BOTH],
  ['recent', BOTH],
  ['statistic', BOTH],
  ['connlimit', BOTH],
  ['mark', BOTH],
  ['connmark', BOTH],
  ['dscp', BOTH],
  ['tos', BOTH],
  ['ecn', BOTH],
  ['tcpmss', BOTH],
  ['helper', BOTH],
  ['string', BOTH],
  ['u32', BOTH],
  ['time', BOTH],
  ['icmp6', V6],
  ['hl', V6],
  ['ipv6header', V6],
  ['frag', V6],
  ['hbh', V6],
  ['dst', V6],
  ['rt', V6],
  ['mh', V6],
  ['eui64', V6],
  ['ah', BOTH],
  ['esp', BOTH],
];

const TARGET_FAMILIES: Array<[string, string]> = [
  ['LOG', BOTH],
  ['REJECT', BOTH],
  ['MARK', BOTH],
  ['CONNMARK', BOTH],
  ['CT', BOTH],
  ['NOTRACK', BOTH],
  ['DSCP', BOTH],
  ['TOS', BOTH],
  ['TTL', V4],
  ['HL', V6],
  ['ECN', V4],
  ['TCPMSS', BOTH],
  ['NFLOG', BOTH],
  ['TRACE', BOTH],
];

function declared(m: MatchModule<unknown> | TargetModule<unknown>): string {
  const f = m.family ?? Family.Unspec;
  if (f === Family.V4 && m.emulates === undefined) return V4;
  if (f === Family.V6 && m.emulates === undefined) return V6;
  if (f === Family.Unspec && m.emulates === Family.V4) return EMULATES_V4;
  if (f === Family.Unspec && m.emulates === undefined) return BOTH;
  return `family ${f}, emulates ${m.emulates}`;
}

function v6(table: string, ...lines: string[]): string {
  const chains = table === 'filter' ? ['INPUT', 'FORWARD', 'OUTPUT'] : ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];
  return [`*${table}`, ...chains.map((c) => `:${c} ACCEPT [0:0]`), ...lines, 'COMMIT', ''].join('\n');
}

function load6(table: string, ...lines: string[]): string {
  return saveRuleset(loadRuleset(v6(table, ...lines), 'rules.v6', { family: Family.V6 }), { counters: false });
}

function refusal6(table: string, ...lines: string[]): string {
  try {
    load6(table, ...lines);
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
}

const ctx6: ParseContext = { ...parseCtx(), family: Family.V6 };

describe('the family each module declares', () => {
  it.each(MATCH_FAMILIES)('match %s: %s', (name, want) => {
    const m = MATCHES.find((x) => x.name === name);
    expect(m, name).toBeDefined();
    expect(declared(m!)).toBe(want);
  });
  it.each(TARGET_FAMILIES)('target %s: %s', (name, want) => {
    const t = TARGETS.find((x) => x.name === name);
    expect(t, name).toBeDefined();
    expect(declared(t!)).toBe(want);
  });
});

describe('an ip6tables rule file', () => {
  it('cannot load what the kernel registers for IPv4 only', () => {
    expect(refusal6('filter', '-A INPUT -p icmp -m icmp --icmp-type 8 -j DROP')).toMatch(/Couldn't load match `icmp':No such file or directory/);
    expect(refusal6('filter', '-A INPUT -m ttl --ttl-eq 1 -j DROP')).toMatch(/Couldn't load match `ttl'/);
    expect(refusal6('mangle', '-A PREROUTING -j TTL --ttl-set 1')).toMatch(/Couldn't load target `TTL'/);
    expect(refusal6('mangle', '-A PREROUTING -p tcp -j ECN --ecn-tcp-remove')).toMatch(/Couldn't load target `ECN'/);
  });

  it('refuses as not emulated what cofw runs on IPv4 headers only', () => {});

  it('cannot load what the kernel registers for IPv6 only into an iptables file', () => {
    const v4 = (line: string): string => {
      try {
        saveRuleset(loadRuleset(`*filter\n:INPUT ACCEPT [0:0]\n${line}\nCOMMIT\n`, 'rules.v4'));
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(v4('-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j DROP')).toMatch(/Couldn't load match `icmp6':No such file or directory/);
    expect(v4('-A INPUT -m hl --hl-eq 1 -j DROP')).toMatch(/Couldn't load match `hl'/);
    expect(v4('-A INPUT -m frag --fragfirst -j DROP')).toMatch(/Couldn't load match `frag'/);
  });

  it('loads LOG and REJECT as ip6tables writes them', () => {
    expect(load6('filter', '-A INPUT -j LOG --log-prefix "v6 "', '-A INPUT -p tcp -j REJECT --reject-with tcp-reset', '-A INPUT -j REJECT')).toContain(
      '-A INPUT -j LOG --log-prefix "v6 "\n-A INPUT -p tcp -j REJECT --reject-with tcp-reset\n-A INPUT -j REJECT --reject-with icmp6-port-unreachable\n',
    );
  });

  it('loads the family-neutral modules, addresses in IPv6', () => {
    const saved = load6(
      'filter',
      '-A INPUT -m iprange --src-range 2001:DB8::10-2001:db8::20 ! --dst-range ::1 -j DROP',
      '-A INPUT -m conntrack --ctstate NEW --ctorigsrc 2001:db8::/ffff:ffff:: --ctrepldst ::ffff:192.0.2.1 -j ACCEPT',
      '-A INPUT -p tcp -m tcp --dport 22 -m mark --mark 0x1/0xff -m limit --limit 3/min -j ACCEPT',
    );
    expect(saved).toContain('-A INPUT -m iprange --src-range 2001:db8::10-2001:db8::20 ! --dst-range ::1-::1 -j DROP\n');
    expect(saved).toContain('-A INPUT -m conntrack --ctstate NEW --ctorigsrc 2001:db8::/32 --ctrepldst ::ffff:192.0.2.1 -j ACCEPT\n');
    expect(saved).toContain('-A INPUT -p tcp -m tcp --dport 22 -m mark --mark 0x1/0xff -m limit --limit 3/min -j ACCEPT\n');
  });

  it('refuses an address of the other family in a module option', () => {
    expect(parseError(iprangeMatch, '--src-range 10.0.0.1-10.0.0.2')).toBe('');
    const err = (() => {
      try {
        iprangeMatch.parse(usesOf(iprangeMatch, '--src-range 10.0.0.1-10.0.0.2'), ctx6);
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    })();
    expect(err).toContain('iprange: Bad value for "--src-range" option: "10.0.0.1"');
    expect(() => conntrackMatch.parse(usesOf(conntrackMatch, '--ctorigsrc 10.0.0.1'), ctx6)).toThrow(/^getaddrinfo/);
    expect(() => conntrackMatch.parse(usesOf(conntrackMatch, '--ctorigsrc 2001:db8::/129'), ctx6)).toThrow(
      'conntrack: bad value for option "--ctorigsrc", neither a valid network mask nor valid CIDR (0-128).',
    );
  });
});

describe('family-neutral modules on IPv6 packets', () => {
  const packet = (src: string, dst: string): Skb => {
    const skb = new Skb();
    skb.family = Family.V6;
    skb.src.copyFrom(parseInetAddr(src)!);
    skb.dst.copyFrom(parseInetAddr(dst)!);
    return skb;
  };

  it('iprange compares the four words', () => {
    const c = iprangeMatch.parse(usesOf(iprangeMatch, '--src-range 2001:db8::10-2001:db8::1:0 ! --dst-range ::1'), ctx6);
    expect(run(iprangeMatch, c, packet('2001:db8::10', '::2')).matched).toBe(true);
    expect(run(iprangeMatch, c, packet('2001:db8::ffff', '::2')).matched).toBe(true);
    expect(run(iprangeMatch, c, packet('2001:db8::1:0', '::2')).matched).toBe(true);
    expect(run(iprangeMatch, c, packet('2001:db8::1:1', '::2')).matched).toBe(false);
    expect(run(iprangeMatch, c, packet('2001:db8::f', '::2')).matched).toBe(false);
    expect(run(iprangeMatch, c, packet('2001:db8::10', '::1')).matched).toBe(false);
  });

  it('pkttype takes a looped-back IPv6 packet for multicast', () => {
    const skb = packet('::1', '::1');
    skb.pktType = 5 as PacketType; // PACKET_LOOPBACK
    const cfg = (t: string) => pkttypeMatch.parse(usesOf(pkttypeMatch, t), ctx6);
    expect(run(pkttypeMatch, cfg('--pkt-type multicast'), skb).matched).toBe(true);
    expect(run(pkttypeMatch, cfg('--pkt-type broadcast'), skb).matched).toBe(false);
  });
});
