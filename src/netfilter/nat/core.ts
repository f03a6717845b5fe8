/**
 * The NAT core, as net/netfilter/nf_nat_core.c and nf_nat_proto.c do it,
 * written once for both families:
 *
 * - A connection's binding is decided on its first packet, once per side:
 *   the destination on PREROUTING or OUTPUT, the source on INPUT or
 *   POSTROUTING (`hookManip`). The nat table's chains run only then; a
 *   NAT target calls `setup`, and when no rule did, the connection is bound
 *   to itself (`nullBinding`). Both set IPS_*_NAT_DONE.
 * - `setup` (nf_nat_setup_info) picks the new tuple (`uniqueTuple`, the
 *   kernel's get_unique_tuple: keep the source if it is in range and free,
 *   reuse an existing mapping of the same source, else the address the
 *   kernel's jhash2 of the tuple picks in the range, then the port: kept
 *   when the tuple is unique, else searched in the range from an offset) and
 *   alters the unconfirmed entry's reply tuple, so replies to the new
 *   address find the connection. IPS_SRC_NAT / IPS_DST_NAT mark a change.
 * - Every later packet of either direction is rewritten on every NAT hook
 *   (`packet`, nf_nat_packet) to look like the inverse of the other
 *   direction's tuple: addresses, ports or ICMP ids, with the IP and
 *   transport checksums updated incrementally as the kernel does (a UDP
 *   checksum of zero stays zero). ICMP errors RELATED to a translated
 *   connection are translated inside (the quoted header) and outside
 *   (`icmpReply`, nf_nat_icmp_reply_translation).
 *
 * Where the kernel draws a random number (the port search's starting
 * offset when the tuple clashes, `--random`, `--random-fully`), cofw draws
 * from its seeded generator (COFW_RANDOM_SEED), so replays repeat.
 */
import { Family, InetAddr } from '../../packet/inet-addr.js';
import { csumReplace4, inetChecksum, l4Checksum6, setSctpChecksum } from '../../packet/checksum.js';
import { ExtWalk, walkExtHeaders } from '../../net/ipv6/exthdr.js';
import { Conn, Conntrack, IPS_DST_NAT, IPS_SRC_NAT, IP_CT_IS_REPLY, invertTuple, tupleEqual, zoneIdIn, type Tuple } from '../conntrack/index.js';
import type { NatHost } from '../conntrack/helpers.js';
import { seqadjExtAdd } from '../conntrack/seqadj.js';
// The NAT helpers (nf_nat_ftp, nf_nat_tftp, nf_nat_amanda) hook into their conntrack helpers when loaded.
import './helper-registry.js';
import { SeededRandom, seedFromEnv } from '../matches/statistic.js';
import { Hook, NF_ACCEPT, NF_DROP, type Skb } from '../types.js';
import { jhash2, leWord, reciprocalScale } from './jhash.js';
import {
  Manip,
  NF_NAT_RANGE_MAP_IPS,
  NF_NAT_RANGE_PERSISTENT,
  NF_NAT_RANGE_PROTO_OFFSET,
  NF_NAT_RANGE_PROTO_RANDOM_ALL,
  NF_NAT_RANGE_PROTO_SPECIFIED,
  hookManip,
  type NatRange,
} from './range.js';

/** Status bits the core sets once a side is bound (IPS_SRC_NAT_DONE, IPS_DST_NAT_DONE). */
export const IPS_SRC_NAT_DONE = 1 << 7;
export const IPS_DST_NAT_DONE = 1 << 8;
const IPS_NAT_MASK = IPS_SRC_NAT | IPS_DST_NAT;
const IPS_NAT_DONE_MASK = IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE;

/** A tuple being built (the kernel's on-stack nf_conntrack_tuple). */
interface MutableTuple {
  proto: number;
  src: InetAddr;
  dst: InetAddr;
  sport: number;
  dport: number;
}

function copyTuple(t: Tuple): MutableTuple {
  return { proto: t.proto, src: t.src, dst: t.dst, sport: t.sport, dport: t.dport };
}

/** Protocols whose tuple carries ports the NAT core may change (not DCCP: Linux 6.18 tracks it as a generic protocol, and nf_nat_proto has no DCCP manip). */
function portProto(p: number): boolean {
  return p === 6 || p === 17 || p === 136 || p === 132;
}

/** Protocols whose conntrack lets a clashing entry be resolved later (l4proto->allow_clash). */
function allowClash(p: number): boolean {
  return p === 17 || p === 136;
}

/** What the stack tells the core about a failed rewrite (the packet is dropped). */
export const NAT_MANGLE_FAILED = 'nat: the packet is too short to rewrite';

export class NatCore implements NatHost {
  /** Connections with a source binding, by original source (the kernel's nf_nat_bysource), newest first. */
  private readonly bySource = new Map<string, Conn[]>();
  private readonly rng: SeededRandom;
  private nowNs = 0;

  constructor(
    private readonly ct: Conntrack,
    seed: number = seedFromEnv(),
  ) {
    this.rng = new SeededRandom(seed ^ 0x4e4154);
    // Helpers reach the NAT core through conntrack (follow_master, the port search).
    ct.nat = this;
  }

  /** NatHost.random: get_random_u32 for the NAT helpers (nf_nat_exp_find_port). */
  random(): number {
    return this.rng.next();
  }

  /** nf_nat_initialized: has the side `manip` of the connection been bound? */
  static initialized(conn: Conn, manip: Manip): boolean {
    return (conn.status & (manip === Manip.Src ? IPS_SRC_NAT_DONE : IPS_DST_NAT_DONE)) !== 0;
  }

  /** Sets the time the table is read at (expired entries do not hold tuples). */
  setClock(nowNs: number): void {
    this.nowNs = nowNs;
  }

  /**
   * nf_nat_setup_info: binds side `manip` of an unconfirmed connection to a
   * tuple in `range`. NF_ACCEPT, or NF_DROP when that side is bound already.
   */
  setup(conn: Conn, range: NatRange, manip: Manip): number {
    if (conn.confirmed) return NF_ACCEPT;
    if (NatCore.initialized(conn, manip)) return NF_DROP;
    const curr = invertTuple(conn.reply);
    const next = this.uniqueTuple(curr, range, conn, manip);
    if (!tupleEqual(next, curr)) {
      this.ct.alterReply(conn, invertTuple(next));
      conn.status |= manip === Manip.Src ? IPS_SRC_NAT : IPS_DST_NAT;
      // An entry with a helper may have its payload resized by the NAT helper: it gets the seqadj extension.
      if (conn.helper !== null) seqadjExtAdd(conn);
    }
    if (manip === Manip.Src) {
      const key = srcKey(conn.orig);
      const list = this.bySource.get(key);
      if (list) list.unshift(conn);
      else this.bySource.set(key, [conn]);
    }
    conn.status |= manip === Manip.Dst ? IPS_DST_NAT_DONE : IPS_SRC_NAT_DONE;
    return NF_ACCEPT;
  }

  /** nf_nat_alloc_null_binding: no rule bound this side; bind it to the address it has. */
  nullBinding(conn: Conn, hook: Hook): number {
    const manip = hookManip(hook);
    const ip = manip === Manip.Src ? conn.reply.dst : conn.reply.src;
    return this.setup(conn, { flags: NF_NAT_RANGE_MAP_IPS, minAddr: ip, maxAddr: ip, minProto: 0, maxProto: 0, baseProto: 0 }, manip);
  }

  // -- choosing the tuple (get_unique_tuple) -------------------------------

  private uniqueTuple(orig: Tuple, range: NatRange, conn: Conn, manip: Manip): Tuple {
    const flags = range.flags;
    if (manip === Manip.Src && !(flags & NF_NAT_RANGE_PROTO_RANDOM_ALL)) {
      if (inRange(orig, range)) {
        if (!this.usedTupleNew(orig, conn)) return orig;
      } else {
        const t = this.appropriateSource(orig, range, conn);
        if (t && !this.usedTuple(t, conn)) return t;
      }
    }
    const t = copyTuple(orig);
    findBestIps(t, range, conn, manip);
    if (!(flags & NF_NAT_RANGE_PROTO_RANDOM_ALL)) {
      if (flags & NF_NAT_RANGE_PROTO_SPECIFIED) {
        if (
          !(flags & NF_NAT_RANGE_PROTO_OFFSET) &&
          l4InRange(t, manip, range.minProto, range.maxProto) &&
          (range.minProto === range.maxProto || !this.usedTuple(t, conn))
        ) {
          return t;
        }
      } else if (!this.usedTuple(t, conn)) return t;
    }
    this.l4UniqueTuple(t, range, manip, conn);
    return t;
  }

  /** nf_nat_used_tuple: would a connection with this original tuple clash with a live entry? */
  private usedTuple(t: Tuple, ignored: Conn): boolean {
    return this.ct.tupleTaken(invertTuple(t), ignored, this.nowNs);
  }

  /**
   * nf_nat_used_tuple_new: as usedTuple, but a clash with the reverse
   * direction of an entry without NAT, for protocols that allow clashes
   * (UDP), is no clash: both would be the same flow.
   */
  private usedTupleNew(t: Tuple, ignored: Conn): boolean {
    if (!this.usedTuple(t, ignored)) return false;
    if (!allowClash(ignored.proto)) return true;
    const other = this.ct.findEntry(t, this.nowNs, ignored) ?? this.ct.findEntry(invertTuple(t), this.nowNs, ignored);
    if (!other) return false;
    if (other.status & IPS_NAT_MASK) return true;
    return !tupleEqual(other.orig, ignored.reply);
  }

  /** find_appropriate_src: a live connection of the same zone (in the original direction) from the same source already mapped into the range. */
  private appropriateSource(t: Tuple, range: NatRange, conn: Conn): Tuple | null {
    const zone = zoneIdIn(conn.zone, conn.zoneDirs, 0);
    const list = this.bySource.get(srcKey(t));
    if (!list) return null;
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      if (!this.ct.isLive(c, this.nowNs)) {
        list.splice(i--, 1);
        continue;
      }
      if (zoneIdIn(c.zone, c.zoneDirs, 0) !== zone) continue;
      const r = invertTuple(c.reply);
      const result: Tuple = { proto: t.proto, src: r.src, sport: r.sport, dst: t.dst, dport: t.dport };
      if (inRange(result, range)) return result;
    }
    if (list.length === 0) this.bySource.delete(srcKey(t));
    return null;
  }

  /** nf_nat_l4proto_unique_tuple: moves the port (or ICMP id) into the range until the tuple is free. */
  private l4UniqueTuple(t: MutableTuple, range: NatRange, manip: Manip, conn: Conn): void {
    let min: number;
    let size: number;
    let src: boolean;
    const flags = range.flags;
    if (t.proto === 1 || t.proto === 58) {
      src = true; // the id is the same in either direction
      if (!(flags & NF_NAT_RANGE_PROTO_SPECIFIED)) {
        min = 0;
        size = 65536;
      } else {
        min = range.minProto;
        size = range.maxProto - range.minProto + 1;
      }
    } else if (portProto(t.proto)) {
      src = manip === Manip.Src;
      if (!(flags & NF_NAT_RANGE_PROTO_SPECIFIED)) {
        if (manip === Manip.Dst) return; // a destination port is never changed unasked
        const port = src ? t.sport : t.dport;
        if (port < 1024) {
          if (port < 512) {
            min = 1;
            size = 511;
          } else {
            min = 600;
            size = 1023 - 600 + 1;
          }
        } else {
          min = 1024;
          size = 65535 - 1024 + 1;
        }
      } else {
        let lo = range.minProto;
        let hi = range.maxProto;
        if (hi < lo) [lo, hi] = [hi, lo];
        min = lo;
        size = hi - lo + 1;
      }
    } else if (t.proto === 47) {
      // nf_nat_proto_gre: a GRE key changes only for PPTP (an entry a helper expected): the source key on the
      // source side, the destination key (the packet's key field) on the destination side.
      if (conn.master === null) return;
      src = manip === Manip.Src;
      if (!(flags & NF_NAT_RANGE_PROTO_SPECIFIED)) {
        min = 1;
        size = 65535;
      } else {
        min = range.minProto;
        size = range.maxProto - range.minProto + 1;
      }
    } else {
      // Other protocols have no ports.
      return;
    }
    const key = src ? t.sport : t.dport;
    let off = flags & NF_NAT_RANGE_PROTO_OFFSET ? (key - range.baseProto) & 0xffff : this.rng.next() & 0xffff;
    let attempts = Math.min(size, 128);
    for (;;) {
      for (let i = 0; i < attempts; i++, off = (off + 1) & 0xffff) {
        const v = min + (off % size);
        if (src) t.sport = v;
        else t.dport = v;
        if (!this.usedTuple(t, conn)) return;
      }
      if (attempts >= size || attempts < 16) return;
      attempts = Math.floor(attempts / 2);
      off = this.rng.next() & 0xffff;
    }
  }

  // -- rewriting packets ---------------------------------------------------

  /**
   * nf_nat_packet: rewrites the packet on `hook` when its connection was
   * translated on that side. False when the packet could not be rewritten.
   */
  packet(skb: Skb, conn: Conn, ctinfo: number, hook: Hook): boolean {
    const manip = hookManip(hook);
    const dir = ctinfo >= IP_CT_IS_REPLY ? 1 : 0;
    let bit = manip === Manip.Src ? IPS_SRC_NAT : IPS_DST_NAT;
    if (dir === 1) bit ^= IPS_NAT_MASK;
    if (!(conn.status & bit)) return true;
    const target = invertTuple(conn.tuple(dir === 1 ? 0 : 1));
    const ok = skb.family === Family.V6 ? manipIPv6(skb.data, 0, skb.len, target, manip) : manipIPv4(skb.data, 0, skb.len, target, manip);
    if (!ok) return false;
    reload(skb);
    return true;
  }

  /**
   * nf_nat_icmp_reply_translation (and nf_nat_icmpv6_reply_translation): an
   * ICMP or ICMPv6 error RELATED to a connection gets its quoted packet
   * translated back (the inverse manip) and its outer header translated as
   * the connection's packets are; its checksum is computed again over the
   * result (ICMPv6's covers the pseudo header). False: drop it.
   */
  icmpReply(skb: Skb, conn: Conn, ctinfo: number, hook: Hook): boolean {
    const v6 = skb.family === Family.V6;
    const d = skb.data;
    const len = skb.len;
    const hdrlen = skb.thoff;
    const icmpSum = (): number => (v6 ? l4Checksum6(d, hdrlen, len - hdrlen, 58) : inetChecksum(d, hdrlen, len - hdrlen));
    if (len < hdrlen + 8 + (v6 ? 40 : 20)) return false;
    if (icmpSum() !== 0) return false;
    const manip = hookManip(hook);
    const dir = ctinfo >= IP_CT_IS_REPLY ? 1 : 0;
    const need = errorTranslation(conn, dir, manip, d[hdrlen] === (v6 ? 137 : 5));
    if (need <= 0) return need === 0;
    const other = conn.tuple(dir === 1 ? 0 : 1);
    const inverse = manip === Manip.Src ? Manip.Dst : Manip.Src;
    if (!(v6 ? manipIPv6(d, hdrlen + 8, len, other, inverse) : manipIPv4(d, hdrlen + 8, len, other, inverse))) return false;
    const t = invertTuple(other);
    const outer: Tuple = { proto: v6 ? 58 : 1, src: t.src, dst: t.dst, sport: t.sport, dport: t.dport };
    // The outer header first (an error's own checksum is not updated there), then the checksum over the result.
    if (!(v6 ? manipIPv6(d, 0, len, outer, manip, true) : manipIPv4(d, 0, len, outer, manip))) return false;
    d[hdrlen + 2] = 0;
    d[hdrlen + 3] = 0;
    const c = icmpSum();
    d[hdrlen + 2] = c >> 8;
    d[hdrlen + 3] = c & 0xff;
    reload(skb);
    return true;
  }
}

/**
 * Does an ICMP or ICMPv6 error about `conn`, going in direction `dir`, need
 * translating on a hook of side `manip`? 1 yes, 0 no, -1 drop it (a
 * redirect about a connection that is not bound on both sides unchanged).
 */
function errorTranslation(conn: Conn, dir: 0 | 1, manip: Manip, redirect: boolean): number {
  if (redirect && ((conn.status & IPS_NAT_DONE_MASK) !== IPS_NAT_DONE_MASK || conn.status & IPS_NAT_MASK)) return -1;
  let bit = manip === Manip.Src ? IPS_SRC_NAT : IPS_DST_NAT;
  if (dir === 1) bit ^= IPS_NAT_MASK;
  return conn.status & bit ? 1 : 0;
}

function srcKey(t: Tuple): string {
  return `${t.proto}/${t.src.toString()}/${t.sport}`;
}

/** in_range: would mapping the source to this tuple meet the range? */
function inRange(t: Tuple, r: NatRange): boolean {
  if (r.flags & NF_NAT_RANGE_MAP_IPS && (t.src.compare(r.minAddr) < 0 || t.src.compare(r.maxAddr) > 0)) return false;
  if (!(r.flags & NF_NAT_RANGE_PROTO_SPECIFIED)) return true;
  return l4InRange(t, Manip.Src, r.minProto, r.maxProto);
}

/** l4proto_in_range: is the changeable part of the tuple within [min, max]? */
function l4InRange(t: Tuple, manip: Manip, min: number, max: number): boolean {
  if (t.proto === 1 || t.proto === 58) return t.sport >= min && t.sport <= max;
  if (t.proto === 47 || portProto(t.proto)) {
    const port = manip === Manip.Src ? t.sport : t.dport;
    return port >= min && port <= max;
  }
  return true;
}

/**
 * find_best_ips_proto: the address in the range that jhash2 of the tuple's
 * source (and, unless --persistent, destination) picks, word by word.
 */
function findBestIps(t: MutableTuple, r: NatRange, conn: Conn, manip: Manip): void {
  if (!(r.flags & NF_NAT_RANGE_MAP_IPS)) return;
  if (r.minAddr.equals(r.maxAddr)) {
    if (manip === Manip.Src) t.src = r.minAddr;
    else t.dst = r.minAddr;
    return;
  }
  const v6 = conn.family === Family.V6;
  const max = v6 ? 3 : 0;
  const persistent = (r.flags & NF_NAT_RANGE_PERSISTENT) !== 0;
  const srcWords = [t.src.w0, t.src.w1, t.src.w2, t.src.w3].map(leWord);
  const dstWords = [t.dst.w0, t.dst.w1, t.dst.w2, t.dst.w3].map(leWord);
  let j = jhash2(srcWords, persistent ? 0 : dstWords[max]!);
  const minWords = [r.minAddr.w0, r.minAddr.w1, r.minAddr.w2, r.minAddr.w3];
  const maxWords = [r.maxAddr.w0, r.maxAddr.w1, r.maxAddr.w2, r.maxAddr.w3];
  const out = [0, 0, 0, 0];
  let full = false;
  for (let i = 0; i <= max; i++) {
    let minip: number;
    let dist: number;
    if (!full) {
      minip = minWords[i]!;
      dist = (maxWords[i]! - minip + 1) >>> 0;
    } else {
      minip = 0;
      dist = 0xffffffff;
    }
    out[i] = (minip + reciprocalScale(j, dist)) >>> 0;
    if (out[i] !== maxWords[i]) full = true;
    if (!persistent) j = (j ^ dstWords[i]!) >>> 0;
  }
  const a = new InetAddr(conn.family, out[0], out[1], out[2], out[3]);
  if (manip === Manip.Src) t.src = a;
  else t.dst = a;
}

// -- packet manipulation (nf_nat_ipv4_manip_pkt and the l4 manips) ----------

/** Ones' complement replacement of a 16-bit field's contribution (csum_replace2 / inet_proto_csum_replace2). */
function csumReplace(b: Uint8Array, at: number, from: number, to: number): void {
  let s = ~((b[at]! << 8) | b[at + 1]!) & 0xffff;
  s += ~from & 0xffff;
  s += to & 0xffff;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  s = ~s & 0xffff;
  b[at] = s >> 8;
  b[at + 1] = s & 0xff;
}

function u16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = v >> 8;
  b[at + 1] = v & 0xff;
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/**
 * Rewrites the IPv4 packet whose header starts at `iph` (0, or the quoted
 * packet inside an ICMP error) to carry `target`'s source or destination:
 * transport first (ports, ICMP id, checksums), then the address and the
 * header checksum. `len` bounds every access; false when the transport
 * header the protocol needs is not there.
 */
function manipIPv4(d: Uint8Array, iph: number, len: number, target: Tuple, manip: Manip): boolean {
  if (iph + 20 > len) return false;
  const hdroff = iph + (d[iph]! & 0x0f) * 4;
  const addrAt = iph + (manip === Manip.Src ? 12 : 16);
  const oldAddr = u32(d, addrAt);
  const newAddr = (manip === Manip.Src ? target.src : target.dst).w0;
  const fragoff = u16(d, iph + 6) & 0x1fff;
  if (fragoff === 0) {
    switch (target.proto) {
      case 6: {
        // TCP conntrack guarantees 8 bytes; the checksum only when the whole header is there (not in a quoted packet).
        if (hdroff + 8 > len) return false;
        const at = hdroff + (manip === Manip.Src ? 0 : 2);
        const oldPort = u16(d, at);
        const newPort = manip === Manip.Src ? target.sport : target.dport;
        put16(d, at, newPort);
        if (hdroff + 20 <= len) {
          csumReplace4(d, hdroff + 16, oldAddr, newAddr);
          csumReplace(d, hdroff + 16, oldPort, newPort);
        }
        break;
      }
      case 17:
      case 136: {
        if (hdroff + 8 > len) return false;
        const at = hdroff + (manip === Manip.Src ? 0 : 2);
        const oldPort = u16(d, at);
        const newPort = manip === Manip.Src ? target.sport : target.dport;
        if (target.proto === 136 || u16(d, hdroff + 6) !== 0) {
          csumReplace4(d, hdroff + 6, oldAddr, newAddr);
          csumReplace(d, hdroff + 6, oldPort, newPort);
          if (u16(d, hdroff + 6) === 0) put16(d, hdroff + 6, 0xffff);
        }
        put16(d, at, newPort);
        break;
      }
      case 132:
        if (!sctpManip(d, hdroff, len, target, manip)) return false;
        break;
      case 47: {
        // gre_manip_pkt: 8 bytes of the PPTP GRE header must be there; only version 1's key (the call id)
        // changes, on the destination side (the source key is not in the packet); another version than 0 or 1
        // cannot be translated.
        if (hdroff + 8 > len) return false;
        if (manip !== Manip.Dst) break;
        const version = d[hdroff + 1]! & 7;
        if (version === 1) put16(d, hdroff + 6, target.dport);
        else if (version !== 0) return false;
        break;
      }
      case 1: {
        if (hdroff + 8 > len) return false;
        const type = d[hdroff]!;
        if (type === 0 || type === 8 || type === 13 || type === 14 || type === 15 || type === 16 || type === 17 || type === 18) {
          const oldId = u16(d, hdroff + 4);
          csumReplace(d, hdroff + 2, oldId, target.sport);
          put16(d, hdroff + 4, target.sport);
        }
        break;
      }
      default:
        break;
    }
  }
  csumReplace4(d, iph + 10, oldAddr, newAddr);
  d[addrAt] = newAddr >>> 24;
  d[addrAt + 1] = (newAddr >>> 16) & 0xff;
  d[addrAt + 2] = (newAddr >>> 8) & 0xff;
  d[addrAt + 3] = newAddr & 0xff;
  return true;
}

/**
 * sctp_manip_pkt: the port, then the CRC32c computed again over everything
 * from the SCTP header to the end of the packet (`len`), when the whole
 * 12-byte common header is there; in a quoted packet shorter than that
 * only the port changes. (The kernel skips the CRC for CHECKSUM_PARTIAL
 * packets, which leave with the sum computed by the device; cofw's have it
 * computed here.)
 */
function sctpManip(d: Uint8Array, hdroff: number, len: number, target: Tuple, manip: Manip): boolean {
  if (hdroff + 8 > len) return false;
  put16(d, hdroff + (manip === Manip.Src ? 0 : 2), manip === Manip.Src ? target.sport : target.dport);
  if (hdroff + 12 <= len) setSctpChecksum(d, hdroff, len - hdroff);
  return true;
}

/** csum_replace for a run of 32-bit words (inet_proto_csum_replace16 for an IPv6 address). */
function csumReplaceWords(b: Uint8Array, at: number, from: InetAddr, to: InetAddr): void {
  let s = ~((b[at]! << 8) | b[at + 1]!) & 0xffff;
  for (const w of [from.w0, from.w1, from.w2, from.w3]) s += (~(w >>> 16) & 0xffff) + (~w & 0xffff);
  for (const w of [to.w0, to.w1, to.w2, to.w3]) s += (w >>> 16) + (w & 0xffff);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  s = ~s & 0xffff;
  b[at] = s >> 8;
  b[at + 1] = s & 0xff;
}

const walk6 = new ExtWalk();
const addrScratch = new InetAddr(Family.V6);

/**
 * nf_nat_ipv6_manip_pkt: the IPv6 packet at `iph` gets `target`'s source
 * or destination. The extension headers are skipped; a first fragment's (or
 * whole packet's) transport header is rewritten with its checksum updated
 * for the address and the port (`noL4Csum`: the caller recomputes it); the
 * address is written last (IPv6 has no header checksum).
 */
function manipIPv6(d: Uint8Array, iph: number, len: number, target: Tuple, manip: Manip, noL4Csum = false): boolean {
  if (iph + 40 > len) return false;
  const addrAt = iph + (manip === Manip.Src ? 8 : 24);
  const oldAddr = addrScratch.readV6(d, addrAt);
  const newAddr = manip === Manip.Src ? target.src : target.dst;
  const proto = walkExtHeaders(d.subarray(iph, len), len - iph, walk6);
  if (proto >= 0 && walk6.fragoff === 0) {
    const hdroff = iph + walk6.thoff;
    const csum = (at: number, oldPort: number, newPort: number): void => {
      if (noL4Csum) return;
      csumReplaceWords(d, at, oldAddr, newAddr);
      if (oldPort !== newPort) csumReplace(d, at, oldPort, newPort);
    };
    switch (target.proto) {
      case 6: {
        if (hdroff + 8 > len) return false;
        const at = hdroff + (manip === Manip.Src ? 0 : 2);
        const oldPort = u16(d, at);
        const newPort = manip === Manip.Src ? target.sport : target.dport;
        put16(d, at, newPort);
        if (hdroff + 20 <= len) csum(hdroff + 16, oldPort, newPort);
        break;
      }
      case 17:
      case 136: {
        if (hdroff + 8 > len) return false;
        const at = hdroff + (manip === Manip.Src ? 0 : 2);
        const oldPort = u16(d, at);
        const newPort = manip === Manip.Src ? target.sport : target.dport;
        if (target.proto === 136 || u16(d, hdroff + 6) !== 0) {
          csum(hdroff + 6, oldPort, newPort);
          if (!noL4Csum && u16(d, hdroff + 6) === 0) put16(d, hdroff + 6, 0xffff);
        }
        put16(d, at, newPort);
        break;
      }
      case 132:
        if (!sctpManip(d, hdroff, len, target, manip)) return false;
        break;
      case 58: {
        if (hdroff + 8 > len) return false;
        if (!noL4Csum) csumReplaceWords(d, hdroff + 2, oldAddr, newAddr);
        const type = d[hdroff]!;
        if (type === 128 || type === 129) {
          const oldId = u16(d, hdroff + 4);
          if (!noL4Csum) csumReplace(d, hdroff + 2, oldId, target.sport);
          put16(d, hdroff + 4, target.sport);
        }
        break;
      }
      default:
        break;
    }
  }
  newAddr.write(d, addrAt);
  return true;
}

/** Re-reads the addresses the packet record caches after a rewrite. */
function reload(skb: Skb): void {
  const d = skb.data;
  if (skb.family === Family.V6) {
    skb.src.readV6(d, 8);
    skb.dst.readV6(d, 24);
    return;
  }
  skb.saddr = u32(d, 12);
  skb.daddr = u32(d, 16);
  skb.src.setV4(skb.saddr);
  skb.dst.setV4(skb.daddr);
}
