/**
 * `-m hbh` and `-m dst` (net/ipv6/netfilter/ip6t_hbh.c, one match per
 * header; extensions/libip6t_hbh.c and libip6t_dst.c): the hop-by-hop or
 * destination options header. `--hbh-len N` / `--dst-len N` compares the
 * header's length in bytes ((hdrlen + 1) * 8; `!` inverts);
 * `--hbh-opts TYPE[:LEN],...` / `--dst-opts` lists the options the header
 * must begin with, in order (at most 16; a type without `:LEN` takes any
 * length; Pad1, type 0, has no length). Types and lengths are read with C's
 * strtoul and kept modulo 256, as libip6t_hbh does (`256` is 0, `-1` is
 * 255). Saved as `--hbh-len N --hbh-opts 1:4,0,5:2`.
 *
 * The kernel finds the header anywhere in the chain (ipv6_find_hdr); a
 * packet without one does not match, one whose chain or header runs past
 * the packet is dropped (hotdrop; the header's advertised length beyond the
 * packet too, since Linux 6.18's stable fix). Options that end early or
 * overrun the header make the rule not match.
 *
 * @example
 * -m hbh --hbh-opts 5:2        (begins with a router alert option)
 * -m dst ! --dst-len 8
 */
import { defineMatch, Family, OptionError, type MatchModule, type OptionSpec, type OptionUse } from '../xt.js';
import { cStrtoumax, uintArg } from '../args.js';
import { ENOENT, findHdr, NEXTHDR_DEST, NEXTHDR_HOP, optLen } from './ip6-ext.js';
import { checkUses } from './util.js';

/** IP6T_OPTS_* flags (linux/netfilter_ipv6/ip6t_opts.h). */
export const IP6T_OPTS_LEN = 0x01;
export const IP6T_OPTS_OPTS = 0x02;
/** IP6T_OPTS_OPTSNR: the most options a rule lists. */
export const IP6T_OPTS_OPTSNR = 16;

export interface OptsConfig {
  readonly hdrlen: number;
  readonly invLen: boolean;
  readonly flags: number;
  /** Each option as the kernel holds it: type << 8 | length, length 0xff for any. */
  readonly opts: readonly number[];
}

/** parse_opts_num: C strtoul, base 0, with the extension's three messages. */
function optsNum(ext: string, text: string, what: 'opt' | 'length', use: OptionUse): number {
  const r = cStrtoumax(text, 0, 0);
  if (r.end === 0) throw new OptionError(`${ext}: no valid digits in ${what} \`${text}'`, use);
  if (r.overflow) throw new OptionError(`${what} \`${text}' specified too big: would overflow`, use);
  if (text.length > 0 && r.end < text.length) throw new OptionError(`${ext}: error parsing ${what} \`${text}'`, use);
  return Number(r.value & 0xffn);
}

/** parse_options: a comma list of TYPE[:LEN], with libip6t_hbh's (and libip6t_dst's) checks and words. */
function parseOptions(ext: 'hbh' | 'dst', text: string, use: OptionUse): number[] {
  const opts: number[] = [];
  const items = text.split(',');
  let i = 0;
  for (; i < items.length && i < IP6T_OPTS_OPTSNR; i++) {
    const item = items[i]!;
    const colon = item.indexOf(':');
    if (colon >= 0 && i === IP6T_OPTS_OPTSNR - 1) throw new OptionError('too many ports specified', use);
    const type = optsNum(ext, colon >= 0 ? item.slice(0, colon) : item, 'opt', use);
    let v = type << 8;
    if (colon >= 0) {
      if (v === 0) throw new OptionError(ext === 'hbh' ? 'PAD0 has not got length' : "PAD0 hasn't got length", use);
      v |= optsNum(ext, item.slice(colon + 1), 'length', use);
    } else v |= 0xff;
    opts.push(v);
  }
  if (i < items.length) throw new OptionError('too many addresses specified', use);
  return opts;
}

function optsMatch(ext: 'hbh' | 'dst', target: number): MatchModule<OptsConfig> {
  const lenOpt = `${ext}-len`;
  const optsOpt = `${ext}-opts`;
  const options: readonly OptionSpec[] = [
    { name: lenOpt, args: 1, invert: true },
    { name: optsOpt, args: 1 },
  ];
  return defineMatch<OptsConfig>({
    name: ext,
    // ip6t_hbh.c registers hbh and dst for IPv6 only.
    family: Family.V6,
    options,
    parse(uses) {
      checkUses(ext, uses);
      let hdrlen = 0;
      let invLen = false;
      let flags = 0;
      let opts: number[] = [];
      for (const u of uses) {
        if (u.spec.name === lenOpt) {
          hdrlen = uintArg(ext, u, 0, 0xffffffff);
          invLen = u.invert;
          flags |= IP6T_OPTS_LEN;
        } else {
          opts = parseOptions(ext, u.args[0] ?? '', u);
          flags |= IP6T_OPTS_OPTS;
        }
      }
      return { hdrlen, invLen, flags, opts };
    },
    save(c) {
      const out: string[] = [];
      if (c.flags & IP6T_OPTS_LEN) out.push(`${c.invLen ? '! ' : ''}--${lenOpt} ${c.hdrlen}`);
      if (c.flags & IP6T_OPTS_OPTS) out.push(`--${optsOpt}`);
      if (c.opts.length) out.push(c.opts.map((o) => ((o & 0xff) !== 0xff ? `${o >> 8}:${o & 0xff}` : String(o >> 8))).join(','));
      return out.join(' ');
    },
    match(c, skb, par) {
      const d = skb.data;
      const skblen = skb.len;
      let ptr = findHdr(d, skblen, target);
      if (ptr < 0) {
        if (ptr !== ENOENT) par.hotdrop = true;
        return false;
      }
      if (ptr + 2 > skblen) {
        par.hotdrop = true;
        return false;
      }
      let hdrlen = optLen(d, ptr);
      if (skblen - ptr < hdrlen) {
        // Packet smaller than its length field.
        par.hotdrop = true;
        return false;
      }
      const ret = !(c.flags & IP6T_OPTS_LEN) || (c.hdrlen === hdrlen) !== c.invLen;
      ptr += 2;
      hdrlen -= 2;
      if (!(c.flags & IP6T_OPTS_OPTS)) return ret;
      const n = c.opts.length;
      let temp = 0;
      for (; temp < n; temp++) {
        // Type field present? (The header is whole here: every read below is within it.)
        if (hdrlen < 1) break;
        const type = d[ptr]!;
        if (type !== c.opts[temp]! >> 8) return false;
        let optlen: number;
        if (type) {
          if (hdrlen < 2) break;
          const specLen = c.opts[temp]! & 0xff;
          if (specLen !== 0xff && specLen !== d[ptr + 1]) return false;
          optlen = d[ptr + 1]! + 2;
        } else optlen = 1;
        // Step to the next: an option overrunning the header ends the list unless it is the last one asked for.
        if ((ptr > (skblen - optlen) >>> 0 || hdrlen < optlen) && temp < n - 1) break;
        ptr += optlen;
        hdrlen -= optlen;
      }
      return temp === n ? ret : false;
    },
  });
}

export const hbhMatch = optsMatch('hbh', NEXTHDR_HOP);
export const dstMatch = optsMatch('dst', NEXTHDR_DEST);
