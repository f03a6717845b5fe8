/**
 * REJECT: drops the packet and answers it with an ICMP error or a TCP
 * reset, built in src/packet/reject.ts. Two kernel modules of one name,
 * each family's own:
 *
 * - iptables: net/ipv4/netfilter/ipt_REJECT.c, extensions/libipt_REJECT.c.
 *   `--reject-with` takes a type name or its alias, case-insensitively, and
 *   any prefix of one (the first entry in the kernel's order wins: `icmp` is
 *   icmp-net-unreachable). iptables-save always prints `--reject-with
 *   <name>`, the default icmp-port-unreachable too.
 * - ip6tables: net/ipv6/netfilter/ip6t_REJECT.c, extensions/libip6t_REJECT.c.
 *   `--reject-with` icmp6-no-route (no-route), icmp6-adm-prohibited
 *   (adm-prohibited), icmp6-addr-unreachable (addr-unreach),
 *   icmp6-port-unreachable (port-unreach, the default), tcp-reset,
 *   icmp6-policy-fail (policy-fail), icmp6-reject-route (reject-route):
 *   any prefix of a name or alias, any case, the first in that order
 *   winning (`icmp6` is icmp6-no-route, `p` port-unreachable). The ICMPv6
 *   destination-unreachable codes are 0, 1, 3, 4, 5 and 6; tcp-reset needs
 *   `-p tcp`. The reset goes from the original destination even when that
 *   is not one of the guest's addresses (FORWARD), as nf_send_reset6 sends
 *   it; the ICMPv6 error goes from the original destination when it is one
 *   of the guest's, else from an address of the input interface chosen for
 *   the original source (ipv6_dev_get_saddr).
 *
 * Both register for the filter table, INPUT, FORWARD and OUTPUT.
 *
 * Known limitations: IP options of the original are not echoed into the
 * ICMP error (__ip_options_echo: record route, timestamp, source route);
 * the ICMP error's IP ID and the ICMPv6 error's flow label are stable
 * values cofw derives from the original, where Linux uses unpredictable
 * ones; --log-uid style socket facts and the bridge (physdev) path of
 * nf_send_reset are not modelled; ICMP rate limits (icmp_ratelimit,
 * icmp_msgs_per_sec, icmpv6 ratelimit) are not applied.
 */
import { buildIcmp6Unreach, buildIcmpError, buildTcpReset, buildTcpReset6, icmpErrorId, ICMP_DEST_UNREACH, ICMPV6_DEST_UNREACH } from '../../packet/reject.js';
import { Hook, NF_DROP, PacketType, RouteType, type NetDevice, type Skb, type XtParams } from '../types.js';
import type { InetAddr } from '../../packet/inet-addr.js';
import { CheckError, defineTarget, Family, hookBits, OptionError, type OptionUse } from '../xt.js';

/** ipt_reject_with, numbered as in linux/netfilter_ipv4/ipt_REJECT.h. */
export const enum RejectWith {
  NetUnreachable = 0,
  HostUnreachable = 1,
  ProtoUnreachable = 2,
  PortUnreachable = 3,
  EchoReply = 4,
  NetProhibited = 5,
  HostProhibited = 6,
  TcpReset = 7,
  AdminProhibited = 8,
}

/** libipt_REJECT's reject_table, in its order (which decides prefix matches). */
const REJECT_TABLE: ReadonlyArray<readonly [RejectWith, string, string]> = [
  [RejectWith.NetUnreachable, 'icmp-net-unreachable', 'net-unreach'],
  [RejectWith.HostUnreachable, 'icmp-host-unreachable', 'host-unreach'],
  [RejectWith.ProtoUnreachable, 'icmp-proto-unreachable', 'proto-unreach'],
  [RejectWith.PortUnreachable, 'icmp-port-unreachable', 'port-unreach'],
  [RejectWith.NetProhibited, 'icmp-net-prohibited', 'net-prohib'],
  [RejectWith.HostProhibited, 'icmp-host-prohibited', 'host-prohib'],
  [RejectWith.TcpReset, 'tcp-reset', 'tcp-rst'],
  [RejectWith.AdminProhibited, 'icmp-admin-prohibited', 'admin-prohib'],
];

/** ICMP code sent for each type (reject_tg in ipt_REJECT.c). */
const ICMP_CODE: Record<number, number> = {
  [RejectWith.NetUnreachable]: 0, // ICMP_NET_UNREACH
  [RejectWith.HostUnreachable]: 1, // ICMP_HOST_UNREACH
  [RejectWith.ProtoUnreachable]: 2, // ICMP_PROT_UNREACH
  [RejectWith.PortUnreachable]: 3, // ICMP_PORT_UNREACH
  [RejectWith.NetProhibited]: 9, // ICMP_NET_ANO
  [RejectWith.HostProhibited]: 10, // ICMP_HOST_ANO
  [RejectWith.AdminProhibited]: 13, // ICMP_PKT_FILTERED
};

/** ip6t_reject_with, numbered as in linux/netfilter_ipv6/ip6t_REJECT.h. */
export const enum Reject6With {
  NoRoute = 0,
  AdmProhibited = 1,
  NotNeighbour = 2,
  AddrUnreach = 3,
  PortUnreach = 4,
  EchoReply = 5,
  TcpReset = 6,
  PolicyFail = 7,
  RejectRoute = 8,
}

/** libip6t_REJECT's reject_table, in its order (which decides prefix matches), with the ICMPv6 code reject_tg6 sends. */
const REJECT6_TABLE: ReadonlyArray<readonly [Reject6With, string, string, number]> = [
  [Reject6With.NoRoute, 'icmp6-no-route', 'no-route', 0], // ICMPV6_NOROUTE
  [Reject6With.AdmProhibited, 'icmp6-adm-prohibited', 'adm-prohibited', 1], // ICMPV6_ADM_PROHIBITED
  [Reject6With.AddrUnreach, 'icmp6-addr-unreachable', 'addr-unreach', 3], // ICMPV6_ADDR_UNREACH
  [Reject6With.PortUnreach, 'icmp6-port-unreachable', 'port-unreach', 4], // ICMPV6_PORT_UNREACH
  [Reject6With.TcpReset, 'tcp-reset', 'tcp-reset', -1],
  [Reject6With.PolicyFail, 'icmp6-policy-fail', 'policy-fail', 5], // ICMPV6_POLICY_FAIL
  [Reject6With.RejectRoute, 'icmp6-reject-route', 'reject-route', 6], // ICMPV6_REJECT_ROUTE
];

export interface RejectConfig {
  /** The rule file's family: ipt_REJECT's types (RejectWith) or ip6t_REJECT's (Reject6With). */
  readonly family: Family;
  readonly with: RejectWith | Reject6With;
  /** ICMP or ICMPv6 code, or -1 for a TCP reset. */
  readonly code: number;
}

/** The canonical name iptables-save prints for a reject type. */
export function rejectName(w: RejectWith): string {
  for (const [v, name] of REJECT_TABLE) if (v === w) return name;
  return 'icmp-port-unreachable';
}

function parseRejectWith(arg: string, use: OptionUse): RejectWith {
  const a = arg.toLowerCase();
  for (const [v, name, alias] of REJECT_TABLE) {
    if (name.startsWith(a) || alias.startsWith(a)) return v;
  }
  const echo = 'echo-reply'.startsWith(a) || 'echoreply'.startsWith(a);
  throw new OptionError(
    `unknown reject type "${arg}"${echo ? ' (--reject-with echo-reply no longer supported)' : ''}; valid types: ${REJECT_TABLE.map(([, n, al]) => `${n} (${al})`).join(', ')}`,
    use,
  );
}

/** libip6t_REJECT's REJECT_parse: the first entry whose name or alias begins with the text (any case). */
function parseReject6With(arg: string, use: OptionUse): readonly [Reject6With, string, string, number] {
  const a = arg.toLowerCase();
  for (const row of REJECT6_TABLE) if (row[1].startsWith(a) || row[2].startsWith(a)) return row;
  throw new OptionError(`unknown reject type "${arg}"`, use);
}

const IPPROTO_TCP = 6;
const IPPROTO_ICMPV6 = 58;

export const rejectTarget = defineTarget<RejectConfig>({
  name: 'REJECT',
  // ipt_REJECT (IPv4) and ip6t_REJECT (IPv6): each family's rules parse, save and answer as their own module does.
  options: [{ name: 'reject-with', args: 1 }],
  // Both register for the filter table and these hooks only.
  tables: ['filter'],
  hooks: hookBits(Hook.LocalIn, Hook.Forward, Hook.LocalOut),

  parse(uses, ctx) {
    if (ctx.family === Family.V6) {
      let row = REJECT6_TABLE[3]!;
      for (const u of uses) if (u.spec.name === 'reject-with') row = parseReject6With(u.args[0] ?? '', u);
      return { family: Family.V6, with: row[0], code: row[3] };
    }
    let w = RejectWith.PortUnreachable;
    for (const u of uses) if (u.spec.name === 'reject-with') w = parseRejectWith(u.args[0] ?? '', u);
    return { family: Family.V4, with: w, code: w === RejectWith.TcpReset ? -1 : ICMP_CODE[w]! };
  },

  /** reject_tg_check, reject_tg6_check: a reset needs `-p tcp`, not inverted. */
  check(config, ctx) {
    if (config.code < 0 && (ctx.head.proto !== IPPROTO_TCP || ctx.head.invProto)) {
      const v6 = config.family === Family.V6;
      throw new CheckError(`REJECT: ${v6 ? 'TCP_RESET illegal' : 'TCP_RESET invalid'} for non-tcp (--reject-with tcp-reset needs -p tcp)`);
    }
  },

  target(config, skb, par) {
    if (skb.family === Family.V6) {
      if (config.code < 0) sendReset6(skb, par);
      else sendUnreach6(skb, par, config.code);
    } else if (config.code < 0) sendReset(skb, par);
    else sendUnreach(skb, par, config.code);
    return NF_DROP;
  },

  save(config) {
    if (config.family === Family.V6) return `--reject-with ${REJECT6_TABLE.find((r) => r[0] === config.with)![1]}`;
    return `--reject-with ${rejectName(config.with as RejectWith)}`;
  },
});

function isBroadcastOrMulticast(t: RouteType): boolean {
  return t === RouteType.Broadcast || t === RouteType.Multicast;
}

/**
 * nf_send_reset's routing rules: nothing when the original's route is
 * broadcast or multicast (rt_flags RTCF_BROADCAST | RTCF_MULTICAST), nothing
 * when ip_route_me_harder finds no way back. The TCP checksum is not checked
 * in OUTPUT (CHECKSUM_PARTIAL).
 */
function sendReset(skb: Skb, par: XtParams): void {
  const s = par.services;
  if (skb.fragoff !== 0 || skb.protocol !== IPPROTO_TCP) return;
  if (isBroadcastOrMulticast(s.addrType(skb.daddr, null))) return;
  const ip = buildTcpReset(skb.data.subarray(0, skb.len), { verifyChecksum: par.hook !== Hook.LocalOut });
  if (!ip) return;
  if (!s.routeOutput(skb.saddr, skb.mark)) return;
  s.sendLocal(ip, skb);
}

/**
 * icmp_send's routing rules: nothing for a frame that was not addressed to
 * this host at the link layer (pkt_type != PACKET_HOST), nothing when the
 * route is broadcast or multicast, nothing without a route back. The source
 * is the original destination when that is a local address (RTCF_LOCAL);
 * otherwise saddr 0 and routing picks it (icmp_errors_use_inbound_ifaddr
 * is 0), falling back to 192.0.0.8 (INADDR_DUMMY).
 */
function sendUnreach(skb: Skb, par: XtParams, code: number): void {
  const s = par.services;
  if (skb.fragoff !== 0) return;
  if (skb.pktType !== PacketType.Host) return;
  const dtype = s.addrType(skb.daddr, null);
  if (isBroadcastOrMulticast(dtype)) return;
  const back = s.routeOutput(skb.saddr, skb.mark);
  if (!back) return;
  let saddr = dtype === RouteType.Local ? skb.daddr : s.selectSource(skb.saddr) >>> 0;
  if (saddr === 0) saddr = 0xc0000008;
  const orig = skb.data.subarray(0, skb.len);
  const ip = buildIcmpError(orig, ICMP_DEST_UNREACH, code, saddr, {
    id: icmpErrorId(orig),
    mtu: back.mtu,
    verifyChecksum: par.hook !== Hook.LocalOut,
  });
  if (ip) s.sendLocal(ip, skb);
}

/** The route a reply to an IPv6 packet takes, with its flow (routeOutput6), or the plain route to `daddr` without one. */
function replyRoute6(
  s: XtParams['services'],
  daddr: InetAddr,
  saddr: InetAddr | null,
  mark: number,
  proto: number,
  sport: number,
  dport: number,
): { readonly type: RouteType; readonly dev: NetDevice | null } {
  return s.routeOutput6 ? s.routeOutput6(daddr, saddr, mark, proto, sport, dport) : s.route(daddr);
}

/**
 * nf_send_reset6's routing: nothing when there is no route back to the
 * original source (ip6_route_output fails): the reset's own flow (from the
 * original destination, TCP, the ports swapped) with IP6_REPLY_MARK of the
 * packet's mark, so policy rules on fwmark, source, protocol or ports
 * decide, as in the kernel. The packet rules (unicast addresses, TCP, no
 * RST, checksum except in OUTPUT) are buildTcpReset6's.
 */
function sendReset6(skb: Skb, par: XtParams): void {
  const s = par.services;
  const ip = buildTcpReset6(skb.data.subarray(0, skb.len), { verifyChecksum: par.hook !== Hook.LocalOut });
  if (!ip) return;
  // The reset's ports: the original's swapped (read from the reset just built: 40-byte header, no extensions).
  const sport = (ip[40]! << 8) | ip[41]!;
  const dport = (ip[42]! << 8) | ip[43]!;
  if (!replyRoute6(s, skb.src, skb.dst, skb.mark, IPPROTO_TCP, sport, dport).dev) return;
  s.sendLocal(ip, skb);
}

/**
 * icmp6_send's rules about addresses and routing: nothing for a frame not
 * addressed to this host at the link layer (pkt_type != PACKET_HOST) or to a
 * multicast destination, nothing from an unspecified or multicast source,
 * nothing without a route back. The source is the original destination
 * when that is one of the guest's addresses (or anycast); otherwise the
 * address ipv6_dev_get_saddr picks on the input interface (in OUTPUT, on
 * the route back's device), and nothing when there is none.
 */
function sendUnreach6(skb: Skb, par: XtParams, code: number): void {
  const s = par.services;
  const d = skb.data;
  if (skb.pktType !== PacketType.Host) return;
  const dtype = s.route(skb.dst).type;
  const own = dtype === RouteType.Local || dtype === RouteType.Anycast;
  // icmp6_send's flow: ICMPv6, its type and code where the ports would be (fl6_icmp_type, fl6_icmp_code
  // overlay the destination port), IP6_REPLY_MARK of the packet's mark, and as source the original
  // destination when it is the machine's, else the input interface's choice (none yet in OUTPUT).
  const pre = own ? skb.dst : par.inDev ? s.sourceAddress(par.inDev, skb.src) : null;
  const back = replyRoute6(s, skb.src, pre, skb.mark, IPPROTO_ICMPV6, 0, (ICMPV6_DEST_UNREACH << 8) | code);
  if (!back.dev) return;
  const saddr = own ? skb.dst.clone() : (pre ?? s.sourceAddress(back.dev, skb.src));
  if (!saddr) return;
  const ip = buildIcmp6Unreach(d.subarray(0, skb.len), code, saddr, { verifyChecksum: par.hook !== Hook.LocalOut });
  if (ip) s.sendLocal(ip, skb);
}
