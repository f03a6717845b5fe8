/**
 * The first golden scenarios (filter-core, reject-log, blocklist-300,
 * header-edges),
 * recorded before the scenario set was split by theme. Kept because their
 * recordings are kernel facts too; their captures are 3 ms apart.
 */
import { icmp, ipv4, raw, tcp, udp } from '../../../src/packet/build.js';
import { formatIPv4 } from '../../../src/packet/addr.js';
import { BCAST_HOST, Capture, MCAST_ALL_HOSTS, payload, seeded, type Scenario } from './capture.js';

const OTHER_WIRE = { src: '02:00:00:00:00:77', dst: '02:00:00:00:00:01' };

export function filterCore(): Scenario {
  const c = new Capture(3_000_000n);
  const r = seeded(1);
  for (let i = 0; i < 30; i++) {
    const sport = 30000 + Math.floor(r() * 20000);
    const dport = [22, 80, 443, 25, 8080, 53, 3306, 6000][i % 8]!;
    const src = `203.0.113.${1 + Math.floor(r() * 200)}`;
    c.wire(ipv4({ src, dst: '198.51.100.1', id: i }, tcp({ sport, dport, flags: i % 3 ? 'S' : 'A', seq: i })));
    c.wire(ipv4({ src, dst: '192.0.2.10', id: i, ttl: 40 + (i % 30) }, tcp({ sport, dport, flags: i % 4 ? 'S' : 'SA', payload: payload(i * 10) })));
    c.host(
      ipv4(
        { src: `192.0.2.${10 + (i % 5)}`, dst: `198.18.${i}.1`, id: i },
        udp({ sport: 5000 + i, dport: [53, 123, 161, 514][i % 4]!, payload: payload(20 + i) }),
      ),
    );
  }
  // ICMP of many types, to the firewall and through it.
  for (const [type, code] of [
    [8, 0],
    [0, 0],
    [3, 3],
    [3, 1],
    [11, 0],
    [13, 0],
    [5, 1],
    [8, 0],
  ] as const) {
    c.wire(ipv4({ src: '203.0.113.50', dst: '198.51.100.1' }, icmp({ type, code, id: 7, seq: type })));
    c.host(ipv4({ src: '192.0.2.11', dst: '203.0.113.50' }, icmp({ type, code, id: 8, seq: type })));
  }
  // Other protocols.
  c.wire(ipv4({ src: '203.0.113.60', dst: '192.0.2.10' }, raw(47, payload(24))));
  c.wire(ipv4({ src: '203.0.113.61', dst: '198.51.100.1' }, raw(50, payload(40))));
  // Fragments: forwarded (each traverses FORWARD) and to the firewall (reassembled before INPUT).
  for (const [dst, id] of [
    ['192.0.2.10', 900],
    ['198.51.100.1', 901],
  ] as const) {
    const whole = udp({ sport: 7000, dport: 53, payload: payload(600, 0x62) }).bytes;
    c.wire(ipv4({ src: '203.0.113.70', dst, id, mf: true, proto: 17 }, raw(17, whole.subarray(0, 296))));
    c.wire(ipv4({ src: '203.0.113.70', dst, id, fragoff: 37, proto: 17 }, raw(17, whole.subarray(296))));
  }
  // TTL 1 forwarded (dropped before FORWARD), TTL 1 to the firewall (delivered).
  c.host(ipv4({ src: '192.0.2.12', dst: '203.0.113.80', ttl: 1 }, udp({ sport: 33434, dport: 33435 })));
  c.wire(ipv4({ src: '203.0.113.80', dst: '198.51.100.1', ttl: 1 }, udp({ sport: 33434, dport: 33436 })));
  // Broadcast and multicast from the host side.
  c.host(ipv4({ src: '192.0.2.13', dst: '192.0.2.255' }, udp({ sport: 137, dport: 137, payload: payload(50) })), BCAST_HOST);
  c.host(ipv4({ src: '192.0.2.13', dst: '255.255.255.255' }, udp({ sport: 68, dport: 67, payload: payload(240) })), BCAST_HOST);
  c.host(ipv4({ src: '192.0.2.14', dst: '224.0.0.1' }, raw(2, payload(8))), MCAST_ALL_HOSTS);
  // A different MAC on the wire side; large packets; TCP options.
  c.wire(ipv4({ src: '203.0.113.90', dst: '198.51.100.1' }, tcp({ sport: 1234, dport: 22, flags: 'S' })), OTHER_WIRE);
  c.wire(ipv4({ src: '203.0.113.91', dst: '192.0.2.10', df: false }, tcp({ sport: 1235, dport: 80, flags: 'PA', payload: payload(1400) })));
  const mss = Uint8Array.from([2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]);
  c.wire(ipv4({ src: '203.0.113.92', dst: '192.0.2.10' }, tcp({ sport: 1236, dport: 443, flags: 'S', options: mss })));
  c.wire(ipv4({ src: '203.0.113.92', dst: '192.0.2.10' }, tcp({ sport: 1237, dport: 443, flags: 'FPU' })));
  c.wire(ipv4({ src: '203.0.113.92', dst: '192.0.2.10' }, tcp({ sport: 1238, dport: 443, flags: 0 })));
  // Locally generated.
  for (let i = 0; i < 6; i++) {
    c.local(
      ipv4(
        { src: '198.51.100.1', dst: `203.0.113.${100 + i}` },
        i % 2 ? udp({ sport: 40000 + i, dport: 53 }) : tcp({ sport: 40000 + i, dport: 443, flags: 'S' }),
      ),
    );
    c.local(ipv4({ src: '192.0.2.1', dst: `192.0.2.${20 + i}` }, icmp({ type: 8, id: 99, seq: i })));
  }
  const rules = `# cofw golden: stateless filter table, generic options and every implemented match
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:icmp-in - [0:0]
:tcp-fwd - [0:0]
:udp-out - [0:0]
:web - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -f -j DROP
-A INPUT -p icmp -j icmp-in
-A INPUT -m pkttype --pkt-type broadcast -j ACCEPT
-A INPUT -m pkttype --pkt-type multicast -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -m mac --mac-source 02:00:00:00:00:77 -j DROP
-A INPUT -p tcp --syn --dport 22 -j ACCEPT
-A INPUT -p tcp -m multiport --dports 25,80,443 -j ACCEPT
-A INPUT -p udp -m addrtype --dst-type LOCAL --limit-iface-in -j ACCEPT
-A INPUT ! -p tcp -m ttl --ttl-lt 2
-A INPUT -s 203.0.113.0/255.255.255.192 -p tcp -j DROP
-A INPUT -p 50
-A icmp-in -p icmp --icmp-type echo-request -j ACCEPT
-A icmp-in -p icmp --icmp-type 3/3 -j ACCEPT
-A icmp-in -p icmp --icmp-type destination-unreachable -j RETURN
-A icmp-in -p icmp ! --icmp-type 11 -j ACCEPT
-A FORWARD -m ttl --ttl-eq 0
-A FORWARD -p tcp -i eth+ -o eth1 -g tcp-fwd
-A FORWARD -i eth1 ! -o eth1 -p udp -m multiport ! --dports 161,514 -j ACCEPT
-A FORWARD -i eth1 -p icmp --icmp-type any -j ACCEPT
-A FORWARD -p udp -m length --length 0:100 -j DROP
-A FORWARD -p udp -f -j ACCEPT
-A FORWARD -m iprange --src-range 203.0.113.60-203.0.113.61 -j ACCEPT
-A FORWARD -d 198.18.0.0/15 -j DROP
-A tcp-fwd -p tcp --tcp-flags ALL NONE -j DROP
-A tcp-fwd -p tcp --tcp-flags FIN,PSH,URG FIN,PSH,URG -j DROP
-A tcp-fwd -p tcp --tcp-option 8 -j ACCEPT
-A tcp-fwd -p tcp -m multiport --sports 1000:1300 -m length --length 1000:65535 -j ACCEPT
-A tcp-fwd -p tcp -m tcp --tcp-flags SYN,ACK SYN,ACK -j DROP
-A tcp-fwd -p tcp -j web
-A tcp-fwd -m ttl --ttl-gt 60 -j RETURN
-A web -p tcp -m multiport --ports 80,443,8080 -j ACCEPT
-A web -p tcp --dport 3306 -j RETURN
-A web -m comment --comment "web: the rest is dropped" -j DROP
-A OUTPUT -o lo -j ACCEPT
-A OUTPUT -p udp -j udp-out
-A OUTPUT -s 192.0.2.1 -p icmp -m addrtype --src-type LOCAL --dst-type UNICAST -j ACCEPT
-A OUTPUT -p tcp -m tcp --tcp-flags SYN SYN -d 203.0.113.104 -j DROP
-A udp-out -d 203.0.113.101 -j DROP
COMMIT
`;
  return { rules, capture: c };
}

export function rejectLog(): Scenario {
  const c = new Capture(3_000_000n);
  const kinds = [
    'icmp-net-unreachable',
    'icmp-host-unreachable',
    'icmp-port-unreachable',
    'icmp-proto-unreachable',
    'icmp-net-prohibited',
    'icmp-host-prohibited',
    'icmp-admin-prohibited',
  ];
  kinds.forEach((k: string, i: number) => {
    // to the firewall (INPUT) and through it (FORWARD), UDP to port 1000+i
    c.wire(ipv4({ src: '203.0.113.20', dst: '198.51.100.1', id: 100 + i }, udp({ sport: 5000, dport: 1000 + i, payload: payload(30) })));
    c.host(ipv4({ src: '192.0.2.30', dst: '203.0.113.21', id: 200 + i }, udp({ sport: 5001, dport: 1000 + i, payload: payload(700) })));
  });
  for (let i = 0; i < 6; i++) {
    c.wire(
      ipv4(
        { src: '203.0.113.22', dst: '198.51.100.1' },
        tcp({ sport: 41000 + i, dport: 23, flags: i % 2 ? 'S' : 'PA', seq: 1000 * i, ack: 77, payload: payload(i * 5) }),
      ),
    );
    c.host(ipv4({ src: '192.0.2.31', dst: '203.0.113.23' }, tcp({ sport: 42000 + i, dport: 23, flags: i === 5 ? 'R' : 'S', seq: 5 * i })));
  }
  // An ICMP error is never answered with one; a non-first fragment neither.
  c.wire(ipv4({ src: '203.0.113.24', dst: '198.51.100.1' }, icmp({ type: 3, code: 3, payload: payload(28) })));
  c.wire(ipv4({ src: '203.0.113.24', dst: '198.51.100.1', id: 5, fragoff: 10, proto: 17 }, raw(17, payload(16))));
  // Logged and accepted.
  for (let i = 0; i < 5; i++) c.wire(ipv4({ src: '203.0.113.25', dst: '198.51.100.1' }, icmp({ type: 8, id: 3, seq: i })));
  const udpRules = kinds.map((k: string, i: number) => `-A INPUT -p udp -m udp --dport ${1000 + i} -j REJECT --reject-with ${k}`).join('\n');
  const fwdRules = kinds.map((k: string, i: number) => `-A FORWARD -p udp -m udp --dport ${1000 + i} -j REJECT --reject-with ${k}`).join('\n');
  const rules = `# cofw golden: LOG and every REJECT reply, counted again in OUTPUT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:reply - [0:0]
-A INPUT -p icmp -m icmp --icmp-type 8 -j LOG --log-prefix "ping: " --log-level 6
-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A INPUT -f -j LOG --log-prefix "frag "
-A INPUT -p tcp -m tcp --dport 23 -j LOG --log-tcp-options --log-tcp-sequence
-A INPUT -p tcp -m tcp --dport 23 -j REJECT --reject-with tcp-reset
${udpRules}
-A INPUT -j REJECT
${fwdRules}
-A FORWARD -p tcp -j REJECT --reject-with tcp-reset
-A OUTPUT -j reply
-A reply -p tcp -m tcp --tcp-flags RST RST -j ACCEPT
-A reply -p icmp -m icmp --icmp-type 3/0 -j ACCEPT
-A reply -p icmp -m icmp --icmp-type 3/1
-A reply -p icmp -m icmp --icmp-type 3/3 -s 198.51.100.1
-A reply -p icmp -m icmp --icmp-type 3/3 -s 192.0.2.1
-A reply -p icmp -m length --length 576
-A reply -p icmp -m icmp --icmp-type 3/13 -j DROP
COMMIT
`;
  return { rules, capture: c };
}

export function blocklist300(): Scenario {
  const c = new Capture(3_000_000n);
  const r = seeded(3);
  const nets: [number, number][] = [];
  const lines: string[] = [];
  for (let i = 0; i < 300; i++) {
    const prefix = [8, 16, 20, 24, 24, 28, 32][Math.floor(r() * 7)]!;
    const top = [45, 91, 185, 193][Math.floor(r() * 4)]!;
    const a = ((top << 24) | Math.floor(r() * 0x1000000)) >>> 0;
    const net = prefix === 32 ? a : (a & ((0xffffffff << (32 - prefix)) >>> 0)) >>> 0;
    nets.push([net, prefix]);
    const chain = i < 180 ? 'INPUT' : 'FORWARD';
    const field = i % 5 === 4 && chain === 'FORWARD' ? '-d' : '-s';
    lines.push(`-A ${chain} ${field} ${formatIPv4(net)}/${prefix} -j ${r() < 0.8 ? 'DROP' : 'ACCEPT'}`);
  }
  for (let i = 0; i < 400; i++) {
    const [net, prefix] = nets[Math.floor(r() * nets.length)]!;
    const src = prefix === 32 ? net : (net | Math.floor(r() * 2 ** (32 - prefix))) >>> 0;
    const outsider = ((23 << 24) | Math.floor(r() * 0xffffff)) >>> 0;
    const s = formatIPv4(r() < 0.85 ? src : outsider);
    if (i % 3 === 0) c.host(ipv4({ src: '192.0.2.40', dst: formatIPv4(src) }, udp({ sport: 1000 + i, dport: 53 })));
    else c.wire(ipv4({ src: s, dst: i % 2 ? '198.51.100.1' : '192.0.2.40' }, tcp({ sport: 2000 + i, dport: 443, flags: 'S' })));
  }
  const rules = `# cofw golden: a 300-rule block list, first match wins
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${lines.join('\n')}
-A INPUT -p tcp -j DROP
COMMIT
`;
  return { rules, capture: c };
}

/** Short headers, fragments and inverted ports: where nf_tables and xt differ, the kernel decides. */
export function headerEdges(): Scenario {
  const c = new Capture(3_000_000n);
  const full = tcp({ sport: 1000, dport: 22, flags: 'S' }).bytes;
  for (const dst of ['198.51.100.1', '192.0.2.10']) {
    c.wire(ipv4({ src: '203.0.113.5', dst }, raw(6, full.subarray(0, 10))));
    c.wire(ipv4({ src: '203.0.113.5', dst }, raw(6, full.subarray(0, 16))));
    c.wire(ipv4({ src: '203.0.113.5', dst }, raw(17, Uint8Array.from([0, 53, 0]))));
    c.wire(ipv4({ src: '203.0.113.5', dst }, raw(17, new Uint8Array(4))));
    c.wire(ipv4({ src: '203.0.113.5', dst }, raw(1, Uint8Array.from([8, 0]))));
  }
  c.wire(ipv4({ src: '203.0.113.5', dst: '192.0.2.10', fragoff: 1, proto: 6 }, raw(6, full.subarray(8))));
  c.wire(ipv4({ src: '203.0.113.5', dst: '192.0.2.10', mf: true, proto: 6, id: 9 }, raw(6, full.subarray(0, 8))));
  c.wire(ipv4({ src: '203.0.113.5', dst: '192.0.2.10', fragoff: 1, proto: 1 }, raw(1, new Uint8Array(8))));
  for (const [sport, dport] of [
    [1, 3],
    [1, 2],
    [5, 6],
    [1, 22],
  ] as const) {
    c.wire(ipv4({ src: '203.0.113.6', dst: '192.0.2.10' }, udp({ sport, dport })));
    c.wire(ipv4({ src: '203.0.113.6', dst: '192.0.2.10' }, tcp({ sport, dport, flags: 'A' })));
  }
  const rules = `# cofw golden: short headers, fragments and inverted ports
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp --dport 22
-A INPUT -p udp --dport 53
-A INPUT -p tcp
-A INPUT -p udp
-A FORWARD -p udp ! --sport 1 ! --dport 2
-A FORWARD -p tcp ! --sport 1 ! --dport 2
-A FORWARD -p tcp ! --sport 1 --dport 2
-A FORWARD -p udp --sport 1 --dport 2
-A FORWARD -p tcp --dport 22
-A FORWARD -p tcp --tcp-flags SYN SYN
-A FORWARD -p icmp --icmp-type 8
-A FORWARD -p icmp
-A FORWARD -p tcp --tcp-option 2
-A FORWARD -p tcp
-A FORWARD -p udp --sport 53
-A FORWARD -p udp -m multiport --sports 53
-A FORWARD -p udp
COMMIT
`;
  return { rules, capture: c };
}
