/**
 * sctp: SCTP associations through the gateway, both families, and what
 * conntrack and `-m sctp` make of them: set-ups (INIT, INIT_ACK,
 * COOKIE_ECHO bundled with DATA, COOKIE_ACK), DATA and SACK with flags,
 * heartbeats, a graceful shutdown, an abort, a secondary path opened by a
 * HEARTBEAT, packets with a wrong verification tag, out-of-the-blue chunks,
 * an INIT with a tag, an INIT bundled with DATA, a wrong CRC32c, a chunk of
 * length 0 (the sctp match drops the packet), an INIT retransmitted after 2
 * seconds (the CLOSED entry is not refreshed), REJECT of an INIT (its ICMP
 * error is RELATED), an ICMP error from the path about an association, and
 * a port forward by DNAT (the port rewritten, the CRC32c computed again).
 */
import { icmp, icmp6, ipv4, ipv6, sctp, sctpInit, type SctpChunk } from '../../../src/packet/build.js';
import { Capture, payload, type Scenario } from './capture.js';

const CHAINS = `-A sctp-chunks -p sctp -m sctp --chunk-types any INIT
-A sctp-chunks -p sctp -m sctp --chunk-types any INIT_ACK
-A sctp-chunks -p sctp -m sctp --chunk-types only DATA
-A sctp-chunks -p sctp -m sctp --chunk-types all DATA,SACK
-A sctp-chunks -p sctp -m sctp --chunk-types any DATA:B
-A sctp-chunks -p sctp -m sctp --chunk-types any DATA:BE
-A sctp-chunks -p sctp -m sctp --chunk-types any DATA:be
-A sctp-chunks -p sctp -m sctp ! --chunk-types any DATA,SACK
-A sctp-chunks -p sctp -m sctp --chunk-types any ABORT:T
-A sctp-chunks -p sctp -m sctp --chunk-types any ABORT:t
-A sctp-chunks -p sctp -m sctp --chunk-types any SHUTDOWN,SHUTDOWN_ACK,SHUTDOWN_COMPLETE
-A sctp-chunks -p sctp -m sctp --chunk-types any HEARTBEAT,HEARTBEAT_ACK
-A sctp-chunks -p sctp -m sctp --chunk-types only COOKIE_ECHO,DATA
-A sctp-chunks -p sctp -m sctp --sport 5000:5009
-A sctp-chunks -p sctp -m sctp ! --dport 36412
-A sctp-chunks -p sctp -m conntrack --ctstate INVALID
-A sctp-chunks -p sctp -m conntrack --ctstate NEW
-A sctp-chunks -p sctp -m conntrack --ctstate ESTABLISHED
-A sctp-chunks -p sctp -m conntrack --ctdir REPLY
-A sctp-chunks -p sctp -m conntrack --ctstatus ASSURED
-A sctp-chunks -p sctp -m state --state ESTABLISHED -m sctp --chunk-types any COOKIE_ACK
`;

const FILTER = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:sctp-chunks - [0:0]
-A INPUT -p sctp -m sctp --dport 7 --chunk-types any SACK
-A INPUT -p sctp -m conntrack --ctstate INVALID -j DROP
-A INPUT -p sctp -m sctp --dport 9 -j REJECT
-A INPUT -p sctp
-A FORWARD -j sctp-chunks
-A FORWARD -p sctp -m conntrack --ctstate INVALID -j DROP
-A FORWARD -p sctp -m sctp --dport 9999 -j REJECT
-A FORWARD -p sctp -m conntrack --ctstate NEW -m sctp --chunk-types only INIT -j ACCEPT
-A FORWARD -p sctp -m conntrack --ctstate NEW -m sctp --chunk-types any HEARTBEAT -j ACCEPT
-A FORWARD -p sctp -m conntrack --ctstate NEW -j DROP
-A FORWARD -p sctp -m conntrack --ctstate ESTABLISHED -j ACCEPT
-A FORWARD -m conntrack --ctstate RELATED -j ACCEPT
-A FORWARD -p sctp
-A OUTPUT -m conntrack --ctstate RELATED
${CHAINS}COMMIT
`;

export const rules = `# cofw golden: sctp (IPv4)
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 198.51.100.1/32 -p sctp -m sctp --dport 13868 -j DNAT --to-destination 192.0.2.20:3868
COMMIT
${FILTER}`;

export const rules6 = `# cofw golden: sctp (IPv6)
${FILTER}`;

const DATA = 0;
const INIT = 1;
const INIT_ACK = 2;
const SACK = 3;
const HEARTBEAT = 4;
const HEARTBEAT_ACK = 5;
const ABORT = 6;
const SHUTDOWN = 7;
const SHUTDOWN_ACK = 8;
const COOKIE_ECHO = 10;
const COOKIE_ACK = 11;
const SHUTDOWN_COMPLETE = 14;

const data = (tsn: number, flags = 3, n = 20): SctpChunk => {
  const v = new Uint8Array(12 + n);
  new DataView(v.buffer).setUint32(0, tsn);
  v.set(payload(n), 12);
  return { type: DATA, flags, value: v };
};
const sack = (tsn: number): SctpChunk => {
  const v = new Uint8Array(12);
  new DataView(v.buffer).setUint32(0, tsn);
  new DataView(v.buffer).setUint32(4, 65536);
  return { type: SACK, value: v };
};
const hb = (type: number): SctpChunk => ({ type, value: new Uint8Array([0, 1, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8]) });
const cookie = (): SctpChunk => ({ type: COOKIE_ECHO, value: payload(32, 0x63) });
const plain = (type: number, flags = 0, value = new Uint8Array(0)): SctpChunk => ({ type, flags, value });

interface Side {
  addr: string;
  port: number;
}

/** Builds packets of one family and sends each on the side its source is on. */
class Sctp {
  constructor(
    readonly c: Capture,
    readonly v6: boolean,
  ) {}

  packet(from: Side, to: Side, vtag: number, chunks: SctpChunk[], badChecksum = false): Uint8Array {
    const l4 = sctp({ sport: from.port, dport: to.port, vtag, chunks, badChecksum });
    return this.v6 ? ipv6({ src: from.addr, dst: to.addr }, l4) : ipv4({ src: from.addr, dst: to.addr }, l4);
  }

  send(from: Side, to: Side, vtag: number, chunks: SctpChunk[], badChecksum = false): Uint8Array {
    const p = this.packet(from, to, vtag, chunks, badChecksum);
    this.ip(from.addr, p);
    return p;
  }

  ip(src: string, p: Uint8Array): void {
    const inside = src.startsWith('192.0.2.') || src.startsWith('2001:db8:2::');
    const l2 = this.v6
      ? inside
        ? { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01', ethertype: 0x86dd }
        : { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01', ethertype: 0x86dd }
      : undefined;
    if (inside) this.c.host(p, l2);
    else this.c.wire(p, l2);
  }

  /** INIT, INIT_ACK, COOKIE_ECHO (with DATA when asked), COOKIE_ACK: client tag `ct`, server tag `st`. */
  setup(cl: Side, sv: Side, ct: number, st: number, bundle = false): void {
    this.send(cl, sv, 0, [{ type: INIT, value: sctpInit(ct, 100) }]);
    this.send(sv, cl, ct, [{ type: INIT_ACK, value: sctpInit(st, 500) }]);
    this.send(cl, sv, st, bundle ? [cookie(), data(100)] : [cookie()]);
    this.send(sv, cl, ct, [plain(COOKIE_ACK)]);
  }
}

function flows(s: Sctp, cl: (n: number) => string, sv: (n: number) => string, v6: boolean): void {
  const c = s.c;
  // A: the whole life of an association.
  const a = { addr: cl(10), port: 5000 };
  const A = { addr: sv(5), port: 36412 };
  s.setup(a, A, 0x1111, 0x2222);
  s.send(a, A, 0x2222, [data(100, 2)]); // B
  s.send(a, A, 0x2222, [data(101, 1)]); // E
  s.send(A, a, 0x1111, [sack(101)]);
  s.send(a, A, 0x9999, [data(102)]); // a wrong tag: INVALID
  s.send(A, a, 0x2222, [sack(101)]); // the client's tag the wrong way: INVALID
  s.send(a, A, 0x2222, [hb(HEARTBEAT)]);
  s.send(A, a, 0x1111, [hb(HEARTBEAT_ACK)]);
  s.send(a, A, 0x2222, [data(102, 3), sack(500)]);
  s.send(a, A, 0x2222, [plain(SHUTDOWN, 0, new Uint8Array(4))]);
  s.send(A, a, 0x1111, [plain(SHUTDOWN_ACK)]);
  s.send(a, A, 0x2222, [plain(SHUTDOWN_COMPLETE)]);
  // B: set up, then aborted by the server (a wrong tag first, INVALID).
  const b = { addr: cl(11), port: 5001 };
  s.setup(b, A, 0x3333, 0x4444);
  s.send(b, A, 0x4444, [data(100)]);
  s.send(A, b, 0x7777, [plain(ABORT)]);
  s.send(A, b, 0x3333, [plain(ABORT)]);
  s.send(b, A, 0x4444, [data(101)]); // after the abort: the entry is CLOSED, the tag still known
  // C: set up with DATA bundled with the COOKIE_ECHO, left established.
  const cc = { addr: cl(12), port: 5002 };
  const C = { addr: sv(6), port: 36412 };
  s.setup(cc, C, 0x5555, 0x6666, true);
  const big = s.send(cc, C, 0x6666, [data(101, 3, 1200)]);
  // An ICMP error from the path about it: RELATED.
  if (v6) {
    s.ip('2001:db8:99::1', ipv6({ src: '2001:db8:99::1', dst: cc.addr }, icmp6({ type: 2, rest: 1280, payload: big.subarray(0, 1184) })));
  } else {
    const quoted = big.subarray(0, 20 + 12 + 16);
    s.ip('203.0.113.1', ipv4({ src: '203.0.113.1', dst: cc.addr }, icmp({ type: 3, code: 4, rest: 1000, payload: quoted })));
  }
  s.send(C, cc, 0x5555, [sack(101)]);
  // D: out of the blue DATA, COOKIE_ACK and ABORT: INVALID.
  const d = { addr: cl(13), port: 5003 };
  s.send(d, A, 0x1234, [data(1)]);
  s.send(d, A, 0x1234, [plain(COOKIE_ACK)]);
  s.send(d, A, 0x1234, [plain(ABORT, 1)]);
  // E: an INIT with a tag, an INIT bundled with DATA, an INIT with a wrong CRC32c.
  const e = { addr: cl(14), port: 5004 };
  s.send(e, A, 0x42, [{ type: INIT, value: sctpInit(0x77, 1) }]);
  s.send(e, A, 0, [{ type: INIT, value: sctpInit(0x77, 1) }, data(1)]);
  s.send(e, A, 0, [{ type: INIT, value: sctpInit(0x78, 1) }], true);
  // A chunk of length 0 (the sctp match drops it).
  s.send(a, A, 0x2222, [data(103), { type: SACK, length: 0, value: new Uint8Array(12) }]);
  // F: a secondary path opened by a HEARTBEAT, acknowledged.
  const f = { addr: cl(16), port: 5006 };
  const F = { addr: sv(7), port: 36412 };
  s.send(f, F, 0xabcd, [hb(HEARTBEAT)]);
  s.send(F, f, 0xdcba, [hb(HEARTBEAT_ACK)]);
  s.send(f, F, 0xabcd, [data(7)]);
  // G: an out-of-the-blue SHUTDOWN_ACK opens an entry (NEW, dropped by the rules).
  const g = { addr: cl(17), port: 5007 };
  s.send(g, A, 0x99, [plain(SHUTDOWN_ACK)]);
  // H: an INIT to a rejected port (the ICMP error is RELATED); one to the firewall's port 9 too.
  const h = { addr: cl(18), port: 5008 };
  s.send(h, { addr: sv(5), port: 9999 }, 0, [{ type: INIT, value: sctpInit(0x10, 1) }]);
  const fw = v6 ? '2001:db8:100::1' : '198.51.100.1';
  s.send({ addr: sv(20), port: 7000 }, { addr: fw, port: 9 }, 0, [{ type: INIT, value: sctpInit(0x11, 1) }]);
  // A zero-length chunk to the firewall: the INPUT rule's sctp match drops it.
  s.send({ addr: sv(20), port: 7001 }, { addr: fw, port: 7 }, 5, [data(1), { type: DATA, length: 0, value: new Uint8Array(4) }]);
  s.send({ addr: sv(20), port: 7002 }, { addr: fw, port: 7 }, 0, [{ type: INIT, value: sctpInit(0x12, 1) }]);
  // I: an INIT, retransmitted 2 seconds later (the CLOSED entry keeps its first timeout).
  const i = { addr: cl(15), port: 5005 };
  s.send(i, A, 0, [{ type: INIT, value: sctpInit(0x5150, 1) }]);
  c.pause(2000);
  s.send(i, A, 0, [{ type: INIT, value: sctpInit(0x5150, 1) }]);
}

export function build(): Scenario & { rules6: string } {
  const c = new Capture(3_000_000n);
  const s4 = new Sctp(c, false);
  flows(
    s4,
    (n) => `192.0.2.${n}`,
    (n) => `203.0.113.${n}`,
    false,
  );
  // A port forward: DNAT rewrites the destination port, and the CRC32c with it.
  const out = { addr: '203.0.113.9', port: 6000 };
  s4.send(out, { addr: '198.51.100.1', port: 13868 }, 0, [{ type: INIT, value: sctpInit(0x9090, 1) }]);
  s4.send({ addr: '192.0.2.20', port: 3868 }, out, 0x9090, [{ type: INIT_ACK, value: sctpInit(0x8080, 1) }]);
  s4.send(out, { addr: '198.51.100.1', port: 13868 }, 0x8080, [cookie()]);
  s4.send({ addr: '192.0.2.20', port: 3868 }, out, 0x9090, [plain(COOKIE_ACK)]);
  s4.send(out, { addr: '198.51.100.1', port: 13868 }, 0x8080, [data(1, 3, 40)]);
  const s6 = new Sctp(c, true);
  flows(
    s6,
    (n) => `2001:db8:2::${n}`,
    (n) => `2001:db8:99::${n}`,
    true,
  );
  return { rules, rules6, capture: c };
}
