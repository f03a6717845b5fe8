/**
 * matches: multiport, iprange, length, ttl, mac, pkttype, addrtype, comment
 * and tcp options. Most rules only count, so every packet is tested against
 * every match and a single wrong match shows as a wrong counter.
 */
import { icmp, ipv4, tcp, udp } from '../../../src/packet/build.js';
import { BCAST_HOST, BCAST_WIRE, Capture, HOST_MAC, MCAST_ALL_HOSTS, FW_ETH0_MAC, between, payload, pick, seeded, type Scenario } from './capture.js';

export const rules = `# cofw golden: matches (multiport, iprange, length, ttl, mac, pkttype, addrtype, comment, tcp options)
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:mp - [0:0]
:addr - [0:0]
-A INPUT -j mp
-A INPUT -j addr
-A INPUT -m pkttype --pkt-type unicast
-A INPUT -m pkttype --pkt-type broadcast
-A INPUT -m pkttype --pkt-type multicast
-A INPUT -m pkttype ! --pkt-type unicast
-A INPUT -m mac --mac-source 02:00:00:00:00:02
-A INPUT -m mac --mac-source 02:00:00:00:01:02
-A INPUT -m mac ! --mac-source 02:00:00:00:00:02
-A INPUT -m mac --mac-source 02:AA:00:00:00:09
-A INPUT -m ttl --ttl-eq 64
-A INPUT -m ttl ! --ttl-eq 64
-A INPUT -m ttl --ttl-lt 10
-A INPUT -m ttl --ttl-gt 128
-A INPUT -m length --length 40
-A INPUT -m length --length 0:100
-A INPUT -m length --length 1000:
-A INPUT -m length ! --length 41:1499
-A INPUT -m length --length :64
-A INPUT -m iprange --src-range 203.0.113.10-203.0.113.50
-A INPUT -m iprange ! --src-range 203.0.113.0-203.0.113.127
-A INPUT -m iprange --dst-range 192.0.2.0-192.0.2.1
-A INPUT -m iprange --src-range 192.0.2.100-192.0.2.200 --dst-range 192.0.2.255-255.255.255.255
-A INPUT -m iprange ! --src-range 192.0.2.0-192.0.2.255 ! --dst-range 198.51.100.0-198.51.100.255
-A INPUT -m comment --comment "counted: everything that reaches here"
-A INPUT -p tcp -m tcp --tcp-option 2
-A INPUT -p tcp -m tcp ! --tcp-option 8
-A INPUT -p tcp -m tcp --tcp-option 4 --syn
-A INPUT -p tcp --tcp-option 3 -m comment --comment "window scale"
-A INPUT -p tcp -m multiport --dports 22,80 -m length --length 40:60 -m ttl --ttl-gt 32 -j ACCEPT
-A INPUT -m iprange --src-range 198.18.0.0-198.19.255.255 -j DROP
-A INPUT -m addrtype --dst-type BROADCAST -j DROP
-A INPUT -m pkttype --pkt-type multicast -m comment --comment "multicast: counted and dropped" -j DROP
-A mp -p tcp -m multiport --dports 22,80,443
-A mp -p tcp -m multiport --sports 1024:2047,3000
-A mp -p tcp -m multiport --ports 8000:8080,9000
-A mp -p tcp -m multiport ! --dports 1:1023
-A mp -p tcp -m multiport ! --ports 80,443
-A mp -p udp -m multiport --sports 53,123:125
-A mp -p udp -m multiport --dports 1:1024,5000:6000,7000
-A mp -p udp -m multiport ! --sports 53
-A mp -p tcp -m multiport --dports 25,110,143,465,587,993,995,2000:2010,4000,5000,6000,7000,8000
-A mp -p udp -m multiport --ports 500,4500 -j RETURN
-A mp -p udp -m multiport --ports 137:139
-A addr -m addrtype --dst-type LOCAL
-A addr -m addrtype --dst-type LOCAL --limit-iface-in
-A addr -m addrtype --dst-type BROADCAST
-A addr -m addrtype --dst-type BROADCAST --limit-iface-in
-A addr -m addrtype --dst-type MULTICAST
-A addr -m addrtype --src-type UNICAST
-A addr -m addrtype ! --src-type UNICAST
-A addr -m addrtype --src-type UNSPEC
-A addr -m addrtype --dst-type LOCAL,BROADCAST
-A addr -m addrtype --src-type LOCAL
-A addr -m addrtype ! --dst-type LOCAL
-A FORWARD -j mp
-A FORWARD -m pkttype --pkt-type unicast
# Deliberately zero: the kernel forwards unicast frames only.
-A FORWARD -m pkttype ! --pkt-type unicast
-A FORWARD -m mac --mac-source 02:00:00:00:00:02
-A FORWARD -m addrtype --dst-type UNICAST --limit-iface-out
-A FORWARD -m addrtype --src-type UNICAST --limit-iface-in
-A FORWARD -m addrtype --dst-type LOCAL
-A FORWARD -m ttl --ttl-lt 5
-A FORWARD -m ttl --ttl-eq 63
-A FORWARD -m ttl --ttl-eq 64
-A FORWARD -m length --length 1400:1500
-A FORWARD -m iprange --dst-range 203.0.113.100-203.0.113.200 -j DROP
-A FORWARD -p tcp -m tcp --tcp-option 2 -j ACCEPT
-A FORWARD -m comment --comment "the rest: forwarded" -j ACCEPT
-A OUTPUT -j mp
-A OUTPUT -m addrtype --src-type LOCAL
-A OUTPUT -m addrtype --src-type LOCAL --limit-iface-out
-A OUTPUT -m addrtype --dst-type LOCAL
-A OUTPUT -m addrtype --dst-type UNICAST --limit-iface-out
-A OUTPUT -m pkttype --pkt-type unicast
-A OUTPUT -m ttl --ttl-eq 64
-A OUTPUT -m length --length 0:100
-A OUTPUT -m iprange --dst-range 203.0.113.0-203.0.113.99 -j ACCEPT
COMMIT
`;

const MSS = [2, 4, 5, 0xb4];
const SACK_OK = [4, 2];
const TS = [8, 10, 0, 0, 0, 1, 0, 0, 0, 0];
const WSCALE = [3, 3, 7];
const NOP = [1];
const OPTION_SETS: readonly number[][] = [
  [],
  MSS,
  [...MSS, ...SACK_OK, ...TS, ...NOP, ...WSCALE],
  [...NOP, ...NOP, ...TS],
  [...MSS, ...NOP, ...WSCALE],
  [...SACK_OK, ...NOP, ...NOP],
];

export function build(): Scenario {
  const c = new Capture();
  const r = seeded(303);
  const eph = () => between(r, 1024, 65535);
  const ttl = () => pick(r, [1, 5, 9, 10, 30, 63, 64, 64, 64, 65, 128, 129, 255]);
  const opts = () => Uint8Array.from(pick(r, OPTION_SETS));
  const len = () => pick(r, [0, 0, 1, 20, 44, 200, 959, 960, 1000, 1380, 1400]);
  const wireSrc = () => pick(r, ['02:00:00:00:00:02', '02:00:00:00:00:02', '02:aa:00:00:00:09', '02:00:00:00:00:77']);
  let id = 1;
  const ip = (src: string, dst: string, t = 64) => ({ src, dst, id: id++, ttl: t });
  const tport = () => pick(r, [22, 80, 443, 25, 993, 2005, 8000, 8080, 9000, 3000, 1500, 65000]);
  const uport = () => pick(r, [53, 123, 124, 125, 500, 4500, 137, 138, 1024, 5500, 7000, 9999]);

  for (let i = 0; i < 40; i++) {
    // To the firewall from the outside: TCP with varied options, lengths, TTLs, source MACs.
    const src = pick(r, [
      `203.0.113.${between(r, 1, 254)}`,
      `198.18.${between(r, 0, 255)}.${between(r, 1, 254)}`,
      `198.19.0.${between(r, 1, 254)}`,
      `100.64.0.${i + 1}`,
    ]);
    const sport = pick(r, [between(r, 1024, 2047), 3000, eph(), 80, 443, 53]);
    c.wire(
      ipv4(
        ip(src, '198.51.100.1', ttl()),
        tcp({ sport, dport: tport(), flags: pick(r, ['S', 'S', 'A', 'PA', 'SA']), options: opts(), payload: payload(len()) }),
      ),
      { src: wireSrc(), dst: FW_ETH0_MAC },
    );
    // UDP to the firewall (outside or inside), with varied ports.
    if (i % 2)
      c.wire(ipv4(ip(`203.0.113.${between(r, 1, 254)}`, '198.51.100.1', ttl()), udp({ sport: uport(), dport: uport(), payload: payload(len()) })), {
        src: wireSrc(),
        dst: FW_ETH0_MAC,
      });
    else
      c.host(
        ipv4(ip(`192.0.2.${between(r, 2, 254)}`, pick(r, ['192.0.2.1', '198.51.100.1'])), udp({ sport: uport(), dport: uport(), payload: payload(len()) })),
      );
    // Forwarded, both ways.
    c.host(
      ipv4(
        ip(`192.0.2.${between(r, 2, 254)}`, `203.0.113.${between(r, 1, 254)}`, pick(r, [2, 3, 4, 5, 64, 64, 128])),
        tcp({ sport: eph(), dport: tport(), flags: 'S', options: opts(), payload: payload(len()) }),
      ),
    );
    c.wire(
      ipv4(
        ip(`198.18.7.${between(r, 1, 254)}`, `192.0.2.${between(r, 2, 254)}`, ttl() === 1 ? 2 : 64),
        udp({ sport: uport(), dport: uport(), payload: payload(len()) }),
      ),
      { src: wireSrc(), dst: FW_ETH0_MAC },
    );
    if (i % 4 === 0)
      c.host(
        ipv4(
          ip(`192.0.2.${between(r, 2, 254)}`, `203.0.113.${between(r, 1, 254)}`),
          icmp({ type: 8, id: 1, seq: i, payload: payload(pick(r, [0, 56, 1452])) }),
        ),
      );
    // Locally generated.
    if (i % 2 === 0)
      c.local(
        ipv4(
          ip('198.51.100.1', `203.0.113.${between(r, 1, 254)}`, pick(r, [64, 64, 1, 255])),
          udp({ sport: uport(), dport: uport(), payload: payload(len()) }),
        ),
      );
    else c.local(ipv4(ip('192.0.2.1', `192.0.2.${between(r, 2, 254)}`), tcp({ sport: eph(), dport: tport(), flags: 'S', options: opts() })));
  }
  for (let i = 0; i < 4; i++) {
    // Broadcasts: subnet and limited, from the inside and the outside, from an unspecified source.
    c.host(ipv4(ip(`192.0.2.${150 + i}`, '192.0.2.255'), udp({ sport: 137, dport: 137, payload: payload(50) })), BCAST_HOST);
    c.host(ipv4(ip(`192.0.2.${20 + i}`, '255.255.255.255'), udp({ sport: 5000, dport: 5000, payload: payload(20) })), BCAST_HOST);
    c.wire(ipv4(ip(`198.51.100.${10 + i}`, '198.51.100.255'), udp({ sport: 138, dport: 138, payload: payload(150) })), BCAST_WIRE);
    c.wire(ipv4(ip('0.0.0.0', '255.255.255.255'), udp({ sport: 68, dport: 67, payload: payload(240) })), BCAST_WIRE);
    // Multicast: all-hosts (joined, delivered) and a group nobody joined (not delivered).
    c.host(ipv4(ip(`192.0.2.${30 + i}`, '224.0.0.1', 1), udp({ sport: 5353, dport: 5353, payload: payload(30) })), MCAST_ALL_HOSTS);
    c.host(ipv4(ip(`192.0.2.${30 + i}`, '239.1.2.3', 1), udp({ sport: 5000, dport: 5000, payload: payload(30) })), { src: HOST_MAC, dst: '01:00:5e:01:02:03' });
    // Link-layer broadcast to the firewall's own address (delivered, pkttype broadcast)
    // and to a remote address (not forwarded).
    c.wire(ipv4(ip(`203.0.113.${40 + i}`, '198.51.100.1'), udp({ sport: 5000, dport: 5001, payload: payload(10) })), BCAST_WIRE);
    c.host(ipv4(ip(`192.0.2.${40 + i}`, '203.0.113.9'), udp({ sport: 5000, dport: 5001, payload: payload(10) })), BCAST_HOST);
    // Addressed to the other interface's address (LOCAL, but not on the receiving interface).
    c.host(ipv4(ip(`192.0.2.${50 + i}`, '198.51.100.1'), tcp({ sport: eph(), dport: 22, flags: 'S', options: Uint8Array.from(MSS) })));
    c.wire(ipv4(ip(`203.0.113.${50 + i}`, '192.0.2.1'), tcp({ sport: eph(), dport: 80, flags: 'S' })));
    // Loopback: the firewall talking to itself.
    c.local(ipv4(ip('198.51.100.1', '192.0.2.1'), udp({ sport: 40000 + i, dport: 53, payload: payload(20) })));
    c.local(ipv4(ip('192.0.2.1', '192.0.2.1'), tcp({ sport: 40000 + i, dport: 8080, flags: 'S' })));
  }
  return { rules, capture: c };
}
