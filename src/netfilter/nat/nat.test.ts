import { describe, expect, it } from 'vitest';
import { ipv4, tcp, udp } from '../../packet/build.js';
import { inetChecksum, l4Checksum } from '../../packet/checksum.js';
import { Family, InetAddr, parseInetAddr } from '../../packet/inet-addr.js';
import { Conntrack } from '../conntrack/index.js';
import { Hook, NF_ACCEPT, Skb } from '../types.js';
import { IPS_DST_NAT_DONE, IPS_SRC_NAT_DONE, NatCore } from './core.js';
import { jhash2, leWord, reciprocalScale } from './jhash.js';
import { emptyRange, Manip, NF_NAT_RANGE_MAP_IPS, NF_NAT_RANGE_PROTO_SPECIFIED, NatParseError, parseNatTo, saveNatRange } from './range.js';

describe('jhash2', () => {
  it("equals the kernel's lookup3 on reference vectors", () => {
    // Computed with include/linux/jhash.h's jhash2 compiled for a little-endian machine.
    expect(jhash2([0x0a02000a, 0, 0, 0], 0x01020304)).toBe(1224288634);
    const k = [0x12345678, 0x9abcdef0, 0x0fedcba9, 0x87654321];
    expect(jhash2(k, 0)).toBe(970275205);
    expect(jhash2(k.slice(0, 3), 7)).toBe(523963270);
    expect(jhash2(k.slice(0, 1), 0xffffffff)).toBe(796866461);
  });

  it('reads address words as a little-endian CPU does', () => {
    expect(leWord(0x0a00020a)).toBe(0x0a02000a);
    expect(reciprocalScale(0x80000000, 10)).toBe(5);
  });
});

/** Rows read from Debian's iptables 1.8.9 (nf_tables): input option text -> saved text, or the error. */
const RANGE_ROWS: Array<[string, boolean, string]> = [
  ['10.0.0.2:8080', true, '10.0.0.2:8080'],
  ['1.2.3.4-1.2.3.10:1000-2000', true, '1.2.3.4-1.2.3.10:1000-2000'],
  ['1.2.3.4-1.2.3.10', false, '1.2.3.4-1.2.3.10'],
  [':1000', true, ':1000'],
  ['1.2.3.4:http', true, '1.2.3.4:80'],
  ['1.2.3.4:0x50', true, '1.2.3.4:80'],
  ['1.2.3.4:0', true, '1.2.3.4:0'],
  ['1.2.3.4:80-80', true, '1.2.3.4:80'],
  ['1.2.3.4-1.2.3.4:80', true, '1.2.3.4:80'],
  ['1.2.3.4:80-90/100', true, '1.2.3.4:80-90/100'],
  ['1.2.3.10-1.2.3.4', false, '1.2.3.10-1.2.3.4'],
];

const RANGE_ERRORS: Array<[string, boolean, string]> = [
  ['1.2.3.4-1.2.3.10:1000-2000', false, 'Need TCP, UDP, SCTP or DCCP with port specification'],
  ['1.2.3.4:1000:2000', true, 'Bad IP address "1.2.3.4:1000:2000"'],
  ['1.2.3.4:2000-1000', true, "Port range `1000' funky"],
  ['1.2.3.4:80x', true, "Garbage after port value: `x'"],
  ['1.2.3.400', false, 'Bad IP address "1.2.3.400"'],
  ['1.2.3.4:65536', true, "Port `65536' not valid"],
  ['[1.2.3.4]:80', true, 'Invalid address format'],
  ['1.2.3.4:1000-2000/0', true, "Port `0' not valid"],
];

describe('NAT range text', () => {
  it('parses and saves as iptables 1.8.9 does', () => {
    for (const [text, portok, saved] of RANGE_ROWS) {
      const r = emptyRange(Family.V4);
      parseNatTo(text, portok, r, Family.V4);
      expect(saveNatRange(r, Family.V4, '--to-destination', false), text).toBe(`--to-destination ${saved}`);
    }
  });

  it("refuses with iptables' messages", () => {
    for (const [text, portok, message] of RANGE_ERRORS) {
      const r = emptyRange(Family.V4);
      expect(() => parseNatTo(text, portok, r, Family.V4), text).toThrow(NatParseError);
      expect(() => parseNatTo(text, portok, emptyRange(Family.V4), Family.V4), text).toThrow(message);
    }
  });

  it('brackets IPv6 addresses when a port follows', () => {
    const r = emptyRange(Family.V6);
    parseNatTo('[2001:db8::1]:80', true, r, Family.V6);
    expect(saveNatRange(r, Family.V6, '--to-destination', false)).toBe('--to-destination [2001:db8::1]:80');
    const s = emptyRange(Family.V6);
    parseNatTo('2001:db8::1-2001:db8::9', false, s, Family.V6);
    expect(saveNatRange(s, Family.V6, '--to-source', false)).toBe('--to-source 2001:db8::1-2001:db8::9');
  });
});

const CLIENT = '192.168.1.10';
const SERVER = '203.0.113.5';
const PUBLIC = '198.51.100.1';

function v4(text: string): InetAddr {
  return parseInetAddr(text)!;
}

/** A conntrack table and NAT core with a tiny driver for one hook at a time. */
class Rig {
  readonly ct = new Conntrack();
  readonly nat = new NatCore(this.ct, 1);
  now = 0;

  /** Runs a packet through conntrack, a NAT binding on `hook` (when given a range or null binding) and the rewrite. */
  pass(ip: Uint8Array, hook: Hook, bind?: { range: ReturnType<typeof emptyRange>; manip: Manip } | 'null'): Skb {
    const skb = new Skb().load(ip);
    this.ct.in(skb, hook === Hook.LocalOut ? Hook.LocalOut : Hook.PreRouting, this.now);
    const conn = skb.ct!;
    const manip = hook === Hook.PostRouting || hook === Hook.LocalIn ? Manip.Src : Manip.Dst;
    if (skb.ctinfo === 2 && !NatCore.initialized(conn, manip)) {
      if (bind && bind !== 'null') expect(this.nat.setup(conn, bind.range, bind.manip)).toBe(NF_ACCEPT);
      if (!NatCore.initialized(conn, manip)) this.nat.nullBinding(conn, hook);
    }
    expect(this.nat.packet(skb, conn, skb.ctinfo, hook)).toBe(true);
    return skb;
  }

  /** A forwarded packet: PREROUTING (destination side) then POSTROUTING (source side), then confirmation. */
  forward(ip: Uint8Array, pre?: ReturnType<typeof emptyRange>, post?: ReturnType<typeof emptyRange>): Skb {
    const skb = new Skb().load(ip);
    this.ct.in(skb, Hook.PreRouting, this.now);
    const conn = skb.ct!;
    if (skb.ctinfo === 2) {
      if (pre && !NatCore.initialized(conn, Manip.Dst)) this.nat.setup(conn, pre, Manip.Dst);
      if (!NatCore.initialized(conn, Manip.Dst)) this.nat.nullBinding(conn, Hook.PreRouting);
    }
    this.nat.packet(skb, conn, skb.ctinfo, Hook.PreRouting);
    if (skb.ctinfo === 2) {
      if (post && !NatCore.initialized(conn, Manip.Src)) this.nat.setup(conn, post, Manip.Src);
      if (!NatCore.initialized(conn, Manip.Src)) this.nat.nullBinding(conn, Hook.PostRouting);
    }
    this.nat.packet(skb, conn, skb.ctinfo, Hook.PostRouting);
    this.ct.confirm(skb, this.now);
    return skb;
  }
}

function single(addr: string, ports?: [number, number]): ReturnType<typeof emptyRange> {
  const r = emptyRange(Family.V4);
  r.flags = NF_NAT_RANGE_MAP_IPS;
  r.minAddr = r.maxAddr = v4(addr);
  if (ports) {
    r.flags |= NF_NAT_RANGE_PROTO_SPECIFIED;
    [r.minProto, r.maxProto] = ports;
  }
  return r;
}

function checksumsOk(ip: Uint8Array): boolean {
  const ihl = (ip[0]! & 15) * 4;
  return inetChecksum(ip, 0, ihl) === 0 && l4Checksum(ip, ihl, ip.length - ihl, ip[9]!) === 0;
}

describe('the NAT core', () => {
  it('masquerades a connection, keeps its port, and rewrites replies back', () => {
    const r = new Rig();
    const out = r.forward(ipv4({ src: CLIENT, dst: SERVER }, tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1 })), undefined, single(PUBLIC));
    expect(out.src.toString()).toBe(PUBLIC);
    expect((out.data[20]! << 8) | out.data[21]!).toBe(40000);
    expect(checksumsOk(out.data)).toBe(true);
    expect(r.ct.list(r.now)).toContain(`src=${CLIENT} dst=${SERVER} sport=40000 dport=80 [UNREPLIED] src=${SERVER} dst=${PUBLIC} sport=80 dport=40000`);
    const back = r.forward(ipv4({ src: SERVER, dst: PUBLIC }, tcp({ sport: 80, dport: 40000, flags: 'SA', seq: 9, ack: 2 })));
    expect(back.dst.toString()).toBe(CLIENT);
    expect(checksumsOk(back.data)).toBe(true);
    const conn = back.ct!;
    expect(conn.status & (IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE)).toBe(IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE);
  });

  it('moves the source port when another connection holds the tuple, within the port class', () => {
    const r = new Rig();
    r.forward(ipv4({ src: CLIENT, dst: SERVER }, udp({ sport: 5000, dport: 53 })), undefined, single(PUBLIC));
    const second = r.forward(ipv4({ src: '192.168.1.11', dst: SERVER }, udp({ sport: 5000, dport: 53 })), undefined, single(PUBLIC));
    const port = (second.data[20]! << 8) | second.data[21]!;
    expect(second.src.toString()).toBe(PUBLIC);
    expect(port).not.toBe(5000);
    expect(port).toBeGreaterThanOrEqual(1024);
    expect(checksumsOk(second.data)).toBe(true);
  });

  it('reuses the mapping of a source already translated (find_appropriate_src)', () => {
    const r = new Rig();
    const range = emptyRange(Family.V4);
    range.flags = NF_NAT_RANGE_MAP_IPS;
    range.minAddr = v4('198.51.100.10');
    range.maxAddr = v4('198.51.100.20');
    const a = r.forward(ipv4({ src: CLIENT, dst: SERVER }, udp({ sport: 5000, dport: 53 })), undefined, range);
    const b = r.forward(ipv4({ src: CLIENT, dst: '203.0.113.77' }, udp({ sport: 5000, dport: 53 })), undefined, range);
    expect(b.src.toString()).toBe(a.src.toString());
  });

  it('leaves a UDP checksum of zero alone and sends a zero result as 0xffff', () => {
    const r = new Rig();
    const pkt = ipv4({ src: CLIENT, dst: SERVER }, udp({ sport: 5000, dport: 53 }));
    pkt[26] = 0;
    pkt[27] = 0;
    const out = r.forward(pkt, undefined, single(PUBLIC));
    expect((out.data[26]! << 8) | out.data[27]!).toBe(0);
  });

  it('DNATs to an address and port, and the reply comes back from the original destination', () => {
    const r = new Rig();
    const fwd = r.forward(ipv4({ src: SERVER, dst: PUBLIC }, tcp({ sport: 50000, dport: 80, flags: 'S', seq: 1 })), single('192.168.1.20', [8080, 8080]));
    expect(fwd.dst.toString()).toBe('192.168.1.20');
    expect((fwd.data[22]! << 8) | fwd.data[23]!).toBe(8080);
    expect(checksumsOk(fwd.data)).toBe(true);
    const reply = r.forward(ipv4({ src: '192.168.1.20', dst: SERVER }, tcp({ sport: 8080, dport: 50000, flags: 'SA', seq: 5, ack: 2 })));
    expect(reply.src.toString()).toBe(PUBLIC);
    expect((reply.data[20]! << 8) | reply.data[21]!).toBe(80);
    expect(checksumsOk(reply.data)).toBe(true);
  });

  it('binds a connection to itself when no rule did (a null binding changes nothing)', () => {
    const r = new Rig();
    const pkt = ipv4({ src: CLIENT, dst: SERVER }, tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1 }));
    const before = Uint8Array.from(pkt);
    const out = r.forward(pkt);
    expect(out.data).toEqual(before);
    expect(r.ct.list(r.now)).toContain(`src=${SERVER} dst=${CLIENT} sport=80 dport=40000`);
  });
});
