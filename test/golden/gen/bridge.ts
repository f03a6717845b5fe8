/**
 * bridge: a firewall whose inside is a Linux bridge br0 (192.0.2.1/24,
 * 2001:db8:2::1/64) of three ports, eth1, eth2 and eth3, each with a host
 * behind it (A 192.0.2.10 and A2 192.0.2.11 behind eth1, B 192.0.2.20
 * behind eth2, C 192.0.2.30 behind eth3), and eth0 routed to the outside;
 * br_netfilter on (bridge-nf-call-iptables and -ip6tables 1). Bridged
 * traffic between ports through FORWARD with physdev (flooded to unknown
 * destinations: one FORWARD and POSTROUTING per port, one conntrack entry),
 * learning, a drop in FORWARD of a bridged frame, `--physdev-is-bridged`,
 * broadcasts flooded and delivered (one whose copies are all dropped,
 * confirmed on its way up), ARP (never seen by iptables), packets routed
 * in and out through the bridge (physdev-in kept on the way out of eth0),
 * packets to the firewall, the firewall's own ping out of the bridge, and
 * IPv6 bridged through ip6tables. Recorded with a private copy of the
 * oracle that builds this topology (see the scenario's README).
 */
import { arp, ethernet, icmp, icmp6, ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import type { EthFields } from '../../../src/packet/build.js';
import { Capture, WIRE, type Scenario } from './capture.js';

const BR = '02:00:00:00:0b:01';
const H = {
  a: { mac: '02:00:00:00:01:02', ip: '192.0.2.10', ip6: '2001:db8:2::a' },
  a2: { mac: '02:00:00:00:01:03', ip: '192.0.2.11', ip6: '2001:db8:2::b' },
  b: { mac: '02:00:00:00:02:02', ip: '192.0.2.20', ip6: '2001:db8:2::14' },
  c: { mac: '02:00:00:00:03:02', ip: '192.0.2.30', ip6: '2001:db8:2::1e' },
};
type Host = (typeof H)['a'];

export const machine = `# cofw golden: bridge (the private oracle's topology: br0 of eth1, eth2, eth3)
hostname: cofw-bridge
interfaces:
  - {name: eth0, mac: "02:00:00:00:00:01", addresses: [198.51.100.1/24, 2001:db8:100::1/64]}
  - {name: eth1, mac: "02:00:00:00:01:01"}
  - {name: eth2, mac: "02:00:00:00:02:01"}
  - {name: eth3, mac: "02:00:00:00:03:01"}
bridges:
  - name: br0
    mac: "${BR}"
    ports:
      - {name: eth1, from: ["02:00:00:00:01:02", "02:00:00:00:01:03"]}
      - {name: eth2, from: ["02:00:00:00:02:02", 192.0.2.16/28]}
      - {name: eth3, from: ["02:00:00:00:03:02", 192.0.2.24/29]}
    addresses: [192.0.2.1/24, 2001:db8:2::1/64]
routes:
  - {to: default, via: 198.51.100.254}
  - {to: "::/0", via: "2001:db8:100::fe"}
fail: closed
`;

export const rules = `# cofw golden: bridge (br_netfilter and physdev)
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -i br0 -m physdev --physdev-in eth1
-A PREROUTING -i br0 -m physdev --physdev-in eth2
-A PREROUTING -i br0 -m physdev --physdev-in eth3
-A PREROUTING -i eth0 -m physdev ! --physdev-is-in
-A PREROUTING -m physdev --physdev-is-bridged
-A PREROUTING -m physdev ! --physdev-is-out
-A PREROUTING -m physdev --physdev-out eth2
-A PREROUTING -m physdev ! --physdev-out eth2
-A PREROUTING -m physdev ! --physdev-in eth1
-A OUTPUT -m physdev ! --physdev-is-in
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A FORWARD -i br0 -o br0 -m physdev --physdev-is-in --physdev-is-out --physdev-is-bridged
-A FORWARD -i br0 -o eth0 -m physdev --physdev-is-in ! --physdev-is-out
-A FORWARD -i eth0 -o br0 -m physdev ! --physdev-is-in
-A POSTROUTING -o br0 -m physdev --physdev-out eth1
-A POSTROUTING -o br0 -m physdev --physdev-out eth2
-A POSTROUTING -o br0 -m physdev --physdev-out eth3
-A POSTROUTING -o br0 -m physdev ! --physdev-is-bridged
-A POSTROUTING -o br0 -m physdev ! --physdev-out eth+
-A POSTROUTING -o eth0 -m physdev --physdev-in eth1
-A POSTROUTING -m physdev --physdev-in eth+ --physdev-is-bridged
-A POSTROUTING -m physdev ! --physdev-is-in ! --physdev-is-bridged
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i br0 -p icmp -m physdev --physdev-in eth1
-A INPUT -i br0 -m physdev --physdev-in eth2
-A INPUT -i br0 -m pkttype --pkt-type broadcast -m physdev --physdev-in eth+
-A INPUT -m physdev ! --physdev-is-in
-A INPUT -m physdev --physdev-is-bridged
-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A FORWARD -i br0 -o br0 -m physdev --physdev-in eth1 --physdev-out eth2 -j ACCEPT
-A FORWARD -i br0 -o br0 -p udp -m physdev --physdev-in eth1 --physdev-out eth3 -j ACCEPT
-A FORWARD -m physdev --physdev-is-bridged --physdev-out eth3 -j DROP
-A FORWARD -p udp -m physdev --physdev-is-bridged -m udp --dport 137 -j ACCEPT
-A FORWARD -i br0 -o eth0 -m physdev --physdev-in eth1 ! --physdev-is-out -j ACCEPT
-A FORWARD -i br0 -o eth0 -m physdev --physdev-in eth2 -j REJECT
COMMIT
`;

export const rules6 = `# cofw golden: bridge, IPv6 side
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i br0 -m physdev --physdev-in eth1
-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT
-A FORWARD -i br0 -o br0 -m physdev --physdev-in eth1 --physdev-out eth2 -j ACCEPT
-A FORWARD -m physdev --physdev-is-bridged --physdev-out eth3 -j DROP
-A FORWARD -i br0 -o eth0 -m physdev --physdev-in eth1 -j ACCEPT
COMMIT
`;

export function build(): Scenario & { rules6: string; machine: string } {
  const c = new Capture(5_000_000n);
  const l2 = (from: Host, to: Host | string): EthFields => ({ src: from.mac, dst: typeof to === 'string' ? to : to.mac });
  const v4 = (from: Host, to: Host | string, ip: Uint8Array): void => c.add(ethernet(l2(from, to), ip));
  const v6 = (from: Host, to: Host | string, ip: Uint8Array): void => c.add(ethernet({ ...l2(from, to), ethertype: 0x86dd }, ip));
  const { a, a2, b, c: hc } = H;
  // A to B, B not yet known: flooded to eth3 (dropped there) and eth2 (accepted); its entry confirmed once.
  v4(a, b, ipv4({ src: a.ip, dst: b.ip }, tcp({ sport: 40000, dport: 80, flags: 'S', seq: 100 })));
  v4(b, a, ipv4({ src: b.ip, dst: a.ip }, tcp({ sport: 80, dport: 40000, flags: 'SA', seq: 500, ack: 101 })));
  v4(a, b, ipv4({ src: a.ip, dst: b.ip }, tcp({ sport: 40000, dport: 80, flags: 'A', seq: 101, ack: 501 })));
  v4(a, b, ipv4({ src: a.ip, dst: b.ip }, tcp({ sport: 40000, dport: 80, flags: 'PA', seq: 101, ack: 501, payload: new Uint8Array(20).fill(0x47) })));
  v4(b, a, ipv4({ src: b.ip, dst: a.ip }, tcp({ sport: 80, dport: 40000, flags: 'A', seq: 501, ack: 121 })));
  // A to C over UDP, C not yet known: flooded to eth3 and eth2, both accepted: one frame, two copies out.
  v4(a, hc, ipv4({ src: a.ip, dst: hc.ip }, udp({ sport: 5353, dport: 9000, payload: new Uint8Array(8) })));
  v4(hc, a, ipv4({ src: hc.ip, dst: a.ip }, udp({ sport: 9000, dport: 5353, payload: new Uint8Array(8) })));
  // C to B (both known): no rule lets eth3 to eth2, the policy drops it; B to C: the rule for eth3 drops it.
  v4(hc, b, ipv4({ src: hc.ip, dst: b.ip }, tcp({ sport: 41000, dport: 22, flags: 'S' })));
  v4(b, hc, ipv4({ src: b.ip, dst: hc.ip }, tcp({ sport: 41001, dport: 22, flags: 'S' })));
  // A2, a second MAC behind eth1, to B.
  v4(a2, b, ipv4({ src: a2.ip, dst: b.ip }, icmp({ type: 8, id: 7, seq: 1 })));
  v4(b, a2, ipv4({ src: b.ip, dst: a2.ip }, icmp({ type: 0, id: 7, seq: 1 })));
  // Broadcasts: B's NetBIOS name query flooded to eth3 (dropped) and eth1 (accepted) and delivered;
  // C's datagram to 138, every copy dropped by the policy, delivered (its entry confirmed on the way up).
  v4(b, 'ff:ff:ff:ff:ff:ff', ipv4({ src: b.ip, dst: '192.0.2.255' }, udp({ sport: 137, dport: 137, payload: new Uint8Array(12) })));
  v4(hc, 'ff:ff:ff:ff:ff:ff', ipv4({ src: hc.ip, dst: '192.0.2.255' }, udp({ sport: 138, dport: 138, payload: new Uint8Array(12) })));
  // ARP: bridged (and to the firewall) without iptables.
  c.add(ethernet({ src: a.mac, dst: 'ff:ff:ff:ff:ff:ff', ethertype: 0x0806 }, arp(1, a.mac, a.ip, '00:00:00:00:00:00', b.ip)));
  c.add(ethernet({ src: b.mac, dst: a.mac, ethertype: 0x0806 }, arp(2, b.mac, b.ip, a.mac, a.ip)));
  // To the firewall through the bridge.
  v4(a, BR, ipv4({ src: a.ip, dst: '192.0.2.1' }, icmp({ type: 8, id: 9, seq: 1 })));
  v4(b, BR, ipv4({ src: b.ip, dst: '192.0.2.1' }, tcp({ sport: 42000, dport: 22, flags: 'S' })));
  // Routed: A out to the world and the answer back in, out of eth1 to A's MAC; the outside's new connection to B dropped;
  // B's packet to the outside rejected in FORWARD (the reset leaves through the bridge).
  v4(a, BR, ipv4({ src: a.ip, dst: '203.0.113.5' }, tcp({ sport: 43000, dport: 443, flags: 'S', seq: 1 })));
  c.wire(ipv4({ src: '203.0.113.5', dst: a.ip }, tcp({ sport: 443, dport: 43000, flags: 'SA', seq: 70, ack: 2 })));
  c.wire(ipv4({ src: '203.0.113.5', dst: b.ip }, tcp({ sport: 4444, dport: 22, flags: 'S', seq: 1 })));
  v4(b, BR, ipv4({ src: b.ip, dst: '203.0.113.6' }, tcp({ sport: 43001, dport: 25, flags: 'S', seq: 1 })));
  c.pause(10);
  // The firewall's own ping to C, out of br0 by eth3.
  c.add(ethernet({ src: BR, dst: hc.mac }, ipv4({ src: '192.0.2.1', dst: hc.ip }, icmp({ type: 8, id: 11, seq: 1 }))));
  c.pause(10);
  // IPv6 bridged: B learned already; A to B accepted, B's answer established, A to C dropped on eth3; routed out of eth0.
  v6(a, b, ipv6({ src: a.ip6, dst: b.ip6 }, icmp6({ type: 128, id: 3, seq: 1 })));
  v6(b, a, ipv6({ src: b.ip6, dst: a.ip6 }, icmp6({ type: 129, id: 3, seq: 1 })));
  v6(a, hc, ipv6({ src: a.ip6, dst: hc.ip6 }, udp({ sport: 5000, dport: 6000, payload: new Uint8Array(4) })));
  v6(a, BR, ipv6({ src: a.ip6, dst: '2001:db8:2::1' }, icmp6({ type: 128, id: 4, seq: 1 })));
  v6(a, BR, ipv6({ src: a.ip6, dst: '2001:db8:300::5' }, tcp({ sport: 44000, dport: 443, flags: 'S', seq: 1 })));
  c.add(ethernet(WIRE, ipv4({ src: '203.0.113.5', dst: a.ip }, tcp({ sport: 443, dport: 43000, flags: 'A', seq: 71, ack: 2 }))));
  return { rules, rules6, machine, capture: c };
}
