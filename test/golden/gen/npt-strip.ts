/**
 * tcpoptstrip and npt: TCPOPTSTRIP in both families, and IPv6 prefix
 * translation (SNPT, DNPT), recorded with RECORD=1 so that the options the
 * kernel turned into NOPs and the addresses it rewrote are compared byte
 * for byte.
 *
 * tcpoptstrip (mangle FORWARD, stateless in both families): SYNs whose SACK-permitted
 * and timestamp options (IPv4) or window scale (IPv6, behind a hop-by-hop
 * header) become NOPs, options at odd offsets, an End of option list in
 * the middle (the walk goes on past it), an option with a zero length byte,
 * an option running past the header (the walk stops), an option in the
 * header's last byte (never looked at), a data offset below 5 and one
 * beyond the packet (both dropped), and a later fragment (passed as it is).
 * POSTROUTING counts what still carries each option.
 *
 * npt (mangle, IPv6 with conntrack; no IPv4 rules): inside hosts leave through SNPT with a
 * /64 (the adjustment lands in the interface id) and a /48 (in the subnet
 * id); answers to the translated addresses come back through DNPT. NPT is
 * stateless: conntrack (before mangle in PREROUTING) saw the inside address
 * going out and sees the outside one coming back, so every answer is a NEW
 * connection of its own (FORWARD's state counters, kernel.conntrack6). A
 * destination whose interface id is all ones cannot take the adjustment:
 * DNPT drops it and sends a parameter problem (recorded on eth0).
 */
import { ipv4, ipv6, tcp, udp, icmp6, optionsHeader } from '../../../src/packet/build.js';
import { setL4Checksum } from '../../../src/packet/checksum.js';
import { Capture, DUAL_STACK_MACHINE, payload, type Scenario } from './capture.js';

export const machine = DUAL_STACK_MACHINE;

export const rules = `# cofw golden: tcpoptstrip (IPv4)
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:STRIP - [0:0]
-A FORWARD -s 192.0.2.0/24 -p tcp -j STRIP
-A FORWARD -s 192.0.2.0/24 -p tcp -j TCPOPTSTRIP
-A STRIP -p tcp -m tcp --dport 80 -j TCPOPTSTRIP --strip-options sack-permitted,timestamp
-A STRIP -p tcp -m tcp --dport 81 -j TCPOPTSTRIP --strip-options wscale,30,8
-A STRIP -p tcp -m tcp --dport 82 -j TCPOPTSTRIP --strip-options 30
-A STRIP -d 198.51.100.83/32 -p tcp -j TCPOPTSTRIP --strip-options mss
-A POSTROUTING -p tcp -m tcp --tcp-option 2
-A POSTROUTING -p tcp -m tcp --tcp-option 3
-A POSTROUTING -p tcp -m tcp --tcp-option 4
-A POSTROUTING -p tcp -m tcp --tcp-option 8
-A POSTROUTING -p tcp -m tcp --tcp-option 30
-A POSTROUTING -f
-A POSTROUTING -p tcp
COMMIT
`;

export const rules6 = `# cofw golden: tcpoptstrip (IPv6)
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A FORWARD -p tcp -m tcp --dport 80 -j TCPOPTSTRIP --strip-options wscale,sack
-A POSTROUTING -p tcp -m tcp --tcp-option 3
-A POSTROUTING -p tcp -m tcp --tcp-option 5
-A POSTROUTING -p tcp -m tcp --tcp-option 4
COMMIT
`;

export const nptRules = `# cofw golden: npt (IPv4 side: no rules)
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
`;

export const nptRules6 = `# cofw golden: npt (SNPT and DNPT, with conntrack)
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 2001:db8:77:1::/64 -i eth0 -j DNPT --src-pfx 2001:db8:77:1::/64 --dst-pfx 2001:db8:2::/64
-A PREROUTING -d 2001:db8:55::/48 -i eth0 -j DNPT --src-pfx 2001:db8:55::/48 --dst-pfx 2001:db8:2::/48
-A POSTROUTING -s 2001:db8:2::/64 -o eth0 -p udp -j SNPT --src-pfx 2001:db8:2::/48 --dst-pfx 2001:db8:55::/48
-A POSTROUTING -s 2001:db8:2::/64 -o eth0 -j SNPT --src-pfx 2001:db8:2::/64 --dst-pfx 2001:db8:77:1::/64
-A POSTROUTING -s 2001:db8:77:1::/64
-A POSTROUTING -s 2001:db8:55::/48
-A POSTROUTING -d 2001:db8:2::/64
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m conntrack --ctstate NEW
-A FORWARD -m conntrack --ctstate ESTABLISHED
-A FORWARD -m conntrack --ctstate INVALID
-A INPUT -m conntrack --ctstate NEW
COMMIT
`;

const H = '192.0.2.10';
const OUT6 = '2001:db8:99::5';

/** TCP options: bytes given, padded with End of option list to a multiple of 4. */
function opts(...b: number[]): Uint8Array {
  const o = new Uint8Array((b.length + 3) & ~3);
  o.set(b);
  return o;
}

/** A TCP segment with its data offset set to `doff` afterwards (checksum recomputed). */
function badDoff(dport: number, doff: number): Uint8Array {
  const ip = ipv4({ src: H, dst: '198.51.100.9' }, tcp({ sport: 40100 + doff, dport, flags: 'S', seq: 1 }));
  ip[32] = (doff << 4) | (ip[32]! & 0x0f);
  setL4Checksum(ip);
  return ip;
}

const w6 = (c: Capture, ip: Uint8Array): void => c.wire(ip, { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01', ethertype: 0x86dd });
const h6 = (c: Capture, ip: Uint8Array): void => c.host(ip, { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01', ethertype: 0x86dd });

export function buildStrip(): Scenario & { rules6: string; machine: string } {
  const c = new Capture(3_000_000n);

  // IPv4 TCPOPTSTRIP.
  // A Linux SYN: MSS, SACK-permitted, timestamp, NOP, window scale.
  const linuxSyn = opts(2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 1, 3, 3, 7);
  c.host(ipv4({ src: H, dst: '198.51.100.9' }, tcp({ sport: 40000, dport: 80, flags: 'S', seq: 100, options: linuxSyn })));
  // Options at odd offsets: NOP, window scale (3 bytes at 21), timestamp at 24.
  c.host(
    ipv4({ src: H, dst: '198.51.100.9' }, tcp({ sport: 40001, dport: 81, flags: 'S', seq: 100, options: opts(1, 3, 3, 7, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8) })),
  );
  // End of option list in the middle, then kind 30 (walked past), a zero length byte, kind 8 past the header.
  c.host(
    ipv4({ src: H, dst: '198.51.100.9' }, tcp({ sport: 40002, dport: 81, flags: 'A', seq: 100, ack: 5, options: opts(0, 30, 4, 9, 9, 30, 0, 1, 8, 10, 0, 0) })),
  );
  // Kind 30 in the header's last byte: never looked at.
  c.host(ipv4({ src: H, dst: '198.51.100.9' }, tcp({ sport: 40003, dport: 82, flags: 'A', seq: 100, ack: 5, options: opts(1, 1, 1, 30) })));
  // Kind 30 in the last two bytes, length 2: stripped.
  c.host(
    ipv4({ src: H, dst: '198.51.100.9' }, tcp({ sport: 40004, dport: 82, flags: 'PA', seq: 100, ack: 5, options: opts(1, 1, 30, 2), payload: payload(9) })),
  );
  // Data offsets: 4 (below the fixed header) and 15 (past the packet): dropped by the target.
  c.host(badDoff(83, 4));
  c.host(badDoff(83, 15));
  // A later fragment of a TCP segment to the MSS-stripping rule: passed as it is.
  c.host(ipv4({ src: H, dst: '198.51.100.83', id: 77, fragoff: 3 }, { proto: 6, bytes: Uint8Array.from([2, 4, 5, 0xb4, 1, 1, 1, 1]) }));
  c.host(ipv4({ src: H, dst: '198.51.100.83' }, tcp({ sport: 40005, dport: 9, flags: 'S', seq: 1, options: opts(2, 4, 5, 0xb4) })));
  // Nothing to strip (the rule without --strip-options).
  c.host(ipv4({ src: H, dst: '198.51.100.9' }, tcp({ sport: 40006, dport: 22, flags: 'S', seq: 1, options: linuxSyn })));

  // IPv6 TCPOPTSTRIP behind a hop-by-hop header; window scale and SACK at odd offsets.
  h6(
    c,
    ipv6(
      { src: '2001:db8:2::20', dst: OUT6, ext: [optionsHeader(0, 8)] },
      tcp({ sport: 41000, dport: 80, flags: 'S', seq: 7, options: opts(2, 4, 5, 0xa0, 1, 3, 3, 7, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 4, 2) }),
    ),
  );

  return { rules, rules6, capture: c, machine };
}

export function buildNpt(): Scenario & { rules6: string; machine: string } {
  const c = new Capture(3_000_000n);
  // SNPT /64 (TCP and ICMPv6), /48 (UDP), and the answers through DNPT.
  for (const host of ['2001:db8:2::10', '2001:db8:2::11']) {
    h6(c, ipv6({ src: host, dst: OUT6 }, tcp({ sport: 42000, dport: 443, flags: 'S', seq: 9 })));
    h6(c, ipv6({ src: host, dst: OUT6 }, udp({ sport: 42001, dport: 53, payload: payload(20) })));
    h6(c, ipv6({ src: host, dst: OUT6 }, icmp6({ type: 128, id: 5, seq: 1, payload: payload(8) })));
  }
  // 2001:db8:2::10 through the /64: 2001:db8:77:1:XXXX::10; through the /48: 2001:db8:55:YYYY::10.
  // The answers go to what the kernel wrote (checked by the recording of eth0).
  const sn64 = (low: number): string => `2001:db8:77:1:${adj64()}::${low.toString(16)}`;
  const sn48 = (low: number): string => `2001:db8:55:${adj48()}::${low.toString(16)}`;
  w6(c, ipv6({ src: OUT6, dst: sn64(0x10) }, tcp({ sport: 443, dport: 42000, flags: 'SA', seq: 99, ack: 10 })));
  w6(c, ipv6({ src: OUT6, dst: sn48(0x10) }, udp({ sport: 53, dport: 42001, payload: payload(40) })));
  w6(c, ipv6({ src: OUT6, dst: sn64(0x11) }, icmp6({ type: 129, id: 5, seq: 1, payload: payload(8) })));
  // An interface id of all ones: no word takes the adjustment; dropped, with a parameter problem to the sender.
  w6(c, ipv6({ src: OUT6, dst: '2001:db8:77:1:ffff:ffff:ffff:ffff' }, udp({ sport: 53, dport: 42002, payload: payload(12) })));
  // /48: a destination whose subnet id is 0xffff after the adjustment is written 0.
  w6(c, ipv6({ src: OUT6, dst: `2001:db8:55:${subnetFor0xffff()}::12` }, udp({ sport: 53, dport: 42003, payload: payload(12) })));
  return { rules: nptRules, rules6: nptRules6, capture: c, machine };
}

/** Ones' complement sum of 16-bit words. */
function osum(ws: number[]): number {
  let s = 0;
  for (const w of ws) {
    s += w;
    s = (s & 0xffff) + (s >>> 16);
  }
  return s;
}

/** RFC 6296's adjustment for a prefix pair, added to 0 (the word of an inside address that held 0). */
function mapped(src: number[], dst: number[]): number {
  const adj = osum([osum(src), ~osum(dst) & 0xffff]);
  return adj === 0xffff ? 0 : adj;
}

function adj64(): string {
  return mapped([0x2001, 0xdb8, 0x2, 0], [0x2001, 0xdb8, 0x77, 0x1]).toString(16);
}

function adj48(): string {
  return mapped([0x2001, 0xdb8, 0x2], [0x2001, 0xdb8, 0x55]).toString(16);
}

/** The subnet id (under 2001:db8:55::/48) that DNPT maps to 0xffff, which it writes as 0. */
function subnetFor0xffff(): string {
  // x + adj == 0xffff (ones' complement), adj = sum(outside) - sum(inside).
  const adj = osum([osum([0x2001, 0xdb8, 0x55]), ~osum([0x2001, 0xdb8, 0x2]) & 0xffff]);
  return osum([0xffff, ~adj & 0xffff]).toString(16);
}
