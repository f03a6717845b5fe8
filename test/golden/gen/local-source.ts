/**
 * local-source: packets that arrive from outside with one of the
 * firewall's own addresses as their source, on a machine with
 * `net.ipv4.conf.all.accept_local` 0 (the kernel's default; the shared
 * oracle turns it on). ip_route_input_slow's fib_validate_source drops
 * them after PREROUTING, on their way to be delivered, broadcast or
 * forwarded (SKB_DROP_REASON_IP_LOCAL_SOURCE); IPv6 has no such check.
 * Other sources pass: a subnet's broadcast address, the gateway. Each case
 * is one UDP packet with its own destination port, twice; frames name the
 * interface they arrive on and, for the firewall's own addresses, that
 * they were received (pcapng direction in).
 */
import { ethernet, ipv4, ipv6, udp } from '../../../src/packet/build.js';
import { Capture, HOST, WIRE, payload, type Scenario } from './capture.js';
import { HOST6, WIRE6 } from './ip6.js';

interface Case {
  what: string;
  src: string;
  dst: string;
  on: 'eth0' | 'eth1';
  l2dst?: string;
}

const V4: Case[] = [
  { what: 'eth1 address from eth0, forwarded', src: '192.0.2.1', dst: '192.0.2.10', on: 'eth0' },
  { what: 'eth1 address from eth1, to the firewall', src: '192.0.2.1', dst: '198.51.100.1', on: 'eth1' },
  { what: 'eth0 address from eth0 to itself', src: '198.51.100.1', dst: '198.51.100.1', on: 'eth0' },
  { what: 'eth0 address from eth1, forwarded', src: '198.51.100.1', dst: '203.0.113.5', on: 'eth1' },
  { what: 'eth1 address to 255.255.255.255', src: '192.0.2.1', dst: '255.255.255.255', on: 'eth1', l2dst: 'ff:ff:ff:ff:ff:ff' },
  { what: 'eth1 address to the subnet broadcast', src: '192.0.2.1', dst: '192.0.2.255', on: 'eth1', l2dst: 'ff:ff:ff:ff:ff:ff' },
  { what: 'subnet broadcast source, forwarded', src: '192.0.2.255', dst: '203.0.113.5', on: 'eth1' },
  { what: 'gateway to the firewall', src: '198.51.100.254', dst: '198.51.100.1', on: 'eth0' },
  { what: 'inside host, forwarded', src: '192.0.2.10', dst: '203.0.113.5', on: 'eth1' },
];

const V6: Case[] = [
  { what: 'eth1 address from eth0, forwarded', src: '2001:db8:2::1', dst: '2001:db8:2::10', on: 'eth0' },
  { what: 'eth1 address from eth1, to the firewall', src: '2001:db8:2::1', dst: '2001:db8:100::1', on: 'eth1' },
  { what: 'eth0 address from eth0 to itself', src: '2001:db8:100::1', dst: '2001:db8:100::1', on: 'eth0' },
  { what: 'inside host, forwarded', src: '2001:db8:2::10', dst: '2001:db8:5::5', on: 'eth1' },
];

const OWN = new Set(['192.0.2.1', '198.51.100.1', '2001:db8:2::1', '2001:db8:100::1']);

function rulesFor(cases: readonly Case[], base: number, family: 4 | 6): string {
  const count = (chain: string): string => cases.map((k, i) => `-A ${chain} -p udp -m udp --dport ${base + i} -m comment --comment "${k.what}"\n`).join('');
  return `# cofw golden: sources that are the firewall's own addresses, from outside (IPv${family})
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${count('PREROUTING')}COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${count('INPUT')}${count('FORWARD')}COMMIT
`;
}

function add(c: Capture, k: Case, ip: Uint8Array, v6: boolean): void {
  const base = k.on === 'eth0' ? (v6 ? WIRE6 : WIRE) : v6 ? HOST6 : HOST;
  c.add(ethernet(k.l2dst ? { ...base, dst: k.l2dst } : base, ip));
  const f = c.frames[c.frames.length - 1]!;
  f.ifName = k.on;
  if (OWN.has(k.src)) f.direction = 'in';
}

export const machine = `hostname: cofw-local-source
interfaces:
  - name: eth0
    mac: "02:00:00:00:00:01"
    addresses: [198.51.100.1/24, 2001:db8:100::1/64]
  - name: eth1
    mac: "02:00:00:00:01:01"
    addresses: [192.0.2.1/24, 2001:db8:2::1/64]
routes:
  - {to: default, via: 198.51.100.254, dev: eth0}
  - {to: "::/0", via: "2001:db8:100::fe", dev: eth0}
sysctl:
  net.ipv4.conf.all.accept_local: 0
fail: closed
`;

export function build(): Scenario & { rules6: string; machine: string } {
  const c = new Capture(3_000_000n);
  for (let round = 0; round < 2; round++) {
    V4.forEach((k, i) =>
      add(c, k, ipv4({ src: k.src, dst: k.dst, ttl: 64, id: 0x400 + i }, udp({ sport: 5000 + round, dport: 6000 + i, payload: payload(20 + i) })), false),
    );
    V6.forEach((k, i) =>
      add(c, k, ipv6({ src: k.src, dst: k.dst, hopLimit: 64 }, udp({ sport: 5000 + round, dport: 7000 + i, payload: payload(20 + i) })), true),
    );
    c.pause(300);
  }
  return { rules: rulesFor(V4, 6000, 4), rules6: rulesFor(V6, 7000, 6), capture: c, machine };
}
