/**
 * `-m devgroup` (net/netfilter/xt_devgroup.c, extensions/libxt_devgroup.c),
 * both families: `[!] --src-group GROUP[/MASK]` tests the input device's
 * group, `[!] --dst-group GROUP[/MASK]` the output device's:
 * `(group ^ value) & mask` is zero, inverted by `!`. At least one is
 * needed. The groups are the machine file's (`group:` on an interface; 0,
 * the kernel's default, when absent; lo is in group 0).
 *
 * A group is a number (base 0: `0x10`, `010`) or a name of
 * /etc/iproute2/group, which on Debian names only `default` (0);
 * iptables-save prints a full-mask group by its name when it has one,
 * otherwise in hexadecimal (`--src-group 0x5`, `0x3/0xf`).
 *
 * checkentry refuses `--src-group` in a rule of OUTPUT or POSTROUTING and
 * `--dst-group` in one of PREROUTING or INPUT (EINVAL), where the kernel
 * has no such device. Through nf_tables (iptables-nft) it sees the hook of
 * a built-in chain only: in a user chain either is accepted, whatever
 * reaches it, and tests group 0 where the packet has no such device.
 *
 * @example
 * -A FORWARD -m devgroup --src-group 10 --dst-group 20 -j ACCEPT
 */
import { parseValMaskNamed, printValMask } from '../args.js';
import { Hook, HOOK_NAMES } from '../types.js';
import { CheckError, defineMatch, hookBits, OptionError, type OptionSpec } from '../xt.js';
import { checkUses } from './util.js';
import { hookNames } from './mac.js';

/** Debian's /etc/iproute2/group. */
export const DEVICE_GROUP_NAMES: ReadonlyMap<string, number> = new Map([['default', 0]]);

export interface DevgroupConfig {
  readonly src: boolean;
  readonly srcGroup: number;
  readonly srcMask: number;
  readonly invSrc: boolean;
  readonly dst: boolean;
  readonly dstGroup: number;
  readonly dstMask: number;
  readonly invDst: boolean;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'src-group', args: 1, invert: true },
  { name: 'dst-group', args: 1, invert: true },
];

const SRC_HOOKS = hookBits(Hook.PreRouting, Hook.LocalIn, Hook.Forward);
const DST_HOOKS = hookBits(Hook.Forward, Hook.LocalOut, Hook.PostRouting);

export const devgroupMatch = defineMatch<DevgroupConfig>({
  name: 'devgroup',
  options: OPTIONS,
  parse(uses) {
    checkUses('devgroup', uses);
    const c = { src: false, srcGroup: 0, srcMask: 0, invSrc: false, dst: false, dstGroup: 0, dstMask: 0, invDst: false };
    for (const u of uses) {
      const { value, mask } = parseValMaskNamed('devgroup', u, DEVICE_GROUP_NAMES, '/etc/iproute2/group');
      if (u.spec.name === 'src-group') Object.assign(c, { src: true, srcGroup: value, srcMask: mask, invSrc: u.invert });
      else Object.assign(c, { dst: true, dstGroup: value, dstMask: mask, invDst: u.invert });
    }
    if (!c.src && !c.dst) throw new OptionError("devgroup match: You must specify either '--src-group' or '--dst-group'");
    return c;
  },
  check(c, ctx) {
    // nft_compat gives checkentry the hook of a base chain only (a user chain's rules see hook_mask 0).
    const at = HOOK_NAMES.indexOf(ctx.chain as (typeof HOOK_NAMES)[number]);
    const mask = at < 0 ? 0 : 1 << at;
    if (c.src && mask & ~SRC_HOOKS)
      throw new CheckError(`devgroup: --src-group used from hook ${hookNames(mask)}, but only valid from PREROUTING/INPUT/FORWARD (Invalid argument)`);
    if (c.dst && mask & ~DST_HOOKS)
      throw new CheckError(`devgroup: --dst-group used from hook ${hookNames(mask)}, but only valid from FORWARD/OUTPUT/POSTROUTING (Invalid argument)`);
  },
  save(c) {
    const parts: string[] = [];
    if (c.src) parts.push(`${c.invSrc ? '! ' : ''}--src-group ${printValMask(c.srcGroup, c.srcMask, DEVICE_GROUP_NAMES)}`);
    if (c.dst) parts.push(`${c.invDst ? '! ' : ''}--dst-group ${printValMask(c.dstGroup, c.dstMask, DEVICE_GROUP_NAMES)}`);
    return parts.join(' ');
  },
  match(c, _skb, par) {
    if (c.src && ((((par.inDev?.group ?? 0) ^ c.srcGroup) & c.srcMask) !== 0) !== c.invSrc) return false;
    if (c.dst && ((((par.outDev?.group ?? 0) ^ c.dstGroup) & c.dstMask) !== 0) !== c.invDst) return false;
    return true;
  },
});
