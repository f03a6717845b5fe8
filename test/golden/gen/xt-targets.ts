/**
 * xt-targets: CLASSIFY (mangle FORWARD, OUTPUT, POSTROUTING), AUDIT and
 * IDLETIMER (with and without --alarm, two rules sharing a timer) let every
 * packet go on: the rules after them count the same packets, and the
 * verdicts are the policies' and the later rules'. Both families.
 */
import { ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, DUAL_STACK_MACHINE, payload, type Scenario } from './capture.js';

const TABLES = (v: string) => `*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A FORWARD -p tcp -j CLASSIFY --set-class 1:10
-A FORWARD -p tcp
-A OUTPUT -j CLASSIFY --set-class 2:20
-A POSTROUTING -j CLASSIFY --set-class ffff:1
-A POSTROUTING
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p udp -j AUDIT --type accept
-A INPUT -p udp -j IDLETIMER --timeout 30 --label cofw-in${v}
-A INPUT -p udp -m udp --dport 53 -j ACCEPT
-A INPUT -j AUDIT --type drop
-A FORWARD -j IDLETIMER --timeout 60 --label cofw-fwd${v} --alarm
-A FORWARD -p udp -j AUDIT --type reject
-A FORWARD -p udp -m udp --dport 9 -j REJECT
-A FORWARD -j IDLETIMER --timeout 5 --label cofw-fwd${v} --alarm
-A OUTPUT -j AUDIT --type accept
COMMIT
`;

export const rules = `# cofw golden: xt-targets (IPv4 side)\n${TABLES('4')}`;
export const rules6 = `# cofw golden: xt-targets (IPv6 side)\n${TABLES('6')}`;

const OUT = '203.0.113.10';
const IN = '192.0.2.10';
const FW = '198.51.100.1';
const OUT6 = '2001:db8:99::5';
const IN6 = '2001:db8:2::10';
const FW6 = '2001:db8:100::1';

export function build(): Scenario & { rules6: string; machine: string } {
  const c = new Capture(3_000_000n);
  for (let i = 0; i < 2; i++) c.host(ipv4({ src: IN, dst: OUT }, tcp({ sport: 40000 + i, dport: 443, flags: 'S', seq: 1 })));
  c.host(ipv4({ src: IN, dst: OUT }, udp({ sport: 40100, dport: 53, payload: payload(20) })));
  c.host(ipv4({ src: IN, dst: OUT }, udp({ sport: 40101, dport: 9, payload: payload(20) })));
  c.wire(ipv4({ src: OUT, dst: FW }, udp({ sport: 5000, dport: 53, payload: payload(30) })));
  c.wire(ipv4({ src: OUT, dst: FW }, udp({ sport: 5001, dport: 123, payload: payload(48) })));
  c.wire(ipv4({ src: OUT, dst: FW }, tcp({ sport: 5002, dport: 22, flags: 'S', seq: 1 })));
  c.local(ipv4({ src: FW, dst: OUT }, udp({ sport: 53, dport: 5000, payload: payload(40) })));
  c.host6(ipv6({ src: IN6, dst: OUT6 }, tcp({ sport: 40000, dport: 443, flags: 'S', seq: 1 })));
  c.host6(ipv6({ src: IN6, dst: OUT6 }, udp({ sport: 40101, dport: 9, payload: payload(20) })));
  c.wire6(ipv6({ src: OUT6, dst: FW6 }, udp({ sport: 5000, dport: 53, payload: payload(30) })));
  c.wire6(ipv6({ src: OUT6, dst: FW6 }, tcp({ sport: 5002, dport: 22, flags: 'S', seq: 1 })));
  return { rules, rules6, machine: DUAL_STACK_MACHINE, capture: c };
}
