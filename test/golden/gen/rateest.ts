/**
 * rateest: RATEEST's estimators and `-m rateest` (IPv4).
 *
 * Two estimators: `in` (250 ms, ewma_log 1) fed by everything forwarded
 * from eth0, `out` (1 s, ewma_log 1) by everything forwarded from eth1. A
 * UDP stream of 100 packets a second (200 bytes) comes in for 3 seconds,
 * one of 20 a second goes out. ICMP echo requests from outside probe the
 * estimators (only they meet the `-m rateest` rules): before the stream
 * (every rate 0), 2.5 s into it (`in` near 100 packets and 160 kbit a
 * second, above `out`), and 3 s after it ended (decayed back to 0). The
 * probes stand far from every threshold, so that the kernel's estimator,
 * whose timer started when the rules were loaded (a moment before the
 * capture, not recorded), agrees with cofw's, which starts at the first
 * frame. Two rules are written as iptables takes them, not as iptables-save
 * prints them (`--rateest-lt` once for both rates: iptables-restore refuses
 * the saved text, which names it twice).
 */
import { ethernet, icmp, ipv4, udp } from '../../../src/packet/build.js';
import { Capture, EPOCH_NS, HOST, WIRE, type Scenario } from './capture.js';

export const rules = `# cofw golden: rateest (RATEEST and -m rateest)
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A FORWARD -i eth0 -j RATEEST --rateest-name in --rateest-interval 250ms --rateest-ewmalog 500ms
-A FORWARD -i eth1 -j RATEEST --rateest-name out --rateest-interval 1s --rateest-ewmalog 2s
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -p icmp -m rateest --rateest in --rateest-gt --rateest-pps 50
-A FORWARD -p icmp -m rateest --rateest in --rateest-lt --rateest-pps 50
-A FORWARD -p icmp -m rateest --rateest in --rateest-eq --rateest-pps 0
-A FORWARD -p icmp -m rateest --rateest in ! --rateest-eq --rateest-pps 0
-A FORWARD -p icmp -m rateest --rateest in --rateest-gt --rateest-bps 100kbit
-A FORWARD -p icmp -m rateest --rateest in --rateest-bps 100kbit --rateest-pps 50 --rateest-lt
-A FORWARD -p icmp -m rateest --rateest-delta --rateest in --rateest-pps1 200 --rateest-lt --rateest-pps2 150
-A FORWARD -p icmp -m rateest --rateest-delta --rateest in --rateest-bps1 400kbit --rateest-gt --rateest-bps2 300kbit
-A FORWARD -p icmp -m rateest --rateest1 in --rateest-gt --rateest-pps --rateest2 out
-A FORWARD -p icmp -m rateest --rateest1 in --rateest-bps --rateest-pps --rateest-eq --rateest2 out
-A FORWARD -p icmp -m rateest --rateest-delta --rateest1 in --rateest-pps1 1000 --rateest-lt --rateest-pps2 1000 --rateest2 out
COMMIT
`;

export function build(): Scenario {
  const c = new Capture();
  const frames: Array<{ tsNs: bigint; data: Uint8Array }> = [];
  const at = (ms: number, data: Uint8Array): void => {
    frames.push({ tsNs: EPOCH_NS + BigInt(Math.round(ms * 1_000_000)), data });
  };
  let seq = 0;
  const probe = (ms: number): void => {
    seq++;
    at(ms, ethernet(WIRE, ipv4({ src: '203.0.113.7', dst: '192.0.2.20', id: 5000 + seq }, icmp({ type: 8, id: 99, seq, payload: new Uint8Array(32) }))));
  };
  const payload = new Uint8Array(200 - 28).fill(0x5a);
  probe(0);
  probe(5);
  // The stream in (100 a second) and out (20 a second), from 20 ms to 3020 ms.
  for (let i = 0; i < 300; i++) {
    at(20 + i * 10, ethernet(WIRE, ipv4({ src: '203.0.113.9', dst: '192.0.2.20', id: i }, udp({ sport: 40000, dport: 9000, payload }))));
    if (i % 5 === 2) at(20 + i * 10 + 3, ethernet(HOST, ipv4({ src: '192.0.2.20', dst: '203.0.113.9', id: i }, udp({ sport: 9000, dport: 40000, payload }))));
  }
  probe(2505);
  probe(2555);
  probe(6020);
  probe(6070);
  frames.sort((a, b) => (a.tsNs < b.tsNs ? -1 : a.tsNs > b.tsNs ? 1 : 0));
  c.frames.push(...frames);
  return { rules, capture: c };
}
