import { describe, expect, it } from 'vitest';
import { ethernet, ipv4, tcp } from '../packet/build.js';
import { DetailsCollector, MAX_BUCKETS } from './details.js';

const S = 1_000_000_000n;
const T0 = 1_767_225_600n * S;
const MACS = { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' };

describe('DetailsCollector', () => {
  it('counts accepted and dropped frames per second from the first frame', () => {
    const d = new DetailsCollector();
    d.passed(T0);
    d.passed(T0 + S / 2n);
    d.dropped('filter:INPUT:1', 3, T0 + 2n * S, undefined, 40);
    const t = d.result(10).timeline;
    expect(t).toEqual({ start: 1_767_225_600, width: 1, accepted: [2, 0, 0], dropped: [0, 0, 1] });
  });

  it('widens its buckets for long captures, keeping every frame and at most MAX_BUCKETS buckets', () => {
    const d = new DetailsCollector();
    const n = 10 * MAX_BUCKETS;
    for (let i = 0; i < n; i++) d.passed(T0 + BigInt(i) * S);
    d.dropped('stack:X', 1, T0 + BigInt(n - 1) * S, undefined, 1);
    const t = d.result(10).timeline;
    expect(t.accepted.length).toBeLessThanOrEqual(MAX_BUCKETS);
    expect(t.width).toBe(16);
    expect(t.accepted.reduce((a, b) => a + b, 0)).toBe(n);
    expect(t.dropped.reduce((a, b) => a + b, 0)).toBe(1);
    expect(t.accepted[0]).toBe(16);
  });

  it('keeps the first frames of each cause, and counts sources and ports', () => {
    const d = new DetailsCollector(2);
    for (let i = 1; i <= 5; i++) {
      const frame = ethernet(MACS, ipv4({ src: '192.0.2.7', dst: '198.51.100.1' }, tcp({ sport: 1000 + i, dport: 22 })));
      d.dropped('filter:INPUT:3', i, T0 + BigInt(i) * S, frame, 40);
    }
    d.dropped('stack:IP_CSUM', 9, T0, undefined, 40, false);
    const r = d.result(5);
    expect(r.samples[0]).toEqual({
      cause: 'filter:INPUT:3',
      count: 5,
      frames: [
        { frame: 1, time: 1_767_225_601, flow: 'tcp 192.0.2.7:1001 -> 198.51.100.1:22', length: 40 },
        { frame: 2, time: 1_767_225_602, flow: 'tcp 192.0.2.7:1002 -> 198.51.100.1:22', length: 40 },
      ],
    });
    expect(r.samples[1]).toMatchObject({ cause: 'stack:IP_CSUM', count: 1, frames: [{ frame: 9, flow: 'not IP' }] });
    expect(r.sources).toEqual([{ addr: '192.0.2.7', count: 5 }]);
    expect(r.ports).toEqual([{ proto: 6, port: 22, count: 5 }]);
    // A generated packet is not in the timeline.
    expect(r.timeline.dropped.reduce((a, b) => a + b, 0)).toBe(5);
  });

  it('forgets the least-dropped sources when its table is full', () => {
    const d = new DetailsCollector(1, 4);
    const frame = (src: string): Uint8Array => ethernet(MACS, ipv4({ src, dst: '198.51.100.1' }, tcp({ sport: 1, dport: 80 })));
    for (let i = 0; i < 3; i++) d.dropped('x', 1, T0, frame('192.0.2.1'), 40);
    for (const s of ['192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5']) d.dropped('x', 1, T0, frame(s), 40);
    const r = d.result(10);
    expect(r.sources[0]).toEqual({ addr: '192.0.2.1', count: 3 });
    expect(r.forgotten).toBeGreaterThan(0);
  });
});
