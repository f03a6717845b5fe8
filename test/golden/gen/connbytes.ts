/**
 * connbytes: `-m connbytes` in every mode (packets, bytes, avgpkt) and
 * direction (original, reply, both), with closed, open-ended and inverted
 * ranges, over forwarded TCP, UDP and ICMP connections of both families,
 * traffic to and from the firewall, an untracked flow (never matches, even
 * inverted) and a flow whose large packets are dropped once their average
 * passes a size (conntrack counted them before the filter table dropped
 * them). The rule makes the kernel turn connection accounting on, so
 * kernel.conntrack lists every entry's packets= and bytes= per direction.
 */
import { icmp, icmp6, ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, DUAL_STACK_MACHINE, payload, type Scenario } from './capture.js';

const COUNTING = `-A FORWARD -m connbytes --connbytes 1:1 --connbytes-dir original --connbytes-mode packets
-A FORWARD -m connbytes --connbytes 2:3 --connbytes-dir original --connbytes-mode packets
-A FORWARD -m connbytes --connbytes 4 --connbytes-dir both --connbytes-mode packets
-A FORWARD -m connbytes ! --connbytes 2 --connbytes-dir reply --connbytes-mode packets
-A FORWARD -m connbytes --connbytes 0:0 --connbytes-dir reply --connbytes-mode packets
-A FORWARD -m connbytes ! --connbytes 5:5 --connbytes-dir both --connbytes-mode packets
-A FORWARD -m connbytes --connbytes 100:300 --connbytes-dir original --connbytes-mode bytes
-A FORWARD -m connbytes ! --connbytes 200:1000 --connbytes-dir both --connbytes-mode bytes
-A FORWARD -m connbytes --connbytes 500: --connbytes-dir reply --connbytes-mode bytes
-A FORWARD -m connbytes --connbytes :60 --connbytes-dir both --connbytes-mode avgpkt
-A FORWARD -m connbytes --connbytes 61:200 --connbytes-dir original --connbytes-mode avgpkt
-A FORWARD -m connbytes --connbytes 0 --connbytes-dir reply --connbytes-mode avgpkt
-A FORWARD -m connbytes ! --connbytes 0:100 --connbytes-dir reply --connbytes-mode avgpkt
-A FORWARD -p udp -m udp --dport 7000 -m connbytes --connbytes 400: --connbytes-dir original --connbytes-mode avgpkt -j DROP
-A INPUT -m connbytes --connbytes 2: --connbytes-dir original --connbytes-mode packets
-A INPUT -m connbytes ! --connbytes 0:1000000 --connbytes-dir both --connbytes-mode bytes
-A INPUT -m connbytes --connbytes 0 --connbytes-dir both --connbytes-mode packets
-A OUTPUT -m connbytes --connbytes 1:2 --connbytes-dir reply --connbytes-mode packets
-A OUTPUT -m connbytes --connbytes 0 --connbytes-dir original --connbytes-mode avgpkt
`;

export const rules = `# cofw golden: connbytes (IPv4 side)
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp -m udp --dport 9999 -j NOTRACK
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${COUNTING}COMMIT
`;

export const rules6 = `# cofw golden: connbytes (IPv6 side)
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${COUNTING}COMMIT
`;

const FW = '198.51.100.1';
const OUT = '203.0.113.10';
const IN = '192.0.2.10';
const OUT6 = '2001:db8:99::5';
const IN6 = '2001:db8:2::10';
const FW6 = '2001:db8:100::1';

export function build(): Scenario & { rules6: string; machine: string } {
  const c = new Capture(3_000_000n);

  // A forwarded TCP connection from the inside: handshake, data both ways of growing sizes, FIN.
  c.host(ipv4({ src: IN, dst: OUT }, tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1000 })));
  c.wire(ipv4({ src: OUT, dst: IN }, tcp({ sport: 80, dport: 40000, flags: 'SA', seq: 5000, ack: 1001 })));
  c.host(ipv4({ src: IN, dst: OUT }, tcp({ sport: 40000, dport: 80, flags: 'A', seq: 1001, ack: 5001 })));
  c.host(ipv4({ src: IN, dst: OUT }, tcp({ sport: 40000, dport: 80, flags: 'PA', seq: 1001, ack: 5001, payload: payload(100) })));
  c.wire(ipv4({ src: OUT, dst: IN }, tcp({ sport: 80, dport: 40000, flags: 'A', seq: 5001, ack: 1101 })));
  let seq = 5001;
  for (const n of [300, 700, 1200]) {
    c.wire(ipv4({ src: OUT, dst: IN }, tcp({ sport: 80, dport: 40000, flags: 'PA', seq, ack: 1101, payload: payload(n, 0x62) })));
    seq += n;
    c.host(ipv4({ src: IN, dst: OUT }, tcp({ sport: 40000, dport: 80, flags: 'A', seq: 1101, ack: seq })));
  }
  c.host(ipv4({ src: IN, dst: OUT }, tcp({ sport: 40000, dport: 80, flags: 'FA', seq: 1101, ack: seq })));
  c.wire(ipv4({ src: OUT, dst: IN }, tcp({ sport: 80, dport: 40000, flags: 'FA', seq, ack: 1102 })));
  c.host(ipv4({ src: IN, dst: OUT }, tcp({ sport: 40000, dport: 80, flags: 'A', seq: 1102, ack: seq + 1 })));

  // UDP with replies: small queries, one large answer.
  for (let i = 0; i < 3; i++) {
    c.host(ipv4({ src: IN, dst: '203.0.113.53' }, udp({ sport: 43000, dport: 53, payload: payload(20 + i * 10) })));
    c.wire(ipv4({ src: '203.0.113.53', dst: IN }, udp({ sport: 53, dport: 43000, payload: payload(i === 2 ? 900 : 60) })));
  }
  // One-way UDP: no reply, so the reply counters stay 0.
  for (let i = 0; i < 3; i++) c.host(ipv4({ src: IN, dst: '203.0.113.60' }, udp({ sport: 44000, dport: 514, payload: payload(40) })));
  // Growing UDP datagrams: dropped once the original direction's average reaches 400 bytes (still counted by conntrack).
  for (const n of [100, 500, 900, 1300, 200]) c.wire(ipv4({ src: OUT, dst: IN }, udp({ sport: 45000, dport: 7000, payload: payload(n) })));
  // Pings through, with replies.
  for (let i = 0; i < 3; i++) {
    c.wire(ipv4({ src: OUT, dst: IN }, icmp({ type: 8, id: 77, seq: i, payload: payload(56) })));
    c.host(ipv4({ src: IN, dst: OUT }, icmp({ type: 0, id: 77, seq: i, payload: payload(56) })));
  }
  // Untracked (raw NOTRACK): no entry, no counters; connbytes never matches, inverted or not.
  for (let i = 0; i < 2; i++) c.wire(ipv4({ src: OUT, dst: IN }, udp({ sport: 46000, dport: 9999, payload: payload(30) })));
  // To the firewall: UDP datagrams (INPUT), and the firewall's own datagrams out (OUTPUT).
  for (let i = 0; i < 3; i++) c.wire(ipv4({ src: '203.0.113.20', dst: FW }, udp({ sport: 47000, dport: 5353, payload: payload(10 + 200 * i) })));
  for (let i = 0; i < 3; i++) c.local(ipv4({ src: FW, dst: '203.0.113.20' }, udp({ sport: 5353, dport: 47000, payload: payload(30) })));
  for (let i = 0; i < 2; i++) c.local(ipv4({ src: FW, dst: '203.0.113.21' }, udp({ sport: 6000, dport: 6000, payload: payload(300) })));

  // IPv6: a forwarded TCP connection, UDP both ways, pings, traffic to the firewall.
  c.host6(ipv6({ src: IN6, dst: OUT6 }, tcp({ sport: 40000, dport: 443, flags: 'S', seq: 1 })));
  c.wire6(ipv6({ src: OUT6, dst: IN6 }, tcp({ sport: 443, dport: 40000, flags: 'SA', seq: 500, ack: 2 })));
  c.host6(ipv6({ src: IN6, dst: OUT6 }, tcp({ sport: 40000, dport: 443, flags: 'A', seq: 2, ack: 501 })));
  c.host6(ipv6({ src: IN6, dst: OUT6 }, tcp({ sport: 40000, dport: 443, flags: 'PA', seq: 2, ack: 501, payload: payload(200) })));
  c.wire6(ipv6({ src: OUT6, dst: IN6 }, tcp({ sport: 443, dport: 40000, flags: 'PA', seq: 501, ack: 202, payload: payload(1000, 0x63) })));
  c.host6(ipv6({ src: IN6, dst: OUT6 }, tcp({ sport: 40000, dport: 443, flags: 'A', seq: 202, ack: 1501 })));
  for (let i = 0; i < 2; i++) {
    c.host6(ipv6({ src: IN6, dst: OUT6 }, udp({ sport: 43000, dport: 53, payload: payload(30) })));
    c.wire6(ipv6({ src: OUT6, dst: IN6 }, udp({ sport: 53, dport: 43000, payload: payload(300) })));
  }
  for (const n of [100, 600, 1100]) c.wire6(ipv6({ src: OUT6, dst: IN6 }, udp({ sport: 45000, dport: 7000, payload: payload(n) })));
  for (let i = 0; i < 2; i++) {
    c.wire6(ipv6({ src: OUT6, dst: IN6 }, icmp6({ type: 128, id: 5, seq: i, payload: payload(16) })));
    c.host6(ipv6({ src: IN6, dst: OUT6 }, icmp6({ type: 129, id: 5, seq: i, payload: payload(16) })));
  }
  for (let i = 0; i < 3; i++) c.wire6(ipv6({ src: OUT6, dst: FW6 }, udp({ sport: 47000, dport: 5353, payload: payload(50 * i) })));
  return { rules, rules6, machine: DUAL_STACK_MACHINE, capture: c };
}
