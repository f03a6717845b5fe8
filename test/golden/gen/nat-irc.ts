/**
 * nat-irc: the irc NAT helper (nf_nat_irc) through MASQUERADE (IPv4: the
 * kernel has no IPv6 irc helper), with a filter that passes only
 * ESTABLISHED, the irc helper's RELATED connections and new connections to
 * port 6667. An inside IRC client's DCC offers name its inside address;
 * the firewall rewrites them to the masqueraded address (as one decimal
 * number, with the port), and the peer's connection to that address and
 * port is sent on to the client (nf_nat_follow_master), with the IRC
 * server's address as its source (the master's destination):
 *
 * - DCC SEND and CHAT rewritten to the same length;
 * - an address written with a leading zero (one byte longer than the
 *   rewrite): the IRC server's acknowledgements and the later segments are
 *   adjusted both ways (seqadj), a SACK block too;
 * - two clients offering port 65535: the second's expectation would clash
 *   with the first's and no other port is left to try, so the helper drops
 *   it ("all ports in use"); the first's expectation stays pending.
 */
import { Capture, type Scenario } from './capture.js';
import { conn, type Net, type Tcp } from './nat-helpers.js';

export const rules = `# cofw golden: nat-irc (the irc NAT helper)
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p tcp -m tcp --dport 6667 -j CT --helper irc
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i eth0 -p tcp
-A POSTROUTING -s 192.0.2.0/24 -o eth0 -j MASQUERADE
-A POSTROUTING -o eth1 -p tcp
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp
-A FORWARD -m conntrack --ctstate INVALID
-A FORWARD -m conntrack --ctstate RELATED -m helper --helper irc -j ACCEPT
-A FORWARD -m conntrack --ctstate ESTABLISHED -m conntrack --ctstate DNAT
-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT
-A FORWARD -p tcp -m tcp --dport 6667 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -p tcp -m conntrack --ctstate NEW
COMMIT
`;

const PUB = '198.51.100.1';
const SERVER = '203.0.113.50';
const PEER = '203.0.113.77';

/** An IPv4 address as DCC writes it: one decimal number. */
function dccAddr(a: string): string {
  return String(a.split('.').reduce((n, o) => n * 256 + Number(o), 0));
}

function ircSession(n: Net, client: string, port: number, iss: number): Tcp {
  const t = conn(
    n,
    { addr: client, port, peer: SERVER, peerPort: 6667, inside: true },
    { addr: SERVER, port: 6667, peer: PUB, peerPort: port, inside: false },
    iss,
  );
  return t.open().say(0, 'NICK alice\r\nUSER alice 0 * :Alice\r\n').say(1, ':irc 001 alice :Welcome\r\n');
}

/**
 * The peer connects to the offered port of the masqueraded address; the
 * firewall sends it on to the client, from the IRC server's address
 * (nf_nat_follow_master takes the source from where the master sends to:
 * the client sees the DCC connection come from the server).
 */
function peerConnects(n: Net, client: string, port: number, sport: number, iss: number): void {
  const d = conn(
    n,
    { addr: PEER, port: sport, peer: PUB, peerPort: port, inside: false },
    { addr: client, port, peer: SERVER, peerPort: sport, inside: true },
    iss,
  );
  d.open().say(1, 'file data '.repeat(10)).ack(0).close();
}

export function build(): Scenario {
  const c = new Capture(3_000_000n);
  const n: Net = { v6: false, host: (ip) => c.host(ip), wire: (ip) => c.wire(ip) };
  const C1 = '192.0.2.10';
  const t = ircSession(n, C1, 45000, 1_000_000);
  t.say(0, `PRIVMSG bob :\x01DCC SEND file.txt ${dccAddr(C1)} 40500 1000\x01\r\n`, `PRIVMSG bob :\x01DCC SEND file.txt ${dccAddr(PUB)} 40500 1000\x01\r\n`);
  t.ack(1);
  peerConnects(n, C1, 40500, 30000, 2_000_000);
  // A leading zero: the rewrite is one byte shorter, and everything after it is adjusted.
  t.say(0, `PRIVMSG bob :\x01DCC CHAT chat 0${dccAddr(C1)} 40501\x01\r\n`, `PRIVMSG bob :\x01DCC CHAT chat ${dccAddr(PUB)} 40501\x01\r\n`);
  t.say(1, ':bob PRIVMSG alice :ok\r\n');
  peerConnects(n, C1, 40501, 30001, 2_100_000);
  const a1 = t.seq[0];
  t.say(0, 'PING :a\r\n');
  const a2 = t.seq[0];
  t.say(0, 'PING :b\r\n');
  const o = t.off[0];
  t.sack(1, a1 + o, [[a2 + o, a2 + o + 9]]);
  t.resend(0, a1, 'PING :a\r\n');
  t.ack(1).say(1, ':irc PONG :a\r\n:irc PONG :b\r\n').ack(0);
  // Port 65535 offered by two clients: the second is dropped ("all ports in use").
  t.say(0, `PRIVMSG bob :\x01DCC SEND big.iso ${dccAddr(C1)} 65535 99\x01\r\n`, `PRIVMSG bob :\x01DCC SEND big.iso ${dccAddr(PUB)} 65535 99\x01\r\n`).ack(1);
  const C2 = '192.0.2.11';
  const u = ircSession(n, C2, 45001, 3_000_000);
  const at = u.seq[0];
  u.resend(0, at, `PRIVMSG bob :\x01DCC SEND other.iso ${dccAddr(C2)} 65535 99\x01\r\n`);
  u.say(0, 'QUIT\r\n').close();
  t.say(0, 'QUIT\r\n').close();
  return { rules, capture: c };
}
