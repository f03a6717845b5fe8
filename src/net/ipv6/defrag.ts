/**
 * nf_defrag_ipv6 (net/ipv6/netfilter/nf_conntrack_reasm.c): with
 * connection tracking, IPv6 fragments are reassembled before PREROUTING's
 * tables see them. Queues are keyed by (source, destination, fragment id);
 * as RFC 5722 asks and the kernel does, a fragment that overlaps another
 * discards the whole queue (an exact duplicate is only ignored); a queue
 * waits at most 60 s (ip6frag_time) and the queues together hold at most
 * 4 MiB (ip6frag_high_thresh: once the memory is above it, every fragment
 * is dropped, of a queue held or a new one, as inet_frag_find refuses it).
 *
 * Each fragment touches only its own queue (a map lookup, an ordered insert
 * among that queue's parts); expiry walks the queues in arrival order and
 * stops at the first that is still young.
 *
 * The same queues serve the stack's own reassembly of what is delivered to
 * the firewall (net/ipv6/reassembly.c, ipv6_frag_rcv, after INPUT), with
 * the differences between the two:
 * - nf_defrag_ipv6 lets a first fragment that does not hold every header
 *   up to the upper-layer header's first bytes (RFC 8200 4.5,
 *   ipv6frag_thdr_truncated) and a fragment that is not the last and not a
 *   multiple of 8 bytes (its queue is killed) pass on as they are, and
 *   counts nothing but timeouts; when a queue that holds its first
 *   fragment times out, the kernel sends ICMPv6 "fragment reassembly time
 *   exceeded" about that fragment (ip6frag_expire_frag_queue).
 * - ipv6_frag_rcv counts Ip6ReasmReqds for every fragment (an atomic one,
 *   offset 0 and no more fragments, is at once Ip6ReasmOKs), drops the two
 *   fragments above (with an ICMPv6 parameter problem), the latter after
 *   its queue was made (the queue stays, empty, and times out), and counts
 *   Ip6ReasmOKs and Ip6ReasmFails.
 * A fragment inside one already held is a duplicate (dropped alone); any
 * other overlap drops the queue.
 */
import type { NetDevice, PacketType, Skb } from '../../netfilter/types.js';

const FRAG_TIME_NS = 60_000_000_000;
const HIGH_THRESH = 4 * 1024 * 1024;
/** Bytes charged per fragment beyond its data (an approximation of the kernel's skb truesize). */
const OVERHEAD = 256;

interface Part {
  off: number;
  data: Uint8Array;
}

/** The kernel's reassembly counters (Ip6ReasmReqds, Ip6ReasmOKs, Ip6ReasmFails, Ip6ReasmTimeout). */
export interface Ipv6ReasmStats {
  reasmReqds: number;
  reasmOKs: number;
  reasmFails: number;
  reasmTimeout: number;
}

/** Who reassembles: nf_defrag_ipv6 before conntrack, or the stack for local delivery. */
export type Ipv6DefragUser = 'conntrack' | 'local';

/** A queue that timed out: its frames, and its first fragment as received when it had one. */
export interface Expired {
  readonly frames: number[];
  readonly head: Uint8Array | null;
  readonly dev: NetDevice;
  readonly pktType: PacketType;
}

interface Queue {
  readonly key: string;
  readonly firstNs: number;
  readonly frames: number[];
  readonly parts: Part[];
  /** The first fragment's headers up to the fragment header, and the fragment header's offset in them. */
  unfrag: Uint8Array | null;
  fragHdrAt: number;
  nexthdr: number;
  /** End of the packet's fragmentable part, once the last fragment came (-1 before). */
  end: number;
  mem: number;
  dev: NetDevice;
  mac: Uint8Array | null;
  pktType: PacketType;
  /** The first fragment as it came (what an ICMPv6 time exceeded quotes). */
  head: Uint8Array | null;
  maxSize: number;
  id: number;
}

export interface Whole {
  readonly packet: Uint8Array;
  /** Where the fragmentable part begins (the unfragmentable headers' end). */
  readonly unfragLen: number;
  /** The fragments' data, in order of offset: where each began and how long it was. */
  readonly parts: ReadonlyArray<{ readonly off: number; readonly len: number }>;
  /** The largest fragment, as a whole packet (IP6CB(skb)->frag_max_size), and the fragment id. */
  readonly maxSize: number;
  readonly id: number;
  readonly frames: number[];
  readonly dev: NetDevice;
  readonly mac: Uint8Array | null;
  readonly pktType: PacketType;
}

export interface AddResult {
  /** The reassembled packet, when this fragment completed it. */
  whole?: Whole;
  /** nf_defrag_ipv6 lets the fragment go on as it is. */
  pass?: boolean;
  /** Frames dropped by this step (an overlap discards its queue's frames), with the reason. */
  dropped?: number[];
  reason: string;
}

function hex(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += b[i]!.toString(16).padStart(2, '0');
  return s;
}

/**
 * ipv6frag_thdr_truncated: a first fragment whose headers, walked from the
 * fragment header at `fh`, do not reach the upper-layer header's first
 * bytes (8 for UDP and ICMPv6, 20 for TCP, 1 for anything else). A chain
 * that cannot be walked is not truncated (ipv6_skip_exthdr fails).
 */
export function thdrTruncated(d: Uint8Array, len: number, fh: number): boolean {
  let nexthdr = 44;
  let at = fh;
  for (let guard = 0; guard < 64; guard++) {
    if (nexthdr !== 0 && nexthdr !== 43 && nexthdr !== 44 && nexthdr !== 51 && nexthdr !== 60) break;
    if (at + 2 > len) return false;
    let hl: number;
    if (nexthdr === 44) {
      if (at + 8 > len) return false;
      if (((d[at + 2]! << 8) | d[at + 3]!) & ~7) return false;
      hl = 8;
    } else if (nexthdr === 51) hl = (d[at + 1]! + 2) << 2;
    else hl = (d[at + 1]! + 1) << 3;
    nexthdr = d[at]!;
    at += hl;
  }
  const need = nexthdr === 6 ? 20 : nexthdr === 17 || nexthdr === 58 ? 8 : 1;
  return at + need > len;
}

const NONE_EXPIRED: readonly Expired[] = Object.freeze([]);

export class Ipv6Defrag {
  private readonly queues = new Map<string, Queue>();
  private mem = 0;
  readonly stats: Ipv6ReasmStats;

  constructor(
    readonly user: Ipv6DefragUser = 'conntrack',
    stats?: Ipv6ReasmStats,
  ) {
    this.stats = stats ?? { reasmReqds: 0, reasmOKs: 0, reasmFails: 0, reasmTimeout: 0 };
  }

  /** Adds the loaded fragment (`skb.ext.fragment`). */
  add(skb: Skb, dev: NetDevice, frameNo: number, nowNs: number): AddResult {
    const d = skb.data;
    const fh = skb.ext.fragHdr;
    const len = skb.len;
    const local = this.user === 'local';
    const st = this.stats;
    if (local) st.reasmReqds++;
    if (fh < 0 || fh + 8 > len) return { dropped: [frameNo], reason: 'IP_INHDR (IPv6 fragment header)' };
    const key = hex(d, 8, 40) + hex(d, fh + 4, fh + 8);
    const off = ((d[fh + 2]! << 8) | d[fh + 3]!) & ~7;
    const more = (d[fh + 3]! & 1) !== 0;
    // ipv6_frag_rcv: an atomic fragment is no fragment at all.
    if (local && off === 0 && !more) {
      st.reasmOKs++;
      return { reason: '' };
    }
    // RFC 8200 4.5: a first fragment without every header.
    if (off === 0 && thdrTruncated(d, len, fh)) {
      if (local) return { dropped: [frameNo], reason: 'IP_INHDR (IPv6 first fragment without every header, parameter problem)' };
      return { pass: true, reason: '' };
    }
    const data = d.slice(fh + 8, len);
    const end = off + data.length;
    if (end > 65535) return { dropped: [frameNo], reason: 'IP_INHDR (IPv6 fragment beyond 65535 bytes)' };
    // inet_frag_find: above the high threshold no queue is found or made, for every fragment.
    if (this.mem > HIGH_THRESH) {
      if (local) st.reasmFails++;
      return { dropped: [frameNo], reason: 'FRAG_REASM (IPv6 fragment memory full)' };
    }
    let q = this.queues.get(key);
    if (!q) {
      q = {
        key,
        firstNs: nowNs,
        frames: [],
        parts: [],
        unfrag: null,
        fragHdrAt: 0,
        nexthdr: 0,
        end: -1,
        mem: 0,
        dev,
        mac: skb.mac?.slice() ?? null,
        pktType: skb.pktType,
        head: null,
        maxSize: 0,
        id: ((d[fh + 4]! << 24) | (d[fh + 5]! << 16) | (d[fh + 6]! << 8) | d[fh + 7]!) >>> 0,
      };
      this.queues.set(key, q);
    }
    // Every fragment but the last carries a multiple of 8 bytes: nf_defrag_ipv6 kills the queue and
    // lets the fragment pass; the stack drops it (parameter problem) and leaves its queue as it was.
    if (more && (end & 7) !== 0) {
      if (local) return { dropped: [frameNo], reason: 'IP_INHDR (IPv6 fragment length not a multiple of 8, parameter problem)' };
      this.drop(q);
      const r: AddResult = { pass: true, reason: 'FRAG_REASM (IPv6 queue killed by a fragment not a multiple of 8)' };
      if (q.frames.length) r.dropped = [...q.frames];
      return r;
    }
    // The end: a last fragment fixes it; nothing may go beyond it, and it may not change.
    if (!more) {
      if ((q.end >= 0 && q.end !== end) || q.parts.some((p) => p.off + p.data.length > end))
        return this.kill(q, frameNo, 'FRAG_REASM (IPv6 fragments disagree on the end)');
      q.end = end;
    } else if (q.end >= 0 && end > q.end) return this.kill(q, frameNo, 'FRAG_REASM (IPv6 fragment beyond the end)');
    // Ordered insert; a fragment inside one held is ignored, any other overlap discards the queue (RFC 5722).
    let i = 0;
    while (i < q.parts.length && q.parts[i]!.off < off) i++;
    const prev = q.parts[i - 1];
    const next = q.parts[i];
    const inside = (p: Part | undefined): boolean => p !== undefined && p.off <= off && end <= p.off + p.data.length;
    if (inside(next) || inside(prev)) {
      return { dropped: [frameNo], reason: 'IPv6 duplicate fragment' };
    }
    if ((prev && prev.off + prev.data.length > off) || (next && end > next.off)) return this.kill(q, frameNo, 'FRAG_REASM_OVERLAP (IPv6, RFC 5722)');
    q.parts.splice(i, 0, { off, data });
    q.frames.push(frameNo);
    if (len > q.maxSize) q.maxSize = len;
    q.mem += data.length + OVERHEAD;
    this.mem += data.length + OVERHEAD;
    if (off === 0) {
      q.head = d.slice(0, len);
      q.unfrag = d.slice(0, fh);
      q.fragHdrAt = fh;
      q.nexthdr = d[fh]!;
      q.dev = dev;
      q.mac = skb.mac?.slice() ?? null;
      q.pktType = skb.pktType;
    }
    if (q.end < 0 || !q.unfrag) return { reason: '' };
    let covered = 0;
    for (const p of q.parts) {
      if (p.off !== covered) return { reason: '' };
      covered += p.data.length;
    }
    if (covered !== q.end) return { reason: '' };
    this.drop(q);
    if (local) st.reasmOKs++;
    return { whole: this.build(q), reason: '' };
  }

  private build(q: Queue): Whole {
    const u = q.unfrag!;
    const packet = new Uint8Array(u.length + q.end);
    packet.set(u, 0);
    for (const p of q.parts) packet.set(p.data, u.length + p.off);
    // The header before the fragment header now names what the fragment header named.
    if (q.fragHdrAt === 40) packet[6] = q.nexthdr;
    else {
      // Walk the unfragmentable headers to the one whose next header was the fragment header.
      let at = 40;
      let nh = packet[6]!;
      while (at < q.fragHdrAt) {
        const hl = nh === 51 ? (packet[at + 1]! + 2) << 2 : (packet[at + 1]! + 1) << 3;
        if (at + hl >= q.fragHdrAt) break;
        nh = packet[at]!;
        at += hl;
      }
      packet[at] = q.nexthdr;
    }
    const plen = packet.length - 40;
    packet[4] = plen >> 8;
    packet[5] = plen & 0xff;
    return {
      packet,
      unfragLen: u.length,
      parts: q.parts.map((p) => ({ off: p.off, len: p.data.length })),
      maxSize: q.maxSize,
      id: q.id,
      frames: q.frames,
      dev: q.dev,
      mac: q.mac,
      pktType: q.pktType,
    };
  }

  private drop(q: Queue): void {
    this.queues.delete(q.key);
    this.mem -= q.mem;
  }

  private kill(q: Queue, frameNo: number, reason: string): AddResult {
    this.drop(q);
    if (this.user === 'local') this.stats.reasmFails++;
    return { dropped: [...q.frames, frameNo], reason };
  }

  /** Queues older than ip6frag_time, which expire (each counted in Ip6ReasmTimeout and Ip6ReasmFails). */
  expire(nowNs: number): readonly Expired[] {
    // Called for every frame: with nothing queued, no array and no iterator.
    if (this.queues.size === 0) return NONE_EXPIRED;
    const out: Expired[] = [];
    for (const q of this.queues.values()) {
      if (nowNs - q.firstNs <= FRAG_TIME_NS) break;
      this.drop(q);
      this.stats.reasmTimeout++;
      this.stats.reasmFails++;
      out.push({ frames: q.frames, head: q.head, dev: q.dev, pktType: q.pktType });
    }
    return out;
  }

  /** Frames of every queue still waiting (at the end of a run). */
  flush(): number[] {
    const out: number[] = [];
    for (const q of this.queues.values()) out.push(...q.frames);
    this.queues.clear();
    this.mem = 0;
    return out;
  }
}

/**
 * ip6_fragment for a packet nf_defrag_ipv6 reassembled that leaves larger
 * than its largest fragment or the MTU: cut again after its unfragmentable
 * headers (`whole.unfragLen`), each piece with a fragment header naming
 * what followed them. When every original piece fits (its data at most
 * `mtu` less the headers and a multiple of 8 but for the last), the pieces
 * are the original ones (the fast path over the reassembled frag_list);
 * else cut in pieces of that size rounded down to 8 (the slow path). `ip`
 * is the packet as it leaves (hop limit already lowered).
 */
export function refragment(ip: Uint8Array, whole: Pick<Whole, 'unfragLen' | 'parts' | 'id'>, mtu: number): Uint8Array[] | null {
  const hlen = whole.unfragLen;
  const room = mtu - hlen - 8;
  if (room < 8) return null;
  const total = ip.length - hlen;
  let pieces: Array<{ off: number; len: number }> = [...whole.parts];
  const fits = pieces.every((p, i) => p.len <= room && (i === pieces.length - 1 || (p.len & 7) === 0));
  const contiguous =
    pieces.every((p, i) => p.off === (i === 0 ? 0 : pieces[i - 1]!.off + pieces[i - 1]!.len)) && total === pieces.reduce((n, p) => n + p.len, 0);
  if (!fits || !contiguous) {
    pieces = [];
    for (let off = 0; off < total;) {
      const left = total - off;
      const len = left > room ? room & ~7 : left;
      pieces.push({ off, len });
      off += len;
    }
  }
  // The header whose next-header field names what follows the unfragmentable part.
  let nhAt = 6;
  for (let at = 40, nh = ip[6]!; at < hlen;) {
    nhAt = at;
    const hl = nh === 51 ? (ip[at + 1]! + 2) << 2 : (ip[at + 1]! + 1) << 3;
    nh = ip[at]!;
    at += hl;
  }
  const nexthdr = ip[nhAt]!;
  return pieces.map((p, i) => {
    const out = new Uint8Array(hlen + 8 + p.len);
    out.set(ip.subarray(0, hlen), 0);
    out[nhAt] = 44;
    const plen = out.length - 40;
    out[4] = plen >> 8;
    out[5] = plen & 255;
    out[hlen] = nexthdr;
    const fo = p.off | (i < pieces.length - 1 ? 1 : 0);
    out[hlen + 2] = fo >> 8;
    out[hlen + 3] = fo & 255;
    out[hlen + 4] = (whole.id >>> 24) & 255;
    out[hlen + 5] = (whole.id >>> 16) & 255;
    out[hlen + 6] = (whole.id >>> 8) & 255;
    out[hlen + 7] = whole.id & 255;
    out.set(ip.subarray(hlen + p.off, hlen + p.off + p.len), hlen + 8);
    return out;
  });
}
