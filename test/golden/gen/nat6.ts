/**
 * nat6: NAT in the ip6 nat table on the same gateway shape as nat-gateway:
 * MASQUERADE of the inside prefix (the output interface's address, ports
 * and ICMPv6 ids kept), SNAT to an address range (the kernel's jhash2 over
 * all four words picks the address; with and without --persistent), NETMAP
 * of a /120 both ways, port forwards by DNAT (`[ADDR]:PORT` and a shifted
 * range), REDIRECT of inside DNS, pings through MASQUERADE, and a packet
 * too big from the outside about a masqueraded connection (translated
 * inside and out). The IPv4 side has no rules.
 */
import { icmp6, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, payload, type Scenario } from './capture.js';

export const rules = `# cofw golden: nat6 (IPv4 side: no rules)
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
`;

export const rules6 = `# cofw golden: nat6 (SNAT, DNAT, MASQUERADE, REDIRECT, NETMAP for IPv6)
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 2001:db8:100::1/128 -p tcp -m tcp --dport 2222 -j DNAT --to-destination [2001:db8:2::20]:22
-A PREROUTING -d 2001:db8:100::1/128 -p tcp -m tcp --dport 8000:8009 -j DNAT --to-destination [2001:db8:2::21]:9000-9009/8000
-A PREROUTING -i eth1 -p udp -m udp --dport 53 -j REDIRECT --to-ports 5300
-A PREROUTING -d 2001:db8:aaaa::80/121 -i eth0 -j NETMAP --to 2001:db8:2::80/121
-A POSTROUTING -s 2001:db8:2::80/121 -o eth0 -j NETMAP --to 2001:db8:aaaa::80/121
-A POSTROUTING -s 2001:db8:2::40/124 -o eth0 -p tcp -j SNAT --to-source [2001:db8:100::10-2001:db8:100::12]:20000-20099
-A POSTROUTING -s 2001:db8:2::40/124 -o eth0 -p udp -j SNAT --to-source 2001:db8:100::10-2001:db8:100::12 --persistent
-A POSTROUTING -s 2001:db8:2::/64 -o eth0 -j MASQUERADE
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m conntrack --ctstate DNAT
-A FORWARD -m conntrack --ctstate SNAT
-A FORWARD -m conntrack --ctstate RELATED
-A INPUT -m conntrack --ctstate DNAT -p udp -m udp --dport 5300
COMMIT
`;

const OUT = '2001:db8:99::5';

export function build(): Scenario & { rules6: string } {
  const c = new Capture(3_000_000n);

  // MASQUERADE: two inside clients, their replies.
  for (let n = 0; n < 2; n++) {
    const client = `2001:db8:2::${10 + n}`;
    c.host6(ipv6({ src: client, dst: OUT }, tcp({ sport: 40000 + n, dport: 443, flags: 'S', seq: 1 })));
    c.wire6(ipv6({ src: OUT, dst: '2001:db8:100::1' }, tcp({ sport: 443, dport: 40000 + n, flags: 'SA', seq: 9, ack: 2 })));
    c.host6(ipv6({ src: client, dst: OUT }, tcp({ sport: 40000 + n, dport: 443, flags: 'A', seq: 2, ack: 10 })));
  }
  // A big segment, and the path's packet too big about it: translated inside and out.
  const big = ipv6({ src: '2001:db8:2::10', dst: OUT }, tcp({ sport: 40000, dport: 443, flags: 'PA', seq: 2, ack: 10, payload: payload(1300) }));
  c.host6(big);
  const seen = ipv6({ src: '2001:db8:100::1', dst: OUT }, tcp({ sport: 40000, dport: 443, flags: 'PA', seq: 2, ack: 10, payload: payload(1300) }));
  c.wire6(ipv6({ src: '2001:db8:99::1', dst: '2001:db8:100::1' }, icmp6({ type: 2, rest: 1280, payload: seen.subarray(0, 1184) })));
  // Pings through MASQUERADE.
  for (let i = 0; i < 2; i++) {
    c.host6(ipv6({ src: '2001:db8:2::12', dst: OUT }, icmp6({ type: 128, id: 41, seq: i, payload: payload(16) })));
    c.wire6(ipv6({ src: OUT, dst: '2001:db8:100::1' }, icmp6({ type: 129, id: 41, seq: i, payload: payload(16) })));
  }
  // SNAT to a range: TCP with source ports in the range (kept), UDP --persistent.
  for (let n = 0; n < 4; n++) {
    const client = `2001:db8:2::${(0x40 + n * 3).toString(16)}`;
    const server = `2001:db8:99::${(0x20 + n).toString(16)}`;
    c.host6(ipv6({ src: client, dst: server }, tcp({ sport: 20010 + n, dport: 80, flags: 'S', seq: 7 })));
    c.host6(ipv6({ src: client, dst: server }, udp({ sport: 30000 + n, dport: 123, payload: payload(48) })));
  }
  // NETMAP both ways.
  c.host6(ipv6({ src: '2001:db8:2::85', dst: '2001:db8:99::40' }, udp({ sport: 6000, dport: 7000, payload: payload(10) })));
  c.wire6(ipv6({ src: '2001:db8:99::40', dst: '2001:db8:aaaa::85' }, udp({ sport: 7000, dport: 6000, payload: payload(10) })));
  c.wire6(ipv6({ src: '2001:db8:99::41', dst: '2001:db8:aaaa::a0' }, tcp({ sport: 45000, dport: 25, flags: 'S', seq: 1 })));
  c.host6(ipv6({ src: '2001:db8:2::a0', dst: '2001:db8:99::41' }, tcp({ sport: 25, dport: 45000, flags: 'SA', seq: 9, ack: 2 })));
  // Port forwards.
  c.wire6(ipv6({ src: '2001:db8:99::60', dst: '2001:db8:100::1' }, tcp({ sport: 50000, dport: 2222, flags: 'S', seq: 1 })));
  c.host6(ipv6({ src: '2001:db8:2::20', dst: '2001:db8:99::60' }, tcp({ sport: 22, dport: 50000, flags: 'SA', seq: 5, ack: 2 })));
  for (let i = 0; i < 2; i++) {
    c.wire6(ipv6({ src: '2001:db8:99::61', dst: '2001:db8:100::1' }, tcp({ sport: 50100 + i, dport: 8000 + i * 5, flags: 'S', seq: 1 })));
    c.host6(ipv6({ src: '2001:db8:2::21', dst: '2001:db8:99::61' }, tcp({ sport: 9000 + i * 5, dport: 50100 + i, flags: 'SA', seq: 3, ack: 2 })));
  }
  // REDIRECT: inside DNS lands on the gateway.
  c.host6(ipv6({ src: '2001:db8:2::14', dst: '2001:db8:99::53' }, udp({ sport: 42000, dport: 53, payload: payload(30) })));
  return { rules, rules6, capture: c };
}
