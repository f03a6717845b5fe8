import { describe, expect, it } from 'vitest';
import { arp, ethernet, ipv4, udp } from '../packet/build.js';
import { parseMachineFile } from '../machine/machine-file.js';
import { Fib } from '../net/fib.js';
import { parseInetAddr } from '../packet/inet-addr.js';
import { FateKind } from '../netfilter/fate.js';
import type { FateMsg } from '../machine/passage/index.js';
import { bigintNs, nsecOfBigint, secOfBigint } from '../capture/timestamp.js';
import { FrameBatch } from '../capture/batch.js';
import { CapturedFrame } from '../capture/types.js';
import { ConetDaemon, ConservationError, decideIngress, type SourceFrame } from './daemon.js';

interface Outcome {
  fate: FateMsg;
  frame: SourceFrame | undefined;
  unit: number;
  tsNs: bigint;
}
const collect = (out: Outcome[]) => (fate: FateMsg, frame: SourceFrame | undefined, unit: number, tsSec: number, tsNsec: number) =>
  void out.push({ fate: { ...fate }, frame, unit, tsNs: bigintNs(tsSec, tsNsec) });
/** A frame's time fields, as CaptureFrame has them. */
const at = (tsNs: bigint) => ({ tsSec: secOfBigint(tsNs), tsNsec: nsecOfBigint(tsNs), tsNs });

const SPEC = parseMachineFile(
  `interfaces:
  - name: eth0
    mac: "02:00:00:00:00:01"
    addresses: [198.51.100.1/24]
  - name: eth1
    mac: "02:00:00:00:01:01"
    addresses: [192.0.2.1/24]
  - name: eth2
    mac: "02:00:00:00:02:01"
    addresses: [10.9.0.1/16, 2001:db8:9::1/48]
routes:
  - to: 10.0.0.0/8
    via: 10.9.0.254
  - to: default
    via: 198.51.100.254
  - to: 2001:db8::/32
    via: 2001:db8:9::fe
`,
  'm.yaml',
);
const fib = new Fib(SPEC);
const M = { src: '02:00:00:00:00:99', dst: '02:00:00:00:00:01' };
const pkt = (src: string, dst = '198.51.100.1', vlan?: number): Uint8Array =>
  ethernet({ ...M, ...(vlan ? { vlan } : {}) }, ipv4({ src, dst }, udp({ sport: 1, dport: 2 })));
const ing = (data: Uint8Array, ifName?: string) => decideIngress({ data, ifName }, fib, SPEC.devices);
/** An IPv6 frame (a bare 40-byte header, next header 59: none) from `src`. */
const pkt6 = (src: string): Uint8Array => {
  const ip = new Uint8Array(40);
  ip[0] = 0x60;
  ip[6] = 59;
  ip[7] = 64;
  parseInetAddr(src)!.write(ip, 8);
  parseInetAddr('2001:db8:9::1')!.write(ip, 24);
  return ethernet({ ...M, ethertype: 0x86dd }, ip);
};

describe('conet ingress decision', () => {
  it('a guest source address is locally generated (OUTPUT)', () => {
    expect(ing(pkt('192.0.2.1'))).toEqual({ unit: 0, output: true });
    expect(ing(pkt('127.0.0.1'))).toEqual({ unit: 0, output: true });
  });
  it('other sources enter on the unit of the route back to them', () => {
    expect(ing(pkt('192.0.2.77'))).toEqual({ unit: 1, output: false });
    expect(ing(pkt('10.9.3.3'))).toEqual({ unit: 2, output: false });
    expect(ing(pkt('10.200.0.1'))).toEqual({ unit: 2, output: false }); // 10/8 via eth2
    expect(ing(pkt('203.0.113.5'))).toEqual({ unit: 0, output: false }); // default route last
    expect(ing(pkt('192.0.2.77', '198.51.100.1', 5))).toEqual({ unit: 1, output: false }); // through a VLAN tag
  });
  it('a pcapng interface name that names a guest interface overrides', () => {
    expect(ing(pkt('203.0.113.5'), 'eth1')).toEqual({ unit: 1, output: false });
    expect(ing(pkt('203.0.113.5'), 'wlan0')).toEqual({ unit: 0, output: false });
    expect(ing(pkt('192.0.2.1'), 'eth2')).toEqual({ unit: 2, output: true });
  });
  it('with the inbound direction flag, even a packet from a guest address arrives on the named interface', () => {
    const dir = (data: Uint8Array, ifName: string | undefined, direction: 'in' | 'out') => decideIngress({ data, ifName, direction }, fib, SPEC.devices);
    expect(dir(pkt('192.0.2.1'), 'eth0', 'in')).toEqual({ unit: 0, output: false });
    expect(dir(pkt('127.0.0.1'), 'eth2', 'in')).toEqual({ unit: 2, output: false });
    expect(dir(pkt6('2001:db8:9::1'), 'eth1', 'in')).toEqual({ unit: 1, output: false });
    expect(dir(pkt('192.0.2.1'), 'eth0', 'out')).toEqual({ unit: 0, output: true });
    expect(dir(pkt('192.0.2.1'), undefined, 'in')).toEqual({ unit: 0, output: true });
    expect(dir(pkt('192.0.2.1'), 'wlan0', 'in')).toEqual({ unit: 0, output: true });
  });
  it('IPv6 frames: the same decision in the IPv6 table', () => {
    expect(ing(pkt6('2001:db8:9::1'))).toEqual({ unit: 0, output: true });
    expect(ing(pkt6('::1'))).toEqual({ unit: 0, output: true });
    expect(ing(pkt6('2001:db8:9:5::7'))).toEqual({ unit: 2, output: false }); // connected /48 on eth2
    expect(ing(pkt6('2001:db8:ff::7'))).toEqual({ unit: 2, output: false }); // 2001:db8::/32 via eth2
    expect(ing(pkt6('2620:0:ccc::2'))).toEqual({ unit: 0, output: false }); // no IPv6 default route: the first unit
    expect(ing(pkt6('2001:db8:ff::7'), 'eth1')).toEqual({ unit: 1, output: false });
    const d = new ConetDaemon(SPEC, () => {});
    d.submit({ ...at(1n), data: pkt6('2001:db8:ff::7'), origLen: 54, file: 'a.pcap', index: 1 });
    expect([d.unit, d.output]).toEqual([2, false]);
    d.submit({ ...at(2n), data: pkt6('2001:db8:9::1'), origLen: 54, file: 'a.pcap', index: 2 });
    expect([d.unit, d.output]).toEqual([0, true]);
  });
  it('non-IPv4 frames are delivered for the bridge', () => {
    const a = ethernet({ src: M.src, dst: 'ff:ff:ff:ff:ff:ff', ethertype: 0x0806 }, arp(1, M.src, '192.0.2.77', '00:00:00:00:00:00', '192.0.2.1'));
    expect(ing(a)).toEqual({ unit: 0, output: false });
    expect(ing(a, 'eth1')).toEqual({ unit: 1, output: false });
    expect(ing(new Uint8Array(10))).toEqual({ unit: 0, output: false });
  });
});

describe('conet daemon accounting', () => {
  const frame = (i: number) => ({ ...at(BigInt(i)), data: pkt('203.0.113.5'), origLen: 42, file: 'a.pcap', index: i });

  it('pairs fates with in-flight frames and keeps only those', () => {
    const out: Outcome[] = [];
    const d = new ConetDaemon(SPEC, collect(out));
    const a = d.submit(frame(1));
    expect([d.unit, d.output]).toEqual([0, false]);
    const b = d.submit(frame(2));
    expect([a, b]).toEqual([1, 2]);
    expect(d.pending).toBe(2);
    d.fate({ kind: FateKind.DroppedByRule, frameNo: 2, unit: -1, site: { table: 'filter', chain: 'INPUT', rule: 1 }, tsNs: 9n });
    d.fate({ kind: FateKind.Generated, frameNo: 2, unit: 0, frame: new Uint8Array(54), tsNs: 9n });
    expect(d.pending).toBe(1);
    expect(out[0]!.frame!.index).toBe(2);
    expect(out[0]!.unit).toBe(0);
    expect(out[0]!.tsNs).toBe(2n);
    expect(out[1]!.frame).toBeUndefined();
    expect(out[1]!.tsNs).toBe(9n);
    expect(() => d.assertConservation()).toThrow(ConservationError);
    d.fate({ kind: FateKind.Delivered, frameNo: 1, unit: -1, tsNs: 9n });
    d.assertConservation();
    expect(d.generated).toBe(1);
    expect(() => d.fate({ kind: FateKind.Delivered, frameNo: 1, unit: -1, tsNs: 9n })).toThrow(/already has a fate/);
  });

  it('keeps frames the guest holds for long (beyond a ring of later frames) and finds them again', () => {
    const out: Outcome[] = [];
    const d = new ConetDaemon(SPEC, collect(out));
    const first = d.submit(frame(1));
    for (let i = 2; i <= 70_000; i++) d.fate({ kind: FateKind.Delivered, frameNo: d.submit(frame(i)), unit: -1, tsNs: 0n });
    expect(d.pending).toBe(1);
    d.fate({ kind: FateKind.DroppedByStack, frameNo: first, unit: -1, reason: 'FRAG_REASM_TIMEOUT', tsNs: 0n });
    expect(out.at(-1)!.frame!.index).toBe(1);
    expect(() => d.fate({ kind: FateKind.Delivered, frameNo: first, unit: -1, tsNs: 0n })).toThrow(/already has a fate/);
    expect(() => d.fate({ kind: FateKind.Delivered, frameNo: 80_000, unit: -1, tsNs: 0n })).toThrow(/never sent/);
    d.assertConservation();
  });

  it('keeps frames of a batch as places in it, and copies the ones the guest holds for long', () => {
    const piece = new Uint8Array(2000);
    const data = pkt('192.0.2.9');
    piece.set(data, 100);
    const batch = new FrameBatch(4);
    batch.add(piece, 100, data.length, 60, 0, 5, 7, 1, 'a.pcap', 1, 124);
    const seen: Array<{ index: number; data: number[]; unit: number; tsNs: bigint }> = [];
    const d = new ConetDaemon(SPEC, (_f, frame, unit, tsSec, tsNsec) => {
      if (frame) seen.push({ index: frame.index, data: [...frame.data], unit, tsNs: bigintNs(tsSec, tsNsec) });
    });
    const first = d.submitAt(batch, 0);
    expect([d.unit, d.output]).toEqual([1, false]);
    for (let i = 2; i <= 70_000; i++) d.fate({ kind: FateKind.Delivered, frameNo: d.submit(frame(i)), unit: -1, tsNs: 0n });
    // Held: a copy of its own, not a view of the piece.
    piece.fill(0);
    d.fate({ kind: FateKind.DroppedByStack, frameNo: first, unit: -1, reason: 'FRAG_REASM_TIMEOUT', tsNs: 0n });
    expect(seen.at(-1)).toEqual({ index: 1, data: [...data], unit: 1, tsNs: 5_000_000_007n });
    piece.set(data, 100);
    const second = d.submitAt(batch, 0);
    d.fate({ kind: FateKind.Delivered, frameNo: second, unit: -1, tsNs: 0n });
    expect(seen.at(-1)).toEqual({ index: 1, data: [...data], unit: 1, tsNs: 5_000_000_007n });
    d.failNewAt(batch, 0, 'closed', 'guest-oops');
    d.assertConservation();
  });

  it('gives a frame read from a capture and held for long the fail policy with its own time', () => {
    const out: Outcome[] = [];
    const d = new ConetDaemon(SPEC, collect(out));
    const first = d.submit(new CapturedFrame(5, 7, pkt('192.0.2.9'), 60, 0, 1, 'a.pcap', 1, 24));
    for (let i = 2; i <= 70_000; i++) d.fate({ kind: FateKind.Delivered, frameNo: d.submit(frame(i)), unit: -1, tsNs: 0n });
    d.failInFlight('closed', 'guest-oops');
    d.assertConservation();
    expect(out.at(-1)!.fate).toMatchObject({ frameNo: first, kind: FateKind.FailPolicy, tsNs: 5_000_000_007n });
    expect(out.at(-1)!.tsNs).toBe(5_000_000_007n);
  });

  it('applies the fail policy to frames in flight and to frames that never reach the guest', () => {
    const out: Outcome[] = [];
    const d = new ConetDaemon(SPEC, collect(out));
    d.submit(frame(1));
    d.submit(frame(2));
    d.fate({ kind: FateKind.Delivered, frameNo: 1, unit: -1, tsNs: 1n });
    d.failInFlight('closed', 'guest-oops');
    d.failNew(frame(3), 'closed', 'guest-oops');
    d.assertConservation();
    expect(out.map((o) => [o.fate.frameNo, o.fate.kind, o.fate.reason])).toEqual([
      [1, FateKind.Delivered, undefined],
      [2, FateKind.FailPolicy, 'guest-oops'],
      [3, FateKind.FailPolicy, 'guest-oops'],
    ]);
  });
});
