/**
 * TRACE (iptables extensions/libxt_TRACE.c): marks the packet for tracing.
 * iptables-nft loads it as the native nf_tables `meta nftrace set 1`, so it
 * is accepted in every table and chain (not only raw, as the legacy xt
 * module was), and what it produces are nf_tables trace events (read with
 * `xtables-monitor --trace` or `nft monitor trace`), not kernel log lines.
 *
 * The packet record has no trace flag yet: the rule counts and the packet
 * goes on, unchanged. `cofw trace --frames` traces chosen frames instead.
 */
import { XT_CONTINUE } from '../types.js';
import { defineTarget } from '../xt.js';

export const traceTarget = defineTarget<null>({
  name: 'TRACE',
  options: [],
  parse: () => null,
  target: (_c, skb) => {
    // iptables-nft makes TRACE `meta nftrace set 1`: the packet is traced from
    // here on, through the rest of its way (the stack logs each rule it meets).
    skb.nftrace = true;
    return XT_CONTINUE;
  },
  save: () => '',
});
