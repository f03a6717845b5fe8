/**
 * The dropped-flow table of the drop report: drops counted per flow
 * (source, destination, protocol, destination port or ICMP / ICMPv6 type),
 * of either family, in flat typed arrays: open addressing, keys as nine
 * 32-bit words (the two addresses' four words each, then family, protocol
 * and port), no object or string per packet. Bounded: at `cap` flows, those
 * with counts at or below the median are forgotten, so memory stays flat
 * however many flows a capture has.
 *
 * Addresses print as `iptables-save` and `inet_ntop` print them
 * (`192.0.2.1`, `2001:db8::1`).
 *
 * @example
 * const flows = new FlowTable();
 * const f = new Flow();
 * if (readFrameFlow(frame, f)) flows.add(f);
 * flows.top(20); // [{ src, dst, proto, dport, count }], most dropped first
 */
import { Family, InetAddr } from '../packet/inet-addr.js';
import type { Flow } from '../packet/flow.js';

/** One dropped flow as the report lists it. */
export interface DroppedFlow {
  /** Source address: dotted quad, or IPv6 as inet_ntop prints it. */
  src: string;
  dst: string;
  proto: number;
  /** Destination port for TCP, UDP, SCTP, DCCP, UDP-Lite; ICMP or ICMPv6 type for ICMP and ICMPv6; else 0. */
  dport: number;
  count: number;
}

/** Most flows the dropped-flow table holds (see ReplayResult.flows). */
export const FLOW_TABLE_CAP = 65_536;

/** Words per key: source (4), destination (4), family bit << 24 | protocol << 16 | port. */
const KW = 9;
const V6_BIT = 1 << 24;

export class FlowTable {
  private slots: number;
  private keys: Uint32Array;
  private counts: Float64Array;
  /** The key being counted (reused). */
  private readonly key = new Uint32Array(KW);
  size = 0;
  forgotten = 0;

  constructor(private readonly cap = FLOW_TABLE_CAP) {
    this.slots = 1 << Math.ceil(Math.log2(cap * 2));
    this.keys = new Uint32Array(this.slots * KW);
    this.counts = new Float64Array(this.slots);
  }

  /** Counts `n` drops of the flow `f` (its destination port, or its ICMP type, is the port). */
  add(f: Flow, n = 1): void {
    const k = this.key;
    const s = f.src;
    const d = f.dst;
    k[0] = s.w0;
    k[1] = s.w1;
    k[2] = s.w2;
    k[3] = s.w3;
    k[4] = d.w0;
    k[5] = d.w1;
    k[6] = d.w2;
    k[7] = d.w3;
    k[8] = (s.family === Family.V6 ? V6_BIT : 0) | ((f.proto & 0xff) << 16) | (f.dportOrType & 0xffff);
    this.insert(k, 0, n);
  }

  private static hash(k: Uint32Array, at: number): number {
    let h = 0x9e3779b9;
    for (let i = 0; i < KW; i++) {
      h = Math.imul(h ^ k[at + i]!, 0x85ebca6b);
      h ^= h >>> 13;
    }
    h = Math.imul(h, 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  }

  /** Adds `n` to the flow whose key is `src[at..at+KW)`. */
  private insert(src: Uint32Array, at: number, n: number): void {
    const mask = this.slots - 1;
    const keys = this.keys;
    for (let i = FlowTable.hash(src, at) & mask; ; i = (i + 1) & mask) {
      const c = this.counts[i]!;
      const o = i * KW;
      if (c === 0) {
        if (this.size >= this.cap) {
          this.prune();
          this.insert(src, at, n);
          return;
        }
        for (let j = 0; j < KW; j++) keys[o + j] = src[at + j]!;
        this.counts[i] = n;
        this.size++;
        return;
      }
      let same = true;
      for (let j = 0; j < KW; j++) {
        if (keys[o + j] !== src[at + j]) {
          same = false;
          break;
        }
      }
      if (same) {
        this.counts[i] = c + n;
        return;
      }
    }
  }

  /** Forgets the flows with counts at or below the median, keeping the others with their counts. */
  private prune(): void {
    const live: number[] = [];
    for (let i = 0; i < this.slots; i++) if (this.counts[i]! > 0) live.push(this.counts[i]!);
    live.sort((a, b) => a - b);
    const median = live[live.length >> 1] ?? 0;
    const keys = this.keys;
    const counts = this.counts;
    this.keys = new Uint32Array(this.slots * KW);
    this.counts = new Float64Array(this.slots);
    const before = this.size;
    this.size = 0;
    for (let i = 0; i < counts.length; i++) {
      const c = counts[i]!;
      if (c > median) this.insert(keys, i * KW, c);
    }
    this.forgotten += before - this.size;
  }

  /** Orders two slots' keys: IPv4 before IPv6, then source, destination, protocol, port (lower first). */
  private compareKeys(a: number, b: number): number {
    const k = this.keys;
    const fa = k[a * KW + 8]!;
    const fb = k[b * KW + 8]!;
    if ((fa & V6_BIT) !== (fb & V6_BIT)) return (fa & V6_BIT) - (fb & V6_BIT);
    for (let j = 0; j < 8; j++) {
      const d = k[a * KW + j]! - k[b * KW + j]!;
      if (d) return d;
    }
    return fa - fb;
  }

  private flowAt(i: number): DroppedFlow {
    const k = this.keys;
    const o = i * KW;
    const pd = k[o + 8]!;
    const family = pd & V6_BIT ? Family.V6 : Family.V4;
    const src = new InetAddr(family, k[o]!, k[o + 1]!, k[o + 2]!, k[o + 3]!);
    const dst = new InetAddr(family, k[o + 4]!, k[o + 5]!, k[o + 6]!, k[o + 7]!);
    return { src: src.toString(), dst: dst.toString(), proto: (pd >>> 16) & 0xff, dport: pd & 0xffff, count: this.counts[i]! };
  }

  /** The `n` flows with the most drops, most first (ties: IPv4 first, then lower source, destination, protocol, port). */
  top(n: number): DroppedFlow[] {
    const c = this.counts;
    const before = (a: number, b: number): boolean => c[a]! > c[b]! || (c[a] === c[b] && this.compareKeys(a, b) < 0);
    // Insertion into a short sorted list: one pass, no sort of the whole table.
    const best: number[] = [];
    for (let i = 0; i < this.slots; i++) {
      if (c[i]! === 0) continue;
      if (best.length === n && !before(i, best[n - 1]!)) continue;
      let j = best.length < n ? best.length : n - 1;
      while (j > 0 && before(i, best[j - 1]!)) {
        best[j] = best[j - 1]!;
        j--;
      }
      best[j] = i;
    }
    return best.map((i) => this.flowAt(i));
  }
}
