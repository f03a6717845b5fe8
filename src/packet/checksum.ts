/**
 * The Internet checksum (RFC 1071) and the TCP/UDP pseudo-header sum.
 */

/** Adds 16-bit big-endian words of `b[off, off+len)` to `sum` (not folded). */
export function sum16(b: Uint8Array, off: number, len: number, sum = 0): number {
  const end = off + len;
  let i = off;
  for (; i + 1 < end; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (i < end) sum += b[i]! << 8;
  return sum;
}

/** Folds a running sum to 16 bits and complements it. */
export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** The Internet checksum of a byte range. */
export function inetChecksum(b: Uint8Array, off: number, len: number): number {
  return fold(sum16(b, off, len));
}

/**
 * Checksum of a TCP or UDP segment at `ip[thoff, thoff+l4len)` including the
 * IPv4 pseudo header (addresses read from the IP header at offset 0).
 */
export function l4Checksum(ip: Uint8Array, thoff: number, l4len: number, proto: number): number {
  let s = sum16(ip, 12, 8); // source and destination address
  s += proto + l4len;
  return fold(sum16(ip, thoff, l4len, s));
}

/** Recomputes the IPv4 header checksum in place. */
export function setIPv4Checksum(ip: Uint8Array): void {
  const ihl = (ip[0]! & 0x0f) * 4;
  ip[10] = 0;
  ip[11] = 0;
  const c = inetChecksum(ip, 0, ihl);
  ip[10] = c >> 8;
  ip[11] = c & 255;
}

/**
 * Recomputes the transport checksum (TCP, UDP, ICMP) of a complete,
 * unfragmented IPv4 packet in place. UDP's zero result is sent as 0xffff.
 */
export function setL4Checksum(ip: Uint8Array): void {
  const ihl = (ip[0]! & 0x0f) * 4;
  const tot = (ip[2]! << 8) | ip[3]!;
  const proto = ip[9]!;
  const l4len = tot - ihl;
  let at: number;
  if (proto === 6) at = ihl + 16;
  else if (proto === 17) at = ihl + 6;
  else if (proto === 1) at = ihl + 2;
  else return;
  if (at + 2 > tot) return;
  ip[at] = 0;
  ip[at + 1] = 0;
  let c = proto === 1 ? inetChecksum(ip, ihl, l4len) : l4Checksum(ip, ihl, l4len, proto);
  if (proto === 17 && c === 0) c = 0xffff;
  ip[at] = c >> 8;
  ip[at + 1] = c & 255;
}

/**
 * Checksum of an upper-layer header (TCP, UDP, ICMPv6) at
 * `ip[thoff, thoff+l4len)` of an IPv6 packet, including the IPv6 pseudo
 * header (RFC 8200 8.1: addresses, upper-layer length, next header).
 */
export function l4Checksum6(ip: Uint8Array, thoff: number, l4len: number, proto: number): number {
  let s = sum16(ip, 8, 32);
  s += (l4len >>> 16) + (l4len & 0xffff) + proto;
  return fold(sum16(ip, thoff, l4len, s));
}

/** CRC32c (Castagnoli, reflected polynomial 0x82f63b78) byte table. */
const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * SCTP's checksum (RFC 9260 appendix A, the kernel's sctp_compute_cksum):
 * the CRC32c of the packet from its common header on, with the checksum
 * field (bytes 8..11) taken as zero. As it is stored in the header: the
 * value to write little-endian at `off + 8`, returned as an unsigned number.
 */
export function sctpChecksum(b: Uint8Array, off: number, len: number): number {
  let c = 0xffffffff;
  for (let i = 0; i < len; i++) {
    const byte = i >= 8 && i < 12 ? 0 : b[off + i]!;
    c = CRC32C_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  }
  return ~c >>> 0;
}

/** Reads the checksum field of the SCTP header at `off` (little-endian, as sctp_compute_cksum's result is stored). */
export function sctpStoredChecksum(b: Uint8Array, off: number): number {
  return (b[off + 8]! | (b[off + 9]! << 8) | (b[off + 10]! << 16) | (b[off + 11]! << 24)) >>> 0;
}

/** Writes the correct SCTP checksum into the header at `off` of an SCTP packet `len` bytes long. */
export function setSctpChecksum(b: Uint8Array, off: number, len: number): void {
  const c = sctpChecksum(b, off, len);
  b[off + 8] = c & 0xff;
  b[off + 9] = (c >>> 8) & 0xff;
  b[off + 10] = (c >>> 16) & 0xff;
  b[off + 11] = c >>> 24;
}

/** csum_replace4 / inet_proto_csum_replace4: the 32-bit value `from` of the checksummed data (an IPv4 address, a sequence number) became `to`. */
export function csumReplace4(b: Uint8Array, at: number, from: number, to: number): void {
  let s = ~((b[at]! << 8) | b[at + 1]!) & 0xffff;
  s += (~(from >>> 16) & 0xffff) + (~from & 0xffff);
  s += (to >>> 16) + (to & 0xffff);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  s = ~s & 0xffff;
  b[at] = s >> 8;
  b[at + 1] = s & 0xff;
}
