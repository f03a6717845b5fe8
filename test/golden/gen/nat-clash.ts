/**
 * nat-clash: SNAT into a one-port range. The first connection to a server
 * gets the port; a second connection to the same server and port finds no
 * free tuple in the range, keeps the clashing one, and is dropped when its
 * entry is confirmed (the kernel's insert_failed), every time it retries.
 * Connections to another server port, and a source port that is already
 * the range's port, do not clash. (A range of more than one port would let
 * the kernel pick a random one, which no replay repeats.)
 */
import { ipv4, tcp } from '../../../src/packet/build.js';
import { Capture, type Scenario } from './capture.js';

export const rules = `# cofw golden: nat-clash (a one-port SNAT range runs out)
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -s 192.0.2.0/24 -o eth0 -p tcp -j SNAT --to-source 198.51.100.20:5000
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m conntrack --ctstate NEW
-A FORWARD -m conntrack --ctstate ESTABLISHED
COMMIT
`;

export function build(): Scenario {
  const c = new Capture(3_000_000n);
  const syn = (src: string, sport: number, dport: number): void => c.host(ipv4({ src, dst: '203.0.113.5' }, tcp({ sport, dport, flags: 'S', seq: 1 })));
  syn('192.0.2.10', 40000, 80);
  c.wire(ipv4({ src: '203.0.113.5', dst: '198.51.100.20' }, tcp({ sport: 80, dport: 5000, flags: 'SA', seq: 9, ack: 2 })));
  c.host(ipv4({ src: '192.0.2.10', dst: '203.0.113.5' }, tcp({ sport: 40000, dport: 80, flags: 'A', seq: 2, ack: 10 })));
  // Clashes: another client, then the same client from another port; each retried.
  for (let i = 0; i < 2; i++) syn('192.0.2.11', 40001, 80);
  for (let i = 0; i < 2; i++) syn('192.0.2.10', 40002, 80);
  // No clash: another server port; a source port that already is 5000 (to port 81, taken by now? no: port 82).
  syn('192.0.2.11', 40003, 81);
  syn('192.0.2.12', 5000, 82);
  return { rules, capture: c };
}
