/**
 * `-m ah`: the IPsec Authentication Header, in either family, as each
 * family's kernel module reads it.
 *
 * - ip6tables (net/ipv6/netfilter/ip6t_ah.c, extensions/libip6t_ah.c):
 *   `--ahspi spi[:spi]` (a range kept as written; `!` inverts), `--ahlen N`
 *   (the header's length in bytes, (hdrlen + 2) * 4; `!` inverts; 0 means
 *   "any", even inverted), `--ahres` (reserved field zero). The header is
 *   found anywhere in the chain (ipv6_find_hdr); no `-p` needed. A packet
 *   without one does not match; one whose chain, 12-byte AH header or
 *   advertised length (since Linux 6.18's stable fix) runs past the packet
 *   is dropped (hotdrop). Saved: `--ahspi` unless 0:4294967295, `--ahlen`
 *   when not 0 or inverted, `--ahres`.
 * - iptables (net/ipv4/netfilter/ipt_ah.c, extensions/libipt_ah.c): only
 *   `--ahspi`, with `-p ah` required; the AH header at the transport
 *   offset; a later fragment does not match, a first fragment shorter than
 *   the 12-byte header is dropped (hotdrop).
 *
 * @example
 * -m ah --ahspi 0x200:0x2ff          (ip6tables)
 * -p ah -m ah ! --ahspi 500          (iptables)
 */
import { CheckError, defineMatch, OptionError, type OptionSpec } from '../xt.js';
import { Family } from '../../packet/inet-addr.js';
import { parseUintRange, uintArg } from '../args.js';
import { authLen, ENOENT, findHdr, NEXTHDR_AUTH, u16, u32 } from './ip6-ext.js';
import { checkUses } from './util.js';

export const IPPROTO_AH = 51;

export interface AhConfig {
  readonly family: Family;
  readonly spis: readonly [number, number];
  readonly invSpi: boolean;
  /** IPv6: the header length to compare, 0 for any. */
  readonly hdrlen: number;
  readonly invLen: boolean;
  /** IPv6: `--ahres`. */
  readonly hdrres: boolean;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'ahspi', args: 1, invert: true },
  { name: 'ahlen', args: 1, invert: true },
  { name: 'ahres', args: 0 },
];

export const ahMatch = defineMatch<AhConfig>({
  name: 'ah',
  // ipt_ah (IPv4) and ip6t_ah (IPv6) are two kernel modules of one name; each family parses as its own.
  options: OPTIONS,
  parse(uses, ctx) {
    checkUses('ah', uses);
    let spis: [number, number] = [0, 0xffffffff];
    let invSpi = false;
    let hdrlen = 0;
    let invLen = false;
    let hdrres = false;
    for (const u of uses) {
      const name = u.spec.name;
      // libipt_ah has --ahspi only.
      if (ctx.family !== Family.V6 && name !== 'ahspi') throw new OptionError(`unknown option "--${u.written}"`, u);
      if (name === 'ahspi') {
        spis = parseUintRange('ah', u, 0xffffffff);
        invSpi = u.invert;
      } else if (name === 'ahlen') {
        hdrlen = uintArg('ah', u, 0, 0xffffffff);
        invLen = u.invert;
      } else hdrres = true;
    }
    return { family: ctx.family === Family.V6 ? Family.V6 : Family.V4, spis, invSpi, hdrlen, invLen, hdrres };
  },
  /** ipt_ah's .proto is IPPROTO_AH (ip6t_ah has none). */
  check(c, ctx) {
    if (c.family === Family.V4 && (ctx.head.proto !== IPPROTO_AH || ctx.head.invProto)) {
      throw new CheckError('ah match: only valid for protocol 51 (use -p ah without !)');
    }
  },
  save(c) {
    const out: string[] = [];
    const [lo, hi] = c.spis;
    if (!(lo === 0 && hi === 0xffffffff)) out.push(`${c.invSpi ? '! ' : ''}--ahspi ${lo !== hi ? `${lo}:${hi}` : lo}`);
    if (c.hdrlen !== 0 || c.invLen) out.push(`${c.invLen ? '! ' : ''}--ahlen ${c.hdrlen}`);
    if (c.hdrres) out.push('--ahres');
    return out.join(' ');
  },
  match(c, skb, par) {
    const d = skb.data;
    const len = skb.len;
    let ptr: number;
    if (c.family === Family.V6) {
      ptr = findHdr(d, len, NEXTHDR_AUTH);
      if (ptr < 0) {
        if (ptr !== ENOENT) par.hotdrop = true;
        return false;
      }
    } else {
      if (skb.fragoff !== 0) return false;
      ptr = skb.thoff;
    }
    // struct ip_auth_hdr: nexthdr, hdrlen, reserved, spi, seq_no (12 bytes).
    if (ptr + 12 > len) {
      par.hotdrop = true;
      return false;
    }
    const spi = u32(d, ptr + 4);
    const spiOk = (spi >= c.spis[0] && spi <= c.spis[1]) !== c.invSpi;
    if (c.family !== Family.V6) return spiOk;
    const hdrlen = authLen(d, ptr);
    if (len - ptr < hdrlen) {
      par.hotdrop = true;
      return false;
    }
    return spiOk && (!c.hdrlen || (c.hdrlen === hdrlen) !== c.invLen) && !(c.hdrres && u16(d, ptr + 2) !== 0);
  },
});
