/**
 * The README's list of iptables 1.8.9's extensions is true: it names every
 * match and target Debian's iptables 1.8.9 ships (its libxt_*, libipt_*
 * and libip6t_* extensions), each in the families the kernel serves it in;
 * what it calls emulated is registered for those families, and what it
 * calls refused is refused when a rule file names it. A module added to the
 * registries needs its line there changed to "emulated".
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Family } from '../packet/inet-addr.js';
import { MATCHES } from './matches/index.js';
import { loadRuleset } from './rules/restore.js';
import { TARGETS } from './targets/index.js';
import type { MatchModule, TargetModule } from './xt.js';

/** `ls /usr/lib/x86_64-linux-gnu/xtables/` (iptables 1.8.9-2, Debian 12), by what each library registers. */
const XT_MATCHES =
  'addrtype bpf cgroup cluster comment connbytes connlabel connlimit connmark conntrack cpu dccp devgroup dscp ecn esp hashlimit helper ipcomp iprange ipvs length limit mac mark multiport nfacct owner physdev pkttype policy quota rateest recent rpfilter sctp set socket state statistic string tcp tcpmss time tos u32 udp';
const V4_MATCHES = 'icmp osf realm ttl';
const V6_MATCHES = 'dst eui64 frag hbh hl icmp6 ipv6header mh rt srh';
/** ah has a libipt_ and a libip6t_ extension: both families. */
const BOTH_FAMILY_MATCHES = 'ah';
const XT_TARGETS =
  'standard AUDIT CHECKSUM CLASSIFY CONNMARK CONNSECMARK CT DNAT DSCP HMARK IDLETIMER LED LOG MARK MASQUERADE NETMAP NFLOG NFQUEUE NOTRACK RATEEST REDIRECT REJECT SECMARK SET SNAT SYNPROXY TCPMSS TCPOPTSTRIP TEE TOS TPROXY TRACE';
const V4_TARGETS = 'CLUSTERIP ECN TTL ULOG';
const V6_TARGETS = 'DNPT HL SNPT';

interface Row {
  readonly name: string;
  readonly family: 'both' | 'IPv4' | 'IPv6';
  readonly status: string;
}

function table(kind: 'match' | 'target'): Row[] {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf("## iptables 1.8.9's extensions");
  expect(start, "the README's section on iptables 1.8.9's extensions").toBeGreaterThan(0);
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const at = section.indexOf(`| ${kind} | family | in cofw |`);
  expect(at, `the README's ${kind} table`).toBeGreaterThan(0);
  const rows: Row[] = [];
  for (const line of section.slice(at).split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const m = /^\| `([^`]+)` \| (both|IPv4|IPv6) \| (.+) \|$/.exec(line);
    expect(m, line).not.toBeNull();
    rows.push({ name: m![1]!, family: m![2] as Row['family'], status: m![3]! });
  }
  return rows;
}

const words = (s: string): string[] => s.split(' ');

function expected(xt: string, v4: string, v6: string, both = ''): Map<string, Row['family']> {
  const m = new Map<string, Row['family']>();
  for (const n of words(xt)) m.set(n, 'both');
  for (const n of both ? words(both) : []) m.set(n, 'both');
  for (const n of words(v4)) m.set(n, 'IPv4');
  for (const n of words(v6)) m.set(n, 'IPv6');
  return m;
}

function families(f: Row['family']): Family[] {
  return f === 'both' ? [Family.V4, Family.V6] : f === 'IPv4' ? [Family.V4] : [Family.V6];
}

/** What cofw makes of a rule naming the extension in a file of `family`: 'loaded' or the refusal. */
function load(kind: 'match' | 'target', name: string, family: Family): string {
  const rule = kind === 'match' ? `-A INPUT -m ${name}` : `-A INPUT -j ${name}`;
  try {
    loadRuleset(`*filter\n:INPUT ACCEPT [0:0]\n${rule}\nCOMMIT\n`, 'ext.rules', { family });
    return 'loaded';
  } catch (e) {
    return (e as Error).message;
  }
}

function registered(kind: 'match' | 'target', name: string): MatchModule<unknown> | TargetModule<unknown> | undefined {
  const list: ReadonlyArray<MatchModule<unknown> | TargetModule<unknown>> = kind === 'match' ? MATCHES : TARGETS;
  return list.find((m) => m.name === name);
}

/** The family cofw declares for a module, in the README's words. */
function declared(m: MatchModule<unknown> | TargetModule<unknown>): string {
  if (m.emulates !== undefined) return `emulates ${m.emulates}`;
  const f = m.family ?? Family.Unspec;
  return f === Family.V4 ? 'IPv4' : f === Family.V6 ? 'IPv6' : 'both';
}

describe("the README's list of iptables 1.8.9's extensions", () => {
  for (const kind of ['match', 'target'] as const) {
    const rows = table(kind);
    const want = kind === 'match' ? expected(XT_MATCHES, V4_MATCHES, V6_MATCHES, BOTH_FAMILY_MATCHES) : expected(XT_TARGETS, V4_TARGETS, V6_TARGETS);

    it(`names every ${kind} once, in the families the kernel serves it in`, () => {
      expect(rows.map((r) => r.name).sort()).toEqual([...want.keys()].sort());
      for (const r of rows) expect(r.family, r.name).toBe(want.get(r.name));
      expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
    });

    it.each(rows.filter((r) => r.name !== 'standard'))(`${kind} $name: $status`, (r) => {
      const mod = registered(kind, r.name);
      if (r.status.startsWith('emulated')) {
        expect(mod, `${r.name} is in the README as emulated but not registered`).toBeDefined();
        expect(declared(mod!), `${r.name}'s family`).toBe(r.family);
      } else {
        expect(r.status).toMatch(/^refused: ./);
        // Refused whatever its options: a rule naming it alone does not load.
        for (const f of families(r.family)) expect(load(kind, r.name, f), `${r.name} is in the README as refused`).not.toBe('loaded');
      }
    });
  }

  it('lists every registered module as emulated', () => {
    const matches = new Map(table('match').map((r) => [r.name, r.status]));
    const targets = new Map(table('target').map((r) => [r.name, r.status]));
    for (const m of MATCHES) expect(matches.get(m.name) ?? 'absent', `match ${m.name}: change its README line`).toMatch(/^emulated/);
    for (const t of TARGETS) expect(targets.get(t.name) ?? 'absent', `target ${t.name}: change its README line`).toMatch(/^emulated/);
  });
});
