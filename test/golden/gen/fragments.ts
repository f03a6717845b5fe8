/**
 * fragments and fragments-ct: IPv4 reassembly as the kernel does it, the
 * same capture through a stateless rule set (ip_local_deliver reassembles
 * what is for the firewall; forwarded fragments pass one by one) and a
 * tracking one (nf_defrag_ipv4 reassembles everything before PREROUTING,
 * and the firewall's own fragments before OUTPUT).
 *
 * Three phases, 35 s apart so that every queue of one has timed out
 * (ipfrag_time, 30 s, and the timer wheel's slack) before the next:
 * - memory: 4,063 lone non-first fragments fill the reassembly memory to
 *   just under ipfrag_high_thresh (1,032 bytes charged each); a pair then
 *   still completes; two more fillers cross the threshold and the next pair
 *   is refused whole.
 * - cases, each from a source of its own (INPUT counts per source): in
 *   order, reversed, an exact duplicate, a fragment inside an earlier one
 *   rewriting the UDP port (the first data stays), the reverse (an overlap),
 *   a partial overlap, a teardrop, a ping of death, an empty fragment, a
 *   second end, mixed ECN, the first fragment's mark, ipfrag_max_dist (63
 *   and 64 fragments from the source in between), a queue completed after
 *   25 s, queues that time out with and without their first fragment (an
 *   ICMP fragment reassembly time exceeded in OUTPUT for the former),
 *   forwarded fragments (whole, overlapping, DF, timing out) and the
 *   firewall's own.
 * - after: a fragment whose queue timed out starts a new one (still waiting
 *   when the capture ends), and a datagram reassembles as at first.
 *
 * The kernel's IpReasm* counters (nstat) are recorded in kernel.nstat.
 */
import { ipv4, raw, udp } from '../../../src/packet/build.js';
import { setIPv4Checksum } from '../../../src/packet/checksum.js';
import { Capture, type Scenario } from './capture.js';

const FW = '198.51.100.1';
const INSIDE = '192.0.2.10';

/** The sources of the cases (each counted in INPUT or FORWARD). */
const CASES: Array<[number, string]> = [
  [1, 'in order'],
  [2, 'reversed'],
  [3, 'an exact duplicate'],
  [4, 'a fragment inside the first, another UDP port'],
  [5, 'a fragment holding the first and more'],
  [6, 'a partial overlap'],
  [7, 'teardrop'],
  [8, 'ping of death'],
  [10, 'an empty fragment'],
  [11, 'a second end'],
  [12, 'not-ECT with ECT'],
  [14, "the first fragment's mark"],
  [15, 'times out with its first fragment'],
  [16, 'times out without it'],
  [17, 'completed after 25 s'],
  [18, '64 fragments from the source in between'],
  [19, '63 fragments from the source in between'],
  [20, 'completes just under the memory threshold'],
  [21, 'refused above the memory threshold'],
];

const FORWARDED: Array<[number, string]> = [
  [61, 'forwarded whole'],
  [62, 'forwarded, overlapping'],
  [63, 'forwarded with DF, longer than the MTU once whole'],
  [64, 'forwarded, times out with its first fragment'],
];

function rulesFor(tracking: boolean): string {
  const name = tracking ? 'fragments-ct (nf_defrag_ipv4 before conntrack)' : 'fragments (reassembly for local delivery, no conntrack)';
  return `# cofw golden: ${name}
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp -f
-A PREROUTING -p udp
-A OUTPUT -p udp
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -s 203.0.113.14/32 -f -j MARK --set-xmark 0x2/0xffffffff
-A PREROUTING -s 203.0.113.14/32 -m mark --mark 0x0 -j MARK --set-xmark 0x1/0xffffffff
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${CASES.map(([n, what]) => `-A INPUT -s 203.0.113.${n}/32 -m comment --comment "${what}"`).join('\n')}
-A INPUT -p udp -m udp --dport 53
-A INPUT -p udp -m udp --dport 54
-A INPUT -m mark --mark 0x1
-A INPUT -m mark --mark 0x2
${tracking ? '-A INPUT -m conntrack --ctstate NEW\n' : ''}${FORWARDED.map(([n, what]) => `-A FORWARD -s 203.0.113.${n}/32 -m comment --comment "${what}"`).join('\n')}
-A FORWARD -p udp -f
-A OUTPUT -p icmp -m icmp --icmp-type 11/1
-A OUTPUT -p icmp
-A OUTPUT -p udp -f
-A OUTPUT -p udp
COMMIT
`;
}

export const rules = rulesFor(false);
export const rulesCt = rulesFor(true);

interface Piece {
  /** Byte offset of the piece in the datagram's data (a multiple of 8). */
  off: number;
  data: Uint8Array;
  /** More fragments follow. */
  mf: boolean;
  tos?: number;
  df?: boolean;
}

/** A datagram's transport bytes: a UDP header (port 4000 to `dport`) and `size` counting bytes. */
function dgram(dport: number, size: number, start = 0): Uint8Array {
  return udp({ sport: 4000, dport, payload: Uint8Array.from({ length: size }, (_, i) => (start + i) & 255) }).bytes;
}

function fragment(src: string, dst: string, id: number, p: Piece): Uint8Array {
  const ip = ipv4({ src, dst, id, fragoff: p.off / 8, mf: p.mf, df: false, tos: p.tos ?? 0, proto: 17 }, raw(17, p.data));
  if (p.df) {
    ip[6] = ip[6]! | 0x40;
    setIPv4Checksum(ip);
  }
  return ip;
}

/** Pieces of `l4` cut at `cuts` (offsets, multiples of 8): all but the last with MF. */
function cut(l4: Uint8Array, cuts: number[]): Piece[] {
  const b = [0, ...cuts, l4.length];
  return b.slice(0, -1).map((off, i) => ({ off, data: l4.subarray(off, b[i + 1]), mf: i + 2 < b.length }));
}

export function build(tracking = false): Scenario {
  const c = new Capture();
  const wire = (n: number, id: number, p: Piece, dst = FW): void => c.wire(fragment(`203.0.113.${n}`, dst, id, p));
  const seq = (n: number, id: number, ps: Piece[], dst = FW): void => ps.forEach((p) => wire(n, id, p, dst));

  // -- memory: lone non-first fragments of 42-byte frames, each a queue of its own (200 + 832 bytes).
  let filler = 1;
  const fillers = (k: number): void => {
    for (let i = 0; i < k; i++) wire(250, filler++, { off: 8, data: dgram(0, 0).subarray(0, 8), mf: true });
  };
  fillers(4063);
  seq(20, 1, cut(dgram(53, 8), [8]));
  fillers(2);
  seq(21, 1, cut(dgram(53, 8), [8]));
  fillers(3);
  c.pause(35_000);

  // -- cases.
  const d3 = dgram(53, 40);
  seq(1, 1, cut(d3, [16, 32]));
  seq(2, 1, cut(d3, [16, 32]).reverse());
  const [a3, b3, c3] = cut(d3, [16, 32]);
  seq(3, 1, [a3!, b3!, b3!, c3!]);
  // The first fragment (UDP header and 16 bytes to port 53), then a fragment inside it with port 54: a duplicate.
  seq(4, 1, [
    { off: 0, data: dgram(53, 16), mf: true },
    { off: 0, data: dgram(54, 0), mf: true },
    { off: 24, data: dgram(0, 8).subarray(8), mf: false },
  ]);
  // The UDP header alone first, then a fragment holding it and more with port 54: an overlap; the last fragment then waits alone.
  seq(5, 1, [
    { off: 0, data: dgram(53, 0), mf: true },
    { off: 0, data: dgram(54, 16), mf: true },
    { off: 24, data: dgram(0, 8).subarray(8), mf: false },
  ]);
  const d6 = dgram(53, 24);
  seq(6, 1, [
    { off: 0, data: d6.subarray(0, 16), mf: true },
    { off: 8, data: d6.subarray(8, 24), mf: true },
    { off: 24, data: d6.subarray(24), mf: false },
  ]);
  // Teardrop: the last fragment ends inside the first.
  const d7 = dgram(53, 16);
  seq(7, 1, [
    { off: 0, data: d7, mf: true },
    { off: 8, data: d7.subarray(8, 12), mf: false },
  ]);
  // Ping of death: 45 fragments of 1,480 bytes, 66,600 bytes of data.
  const pod = dgram(53, 66_600 - 8);
  seq(
    8,
    1,
    cut(
      pod,
      Array.from({ length: 44 }, (_, i) => (i + 1) * 1480),
    ),
  );
  // An MF fragment of 4 bytes: nothing left once rounded down to 8.
  const d10 = dgram(53, 16);
  seq(10, 1, [
    { off: 0, data: d10.subarray(0, 8), mf: true },
    { off: 8, data: d10.subarray(8, 12), mf: true },
  ]);
  // Two last fragments with different ends.
  const d11 = dgram(53, 24);
  seq(11, 1, [
    { off: 16, data: d11.subarray(16, 24), mf: false },
    { off: 16, data: d11.subarray(16, 32), mf: false },
  ]);
  // Not-ECT, then ECT(1).
  const d12 = dgram(53, 16);
  seq(12, 1, [
    { off: 0, data: d12.subarray(0, 16), mf: true, tos: 0 },
    { off: 16, data: d12.subarray(16), mf: false, tos: 1 },
  ]);
  // Marks in PREROUTING (without conntrack, each fragment's own): the whole keeps the first's.
  seq(14, 1, cut(dgram(53, 40), [16]).reverse());
  // Time outs: with the first fragment (an ICMP error, quoting it) and without.
  const d15 = dgram(53, 40);
  wire(15, 1, { off: 0, data: d15.subarray(0, 24), mf: true });
  wire(16, 1, { off: 24, data: d15.subarray(24), mf: false });
  const d17 = dgram(53, 40);
  wire(17, 1, { off: 0, data: d17.subarray(0, 24), mf: true });
  // ipfrag_max_dist: between a queue's two fragments, 64 (too far) or 63 other fragments from its source.
  for (const [n, between] of [
    [18, 64],
    [19, 63],
  ] as const) {
    const d = dgram(53, 16);
    wire(n, 1, { off: 0, data: d.subarray(0, 16), mf: true });
    for (let i = 0; i < between; i++) wire(n, 100 + i, { off: 8, data: d.subarray(0, 8), mf: true });
    wire(n, 1, { off: 16, data: d.subarray(16), mf: false });
  }
  // Forwarded: whole, overlapping, DF (each fragment fits the MTU, the whole does not), timing out.
  seq(61, 1, cut(dgram(53, 40), [16]), INSIDE);
  const d62 = dgram(53, 24);
  seq(
    62,
    1,
    [
      { off: 0, data: d62.subarray(0, 16), mf: true },
      { off: 8, data: d62.subarray(8), mf: false },
    ],
    INSIDE,
  );
  seq(
    63,
    1,
    cut(dgram(53, 2000), [1480]).map((p) => ({ ...p, df: true })),
    INSIDE,
  );
  wire(64, 1, { off: 0, data: dgram(53, 40).subarray(0, 24), mf: true }, INSIDE);
  // The firewall's own fragments (OUTPUT; with conntrack reassembled first).
  for (const p of cut(dgram(53, 40), [16])) c.local(fragment(FW, '203.0.113.60', 1, p));
  c.pause(25_000);
  wire(17, 1, { off: 24, data: d17.subarray(24), mf: false });
  c.pause(10_000);

  // -- after: .15's last fragment finds its queue gone and waits in a new one; .1 again.
  wire(15, 1, { off: 24, data: d15.subarray(24), mf: false });
  seq(1, 2, cut(d3, [16, 32]));
  return { rules: tracking ? rulesCt : rules, capture: c };
}

export function buildCt(): Scenario {
  return build(true);
}
