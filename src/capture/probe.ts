/**
 * Up-front checks on a capture file: it exists, is readable, is (possibly
 * gzip-compressed) classic pcap or pcapng, and its header is usable. What
 * is not a capture is described as precisely as its first bytes allow.
 */
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { CaptureError } from './types.js';
import { gunzipHead } from './gunzip.js';
import { isSupportedLinkType, linkTypeName, SUPPORTED_LINK_TYPES_TEXT } from './link.js';

export type CaptureKind = 'pcap' | 'pcap-ns' | 'pcapng';

export interface Probe {
  file: string;
  kind: CaptureKind;
  gzip: boolean;
  /** For classic pcap: byte order, link type (its low 16 bits, as libpcap reads it) and snaplen of the file header. */
  littleEndian: boolean;
  linkType: number;
  snaplen: number;
  /** For classic pcap: bytes of frame check sequence at the end of every frame (the link type field's FCS length), 0 when none is said to be there. */
  fcsLen: number;
  /** e.g. `pcap`, `pcap-ns`, `pcapng`, with `+gzip` when compressed. */
  format: string;
}

/** libpcap's largest sane captured length for the link types cofw reads (MAXIMUM_SNAPLEN). */
export const MAX_CAPLEN = 262144;
/** libpcap's initial limit on a pcapng block's length. */
export const MAX_PCAPNG_BLOCK = 16 * 1024 * 1024;
/** Bytes of a capture looked at up front (gzip: compressed bytes). */
const HEAD_BYTES = 64 * 1024;
/** Most bytes of a gzip capture decompressed up front. */
const HEAD_GUNZIP_MAX = 8 * 1024 * 1024;

/** pcapng section versions libpcap and Wireshark read: 1.0, and 1.2 which some writers put. */
export function pcapngVersionRead(major: number, minor: number): boolean {
  return major === 1 && (minor === 0 || minor === 2);
}

const HELP = 'give cofw a capture written by tcpdump, dumpcap, tshark or Wireshark (.pcap or .pcapng, optionally gzip-compressed)';

function hex(b: Uint8Array, n: number): string {
  return Array.from(b.subarray(0, n), (x) => x.toString(16).padStart(2, '0')).join(' ');
}

function startsWith(b: Uint8Array, s: string | number[]): boolean {
  const arr = typeof s === 'string' ? Array.from(s, (c) => c.charCodeAt(0)) : s;
  if (b.length < arr.length) return false;
  return arr.every((v, i) => b[i] === v);
}

function looksLikeText(b: Uint8Array): boolean {
  const n = Math.min(b.length, 256);
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c === 9 || c === 10 || c === 13 || (c >= 0x20 && c < 0x7f) || c >= 0x80) continue;
    return false;
  }
  return true;
}

function looksLikeErf(b: Uint8Array): boolean {
  // ERF record header: 8-byte little-endian fixed-point timestamp (seconds in
  // the high 32 bits), type, flags, record length (BE), loss counter, wire length.
  if (b.length < 16) return false;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const secs = dv.getUint32(4, true);
  const type = b[8]! & 0x7f;
  const rlen = dv.getUint16(10);
  const wlen = dv.getUint16(14);
  return secs > 631152000 && secs < 4102444800 && type >= 1 && type <= 48 && rlen >= 16 && rlen <= 16 + 16 + wlen + 8 + 64;
}

/** What a file that is not a capture looks like, from its first bytes (for the error message). */
export function describeNotCapture(b: Uint8Array): string {
  if (b.length === 0) return 'the file is empty (0 bytes)';
  if (startsWith(b, [0xa1, 0xb2, 0xcd, 0x34]) || startsWith(b, [0x34, 0xcd, 0xb2, 0xa1]))
    return 'it is a modified (Kuznetzov) pcap, which cofw does not read; convert it with `editcap -F pcap in out.pcap`';
  if (startsWith(b, 'snoop\0\0\0')) return 'it is a Solaris snoop capture; convert it with `editcap -F pcapng in out.pcapng`';
  if (startsWith(b, 'GMBU') || startsWith(b, 'RTSS')) return 'it is a Microsoft Network Monitor capture; convert it with `editcap -F pcapng in out.pcapng`';
  if (startsWith(b, 'PK\x03\x04')) return 'it is a ZIP archive; extract the capture from it first';
  if (startsWith(b, 'BZh')) return 'it is bzip2-compressed; decompress it first (cofw reads gzip directly, not bzip2)';
  if (startsWith(b, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'it is xz-compressed; decompress it first (cofw reads gzip directly, not xz)';
  if (startsWith(b, [0x28, 0xb5, 0x2f, 0xfd])) return 'it is zstd-compressed; decompress it first (cofw reads gzip directly, not zstd)';
  if (startsWith(b, [0x04, 0x22, 0x4d, 0x18])) return 'it is lz4-compressed; decompress it first (cofw reads gzip directly, not lz4)';
  if (startsWith(b, '\x7fELF')) return 'it is an ELF executable';
  // Too short for any magic number: a cut download or a stray file, not "text".
  if (b.length < 4)
    return `the file is only ${b.length} byte${b.length === 1 ? '' : 's'} long (${hex(b, b.length)}): too short to be a capture (a pcap file header is 24 bytes, a pcapng section header at least 28)`;
  if (looksLikeText(b)) {
    const text = Buffer.from(b.subarray(0, 64)).toString('utf8').split(/\r?\n/)[0] ?? '';
    const shown = text.length > 40 ? `${text.slice(0, 40)}...` : text;
    return `it looks like a text file (it starts with ${JSON.stringify(shown)})`;
  }
  if (looksLikeErf(b)) return 'it looks like an ERF (Endace) capture; convert it with `editcap -F pcapng in.erf out.pcapng`';
  return `it starts with the bytes ${hex(b, Math.min(8, b.length))}, which are neither a pcap magic number (a1b2c3d4 or a1b23c4d, either byte order) nor a pcapng Section Header Block (0a0d0d0a)`;
}

function readHead(file: string): { bytes: Uint8Array; size: number } {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    const why =
      code === 'ENOENT'
        ? 'no such file; check the path'
        : code === 'EACCES'
          ? 'permission denied; check its permissions'
          : code === 'EISDIR'
            ? 'it is a directory, not a capture file'
            : `${(e as Error).message}`;
    throw new CaptureError(file, 0, 0, `${file}: cannot open the capture: ${why}`, { cause: e });
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new CaptureError(file, 0, 0, `${file}: cannot open the capture: it is a directory, not a capture file`);
    const buf = Buffer.alloc(HEAD_BYTES);
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, 0);
    } catch (e) {
      throw new CaptureError(file, 0, 0, `${file}: cannot read the capture: ${(e as Error).message}`, { cause: e });
    }
    return { bytes: buf.subarray(0, n), size: st.size };
  } finally {
    closeSync(fd);
  }
}

/** An interface a pcapng file declares before its first packet. */
interface HeadInterface {
  id: number;
  linkType: number;
  name?: string;
  /** Offset of its link type field. */
  offset: number;
}

/**
 * The interfaces a pcapng file declares before its first packet block, when
 * its first bytes hold all of them (`decisive`: a packet block or the end of
 * the file was reached); blocks that do not make sense end the walk
 * undecided (the reader reports them).
 */
function pcapngHeadInterfaces(head: Uint8Array, complete: boolean): { interfaces: HeadInterface[]; decisive: boolean } {
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const interfaces: HeadInterface[] = [];
  let le = true;
  let o = 0;
  while (o + 12 <= head.length) {
    if (dv.getUint32(o, false) === 0x0a0d0d0a) {
      const bom = dv.getUint32(o + 8, false);
      if (bom !== 0x1a2b3c4d && bom !== 0x4d3c2b1a) return { interfaces, decisive: false };
      le = bom === 0x4d3c2b1a;
      interfaces.length = 0;
    }
    const type = dv.getUint32(o, le);
    const len = dv.getUint32(o + 4, le);
    if (len < 12 || len % 4 || o + len > head.length) return { interfaces, decisive: false };
    if (type === 2 || type === 3 || type === 6) return { interfaces, decisive: true };
    if (type === 1 && len >= 20) {
      const itf: HeadInterface = { id: interfaces.length, linkType: dv.getUint16(o + 8, le), offset: o + 8 };
      // if_name (option 2), for the message.
      for (let p = o + 16; p + 4 <= o + len - 4;) {
        const code = dv.getUint16(p, le);
        const olen = dv.getUint16(p + 2, le);
        if (code === 0 || p + 4 + olen > o + len - 4) break;
        if (code === 2)
          itf.name = Buffer.from(head.subarray(p + 4, p + 4 + olen))
            .toString('utf8')
            .replace(/\0+$/, '');
        p += 4 + ((olen + 3) & ~3);
      }
      interfaces.push(itf);
    }
    o += len;
  }
  return { interfaces, decisive: complete && o === head.length };
}

/** Checks a capture file up front; throws CaptureError when it cannot be read at all. */
export function probeCapture(file: string): Probe {
  const { bytes: raw, size } = readHead(file);
  let head: Uint8Array = raw;
  let complete = raw.length === size;
  const gzip = raw[0] === 0x1f && raw[1] === 0x8b;
  if (gzip) {
    try {
      const g = gunzipHead(raw, HEAD_GUNZIP_MAX);
      head = g.data;
      complete &&= g.complete;
    } catch (e) {
      throw new CaptureError(
        file,
        0,
        0,
        `${file}, byte 0: the file is gzip-compressed but its compressed data is damaged (${(e as Error).message}); recompress the original capture or decompress what is left with \`zcat\``,
        { cause: e },
      );
    }
  }
  const gz = gzip ? ' (after gzip decompression)' : '';
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const m = head.length >= 4 ? dv.getUint32(0, false) : -1;
  const pcapMagic: Record<number, [CaptureKind, boolean]> = {
    0xd4c3b2a1: ['pcap', true],
    0xa1b2c3d4: ['pcap', false],
    0x4d3cb2a1: ['pcap-ns', true],
    0xa1b23c4d: ['pcap-ns', false],
  };
  const pm = pcapMagic[m];
  if (pm) {
    const [kind, le] = pm;
    if (head.length < 24)
      throw new CaptureError(
        file,
        0,
        0,
        `${file}, byte 0: the file ends ${head.length} bytes into its 24-byte pcap file header${gz}; the capture was probably copied while still being written: copy it again once the capture has finished`,
      );
    const major = dv.getUint16(4, le);
    const minor = dv.getUint16(6, le);
    if (major !== 2)
      throw new CaptureError(
        file,
        0,
        0,
        `${file}, byte 4: pcap version ${major}.${minor} is not supported (only 2.x is); rewrite it with \`editcap -F pcap in out.pcap\``,
      );
    const snaplen = dv.getUint32(16, le);
    // The link type is the field's low 16 bits; above them, reserved bits (ignored, as libpcap ignores them)
    // and the frame check sequence's length in 16-bit words, when the P bit (0x04000000) says it is known.
    const field = dv.getUint32(20, le);
    const linkType = field & 0xffff;
    const fcsLen = field & 0x04000000 ? (field >>> 28) * 2 : 0;
    if (!isSupportedLinkType(linkType))
      throw new CaptureError(
        file,
        0,
        20,
        `${file}, byte 20: ${linkTypeName(linkType)} is not a link type cofw reads (it reads ${SUPPORTED_LINK_TYPES_TEXT}); capture on an Ethernet interface or with \`tcpdump -i any\``,
      );
    return { file, kind, gzip, littleEndian: le, linkType, snaplen, fcsLen, format: kind + (gzip ? '+gzip' : '') };
  }
  if (m === 0x0a0d0d0a) {
    if (head.length < 12)
      throw new CaptureError(
        file,
        0,
        0,
        `${file}, byte 0: the file ends ${head.length} bytes into its pcapng Section Header Block${gz}; the capture was probably copied while still being written: copy it again once the capture has finished`,
      );
    const bom = dv.getUint32(8, false);
    if (bom !== 0x1a2b3c4d && bom !== 0x4d3c2b1a)
      throw new CaptureError(
        file,
        0,
        8,
        `${file}, byte 8: the file starts like a pcapng Section Header Block but its byte-order magic is ${hex(head.subarray(8), 4)} (expected 1a 2b 3c 4d in either byte order); the file is damaged or not a capture: ${HELP}`,
      );
    const le = bom === 0x4d3c2b1a;
    if (head.length >= 16) {
      const major = dv.getUint16(12, le);
      const minor = dv.getUint16(14, le);
      if (!pcapngVersionRead(major, minor))
        throw new CaptureError(
          file,
          0,
          12,
          `${file}, byte 12: pcapng version ${major}.${minor} is not one cofw reads: as libpcap and Wireshark, it reads versions 1.0 and 1.2 (1.1 was never a version of the format); the program that wrote the file does not follow the pcapng specification`,
        );
    }
    // A file whose interfaces are all of link types cofw does not read is refused, as a pcap file of such a type is.
    const { interfaces, decisive } = pcapngHeadInterfaces(head, complete);
    if (decisive && interfaces.length && interfaces.every((i) => !isSupportedLinkType(i.linkType))) {
      const named = (i: HeadInterface): string => `interface ${i.id}${i.name ? ` (${i.name})` : ''}`;
      const first = interfaces[0]!;
      const what =
        interfaces.length === 1
          ? `${named(first)} is ${linkTypeName(first.linkType)}, which is not a link type cofw reads`
          : `none of its ${interfaces.length} interfaces is of a link type cofw reads (${interfaces.map((i) => `${named(i)}: ${linkTypeName(i.linkType)}`).join('; ')})`;
      throw new CaptureError(
        file,
        0,
        first.offset,
        `${file}, byte ${first.offset}: ${what} (it reads ${SUPPORTED_LINK_TYPES_TEXT}); capture on an Ethernet interface or with \`tcpdump -i any\``,
      );
    }
    return { file, kind: 'pcapng', gzip, littleEndian: le, linkType: -1, snaplen: 0, fcsLen: 0, format: 'pcapng' + (gzip ? '+gzip' : '') };
  }
  throw new CaptureError(file, 0, 0, `${file}, byte 0: not a pcap or pcapng file${gz}: ${describeNotCapture(head)}; ${HELP}`);
}
