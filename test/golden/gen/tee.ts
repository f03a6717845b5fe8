/**
 * tee: the TEE target in both families (xt_TEE, nf_dup_ipv4, nf_dup_ipv6).
 *
 * - In mangle PREROUTING on forwarded UDP from outside: the copy goes to an
 *   inside gateway with its TTL (hop limit) one lower and DF set, out of
 *   eth1 before the packet itself; `--oif eth1` and an `--oif` no device
 *   has (it binds nothing); a packet with TTL 1 (dropped on forwarding, its
 *   copy leaves with TTL 0) and one with TTL 0 (its copy's TTL wraps to 255).
 * - In FORWARD (the TTL already decremented, no second decrement), in
 *   POSTROUTING (the copy out of eth0 while the packet leaves by eth1), in
 *   INPUT on packets to the firewall (TTL decremented), in raw OUTPUT on the
 *   firewall's own packets (no decrement), after a MARK (the copy keeps the
 *   mark), and in mangle POSTROUTING of a MASQUERADEd connection (the copy
 *   is made before nat POSTROUTING: it keeps the inside source).
 * - The copy crosses OUTPUT and POSTROUTING as the firewall's own,
 *   untracked (`--ctstate UNTRACKED` counts it, no conntrack entry is made
 *   for it, the nat table never sees it); a TEE rule it meets there counts
 *   it and sends nothing more; a filter OUTPUT rule drops the copies of one
 *   port while the packets themselves are forwarded.
 * - IPv6: PREROUTING (hop limit decremented) and FORWARD copies to the
 *   inside, and one in PREROUTING to the outside router.
 *
 * Recorded with RECORD=1: the copies and the packets are compared byte for
 * byte, in order, on both interfaces.
 */
import { ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, type Scenario } from './capture.js';

export const rules = `# cofw golden: tee (TEE's copies, IPv4)
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A OUTPUT -p udp -m udp --dport 5005 -j TEE --gateway 192.0.2.53
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i eth0 -p udp -m udp --dport 5000 -j TEE --gateway 192.0.2.50
-A PREROUTING -i eth0 -p udp -m udp --dport 5001 -j TEE --gateway 192.0.2.60 --oif eth1
-A PREROUTING -i eth0 -p udp -m udp --dport 5009 -j TEE --gateway 192.0.2.61 --oif nosuchdev
-A PREROUTING -p udp -m udp --dport 5007 -j MARK --set-xmark 0x5/0xffffffff
-A PREROUTING -p udp -m udp --dport 5007 -j TEE --gateway 192.0.2.57
-A INPUT -p udp -m udp --dport 5004 -j TEE --gateway 192.0.2.52
-A FORWARD -p udp -m udp --dport 5002 -j TEE --gateway 192.0.2.51
-A FORWARD -p udp -m udp --dport 5008 -j TEE --gateway 192.0.2.58
-A OUTPUT -m conntrack --ctstate UNTRACKED
-A OUTPUT -m mark --mark 0x5
-A POSTROUTING -p udp -m udp --dport 5003 -j TEE --gateway 198.51.100.77
-A POSTROUTING -s 192.0.2.0/24 -o eth0 -p tcp -j TEE --gateway 192.0.2.55
-A POSTROUTING -m conntrack --ctstate UNTRACKED -j TEE --gateway 192.0.2.99
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A OUTPUT -m conntrack --ctstate UNTRACKED
-A POSTROUTING -s 192.0.2.0/24 -o eth0 -j MASQUERADE
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p udp -m udp --dport 5004
-A FORWARD -m conntrack --ctstate NEW,ESTABLISHED
-A OUTPUT -m conntrack --ctstate UNTRACKED -o eth1
-A OUTPUT -m conntrack --ctstate UNTRACKED -o eth0
-A OUTPUT -p udp -m udp --dport 5008 -j DROP
-A OUTPUT -m ttl --ttl-eq 0
-A OUTPUT -m ttl --ttl-eq 255
COMMIT
`;

export const rules6 = `# cofw golden: tee (TEE's copies, IPv6)
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i eth0 -p udp -m udp --dport 5000 -j TEE --gateway 2001:db8:2::50
-A PREROUTING -i eth1 -p udp -m udp --dport 5010 -j TEE --gateway 2001:db8:100::fe
-A FORWARD -p udp -m udp --dport 5002 -j TEE --gateway 2001:db8:2::51 --oif eth1
-A OUTPUT -o eth1
-A OUTPUT -o eth0
-A POSTROUTING -j TEE --gateway 2001:db8:2::99
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A OUTPUT -m hl --hl-eq 63
-A OUTPUT -m hl --hl-eq 64
-A OUTPUT -m conntrack --ctstate UNTRACKED
COMMIT
`;

/** The oracle's topology with both families (dual-stack's). */
export const machine = `hostname: cofw-tee
interfaces:
  - name: eth0
    mac: "02:00:00:00:00:01"
    addresses: [198.51.100.1/24, 2001:db8:100::1/64]
  - name: eth1
    mac: "02:00:00:00:01:01"
    addresses: [192.0.2.1/24, 2001:db8:2::1/64]
routes:
  - to: default
    via: 198.51.100.254
    dev: eth0
  - to: default
    via: 2001:db8:100::fe
    dev: eth0
fail: closed
`;

export function build(): Scenario & { rules6: string; machine: string } {
  const c = new Capture(3_000_000n);
  const out = '203.0.113.9';
  const inside = '192.0.2.20';
  const pay = (n: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 7 + n) & 0xff);
  const udpIn = (dport: number, id: number, extra: { ttl?: number; df?: boolean } = {}): void =>
    c.wire(ipv4({ src: out, dst: inside, id, ...extra }, udp({ sport: 40000 + id, dport, payload: pay(20 + id) })));
  // PREROUTING, by gateway, with and without --oif; DF already set or not.
  udpIn(5000, 1);
  udpIn(5000, 2, { df: true });
  udpIn(5001, 3);
  udpIn(5009, 4);
  // TTL 1: the packet is dropped before FORWARD, its copy leaves with TTL 0; TTL 0: the copy's is 255.
  udpIn(5000, 5, { ttl: 1 });
  udpIn(5000, 6, { ttl: 0 });
  // FORWARD: no decrement of its own.
  udpIn(5002, 7);
  c.host(ipv4({ src: inside, dst: out, id: 8 }, udp({ sport: 40008, dport: 5002, payload: pay(30) })));
  // POSTROUTING: the copy to the outside router's subnet, the packet to the inside.
  udpIn(5003, 9);
  // To the firewall: INPUT's copy, TTL decremented.
  c.wire(ipv4({ src: out, dst: '198.51.100.1', id: 10 }, udp({ sport: 40010, dport: 5004, payload: pay(12) })));
  c.host(ipv4({ src: inside, dst: '192.0.2.1', id: 11, ttl: 1 }, udp({ sport: 40011, dport: 5004, payload: pay(12) })));
  // The firewall's own packets, copied in raw OUTPUT.
  c.local(ipv4({ src: '198.51.100.1', dst: out, id: 12 }, udp({ sport: 40012, dport: 5005, payload: pay(16) })));
  c.local(ipv4({ src: '198.51.100.1', dst: inside, id: 13 }, udp({ sport: 40013, dport: 5005, payload: pay(16) })));
  // The copy keeps the mark MARK gave the packet.
  udpIn(5007, 14);
  // Copies dropped in filter OUTPUT; the packets forwarded.
  udpIn(5008, 15);
  c.host(ipv4({ src: inside, dst: out, id: 16 }, udp({ sport: 40016, dport: 5008, payload: pay(8) })));
  // A MASQUERADEd connection copied in mangle POSTROUTING, before nat POSTROUTING translates it.
  c.host(ipv4({ src: inside, dst: out, id: 17 }, tcp({ sport: 41000, dport: 80, flags: 'S', seq: 1000 })));
  c.wire(ipv4({ src: out, dst: '198.51.100.1', id: 18 }, tcp({ sport: 80, dport: 41000, flags: 'SA', seq: 7000, ack: 1001 })));
  c.host(ipv4({ src: inside, dst: out, id: 19 }, tcp({ sport: 41000, dport: 80, flags: 'A', seq: 1001, ack: 7001 })));
  c.host(ipv4({ src: inside, dst: out, id: 20 }, tcp({ sport: 41000, dport: 80, flags: 'PA', seq: 1001, ack: 7001, payload: pay(40) })));
  // A packet not copied, for contrast.
  udpIn(6000, 21);

  const out6 = '2001:db8:300::9';
  const in6 = '2001:db8:2::20';
  c.wire6(ipv6({ src: out6, dst: in6 }, udp({ sport: 41001, dport: 5000, payload: pay(24) })));
  c.wire6(ipv6({ src: out6, dst: in6, hopLimit: 1 }, udp({ sport: 41002, dport: 5000, payload: pay(24) })));
  c.wire6(ipv6({ src: out6, dst: in6, flowLabel: 0x12345 }, udp({ sport: 41003, dport: 5002, payload: pay(24) })));
  c.host6(ipv6({ src: in6, dst: out6 }, udp({ sport: 41004, dport: 5010, payload: pay(24) })));
  c.wire6(ipv6({ src: out6, dst: in6 }, udp({ sport: 41005, dport: 6000, payload: pay(24) })));
  return { rules, rules6, machine, capture: c };
}
