/**
 * ipset-types: the two set types the reference kernel has besides those of
 * `ipset`: hash:ip,port,net (an address, a port and a network, with a
 * nomatch network inside a matching one, most specific first, and
 * `--return-nomatch`; both families) and bitmap:ip,mac (an address with
 * the MAC it must come from: a matching and a mismatching MAC, an entry
 * restored without a MAC that the first packet fills in, after which
 * another MAC no longer matches; entries added by `-j SET --add-set` with
 * the packet's MAC; a MAC read from the destination). Counters and
 * timeouts are compared through `kernel.ipsets`.
 */
import { icmp, ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, FW_ETH1_MAC, HOST_MAC, WIRE, type Scenario } from './capture.js';

export const ipsets = `create svcnets hash:ip,port,net family inet hashsize 1024 maxelem 65536 counters
add svcnets 192.0.2.10,tcp:80,203.0.113.0/24
add svcnets 192.0.2.10,tcp:80,203.0.113.128/25 nomatch
add svcnets 192.0.2.10,udp:53,0.0.0.0/1
add svcnets 192.0.2.11,icmp:echo-request,198.51.100.0/24
add svcnets 192.0.2.12,tcp:22,198.51.100.7
create learned hash:ip,port,net family inet hashsize 1024 maxelem 65536 timeout 600
create svcnets6 hash:ip,port,net family inet6 hashsize 1024 maxelem 65536 counters
add svcnets6 2001:db8:2::10,tcp:443,2001:db8:5::/48
add svcnets6 2001:db8:2::10,tcp:443,2001:db8:5:1::/64 nomatch
create hosts bitmap:ip,mac range 192.0.2.0/24 timeout 300 counters
add hosts 192.0.2.20,02:00:00:00:01:02
add hosts 192.0.2.21,02:00:00:00:01:99
add hosts 192.0.2.22
add hosts 192.0.2.23 timeout 100
create seen bitmap:ip,mac range 192.0.2.0-192.0.2.63
create gw bitmap:ip,mac range 192.0.2.0/28
add gw 192.0.2.1,02:00:00:00:01:01
`;

export const rules = `# cofw golden: ipset-types (hash:ip,port,net and bitmap:ip,mac)
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m set --match-set svcnets dst,dst,src -m comment --comment "service from a listed network"
-A FORWARD -m set --match-set svcnets dst,dst,src --return-nomatch -m comment --comment "nomatch network"
-A FORWARD -m set ! --match-set svcnets dst,dst,src -m comment --comment "not listed"
-A FORWARD -m set --match-set svcnets dst,dst -m comment --comment "two flags for three parts: never"
-A FORWARD -i eth0 -p tcp -m tcp --dport 8080 -j SET --add-set learned dst,dst,src
-A FORWARD -m set --match-set learned dst,dst,src -m comment --comment "learned"
-A FORWARD -i eth1 -m set --match-set hosts src,src -m comment --comment "address and MAC"
-A FORWARD -i eth1 -m set ! --match-set hosts src,src -m comment --comment "address or MAC wrong"
-A FORWARD -i eth1 -j SET --add-set seen src,src
-A FORWARD -i eth1 -m set --match-set seen src,src -m comment --comment "seen"
-A INPUT -i eth1 -m set --match-set gw dst,dst -m comment --comment "to the firewall's MAC"
-A INPUT -i eth1 -m set --match-set gw dst,src -m comment --comment "the wrong MAC"
COMMIT
`;

export const rules6 = `# cofw golden: ipset-types (IPv6: hash:ip,port,net)
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m set --match-set svcnets6 dst,dst,src -m comment --comment "service from a listed network"
-A FORWARD -m set --match-set svcnets6 dst,dst,src --return-nomatch -m comment --comment "nomatch network"
COMMIT
`;

export function build(): Scenario & { rules6: string; ipsets: string } {
  const c = new Capture(5_000_000n);
  const syn = (src: string, dst: string, dport: number): Uint8Array => ipv4({ src, dst }, tcp({ sport: 40000 + (dport % 1000), dport, flags: 'S' }));
  const inside = (src: string, mac = HOST_MAC, dst = '203.0.113.9'): void =>
    c.host(ipv4({ src, dst }, udp({ sport: 5353, dport: 9999, payload: new Uint8Array(10) })), { src: mac, dst: FW_ETH1_MAC });
  // hash:ip,port,net, from outside to inside services.
  c.wire(syn('203.0.113.5', '192.0.2.10', 80)); // in 203.0.113.0/24
  c.wire(syn('203.0.113.200', '192.0.2.10', 80)); // in the nomatch /25
  c.wire(syn('203.0.113.5', '192.0.2.10', 81)); // another port
  c.wire(syn('198.51.100.7', '192.0.2.10', 80)); // another network
  c.wire(ipv4({ src: '10.1.2.3', dst: '192.0.2.10' }, udp({ sport: 5000, dport: 53, payload: new Uint8Array(30) }))); // 0.0.0.0/1
  c.wire(ipv4({ src: '198.51.100.9', dst: '192.0.2.11' }, icmp({ type: 8, id: 7, seq: 1 })));
  c.wire(ipv4({ src: '198.51.100.9', dst: '192.0.2.11' }, icmp({ type: 0, id: 7, seq: 1 }))); // echo reply: not listed
  c.wire(syn('198.51.100.7', '192.0.2.12', 22)); // a /32 network
  c.wire(syn('198.51.100.8', '192.0.2.12', 22));
  c.wire(syn('203.0.113.5', '192.0.2.10', 80)); // again: counters
  // Learned by SET: two sources to 8080, the second packet of each is listed.
  c.wire(syn('203.0.113.40', '192.0.2.30', 8080));
  c.wire(syn('203.0.113.40', '192.0.2.30', 8080));
  c.wire(syn('203.0.113.41', '192.0.2.31', 8080));
  // bitmap:ip,mac from the inside.
  inside('192.0.2.20'); // address and MAC listed
  inside('192.0.2.20', '02:00:00:00:01:77'); // the wrong MAC
  inside('192.0.2.21'); // listed with another MAC
  inside('192.0.2.22'); // listed without a MAC: this packet fills it in
  inside('192.0.2.22'); // and matches again
  inside('192.0.2.22', '02:00:00:00:01:77'); // another MAC no longer does
  inside('192.0.2.23', '02:00:00:00:01:33'); // without a MAC, its own timeout
  inside('192.0.2.40'); // not listed
  inside('192.0.2.40', '02:00:00:00:01:77'); // seen: added with the first MAC, the second does not match
  inside('192.0.2.41', '02:00:00:00:01:41');
  inside('192.0.2.100'); // out of the range of seen
  // To the firewall itself: the destination MAC is the firewall's.
  c.host(ipv4({ src: '192.0.2.50', dst: '192.0.2.1' }, udp({ sport: 5000, dport: 7, payload: new Uint8Array(8) })));
  // IPv6 hash:ip,port,net.
  const syn6 = (src: string, dport: number): Uint8Array => ipv6({ src, dst: '2001:db8:2::10' }, tcp({ sport: 41000, dport, flags: 'S' }));
  c.wire(syn6('2001:db8:5::5', 443), { ...WIRE, ethertype: 0x86dd });
  c.wire(syn6('2001:db8:5:1::5', 443), { ...WIRE, ethertype: 0x86dd });
  c.wire(syn6('2001:db8:6::5', 443), { ...WIRE, ethertype: 0x86dd });
  c.wire(syn6('2001:db8:5::5', 80), { ...WIRE, ethertype: 0x86dd });
  return { rules, rules6, ipsets, capture: c };
}
