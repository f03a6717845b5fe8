/**
 * The guest's forwarding information base: local, broadcast and connected
 * routes derived from the interfaces' addresses (as the kernel's local and
 * main tables hold them), plus the machine file's routes. Longest prefix
 * wins; lookups are what the stack's routing decision, addrtype and the
 * host's ingress decision use.
 */
import { prefixMask } from '../packet/addr.js';
import { RouteType, type NetDevice } from '../netfilter/types.js';
import type { MachineSpec } from '../machine/spec.js';

export interface FibResult {
  readonly type: RouteType;
  /** Output device (lo for local addresses); null when unreachable. */
  readonly dev: NetDevice | null;
  /** Next hop: the gateway, or the destination itself when on-link. */
  readonly gateway: number;
}

interface Entry {
  readonly net: number;
  readonly mask: number;
  readonly prefix: number;
  readonly via: number;
  readonly dev: NetDevice;
}

const UNREACHABLE: FibResult = { type: RouteType.Unreachable, dev: null, gateway: 0 };

export class Fib {
  /** Local table: address -> type (Local or Broadcast), with its device. */
  private readonly local = new Map<number, { type: RouteType; dev: NetDevice }>();
  /** Main table, longest prefix first. */
  private readonly main: Entry[] = [];
  private readonly lo: NetDevice | undefined;

  constructor(spec: MachineSpec) {
    this.lo = spec.devices.find((d) => d.name === 'lo');
    for (const dev of spec.devices) {
      for (const a of dev.addrs) {
        const mask = prefixMask(a.prefix);
        this.local.set(a.addr, { type: RouteType.Local, dev });
        if (dev.name === 'lo') {
          // 127.0.0.0/8 is local as a whole on lo.
          continue;
        }
        if (a.prefix < 31) {
          this.setBroadcast(a.broadcast, dev);
          this.setBroadcast((a.addr & mask) >>> 0, dev);
        }
        this.main.push({ net: (a.addr & mask) >>> 0, mask, prefix: a.prefix, via: 0, dev });
      }
    }
    const byName = new Map(spec.devices.map((d) => [d.name, d]));
    for (const r of spec.routes) {
      const dev = byName.get(r.dev);
      if (!dev) throw new Error(`route ${r.dst}/${r.prefix} names unknown device ${r.dev}`);
      const mask = prefixMask(r.prefix);
      this.main.push({ net: (r.dst & mask) >>> 0, mask, prefix: r.prefix, via: r.via ?? 0, dev });
    }
    this.main.sort((a, b) => b.prefix - a.prefix);
  }

  private setBroadcast(addr: number, dev: NetDevice): void {
    if (!this.local.has(addr)) this.local.set(addr, { type: RouteType.Broadcast, dev });
  }

  /** Is `addr` one of the guest's own addresses (incl. 127/8)? */
  isLocal(addr: number): boolean {
    const l = this.local.get(addr);
    if (l) return l.type === RouteType.Local;
    return addr >>> 24 === 127;
  }

  /** The route the kernel would pick for a packet to `daddr`. */
  lookup(daddr: number): FibResult {
    const l = this.local.get(daddr);
    if (l) return { type: l.type, dev: l.type === RouteType.Local ? (this.lo ?? l.dev) : l.dev, gateway: daddr };
    if (daddr >>> 24 === 127 && this.lo) return { type: RouteType.Local, dev: this.lo, gateway: daddr };
    if (daddr === 0xffffffff) return { type: RouteType.Broadcast, dev: null, gateway: daddr };
    if (daddr >>> 28 === 0xe) return { type: RouteType.Multicast, dev: null, gateway: daddr };
    for (const e of this.main) {
      if (((daddr & e.mask) >>> 0) === e.net) {
        return { type: RouteType.Unicast, dev: e.dev, gateway: e.via || daddr };
      }
    }
    return UNREACHABLE;
  }

  /**
   * The address type as `inet_addr_type` reports it (addrtype's view): 0/8 and
   * 255.255.255.255 are BROADCAST, 224/4 MULTICAST, then the local table
   * decides (LOCAL, BROADCAST), and anything else is UNICAST.
   */
  addrType(addr: number): RouteType {
    if (addr >>> 24 === 0 || addr === 0xffffffff) return RouteType.Broadcast;
    if (addr >>> 28 === 0xe) return RouteType.Multicast;
    const l = this.local.get(addr);
    if (l) return l.type;
    if (addr >>> 24 === 127) return RouteType.Local;
    return RouteType.Unicast;
  }

  /**
   * The address type as seen from `dev` (`inet_dev_addr_type`, addrtype's
   * --limit-iface-*): a local-table entry counts only when it belongs to
   * `dev`; otherwise the address is UNICAST.
   */
  addrTypeOn(addr: number, dev: NetDevice): RouteType {
    if (addr >>> 24 === 0 || addr === 0xffffffff) return RouteType.Broadcast;
    if (addr >>> 28 === 0xe) return RouteType.Multicast;
    const l = this.local.get(addr);
    if (l) return l.dev === dev ? l.type : RouteType.Unicast;
    if (addr >>> 24 === 127) return dev.name === 'lo' ? RouteType.Local : RouteType.Unicast;
    return RouteType.Unicast;
  }

  /** The device whose connected subnet or route leads to `addr` (the ingress decision). */
  deviceFor(addr: number): NetDevice | null {
    // As lookup(addr).dev, without building a result (it runs for every captured frame).
    const l = this.local.get(addr);
    if (l) return l.type === RouteType.Local ? (this.lo ?? l.dev) : l.dev;
    if (addr >>> 24 === 127) return this.lo ?? null;
    if (addr === 0xffffffff || addr >>> 28 === 0xe) return null;
    for (const e of this.main) if (((addr & e.mask) >>> 0) === e.net) return e.dev;
    return null;
  }

  /** Primary address of `dev` on the subnet of `dst`, else its first address (inet_select_addr). */
  selectSource(dev: NetDevice | null, dst: number): number {
    if (!dev || dev.addrs.length === 0) {
      for (const d of this.localDevices()) if (d.addrs[0]) return d.addrs[0].addr;
      return 0;
    }
    for (const a of dev.addrs) {
      const m = prefixMask(a.prefix);
      if (((a.addr & m) >>> 0) === ((dst & m) >>> 0)) return a.addr;
    }
    return dev.addrs[0]!.addr;
  }

  private *localDevices(): Iterable<NetDevice> {
    const seen = new Set<NetDevice>();
    for (const { dev } of this.local.values()) {
      if (dev.name !== 'lo' && !seen.has(dev)) {
        seen.add(dev);
        yield dev;
      }
    }
  }
}
