/**
 * What the HTML report shows beyond the drop report, gathered while the
 * replay runs (only when asked: `replay({ details: true })`): a timeline of
 * accepted and dropped frames, the sources and ports that were dropped most,
 * and a sample of the frames each rule, policy and stack reason dropped.
 *
 * Everything is bounded whatever the capture's size: the timeline keeps at
 * most MAX_BUCKETS buckets (a bucket is 1 s wide, and twice as wide each
 * time the capture outgrows them, adjacent buckets merged); the source and
 * port tables keep at most TOP_TABLE_CAP entries (at the cap, the entries
 * with counts at or below the median are forgotten, as in the dropped-flow
 * table); each drop cause keeps its first `samples` frames.
 *
 * @example
 * const d = new DetailsCollector();
 * d.passed(tsNs);                     // a captured frame that got through
 * d.dropped('filter:INPUT:3', frameNo, tsNs, frameBytes, ipLength);
 * d.result(20);                       // ReplayDetails
 */
import { Flow, readFrameFlow } from '../packet/flow.js';
import { flowText } from '../packet/flow-text.js';

/** One dropped frame of a cause's sample. */
export interface DropSample {
  /** Frame number in the replay (1-based). */
  frame: number;
  /** Capture timestamp, seconds since the epoch (microsecond precision). */
  time: number;
  /** `tcp 192.0.2.1:1234 -> 198.51.100.1:22`, `icmp 2001:db8::1 -> 2001:db8::2 type 128`, or the ethertype when not IP. */
  flow: string;
  /** IP length (what the counters count). */
  length: number;
}

/** The frames one cause dropped: a drop site (`[ip6:]table:chain:rule`, rule 0 the policy) or `stack:REASON`. */
export interface DropSamples {
  cause: string;
  /** Every frame it dropped (the sample holds the first ones). */
  count: number;
  frames: DropSample[];
}

export interface ReplayDetails {
  /** Accepted and dropped captured frames per bucket of `width` seconds, from `start` (seconds since the epoch, whole). */
  timeline: { start: number; width: number; accepted: number[]; dropped: number[] };
  /** Most-dropped source addresses, most first. */
  sources: Array<{ addr: string; count: number }>;
  /** Most-dropped destination ports (ICMP and ICMPv6: the type), most first. */
  ports: Array<{ proto: number; port: number; count: number }>;
  /** Entries the source and port tables forgot when full (their counts are then lower bounds). */
  forgotten: number;
  /** Samples per cause, in the order causes first dropped. */
  samples: DropSamples[];
  /** Most frames kept per cause. */
  sampleSize: number;
}

/** Most buckets of the timeline. */
export const MAX_BUCKETS = 1200;
/** Most entries of the source and port tables. */
export const TOP_TABLE_CAP = 65_536;
/** Frames kept per cause by default. */
export const SAMPLE_SIZE = 100;

/** A bounded counter by key: at the cap, the keys with counts at or below the median are forgotten. */
class BoundedCounts {
  readonly counts = new Map<string, number>();
  forgotten = 0;
  constructor(private readonly cap: number) {}

  add(key: string): void {
    const c = this.counts.get(key);
    if (c !== undefined) {
      this.counts.set(key, c + 1);
      return;
    }
    if (this.counts.size >= this.cap) this.prune();
    this.counts.set(key, 1);
  }

  private prune(): void {
    const sorted = [...this.counts.values()].sort((a, b) => a - b);
    const median = sorted[sorted.length >> 1] ?? 0;
    for (const [k, c] of this.counts) if (c <= median) this.counts.delete(k);
    this.forgotten += sorted.length - this.counts.size;
  }

  top(n: number): Array<[string, number]> {
    return [...this.counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, n);
  }
}

export class DetailsCollector {
  private start = -1;
  private width = 1;
  private accepted: number[] = [];
  private droppedCounts: number[] = [];
  private readonly sources: BoundedCounts;
  private readonly ports: BoundedCounts;
  private readonly samples = new Map<string, DropSamples>();
  private readonly flow = new Flow();

  constructor(
    private readonly sampleSize = SAMPLE_SIZE,
    cap = TOP_TABLE_CAP,
  ) {
    this.sources = new BoundedCounts(cap);
    this.ports = new BoundedCounts(cap);
  }

  /** The bucket of a timestamp; the buckets widen (adjacent ones merged) until it fits. Earlier than the first frame: the first bucket. */
  private bucket(tsNs: bigint): number {
    const s = Number(tsNs / 1_000_000_000n);
    if (this.start < 0) this.start = s;
    let i = Math.floor((s - this.start) / this.width);
    if (i < 0) return 0;
    while (i >= MAX_BUCKETS) {
      this.width *= 2;
      this.accepted = merge(this.accepted);
      this.droppedCounts = merge(this.droppedCounts);
      i = Math.floor((s - this.start) / this.width);
    }
    return i;
  }

  /** A captured frame that got through (forwarded, delivered, sent, or passed by the fail policy). */
  passed(tsNs: bigint): void {
    const i = this.bucket(tsNs);
    this.accepted[i] = (this.accepted[i] ?? 0) + 1;
  }

  /**
   * A dropped frame: `cause` names the drop site or stack reason; `frame`
   * undefined when the bytes are not at hand. `captured` is false for a
   * packet netfilter generated (counted in its cause, not in the timeline).
   */
  dropped(cause: string, frameNo: number, tsNs: bigint, frame: Uint8Array | undefined, length: number, captured = true): void {
    if (captured) {
      const i = this.bucket(tsNs);
      this.droppedCounts[i] = (this.droppedCounts[i] ?? 0) + 1;
    }
    let s = this.samples.get(cause);
    if (!s) this.samples.set(cause, (s = { cause, count: 0, frames: [] }));
    s.count++;
    const f = this.flow;
    const ip = frame !== undefined && readFrameFlow(frame, f);
    if (ip) {
      this.sources.add(f.src.toString());
      if (f.l4) this.ports.add(`${f.proto}/${f.dportOrType}`);
    }
    if (s.frames.length < this.sampleSize) {
      const what = ip ? flowText(f) : frame && frame.length >= 14 ? `ethertype 0x${((frame[12]! << 8) | frame[13]!).toString(16).padStart(4, '0')}` : 'not IP';
      s.frames.push({ frame: frameNo, time: Number(tsNs / 1000n) / 1e6, flow: what, length });
    }
  }

  /** What was gathered; the top lists hold `top` entries. */
  result(top: number): ReplayDetails {
    const n = Math.max(this.accepted.length, this.droppedCounts.length);
    return {
      timeline: {
        start: Math.max(this.start, 0),
        width: this.width,
        accepted: dense(this.accepted, n),
        dropped: dense(this.droppedCounts, n),
      },
      sources: this.sources.top(top).map(([addr, count]) => ({ addr, count })),
      ports: this.ports.top(top).map(([k, count]) => {
        const [proto, port] = k.split('/').map(Number) as [number, number];
        return { proto, port, count };
      }),
      forgotten: this.sources.forgotten + this.ports.forgotten,
      samples: [...this.samples.values()],
      sampleSize: this.sampleSize,
    };
  }
}

/** Adjacent buckets added: [a, b, c, d, e] -> [a+b, c+d, e]. */
function merge(a: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i += 2) out.push((a[i] ?? 0) + (a[i + 1] ?? 0));
  return out;
}

/** `n` buckets, those nothing fell in as zeros. */
function dense(a: number[], n: number): number[] {
  return Array.from({ length: n }, (_, i) => a[i] ?? 0);
}
