/**
 * `-m connlabel` (net/netfilter/xt_connlabel.c, extensions/libxt_connlabel.c),
 * both families: `[!] --label NAME|N [--set]`.
 *
 * A conntrack entry carries 128 label bits (the labels extension). The
 * match tests bit N of the packet's entry; with `--set` it sets the bit
 * when clear and matches (so `--set` always matches, and `! --label N
 * --set` never does, though it sets the bit). A packet without an entry,
 * or whose entry has no labels (made before any connlabel rule was
 * loaded), matches only inverted.
 *
 * iptables reads label names from /etc/xtables/connlabel.conf, which
 * Debian's iptables does not ship: without it (cofw's guest has none) only
 * numbers are accepted, read as strtoul reads them (`0x10` is 16) and
 * stored in 16 bits (65536 is bit 0); any other text is refused with
 * iptables' "label 'NAME' not found or invalid value". iptables-save quotes
 * the number: `--label "5"`. The kernel refuses a bit of 128 or more
 * (nf_connlabels_get: ERANGE). `conntrack -L` does not list labels unless
 * asked (`-o labels`, which needs the same file), so the labels show in
 * the counters of the rules that test them.
 *
 * @example
 * -A FORWARD -i eth1 -m connlabel --label 3 --set
 * -A FORWARD -m connlabel --label 3 -j ACCEPT
 */
import { cStrtoumax } from '../args.js';
import { CheckError, defineMatch, OptionError, type OptionSpec } from '../xt.js';
import { checkMandatory, checkUses } from './util.js';

export interface ConnlabelConfig {
  readonly bit: number;
  readonly invert: boolean;
  readonly set: boolean;
}

/** NF_CT_LABELS_MAX_SIZE in bits. */
export const CONNLABEL_BITS = 128;

const OPTIONS: readonly OptionSpec[] = [
  { name: 'label', args: 1, invert: true },
  { name: 'set', args: 0 },
];

export const connlabelMatch = defineMatch<ConnlabelConfig>({
  name: 'connlabel',
  options: OPTIONS,
  parse(uses) {
    checkUses('connlabel', uses);
    checkMandatory('connlabel', uses, ['label']);
    let bit = 0;
    let invert = false;
    let set = false;
    for (const u of uses) {
      if (u.spec.name === 'set') {
        set = true;
        continue;
      }
      const text = u.args[0] ?? '';
      // connlabel_value_parse: strtoul(in, &end, 0) into an int; the whole text, not empty, not negative as an int.
      const r = cStrtoumax(text);
      const asInt = Number(BigInt.asIntN(32, r.value));
      if (text === '' || r.end !== text.length || asInt < 0) {
        throw new OptionError(
          `label '${text}' not found or invalid value (cofw's guest has no /etc/xtables/connlabel.conf: give the label's bit number, 0 to 127)`,
          u,
        );
      }
      bit = asInt & 0xffff;
      invert = u.invert;
    }
    return { bit, invert, set };
  },
  check(c) {
    if (c.bit >= CONNLABEL_BITS)
      throw new CheckError(`connlabel: label bit ${c.bit} is past the ${CONNLABEL_BITS} bits a connection has (Numerical result out of range)`);
  },
  attach(_c, services) {
    services.useConnlabels?.();
  },
  save(c) {
    return `${c.invert ? '! ' : ''}--label "${c.bit}"${c.set ? ' --set' : ''}`;
  },
  match(c, skb) {
    const labels = skb.ct?.labels;
    if (!labels) return c.invert;
    const w = c.bit >>> 5;
    const m = 1 << (c.bit & 31);
    if (labels[w]! & m) return !c.invert;
    if (c.set) {
      labels[w]! |= m;
      return !c.invert;
    }
    return c.invert;
  },
});
