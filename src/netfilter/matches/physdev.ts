/**
 * `-m physdev` (xt_physdev.c / libxt_physdev.c): the bridge ports a
 * packet crossing a Linux bridge entered or leaves by, as br_netfilter
 * records them (see src/net/bridge.ts): `--physdev-in` and `--physdev-out`
 * name a port (`+` ends a prefix, `!` inverts), `--physdev-is-in` and
 * `--physdev-is-out` ask whether there is one, `--physdev-is-bridged`
 * whether the packet is being bridged (it has an output port: FORWARD and
 * POSTROUTING of bridged traffic).
 *
 * physdev_mt: a packet that never entered by a bridge port (no
 * nf_bridge_info) matches only when every option the rule uses is
 * inverted. Otherwise: `--physdev-is-bridged` needs an output port;
 * `--physdev-is-in`/`--physdev-is-out` the port; `--physdev-in` is left
 * unchecked when there is no input port; `--physdev-out` does not match
 * when there is no output port, whether inverted or not.
 *
 * physdev_mt_check: `--physdev-out` or `--physdev-is-out` without a plain
 * `--physdev-is-bridged` is refused in OUTPUT (only bridged packets have
 * an output port, and OUTPUT never sees one). With iptables-nft the
 * refusal concerns the built-in OUTPUT chain itself: a user chain reached
 * from OUTPUT loads (the kernel then only logs a warning).
 *
 * A rule file is read with this match only when the machine declares a
 * bridge (machine file `bridges:`): on a machine without one no packet
 * carries bridge ports, and a rule written for a host where packets do
 * cross a bridge (Proxmox, libvirt, OpenStack, Docker, a bridging
 * firewall) would report verdicts that host never gives. Without a bridge
 * the rule is refused with that reason, after its options are read as
 * iptables reads them (a malformed rule gets iptables' own message first).
 *
 * @example
 * -A FORWARD -m physdev --physdev-in eth1 --physdev-out eth2 -j ACCEPT
 * -A FORWARD -m physdev --physdev-is-bridged -j ACCEPT
 */
import { interfaceName } from '../args.js';
import type { NetDevice, Skb, XtParams } from '../types.js';
import { CheckError, OptionError, defineMatch, type OptionSpec } from '../xt.js';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'physdev-in', args: 1, invert: true },
  { name: 'physdev-out', args: 1, invert: true },
  { name: 'physdev-is-in', args: 0, invert: true },
  { name: 'physdev-is-out', args: 0, invert: true },
  { name: 'physdev-is-bridged', args: 0, invert: true },
];

/** XT_PHYSDEV_OP_* (linux/netfilter/xt_physdev.h). */
const OP_IN = 1;
const OP_OUT = 2;
const OP_BRIDGED = 4;
const OP_ISIN = 8;
const OP_ISOUT = 16;

const BIT: Record<string, number> = {
  'physdev-in': OP_IN,
  'physdev-out': OP_OUT,
  'physdev-is-in': OP_ISIN,
  'physdev-is-out': OP_ISOUT,
  'physdev-is-bridged': OP_BRIDGED,
};

/** Why cofw refuses a physdev rule on a machine without a bridge, and what to do instead. */
export const PHYSDEV_REFUSAL =
  'physdev: the machine has no bridge, so no packet crosses one and none has bridge ports to match; ' +
  'declare the bridge in the machine file (`bridges:` with its name, ports and addresses, see README "Bridges") to replay traffic crossing it, ' +
  'or match the routed interface with -i/-o instead';

export interface PhysdevConfig {
  readonly bitmask: number;
  readonly invert: number;
  /** The names as written (`eth+` keeps its `+`). */
  readonly inName: string;
  readonly outName: string;
  /** Compared names: the whole name, or the prefix before a final `+`. */
  readonly inText: string;
  readonly inPrefix: boolean;
  readonly outText: string;
  readonly outPrefix: boolean;
}

/** ifname_compare_aligned under xtables_parse_interface's mask: the whole name, or a prefix for `name+`. */
function nameMatches(dev: NetDevice, text: string, prefix: boolean): boolean {
  return prefix ? dev.name.startsWith(text) : dev.name === text;
}

export const physdevMatch = defineMatch<PhysdevConfig>({
  name: 'physdev',
  options: OPTIONS,
  parse(uses, ctx) {
    if (uses.length === 0) throw new OptionError('PHYSDEV: no physdev option specified');
    let bitmask = 0;
    let invert = 0;
    let inName = '';
    let outName = '';
    for (const u of uses) {
      const bit = BIT[u.spec.name]!;
      if (bitmask & bit) throw new OptionError(`physdev: option "--${u.spec.name}" can only be used once.`, u);
      bitmask |= bit;
      if (u.invert) invert |= bit;
      if (u.spec.args) {
        const text = u.args[0] ?? '';
        if (text.length >= 16) throw new OptionError(`interface name \`${text}' must be shorter than IFNAMSIZ (15)`, u);
        interfaceName(text, `--${u.spec.name}`, u);
        if (bit === OP_IN) inName = text;
        else outName = text;
      }
    }
    if (!ctx.bridgePorts?.length) throw new OptionError(PHYSDEV_REFUSAL, uses[0]);
    const plus = (s: string): boolean => s.endsWith('+');
    return {
      bitmask,
      invert,
      inName,
      outName,
      inText: plus(inName) ? inName.slice(0, -1) : inName,
      inPrefix: plus(inName),
      outText: plus(outName) ? outName.slice(0, -1) : outName,
      outPrefix: plus(outName),
    };
  },
  check(c, ctx) {
    if (c.bitmask & (OP_OUT | OP_ISOUT) && (!(c.bitmask & OP_BRIDGED) || c.invert & OP_BRIDGED) && ctx.chain === 'OUTPUT')
      throw new CheckError(
        'RULE_APPEND failed (Invalid argument): rule in chain OUTPUT: physdev: --physdev-out and --physdev-is-out only supported in the FORWARD and POSTROUTING chains with bridged traffic',
      );
  },
  save(c) {
    const parts: string[] = [];
    const not = (bit: number): string => (c.invert & bit ? '! ' : '');
    if (c.bitmask & OP_ISIN) parts.push(`${not(OP_ISIN)}--physdev-is-in`);
    if (c.bitmask & OP_IN) parts.push(`${not(OP_IN)}--physdev-in ${c.inName}`);
    if (c.bitmask & OP_ISOUT) parts.push(`${not(OP_ISOUT)}--physdev-is-out`);
    if (c.bitmask & OP_OUT) parts.push(`${not(OP_OUT)}--physdev-out ${c.outName}`);
    if (c.bitmask & OP_BRIDGED) parts.push(`${not(OP_BRIDGED)}--physdev-is-bridged`);
    return parts.join(' ');
  },
  match(c, skb: Skb, _par: XtParams) {
    const bm = c.bitmask;
    const inv = c.invert;
    const inDev = skb.physIn;
    if (inDev === null) {
      // No nf_bridge_info: a match only when every option used is inverted.
      return (bm & ~inv) === 0;
    }
    const outDev = skb.physOut;
    if (bm & OP_BRIDGED && (outDev !== null) !== !(inv & OP_BRIDGED)) return false;
    // It entered by a port (nf_bridge_info exists): `! --physdev-is-in` fails.
    if (bm & OP_ISIN && inv & OP_ISIN) return false;
    if (bm & OP_ISOUT && (outDev === null) !== ((inv & OP_ISOUT) !== 0)) return false;
    if (bm & OP_IN && nameMatches(inDev, c.inText, c.inPrefix) === ((inv & OP_IN) !== 0)) return false;
    if (!(bm & OP_OUT)) return true;
    if (outDev === null) return false;
    return nameMatches(outDev, c.outText, c.outPrefix) !== ((inv & OP_OUT) !== 0);
  },
});
