/**
 * Classic pcap input, microsecond (magic a1b2c3d4) and nanosecond
 * (a1b23c4d) files in either byte order, read by cofw itself.
 *
 * Until 2026-11 the microsecond files went through `pcap-parser`; it
 * cost about 2.3 CPU seconds per million frames (an event, a header
 * object, a deprecated `new Buffer` and two promises per frame), more
 * than twice the whole per-frame budget of a million frames a second,
 * so cofw reads them as it reads the nanosecond ones (bench/RESULTS.md).
 */
import type { CaptureDamage } from './types.js';
import { CapturedFrame } from './types.js';
import { FrameBatch } from './batch.js';
import type { Probe } from './probe.js';
import { MAX_CAPLEN } from './probe.js';
import { NS_PER_SEC } from './timestamp.js';
import { openByteStream } from './byte-reader.js';
import { LINKTYPE_ETHERNET, toEthernet } from './link.js';
import { CUT_SHORT_ADVICE, keptNote, streamErrorText, where } from './damage.js';

const FILE_HEADER = 24;
const RECORD_HEADER = 16;

/** Adds the record of `caplen` bytes at buf[at] to `batch`: an Ethernet frame as a place in the piece, any other converted. */
function addFrame(
  p: Probe,
  batch: FrameBatch,
  index: number,
  offset: number,
  sec: number,
  nsec: number,
  buf: Uint8Array,
  at: number,
  caplen: number,
  origLen: number,
): void {
  if (p.linkType === LINKTYPE_ETHERNET && p.fcsLen <= 0) {
    batch.add(buf, at, caplen, origLen, origLen > caplen ? origLen - caplen : 0, sec, nsec, p.linkType, p.file, index, offset);
    return;
  }
  const c = toEthernet(p.linkType, buf.subarray(at, at + caplen), origLen, p.fcsLen);
  const f = new CapturedFrame(sec, nsec, c.data, c.origLen, Math.max(0, c.origLen - c.data.length), p.linkType, p.file, index, offset);
  if (c.pktType !== undefined) f.pktType = c.pktType;
  if (c.nonIp !== undefined) f.nonIp = c.nonIp;
  batch.push(f);
}

function badLength(p: Probe, index: number, offset: number, caplen: number): string {
  return `${where(p.file, 'record', index, offset, index - 1)} claims ${caplen} captured bytes, more than libpcap's maximum of ${MAX_CAPLEN} (the file's snaplen is ${p.snaplen}): the record header is corrupt and the records after it cannot be located; ${keptNote(index - 1)}. Keep them with \`editcap -r ${p.file} good.pcap 1-${Math.max(index - 1, 1)}\` or repair the file (e.g. with pcapfix)`;
}

function cutShort(p: Probe, index: number, offset: number, into: number, of: number, part: string): string {
  return `${where(p.file, 'record', index, offset, index - 1)} is cut short: the file ends ${into} bytes into its ${of}-byte ${part}; ${CUT_SHORT_ADVICE} (${keptNote(index - 1)})`;
}

/** Frames handed out together: a batch per piece of the file read (the reader never waits per frame). */
const BATCH = 512;

/**
 * Classic pcap of either timestamp resolution (magic a1b2c3d4 microseconds,
 * a1b23c4d nanoseconds; either byte order), read by cofw itself: the file
 * arrives in pieces of 256 KiB, and every complete record in a piece is
 * parsed at once into frames that are places in it (a record split
 * between two pieces is copied), no object per frame (FrameBatch). Frames
 * come in batches, so the consumer waits once per piece, not once per frame.
 */
export async function* readPcapBatches(p: Probe, damage: CaptureDamage[]): AsyncGenerator<FrameBatch> {
  const bytes = openByteStream(p.file, p.gzip, 256 * 1024);
  const stream = bytes.stream;
  const le = p.littleEndian;
  const nano = p.kind === 'pcap-ns';
  let index = 0;
  /** Offset in the file of `buf[0]`. */
  let base = 0;
  /** Bytes not yet parsed: the end of the last piece (a record cut between pieces), then the next piece. */
  let buf: Uint8Array = new Uint8Array(0);
  let pos = FILE_HEADER;
  const fail = (offset: number, message: string): void => {
    damage.push({ file: p.file, index: index + 1, offset, message });
  };
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  try {
    for (;;) {
      let chunk: Buffer | undefined;
      let streamError: Error | undefined;
      try {
        const r = await chunks.next();
        if (!r.done) chunk = r.value;
      } catch (e) {
        streamError = e instanceof Error ? e : new Error(String(e));
      }
      if (chunk === undefined) {
        const err = streamError ?? bytes.endError();
        const offset = base + pos;
        const left = Math.max(0, buf.length - pos);
        if (err) fail(offset, `${where(p.file, 'record', index + 1, offset, index)}: ${streamErrorText(err, p.gzip)} (${keptNote(index)})`);
        else if (left >= RECORD_HEADER) {
          const dv = new DataView(buf.buffer, buf.byteOffset + pos, RECORD_HEADER);
          fail(offset, cutShort(p, index + 1, offset, left - RECORD_HEADER, dv.getUint32(8, le), 'body'));
        } else if (left > 0) fail(offset, cutShort(p, index + 1, offset, left, RECORD_HEADER, 'record header'));
        return;
      }
      if (!chunk.length) continue;
      if (pos >= buf.length) {
        // Nothing left over (past the file header: skip what remains of it).
        pos -= buf.length;
        base += buf.length;
        // A plain Uint8Array over the piece (frames' views are not Buffers).
        buf = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
      } else {
        const joined = new Uint8Array(buf.length - pos + chunk.length);
        joined.set(buf.subarray(pos), 0);
        joined.set(chunk, buf.length - pos);
        base += pos;
        buf = joined;
        pos = 0;
      }
      if (pos > buf.length) continue;
      const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      let batch = new FrameBatch(BATCH);
      while (pos + RECORD_HEADER <= buf.length) {
        const caplen = dv.getUint32(pos + 8, le);
        if (caplen > MAX_CAPLEN) {
          if (batch.length) yield batch;
          fail(base + pos, badLength(p, index + 1, base + pos, caplen));
          return;
        }
        if (pos + RECORD_HEADER + caplen > buf.length) break;
        const sec = dv.getUint32(pos, le);
        const frac = dv.getUint32(pos + 4, le);
        const origLen = dv.getUint32(pos + 12, le);
        index++;
        // A fraction of a second or more (a damaged or careless writer) carries into the seconds, as the sum of nanoseconds did.
        const ns = nano ? frac : frac * 1000;
        if (ns < NS_PER_SEC) addFrame(p, batch, index, base + pos, sec, ns, buf, pos + RECORD_HEADER, caplen, origLen);
        else addFrame(p, batch, index, base + pos, sec + Math.floor(ns / NS_PER_SEC), ns % NS_PER_SEC, buf, pos + RECORD_HEADER, caplen, origLen);
        pos += RECORD_HEADER + caplen;
        if (batch.full) {
          yield batch;
          batch = new FrameBatch(BATCH);
        }
      }
      if (batch.length) yield batch;
    }
  } finally {
    stream.destroy();
  }
}
