/**
 * The 5-tuple of an IPv4 or IPv6 packet in an Ethernet frame: addresses,
 * upper-layer protocol, ports (or the ICMP / ICMPv6 type), read into a
 * reusable record without allocating, for reports that count packets by
 * flow.
 *
 * IPv6 extension headers are skipped as the kernel's `ipv6_skip_exthdr`
 * skips them (hop-by-hop, routing, destination options, AH, fragment): the
 * protocol is the one the chain leads to, and a non-first fragment (IPv4
 * fragment offset, or an IPv6 fragment header's offset, non-zero) has no
 * ports. Everything is bounded by the bytes present: a header cut short
 * leaves the ports 0 (`l4` false).
 *
 * @example
 * const f = new Flow();
 * if (readFrameFlow(frame, f)) console.log(f.src.toString(), f.proto, f.dport);
 */
import { Family, InetAddr } from './inet-addr.js';
import { ETH_P_PPP_SES, PPPOE_SES_HLEN, pppoeSessionEthertype } from './pppoe.js';

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;

/** Protocols whose first four transport bytes are source and destination ports. */
function hasPorts(proto: number): boolean {
  return proto === 6 || proto === 17 || proto === 132 || proto === 33 || proto === 136;
}

/** A packet's 5-tuple: a record re-pointed at every packet (copy the addresses you keep). */
export class Flow {
  readonly src = new InetAddr();
  readonly dst = new InetAddr();
  /** Upper-layer protocol (IPv6: where the extension headers lead; 59 when none follows). */
  proto = 0;
  /** Ports for TCP, UDP, SCTP, DCCP and UDP-Lite, else 0. */
  sport = 0;
  dport = 0;
  /** ICMP type (protocol 1) or ICMPv6 type (58), else -1. */
  icmpType = -1;
  /** The transport header was read (a first fragment, long enough). */
  l4 = false;
  /** The IP packet's length as its header gives it (IPv4 total length, IPv6 40 + payload length): what counters count. */
  ipLen = 0;

  get family(): Family {
    return this.src.family;
  }

  /** The destination port, or the ICMP / ICMPv6 type: the "port" a drop report shows. */
  get dportOrType(): number {
    return this.icmpType >= 0 ? this.icmpType : this.dport;
  }
}

/**
 * Reads the flow of the IPv4 or IPv6 packet at `off` in `b` (`ethertype`
 * 0x0800 or 0x86dd) into `out`. False, `out` untouched, when the ethertype
 * is another or the fixed header is not all there.
 */
export function readFlow(b: Uint8Array, off: number, ethertype: number, out: Flow): boolean {
  if (ethertype === ETH_P_IP) return readFlow4(b, off, out);
  if (ethertype === ETH_P_IPV6) return readFlow6(b, off, out);
  return false;
}

/** As `readFlow`, for an Ethernet frame (802.1Q / 802.1ad tags skipped). */
export function readFrameFlow(frame: Uint8Array, out: Flow): boolean {
  if (frame.length < 14) return false;
  let off = 12;
  let type = (frame[12]! << 8) | frame[13]!;
  while ((type === 0x8100 || type === 0x88a8) && frame.length >= off + 6) {
    off += 4;
    type = (frame[off]! << 8) | frame[off + 1]!;
  }
  if (type === ETH_P_PPP_SES && pppoeSessionEthertype(frame, off + 2)) {
    type = pppoeSessionEthertype(frame, off + 2);
    off += PPPOE_SES_HLEN;
  }
  return readFlow(frame, off + 2, type, out);
}

/**
 * The length of an Ethernet frame's IP packet as its header gives it (what
 * the kernel's counters count): the IPv4 total length, IPv6's 40 + payload
 * length; the frame's own length when it is not IP or too short to say.
 */
export function frameIpLength(frame: Uint8Array): number {
  if (frame.length < 14) return frame.length;
  let off = 12;
  let type = (frame[12]! << 8) | frame[13]!;
  while ((type === 0x8100 || type === 0x88a8) && frame.length >= off + 6) {
    off += 4;
    type = (frame[off]! << 8) | frame[off + 1]!;
  }
  if (type === ETH_P_PPP_SES && pppoeSessionEthertype(frame, off + 2)) {
    type = pppoeSessionEthertype(frame, off + 2);
    off += PPPOE_SES_HLEN;
  }
  off += 2;
  if (type === ETH_P_IP && frame.length >= off + 4) return (frame[off + 2]! << 8) | frame[off + 3]!;
  if (type === ETH_P_IPV6 && frame.length >= off + 6) return 40 + ((frame[off + 4]! << 8) | frame[off + 5]!);
  return frame.length;
}

function clearL4(out: Flow, proto: number): void {
  out.proto = proto;
  out.sport = out.dport = 0;
  out.icmpType = -1;
  out.l4 = false;
}

function readFlow4(b: Uint8Array, off: number, out: Flow): boolean {
  if (b.length < off + 20) return false;
  out.src.readV4(b, off + 12);
  out.dst.readV4(b, off + 16);
  out.ipLen = (b[off + 2]! << 8) | b[off + 3]!;
  const proto = b[off + 9]!;
  clearL4(out, proto);
  const fragoff = ((b[off + 6]! & 0x1f) << 8) | b[off + 7]!;
  const l4 = off + (b[off]! & 15) * 4;
  if (fragoff === 0 && b.length >= l4 + 4) readL4(b, l4, proto, 1, out);
  return true;
}

/** Most extension headers walked before giving up (the kernel has no limit but the packet's length). */
const MAX_EXTHDRS = 32;

function readFlow6(b: Uint8Array, off: number, out: Flow): boolean {
  if (b.length < off + 40) return false;
  out.src.readV6(b, off + 8);
  out.dst.readV6(b, off + 24);
  out.ipLen = 40 + ((b[off + 4]! << 8) | b[off + 5]!);
  let next = b[off + 6]!;
  let at = off + 40;
  for (let n = 0; n < MAX_EXTHDRS; n++) {
    if (next === 0 || next === 43 || next === 60 || next === 51) {
      if (b.length < at + 2) break;
      const len = next === 51 ? (b[at + 1]! + 2) * 4 : (b[at + 1]! + 1) * 8;
      next = b[at]!;
      at += len;
      continue;
    }
    if (next === 44) {
      if (b.length < at + 8) break;
      const fragoff = ((b[at + 2]! << 8) | b[at + 3]!) & 0xfff8;
      next = b[at]!;
      at += 8;
      if (fragoff !== 0) {
        clearL4(out, next);
        return true;
      }
      continue;
    }
    clearL4(out, next);
    if (b.length >= at + 4) readL4(b, at, next, 58, out);
    return true;
  }
  // Cut short inside the extension headers: the protocol reached so far, no ports.
  clearL4(out, next);
  return true;
}

function readL4(b: Uint8Array, at: number, proto: number, icmp: number, out: Flow): void {
  if (hasPorts(proto)) {
    out.sport = (b[at]! << 8) | b[at + 1]!;
    out.dport = (b[at + 2]! << 8) | b[at + 3]!;
    out.l4 = true;
  } else if (proto === icmp) {
    out.icmpType = b[at]!;
    out.l4 = true;
  }
}
