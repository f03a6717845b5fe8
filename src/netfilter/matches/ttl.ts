/**
 * `-m ttl` (ipt_ttl.c / libipt_ttl.c): `--ttl-eq`, `! --ttl-eq` (not
 * equal), `--ttl-lt`, `--ttl-gt`; exactly one of them.
 *
 * @example
 * -m ttl --ttl-lt 5
 */
import { Family, OptionError, defineMatch, type OptionSpec } from '../xt.js';
import { xtStrtoulAll } from '../args.js';
import { checkUses } from './util.js';

export const enum TtlMode {
  Eq = 0,
  Ne = 1,
  Lt = 2,
  Gt = 3,
}

export interface TtlConfig {
  readonly mode: TtlMode;
  readonly value: number;
}

const ALL = ['ttl-eq', 'ttl-lt', 'ttl-gt'];
const OPTIONS: readonly OptionSpec[] = [
  { name: 'ttl-eq', aliases: ['ttl'], args: 1, invert: true, excludes: ['ttl-lt', 'ttl-gt'] },
  { name: 'ttl-lt', args: 1, excludes: ['ttl-eq', 'ttl-gt'] },
  { name: 'ttl-gt', args: 1, excludes: ['ttl-eq', 'ttl-lt'] },
];

export const ttlMatch = defineMatch<TtlConfig>({
  name: 'ttl',
  // xt_hl registers ttl for IPv4 only (ip6tables has hl instead).
  family: Family.V4,
  options: OPTIONS,
  parse(uses) {
    checkUses('ttl', uses);
    const u = uses.find((x) => ALL.includes(x.spec.name));
    if (!u) throw new OptionError("TTL match: You must specify one of `--ttl-eq', `--ttl-lt', `--ttl-gt'");
    const value = xtStrtoulAll(u.args[0]!, 255);
    if (value === undefined) {
      throw new OptionError(`ttl: bad value for option "--${u.spec.name}", or out of range (0-255).`, u);
    }
    const mode = u.spec.name === 'ttl-lt' ? TtlMode.Lt : u.spec.name === 'ttl-gt' ? TtlMode.Gt : u.invert ? TtlMode.Ne : TtlMode.Eq;
    return { mode, value };
  },
  save(c) {
    switch (c.mode) {
      case TtlMode.Eq:
        return `--ttl-eq ${c.value}`;
      case TtlMode.Ne:
        return `! --ttl-eq ${c.value}`;
      case TtlMode.Lt:
        return `--ttl-lt ${c.value}`;
      case TtlMode.Gt:
        return `--ttl-gt ${c.value}`;
    }
  },
  match(c, skb) {
    const ttl = skb.data[8]!;
    switch (c.mode) {
      case TtlMode.Eq:
        return ttl === c.value;
      case TtlMode.Ne:
        return ttl !== c.value;
      case TtlMode.Lt:
        return ttl < c.value;
      case TtlMode.Gt:
        return ttl > c.value;
    }
    return false;
  },
});
