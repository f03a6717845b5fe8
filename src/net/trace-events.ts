/**
 * What `cofw trace` tells a person about a frame, as the guest sees it:
 * one console line per event, `cofw-trace: {json}`, for the frames the
 * trace boot parameter names (not for those the TRACE target marks, which
 * get only the kernel's TRACE lines). The host reads them back
 * (src/report/trace-text.ts) and prints them with the rules' texts.
 *
 * Events, in the order a frame meets them (`f` is the frame number):
 *   {e:'hook', f, hook, in, out, pkt}           a hook starts; pkt as the packet is now
 *                                               (physin, physout: the bridge ports of a bridged packet, when it has them)
 *   {e:'copy', f, port}                         a bridge sends a copy of the frame out of `port` (null: up to its own stack)
 *   {e:'copies', f, n}                          ... and is done: the frame's own fate follows
 *   {e:'ct', f, before, state, after}           conntrack looked the packet up: the entry before and after, the packet's state
 *   {e:'table', f, table, hook}                 a table's chain for the hook starts
 *   {e:'rule', f, table, chain, n, m, line}     rule n met: m 1 matched, 0 did not; line in the rule file
 *   {e:'return', f, table, chain} / {e:'policy', f, table, chain, policy}
 *   {e:'verdict', f, table, v, chain, rule}     the table's verdict (rule 0: the policy)
 *   {e:'natbound', f, hook}                     the nat table is not consulted: the connection is bound
 *   {e:'fate', f, fate, pkt, ct, state}         what became of it, the packet and entry at the end
 */
import { formatEntry, IP_CT_ESTABLISHED, IP_CT_ESTABLISHED_REPLY, IP_CT_NEW, IP_CT_RELATED, IP_CT_RELATED_REPLY } from '../netfilter/conntrack/index.js';
import { CT_INVALID, CT_UNTRACKED } from '../netfilter/conntrack/conn.js';
import { Family } from '../packet/inet-addr.js';
import { Flow, readFlow } from '../packet/flow.js';
import { flowText } from '../packet/flow-text.js';
import type { Skb } from '../netfilter/types.js';

/** The console lines' prefix. */
export const TRACE_EVENT_PREFIX = 'cofw-trace: ';

/** TCP flag letters, bit 0 (FIN) first, as tcpdump prints them. */
const TCP_FLAGS = 'FSRPAUEW';

/** `tcp 192.0.2.1:1234 -> 198.51.100.1:22 [S] len 60`: the packet as it is now. */
export function packetSummary(skb: Skb, flow: Flow): string {
  if (!readFlow(skb.data.subarray(0, skb.len), 0, skb.family === Family.V6 ? 0x86dd : 0x0800, flow)) return `len ${skb.totLen}`;
  let s = flowText(flow);
  if (flow.proto === 6 && flow.l4 && skb.thoff + 14 <= skb.len) {
    const b = skb.data[skb.thoff + 13]!;
    let f = '';
    for (let i = 0; i < 8; i++) if (b & (1 << i)) f += TCP_FLAGS[i];
    s += ` [${f || '.'}]`;
  }
  return `${s} len ${skb.totLen}`;
}

/** The packet's conntrack state as -m conntrack --ctstate names it (with the direction of ESTABLISHED and RELATED). */
export function ctStateText(skb: Skb): string {
  if (skb.ctState === CT_UNTRACKED) return 'UNTRACKED';
  if (skb.ctState === CT_INVALID || !skb.ct) return 'INVALID';
  switch (skb.ctinfo) {
    case IP_CT_NEW:
      return 'NEW';
    case IP_CT_ESTABLISHED:
      return 'ESTABLISHED';
    case IP_CT_ESTABLISHED_REPLY:
      return 'ESTABLISHED (reply)';
    case IP_CT_RELATED:
      return 'RELATED';
    case IP_CT_RELATED_REPLY:
      return 'RELATED (reply)';
    default:
      return String(skb.ctinfo);
  }
}

/** The packet's entry as conntrack -L prints it (without the expiry's meaning: seconds left when it is confirmed). */
export function ctEntryText(skb: Skb, expires: (c: NonNullable<Skb['ct']>) => number): string | null {
  return skb.ct ? formatEntry(skb.ct, expires(skb.ct)) : null;
}

export class TraceEvents {
  private readonly flow = new Flow();
  constructor(private readonly printk: (level: number, text: string) => void) {}

  emit(ev: Record<string, unknown>): void {
    this.printk(4, TRACE_EVENT_PREFIX + JSON.stringify(ev));
  }

  packet(skb: Skb): string {
    return packetSummary(skb, this.flow);
  }
}
