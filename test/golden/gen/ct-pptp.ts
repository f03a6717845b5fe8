/**
 * ct-pptp: the pptp conntrack helper (`CT --helper pptp` on TCP 1723) and
 * the GRE tracker's keymap, IPv4 (the kernel has the helper for IPv4 only),
 * through the gateway: PPTP clients (PNS) inside, the server (PAC) outside;
 * the filter lets new connections through only to TCP 1723 and otherwise
 * only ESTABLISHED and RELATED packets, so every GRE packet's verdict
 * depends on what the control connection announced:
 *
 * - session A: an outgoing call (Outgoing-Call-Request and -Reply) expects
 *   GRE both ways, keyed by the call ids; GRE from the client is RELATED,
 *   the server's answer its reply; a second call while the first holds the
 *   session's keymap expects nothing (one call per session); Call-Clear-
 *   Request and Call-Disconnect-Notify drop the keymap, and the first call's
 *   GRE, still in the table, is no longer found (NEW, dropped); a third call
 *   then works again, the server's GRE first;
 * - session B: a Start-Control-Connection-Reply refusing the session: the
 *   call that follows is ignored;
 * - session C: malformed and out-of-place messages (a short
 *   Outgoing-Call-Reply, a wrong magic cookie, a management packet, a reply
 *   naming another call, an unknown message type, a call refused) expect
 *   nothing and are all let through; a last call's expectations are left
 *   pending (`kernel.expect`);
 * - session D: an incoming call (Incoming-Call-Request, -Reply, -Connected):
 *   the server's GRE first; its Call-Disconnect-Notify removes the GRE entry
 *   (the GRE after it is NEW);
 * - session E: the call's first GRE packet (RELATED) is dropped: its entry
 *   is freed and takes the session's keymap with it, so that the server's
 *   GRE after it, let through as NEW, is listed with source key 0;
 * - session F: a second call while the first's expectations are pending
 *   evicts them (max_expected 2) and is then withdrawn (the keymap is the
 *   first call's): nothing is expected, the first call's GRE is NEW;
 * - session G: a call disconnected before any GRE (its expectations
 *   withdrawn), then Stop-Control-Connection-Request and -Reply, a new
 *   session on the same connection and a call that works;
 * - ICMP errors quoting a call's GRE (RELATED: the keymap gives the quoted
 *   packet's source key) and quoting GRE of no call (INVALID);
 * - GRE without a session, and GRE version 1 carrying something else than
 *   PPP (INVALID).
 */
import { icmp, ipv4, raw, tcp } from '../../../src/packet/build.js';
import { Capture, type Scenario } from './capture.js';

const RAW = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p tcp -m tcp --dport 1723 -j CT --helper pptp
COMMIT
`;
const FILTER = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m helper --helper pptp
-A FORWARD -p gre -m conntrack --ctstate RELATED
-A FORWARD -p gre -m conntrack --ctstate ESTABLISHED
-A FORWARD -p gre -m conntrack --ctstatus EXPECTED
-A FORWARD -p gre -m conntrack --ctstate INVALID
-A FORWARD -p gre -m conntrack --ctstate RELATED -m conntrack --ctdir REPLY
-A FORWARD -p icmp -m conntrack --ctstate RELATED
-A FORWARD -p icmp -m conntrack --ctstate INVALID
-A FORWARD -s 192.0.2.15/32 -p gre -m conntrack --ctstate RELATED -j DROP
-A FORWARD -d 192.0.2.15/32 -p gre -j ACCEPT
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -p tcp -m tcp --dport 1723 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -p gre -m conntrack --ctstate NEW
COMMIT
`;
export const rules = `# cofw golden: ct-pptp (IPv4)\n${RAW}${FILTER}`;

export const SERVER = '203.0.113.40';
const MAGIC = 0x1a2b3c4d;

/** Message types (RFC 2637). */
const SCCRQ = 1;
const SCCRP = 2;
const STOP_RQ = 3;
const STOP_RP = 4;
const ECHO_RQ = 5;
const ECHO_RP = 6;
const OCRQ = 7;
const OCRP = 8;
const ICRQ = 9;
const ICRP = 10;
const ICCN = 11;
const CCRQ = 12;
const CDN = 13;
const SLI = 15;

/** Body sizes of the messages (the kernel's struct sizes). */
const BODY: Record<number, number> = { 1: 144, 2: 144, 3: 4, 4: 4, 5: 4, 6: 8, 7: 156, 8: 20, 9: 208, 10: 12, 11: 16, 12: 4, 13: 136, 14: 28, 15: 12 };

interface MsgOpts {
  magic?: number;
  packetType?: number;
  /** Body length (default the message's size). */
  bodyLen?: number;
}

/** A PPTP control message: the 8-byte PPTP header, the control header, and the body with `fields` written at their offsets. */
export function msg(type: number, fields: Array<[offset: number, bytes: number, value: number]>, o: MsgOpts = {}): Uint8Array {
  const bodyLen = o.bodyLen ?? BODY[type] ?? 4;
  const b = new Uint8Array(12 + bodyLen);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, b.length);
  dv.setUint16(2, o.packetType ?? 1);
  dv.setUint32(4, o.magic ?? MAGIC);
  dv.setUint16(8, type);
  for (const [off, n, v] of fields) {
    if (12 + off + n > b.length) continue;
    if (n === 1) b[12 + off] = v;
    else if (n === 2) dv.setUint16(12 + off, v);
    else dv.setUint32(12 + off, v);
  }
  return b;
}

export const sccrq = (): Uint8Array =>
  msg(SCCRQ, [
    [0, 2, 0x0100],
    [4, 4, 1],
    [8, 4, 1],
    [14, 2, 0x0600],
  ]);
export const sccrp = (result: number): Uint8Array =>
  msg(SCCRP, [
    [0, 2, 0x0100],
    [2, 1, result],
    [4, 4, 1],
    [8, 4, 1],
  ]);
export const ocrq = (callId: number): Uint8Array =>
  msg(OCRQ, [
    [0, 2, callId],
    [2, 2, 1],
    [4, 4, 300],
    [8, 4, 100_000_000],
    [12, 4, 3],
    [16, 4, 3],
    [20, 2, 64],
  ]);
export const ocrp = (callId: number, peer: number, result: number, o: MsgOpts = {}): Uint8Array =>
  msg(
    OCRP,
    [
      [0, 2, callId],
      [2, 2, peer],
      [4, 1, result],
      [8, 4, 100_000_000],
      [12, 2, 64],
    ],
    o,
  );
export const icrq = (callId: number): Uint8Array =>
  msg(ICRQ, [
    [0, 2, callId],
    [2, 2, 7],
    [4, 4, 1],
  ]);
export const icrp = (callId: number, peer: number, result: number): Uint8Array =>
  msg(ICRP, [
    [0, 2, callId],
    [2, 2, peer],
    [4, 1, result],
    [6, 2, 64],
  ]);
export const iccn = (peer: number): Uint8Array =>
  msg(ICCN, [
    [0, 2, peer],
    [4, 4, 100_000_000],
    [8, 2, 64],
    [12, 4, 3],
  ]);
export const ccrq = (callId: number): Uint8Array => msg(CCRQ, [[0, 2, callId]]);
export const cdn = (callId: number): Uint8Array =>
  msg(CDN, [
    [0, 2, callId],
    [2, 1, 3],
  ]);
export const sli = (peer: number): Uint8Array =>
  msg(SLI, [
    [0, 2, peer],
    [4, 4, 0xffffffff],
    [8, 4, 0xffffffff],
  ]);
export const echoRq = (id: number): Uint8Array => msg(ECHO_RQ, [[0, 4, id]]);
export const echoRp = (id: number): Uint8Array =>
  msg(ECHO_RP, [
    [0, 4, id],
    [4, 1, 1],
  ]);

/** A GRE packet as PPTP sends it (enhanced GRE, version 1, key present, call id `key`, a sequence number, PPP inside). */
export function gre(key: number, seq: number, opts: { proto?: number; ack?: number } = {}): Uint8Array {
  const ppp = new Uint8Array([0xff, 0x03, 0x00, 0x21, 0x45, 0x00, 0x00, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  const hasAck = opts.ack !== undefined;
  const b = new Uint8Array(12 + (hasAck ? 4 : 0) + ppp.length);
  const dv = new DataView(b.buffer);
  b[0] = 0x30;
  b[1] = 0x01 | (hasAck ? 0x80 : 0);
  dv.setUint16(2, opts.proto ?? 0x880b);
  dv.setUint16(4, ppp.length);
  dv.setUint16(6, key);
  dv.setUint32(8, seq);
  if (hasAck) dv.setUint32(12, opts.ack!);
  b.set(ppp, b.length - ppp.length);
  return b;
}

/** A PPTP control connection from an inside client to the server, with the sequence numbers each side has sent. */
export class Control {
  private cSeq: number;
  private sSeq: number;
  constructor(
    private readonly c: Capture,
    readonly client: string,
    private readonly port: number,
    iss: number,
    /** The address the server sends to (the client's, or the one NAT gave it). */
    private readonly outside = client,
  ) {
    this.cSeq = iss;
    this.sSeq = iss + 500_000;
  }

  private pkt(fromClient: boolean, flags: string, data?: Uint8Array): void {
    const seq = fromClient ? this.cSeq : this.sSeq;
    const ack = flags === 'S' ? 0 : fromClient ? this.sSeq : this.cSeq;
    const l4 = tcp({ sport: fromClient ? this.port : 1723, dport: fromClient ? 1723 : this.port, flags, seq: seq >>> 0, ack: ack >>> 0, payload: data });
    const ip = fromClient ? ipv4({ src: this.client, dst: SERVER }, l4) : ipv4({ src: SERVER, dst: this.outside }, l4);
    if (fromClient) this.c.host(ip);
    else this.c.wire(ip);
    const n = (data?.length ?? 0) + (flags.includes('S') || flags.includes('F') ? 1 : 0);
    if (fromClient) this.cSeq += n;
    else this.sSeq += n;
  }

  open(): this {
    this.pkt(true, 'S');
    this.pkt(false, 'SA');
    this.pkt(true, 'A');
    return this;
  }
  /** The client (PNS) sends a message. */
  pns(m: Uint8Array): this {
    this.pkt(true, 'PA', m);
    return this;
  }
  /** The server (PAC) sends a message. */
  pac(m: Uint8Array): this {
    this.pkt(false, 'PA', m);
    return this;
  }
  /** A session: Start-Control-Connection-Request and its reply (result 1: accepted). */
  session(result = 1): this {
    return this.open().pns(sccrq()).pac(sccrp(result));
  }
  /** GRE from the client to the server with the server's call id. */
  greOut(key: number, seq: number, opts: { proto?: number; ack?: number } = {}): this {
    this.c.host(ipv4({ src: this.client, dst: SERVER }, raw(47, gre(key, seq, opts))));
    return this;
  }
  /** GRE from the server to the client with the client's call id. */
  greIn(key: number, seq: number, opts: { proto?: number; ack?: number } = {}): this {
    this.c.wire(ipv4({ src: SERVER, dst: this.outside }, raw(47, gre(key, seq, opts))));
    return this;
  }
}

export function build(): Scenario {
  const c = new Capture(3_000_000n);

  // Session A: an outgoing call, GRE both ways.
  const a = new Control(c, '192.0.2.10', 40001, 1_000_000).session();
  a.pns(ocrq(0x1111))
    .pac(ocrp(0x2222, 0x1111, 1))
    .pns(sli(0x2222));
  a.greOut(0x2222, 1).greIn(0x1111, 1, { ack: 1 }).greOut(0x2222, 2, { ack: 1 }).greIn(0x1111, 2, { ack: 2 });
  a.pns(echoRq(7)).pac(echoRp(7));
  // A second call while the first holds the keymap: nothing is expected for it.
  a.pns(ocrq(0x1113)).pac(ocrp(0x2224, 0x1113, 1));
  a.greOut(0x2224, 1).greIn(0x1113, 1);
  a.greOut(0x2222, 3).greIn(0x1111, 3);
  // The call is cleared: the keymap goes, the first call's GRE no longer finds its entry.
  a.pns(ccrq(0x1113)).pac(cdn(0x2224));
  a.greOut(0x2222, 4).greIn(0x1111, 4);
  // A third call: the server's GRE first.
  a.pns(ocrq(0x1112)).pac(ocrp(0x2223, 0x1112, 1));
  a.greIn(0x1112, 1).greOut(0x2223, 1, { ack: 1 }).greIn(0x1112, 2, { ack: 1 });

  // Session B: the server refuses the session; the call after it is ignored.
  const b = new Control(c, '192.0.2.11', 40002, 2_000_000).session(2);
  b.pns(ocrq(0x1211)).pac(ocrp(0x2211, 0x1211, 1));
  b.greOut(0x2211, 1);

  // Session C: malformed and out-of-place messages.
  const m = new Control(c, '192.0.2.12', 40003, 3_000_000).open();
  // A call before the session: ignored.
  m.pns(ocrq(0x1311)).pac(ocrp(0x2311, 0x1311, 1));
  m.greOut(0x2311, 1);
  m.pns(sccrq()).pac(sccrp(1));
  m.pns(ocrq(0x1312));
  // Too short by one byte, a wrong magic cookie, a management packet, another call's reply.
  m.pac(ocrp(0x2312, 0x1312, 1, { bodyLen: 19 }));
  m.pac(ocrp(0x2312, 0x1312, 1, { magic: 0x1a2b3c4e }));
  m.pac(ocrp(0x2312, 0x1312, 1, { packetType: 2 }));
  m.pac(ocrp(0x2312, 0x1399, 1));
  // An unknown message type both ways.
  m.pns(msg(16, [], { bodyLen: 8 })).pac(msg(0, [], { bodyLen: 8 }));
  m.greOut(0x2312, 1);
  // A refused call (busy).
  m.pns(ocrq(0x1313)).pac(ocrp(0x2313, 0x1313, 4));
  m.greOut(0x2313, 1);
  // A call whose GRE never comes: its two expectations stay pending.
  m.pns(ocrq(0x1314)).pac(ocrp(0x2314, 0x1314, 1));

  // Session D: an incoming call, the server's GRE first.
  const d = new Control(c, '192.0.2.13', 40004, 4_000_000).session();
  d.pac(icrq(0x2411))
    .pns(icrp(0x1411, 0x2411, 1))
    .pac(iccn(0x1411));
  d.greIn(0x1411, 1).greOut(0x2411, 1, { ack: 1 }).greIn(0x1411, 2, { ack: 1 });

  // An ICMP error from the gateway outside about the client's GRE: RELATED to the call; about GRE of no call: INVALID.
  const quoted = (key: number): Uint8Array => ipv4({ src: d.client, dst: SERVER, ttl: 1 }, raw(47, gre(key, 9)));
  c.wire(ipv4({ src: '198.51.100.254', dst: d.client }, icmp({ type: 11, code: 0, payload: quoted(0x2411) })));
  c.wire(ipv4({ src: '198.51.100.254', dst: d.client }, icmp({ type: 11, code: 0, payload: quoted(0x2499) })));
  d.pns(ccrq(0x1411)).pac(cdn(0x2411));
  d.greOut(0x2411, 2).greIn(0x1411, 3);

  // Session E: the first GRE packet of the call is dropped; the server's GRE then has no source key.
  const e = new Control(c, '192.0.2.15', 40006, 6_000_000).session();
  e.pns(ocrq(0x1611)).pac(ocrp(0x2611, 0x1611, 1));
  e.greOut(0x2611, 1).greIn(0x1611, 1);

  // Session F: two calls before any GRE: the second evicts the first's expectations, then is withdrawn.
  const f = new Control(c, '192.0.2.16', 40007, 7_000_000).session();
  f.pns(ocrq(0x1711)).pac(ocrp(0x2711, 0x1711, 1));
  f.pns(ocrq(0x1712)).pac(ocrp(0x2712, 0x1712, 1));
  f.greOut(0x2711, 1).greOut(0x2712, 1);

  // Session G: a call disconnected before its GRE, the session stopped and started again, a call.
  const g = new Control(c, '192.0.2.17', 40008, 8_000_000).session();
  g.pns(ocrq(0x1811))
    .pac(ocrp(0x2811, 0x1811, 1))
    .pac(cdn(0x2811));
  g.greOut(0x2811, 1);
  g.pns(msg(STOP_RQ, [[0, 1, 1]])).pac(msg(STOP_RP, [[0, 1, 1]]));
  g.pns(sccrq())
    .pac(sccrp(1))
    .pns(ocrq(0x1812))
    .pac(ocrp(0x2812, 0x1812, 1));
  g.greOut(0x2812, 1).greIn(0x1812, 1);

  // GRE with no session behind it, and version 1 GRE carrying something else than PPP.
  const x = new Control(c, '192.0.2.14', 40005, 5_000_000);
  x.greOut(0x2511, 1).greIn(0x1511, 1);
  x.greOut(0x2512, 1, { proto: 0x0800 });
  return { rules, capture: c };
}
