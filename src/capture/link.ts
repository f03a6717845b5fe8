/**
 * Link-layer conversion: every frame leaves the capture reader as an
 * Ethernet frame. Linux cooked captures (v1 and v2), raw IP and BSD
 * loopback/null get a synthesized 14-byte Ethernet header.
 *
 * Header layouts (from the LINKTYPE registry):
 * - LINUX_SLL (113), 16 bytes: packet type u16, ARPHRD u16, address length
 *   u16, address 8 bytes, protocol u16; all big-endian.
 * - LINUX_SLL2 (276), 20 bytes: protocol u16, reserved u16, interface index
 *   u32, ARPHRD u16, packet type u8, address length u8, address 8 bytes.
 * - NULL (0), 4 bytes: address family in the capturing host's byte order.
 * - LOOP (108), 4 bytes: address family in network byte order.
 * - RAW (101, and the platform DLT_RAW values 12 and 14), IPV4 (228),
 *   IPV6 (229): no header at all.
 * - PPP (9): RFC 1661's protocol field (1 or 2 bytes), after RFC 1662's
 *   address 0xff and control 0x03 when present. PPP_HDLC (50): the same in
 *   HDLC-like framing, already unstuffed. In both, an address of 0x0f or
 *   0x8f is Cisco HDLC framing (as tshark reads them). PPP_ETHER (51): PPPoE's 6-byte header (ver/type 0x11,
 *   code, session u16, length u16) and the PPP protocol; code 0 is a session
 *   frame, any other code discovery. C_HDLC (104): address, control, then
 *   an ethertype.
 * - NFLOG (239): family u8, version u8, resource id u16, then TLVs (length
 *   including the 4-byte header and type, in the capturing host's byte
 *   order, padded to 4 bytes): type 9 is the packet, 6 the hardware header
 *   (address length u16 big-endian, 2 pad, 8 address bytes).
 * - IEEE802_11 (105): the 802.11 MAC header (frame control, duration, 3 or
 *   4 addresses, sequence control, QoS control, HT control), then for data
 *   frames an LLC/SNAP header whose last 2 bytes are the ethertype.
 *   IEEE802_11_RADIOTAP (127): a radiotap header (version, pad, length u16
 *   little-endian, present bitmaps; its Flags field says whether the frame
 *   ends with an FCS and whether that FCS was bad) before the 802.11 frame.
 *
 * Frames of these types that carry no IP packet cofw can read (a PPP
 * control protocol, PPPoE discovery, 802.11 management and control frames,
 * protected or fragmented data) are converted with `nonIp` saying what
 * they are: they are accounted for as not IP and never reach the rules.
 */

import { PPPOE_CODES, pppProtocolText } from '../packet/pppoe.js';

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const DLT_RAW_12 = 12;
export const DLT_RAW_14 = 14;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;
export const LINKTYPE_PPP = 9;
export const LINKTYPE_PPP_HDLC = 50;
export const LINKTYPE_PPP_ETHER = 51;
export const LINKTYPE_C_HDLC = 104;
export const LINKTYPE_IEEE802_11 = 105;
export const LINKTYPE_IEEE802_11_RADIOTAP = 127;
export const LINKTYPE_NFLOG = 239;

const ETH_HLEN = 14;
const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;

const NAMES = new Map<number, string>([
  [LINKTYPE_NULL, 'NULL (BSD loopback)'],
  [LINKTYPE_ETHERNET, 'ETHERNET'],
  [DLT_RAW_12, 'RAW (DLT 12)'],
  [DLT_RAW_14, 'RAW (DLT 14)'],
  [LINKTYPE_RAW, 'RAW'],
  [LINKTYPE_LOOP, 'LOOP (OpenBSD loopback)'],
  [LINKTYPE_LINUX_SLL, 'LINUX_SLL (Linux cooked v1)'],
  [LINKTYPE_IPV4, 'IPV4'],
  [LINKTYPE_IPV6, 'IPV6'],
  [LINKTYPE_LINUX_SLL2, 'LINUX_SLL2 (Linux cooked v2)'],
  [LINKTYPE_PPP, 'PPP'],
  [LINKTYPE_PPP_HDLC, 'PPP_HDLC'],
  [LINKTYPE_PPP_ETHER, 'PPP_ETHER (PPPoE)'],
  [LINKTYPE_C_HDLC, 'C_HDLC (Cisco HDLC)'],
  [LINKTYPE_IEEE802_11, 'IEEE802_11 (Wi-Fi)'],
  [LINKTYPE_IEEE802_11_RADIOTAP, 'IEEE802_11_RADIOTAP (Wi-Fi with radiotap)'],
  [LINKTYPE_NFLOG, 'NFLOG (Linux netfilter log)'],
]);

/** Bytes of link-layer header that conversion replaces, per supported link type. */
const HEADER_LEN = new Map<number, number>([
  [LINKTYPE_NULL, 4],
  [LINKTYPE_ETHERNET, 0],
  [DLT_RAW_12, 0],
  [DLT_RAW_14, 0],
  [LINKTYPE_RAW, 0],
  [LINKTYPE_LOOP, 4],
  [LINKTYPE_LINUX_SLL, 16],
  [LINKTYPE_IPV4, 0],
  [LINKTYPE_IPV6, 0],
  [LINKTYPE_LINUX_SLL2, 20],
]);

/** Link types whose header has a length of its own: converted by `decapsulate`. */
const DECAPSULATED = new Set([
  LINKTYPE_PPP,
  LINKTYPE_PPP_HDLC,
  LINKTYPE_PPP_ETHER,
  LINKTYPE_C_HDLC,
  LINKTYPE_IEEE802_11,
  LINKTYPE_IEEE802_11_RADIOTAP,
  LINKTYPE_NFLOG,
]);

export function isSupportedLinkType(linkType: number): boolean {
  return HEADER_LEN.has(linkType) || DECAPSULATED.has(linkType);
}

/** Names of link types cofw does not read, from the LINKTYPE registry, for messages that refuse them. */
const OTHER_NAMES = new Map<number, string>([
  [3, 'AX25'],
  [6, 'IEEE802_5 (Token Ring)'],
  [8, 'SLIP'],
  [10, 'FDDI'],
  [107, 'FRELAY'],
  [117, 'PFLOG'],
  [119, 'IEEE802_11_PRISM'],
  [163, 'IEEE802_11_AVS'],
  [166, 'PPP_PPPD'],
  [187, 'BLUETOOTH_HCI_H4'],
  [189, 'USB_LINUX'],
  [192, 'PPI'],
  [195, 'IEEE802_15_4_WITHFCS'],
  [197, 'ERF'],
  [201, 'BLUETOOTH_HCI_H4_WITH_PHDR'],
  [204, 'PPP_WITH_DIR'],
  [205, 'C_HDLC_WITH_DIR'],
  [220, 'USB_LINUX_MMAPPED (usbmon)'],
  [227, 'CAN_SOCKETCAN'],
  [230, 'IEEE802_15_4_NOFCS'],
  [249, 'USBPCAP'],
  [251, 'BLUETOOTH_LE_LL'],
  [253, 'NETLINK'],
  [254, 'BLUETOOTH_LINUX_MONITOR'],
  [256, 'BLUETOOTH_LE_LL_WITH_PHDR'],
]);

/** A readable name for a link type, e.g. `LINUX_SLL (Linux cooked v1) (113)`, `PPP (9)`, `USER3 (150)`. */
export function linkTypeName(linkType: number): string {
  const n = NAMES.get(linkType) ?? OTHER_NAMES.get(linkType) ?? (linkType >= 147 && linkType <= 162 ? `USER${linkType - 147}` : undefined);
  return n ? `${n} (${linkType})` : `link type ${linkType}`;
}

export const SUPPORTED_LINK_TYPES_TEXT =
  'Ethernet (1), Linux cooked SLL (113) and SLL2 (276), raw IP (101, 12, 14, 228, 229), NULL (0), LOOP (108), NFLOG (239), PPP (9, 50), PPPoE (51), Cisco HDLC (104) and 802.11 (105, 127)';

/** The result of converting one captured frame to Ethernet. */
export interface Converted {
  data: Uint8Array;
  /** Original length of the converted frame. */
  origLen: number;
  pktType?: number;
  /** The frame carries no IP packet cofw can read: what it is (PPP LCP, PPPoE discovery, a protected 802.11 frame...). */
  nonIp?: string;
}

function ipEthertype(captured: Uint8Array, off: number): number {
  const v = (captured[off] ?? 0x40) >> 4;
  return v === 6 ? ETH_P_IPV6 : ETH_P_IP;
}

function familyEthertype(fam: number): number | undefined {
  if (fam === 2) return ETH_P_IP;
  // AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS) and 10 (Linux).
  if (fam === 24 || fam === 28 || fam === 30 || fam === 10) return ETH_P_IPV6;
  return undefined;
}

/**
 * Converts the captured bytes of a frame of `linkType` (which must be
 * supported) to an Ethernet frame: Ethernet frames are the captured bytes
 * themselves (a view, not a copy), other link types get a fresh frame.
 * When the captured bytes do not even
 * hold the link-layer header, the frame is returned empty (all of it
 * counts as not captured).
 *
 * `fcsLen`: the frames of an Ethernet capture end with a frame check
 * sequence of that many bytes (the FCS length of a pcap file header's link
 * type field); it is removed, as the network card removes it before the
 * kernel sees the frame, from the captured bytes as far as they hold it
 * and from the original length.
 */
export function toEthernet(linkType: number, captured: Uint8Array, origLen: number, fcsLen = 0): Converted {
  if (linkType === LINKTYPE_ETHERNET) {
    if (fcsLen <= 0) return { data: captured, origLen };
    const frameLen = Math.max(origLen - fcsLen, 0);
    return { data: captured.subarray(0, Math.min(captured.length, frameLen)), origLen: frameLen };
  }
  if (DECAPSULATED.has(linkType)) return decapsulate(linkType, captured, origLen);
  const hl = HEADER_LEN.get(linkType) ?? 0;
  const outOrig = Math.max(origLen - hl, 0) + ETH_HLEN;
  if (captured.length < hl) return { data: new Uint8Array(0), origLen: outOrig };
  const out = new Uint8Array(ETH_HLEN + captured.length - hl);
  out.set(captured.subarray(hl), ETH_HLEN);
  let ethertype = ETH_P_IP;
  let pktType: number | undefined;
  const be16 = (o: number): number => ((captured[o] ?? 0) << 8) | (captured[o + 1] ?? 0);
  switch (linkType) {
    case LINKTYPE_LINUX_SLL: {
      pktType = be16(0);
      const alen = be16(4);
      if (alen === 6) out.set(captured.subarray(6, 12), 6);
      ethertype = be16(14);
      break;
    }
    case LINKTYPE_LINUX_SLL2: {
      ethertype = be16(0);
      pktType = captured[10];
      if (captured[11] === 6) out.set(captured.subarray(12, 18), 6);
      break;
    }
    case LINKTYPE_NULL: {
      const le = (captured[0]! | (captured[1]! << 8) | (captured[2]! << 16) | (captured[3]! << 24)) >>> 0;
      const be = ((captured[0]! << 24) | (captured[1]! << 16) | (captured[2]! << 8) | captured[3]!) >>> 0;
      ethertype = familyEthertype(le) ?? familyEthertype(be) ?? ipEthertype(captured, hl);
      break;
    }
    case LINKTYPE_LOOP: {
      const be = ((captured[0]! << 24) | (captured[1]! << 16) | (captured[2]! << 8) | captured[3]!) >>> 0;
      ethertype = familyEthertype(be) ?? ipEthertype(captured, hl);
      break;
    }
    case LINKTYPE_IPV4:
      ethertype = ETH_P_IP;
      break;
    case LINKTYPE_IPV6:
      ethertype = ETH_P_IPV6;
      break;
    default:
      ethertype = ipEthertype(captured, hl);
  }
  out[12] = ethertype >> 8;
  out[13] = ethertype & 255;
  return pktType === undefined ? { data: out, origLen: outOrig } : { data: out, origLen: outOrig, pktType };
}

/** The Ethernet frame of a packet found at `off` of `captured` (`outOrig` its original length, header included). */
function ethFrame(captured: Uint8Array, off: number, end: number, ethertype: number, outOrig: number, src?: Uint8Array, dst?: Uint8Array): Converted {
  const body = captured.subarray(Math.min(off, end), end);
  const out = new Uint8Array(ETH_HLEN + body.length);
  out.set(body, ETH_HLEN);
  if (dst) out.set(dst, 0);
  if (src) out.set(src, 6);
  out[12] = ethertype >> 8;
  out[13] = ethertype & 255;
  return { data: out, origLen: Math.max(outOrig, ETH_HLEN) };
}

/** A frame that carries no IP packet: an empty Ethernet frame (not replayed, only accounted for) and what it is. */
function notIp(what: string, outOrig: number): Converted {
  return { data: new Uint8Array(ETH_HLEN), origLen: Math.max(outOrig, ETH_HLEN), nonIp: what };
}

/** The packet after a PPP header at `off` (address and control optional, protocol field 1 or 2 bytes). */
function ppp(c: Uint8Array, off: number, end: number, origLen: number, where: string): Converted {
  if (c[off] === 0xff && c[off + 1] === 0x03) off += 2;
  if (off >= end) return notIp(`${where} frame cut short before its protocol field`, 0);
  let proto: number;
  if (c[off]! & 1) proto = c[off++]!;
  else {
    if (off + 2 > end) return notIp(`${where} frame cut short in its protocol field`, 0);
    proto = (c[off]! << 8) | c[off + 1]!;
    off += 2;
  }
  const outOrig = origLen - off + ETH_HLEN;
  if (proto === 0x0021) return ethFrame(c, off, end, ETH_P_IP, outOrig);
  if (proto === 0x0057) return ethFrame(c, off, end, ETH_P_IPV6, outOrig);
  return notIp(`${where === 'PPP' ? '' : `${where}: `}${pppProtocolText(proto)}, not an IP packet`, outOrig);
}

/** Cisco HDLC at `off`: address (0x0f unicast, 0x8f broadcast), control, ethertype. */
function ciscoHdlc(c: Uint8Array, off: number, end: number, origLen: number): Converted {
  if (off + 4 > end) return notIp('Cisco HDLC frame cut short before its protocol field', 0);
  const proto = (c[off + 2]! << 8) | c[off + 3]!;
  const outOrig = origLen - off - 4 + ETH_HLEN;
  if (proto === 0x8035) return notIp('Cisco HDLC SLARP (keepalive and address resolution), not an IP packet', outOrig);
  if (proto === 0x2000) return notIp('Cisco HDLC CDP (Cisco Discovery Protocol), not an IP packet', outOrig);
  // Other protocols are ethertypes: the stack names them as it names any ethertype.
  return ethFrame(c, off + 4, end, proto, outOrig);
}

/** NFLOG's TLVs from byte 4, read in one byte order: the payload's bounds and the hardware address, or undefined when they do not chain. */
function nflogTlvs(c: Uint8Array, limit: number, le: boolean): { payload: number; payloadLen: number; hw?: Uint8Array } | undefined {
  let payload = -1;
  let payloadLen = 0;
  let hw: Uint8Array | undefined;
  for (let o = 4; o + 4 <= c.length;) {
    const len = le ? c[o]! | (c[o + 1]! << 8) : (c[o]! << 8) | c[o + 1]!;
    const type = le ? c[o + 2]! | (c[o + 3]! << 8) : (c[o + 2]! << 8) | c[o + 3]!;
    // Types are small numbers (NFULA_*); a length under 4 or past the record means the other byte order.
    if (len < 4 || o + len > limit || (type & 0x7fff) > 0xff) return undefined;
    if ((type & 0x7fff) === 9) {
      payload = o + 4;
      payloadLen = len - 4;
    } else if ((type & 0x7fff) === 6 && len >= 16 && o + 16 <= c.length && ((c[o + 4]! << 8) | c[o + 5]!) === 6) hw = c.subarray(o + 8, o + 14);
    o += (len + 3) & ~3;
  }
  return hw ? { payload, payloadLen, hw } : { payload, payloadLen };
}

function nflog(c: Uint8Array, origLen: number): Converted {
  if (c.length < 4) return { data: new Uint8Array(0), origLen: Math.max(origLen - 4, 0) + ETH_HLEN };
  const limit = Math.max(c.length, origLen);
  const t = nflogTlvs(c, limit, true) ?? nflogTlvs(c, limit, false);
  if (!t) return notIp('NFLOG record whose TLVs do not chain (damaged)', 0);
  if (t.payload < 0) return notIp('NFLOG record without a packet (logged with --nflog-size 0?)', 0);
  const fam = c[0]!;
  const ethertype = fam === 2 ? ETH_P_IP : fam === 10 ? ETH_P_IPV6 : ipEthertype(c, t.payload);
  const end = Math.min(c.length, t.payload + t.payloadLen);
  // A packet cut by the rule's --nflog-size is as long as its IP header says.
  const ipLen =
    ethertype === ETH_P_IPV6
      ? end >= t.payload + 6
        ? 40 + ((c[t.payload + 4]! << 8) | c[t.payload + 5]!)
        : 0
      : end >= t.payload + 4
        ? (c[t.payload + 2]! << 8) | c[t.payload + 3]!
        : 0;
  return ethFrame(c, t.payload, end, ethertype, ETH_HLEN + Math.max(t.payloadLen, ipLen), t.hw);
}

/** An 802.11 frame at `off` (FCS already excluded from `end`): its MSDU as an Ethernet frame, or what it is. */
function ieee80211(c: Uint8Array, off: number, end: number, outOrigTail: number): Converted {
  const orig = (hl: number): number => end - off - hl + outOrigTail + ETH_HLEN;
  if (off + 2 > end) return notIp('802.11 frame cut short before its frame control field', 0);
  const fc0 = c[off]!;
  const fc1 = c[off + 1]!;
  const type = (fc0 >> 2) & 3;
  const subtype = fc0 >> 4;
  if (fc0 & 3) return notIp(`802.11 frame of protocol version ${fc0 & 3}`, orig(0));
  if (type === 0) return notIp('802.11 management frame (beacon, probe, authentication...), not an IP packet', orig(0));
  if (type === 1) return notIp('802.11 control frame (ACK, RTS, CTS...), not an IP packet', orig(0));
  if (type === 3) return notIp('802.11 extension frame, not an IP packet', orig(0));
  if (subtype & 4) return notIp('802.11 null data frame (no payload)', orig(0));
  const toDs = fc1 & 1;
  const fromDs = fc1 & 2;
  const qos = subtype & 8;
  const hl = 24 + (toDs && fromDs ? 6 : 0) + (qos ? 2 : 0) + (qos && fc1 & 0x80 ? 4 : 0);
  if (off + hl > end) return notIp('802.11 data frame cut short in its MAC header', orig(0));
  if (fc1 & 0x40) return notIp('802.11 protected data frame (encrypted: its payload cannot be read)', orig(hl));
  if (fc1 & 4 || c[off + 22]! & 15) return notIp('802.11 data fragment (cofw does not reassemble 802.11 fragments)', orig(hl));
  if (qos && c[off + 24 + (toDs && fromDs ? 6 : 0)]! & 0x80) return notIp('802.11 A-MSDU (aggregated frames are not read)', orig(hl));
  const l = off + hl;
  const snap = c[l] === 0xaa && c[l + 1] === 0xaa && c[l + 2] === 0x03 && c[l + 3] === 0 && c[l + 4] === 0 && (c[l + 5] === 0 || c[l + 5] === 0xf8);
  if (!snap || l + 8 > end) return notIp('802.11 data frame without an LLC/SNAP header', orig(hl));
  // DA and SA by the DS bits: (a1, a2), to the AP (a3, a2), from it (a1, a3), between APs (a3, a4).
  const a = (n: number): Uint8Array => c.subarray(off + 4 + 6 * (n - 1), off + 10 + 6 * (n - 1));
  const da = toDs ? a(3) : a(1);
  const sa = fromDs ? (toDs ? c.subarray(off + 24, off + 30) : a(3)) : a(2);
  return ethFrame(c, l + 8, end, (c[l + 6]! << 8) | c[l + 7]!, orig(hl + 8), sa, da);
}

/** A radiotap header, then an 802.11 frame (with an FCS when the Flags field says so). */
function radiotap(c: Uint8Array, origLen: number): Converted {
  if (c.length < 8) return notIp('radiotap header cut short', 0);
  const rlen = c[2]! | (c[3]! << 8);
  if (rlen < 8 || rlen > c.length) return notIp(`radiotap header of ${rlen} bytes in a ${c.length}-byte frame (damaged)`, 0);
  const u32 = (o: number): number => (c[o]! | (c[o + 1]! << 8) | (c[o + 2]! << 16) | (c[o + 3]! << 24)) >>> 0;
  const present = u32(4);
  let words = 1;
  while (u32(4 + 4 * (words - 1)) & 0x80000000 && 8 + 4 * words <= rlen) words++;
  let flags = 0;
  if (present & 2) {
    let o = 4 + 4 * words;
    if (present & 1) o = ((o + 7) & ~7) + 8;
    if (o < rlen) flags = c[o]!;
  }
  if (flags & 0x40) return notIp('802.11 frame that failed its FCS check (the radio drops it)', 0);
  const fcs = flags & 0x10 ? 4 : 0;
  const end = Math.min(c.length, Math.max(origLen - fcs, rlen));
  return ieee80211(c, rlen, end, Math.max(origLen - fcs - end, 0));
}

/** Conversion of the link types with headers of their own length (see the module comment). */
function decapsulate(linkType: number, c: Uint8Array, origLen: number): Converted {
  const n = c.length;
  const tail = Math.max(origLen - n, 0);
  switch (linkType) {
    case LINKTYPE_PPP:
    case LINKTYPE_PPP_HDLC:
      // Cisco HDLC framing (address 0x0f or 0x8f) is found in both, as tshark finds it.
      if (c[0] === 0x0f || c[0] === 0x8f) return ciscoHdlc(c, 0, n, origLen);
      return ppp(c, 0, n, origLen, 'PPP');
    case LINKTYPE_C_HDLC:
      return ciscoHdlc(c, 0, n, origLen);
    case LINKTYPE_PPP_ETHER: {
      if (n < 6) return notIp('PPPoE header cut short', 0);
      if (c[1] !== 0) return notIp(`PPPoE discovery (${PPPOE_CODES.get(c[1]!) ?? `code ${c[1]}`}), not an IP packet`, origLen + 8);
      return ppp(c, 6, Math.min(n, 6 + ((c[4]! << 8) | c[5]!)), origLen, 'PPPoE session');
    }
    case LINKTYPE_NFLOG:
      return nflog(c, origLen);
    case LINKTYPE_IEEE802_11:
      return ieee80211(c, 0, n, tail);
    default:
      return radiotap(c, origLen);
  }
}
