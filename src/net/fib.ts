/**
 * The guest's forwarding information base: local, broadcast and connected
 * routes derived from the interfaces' addresses (as the kernel's local and
 * main tables hold them), plus the machine file's routes. Longest prefix
 * wins; lookups are what the stack's routing decision, addrtype and the
 * host's ingress decision use.
 *
 * Two tables, one per family. The IPv4 one works on addresses as unsigned
 * 32-bit numbers (a map and a short array, no allocation but the result):
 * it is on the per-packet path, and its methods say so in their names
 * (`lookupV4`, `deviceForV4`, `isLocalV4`...). The IPv6 one (`v6`, a Fib6,
 * src/net/fib6.ts) holds the IPv6 addresses and routes for the IPv6 stack.
 * The methods without a family in their name take an `InetAddr` of either
 * family and ask the table of its family.
 *
 * @example
 * const fib = new Fib(spec);
 * fib.lookupV4(0xcb007105).dev;               // the hot path
 * fib.lookup(parseInetAddr('2001:db8::5')!);  // either family
 */
import { prefixMask } from '../packet/addr.js';
import { Family, InetAddr } from '../packet/inet-addr.js';
import { RouteType, type NetDevice } from '../netfilter/types.js';
import type { MachineSpec } from '../machine/spec.js';
import { Fib6 } from './fib6.js';

/** A route lookup's answer, addresses of either family. */
export interface FibResult {
  readonly type: RouteType;
  /** Output device (lo for local addresses); null when unreachable. */
  readonly dev: NetDevice | null;
  /** Next hop: the gateway, or the destination itself when on-link. */
  readonly gateway: InetAddr;
}

/** An IPv4 route lookup's answer, the gateway as a number (the per-packet path). */
export interface FibResultV4 {
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

const UNREACHABLE: FibResultV4 = { type: RouteType.Unreachable, dev: null, gateway: 0 };

export class Fib {
  /** Local table: address -> type (Local or Broadcast), with its device. */
  private readonly local = new Map<number, { type: RouteType; dev: NetDevice }>();
  /** Main table, longest prefix first. */
  private readonly main: Entry[] = [];
  private readonly lo: NetDevice | undefined;
  /** The IPv6 table: the machine's IPv6 addresses and routes. */
  readonly v6: Fib6;

  constructor(spec: MachineSpec) {
    this.lo = spec.devices.find((d) => d.name === 'lo');
    for (const dev of spec.devices) {
      for (const a of dev.addrs) {
        if (a.addr.family !== Family.V4) continue;
        const addr = a.addr.w0;
        const mask = prefixMask(a.prefix);
        this.local.set(addr, { type: RouteType.Local, dev });
        if (dev.name === 'lo') {
          // 127.0.0.0/8 is local as a whole on lo.
          continue;
        }
        // The subnet's broadcast address only: the reference kernel (6.18) no longer adds a broadcast
        // route for the network address (`ip route show table local`), so that one is an ordinary unicast.
        if (a.prefix < 31) this.setBroadcast(a.broadcast ? a.broadcast.w0 : (addr | ~mask) >>> 0, dev);
        this.main.push({ net: (addr & mask) >>> 0, mask, prefix: a.prefix, via: 0, dev });
      }
    }
    const byName = new Map(spec.devices.map((d) => [d.name, d]));
    for (const r of spec.routes) {
      if (r.dst.family !== Family.V4) continue;
      const dev = byName.get(r.dev);
      if (!dev) throw new Error(`route ${r.dst.toString()}/${r.prefix} names unknown device ${r.dev}`);
      if (r.via && r.via.family !== Family.V4) throw new Error(`route ${r.dst.toString()}/${r.prefix}: gateway ${r.via.toString()} is not an IPv4 address`);
      const mask = prefixMask(r.prefix);
      this.main.push({ net: (r.dst.w0 & mask) >>> 0, mask, prefix: r.prefix, via: r.via ? r.via.w0 : 0, dev });
    }
    this.main.sort((a, b) => b.prefix - a.prefix);
    this.v6 = new Fib6(spec.devices, spec.routes);
  }

  private setBroadcast(addr: number, dev: NetDevice): void {
    if (!this.local.has(addr)) this.local.set(addr, { type: RouteType.Broadcast, dev });
  }

  /** Is the IPv4 address `addr` one of the guest's own addresses (incl. 127/8)? */
  isLocalV4(addr: number): boolean {
    const l = this.local.get(addr);
    if (l) return l.type === RouteType.Local;
    return addr >>> 24 === 127;
  }

  /** The route the kernel would pick for an IPv4 packet to `daddr`. */
  lookupV4(daddr: number): FibResultV4 {
    const l = this.local.get(daddr);
    if (l) return { type: l.type, dev: l.type === RouteType.Local ? (this.lo ?? l.dev) : l.dev, gateway: daddr };
    if (daddr >>> 24 === 127 && this.lo) return { type: RouteType.Local, dev: this.lo, gateway: daddr };
    if (daddr === 0xffffffff) return { type: RouteType.Broadcast, dev: null, gateway: daddr };
    if (daddr >>> 28 === 0xe) return { type: RouteType.Multicast, dev: null, gateway: daddr };
    for (const e of this.main) {
      if ((daddr & e.mask) >>> 0 === e.net) {
        return { type: RouteType.Unicast, dev: e.dev, gateway: e.via || daddr };
      }
    }
    return UNREACHABLE;
  }

  /**
   * The kernel's plain `fib_lookup` of the IPv4 address `addr`, as
   * xt_rpfilter asks it for the route back to a packet's source: the local
   * table first (the guest's addresses, LOCAL on the interface that holds
   * them, 127.0.0.0/8 LOCAL on lo; subnet and network broadcast addresses
   * BROADCAST), then the longest prefix of the main table (UNICAST with the
   * next hop's device), else UNREACHABLE. Unlike `lookupV4` (the output
   * route), 255.255.255.255 and multicast addresses have no route of their
   * own here: the main table answers for them (the default route). No
   * policy routing: the mark and TOS of the flow play no part.
   */
  fibLookupV4(addr: number): { readonly type: RouteType; readonly dev: NetDevice | null } {
    const l = this.local.get(addr);
    if (l) return l;
    if (addr >>> 24 === 127) return this.lo ? { type: RouteType.Local, dev: this.lo } : UNREACHABLE;
    for (const e of this.main) if ((addr & e.mask) >>> 0 === e.net) return { type: RouteType.Unicast, dev: e.dev };
    return UNREACHABLE;
  }

  /**
   * The IPv4 address type as `inet_addr_type` reports it (addrtype's view):
   * 0/8 and 255.255.255.255 are BROADCAST, 224/4 MULTICAST, then the local
   * table decides (LOCAL, BROADCAST), and anything else is UNICAST.
   */
  addrTypeV4(addr: number): RouteType {
    if (addr >>> 24 === 0 || addr === 0xffffffff) return RouteType.Broadcast;
    if (addr >>> 28 === 0xe) return RouteType.Multicast;
    const l = this.local.get(addr);
    if (l) return l.type;
    if (addr >>> 24 === 127) return RouteType.Local;
    return RouteType.Unicast;
  }

  /**
   * The IPv4 address type as seen from `dev` (`inet_dev_addr_type`,
   * addrtype's --limit-iface-*): a local-table entry counts only when it
   * belongs to `dev`; otherwise the address is UNICAST.
   */
  addrTypeOnV4(addr: number, dev: NetDevice): RouteType {
    if (addr >>> 24 === 0 || addr === 0xffffffff) return RouteType.Broadcast;
    if (addr >>> 28 === 0xe) return RouteType.Multicast;
    const l = this.local.get(addr);
    if (l) return l.dev === dev ? l.type : RouteType.Unicast;
    if (addr >>> 24 === 127) return dev.name === 'lo' ? RouteType.Local : RouteType.Unicast;
    return RouteType.Unicast;
  }

  /** The device whose connected subnet or route leads to the IPv4 address `addr` (the ingress decision). */
  deviceForV4(addr: number): NetDevice | null {
    // As lookupV4(addr).dev, without building a result (it runs for every captured frame).
    const l = this.local.get(addr);
    if (l) return l.type === RouteType.Local ? (this.lo ?? l.dev) : l.dev;
    if (addr >>> 24 === 127) return this.lo ?? null;
    if (addr === 0xffffffff || addr >>> 28 === 0xe) return null;
    for (const e of this.main) if ((addr & e.mask) >>> 0 === e.net) return e.dev;
    return null;
  }

  /**
   * Primary IPv4 address of `dev` on the subnet of `dst`, else its first
   * IPv4 address (inet_select_addr); without one, the first IPv4 address of
   * another interface; 0 when there is none.
   */
  selectSourceV4(dev: NetDevice | null, dst: number): number {
    const first = dev ? firstV4(dev) : undefined;
    if (!dev || first === undefined) {
      for (const d of this.localDevices()) {
        const a = firstV4(d);
        if (a !== undefined) return a;
      }
      return 0;
    }
    for (const a of dev.addrs) {
      if (a.addr.family !== Family.V4) continue;
      const m = prefixMask(a.prefix);
      if ((a.addr.w0 & m) >>> 0 === (dst & m) >>> 0) return a.addr.w0;
    }
    return first;
  }

  /** Is `addr` (either family) one of the guest's own addresses? */
  isLocal(addr: InetAddr): boolean {
    return addr.family === Family.V6 ? this.v6.isLocal(addr) : this.isLocalV4(addr.w0);
  }

  /** The route the kernel would pick for a packet to `daddr` (either family). */
  lookup(daddr: InetAddr): FibResult {
    if (daddr.family === Family.V6) return this.v6.lookup(daddr);
    const r = this.lookupV4(daddr.w0);
    return { type: r.type, dev: r.dev, gateway: InetAddr.v4(r.gateway) };
  }

  /** The device a packet to `addr` (either family) would leave on, lo for local addresses; null when unroutable. */
  deviceFor(addr: InetAddr): NetDevice | null {
    return addr.family === Family.V6 ? this.v6.deviceFor(addr) : this.deviceForV4(addr.w0);
  }

  /** The address type of `addr` (either family): `addrTypeV4`, or the IPv6 table's `addrType`. */
  addrType(addr: InetAddr): RouteType {
    return addr.family === Family.V6 ? this.v6.addrType(addr) : this.addrTypeV4(addr.w0);
  }

  /** The address type of `addr` (either family) as seen from `dev`. */
  addrTypeOn(addr: InetAddr, dev: NetDevice): RouteType {
    return addr.family === Family.V6 ? this.v6.addrTypeOn(addr, dev) : this.addrTypeOnV4(addr.w0, dev);
  }

  /** A source address of `dst`'s family for a packet to `dst` leaving on `dev`; undefined when the machine has none. */
  selectSource(dev: NetDevice | null, dst: InetAddr): InetAddr | undefined {
    if (dst.family === Family.V6) return this.v6.selectSource(dev, dst);
    const a = this.selectSourceV4(dev, dst.w0);
    return a === 0 ? undefined : InetAddr.v4(a);
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

/** The first IPv4 address of `dev`, as a number, or undefined. */
function firstV4(dev: NetDevice): number | undefined {
  for (const a of dev.addrs) if (a.addr.family === Family.V4) return a.addr.w0;
  return undefined;
}
