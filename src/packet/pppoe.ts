/**
 * PPP over Ethernet (RFC 2516) as cofw meets it inside Ethernet frames:
 * session frames (ethertype 0x8864) carry a 6-byte PPPoE header (ver/type
 * 0x11, code 0, session id, payload length) and a 2-byte PPP protocol,
 * then the packet; discovery frames (0x8863) carry no packet. A session
 * frame whose PPP protocol is IPv4 (0x0021) or IPv6 (0x0057) is handled as
 * that packet; any other frame of either ethertype is named for the report.
 */

export const ETH_P_PPP_DISC = 0x8863;
export const ETH_P_PPP_SES = 0x8864;
/** PPPoE header and PPP protocol field: the packet of a session frame starts this far after the ethertype. */
export const PPPOE_SES_HLEN = 8;

/** PPP protocol names (RFC 1661 and its successors) for frames that are not IP. */
export const PPP_PROTOCOLS: ReadonlyMap<number, string> = new Map([
  [0x002d, 'Van Jacobson compressed TCP/IP'],
  [0x002f, 'Van Jacobson uncompressed TCP/IP'],
  [0x0031, 'bridged frames (BCP)'],
  [0x00fd, 'compressed datagram (CCP)'],
  [0x0281, 'MPLS'],
  [0x8021, 'IPCP'],
  [0x8057, 'IPV6CP'],
  [0x80fd, 'CCP'],
  [0xc021, 'LCP'],
  [0xc023, 'PAP'],
  [0xc025, 'link quality report'],
  [0xc223, 'CHAP'],
]);

/** PPPoE discovery codes. */
export const PPPOE_CODES: ReadonlyMap<number, string> = new Map([
  [0x07, 'PADO'],
  [0x09, 'PADI'],
  [0x19, 'PADR'],
  [0x65, 'PADS'],
  [0xa7, 'PADT'],
]);

const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

/** `PPP LCP (0xc021)`. */
export function pppProtocolText(proto: number): string {
  return `PPP ${PPP_PROTOCOLS.get(proto) ?? 'protocol'} (${hex4(proto)})`;
}

/**
 * The ethertype of the packet a PPPoE session frame carries, whose PPPoE
 * header starts at `off` (just after the 0x8864): 0x0800, 0x86dd, or 0
 * when it carries none (cut short, not a session frame, another protocol).
 */
export function pppoeSessionEthertype(frame: Uint8Array, off: number): number {
  if (frame.length < off + PPPOE_SES_HLEN || frame[off] !== 0x11 || frame[off + 1] !== 0) return 0;
  const proto = (frame[off + 6]! << 8) | frame[off + 7]!;
  return proto === 0x0021 ? 0x0800 : proto === 0x0057 ? 0x86dd : 0;
}

/** What a PPPoE frame that carries no IP packet is, for the report; `type` its ethertype, `off` its PPPoE header. */
export function pppoeText(frame: Uint8Array, type: number, off: number): string {
  if (frame.length < off + 6) return 'PPPoE frame cut short in its header';
  const code = frame[off + 1]!;
  if (type === ETH_P_PPP_DISC || code !== 0) return `PPPoE discovery (${PPPOE_CODES.get(code) ?? `code ${code}`}), not an IP packet`;
  if (frame.length < off + PPPOE_SES_HLEN) return 'PPPoE session frame cut short before its PPP protocol';
  return `PPPoE session: ${pppProtocolText((frame[off + 6]! << 8) | frame[off + 7]!)}, not an IP packet`;
}
