/**
 * tcpudp-frags: the tcp and udp matches on forwarded fragments, stateless
 * (no conntrack, so nothing reassembles them). iptables-nft translates a
 * match that tests ports or flags into nf_tables payload expressions, which
 * read a non-first fragment's data as if it were the transport header; a
 * match with nothing to translate (`-p tcp -m tcp`, `--sport 0:65535`,
 * `--tcp-flags NONE NONE`) stays the xt match, which never matches a
 * non-first fragment and drops a TCP fragment at offset 8 bytes. The
 * fragments' data is chosen so that the translated tests see "ports" and
 * "flags" in it. Both families.
 */
import { ipv4, ipv6, raw, tcp, udp } from '../../../src/packet/build.js';
import { Capture, payload, type Scenario } from './capture.js';
import { fragments6, senders6 } from './ip6.js';

const MATCHES = [
  '-p tcp',
  '-p tcp -m tcp',
  '-p tcp -m tcp --sport 0:65535',
  '-p tcp -m tcp --tcp-flags NONE NONE',
  '-p tcp -m tcp ! --tcp-flags NONE NONE',
  '-p tcp -m tcp --dport 80',
  '-p tcp -m tcp ! --dport 80',
  '-p tcp -m tcp ! --dport 0:65535',
  '-p tcp -m tcp --tcp-flags SYN SYN',
  '-p tcp -m multiport --dports 80',
  '-p tcp -m multiport ! --dports 80',
  '-p tcp -m tcp --tcp-option 2',
  '-p udp',
  '-p udp -m udp',
  '-p udp -m udp --dport 53',
  '-p udp -m udp ! --dport 53',
];

function table(head: string, fragment: string): string {
  return `${head}
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${[...MATCHES, fragment].map((m) => `-A FORWARD ${m}`).join('\n')}
COMMIT
`;
}

export const rules = table('# cofw golden: tcpudp-frags (tcp and udp matches on fragments, no conntrack)', '-f');
export const rules6 = table('# cofw golden: tcpudp-frags, IPv6', '-m frag --fragid 0:4294967295 --fragmore');

const INSIDE = '192.0.2.10';
const INSIDE6 = '2001:db8:2::10';

export function build(): Scenario & { rules6: string } {
  const c = new Capture(3_000_000n);
  const { w6 } = senders6(c);
  // IPv4: a TCP SYN and a UDP datagram to port 53, each in three fragments
  // (the transport header in the first, 'C' then 'D' filler after: 0x4343
  // is no port of the rules, and 'C' has the SYN bit).
  let id = 100;
  for (const [src, l4] of [
    ['203.0.113.5', tcp({ sport: 1234, dport: 80, flags: 'S', seq: 1, payload: payload(8, 0x41) })],
    ['203.0.113.6', udp({ sport: 1234, dport: 53, payload: payload(8, 0x42) })],
  ] as const) {
    const len = l4.bytes.length;
    c.wire(ipv4({ src, dst: INSIDE, id, mf: true, df: false }, l4));
    c.wire(ipv4({ src, dst: INSIDE, id, mf: true, df: false, fragoff: len / 8, proto: l4.proto }, raw(l4.proto, payload(16, 0x43))));
    c.wire(ipv4({ src, dst: INSIDE, id, df: false, fragoff: len / 8 + 2, proto: l4.proto }, raw(l4.proto, payload(8, 0x44))));
    id++;
  }
  // A TCP fragment at offset 8 bytes (it could rewrite the flags): the xt match drops it.
  c.wire(ipv4({ src: '203.0.113.7', dst: INSIDE, id: 200, df: false, fragoff: 1, proto: 6 }, raw(6, payload(16, 0x45))));
  // A UDP fragment at offset 8 bytes: the xt match only misses it.
  c.wire(ipv4({ src: '203.0.113.8', dst: INSIDE, id: 201, df: false, fragoff: 1, proto: 17 }, raw(17, payload(16, 0x46))));

  // IPv6: the same, cut after the transport header (rounded up to 8 bytes) and 16 bytes more.
  let id6 = 0x5000;
  for (const [n, l4] of [
    [5, tcp({ sport: 1234, dport: 80, flags: 'S', seq: 1, payload: payload(24, 0x43) })],
    [6, udp({ sport: 1234, dport: 53, payload: payload(24, 0x43) })],
  ] as const) {
    const hdr = (l4.bytes.length - 24 + 7) & ~7;
    for (const f of fragments6({ src: `2001:db8:99::${n}`, dst: INSIDE6 }, l4, id6++, [hdr, hdr + 16])) w6(f);
  }
  return { rules, rules6, capture: c };
}
