/**
 * Building blocks of the golden scenarios: a capture under construction with
 * fixed timestamps, the reference topology's addresses and MACs, and a seeded
 * random source, so that every run writes the same bytes.
 */
import { ethernet, type EthFields } from '../../../src/packet/build.js';

/** The firewall's interfaces (the oracle's topology, machine.yaml). */
export const FW_ETH0_MAC = '02:00:00:00:00:01';
export const FW_ETH1_MAC = '02:00:00:00:01:01';
/** The router on the outside (198.51.100.254) and the inside host's MACs. */
export const WIRE_MAC = '02:00:00:00:00:02';
export const HOST_MAC = '02:00:00:00:01:02';

/** Unicast from the outside router to eth0. */
export const WIRE: EthFields = { src: WIRE_MAC, dst: FW_ETH0_MAC };
/** Unicast from an inside host to eth1. */
export const HOST: EthFields = { src: HOST_MAC, dst: FW_ETH1_MAC };
/** Ethernet broadcast from the inside. */
export const BCAST_HOST: EthFields = { src: HOST_MAC, dst: 'ff:ff:ff:ff:ff:ff' };
/** Ethernet broadcast from the outside. */
export const BCAST_WIRE: EthFields = { src: WIRE_MAC, dst: 'ff:ff:ff:ff:ff:ff' };
/** Ethernet multicast for 224.0.0.1 (all hosts) from the inside. */
export const MCAST_ALL_HOSTS: EthFields = { src: HOST_MAC, dst: '01:00:5e:00:00:01' };

/** The oracle's IPv4 topology as a machine file (test/golden/machine.yaml), for scenarios that add keys to it. */
export const ORACLE_MACHINE = `hostname: cofw-sample
interfaces:
  - name: eth0
    mac: "02:00:00:00:00:01"
    addresses: [198.51.100.1/24]
  - name: eth1
    mac: "02:00:00:00:01:01"
    addresses: [192.0.2.1/24]
routes:
  - to: default
    via: 198.51.100.254
    dev: eth0
fail: closed
`;

/** The oracle's topology with its IPv6 addresses and routes, as a machine file (for scenarios with ip6tables rules). */
export const DUAL_STACK_MACHINE = `hostname: cofw-dual-stack
interfaces:
  - name: eth0
    mac: "02:00:00:00:00:01"
    addresses: [198.51.100.1/24, 2001:db8:100::1/64]
  - name: eth1
    mac: "02:00:00:00:01:01"
    addresses: [192.0.2.1/24, 2001:db8:2::1/64]
routes:
  - to: default
    via: 198.51.100.254
    dev: eth0
  - to: default
    via: 2001:db8:100::fe
    dev: eth0
fail: closed
`;

/** 2026-01-01T00:00:00Z in nanoseconds: every capture starts here. */
export const EPOCH_NS = 1_767_225_600_000_000_000n;

export interface Frame {
  tsNs: bigint;
  data: Uint8Array;
  /** pcapng only: the interface the frame was captured on, and that it was received there. */
  ifName?: string;
  direction?: 'in' | 'out';
}

/**
 * A capture under construction. Frames are `stepMs` apart (2 ms by default),
 * enough for the oracle to keep their order across interfaces.
 */
export class Capture {
  readonly frames: Frame[] = [];
  private t = EPOCH_NS;
  constructor(private readonly stepNs = 2_000_000n) {}

  add(frame: Uint8Array): void {
    this.frames.push({ tsNs: this.t, data: frame });
    this.t += this.stepNs;
  }
  /** Lets `ms` milliseconds pass before the next frame. */
  pause(ms: number): void {
    this.t += BigInt(Math.round(ms * 1_000_000));
  }
  /** An IP packet arriving from the outside on eth0. */
  wire(ip: Uint8Array, l2: EthFields = WIRE): void {
    this.add(ethernet(l2, ip));
  }
  /** An IP packet arriving from the inside on eth1. */
  host(ip: Uint8Array, l2: EthFields = HOST): void {
    this.add(ethernet(l2, ip));
  }
  /** An IPv6 packet arriving from the outside on eth0. */
  wire6(ip: Uint8Array): void {
    this.add(ethernet({ ...WIRE, ethertype: 0x86dd }, ip));
  }
  /** An IPv6 packet arriving from the inside on eth1. */
  host6(ip: Uint8Array): void {
    this.add(ethernet({ ...HOST, ethertype: 0x86dd }, ip));
  }
  /** A locally generated packet (its source is one of the firewall's addresses). */
  local(ip: Uint8Array): void {
    this.add(ethernet({ src: FW_ETH0_MAC, dst: WIRE_MAC }, ip));
  }
}

/** A seeded pseudo-random source (mulberry32): same seed, same sequence. */
export function seeded(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [lo, hi] from `r`. */
export function between(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

/** One element of `xs` from `r`. */
export function pick<T>(r: () => number, xs: readonly T[]): T {
  const x = xs[Math.floor(r() * xs.length)];
  if (x === undefined) throw new Error('pick from an empty list');
  return x;
}

/** `n` bytes of filler. */
export function payload(n: number, fill = 0x61): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

/** What a scenario builder returns: the rule file's text and the capture. */
export interface Scenario {
  rules: string;
  capture: Capture;
}
