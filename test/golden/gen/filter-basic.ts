/**
 * filter-basic: the generic rule options and the tcp, udp and icmp matches on
 * INPUT, FORWARD and OUTPUT, with fragments, TTL 1, broadcasts, loopback and
 * locally generated packets.
 */
import { icmp, ipv4, raw, tcp, udp } from '../../../src/packet/build.js';
import { BCAST_HOST, Capture, between, payload, pick, seeded, type Scenario } from './capture.js';

export const rules = `# cofw golden: filter-basic (stateless filter table, generic options, tcp/udp/icmp)
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
# Deliberately zero: fragments are reassembled before INPUT.
-A INPUT -f
-A INPUT -s 192.0.2.66 -j DROP
-A INPUT -d 192.0.2.255 -p udp -j ACCEPT
-A INPUT -d 255.255.255.255 -j ACCEPT
-A INPUT -i eth1 -p tcp --syn --dport 22 -j ACCEPT
-A INPUT ! -i eth1 -p tcp --dport 22 -j DROP
-A INPUT -s 203.0.113.0/255.255.255.192 -p tcp --dport 80:443 -j ACCEPT
-A INPUT -s 203.0.113.64/26 -p tcp --tcp-flags SYN,ACK,FIN,RST ACK
-A INPUT -s 203.0.113.77/24 -p tcp --tcp-flags ALL SYN,FIN
-A INPUT -p tcp ! --syn -j DROP
-A INPUT -p tcp --sport :1023 -j DROP
-A INPUT -p udp --sport 53 --dport 1024:65535 -j ACCEPT
-A INPUT -p udp -d 198.51.100.1 --dport 33434:33534 -j ACCEPT
-A INPUT -p udp --dport 500:
-A INPUT -p udp ! --dport 0:1023 -j DROP
-A INPUT -p icmp --icmp-type echo-request -j ACCEPT
-A INPUT -p icmp --icmp-type 3/4 -j ACCEPT
-A INPUT -p icmp --icmp-type time-exceeded -j ACCEPT
-A INPUT -p icmp --icmp-type 0 -j ACCEPT
-A INPUT -p icmp --icmp-type port-unreachable -j DROP
-A INPUT -p icmp ! --icmp-type timestamp-request -j DROP
-A INPUT -p 47 -j ACCEPT
-A INPUT ! -p tcp -s 0.0.0.1/0.0.0.1
-A INPUT -d 198.51.100.1 ! -s 203.0.113.0/24 -p tcp -j ACCEPT
-A FORWARD -p udp -d 203.0.113.0/24 --dport 53 -j ACCEPT
-A FORWARD -p udp -f
-A FORWARD -f -d 192.0.2.0/24 -j ACCEPT
-A FORWARD -p tcp -d 203.0.113.0/24 --dport 80 -j ACCEPT
-A FORWARD -p tcp -f -j DROP
-A FORWARD -i eth1 -o eth+ -s 192.0.2.0/25 -p tcp --dport 443 -j ACCEPT
-A FORWARD -i eth+ ! -o eth0 -d 192.0.2.80 -p tcp --dport 80 -j ACCEPT
-A FORWARD -i eth0 -o eth1 ! -d 192.0.2.80/255.255.255.255 -p tcp -j DROP
-A FORWARD -i eth1 ! -s 192.0.2.0/25 -j DROP
-A FORWARD -o eth0 -p icmp --icmp-type any -j ACCEPT
-A FORWARD -i eth0 -p 47 -j ACCEPT
-A FORWARD -i et+
-A FORWARD -o eth0 ! -p udp -j ACCEPT
-A FORWARD -p udp --sport 1024:65535 --dport 1024: -j DROP
-A FORWARD ! -i eth0 -p udp --dport 123 -j ACCEPT
-A OUTPUT -o lo -j ACCEPT
-A OUTPUT -s 198.51.100.1 -o eth0 -p udp --dport 53 -j ACCEPT
-A OUTPUT -s 192.0.2.1/32 -o eth1 -p icmp -j ACCEPT
-A OUTPUT -p tcp --tcp-flags SYN,RST SYN -d 203.0.113.0/24 --dport 25 -j DROP
-A OUTPUT ! -o eth0 -j DROP
-A OUTPUT -d 203.0.113.0/24 -j ACCEPT
COMMIT
`;

export function build(): Scenario {
  const c = new Capture();
  const r = seeded(101);
  const out = () => `203.0.113.${between(r, 1, 254)}`;
  const inLow = () => `192.0.2.${between(r, 2, 127)}`;
  const inHigh = () => `192.0.2.${between(r, 128, 254)}`;
  const eph = () => between(r, 1024, 65535);
  let id = 1;
  const ip = (src: string, dst: string, extra: { ttl?: number } = {}) => ({ src, dst, id: id++, ...extra });

  for (let round = 0; round < 6; round++) {
    // INPUT: SSH from inside (SYN accepted, ACK falls to '! --syn'), SSH from outside dropped.
    c.host(ipv4(ip(inLow(), '192.0.2.1'), tcp({ sport: eph(), dport: 22, flags: 'S' })));
    c.host(ipv4(ip(inLow(), '198.51.100.1'), tcp({ sport: eph(), dport: 22, flags: 'A', payload: payload(round * 7) })));
    c.wire(ipv4(ip(out(), '198.51.100.1'), tcp({ sport: eph(), dport: 22, flags: 'S' })));
    // Web on the firewall from 203.0.113.0/26 (accepted) and from elsewhere.
    c.wire(ipv4(ip(`203.0.113.${between(r, 1, 63)}`, '198.51.100.1'), tcp({ sport: eph(), dport: pick(r, [80, 443, 200, 79, 444]), flags: 'S' })));
    c.wire(
      ipv4(
        ip(`203.0.113.${between(r, 64, 127)}`, '198.51.100.1'),
        tcp({ sport: eph(), dport: 80, flags: pick(r, ['A', 'PA', 'FA', 'RA']), payload: payload(round * 11) }),
      ),
    );
    c.wire(ipv4(ip(`203.0.113.${between(r, 128, 254)}`, '198.51.100.1'), tcp({ sport: eph(), dport: 8080, flags: round % 2 ? 'SF' : 'S' })));
    c.wire(
      ipv4(ip(`198.18.${round}.${between(r, 1, 254)}`, '198.51.100.1'), tcp({ sport: [25, 1024, 80, 5000, 1023, 40000][round]!, dport: 9000, flags: 'S' })),
    );
    // UDP to the firewall: DNS answers, traceroute, high and low ports.
    c.wire(ipv4(ip(out(), '198.51.100.1'), udp({ sport: 53, dport: eph(), payload: payload(40 + round) })));
    c.wire(ipv4(ip(out(), '198.51.100.1'), udp({ sport: 53, dport: pick(r, [53, 1023, 500]), payload: payload(30) })));
    c.wire(ipv4(ip(`198.18.0.${2 * round + 1}`, '198.51.100.1'), udp({ sport: eph(), dport: pick(r, [500, 1500, 4500, 137]), payload: payload(20) })));
    c.host(ipv4(ip(inLow(), '192.0.2.1'), udp({ sport: eph(), dport: pick(r, [67, 123, 161, 514]), payload: payload(48) })));
    // ICMP to the firewall: names, numbers, type/code.
    for (const [type, code] of [
      [8, 0],
      [3, 4],
      [11, 0],
      [11, 1],
      [0, 0],
      [3, 3],
      [3, 1],
      [13, 0],
      [14, 0],
      [12, 0],
    ] as const) {
      if ((type + code + round) % 3 === 0 || type === 8)
        c.wire(ipv4(ip(out(), '198.51.100.1'), icmp({ type, code, id: 5, seq: round, payload: payload(type === 8 ? 56 : 28) })));
    }
    // GRE and ESP to the firewall.
    c.wire(ipv4(ip(out(), '198.51.100.1'), raw(47, payload(24 + round))));
    c.host(ipv4(ip(`192.0.2.${2 * round + 3}`, '192.0.2.1'), raw(50, payload(40))));
    // Broadcasts from the inside.
    c.host(ipv4(ip(inLow(), '192.0.2.255'), udp({ sport: 138, dport: 138, payload: payload(90) })), BCAST_HOST);
    if (round % 2 === 0) c.host(ipv4(ip(inLow(), '255.255.255.255'), udp({ sport: 68, dport: 67, payload: payload(240) })), BCAST_HOST);
    // A dropped inside host.
    c.host(ipv4(ip('192.0.2.66', '192.0.2.1'), udp({ sport: 138, dport: 138, payload: payload(10) })));

    // FORWARD: DNS out, web out and in, inside upper half, ICMP, GRE, NTP.
    c.host(ipv4(ip(inLow(), out()), udp({ sport: eph(), dport: 53, payload: payload(33) })));
    c.host(ipv4(ip(inLow(), `198.18.1.${round + 1}`), udp({ sport: eph(), dport: 53, payload: payload(33) })));
    c.host(ipv4(ip(inLow(), out()), tcp({ sport: eph(), dport: 80, flags: 'S' })));
    c.host(ipv4(ip(inLow(), `198.18.2.${round + 1}`), tcp({ sport: eph(), dport: 443, flags: 'PA', payload: payload(100 + round) })));
    c.host(ipv4(ip(inHigh(), `198.18.2.${round + 1}`), tcp({ sport: eph(), dport: 443, flags: 'S' })));
    c.host(ipv4(ip(inHigh(), out()), icmp({ type: 8, id: 9, seq: round })));
    c.host(ipv4(ip(inLow(), out()), icmp({ type: 8, id: 9, seq: round, payload: payload(56) })));
    c.host(ipv4(ip(inLow(), out()), tcp({ sport: eph(), dport: 22, flags: 'S' })));
    if (round % 2) c.host(ipv4(ip(inLow(), out()), raw(50, payload(60))));
    c.host(ipv4(ip(inLow(), `198.18.3.${round + 1}`), udp({ sport: 123, dport: 123, payload: payload(48) })));
    c.host(ipv4(ip(inLow(), `198.18.3.${round + 1}`), udp({ sport: eph(), dport: pick(r, [5060, 1194, 40000]), payload: payload(60) })));
    c.wire(ipv4(ip(out(), '192.0.2.80'), tcp({ sport: eph(), dport: 80, flags: 'S' })));
    c.wire(ipv4(ip(out(), '192.0.2.81'), tcp({ sport: eph(), dport: 80, flags: 'S' })));
    c.wire(ipv4(ip(out(), '192.0.2.80'), tcp({ sport: eph(), dport: 22, flags: 'S' })));
    c.wire(ipv4(ip(out(), `192.0.2.${between(r, 2, 254)}`), raw(47, payload(64))));
    c.wire(ipv4(ip(out(), '192.0.2.90'), udp({ sport: eph(), dport: 123, payload: payload(48) })));
    c.wire(ipv4(ip(`198.18.9.${round}`, '192.0.2.91'), icmp({ type: 0, id: 1, seq: round })));

    // TTL 1: forwarded ones die before FORWARD; to the firewall they are delivered.
    c.host(ipv4(ip(inLow(), out(), { ttl: 1 }), udp({ sport: 33434 + round, dport: 33434 + round, payload: payload(32) })));
    c.wire(ipv4(ip(out(), '192.0.2.80', { ttl: 1 }), tcp({ sport: eph(), dport: 80, flags: 'S' })));
    c.wire(ipv4(ip(out(), '198.51.100.1', { ttl: 1 }), udp({ sport: eph(), dport: 33434 + round, payload: payload(32) })));
    if (round < 2) c.host(ipv4(ip(inLow(), out(), { ttl: 2 }), udp({ sport: 33434, dport: 53, payload: payload(32) })));

    // Locally generated: DNS out, ICMP inside, mail (dropped), loopback, off-interface.
    c.local(ipv4(ip('198.51.100.1', out()), udp({ sport: eph(), dport: 53, payload: payload(30) })));
    c.local(ipv4(ip('192.0.2.1', inLow()), icmp({ type: 8, id: 77, seq: round })));
    c.local(ipv4(ip('198.51.100.1', out()), tcp({ sport: eph(), dport: 25, flags: 'S' })));
    c.local(ipv4(ip('198.51.100.1', out()), tcp({ sport: eph(), dport: 443, flags: 'S' })));
    c.local(ipv4(ip('198.51.100.1', '192.0.2.1'), udp({ sport: eph(), dport: 5353, payload: payload(20) })));
    c.local(ipv4(ip('192.0.2.1', inHigh()), udp({ sport: 514, dport: 514, payload: payload(70) })));
    c.local(ipv4(ip('198.51.100.1', `198.18.7.${round + 1}`), udp({ sport: eph(), dport: 123, payload: payload(48) })));
  }

  // Fragments. Forwarded ones each traverse FORWARD (nothing reassembles them
  // without conntrack); only the first carries ports.
  const dns = udp({ sport: 40001, dport: 53, payload: payload(600, 0x62) }).bytes;
  for (const [src, dst, fid] of [
    ['192.0.2.20', '203.0.113.53', 3000],
    ['192.0.2.21', '198.18.4.4', 3001],
    ['203.0.113.70', '192.0.2.30', 3002],
  ] as const) {
    c.host(ipv4({ src, dst, id: fid, mf: true, proto: 17 }, raw(17, dns.subarray(0, 304))));
    if (src.startsWith('192.')) c.host(ipv4({ src, dst, id: fid, fragoff: 38, proto: 17 }, raw(17, dns.subarray(304))));
    else c.wire(ipv4({ src, dst, id: fid, fragoff: 38, proto: 17 }, raw(17, dns.subarray(304))));
  }
  // The same from the outside, in both orders.
  c.wire(ipv4({ src: '203.0.113.71', dst: '192.0.2.31', id: 3003, fragoff: 38, proto: 17 }, raw(17, dns.subarray(304))));
  c.wire(ipv4({ src: '203.0.113.71', dst: '192.0.2.31', id: 3003, mf: true, proto: 17 }, raw(17, dns.subarray(0, 304))));
  // TCP fragments forwarded: an ordinary pair, and an offset-1 fragment (the
  // tcp match refuses such a packet outright).
  const web = tcp({ sport: 40002, dport: 80, flags: 'PA', payload: payload(400, 0x63) }).bytes;
  c.host(ipv4({ src: '192.0.2.22', dst: '203.0.113.80', id: 3004, mf: true, proto: 6 }, raw(6, web.subarray(0, 200))));
  c.host(ipv4({ src: '192.0.2.22', dst: '203.0.113.80', id: 3004, fragoff: 25, proto: 6 }, raw(6, web.subarray(200))));
  c.host(ipv4({ src: '192.0.2.23', dst: '203.0.113.81', id: 3005, fragoff: 1, proto: 6 }, raw(6, payload(40, 0x64))));
  c.host(ipv4({ src: '192.0.2.23', dst: '198.18.5.5', id: 3006, fragoff: 2, proto: 6 }, raw(6, payload(40, 0x64))));
  // To the firewall: a complete pair (INPUT sees it once, whole) and a lone first fragment (never delivered).
  const trace = udp({ sport: 40003, dport: 33500, payload: payload(1000, 0x65) }).bytes;
  c.wire(ipv4({ src: '203.0.113.90', dst: '198.51.100.1', id: 3007, mf: true, proto: 17 }, raw(17, trace.subarray(0, 504))));
  c.wire(ipv4({ src: '203.0.113.90', dst: '198.51.100.1', id: 3007, fragoff: 63, proto: 17 }, raw(17, trace.subarray(504))));
  c.wire(ipv4({ src: '203.0.113.91', dst: '198.51.100.1', id: 3008, mf: true, proto: 17 }, raw(17, trace.subarray(0, 504))));
  return { rules, capture: c };
}
