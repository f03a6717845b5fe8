/**
 * Arbitrary packets for the property tests: IPv4 and IPv6 packets built
 * field by field (mostly plausible, sometimes not), Ethernet frames around
 * them, and a mutation that flips, cuts and extends their bytes. Plain
 * random bytes rarely get past a version check; these reach the code
 * behind it.
 */
import fc from 'fast-check';
import { setIPv4Checksum, setL4Checksum, l4Checksum6 } from '../../src/packet/checksum.js';

/** Addresses around the test machine's (198.51.100.0/24 on eth0, 192.0.2.0/24 on eth1, 2001:db8:1::/64), and odd ones. */
export const v4addr = fc.oneof(
  fc.constantFrom(0xc6336401, 0xc6336402, 0xc633644d, 0xc0000201, 0xc000020a, 0x7f000001, 0xffffffff, 0, 0xe0000001, 0xc63364ff, 0x0a000001),
  fc.integer({ min: 0, max: 0xffffffff }),
);

export const v6addr = fc.oneof(
  fc
    .constantFrom(
      '20010db8000100000000000000000001',
      '20010db8000100000000000000000002',
      '20010db8000200000000000000000001',
      '00000000000000000000000000000001',
      'ff020000000000000000000000000001',
      'ff0200000000000000000001ff000001',
      'fe800000000000000000000000000001',
      '00000000000000000000000000000000',
    )
    .map((h) => Uint8Array.from(Buffer.from(h, 'hex'))),
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
);

const proto = fc.oneof(fc.constantFrom(1, 6, 17, 58, 47, 50, 51, 132, 136, 33, 0, 43, 44, 59, 60), fc.integer({ min: 0, max: 255 }));

/** A transport header and payload for `p`: a TCP, UDP or ICMP header of the right size most of the time. */
function l4For(p: number): fc.Arbitrary<Uint8Array> {
  const payload = fc.uint8Array({ maxLength: 64 });
  const ports = fc.tuple(fc.oneof(fc.constantFrom(22, 53, 80, 443, 0, 65535), fc.integer({ min: 0, max: 65535 })), fc.integer({ min: 0, max: 65535 }));
  if (p === 6)
    return fc
      .tuple(ports, fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 15 }), fc.uint8Array({ maxLength: 40 }), payload)
      .map(([[s, d], flags, doff, opts, pl]) => {
        const b = new Uint8Array(20 + opts.length + pl.length);
        const dv = new DataView(b.buffer);
        dv.setUint16(0, s);
        dv.setUint16(2, d);
        dv.setUint32(4, 1000);
        b[12] = (doff || 5 + (opts.length >> 2)) << 4;
        b[13] = flags;
        dv.setUint16(14, 65535);
        b.set(opts, 20);
        b.set(pl, 20 + opts.length);
        return b;
      });
  if (p === 17 || p === 132 || p === 136)
    return fc.tuple(ports, payload).map(([[s, d], pl]) => {
      const b = new Uint8Array(8 + pl.length);
      const dv = new DataView(b.buffer);
      dv.setUint16(0, s);
      dv.setUint16(2, d);
      dv.setUint16(4, b.length);
      b.set(pl, 8);
      return b;
    });
  if (p === 1 || p === 58)
    return fc.tuple(fc.constantFrom(0, 3, 8, 11, 128, 129, 133, 135, 136, 1, 2, 4, 5, 12, 13), fc.integer({ min: 0, max: 255 }), payload).map(([t, c, pl]) => {
      const b = new Uint8Array(8 + pl.length);
      b[0] = t;
      b[1] = c;
      b.set(pl, 8);
      return b;
    });
  return payload;
}

export interface Ipv4Options {
  /** How often (of 10) the header checksum is right. */
  goodChecksum?: number;
}

/** An IPv4 packet: mostly well-formed (checksums right, lengths consistent), with odd fields now and then. */
export const ipv4Packet: fc.Arbitrary<Uint8Array> = fc
  .record({
    ihl: fc.oneof({ weight: 8, arbitrary: fc.constant(5) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 15 }) }),
    version: fc.oneof({ weight: 9, arbitrary: fc.constant(4) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) }),
    tos: fc.integer({ min: 0, max: 255 }),
    id: fc.integer({ min: 0, max: 65535 }),
    frag: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(0, 0x4000) }, { weight: 4, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
    ttl: fc.oneof(fc.constantFrom(64, 1, 0, 2, 255), fc.integer({ min: 0, max: 255 })),
    proto,
    src: v4addr,
    dst: v4addr,
    opts: fc.uint8Array({ maxLength: 40 }),
    lenDelta: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: -64, max: 64 }) }),
    goodCsum: fc.boolean(),
    goodL4: fc.boolean(),
  })
  .chain((h) => l4For(h.proto).map((l4) => ({ ...h, l4 })))
  .map((h) => {
    const hl = Math.max(20, h.ihl * 4);
    const b = new Uint8Array(hl + h.l4.length);
    const dv = new DataView(b.buffer);
    b[0] = (h.version << 4) | h.ihl;
    b[1] = h.tos;
    dv.setUint16(2, Math.max(0, Math.min(65535, b.length + h.lenDelta)));
    dv.setUint16(4, h.id);
    dv.setUint16(6, h.frag);
    b[8] = h.ttl;
    b[9] = h.proto;
    dv.setUint32(12, h.src);
    dv.setUint32(16, h.dst);
    b.set(h.opts.subarray(0, hl - 20), 20);
    b.set(h.l4, hl);
    if (h.goodL4 && h.lenDelta === 0 && h.ihl === 5 && h.version === 4) {
      try {
        setL4Checksum(b);
      } catch {
        // A transport this helper does not know.
      }
    }
    if (h.goodCsum && h.ihl >= 5) setIPv4Checksum(b);
    return b;
  });

/** An IPv6 extension header of type `t` (hop-by-hop, routing, fragment, destination options, AH), `next` after it. */
const extHeader = fc
  .record({
    t: fc.constantFrom(0, 43, 44, 60, 51),
    len: fc.integer({ min: 0, max: 3 }),
    fragOff: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 8191 })),
    more: fc.boolean(),
    body: fc.uint8Array({ minLength: 30, maxLength: 30 }),
    routingType: fc.constantFrom(0, 2, 3, 4, 255),
    segLeft: fc.integer({ min: 0, max: 3 }),
  })
  .map((e) => {
    if (e.t === 44) {
      const b = new Uint8Array(8);
      const v = (e.fragOff << 3) | (e.more ? 1 : 0);
      b[2] = v >> 8;
      b[3] = v & 255;
      b.set(e.body.subarray(0, 4), 4);
      return { t: e.t, b };
    }
    const size = e.t === 51 ? (e.len + 2) * 4 : (e.len + 1) * 8;
    const b = new Uint8Array(size);
    b.set(e.body.subarray(0, size - 2), 2);
    b[1] = e.len;
    if (e.t === 43) {
      b[2] = e.routingType;
      b[3] = e.segLeft;
    }
    return { t: e.t, b };
  });

/** An IPv6 packet with a chain of extension headers, mostly consistent lengths. */
export const ipv6Packet: fc.Arbitrary<Uint8Array> = fc
  .record({
    version: fc.oneof({ weight: 9, arbitrary: fc.constant(6) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) }),
    tc: fc.integer({ min: 0, max: 255 }),
    hlim: fc.oneof(fc.constantFrom(64, 255, 1, 0), fc.integer({ min: 0, max: 255 })),
    src: v6addr,
    dst: v6addr,
    exts: fc.array(extHeader, { maxLength: 4 }),
    proto,
    lenDelta: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: -64, max: 64 }) }),
    goodL4: fc.boolean(),
  })
  .chain((h) => l4For(h.proto).map((l4) => ({ ...h, l4 })))
  .map((h) => {
    const extLen = h.exts.reduce((s, e) => s + e.b.length, 0);
    const b = new Uint8Array(40 + extLen + h.l4.length);
    const dv = new DataView(b.buffer);
    b[0] = (h.version << 4) | (h.tc >> 4);
    b[1] = (h.tc & 15) << 4;
    dv.setUint16(4, Math.max(0, Math.min(65535, b.length - 40 + h.lenDelta)));
    b[6] = h.exts[0]?.t ?? h.proto;
    b[7] = h.hlim;
    b.set(h.src, 8);
    b.set(h.dst, 24);
    let o = 40;
    h.exts.forEach((e, i) => {
      b.set(e.b, o);
      b[o] = h.exts[i + 1]?.t ?? h.proto;
      o += e.b.length;
    });
    b.set(h.l4, o);
    if (h.goodL4 && h.lenDelta === 0 && (h.proto === 6 || h.proto === 17 || h.proto === 58)) {
      const at = h.proto === 6 ? 16 : h.proto === 17 ? 6 : 2;
      if (h.l4.length >= at + 2) {
        b[o + at] = 0;
        b[o + at + 1] = 0;
        const c = l4Checksum6(b, o, h.l4.length, h.proto);
        b[o + at] = c >> 8;
        b[o + at + 1] = c & 255;
      }
    }
    return b;
  });

const MACS = [
  '020000000001', // eth0
  '020000000101', // eth1
  'ffffffffffff',
  '01005e000001',
  '333300000001',
  '020000000002',
].map((h) => Uint8Array.from(Buffer.from(h, 'hex')));

/** An Ethernet frame: IPv4, IPv6, ARP or something else, sometimes VLAN-tagged. */
export const ethFrame: fc.Arbitrary<Uint8Array> = fc
  .record({
    dst: fc.oneof(fc.constantFrom(...MACS), fc.uint8Array({ minLength: 6, maxLength: 6 })),
    vlans: fc.array(fc.constantFrom(0x8100, 0x88a8), { maxLength: 2 }),
    body: fc.oneof(
      { weight: 5, arbitrary: ipv4Packet.map((p) => ({ type: 0x0800, p })) },
      { weight: 4, arbitrary: ipv6Packet.map((p) => ({ type: 0x86dd, p })) },
      { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 64 })).map(([type, p]) => ({ type, p })) },
    ),
    pad: fc.uint8Array({ maxLength: 8 }),
  })
  .map((f) => {
    const b = new Uint8Array(14 + 4 * f.vlans.length + f.body.p.length + f.pad.length);
    b.set(f.dst, 0);
    b.set([2, 0, 0, 0, 9, 1], 6);
    let o = 12;
    for (const v of f.vlans) {
      b[o] = v >> 8;
      b[o + 1] = v & 255;
      b[o + 3] = 7;
      o += 4;
    }
    b[o] = f.body.type >> 8;
    b[o + 1] = f.body.type & 255;
    b.set(f.body.p, o + 2);
    b.set(f.pad, o + 2 + f.body.p.length);
    return b;
  });

/** `b` mutated now and then: a few bytes changed, cut short or extended. */
export function mutated(arb: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      arb,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
      fc.oneof({ weight: 8, arbitrary: fc.constant(-1) }, { weight: 2, arbitrary: fc.nat() }),
      fc.uint8Array({ maxLength: 4 }),
    )
    .map(([b, flips, cut, extra]) => {
      const out = Uint8Array.from(b);
      for (const [i, v] of flips) if (out.length) out[i % out.length] = v;
      const cutTo = cut < 0 ? out.length : cut % (out.length + 1);
      const r = new Uint8Array(cutTo + (cut < 0 ? 0 : extra.length));
      r.set(out.subarray(0, cutTo));
      if (cut >= 0) r.set(extra, cutTo);
      return r;
    });
}
