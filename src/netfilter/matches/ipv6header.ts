/**
 * `-m ipv6header` (net/ipv6/netfilter/ip6t_ipv6header.c,
 * extensions/libip6t_ipv6header.c): which extension headers the packet
 * carries. `--header` takes a comma list of names or numbers: first as
 * getprotobyname reads them (/etc/protocols: `ipv6-opts`, `ah`,
 * `IPv6-Route`, even `ip` for hop-by-hop), then the extension's own names
 * (`hop`, `hop-by-hop`, `dst`, `route`, `frag`, `auth`, `esp`, `none`,
 * `prot`, `protocol` and the numbers 0, 60, 43, 44, 51, 50, 59, 255);
 * `protocol` stands for "an upper-layer header follows". Without `--soft`
 * the packet's set of headers must equal the list (`!`: differ from it);
 * with `--soft` it must contain every header of the list (`!`: contain
 * none of them). Saved with /etc/protocols' names in the kernel's bit
 * order: hop-by-hop, ipv6-opts, ipv6-route, ipv6-frag, ah, esp,
 * ipv6-nonxt, protocol.
 *
 * The kernel walks the chain itself, ESP included, and stops where a
 * header would start beyond the packet; it reads a fragment's payload as
 * the next header even in a non-first fragment, as its code does.
 *
 * @example
 * -m ipv6header --header hop-by-hop --soft      (a hop-by-hop header is present)
 * -m ipv6header ! --header ipv6-frag,protocol   (anything but a plain fragment)
 */
import { defineMatch, Family, OptionError, type OptionSpec, type OptionUse } from '../xt.js';
import { getprotobyname } from '../names.js';
import { authLen, fcheck, NEXTHDR_AUTH, NEXTHDR_ESP, NEXTHDR_FRAGMENT, NEXTHDR_NONE, optLen } from './ip6-ext.js';
import { checkUses } from './util.js';

/** MASK_* of linux/netfilter_ipv6/ip6t_ipv6header.h. */
export const MASK_HOPOPTS = 128;
export const MASK_DSTOPTS = 64;
export const MASK_ROUTING = 32;
export const MASK_FRAGMENT = 16;
export const MASK_AH = 8;
export const MASK_ESP = 4;
export const MASK_NONE = 2;
export const MASK_PROTO = 1;

export interface Ipv6headerConfig {
  /** The headers listed (MASK_* bits). */
  readonly matchflags: number;
  /** `!`: 0xff, as libip6t_ipv6header stores it. */
  readonly invflags: number;
  /** `--soft`. */
  readonly soft: boolean;
}

/** chain_protos of libip6t_ipv6header.c: the names getprotobyname does not know (strcmp). */
const CHAIN_PROTOS: ReadonlyMap<string, number> = new Map([
  ['hop-by-hop', 0],
  ['protocol', 255],
  ['hop', 0],
  ['dst', 60],
  ['route', 43],
  ['frag', 44],
  ['auth', 51],
  ['esp', 50],
  ['none', 59],
  ['prot', 255],
  ['0', 0],
  ['60', 60],
  ['43', 43],
  ['44', 44],
  ['51', 51],
  ['50', 50],
  ['59', 59],
  ['255', 255],
]);

/** chain_flags, in its order, with the name ip6tables-save prints for each (proto_to_name). */
const FLAGS: ReadonlyArray<readonly [number, number, string]> = [
  [0, MASK_HOPOPTS, 'hop-by-hop'],
  [60, MASK_DSTOPTS, 'ipv6-opts'],
  [43, MASK_ROUTING, 'ipv6-route'],
  [44, MASK_FRAGMENT, 'ipv6-frag'],
  [51, MASK_AH, 'ah'],
  [50, MASK_ESP, 'esp'],
  [59, MASK_NONE, 'ipv6-nonxt'],
  [255, MASK_PROTO, 'protocol'],
];

/** parse_header: strtok over `,` (empty items vanish), name_to_proto, add_proto_to_mask. */
function parseHeader(text: string, use: OptionUse): number {
  let ret = 0;
  for (const name of text.split(',')) {
    if (name === '') continue;
    const proto = getprotobyname(name) ?? CHAIN_PROTOS.get(name);
    if (proto === undefined) throw new OptionError(`unknown header \`${name}' specified`, use);
    const f = FLAGS.find(([p]) => p === proto);
    if (!f) throw new OptionError(`unknown header \`${proto}' specified`, use);
    ret |= f[1];
  }
  return ret;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'header', args: 1, invert: true },
  { name: 'soft', args: 0 },
];

/** nf_ip6_ext_hdr(): ipv6_ext_hdr and ESP. */
function nfExtHdr(nexthdr: number): boolean {
  return nexthdr === 0 || nexthdr === 43 || nexthdr === 44 || nexthdr === 50 || nexthdr === 51 || nexthdr === 59 || nexthdr === 60;
}

export const ipv6headerMatch = defineMatch<Ipv6headerConfig>({
  name: 'ipv6header',
  family: Family.V6,
  options: OPTIONS,
  parse(uses) {
    checkUses('ipv6header', uses);
    let matchflags = 0;
    let invflags = 0;
    let soft = false;
    for (const u of uses) {
      if (u.spec.name === 'soft') {
        soft = true;
        continue;
      }
      matchflags = parseHeader(u.args[0] ?? '', u);
      if (!matchflags) throw new OptionError('ip6t_ipv6header: cannot parse header names', u);
      if (u.invert) invflags = 0xff;
    }
    fcheck('ipv6header', [{ name: 'header', id: 0, mandatory: true }], new Set(uses.filter((u) => u.spec.name === 'header').map(() => 0)));
    return { matchflags, invflags, soft };
  },
  save(c) {
    const names = FLAGS.filter(([, m]) => c.matchflags & m).map(([, , n]) => n);
    return `${c.invflags ? '! ' : ''}--header ${names.length ? names.join(',') : 'NONE'}${c.soft ? ' --soft' : ''}`;
  },
  match(c, skb) {
    const d = skb.data;
    const skblen = skb.len;
    let nexthdr = d[6]!;
    let ptr = 40;
    let len = skblen - ptr;
    let temp = 0;
    while (nfExtHdr(nexthdr)) {
      if (nexthdr === NEXTHDR_NONE) {
        temp |= MASK_NONE;
        break;
      }
      // Is there enough space for the next extension header? (Not a drop in this kernel.)
      if (len < 2) return false;
      if (nexthdr === NEXTHDR_ESP) {
        temp |= MASK_ESP;
        break;
      }
      const hdrlen = nexthdr === NEXTHDR_FRAGMENT ? 8 : nexthdr === NEXTHDR_AUTH ? authLen(d, ptr) : optLen(d, ptr);
      switch (nexthdr) {
        case 0:
          temp |= MASK_HOPOPTS;
          break;
        case 43:
          temp |= MASK_ROUTING;
          break;
        case 44:
          temp |= MASK_FRAGMENT;
          break;
        case 51:
          temp |= MASK_AH;
          break;
        case 60:
          temp |= MASK_DSTOPTS;
          break;
      }
      nexthdr = d[ptr]!;
      len -= hdrlen;
      ptr += hdrlen;
      if (ptr > skblen) break;
    }
    if (nexthdr !== NEXTHDR_NONE && nexthdr !== NEXTHDR_ESP) temp |= MASK_PROTO;
    if (c.soft) return ((temp ^ c.matchflags ^ c.invflags) & c.matchflags) === 0;
    if (c.invflags) return temp !== c.matchflags;
    return temp === c.matchflags;
  },
});
