/**
 * connsecmark: `-j CONNSECMARK --save` and `--restore` in the mangle and
 * security tables of both families, with no other rule that needs
 * connection tracking. The target's checkentry takes conntrack for the
 * namespace (nf_ct_netns_get), so the kernel tracks every flow (the
 * conntrack lists show them); the packets' and connections' security
 * marks are all 0 (no SECMARK rule: cofw refuses SECMARK, the machine has
 * no SELinux policy), so nothing is copied and every rule counts and goes
 * on (XT_CONTINUE). Forwarded TCP and UDP flows, ICMP echoes to the
 * firewall and the firewall's own packets meet rules in every hook.
 */
import { icmp, icmp6, ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, DUAL_STACK_MACHINE, payload, type Scenario } from './capture.js';
import { senders6 } from './ip6.js';

function ruleFile(title: string, icmpName: string): string {
  return `# cofw golden: connsecmark (${title})
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -j CONNSECMARK --restore
-A PREROUTING -p tcp -j CONNSECMARK --save
-A INPUT -p ${icmpName} -j CONNSECMARK --save
-A FORWARD -p udp -j CONNSECMARK --restore
-A OUTPUT -j CONNSECMARK --restore
-A POSTROUTING -p udp -j CONNSECMARK --save
-A POSTROUTING -o eth1 -j CONNSECMARK --restore
COMMIT
*security
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -j CONNSECMARK --save
-A FORWARD -p tcp -j CONNSECMARK --save
-A FORWARD -j CONNSECMARK --restore
-A OUTPUT -p udp -j CONNSECMARK --save
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -p tcp
-A FORWARD -p udp
COMMIT
`;
}

export function build(): Scenario & { rules6: string; machine: string } {
  const c = new Capture(3_000_000n);
  const OUT = '203.0.113.10';
  const IN = '192.0.2.10';
  const FW = '198.51.100.1';
  // A TCP connection from the inside out, and its replies.
  c.host(ipv4({ src: IN, dst: OUT }, tcp({ sport: 40000, dport: 443, flags: 'S', seq: 1 })));
  c.wire(ipv4({ src: OUT, dst: IN }, tcp({ sport: 443, dport: 40000, flags: 'SA', seq: 100, ack: 2 })));
  c.host(ipv4({ src: IN, dst: OUT }, tcp({ sport: 40000, dport: 443, flags: 'A', seq: 2, ack: 101 })));
  c.wire(ipv4({ src: OUT, dst: IN }, tcp({ sport: 443, dport: 40000, flags: 'PA', seq: 101, ack: 2, payload: payload(30) })));
  // A UDP exchange through the firewall.
  c.host(ipv4({ src: IN, dst: OUT }, udp({ sport: 5000, dport: 53, payload: payload(20) })));
  c.wire(ipv4({ src: OUT, dst: IN }, udp({ sport: 53, dport: 5000, payload: payload(60) })));
  // An echo to the firewall, and its own UDP out.
  c.wire(ipv4({ src: OUT, dst: FW }, icmp({ type: 8, code: 0, id: 7, seq: 1, payload: payload(16) })));
  c.local(ipv4({ src: FW, dst: OUT }, udp({ sport: 5001, dport: 123, payload: payload(48) })));
  c.wire(ipv4({ src: OUT, dst: FW }, udp({ sport: 123, dport: 5001, payload: payload(48) })));

  const { w6, h6, l6 } = senders6(c);
  const OUT6 = '2001:db8:99::10';
  const IN6 = '2001:db8:2::10';
  const FW6 = '2001:db8:100::1';
  h6(ipv6({ src: IN6, dst: OUT6 }, tcp({ sport: 40000, dport: 443, flags: 'S', seq: 1 })));
  w6(ipv6({ src: OUT6, dst: IN6 }, tcp({ sport: 443, dport: 40000, flags: 'SA', seq: 100, ack: 2 })));
  h6(ipv6({ src: IN6, dst: OUT6 }, tcp({ sport: 40000, dport: 443, flags: 'A', seq: 2, ack: 101 })));
  h6(ipv6({ src: IN6, dst: OUT6 }, udp({ sport: 5000, dport: 53, payload: payload(20) })));
  w6(ipv6({ src: OUT6, dst: IN6 }, udp({ sport: 53, dport: 5000, payload: payload(60) })));
  w6(ipv6({ src: OUT6, dst: FW6 }, icmp6({ type: 128, code: 0, id: 7, seq: 1, payload: payload(16) })));
  l6(ipv6({ src: FW6, dst: OUT6 }, udp({ sport: 5001, dport: 123, payload: payload(48) })));
  return { rules: ruleFile('IPv4', 'icmp'), rules6: ruleFile('IPv6', 'ipv6-icmp'), capture: c, machine: DUAL_STACK_MACHINE };
}
