/**
 * nf_defrag_ipv6's memory bound (found by the property tests in
 * test/properties/limits.test.ts): the kernel's inet_frag_find refuses
 * every fragment once the reassembly memory is above ip6frag_high_thresh,
 * of a queue it holds as of a new one. cofw checked only when making a new
 * queue, so queues made while there was room grew without bound.
 */
import { describe, expect, it } from 'vitest';
import { Skb, type NetDevice } from '../../netfilter/types.js';
import { Ipv6Defrag } from './defrag.js';

const DEV: NetDevice = { name: 'eth0', index: 2, unit: 0, mac: new Uint8Array(6), mtu: 1500, addrs: [] };
const HIGH6 = 4 * 1024 * 1024;

describe('IPv6 reassembly memory', () => {
  it('refuses a fragment for a queue it already holds once the memory is above the threshold, as the kernel refuses every fragment then', () => {
    // Queues made while there is room, then grown with small fragments: 8 bytes each, charged with their overhead.
    const d = new Ipv6Defrag();
    const mem = (): number => (d as unknown as { mem: number }).mem;
    const skb = new Skb();
    const frag = (src: number, id: number, off: number, len: number): Uint8Array => {
      const b = new Uint8Array(48 + len);
      b[0] = 0x60;
      b[4] = (8 + len) >> 8;
      b[5] = (8 + len) & 255;
      b[6] = 44;
      b[7] = 64;
      b[8] = 0x20;
      b[22] = src >> 8;
      b[23] = src & 255;
      b[24] = 0x20;
      b[39] = 1;
      b[40] = 17;
      const v = (off << 3) | 1;
      b[42] = v >> 8;
      b[43] = v & 255;
      new DataView(b.buffer).setUint32(44, id);
      return b;
    };
    let n = 0;
    // 64 queues of one 60,000-byte fragment: just under the threshold.
    for (let q = 0; q < 68; q++) d.add(skb.loadV6(frag(q, 1, 0, 60_000)), DEV, ++n, 0);
    expect(mem()).toBeLessThanOrEqual(HIGH6 + 60_000 + 256);
    // Grow every queue held with small fragments.
    for (let k = 0; k < 200; k++) for (let q = 0; q < 68; q++) d.add(skb.loadV6(frag(q, 1, 7500 + k, 8)), DEV, ++n, 0);
    expect(mem()).toBeLessThanOrEqual(HIGH6 + 60_000 + 256);
  });

  it('still takes a fragment of a new queue while the memory is at or below the threshold', () => {
    const d = new Ipv6Defrag();
    const skb = new Skb();
    const b = new Uint8Array(48 + 16);
    b[0] = 0x60;
    b[5] = 24;
    b[6] = 44;
    b[40] = 17;
    b[43] = 1;
    expect(d.add(skb.loadV6(b), DEV, 1, 0).dropped).toBeUndefined();
  });
});
