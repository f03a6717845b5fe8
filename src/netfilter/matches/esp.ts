/**
 * `-m esp` (net/netfilter/xt_esp.c, extensions/libxt_esp.c), both
 * families: the IPsec ESP header's SPI. `--espspi spi[:spi]` (a range kept
 * as written; `!` inverts). The kernel requires `-p esp` (50, without
 * `!`) and reads the SPI at the transport header: a later fragment does not
 * match, a first fragment shorter than the 8-byte ESP header is dropped
 * (hotdrop). Saved: `--espspi` unless the range is 0:4294967295 (an
 * inverted full range is lost).
 *
 * @example
 * -p esp -m esp --espspi 0x1000:0x1fff
 */
import { CheckError, defineMatch, type OptionSpec } from '../xt.js';
import { parseUintRange } from '../args.js';
import { u32 } from './ip6-ext.js';
import { checkUses } from './util.js';

export const IPPROTO_ESP = 50;

export interface EspConfig {
  readonly spis: readonly [number, number];
  readonly invert: boolean;
}

const OPTIONS: readonly OptionSpec[] = [{ name: 'espspi', args: 1, invert: true }];

export const espMatch = defineMatch<EspConfig>({
  name: 'esp',
  options: OPTIONS,
  parse(uses) {
    checkUses('esp', uses);
    const u = uses.find((x) => x.spec.name === 'espspi');
    if (!u) return { spis: [0, 0xffffffff], invert: false };
    return { spis: parseUintRange('esp', u, 0xffffffff), invert: u.invert };
  },
  /** xt_check_match: the match's .proto is IPPROTO_ESP, without `!`. */
  check(_c, ctx) {
    if (ctx.head.proto !== IPPROTO_ESP || ctx.head.invProto) {
      throw new CheckError('esp match: only valid for protocol 50 (use -p esp without !)');
    }
  },
  save(c) {
    const [lo, hi] = c.spis;
    if (lo === 0 && hi === 0xffffffff) return '';
    return `${c.invert ? '! ' : ''}--espspi ${lo !== hi ? `${lo}:${hi}` : lo}`;
  },
  match(c, skb, par) {
    if (skb.fragoff !== 0) return false;
    const th = skb.thoff;
    // struct ip_esp_hdr: spi, seq_no (8 bytes).
    if (th + 8 > skb.len) {
      par.hotdrop = true;
      return false;
    }
    const spi = u32(skb.data, th);
    return (spi >= c.spis[0] && spi <= c.spis[1]) !== c.invert;
  },
});
