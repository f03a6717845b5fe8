import { describe, expect, it } from 'vitest';
import { InetAddr, parseInetAddr } from '../packet/inet-addr.js';
import { Flow } from '../packet/flow.js';
import { FlowTable } from './flows.js';

/** A flow record from numbers (IPv4) or text (either family). */
function flow(src: number | string, dst: number | string, proto: number, port: number): Flow {
  const f = new Flow();
  f.src.copyFrom(typeof src === 'number' ? InetAddr.v4(src) : parseInetAddr(src)!);
  f.dst.copyFrom(typeof dst === 'number' ? InetAddr.v4(dst) : parseInetAddr(dst)!);
  f.proto = proto;
  if (proto === 1 || proto === 58) f.icmpType = port;
  else f.dport = port;
  return f;
}

describe('dropped-flow table', () => {
  it('counts flows and ranks them, most dropped first', () => {
    const t = new FlowTable(16);
    for (let i = 0; i < 5; i++) t.add(flow(0xc0000201, 0x08080808, 17, 53));
    t.add(flow(0x0a000001, 0x08080808, 6, 443), 3);
    t.add(flow(0x0a000002, 0x08080808, 1, 8));
    expect(t.top(2)).toEqual([
      { src: '192.0.2.1', dst: '8.8.8.8', proto: 17, dport: 53, count: 5 },
      { src: '10.0.0.1', dst: '8.8.8.8', proto: 6, dport: 443, count: 3 },
    ]);
    expect(t.top(3)[2]).toEqual({ src: '10.0.0.2', dst: '8.8.8.8', proto: 1, dport: 8, count: 1 });
    expect(t.size).toBe(3);
  });

  it('keys by the destination port, not the source port', () => {
    const t = new FlowTable(16);
    const f = flow(1, 2, 6, 80);
    f.sport = 1000;
    t.add(f);
    f.sport = 2000;
    t.add(f);
    expect(t.top(5)).toEqual([{ src: '0.0.0.1', dst: '0.0.0.2', proto: 6, dport: 80, count: 2 }]);
  });

  it('counts IPv6 flows apart from IPv4 ones, addresses printed as inet_ntop prints them', () => {
    const t = new FlowTable(16);
    t.add(flow('2001:db8::1', '2001:db8:0:0:1::53', 17, 53), 2);
    t.add(flow('::ffff:192.0.2.1', '2001:db8::2', 58, 128), 2);
    // Same words as an IPv4 flow (IPv4 in word 0, zeros elsewhere): still another flow.
    t.add(flow('c000:201::', '808:808::', 17, 53), 2);
    t.add(flow('192.0.2.1', '8.8.8.8', 17, 53), 2);
    expect(t.size).toBe(4);
    expect(t.top(0)).toEqual([]);
    expect(t.top(4)).toEqual([
      // Ties: IPv4 first, then lower addresses.
      { src: '192.0.2.1', dst: '8.8.8.8', proto: 17, dport: 53, count: 2 },
      { src: '::ffff:192.0.2.1', dst: '2001:db8::2', proto: 58, dport: 128, count: 2 },
      { src: '2001:db8::1', dst: '2001:db8::1:0:0:53', proto: 17, dport: 53, count: 2 }, // the first of two zero runs compressed
      { src: 'c000:201::', dst: '808:808::', proto: 17, dport: 53, count: 2 },
    ]);
  });

  it('stays bounded: when full, the flows with the fewest drops are forgotten and the heavy ones kept', () => {
    const t = new FlowTable(64);
    const heavy = flow(1, 2, 6, 80);
    const late = flow('2001:db8::3', '2001:db8::4', 17, 53);
    const light = flow(0, 2, 6, 22);
    for (let i = 0; i < 10_000; i++) {
      t.add(heavy); // heavy from the start
      light.src.setV4(0x0a000000 + i);
      t.add(light); // a new light flow every time
      if (i >= 5000) t.add(late); // heavy, arriving late
    }
    expect(t.size).toBeLessThanOrEqual(64);
    expect(t.forgotten).toBeGreaterThan(9000);
    const top = t.top(2);
    expect(top[0]).toEqual({ src: '0.0.0.1', dst: '0.0.0.2', proto: 6, dport: 80, count: 10_000 });
    expect(top[1]).toMatchObject({ src: '2001:db8::3', dst: '2001:db8::4', proto: 17, dport: 53 });
    expect(top[1]!.count).toBeGreaterThan(4900);
  });

  it('grows as flows come, every count kept: the same ranking as a map of all the flows', () => {
    const t = new FlowTable();
    const want = new Map<string, number>();
    let seed = 7;
    const rand = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n) >>> 0;
    // 30,000 drops over up to 20,000 flows of both families: the table starts small and doubles several times.
    for (let i = 0; i < 30_000; i++) {
      const k = rand(20_000);
      const f = k % 5 === 0 ? flow(`2001:db8::${k.toString(16)}`, '2001:db8:1::1', 17, k & 0xffff) : flow(0x0a000000 + k, 0xc0000201, 6, 443);
      t.add(f);
      const key = k % 5 === 0 ? `2001:db8::${k.toString(16)}` : InetAddr.v4(0x0a000000 + k).toString();
      want.set(key, (want.get(key) ?? 0) + 1);
    }
    expect(t.size).toBe(want.size);
    expect(t.forgotten).toBe(0);
    const top = t.top(100);
    const counts = [...want.values()].sort((a, b) => b - a).slice(0, 100);
    expect(top.map((f) => f.count)).toEqual(counts);
    for (const f of top) expect(want.get(f.src)).toBe(f.count);
  });
});
