/**
 * nat-helpers: the NAT helpers (nf_nat_ftp, nf_nat_tftp, nf_nat_amanda)
 * through MASQUERADE and a DNAT port forward, both families. The filter
 * lets new connections in only to the control ports, and otherwise only
 * ESTABLISHED and the RELATED connections of a helper, so every data
 * connection passes only if it was translated as its master (the kernel's
 * nf_nat_follow_master): an active FTP data connection from the server to
 * the masqueraded address must be sent on to the inside client, a passive
 * one from the inside must leave with the masqueraded source.
 *
 * The far ends answer as they would behind the real kernel: the server of
 * a masqueraded client sees the rewritten command (`PORT 198,51,100,1,...`,
 * two bytes longer than `PORT 192,0,2,10,...`; an IPv6 `EPRT` with the
 * address written out in full, 25 bytes longer) and numbers its
 * acknowledgements after it, so the firewall must adjust every later
 * segment's sequence and acknowledgement numbers (and SACK blocks) both
 * ways, and its TCP window tracking must allow for it, or the far end's
 * acknowledgements would be INVALID. A command retransmitted, a second
 * rewrite in one connection, SACK blocks before and after a rewrite, a
 * passive reply rewritten on the way out of a port forward (`227` with the
 * inside server's address), a PORT whose port (65535) another masqueraded
 * client's expectation holds ("all ports in use": the kernel drops it; its
 * retransmission after the other expectation was used passes), TFTP and
 * Amanda through MASQUERADE.
 */
import { ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, type Scenario } from './capture.js';

const RAW = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p tcp -m tcp --dport 21 -j CT --helper ftp
-A PREROUTING -p udp -m udp --dport 69 -j CT --helper tftp
-A PREROUTING -p udp -m udp --dport 10080 -j CT --helper amanda
COMMIT
`;

const nat = (inside: string, pub: string, server: string): string => `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d ${pub} -i eth0 -p tcp -m tcp --dport 21 -j DNAT --to-destination ${server}
-A PREROUTING -i eth0 -p tcp
-A POSTROUTING -s ${inside} -o eth0 -p tcp -m tcp --dport 21 -j MASQUERADE
-A POSTROUTING -s ${inside} -o eth0 -p tcp
-A POSTROUTING -s ${inside} -o eth0 -j MASQUERADE
-A POSTROUTING -o eth1 -p tcp
COMMIT
`;

const FILTER = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctstate INVALID
-A INPUT -p tcp
-A INPUT -p udp
-A FORWARD -m conntrack --ctstate INVALID
-A FORWARD -m conntrack --ctstate RELATED -m helper --helper ftp -j ACCEPT
-A FORWARD -m conntrack --ctstate RELATED -m helper --helper tftp -j ACCEPT
-A FORWARD -m conntrack --ctstate RELATED -m helper --helper amanda -j ACCEPT
-A FORWARD -m conntrack --ctstate ESTABLISHED -m conntrack --ctstate DNAT
-A FORWARD -m conntrack --ctstate ESTABLISHED -m conntrack --ctstate SNAT
-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT
-A FORWARD -p tcp -m tcp --dport 21 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -p udp -m udp --dport 69 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -p udp -m udp --dport 10080 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -p tcp -m conntrack --ctstate NEW
-A FORWARD -p udp -m conntrack --ctstate NEW
COMMIT
`;

export const rules = `# cofw golden: nat-helpers (NAT helpers, IPv4)
${RAW}${nat('192.0.2.0/24', '198.51.100.1/32', '192.0.2.21')}${FILTER}`;

export const rules6 = `# cofw golden: nat-helpers (NAT helpers, IPv6)
${RAW}${nat('2001:db8:2::/64', '2001:db8:100::1/128', '2001:db8:2::21')}${FILTER}`;

const enc = new TextEncoder();

export interface Net {
  v6: boolean;
  host: (ip: Uint8Array) => void;
  wire: (ip: Uint8Array) => void;
}

/** One end of a connection as the wire on its side shows it: its own address and port, and the other end's as it sees them. */
export interface End {
  addr: string;
  port: number;
  /** The other end's address and port, as this end addresses it. */
  peer: string;
  peerPort: number;
  inside: boolean;
}

/** SACK permitted (kind 4), padded with NOPs. */
const SACK_OK = new Uint8Array([1, 1, 4, 2]);

/** A SACK option with the blocks given (kind 5), after two NOPs. */
function sackOption(blocks: Array<[number, number]>): Uint8Array {
  const b = new Uint8Array(4 + 8 * blocks.length);
  b[0] = 1;
  b[1] = 1;
  b[2] = 5;
  b[3] = 2 + 8 * blocks.length;
  const dv = new DataView(b.buffer);
  blocks.forEach(([l, r], i) => {
    dv.setUint32(4 + 8 * i, l >>> 0);
    dv.setUint32(8 + 8 * i, r >>> 0);
  });
  return b;
}

/**
 * A TCP connection across the firewall, each end numbering its own bytes:
 * `off[x]` is how far the other end's view of x's stream has moved from
 * x's own numbering (what the firewall's rewrites added), so each end
 * acknowledges in its own view.
 */
export class Tcp {
  readonly seq: [number, number];
  readonly off: [number, number] = [0, 0];
  constructor(
    private readonly n: Net,
    private readonly ends: [End, End],
    iss: number,
  ) {
    this.seq = [iss, iss + 700_000];
  }

  private send(x: 0 | 1, flags: string, payload?: Uint8Array, opts?: { seq?: number; ack?: number; options?: Uint8Array }): void {
    const e = this.ends[x];
    const y = (x ^ 1) as 0 | 1;
    const seq = opts?.seq ?? this.seq[x];
    const ack = opts?.ack ?? (flags === 'S' ? 0 : this.seq[y] + this.off[y]);
    const l4 = tcp({ sport: e.port, dport: e.peerPort, flags, seq: seq >>> 0, ack: ack >>> 0, payload, options: opts?.options });
    const ip = this.n.v6 ? ipv6({ src: e.addr, dst: e.peer }, l4) : ipv4({ src: e.addr, dst: e.peer }, l4);
    (e.inside ? this.n.host : this.n.wire)(ip);
  }

  open(): this {
    this.send(0, 'S', undefined, { options: SACK_OK });
    this.seq[0]++;
    this.send(1, 'SA', undefined, { options: SACK_OK });
    this.seq[1]++;
    this.send(0, 'A');
    return this;
  }

  /** End x sends `text`; the firewall rewrites it to `seen` (same when not given). */
  say(x: 0 | 1, text: string, seen = text): this {
    const p = enc.encode(text);
    this.send(x, 'PA', p);
    this.seq[x] += p.length;
    this.off[x] += enc.encode(seen).length - p.length;
    return this;
  }

  /** End x sends `text` again at sequence number `at` (a retransmission): nothing moves. */
  resend(x: 0 | 1, at: number, text: string): this {
    this.send(x, 'PA', enc.encode(text), { seq: at });
    return this;
  }

  /** End x acknowledges everything it has. */
  ack(x: 0 | 1): this {
    this.send(x, 'A');
    return this;
  }

  /** End x acknowledges up to `ack` (its view) with SACK blocks (its view). */
  sack(x: 0 | 1, ack: number, blocks: Array<[number, number]>): this {
    this.send(x, 'A', undefined, { ack, options: sackOption(blocks) });
    return this;
  }

  close(): this {
    this.send(0, 'FA');
    this.seq[0]++;
    this.send(1, 'FA');
    this.seq[1]++;
    this.send(0, 'A');
    return this;
  }
}

export function conn(n: Net, a: End, b: Omit<End, 'peer' | 'peerPort'> & { peer?: string; peerPort?: number }, iss: number): Tcp {
  const bEnd: End = { addr: b.addr, port: b.port, inside: b.inside, peer: b.peer ?? a.addr, peerPort: b.peerPort ?? a.port };
  return new Tcp(n, [a, bEnd], iss);
}

function port6(port: number): string {
  return `${port >> 8},${port & 255}`;
}

function commas(addr: string): string {
  return addr.replaceAll('.', ',');
}

/** A data connection: its opener sends a SYN, gets the SYN/ACK, sends data and the other acknowledges, then both close. */
function data(t: Tcp, from: 0 | 1 = 1): void {
  t.open();
  t.say(from, 'data '.repeat(30)).ack((from ^ 1) as 0 | 1);
  t.close();
}

/** An FTP login on a control connection (opener 0 is the client). */
function login(t: Tcp): Tcp {
  return t.open().say(1, '220 ready\r\n').say(0, 'USER anonymous\r\n').say(1, '331 password\r\n').say(0, 'PASS x@y\r\n').say(1, '230 logged in\r\n');
}

function ipv4Sessions(n: Net): void {
  const PUB = '198.51.100.1';
  const SRV = '203.0.113.21';
  const C1 = '192.0.2.10';
  // Active FTP through MASQUERADE: the PORT names the masqueraded address (two bytes longer).
  const ctl = login(
    conn(n, { addr: C1, port: 40000, peer: SRV, peerPort: 21, inside: true }, { addr: SRV, port: 21, peer: PUB, peerPort: 40000, inside: false }, 1_000_000),
  );
  const portAt = ctl.seq[0];
  ctl.say(0, `PORT ${commas(C1)},${port6(40001)}\r\n`, `PORT ${commas(PUB)},${port6(40001)}\r\n`);
  // The PORT again (a retransmission before the server's answer): rewritten alike, the offsets kept.
  ctl.resend(0, portAt, `PORT ${commas(C1)},${port6(40001)}\r\n`);
  ctl.say(1, '200 PORT ok\r\n').say(0, 'RETR a\r\n').say(1, '150 opening\r\n');
  // The server connects to the masqueraded address; the firewall sends it on to the client.
  data(
    conn(n, { addr: SRV, port: 20, peer: PUB, peerPort: 40001, inside: false }, { addr: C1, port: 40001, peer: SRV, peerPort: 20, inside: true }, 2_000_000),
    0,
  );
  ctl.say(1, '226 done\r\n');
  // Two commands; the server saw the first lost: it acknowledges up to it with a SACK block for the second.
  const n1 = ctl.seq[0];
  ctl.say(0, 'NOOP\r\n');
  const n2 = ctl.seq[0];
  ctl.say(0, 'STAT\r\n');
  const o = ctl.off[0];
  ctl.sack(1, n1 + o, [[n2 + o, n2 + o + 6]]);
  ctl.resend(0, n1, 'NOOP\r\n');
  ctl.ack(1).say(1, '200 ok\r\n').say(1, '211 status\r\n').ack(0);
  // A second rewrite in the same connection: the offsets move on.
  ctl.say(0, `PORT ${commas(C1)},${port6(40002)}\r\n`, `PORT ${commas(PUB)},${port6(40002)}\r\n`);
  ctl.say(1, '200 PORT ok\r\n').say(0, 'RETR b\r\n');
  data(
    conn(n, { addr: SRV, port: 20, peer: PUB, peerPort: 40002, inside: false }, { addr: C1, port: 40002, peer: SRV, peerPort: 20, inside: true }, 2_100_000),
    0,
  );
  ctl.say(1, '226 done\r\n');
  // EPRT: |1|address|port| with the masqueraded address.
  ctl.say(0, `EPRT |1|${C1}|40003|\r\n`, `EPRT |1|${PUB}|40003|\r\n`).say(1, '200 EPRT ok\r\n').say(0, 'RETR c\r\n');
  data(
    conn(n, { addr: SRV, port: 20, peer: PUB, peerPort: 40003, inside: false }, { addr: C1, port: 40003, peer: SRV, peerPort: 20, inside: true }, 2_200_000),
    0,
  );
  ctl.say(1, '226 done\r\n');
  // Passive: the 227 names the server's own address (rewritten alike); the client's data connection leaves masqueraded.
  ctl
    .say(0, 'PASV\r\n')
    .say(1, `227 Entering Passive Mode (${commas(SRV)},${port6(50000)}).\r\n`)
    .say(0, 'LIST\r\n');
  data(
    conn(
      n,
      { addr: C1, port: 40100, peer: SRV, peerPort: 50000, inside: true },
      { addr: SRV, port: 50000, peer: PUB, peerPort: 40100, inside: false },
      3_000_000,
    ),
    1,
  );
  ctl.say(1, '226 done\r\n');
  ctl.say(0, 'EPSV\r\n').say(1, '229 Entering Extended Passive Mode (|||50001|)\r\n').say(0, 'LIST\r\n');
  data(
    conn(
      n,
      { addr: C1, port: 40101, peer: SRV, peerPort: 50001, inside: true },
      { addr: SRV, port: 50001, peer: PUB, peerPort: 40101, inside: false },
      3_100_000,
    ),
    1,
  );
  ctl.say(1, '226 done\r\n');
  // A last SACK after the rewrites: blocks beyond them.
  const m1 = ctl.seq[0];
  ctl.say(0, 'NOOP\r\n');
  const m2 = ctl.seq[0];
  ctl.say(0, 'NOOP\r\n');
  const p = ctl.off[0];
  ctl.sack(1, m1 + p, [[m2 + p, m2 + p + 6]]);
  ctl.ack(1).say(1, '200 ok\r\n').say(1, '200 ok\r\n').ack(0);
  // An unanswered PORT: its expectation (for the masqueraded address) outlives the capture.
  ctl.say(0, `PORT ${commas(C1)},${port6(40009)}\r\n`, `PORT ${commas(PUB)},${port6(40009)}\r\n`).say(1, '200 PORT ok\r\n');

  // Two masqueraded clients name port 65535 to one server: the second's expectation would clash (no other port to try).
  const C2 = '192.0.2.12';
  const C3 = '192.0.2.13';
  const a = login(
    conn(n, { addr: C2, port: 41000, peer: SRV, peerPort: 21, inside: true }, { addr: SRV, port: 21, peer: PUB, peerPort: 41000, inside: false }, 4_000_000),
  );
  const b = login(
    conn(n, { addr: C3, port: 41001, peer: SRV, peerPort: 21, inside: true }, { addr: SRV, port: 21, peer: PUB, peerPort: 41001, inside: false }, 4_500_000),
  );
  a.say(0, `PORT ${commas(C2)},255,255\r\n`, `PORT ${commas(PUB)},255,255\r\n`).say(1, '200 PORT ok\r\n');
  const bAt = b.seq[0];
  const bPort = `PORT ${commas(C3)},255,255\r\n`;
  // Dropped by the helper ("all ports in use"): the server never sees it.
  b.resend(0, bAt, bPort);
  a.say(0, 'RETR a\r\n');
  data(
    conn(n, { addr: SRV, port: 20, peer: PUB, peerPort: 65535, inside: false }, { addr: C2, port: 65535, peer: SRV, peerPort: 20, inside: true }, 4_600_000),
    0,
  );
  // Retransmitted once the first expectation was used: now it passes, rewritten.
  b.say(0, bPort, `PORT ${commas(PUB)},255,255\r\n`).say(1, '200 PORT ok\r\n');
  a.say(1, '226 done\r\n').close();

  // A port forward to an inside FTP server: passive replies name the inside address (rewritten, two bytes longer).
  const EXT = '203.0.113.7';
  const SRV_IN = '192.0.2.21';
  const fwd = login(
    conn(
      n,
      { addr: EXT, port: 42000, peer: PUB, peerPort: 21, inside: false },
      { addr: SRV_IN, port: 21, peer: EXT, peerPort: 42000, inside: true },
      5_000_000,
    ),
  );
  fwd
    .say(0, 'PASV\r\n')
    .say(1, `227 Entering Passive Mode (${commas(SRV_IN)},${port6(50010)})\r\n`, `227 Entering Passive Mode (${commas(PUB)},${port6(50010)})\r\n`);
  fwd.say(0, 'LIST\r\n');
  data(
    conn(
      n,
      { addr: EXT, port: 42001, peer: PUB, peerPort: 50010, inside: false },
      { addr: SRV_IN, port: 50010, peer: EXT, peerPort: 42001, inside: true },
      5_100_000,
    ),
    1,
  );
  fwd.say(1, '226 done\r\n');
  // The client's SACK of the server's stream, after the rewrite.
  const s1 = fwd.seq[1];
  fwd.say(1, '211-a\r\n');
  const s2 = fwd.seq[1];
  fwd.say(1, '211 b\r\n');
  const q = fwd.off[1];
  fwd.sack(0, s1 + q, [[s2 + q, s2 + q + 7]]);
  fwd.resend(1, s1, '211-a\r\n').ack(0);
  // Active through the forward: the PORT names the outside client (unchanged); the server's data connection leaves from the public address.
  fwd
    .say(0, `PORT ${commas(EXT)},${port6(42002)}\r\n`)
    .say(1, '200 PORT ok\r\n')
    .say(0, 'RETR d\r\n');
  data(
    conn(
      n,
      { addr: SRV_IN, port: 20, peer: EXT, peerPort: 42002, inside: true },
      { addr: EXT, port: 42002, peer: PUB, peerPort: 20, inside: false },
      5_200_000,
    ),
    0,
  );
  fwd.say(1, '226 done\r\n').close();
  ctl.close();
  b.close();

  // TFTP through MASQUERADE: the server answers the masqueraded address from another port; the firewall sends it on.
  const T = '203.0.113.69';
  const u = (src: string, dst: string, sport: number, dport: number, payload: Uint8Array): Uint8Array => ipv4({ src, dst }, udp({ sport, dport, payload }));
  tftp(n, u, C1, T, PUB, 3000);
  // Amanda through MASQUERADE: the inside server's TCP connections to the client's ports leave masqueraded.
  amanda(n, u, '192.0.2.30', '203.0.113.9', PUB);
}

function tftpRequest(opcode: number, file: string): Uint8Array {
  const f = enc.encode(`${file}\0octet\0`);
  const b = new Uint8Array(2 + f.length);
  b[1] = opcode;
  b.set(f, 2);
  return b;
}

type U = (src: string, dst: string, sport: number, dport: number, payload: Uint8Array) => Uint8Array;

function tftp(n: Net, u: U, client: string, server: string, pub: string, port: number): void {
  const dataBlock = (block: number, len: number): Uint8Array => {
    const b = new Uint8Array(4 + len).fill(0x41);
    b[1] = 3;
    b[2] = block >> 8;
    b[3] = block & 255;
    return b;
  };
  const ack = (block: number): Uint8Array => new Uint8Array([0, 4, block >> 8, block & 255]);
  n.host(u(client, server, port, 69, tftpRequest(1, 'boot.img')));
  n.wire(u(server, pub, 33000, port, dataBlock(1, 512)));
  n.host(u(client, server, port, 33000, ack(1)));
  n.wire(u(server, pub, 33000, port, dataBlock(2, 10)));
  n.host(u(client, server, port, 33000, ack(2)));
  // A write request from another port, and one left unanswered (its expectation pending).
  n.host(u(client, server, port + 1, 69, tftpRequest(2, 'up.txt')));
  n.wire(u(server, pub, 33001, port + 1, ack(0)));
  n.host(u(client, server, port + 1, 33001, dataBlock(1, 20)));
  n.host(u(client, server, port + 2, 69, tftpRequest(1, 'late.img')));
}

function amanda(n: Net, u: U, server: string, client: string, pub: string): void {
  n.host(u(server, client, 850, 10080, enc.encode('Amanda 2.6 REQ HANDLE 000 SEQ 1\nSERVICE sendbackup\n')));
  n.wire(u(client, pub, 10080, 850, enc.encode('Amanda 2.6 REP HANDLE 000 SEQ 1\nCONNECT DATA 50020 MESG 50021 INDEX 50022\nOPTIONS features=1;\n')));
  for (const port of [50020, 50021]) {
    const v6 = n.v6;
    const ip = (src: string, dst: string, l4: ReturnType<typeof tcp>): Uint8Array => (v6 ? ipv6({ src, dst }, l4) : ipv4({ src, dst }, l4));
    n.host(ip(server, client, tcp({ sport: port - 10000, dport: port, flags: 'S', seq: 100 })));
    n.wire(ip(client, pub, tcp({ sport: port, dport: port - 10000, flags: 'SA', seq: 900, ack: 101 })));
    n.host(ip(server, client, tcp({ sport: port - 10000, dport: port, flags: 'A', seq: 101, ack: 901 })));
  }
}

/** %pI6: the address in full. */
function full6(a: string): string {
  const [head = '', tail = ''] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = a.includes('::') ? [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.map((g) => g.padStart(4, '0')).join(':');
}

function ipv6Sessions(n: Net): void {
  const PUB = '2001:db8:100::1';
  const SRV = '2001:db8:ff::21';
  const C1 = '2001:db8:2::10';
  const ctl = login(
    conn(n, { addr: C1, port: 40000, peer: SRV, peerPort: 21, inside: true }, { addr: SRV, port: 21, peer: PUB, peerPort: 40000, inside: false }, 6_000_000),
  );
  // EPRT names the masqueraded address, written out in full (25 bytes longer).
  ctl
    .say(0, `EPRT |2|${C1}|40001|\r\n`, `EPRT |2|${full6(PUB)}|40001|\r\n`)
    .say(1, '200 EPRT ok\r\n')
    .say(0, 'RETR a\r\n');
  data(
    conn(n, { addr: SRV, port: 20, peer: PUB, peerPort: 40001, inside: false }, { addr: C1, port: 40001, peer: SRV, peerPort: 20, inside: true }, 7_000_000),
    0,
  );
  ctl.say(1, '226 done\r\n');
  const n1 = ctl.seq[0];
  ctl.say(0, 'NOOP\r\n');
  const n2 = ctl.seq[0];
  ctl.say(0, 'STAT\r\n');
  const o = ctl.off[0];
  ctl.sack(1, n1 + o, [[n2 + o, n2 + o + 6]]);
  ctl.resend(0, n1, 'NOOP\r\n');
  ctl.ack(1).say(1, '200 ok\r\n').say(1, '211 status\r\n').ack(0);
  ctl.say(0, 'EPSV\r\n').say(1, '229 Entering Extended Passive Mode (|||50001|)\r\n').say(0, 'LIST\r\n');
  data(
    conn(
      n,
      { addr: C1, port: 40101, peer: SRV, peerPort: 50001, inside: true },
      { addr: SRV, port: 50001, peer: PUB, peerPort: 40101, inside: false },
      7_100_000,
    ),
    1,
  );
  ctl.say(1, '226 done\r\n');
  ctl.say(0, `EPRT |2|${C1}|40009|\r\n`, `EPRT |2|${full6(PUB)}|40009|\r\n`).say(1, '200 EPRT ok\r\n');
  ctl.close();
  // The port forward: EPSV (no address) and EPRT naming the outside client (written out in full, as the kernel prints it).
  const EXT = '2001:db8:ff::7';
  const SRV_IN = '2001:db8:2::21';
  const fwd = login(
    conn(
      n,
      { addr: EXT, port: 42000, peer: PUB, peerPort: 21, inside: false },
      { addr: SRV_IN, port: 21, peer: EXT, peerPort: 42000, inside: true },
      8_000_000,
    ),
  );
  fwd.say(0, 'EPSV\r\n').say(1, '229 Entering Extended Passive Mode (|||50010|)\r\n').say(0, 'LIST\r\n');
  data(
    conn(
      n,
      { addr: EXT, port: 42001, peer: PUB, peerPort: 50010, inside: false },
      { addr: SRV_IN, port: 50010, peer: EXT, peerPort: 42001, inside: true },
      8_100_000,
    ),
    1,
  );
  fwd.say(1, '226 done\r\n');
  fwd
    .say(0, `EPRT |2|${EXT}|42002|\r\n`, `EPRT |2|${full6(EXT)}|42002|\r\n`)
    .say(1, '200 EPRT ok\r\n')
    .say(0, 'RETR d\r\n');
  data(
    conn(
      n,
      { addr: SRV_IN, port: 20, peer: EXT, peerPort: 42002, inside: true },
      { addr: EXT, port: 42002, peer: PUB, peerPort: 20, inside: false },
      8_200_000,
    ),
    0,
  );
  fwd.say(1, '226 done\r\n').close();
  const u = (src: string, dst: string, sport: number, dport: number, payload: Uint8Array): Uint8Array => ipv6({ src, dst }, udp({ sport, dport, payload }));
  tftp(n, u, C1, '2001:db8:ff::69', PUB, 3000);
  amanda(n, u, '2001:db8:2::30', '2001:db8:ff::9', PUB);
}

export function build(): Scenario & { rules6: string } {
  const c = new Capture(3_000_000n);
  ipv4Sessions({ v6: false, host: (ip) => c.host(ip), wire: (ip) => c.wire(ip) });
  ipv6Sessions({
    v6: true,
    host: (ip) => c.host(ip, { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01', ethertype: 0x86dd }),
    wire: (ip) => c.wire(ip, { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01', ethertype: 0x86dd }),
  });
  return { rules, rules6, capture: c };
}
