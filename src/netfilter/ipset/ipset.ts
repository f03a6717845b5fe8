/**
 * IP sets (the kernel's ip_set core and its set types, net/netfilter/ipset/)
 * as `ipset restore` loads them and `ipset save` prints them.
 *
 * A file in the `ipset save` format (`create NAME TYPE [options]` and
 * `add NAME ENTRY [options]` lines) is read by {@link parseIpsets} into an
 * {@link IpsetStore}: the sets a rule file's `-m set` and `-j SET` name.
 * The store is the guest's: the rules hold its sets, the matches and the
 * SET target test, add and delete entries per packet on the capture's
 * clock (jiffies at HZ=250, 0 at the first packet, when the sets are
 * restored), and {@link IpsetStore.save} prints them back as `ipset save`.
 *
 * Types: hash:ip, hash:net, hash:ip,port, hash:net,port, hash:ip,port,ip,
 * hash:ip,port,net, hash:net,net, hash:net,port,net, hash:ip,mark,
 * hash:ip,mac, hash:net,iface, hash:mac, bitmap:ip, bitmap:ip,mac,
 * bitmap:port, list:set (every type of ipset 7.17). Extensions:
 * timeout, counters, comment, skbinfo (the mark, priority and queue an entry
 * gives the packets `-j SET --map-set` finds it for). hash:net* lookups try the set's prefix lengths from
 * the most specific down, as mtype_test_cidrs does: the first entry found
 * decides (a `nomatch` entry makes the address not match), an expired one
 * or one whose counters do not compare lets the next length be tried; the
 * types with two networks (hash:net,net, hash:net,port,net) try every pair,
 * the first network's lengths outermost. bitmap:ip,mac keeps an entry
 * added without a MAC until a packet from its address fills the MAC in
 * (bitmap_ipmac's -EAGAIN): that packet matches, and the entry's timeout
 * starts then.
 *
 * What the kernel does that cofw does not model: hash sets' entries are
 * printed in the order they were added (the kernel prints them in the order
 * of its hash buckets, which depends on the random initval, so no two
 * machines agree; bitmaps print by address in both); hashsize is printed as
 * created (rounded up to a power of two, at least 64: the kernel grows it
 * when buckets fill); a set created without `initval` prints one derived
 * from its name (the kernel draws it at random).
 *
 * @example
 * const store = parseIpsets('create ban hash:ip timeout 60\nadd ban 192.0.2.7\n', 'sets.save');
 * store.get('ban')!.size(0) === 1;
 */
import { Family, InetAddr, familyBits, parseIPv4Addr, parseIPv6 } from '../../packet/inet-addr.js';
import { HZ } from '../clock.js';
import { getprotobyname, protocolName } from '../names.js';
import { serviceToPort, SVC_SCTP, SVC_TCP, SVC_UDP } from '../matches/util.js';
import { cStrtoumax, scanfHex } from '../args.js';

/** IPSET_MAXNAMELEN: set names hold at most 31 characters. */
export const IPSET_MAXNAMELEN = 32;
/** IPSET_DIM_MAX: src/dst flags of a match or target. */
export const IPSET_DIM_MAX = 6;
/** IPSET_MAX_TIMEOUT: (UINT_MAX >> 1) / MSEC_PER_SEC. */
export const IPSET_MAX_TIMEOUT = 2147483;

/** A set's family as the kernel keeps it: NFPROTO_IPV4, NFPROTO_IPV6 or NFPROTO_UNSPEC (both). */
export type SetFamily = Family;

/** A set type: its name, the entry's parts (dimension) and what it allows. */
export interface SetType {
  readonly name: string;
  /** How many src/dst flags a rule must give (IPSET_DIM_*). */
  readonly dimension: number;
  /** hash:* (family, hashsize, maxelem); bitmap:* (range); list:set (size). */
  readonly kind: 'hash' | 'bitmap' | 'list';
  /** Keeps networks with a prefix length and `nomatch` entries (IPSET_TYPE_NOMATCH). */
  readonly nets: boolean;
  /** Both families (hash:ip...), IPv4 only (bitmap:ip), neither (bitmap:port, hash:mac, list:set: NFPROTO_UNSPEC). */
  readonly families: 'both' | 'inet' | 'unspec';
  /** netmask is an option of the type. */
  readonly netmask?: boolean;
  /** markmask is an option of the type (hash:ip,mark). */
  readonly markmask?: boolean;
}

const TYPES: readonly SetType[] = [
  { name: 'hash:ip', dimension: 1, kind: 'hash', nets: false, families: 'both', netmask: true },
  { name: 'hash:net', dimension: 1, kind: 'hash', nets: true, families: 'both' },
  { name: 'hash:ip,port', dimension: 2, kind: 'hash', nets: false, families: 'both' },
  { name: 'hash:net,port', dimension: 2, kind: 'hash', nets: true, families: 'both' },
  { name: 'hash:ip,port,ip', dimension: 3, kind: 'hash', nets: false, families: 'both' },
  { name: 'hash:ip,port,net', dimension: 3, kind: 'hash', nets: true, families: 'both' },
  { name: 'hash:net,net', dimension: 2, kind: 'hash', nets: true, families: 'both' },
  { name: 'hash:net,port,net', dimension: 3, kind: 'hash', nets: true, families: 'both' },
  { name: 'hash:ip,mark', dimension: 2, kind: 'hash', nets: false, families: 'both', markmask: true },
  { name: 'hash:ip,mac', dimension: 2, kind: 'hash', nets: false, families: 'both' },
  { name: 'hash:net,iface', dimension: 2, kind: 'hash', nets: true, families: 'both' },
  { name: 'hash:mac', dimension: 1, kind: 'hash', nets: false, families: 'unspec' },
  { name: 'bitmap:ip', dimension: 1, kind: 'bitmap', nets: false, families: 'inet', netmask: true },
  { name: 'bitmap:ip,mac', dimension: 2, kind: 'bitmap', nets: false, families: 'inet' },
  { name: 'bitmap:port', dimension: 1, kind: 'bitmap', nets: false, families: 'unspec' },
  { name: 'list:set', dimension: 1, kind: 'list', nets: false, families: 'unspec' },
];
const TYPE_BY_NAME = new Map(TYPES.map((t) => [t.name, t]));
/** The types whose second address part (ip2) is a network: its prefix length is the entry's `cidr` (hash:ip,port,net) or `cidr2`. */
const NET_IP2 = new Set(['hash:ip,port,net', 'hash:net,net', 'hash:net,port,net']);
/** The types with two networks (IPSET_NET_COUNT 2). */
const TWO_NETS = new Set(['hash:net,net', 'hash:net,port,net']);

/** One entry of a set (struct mtype_elem with its extensions). */
export interface IpsetElem {
  /** The key it is found by (parts as numbers, prefix length, interface). */
  readonly key: string;
  /** The entry as `ipset save` prints it (bitmap:ip,mac: changes when a packet fills the MAC in). */
  text: string;
  /** hash:net*: the prefix length (of the third part for hash:ip,port,net); the family's width otherwise. */
  readonly cidr: number;
  /** hash:net,net and hash:net,port,net: the second network's prefix length. */
  readonly cidr2?: number;
  /** bitmap:ip,mac: the MAC, '' while unset (added without one). */
  mac?: string;
  /** bitmap:ip,mac without a MAC: the timeout (seconds) that starts when the MAC is filled in (the kernel's stored timeout). */
  pendingTimeout?: number;
  nomatch: boolean;
  /** Jiffies after which it has expired; Infinity when permanent. */
  expires: number;
  packets: number;
  bytes: number;
  comment: string | undefined;
  /** The skbinfo extension's values (struct ip_set_skbinfo); undefined when all are 0. */
  skbinfo: SkbInfo | undefined;
  /** list:set: the member set. */
  readonly member?: IpSet;
}

/**
 * The skbinfo extension of an entry (struct ip_set_skbinfo): what `-j SET
 * --map-set` gives the packet. `ipset save` prints the values that are not
 * 0: `skbmark 0xVALUE[/0xMASK]` (the mask when not 0xffffffff), `skbprio
 * MAJOR:MINOR` (hexadecimal), `skbqueue N`.
 */
export interface SkbInfo {
  readonly mark: number;
  readonly markMask: number;
  /** TC_H_MAKE(major << 16, minor). */
  readonly prio: number;
  readonly queue: number;
}

/** The skbinfo words of `ipset save` (after the comment), '' when every value is 0 (ip_set_put_skbinfo sends nonzero values only). */
export function skbinfoText(i: SkbInfo | undefined): string {
  if (!i) return '';
  let s = '';
  if (i.mark || i.markMask) s += ` skbmark 0x${i.mark.toString(16)}${i.markMask === 0xffffffff ? '' : `/0x${i.markMask.toString(16)}`}`;
  if (i.prio) s += ` skbprio ${(i.prio >>> 16).toString(16)}:${(i.prio & 0xffff).toString(16)}`;
  if (i.queue) s += ` skbqueue ${i.queue}`;
  return s;
}

/** An error in an ipset file, at a line and column, in ipset's words with what to do. */
export class IpsetError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${file}:${line}:${column}: ${message}`);
    this.name = 'IpsetError';
  }
}

/** An error of one word, placed by the line reader. */
class WordError extends Error {
  constructor(
    message: string,
    readonly word: number,
  ) {
    super(message);
  }
}

/** The IPv4 ICMP names ipset reads and prints (lib/icmp.c), first of a type/code printed. */
const ICMP_NAMES: ReadonlyArray<readonly [string, number, number]> = [
  ['echo-reply', 0, 0],
  ['pong', 0, 0],
  ['network-unreachable', 3, 0],
  ['host-unreachable', 3, 1],
  ['protocol-unreachable', 3, 2],
  ['port-unreachable', 3, 3],
  ['fragmentation-needed', 3, 4],
  ['source-route-failed', 3, 5],
  ['network-unknown', 3, 6],
  ['host-unknown', 3, 7],
  ['network-prohibited', 3, 9],
  ['host-prohibited', 3, 10],
  ['TOS-network-unreachable', 3, 11],
  ['TOS-host-unreachable', 3, 12],
  ['communication-prohibited', 3, 13],
  ['host-precedence-violation', 3, 14],
  ['precedence-cutoff', 3, 15],
  ['source-quench', 4, 0],
  ['network-redirect', 5, 0],
  ['host-redirect', 5, 1],
  ['TOS-network-redirect', 5, 2],
  ['TOS-host-redirect', 5, 3],
  ['echo-request', 8, 0],
  ['ping', 8, 0],
  ['router-advertisement', 9, 0],
  ['router-solicitation', 10, 0],
  ['ttl-zero-during-transit', 11, 0],
  ['ttl-zero-during-reassembly', 11, 1],
  ['ip-header-bad', 12, 0],
  ['required-option-missing', 12, 1],
  ['timestamp-request', 13, 0],
  ['timestamp-reply', 14, 0],
  ['address-mask-request', 17, 0],
  ['address-mask-reply', 18, 0],
];
/** The ICMPv6 names (lib/icmpv6.c). */
const ICMPV6_NAMES: ReadonlyArray<readonly [string, number, number]> = [
  ['no-route', 1, 0],
  ['communication-prohibited', 1, 1],
  ['address-unreachable', 1, 3],
  ['port-unreachable', 1, 4],
  ['packet-too-big', 2, 0],
  ['ttl-zero-during-transit', 3, 0],
  ['ttl-zero-during-reassembly', 3, 1],
  ['bad-header', 4, 0],
  ['unknown-header-type', 4, 1],
  ['unknown-option', 4, 2],
  ['echo-request', 128, 0],
  ['ping', 128, 0],
  ['echo-reply', 129, 0],
  ['pong', 129, 0],
  ['router-solicitation', 133, 0],
  ['router-advertisement', 134, 0],
  ['neighbour-solicitation', 135, 0],
  ['neighbor-solicitation', 135, 0],
  ['neighbour-advertisement', 136, 0],
  ['neighbor-advertisement', 136, 0],
  ['redirect', 137, 0],
];

const IPPROTO_ICMP = 1;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_ICMPV6 = 58;
const IPPROTO_SCTP = 132;
const IPPROTO_UDPLITE = 136;
const PORT_PROTOS = new Set([IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_UDPLITE]);

/** The key of an address: its words as numbers. */
export function addrKey(a: InetAddr): string {
  return a.family === Family.V6 ? `${a.w0}.${a.w1}.${a.w2}.${a.w3}` : `${a.w0}`;
}

/** `proto:port` as ipset prints it (ICMP type/code by name when it has one). */
function portText(proto: number, port: number): string {
  if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) {
    const type = port >> 8;
    const code = port & 0xff;
    const names = proto === IPPROTO_ICMP ? ICMP_NAMES : ICMPV6_NAMES;
    const n = names.find((x) => x[1] === type && x[2] === code);
    return `${protocolName(proto) === 'icmp' || proto === IPPROTO_ICMP ? 'icmp' : 'ipv6-icmp'}:${n ? n[0] : `${type}/${code}`}`;
  }
  const name = proto === IPPROTO_UDPLITE ? 'udplite' : protocolName(proto);
  return `${name}:${port}`;
}

/** A deterministic initval for a set created without one (the kernel draws one at random). */
function initvalOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h >>> 0;
}

function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
}

/** The create options of a set. */
export interface IpSetOptions {
  family: SetFamily;
  hashsize: number;
  maxelem: number;
  /** Prefix length of netmask (hash:ip, bitmap:ip); the family's width when absent. */
  netmask: number;
  /** Default timeout in seconds when the set has the timeout extension; undefined without it. */
  timeout: number | undefined;
  counters: boolean;
  comment: boolean;
  skbinfo: boolean;
  bucketsize: number;
  initval: number;
  /** bitmap:ip: first and last address (IPv4 numbers); bitmap:port: first and last port. */
  from: number;
  to: number;
  /** list:set: how many members (at least 4). */
  size: number;
  /** hash:ip,mark: the mask applied to marks (0xffffffff by default). */
  markmask: number;
}

/**
 * A scratch record a lookup fills from a packet: the parts of the entry it
 * looks for. `ip2`, `port`, `proto`, `iface`, `mac` are used by the types
 * that have them.
 */
export interface Probe {
  ip: InetAddr;
  ip2: InetAddr;
  proto: number;
  port: number;
  iface: string;
  physdev: boolean;
  mac: string;
  /** hash:ip,mark: the packet's mark (masked by the set's markmask). */
  mark: number;
}

/** What a lookup hands back of the entry it found (the match's struct ip_set_ext): its skbinfo, when the set has the extension. */
export interface MatchedExt {
  skbinfo: SkbInfo | undefined;
}

export const COUNTER_NONE = 0;
export const COUNTER_EQ = 1;
export const COUNTER_NE = 2;
export const COUNTER_LT = 3;
export const COUNTER_GT = 4;

/** ip_set_match_counter. */
function counterMatches(value: number, op: number, want: number): boolean {
  switch (op) {
    case COUNTER_EQ:
      return value === want;
    case COUNTER_NE:
      return value !== want;
    case COUNTER_LT:
      return value < want;
    case COUNTER_GT:
      return value > want;
    default:
      return true;
  }
}

/** What a test asks beyond membership (ip_set_adt_opt's cmdflags and counters). */
export interface TestOpts {
  skipCounterUpdate: boolean;
  skipSubcounterUpdate: boolean;
  matchCounters: boolean;
  packetsOp: number;
  packets: number;
  bytesOp: number;
  bytes: number;
}

/** One set (struct ip_set with its type's data). */
export class IpSet {
  /** Entries in the order added. */
  readonly elems = new Map<string, IpsetElem>();
  /** hash:net*: how many entries of each prefix length, and the lengths, most specific first. */
  private readonly cidrCount = new Map<number, number>();
  cidrs: number[] = [];
  /** hash:net,net and hash:net,port,net: the same for the second network. */
  private readonly cidrCount2 = new Map<number, number>();
  cidrs2: number[] = [];
  /** list:set members in order. */
  members: IpsetElem[] = [];
  /** Sets that name this one as a member (list:set references). */
  refs = 0;

  constructor(
    readonly name: string,
    readonly type: SetType,
    readonly opts: IpSetOptions,
  ) {}

  get typeName(): string {
    return this.type.name;
  }
  get family(): SetFamily {
    return this.opts.family;
  }
  get dimension(): number {
    return this.type.dimension;
  }
  get withTimeout(): boolean {
    return this.opts.timeout !== undefined;
  }

  /** Entries that have not expired at `now` (jiffies). */
  size(now: number): number {
    let n = 0;
    for (const e of this.entries()) if (!(e.expires < now)) n++;
    return n;
  }

  private entries(): Iterable<IpsetElem> {
    return this.type.kind === 'list' ? this.members : this.elems.values();
  }

  /** The `create` line of `ipset save`. */
  createLine(): string {
    const o = this.opts;
    let s = `create ${this.name} ${this.type.name}`;
    const bits = familyBits(o.family);
    if (this.type.kind === 'hash') {
      s += ` family ${o.family === Family.V6 ? 'inet6' : 'inet'}`;
      if (this.type.markmask) s += ` markmask ${hex32(o.markmask)}`;
      s += ` hashsize ${o.hashsize} maxelem ${o.maxelem}`;
      if (this.type.netmask && o.netmask !== bits) s += ` netmask ${o.netmask}`;
    } else if (this.type.name === 'bitmap:ip') {
      s += ` range ${InetAddr.v4(o.from).toString()}-${InetAddr.v4(o.to).toString()}`;
      if (o.netmask !== 32) s += ` netmask ${o.netmask}`;
    } else if (this.type.name === 'bitmap:ip,mac') s += ` range ${InetAddr.v4(o.from).toString()}-${InetAddr.v4(o.to).toString()}`;
    else if (this.type.name === 'bitmap:port') s += ` range ${o.from}-${o.to}`;
    else s += ` size ${o.size}`;
    if (o.timeout !== undefined) s += ` timeout ${o.timeout}`;
    if (o.counters) s += ' counters';
    if (o.comment) s += ' comment';
    if (o.skbinfo) s += ' skbinfo';
    if (this.type.kind === 'hash') s += ` bucketsize ${o.bucketsize} initval ${hex32(o.initval)}`;
    return s;
  }

  /** The `add` lines of `ipset save` at `now` (jiffies): live entries, with their remaining timeout and counters; a bitmap's by address, as the kernel lists them. */
  addLines(now: number): string[] {
    const out: string[] = [];
    const all = this.type.kind === 'bitmap' ? [...this.elems.values()].sort((a, b) => Number(a.key) - Number(b.key)) : this.entries();
    for (const e of all) {
      if (e.expires < now) continue;
      let s = `add ${this.name} ${e.text}`;
      if (this.opts.timeout !== undefined) s += ` timeout ${e.pendingTimeout ?? timeoutLeft(e.expires, now)}`;
      if (e.nomatch) s += ' nomatch';
      if (this.opts.counters) s += ` packets ${e.packets} bytes ${e.bytes}`;
      if (this.opts.comment && e.comment !== undefined) s += ` comment "${e.comment}"`;
      if (this.opts.skbinfo) s += skbinfoText(e.skbinfo);
      out.push(s);
    }
    return out;
  }

  private noteCidr(e: IpsetElem, delta: number): void {
    if (!this.type.nets) return;
    const note = (counts: Map<number, number>, cidr: number): number[] => {
      const n = (counts.get(cidr) ?? 0) + delta;
      if (n > 0) counts.set(cidr, n);
      else counts.delete(cidr);
      return [...counts.keys()].sort((a, b) => b - a);
    };
    this.cidrs = note(this.cidrCount, e.cidr);
    if (e.cidr2 !== undefined) this.cidrs2 = note(this.cidrCount2, e.cidr2);
  }

  /** Forgets the entries that have expired at `now` (the kernel's garbage collector, run when the set is full). */
  expire(now: number): void {
    if (this.type.kind === 'list') {
      this.members = this.members.filter((e) => {
        if (!(e.expires < now)) return true;
        e.member!.refs--;
        return false;
      });
      return;
    }
    for (const e of [...this.elems.values()]) if (e.expires < now) this.remove(e);
  }

  remove(e: IpsetElem): void {
    if (this.type.kind === 'list') {
      const i = this.members.indexOf(e);
      if (i >= 0) this.members.splice(i, 1);
      e.member!.refs--;
      return;
    }
    this.elems.delete(e.key);
    this.noteCidr(e, -1);
  }

  /**
   * mtype_add: adds `e`, or with `exist` (or over an expired entry of the
   * same key) overwrites its extensions. Returns 0, or the kernel's error
   * as a word: `exists`, `full`.
   */
  add(e: IpsetElem, exist: boolean, now: number): 0 | 'exists' | 'full' {
    const have = this.elems.get(e.key);
    if (have && this.type.name === 'bitmap:ip,mac' && !(have.expires < now)) return this.addIpMac(have, e, exist, now);
    if (have) {
      if (!exist && !(have.expires < now)) return 'exists';
      have.nomatch = e.nomatch;
      have.packets = e.packets;
      have.bytes = e.bytes;
      have.comment = e.comment;
      have.skbinfo = e.skbinfo;
      have.expires = e.expires;
      if (have.mac !== undefined) {
        have.mac = e.mac;
        have.text = e.text;
        have.pendingTimeout = e.mac === '' ? e.pendingTimeout : undefined;
      }
      return 0;
    }
    if (this.elems.size >= this.opts.maxelem && this.withTimeout) this.expire(now);
    if (this.elems.size >= this.opts.maxelem) return 'full';
    if (e.mac !== undefined && e.mac !== '') e.pendingTimeout = undefined;
    this.elems.set(e.key, e);
    this.noteCidr(e, 1);
    return 0;
  }

  /**
   * bitmap_ipmac_do_add on a live entry: one with a MAC is there already
   * (with `exist`, it takes the new MAC and extensions); one without takes
   * the MAC now given and starts its timeout (the stored one, unless the add
   * named another), or is there already when none is given.
   */
  private addIpMac(have: IpsetElem, e: IpsetElem, exist: boolean, now: number): 0 | 'exists' {
    if (have.mac === '' && e.mac !== '') {
      // The stored timeout, unless the add asks for another than the set's (bitmap_ipmac_add_timeout).
      const stored = have.pendingTimeout;
      const t = e.pendingTimeout;
      this.fillMac(have, e.mac!, now, t === this.opts.timeout && stored !== undefined ? stored : t);
      have.packets = e.packets;
      have.bytes = e.bytes;
      have.comment = e.comment;
      have.skbinfo = e.skbinfo;
      return 0;
    }
    if (!exist) return 'exists';
    if (e.mac !== '') {
      have.mac = e.mac;
      have.text = e.text;
    }
    have.expires = e.expires;
    have.pendingTimeout = have.mac === '' ? e.pendingTimeout : undefined;
    have.packets = e.packets;
    have.bytes = e.bytes;
    have.comment = e.comment;
    have.skbinfo = e.skbinfo;
    return 0;
  }

  /** bitmap:ip,mac: the entry takes `mac`, and its timeout of `seconds` starts. */
  private fillMac(e: IpsetElem, mac: string, now: number, seconds: number | undefined): void {
    e.mac = mac;
    e.text = `${e.text.split(',')[0]!},${mac.toUpperCase()}`;
    e.expires = this.withTimeout ? expiresAt(seconds ?? this.opts.timeout!, now) : Infinity;
    e.pendingTimeout = undefined;
  }

  /**
   * Looks up the probe (kadt IPSET_TEST); returns 1 (in the set), 0 (not),
   * or -1 (a nomatch entry matched: -ENOTEMPTY). Counters of the entry
   * found are updated as ip_set_match_extensions does.
   */
  test(p: Probe, now: number, len: number, o: TestOpts, mext?: MatchedExt): number {
    const bits = familyBits(p.ip.family);
    if (this.type.name === 'bitmap:ip,mac') {
      // bitmap_ipmac_do_test: an entry without a MAC asks for it (-EAGAIN): ip_set_test adds the packet's,
      // with counters from this packet, and answers "in the set" without looking at the extensions.
      const e = this.elems.get(this.keyOf(p, bits));
      if (!e) return 0;
      if (e.mac === '') {
        this.fillMac(e, p.mac, now, e.pendingTimeout);
        if (this.opts.counters) {
          e.packets = 1;
          e.bytes = len;
        }
        return 1;
      }
      if (e.mac !== p.mac) return 0;
      return this.matchExt(e, now, len, o, mext) ? 1 : 0;
    }
    if (TWO_NETS.has(this.type.name)) {
      for (const cidr of this.cidrs) {
        for (const cidr2 of this.cidrs2) {
          const e = this.elems.get(this.keyOf(p, cidr, cidr2));
          if (!e) continue;
          if (!this.matchExt(e, now, len, o, mext)) continue;
          return e.nomatch ? -1 : 1;
        }
      }
      return 0;
    }
    if (!this.type.nets) {
      const e = this.elems.get(this.keyOf(p, bits));
      if (!e) return 0;
      return this.matchExt(e, now, len, o, mext) ? 1 : 0;
    }
    for (const cidr of this.cidrs) {
      const e = this.elems.get(this.keyOf(p, cidr));
      if (!e) continue;
      if (!this.matchExt(e, now, len, o, mext)) continue;
      return e.nomatch ? -1 : 1;
    }
    return 0;
  }

  /** ip_set_match_extensions: with `mext`, a set with skbinfo hands the entry's values to it (ip_set_get_skbinfo). */
  matchExt(e: IpsetElem, now: number, len: number, o: TestOpts, mext?: MatchedExt): boolean {
    if (e.expires < now) return false;
    if (this.opts.counters) {
      if (!o.skipCounterUpdate) {
        e.packets++;
        e.bytes += len;
      }
      if (o.matchCounters && !(counterMatches(e.packets, o.packetsOp, o.packets) && counterMatches(e.bytes, o.bytesOp, o.bytes))) return false;
    }
    if (mext && this.opts.skbinfo) mext.skbinfo = e.skbinfo;
    return true;
  }

  /**
   * The key of the entry a probe names, with the address masked to `cidr`
   * (hash:net*; hash:ip,port,net masks its third part) or the set's
   * netmask, and the second network of hash:net,net and hash:net,port,net
   * to `cidr2`.
   */
  keyOf(p: Probe, cidr: number, cidr2 = 128): string {
    const t = this.type.name;
    const bits = familyBits(p.ip.family);
    const ipCidr = this.type.netmask ? this.opts.netmask : t === 'hash:ip,port,net' ? bits : cidr;
    const ip = MASKED.copyFrom(p.ip).and(InetAddr.mask(p.ip.family, ipCidr));
    const c2 = TWO_NETS.has(t) ? Math.min(cidr2, bits) : cidr;
    const ip2 = NET_IP2.has(t) ? MASKED2.copyFrom(p.ip2).and(InetAddr.mask(p.ip2.family, c2)) : p.ip2;
    switch (t) {
      case 'hash:ip':
      case 'bitmap:ip':
        return addrKey(ip);
      case 'hash:net':
        return `${addrKey(ip)}/${cidr}`;
      case 'hash:ip,port':
        return `${addrKey(ip)},${p.proto}:${p.port}`;
      case 'hash:net,port':
        return `${addrKey(ip)}/${cidr},${p.proto}:${p.port}`;
      case 'hash:ip,port,ip':
        return `${addrKey(ip)},${p.proto}:${p.port},${addrKey(p.ip2)}`;
      case 'hash:ip,port,net':
        return `${addrKey(ip)},${p.proto}:${p.port},${addrKey(ip2)}/${c2}`;
      case 'hash:net,net':
        return `${addrKey(ip)}/${cidr},${addrKey(ip2)}/${c2}`;
      case 'hash:net,port,net':
        return `${addrKey(ip)}/${cidr},${p.proto}:${p.port},${addrKey(ip2)}/${c2}`;
      case 'hash:ip,mark':
        return `${addrKey(ip)},${p.mark}`;
      case 'hash:ip,mac':
        return `${addrKey(ip)},${p.mac}`;
      case 'bitmap:ip,mac':
        return addrKey(ip);
      case 'hash:net,iface':
        return `${addrKey(ip)}/${cidr},${p.physdev ? 'physdev:' : ''}${p.iface}`;
      case 'hash:mac':
        return p.mac;
      case 'bitmap:port':
        return `${p.port}`;
      default:
        return '';
    }
  }

  /**
   * An entry for the probe, as the kernel's kadt IPSET_ADD makes it
   * (counters start at this packet). bitmap:ip,mac: a probe without a MAC
   * ('') makes an entry waiting for one, whose timeout waits too.
   */
  entryOf(p: Probe, cidr: number, expires: number, len: number, cidr2 = 128): IpsetElem {
    const key = this.keyOf(p, cidr, cidr2);
    const bits = familyBits(p.ip.family);
    const t = this.type.name;
    const ip = MASKED.copyFrom(p.ip).and(InetAddr.mask(p.ip.family, this.type.netmask ? this.opts.netmask : t === 'hash:ip,port,net' ? bits : cidr));
    const net = cidr === bits ? ip.toString() : `${ip.toString()}/${cidr}`;
    const c2 = TWO_NETS.has(t) ? Math.min(cidr2, bits) : cidr;
    const ip2 = MASKED2.copyFrom(p.ip2).and(InetAddr.mask(p.ip2.family, NET_IP2.has(t) ? c2 : bits));
    const net2 = c2 === bits ? ip2.toString() : `${ip2.toString()}/${c2}`;
    let text: string;
    switch (this.type.name) {
      case 'hash:ip':
      case 'bitmap:ip':
        text = ip.toString();
        break;
      case 'hash:net':
        text = net;
        break;
      case 'hash:ip,port':
        text = `${ip.toString()},${portText(p.proto, p.port)}`;
        break;
      case 'hash:net,port':
        text = `${net},${portText(p.proto, p.port)}`;
        break;
      case 'hash:ip,port,ip':
        text = `${ip.toString()},${portText(p.proto, p.port)},${p.ip2.toString()}`;
        break;
      case 'hash:ip,port,net':
        text = `${ip.toString()},${portText(p.proto, p.port)},${net2}`;
        break;
      case 'hash:net,net':
        text = `${net},${net2}`;
        break;
      case 'hash:net,port,net':
        text = `${net},${portText(p.proto, p.port)},${net2}`;
        break;
      case 'hash:ip,mark':
        text = `${ip.toString()},${hex32(p.mark)}`;
        break;
      case 'hash:ip,mac':
        text = `${ip.toString()},${p.mac.toUpperCase()}`;
        break;
      case 'bitmap:ip,mac':
        text = p.mac ? `${ip.toString()},${p.mac.toUpperCase()}` : ip.toString();
        break;
      case 'hash:net,iface':
        text = `${net},${p.physdev ? 'physdev:' : ''}${p.iface}`;
        break;
      case 'hash:mac':
        text = p.mac.toUpperCase();
        break;
      default:
        text = `${p.port}`;
    }
    const e: IpsetElem = {
      key,
      text,
      cidr: this.type.nets ? cidr : bits,
      nomatch: false,
      expires,
      packets: 1,
      bytes: len,
      comment: undefined,
      skbinfo: undefined,
    };
    if (TWO_NETS.has(t)) (e as { cidr2?: number }).cidr2 = c2;
    if (t === 'bitmap:ip,mac') e.mac = p.mac;
    return e;
  }
}

const MASKED = new InetAddr();
const MASKED2 = new InetAddr();

/** ip_set_timeout_get: seconds left, at least 1 (0 means permanent). */
function timeoutLeft(expires: number, now: number): number {
  if (expires === Infinity) return 0;
  const t = Math.floor(((expires - now) * 1000) / HZ / 1000);
  return t === 0 ? 1 : t;
}

/** ip_set_timeout_set: the jiffies at which an entry given `seconds` expires (0 seconds: permanent). */
export function expiresAt(seconds: number, now: number): number {
  if (seconds === 0) return Infinity;
  return now + Math.min(seconds, IPSET_MAX_TIMEOUT) * HZ;
}

/** The sets of a guest, by name, in the order created. */
export class IpsetStore {
  readonly sets = new Map<string, IpSet>();

  get(name: string): IpSet | undefined {
    return this.sets.get(name);
  }

  /** `ipset save` at `now` (jiffies since the sets were restored): list:set sets last (IPSET_DUMP_LAST), each in the order created. */
  save(now: number): string {
    let s = '';
    const all = [...this.sets.values()];
    for (const set of [...all.filter((x) => x.type.kind !== 'list'), ...all.filter((x) => x.type.kind === 'list')]) {
      s += set.createLine() + '\n';
      for (const l of set.addLines(now)) s += l + '\n';
    }
    return s;
  }
}

// -- the restore file --------------------------------------------------------------

/** Splits a line into words as ipset restore does (blanks; a double-quoted word may hold blanks). */
function words(line: string): Array<{ text: string; column: number }> | string {
  const out: Array<{ text: string; column: number }> = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
    if (i >= line.length) break;
    const column = i + 1;
    let text = '';
    if (line[i] === '"') {
      const end = line.indexOf('"', i + 1);
      if (end < 0) return `unterminated quoted string at column ${column}: close it with "`;
      text = line.slice(i + 1, end);
      i = end + 1;
    } else {
      while (i < line.length && line[i] !== ' ' && line[i] !== '\t') text += line[i++];
    }
    out.push({ text, column });
  }
  return out;
}

function uint(text: string, max: number): number | undefined {
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) && n <= max ? n : undefined;
}

function parseAddr(text: string, family: Family): InetAddr {
  const a = family === Family.V6 ? parseIPv6(text) : parseIPv4Addr(text);
  if (!a) {
    const other = family === Family.V6 ? parseIPv4Addr(text) : parseIPv6(text);
    throw new Error(
      other
        ? `Syntax error: cannot parse ${text}: resolving to ${family === Family.V6 ? 'IPv6' : 'IPv4'} address failed (the set is family ${family === Family.V6 ? 'inet6' : 'inet'})`
        : `Syntax error: cannot parse ${text}: write a numeric ${family === Family.V6 ? 'IPv6' : 'IPv4'} address (cofw resolves no host names)`,
    );
  }
  return a;
}

/** `IP`, `IP/cidr` or (IPv4) `IP-IP`: the addresses or networks it names. */
function parseAddrSpec(text: string, family: Family): { from: InetAddr; to?: InetAddr; cidr?: number } {
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const from = parseAddr(text.slice(0, slash), family);
    const cidr = uint(text.slice(slash + 1), 255);
    if (cidr === undefined || cidr > familyBits(family)) throw new Error('The value of the CIDR parameter of the IP address is invalid');
    return { from, cidr };
  }
  const dash = family === Family.V4 ? text.indexOf('-') : -1;
  if (dash >= 0) {
    const from = parseAddr(text.slice(0, dash), family);
    const to = parseAddr(text.slice(dash + 1), family);
    if (to.w0 < from.w0) throw new Error(`Syntax error: range ${text}: the first address is above the last`);
    return { from, to };
  }
  return { from: parseAddr(text, family) };
}

/** `[proto:]port[-port]` of the port types: protocol, first and last port (ICMP: type<<8|code). */
function parsePortSpec(text: string, family: Family): { proto: number; lo: number; hi: number } {
  const colon = text.indexOf(':');
  let proto = IPPROTO_TCP;
  let rest = text;
  if (colon >= 0) {
    const name = text.slice(0, colon);
    rest = text.slice(colon + 1);
    const p = name === 'udplite' ? IPPROTO_UDPLITE : /^\d+$/.test(name) ? Number(name) : name === 'icmpv6' ? IPPROTO_ICMPV6 : getprotobyname(name);
    if (p === undefined || p > 255) throw new Error(`Syntax error: cannot parse '${name}' as a protocol`);
    proto = p;
  }
  if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) {
    if (proto === IPPROTO_ICMP && family === Family.V6) throw new Error('Protocol ICMP can be used with family inet only');
    if (proto === IPPROTO_ICMPV6 && family === Family.V4) throw new Error('Protocol ICMPv6 can be used with family inet6 only');
    const names = proto === IPPROTO_ICMP ? ICMP_NAMES : ICMPV6_NAMES;
    const n = names.find((x) => x[0].toLowerCase() === rest.toLowerCase());
    if (n) return { proto, lo: (n[1] << 8) | n[2], hi: (n[1] << 8) | n[2] };
    const m = /^(\d+)\/(\d+)$/.exec(rest);
    if (!m || Number(m[1]) > 255 || Number(m[2]) > 255) throw new Error(`Syntax error: cannot parse ${rest} as an ICMP type (a name, or TYPE/CODE)`);
    const v = (Number(m[1]) << 8) | Number(m[2]);
    return { proto, lo: v, hi: v };
  }
  if (!PORT_PROTOS.has(proto)) {
    if (rest !== '0') throw new Error(`Syntax error: protocol ${protocolName(proto)} has no ports: write ${protocolName(proto)}:0`);
    return { proto, lo: 0, hi: 0 };
  }
  const svc = proto === IPPROTO_UDP || proto === IPPROTO_UDPLITE ? SVC_UDP : proto === IPPROTO_SCTP ? SVC_SCTP : SVC_TCP;
  const port = (t: string): number => {
    const n = uint(t, 65535) ?? serviceToPort(t, svc);
    if (n === undefined) throw new Error(`Syntax error: cannot parse '${t}' as a ${protocolName(proto)} port`);
    return n;
  };
  const dash = rest.indexOf('-');
  if (dash >= 0) {
    const lo = port(rest.slice(0, dash));
    const hi = port(rest.slice(dash + 1));
    if (hi < lo) throw new Error(`Syntax error: port range ${rest}: the first port is above the last`);
    return { proto, lo, hi };
  }
  const p = port(rest);
  return { proto, lo: p, hi: p };
}

/** The networks that cover an IPv4 range exactly (ip_set_range_to_cidr). */
function rangeToCidrs(from: number, to: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let a = from;
  while (a <= to) {
    let cidr = 32;
    while (cidr > 0) {
      const size = 2 ** (32 - (cidr - 1));
      if (a % size !== 0 || a + size - 1 > to) break;
      cidr--;
    }
    out.push([a, cidr]);
    a += 2 ** (32 - cidr);
  }
  return out;
}

const CREATE_FLAGS = new Set(['counters', 'comment', 'skbinfo', 'forceadd']);

/**
 * Reads an `ipset save` file (what `ipset restore` accepts of it: `create`
 * and `add` lines, `-exist` before the set name, `#` comments, blank lines,
 * a final `COMMIT`), refusing the rest with the line and column and what to
 * do. The entries' timeouts start at jiffies 0.
 */
export function parseIpsets(text: string, file: string): IpsetStore {
  const store = new IpsetStore();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const ws = words(line);
    if (typeof ws === 'string') throw new IpsetError(`Syntax error: ${ws}`, file, i + 1, 1);
    if (ws.length === 0 || ws[0]!.text.startsWith('#')) continue;
    try {
      restoreLine(store, ws);
    } catch (e) {
      if (e instanceof WordError) throw new IpsetError(e.message, file, i + 1, ws[Math.min(e.word, ws.length - 1)]!.column);
      if (e instanceof Error && !(e instanceof IpsetError)) throw new IpsetError(e.message, file, i + 1, ws[0]!.column);
      throw e;
    }
  }
  return store;
}

function restoreLine(store: IpsetStore, ws: Array<{ text: string; column: number }>): void {
  let cmd = ws[0]!.text;
  if (cmd === 'COMMIT' && ws.length === 1) return;
  if (cmd === '-N' || cmd === '-A' || cmd === '--create' || cmd === '--add') cmd = cmd.includes('N') || cmd.includes('create') ? 'create' : 'add';
  if (cmd !== 'create' && cmd !== 'add' && cmd !== 'n' && cmd !== 'a') {
    throw new WordError(
      `Syntax error: unknown command \`${cmd}': an ipset file holds create and add lines (as \`ipset save' prints them); cofw reads no other command`,
      0,
    );
  }
  let at = 1;
  let exist = false;
  while (ws[at]?.text === '-exist' || ws[at]?.text === '-!') {
    exist = true;
    at++;
  }
  const nameWord = ws[at];
  if (!nameWord) throw new WordError(`Syntax error: ${cmd} needs a set name`, 0);
  const name = nameWord.text;
  if (name.length > IPSET_MAXNAMELEN - 1) throw new WordError(`Syntax error: setname '${name}' is longer than ${IPSET_MAXNAMELEN - 1} characters`, at);
  at++;
  if (cmd.startsWith('c') || cmd === 'n') createSet(store, name, ws, at, exist);
  else addEntry(store, name, ws, at, exist);
}

function createSet(store: IpsetStore, name: string, ws: Array<{ text: string; column: number }>, at: number, exist: boolean): void {
  const typeWord = ws[at];
  if (!typeWord) throw new WordError('Syntax error: create needs a set type (hash:ip, hash:net, ...)', at - 1);
  const type = TYPE_BY_NAME.get(typeWord.text);
  if (!type) {
    throw new WordError(`Syntax error: typename '${typeWord.text}' is unknown`, at);
  }
  const typeAt = at;
  at++;
  const o: IpSetOptions = {
    family: type.families === 'unspec' ? Family.Unspec : Family.V4,
    hashsize: 1024,
    maxelem: 65536,
    netmask: -1,
    timeout: undefined,
    counters: false,
    comment: false,
    skbinfo: false,
    bucketsize: 12,
    initval: initvalOf(name),
    from: 0,
    to: 0,
    size: 8,
    markmask: 0xffffffff,
  };
  let range: string | undefined;
  let rangeAt = typeAt;
  let netmaskText: string | undefined;
  let netmaskAt = 0;
  const seen = new Set<string>();
  for (; at < ws.length; at++) {
    const w = ws[at]!.text;
    const arg = (): string => {
      const v = ws[at + 1]?.text;
      if (v === undefined) throw new WordError(`Syntax error: option ${w} needs a value`, at);
      at++;
      return v;
    };
    const num = (max: number): number => {
      const v = arg();
      const n = uint(v, max);
      if (n === undefined) throw new WordError(`Syntax error: '${v}' is invalid as number`, at);
      return n;
    };
    if (seen.has(w) && w !== '-exist') throw new WordError(`Syntax error: option ${w} is given twice`, at);
    seen.add(w);
    if (CREATE_FLAGS.has(w)) {
      if (w === 'counters') o.counters = true;
      else if (w === 'comment') o.comment = true;
      else if (w === 'skbinfo') o.skbinfo = true;
      if (w === 'forceadd' && type.kind !== 'hash') throw new WordError(`Unknown argument: \`${w}'`, at);
      continue;
    }
    switch (w) {
      case 'family': {
        if (type.families !== 'both') throw new WordError(`Unknown argument: \`${w}'`, at);
        const v = arg();
        if (v === 'inet' || v === 'ipv4') o.family = Family.V4;
        else if (v === 'inet6' || v === 'ipv6') o.family = Family.V6;
        else throw new WordError(`Syntax error: unknown family '${v}' (inet or inet6)`, at);
        break;
      }
      case 'hashsize':
      case 'maxelem':
      case 'bucketsize':
      case 'initval':
        if (type.kind !== 'hash') throw new WordError(`Unknown argument: \`${w}'`, at);
        if (w === 'hashsize') o.hashsize = num(0xffffffff);
        else if (w === 'maxelem') o.maxelem = num(0xffffffff);
        else if (w === 'bucketsize') o.bucketsize = num(255);
        else o.initval = num(0xffffffff);
        break;
      case 'netmask':
        if (!type.netmask) throw new WordError(`Unknown argument: \`${w}'`, at);
        netmaskText = arg();
        netmaskAt = at;
        break;
      case 'timeout':
        o.timeout = Math.min(num(0xffffffff), IPSET_MAX_TIMEOUT);
        break;
      case 'markmask': {
        if (!type.markmask) throw new WordError(`Unknown argument: \`${w}'`, at);
        const v = arg();
        const n = uint(v, 0xffffffff);
        if (n === undefined) throw new WordError(`Syntax error: '${v}' is invalid as number`, at);
        if (n === 0) throw new WordError('Invalid markmask: 0 masks every mark away; write a non-zero mask such as 0xffffffff', at);
        o.markmask = n;
        break;
      }
      case 'range':
        if (type.kind !== 'bitmap') throw new WordError(`Unknown argument: \`${w}'`, at);
        range = arg();
        rangeAt = at;
        break;
      case 'size':
        if (type.kind !== 'list') throw new WordError(`Unknown argument: \`${w}'`, at);
        o.size = Math.max(num(0xffffffff), 4);
        break;
      default:
        throw new WordError(`Unknown argument: \`${w}'`, at);
    }
  }
  const bits = familyBits(o.family);
  if (netmaskText !== undefined) {
    const n = uint(netmaskText, bits);
    if (n === undefined || n === 0) throw new WordError(`Syntax error: netmask ${netmaskText}: write a prefix length 1-${bits}`, netmaskAt);
    o.netmask = n;
  } else o.netmask = bits;
  if (type.kind === 'hash') {
    let h = 64;
    while (h < o.hashsize && h < 2 ** 31) h *= 2;
    o.hashsize = h;
    o.bucketsize = Math.min(12, Math.max(2, o.bucketsize + (o.bucketsize & 1)));
  }
  if (type.kind === 'bitmap') {
    if (range === undefined) throw new WordError(`Syntax error: ${type.name} needs \`range FROM-TO'`, typeAt);
    if (type.name === 'bitmap:ip' || type.name === 'bitmap:ip,mac') {
      let spec: ReturnType<typeof parseAddrSpec>;
      try {
        spec = parseAddrSpec(range, Family.V4);
      } catch (e) {
        throw new WordError((e as Error).message, rangeAt);
      }
      if (spec.cidr !== undefined) {
        const m = InetAddr.mask(Family.V4, spec.cidr).w0;
        o.from = (spec.from.w0 & m) >>> 0;
        o.to = (o.from | ~m) >>> 0;
      } else {
        o.from = spec.from.w0;
        o.to = spec.to?.w0 ?? spec.from.w0;
      }
      if (o.to - o.from >= 65536 * 2 ** (32 - o.netmask)) {
        throw new WordError(
          type.name === 'bitmap:ip'
            ? 'Range too big: bitmap:ip holds at most 65536 addresses'
            : 'The range you specified exceeds the size limit of the set type: bitmap:ip,mac holds at most 65536 addresses',
          rangeAt,
        );
      }
    } else {
      const m = /^(\d+)-(\d+)$/.exec(range);
      const lo = m ? uint(m[1]!, 65535) : undefined;
      const hi = m ? uint(m[2]!, 65535) : undefined;
      if (lo === undefined || hi === undefined || hi < lo) throw new WordError(`Syntax error: range ${range}: write FROM-TO, ports 0-65535`, rangeAt);
      o.from = lo;
      o.to = hi;
    }
  }
  const have = store.sets.get(name);
  if (have) {
    if (exist && have.createLine() === new IpSet(name, type, o).createLine()) return;
    throw new WordError('Set cannot be created: set with the same name already exists', 0);
  }
  store.sets.set(name, new IpSet(name, type, o));
}

function addEntry(store: IpsetStore, name: string, ws: Array<{ text: string; column: number }>, at: number, exist: boolean): void {
  const set = store.sets.get(name);
  if (!set) throw new WordError(`The set with the given name does not exist (create ${name} before its entries)`, at - 1);
  const entryWord = ws[at];
  if (!entryWord) throw new WordError('Syntax error: add needs an entry', at - 1);
  const entryAt = at;
  at++;
  let timeout: number | undefined;
  let packets = 0;
  let bytes = 0;
  let nomatch = false;
  let comment: string | undefined;
  let skbinfo: { mark: number; markMask: number; prio: number; queue: number } | undefined;
  const seen = new Set<string>();
  let before: { name: string; after: boolean; at: number } | undefined;
  for (; at < ws.length; at++) {
    const w = ws[at]!.text;
    const arg = (): string => {
      const v = ws[at + 1]?.text;
      if (v === undefined) throw new WordError(`Syntax error: option ${w} needs a value`, at);
      at++;
      return v;
    };
    const num = (max: number): number => {
      const v = arg();
      const n = uint(v, max);
      if (n === undefined) throw new WordError(`Syntax error: '${v}' is invalid as number`, at);
      return n;
    };
    if (w !== 'nomatch') {
      if (seen.has(w)) throw new WordError(`Syntax error: ${w} already specified`, at);
      seen.add(w);
    }
    switch (w) {
      case 'timeout':
        if (!set.withTimeout) throw new WordError('Timeout cannot be used: set was created without timeout support', at);
        timeout = Math.min(num(0xffffffff), IPSET_MAX_TIMEOUT);
        break;
      case 'packets':
      case 'bytes':
        if (!set.opts.counters) throw new WordError('Packet/byte counters cannot be used: set was created without counter support', at);
        if (w === 'packets') packets = num(Number.MAX_SAFE_INTEGER);
        else bytes = num(Number.MAX_SAFE_INTEGER);
        break;
      case 'nomatch':
        if (!set.type.nets) throw new WordError(`Unknown argument: \`${w}'`, at);
        nomatch = true;
        break;
      case 'comment':
        if (!set.opts.comment) throw new WordError('Comment cannot be used: set was created without comment support', at);
        comment = arg();
        if (comment.length > 255) comment = comment.slice(0, 255);
        break;
      case 'skbmark':
      case 'skbprio':
      case 'skbqueue':
        if (!set.opts.skbinfo) throw new WordError('Skbinfo mapping cannot be used: set was created without skbinfo support', at);
        skbinfo ??= { mark: 0, markMask: 0, prio: 0, queue: 0 };
        if (w === 'skbmark') [skbinfo.mark, skbinfo.markMask] = parseSkbmark(arg(), at + 1);
        else if (w === 'skbprio') skbinfo.prio = parseSkbprio(arg(), at + 1);
        else skbinfo.queue = parseSkbqueue(arg(), at + 1);
        break;
      case 'before':
      case 'after':
        if (set.type.kind !== 'list') throw new WordError(`Unknown argument: \`${w}'`, at);
        before = { name: arg(), after: w === 'after', at };
        break;
      default:
        throw new WordError(`Unknown argument: \`${w}'`, at);
    }
  }
  const expires = set.withTimeout ? expiresAt(timeout ?? set.opts.timeout!, 0) : Infinity;
  const info = skbinfo && (skbinfo.mark || skbinfo.markMask || skbinfo.prio || skbinfo.queue) ? skbinfo : undefined;
  const ext = { nomatch, expires, packets, bytes, comment, skbinfo: info };
  let elems: IpsetElem[];
  try {
    elems = entriesOf(set, store, entryWord.text, ext);
  } catch (e) {
    if (e instanceof WordError) throw e;
    throw new WordError((e as Error).message, entryAt);
  }
  if (set.type.kind === 'list') {
    const e = elems[0]!;
    if (set.members.some((m) => m.member === e.member)) {
      if (exist) return;
      throw new WordError("Element cannot be added to the set: it's already added", entryAt);
    }
    if (set.members.length >= set.opts.size) throw new WordError('The list set is full, more set cannot be added', entryAt);
    let pos = set.members.length;
    if (before) {
      const i = set.members.findIndex((m) => m.member!.name === before.name);
      if (i < 0) throw new WordError(`Reference set ${before.name} is not a member of ${set.name}`, before.at);
      pos = before.after ? i + 1 : i;
    }
    set.members.splice(pos, 0, e);
    e.member!.refs++;
    return;
  }
  for (const e of elems) {
    const r = set.add(e, exist, 0);
    if (r === 'exists') throw new WordError("Element cannot be added to the set: it's already added", entryAt);
    if (r === 'full') throw new WordError(`Hash is full, cannot add more elements (maxelem ${set.opts.maxelem})`, entryAt);
  }
}

/** ipset_parse_skbmark: sscanf "0x%x/0x%x", else "0x%x" with the mask 0xffffffff (what follows is ignored). */
function parseSkbmark(v: string, at: number): [number, number] {
  const mark = v.startsWith('0x') ? scanfHex(v, 2) : undefined;
  if (!mark) throw new WordError('Syntax error: Invalid skbmark format, it should be:  MARK/MASK or MARK (see manpage)', at);
  const mask = v.startsWith('/0x', mark.end) ? scanfHex(v, mark.end + 3) : undefined;
  return [mark.value, mask ? mask.value : 0xffffffff];
}

/** ipset_parse_skbprio: sscanf "%x:%x", kept as (major << 16) | (minor & 0xffff) in 32 bits. */
function parseSkbprio(v: string, at: number): number {
  const major = scanfHex(v, 0);
  const minor = major && v[major.end] === ':' ? scanfHex(v, major.end + 1) : undefined;
  if (!major || !minor) throw new WordError('Syntax error: Invalid skbprio format, it should be:MAJOR:MINOR (see manpage)', at);
  return ((major.value << 16) | (minor.value & 0xffff)) >>> 0;
}

/** ipset_parse_uint16: strtoull base 0 over the whole word, at most 65535. */
function parseSkbqueue(v: string, at: number): number {
  const r = cStrtoumax(v, 0, 0);
  if (r.end === 0 || r.end !== v.length) throw new WordError(`Syntax error: '${v}' is invalid as number`, at);
  if (r.overflow || r.value > 65535n) throw new WordError(`Syntax error: '${v}' is out of range 0-65535`, at);
  return Number(r.value);
}

type Ext = Pick<IpsetElem, 'nomatch' | 'expires' | 'packets' | 'bytes' | 'comment' | 'skbinfo'>;

/** The entries an `add` names (ranges and, for hash:ip, networks expand to one entry per address). */
function entriesOf(set: IpSet, store: IpsetStore, text: string, ext: Ext): IpsetElem[] {
  const t = set.type.name;
  const fam = set.family;
  const bits = familyBits(fam);
  const out: IpsetElem[] = [];
  const probe: Probe = { ip: new InetAddr(fam), ip2: new InetAddr(fam), proto: 0, port: 0, iface: '', physdev: false, mac: '', mark: 0 };
  const push = (cidr: number, cidr2?: number): void => {
    if (out.length > set.opts.maxelem) throw new Error(`Hash is full, cannot add more elements (maxelem ${set.opts.maxelem})`);
    const e = set.entryOf(probe, cidr, ext.expires, 0, cidr2);
    out.push({ ...e, ...ext });
  };
  // The address part (probe.ip, or probe.ip2 with `second`), with each of its addresses or networks.
  const eachAddr = (spec: string, nets: boolean, body: (cidr: number) => void, second = false): void => {
    const a = parseAddrSpec(spec, fam);
    const target = second ? probe.ip2 : probe.ip;
    if (nets) {
      if (a.to) {
        for (const [n, c] of rangeToCidrs(a.from.w0, a.to.w0)) {
          target.setV4(n);
          body(c);
        }
        return;
      }
      const c = a.cidr ?? bits;
      if (c === 0) throw new Error('The value of the CIDR parameter of the IP address is invalid');
      target.copyFrom(a.from).and(InetAddr.mask(fam, c));
      body(c);
      return;
    }
    // hash:ip (bitmap:ip): one entry per address, stepping by the set's netmask.
    const step = set.type.netmask ? set.opts.netmask : bits;
    if (fam === Family.V6) {
      if (a.cidr !== undefined && a.cidr < step) throw new Error('IPv6 networks cannot be added as addresses: write each address');
      probe.ip.copyFrom(a.from);
      body(bits);
      return;
    }
    let lo = a.from.w0;
    let hi = a.to?.w0 ?? a.from.w0;
    if (a.cidr !== undefined) {
      const m = InetAddr.mask(Family.V4, a.cidr).w0;
      lo = (lo & m) >>> 0;
      hi = (lo | ~m) >>> 0;
    }
    const m = InetAddr.mask(Family.V4, step).w0;
    for (let n = (lo & m) >>> 0; n <= hi; n += 2 ** (32 - step)) {
      probe.ip.setV4(n);
      body(bits);
      if (n + 2 ** (32 - step) > 0xffffffff) break;
    }
  };
  const parts = text.split(',');
  const want =
    t === 'list:set' || t === 'hash:mac' || t === 'hash:ip' || t === 'hash:net' || t === 'bitmap:ip' || t === 'bitmap:port'
      ? 1
      : t === 'hash:ip,port,ip' || t === 'hash:ip,port,net' || t === 'hash:net,port,net'
        ? 3
        : 2;
  // bitmap:ip,mac: the MAC is optional (the kernel fills it in from the first packet of the address).
  const ok = parts.length === want || (t === 'bitmap:ip,mac' && parts.length === 1);
  if (!ok) throw new Error(`Syntax error: ${t} entries are ${ENTRY_FORMS[t]}: cannot parse '${text}'`);
  switch (t) {
    case 'hash:ip':
    case 'hash:net':
      eachAddr(parts[0]!, t === 'hash:net', push);
      break;
    case 'bitmap:ip': {
      eachAddr(parts[0]!, false, (c) => {
        const n = probe.ip.w0;
        if (n < set.opts.from || n > set.opts.to) throw new Error('Element is out of the range of the set');
        push(c);
      });
      break;
    }
    case 'hash:ip,port':
    case 'hash:net,port':
    case 'hash:ip,port,ip': {
      const ps = parsePortSpec(parts[1]!, fam);
      if (t === 'hash:ip,port,ip') probe.ip2.copyFrom(parseAddr(parts[2]!, fam));
      eachAddr(parts[0]!, t === 'hash:net,port', (c) => {
        probe.proto = ps.proto;
        for (let p = ps.lo; p <= ps.hi; p++) {
          probe.port = p;
          push(c);
        }
      });
      break;
    }
    case 'hash:ip,port,net':
    case 'hash:net,port,net': {
      const ps = parsePortSpec(parts[1]!, fam);
      eachAddr(parts[0]!, t === 'hash:net,port,net', (c) => {
        const first = probe.ip.clone();
        eachAddr(
          parts[2]!,
          true,
          (c2) => {
            probe.ip.copyFrom(first);
            probe.proto = ps.proto;
            for (let p = ps.lo; p <= ps.hi; p++) {
              probe.port = p;
              if (t === 'hash:ip,port,net') push(c2);
              else push(c, c2);
            }
          },
          true,
        );
      });
      break;
    }
    case 'hash:net,net':
      eachAddr(parts[0]!, true, (c) => {
        const first = probe.ip.clone();
        eachAddr(
          parts[1]!,
          true,
          (c2) => {
            probe.ip.copyFrom(first);
            push(c, c2);
          },
          true,
        );
      });
      break;
    case 'hash:ip,mark': {
      const m = uint(parts[1]!, 0xffffffff);
      if (m === undefined) throw new Error(`Syntax error: cannot parse '${parts[1]}' as a mark (a number up to 0xffffffff)`);
      probe.mark = (m & set.opts.markmask) >>> 0;
      eachAddr(parts[0]!, false, push);
      break;
    }
    case 'hash:ip,mac': {
      probe.mac = parseMac(parts[1]!);
      if (probe.mac === '00:00:00:00:00:00') throw new Error('Syntax error: the zero MAC address cannot be added');
      const a = parseAddrSpec(parts[0]!, fam);
      if (a.to || (a.cidr !== undefined && a.cidr !== bits)) throw new Error(`Syntax error: plain IP address must be supplied: ${parts[0]}`);
      probe.ip.copyFrom(a.from);
      push(bits);
      break;
    }
    case 'bitmap:ip,mac': {
      const a = parseAddrSpec(parts[0]!, Family.V4);
      if (a.to || a.cidr !== undefined) throw new Error(`Syntax error: plain IP address must be supplied: ${parts[0]}`);
      const n = a.from.w0;
      if (n < set.opts.from || n > set.opts.to) throw new Error('Element is out of the range of the set');
      probe.ip.copyFrom(a.from);
      probe.mac = parts.length > 1 ? parseMac(parts[1]!) : '';
      const e = { ...set.entryOf(probe, bits, ext.expires, 0), ...ext };
      // The timeout asked for: running with a MAC, stored until one is filled in without.
      if (set.withTimeout) e.pendingTimeout = ext.expires === Infinity ? 0 : Math.round(ext.expires / HZ);
      if (probe.mac === '') e.expires = Infinity;
      out.push(e);
      break;
    }
    case 'hash:net,iface': {
      let iface = parts[1]!;
      probe.physdev = iface.startsWith('physdev:');
      if (probe.physdev) iface = iface.slice('physdev:'.length);
      if (!iface || iface.length > 15) throw new Error(`Syntax error: '${iface}' is not an interface name (1-15 characters)`);
      probe.iface = iface;
      eachAddr(parts[0]!, true, push);
      break;
    }
    case 'hash:mac': {
      probe.mac = parseMac(parts[0]!);
      if (probe.mac === '00:00:00:00:00:00') throw new Error('Syntax error: the zero MAC address cannot be added');
      push(48);
      break;
    }
    case 'bitmap:port': {
      const ps = parsePortSpec(parts[0]!.includes(':') ? parts[0]! : `tcp:${parts[0]}`, Family.V4);
      for (let p = ps.lo; p <= ps.hi; p++) {
        if (p < set.opts.from || p > set.opts.to) throw new Error('Element is out of the range of the set');
        probe.port = p;
        push(16);
      }
      break;
    }
    case 'list:set': {
      const m = store.sets.get(parts[0]!);
      if (!m) throw new Error('Set to be added/deleted/tested as element does not exist.');
      if (m.type.kind === 'list') throw new Error('Set to be added/deleted/tested as element is a list type set: list:set cannot hold list:set');
      out.push({ key: m.name, text: m.name, cidr: 0, member: m, ...ext });
      break;
    }
  }
  return out;
}

/** A MAC address as ipset reads it (six hex bytes of one or two digits), in lower case with two digits each. */
function parseMac(text: string): string {
  if (!/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/.test(text)) throw new Error(`Syntax error: cannot parse '${text}' as a MAC address`);
  return text
    .split(':')
    .map((x) => x.padStart(2, '0').toLowerCase())
    .join(':');
}

const ENTRY_FORMS: Record<string, string> = {
  'hash:ip': 'IP, IP/CIDR or FROM-TO',
  'hash:net': 'IP[/CIDR] or FROM-TO',
  'hash:ip,port': 'IP,[PROTO:]PORT',
  'hash:net,port': 'IP[/CIDR],[PROTO:]PORT',
  'hash:ip,port,ip': 'IP,[PROTO:]PORT,IP',
  'hash:ip,port,net': 'IP,[PROTO:]PORT,IP[/CIDR]',
  'hash:net,net': 'IP[/CIDR],IP[/CIDR]',
  'hash:net,port,net': 'IP[/CIDR],[PROTO:]PORT,IP[/CIDR]',
  'hash:ip,mark': 'IP,MARK',
  'hash:ip,mac': 'IP,MAC',
  'bitmap:ip,mac': 'IP[,MAC] within `range`',
  'hash:net,iface': 'IP[/CIDR],[physdev:]IFACE',
  'hash:mac': 'MAC',
  'bitmap:ip': 'IP, IP/CIDR or FROM-TO',
  'bitmap:port': 'PORT or FROM-TO',
  'list:set': 'SETNAME',
};
