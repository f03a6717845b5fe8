/**
 * synproxy: the SYNPROXY target in both families (xt_SYNPROXY,
 * nf_synproxy_core), in the classic set-up: SYNs untracked in raw
 * PREROUTING, `--ctstate INVALID,UNTRACKED` in front of SYNPROXY, and
 * net.netfilter.nf_conntrack_tcp_loose=0 (the machine file's `conntrack:
 * tcp_loose: false`) so that a client's ACK no connection knows is INVALID.
 *
 * - To the firewall (INPUT) and through it (FORWARD): SYNs with every
 *   combination of options the rules allow or strip (MSS rounded down by
 *   the cookie but replaced by the rule's, window scale, SACK, timestamps,
 *   ECN): each is dropped by the rule and answered by a SYN-ACK with a
 *   cookie, window 0, from the server's address, out of eth0.
 * - A SYN conntrack tracks (port 81, no raw rule): its SYN-ACK carries the
 *   SYN's connection as ESTABLISHED_REPLY (`--ctdir REPLY`), and neither
 *   leaves an entry; the untracked SYNs' SYN-ACKs are looked up by
 *   conntrack in OUTPUT (a SYN-ACK opens nothing: INVALID).
 * - ACKs whose acknowledgement is no cookie (any capture's: the kernel's
 *   secrets are drawn at boot) are dropped by the rule; a FIN, a RST and a
 *   SYN-FIN go on to the next rule; a SYN with a wrong TCP checksum, or with
 *   options cut short, is dropped with no answer.
 *
 * Recorded with RECORD=1 by a copy of the oracle with longer sleeps and
 * tcp_loose=0 (README.md): the SYN-ACKs are compared byte for byte but for
 * their sequence number (the cookie), the timestamp value's upper 26 bits
 * (the kernel's clock) and the TCP checksum (which covers both).
 */
import { ipv4, ipv6, tcp } from '../../../src/packet/build.js';
import { Capture, DUAL_STACK_MACHINE, type Scenario } from './capture.js';

const FILTER_RULES = (fam: 4 | 6): string => {
  const inside = fam === 4 ? '192.0.2.20' : '2001:db8:2::20';
  return `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -i eth0 -p tcp -m tcp --dport 80 --tcp-flags FIN,SYN,RST,ACK SYN -j CT --notrack
-A PREROUTING -i eth0 -p tcp -m tcp --dport 83 --tcp-flags FIN,SYN,RST,ACK SYN -j CT --notrack
-A PREROUTING -i eth0 -p tcp -m tcp --dport 8080 --tcp-flags FIN,SYN,RST,ACK SYN -j CT --notrack
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i eth0 -p tcp -m tcp --dport 80 -m conntrack --ctstate INVALID,UNTRACKED -j SYNPROXY --sack-perm --timestamp --wscale 7 --mss 1460
-A INPUT -i eth0 -p tcp -m tcp --dport 81 -j SYNPROXY --wscale 5 --mss 1400 --ecn
-A INPUT -i eth0 -p tcp -m tcp --dport 82 -j SYNPROXY --timestamp
-A INPUT -i eth0 -p tcp -m tcp --dport 82
-A INPUT -i eth0 -p tcp -m tcp --dport 83 -m conntrack --ctstate INVALID,UNTRACKED -j SYNPROXY --timestamp --wscale 14 --ecn
-A INPUT -m conntrack --ctstate INVALID -j DROP
-A FORWARD -d ${inside}${fam === 4 ? '/32' : '/128'} -i eth0 -o eth1 -p tcp -m tcp --dport 8080 -m conntrack --ctstate INVALID,UNTRACKED -j SYNPROXY --sack-perm --timestamp --wscale 7 --mss 1460
-A FORWARD -m conntrack --ctstate INVALID -j DROP
-A OUTPUT -p tcp -m tcp --sport 80 -m conntrack --ctstate UNTRACKED
-A OUTPUT -p tcp -m tcp --sport 80 -m conntrack --ctstate INVALID
-A OUTPUT -p tcp -m tcp --sport 80 -m conntrack --ctstate NEW
-A OUTPUT -p tcp -m tcp --sport 81 -m conntrack --ctstate ESTABLISHED --ctdir REPLY
-A OUTPUT -p tcp -m tcp --sport 81
-A OUTPUT -p tcp -m tcp --sport 82
-A OUTPUT -p tcp -m tcp --sport 83
-A OUTPUT -o eth0 -p tcp -m tcp --sport 8080
-A OUTPUT -p tcp
COMMIT
`;
};

export const rules = `# cofw golden: synproxy (SYNPROXY, IPv4)\n${FILTER_RULES(4)}`;
export const rules6 = `# cofw golden: synproxy (SYNPROXY, IPv6)\n${FILTER_RULES(6)}`;

/** The oracle's dual-stack topology, with nf_conntrack_tcp_loose=0 as the classic SYNPROXY set-up has it. */
export const machine = `${DUAL_STACK_MACHINE.replace('hostname: cofw-dual-stack', 'hostname: cofw-synproxy')}conntrack:
  tcp_loose: false
`;

/** TCP options: MSS, SACK-permitted, timestamp, window scale, in the order Linux sends them (what is not asked is left out). */
function options(o: { mss?: number; sack?: boolean; ts?: number; ws?: number }): Uint8Array {
  const b: number[] = [];
  if (o.mss !== undefined) b.push(2, 4, o.mss >> 8, o.mss & 0xff);
  if (o.sack && o.ts !== undefined) b.push(4, 2);
  else if (o.sack) b.push(1, 1, 4, 2);
  if (o.ts !== undefined) {
    if (!o.sack) b.push(1, 1);
    b.push(8, 10, (o.ts >>> 24) & 0xff, (o.ts >>> 16) & 0xff, (o.ts >>> 8) & 0xff, o.ts & 0xff, 0, 0, 0, 0);
  }
  if (o.ws !== undefined) b.push(1, 3, 3, o.ws);
  return Uint8Array.from(b);
}

export function build(): Scenario & { rules6: string; machine: string } {
  const c = new Capture(5_000_000n);
  const client = '203.0.113.9';
  const fw = '198.51.100.1';
  const inside = '192.0.2.20';
  const full = options({ mss: 1460, sack: true, ts: 0x01020304, ws: 9 });
  const syn = (dst: string, sport: number, dport: number, opts: Uint8Array, flags = 'S', seq = 1000 + sport): Uint8Array =>
    ipv4({ src: client, dst, id: sport & 0xffff }, tcp({ sport, dport, seq, flags, window: 64240, options: opts }));

  // INPUT, port 80: the full set of options; MSS only; none; window scale above 14 (read as 14); MSS 1300 (the cookie keeps 1300).
  c.wire(syn(fw, 40001, 80, full));
  c.wire(syn(fw, 40002, 80, options({ mss: 1400 })));
  c.wire(syn(fw, 40003, 80, new Uint8Array(0)));
  c.wire(syn(fw, 40004, 80, options({ mss: 1300, ts: 77, ws: 15 })));
  c.wire(syn(fw, 40005, 80, options({ sack: true, ts: 5 })));
  // ECE and CWR: no --ecn on port 80, so no ECE back.
  c.wire(syn(fw, 40006, 80, full, 'SEC'));
  // Port 81: tracked SYN, no --timestamp (window scale, SACK and ECN dropped), the rule's MSS 1400.
  c.wire(syn(fw, 40011, 81, full, 'SEC'));
  c.wire(syn(fw, 40012, 81, options({ mss: 536 })));
  // Port 82: --timestamp only (MSS not offered back: no --mss); other flags go on to the next rule.
  c.wire(syn(fw, 40021, 82, full));
  c.wire(syn(fw, 40022, 82, full, 'SF'));
  c.wire(ipv4({ src: client, dst: fw }, tcp({ sport: 40023, dport: 82, seq: 5, flags: 'R' })));
  c.wire(ipv4({ src: client, dst: fw }, tcp({ sport: 40024, dport: 82, seq: 5, ack: 9, flags: 'FA' })));
  // Port 83: --timestamp --ecn --wscale 14; with ECE and CWR, and without.
  c.wire(syn(fw, 40031, 83, full, 'SEC'));
  c.wire(syn(fw, 40032, 83, options({ mss: 1460, ts: 1 })));
  // ACKs with no cookie of this host: dropped by the rule.
  c.wire(ipv4({ src: client, dst: fw }, tcp({ sport: 40001, dport: 80, seq: 41002, ack: 12345, flags: 'A', window: 502 })));
  c.wire(ipv4({ src: client, dst: fw }, tcp({ sport: 40007, dport: 80, seq: 9, ack: 0x80000000, flags: 'A', options: options({ ts: 99 }) })));
  // A FIN-ACK and a RST go on: INVALID, dropped by the next rule.
  c.wire(ipv4({ src: client, dst: fw }, tcp({ sport: 40008, dport: 80, seq: 9, ack: 10, flags: 'FA' })));
  c.wire(ipv4({ src: client, dst: fw }, tcp({ sport: 40009, dport: 80, seq: 9, flags: 'R' })));
  // A SYN with a wrong TCP checksum: dropped, no answer.
  const bad = syn(fw, 40010, 80, full);
  bad[20 + 16] = bad[20 + 16]! ^ 0x5a;
  c.wire(bad);
  // FORWARD: to the inside server.
  c.wire(syn(inside, 40041, 8080, full));
  c.wire(syn(inside, 40042, 8080, options({ mss: 1220, ws: 2 })));
  c.wire(ipv4({ src: client, dst: inside }, tcp({ sport: 40041, dport: 8080, seq: 41042, ack: 777, flags: 'A' })));

  const client6 = '2001:db8:300::9';
  const fw6 = '2001:db8:100::1';
  const inside6 = '2001:db8:2::20';
  const syn6 = (dst: string, sport: number, dport: number, opts: Uint8Array, flags = 'S'): Uint8Array =>
    ipv6({ src: client6, dst }, tcp({ sport, dport, seq: 2000 + sport, flags, window: 64800, options: opts }));
  c.wire6(syn6(fw6, 41001, 80, full));
  c.wire6(syn6(fw6, 41002, 80, options({ mss: 1440, ws: 0 })));
  c.wire6(syn6(fw6, 41003, 80, options({ mss: 9000, sack: true, ts: 3 })));
  c.wire6(syn6(fw6, 41011, 81, full, 'SEC'));
  c.wire6(syn6(fw6, 41031, 83, full, 'SEC'));
  c.wire6(ipv6({ src: client6, dst: fw6 }, tcp({ sport: 41001, dport: 80, seq: 43002, ack: 4242, flags: 'A' })));
  c.wire6(ipv6({ src: client6, dst: fw6 }, tcp({ sport: 41008, dport: 80, seq: 9, ack: 10, flags: 'FA' })));
  c.wire6(syn6(inside6, 41041, 8080, full));
  c.wire6(ipv6({ src: client6, dst: inside6 }, tcp({ sport: 41041, dport: 8080, seq: 43042, ack: 1, flags: 'A' })));
  return { rules, rules6, machine, capture: c };
}
