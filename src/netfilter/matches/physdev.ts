/**
 * `-m physdev` (xt_physdev.c / libxt_physdev.c): the bridge ports a
 * bridged packet entered or leaves by (`--physdev-in`, `--physdev-out`,
 * `--physdev-is-in`, `--physdev-is-out`, `--physdev-is-bridged`), for
 * rules that filter traffic crossing a Linux bridge (br_netfilter).
 *
 * Refused: cofw's machine has no bridge. Its interfaces are routed ports,
 * so no packet crosses a bridge and none carries bridge port information.
 * On such a host the kernel would load the rule and match a packet only
 * when every option the rule uses is inverted (physdev_mt without
 * nf_bridge info); but a rule file that names bridge ports was written for
 * a host where packets do cross a bridge (Docker, libvirt, Proxmox, a
 * bridging firewall), and replaying it without one would report verdicts
 * that host never gives. cofw refuses the rule and says so, after reading
 * its options as iptables does (so a malformed rule gets iptables' own
 * message first).
 *
 * @example
 * -A FORWARD -m physdev --physdev-is-bridged -j ACCEPT   # refused
 */
import { interfaceName } from '../args.js';
import { OptionError, defineMatch, type OptionSpec } from '../xt.js';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'physdev-in', args: 1, invert: true },
  { name: 'physdev-out', args: 1, invert: true },
  { name: 'physdev-is-in', args: 0, invert: true },
  { name: 'physdev-is-out', args: 0, invert: true },
  { name: 'physdev-is-bridged', args: 0, invert: true },
];

/** Why cofw refuses every physdev rule, and what to do instead. */
export const PHYSDEV_REFUSAL =
  "physdev: cofw's machine has no bridge, so no packet has bridge ports to match (the kernel's br_netfilter path is not emulated); " +
  'this rule was written for traffic crossing a Linux bridge, which cofw cannot replay. Remove the rule, or match the routed interface with -i/-o instead';

export const physdevMatch = defineMatch<null>({
  name: 'physdev',
  options: OPTIONS,
  parse(uses) {
    if (uses.length === 0) throw new OptionError('PHYSDEV: no physdev option specified');
    for (const u of uses) {
      if (u.spec.args) {
        const text = u.args[0] ?? '';
        if (text.length >= 16) throw new OptionError(`interface name \`${text}' must be shorter than IFNAMSIZ (15)`, u);
        interfaceName(text, `--${u.spec.name}`, u);
      }
    }
    throw new OptionError(PHYSDEV_REFUSAL, uses[0]);
  },
  save() {
    return '';
  },
  match() {
    return false;
  },
});
