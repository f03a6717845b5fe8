/**
 * rpfilter: `-m rpfilter` in the raw and mangle PREROUTING chains of both
 * families, every case through every mode. Each case is one UDP packet
 * (its own destination port, so that each rule counts one case) through
 * rules for strict, `--loose`, `--accept-local`, `--loose --accept-local`,
 * `--invert` and `--validmark` (after a MARK in mangle: the mark changes
 * nothing without policy routing).
 *
 * The capture is pcapng: every frame names the interface it arrives on,
 * and those that arrive on the "wrong" interface (a source the route back
 * to leaves elsewhere) or carry one of the firewall's own addresses say
 * they were received (direction in). Cases: sources on the right and the
 * wrong side, the firewall's own addresses from outside (accept-local),
 * 127.0.0.1 from outside, 0.0.0.0 to 255.255.255.255 (DHCP discover), to
 * 224.0.0.0/24 and to other groups and to a unicast, multicast and
 * broadcast sources and destinations, the subnet's network and broadcast
 * addresses as sources, the firewall's own packet over lo; IPv6: `::`,
 * link-local sources (the lookup bound to the input device), the
 * subnet-router anycast address, own addresses, the gateway, multicast
 * destinations.
 */
import { ethernet, ipv4, ipv6, udp } from '../../../src/packet/build.js';
import { Capture, FW_ETH0_MAC, HOST, WIRE, WIRE_MAC, payload, type Scenario } from './capture.js';
import { HOST6, WIRE6 } from './ip6.js';

interface Case {
  /** What the case is (the rule comment). */
  what: string;
  src: string;
  dst: string;
  /** The interface it arrives on; `local` for the firewall's own packet (OUTPUT, then lo). */
  on: 'eth0' | 'eth1' | 'local';
  /** Say "received" (pcapng direction in): needed for a source that is one of the firewall's own addresses. */
  forced?: boolean;
  /** Ethernet destination (broadcast, multicast); the interface's MAC when absent. */
  l2dst?: string;
}

const V4: Case[] = [
  { what: 'outside source on eth0', src: '203.0.113.5', dst: '192.0.2.10', on: 'eth0' },
  { what: 'inside source on eth1', src: '192.0.2.10', dst: '203.0.113.5', on: 'eth1' },
  { what: 'gateway on eth0', src: '198.51.100.254', dst: '192.0.2.10', on: 'eth0' },
  { what: 'inside source spoofed on eth0', src: '192.0.2.10', dst: '203.0.113.5', on: 'eth0' },
  { what: 'outside source spoofed on eth1', src: '203.0.113.5', dst: '192.0.2.10', on: 'eth1' },
  { what: 'eth1 address from eth0', src: '192.0.2.1', dst: '192.0.2.10', on: 'eth0', forced: true },
  { what: 'eth1 address from eth1', src: '192.0.2.1', dst: '192.0.2.10', on: 'eth1', forced: true },
  { what: 'eth0 address from eth0', src: '198.51.100.1', dst: '192.0.2.10', on: 'eth0', forced: true },
  { what: 'eth0 address to itself from eth0', src: '198.51.100.1', dst: '198.51.100.1', on: 'eth0', forced: true },
  { what: '127.0.0.1 from eth0', src: '127.0.0.1', dst: '198.51.100.1', on: 'eth0', forced: true },
  { what: 'DHCP discover on eth1', src: '0.0.0.0', dst: '255.255.255.255', on: 'eth1', l2dst: 'ff:ff:ff:ff:ff:ff' },
  { what: 'DHCP discover on eth0', src: '0.0.0.0', dst: '255.255.255.255', on: 'eth0', l2dst: 'ff:ff:ff:ff:ff:ff' },
  { what: '0.0.0.0 to 224.0.0.22 on eth1', src: '0.0.0.0', dst: '224.0.0.22', on: 'eth1', l2dst: '01:00:5e:00:00:16' },
  { what: '0.0.0.0 to 239.1.2.3 on eth1', src: '0.0.0.0', dst: '239.1.2.3', on: 'eth1', l2dst: '01:00:5e:01:02:03' },
  { what: '0.0.0.0 to 239.1.2.3 on eth0', src: '0.0.0.0', dst: '239.1.2.3', on: 'eth0', l2dst: '01:00:5e:01:02:03' },
  { what: '0.0.0.0 to a unicast on eth1', src: '0.0.0.0', dst: '192.0.2.1', on: 'eth1' },
  { what: '0.0.0.0 to a unicast on eth0', src: '0.0.0.0', dst: '198.51.100.1', on: 'eth0' },
  { what: '0.0.0.0 to the subnet broadcast on eth1', src: '0.0.0.0', dst: '192.0.2.255', on: 'eth1', l2dst: 'ff:ff:ff:ff:ff:ff' },
  { what: 'inside source to 224.0.0.251 on eth1', src: '192.0.2.10', dst: '224.0.0.251', on: 'eth1', l2dst: '01:00:5e:00:00:fb' },
  { what: 'outside source to 239.1.2.3 on eth1', src: '203.0.113.5', dst: '239.1.2.3', on: 'eth1', l2dst: '01:00:5e:01:02:03' },
  { what: 'inside source to 255.255.255.255 on eth1', src: '192.0.2.10', dst: '255.255.255.255', on: 'eth1', l2dst: 'ff:ff:ff:ff:ff:ff' },
  { what: 'multicast source on eth0', src: '224.1.1.1', dst: '192.0.2.10', on: 'eth0' },
  { what: 'multicast source on eth1', src: '224.1.1.1', dst: '192.0.2.10', on: 'eth1' },
  { what: '255.255.255.255 source on eth0', src: '255.255.255.255', dst: '192.0.2.10', on: 'eth0' },
  { what: 'subnet broadcast source on eth1', src: '192.0.2.255', dst: '203.0.113.5', on: 'eth1' },
  { what: 'subnet network address source on eth1', src: '192.0.2.0', dst: '203.0.113.5', on: 'eth1' },
  { what: 'eth0 subnet broadcast source on eth0', src: '198.51.100.255', dst: '192.0.2.10', on: 'eth0' },
  { what: 'the firewall to itself over lo', src: '192.0.2.1', dst: '198.51.100.1', on: 'local' },
];

const V6: Case[] = [
  { what: 'outside source on eth0', src: '2001:db8:5::5', dst: '2001:db8:2::10', on: 'eth0' },
  { what: 'inside source on eth1', src: '2001:db8:2::10', dst: '2001:db8:5::5', on: 'eth1' },
  { what: 'gateway on eth0', src: '2001:db8:100::fe', dst: '2001:db8:2::10', on: 'eth0' },
  { what: 'inside source spoofed on eth0', src: '2001:db8:2::10', dst: '2001:db8:5::5', on: 'eth0' },
  { what: 'outside source spoofed on eth1', src: '2001:db8:5::5', dst: '2001:db8:2::10', on: 'eth1' },
  { what: 'eth1 address from eth0', src: '2001:db8:2::1', dst: '2001:db8:2::10', on: 'eth0', forced: true },
  { what: 'eth1 address from eth1', src: '2001:db8:2::1', dst: '2001:db8:2::10', on: 'eth1', forced: true },
  { what: 'eth0 address from eth0', src: '2001:db8:100::1', dst: '2001:db8:2::10', on: 'eth0', forced: true },
  { what: ':: to a solicited-node group on eth1', src: '::', dst: 'ff02::1:ff00:10', on: 'eth1', l2dst: '33:33:ff:00:00:10' },
  { what: ':: to a unicast on eth0', src: '::', dst: '2001:db8:2::10', on: 'eth0' },
  { what: 'link-local source on eth0', src: 'fe80::5', dst: '2001:db8:100::1', on: 'eth0' },
  { what: 'link-local source on eth1', src: 'fe80::5', dst: '2001:db8:2::1', on: 'eth1' },
  { what: 'link-local source to ff02::1 on eth1', src: 'fe80::5', dst: 'ff02::1', on: 'eth1', l2dst: '33:33:00:00:00:01' },
  { what: 'subnet-router anycast source on eth1', src: '2001:db8:2::', dst: '2001:db8:5::5', on: 'eth1' },
  { what: 'inside source to ff02::1 on eth1', src: '2001:db8:2::10', dst: 'ff02::1', on: 'eth1', l2dst: '33:33:00:00:00:01' },
  { what: 'inside source to ff02::1 on eth0', src: '2001:db8:2::10', dst: 'ff02::1', on: 'eth0', l2dst: '33:33:00:00:00:01' },
  { what: 'outside source to ff05::1:3 on eth1', src: '2001:db8:5::5', dst: 'ff05::1:3', on: 'eth1', l2dst: '33:33:00:01:00:03' },
  { what: 'the firewall to itself over lo', src: '2001:db8:2::1', dst: '2001:db8:100::1', on: 'local' },
];

/** Base destination ports: IPv4 cases from 1000, IPv6 from 2000. */
const PORT4 = 1000;
const PORT6 = 2000;

const MODES: Array<[string, string]> = [
  ['', 'strict'],
  ['--loose', 'loose'],
  ['--accept-local', 'accept-local'],
  ['--loose --accept-local', 'loose accept-local'],
  ['--invert', 'invert'],
];

function rulesFor(cases: readonly Case[], base: number, family: 4 | 6): string {
  const raw = cases
    .map((c, i) =>
      MODES.map(([opts, mode]) => `-A PREROUTING -p udp -m udp --dport ${base + i} -m rpfilter ${opts} -m comment --comment "${c.what}: ${mode}"\n`).join(''),
    )
    .join('')
    .replace(/ {2}/g, ' ');
  const mangle = cases
    .map((c, i) => `-A PREROUTING -p udp -m udp --dport ${base + i} -m rpfilter --validmark -m comment --comment "${c.what}: validmark"\n`)
    .join('');
  return `# cofw golden: rpfilter (IPv${family})
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-N RPF
-A PREROUTING -j RPF
${raw}-A RPF -m rpfilter --loose --validmark --accept-local --invert
-A RPF -i lo -m rpfilter
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -j MARK --set-xmark 0x7/0xffffffff
${mangle}-A PREROUTING -m rpfilter --invert -j DROP
-A PREROUTING -m rpfilter
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p udp
-A FORWARD -p udp
COMMIT
`;
}

export const rules = rulesFor(V4, PORT4, 4);
export const rules6 = rulesFor(V6, PORT6, 6);

function add(c: Capture, k: Case, ip: Uint8Array, v6: boolean): void {
  if (k.on === 'local') {
    c.add(ethernet({ src: FW_ETH0_MAC, dst: WIRE_MAC, ...(v6 ? { ethertype: 0x86dd } : {}) }, ip));
    return;
  }
  const base = k.on === 'eth0' ? (v6 ? WIRE6 : WIRE) : v6 ? HOST6 : HOST;
  const l2 = k.l2dst ? { ...base, dst: k.l2dst } : base;
  c.add(ethernet(l2, ip));
  const f = c.frames[c.frames.length - 1]!;
  f.ifName = k.on;
  if (k.forced) f.direction = 'in';
}

export function build(): Scenario & { rules6: string } {
  const c = new Capture(3_000_000n);
  // Twice over, 200 ms apart: each case counts two packets.
  for (let round = 0; round < 2; round++) {
    V4.forEach((k, i) =>
      add(c, k, ipv4({ src: k.src, dst: k.dst, ttl: 64, id: 0x100 + i }, udp({ sport: 5000 + round, dport: PORT4 + i, payload: payload(20 + i) })), false),
    );
    V6.forEach((k, i) =>
      add(c, k, ipv6({ src: k.src, dst: k.dst, hopLimit: 64 }, udp({ sport: 5000 + round, dport: PORT6 + i, payload: payload(20 + i) })), true),
    );
    c.pause(200);
  }
  return { rules, rules6, capture: c };
}
