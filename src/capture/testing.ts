/**
 * Sample frames and link-layer encoders for capture tests and fixture
 * generation: the same frames can be written as Ethernet, Linux cooked
 * (SLL, SLL2), raw IP or loopback captures, and the frame the reader must
 * give back for each is known.
 */
import { ethernet, ipv4, tcp, udp, icmp } from '../packet/build.js';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NULL } from './link.js';

export interface SampleFrame {
  tsNs: bigint;
  data: Uint8Array;
}

const MAC_A = '02:00:00:00:00:0a';
const MAC_B = '02:00:00:00:00:0b';

/** Five Ethernet/IPv4 frames with nanosecond timestamps 1 ms and a bit apart. */
export function sampleFrames(): SampleFrame[] {
  const base = 1_700_000_000_000_000_000n;
  const pkts = [
    ipv4({ src: '192.0.2.10', dst: '198.51.100.7', id: 1 }, tcp({ sport: 40000, dport: 22, flags: 'S', seq: 1000 })),
    ipv4({ src: '198.51.100.7', dst: '192.0.2.10', id: 2 }, tcp({ sport: 22, dport: 40000, flags: 'SA', seq: 5000, ack: 1001 })),
    ipv4({ src: '192.0.2.10', dst: '198.51.100.53', id: 3 }, udp({ sport: 5353, dport: 53, payload: new Uint8Array(40).fill(7) })),
    ipv4({ src: '192.0.2.10', dst: '198.51.100.1', id: 4 }, icmp({ type: 8, id: 77, seq: 1, payload: new Uint8Array(56).fill(0x61) })),
    ipv4({ src: '192.0.2.10', dst: '198.51.100.7', id: 5 }, tcp({ sport: 40000, dport: 22, flags: 'A', seq: 1001, ack: 5001 })),
  ];
  return pkts.map((p, i) => ({
    tsNs: base + BigInt(i) * 1_000_123_457n + 123_456_789n,
    data: ethernet({ src: i % 2 ? MAC_B : MAC_A, dst: i % 2 ? MAC_A : MAC_B }, p),
  }));
}

/** Timestamp as a microsecond format keeps it. */
export const toMicro = (ns: bigint): bigint => (ns / 1000n) * 1000n;

/** Encodes an Ethernet frame as a frame of `linkType` (pktType for cooked captures). */
export function encodeLink(linkType: number, eth: Uint8Array, pktType = 0, nullLittleEndian = true): Uint8Array {
  const payload = eth.subarray(14);
  const et = (eth[12]! << 8) | eth[13]!;
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return eth;
    case LINKTYPE_LINUX_SLL: {
      const b = new Uint8Array(16 + payload.length);
      const dv = new DataView(b.buffer);
      dv.setUint16(0, pktType);
      dv.setUint16(2, 1);
      dv.setUint16(4, 6);
      b.set(eth.subarray(6, 12), 6);
      dv.setUint16(14, et);
      b.set(payload, 16);
      return b;
    }
    case LINKTYPE_LINUX_SLL2: {
      const b = new Uint8Array(20 + payload.length);
      const dv = new DataView(b.buffer);
      dv.setUint16(0, et);
      dv.setUint32(4, 2);
      dv.setUint16(8, 1);
      b[10] = pktType;
      b[11] = 6;
      b.set(eth.subarray(6, 12), 12);
      b.set(payload, 20);
      return b;
    }
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      const b = new Uint8Array(4 + payload.length);
      new DataView(b.buffer).setUint32(0, 2, linkType === LINKTYPE_NULL && nullLittleEndian);
      b.set(payload, 4);
      return b;
    }
    default:
      return payload.slice();
  }
}

/** The Ethernet frame the reader gives back for `eth` captured as `linkType`. */
export function expectedEthernet(linkType: number, eth: Uint8Array): Uint8Array {
  if (linkType === LINKTYPE_ETHERNET) return eth;
  const b = eth.slice();
  b.fill(0, 0, 6);
  if (linkType !== LINKTYPE_LINUX_SLL && linkType !== LINKTYPE_LINUX_SLL2) b.fill(0, 6, 12);
  return b;
}
