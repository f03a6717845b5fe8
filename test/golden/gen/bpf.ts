/**
 * bpf: `-m bpf --bytecode` in both families, stateless, one rule per
 * program in every chain of the mangle table (so each program meets
 * received, forwarded and locally sent packets in each hook).
 *
 * - tcpdump's own programs (`tcpdump -y RAW -ddd`, libpcap 1.10):
 *   `tcp dst port 22`, `icmp`, `ip[8] < 64`, `udp and len > 100`,
 *   `ip6 and tcp dst port 22`, `icmp6`;
 * - the ancillary loads: protocol, pkttype (host, broadcast, multicast),
 *   ifindex and hatype (none in OUTPUT: the program ends returning A),
 *   mark (set by an earlier MARK rule), the payload offset (TCP with
 *   options, UDP, ICMP, an IPv4 later fragment, IPv6 behind a fragment
 *   header), the CPU (the oracle runs pinned to CPU 0), queue, rxhash and
 *   the VLAN fields (0), `A ^= X`;
 * - SKF_NET_OFF and SKF_LL_OFF loads (the Ethernet type and source MAC:
 *   none for the firewall's own packets), `ld [x + k]`, `ldx 4*([k]&0xf)`,
 *   loads past the packet's end (the program returns 0), `len`, division
 *   by an X of 0, shifts by X of 32 or more, the scratch cells.
 *
 * Recorded pinned to CPU 0 (`taskset -c 0`).
 */
import { fragHeader, icmp, icmp6, ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { BCAST_HOST, Capture, DUAL_STACK_MACHINE, HOST_MAC, MCAST_ALL_HOSTS, payload, type Scenario } from './capture.js';
import { mcastMac, senders6 } from './ip6.js';

const AD = 0xfffff000;
const NET = 0x100000000 - 0x100000;
const LL = 0x100000000 - 0x200000;

/** A program that matches when the ancillary load `anc` gives `v`. */
const anc = (a: number, v: number): string => `4,32 0 0 ${AD + a},21 0 1 ${v},6 0 0 1,6 0 0 0`;

const PROGRAMS: ReadonlyArray<readonly [string, string]> = [
  [
    'tcp22',
    '19,48 0 0 0,84 0 0 240,21 0 4 96,48 0 0 6,21 0 13 6,40 0 0 42,21 10 11 22,48 0 0 0,84 0 0 240,21 0 8 64,48 0 0 9,21 0 6 6,40 0 0 6,69 4 0 8191,177 0 0 0,72 0 0 2,21 0 1 22,6 0 0 65535,6 0 0 0',
  ],
  ['icmp', '7,48 0 0 0,84 0 0 240,21 0 3 64,48 0 0 9,21 0 1 1,6 0 0 65535,6 0 0 0'],
  ['ttl-below-64', '7,48 0 0 0,84 0 0 240,21 0 3 64,48 0 0 8,53 1 0 64,6 0 0 65535,6 0 0 0'],
  [
    'udp-len-100',
    '17,48 0 0 0,84 0 0 240,21 0 2 64,48 0 0 9,21 8 11 17,48 0 0 0,84 0 0 240,21 0 8 96,48 0 0 6,21 3 0 17,21 0 5 44,48 0 0 40,21 0 3 17,128 0 0 0,37 0 1 100,6 0 0 65535,6 0 0 0',
  ],
  ['ip6-tcp22', '9,48 0 0 0,84 0 0 240,21 0 5 96,48 0 0 6,21 0 3 6,40 0 0 42,21 0 1 22,6 0 0 65535,6 0 0 0'],
  ['icmp6', '10,48 0 0 0,84 0 0 240,21 0 6 96,48 0 0 6,21 3 0 58,21 0 3 44,48 0 0 40,21 0 1 58,6 0 0 65535,6 0 0 0'],
  ['proto-ip', anc(0, 0x800)],
  ['proto-ip6', anc(0, 0x86dd)],
  ['pkttype-host', anc(4, 0)],
  ['pkttype-bcast', anc(4, 1)],
  ['pkttype-mcast', anc(4, 2)],
  ['ifindex-2', anc(8, 2)],
  ['ifindex-3', anc(8, 3)],
  ['ifindex-ret-a', `3,0 0 0 7,32 0 0 ${AD + 8},6 0 0 0`],
  ['hatype-1', anc(28, 1)],
  ['hatype-ret-a', `3,0 0 0 9,32 0 0 ${AD + 28},6 0 0 0`],
  ['mark-5', anc(20, 5)],
  ['payoff-28', anc(52, 28)],
  ['payoff-32', anc(52, 32)],
  ['payoff-40', anc(52, 40)],
  ['payoff-52', anc(52, 52)],
  ['payoff-48', anc(52, 48)],
  ['payoff-56', anc(52, 56)],
  ['payoff-20', anc(52, 20)],
  ['cpu-0', anc(36, 0)],
  ['zero-anc', `8,32 0 0 ${AD + 24},7 0 0 0,32 0 0 ${AD + 32},76 0 0 0,7 0 0 0,32 0 0 ${AD + 44},76 0 0 0,22 0 0 0`],
  ['zero-vlan', `5,32 0 0 ${AD + 48},7 0 0 0,32 0 0 ${AD + 60},76 0 0 0,22 0 0 0`],
  ['xor-x', `6,0 0 0 6,1 0 0 3,32 0 0 ${AD + 40},21 0 1 5,6 0 0 1,6 0 0 0`],
  ['net-off-proto-6', `4,48 0 0 ${NET + 9},21 0 1 6,6 0 0 1,6 0 0 0`],
  ['ll-ethertype', `2,40 0 0 ${LL + 12},22 0 0 0`],
  ['ll-src-host', `4,32 0 0 ${LL + 8},21 0 1 ${0x00000102},6 0 0 1,6 0 0 0`],
  ['ll-ret-on-fault', `3,0 0 0 3,40 0 0 ${LL + 12},6 0 0 1`],
  ['past-end', '2,48 0 0 1500,6 0 0 1'],
  ['ind-past-end', '4,128 0 0 0,7 0 0 0,80 0 0 0,6 0 0 1'],
  ['ind-last-byte', '4,128 0 0 0,7 0 0 0,80 0 0 4294967295,22 0 0 0'],
  ['msh-thoff-20', '5,177 0 0 0,135 0 0 0,21 0 1 20,6 0 0 1,6 0 0 0'],
  ['len-over-200', '4,128 0 0 0,37 0 1 200,6 0 0 1,6 0 0 0'],
  ['div-by-x-0', '4,0 0 0 7,60 0 0 0,6 0 0 1,6 0 0 1'],
  ['shift-x-33', '6,1 0 0 33,0 0 0 1,108 0 0 0,21 0 1 2,6 0 0 1,6 0 0 0'],
  ['scratch', '9,48 0 0 9,2 0 0 3,0 0 0 0,96 0 0 3,4 0 0 1,2 0 0 15,97 0 0 15,135 0 0 0,22 0 0 0'],
  ['neg-ret', '3,0 0 0 1,132 0 0 0,22 0 0 0'],
];

const CHAINS = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'] as const;

function ruleFile(title: string): string {
  const lines: string[] = [];
  for (const ch of CHAINS) {
    if (ch === 'PREROUTING') lines.push(`-A PREROUTING -p udp -m udp --dport 5005 -j MARK --set-xmark 0x5/0xffffffff`);
    for (const [name, bc] of PROGRAMS) lines.push(`-A ${ch} -m bpf --bytecode "${bc}" -m comment --comment ${name}`);
  }
  return `# cofw golden: bpf (${title})
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
${lines.join('\n')}
COMMIT
`;
}

export function build(): Scenario & { rules6: string; machine: string } {
  const c = new Capture(3_000_000n);
  const OUT = '203.0.113.9';
  const IN = '192.0.2.10';
  // IPv4 from the outside: to the firewall, forwarded inwards.
  c.wire(ipv4({ src: OUT, dst: '198.51.100.1' }, tcp({ sport: 40000, dport: 22, flags: 'S' })));
  c.wire(ipv4({ src: OUT, dst: IN, ttl: 40 }, tcp({ sport: 40001, dport: 22, flags: 'S', options: Uint8Array.of(2, 4, 5, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7) })));
  c.wire(ipv4({ src: OUT, dst: IN }, tcp({ sport: 40002, dport: 80, flags: 'S' })));
  c.wire(ipv4({ src: OUT, dst: '198.51.100.1' }, icmp({ type: 8, id: 1, seq: 1 })));
  c.wire(ipv4({ src: OUT, dst: IN }, udp({ sport: 5000, dport: 5005, payload: payload(200) })));
  c.wire(ipv4({ src: OUT, dst: IN }, udp({ sport: 5000, dport: 5006, payload: payload(20) })));
  c.wire(ipv4({ src: OUT, dst: IN, id: 77, fragoff: 4 }, { proto: 17, bytes: payload(24) }));
  // From the inside: broadcast, multicast, and forwarded outwards.
  c.host(ipv4({ src: IN, dst: '192.0.2.255' }, udp({ sport: 137, dport: 137, payload: payload(30) })), BCAST_HOST);
  c.host(ipv4({ src: IN, dst: '224.0.0.1', ttl: 1 }, udp({ sport: 5353, dport: 5353, payload: payload(10) })), MCAST_ALL_HOSTS);
  c.host(ipv4({ src: IN, dst: OUT }, icmp({ type: 8, id: 2, seq: 1, payload: payload(300) })));
  // The firewall's own.
  c.local(ipv4({ src: '198.51.100.1', dst: OUT }, tcp({ sport: 22, dport: 40000, flags: 'SA' })));
  c.local(ipv4({ src: '198.51.100.1', dst: OUT }, udp({ sport: 5001, dport: 5005, payload: payload(120) })));

  // IPv6.
  const { w6, h6, l6 } = senders6(c);
  const OUT6 = '2001:db8:99::9';
  const IN6 = '2001:db8:2::10';
  w6(ipv6({ src: OUT6, dst: '2001:db8:100::1' }, tcp({ sport: 40000, dport: 22, flags: 'S' })));
  w6(ipv6({ src: OUT6, dst: IN6, hopLimit: 30 }, tcp({ sport: 40001, dport: 22, flags: 'S', options: Uint8Array.of(2, 4, 5, 0xa0, 1, 1, 4, 2) })));
  w6(ipv6({ src: OUT6, dst: IN6 }, udp({ sport: 5000, dport: 5005, payload: payload(150) })));
  w6(ipv6({ src: OUT6, dst: IN6, ext: [fragHeader(0, true, 9)] }, udp({ sport: 5000, dport: 5007, payload: payload(40) })));
  w6(ipv6({ src: OUT6, dst: IN6, ext: [fragHeader(48, false, 9)] }, { proto: 17, bytes: payload(16) }));
  w6(ipv6({ src: OUT6, dst: '2001:db8:100::1' }, icmp6({ type: 128, id: 1, seq: 1 })));
  h6(ipv6({ src: IN6, dst: 'ff02::1', hopLimit: 1 }, udp({ sport: 5353, dport: 5353, payload: payload(10) })), mcastMac('ff02::1', HOST_MAC));
  h6(ipv6({ src: IN6, dst: OUT6 }, icmp6({ type: 128, id: 2, seq: 1, payload: payload(300) })));
  l6(ipv6({ src: '2001:db8:100::1', dst: OUT6 }, tcp({ sport: 22, dport: 40000, flags: 'SA' })));
  l6(ipv6({ src: '2001:db8:100::1', dst: OUT6 }, udp({ sport: 5001, dport: 5005, payload: payload(120) })));
  return { rules: ruleFile('IPv4'), rules6: ruleFile('IPv6'), capture: c, machine: DUAL_STACK_MACHINE };
}
