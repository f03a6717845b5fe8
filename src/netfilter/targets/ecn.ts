/**
 * ECN (net/ipv4/netfilter/ipt_ECN.c; iptables extensions/libipt_ECN.c):
 * rewrites the ECN bits of the IP header and the ECE/CWR flags of TCP,
 * mangle table only.
 *
 * `--ecn-tcp-remove` clears ECE and CWR; `--ecn-tcp-ece 0|1` and
 * `--ecn-tcp-cwr 0|1` set one flag; `--ecn-ip-ect 0-3` sets the IP ECN
 * field. The TCP operations need `-p tcp` (the kernel refuses them
 * otherwise: "cannot use operation on non-tcp rule") and apply to TCP
 * packets only; a TCP header that cannot be read drops the packet. Fields
 * are written only when they change, checksums updated as the kernel does
 * (csum_replace2 on the TOS byte, inet_proto_csum_replace2 on the TCP
 * flags word). iptables-save prints `--ecn-tcp-remove` when the rule clears
 * both flags and does nothing else, otherwise `--ecn-tcp-ece N --ecn-tcp-cwr
 * N --ecn-ip-ect N` for the operations present; --ecn-tcp-remove excludes
 * the two flag options.
 */
import { NF_DROP, XT_CONTINUE } from '../types.js';
import { uintArg } from '../args.js';
import { CheckError, defineTarget, Family, OptionError, type OptionUse } from '../xt.js';
import { csumReplace2, csumReplaceByte, exclusive } from './xt-util.js';

const OP_SET_IP = 0x01;
const OP_SET_ECE = 0x10;
const OP_SET_CWR = 0x20;

export interface EcnConfig {
  readonly ops: number;
  readonly ipEct: number;
  readonly ece: number;
  readonly cwr: number;
}

export const ecnTarget = defineTarget<EcnConfig>({
  name: 'ECN',
  // ipt_ECN: IPv4 only (ip6tables has no ECN target).
  family: Family.V4,
  tables: ['mangle'],
  options: [
    { name: 'ecn-tcp-remove', args: 0 },
    { name: 'ecn-tcp-cwr', args: 1 },
    { name: 'ecn-tcp-ece', args: 1 },
    { name: 'ecn-ip-ect', args: 1 },
  ],

  parse(uses) {
    let ops = 0;
    let ipEct = 0;
    let ece = 0;
    let cwr = 0;
    let remove: OptionUse | undefined;
    let flag: OptionUse | undefined;
    for (const u of uses) {
      const name = u.spec.name;
      if (name === 'ecn-tcp-remove' && flag) throw exclusive('ECN', flag, u);
      if ((name === 'ecn-tcp-cwr' || name === 'ecn-tcp-ece') && remove) throw exclusive('ECN', remove, u);
      if (name === 'ecn-tcp-remove') remove = u;
      else if (name !== 'ecn-ip-ect') flag = u;
      switch (name) {
        case 'ecn-tcp-remove':
          ops |= OP_SET_ECE | OP_SET_CWR;
          ece = 0;
          cwr = 0;
          break;
        case 'ecn-tcp-cwr':
          cwr = uintArg('ECN', u, 0, 1);
          ops |= OP_SET_CWR;
          break;
        case 'ecn-tcp-ece':
          ece = uintArg('ECN', u, 0, 1);
          ops |= OP_SET_ECE;
          break;
        case 'ecn-ip-ect':
          ipEct = uintArg('ECN', u, 0, 3);
          ops |= OP_SET_IP;
          break;
      }
    }
    if (!ops) throw new OptionError('ECN target: An operation is required');
    return { ops, ipEct, ece, cwr };
  },

  /** ecn_tg_check. */
  check(config, ctx) {
    if (config.ops & (OP_SET_ECE | OP_SET_CWR) && (ctx.head.proto !== 6 || ctx.head.invProto)) {
      throw new CheckError('ipt_ECN: cannot use operation on non-tcp rule (--ecn-tcp-* needs -p tcp)');
    }
  },

  target(config, skb, par) {
    const ip = skb.data;
    if (config.ops & OP_SET_IP) {
      const tos = ip[1]!;
      if ((tos & 3) !== config.ipEct) {
        const nv = (tos & ~3) | config.ipEct;
        csumReplaceByte(ip, 10, true, tos, nv);
        ip[1] = nv;
      }
    }
    if (config.ops & (OP_SET_ECE | OP_SET_CWR) && skb.protocol === 6) {
      const th = skb.thoff;
      if (th + 20 > skb.len) {
        // skb_header_pointer failed: the kernel drops; a snaplen cut says so.
        if (skb.truncated) par.hotdrop = true;
        return NF_DROP;
      }
      const old = ip[th + 13]!;
      let nv = old;
      if (config.ops & OP_SET_ECE) nv = config.ece ? nv | 0x40 : nv & ~0x40;
      if (config.ops & OP_SET_CWR) nv = config.cwr ? nv | 0x80 : nv & ~0x80;
      if (nv !== old) {
        const hi = ip[th + 12]!;
        ip[th + 13] = nv;
        csumReplace2(ip, th + 16, (hi << 8) | old, (hi << 8) | nv);
      }
    }
    return XT_CONTINUE;
  },

  save(config) {
    // libipt_ECN prints the remove shorthand for exactly "clear both flags".
    if (config.ops === (OP_SET_ECE | OP_SET_CWR) && !config.ece && !config.cwr) return '--ecn-tcp-remove';
    const out: string[] = [];
    if (config.ops & OP_SET_ECE) out.push(`--ecn-tcp-ece ${config.ece}`);
    if (config.ops & OP_SET_CWR) out.push(`--ecn-tcp-cwr ${config.cwr}`);
    if (config.ops & OP_SET_IP) out.push(`--ecn-ip-ect ${config.ipEct}`);
    return out.join(' ');
  },
});
