/**
 * A flow as reports and traces print it: `tcp 192.0.2.1:1234 ->
 * 198.51.100.1:22`, `udp [2001:db8::1]:53 -> [2001:db8::2]:5353`,
 * `icmp 192.0.2.1 -> 198.51.100.1 type 8`, the protocol alone for a
 * fragment or a protocol without ports.
 */
import { protocolName } from '../netfilter/names.js';
import type { Flow } from './flow.js';

/** `proto src[:sport] -> dst[:dport]` of a flow (IPv6 with a port bracketed), or `type N` for ICMP. */
export function flowText(f: Flow): string {
  const proto = protocolName(f.proto);
  const v6 = f.src.toString().includes(':');
  const withPort = (a: string, p: number): string => (v6 ? `[${a}]:${p}` : `${a}:${p}`);
  if (f.icmpType >= 0) return `${proto} ${f.src.toString()} -> ${f.dst.toString()} type ${f.icmpType}`;
  if (f.l4) return `${proto} ${withPort(f.src.toString(), f.sport)} -> ${withPort(f.dst.toString(), f.dport)}`;
  return `${proto} ${f.src.toString()} -> ${f.dst.toString()}`;
}
