/**
 * HL (hl_tg6 in net/netfilter/xt_HL.c; extensions/libip6t_HL.c): sets,
 * decrements or increments the IPv6 hop limit, in the mangle table only.
 * The result is clamped to 0-255; IPv6 has no header checksum to update. A
 * hop limit set to 0 here does not drop the packet: only the forwarding
 * path's own check does, and it runs before FORWARD.
 *
 * Parsing as ip6tables 1.8.9: `--hl-set` 0-255, `--hl-dec` and `--hl-inc`
 * 1-255, exactly one of them; ip6tables-save prints the option and the
 * decimal value.
 *
 * @example
 * -t mangle -A PREROUTING -i eth0 -j HL --hl-inc 1      (hide this router from traceroute)
 */
import { XT_CONTINUE } from '../types.js';
import { uintArg } from '../args.js';
import { defineTarget, Family, OptionError } from '../xt.js';
import { fcheck } from '../matches/ip6-ext.js';

/** IP6T_HL_SET, IP6T_HL_INC, IP6T_HL_DEC (linux/netfilter_ipv6/ip6t_HL.h). */
export const enum HlTargetMode {
  Set = 0,
  Inc = 1,
  Dec = 2,
}

export interface HlTargetConfig {
  readonly mode: HlTargetMode;
  readonly hopLimit: number;
}

const MODE_NAME = ['hl-set', 'hl-inc', 'hl-dec'] as const;
/** HL_opts in its order (hl-set, hl-dec, hl-inc), each excluding the others (F_ANY). */
const ANY = [0, 1, 2];
const TABLE = [
  { name: 'hl-set', id: 0, excl: ANY },
  { name: 'hl-dec', id: 2, excl: ANY },
  { name: 'hl-inc', id: 1, excl: ANY },
];

export const hlTarget = defineTarget<HlTargetConfig>({
  name: 'HL',
  // xt_HL registers HL for IPv6 only (iptables has TTL).
  family: Family.V6,
  tables: ['mangle'],
  options: [
    { name: 'hl-set', args: 1 },
    { name: 'hl-dec', args: 1 },
    { name: 'hl-inc', args: 1 },
  ],

  parse(uses) {
    let cfg: HlTargetConfig | undefined;
    for (const u of uses) {
      if (u.invert) throw new OptionError(`HL: option "--${u.spec.name}" cannot be inverted.`, u);
      const mode = MODE_NAME.indexOf(u.spec.name as (typeof MODE_NAME)[number]) as HlTargetMode;
      cfg = { mode, hopLimit: uintArg('HL', u, mode === HlTargetMode.Set ? 0 : 1, 255) };
    }
    if (!cfg) throw new OptionError('HL: You must specify an action');
    fcheck('HL', TABLE, new Set(uses.map((u) => MODE_NAME.indexOf(u.spec.name as (typeof MODE_NAME)[number]))), uses);
    return cfg;
  },

  target(config, skb) {
    const ip = skb.data;
    const old = ip[7]!;
    if (config.mode === HlTargetMode.Set) ip[7] = config.hopLimit;
    else if (config.mode === HlTargetMode.Inc) ip[7] = Math.min(255, old + config.hopLimit);
    else ip[7] = Math.max(0, old - config.hopLimit);
    return XT_CONTINUE;
  },

  save(config) {
    return `--${MODE_NAME[config.mode]} ${config.hopLimit}`;
  },
});
