import { describe, expect, it } from 'vitest';
import { ethernet, icmp, ipv4, tcp, udp } from './build.js';
import { Family } from './inet-addr.js';
import { Flow, frameIpLength, readFlow, readFrameFlow } from './flow.js';

const M = { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' };

/** An IPv6 packet: fixed header (addresses 2001:db8::1 -> 2001:db8::2), then `chain` (next header, bytes) in order. */
function ipv6(first: number, rest: Uint8Array): Uint8Array {
  const p = new Uint8Array(40 + rest.length);
  p[0] = 0x60;
  p[4] = rest.length >> 8;
  p[5] = rest.length & 255;
  p[6] = first;
  p[7] = 64;
  p.set([0x20, 0x01, 0x0d, 0xb8], 8);
  p[23] = 1;
  p.set([0x20, 0x01, 0x0d, 0xb8], 24);
  p[39] = 2;
  p.set(rest, 40);
  return p;
}
const eth6 = (ip: Uint8Array): Uint8Array => ethernet({ ...M, ethertype: 0x86dd }, ip);
const ports = (sport: number, dport: number): number[] => [sport >> 8, sport & 255, dport >> 8, dport & 255];

describe('flow of a frame', () => {
  it('reads an IPv4 5-tuple and length, through VLAN tags', () => {
    const f = new Flow();
    expect(readFrameFlow(ethernet({ ...M, vlan: 7 }, ipv4({ src: '192.0.2.1', dst: '198.51.100.9' }, tcp({ sport: 4000, dport: 443 }))), f)).toBe(true);
    expect([f.family, f.src.toString(), f.dst.toString(), f.proto, f.sport, f.dport, f.l4, f.ipLen]).toEqual([
      Family.V4,
      '192.0.2.1',
      '198.51.100.9',
      6,
      4000,
      443,
      true,
      40,
    ]);
    expect(f.dportOrType).toBe(443);
    readFrameFlow(ethernet(M, ipv4({ src: '192.0.2.1', dst: '198.51.100.9' }, icmp({ type: 8, code: 0 }))), f);
    expect([f.proto, f.icmpType, f.dportOrType, f.sport, f.dport]).toEqual([1, 8, 8, 0, 0]);
  });

  it('reads no ports from a non-first IPv4 fragment or a cut transport header', () => {
    const f = new Flow();
    const frag = ethernet(M, ipv4({ src: '192.0.2.1', dst: '198.51.100.9', fragoff: 185 }, udp({ sport: 1, dport: 53 })));
    expect(readFrameFlow(frag, f)).toBe(true);
    expect([f.proto, f.dport, f.l4]).toEqual([17, 0, false]);
    const whole = ethernet(M, ipv4({ src: '192.0.2.1', dst: '198.51.100.9' }, udp({ sport: 1, dport: 53 })));
    expect(readFrameFlow(whole.subarray(0, 14 + 20 + 2), f)).toBe(true);
    expect([f.proto, f.dport, f.l4, f.ipLen]).toEqual([17, 0, false, 28]);
    expect(readFrameFlow(whole.subarray(0, 14 + 19), f)).toBe(false);
  });

  it('reads an IPv6 5-tuple after the extension headers (hop-by-hop, AH, destination options)', () => {
    const f = new Flow();
    const hbh = [51, 0, 1, 4, 0, 0, 0, 0]; // next AH, 8 bytes
    const ah = [60, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]; // next dstopts, (1 + 2) * 4 = 12 bytes
    const dst = [6, 0, 1, 4, 0, 0, 0, 0]; // next TCP
    const frame = eth6(ipv6(0, Uint8Array.from([...hbh, ...ah, ...dst, ...ports(5000, 22), 0, 0, 0, 0])));
    expect(readFrameFlow(frame, f)).toBe(true);
    expect([f.family, f.src.toString(), f.dst.toString(), f.proto, f.sport, f.dport, f.ipLen]).toEqual([
      Family.V6,
      '2001:db8::1',
      '2001:db8::2',
      6,
      5000,
      22,
      40 + 36,
    ]);
    expect(frameIpLength(frame)).toBe(76);
  });

  it('reads ICMPv6 types, and no ports from a non-first IPv6 fragment', () => {
    const f = new Flow();
    readFrameFlow(eth6(ipv6(58, Uint8Array.from([135, 0, 0, 0]))), f);
    expect([f.proto, f.icmpType, f.dportOrType]).toEqual([58, 135, 135]);
    const first = [17, 0, 0, 1, 0, 0, 0, 9]; // offset 0, more fragments
    readFrameFlow(eth6(ipv6(44, Uint8Array.from([...first, ...ports(1, 53), 0, 8]))), f);
    expect([f.proto, f.dport, f.l4]).toEqual([17, 53, true]);
    const later = [17, 0, 0, 8 * 2, 0, 0, 0, 9]; // offset 16
    readFrameFlow(eth6(ipv6(44, Uint8Array.from([...later, ...ports(1, 53)]))), f);
    expect([f.proto, f.dport, f.l4]).toEqual([17, 0, false]);
  });

  it('stops at a chain cut short and at no next header', () => {
    const f = new Flow();
    readFrameFlow(eth6(ipv6(0, Uint8Array.from([6, 3]))), f); // hop-by-hop of 32 bytes, 2 present
    expect([f.proto, f.l4]).toEqual([6, false]);
    readFrameFlow(eth6(ipv6(59, new Uint8Array(0))), f);
    expect([f.proto, f.l4, f.ipLen]).toEqual([59, false, 40]);
  });

  it('is not IP: false, and the frame length as its IP length', () => {
    const f = new Flow();
    const arpish = ethernet({ ...M, ethertype: 0x0806 }, new Uint8Array(28));
    expect(readFrameFlow(arpish, f)).toBe(false);
    expect(readFlow(arpish, 14, 0x0806, f)).toBe(false);
    expect(frameIpLength(arpish)).toBe(arpish.length);
    expect(frameIpLength(new Uint8Array(5))).toBe(5);
  });
});
