/**
 * Classic pcap input.
 *
 * Microsecond files (magic a1b2c3d4, either byte order) are parsed by
 * `pcap-parser`, the project's base for classic pcap. It does not report
 * record offsets, truncation or impossible lengths, so this wrapper keeps
 * its own byte count (header + records consumed vs. bytes delivered) to
 * locate every record and to name what is left over at the end, checks
 * each record header before its body is buffered, and pauses the input
 * while frames wait to be consumed (pcap-parser itself never does).
 *
 * Nanosecond files (magic a1b23c4d) are not accepted by `pcap-parser`; a
 * small reader of our own handles them.
 */
import pcapParser from 'pcap-parser';
import type { PcapPacketHeader } from 'pcap-parser';
import type { Readable } from 'node:stream';
import type { CaptureDamage, CaptureFrame } from './types.js';
import type { Probe } from './probe.js';
import { MAX_CAPLEN } from './probe.js';
import { ByteReader, openByteStream } from './byte-reader.js';
import { toEthernet } from './link.js';
import { CUT_SHORT_ADVICE, keptNote, streamErrorText, where } from './damage.js';

const FILE_HEADER = 24;
const RECORD_HEADER = 16;
/** Frames parsed ahead of the consumer before the input is paused. */
const HIGH_WATER = 256;

function makeFrame(p: Probe, index: number, offset: number, tsNs: bigint, captured: Uint8Array, origLen: number): CaptureFrame {
  const c = toEthernet(p.linkType, captured, origLen, p.fcsLen);
  const f: CaptureFrame = {
    tsNs,
    data: c.data,
    origLen: c.origLen,
    truncated: Math.max(0, c.origLen - c.data.length),
    linkType: p.linkType,
    file: p.file,
    index,
    offset,
  };
  if (c.pktType !== undefined) f.pktType = c.pktType;
  return f;
}

function badLength(p: Probe, index: number, offset: number, caplen: number): string {
  return `${where(p.file, 'record', index, offset, index - 1)} claims ${caplen} captured bytes, more than libpcap's maximum of ${MAX_CAPLEN} (the file's snaplen is ${p.snaplen}): the record header is corrupt and the records after it cannot be located; ${keptNote(index - 1)}. Keep them with \`editcap -r ${p.file} good.pcap 1-${Math.max(index - 1, 1)}\` or repair the file (e.g. with pcapfix)`;
}

function cutShort(p: Probe, index: number, offset: number, into: number, of: number, part: string): string {
  return `${where(p.file, 'record', index, offset, index - 1)} is cut short: the file ends ${into} bytes into its ${of}-byte ${part}; ${CUT_SHORT_ADVICE} (${keptNote(index - 1)})`;
}

/** Microsecond classic pcap through pcap-parser. */
export async function* readPcapMicro(p: Probe, damage: CaptureDamage[]): AsyncGenerator<CaptureFrame> {
  const bytes = openByteStream(p.file, p.gzip);
  const stream: Readable = bytes.stream;
  const parser = pcapParser.parse(stream);
  const queue: CaptureFrame[] = [];
  let received = 0;
  let consumed = FILE_HEADER;
  let index = 0;
  let pending: PcapPacketHeader | undefined;
  let done = false;
  let paused = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const stop = (message?: string): void => {
    if (done) return;
    if (message) damage.push({ file: p.file, index: index + 1, offset: consumed, message });
    done = true;
    parser.errored = true;
    stream.destroy();
    notify();
  };
  stream.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });
  parser.on('packetHeader', (h: PcapPacketHeader) => {
    if (done) return;
    if (h.capturedLength > MAX_CAPLEN) {
      stop(badLength(p, index + 1, consumed, h.capturedLength));
      return;
    }
    pending = h;
  });
  parser.on('packet', (pkt: { header: PcapPacketHeader; data: Buffer }) => {
    if (done) return;
    const h = pkt.header;
    index++;
    const tsNs = BigInt(h.timestampSeconds) * 1_000_000_000n + BigInt(h.timestampMicroseconds) * 1000n;
    queue.push(makeFrame(p, index, consumed, tsNs, pkt.data, h.originalLength));
    consumed += RECORD_HEADER + h.capturedLength;
    pending = undefined;
    if (queue.length >= HIGH_WATER && !paused) {
      paused = true;
      stream.pause();
    }
    notify();
  });
  parser.on('end', () => {
    if (done) return;
    const err = bytes.endError();
    if (err) {
      stop(`${where(p.file, 'record', index + 1, consumed, index)}: ${streamErrorText(err, p.gzip)} (${keptNote(index)})`);
      return;
    }
    const left = received - consumed;
    if (left > 0) {
      if (pending && left >= RECORD_HEADER) stop(cutShort(p, index + 1, consumed, left - RECORD_HEADER, pending.capturedLength, 'body'));
      else stop(cutShort(p, index + 1, consumed, left, RECORD_HEADER, 'record header'));
    } else stop();
  });
  parser.on('error', (e: Error) => {
    stop(`${where(p.file, 'record', index + 1, consumed, index)}: ${streamErrorText(e, p.gzip)} (${keptNote(index)})`);
  });
  try {
    for (;;) {
      const f = queue.shift();
      if (f) {
        if (paused && queue.length < HIGH_WATER / 4 && !done) {
          paused = false;
          stream.resume();
        }
        yield f;
        continue;
      }
      if (done) return;
      if (paused) {
        paused = false;
        stream.resume();
      }
      await new Promise<void>((r) => (wake = r));
    }
  } finally {
    if (!done) {
      done = true;
      parser.errored = true;
      stream.destroy();
    }
  }
}

/** Nanosecond classic pcap (magic a1b23c4d), read by cofw itself. */
export async function* readPcapNano(p: Probe, damage: CaptureDamage[]): AsyncGenerator<CaptureFrame> {
  const r = new ByteReader(openByteStream(p.file, p.gzip));
  const le = p.littleEndian;
  let index = 0;
  const fail = (offset: number, message: string): void => {
    damage.push({ file: p.file, index: index + 1, offset, message });
  };
  try {
    await r.fill(FILE_HEADER);
    r.read(FILE_HEADER);
    for (;;) {
      const offset = r.pos;
      if (!(await r.fill(RECORD_HEADER))) {
        if (r.error) fail(offset, `${where(p.file, 'record', index + 1, offset, index)}: ${streamErrorText(r.error, p.gzip)} (${keptNote(index)})`);
        else if (r.available > 0) fail(offset, cutShort(p, index + 1, offset, r.available, RECORD_HEADER, 'record header'));
        return;
      }
      const hb = r.peek(RECORD_HEADER);
      const dv = new DataView(hb.buffer, hb.byteOffset, RECORD_HEADER);
      const sec = dv.getUint32(0, le);
      const nsec = dv.getUint32(4, le);
      const caplen = dv.getUint32(8, le);
      const origLen = dv.getUint32(12, le);
      if (caplen > MAX_CAPLEN) {
        fail(offset, badLength(p, index + 1, offset, caplen));
        return;
      }
      if (!(await r.fill(RECORD_HEADER + caplen))) {
        if (r.error) fail(offset, `${where(p.file, 'record', index + 1, offset, index)}: ${streamErrorText(r.error, p.gzip)} (${keptNote(index)})`);
        else fail(offset, cutShort(p, index + 1, offset, r.available - RECORD_HEADER, caplen, 'body'));
        return;
      }
      r.read(RECORD_HEADER);
      const data = r.read(caplen);
      index++;
      yield makeFrame(p, index, offset, BigInt(sec) * 1_000_000_000n + BigInt(nsec), data, origLen);
    }
  } finally {
    r.close();
  }
}
