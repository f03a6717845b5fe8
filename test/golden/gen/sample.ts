/**
 * The shipped sample (rules/sample.v4, pcaps/sample.pcap, machines/sample.yaml):
 * a small office's stateless firewall and a morning of its traffic, recorded
 * from the kernel as the golden scenario `sample`.
 */
import { icmp, ipv4, tcp, udp } from '../../../src/packet/build.js';
import { BCAST_HOST, Capture, between, payload, seeded, type Scenario } from './capture.js';

export const rules = `# cofw sample: a small office's firewall.
#
#   eth0  198.51.100.1/24  the internet (default route via 198.51.100.254)
#   eth1  192.0.2.1/24     the office LAN; its web server is 192.0.2.80
#
# Stateless (no connection tracking): each packet is judged on its own, so
# replies to the office's own connections are let back in by port and flags.
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:blocklist - [0:0]
:lan-out - [0:0]
:log-drop - [0:0]

# The firewall itself: SSH from the office only, ping from anywhere,
# broadcasts ignored quietly, SNMP and UPnP probes dropped, other UDP refused.
-A INPUT -i lo -j ACCEPT
-A INPUT -i eth1 -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type echo-request -j ACCEPT
-A INPUT -m pkttype --pkt-type broadcast -j DROP
-A INPUT -i eth0 -p tcp -m tcp --dport 22 -m comment --comment "ssh from the internet" -j log-drop
-A INPUT -p udp -m multiport --dports 161,1900 -j DROP
-A INPUT -p udp -j REJECT --reject-with icmp-port-unreachable

# Known-bad networks never get through; the web server is open to the rest.
-A FORWARD -i eth0 -j blocklist
-A FORWARD -i eth0 -o eth1 -d 192.0.2.80/32 -p tcp -m multiport --dports 80,443 -j ACCEPT
# Replies to the office's browsing and name lookups: from the right ports, never a new connection.
-A FORWARD -i eth0 -o eth1 -p tcp -m multiport --sports 80,443 -m tcp ! --syn -j ACCEPT
-A FORWARD -i eth0 -o eth1 -p udp -m udp --sport 53 -j ACCEPT
-A FORWARD -i eth1 -o eth0 -j lan-out

-A blocklist -s 185.220.101.0/24 -j DROP
-A blocklist -s 198.18.6.0/24 -j DROP
-A blocklist -s 45.155.205.0/24 -j DROP

# The office may browse and resolve names; mail and SMB leave only through the
# mail relay (refused at once, with a reset); IRC is logged and dropped.
-A lan-out -p tcp -m multiport --dports 25,445 -j REJECT --reject-with tcp-reset
-A lan-out -p tcp -m tcp --dport 6667 -j log-drop
-A lan-out -p tcp -m multiport --dports 80,443 -j ACCEPT
-A lan-out -p udp -m udp --dport 53 -j ACCEPT

-A log-drop -j LOG --log-prefix "cofw-drop: " --log-level 4
-A log-drop -j DROP
COMMIT
`;

export function build(): Scenario {
  // 5 ms apart: a calm morning (and REJECT replies far below the ICMP rate limit).
  const c = new Capture(5_000_000n);
  const r = seeded(11);
  const inside = (n: number) => `192.0.2.${10 + (n % 40)}`;
  for (let i = 0; i < 208; i++) {
    const k = i % 13;
    const sport = 32768 + Math.floor(r() * 28000);
    if (k === 0) c.host(ipv4({ src: inside(i), dst: i % 2 ? '198.51.100.1' : '192.0.2.1' }, tcp({ sport, dport: 22, flags: 'S' })));
    else if (k === 1) c.wire(ipv4({ src: `203.0.113.${1 + (i % 90)}`, dst: '198.51.100.1' }, tcp({ sport, dport: 22, flags: 'S' })));
    else if (k === 2) c.wire(ipv4({ src: `198.18.${i % 8}.${i % 250}`, dst: '192.0.2.80' }, tcp({ sport, dport: i % 2 ? 443 : 80, flags: 'S' })));
    else if (k === 3)
      c.host(ipv4({ src: inside(i), dst: `198.18.${i % 5}.20` }, tcp({ sport, dport: 443, flags: i % 4 ? 'A' : 'S', payload: payload(i % 300) })));
    else if (k === 4) c.host(ipv4({ src: inside(i), dst: '198.51.100.53' }, udp({ sport, dport: 53, payload: payload(30) })));
    else if (k === 5)
      c.wire(ipv4({ src: i % 3 ? `185.220.101.${i % 30}` : `45.155.205.${i % 200}`, dst: '192.0.2.80' }, tcp({ sport, dport: 443, flags: 'S' })));
    else if (k === 6) c.host(ipv4({ src: inside(i), dst: `203.0.113.${i % 50}` }, tcp({ sport, dport: [25, 445, 6667][i % 3]!, flags: 'S' })));
    else if (k === 7) c.wire(ipv4({ src: `203.0.113.${i % 90}`, dst: '198.51.100.1' }, icmp({ type: 8, id: i, seq: 1, payload: payload(56) })));
    else if (k === 8) c.wire(ipv4({ src: `203.0.113.${i % 90}`, dst: '198.51.100.1' }, udp({ sport, dport: [161, 1900, 5060][i % 3]!, payload: payload(40) })));
    else if (k === 9) c.local(ipv4({ src: '198.51.100.1', dst: '198.51.100.53' }, udp({ sport, dport: 123, payload: payload(48) })));
    else if (k === 10) c.host(ipv4({ src: inside(i), dst: '192.0.2.255' }, udp({ sport: 138, dport: 138, payload: payload(100) })), BCAST_HOST);
    else if (k === 11) {
      // Replies from the internet: web answers (accepted), a SYN from port 443 (a scan: dropped), DNS answers.
      const flags = i % 3 === 0 ? 'S' : 'PA';
      c.wire(
        ipv4({ src: `198.18.${i % 5}.20`, dst: inside(i) }, tcp({ sport: 443, dport: sport, flags, payload: payload(flags === 'S' ? 0 : 200 + (i % 900)) })),
      );
      c.wire(ipv4({ src: '198.51.100.53', dst: inside(i) }, udp({ sport: 53, dport: sport, payload: payload(60 + (i % 40)) })));
    } else {
      // The firewall asking itself (loopback), and office hosts probing closed ports on it.
      if (i % 2) c.local(ipv4({ src: '192.0.2.1', dst: '198.51.100.1' }, tcp({ sport, dport: 8080, flags: 'S' })));
      else if (i % 4 === 2) c.host(ipv4({ src: inside(i), dst: '192.0.2.1' }, tcp({ sport, dport: 80, flags: 'S' })));
      else c.host(ipv4({ src: inside(i), dst: '192.0.2.1' }, udp({ sport, dport: between(r, 1, 1023), payload: payload(16) })));
    }
  }
  return { rules, capture: c };
}
