/**
 * `-m mac` (xt_mac.c / libxt_mac.c): the Ethernet source address of a
 * received frame, with `!`. Packets without an Ethernet header (locally
 * generated ones) never match, inverted or not, as in the kernel. Only
 * valid in chains reached from PREROUTING, INPUT or FORWARD.
 *
 * @example
 * -m mac --mac-source 02:00:00:00:00:01
 */
import { CheckError, OptionError, defineMatch, hookBits, type OptionSpec } from '../xt.js';
import { HOOK_NAMES, Hook } from '../types.js';
import { formatMac } from '../../packet/addr.js';
import { checkMandatory, checkUses } from './util.js';

export interface MacConfig {
  readonly mac: Uint8Array;
  readonly invert: boolean;
}

const OPTIONS: readonly OptionSpec[] = [{ name: 'mac-source', args: 1, invert: true, mandatory: true }];

export const MAC_HOOKS = hookBits(Hook.PreRouting, Hook.LocalIn, Hook.Forward);

/** The kernel's textify_hooks: hook names joined with `/`. */
export function hookNames(mask: number): string {
  return HOOK_NAMES.filter((_, i) => mask & (1 << i)).join('/');
}

export const macMatch = defineMatch<MacConfig>({
  name: 'mac',
  options: OPTIONS,
  parse(uses) {
    checkUses('mac', uses);
    checkMandatory('mac', uses, ['mac-source']);
    const u = uses.find((x) => x.spec.name === 'mac-source')!;
    const parts = u.args[0]!.split(':');
    if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) {
      throw new OptionError(`Invalid MAC address specified: ${u.args[0]}; expected six hex bytes like 00:11:22:33:44:55`, u);
    }
    return { mac: Uint8Array.from(parts.map((p) => parseInt(p, 16))), invert: u.invert };
  },
  check(_c, ctx) {
    if (ctx.hookMask & ~MAC_HOOKS) {
      throw new CheckError(`mac match: used from hooks ${hookNames(ctx.hookMask)}, but only valid from ${hookNames(MAC_HOOKS)}`);
    }
  },
  save(c) {
    return `${c.invert ? '! ' : ''}--mac-source ${formatMac(c.mac)}`;
  },
  match(c, skb) {
    const m = skb.mac;
    if (m === null || m.length < 14) return false;
    const a = c.mac;
    const eq = m[6] === a[0] && m[7] === a[1] && m[8] === a[2] && m[9] === a[3] && m[10] === a[4] && m[11] === a[5];
    return eq !== c.invert;
  },
});
