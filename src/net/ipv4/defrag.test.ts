import { describe, expect, it } from 'vitest';
import { ipv4, raw, udp } from '../../packet/build.js';
import { parseIPv4 } from '../../packet/addr.js';
import { inetChecksum } from '../../packet/checksum.js';
import { PacketType, RouteType, Skb } from '../../netfilter/types.js';
import { DefragUser, fragTruesize, IPQ_SIZE, Ipv4Defrag, type DefragLimits, type FragDrop, type Reassembled } from './defrag.js';

const SRC = '203.0.113.9';
const FW = '198.51.100.1';
const FW_N = parseIPv4(FW)!;
const SEC = 1_000_000_000;

interface FragFields {
  id?: number;
  mf?: boolean;
  src?: string;
  dst?: string;
  tos?: number;
  df?: boolean;
  proto?: number;
}

/** An IPv4 fragment: `data` at byte offset `off` (a multiple of 8) of the datagram's data. */
function frag(off: number, data: Uint8Array, f: FragFields = {}): Uint8Array {
  if (off === 0 && !f.mf) throw new Error('not a fragment');
  const ip = ipv4(
    { src: f.src ?? SRC, dst: f.dst ?? FW, id: f.id ?? 1, fragoff: off / 8, mf: f.mf ?? false, df: false, tos: f.tos ?? 0, proto: f.proto ?? 17 },
    raw(f.proto ?? 17, data),
  );
  if (f.df) {
    ip[6] = ip[6]! | 0x40;
    ip[10] = 0;
    ip[11] = 0;
    const c = inetChecksum(ip, 0, 20);
    ip[10] = c >> 8;
    ip[11] = c & 255;
  }
  return ip;
}

/** `n` bytes counting up from `start`. */
function bytes(n: number, start = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (start + i) & 255);
}

function harness(limits?: Partial<DefragLimits>) {
  const drops: Array<[number, FragDrop]> = [];
  const icmps: Array<{ ip: Uint8Array; frameNo: number }> = [];
  const logs: string[] = [];
  const d = new Ipv4Defrag({
    drop: (f, why) => drops.push([f, why]),
    timeExceeded: (ip, frameNo) => icmps.push({ ip, frameNo }),
    routeType: (a) => (a === FW_N ? RouteType.Local : a >>> 24 === 0xff ? RouteType.Broadcast : RouteType.Unicast),
    routeBackMtu: () => 1500,
    printk: (_l, t) => logs.push(t),
    ...(limits ? { limits } : {}),
  });
  const skb = new Skb();
  let frameNo = 0;
  const add = (ip: Uint8Array, o: { user?: DefragUser; at?: number; pktType?: PacketType; mark?: number } = {}): Reassembled | null => {
    skb.load(ip);
    skb.mac = null;
    skb.pktType = o.pktType ?? PacketType.Host;
    skb.mark = o.mark ?? 0;
    skb.nftrace = false;
    return d.add(skb, o.user ?? DefragUser.LocalDeliver, ++frameNo, o.at ?? 0);
  };
  return { d, drops, icmps, logs, add };
}

/** A UDP datagram's transport bytes (header and payload), checksum left to the whole packet's header. */
function udpBytes(dport: number, payload: Uint8Array): Uint8Array {
  return udp({ sport: 4000, dport, payload }).bytes;
}

describe('IPv4 reassembly (ip_defrag)', () => {
  it('reassembles in or out of order: the first fragment header, the total length, no MF or offset, a valid checksum', () => {
    const data = bytes(40);
    for (const order of [
      [0, 1, 2],
      [2, 1, 0],
      [1, 2, 0],
      [2, 0, 1],
    ]) {
      const h = harness();
      const parts = [frag(0, data.subarray(0, 16), { mf: true, tos: 0x10 }), frag(16, data.subarray(16, 32), { mf: true }), frag(32, data.subarray(32))];
      let r: Reassembled | null = null;
      for (const i of order) r = h.add(parts[i]!) ?? r;
      expect(r).not.toBeNull();
      const p = r!.packet;
      expect(p.length).toBe(60);
      expect([p[2], p[3], p[6], p[7], p[1]]).toEqual([0, 60, 0, 0, 0x10]);
      expect(inetChecksum(p, 0, 20)).toBe(0);
      expect(p.subarray(20)).toEqual(data);
      expect(r!.frames).toEqual([1, 2, 3]);
      expect(r!.last).toBe(3);
      expect(r!.maxSize).toBe(36);
      expect(h.drops).toEqual([]);
      expect(h.d.stats()).toEqual({ reasmReqds: 3, reasmOKs: 1, reasmFails: 0, reasmOverlaps: 0, reasmTimeout: 0, queues: 0, memory: 0 });
    }
  });

  it('ignores an exact duplicate (DUP_FRAG): the frame is dropped, the queue kept, nothing counted', () => {
    const h = harness();
    expect(h.add(frag(0, bytes(16), { mf: true }))).toBeNull();
    expect(h.add(frag(0, bytes(16, 100), { mf: true }))).toBeNull();
    const r = h.add(frag(16, bytes(8, 16)));
    expect(h.drops).toEqual([[2, 'fragDup']]);
    expect(r!.frames).toEqual([1, 3]);
    expect(r!.packet.subarray(20)).toEqual(bytes(24));
    expect(h.d.stats()).toMatchObject({ reasmReqds: 3, reasmOKs: 1, reasmFails: 0, reasmOverlaps: 0 });
  });

  it('keeps the first data when a later fragment lies inside an earlier one (the UDP port cannot be rewritten)', () => {
    const h = harness();
    const first = udpBytes(53, bytes(16));
    h.add(frag(0, first, { mf: true }));
    // The same 8 bytes of UDP header, with another destination port: contained in the first, a duplicate.
    h.add(frag(0, udpBytes(54, new Uint8Array(0)), { mf: true }));
    const r = h.add(frag(24, bytes(8)));
    expect(h.drops).toEqual([[2, 'fragDup']]);
    expect((r!.packet[22]! << 8) | r!.packet[23]!).toBe(53);
  });

  it('drops the whole queue when a later fragment holds an earlier one and more (ReasmOverlaps)', () => {
    const h = harness();
    h.add(frag(0, udpBytes(53, new Uint8Array(0)), { mf: true }));
    expect(h.add(frag(0, udpBytes(54, bytes(16)), { mf: true }))).toBeNull();
    expect(h.add(frag(24, bytes(8)))).toBeNull();
    expect(h.drops).toEqual([
      [1, 'fragOverlap'],
      [2, 'fragOverlap'],
    ]);
    // The third fragment found no queue: it waits in a new one.
    expect(h.d.stats()).toMatchObject({ reasmReqds: 3, reasmOKs: 0, reasmFails: 1, reasmOverlaps: 1, queues: 1 });
  });

  it('drops the queue on a partial overlap, at the tail or among earlier fragments', () => {
    const cases: Array<[string, Array<[number, number, boolean]>]> = [
      [
        'at the tail',
        [
          [0, 16, true],
          [8, 16, true],
        ],
      ],
      [
        'before the tail',
        [
          [16, 8, true],
          [0, 8, true],
          [0, 24, true],
        ],
      ],
      [
        'across two runs',
        [
          [0, 8, true],
          [16, 8, true],
          [8, 8, true],
          [8, 16, true],
        ],
      ],
      [
        'a second last fragment over the first',
        [
          [16, 8, false],
          [8, 16, false],
        ],
      ],
      [
        'a larger fragment at the same offset',
        [
          [8, 8, true],
          [0, 24, true],
        ],
      ],
    ];
    for (const [name, frs] of cases) {
      const h = harness();
      for (const [off, n, mf] of frs) h.add(frag(off, bytes(n), { mf }));
      expect(
        h.drops.map(([, w]) => w),
        name,
      ).toEqual(frs.map(() => 'fragOverlap'));
      expect(h.d.stats(), name).toMatchObject({ reasmFails: 1, reasmOverlaps: 1, queues: 0, memory: 0 });
    }
  });

  it('takes a fragment that covers in-order fragments (one run) as a duplicate', () => {
    const h = harness();
    h.add(frag(0, bytes(8), { mf: true }));
    h.add(frag(8, bytes(8, 8), { mf: true }));
    h.add(frag(0, bytes(16, 99), { mf: true }));
    const r = h.add(frag(16, bytes(8, 16)));
    expect(h.drops).toEqual([[3, 'fragDup']]);
    expect(r!.packet.subarray(20)).toEqual(bytes(24));
  });

  it('drops a teardrop (the last fragment ends inside the first) as a bad end, not an overlap', () => {
    const h = harness();
    h.add(frag(0, bytes(24), { mf: true }));
    h.add(frag(8, bytes(4)));
    expect(h.drops).toEqual([
      [1, 'fragBadEnd'],
      [2, 'fragBadEnd'],
    ]);
    expect(h.d.stats()).toMatchObject({ reasmFails: 1, reasmOverlaps: 0, queues: 0 });
  });

  it('drops the queue for data beyond a known end, and for a second end', () => {
    const beyond = harness();
    beyond.add(frag(16, bytes(8)));
    beyond.add(frag(24, bytes(8), { mf: true }));
    expect(beyond.drops.map(([, w]) => w)).toEqual(['fragBadEnd', 'fragBadEnd']);
    const twoEnds = harness();
    twoEnds.add(frag(16, bytes(8)));
    twoEnds.add(frag(16, bytes(16)));
    expect(twoEnds.drops.map(([, w]) => w)).toEqual(['fragBadEnd', 'fragBadEnd']);
    expect(twoEnds.d.stats()).toMatchObject({ reasmFails: 1, reasmOverlaps: 0 });
  });

  it('rounds a non-last fragment down to 8 bytes; one left empty drops the queue', () => {
    const h = harness();
    // 20 bytes, not last: only 16 count; the last fragment at 16 then fits.
    h.add(frag(0, bytes(20), { mf: true }));
    const r = h.add(frag(16, bytes(8, 16)));
    expect(r!.packet.length).toBe(20 + 24);
    expect(r!.packet.subarray(20)).toEqual(bytes(24));
    const tiny = harness();
    tiny.add(frag(0, bytes(8), { mf: true }));
    tiny.add(frag(8, bytes(4), { mf: true }));
    expect(tiny.drops.map(([, w]) => w)).toEqual(['fragEmpty', 'fragEmpty']);
    expect(tiny.d.stats()).toMatchObject({ reasmFails: 1 });
  });

  it('refuses a ping of death (over 65,535 bytes once reassembled), logging it; exactly 65,535 passes', () => {
    for (const [total, ok] of [
      [65515, true],
      [65516, false],
      [66600, false],
    ] as const) {
      const h = harness();
      let off = 0;
      let r: Reassembled | null = null;
      while (off + 1480 < total) {
        r = h.add(frag(off, bytes(1480), { mf: true })) ?? r;
        off += 1480;
      }
      r = h.add(frag(off, bytes(total - off))) ?? r;
      const n = Math.ceil(total / 1480);
      if (ok) {
        expect(r!.packet.length).toBe(65535);
        expect(h.drops).toEqual([]);
      } else {
        expect(r).toBeNull();
        expect(h.drops.length).toBe(n);
        expect(new Set(h.drops.map(([, w]) => w))).toEqual(new Set(['fragOversize']));
        expect(h.logs).toEqual([`IPv4: Oversized IP packet from ${SRC}`]);
        expect(h.d.stats()).toMatchObject({ reasmReqds: n, reasmOKs: 0, reasmFails: 1, queues: 0, memory: 0 });
      }
    }
  });

  it('applies the ECN rules: not-ECT with ECT fails, CE with ECT marks CE', () => {
    const mix = harness();
    mix.add(frag(0, bytes(8), { mf: true, tos: 0 }));
    mix.add(frag(8, bytes(8), { tos: 1 }));
    expect(mix.drops.map(([, w]) => w)).toEqual(['fragEcn', 'fragEcn']);
    expect(mix.d.stats()).toMatchObject({ reasmFails: 1, reasmOKs: 0 });
    const ce = harness();
    ce.add(frag(0, bytes(8), { mf: true, tos: 2 }));
    const r = ce.add(frag(8, bytes(8), { tos: 3 }));
    expect(r!.packet[1]! & 3).toBe(3);
  });

  it('sets DF only when the largest fragment had it, and reports it as frag_max_size', () => {
    const h = harness();
    h.add(frag(0, bytes(32), { mf: true, df: true }));
    const r = h.add(frag(32, bytes(8)));
    expect(r!.packet[6]).toBe(0x40);
    expect(r!.maxSize).toBe(52);
    const small = harness();
    small.add(frag(0, bytes(32), { mf: true }));
    const r2 = small.add(frag(32, bytes(8), { df: true }));
    expect(r2!.packet[6]).toBe(0);
  });

  it('keeps the queues of local delivery and of conntrack apart, and those of other IDs and protocols', () => {
    const h = harness();
    h.add(frag(0, bytes(8), { mf: true }), { user: DefragUser.ConntrackIn });
    expect(h.add(frag(8, bytes(8)), { user: DefragUser.LocalDeliver })).toBeNull();
    expect(h.add(frag(8, bytes(8), { id: 2 }), { user: DefragUser.ConntrackIn })).toBeNull();
    expect(h.add(frag(8, bytes(8), { proto: 6 }), { user: DefragUser.ConntrackIn })).toBeNull();
    expect(h.d.stats().queues).toBe(4);
    expect(h.add(frag(8, bytes(8)), { user: DefragUser.ConntrackIn })!.frames).toEqual([1, 5]);
  });

  it('times a queue out ipfrag_time after its first fragment, later fragments notwithstanding', () => {
    const h = harness();
    h.add(frag(0, udpBytes(53, bytes(8)), { mf: true }), { at: 0 });
    h.add(frag(32, bytes(8), { mf: true }), { at: 20 * SEC });
    expect(h.d.expire(30 * SEC - 1)).toBe(false);
    expect(h.d.expire(30 * SEC)).toBe(true);
    expect(h.drops).toEqual([
      [1, 'reasmTimeout'],
      [2, 'reasmTimeout'],
    ]);
    expect(h.d.stats()).toEqual({ reasmReqds: 2, reasmOKs: 0, reasmFails: 1, reasmOverlaps: 0, reasmTimeout: 1, queues: 0, memory: 0 });
    // ICMP time exceeded, fragment reassembly time exceeded, from the original destination, quoting the first fragment.
    expect(h.icmps.length).toBe(1);
    const icmp = h.icmps[0]!;
    expect(icmp.frameNo).toBe(1);
    expect([icmp.ip[9], icmp.ip[20], icmp.ip[21]]).toEqual([1, 11, 1]);
    expect(icmp.ip.subarray(12, 16)).toEqual(Uint8Array.from([198, 51, 100, 1]));
    expect(icmp.ip.subarray(16, 20)).toEqual(Uint8Array.from([203, 0, 113, 9]));
    expect(icmp.ip.length).toBe(28 + 20 + 16);
  });

  it('sends no ICMP for a queue without its first fragment, to a broadcast, for a frame not unicast at the link layer, or for conntrack forwarding', () => {
    const cases: Array<[string, Uint8Array, { user?: DefragUser; pktType?: PacketType }]> = [
      ['no first fragment', frag(8, bytes(8), { mf: true }), {}],
      ['broadcast', frag(0, bytes(8), { mf: true, dst: '255.255.255.255' }), {}],
      ['link-layer broadcast', frag(0, bytes(8), { mf: true }), { pktType: PacketType.Broadcast }],
      ['forwarded, conntrack', frag(0, bytes(8), { mf: true, dst: '192.0.2.10' }), { user: DefragUser.ConntrackIn }],
    ];
    for (const [name, ip, o] of cases) {
      const h = harness();
      h.add(ip, o);
      h.d.expire(31 * SEC);
      expect(h.icmps, name).toEqual([]);
      expect(h.drops, name).toEqual([[1, 'reasmTimeout']]);
    }
    const local = harness();
    local.add(frag(0, bytes(8), { mf: true }), { user: DefragUser.ConntrackIn });
    local.d.expire(31 * SEC);
    expect(local.icmps.length).toBe(1);
  });

  it('expires queues in creation order and stops at the first still alive', () => {
    const h = harness();
    for (let i = 0; i < 5; i++) h.add(frag(0, bytes(8), { mf: true, id: 100 + i }), { at: i * SEC });
    h.d.expire(32 * SEC);
    expect(h.drops.map(([f]) => f)).toEqual([1, 2, 3]);
    expect(h.d.stats().queues).toBe(2);
  });

  it('starts a queue again when more than ipfrag_max_dist fragments came from its source in between (FRAG_TOO_FAR)', () => {
    for (const [between, ok] of [
      [63, true],
      [64, false],
    ] as const) {
      const h = harness();
      h.add(frag(0, bytes(16), { mf: true, id: 1 }), { at: 0 });
      for (let i = 0; i < between; i++) h.add(frag(0, bytes(8), { mf: true, id: 1000 + i }), { at: 0 });
      // Other sources do not count.
      for (let i = 0; i < 100; i++) h.add(frag(0, bytes(8), { mf: true, id: 1, src: '203.0.113.77' }), { at: 0 });
      const r = h.add(frag(16, bytes(8), { id: 1 }), { at: 10 * SEC });
      if (ok) expect(r!.frames).toEqual([1, between + 100 + 2]);
      else {
        expect(r).toBeNull();
        expect(h.drops.filter(([, w]) => w !== 'fragDup')).toEqual([[1, 'fragTooFar']]);
        expect(h.d.stats()).toMatchObject({ reasmFails: 1, reasmOKs: 0 });
        // Started again at 10 s: its timer with it.
        h.d.expire(35 * SEC);
        expect(h.drops.at(-1)).not.toEqual([between + 102, 'reasmTimeout']);
        h.d.expire(40 * SEC);
        expect(h.drops.at(-1)).toEqual([between + 102, 'reasmTimeout']);
      }
    }
  });

  it('charges memory as the kernel does (sizeof(struct ipq) and the skb truesize) and refuses fragments above ipfrag_high_thresh', () => {
    expect([
      fragTruesize(42),
      fragTruesize(240),
      fragTruesize(241),
      fragTruesize(688),
      fragTruesize(689),
      fragTruesize(1514),
      fragTruesize(1712),
      fragTruesize(1713),
    ]).toEqual([832, 832, 1280, 1280, 2304, 2304, 2304, 4352]);
    const h = harness();
    // The oracle kernel: 1,676 single-fragment queues of 1,514-byte frames fit (4,196,704 bytes), then nothing.
    h.add(frag(0, bytes(1480), { mf: true, id: 1 }));
    for (let i = 0; i < 1680; i++) h.add(frag(0, bytes(1480), { mf: true, id: 2 + i, src: `203.0.113.${10 + (i % 200)}` }));
    expect(h.d.stats()).toMatchObject({ queues: 1676, memory: 1676 * (IPQ_SIZE + 2304), reasmReqds: 1681, reasmFails: 5 });
    // Even a fragment that would complete a queue is refused.
    expect(h.add(frag(1480, bytes(100), { id: 1 }))).toBeNull();
    expect(h.drops.length).toBe(6);
    expect(new Set(h.drops.map(([, w]) => w))).toEqual(new Set(['fragMemory']));
    expect(h.d.stats()).toMatchObject({ reasmFails: 6, queues: 1676 });
    // Once they time out, room again.
    h.d.expire(30 * SEC);
    expect(h.d.stats()).toMatchObject({ queues: 0, memory: 0 });
  });

  it('handles 100,000 fragments that never complete in bounded memory, each frame with one fate', () => {
    const h = harness();
    const fates = new Map<number, number>();
    const n = 100_000;
    let maxQueues = 0;
    let maxMemory = 0;
    // One 1,514-byte frame's fragment, its ID, source and offset rewritten for each (the header checksum is ip_rcv's, not reassembly's).
    const ip = frag(0, new Uint8Array(1480), { mf: true });
    for (let i = 0; i < n; i++) {
      // Fragments of distinct datagrams from 100,000 sources, 1 ms apart: none ever completes.
      const at = i * 1_000_000;
      h.d.expire(at);
      ip[4] = (i >> 8) & 255;
      ip[5] = i & 255;
      ip[6] = 0x20;
      ip[7] = i % 7;
      ip[13] = (i >> 16) & 255;
      ip[14] = (i >> 8) & 255;
      ip[15] = i & 255;
      h.add(ip, { at });
      const s = h.d.stats();
      if (s.queues > maxQueues) maxQueues = s.queues;
      if (s.memory > maxMemory) maxMemory = s.memory;
    }
    // Above the threshold nothing new is charged: it is passed by one queue and fragment at most.
    expect(maxMemory).toBeLessThanOrEqual(h.d.limits.highThresh + IPQ_SIZE + 2304);
    h.d.flush();
    for (const [f] of h.drops) fates.set(f, (fates.get(f) ?? 0) + 1);
    expect(fates.size).toBe(n);
    expect([...fates.values()].every((c) => c === 1)).toBe(true);
    const s = h.d.stats();
    expect(maxQueues).toBe(1676);
    expect(s).toMatchObject({ reasmReqds: n, reasmOKs: 0, queues: 0, memory: 0 });
    const by = (w: FragDrop): number => h.drops.filter(([, x]) => x === w).length;
    expect(by('fragMemory') + by('reasmTimeout') + by('fragPending')).toBe(n);
    expect(s.reasmFails).toBe(by('fragMemory') + by('reasmTimeout'));
    expect(s.reasmTimeout).toBe(by('reasmTimeout'));
  });
});
