/**
 * nat-no-target: a nat table whose rules only count (no SNAT, DNAT,
 * MASQUERADE...). Through nf_tables its chains register the NAT hooks but
 * not connection tracking, which only a NAT target or another conntrack
 * user asks for: the IPv4 side, with nothing else, tracks nothing and its
 * nat chains never run (every nat counter 0, no entries). The IPv6 side
 * has a `-m conntrack` rule in filter, so its entries exist and its nat
 * chains see each connection's first packet.
 */
import { ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, DUAL_STACK_MACHINE, payload, type Scenario } from './capture.js';

const TABLES = (ct: string) => `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp -j ACCEPT
-A PREROUTING -p udp
-A INPUT -j ACCEPT
-A OUTPUT -j ACCEPT
-A POSTROUTING -o eth0 -j ACCEPT
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${ct}-A INPUT -p udp -j ACCEPT
-A FORWARD -p tcp -j ACCEPT
-A FORWARD -p udp -j ACCEPT
COMMIT
`;

export const rules = `# cofw golden: nat-no-target (IPv4 side: no conntrack)\n${TABLES('')}`;
export const rules6 = `# cofw golden: nat-no-target (IPv6 side: conntrack from filter)\n${TABLES('-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT\n')}`;

const OUT = '203.0.113.10';
const IN = '192.0.2.10';
const FW = '198.51.100.1';
const OUT6 = '2001:db8:99::5';
const IN6 = '2001:db8:2::10';
const FW6 = '2001:db8:100::1';

export function build(): Scenario & { rules6: string; machine: string } {
  const c = new Capture(3_000_000n);
  // Forwarded: a TCP handshake's two first segments each way and a UDP exchange.
  c.host(ipv4({ src: IN, dst: OUT }, tcp({ sport: 40000, dport: 443, flags: 'S', seq: 1 })));
  c.wire(ipv4({ src: OUT, dst: IN }, tcp({ sport: 443, dport: 40000, flags: 'SA', seq: 100, ack: 2 })));
  c.host(ipv4({ src: IN, dst: OUT }, tcp({ sport: 40000, dport: 443, flags: 'A', seq: 2, ack: 101 })));
  c.host(ipv4({ src: IN, dst: OUT }, udp({ sport: 40100, dport: 53, payload: payload(20) })));
  c.wire(ipv4({ src: OUT, dst: IN }, udp({ sport: 53, dport: 40100, payload: payload(40) })));
  // To the firewall and from it.
  c.wire(ipv4({ src: OUT, dst: FW }, udp({ sport: 5000, dport: 53, payload: payload(30) })));
  c.wire(ipv4({ src: OUT, dst: FW }, udp({ sport: 5000, dport: 53, payload: payload(31) })));
  c.local(ipv4({ src: FW, dst: OUT }, udp({ sport: 53, dport: 5000, payload: payload(40) })));
  c.host6(ipv6({ src: IN6, dst: OUT6 }, tcp({ sport: 40000, dport: 443, flags: 'S', seq: 1 })));
  c.wire6(ipv6({ src: OUT6, dst: IN6 }, tcp({ sport: 443, dport: 40000, flags: 'SA', seq: 100, ack: 2 })));
  c.host6(ipv6({ src: IN6, dst: OUT6 }, tcp({ sport: 40000, dport: 443, flags: 'A', seq: 2, ack: 101 })));
  c.host6(ipv6({ src: IN6, dst: OUT6 }, udp({ sport: 40100, dport: 53, payload: payload(20) })));
  c.wire6(ipv6({ src: OUT6, dst: IN6 }, udp({ sport: 53, dport: 40100, payload: payload(40) })));
  c.wire6(ipv6({ src: OUT6, dst: FW6 }, udp({ sport: 5000, dport: 53, payload: payload(30) })));
  c.wire6(ipv6({ src: OUT6, dst: FW6 }, udp({ sport: 5000, dport: 53, payload: payload(31) })));
  return { rules, rules6, machine: DUAL_STACK_MACHINE, capture: c };
}
