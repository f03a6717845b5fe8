/**
 * ct-irc: the irc conntrack helper (`CT --helper irc` on TCP 6667, IPv4:
 * the kernel has no IPv6 irc helper) through the gateway, with a filter
 * that lets new connections through only to port 6667 and otherwise only
 * ESTABLISHED and RELATED. The IRC client inside announces DCC offers in
 * its PRIVMSGs; the peers outside connect back to it:
 *
 * - DCC SEND and CHAT, after leading blanks and a lower-case `privmsg`, an
 *   address that wraps (2^32 + the client's), a port that wraps (65536 +
 *   port): RELATED;
 * - DCC not at the start of the message text, in a NOTICE, `RESEND`,
 *   `ACCEPT`, lower-case `dcc`, another address than the client's (forged),
 *   port 0, no newline, a DCC from the server: nothing expected, the peer's
 *   connection dropped as NEW;
 * - a file name with a blank: the address is read from the name's second
 *   word (forged);
 * - nine offers from one IRC connection (max_dcc_channels 8: the ninth
 *   evicts the oldest), and the same port offered by a second IRC
 *   connection of the same client (the expectations clash: the helper drops
 *   the packet, `cannot add expectation`); seven expectations pending at
 *   the end.
 */
import { Capture, type Scenario } from './capture.js';
import { Conn, type Ends } from './ct-helpers.js';

export const rules = `# cofw golden: ct-irc (the irc helper)
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p tcp -m tcp --dport 6667 -j CT --helper irc
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m helper --helper irc
-A FORWARD -m conntrack --ctstate RELATED
-A FORWARD -m conntrack --ctstate RELATED -m helper --helper irc -j ACCEPT
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -p tcp -m tcp --dport 6667 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -p tcp -m conntrack --ctstate NEW
COMMIT
`;

const CLIENT = '192.0.2.10';
/** 192.0.2.10 as DCC writes it. */
const IP = 3221225994;
const SERVER = '203.0.113.50';
const PEER = '203.0.113.77';

export function build(): Scenario {
  const c = new Capture(3_000_000n);
  const e: Ends = { v6: false, inside: CLIENT, outside: SERVER, host: (ip) => c.host(ip), wire: (ip) => c.wire(ip) };
  const peer: Ends = { v6: false, inside: CLIENT, outside: PEER, host: (ip) => c.host(ip), wire: (ip) => c.wire(ip) };
  let iss = 7_000_000;
  /** The peer connects to the client's `port`: the whole handshake, or only the SYN when nothing lets it through. */
  const dccConnect = (port: number, answered: boolean): void => {
    const d = new Conn(peer, false, 30000 + (port % 1000), port, (iss += 100_000));
    if (answered) d.open().a('file data '.repeat(10)).close();
    else d.syn();
  };
  const irc = new Conn(e, true, 40000, 6667, 1_000_000);
  irc.open().a('NICK cl\r\nUSER cl 0 * :cl\r\n').b(':srv 001 cl :Welcome\r\n').ackA();
  const say = (conn: Conn, text: string): void => {
    conn.a(text).b(':srv PONG srv :x\r\n');
  };
  say(irc, `PRIVMSG bob :\x01DCC SEND report.pdf ${IP} 5000 123456\x01\r\n`);
  dccConnect(5000, true);
  say(irc, `PRIVMSG bob :\x01DCC CHAT chat ${IP} 5001\x01\r\n`);
  dccConnect(5001, true);
  say(irc, `\r\n  privmsg bob :\x01DCC SEND a.txt ${IP} 5002 10\x01\n`);
  dccConnect(5002, true);
  // The address and the port wrap as simple_strtoul's unsigned long does.
  say(irc, `PRIVMSG bob :\x01DCC SEND b.txt ${IP + 2 ** 32} 5003 10\x01\r\n`);
  dccConnect(5003, true);
  say(irc, `PRIVMSG bob :\x01DCC SEND c.txt ${IP} ${65536 + 5004} 10\x01\r\n`);
  dccConnect(5004, true);
  // Nothing expected.
  say(irc, `PRIVMSG bob :hello \x01DCC SEND d.txt ${IP} 5010 10\x01\r\n`);
  dccConnect(5010, false);
  say(irc, `NOTICE bob :\x01DCC SEND e.txt ${IP} 5011 10\x01\r\n`);
  dccConnect(5011, false);
  say(irc, `PRIVMSG bob :\x01DCC RESEND f.txt ${IP} 5012 10\x01\r\n`);
  dccConnect(5012, false);
  say(irc, `PRIVMSG bob :\x01DCC ACCEPT f.txt 5013 0\x01\r\n`);
  dccConnect(5013, false);
  say(irc, `PRIVMSG bob :\x01dcc SEND g.txt ${IP} 5014 10\x01\r\n`);
  dccConnect(5014, false);
  say(irc, `PRIVMSG bob :\x01DCC SEND h.txt 3405803853 5015 10\x01\r\n`);
  dccConnect(5015, false);
  say(irc, `PRIVMSG bob :\x01DCC SEND i.txt ${IP} 0 10\x01\r\n`);
  say(irc, `PRIVMSG bob :\x01DCC SEND j.txt ${IP} 5016 10\x01`);
  dccConnect(5016, false);
  say(irc, `PRIVMSG bob :\x01DCC SEND "my file" ${IP} 5017 10\x01\r\n`);
  dccConnect(5017, false);
  // The server's own messages are not read.
  irc.b(`:bob!b@h PRIVMSG cl :\x01DCC SEND k.txt ${IP} 5018 10\x01\r\n`).ackA();
  dccConnect(5018, false);
  // Nine offers from a second IRC connection: the ninth evicts the oldest.
  const irc2 = new Conn(e, true, 40001, 6667, 4_000_000);
  irc2.open().a('NICK cl2\r\n').b(':srv 001 cl2 :Welcome\r\n').ackA();
  for (let port = 6001; port <= 6009; port++) say(irc2, `PRIVMSG bob :\x01DCC SEND f${port} ${IP} ${port} 10\x01\r\n`);
  dccConnect(6001, false);
  dccConnect(6009, true);
  // A third IRC connection offers a port the second already has pending: the helper drops the packet.
  const irc3 = new Conn(e, true, 40002, 6667, 5_000_000);
  irc3.open().a('NICK cl3\r\n').b(':srv 001 cl3 :Welcome\r\n').ackA();
  irc3.a(`PRIVMSG bob :\x01DCC SEND x ${IP} 6002 10\x01\r\n`);
  // Nothing else from the first two: their expectations are pending at the end.
  return { rules, capture: c };
}
