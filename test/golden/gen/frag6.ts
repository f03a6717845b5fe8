/**
 * frag6 and frag6-ct: IPv6 extension header chains and fragments as the
 * kernel handles them, the same capture through a stateless rule set
 * (fragments reach INPUT one by one; the stack reassembles what is for the
 * firewall after INPUT, ipv6_frag_rcv, and counts it in Ip6Reasm*) and a
 * tracking one (nf_defrag_ipv6 reassembles every fragmented packet before
 * PREROUTING).
 *
 * Each case from a source of its own (INPUT counts per source), to the
 * firewall's UDP port 7000 unless said: complete in order and reversed, an
 * exact duplicate, an overlap (RFC 5722: the whole queue is dropped, and a
 * later fragment of it starts a new queue), queues left incomplete with
 * their first fragment and without it (ip6frag_time is 60 s: the capture
 * goes on past it), an atomic fragment (offset 0, M clear), a tiny first
 * fragment that cuts the TCP header (RFC 8200 4.5), a first fragment that
 * cuts an extension header chain, fragments not a multiple of 8 bytes,
 * an unknown next header (253), an unknown hop-by-hop option whose action
 * asks for a parameter problem, a routing header of type 0 with segments
 * left (the kernel refuses RH0), and forwarded fragments.
 */
import { ipv6, raw, tcp, udp } from '../../../src/packet/build.js';
import { Capture, payload, type Scenario } from './capture.js';
import { FW6, atomic6, fragments6, optionsWith, routingHeader, senders6 } from './ip6.js';

const src = (n: number): string => `2001:db8:99::${n.toString(16)}`;

/** The cases' sources, counted in INPUT (or FORWARD). */
const CASES: Array<[number, string]> = [
  [1, 'in order'],
  [2, 'reversed'],
  [3, 'an exact duplicate'],
  [4, 'an overlap, then a late fragment'],
  [5, 'times out with its first fragment'],
  [6, 'times out without it'],
  [7, 'an atomic fragment'],
  [8, 'a tiny first fragment (TCP header cut)'],
  [9, 'a first fragment cutting the extension headers'],
  [10, 'a fragment not a multiple of 8'],
  [11, 'unknown next header 253'],
  [12, 'unknown hop-by-hop option (parameter problem)'],
  [13, 'routing header type 0, segments left 1'],
  [14, 'three fragments, out of order'],
];

function counting(chain: string, dir: '-s' | '-d', cases: Array<[number, string]>, addr: (n: number) => string): string {
  return cases.map(([n, what]) => `-A ${chain} ${dir} ${addr(n)}/128 -m comment --comment "${what}"\n`).join('');
}

function rules6(ct: boolean): string {
  return `# cofw golden: frag6${ct ? '-ct' : ''} (IPv6 fragments and extension headers${ct ? ', with conntrack' : ''})
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${ct ? '-A INPUT -m conntrack --ctstate INVALID\n-A INPUT -m conntrack --ctstate NEW\n-A INPUT -m conntrack --ctstate UNTRACKED\n' : ''}-A INPUT -m frag --fragfirst
-A INPUT -m frag --fragmore
-A INPUT -m frag --fraglast
-A INPUT -m frag --fragid 0x4000:0x40ff
-A INPUT -m ipv6header --header ipv6-frag --soft
-A INPUT -m ipv6header --header hop-by-hop --soft
-A INPUT -m ipv6header --header ipv6-route --soft
-A INPUT -p udp
-A INPUT -p udp -m udp --dport 7000
-A INPUT -p tcp
-A INPUT -p 253
${counting('INPUT', '-s', CASES, src)}-A FORWARD -m frag --fragfirst
-A FORWARD -m frag --fraglast
-A FORWARD -p udp -m udp --dport 7000
-A FORWARD -d 2001:db8:2::50/128
-A FORWARD -d 2001:db8:2::51/128
${ct ? '-A OUTPUT -m conntrack --ctstate INVALID\n-A OUTPUT -m conntrack --ctstate RELATED\n-A OUTPUT -m conntrack --ctstate NEW\n' : ''}-A OUTPUT -p ipv6-icmp -m icmp6 --icmpv6-type 3/1
-A OUTPUT -p ipv6-icmp -m icmp6 --icmpv6-type parameter-problem
-A OUTPUT -p ipv6-icmp
-A OUTPUT -m frag --fragfirst
COMMIT
`;
}

export const rules = `# cofw golden: frag6 (IPv4 side: no rules)
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
`;

export function build(ct = false): Scenario & { rules6: string } {
  const c = new Capture(3_000_000n);
  const { w6 } = senders6(c);
  const data = (n: number): Parameters<typeof ipv6>[1] => udp({ sport: 40000 + n, dport: 7000, payload: payload(1000, 0x60 + n) });
  const frags = (n: number, cuts: number[], l4 = data(n), dst = FW6): Uint8Array[] => fragments6({ src: src(n), dst }, l4, 0x4000 + n, cuts);

  // 1: in order; 2: reversed; 3: the second fragment twice.
  for (const f of frags(1, [512])) w6(f);
  for (const f of frags(2, [512]).reverse()) w6(f);
  const f3 = frags(3, [512]);
  w6(f3[0]!);
  w6(f3[0]!);
  w6(f3[1]!);
  // 4: an overlap (the second starts inside the first): the queue is dropped; the last fragment later starts a new one.
  const f4 = frags(4, [512]);
  const f4b = frags(4, [504]);
  w6(f4[0]!);
  w6(f4b[1]!);
  // 5: the first fragment only; 6: the last only. Both wait until ip6frag_time.
  w6(frags(5, [512])[0]!);
  w6(frags(6, [512])[1]!);
  // 7: an atomic fragment.
  w6(atomic6({ src: src(7), dst: FW6 }, data(7), 0x4007));
  // 8: TCP whose first fragment holds 8 bytes of its header.
  for (const f of frags(8, [8], tcp({ sport: 40008, dport: 7000, flags: 'S', seq: 1, window: 1000, payload: payload(40) }))) w6(f);
  // 9: a destination options header of 16 bytes cut by the first fragment (8 of its bytes).
  {
    const whole = ipv6({ src: src(9), dst: FW6, ext: [optionsWith(60, [1, 12, ...new Array<number>(12).fill(0)])] }, data(9));
    const body = whole.subarray(40);
    // The fragmentable part starts with the destination options header.
    const fr = (from: number, to: number, more: boolean): Uint8Array => {
      const fh = new Uint8Array(8);
      fh[0] = 60;
      fh[2] = from >> 8;
      fh[3] = (from & 0xf8) | (more ? 1 : 0);
      new DataView(fh.buffer).setUint32(4, 0x4009);
      return ipv6({ src: src(9), dst: FW6, ext: [{ type: 44, bytes: fh }], rawL4: true }, raw(60, body.subarray(from, to)));
    };
    w6(fr(0, 8, true));
    w6(fr(8, body.length, false));
  }
  // 10: a first fragment whose length is not a multiple of 8, then a good last one.
  {
    const f10 = frags(10, [516]);
    w6(f10[0]!);
    w6(frags(10, [512])[1]!);
  }
  // 11: an unknown next header; 12: an unknown hop-by-hop option with action 10 (discard, parameter problem).
  w6(ipv6({ src: src(11), dst: FW6 }, raw(253, payload(24))));
  w6(ipv6({ src: src(12), dst: FW6, ext: [optionsWith(0, [0x9e, 2, 0, 0])] }, data(12)));
  // 13: RH0 with a segment left.
  w6(ipv6({ src: src(13), dst: FW6, ext: [routingHeader(0, 1, ['2001:db8:99::77'])] }, data(13)));
  // 14: three fragments, the last first.
  {
    const f14 = frags(14, [336, 672]);
    w6(f14[2]!);
    w6(f14[0]!);
    w6(f14[1]!);
  }
  // Forwarded: to 2001:db8:2::50 whole; to ::51 its first fragment only, 3 s later (with conntrack it
  // times out on the way, and its time exceeded leaves after case 5's: the timer wheel rounds a
  // 60 s timer up to 512 jiffies, so queues made closer together may expire in either order).
  for (const f of fragments6({ src: src(0x50), dst: '2001:db8:2::50' }, data(0x50), 0x4050, [512])) w6(f);
  c.pause(3_000);
  w6(fragments6({ src: src(0x51), dst: '2001:db8:2::51' }, data(0x51), 0x4051, [512])[0]!);

  // Past ip6frag_time (60 s, and the timer's slack): the waiting queues have expired; the late
  // fragment of case 4 starts a queue again.
  c.pause(64_000);
  w6(f4[1]!);
  for (const f of frags(1, [512])) w6(f);
  return { rules, rules6: rules6(ct), capture: c };
}

export function buildCt(): Scenario & { rules6: string } {
  return build(true);
}
