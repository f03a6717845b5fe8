/**
 * xt-matches: the matches iptables-nft keeps as xt matches that cofw took
 * on last (quota, cpu, dccp, ipcomp, cluster in both families, srh in
 * IPv6), each met by traffic that matches it and traffic that does not.
 *
 * - quota: a byte quota used up exactly, then a packet that does not fit
 *   (the quota empties: later small packets do not fit either), an
 *   inverted quota, a quota of 0;
 * - cpu: every packet on CPU 0 (the oracle is run pinned to CPU 0);
 * - dccp: ports, packet types, options (xt_dccp's walk treats option types
 *   2-31 as having a length byte), a Data Offset shorter than the headers
 *   (hotdrop), a header cut short (hotdrop); DCCP under conntrack (this
 *   kernel has no DCCP tracker: generic entries, without ports) and DNAT
 *   to an address and port (only the address changes);
 * - ipcomp: CPI ranges, the default range 0:0, a header cut short;
 * - cluster: sources spread over the nodes of 2-, 4- and 32-node clusters,
 *   an INVALID packet (no connection: never matches), an active FTP data
 *   connection (hashed by its master's source, the client), and its rewrite of a
 *   multicast-MAC packet to a unicast address into PACKET_HOST in mangle
 *   PREROUTING (forwarded; the same packet to another address is dropped
 *   by the forwarding path); in IPv6 the cluster rule alone registers
 *   connection tracking, and only the first 32 bits of an address are
 *   hashed (sources in several /32s);
 * - srh: every option of revision 1 on Segment Routing Headers with
 *   different Segments Left, Last Entry and tags (the tag is compared in
 *   the wrong byte order on x86), one with Segments Left
 *   above Last Entry, a type 2 routing header, no routing header.
 *
 * Recorded pinned to CPU 0 (`taskset -c 0`), with RECORD=1: the forwarded
 * packets are compared byte for byte.
 */
import { ipv4, ipv6, raw, tcp, udp } from '../../../src/packet/build.js';
import { Capture, payload, type Scenario } from './capture.js';
import { Conn, type Ends } from './ct-helpers.js';
import { ETH_P_IPV6, mcastMac, routingHeader, senders6 } from './ip6.js';

const FILTER4 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:cluster - [0:0]
:dccp - [0:0]
:ipcomp - [0:0]
-A FORWARD -m cpu --cpu 0
-A FORWARD -m cpu ! --cpu 0
-A FORWARD -m cpu --cpu 1
-A FORWARD -p udp -m udp --dport 9000 -m quota --quota 3000 -j ACCEPT
-A FORWARD -p udp -m udp --dport 9000 -j DROP
-A FORWARD -p udp -m udp --dport 9001 -m quota ! --quota 1000 -j DROP
-A FORWARD -p udp -m udp --dport 9002 -m quota --quota 0
-A FORWARD -p dccp -j dccp
-A FORWARD -p ipcomp -j ipcomp
-A FORWARD -j cluster
-A cluster -m cluster --cluster-local-nodemask 0x00000001 --cluster-total-nodes 2 --cluster-hash-seed 0xdeadbeef
-A cluster -m cluster --cluster-local-nodemask 0x00000002 --cluster-total-nodes 2 --cluster-hash-seed 0xdeadbeef
-A cluster -m cluster ! --cluster-local-nodemask 0x00000005 --cluster-total-nodes 4 --cluster-hash-seed 0x00003039
-A cluster -m cluster --cluster-local-nodemask 0x00000003 --cluster-total-nodes 32 --cluster-hash-seed 0x00000000
-A cluster -m conntrack --ctstate INVALID
-A cluster -p tcp -m tcp --sport 20 -m conntrack --ctstate RELATED
-A cluster -p tcp -m tcp --sport 20 -m helper --helper ftp
-A cluster -p tcp -m tcp --sport 20 -m cluster --cluster-local-nodemask 0x00000001 --cluster-total-nodes 2 --cluster-hash-seed 0xdeadbeef
-A cluster -p tcp -m tcp --sport 20 -m cluster --cluster-local-nodemask 0x00000002 --cluster-total-nodes 2 --cluster-hash-seed 0xdeadbeef
-A dccp -p dccp -m dccp --dport 5004
-A dccp -p dccp -m dccp ! --sport 1000:2000
-A dccp -p dccp -m dccp --dccp-types REQUEST
-A dccp -p dccp -m dccp --dccp-types DATA,ACK,DATAACK
-A dccp -p dccp -m dccp ! --dccp-types REQUEST,RESPONSE
-A dccp -p dccp -m dccp --dccp-option 32
-A dccp -p dccp -m dccp ! --dccp-option 44
-A dccp -p dccp -m dccp --dport 5004 --dccp-types DATA --dccp-option 1
-A dccp -p dccp -m dccp --dccp-types RESET -j DROP
-A dccp -p dccp -m conntrack --ctstate NEW
-A dccp -p dccp -m conntrack --ctstate ESTABLISHED
-A ipcomp -p ipcomp -m ipcomp --ipcompspi 256:511
-A ipcomp -p ipcomp -m ipcomp ! --ipcompspi 256:511
-A ipcomp -p ipcomp -m ipcomp --ipcompspi 0
-A ipcomp -p ipcomp -m ipcomp --ipcompspi 512 --compres
-A ipcomp -p ipcomp -m ipcomp --ipcompspi 70000
COMMIT
`;

export const rules = `# cofw golden: xt-matches (IPv4)
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p tcp -m tcp --dport 21 -j CT --helper ftp
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 198.51.100.1/32 -p dccp -j DNAT --to-destination 192.0.2.25:7000
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 192.0.2.77/32 -m cluster --cluster-local-nodemask 0x00000001 --cluster-total-nodes 1 --cluster-hash-seed 0x00000001
COMMIT
${FILTER4}`;

export const rules6 = `# cofw golden: xt-matches (IPv6)
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 2001:db8:2::77/128 -m cluster --cluster-local-nodemask 0x00000001 --cluster-total-nodes 1 --cluster-hash-seed 0x00000001
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:srh - [0:0]
-A FORWARD -m cpu --cpu 0
-A FORWARD -m cpu ! --cpu 0
-A FORWARD -p udp -m udp --dport 9000 -m quota --quota 1500 -j ACCEPT
-A FORWARD -p udp -m udp --dport 9000 -j DROP
-A FORWARD -p dccp -m dccp --dport 5004 --dccp-types REQUEST
-A FORWARD -p dccp -m dccp --dccp-option 32
-A FORWARD -p ipcomp -m ipcomp --ipcompspi 256:511
-A FORWARD -p ipcomp -m ipcomp ! --ipcompspi 256:511
-A FORWARD -m cluster --cluster-local-nodemask 0x00000001 --cluster-total-nodes 2 --cluster-hash-seed 0xdeadbeef
-A FORWARD -m cluster --cluster-local-nodemask 0x00000002 --cluster-total-nodes 2 --cluster-hash-seed 0xdeadbeef
-A FORWARD -j srh
-A srh -m srh
-A srh -m srh --srh-next-hdr 17
-A srh -m srh ! --srh-next-hdr 17
-A srh -m srh --srh-hdr-len-eq 6
-A srh -m srh --srh-hdr-len-gt 4
-A srh -m srh --srh-hdr-len-lt 2 --srh-hdr-len-gt 2
-A srh -m srh --srh-segs-left-eq 1
-A srh -m srh --srh-segs-left-gt 0
-A srh -m srh ! --srh-segs-left-lt 2
-A srh -m srh --srh-last-entry-eq 2
-A srh -m srh --srh-last-entry-gt 1
-A srh -m srh --srh-last-entry-lt 2
-A srh -m srh --srh-tag 4660
-A srh -m srh ! --srh-tag 4660
-A srh -m srh --srh-psid 2001:db8:a::/48
-A srh -m srh ! --srh-psid 2001:db8:a::/48
-A srh -m srh --srh-nsid 2001:db8:b::1/128
-A srh -m srh ! --srh-nsid 2001:db8:b::1/128
-A srh -m srh --srh-lsid 2001:db8:2::20/128
-A srh -m srh ! --srh-lsid 2001:db8:c::/32
-A srh -m srh --srh-segs-left-eq 1 --srh-psid 2001:db8:a::1/128 --srh-nsid 2001:db8:2::20/128 --srh-tag 4660
COMMIT
`;

const DCCP_REQUEST = 0;
const DCCP_RESPONSE = 1;
const DCCP_DATA = 2;
const DCCP_ACK = 3;
const DCCP_DATAACK = 4;
const DCCP_RESET = 7;

interface DccpFields {
  sport: number;
  dport: number;
  type: number;
  /** Extended (48-bit) sequence numbers: the X bit (default true, as RFC 4340 wants for most types). */
  x?: boolean;
  options?: readonly number[];
  /** The Data Offset field, when it must not be what the headers and options make. */
  doff?: number;
  data?: number;
}

/** A DCCP packet: generic header, the type's own header (as __dccp_hdr_len counts it), options padded to 4, data. The checksum is left 0. */
function dccp(f: DccpFields): Uint8Array {
  const x = f.x ?? true;
  const typeLen = f.type === DCCP_DATA ? 0 : f.type === DCCP_REQUEST ? 4 : f.type === DCCP_RESPONSE || f.type >= DCCP_RESET ? 12 : 8;
  const hdr = 12 + (x ? 4 : 0) + typeLen;
  const opts = f.options ?? [];
  const optLen = Math.ceil(opts.length / 4) * 4;
  const b = new Uint8Array(hdr + optLen + (f.data ?? 0));
  const dv = new DataView(b.buffer);
  dv.setUint16(0, f.sport);
  dv.setUint16(2, f.dport);
  b[4] = f.doff ?? (hdr + optLen) / 4;
  b[8] = (f.type << 1) | (x ? 1 : 0);
  b[x ? 15 : 11] = 1; // sequence number 1
  b.set(opts, hdr);
  b.fill(0x64, hdr + optLen);
  return b;
}

/** An IPComp header (RFC 3173): next header, flags, CPI; then the compressed bytes. */
function ipcomp(cpi: number, n = 32): Uint8Array {
  const b = new Uint8Array(4 + n).fill(0x5a);
  b[0] = 17;
  b[1] = 0;
  b[2] = cpi >> 8;
  b[3] = cpi & 0xff;
  return b;
}

/** A Segment Routing Header: its segments (segments[0] is the last), Segments Left, Last Entry, tag. */
function srh(segments: readonly string[], segsLeft: number, lastEntry = segments.length - 1, tag = 0): { type: number; bytes: Uint8Array } {
  return routingHeader(4, segsLeft, segments, ((lastEntry << 24) | tag) >>> 0);
}

export function build(): Scenario & { rules6: string } {
  const c = new Capture();
  const out = (n: number): string => `203.0.113.${n}`;
  const inside = (n: number): string => `192.0.2.${n}`;
  // quota: 1000 + 1000 + 972 + 28 bytes fit 3000 exactly (to 0); then 28 bytes do not.
  const q = (size: number, dport = 9000): void => c.wire(ipv4({ src: out(5), dst: inside(10) }, udp({ sport: 4000, dport, payload: payload(size - 28) })));
  for (const s of [1000, 1000, 972, 28, 28, 500]) q(s);
  // An inverted quota of 1000: matches (DROP) once 600 + 300 + 200 no longer fit.
  for (const s of [600, 300, 200, 50]) q(s, 9001);
  q(100, 9002);
  // dccp: a request, a response, data and acks, options, a reset.
  const d = (from: string, to: string, f: DccpFields): void => {
    const p = ipv4({ src: from, dst: to }, raw(33, dccp(f)));
    if (from.startsWith('192.0.2.')) c.host(p);
    else c.wire(p);
  };
  d(inside(20), out(40), { sport: 1500, dport: 5004, type: DCCP_REQUEST, options: [32, 4, 2, 0] });
  d(out(40), inside(20), { sport: 5004, dport: 1500, type: DCCP_RESPONSE });
  d(inside(20), out(40), { sport: 1500, dport: 5004, type: DCCP_ACK, options: [44, 3, 0] });
  d(inside(20), out(40), { sport: 1500, dport: 5004, type: DCCP_DATA, options: [1, 32, 3, 0], data: 40 });
  d(out(40), inside(20), { sport: 5004, dport: 1500, type: DCCP_DATAACK, data: 100 });
  // Option 2 (Slow Receiver) is one byte in RFC 4340; xt_dccp reads the next byte as its length and skips option 32.
  d(inside(20), out(40), { sport: 1500, dport: 5004, type: DCCP_DATA, options: [2, 32, 3, 0] });
  // Short (24-bit) sequence numbers: 12-byte generic header.
  d(inside(21), out(41), { sport: 2500, dport: 6000, type: DCCP_DATA, x: false, options: [32, 3, 0, 0] });
  // A second flow between the same addresses (generic tracking: the same entry).
  d(inside(20), out(40), { sport: 1600, dport: 5005, type: DCCP_REQUEST });
  // A Data Offset shorter than the headers: dropped by the rule that looks for an option.
  d(inside(22), out(42), { sport: 3000, dport: 5004, type: DCCP_ACK, doff: 4 });
  // Options beyond the packet (Data Offset 30 words): dropped likewise.
  d(inside(22), out(42), { sport: 3001, dport: 5004, type: DCCP_DATA, doff: 30 });
  // A header cut short (8 bytes): every dccp match drops it.
  c.host(ipv4({ src: inside(23), dst: out(43) }, raw(33, dccp({ sport: 1, dport: 5004, type: DCCP_DATA }).subarray(0, 8))));
  d(out(40), inside(20), { sport: 5004, dport: 1500, type: DCCP_RESET });
  // DNAT of DCCP to an address and port: with no DCCP tracker, only the address changes (and no checksum is fixed).
  d(out(44), '198.51.100.1', { sport: 4444, dport: 6000, type: DCCP_REQUEST });
  d('192.0.2.25', out(44), { sport: 6000, dport: 4444, type: DCCP_RESPONSE });
  // ipcomp: CPIs in and out of 256:511, 0, 512, and a header cut short.
  for (const cpi of [0x100, 0x1ff, 0x200, 0, 0xffff, 0x150]) c.wire(ipv4({ src: out(50), dst: inside(30) }, raw(108, ipcomp(cpi))));
  c.wire(ipv4({ src: out(51), dst: inside(30) }, raw(108, ipcomp(0x100).subarray(0, 3))));
  // cluster: UDP from 24 sources, each hashed to its node; a reply direction; an INVALID TCP packet.
  for (let i = 60; i < 84; i++) c.wire(ipv4({ src: out(i), dst: inside(40) }, udp({ sport: 7000 + i, dport: 53, payload: payload(10) })));
  c.host(ipv4({ src: inside(40), dst: out(60) }, udp({ sport: 53, dport: 7060, payload: payload(10) })));
  c.wire(ipv4({ src: out(90), dst: inside(40) }, tcp({ sport: 5555, dport: 80, flags: 'SFR' })));
  // An active FTP data connection: the server (203.0.113.100, node 2 of 2) connects to the client (192.0.2.51, node 1):
  // the data connection's master is the control connection, so it goes with the client's node.
  const ftp: Ends = { v6: false, inside: inside(51), outside: out(100), host: (ip) => c.host(ip), wire: (ip) => c.wire(ip) };
  const ctl = new Conn(ftp, true, 40000, 21, 1_000_000)
    .open()
    .b('220 ready\r\n')
    .a('USER x\r\n')
    .b('331 ok\r\n')
    .a('PORT 192,0,2,51,156,65\r\n')
    .b('200 PORT ok\r\n');
  ctl.a('RETR a\r\n').b('150 opening\r\n');
  new Conn(ftp, false, 20, 40001, 2_000_000).open().a('data '.repeat(20)).close();
  ctl.b('226 done\r\n').close();
  // A unicast packet in a multicast frame: the cluster rule in mangle PREROUTING makes it PACKET_HOST (forwarded); to .78 it is not (dropped).
  const mc = { src: '02:00:00:00:00:02', dst: '01:00:5e:01:02:03' };
  c.wire(ipv4({ src: out(95), dst: inside(77) }, udp({ sport: 1, dport: 2, payload: payload(8) })), mc);
  c.wire(ipv4({ src: out(95), dst: inside(78) }, udp({ sport: 1, dport: 2, payload: payload(8) })), mc);

  // IPv6.
  const { w6, h6 } = senders6(c);
  const out6 = (n: number): string => `2001:db8:99::${n}`;
  const in6 = (n: number): string => `2001:db8:2::${n}`;
  for (const s of [700, 700, 100, 48, 48]) w6(ipv6({ src: out6(5), dst: in6(10) }, udp({ sport: 4000, dport: 9000, payload: payload(s - 48) })));
  h6(ipv6({ src: in6(20), dst: out6(40) }, raw(33, dccp({ sport: 1500, dport: 5004, type: DCCP_REQUEST, options: [32, 4, 2, 0] }))));
  w6(ipv6({ src: out6(40), dst: in6(20) }, raw(33, dccp({ sport: 5004, dport: 1500, type: DCCP_RESPONSE }))));
  h6(ipv6({ src: in6(20), dst: out6(40) }, raw(33, dccp({ sport: 1500, dport: 5004, type: DCCP_ACK, doff: 3 }))));
  for (const cpi of [0x100, 0x200]) w6(ipv6({ src: out6(50), dst: in6(30) }, raw(108, ipcomp(cpi))));
  for (let i = 60; i < 72; i++) w6(ipv6({ src: out6(i), dst: in6(40) }, udp({ sport: 7000 + i, dport: 53, payload: payload(10) })));
  // IPv6 cluster hashing reads an address's first 32 bits only: sources in other /32s.
  for (const src of ['2a00:1::1', '2a00:2::1', '2a01:1::5', '2400:cb00::1', '2606:4700::1111', '2620:fe::fe', '3fff:1::1', '2001:470::1'])
    w6(ipv6({ src, dst: in6(40) }, udp({ sport: 7100, dport: 53, payload: payload(10) })));
  // Segment Routing Headers, to 2001:db8:2::20 through the firewall.
  const segs = [in6(20), '2001:db8:b::1', '2001:db8:a::1'];
  const u = udp({ sport: 1000, dport: 2000, payload: payload(16) });
  const s6 = (ext: { type: number; bytes: Uint8Array }[], l4 = u): void => w6(ipv6({ src: out6(80), dst: in6(20), ext }, l4));
  s6([srh(segs, 1, 2, 0x1234)]);
  s6([srh(segs, 2, 2, 0x1234)]);
  s6([srh(segs, 0, 2, 7)]);
  // The tag 0x3412: ip6t_srh compares it in the wrong byte order, so --srh-tag 4660 (0x1234) matches it on x86.
  s6([srh(segs, 1, 2, 0x3412)]);
  s6([srh(segs, 3, 2)]);
  s6([srh([in6(20), '2001:db8:c::9'], 1, 1, 0x1234)]);
  s6([srh(segs, 1, 2, 0x1234)], tcp({ sport: 1000, dport: 80, flags: 'S' }));
  s6([routingHeader(2, 1, [in6(20)])]);
  s6([]);
  // Last Entry 5 with three segments: the previous segment is read from past the header.
  s6([srh(segs, 4, 5)]);
  // A unicast packet in a multicast frame (cluster in mangle PREROUTING: forwarded to ::77, dropped to ::78).
  const mc6 = { ...mcastMac('ff02::1:3', '02:00:00:00:00:02'), ethertype: ETH_P_IPV6 };
  w6(ipv6({ src: out6(95), dst: in6(77) }, udp({ sport: 1, dport: 2, payload: payload(8) })), mc6);
  w6(ipv6({ src: out6(95), dst: in6(78) }, udp({ sport: 1, dport: 2, payload: payload(8) })), mc6);
  return { rules, rules6, capture: c };
}
