import { describe, expect, it, beforeAll } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CaptureError, openCaptures, type CaptureDamage, type CaptureFrame } from './index.js';
import { pcapHeaderVariant, pcapRecordVariant, type PcapVariant } from './pcap-write.js';
import { pcapngBlock, pcapngInterface, pcapngPacket, pcapngSectionHeader } from './writer.js';
import { sampleFrames } from './testing.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cofw-damage-'));
});

const frames = sampleFrames();
const ADVICE = 'the capture was probably copied while still being written: copy it again once the capture has finished';

async function readAll(paths: string[]): Promise<{ got: CaptureFrame[]; damage: CaptureDamage[] }> {
  const c = openCaptures(paths);
  const got: CaptureFrame[] = [];
  for await (const f of c.frames) got.push(f);
  return { got, damage: c.damage };
}

function pcapBytes(v: PcapVariant = {}): { bytes: Buffer; offsets: number[] } {
  const parts: Uint8Array[] = [pcapHeaderVariant(v)];
  const offsets: number[] = [];
  let o = 24;
  for (const f of frames) {
    offsets.push(o);
    const r = pcapRecordVariant(v, f.tsNs, f.data);
    parts.push(r);
    o += r.length;
  }
  return { bytes: Buffer.concat(parts), offsets };
}

function put(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

function thrown(fn: () => unknown): CaptureError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CaptureError);
    return e as CaptureError;
  }
  throw new Error('expected a CaptureError');
}

describe('damaged classic pcap', () => {
  for (const v of [{}, { bigEndian: true }, { nanosecond: true }] as PcapVariant[]) {
    const tag = `${v.bigEndian ? 'be' : 'le'}-${v.nanosecond ? 'ns' : 'us'}`;
    it(`${tag}: last record cut short in its body`, async () => {
      const { bytes, offsets } = pcapBytes(v);
      const p = put(`cut-body-${tag}.pcap`, bytes.subarray(0, bytes.length - 30));
      const { got, damage } = await readAll([p]);
      expect(got.length).toBe(4);
      const len = frames[4]!.data.length;
      expect(damage).toEqual([
        {
          file: p,
          index: 5,
          offset: offsets[4],
          message: `${p}: record 5 at byte ${offsets[4]} is cut short: the file ends ${len - 30} bytes into its ${len}-byte body; ${ADVICE} (the 4 records before it were read)`,
        },
      ]);
    });

    it(`${tag}: file ends inside a record header`, async () => {
      const { bytes } = pcapBytes(v);
      const p = put(`cut-hdr-${tag}.pcap`, Buffer.concat([bytes, Buffer.alloc(7)]));
      const { got, damage } = await readAll([p]);
      expect(got.length).toBe(5);
      expect(damage.map((d) => d.message)).toEqual([
        `${p}: record 6 at byte ${bytes.length} is cut short: the file ends 7 bytes into its 16-byte record header; ${ADVICE} (the 5 records before it were read)`,
      ]);
    });

    it(`${tag}: impossible captured length`, async () => {
      const { bytes, offsets } = pcapBytes(v);
      const b = Buffer.from(bytes);
      if (v.bigEndian) b.writeUInt32BE(0xffffff00, offsets[2]! + 8);
      else b.writeUInt32LE(0xffffff00, offsets[2]! + 8);
      const p = put(`caplen-${tag}.pcap`, b);
      const { got, damage } = await readAll([p]);
      expect(got.map((f) => f.index)).toEqual([1, 2]);
      expect(damage).toEqual([
        {
          file: p,
          index: 3,
          offset: offsets[2],
          message: `${p}: record 3 at byte ${offsets[2]} claims ${0xffffff00} captured bytes, more than libpcap's maximum of 262144 (the file's snaplen is 262144): the record header is corrupt and the records after it cannot be located; the 2 records before it were read. Keep them with \`editcap -r ${p} good.pcap 1-2\` or repair the file (e.g. with pcapfix)`,
        },
      ]);
    });
  }

  it('a truncated gzip file yields what was decompressed and names the gzip damage', async () => {
    const { bytes } = pcapBytes({});
    const gz = gzipSync(bytes);
    const p = put('cut.pcap.gz', gz.subarray(0, gz.length - 12));
    const { got, damage } = await readAll([p]);
    expect(got.length).toBeGreaterThanOrEqual(0);
    expect(damage.length).toBe(1);
    expect(damage[0]!.message).toMatch(/the gzip-compressed data ends early or is damaged here \(unexpected end of file\); recompress the original capture/);
  });

  it('damage in one capture does not stop the others', async () => {
    const { bytes } = pcapBytes({ nanosecond: true });
    const bad = put('bad-merge.pcap', bytes.subarray(0, bytes.length - 1));
    const good = put('good-merge.pcap', bytes);
    const { got, damage } = await readAll([bad, good]);
    expect(got.length).toBe(9);
    expect(damage.map((d) => [d.file, d.index])).toEqual([[bad, 5]]);
  });
});

describe('files that are not captures throw up front', () => {
  const HELP = 'give cofw a capture written by tcpdump, dumpcap, tshark or Wireshark (.pcap or .pcapng, optionally gzip-compressed)';
  it.each([
    ['text.pcap', Buffer.from('hello, this is not a capture\nsecond line\n'), 'it looks like a text file (it starts with "hello, this is not a capture")'],
    ['empty.pcap', Buffer.alloc(0), 'the file is empty (0 bytes)'],
    [
      'junk.pcap',
      Buffer.from([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4, 5]),
      'it starts with the bytes de ad be ef 00 01 02 03, which are neither a pcap magic number (a1b2c3d4 or a1b23c4d, either byte order) nor a pcapng Section Header Block (0a0d0d0a)',
    ],
    ['x.bz2', Buffer.from('BZh91AY&SY\x00\x01\x02', 'latin1'), 'it is bzip2-compressed; decompress it first (cofw reads gzip directly, not bzip2)'],
  ])('%s', (name, bytes, what) => {
    const p = put(name, bytes);
    const e = thrown(() => openCaptures([p]));
    expect(e.message).toBe(`${p}, byte 0: not a pcap or pcapng file: ${what}; ${HELP}`);
    expect([e.file, e.index, e.offset]).toEqual([p, 0, 0]);
  });

  it('an ERF file is recognized', () => {
    const erf = Buffer.alloc(80);
    erf.writeUInt32LE(0x12345678, 0);
    erf.writeUInt32LE(1_700_000_000, 4);
    erf[8] = 2; // ERF_TYPE_ETH
    erf.writeUInt16BE(80, 10);
    erf.writeUInt16BE(60, 14);
    const p = put('capture.erf', erf);
    expect(thrown(() => openCaptures([p])).message).toBe(
      `${p}, byte 0: not a pcap or pcapng file: it looks like an ERF (Endace) capture; convert it with \`editcap -F pcapng in.erf out.pcapng\`; ${HELP}`,
    );
  });

  it('gzip of a text file says so', () => {
    const p = put('notes.gz', gzipSync(Buffer.from('just notes\n')));
    expect(thrown(() => openCaptures([p])).message).toBe(
      `${p}, byte 0: not a pcap or pcapng file (after gzip decompression): it looks like a text file (it starts with "just notes"); ${HELP}`,
    );
  });

  it('missing file, directory, short header, unsupported link type', () => {
    const missing = join(dir, 'nope.pcap');
    expect(thrown(() => openCaptures([missing])).message).toBe(`${missing}: cannot open the capture: no such file; check the path`);
    const d = join(dir, 'a-dir.pcap');
    mkdirSync(d);
    expect(thrown(() => openCaptures([d])).message).toBe(`${d}: cannot open the capture: it is a directory, not a capture file`);
    const short = put('short.pcap', pcapHeaderVariant().subarray(0, 10));
    expect(thrown(() => openCaptures([short])).message).toBe(`${short}, byte 0: the file ends 10 bytes into its 24-byte pcap file header; ${ADVICE}`);
    const usb = put('usb.pcap', pcapHeaderVariant({ linkType: 220 }));
    expect(thrown(() => openCaptures([usb])).message).toBe(
      `${usb}, byte 20: USB_LINUX_MMAPPED (usbmon) (220) is not a link type cofw reads (it reads Ethernet (1), Linux cooked SLL (113) and SLL2 (276), raw IP (101, 12, 14, 228, 229), NULL (0), LOOP (108), NFLOG (239), PPP (9, 50), PPPoE (51), Cisco HDLC (104) and 802.11 (105, 127)); capture on an Ethernet interface or with \`tcpdump -i any\``,
    );
  });

  it('one bad file among good ones fails before anything is read', () => {
    const good = put('good1.pcap', pcapBytes().bytes);
    const bad = put('bad1.pcap', Buffer.from('nope'));
    expect(thrown(() => openCaptures([good, bad])).file).toBe(bad);
  });
});

describe('damaged pcapng', () => {
  function ng(): { bytes: Buffer; offsets: number[] } {
    const parts: Uint8Array[] = [pcapngSectionHeader(), pcapngInterface(1, { name: 'eth0', tsresol: 9 })];
    const offsets: number[] = [];
    let o = parts.reduce((s, x) => s + x.length, 0);
    for (const f of frames) {
      const b = pcapngPacket(0, f.tsNs, f.data);
      offsets.push(o);
      parts.push(b);
      o += b.length;
    }
    return { bytes: Buffer.concat(parts), offsets };
  }

  it('last block cut short', async () => {
    const { bytes, offsets } = ng();
    const p = put('cut.pcapng', bytes.subarray(0, bytes.length - 10));
    const { got, damage } = await readAll([p]);
    expect(got.length).toBe(4);
    const len = bytes.length - offsets[4]!;
    expect(damage).toEqual([
      {
        file: p,
        index: 5,
        offset: offsets[4],
        message: `${p}: block 7 (Enhanced Packet Block) at byte ${offsets[4]}, after record 4, is cut short: the file ends ${len - 10} bytes into its ${len}-byte block; ${ADVICE} (the 4 records before it were read)`,
      },
    ]);
  });

  it('block length mismatch', async () => {
    const { bytes, offsets } = ng();
    const b = Buffer.from(bytes);
    const len = offsets[3]! - offsets[2]!;
    b.writeUInt32LE(len + 4, offsets[2]! + len - 4);
    const p = put('mismatch.pcapng', b);
    const { got, damage } = await readAll([p]);
    expect(got.length).toBe(2);
    expect(damage.map((d) => d.message)).toEqual([
      `${p}: block 5 (Enhanced Packet Block) at byte ${offsets[2]}, after record 2, has mismatched lengths: ${len} bytes at its start, ${len + 4} at its end: the file is damaged from here on; the 2 records before it were read. Keep them with \`editcap -r ${p} good.pcapng 1-2\``,
    ]);
  });

  it('impossible and oversized block lengths', async () => {
    const { bytes, offsets } = ng();
    const b = Buffer.from(bytes);
    b.writeUInt32LE(13, offsets[1]! + 4);
    const p = put('len13.pcapng', b);
    const r = await readAll([p]);
    expect(r.got.length).toBe(1);
    expect(r.damage[0]!.message).toBe(
      `${p}: block 4 (Enhanced Packet Block) at byte ${offsets[1]}, after record 1, has an impossible length of 13 bytes (it must be a multiple of 4 and at least 12): the file is damaged from here on; the 1 record before it was read. Keep them with \`editcap -r ${p} good.pcapng 1-1\``,
    );
    const b2 = Buffer.from(bytes);
    b2.writeUInt32LE(0x7ffffff0, offsets[1]! + 4);
    const p2 = put('huge.pcapng', b2);
    const r2 = await readAll([p2]);
    expect(r2.got.length).toBe(1);
    expect(r2.damage[0]!.message).toBe(
      `${p2}: block 4 (Enhanced Packet Block) at byte ${offsets[1]}, after record 1, claims ${0x7ffffff0} bytes, more than libpcap's limit of 16777216 for a pcapng block: its header is corrupt; the 1 record before it was read. Keep them with \`editcap -r ${p2} good.pcapng 1-1\``,
    );
  });

  it('an EPB naming an undeclared interface', async () => {
    const f = frames[0]!;
    const head = Buffer.concat([pcapngSectionHeader(), pcapngInterface(1, { tsresol: 9 }), pcapngPacket(0, f.tsNs, f.data)]);
    const p = put('undeclared.pcapng', Buffer.concat([head, pcapngPacket(3, f.tsNs, f.data)]));
    const { got, damage } = await readAll([p]);
    expect(got.length).toBe(1);
    expect(damage).toEqual([
      {
        file: p,
        index: 2,
        offset: head.length,
        message: `${p}: block 4 (Enhanced Packet Block) at byte ${head.length}, after record 1, names interface 3, but this section declares only 1 (interface 0): the file is damaged or was cut and pasted together; the 1 record before it was read. Rewrite it with \`editcap -F pcapng\` from an intact copy`,
      },
    ]);
  });

  it('a pcapng with a damaged byte-order magic throws up front', () => {
    const b = Buffer.from(ng().bytes);
    b.writeUInt32LE(0x11111111, 8);
    const p = put('bom.pcapng', b);
    expect(thrown(() => openCaptures([p])).message).toMatch(
      /, byte 8: the file starts like a pcapng Section Header Block but its byte-order magic is 11 11 11 11/,
    );
  });

  it('a captured length larger than its block', async () => {
    const f = frames[0]!;
    const epb = Buffer.from(pcapngPacket(0, f.tsNs, f.data));
    epb.writeUInt32LE(f.data.length + 100, 20);
    const head = Buffer.concat([pcapngSectionHeader(), pcapngInterface(1, {})]);
    const p = put('caplen.pcapng', Buffer.concat([head, epb]));
    const { damage } = await readAll([p]);
    expect(damage[0]!.message).toBe(
      `${p}: block 3 (Enhanced Packet Block) at byte ${head.length}, after record 0, claims ${f.data.length + 100} captured bytes, which do not fit in its ${epb.length}-byte block: the block is corrupt; no record came before it`,
    );
  });
});
