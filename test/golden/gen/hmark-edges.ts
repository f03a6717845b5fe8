/**
 * hmark-edges: HMARK's packet tuple on the packets it treats specially,
 * stateless (no conntrack, so nothing is reassembled). Each packet is a
 * flow of its own; PREROUTING marks it, then one `-m mark --mark` rule per
 * packet holds the mark cofw computes for it (written into the rule file
 * by this generator): the kernel's counters say whether its marks agree.
 *
 * IPv4: a first fragment and a later one (no ports for either), a TCP
 * header cut after its ports' first two bytes (no ports), ICMP errors
 * quoting a fragment (no ports), quoting ICMP, and quoting too little for
 * an IPv4 header (the mark is left alone: mark 0), ICMP types that are not
 * errors (13, and 40 beyond NR_ICMP_TYPES). IPv6: a first fragment (no
 * ports) and a later one, a destination options header running past the
 * packet (the all-zero tuple), AH after destination options (its SPI),
 * ICMPv6 errors quoting UDP behind destination options, quoting a
 * fragment, and quoting an IPv4 header (left alone), and an informational
 * type (200).
 */
import { fragHeader, icmp, icmp6, ipv4, ipv6, optionsHeader, tcp, udp } from '../../../src/packet/build.js';
import { Family } from '../../../src/packet/inet-addr.js';
import { hmarkTarget } from '../../../src/netfilter/targets/hmark.js';
import { Hook, Skb } from '../../../src/netfilter/types.js';
import { Capture, payload, type Scenario } from './capture.js';
import { machine } from './npt-strip.js';

const OPTS = '--hmark-tuple src,dst,sport,dport,proto --hmark-mod 4294967000 --hmark-offset 3 --hmark-rnd 0xfeedface';

function marker(family: Family): (ip: Uint8Array) => number {
  const words = OPTS.split(' ');
  const uses = [];
  for (let i = 0; i < words.length; i += 2) {
    const name = words[i]!.slice(2);
    uses.push({ spec: hmarkTarget.options.find((o) => o.name === name)!, written: name, args: [words[i + 1]!], invert: false, pos: { line: 1, column: 1 } });
  }
  const cfg = hmarkTarget.parse(uses, {
    family,
    table: 'mangle',
    chain: 'PREROUTING',
    head: { proto: 0, invProto: false, fragment: false, invFragment: false },
  });
  return (ip) => {
    const skb = family === Family.V6 ? new Skb().loadV6(ip) : new Skb().load(ip);
    skb.mark = 0;
    hmarkTarget.target(cfg, skb, { hook: Hook.PreRouting, table: 'mangle', inDev: null, outDev: null, hotdrop: false, services: undefined as never });
    return skb.mark;
  };
}

function ruleFile(title: string, marks: number[]): string {
  const lines = marks.map((m) => `-A PREROUTING -m mark --mark 0x${m.toString(16)}`);
  return `# cofw golden: hmark-edges (${title})
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -j HMARK ${OPTS}
${lines.join('\n')}
COMMIT
`;
}

export function build(): Scenario & { rules6: string; machine: string } {
  const c = new Capture(3_000_000n);
  const v4: Uint8Array[] = [];
  const v6: Uint8Array[] = [];
  const OUT = '203.0.113.9';
  const IN = '192.0.2.10';
  // IPv4.
  v4.push(ipv4({ src: IN, dst: OUT, id: 1, mf: true }, udp({ sport: 1111, dport: 2222, payload: payload(32) })));
  v4.push(ipv4({ src: IN, dst: OUT, id: 1, fragoff: 5 }, { proto: 17, bytes: payload(16) }));
  v4.push(ipv4({ src: '192.0.2.11', dst: OUT }, { proto: 6, bytes: Uint8Array.from([0x12, 0x34]) }));
  const frag = ipv4({ src: '192.0.2.12', dst: OUT, id: 9, mf: true }, udp({ sport: 3333, dport: 4444, payload: payload(8) }));
  v4.push(ipv4({ src: '198.51.100.254', dst: '192.0.2.12' }, icmp({ type: 11, code: 1, payload: frag.subarray(0, 28) })));
  const echo = ipv4({ src: '192.0.2.13', dst: OUT }, icmp({ type: 8, id: 5, seq: 1 }));
  v4.push(ipv4({ src: '198.51.100.254', dst: '192.0.2.13' }, icmp({ type: 3, code: 1, payload: echo.subarray(0, 28) })));
  v4.push(ipv4({ src: '198.51.100.253', dst: '192.0.2.14' }, icmp({ type: 3, code: 1, payload: echo.subarray(0, 12) })));
  v4.push(ipv4({ src: '192.0.2.15', dst: OUT }, icmp({ type: 13, id: 1, seq: 1, payload: payload(12) })));
  v4.push(ipv4({ src: '192.0.2.16', dst: OUT }, icmp({ type: 40, code: 0, payload: echo.subarray(0, 28) })));
  // IPv6.
  const IN6 = '2001:db8:2::10';
  const OUT6 = '2001:db8:99::5';
  v6.push(ipv6({ src: IN6, dst: OUT6, ext: [fragHeader(0, true, 7)] }, udp({ sport: 1111, dport: 2222, payload: payload(32) })));
  v6.push(ipv6({ src: IN6, dst: OUT6, ext: [fragHeader(40, false, 7)] }, { proto: 17, bytes: payload(16) }));
  const cut = ipv6({ src: '2001:db8:2::11', dst: OUT6, ext: [optionsHeader(60, 8)] }, { proto: 17, bytes: new Uint8Array(0) });
  cut[41] = 3; // 32 bytes of destination options in a packet of 8
  v6.push(cut);
  v6.push(
    ipv6(
      {
        src: '2001:db8:2::12',
        dst: OUT6,
        ext: [optionsHeader(60, 8), { type: 51, bytes: Uint8Array.from([0, 4, 0, 0, 0xca, 0xfe, 0xf0, 0x0d, 0, 0, 0, 1, ...new Array(12).fill(0)]) }],
      },
      { proto: 59, bytes: new Uint8Array(0) },
    ),
  );
  const quoted = ipv6({ src: '2001:db8:2::13', dst: OUT6, ext: [optionsHeader(60, 8)] }, udp({ sport: 5555, dport: 6666, payload: payload(8) }));
  v6.push(ipv6({ src: '2001:db8:100::fe', dst: '2001:db8:2::13' }, icmp6({ type: 1, code: 3, payload: quoted })));
  const qfrag = ipv6({ src: '2001:db8:2::14', dst: OUT6, ext: [fragHeader(0, true, 3)] }, udp({ sport: 7777, dport: 8888, payload: payload(8) }));
  v6.push(ipv6({ src: '2001:db8:100::fe', dst: '2001:db8:2::14' }, icmp6({ type: 3, code: 0, payload: qfrag })));
  v6.push(ipv6({ src: '2001:db8:100::fd', dst: '2001:db8:2::15' }, icmp6({ type: 1, code: 3, payload: echo })));
  v6.push(ipv6({ src: '2001:db8:2::16', dst: OUT6 }, icmp6({ type: 200, code: 0, payload: quoted.subarray(0, 48) })));

  const m4 = marker(Family.V4);
  const m6 = marker(Family.V6);
  for (const ip of v4) {
    if (ip[12] === 192) c.host(ip);
    else c.wire(ip);
  }
  for (const ip of v6) {
    // From the inside (2001:db8:2::/64) on eth1, everything else on eth0.
    if (ip[12] === 0 && ip[13] === 2) c.host(ip, { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01', ethertype: 0x86dd });
    else c.wire(ip, { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01', ethertype: 0x86dd });
  }
  return { rules: ruleFile('IPv4', v4.map(m4)), rules6: ruleFile('IPv6', v6.map(m6)), capture: c, machine };
}
