/**
 * The guest's forwarding information base: local, broadcast and connected
 * routes derived from the interfaces' addresses (as the kernel's local and
 * main tables hold them), plus the machine file's routes. Longest prefix
 * wins; lookups are what the stack's routing decision, addrtype and the
 * host's ingress decision use.
 *
 * With policy rules (machine file `rules:`) or routes in tables other
 * than main, each family's lookups go through its rules and tables
 * (src/net/policy.ts): `inputV4` for a received packet, `outputV4` for one
 * the machine sends (its mark and source), `fibLookupV4` for rpfilter;
 * `lookupV4` is an output lookup without a mark. Without any, the
 * lookups read the local and main tables directly and the per-packet cost
 * is one field test. The ingress decision (`deviceForV4`), `isLocalV4` and
 * the address types (`addrTypeV4`, inet_addr_type reads the local table
 * alone) never go through rules.
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
import { RT_TABLE_LOCAL, RT_TABLE_MAIN, type MachineSpec } from '../machine/spec.js';
import { Fib6 } from './fib6.js';
import { PolicyRouting, routeKindType, type PolicyResult, type PolicyRoute } from './policy.js';

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
  /**
   * Next hop: the gateway; 0 when it is the destination itself (an on-link
   * route, 127.0.0.0/8, multicast: the kernel's rt_gw4 of 0, whose next hop
   * rt_nexthop takes from the packet). The local table's answers name
   * their own address.
   */
  readonly gateway: number;
  /**
   * Without a route: the ICMP destination unreachable code ip_error sends
   * back about a forwarded packet (0 net, 1 host, 13 filtered), -1 for none
   * (a blackhole). Absent: net unreachable.
   */
  readonly code?: number;
  /** The route's realms (its next hop's nh_tclassid: FROM << 16 | TO); absent or 0 when none. */
  readonly realm?: number;
  /** The realms of the policy rule that gave the route (res->tclassid); absent or 0 when none. */
  readonly ruleRealm?: number;
  /** The route found, as the kernel caches routes on its next hop (only set on a machine with realms). */
  readonly nh?: object;
}

/** __fib_validate_source's verdict on a received packet's source, with the realms it gives the route (itag). */
export interface SourceCheck {
  /** The source is refused (martian): one of the machine's own addresses, or routed as a broadcast. */
  readonly bad: 'local' | 'type' | null;
  /** fib_combine_itag: the route back's TO realm as the FROM realm (high 16 bits), the rule's FROM realm as the TO realm. */
  readonly itag: number;
}

interface Entry {
  readonly net: number;
  readonly mask: number;
  readonly prefix: number;
  readonly via: number;
  readonly dev: NetDevice;
  /** UNICAST, or BLACKHOLE, UNREACHABLE, PROHIBIT, THROW for routes that send nothing. */
  readonly type: RouteType;
  /** The route's realms, 0 when none. */
  readonly realm: number;
  /** What a lookup that ends here answers (made once: lookups allocate nothing). */
  readonly answer: FibResultV4;
}

/** A local table entry: the address's type and the interface that holds it (fib_lookup's answer), and what an output lookup of it answers. */
interface LocalEntry {
  readonly type: RouteType;
  readonly dev: NetDevice;
  /** fib_lookup's answer (`fibLookupV4`): the entry's type and interface. */
  readonly held: FibType;
  readonly answer: FibResultV4;
}

/** fib_lookup's answer as rpfilter reads it: the route's type and device. */
export interface FibType {
  readonly type: RouteType;
  readonly dev: NetDevice | null;
}

const UNREACHABLE: FibResultV4 = { type: RouteType.Unreachable, dev: null, gateway: 0 };
const BLACKHOLE: FibResultV4 = { type: RouteType.Blackhole, dev: null, gateway: 0, code: -1 };
const PROHIBIT: FibResultV4 = { type: RouteType.Prohibit, dev: null, gateway: 0, code: 13 };
const HOST_UNREACHABLE: FibResultV4 = { type: RouteType.Unreachable, dev: null, gateway: 0, code: 1 };
const LIMITED_BROADCAST: FibResultV4 = { type: RouteType.Broadcast, dev: null, gateway: 0xffffffff };
const MULTICAST: FibResultV4 = { type: RouteType.Multicast, dev: null, gateway: 0 };

export class Fib {
  /**
   * Local table: address -> type (Local or Broadcast), with its device. Keyed
   * by the address as a signed 32-bit integer (`addr | 0`): a key of 2^31 or
   * more would be a heap number made for every lookup, several a packet.
   */
  private readonly local = new Map<number, LocalEntry>();
  /** Main table, longest prefix first. */
  private readonly main: Entry[] = [];
  private readonly lo: NetDevice | undefined;
  /** 127.0.0.0/8's answer (on lo), when the machine has lo. */
  private readonly loopback: FibResultV4 | undefined;
  /** The IPv6 table: the machine's IPv6 addresses and routes. */
  readonly v6: Fib6;
  /**
   * IPv4 policy routing, when the machine has IPv4 rules, or routes in a
   * table other than main; null otherwise, and every lookup is the main
   * table's (the kernel's fib_lookup without custom rules).
   */
  readonly policy4: PolicyRouting | null = null;
  /**
   * Some IPv4 route or rule has realms (the kernel's fib_num_tclassid_users):
   * every received packet's source is then checked in full
   * (__fib_validate_source) and the routes carry realms (dst->tclassid).
   */
  readonly realms: boolean = false;

  constructor(spec: MachineSpec) {
    this.lo = spec.devices.find((d) => d.name === 'lo');
    this.loopback = this.lo ? { type: RouteType.Local, dev: this.lo, gateway: 0 } : undefined;
    for (const dev of spec.devices) {
      for (const a of dev.addrs) {
        if (a.addr.family !== Family.V4) continue;
        const addr = a.addr.w0;
        const mask = prefixMask(a.prefix);
        this.local.set(addr | 0, localEntry(RouteType.Local, dev, this.lo ?? dev, addr));
        if (dev.name === 'lo') {
          // 127.0.0.0/8 is local as a whole on lo.
          continue;
        }
        // The subnet's broadcast address only: the reference kernel (6.18) no longer adds a broadcast
        // route for the network address (`ip route show table local`), so that one is an ordinary unicast.
        if (a.prefix < 31) this.setBroadcast(a.broadcast ? a.broadcast.w0 : (addr | ~mask) >>> 0, dev);
        this.main.push({
          net: (addr & mask) >>> 0,
          mask,
          prefix: a.prefix,
          via: 0,
          dev,
          type: RouteType.Unicast,
          realm: 0,
          answer: routeAnswer(RouteType.Unicast, dev, 0, 0),
        });
      }
    }
    const byName = new Map(spec.devices.map((d) => [d.name, d]));
    const others = new Map<number, PolicyRoute[]>();
    for (const r of spec.routes) {
      if (r.dst.family !== Family.V4) continue;
      const dev = byName.get(r.dev);
      if (!dev) throw new Error(`route ${r.dst.toString()}/${r.prefix} names unknown device ${r.dev}`);
      if (r.via && r.via.family !== Family.V4) throw new Error(`route ${r.dst.toString()}/${r.prefix}: gateway ${r.via.toString()} is not an IPv4 address`);
      const mask = prefixMask(r.prefix);
      const type = routeKindType(r.type);
      const table = r.table ?? RT_TABLE_MAIN;
      if (table !== RT_TABLE_MAIN) {
        const list = others.get(table) ?? [];
        others.set(table, list);
        list.push({
          net: InetAddr.v4((r.dst.w0 & mask) >>> 0),
          mask: InetAddr.v4(mask),
          prefix: r.prefix,
          via: r.via ? r.via.clone() : null,
          dev,
          type,
          realm: r.realm ?? 0,
        });
        continue;
      }
      const via = r.via ? r.via.w0 : 0;
      const realm = r.realm ?? 0;
      this.main.push({ net: (r.dst.w0 & mask) >>> 0, mask, prefix: r.prefix, via, dev, type, realm, answer: routeAnswer(type, dev, via, realm) });
    }
    this.realms = spec.routes.some((r) => r.dst.family === Family.V4 && r.realm) || (spec.rules ?? []).some((r) => r.family === Family.V4 && r.realm);
    this.main.sort((a, b) => b.prefix - a.prefix);
    this.v6 = new Fib6(spec.devices, spec.routes, spec.rules ?? []);
    const rules = (spec.rules ?? []).filter((r) => r.family === Family.V4);
    if (rules.length || others.size) {
      const tables = new Map<number, PolicyRoute[]>(others);
      const local: PolicyRoute[] = [];
      for (const [addr, l] of this.local)
        local.push({ net: InetAddr.v4(addr), mask: InetAddr.v4(0xffffffff), prefix: 32, via: null, dev: l.dev, type: l.type });
      if (this.lo) local.push({ net: InetAddr.v4(0x7f000000), mask: InetAddr.v4(0xff000000), prefix: 8, via: null, dev: this.lo, type: RouteType.Local });
      tables.set(RT_TABLE_LOCAL, [...local, ...(others.get(RT_TABLE_LOCAL) ?? [])]);
      tables.set(
        RT_TABLE_MAIN,
        this.main.map((e) => ({
          net: InetAddr.v4(e.net),
          mask: InetAddr.v4(e.mask),
          prefix: e.prefix,
          via: e.via ? InetAddr.v4(e.via) : null,
          dev: e.dev,
          type: e.type,
          realm: e.realm,
        })),
      );
      this.policy4 = new PolicyRouting(Family.V4, rules, tables, spec.devices);
    }
  }

  /**
   * The route of an IPv4 packet the machine sends (ip_route_output_key):
   * to `daddr` from `saddr` (0: none chosen yet) with the mark `mark`,
   * through the rules when the machine has any. 255.255.255.255 and
   * multicast destinations are decided before the rules, as
   * __ip_route_output_key does.
   */
  outputV4(daddr: number, saddr: number, mark: number, proto = 0, sport = 0, dport = 0): FibResultV4 {
    const p = this.policy4;
    if (p === null) return this.mainV4(daddr);
    if (daddr === 0xffffffff) return { type: RouteType.Broadcast, dev: null, gateway: daddr };
    if (daddr >>> 28 === 0xe) return { type: RouteType.Multicast, dev: null, gateway: daddr };
    return this.resultV4(p.lookup({ dst: InetAddr.v4(daddr), src: saddr ? InetAddr.v4(saddr) : null, mark, iif: 1, oif: 0, proto, sport, dport }), daddr);
  }

  /**
   * The route of an IPv4 packet received on `iif` (ip_route_input_slow's
   * fib_lookup, after its martian checks): the mark, the source and the
   * input interface take part when the machine has rules.
   */
  inputV4(daddr: number, saddr: number, mark: number, iif: NetDevice, proto = 0, sport = 0, dport = 0): FibResultV4 {
    const p = this.policy4;
    if (p === null) return this.mainV4(daddr);
    return this.resultV4(p.lookup({ dst: InetAddr.v4(daddr), src: InetAddr.v4(saddr), mark, iif: iif.index, oif: 0, proto, sport, dport }), daddr);
  }

  private resultV4(r: PolicyResult, daddr: number): FibResultV4 {
    if (r.dev === null) return { type: r.type, dev: null, gateway: 0, code: r.code };
    const realms = this.realms ? { realm: r.realm, ruleRealm: r.ruleRealm, ...(r.route ? { nh: r.route } : {}) } : {};
    if (r.type === RouteType.Local) return { type: r.type, dev: this.lo ?? r.dev, gateway: daddr, ...realms };
    return { type: r.type, dev: r.dev, gateway: r.gateway ? r.gateway.w0 : daddr, ...realms };
  }

  /**
   * __fib_validate_source with rp_filter 0, as the kernel runs it for every
   * received packet once a route or rule has realms: the route back to
   * `saddr` (from `daddr`, 0 for a broadcast; from the interface `oif`
   * the packet will leave by, lo for one delivered here; mark 0; the
   * packet's protocol with its ports swapped) must be unicast, or local
   * with accept_local; without one the source is accepted with no realms.
   * The realms it gives (fib_combine_itag): the route back's realms
   * shifted up (its TO realm becomes the FROM realm), or else its rule's,
   * with the rule's FROM realm as the TO realm.
   */
  checkSourceV4(saddr: number, daddr: number, oif: NetDevice | null, acceptLocal: boolean, proto = 0, sport = 0, dport = 0): SourceCheck {
    const p = this.policy4;
    let r: FibResultV4;
    if (p === null) r = this.mainV4(saddr);
    else
      r = this.resultV4(
        p.lookup({ dst: InetAddr.v4(saddr), src: daddr ? InetAddr.v4(daddr) : null, mark: 0, iif: oif?.index ?? 1, oif: 0, proto, sport: dport, dport: sport }),
        saddr,
      );
    if (r.dev === null && r.type !== RouteType.Broadcast) return { bad: null, itag: 0 };
    if (r.type === RouteType.Local && !acceptLocal) return { bad: 'local', itag: 0 };
    if (r.type !== RouteType.Unicast && r.type !== RouteType.Local) return { bad: 'type', itag: 0 };
    const rtag = r.ruleRealm ?? 0;
    let itag = ((r.realm ?? 0) << 16) >>> 0;
    if (itag === 0) itag = (rtag << 16) >>> 0;
    return { bad: null, itag: (itag | (rtag >>> 16)) >>> 0 };
  }

  private setBroadcast(addr: number, dev: NetDevice): void {
    if (!this.local.has(addr | 0)) this.local.set(addr | 0, localEntry(RouteType.Broadcast, dev, dev, addr));
  }

  /** Is the IPv4 address `addr` one of the guest's own addresses (incl. 127/8)? */
  isLocalV4(addr: number): boolean {
    const l = this.local.get(addr | 0);
    if (l) return l.type === RouteType.Local;
    return addr >>> 24 === 127;
  }

  /** The route the kernel would pick for an IPv4 packet to `daddr` that the machine sends (no mark, no source yet). */
  lookupV4(daddr: number): FibResultV4 {
    if (this.policy4 !== null) return this.outputV4(daddr, 0, 0);
    return this.mainV4(daddr);
  }

  /** The local and main tables' answer for `daddr` (no rules): one of the answers made with the table, never a new object. */
  private mainV4(daddr: number): FibResultV4 {
    const l = this.local.get(daddr | 0);
    if (l) return l.answer;
    if (daddr >>> 24 === 127 && this.loopback) return this.loopback;
    if (daddr === 0xffffffff) return LIMITED_BROADCAST;
    if (daddr >>> 28 === 0xe) return MULTICAST;
    const main = this.main;
    for (let i = 0; i < main.length; i++) {
      const e = main[i]!;
      if ((daddr & e.mask) >>> 0 === e.net) return e.answer;
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
   * own here: the main table answers for them (the default route). With
   * rules, the lookup goes through them as xt_rpfilter makes it: from lo,
   * with `mark` (the packet's with --validmark, else 0) and `saddr` (the
   * packet's destination, 0 when it is multicast, broadcast or 0/8).
   */
  fibLookupV4(addr: number, mark = 0, saddr = 0): FibType {
    const p = this.policy4;
    if (p !== null) {
      const r = p.lookup({ dst: InetAddr.v4(addr), src: saddr ? InetAddr.v4(saddr) : null, mark, iif: 1, oif: 0, proto: 0, sport: 0, dport: 0 });
      return { type: r.type, dev: r.dev };
    }
    const l = this.local.get(addr | 0);
    if (l) return l.held;
    if (addr >>> 24 === 127) return this.lo ? { type: RouteType.Local, dev: this.lo } : UNREACHABLE;
    for (const e of this.main) {
      if ((addr & e.mask) >>> 0 === e.net) return e.type === RouteType.Unicast ? { type: RouteType.Unicast, dev: e.dev } : rejectRoute(e.type);
    }
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
    const l = this.local.get(addr | 0);
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
    const l = this.local.get(addr | 0);
    if (l) return l.dev === dev ? l.type : RouteType.Unicast;
    if (addr >>> 24 === 127) return dev.name === 'lo' ? RouteType.Local : RouteType.Unicast;
    return RouteType.Unicast;
  }

  /** The device whose connected subnet or route leads to the IPv4 address `addr` (the ingress decision). */
  deviceForV4(addr: number): NetDevice | null {
    // As lookupV4(addr).dev, without building a result (it runs for every captured frame).
    const l = this.local.get(addr | 0);
    if (l) return l.type === RouteType.Local ? (this.lo ?? l.dev) : l.dev;
    if (addr >>> 24 === 127) return this.lo ?? null;
    if (addr === 0xffffffff || addr >>> 28 === 0xe) return null;
    for (const e of this.main) if ((addr & e.mask) >>> 0 === e.net) return e.type === RouteType.Unicast ? e.dev : null;
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

  /**
   * An IPv4 output route bound to the device `oif` (flowi4_oif, as TEE's
   * `--oif` asks it): only routes whose next hop is on `oif` count (the
   * local table's entries of its own addresses, then the main table's
   * longest prefix through it); when none does, the kernel takes the
   * destination as on the link of `oif` ("Apparently, routing tables are
   * wrong. Assume, that the destination is on link."), so the answer is
   * never unreachable. Limited broadcast and local multicast go out of
   * `oif` directly. The machine's policy rules are not consulted.
   */
  outputOifV4(daddr: number, oif: NetDevice): FibResultV4 {
    if (daddr === 0xffffffff || daddr >>> 8 === 0xe00000)
      return { type: daddr === 0xffffffff ? RouteType.Broadcast : RouteType.Multicast, dev: oif, gateway: daddr };
    const l = this.local.get(daddr | 0);
    if (l && l.dev === oif) return { type: l.type, dev: l.type === RouteType.Local ? (this.lo ?? l.dev) : l.dev, gateway: daddr };
    if (daddr >>> 24 === 127 && oif === this.lo) return { type: RouteType.Local, dev: oif, gateway: daddr };
    for (const e of this.main) {
      if (e.dev === oif && e.type === RouteType.Unicast && (daddr & e.mask) >>> 0 === e.net)
        return { type: RouteType.Unicast, dev: oif, gateway: e.via || daddr };
    }
    return { type: daddr >>> 28 === 0xe ? RouteType.Multicast : RouteType.Unicast, dev: oif, gateway: daddr };
  }

  /** Is `addr` (either family) one of the guest's own addresses? */
  isLocal(addr: InetAddr): boolean {
    return addr.family === Family.V6 ? this.v6.isLocal(addr) : this.isLocalV4(addr.w0);
  }

  /** The route the kernel would pick for a packet to `daddr` (either family). */
  lookup(daddr: InetAddr): FibResult {
    if (daddr.family === Family.V6) return this.v6.lookup(daddr);
    const r = this.lookupV4(daddr.w0);
    return { type: r.type, dev: r.dev, gateway: InetAddr.v4(r.gateway || daddr.w0) };
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

/** A route that sends nothing (blackhole, unreachable, prohibit; throw in main finds nothing further), with ip_error's ICMP code. */
function rejectRoute(type: RouteType): FibResultV4 {
  if (type === RouteType.Blackhole) return BLACKHOLE;
  if (type === RouteType.Prohibit) return PROHIBIT;
  if (type === RouteType.Unreachable) return HOST_UNREACHABLE;
  return UNREACHABLE;
}

function localEntry(type: RouteType, dev: NetDevice, out: NetDevice, addr: number): LocalEntry {
  return { type, dev, held: { type, dev }, answer: { type, dev: out, gateway: addr } };
}

/** A main table route's answer: unicast through `dev` to the gateway `via` (0 on-link), or what a route that sends nothing answers. */
function routeAnswer(type: RouteType, dev: NetDevice, via: number, realm: number): FibResultV4 {
  if (type !== RouteType.Unicast) return rejectRoute(type);
  return realm ? { type, dev, gateway: via, realm } : { type, dev, gateway: via };
}

/** set_class_tag: the halves (FROM, TO) of `tclassid` that are 0 take those of `tag`. */
export function setClassTag(tclassid: number, tag: number): number {
  let t = tclassid;
  if (!(t & 0xffff)) t |= tag & 0xffff;
  if (!(t & 0xffff0000)) t |= tag & 0xffff0000;
  return t >>> 0;
}

/** The first IPv4 address of `dev`, as a number, or undefined. */
function firstV4(dev: NetDevice): number | undefined {
  for (const a of dev.addrs) if (a.addr.family === Family.V4) return a.addr.w0;
  return undefined;
}
