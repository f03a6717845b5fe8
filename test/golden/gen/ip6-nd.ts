/**
 * ip6-nd: neighbour discovery and multicast listener messages addressed to
 * the firewall, which is a router (forwarding on: it has joined the
 * all-routers groups as well as all-nodes and its solicited-node groups),
 * to its unicast, solicited-node, all-nodes and all-routers addresses and
 * to groups it did not join; link-local sources and destinations (the
 * oracle's firewall has no link-local address of its own); hop limit 1 on
 * the way through; an incoming ICMPv6 packet too big RELATED to a tracked
 * connection, and one about nothing. Counted per ICMPv6 type and per
 * conntrack state in INPUT, FORWARD and OUTPUT.
 */
import { icmp6, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, WIRE_MAC, HOST_MAC, payload, type Scenario } from './capture.js';
import { FW6, mcastMac, optionsWith, senders6 } from './ip6.js';

export const rules = `# cofw golden: ip6-nd (IPv4 side: no rules)
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
`;

const TYPES: Array<[string, string]> = [
  ['router-solicitation', 'RS'],
  ['router-advertisement', 'RA'],
  ['neighbour-solicitation', 'NS'],
  ['neighbour-advertisement', 'NA'],
  ['redirect', 'redirect'],
  ['130', 'MLD query'],
  ['131', 'MLDv1 report'],
  ['132', 'MLDv1 done'],
  ['143', 'MLDv2 report'],
  ['packet-too-big', 'PTB'],
  ['time-exceeded', 'time exceeded'],
  ['echo-request', 'echo'],
];

const perType = (chain: string): string => TYPES.map(([t, c]) => `-A ${chain} -p ipv6-icmp -m icmp6 --icmpv6-type ${t} -m comment --comment "${c}"\n`).join('');
const perState = (chain: string): string =>
  ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED'].map((s) => `-A ${chain} -m conntrack --ctstate ${s}\n`).join('');

export const rules6 = `# cofw golden: ip6-nd (neighbour discovery, MLD, link-local, hop limit, packet too big)
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${perState('INPUT')}${perType('INPUT')}-A INPUT -d ff02::1/128
-A INPUT -d ff02::2/128
-A INPUT -d ff02::1:ff00:0/104
-A INPUT -d ff05::2/128
-A INPUT -s fe80::/10
-A INPUT -d fe80::/10
-A INPUT -m hl --hl-eq 255
-A INPUT -m hl --hl-eq 1
${perState('FORWARD')}${perType('FORWARD')}-A FORWARD -s fe80::/10
-A FORWARD -d fe80::/10
${perState('OUTPUT')}${perType('OUTPUT')}COMMIT
`;

export function build(): Scenario & { rules6: string } {
  const c = new Capture(3_000_000n);
  const { w6, h6, l6 } = senders6(c);
  const me = new Uint8Array(16);
  me.set([0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  const meIn = new Uint8Array(16);
  meIn.set([0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  const to = (dst: string): Parameters<typeof w6>[1] => (dst.startsWith('ff') ? mcastMac(dst, WIRE_MAC) : undefined);
  const nd = (src: string, dst: string, type: number, body: Uint8Array, hopLimit = 255, rest = 0): void =>
    w6(ipv6({ src, dst, hopLimit }, icmp6({ type, rest, payload: body })), to(dst));
  const mld = (src: string, dst: string, type: number, body: Uint8Array, rest = 0): void =>
    w6(ipv6({ src, dst, hopLimit: 1, ext: [optionsWith(0, [5, 2, 0, 0])] }, icmp6({ type, rest, payload: body })), to(dst));

  // Neighbour solicitations for the firewall's address: to its solicited-node group, to its unicast address,
  // to all nodes, from a link-local and from the unspecified address (duplicate address detection).
  nd('fe80::2', 'ff02::1:ff00:1', 135, me);
  nd('fe80::2', FW6, 135, me);
  nd('2001:db8:100::fe', 'ff02::1:ff00:1', 135, me);
  nd('::', 'ff02::1:ff00:1', 135, me);
  nd('fe80::2', 'ff02::1:ff00:99', 135, me); // a solicited-node group of nobody here
  // From the inside, for eth1's address.
  h6(ipv6({ src: 'fe80::10', dst: 'ff02::1:ff00:1', hopLimit: 255 }, icmp6({ type: 135, rest: 0, payload: meIn })), mcastMac('ff02::1:ff00:1', HOST_MAC));
  // Neighbour advertisements: solicited (to the firewall), unsolicited (to all nodes).
  nd('fe80::2', FW6, 136, me, 255, 0x60000000);
  nd('fe80::2', 'ff02::1', 136, me, 255, 0x20000000);
  // Router solicitations to all routers (a router has joined ff02::2), and to the firewall's address.
  nd('fe80::3', 'ff02::2', 133, new Uint8Array(0));
  nd('fe80::3', FW6, 133, new Uint8Array(0));
  nd('fe80::3', 'ff05::2', 133, new Uint8Array(0));
  // A router advertisement to all nodes; one with hop limit 64 (not neighbour discovery by RFC 4861).
  nd('fe80::fe', 'ff02::1', 134, new Uint8Array(8), 255, 0x40000708);
  nd('fe80::fe', 'ff02::1', 134, new Uint8Array(8), 64, 0x40000708);
  // A redirect to the firewall.
  const redirect = new Uint8Array(32);
  redirect.set(me, 16);
  nd('fe80::fe', FW6, 137, redirect);
  // MLD: a general query (v1 and v2) to all nodes, v1 reports for all routers and an unjoined group, a done
  // to all routers, a v2 report to all MLDv2 routers (ff02::16, not joined by a router that routes no multicast).
  mld('fe80::fe', 'ff02::1', 130, new Uint8Array(16), 0x03e80000);
  mld('fe80::fe', 'ff02::1', 130, new Uint8Array(20), 0x03e80000);
  const group = (g: number[]): Uint8Array => new Uint8Array(g);
  const allRouters = group([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
  mld('fe80::4', 'ff02::2', 131, allRouters);
  mld('fe80::4', 'ff02::1:3', 131, group([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3]));
  mld('fe80::4', 'ff02::2', 132, allRouters);
  mld('fe80::4', 'ff02::16', 143, new Uint8Array(4));

  // Link-local: a ping from a link-local source to the firewall's global address, one to a link-local
  // destination (the firewall has none), and a forwarded attempt from a link-local source.
  w6(ipv6({ src: 'fe80::5', dst: FW6 }, icmp6({ type: 128, id: 5, seq: 1, payload: payload(8) })));
  w6(ipv6({ src: '2001:db8:99::5', dst: 'fe80::1' }, icmp6({ type: 128, id: 6, seq: 1, payload: payload(8) })));
  w6(ipv6({ src: 'fe80::5', dst: '2001:db8:2::20' }, icmp6({ type: 128, id: 7, seq: 1, payload: payload(8) })));
  h6(ipv6({ src: '2001:db8:2::20', dst: 'fe80::5' }, icmp6({ type: 128, id: 8, seq: 1, payload: payload(8) })));

  // Hop limit 1 on the way through, and to the firewall (delivered); hop limit 2 through (leaves with 1).
  w6(ipv6({ src: '2001:db8:99::6', dst: '2001:db8:2::20', hopLimit: 1 }, udp({ sport: 33434, dport: 33434, payload: payload(12) })));
  h6(ipv6({ src: '2001:db8:2::20', dst: '2001:db8:99::6', hopLimit: 1 }, tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1 })));
  w6(ipv6({ src: '2001:db8:99::6', dst: FW6, hopLimit: 1 }, udp({ sport: 33435, dport: 33434, payload: payload(12) })));
  w6(ipv6({ src: '2001:db8:99::6', dst: '2001:db8:2::20', hopLimit: 2 }, udp({ sport: 33436, dport: 33434, payload: payload(12) })));

  // A forwarded connection from the inside, then a packet too big about it from a router beyond (RELATED),
  // and one about a connection nobody made (INVALID); a time exceeded about the connection (RELATED).
  const cl = '2001:db8:2::21';
  const srv = '2001:db8:99::80';
  h6(ipv6({ src: cl, dst: srv }, tcp({ sport: 41000, dport: 443, flags: 'S', seq: 1 })));
  w6(ipv6({ src: srv, dst: cl }, tcp({ sport: 443, dport: 41000, flags: 'SA', seq: 500, ack: 2 })));
  const big = ipv6({ src: cl, dst: srv }, tcp({ sport: 41000, dport: 443, flags: 'PA', seq: 2, ack: 501, payload: payload(1400) }));
  h6(ipv6({ src: cl, dst: srv }, tcp({ sport: 41000, dport: 443, flags: 'A', seq: 2, ack: 501 })));
  h6(big);
  w6(ipv6({ src: '2001:db8:99::1', dst: cl }, icmp6({ type: 2, rest: 1280, payload: big.subarray(0, 1184) })));
  const nobody = ipv6({ src: '2001:db8:2::22', dst: srv }, tcp({ sport: 41001, dport: 443, flags: 'PA', seq: 2, ack: 501, payload: payload(1400) }));
  w6(ipv6({ src: '2001:db8:99::1', dst: '2001:db8:2::22' }, icmp6({ type: 2, rest: 1280, payload: nobody.subarray(0, 1184) })));
  w6(ipv6({ src: '2001:db8:99::1', dst: cl }, icmp6({ type: 3, code: 0, rest: 0, payload: big.subarray(0, 200) })));
  // A packet too big about the firewall's own connection, to it.
  const own = ipv6({ src: FW6, dst: srv }, tcp({ sport: 42000, dport: 443, flags: 'S', seq: 1 }));
  l6(own);
  w6(ipv6({ src: srv, dst: FW6 }, tcp({ sport: 443, dport: 42000, flags: 'SA', seq: 900, ack: 2 })));
  const ownBig = ipv6({ src: FW6, dst: srv }, tcp({ sport: 42000, dport: 443, flags: 'PA', seq: 2, ack: 901, payload: payload(1400) }));
  l6(ownBig);
  w6(ipv6({ src: '2001:db8:99::1', dst: FW6 }, icmp6({ type: 2, rest: 1280, payload: ownBig.subarray(0, 1184) })));
  return { rules, rules6, capture: c };
}
