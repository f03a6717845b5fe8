/**
 * Connection tracking (net/netfilter/nf_conntrack_core.c and the protocol
 * trackers): tuples, a hash table keyed by both directions, unconfirmed
 * entries attached to the packet until confirmation, TCP state and window
 * tracking, UDP, ICMP (with errors RELATED to the flow they quote), generic
 * protocols, the table limit with early drop, expiry on virtual time, and
 * the text `conntrack -L | sort` prints.
 *
 * The stack calls `in` where the kernel runs nf_conntrack_in (PREROUTING and
 * OUTPUT, priority -200: after raw, before mangle) and `confirm` where it
 * runs nf_conntrack_confirm (last on INPUT and POSTROUTING, after every
 * table). A packet record that is reused must be cleared with `resetCt`
 * when a new packet starts its way (not when a looped-back packet re-enters
 * PREROUTING: it keeps its entry). Replies netfilter generates get their
 * cause's entry with `attachRelated`. Time is virtual: `nowNs` is an
 * ordinary number of nanoseconds since `clockOriginNs` (the stack's: the
 * boot, the first frame's time), read as HZ=250 jiffies counted from the
 * epoch (floor((origin + nowNs) / 4 ms)), exact for 2^53 ns (104 days).
 *
 * @example
 * const ct = new Conntrack();
 * if (ct.in(skb, Hook.PreRouting, nowNs) === NF_DROP) drop();
 * // ... filter tables ...
 * ct.confirm(skb, nowNs);
 * console.log(ct.list(nowNs));
 */
import { HZ, JiffyClock, jiffiesOfNs } from '../clock.js';
import { mix32 } from '../hash.js';
import { InetAddr } from '../../packet/inet-addr.js';
import { fold, inetChecksum, l4Checksum, l4Checksum6, sum16 } from '../../packet/checksum.js';
import { Family } from '../../packet/inet-addr.js';
import { ExtWalk, walkExtHeaders } from '../../net/ipv6/exthdr.js';
import { Hook, NF_ACCEPT, NF_DROP, type Skb } from '../types.js';
import {
  CT_INVALID,
  CT_TRACKED,
  CT_UNTRACKED,
  Conn,
  SynproxyExt,
  IPS_ASSURED,
  IPS_CONFIRMED,
  IPS_EXPECTED,
  IPS_SEEN_REPLY,
  IPS_SEQ_ADJUST,
  IP_CT_ESTABLISHED,
  IP_CT_ESTABLISHED_REPLY,
  IP_CT_IS_REPLY,
  IP_CT_NEW,
  IP_CT_RELATED,
  IP_CT_RELATED_REPLY,
  TCP_STATE_NAMES,
  TEMPLATE_HELPER_MASK,
  TEMPLATE_HELPER_SHIFT,
  TEMPLATE_TIMEOUT_MASK,
  TEMPLATE_TIMEOUT_SHIFT,
  TupleHash,
  ZONE_DIR_BOTH,
  ZONE_DIR_ORIG,
  ZONE_DIR_REPL,
  ZONE_FROM_MARK,
  type Tuple,
  zoneIdIn,
} from './conn.js';
import { templateHelper } from './helper-registry.js';
import {
  Expectation,
  helperLog,
  NF_CT_EXP_F_SKIP_MASTER,
  NF_CT_EXPECT_INACTIVE,
  NF_CT_EXPECT_PERMANENT,
  NF_CT_EXPECT_USERSPACE,
  type HelperHost,
  type NatHost,
} from './helpers.js';
import { moduleParams, type ModuleParams, type ModuleSettings } from './module-params.js';
import { seqAdjust, seqadjExtAdd } from './seqadj.js';
import { SCTP_STATE_NAMES, SctpVerdict, sctpError, sctpPacket, sctpTimeoutJiffies } from './sctp.js';
import { CTTIMEOUT_PROTOCOLS, MAX_TIMEOUT_POLICIES, policyJiffies, type PolicyTimeouts, type TimeoutPolicy } from './timeout-policy.js';
import {
  TCP_TIMEOUTS_S,
  TCP_UNACK_INDEX,
  TcpVerdict,
  takeShrink,
  tcpCanEarlyDrop,
  tcpMalformed,
  tcpNew,
  tcpPacket,
  tcpTimeoutJiffies,
  type TcpSettings,
} from './tcp.js';

export * from './conn.js';
export { TCP_TIMEOUTS_S } from './tcp.js';
export { SCTP_TIMEOUTS_S, SctpState, SCTP_STATE_NAMES } from './sctp.js';

/** The guest's clock rate (jiffies per second), as on the reference kernel (defined in clock.ts). */
export { HZ };

/** Default timeouts in seconds for the other protocols (nf_conntrack_*_timeout*). */
export const TIMEOUTS_S = {
  generic: 600,
  udpUnreplied: 30,
  udpReplied: 120,
  icmp: 30,
  greUnreplied: 30,
  greReplied: 180,
} as const;

/** The reason of a packet nf_ct_seq_adjust could not adjust (a partial TCP option: the kernel's `drop` statistic). */
export const SEQADJ_DROP = 'nf_conntrack: TCP sequence adjustment failed (partial option)';

/** nf_nat's IPS_DST_NAT_DONE (nat/core.ts): a destination binding, which nothing but the entry keeps. */
const IPS_DST_NAT_DONE = 1 << 8;

/** Freed entries kept per protocol for reuse (`Conntrack.release`). */
const FREE_MAX = 16;

/** Buckets scanned by early drop (NF_CT_EVICTION_RANGE). */
const EVICTION_RANGE = 8;

export interface ConntrackOptions {
  /**
   * What the clock the methods are given (`nowNs`, ordinary numbers of
   * nanoseconds) counts from, as nanoseconds since 1970: its jiffies are
   * those of origin + nowNs since the epoch (default 0: nowNs itself).
   */
  clockOriginNs?: bigint;
  /** nf_conntrack_max: entries the table may hold (0: unlimited). Default 262144. */
  max?: number;
  /**
   * nf_conntrack_buckets: hash buckets, which early drop scans. Default
   * 262144, the reference kernel's (6.18 on a machine with more than 4 GiB:
   * `/proc/sys/net/netfilter/nf_conntrack_buckets`), which also makes
   * nf_ct_expect_max 4096 as there.
   */
  buckets?: number;
  /** nf_conntrack_tcp_loose (default true). */
  tcpLoose?: boolean;
  /** nf_conntrack_tcp_be_liberal (default false). */
  tcpBeLiberal?: boolean;
  /** nf_conntrack_tcp_max_retrans (default 3). */
  tcpMaxRetrans?: number;
  /** nf_conntrack_tcp_ignore_invalid_rst (default false). */
  tcpIgnoreInvalidRst?: boolean;
  /** nf_conntrack_checksum: verify TCP/UDP/ICMP checksums on PREROUTING (default true). */
  checksum?: boolean;
  /** nf_conntrack_acct: new entries count their packets and bytes (default false; a connbytes rule turns it on). */
  acct?: boolean;
  /** nf_conntrack_tcp_timeout_* (seconds), each the kernel's default when absent. */
  tcpTimeouts?: Partial<Record<keyof typeof TCP_TIMEOUTS_S, number>>;
  /** nf_conntrack_udp_timeout, _udp_timeout_stream, _icmp_timeout, _icmpv6_timeout, _generic_timeout (seconds). */
  timeouts?: Partial<Record<ConntrackTimeout, number>>;
  /** The helper modules' parameters (module-params.ts); the kernel's defaults when absent. */
  modules?: ModuleSettings;
  /**
   * The timeout policies (timeout-policy.ts, machine file `cttimeout:`), in
   * order: `CT --timeout` templates carry their index from 1. The states a
   * policy leaves out take this table's timeouts (the sysctls above).
   */
  timeoutPolicies?: readonly TimeoutPolicy[];
}

/** The timeouts besides TCP's a machine may set (nf_conntrack_udp_timeout, _udp_timeout_stream, _icmp_timeout, _icmpv6_timeout, _generic_timeout). */
export type ConntrackTimeout = 'udpUnreplied' | 'udpReplied' | 'icmp' | 'icmpv6' | 'generic';

/** Jiffies (HZ=250) from virtual nanoseconds. */
export function nsToJiffies(ns: number): number {
  return jiffiesOfNs(ns);
}

/** ICMP request/reply type pairs (invmap in nf_conntrack_proto_icmp.c): type -> inverse + 1. */
const ICMP_INVMAP = new Uint8Array(256);
ICMP_INVMAP[8] = 0 + 1;
ICMP_INVMAP[0] = 8 + 1;
ICMP_INVMAP[13] = 14 + 1;
ICMP_INVMAP[14] = 13 + 1;
ICMP_INVMAP[15] = 16 + 1;
ICMP_INVMAP[16] = 15 + 1;
ICMP_INVMAP[17] = 18 + 1;
ICMP_INVMAP[18] = 17 + 1;

/**
 * nf_ct_invert_tuple: the tuple of the other direction. ICMP queries keep
 * their id and swap the request type for the reply's (an ICMP type with no
 * reply inverts to type 255, which no packet carries); ports and GRE keys swap.
 */
export function invertTuple(t: Tuple): Tuple {
  if (t.proto === 1 || t.proto === 58) {
    const inv = (t.proto === 1 ? ICMP_INVMAP : ICMPV6_INVMAP)[t.dport >>> 8]!;
    return { proto: t.proto, src: t.dst, dst: t.src, sport: t.sport, dport: (((inv - 1) & 0xff) << 8) | (t.dport & 0xff) };
  }
  return { proto: t.proto, src: t.dst, dst: t.src, sport: t.dport, dport: t.sport };
}

/** Do two tuples name the same flow direction (nf_ct_tuple_equal)? */
export function tupleEqual(a: Tuple, b: Tuple): boolean {
  return a.proto === b.proto && a.sport === b.sport && a.dport === b.dport && a.src.equals(b.src) && a.dst.equals(b.dst);
}

/** ICMPv6 request/reply pairs (nf_conntrack_proto_icmpv6.c invmap): type -> inverse + 1. */
const ICMPV6_INVMAP = new Uint8Array(256);
ICMPV6_INVMAP[128] = 129 + 1;
ICMPV6_INVMAP[129] = 128 + 1;
ICMPV6_INVMAP[139] = 140 + 1;
ICMPV6_INVMAP[140] = 139 + 1;

/** ICMPv6 types conntrack leaves untracked (noct_valid_new: MLD and neighbour discovery). */
function icmpv6Untracked(type: number): boolean {
  return (type >= 130 && type <= 136) || type === 143;
}

/** ICMP types that may open an entry (valid_new). */
function icmpValidNew(type: number): boolean {
  return type === 8 || type === 13 || type === 15 || type === 17;
}

/** ICMP error types (icmp_is_err). */
function icmpIsError(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

/**
 * Protocols whose tuple carries ports (nf_ct_get_tuple_ports). Not DCCP:
 * Linux 6.18 has no DCCP tracker (nf_conntrack_proto_dccp went with the
 * DCCP protocol), so a DCCP packet is tracked as a generic protocol, one
 * entry per address pair whatever its ports.
 */
function hasPorts(proto: number): boolean {
  return proto === 6 || proto === 17 || proto === 136 || proto === 132;
}

/** Protocols conntrack-tools prints ports for: those with a tuple of ports, and DCCP (its generic entries show sport=0 dport=0). */
function printsPorts(proto: number): boolean {
  return hasPorts(proto) || proto === 33;
}

/**
 * The destination key of a GRE packet's tuple (gre_pkt_to_tuple): for
 * version 1 carrying PPP, the PPTP call id with GRE_V1_PPP set (its source
 * key is then looked up in the keymap); 0 for other GRE (tracked like a
 * generic protocol, but with GRE's timeouts), -1 when a version 1 packet
 * carries something else.
 */
function greKey(d: Uint8Array, off: number, len: number): number {
  if (off + 4 > len || (d[off + 1]! & 7) !== 1) return 0;
  if (off + 8 > len) return 0;
  if (((d[off + 2]! << 8) | d[off + 3]!) !== 0x880b) return -1;
  return GRE_V1_PPP | (d[off + 6]! << 8) | d[off + 7]!;
}

/** In greKey's answer: a version 1 packet carrying PPP, whose source key the keymap gives. */
const GRE_V1_PPP = 0x10000;

/**
 * One GRE keymap entry (struct nf_ct_gre_keymap): a version 1 packet from
 * `src` to `dst` with destination key `dstKey` gets `srcKey` as its
 * tuple's source key.
 */
interface GreKeymap {
  readonly src: InetAddr;
  readonly dst: InetAddr;
  readonly srcKey: number;
  readonly dstKey: number;
}

function keymapOf(t: Tuple): GreKeymap {
  return { src: t.src, dst: t.dst, srcKey: t.sport, dstKey: t.dport };
}

/** gre_key_cmpfn: the same addresses and destination key. */
function keymapCovers(k: GreKeymap, t: Tuple): boolean {
  return k.dstKey === t.dport && k.src.equals(t.src) && k.dst.equals(t.dst);
}

/** Protocol names conntrack-tools prints. */
/**
 * udplite_error: the UDP-Lite datagram is INVALID when its header is short, its checksum coverage is 1-7
 * or beyond the datagram (0 covers all of it), its checksum is zero (UDP-Lite mandates one), or, on
 * PREROUTING with nf_conntrack_checksum, the covered bytes do not sum right. The kernel sums them with
 * the pseudo header of UDP (nf_checksum_partial with IPPROTO_UDP: protocol 17, the datagram's whole
 * length), not RFC 3828's protocol 136, so a datagram summed by the RFC fails here.
 */
function udpliteError(skb: Skb, th: number, csum: boolean): boolean {
  const d = skb.data;
  const udplen = skb.len - th;
  if (udplen < 8) return true;
  let cscov = (d[th + 4]! << 8) | d[th + 5]!;
  if (cscov === 0) cscov = udplen;
  else if (cscov < 8 || cscov > udplen) return true;
  if ((d[th + 6]! | d[th + 7]!) === 0) return true;
  if (!csum) return false;
  let s = skb.family === Family.V6 ? sum16(d, 8, 32) + (udplen >>> 16) + (udplen & 0xffff) : sum16(d, 12, 8) + udplen;
  s += 17;
  return fold(sum16(d, th, cscov, s)) !== 0;
}

const PROTO_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 33: 'dccp', 47: 'gre', 58: 'icmpv6', 132: 'sctp', 136: 'udplite' };

/**
 * The connection tracking table of one guest.
 *
 * Hot path: `in` and `confirm` read the packet in place; the only
 * allocation is a new entry for a packet that opens a connection (none
 * when an entry freed unconfirmed is reused: `release`), which holds its
 * tuples' addresses as words until something reads them as records.
 */
export class Conntrack implements HelperHost {
  /** nf_conntrack_max. */
  readonly max: number;
  readonly buckets: number;
  private readonly heads: Array<TupleHash | null>;
  private count = 0;
  private readonly checksum: boolean;
  private readonly tcp: TcpSettings;
  private readonly genericTimeout: number;
  private readonly udpUnreplied: number;
  private readonly udpReplied: number;
  private readonly icmpTimeout: number;
  private readonly icmpv6Timeout: number;
  private readonly greUnreplied = TIMEOUTS_S.greUnreplied * HZ;
  private readonly greReplied = TIMEOUTS_S.greReplied * HZ;
  private readonly sctpTimeouts = sctpTimeoutJiffies();
  /** The timeout policies by template index (0: none), each its tracker's array in jiffies. */
  private readonly policies: ReadonlyArray<PolicyTimeouts | null>;
  /** No confirmed entry's timeout is below this jiffy (a lower bound, kept by every write of one; see `reap`). */
  private expiryFloor = -Infinity;
  private lastNs = NaN;
  private lastJ = 0;
  private readonly clock: JiffyClock;
  /** Scratch records for the packet an ICMP error quotes. */
  private readonly quotedSrc = new InetAddr();
  private readonly quotedDst = new InetAddr();
  private readonly quotedWalk = new ExtWalk();
  /** Entries dropped early because the table was full (stat early_drop). */
  earlyDrops = 0;
  /** Packets dropped because the table was full and nothing could be evicted (stat drop). */
  drops = 0;
  /** Packets dropped at confirmation because their tuple clashed (stat insert_failed). */
  insertFailed = 0;
  /** Pending expectations, oldest first (the kernel's expectation hash, as one list). */
  private readonly expects: Expectation[] = [];
  /** nf_ct_expect_max: nf_ct_expect_hsize (buckets / 256, at least 1) times 4. */
  private readonly expectMax: number;
  /** The jiffy a helper runs at (for `expectRelated`). */
  private helperNow = 0;
  /** Entries made for an expectation (stat expect_new). */
  expectNew = 0;
  /** Expectations made (stat expect_create) and removed (expect_delete). */
  expectCreate = 0;
  expectDelete = 0;
  /** The stack's answer to nf_conntrack_broadcast_help's question (see HelperHost); none without a stack. */
  broadcastMask: (skb: Skb) => number = () => 0;
  /** The stack's answer to HelperHost.sameRoute; false without a stack. */
  routesAlike: (a: InetAddr, b: InetAddr) => boolean = () => false;
  /** The stack's answer to HelperHost.sameDevice; false without a stack. */
  routesBy: (skb: Skb, addr: InetAddr) => boolean = () => false;
  /** HelperHost.params: the helper modules' parameters. */
  readonly params: ModuleParams;
  /** Why `confirm` last returned false because a helper dropped the packet (nf_ct_helper_log), or null for a clash. */
  helperDropReason: string | null = null;
  /** Packets found INVALID (stat invalid). */
  invalid = 0;
  /** When set (cofw trace), told the entry a packet found, as conntrack -L prints it, before the packet changes it (null: none). */
  observe: ((before: string | null) => void) | null = null;
  /** The GRE keymap (the kernel's per-namespace keymap_list), oldest first. */
  private readonly greKeymaps: GreKeymap[] = [];
  /** Each master's two keymap entries (nf_ct_pptp_master.keymap). */
  private readonly greKeymapsOf = new Map<Conn, readonly [GreKeymap, GreKeymap]>();
  /**
   * The unconfirmed GRE entry an expectation made for the last packet: if
   * that packet never got through, the entry is freed (destroy_gre_conntrack)
   * when the next one comes.
   */
  private pendingGre: Conn | null = null;
  /** The entry the last packet that opened one made (for `release`). */
  private fresh: Conn | null = null;
  /** Freed TCP and UDP entries, kept to be made new again (see `release`). */
  private readonly freeTcp: Conn[] = [];
  private readonly freeUdp: Conn[] = [];
  /** Entries reused from the free lists (for the tests). */
  reused = 0;
  /** Entries whose helper's destroy runs (nf_ct_delete's dying bit): a nested removal leaves them alone. */
  private readonly destroying = new Set<Conn>();
  /**
   * net.netfilter.nf_conntrack_acct: entries made while it is on get the
   * accounting extension, which every packet the tracker accepts with a
   * refresh counts (nf_ct_refresh_acct: skb->len, the IP packet's length).
   * xt_connbytes' checkentry turns it on.
   */
  acct: boolean;
  /** Rules with `-m connlabel` loaded (net->ct.labels_used): entries made meanwhile get the labels extension. */
  labelsUsed = 0;
  /** The packet handlePacket is looking at: its direction and length, for the accounting. */
  private pktDir = 0;
  private pktLen = 0;

  constructor(opts: ConntrackOptions = {}) {
    this.clock = new JiffyClock(opts.clockOriginNs ?? 0n);
    this.max = opts.max ?? 262144;
    this.buckets = Math.max(1, opts.buckets ?? 262144);
    if (!Number.isInteger(this.max) || this.max < 0) throw new RangeError(`conntrack max must be a non-negative integer, got ${opts.max}`);
    if (!Number.isInteger(this.buckets)) throw new RangeError(`conntrack buckets must be an integer, got ${opts.buckets}`);
    this.heads = new Array<TupleHash | null>(this.buckets).fill(null);
    this.expectMax = Math.max(1, Math.floor(this.buckets / 256)) * 4;
    this.checksum = opts.checksum ?? true;
    this.acct = opts.acct ?? false;
    const t = opts.timeouts ?? {};
    this.genericTimeout = (t.generic ?? TIMEOUTS_S.generic) * HZ;
    this.udpUnreplied = (t.udpUnreplied ?? TIMEOUTS_S.udpUnreplied) * HZ;
    this.udpReplied = (t.udpReplied ?? TIMEOUTS_S.udpReplied) * HZ;
    this.icmpTimeout = (t.icmp ?? TIMEOUTS_S.icmp) * HZ;
    this.icmpv6Timeout = (t.icmpv6 ?? TIMEOUTS_S.icmp) * HZ;
    this.params = moduleParams(opts.modules);
    this.tcp = {
      loose: opts.tcpLoose ?? true,
      beLiberal: opts.tcpBeLiberal ?? false,
      maxRetrans: opts.tcpMaxRetrans ?? 3,
      ignoreInvalidRst: opts.tcpIgnoreInvalidRst ?? false,
      timeouts: tcpTimeoutJiffies({ ...TCP_TIMEOUTS_S, ...opts.tcpTimeouts }),
    };
    const policies = opts.timeoutPolicies ?? [];
    if (policies.length > MAX_TIMEOUT_POLICIES) throw new RangeError(`at most ${MAX_TIMEOUT_POLICIES} timeout policies, got ${policies.length}`);
    this.policies = [null, ...policies.map((p, i) => this.compilePolicy(p, i + 1))];
  }

  /** A policy's arrays: the namespace's timeouts of its protocol with the states it names replaced (*_timeout_nlattr_to_obj). */
  private compilePolicy(p: TimeoutPolicy, index: number): PolicyTimeouts {
    const proto = CTTIMEOUT_PROTOCOLS[p.protocol];
    if (!proto) throw new RangeError(`timeout policy ${p.name}: no protocol ${p.protocol}`);
    let defaults: readonly number[];
    switch (proto.l4proto) {
      case 6:
        defaults = this.tcp.timeouts;
        break;
      case 132:
        defaults = this.sctpTimeouts;
        break;
      case 17:
      case 136:
        defaults = [this.udpUnreplied, this.udpReplied];
        break;
      case 47:
        defaults = [this.greUnreplied, this.greReplied];
        break;
      case 1:
        defaults = [this.icmpTimeout];
        break;
      case 58:
        defaults = [this.icmpv6Timeout];
        break;
      default:
        defaults = [this.genericTimeout];
    }
    const jiffies = policyJiffies(p, defaults);
    return { index, name: p.name, l4proto: proto.l4proto, jiffies, tcp: proto.l4proto === 6 ? { ...this.tcp, timeouts: jiffies } : null };
  }

  /** The policy a template index names (null for 0 or an index the machine has no policy for). */
  policyAt(index: number): PolicyTimeouts | null {
    return this.policies[index] ?? null;
  }

  /** The most entries the table held at once. */
  peak = 0;

  /** Entries in the table (confirmed, not yet removed; expired ones go at lookup or sweep). */
  get size(): number {
    return this.count;
  }

  /**
   * nfct_time_stamp at `nowNs`: the jiffies its entries' timeouts count on
   * (`--ctexpire` and connlimit compare those timeouts with it).
   */
  jiffiesAt(nowNs: number): number {
    return this.jiffies(nowNs);
  }

  private jiffies(nowNs: number): number {
    if (nowNs !== this.lastNs) {
      this.lastNs = nowNs;
      this.lastJ = this.clock.of(nowNs);
    }
    return this.lastJ;
  }

  private bucketOf(proto: number, src: InetAddr, dst: InetAddr, sport: number, dport: number): number {
    let h = src.hash(Math.imul(proto, 0x9e3779b1));
    h = dst.hash(h);
    h = mix32(h ^ ((sport << 16) | dport));
    return h % this.buckets;
  }

  /** `bucketOf` the tuple a tuple hash holds, from its inline key (the same bucket as from its address records). */
  private bucketOfKey(k: TupleHash): number {
    const w = k.wide;
    let h = mix32(Math.imul(k.proto, 0x9e3779b1) ^ k.s0);
    if (w !== null) {
      h = mix32(h ^ w.s1);
      h = mix32(h ^ w.s2);
      h = mix32(h ^ w.s3);
    }
    h = mix32(h ^ k.d0);
    if (w !== null) {
      h = mix32(h ^ w.d1);
      h = mix32(h ^ w.d2);
      h = mix32(h ^ w.d3);
    }
    h = mix32(h ^ ((k.sport << 16) | k.dport));
    return h % this.buckets;
  }

  /**
   * Finds the tuple hash for a tuple among confirmed entries of the zone
   * `zid` (holding for directions `zdirs`): as nf_ct_key_equal, an entry
   * found by its direction d is in the zone when both zones have the same
   * id in direction d (a zone that does not hold for d has id 0 there).
   * Removes the expired entries it meets on the way.
   */
  private find(proto: number, src: InetAddr, dst: InetAddr, sport: number, dport: number, now: number, zid = 0, zdirs = ZONE_DIR_BOTH): TupleHash | null {
    const b = this.bucketOf(proto, src, dst, sport, dport);
    for (let h: TupleHash | null = this.heads[b] ?? null; h !== null;) {
      const next: TupleHash | null = h.next;
      if (h.holds(proto, src, dst, sport, dport) && zoneIdIn(h.conn.zone, h.conn.zoneDirs, h.dir) === zoneIdIn(zid, zdirs, h.dir)) {
        const c = h.conn;
        if (c.timeout - now > 0) return h;
        this.remove(c);
        // A helper's destroy (pptp's) may have removed other entries of this chain: start it again.
        if (c.helper !== null) {
          h = this.heads[b] ?? null;
          continue;
        }
      }
      h = next;
    }
    return null;
  }

  /** `find` for the tuple another tuple hash holds (`k`, an unconfirmed entry's), compared by inline keys. */
  private findKey(k: TupleHash, now: number, zid: number, zdirs: number): TupleHash | null {
    const b = this.bucketOfKey(k);
    for (let h: TupleHash | null = this.heads[b] ?? null; h !== null;) {
      const next: TupleHash | null = h.next;
      if (h.holdsKeyOf(k) && zoneIdIn(h.conn.zone, h.conn.zoneDirs, h.dir) === zoneIdIn(zid, zdirs, h.dir)) {
        const c = h.conn;
        if (c.timeout - now > 0) return h;
        this.remove(c);
        if (c.helper !== null) {
          h = this.heads[b] ?? null;
          continue;
        }
      }
      h = next;
    }
    return null;
  }

  private link(h: TupleHash): void {
    const b = this.bucketOfKey(h);
    h.bucket = b;
    h.next = this.heads[b] ?? null;
    this.heads[b] = h;
  }

  private unlink(h: TupleHash): void {
    const b = h.bucket;
    if (b < 0) return;
    let p: TupleHash | null = this.heads[b] ?? null;
    if (p === h) this.heads[b] = h.next;
    else {
      while (p !== null && p.next !== h) p = p.next;
      if (p !== null) p.next = h.next;
    }
    h.next = null;
    h.bucket = -1;
  }

  /** Removes an entry from the table (nf_ct_delete). */
  remove(conn: Conn): void {
    // nf_ct_helper_destroy first (pptp's: its GRE entries and expectations go too).
    const helper = conn.helper;
    if (helper !== null && helper.destroy !== undefined && !conn.dead && conn.confirmed && !this.destroying.has(conn)) {
      this.destroying.add(conn);
      this.helperNow = this.lastJ;
      helper.destroy(this, conn);
      this.destroying.delete(conn);
    }
    // clean_from_lists: the entry's pending expectations go with it.
    if (conn.expectations !== null && conn.expectations.length !== 0) this.removeExpectations(conn);
    if (conn.dead) return;
    if (conn.proto === 47) this.greDestroyed(conn);
    if (!conn.confirmed) {
      conn.dead = true;
      return;
    }
    this.unlink(conn.orig);
    this.unlink(conn.reply);
    conn.dead = true;
    this.count--;
  }

  /** destroy_gre_conntrack: a GRE entry a pptp master expected takes the master's keymap with it. */
  private greDestroyed(conn: Conn): void {
    const m = conn.master;
    if (m !== null && m.helper !== null && m.helper.destroy !== undefined) this.greKeymapDestroy(m);
  }

  /** The pending GRE entry's packet did not get through: the entry is freed. */
  private releasePendingGre(): void {
    const c = this.pendingGre!;
    this.pendingGre = null;
    if (!c.confirmed && !c.dead) {
      this.greDestroyed(c);
      c.dead = true;
    }
  }

  /** gre_keymap_lookup: the source key of a version 1 GRE packet's tuple (0 when no keymap entry covers it). */
  private greSrcKey(src: InetAddr, dst: InetAddr, dstKey: number): number {
    for (const k of this.greKeymaps) if (k.dstKey === dstKey && k.src.equals(src) && k.dst.equals(dst)) return k.srcKey;
    return 0;
  }

  /** Removes every expired entry (the kernel's gc worker); returns how many. */
  sweep(nowNs: number): number {
    return this.reap(this.jiffies(nowNs));
  }

  private reap(now: number): number {
    // Nothing in the table can have expired before the floor: a full table asks for a sweep with every
    // packet that would open an entry, and scanning 262144 buckets each time for nothing is what it saves.
    if (this.expiryFloor - now > 0) return 0;
    const victims: Conn[] = [];
    let floor = Infinity;
    for (let b = 0; b < this.buckets; b++) {
      for (let h: TupleHash | null = this.heads[b] ?? null; h !== null; h = h.next) {
        if (h.dir !== 0) continue;
        const t = h.conn.timeout;
        if (t - now <= 0) victims.push(h.conn);
        else if (t < floor) floor = t;
      }
    }
    for (const c of victims) this.remove(c);
    this.expiryFloor = floor;
    return victims.length;
  }

  /** A confirmed entry's timeout was set to `t`: the floor of every timeout in the table follows it down. */
  private timeoutSet(t: number): void {
    if (t < this.expiryFloor) this.expiryFloor = t;
  }

  /**
   * early_drop: from the new tuple's bucket, scans up to EVICTION_RANGE
   * buckets and removes every entry that is not ASSURED in the first bucket
   * that has one (expired entries met are removed without counting).
   */
  private earlyDrop(bucket: number, now: number): boolean {
    for (let i = 0; i < EVICTION_RANGE; i++) {
      const b = (bucket + i) % this.buckets;
      const victims: Conn[] = [];
      let drops = 0;
      for (let h: TupleHash | null = this.heads[b] ?? null; h !== null; h = h.next) {
        const c = h.conn;
        if (victims.includes(c)) continue;
        if (c.timeout - now <= 0) victims.push(c);
        else if (!(c.status & IPS_ASSURED)) {
          victims.push(c);
          drops++;
        }
      }
      for (const c of victims) this.remove(c);
      if (drops) {
        this.earlyDrops += drops;
        return true;
      }
    }
    return false;
  }

  /**
   * nf_conntrack_in on PREROUTING or OUTPUT: attaches the entry (possibly a
   * new, unconfirmed one) to `skb.ct` with `skb.ctinfo`, or leaves `skb.ct`
   * null with `skb.ctState` CT_INVALID. Returns NF_ACCEPT, or NF_DROP when
   * the table is full and nothing could be evicted, or when a SYN reopens a
   * connection the tracker could not remove.
   *
   * A packet that already carries an entry (looped back, or a reply netfilter
   * generated and attached) or that is marked untracked is left alone.
   */
  in(skb: Skb, hook: Hook, nowNs: number): number {
    if (skb.ct !== null || skb.ctState === CT_UNTRACKED) return NF_ACCEPT;
    if (this.pendingGre !== null) this.releasePendingGre();
    const now = this.jiffies(nowNs);
    // nf_ct_zone_tmpl: the zone of the template CT attached, the id from the mark when it says so.
    const tmpl = skb.ctZone;
    let zid = 0;
    let zdirs = ZONE_DIR_BOTH;
    if (tmpl >= 0) {
      zid = tmpl & ZONE_FROM_MARK ? skb.mark & 0xffff : tmpl & 0xffff;
      zdirs = (tmpl >>> 16) & ZONE_DIR_BOTH;
    }
    skb.ctinfo = 0;
    skb.ctState = CT_INVALID;
    const d = skb.data;
    let th = skb.thoff;
    const len = skb.len;
    let proto = skb.protocol;
    if (skb.family === Family.V6 && proto === 51) {
      // ipv6_skip_exthdr steps over AH where the rules' walk stopped at it.
      proto = walkExtHeaders(d, len, this.quotedWalk, true);
      th = this.quotedWalk.thoff;
    }
    // A malformed header chain: conntrack cannot find the protocol (INVALID).
    if (proto < 0 || skb.fragoff !== 0 || th > len) return this.markInvalid();
    const csum = this.checksum && hook === Hook.PreRouting;

    // nf_conntrack_handle_icmp: the error handlers of ICMP in IPv4 and ICMPv6 in IPv6 only (the other
    // family's ICMP is tracked by its protocol's tuple and state, without the error path).
    if ((proto === 1 && skb.family === Family.V4) || (proto === 58 && skb.family === Family.V6)) {
      const r = proto === 1 ? this.icmpError(skb, csum, now, zid, zdirs) : this.icmpv6Error(skb, csum, now, zid, zdirs);
      if (r < 0) return this.markInvalid();
      if (r > 0) return NF_ACCEPT;
    }

    for (;;) {
      // Tuple of the packet.
      let sport = 0;
      let dport = 0;
      if (hasPorts(proto)) {
        if (th + 4 > len) return this.markInvalid();
        sport = (d[th]! << 8) | d[th + 1]!;
        dport = (d[th + 2]! << 8) | d[th + 3]!;
      } else if (proto === 1 || proto === 58) {
        // icmp_pkt_to_tuple, icmpv6_pkt_to_tuple: the 8-byte header must be there.
        if (th + 8 > len) return this.markInvalid();
        sport = (d[th + 4]! << 8) | d[th + 5]!;
        dport = (d[th]! << 8) | d[th + 1]!;
      } else if (proto === 47) {
        const k = greKey(d, th, len);
        if (k < 0) return this.markInvalid();
        dport = k & 0xffff;
        if (k & GRE_V1_PPP && this.greKeymaps.length !== 0) sport = this.greSrcKey(skb.src, skb.dst, dport);
      }
      const src = skb.src;
      const dst = skb.dst;
      let conn: Conn;
      let ctinfo: number;
      const h = this.find(proto, src, dst, sport, dport, now, zid, zdirs);
      if (h === null) {
        // init_conntrack
        let rsport = dport;
        let rdport = sport;
        if (proto === 1 || proto === 58) {
          const inv = (proto === 1 ? ICMP_INVMAP : ICMPV6_INVMAP)[d[th]!]!;
          if (inv === 0) return this.markInvalid();
          rsport = sport;
          rdport = ((inv - 1) << 8) | d[th + 1]!;
        } else if (!hasPorts(proto) && proto !== 47) {
          rsport = 0;
          rdport = 0;
        }
        if (this.max && this.count + 1 > this.max) {
          if (!this.earlyDrop(this.bucketOf(proto, src, dst, sport, dport), now)) {
            this.sweepFull(now);
            if (this.count + 1 > this.max) {
              this.drops++;
              skb.ctState = CT_INVALID;
              return NF_DROP;
            }
          }
        }
        // An expectation this tuple fulfils is used up here, whatever then becomes of the packet.
        const exp = this.expects.length !== 0 ? this.takeExpectation(proto, src, dst, sport, dport, zid, now) : null;
        conn = this.newConn(proto, src, dst, sport, dport, rsport, rdport);
        this.fresh = conn;
        conn.zone = zid;
        conn.zoneDirs = zdirs;
        // init_conntrack: the template's timeout policy (CT --timeout), for every state of the entry.
        if (tmpl >= 0) conn.policy = this.policies[(tmpl >>> TEMPLATE_TIMEOUT_SHIFT) & TEMPLATE_TIMEOUT_MASK] ?? null;
        // init_conntrack: the synproxy template's extensions (SYNPROXY's SYN to the server).
        if (skb.ctSynproxy) {
          seqadjExtAdd(conn);
          conn.synproxy = new SynproxyExt();
        }
        // nf_ct_acct_ext_add, nf_ct_labels_ext_add: the extensions the namespace's settings ask for.
        if (this.acct) conn.acct = new Float64Array(4);
        if (this.labelsUsed > 0) conn.labels = new Uint32Array(4);
        ctinfo = IP_CT_NEW;
        if (exp !== null) {
          // "Welcome, Mr. Bond": RELATED to the expectation's master, with its mark.
          conn.status |= IPS_EXPECTED;
          conn.master = exp.master;
          conn.mark = exp.master.mark;
          // The expectation's own helper (sip's signalling expectations carry it), with fresh state.
          if (exp.helper !== null) {
            conn.helper = exp.helper;
            conn.helpData = exp.helper.init();
          }
          ctinfo = IP_CT_RELATED;
          this.expectNew++;
          // exp->expectfn (nf_nat_follow_master: the new entry is translated as its master is).
          if (exp.expectfn !== null) {
            this.helperNow = now;
            exp.expectfn(this, conn, exp);
          }
          if (proto === 47) this.pendingGre = conn;
        } else if (tmpl >= 0) {
          // __nf_ct_try_assign_helper: the template's helper (CT --helper).
          const helper = templateHelper((tmpl >>> TEMPLATE_HELPER_SHIFT) & TEMPLATE_HELPER_MASK);
          if (helper !== null) {
            conn.helper = helper;
            conn.helpData = helper.init();
          }
        }
      } else {
        conn = h.conn;
        if (h.dir === 1) ctinfo = IP_CT_ESTABLISHED_REPLY;
        else if (conn.status & IPS_SEEN_REPLY) ctinfo = IP_CT_ESTABLISHED;
        else if (conn.status & IPS_EXPECTED) ctinfo = IP_CT_RELATED;
        else ctinfo = IP_CT_NEW;
      }
      if (this.observe)
        this.observe(
          h === null ? null : formatEntry(conn, conn.confirmed ? Math.max(0, Math.floor((conn.timeout - now) / HZ)) : Math.floor(conn.timeout / HZ)),
        );
      const v = this.handlePacket(conn, ctinfo, skb, th, csum, now);
      if (v === HANDLE_REPEAT) {
        this.remove(conn);
        continue;
      }
      if (v === HANDLE_INVALID) return this.markInvalid();
      skb.ct = conn;
      skb.ctinfo = ctinfo;
      skb.ctState = CT_TRACKED;
      if (ctinfo === IP_CT_ESTABLISHED_REPLY) conn.status |= IPS_SEEN_REPLY;
      if (v === HANDLE_KILL) this.remove(conn);
      return NF_ACCEPT;
    }
  }

  /** A new entry for a packet: a freed one made new when there is one (see `release`). */
  private newConn(proto: number, src: InetAddr, dst: InetAddr, sport: number, dport: number, rsport: number, rdport: number): Conn {
    const free = proto === 6 ? this.freeTcp : proto === 17 ? this.freeUdp : null;
    if (free !== null && free.length !== 0) {
      this.reused++;
      return free.pop()!.reuse(src, dst, sport, dport, rsport, rdport);
    }
    return Conn.ofPacket(proto, src, dst, sport, dport, rsport, rdport);
  }

  /**
   * The stack has let go of every packet it was handling (and of the
   * replies it owed them): the entry the last new packet made, if that
   * packet was dropped before confirmation, dies with it, as the kernel
   * frees an unconfirmed entry with its packet. A TCP or UDP entry that
   * nothing else can reach (no helper, master, expectation, seqadj or
   * synproxy record, source NAT binding, nor connlimit list) is kept to be made new for a later
   * packet: about one packet in six of a firewall's traffic opens an entry
   * only to be dropped (a SYN to a closed port), and its entry then costs
   * no allocation. The caller must hold no packet that carries the entry.
   */
  release(): void {
    const c = this.fresh;
    if (c === null) return;
    this.fresh = null;
    if (c.confirmed || c.held || (c.status & ~IPS_DST_NAT_DONE) !== 0) return;
    if (c.helper !== null || c.master !== null || c.expectations !== null || c.seqadj !== null || c.synproxy !== null) return;
    const free = c.proto === 6 ? this.freeTcp : c.proto === 17 ? this.freeUdp : null;
    if (free === null || free.length >= FREE_MAX) return;
    c.dead = true;
    free.push(c);
  }

  /** When early drop found nothing: the gc worker would have reaped expired entries. */
  private sweepFull(now: number): void {
    this.reap(now);
  }

  private markInvalid(): number {
    this.invalid++;
    return NF_ACCEPT;
  }

  /** Sets the entry's timeout (nf_ct_refresh): absolute once confirmed, relative before. */
  private refresh(conn: Conn, extra: number, now: number): void {
    if (conn.confirmed) {
      conn.timeout = now + extra;
      this.timeoutSet(conn.timeout);
    } else conn.timeout = extra;
  }

  /** nf_ct_refresh_acct: the timeout, and the packet counted in its direction when the entry has accounting. */
  private refreshAcct(conn: Conn, extra: number, now: number): void {
    this.refresh(conn, extra, now);
    this.account(conn);
  }

  /** nf_ct_acct_update: one packet of skb->len bytes in the direction of the packet in hand. */
  private account(conn: Conn): void {
    const a = conn.acct;
    if (a === null) return;
    const i = this.pktDir << 1;
    a[i]!++;
    a[i + 1]! += this.pktLen;
  }

  private handlePacket(conn: Conn, ctinfo: number, skb: Skb, th: number, csum: boolean, now: number): number {
    const d = skb.data;
    const len = skb.len;
    const dir = ctinfo >= IP_CT_IS_REPLY ? 1 : 0;
    this.pktDir = dir;
    this.pktLen = skb.totLen;
    switch (conn.proto) {
      case 6: {
        if (tcpMalformed(d, th, len)) return HANDLE_INVALID;
        if (csum && this.l4Bad(skb, 6, th)) return HANDLE_INVALID;
        const ts = conn.policy?.tcp ?? this.tcp;
        if (!conn.confirmed && !tcpNew(conn.tcp!, d, th, len, ts)) return HANDLE_INVALID;
        const r = tcpPacket(conn, dir, d, th, len, ts);
        switch (r.verdict) {
          case TcpVerdict.Repeat:
            return HANDLE_REPEAT;
          case TcpVerdict.Invalid:
            if (takeShrink() && conn.confirmed) {
              const left = conn.timeout - now;
              const unack = ts.timeouts[TCP_UNACK_INDEX]!;
              if (left >= 120 * HZ && left > unack) {
                conn.timeout = now + unack;
                this.timeoutSet(conn.timeout);
              }
            }
            return HANDLE_INVALID;
          case TcpVerdict.AcceptNoRefresh:
            return HANDLE_OK;
          case TcpVerdict.AcceptKill:
            // nf_ct_kill_acct: counted, then removed.
            this.account(conn);
            return HANDLE_KILL;
          case TcpVerdict.Accept:
            if (r.assure) conn.status |= IPS_ASSURED;
            this.refreshAcct(conn, r.timeout, now);
            return HANDLE_OK;
        }
        return HANDLE_OK;
      }
      case 17: {
        if (th + 8 > len) return HANDLE_INVALID;
        const ulen = (d[th + 4]! << 8) | d[th + 5]!;
        if (ulen > len - th || ulen < 8) return HANDLE_INVALID;
        // udp_error: a zero checksum is "none" in both families (IPv6's own
        // receive path drops it later; conntrack tracks it).
        if (csum && (d[th + 6]! | d[th + 7]!) !== 0 && this.l4Bad(skb, 17, th)) return HANDLE_INVALID;
        this.udpStream(conn, now);
        return HANDLE_OK;
      }
      case 136: {
        if (udpliteError(skb, th, csum)) return HANDLE_INVALID;
        // nf_conntrack_udplite_packet has no 2-second stream rule: once a reply was seen, the replied timeout and ASSURED.
        const pol = conn.policy;
        if (conn.status & IPS_SEEN_REPLY) {
          this.refreshAcct(conn, pol !== null ? pol.jiffies[1]! : this.udpReplied, now);
          conn.status |= IPS_ASSURED;
        } else {
          this.refreshAcct(conn, pol !== null ? pol.jiffies[0]! : this.udpUnreplied, now);
        }
        return HANDLE_OK;
      }
      case 132: {
        if (sctpError(d, th, len, csum)) return HANDLE_INVALID;
        const r = sctpPacket(conn.sctp!, conn.confirmed, dir, d, th, len, conn.policy?.jiffies ?? this.sctpTimeouts);
        if (r.assure) conn.status |= IPS_ASSURED;
        if (r.verdict === SctpVerdict.Invalid) return HANDLE_INVALID;
        if (r.verdict === SctpVerdict.Accept) this.refreshAcct(conn, r.timeout, now);
        return HANDLE_OK;
      }
      case 47: {
        const pol = conn.policy;
        if (conn.status & IPS_SEEN_REPLY) {
          this.refreshAcct(conn, pol !== null ? pol.jiffies[1]! : this.greReplied, now);
          conn.status |= IPS_ASSURED;
        } else {
          this.refreshAcct(conn, pol !== null ? pol.jiffies[0]! : this.greUnreplied, now);
        }
        return HANDLE_OK;
      }
      case 1:
        if (!icmpValidNew(conn.orig.dport >>> 8)) return HANDLE_INVALID;
        this.refreshAcct(conn, conn.policy?.jiffies[0] ?? this.icmpTimeout, now);
        return HANDLE_OK;
      case 58: {
        // Only echo and node information requests open an entry (nf_conntrack_icmpv6 valid_new).
        const t = conn.orig.dport >>> 8;
        if (!conn.confirmed && t !== 128 && t !== 139) return HANDLE_INVALID;
        this.refreshAcct(conn, conn.policy?.jiffies[0] ?? this.icmpv6Timeout, now);
        return HANDLE_OK;
      }
      default:
        this.refreshAcct(conn, conn.policy?.jiffies[0] ?? this.genericTimeout, now);
        return HANDLE_OK;
    }
  }

  /**
   * nf_conntrack_udp_packet past its error checks: the unreplied timeout until a reply, then the
   * replied one (and ASSURED) for a stream older than 2 seconds.
   */
  private udpStream(conn: Conn, now: number): void {
    const status = conn.status;
    if (!(status & IPS_CONFIRMED)) conn.udpStreamTs = now + 2 * HZ;
    const pol = conn.policy;
    const unreplied = pol !== null ? pol.jiffies[0]! : this.udpUnreplied;
    if (status & IPS_SEEN_REPLY) {
      let extra = unreplied;
      let stream = false;
      if (now - conn.udpStreamTs > 0) {
        extra = pol !== null ? pol.jiffies[1]! : this.udpReplied;
        stream = (status & IPS_ASSURED) === 0;
      }
      this.refreshAcct(conn, extra, now);
      if (stream) conn.status |= IPS_ASSURED;
    } else {
      this.refreshAcct(conn, unreplied, now);
    }
  }

  /** The packet's TCP or UDP checksum is wrong (IPv4 or IPv6 pseudo header). */
  private l4Bad(skb: Skb, proto: number, th: number): boolean {
    const l4len = skb.len - th;
    return (skb.family === Family.V6 ? l4Checksum6(skb.data, th, l4len, proto) : l4Checksum(skb.data, th, l4len, proto)) !== 0;
  }

  /**
   * nf_conntrack_icmpv6_error: -1 INVALID (short, bad checksum, an error
   * quoting no known connection), 0 not an error (track as usual), 1
   * RELATED to the entry of the quoted packet, or untracked (neighbour
   * discovery and MLD: `skb.ctState` CT_UNTRACKED).
   */
  private icmpv6Error(skb: Skb, csum: boolean, now: number, zid: number, zdirs: number): number {
    const d = skb.data;
    const th = skb.thoff;
    const len = skb.len;
    if (th + 8 > len) return -1;
    if (csum && l4Checksum6(d, th, len - th, 58) !== 0) return -1;
    const type = d[th]!;
    if (icmpv6Untracked(type)) {
      skb.ct = null;
      skb.ctState = CT_UNTRACKED;
      return 1;
    }
    if (type >= 128) return 0;
    // The quoted packet: its IPv6 header and extension headers, then its transport header.
    const ih = th + 8;
    if (ih + 40 > len) return -1;
    const inner = d.subarray(ih, len);
    const w = this.quotedWalk;
    const iproto = walkExtHeaders(inner, inner.length, w);
    if (iproto < 0 || w.fragoff !== 0) return -1;
    const il4 = ih + w.thoff;
    this.quotedSrc.readV6(d, ih + 8);
    this.quotedDst.readV6(d, ih + 24);
    return this.relatedTo(skb, iproto, il4, now, zid, zdirs);
  }

  /**
   * nf_conntrack_icmpv4_error: -1 INVALID, 0 not an error (track as usual),
   * 1 RELATED to the entry of the quoted packet (set on `skb`).
   */
  private icmpError(skb: Skb, csum: boolean, now: number, zid: number, zdirs: number): number {
    const d = skb.data;
    const th = skb.thoff;
    const len = skb.len;
    if (th + 8 > len) return -1;
    if (csum && inetChecksum(d, th, len - th) !== 0) return -1;
    const type = d[th]!;
    if (type > 18) return -1;
    if (!icmpIsError(type)) return 0;
    // The quoted packet: its IPv4 header, then its transport header.
    const ih = th + 8;
    if (ih + 20 > len) return -1;
    if ((((d[ih + 6]! << 8) | d[ih + 7]!) & 0x1fff) !== 0) return -1;
    const il4 = ih + (d[ih]! & 0x0f) * 4;
    if (il4 > len) return -1;
    const iproto = d[ih + 9]!;
    this.quotedSrc.readV4(d, ih + 12);
    this.quotedDst.readV4(d, ih + 16);
    return this.relatedTo(skb, iproto, il4, now, zid, zdirs);
  }

  /**
   * nf_conntrack_inet_error's lookup: the error quotes a packet (addresses
   * in quotedSrc/quotedDst, transport header at `il4`) that went the other
   * way; the entry holding the inverse of its tuple, if the error is
   * addressed to that entry's end, makes the error RELATED (set on `skb`).
   * -1 when it is INVALID.
   */
  private relatedTo(skb: Skb, iproto: number, il4: number, now: number, zid: number, zdirs: number): number {
    const d = skb.data;
    const len = skb.len;
    let sport = 0;
    let dport = 0;
    if (hasPorts(iproto)) {
      if (il4 + 4 > len) return -1;
      // Inverted: the reply's ports.
      sport = (d[il4 + 2]! << 8) | d[il4 + 3]!;
      dport = (d[il4]! << 8) | d[il4 + 1]!;
    } else if (iproto === 1 || iproto === 58) {
      if (il4 + 8 > len) return -1;
      const inv = (iproto === 1 ? ICMP_INVMAP : ICMPV6_INVMAP)[d[il4]!]!;
      if (inv === 0) return -1;
      sport = (d[il4 + 4]! << 8) | d[il4 + 5]!;
      dport = ((inv - 1) << 8) | d[il4 + 1]!;
    } else if (iproto === 47) {
      // The quoted packet's tuple, inverted: its key is the reply's source key, the keymap's its destination key.
      const k = greKey(d, il4, len);
      if (k < 0) return -1;
      sport = k & 0xffff;
      if (k & GRE_V1_PPP && this.greKeymaps.length !== 0) dport = this.greSrcKey(this.quotedSrc, this.quotedDst, sport);
    }
    // The error's own zone (its template's): an error about a flow of another zone is INVALID.
    const h = this.find(iproto, this.quotedDst, this.quotedSrc, sport, dport, now, zid, zdirs);
    if (h === null) return -1;
    const conn = h.conn;
    if (!conn.tuple(h.dir).dst.equals(skb.dst)) return -1;
    skb.ct = conn;
    skb.ctinfo = IP_CT_RELATED + (h.dir === 1 ? IP_CT_IS_REPLY : 0);
    skb.ctState = CT_TRACKED;
    return 1;
  }

  /**
   * nf_conntrack_confirm at the end of INPUT or POSTROUTING: a new entry
   * attached to a packet of its original direction enters the table.
   * False when its tuples clash with an entry's: the packet is dropped.
   */
  confirm(skb: Skb, nowNs: number, loopback = false): boolean {
    const conn = skb.ct;
    if (conn === null) return true;
    // nf_confirm: the entry's helper sees the packet first (not an ICMP error of the reply direction),
    // then the TCP sequence numbers are adjusted for what NAT helpers rewrote (only entries with a helper
    // have a seqadj record: one field test for the others).
    if (conn.helper !== null) {
      if (skb.ctinfo !== IP_CT_RELATED_REPLY && !this.runHelper(conn, skb, nowNs, loopback)) return false;
    } else if (
      conn.status & IPS_SEQ_ADJUST &&
      skb.ctinfo !== IP_CT_RELATED_REPLY &&
      !loopback &&
      skb.fragoff === 0 &&
      !seqAdjust(skb, conn, skb.ctinfo, skb.thoff)
    ) {
      // Sequence numbers an entry without a helper adjusts: SYNPROXY's (nf_confirm's seqadj_needed).
      this.drops++;
      this.helperDropReason = SEQADJ_DROP;
      return false;
    }
    if (conn.confirmed || conn.dead) return true;
    if (skb.ctinfo >= IP_CT_IS_REPLY) return true;
    const now = this.jiffies(nowNs);
    // A clash: an entry holds one of the tuples already. Without NAT only a
    // race could cause it; with NAT, a binding that found no free tuple in
    // its range (a one-port range already in use) does. The kernel drops
    // the packet (stat insert_failed).
    const o = conn.orig;
    const r = conn.reply;
    const z = conn.zone;
    const zd = conn.zoneDirs;
    if (this.findKey(o, now, z, zd) !== null || this.findKey(r, now, z, zd) !== null) {
      this.remove(conn);
      this.insertFailed++;
      this.helperDropReason = null;
      return false;
    }
    conn.timeout += now;
    this.timeoutSet(conn.timeout);
    conn.status |= IPS_CONFIRMED;
    this.link(o);
    this.link(r);
    if (++this.count > this.peak) this.peak = this.count;
    return true;
  }

  /**
   * helper->help for a packet of an entry with a helper, then
   * nf_ct_seq_adjust when a NAT helper changed a length on this entry:
   * false when either drops the packet (reason in `helperDropReason`).
   * A non-first IPv6 fragment (no transport header) passes both untouched.
   */
  private runHelper(conn: Conn, skb: Skb, nowNs: number, loopback = false): boolean {
    if (skb.fragoff !== 0) return true;
    this.helperNow = this.jiffies(nowNs);
    if (conn.helper!.help(this, skb, skb.thoff, conn, skb.ctinfo) !== NF_ACCEPT) {
      this.helperDropReason = helperLog.reason;
      return false;
    }
    if (conn.status & IPS_SEQ_ADJUST && !loopback && !seqAdjust(skb, conn, skb.ctinfo, skb.thoff)) {
      this.drops++;
      this.helperDropReason = SEQADJ_DROP;
      return false;
    }
    return true;
  }

  /** HelperHost.nat: the NAT core, once it attached itself (NatCore's constructor). */
  nat: NatHost | null = null;

  /** nf_ct_unexpect_related: removes the expectation if it is still pending. */
  unexpectRelated(exp: Expectation): void {
    if (!exp.dead && this.expects.includes(exp)) this.unlinkExpectation(exp);
  }

  /**
   * nf_ct_expect_related (__nf_ct_expect_check, then nf_ct_expect_insert):
   * 0, -EALREADY (the same expectation of another class), -EBUSY (it
   * clashes with another master's), -EMFILE (over the helper's limit after
   * evicting the master's oldest, or the table's).
   */
  expectRelated(exp: Expectation, flags = 0): number {
    const now = this.helperNow;
    this.expireExpectations(now);
    const master = exp.master;
    const helper = master.helper;
    if (helper === null) return -108; // -ESHUTDOWN
    for (const i of this.expects) {
      // master_matches: with NF_CT_EXP_F_SKIP_MASTER another master's identical expectation is -EALREADY too.
      if ((flags & NF_CT_EXP_F_SKIP_MASTER || i.master === master) && i.sameAs(exp)) {
        if (i.cls !== exp.cls || i.master !== master) return -114; // -EALREADY
        this.unlinkExpectation(i);
        break;
      } else if (i.clashes(exp)) return -16; // -EBUSY
    }
    const mine = master.expectations ?? (master.expectations = []);
    const policy = helper.policyWith?.(this.params) ?? helper.policies?.[exp.cls] ?? helper.policy;
    const max = policy.maxExpected;
    const count = (): number => mine.reduce((n, e) => n + (e.cls === exp.cls ? 1 : 0), 0);
    if (max && count() >= max) {
      // evict_oldest_expect: the master's oldest of that class.
      for (let k = mine.length - 1; k >= 0; k--) {
        if (mine[k]!.cls === exp.cls) {
          this.unlinkExpectation(mine[k]!);
          break;
        }
      }
      if (count() >= max) return -24; // -EMFILE
    }
    if (this.expects.length >= this.expectMax) return -24;
    exp.timeout = now + policy.timeout * HZ;
    mine.unshift(exp);
    this.expects.push(exp);
    this.expectCreate++;
    return 0;
  }

  /** HelperHost.refreshTimeout: nf_ct_refresh from a helper. */
  refreshTimeout(conn: Conn, seconds: number): void {
    this.refresh(conn, seconds * HZ, this.helperNow);
  }

  /** HelperHost.findOwnExpectation. */
  findOwnExpectation(conn: Conn, proto: number, dst: InetAddr, dport: number): Expectation | null {
    this.expireExpectations(this.helperNow);
    const any = InetAddr.any(dst.family);
    for (const e of this.expects) if (e.master.zone === conn.zone && e.matches(proto, any, dst, 0, dport)) return e.master === conn ? e : null;
    return null;
  }

  /** HelperHost.setExpectTimeout. */
  setExpectTimeout(exp: Expectation, seconds: number): void {
    if (!exp.dead) exp.timeout = this.helperNow + seconds * HZ;
  }

  /** HelperHost.sameRoute: the stack's answer (see HelperHost); no routes without a stack. */
  sameRoute(a: InetAddr, b: InetAddr): boolean {
    return this.routesAlike(a, b);
  }

  /** HelperHost.sameDevice: the stack's answer; false without a stack. */
  sameDevice(skb: Skb, addr: InetAddr): boolean {
    return this.routesBy(skb, addr);
  }

  /** HelperHost.localBroadcastMask. */
  localBroadcastMask(skb: Skb): number {
    return this.broadcastMask(skb);
  }

  /** HelperHost.expectFind (__nf_ct_expect_find). */
  expectFind(t: Tuple, zoneOf: Conn): Expectation | null {
    this.expireExpectations(this.helperNow);
    for (const e of this.expects) if (e.master.zone === zoneOf.zone && e.matches(t.proto, t.src, t.dst, t.sport, t.dport)) return e;
    return null;
  }

  /** HelperHost.lookup. */
  lookup(t: Tuple, zoneOf: Conn): Conn | null {
    return this.find(t.proto, t.src, t.dst, t.sport, t.dport, this.helperNow, zoneOf.zone, zoneOf.zoneDirs)?.conn ?? null;
  }

  /** HelperHost.kill. */
  kill(conn: Conn): void {
    this.remove(conn);
  }

  /** HelperHost.greKeymapAdd (nf_ct_gre_km_acceptable: a master holds one pair; the same pair again is fine, another is refused). */
  greKeymapAdd(master: Conn, orig: Tuple, repl: Tuple): boolean {
    if (master.dead) return false;
    const have = this.greKeymapsOf.get(master);
    if (have !== undefined) return keymapCovers(have[0], orig) && keymapCovers(have[1], repl);
    const pair = [keymapOf(orig), keymapOf(repl)] as const;
    this.greKeymaps.push(pair[0], pair[1]);
    this.greKeymapsOf.set(master, pair);
    return true;
  }

  /** HelperHost.greKeymapDestroy. */
  greKeymapDestroy(master: Conn): void {
    const have = this.greKeymapsOf.get(master);
    if (have === undefined) return;
    this.greKeymapsOf.delete(master);
    for (const k of have) this.greKeymaps.splice(this.greKeymaps.indexOf(k), 1);
  }

  /** HelperHost.removeExpectation: nf_ct_remove_expect. */
  removeExpectation(exp: Expectation): boolean {
    this.expireExpectations(this.helperNow);
    if (exp.dead) return false;
    this.unlinkExpectation(exp);
    return true;
  }

  /** HelperHost.findExpectation: __nf_ct_expect_find (newest first, as the kernel's bucket lists them; inactive ones too). */
  findExpectation(proto: number, src: InetAddr, dst: InetAddr, sport: number, dport: number, zone: number): Expectation | null {
    this.expireExpectations(this.helperNow);
    for (let k = this.expects.length - 1; k >= 0; k--) {
      const e = this.expects[k]!;
      if (e.master.zone === zone && e.matches(proto, src, dst, sport, dport)) return e;
    }
    return null;
  }

  /** HelperHost.refreshExpectation: mod_timer_pending on the expectation's timer. */
  refreshExpectation(exp: Expectation, seconds: number): boolean {
    this.expireExpectations(this.helperNow);
    if (exp.dead) return false;
    exp.timeout = this.helperNow + seconds * HZ;
    return true;
  }

  /**
   * nf_ct_find_expectation: the live, active expectation this new tuple
   * fulfils (used up unless permanent), or null. The newest is found first,
   * as in the kernel's hash bucket (every expectation a tuple can fall under
   * has its destination, so they share one bucket).
   */
  private takeExpectation(proto: number, src: InetAddr, dst: InetAddr, sport: number, dport: number, zid: number, now: number): Expectation | null {
    this.expireExpectations(now);
    for (let k = this.expects.length - 1; k >= 0; k--) {
      const e = this.expects[k]!;
      if (e.flags & NF_CT_EXPECT_INACTIVE || !e.matches(proto, src, dst, sport, dport) || e.master.zone !== zid) continue;
      // The master must have left this machine: how else could the other end know?
      if (!e.master.confirmed) return null;
      if (!(e.flags & NF_CT_EXPECT_PERMANENT)) this.unlinkExpectation(e);
      return e;
    }
    return null;
  }

  /** Removes the expectations whose time is up or whose master is gone (their timers, the gc worker). */
  private expireExpectations(now: number): void {
    for (let k = 0; k < this.expects.length; k++) {
      const e = this.expects[k]!;
      const m = e.master;
      if (e.timeout - now <= 0 || m.dead || (m.confirmed && m.timeout - now <= 0)) {
        this.unlinkExpectation(e);
        k--;
      }
    }
  }

  private unlinkExpectation(e: Expectation): void {
    if (e.dead) return;
    e.dead = true;
    const k = this.expects.indexOf(e);
    if (k >= 0) this.expects.splice(k, 1);
    const mine = e.master.expectations;
    if (mine) {
      const j = mine.indexOf(e);
      if (j >= 0) mine.splice(j, 1);
    }
    this.expectDelete++;
  }

  /** nf_ct_remove_expectations (HelperHost.removeExpectations). */
  removeExpectations(conn: Conn): void {
    if (conn.expectations) for (const e of [...conn.expectations]) this.unlinkExpectation(e);
  }

  /**
   * The expectation table as `conntrack -L expect | sort` prints it
   * (LC_COLLATE=C), one per line, each line ending with a newline.
   */
  listExpectations(nowNs: number, family?: Family): string {
    const now = this.jiffies(nowNs);
    this.expireExpectations(now);
    const lines: string[] = [];
    for (const e of this.expects)
      if (family === undefined || e.family === family) lines.push(formatExpectation(e, Math.max(0, Math.floor((e.timeout - now) / HZ))));
    lines.sort();
    return lines.length ? `${lines.join('\n')}\n` : '';
  }

  /**
   * nf_conntrack_tuple_taken: does a live entry other than `ignored` hold
   * `tuple` in either direction? The NAT core asks this of each reply tuple
   * it considers, so that two connections never share one.
   */
  tupleTaken(tuple: Tuple, ignored: Conn | null, nowNs: number): boolean {
    // In the zone of the entry asking (NAT keeps tuples unique per zone).
    const z = ignored?.zone ?? 0;
    const zd = ignored?.zoneDirs ?? ZONE_DIR_BOTH;
    const h = this.find(tuple.proto, tuple.src, tuple.dst, tuple.sport, tuple.dport, this.jiffies(nowNs), z, zd);
    return h !== null && h.conn !== ignored;
  }

  /** nf_conntrack_find_get: the live entry holding `tuple` in either direction in the zone of `zoneOf` (zone 0 without it), or null. */
  findEntry(tuple: Tuple, nowNs: number, zoneOf: Conn | null = null): Conn | null {
    const z = zoneOf?.zone ?? 0;
    const zd = zoneOf?.zoneDirs ?? ZONE_DIR_BOTH;
    return this.find(tuple.proto, tuple.src, tuple.dst, tuple.sport, tuple.dport, this.jiffies(nowNs), z, zd)?.conn ?? null;
  }

  /** Is the entry in the table and not expired at `nowNs`? */
  isLive(conn: Conn, nowNs: number): boolean {
    return conn.confirmed && !conn.dead && conn.timeout - this.jiffies(nowNs) > 0;
  }

  /**
   * nf_conntrack_alter_reply: gives an unconfirmed entry a new reply tuple
   * (the NAT core's binding, set before the entry is confirmed). Refused for
   * a confirmed entry, whose tuples are in the table.
   */
  alterReply(conn: Conn, reply: Tuple): void {
    if (conn.confirmed) throw new Error('conntrack: the reply tuple of a confirmed entry cannot change');
    const r = conn.reply;
    r.src = reply.src;
    r.dst = reply.dst;
    r.sport = reply.sport;
    r.dport = reply.dport;
  }

  /** Every live entry (not expired at `nowNs`), in no particular order. */
  *entries(nowNs: number): IterableIterator<Conn> {
    const now = this.jiffies(nowNs);
    for (let b = 0; b < this.buckets; b++) {
      for (let h: TupleHash | null = this.heads[b] ?? null; h !== null; h = h.next) {
        if (h.dir === 0 && h.conn.timeout - now > 0) yield h.conn;
      }
    }
  }

  /** Seconds left before `conn` expires (what conntrack -L and --ctexpire see). */
  expiresIn(conn: Conn, nowNs: number): number {
    if (!conn.confirmed) return Math.floor(conn.timeout / HZ);
    const left = conn.timeout - this.jiffies(nowNs);
    return left > 0 ? Math.floor(left / HZ) : 0;
  }

  /**
   * The table as `conntrack -L | sort` prints it (LC_COLLATE=C), one entry
   * per line, each line ending with a newline.
   */
  list(nowNs: number, family?: Family): string {
    // Each line is written as ASCII bytes and read back as one flat string: formatting tens of
    // thousands of entries as concatenated strings left most of the time to the garbage collector.
    const w = new AsciiWriter();
    const starts: number[] = [];
    const now = this.jiffies(nowNs);
    for (let b = 0; b < this.buckets; b++) {
      for (let h: TupleHash | null = this.heads[b] ?? null; h !== null; h = h.next) {
        if (h.dir !== 0 || (family !== undefined && h.fam !== family)) continue;
        // Confirmed entries only are in the table: their timeout is absolute.
        const left = h.conn.timeout - now;
        if (left <= 0) continue;
        starts.push(w.pos);
        writeEntry(w, h.conn, Math.floor(left / HZ));
      }
    }
    starts.push(w.pos);
    return w.sortedLines(starts);
  }
}

const HANDLE_OK = 0;
const HANDLE_INVALID = 1;
const HANDLE_REPEAT = 2;
const HANDLE_KILL = 3;

/** A growing buffer of ASCII text (the `conntrack -L` lines), read back as flat strings. */
class AsciiWriter {
  buf = Buffer.allocUnsafe(1 << 16);
  pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }

  str(s: string): void {
    this.room(s.length);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** A non-negative integer in decimal. */
  num(n: number): void {
    if (n < 10) {
      this.room(1);
      this.buf[this.pos++] = 48 + n;
      return;
    }
    this.str(String(n));
  }

  /** An IPv4 address as a dotted quad (the word's four bytes). */
  v4(w: number): void {
    this.room(15);
    this.byteNum(w >>> 24);
    this.buf[this.pos++] = 46;
    this.byteNum((w >>> 16) & 255);
    this.buf[this.pos++] = 46;
    this.byteNum((w >>> 8) & 255);
    this.buf[this.pos++] = 46;
    this.byteNum(w & 255);
  }

  private byteNum(n: number): void {
    const b = this.buf;
    if (n >= 100) {
      b[this.pos++] = 48 + Math.floor(n / 100);
      b[this.pos++] = 48 + (Math.floor(n / 10) % 10);
    } else if (n >= 10) b[this.pos++] = 48 + Math.floor(n / 10);
    b[this.pos++] = 48 + (n % 10);
  }

  text(from: number, to: number): string {
    return this.buf.toString('latin1', from, to);
  }

  /** The lines written (line i from starts[i] to starts[i + 1]), sorted as `sort` sorts them in the C locale, each ending with a newline. */
  sortedLines(starts: number[]): string {
    const lines = new Array<string>(starts.length - 1);
    for (let i = 0; i < lines.length; i++) lines[i] = this.text(starts[i]!, starts[i + 1]!);
    // The default sort compares UTF-16 code units, as `<` does (the lines are ASCII: C collation), without a
    // call per comparison.
    lines.sort();
    return lines.length ? `${lines.join('\n')}\n` : '';
  }
}

function writeTuple(w: AsciiWriter, c: Conn, h: TupleHash): void {
  // IPv4 addresses from the inline key: no address record is made for them.
  const v6 = h.fam === Family.V6;
  w.str('src=');
  if (v6) w.str(h.src.toString());
  else w.v4(h.s0 >>> 0);
  w.str(' dst=');
  if (v6) w.str(h.dst.toString());
  else w.v4(h.d0 >>> 0);
  if (c.proto === 1 || c.proto === 58) {
    w.str(' type=');
    w.num(h.dport >>> 8);
    w.str(' code=');
    w.num(h.dport & 0xff);
    w.str(' id=');
    w.num(h.sport);
  } else if (printsPorts(c.proto)) {
    w.str(' sport=');
    w.num(h.sport);
    w.str(' dport=');
    w.num(h.dport);
  } else if (c.proto === 47) w.str(` srckey=0x${h.sport.toString(16)} dstkey=0x${h.dport.toString(16)}`);
}

/** An accounted entry's counters of direction `dir`, as conntrack-tools prints them after that direction's tuple. */
function writeCounters(w: AsciiWriter, c: Conn, dir: number): void {
  const a = c.acct;
  if (a === null) return;
  w.str(' packets=');
  w.num(a[dir << 1]!);
  w.str(' bytes=');
  w.num(a[(dir << 1) + 1]!);
}

function countersText(c: Conn, dir: number): string {
  const a = c.acct;
  return a === null ? '' : ` packets=${a[dir << 1]!} bytes=${a[(dir << 1) + 1]!}`;
}

/** formatEntry's line, written into `w` (the same text, byte for byte: conntrack.test.ts compares them). */
function writeEntry(w: AsciiWriter, c: Conn, expires: number): void {
  w.str(PROTO_PADDED[c.proto] ?? 'unknown ');
  w.str(' ');
  w.num(c.proto);
  w.str(' ');
  w.num(expires);
  w.str(' ');
  if (c.tcp) w.str(TCP_STATE_NAMES[c.tcp.state as number] ?? 'NONE');
  else if (c.sctp) w.str(SCTP_STATE_NAMES[c.sctp.state as number] ?? 'NONE');
  if (c.tcp || c.sctp) w.str(' ');
  writeTuple(w, c, c.orig);
  if (c.zone !== 0 && c.zoneDirs === ZONE_DIR_ORIG) {
    w.str(' zone-orig=');
    w.num(c.zone);
  }
  writeCounters(w, c, 0);
  if (!(c.status & IPS_SEEN_REPLY)) w.str(' [UNREPLIED]');
  w.str(' ');
  writeTuple(w, c, c.reply);
  if (c.zone !== 0 && c.zoneDirs === ZONE_DIR_REPL) {
    w.str(' zone-reply=');
    w.num(c.zone);
  }
  writeCounters(w, c, 1);
  if (c.status & IPS_ASSURED) w.str(' [ASSURED]');
  w.str(' mark=');
  w.num(c.mark);
  if (c.zone !== 0 && c.zoneDirs === ZONE_DIR_BOTH) {
    w.str(' zone=');
    w.num(c.zone);
  }
  if (c.helper !== null) {
    w.str(' helper=');
    w.str(c.helper.name);
  }
  w.str(' use=1');
}

/** PROTO_NAMES padded as conntrack-tools prints them (%-8s). */
const PROTO_PADDED: Record<number, string> = Object.fromEntries(Object.entries(PROTO_NAMES).map(([k, v]) => [k, v.padEnd(8)]));

function tupleText(c: Conn, h: TupleHash): string {
  let s = `src=${h.src.toString()} dst=${h.dst.toString()}`;
  if (c.proto === 1 || c.proto === 58) s += ` type=${h.dport >>> 8} code=${h.dport & 0xff} id=${h.sport}`;
  else if (printsPorts(c.proto)) s += ` sport=${h.sport} dport=${h.dport}`;
  else if (c.proto === 47) s += ` srckey=0x${h.sport.toString(16)} dstkey=0x${h.dport.toString(16)}`;
  return s;
}

/** One expectation as `conntrack -L expect` prints it. */
export function formatExpectation(e: Expectation, expires: number): string {
  const f = e.family;
  const full = InetAddr.mask(f, f === Family.V6 ? 128 : 32).toString();
  const none = InetAddr.any(f).toString();
  const m = e.master.orig;
  // GRE's keys print in hexadecimal, as conntrack-tools prints them.
  const gre = e.proto === 47;
  const sp = gre ? 'srckey=0x' : 'sport=';
  const dp = gre ? 'dstkey=0x' : 'dport=';
  const radix = gre ? 16 : 10;
  let s = `${expires} proto=${e.proto} src=${(e.src ?? InetAddr.any(f)).toString()} dst=${e.dst.toString()} ${sp}${Math.max(0, e.sport).toString(radix)} ${dp}${e.dport.toString(radix)}`;
  const maskSrc = e.src === null ? none : (e.srcMask?.toString() ?? full);
  s += ` mask-src=${maskSrc} mask-dst=${full} ${sp}${(e.sport < 0 ? 0 : 65535).toString(radix)} ${dp}${(65535).toString(radix)}`;
  s += ` master-src=${m.src.toString()} master-dst=${m.dst.toString()} sport=${m.sport} dport=${m.dport}`;
  // conntrack-tools names the flags in bit order, joined by commas.
  const flags = [
    [NF_CT_EXPECT_PERMANENT, 'PERMANENT'],
    [NF_CT_EXPECT_INACTIVE, 'INACTIVE'],
    [NF_CT_EXPECT_USERSPACE, 'USERSPACE'],
  ] as const;
  const names = flags.filter(([bit]) => e.flags & bit).map(([, name]) => name);
  if (names.length) s += ` ${names.join(',')}`;
  s += ` class=${e.cls}`;
  if (e.master.helper) s += ` helper=${e.master.helper.name}`;
  return s;
}

/** One entry as conntrack-tools prints it by default (`Conntrack.list` writes the same text as bytes). */
export function formatEntry(c: Conn, expires: number): string {
  const name = PROTO_NAMES[c.proto] ?? 'unknown';
  let s = `${name.padEnd(8)} ${c.proto} ${expires} `;
  if (c.tcp) s += `${TCP_STATE_NAMES[c.tcp.state as number] ?? 'NONE'} `;
  else if (c.sctp) s += `${SCTP_STATE_NAMES[c.sctp.state as number] ?? 'NONE'} `;
  s += tupleText(c, c.orig);
  // ctnetlink dumps a zone of one direction inside that tuple, a zone of both as CTA_ZONE (never zone 0).
  if (c.zone !== 0 && c.zoneDirs === ZONE_DIR_ORIG) s += ` zone-orig=${c.zone}`;
  s += countersText(c, 0);
  if (!(c.status & IPS_SEEN_REPLY)) s += ' [UNREPLIED]';
  s += ` ${tupleText(c, c.reply)}`;
  if (c.zone !== 0 && c.zoneDirs === ZONE_DIR_REPL) s += ` zone-reply=${c.zone}`;
  s += countersText(c, 1);
  if (c.status & IPS_ASSURED) s += ' [ASSURED]';
  s += ` mark=${c.mark}`;
  if (c.zone !== 0 && c.zoneDirs === ZONE_DIR_BOTH) s += ` zone=${c.zone}`;
  if (c.helper !== null) s += ` helper=${c.helper.name}`;
  s += ' use=1';
  return s;
}

/** Clears a reused packet record's conntrack fields (to call when a new packet starts its way). */
export function resetCt(skb: Skb): void {
  skb.ct = null;
  skb.ctinfo = 0;
  skb.ctState = CT_TRACKED;
  skb.ctZone = -1;
  skb.ctSynproxy = false;
}

/**
 * nf_ct_attach, for a reply netfilter generates (REJECT's TCP reset or ICMP
 * error): the reply carries the cause's entry, RELATED in the direction
 * opposite to the cause. `in` then leaves it alone, and `confirm` does not
 * insert it (reply direction), so a rejected packet's new entry is never
 * confirmed. The kernel counts such replies as `--ctstate RELATED` and
 * `--ctdir REPLY` (fixtures/reject).
 */
export function attachRelated(reply: Skb, causeCt: Conn | null, causeCtinfo: number): void {
  if (causeCt === null) return;
  reply.ct = causeCt;
  reply.ctinfo = causeCtinfo >= IP_CT_IS_REPLY ? IP_CT_RELATED : IP_CT_RELATED + IP_CT_IS_REPLY;
  reply.ctState = CT_TRACKED;
}
