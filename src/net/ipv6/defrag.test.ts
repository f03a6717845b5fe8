import { describe, expect, it } from 'vitest';
import { fragHeader, ipv6, raw, udp } from '../../packet/build.js';
import { PacketType, Skb, type NetDevice } from '../../netfilter/types.js';
import { Ipv6Defrag } from './defrag.js';

const DEV = { name: 'eth1', index: 2, mac: new Uint8Array(6), addrs: [], mtu: 1500, unit: 1 } as unknown as NetDevice;
const S = 1_000_000_000n;

/** The UDP datagram's bytes after the IPv6 header, cut into fragments at the given offsets. */
function fragments(cuts: number[], id = 7, len = 64): Uint8Array[] {
  const l4 = ipv6({ src: '2001:db8:2::10', dst: '2001:db8:2::1' }, udp({ sport: 1, dport: 53, payload: new Uint8Array(len).fill(0x61) })).subarray(40);
  const out: Uint8Array[] = [];
  const edges = [...cuts, l4.length];
  for (let i = 0; i + 1 < edges.length; i++) {
    const from = edges[i]!;
    const to = edges[i + 1]!;
    out.push(ipv6({ src: '2001:db8:2::10', dst: '2001:db8:2::1', ext: [fragHeader(from, to < l4.length, id)], rawL4: true }, raw(17, l4.slice(from, to))));
  }
  return out;
}

function add(d: Ipv6Defrag, pkt: Uint8Array, frameNo: number, at = 0n) {
  const skb = new Skb().loadV6(pkt).begin(null, PacketType.Host, frameNo);
  return d.add(skb, DEV, frameNo, at);
}

describe('nf_defrag_ipv6', () => {
  it('reassembles fragments in any order into the datagram, the fragment header gone', () => {
    const d = new Ipv6Defrag();
    const [a, b, c] = fragments([0, 24, 48]);
    expect(add(d, c!, 1).whole).toBeUndefined();
    expect(add(d, a!, 2).whole).toBeUndefined();
    const r = add(d, b!, 3);
    expect(r.whole!.frames.sort()).toEqual([1, 2, 3]);
    const whole = r.whole!.packet;
    expect(whole[6]).toBe(17);
    expect((whole[4]! << 8) | whole[5]!).toBe(8 + 64);
    expect(new Skb().loadV6(whole).protocol).toBe(17);
  });

  it('ignores an exact duplicate and discards the queue on any overlap (RFC 5722)', () => {
    const d = new Ipv6Defrag();
    const [a, b] = fragments([0, 24]);
    expect(add(d, a!, 1).whole).toBeUndefined();
    expect(add(d, a!, 2)).toEqual({ dropped: [2], reason: 'IPv6 duplicate fragment' });
    const overlapping = fragments([0, 16])[1]!;
    const r = add(d, overlapping, 3);
    expect(r.dropped).toEqual([1, 3]);
    expect(r.reason).toMatch(/OVERLAP/);
    // The queue is gone: the real second fragment alone completes nothing.
    expect(add(d, b!, 4).whole).toBeUndefined();
  });

  it('expires a queue after 60 s and returns its frames', () => {
    const d = new Ipv6Defrag();
    add(d, fragments([0, 24])[0]!, 1, 0n);
    expect(d.expire(59n * S)).toEqual([]);
    expect(d.expire(61n * S)).toEqual([1]);
    expect(d.flush()).toEqual([]);
  });
});
