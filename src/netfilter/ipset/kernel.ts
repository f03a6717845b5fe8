/**
 * The kernel's side of IP sets for a packet (ip_set_core.c's ip_set_test,
 * ip_set_add, ip_set_del and each type's kadt): which entry a packet names
 * in a set, by the rule's src/dst flags.
 *
 * - the address parts are the packet's source or destination (flag i of
 *   the rule for part i); hash:net* tests them with the set's prefix
 *   lengths, most specific first, and adds them with the set's most
 *   specific length (a host when it has none), as INIT_CIDR does;
 * - a port part is the transport header's source or destination port of
 *   TCP, UDP, UDP-Lite and SCTP, ICMP and ICMPv6 as type<<8|code, 0 for
 *   other protocols; not a first fragment of those: no entry (-EINVAL);
 * - hash:net,iface: the input device (src) or the output device (dst),
 *   none: no entry; `physdev:` entries need a bridge, which cofw's
 *   machine has not;
 * - hash:mac: the Ethernet source (src) or destination (dst) of a received
 *   frame; locally sent packets have none;
 * - bitmap:port: TCP, UDP and UDP-Lite ports only.
 *
 * A rule giving fewer flags than the set has parts, or of another family
 * than the set, never matches, adds nor deletes (as ip_set_test).
 */
import { Family, InetAddr } from '../../packet/inet-addr.js';
import type { Skb, XtParams } from '../types.js';
import { IPSET_MAX_TIMEOUT, expiresAt, type IpSet, type MatchedExt, type Probe, type TestOpts } from './ipset.js';

const IPPROTO_ICMP = 1;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_ICMPV6 = 58;
const IPPROTO_SCTP = 132;
const IPPROTO_UDPLITE = 136;

/** The src/dst flags of a rule: bit i (1-based) set when part i is the source (IPSET_DIM_*_SRC). */
export interface SetDirs {
  readonly dim: number;
  readonly flags: number;
}

const PROBE: Probe = { ip: new InetAddr(), ip2: new InetAddr(), proto: 0, port: 0, iface: '', physdev: false, mac: '', mark: 0 };

/** ip_set_get_ip4_port / ip_set_get_ip6_port: the packet's protocol and port; false when it has none to give. */
function getPort(skb: Skb, src: boolean, p: Probe): boolean {
  const proto = skb.protocol;
  if (proto <= 0) return false;
  const portful = proto === IPPROTO_TCP || proto === IPPROTO_SCTP || proto === IPPROTO_UDP || proto === IPPROTO_UDPLITE || proto === IPPROTO_ICMP;
  if (skb.fragoff !== 0) {
    if (skb.family === Family.V6 || portful) return false;
    p.proto = proto;
    p.port = 0;
    return true;
  }
  const d = skb.data;
  const t = skb.thoff;
  let need = 0;
  if (proto === IPPROTO_TCP) need = 20;
  else if (proto === IPPROTO_SCTP) need = 12;
  else if (proto === IPPROTO_UDP || proto === IPPROTO_UDPLITE || proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) need = 8;
  if (need && t + need > skb.len) return false;
  if (proto === IPPROTO_TCP || proto === IPPROTO_SCTP || proto === IPPROTO_UDP || proto === IPPROTO_UDPLITE) {
    const at = src ? t : t + 2;
    p.port = (d[at]! << 8) | d[at + 1]!;
  } else if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) p.port = (d[t]! << 8) | d[t + 1]!;
  else p.port = 0;
  p.proto = proto;
  return true;
}

function macText(b: Uint8Array, at: number): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += (i ? ':' : '') + b[at + i]!.toString(16).padStart(2, '0');
  return s;
}

/** The set's kadt: fills the probe from the packet; false for -EINVAL (the packet names no entry). */
function fill(set: IpSet, skb: Skb, par: XtParams, dirs: SetDirs, physdev: boolean): boolean {
  const p = PROBE;
  const f = dirs.flags;
  const one = (f & (1 << 1)) !== 0;
  const two = (f & (1 << 2)) !== 0;
  p.ip.copyFrom(one ? skb.src : skb.dst);
  switch (set.typeName) {
    case 'hash:ip':
      // hash_ip4_kadt / hash_ip6_kadt: the (masked) address 0 or :: names nothing.
      p.ip.and(InetAddr.mask(p.ip.family, set.opts.netmask));
      return !p.ip.isZero();
    case 'hash:net':
      return true;
    case 'hash:ip,port':
    case 'hash:net,port':
      return getPort(skb, two, p);
    case 'hash:ip,port,ip':
    case 'hash:ip,port,net':
    case 'hash:net,port,net':
      if (!getPort(skb, two, p)) return false;
      p.ip2.copyFrom((f & (1 << 3)) !== 0 ? skb.src : skb.dst);
      return true;
    case 'hash:net,net':
      p.ip2.copyFrom(two ? skb.src : skb.dst);
      return true;
    case 'hash:ip,mark':
      // hash_ipmark_kadt: the packet's mark under the set's markmask.
      p.mark = (skb.mark & set.opts.markmask) >>> 0;
      return true;
    case 'hash:ip,mac':
    case 'bitmap:ip,mac': {
      // The MAC of a received frame: the source with the second flag src, else the destination; zero names nothing.
      if (set.typeName === 'bitmap:ip,mac' && (p.ip.w0 < set.opts.from || p.ip.w0 > set.opts.to)) return false;
      const m = skb.mac;
      if (!m || m.length < 14) return false;
      p.mac = macText(m, two ? 6 : 0);
      return p.mac !== '00:00:00:00:00:00';
    }
    case 'hash:net,iface': {
      if (physdev) return false;
      const dev = two ? par.inDev : par.outDev;
      if (!dev) return false;
      p.iface = dev.name;
      p.physdev = false;
      return true;
    }
    case 'hash:mac': {
      const m = skb.mac;
      if (!m || m.length < 14) return false;
      p.mac = macText(m, one ? 6 : 0);
      return p.mac !== '00:00:00:00:00:00';
    }
    case 'bitmap:ip': {
      const ip = p.ip.w0;
      return ip >= set.opts.from && ip <= set.opts.to;
    }
    case 'bitmap:port': {
      if (!getPort(skb, one, p)) return false;
      if (p.proto !== IPPROTO_TCP && p.proto !== IPPROTO_UDP && p.proto !== IPPROTO_UDPLITE) return false;
      return p.port >= set.opts.from && p.port <= set.opts.to;
    }
    default:
      return false;
  }
}

function applies(set: IpSet, skb: Skb, dirs: SetDirs): boolean {
  return dirs.dim >= set.dimension && (set.family === skb.family || set.family === Family.Unspec);
}

/**
 * ip_set_test: 1 when the packet is in the set (as the rule's flags name
 * its entry), else 0. With `returnNomatch`, a nomatch entry of a hash:net*
 * set matches and its other entries do not. `mext` gets the skbinfo of
 * each entry found in a set with the extension (a list:set's member's,
 * then the list's own entry's when the list has skbinfo too).
 */
export function ipSetTest(set: IpSet, skb: Skb, par: XtParams, dirs: SetDirs, o: TestOpts, returnNomatch: boolean, physdev = false, mext?: MatchedExt): number {
  if (!applies(set, skb, dirs)) return 0;
  const now = par.services.jiffies();
  let ret: number;
  if (set.typeName === 'list:set') {
    ret = 0;
    const sub: TestOpts = { ...o, matchCounters: false, skipCounterUpdate: o.skipCounterUpdate || o.skipSubcounterUpdate };
    for (const e of set.members) {
      if (e.expires < now) continue;
      if (ipSetTest(e.member!, skb, par, dirs, sub, returnNomatch, physdev, mext) <= 0) continue;
      if (set.matchExt(e, now, skb.totLen, o, mext)) {
        ret = 1;
        break;
      }
    }
    return ret;
  }
  if (!fill(set, skb, par, dirs, physdev)) return 0;
  ret = set.test(PROBE, now, skb.totLen, o, mext);
  if (returnNomatch && set.type.nets && ret !== 0) ret = -ret;
  return ret > 0 ? 1 : 0;
}

/** ip_set_add from SET --add-set: 0 when added (or refreshed with `exist`), else nonzero. */
export function ipSetAdd(set: IpSet, skb: Skb, par: XtParams, dirs: SetDirs, exist: boolean, timeout: number | undefined): number {
  if (!applies(set, skb, dirs)) return -1;
  const now = par.services.jiffies();
  if (set.typeName === 'list:set') {
    for (const e of set.members) {
      if (e.expires < now) continue;
      if (ipSetAdd(e.member!, skb, par, dirs, exist, timeout) === 0) return 0;
    }
    return -1;
  }
  if (!fill(set, skb, par, dirs, false)) return -1;
  const bits = PROBE.ip.family === Family.V6 ? 128 : 32;
  const cidr = set.type.nets ? (set.cidrs[0] ?? bits) : bits;
  const cidr2 = set.type.nets ? (set.cidrs2[0] ?? bits) : bits;
  const expires = set.withTimeout ? expiresAt(timeout ?? set.opts.timeout!, now) : Infinity;
  const e = set.entryOf(PROBE, cidr, expires, skb.totLen, cidr2);
  if (set.typeName === 'bitmap:ip,mac' && set.withTimeout) e.pendingTimeout = Math.min(timeout ?? set.opts.timeout!, IPSET_MAX_TIMEOUT);
  if (!set.opts.counters) {
    e.packets = 0;
    e.bytes = 0;
  }
  return set.add(e, exist, now) === 0 ? 0 : -1;
}

/** ip_set_del from SET --del-set: 0 when an entry was deleted, else nonzero. */
export function ipSetDel(set: IpSet, skb: Skb, par: XtParams, dirs: SetDirs): number {
  if (!applies(set, skb, dirs)) return -1;
  const now = par.services.jiffies();
  if (set.typeName === 'list:set') {
    for (const e of set.members) {
      if (e.expires < now) continue;
      if (ipSetDel(e.member!, skb, par, dirs) === 0) return 0;
    }
    return -1;
  }
  if (!fill(set, skb, par, dirs, false)) return -1;
  const bits = PROBE.ip.family === Family.V6 ? 128 : 32;
  const cidr = set.type.nets ? (set.cidrs[0] ?? bits) : bits;
  const have = set.elems.get(set.keyOf(PROBE, cidr, set.type.nets ? (set.cidrs2[0] ?? bits) : bits));
  if (!have || have.expires < now) return -1;
  set.remove(have);
  return 0;
}
