/**
 * ct-family: connection tracking registered per family, as the kernel
 * registers it (nf_ct_netns_get for the family of the rule that needs
 * it). The iptables rules are stateless and the ip6tables rules track, so
 * IPv4 fragments go through unreassembled (a later fragment counted by
 * `-f`) and no IPv4 entry is made, while IPv6 is tracked. Also IPv6 UDP
 * with a zero checksum: conntrack's udp_error takes a zero checksum as
 * "none" in both families (NEW, not INVALID); a wrong one is INVALID.
 */
import { ipv4, ipv6, raw, udp } from '../../../src/packet/build.js';
import { Capture, DUAL_STACK_MACHINE, WIRE, type Scenario } from './capture.js';

export const rules = `# cofw golden: ct-family (IPv4 stateless, IPv6 tracked)
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -f
-A INPUT -p udp -m udp --dport 9000
-A FORWARD -f
-A FORWARD -p udp
COMMIT
`;

export const rules6 = `# cofw golden: ct-family (IPv4 stateless, IPv6 tracked)
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctstate INVALID
-A INPUT -p udp -m conntrack --ctstate NEW
-A INPUT -p udp -m conntrack --ctstate ESTABLISHED
-A FORWARD -m conntrack --ctstate INVALID
-A FORWARD -p udp -m conntrack --ctstate NEW
-A FORWARD -p udp -m conntrack --ctstate ESTABLISHED
COMMIT
`;

/** A UDP datagram in two IPv4 fragments (the first with the header and 16 bytes). */
function fragmented(src: string, dst: string, sport: number, dport: number, id: number): Uint8Array[] {
  const whole = udp({ sport, dport, payload: new Uint8Array(40).fill(0x41) }).bytes;
  return [
    ipv4({ src, dst, id, mf: true, proto: 17 }, raw(17, whole.subarray(0, 24))),
    ipv4({ src, dst, id, fragoff: 3, proto: 17 }, raw(17, whole.subarray(24))),
  ];
}

export function build(): Scenario & { rules6: string; machine: string } {
  const c = new Capture();
  // IPv4: to the firewall and through it, fragmented and whole.
  for (const f of fragmented('203.0.113.10', '198.51.100.1', 4000, 9000, 0x101)) c.wire(f);
  for (const f of fragmented('203.0.113.10', '192.0.2.20', 4001, 9001, 0x102)) c.wire(f);
  c.wire(ipv4({ src: '203.0.113.10', dst: '198.51.100.1' }, udp({ sport: 4002, dport: 9000, payload: new Uint8Array(8) })));
  c.wire(ipv4({ src: '203.0.113.10', dst: '192.0.2.20' }, udp({ sport: 4003, dport: 9001, payload: new Uint8Array(8) })));
  // IPv6: zero checksums (NEW, twice), a wrong one (INVALID), a right one.
  const v6 = (dst: string, sport: number, sum: 'zero' | 'wrong' | 'right'): Uint8Array => {
    const l4 = udp({ sport, dport: 9000, payload: new Uint8Array(8).fill(0x42) });
    const p = ipv6({ src: '2001:db8:100::10', dst, rawL4: sum !== 'right' }, l4);
    if (sum === 'wrong') p[40 + 6] = 0x12;
    return p;
  };
  const wire6 = { ...WIRE, ethertype: 0x86dd };
  for (const dst of ['2001:db8:100::1', '2001:db8:2::20']) {
    c.wire(v6(dst, 5000, 'zero'), wire6);
    c.wire(v6(dst, 5000, 'zero'), wire6);
    c.wire(v6(dst, 5001, 'wrong'), wire6);
    c.wire(v6(dst, 5002, 'right'), wire6);
  }
  return { rules, rules6, capture: c, machine: DUAL_STACK_MACHINE };
}
