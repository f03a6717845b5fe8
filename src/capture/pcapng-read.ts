/**
 * pcapng input (IETF draft-ietf-opsawg-pcapng): sections in either byte
 * order (versions 1.0 and 1.2, as libpcap and Wireshark read them),
 * several interfaces each with its own link type, if_tsresol (decimal and
 * power-of-two) and if_tsoffset; Enhanced, Simple and the obsolete Packet
 * Blocks; every other block type is skipped. The packets of an interface
 * of a link type cofw does not read are skipped and counted (`skipped`).
 * A Simple Packet Block has no timestamp: it takes the one of the packet
 * block before it in the file (0 before the first), so that it keeps its
 * place in time.
 */
import type { CaptureDamage, CaptureFrame, CaptureSkip } from './types.js';
import { CapturedFrame } from './types.js';
import { decimalUnits, nsecOfBigint, secOfBigint } from './timestamp.js';
import type { Probe } from './probe.js';
import { MAX_CAPLEN, MAX_PCAPNG_BLOCK, pcapngVersionRead } from './probe.js';
import { ByteReader, openByteStream } from './byte-reader.js';
import { isSupportedLinkType, toEthernet } from './link.js';
import { CUT_SHORT_ADVICE, keptNote, streamErrorText, where } from './damage.js';

const BT_SHB = 0x0a0d0d0a;
const BT_IDB = 1;
const BT_PB = 2;
const BT_SPB = 3;
const BT_EPB = 6;

const BLOCK_NAMES: Record<number, string> = {
  [BT_SHB]: 'Section Header Block',
  [BT_IDB]: 'Interface Description Block',
  [BT_PB]: 'Packet Block',
  [BT_SPB]: 'Simple Packet Block',
  4: 'Name Resolution Block',
  5: 'Interface Statistics Block',
  [BT_EPB]: 'Enhanced Packet Block',
  10: 'Decryption Secrets Block',
};

interface Iface {
  linkType: number;
  snaplen: number;
  name?: string;
  /** ns = ts * mul / div + offsetNs */
  mul: bigint;
  div: bigint;
  offsetNs: bigint;
  /** if_tsresol as decimal digits (0 to 9) with no if_tsoffset beyond 2^40 s: read without BigInt; else -1. */
  digits: number;
  /** if_tsoffset in seconds, when `digits` is set. */
  offsetSec: number;
}

const pad4 = (n: number): number => (n + 3) & ~3;

/** Walks the options in block[start, end): code, value view. */
function* options(block: Uint8Array, start: number, end: number, le: boolean): Generator<[number, Uint8Array]> {
  const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
  let o = start;
  while (o + 4 <= end) {
    const code = dv.getUint16(o, le);
    const len = dv.getUint16(o + 2, le);
    if (code === 0) return;
    if (o + 4 + len > end) return;
    yield [code, block.subarray(o + 4, o + 4 + len)];
    o += 4 + pad4(len);
  }
}

function tsResolution(v: number): { mul: bigint; div: bigint; digits: number } {
  const n = v & 0x7f;
  if (v & 0x80) return { mul: 1_000_000_000n, div: 1n << BigInt(n), digits: -1 };
  if (n <= 9) return { mul: 10n ** BigInt(9 - n), div: 1n, digits: n };
  return { mul: 1n, div: 10n ** BigInt(n - 9), digits: -1 };
}

export async function* readPcapng(p: Probe, damage: CaptureDamage[], skipped: CaptureSkip[] = []): AsyncGenerator<CaptureFrame> {
  const r = new ByteReader(openByteStream(p.file, p.gzip));
  let le = p.littleEndian;
  let ifaces: Iface[] = [];
  /** The skip record of each interface of the section whose packets are skipped. */
  let skips: Array<CaptureSkip | undefined> = [];
  let section = 0;
  let records = 0;
  let blockNo = 0;
  let fileSnaplen0 = 0;
  /** The timestamp of the last packet block that had one (for Simple Packet Blocks). */
  const last = { sec: 0, nsec: 0 };
  const fail = (offset: number, what: string, name?: string): void => {
    damage.push({ file: p.file, index: records + 1, offset, message: `${where(p.file, 'block', blockNo, offset, records, name)} ${what}` });
  };
  const readErr = (offset: number): void => fail(offset, `could not be read: ${streamErrorText(r.error!, p.gzip)} (${keptNote(records)})`);
  try {
    for (;;) {
      const offset = r.pos;
      blockNo++;
      if (!(await r.fill(12))) {
        if (r.error) readErr(offset);
        else if (r.available > 0) {
          if (r.available >= 8) {
            // A block of 8..11 bytes is impossible; report its length if it is readable.
            const h = r.peek(8);
            const len = new DataView(h.buffer, h.byteOffset, 8).getUint32(4, le);
            fail(offset, `is cut short: the file ends ${r.available} bytes into its ${len}-byte block; ${CUT_SHORT_ADVICE} (${keptNote(records)})`);
          } else fail(offset, `is cut short: the file ends ${r.available} bytes into its 8-byte block header; ${CUT_SHORT_ADVICE} (${keptNote(records)})`);
        }
        return;
      }
      const h = r.peek(12);
      const hv = new DataView(h.buffer, h.byteOffset, 12);
      const type0 = hv.getUint32(0, false);
      if (type0 === BT_SHB) {
        const bom = hv.getUint32(8, false);
        if (bom === 0x1a2b3c4d) le = false;
        else if (bom === 0x4d3c2b1a) le = true;
        else {
          fail(
            offset,
            `is a Section Header Block with an unknown byte-order magic (${bom.toString(16).padStart(8, '0')}): the file is damaged from here on; ${keptNote(records)}`,
          );
          return;
        }
      }
      const type = hv.getUint32(0, le);
      const len = hv.getUint32(4, le);
      const name = BLOCK_NAMES[type] ?? `block of type 0x${type.toString(16)}`;
      if (len < 12 || len % 4 !== 0) {
        fail(
          offset,
          `has an impossible length of ${len} bytes (it must be a multiple of 4 and at least 12): the file is damaged from here on; ${keptNote(records)}. Keep them with \`editcap -r ${p.file} good.pcapng 1-${Math.max(records, 1)}\``,
          name,
        );
        return;
      }
      if (len > MAX_PCAPNG_BLOCK) {
        fail(
          offset,
          `claims ${len} bytes, more than libpcap's limit of ${MAX_PCAPNG_BLOCK} for a pcapng block: its header is corrupt; ${keptNote(records)}. Keep them with \`editcap -r ${p.file} good.pcapng 1-${Math.max(records, 1)}\``,
          name,
        );
        return;
      }
      if (!(await r.fill(len))) {
        if (r.error) readErr(offset);
        else fail(offset, `is cut short: the file ends ${r.available} bytes into its ${len}-byte block; ${CUT_SHORT_ADVICE} (${keptNote(records)})`, name);
        return;
      }
      const block = r.read(len);
      const dv = new DataView(block.buffer, block.byteOffset, len);
      const trailer = dv.getUint32(len - 4, le);
      if (trailer !== len) {
        fail(
          offset,
          `has mismatched lengths: ${len} bytes at its start, ${trailer} at its end: the file is damaged from here on; ${keptNote(records)}. Keep them with \`editcap -r ${p.file} good.pcapng 1-${Math.max(records, 1)}\``,
          name,
        );
        return;
      }
      const end = len - 4;
      switch (type) {
        case BT_SHB: {
          if (len < 28) {
            fail(offset, `is only ${len} bytes long, too short for its fixed fields: the file is damaged; ${keptNote(records)}`, 'Section Header Block');
            return;
          }
          const major = dv.getUint16(12, le);
          const minor = dv.getUint16(14, le);
          if (!pcapngVersionRead(major, minor)) {
            fail(
              offset,
              `is a Section Header Block of pcapng version ${major}.${minor}, which cofw does not read (as libpcap and Wireshark, it reads 1.0 and 1.2); ${keptNote(records)}`,
            );
            return;
          }
          ifaces = [];
          skips = [];
          section++;
          break;
        }
        case BT_IDB: {
          if (len < 20) {
            fail(offset, `is only ${len} bytes long, too short for its fixed fields: the file is damaged; ${keptNote(records)}`, name);
            return;
          }
          const itf: Iface = { linkType: dv.getUint16(8, le), snaplen: dv.getUint32(12, le), mul: 1000n, div: 1n, offsetNs: 0n, digits: 6, offsetSec: 0 };
          for (const [code, v] of options(block, 16, end, le)) {
            if (code === 2) itf.name = Buffer.from(v).toString('utf8').replace(/\0+$/, '');
            else if (code === 9 && v.length >= 1) Object.assign(itf, tsResolution(v[0]!));
            else if (code === 14 && v.length >= 8) {
              const sec = new DataView(v.buffer, v.byteOffset, 8).getBigInt64(0, le);
              itf.offsetNs = sec * 1_000_000_000n;
              itf.offsetSec = Number(sec);
            }
          }
          if (itf.offsetSec > 2 ** 40 || itf.offsetSec < -(2 ** 40)) itf.digits = -1;
          if (ifaces.length === 0) fileSnaplen0 = itf.snaplen;
          ifaces.push(itf);
          break;
        }
        case BT_EPB:
        case BT_PB:
        case BT_SPB: {
          let ifId: number;
          let tsHi = 0;
          let tsLo = 0;
          let caplen: number;
          let origLen: number;
          let dataAt: number;
          let flagsCode = 0;
          if (type === BT_SPB) {
            if (len < 16) {
              fail(offset, `is only ${len} bytes long, too short for its fixed fields: the file is damaged; ${keptNote(records)}`, name);
              return;
            }
            ifId = 0;
            origLen = dv.getUint32(8, le);
            dataAt = 12;
            caplen = Math.min(origLen, end - 12);
            const snap = ifaces[0]?.snaplen ?? fileSnaplen0;
            if (snap > 0) caplen = Math.min(caplen, snap);
          } else {
            if (len < 32) {
              fail(offset, `is only ${len} bytes long, too short for its fixed fields: the file is damaged; ${keptNote(records)}`, name);
              return;
            }
            ifId = type === BT_EPB ? dv.getUint32(8, le) : dv.getUint16(8, le);
            tsHi = dv.getUint32(12, le);
            tsLo = dv.getUint32(16, le);
            caplen = dv.getUint32(20, le);
            origLen = dv.getUint32(24, le);
            dataAt = 28;
            flagsCode = 2;
          }
          const itf = ifaces[ifId];
          if (!itf) {
            const declared =
              ifaces.length === 0
                ? 'this section declares no interfaces'
                : `this section declares only ${ifaces.length} (${ifaces.length === 1 ? 'interface 0' : `0 to ${ifaces.length - 1}`})`;
            fail(
              offset,
              `names interface ${ifId}, but ${declared}: the file is damaged or was cut and pasted together; ${keptNote(records)}. Rewrite it with \`editcap -F pcapng\` from an intact copy`,
              name,
            );
            return;
          }
          if (caplen > MAX_CAPLEN) {
            fail(
              offset,
              `claims ${caplen} captured bytes, more than libpcap's maximum of ${MAX_CAPLEN}: the block is corrupt; ${keptNote(records)}. Keep them with \`editcap -r ${p.file} good.pcapng 1-${Math.max(records, 1)}\``,
              name,
            );
            return;
          }
          if (dataAt + caplen > end) {
            fail(offset, `claims ${caplen} captured bytes, which do not fit in its ${len}-byte block: the block is corrupt; ${keptNote(records)}`, name);
            return;
          }
          if (type !== BT_SPB) {
            if (itf.digits >= 0 && decimalUnits(tsHi, tsLo, itf.digits, last)) last.sec += itf.offsetSec;
            else {
              const ns = ((BigInt(tsHi) * 4_294_967_296n + BigInt(tsLo)) * itf.mul) / itf.div + itf.offsetNs;
              last.sec = secOfBigint(ns);
              last.nsec = nsecOfBigint(ns);
            }
          }
          records++;
          if (!isSupportedLinkType(itf.linkType)) {
            const s = skips[ifId];
            if (s) s.records++;
            else {
              const n: CaptureSkip = { file: p.file, section, interfaceId: ifId, linkType: itf.linkType, records: 1, firstIndex: records, firstOffset: offset };
              if (itf.name !== undefined) n.ifName = itf.name;
              skips[ifId] = n;
              skipped.push(n);
            }
            break;
          }
          let direction: 'in' | 'out' | undefined;
          if (flagsCode)
            for (const [code, v] of options(block, dataAt + pad4(caplen), end, le)) {
              if (code === flagsCode && v.length >= 4) {
                const d = new DataView(v.buffer, v.byteOffset, 4).getUint32(0, le) & 3;
                if (d === 1) direction = 'in';
                else if (d === 2) direction = 'out';
              }
            }
          const c = toEthernet(itf.linkType, block.subarray(dataAt, dataAt + caplen), origLen);
          const f = new CapturedFrame(last.sec, last.nsec, c.data, c.origLen, Math.max(0, c.origLen - c.data.length), itf.linkType, p.file, records, offset);
          if (itf.name !== undefined) f.ifName = itf.name;
          if (direction) f.direction = direction;
          if (c.pktType !== undefined) f.pktType = c.pktType;
          if (c.nonIp !== undefined) f.nonIp = c.nonIp;
          yield f;
          break;
        }
        default:
          break;
      }
    }
  } finally {
    r.close();
  }
}
