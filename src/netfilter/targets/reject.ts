/**
 * REJECT (net/ipv4/netfilter/ipt_REJECT.c, iptables extensions/libipt_REJECT.c):
 * drops the packet and answers it with an ICMP destination-unreachable
 * error or a TCP reset, built in src/packet/reject.ts.
 *
 * Parsing follows libipt_REJECT: `--reject-with` takes a type name or its
 * alias, case-insensitively, and any prefix of one (the first entry in the
 * kernel's order wins: `icmp` is icmp-net-unreachable). iptables-save always
 * prints `--reject-with <name>`, the default icmp-port-unreachable too.
 *
 * Known limitations: IP options of the original are not echoed into the
 * ICMP error (__ip_options_echo: record route, timestamp, source route);
 * the ICMP error's IP ID is a stable value cofw derives from the original,
 * where Linux uses an unpredictable one; --log-uid style socket facts and
 * the bridge (physdev) path of nf_send_reset are not modelled; ICMP rate
 * limits (icmp_ratelimit, icmp_msgs_per_sec) are not applied.
 */
import { buildIcmpError, buildTcpReset, icmpErrorId, ICMP_DEST_UNREACH } from '../../packet/reject.js';
import { Hook, NF_DROP, PacketType, RouteType, type Skb, type XtParams } from '../types.js';
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

export interface RejectConfig {
  readonly with: RejectWith;
  /** ICMP code, or -1 for a TCP reset. */
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

const IPPROTO_TCP = 6;

export const rejectTarget = defineTarget<RejectConfig>({
  name: 'REJECT',
  // This is ipt_REJECT, registered for IPv4; ip6tables has a REJECT of its
  // own (ip6t_REJECT, icmp6-* types), which cofw does not emulate yet: an
  // ip6tables rule naming REJECT is refused as not emulated, not as unknown.
  emulates: Family.V4,
  options: [{ name: 'reject-with', args: 1 }],
  // ipt_REJECT registers for the filter table and these hooks only.
  tables: ['filter'],
  hooks: hookBits(Hook.LocalIn, Hook.Forward, Hook.LocalOut),

  parse(uses) {
    let w = RejectWith.PortUnreachable;
    for (const u of uses) if (u.spec.name === 'reject-with') w = parseRejectWith(u.args[0] ?? '', u);
    return { with: w, code: w === RejectWith.TcpReset ? -1 : ICMP_CODE[w]! };
  },

  /** reject_tg_check: a reset needs `-p tcp`, not inverted. */
  check(config, ctx) {
    if (config.with === RejectWith.TcpReset && (ctx.head.proto !== IPPROTO_TCP || ctx.head.invProto)) {
      throw new CheckError('REJECT: TCP_RESET invalid for non-tcp (--reject-with tcp-reset needs -p tcp)');
    }
  },

  target(config, skb, par) {
    if (config.code < 0) sendReset(skb, par);
    else sendUnreach(skb, par, config.code);
    return NF_DROP;
  },

  save(config) {
    return `--reject-with ${rejectName(config.with)}`;
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
  if (!s.routeOutput(skb.saddr)) return;
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
  const back = s.routeOutput(skb.saddr);
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
