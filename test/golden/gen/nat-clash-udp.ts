/**
 * nat-clash-udp: nat-clash's one-port SNAT range for UDP, whose tracker
 * allows clashes (nf_conntrack_l4proto allow_clash): the first flow to a
 * server gets the port; a second flow to the same server and port finds no
 * free tuple, keeps the clashing one, and at confirmation the kernel's
 * nf_ct_resolve_clash does not save it: the winner is NATed and the two
 * entries differ (__nf_ct_resolve_clash), and the loser's reply tuple is
 * the winner's (nf_ct_resolve_clash_harder: -EBUSY), so the datagram is
 * dropped (insert_failed), every time it is retried. Only two datagrams of
 * one new flow racing on two CPUs (or one held in a queue) take the paths
 * that keep a datagram (the merge, or a NAT_CLASH entry): a replay, one
 * packet at a time, never does.
 */
import { ipv4, udp } from '../../../src/packet/build.js';
import { Capture, type Scenario } from './capture.js';

export const rules = `# cofw golden: nat-clash-udp (a one-port SNAT range runs out, UDP)
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -s 192.0.2.0/24 -o eth0 -p udp -j SNAT --to-source 198.51.100.20:5000
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
  const dgram = (src: string, sport: number, dport: number): void =>
    c.host(ipv4({ src, dst: '203.0.113.5' }, udp({ sport, dport, payload: new Uint8Array(16) })));
  dgram('192.0.2.10', 40000, 53);
  c.wire(ipv4({ src: '203.0.113.5', dst: '198.51.100.20' }, udp({ sport: 53, dport: 5000, payload: new Uint8Array(32) })));
  dgram('192.0.2.10', 40000, 53);
  // Clashes: another client, then the same client from another port; each retried.
  for (let i = 0; i < 2; i++) dgram('192.0.2.11', 40001, 53);
  for (let i = 0; i < 2; i++) dgram('192.0.2.10', 40002, 53);
  // No clash: another server port; a source port that already is 5000.
  dgram('192.0.2.11', 40003, 54);
  dgram('192.0.2.12', 5000, 55);
  return { rules, capture: c };
}
