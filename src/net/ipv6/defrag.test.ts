import { describe, expect, it } from 'vitest';
import { fragHeader, ipv6, raw, tcp, udp } from '../../packet/build.js';
import { PacketType, Skb, type NetDevice } from '../../netfilter/types.js';
import { Ipv6Defrag, thdrTruncated } from './defrag.js';

const DEV = { name: 'eth1', index: 2, mac: new Uint8Array(6), addrs: [], mtu: 1500, unit: 1 } as unknown as NetDevice;
const S = 1_000_000_000;

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

function add(d: Ipv6Defrag, pkt: Uint8Array, frameNo: number, at = 0) {
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

  it('expires a queue after 60 s, returning its frames and its first fragment as it came, counted as a timeout', () => {
    const d = new Ipv6Defrag();
    const first = fragments([0, 24])[0]!;
    add(d, first, 1, 0);
    add(d, fragments([0, 24], 8)[1]!, 2, 0);
    expect(d.expire(59 * S)).toEqual([]);
    const gone = d.expire(61 * S);
    expect(gone.map((q) => q.frames)).toEqual([[1], [2]]);
    expect(gone[0]!.head).toEqual(first);
    // A queue without its first fragment: no ICMPv6 time exceeded can quote it.
    expect(gone[1]!.head).toBeNull();
    expect(d.stats).toEqual({ reasmReqds: 0, reasmOKs: 0, reasmFails: 2, reasmTimeout: 2 });
    expect(d.flush()).toEqual([]);
  });

  it('lets a first fragment without the whole TCP header pass as it is (RFC 8200 4.5, ipv6frag_thdr_truncated)', () => {
    const d = new Ipv6Defrag();
    const l4 = ipv6({ src: '2001:db8:99::8', dst: '2001:db8:2::1' }, tcp({ sport: 1, dport: 2, flags: 'S', payload: new Uint8Array(40) })).subarray(40);
    const first = ipv6({ src: '2001:db8:99::8', dst: '2001:db8:2::1', ext: [fragHeader(0, true, 9)], rawL4: true }, raw(6, l4.slice(0, 8)));
    expect(thdrTruncated(first, first.length, 40)).toBe(true);
    expect(add(d, first, 1)).toEqual({ pass: true, reason: '' });
    const udpFirst = fragments([0, 8])[0]!;
    expect(thdrTruncated(udpFirst, udpFirst.length, 40)).toBe(false);
  });

  it('kills the queue of a fragment that is not the last and not a multiple of 8 bytes, and lets it pass', () => {
    const d = new Ipv6Defrag();
    const [a] = fragments([0, 24]);
    add(d, a!, 1);
    const odd = fragments([0, 28], 7)[0]!;
    const r = add(d, odd, 2);
    expect(r.pass).toBe(true);
    expect(r.dropped).toEqual([1]);
    expect(d.expire(61 * S)).toEqual([]);
  });

  it('counts for the stack (ipv6_frag_rcv): every fragment requested, an atomic one and a whole reassembled, an overlap failed', () => {
    const d = new Ipv6Defrag('local');
    const [a, b] = fragments([0, 24]);
    add(d, a!, 1);
    expect(add(d, b!, 2).whole).toBeDefined();
    const atomic = ipv6({ src: '2001:db8:2::10', dst: '2001:db8:2::1', ext: [fragHeader(0, false, 11)], rawL4: true }, raw(17, new Uint8Array(16)));
    add(d, atomic, 3);
    const [c] = fragments([0, 24], 12);
    add(d, c!, 4);
    add(d, fragments([0, 16], 12)[1]!, 5);
    expect(d.stats).toEqual({ reasmReqds: 5, reasmOKs: 2, reasmFails: 1, reasmTimeout: 0 });
  });

  it('drops, for the stack, a fragment not a multiple of 8 after making its queue, which then times out empty', () => {
    const d = new Ipv6Defrag('local');
    const odd = fragments([0, 28], 13)[0]!;
    expect(add(d, odd, 1).dropped).toEqual([1]);
    const gone = d.expire(61 * S);
    expect(gone.map((q) => q.frames)).toEqual([[]]);
    expect(d.stats).toEqual({ reasmReqds: 1, reasmOKs: 0, reasmFails: 1, reasmTimeout: 1 });
  });

  it('takes a fragment inside one it holds for a duplicate, not an overlap', () => {
    const d = new Ipv6Defrag();
    const [a] = fragments([0, 32]);
    add(d, a!, 1);
    const inner = fragments([0, 8, 16], 7)[1]!;
    expect(add(d, inner, 2)).toEqual({ dropped: [2], reason: 'IPv6 duplicate fragment' });
  });
});
