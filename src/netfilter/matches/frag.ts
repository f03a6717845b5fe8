/**
 * `-m frag` (net/ipv6/netfilter/ip6t_frag.c, extensions/libip6t_frag.c):
 * the IPv6 fragment header. `--fragid id[:id]` (the identification, a
 * range kept as written; `!` inverts), `--fraglen N` (parsed and saved,
 * but the kernel never compares it), `--fragres` (reserved fields zero),
 * `--fragfirst` (offset 0), `--fragmore` / `--fraglast` (M flag set /
 * clear). A packet without a fragment header does not match; one whose
 * fragment header is cut short is dropped (hotdrop). Non-first fragments
 * are matched too: the kernel finds their fragment header.
 *
 * ip6tables-save prints `--fragid` only when the range is not 0:4294967295
 * (an inverted full range is lost), then `--fraglen`, `--fragres`,
 * `--fragfirst`, `--fragmore`, `--fraglast`.
 *
 * @example
 * -m frag --fragfirst --fragmore     (the first of several fragments)
 */
import { defineMatch, Family, type OptionSpec } from '../xt.js';
import { parseUintRange, uintArg } from '../args.js';
import { ENOENT, fcheck, findHdr, NEXTHDR_FRAGMENT, u16, u32 } from './ip6-ext.js';
import { checkUses } from './util.js';

/** IP6T_FRAG_* flags (linux/netfilter_ipv6/ip6t_frag.h). */
export const IP6T_FRAG_IDS = 0x01;
export const IP6T_FRAG_LEN = 0x02;
export const IP6T_FRAG_RES = 0x04;
export const IP6T_FRAG_FST = 0x08;
export const IP6T_FRAG_MF = 0x10;
export const IP6T_FRAG_NMF = 0x20;

export interface FragConfig {
  readonly ids: readonly [number, number];
  readonly invIds: boolean;
  readonly hdrlen: number;
  readonly invLen: boolean;
  readonly flags: number;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'fragid', args: 1, invert: true },
  { name: 'fraglen', args: 1, invert: true },
  { name: 'fragres', args: 0 },
  { name: 'fragfirst', args: 0 },
  { name: 'fragmore', args: 0 },
  { name: 'fraglast', args: 0 },
];
const ID: Record<string, number> = { fragid: 0, fraglen: 1, fragres: 2, fragfirst: 3, fragmore: 4, fraglast: 5 };
const TABLE = [
  { name: 'fragid', id: 0 },
  { name: 'fraglen', id: 1 },
  { name: 'fragres', id: 2 },
  { name: 'fragfirst', id: 3 },
  { name: 'fragmore', id: 4, excl: [5] },
  { name: 'fraglast', id: 5, excl: [4] },
];
const FLAG: Record<string, number> = { fragres: IP6T_FRAG_RES, fragfirst: IP6T_FRAG_FST, fragmore: IP6T_FRAG_MF, fraglast: IP6T_FRAG_NMF };

export const fragMatch = defineMatch<FragConfig>({
  name: 'frag',
  family: Family.V6,
  options: OPTIONS,
  parse(uses) {
    checkUses('frag', uses);
    let ids: [number, number] = [0, 0xffffffff];
    let invIds = false;
    let hdrlen = 0;
    let invLen = false;
    let flags = 0;
    for (const u of uses) {
      switch (u.spec.name) {
        case 'fragid':
          ids = parseUintRange('frag', u, 0xffffffff);
          invIds = u.invert;
          flags |= IP6T_FRAG_IDS;
          break;
        case 'fraglen':
          hdrlen = uintArg('frag', u, 0, 0xffffffff);
          invLen = u.invert;
          flags |= IP6T_FRAG_LEN;
          break;
        default:
          flags |= FLAG[u.spec.name]!;
      }
    }
    fcheck('frag', TABLE, new Set(uses.map((u) => ID[u.spec.name]!)), uses);
    return { ids, invIds, hdrlen, invLen, flags };
  },
  save(c) {
    const out: string[] = [];
    if (!(c.ids[0] === 0 && c.ids[1] === 0xffffffff)) {
      out.push(`${c.invIds ? '! ' : ''}--fragid ${c.ids[0] !== c.ids[1] ? `${c.ids[0]}:${c.ids[1]}` : c.ids[0]}`);
    }
    if (c.flags & IP6T_FRAG_LEN) out.push(`${c.invLen ? '! ' : ''}--fraglen ${c.hdrlen}`);
    if (c.flags & IP6T_FRAG_RES) out.push('--fragres');
    if (c.flags & IP6T_FRAG_FST) out.push('--fragfirst');
    if (c.flags & IP6T_FRAG_MF) out.push('--fragmore');
    if (c.flags & IP6T_FRAG_NMF) out.push('--fraglast');
    return out.join(' ');
  },
  match(c, skb, par) {
    const d = skb.data;
    const ptr = findHdr(d, skb.len, NEXTHDR_FRAGMENT);
    if (ptr < 0) {
      if (ptr !== ENOENT) par.hotdrop = true;
      return false;
    }
    // struct frag_hdr: nexthdr, reserved, frag_off, identification.
    if (ptr + 8 > skb.len) {
      par.hotdrop = true;
      return false;
    }
    const fo = u16(d, ptr + 2);
    const id = u32(d, ptr + 4);
    const f = c.flags;
    return (
      (id >= c.ids[0] && id <= c.ids[1]) !== c.invIds &&
      !(f & IP6T_FRAG_RES && (d[ptr + 1] !== 0 || fo & 0x6)) &&
      !(f & IP6T_FRAG_FST && fo & ~0x7) &&
      !(f & IP6T_FRAG_MF && !(fo & 1)) &&
      !(f & IP6T_FRAG_NMF && fo & 1)
    );
  },
});
