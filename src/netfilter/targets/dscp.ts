/**
 * DSCP and TOS (net/netfilter/xt_DSCP.c; iptables extensions/libxt_DSCP.c,
 * libxt_TOS.c): rewrite the IPv4 TOS byte, mangle table only.
 *
 * DSCP replaces the six DSCP bits and keeps the two ECN bits; TOS (revision
 * 1) sets `tos = (tos & ~mask) ^ value`. Both write only when the byte
 * changes, updating the header checksum with ipv4_change_dsfield.
 *
 * Parsing as iptables 1.8.9: `--set-dscp` 0-63, `--set-dscp-class` a class
 * name (CS0-CS7, BE, AF11-AF43, EF; any case); `--set-tos value[/mask]`
 * (mask 0xff) or a TOS name (Minimize-Delay, Maximize-Throughput,
 * Maximize-Reliability, Minimize-Cost, Normal-Service; any case; mask 0x3f),
 * `--and-tos v` (0/~v), `--or-tos v` (v/v), `--xor-tos v` (v/0).
 * iptables-save prints `--set-dscp 0x%02x` and `--set-tos 0x%02x/0x%02x`.
 */
import { XT_CONTINUE } from '../types.js';
import { defineTarget, OptionError, type OptionUse } from '../xt.js';
import { cStrtoul, exclusive, hex8, ipv4ChangeDsfield, uintOption } from './xt-util.js';

/** ds_classes of libxt_dscp_helper.c. */
const DSCP_CLASSES: ReadonlyMap<string, number> = new Map([
  ['CS0', 0x00], ['CS1', 0x08], ['CS2', 0x10], ['CS3', 0x18], ['CS4', 0x20], ['CS5', 0x28], ['CS6', 0x30], ['CS7', 0x38],
  ['BE', 0x00],
  ['AF11', 0x0a], ['AF12', 0x0c], ['AF13', 0x0e],
  ['AF21', 0x12], ['AF22', 0x14], ['AF23', 0x16],
  ['AF31', 0x1a], ['AF32', 0x1c], ['AF33', 0x1e],
  ['AF41', 0x22], ['AF42', 0x24], ['AF43', 0x26],
  ['EF', 0x2e],
]);

/** tos_symbol_names of libxtables. */
const TOS_NAMES: ReadonlyMap<string, number> = new Map([
  ['minimize-delay', 0x10],
  ['maximize-throughput', 0x08],
  ['maximize-reliability', 0x04],
  ['minimize-cost', 0x02],
  ['normal-service', 0x00],
]);

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
      if (u.spec.name === 'set-dscp') dscp = uintOption('DSCP', u, 0, 63);
      else {
        const v = DSCP_CLASSES.get((u.args[0] ?? '').toUpperCase());
        if (v === undefined) throw new OptionError(`Invalid DSCP value \`${u.args[0]}'`, u);
        dscp = v;
      }
    }
    if (!first) throw new OptionError('DSCP target: Parameter --set-dscp is required');
    return { dscp };
  },

  target(config, skb) {
    const ip = skb.data;
    if (ip[1]! >> 2 !== config.dscp) ipv4ChangeDsfield(ip, 0x03, config.dscp << 2);
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

/** xtopt_parse_tosmask: a number (with an optional /mask) or a symbolic name. */
function parseTosMask(use: OptionUse): TosConfig {
  const arg = use.args[0] ?? '';
  const n = cStrtoul(arg);
  if (n && n.value <= 0xff) {
    const illegal = (): never => {
      throw new OptionError(`Illegal value: "${arg}"`, use);
    };
    let mask = 0xff;
    let end = n.end;
    if (arg[end] === '/') {
      const m = cStrtoul(arg.slice(end + 1));
      if (!m || m.value > 0xff) illegal();
      mask = m!.value;
      end += 1 + m!.end;
    }
    if (end !== arg.length) illegal();
    return { value: n.value, mask };
  }
  const v = TOS_NAMES.get(arg.toLowerCase());
  if (v === undefined) throw new OptionError(`Symbolic name "${arg}" is unknown`, use);
  return { value: v, mask: 0x3f };
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
      if (name === 'set-tos') cfg = parseTosMask(u);
      else {
        const v = uintOption('TOS', u, 0, 0xff);
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
    const orig = ip[1]!;
    const nv = ((orig & ~config.mask) ^ config.value) & 0xff;
    if (nv !== orig) ipv4ChangeDsfield(ip, 0, nv);
    return XT_CONTINUE;
  },

  save(config) {
    return `--set-tos ${hex8(config.value)}/${hex8(config.mask)}`;
  },
});
