/**
 * zones: conntrack zones set by `CT --zone` in the raw table. The same
 * flows (identical tuples) in zones 0, 1 and 2 chosen by the DSCP they
 * carry, each its own entry, masqueraded to the same address and port (NAT
 * keeps tuples unique per zone), their replies found only in their own
 * zone (a reply in the wrong zone is INVALID); `--zone-orig` and
 * `--zone-reply` (a zone for one direction only), `--zone mark` (the zone
 * is the packet's mark, set by MARK just before), the first CT target a
 * packet meets deciding (a later CT, or CT --notrack, changes nothing),
 * ICMP errors RELATED only in their flow's zone, a ping of the firewall's
 * own in zone 6 (raw OUTPUT), and an IPv6 flow in zones 0 and 1.
 */
import { icmp, ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, payload, type Scenario } from './capture.js';

export const rules = `# cofw golden: zones (IPv4)
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -m dscp --dscp 0x0a -j CT --zone 1
-A PREROUTING -m dscp --dscp 0x0c -j CT --zone 2
-A PREROUTING -m dscp --dscp 0x0e -j CT --zone 2
-A PREROUTING -m dscp --dscp 0x0e -j CT --zone 3
-A PREROUTING -i eth1 -p udp -m udp --dport 7777 -j CT --zone-orig 5
-A PREROUTING -i eth1 -p udp -m udp --dport 7778 -j CT --zone-reply 6
-A PREROUTING -i eth0 -p udp -m udp --sport 7778 -j CT --zone-reply 6
-A PREROUTING -p udp -m udp --dport 8888 -j MARK --set-xmark 0x2a/0xffffffff
-A PREROUTING -p udp -m udp --sport 8888 -j MARK --set-xmark 0x1002a/0xffffffff
-A PREROUTING -p udp -m multiport --ports 8888 -j CT --zone mark
-A PREROUTING -p udp -m udp --dport 9 -j CT --zone 4
-A PREROUTING -p udp -m udp --dport 9 -j CT --notrack
-A PREROUTING -p udp -m udp --dport 10 -j CT --notrack
-A PREROUTING -p udp -m udp --dport 10 -j CT --zone 4
-A PREROUTING -p icmp -m icmp --icmp-type 0 -j CT --zone 6
-A OUTPUT -p icmp -j CT --zone 6
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -s 192.0.2.0/24 -o eth0 -j MASQUERADE
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctstate INVALID
-A INPUT -m conntrack --ctstate NEW
-A INPUT -m conntrack --ctstate ESTABLISHED
-A INPUT -m state --state UNTRACKED
-A FORWARD -m conntrack --ctstate INVALID
-A FORWARD -m conntrack --ctstate NEW
-A FORWARD -m conntrack --ctstate ESTABLISHED
-A FORWARD -m conntrack --ctstate RELATED
-A FORWARD -m dscp --dscp 0x0a -m conntrack --ctstate ESTABLISHED
-A FORWARD -m dscp --dscp 0x0c -m conntrack --ctstate ESTABLISHED
-A FORWARD -m dscp --dscp 0x00 -m conntrack --ctstate NEW
-A FORWARD -m conntrack --ctstate SNAT
-A FORWARD -m conntrack --ctdir REPLY
-A FORWARD -m state --state UNTRACKED
-A FORWARD -m conntrack --ctstate INVALID -j DROP
-A OUTPUT -m conntrack --ctstate NEW
COMMIT
`;

export const rules6 = `# cofw golden: zones (IPv6)
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -m dscp --dscp 0x0a -j CT --zone 1
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m conntrack --ctstate NEW
-A FORWARD -m conntrack --ctstate ESTABLISHED
-A FORWARD -m conntrack --ctstate INVALID
COMMIT
`;

/** IPv4 TOS byte for a DSCP. */
const tos = (dscp: number): number => dscp << 2;
const FW = '198.51.100.1';
const SV = '203.0.113.5';

export function build(): Scenario & { rules6: string } {
  const c = new Capture(3_000_000n);
  // The same TCP connection in zones 0, 1 and 2: three entries, all masqueraded to FW:40000.
  for (const dscp of [0, 10, 12]) {
    c.host(ipv4({ src: '192.0.2.10', dst: SV, tos: tos(dscp) }, tcp({ sport: 40000, dport: 80, flags: 'S', seq: 100 })));
    c.wire(ipv4({ src: SV, dst: FW, tos: tos(dscp) }, tcp({ sport: 80, dport: 40000, flags: 'SA', seq: 900, ack: 101 })));
    c.host(ipv4({ src: '192.0.2.10', dst: SV, tos: tos(dscp) }, tcp({ sport: 40000, dport: 80, flags: 'A', seq: 101, ack: 901 })));
  }
  // A connection in zone 1 only: its reply in zone 0 finds nothing (INVALID), then in zone 1.
  c.host(ipv4({ src: '192.0.2.11', dst: SV, tos: tos(10) }, tcp({ sport: 41000, dport: 80, flags: 'S', seq: 100 })));
  c.wire(ipv4({ src: SV, dst: FW }, tcp({ sport: 80, dport: 41000, flags: 'SA', seq: 900, ack: 101 })));
  c.wire(ipv4({ src: SV, dst: FW, tos: tos(10) }, tcp({ sport: 80, dport: 41000, flags: 'SA', seq: 900, ack: 101 })));
  // The first CT target decides: DSCP 14 is zone 2, not 3.
  c.host(ipv4({ src: '192.0.2.14', dst: SV, tos: tos(14) }, udp({ sport: 6001, dport: 53, payload: payload(20) })));
  // --zone-orig 5: the reply comes back in zone 0 and finds it.
  c.host(ipv4({ src: '192.0.2.12', dst: SV }, udp({ sport: 5000, dport: 7777, payload: payload(10) })));
  c.wire(ipv4({ src: SV, dst: FW }, udp({ sport: 7777, dport: 5000, payload: payload(10) })));
  // --zone-reply 6: the original in zone 0, the reply only in zone 6 (one without the zone is new).
  c.host(ipv4({ src: '192.0.2.12', dst: SV }, udp({ sport: 5001, dport: 7778, payload: payload(10) })));
  c.wire(ipv4({ src: SV, dst: FW }, udp({ sport: 7778, dport: 5001, payload: payload(10) })));
  c.host(ipv4({ src: '192.0.2.12', dst: SV }, udp({ sport: 5002, dport: 7779, payload: payload(10) })));
  // --zone mark: 0x2a one way; the reply's mark 0x1002a is zone 42 as well (16 bits).
  c.host(ipv4({ src: '192.0.2.13', dst: SV }, udp({ sport: 6000, dport: 8888, payload: payload(10) })));
  c.wire(ipv4({ src: SV, dst: FW }, udp({ sport: 8888, dport: 6000, payload: payload(10) })));
  // CT --zone before CT --notrack: tracked in zone 4; the other order: untracked.
  c.host(ipv4({ src: '192.0.2.16', dst: SV }, udp({ sport: 6002, dport: 9, payload: payload(10) })));
  c.host(ipv4({ src: '192.0.2.16', dst: SV }, udp({ sport: 6003, dport: 10, payload: payload(10) })));
  // ICMP errors about a zone-1 flow: RELATED in zone 1, INVALID in zone 0.
  const q = ipv4({ src: FW, dst: SV, tos: tos(10) }, udp({ sport: 5353, dport: 53, payload: payload(30) }));
  c.host(ipv4({ src: '192.0.2.15', dst: SV, tos: tos(10) }, udp({ sport: 5353, dport: 53, payload: payload(30) })));
  c.wire(ipv4({ src: SV, dst: FW, tos: tos(10) }, icmp({ type: 3, code: 3, payload: q.subarray(0, 28) })));
  c.wire(ipv4({ src: SV, dst: FW }, icmp({ type: 3, code: 3, payload: q.subarray(0, 28) })));
  // The firewall's own ping, in zone 6 both ways.
  c.local(ipv4({ src: FW, dst: SV }, icmp({ type: 8, id: 77, seq: 1, payload: payload(16) })));
  c.wire(ipv4({ src: SV, dst: FW }, icmp({ type: 0, id: 77, seq: 1, payload: payload(16) })));
  // IPv6: one UDP flow in zones 0 and 1, replies in each.
  for (const dscp of [0, 10]) {
    c.host6(ipv6({ src: '2001:db8:2::10', dst: '2001:db8:99::5', trafficClass: tos(dscp) }, udp({ sport: 5000, dport: 53, payload: payload(20) })));
    c.wire6(ipv6({ src: '2001:db8:99::5', dst: '2001:db8:2::10', trafficClass: tos(dscp) }, udp({ sport: 53, dport: 5000, payload: payload(20) })));
  }
  return { rules, rules6, capture: c };
}
