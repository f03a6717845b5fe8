/**
 * ctexpire: `-m conntrack --ctexpire` reads the seconds an entry has left
 * (nf_ct_expires: its timeout less the current jiffies), and connlimit
 * stops counting an entry whose timeout has passed. UDP flows to the
 * firewall, its answers, ICMP errors RELATED to them (which do not refresh
 * the entry, so they see the time left), and a connlimit'ed port whose
 * first flow expires before the third arrives. Times are chosen half a
 * second away from whole seconds, so that the jiffy the kernel's clock
 * happens to be on cannot change a count.
 */
import { icmp, ipv4, udp } from '../../../src/packet/build.js';
import { Capture, type Scenario } from './capture.js';

export const rules = `# cofw golden: ctexpire (time left of a connection) and connlimit after expiry
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p udp -m conntrack --ctexpire 0
-A INPUT -p udp -m conntrack --ctexpire 1:25
-A INPUT -p udp -m conntrack --ctexpire 26:30
-A INPUT -p udp -m conntrack --ctexpire 31:119
-A INPUT -p udp -m conntrack --ctexpire 120
-A INPUT -p udp -m conntrack ! --ctexpire 1:1000
-A INPUT -p icmp -m conntrack --ctstate RELATED -m conntrack --ctexpire 0
-A INPUT -p icmp -m conntrack --ctstate RELATED -m conntrack --ctexpire 1:10
-A INPUT -p icmp -m conntrack --ctstate RELATED -m conntrack --ctexpire 11:25
-A INPUT -p icmp -m conntrack --ctstate RELATED -m conntrack --ctexpire 26:119
-A INPUT -p icmp -m conntrack --ctstate RELATED -m conntrack --ctexpire 120:1000
-A INPUT -p udp -m udp --dport 7000 -m connlimit --connlimit-above 1 --connlimit-mask 32 --connlimit-saddr -j DROP
-A OUTPUT -p udp -m conntrack --ctexpire 0
-A OUTPUT -p udp -m conntrack --ctexpire 1:29
-A OUTPUT -p udp -m conntrack --ctexpire 30
-A OUTPUT -p udp -m conntrack --ctexpire 31:1000
COMMIT
`;

const FW = '198.51.100.1';

export function build(): Scenario {
  const c = new Capture();
  let now = 0;
  const at = (s: number): void => {
    c.pause((s - now) * 1000);
    now = s;
  };
  const send = (client: string, sport: number, dport: number): void =>
    c.wire(ipv4({ src: client, dst: FW }, udp({ sport, dport, payload: new Uint8Array(8) })));
  const answer = (client: string, sport: number, dport: number): Uint8Array => {
    const p = ipv4({ src: FW, dst: client }, udp({ sport: dport, dport: sport, payload: new Uint8Array(8) }));
    c.local(p);
    return p;
  };
  // The client's port is closed after all: an error quoting the firewall's answer (RELATED, no refresh).
  const unreachable = (client: string, quoted: Uint8Array): void =>
    c.wire(ipv4({ src: client, dst: FW }, icmp({ type: 3, code: 3, rest: 0, payload: quoted.subarray(0, 28) })));

  // Flow A: NEW (unconfirmed), answered, again within 2 s (30 s), after 2 s (a stream: 120 s).
  send('203.0.113.10', 4000, 9000);
  const a = answer('203.0.113.10', 4000, 9000);
  at(1);
  send('203.0.113.10', 4000, 9000);
  at(3.5);
  send('203.0.113.10', 4000, 9000);
  // Flow B: answered once, then left alone: 30 s from its answer.
  at(4);
  send('203.0.113.11', 4001, 9001);
  const b = answer('203.0.113.11', 4001, 9001);
  // Errors quoting the answers: A has about 115.5 s left, B about 22.5 s, then 1.5 s.
  at(8);
  unreachable('203.0.113.10', a);
  at(11.5);
  unreachable('203.0.113.11', b);
  at(32.5);
  unreachable('203.0.113.11', b);
  // connlimit: one flow per source on port 7000.
  at(33);
  send('203.0.113.20', 5000, 7000);
  at(34);
  send('203.0.113.20', 5001, 7000);
  // The first (unanswered, 30 s) has expired at 63 s; the second was dropped before confirmation.
  at(63.5);
  send('203.0.113.20', 5002, 7000);
  at(64);
  send('203.0.113.20', 5003, 7000);
  return { rules, capture: c };
}
