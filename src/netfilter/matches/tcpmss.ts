/**
 * `-m tcpmss` (xt_tcpmss.c / libxt_tcpmss.c): `[!] --mss value[:value]`
 * tests the MSS option of a TCP header. Needs `-p tcp` without `!` (the
 * xt module's protocol).
 *
 * As the kernel does, per packet: any TCP segment is examined, not only
 * SYNs (the SYN-only rule belongs to the TCPMSS target); a header without an
 * MSS option (kind 2, length 4) matches only when inverted; a header too
 * short for its 20 bytes, a data offset below 5 or options cut off by the
 * end of the packet hot-drop it. The fragment offset is not looked at.
 *
 * @example
 * -p tcp -m tcpmss --mss 1:535
 */
import { nextTcpOption, tcpOptionsLength } from './tcp.js';
import { CheckError, defineMatch, OptionError, type OptionSpec } from '../xt.js';
import { parseUintRange } from '../args.js';
import { checkUses } from './util.js';

export interface TcpmssMatchConfig {
  readonly min: number;
  readonly max: number;
  readonly invert: boolean;
}

const OPTIONS: readonly OptionSpec[] = [{ name: 'mss', args: 1, invert: true, mandatory: true }];

export const tcpmssMatch = defineMatch<TcpmssMatchConfig>({
  name: 'tcpmss',
  options: OPTIONS,
  parse(uses) {
    checkUses('tcpmss', uses);
    const u = uses.find((x) => x.spec.name === 'mss');
    if (!u) throw new OptionError('tcpmss: option "--mss" must be specified');
    const [min, max] = parseUintRange('tcpmss', u, 65535);
    if (min > max) throw new OptionError('tcpmss: invalid range given', u);
    return { min, max, invert: u.invert };
  },
  check(_c, ctx) {
    if (ctx.head.proto !== 6 || ctx.head.invProto) {
      throw new CheckError('tcpmss match: only valid for protocol 6 (use -p tcp without !; Invalid argument)');
    }
  },
  save(c) {
    return `${c.invert ? '! ' : ''}--mss ${c.min === c.max ? c.min : `${c.min}:${c.max}`}`;
  },
  match(c, skb, par) {
    const d = skb.data;
    const th = skb.thoff;
    if (th + 20 > skb.len) {
      par.hotdrop = true;
      return false;
    }
    const optlen = tcpOptionsLength(skb, par);
    if (optlen < 0) return false;
    const op = th + 20;
    for (let i = 0; i < optlen; i = nextTcpOption(d, op, i)) {
      if (d[op + i] === 2 && optlen - i >= 4 && d[op + i + 1] === 4) {
        const mss = (d[op + i + 2]! << 8) | d[op + i + 3]!;
        return (mss >= c.min && mss <= c.max) !== c.invert;
      }
    }
    return c.invert;
  },
});
