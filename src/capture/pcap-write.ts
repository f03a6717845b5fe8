/**
 * Classic pcap (microsecond, little-endian) writing, for results and for
 * generated test captures.
 */
import { openSync, writeSync, closeSync } from 'node:fs';

export const LINKTYPE_ETHERNET = 1;

/** Bytes of a pcap global header. */
export function pcapHeader(linkType = LINKTYPE_ETHERNET, snaplen = 262144): Uint8Array {
  const b = new Uint8Array(24);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, snaplen, true);
  dv.setUint32(20, linkType, true);
  return b;
}

/** Bytes of one record: header (timestamp in ns since the epoch) and data. */
export function pcapRecord(tsNs: bigint, data: Uint8Array, origLen = data.length): Uint8Array {
  const b = new Uint8Array(16 + data.length);
  const dv = new DataView(b.buffer);
  // pcap's seconds are 32 bits: a later time is written as the last one it holds (2106), never wrapped.
  const late = tsNs > 4_294_967_295_999_999_999n;
  dv.setUint32(0, late ? 0xffffffff : Number(tsNs / 1_000_000_000n), true);
  dv.setUint32(4, late ? 999_999 : Number((tsNs % 1_000_000_000n) / 1000n), true);
  dv.setUint32(8, data.length, true);
  dv.setUint32(12, origLen, true);
  b.set(data, 16);
  return b;
}

/** Writes a whole capture at once: frames with timestamps in ns since the epoch. */
export function writePcapFile(path: string, frames: Iterable<{ tsNs: bigint; data: Uint8Array }>, linkType = LINKTYPE_ETHERNET): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, pcapHeader(linkType));
    for (const f of frames) writeSync(fd, pcapRecord(f.tsNs, f.data));
  } finally {
    closeSync(fd);
  }
}

/** Options for classic pcap variants (for fixtures): byte order, timestamp unit, link type, snaplen. */
export interface PcapVariant {
  bigEndian?: boolean;
  nanosecond?: boolean;
  linkType?: number;
  snaplen?: number;
}

/** Bytes of a pcap global header in any byte order, microsecond or nanosecond. */
export function pcapHeaderVariant(v: PcapVariant = {}): Uint8Array {
  const le = !v.bigEndian;
  const b = new Uint8Array(24);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, v.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, le);
  dv.setUint16(4, 2, le);
  dv.setUint16(6, 4, le);
  dv.setUint32(16, v.snaplen ?? 262144, le);
  dv.setUint32(20, v.linkType ?? LINKTYPE_ETHERNET, le);
  return b;
}

/** Bytes of one record for a pcap variant (timestamp in ns since the epoch). */
export function pcapRecordVariant(v: PcapVariant, tsNs: bigint, data: Uint8Array, origLen = data.length): Uint8Array {
  const le = !v.bigEndian;
  const b = new Uint8Array(16 + data.length);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, Number(tsNs / 1_000_000_000n), le);
  const frac = tsNs % 1_000_000_000n;
  dv.setUint32(4, Number(v.nanosecond ? frac : frac / 1000n), le);
  dv.setUint32(8, data.length, le);
  dv.setUint32(12, origLen, le);
  b.set(data, 16);
  return b;
}
