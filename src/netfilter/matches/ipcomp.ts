/**
 * `-m ipcomp` (net/netfilter/xt_ipcomp.c, extensions/libxt_ipcomp.c), both
 * families: the IP Payload Compression header's CPI (RFC 3173, a 16-bit
 * index in the header's second half-word). `--ipcompspi spi[:spi]` (a
 * 32-bit range kept as written; `!` inverts) and `--compres` (accepted and
 * saved, tested by no kernel).
 *
 * libxt_ipcomp starts from the range 0:0, so a rule without `--ipcompspi`
 * matches CPI 0 only (and is saved as `--ipcompspi 0`); the range
 * 0:4294967295 is saved without the option (an inverted full range is
 * lost). The kernel requires `-p ipcomp` (108, without `!`) and reads the
 * 4-byte header at the transport offset: a later fragment does not match,
 * a first fragment without the whole header is dropped (hotdrop).
 *
 * @example
 * -p ipcomp -m ipcomp --ipcompspi 0x1000:0x1fff
 */
import { CheckError, defineMatch, type OptionSpec } from '../xt.js';
import { parseUintRange } from '../args.js';
import { u16 } from './ip6-ext.js';
import { checkUses } from './util.js';

export const IPPROTO_COMP = 108;

export interface IpcompConfig {
  readonly spis: readonly [number, number];
  readonly invert: boolean;
  readonly hdrres: boolean;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'ipcompspi', args: 1, invert: true },
  { name: 'compres', args: 0 },
];

export const ipcompMatch = defineMatch<IpcompConfig>({
  name: 'ipcomp',
  options: OPTIONS,
  parse(uses) {
    checkUses('ipcomp', uses);
    let spis: readonly [number, number] = [0, 0];
    let invert = false;
    let hdrres = false;
    for (const u of uses) {
      if (u.spec.name === 'ipcompspi') {
        spis = parseUintRange('ipcomp', u, 0xffffffff);
        invert = u.invert;
      } else hdrres = true;
    }
    return { spis, invert, hdrres };
  },
  /** xt_check_match: the match's .proto is IPPROTO_COMP, without `!`. */
  check(_c, ctx) {
    if (ctx.head.proto !== IPPROTO_COMP || ctx.head.invProto) {
      throw new CheckError('ipcomp match: only valid for protocol 108 (use -p ipcomp without !)');
    }
  },
  save(c) {
    const out: string[] = [];
    const [lo, hi] = c.spis;
    if (!(lo === 0 && hi === 0xffffffff)) out.push(`${c.invert ? '! ' : ''}--ipcompspi ${lo !== hi ? `${lo}:${hi}` : lo}`);
    if (c.hdrres) out.push('--compres');
    return out.join(' ');
  },
  match(c, skb, par) {
    if (skb.fragoff !== 0) return false;
    const th = skb.thoff;
    // struct ip_comp_hdr: nexthdr, flags, cpi (4 bytes).
    if (th + 4 > skb.len) {
      par.hotdrop = true;
      return false;
    }
    const cpi = u16(skb.data, th + 2);
    return (cpi >= c.spis[0] && cpi <= c.spis[1]) !== c.invert;
  },
});
