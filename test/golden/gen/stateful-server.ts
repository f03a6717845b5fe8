/**
 * stateful-server: a hand-written stateful server firewall: ESTABLISHED and
 * RELATED first, INVALID dropped, SSH brute force stopped by `recent`, web
 * connections rate-limited per source by `hashlimit`, pings by `limit`, and
 * LOG/REJECT for the rest; traffic with handshakes, data, teardown, resets,
 * retransmitted SYNs, bursts from one source, and a RELATED ICMP error.
 */
import { icmp, ipv4, tcp, udp } from '../../../src/packet/build.js';
import { Capture, payload, type Scenario } from './capture.js';

export const rules = `# cofw golden: stateful-server (conntrack, recent, hashlimit, limit)
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:ssh - [0:0]
:web - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m conntrack --ctstate INVALID -j DROP
-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -j ssh
-A INPUT -p tcp -m multiport --dports 80,443 -m conntrack --ctstate NEW -j web
-A INPUT -p icmp -m icmp --icmp-type 8 -m limit --limit 5/sec --limit-burst 3 -j ACCEPT
-A INPUT -p udp -j REJECT --reject-with icmp-port-unreachable
-A INPUT -p tcp -j REJECT --reject-with tcp-reset
-A ssh -m recent --set --name ssh --rsource
-A ssh -m recent --update --seconds 60 --hitcount 4 --name ssh --rsource -j LOG --log-prefix "ssh-flood: "
-A ssh -m recent --rcheck --seconds 60 --hitcount 4 --name ssh --rsource -j DROP
-A ssh -j ACCEPT
-A web -m hashlimit --hashlimit-upto 4/sec --hashlimit-burst 4 --hashlimit-mode srcip --hashlimit-name web -j ACCEPT
-A web -j DROP
-A OUTPUT -m conntrack --ctstate INVALID -j DROP
COMMIT
`;

const FW = '198.51.100.1';

function connect(c: Capture, client: string, sport: number, dport: number, opts: { data?: boolean; reset?: boolean; answered?: boolean } = {}): void {
  const iss = 7000 + sport;
  const fss = 90000 + sport;
  c.wire(ipv4({ src: client, dst: FW }, tcp({ sport, dport, flags: 'S', seq: iss })));
  if (opts.answered === false) return;
  c.local(ipv4({ src: FW, dst: client }, tcp({ sport: dport, dport: sport, flags: 'SA', seq: fss, ack: iss + 1 })));
  c.wire(ipv4({ src: client, dst: FW }, tcp({ sport, dport, flags: 'A', seq: iss + 1, ack: fss + 1 })));
  if (opts.data) {
    c.wire(ipv4({ src: client, dst: FW }, tcp({ sport, dport, flags: 'PA', seq: iss + 1, ack: fss + 1, payload: payload(100) })));
    c.local(ipv4({ src: FW, dst: client }, tcp({ sport: dport, dport: sport, flags: 'PA', seq: fss + 1, ack: iss + 101, payload: payload(300, 0x62) })));
  }
  if (opts.reset) {
    c.wire(ipv4({ src: client, dst: FW }, tcp({ sport, dport, flags: 'R', seq: iss + (opts.data ? 101 : 1) })));
  } else if (opts.data) {
    c.wire(ipv4({ src: client, dst: FW }, tcp({ sport, dport, flags: 'FA', seq: iss + 101, ack: fss + 301 })));
    c.local(ipv4({ src: FW, dst: client }, tcp({ sport: dport, dport: sport, flags: 'FA', seq: fss + 301, ack: iss + 102 })));
    c.wire(ipv4({ src: client, dst: FW }, tcp({ sport, dport, flags: 'A', seq: iss + 102, ack: fss + 302 })));
  }
}

export function build(): Scenario {
  const c = new Capture(4_000_000n);
  // SSH: a normal session, then a flood from one source (the 4th and later new connections in 60 s are dropped).
  connect(c, '203.0.113.10', 50000, 22, { data: true });
  for (let i = 0; i < 7; i++) connect(c, '203.0.113.66', 51000 + i, 22, { answered: i < 3, reset: i === 1 });
  // A retransmitted SYN from a dropped flood connection: still NEW, still dropped.
  c.wire(ipv4({ src: '203.0.113.66', dst: FW }, tcp({ sport: 51006, dport: 22, flags: 'S', seq: 7000 + 51006 })));
  // Web: one source bursts 10 connections (hashlimit lets 4 through), another stays under the limit.
  for (let i = 0; i < 10; i++) connect(c, '203.0.113.20', 52000 + i, i % 2 ? 443 : 80, { answered: i < 4 });
  for (let i = 0; i < 3; i++) connect(c, '203.0.113.21', 53000 + i, 443, { data: true });
  // Pings: a burst of 6 (limit: burst 3), then a later one after the bucket refilled.
  for (let i = 0; i < 6; i++) c.wire(ipv4({ src: '203.0.113.30', dst: FW }, icmp({ type: 8, id: 9, seq: i, payload: payload(56) })));
  c.pause(700);
  c.wire(ipv4({ src: '203.0.113.30', dst: FW }, icmp({ type: 8, id: 9, seq: 6, payload: payload(56) })));
  // Closed ports: REJECTed (the replies go out through OUTPUT, RELATED).
  c.wire(ipv4({ src: '203.0.113.31', dst: FW }, udp({ sport: 5000, dport: 161, payload: payload(30) })));
  c.wire(ipv4({ src: '203.0.113.31', dst: FW }, tcp({ sport: 5001, dport: 23, flags: 'S', seq: 1 })));
  // Out of state: an ACK to nowhere (picked up loosely? no: INPUT drops NEW non-SYN as it matches no rule), a SYN-ACK (INVALID).
  c.wire(ipv4({ src: '203.0.113.32', dst: FW }, tcp({ sport: 5002, dport: 80, flags: 'A', seq: 1, ack: 1 })));
  c.wire(ipv4({ src: '203.0.113.33', dst: FW }, tcp({ sport: 5003, dport: 22, flags: 'SA', seq: 1, ack: 1 })));
  // The server's own query, and an ICMP error about it: RELATED.
  c.local(ipv4({ src: FW, dst: '203.0.113.53' }, udp({ sport: 34000, dport: 53, payload: payload(30) })));
  const quoted = ipv4({ src: FW, dst: '203.0.113.53' }, udp({ sport: 34000, dport: 53, payload: payload(30) }));
  c.wire(ipv4({ src: '203.0.113.54', dst: FW }, icmp({ type: 3, code: 1, payload: quoted.subarray(0, 28) })));
  return { rules, capture: c };
}
