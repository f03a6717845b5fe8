/**
 * A rule set laid out as `iptables -L -v -n -x --line-numbers` lays it out
 * (and `ip6tables` for an IPv6 rule set): per table, each chain with its
 * policy and counters (`Chain INPUT (policy DROP 5 packets, 300 bytes)`) or
 * its references (`Chain mychain (2 references)`), then one row per rule:
 * num, pkts, bytes, target, prot (a number, as -n prints it; 0 for all),
 * opt (`--`, `-f`, `!f`), in, out (`*` for any), source, destination
 * (a host without its prefix length).
 * Chains come in iptables-save's order (built-in chains in hook order, then
 * user chains by name); tables in iptables-nft's.
 *
 * The last column differs from iptables -L: iptables prints each module's
 * own short words (`tcp dpt:22`, `/* comment *\/`), cofw prints the rule's
 * match and target options as iptables-save writes them (`-m tcp --dport 22
 * -m comment --comment ...`), which every module of cofw knows how to print.
 *
 * @example
 * for (const t of listRuleset(result.ruleset)) for (const c of t.chains) console.log(c.header, c.rules.length);
 */
import type { InetAddr } from '../packet/inet-addr.js';
import { INV_DSTIP, INV_FRAG, INV_PROTO, INV_SRCIP, INV_VIA_IN, INV_VIA_OUT, type Rule, type Ruleset } from '../netfilter/rules/model.js';
import { chainsInSaveOrder } from '../netfilter/rules/save.js';
import { Family } from '../packet/inet-addr.js';

export interface ListedRule {
  num: number;
  pkts: number;
  bytes: number;
  /** ACCEPT, DROP, a chain's name, a target module's name, or '' for none. */
  target: string;
  prot: string;
  opt: string;
  in: string;
  out: string;
  source: string;
  destination: string;
  /** The match and target options as iptables-save writes them (see the module comment). */
  options: string;
}

export interface ListedChain {
  name: string;
  builtin: boolean;
  /** Built-in chains: the policy and its counters. */
  policy?: 'ACCEPT' | 'DROP';
  packets: number;
  bytes: number;
  /** User chains: how many rules jump or go to it. */
  references: number;
  /** `Chain INPUT (policy DROP 5 packets, 300 bytes)`, `Chain mychain (2 references)`. */
  header: string;
  rules: ListedRule[];
}

export interface ListedTable {
  /** 'iptables' or 'ip6tables'. */
  command: string;
  table: string;
  chains: ListedChain[];
}

/** iptables-nft's table order (as iptables-save prints them). */
const TABLE_ORDER = ['mangle', 'security', 'raw', 'filter', 'nat'];

/** `10.0.0.0/8`, a host without its prefix (`192.0.2.1`, `2001:db8::1`), a mask with holes as a mask: as iptables -L -n prints them. */
function addrText(addr: InetAddr, mask: InetAddr): string {
  const p = mask.prefixLength();
  if (p === (addr.family === Family.V6 ? 128 : 32)) return addr.toString();
  return `${addr.toString()}/${p >= 0 ? p : mask.toString()}`;
}

/** The options after the generic part: matches and the target's own options. */
function optionsText(rule: Rule): string {
  const out: string[] = [];
  for (const m of rule.matches) {
    out.push('-m', m.module.name);
    const o = m.module.save(m.config);
    if (o) out.push(o);
  }
  const t = rule.target;
  if (t.kind === 'jump' && t.goto) out.push('[goto]');
  if (t.kind === 'module') {
    const o = t.module.save(t.config);
    if (o) out.push(o);
  }
  return out.join(' ');
}

function targetName(rule: Rule): string {
  const t = rule.target;
  switch (t.kind) {
    case 'verdict':
      return t.verdict;
    case 'jump':
      return t.chain;
    case 'module':
      return t.module.name;
    case 'none':
      return '';
  }
}

function listRule(rule: Rule, num: number): ListedRule {
  const ip = rule.ip;
  const inv = (flag: number): string => (ip.invflags & flag ? '!' : '');
  return {
    num,
    pkts: rule.packets,
    bytes: rule.bytes,
    target: targetName(rule),
    prot: `${inv(INV_PROTO)}${ip.proto}`,
    opt: ip.fragment ? `${ip.invflags & INV_FRAG ? '!' : '-'}f` : '--',
    in: ip.iniface ? `${inv(INV_VIA_IN)}${ip.iniface}` : '*',
    out: ip.outiface ? `${inv(INV_VIA_OUT)}${ip.outiface}` : '*',
    source: `${inv(INV_SRCIP)}${addrText(ip.src, ip.smsk)}`,
    destination: `${inv(INV_DSTIP)}${addrText(ip.dst, ip.dmsk)}`,
    options: optionsText(rule),
  };
}

/** The rule set's tables, chains and rules with their counters, as iptables -L -v -n -x --line-numbers shows them. */
export function listRuleset(rs: Ruleset): ListedTable[] {
  const command = rs.family === Family.V6 ? 'ip6tables' : 'iptables';
  const rank = (n: string): number => (TABLE_ORDER.includes(n) ? TABLE_ORDER.indexOf(n) : TABLE_ORDER.length);
  const tables = [...rs.tables.values()].sort((a, b) => rank(a.name) - rank(b.name));
  return tables.map((t) => {
    const refs = new Map<string, number>();
    for (const c of t.chains.values()) for (const r of c.rules) if (r.target.kind === 'jump') refs.set(r.target.chain, (refs.get(r.target.chain) ?? 0) + 1);
    const chains = chainsInSaveOrder(t).map((c): ListedChain => {
      const references = refs.get(c.name) ?? 0;
      const header = c.builtin ? `Chain ${c.name} (policy ${c.policy} ${c.packets} packets, ${c.bytes} bytes)` : `Chain ${c.name} (${references} references)`;
      return {
        name: c.name,
        builtin: c.builtin,
        ...(c.builtin ? { policy: c.policy } : {}),
        packets: c.packets,
        bytes: c.bytes,
        references,
        header,
        rules: c.rules.map((r, i) => listRule(r, i + 1)),
      };
    });
    return { command, table: t.name, chains };
  });
}
