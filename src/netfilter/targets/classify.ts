/**
 * CLASSIFY (net/netfilter/xt_CLASSIFY.c, extensions/libxt_CLASSIFY.c), both
 * families: `--set-class MAJOR:MINOR` (hexadecimal, each kept to 16 bits)
 * sets skb->priority, the traffic control class an egress qdisc (HTB, CBQ,
 * prio) files the packet in, and the packet goes on (XT_CONTINUE).
 *
 * Only in the mangle table, from OUTPUT, FORWARD and POSTROUTING (the
 * kernel's registration). iptables reads the class with sscanf("%x:%x"):
 * `0x1:0x10` and `1:10zz` are read too (what follows the minor number is
 * ignored); iptables-save prints `%04x:%04x` (`0001:0010`).
 *
 * The packet keeps the class (Skb.priority) through the later rules, but
 * nothing in cofw's outputs reads it (no queueing discipline; no match of
 * iptables reads skb->priority, nor classic BPF), so the rule counts its
 * packets and changes nothing cofw reports.
 *
 * @example
 * -A POSTROUTING -o eth0 -p tcp --dport 22 -j CLASSIFY --set-class 1:10
 */
import { Hook, XT_CONTINUE } from '../types.js';
import { defineTarget, hookBits, OptionError, type OptionSpec } from '../xt.js';
import { scanfHex } from '../args.js';
import { checkMandatory, checkUses } from '../matches/util.js';

export interface ClassifyConfig {
  /** TC_H_MAKE(major << 16, minor). */
  readonly priority: number;
}

const OPTIONS: readonly OptionSpec[] = [{ name: 'set-class', args: 1 }];

export const classifyTarget = defineTarget<ClassifyConfig>({
  name: 'CLASSIFY',
  options: OPTIONS,
  tables: ['mangle'],
  hooks: hookBits(Hook.LocalOut, Hook.Forward, Hook.PostRouting),
  parse(uses) {
    checkUses('CLASSIFY', uses);
    checkMandatory('CLASSIFY', uses, ['set-class']);
    const u = uses[0]!;
    const text = u.args[0] ?? '';
    const major = scanfHex(text, 0);
    const minor = major && text[major.end] === ':' ? scanfHex(text, major.end + 1) : undefined;
    if (!major || !minor) throw new OptionError(`Bad class value "${text}" (expected MAJOR:MINOR in hexadecimal, such as 1:10)`, u);
    return { priority: (((major.value << 16) & 0xffff0000) | (minor.value & 0xffff)) >>> 0 };
  },
  save(c) {
    const hex4 = (n: number): string => n.toString(16).padStart(4, '0');
    return `--set-class ${hex4(c.priority >>> 16)}:${hex4(c.priority & 0xffff)}`;
  },
  target(c, skb) {
    skb.priority = c.priority;
    return XT_CONTINUE;
  },
});
