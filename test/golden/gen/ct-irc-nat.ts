/**
 * ct-irc-nat: the irc helper on an IRC connection MASQUERADEd to the
 * firewall's outside address (nf_nat_irc): the client's DCC offers name its
 * inside address 192.0.2.10; the firewall rewrites them into the address
 * the server sees (198.51.100.1, written `3325256705`) and the port, and
 * the peer's connection to that address and port follows its master
 * (nf_nat_follow_master, without the nat table's rules): DNATed to
 * 192.0.2.10 and the offered port, and SNATed to the IRC server's address,
 * which the client answers. Offers naming the outside address
 * already are rewritten alike; one written with a leading zero is rewritten
 * one byte shorter (the last message of its connection, so the sequence
 * adjustment it starts never shifts a packet). A peer connecting to a port
 * not offered is dropped. Sent packets
 * recorded, to compare the rewritten offers byte for byte.
 */
import { setIPv4Checksum, setL4Checksum } from '../../../src/packet/checksum.js';
import { Capture, type Scenario } from './capture.js';
import { Conn, type Ends } from './ct-helpers.js';

export const rules = `# cofw golden: ct-irc-nat (the irc helper through MASQUERADE)
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
-A PREROUTING -p tcp -m tcp --dport 5000:5999
-A POSTROUTING -s 192.0.2.0/24 -o eth0 -j MASQUERADE
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m conntrack --ctstate NEW
-A FORWARD -m helper --helper irc
-A FORWARD -m conntrack --ctstate RELATED -m conntrack --ctstate DNAT
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -p tcp -m tcp --dport 6667 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -p tcp -m conntrack --ctstate NEW
COMMIT
`;

const CLIENT = '192.0.2.10';
const IP = 3221225994; // 192.0.2.10
const OUTSIDE = 3325256705; // 198.51.100.1
const SERVER = '203.0.113.50';
const PEER = '203.0.113.77';

export function build(): Scenario {
  const c = new Capture(3_000_000n);
  // The server sees the client as 198.51.100.1 (MASQUERADE keeps the port): its packets are sent there.
  const e: Ends = { v6: false, inside: CLIENT, outside: SERVER, host: (ip) => c.host(ip), wire: (ip) => c.wire(ip) };
  const toOutside = (ip: Uint8Array): void => c.wire(retarget(ip));
  const eNat: Ends = { ...e, wire: toOutside };
  // The peer's connection follows its master: the client sees it come from the IRC server's address.
  const peerEnds: Ends = { v6: false, inside: CLIENT, outside: PEER, host: (ip) => c.host(readdress(ip, 16, SERVER_BYTES)), wire: toOutside };
  let iss = 7_000_000;
  const dcc = (port: number, answered: boolean, ends = peerEnds): void => {
    const d = new Conn(ends, false, 30000 + (port % 1000), port, (iss += 100_000));
    if (answered) d.open().a('file data '.repeat(10)).close();
    else d.syn();
  };
  const irc = new Conn(eNat, true, 40000, 6667, 1_000_000);
  irc.open().a('NICK cl\r\nUSER cl 0 * :cl\r\n').b(':srv 001 cl :Welcome\r\n').ackA();
  const say = (conn: Conn, text: string): void => {
    conn.a(text).b(':srv PONG srv :x\r\n');
  };
  say(irc, `PRIVMSG bob :\x01DCC SEND report.pdf ${IP} 5000 123456\x01\r\n`);
  dcc(5000, true);
  say(irc, `PRIVMSG bob :\x01DCC CHAT chat ${OUTSIDE} 5001\x01\r\n`);
  dcc(5001, true);
  // A port not offered: a new connection to the firewall itself, dropped.
  dcc(5002, false);
  // A second IRC connection whose last message is an offer written with a leading zero: rewritten one byte shorter.
  const irc2 = new Conn(eNat, true, 40001, 6667, 4_000_000);
  irc2.open().a('NICK cl2\r\n').b(':srv 001 cl2 :Welcome\r\n').ackA();
  irc2.a(`PRIVMSG bob :\x01DCC SEND x 0${IP} 5003 10\x01\r\n`);
  dcc(5003, true);
  return { rules, capture: c };
}

const SERVER_BYTES = [203, 0, 113, 50];

/** The packet with the address at `at` (12 source, 16 destination) replaced, its IPv4 and TCP checksums made right. */
function readdress(ip: Uint8Array, at: number, addr: readonly number[]): Uint8Array {
  const out = ip.slice();
  out.set(addr, at);
  setIPv4Checksum(out);
  setL4Checksum(out);
  return out;
}

/** An outside packet to 192.0.2.10 sent to 198.51.100.1 instead (the address the server and the peers see). */
function retarget(ip: Uint8Array): Uint8Array {
  return ip[16] === 192 && ip[17] === 0 && ip[18] === 2 && ip[19] === 10 ? readdress(ip, 16, [198, 51, 100, 1]) : ip;
}
