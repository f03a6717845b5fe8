/**
 * The guest's IPv4 stack as far as netfilter is concerned: it receives
 * frames from conet units, validates them as ip_rcv does, runs the hooks in
 * the kernel's order with a routing decision between them, and reports one
 * fate per frame (plus one per packet netfilter generates).
 *
 * The path, as in the kernel (net/ipv4/ip_input.c, ip_forward.c, ip_output.c):
 *   received:  ip_rcv checks -> PREROUTING (raw -300, mangle -150) -> route
 *              local:   reassembly (ip_local_deliver) -> INPUT (mangle, filter, security) -> delivered
 *              forward: not PACKET_HOST -> drop; TTL <= 1 -> drop; TTL-1;
 *                       DF and longer than the MTU -> drop;
 *                       FORWARD (mangle, filter, security) -> POSTROUTING (mangle) -> out
 *   local out: route -> OUTPUT (raw, mangle, filter, security) -> POSTROUTING (mangle) -> out
 *              (to a local address: out on lo and back in through PREROUTING and INPUT)
 * Packets netfilter generates (REJECT) take the local output path after the
 * packet that caused them has finished; TEE's copies take it at once, while
 * the packet waits at its rule (nf_dup_ipv4, nf_dup_ipv6).
 */
import { jiffiesOfNs } from '../../netfilter/clock.js';
import { inetChecksum, setIPv4Checksum } from '../../packet/checksum.js';
import { Fib, setClassTag, type FibResultV4 } from '../fib.js';
import { flowPort } from '../policy.js';
import { buildIcmpError, icmpErrorId } from '../../packet/reject.js';
import { prefixMask } from '../../packet/addr.js';
import { queueVerdicts, socketLookup } from '../../netfilter/sockets.js';
import { DefragUser, Ipv4Defrag, loadReassembled, type DefragStats, type Reassembled } from './defrag.js';
import type { MachineSpec } from '../../machine/spec.js';
import {
  attachRelated,
  Conntrack,
  CT_UNTRACKED,
  formatEntry,
  IP_CT_NEW,
  IP_CT_RELATED,
  IP_CT_RELATED_REPLY,
  resetCt,
  type Conn,
} from '../../netfilter/conntrack/index.js';
import { NAT_MANGLE_FAILED, NatCore } from '../../netfilter/nat/core.js';
import { hookManip } from '../../netfilter/nat/range.js';
import { Family, InetAddr } from '../../packet/inet-addr.js';
import { Ipv6Path, type StackCore } from '../ipv6/path.js';
import { CompiledTable, type TraceKind } from '../../netfilter/engine.js';
import { TraceEvents, ctEntryText, ctStateText } from '../trace-events.js';
import type { Ipv6ReasmStats } from '../ipv6/defrag.js';
import { formatLogLine } from '../../netfilter/targets/log.js';
import { FateKind, type DropSite, type Fate } from '../../netfilter/fate.js';
import type { Ruleset } from '../../netfilter/rules/model.js';
import { attachRuleset } from '../../netfilter/xt.js';
import { nfacctList, nfacctObject } from '../../netfilter/nfacct.js';
import { HookVerdict, synproxyHook } from '../../netfilter/targets/synproxy.js';
import { gsoFits, markGro } from '../gro.js';
import { Bridge, L2 } from '../bridge.js';
import { ETH_P_PPP_DISC, ETH_P_PPP_SES, PPPOE_SES_HLEN, pppoeSessionEthertype, pppoeText } from '../../packet/pppoe.js';
import { HOOK_NAMES, Hook, NF_ACCEPT, NF_DROP, PacketType, RouteType, Skb, type GuestServices, type NetDevice, type XtParams } from '../../netfilter/types.js';

export interface StackOptions {
  readonly spec: MachineSpec;
  /** Kernel log lines (printk), already formatted without the timestamp. */
  readonly printk: (level: number, text: string) => void;
  /** Receives every fate, in order. The record (and its frame bytes) is reused: copy what you keep. */
  readonly fate: (f: Fate) => void;
  /**
   * Frames to trace (as the TRACE target would): for each, every matching
   * rule, chain return and policy is logged as `TRACE: table:chain:kind:num`.
   */
  readonly trace?: (frameNo: number) => boolean;
  /** False when the host keeps no leaving frames: a packet that got through is reported without its frame (default true). */
  readonly leavingFrames?: boolean;
  /**
   * The time `setClock` counts from, in nanoseconds since 1970 (the boot:
   * the first frame's timestamp); default 0. The clock itself is an
   * ordinary number of nanoseconds since then; the wall clock (`-m time`)
   * and conntrack's jiffies, which count from the epoch, add it back.
   */
  readonly clockOriginNs?: bigint;
}

/** Tables and their priority on each hook (include/uapi/linux/netfilter_ipv4.h). */
const TABLE_PRIORITY: Record<string, Partial<Record<Hook, number>>> = {
  raw: { [Hook.PreRouting]: -300, [Hook.LocalOut]: -300 },
  mangle: { [Hook.PreRouting]: -150, [Hook.LocalIn]: -150, [Hook.Forward]: -150, [Hook.LocalOut]: -150, [Hook.PostRouting]: -150 },
  nat: { [Hook.PreRouting]: -100, [Hook.LocalOut]: -100, [Hook.LocalIn]: 100, [Hook.PostRouting]: 100 },
  filter: { [Hook.LocalIn]: 0, [Hook.Forward]: 0, [Hook.LocalOut]: 0 },
  security: { [Hook.LocalIn]: 50, [Hook.Forward]: 50, [Hook.LocalOut]: 50 },
};

/** nf_conntrack_in's priority on PREROUTING and OUTPUT (NF_IP_PRI_CONNTRACK). */
const CONNTRACK_PRIORITY = -200;

/** Matches and targets whose use makes the kernel register conntrack's hooks. */
const CONNTRACK_USERS = new Set([
  'state',
  'conntrack',
  'connmark',
  'connlimit',
  'connbytes',
  'connlabel',
  'helper',
  'cluster',
  'CONNMARK',
  'CONNSECMARK',
  'CT',
  'NOTRACK',
  'SNAT',
  'DNAT',
  'MASQUERADE',
  'REDIRECT',
  'NETMAP',
  'SYNPROXY',
]);

/**
 * What a packet netfilter generated carries from its cause: the cause's
 * connection (RELATED to it, nf_ct_attach; with `set`, as `ctinfo` itself,
 * nf_ct_set, SYNPROXY's way) and the mark it leaves with.
 */
interface PendingCause {
  ct: Conn | null;
  ctinfo: number;
  mark: number;
  set?: boolean;
  /** SYNPROXY's SYN to the server: the synproxy template is attached. */
  template?: boolean;
  /** Runs once the packet is out (SYNPROXY's sequence adjustment after its ACK to the server). */
  after?: () => void;
}

function attachCause(skb: Skb, cause: PendingCause): void {
  if (!cause.set) attachRelated(skb, cause.ct, cause.ctinfo);
  else if (cause.ct) {
    skb.ct = cause.ct;
    skb.ctinfo = cause.ctinfo;
  } else if (cause.template) skb.ctSynproxy = true;
}

/** Does any rule of the set jump to SYNPROXY (its checkentry registers the synproxy hooks for the family)? */
function usesSynproxy(rs: Ruleset): boolean {
  for (const t of rs.tables.values())
    for (const c of t.chains.values()) for (const r of c.rules) if (r.target.kind === 'module' && r.target.module.name === 'SYNPROXY') return true;
  return false;
}

/** Why the synproxy hook kept or dropped a packet. */
const SYNPROXY_STOLEN = "SYNPROXY: answered by the proxy (NF_STOLEN: the server's SYN-ACK, or a client's ACK seen again)";
const SYNPROXY_DROP = "SYNPROXY: dropped by its conntrack hook (a header or options cut short, or a client's ACK seen again without a valid cookie)";

/** Does any rule use connection tracking? */
/** Why a packet the machine sends has no route: the error of its route or rule. */
function outputDropReason(rt: FibResultV4): string {
  return rt.type === RouteType.Blackhole ? StackReason.blackhole : rt.type === RouteType.Prohibit ? StackReason.prohibited : StackReason.noRoute;
}

function isMulticast6(a: InetAddr): boolean {
  return a.w0 >>> 24 === 0xff;
}

function needsConntrack(rs: Ruleset): boolean {
  // A nat table alone does not: through nf_tables its chains register the
  // NAT hooks but not conntrack, which only a NAT target (SNAT, DNAT, ...)
  // or another user below asks for (nf_ct_netns_get). Without conntrack the
  // NAT hooks find no entry and never run the nat chains (nf_nat_inet_fn):
  // their counters stay 0, as recorded from the kernel.
  for (const t of rs.tables.values()) {
    for (const c of t.chains.values()) {
      for (const r of c.rules) {
        if (r.matches.some((m) => CONNTRACK_USERS.has(m.module.name))) return true;
        if (r.target.kind === 'module' && CONNTRACK_USERS.has(r.target.module.name)) return true;
      }
    }
  }
  return false;
}

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;

/** Stack drop reasons, named after the kernel's SKB_DROP_REASON_* where one exists. */
export const StackReason = {
  tooShort: 'PKT_TOO_SMALL',
  badHeader: 'IP_INHDR',
  badChecksum: 'IP_CSUM',
  headerShort: 'IP_INHDR (shorter than its header)',
  truncated: 'PKT_TOO_SMALL (shorter than its total length)',
  invalidSource: 'IP_INVALID_SOURCE (martian source)',
  invalidDest: 'IP_INVALID_DEST (martian destination 0.0.0.0)',
  localnet: 'IP_LOCALNET (loopback address from outside)',
  localSource: "IP_LOCAL_SOURCE (one of the firewall's own addresses as source, from outside: accept_local is 0)",
  invalidSourceRoute: 'IP_INVALID_SOURCE (the route back to the source is not unicast: fib_validate_source)',
  noRoute: 'IP_INNOROUTES',
  blackhole: 'NOT_SPECIFIED (blackhole route or rule)',
  hostUnreachable: 'NOT_SPECIFIED (unreachable route: ICMP host unreachable sent)',
  prohibited: 'NOT_SPECIFIED (prohibit route or rule: ICMP communication administratively prohibited sent)',
  rerouteFailed: 'ip_route_me_harder: no route after mangle OUTPUT changed the mark, addresses or TOS',
  notForUs: 'OTHERHOST (not for this host)',
  ttlExpired: 'IP_INHDR (TTL expired in transit)',
  tooBig: 'PKT_TOO_BIG (DF set, larger than the MTU)',
  hotdrop: 'hotdrop (a match could not read the packet)',
  hotdropTruncated: 'hotdrop (a match needs bytes the capture cut off: snaplen)',
  conntrackFull: 'conntrack: table full, dropping packet',
  conntrackClash: 'conntrack: insert failed (the connection clashes with an existing entry)',
  reasmTimeout: 'FRAG_REASM_TIMEOUT',
  fragPending: 'FRAG_REASM_TIMEOUT (still incomplete when the capture ended)',
  fragOverlap: 'IP_FRAG_OVERLAP (fragment overlap: the datagram is discarded)',
  fragDup: 'DUP_FRAG (a duplicate fragment: the first copy is kept)',
  fragBadEnd: "IP_REASMFAILS (a fragment beyond the datagram's end, or a second end)",
  fragEmpty: 'IP_REASMFAILS (an empty fragment)',
  fragOversize: 'IP_REASMFAILS (reassembled packet too long)',
  fragMemory: 'IP_REASMFAILS (fragment memory limit, ipfrag_high_thresh)',
  fragTooFar: 'FRAG_TOO_FAR (more than ipfrag_max_dist fragments from its source in between)',
  fragEcn: 'IP_REASMFAILS (fragments with and without ECN)',
  multicastNoRoute: 'NOT_SPECIFIED (multicast group not joined)',
  dupTooBig: "PKT_TOO_BIG (TEE's copy is longer than its device's MTU and carries DF)",
  dupLoopedForward: "NOT_SPECIFIED (TEE's copy, looped back over lo, is for another host: its forwarding is not emulated)",
} as const;

/** Why a bridge drops a frame (net/bridge/br_input.c, br_forward.c). */
export const BridgeReason = {
  badSource: 'bridge: source MAC is multicast or zero (br_handle_frame)',
  pause: 'bridge: 802.3x pause frame (01:80:c2:00:00:01)',
  samePort: 'bridge: destination learned on the port the frame came in by (not sent back)',
  noPort: 'bridge: no other port to send the frame to',
} as const;

/** What became of one copy of a frame a bridge sends out of several ports. */
interface CopyFate {
  kind: FateKind;
  unit: number;
  site: DropSite | undefined;
  reason: string | undefined;
  frame: Uint8Array | undefined;
}

export class GuestStack {
  readonly fib: Fib;
  private readonly hooks: CompiledTable[][] = [[], [], [], [], []];
  /** The ip6tables tables on each hook. */
  private readonly hooks6: CompiledTable[][] = [[], [], [], [], []];
  /** The IPv6 path (receive, forward, output) on this stack's shared core. */
  private readonly v6: Ipv6Path;
  private readonly devByUnit: NetDevice[] = [];
  private readonly lo: NetDevice;
  private readonly skb = new Skb();
  private readonly par: XtParams;
  /** Nanoseconds since `clockOriginNs`: the latest time seen (the clock never goes back). */
  private clockNs = 0;
  /** The clock at the first `setClock` (the boot), NaN before it. */
  private bootNs = NaN;
  private readonly originNs: bigint;
  /** Replies the machine made (REJECT's, the stack's ICMP errors), sent in order: each with the mark it leaves with (IP4_REPLY_MARK, IP6_REPLY_MARK). */
  private readonly pendingLocal: Array<PendingCause & { ip: Uint8Array; frameNo: number }> = [];
  /** Connection tracking, when the rule set needs it (the kernel registers its hooks lazily). */
  private readonly ct: Conntrack | null;
  /**
   * Conntrack (and nf_defrag before it) registered for IPv4, for IPv6: the
   * kernel registers each family's hooks only when that family's rules
   * need them (nf_ct_netns_get per family), so IPv4 rules that track
   * leave IPv6 untracked and unreassembled, and the other way round.
   */
  private readonly ct4: boolean;
  private readonly ct6: boolean;
  /** SYNPROXY's conntrack hooks registered for IPv4, for IPv6 (nf_synproxy_ipv4_init, nf_synproxy_ipv6_init). */
  private readonly synproxy4: boolean;
  private readonly synproxy6: boolean;
  /** The hook the packet in hand last went through, and its input device: where confirm stands. */
  private curHook: Hook = Hook.PreRouting;
  private curIn: NetDevice | null = null;
  /** The NAT core, when the rule set has a nat table. */
  private readonly nat: NatCore | null;
  /** IPv4 reassembly (ip_defrag): its queues, bounds and counters. */
  private readonly frags = new Ipv4Defrag({
    drop: (frameNo, why) => this.stackDrop(frameNo, StackReason[why]),
    timeExceeded: (ip, frameNo, mark) => this.pendingLocal.push({ ip, frameNo, ct: null, ctinfo: 0, mark: this.replyMark(ip, mark) }),
    routeType: (daddr) => this.fib.addrTypeV4(daddr),
    routeBackMtu: (saddr) => this.fib.lookupV4(saddr).dev?.mtu ?? 0,
    printk: (level, text) => this.opts.printk(level, text),
  });
  private readonly services: GuestServices;
  /** Frames leave through this buffer (the largest IPv4 packet plus an Ethernet header with VLAN tags). */
  private readonly txBuf = new Uint8Array(30 + 65535);
  /** The bridge each conet unit is a port of; null when the machine declares no bridge. */
  private readonly bridgeOfUnit: Array<Bridge | undefined> | null = null;
  /** The bridges by their device; null when there is none. */
  private readonly bridgeOfDev: Map<NetDevice, Bridge> | null = null;
  /** While a bridge sends one frame out of several ports (and up): what became of each copy. */
  private copies: CopyFate[] | null = null;
  private copiesFrame = 0;
  // The frame a bridge port received, while br_netfilter has its packet in PREROUTING.
  private brBridge: Bridge | null = null;
  private brPort: NetDevice | null = null;
  private brFrame: Uint8Array = new Uint8Array(0);
  /** Its link header: up to the IP header (VLAN tags included). */
  private brL2 = 14;
  /** Not to the bridge's MAC (PACKET_OTHERHOST), HOST while iptables looks at it. */
  private brOtherHost = false;
  /** Its destination before PREROUTING (DNAT detection). */
  private brDaddr = 0;
  private readonly brDst6 = new InetAddr();
  /** transmit's fate details (reused). */
  private readonly txFate: { unit: number; frame: Uint8Array | undefined } = { unit: -1, frame: undefined };
  private readonly fateRec: { -readonly [K in keyof Fate]: Fate[K] } = { kind: FateKind.Delivered, frameNo: 0, unit: -1 };
  /** `cofw trace`'s events for the frames it names (trace-events.ts). */
  private readonly events = new TraceEvents((level, text) => this.opts.printk(level, text));

  constructor(
    private readonly opts: StackOptions,
    readonly ruleset: Ruleset,
    /** The ip6tables rule set, when one was loaded (IPv6 passes unfiltered otherwise, as with empty tables). */
    readonly ruleset6: Ruleset | null = null,
  ) {
    this.fib = new Fib(opts.spec);
    this.policyRouting = this.fib.policy4 !== null || this.fib.v6.policy !== null;
    this.acceptLocal = opts.spec.sysctl?.acceptLocal ?? false;
    this.fwmarkReflect4 = opts.spec.sysctl?.fwmarkReflect4 ?? false;
    this.fwmarkReflect6 = opts.spec.sysctl?.fwmarkReflect6 ?? false;
    this.machineCpu = this.cpu = opts.spec.cpu ?? 0;
    const cts = opts.spec.conntrack;
    this.originNs = opts.clockOriginNs ?? 0n;
    this.ct4 = needsConntrack(ruleset);
    this.ct6 = ruleset6 !== null && needsConntrack(ruleset6);
    this.synproxy4 = usesSynproxy(ruleset);
    this.synproxy6 = ruleset6 !== null && usesSynproxy(ruleset6);
    this.ct =
      this.ct4 || this.ct6
        ? new Conntrack({
            ...(cts?.max !== undefined ? { max: cts.max } : {}),
            ...(cts?.tcpLoose !== undefined ? { tcpLoose: cts.tcpLoose } : {}),
            ...(cts?.tcpBeLiberal !== undefined ? { tcpBeLiberal: cts.tcpBeLiberal } : {}),
            ...(opts.spec.sysctl?.conntrackAcct !== undefined ? { acct: opts.spec.sysctl.conntrackAcct } : {}),
            ...(cts?.checksum !== undefined ? { checksum: cts.checksum } : {}),
            ...(cts?.tcpMaxRetrans !== undefined ? { tcpMaxRetrans: cts.tcpMaxRetrans } : {}),
            ...(cts?.tcpIgnoreInvalidRst !== undefined ? { tcpIgnoreInvalidRst: cts.tcpIgnoreInvalidRst } : {}),
            ...(cts?.tcpTimeouts ? { tcpTimeouts: cts.tcpTimeouts } : {}),
            ...(cts?.timeouts ? { timeouts: cts.timeouts } : {}),
            ...(opts.spec.modules ? { modules: opts.spec.modules } : {}),
            ...(opts.spec.cttimeout ? { timeoutPolicies: opts.spec.cttimeout } : {}),
            clockOriginNs: this.originNs,
          })
        : null;
    // Loading a nat table registers the NAT hooks (and conntrack with them).
    this.nat = this.ct && (ruleset.tables.has('nat') || ruleset6?.tables.has('nat')) ? new NatCore(this.ct) : null;
    if (this.ct) {
      this.ct.broadcastMask = (skb) => this.broadcastMask(skb);
      this.ct.routesAlike = (a, b) => this.routesAlike(a, b);
      this.ct.routesBy = (skb, a) => this.routesBy(skb, a);
    }
    for (const d of opts.spec.devices) if (d.unit >= 0) this.devByUnit[d.unit] = d;
    const bridges = opts.spec.devices.filter((d) => d.bridge);
    if (bridges.length) {
      this.bridgeOfUnit = [];
      this.bridgeOfDev = new Map();
      for (const b of bridges) {
        const ports = b.bridge!.ports.map((n) => opts.spec.devices.find((d) => d.name === n && d.unit >= 0)).filter((d): d is NetDevice => !!d);
        const br = new Bridge(b, b.bridge!, ports);
        this.bridgeOfDev.set(b, br);
        for (const p of ports) this.bridgeOfUnit[p.unit] = br;
      }
    }
    this.lo = opts.spec.devices.find((d) => d.name === 'lo') ?? opts.spec.devices[0]!;
    for (const [rs, hooks] of [
      [ruleset, this.hooks],
      [ruleset6, this.hooks6],
    ] as const) {
      if (!rs) continue;
      for (const t of rs.tables.values()) {
        const ct = new CompiledTable(t, rs.family);
        const prio = TABLE_PRIORITY[t.name] ?? {};
        for (let h = 0; h < 5; h++) if (prio[h as Hook] !== undefined && ct.hasHook(h as Hook)) hooks[h]!.push(ct);
      }
      for (let h = 0; h < 5; h++) hooks[h]!.sort((a, b) => TABLE_PRIORITY[a.name]![h as Hook]! - TABLE_PRIORITY[b.name]![h as Hook]!);
    }
    const fib = this.fib;
    const self = this;
    this.services = {
      jiffies: () => self.jiffies(),
      ctJiffies: () => (self.ct ? self.ct.jiffiesAt(self.clockNs) : self.jiffies()),
      nowNs: () => (self.bootNs === self.bootNs ? self.clockNs - self.bootNs : 0),
      wallNs: () => self.originNs + BigInt(self.clockNs),
      tzMinutesWest: () => 0,
      socketOf: socketLookup(opts.spec, (a) => fib.isLocal(a)),
      queueVerdict: queueVerdicts(opts.spec),
      addrType: (addr, dev) => (dev ? fib.addrTypeOnV4(addr, dev) : fib.addrTypeV4(addr)),
      addrType6: (addr, dev) => fib.v6.routeType(addr, dev),
      reverseRoute: (addr, oif, strictIface, mark = 0, saddr = null) =>
        addr.family === Family.V6 ? fib.v6.reverseLookup(addr, oif, strictIface, mark, saddr) : fib.fibLookupV4(addr.w0, mark, saddr ? saddr.w0 : 0),
      printk: (level, text) => opts.printk(level, text),
      forceConntrackAcct: () => {
        if (self.ct === null || self.ct.acct) return false;
        self.ct.acct = true;
        return true;
      },
      useConnlabels: () => {
        if (self.ct !== null) self.ct.labelsUsed++;
      },
      sendLocal: (ip, cause) =>
        self.pendingLocal.push({ ip, frameNo: cause.frameNo, ct: cause.ct, ctinfo: cause.ctinfo, mark: self.replyMark(ip, cause.mark) }),
      sendProxied: (ip, cause, ct, ctinfo, how) =>
        self.pendingLocal.push({
          ip,
          frameNo: cause.frameNo,
          ct,
          ctinfo,
          mark: 0,
          set: true,
          ...(how?.template ? { template: true } : {}),
          ...(how?.after ? { after: how.after } : {}),
        }),
      selectSource: (daddr) => fib.selectSourceV4(fib.lookupV4(daddr).dev, daddr),
      routeOutput: (daddr, mark = 0) => (fib.policy4 === null ? fib.lookupV4(daddr) : fib.outputV4(daddr, 0, self.replyMark4(mark))).dev,
      route: (daddr) => fib.lookup(daddr),
      routeOutput6: (daddr, saddr, mark, proto, sport, dport) => fib.v6.output(daddr, saddr, self.fwmarkReflect6 ? mark : 0, proto, sport, dport),
      sourceAddress: (dev, daddr) => fib.selectSource(dev, daddr) ?? null,
      duplicate: (hook, gw, oif) => self.duplicate(hook, gw, oif),
      nat: this.nat
        ? {
            setup: (conn, range, manip) => self.nat!.setup(conn, range, manip),
            masqueradeSource: (out, daddr) => {
              // inet_select_addr(out, nexthop, universe): an address of `out` on the next hop's subnet, else its first.
              if (!out.addrs.some((a) => a.addr.family === daddr.family)) return null;
              // IPv6: ipv6_dev_get_saddr towards the destination itself.
              if (daddr.family === Family.V6) return fib.selectSource(out, daddr) ?? null;
              const rt = fib.lookup(daddr);
              const nh = rt.gateway.isZero() ? daddr : rt.gateway;
              return fib.selectSource(out, nh) ?? null;
            },
            primaryAddress: (dev, family) => dev.addrs.find((a) => a.addr.family === family)?.addr ?? null,
          }
        : null,
    };
    this.par = { hook: Hook.PreRouting, table: '', inDev: null, outDev: null, hotdrop: false, services: this.services };
    // The rules' per-namespace state (recent lists), made as the kernel loads them: iptables-restore, then ip6tables-restore.
    attachRuleset(ruleset, this.services);
    if (ruleset6) attachRuleset(ruleset6, this.services);
    const core: StackCore = {
      skb: this.skb,
      fib: this.fib,
      lo: this.lo,
      tracking: this.ct6,
      clock: () => self.clockNs,
      rerouted: (clear) => {
        const r = self.rerouted;
        if (clear) self.rerouted = false;
        return r;
      },
      hook: (hook, inDev, outDev, frameNo, generated) => self.hook(hook, inDev, outDev, frameNo, generated),
      confirm: (frameNo, generated) => self.confirm(frameNo, generated),
      resetCt: () => resetCt(self.skb),
      stackDrop: (frameNo, reason) => self.stackDrop(frameNo, reason),
      delivered: (frameNo, unit) => self.fate(FateKind.Delivered, frameNo, unit === undefined ? {} : { unit }),
      transmit: (kind, dev, frameNo) => self.transmit(kind, dev, frameNo),
      asWhole: (frames, last, go) => self.asWhole({ frames, last }, go),
      sendIcmp6: (ip, frameNo, related, mark) =>
        self.pendingLocal.push({ ip, frameNo, ct: related ? self.skb.ct : null, ctinfo: related ? self.skb.ctinfo : 0, mark: self.replyMark(ip, mark) }),
      transmitPieces: (kind, dev, frameNo, pieces) => self.transmitPieces(kind, dev, frameNo, pieces),
      ...(this.bridgeOfDev
        ? {
            bridgeIn: () => self.brDst6.copyFrom(self.skb.dst),
            bridgeOn: (frameNo: number) => self.brAfterPrerouting(frameNo),
          }
        : {}),
    };
    this.v6 = new Ipv6Path(core);
  }

  /** Jiffies at HZ=250 since boot (the first packet). */
  jiffies(): number {
    if (this.bootNs !== this.bootNs) return 0;
    return jiffiesOfNs(this.clockNs - this.bootNs);
  }

  /**
   * Sets the virtual clock to the time of the next packet: nanoseconds
   * since `clockOriginNs`, exact below 2^53 (104 days). The first call is
   * the boot; an earlier time than the latest leaves the clock where it is.
   */
  setClock(tsNs: number): void {
    if (this.bootNs !== this.bootNs) {
      this.bootNs = tsNs;
      this.clockNs = tsNs;
    } else if (tsNs > this.clockNs) this.clockNs = tsNs;
    this.nat?.setClock(this.clockNs);
    // Timers (reassembly's ICMP errors) run on the machine's CPU.
    this.cpu = this.machineCpu;
    // ip_expire: its ICMP errors leave before the next frame.
    if (this.frags.expire(this.clockNs)) this.drainLocal();
    this.v6.expire(this.clockNs);
    this.drainLocal();
  }

  /**
   * A frame arriving on conet unit `unit`. `truncated`: the capture cut it
   * short (snaplen); it is handled as the packet its IP header describes,
   * counted at its full length, and a match that needs the missing bytes
   * drops it as a match drops a short packet (hotdrop).
   */
  receive(unit: number, frame: Uint8Array, frameNo: number, truncated = false): void {
    const dev = this.devByUnit[unit];
    this.cpu = dev?.cpu ?? this.machineCpu;
    if (!dev) {
      this.fate(FateKind.DroppedByStack, frameNo, { reason: `no device for conet unit ${unit}` });
      return;
    }
    if (this.bridgeOfUnit !== null) {
      const br = this.bridgeOfUnit[unit];
      if (br) {
        this.bridgeRx(br, dev, frame, frameNo, truncated);
        this.drainLocal();
        this.frameDone();
        return;
      }
    }
    this.receiveOn(dev, frame, frameNo, truncated);
    this.frameDone();
  }

  /**
   * The frame's packets are gone (dropped, delivered or sent), and the
   * replies they caused too: conntrack frees an entry one of them opened
   * and never confirmed (see Conntrack.release). Replies still waiting
   * (pendingLocal) carry their cause's entry: then nothing is freed.
   */
  private frameDone(): void {
    if (this.ct !== null && this.pendingLocal.length === 0) this.ct.release();
  }

  /**
   * `receive` of the frame in buf[start, end) (a page message), without a
   * view of the frame: a plain Ethernet IPv4 frame on an interface that is
   * not a bridge port goes to ip_rcv with only its IP packet viewed; every
   * other frame takes `receive` with a view.
   */
  receiveAt(unit: number, buf: Uint8Array, start: number, end: number, frameNo: number, truncated = false): void {
    const dev = this.devByUnit[unit];
    this.cpu = dev?.cpu ?? this.machineCpu;
    if (!dev || end - start < 14 || buf[start + 12] !== 0x08 || buf[start + 13] !== 0x00 || (this.bridgeOfUnit !== null && this.bridgeOfUnit[unit])) {
      this.receive(unit, buf.subarray(start, end), frameNo, truncated);
      return;
    }
    let pktType = PacketType.Host;
    if (buf[start]! & 1) {
      pktType = PacketType.Broadcast;
      for (let i = start; i < start + 6; i++) if (buf[i] !== 0xff) pktType = PacketType.Multicast;
    }
    this.ipRcv(buf, start + 14, end, dev, start, 14, pktType, frameNo, truncated);
    this.drainLocal();
    this.frameDone();
  }

  /** A frame received on `dev` (an interface, or a bridge passing it up), for the IP stack. */
  private receiveOn(dev: NetDevice, frame: Uint8Array, frameNo: number, truncated: boolean): void {
    let off = 12;
    let etype = frame.length >= 14 ? (frame[12]! << 8) | frame[13]! : -1;
    // 802.1Q: the tag is stripped, the packet handled as received on the unit.
    while ((etype === 0x8100 || etype === 0x88a8) && frame.length >= off + 6) {
      off += 4;
      etype = (frame[off]! << 8) | frame[off + 1]!;
    }
    if (etype < 0) {
      this.fate(FateKind.DroppedByStack, frameNo, { reason: StackReason.tooShort });
      return;
    }
    const macEnd = off + 2;
    if (etype === ETH_P_PPP_SES || etype === ETH_P_PPP_DISC) {
      // PPPoE: a session frame's IP packet is handled as received on this interface.
      const inner = etype === ETH_P_PPP_SES ? pppoeSessionEthertype(frame, off + 2) : 0;
      if (!inner) {
        this.fate(FateKind.Bridged, frameNo, { reason: pppoeText(frame, etype, off + 2) });
        return;
      }
      etype = inner;
      off += PPPOE_SES_HLEN;
    }
    if (etype !== ETH_P_IP && etype !== ETH_P_IPV6) {
      this.fate(FateKind.Bridged, frameNo, {
        reason: etype === 0x0806 ? 'ARP (not filtered by iptables)' : `ethertype 0x${etype.toString(16).padStart(4, '0')}`,
      });
      return;
    }
    const pktType = frame[0]! & 1 ? (frame.subarray(0, 6).every((b) => b === 0xff) ? PacketType.Broadcast : PacketType.Multicast) : PacketType.Host;
    if (etype === ETH_P_IPV6) {
      const mac = frame.subarray(0, macEnd);
      const ip = frame.subarray(off + 2);
      const bad = this.v6.validate(ip, dev, truncated);
      if (bad) this.stackDrop(frameNo, bad);
      else this.v6.receive(ip.subarray(0, 40 + ((ip[4]! << 8) | ip[5]!)), dev, mac, pktType, frameNo);
      this.drainLocal();
      return;
    }
    this.ipRcv(frame, off + 2, frame.length, dev, 0, macEnd, pktType, frameNo, truncated);
    this.drainLocal();
  }

  // -- bridge (net/bridge, br_netfilter) ---------------------------------------

  /**
   * br_handle_frame: a frame received by a bridge port. IPv4 and IPv6 (one
   * 802.1Q tag at most, and only with bridge-nf-filter-vlan-tagged) go
   * through br_netfilter when its sysctl for their family is on; the rest
   * is bridged (or passed up) as it is, unseen by iptables.
   */
  private bridgeRx(br: Bridge, port: NetDevice, frame: Uint8Array, frameNo: number, truncated: boolean): void {
    if (frame.length < 14) return this.stackDrop(frameNo, StackReason.tooShort);
    if (frame[6]! & 1 || (frame[6]! | frame[7]! | frame[8]! | frame[9]! | frame[10]! | frame[11]!) === 0)
      return this.stackDrop(frameNo, BridgeReason.badSource);
    if (frame[0] === 0x01 && frame[1] === 0x80 && frame[2] === 0xc2 && frame[3] === 0 && frame[4] === 0 && (frame[5]! & 0xf0) === 0) {
      // The 802.1D link-local group: with STP off a BPDU (…:00) is bridged like any frame, pause frames are
      // dropped, the rest go to the port's own stack (never bridged, never to iptables).
      const x = frame[5]!;
      if (x === 1) return this.stackDrop(frameNo, BridgeReason.pause);
      if (x !== 0)
        return this.fate(FateKind.Bridged, frameNo, {
          reason: `link-local 01:80:c2:00:00:${x.toString(16).padStart(2, '0')} (to ${port.name} itself, never bridged)`,
        });
    }
    let off = 12;
    let etype = (frame[12]! << 8) | frame[13]!;
    let tags = 0;
    while ((etype === 0x8100 || etype === 0x88a8) && frame.length >= off + 6) {
      off += 4;
      etype = (frame[off]! << 8) | frame[off + 1]!;
      tags++;
    }
    const ipOff = off + 2;
    const cfg = br.cfg;
    const filtered = tags === 0 || (tags === 1 && cfg.filterVlanTagged);
    if (etype === ETH_P_IP && frame.length >= ipOff + 20)
      br.learnNeigh4(((frame[ipOff + 12]! << 24) | (frame[ipOff + 13]! << 16) | (frame[ipOff + 14]! << 8) | frame[ipOff + 15]!) >>> 0, frame);
    else if (etype === ETH_P_IPV6 && frame.length >= ipOff + 40) br.learnNeigh6(new InetAddr().readV6(frame, ipOff + 8).toString(), frame);
    this.brBridge = br;
    this.brPort = port;
    this.brFrame = frame;
    this.brL2 = ipOff;
    this.brOtherHost = !(frame[0]! & 1) && !br.isOwn(frame, 0);
    const pktType = frame[0]! & 1 ? (frame.subarray(0, 6).every((b) => b === 0xff) ? PacketType.Broadcast : PacketType.Multicast) : PacketType.Host;
    const mac = frame.subarray(0, ipOff);
    if (etype === ETH_P_IP && cfg.callIptables && filtered) {
      // br_nf_pre_routing: br_validate_ipv4, then PREROUTING with IN=the bridge.
      const ipIn = frame.subarray(ipOff);
      const bad = this.validate(ipIn, truncated, 0);
      if (bad) return this.stackDrop(frameNo, bad);
      const ip = ipIn.subarray(0, (ipIn[2]! << 8) | ipIn[3]!);
      const skb = this.skb.load(ip).begin(mac, pktType, frameNo);
      skb.physIn = port;
      if (port.gro) markGro(skb, port);
      if (this.ct4 && (skb.fragoff !== 0 || ip[6]! & 0x20)) {
        const r = this.frags.add(skb, DefragUser.ConntrackIn, frameNo, this.clockNs);
        if (r)
          this.asWhole(r, () => {
            loadReassembled(this.skb, r).physIn = port;
            this.brPrerouting(frameNo);
          });
        return;
      }
      return this.brPrerouting(frameNo);
    }
    if (etype === ETH_P_IPV6 && cfg.callIp6tables && filtered) {
      const ip = frame.subarray(ipOff);
      const bad = this.v6.validate(ip, port, truncated);
      if (bad) return this.stackDrop(frameNo, bad);
      return this.v6.receive(ip.subarray(0, 40 + ((ip[4]! << 8) | ip[5]!)), br.dev, mac, pktType, frameNo, port);
    }
    // Not for iptables: learned, then bridged or passed up as it is.
    br.learn(frame, port, this.clockNs);
    const d = br.decide(frame, port, this.clockNs);
    const ip = etype === ETH_P_IP || etype === ETH_P_IPV6;
    if (d === L2.SamePort) return this.stackDrop(frameNo, BridgeReason.samePort);
    // Passed up to the bridge device: the IP stack runs it from PREROUTING on (no nf_bridge_info, so no physdev);
    // to a port's MAC it is another host's packet, which ip_rcv drops.
    if (d === L2.LocalOther && ip) return this.stackDrop(frameNo, StackReason.notForUs);
    if (d === L2.Local || d === L2.LocalOther) return this.receiveOn(br.dev, frame, frameNo, truncated);
    if (!ip) {
      // Its own fate says it was bridged; every copy that leaves is a copy.
      this.fate(FateKind.Bridged, frameNo, {
        reason: etype === 0x0806 ? 'ARP (not filtered by iptables)' : `ethertype 0x${etype.toString(16).padStart(4, '0')}`,
      });
      if (d === L2.Forward) this.fate(FateKind.Copy, frameNo, { unit: br.port!.unit, frame });
      else for (const p of br.floodOrder) if (p !== port) this.fate(FateKind.Copy, frameNo, { unit: p.unit, frame });
      return;
    }
    // IP the bridge's sysctl keeps from iptables: forwarded as it came, or flooded (and passed up to the bridge's own stack).
    if (d === L2.Forward) return this.fate(FateKind.Forwarded, frameNo, { unit: br.port!.unit, frame });
    this.gatherCopies(frameNo, () => {
      for (const p of br.floodOrder) if (p !== port) this.fate(FateKind.Forwarded, frameNo, { unit: p.unit, frame });
      if (d === L2.FloodLocal) this.receiveOn(br.dev, frame, frameNo, truncated);
    });
  }

  /** br_nf_pre_routing: the IPv4 packet of a frame a port received crosses PREROUTING as the bridge's. */
  private brPrerouting(frameNo: number): void {
    const skb = this.skb;
    resetCt(skb);
    if (this.brOtherHost) skb.pktType = PacketType.Host;
    this.brDaddr = skb.daddr;
    if (!this.hook(Hook.PreRouting, this.brBridge!.dev, null, frameNo)) return;
    this.brAfterPrerouting(frameNo);
  }

  /**
   * br_nf_pre_routing_finish and br_handle_frame_finish: after PREROUTING,
   * a packet whose destination DNAT moved off the bridge's segment is
   * passed up to be routed; otherwise the bridge learns the source MAC and
   * decides on the destination MAC.
   */
  private brAfterPrerouting(frameNo: number): void {
    const br = this.brBridge!;
    const port = this.brPort!;
    const frame = this.brFrame;
    const skb = this.skb;
    const now = this.clockNs;
    if (this.brOtherHost) skb.pktType = PacketType.OtherHost;
    const moved = skb.family === Family.V6 ? !skb.dst.equals(this.brDst6) : skb.daddr !== this.brDaddr;
    let d: L2 | -1 = -1;
    if (moved) {
      const rt = this.fib.lookup(skb.dst);
      if (rt.dev !== br.dev) {
        // Routed: the destination MAC becomes the bridge's and the packet goes up to be routed.
        skb.pktType = PacketType.Host;
        d = L2.Local;
      } else {
        // Still on the bridge's segment: to the new destination's MAC, when the bridge has seen it.
        const m = skb.family === Family.V6 ? br.neighbour6(skb.dst.toString()) : br.neighbour4(skb.daddr);
        if (m) frame.set(m, 0);
      }
    }
    br.learn(frame, port, now);
    if (d === -1) d = br.decide(frame, port, now);
    switch (d) {
      case L2.Local:
        return this.brUp(br, frameNo);
      case L2.LocalOther:
        // Passed up as another host's packet: ip_rcv drops it.
        return this.stackDrop(frameNo, StackReason.notForUs);
      case L2.SamePort:
        return this.stackDrop(frameNo, BridgeReason.samePort);
      case L2.Forward:
        return this.brForward(br, br.port!, frameNo);
      default: {
        const local = d === L2.FloodLocal;
        let n = 0;
        for (const p of br.floodOrder) if (p !== port) n++;
        if (n === 0 && !local) return this.stackDrop(frameNo, BridgeReason.noPort);
        if (n === 1 && !local) {
          for (const p of br.floodOrder) if (p !== port) this.brForward(br, p, frameNo);
          return;
        }
        // Each copy starts from the packet as PREROUTING left it (its own clone in the kernel).
        const len = skb.len;
        const saved = skb.data.slice(0, len);
        const mark = skb.mark;
        const priority = skb.priority;
        const queueMapping = skb.queueMapping;
        const pktType = skb.pktType;
        const nftrace = skb.nftrace;
        const data = skb.data;
        const restore = (): void => {
          data.set(saved, 0);
          if (skb.family === Family.V6) skb.loadV6(data);
          else skb.load(data);
          skb.mark = mark;
          skb.priority = priority;
          skb.queueMapping = queueMapping;
          skb.pktType = pktType;
          skb.nftrace = nftrace;
          skb.physIn = port;
          skb.physOut = null;
        };
        this.gatherCopies(frameNo, () => {
          let first = true;
          const events = this.opts.trace?.(frameNo) ? this.events : null;
          for (const p of br.floodOrder) {
            if (p === port) continue;
            if (!first) restore();
            first = false;
            events?.emit({ e: 'copy', f: frameNo, port: p.name });
            this.brForward(br, p, frameNo);
          }
          if (local) {
            if (!first) restore();
            events?.emit({ e: 'copy', f: frameNo, port: null });
            this.brUp(br, frameNo);
          }
        });
      }
    }
  }

  /** br_pass_frame_up for a packet br_netfilter saw: its PREROUTING is done (ip_sabotage_in), so it is routed at once. */
  private brUp(br: Bridge, frameNo: number): void {
    const skb = this.skb;
    // br_nf_local_in: a broadcast or multicast packet's entry is confirmed before it goes up.
    if (skb.pktType !== PacketType.Host && !this.confirm(frameNo)) return;
    if (skb.family === Family.V6) this.v6.routeBridged(br.dev, frameNo);
    else this.routeInput(skb, br.dev, frameNo);
  }

  /** br_nf_forward_ip and br_nf_post_routing: one copy leaving by `out`, through FORWARD and POSTROUTING as the bridge's. */
  private brForward(br: Bridge, out: NetDevice, frameNo: number): void {
    const skb = this.skb;
    skb.physOut = out;
    const other = skb.pktType === PacketType.OtherHost;
    if (other) skb.pktType = PacketType.Host;
    if (!this.hook(Hook.Forward, br.dev, br.dev, frameNo)) return;
    if (!this.hook(Hook.PostRouting, null, br.dev, frameNo)) return;
    if (!this.confirm(frameNo)) return;
    if (other) skb.pktType = PacketType.OtherHost;
    // The frame leaves with the link header it came with (source MAC and tags kept).
    const hl = this.brL2;
    const len = skb.len;
    const frame = this.txBuf.subarray(0, hl + len);
    frame.set(this.brFrame.subarray(0, hl), 0);
    frame.set(skb.data.subarray(0, len), hl);
    this.fate(FateKind.Forwarded, frameNo, { unit: out.unit, frame });
  }

  /**
   * br_dev_xmit: a packet the stack routes (or sends) out of a bridge
   * leaves by the port the destination MAC was learned on, or by every port
   * when it is unknown, broadcast or multicast. The destination MAC is the
   * next hop's as the ports saw it (cofw has no ARP), else the original
   * frame's. No iptables hook runs on the way (br_netfilter has no
   * LOCAL_OUT hook, and POSTROUTING ran in the IP stack).
   */
  private brEgress(br: Bridge, kind: FateKind, frameNo: number): void {
    const skb = this.skb;
    const len = skb.len;
    const frame = this.txBuf.subarray(0, 14 + len);
    const rt = this.fib.lookup(skb.dst);
    const hop = rt.gateway && !rt.gateway.isZero() ? rt.gateway : skb.dst;
    const m = hop.family === Family.V6 ? br.neighbour6(hop.toString()) : br.neighbour4(hop.w0);
    if (m) frame.set(m, 0);
    else if (skb.mac) frame.set(skb.mac.subarray(0, 6), 0);
    else frame.fill(0xff, 0, 6);
    frame.set(br.dev.mac, 6);
    frame[12] = skb.family === Family.V6 ? 0x86 : 0x08;
    frame[13] = skb.family === Family.V6 ? 0xdd : 0x00;
    frame.set(skb.data.subarray(0, len), 14);
    const d = br.decide(frame, null, this.clockNs);
    if (d === L2.Forward) return this.fate(kind, frameNo, { unit: br.port!.unit, frame });
    // Flooded: nothing filters the copies, so the first is the packet's fate and the others are copies.
    let first = true;
    for (const p of br.floodOrder) {
      this.fate(first ? kind : FateKind.Copy, frameNo, { unit: p.unit, frame });
      first = false;
    }
  }

  /**
   * Runs `go`, which sends one frame out of several ports (and maybe up to
   * the stack), gathering what became of each copy; then gives the frame
   * its one fate: the first copy that got through (or was delivered), else
   * the first drop; each further copy that left is a Copy.
   */
  private gatherCopies(frameNo: number, go: () => void): void {
    const list: CopyFate[] = [];
    this.copies = list;
    this.copiesFrame = frameNo;
    try {
      go();
    } finally {
      this.copies = null;
    }
    if (this.opts.trace?.(frameNo)) this.events.emit({ e: 'copies', f: frameNo, n: list.length });
    const own = list.find((c) => PASSING[c.kind]) ?? list.find((c) => c.kind === FateKind.Bridged) ?? list.find((c) => c.kind !== FateKind.Copy);
    if (!own) {
      this.fate(FateKind.DroppedByStack, frameNo, { reason: BridgeReason.noPort });
      for (const c of list) if (c.frame && c.unit >= 0) this.fate(FateKind.Copy, frameNo, { unit: c.unit, frame: c.frame });
      return;
    }
    this.fate(own.kind, frameNo, {
      unit: own.unit,
      ...(own.site ? { site: own.site } : {}),
      ...(own.reason ? { reason: own.reason } : {}),
      ...(own.frame ? { frame: own.frame } : {}),
    });
    for (const c of list) if (c !== own && c.frame && c.unit >= 0) this.fate(FateKind.Copy, frameNo, { unit: c.unit, frame: c.frame });
  }

  /** A locally generated packet (its source is a guest address), as an Ethernet frame. */
  output(frame: Uint8Array, frameNo: number, truncated = false): void {
    this.cpu = this.machineCpu;
    const etype = frame.length >= 14 ? (frame[12]! << 8) | frame[13]! : -1;
    if (etype === ETH_P_IPV6) {
      const ip = frame.subarray(14);
      const bad = this.v6.validate(ip, this.lo, truncated);
      if (bad) this.stackDrop(frameNo, bad);
      else this.v6.output(ip.subarray(0, 40 + ((ip[4]! << 8) | ip[5]!)), frameNo);
      this.drainLocal();
      this.frameDone();
      return;
    }
    if (etype !== ETH_P_IP) {
      this.fate(FateKind.Bridged, frameNo, { reason: 'neither IPv4 nor IPv6' });
      return;
    }
    // The frame is the guest's to change (a view into the consumed page message).
    const bad = this.validate(frame, truncated, 14);
    if (bad) {
      this.fate(FateKind.DroppedByStack, frameNo, { reason: bad });
      return;
    }
    const pkt = frame.subarray(14, 14 + ((frame[16]! << 8) | frame[17]!));
    if (this.ct4 && (pkt[6]! & 0x3f || pkt[7]!)) {
      // With conntrack, nf_defrag_ipv4 reassembles on OUTPUT too, at -400.
      const s = this.skb.load(pkt);
      s.mac = null;
      s.pktType = PacketType.Host;
      s.mark = 0;
      s.priority = 0;
      s.queueMapping = 0;
      s.nftrace = false;
      const r = this.frags.add(s, DefragUser.ConntrackOut, frameNo, this.clockNs);
      if (r) this.localOutWhole(r, frameNo);
    } else this.localOut(pkt, frameNo, false);
    this.drainLocal();
    this.frameDone();
  }

  /** Ends the run: fragments still waiting for reassembly are dropped. */
  finish(): void {
    this.frags.flush();
    this.v6.finish();
  }

  // -- receive path ---------------------------------------------------------

  /**
   * ip_rcv_core's checks on the packet at `at` of `b` (the rest of `b`); returns a drop reason or undefined.
   * All count IpInHdrErrors but a total length beyond the packet (IpExtInTruncatedPkts); a bad checksum
   * also counts IpExtInCsumErrors.
   */
  private validate(b: Uint8Array, truncated: boolean, at: number, end = b.length): string | undefined {
    const avail = end - at;
    if (avail < 20) return StackReason.headerShort;
    const ihl = (b[at]! & 0x0f) * 4;
    if (b[at]! >> 4 !== 4 || ihl < 20) return StackReason.badHeader;
    if (avail < ihl) return StackReason.headerShort;
    if (inetChecksum(b, at, ihl) !== 0) return StackReason.badChecksum;
    const tot = (b[at + 2]! << 8) | b[at + 3]!;
    if (tot > avail && !truncated) return StackReason.truncated;
    if (tot < ihl) return StackReason.badHeader;
    return undefined;
  }

  /** The IPv4 packet at `at` of `frame` (the rest of the frame, possibly padded). */
  /** ip_rcv: the IPv4 packet in frame[at, end), whose link-layer header is the `macLen` bytes at `macAt`. */
  private ipRcv(
    frame: Uint8Array,
    at: number,
    end: number,
    dev: NetDevice,
    macAt: number,
    macLen: number,
    pktType: PacketType,
    frameNo: number,
    truncated: boolean,
  ): void {
    const bad = this.validate(frame, truncated, at, end);
    if (bad) {
      this.fate(FateKind.DroppedByStack, frameNo, { reason: bad });
      return;
    }
    // Link-layer padding trimmed; targets rewrite the packet in place (the
    // frame is a view into a page message the guest has consumed).
    const ip = frame.subarray(at, Math.min(at + ((frame[at + 2]! << 8) | frame[at + 3]!), end));
    const skb = this.skb.load(ip).begin(null, pktType, frameNo).lazyMac(frame, macLen, macAt);
    if (dev.gro) markGro(skb, dev);
    if (this.ct4 && (skb.fragoff !== 0 || ip[6]! & 0x20)) {
      // With conntrack, nf_defrag_ipv4 reassembles at -400, before everything.
      const r = this.frags.add(skb, DefragUser.ConntrackIn, frameNo, this.clockNs);
      if (r) this.preroutingWhole(r, dev, frameNo);
      return;
    }
    this.prerouting(skb, dev, frameNo);
  }

  private prerouting(skb: Skb, dev: NetDevice, frameNo: number): void {
    resetCt(skb);
    if (!this.hook(Hook.PreRouting, dev, null, frameNo)) return;
    this.routeInput(skb, dev, frameNo);
  }

  private routeInput(skb: Skb, dev: NetDevice, frameNo: number): void {
    const { saddr, daddr } = skb;
    // A packet looped back over lo keeps the route it left with: none of these checks apply.
    const outside = dev !== this.lo;
    if (daddr >>> 28 === 0xe) {
      // ip_route_input_rcu: only groups the host has joined are received (all-hosts 224.0.0.1), then
      // ip_route_input_mc checks the source: 0.0.0.0 only to 224.0.0.0/24 or for IGMP.
      if (daddr !== 0xe0000001) return this.stackDrop(frameNo, StackReason.multicastNoRoute);
      if (saddr >>> 28 === 0xe || saddr === 0xffffffff) return this.stackDrop(frameNo, StackReason.invalidSource);
      if (outside && saddr >>> 24 === 127) return this.stackDrop(frameNo, StackReason.localnet);
      if (saddr === 0 && daddr >>> 8 !== 0xe00000 && skb.protocol !== 2) return this.stackDrop(frameNo, StackReason.invalidSource);
      if (this.fib.realms && outside && saddr !== 0) {
        // ip_mc_validate_source: the source's realms are the route's (tclassid = itag).
        const bad = this.sourceRealms(skb, 0, null);
        if (bad) return this.stackDrop(frameNo, bad);
      }
      return this.localDeliver(skb, dev, frameNo);
    }
    // ip_route_input_slow, in its order. Of 0.0.0.0/8 only 0.0.0.0 itself is a martian (ipv4_is_zeronet).
    if (saddr >>> 28 === 0xe || saddr === 0xffffffff) return this.stackDrop(frameNo, StackReason.invalidSource);
    if (daddr === 0xffffffff || (saddr === 0 && daddr === 0)) {
      const bad = saddr !== 0 && outside ? (this.fib.realms ? this.sourceRealms(skb, 0, null) : this.validateSource(skb, 0, null)) : undefined;
      return bad ? this.stackDrop(frameNo, bad) : this.localDeliver(skb, dev, frameNo);
    }
    if (saddr === 0) return this.stackDrop(frameNo, StackReason.invalidSource);
    if (daddr === 0) return this.stackDrop(frameNo, StackReason.invalidDest);
    if (outside && (daddr >>> 24 === 127 || saddr >>> 24 === 127)) return this.stackDrop(frameNo, StackReason.localnet);
    const rt =
      this.fib.policy4 === null ? this.fib.lookupV4(daddr) : this.fib.inputV4(daddr, saddr, skb.mark, dev, skb.protocol, flowPort(skb, 0), flowPort(skb, 2));
    const routed = rt.type === RouteType.Local || rt.type === RouteType.Broadcast || (rt.type === RouteType.Unicast && rt.dev !== null);
    if (routed && outside && this.fib.realms) {
      const bad = this.sourceRealms(skb, rt.type === RouteType.Broadcast ? 0 : daddr, rt.type === RouteType.Unicast ? rt.dev : null);
      if (bad) return this.stackDrop(frameNo, bad);
      if (rt.type === RouteType.Unicast) skb.tclassid = this.forwardRealms(rt, skb.tclassid);
    } else if (routed && outside && !this.acceptLocal) {
      const bad = this.validateSource(skb, rt.type === RouteType.Broadcast ? 0 : daddr, rt.type === RouteType.Unicast ? rt.dev : null);
      if (bad) return this.stackDrop(frameNo, bad);
    }
    if (rt.type === RouteType.Local || rt.type === RouteType.Broadcast) return this.localDeliver(skb, dev, frameNo);
    if (rt.type !== RouteType.Unicast || !rt.dev) return this.ipError(skb, rt, frameNo);
    this.forward(skb, dev, rt.dev, frameNo);
  }

  /**
   * On a machine with realms: fib_validate_source's full check of the
   * packet's source (see Fib.checkSourceV4), the route back looked up from
   * `oif` (lo for a packet delivered here), and the realms it gives
   * (itag) put in the packet's route: all of a delivered packet's realms,
   * the missing halves of a forwarded one's (see forwardRealms). Returns
   * the reason to drop a martian source, else undefined.
   */
  private sourceRealms(skb: Skb, daddr: number, oif: NetDevice | null): string | undefined {
    const c = this.fib.checkSourceV4(skb.saddr, daddr, oif, this.acceptLocal, skb.protocol, flowPort(skb, 0), flowPort(skb, 2));
    skb.tclassid = c.itag;
    if (c.bad === 'local') return StackReason.localSource;
    if (c.bad === 'type') return StackReason.invalidSourceRoute;
    return undefined;
  }

  /**
   * The realms of a forwarded packet's route (rt_set_nexthop): the
   * route's own, the halves it lacks from the rule that found it, then
   * from the route back to the source (`itag`). A route made with no
   * realms from the source (itag 0) is cached on its next hop, as the
   * kernel caches it (nhc_rth_input), and later packets routed there
   * with itag 0 take it as it was made, even through another rule.
   */
  private forwardRealms(rt: FibResultV4, itag: number): number {
    const own = setClassTag(rt.realm ?? 0, rt.ruleRealm ?? 0);
    if (itag !== 0 || rt.nh === undefined) return setClassTag(own, itag);
    const cached = this.inputRealmCache.get(rt.nh);
    if (cached !== undefined) return cached;
    this.inputRealmCache.set(rt.nh, own);
    return own;
  }

  /**
   * The realms of a route the machine's own packet takes (rt_set_nexthop
   * of an output route): the route's, the halves it lacks from its rule;
   * a broadcast route has no next hop's. Output routes are cached per
   * next hop and CPU (nhc_pcpu_rth_output): later packets routed there on
   * the same CPU take the cached route's realms.
   */
  private outputRealms(rt: FibResultV4): number {
    if (!this.fib.realms) return 0;
    const own = setClassTag(rt.type === RouteType.Broadcast ? 0 : (rt.realm ?? 0), rt.ruleRealm ?? 0);
    if (rt.nh === undefined || rt.type === RouteType.Broadcast || rt.type === RouteType.Multicast) return own;
    let perCpu = this.outputRealmCache.get(rt.nh);
    if (!perCpu) this.outputRealmCache.set(rt.nh, (perCpu = new Map()));
    const cached = perCpu.get(this.cpu);
    if (cached !== undefined) return cached;
    perCpu.set(this.cpu, own);
    return own;
  }

  /** The realms of forwarded routes cached on their next hop (see forwardRealms). */
  private readonly inputRealmCache = new Map<object, number>();
  /** The realms of output routes cached on their next hop, per CPU (see outputRealms). */
  private readonly outputRealmCache = new Map<object, Map<number, number>>();

  /**
   * fib_validate_source with accept_local 0 and rp_filter 0 (the kernel's
   * defaults): a source that is one of the machine's own addresses is
   * refused (IP_LOCAL_SOURCE); with policy rules (the kernel's full check,
   * Fib.checkSourceV4) the source's route is looked up as coming in by
   * `oif`, the interface a forwarded packet will leave by (lo for one
   * delivered here), from `daddr` (0 for a broadcast), and one that is
   * local, or of another type than unicast (a subnet broadcast address),
   * is refused. Undefined when the source is acceptable.
   */
  private validateSource(skb: Skb, daddr: number, oif: NetDevice | null): string | undefined {
    if (this.acceptLocal) return undefined;
    if (this.fib.policy4 === null) return this.fib.isLocalV4(skb.saddr) ? StackReason.localSource : undefined;
    const c = this.fib.checkSourceV4(skb.saddr, daddr, oif, false, skb.protocol, flowPort(skb, 0), flowPort(skb, 2));
    if (c.bad === 'local') return StackReason.localSource;
    if (c.bad === 'type') return StackReason.invalidSourceRoute;
    return undefined;
  }

  /**
   * ip_error: a received packet without a route (no route, or a blackhole,
   * unreachable or prohibit route or rule) is dropped; but for a
   * blackhole, the sender is told with an ICMP destination unreachable
   * (net, host, or communication administratively prohibited), from the
   * address the route back to it chooses. Not modelled: the per-source
   * rate limit of these errors (ip_rt_error_cost, ip_rt_error_burst).
   */
  private ipError(skb: Skb, rt: FibResultV4, frameNo: number): void {
    const code = rt.code ?? 0;
    const reason =
      rt.type === RouteType.Blackhole
        ? StackReason.blackhole
        : rt.type === RouteType.Prohibit
          ? StackReason.prohibited
          : code === 1
            ? StackReason.hostUnreachable
            : StackReason.noRoute;
    if (code >= 0 && skb.pktType === PacketType.Host) {
      const back = this.fib.lookupV4(skb.saddr).dev;
      const saddr = this.fib.selectSourceV4(back, skb.saddr);
      const icmp = saddr
        ? buildIcmpError(skb.data.subarray(0, skb.len), 3, code, saddr, { id: icmpErrorId(skb.data), mtu: back?.mtu ?? 1500, verifyChecksum: false })
        : null;
      if (icmp) this.pendingLocal.push({ ip: icmp, frameNo, ct: null, ctinfo: 0, mark: this.replyMark(icmp, skb.mark) });
    }
    this.stackDrop(frameNo, reason);
  }

  private forward(skb: Skb, inDev: NetDevice, outDev: NetDevice, frameNo: number): void {
    if (skb.pktType !== PacketType.Host) return this.stackDrop(frameNo, StackReason.notForUs);
    const ip = skb.data;
    if (ip[8]! <= 1) return this.stackDrop(frameNo, StackReason.ttlExpired);
    // ip_decrease_ttl: incremental checksum update (RFC 1624).
    ip[8] = ip[8]! - 1;
    let c = ((ip[10]! << 8) | ip[11]!) + 0x0100;
    c = (c & 0xffff) + (c >> 16);
    ip[10] = c >> 8;
    ip[11] = c & 0xff;
    // ip_exceeds_mtu: a reassembled packet (ignore_df) is too big only when one of its fragments was,
    // a GRO super-packet only when its segments are.
    if (skb.totLen > outDev.mtu && ip[6]! & 0x40 && (this.fanout ? this.fragMaxSize > outDev.mtu : !gsoFits(skb, outDev.mtu)))
      return this.stackDrop(frameNo, StackReason.tooBig);
    if (!this.hook(Hook.Forward, inDev, outDev, frameNo)) return;
    if (!this.hook(Hook.PostRouting, null, outDev, frameNo)) return;
    if (!this.confirm(frameNo, false)) return;
    this.transmit(FateKind.Forwarded, outDev, frameNo);
  }

  private localDeliver(skb: Skb, dev: NetDevice, frameNo: number): void {
    if (skb.fragoff !== 0 || skb.data[6]! & 0x20) {
      // ip_local_deliver reassembles before INPUT (without conntrack, nothing did so earlier).
      const r = this.frags.add(skb, DefragUser.LocalDeliver, frameNo, this.clockNs);
      if (r) this.localDeliverWhole(r, dev, frameNo);
      return;
    }
    if (!this.hook(Hook.LocalIn, dev, null, frameNo)) return;
    if (!this.confirm(frameNo, false)) return;
    this.fate(FateKind.Delivered, frameNo, NO_DETAILS);
  }

  // The reassembled packet's way, each in a function of its own: a closure in the per-packet functions
  // would make them allocate the variables it captures on every call, fragment or not.
  private preroutingWhole(r: Reassembled, dev: NetDevice, frameNo: number): void {
    this.asWhole(r, () => this.prerouting(loadReassembled(this.skb, r), dev, frameNo));
  }

  private localDeliverWhole(r: Reassembled, dev: NetDevice, frameNo: number): void {
    this.asWhole(r, () => this.localDeliver(loadReassembled(this.skb, r), dev, frameNo));
  }

  private localOutWhole(r: Reassembled, frameNo: number): void {
    this.asWhole(r, () => this.localOut(r.packet, frameNo, false));
  }

  /** Runs `go` on a reassembled packet: the fate it gets is the fate of each of its fragments. */
  private asWhole(q: { frames: number[]; last: number; maxSize?: number }, go: () => void): void {
    this.fanout = q.frames;
    this.fanoutLast = q.last;
    this.fragMaxSize = q.maxSize ?? 0;
    try {
      go();
    } finally {
      this.fanout = null;
    }
  }

  // -- local output ----------------------------------------------------------

  /** A packet of the machine's own on its way out: from a socket unless netfilter `generated` it (REJECT). */
  private localOut(ip: Uint8Array, frameNo: number, generated: boolean, cause?: PendingCause): void {
    this.fromSocket = !generated;
    try {
      this.localOutPath(ip, frameNo, generated, cause);
    } finally {
      this.fromSocket = false;
    }
  }

  /**
   * nf_conntrack_broadcast_help's question (the netbios-ns helper): for a
   * packet from a local socket routed as a broadcast, the netmask of the
   * output interface's primary IPv4 address whose broadcast address is the
   * destination; 0 otherwise.
   */
  private broadcastMask(skb: Skb): number {
    if (!this.fromSocket || skb.family !== Family.V4) return 0;
    const rt = this.fib.lookupV4(skb.daddr);
    if (rt.type !== RouteType.Broadcast || !rt.dev) return 0;
    const nets: number[] = [];
    for (const a of rt.dev.addrs) {
      if (a.addr.family !== Family.V4) continue;
      const mask = prefixMask(a.prefix);
      // A secondary address (another of the same subnet came first) is skipped.
      const key = (a.addr.w0 & mask) >>> 0;
      const secondary = nets.some((n, i) => i % 2 === 0 && n === key && nets[i + 1] === mask);
      nets.push(key, mask);
      if (!secondary && a.broadcast !== undefined && a.broadcast.w0 === skb.daddr) return mask;
    }
    return 0;
  }

  /**
   * The H.323 helper's callforward_do_filter: routes to both addresses exist
   * (nf_ip_route, nf_ip6_route) and leave by the same device to the same
   * next hop (rt_nexthop: the gateway, or the address itself on a link).
   */
  private routesAlike(a: InetAddr, b: InetAddr): boolean {
    const r1 = this.fib.lookup(a);
    const r2 = this.fib.lookup(b);
    if (!r1.dev || !r2.dev || r1.type === RouteType.Unreachable || r2.type === RouteType.Unreachable) return false;
    return r1.dev === r2.dev && r1.gateway.equals(r2.gateway);
  }

  /**
   * sip_external_media's test: a route to `a` exists (nf_ip_route,
   * nf_ip6_route) and leaves by the packet's own route's device (its output
   * device; lo for a packet delivered locally, as a local route's).
   */
  private routesBy(_skb: Skb, a: InetAddr): boolean {
    const r = this.fib.lookup(a);
    if (!r.dev || r.type === RouteType.Unreachable) return false;
    return r.dev === (this.hookOutDev ?? this.lo);
  }

  /**
   * smp_processor_id() for the packet in hand: the receiving interface's
   * `cpu` (else the machine's) for what arrives, the machine's `cpu` for
   * its own packets and its timers; what the stack sends in answer (REJECT,
   * ICMP errors, TEE's copies) is processed on the CPU of what it answers.
   */
  private cpu = 0;
  private readonly machineCpu: number = 0;

  /** The output device of the hook the packet last went through (null on the input path): its route's device when conntrack confirms it. */
  private hookOutDev: NetDevice | null = null;

  /** `ip` is the stack's to change: a consumed page message's bytes, or a packet netfilter built. */
  private localOutPath(ip: Uint8Array, frameNo: number, generated: boolean, cause?: PendingCause): void {
    const skb = this.skb.load(ip).begin(null, PacketType.Host, frameNo, generated);
    if (cause) skb.mark = cause.mark;
    resetCt(skb);
    // REJECT's reply is RELATED to the connection of the packet it answers.
    if (cause && this.ct) attachCause(skb, cause);
    const rt = this.outputRoute(skb);
    const dropKind = generated ? FateKind.GeneratedDropped : FateKind.DroppedByStack;
    if (!rt.dev && rt.type !== RouteType.Broadcast && rt.type !== RouteType.Multicast) {
      this.fate(dropKind, frameNo, { reason: outputDropReason(rt) });
      return;
    }
    skb.tclassid = this.outputRealms(rt);
    let outDev = rt.dev ?? this.fib.deviceForV4(skb.saddr) ?? this.devByUnit[0] ?? this.lo;
    const daddr = skb.daddr;
    this.rerouted = false;
    if (!this.hook(Hook.LocalOut, null, outDev, frameNo, generated)) return;
    if (skb.daddr !== daddr || this.rerouted) {
      // DNAT in OUTPUT (or mangle OUTPUT changed the mark, addresses or TOS): ip_route_me_harder routes the packet again.
      const again = this.outputRoute(skb);
      if (!again.dev && again.type !== RouteType.Broadcast && again.type !== RouteType.Multicast) {
        this.fate(dropKind, frameNo, { reason: outputDropReason(again) });
        return;
      }
      outDev = again.dev ?? outDev;
      skb.tclassid = this.outputRealms(again);
    }
    if (!this.hook(Hook.PostRouting, null, outDev, frameNo, generated)) return;
    if (!this.confirm(frameNo, generated)) return;
    if (outDev === this.lo) {
      // Looped back: in again through PREROUTING and INPUT.
      const s = this.skb;
      s.pktType = PacketType.Host;
      if (!this.hook(Hook.PreRouting, this.lo, null, frameNo, generated)) return;
      if (!this.hook(Hook.LocalIn, this.lo, null, frameNo, generated)) return;
      if (!this.confirm(frameNo, generated)) return;
      this.fate(generated ? FateKind.Generated : FateKind.Delivered, frameNo, { unit: -1 });
      return;
    }
    this.transmit(generated ? FateKind.Generated : FateKind.Sent, outDev, frameNo);
  }

  private drainLocal(): void {
    while (this.pendingLocal.length) {
      const p = this.pendingLocal.shift()!;
      if (p.ip[0]! >> 4 === 6) this.localOut6(p.ip, p.frameNo, p);
      else this.localOut(p.ip, p.frameNo, true, p);
      p.after?.();
    }
  }

  /**
   * An IPv6 packet netfilter generated (ip6t_REJECT's reply): ip6_local_out
   * through OUTPUT and POSTROUTING as the IPv6 path's local output does it,
   * RELATED to the connection of the packet it answers (nf_ct_attach).
   */
  private localOut6(ip: Uint8Array, frameNo: number, cause: PendingCause): void {
    const skb = this.skb.loadV6(ip);
    skb.mac = null;
    skb.pktType = PacketType.Host;
    skb.mark = cause.mark;
    skb.priority = 0;
    skb.queueMapping = 0;
    skb.nftrace = false;
    skb.generated = true;
    skb.frameNo = frameNo;
    resetCt(skb);
    if (this.ct) attachCause(skb, cause);
    // The route of the reply's flow (its flowi6_mark is the reply's mark).
    const v6 = this.fib.v6;
    const outDev = (v6.policy === null ? v6.lookup(skb.dst) : v6.output(skb.dst, skb.src, skb.mark, skb.protocol, flowPort(skb, 0), flowPort(skb, 2))).dev;
    if (!outDev) return this.fate(FateKind.GeneratedDropped, frameNo, { reason: StackReason.noRoute });
    if (!this.hook(Hook.LocalOut, null, outDev, frameNo, true)) return;
    if (!this.hook(Hook.PostRouting, null, outDev, frameNo, true)) return;
    if (!this.confirm(frameNo, true)) return;
    if (outDev === this.lo) {
      if (!this.hook(Hook.PreRouting, this.lo, null, frameNo, true)) return;
      if (!this.hook(Hook.LocalIn, this.lo, null, frameNo, true)) return;
      if (!this.confirm(frameNo, true)) return;
      return this.fate(FateKind.Generated, frameNo, { unit: -1 });
    }
    this.transmit(FateKind.Generated, outDev, frameNo);
  }

  // -- TEE's copies (nf_dup_ipv4, nf_dup_ipv6) ------------------------------------

  /** A copy is being sent (the kernel's per-task in_nf_duplicate): TEE sends no copy of it. */
  private duplicating = false;

  /**
   * nf_dup_ipv4 and nf_dup_ipv6: a copy of the packet in hand (at `hook`)
   * goes to `gw` at once, through OUTPUT and POSTROUTING, before the packet
   * itself goes on; what the stack was doing with the packet is put back
   * after. The copy's fate is a generated packet's, of the packet's frame.
   */
  private duplicate(hook: Hook, gw: InetAddr, oifName: string): void {
    if (this.duplicating) return;
    const skb = this.skb;
    const v6 = skb.family === Family.V6;
    // pskb_copy: the packet as it is now.
    const ip = skb.data.slice(0, skb.len);
    const decrement = hook === Hook.PreRouting || hook === Hook.LocalIn;
    if (v6) {
      if (decrement) ip[7] = (ip[7]! - 1) & 0xff;
    } else {
      // DF, so that the source hears of a smaller MTU on the copy's way; the checksum as __ip_local_out's ip_send_check.
      ip[6] = ip[6]! | 0x40;
      if (decrement) ip[8] = (ip[8]! - 1) & 0xff;
      setIPv4Checksum(ip);
    }
    // The --oif device by name (an unknown name binds nothing: the kernel's priv->oif -1).
    let oif: NetDevice | null = null;
    if (oifName) for (const d of this.opts.spec.devices) if (d.name === oifName) oif = d;
    const rt = this.dupRoute(gw, oif, v6);
    if (rt === null) return;
    // What the stack holds of the packet in hand, put back once the copy is out.
    const saved = new Skb().copyFrom(skb);
    const par = this.par;
    const { hook: pHook, table: pTable, inDev: pIn, outDev: pOut, hotdrop: pHotdrop } = par;
    const tracers = [...this.hooks, ...this.hooks6].flat().map((t) => [t, t.tracer] as const);
    const fanout = this.fanout;
    const passSite = this.passSite;
    const rerouted = this.rerouted;
    const fromSocket = this.fromSocket;
    const lastKind = this.lastKind;
    const lastDrop = this.lastDrop;
    this.fanout = null;
    this.passSite = undefined;
    this.fromSocket = false;
    this.duplicating = true;
    const events = this.opts.trace?.(saved.frameNo) ? this.events : null;
    try {
      if (v6) skb.loadV6(ip);
      else skb.load(ip);
      skb.begin(null, saved.pktType, saved.frameNo, true);
      skb.dup = true;
      // pskb_copy: the copy keeps the header fields (mark, priority, queue mapping).
      skb.mark = saved.mark;
      skb.priority = saved.priority;
      skb.queueMapping = saved.queueMapping;
      skb.nftrace = saved.nftrace;
      skb.physIn = saved.physIn;
      skb.physOut = saved.physOut;
      // IP_CT_UNTRACKED: "Avoid counting cloned packets towards the original connection."
      resetCt(skb);
      skb.ctState = CT_UNTRACKED;
      events?.emit({ e: 'dup', f: saved.frameNo, gw: gw.toString(), pkt: events.packet(skb) });
      this.dupOut(rt, saved.frameNo, v6);
    } finally {
      this.duplicating = false;
      skb.copyFrom(saved);
      par.hook = pHook;
      par.table = pTable;
      par.inDev = pIn;
      par.outDev = pOut;
      par.hotdrop = pHotdrop;
      for (const [t, tracer] of tracers) t.tracer = tracer;
      this.fanout = fanout;
      this.passSite = passSite;
      this.rerouted = rerouted;
      this.fromSocket = fromSocket;
      this.lastKind = lastKind;
      this.lastDrop = lastDrop;
      events?.emit({ e: 'dupdone', f: saved.frameNo });
    }
  }

  /**
   * nf_dup_ipv4_route, nf_dup_ipv6_route: the route to the gateway
   * (FLOWI_FLAG_KNOWN_NH: the gateway is the next hop whatever the packet's
   * destination), bound to `oif` when given; null when there is none (the
   * copy is freed, nothing is sent).
   */
  private dupRoute(gw: InetAddr, oif: NetDevice | null, v6: boolean): { readonly type: RouteType; readonly dev: NetDevice } | null {
    let r: { readonly type: RouteType; readonly dev: NetDevice | null };
    if (v6) r = oif ? this.fib.v6.outputOif(gw, oif) : this.fib.v6.output(gw, null, 0);
    else if (oif) r = this.fib.outputOifV4(gw.w0, oif);
    else if (gw.w0 === 0xffffffff || gw.w0 >>> 28 === 0xe) {
      // Without a device, limited broadcast and multicast take the main table's route (fib_lookup).
      r = this.fib.fibLookupV4(gw.w0);
      if (r.type === RouteType.Unicast) r = { type: gw.w0 === 0xffffffff ? RouteType.Broadcast : RouteType.Multicast, dev: r.dev };
    } else r = this.fib.outputV4(gw.w0, 0, 0);
    if (r.dev === null) return null;
    const ok =
      r.type === RouteType.Unicast ||
      r.type === RouteType.Local ||
      r.type === RouteType.Broadcast ||
      r.type === RouteType.Multicast ||
      r.type === RouteType.Anycast;
    return ok ? { type: r.type, dev: r.dev } : null;
  }

  /**
   * ip_local_out (ip6_local_out) of TEE's copy, loaded in the stack's
   * packet: OUTPUT and POSTROUTING with its route's device (mangle OUTPUT
   * changing its mark, addresses or TOS routes it again, by its own
   * destination: ip_route_me_harder), then out; a copy routed to one of the
   * firewall's own addresses is looped back over lo.
   */
  private dupOut(rt: { readonly type: RouteType; readonly dev: NetDevice }, frameNo: number, v6: boolean): void {
    const skb = this.skb;
    let outDev = rt.dev;
    this.rerouted = false;
    if (!this.hook(Hook.LocalOut, null, outDev, frameNo, true)) return;
    if (this.rerouted) {
      const again = v6 ? this.fib.v6.output(skb.dst, skb.src, skb.mark) : this.outputRoute(skb);
      if (!again.dev) return this.fate(FateKind.GeneratedDropped, frameNo, { reason: StackReason.rerouteFailed });
      outDev = again.dev;
    }
    if (!this.hook(Hook.PostRouting, null, outDev, frameNo, true)) return;
    if (outDev === this.lo) {
      skb.pktType = PacketType.Host;
      if (!this.hook(Hook.PreRouting, this.lo, null, frameNo, true)) return;
      if (!this.fib.isLocal(skb.dst)) return this.fate(FateKind.GeneratedDropped, frameNo, { reason: StackReason.dupLoopedForward });
      if (!this.hook(Hook.LocalIn, this.lo, null, frameNo, true)) return;
      return this.fate(FateKind.Generated, frameNo, { unit: -1 });
    }
    // DF (IPv6: never fragmented by a router, and the copy has no socket to allow it): too long for the device is dropped.
    if (skb.len > outDev.mtu) return this.fate(FateKind.GeneratedDropped, frameNo, { reason: StackReason.dupTooBig });
    this.transmit(FateKind.Generated, outDev, frameNo);
  }

  // -- hooks, fates -----------------------------------------------------------

  /** Frames of the reassembled packet being processed, and the one that completed it. */
  private fanout: number[] | null = null;
  /** mangle OUTPUT changed what routes the packet in hand (ip_route_me_harder ran): its route is looked up again after OUTPUT. */
  rerouted = false;
  /** net.ipv4.conf.all.accept_local: packets from outside with one of the machine's addresses as source are accepted. */
  private readonly acceptLocal: boolean;
  /** net.ipv4.fwmark_reflect and net.ipv6.fwmark_reflect: the machine's replies carry the mark of what they answer. */
  private readonly fwmarkReflect4: boolean;
  private readonly fwmarkReflect6: boolean;

  /** IP4_REPLY_MARK: the mark of a reply to a packet marked `mark` (0 unless fwmark_reflect is set). */
  private replyMark4(mark: number): number {
    return this.fwmarkReflect4 ? mark : 0;
  }

  /** IP4_REPLY_MARK or IP6_REPLY_MARK, by the family of the reply `ip`. */
  private replyMark(ip: Uint8Array, mark: number): number {
    return (ip[0]! >> 4 === 6 ? this.fwmarkReflect6 : this.fwmarkReflect4) ? mark : 0;
  }
  /** The machine has policy rules or tables of its own (either family): mangle OUTPUT may reroute. */
  private readonly policyRouting: boolean;
  /** The packet in hand comes from a local socket (the local output path, not netfilter's own). */
  private fromSocket = false;
  private fanoutLast = 0;
  /** Its largest fragment (IPCB(skb)->frag_max_size). */
  private fragMaxSize = 0;
  private lastKind: FateKind = FateKind.DroppedByRule;
  /**
   * The filter table's last verdict for the packet in hand, when it
   * accepted it: the site a passing fate names (the rule that accepted the
   * packet, or the chain's policy). Cleared with every fate.
   */
  private passSite: DropSite | undefined;
  private lastDrop: { site?: DropSite; reason?: string } = {};

  /** Runs every table on `hook`; false (and the drop fate) when one drops. */
  private hook(hook: Hook, inDev: NetDevice | null, outDev: NetDevice | null, frameNo: number, generated = false): boolean {
    this.curHook = hook;
    this.curIn = inDev;
    this.hookOutDev = outDev;
    this.par.cpu = this.cpu;
    const tables = (this.skb.family === Family.V6 ? this.hooks6 : this.hooks)[hook]!;
    // nf_conntrack_in runs at priority -200 on PREROUTING and OUTPUT, after raw.
    let ctPending = (this.skb.family === Family.V6 ? this.ct6 : this.ct4) && (hook === Hook.PreRouting || hook === Hook.LocalOut);
    if (tables.length === 0 && !ctPending) return true;
    const par = this.par;
    par.hook = hook;
    par.inDev = inDev;
    par.outDev = outDev;
    const tracing = this.skb.nftrace || (this.opts.trace?.(frameNo) ?? false);
    if (this.opts.trace?.(frameNo))
      this.events.emit({
        e: 'hook',
        f: frameNo,
        fam: this.skb.family === Family.V6 ? 6 : 4,
        hook: HOOK_NAMES[hook],
        in: inDev?.name ?? null,
        out: outDev?.name ?? null,
        ...(this.skb.physIn ? { physin: this.skb.physIn.name } : {}),
        ...(this.skb.physOut ? { physout: this.skb.physOut.name } : {}),
        pkt: this.events.packet(this.skb),
      });
    for (const t of tables) {
      if (ctPending && TABLE_PRIORITY[t.name]![hook]! > CONNTRACK_PRIORITY) {
        ctPending = false;
        if (!this.conntrackIn(hook, frameNo, generated)) return false;
      }
      if (t.name === 'nat') {
        if (this.nat && !this.natHook(t, hook, tracing, frameNo, generated)) return false;
        continue;
      }
      if ((this.policyRouting || this.skb.dup) && hook === Hook.LocalOut && t.name === 'mangle') {
        if (!this.mangleOut(t, tracing, frameNo, generated)) return false;
        continue;
      }
      if (!this.runTable(t, tracing, frameNo, generated)) return false;
    }
    if (ctPending && !this.conntrackIn(hook, frameNo, generated)) return false;
    return true;
  }

  /** The route of the packet in hand, sent by the machine: through the rules with its mark, source, protocol and ports. */
  private outputRoute(skb: Skb): FibResultV4 {
    if (this.fib.policy4 === null) return this.fib.lookupV4(skb.daddr);
    return this.fib.outputV4(skb.daddr, skb.saddr, skb.mark, skb.protocol, flowPort(skb, 0), flowPort(skb, 2));
  }

  /**
   * iptable_mangle's OUTPUT (ipt_mangle_out, ip6t_mangle_out) on a machine
   * with policy routing: when the table changed the packet's mark, source,
   * destination or TOS (IPv6: mark, addresses, hop limit or flow label),
   * ip_route_me_harder routes it again at once; without a route the
   * packet is dropped there. The new route is taken after OUTPUT (the
   * later tables still see the old output device, as the kernel's hook
   * state keeps it).
   */
  private mangleOut(t: CompiledTable, tracing: boolean, frameNo: number, generated: boolean): boolean {
    const skb = this.skb;
    const v6 = skb.family === Family.V6;
    const mark = skb.mark;
    const saddr = skb.saddr;
    const daddr = skb.daddr;
    const tos = v6 ? 0 : skb.data[1]!;
    const word0 = v6 ? ((skb.data[0]! << 24) | (skb.data[1]! << 16) | (skb.data[2]! << 8) | skb.data[3]!) >>> 0 : 0;
    const hop = v6 ? skb.data[7]! : 0;
    const src6 = v6 ? skb.src.clone() : null;
    const dst6 = v6 ? skb.dst.clone() : null;
    if (!this.runTable(t, tracing, frameNo, generated)) return false;
    let changed: boolean;
    if (v6) {
      const w = ((skb.data[0]! << 24) | (skb.data[1]! << 16) | (skb.data[2]! << 8) | skb.data[3]!) >>> 0;
      changed = skb.mark !== mark || !skb.src.equals(src6!) || !skb.dst.equals(dst6!) || skb.data[7]! !== hop || w !== word0;
    } else changed = skb.mark !== mark || skb.saddr !== saddr || skb.daddr !== daddr || skb.data[1]! !== tos;
    if (!changed) return true;
    const ok = v6 ? this.fib.v6.output(skb.dst, skb.src, skb.mark).dev !== null || isMulticast6(skb.dst) : this.routeMeHarderOk(skb);
    if (!ok) {
      this.lastKind = generated ? FateKind.GeneratedDropped : FateKind.DroppedByStack;
      this.lastDrop = { reason: StackReason.rerouteFailed };
      this.fate(this.lastKind, frameNo, this.lastDrop);
      return false;
    }
    this.rerouted = true;
    return true;
  }

  private routeMeHarderOk(skb: Skb): boolean {
    const r = this.outputRoute(skb);
    const ok = r.dev !== null || r.type === RouteType.Broadcast || r.type === RouteType.Multicast;
    if (ok) skb.tclassid = this.outputRealms(r);
    return ok;
  }

  /** nf_conntrack_in: false (and a stack drop) when conntrack drops the packet (table full). */
  private conntrackIn(hook: Hook, frameNo: number, generated: boolean): boolean {
    const skb = this.skb;
    // A looped-back packet keeps the entry it got on the way out.
    if (skb.ct && hook === Hook.PreRouting) return true;
    if (this.opts.trace?.(frameNo)) return this.conntrackInTraced(hook, frameNo, generated);
    if (this.ct!.in(skb, hook, this.clockNs) === NF_ACCEPT) return true;
    this.lastKind = generated ? FateKind.GeneratedDropped : FateKind.DroppedByStack;
    this.lastDrop = { reason: StackReason.conntrackFull };
    this.fate(this.lastKind, frameNo, this.lastDrop);
    return false;
  }

  /** conntrackIn for a traced frame: the entry before and after, and the packet's state. */
  private conntrackInTraced(hook: Hook, frameNo: number, generated: boolean): boolean {
    const ct = this.ct!;
    const skb = this.skb;
    let before: string | null = null;
    ct.observe = (entry) => (before = entry);
    let v: number;
    try {
      v = ct.in(skb, hook, this.clockNs);
    } finally {
      ct.observe = null;
    }
    this.events.emit({
      e: 'ct',
      f: frameNo,
      hook: HOOK_NAMES[hook],
      before,
      state: ctStateText(skb),
      after: ctEntryText(skb, (c) => ct.expiresIn(c, this.clockNs)),
    });
    if (v === NF_ACCEPT) return true;
    this.lastKind = generated ? FateKind.GeneratedDropped : FateKind.DroppedByStack;
    this.lastDrop = { reason: StackReason.conntrackFull };
    this.fate(this.lastKind, frameNo, this.lastDrop);
    return false;
  }

  /** Runs one table on the packet; false (and the drop fate) when it drops. */
  private runTable(t: CompiledTable, tracing: boolean, frameNo: number, generated: boolean): boolean {
    const par = this.par;
    par.table = t.name;
    t.tracer = tracing || this.skb.nftrace ? this.tracerFor(t, frameNo) : null;
    const events = this.opts.trace?.(frameNo) ? this.events : null;
    events?.emit({ e: 'table', f: frameNo, table: t.name, hook: HOOK_NAMES[par.hook] });
    const v = t.run(this.skb, par);
    events?.emit({ e: 'verdict', f: frameNo, table: t.name, v: verdictName(v, par.hotdrop), chain: t.site.chain, rule: t.site.rule });
    if (v === NF_ACCEPT) {
      if (t.name === 'filter') this.passSite = t.siteRecord();
      return true;
    }
    // The table's one record for this site (the same object every time it drops).
    const site: DropSite = t.siteRecord();
    if (par.hotdrop) {
      this.lastKind = generated ? FateKind.GeneratedDropped : FateKind.DroppedByStack;
      this.lastDrop = { site, reason: this.skb.truncated ? StackReason.hotdropTruncated : StackReason.hotdrop };
    } else {
      this.lastKind = generated ? FateKind.GeneratedDropped : site.rule === 0 ? FateKind.DroppedByPolicy : FateKind.DroppedByRule;
      this.lastDrop = { site };
    }
    this.fate(this.lastKind, frameNo, this.lastDrop);
    return false;
  }

  /**
   * nf_nat_ipv4_fn on a NAT hook: ICMP errors related to a connection are
   * translated inside and out; a connection whose side of this hook is not
   * bound yet (its first packet, or a related one) goes through the nat
   * table, and is bound to itself when no rule bound it; then every packet
   * is rewritten as its connection's binding says. Untracked and invalid
   * packets pass untouched.
   */
  private natHook(t: CompiledTable, hook: Hook, tracing: boolean, frameNo: number, generated: boolean): boolean {
    const skb = this.skb;
    const conn = skb.ct;
    const nat = this.nat!;
    if (!conn) return true;
    const ctinfo = skb.ctinfo;
    const related = ctinfo === IP_CT_RELATED || ctinfo === IP_CT_RELATED_REPLY;
    if (related && skb.protocol === (skb.family === Family.V6 ? 58 : 1)) return nat.icmpReply(skb, conn, ctinfo, hook) || this.natFailed(frameNo, generated);
    if (ctinfo === IP_CT_NEW || related) {
      const manip = hookManip(hook);
      if (!NatCore.initialized(conn, manip)) {
        if (!this.runTable(t, tracing, frameNo, generated)) return false;
        if (!NatCore.initialized(conn, manip) && nat.nullBinding(conn, hook) !== NF_ACCEPT) return this.natFailed(frameNo, generated);
      } else if (this.opts.trace?.(frameNo)) this.events.emit({ e: 'natbound', f: frameNo, hook: HOOK_NAMES[hook] });
    } else if (this.opts.trace?.(frameNo)) this.events.emit({ e: 'natbound', f: frameNo, hook: HOOK_NAMES[hook] });
    return nat.packet(skb, conn, ctinfo, hook) || this.natFailed(frameNo, generated);
  }

  private natFailed(frameNo: number, generated: boolean): boolean {
    this.lastKind = generated ? FateKind.GeneratedDropped : FateKind.DroppedByStack;
    this.lastDrop = { reason: NAT_MANGLE_FAILED };
    this.fate(this.lastKind, frameNo, this.lastDrop);
    return false;
  }

  /** nf_confirm, at the end of INPUT and POSTROUTING: false (and a stack drop) when the entry clashes or its helper drops the packet. */
  private confirm(frameNo: number, generated = false): boolean {
    if (!this.ct) return true;
    // A packet that came back in over lo (nf_is_loopback_packet): SYNPROXY and the sequence adjustment leave it alone.
    const loopback = this.curHook === Hook.LocalIn && this.curIn === this.lo;
    // SYNPROXY's hook, at NF_IP_PRI_CONNTRACK_CONFIRM - 1 on LOCAL_IN and POST_ROUTING.
    if (this.skb.ct !== null && this.skb.ct.synproxy !== null && (this.skb.family === Family.V6 ? this.synproxy6 : this.synproxy4)) {
      const v = synproxyHook(this.skb, loopback, this.services);
      if (v !== HookVerdict.Accept) {
        this.lastKind = generated ? FateKind.GeneratedDropped : FateKind.DroppedByStack;
        this.lastDrop = { reason: v === HookVerdict.Stolen ? SYNPROXY_STOLEN : SYNPROXY_DROP };
        this.fate(this.lastKind, frameNo, this.lastDrop);
        return false;
      }
    }
    if (this.ct.confirm(this.skb, this.clockNs, loopback)) return true;
    this.lastKind = generated ? FateKind.GeneratedDropped : FateKind.DroppedByStack;
    this.lastDrop = { reason: this.ct.helperDropReason ?? StackReason.conntrackClash };
    this.fate(this.lastKind, frameNo, this.lastDrop);
    return false;
  }

  /** Reassembly's counters (nstat's IpReasm*), with the queues waiting and the memory they hold. */
  /** The IPv6 reassembly counters (nf_defrag_ipv6's timeouts and the stack's own reassembly). */
  fragStats6(): Ipv6ReasmStats {
    return { ...this.v6.reasmStats };
  }

  fragStats(): DefragStats {
    return this.frags.stats();
  }

  /** The machine's accounting objects as `nfacct list` prints them (in the machine file's order), or undefined when it has none. */
  nfacctList(): string | undefined {
    const specs = this.opts.spec.nfacct;
    return specs?.length ? nfacctList(specs.map((s) => nfacctObject(this.services, s))) : undefined;
  }

  /** The final connection tracking table as `conntrack -L` prints it (sorted), or undefined when nothing is tracked. */
  conntrackList(): string | undefined {
    return this.ct?.list(this.clockNs, Family.V4);
  }

  /** The pending expectations as `conntrack -L expect` prints them (IPv4, then IPv6 when `ipv6`), or undefined when nothing is tracked. */
  conntrackExpect(ipv6: boolean): string | undefined {
    if (!this.ct) return undefined;
    return this.ct.listExpectations(this.clockNs, Family.V4) + (ipv6 ? this.ct.listExpectations(this.clockNs, Family.V6) : '');
  }

  /** The most entries the conntrack table held at once, and its limit (nf_conntrack_max, 0 unlimited); undefined without tracking. */
  conntrackPeak(): { peak: number; max: number } | undefined {
    return this.ct ? { peak: this.ct.peak, max: this.ct.max } : undefined;
  }

  /** The IPv6 entries as `conntrack -L -f ipv6` prints them, or undefined when nothing is tracked. */
  conntrackList6(): string | undefined {
    return this.ct?.list(this.clockNs, Family.V6);
  }

  /**
   * The lines of `conntrackList` (then of `conntrackList6`, when `ipv6`)
   * whose reply tuple may not be the mirror of the original one, in their
   * order there: all the address translations the report reads from the
   * table (src/report/translations.ts), without listing every entry. The
   * entries passed over are those whose tuples mirror each other (nearly
   * all of them), whose lines the report would pass over too.
   * Undefined when nothing is tracked.
   */
  conntrackTranslated(ipv6: boolean): string | undefined {
    const ct = this.ct;
    if (!ct) return undefined;
    const v4: string[] = [];
    const v6: string[] = [];
    for (const c of ct.entries(this.clockNs)) {
      if (!mayBeTranslated(c)) continue;
      const six = c.family === Family.V6;
      if (six && !ipv6) continue;
      (six ? v6 : v4).push(formatEntry(c, ct.expiresIn(c, this.clockNs)));
    }
    // Sorted as `list` sorts its lines (UTF-16 code units: the C locale for ASCII).
    v4.sort();
    v6.sort();
    return (v4.length ? `${v4.join('\n')}\n` : '') + (v6.length ? `${v6.join('\n')}\n` : '');
  }

  /** Logs as the kernel's TRACE does: `TRACE: table:chain:type:rulenum ` and the packet, in LOG's format. */
  private tracerFor(t: CompiledTable, frameNo: number) {
    const par = this.par;
    const table = t.name;
    const events = this.opts.trace?.(frameNo) ? this.events : null;
    return (chain: string, kind: TraceKind, num: number): void => {
      if (kind !== 'nomatch') this.opts.printk(4, formatLogLine({ level: 4, prefix: `TRACE: ${table}:${chain}:${kind}:${num} `, flags: 0 }, this.skb, par));
      if (!events) return;
      if (kind === 'rule' || kind === 'nomatch')
        events.emit({ e: 'rule', f: frameNo, table, chain, n: num, m: kind === 'rule' ? 1 : 0, line: t.table.chains.get(chain)?.rules[num - 1]?.line ?? 0 });
      else if (kind === 'return') events.emit({ e: 'return', f: frameNo, table, chain });
      else events.emit({ e: 'policy', f: frameNo, table, chain, policy: t.table.chains.get(chain)?.policy ?? '' });
    };
  }

  private stackDrop(frameNo: number, reason: string): void {
    this.fate(FateKind.DroppedByStack, frameNo, { reason });
  }

  /** A packet leaves on `dev`: Ethernet header with the device's MAC as source. */
  private transmit(kind: FateKind, dev: NetDevice, frameNo: number): void {
    if (this.bridgeOfDev !== null) {
      const br = this.bridgeOfDev.get(dev);
      if (br) return this.brEgress(br, kind, frameNo);
    }
    const out = this.txFate;
    out.unit = dev.unit;
    if (this.opts.leavingFrames === false) {
      out.frame = undefined;
      this.fate(kind, frameNo, out);
      return;
    }
    const len = this.skb.len;
    const frame = this.txBuf.subarray(0, 14 + len);
    const mac = this.skb.mac;
    // Destination: the original frame's, when there was one (cofw keeps no neighbour table).
    if (mac) for (let i = 0; i < 6; i++) frame[i] = mac[i]!;
    else frame.fill(0xff, 0, 6);
    frame.set(dev.mac, 6);
    frame[12] = this.skb.family === Family.V6 ? 0x86 : 0x08;
    frame[13] = this.skb.family === Family.V6 ? 0xdd : 0x00;
    const data = this.skb.data;
    frame.set(data.length === len ? data : data.subarray(0, len), 14);
    out.frame = frame;
    this.fate(kind, frameNo, out);
  }

  /**
   * A packet leaving `dev` as several pieces (an IPv6 packet nf_defrag_ipv6
   * reassembled, cut again on output): each frame of the reassembled packet
   * leaves with one piece, in order; a frame left without one has an empty
   * leaving frame (its bytes went out in the others); pieces beyond the
   * frames leave as generated packets.
   */
  private transmitPieces(kind: FateKind, dev: NetDevice, frameNo: number, pieces: Uint8Array[]): void {
    const frames = this.fanout && frameNo === this.fanoutLast ? [...this.fanout.filter((n) => n !== frameNo), frameNo] : [frameNo];
    const mac = this.skb.mac;
    const frameOf = (ip: Uint8Array): Uint8Array => {
      const f = new Uint8Array(14 + ip.length);
      if (mac) f.set(mac.subarray(0, 6), 0);
      else f.fill(0xff, 0, 6);
      f.set(dev.mac, 6);
      f[12] = 0x86;
      f[13] = 0xdd;
      f.set(ip, 14);
      return f;
    };
    const fanout = this.fanout;
    this.fanout = null;
    try {
      frames.forEach((n, i) => this.fate(kind, n, { unit: dev.unit, frame: pieces[i] ? frameOf(pieces[i]) : new Uint8Array(0) }));
      for (let i = frames.length; i < pieces.length; i++) this.fate(FateKind.Generated, frameNo, { unit: dev.unit, frame: frameOf(pieces[i]!) });
    } finally {
      this.fanout = fanout;
    }
  }

  /**
   * Reports a fate. The record and its frame bytes are reused for the next
   * fate: the receiver copies what it keeps before returning.
   */
  private fate(kind: FateKind, frameNo: number, f: { unit?: number; site?: DropSite; reason?: string; frame?: Uint8Array }): void {
    const out = this.fateRec;
    out.kind = kind;
    out.frameNo = frameNo;
    out.unit = f.unit ?? -1;
    out.site = f.site;
    out.reason = f.reason;
    out.frame = f.frame;
    if (this.skb.nftrace || this.opts.trace?.(frameNo)) this.opts.printk(4, `TRACE: frame=${frameNo} ${this.describeFate(out)}`);
    if (this.opts.trace?.(frameNo)) {
      const ct = this.ct;
      this.events.emit({
        e: 'fate',
        f: frameNo,
        fate: this.describeFate(out),
        pkt: this.events.packet(this.skb),
        state: ct ? ctStateText(this.skb) : null,
        ct: ct ? ctEntryText(this.skb, (c) => ct.expiresIn(c, this.clockNs)) : null,
      });
    }
    // A packet that got through names the filter rule (or policy) that accepted it.
    if (PASSING[kind] && !f.site) out.site = this.passSite;
    this.passSite = undefined;
    if (this.copies !== null && frameNo === this.copiesFrame && kind !== FateKind.Generated && kind !== FateKind.GeneratedDropped) {
      // One copy of a frame a bridge sends out of several ports: the frame's fate is decided once all are out.
      this.copies.push({ kind, unit: out.unit, site: out.site, reason: out.reason, frame: out.frame?.slice() });
      return;
    }
    if (this.fanout && frameNo === this.fanoutLast && kind !== FateKind.Copy) {
      // A reassembled packet: each fragment shares its fate; the leaving frame goes with the last.
      for (const n of this.fanout) {
        if (n === frameNo) continue;
        out.frameNo = n;
        out.frame = undefined;
        this.opts.fate(out);
      }
      out.frameNo = frameNo;
      out.frame = f.frame;
    }
    this.opts.fate(out);
  }

  /** One line for a traced frame's fate: what became of it, and where. */
  private describeFate(f: Fate): string {
    const parts = [FATE_WORDS[f.kind]];
    if (f.site) parts.push(`${f.site.table}:${f.site.chain}:${f.site.rule === 0 ? 'policy' : `rule:${f.site.rule}`}`);
    if (f.reason) parts.push(`(${f.reason})`);
    if (f.unit >= 0) parts.push(`OUT=${this.devByUnit[f.unit]?.name ?? f.unit}`);
    return parts.join(' ');
  }
}

/** The fate details of a fate that has none. */
const NO_DETAILS: { unit?: number } = {};

/** A table's verdict in words. */
function verdictName(v: number, hotdrop: boolean): string {
  if (v === NF_ACCEPT) return 'ACCEPT';
  if (v === NF_DROP) return hotdrop ? 'DROP (a match could not read the packet)' : 'DROP';
  return `verdict ${v}`;
}

/** Fates of packets that got through (they name the filter verdict that let them). */
const PASSING: boolean[] = [];
for (const k of [FateKind.Forwarded, FateKind.Delivered, FateKind.Sent, FateKind.Generated]) PASSING[k] = true;

const FATE_WORDS: Record<FateKind, string> = {
  [FateKind.Forwarded]: 'forwarded',
  [FateKind.Delivered]: 'delivered',
  [FateKind.Sent]: 'sent',
  [FateKind.DroppedByRule]: 'dropped by rule',
  [FateKind.DroppedByPolicy]: 'dropped by policy',
  [FateKind.DroppedByStack]: 'dropped by the stack',
  [FateKind.Generated]: 'generated packet sent',
  [FateKind.GeneratedDropped]: 'generated packet dropped',
  [FateKind.Bridged]: 'bridged',
  [FateKind.FailPolicy]: 'fail policy',
  [FateKind.Outbound]: 'outbound copy, not replayed',
  [FateKind.Copy]: 'copy sent by the bridge',
};

/**
 * Can the `conntrack -L` line of `c` show an address translation (its
 * reply tuple not the mirror of its original)? False only when the line's
 * reply tuple is the mirror: the same addresses, and the ports (ICMP: the
 * id) the report compares. Protocols that print no ports count as true
 * when their numbers differ, which the report then decides from the text.
 */
function mayBeTranslated(c: Conn): boolean {
  const o = c.orig;
  const r = c.reply;
  // By the tuples' inline words: reading `src` and `dst` would make address records for every entry.
  if (!r.swapsAddressesOf(o)) return true;
  if (c.proto === 1 || c.proto === 58) return r.sport !== o.sport;
  return r.sport !== o.dport || r.dport !== o.sport;
}
