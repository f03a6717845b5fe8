/**
 * ct-amanda: the amanda conntrack helper (`CT --helper amanda` on UDP
 * 10080) through the gateway, both families, with a filter that lets new
 * connections in only to UDP 10080 and otherwise only ESTABLISHED and
 * RELATED. The Amanda server outside asks the client inside; the client's
 * answer `CONNECT DATA n MESG n INDEX n` expects the server's TCP
 * connections to those ports (RELATED); a port the answer did not name, a
 * port after `DATA 0` (the reading stops), a CONNECT in the server's own
 * request, a CONNECT line without a newline, six digits (five are read),
 * and four ports from one entry (all kept: the reference kernel allows four)
 * show what is and is not expected. Three expectations are left pending.
 */
import { ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, type Scenario } from './capture.js';

const FILTER = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m helper --helper amanda
-A FORWARD -m conntrack --ctstate RELATED
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -p udp -m udp --dport 10080 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -p tcp -m conntrack --ctstate NEW
COMMIT
`;
const RAW = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp -m udp --dport 10080 -j CT --helper amanda
COMMIT
`;
export const rules = `# cofw golden: ct-amanda (IPv4)\n${RAW}${FILTER}`;
export const rules6 = `# cofw golden: ct-amanda (IPv6)\n${RAW}${FILTER}`;

const enc = new TextEncoder();

export function build(): Scenario & { rules6: string } {
  const c = new Capture(3_000_000n);
  const side = (v6: boolean) => {
    const server = v6 ? '2001:db8:ff::30' : '203.0.113.30';
    const client = v6 ? '2001:db8:2::10' : '192.0.2.10';
    const ip = (src: string, dst: string, l4: ReturnType<typeof udp>): Uint8Array => (v6 ? ipv6({ src, dst }, l4) : ipv4({ src, dst }, l4));
    const wire = (b: Uint8Array): void => (v6 ? c.wire(b, { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01', ethertype: 0x86dd }) : c.wire(b));
    const host = (b: Uint8Array): void => (v6 ? c.host(b, { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01', ethertype: 0x86dd }) : c.host(b));
    const req = (sport: number, text: string): void => wire(ip(server, client, udp({ sport, dport: 10080, payload: enc.encode(text) })));
    const rep = (sport: number, text: string): void => host(ip(client, server, udp({ sport: 10080, dport: sport, payload: enc.encode(text) })));
    const connect = (dport: number, answered: boolean): void => {
      wire(ip(server, client, tcp({ sport: 40000 + (dport % 1000), dport, flags: 'S', seq: 100 })));
      if (answered) host(ip(client, server, tcp({ sport: dport, dport: 40000 + (dport % 1000), flags: 'SA', seq: 900, ack: 101 })));
    };
    return { req, rep, connect };
  };
  for (const v6 of [false, true]) {
    const { req, rep, connect } = side(v6);
    req(850, 'Amanda 2.6 REQ HANDLE 000 SEQ 1\nSERVICE sendbackup\nCONNECT DATA 50030\n');
    rep(850, 'Amanda 2.6 REP HANDLE 000 SEQ 1\nCONNECT DATA 50000 MESG 50001 INDEX 50002\nOPTIONS features=1;\n');
    connect(50000, true);
    connect(50001, true);
    connect(50002, true);
    // Not named; named only in the server's request.
    connect(50003, false);
    connect(50030, false);
    if (v6) {
      // A last answer: its expectation outlives the capture.
      rep(850, 'CONNECT INDEX 50009\n');
      continue;
    }
    // DATA 0 stops the reading: MESG is not expected.
    req(851, 'Amanda 2.6 REQ HANDLE 001 SEQ 2\n');
    rep(851, 'Amanda 2.6 REP HANDLE 001 SEQ 2\nCONNECT DATA 0 MESG 50011\n');
    connect(50011, false);
    // No newline after CONNECT: nothing is read.
    req(852, 'Amanda 2.6 REQ HANDLE 002 SEQ 3\n');
    rep(852, 'CONNECT DATA 50012');
    connect(50012, false);
    // Six digits: five are read.
    rep(852, 'CONNECT DATA 123456\n');
    connect(12345, true);
    // Three expectations, then a fourth: all four are kept.
    req(853, 'Amanda 2.6 REQ HANDLE 003 SEQ 4\n');
    rep(853, 'CONNECT DATA 50020 MESG 50021 INDEX 50022\n');
    rep(853, 'CONNECT DATA 50023\n');
    connect(50020, false);
    connect(50023, true);
  }
  return { rules, rules6, capture: c };
}
