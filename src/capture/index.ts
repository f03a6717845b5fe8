/**
 * Capture input and output.
 *
 * `openCaptures` streams the frames of one or more captures (classic pcap
 * in microseconds or nanoseconds, pcapng; gzip-compressed or not), merged
 * by timestamp, every frame converted to Ethernet. `openCaptureWriter`
 * writes pcap or pcapng.
 *
 * @example
 * const { frames, damage } = openCaptures(['a.pcapng', 'b.pcap.gz']);
 * for await (const f of frames) handle(f);
 * for (const d of damage) console.error(d.message);
 */
import type { CaptureDamage, CaptureFrame, CaptureSkip } from './types.js';
import { probeCapture } from './probe.js';
import type { Probe } from './probe.js';
import { readPcapBatches } from './pcap-read.js';
import { readPcapng } from './pcapng-read.js';
import { linkTypeName } from './link.js';
import { FrameBatch } from './batch.js';

export type { CaptureFrame, CaptureDamage, CaptureSkip } from './types.js';
export { FrameBatch, type FrameExtra } from './batch.js';
export { CaptureError } from './types.js';
export type { CaptureWriter } from './writer.js';
export { openCaptureWriter } from './writer.js';
export { probeCapture, describeNotCapture, MAX_CAPLEN, MAX_PCAPNG_BLOCK } from './probe.js';
export type { Probe, CaptureKind } from './probe.js';
export * from './link.js';
export { GZIP_RATIO_FLOOR, GZIP_RATIO_LIMIT } from './gunzip.js';

/**
 * What a report says of skipped records: `x.pcapng: 12 records of interface
 * 0 (usbmon0), USB_LINUX_MMAPPED (usbmon) (220), skipped (the first is
 * record 3 at byte 884): cofw does not read that link type`.
 */
export function skipText(s: CaptureSkip): string {
  const itf = `interface ${s.interfaceId}${s.ifName ? ` (${s.ifName})` : ''}${s.section > 1 ? ` of section ${s.section}` : ''}`;
  const recs = s.records === 1 ? `1 record of ${itf}` : `${s.records} records of ${itf}`;
  return `${s.file}: ${recs}, ${linkTypeName(s.linkType)}, skipped (the first is record ${s.firstIndex} at byte ${s.firstOffset}): cofw does not read that link type`;
}

/** Frames in the batches a merge of several files, or a reader of single frames, hands out. */
const MERGE_BATCH = 512;

/** A reader of single frames, its frames in batches of MERGE_BATCH (the last one shorter). */
async function* inBatches(frames: AsyncGenerator<CaptureFrame>): AsyncGenerator<FrameBatch> {
  try {
    let batch = new FrameBatch(MERGE_BATCH);
    for await (const f of frames) {
      batch.push(f);
      if (batch.full) {
        yield batch;
        batch = new FrameBatch(MERGE_BATCH);
      }
    }
    if (batch.length) yield batch;
  } finally {
    await frames.return(undefined);
  }
}

function readOne(p: Probe, damage: CaptureDamage[], skipped: CaptureSkip[]): AsyncGenerator<FrameBatch> {
  if (p.kind === 'pcapng') return inBatches(readPcapng(p, damage, skipped));
  return readPcapBatches(p, damage);
}

/** One file's place in the merge: its current batch and the next frame in it. */
interface Head {
  batch: FrameBatch;
  at: number;
  src: number;
}

/** Min-heap on (timestamp, file order); each file's own order is kept by pulling one frame at a time. */
function less(a: Head, b: Head): boolean {
  const xs = a.batch.tsSec[a.at]!;
  const ys = b.batch.tsSec[b.at]!;
  if (xs !== ys) return xs < ys;
  const xn = a.batch.tsNsec[a.at]!;
  const yn = b.batch.tsNsec[b.at]!;
  return xn < yn || (xn === yn && a.src < b.src);
}

function siftDown(h: Head[], i: number): void {
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < h.length && less(h[l]!, h[m]!)) m = l;
    if (r < h.length && less(h[r]!, h[m]!)) m = r;
    if (m === i) return;
    [h[i], h[m]] = [h[m]!, h[i]!];
    i = m;
  }
}

function siftUp(h: Head[], i: number): void {
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!less(h[i]!, h[p]!)) return;
    [h[i], h[p]] = [h[p]!, h[i]!];
    i = p;
  }
}

/** The next non-empty batch of a reader, or undefined at its end. */
async function nextBatch(it: AsyncGenerator<FrameBatch>): Promise<FrameBatch | undefined> {
  for (;;) {
    const r = await it.next();
    if (r.done) return undefined;
    if (r.value.length) return r.value;
  }
}

/**
 * Streams the frames of one or more captures merged by timestamp (stable
 * for ties: file order, then record order). Damage after the first good
 * record does not throw: reading of that file stops, the damage is
 * recorded in `damage`, and what was read before is still yielded. A file
 * that is not a capture at all (bad magic), missing or unreadable throws
 * CaptureError up front. `formats` maps each path to `pcap`, `pcap-ns` or
 * `pcapng`, with `+gzip` when the file is gzip-compressed. `skipped` lists
 * the pcapng interfaces whose records were skipped, with their counts
 * (complete once `frames` has been read to its end).
 *
 * `frames` (or `batches`: one of the two) can be iterated once; each file is opened when iteration starts
 * and closed when it ends or is abandoned.
 */
export function openCaptures(paths: string[]): {
  frames: AsyncIterable<CaptureFrame>;
  /**
   * The same frames in batches (in order), for consumers that go fast: as
   * places in the pieces of the file read, no object per frame (FrameBatch).
   */
  batches: AsyncIterable<FrameBatch>;
  damage: CaptureDamage[];
  skipped: CaptureSkip[];
  formats: Map<string, string>;
} {
  const probes = paths.map((p) => probeCapture(p));
  const formats = new Map<string, string>();
  for (const p of probes) formats.set(p.file, p.format);
  const damage: CaptureDamage[] = [];
  const skipped: CaptureSkip[] = [];
  let started = false;
  async function* merged(): AsyncGenerator<FrameBatch> {
    if (started) throw new Error('openCaptures: frames can be iterated only once; call openCaptures again');
    started = true;
    const its = probes.map((p) => readOne(p, damage, skipped));
    try {
      if (its.length === 1) {
        yield* its[0]!;
        return;
      }
      const heap: Head[] = [];
      for (let i = 0; i < its.length; i++) {
        const batch = await nextBatch(its[i]!);
        if (batch) {
          heap.push({ batch, at: 0, src: i });
          siftUp(heap, heap.length - 1);
        }
      }
      let out = new FrameBatch(MERGE_BATCH);
      while (heap.length) {
        const top = heap[0]!;
        out.copy(top.batch, top.at);
        if (out.full) {
          yield out;
          out = new FrameBatch(MERGE_BATCH);
        }
        if (++top.at < top.batch.length) {
          siftDown(heap, 0);
          continue;
        }
        // The file's batch is used up: hand out what is merged so far before waiting for its next one.
        if (out.length) {
          yield out;
          out = new FrameBatch(MERGE_BATCH);
        }
        const batch = await nextBatch(its[top.src]!);
        if (batch) {
          top.batch = batch;
          top.at = 0;
          siftDown(heap, 0);
        } else {
          const last = heap.pop()!;
          if (heap.length) {
            heap[0] = last;
            siftDown(heap, 0);
          }
        }
      }
      if (out.length) yield out;
    } finally {
      await Promise.all(its.map((it) => it.return(undefined)));
    }
  }
  async function* frames(): AsyncGenerator<CaptureFrame> {
    for await (const batch of merged()) for (let i = 0; i < batch.length; i++) yield batch.frame(i);
  }
  return { frames: { [Symbol.asyncIterator]: () => frames() }, batches: { [Symbol.asyncIterator]: () => merged() }, damage, skipped, formats };
}
