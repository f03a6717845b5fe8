/**
 * The guest's IPv6 routing table, kept apart from the IPv4 one (src/net/fib.ts
 * owns both) and of the same shape, ready for the IPv6 stack:
 *
 * - a local table: each interface's IPv6 addresses (type LOCAL) and, since
 *   the firewall forwards (a router, `net.ipv6.conf.all.forwarding=1`), the
 *   subnet-router anycast address of each prefix shorter than /127 (type
 *   ANYCAST), as addrconf adds them to the kernel's local table; `::1` is
 *   local whether or not `lo` lists it;
 * - a main table: the connected prefix of each address on its interface and
 *   the machine file's IPv6 routes, longest prefix first (a connected route
 *   before a configured one of the same length).
 *
 * Lookups take an `InetAddr` of family IPv6 and read it without keeping it;
 * the scans allocate nothing (results are fresh records, as the IPv4
 * table's are). A machine has a handful of addresses and routes, so both
 * tables are short arrays.
 *
 * Not modelled yet: link-local addresses and the fe80::/64 route the kernel
 * gives every interface, neighbour discovery, route metrics and source
 * address selection beyond "an address of the output interface on the
 * destination's prefix, else its first" (RFC 6724 ranks more).
 *
 * @example
 * const t = new Fib6(spec.devices, spec.routes);
 * t.lookup(parseInetAddr('2001:db8:1::5')!); // { type: RouteType.Unicast, dev: eth1, gateway: 2001:db8:1::5 }
 */
import { Family, InetAddr } from '../packet/inet-addr.js';
import { RouteType, type NetDevice } from '../netfilter/types.js';
import { RT_TABLE_LOCAL, RT_TABLE_MAIN, type RouteSpec, type RuleSpec } from '../machine/spec.js';
import type { FibResult } from './fib.js';
import { PolicyRouting, routeKindType, type PolicyResult, type PolicyRoute } from './policy.js';

interface Entry6 {
  readonly net: InetAddr;
  readonly mask: InetAddr;
  readonly prefix: number;
  readonly via: InetAddr | null;
  readonly dev: NetDevice;
  /** UNICAST, or BLACKHOLE, UNREACHABLE, PROHIBIT, THROW for routes that send nothing. */
  readonly type: RouteType;
}

/** The answer of an IPv6 lookup that went through the rules: a FibResult, and the ICMPv6 code a forwarded packet gets back without a route. */
export interface FibResult6 extends FibResult {
  /** ICMPv6 destination unreachable code (0 no route, 1 administratively prohibited), -1 for none (blackhole). */
  readonly code: number;
}

interface Local6 {
  readonly addr: InetAddr;
  readonly type: RouteType.Local | RouteType.Anycast;
  readonly dev: NetDevice;
}

/** ::1 */
const LOOPBACK6 = InetAddr.v6(0, 0, 0, 1);

function isMulticast6(a: InetAddr): boolean {
  return a.w0 >>> 24 === 0xff;
}

export class Fib6 {
  /** Local table: own addresses and subnet-router anycast addresses, with their devices. */
  private readonly local: Local6[] = [];
  /** Main table, longest prefix first. */
  private readonly main: Entry6[] = [];
  private readonly lo: NetDevice | undefined;
  /** IPv6 policy routing, when the machine has IPv6 rules or routes in tables other than main; null otherwise. */
  readonly policy: PolicyRouting | null = null;

  constructor(devices: readonly NetDevice[], routes: readonly RouteSpec[], rules: readonly RuleSpec[] = []) {
    this.lo = devices.find((d) => d.name === 'lo');
    const anycast: Local6[] = [];
    const others = new Map<number, Entry6[]>();
    for (const dev of devices) {
      for (const a of dev.addrs) {
        if (a.addr.family !== Family.V6) continue;
        this.local.push({ addr: a.addr.clone(), type: RouteType.Local, dev });
        if (dev.name === 'lo') continue;
        const mask = InetAddr.mask(Family.V6, a.prefix);
        const net = a.addr.clone().and(mask);
        if (a.prefix < 127) anycast.push({ addr: net, type: RouteType.Anycast, dev });
        this.main.push({ net, mask, prefix: a.prefix, via: null, dev, type: RouteType.Unicast });
      }
    }
    // An address configured on an interface wins over an anycast address of the same value.
    for (const a of anycast) if (!this.findLocal(a.addr)) this.local.push(a);
    const byName = new Map(devices.map((d) => [d.name, d]));
    for (const r of routes) {
      if (r.dst.family !== Family.V6) continue;
      const dev = byName.get(r.dev);
      if (!dev) throw new Error(`route ${r.dst.toString()}/${r.prefix} names unknown device ${r.dev}`);
      if (r.via && r.via.family !== Family.V6) throw new Error(`route ${r.dst.toString()}/${r.prefix}: gateway ${r.via.toString()} is not an IPv6 address`);
      const mask = InetAddr.mask(Family.V6, r.prefix);
      const e: Entry6 = { net: r.dst.clone().and(mask), mask, prefix: r.prefix, via: r.via ? r.via.clone() : null, dev, type: routeKindType(r.type) };
      const table = r.table ?? RT_TABLE_MAIN;
      if (table === RT_TABLE_MAIN) this.main.push(e);
      else {
        const list = others.get(table) ?? [];
        others.set(table, list);
        list.push(e);
      }
    }
    this.main.sort((a, b) => b.prefix - a.prefix);
    const own = rules.filter((r) => r.family === Family.V6);
    if (own.length || others.size) {
      const tables = new Map<number, PolicyRoute[]>(others);
      const local: PolicyRoute[] = this.local.map((l) => ({
        net: l.addr,
        mask: InetAddr.mask(Family.V6, 128),
        prefix: 128,
        via: null,
        dev: l.dev,
        type: l.type,
      }));
      if (this.lo && !this.findLocal(LOOPBACK6))
        local.push({ net: LOOPBACK6, mask: InetAddr.mask(Family.V6, 128), prefix: 128, via: null, dev: this.lo, type: RouteType.Local });
      tables.set(RT_TABLE_LOCAL, [...local, ...(others.get(RT_TABLE_LOCAL) ?? [])]);
      tables.set(RT_TABLE_MAIN, this.main);
      this.policy = new PolicyRouting(Family.V6, own, tables, devices);
    }
  }

  /**
   * The route of an IPv6 packet the machine sends (ip6_route_output): to
   * `daddr` from `saddr` (null: none chosen yet) with the mark `mark`,
   * through the rules when the machine has any (multicast destinations are
   * decided before, as `lookup` does).
   */
  output(daddr: InetAddr, saddr: InetAddr | null, mark: number, proto = 0, sport = 0, dport = 0): FibResult6 {
    const p = this.policy;
    if (p === null || isMulticast6(daddr)) return { ...this.mainLookup(daddr), code: 0 };
    return this.result6(p.lookup({ dst: daddr, src: saddr, mark, iif: 1, oif: 0, proto, sport, dport }), daddr);
  }

  /** The route of an IPv6 packet received on `iif` (ip6_route_input): its source, mark and input interface take part with rules. */
  input(daddr: InetAddr, saddr: InetAddr, mark: number, iif: NetDevice, proto = 0, sport = 0, dport = 0): FibResult6 {
    const p = this.policy;
    if (p === null) return { ...this.mainLookup(daddr), code: 0 };
    return this.result6(p.lookup({ dst: daddr, src: saddr, mark, iif: iif.index, oif: 0, proto, sport, dport }), daddr);
  }

  private result6(r: PolicyResult, daddr: InetAddr): FibResult6 {
    if (r.dev === null) return { type: r.type, dev: null, gateway: InetAddr.any(Family.V6), code: r.code };
    if (r.type === RouteType.Local || r.type === RouteType.Anycast) return { type: r.type, dev: this.lo ?? r.dev, gateway: daddr.clone(), code: -1 };
    return { type: r.type, dev: r.dev, gateway: r.gateway ? r.gateway.clone() : daddr.clone(), code: -1 };
  }

  private findLocal(addr: InetAddr): Local6 | undefined {
    for (const l of this.local) if (l.addr.equals(addr)) return l;
    return undefined;
  }

  /** The longest-prefix main-table entry covering `addr`, or undefined. */
  private findRoute(addr: InetAddr): Entry6 | undefined {
    for (const e of this.main) if (addr.inNet(e.net, e.mask)) return e;
    return undefined;
  }

  /** Is `addr` one of the guest's own IPv6 addresses (::1 included)? */
  isLocal(addr: InetAddr): boolean {
    const l = this.findLocal(addr);
    if (l) return l.type === RouteType.Local;
    return addr.equals(LOOPBACK6);
  }

  /** The route the kernel would pick for a packet to `daddr` the machine sends (no mark, no source yet): multicast, the local table, then the longest prefix. */
  lookup(daddr: InetAddr): FibResult {
    if (this.policy !== null) return this.output(daddr, null, 0);
    return this.mainLookup(daddr);
  }

  private mainLookup(daddr: InetAddr): FibResult {
    if (isMulticast6(daddr)) return { type: RouteType.Multicast, dev: null, gateway: daddr.clone() };
    const l = this.findLocal(daddr);
    if (l) return { type: l.type, dev: this.lo ?? l.dev, gateway: daddr.clone() };
    if (daddr.equals(LOOPBACK6) && this.lo) return { type: RouteType.Local, dev: this.lo, gateway: daddr.clone() };
    const e = this.findRoute(daddr);
    if (e && e.type === RouteType.Unicast) return { type: RouteType.Unicast, dev: e.dev, gateway: e.via ? e.via.clone() : daddr.clone() };
    if (e && e.type !== RouteType.Throw) return { type: e.type, dev: null, gateway: InetAddr.any(Family.V6) };
    return { type: RouteType.Unreachable, dev: null, gateway: InetAddr.any(Family.V6) };
  }

  /**
   * An IPv6 output route bound to the device `oif` (flowi6_oif, as TEE's
   * `--oif` asks it: RT6_LOOKUP_F_IFACE): only the guest's own addresses
   * on `oif` and routes through it count, the longest prefix first; none
   * is unreachable (ip6_null_entry). A multicast destination goes out of
   * `oif`. The machine's policy rules are not consulted.
   */
  outputOif(daddr: InetAddr, oif: NetDevice): FibResult {
    if (isMulticast6(daddr)) return { type: RouteType.Multicast, dev: oif, gateway: daddr.clone() };
    const l = this.findLocal(daddr);
    if (l && l.dev === oif) return { type: l.type, dev: this.lo ?? l.dev, gateway: daddr.clone() };
    for (const e of this.main) {
      if (e.dev === oif && e.type === RouteType.Unicast && daddr.inNet(e.net, e.mask))
        return { type: RouteType.Unicast, dev: oif, gateway: e.via ? e.via.clone() : daddr.clone() };
    }
    return { type: RouteType.Unreachable, dev: null, gateway: InetAddr.any(Family.V6) };
  }

  /** The device whose connected prefix or route leads to `addr` (lo for local addresses), or null. */
  deviceFor(addr: InetAddr): NetDevice | null {
    if (isMulticast6(addr)) return null;
    const l = this.findLocal(addr);
    if (l) return this.lo ?? l.dev;
    if (addr.equals(LOOPBACK6)) return this.lo ?? null;
    const e = this.findRoute(addr);
    return e && e.type === RouteType.Unicast ? e.dev : null;
  }

  /**
   * The address's type, one value as the IPv4 table gives it: UNSPEC for
   * `::`, MULTICAST for ff00::/8, LOCAL or ANYCAST from the local table
   * (LOCAL for ::1), UNICAST otherwise.
   */
  addrType(addr: InetAddr): RouteType {
    if (addr.isZero()) return RouteType.Unspec;
    if (isMulticast6(addr)) return RouteType.Multicast;
    const l = this.findLocal(addr);
    if (l) return l.type;
    return addr.equals(LOOPBACK6) ? RouteType.Local : RouteType.Unicast;
  }

  /** As `addrType`, seen from `dev`: a local-table entry counts only when it belongs to `dev`. */
  addrTypeOn(addr: InetAddr, dev: NetDevice): RouteType {
    if (addr.isZero()) return RouteType.Unspec;
    if (isMulticast6(addr)) return RouteType.Multicast;
    const l = this.findLocal(addr);
    if (l) return l.dev === dev ? l.type : RouteType.Unicast;
    if (addr.equals(LOOPBACK6)) return dev.name === 'lo' ? RouteType.Local : RouteType.Unicast;
    return RouteType.Unicast;
  }

  /**
   * What the route lookup of `addr` says of it, as xt_addrtype's
   * match_lookup_rt6 reads ip6_route_output (an empty source; with `oif`,
   * the lookup is bound to that device, RT6_LOOKUP_F_IFACE): LOCAL for one
   * of the guest's addresses (with `oif`: an address of that device, as
   * nf_ipv6_chk_addr with strict set finds it; ::1 belongs to lo), ANYCAST
   * for a subnet-router anycast address of the local table or the prefix
   * address of a route without a gateway shorter than /127
   * (ipv6_anycast_destination), UNREACHABLE when no route leads there (with
   * `oif`: none through that device), MULTICAST for a multicast address
   * (the ff00::/8 route every interface but lo has), UNICAST otherwise. The
   * fe80::/64 route every interface but lo has is taken for granted.
   * Allocates nothing.
   */
  routeType(addr: InetAddr, oif: NetDevice | null): RouteType {
    const onLo = oif !== null && oif === this.lo;
    if (isMulticast6(addr)) return onLo ? RouteType.Unreachable : RouteType.Multicast;
    const p = this.policy;
    if (p !== null) {
      if (!onLo && addr.w0 === 0xfe800000 && addr.w1 === 0) return RouteType.Unicast;
      const r = p.lookup({ dst: addr, src: null, mark: 0, iif: 1, oif: oif?.index ?? 0, proto: 0, sport: 0, dport: 0 }, oif, oif !== null);
      if (r.dev === null) return RouteType.Unreachable;
      if (r.type !== RouteType.Unicast) return r.type;
      return r.gateway === null && r.prefix < 127 && r.net !== null && addr.equals(r.net) ? RouteType.Anycast : RouteType.Unicast;
    }
    for (const l of this.local) if (l.addr.equals(addr) && (oif === null || l.dev === oif)) return l.type;
    if (addr.equals(LOOPBACK6) && (oif === null || onLo)) return RouteType.Local;
    if (!onLo && addr.w0 === 0xfe800000 && addr.w1 === 0) return RouteType.Unicast;
    for (const e of this.main) {
      if ((oif === null || e.dev === oif) && addr.inNet(e.net, e.mask)) {
        if (e.type !== RouteType.Unicast) return RouteType.Unreachable;
        return e.via === null && e.prefix < 127 && addr.equals(e.net) ? RouteType.Anycast : RouteType.Unicast;
      }
    }
    return RouteType.Unreachable;
  }

  /**
   * `ip6_route_lookup` of `addr` as xt_rpfilter's reverse lookup makes it
   * (the route back to a packet's source): the local table first (the
   * guest's addresses, LOCAL; subnet-router anycast addresses, ANYCAST; the
   * ff00::/8 MULTICAST route every interface but lo has; ::1 LOCAL on lo),
   * then the main table's longest prefix (UNICAST with its device), else
   * UNREACHABLE. `oif` is preferred among routes of the same prefix
   * (rt6_device_match); with `strictIface` (RT6_LOOKUP_F_IFACE, for a
   * link-local source) only a route through `oif` counts, and a prefix
   * without one falls back to shorter prefixes (fib6_backtrack). The
   * fe80::/64 route is not taken for granted here: an interface has it
   * only with a link-local address, which the machine file does not give.
   */
  reverseLookup(
    addr: InetAddr,
    oif: NetDevice | null,
    strictIface: boolean,
    mark = 0,
    saddr: InetAddr | null = null,
  ): { readonly type: RouteType; readonly dev: NetDevice | null } {
    const bound = strictIface && oif !== null;
    if (isMulticast6(addr)) {
      if (oif !== null && oif !== this.lo) return { type: RouteType.Multicast, dev: oif };
      if (bound) return this.reverseMain(addr, oif, bound);
      const first = this.local.find((l) => l.dev !== this.lo)?.dev ?? null;
      return first ? { type: RouteType.Multicast, dev: first } : this.reverseMain(addr, oif, bound);
    }
    const p = this.policy;
    if (p !== null) {
      const r = p.lookup({ dst: addr, src: saddr, mark, iif: 1, oif: oif?.index ?? 0, proto: 0, sport: 0, dport: 0 }, oif, bound);
      return { type: r.type, dev: r.dev };
    }
    let found: Local6 | undefined;
    for (const l of this.local) {
      if (!l.addr.equals(addr)) continue;
      if (oif === null || l.dev === oif) {
        found = l;
        break;
      }
      if (!bound) found ??= l;
    }
    if (found) return { type: found.type, dev: found.dev };
    if (addr.equals(LOOPBACK6) && this.lo && (!bound || oif === this.lo)) return { type: RouteType.Local, dev: this.lo };
    return this.reverseMain(addr, oif, bound);
  }

  private reverseMain(addr: InetAddr, oif: NetDevice | null, bound: boolean): { readonly type: RouteType; readonly dev: NetDevice | null } {
    let best: Entry6 | undefined;
    for (const e of this.main) {
      if (best !== undefined && e.prefix < best.prefix) break;
      if (!addr.inNet(e.net, e.mask)) continue;
      if (oif !== null && e.dev === oif) return e.type === RouteType.Unicast ? { type: RouteType.Unicast, dev: e.dev } : { type: e.type, dev: null };
      if (!bound) best ??= e;
    }
    if (best && best.type !== RouteType.Unicast) return { type: best.type === RouteType.Throw ? RouteType.Unreachable : best.type, dev: null };
    return best ? { type: RouteType.Unicast, dev: best.dev } : { type: RouteType.Unreachable, dev: null };
  }

  /**
   * A source address for a packet to `dst` leaving on `dev`: an IPv6
   * address of `dev` on `dst`'s prefix, else its first IPv6 address; without
   * a device (or one without IPv6 addresses), the first IPv6 address of any
   * interface but lo. Undefined when the machine has none.
   */
  selectSource(dev: NetDevice | null, dst: InetAddr): InetAddr | undefined {
    if (dev) {
      let first: InetAddr | undefined;
      for (const a of dev.addrs) {
        if (a.addr.family !== Family.V6) continue;
        first ??= a.addr;
        const m = InetAddr.mask(Family.V6, a.prefix);
        if (dst.inNet(a.addr.clone().and(m), m)) return a.addr.clone();
      }
      if (first) return first.clone();
    }
    for (const l of this.local) if (l.type === RouteType.Local && l.dev.name !== 'lo') return l.addr.clone();
    return undefined;
  }
}
