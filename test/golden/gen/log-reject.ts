/**
 * log-reject: LOG with prefixes, levels and flags on every chain, REJECT with
 * every --reject-with value (and their aliases) in INPUT and FORWARD, and
 * OUTPUT rules that count the resets and ICMP errors REJECT sends: which
 * packets get a reply (not an RST, not an ICMP error, not a broadcast, not a
 * non-first fragment), its source address and its length.
 */
import { icmp, ipv4, raw, tcp, udp } from '../../../src/packet/build.js';
import { BCAST_HOST, Capture, payload, type Scenario } from './capture.js';

const KINDS = [
  'icmp-net-unreachable',
  'host-unreach',
  'icmp-port-unreachable',
  'proto-unreach',
  'net-prohib',
  'icmp-host-prohibited',
  'admin-prohib',
  'port-unreach',
] as const;

export const rules = `# cofw golden: log-reject (LOG on every chain, every REJECT reply, replies counted in OUTPUT)
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:log-and-reject - [0:0]
:replies - [0:0]
-A INPUT -p icmp --icmp-type echo-request -j LOG --log-prefix "ping: " --log-level info
-A INPUT -p icmp --icmp-type echo-request -j ACCEPT
-A INPUT -p tcp --dport 23 -j LOG --log-prefix "telnet " --log-level warning --log-tcp-sequence --log-tcp-options --log-ip-options
-A INPUT -p tcp --dport 23 -j REJECT --reject-with tcp-reset
-A INPUT -p tcp --dport 113 -j REJECT --reject-with tcp-rst
${KINDS.map((k, i) => `-A INPUT -p udp --dport ${1000 + i} -j REJECT --reject-with ${k}`).join('\n')}
-A INPUT -p 47 -j REJECT --reject-with icmp-proto-unreachable
-A INPUT -p icmp -j log-and-reject
-A INPUT -d 192.0.2.255 -j REJECT
-A INPUT -j LOG --log-level emerg --log-prefix "input policy "
-A INPUT -p tcp -j REJECT
-A INPUT -j LOG --log-level 7
-A log-and-reject -j LOG --log-prefix "icmp: " --log-level debug --log-macdecode
-A log-and-reject -p icmp --icmp-type echo-reply -j DROP
-A log-and-reject -j REJECT --reject-with icmp-host-prohibited
-A FORWARD -j LOG --log-prefix "fwd " --log-level 5 --log-uid
-A FORWARD -i eth1 -p tcp --dport 25 -j REJECT --reject-with tcp-reset
-A FORWARD -p tcp --dport 23 -j REJECT --reject-with tcp-reset
${KINDS.slice(0, 7)
  .map((k, i) => `-A FORWARD -p udp --dport ${1000 + i} -j REJECT --reject-with ${k}`)
  .join('\n')}
-A FORWARD -p icmp --icmp-type echo-request -j REJECT --reject-with icmp-admin-prohibited
-A FORWARD -f -j REJECT
-A FORWARD -p udp -j REJECT --reject-with icmp-port-unreachable
-A FORWARD -j LOG --log-prefix "fwd-policy "
-A OUTPUT -j replies
-A OUTPUT -p udp -j LOG --log-prefix "out: "
-A replies -s 198.51.100.1 -p tcp --tcp-flags RST RST -j ACCEPT
-A replies -s 192.0.2.1 -p tcp --tcp-flags RST RST -j ACCEPT
-A replies -p tcp --tcp-flags RST,ACK RST,ACK
-A replies -p tcp --tcp-flags RST RST -j ACCEPT
-A replies -p icmp --icmp-type network-unreachable
-A replies -p icmp --icmp-type host-unreachable
-A replies -p icmp --icmp-type protocol-unreachable
-A replies -p icmp --icmp-type port-unreachable
-A replies -p icmp --icmp-type network-prohibited
-A replies -p icmp --icmp-type host-prohibited
-A replies -p icmp --icmp-type communication-prohibited
-A replies -s 198.51.100.1 -p icmp
-A replies -s 192.0.2.1 -p icmp
-A replies -p icmp -m length --length 576
-A replies -p icmp -m length --length 0:575
-A replies -p icmp -j ACCEPT
COMMIT
`;

export function build(): Scenario {
  // 25 ms apart: REJECT replies stay far below the kernel's ICMP rate limit.
  const c = new Capture(25_000_000n);
  let id = 1;
  let host = 1;
  // A new outside source for each rejected packet.
  const out = () => `203.0.113.${host++}`;
  const ip = (src: string, dst: string, extra: { options?: Uint8Array } = {}) => ({ src, dst, id: id++, ...extra });

  // Pings to the firewall: logged and accepted.
  for (let i = 0; i < 4; i++) c.wire(ipv4(ip(out(), '198.51.100.1'), icmp({ type: 8, id: 3, seq: i, payload: payload(56) })));
  // Telnet and ident to the firewall: resets (none for an RST).
  c.wire(ipv4(ip(out(), '198.51.100.1'), tcp({ sport: 41000, dport: 23, flags: 'S', seq: 1000 })));
  c.wire(ipv4(ip(out(), '198.51.100.1'), tcp({ sport: 41001, dport: 23, flags: 'PA', seq: 2000, ack: 77, payload: payload(25) })));
  c.wire(ipv4(ip(out(), '198.51.100.1'), tcp({ sport: 41002, dport: 23, flags: 'S', options: Uint8Array.from([2, 4, 5, 0xb4, 1, 1, 4, 2]) })));
  c.wire(ipv4(ip(out(), '198.51.100.1'), tcp({ sport: 41003, dport: 23, flags: 'R', seq: 5 })));
  c.wire(ipv4(ip(out(), '198.51.100.1'), tcp({ sport: 41004, dport: 23, flags: 'FA', seq: 9, ack: 10 })));
  c.host(ipv4(ip('192.0.2.40', '192.0.2.1'), tcp({ sport: 41005, dport: 23, flags: 'S' })));
  c.wire(ipv4(ip(out(), '198.51.100.1'), tcp({ sport: 41006, dport: 113, flags: 'S' })));
  c.host(ipv4(ip('192.0.2.41', '198.51.100.1'), tcp({ sport: 41007, dport: 113, flags: 'SA', seq: 1, ack: 2 })));
  // Every ICMP reply to UDP on the firewall: short, long (quoted up to 576 bytes), with IP options.
  KINDS.forEach((_, i) => {
    c.wire(ipv4(ip(out(), '198.51.100.1'), udp({ sport: 5000, dport: 1000 + i, payload: payload(30) })));
    c.wire(ipv4(ip(out(), '192.0.2.1'), udp({ sport: 5000, dport: 1000 + i, payload: payload(900) })));
  });
  c.host(ipv4(ip('192.0.2.42', '192.0.2.1', { options: Uint8Array.from([1, 1, 1, 0]) }), udp({ sport: 5001, dport: 1002, payload: payload(12) })));
  // A reassembled fragment pair to the firewall: rejected whole.
  const big = udp({ sport: 5002, dport: 1003, payload: payload(1000, 0x62) }).bytes;
  const fragSrc = out();
  c.wire(ipv4({ src: fragSrc, dst: '198.51.100.1', id: 4000, mf: true, proto: 17 }, raw(17, big.subarray(0, 504))));
  c.wire(ipv4({ src: fragSrc, dst: '198.51.100.1', id: 4000, fragoff: 63, proto: 17 }, raw(17, big.subarray(504))));
  // GRE: protocol unreachable.
  c.wire(ipv4(ip(out(), '198.51.100.1'), raw(47, payload(24))));
  // Other ICMP: echo reply logged and dropped; timestamp and an ICMP error logged
  // and rejected (an ICMP error is never answered).
  c.wire(ipv4(ip(out(), '198.51.100.1'), icmp({ type: 0, id: 3, seq: 1 })));
  c.wire(ipv4(ip(out(), '198.51.100.1'), icmp({ type: 13, id: 3, seq: 1, payload: payload(12) })));
  c.wire(ipv4(ip(out(), '198.51.100.1'), icmp({ type: 3, code: 3, payload: payload(28) })));
  c.wire(ipv4(ip(out(), '198.51.100.1'), icmp({ type: 11, code: 0, payload: payload(28) })));
  // A broadcast is never answered.
  c.host(ipv4(ip('192.0.2.43', '192.0.2.255'), udp({ sport: 137, dport: 137, payload: payload(50) })), BCAST_HOST);
  // The rest: TCP to a closed port gets the default port-unreachable; UDP is logged by the policy rules.
  c.wire(ipv4(ip(out(), '198.51.100.1'), tcp({ sport: 41010, dport: 5555, flags: 'S' })));
  c.host(ipv4(ip('192.0.2.44', '192.0.2.1'), tcp({ sport: 41011, dport: 5555, flags: 'A', payload: payload(100) })));
  c.wire(ipv4(ip(out(), '198.51.100.1'), udp({ sport: 41012, dport: 5555, payload: payload(10) })));

  // FORWARD: resets both ways (with and without ACK), none for an RST.
  for (let i = 0; i < 3; i++) {
    c.host(
      ipv4(ip(`192.0.2.${50 + i}`, out()), tcp({ sport: 42000 + i, dport: 25, flags: i === 2 ? 'PA' : 'S', seq: 7 * i, ack: 3, payload: payload(i * 30) })),
    );
    c.wire(ipv4(ip(out(), `192.0.2.${60 + i}`), tcp({ sport: 43000 + i, dport: 23, flags: i === 1 ? 'R' : 'S', seq: 11 * i })));
  }
  c.wire(ipv4(ip(out(), '192.0.2.63'), tcp({ sport: 43010, dport: 25, flags: 'S' })));
  // Every ICMP unreachable for forwarded UDP, small and large, both ways.
  KINDS.slice(0, 7).forEach((_, i) => {
    c.host(ipv4(ip(`192.0.2.${70 + i}`, out()), udp({ sport: 5003, dport: 1000 + i, payload: payload(700) })));
    c.wire(ipv4(ip(out(), `192.0.2.${80 + i}`), udp({ sport: 5004, dport: 1000 + i, payload: payload(8) })));
  });
  // Forwarded pings: admin prohibited.
  c.host(ipv4(ip('192.0.2.90', out()), icmp({ type: 8, id: 5, seq: 1, payload: payload(56) })));
  c.wire(ipv4(ip(out(), '192.0.2.91'), icmp({ type: 8, id: 5, seq: 2 })));
  // Forwarded echo reply: logged, then the policy.
  c.wire(ipv4(ip(out(), '192.0.2.91'), icmp({ type: 0, id: 5, seq: 2 })));
  // Forwarded fragments: the first is answered, the non-first is not.
  const frag = udp({ sport: 5005, dport: 9999, payload: payload(600, 0x63) }).bytes;
  c.host(ipv4({ src: '192.0.2.92', dst: '203.0.113.250', id: 4001, mf: true, proto: 17 }, raw(17, frag.subarray(0, 304))));
  c.host(ipv4({ src: '192.0.2.92', dst: '203.0.113.250', id: 4001, fragoff: 38, proto: 17 }, raw(17, frag.subarray(304))));
  // TTL 1 forwarded: dropped before FORWARD, not logged, not rejected.
  c.host(ipv4({ src: '192.0.2.93', dst: '203.0.113.251', id: id++, ttl: 1 }, udp({ sport: 5006, dport: 1002, payload: payload(20) })));
  // Locally generated UDP: logged in OUTPUT.
  for (let i = 0; i < 3; i++) c.local(ipv4(ip('198.51.100.1', `203.0.113.${240 + i}`), udp({ sport: 5007, dport: 53, payload: payload(30) })));
  return { rules, capture: c };
}
