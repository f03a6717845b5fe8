/**
 * hmark: HMARK's marks, bit for bit. Each flow is marked in mangle
 * PREROUTING by an HMARK rule of its own (a modulus near 2^32, so the mark
 * is nearly the whole hash), and CONNMARK --save-mark copies the mark into
 * the connection, which kernel.conntrack and kernel.conntrack6 list
 * (`mark=`). A second HMARK with a small modulus and an offset feeds
 * `-m mark` counters in FORWARD.
 *
 * What the flows cover: the full 5-tuple, and its reply (the same mark:
 * the hash orders addresses and ports); prefix masks, port masks, port
 * values and the protocol mask; ESP's and AH's SPI (AH's at offset 4),
 * with the SPI mask and value; ICMP (no ports); an ICMP error hashing the
 * header it quotes (RELATED to the flow it is about, whose mark it
 * overwrites); `--hmark-tuple ct` on a DNAT-ed connection (the reply
 * tuple's source once NAT has bound it: the first packet hashes the
 * original destination, later ones the server's address); SCTP and GRE;
 * in IPv6 the four words XORed, extension headers walked to the upper
 * layer, AH, ICMPv6 echo (no ports) and errors (the quoted header), and
 * `ct` with ICMPv6 (the echo id as both ports).
 */
import { icmp, icmp6, ipv4, ipv6, optionsHeader, sctp, sctpInit, tcp, udp } from '../../../src/packet/build.js';
import { l4Checksum6 } from '../../../src/packet/checksum.js';
import { Capture, payload, type Scenario } from './capture.js';
import { machine } from './npt-strip.js';

const BIG = '--hmark-mod 4294967000';

export const rules = `# cofw golden: hmark (IPv4)
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 198.51.100.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.0.2.50:80
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:H - [0:0]
-A PREROUTING -j H
-A PREROUTING -j CONNMARK --save-mark
-A PREROUTING -j HMARK --hmark-tuple src,dst,sport,dport,proto --hmark-mod 4 --hmark-offset 100 --hmark-rnd 0x1
-A H -p tcp -m tcp --dport 1000 -j HMARK --hmark-tuple src,dst,sport,dport,proto ${BIG} --hmark-rnd 0xdeadbeef
-A H -p tcp -m tcp --sport 1000 -j HMARK --hmark-tuple src,dst,sport,dport,proto ${BIG} --hmark-rnd 0xdeadbeef
-A H -p tcp -m tcp --dport 1001 -j HMARK --hmark-src-prefix 24 --hmark-dst-prefix 16 --hmark-sport-mask 0xff00 --hmark-dport-mask 0x00ff --hmark-proto-mask 0x0f ${BIG} --hmark-offset 77 --hmark-rnd 0x12345678
-A H -p udp -m udp --dport 1002 -j HMARK --hmark-tuple dst,sport --hmark-sport 0x8000 --hmark-dport 0x3 ${BIG} --hmark-rnd 0x2
-A H -p esp -j HMARK --hmark-tuple src,dst,spi,proto ${BIG} --hmark-rnd 0x3
-A H -p ah -j HMARK --hmark-tuple src --hmark-spi-mask 0xffff00ff --hmark-spi 0x10 ${BIG} --hmark-rnd 0x4
-A H -p icmp -m icmp --icmp-type 8 -j HMARK --hmark-tuple src,dst,sport,dport,proto ${BIG} --hmark-rnd 0x5
-A H -p icmp -m icmp --icmp-type 3 -j HMARK --hmark-tuple src,dst,sport,dport,proto ${BIG} --hmark-rnd 0x6
-A H -p udp -m udp --dport 1003 -j HMARK --hmark-tuple src,dst,sport,dport,proto ${BIG} --hmark-rnd 0x7
-A H -p tcp -m tcp --dport 8080 -j HMARK --hmark-tuple ct,src,dst,sport,dport,proto ${BIG} --hmark-rnd 0x8
-A H -p tcp -m tcp --sport 80 -j HMARK --hmark-tuple ct,src,dst,sport,dport,proto ${BIG} --hmark-rnd 0x8
-A H -p sctp -j HMARK --hmark-tuple src,dst,sport,dport,proto ${BIG} --hmark-rnd 0x9
-A H -p gre -j HMARK --hmark-tuple src,dst,sport,dport,proto ${BIG} --hmark-rnd 0xa
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m mark --mark 0x64
-A FORWARD -m mark --mark 0x65
-A FORWARD -m mark --mark 0x66
-A FORWARD -m mark --mark 0x67
-A FORWARD -m conntrack --ctstate RELATED
COMMIT
`;

export const rules6 = `# cofw golden: hmark (IPv6)
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:H - [0:0]
-A PREROUTING -j H
-A PREROUTING -j CONNMARK --save-mark
-A PREROUTING -j HMARK --hmark-tuple src,dst,sport,dport,proto --hmark-mod 3 --hmark-offset 200 --hmark-rnd 0x1
-A H -p tcp -m tcp --dport 2000 -j HMARK --hmark-tuple src,dst,sport,dport,proto ${BIG} --hmark-rnd 0xdeadbeef
-A H -p tcp -m tcp --sport 2000 -j HMARK --hmark-tuple src,dst,sport,dport,proto ${BIG} --hmark-rnd 0xdeadbeef
-A H -p tcp -m tcp --dport 2001 -j HMARK --hmark-src-prefix 64 --hmark-dst-prefix 56 --hmark-tuple sport,proto ${BIG} --hmark-rnd 0x11
-A H -p udp -m udp --dport 2002 -j HMARK --hmark-tuple src,dst,sport,dport,proto ${BIG} --hmark-rnd 0x12
-A H -p ah -j HMARK --hmark-tuple src,dst,spi,proto ${BIG} --hmark-rnd 0x13
-A H -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j HMARK --hmark-tuple src,dst,sport,dport,proto ${BIG} --hmark-rnd 0x14
-A H -p ipv6-icmp -m icmp6 --icmpv6-type 1 -j HMARK --hmark-tuple src,dst,sport,dport,proto ${BIG} --hmark-rnd 0x15
-A H -p udp -m udp --dport 2003 -j HMARK --hmark-tuple src,dst,sport,dport,proto ${BIG} --hmark-rnd 0x16
-A H -p ipv6-icmp -m icmp6 --icmpv6-type 129 -j HMARK --hmark-tuple ct,src,dst,sport,dport,proto ${BIG} --hmark-rnd 0x17
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m mark --mark 0xc8
-A FORWARD -m mark --mark 0xc9
-A FORWARD -m mark --mark 0xca
COMMIT
`;

const IN = '192.0.2.10';
const OUT = '203.0.113.9';

/** An ESP packet: SPI, sequence number, opaque payload. */
function esp(spi: number): { proto: number; bytes: Uint8Array } {
  const b = new Uint8Array(24);
  new DataView(b.buffer).setUint32(0, spi);
  new DataView(b.buffer).setUint32(4, 1);
  return { proto: 50, bytes: b };
}

/** An AH header (12-byte ICV) in front of a UDP datagram's bytes; AH's next header is UDP. */
function ah(spi: number, inner: Uint8Array): { proto: number; bytes: Uint8Array } {
  const b = new Uint8Array(24 + inner.length);
  const dv = new DataView(b.buffer);
  b[0] = 17;
  b[1] = 4; // (24 / 4) - 2
  dv.setUint32(4, spi);
  dv.setUint32(8, 1);
  b.set(inner, 24);
  return { proto: 51, bytes: b };
}

export function build(): Scenario & { rules6: string; machine: string } {
  const c = new Capture(3_000_000n);

  // IPv4: the 5-tuple both ways (several clients, so the small-modulus counters spread).
  for (let i = 0; i < 6; i++) {
    const src = `192.0.2.${20 + i}`;
    c.host(ipv4({ src, dst: OUT }, tcp({ sport: 33000 + i * 7, dport: 1000, flags: 'S', seq: 1 })));
    c.wire(ipv4({ src: OUT, dst: src }, tcp({ sport: 1000, dport: 33000 + i * 7, flags: 'SA', seq: 5, ack: 2 })));
  }
  // Masks, port values, the protocol mask.
  c.host(ipv4({ src: '192.0.2.77', dst: '203.0.113.200' }, tcp({ sport: 0x1234, dport: 1001, flags: 'S', seq: 1 })));
  c.host(ipv4({ src: IN, dst: OUT }, udp({ sport: 0x4321, dport: 1002, payload: payload(8) })));
  // ESP and AH (SPI).
  c.host(ipv4({ src: IN, dst: OUT }, esp(0x01020304)));
  c.host(ipv4({ src: IN, dst: '203.0.113.10' }, ah(0xa1b2c3d4, udp({ sport: 500, dport: 500, payload: payload(4) }).bytes)));
  // ICMP echo; a UDP flow and the ICMP error about it (the quoted header is hashed).
  c.host(ipv4({ src: IN, dst: OUT }, icmp({ type: 8, id: 99, seq: 1, payload: payload(16) })));
  const dgram = ipv4({ src: IN, dst: OUT }, udp({ sport: 40000, dport: 1003, payload: payload(12) }));
  c.host(dgram);
  c.wire(ipv4({ src: '198.51.100.254', dst: IN }, icmp({ type: 3, code: 3, payload: dgram.subarray(0, 28) })));
  // ct on a DNAT-ed connection: SYN (reply tuple not yet translated), SYN-ACK and ACK (translated).
  c.wire(ipv4({ src: OUT, dst: '198.51.100.1' }, tcp({ sport: 45000, dport: 8080, flags: 'S', seq: 1 })));
  c.host(ipv4({ src: '192.0.2.50', dst: OUT }, tcp({ sport: 80, dport: 45000, flags: 'SA', seq: 7, ack: 2 })));
  c.wire(ipv4({ src: OUT, dst: '198.51.100.1' }, tcp({ sport: 45000, dport: 8080, flags: 'A', seq: 2, ack: 8 })));
  // SCTP (ports) and GRE (none).
  c.host(ipv4({ src: IN, dst: OUT }, sctp({ sport: 5000, dport: 5001, vtag: 0, chunks: [{ type: 1, value: sctpInit(0x1111) }] })));
  c.host(ipv4({ src: IN, dst: OUT }, { proto: 47, bytes: Uint8Array.from([0, 0, 0x08, 0x00, 0x45, 0, 0, 20]) }));

  // IPv6.
  const IN6 = '2001:db8:2::10';
  const OUT6 = '2001:db8:99::5';
  for (let i = 0; i < 4; i++) {
    const src = `2001:db8:2::${(0x20 + i).toString(16)}`;
    c.host6(ipv6({ src, dst: OUT6 }, tcp({ sport: 34000 + i * 3, dport: 2000, flags: 'S', seq: 1 })));
    c.wire6(ipv6({ src: OUT6, dst: src }, tcp({ sport: 2000, dport: 34000 + i * 3, flags: 'SA', seq: 5, ack: 2 })));
  }
  c.host6(ipv6({ src: '2001:db8:2::77', dst: '2001:db8:99:aa::5' }, tcp({ sport: 0x5555, dport: 2001, flags: 'S', seq: 1 })));
  // Behind hop-by-hop and destination options.
  c.host6(ipv6({ src: IN6, dst: OUT6, ext: [optionsHeader(0, 8), optionsHeader(60, 16)] }, udp({ sport: 41000, dport: 2002, payload: payload(8) })));
  // Behind AH (the UDP checksum set: conntrack steps over AH to the datagram).
  const ah6 = ipv6({ src: IN6, dst: OUT6 }, ah(0x0badcafe, udp({ sport: 600, dport: 600, payload: payload(4) }).bytes));
  const ck = l4Checksum6(ah6, 64, ah6.length - 64, 17);
  ah6[70] = ck >> 8;
  ah6[71] = ck & 0xff;
  c.host6(ah6);
  c.host6(ipv6({ src: IN6, dst: OUT6 }, icmp6({ type: 128, id: 7, seq: 1, payload: payload(8) })));
  c.wire6(ipv6({ src: OUT6, dst: IN6 }, icmp6({ type: 129, id: 7, seq: 1, payload: payload(8) })));
  const d6 = ipv6({ src: IN6, dst: OUT6 }, udp({ sport: 42000, dport: 2003, payload: payload(12) }));
  c.host6(d6);
  c.wire6(ipv6({ src: '2001:db8:100::fe', dst: IN6 }, icmp6({ type: 1, code: 4, payload: d6 })));
  return { rules, rules6, capture: c, machine };
}
