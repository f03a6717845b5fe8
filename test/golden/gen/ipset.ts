/**
 * ipset: rules that name IP sets, with the sets restored from `ipsets`
 * (`ipset save` format) before the rules, as on a host that runs
 * `ipset restore` before `iptables-restore`. Every type the reference
 * kernel has (hash:mac it has not): hash:ip with counters compared by
 * `--packets-gt` (each rule's lookup counts), `--del-set`; hash:net with
 * nested networks and a nomatch one (most specific first), `--return-nomatch`,
 * `! --update-counters` with `--bytes-gt`; hash:ip,port (TCP, UDP, ICMP by
 * name; a rule with one flag never matches); hash:net,port with nomatch;
 * hash:ip,port,ip and hash:net,iface (input and output devices) on forwarded
 * traffic; bitmap:ip with an entry whose timeout runs out during the
 * capture; bitmap:port; list:set with counters and `! --update-subcounters`.
 * A ban list fed by `-j SET --add-set ban src --exist --timeout 4` on a
 * probe port and read by `--match-set` after it: the ban is renewed by a
 * second probe, runs out, and the set's maxelem (3) leaves a fourth prober
 * unbanned. IPv6: an inet6 hash:net with nomatch and a SET-fed inet6 ban
 * list in ip6tables rules, and the family-less bitmap:port from both.
 */
import { icmp, icmp6, ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, WIRE, type Scenario } from './capture.js';

export const ipsets = `create ban hash:ip family inet hashsize 1024 maxelem 3 timeout 60 counters
create trusted hash:ip family inet hashsize 1024 maxelem 65536 counters
add trusted 203.0.113.10 packets 2 bytes 100
create nets hash:net family inet hashsize 1024 maxelem 65536 counters
add nets 203.0.113.0/24
add nets 203.0.113.128/25 nomatch
add nets 203.0.113.192/26
create svc hash:ip,port family inet hashsize 1024 maxelem 65536
add svc 198.51.100.1,tcp:80
add svc 198.51.100.1,udp:53
add svc 198.51.100.1,icmp:echo-request
create netsvc hash:net,port family inet hashsize 1024 maxelem 65536 counters
add netsvc 192.0.2.0/24,tcp:22
add netsvc 192.0.2.128/25,tcp:22 nomatch
create flows hash:ip,port,ip family inet hashsize 1024 maxelem 65536
add flows 192.0.2.10,tcp:443,203.0.113.50
create ifnets hash:net,iface family inet hashsize 1024 maxelem 65536
add ifnets 192.0.2.0/24,eth1
add ifnets 128.0.0.0/1,eth0
create blocks bitmap:ip range 203.0.113.0/24 timeout 0 counters
add blocks 203.0.113.77 timeout 3
add blocks 203.0.113.78
create lowports bitmap:port range 0-1024 counters
add lowports 25
add lowports 110
create both list:set size 8 counters
add both svc
add both netsvc
create nets6 hash:net family inet6 hashsize 1024 maxelem 65536 counters
add nets6 2001:db8:dead::/48
add nets6 2001:db8:dead:beef::/64 nomatch
create ban6 hash:ip family inet6 hashsize 1024 maxelem 65536 timeout 30
`;

export const rules = `# cofw golden: ipset (IPv4 side)
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m tcp --dport 23 -j SET --add-set ban src --exist --timeout 4
-A INPUT -m set --match-set ban src -j DROP
-A INPUT -p udp -m udp --dport 7 -j SET --del-set trusted src
-A INPUT -m set --match-set trusted src --packets-gt 4 -j DROP
-A INPUT -m set --match-set trusted src
-A INPUT -m set --match-set nets src
-A INPUT -m set --match-set nets src --return-nomatch
-A INPUT -m set ! --match-set nets src ! --update-counters
-A INPUT -m set --match-set nets src ! --update-counters --bytes-gt 200
-A INPUT -m set --match-set svc dst,dst
-A INPUT -m set --match-set svc dst
-A INPUT -m set --match-set netsvc src,dst
-A INPUT -m set --match-set ifnets src,src
-A INPUT -m set --match-set blocks src -j DROP
-A INPUT -m set --match-set lowports dst
-A INPUT -m set --match-set both dst,dst ! --update-subcounters
-A INPUT -m set --match-set both src,dst
-A FORWARD -m set --match-set flows src,dst,dst
-A FORWARD -m set --match-set ifnets src,src
-A FORWARD -m set --match-set ifnets dst,dst
-A FORWARD -m set --match-set nets dst
COMMIT
`;

export const rules6 = `# cofw golden: ipset (IPv6 side)
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m tcp --dport 23 -j SET --add-set ban6 src --exist
-A INPUT -m set --match-set ban6 src -j DROP
-A INPUT -m set --match-set nets6 src
-A INPUT -m set --match-set nets6 src --return-nomatch
-A INPUT -m set --match-set lowports dst
COMMIT
`;

const FW = '198.51.100.1';
const FW_IN = '192.0.2.1';
const FW6 = '2001:db8:100::1';

export function build(): Scenario & { rules6: string; ipsets: string } {
  const c = new Capture(2_000_000n);
  // Events at absolute times (seconds after the first frame), written in groups below and replayed in time order.
  const events: Array<{ at: number; add: () => void }> = [];
  let now = 0;
  const until = (sec: number): void => {
    now = sec;
  };
  const wire = (ip: Uint8Array): void => {
    events.push({ at: now, add: () => c.wire(ip) });
  };
  const wire6 = (ip: Uint8Array): void => {
    events.push({ at: now, add: () => c.wire(ip, { ...WIRE, ethertype: 0x86dd }) });
  };
  const host = (ip: Uint8Array): void => {
    events.push({ at: now, add: () => c.host(ip) });
  };
  const t = (src: string, dport: number, dst = FW): Uint8Array => ipv4({ src, dst }, tcp({ sport: 40000 + (dport % 1000), dport, flags: 'S' }));
  const u = (src: string, dport: number, dst = FW): Uint8Array => ipv4({ src, dst }, udp({ sport: 50000, dport, payload: new Uint8Array(20) }));
  const t6 = (src: string, dport: number): Uint8Array => ipv6({ src, dst: FW6 }, tcp({ sport: 41000, dport, flags: 'S' }));

  // t=0: the ban list. A probe on port 23 bans 203.0.113.66 for 4 s.
  until(0);
  wire(t('203.0.113.66', 23));
  until(0.5);
  wire(t('203.0.113.66', 80)); // banned
  // Three more probers: the set holds 3, so the third of them is not banned.
  until(1);
  wire(t('203.0.113.61', 23));
  wire(t('203.0.113.62', 23));
  wire(t('203.0.113.63', 23));
  until(1.5);
  wire(t('203.0.113.61', 80)); // banned
  wire(t('203.0.113.63', 80)); // not banned: the set was full
  // A second probe renews the ban (--exist) until 7 s.
  until(3);
  wire(t('203.0.113.66', 23));
  until(6);
  wire(t('203.0.113.66', 80)); // still banned (renewed)
  wire(t('203.0.113.61', 80)); // its ban ran out at 5 s
  until(9);
  wire(t('203.0.113.66', 80)); // the ban ran out at 7 s

  // trusted: counted by two rules per packet, from 2 packets: the second packet is over 4.
  until(0.2);
  wire(u('203.0.113.10', 9));
  wire(u('203.0.113.10', 9));
  wire(u('203.0.113.10', 9));
  until(2.2);
  wire(u('203.0.113.10', 7)); // deletes it from trusted
  wire(u('203.0.113.10', 9)); // passes
  // nets: most specific first, nomatch, --return-nomatch, counters compared without counting.
  until(2.4);
  for (const src of ['203.0.113.5', '203.0.113.130', '203.0.113.200', '198.18.0.1', '203.0.113.5']) wire(u(src, 9));
  wire(ipv4({ src: '203.0.113.5', dst: FW }, udp({ sport: 50000, dport: 9, payload: new Uint8Array(300) })));
  wire(u('203.0.113.5', 9));
  // svc, lowports and the list of svc and netsvc: TCP, UDP and ICMP by name.
  until(2.6);
  wire(t('198.51.100.20', 80));
  wire(u('198.51.100.20', 53));
  wire(ipv4({ src: '198.51.100.20', dst: FW }, icmp({ type: 8, code: 0, id: 7, seq: 1 })));
  wire(ipv4({ src: '198.51.100.20', dst: FW }, icmp({ type: 0, code: 0, id: 7, seq: 1 })));
  wire(t('198.51.100.20', 25));
  wire(u('198.51.100.20', 110));
  wire(t('198.51.100.20', 443));
  // netsvc and ifnets from the inside: 192.0.2.200 is in the nomatch /25.
  host(t('192.0.2.20', 22, FW_IN));
  host(t('192.0.2.200', 22, FW_IN));
  host(t('192.0.2.20', 23 + 1000, FW_IN));
  // Forwarded both ways: flows, ifnets by input and output device, nets by destination.
  host(t('192.0.2.10', 443, '203.0.113.50'));
  host(t('192.0.2.10', 444, '203.0.113.50'));
  host(t('192.0.2.11', 443, '203.0.113.140'));
  wire(ipv4({ src: '203.0.113.50', dst: '192.0.2.10' }, tcp({ sport: 443, dport: 40443, flags: 'SA' })));
  // blocks: .77 until 3 s (restored with timeout 3), .78 for good.
  until(1.2);
  wire(u('203.0.113.77', 9));
  wire(u('203.0.113.78', 9));
  until(5);
  wire(u('203.0.113.77', 9)); // its entry ran out
  wire(u('203.0.113.78', 9));

  // IPv6: nets6 with a nomatch /64, a SET-fed ban list (the set's timeout, 30 s), bitmap:port from ip6tables.
  until(3.2);
  wire6(t6('2001:db8:dead::5', 22));
  wire6(t6('2001:db8:dead:beef::5', 22));
  wire6(t6('2001:db8:feed::1', 25));
  wire6(t6('2001:db8:dead::6', 23)); // banned from here on
  wire6(t6('2001:db8:dead::6', 22));
  until(10);
  wire6(t6('2001:db8:dead::6', 110));
  wire6(ipv6({ src: '2001:db8:dead::7', dst: FW6 }, icmp6({ type: 128, code: 0, id: 1, seq: 1 })));

  // A late prober, banned until after the capture ends (its timeout left is saved).
  until(11);
  wire(t('203.0.113.64', 23));
  until(11.5);
  wire(t('203.0.113.64', 80));
  // Each frame at its time (frames of one time 2 ms apart, in the order written).
  events.sort((a, b) => a.at - b.at);
  let ms = 0;
  for (const e of events) {
    if (e.at * 1000 > ms) {
      c.pause(e.at * 1000 - ms);
      ms = e.at * 1000;
    }
    e.add();
    ms += 2;
  }
  return { rules, rules6, ipsets, capture: c };
}
