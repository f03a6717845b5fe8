/**
 * user-chains: jumps, gotos, RETURN from user and built-in chains, nesting,
 * falling off the end of a chain, chains reached from several places, and the
 * policy counters that gotos and RETURNs feed.
 */
import { icmp, ipv4, raw, tcp, udp } from '../../../src/packet/build.js';
import { Capture, between, payload, pick, seeded, type Scenario } from './capture.js';

export const rules = `# cofw golden: user-chains (jump, goto, RETURN, nesting, policies)
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:common - [0:0]
:tcp-in - [0:0]
:udp-in - [0:0]
:icmp-in - [0:0]
:ssh - [0:0]
:web - [0:0]
:deep1 - [0:0]
:deep2 - [0:0]
:deep3 - [0:0]
:fwd-in - [0:0]
:fwd-out - [0:0]
:out-udp - [0:0]
:out-tcp - [0:0]
:never-used - [0:0]
:empty - [0:0]
-A INPUT -j common
-A INPUT -j empty
-A INPUT -p tcp -j tcp-in
-A INPUT -p udp -g udp-in
-A INPUT -p icmp -j icmp-in
-A INPUT -s 203.0.113.0/24 -j ACCEPT
-A INPUT -p tcp
-A common -s 192.0.2.66 -j DROP
-A common -p tcp --dport 7 -j DROP
-A common -s 192.0.2.0/28 -j RETURN
-A common -p 47 -j ACCEPT
-A common -p tcp --dport 9
-A tcp-in -p tcp --dport 22 -j ssh
-A tcp-in -p tcp --dport 80:443 -g web
-A tcp-in -p tcp --dport 1000:2000 -j RETURN
-A tcp-in -p tcp --syn -j DROP
-A ssh -s 192.0.2.0/24 -j ACCEPT
-A ssh -s 203.0.113.0/28 -j RETURN
-A ssh -j DROP
-A web -p tcp --dport 80 -j ACCEPT
-A web -p tcp --dport 443 -j deep1
-A deep1 -j deep2
-A deep1 -s 203.0.113.200/29 -j DROP
-A deep2 -s 203.0.113.0/25 -g deep3
-A deep2 -s 203.0.113.200/30 -j RETURN
-A deep2 -j ACCEPT
-A deep3 -p tcp --sport 1024:2047 -j ACCEPT
-A deep3 -p tcp --sport 2048:4095 -j RETURN
-A deep3 -p tcp --sport 4096:8191 -j DROP
-A udp-in -p udp --dport 53 -j ACCEPT
-A udp-in -p udp --dport 123 -j RETURN
-A udp-in -p udp --dport 161 -j DROP
-A icmp-in -p icmp --icmp-type echo-request -j ACCEPT
-A icmp-in -p icmp --icmp-type echo-reply -g fwd-out
-A icmp-in -j RETURN
-A icmp-in -j DROP
-A FORWARD -j common
-A FORWARD -p icmp -j icmp-in
-A FORWARD -i eth1 -o eth0 -j fwd-out
-A FORWARD -i eth0 -o eth1 -g fwd-in
-A FORWARD -p udp -j RETURN
-A FORWARD -p tcp -j ACCEPT
-A fwd-out -p tcp --dport 25 -j DROP
-A fwd-out -p tcp -j web
-A fwd-out -p udp -j ACCEPT
-A fwd-in -d 192.0.2.80 -j web
-A fwd-in -d 192.0.2.81 -j RETURN
-A fwd-in -d 192.0.2.82 -j ACCEPT
-A OUTPUT -j common
-A OUTPUT -p udp -j out-udp
-A OUTPUT -p tcp -g out-tcp
-A OUTPUT -j DROP
-A out-udp -d 203.0.113.0/24 -j DROP
-A out-tcp -p tcp --dport 25 -j DROP
-A out-tcp -j RETURN
-A never-used -j DROP
COMMIT
`;

export function build(): Scenario {
  const c = new Capture();
  const r = seeded(202);
  const eph = () => between(r, 1024, 65535);
  const out = () => `203.0.113.${between(r, 1, 254)}`;
  let id = 1;
  const ip = (src: string, dst: string) => ({ src, dst, id: id++ });
  for (let round = 0; round < 5; round++) {
    // common: dropped host, port 7, RETURN for 192.0.2.0/28, GRE accepted, port 9 falls through.
    c.host(ipv4(ip('192.0.2.66', '192.0.2.1'), tcp({ sport: eph(), dport: 22, flags: 'S' })));
    c.wire(ipv4(ip(out(), '198.51.100.1'), tcp({ sport: eph(), dport: 7, flags: 'S' })));
    c.wire(ipv4(ip(out(), '198.51.100.1'), raw(47, payload(30))));
    c.host(ipv4(ip(`192.0.2.${between(r, 2, 14)}`, '192.0.2.1'), tcp({ sport: eph(), dport: 9, flags: 'S' })));
    c.host(ipv4(ip(`192.0.2.${between(r, 20, 60)}`, '192.0.2.1'), tcp({ sport: eph(), dport: 9, flags: 'S' })));
    // ssh: inside accepted, 203.0.113.0/28 returns (then accepted by INPUT's -s rule), others dropped.
    c.host(ipv4(ip(`192.0.2.${between(r, 20, 60)}`, '192.0.2.1'), tcp({ sport: eph(), dport: 22, flags: 'S' })));
    c.wire(ipv4(ip(`203.0.113.${between(r, 1, 15)}`, '198.51.100.1'), tcp({ sport: eph(), dport: 22, flags: 'S' })));
    c.wire(ipv4(ip(`198.18.0.${round + 1}`, '198.51.100.1'), tcp({ sport: eph(), dport: 22, flags: 'S' })));
    // web by goto from tcp-in: port 80 accepted, 443 through deep1/2/3, others fall off web back to INPUT.
    c.wire(ipv4(ip(`198.18.1.${round + 1}`, '198.51.100.1'), tcp({ sport: eph(), dport: 80, flags: 'S' })));
    c.wire(ipv4(ip(`198.18.1.${round + 1}`, '198.51.100.1'), tcp({ sport: eph(), dport: pick(r, [81, 400, 442]), flags: 'A' })));
    c.wire(ipv4(ip(`203.0.113.${between(r, 16, 127)}`, '198.51.100.1'), tcp({ sport: between(r, 1024, 2047), dport: 443, flags: 'S' })));
    c.wire(ipv4(ip(`203.0.113.${between(r, 16, 127)}`, '198.51.100.1'), tcp({ sport: between(r, 2048, 4095), dport: 443, flags: 'S' })));
    c.wire(ipv4(ip(`203.0.113.${between(r, 16, 127)}`, '198.51.100.1'), tcp({ sport: between(r, 4096, 8191), dport: 443, flags: 'S' })));
    c.wire(ipv4(ip(`203.0.113.${between(r, 16, 127)}`, '198.51.100.1'), tcp({ sport: between(r, 8192, 65535), dport: 443, flags: 'S' })));
    c.wire(ipv4(ip(`203.0.113.${200 + (round % 4)}`, '198.51.100.1'), tcp({ sport: eph(), dport: 443, flags: 'S' })));
    c.wire(ipv4(ip(`203.0.113.${204 + (round % 4)}`, '198.51.100.1'), tcp({ sport: eph(), dport: 443, flags: 'S' })));
    c.wire(ipv4(ip(`198.18.2.${round + 1}`, '198.51.100.1'), tcp({ sport: eph(), dport: 443, flags: 'S' })));
    // tcp-in: RETURN for 1000:2000, SYN dropped, non-SYN falls off to INPUT.
    c.wire(ipv4(ip(`198.18.3.${round + 1}`, '198.51.100.1'), tcp({ sport: eph(), dport: between(r, 1000, 2000), flags: 'S' })));
    c.wire(ipv4(ip(`198.18.3.${round + 1}`, '198.51.100.1'), tcp({ sport: eph(), dport: 5000, flags: 'S' })));
    c.wire(ipv4(ip(`198.18.3.${round + 1}`, '198.51.100.1'), tcp({ sport: eph(), dport: 5000, flags: 'FA' })));
    c.wire(ipv4(ip(out(), '198.51.100.1'), tcp({ sport: eph(), dport: 5000, flags: 'R' })));
    // udp-in by goto: accepted, RETURN (to INPUT's policy), dropped, falling off (policy).
    for (const dport of [53, 123, 161, 514]) c.wire(ipv4(ip(out(), '198.51.100.1'), udp({ sport: eph(), dport, payload: payload(20 + (dport % 50)) })));
    // icmp-in from INPUT and FORWARD.
    c.wire(ipv4(ip(`198.18.4.${round + 1}`, '198.51.100.1'), icmp({ type: 8, id: 1, seq: round, payload: payload(56) })));
    c.wire(ipv4(ip(`198.18.4.${round + 1}`, '198.51.100.1'), icmp({ type: 0, id: 1, seq: round })));
    c.wire(ipv4(ip(`198.18.4.${round + 1}`, '198.51.100.1'), icmp({ type: 3, code: 3, payload: payload(28) })));
    c.host(ipv4(ip(`192.0.2.${between(r, 20, 60)}`, out()), icmp({ type: 8, id: 2, seq: round })));
    c.host(ipv4(ip(`192.0.2.${between(r, 20, 60)}`, out()), icmp({ type: 0, id: 2, seq: round })));
    c.host(ipv4(ip(`192.0.2.${between(r, 20, 60)}`, out()), icmp({ type: 11, code: 0, payload: payload(28) })));
    c.wire(ipv4(ip(out(), `192.0.2.${between(r, 20, 60)}`), icmp({ type: 0, id: 3, seq: round })));
    // FORWARD: fwd-out (mail dropped, web reached from a second place, UDP accepted).
    c.host(ipv4(ip(`192.0.2.${between(r, 20, 60)}`, out()), tcp({ sport: eph(), dport: 25, flags: 'S' })));
    c.host(ipv4(ip(`192.0.2.${between(r, 20, 60)}`, out()), tcp({ sport: eph(), dport: 80, flags: 'S' })));
    c.host(ipv4(ip(`192.0.2.${between(r, 20, 60)}`, `203.0.113.${between(r, 1, 100)}`), tcp({ sport: between(r, 1024, 2047), dport: 443, flags: 'S' })));
    c.host(ipv4(ip(`192.0.2.${between(r, 20, 60)}`, out()), tcp({ sport: eph(), dport: 8443, flags: 'S' })));
    c.host(ipv4(ip(`192.0.2.${between(r, 20, 60)}`, out()), udp({ sport: eph(), dport: 53, payload: payload(30) })));
    c.host(ipv4(ip(`192.0.2.${between(r, 2, 14)}`, out()), raw(47, payload(20))));
    // FORWARD: fwd-in by goto (web, RETURN to policy, accept, falling off to policy).
    for (const dst of ['192.0.2.80', '192.0.2.81', '192.0.2.82', '192.0.2.83']) {
      c.wire(ipv4(ip(`198.18.5.${round + 1}`, dst), tcp({ sport: eph(), dport: dst === '192.0.2.80' ? pick(r, [80, 443, 8080]) : 80, flags: 'S' })));
    }
    c.wire(ipv4(ip(`198.18.5.${round + 1}`, '192.0.2.81'), udp({ sport: eph(), dport: 53, payload: payload(30) })));
    // FORWARD: the same interface in and out (neither fwd chain), UDP RETURN to policy vs TCP accepted.
    c.host(ipv4(ip(`192.0.2.${between(r, 20, 60)}`, `192.0.2.${between(r, 100, 120)}`), udp({ sport: eph(), dport: 137, payload: payload(50) })));
    c.host(ipv4(ip(`192.0.2.${between(r, 20, 60)}`, `192.0.2.${between(r, 100, 120)}`), tcp({ sport: eph(), dport: 445, flags: 'S' })));
    // OUTPUT: common (port 7 dropped), out-udp, out-tcp by goto (mail dropped, RETURN to policy), ICMP to the final DROP.
    c.local(ipv4(ip('198.51.100.1', out()), tcp({ sport: eph(), dport: 7, flags: 'S' })));
    c.local(ipv4(ip('198.51.100.1', out()), udp({ sport: eph(), dport: 514, payload: payload(80) })));
    c.local(ipv4(ip('198.51.100.1', `198.18.6.${round + 1}`), udp({ sport: eph(), dport: 53, payload: payload(30) })));
    c.local(ipv4(ip('198.51.100.1', out()), tcp({ sport: eph(), dport: 25, flags: 'S' })));
    c.local(ipv4(ip('198.51.100.1', out()), tcp({ sport: eph(), dport: 443, flags: 'S' })));
    c.local(ipv4(ip('192.0.2.1', `192.0.2.${between(r, 20, 60)}`), icmp({ type: 8, id: 4, seq: round })));
    c.local(ipv4(ip('192.0.2.1', `192.0.2.${between(r, 20, 60)}`), raw(47, payload(12))));
  }
  return { rules, capture: c };
}
