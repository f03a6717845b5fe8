/**
 * `-m hl` (hl_mt6 in net/netfilter/xt_hl.c, extensions/libip6t_hl.c):
 * the IPv6 hop limit `--hl-eq`, `! --hl-eq` (not equal), `--hl-lt`,
 * `--hl-gt`; exactly one of them. `--hl` is another spelling of `--hl-eq`.
 * Saved as the option and the decimal value.
 *
 * @example
 * -m hl --hl-lt 2
 */
import { defineMatch, Family, OptionError, type OptionSpec } from '../xt.js';
import { uintArg } from '../args.js';
import { fcheck } from './ip6-ext.js';
import { checkUses } from './util.js';

/** IP6T_HL_* (linux/netfilter_ipv6/ip6t_hl.h). */
export const enum HlMode {
  Eq = 0,
  Ne = 1,
  Lt = 2,
  Gt = 3,
}

export interface HlConfig {
  readonly mode: HlMode;
  readonly value: number;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'hl-eq', aliases: ['hl'], args: 1, invert: true },
  { name: 'hl-lt', args: 1 },
  { name: 'hl-gt', args: 1 },
];

/** hl_opts in its order: every option excludes the others (F_ANY). */
const ANY = [0, 1, 2];
const TABLE = [
  { name: 'hl-lt', id: 1, excl: ANY },
  { name: 'hl-gt', id: 2, excl: ANY },
  { name: 'hl-eq', id: 0, excl: ANY },
];
const ID: Record<string, number> = { 'hl-eq': 0, 'hl-lt': 1, 'hl-gt': 2 };

export const hlMatch = defineMatch<HlConfig>({
  name: 'hl',
  // xt_hl registers hl for IPv6 only (iptables has ttl).
  family: Family.V6,
  options: OPTIONS,
  parse(uses) {
    checkUses('hl', uses);
    let cfg: HlConfig | undefined;
    for (const u of uses) {
      // Its message names the option as written (`--hl` is an entry of its own in hl_opts).
      const value = uintArg('hl', u.written === 'hl' ? { ...u, spec: { ...u.spec, name: 'hl' } } : u, 0, 255);
      const name = u.spec.name;
      cfg = { mode: name === 'hl-lt' ? HlMode.Lt : name === 'hl-gt' ? HlMode.Gt : u.invert ? HlMode.Ne : HlMode.Eq, value };
    }
    if (!cfg) throw new OptionError("HL match: You must specify one of `--hl-eq', `--hl-lt', `--hl-gt'");
    fcheck('hl', TABLE, new Set(uses.map((u) => ID[u.spec.name]!)), uses);
    return cfg;
  },
  save(c) {
    const op = ['--hl-eq', '! --hl-eq', '--hl-lt', '--hl-gt'][c.mode];
    return `${op} ${c.value}`;
  },
  match(c, skb) {
    const hl = skb.data[7]!;
    switch (c.mode) {
      case HlMode.Eq:
        return hl === c.value;
      case HlMode.Ne:
        return hl !== c.value;
      case HlMode.Lt:
        return hl < c.value;
      case HlMode.Gt:
        return hl > c.value;
    }
    return false;
  },
});
