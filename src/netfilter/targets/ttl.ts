/**
 * TTL (net/netfilter/xt_HL.c; iptables extensions/libipt_TTL.c): sets,
 * decrements or increments the IPv4 TTL, mangle table only. The result is
 * clamped to 0-255; the header checksum is updated with csum_replace2 when
 * the TTL changes. A TTL set to 0 here does not drop the packet: only the
 * forwarding path's own check does, and it runs before FORWARD.
 *
 * Parsing as iptables 1.8.9: `--ttl-set` 0-255, `--ttl-dec` and `--ttl-inc`
 * 1-255, exactly one of them; iptables-save prints the option and decimal.
 */
import { XT_CONTINUE } from '../types.js';
import { uintArg } from '../args.js';
import { defineTarget, Family, OptionError, type OptionUse } from '../xt.js';
import { csumReplaceByte, exclusive } from './xt-util.js';

export const enum TtlMode {
  Set = 0,
  Inc = 1,
  Dec = 2,
}

export interface TtlConfig {
  readonly mode: TtlMode;
  readonly ttl: number;
}

const MODE_NAME = ['ttl-set', 'ttl-inc', 'ttl-dec'] as const;

export const ttlTarget = defineTarget<TtlConfig>({
  name: 'TTL',
  // xt_HL registers TTL for IPv4 only (ip6tables has HL instead).
  family: Family.V4,
  tables: ['mangle'],
  options: [
    { name: 'ttl-set', args: 1 },
    { name: 'ttl-dec', args: 1 },
    { name: 'ttl-inc', args: 1 },
  ],

  parse(uses) {
    let first: OptionUse | undefined;
    let cfg: TtlConfig = { mode: TtlMode.Set, ttl: 0 };
    for (const u of uses) {
      if (first) throw exclusive('TTL', first, u);
      first = u;
      const name = u.spec.name;
      if (name === 'ttl-set') cfg = { mode: TtlMode.Set, ttl: uintArg('TTL', u, 0, 255) };
      else cfg = { mode: name === 'ttl-inc' ? TtlMode.Inc : TtlMode.Dec, ttl: uintArg('TTL', u, 1, 255) };
    }
    if (!first) throw new OptionError('TTL: You must specify an action');
    return cfg;
  },

  target(config, skb) {
    const ip = skb.data;
    const old = ip[8]!;
    let nv: number;
    if (config.mode === TtlMode.Set) nv = config.ttl;
    else if (config.mode === TtlMode.Inc) nv = Math.min(255, old + config.ttl);
    else nv = Math.max(0, old - config.ttl);
    if (nv !== old) {
      csumReplaceByte(ip, 10, false, old, nv);
      ip[8] = nv;
    }
    return XT_CONTINUE;
  },

  save(config) {
    return `--${MODE_NAME[config.mode]} ${config.ttl}`;
  },
});
