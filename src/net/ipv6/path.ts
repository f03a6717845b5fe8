/**
 * The guest's IPv6 path, as net/ipv6/ip6_input.c, ip6_forward and
 * ip6_output run it for netfilter, on the shared core of the stack (hooks,
 * conntrack, fates, transmission):
 *
 *   received:  ip6_rcv_core checks (version, loopback only on lo, no
 *              multicast of scope 1 from outside nor of scope 0, source
 *              not multicast, payload length, hop-by-hop header) -> PREROUTING
 *              (with conntrack, nf_defrag_ipv6 reassembles first) -> route:
 *              local:   INPUT -> delivered (multicast: only groups the
 *                       interfaces joined: all-nodes ff02::1, ff01::1,
 *                       all-routers ff01::2, ff02::2, ff05::2 and each
 *                       address's solicited-node group)
 *              (a link-local destination only by a route on the
 *              receiving interface; no route: ICMPv6 no route)
 *              forward: not PACKET_HOST -> drop; hop limit <= 1 -> drop
 *                       (the kernel's time-exceeded is not generated); out
 *                       of another interface: source unspecified, multicast
 *                       or loopback -> drop, link-local -> ICMPv6 beyond
 *                       scope, drop; larger than the output MTU -> ICMPv6
 *                       packet too big, drop (IPv6 routers never
 *                       fragment; a packet nf_defrag_ipv6 reassembled is
 *                       judged by its largest fragment, and leaves cut as it
 *                       came); hop limit - 1 -> FORWARD -> POSTROUTING -> out
 *   local out: route -> OUTPUT -> POSTROUTING -> out (or looped back in)
 *
 * Without conntrack, fragments reach INPUT one by one: the kernel
 * reassembles IPv6 for local delivery only after the INPUT hook (the
 * fragment header is a protocol handler), unlike IPv4.
 */
import { Family, InetAddr } from '../../packet/inet-addr.js';
import { buildIcmp6Error } from '../../packet/reject.js';
import { FateKind } from '../../netfilter/fate.js';
import { Hook, PacketType, RouteType, type NetDevice, type Skb } from '../../netfilter/types.js';
import type { Fib } from '../fib.js';
import { flowPort } from '../policy.js';
import { Ipv6Defrag, refragment, type Expired, type Ipv6ReasmStats, type Whole } from './defrag.js';
import { gsoFits, markGro } from '../gro.js';

/** What the IPv6 path needs of the stack it runs on. */
export interface StackCore {
  readonly skb: Skb;
  readonly fib: Fib;
  readonly lo: NetDevice;
  /** Connection tracking runs (nf_defrag_ipv6 reassembles before it). */
  readonly tracking: boolean;
  clock(): number;
  /** Did mangle OUTPUT reroute the packet in hand (ip6_route_me_harder)? `clear`: forget it (a new packet starts its way). */
  rerouted(clear: boolean): boolean;
  /** Runs the tables (and conntrack) of `hook` for the loaded packet; false when it was dropped (fate given). */
  hook(hook: Hook, inDev: NetDevice | null, outDev: NetDevice | null, frameNo: number, generated?: boolean): boolean;
  /** nf_conntrack_confirm; false when dropped (fate given). */
  confirm(frameNo: number, generated?: boolean): boolean;
  /** Resets the packet's conntrack fields (a new packet starts its way). */
  resetCt(): void;
  stackDrop(frameNo: number, reason: string): void;
  delivered(frameNo: number, unit?: number): void;
  transmit(kind: FateKind, dev: NetDevice, frameNo: number): void;
  /** Runs `go` with the fates of a reassembled packet fanned out to each of its fragments. */
  asWhole(frames: number[], last: number, go: () => void): void;
  /**
   * An ICMPv6 error the stack sends (about frame `frameNo`): it leaves through OUTPUT after the packet at
   * hand; `related`: RELATED to the connection of the packet loaded now (the kernel attaches its entry).
   */
  sendIcmp6(ip: Uint8Array, frameNo: number, related: boolean, mark: number): void;
  /** Like transmit, the packet leaving as `pieces` (fragments of it): one with each frame of the reassembled packet. */
  transmitPieces(kind: FateKind, dev: NetDevice, frameNo: number, pieces: Uint8Array[]): void;
  /** A packet that entered by a bridge port is about to cross PREROUTING (br_netfilter): the bridge notes its destination. */
  bridgeIn?(): void;
  /** ... and has crossed it: the bridge takes it on (br_nf_pre_routing_finish_ipv6). */
  bridgeOn?(frameNo: number): void;
}

/** Stack drop reasons of the IPv6 path, named after the kernel's SKB_DROP_REASON_* and counters. */
export const Ipv6Reason = {
  tooShort: 'PKT_TOO_SMALL (IPv6 payload length beyond the packet)',
  headerShort: 'IP_INHDR (IPv6 header cut short)',
  badVersion: 'UNHANDLED_PROTO (IPv6 header of another version)',
  badHeader: 'IP_INHDR (IPv6 header)',
  multicastSource: 'IP_INHDR (IPv6 multicast source)',
  loopback: 'IP_INHDR (IPv6 loopback address from outside)',
  interfaceLocal: 'IP_INHDR (IPv6 interface-local multicast from outside)',
  scopeZero: 'IP_INHDR (IPv6 multicast of reserved scope 0)',
  badSource: 'IP_INADDRERRORS (IPv6 source not forwarded)',
  noRoute: 'IP_INNOROUTES (IPv6)',
  blackhole: 'NOT_SPECIFIED (IPv6 blackhole route or rule)',
  prohibited: 'IP_INNOROUTES (IPv6 prohibit route or rule: administratively prohibited)',
  rerouteFailed: 'ip6_route_me_harder: no route after OUTPUT changed the packet',
  notForUs: 'OTHERHOST (not for this host)',
  hopLimit: 'IP_INHDR (hop limit expired in transit)',
  tooBig: 'PKT_TOO_BIG (IPv6 packets are not fragmented on the way)',
  linkLocal: 'IPV6 link-local address not forwarded',
  multicastNotJoined: 'NOT_SPECIFIED (IPv6 multicast group not joined)',
  badExtHeader: 'IP_INHDR (IPv6 extension headers)',
  badHopOpts: 'IP_INHDR (IPv6 hop-by-hop options)',
  unknownHopOpt: 'UNHANDLED_PROTO (IPv6 unknown hop-by-hop option)',
} as const;

/** ICMPv6 parameter problem and its codes (linux/icmpv6.h). */
const ICMPV6_PARAMPROB = 4;
const ICMPV6_UNK_OPTION = 2;
const ICMPV6_TIME_EXCEED = 3;
const ICMPV6_EXC_FRAGTIME = 1;
const ICMPV6_DEST_UNREACH = 1;
const ICMPV6_NOROUTE = 0;
const ICMPV6_NOT_NEIGHBOUR = 2;
const ICMPV6_ADM_PROHIBITED = 1;
const ICMPV6_PKT_TOOBIG = 2;

/**
 * ipv6_parse_hopopts and ip6_parse_tlv(hopbyhop) for a packet whose first
 * header is hop-by-hop options: undefined when it may go on, else why it is
 * dropped and, for an unknown option whose type asks for it (its two high
 * bits 10, or 11 to a unicast destination), the offset of that option for
 * the ICMPv6 parameter problem. Padding is at most 7 bytes in a row and
 * PadN's bytes are zeros (RFC 4942); router alert is 2 bytes of data; at
 * most 8 options that are not padding (max_hbh_opts_cnt). The other options
 * the kernel knows (jumbo payload, CALIPSO, IOAM) are taken as valid.
 */
export function parseHopOpts(ip: Uint8Array, len: number): { reason: string; pointer?: number } | undefined {
  if (48 > len) return { reason: Ipv6Reason.badHopOpts };
  const hlen = (ip[41]! + 1) << 3;
  if (40 + hlen > len) return { reason: Ipv6Reason.badHopOpts };
  let off = 42;
  let left = hlen - 2;
  let padlen = 0;
  let count = 0;
  while (left > 0) {
    const t = ip[off]!;
    if (t === 0) {
      if (++padlen > 7) return { reason: Ipv6Reason.badHopOpts };
      off++;
      left--;
      continue;
    }
    if (left < 2) return { reason: Ipv6Reason.badHopOpts };
    const optlen = ip[off + 1]! + 2;
    if (optlen > left) return { reason: Ipv6Reason.badHopOpts };
    if (t === 1) {
      padlen += optlen;
      if (padlen > 7) return { reason: Ipv6Reason.badHopOpts };
      for (let i = 2; i < optlen; i++) if (ip[off + i] !== 0) return { reason: Ipv6Reason.badHopOpts };
    } else {
      if (++count > 8) return { reason: Ipv6Reason.badHopOpts };
      if (t === 5) {
        if (optlen !== 4) return { reason: Ipv6Reason.badHopOpts };
      } else if (t !== 0xc2 && t !== 7 && t !== 0x31) {
        const action = t >> 6;
        if (action === 2 || (action === 3 && ip[24] !== 0xff)) return { reason: Ipv6Reason.unknownHopOpt, pointer: off };
        if (action !== 0) return { reason: Ipv6Reason.unknownHopOpt };
      }
      padlen = 0;
    }
    off += optlen;
    left -= optlen;
  }
  return undefined;
}

function word(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function isMulticast(a: { w0: number }): boolean {
  return a.w0 >>> 24 === 0xff;
}

function isLinkLocal(a: { w0: number }): boolean {
  return a.w0 >>> 22 === 0x3fa; // fe80::/10
}

function isLoopback(a: { w0: number; w1: number; w2: number; w3: number }): boolean {
  return a.w0 === 0 && a.w1 === 0 && a.w2 === 0 && a.w3 === 1;
}

export class Ipv6Path {
  /** Ip6ReasmReqds, Ip6ReasmOKs, Ip6ReasmFails, Ip6ReasmTimeout: both reassemblies count into them. */
  readonly reasmStats: Ipv6ReasmStats = { reasmReqds: 0, reasmOKs: 0, reasmFails: 0, reasmTimeout: 0 };
  /** nf_defrag_ipv6, before conntrack. */
  private readonly defrag = new Ipv6Defrag('conntrack', this.reasmStats);
  /** The stack's reassembly of what is delivered (ipv6_frag_rcv, after INPUT): counted, its verdicts silent. */
  private readonly localReasm = new Ipv6Defrag('local', this.reasmStats);

  /** The packet nf_defrag_ipv6 reassembled that is on its way (IP6CB(skb)->frag_max_size and its pieces), else null. */
  private whole: Whole | null = null;

  constructor(private readonly core: StackCore) {}

  /**
   * ip6_rcv_core's checks, in its order; a drop reason or undefined. `ip`
   * starts at the IPv6 header. All count Ip6InHdrErrors but a payload
   * length beyond the packet (Ip6InTruncatedPkts). An IPv4-mapped source
   * (::ffff:0:0/96) passes: the kernel checks it only in TCP's connection
   * request.
   */
  validate(ip: Uint8Array, dev: NetDevice, truncated: boolean): string | undefined {
    if (ip.length < 40) return Ipv6Reason.headerShort;
    if (ip[0]! >> 4 !== 6) return Ipv6Reason.badVersion;
    const s0 = word(ip, 8);
    const d0 = word(ip, 24);
    const fromOutside = dev !== this.core.lo;
    const loop = (o: number): boolean => ip.subarray(o, o + 15).every((b) => b === 0) && ip[o + 15] === 1;
    if (fromOutside && (loop(8) || loop(24))) return Ipv6Reason.loopback;
    // Multicast of interface-local scope (1) does not come from another node; of reserved scope (0) from nowhere.
    if (fromOutside && d0 >>> 24 === 0xff && ((d0 >>> 16) & 0xf) === 1) return Ipv6Reason.interfaceLocal;
    if (d0 >>> 24 === 0xff && ((d0 >>> 16) & 0xf) === 0) return Ipv6Reason.scopeZero;
    if (s0 >>> 24 === 0xff) return Ipv6Reason.multicastSource;
    const plen = (ip[4]! << 8) | ip[5]!;
    if (plen === 0 && ip[6] === 0) return Ipv6Reason.badHeader; // jumbograms are not emulated
    if (40 + plen > ip.length && !truncated) return Ipv6Reason.tooShort;
    return undefined;
  }

  /** A received IPv6 packet (`ip` trimmed to its length by the caller's validation). */
  receive(ip: Uint8Array, dev: NetDevice, mac: Uint8Array | null, pktType: PacketType, frameNo: number, physIn: NetDevice | null = null): void {
    const core = this.core;
    // ip6_rcv_core: hop-by-hop options are read before PREROUTING; an unknown option may ask for a parameter problem.
    if (ip[6] === 0) {
      const bad = parseHopOpts(ip, ip.length);
      if (bad) {
        if (bad.pointer !== undefined) this.sendError(ip, dev, pktType, ICMPV6_PARAMPROB, ICMPV6_UNK_OPTION, bad.pointer, frameNo);
        return core.stackDrop(frameNo, bad.reason);
      }
    }
    const skb = core.skb.loadV6(ip).begin(mac, pktType, frameNo);
    skb.physIn = physIn;
    if ((physIn ?? dev).gro) markGro(skb, physIn ?? dev);
    // A malformed extension header chain still reaches the rules (whose -p then matches nothing);
    // the kernel notices it only when a protocol handler reads the chain, after INPUT.
    // nf_defrag_ipv6 takes every packet whose chain leads to a fragment header (find_prev_fhdr), whatever follows it.
    if (core.tracking && skb.ext.fragment && skb.ext.fragHdr >= 0) {
      // nf_defrag_ipv6 at -400: the fragments wait for their whole packet.
      const done = this.defrag.add(skb, dev, frameNo, core.clock());
      if (done.dropped) for (const f of done.dropped) if (f !== frameNo || !done.pass) core.stackDrop(f, done.reason);
      if (done.pass) return this.prerouting(dev, frameNo);
      if (!done.whole) return;
      const whole = done.whole;
      core.asWhole(whole.frames, frameNo, () => {
        core.skb.loadV6(whole.packet).begin(whole.mac, whole.pktType, frameNo).physIn = physIn;
        this.whole = whole;
        try {
          this.prerouting(whole.dev, frameNo);
        } finally {
          this.whole = null;
        }
      });
      return;
    }
    this.prerouting(dev, frameNo);
  }

  /** Ends the run: fragments still waiting are dropped. */
  finish(): void {
    for (const f of this.defrag.flush()) this.core.stackDrop(f, 'FRAG_REASM_TIMEOUT (IPv6)');
    this.localReasm.flush();
  }

  /**
   * The clock moved: queues older than 60 s (ip6frag_time) expire. When
   * nf_defrag_ipv6's queue held its first fragment, the kernel sends an
   * ICMPv6 time exceeded about it (ip6frag_expire_frag_queue), which goes
   * through OUTPUT. The stack's own queues are only counted: their frames
   * were delivered, and what it would send about them comes after INPUT
   * (see README: the oracle's stack is silent).
   */
  expire(nowNs: number): void {
    // Called for every frame: an index loop (no iterator) over what is usually the shared empty answer.
    const expired = this.defrag.expire(nowNs);
    for (let i = 0; i < expired.length; i++) {
      const q = expired[i]!;
      for (const f of q.frames) this.core.stackDrop(f, 'FRAG_REASM_TIMEOUT (IPv6)');
      this.timeExceeded(q);
    }
    this.localReasm.expire(nowNs);
  }

  private timeExceeded(q: Expired): void {
    if (!q.head) return;
    this.sendError(q.head, q.dev, q.pktType, ICMPV6_TIME_EXCEED, ICMPV6_EXC_FRAGTIME, 0, q.frames[0] ?? 0);
  }

  /**
   * icmp6_send about `orig` (received on `dev`): from the original
   * destination when it is one of the firewall's addresses, else from the
   * address the route back to the sender chooses.
   */
  private sendError(
    orig: Uint8Array,
    dev: NetDevice,
    pktType: PacketType,
    type: number,
    code: number,
    info: number,
    frameNo: number,
    related = false,
    mark = 0,
  ): void {
    const core = this.core;
    if (orig.length < 40) return;
    const dst = InetAddr.v6(word(orig, 24), word(orig, 28), word(orig, 32), word(orig, 36));
    const src = InetAddr.v6(word(orig, 8), word(orig, 12), word(orig, 16), word(orig, 20));
    let saddr: InetAddr | undefined = !isMulticast(dst) && core.fib.isLocal(dst) ? dst : undefined;
    if (!saddr) {
      // A link-local sender is answered on the interface it came from (icmp6_iif).
      const back = isLinkLocal(src) ? dev : (core.fib.lookup(src).dev ?? dev);
      saddr = core.fib.selectSource(back, src);
    }
    if (!saddr) return;
    const out = buildIcmp6Error(orig, type, code, info, saddr, { toHost: pktType === PacketType.Host });
    if (out) core.sendIcmp6(out, frameNo, related, mark);
  }

  private prerouting(dev: NetDevice, frameNo: number): void {
    const core = this.core;
    core.resetCt();
    // br_nf_pre_routing_ipv6: a packet that entered by a bridge port crosses PREROUTING as the bridge's, then goes back to it.
    const bridged = core.skb.physIn !== null;
    if (bridged) core.bridgeIn?.();
    if (!core.hook(Hook.PreRouting, dev, null, frameNo)) return;
    if (bridged && core.bridgeOn) return core.bridgeOn(frameNo);
    this.routeInput(dev, frameNo);
  }

  /** A packet the bridge `dev` passes up, its PREROUTING done (ip_sabotage_in): routed from here. */
  routeBridged(dev: NetDevice, frameNo: number): void {
    this.routeInput(dev, frameNo);
  }

  /** ip6_route_input: local, joined multicast, or forward. */
  private routeInput(dev: NetDevice, frameNo: number): void {
    const core = this.core;
    const skb = core.skb;
    const dst = skb.dst;
    if (isMulticast(dst)) {
      if (this.joined(dev)) return this.localDeliver(dev, frameNo);
      return core.stackDrop(frameNo, Ipv6Reason.multicastNotJoined);
    }
    const v6 = core.fib.v6;
    const rt = v6.policy === null ? v6.lookup(dst) : v6.input(dst, skb.src, skb.mark, dev, skb.protocol, flowPort(skb, 0), flowPort(skb, 2));
    if (rt.type === RouteType.Local || rt.type === RouteType.Anycast) return this.localDeliver(dev, frameNo);
    // A blackhole route or rule discards the packet silently (dst_discard).
    if (rt.type === RouteType.Blackhole) return core.stackDrop(frameNo, Ipv6Reason.blackhole);
    // A link-local destination is looked up on the receiving interface only (rt6_need_strict);
    // no route: ip6_pkt_drop answers "no route to destination" (a prohibit route or rule: "administratively prohibited").
    if (rt.type !== RouteType.Unicast || !rt.dev || (isLinkLocal(dst) && rt.dev !== dev)) {
      const prohibit = rt.type === RouteType.Prohibit;
      this.sendError(
        skb.data.subarray(0, skb.len),
        dev,
        skb.pktType,
        ICMPV6_DEST_UNREACH,
        prohibit ? ICMPV6_ADM_PROHIBITED : ICMPV6_NOROUTE,
        0,
        frameNo,
        true,
        skb.mark,
      );
      return core.stackDrop(frameNo, prohibit ? Ipv6Reason.prohibited : Ipv6Reason.noRoute);
    }
    this.forward(dev, rt.dev, frameNo);
  }

  /**
   * Multicast groups an interface has joined: all-nodes, each address's
   * solicited-node group and, as the firewall is a router (forwarding on:
   * addrconf's dev_forward_change), the all-routers groups of interface,
   * link and site scope.
   */
  private joined(dev: NetDevice): boolean {
    const d = this.core.skb.dst;
    // ff01::1 and ff02::1 (all nodes); ff01::2, ff02::2 and ff05::2 (all routers).
    if (d.w1 === 0 && d.w2 === 0) {
      if ((d.w0 === 0xff010000 || d.w0 === 0xff020000) && (d.w3 === 1 || d.w3 === 2)) return true;
      if (d.w0 === 0xff050000 && d.w3 === 2) return true;
    }
    // ff02::1:ffXX:XXXX for each of the interface's addresses.
    if (d.w0 === 0xff020000 && d.w1 === 0 && d.w2 === 1 && d.w3 >>> 24 === 0xff) {
      for (const a of dev.addrs) if (a.addr.family === Family.V6 && (a.addr.w3 & 0xffffff) === (d.w3 & 0xffffff)) return true;
    }
    return false;
  }

  private localDeliver(dev: NetDevice, frameNo: number): void {
    const core = this.core;
    if (!core.hook(Hook.LocalIn, dev, null, frameNo)) return;
    if (!core.confirm(frameNo)) return;
    // ipv6_frag_rcv: counted; what it decides is the stack's own business, after INPUT.
    if (core.skb.ext.fragment && core.skb.ext.fragHdr >= 0) this.localReasm.add(core.skb, dev, frameNo, core.clock());
    if (core.skb.protocol < 0) return core.stackDrop(frameNo, Ipv6Reason.badExtHeader);
    core.delivered(frameNo);
  }

  private forward(inDev: NetDevice, outDev: NetDevice, frameNo: number): void {
    const core = this.core;
    const skb = core.skb;
    if (skb.pktType !== PacketType.Host) return core.stackDrop(frameNo, Ipv6Reason.notForUs);
    const ip = skb.data;
    if (ip[7]! <= 1) return core.stackDrop(frameNo, Ipv6Reason.hopLimit);
    const src = skb.src;
    // Leaving by the interface it came in on, it would be redirected (the oracle's stack sends no
    // redirect) and its source is not checked; else a link-local source is "beyond scope".
    if (outDev !== inDev) {
      if (src.isZero() || isMulticast(src) || isLoopback(src)) return core.stackDrop(frameNo, Ipv6Reason.badSource);
      if (isLinkLocal(src)) {
        this.sendError(ip.subarray(0, skb.len), inDev, skb.pktType, ICMPV6_DEST_UNREACH, ICMPV6_NOT_NEIGHBOUR, 0, frameNo, true, skb.mark);
        return core.stackDrop(frameNo, Ipv6Reason.linkLocal);
      }
    }
    // ip6_pkt_too_big: a reassembled packet is judged by its largest fragment, a GRO super-packet by its segments.
    const whole = this.whole;
    if (whole ? whole.maxSize > outDev.mtu : skb.totLen > outDev.mtu && !gsoFits(skb, outDev.mtu)) {
      this.sendError(ip.subarray(0, skb.len), inDev, skb.pktType, ICMPV6_PKT_TOOBIG, 0, Math.max(outDev.mtu, 1280), frameNo, true, skb.mark);
      return core.stackDrop(frameNo, Ipv6Reason.tooBig);
    }
    ip[7] = ip[7]! - 1;
    if (!core.hook(Hook.Forward, inDev, outDev, frameNo)) return;
    if (!core.hook(Hook.PostRouting, null, outDev, frameNo)) return;
    if (!core.confirm(frameNo)) return;
    // ip6_finish_output: larger than its largest fragment or the MTU, it leaves in fragments again.
    if (whole && (skb.len > whole.maxSize || skb.len > outDev.mtu)) {
      const pieces = refragment(skb.data.subarray(0, skb.len), whole, Math.min(whole.maxSize, outDev.mtu));
      if (pieces) return core.transmitPieces(FateKind.Forwarded, outDev, frameNo, pieces);
    }
    core.transmit(FateKind.Forwarded, outDev, frameNo);
  }

  /** A locally generated IPv6 packet (its source is one of the guest's addresses). */
  output(ip: Uint8Array, frameNo: number): void {
    const core = this.core;
    const skb = core.skb.loadV6(ip).begin(null, PacketType.Host, frameNo);
    core.resetCt();
    if (skb.protocol < 0) return core.stackDrop(frameNo, Ipv6Reason.badExtHeader);
    const dst = skb.dst;
    const outDev = this.outputDevice(frameNo);
    if (!outDev) return;
    const before = dst.clone();
    core.rerouted(true);
    if (!core.hook(Hook.LocalOut, null, outDev, frameNo)) return;
    let rerouted = core.rerouted(true);
    // DNAT in OUTPUT: nf_nat_ipv6_local_fn routes the packet again (ip6_route_me_harder).
    if (!rerouted && !skb.dst.equals(before)) rerouted = true;
    if (rerouted) return this.outputAgain(frameNo);
    this.outputFinish(outDev, frameNo);
  }

  /** The device a packet the machine sends leaves by (multicast: the source's), or null and a drop. */
  private outputDevice(frameNo: number): NetDevice | null {
    const core = this.core;
    const skb = core.skb;
    const dst = skb.dst;
    let outDev: NetDevice | null;
    if (isMulticast(dst)) outDev = core.fib.deviceFor(skb.src) ?? null;
    else {
      const v6 = core.fib.v6;
      const rt = v6.policy === null ? v6.lookup(dst) : v6.output(dst, skb.src, skb.mark, skb.protocol, flowPort(skb, 0), flowPort(skb, 2));
      outDev = rt.dev;
      if (!outDev)
        core.stackDrop(
          frameNo,
          rt.type === RouteType.Blackhole ? Ipv6Reason.blackhole : rt.type === RouteType.Prohibit ? Ipv6Reason.prohibited : Ipv6Reason.noRoute,
        );
      return outDev;
    }
    if (!outDev) core.stackDrop(frameNo, Ipv6Reason.noRoute);
    return outDev;
  }

  private outputAgain(frameNo: number): void {
    const outDev = this.outputDevice(frameNo);
    if (outDev) this.outputFinish(outDev, frameNo);
  }

  private outputFinish(outDev: NetDevice, frameNo: number): void {
    const core = this.core;
    const skb = core.skb;
    if (!core.hook(Hook.PostRouting, null, outDev, frameNo)) return;
    if (!core.confirm(frameNo)) return;
    if (outDev === core.lo) {
      skb.pktType = PacketType.Host;
      if (!core.hook(Hook.PreRouting, core.lo, null, frameNo)) return;
      if (!core.hook(Hook.LocalIn, core.lo, null, frameNo)) return;
      if (!core.confirm(frameNo)) return;
      core.delivered(frameNo, -1);
      return;
    }
    core.transmit(FateKind.Sent, outDev, frameNo);
  }
}
