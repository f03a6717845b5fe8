/**
 * connlabel: connection labels set by `-m connlabel --set` on some
 * connections (by port and interface, in mangle PREROUTING, and on the
 * firewall's own traffic in OUTPUT) and tested later in FORWARD, INPUT and
 * OUTPUT, plain and inverted, on forwarded TCP, UDP and ICMP flows of both
 * families; `! --label N --set` sets the bit but never matches; an
 * untracked flow (raw NOTRACK) has no labels, so only inverted tests match
 * it. The labels show in the rules' counters (conntrack -L does not list
 * them).
 */
import { icmp, icmp6, ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, DUAL_STACK_MACHINE, payload, type Scenario } from './capture.js';

const TABLES = (icmpName: string) => `*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i eth1 -p tcp -m tcp --dport 22 -m connlabel --label 1 --set
-A PREROUTING -p udp -m udp --dport 53 -m connlabel ! --label 2 --set
-A PREROUTING -i eth0 -p ${icmpName} -m connlabel --label 127 --set
-A PREROUTING -p udp -m udp --dport 5353 -m connlabel --label 0x10 --set
-A OUTPUT -p udp -m connlabel --label 64 --set
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m connlabel --label 16
-A INPUT -m connlabel ! --label 16
-A INPUT -m connlabel --label 64
-A FORWARD -m connlabel --label 1
-A FORWARD -m connlabel ! --label 1
-A FORWARD -m connlabel --label 2
-A FORWARD -m connlabel ! --label 2
-A FORWARD -m connlabel --label 127
-A FORWARD -m connlabel ! --label 127
-A FORWARD -m connlabel --label 0
-A FORWARD -m connlabel ! --label 0 --set
-A FORWARD -m connlabel --label 0
-A FORWARD -p udp -m udp --dport 9999 -m connlabel --label 3 --set
-A FORWARD -m connlabel --label 1 -j ACCEPT
-A FORWARD -m connlabel --label 2 -m conntrack --ctstate ESTABLISHED -j DROP
-A OUTPUT -m connlabel --label 64
-A OUTPUT -m connlabel --label 16
COMMIT
`;

export const rules = `# cofw golden: connlabel (IPv4 side)
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp -m udp --dport 9999 -j NOTRACK
COMMIT
${TABLES('icmp')}`;

export const rules6 = `# cofw golden: connlabel (IPv6 side)
${TABLES('ipv6-icmp')}`;

const OUT = '203.0.113.10';
const IN = '192.0.2.10';
const FW = '198.51.100.1';
const OUT6 = '2001:db8:99::5';
const IN6 = '2001:db8:2::10';
const FW6 = '2001:db8:100::1';

export function build(): Scenario & { rules6: string; machine: string } {
  const c = new Capture(3_000_000n);

  // SSH out from the inside (label 1 from its first packet), and its replies.
  c.host(ipv4({ src: IN, dst: OUT }, tcp({ sport: 40000, dport: 22, flags: 'S', seq: 1 })));
  c.wire(ipv4({ src: OUT, dst: IN }, tcp({ sport: 22, dport: 40000, flags: 'SA', seq: 100, ack: 2 })));
  c.host(ipv4({ src: IN, dst: OUT }, tcp({ sport: 40000, dport: 22, flags: 'A', seq: 2, ack: 101 })));
  c.wire(ipv4({ src: OUT, dst: IN }, tcp({ sport: 22, dport: 40000, flags: 'PA', seq: 101, ack: 2, payload: payload(40) })));
  // SSH in from the outside: not labelled (the label is set on eth1 only).
  c.wire(ipv4({ src: OUT, dst: IN }, tcp({ sport: 41000, dport: 22, flags: 'S', seq: 1 })));
  c.host(ipv4({ src: IN, dst: OUT }, tcp({ sport: 22, dport: 41000, flags: 'SA', seq: 100, ack: 2 })));
  // DNS: label 2 set by the inverted rule; the answer (ESTABLISHED) is then dropped.
  c.host(ipv4({ src: IN, dst: '203.0.113.53' }, udp({ sport: 43000, dport: 53, payload: payload(30) })));
  c.wire(ipv4({ src: '203.0.113.53', dst: IN }, udp({ sport: 53, dport: 43000, payload: payload(60) })));
  c.host(ipv4({ src: IN, dst: '203.0.113.53' }, udp({ sport: 43000, dport: 53, payload: payload(30) })));
  // Pings from the outside: label 127.
  for (let i = 0; i < 2; i++) {
    c.wire(ipv4({ src: OUT, dst: IN }, icmp({ type: 8, id: 7, seq: i, payload: payload(16) })));
    c.host(ipv4({ src: IN, dst: OUT }, icmp({ type: 0, id: 7, seq: i, payload: payload(16) })));
  }
  // Untracked: no labels; the --set in FORWARD cannot set one.
  for (let i = 0; i < 2; i++) c.wire(ipv4({ src: OUT, dst: IN }, udp({ sport: 46000, dport: 9999, payload: payload(10) })));
  // To the firewall (label 16), and the firewall's own datagrams (label 64 in OUTPUT), and replies.
  for (let i = 0; i < 2; i++) c.wire(ipv4({ src: '203.0.113.20', dst: FW }, udp({ sport: 47000, dport: 5353, payload: payload(10) })));
  c.local(ipv4({ src: FW, dst: '203.0.113.20' }, udp({ sport: 5353, dport: 47000, payload: payload(10) })));
  c.local(ipv4({ src: FW, dst: '203.0.113.21' }, udp({ sport: 6000, dport: 6000, payload: payload(10) })));
  c.wire(ipv4({ src: '203.0.113.21', dst: FW }, udp({ sport: 6000, dport: 6000, payload: payload(10) })));

  // IPv6.
  c.host6(ipv6({ src: IN6, dst: OUT6 }, tcp({ sport: 40000, dport: 22, flags: 'S', seq: 1 })));
  c.wire6(ipv6({ src: OUT6, dst: IN6 }, tcp({ sport: 22, dport: 40000, flags: 'SA', seq: 100, ack: 2 })));
  c.host6(ipv6({ src: IN6, dst: OUT6 }, tcp({ sport: 40000, dport: 22, flags: 'A', seq: 2, ack: 101 })));
  c.host6(ipv6({ src: IN6, dst: OUT6 }, udp({ sport: 43000, dport: 53, payload: payload(30) })));
  c.wire6(ipv6({ src: OUT6, dst: IN6 }, udp({ sport: 53, dport: 43000, payload: payload(60) })));
  for (let i = 0; i < 2; i++) {
    c.wire6(ipv6({ src: OUT6, dst: IN6 }, icmp6({ type: 128, id: 5, seq: i, payload: payload(16) })));
    c.host6(ipv6({ src: IN6, dst: OUT6 }, icmp6({ type: 129, id: 5, seq: i, payload: payload(16) })));
  }
  c.wire6(ipv6({ src: OUT6, dst: FW6 }, udp({ sport: 47000, dport: 5353, payload: payload(10) })));
  return { rules, rules6, machine: DUAL_STACK_MACHINE, capture: c };
}
