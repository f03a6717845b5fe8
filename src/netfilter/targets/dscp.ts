/**
 * DSCP and TOS (net/netfilter/xt_DSCP.c; iptables extensions/libxt_DSCP.c,
 * libxt_TOS.c): rewrite the IPv4 TOS byte or the IPv6 traffic class,
 * mangle table only.
 *
 * DSCP replaces the six DSCP bits and keeps the two ECN bits; TOS (revision
 * 1) sets `tos = (tos & ~mask) ^ value`. Both write only when the byte
 * changes: IPv4 updating the header checksum with ipv4_change_dsfield,
 * IPv6 (dscp_tg6, tos_tg6) with ipv6_change_dsfield, which keeps the
 * version and the flow label.
 *
 * Parsing as iptables 1.8.9: `--set-dscp` 0-63, `--set-dscp-class` a class
 * name (CS0-CS7, BE, AF11-AF43, EF; any case, a class name's prefix
 * enough, as the dscp match reads it); `--set-tos value[/mask]`
 * (mask 0xff) or a TOS name (Minimize-Delay, Maximize-Throughput,
 * Maximize-Reliability, Minimize-Cost, Normal-Service; any case; mask 0x3f),
 * `--and-tos v` (0/~v), `--or-tos v` (v/v), `--xor-tos v` (v/0).
 * iptables-save prints `--set-dscp 0x%02x` and `--set-tos 0x%02x/0x%02x`.
 */
import { XT_CONTINUE } from '../types.js';
import { dscpClassArg, parseTosMask, uintArg } from '../args.js';
import { defineTarget, Family, OptionError, type OptionUse } from '../xt.js';
import { exclusive, hex8, ipv4ChangeDsfield, ipv6ChangeDsfield, ipv6GetDsfield } from './xt-util.js';

export interface DscpConfig {
  readonly dscp: number;
}

export const dscpTarget = defineTarget<DscpConfig>({
  name: 'DSCP',
  tables: ['mangle'],
  options: [
    { name: 'set-dscp', args: 1 },
    { name: 'set-dscp-class', args: 1 },
  ],

  parse(uses) {
    let first: OptionUse | undefined;
    let dscp = 0;
    for (const u of uses) {
      if (first) throw exclusive('DSCP', first, u);
      first = u;
      dscp = u.spec.name === 'set-dscp' ? uintArg('DSCP', u, 0, 63) : dscpClassArg(u);
    }
    if (!first) throw new OptionError('DSCP target: Parameter --set-dscp is required');
    return { dscp };
  },

  target(config, skb) {
    const ip = skb.data;
    if (skb.family === Family.V6) {
      if (ipv6GetDsfield(ip) >> 2 !== config.dscp) ipv6ChangeDsfield(ip, 0x03, config.dscp << 2);
    } else if (ip[1]! >> 2 !== config.dscp) ipv4ChangeDsfield(ip, 0x03, config.dscp << 2);
    return XT_CONTINUE;
  },

  save(config) {
    return `--set-dscp ${hex8(config.dscp)}`;
  },
});

export interface TosConfig {
  readonly value: number;
  readonly mask: number;
}

export const tosTarget = defineTarget<TosConfig>({
  name: 'TOS',
  tables: ['mangle'],
  options: [
    { name: 'set-tos', args: 1 },
    { name: 'and-tos', args: 1 },
    { name: 'or-tos', args: 1 },
    { name: 'xor-tos', args: 1 },
  ],

  parse(uses) {
    let first: OptionUse | undefined;
    let cfg: TosConfig = { value: 0, mask: 0 };
    for (const u of uses) {
      if (first) throw exclusive('TOS', first, u);
      first = u;
      const name = u.spec.name;
      if (name === 'set-tos') cfg = parseTosMask(u.args[0] ?? '', 0x3f, u);
      else {
        const v = uintArg('TOS', u, 0, 0xff);
        if (name === 'and-tos') cfg = { value: 0, mask: ~v & 0xff };
        else if (name === 'or-tos') cfg = { value: v, mask: v };
        else cfg = { value: v, mask: 0 };
      }
    }
    if (!first) throw new OptionError('TOS: An action is required');
    return cfg;
  },

  target(config, skb) {
    const ip = skb.data;
    const v6 = skb.family === Family.V6;
    const orig = v6 ? ipv6GetDsfield(ip) : ip[1]!;
    const nv = ((orig & ~config.mask) ^ config.value) & 0xff;
    if (nv !== orig) {
      if (v6) ipv6ChangeDsfield(ip, 0, nv);
      else ipv4ChangeDsfield(ip, 0, nv);
    }
    return XT_CONTINUE;
  },

  save(config) {
    return `--set-tos ${hex8(config.value)}/${hex8(config.mask)}`;
  },
});
