/**
 * A Linux bridge in the guest (net/bridge/): its ports, its forwarding
 * database and the layer-2 decision br_handle_frame_finish takes for a
 * frame. The netfilter side (br_netfilter: which iptables hooks a bridged
 * IPv4 or IPv6 packet crosses, with which devices) is the stack's, in
 * src/net/ipv4/stack.ts.
 *
 * - Forwarding database: the source MAC of every frame a port receives
 *   (once the bridge's PREROUTING let it through) is learned on that port
 *   (br_fdb_update); an entry not refreshed for 300 s (ageing_time) is
 *   forgotten. The bridge's own MAC and its ports' MACs are local entries
 *   that are never learned elsewhere.
 * - Decision on the destination MAC: the bridge's own or a port's MAC:
 *   local (passed up to the bridge device); broadcast and multicast:
 *   flooded to every other port and passed up (no multicast snooping
 *   state: with no querier, unknown groups are flooded); a unicast MAC
 *   learned on a port: forwarded out of it (dropped when that is the port
 *   it came in by); an unknown unicast MAC: flooded to every other port.
 * - Flooding follows the port list, which the kernel keeps newest first
 *   (br_add_if adds at the head): the ports in the reverse of the machine
 *   file's order.
 * - The neighbours the stack needs to address a routed packet leaving by
 *   the bridge (cofw has no ARP or neighbour discovery) are learned from
 *   the IP sources of the frames the ports receive.
 *
 * Nothing here runs when the machine declares no bridge.
 */
import type { BridgeConfig, NetDevice } from '../netfilter/types.js';

/** BR_DEFAULT_AGEING_TIME: 300 s. */
const AGEING_NS = 300_000_000_000;

/** A MAC at `off` as one number (48 bits fit a double exactly). */
export function macKey(b: Uint8Array, off: number): number {
  return (b[off]! * 0x10000 + ((b[off + 1]! << 8) | b[off + 2]!)) * 0x1000000 + ((b[off + 3]! << 16) | (b[off + 4]! << 8) | b[off + 5]!);
}

/** The layer-2 decision for a frame (br_handle_frame_finish). */
export const enum L2 {
  /** To the bridge's own MAC: passed up to the bridge device. */
  Local = 0,
  /** To a port's MAC: passed up too, as another host's (PACKET_OTHERHOST). */
  LocalOther = 1,
  /** Broadcast or multicast: flooded to the other ports and passed up. */
  FloodLocal = 2,
  /** Unknown unicast: flooded to the other ports. */
  Flood = 3,
  /** Learned on a port: forwarded out of it. */
  Forward = 4,
  /** Learned on the port it came in by: dropped. */
  SamePort = 5,
}

export class Bridge {
  /** The ports in flooding order (newest first). */
  readonly floodOrder: readonly NetDevice[];
  private readonly fdb = new Map<number, { port: NetDevice; seenNs: number }>();
  private readonly local = new Set<number>();
  private readonly ownKey: number;
  /** IPv4 neighbours (address -> MAC) and IPv6 ones (text -> MAC), learned from received frames. */
  private readonly neigh4 = new Map<number, Uint8Array>();
  private readonly neigh6 = new Map<string, Uint8Array>();
  /** The port `decide` found for a Forward or SamePort decision. */
  port: NetDevice | null = null;

  constructor(
    readonly dev: NetDevice,
    readonly cfg: BridgeConfig,
    ports: readonly NetDevice[],
  ) {
    this.floodOrder = [...ports].reverse();
    this.ownKey = macKey(dev.mac, 0);
    this.local.add(this.ownKey);
    for (const p of ports) this.local.add(macKey(p.mac, 0));
  }

  /** br_fdb_update: the frame's source MAC is on `port` (a local MAC is never moved). */
  learn(frame: Uint8Array, port: NetDevice, nowNs: number): void {
    const k = macKey(frame, 6);
    if (this.local.has(k)) return;
    const e = this.fdb.get(k);
    if (e) {
      e.port = port;
      e.seenNs = nowNs;
    } else this.fdb.set(k, { port, seenNs: nowNs });
  }

  /** The port a unicast MAC was learned on (within the ageing time), or null. */
  portOf(frame: Uint8Array, off: number, nowNs: number): NetDevice | null {
    const e = this.fdb.get(macKey(frame, off));
    return e && nowNs - e.seenNs <= AGEING_NS ? e.port : null;
  }

  /** The decision for a frame to `frame[0..6)` that came in by `inPort` (null: from the bridge device itself). */
  decide(frame: Uint8Array, inPort: NetDevice | null, nowNs: number): L2 {
    if (frame[0]! & 1) return L2.FloodLocal;
    const k = macKey(frame, 0);
    if (k === this.ownKey) return L2.Local;
    if (this.local.has(k)) return L2.LocalOther;
    const p = this.portOf(frame, 0, nowNs);
    this.port = p;
    if (!p) return L2.Flood;
    return p === inPort ? L2.SamePort : L2.Forward;
  }

  /** Is `mac` (at `off`) the bridge's own? */
  isOwn(frame: Uint8Array, off: number): boolean {
    return macKey(frame, off) === this.ownKey;
  }

  /** Learns that IPv4 `addr` is at the frame's source MAC. */
  learnNeigh4(addr: number, frame: Uint8Array): void {
    if (frame[6]! & 1) return;
    const known = this.neigh4.get(addr);
    if (known && macKey(known, 0) === macKey(frame, 6)) return;
    this.neigh4.set(addr, frame.slice(6, 12));
  }

  learnNeigh6(addr: string, frame: Uint8Array): void {
    if (frame[6]! & 1) return;
    const known = this.neigh6.get(addr);
    if (known && macKey(known, 0) === macKey(frame, 6)) return;
    this.neigh6.set(addr, frame.slice(6, 12));
  }

  neighbour4(addr: number): Uint8Array | undefined {
    return this.neigh4.get(addr);
  }

  neighbour6(addr: string): Uint8Array | undefined {
    return this.neigh6.get(addr);
  }
}
