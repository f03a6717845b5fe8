/**
 * CONNMARK (net/netfilter/xt_connmark.c, revision 2; iptables
 * extensions/libxt_CONNMARK.c): sets the connection's mark, or copies marks
 * between the packet and its connection, and lets the packet go on.
 *
 * connmark_tg_shift, on the entry the packet carries (nothing happens to an
 * untracked or invalid packet, which has none):
 *
 *   set:      ctmark = ((ctmark & ~ctmask) ^ value) shifted
 *   save:     ctmark = (ctmark & ~ctmask) ^ ((mark & nfmask) shifted)
 *   restore:  mark   = (mark & ~nfmask) ^ ((ctmark & ctmask) shifted)
 *
 * Option forms as libxt_CONNMARK revision 2 parses them (`--set-mark v/m`
 * is value v, ctmask v|m; `--and-mark`, `--or-mark`, `--xor-mark` as for
 * MARK; `--mask m` sets both nfmask and ctmask; options apply in order).
 * iptables-save prints `--set-xmark v/m`, or `--save-mark`/`--restore-mark`
 * with both masks, then any shift. Valid in every table and hook (the
 * kernel's checkentry only loads conntrack, which the stack does for rules
 * naming CONNMARK).
 */
import type { Conn } from '../conntrack/conn.js';
import { XT_CONTINUE } from '../types.js';
import { parseValMask, uintArg } from '../args.js';
import { defineTarget, OptionError, type OptionUse } from '../xt.js';
import { exclusive, hex32 } from './xt-util.js';

export const enum ConnmarkMode {
  Set = 0,
  Save = 1,
  Restore = 2,
}

export interface ConnmarkConfig {
  readonly mode: ConnmarkMode;
  readonly ctmark: number;
  readonly ctmask: number;
  readonly nfmask: number;
  /** 0 left, 1 right. */
  readonly shiftDir: 0 | 1;
  readonly shiftBits: number;
}

const OPS = new Set(['set-xmark', 'set-mark', 'and-mark', 'or-mark', 'xor-mark', 'save-mark', 'restore-mark']);

export const connmarkTarget = defineTarget<ConnmarkConfig>({
  name: 'CONNMARK',
  options: [
    { name: 'set-xmark', args: 1 },
    { name: 'set-mark', args: 1 },
    { name: 'and-mark', args: 1 },
    { name: 'or-mark', args: 1 },
    { name: 'xor-mark', args: 1 },
    { name: 'save-mark', args: 0 },
    { name: 'restore-mark', args: 0 },
    { name: 'left-shift-mark', args: 1 },
    { name: 'right-shift-mark', args: 1 },
    { name: 'ctmask', args: 1 },
    { name: 'nfmask', args: 1 },
    { name: 'mask', args: 1 },
  ],

  parse(uses) {
    let mode = ConnmarkMode.Set;
    let ctmark = 0;
    let ctmask = 0xffffffff;
    let nfmask = 0xffffffff;
    let shiftDir: 0 | 1 = 0;
    let shiftBits = 0;
    let op: OptionUse | undefined;
    let maskUse: OptionUse | undefined;
    let ctnfUse: OptionUse | undefined;
    for (const u of uses) {
      const name = u.spec.name;
      if (OPS.has(name)) {
        if (op) throw exclusive('CONNMARK', op, u);
        op = u;
      }
      if (name === 'mask') {
        if (ctnfUse) throw exclusive('CONNMARK', ctnfUse, u);
        maskUse = u;
      } else if (name === 'ctmask' || name === 'nfmask') {
        if (maskUse) throw exclusive('CONNMARK', maskUse, u);
        ctnfUse = u;
      }
      switch (name) {
        case 'set-xmark':
        case 'set-mark': {
          const vm = parseValMask('CONNMARK', u);
          mode = ConnmarkMode.Set;
          ctmark = vm.value;
          ctmask = name === 'set-mark' ? (vm.value | vm.mask) >>> 0 : vm.mask;
          break;
        }
        case 'and-mark':
        case 'or-mark':
        case 'xor-mark': {
          const v = uintArg('CONNMARK', u, 0, 0xffffffff) >>> 0;
          mode = ConnmarkMode.Set;
          ctmark = name === 'and-mark' ? 0 : v;
          ctmask = name === 'and-mark' ? ~v >>> 0 : name === 'or-mark' ? v : 0;
          break;
        }
        case 'save-mark':
          mode = ConnmarkMode.Save;
          break;
        case 'restore-mark':
          mode = ConnmarkMode.Restore;
          break;
        case 'left-shift-mark':
        case 'right-shift-mark':
          shiftBits = uintArg('CONNMARK', u, 0, 32);
          shiftDir = name === 'left-shift-mark' ? 0 : 1;
          break;
        case 'ctmask':
          ctmask = uintArg('CONNMARK', u, 0, 0xffffffff) >>> 0;
          break;
        case 'nfmask':
          nfmask = uintArg('CONNMARK', u, 0, 0xffffffff) >>> 0;
          break;
        case 'mask':
          ctmask = nfmask = uintArg('CONNMARK', u, 0, 0xffffffff) >>> 0;
          break;
      }
    }
    if (!op) throw new OptionError('CONNMARK target: No operation specified');
    return { mode, ctmark, ctmask, nfmask, shiftDir, shiftBits };
  },

  target(config, skb) {
    const ct = skb.ct;
    if (ct === null) return XT_CONTINUE;
    const bits = config.shiftBits;
    const right = config.shiftDir === 1;
    switch (config.mode) {
      case ConnmarkMode.Set: {
        const v = (ct.mark & ~config.ctmask) ^ config.ctmark;
        ct.mark = (right ? v >>> bits : v << bits) >>> 0;
        break;
      }
      case ConnmarkMode.Save: {
        const v = skb.mark & config.nfmask;
        ct.mark = ((ct.mark & ~config.ctmask) ^ (right ? v >>> bits : v << bits)) >>> 0;
        break;
      }
      case ConnmarkMode.Restore: {
        const v = ct.mark & config.ctmask;
        skb.mark = ((skb.mark & ~config.nfmask) ^ (right ? v >>> bits : v << bits)) >>> 0;
        break;
      }
    }
    return XT_CONTINUE;
  },

  save(config) {
    let s: string;
    if (config.mode === ConnmarkMode.Set) s = `--set-xmark ${hex32(config.ctmark)}/${hex32(config.ctmask)}`;
    else {
      s = `${config.mode === ConnmarkMode.Save ? '--save-mark' : '--restore-mark'} --nfmask ${hex32(config.nfmask)} --ctmask ${hex32(config.ctmask)}`;
    }
    if (config.shiftBits !== 0) s += ` --${config.shiftDir === 0 ? 'left' : 'right'}-shift-mark ${config.shiftBits}`;
    return s;
  },
});
