/**
 * The ruleset as loaded: tables of chains of rules, with counters. This is
 * the kernel's view (ipt_entry: IP header part, matches, target, counters),
 * independent of how it was written.
 */
import { Family, InetAddr } from '../../packet/inet-addr.js';
import { Hook } from '../types.js';
import type { BoundMatch, BoundTarget } from '../xt.js';

/** Inversion flags, as IPT_INV_*. */
export const INV_VIA_IN = 0x01;
export const INV_VIA_OUT = 0x02;
export const INV_SRCIP = 0x08;
export const INV_DSTIP = 0x10;
export const INV_FRAG = 0x20;
export const INV_PROTO = 0x40;

/**
 * The generic part of a rule: what `ip_packet_match` (and for IPv6
 * `ip6_packet_match`) checks. Addresses are of the rule set's family, the
 * address already masked; a mask of all zeros means "any".
 */
export interface IpMatch {
  src: InetAddr;
  smsk: InetAddr;
  dst: InetAddr;
  dmsk: InetAddr;
  /** Interface names as written, `+` suffix kept ('' when absent). */
  iniface: string;
  outiface: string;
  proto: number;
  /** `-f`: only non-first fragments. */
  fragment: boolean;
  invflags: number;
}

/** A standard target: ACCEPT, DROP, RETURN, a jump or goto to a user chain, or none. */
export type StandardTarget =
  | { readonly kind: 'verdict'; readonly verdict: 'ACCEPT' | 'DROP' | 'RETURN' }
  | { readonly kind: 'jump'; readonly chain: string; readonly goto: boolean }
  | { readonly kind: 'none' };

export interface Rule {
  ip: IpMatch;
  matches: BoundMatch[];
  target: StandardTarget | ({ readonly kind: 'module' } & BoundTarget);
  packets: number;
  bytes: number;
  /** Source line of the rule file, 0 when made otherwise. */
  line: number;
}

export interface Chain {
  name: string;
  /** Built-in chains have a policy; user chains do not. */
  builtin: boolean;
  policy: 'ACCEPT' | 'DROP';
  /** Policy counters (built-in chains). */
  packets: number;
  bytes: number;
  rules: Rule[];
}

export interface Table {
  name: string;
  chains: Map<string, Chain>;
  /** Line of the `*table` header in the rule file, 0 when made otherwise. */
  line: number;
}

export interface Ruleset {
  /** Family.V4 for an iptables rule file, Family.V6 for ip6tables. */
  family: Family;
  /** Tables in the order they were first written. */
  tables: Map<string, Table>;
  /** The rule file's name, for reports. */
  file: string;
}

/** Built-in chains of each table, in hook order. */
export const BUILTIN_CHAINS: Readonly<Record<string, readonly string[]>> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

export const CHAIN_HOOK: Readonly<Record<string, Hook>> = {
  PREROUTING: Hook.PreRouting,
  INPUT: Hook.LocalIn,
  FORWARD: Hook.Forward,
  OUTPUT: Hook.LocalOut,
  POSTROUTING: Hook.PostRouting,
};

export function newTable(name: string, line = 0): Table {
  const chains = new Map<string, Chain>();
  for (const c of BUILTIN_CHAINS[name] ?? []) {
    chains.set(c, { name: c, builtin: true, policy: 'ACCEPT', packets: 0, bytes: 0, rules: [] });
  }
  return { name, chains, line };
}

export function emptyIpMatch(family: Family = Family.V4): IpMatch {
  const any = InetAddr.any(family);
  return { src: any, smsk: any, dst: any, dmsk: any, iniface: '', outiface: '', proto: 0, fragment: false, invflags: 0 };
}
