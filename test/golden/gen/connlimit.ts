/**
 * connlimit: SSH connections per source limited by `connlimit`, counted from
 * the connection tracking table (established ones count; the rejected ones
 * never get an entry).
 */
import { ipv4, tcp } from '../../../src/packet/build.js';
import { Capture, type Scenario } from './capture.js';

export const rules = `# cofw golden: connlimit (connections per source)
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --syn --dport 22 -m connlimit --connlimit-above 2 --connlimit-mask 32 -j REJECT --reject-with tcp-reset
-A INPUT -p tcp -m tcp --syn --dport 80 -m connlimit --connlimit-upto 1 --connlimit-mask 24 -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
`;

const FW = '198.51.100.1';

export function build(): Scenario {
  const c = new Capture(3_000_000n);
  const open = (client: string, sport: number, dport: number, answered: boolean): void => {
    c.wire(ipv4({ src: client, dst: FW }, tcp({ sport, dport, flags: 'S', seq: sport })));
    if (!answered) return;
    c.local(ipv4({ src: FW, dst: client }, tcp({ sport: dport, dport: sport, flags: 'SA', seq: 5000, ack: sport + 1 })));
    c.wire(ipv4({ src: client, dst: FW }, tcp({ sport, dport, flags: 'A', seq: sport + 1, ack: 5001 })));
  };
  // One source: two connections pass, the third and fourth are reset.
  for (let i = 0; i < 4; i++) open('203.0.113.10', 50000 + i, 22, i < 2);
  // Another source: its own count.
  open('203.0.113.11', 51000, 22, true);
  // Port 80: one connection per /24; a neighbour of the first is over the limit.
  open('203.0.113.20', 52000, 80, true);
  open('203.0.113.21', 52001, 80, false);
  open('198.18.0.1', 52002, 80, true);
  return { rules, capture: c };
}
