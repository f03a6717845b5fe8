/**
 * devgroup: eth0 in device group 5 and eth1 in group 10 (`ip link set DEV
 * group N` in the oracle, `group:` in machine.yaml), lo in the default
 * group 0; `-m devgroup` by input group in PREROUTING, INPUT and FORWARD
 * and by output group in FORWARD, OUTPUT and POSTROUTING, with masks,
 * names (`default`) and inversion, over forwarded, delivered and locally
 * sent packets of both families, stateless.
 */
import { ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, payload, type Scenario } from './capture.js';

const TABLES = `*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -m devgroup --src-group 5
-A PREROUTING -m devgroup --src-group 10
-A PREROUTING -m devgroup --src-group 0x4/0x4
-A PREROUTING -m devgroup ! --src-group default
-A POSTROUTING -m devgroup --dst-group 5
-A POSTROUTING -m devgroup --dst-group 0xa
-A POSTROUTING -m devgroup ! --dst-group 0x8/0xe
-A POSTROUTING -m devgroup --dst-group 0/0
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m devgroup --src-group 5
-A INPUT -m devgroup ! --src-group 10
-A FORWARD -m devgroup --src-group 10 --dst-group 5 -j ACCEPT
-A FORWARD -p udp -m devgroup --src-group 5 ! --dst-group 5 -j DROP
-A FORWARD -m devgroup --dst-group 10
-A OUTPUT -m devgroup --dst-group 5
-A OUTPUT -m devgroup --dst-group 0
COMMIT
`;

export const rules = `# cofw golden: devgroup (IPv4 side)\n${TABLES}`;
export const rules6 = `# cofw golden: devgroup (IPv6 side)\n${TABLES}`;

export const machine = `hostname: cofw-devgroup
interfaces:
  - name: eth0
    mac: "02:00:00:00:00:01"
    addresses: [198.51.100.1/24, 2001:db8:100::1/64]
    group: 5
  - name: eth1
    mac: "02:00:00:00:01:01"
    addresses: [192.0.2.1/24, 2001:db8:2::1/64]
    group: 10
routes:
  - to: default
    via: 198.51.100.254
    dev: eth0
  - to: default
    via: 2001:db8:100::fe
    dev: eth0
fail: closed
`;

export const iproute = `ip link set eth0 group 5
ip link set eth1 group 10
`;

const OUT = '203.0.113.10';
const IN = '192.0.2.10';
const FW = '198.51.100.1';
const OUT6 = '2001:db8:99::5';
const IN6 = '2001:db8:2::10';
const FW6 = '2001:db8:100::1';

export function build(): Scenario & { rules6: string; machine: string; iproute: string } {
  const c = new Capture(3_000_000n);
  // Forwarded both ways: TCP from the inside (accepted in FORWARD), UDP from the outside (dropped by group).
  for (let i = 0; i < 2; i++) c.host(ipv4({ src: IN, dst: OUT }, tcp({ sport: 40000 + i, dport: 443, flags: 'S', seq: 1 })));
  for (let i = 0; i < 3; i++) c.wire(ipv4({ src: OUT, dst: IN }, udp({ sport: 5000, dport: 53 + i, payload: payload(20) })));
  c.wire(ipv4({ src: OUT, dst: IN }, tcp({ sport: 5001, dport: 22, flags: 'S', seq: 1 })));
  // To the firewall from both sides, and from the firewall.
  c.wire(ipv4({ src: OUT, dst: FW }, udp({ sport: 6000, dport: 123, payload: payload(48) })));
  c.host(ipv4({ src: IN, dst: '192.0.2.1' }, udp({ sport: 6001, dport: 53, payload: payload(30) })));
  c.local(ipv4({ src: FW, dst: OUT }, udp({ sport: 123, dport: 6000, payload: payload(48) })));
  c.local(ipv4({ src: FW, dst: '127.0.0.1' }, udp({ sport: 7000, dport: 7001, payload: payload(8) })));
  // IPv6.
  c.host6(ipv6({ src: IN6, dst: OUT6 }, tcp({ sport: 40000, dport: 443, flags: 'S', seq: 1 })));
  c.wire6(ipv6({ src: OUT6, dst: IN6 }, udp({ sport: 5000, dport: 53, payload: payload(20) })));
  c.wire6(ipv6({ src: OUT6, dst: FW6 }, udp({ sport: 6000, dport: 123, payload: payload(48) })));
  c.host6(ipv6({ src: IN6, dst: '2001:db8:2::1' }, udp({ sport: 6001, dport: 53, payload: payload(30) })));
  return { rules, rules6, machine, iproute, capture: c };
}
