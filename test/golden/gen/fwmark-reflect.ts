/**
 * fwmark-reflect: with net.ipv4.fwmark_reflect and net.ipv6.fwmark_reflect
 * at 1 (as the oracle sets them), REJECT's TCP resets and ICMP errors carry
 * the mark the rejected packet had, so mangle OUTPUT and POSTROUTING count
 * them under that mark: connections to the firewall and through it, both
 * families, marked in mangle PREROUTING by port.
 */
import { ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, DUAL_STACK_MACHINE, WIRE, type Scenario } from './capture.js';

export const machine = `${DUAL_STACK_MACHINE}sysctl:
  net.ipv4.fwmark_reflect: 1
  net.ipv6.fwmark_reflect: 1
`;

const tables = (fam: 4 | 6): string => `# cofw golden: fwmark-reflect (IPv${fam})
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp -m tcp --dport 23 -j MARK --set-xmark 0x5/0xffffffff
-A PREROUTING -p udp -m udp --dport 161 -j MARK --set-xmark 0x6/0xffffffff
-A OUTPUT -m mark --mark 0x5
-A OUTPUT -m mark --mark 0x6
-A OUTPUT -m mark --mark 0x0
-A POSTROUTING -m mark --mark 0x5
-A POSTROUTING -m mark --mark 0x6
-A POSTROUTING -m mark --mark 0x0
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m tcp --dport 23 -j REJECT --reject-with tcp-reset
-A INPUT -p udp -m udp --dport 161 -j REJECT --reject-with ${fam === 4 ? 'icmp-port-unreachable' : 'icmp6-port-unreachable'}
-A FORWARD -p tcp -m tcp --dport 23 -j REJECT --reject-with tcp-reset
-A FORWARD -p udp -m udp --dport 161 -j REJECT --reject-with ${fam === 4 ? 'icmp-host-prohibited' : 'icmp6-adm-prohibited'}
COMMIT
`;

export const rules = tables(4);
export const rules6 = tables(6);

export function build(): Scenario & { rules6: string; machine: string } {
  const c = new Capture();
  const wire6 = { ...WIRE, ethertype: 0x86dd };
  for (const dst of ['198.51.100.1', '192.0.2.20']) {
    c.wire(ipv4({ src: '203.0.113.10', dst }, tcp({ sport: 40000, dport: 23, flags: 'S', seq: 100 })));
    c.wire(ipv4({ src: '203.0.113.10', dst }, udp({ sport: 40001, dport: 161, payload: new Uint8Array(12) })));
  }
  for (const dst of ['2001:db8:100::1', '2001:db8:2::20']) {
    c.wire(ipv6({ src: '2001:db8:100::10', dst }, tcp({ sport: 40000, dport: 23, flags: 'S', seq: 100 })), wire6);
    c.wire(ipv6({ src: '2001:db8:100::10', dst }, udp({ sport: 40001, dport: 161, payload: new Uint8Array(12) })), wire6);
  }
  return { rules, rules6, capture: c, machine };
}
