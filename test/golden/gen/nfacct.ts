/**
 * nfacct: `-m nfacct --nfacct-name` with accounting objects made by `nfacct
 * add` before the rules load (its own machine file's `nfacct:`), both
 * families: an object counting everything INPUT sees (one object for both
 * families), a byte quota and a packet quota (their rules match only once
 * the object is over the quota, the opposite of `-m quota`), and an object
 * shared by the rules of FORWARD in both families. The kernel's `nfacct
 * list` after the replay is kept in `kernel.nfacct`.
 */
import { ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, DUAL_STACK_MACHINE, payload, type Scenario } from './capture.js';

/** The objects, as `nfacct add` makes them (the recording's nfacct.sh) and as the machine file declares them. */
export const NFACCT_SH = `nfacct add all-in
nfacct add cap-bytes byte 100
nfacct add cap-pkts packet 2
nfacct add shared
`;

const MACHINE = `${DUAL_STACK_MACHINE}nfacct:
  - {name: all-in}
  - {name: cap-bytes, quota: {bytes: 100}}
  - {name: cap-pkts, quota: {packets: 2}}
  - {name: shared}
`;

const TABLES = (v: string) => `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m nfacct --nfacct-name all-in
-A INPUT -p udp -m nfacct --nfacct-name cap-bytes -j DROP
-A INPUT -p udp -j ACCEPT
-A FORWARD -m nfacct --nfacct-name shared
-A FORWARD -p tcp -m nfacct --nfacct-name cap-pkts -j DROP
-A FORWARD -p tcp -j ACCEPT
-A OUTPUT -m nfacct --nfacct-name ${v === '4' ? 'shared' : 'all-in'}
COMMIT
`;

export const rules = `# cofw golden: nfacct (IPv4 side)\n${TABLES('4')}`;
export const rules6 = `# cofw golden: nfacct (IPv6 side)\n${TABLES('6')}`;

const OUT = '203.0.113.10';
const IN = '192.0.2.10';
const FW = '198.51.100.1';
const OUT6 = '2001:db8:99::5';
const IN6 = '2001:db8:2::10';
const FW6 = '2001:db8:100::1';

export function build(): Scenario & { rules6: string; machine: string; nfacctSh: string } {
  const c = new Capture(3_000_000n);
  // UDP to the firewall, 58-byte datagrams (IPv4) and 78-byte ones (IPv6): cap-bytes passes 100 on the second.
  for (let i = 0; i < 3; i++) c.wire(ipv4({ src: OUT, dst: FW }, udp({ sport: 5000 + i, dport: 53, payload: payload(30) })));
  for (let i = 0; i < 2; i++) c.wire6(ipv6({ src: OUT6, dst: FW6 }, udp({ sport: 5100 + i, dport: 53, payload: payload(30) })));
  // Forwarded SYNs: cap-pkts goes over 2 at the third, in either family.
  for (let i = 0; i < 2; i++) c.host(ipv4({ src: IN, dst: OUT }, tcp({ sport: 40000 + i, dport: 443, flags: 'S', seq: 1 })));
  for (let i = 0; i < 3; i++) c.host6(ipv6({ src: IN6, dst: OUT6 }, tcp({ sport: 41000 + i, dport: 443, flags: 'S', seq: 1 })));
  c.host(ipv4({ src: IN, dst: OUT }, tcp({ sport: 40009, dport: 443, flags: 'S', seq: 1 })));
  c.local(ipv4({ src: FW, dst: OUT }, udp({ sport: 53, dport: 5000, payload: payload(40) })));
  return { rules, rules6, machine: MACHINE, capture: c, nfacctSh: NFACCT_SH };
}
