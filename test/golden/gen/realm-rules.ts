/**
 * realm-rules: realms given by policy rules (`ip rule ... realms FROM/TO`
 * in the oracle, `realm:` on `rules:` in machine.yaml) besides a route's:
 * the rule's realms fill the halves the route lacks, its FROM realm is
 * the TO realm of the route back when it finds the way back to a
 * forwarded packet's source, and a forwarded route made without realms
 * from the source is cached on its next hop, so that later packets
 * routed to that next hop through another rule take its realms.
 */
import { ipv4, udp } from '../../../src/packet/build.js';
import { Capture, payload, type Scenario } from './capture.js';

export const rules = `# cofw golden: realm-rules
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A INPUT -m realm --realm cosmos
-A INPUT -m realm --realm 0x10000
-A INPUT -m realm --realm 0x50000/0xffff0000
-A FORWARD -m realm --realm 0x50001
-A FORWARD -m realm --realm 0x1
-A FORWARD -m realm --realm 0x10005
-A FORWARD -m realm --realm 0x80000
-A FORWARD -m realm --realm 0x30000
-A FORWARD -m realm --realm 0x20003
-A FORWARD -m realm --realm 0x7/0xffff
-A OUTPUT -m realm --realm 0x1
-A OUTPUT -m realm --realm 0x20003
-A OUTPUT -m realm --realm 0x7/0xffff
-A POSTROUTING -m realm ! --realm cosmos
COMMIT
`;

export const machine = `hostname: cofw-realm-rules
interfaces:
  - name: eth0
    mac: "02:00:00:00:00:01"
    addresses: [198.51.100.1/24]
  - name: eth1
    mac: "02:00:00:00:01:01"
    addresses: [192.0.2.1/24]
routes:
  - {to: default, via: 198.51.100.254, dev: eth0, realm: 1}
  - {to: 203.0.113.0/25, via: 198.51.100.254, dev: eth0, realm: "2/3"}
rules:
  - {from: 192.0.2.128/25, table: main, realm: "5/6", priority: 100}
  - {to: 203.0.113.128/25, table: main, realm: 7, priority: 101}
  - {iif: eth0, to: 192.0.2.64/26, table: main, realm: "8/0", priority: 102}
fail: closed
sysctl:
  net.ipv4.conf.all.accept_local: 1
`;

export const iproute = `ip route replace default via 198.51.100.254 dev eth0 realm 1
ip route add 203.0.113.0/25 via 198.51.100.254 dev eth0 realms 2/3
ip rule add from 192.0.2.128/25 lookup main realms 5/6 priority 100
ip rule add to 203.0.113.128/25 lookup main realms 7 priority 101
ip rule add iif eth0 to 192.0.2.64/26 lookup main realms 8/0 priority 102
`;

export function build(): Scenario & { machine: string; iproute: string } {
  const c = new Capture(3_000_000n);
  const u = (src: string, dst: string, dport: number, n = 20): Uint8Array => ipv4({ src, dst }, udp({ sport: 5000, dport, payload: payload(n) }));
  // Through rule 100 to the default route (realm 1): FROM 5 from the rule; made with no realms from the source, so cached.
  c.host(u('192.0.2.200', '8.8.8.8', 53));
  // Through the main rule, and through rule 101, to the same next hop: the cached route's realms.
  c.host(u('192.0.2.10', '8.8.8.8', 54));
  c.host(u('192.0.2.10', '203.0.113.200', 55));
  // Forwarded inwards: the way back through rule 100 (FROM 1, TO 5), through rule 102 (FROM 8), through the realms 2/3 route.
  c.wire(u('8.8.8.8', '192.0.2.200', 56));
  c.wire(u('8.8.8.8', '192.0.2.70', 57));
  c.wire(u('203.0.113.10', '192.0.2.10', 58));
  c.host(u('192.0.2.10', '203.0.113.10', 59));
  // Delivered: the route back's realms only.
  c.host(u('192.0.2.200', '192.0.2.1', 53, 30));
  c.wire(u('8.8.8.8', '198.51.100.1', 123, 48));
  // Sent by the firewall (looked up without a source, as the oracle's raw sockets do: rule 100 never applies).
  c.local(ipv4({ src: '198.51.100.1', dst: '203.0.113.10' }, udp({ sport: 123, dport: 6000, payload: payload(48) })));
  c.local(ipv4({ src: '198.51.100.1', dst: '203.0.113.200' }, udp({ sport: 123, dport: 6001, payload: payload(48) })));
  return { rules, machine, iproute, capture: c };
}
