/**
 * `-m helper` (xt_helper.c / libxt_helper.c): `[!] --helper name` matches
 * packets of an *expected* connection (one a conntrack helper such as ftp
 * or sip announced) whose master connection has that helper; `--helper ""`
 * matches any helper. Names longer than 29 characters are cut to 29, as
 * the kernel's 30-byte field keeps them.
 *
 * The kernel returns the inversion flag unless the packet's entry has a
 * master with a helper: without helpers nothing is ever expected, so
 * `--helper X` (even `--helper ""`) matches no packet and `! --helper X`
 * matches every packet, tracked or not. cofw's conntrack has no helpers
 * (and Linux 6.18 assigns none automatically: nf_conntrack_helper is 0 and
 * only a CT --helper rule would attach one), so that is exactly its
 * behaviour. The match makes the kernel register conntrack's hooks.
 *
 * @example
 * -m helper --helper ftp
 */
import { defineMatch, OptionError, type OptionSpec } from '../xt.js';
import { checkUses, saveString } from './util.js';

export interface HelperMatchConfig {
  readonly name: string;
  readonly invert: boolean;
}

const OPTIONS: readonly OptionSpec[] = [{ name: 'helper', args: 1, invert: true, mandatory: true }];

export const helperMatch = defineMatch<HelperMatchConfig>({
  name: 'helper',
  options: OPTIONS,
  parse(uses) {
    checkUses('helper', uses);
    const u = uses.find((x) => x.spec.name === 'helper');
    if (!u) throw new OptionError('helper: option "--helper" must be specified');
    return { name: (u.args[0] ?? '').slice(0, 29), invert: u.invert };
  },
  save(c) {
    return `${c.invert ? '! ' : ''}--helper ${saveString(c.name)}`;
  },
  match(c) {
    // No entry ever has a master connection with a helper (see above).
    return c.invert;
  },
});
