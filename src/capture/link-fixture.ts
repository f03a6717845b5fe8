/**
 * Frames of the link types that carry IP besides Ethernet (PPP, PPP in
 * HDLC framing, PPPoE, Cisco HDLC, 802.11 with and without radiotap,
 * NFLOG, PPPoE inside Ethernet), each with what cofw must make of it: the
 * IP packet it carries and the MACs the firewall sees, or that it carries
 * none. For the tests that compare cofw's reading with tshark's and for the
 * hostile-input corpus.
 */
import { ethernet, icmp, ipv4, ipv6, tcp, udp } from '../packet/build.js';
import { parseMac } from '../packet/addr.js';
import {
  LINKTYPE_C_HDLC,
  LINKTYPE_ETHERNET,
  LINKTYPE_IEEE802_11,
  LINKTYPE_IEEE802_11_RADIOTAP,
  LINKTYPE_NFLOG,
  LINKTYPE_PPP,
  LINKTYPE_PPP_ETHER,
  LINKTYPE_PPP_HDLC,
} from './link.js';

export interface LinkSample {
  /** The frame as the link type carries it. */
  data: Uint8Array;
  /** The IP packet it carries, or undefined when it carries none. */
  ip?: Uint8Array;
  /** Source and destination MACs the converted frame has (zero when the link has none). */
  src?: string;
  dst?: string;
}

const cat = (...parts: (Uint8Array | number[])[]): Uint8Array => {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const b = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    b.set(p, o);
    o += p.length;
  }
  return b;
};
const be16 = (n: number): number[] => [n >> 8, n & 255];
const le16 = (n: number): number[] => [n & 255, n >> 8];
const mac = (m: string): Uint8Array => parseMac(m)!;

export const V4_TCP = ipv4({ src: '192.0.2.10', dst: '198.51.100.7', id: 11 }, tcp({ sport: 40000, dport: 22, flags: 'S', seq: 1000 }));
export const V4_UDP = ipv4({ src: '192.0.2.11', dst: '198.51.100.53', id: 12 }, udp({ sport: 5353, dport: 53, payload: new Uint8Array(30).fill(7) }));
export const V4_ICMP = ipv4({ src: '192.0.2.12', dst: '198.51.100.1', id: 13 }, icmp({ type: 8, id: 7, seq: 1, payload: new Uint8Array(24).fill(0x61) }));
export const V6_UDP = ipv6({ src: '2001:db8::10', dst: '2001:db8:1::53' }, udp({ sport: 5353, dport: 53, payload: new Uint8Array(20).fill(9) }));

const STA = '02:00:00:00:00:5a';
const AP = '02:00:00:00:00:ab';
const FAR = '02:00:00:00:00:fe';
const SNAP = (ethertype: number): number[] => [0xaa, 0xaa, 0x03, 0, 0, 0, ...be16(ethertype)];

/** An 802.11 data frame: `fc1` flags (toDS 1, fromDS 2, protected 0x40), QoS when `qos`. */
function wifiData(fc1: number, a1: string, a2: string, a3: string, body: Uint8Array, qos = false): Uint8Array {
  return cat([qos ? 0x88 : 0x08, fc1], [0x2c, 0x00], mac(a1), mac(a2), mac(a3), le16(0x10), qos ? [0x00, 0x00] : [], body);
}

const WIFI: LinkSample[] = [
  // STA -> AP (toDS): a1 BSSID, a2 SA, a3 DA.
  { data: wifiData(0x01, AP, STA, FAR, cat(SNAP(0x0800), V4_TCP)), ip: V4_TCP, src: STA, dst: FAR },
  // AP -> STA (fromDS), QoS data: a1 DA, a2 BSSID, a3 SA.
  { data: wifiData(0x02, STA, AP, FAR, cat(SNAP(0x86dd), V6_UDP), true), ip: V6_UDP, src: FAR, dst: STA },
  // Protected: encrypted, unreadable.
  { data: wifiData(0x41, AP, STA, FAR, cat([1, 2, 3, 4, 5, 6, 7, 8], V4_UDP.subarray(0, 20))) },
  // A beacon (management).
  { data: cat([0x80, 0x00], [0, 0], mac('ff:ff:ff:ff:ff:ff'), mac(AP), mac(AP), le16(0x20), new Uint8Array(12), [0, 4, 0x74, 0x65, 0x73, 0x74]) },
  // Null data (no payload).
  { data: cat([0x48, 0x01], [0x2c, 0], mac(AP), mac(STA), mac(AP), le16(0x30)) },
];

/** A radiotap header: TSFT when `tsft`, Flags (0x10: FCS at the end, 0x40: bad FCS). */
function radiotapHeader(flags: number, tsft: boolean): Uint8Array {
  const present = 0x02 | (tsft ? 0x01 : 0);
  const fields = tsft ? [0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, flags, 0] : [flags, 0];
  return cat([0, 0], le16(8 + fields.length), [present, 0, 0, 0], fields);
}

const FCS = [0xde, 0xad, 0xbe, 0xef];

export const LINK_SAMPLES: ReadonlyMap<number, LinkSample[]> = new Map<number, LinkSample[]>([
  [
    LINKTYPE_PPP,
    [
      { data: cat([0xff, 0x03, 0x00, 0x21], V4_TCP), ip: V4_TCP },
      { data: cat([0x00, 0x57], V6_UDP), ip: V6_UDP },
      { data: cat([0xff, 0x03, 0xc0, 0x21], [0x01, 0x01, 0x00, 0x08, 0x05, 0x06, 0x12, 0x34]) },
      { data: cat([0x00, 0x21], V4_ICMP), ip: V4_ICMP },
    ],
  ],
  [
    LINKTYPE_PPP_HDLC,
    [
      { data: cat([0xff, 0x03, 0x00, 0x21], V4_UDP), ip: V4_UDP },
      { data: cat([0x0f, 0x00, 0x08, 0x00], V4_TCP), ip: V4_TCP },
      { data: cat([0xff, 0x03, 0x80, 0x21], [0x01, 0x01, 0x00, 0x0a, 0x03, 0x06, 192, 0, 2, 1]) },
    ],
  ],
  [
    LINKTYPE_PPP_ETHER,
    [
      { data: cat([0x11, 0x00], be16(0x1234), be16(V4_TCP.length + 2), be16(0x0021), V4_TCP), ip: V4_TCP },
      { data: cat([0x11, 0x00], be16(0x1234), be16(V6_UDP.length + 2), be16(0x0057), V6_UDP), ip: V6_UDP },
      { data: cat([0x11, 0x09], be16(0), be16(4), [0x01, 0x01, 0x00, 0x00]) },
      { data: cat([0x11, 0x00], be16(0x1234), be16(10), be16(0xc021), [0x09, 0x01, 0x00, 0x08, 1, 2, 3, 4]) },
    ],
  ],
  [
    LINKTYPE_C_HDLC,
    [
      { data: cat([0x0f, 0x00, 0x08, 0x00], V4_TCP), ip: V4_TCP },
      { data: cat([0x8f, 0x00, 0x86, 0xdd], V6_UDP), ip: V6_UDP },
      { data: cat([0x8f, 0x00, 0x80, 0x35], [0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0xff, 0xff, 0, 0, 0, 0]) },
    ],
  ],
  [LINKTYPE_IEEE802_11, WIFI],
  [
    LINKTYPE_IEEE802_11_RADIOTAP,
    [
      { ...WIFI[0]!, data: cat(radiotapHeader(0x10, false), WIFI[0]!.data, FCS) },
      { ...WIFI[1]!, data: cat(radiotapHeader(0x00, true), WIFI[1]!.data) },
      { data: cat(radiotapHeader(0x50, false), WIFI[0]!.data, FCS) },
      { data: cat(radiotapHeader(0x00, false), WIFI[2]!.data) },
      { data: cat(radiotapHeader(0x00, true), WIFI[3]!.data) },
    ],
  ],
  [
    LINKTYPE_NFLOG,
    [
      { data: nflogRecord(2, V4_TCP, 'fw-drop ', '02:00:00:00:00:0c'), ip: V4_TCP, src: '02:00:00:00:00:0c' },
      { data: nflogRecord(10, V6_UDP, 'v6 '), ip: V6_UDP },
      { data: nflogRecord(2, undefined, 'empty ') },
      { data: nflogRecord(2, V4_ICMP), ip: V4_ICMP },
    ],
  ],
  [
    LINKTYPE_ETHERNET,
    [
      // PPPoE session and discovery frames inside Ethernet.
      {
        data: ethernet(
          { src: '02:00:00:00:00:0a', dst: '02:00:00:00:00:0b', ethertype: 0x8864 },
          cat([0x11, 0x00], be16(7), be16(V4_UDP.length + 2), be16(0x0021), V4_UDP),
        ),
        ip: V4_UDP,
        src: '02:00:00:00:00:0a',
        dst: '02:00:00:00:00:0b',
      },
      {
        data: ethernet(
          { src: '02:00:00:00:00:0a', dst: '02:00:00:00:00:0b', ethertype: 0x8864 },
          cat([0x11, 0x00], be16(7), be16(V6_UDP.length + 2), be16(0x0057), V6_UDP),
        ),
        ip: V6_UDP,
        src: '02:00:00:00:00:0a',
        dst: '02:00:00:00:00:0b',
      },
      {
        data: ethernet(
          { src: '02:00:00:00:00:0a', dst: 'ff:ff:ff:ff:ff:ff', ethertype: 0x8863 },
          cat([0x11, 0x09], be16(0), be16(4), [0x01, 0x01, 0x00, 0x00]),
        ),
      },
      {
        data: ethernet(
          { src: '02:00:00:00:00:0a', dst: '02:00:00:00:00:0b', ethertype: 0x8864 },
          cat([0x11, 0x00], be16(7), be16(6), be16(0xc021), [0x09, 0x01, 0x00, 0x04]),
        ),
      },
    ],
  ],
]);

/** An NFLOG record (TLVs in little-endian, as an x86 host writes them): packet header, prefix, hardware address, payload. */
export function nflogRecord(family: number, payload: Uint8Array | undefined, prefix?: string, hw?: string, bigEndian = false): Uint8Array {
  const tlv = (type: number, value: Uint8Array | number[]): Uint8Array => {
    const len = 4 + value.length;
    const pad = (4 - (len % 4)) % 4;
    return cat(bigEndian ? be16(len) : le16(len), bigEndian ? be16(type) : le16(type), value, new Array<number>(pad).fill(0));
  };
  const parts: Uint8Array[] = [Uint8Array.from([family, 0, 0, 5])];
  parts.push(tlv(1, [...be16(family === 10 ? 0x86dd : 0x0800), 1, 0]));
  if (prefix !== undefined) parts.push(tlv(10, cat(new TextEncoder().encode(prefix), [0])));
  if (hw) parts.push(tlv(6, cat(be16(6), [0, 0], mac(hw), [0, 0])));
  if (payload) parts.push(tlv(9, payload));
  return cat(...parts);
}
