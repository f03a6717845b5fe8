/**
 * ufw6: ufw's own IPv6 rule set with dual-stack traffic. The rules are what
 * ufw 0.36.2 on Debian wrote in a network namespace (`ufw --force enable;
 * ufw allow 22/tcp; ufw allow from 192.0.2.0/24 to any port 53 proto udp;
 * ufw allow from 2001:db8:2::/64 to any port 53 proto udp; ufw limit
 * 2222/tcp; ufw deny from 203.0.113.66; ufw deny from 2001:db8:99::66; ufw
 * reload`, then `ip6tables-save` and `iptables-save`): gen/ufw.rules.v6,
 * and for IPv4 gen/ufw.rules.v4, which came out the same as the `ufw`
 * scenario's. The reload matters: `ufw limit` adds its IPv6 rules one by
 * one and leaves ufw6-user-limit without its REJECT (and
 * ufw6-user-limit-accept empty) until ufw loads user6.rules whole, as it
 * does at boot.
 *
 * IPv6 traffic: SSH sessions answered by the firewall's own stack (locally
 * generated packets), the limit port (recent --hitcount 6 in 30 s, the
 * list `DEFAULT` shared with the IPv4 rules) tripping on the sixth
 * connection of one source (REJECT's port unreachable counted in OUTPUT),
 * another source counted apart, the denied host, closed ports (the
 * logging chains, the DROP policy), DNS from the inside (allowed) and the
 * outside (not), NetBIOS and DHCPv6 ports (ufw6-after-input), pings and
 * their replies, an unsolicited echo reply (accepted before the INVALID
 * check), an ICMPv6 error RELATED to the firewall's own query and one
 * about nothing (INVALID), neighbour discovery with hop limit 255
 * (accepted) and 64 (not), a router advertisement and an MLD query to
 * all-nodes, a multicast group the firewall did not join, a routing
 * header of type 0 to the firewall and through it (`-m rt --rt-type 0`
 * drops both) and one of type 2, forwarded pings (ufw lets ICMPv6 echo
 * through) and a forwarded TCP connection (the DROP policy), hop limit 1
 * on the way through, INVALID segments, and the firewall talking to
 * itself over lo. IPv4 alongside: SSH, the limit port (its own entries in
 * the same list), DNS, pings, the denied host, forwarding.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ethernet, icmp, icmp6, ipv4, ipv6, optionsHeader, tcp, udp, type EthFields } from '../../../src/packet/build.js';
import { Capture, FW_ETH0_MAC, FW_ETH1_MAC, HOST_MAC, WIRE_MAC, payload, type Scenario } from './capture.js';

const FW6 = '2001:db8:100::1';
const FW6_IN = '2001:db8:2::1';
const FW4 = '198.51.100.1';
const ETH_P_IPV6 = 0x86dd;

const WIRE6: EthFields = { src: WIRE_MAC, dst: FW_ETH0_MAC, ethertype: ETH_P_IPV6 };
const HOST6: EthFields = { src: HOST_MAC, dst: FW_ETH1_MAC, ethertype: ETH_P_IPV6 };

/** The Ethernet multicast address of an IPv6 group (33:33 and its last 32 bits). */
function mcastMac(group: string, src: string): EthFields {
  const tail = group.split(':').at(-1)!.padStart(4, '0');
  const prev = group.split(':').at(-2) ?? '0';
  const w = (prev.padStart(4, '0') + tail).match(/../g)!.join(':');
  return { src, dst: `33:33:${w}`, ethertype: ETH_P_IPV6 };
}

/** A routing header: type, segments left, and its addresses (the next-header byte is filled in by ipv6()). */
function routingHeader(type: number, segmentsLeft: number, addresses: number): { type: number; bytes: Uint8Array } {
  const b = new Uint8Array(8 + 16 * addresses);
  b[1] = addresses * 2;
  b[2] = type;
  b[3] = segmentsLeft;
  for (let i = 0; i < addresses; i++) b.set([0x20, 0x01, 0x0d, 0xb8, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x77 + i], 8 + 16 * i);
  return { type: 43, bytes: b };
}

export const rules = readFileSync(join(process.cwd(), 'test', 'golden', 'gen', 'ufw.rules.v4'), 'utf8');
export const rules6 = readFileSync(join(process.cwd(), 'test', 'golden', 'gen', 'ufw.rules.v6'), 'utf8');

export function build(): Scenario & { rules6: string } {
  const c = new Capture(3_000_000n);
  const w6 = (ip: Uint8Array, l2: EthFields = WIRE6): void => c.wire(ip, l2);
  const h6 = (ip: Uint8Array, l2: EthFields = HOST6): void => c.host(ip, l2);
  /** A packet the firewall sends itself: out of eth0, or eth1 for the inside. */
  const l6 = (ip: Uint8Array, inside = false): void =>
    c.add(ethernet({ src: inside ? FW_ETH1_MAC : FW_ETH0_MAC, dst: inside ? HOST_MAC : WIRE_MAC, ethertype: ETH_P_IPV6 }, ip));

  /** A client's TCP connection to the firewall over IPv6, answered by its stack. */
  const session6 = (client: string, sport: number, dport: number, opts: { data?: boolean; answered?: boolean } = {}): void => {
    const iss = 1000 * sport;
    const fss = 5000 * sport;
    w6(ipv6({ src: client, dst: FW6 }, tcp({ sport, dport, flags: 'S', seq: iss, window: 64800 })));
    if (opts.answered === false) return;
    l6(ipv6({ src: FW6, dst: client }, tcp({ sport: dport, dport: sport, flags: 'SA', seq: fss, ack: iss + 1, window: 64800 })));
    w6(ipv6({ src: client, dst: FW6 }, tcp({ sport, dport, flags: 'A', seq: iss + 1, ack: fss + 1, window: 502 })));
    if (!opts.data) return;
    w6(ipv6({ src: client, dst: FW6 }, tcp({ sport, dport, flags: 'PA', seq: iss + 1, ack: fss + 1, window: 502, payload: payload(40) })));
    l6(
      ipv6({ src: FW6, dst: client }, tcp({ sport: dport, dport: sport, flags: 'PA', seq: fss + 1, ack: iss + 41, window: 507, payload: payload(120, 0x62) })),
    );
    w6(ipv6({ src: client, dst: FW6 }, tcp({ sport, dport, flags: 'FA', seq: iss + 41, ack: fss + 121, window: 502 })));
    l6(ipv6({ src: FW6, dst: client }, tcp({ sport: dport, dport: sport, flags: 'FA', seq: fss + 121, ack: iss + 42, window: 507 })));
    w6(ipv6({ src: client, dst: FW6 }, tcp({ sport, dport, flags: 'A', seq: iss + 42, ack: fss + 122, window: 502 })));
  };

  // SSH over IPv6, allowed, with data and a clean close.
  session6('2001:db8:99::10', 40001, 22, { data: true });
  session6('2001:db8:99::11', 40002, 22, { data: true });
  // The limit port: five new connections in 30 s pass, the sixth and later are rejected.
  for (let i = 0; i < 8; i++) session6('2001:db8:99::20', 41000 + i, 2222, { answered: i < 5 });
  // Another source on the same port: its own count.
  session6('2001:db8:99::21', 42000, 2222);
  // The denied host: SSH is allowed before the deny rule, another port is not.
  session6('2001:db8:99::66', 43000, 22, { answered: false });
  w6(ipv6({ src: '2001:db8:99::66', dst: FW6 }, tcp({ sport: 43001, dport: 80, flags: 'S', seq: 1 })));
  // Closed ports: the logging chains, then the DROP policy.
  for (let i = 0; i < 4; i++) w6(ipv6({ src: '2001:db8:99::30', dst: FW6 }, tcp({ sport: 44000 + i, dport: 23 + i, flags: 'S', seq: 1 })));
  // DNS to the firewall from the inside (allowed, answered) and from the outside (not).
  for (let i = 0; i < 3; i++) {
    const client = `2001:db8:2::${10 + i}`;
    h6(ipv6({ src: client, dst: FW6_IN }, udp({ sport: 5300 + i, dport: 53, payload: payload(30) })));
    l6(ipv6({ src: FW6_IN, dst: client }, udp({ sport: 53, dport: 5300 + i, payload: payload(60) })), true);
  }
  w6(ipv6({ src: '2001:db8:99::31', dst: FW6 }, udp({ sport: 5300, dport: 53, payload: payload(30) })));
  // NetBIOS and DHCPv6 server ports: ufw6-after-input skips them to the policy.
  h6(ipv6({ src: '2001:db8:2::10', dst: FW6_IN }, udp({ sport: 137, dport: 137, payload: payload(50) })));
  h6(ipv6({ src: '2001:db8:2::10', dst: FW6_IN }, udp({ sport: 546, dport: 547, payload: payload(40) })));
  h6(ipv6({ src: '2001:db8:2::10', dst: FW6_IN }, tcp({ sport: 46100, dport: 445, flags: 'S', seq: 1 })));
  // Pings, answered; an echo reply nobody asked for (accepted before the INVALID check).
  for (let i = 0; i < 3; i++) {
    w6(ipv6({ src: '2001:db8:99::40', dst: FW6 }, icmp6({ type: 128, id: 77, seq: i, payload: payload(56) })));
    l6(ipv6({ src: FW6, dst: '2001:db8:99::40' }, icmp6({ type: 129, id: 77, seq: i, payload: payload(56) })));
  }
  w6(ipv6({ src: '2001:db8:99::41', dst: FW6 }, icmp6({ type: 129, id: 78, seq: 1, payload: payload(8) })));
  // An ICMPv6 error about the firewall's own DNS query: RELATED. One about nothing known: INVALID.
  const query = ipv6({ src: FW6, dst: '2001:db8:99::53' }, udp({ sport: 33000, dport: 53, payload: payload(30) }));
  l6(query);
  w6(ipv6({ src: '2001:db8:99::53', dst: FW6 }, icmp6({ type: 1, code: 4, rest: 0, payload: query })));
  const stray = ipv6({ src: FW6, dst: '2001:db8:99::54' }, udp({ sport: 33001, dport: 53, payload: payload(30) }));
  w6(ipv6({ src: '2001:db8:99::54', dst: FW6 }, icmp6({ type: 2, rest: 1280, payload: stray })));
  // Neighbour discovery: a solicitation for the firewall's address (hop limit 255, to its
  // solicited-node group), the same with hop limit 64 (refused), an advertisement, a router
  // advertisement and an MLD query to all-nodes.
  const target = new Uint8Array(20);
  target.set([0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 0);
  w6(
    ipv6({ src: 'fe80::2', dst: 'ff02::1:ff00:1', hopLimit: 255 }, icmp6({ type: 135, rest: 0, payload: target.subarray(0, 16) })),
    mcastMac('ff02::1:ff00:1', WIRE_MAC),
  );
  w6(ipv6({ src: '2001:db8:99::5', dst: FW6, hopLimit: 64 }, icmp6({ type: 135, rest: 0, payload: target.subarray(0, 16) })));
  w6(
    ipv6({ src: 'fe80::2', dst: 'ff02::1', hopLimit: 255 }, icmp6({ type: 136, rest: 0x20000000, payload: target.subarray(0, 16) })),
    mcastMac('ff02::1', WIRE_MAC),
  );
  // Router advertisement: hop limit 64, lifetime 1800 s, reachable time and retransmission timer 0.
  w6(
    ipv6({ src: 'fe80::fe', dst: 'ff02::1', hopLimit: 255 }, icmp6({ type: 134, rest: 0x40000708, payload: new Uint8Array(8) })),
    mcastMac('ff02::1', WIRE_MAC),
  );
  w6(
    ipv6({ src: 'fe80::fe', dst: 'ff02::1', hopLimit: 1, ext: [optionsHeader(0)] }, icmp6({ type: 130, rest: 0x03e80000, payload: new Uint8Array(16) })),
    mcastMac('ff02::1', WIRE_MAC),
  );
  // mDNS to a group the firewall did not join: never reaches INPUT.
  w6(ipv6({ src: 'fe80::2', dst: 'ff02::fb', hopLimit: 255 }, udp({ sport: 5353, dport: 5353, payload: payload(24) })), mcastMac('ff02::fb', WIRE_MAC));
  // Routing headers: type 0 to the firewall and through it (dropped by -m rt), type 2 to the firewall.
  w6(ipv6({ src: '2001:db8:99::70', dst: FW6, ext: [routingHeader(0, 0, 1)] }, tcp({ sport: 47000, dport: 22, flags: 'S', seq: 1 })));
  h6(ipv6({ src: '2001:db8:2::10', dst: '2001:db8:99::70', ext: [routingHeader(0, 0, 1)] }, icmp6({ type: 128, id: 5, seq: 1, payload: payload(8) })));
  w6(ipv6({ src: '2001:db8:99::71', dst: FW6, ext: [routingHeader(2, 0, 1)] }, tcp({ sport: 47001, dport: 22, flags: 'S', seq: 1 })));
  // Forwarded: pings go through (and their replies), a TCP connection meets the DROP policy.
  for (let i = 0; i < 2; i++) {
    h6(ipv6({ src: '2001:db8:2::10', dst: '2001:db8:99::80' }, icmp6({ type: 128, id: 9, seq: i, payload: payload(16) })));
    w6(ipv6({ src: '2001:db8:99::80', dst: '2001:db8:2::10' }, icmp6({ type: 129, id: 9, seq: i, payload: payload(16) })));
  }
  for (let i = 0; i < 3; i++) h6(ipv6({ src: '2001:db8:2::11', dst: `2001:db8:99::${100 + i}` }, tcp({ sport: 46000 + i, dport: 443, flags: 'S', seq: 1 })));
  w6(ipv6({ src: '2001:db8:99::81', dst: '2001:db8:2::12' }, tcp({ sport: 46500, dport: 22, flags: 'S', seq: 1 })));
  // Hop limit 1 on the way through: dropped before FORWARD.
  h6(ipv6({ src: '2001:db8:2::10', dst: '2001:db8:99::80', hopLimit: 1 }, icmp6({ type: 128, id: 9, seq: 9, payload: payload(16) })));
  // INVALID: a SYN-ACK for nothing; loose pickup of a bare ACK (NEW, then the policy).
  w6(ipv6({ src: '2001:db8:99::50', dst: FW6 }, tcp({ sport: 45000, dport: 22, flags: 'SA', seq: 1, ack: 1 })));
  w6(ipv6({ src: '2001:db8:99::51', dst: FW6 }, tcp({ sport: 45001, dport: 80, flags: 'A', seq: 1, ack: 1 })));
  // The firewall talking to itself: out and back in over lo.
  l6(ipv6({ src: FW6, dst: FW6 }, udp({ sport: 34000, dport: 34001, payload: payload(12) })));

  // IPv4 alongside: SSH, the limit port (the same list DEFAULT, entries of their own family),
  // DNS from the inside, a ping, the denied host, forwarding.
  const session4 = (client: string, sport: number, dport: number, answered = true): void => {
    c.wire(ipv4({ src: client, dst: FW4 }, tcp({ sport, dport, flags: 'S', seq: 1000 * sport, window: 64240 })));
    if (!answered) return;
    c.local(ipv4({ src: FW4, dst: client }, tcp({ sport: dport, dport: sport, flags: 'SA', seq: 7, ack: 1000 * sport + 1, window: 65160 })));
    c.wire(ipv4({ src: client, dst: FW4 }, tcp({ sport, dport, flags: 'A', seq: 1000 * sport + 1, ack: 8, window: 502 })));
  };
  session4('203.0.113.10', 40001, 22);
  for (let i = 0; i < 7; i++) session4('203.0.113.20', 41000 + i, 2222, i < 5);
  c.host(ipv4({ src: '192.0.2.10', dst: '192.0.2.1' }, udp({ sport: 5300, dport: 53, payload: payload(30) })));
  c.local(ipv4({ src: '192.0.2.1', dst: '192.0.2.10' }, udp({ sport: 53, dport: 5300, payload: payload(60) })));
  c.wire(ipv4({ src: '203.0.113.40', dst: FW4 }, icmp({ type: 8, id: 77, seq: 1, payload: payload(56) })));
  c.local(ipv4({ src: FW4, dst: '203.0.113.40' }, icmp({ type: 0, id: 77, seq: 1, payload: payload(56) })));
  c.wire(ipv4({ src: '203.0.113.66', dst: FW4 }, tcp({ sport: 43001, dport: 80, flags: 'S', seq: 1 })));
  c.host(ipv4({ src: '192.0.2.10', dst: '203.0.113.100' }, tcp({ sport: 46000, dport: 443, flags: 'S', seq: 1 })));
  return { rules, rules6, capture: c };
}
