/**
 * ct-netbios: the netbios-ns conntrack helper as Samba hosts use it
 * (`-t raw -A OUTPUT -p udp --dport 137 -j CT --helper netbios-ns`) with an
 * INPUT chain that accepts only ESTABLISHED and RELATED: the firewall's own
 * NetBIOS name queries broadcast to each subnet, answered by several hosts
 * of that subnet from port 137 (all RELATED: the expectation is permanent);
 * answers from another subnet, from another port, to a query sent to
 * 255.255.255.255 or to a unicast address (only the queried host's answer
 * passes, ESTABLISHED), and an answer 3.5 seconds late (the expectation and
 * the query's entry have expired) are dropped; a last query leaves its
 * expectation pending. Recorded with a copy of the oracle whose firewall
 * addresses carry a broadcast address (`ip addr add ... brd +`, as the
 * machine file's do) and whose raw socket may send broadcasts.
 */
import { ipv4, udp } from '../../../src/packet/build.js';
import { Capture, payload, type Scenario } from './capture.js';

export const rules = `# cofw golden: ct-netbios (the netbios-ns helper)
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A OUTPUT -p udp -m udp --dport 137 -j CT --helper netbios-ns
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m helper --helper netbios-ns
-A INPUT -m conntrack --ctstate RELATED
-A INPUT -m conntrack --ctstatus EXPECTED
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p udp -m udp --sport 137
COMMIT
`;

const FW0 = '198.51.100.1';
const FW1 = '192.0.2.1';

export function build(): Scenario {
  const c = new Capture(5_000_000n);
  const query = payload(50, 0x20);
  const answer = payload(62, 0x41);
  const q = (src: string, dst: string, sport: number): void => c.local(ipv4({ src, dst }, udp({ sport, dport: 137, payload: query })));
  const a = (src: string, dst: string, sport: number, dport: number, inside: boolean): void => {
    const ip = ipv4({ src, dst }, udp({ sport, dport, payload: answer }));
    if (inside) c.host(ip);
    else c.wire(ip);
  };
  // A query to the inside subnet's broadcast address; three hosts answer (RELATED, all of them).
  q(FW1, '192.0.2.255', 40000);
  a('192.0.2.10', FW1, 137, 40000, true);
  a('192.0.2.11', FW1, 137, 40000, true);
  a('192.0.2.12', FW1, 137, 40000, true);
  // From another port, from another subnet: not expected.
  a('192.0.2.13', FW1, 138, 40000, true);
  a('198.51.100.7', FW1, 137, 40000, false);
  // The same query again from the same port: the expectation is made again.
  q(FW1, '192.0.2.255', 40000);
  a('192.0.2.14', FW1, 137, 40000, true);
  // The outside subnet's broadcast address.
  q(FW0, '198.51.100.255', 40001);
  a('198.51.100.9', FW0, 137, 40001, false);
  a('192.0.2.10', FW0, 137, 40001, true);
  // The limited broadcast: no interface address has it as its broadcast, nothing is expected.
  q(FW1, '255.255.255.255', 40002);
  a('192.0.2.10', FW1, 137, 40002, true);
  // A unicast query: only the queried host's answer belongs to it.
  q(FW1, '192.0.2.10', 40003);
  a('192.0.2.10', FW1, 137, 40003, true);
  a('192.0.2.11', FW1, 137, 40003, true);
  // An answer 3.5 seconds after its query: the expectation and the query's entry are gone.
  q(FW1, '192.0.2.255', 40004);
  c.pause(3500);
  a('192.0.2.10', FW1, 137, 40004, true);
  // A last query: its expectation outlives the capture (for 3 seconds).
  q(FW1, '192.0.2.255', 40005);
  a('192.0.2.10', FW1, 137, 40005, true);
  return { rules, capture: c };
}
