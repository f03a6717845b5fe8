/**
 * realm: routes with realms (`ip route ... realm N` / `realms FROM/TO` in
 * the oracle, `realm:` in machine.yaml) and `-m realm` on forwarded,
 * delivered, broadcast, locally sent and looped-back IPv4 packets: the
 * route's own realms, the FROM realm a forwarded or delivered packet takes
 * from the route back to its source (fib_validate_source's itag), masks,
 * names (`cosmos`), inversion, a user chain, the raw, mangle, nat and
 * filter tables. (The nat table's SNAT rule, which matches nothing, is
 * there for its checkentry: through nf_tables, a nat table without a NAT
 * target turns no connection tracking on, and its chains then see no
 * packet at all.)
 */
import { ipv4, tcp, udp } from '../../../src/packet/build.js';
import { BCAST_HOST, Capture, payload, type Scenario } from './capture.js';

export const rules = `# cofw golden: realm
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A OUTPUT -m realm --realm 0x20003
-A OUTPUT -m realm --realm cosmos
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:realms - [0:0]
-A INPUT -m realm --realm 0x40000
-A INPUT -m realm --realm 0x90000/0xffff0000
-A INPUT -m realm --realm cosmos
-A INPUT -m realm ! --realm 0/0xffff
-A INPUT -m realm --realm 0x10000
-A FORWARD -m realm --realm 0x20003
-A FORWARD -m realm --realm 4/0xffff
-A FORWARD -m realm --realm 0x30000/0xffff0000
-A FORWARD -m realm --realm 9/0xf
-A FORWARD -m realm ! --realm cosmos
-A FORWARD -j realms
-A OUTPUT -m realm --realm 1
-A OUTPUT -m realm --realm 9
-A OUTPUT -m realm ! --realm 0x0/0x0
-A POSTROUTING -m realm --realm 0x30009
-A POSTROUTING -m realm --realm 0x10000/0xffff0000
-A POSTROUTING -m realm --realm 0x2/0x2
-A POSTROUTING -m realm --realm cosmos
-A realms -m realm --realm 0x90004 -j RETURN
-A realms -m realm --realm 0x40000
-A realms -m realm --realm 0x40000/0xffff0000
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A INPUT -m realm --realm 0x90000
-A OUTPUT -m realm --realm 0x20003
-A POSTROUTING -m realm --realm 0x30000/0xffff0000
-A POSTROUTING -d 10.255.255.255/32 -j SNAT --to-source 198.51.100.1
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p udp -m realm --realm 0x10000 -j DROP
-A FORWARD -p udp -m realm --realm 0x10000 -j DROP
-A FORWARD -m realm --realm 0x30009 -j ACCEPT
-A FORWARD -m realm --realm 0x90004 -j ACCEPT
-A OUTPUT -m realm --realm 1 -j DROP
COMMIT
`;

export const machine = `hostname: cofw-realm
interfaces:
  - name: eth0
    mac: "02:00:00:00:00:01"
    addresses: [198.51.100.1/24]
  - name: eth1
    mac: "02:00:00:00:01:01"
    addresses: [192.0.2.1/24]
routes:
  - to: default
    via: 198.51.100.254
    dev: eth0
    realm: 1
  - to: 203.0.113.0/25
    via: 198.51.100.254
    dev: eth0
    realm: "2/3"
  - to: 203.0.113.128/25
    via: 198.51.100.254
    dev: eth0
    realm: 4
  - to: 192.0.2.128/25
    dev: eth1
    realm: 9
fail: closed
sysctl:
  net.ipv4.conf.all.accept_local: 1
`;

export const iproute = `ip route replace default via 198.51.100.254 dev eth0 realm 1
ip route add 203.0.113.0/25 via 198.51.100.254 dev eth0 realms 2/3
ip route add 203.0.113.128/25 via 198.51.100.254 dev eth0 realm 4
ip route add 192.0.2.128/25 dev eth1 realm 9
`;

export function build(): Scenario & { machine: string; iproute: string } {
  const c = new Capture(3_000_000n);
  const u = (src: string, dst: string, dport: number, n = 20): Uint8Array => ipv4({ src, dst }, udp({ sport: 5000, dport, payload: payload(n) }));
  // Forwarded, inside to outside: the route's realms 2/3; realm 4 with FROM realm 9 from the route back.
  for (let i = 0; i < 2; i++) c.host(ipv4({ src: '192.0.2.10', dst: '203.0.113.10' }, tcp({ sport: 40000 + i, dport: 443, flags: 'S', seq: 1 })));
  c.host(u('192.0.2.200', '203.0.113.200', 53));
  // Forwarded, outside to inside: FROM realm 3 (the route back's TO realm), 4 and 1 (the default route's).
  c.wire(u('203.0.113.10', '192.0.2.200', 54));
  c.wire(ipv4({ src: '203.0.113.10', dst: '192.0.2.10' }, tcp({ sport: 5001, dport: 22, flags: 'S', seq: 1 })));
  c.wire(u('8.8.8.8', '192.0.2.10', 55));
  c.wire(u('203.0.113.200', '192.0.2.10', 56));
  // Delivered to the firewall, and broadcasts on the inside.
  c.wire(u('203.0.113.200', '198.51.100.1', 123, 48));
  c.wire(u('8.8.8.8', '198.51.100.1', 124, 48));
  c.host(u('192.0.2.200', '192.0.2.1', 53, 30));
  c.host(u('192.0.2.10', '192.0.2.1', 53, 31));
  c.host(u('192.0.2.200', '192.0.2.255', 137, 50), BCAST_HOST);
  c.host(u('192.0.2.200', '255.255.255.255', 138, 51), BCAST_HOST);
  // Sent by the firewall: realms 2/3, 1 (dropped in OUTPUT), 9, none, and looped back over lo.
  c.local(ipv4({ src: '198.51.100.1', dst: '203.0.113.10' }, udp({ sport: 123, dport: 6000, payload: payload(48) })));
  c.local(ipv4({ src: '198.51.100.1', dst: '8.8.8.8' }, udp({ sport: 123, dport: 6001, payload: payload(48) })));
  c.local(ipv4({ src: '192.0.2.1', dst: '192.0.2.200' }, udp({ sport: 53, dport: 6002, payload: payload(24) })));
  c.local(ipv4({ src: '192.0.2.1', dst: '192.0.2.10' }, udp({ sport: 53, dport: 6003, payload: payload(25) })));
  c.local(ipv4({ src: '198.51.100.1', dst: '127.0.0.1' }, udp({ sport: 7000, dport: 7001, payload: payload(8) })));
  return { rules, machine, iproute, capture: c };
}
