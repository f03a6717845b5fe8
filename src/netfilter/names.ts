/**
 * Protocol names as iptables resolves and prints them. iptables consults its
 * own short list first (tcp, udp, udplite, icmp, esp, ah, sctp, all) and then
 * /etc/protocols; cofw carries Debian's /etc/protocols so results do not
 * depend on the machine it runs on.
 */

const PROTOCOLS: ReadonlyArray<readonly [string, number]> = [
  ['tcp', 6],
  ['udp', 17],
  ['udplite', 136],
  ['icmp', 1],
  ['esp', 50],
  ['ah', 51],
  ['sctp', 132],
  ['igmp', 2],
  ['ggp', 3],
  ['ipencap', 4],
  ['st', 5],
  ['egp', 8],
  ['igp', 9],
  ['pup', 12],
  ['hmp', 20],
  ['xns-idp', 22],
  ['rdp', 27],
  ['iso-tp4', 29],
  ['dccp', 33],
  ['xtp', 36],
  ['ddp', 37],
  ['idpr-cmtp', 38],
  ['ipv6', 41],
  ['ipv6-route', 43],
  ['ipv6-frag', 44],
  ['idrp', 45],
  ['rsvp', 46],
  ['gre', 47],
  ['skip', 57],
  ['ipv6-icmp', 58],
  ['ipv6-nonxt', 59],
  ['ipv6-opts', 60],
  ['rspf', 73],
  ['vmtp', 81],
  ['eigrp', 88],
  ['ospf', 89],
  ['ax.25', 93],
  ['ipip', 94],
  ['etherip', 97],
  ['encap', 98],
  ['pim', 103],
  ['ipcomp', 108],
  ['vrrp', 112],
  ['l2tp', 115],
  ['isis', 124],
  ['fc', 133],
  ['mobility-header', 135],
  ['manet', 138],
  ['hip', 139],
  ['shim6', 140],
  ['wesp', 141],
  ['rohc', 142],
  ['ethernet', 143],
];

const BY_NAME = new Map<string, number>(PROTOCOLS.map(([n, v]) => [n, v]));
// Aliases /etc/protocols lists in its third column, and iptables' own short names (xtables_chain_protos: ipv6-mh).
for (const [alias, v] of [
  ['icmpv6', 58],
  ['ipv6-icmp', 58],
  ['ipip', 4],
  ['mh', 135],
  ['ipv6-mh', 135],
  ['udp-lite', 136],
] as const) {
  if (!BY_NAME.has(alias)) BY_NAME.set(alias, v);
}
const BY_NUMBER = new Map<number, string>();
for (const [n, v] of PROTOCOLS) if (!BY_NUMBER.has(v)) BY_NUMBER.set(v, n);

/**
 * Parses `-p` text: a name, a number, or `all`/`0` (any). Returns undefined
 * for unknown names. Names are case-insensitive, as in iptables.
 */
export function parseProtocol(text: string): number | undefined {
  const t = text.toLowerCase();
  if (t === 'all') return 0;
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    return n <= 255 ? n : undefined;
  }
  return BY_NAME.get(t);
}

/** The name iptables-save prints for a protocol number (number when unnamed). */
export function protocolName(proto: number): string {
  return BY_NUMBER.get(proto) ?? String(proto);
}

/**
 * Debian's /etc/protocols (netbase) in full: each line's name, number and
 * aliases, for the lookups iptables makes with getprotobyname (exact,
 * case-sensitive, name or alias).
 */
const ETC_PROTOCOLS =
  'ip 0 IP|hopopt 0 HOPOPT|icmp 1 ICMP|igmp 2 IGMP|ggp 3 GGP|ipencap 4 IP-ENCAP|st 5 ST|tcp 6 TCP|egp 8 EGP|igp 9 IGP|pup 12 PUP|udp 17 UDP|' +
  'hmp 20 HMP|xns-idp 22 XNS-IDP|rdp 27 RDP|iso-tp4 29 ISO-TP4|dccp 33 DCCP|xtp 36 XTP|ddp 37 DDP|idpr-cmtp 38 IDPR-CMTP|ipv6 41 IPv6|' +
  'ipv6-route 43 IPv6-Route|ipv6-frag 44 IPv6-Frag|idrp 45 IDRP|rsvp 46 RSVP|gre 47 GRE|esp 50 IPSEC-ESP|ah 51 IPSEC-AH|skip 57 SKIP|' +
  'ipv6-icmp 58 IPv6-ICMP|ipv6-nonxt 59 IPv6-NoNxt|ipv6-opts 60 IPv6-Opts|rspf 73 RSPF CPHB|vmtp 81 VMTP|eigrp 88 EIGRP|ospf 89 OSPFIGP|' +
  'ax.25 93 AX.25|ipip 94 IPIP|etherip 97 ETHERIP|encap 98 ENCAP|pim 103 PIM|ipcomp 108 IPCOMP|vrrp 112 VRRP|l2tp 115 L2TP|isis 124 ISIS|' +
  'sctp 132 SCTP|fc 133 FC|mobility-header 135 Mobility-Header|udplite 136 UDPLite|mpls-in-ip 137 MPLS-in-IP|manet 138|hip 139 HIP|' +
  'shim6 140 Shim6|wesp 141 WESP|rohc 142 ROHC|ethernet 143 Ethernet|mptcp 262 MPTCP';

const GETPROTOBYNAME = new Map<string, number>();
for (const line of ETC_PROTOCOLS.split('|')) {
  const [name, num, ...aliases] = line.split(' ');
  for (const n of [name!, ...aliases]) if (!GETPROTOBYNAME.has(n)) GETPROTOBYNAME.set(n, Number(num));
}

/** getprotobyname(name)->p_proto over Debian's /etc/protocols: exact names and aliases, case-sensitive; undefined when unknown. */
export function getprotobyname(name: string): number | undefined {
  return GETPROTOBYNAME.get(name);
}
