/**
 * `-m quota` (net/netfilter/xt_quota.c, extensions/libxt_quota.c), both
 * families: `[!] --quota BYTES` (an unsigned 64-bit number, mandatory).
 *
 * Each rule holds one byte counter for every packet that reaches its
 * quota match, whatever its connection or CPU (the kernel's per-rule
 * `xt_quota_priv`, made by checkentry when the rule is loaded). A packet
 * whose length (skb->len: the IP total length, IPv6 header included) fits
 * in what is left takes its length off and matches; the first packet that
 * does not fit empties the quota, and from then on no packet matches, even
 * a small one. `!` inverts the answer, never the counting.
 *
 * iptables-save prints the quota the rule was loaded with, not what is
 * left: the kernel counts in its private copy (recorded with the kernel
 * oracle, golden xt-matches).
 *
 * The counter is shared by the connections the rule sees, so a rule set
 * with a quota is replayed on one worker (src/workers/exactness.ts).
 *
 * @example
 * -A FORWARD -s 192.0.2.10 -m quota --quota 1000000 -j ACCEPT
 */
import { defineMatch, OptionError, type OptionSpec, type OptionUse } from '../xt.js';
import { cStrtoumax } from '../args.js';
import { checkMandatory, checkUses } from './util.js';

export interface QuotaConfig {
  /** The quota the rule was loaded with (what iptables-save prints). */
  readonly quota: bigint;
  readonly invert: boolean;
  /** What is left (xt_quota_priv.quota), counted down by the packets that match. */
  left: bigint;
}

const OPTIONS: readonly OptionSpec[] = [{ name: 'quota', args: 1, invert: true }];

const U64_MAX = (1n << 64n) - 1n;

/** An XTTYPE_UINT64 argument (xtopt_parse_int): the whole text, no minus sign, 0 to 2^64-1. */
export function u64Arg(ext: string, use: OptionUse): bigint {
  const text = use.args[0] ?? '';
  const r = cStrtoumax(text);
  if (/^\s*-/.test(text) || r.end === 0 || r.end !== text.length || r.overflow) {
    throw new OptionError(`${ext}: bad value for option "--${use.spec.name}", or out of range (0-${U64_MAX}).`, use);
  }
  return r.value;
}

export const quotaMatch = defineMatch<QuotaConfig>({
  name: 'quota',
  options: OPTIONS,
  parse(uses) {
    checkUses('quota', uses);
    checkMandatory('quota', uses, ['quota']);
    const u = uses.find((x) => x.spec.name === 'quota')!;
    const quota = u64Arg('quota', u);
    return { quota, invert: u.invert, left: quota };
  },
  save(c) {
    return `${c.invert ? '! ' : ''}--quota ${c.quota}`;
  },
  match(c, skb) {
    const len = BigInt(skb.totLen);
    if (c.left >= len) {
      c.left -= len;
      return !c.invert;
    }
    c.left = 0n;
    return c.invert;
  },
});
