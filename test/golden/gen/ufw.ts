/**
 * ufw: the rule set ufw itself wrote (ufw 0.36 on Debian, in a network
 * namespace: `ufw enable; ufw allow 22/tcp; ufw allow from 192.0.2.0/24 to
 * any port 53 proto udp; ufw limit 2222/tcp; ufw deny from 203.0.113.66`,
 * then iptables-save), replayed with stateful traffic: TCP handshakes and
 * teardowns answered by the firewall's own stack (locally generated
 * packets), ufw's `limit` (recent --hitcount 6 in 30 s) tripping on the
 * seventh connection, a denied host, DNS from the inside, pings, forwarded
 * traffic hitting the DROP policy, broadcasts and multicast, INVALID
 * segments, and RELATED ICMP errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { icmp, ipv4, tcp, udp } from '../../../src/packet/build.js';
import { BCAST_HOST, Capture, MCAST_ALL_HOSTS, payload, type Scenario } from './capture.js';

const FW = '198.51.100.1';

/** A client's TCP connection to the firewall, answered by its stack. */
function session(c: Capture, client: string, sport: number, dport: number, opts: { data?: boolean; answered?: boolean } = {}): void {
  const iss = 1000 * sport;
  const fss = 5000 * sport;
  c.wire(ipv4({ src: client, dst: FW }, tcp({ sport, dport, flags: 'S', seq: iss, window: 64240 })));
  if (opts.answered === false) return;
  c.local(ipv4({ src: FW, dst: client }, tcp({ sport: dport, dport: sport, flags: 'SA', seq: fss, ack: iss + 1, window: 65160 })));
  c.wire(ipv4({ src: client, dst: FW }, tcp({ sport, dport, flags: 'A', seq: iss + 1, ack: fss + 1, window: 502 })));
  if (opts.data) {
    c.wire(ipv4({ src: client, dst: FW }, tcp({ sport, dport, flags: 'PA', seq: iss + 1, ack: fss + 1, window: 502, payload: payload(40) })));
    c.local(
      ipv4({ src: FW, dst: client }, tcp({ sport: dport, dport: sport, flags: 'PA', seq: fss + 1, ack: iss + 41, window: 509, payload: payload(120, 0x62) })),
    );
    c.wire(ipv4({ src: client, dst: FW }, tcp({ sport, dport, flags: 'FA', seq: iss + 41, ack: fss + 121, window: 502 })));
    c.local(ipv4({ src: FW, dst: client }, tcp({ sport: dport, dport: sport, flags: 'FA', seq: fss + 121, ack: iss + 42, window: 509 })));
    c.wire(ipv4({ src: client, dst: FW }, tcp({ sport, dport, flags: 'A', seq: iss + 42, ack: fss + 122, window: 502 })));
  }
}

export function build(): Scenario {
  const c = new Capture(3_000_000n);
  // SSH, allowed.
  session(c, '203.0.113.10', 40001, 22, { data: true });
  session(c, '203.0.113.11', 40002, 22, { data: true });
  // A limited port: six new connections in 30 s pass, the seventh and later are rejected.
  for (let i = 0; i < 9; i++) session(c, '203.0.113.20', 41000 + i, 2222, { answered: i < 6 });
  // The same port from another source: its own count.
  session(c, '203.0.113.21', 42000, 2222);
  // A denied host, and closed ports (policy, via ufw's logging chains).
  session(c, '203.0.113.66', 43000, 22, { answered: false });
  for (let i = 0; i < 4; i++) c.wire(ipv4({ src: '203.0.113.30', dst: FW }, tcp({ sport: 44000 + i, dport: 23 + i, flags: 'S' })));
  // DNS to the firewall from the inside (allowed) and from the outside (not).
  for (let i = 0; i < 3; i++) {
    c.host(ipv4({ src: `192.0.2.${10 + i}`, dst: '192.0.2.1' }, udp({ sport: 5300 + i, dport: 53, payload: payload(30) })));
    c.local(ipv4({ src: '192.0.2.1', dst: `192.0.2.${10 + i}` }, udp({ sport: 53, dport: 5300 + i, payload: payload(60) })));
  }
  c.wire(ipv4({ src: '203.0.113.31', dst: FW }, udp({ sport: 5300, dport: 53, payload: payload(30) })));
  // Pings, answered.
  for (let i = 0; i < 3; i++) {
    c.wire(ipv4({ src: '203.0.113.40', dst: FW }, icmp({ type: 8, id: 77, seq: i, payload: payload(56) })));
    c.local(ipv4({ src: FW, dst: '203.0.113.40' }, icmp({ type: 0, id: 77, seq: i, payload: payload(56) })));
  }
  // An ICMP error about the firewall's own DNS query: RELATED.
  c.local(ipv4({ src: FW, dst: '203.0.113.53' }, udp({ sport: 33000, dport: 53, payload: payload(30) })));
  const quoted = ipv4({ src: FW, dst: '203.0.113.53' }, udp({ sport: 33000, dport: 53, payload: payload(30) }));
  c.wire(ipv4({ src: '203.0.113.53', dst: FW }, icmp({ type: 3, code: 3, payload: quoted.subarray(0, 28) })));
  // Out-of-state segments: INVALID (an ACK for nothing is picked up loosely; a SYN-ACK is not).
  c.wire(ipv4({ src: '203.0.113.50', dst: FW }, tcp({ sport: 45000, dport: 22, flags: 'SA', seq: 1, ack: 1 })));
  c.wire(ipv4({ src: '203.0.113.51', dst: FW }, tcp({ sport: 45001, dport: 80, flags: 'A', seq: 1, ack: 1 })));
  // Forwarded: ufw's FORWARD policy is DROP.
  for (let i = 0; i < 3; i++) c.host(ipv4({ src: '192.0.2.10', dst: `203.0.113.${100 + i}` }, tcp({ sport: 46000 + i, dport: 443, flags: 'S' })));
  // Broadcast and multicast from the inside.
  c.host(ipv4({ src: '192.0.2.10', dst: '192.0.2.255' }, udp({ sport: 137, dport: 137, payload: payload(50) })), BCAST_HOST);
  c.host(ipv4({ src: '0.0.0.0', dst: '255.255.255.255' }, udp({ sport: 68, dport: 67, payload: payload(240) })), BCAST_HOST);
  c.host(ipv4({ src: '192.0.2.11', dst: '224.0.0.1' }, icmp({ type: 8, id: 5, seq: 1 })), MCAST_ALL_HOSTS);
  const rules = readFileSync(join(process.cwd(), 'test', 'golden', 'gen', 'ufw.rules.v4'), 'utf8');
  return { rules, capture: c };
}
