/**
 * Builds well-formed frames and IPv4 packets: for tests, for the fixture
 * generator and for packets the guest generates. Checksums are correct
 * unless asked otherwise.
 *
 * @example
 * const f = ethernet({ src: MAC_A, dst: MAC_B }, ipv4({ src: '192.0.2.10', dst: '198.51.100.7' },
 *   tcp({ sport: 40000, dport: 22, flags: 'S' })));
 */
import { type InetAddr, parseIPv6 } from './inet-addr.js';
import { l4Checksum6 } from './checksum.js';
import { parseIPv4, parseMac, writeIPv4 } from './addr.js';
import { setIPv4Checksum, setL4Checksum, setSctpChecksum } from './checksum.js';

export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_8021Q = 0x8100;

/** A transport payload waiting for its IP header (protocol + bytes). */
export interface L4 {
  readonly proto: number;
  readonly bytes: Uint8Array;
}

export interface Ipv4Fields {
  src: string | number;
  dst: string | number;
  ttl?: number;
  tos?: number;
  id?: number;
  /** Don't-fragment flag (default true, as Linux sends). */
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in 8-byte units. */
  fragoff?: number;
  /** Raw option bytes (padded to 4 by the builder). */
  options?: Uint8Array;
  /** Override the protocol number (for raw payloads). */
  proto?: number;
  /** Leave the header checksum wrong. */
  badChecksum?: boolean;
}

function addr(a: string | number): number {
  if (typeof a === 'number') return a >>> 0;
  const v = parseIPv4(a);
  if (v === undefined) throw new Error(`not an IPv4 address: ${a}`);
  return v;
}

/** Builds an IPv4 packet around `l4` (TCP/UDP/ICMP checksums filled in). */
export function ipv4(f: Ipv4Fields, l4: L4): Uint8Array {
  const opt = f.options ?? new Uint8Array(0);
  const optLen = (opt.length + 3) & ~3;
  const ihl = 20 + optLen;
  const tot = ihl + l4.bytes.length;
  const b = new Uint8Array(tot);
  b[0] = 0x40 | (ihl / 4);
  b[1] = f.tos ?? 0;
  b[2] = tot >> 8;
  b[3] = tot & 255;
  const id = f.id ?? 0;
  b[4] = id >> 8;
  b[5] = id & 255;
  const fo = (f.fragoff ?? 0) | ((f.df ?? true) && !f.mf && !f.fragoff ? 0x4000 : 0) | (f.mf ? 0x2000 : 0);
  b[6] = fo >> 8;
  b[7] = fo & 255;
  b[8] = f.ttl ?? 64;
  b[9] = f.proto ?? l4.proto;
  writeIPv4(b, 12, addr(f.src));
  writeIPv4(b, 16, addr(f.dst));
  b.set(opt, 20);
  b.set(l4.bytes, ihl);
  if (!f.fragoff && !f.mf) setL4Checksum(b);
  setIPv4Checksum(b);
  if (f.badChecksum) b[11] = b[11]! ^ 0xff;
  return b;
}

export interface TcpFields {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  /** Flags as letters: F S R P A U E C (e.g. 'SA'), or a number. */
  flags?: string | number;
  window?: number;
  urg?: number;
  /** Raw option bytes, padded to a multiple of 4 with zeros (EOL). */
  options?: Uint8Array;
  payload?: Uint8Array;
}

const TCP_FLAG_BITS: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, A: 16, U: 32, E: 64, C: 128 };

export function tcpFlags(f: string | number): number {
  if (typeof f === 'number') return f;
  let v = 0;
  for (const c of f) {
    const bit = TCP_FLAG_BITS[c];
    if (bit === undefined) throw new Error(`unknown TCP flag letter ${c}`);
    v |= bit;
  }
  return v;
}

export function tcp(f: TcpFields): L4 {
  const opt = f.options ?? new Uint8Array(0);
  const optLen = (opt.length + 3) & ~3;
  const hl = 20 + optLen;
  const pl = f.payload ?? new Uint8Array(0);
  const b = new Uint8Array(hl + pl.length);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, f.sport);
  dv.setUint16(2, f.dport);
  dv.setUint32(4, (f.seq ?? 0) >>> 0);
  dv.setUint32(8, (f.ack ?? 0) >>> 0);
  b[12] = (hl / 4) << 4;
  b[13] = tcpFlags(f.flags ?? 'S');
  dv.setUint16(14, f.window ?? 64240);
  dv.setUint16(18, f.urg ?? 0);
  b.set(opt, 20);
  b.set(pl, hl);
  return { proto: 6, bytes: b };
}

export interface UdpFields {
  sport: number;
  dport: number;
  payload?: Uint8Array;
}

export function udp(f: UdpFields): L4 {
  const pl = f.payload ?? new Uint8Array(0);
  const b = new Uint8Array(8 + pl.length);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, f.sport);
  dv.setUint16(2, f.dport);
  dv.setUint16(4, 8 + pl.length);
  b.set(pl, 8);
  return { proto: 17, bytes: b };
}

export interface IcmpFields {
  type: number;
  code?: number;
  /** The 4 bytes after the checksum (id/seq for echo; unused/mtu for errors). */
  rest?: number;
  id?: number;
  seq?: number;
  payload?: Uint8Array;
}

export function icmp(f: IcmpFields): L4 {
  const pl = f.payload ?? new Uint8Array(0);
  const b = new Uint8Array(8 + pl.length);
  const dv = new DataView(b.buffer);
  b[0] = f.type;
  b[1] = f.code ?? 0;
  if (f.rest !== undefined) dv.setUint32(4, f.rest >>> 0);
  else {
    dv.setUint16(4, f.id ?? 0);
    dv.setUint16(6, f.seq ?? 0);
  }
  b.set(pl, 8);
  return { proto: 1, bytes: b };
}

/** One SCTP chunk: its type, flags and value (padded to 4 bytes; `length` overrides the length field). */
export interface SctpChunk {
  type: number;
  flags?: number;
  value?: Uint8Array;
  length?: number;
}

export interface SctpFields {
  sport: number;
  dport: number;
  vtag: number;
  chunks: readonly SctpChunk[];
  /** Leave a wrong CRC32c in the header. */
  badChecksum?: boolean;
}

/** An SCTP packet: common header, then the chunks, with its CRC32c (which needs no IP header). */
export function sctp(f: SctpFields): L4 {
  const size = f.chunks.reduce((n, c) => n + ((4 + (c.value?.length ?? 0) + 3) & ~3), 12);
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, f.sport);
  dv.setUint16(2, f.dport);
  dv.setUint32(4, f.vtag >>> 0);
  let at = 12;
  for (const c of f.chunks) {
    const v = c.value ?? new Uint8Array(0);
    b[at] = c.type;
    b[at + 1] = c.flags ?? 0;
    dv.setUint16(at + 2, c.length ?? 4 + v.length);
    b.set(v, at + 4);
    at += (4 + v.length + 3) & ~3;
  }
  setSctpChecksum(b, 0, b.length);
  if (f.badChecksum) b[8]! ^= 0xff;
  return { proto: 132, bytes: b };
}

/** The value of an INIT or INIT_ACK chunk: initiate tag, a_rwnd, streams, initial TSN (16 bytes). */
export function sctpInit(initTag: number, tsn = 1, rwnd = 65536): Uint8Array {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, initTag >>> 0);
  dv.setUint32(4, rwnd >>> 0);
  dv.setUint16(8, 10);
  dv.setUint16(10, 10);
  dv.setUint32(12, tsn >>> 0);
  return b;
}

/** Any other protocol: raw payload bytes. */
export function raw(proto: number, bytes: Uint8Array): L4 {
  return { proto, bytes };
}

export interface EthFields {
  src: string | Uint8Array;
  dst: string | Uint8Array;
  /** 802.1Q VLAN id: adds a tag. */
  vlan?: number;
  ethertype?: number;
}

function mac(m: string | Uint8Array): Uint8Array {
  if (typeof m !== 'string') return m;
  const v = parseMac(m);
  if (!v) throw new Error(`not a MAC address: ${m}`);
  return v;
}

/** Wraps a payload (an IPv4 packet by default) in an Ethernet header. */
export function ethernet(f: EthFields, payload: Uint8Array): Uint8Array {
  const tag = f.vlan !== undefined ? 4 : 0;
  const b = new Uint8Array(14 + tag + payload.length);
  b.set(mac(f.dst), 0);
  b.set(mac(f.src), 6);
  const et = f.ethertype ?? ETH_P_IP;
  if (tag) {
    b[12] = ETH_P_8021Q >> 8;
    b[13] = ETH_P_8021Q & 255;
    b[14] = (f.vlan! >> 8) & 0x0f;
    b[15] = f.vlan! & 255;
  }
  b[12 + tag] = et >> 8;
  b[13 + tag] = et & 255;
  b.set(payload, 14 + tag);
  return b;
}

/** An ARP request or reply (Ethernet/IPv4) payload. */
export function arp(op: 1 | 2, senderMac: string, senderIp: string, targetMac: string, targetIp: string): Uint8Array {
  const b = new Uint8Array(28);
  b.set([0, 1, 8, 0, 6, 4, 0, op], 0);
  b.set(mac(senderMac), 8);
  writeIPv4(b, 14, addr(senderIp));
  b.set(mac(targetMac), 18);
  writeIPv4(b, 24, addr(targetIp));
  return b;
}

export interface Ipv6Fields {
  src: string;
  dst: string;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  /**
   * Extension headers before the upper-layer header, in order: each its
   * type (0 hop-by-hop, 43 routing, 44 fragment, 60 destination options,
   * 51 AH) and its whole bytes (the next-header byte is filled in).
   */
  ext?: ReadonlyArray<{ type: number; bytes: Uint8Array }>;
  /** Leave the upper-layer checksum as `l4` has it (for fragments and crafted packets). */
  rawL4?: boolean;
}

function addr6(a: string): InetAddr {
  const v = parseIPv6(a);
  if (!v) throw new Error(`not an IPv6 address: ${a}`);
  return v;
}

/**
 * Builds an IPv6 packet around `l4`, with extension headers when given; the
 * TCP, UDP or ICMPv6 checksum is computed over the IPv6 pseudo header.
 */
export function ipv6(f: Ipv6Fields, l4: L4): Uint8Array {
  const ext = f.ext ?? [];
  const extLen = ext.reduce((n, e) => n + e.bytes.length, 0);
  const b = new Uint8Array(40 + extLen + l4.bytes.length);
  const tc = f.trafficClass ?? 0;
  const fl = f.flowLabel ?? 0;
  b[0] = 0x60 | (tc >> 4);
  b[1] = ((tc & 15) << 4) | ((fl >> 16) & 15);
  b[2] = (fl >> 8) & 255;
  b[3] = fl & 255;
  const plen = extLen + l4.bytes.length;
  b[4] = plen >> 8;
  b[5] = plen & 255;
  b[6] = ext.length ? ext[0]!.type : l4.proto;
  b[7] = f.hopLimit ?? 64;
  addr6(f.src).write(b, 8);
  addr6(f.dst).write(b, 24);
  let at = 40;
  ext.forEach((e, i) => {
    b.set(e.bytes, at);
    b[at] = i + 1 < ext.length ? ext[i + 1]!.type : l4.proto;
    at += e.bytes.length;
  });
  b.set(l4.bytes, at);
  if (!f.rawL4 && !ext.some((e) => e.type === 44)) {
    const ck = l4.proto === 6 ? at + 16 : l4.proto === 17 ? at + 6 : l4.proto === 58 ? at + 2 : -1;
    if (ck >= 0 && ck + 2 <= b.length) {
      b[ck] = 0;
      b[ck + 1] = 0;
      let c = l4Checksum6(b, at, l4.bytes.length, l4.proto);
      if (l4.proto === 17 && c === 0) c = 0xffff;
      b[ck] = c >> 8;
      b[ck + 1] = c & 255;
    }
  }
  return b;
}

/** An ICMPv6 message (its checksum is filled in by `ipv6`). */
export function icmp6(f: IcmpFields): L4 {
  const m = icmp(f);
  return { proto: 58, bytes: m.bytes };
}

/** A fragment header (8 bytes): offset in bytes (a multiple of 8), more-fragments flag, id. */
export function fragHeader(offset: number, more: boolean, id: number): { type: number; bytes: Uint8Array } {
  const b = new Uint8Array(8);
  const v = (offset & ~7) | (more ? 1 : 0);
  b[2] = v >> 8;
  b[3] = v & 255;
  new DataView(b.buffer).setUint32(4, id >>> 0);
  return { type: 44, bytes: b };
}

/** A hop-by-hop or destination options header of `len` bytes (a multiple of 8), padded with PadN. */
export function optionsHeader(type: 0 | 60, len = 8): { type: number; bytes: Uint8Array } {
  const b = new Uint8Array(len);
  b[1] = len / 8 - 1;
  b[2] = 1; // PadN
  b[3] = len - 4;
  return { type, bytes: b };
}
