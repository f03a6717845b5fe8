/**
 * Policy routing (net/core/fib_rules.c, net/ipv4/fib_rules.c,
 * net/ipv6/fib6_rules.c): the rules `ip rule` lists and the routing tables
 * they name, one set per family, as the kernel walks them for every route
 * lookup once a namespace has rules of its own.
 *
 * The rules are tried by priority (the kernel's own: 0 lookup local, 32766
 * lookup main and, IPv4 only, 32767 lookup default; the machine file's in
 * between, see machine-file.ts), each in the order it was added among
 * rules of the same priority. A rule matches when every selector it has
 * matches the flow (fib_rule_match, then fib4_rule_match or
 * fib6_rule_match; `not` inverts the outcome): the input interface (lo
 * for the machine's own packets), the output interface (set only when a
 * socket is bound to one, which cofw's never are, and for the
 * interface-bound lookups of addrtype), the mark under its mask, the
 * source prefix (IPv6: only when the lookup has a source address,
 * RT6_LOOKUP_F_HAS_SADDR), the destination prefix, the IP protocol and the
 * port ranges. Then its action:
 *
 * - `table N`: the table's longest prefix covering the destination. No
 *   table, no route in it, or a `throw` route: the next rule is tried
 *   (-EAGAIN). A blackhole, unreachable or prohibit route ends the lookup
 *   with its error. A route whose prefix is `suppress_prefixlength` bits
 *   or shorter is ignored and the next rule tried (fib4_rule_suppress,
 *   fib6_rule_suppress).
 * - `blackhole`, `unreachable`, `prohibit`: the lookup ends with that
 *   error (FR_ACT_*: -EINVAL, -ENETUNREACH, -EACCES).
 * - `nop`: nothing; the next rule is tried.
 *
 * No rule gave a route: the lookup fails (-ESRCH, turned into
 * -ENETUNREACH). The answer carries what ip_error (IPv4) or the IPv6
 * reject routes send back about a forwarded packet: an ICMP destination
 * unreachable code, or none for a blackhole.
 *
 * Routes within a table: longest prefix first, then the order the machine
 * file lists them (connected routes of the interfaces' addresses before
 * the configured ones of the same length). No metrics, no TOS, no
 * multipath, no nexthop objects.
 *
 * @example
 * const p = new PolicyRouting(Family.V4, rules, tables);
 * p.lookup(flow); // { type: RouteType.Unicast, dev: wg0, gateway: null, prefix: 0, code: -1 }
 */
import { Family, InetAddr } from '../packet/inet-addr.js';
import { RouteType, type NetDevice } from '../netfilter/types.js';
import type { RuleAction, RuleSpec } from '../machine/spec.js';
import { RT_TABLE_DEFAULT, RT_TABLE_LOCAL, RT_TABLE_MAIN } from '../machine/spec.js';

/** A route of a table, either family. */
export interface PolicyRoute {
  readonly net: InetAddr;
  readonly mask: InetAddr;
  readonly prefix: number;
  /** The gateway; null when on-link. */
  readonly via: InetAddr | null;
  /** The next hop's device (for local routes, the interface that holds the address). */
  readonly dev: NetDevice;
  readonly type: RouteType;
  /** IPv4: the route's realms (its next hop's nh_tclassid, FROM << 16 | TO); 0 or absent when none. */
  readonly realm?: number;
}

/** The flow a lookup is made for (struct flowi4 / flowi6, as far as the rules read it). */
export interface PolicyFlow {
  readonly dst: InetAddr;
  /** The source address; null when the lookup has none (IPv4: 0.0.0.0). */
  readonly src: InetAddr | null;
  readonly mark: number;
  /** flowi_iif: the input interface's index, 1 (lo) for the machine's own packets. */
  readonly iif: number;
  /** flowi_oif: 0, or the interface the lookup is bound to. */
  readonly oif: number;
  /** The IP protocol and ports, 0 when the lookup has none (rules with ipproto, sport or dport then miss). */
  readonly proto: number;
  readonly sport: number;
  readonly dport: number;
}

/** A policy lookup's answer. */
export interface PolicyResult {
  /** UNICAST, LOCAL, BROADCAST or ANYCAST with a route; BLACKHOLE, UNREACHABLE or PROHIBIT without. */
  readonly type: RouteType;
  /** The next hop's device; null without a route. */
  readonly dev: NetDevice | null;
  /** The route's gateway; null when on-link or without a route. */
  readonly gateway: InetAddr | null;
  /** The route's prefix length (-1 without a route). */
  readonly prefix: number;
  /** The ICMP (IPv4) or ICMPv6 destination unreachable code a forwarded packet gets back, -1 for none. */
  readonly code: number;
  /** The route's network, when there is one (IPv6 anycast: the prefix address of an on-link route). */
  readonly net: InetAddr | null;
  /** IPv4: the route's realms (nh_tclassid), 0 without a route or realms. */
  readonly realm: number;
  /** IPv4: the realms of the rule that gave the route (`realms`, __fib_lookup's res->tclassid), 0 when it has none. */
  readonly ruleRealm: number;
  /** The route found (its next hop: what the kernel caches routes on), null without one. */
  readonly route: PolicyRoute | null;
}

/** ICMP codes of ip_error (IPv4) and the IPv6 reject routes. */
const ICMP_NET_UNREACH = 0;
const ICMP_HOST_UNREACH = 1;
const ICMP_PKT_FILTERED = 13;
const ICMPV6_NOROUTE = 0;
const ICMPV6_ADM_PROHIBITED = 1;

interface CompiledRule {
  readonly priority: number;
  readonly not: boolean;
  readonly src: { net: InetAddr; mask: InetAddr } | null;
  readonly dst: { net: InetAddr; mask: InetAddr } | null;
  readonly mark: number;
  readonly markMask: number;
  /** Interface indexes, 0 for any. */
  readonly iif: number;
  readonly oif: number;
  readonly proto: number;
  readonly sport: readonly [number, number] | null;
  readonly dport: readonly [number, number] | null;
  readonly action: RuleAction;
  readonly table: number;
  /** -1 when absent (no route is ever suppressed). */
  readonly suppress: number;
  /** `realms` (FRA_FLOW), 0 when none. */
  readonly realm: number;
}

/** The kernel's own rules of a family (fib_default_rules_init, fib6_rules_net_init). */
export function defaultRules(family: Family): RuleSpec[] {
  const rules: RuleSpec[] = [
    { family, priority: 0, action: 'table', table: RT_TABLE_LOCAL },
    { family, priority: 0x7ffe, action: 'table', table: RT_TABLE_MAIN },
  ];
  if (family === Family.V4) rules.push({ family, priority: 0x7fff, action: 'table', table: RT_TABLE_DEFAULT });
  return rules;
}

export class PolicyRouting {
  private readonly rules: CompiledRule[];
  private readonly tables = new Map<number, PolicyRoute[]>();

  /**
   * `rules`: the machine's rules of this family, in the order they were
   * added (the kernel's own are put first); `tables`: each table's routes
   * (sorted here, longest prefix first, the order kept among equals).
   */
  constructor(
    readonly family: Family,
    rules: readonly RuleSpec[],
    tables: ReadonlyMap<number, readonly PolicyRoute[]>,
    devices: readonly NetDevice[],
  ) {
    const index = (name: string | undefined): number => {
      if (name === undefined) return 0;
      const d = devices.find((x) => x.name === name);
      if (!d) throw new Error(`policy rule names unknown device ${name}`);
      return d.index;
    };
    const all = [...defaultRules(family), ...rules.filter((r) => r.family === family)];
    // Stable: rules of the same priority keep the order they were added in.
    all.sort((a, b) => a.priority - b.priority);
    this.rules = all.map((r) => ({
      priority: r.priority,
      not: r.not === true,
      src: r.from ? { net: r.from.addr.clone().and(InetAddr.mask(family, r.from.prefix)), mask: InetAddr.mask(family, r.from.prefix) } : null,
      dst: r.to ? { net: r.to.addr.clone().and(InetAddr.mask(family, r.to.prefix)), mask: InetAddr.mask(family, r.to.prefix) } : null,
      mark: r.fwmark ? r.fwmark.mark >>> 0 : 0,
      markMask: r.fwmark ? r.fwmark.mask >>> 0 : 0,
      iif: index(r.iif),
      oif: index(r.oif),
      proto: r.ipproto ?? 0,
      sport: r.sport ?? null,
      dport: r.dport ?? null,
      action: r.action,
      table: r.table ?? 0,
      suppress: r.suppressPrefixlength ?? -1,
      realm: r.realm ?? 0,
    }));
    for (const [id, routes] of tables)
      this.tables.set(
        id,
        [...routes].sort((a, b) => b.prefix - a.prefix),
      );
  }

  /** The rules in the order they are tried, as `ip rule show` (`ip -6 rule show`) lists them. */
  ruleText(devices: readonly NetDevice[]): string[] {
    const name = (index: number): string => devices.find((d) => d.index === index)?.name ?? String(index);
    return this.rules.map((r) => {
      const parts: string[] = [];
      if (r.not) parts.push('not');
      parts.push('from', r.src ? prefixText(r.src.net, r.src.mask) : 'all');
      if (r.dst) parts.push('to', prefixText(r.dst.net, r.dst.mask));
      if (r.markMask) parts.push('fwmark', `0x${r.mark.toString(16)}${r.markMask === 0xffffffff ? '' : `/0x${r.markMask.toString(16)}`}`);
      if (r.iif) parts.push('iif', name(r.iif));
      if (r.oif) parts.push('oif', name(r.oif));
      if (r.proto) parts.push('ipproto', String(r.proto));
      if (r.sport) parts.push('sport', r.sport[0] === r.sport[1] ? String(r.sport[0]) : `${r.sport[0]}-${r.sport[1]}`);
      if (r.dport) parts.push('dport', r.dport[0] === r.dport[1] ? String(r.dport[0]) : `${r.dport[0]}-${r.dport[1]}`);
      if (r.action === 'table') parts.push('lookup', tableName(r.table));
      else parts.push(r.action);
      if (r.suppress >= 0) parts.push('suppress_prefixlength', String(r.suppress));
      if (r.realm) {
        // iproute2 prints the realms after the table, but before an action of its own.
        const text = realmsText(r.realm);
        if (r.action === 'table') parts.push('realms', text);
        else parts.splice(parts.length - (r.suppress >= 0 ? 3 : 1), 0, 'realms', text);
      }
      return `${r.priority}:\t${parts.join(' ')}`;
    });
  }

  /**
   * The route for `flow` (fib_rules_lookup). `strictOif` binds the table
   * lookups to the flow's output interface (RT6_LOOKUP_F_IFACE); `preferOif`
   * prefers it among routes of the same prefix (rt6_device_match).
   */
  lookup(flow: PolicyFlow, preferOif: NetDevice | null = null, strictOif = false): PolicyResult {
    const v6 = this.family === Family.V6;
    for (const r of this.rules) {
      if (this.matches(r, flow) === r.not) continue;
      switch (r.action) {
        case 'nop':
          continue;
        case 'blackhole':
          return fail(RouteType.Blackhole, -1);
        case 'unreachable':
          return fail(RouteType.Unreachable, v6 ? ICMPV6_NOROUTE : ICMP_NET_UNREACH);
        case 'prohibit':
          return fail(RouteType.Prohibit, v6 ? ICMPV6_ADM_PROHIBITED : ICMP_PKT_FILTERED);
      }
      const routes = this.tables.get(r.table);
      if (!routes) continue;
      const e = longest(routes, flow.dst, preferOif, strictOif);
      if (!e || e.type === RouteType.Throw) continue;
      if (e.type === RouteType.Blackhole) return fail(RouteType.Blackhole, -1);
      if (e.type === RouteType.Unreachable) return fail(RouteType.Unreachable, v6 ? ICMPV6_NOROUTE : ICMP_HOST_UNREACH);
      if (e.type === RouteType.Prohibit) return fail(RouteType.Prohibit, v6 ? ICMPV6_ADM_PROHIBITED : ICMP_PKT_FILTERED);
      if (e.prefix <= r.suppress) continue;
      return { type: e.type, dev: e.dev, gateway: e.via, prefix: e.prefix, code: -1, net: e.net, realm: e.realm ?? 0, ruleRealm: r.realm, route: e };
    }
    return fail(RouteType.Unreachable, v6 ? ICMPV6_NOROUTE : ICMP_NET_UNREACH);
  }

  private matches(r: CompiledRule, f: PolicyFlow): boolean {
    if (r.iif !== 0 && r.iif !== f.iif) return false;
    if (r.oif !== 0 && r.oif !== f.oif) return false;
    if (((r.mark ^ f.mark) & r.markMask) !== 0) return false;
    if (r.src) {
      // IPv4 compares with 0.0.0.0 when the flow has no source; IPv6 skips the rule (no FIB_RULE_FIND_SADDR).
      if (f.src === null) {
        if (this.family === Family.V6) return false;
        if (!InetAddr.any(Family.V4).inNet(r.src.net, r.src.mask)) return false;
      } else if (!f.src.inNet(r.src.net, r.src.mask)) return false;
    }
    if (r.dst && !f.dst.inNet(r.dst.net, r.dst.mask)) return false;
    if (r.proto !== 0 && r.proto !== f.proto) return false;
    if (r.sport && (f.sport < r.sport[0] || f.sport > r.sport[1])) return false;
    if (r.dport && (f.dport < r.dport[0] || f.dport > r.dport[1])) return false;
    return true;
  }
}

function fail(type: RouteType, code: number): PolicyResult {
  return { type, dev: null, gateway: null, prefix: -1, code, net: null, realm: 0, ruleRealm: 0, route: null };
}

/** Realms as `ip rule` and `ip route` print them: `TO`, or `FROM/TO` with names of /etc/iproute2/rt_realms (cosmos for 0). */
export function realmsText(realm: number): string {
  const name = (n: number): string => (n === 0 ? 'cosmos' : String(n));
  const from = realm >>> 16;
  return from ? `${name(from)}/${name(realm & 0xffff)}` : name(realm & 0xffff);
}

/** The longest prefix of `routes` (sorted) covering `addr`: `oif` preferred among equals, or required with `strict`. */
function longest(routes: readonly PolicyRoute[], addr: InetAddr, oif: NetDevice | null, strict: boolean): PolicyRoute | undefined {
  let best: PolicyRoute | undefined;
  for (const e of routes) {
    if (best !== undefined && e.prefix < best.prefix) break;
    if (strict && oif !== null && e.dev !== oif) continue;
    if (!addr.inNet(e.net, e.mask)) continue;
    if (oif === null || e.dev === oif) return e;
    best ??= e;
  }
  return best;
}

function prefixText(net: InetAddr, mask: InetAddr): string {
  let bits = 0;
  for (const w of [mask.w0, mask.w1, mask.w2, mask.w3]) bits += popcount(w);
  return bits === (net.family === Family.V6 ? 128 : 32) ? net.toString() : `${net.toString()}/${bits}`;
}

function popcount(w: number): number {
  let n = 0;
  for (let x = w >>> 0; x; x = (x & (x - 1)) >>> 0) n++;
  return n;
}

/** A table's name as `ip rule` prints it: local, main, default, or its number. */
export function tableName(id: number): string {
  return id === RT_TABLE_LOCAL ? 'local' : id === RT_TABLE_MAIN ? 'main' : id === RT_TABLE_DEFAULT ? 'default' : String(id);
}

/** The route type of a machine file route kind. */
export function routeKindType(kind: string | undefined): RouteType {
  switch (kind) {
    case 'blackhole':
      return RouteType.Blackhole;
    case 'unreachable':
      return RouteType.Unreachable;
    case 'prohibit':
      return RouteType.Prohibit;
    case 'throw':
      return RouteType.Throw;
    default:
      return RouteType.Unicast;
  }
}

/**
 * The port at `off` (0 source, 2 destination) of the packet's transport
 * header, as the rules' flow dissection reads it (fib4_rules_early_flow_dissect):
 * TCP, UDP, DCCP, SCTP and UDP-Lite, not in a later fragment; 0 otherwise.
 */
export function flowPort(
  skb: { readonly data: Uint8Array; readonly len: number; readonly thoff: number; readonly fragoff: number; readonly protocol: number },
  off: 0 | 2,
): number {
  const p = skb.protocol;
  if (skb.fragoff !== 0 || (p !== 6 && p !== 17 && p !== 33 && p !== 132 && p !== 136) || skb.thoff + 4 > skb.len) return 0;
  return (skb.data[skb.thoff + off]! << 8) | skb.data[skb.thoff + off + 1]!;
}
