/**
 * Policy routing (the machine file's `rules:` and routes in other tables),
 * recorded from a kernel given the same rules and tables by `ip rule` and
 * `ip route ... table` (a private copy of the oracle, see the scenarios'
 * READMEs). Two scenarios:
 *
 * - `policy-routing`: marks set in mangle PREROUTING choose the egress
 *   (fwmark 1 looks up table 100, whose default route leaves by eth1;
 *   table 100 also blackholes a prefix), a blackhole rule by mark, an
 *   unreachable rule by destination and a prohibit rule by source and
 *   input interface (both answered with ICMP errors), an unreachable route
 *   in main, a rule for the firewall's own packets (`iif lo`) and a mark
 *   set in mangle OUTPUT that routes them again (ip_route_me_harder),
 *   `-m rpfilter --validmark` with a mark set in raw PREROUTING. Every
 *   case is one UDP packet with its own destination port, twice.
 * - `policy-wg`: the rule set wg-quick installs for a full tunnel (`not
 *   fwmark 51820 table 51820`, `table main suppress_prefixlength 0`), eth1
 *   standing in for wg0, with its raw PREROUTING addrtype drop and the
 *   CONNMARK save and restore of the tunnel's own packets (here marked in
 *   mangle OUTPUT, so that they are routed again).
 *
 * The captures are pcapng: each frame names the interface it arrives on.
 * Marks avoid the bits of the oracle player's socket mark (0x7e57), which
 * the kernel's first route lookup of the firewall's own packets sees.
 */
import { ethernet, ipv4, ipv6, udp } from '../../../src/packet/build.js';
import { Capture, FW_ETH0_MAC, HOST, WIRE, WIRE_MAC, payload, type Scenario } from './capture.js';
import { HOST6, WIRE6 } from './ip6.js';

interface Case {
  what: string;
  src: string;
  dst: string;
  on: 'eth0' | 'eth1' | 'local';
}

function add(c: Capture, k: Case, ip: Uint8Array, v6: boolean): void {
  if (k.on === 'local') {
    c.add(ethernet({ src: FW_ETH0_MAC, dst: WIRE_MAC, ...(v6 ? { ethertype: 0x86dd } : {}) }, ip));
    return;
  }
  c.add(ethernet(k.on === 'eth0' ? (v6 ? WIRE6 : WIRE) : v6 ? HOST6 : HOST, ip));
  c.frames[c.frames.length - 1]!.ifName = k.on;
}

const MACHINE_HEAD = `interfaces:
  - name: eth0
    mac: "02:00:00:00:00:01"
    addresses: [198.51.100.1/24, 2001:db8:100::1/64]
  - name: eth1
    mac: "02:00:00:00:01:01"
    addresses: [192.0.2.1/24, 2001:db8:2::1/64]
`;

/** Counting rules: one per case (its destination port), in each of the chains named. */
function counters(cases: readonly Case[], base: number, chain: string, dirs: readonly string[]): string {
  return cases.map((k, i) => dirs.map((d) => `-A ${chain} ${d} -p udp -m udp --dport ${base + i} -m comment --comment "${k.what}"\n`).join('')).join('');
}

// -- policy-routing ----------------------------------------------------------

const PR4: Case[] = [
  { what: 'unmarked: main, out eth0', src: '192.0.2.10', dst: '203.0.113.5', on: 'eth1' },
  { what: 'mark 1: table 100, out eth1', src: '192.0.2.10', dst: '203.0.113.5', on: 'eth1' },
  { what: 'mark 1 to a blackhole of table 100', src: '192.0.2.10', dst: '203.0.113.200', on: 'eth1' },
  { what: 'mark 0x100: blackhole rule', src: '192.0.2.10', dst: '203.0.113.5', on: 'eth1' },
  { what: 'to 198.18.0.0/15: unreachable rule', src: '192.0.2.11', dst: '198.18.0.7', on: 'eth1' },
  { what: 'from 192.0.2.128/26 on eth1: prohibit rule', src: '192.0.2.130', dst: '203.0.113.5', on: 'eth1' },
  { what: 'from 192.0.2.128/26 on eth0: no rule', src: '192.0.2.131', dst: '203.0.113.5', on: 'eth0' },
  { what: 'to an unreachable route of main', src: '192.0.2.12', dst: '203.0.113.70', on: 'eth1' },
  { what: 'mark 1 from outside: table 100', src: '203.0.113.5', dst: '192.0.2.20', on: 'eth0' },
  { what: 'validmark: marked 1 in raw, from 10.9.9.9 on eth1', src: '10.9.9.9', dst: '203.0.113.5', on: 'eth1' },
  { what: 'validmark: marked 1 in raw, from 10.9.9.9 on eth0', src: '10.9.9.9', dst: '192.0.2.20', on: 'eth0' },
  { what: 'local to 203.0.113.0/24: iif lo rule, table 100', src: '198.51.100.1', dst: '203.0.113.5', on: 'local' },
  { what: 'local, marked 4 in mangle OUTPUT: rerouted to main', src: '198.51.100.1', dst: '203.0.113.5', on: 'local' },
  { what: 'local to elsewhere: main', src: '198.51.100.1', dst: '198.51.100.7', on: 'local' },
];

const PR6: Case[] = [
  { what: 'unmarked: main, out eth0', src: '2001:db8:2::10', dst: '2001:db8:5::5', on: 'eth1' },
  { what: 'mark 1: table 100, out eth1', src: '2001:db8:2::10', dst: '2001:db8:5::5', on: 'eth1' },
  { what: 'mark 1 to a blackhole of table 100', src: '2001:db8:2::10', dst: '2001:db8:6::1', on: 'eth1' },
  { what: 'mark 0x100: blackhole rule', src: '2001:db8:2::10', dst: '2001:db8:5::5', on: 'eth1' },
  { what: 'to 2001:db8:ff::/48: unreachable rule', src: '2001:db8:2::11', dst: '2001:db8:ff::7', on: 'eth1' },
  { what: 'from 2001:db8:2::80/121 on eth1: prohibit rule', src: '2001:db8:2::82', dst: '2001:db8:5::5', on: 'eth1' },
  { what: 'from 2001:db8:2::80/121 on eth0: no rule', src: '2001:db8:2::83', dst: '2001:db8:5::5', on: 'eth0' },
  { what: 'to an unreachable route of main', src: '2001:db8:2::12', dst: '2001:db8:7::7', on: 'eth1' },
  { what: 'mark 1 from outside: table 100', src: '2001:db8:5::5', dst: '2001:db8:2::20', on: 'eth0' },
  { what: 'validmark: marked 1 in raw, from 2001:db8:99::9 on eth1', src: '2001:db8:99::9', dst: '2001:db8:5::5', on: 'eth1' },
  { what: 'validmark: marked 1 in raw, from 2001:db8:99::9 on eth0', src: '2001:db8:99::9', dst: '2001:db8:2::20', on: 'eth0' },
  { what: 'local to 2001:db8:5::/48: iif lo rule, table 100', src: '2001:db8:100::1', dst: '2001:db8:5::5', on: 'local' },
  { what: 'local, marked 4 in mangle OUTPUT: rerouted to main', src: '2001:db8:100::1', dst: '2001:db8:5::5', on: 'local' },
  { what: 'local to elsewhere: main', src: '2001:db8:100::1', dst: '2001:db8:100::7', on: 'local' },
];

const PORT4 = 6000;
const PORT6 = 7000;

/** Indexes of the cases above that the rules treat specially. */
const MARK1 = [1, 2, 8];
const BLACKHOLE_MARK = 3;
const RAW_MARK = [9, 10];
const OUT_MARK = 12;

function prRules(cases: readonly Case[], base: number, family: 4 | 6): string {
  const mark1 = MARK1.map((i) => `-A PREROUTING -p udp -m udp --dport ${base + i} -j MARK --set-xmark 0x1/0xffffffff\n`).join('');
  const raw = RAW_MARK.map((i) => `-A PREROUTING -p udp -m udp --dport ${base + i} -j MARK --set-xmark 0x1/0xffffffff\n`).join('');
  const rpf = RAW_MARK.map(
    (i) =>
      `-A PREROUTING -p udp -m udp --dport ${base + i} -m rpfilter --validmark -m comment --comment "validmark"\n` +
      `-A PREROUTING -p udp -m udp --dport ${base + i} -m rpfilter -m comment --comment "without validmark"\n`,
  ).join('');
  return `# cofw golden: policy routing (IPv${family})
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${raw}COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
${rpf}${mark1}-A PREROUTING -p udp -m udp --dport ${base + BLACKHOLE_MARK} -j MARK --set-xmark 0x100/0xffffffff
-A OUTPUT -p udp -m udp --dport ${base + OUT_MARK} -j MARK --set-xmark 0x4/0xffffffff
${counters(cases, base, 'POSTROUTING', ['-o eth0', '-o eth1'])}-A POSTROUTING -p ${family === 4 ? 'icmp' : 'ipv6-icmp'} -m comment --comment "ICMP errors"
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${counters(cases, base, 'FORWARD', ['-o eth0', '-o eth1'])}${counters(cases, base, 'OUTPUT', ['-o eth0', '-o eth1'])}-A OUTPUT -p ${family === 4 ? 'icmp' : 'ipv6-icmp'} -m comment --comment "ICMP errors"
COMMIT
`;
}

const PR_MACHINE = `hostname: cofw-policy
${MACHINE_HEAD}routes:
  - {to: default, via: 198.51.100.254, dev: eth0}
  - {to: "::/0", via: "2001:db8:100::fe", dev: eth0}
  - {to: 203.0.113.64/26, type: unreachable}
  - {to: "2001:db8:7::/48", type: unreachable}
  - {to: default, via: 192.0.2.254, dev: eth1, table: 100}
  - {to: "::/0", via: "2001:db8:2::fe", dev: eth1, table: 100}
  - {to: 203.0.113.192/26, type: blackhole, table: 100}
  - {to: "2001:db8:6::/48", type: blackhole, table: 100}
rules:
  - {priority: 100, fwmark: 1, table: 100}
  - {priority: 50, fwmark: 4, table: main}
  - {priority: 110, fwmark: "0x100/0x100", action: blackhole}
  - {to: 198.18.0.0/15, action: unreachable}
  - {to: "2001:db8:ff::/48", action: unreachable}
  - {from: 192.0.2.128/26, iif: eth1, action: prohibit}
  - {from: "2001:db8:2::80/121", iif: eth1, action: prohibit}
  - {priority: 200, iif: lo, to: 203.0.113.0/24, table: 100}
  - {priority: 200, iif: lo, to: "2001:db8:5::/48", table: 100}
fail: closed
`;

/** The same routes and rules as \`ip\` commands, for the oracle's firewall namespace. */
const PR_IPROUTE = `ip route add unreachable 203.0.113.64/26
ip -6 route add unreachable 2001:db8:7::/48
ip route add default via 192.0.2.254 dev eth1 table 100
ip -6 route add default via 2001:db8:2::fe dev eth1 table 100
ip route add blackhole 203.0.113.192/26 table 100
ip -6 route add blackhole 2001:db8:6::/48 table 100
ip rule add priority 100 fwmark 1 table 100
ip -6 rule add priority 100 fwmark 1 table 100
ip rule add priority 50 fwmark 4 table main
ip -6 rule add priority 50 fwmark 4 table main
ip rule add priority 110 fwmark 0x100/0x100 blackhole
ip -6 rule add priority 110 fwmark 0x100/0x100 blackhole
ip rule add to 198.18.0.0/15 unreachable
ip -6 rule add to 2001:db8:ff::/48 unreachable
ip rule add from 192.0.2.128/26 iif eth1 prohibit
ip -6 rule add from 2001:db8:2::80/121 iif eth1 prohibit
ip rule add priority 200 iif lo to 203.0.113.0/24 table 100
ip -6 rule add priority 200 iif lo to 2001:db8:5::/48 table 100
`;

export function build(): Scenario & { rules6: string; machine: string; iproute: string } {
  const c = new Capture(3_000_000n);
  for (let round = 0; round < 2; round++) {
    PR4.forEach((k, i) =>
      add(c, k, ipv4({ src: k.src, dst: k.dst, ttl: 64, id: 0x200 + i }, udp({ sport: 5000 + round, dport: PORT4 + i, payload: payload(20 + i) })), false),
    );
    PR6.forEach((k, i) =>
      add(c, k, ipv6({ src: k.src, dst: k.dst, hopLimit: 64 }, udp({ sport: 5000 + round, dport: PORT6 + i, payload: payload(20 + i) })), true),
    );
    c.pause(300);
  }
  return { rules: prRules(PR4, PORT4, 4), rules6: prRules(PR6, PORT6, 6), capture: c, machine: PR_MACHINE, iproute: PR_IPROUTE };
}

// -- policy-wg -----------------------------------------------------------------

const WG4: Case[] = [
  { what: 'inside to the internet: table 51820, out eth1', src: '192.0.2.10', dst: '203.0.113.5', on: 'eth1' },
  { what: "inside to eth0's subnet: main (/24 not suppressed)", src: '192.0.2.10', dst: '198.51.100.7', on: 'eth1' },
  { what: 'internet to inside: main /24', src: '203.0.113.5', dst: '192.0.2.10', on: 'eth0' },
  { what: 'internet to internet: table 51820', src: '203.0.113.5', dst: '203.0.113.9', on: 'eth0' },
  { what: 'to the tunnel address from eth0: raw addrtype drop', src: '203.0.113.5', dst: '192.0.2.1', on: 'eth0' },
  { what: 'to the tunnel address from eth1', src: '192.0.2.10', dst: '192.0.2.1', on: 'eth1' },
  { what: 'local: table 51820', src: '198.51.100.1', dst: '203.0.113.5', on: 'local' },
  { what: 'local tunnel packet, marked 51820 in mangle OUTPUT: main', src: '198.51.100.1', dst: '203.0.113.5', on: 'local' },
  { what: 'reply to the tunnel packet: CONNMARK restored', src: '203.0.113.5', dst: '198.51.100.1', on: 'eth0' },
];

const WG6: Case[] = [
  { what: 'inside to the internet: table 51820, out eth1', src: '2001:db8:2::10', dst: '2001:db8:5::5', on: 'eth1' },
  { what: "inside to eth0's subnet: main (/64 not suppressed)", src: '2001:db8:2::10', dst: '2001:db8:100::7', on: 'eth1' },
  { what: 'internet to inside: main /64', src: '2001:db8:5::5', dst: '2001:db8:2::10', on: 'eth0' },
  { what: 'internet to internet: table 51820', src: '2001:db8:5::5', dst: '2001:db8:5::9', on: 'eth0' },
  { what: 'to the tunnel address from eth0: raw addrtype drop', src: '2001:db8:5::5', dst: '2001:db8:2::1', on: 'eth0' },
  { what: 'to the tunnel address from eth1', src: '2001:db8:2::10', dst: '2001:db8:2::1', on: 'eth1' },
  { what: 'local: table 51820', src: '2001:db8:100::1', dst: '2001:db8:5::5', on: 'local' },
  { what: 'local tunnel packet, marked 51820 in mangle OUTPUT: main', src: '2001:db8:100::1', dst: '2001:db8:5::5', on: 'local' },
  { what: 'reply to the tunnel packet: CONNMARK restored', src: '2001:db8:5::5', dst: '2001:db8:100::1', on: 'eth0' },
];

/** Cases 7 and 8 are one UDP flow: the tunnel's packet out (dport 51820) and its reply (sport 51820). */
const WG_OUT = 7;
const WG_REPLY = 8;

function wgRules(cases: readonly Case[], base: number, family: 4 | 6): string {
  const tunnel = family === 4 ? '192.0.2.1/32' : '2001:db8:2::1/128';
  return `# cofw golden: wg-quick's policy routing (IPv${family})
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -d ${tunnel} ! -i eth1 -m addrtype ! --src-type LOCAL -j DROP
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p udp -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff
-A PREROUTING -p udp -m mark --mark 0xca6c -m comment --comment "restored"
-A OUTPUT -p udp -m udp --dport 51820 -j MARK --set-xmark 0xca6c/0xffffffff
-A POSTROUTING -p udp -m mark --mark 0xca6c -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff
${counters(cases, base, 'POSTROUTING', ['-o eth0', '-o eth1'])}-A POSTROUTING -p udp -m udp --dport 51820 -o eth0
-A POSTROUTING -p udp -m udp --dport 51820 -o eth1
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${counters(cases, base, 'FORWARD', ['-o eth0', '-o eth1'])}${counters(cases, base, 'OUTPUT', ['-o eth0', '-o eth1'])}-A OUTPUT -p udp -m udp --dport 51820 -o eth0
-A OUTPUT -p udp -m udp --dport 51820 -o eth1
-A INPUT -p udp -m udp --sport 51820 -m mark --mark 0xca6c
COMMIT
`;
}

const WG_MACHINE = `hostname: cofw-wg
${MACHINE_HEAD}routes:
  - {to: default, via: 198.51.100.254, dev: eth0}
  - {to: "::/0", via: "2001:db8:100::fe", dev: eth0}
  - {to: default, via: 192.0.2.200, dev: eth1, table: 51820}
  - {to: "::/0", via: "2001:db8:2::c8", dev: eth1, table: 51820}
rules:
  - {not: true, fwmark: 51820, table: 51820}
  - {table: main, suppress_prefixlength: 0}
fail: closed
`;

const WG_IPROUTE = `ip route add default via 192.0.2.200 dev eth1 table 51820
ip -6 route add default via 2001:db8:2::c8 dev eth1 table 51820
ip rule add not fwmark 51820 table 51820
ip rule add table main suppress_prefixlength 0
ip -6 rule add not fwmark 51820 table 51820
ip -6 rule add table main suppress_prefixlength 0
`;

export function buildWg(): Scenario & { rules6: string; machine: string; iproute: string } {
  const c = new Capture(3_000_000n);
  const ports = (i: number, round: number): { sport: number; dport: number } =>
    i === WG_OUT ? { sport: 40000 + round, dport: 51820 } : i === WG_REPLY ? { sport: 51820, dport: 40000 + round } : { sport: 5000 + round, dport: 0 };
  for (let round = 0; round < 2; round++) {
    WG4.forEach((k, i) => {
      const p = ports(i, round);
      add(c, k, ipv4({ src: k.src, dst: k.dst, ttl: 64, id: 0x300 + i }, udp({ sport: p.sport, dport: p.dport || 6000 + i, payload: payload(20 + i) })), false);
    });
    WG6.forEach((k, i) => {
      const p = ports(i, round);
      add(c, k, ipv6({ src: k.src, dst: k.dst, hopLimit: 64 }, udp({ sport: p.sport, dport: p.dport || 7000 + i, payload: payload(20 + i) })), true);
    });
    c.pause(300);
  }
  return { rules: wgRules(WG4, 6000, 4), rules6: wgRules(WG6, 7000, 6), capture: c, machine: WG_MACHINE, iproute: WG_IPROUTE };
}
