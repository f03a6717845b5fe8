/**
 * `-m helper` (xt_helper.c / libxt_helper.c): `[!] --helper name` matches
 * packets of an *expected* connection (one a conntrack helper such as ftp
 * or sip announced) whose master connection has that helper; `--helper ""`
 * matches any helper. Names longer than 29 characters are cut to 29, as
 * the kernel's 30-byte field keeps them.
 *
 * The kernel returns the inversion flag unless the packet's entry has a
 * master with a helper: packets of connections nobody expected (and
 * untracked packets) match `! --helper X` and never `--helper X`, not even
 * `--helper ""`. A name matches when it begins with the master's helper's
 * name (strncmp over the helper name's length: `--helper ftpx` matches
 * ftp). On Linux 6.18 a connection gets a helper only from a `CT --helper`
 * rule (nf_conntrack_helper is gone), and cofw emulates the ftp and tftp
 * helpers. The match makes the kernel register conntrack's hooks.
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
  match(c, skb) {
    // helper_mt: the helper of the entry's master; a name matches when it starts with the helper's name (strncmp over strlen(helper->name)).
    const ct = skb.ct;
    if (ct === null || ct.master === null) return c.invert;
    const h = ct.master.helper;
    if (h === null) return c.invert;
    if (c.name === '') return !c.invert;
    return c.invert !== c.name.startsWith(h.name);
  },
});
