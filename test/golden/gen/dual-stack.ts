/**
 * dual-stack: a server and router with an iptables and an ip6tables rule
 * set, and traffic of both families through one capture. IPv6: SSH and
 * pings to the firewall (and its answers), a forwarded inside session and
 * its replies, forwarded web traffic by destination with `multiport`, a
 * packet too big RELATED to a forwarded connection, an untracked UDP port
 * (CT --notrack in raw), a neighbour solicitation to the firewall's
 * solicited-node group and an MLD report (untracked by conntrack), a
 * multicast group the firewall did not join, hop limit 1 on the way
 * through, extension headers before TCP (hop-by-hop and destination
 * options), a fragmented UDP datagram (reassembled before conntrack) and
 * INVALID packets. IPv4 alongside, with its own counters.
 */
import { fragHeader, icmp, icmp6, ipv4, ipv6, optionsHeader, raw, tcp, udp } from '../../../src/packet/build.js';
import { Capture, payload, type Scenario } from './capture.js';

export const rules = `# cofw golden: dual-stack (IPv4 side)
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -p icmp -j ACCEPT
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i eth1 -o eth0 -j ACCEPT
COMMIT
`;

export const rules6 = `# cofw golden: dual-stack (IPv6 side)
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp -m udp --dport 9999 -j CT --notrack
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:icmp-in - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m conntrack --ctstate INVALID -j DROP
-A INPUT -m conntrack --ctstate UNTRACKED -p udp -m udp --dport 9999 -j ACCEPT
-A INPUT -p ipv6-icmp -j icmp-in
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -s 2001:db8:2::/64 -p udp -m udp --dport 53 -j ACCEPT
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i eth1 -o eth0 -j ACCEPT
-A FORWARD -d 2001:db8:2::20/128 -p tcp -m multiport --dports 80,443 -j ACCEPT
-A FORWARD -p ipv6-icmp -j ACCEPT
-A OUTPUT -p ipv6-icmp
-A OUTPUT -s 2001:db8:100::1/128 -p tcp -m tcp --sport 22
-A icmp-in -m conntrack --ctstate UNTRACKED -j ACCEPT
-A icmp-in -s fe80::/10 -j ACCEPT
-A icmp-in -m conntrack --ctstate NEW -j ACCEPT
COMMIT
`;

const FW6 = '2001:db8:100::1';
const OUT6 = '2001:db8:99::5';
const IN6 = '2001:db8:2::10';

export function build(): Scenario & { rules6: string } {
  const c = new Capture(3_000_000n);
  const wire = (ip: Uint8Array): void => c.wire(ip);
  // IPv6 frames use the IPv6 ethertype; the builders take the Ethernet fields.
  const l6 = (ip: Uint8Array): void => c.add(ethernetV6(ip));

  // SSH to the firewall over IPv6, and its answers.
  c.wire6(ipv6({ src: OUT6, dst: FW6 }, tcp({ sport: 50000, dport: 22, flags: 'S', seq: 1 })));
  l6(ipv6({ src: FW6, dst: OUT6 }, tcp({ sport: 22, dport: 50000, flags: 'SA', seq: 100, ack: 2 })));
  c.wire6(ipv6({ src: OUT6, dst: FW6 }, tcp({ sport: 50000, dport: 22, flags: 'A', seq: 2, ack: 101 })));
  c.wire6(ipv6({ src: OUT6, dst: FW6 }, tcp({ sport: 50000, dport: 22, flags: 'PA', seq: 2, ack: 101, payload: payload(32) })));
  l6(ipv6({ src: FW6, dst: OUT6 }, tcp({ sport: 22, dport: 50000, flags: 'PA', seq: 101, ack: 34, payload: payload(64, 0x62) })));
  // Telnet: the INPUT policy.
  c.wire6(ipv6({ src: OUT6, dst: FW6 }, tcp({ sport: 50001, dport: 23, flags: 'S', seq: 1 })));
  // Pings to the firewall and its replies.
  for (let i = 0; i < 2; i++) {
    c.wire6(ipv6({ src: OUT6, dst: FW6 }, icmp6({ type: 128, id: 9, seq: i, payload: payload(16) })));
    l6(ipv6({ src: FW6, dst: OUT6 }, icmp6({ type: 129, id: 9, seq: i, payload: payload(16) })));
  }
  // A forwarded session from the inside, and its replies.
  c.host6(ipv6({ src: IN6, dst: OUT6 }, tcp({ sport: 40000, dport: 443, flags: 'S', seq: 1 })));
  c.wire6(ipv6({ src: OUT6, dst: IN6 }, tcp({ sport: 443, dport: 40000, flags: 'SA', seq: 500, ack: 2 })));
  c.host6(ipv6({ src: IN6, dst: OUT6 }, tcp({ sport: 40000, dport: 443, flags: 'A', seq: 2, ack: 501 })));
  const big = ipv6({ src: IN6, dst: OUT6 }, tcp({ sport: 40000, dport: 443, flags: 'PA', seq: 2, ack: 501, payload: payload(1200) }));
  c.host6(big);
  // The path beyond says the packet was too big: RELATED, forwarded to the inside.
  c.wire6(ipv6({ src: '2001:db8:99::1', dst: IN6 }, icmp6({ type: 2, rest: 1280, payload: big.subarray(0, 1184) })));
  // Web traffic to one inside server is let in; another server is not.
  c.wire6(ipv6({ src: OUT6, dst: '2001:db8:2::20' }, tcp({ sport: 51000, dport: 80, flags: 'S', seq: 1 })));
  c.host6(ipv6({ src: '2001:db8:2::20', dst: OUT6 }, tcp({ sport: 80, dport: 51000, flags: 'SA', seq: 7, ack: 2 })));
  c.wire6(ipv6({ src: OUT6, dst: '2001:db8:2::21' }, tcp({ sport: 51001, dport: 80, flags: 'S', seq: 1 })));
  // Untracked UDP (raw CT --notrack) to the firewall.
  c.wire6(ipv6({ src: OUT6, dst: FW6 }, udp({ sport: 5000, dport: 9999, payload: payload(12) })));
  // Neighbour solicitation for the firewall's address, to its solicited-node group; an MLD report; an unjoined group.
  const ns = new Uint8Array(24);
  ns.set([0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 4);
  c.wire6(ipv6({ src: 'fe80::2', dst: 'ff02::1:ff00:1', hopLimit: 255 }, icmp6({ type: 135, rest: 0, payload: ns.subarray(4) })));
  c.wire6(ipv6({ src: 'fe80::2', dst: 'ff02::16', hopLimit: 1, ext: [optionsHeader(0)] }, icmp6({ type: 143, rest: 0, payload: new Uint8Array(0) })));
  c.wire6(ipv6({ src: OUT6, dst: 'ff02::1234' }, udp({ sport: 5000, dport: 5000, payload: payload(8) })));
  // Hop limit 1 on the way through: dropped before FORWARD.
  c.host6(ipv6({ src: IN6, dst: OUT6, hopLimit: 1 }, udp({ sport: 41000, dport: 53, payload: payload(20) })));
  // Extension headers before TCP, to the firewall's SSH port.
  c.wire6(ipv6({ src: '2001:db8:99::6', dst: FW6, ext: [optionsHeader(0), optionsHeader(60, 16)] }, tcp({ sport: 50100, dport: 22, flags: 'S', seq: 1 })));
  // A fragmented DNS query from the inside: reassembled before conntrack, counted once at its full length.
  const dns = udp({ sport: 42000, dport: 53, payload: payload(1600) });
  const whole = ipv6({ src: IN6, dst: '2001:db8:2::1' }, dns);
  const l4 = whole.subarray(40);
  const cut = 1232;
  c.host6(ipv6({ src: IN6, dst: '2001:db8:2::1', ext: [fragHeader(0, true, 0x1234)], rawL4: true }, raw(17, l4.subarray(0, cut))));
  c.host6(ipv6({ src: IN6, dst: '2001:db8:2::1', ext: [fragHeader(cut, false, 0x1234)], rawL4: true }, raw(17, l4.subarray(cut))));
  // INVALID: an ACK for nothing to the firewall; an ICMPv6 error quoting nothing known.
  c.wire6(ipv6({ src: '2001:db8:99::7', dst: FW6 }, tcp({ sport: 443, dport: 52000, flags: 'SA', seq: 1, ack: 1 })));
  const stray = ipv6({ src: FW6, dst: '2001:db8:99::8' }, udp({ sport: 33000, dport: 33434, payload: payload(8) }));
  c.wire6(ipv6({ src: '2001:db8:99::8', dst: FW6 }, icmp6({ type: 1, code: 4, rest: 0, payload: stray })));

  // IPv4 alongside.
  wire(ipv4({ src: '203.0.113.5', dst: '198.51.100.1' }, tcp({ sport: 50000, dport: 22, flags: 'S', seq: 1 })));
  c.local(ipv4({ src: '198.51.100.1', dst: '203.0.113.5' }, tcp({ sport: 22, dport: 50000, flags: 'SA', seq: 100, ack: 2 })));
  wire(ipv4({ src: '203.0.113.5', dst: '198.51.100.1' }, tcp({ sport: 50000, dport: 22, flags: 'A', seq: 2, ack: 101 })));
  wire(ipv4({ src: '203.0.113.6', dst: '198.51.100.1' }, icmp({ type: 8, id: 3, seq: 1 })));
  c.host(ipv4({ src: '192.0.2.10', dst: '203.0.113.7' }, udp({ sport: 43000, dport: 53, payload: payload(20) })));
  wire(ipv4({ src: '203.0.113.7', dst: '192.0.2.10' }, udp({ sport: 53, dport: 43000, payload: payload(40) })));
  wire(ipv4({ src: '203.0.113.8', dst: '198.51.100.1' }, tcp({ sport: 50002, dport: 23, flags: 'S', seq: 1 })));
  return { rules, rules6, capture: c };
}

/** A locally generated IPv6 packet, framed as the firewall's eth0 would send it. */
function ethernetV6(ip: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + ip.length);
  f.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x86, 0xdd], 0);
  f.set(ip, 14);
  return f;
}
