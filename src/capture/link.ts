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
 */

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

export function isSupportedLinkType(linkType: number): boolean {
  return HEADER_LEN.has(linkType);
}

/** Names of link types cofw does not read, from the LINKTYPE registry, for messages that refuse them. */
const OTHER_NAMES = new Map<number, string>([
  [3, 'AX25'],
  [6, 'IEEE802_5 (Token Ring)'],
  [8, 'SLIP'],
  [9, 'PPP'],
  [10, 'FDDI'],
  [50, 'PPP_HDLC'],
  [51, 'PPP_ETHER (PPPoE)'],
  [104, 'C_HDLC (Cisco HDLC)'],
  [105, 'IEEE802_11 (Wi-Fi)'],
  [107, 'FRELAY'],
  [117, 'PFLOG'],
  [119, 'IEEE802_11_PRISM'],
  [127, 'IEEE802_11_RADIOTAP (Wi-Fi with radiotap)'],
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
  [239, 'NFLOG (Linux netfilter log)'],
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

export const SUPPORTED_LINK_TYPES_TEXT = 'Ethernet (1), Linux cooked SLL (113) and SLL2 (276), raw IP (101, 12, 14, 228, 229), NULL (0) and LOOP (108)';

/** The result of converting one captured frame to Ethernet. */
export interface Converted {
  data: Uint8Array;
  /** Original length of the converted frame. */
  origLen: number;
  pktType?: number;
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
  const hl = HEADER_LEN.get(linkType) ?? 0;
  if (linkType === LINKTYPE_ETHERNET) {
    if (fcsLen <= 0) return { data: captured, origLen };
    const frameLen = Math.max(origLen - fcsLen, 0);
    return { data: captured.subarray(0, Math.min(captured.length, frameLen)), origLen: frameLen };
  }
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
