/**
 * IPv4 reassembly as Linux 6.x does it (net/ipv4/ip_fragment.c: ip_defrag,
 * ip_frag_queue, ip_frag_reasm, ip_expire; net/ipv4/inet_fragment.c:
 * inet_frag_find, inet_frag_queue_insert), for ip_local_deliver and for
 * nf_defrag_ipv4 in front of connection tracking.
 *
 * The kernel's rules, each counted as `nstat` shows them (IpReasmReqds,
 * IpReasmOKs, IpReasmFails, IpExtReasmOverlaps, IpReasmTimeout):
 *
 * - Queues are keyed by (source, destination, ID, protocol) and the user:
 *   local delivery and conntrack (in, out) keep queues of their own
 *   (frag_v4_compare_key). Every fragment counts ReasmReqds.
 * - Memory: the queues and their fragments are charged as sizeof(struct ipq)
 *   and each fragment's skb truesize. While the total is above
 *   ipfrag_high_thresh (4 MiB), inet_frag_find finds nothing: every fragment,
 *   even one for an existing queue, is dropped and counts ReasmFails.
 *   Nothing is evicted: queues leave by completing, failing or timing out
 *   (ipfrag_low_thresh has had no effect since the evictor went in 4.17).
 * - ipfrag_max_dist (64): each source counts its fragments; when more than
 *   64 came from it since a queue's previous fragment, that queue's
 *   fragments are dropped (FRAG_TOO_FAR, ReasmFails) and it starts again,
 *   its timer re-armed, with the new fragment (ip_frag_too_far, ip_frag_reinit).
 * - End rules: a last fragment (MF clear) ending before the data already
 *   seen or, after an earlier last fragment, at another end; a non-last one
 *   (its end rounded down to 8 bytes) ending beyond a known end; a fragment
 *   empty after that rounding: the queue is dropped (ReasmFails).
 * - Overlaps (inet_frag_queue_insert, RFC 5722 discipline): fragments are
 *   kept as "runs" of adjacent fragments that came in order. A fragment
 *   lying wholly inside one run is a duplicate: it alone is dropped
 *   (DUP_FRAG, no counter) and the first data is kept. Any other overlap
 *   drops the whole queue (ReasmOverlaps and ReasmFails).
 * - Reassembly, once the first and last fragments came and the bytes held
 *   equal the length: ECN that mixes not-ECT with ECT/CE fails; a packet
 *   longer than 65,535 bytes (ping of death) fails, logging "Oversized IP
 *   packet from"; both count ReasmFails and drop every fragment. Otherwise
 *   ReasmOKs: the first fragment's header with the total length, the ECN
 *   CE mark when one fragment had it, DF when the largest fragment had DF
 *   (IPSKB_FRAG_PMTU), and frag_max_size, the largest fragment's size.
 * - Time: a queue lives ipfrag_time (30 s) from its creation, however many
 *   fragments come (ip_expire): then ReasmFails and ReasmTimeout, and when
 *   it holds the first fragment, an ICMP "fragment reassembly time exceeded"
 *   quoting it, for local delivery (conntrack's users only when the
 *   destination is local). The kernel's timer wheel may fire a little later.
 *
 * Every frame ends with one fate: given back in the packet it helped build,
 * or dropped through `drop` with why.
 *
 * Cost: a fragment touches only its own queue (one map lookup; an append at
 * the tail, or a binary search and insert among the queue's runs); expiry
 * walks queues in creation order (which is deadline order: every queue lives
 * the same time, and one that starts again moves to the end) and stops at the
 * first that is still alive.
 */
import { setIPv4Checksum } from '../../packet/checksum.js';
import { buildIcmpError, icmpErrorId } from '../../packet/reject.js';
import { PacketType, RouteType, type Skb } from '../../netfilter/types.js';

/** Who reassembles (the kernel's enum ip_defrag_users, zone 0): each keeps queues of its own. */
export const enum DefragUser {
  /** ip_local_deliver, before INPUT (IP_DEFRAG_LOCAL_DELIVER). */
  LocalDeliver = 0,
  /** nf_defrag_ipv4 on PREROUTING, before conntrack (IP_DEFRAG_CONNTRACK_IN). */
  ConntrackIn = 2,
  /** nf_defrag_ipv4 on OUTPUT, before conntrack (IP_DEFRAG_CONNTRACK_OUT). */
  ConntrackOut = 65538,
}

/** Why reassembly dropped a frame (the stack's StackReason names them). */
export type FragDrop =
  'reasmTimeout' | 'fragPending' | 'fragOverlap' | 'fragDup' | 'fragBadEnd' | 'fragEmpty' | 'fragOversize' | 'fragMemory' | 'fragTooFar' | 'fragEcn';

/** The namespace's reassembly settings (net.ipv4.ipfrag_*). */
export interface DefragLimits {
  /** ipfrag_high_thresh: above it, fragments are refused (bytes). */
  readonly highThresh: number;
  /** ipfrag_time: a queue's life from its first fragment (ns). */
  readonly timeNs: number;
  /** ipfrag_max_dist: fragments from one source between two of a queue's before it starts again (0: off). */
  readonly maxDist: number;
}

/** The kernel's defaults (ipv4_frags_init_net). */
export const DEFRAG_DEFAULTS: DefragLimits = { highThresh: 4 * 1024 * 1024, timeNs: 30_000_000_000, maxDist: 64 };

/** sizeof(struct ipq) on the reference kernel (6.18, x86-64): what a queue is charged, measured with /proc/net/sockstat. */
export const IPQ_SIZE = 200;

/**
 * The skb truesize of a received frame of `frameLen` bytes (Ethernet header
 * included), as the oracle's links give it and the kernel charges it: the
 * frame after 16 bytes of headroom, rounded to a cache line
 * (SKB_DATA_ALIGN), and skb_shared_info (320 bytes) share one allocation,
 * which is the small-head cache's 576 bytes or the next power of two; the
 * sk_buff itself adds 256. Measured on 6.18 with /proc/net/sockstat: 832
 * bytes up to a 240-byte frame, 1,280 up to 688, 2,304 up to 1,712. A
 * physical NIC's driver may allocate otherwise (the kernel's own comment
 * reckons 2,944 for a 1,500-byte frame), so this approximates the kernel on
 * the oracle's veth links.
 */
export function fragTruesize(frameLen: number): number {
  const size = ((16 + frameLen + 63) & ~63) + 320;
  const alloc = size <= 576 ? 576 : 2 ** Math.ceil(Math.log2(size));
  return alloc + 256;
}

/** Reassembly's counters (nstat's names in comments), with its current queues and memory. */
export interface DefragStats {
  /** IpReasmReqds: fragments received. */
  reasmReqds: number;
  /** IpReasmOKs: packets reassembled. */
  reasmOKs: number;
  /** IpReasmFails: failures (queues dropped, fragments refused). */
  reasmFails: number;
  /** IpExtReasmOverlaps: queues dropped for an overlap. */
  reasmOverlaps: number;
  /** IpReasmTimeout: queues that timed out. */
  reasmTimeout: number;
  /** Queues waiting (/proc/net/sockstat FRAG inuse). */
  queues: number;
  /** Bytes charged (/proc/net/sockstat FRAG memory). */
  memory: number;
}

/** A packet reassembly completed. */
export interface Reassembled {
  /** The whole packet: the first fragment's header (length, ECN, DF and checksum set) and the data. */
  readonly packet: Uint8Array;
  /** Frames of the fragments it was made of, in the order they came (the duplicates were dropped). */
  readonly frames: number[];
  /** The frame that completed it. */
  readonly last: number;
  /** The first fragment's link header, packet type, mark and trace flag (skb_morph keeps the head's). */
  readonly mac: Uint8Array | null;
  readonly pktType: PacketType;
  readonly mark: number;
  readonly priority: number;
  readonly queueMapping: number;
  readonly nftrace: boolean;
  /** IPCB(skb)->frag_max_size: the largest fragment, header included. */
  readonly maxSize: number;
}

/** Loads a reassembled packet into `skb` as the kernel hands it on: the head fragment's link header, type and mark. */
export function loadReassembled(skb: Skb, r: Reassembled): Skb {
  skb.load(r.packet);
  skb.mac = r.mac;
  skb.pktType = r.pktType;
  skb.mark = r.mark;
  skb.priority = r.priority;
  skb.queueMapping = r.queueMapping;
  skb.nftrace = r.nftrace;
  skb.generated = false;
  skb.frameNo = r.last;
  return skb;
}

export interface DefragOptions {
  /** A frame reassembly discards (or still holds when the run ends), with why. */
  drop(frameNo: number, why: FragDrop): void;
  /** ip_expire's ICMP "fragment reassembly time exceeded" (a complete IPv4 packet), and the frame of the fragment it quotes. */
  timeExceeded?(icmp: Uint8Array, frameNo: number, mark: number): void;
  /** The route type ip_route_input finds for a destination (Local, Broadcast, Unicast...). */
  routeType?(daddr: number): RouteType;
  /** The MTU of the route back to `saddr`, or 0 when there is none. */
  routeBackMtu?(saddr: number): number;
  /** Kernel log lines ("IPv4: Oversized IP packet from ..."). */
  printk?(level: number, text: string): void;
  limits?: Partial<DefragLimits>;
}

const FIRST_IN = 1;
const LAST_IN = 2;
const IP_MF = 0x2000;
const IP_DF = 0x4000;
const IP_OFFSET = 0x1fff;
const ICMP_TIME_EXCEEDED = 11;
const ICMP_EXC_FRAGTIME = 1;

interface Frag {
  readonly off: number;
  readonly data: Uint8Array;
  readonly frameNo: number;
}

/** Adjacent fragments that came in order (the kernel's "run", one rb-tree node). */
interface Run {
  readonly off: number;
  end: number;
  readonly frags: Frag[];
}

/** A source's fragment counter (inet_peer->rid), shared by its queues. */
interface Peer {
  rid: number;
  refs: number;
}

interface Queue {
  readonly key: string;
  readonly user: DefragUser;
  readonly saddr: number;
  readonly daddr: number;
  readonly peer: Peer | null;
  deadlineNs: number;
  flags: number;
  /** Total length of the data, as far as known (qp->q.len). */
  len: number;
  /** Bytes held (qp->q.meat). */
  meat: number;
  /** Truesize of the fragments held. */
  mem: number;
  /** Runs, by offset; disjoint. */
  readonly runs: Run[];
  /** Frames held, in the order they came. */
  frames: number[];
  /** The OR of 1 << ECN of each fragment held. */
  ecn: number;
  maxSize: number;
  maxDfSize: number;
  /** The peer's counter at this queue's last fragment. */
  rid: number;
  /** The first fragment's header, link header, type, mark and trace flag. */
  header: Uint8Array | null;
  mac: Uint8Array | null;
  pktType: PacketType;
  mark: number;
  priority: number;
  queueMapping: number;
  nftrace: boolean;
}

/** The ECN of a reassembled packet from the fragments' (ip_frag_ecn_table): -1 drops it, else bits ORed into the TOS. */
function reasmEcn(mask: number): number {
  // 1 << ECN: 1 not-ECT, 2 ECT(1), 4 ECT(0), 8 CE.
  if (mask & 1) return mask === 1 ? 0 : -1;
  return mask & 8 && mask & 6 ? 3 : 0;
}

function dotted(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** The reassembly queues of one network namespace (its fqdir), with the kernel's rules and bounds. */
export class Ipv4Defrag {
  readonly limits: DefragLimits;
  private readonly queues = new Map<string, Queue>();
  private readonly peers = new Map<number, Peer>();
  private mem = 0;
  private readonly counters = { reasmReqds: 0, reasmOKs: 0, reasmFails: 0, reasmOverlaps: 0, reasmTimeout: 0 };
  /** net_ratelimit() for the oversize message: 10 per 5 s. */
  private logWindowNs = -Infinity;
  private logCount = 0;

  constructor(private readonly opts: DefragOptions) {
    this.limits = { ...DEFRAG_DEFAULTS, ...opts.limits };
  }

  /** The counters, queues waiting and bytes charged. */
  stats(): DefragStats {
    return { ...this.counters, queues: this.queues.size, memory: this.mem };
  }

  /**
   * ip_defrag: adds the fragment loaded in `skb` (a view the caller may
   * reuse: what is kept is copied) for `user`. Returns the
   * reassembled packet when this fragment completed one; otherwise null,
   * and the fragment is held or has been dropped through `drop` (with any
   * queue it brought down).
   */
  add(skb: Skb, user: DefragUser, frameNo: number, nowNs: number): Reassembled | null {
    const c = this.counters;
    c.reasmReqds++;
    // inet_frag_find: above the high threshold nothing is found or made.
    if (this.mem > this.limits.highThresh) {
      c.reasmFails++;
      this.opts.drop(frameNo, 'fragMemory');
      return null;
    }
    const d = skb.data;
    const saddr = skb.saddr;
    const key = `${user} ${saddr} ${skb.daddr} ${(d[4]! << 8) | d[5]!} ${d[9]!}`;
    let q = this.queues.get(key);
    if (!q) q = this.create(key, user, saddr, skb.daddr, nowNs);
    // ip_frag_too_far: more than max_dist fragments from this source since this queue's last.
    if (q.peer) {
      const start = q.rid;
      const end = ++q.peer.rid;
      q.rid = end;
      if (q.runs.length && end - start > this.limits.maxDist) {
        c.reasmFails++;
        this.reinit(q, nowNs);
      }
    }
    const ihl = skb.thoff;
    const fo = (d[6]! << 8) | d[7]!;
    const offset = (fo & IP_OFFSET) << 3;
    let end = offset + skb.totLen - ihl;
    if (!(fo & IP_MF)) {
      // A last fragment: nothing may lie beyond it, and there is one end.
      if (end < q.len || (q.flags & LAST_IN && end !== q.len)) return this.discard(q, frameNo, 'fragBadEnd');
      q.flags |= LAST_IN;
      q.len = end;
    } else {
      end &= ~7;
      if (end > q.len) {
        if (q.flags & LAST_IN) return this.discard(q, frameNo, 'fragBadEnd');
        q.len = end;
      }
    }
    if (end === offset) return this.discard(q, frameNo, 'fragEmpty');
    const verdict = this.insert(q, offset, end, frameNo, d);
    if (verdict === 'dup') {
      this.opts.drop(frameNo, 'fragDup');
      return null;
    }
    if (verdict === 'overlap') {
      c.reasmOverlaps++;
      return this.discard(q, frameNo, 'fragOverlap');
    }
    q.frames.push(frameNo);
    q.meat += end - offset;
    q.ecn |= 1 << (d[1]! & 3);
    const truesize = fragTruesize((skb.mac?.length ?? 14) + skb.totLen);
    q.mem += truesize;
    this.mem += truesize;
    if (offset === 0) {
      q.flags |= FIRST_IN;
      q.header = d.slice(0, ihl);
      q.mac = skb.mac?.slice() ?? null;
      q.pktType = skb.pktType;
      q.mark = skb.mark;
      q.priority = skb.priority;
      q.queueMapping = skb.queueMapping;
      q.nftrace = skb.nftrace;
    }
    const fragsize = end - offset + ihl;
    if (fragsize > q.maxSize) q.maxSize = fragsize;
    if (fo & IP_DF && fragsize > q.maxDfSize) q.maxDfSize = fragsize;
    if (q.flags === (FIRST_IN | LAST_IN) && q.meat === q.len) return this.reasm(q, frameNo, nowNs);
    return null;
  }

  /**
   * Times out the queues whose ipfrag_time has passed at `nowNs` (ip_expire).
   * True when any did (an ICMP error may be waiting to be sent).
   */
  expire(nowNs: number): boolean {
    if (this.queues.size === 0) return false;
    let any = false;
    for (const q of this.queues.values()) {
      if (q.deadlineNs > nowNs) break;
      any = true;
      this.unlink(q);
      this.counters.reasmFails++;
      this.counters.reasmTimeout++;
      for (const f of q.frames) this.opts.drop(f, 'reasmTimeout');
      this.timeExceeded(q);
    }
    return any;
  }

  /** Ends the run: every fragment still waiting is dropped (nothing is counted: the kernel has not timed them out yet). */
  flush(): void {
    for (const q of this.queues.values()) {
      this.unlink(q);
      for (const f of q.frames) this.opts.drop(f, 'fragPending');
    }
  }

  private create(key: string, user: DefragUser, saddr: number, daddr: number, nowNs: number): Queue {
    let peer: Peer | null = null;
    if (this.limits.maxDist > 0) {
      peer = this.peers.get(saddr) ?? null;
      if (!peer) this.peers.set(saddr, (peer = { rid: 0, refs: 0 }));
      peer.refs++;
    }
    const q: Queue = {
      key,
      user,
      saddr,
      daddr,
      peer,
      deadlineNs: nowNs + this.limits.timeNs,
      flags: 0,
      len: 0,
      meat: 0,
      mem: 0,
      runs: [],
      frames: [],
      ecn: 0,
      maxSize: 0,
      maxDfSize: 0,
      rid: 0,
      header: null,
      mac: null,
      pktType: PacketType.Host,
      mark: 0,
      priority: 0,
      queueMapping: 0,
      nftrace: false,
    };
    this.queues.set(key, q);
    this.mem += IPQ_SIZE;
    return q;
  }

  /** Takes a queue out (inet_frag_kill and its destruction): its memory is released, its peer let go. */
  private unlink(q: Queue): void {
    this.queues.delete(q.key);
    this.mem -= IPQ_SIZE + q.mem;
    q.mem = 0;
    if (q.peer && --q.peer.refs === 0) this.peers.delete(q.saddr);
  }

  /** ip_frag_reinit: the queue's fragments go, it starts again with its timer re-armed (and so moves to the end of the expiry order). */
  private reinit(q: Queue, nowNs: number): void {
    for (const f of q.frames) this.opts.drop(f, 'fragTooFar');
    this.mem -= q.mem;
    q.mem = 0;
    q.frames = [];
    q.runs.length = 0;
    q.flags = 0;
    q.len = 0;
    q.meat = 0;
    q.ecn = 0;
    q.header = null;
    q.deadlineNs = nowNs + this.limits.timeNs;
    this.queues.delete(q.key);
    this.queues.set(q.key, q);
  }

  /** discard_qp: the queue is dropped with every fragment it held, and this one (ReasmFails). */
  private discard(q: Queue, frameNo: number, why: FragDrop): null {
    this.unlink(q);
    this.counters.reasmFails++;
    for (const f of q.frames) this.opts.drop(f, why);
    this.opts.drop(frameNo, why);
    return null;
  }

  /** inet_frag_queue_insert: [offset, end) among the queue's runs. */
  private insert(q: Queue, offset: number, end: number, frameNo: number, d: Uint8Array): 'ok' | 'dup' | 'overlap' {
    const runs = q.runs;
    const ihl = (d[0]! & 0x0f) * 4;
    const frag: Frag = { off: offset, data: d.slice(ihl, ihl + end - offset), frameNo };
    const last = runs[runs.length - 1];
    if (!last) {
      runs.push({ off: offset, end, frags: [frag] });
      return 'ok';
    }
    if (last.end < end) {
      // The common case: at or beyond the tail.
      if (offset < last.end) return 'overlap';
      if (offset === last.end) {
        last.frags.push(frag);
        last.end = end;
      } else runs.push({ off: offset, end, frags: [frag] });
      return 'ok';
    }
    // Binary search among the runs (disjoint, by offset): the first whose end is beyond `offset`.
    let lo = 0;
    let hi = runs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (runs[mid]!.end <= offset) lo = mid + 1;
      else hi = mid;
    }
    const at = runs[lo];
    if (at && at.off < end) {
      // It meets this run: inside it, a duplicate; else (this run or the next too) an overlap.
      return offset >= at.off && end <= at.end ? 'dup' : 'overlap';
    }
    runs.splice(lo, 0, { off: offset, end, frags: [frag] });
    return 'ok';
  }

  /** ip_frag_reasm: the whole packet, or null when it fails (ECN, too long). */
  private reasm(q: Queue, frameNo: number, nowNs: number): Reassembled | null {
    this.unlink(q);
    const c = this.counters;
    const ecn = reasmEcn(q.ecn);
    if (ecn < 0) {
      c.reasmFails++;
      for (const f of q.frames) this.opts.drop(f, 'fragEcn');
      return null;
    }
    const header = q.header!;
    const ihl = header.length;
    const tot = ihl + q.len;
    if (tot > 65535) {
      this.logOversize(q.saddr, nowNs);
      c.reasmFails++;
      for (const f of q.frames) this.opts.drop(f, 'fragOversize');
      return null;
    }
    const whole = new Uint8Array(tot);
    whole.set(header, 0);
    for (const r of q.runs) for (const f of r.frags) whole.set(f.data, ihl + f.off);
    whole[1] = whole[1]! | ecn;
    whole[2] = tot >> 8;
    whole[3] = tot & 255;
    // DF only when the largest fragment had it (IPSKB_FRAG_PMTU).
    whole[6] = q.maxDfSize === q.maxSize ? IP_DF >> 8 : 0;
    whole[7] = 0;
    setIPv4Checksum(whole);
    c.reasmOKs++;
    return {
      packet: whole,
      frames: q.frames,
      last: frameNo,
      mac: q.mac,
      pktType: q.pktType,
      mark: q.mark,
      priority: q.priority,
      queueMapping: q.queueMapping,
      nftrace: q.nftrace,
      maxSize: Math.max(q.maxSize, q.maxDfSize),
    };
  }

  /**
   * ip_expire's ICMP: only with the first fragment; nothing when routing the
   * head again fails (a martian source); for conntrack's users only when the
   * destination is local (frag_expire_skip_icmp); then icmp_send's own rules
   * (link-layer unicast, no broadcast or multicast route, a route back).
   * The source is the original destination (RTCF_LOCAL).
   */
  private timeExceeded(q: Queue): void {
    const o = this.opts;
    if (!(q.flags & FIRST_IN) || !o.timeExceeded || !o.routeType || !o.routeBackMtu) return;
    // Output's own fragments are not answered here (their head never routes as input).
    if (q.user === DefragUser.ConntrackOut) return;
    const s = q.saddr;
    if (s === 0 || s >>> 28 === 0xe || s === 0xffffffff || s >>> 24 === 127) return;
    const rt = o.routeType(q.daddr);
    if (rt !== RouteType.Local) return;
    if (q.pktType !== PacketType.Host) return;
    const mtu = o.routeBackMtu(s);
    if (!mtu) return;
    // The head as the kernel holds it: its header and its data (rounded down to 8 bytes when MF).
    // buildIcmpError sizes the quote by the header's total length, so a first fragment whose
    // data was rounded quotes up to 7 zero bytes more than the kernel would.
    const head = q.runs[0]!.frags[0]!;
    const header = q.header!;
    const orig = new Uint8Array(header.length + head.data.length);
    orig.set(header, 0);
    orig.set(head.data, header.length);
    const icmp = buildIcmpError(orig, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, q.daddr, { id: icmpErrorId(orig), mtu, verifyChecksum: false });
    if (icmp) o.timeExceeded(icmp, head.frameNo, q.mark);
  }

  /** "IPv4: Oversized IP packet from A.B.C.D", at most 10 in 5 s (net_info_ratelimited). */
  private logOversize(saddr: number, nowNs: number): void {
    if (!this.opts.printk) return;
    if (nowNs - this.logWindowNs >= 5_000_000_000) {
      this.logWindowNs = nowNs;
      this.logCount = 0;
    }
    if (this.logCount++ < 10) this.opts.printk(6, `IPv4: Oversized IP packet from ${dotted(saddr)}`);
  }
}
