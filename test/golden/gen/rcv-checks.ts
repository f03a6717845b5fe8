/**
 * rcv-checks: what the receive path of each family drops before PREROUTING
 * (ip_rcv_core, ip6_rcv_core) and what passes PREROUTING to be dropped by
 * routing (ip_route_input's martians, multicast groups not joined), from
 * the outside (eth0). Each case is one UDP packet with its own destination
 * port, counted in raw PREROUTING, mangle PREROUTING, INPUT and FORWARD;
 * a last rule in each chain counts every packet (the malformed ones have no
 * port to count by). Stateless: no conntrack. The capture is pcapng, every
 * frame received on eth0 (direction in), so that the loopback sources arrive
 * from outside rather than being the firewall's own packets.
 *
 * IPv4: a bad header checksum, version 5, an IHL below 5, a total length
 * beyond the frame, one below the header, a frame shorter than a header;
 * sources 0.0.0.0 (to the firewall, to 255.255.255.255 as DHCP, to
 * 224.0.0.1 and to a group not joined), 0.0.0.5, 127.0.0.1, 224.0.0.5,
 * 255.255.255.255, class E 240.0.0.1 (to the firewall and through it);
 * destinations 127.0.0.1, 0.0.0.5, 239.1.1.1 (not joined), the subnet's
 * broadcast; plain packets to and through the firewall.
 *
 * IPv6: a multicast source, ::1 as source and as destination, interface-local
 * (ff01::1) and reserved-scope (ff00::1) multicast destinations, IPv4-mapped
 * sources (to and through the firewall) and destination, the unspecified
 * source (to and through), a global group not joined, unicast in an
 * Ethernet broadcast (to and through), version 4 in an IPv6 frame, a payload
 * length beyond the frame, a frame shorter than a header; plain packets to
 * and through the firewall.
 */
import { ipv4, ipv6, udp, type EthFields } from '../../../src/packet/build.js';
import { inetChecksum } from '../../../src/packet/checksum.js';
import { BCAST_WIRE, Capture, WIRE, WIRE_MAC, type Scenario } from './capture.js';
import { ETH_P_IPV6, FW6, WIRE6, mcastMac } from './ip6.js';

interface Case {
  what: string;
  port: number;
}

const FW = '198.51.100.1';
const FAR = '203.0.113.5';
const INSIDE = '192.0.2.5';
const FAR6 = '2001:db8:ff::5';
const INSIDE6 = '2001:db8:2::5';

/** Rules counting each case in raw and mangle PREROUTING, INPUT and FORWARD, and every packet last. */
function rulesFor(family: string, cases: readonly Case[]): string {
  const count = (chain: string, comment: boolean): string =>
    cases.map((c) => `-A ${chain} -p udp -m udp --dport ${c.port}${comment ? ` -m comment --comment "${c.what}"` : ''}\n`).join('') + `-A ${chain}\n`;
  return `# cofw golden: rcv-checks (${family}: drops before PREROUTING and by routing)
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${count('PREROUTING', true)}COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
${count('PREROUTING', false)}COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${count('INPUT', false)}${count('FORWARD', false)}COMMIT
`;
}

/** Recomputes an IPv4 header's checksum after a change. */
function reChecksum(ip: Uint8Array, ihl = 20): Uint8Array {
  ip[10] = 0;
  ip[11] = 0;
  const c = inetChecksum(ip, 0, ihl);
  ip[10] = c >> 8;
  ip[11] = c & 0xff;
  return ip;
}

export function build(): Scenario & { rules6: string } {
  const c = new Capture(3_000_000n);
  const cases4: Case[] = [];
  const cases6: Case[] = [];
  let port4 = 1000;
  let port6 = 2000;
  const v4 = (
    what: string,
    src: string,
    dst: string,
    opts: { l2?: EthFields; sport?: number; dport?: number; edit?: (ip: Uint8Array) => Uint8Array } = {},
  ): void => {
    const port = opts.dport ?? ++port4;
    cases4.push({ what, port });
    const ip = ipv4({ src, dst, df: false }, udp({ sport: opts.sport ?? 40000, dport: port, payload: new Uint8Array(8) }));
    c.wire(opts.edit ? opts.edit(ip) : ip, opts.l2 ?? WIRE);
  };
  const v6 = (what: string, src: string, dst: string, opts: { l2?: EthFields; edit?: (ip: Uint8Array) => Uint8Array } = {}): void => {
    const port = ++port6;
    cases6.push({ what, port });
    const ip = ipv6({ src, dst }, udp({ sport: 40000, dport: port, payload: new Uint8Array(8) }));
    c.wire(opts.edit ? opts.edit(ip) : ip, opts.l2 ?? (dst.startsWith('ff') ? mcastMac(dst, WIRE_MAC) : WIRE6));
  };

  // IPv4: ip_rcv_core's header checks.
  v4('control: to the firewall', FAR, FW);
  v4('control: through', FAR, INSIDE);
  v4('bad header checksum', FAR, FW, { edit: (ip) => ((ip[10] = ip[10]! ^ 0x55), ip) });
  v4('version 5', FAR, FW, { edit: (ip) => reChecksum(((ip[0] = 0x55), ip)) });
  v4('IHL 4', FAR, FW, { edit: (ip) => ((ip[0] = 0x44), ip) });
  v4('total length beyond the frame', FAR, FW, { edit: (ip) => reChecksum(((ip[3] = ip[3]! + 20), ip)) });
  v4('total length below the header', FAR, FW, { edit: (ip) => reChecksum(((ip[2] = 0), (ip[3] = 16), ip)) });
  v4('shorter than a header', FAR, FW, { edit: (ip) => ip.subarray(0, 16) });
  // ip_route_input's martians (after PREROUTING).
  v4('0.0.0.0 to the firewall', '0.0.0.0', FW);
  v4('0.0.0.0 to broadcast (DHCP)', '0.0.0.0', '255.255.255.255', { l2: BCAST_WIRE, sport: 68, dport: 67 });
  v4('0.0.0.0 to broadcast (not DHCP)', '0.0.0.0', '255.255.255.255', { l2: BCAST_WIRE });
  v4('0.0.0.0 to all-hosts', '0.0.0.0', '224.0.0.1', { l2: { src: WIRE_MAC, dst: '01:00:5e:00:00:01' } });
  v4('0.0.0.0 to a group not joined', '0.0.0.0', '239.1.1.1', { l2: { src: WIRE_MAC, dst: '01:00:5e:01:01:01' } });
  v4('source 0.0.0.5', '0.0.0.5', FW);
  v4('source 127.0.0.1', '127.0.0.1', FW);
  v4('source 127.0.0.1 through', '127.0.0.1', INSIDE);
  v4('source multicast', '224.0.0.5', FW);
  v4('source 255.255.255.255', '255.255.255.255', FW);
  v4('source class E to the firewall', '240.0.0.1', FW);
  v4('source class E through', '240.0.0.1', INSIDE);
  v4('destination 127.0.0.1', FAR, '127.0.0.1');
  v4('destination 0.0.0.5', FAR, '0.0.0.5');
  v4('destination class E', FAR, '240.0.0.1');
  v4('group not joined', FAR, '239.1.1.1', { l2: { src: WIRE_MAC, dst: '01:00:5e:01:01:01' } });
  v4('all-hosts', FAR, '224.0.0.1', { l2: { src: WIRE_MAC, dst: '01:00:5e:00:00:01' } });
  v4('subnet broadcast', '198.51.100.7', '198.51.100.255', { l2: BCAST_WIRE });
  v4('limited broadcast', '198.51.100.7', '255.255.255.255', { l2: BCAST_WIRE });

  // IPv6: ip6_rcv_core's checks.
  v6('control: to the firewall', FAR6, FW6);
  v6('control: through', FAR6, INSIDE6);
  v6('source multicast', 'ff02::5', FW6);
  v6('source ::1', '::1', FW6);
  v6('destination ::1', FAR6, '::1');
  v6('interface-local multicast', 'fe80::2', 'ff01::1');
  v6('reserved-scope multicast', 'fe80::2', 'ff00::1');
  v6('IPv4-mapped source to the firewall', '::ffff:203.0.113.5', FW6);
  v6('IPv4-mapped source through', '::ffff:203.0.113.5', INSIDE6);
  v6('IPv4-mapped destination', FAR6, '::ffff:192.0.2.5');
  v6('unspecified source to the firewall', '::', FW6);
  v6('unspecified source through', '::', INSIDE6);
  v6('global group not joined', FAR6, 'ff0e::1:5');
  v6('all-nodes', 'fe80::2', 'ff02::1');
  v6('unicast in a broadcast to the firewall', FAR6, FW6, { l2: { ...BCAST_WIRE, ethertype: ETH_P_IPV6 } });
  v6('unicast in a broadcast through', FAR6, INSIDE6, { l2: { ...BCAST_WIRE, ethertype: ETH_P_IPV6 } });
  v6('version 4', FAR6, FW6, { edit: (ip) => ((ip[0] = 0x40), ip) });
  v6('payload length beyond the frame', FAR6, FW6, { edit: (ip) => ((ip[5] = ip[5]! + 8), ip) });
  v6('shorter than a header', FAR6, FW6, { edit: (ip) => ip.subarray(0, 36) });
  // Every frame is received on eth0, 127.0.0.1 and ::1 (the firewall's own, on lo) as sources too.
  for (const f of c.frames) Object.assign(f, { ifName: 'eth0', direction: 'in' });
  return { rules: rulesFor('IPv4', cases4), rules6: rulesFor('IPv6', cases6), capture: c };
}
