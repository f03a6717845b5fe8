/**
 * The shapes every netfilter module shares: the packet as the rule engine
 * sees it (`Skb`), the per-traversal parameters (`XtParams`), hooks, verdicts
 * and the guest services a match or target may call.
 *
 * Contract for the hot path: when a `Skb` of family IPv4 reaches a table, `data` holds a
 * complete IPv4 header (length checked once by the stack), `totLen` is the
 * IP total length, `len` the bytes present (equal, unless the capture cut the
 * packet short) and `data.length >= len`. Transport headers are NOT checked:
 * a match that needs them checks `thoff + n <= len` itself and sets
 * `par.hotdrop` when the first fragment is too short, as the kernel does.
 */

import { Family, InetAddr } from '../packet/inet-addr.js';
import type { Conn } from './conntrack/conn.js';
import { ExtWalk, walkExtHeaders } from '../net/ipv6/exthdr.js';
import type { Manip, NatRange } from './nat/range.js';

/**
 * What the NAT targets ask of the guest: the NAT core's binding and the
 * addresses MASQUERADE and REDIRECT translate to. Present when the rule
 * set has a nat table (loading it registers the NAT hooks).
 */
export interface NatServices {
  /** nf_nat_setup_info: binds side `manip` of the packet's (unconfirmed) connection into `range`. */
  setup(conn: Conn, range: NatRange, manip: Manip): number;
  /** MASQUERADE's source: inet_select_addr(out, nexthop towards `daddr`, universe scope), or null when `out` has no address. */
  masqueradeSource(out: NetDevice, daddr: InetAddr): InetAddr | null;
  /** REDIRECT's destination on PREROUTING: the first address of the input device, or null when it has none. */
  primaryAddress(dev: NetDevice, family: Family): InetAddr | null;
}

/** Netfilter hooks, numbered as in the kernel (NF_INET_*). */
export const enum Hook {
  PreRouting = 0,
  LocalIn = 1,
  Forward = 2,
  LocalOut = 3,
  PostRouting = 4,
}

export const HOOK_NAMES = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'] as const;

/** Verdicts. Non-negative values are final; negative ones steer traversal. */
export const NF_DROP = 0;
export const NF_ACCEPT = 1;
/** A target that lets the packet go on to the next rule (LOG, MARK...). */
export const XT_CONTINUE = -1;
/** Returns from the current chain (RETURN). */
export const XT_RETURN = -2;

/** skb->pkt_type values (linux/if_packet.h). */
export const enum PacketType {
  Host = 0,
  Broadcast = 1,
  Multicast = 2,
  OtherHost = 3,
  Outgoing = 4,
  /** A looped-back copy of a locally sent packet (PACKET_LOOPBACK). */
  Loopback = 5,
}

/** One address on a guest interface, of either family. */
export interface IfAddress {
  readonly addr: InetAddr;
  readonly prefix: number;
  /** Directed broadcast of the subnet (addr | ~mask); IPv4 only (IPv6 has none). */
  readonly broadcast?: InetAddr;
}

/** A guest network device (conet unit or loopback). */
export interface NetDevice {
  readonly name: string;
  /** ifindex: lo is 1, ethN follow in order. */
  readonly index: number;
  readonly mac: Uint8Array;
  readonly addrs: readonly IfAddress[];
  readonly mtu: number;
  /**
   * The capture was taken where this interface's offloads merge TCP
   * segments (GRO): a TCP packet received longer than the MTU is a GRO
   * super-packet, forwarded if its segments fit the output MTU (GSO).
   */
  readonly gro?: boolean;
  /** The device group (dev->group, `ip link set DEV group N`): 0, the kernel's default, when absent. */
  readonly group?: number;
  /** real_num_tx_queues (machine file `txqueues:`): 1, a veth's by default, when absent. */
  readonly txQueues?: number;
  /** conet unit number, or -1 for loopback and bridges. */
  readonly unit: number;
  /** A Linux bridge (machine file `bridges:`): its ports and br_netfilter's settings. Not a conet unit. */
  readonly bridge?: BridgeConfig;
  /** The bridge this interface is a port of (its name): frames it receives go to the bridge. */
  readonly master?: string;
  /**
   * The CPU that processes what this interface receives (machine file
   * `cpu:` of the interface: its receive queue's interrupt or RPS CPU); the
   * machine's `cpu` when absent.
   */
  readonly cpu?: number;
  /**
   * A bridge port's `from:` (host side only, never sent to the guest): the
   * networks and MACs behind the port, so that a frame from one of them
   * enters the bridge on this port.
   */
  readonly from?: PortHosts;
}

/** A bridge's ports and the br_netfilter sysctls of its namespace (net.bridge.*). */
export interface BridgeConfig {
  /** Port names, in the order they were added (`ip link set ethN master br0`). */
  readonly ports: readonly string[];
  /** bridge-nf-call-iptables: bridged IPv4 goes through iptables (1 when br_netfilter is loaded). */
  readonly callIptables: boolean;
  /** bridge-nf-call-ip6tables: bridged IPv6 goes through ip6tables (1 when br_netfilter is loaded). */
  readonly callIp6tables: boolean;
  /** bridge-nf-filter-vlan-tagged: 802.1Q-tagged IP goes through them too (0 by default). */
  readonly filterVlanTagged: boolean;
}

/** What lives behind a bridge port: networks of either family, and MAC addresses. */
export interface PortHosts {
  readonly nets: readonly IfAddress[];
  readonly macs: readonly Uint8Array[];
}

/** Route types as the kernel's fib reports them (RTN_*), used by addrtype. */
export const enum RouteType {
  Unspec = 0,
  Unicast = 1,
  Local = 2,
  Broadcast = 3,
  Anycast = 4,
  Multicast = 5,
  Blackhole = 6,
  Unreachable = 7,
  Prohibit = 8,
  Throw = 9,
  Nat = 10,
  XResolve = 11,
}

/**
 * A packet's socket as the owner match sees it: the credentials of the
 * file that opened it (file->f_cred: fsuid, fsgid, supplementary groups),
 * or `file` null for a kernel socket without a file (the one the kernel
 * sends its ICMP errors from).
 */
export interface PacketSocket {
  readonly file: { readonly uid: number; readonly gid: number; readonly groups: readonly number[] } | null;
  /** The socket's cgroup v2 path (`/a/b`; the root `/` when absent), as `-m cgroup --path` sees it. */
  readonly cgroup?: string;
  /** Its net_cls class id (0 when absent), as `-m cgroup --cgroup` sees it. */
  readonly classid?: number;
}

/**
 * What the guest kernel offers to matches and targets during a traversal.
 * Implemented by the guest network stack; tests may supply a stub.
 */
export interface GuestServices {
  /** Jiffies at HZ=250 from the machine's virtual clock. */
  jiffies(): number;
  /**
   * Conntrack's jiffies (nfct_time_stamp), which its entries' `timeout`
   * counts on: what `--ctexpire` and connlimit compare a timeout with.
   * Without it (a guest with no conntrack, test stubs) `jiffies()` serves.
   */
  ctJiffies?(): number;
  /** Virtual time in nanoseconds since the first packet (boot): an ordinary number, exact for 104 days. */
  nowNs(): number;
  /** The machine's absolute time: the current packet's capture timestamp, ns since 1970-01-01 UTC. */
  wallNs(): bigint;
  /** The kernel timezone (sys_tz.tz_minuteswest), minutes west of UTC: 0, as on a machine set to UTC. */
  tzMinutesWest(): number;
  /**
   * The socket that owns the packet being processed (skb_to_full_sk), as
   * the owner match reads it, or null when the packet has none (received
   * and forwarded packets, and the firewall's own when the machine file
   * names no socket for them). Optional: a guest without it has no sockets.
   */
  socketOf?(skb: Skb): PacketSocket | null;
  /**
   * What the program attached to NFQUEUE queue `num` answers, NF_ACCEPT or
   * NF_DROP (the machine file's `queues:`), or null when no program listens
   * on it. Optional: a guest without it has no queue listeners.
   */
  queueVerdict?(num: number): number | null;
  /** Route type of `addr`; with `dev`, as seen from that device (addrtype --limit-iface-*). */
  addrType(addr: number, dev: NetDevice | null): RouteType;
  /**
   * IPv6: what the route lookup of `addr` says of it, as xt_addrtype's
   * match_lookup_rt6 reads it (the IPv6 table's `routeType`): LOCAL,
   * ANYCAST, UNREACHABLE, MULTICAST, or UNICAST for none of these; with
   * `dev`, the lookup bound to that device (--limit-iface-*).
   */
  addrType6(addr: InetAddr, dev: NetDevice | null): RouteType;
  /**
   * Either family: the route back to `addr` as xt_rpfilter looks it up
   * (IPv4 fib_lookup, Fib.fibLookupV4; IPv6 ip6_route_lookup,
   * Fib6.reverseLookup with `oif` preferred, and required with
   * `strictIface`): its type and the device of its next hop. With policy
   * rules, `mark` (the packet's with --validmark, else 0) and `saddr` (the
   * packet's destination, null when rpfilter leaves it out) take part, and
   * the lookup comes from lo. Optional: a
   * guest without it has no routes (every lookup unreachable).
   */
  reverseRoute?(
    addr: InetAddr,
    oif: NetDevice | null,
    strictIface: boolean,
    mark?: number,
    saddr?: InetAddr | null,
  ): { readonly type: RouteType; readonly dev: NetDevice | null };
  /**
   * xt_connbytes' checkentry: turns on the namespace's connection
   * accounting (net.netfilter.nf_conntrack_acct) and says whether it was
   * off. Optional: a guest without conntrack has none to turn on.
   */
  forceConntrackAcct?(): boolean;
  /**
   * xt_connlabel's checkentry (nf_connlabels_get): from now on new
   * conntrack entries carry labels. Optional: a guest without conntrack
   * has none.
   */
  useConnlabels?(): void;
  /** A kernel log line at syslog `level` (0-7), as printk would emit it. */
  printk(level: number, text: string): void;
  /**
   * Hands a packet generated by netfilter (REJECT's reset or ICMP error) to
   * the local output path. `ip` is a complete IPv4 or IPv6 packet with
   * checksums set. It is processed after the current packet has finished
   * its traversal.
   */
  sendLocal(ip: Uint8Array, cause: Skb): void;
  /**
   * SYNPROXY's packets (synproxy_send_tcp, synproxy_send_tcp_ipv6): `ip`, a
   * complete IPv4 or IPv6 packet with checksums set, goes to the local
   * output path after the current packet's traversal, with mark 0 and
   * the connection `ct` as `ctinfo` (nf_ct_set), or, with `ct` null, none
   * (conntrack looks it up in OUTPUT). Its fate is a generated packet's,
   * of `cause`'s frame. Optional: a guest without it sends none.
   */
  sendProxied?(ip: Uint8Array, cause: Skb, ct: Conn | null, ctinfo: number, how?: ProxiedHow): void;
  /**
   * TEE (nf_dup_ipv4, nf_dup_ipv6): sends a copy of the packet in hand, as
   * it is now, to the gateway `gw` (bound to the device named `oif`, when
   * the machine has one), at once, through OUTPUT and POSTROUTING; nothing
   * while a copy is being sent. `hook` is where the packet is. Optional: a
   * guest without it sends no copies.
   */
  duplicate?(hook: Hook, gw: InetAddr, oif: string): void;
  /** Source address the stack would pick to reach `daddr` (inet_select_addr). */
  selectSource(daddr: number): number;
  /**
   * The device a reply to `daddr` would leave on, or null when unroutable;
   * `mark` is the mark of the packet answered (the reply's flowi4_mark when
   * net.ipv4.fwmark_reflect is set).
   */
  routeOutput(daddr: number, mark?: number): NetDevice | null;
  /**
   * The route of a reply to an IPv6 packet (ip6_route_output with the
   * reply's flow: destination `daddr`, source `saddr` when chosen, protocol
   * and ports, and IP6_REPLY_MARK of `mark`, the mark of the packet
   * answered: itself when net.ipv6.fwmark_reflect is set, else 0), as
   * nf_send_reset6 and icmp6_send look it up. Optional: without it, `route`.
   */
  routeOutput6?(
    daddr: InetAddr,
    saddr: InetAddr | null,
    mark: number,
    proto: number,
    sport: number,
    dport: number,
  ): { readonly type: RouteType; readonly dev: NetDevice | null };
  /**
   * Either family: the route the stack picks for a packet to `daddr`
   * (ip_route_output, ip6_route_output): its type (Local for one of the
   * guest's own addresses) and output device, null when unreachable.
   */
  route(daddr: InetAddr): { readonly type: RouteType; readonly dev: NetDevice | null };
  /**
   * Either family: the source address the stack would choose for a packet
   * to `daddr` from `dev` (inet_select_addr, ipv6_dev_get_saddr), or null
   * when it has none.
   */
  sourceAddress(dev: NetDevice | null, daddr: InetAddr): InetAddr | null;
  /** The NAT core, when the rule set has a nat table; null otherwise. */
  readonly nat: NatServices | null;
}

/** How SYNPROXY's packet goes: with the synproxy template (its SYN to the server), and what to do once it is out. */
export interface ProxiedHow {
  /** nf_ct_set(nskb, snet->tmpl, IP_CT_NEW): conntrack makes the packet's entry with SYNPROXY's record and sequence adjustment. */
  readonly template?: boolean;
  /** Runs once the packet has left the stack (its output path in the kernel is synchronous: what follows it comes after). */
  readonly after?: () => void;
}

/**
 * The packet as netfilter sees it: a reusable record re-pointed at each
 * packet (no object graph per packet). Byte offsets are into `data`, which
 * starts at the IPv4 header.
 */
export class Skb {
  /** The IPv4 packet (header first). May be longer than `len` (padding). */
  data: Uint8Array = new Uint8Array(0);
  /** Bytes of the packet present in `data`: the bound for every read. */
  len = 0;
  /** IP total length: what counters and the length match count. */
  totLen = 0;
  /** The capture cut this packet short (snaplen): `len < totLen`. */
  truncated = false;
  private mac_: Uint8Array | null = null;
  /** The frame whose first `macLen` bytes are the Ethernet header, until `mac` is asked for (see `lazyMac`). */
  private macFrame: Uint8Array | null = null;
  private macAt = 0;
  private macLen = 0;

  /** Ethernet header of a received frame (for `-m mac`, LOG's MAC=), or null. */
  get mac(): Uint8Array | null {
    if (this.macFrame !== null) {
      this.mac_ = this.macFrame.subarray(this.macAt, this.macAt + this.macLen);
      this.macFrame = null;
    }
    return this.mac_;
  }

  set mac(m: Uint8Array | null) {
    this.mac_ = m;
    this.macFrame = null;
  }

  /**
   * The Ethernet header is the first `len` bytes of `frame` (valid as long
   * as the frame is): its view is made only when `mac` is read, which few
   * packets need (a MAC match, LOG, reassembly).
   */
  lazyMac(frame: Uint8Array, len: number, at = 0): this {
    this.mac_ = null;
    this.macFrame = frame;
    this.macAt = at;
    this.macLen = len;
    return this;
  }
  /** Transport header offset (IHL * 4). */
  thoff = 0;
  /** Fragment offset in 8-byte units; non-zero means "no transport header here". */
  fragoff = 0;
  /** IP protocol number (IPv6: the upper-layer protocol the header chain leads to). */
  protocol = 0;
  /** The packet's family: Family.V4, or Family.V6. */
  family: Family = Family.V4;
  /** IPv4 source and destination as numbers (ip_hdr(skb)->saddr), for the IPv4 hot paths; 0 for IPv6. */
  saddr = 0;
  daddr = 0;
  /** Source and destination in either family (re-pointed at each packet, never replaced: copy what you keep). */
  readonly src = new InetAddr();
  readonly dst = new InetAddr();
  /** nfmark. */
  mark = 0;
  /**
   * The realms of the packet's route (dst->tclassid, FROM << 16 | TO), as
   * `-m realm` reads them: set when the packet is routed, 0 until then.
   */
  tclassid = 0;
  /**
   * skb->priority, the traffic control class (CLASSIFY, SET --map-prio):
   * 0 when the packet starts; no match of iptables and no output of cofw
   * reads it.
   */
  priority = 0;
  /** skb->queue_mapping (SET --map-queue; classic BPF's SKF_AD_QUEUE): 0 when the packet starts, as a veth receives it. */
  queueMapping = 0;
  /** Marked for tracing by the TRACE target (nft's `meta nftrace set 1`). */
  nftrace = false;
  pktType: PacketType = PacketType.Host;
  /**
   * gso_size: the payload of each segment of a GRO super-packet (0 for a
   * packet that is not one); set on receipt by an interface with `gro`.
   */
  gsoSize = 0;
  /** Set when this packet was generated by netfilter itself (REJECT, TEE). */
  generated = false;
  /** A copy TEE sends (nf_dup_ipv4, nf_dup_ipv6): generated, owned by no socket. */
  dup = false;
  /**
   * br_netfilter's record of a packet that entered by a bridge port
   * (nf_bridge_info): the port (physindev), null when the packet never
   * crossed a bridge; and, for a packet the bridge forwards, the port it
   * leaves by (physoutdev), else null.
   */
  physIn: NetDevice | null = null;
  physOut: NetDevice | null = null;
  /** Capture frame number (1-based) this packet came from, for reports. */
  frameNo = 0;
  /** The connection tracking entry (owned by src/netfilter/conntrack), or null: untracked or not yet seen. */
  ct: Conn | null = null;
  /** ctinfo as the kernel's enum ip_conntrack_info (0 ESTABLISHED, 1 RELATED, 2 NEW, 3 ESTABLISHED_REPLY, 4 RELATED_REPLY), meaningful when ct is set. */
  ctinfo = 0;
  /** conntrack's verdict on the packet: 'tracked', 'invalid' (no entry), 'untracked' (NOTRACK). */
  ctState: 0 | 1 | 2 = 0;
  /**
   * The template `CT` attached in the raw table (its zone, see
   * `zoneTemplate` in conntrack/conn.ts), or -1 when none did. Conntrack
   * looks the packet up in that zone; a later CT target leaves it alone.
   */
  ctZone = -1;
  /** The synproxy template is attached (SYNPROXY's SYN to the server): the new entry gets SYNPROXY's record. */
  ctSynproxy = false;

  /**
   * Re-reads the cached header fields of an IPv6 packet: the addresses, and
   * the protocol, transport offset and fragment offset its extension
   * header chain leads to (`protocol` -1 when the chain is malformed).
   */
  loadV6(data: Uint8Array): this {
    this.data = data;
    this.totLen = 40 + ((data[4]! << 8) | data[5]!);
    this.len = Math.min(this.totLen, data.length);
    this.truncated = this.len < this.totLen;
    this.family = Family.V6;
    this.saddr = 0;
    this.daddr = 0;
    this.src.readV6(data, 8);
    this.dst.readV6(data, 24);
    const w = this.ext;
    walkExtHeaders(data, this.len, w);
    this.protocol = w.proto;
    this.thoff = w.proto < 0 ? this.len : w.thoff;
    this.fragoff = w.fragoff >> 3;
    return this;
  }

  /**
   * A packet starts its way through the stack: its link header and packet
   * type, no mark, not traced, the frame it came from.
   */
  begin(mac: Uint8Array | null, pktType: PacketType, frameNo: number, generated = false): this {
    this.mac = mac;
    this.pktType = pktType;
    this.gsoSize = 0;
    this.mark = 0;
    this.tclassid = 0;
    this.priority = 0;
    this.queueMapping = 0;
    this.nftrace = false;
    this.generated = generated;
    this.dup = false;
    this.frameNo = frameNo;
    this.physIn = null;
    this.physOut = null;
    return this;
  }

  /** The extension header walk of the last IPv6 packet loaded. */
  readonly ext = new ExtWalk();

  /**
   * Takes every field of `o` (its bytes by reference): the stack keeps a
   * packet's state aside while it sends a copy of it (TEE), and puts it
   * back after.
   */
  copyFrom(o: Skb): this {
    this.data = o.data;
    this.len = o.len;
    this.totLen = o.totLen;
    this.truncated = o.truncated;
    this.mac_ = o.mac_;
    this.macFrame = o.macFrame;
    this.macLen = o.macLen;
    this.thoff = o.thoff;
    this.fragoff = o.fragoff;
    this.protocol = o.protocol;
    this.family = o.family;
    this.saddr = o.saddr;
    this.daddr = o.daddr;
    this.src.copyFrom(o.src);
    this.dst.copyFrom(o.dst);
    this.mark = o.mark;
    this.tclassid = o.tclassid;
    this.priority = o.priority;
    this.queueMapping = o.queueMapping;
    this.nftrace = o.nftrace;
    this.pktType = o.pktType;
    this.gsoSize = o.gsoSize;
    this.generated = o.generated;
    this.dup = o.dup;
    this.physIn = o.physIn;
    this.physOut = o.physOut;
    this.frameNo = o.frameNo;
    this.ct = o.ct;
    this.ctinfo = o.ctinfo;
    this.ctState = o.ctState;
    this.ctZone = o.ctZone;
    this.ctSynproxy = o.ctSynproxy;
    Object.assign(this.ext, o.ext);
    return this;
  }

  /** Re-reads the cached header fields after `data` changed. */
  load(data: Uint8Array): this {
    this.data = data;
    this.totLen = (data[2]! << 8) | data[3]!;
    this.len = Math.min(this.totLen, data.length);
    this.truncated = this.len < this.totLen;
    this.thoff = (data[0]! & 0x0f) * 4;
    this.fragoff = ((data[6]! << 8) | data[7]!) & 0x1fff;
    this.protocol = data[9]!;
    this.saddr = ((data[12]! << 24) | (data[13]! << 16) | (data[14]! << 8) | data[15]!) >>> 0;
    this.daddr = ((data[16]! << 24) | (data[17]! << 16) | (data[18]! << 8) | data[19]!) >>> 0;
    this.family = Family.V4;
    this.src.setV4(this.saddr);
    this.dst.setV4(this.daddr);
    return this;
  }
}

/** Per-traversal parameters, as the kernel's xt_action_param. Reused. */
export interface XtParams {
  hook: Hook;
  table: string;
  inDev: NetDevice | null;
  outDev: NetDevice | null;
  /** Set by a match that cannot read what it needs: the packet is dropped. */
  hotdrop: boolean;
  services: GuestServices;
  /** smp_processor_id(): the CPU processing the packet (`-m cpu`, NFQUEUE --queue-cpu-fanout); 0 when absent. */
  cpu?: number;
}
