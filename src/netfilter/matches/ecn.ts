/**
 * `-m ecn` (xt_ecn.c / libxt_ecn.c): `[!] --ecn-tcp-cwr`, `[!] --ecn-tcp-ece`
 * (the TCP header's CWR and ECE flags) and `[!] --ecn-ip-ect 0-3` (the two
 * ECN bits of the IPv4 TOS byte, or of the IPv6 traffic class: ecn_mt6
 * reads them from flow_lbl[0]). Every option given must hold.
 *
 * The TCP options need `-p tcp` without `!` (the kernel's checkentry:
 * "cannot match TCP bits for non-tcp packets", EINVAL). Per packet the
 * kernel reads 20 bytes of TCP header at the transport offset and does not
 * match when they are not there (no hot drop, no fragment test: a later
 * fragment's payload is read as if it were the header).
 *
 * @example
 * -p tcp -m ecn --ecn-tcp-ece ! --ecn-tcp-cwr
 */
import { CheckError, defineMatch, Family, OptionError, type OptionSpec } from '../xt.js';
import { uintArg } from '../args.js';
import { checkUses } from './util.js';

/** XT_ECN_OP_MATCH_* bits. */
export const ECN_IP = 0x01;
export const ECN_ECE = 0x10;
export const ECN_CWR = 0x20;

export interface EcnMatchConfig {
  readonly operation: number;
  readonly invert: number;
  readonly ipEct: number;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'ecn-tcp-cwr', args: 0, invert: true },
  { name: 'ecn-tcp-ece', args: 0, invert: true },
  { name: 'ecn-ip-ect', args: 1, invert: true },
];

export const ecnMatch = defineMatch<EcnMatchConfig>({
  name: 'ecn',
  options: OPTIONS,
  parse(uses) {
    checkUses('ecn', uses);
    let operation = 0;
    let invert = 0;
    let ipEct = 0;
    for (const u of uses) {
      const bit = u.spec.name === 'ecn-tcp-cwr' ? ECN_CWR : u.spec.name === 'ecn-tcp-ece' ? ECN_ECE : ECN_IP;
      if (bit === ECN_IP) ipEct = uintArg('ecn', u, 0, 3);
      operation |= bit;
      if (u.invert) invert |= bit;
    }
    if (!operation) throw new OptionError('ECN match: some option required');
    return { operation, invert, ipEct };
  },
  check(c, ctx) {
    if (c.operation & (ECN_ECE | ECN_CWR) && (ctx.head.proto !== 6 || ctx.head.invProto)) {
      throw new CheckError('ecn: cannot match TCP bits for non-tcp packets (add -p tcp; Invalid argument)');
    }
  },
  save(c) {
    const out: string[] = [];
    const opt = (bit: number, text: string): void => {
      if (c.operation & bit) out.push(`${c.invert & bit ? '! ' : ''}${text}`);
    };
    opt(ECN_ECE, '--ecn-tcp-ece');
    opt(ECN_CWR, '--ecn-tcp-cwr');
    opt(ECN_IP, `--ecn-ip-ect ${c.ipEct}`);
    return out.join(' ');
  },
  match(c, skb, par) {
    const op = c.operation;
    if (op & ECN_IP) {
      const ect = skb.family === Family.V6 ? (skb.data[1]! >> 4) & 3 : skb.data[1]! & 3;
      if ((ect === c.ipEct) === ((c.invert & ECN_IP) !== 0)) return false;
    }
    if (op & (ECN_ECE | ECN_CWR)) {
      const th = skb.thoff;
      if (th + 20 > skb.totLen) return false;
      if (th + 20 > skb.len) {
        // Cut short by the capture: the kernel had these bytes, cofw does not.
        par.hotdrop = true;
        return false;
      }
      const flags = skb.data[th + 13]!;
      if (op & ECN_ECE && ((flags & 0x40) !== 0) === ((c.invert & ECN_ECE) !== 0)) return false;
      if (op & ECN_CWR && ((flags & 0x80) !== 0) === ((c.invert & ECN_CWR) !== 0)) return false;
    }
    return true;
  },
});
