/**
 * The argument kinds iptables extensions share, parsed once, as libxtables
 * 1.8.9 parses them (libxtables/xtables.c, xtoptions.c) and with its
 * messages: unsigned numbers (the two strtoul behaviours below), ranges,
 * rates, value/mask pairs, DSCP and TOS names, addresses and masks of
 * either family, interface names. Modules call these typed helpers from
 * their `parse`; nothing here runs per packet.
 *
 * Numbers come in two variants, because iptables reads them two ways:
 *
 * - {@link xtStrtoul} / {@link xtStrtoulAll} mirror `xtables_strtoul` and
 *   `xtables_strtoui`: strtoumax with base 0 (`0x` hex, leading-`0`
 *   octal, leading white space and `+`), but a leading minus sign is
 *   refused ("Since strtoul allows leading minus, we have to check for
 *   ourself"), as is a value beyond 2^64-1 (ERANGE) or outside
 *   [min, max]. Every XTTYPE_UINT*, UINT*RC, MARKMASK32, TOSMASK, PLEN and
 *   port option goes through them, and so do libxt_u32, libxt_CT's zone,
 *   libxt_tcp's --tcp-option and hashlimit's burst.
 * - {@link cStrtoumax} mirrors glibc's strtoul/strtoumax called directly, as
 *   libxt_time does for its dates, times and days: a minus sign negates
 *   modulo 2^64, no digits gives 0 with the end at the start, overflow
 *   gives 2^64-1.
 *
 * Addresses take the rule file's family (`ParseContext.family`): IPv4 text
 * as the libxtables function behind the option reads it (the numeric
 * parser that completes `10.1` to 10.1.0.0, or getaddrinfo's inet_aton
 * that reads it as 10.0.0.1), IPv6 text as inet_pton. cofw resolves no
 * host names.
 *
 * Families of the modules (`family` / `emulates` in each module), from the
 * kernel's registrations (net/netfilter/xt_*.c, net/ipv4/netfilter/ipt_*.c;
 * "both" is NFPROTO_UNSPEC or one entry per family) and iptables'
 * extensions (libxt_* serve both, libipt_* IPv4 only):
 *
 * | module            | kernel registers    | iptables   | cofw                              |
 * | ----------------- | ------------------- | ---------- | --------------------------------- |
 * | tcp, udp          | IPv4 + IPv6         | libxt      | both (transport header only)      |
 * | icmp              | IPv4 (ip_tables.c)  | libipt     | family V4                         |
 * | multiport         | IPv4 + IPv6         | libxt      | both                              |
 * | comment, helper   | UNSPEC              | libxt      | both                              |
 * | iprange           | IPv4 + IPv6         | libxt      | both (addresses of either family) |
 * | length            | IPv4 + IPv6         | libxt      | both (Skb.totLen)                 |
 * | ttl               | IPv4 (xt_hl.c)      | libipt     | family V4 (hl is IPv6's)          |
 * | mac, pkttype      | UNSPEC              | libxt      | both                              |
 * | addrtype          | IPv4 + IPv6 (rev 1) | libxt      | both (IPv6: addrtype_mt6's lookup) |
 * | state, conntrack  | UNSPEC              | libxt      | both (conntrack addresses either) |
 * | limit, statistic  | UNSPEC              | libxt      | both                              |
 * | hashlimit, recent | IPv4 + IPv6         | libxt      | both (IPv6 keys, masks to 128)    |
 * | connlimit         | UNSPEC / per family | libxt      | both (IPv6 keys, masks to 128)    |
 * | mark, connmark    | UNSPEC              | libxt      | both                              |
 * | dscp, tos, ecn    | IPv4 + IPv6         | libxt      | both (TOS byte, traffic class)    |
 * | tcpmss            | IPv4 + IPv6         | libxt      | both (TCP header only)            |
 * | string, u32, time | UNSPEC              | libxt      | both (from the network header)    |
 * | icmp6, hl         | IPv6                | libip6t    | family V6 (icmp and ttl are IPv4's) |
 * | ipv6header, frag  | IPv6                | libip6t    | family V6                         |
 * | hbh, dst, rt, mh  | IPv6                | libip6t    | family V6                         |
 * | eui64             | IPv6                | libip6t    | family V6                         |
 * | ah                | ipt_ah + ip6t_ah    | libipt + libip6t | both (each family's own options and header) |
 * | esp               | IPv4 + IPv6         | libxt      | both (transport header only)      |
 * | LOG               | IPv4 + IPv6         | libxt      | both (each family's log line)     |
 * | NFLOG             | UNSPEC              | libxt      | both (prints the LOG line)        |
 * | REJECT            | ipt_REJECT + ip6t_REJECT | libipt + libip6t | both (each family's types and replies) |
 * | MARK, CONNMARK    | UNSPEC              | libxt      | both                              |
 * | CT, NOTRACK       | IPv4 + IPv6         | libxt      | both                              |
 * | DSCP, TOS         | IPv4 + IPv6         | libxt      | both (TOS byte, traffic class)    |
 * | TTL               | IPv4 (xt_HL.c)      | libipt     | family V4 (HL is IPv6's)          |
 * | HL                | IPv6 (xt_HL.c)      | libip6t    | family V6                         |
 * | ECN               | IPv4 (ipt_ECN.c)    | libipt     | family V4                         |
 * | TCPMSS            | IPv4 + IPv6         | libxt      | both (IPv6 lengths, route back)   |
 * | TRACE             | UNSPEC              | libxt      | both                              |
 *
 * @example
 * xtStrtoulAll('0x10', 255) === 16; xtStrtoulAll('-0', 255) === undefined
 * parseRate('3/min', LIMIT_RATE) // { avg: 200000n, mult: 60 }
 * parsePlen('255.255.255.0', Family.V4) === 24
 */
import { Family, InetAddr, familyBits, parseIPv6, parseInetAddr } from '../packet/inet-addr.js';
import { OptionError, type OptionUse } from './xt.js';

export { HZ } from './clock.js';

// ---------------------------------------------------------------------------
// Numbers

/** A number read from the start of a text, and where reading stopped. */
export interface NumPrefix {
  value: number;
  /** Index of the first character not consumed. */
  end: number;
}

const U64 = (1n << 64n) - 1n;

/** isspace() in the C locale. */
function isCSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
}

function digitOf(c: string | undefined): number {
  if (c === undefined) return 99;
  const k = c.charCodeAt(0);
  if (k >= 48 && k <= 57) return k - 48;
  if (k >= 97 && k <= 122) return k - 87;
  if (k >= 65 && k <= 90) return k - 55;
  return 99;
}

interface Scan {
  neg: boolean;
  value: bigint;
  /** At least one digit was read. */
  digits: boolean;
  overflow: boolean;
  end: number;
}

/** glibc's ____strtoul_l_internal up to the sign handling: white space, sign, base prefix, digits. */
function scan(text: string, from: number, base: number): Scan {
  let i = from;
  while (isCSpace(text[i])) i++;
  let neg = false;
  if (text[i] === '+' || text[i] === '-') {
    neg = text[i] === '-';
    i++;
  }
  let b = base;
  if ((b === 0 || b === 16) && text[i] === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X') && digitOf(text[i + 2]) < 16) {
    b = 16;
    i += 2;
  } else if (b === 0) b = text[i] === '0' ? 8 : 10;
  const start = i;
  let v = 0n;
  let overflow = false;
  const big = BigInt(b);
  for (; i < text.length; i++) {
    const d = digitOf(text[i]);
    if (d >= b) break;
    if (!overflow) {
      v = v * big + BigInt(d);
      if (v > U64) overflow = true;
    }
  }
  return { neg, value: v, digits: i > start, overflow, end: i > start ? i : from };
}

/**
 * xtables_strtoul(s, &end, &value, min, max) (and xtables_strtoui): the
 * unsigned number at `from`, base 0, with where it stopped; undefined when
 * the text (after white space) starts with `-`, has no digit, overflows
 * 64 bits or is outside [min, max]. What follows the number is the
 * caller's to judge.
 */
export function xtStrtoul(text: string, max: number, from = 0, min = 0): NumPrefix | undefined {
  let i = from;
  while (isCSpace(text[i])) i++;
  if (text[i] === '-') return undefined;
  const s = scan(text, from, 0);
  if (!s.digits || s.overflow || s.value < BigInt(min) || s.value > BigInt(max)) return undefined;
  return { value: Number(s.value), end: s.end };
}

/** xtables_strtoul(s, NULL, ...) / xtables_strtoui(s, NULL, ...): the whole text as a number in [min, max]. */
export function xtStrtoulAll(text: string, max: number, min = 0): number | undefined {
  const r = xtStrtoul(text, max, 0, min);
  return r && r.end === text.length ? r.value : undefined;
}

/**
 * glibc's strtoul(s + from, &end, base) / strtoumax, for the iptables code
 * that calls it directly (libxt_time): leading white space and a sign
 * accepted, a minus negating modulo 2^64; overflow gives 2^64-1 (ERANGE);
 * no digits gives 0 with `end` at `from` (end == s). The value is the
 * unsigned 64-bit result: `Number(value & 0xffffffffn)` is it stored in an
 * `unsigned int`. `overflow` is set when strtoul would set errno to
 * ERANGE.
 */
export function cStrtoumax(text: string, from = 0, base: 0 | 8 | 10 | 16 = 0): { value: bigint; end: number; overflow?: boolean } {
  const s = scan(text, from, base);
  if (!s.digits) return { value: 0n, end: from };
  if (s.overflow) return { value: U64, end: s.end, overflow: true };
  return { value: s.neg ? BigInt.asUintN(64, -s.value) : s.value, end: s.end };
}

/**
 * glibc's scanf `%x` into an `unsigned int`, at `from`: white space, a sign,
 * an optional 0x (a 0x with no digit after it is read as 0, its x taken
 * too), hexadecimal digits; a minus negates modulo 2^64, more than 64 bits
 * give ULONG_MAX, the result is kept to 32 bits. Undefined when no digit
 * is read (the conversion fails).
 */
export function scanfHex(text: string, from: number): { value: number; end: number } | undefined {
  const r = cStrtoumax(text, from, 16);
  if (r.end === from) return undefined;
  let end = r.end;
  let i = from;
  while (isCSpace(text[i])) i++;
  if (text[i] === '+' || text[i] === '-') i++;
  if (end === i + 1 && text[i] === '0' && (text[end] === 'x' || text[end] === 'X')) end++;
  return { value: Number(r.value & 0xffffffffn), end };
}

/**
 * atoi / atoll as iptables stores their result in an unsigned variable of
 * `bits` bits (libxt_limit's `uint32_t r = atoi(rate)`, libxt_hashlimit's
 * `uint64_t r = atoll(rate)`): white space, a sign, decimal digits; the rest
 * ignored; no digits is 0.
 */
export function atoiUnsigned(text: string, bits: 32 | 64): bigint {
  let i = 0;
  while (isCSpace(text[i])) i++;
  let neg = false;
  if (text[i] === '+' || text[i] === '-') neg = text[i++] === '-';
  const start = i;
  while (i < text.length && text[i]! >= '0' && text[i]! <= '9') i++;
  const v = i > start ? BigInt(text.slice(start, i)) : 0n;
  return BigInt.asUintN(bits, neg ? -v : v);
}

/**
 * An XTTYPE_UINT8/16/32 option (xtopt_parse_int): the whole argument in
 * [min, max], or iptables' "bad value ... or out of range (min-max)." for
 * the module `ext`.
 */
export function uintArg(ext: string, use: OptionUse, min: number, max: number): number {
  const v = xtStrtoulAll(use.args[0] ?? '', max, min);
  if (v === undefined) throw new OptionError(`${ext}: bad value for option "--${use.spec.name}", or out of range (${min}-${max}).`, use);
  return v;
}

// ---------------------------------------------------------------------------
// Ranges

/**
 * An XTTYPE_UINT16RC/UINT32RC option `a`, `a:b`, `:b`, `a:` (xtopt_parse_mint):
 * a missing first bound is 0, a missing second `max`; the bounds are kept
 * as written (`10:5` stays 10:5). Messages are iptables'.
 */
export function parseUintRange(ext: string, use: OptionUse, max: number): [number, number] {
  const text = use.args[0] ?? '';
  const name = use.spec.name;
  const vals: number[] = [];
  let pos = 0;
  for (let i = 0; ; i++) {
    if (i === 2) throw new OptionError(`${ext}: Too many components for option "--${name}" (max: 2)`, use);
    let end: number;
    let value: number;
    if (pos >= text.length || text[pos] === ':') {
      end = pos;
      value = i > 0 ? max : 0;
    } else {
      const r = xtStrtoul(text, max, pos);
      if (!r) throw new OptionError(`${ext}: bad value for option "--${name}" near "${text.slice(pos)}", or out of range (0-${max}).`, use);
      end = r.end;
      value = r.value;
      if (end < text.length && text[end] !== ':') {
        throw new OptionError(`${ext}: Argument to "--${name}" has unexpected characters near "${text.slice(end)}".`, use);
      }
    }
    vals.push(value);
    if (end >= text.length) break;
    pos = end + 1;
  }
  return [vals[0]!, vals[1] ?? vals[0]!];
}

/** `a<sep>b` cut at the first separator (strchr), as libxt_iprange and the port parsers cut; `b` undefined without one. */
export function splitRange(text: string, sep: string): [string, string | undefined] {
  const at = text.indexOf(sep);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

// ---------------------------------------------------------------------------
// Rates (`3/min`)

/** How a module turns a rate into its average interval (see {@link parseRate}). */
export interface RateSpec {
  /** Units of the average per second (XT_LIMIT_SCALE, XT_HASHLIMIT_SCALE_v2). */
  readonly scale: bigint;
  /** Width of the unsigned variable the count is read into (atoi into uint32_t, atoll into uint64_t). */
  readonly bits: 32 | 64;
}

/** libxt_limit: `uint32_t r = atoi(rate)`, avg in 1/10000 s (XT_LIMIT_SCALE). */
export const LIMIT_RATE: RateSpec = { scale: 10000n, bits: 32 };
/** libxt_hashlimit revision 2 and later: `uint64_t r = atoll(rate)`, avg in 1/1000000 s (XT_HASHLIMIT_SCALE_v2). */
export const HASHLIMIT_RATE: RateSpec = { scale: 1000000n, bits: 64 };

/**
 * The seconds of a rate's unit as parse_rate reads it: any prefix of
 * second, minute, hour or day after the `/` (any case); 1 without a `/`;
 * 0 when the unit is empty or unknown.
 */
export function rateUnit(text: string): number {
  const slash = text.indexOf('/');
  if (slash < 0) return 1;
  const u = text.slice(slash + 1).toLowerCase();
  if (u.length === 0) return 0;
  if ('second'.startsWith(u)) return 1;
  if ('minute'.startsWith(u)) return 60;
  if ('hour'.startsWith(u)) return 3600;
  if ('day'.startsWith(u)) return 86400;
  return 0;
}

/**
 * parse_rate of libxt_limit and libxt_hashlimit: `N[/unit]` as the average
 * interval `scale * unit / N` and the unit's seconds; undefined when the
 * unit is bad or N is 0 (each module words that refusal itself); throws
 * iptables' `Rate too fast "..."` when the interval rounds to 0.
 */
export function parseRate(text: string, spec: RateSpec, use?: OptionUse): { avg: bigint; mult: number } | undefined {
  const mult = rateUnit(text);
  if (mult === 0) return undefined;
  const r = atoiUnsigned(text, spec.bits);
  if (r === 0n) return undefined;
  const avg = (spec.scale * BigInt(mult)) / r;
  if (avg === 0n) throw new OptionError(`Rate too fast "${text}"`, use);
  return { avg, mult };
}

const PRINT_UNITS = [
  ['day', 86400],
  ['hour', 3600],
  ['min', 60],
  ['sec', 1],
] as const;

/**
 * print_rate of libxt_limit and libxt_hashlimit: the largest unit (day,
 * hour, min, sec) that shows the average interval `avg` without losing
 * more than it keeps, and the count per that unit (`3/min`).
 */
export function printRate(avg: bigint, scale: bigint): { count: bigint; unit: 'day' | 'hour' | 'min' | 'sec'; seconds: number; text: string } {
  let i = 1;
  for (; i < PRINT_UNITS.length; i++) {
    const m = scale * BigInt(PRINT_UNITS[i]![1]);
    if (avg > m || m / avg < m % avg) break;
  }
  const [unit, seconds] = PRINT_UNITS[i - 1]!;
  const count = (scale * BigInt(seconds)) / avg;
  return { count, unit, seconds, text: `${count}/${unit}` };
}

// ---------------------------------------------------------------------------
// Value/mask pairs

/**
 * An XTTYPE_MARKMASK32 option `value[/mask]` (xtables_parse_val_mask
 * without a name map); the mask is 0xffffffff when absent. Messages are
 * iptables'.
 */
export function parseValMask(ext: string, use: OptionUse): { value: number; mask: number } {
  const arg = use.args[0] ?? '';
  const name = use.spec.name;
  const bad = (): never => {
    throw new OptionError(`${ext}: bad integer value for option "--${name}", or out of range.`, use);
  };
  const garbage = (): never => {
    throw new OptionError(`${ext}: trailing garbage after value for option "--${name}".`, use);
  };
  const v = xtStrtoul(arg, 0xffffffff) ?? bad();
  if (v.end === arg.length) return { value: v.value, mask: 0xffffffff };
  if (arg[v.end] !== '/') garbage();
  const m = xtStrtoul(arg, 0xffffffff, v.end + 1) ?? bad();
  if (m.end !== arg.length) garbage();
  return { value: v.value, mask: m.value };
}

/**
 * xtables_parse_val_mask with a name map (libxt_devgroup's
 * /etc/iproute2/group, libxt_realm's /etc/iproute2/rt_realms): a number
 * `value[/mask]`, or a name of `names` (mask 0xffffffff). Text that is not
 * a number followed by nothing or `/` is looked up as a name.
 */
export function parseValMaskNamed(ext: string, use: OptionUse, names: ReadonlyMap<string, number>, file: string): { value: number; mask: number } {
  const arg = use.args[0] ?? '';
  const name = use.spec.name;
  const byName = (): { value: number; mask: number } => {
    const v = names.get(arg);
    if (v === undefined)
      throw new OptionError(
        `${ext}: could not map name ${arg} to an integer value for option "--${name}". (the guest's ${file} names only ${[...names.keys()].join(', ')}: give a number)`,
        use,
      );
    return { value: v, mask: 0xffffffff };
  };
  const v = xtStrtoul(arg, 0xffffffff);
  if (!v) return byName();
  if (v.end === arg.length) return { value: v.value, mask: 0xffffffff };
  if (arg[v.end] !== '/') return byName();
  const m = xtStrtoul(arg, 0xffffffff, v.end + 1);
  if (!m) throw new OptionError(`${ext}: bad integer value for option "--${name}", or out of range.`, use);
  if (m.end !== arg.length) throw new OptionError(`${ext}: trailing garbage after value for option "--${name}".`, use);
  return { value: v.value, mask: m.value };
}

/** xtables_print_val_mask: ` 0xV/0xM`, or with a full mask the value's name in `names`, else ` 0xV` (without the leading space). */
export function printValMask(value: number, mask: number, names: ReadonlyMap<string, number>): string {
  if (mask !== 0xffffffff) return `0x${value.toString(16)}/0x${mask.toString(16)}`;
  for (const [n, id] of names) if (id === value) return n;
  return `0x${value.toString(16)}`;
}

/** tos_symbol_names of libxtables: the TOS names, any case. */
export const TOS_NAMES: ReadonlyMap<string, number> = new Map([
  ['minimize-delay', 0x10],
  ['maximize-throughput', 0x08],
  ['maximize-reliability', 0x04],
  ['minimize-cost', 0x02],
  ['normal-service', 0x00],
]);

/**
 * An XTTYPE_TOSMASK argument (xtopt_parse_tosmask): `value[/mask]` (0-255
 * each; mask 0xff when absent) or a TOS name (any case), whose mask is
 * `nameMask` (the option's `.max`: 0x3f for the tos match and TOS target
 * revision 1). Throws OptionError with iptables' messages, naming `use`.
 */
export function parseTosMask(arg: string, nameMask = 0x3f, use?: OptionUse): { value: number; mask: number } {
  const v = xtStrtoul(arg, 0xff);
  if (v) {
    let end = v.end;
    let mask = 0xff;
    if (arg[end] === '/') {
      const m = xtStrtoul(arg, 0xff, end + 1);
      if (!m) throw new OptionError(`Illegal value: "${arg}"`, use);
      mask = m.value;
      end = m.end;
    }
    if (end !== arg.length) throw new OptionError(`Illegal value: "${arg}"`, use);
    return { value: v.value, mask };
  }
  const named = TOS_NAMES.get(arg.toLowerCase());
  if (named === undefined) throw new OptionError(`Symbolic name "${arg}" is unknown`, use);
  return { value: named, mask: nameMask };
}

// ---------------------------------------------------------------------------
// DSCP classes

/** ds_classes of extensions/dscp_helper.c, in its order (the first prefix wins). */
export const DSCP_CLASSES: ReadonlyArray<readonly [string, number]> = [
  ['CS0', 0x00],
  ['CS1', 0x08],
  ['CS2', 0x10],
  ['CS3', 0x18],
  ['CS4', 0x20],
  ['CS5', 0x28],
  ['CS6', 0x30],
  ['CS7', 0x38],
  ['BE', 0x00],
  ['AF11', 0x0a],
  ['AF12', 0x0c],
  ['AF13', 0x0e],
  ['AF21', 0x12],
  ['AF22', 0x14],
  ['AF23', 0x16],
  ['AF31', 0x1a],
  ['AF32', 0x1c],
  ['AF33', 0x1e],
  ['AF41', 0x22],
  ['AF42', 0x24],
  ['AF43', 0x26],
  ['EF', 0x2e],
];

/**
 * class_to_dscp (dscp_helper.c, used by the dscp match and the DSCP
 * target): the first class whose name begins the text, compared without
 * case over the class name's length (strncasecmp), so `EFX` is EF and
 * `cs10` is CS1; undefined when none does.
 */
export function dscpClass(text: string): number | undefined {
  const upper = text.toUpperCase();
  for (const [name, v] of DSCP_CLASSES) if (upper.startsWith(name)) return v;
  return undefined;
}

/** class_to_dscp with its message (`Invalid DSCP value `x'`). */
export function dscpClassArg(use: OptionUse): number {
  const v = dscpClass(use.args[0] ?? '');
  if (v === undefined) throw new OptionError(`Invalid DSCP value \`${use.args[0] ?? ''}'`, use);
  return v;
}

// ---------------------------------------------------------------------------
// Addresses and masks, in either family

/**
 * xtables_numeric_to_ipaddr: a dotted IPv4 address, each part 0-255 in
 * xtables_strtoui form (`010` is 8, `0x1` is 1, leading white space
 * allowed); fewer than four parts are completed with zero bytes (`10.1`
 * is 10.1.0.0, a network address). The text is cut to 19 characters first,
 * as the C code copies it into a 20-byte buffer. Undefined when malformed.
 */
export function numericIPv4(text: string): number | undefined {
  const parts = text.slice(0, 19).split('.');
  if (parts.length > 4) {
    // The fourth part then holds a dot, which xtables_strtoui refuses.
    return undefined;
  }
  let v = 0;
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    let n = 0;
    if (p !== undefined) {
      const r = xtStrtoulAll(p, 255);
      if (r === undefined) return undefined;
      n = r;
    }
    v = v * 256 + n;
  }
  return v >>> 0;
}

/**
 * inet_aton, as getaddrinfo reads a numeric IPv4 host (XTTYPE_HOST,
 * XTTYPE_HOSTMASK, a mask written as an address): one to four parts in C
 * number syntax, the last filling the remaining bytes (`16` is 0.0.0.16,
 * `10.1` is 10.0.0.1); no white space, sign or trailing text. Undefined
 * when malformed.
 */
export function inetAton(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length > 4) return undefined;
  const v: number[] = [];
  for (const p of parts) {
    if (p.length === 0 || isCSpace(p[0]) || p[0] === '+' || p[0] === '-') return undefined;
    const r = xtStrtoul(p, 0xffffffff);
    if (!r || r.end !== p.length) return undefined;
    v.push(r.value);
  }
  const last = v.length - 1;
  let out = 0;
  for (let i = 0; i < last; i++) {
    if (v[i]! > 255) return undefined;
    out = out * 256 + v[i]!;
  }
  const room = 4 - last;
  if (v[last]! >= 2 ** (8 * room)) return undefined;
  return (out * 2 ** (8 * room) + v[last]!) >>> 0;
}

/**
 * A numeric address of the family as libxtables' xtables_numeric_to_ipaddr
 * (IPv4, see {@link numericIPv4}) or xtables_numeric_to_ip6addr (IPv6:
 * inet_pton) reads it; undefined when it is not one. What libxt_iprange
 * and the generic `-s`/`-d` read.
 */
export function numericAddr(text: string, family: Family): InetAddr | undefined {
  if (family === Family.V6) return parseIPv6(text);
  const v = numericIPv4(text);
  return v === undefined ? undefined : InetAddr.v4(v);
}

/**
 * A numeric host of the family as getaddrinfo reads it for XTTYPE_HOST and
 * XTTYPE_HOSTMASK (IPv4: inet_aton, see {@link inetAton}; IPv6: inet_pton);
 * undefined when it is not one (iptables would try DNS; cofw does not).
 */
export function hostAddr(text: string, family: Family): InetAddr | undefined {
  if (family === Family.V6) return parseIPv6(text);
  const v = inetAton(text);
  return v === undefined ? undefined : InetAddr.v4(v);
}

/**
 * An XTTYPE_HOST option's argument (TPROXY's --on-ip, TEE's --gateway): a
 * numeric host of the rule file's family ({@link hostAddr}), else
 * getaddrinfo's error as iptables prints it (cofw resolves no names here).
 */
export function hostArg(use: OptionUse, family: Family): InetAddr {
  const text = use.args[0] ?? '';
  const a = hostAddr(text, family);
  if (a) return a;
  const other = parseInetAddr(text);
  if (other && other.family !== family) throw new OptionError('getaddrinfo: Address family for hostname not supported', use);
  throw new OptionError(`getaddrinfo: Name or service not known (${text}: write a numeric address)`, use);
}

/**
 * An XTTYPE_PLEN argument (xtopt_parse_plen): a prefix length 0-32 (IPv4)
 * or 0-128 (IPv6) in xtables_strtoui form, else a mask written as an
 * address (getaddrinfo, numeric), whose prefix length is returned, or -1
 * when the mask has holes (xtables_ipmask_to_cidr; the kernel then gets an
 * all-ones mask, see {@link plenMask}). Undefined when the text is neither:
 * the caller throws {@link plenError}.
 */
export function parsePlen(text: string, family: Family): number | undefined {
  const n = xtStrtoulAll(text, familyBits(family));
  if (n !== undefined) return n;
  const m = hostAddr(text, family);
  return m === undefined ? undefined : m.prefixLength();
}

/**
 * The mask xtopt_parse_plenmask builds from a prefix length: the first
 * `plen` bits set; all bits when `plen` is beyond the family's width or -1
 * (a mask with holes leaves the all-ones mask in place).
 */
export function plenMask(family: Family, plen: number): InetAddr {
  const bits = familyBits(family);
  return InetAddr.mask(family, plen < 0 || plen > bits ? bits : plen);
}

/** xtopt_parse_plen's refusal: `ext: bad value for option "--x", neither a valid network mask nor valid CIDR (0-32).` */
export function plenError(ext: string, use: OptionUse, family: Family): OptionError {
  return new OptionError(`${ext}: bad value for option "--${use.spec.name}", neither a valid network mask nor valid CIDR (0-${familyBits(family)}).`, use);
}

// ---------------------------------------------------------------------------
// Interface names

/** IFNAMSIZ: interface names hold at most 15 characters and a NUL. */
export const IFNAMSIZ = 16;

/**
 * An interface name as the kernel accepts one for a rule (`eth0`, `eth+`
 * for every name starting `eth`): 1 to 15 characters, no white space or
 * `/`, not `.` or `..` (dev_valid_name). Throws OptionError naming `what`
 * (the option, such as `-i`).
 */
export function interfaceName(text: string, what: string, use?: OptionUse): string {
  if (text.length === 0 || text.length >= IFNAMSIZ) {
    throw new OptionError(`interface name \`${text}' for ${what} must be 1 to ${IFNAMSIZ - 1} characters`, use);
  }
  if (/[\s/]/.test(text) || text === '.' || text === '..') throw new OptionError(`invalid interface name \`${text}' for ${what}`, use);
  return text;
}
