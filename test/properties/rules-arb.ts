/**
 * Rules for the property tests, from a grammar of the options the rule
 * loader's modules declare (each module's OptionSpec list): the generic
 * options of a family, matches suited to the rule's protocol, targets, with
 * plausible values by option name and odd ones now and then.
 */
import fc from 'fast-check';
import { BUILTIN_CHAINS } from '../../src/netfilter/rules/model.js';
import { MATCHES } from '../../src/netfilter/matches/index.js';
import { TARGETS } from '../../src/netfilter/targets/index.js';
import { Family } from '../../src/packet/inet-addr.js';
import type { OptionSpec } from '../../src/netfilter/xt.js';

/** Argument values by option name: plausible first, then a few odd ones shared by all. */
export const VALUES: Record<string, string[]> = {
  s: [
    '192.0.2.1',
    '192.0.2.0/24',
    '10.0.0.0/255.0.0.0',
    '198.51.100.7/32',
    '0.0.0.0/0',
    '192.0.2.1,198.51.100.2',
    '2001:db8::1',
    '2001:db8::/32',
    '::/0',
    'fe80::1/64',
  ],
  i: ['eth0', 'eth1', 'eth+', 'lo', 'wg0', 'a.b-c'],
  p: ['tcp', 'udp', 'icmp', 'ipv6-icmp', 'all', '6', '17', '47', 'esp', 'ah', 'sctp', '0'],
  port: ['22', '80', '0', '65535', '1024:65535', ':1023', '1024:', 'ssh', 'http', 'domain', '80:80', '5:4'],
  ports: ['22,80,443', '1000:2000,3000', '53', 'ssh,http', '1,2,3,4,5,6,7,8,9,10,11,12,13,14,15'],
  'tcp-flags': ['SYN,ACK SYN', 'ALL NONE', 'FIN,SYN,RST,ACK SYN', 'ALL ALL', 'SYN,RST SYN,RST', 'NONE NONE'],
  'tcp-option': ['2', '8', '0', '255'],
  'icmp-type': ['echo-request', '8', '8/0', '3/4', 'any', 'destination-unreachable', 'port-unreachable', '255'],
  'icmpv6-type': ['echo-request', '128', '1/3', 'neighbour-solicitation', 'packet-too-big'],
  comment: ['"a comment"', 'plain', '"with \\"quotes\\""', '""'],
  range: ['192.0.2.1-192.0.2.9', '10.0.0.0-10.0.0.255', '2001:db8::1-2001:db8::9'],
  length: ['0:100', '64', '1500:', ':60', '65535'],
  num: ['0', '1', '5', '64', '255', '3'],
  'mac-source': ['02:00:00:00:00:01', 'ff:ff:ff:ff:ff:ff'],
  'pkt-type': ['unicast', 'broadcast', 'multicast'],
  type: ['LOCAL', 'UNICAST', 'BROADCAST', 'MULTICAST', 'UNREACHABLE', 'LOCAL,UNICAST'],
  state: ['NEW', 'ESTABLISHED', 'RELATED,ESTABLISHED', 'INVALID', 'UNTRACKED', 'SNAT', 'DNAT', 'NEW,ESTABLISHED,RELATED'],
  ctstatus: ['EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED', 'NONE', 'ASSURED,SEEN_REPLY'],
  ctexpire: ['10', '10:100'],
  ctdir: ['ORIGINAL', 'REPLY'],
  rate: ['5/sec', '10/minute', '1/hour', '100/day', '3/s', '1000/second', '1kb/s', '5/min'],
  'hashlimit-mode': ['srcip', 'dstip', 'srcip,dstport', 'srcport,dstip'],
  name: ['h1', 'seen', 'DEFAULT', 'x-y_z'],
  mask: ['255.255.255.0', '24', '0', '32', '64'],
  mode: ['random', 'nth'],
  probability: ['0.5', '0.25', '1', '0.0001'],
  mark: ['0x1', '0x1/0xff', '5', '0xffffffff', '0/0x1'],
  dscp: ['0x10', '10', '0', '63'],
  'dscp-class': ['EF', 'AF11', 'CS1', 'BE', 'AF43'],
  tos: ['0x10', 'Minimize-Delay', '0x10/0x3f', 'Normal-Service', '8'],
  mss: ['1400', '536:1460', '0:500'],
  helper: ['ftp', '"sip"', 'irc'],
  algo: ['bm', 'kmp'],
  string: ['"abc"', 'evil', '"GET /"'],
  'hex-string': ['"|41 42|"', '"a|0d 0a|b"'],
  u32: ['"0>>22&0x3C@12>>26&0x3F=0x2"', '"0&0xFFFF=0x100:0xFFFF"', '"6&0xFF=1"'],
  time: ['09:00', '17:00:30', '00:00', '23:59:59'],
  date: ['2024-01-01T00:00:00', '2024-12-31', '1970-01-01T00:00:01'],
  weekdays: ['Mon,Tue', 'Sun', '1,2,3', 'Fri,Sat,Sun'],
  monthdays: ['1,15,31', '28'],
  header: ['frag,hop', 'ipv6-route', 'auth', 'none', 'esp'],
  idrange: ['100:200', '5', '0:4294967295'],
  opts: ['1:4', '0', '1:0,5:2'],
  'rt-0-addrs': ['::1', '2001:db8::1,2001:db8::2'],
  'mh-type': ['binding-update', '5', '0:4'],
  'log-level': ['4', 'warning', 'debug', '7', 'emerg'],
  prefix: ['"drop: "', 'x', '"a prefix that is longer than twenty-nine characters"'],
  'reject-with': ['icmp-port-unreachable', 'tcp-reset', 'icmp-host-prohibited', 'icmp6-adm-prohibited', 'icmp6-port-unreachable', 'icmp-admin-prohibited'],
  xmark: ['0x1/0xff', '0x5', '0/0xffffffff', '7'],
  'set-dscp-class': ['EF', 'AF21'],
  'to-source': ['203.0.113.1', '203.0.113.1-203.0.113.5', '203.0.113.1:1024-2000', '[2001:db8::1]:80', '2001:db8::1'],
  'to-destination': ['10.0.0.1:80', '10.0.0.1', '10.0.0.1-10.0.0.3:80-90', '[2001:db8::2]:443'],
  'to-ports': ['8080', '1024-2000'],
  to: ['10.0.0.0/24', '2001:db8:1::/64'],
  'queue-balance': ['0:3', '1:1'],
  'on-ip': ['127.0.0.1', '::1'],
  zone: ['0', '1'],
  nflog: ['5', '0', '65535'],
};
const ODD = ['', '!', '-1', '65536', '4294967296', '0x', 'NaN', '1e3', '::', '999.1.1.1', '"unterminated', 'a b', '\u00e9t\u00e9', '-'];

/** Which value pool an option's argument is drawn from. */
function poolOf(o: OptionSpec): string[] {
  const n = o.name;
  const direct = VALUES[n];
  if (direct) return direct;
  if (/port$|ports$|^sport|^dport|srcport|dstport/.test(n))
    return n.includes('ports') && !n.includes('ct') ? [...VALUES.ports!, ...VALUES.port!] : VALUES.port!;
  if (/src-range|dst-range/.test(n)) return VALUES.range!;
  if (/^(ct(orig|repl)(src|dst))$|tunnel-(src|dst)/.test(n)) return VALUES.s!;
  if (/^(ctstate)$/.test(n)) return VALUES.state!;
  if (/ctproto|^proto$/.test(n)) return VALUES.p!;
  if (/-type$/.test(n) && n !== 'pkt-type') return VALUES.type!;
  if (/limit$|upto$|above$|^limit$/.test(n) && n.includes('hashlimit')) return VALUES.rate!;
  if (n === 'limit') return VALUES.rate!;
  if (/mask$/.test(n)) return [...VALUES.mask!, ...VALUES.mark!];
  if (/mark$|^set-xmark|^and-|^or-|^xor-/.test(n)) return VALUES.xmark!;
  if (/^(timestart|timestop)$/.test(n)) return VALUES.time!;
  if (/^(datestart|datestop)$/.test(n)) return VALUES.date!;
  if (/(fragid|ahspi|espspi|reqid|spi)$/.test(n)) return VALUES.idrange!;
  if (/-opts$/.test(n)) return VALUES.opts!;
  if (/log-prefix|nflog-prefix/.test(n)) return VALUES.prefix!;
  if (
    /^nflog-|queue-num|on-port|set-mss|ttl-|hl-|^(seconds|hitcount|every|packet|from|to|burst)|-burst|htable|interval|shift|segsleft|-len$|fraglen|connlimit/.test(
      n,
    )
  )
    return VALUES.num!;
  if (/tos$/.test(n)) return VALUES.tos!;
  if (/dscp$/.test(n)) return VALUES.dscp!;
  if (/ect$|cwr$|ece$/.test(n)) return ['0', '1', '3'];
  if (n === 'tproxy-mark') return VALUES.mark!;
  return [...VALUES.num!, ...VALUES.name!];
}

const arg = (o: OptionSpec): fc.Arbitrary<string> =>
  fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...poolOf(o)) }, { weight: 1, arbitrary: fc.constantFrom(...ODD) });

/** `--name args` of one option of a module, perhaps inverted. */
function optionText(o: OptionSpec): fc.Arbitrary<string> {
  const args = o.args === 0 ? fc.constant([] as string[]) : fc.array(arg(o), { minLength: o.args, maxLength: o.args });
  const name = fc.constantFrom(o.name, ...(o.aliases ?? []));
  return fc.tuple(fc.boolean(), name, args).map(([inv, n, a]) => [o.invert && inv ? '!' : '', `--${n}`, ...a].filter(Boolean).join(' '));
}

/** `-m name --opt ...` or `-j NAME --opt ...`, with its mandatory options most of the time. */
function moduleText(m: { name: string; options: readonly OptionSpec[]; kind: 'match' | 'target' }): fc.Arbitrary<string> {
  const opts = m.options;
  const mandatory = opts.filter((o) => o.mandatory);
  const chosen = opts.length ? fc.subarray([...opts], { maxLength: Math.min(3, opts.length) }) : fc.constant([] as OptionSpec[]);
  return chosen
    .chain((some) => {
      const all = [...new Set([...mandatory, ...some])];
      return all.length ? fc.tuple(...all.map(optionText)) : fc.constant([] as string[]);
    })
    .map((parts) => `${m.kind === 'match' ? '-m' : '-j'} ${m.name}${parts.length ? ' ' + parts.join(' ') : ''}`);
}

const byName = new Map([...MATCHES, ...TARGETS].map((m) => [`${m.kind}:${m.name}`, m] as const));
const mod = (kind: 'match' | 'target', name: string): fc.Arbitrary<string> => moduleText(byName.get(`${kind}:${name}`)!);
const PROTO_MATCHES: Record<string, string[]> = {
  tcp: ['tcp', 'multiport', 'tcpmss', 'ecn'],
  udp: ['udp', 'multiport'],
  icmp: ['icmp'],
  'ipv6-icmp': ['icmp6'],
};
const PROTO_TARGETS: Record<string, string[]> = { tcp: ['TCPMSS', 'ECN', 'REJECT'], udp: ['REJECT'] };
const protoSpecific = new Set(Object.values(PROTO_MATCHES).flat());
const anyMatches = MATCHES.filter((m) => !protoSpecific.has(m.name)).map(moduleText);
const anyTargets = TARGETS.filter((t) => t.name !== 'TCPMSS' && t.name !== 'ECN').map(moduleText);

const ADDR: Record<number, string[]> = {
  [Family.V4]: ['192.0.2.1', '192.0.2.0/24', '10.0.0.0/255.0.0.0', '198.51.100.7/32', '0.0.0.0/0', '192.0.2.1,198.51.100.2', '10.1.2.3/8'],
  [Family.V6]: ['2001:db8::1', '2001:db8::/32', '::/0', 'fe80::1/64', '2001:db8::1,2001:db8::2', '::ffff:192.0.2.1', '2001:db8::/ffff:ffff::'],
};

/** The generic part of a rule, with a protocol (or none) the rest of the rule is made for. */
const generic = (family: Family): fc.Arbitrary<{ text: string; proto: string | null }> =>
  fc
    .record({
      s: fc.option(fc.tuple(fc.boolean(), fc.constantFrom(...ADDR[family]!))),
      d: fc.option(fc.tuple(fc.boolean(), fc.constantFrom(...ADDR[family]!))),
      i: fc.option(fc.tuple(fc.boolean(), fc.constantFrom(...VALUES.i!))),
      o: fc.option(fc.tuple(fc.boolean(), fc.constantFrom(...VALUES.i!))),
      p: fc.option(fc.constantFrom(...(family === Family.V6 ? ['tcp', 'udp', 'ipv6-icmp', 'esp', '47', 'all'] : ['tcp', 'udp', 'icmp', 'esp', '47', 'all']))),
      invP: fc.boolean(),
      f: fc.option(fc.boolean()),
    })
    .map((g) => {
      const out: string[] = [];
      const opt = (flag: string, v: [boolean, string] | null): void => {
        if (v) out.push(`${v[0] ? '! ' : ''}${flag} ${v[1]}`);
      };
      opt('-s', g.s);
      opt('-d', g.d);
      opt('-i', g.i);
      opt('-o', g.o);
      if (g.p !== null) out.push(`${g.invP && g.p !== 'tcp' && g.p !== 'udp' ? '! ' : ''}-p ${g.p}`);
      if (g.f !== null && family === Family.V4) out.push(g.f ? '! -f' : '-f');
      return { text: out.join(' '), proto: g.p };
    });

export const TABLES = Object.keys(BUILTIN_CHAINS);

/** One rule line for a chain of `table`. */
function ruleLine(table: string, family: Family): fc.Arbitrary<string> {
  const chains = [...BUILTIN_CHAINS[table]!, 'c1'];
  return fc.tuple(fc.constantFrom(...chains), generic(family)).chain(([chain, g]) => {
    const pm = (g.proto && PROTO_MATCHES[g.proto]) || [];
    const pt = (g.proto && PROTO_TARGETS[g.proto]) || [];
    const match = pm.length
      ? fc.oneof({ weight: 2, arbitrary: fc.oneof(...pm.map((n) => mod('match', n))) }, { weight: 3, arbitrary: fc.oneof(...anyMatches) })
      : fc.oneof(...anyMatches);
    const target = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('-j ACCEPT', '-j DROP', '-j RETURN', '-j c1', '-g c1', '') },
      { weight: 4, arbitrary: fc.oneof(...anyTargets) },
      ...(pt.length ? [{ weight: 2, arbitrary: fc.oneof(...pt.map((n) => mod('target', n))) }] : []),
    );
    return fc.tuple(fc.array(match, { maxLength: 2 }), target).map(([ms, t]) => [`-A ${chain}`, g.text, ...ms, t].filter(Boolean).join(' '));
  });
}

export const fileOf = (table: string, rules: string[]): string =>
  [`*${table}`, ...BUILTIN_CHAINS[table]!.map((c) => `:${c} ACCEPT [0:0]`), ':c1 - [0:0]', ...rules, 'COMMIT', ''].join('\n');

/** Rules for one table of a rule file of either family. */
export const ruleFile = fc
  .tuple(fc.constantFrom(...TABLES), fc.constantFrom(Family.V4, Family.V6))
  .chain(([table, family]) =>
    fc.array(ruleLine(table, family), { minLength: 1, maxLength: 4 }).map((rules) => ({ family, table, rules, text: fileOf(table, rules) })),
  );
