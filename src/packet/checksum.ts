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
