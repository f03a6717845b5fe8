/**
 * udplite: UDP-Lite (IP protocol 136) through the gateway, both families,
 * as the kernel's UDP-Lite tracker sees it: a flow opened from outside and
 * answered (NEW, then ESTABLISHED and ASSURED), a flow answered only once,
 * checksum coverages of 0 (the whole datagram), 8 (the header only) and in
 * between, a coverage of 1-7 and one beyond the datagram (INVALID), a zero
 * checksum (INVALID: UDP-Lite mandates one), a wrong checksum within the
 * coverage (INVALID) and one outside it (tracked), RFC 3828's checksum
 * (INVALID: the tracker sums the pseudo header with protocol 17, UDP's, not
 * 136, so only datagrams summed that way pass), a first packet that is
 * INVALID (no entry), a port forward by DNAT and an SNAT of the addresses
 * (the ports cannot be given: iptables wants TCP, UDP, SCTP or DCCP for
 * them), the checksum kept right by both (the sent datagrams recorded and
 * compared byte for byte), and `-m multiport` after
 * `-p udplite` (iptables has no udplite match: `--dport` is refused).
 */
import { ipv4, ipv6, raw } from '../../../src/packet/build.js';
import { l4Checksum, l4Checksum6 } from '../../../src/packet/checksum.js';
import { Capture, payload, type Scenario } from './capture.js';

const FILTER = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p udplite -m conntrack --ctstate INVALID -j DROP
-A INPUT -p udplite -m state --state NEW
-A INPUT -p udplite -m multiport --dports 9000 -j ACCEPT
-A FORWARD -p udplite -m conntrack --ctstate INVALID -j DROP
-A FORWARD -p udplite -m state --state NEW
-A FORWARD -p udplite -m state --state ESTABLISHED
-A FORWARD -p udplite -m conntrack --ctstate ESTABLISHED --ctdir REPLY
-A FORWARD -p udplite -m conntrack --ctstatus ASSURED
-A FORWARD -p udplite -m conntrack --ctstate DNAT
-A FORWARD -p udplite -m conntrack --ctstate SNAT
-A FORWARD -p udplite -m multiport --sports 40000:40009
-A FORWARD -p udplite -m multiport ! --dports 5000,6000
-A FORWARD -p udplite -j ACCEPT
-A FORWARD -p udp
COMMIT
`;

export const rules = `# cofw golden: udplite (IPv4)
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 198.51.100.1/32 -p udplite -m multiport --dports 5000 -j DNAT --to-destination 192.0.2.20
-A POSTROUTING -s 192.0.2.0/24 -o eth0 -p udplite -j SNAT --to-source 198.51.100.1
COMMIT
${FILTER}`;

export const rules6 = `# cofw golden: udplite (IPv6)
${FILTER}`;

interface Opts {
  /** Checksum coverage field (0: the whole datagram). */
  cov?: number;
  /**
   * The checksum field: 'udp' (the default: computed with the pseudo header of UDP, protocol 17, which is what
   * the kernel's tracker checks), 'rfc' (RFC 3828's, protocol 136), 'zero' or 'bad' (wrong within the coverage).
   */
  sum?: 'udp' | 'rfc' | 'zero' | 'bad';
  /** Payload length. */
  n?: number;
  /** Flip a payload byte after the checksum (outside an 8-byte coverage). */
  flipTail?: boolean;
}

/** A UDP-Lite datagram of one family, its checksum computed over the coverage (RFC 3828). */
function datagram(v6: boolean, src: string, dst: string, sport: number, dport: number, o: Opts = {}): Uint8Array {
  const n = o.n ?? 24;
  const b = new Uint8Array(8 + n);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, sport);
  dv.setUint16(2, dport);
  dv.setUint16(4, o.cov ?? 0);
  b.set(payload(n, 0x4c), 8);
  const ip = v6 ? ipv6({ src, dst }, raw(136, b)) : ipv4({ src, dst }, raw(136, b));
  const th = v6 ? 40 : 20;
  const cov = o.cov ?? 0;
  const covered = cov === 0 || cov > b.length ? b.length : Math.max(cov, 8);
  // The pseudo header counts the datagram's whole length; the sum covers the first `covered` bytes.
  const proto = o.sum === 'rfc' ? 136 : 17;
  const whole = v6 ? l4Checksum6(ip, th, b.length, proto) : l4Checksum(ip, th, b.length, proto);
  const partial = v6 ? partialSum6(ip, th, b.length, covered, proto) : partialSum4(ip, th, b.length, covered, proto);
  let c = covered === b.length ? whole : partial;
  if (c === 0) c = 0xffff;
  if (o.sum === 'zero') c = 0;
  if (o.sum === 'bad') c ^= 0x0101;
  ip[th + 6] = c >> 8;
  ip[th + 7] = c & 255;
  if (o.flipTail) ip[ip.length - 1] = ip[ip.length - 1]! ^ 0xff;
  return ip;
}

function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

function sum(b: Uint8Array, off: number, len: number, s = 0): number {
  let i = off;
  for (; i + 1 < off + len; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < off + len) s += b[i]! << 8;
  return s;
}

function partialSum4(ip: Uint8Array, th: number, l4len: number, covered: number, proto: number): number {
  return fold(sum(ip, th, covered, sum(ip, 12, 8) + proto + l4len));
}

function partialSum6(ip: Uint8Array, th: number, l4len: number, covered: number, proto: number): number {
  return fold(sum(ip, th, covered, sum(ip, 8, 32) + proto + l4len));
}

export function build(): Scenario & { rules6: string } {
  const c = new Capture();
  for (const v6 of [false, true]) {
    const l2w = v6 ? { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01', ethertype: 0x86dd } : undefined;
    const l2h = v6 ? { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01', ethertype: 0x86dd } : undefined;
    const wire = (ip: Uint8Array): void => c.wire(ip, l2w);
    const host = (ip: Uint8Array): void => c.host(ip, l2h);
    const client = v6 ? '2001:db8:ff::5' : '203.0.113.5';
    const other = v6 ? '2001:db8:ff::9' : '203.0.113.9';
    // The address the outside sends to (forwarded to the server by DNAT in IPv4) and the server's.
    const front = v6 ? '2001:db8:2::20' : '198.51.100.1';
    const server = v6 ? '2001:db8:2::20' : '192.0.2.20';
    const inside = v6 ? '2001:db8:2::30' : '192.0.2.30';
    const fw = v6 ? '2001:db8:100::1' : '198.51.100.1';

    // A flow from outside, answered, then used both ways with coverages 0, 8 and 20.
    wire(datagram(v6, client, front, 40000, 5000));
    c.pause(100);
    host(datagram(v6, server, client, 5000, 40000));
    c.pause(100);
    wire(datagram(v6, client, front, 40000, 5000, { cov: 8 }));
    wire(datagram(v6, client, front, 40000, 5000, { cov: 20 }));
    host(datagram(v6, server, client, 5000, 40000, { cov: 8, flipTail: true }));
    // Coverages 1-7 and beyond the datagram, a zero and a wrong checksum: INVALID.
    wire(datagram(v6, client, front, 40000, 5000, { cov: 1 }));
    wire(datagram(v6, client, front, 40000, 5000, { cov: 7 }));
    wire(datagram(v6, client, front, 40000, 5000, { cov: 33 }));
    wire(datagram(v6, client, front, 40000, 5000, { sum: 'zero' }));
    host(datagram(v6, server, client, 5000, 40000, { sum: 'bad' }));
    wire(datagram(v6, client, front, 40000, 5000, { cov: 8, sum: 'bad' }));
    // RFC 3828's checksum (protocol 136 in the pseudo header) is not the one the kernel checks: INVALID.
    wire(datagram(v6, client, front, 40000, 5000, { sum: 'rfc' }));
    host(datagram(v6, server, client, 5000, 40000, { cov: 8, sum: 'rfc' }));
    c.pause(2500);
    // After the 2 seconds of a UDP stream: both ways again.
    wire(datagram(v6, client, front, 40000, 5000, { cov: 16 }));
    host(datagram(v6, server, client, 5000, 40000));

    // A flow whose first packet is INVALID opens no entry; the next one does, and is answered once.
    wire(datagram(v6, other, front, 40001, 5000, { sum: 'zero' }));
    wire(datagram(v6, other, front, 40001, 5000, { cov: 3 }));
    wire(datagram(v6, other, front, 40001, 5000, { cov: 8 }));
    host(datagram(v6, server, other, 5000, 40001, { cov: 8 }));

    // From the inside out (SNAT in IPv4), unanswered.
    host(datagram(v6, inside, other, 6000, 7000, { n: 40 }));
    host(datagram(v6, inside, other, 6000, 7000, { n: 40, cov: 12 }));

    // To the firewall itself: accepted by -m multiport, and an INVALID one.
    wire(datagram(v6, client, fw, 40002, 9000));
    wire(datagram(v6, client, fw, 40002, 9000, { cov: 2 }));
    wire(datagram(v6, client, fw, 40003, 9001, { sum: 'bad' }));
    wire(datagram(v6, client, fw, 40004, 9000, { sum: 'rfc' }));
    c.pause(300);
  }
  return { rules, rules6, capture: c };
}
