/**
 * ip6-matches: a hand-written server and router ip6tables rule set that
 * exercises every IPv6 match (icmp6, hl, ipv6header, frag, hbh, dst, rt,
 * mh, eui64, ah, esp) and the family-neutral ones on IPv6 (tcp, udp,
 * multiport, conntrack, state, limit, hashlimit with IPv6 masks, recent
 * with --mask, mark, connmark, length, comment, string, statistic, mac,
 * pkttype, addrtype, iprange, connlimit with --connlimit-mask), each met by
 * traffic that matches it and traffic that does not; targets REJECT with
 * every --reject-with of ip6tables (counted by type and code in OUTPUT),
 * LOG, HL (set, dec, inc), TCPMSS (--set-mss, --clamp-mss-to-pmtu), MARK,
 * CONNMARK. The firewall answers nothing itself but REJECT's replies;
 * forwarded and rewritten packets and the replies are compared byte for
 * byte (recorded with RECORD=1).
 */
import { icmp6, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, WIRE_MAC, payload, type Scenario } from './capture.js';
import { FW6, FW6_IN, ahHeader, atomic6, esp, mcastMac, mobility, optionsWith, routingHeader, senders6 } from './ip6.js';

export const rules = `# cofw golden: ip6-matches (IPv4 side: no rules)
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
`;

export const rules6 = `# cofw golden: ip6-matches (a server and router, every IPv6 match)
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i eth0 -m mac --mac-source 02:00:00:00:00:02 -m comment --comment "from the router"
-A PREROUTING -i eth1 -m mac ! --mac-source 02:00:00:00:01:02
-A PREROUTING -p udp -m udp --dport 5001 -j CONNMARK --set-mark 0x5
-A PREROUTING -p tcp -m tcp --dport 8080 -j MARK --set-mark 0x8
-A FORWARD -o eth1 -p tcp -m tcp --tcp-flags SYN,RST SYN -m tcpmss --mss 1441:65535 -j TCPMSS --clamp-mss-to-pmtu
-A FORWARD -o eth0 -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1200
-A FORWARD -d 2001:db8:2::30 -j HL --hl-set 5
-A FORWARD -d 2001:db8:2::31 -j HL --hl-dec 2
-A FORWARD -d 2001:db8:2::32 -j HL --hl-inc 10
-A POSTROUTING -m hl --hl-eq 5
-A POSTROUTING -m hl --hl-lt 10
-A POSTROUTING -m hl --hl-gt 70
-A POSTROUTING -m hl ! --hl-eq 64
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:ext - [0:0]
:fwd-in - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m conntrack --ctstate INVALID -j DROP
-A INPUT -m conntrack --ctstate NEW --ctdir ORIGINAL --ctorigsrc 2001:db8:99::/48
-A INPUT -m conntrack --ctstate UNTRACKED
-A INPUT -j ext
-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-solicitation -m hl --hl-eq 255 -j ACCEPT
-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j DROP
-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type echo-request -m limit --limit 5/sec --limit-burst 3 -j ACCEPT
-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128/0 -j DROP
-A INPUT -p ipv6-icmp -m icmp6 ! --icmpv6-type destination-unreachable -j LOG --log-prefix "icmp6 " --log-level 5
-A INPUT -p tcp -m multiport --dports 22,80,443 -m connlimit --connlimit-upto 2 --connlimit-mask 64 -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j REJECT --reject-with tcp-reset
-A INPUT -p tcp -m tcp --dport 25 -m recent --set --name smtp6 --mask ffff:ffff:ffff:ffff:: --rsource
-A INPUT -p tcp -m tcp --dport 25 -m recent --update --seconds 60 --hitcount 4 --name smtp6 --mask ffff:ffff:ffff:ffff:: --rsource -j REJECT --reject-with icmp6-adm-prohibited
-A INPUT -p tcp -m tcp --dport 25 -j ACCEPT
-A INPUT -p udp -m udp --dport 53 -m hashlimit --hashlimit-upto 2/sec --hashlimit-burst 2 --hashlimit-mode srcip --hashlimit-srcmask 64 --hashlimit-name dns6 -j ACCEPT
-A INPUT -p udp -m udp --dport 53 -j REJECT --reject-with icmp6-port-unreachable
-A INPUT -p udp -m udp --dport 5001:5002 -m connmark --mark 0x5 -j ACCEPT
-A INPUT -p tcp -m tcp --dport 8080:8081 -m mark --mark 0x8 -j ACCEPT
-A INPUT -p udp -m length --length 1000:65535 -j DROP
-A INPUT -p udp -m string --string "evil" --algo bm -j REJECT --reject-with icmp6-addr-unreachable
-A INPUT -m addrtype ! --dst-type LOCAL
-A INPUT -m pkttype --pkt-type multicast -m addrtype --dst-type MULTICAST -j ACCEPT
-A INPUT -m statistic --mode nth --every 3 --packet 1 -j LOG --log-prefix "nth "
-A INPUT -m iprange --src-range 2001:db8:2::10-2001:db8:2::1f -p udp -m udp --dport 7 -j ACCEPT
-A INPUT -m eui64 -j ACCEPT
-A INPUT -p udp -m udp --dport 9 -j REJECT --reject-with icmp6-no-route
-A INPUT -p udp -m udp --dport 10 -j REJECT --reject-with icmp6-adm-prohibited
-A INPUT -p udp -m udp --dport 11 -j REJECT --reject-with icmp6-addr-unreachable
-A INPUT -p udp -m udp --dport 12 -j REJECT --reject-with icmp6-port-unreachable
-A INPUT -p udp -m udp --dport 13 -j REJECT --reject-with icmp6-policy-fail
-A INPUT -p udp -m udp --dport 14 -j REJECT --reject-with icmp6-reject-route
-A INPUT -p udp -m udp --dport 15 -j REJECT --reject-with no-route
-A INPUT -p udp -m udp --dport 16 -j REJECT
-A INPUT -p tcp -j REJECT --reject-with tcp-reset
-A INPUT -j LOG --log-prefix "in6 drop " --log-level 6
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -m conntrack --ctstate INVALID -j DROP
-A FORWARD -i eth1 -o eth0 -j fwd-in
-A FORWARD -i eth0 -o eth1 -d 2001:db8:2::30/127 -p tcp -m tcp --dport 80 -m conntrack --ctorigdst 2001:db8:2::30/127 -j ACCEPT
-A FORWARD -i eth0 -o eth1 -p tcp -m tcp --dport 80 -m hashlimit --hashlimit-above 1/min --hashlimit-burst 2 --hashlimit-mode srcip,dstip --hashlimit-srcmask 48 --hashlimit-dstmask 120 --hashlimit-name web6 -j REJECT --reject-with tcp-reset
-A FORWARD -i eth0 -o eth1 -p tcp -m tcp --dport 80 -j ACCEPT
-A FORWARD -i eth0 -o eth1 -d 2001:db8:2::32 -p udp -j ACCEPT
-A FORWARD -i eth0 -o eth1 -p ipv6-icmp -m icmp6 --icmpv6-type echo-request -j REJECT --reject-with icmp6-addr-unreachable
-A FORWARD -i eth0 -j REJECT --reject-with icmp6-adm-prohibited
-A fwd-in -m iprange --src-range 2001:db8:2::10-2001:db8:2::1f -m conntrack --ctstate NEW --ctproto tcp -j ACCEPT
-A fwd-in -p udp -m connlimit --connlimit-above 2 --connlimit-mask 128 -j REJECT --reject-with icmp6-adm-prohibited
-A fwd-in -p udp -j ACCEPT
-A fwd-in -p ipv6-icmp -m icmp6 --icmpv6-type echo-request -j ACCEPT
-A fwd-in -m iprange ! --dst-range 2001:db8:99::1-2001:db8:99::ff -j REJECT --reject-with icmp6-policy-fail
-A fwd-in -j REJECT --reject-with icmp6-no-route
-A ext -m ipv6header --header hop-by-hop,dst --soft
-A ext -m ipv6header --header hop-by-hop,prot
-A ext -m ipv6header ! --header none --soft
-A ext -m ipv6header --header ipv6-route,prot
-A ext -m hbh --hbh-len 8
-A ext -m hbh --hbh-opts 1:4
-A ext -m hbh ! --hbh-len 0
-A ext -m dst --dst-len 16
-A ext -m dst --dst-opts 1:12
-A ext -m rt --rt-type 2 --rt-segsleft 1 --rt-len 24
-A ext -m rt --rt-type 0 --rt-segsleft 2 --rt-len 40 --rt-0-res --rt-0-addrs 2001:db8:99::77,2001:db8:99::78 --rt-0-not-strict
-A ext -m rt --rt-type 0 -j DROP
-A ext -m rt ! --rt-segsleft 0:1
-A ext -p 135 -m mh --mh-type binding-update -j DROP
-A ext -p 135 -m mh ! --mh-type 0:4
-A ext -m ah --ahspi 500 --ahlen 24 --ahres
-A ext -m ah ! --ahspi 500
-A ext -p esp -m esp --espspi 1000:2000 -j DROP
-A ext -p esp -m esp ! --espspi 1000:2000
-A ext -m frag --fragid 100:200 --fragfirst
-A ext -m frag --fraglast
-A ext -m frag --fragmore
-A ext -m frag --fragres --fraglen 8
-A OUTPUT -p ipv6-icmp -m icmp6 --icmpv6-type no-route
-A OUTPUT -p ipv6-icmp -m icmp6 --icmpv6-type communication-prohibited
-A OUTPUT -p ipv6-icmp -m icmp6 --icmpv6-type address-unreachable
-A OUTPUT -p ipv6-icmp -m icmp6 --icmpv6-type port-unreachable
-A OUTPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/5
-A OUTPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/6
-A OUTPUT -p ipv6-icmp -m icmp6 --icmpv6-type destination-unreachable
-A OUTPUT -p tcp -m tcp --tcp-flags RST RST
-A OUTPUT -m addrtype --src-type LOCAL --dst-type UNICAST
-A OUTPUT -m length --length 0:100
-A OUTPUT -o eth1
COMMIT
`;

/** TCP's MSS option. */
function mss(v: number): Uint8Array {
  return new Uint8Array([2, 4, v >> 8, v & 0xff]);
}

export function build(): Scenario & { rules6: string } {
  const c = new Capture(3_000_000n);
  const { w6, h6, l6 } = senders6(c);
  const toFw = (src: string, l4: Parameters<typeof ipv6>[1], f: Partial<Parameters<typeof ipv6>[0]> = {}): void => w6(ipv6({ src, dst: FW6, ...f }, l4));
  const syn = (sport: number, dport: number, options?: Uint8Array): Parameters<typeof ipv6>[1] =>
    tcp({ sport, dport, flags: 'S', seq: sport * 1000, window: 64800, ...(options ? { options } : {}) });

  // Neighbour discovery (untracked): a solicitation to the solicited-node group with hop limit 255, one unicast with 64.
  const target = new Uint8Array(16);
  target.set([0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  w6(ipv6({ src: 'fe80::2', dst: 'ff02::1:ff00:1', hopLimit: 255 }, icmp6({ type: 135, rest: 0, payload: target })), mcastMac('ff02::1:ff00:1', WIRE_MAC));
  toFw('2001:db8:99::5', icmp6({ type: 135, rest: 0, payload: target }));

  // Pings: limit's burst of 3 passes, the rest is dropped; the firewall's replies (OUTPUT).
  for (let i = 0; i < 5; i++) {
    toFw('2001:db8:99::40', icmp6({ type: 128, id: 40 + i, seq: 1, payload: payload(16) }));
    if (i < 3) l6(ipv6({ src: FW6, dst: '2001:db8:99::40' }, icmp6({ type: 129, id: 40 + i, seq: 1, payload: payload(16) })));
  }
  // The next ping of an answered id: ESTABLISHED. An echo reply nobody asked for: INVALID.
  toFw('2001:db8:99::40', icmp6({ type: 128, id: 40, seq: 2, payload: payload(16) }));
  toFw('2001:db8:99::41', icmp6({ type: 129, id: 3, seq: 3 }));
  // A router solicitation to the firewall's address (untracked, LOG's ! --icmpv6-type).
  toFw('fe80::41', icmp6({ type: 133, rest: 0 }), { hopLimit: 255 });

  // Services: at most two connections per /64 (connlimit), the third to SSH is reset.
  for (const [n, port] of [
    ['a', 22],
    ['b', 80],
    ['c', 22],
    ['d', 443],
  ] as const)
    toFw(`2001:db8:99:1::${n}`, syn(40000 + port, port));
  toFw('2001:db8:99:5::1', syn(41080, 80));
  // SMTP: recent with a /64 mask; the fourth hit of the prefix within 60 s is refused.
  for (let i = 1; i <= 5; i++) toFw(`2001:db8:99:2::${i}`, syn(42000 + i, 25));
  toFw('2001:db8:99:6::1', syn(42010, 25));
  // DNS: hashlimit per /64 source, a burst of 2.
  for (let i = 1; i <= 4; i++) toFw(`2001:db8:99:3::${i}`, udp({ sport: 5300 + i, dport: 53, payload: payload(30) }));
  toFw('2001:db8:99:4::1', udp({ sport: 5310, dport: 53, payload: payload(30) }));
  // Connection mark on 5001 (set in mangle), none on 5002; a packet mark on 8080, none on 8081.
  toFw('2001:db8:99::50', udp({ sport: 5001, dport: 5001, payload: payload(10) }));
  toFw('2001:db8:99::50', udp({ sport: 5002, dport: 5002, payload: payload(10) }));
  toFw('2001:db8:99::51', syn(43080, 8080));
  toFw('2001:db8:99::51', syn(43081, 8081));
  // length, string.
  toFw('2001:db8:99::52', udp({ sport: 6000, dport: 6000, payload: payload(1100) }));
  toFw('2001:db8:99::52', udp({ sport: 6000, dport: 6000, payload: payload(100) }));
  toFw('2001:db8:99::54', udp({ sport: 6001, dport: 6001, payload: new TextEncoder().encode('xx evil xx') }));
  toFw('2001:db8:99::54', udp({ sport: 6002, dport: 6001, payload: new TextEncoder().encode('goodness') }));
  // Multicast to all nodes (joined), and to a group the firewall did not join (never reaches INPUT).
  w6(ipv6({ src: '2001:db8:99::53', dst: 'ff02::1' }, udp({ sport: 6002, dport: 6002, payload: payload(8) })), mcastMac('ff02::1', WIRE_MAC));
  w6(ipv6({ src: '2001:db8:99::53', dst: 'ff05::1:3' }, udp({ sport: 6002, dport: 547, payload: payload(8) })), mcastMac('ff05::1:3', WIRE_MAC));
  // iprange from the inside, eui64 (the source's interface identifier made from the sender's MAC).
  h6(ipv6({ src: '2001:db8:2::15', dst: FW6_IN }, udp({ sport: 7007, dport: 7, payload: payload(8) })));
  h6(ipv6({ src: '2001:db8:2::25', dst: FW6_IN }, udp({ sport: 7007, dport: 7, payload: payload(8) })));
  h6(ipv6({ src: '2001:db8:2::ff:fe00:102', dst: FW6_IN }, udp({ sport: 7008, dport: 8, payload: payload(8) })));
  h6(ipv6({ src: '2001:db8:2::40', dst: FW6_IN }, udp({ sport: 7008, dport: 8, payload: payload(8) })));
  // Every --reject-with, from three inside hosts (the kernel limits ICMPv6 errors per destination).
  for (let p = 9; p <= 16; p++) {
    h6(ipv6({ src: `2001:db8:2::${40 + (p % 3)}`, dst: FW6_IN }, udp({ sport: 7000 + p, dport: p, payload: payload(12) })));
    c.pause(20);
  }
  toFw('2001:db8:99::55', udp({ sport: 7012, dport: 12, payload: payload(12) }));
  toFw('2001:db8:99::55', syn(44023, 23));

  // Extension headers, to a closed UDP port of the firewall.
  const u = (sport: number): Parameters<typeof ipv6>[1] => udp({ sport, dport: 7777, payload: payload(8) });
  toFw('2001:db8:99::60', u(1), { ext: [optionsWith(0, []), optionsWith(60, [1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])] });
  toFw('2001:db8:99::60', icmp6({ type: 128, id: 60, seq: 1 }), { ext: [optionsWith(0, [])] });
  toFw('2001:db8:99::61', u(2), { ext: [routingHeader(2, 1, ['2001:db8:100::1'])] });
  toFw('2001:db8:99::61', u(3), { ext: [routingHeader(0, 2, ['2001:db8:99::77', '2001:db8:99::78'])] });
  toFw('2001:db8:99::61', u(4), { ext: [routingHeader(0, 0, ['2001:db8:99::77'])] });
  toFw('2001:db8:99::61', u(5), { ext: [routingHeader(0, 2, ['2001:db8:99::77', '2001:db8:99::79'], 1)] });
  toFw('2001:db8:99::61', u(6), { ext: [routingHeader(2, 5, ['2001:db8:100::1'])] });
  toFw('2001:db8:99::62', mobility(5));
  toFw('2001:db8:99::62', mobility(7));
  toFw('2001:db8:99::62', mobility(1));
  toFw('2001:db8:99::63', u(7), { ext: [ahHeader(500)] });
  toFw('2001:db8:99::63', u(8), { ext: [ahHeader(501)] });
  toFw('2001:db8:99::63', u(9), { ext: [ahHeader(500, 4, 1)] });
  toFw('2001:db8:99::64', esp(1500));
  toFw('2001:db8:99::64', esp(3000));
  w6(atomic6({ src: '2001:db8:99::65', dst: FW6 }, u(10), 150));
  w6(atomic6({ src: '2001:db8:99::65', dst: FW6 }, u(11), 300, 0x1206));
  toFw('2001:db8:99::66', u(12), { ext: [optionsWith(0, [1, 0]), optionsWith(60, [])] });

  // The firewall's own traffic: a DNS query out of eth0 (and a port unreachable about it: RELATED),
  // an answer to the inside, a packet to itself over lo.
  const query = ipv6({ src: FW6, dst: '2001:db8:99::53' }, udp({ sport: 33000, dport: 53, payload: payload(30) }));
  l6(query);
  toFw('2001:db8:99::53', icmp6({ type: 1, code: 4, rest: 0, payload: query }));
  l6(ipv6({ src: FW6, dst: FW6_IN }, udp({ sport: 33001, dport: 9, payload: payload(8) })));
  l6(ipv6({ src: FW6_IN, dst: '2001:db8:2::15' }, udp({ sport: 7, dport: 7007, payload: payload(8) })), true);

  // Forwarding. An inside client's session through TCPMSS both ways.
  const cl = '2001:db8:2::12';
  const srv = '2001:db8:99::80';
  h6(ipv6({ src: cl, dst: srv }, tcp({ sport: 40000, dport: 443, flags: 'S', seq: 1, window: 64800, options: mss(1460) })));
  w6(ipv6({ src: srv, dst: cl }, tcp({ sport: 443, dport: 40000, flags: 'SA', seq: 900, ack: 2, window: 65000, options: mss(1460) })));
  h6(ipv6({ src: cl, dst: srv }, tcp({ sport: 40000, dport: 443, flags: 'A', seq: 2, ack: 901, window: 502 })));
  h6(ipv6({ src: cl, dst: srv }, tcp({ sport: 40000, dport: 443, flags: 'PA', seq: 2, ack: 901, window: 502, payload: payload(200) })));
  // A client outside the range: no-route to a listed destination, policy-fail to another.
  h6(ipv6({ src: '2001:db8:2::25', dst: srv }, tcp({ sport: 40100, dport: 443, flags: 'S', seq: 1, options: mss(1460) })));
  h6(ipv6({ src: '2001:db8:2::25', dst: '2001:db8:98::1' }, tcp({ sport: 40101, dport: 443, flags: 'S', seq: 1 })));
  // UDP from one inside host to three servers: connlimit per /128 refuses the third.
  for (let i = 1; i <= 3; i++) h6(ipv6({ src: '2001:db8:2::13', dst: `2001:db8:99::8${i}` }, udp({ sport: 41000, dport: 123, payload: payload(48) })));
  // A forwarded ping and its reply.
  h6(ipv6({ src: '2001:db8:2::14', dst: srv }, icmp6({ type: 128, id: 14, seq: 1, payload: payload(24) })));
  w6(ipv6({ src: srv, dst: '2001:db8:2::14' }, icmp6({ type: 129, id: 14, seq: 1, payload: payload(24) })));
  // Web servers inside: ::30 (hop limit set to 5), ::31 (less 2), by --ctorigdst.
  w6(ipv6({ src: '2001:db8:99::90', dst: '2001:db8:2::30' }, tcp({ sport: 45000, dport: 80, flags: 'S', seq: 1, options: mss(1460) })));
  w6(ipv6({ src: '2001:db8:99::90', dst: '2001:db8:2::31' }, tcp({ sport: 45001, dport: 80, flags: 'S', seq: 1, options: mss(1400) })));
  // Another server, hashlimit per source /48 and destination /120: the third connection is reset.
  for (let i = 1; i <= 3; i++) w6(ipv6({ src: `2001:db8:99:7::${i}`, dst: '2001:db8:2::33' }, tcp({ sport: 46000 + i, dport: 80, flags: 'S', seq: i })));
  w6(ipv6({ src: '2001:db8:98::1', dst: '2001:db8:2::33' }, tcp({ sport: 46010, dport: 80, flags: 'S', seq: 10 })));
  // UDP to ::32 (hop limit up 10), a ping to ::34 (address unreachable), SSH to ::35 (prohibited).
  w6(ipv6({ src: '2001:db8:99::91', dst: '2001:db8:2::32' }, udp({ sport: 47000, dport: 5000, payload: payload(20) })));
  w6(ipv6({ src: '2001:db8:99::91', dst: '2001:db8:2::34' }, icmp6({ type: 128, id: 34, seq: 1, payload: payload(8) })));
  w6(ipv6({ src: '2001:db8:99::91', dst: '2001:db8:2::35' }, syn(47022, 22)));
  // An ICMPv6 error about a connection nobody made, on its way in: INVALID.
  const unknown = ipv6({ src: '2001:db8:2::36', dst: '2001:db8:99::93' }, udp({ sport: 48000, dport: 53, payload: payload(20) }));
  w6(ipv6({ src: '2001:db8:99::93', dst: '2001:db8:2::36' }, icmp6({ type: 1, code: 3, rest: 0, payload: unknown })));
  // Hop limit 1 on the way through: dropped before FORWARD.
  w6(ipv6({ src: '2001:db8:99::92', dst: '2001:db8:2::32', hopLimit: 1 }, udp({ sport: 47001, dport: 5000, payload: payload(20) })));
  // From the inside with another MAC (mac ! --mac-source).
  h6(ipv6({ src: '2001:db8:2::15', dst: srv }, udp({ sport: 41001, dport: 123, payload: payload(48) })), {
    src: '02:00:00:00:01:99',
    dst: '02:00:00:00:01:01',
    ethertype: 0x86dd,
  });
  return { rules, rules6, capture: c };
}
