/**
 * The dropped-flow table of the drop report: drops counted per flow
 * (source, destination, protocol, destination port or ICMP / ICMPv6 type),
 * of either family, in flat typed arrays: open addressing, keys as numbers,
 * no object or string per packet. IPv4 flows are keyed by three 32-bit
 * words (source, destination, protocol << 16 | port), IPv6 flows by nine
 * (the addresses' four words each, then protocol and port) in a second
 * array made at the first IPv6 flow, so an IPv4 capture costs what it did
 * before IPv6 was counted. Bounded: at `cap` flows (both families
 * together), those with counts at or below the median are forgotten, so
 * memory stays flat however many flows a capture has.
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

/** One family's keys: `kw` words per slot, and the slots' counts (0: empty). */
class Slots {
  readonly keys: Uint32Array;
  readonly counts: Float64Array;
  constructor(
    readonly kw: number,
    slots: number,
  ) {
    this.keys = new Uint32Array(slots * kw);
    this.counts = new Float64Array(slots);
  }
}

/** Slots a table starts with; it doubles as flows come (at most half full), up to twice its cap. */
const FIRST_SLOTS = 4096;

export class FlowTable {
  /** Slots per family now (a power of 2), and at most. */
  private slots: number;
  private readonly maxSlots: number;
  private v4: Slots;
  /** IPv6 flows, from the first one on. */
  private v6: Slots | null = null;
  /** Flows held, both families. */
  size = 0;
  forgotten = 0;

  constructor(private readonly cap = FLOW_TABLE_CAP) {
    this.maxSlots = 1 << Math.ceil(Math.log2(cap * 2));
    // Small at first: a few thousand flows stay in the processor's caches (a table sized for the cap is 2.5 MB).
    this.slots = Math.min(this.maxSlots, FIRST_SLOTS);
    this.v4 = new Slots(3, this.slots);
  }

  /** A flow is about to take an empty slot: doubles the tables when they are half full (and may grow). */
  private full(): boolean {
    return this.size >= this.slots >> 1 && this.slots < this.maxSlots;
  }

  /** Doubles both families' tables, every flow moved with its count. */
  private grow(): void {
    const old4 = this.v4;
    const old6 = this.v6;
    const n = this.slots;
    this.slots = n * 2;
    this.v4 = new Slots(3, this.slots);
    this.v6 = old6 ? new Slots(9, this.slots) : null;
    this.size = 0;
    this.moveFrom(old4, old6, n, 0);
  }

  /** Puts the flows of the old tables (`n` slots each) whose counts are above `above` into the tables. */
  private moveFrom(old4: Slots, old6: Slots | null, n: number, above: number): void {
    for (let i = 0; i < n; i++) {
      const c = old4.counts[i]!;
      const o = i * 3;
      if (c > above) this.put4(old4.keys[o]!, old4.keys[o + 1]!, old4.keys[o + 2]!, c);
    }
    if (old6) {
      const k = old6.keys;
      for (let i = 0; i < n; i++) {
        const c = old6.counts[i]!;
        const o = i * 9;
        if (c > above) this.put6(k[o]!, k[o + 1]!, k[o + 2]!, k[o + 3]!, k[o + 4]!, k[o + 5]!, k[o + 6]!, k[o + 7]!, k[o + 8]!, c);
      }
    }
  }

  /** Counts `n` drops of the flow `f` (its destination port, or its ICMP type, is the port). */
  add(f: Flow, n = 1): void {
    const s = f.src;
    const d = f.dst;
    const pd = (((f.proto & 0xff) << 16) | (f.dportOrType & 0xffff)) >>> 0;
    if (s.family === Family.V6) this.put6(s.w0, s.w1, s.w2, s.w3, d.w0, d.w1, d.w2, d.w3, pd, n);
    else this.put4(s.w0, d.w0, pd, n);
  }

  private put4(src: number, dst: number, pd: number, n: number): void {
    let h = Math.imul(src ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ dst ^ (h >>> 13), 0xc2b2ae35);
    h = Math.imul(h ^ pd ^ (h >>> 16), 0x27d4eb2f);
    h = (h ^ (h >>> 15)) >>> 0;
    const mask = this.slots - 1;
    const { keys, counts } = this.v4;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const c = counts[i]!;
      const o = i * 3;
      if (c === 0) {
        if (this.size >= this.cap || this.full()) {
          if (this.full()) this.grow();
          else this.prune();
          this.put4(src, dst, pd, n);
          return;
        }
        keys[o] = src;
        keys[o + 1] = dst;
        keys[o + 2] = pd;
        counts[i] = n;
        this.size++;
        return;
      }
      if (keys[o] === src && keys[o + 1] === dst && keys[o + 2] === pd) {
        counts[i] = c + n;
        return;
      }
    }
  }

  private put6(s0: number, s1: number, s2: number, s3: number, d0: number, d1: number, d2: number, d3: number, pd: number, n: number): void {
    let h = Math.imul(s3 ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 15) ^ s0 ^ s1 ^ s2, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 13) ^ d3, 0x27d4eb2f);
    h = Math.imul(h ^ (h >>> 16) ^ d0 ^ d1 ^ d2, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13) ^ pd, 0xc2b2ae35);
    h = (h ^ (h >>> 16)) >>> 0;
    const mask = this.slots - 1;
    const t = (this.v6 ??= new Slots(9, this.slots));
    const { keys, counts } = t;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const c = counts[i]!;
      const o = i * 9;
      if (c === 0) {
        if (this.size >= this.cap || this.full()) {
          if (this.full()) this.grow();
          else this.prune();
          this.put6(s0, s1, s2, s3, d0, d1, d2, d3, pd, n);
          return;
        }
        keys[o] = s0;
        keys[o + 1] = s1;
        keys[o + 2] = s2;
        keys[o + 3] = s3;
        keys[o + 4] = d0;
        keys[o + 5] = d1;
        keys[o + 6] = d2;
        keys[o + 7] = d3;
        keys[o + 8] = pd;
        counts[i] = n;
        this.size++;
        return;
      }
      if (
        keys[o + 3] === s3 &&
        keys[o + 7] === d3 &&
        keys[o + 8] === pd &&
        keys[o] === s0 &&
        keys[o + 1] === s1 &&
        keys[o + 2] === s2 &&
        keys[o + 4] === d0 &&
        keys[o + 5] === d1 &&
        keys[o + 6] === d2
      ) {
        counts[i] = c + n;
        return;
      }
    }
  }

  /** Forgets the flows (of both families) with counts at or below the median, keeping the others with their counts. */
  private prune(): void {
    const live: number[] = [];
    for (const t of [this.v4, this.v6]) if (t) for (let i = 0; i < this.slots; i++) if (t.counts[i]! > 0) live.push(t.counts[i]!);
    live.sort((a, b) => a - b);
    const median = live[live.length >> 1] ?? 0;
    const old4 = this.v4;
    const old6 = this.v6;
    this.v4 = new Slots(3, this.slots);
    this.v6 = old6 ? new Slots(9, this.slots) : null;
    const before = this.size;
    this.size = 0;
    this.moveFrom(old4, old6, this.slots, median);
    this.forgotten += before - this.size;
  }

  /** Slot `id`'s table: ids below `slots` are IPv4 slots, the others IPv6 ones (id - slots). */
  private countOf(id: number): number {
    return id < this.slots ? this.v4.counts[id]! : this.v6!.counts[id - this.slots]!;
  }

  /** Orders two flows by key: IPv4 before IPv6, then source, destination, protocol, port (lower first). */
  private compareKeys(a: number, b: number): number {
    const S = this.slots;
    if (a < S !== b < S) return a < S ? -1 : 1;
    const t = a < S ? this.v4 : this.v6!;
    const kw = t.kw;
    const oa = (a < S ? a : a - S) * kw;
    const ob = (b < S ? b : b - S) * kw;
    for (let j = 0; j < kw; j++) {
      const d = t.keys[oa + j]! - t.keys[ob + j]!;
      if (d) return d;
    }
    return 0;
  }

  private flowAt(id: number): DroppedFlow {
    const count = this.countOf(id);
    if (id < this.slots) {
      const k = this.v4.keys;
      const o = id * 3;
      const pd = k[o + 2]!;
      return { src: InetAddr.v4(k[o]!).toString(), dst: InetAddr.v4(k[o + 1]!).toString(), proto: pd >>> 16, dport: pd & 0xffff, count };
    }
    const k = this.v6!.keys;
    const o = (id - this.slots) * 9;
    const pd = k[o + 8]!;
    const src = InetAddr.v6(k[o]!, k[o + 1]!, k[o + 2]!, k[o + 3]!);
    const dst = InetAddr.v6(k[o + 4]!, k[o + 5]!, k[o + 6]!, k[o + 7]!);
    return { src: src.toString(), dst: dst.toString(), proto: pd >>> 16, dport: pd & 0xffff, count };
  }

  /** The `n` flows with the most drops, most first (ties: IPv4 first, then lower source, destination, protocol, port). */
  top(n: number): DroppedFlow[] {
    if (n <= 0) return [];
    const before = (a: number, b: number): boolean => {
      const ca = this.countOf(a);
      const cb = this.countOf(b);
      return ca > cb || (ca === cb && this.compareKeys(a, b) < 0);
    };
    // Insertion into a short sorted list: one pass, no sort of the whole table.
    const best: number[] = [];
    const ids = this.v6 ? 2 * this.slots : this.slots;
    for (let id = 0; id < ids; id++) {
      if (this.countOf(id) === 0) continue;
      if (best.length === n && !before(id, best[n - 1]!)) continue;
      let j = best.length < n ? best.length : n - 1;
      while (j > 0 && before(id, best[j - 1]!)) {
        best[j] = best[j - 1]!;
        j--;
      }
      best[j] = id;
    }
    return best.map((id) => this.flowAt(id));
  }
}
