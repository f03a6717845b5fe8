/**
 * IPv6 building blocks of the golden scenarios: framing for the oracle's
 * two links, multicast MACs, and the extension headers the packet builder
 * does not make itself (routing, mobility, AH, ESP).
 */
import { ethernet, ipv6, raw, type EthFields, type Ipv6Fields, type L4 } from '../../../src/packet/build.js';
import { parseIPv6 } from '../../../src/packet/inet-addr.js';
import { FW_ETH0_MAC, FW_ETH1_MAC, HOST_MAC, WIRE_MAC, type Capture } from './capture.js';

export const ETH_P_IPV6 = 0x86dd;
/** The firewall's IPv6 addresses (eth0, eth1) and its outside router. */
export const FW6 = '2001:db8:100::1';
export const FW6_IN = '2001:db8:2::1';

export const WIRE6: EthFields = { src: WIRE_MAC, dst: FW_ETH0_MAC, ethertype: ETH_P_IPV6 };
export const HOST6: EthFields = { src: HOST_MAC, dst: FW_ETH1_MAC, ethertype: ETH_P_IPV6 };

/** The Ethernet multicast address of an IPv6 group (33:33 and its last 32 bits). */
export function mcastMac(group: string, src: string): EthFields {
  const a = parseIPv6(group);
  if (!a) throw new Error(`not an IPv6 address: ${group}`);
  const b = a.bytes();
  const tail = [...b.subarray(12)].map((x) => x.toString(16).padStart(2, '0')).join(':');
  return { src, dst: `33:33:${tail}`, ethertype: ETH_P_IPV6 };
}

/** The IPv6 senders of a capture: from the outside (eth0), the inside (eth1), the firewall itself. */
export function senders6(c: Capture): {
  w6: (ip: Uint8Array, l2?: EthFields) => void;
  h6: (ip: Uint8Array, l2?: EthFields) => void;
  l6: (ip: Uint8Array, inside?: boolean) => void;
} {
  return {
    w6: (ip, l2 = WIRE6) => c.wire(ip, l2),
    h6: (ip, l2 = HOST6) => c.host(ip, l2),
    l6: (ip, inside = false) => c.add(ethernet({ src: inside ? FW_ETH1_MAC : FW_ETH0_MAC, dst: inside ? HOST_MAC : WIRE_MAC, ethertype: ETH_P_IPV6 }, ip)),
  };
}

/** A routing header: type, segments left, its addresses, and the reserved word (the next-header byte is filled in by ipv6()). */
export function routingHeader(type: number, segmentsLeft: number, addresses: readonly string[], reserved = 0): { type: number; bytes: Uint8Array } {
  const b = new Uint8Array(8 + 16 * addresses.length);
  b[1] = addresses.length * 2;
  b[2] = type;
  b[3] = segmentsLeft;
  new DataView(b.buffer).setUint32(4, reserved >>> 0);
  addresses.forEach((a, i) => parseIPv6(a)!.write(b, 8 + 16 * i));
  return { type: 43, bytes: b };
}

/** An options header (hop-by-hop 0 or destination 60) with the given options' bytes, padded with PadN to a multiple of 8. */
export function optionsWith(type: 0 | 60, options: readonly number[]): { type: number; bytes: Uint8Array } {
  const len = Math.ceil((2 + options.length) / 8) * 8;
  const b = new Uint8Array(len);
  b[1] = len / 8 - 1;
  b.set(options, 2);
  const pad = len - 2 - options.length;
  if (pad === 1)
    b[2 + options.length] = 0; // Pad1
  else if (pad > 1) {
    b[2 + options.length] = 1;
    b[3 + options.length] = pad - 2;
  }
  return { type, bytes: b };
}

/** An authentication header (AH): SPI, payload length field (the header is (len + 2) * 4 bytes), reserved field. */
export function ahHeader(spi: number, len = 4, reserved = 0): { type: number; bytes: Uint8Array } {
  const b = new Uint8Array((len + 2) * 4);
  b[1] = len;
  b[2] = reserved >> 8;
  b[3] = reserved & 0xff;
  const dv = new DataView(b.buffer);
  dv.setUint32(4, spi >>> 0);
  dv.setUint32(8, 1);
  return { type: 51, bytes: b };
}

/** An ESP packet's payload: SPI, sequence number, then opaque bytes. */
export function esp(spi: number, n = 24): L4 {
  const b = new Uint8Array(8 + n).fill(0x5a);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, spi >>> 0);
  dv.setUint32(4, 1);
  return raw(50, b);
}

/** A mobility header (protocol 135) of `type`, 16 bytes (its checksum left zero). */
export function mobility(type: number): L4 {
  const b = new Uint8Array(16);
  b[0] = 59;
  b[1] = 1;
  b[2] = type;
  return raw(135, b);
}

/**
 * A packet cut into fragments: the whole packet is built (checksum over the
 * whole upper layer), then its payload after the unfragmentable headers
 * `unfrag` is cut at the byte offsets `cuts` (multiples of 8).
 */
export function fragments6(f: Ipv6Fields, l4: L4, id: number, cuts: readonly number[], unfrag: Ipv6Fields['ext'] = []): Uint8Array[] {
  const whole = ipv6({ ...f, ext: unfrag }, l4);
  const hdrs = 40 + (unfrag ?? []).reduce((n, e) => n + e.bytes.length, 0);
  const body = whole.subarray(hdrs);
  const bounds = [0, ...cuts, body.length];
  const out: Uint8Array[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const from = bounds[i]!;
    const to = bounds[i + 1]!;
    out.push(ipv6({ ...f, ext: [...(unfrag ?? []), fragHeaderOf(from, i + 2 < bounds.length, id)], rawL4: true }, raw(l4.proto, body.subarray(from, to))));
  }
  return out;
}

function fragHeaderOf(offset: number, more: boolean, id: number): { type: number; bytes: Uint8Array } {
  const b = new Uint8Array(8);
  const v = (offset & ~7) | (more ? 1 : 0);
  b[2] = v >> 8;
  b[3] = v & 255;
  new DataView(b.buffer).setUint32(4, id >>> 0);
  return { type: 44, bytes: b };
}

/**
 * An atomic fragment (RFC 6946: offset 0, M clear): the whole packet with a
 * fragment header, its upper-layer checksum right. `reserved` sets the
 * fragment header's reserved byte and bits.
 */
export function atomic6(f: Ipv6Fields, l4: L4, id: number, reserved = 0): Uint8Array {
  const whole = ipv6({ ...f, ext: f.ext ?? [] }, l4);
  const hdrs = 40 + (f.ext ?? []).reduce((n, e) => n + e.bytes.length, 0);
  const fh = fragHeaderOf(0, false, id);
  fh.bytes[1] = reserved & 0xff;
  fh.bytes[3] = fh.bytes[3]! | ((reserved >> 8) & 6);
  return ipv6({ ...f, ext: [...(f.ext ?? []), fh], rawL4: true }, raw(l4.proto, whole.subarray(hdrs)));
}
