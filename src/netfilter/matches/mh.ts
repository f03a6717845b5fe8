/**
 * `-m mh` (net/ipv6/netfilter/ip6t_mh.c, extensions/libip6t_mh.c): the
 * Mobile IPv6 mobility header type. `--mh-type T` or a range `T:T`
 * (either side may be empty: 0 and 255), each a number 0-255 or a name
 * (`binding-update`, `bu`, ...; a prefix picks the first name it begins,
 * an exact name wins), `!` inverts. The kernel requires `-p mh` (135,
 * without `!`). Saved as numbers; the full range 0:255 is not printed
 * (inverted or not).
 *
 * A non-first fragment does not match; a first fragment whose 6-byte
 * mobility header is cut short, or whose payload proto field is not 59
 * ("no next header"), is dropped (hotdrop), as the kernel drops it.
 *
 * ip6tables loads `mh` implicitly only when `-p` is written `mh`
 * (`-p mh --mh-type 5`), not `-p mobility-header` nor `-p 135`.
 *
 * @example
 * -p mh -m mh --mh-type binding-update      (saved as --mh-type 5)
 */
import { CheckError, defineMatch, Family, OptionError, type OptionSpec, type OptionUse } from '../xt.js';
import { xtStrtoulAll } from '../args.js';
import { checkUses } from './util.js';

export const IPPROTO_MH = 135;

export interface MhConfig {
  readonly types: readonly [number, number];
  readonly invert: boolean;
}

/** mh_names of libip6t_mh.c, in its order. */
const MH_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['binding-refresh-request', 0],
  ['brr', 0],
  ['home-test-init', 1],
  ['hoti', 1],
  ['careof-test-init', 2],
  ['coti', 2],
  ['home-test', 3],
  ['hot', 3],
  ['careof-test', 4],
  ['cot', 4],
  ['binding-update', 5],
  ['bu', 5],
  ['binding-acknowledgement', 6],
  ['ba', 6],
  ['binding-error', 7],
  ['be', 7],
];

/** name_to_type: the first name the text begins (any case), an exact name over it; else a number 0-255. */
function nameToType(name: string, use: OptionUse): number {
  const lower = name.toLowerCase();
  let match = -1;
  for (let i = 0; i < MH_NAMES.length; i++) {
    const n = MH_NAMES[i]![0];
    if (n.slice(0, lower.length) === lower && (match < 0 || n.length === lower.length)) match = i;
  }
  if (match >= 0) return MH_NAMES[match]![1];
  const v = xtStrtoulAll(name, 255);
  if (v === undefined) throw new OptionError(`Invalid MH type \`${name}'`, use);
  return v;
}

/** parse_mh_types: `T` or `A:B` cut at the first `:`. */
function parseTypes(text: string, use: OptionUse): [number, number] {
  const colon = text.indexOf(':');
  if (colon < 0) {
    const t = nameToType(text, use);
    return [t, t];
  }
  const a = text.slice(0, colon);
  const b = text.slice(colon + 1);
  const lo = a ? nameToType(a, use) : 0;
  const hi = b ? nameToType(b, use) : 0xff;
  if (lo > hi) throw new OptionError('Invalid MH type range (min > max)', use);
  return [lo, hi];
}

const OPTIONS: readonly OptionSpec[] = [{ name: 'mh-type', args: 1, invert: true }];

export const mhMatch = defineMatch<MhConfig>({
  name: 'mh',
  family: Family.V6,
  options: OPTIONS,
  parse(uses) {
    checkUses('mh', uses);
    const u = uses.find((x) => x.spec.name === 'mh-type');
    if (!u) return { types: [0, 0xff], invert: false };
    return { types: parseTypes(u.args[0] ?? '', u), invert: u.invert };
  },
  /** xt_check_match: the match's .proto is IPPROTO_MH, without `!`. */
  check(_c, ctx) {
    if (ctx.head.proto !== IPPROTO_MH || ctx.head.invProto) {
      throw new CheckError('mh match: only valid for protocol 135 (use -p mh without !)');
    }
  },
  save(c) {
    const [lo, hi] = c.types;
    if (lo === 0 && hi === 0xff) return '';
    return `${c.invert ? '! ' : ''}--mh-type ${lo !== hi ? `${lo}:${hi}` : lo}`;
  },
  match(c, skb, par) {
    if (skb.fragoff !== 0) return false;
    const th = skb.thoff;
    // struct ip6_mh: proto, hdrlen, type, reserved, checksum (6 bytes).
    if (th + 6 > skb.len) {
      par.hotdrop = true;
      return false;
    }
    if (skb.data[th] !== 59) {
      par.hotdrop = true;
      return false;
    }
    const type = skb.data[th + 2]!;
    return (type >= c.types[0] && type <= c.types[1]) !== c.invert;
  },
});
