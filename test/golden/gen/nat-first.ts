/**
 * nat-first: the nat table sees only the first packet of each connection,
 * once on the way in (PREROUTING or OUTPUT) and once on the way out (INPUT
 * or POSTROUTING); later packets, replies, untracked and invalid packets
 * never. A first packet dropped later leaves its connection unconfirmed, so
 * the next packet is first again. (No NAT targets: only counting, LOG and
 * jumps in the nat table.)
 */
import { icmp, ipv4, tcp, udp } from '../../../src/packet/build.js';
import { Capture, payload, type Scenario } from './capture.js';

export const rules = `# cofw golden: nat-first (the nat table sees first packets only)
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp -m udp --dport 9999 -j CT --notrack
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:count-in - [0:0]
-A PREROUTING -j count-in
-A PREROUTING -p tcp
-A INPUT -p tcp -m tcp --dport 22
-A OUTPUT -p udp
-A POSTROUTING -o eth0
-A POSTROUTING -o eth1 -j RETURN
-A count-in -p icmp
-A count-in -p udp -j RETURN
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -p udp -m udp --dport 9999 -j ACCEPT
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i eth1 -j ACCEPT
-A FORWARD -p tcp -m tcp --dport 80 -m conntrack --ctstate NEW -j ACCEPT
COMMIT
`;

export function build(): Scenario {
  const c = new Capture(3_000_000n);
  // Forwarded TCP from the inside, with its replies: nat sees the SYN twice (in, out).
  for (let n = 0; n < 3; n++) {
    const sport = 40000 + n;
    const cl = '192.0.2.10';
    const sv = `203.0.113.${5 + n}`;
    c.host(ipv4({ src: cl, dst: sv }, tcp({ sport, dport: 443, flags: 'S', seq: 100 })));
    c.wire(ipv4({ src: sv, dst: cl }, tcp({ sport: 443, dport: sport, flags: 'SA', seq: 900, ack: 101 })));
    c.host(ipv4({ src: cl, dst: sv }, tcp({ sport, dport: 443, flags: 'A', seq: 101, ack: 901 })));
    c.host(ipv4({ src: cl, dst: sv }, tcp({ sport, dport: 443, flags: 'PA', seq: 101, ack: 901, payload: payload(50) })));
    c.wire(ipv4({ src: sv, dst: cl }, tcp({ sport: 443, dport: sport, flags: 'A', seq: 901, ack: 151 })));
  }
  // From the outside to port 80 inside (accepted when NEW) and 8080 (dropped: first again each time).
  c.wire(ipv4({ src: '203.0.113.20', dst: '192.0.2.10' }, tcp({ sport: 41000, dport: 80, flags: 'S', seq: 5 })));
  for (let i = 0; i < 3; i++) c.wire(ipv4({ src: '203.0.113.21', dst: '192.0.2.10' }, tcp({ sport: 41001, dport: 8080, flags: 'S', seq: 5 })));
  // To the firewall: SSH (INPUT nat once), pings (count-in), untracked UDP (never nat).
  c.wire(ipv4({ src: '203.0.113.30', dst: '198.51.100.1' }, tcp({ sport: 42000, dport: 22, flags: 'S', seq: 7 })));
  c.local(ipv4({ src: '198.51.100.1', dst: '203.0.113.30' }, tcp({ sport: 22, dport: 42000, flags: 'SA', seq: 70, ack: 8 })));
  c.wire(ipv4({ src: '203.0.113.30', dst: '198.51.100.1' }, tcp({ sport: 42000, dport: 22, flags: 'A', seq: 8, ack: 71 })));
  for (let i = 0; i < 2; i++) {
    c.wire(ipv4({ src: '203.0.113.31', dst: '198.51.100.1' }, icmp({ type: 8, id: 3, seq: i })));
    c.local(ipv4({ src: '198.51.100.1', dst: '203.0.113.31' }, icmp({ type: 0, id: 3, seq: i })));
  }
  for (let i = 0; i < 3; i++) c.wire(ipv4({ src: '203.0.113.32', dst: '198.51.100.1' }, udp({ sport: 5000, dport: 9999, payload: payload(20) })));
  // Locally generated UDP (OUTPUT nat, then POSTROUTING nat) and its reply.
  c.local(ipv4({ src: '198.51.100.1', dst: '203.0.113.53' }, udp({ sport: 33000, dport: 53, payload: payload(30) })));
  c.wire(ipv4({ src: '203.0.113.53', dst: '198.51.100.1' }, udp({ sport: 53, dport: 33000, payload: payload(60) })));
  c.local(ipv4({ src: '198.51.100.1', dst: '203.0.113.53' }, udp({ sport: 33000, dport: 53, payload: payload(30) })));
  // An invalid segment (a SYN-ACK for nothing): no nat.
  c.wire(ipv4({ src: '203.0.113.40', dst: '192.0.2.10' }, tcp({ sport: 443, dport: 43000, flags: 'SA', seq: 1, ack: 1 })));
  return { rules, capture: c };
}
