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
 */
import type { NetDevice, PacketType, Skb } from '../../netfilter/types.js';

const FRAG_TIME_NS = 60_000_000_000n;
const HIGH_THRESH = 4 * 1024 * 1024;
/** Bytes charged per fragment beyond its data (an approximation of the kernel's skb truesize). */
const OVERHEAD = 256;

interface Part {
  off: number;
  data: Uint8Array;
}

interface Queue {
  readonly key: string;
  readonly firstNs: bigint;
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
}

export interface Whole {
  readonly packet: Uint8Array;
  readonly frames: number[];
  readonly dev: NetDevice;
  readonly mac: Uint8Array | null;
  readonly pktType: PacketType;
}

export interface AddResult {
  /** The reassembled packet, when this fragment completed it. */
  whole?: Whole;
  /** Frames dropped by this step (an overlap discards its queue's frames), with the reason. */
  dropped?: number[];
  reason: string;
}

function hex(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += b[i]!.toString(16).padStart(2, '0');
  return s;
}

export class Ipv6Defrag {
  private readonly queues = new Map<string, Queue>();
  private mem = 0;

  /** Adds the loaded fragment (`skb.ext.fragment`). */
  add(skb: Skb, dev: NetDevice, frameNo: number, nowNs: bigint): AddResult {
    const d = skb.data;
    const fh = skb.ext.fragHdr;
    const len = skb.len;
    if (fh < 0 || fh + 8 > len) return { dropped: [frameNo], reason: 'IP_INHDR (IPv6 fragment header)' };
    const key = hex(d, 8, 40) + hex(d, fh + 4, fh + 8);
    const off = ((d[fh + 2]! << 8) | d[fh + 3]!) & ~7;
    const more = (d[fh + 3]! & 1) !== 0;
    const data = d.slice(fh + 8, len);
    const end = off + data.length;
    if (end > 65535) return { dropped: [frameNo], reason: 'IP_INHDR (IPv6 fragment beyond 65535 bytes)' };
    // Every fragment but the last carries a multiple of 8 bytes.
    if (more && (data.length & 7) !== 0) return { dropped: [frameNo], reason: 'IP_INHDR (IPv6 fragment length not a multiple of 8)' };
    // inet_frag_find: above the high threshold no queue is found or made, for every fragment.
    if (this.mem > HIGH_THRESH) return { dropped: [frameNo], reason: 'FRAG_REASM (IPv6 fragment memory full)' };
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
      };
      this.queues.set(key, q);
    }
    // The end: a last fragment fixes it; nothing may go beyond it, and it may not change.
    if (!more) {
      if ((q.end >= 0 && q.end !== end) || q.parts.some((p) => p.off + p.data.length > end))
        return this.kill(q, frameNo, 'FRAG_REASM (IPv6 fragments disagree on the end)');
      q.end = end;
    } else if (q.end >= 0 && end > q.end) return this.kill(q, frameNo, 'FRAG_REASM (IPv6 fragment beyond the end)');
    // Ordered insert; an exact duplicate is ignored, any other overlap discards the queue (RFC 5722).
    let i = 0;
    while (i < q.parts.length && q.parts[i]!.off < off) i++;
    const prev = q.parts[i - 1];
    const next = q.parts[i];
    if ((next && next.off === off && next.data.length === data.length) || (prev && prev.off === off && prev.data.length === data.length)) {
      return { dropped: [frameNo], reason: 'IPv6 duplicate fragment' };
    }
    if ((prev && prev.off + prev.data.length > off) || (next && end > next.off)) return this.kill(q, frameNo, 'FRAG_REASM_OVERLAP (IPv6, RFC 5722)');
    q.parts.splice(i, 0, { off, data });
    q.frames.push(frameNo);
    q.mem += data.length + OVERHEAD;
    this.mem += data.length + OVERHEAD;
    if (off === 0) {
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
    return { packet, frames: q.frames, dev: q.dev, mac: q.mac, pktType: q.pktType };
  }

  private drop(q: Queue): void {
    this.queues.delete(q.key);
    this.mem -= q.mem;
  }

  private kill(q: Queue, frameNo: number, reason: string): AddResult {
    this.drop(q);
    return { dropped: [...q.frames, frameNo], reason };
  }

  /** Frames of queues older than ip6frag_time, which expire. */
  expire(nowNs: bigint): number[] {
    const out: number[] = [];
    for (const q of this.queues.values()) {
      if (nowNs - q.firstNs <= FRAG_TIME_NS) break;
      this.drop(q);
      out.push(...q.frames);
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
