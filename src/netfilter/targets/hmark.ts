/**
 * HMARK (net/netfilter/xt_HMARK.c; iptables extensions/libxt_HMARK.c): sets
 * the packet mark to a hash of its addresses, ports and protocol, scaled
 * into `--hmark-mod` values and moved by `--hmark-offset`, in both
 * families and any table. The hash is symmetric: both directions of a flow
 * get the same mark.
 *
 * The tuple, from the packet (hmark_pkt_set_htuple_ipv4/_ipv6):
 * - the addresses ANDed with the `--hmark-src-prefix` and
 *   `--hmark-dst-prefix` masks (no prefix: the address counts as 0); an
 *   IPv6 address is its four masked 32-bit words XORed together;
 * - the protocol (ANDed with `--hmark-proto-mask` after hashing);
 * - the 32 bits at the protocol's port offset (proto_ports_offset: the
 *   ports of TCP, UDP, UDP-Lite, SCTP, DCCP, ESP's SPI at 0, AH's SPI at 4;
 *   nothing for other protocols), ANDed with the port masks (or the SPI
 *   mask) and ORed with `--hmark-sport`/`--hmark-dport`/`--hmark-spi`, then
 *   ordered so that the larger 16-bit half comes first; no ports for ICMP,
 *   ICMPv6, fragments (IPv4: any fragment, first or not; IPv6: any packet
 *   with a fragment header) or when the four bytes are not in the packet.
 * - ICMP errors (IPv4 types 3, 4, 5, 11, 12; ICMPv6 types 1-127) hash the
 *   header they quote instead (IPv4: its addresses, protocol, fragment bits
 *   and ports at its own header length; IPv6: its extension headers
 *   walked as ipv6_find_hdr walks them, stopping at AH for its SPI); a
 *   quoted header cut short leaves the mark alone.
 * - IPv6: the walk (ipv6_find_hdr with IP6_FH_F_AUTH) stops at AH; a
 *   malformed chain hashes the all-zero tuple (the mark is still set); a
 *   quoted header that is not version 6 leaves the mark alone.
 *
 * With `--hmark-tuple ct` (hmark_ct_set_htuple) the tuple comes from the
 * packet's connection instead: the original direction's source, the reply
 * direction's source as destination (so a DNAT-ed connection hashes the
 * real server, once NAT bound it), the protocol, and the two tuples'
 * source ports (for ICMPv6 the echo id twice; none for ICMP); a packet
 * without a connection (untracked, invalid, or conntrack not in use)
 * leaves the mark alone.
 *
 * The mark is reciprocal_scale(jhash_3words(min(src, dst), max(src, dst),
 * ports, rnd) ^ (proto & proto-mask), mod) + offset, all 32-bit.
 *
 * Parsing as iptables 1.8.9: `--hmark-tuple` is a comma-separated list of
 * src, dst, sport, dport, spi, proto, ct, each matched case-insensitively
 * by its first letters (`s` is src, `sp` sport); each sets the full mask
 * of its field and counts as its fine-tuning option given, so a later
 * `--hmark-src-prefix` after `src` is "can only be used once" (the other
 * order is accepted, the tuple's full mask winning). `--hmark-mod` (1 up)
 * and `--hmark-rnd` are mandatory; the SPI mask excludes the port masks;
 * something to hash is required. The kernel refuses `--hmark-spi` with
 * `--hmark-sport` or `--hmark-dport`. iptables-save prints the prefixes,
 * masks and values in hex (`0x%04x`, `0x%08x`, `0x%02x`), then rnd, mod,
 * offset and `--hmark-tuple ct`.
 *
 * @example
 * -t mangle -A PREROUTING -j HMARK --hmark-tuple src,dst,sport,dport,proto --hmark-mod 4 --hmark-offset 100 --hmark-rnd 0xcafe
 */
import { InetAddr } from '../../packet/inet-addr.js';
import { parsePlen, plenError, plenMask, uintArg } from '../args.js';
import { portsOffset } from '../hash.js';
import { jhash2, reciprocalScale } from '../nat/jhash.js';
import { XT_CONTINUE, type Skb } from '../types.js';
import { CheckError, defineTarget, Family, OptionError, type OptionUse } from '../xt.js';

/** XT_HMARK_* bits of xt_hmark_info.flags (and, for 0-12, the option ids of libxt_HMARK). */
const SADDR_MASK = 0;
const DADDR_MASK = 1;
const SPI = 2;
const SPI_MASK = 3;
const SPORT = 4;
const DPORT = 5;
const SPORT_MASK = 6;
const DPORT_MASK = 7;
const PROTO_MASK = 8;
const RND = 9;
const MODULUS = 10;
const OFFSET = 11;
const CT = 12;
/** libxt_HMARK's O_HMARK_TYPE (the `--hmark-tuple` option's own id). */
const TYPE = 13;

const F = (b: number): number => 1 << b;

export interface HmarkConfig {
  readonly family: Family;
  readonly flags: number;
  /** The source and destination masks as four big-endian 32-bit words (IPv4: the first). */
  readonly srcMask: readonly number[];
  readonly dstMask: readonly number[];
  /** port_mask and port_set as one big-endian 32-bit value (source port in the high half). */
  readonly portMask: number;
  readonly portSet: number;
  readonly protoMask: number;
  readonly rnd: number;
  readonly mod: number;
  readonly offset: number;
}

const OPTION_IDS: Record<string, number> = {
  'hmark-tuple': TYPE,
  'hmark-src-prefix': SADDR_MASK,
  'hmark-dst-prefix': DADDR_MASK,
  'hmark-sport-mask': SPORT_MASK,
  'hmark-dport-mask': DPORT_MASK,
  'hmark-spi-mask': SPI_MASK,
  'hmark-sport': SPORT,
  'hmark-dport': DPORT,
  'hmark-spi': SPI,
  'hmark-proto-mask': PROTO_MASK,
  'hmark-rnd': RND,
  'hmark-mod': MODULUS,
  'hmark-offset': OFFSET,
};

/** hmark_parse's types, in its order (strncasecmp over the word's length: a prefix matches). */
const TUPLE_TYPES: ReadonlyArray<readonly [string, number]> = [
  ['ct', CT],
  ['src', SADDR_MASK],
  ['dst', DADDR_MASK],
  ['sport', SPORT_MASK],
  ['dport', DPORT_MASK],
  ['proto', PROTO_MASK],
  ['spi', SPI_MASK],
];

/** hmark_parse: the type a word of `--hmark-tuple` names, or undefined. */
function tupleType(word: string): number | undefined {
  const w = word.toLowerCase();
  for (const [name, id] of TUPLE_TYPES) if (w.length > 0 && w.length <= name.length && name.startsWith(w)) return id;
  return undefined;
}

const maskWords = (a: InetAddr): number[] => [a.w0 >>> 0, a.w1 >>> 0, a.w2 >>> 0, a.w3 >>> 0];
const ALL_ONES = [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff];

/** xtables_ipmask_to_cidr / xtables_ip6mask_to_cidr of a mask: its prefix length, -1 with holes. */
function maskCidr(words: readonly number[], family: Family): number {
  const n = family === Family.V6 ? 4 : 1;
  let len = 0;
  let ended = false;
  for (let i = 0; i < n; i++) {
    for (let b = 31; b >= 0; b--) {
      const set = ((words[i]! >>> b) & 1) === 1;
      if (set && ended) return -1;
      if (set) len++;
      else ended = true;
    }
  }
  return len;
}

export const hmarkTarget = defineTarget<HmarkConfig>({
  name: 'HMARK',
  options: Object.keys(OPTION_IDS).map((name) => ({ name, args: 1 as const })),

  parse(uses, ctx) {
    const family = ctx.family;
    let flags = 0;
    let xflags = 0;
    let srcMask = [0, 0, 0, 0];
    let dstMask = [0, 0, 0, 0];
    let portMask = 0;
    let portSet = 0;
    let protoMask = 0;
    let rnd = 0;
    let mod = 0;
    let offset = 0;
    for (const u of uses) {
      const id = OPTION_IDS[u.spec.name]!;
      if (u.invert) throw new OptionError(`HMARK: option "--${u.spec.name}" cannot be inverted.`, u);
      // xtables_option_parse: an option whose id a tuple type already set counts as given twice.
      if (xflags & F(id)) throw new OptionError(`HMARK: option "--${u.spec.name}" can only be used once.`, u);
      xflags |= F(id);
      const arg = u.args[0] ?? '';
      switch (id) {
        case TYPE: {
          let rest = arg;
          for (;;) {
            const comma = rest.indexOf(',');
            const word = comma < 0 ? rest : rest.slice(0, comma);
            if (comma < 0 && word === '') {
              throw new OptionError('"--hmark-tuple" requires a list of types with no spaces, e.g. src,dst,sport,dport,proto', u);
            }
            const t = tupleType(word);
            if (t === undefined) throw new OptionError(`Bad type "${rest}"`, u);
            flags |= F(t);
            xflags |= F(t);
            if (t === SADDR_MASK) srcMask = [...ALL_ONES];
            else if (t === DADDR_MASK) dstMask = [...ALL_ONES];
            else if (t === SPORT_MASK) portMask = (portMask | 0xffff0000) >>> 0;
            else if (t === DPORT_MASK) portMask = (portMask | 0xffff) >>> 0;
            else if (t === SPI_MASK) portMask = 0xffffffff;
            else if (t === PROTO_MASK) protoMask = 0xffff;
            if (comma < 0) break;
            rest = rest.slice(comma + 1);
          }
          continue;
        }
        case SADDR_MASK:
        case DADDR_MASK: {
          const plen = parsePlen(arg, family);
          if (plen === undefined) throw plenError('HMARK', u, family);
          const m = maskWords(plenMask(family, plen));
          if (id === SADDR_MASK) srcMask = m;
          else dstMask = m;
          break;
        }
        case SPORT_MASK:
          portMask = ((portMask & 0xffff) | (uintArg('HMARK', u, 0, 0xffff) << 16)) >>> 0;
          break;
        case DPORT_MASK:
          portMask = ((portMask & 0xffff0000) | uintArg('HMARK', u, 0, 0xffff)) >>> 0;
          break;
        case SPI_MASK:
          portMask = uintArg('HMARK', u, 0, 0xffffffff);
          break;
        case SPORT:
          portSet = ((portSet & 0xffff) | (uintArg('HMARK', u, 0, 0xffff) << 16)) >>> 0;
          break;
        case DPORT:
          portSet = ((portSet & 0xffff0000) | uintArg('HMARK', u, 0, 0xffff)) >>> 0;
          break;
        case SPI:
          portSet = uintArg('HMARK', u, 0, 0xffffffff);
          break;
        case PROTO_MASK:
          protoMask = uintArg('HMARK', u, 0, 0xffff);
          break;
        case RND:
          rnd = uintArg('HMARK', u, 0, 0xffffffff);
          break;
        case MODULUS:
          mod = uintArg('HMARK', u, 1, 0xffffffff);
          break;
        case OFFSET:
          offset = uintArg('HMARK', u, 0, 0xffffffff);
          break;
      }
      flags |= F(id);
    }
    // HMARK_check, in its order.
    if (!(xflags & F(MODULUS))) throw new OptionError('--hmark-mod is mandatory');
    if (!(xflags & F(RND))) throw new OptionError('--hmark-rnd is mandatory');
    if (xflags & F(SPI_MASK) && xflags & (F(SPORT_MASK) | F(DPORT_MASK))) {
      throw new OptionError('you cannot use --hmark-spi-mask and --hmark-?port-mask,at the same time');
    }
    const pktMask = F(SADDR_MASK) | F(DADDR_MASK) | F(SPI_MASK) | F(SPORT_MASK) | F(DPORT_MASK) | F(PROTO_MASK) | F(SPORT) | F(DPORT) | F(SPI);
    if (!(xflags & pktMask || xflags & F(CT))) throw new OptionError('you have to specify --hmark-tuple at least');
    return { family, flags, srcMask, dstMask, portMask, portSet, protoMask, rnd, mod, offset };
  },

  check(config) {
    // hmark_tg_check (the modulus and the SPI mask are iptables' own refusals already).
    if (config.flags & F(SPI) && config.flags & (F(SPORT) | F(DPORT))) {
      throw new CheckError(
        "xt_HMARK: spi-set and port-set can't be combined (RULE_APPEND failed (Invalid argument)); use --hmark-spi or the port values, not both",
      );
    }
  },

  target(config, skb) {
    const t = tuple;
    t.src = 0;
    t.dst = 0;
    t.ports = 0;
    t.proto = 0;
    const ok = config.flags & F(CT) ? ctTuple(config, skb) : skb.family === Family.V6 ? pktTuple6(config, skb) : pktTuple4(config, skb);
    if (ok) skb.mark = hmarkHash(config);
    return XT_CONTINUE;
  },

  save(c) {
    const parts: string[] = [];
    const has = (b: number): boolean => (c.flags & F(b)) !== 0;
    const h = (v: number, w: number): string => `0x${(v >>> 0).toString(16).padStart(w, '0')}`;
    if (has(SADDR_MASK)) parts.push(`--hmark-src-prefix ${maskCidr(c.srcMask, c.family)}`);
    if (has(DADDR_MASK)) parts.push(`--hmark-dst-prefix ${maskCidr(c.dstMask, c.family)}`);
    if (has(SPORT_MASK)) parts.push(`--hmark-sport-mask ${h(c.portMask >>> 16, 4)}`);
    if (has(DPORT_MASK)) parts.push(`--hmark-dport-mask ${h(c.portMask & 0xffff, 4)}`);
    if (has(SPI_MASK)) parts.push(`--hmark-spi-mask ${h(c.portMask, 8)}`);
    if (has(SPORT)) parts.push(`--hmark-sport ${h(c.portSet >>> 16, 4)}`);
    if (has(DPORT)) parts.push(`--hmark-dport ${h(c.portSet & 0xffff, 4)}`);
    if (has(SPI)) parts.push(`--hmark-spi ${h(c.portSet, 8)}`);
    if (has(PROTO_MASK)) parts.push(`--hmark-proto-mask ${h(c.protoMask, 2)}`);
    if (has(RND)) parts.push(`--hmark-rnd ${h(c.rnd, 8)}`);
    if (has(MODULUS)) parts.push(`--hmark-mod ${c.mod}`);
    if (has(OFFSET)) parts.push(`--hmark-offset ${c.offset}`);
    if (has(CT)) parts.push('--hmark-tuple ct');
    return parts.join(' ');
  },
});

/** struct hmark_tuple, reused: addresses and ports as host-order 32-bit values. */
const tuple = { src: 0, dst: 0, ports: 0, proto: 0 };

/** hmark_hash. */
function hmarkHash(c: HmarkConfig): number {
  let src = tuple.src >>> 0;
  let dst = tuple.dst >>> 0;
  if (dst < src) [src, dst] = [dst, src];
  const hash = (jhash2([src, dst, tuple.ports >>> 0], c.rnd) ^ (tuple.proto & c.protoMask)) >>> 0;
  return (reciprocalScale(hash, c.mod) + c.offset) >>> 0;
}

/** hmark_swap_ports on the 32 bits read at the port offset (big-endian, source port high). */
function swapPorts(raw: number, c: HmarkConfig): number {
  const hp = ((raw & c.portMask) | c.portSet) >>> 0;
  const src = hp >>> 16;
  const dst = hp & 0xffff;
  return (dst > src ? (dst << 16) | src : (src << 16) | dst) >>> 0;
}

function be32(d: Uint8Array, at: number): number {
  return ((d[at]! << 24) | (d[at + 1]! << 16) | (d[at + 2]! << 8) | d[at + 3]!) >>> 0;
}

/** hmark_set_tuple_ports: nothing when the protocol has no ports or the four bytes are not in the packet. */
function setPorts(skb: Skb, at: number, c: HmarkConfig): void {
  const off = portsOffset(tuple.proto);
  if (off < 0) return;
  if (at + off + 4 > skb.len) return;
  tuple.ports = swapPorts(be32(skb.data, at + off), c);
}

/** hmark_addr6_mask: the masked words XORed. */
function addr6Mask(d: Uint8Array, at: number, m: readonly number[]): number {
  return ((be32(d, at) & m[0]!) ^ (be32(d, at + 4) & m[1]!) ^ (be32(d, at + 8) & m[2]!) ^ (be32(d, at + 12) & m[3]!)) >>> 0;
}

/** hmark_pkt_set_htuple_ipv4: false leaves the mark alone. */
function pktTuple4(c: HmarkConfig, skb: Skb): boolean {
  const d = skb.data;
  let nh = 0;
  if (d[9] === 1) {
    // get_inner_hdr: an ICMP error hashes the header it quotes.
    const iphsz = (d[0]! & 0x0f) * 4;
    if (iphsz + 8 <= skb.len) {
      const type = d[iphsz]!;
      if (type <= 18 && (type === 3 || type === 4 || type === 11 || type === 12 || type === 5)) {
        nh = iphsz + 8;
        if (nh + 20 > skb.len) return false;
      }
    }
  }
  tuple.src = (be32(d, nh + 12) & c.srcMask[0]!) >>> 0;
  tuple.dst = (be32(d, nh + 16) & c.dstMask[0]!) >>> 0;
  tuple.proto = d[nh + 9]!;
  if (tuple.proto === 1) return true;
  // Any fragment, first or not: no ports.
  if (((d[nh + 6]! << 8) | d[nh + 7]!) & 0x3fff) return true;
  setPorts(skb, nh + (d[nh]! & 0x0f) * 4, c);
  return true;
}

const IP6_FH_F_FRAG = 1;

/** ipv6_find_hdr(skb, &offset, -1, NULL, &flags) with IP6_FH_F_AUTH, from the IPv6 header at `ip6`; the result in `walk`. */
const walk = { nexthdr: -1, offset: 0, flags: 0 };

function findHdr(d: Uint8Array, len: number, ip6: number): void {
  walk.nexthdr = -1;
  let nexthdr = d[ip6 + 6]!;
  let start = ip6 + 40;
  for (let guard = 0; guard < 256; guard++) {
    const ext = nexthdr === 0 || nexthdr === 43 || nexthdr === 44 || nexthdr === 51 || nexthdr === 60;
    if (!ext) break; // 59 (no next header) and every upper-layer protocol end the walk
    if (start + 2 > len) return;
    const next = d[start]!;
    let hdrlen: number;
    if (nexthdr === 43) {
      if (start + 4 > len) return;
      hdrlen = (d[start + 1]! + 1) << 3;
    } else if (nexthdr === 44) {
      walk.flags |= IP6_FH_F_FRAG;
      if (start + 4 > len) return;
      if (((d[start + 2]! << 8) | d[start + 3]!) & ~7) {
        // A later fragment: its next header, if that is not an extension header (no offset).
        const nextExt = next === 0 || next === 43 || next === 44 || next === 51 || next === 60;
        if (!nextExt) walk.nexthdr = next;
        return;
      }
      hdrlen = 8;
    } else if (nexthdr === 51) {
      break; // IP6_FH_F_AUTH with target -1: AH is the protocol (its SPI is hashed)
    } else {
      hdrlen = (d[start + 1]! + 1) << 3;
    }
    nexthdr = next;
    start += hdrlen;
  }
  walk.nexthdr = nexthdr;
  walk.offset = start;
}

/** hmark_pkt_set_htuple_ipv6: false leaves the mark alone. */
function pktTuple6(c: HmarkConfig, skb: Skb): boolean {
  const d = skb.data;
  const len = skb.len;
  walk.flags = 0;
  walk.offset = 0;
  findHdr(d, len, 0);
  // A chain the walk cannot follow: the all-zero tuple is hashed all the same.
  if (walk.nexthdr < 0) return true;
  let ip6 = 0;
  if (!(walk.flags & IP6_FH_F_FRAG) && walk.nexthdr === 58) {
    // get_inner6_hdr: an ICMPv6 error (types 1-127) hashes the header it quotes.
    const at = walk.offset;
    if (at + 8 <= len && d[at]! !== 0 && d[at]! < 128) {
      ip6 = at + 8;
      if (ip6 + 40 > len) return false;
      if (d[ip6]! >> 4 !== 6) return false;
      walk.flags = 0;
      findHdr(d, len, ip6);
      if (walk.nexthdr < 0) return false;
    }
  }
  tuple.src = addr6Mask(d, ip6 + 8, c.srcMask);
  tuple.dst = addr6Mask(d, ip6 + 24, c.dstMask);
  tuple.proto = walk.nexthdr;
  if (tuple.proto === 58) return true;
  if (walk.flags & IP6_FH_F_FRAG) return true;
  setPorts(skb, walk.offset, c);
  return true;
}

/** hmark_ct_set_htuple: false (no connection) leaves the mark alone. */
function ctTuple(c: HmarkConfig, skb: Skb): boolean {
  const ct = skb.ct;
  if (ct === null) return false;
  const o = ct.orig;
  const r = ct.reply;
  if (o.src.family === Family.V6) {
    tuple.src = addr6Words(o.src, c.srcMask);
    tuple.dst = addr6Words(r.src, c.dstMask);
  } else {
    tuple.src = (o.src.w0 & c.srcMask[0]!) >>> 0;
    tuple.dst = (r.src.w0 & c.dstMask[0]!) >>> 0;
  }
  tuple.proto = ct.proto;
  if (tuple.proto !== 1) tuple.ports = swapPorts((((o.sport & 0xffff) << 16) | (r.sport & 0xffff)) >>> 0, c);
  return true;
}

function addr6Words(a: InetAddr, m: readonly number[]): number {
  return ((a.w0 & m[0]!) ^ (a.w1 & m[1]!) ^ (a.w2 & m[2]!) ^ (a.w3 & m[3]!)) >>> 0;
}
