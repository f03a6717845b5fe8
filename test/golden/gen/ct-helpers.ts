/**
 * ct-helpers: conntrack helpers attached by `CT --helper` in the raw table
 * (ftp and tftp), in both families, through the gateway. The filter lets a
 * new connection through only to the FTP and TFTP ports, and otherwise only
 * ESTABLISHED and RELATED packets, so every data connection's verdict
 * depends on the expectation its control connection made:
 *
 * - FTP active (PORT, EPRT) and passive (227 reply to PASV, 229 reply to
 *   EPSV), the data connection RELATED, its master's helper seen by
 *   `-m helper`;
 * - a command the helper never reads: not at a line start the helper knows
 *   (the packet before it did not end in a newline), or in a connection
 *   without a helper (port 2121): its data connection is NEW and dropped;
 * - a PORT naming another address (ignored: the helper's `loose` is 0);
 * - two PORT commands in a row (max_expected 1: the second evicts the first);
 * - a partial PORT command ("PORT\r\n"), which the helper drops (and the
 *   line start after it is unknown to it);
 * - a PORT over IPv6 (ignored: the address it carries is not the client's);
 * - a PORT left unanswered (its expectation outlives the capture);
 * - TFTP read and write requests, answered from another port of the server
 *   (RELATED), and a reply from a port no request announced (dropped).
 */
import { ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, type Scenario } from './capture.js';

const COMMON_FILTER = (icmp: string) => `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m helper --helper ftp
-A FORWARD -m helper --helper tftp
-A FORWARD -m helper ! --helper ftp
-A FORWARD -m helper --helper ""
-A FORWARD -m conntrack --ctstate RELATED
-A FORWARD -m conntrack --ctstatus EXPECTED
-A FORWARD -m conntrack --ctstate RELATED -m conntrack --ctdir ORIGINAL
-A FORWARD -m conntrack --ctstate RELATED -m conntrack --ctdir REPLY
-A FORWARD -m state --state RELATED -m helper --helper ftp -j ACCEPT
-A FORWARD -m state --state RELATED -m helper --helper tftp -j ACCEPT
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -m helper --helper ftp -j ACCEPT
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -p tcp -m tcp --dport 21 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -p tcp -m tcp --dport 2121 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -p udp -m udp --dport 69 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -p ${icmp} -j ACCEPT
-A FORWARD -p tcp -m conntrack --ctstate NEW
-A FORWARD -p udp -m conntrack --ctstate NEW
COMMIT
`;

const RAW = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p tcp -m tcp --dport 21 -j CT --helper ftp
-A PREROUTING -p udp -m udp --dport 69 -j CT --helper tftp
COMMIT
`;

export const rules = `# cofw golden: ct-helpers (ftp and tftp helpers, IPv4)
${RAW}${COMMON_FILTER('icmp')}`;

export const rules6 = `# cofw golden: ct-helpers (ftp and tftp helpers, IPv6)
${RAW}${COMMON_FILTER('ipv6-icmp')}`;

const enc = new TextEncoder();

export type Send = (ip: Uint8Array) => void;

export interface Ends {
  v6: boolean;
  /** The inside end (arrives on eth1) and the outside end (arrives on eth0). */
  inside: string;
  outside: string;
  host: Send;
  wire: Send;
}

/** A TCP connection between the two ends, with the sequence numbers each side has sent. */
export class Conn {
  private aSeq: number;
  private bSeq: number;
  constructor(
    private readonly e: Ends,
    /** Is the connection's opener (a) the inside end? */
    private readonly aInside: boolean,
    private readonly aPort: number,
    private readonly bPort: number,
    iss: number,
  ) {
    this.aSeq = iss;
    this.bSeq = iss + 500_000;
  }

  private pkt(fromA: boolean, flags: string, data?: Uint8Array, seqOverride?: number): void {
    const e = this.e;
    const aAddr = this.aInside ? e.inside : e.outside;
    const bAddr = this.aInside ? e.outside : e.inside;
    const src = fromA ? aAddr : bAddr;
    const dst = fromA ? bAddr : aAddr;
    const sport = fromA ? this.aPort : this.bPort;
    const dport = fromA ? this.bPort : this.aPort;
    const seq = seqOverride ?? (fromA ? this.aSeq : this.bSeq);
    const ack = flags.includes('S') && !flags.includes('A') ? 0 : fromA ? this.bSeq : this.aSeq;
    const l4 = tcp({ sport, dport, flags, seq: seq >>> 0, ack: ack >>> 0, payload: data });
    const ip = e.v6 ? ipv6({ src, dst }, l4) : ipv4({ src, dst }, l4);
    const inside = fromA === this.aInside;
    (inside ? e.host : e.wire)(ip);
    const n = (data?.length ?? 0) + (flags.includes('S') || flags.includes('F') ? 1 : 0);
    if (seqOverride === undefined) {
      if (fromA) this.aSeq += n;
      else this.bSeq += n;
    }
  }

  /** The opener's SYN alone. */
  syn(): this {
    this.pkt(true, 'S');
    return this;
  }
  open(): this {
    this.pkt(true, 'S');
    this.pkt(false, 'SA');
    this.pkt(true, 'A');
    return this;
  }
  /** The opener sends `text`. */
  a(text: string | Uint8Array): this {
    this.pkt(true, 'PA', typeof text === 'string' ? enc.encode(text) : text);
    return this;
  }
  /** The other end sends `text`. */
  b(text: string | Uint8Array): this {
    this.pkt(false, 'PA', typeof text === 'string' ? enc.encode(text) : text);
    return this;
  }
  /** The opener acknowledges. */
  ackA(): this {
    this.pkt(true, 'A');
    return this;
  }
  close(): this {
    this.pkt(true, 'FA');
    this.pkt(false, 'FA');
    this.pkt(true, 'A');
    return this;
  }
}

/** A data connection the outside end opens to the inside (active FTP); only its SYN when `answered` is false. */
function activeData(e: Ends, sport: number, dport: number, iss: number, answered = true): void {
  const d = new Conn(e, false, sport, dport, iss);
  if (!answered) {
    d.syn();
    return;
  }
  d.open().a('data '.repeat(20)).close();
}

/** A data connection the inside end opens to the outside (passive FTP). */
function passiveData(e: Ends, sport: number, dport: number, iss: number): void {
  new Conn(e, true, sport, dport, iss).open().b('listing\r\n'.repeat(10)).close();
}

function login(ctl: Conn): Conn {
  return ctl.open().b('220 ready\r\n').a('USER anonymous\r\n').b('331 password\r\n').a('PASS x@y\r\n').b('230 logged in\r\n');
}

function pasvText(addr: string, port: number): string {
  return `${addr.replaceAll('.', ',')},${port >> 8},${port & 255}`;
}

function ftp4(e: Ends): void {
  const ctl = login(new Conn(e, true, 40000, 21, 1_000_000));
  // Active: PORT, then the server connects from port 20 (RELATED).
  ctl
    .a(`PORT ${pasvText(e.inside, 40001)}\r\n`)
    .b('200 PORT ok\r\n')
    .a('RETR a\r\n')
    .b('150 opening\r\n');
  activeData(e, 20, 40001, 2_000_000);
  ctl.b('226 done\r\n');
  // Passive: the 227 reply (without parentheses after the text, as RFC 1123 allows).
  ctl
    .a('PASV\r\n')
    .b(`227 Entering Passive Mode (${pasvText(e.outside, 50000)}).\r\n`)
    .a('LIST\r\n');
  passiveData(e, 40100, 50000, 3_000_000);
  ctl.b('226 done\r\n');
  ctl
    .a('PASV\r\n')
    .b(`227 Entering Passive Mode ${pasvText(e.outside, 50001)}\r\n`)
    .a('LIST\r\n');
  passiveData(e, 40101, 50001, 3_100_000);
  ctl.b('226 done\r\n');
  // Extended: EPSV's 229 reply (the server's own address) and EPRT.
  ctl.a('EPSV\r\n').b('229 Entering Extended Passive Mode (|||50002|)\r\n').a('LIST\r\n');
  passiveData(e, 40102, 50002, 3_200_000);
  ctl.b('226 done\r\n');
  ctl.a(`EPRT |1|${e.inside}|40002|\r\n`).b('200 EPRT ok\r\n').a('RETR b\r\n');
  activeData(e, 20, 40002, 2_100_000);
  ctl.b('226 done\r\n');
  // Lower case commands are read too.
  ctl.a(`port ${pasvText(e.inside, 40003)}\r\n`).b('200 ok\r\n');
  activeData(e, 20, 40003, 2_200_000);
  // A command not at a line start the helper knows: the packet before it did not end in a newline.
  ctl
    .a('NOOP')
    .a(`PORT ${pasvText(e.inside, 40004)}\r\n`)
    .b('200 ok\r\n');
  activeData(e, 20, 40004, 2_300_000, false);
  // A PORT naming another address: no expectation (loose is 0).
  ctl.a(`PORT ${pasvText('192.0.2.99', 40005)}\r\n`).b('200 ok\r\n');
  activeData(e, 20, 40005, 2_400_000, false);
  new Conn({ ...e, inside: '192.0.2.99' }, false, 20, 40005, 2_400_500).syn();
  // Two PORT commands: max_expected is 1, the second evicts the first.
  ctl
    .a(`PORT ${pasvText(e.inside, 40006)}\r\n`)
    .b('200 ok\r\n')
    .a(`PORT ${pasvText(e.inside, 40007)}\r\n`)
    .b('200 ok\r\n');
  activeData(e, 20, 40006, 2_500_000, false);
  activeData(e, 20, 40007, 2_600_000);
  // The same expectation twice from one connection: the second replaces the first.
  ctl
    .a(`PORT ${pasvText(e.inside, 40008)}\r\n`)
    .b('200 ok\r\n')
    .a(`PORT ${pasvText(e.inside, 40008)}\r\n`)
    .b('200 ok\r\n');
  activeData(e, 20, 40008, 2_700_000);
  // A data connection opened twice on one expectation: the second is NEW (the expectation was used).
  activeData(e, 21, 40008, 2_800_000, false);
  // A partial PORT: the helper drops the packet.
  // After a drop the next line start is unknown (the dropped packet recorded none): a NOOP first.
  ctl.a('PORT\r\n').b('500 what\r\n').a('NOOP\r\n').b('200 ok\r\n');
  // A PORT with a number above 255 (not read here: the line start after a drop is unknown to the helper;
  // read, it would expect port 300 << 8 | 1 modulo 65536, as 6.18 checks no range).
  ctl.a(`PORT 192,0,2,10,300,1\r\n`).b('500 what\r\n').a('NOOP\r\n').b('200 ok\r\n');
  // A 227 in the original direction and a PORT in the reply direction mean nothing.
  ctl.a(`227 ${pasvText(e.outside, 50003)}\r\n`).b(`PORT ${pasvText(e.outside, 50004)}\r\n`);
  new Conn(e, true, 40103, 50003, 3_300_000).syn();
  // An unanswered PORT: its expectation outlives the capture.
  ctl.a(`PORT ${pasvText(e.inside, 40009)}\r\n`).b('200 ok\r\n');
  // The same commands on a connection without a helper (port 2121): nothing expected.
  const plain = login(new Conn(e, true, 40010, 2121, 4_000_000));
  plain.a(`PORT ${pasvText(e.inside, 40011)}\r\n`).b('200 ok\r\n');
  activeData(e, 20, 40011, 2_900_000, false);
  plain.close();
}

function ftp6(e: Ends): void {
  const ctl = login(new Conn(e, true, 40000, 21, 5_000_000));
  ctl.a(`EPRT |2|${e.inside}|40001|\r\n`).b('200 EPRT ok\r\n').a('RETR a\r\n');
  activeData(e, 20, 40001, 6_000_000);
  ctl.b('226 done\r\n');
  ctl.a('EPSV\r\n').b('229 Entering Extended Passive Mode (|||50002|)\r\n').a('LIST\r\n');
  passiveData(e, 40102, 50002, 7_000_000);
  ctl.b('226 done\r\n');
  // An IPv4 EPRT on an IPv6 connection: a partial match (dropped).
  ctl.a('EPRT |1|192.0.2.10|40002|\r\n').b('500 what\r\n').a('NOOP\r\n').b('200 ok\r\n');
  // PORT over IPv6: its IPv4 address is not the client's, no expectation.
  ctl.a(`PORT 192,0,2,10,156,67\r\n`).b('200 ok\r\n');
  activeData(e, 20, 40003, 6_100_000, false);
  // EPRT naming another address: ignored.
  ctl.a('EPRT |2|2001:db8:2::99|40004|\r\n').b('200 ok\r\n');
  activeData(e, 20, 40004, 6_200_000, false);
  // An unanswered EPRT.
  ctl.a(`EPRT |2|${e.inside}|40009|\r\n`).b('200 ok\r\n');
}

function tftpRequest(opcode: number, file: string): Uint8Array {
  const f = enc.encode(`${file}\0octet\0`);
  const b = new Uint8Array(2 + f.length);
  b[1] = opcode;
  b.set(f, 2);
  return b;
}

function tftp(e: Ends, base: number): void {
  const u = (src: string, dst: string, sport: number, dport: number, payload: Uint8Array): Uint8Array =>
    e.v6 ? ipv6({ src, dst }, udp({ sport, dport, payload })) : ipv4({ src, dst }, udp({ sport, dport, payload }));
  const data = (block: number, n: number): Uint8Array => {
    const b = new Uint8Array(4 + n).fill(0x41);
    b[0] = 0;
    b[1] = 3;
    b[2] = block >> 8;
    b[3] = block & 255;
    return b;
  };
  const ack = (block: number): Uint8Array => new Uint8Array([0, 4, block >> 8, block & 255]);
  // A read request; the server answers from another port (RELATED), the client acknowledges (reply direction).
  e.host(u(e.inside, e.outside, base, 69, tftpRequest(1, 'boot.img')));
  e.wire(u(e.outside, e.inside, 33000, base, data(1, 512)));
  e.host(u(e.inside, e.outside, base, 33000, ack(1)));
  e.wire(u(e.outside, e.inside, 33000, base, data(2, 10)));
  e.host(u(e.inside, e.outside, base, 33000, ack(2)));
  // A write request, from another client port.
  e.host(u(e.inside, e.outside, base + 1, 69, tftpRequest(2, 'up.txt')));
  e.wire(u(e.outside, e.inside, 33001, base + 1, ack(0)));
  e.host(u(e.inside, e.outside, base + 1, 33001, data(1, 20)));
  // A reply from a port no request announced: the expectation was used, so it is NEW (dropped).
  e.wire(u(e.outside, e.inside, 33002, base, data(1, 8)));
  // A request that is neither (an ACK to port 69): no expectation; its answer is dropped.
  e.host(u(e.inside, e.outside, base + 2, 69, ack(0)));
  e.wire(u(e.outside, e.inside, 33003, base + 2, data(1, 8)));
  // An unanswered read request: its expectation outlives the capture.
  e.host(u(e.inside, e.outside, base + 3, 69, tftpRequest(1, 'late.img')));
}

export function build(): Scenario & { rules6: string } {
  const c = new Capture(3_000_000n);
  const v4: Ends = { v6: false, inside: '192.0.2.10', outside: '203.0.113.21', host: (ip) => c.host(ip), wire: (ip) => c.wire(ip) };
  const v6: Ends = {
    v6: true,
    inside: '2001:db8:2::10',
    outside: '2001:db8:ff::21',
    host: (ip) => c.host(ip, { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01', ethertype: 0x86dd }),
    wire: (ip) => c.wire(ip, { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01', ethertype: 0x86dd }),
  };
  ftp4(v4);
  ftp6(v6);
  tftp(v4, 3000);
  tftp({ ...v6, outside: '2001:db8:ff::69' }, 3000);
  return { rules, rules6, capture: c };
}
