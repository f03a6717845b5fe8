/**
 * CONNSECMARK (net/netfilter/xt_CONNSECMARK.c, extensions/libxt_CONNSECMARK.c),
 * both families, mangle and security tables only: `--save` copies the
 * packet's security mark to its connection when the connection has none,
 * `--restore` copies the connection's to a packet that has none; one of
 * the two. Loading it registers connection tracking (nf_ct_netns_get).
 *
 * Security marks come only from SECMARK, which the reference kernel
 * refuses (no LSM gives it a security context: see SECMARK in the
 * README), so every packet's and connection's mark is 0 and the target
 * changes nothing: it lets the packet go on (XT_CONTINUE), as the kernel
 * does with marks of 0 (golden `connsecmark`: counters and the connections
 * tracked, both families, as the kernel recorded them).
 *
 * @example
 * -t mangle -A INPUT -j CONNSECMARK --save
 */
import { XT_CONTINUE } from '../types.js';
import { defineTarget, OptionError, type OptionSpec } from '../xt.js';
import { checkUses } from '../matches/util.js';

export interface ConnsecmarkConfig {
  readonly mode: 'save' | 'restore';
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'save', args: 0, excludes: ['restore'] },
  { name: 'restore', args: 0, excludes: ['save'] },
];

export const connsecmarkTarget = defineTarget<ConnsecmarkConfig>({
  name: 'CONNSECMARK',
  options: OPTIONS,
  tables: ['mangle', 'security'],
  parse(uses) {
    checkUses('CONNSECMARK', uses);
    const u = uses[0];
    if (!u) throw new OptionError('CONNSECMARK target: parameter required');
    return { mode: u.spec.name === 'save' ? 'save' : 'restore' };
  },
  save(c) {
    return `--${c.mode}`;
  },
  target() {
    return XT_CONTINUE; // every security mark is 0: nothing to copy
  },
});
