/**
 * Properties of the tables with limits: the connection tracking table never
 * holds more than nf_conntrack_max entries, and IPv4 and IPv6 reassembly
 * never hold (much) more than their high thresholds (the kernel refuses a
 * fragment once the memory is above the threshold, so it can pass it by at
 * most one fragment's charge), whatever the packets; and reassembly
 * accounts for every fragment exactly once: reassembled, dropped, or
 * dropped as still pending when the run ends.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Conntrack } from '../../src/netfilter/conntrack/index.js';
import { Hook, NF_ACCEPT, PacketType, Skb, type NetDevice } from '../../src/netfilter/types.js';
import { DefragUser, Ipv4Defrag, IPQ_SIZE, fragTruesize } from '../../src/net/ipv4/defrag.js';
import { Ipv6Defrag } from '../../src/net/ipv6/defrag.js';
import { GuestStack } from '../../src/net/ipv4/stack.js';
import { parseMachineFile } from '../../src/machine/machine-file.js';
import { loadRuleset } from '../../src/netfilter/rules/restore.js';
import { setIPv4Checksum } from '../../src/packet/checksum.js';
import { ipv4Packet, ipv6Packet, mutated, ethFrame } from './packets-arb.js';
import { params, timeout } from './config.js';

const S = 1_000_000_000;

describe('connection tracking', () => {
  it('never holds more than its maximum, used as the stack uses it (in, then confirm when accepted)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 24 }),
        fc.constantFrom(1, 4, 64),
        fc.array(fc.tuple(fc.oneof(mutated(ipv4Packet), mutated(ipv6Packet)), fc.nat(40), fc.boolean(), fc.boolean()), { maxLength: 80 }),
        (max, buckets, packets) => {
          const ct = new Conntrack({ max, buckets, checksum: false });
          let now = 0;
          for (const [p, dt, out, confirm] of packets) {
            now += dt * S;
            const skb = new Skb();
            if (p.length >= 40 && p[0]! >> 4 === 6) skb.loadV6(p);
            else if (p.length >= 20) skb.load(p);
            else continue;
            const v = ct.in(skb, out ? Hook.LocalOut : Hook.PreRouting, now);
            if (v === NF_ACCEPT && confirm) ct.confirm(skb, now);
            expect(ct.size).toBeLessThanOrEqual(max);
            expect([...ct.entries(now)].length).toBeLessThanOrEqual(ct.size);
          }
        },
      ),
      params(300),
    );
  });

  it('never holds more than the machine file says, in the guest stack', () => {
    const spec = parseMachineFile(
      'interfaces:\n  - name: eth0\n    mac: "02:00:00:00:00:01"\n    addresses: [198.51.100.1/24, 2001:db8:1::1/64]\n  - name: eth1\n    mac: "02:00:00:00:01:01"\n    addresses: [192.0.2.1/24]\nroutes:\n  - to: default\n    via: 198.51.100.254\nconntrack:\n  max: 8\n',
      'ct.yaml',
    );
    const rs = loadRuleset(
      '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m state --state INVALID -j DROP\n-A FORWARD -p tcp -j REJECT --reject-with tcp-reset\nCOMMIT\n',
      'ct.v4',
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(mutated(ethFrame), fc.integer({ min: 0, max: 2 })), { maxLength: 60 }), (frames) => {
        const st = new GuestStack({ spec, printk: () => {}, fate: () => {} }, rs, null);
        const ct = (st as unknown as { ct: Conntrack }).ct;
        frames.forEach(([f, where], i) => {
          st.setClock(i * S);
          if (where === 2) st.output(f.slice(), i + 1);
          else st.receive(where, f.slice(), i + 1);
          expect(ct.size).toBeLessThanOrEqual(8);
        });
      }),
      params(150),
    );
  });
});

/** An IPv4 fragment of datagram `id` from one of a few sources: offset, more-fragments, length. */
const frag4 = fc
  .record({
    src: fc.constantFrom(0xc0000201, 0xc0000202, 0xc6336407),
    id: fc.integer({ min: 1, max: 4 }),
    proto: fc.constantFrom(6, 17, 1),
    off: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 8191 })),
    more: fc.boolean(),
    len: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 2000 }), fc.constant(8)),
    df: fc.boolean(),
    ecn: fc.integer({ min: 0, max: 3 }),
  })
  .map((f) => {
    const len = f.more ? f.len & ~7 : f.len;
    const b = new Uint8Array(20 + len).fill(0xab, 20);
    b[0] = 0x45;
    b[1] = f.ecn;
    b[2] = (20 + len) >> 8;
    b[3] = (20 + len) & 255;
    b[5] = f.id;
    const fo = (f.df ? 0x4000 : 0) | (f.more ? 0x2000 : 0) | f.off;
    b[6] = fo >> 8;
    b[7] = fo & 255;
    b[8] = 64;
    b[9] = f.proto;
    new DataView(b.buffer).setUint32(12, f.src);
    new DataView(b.buffer).setUint32(16, 0xc6336401);
    setIPv4Checksum(b);
    return b;
  });

describe('IPv4 reassembly', () => {
  it('stays within its memory threshold (to one fragment) and accounts for every fragment exactly once', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 64 * 1024 }),
        fc.array(fc.tuple(frag4, fc.nat(12), fc.constantFrom(DefragUser.LocalDeliver, DefragUser.ConntrackIn)), { maxLength: 120 }),
        (highThresh, frags) => {
          const seen = new Map<number, number>();
          const count = (f: number): void => void seen.set(f, (seen.get(f) ?? 0) + 1);
          const d = new Ipv4Defrag({ drop: (f) => count(f), limits: { highThresh } });
          const skb = new Skb();
          let now = 0;
          let largest = 0;
          frags.forEach(([p, dt, user], i) => {
            now += dt * S;
            d.expire(now);
            skb.load(p);
            skb.mac = null;
            skb.pktType = PacketType.Host;
            largest = Math.max(largest, fragTruesize(14 + p.length));
            const r = d.add(skb, user, i + 1, now);
            if (r) for (const f of r.frames) count(f);
            const st = d.stats();
            expect(st.memory).toBeGreaterThanOrEqual(0);
            expect(st.memory).toBeLessThanOrEqual(highThresh + largest + IPQ_SIZE);
          });
          d.flush();
          expect(d.stats().memory).toBe(0);
          expect(d.stats().queues).toBe(0);
          expect([...seen.entries()].filter(([, n]) => n !== 1)).toEqual([]);
          expect(seen.size).toBe(frags.length);
        },
      ),
      params(400),
    );
  });
});

/** An IPv6 fragment: a fragment header right after the fixed header. */
const frag6 = fc
  .record({
    src: fc.constantFrom(1, 2, 3),
    id: fc.integer({ min: 1, max: 4 }),
    off: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 8191 })),
    more: fc.boolean(),
    len: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 1500 }), fc.constant(8), fc.constant(60_000)),
  })
  .map((f) => {
    const len = f.more ? f.len & ~7 : f.len;
    const b = new Uint8Array(48 + len).fill(0xcd, 48);
    b[0] = 0x60;
    b[4] = (8 + len) >> 8;
    b[5] = (8 + len) & 255;
    b[6] = 44;
    b[7] = 64;
    b.set([0x20, 0x01, 0x0d, 0xb8], 8);
    b[23] = f.src;
    b.set([0x20, 0x01, 0x0d, 0xb8, 0, 1], 24);
    b[39] = 1;
    b[40] = 17;
    const v = (f.off << 3) | (f.more ? 1 : 0);
    b[42] = v >> 8;
    b[43] = v & 255;
    b[47] = f.id;
    return b;
  });

const DEV: NetDevice = { name: 'eth0', index: 2, unit: 0, mac: new Uint8Array(6), mtu: 1500, addrs: [] };
/** ip6frag_high_thresh, and what one fragment is charged at most beyond its data. */
const HIGH6 = 4 * 1024 * 1024;

describe('IPv6 reassembly', () => {
  it(
    'stays within ip6frag_high_thresh (to one fragment) and accounts for every fragment exactly once',
    () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(frag6, fc.nat(20)), { maxLength: 200 }), (frags) => {
          const seen = new Map<number, number>();
          const count = (f: number): void => void seen.set(f, (seen.get(f) ?? 0) + 1);
          const d = new Ipv6Defrag();
          const mem = (): number => (d as unknown as { mem: number }).mem;
          const skb = new Skb();
          let now = 0;
          frags.forEach(([p, dt], i) => {
            now += dt * S;
            for (const q of d.expire(now)) q.frames.forEach(count);
            skb.loadV6(p);
            const r = d.add(skb, DEV, i + 1, now);
            for (const f of r.dropped ?? []) count(f);
            if (r.pass) count(i + 1);
            for (const f of r.whole?.frames ?? []) count(f);
            expect(mem()).toBeGreaterThanOrEqual(0);
            expect(mem()).toBeLessThanOrEqual(HIGH6 + 65_536 + 256);
          });
          for (const f of d.flush()) count(f);
          expect(mem()).toBe(0);
          expect([...seen.entries()].filter(([, n]) => n !== 1)).toEqual([]);
          expect(seen.size).toBe(frags.length);
        }),
        params(300),
      );
    },
    timeout(30_000),
  );
});
