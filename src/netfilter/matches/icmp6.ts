/**
 * `-m icmp6` (icmp6_match in net/ipv6/netfilter/ip6_tables.c,
 * extensions/libip6t_icmp6.c of iptables 1.8.9): `--icmpv6-type` by name
 * (or a prefix of one, any case), number, `type/code`, or with a code range
 * `type/min:max`; `!` inverts. ip6tables-save prints the type as a number
 * and, when the codes are not 0-255, `/` and the lowest code only (so
 * `1/0:3` is saved as `1/0`, though the kernel keeps 0-3).
 *
 * The kernel requires `-p ipv6-icmp` (the match's .proto): `-p icmpv6`,
 * `-p ipv6-icmp` and `-p 58` all load it implicitly, and `-m icmpv6` or
 * `-m ipv6-icmp` name it too. A non-first fragment never matches (not even
 * inverted); a first fragment whose 8-byte ICMPv6 header is cut short is
 * dropped (hotdrop).
 *
 * @example
 * -p ipv6-icmp -m icmp6 --icmpv6-type echo-request    (saved as 128)
 * -p ipv6-icmp -m icmp6 --icmpv6-type 1/4             (port unreachable)
 */
import { CheckError, defineMatch, Family, OptionError, type OptionSpec, type OptionUse } from '../xt.js';
import { xtStrtoul } from '../args.js';
import { fcheck } from './ip6-ext.js';
import { checkUses } from './util.js';

export const IPPROTO_ICMPV6 = 58;

export interface Icmp6Config {
  readonly type: number;
  readonly codeMin: number;
  readonly codeMax: number;
  readonly invert: boolean;
}

/** icmpv6_codes of extensions/libxt_icmp.h: name, type, lowest and highest code, in its order. */
export const ICMPV6_NAMES: ReadonlyArray<readonly [string, number, number, number]> = [
  ['destination-unreachable', 1, 0, 0xff],
  ['no-route', 1, 0, 0],
  ['communication-prohibited', 1, 1, 1],
  ['beyond-scope', 1, 2, 2],
  ['address-unreachable', 1, 3, 3],
  ['port-unreachable', 1, 4, 4],
  ['failed-policy', 1, 5, 5],
  ['reject-route', 1, 6, 6],
  ['packet-too-big', 2, 0, 0xff],
  ['time-exceeded', 3, 0, 0xff],
  ['ttl-exceeded', 3, 0, 0xff],
  ['ttl-zero-during-transit', 3, 0, 0],
  ['ttl-zero-during-reassembly', 3, 1, 1],
  ['parameter-problem', 4, 0, 0xff],
  ['bad-header', 4, 0, 0],
  ['unknown-header-type', 4, 1, 1],
  ['unknown-option', 4, 2, 2],
  ['echo-request', 128, 0, 0xff],
  ['ping', 128, 0, 0xff],
  ['echo-reply', 129, 0, 0xff],
  ['pong', 129, 0, 0xff],
  ['router-solicitation', 133, 0, 0xff],
  ['router-advertisement', 134, 0, 0xff],
  ['neighbour-solicitation', 135, 0, 0xff],
  ['neighbor-solicitation', 135, 0, 0xff],
  ['neighbour-advertisement', 136, 0, 0xff],
  ['neighbor-advertisement', 136, 0, 0xff],
  ['redirect', 137, 0, 0xff],
];

/** parse_range of libxt_icmp.h: `n` or `n:m` (0-255 each) from `from`; the pair and where it stopped. */
function parseRange(text: string, from: number): { lo: number; hi: number; end: number } | undefined {
  const a = xtStrtoul(text, 255, from);
  if (!a) return undefined;
  if (text[a.end] !== ':') return { lo: a.value, hi: a.value, end: a.end };
  const b = xtStrtoul(text, 255, a.end + 1);
  if (!b) return undefined;
  return { lo: a.value, hi: b.value, end: b.end };
}

/**
 * ipt_parse_icmpv6 (__parse_icmp of libxt_icmp.h): a name or a prefix of
 * one (strncasecmp; a second candidate is ambiguous), else `type[:type]`
 * with an optional `/code[:code]`; a type range is refused. Throws with
 * iptables' messages.
 */
export function parseIcmpv6Type(text: string, use?: OptionUse): { type: number; codeMin: number; codeMax: number } {
  const lower = text.toLowerCase();
  let found = -1;
  for (let i = 0; i < ICMPV6_NAMES.length; i++) {
    if (!ICMPV6_NAMES[i]![0].startsWith(lower)) continue;
    if (found >= 0) {
      throw new OptionError(`Ambiguous ICMPv6 type \`${text}': \`${ICMPV6_NAMES[found]![0]}' or \`${ICMPV6_NAMES[i]![0]}'?`, use);
    }
    found = i;
  }
  if (found >= 0) {
    const [, type, codeMin, codeMax] = ICMPV6_NAMES[found]!;
    return { type, codeMin, codeMax };
  }
  const t = parseRange(text, 0);
  if (!t) throw new OptionError(`Unknown ICMPv6 type \`${text}'`, use);
  let codeMin = 0;
  let codeMax = 0xff;
  const ch = text[t.end];
  if (ch === '/') {
    const c = parseRange(text, t.end + 1);
    if (!c) throw new OptionError(`Unknown ICMPv6 code \`${text}'`, use);
    codeMin = c.lo;
    codeMax = c.hi;
    if (c.end < text.length) throw new OptionError(`unknown character ${text[c.end]}`, use);
  } else if (ch !== undefined) throw new OptionError(`unknown character ${ch}`, use);
  if (t.lo !== t.hi) throw new OptionError('ICMPv6 type range not supported', use);
  return { type: t.lo, codeMin, codeMax };
}

const OPTIONS: readonly OptionSpec[] = [{ name: 'icmpv6-type', args: 1, invert: true }];

export const icmp6Match = defineMatch<Icmp6Config>({
  name: 'icmp6',
  // xtables_find_match takes these two names for icmp6.
  aliases: ['icmpv6', 'ipv6-icmp'],
  // ip6_tables.c registers icmp6 for IPv6 only (iptables has icmp).
  family: Family.V6,
  options: OPTIONS,
  parse(uses) {
    checkUses('icmp6', uses);
    const u = uses.find((x) => x.spec.name === 'icmpv6-type');
    fcheck('icmp6', [{ name: 'icmpv6-type', id: 0, mandatory: true }], new Set(u ? [0] : []));
    return { ...parseIcmpv6Type(u!.args[0] ?? '', u), invert: u!.invert };
  },
  /** xt_check_match: the match's .proto is IPPROTO_ICMPV6, without `!`. */
  check(_c, ctx) {
    if (ctx.head.proto !== IPPROTO_ICMPV6 || ctx.head.invProto) {
      throw new CheckError('icmp6 match: only valid for protocol 58 (use -p ipv6-icmp without !)');
    }
  },
  save(c) {
    const inv = c.invert ? '! ' : '';
    const code = c.codeMin !== 0 || c.codeMax !== 0xff ? `/${c.codeMin}` : '';
    return `${inv}--icmpv6-type ${c.type}${code}`;
  },
  match(c, skb, par) {
    if (skb.fragoff !== 0) return false;
    const th = skb.thoff;
    // skb_header_pointer of a whole struct icmp6hdr (8 bytes).
    if (th + 8 > skb.len) {
      par.hotdrop = true;
      return false;
    }
    const type = skb.data[th]!;
    const code = skb.data[th + 1]!;
    return (type === c.type && code >= c.codeMin && code <= c.codeMax) !== c.invert;
  },
});
