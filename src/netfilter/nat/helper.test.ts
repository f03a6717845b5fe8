import { describe, expect, it } from 'vitest';
import { Family, InetAddr, parseInetAddr } from '../../packet/inet-addr.js';
import { inetChecksum, l4Checksum, l4Checksum6 } from '../../packet/checksum.js';
import { ipv4, ipv6, tcp, udp } from '../../packet/build.js';
import { Conn, IPS_SEQ_ADJUST, IP_CT_ESTABLISHED, IP_CT_ESTABLISHED_REPLY } from '../conntrack/conn.js';
import { Expectation, type HelperHost } from '../conntrack/helpers.js';
import { seqAdjust, seqadjExtAdd, seqadjSet, seqOffset } from '../conntrack/seqadj.js';
import { Skb } from '../types.js';
import { ascii, expFindPort, mangleTcpPacket, mangleUdpPacket } from './helper.js';
import { DEFAULT_MODULE_PARAMS } from '../conntrack/module-params.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

function conn(v6 = false): Conn {
  const a = v6 ? parseInetAddr('2001:db8:2::10')! : parseInetAddr('192.0.2.10')!;
  const b = v6 ? parseInetAddr('2001:db8:ff::21')! : parseInetAddr('203.0.113.21')!;
  const c = new Conn(6, a, b, 40000, 21, b, a, 21, 40000);
  seqadjExtAdd(c);
  return c;
}

function rd32(d: Uint8Array, o: number): number {
  return ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
}

function tcpSkb(v6: boolean, f: Parameters<typeof tcp>[0]): Skb {
  const l4 = tcp(f);
  return v6
    ? new Skb().loadV6(ipv6({ src: '2001:db8:2::10', dst: '2001:db8:ff::21' }, l4))
    : new Skb().load(ipv4({ src: '192.0.2.10', dst: '203.0.113.21' }, l4));
}

function tcpSumOk(skb: Skb): boolean {
  const l4len = skb.len - skb.thoff;
  return (skb.family === Family.V6 ? l4Checksum6(skb.data, skb.thoff, l4len, 6) : l4Checksum(skb.data, skb.thoff, l4len, 6)) === 0;
}

describe('seqadj (nf_conntrack_seqadj)', () => {
  it('records a change once per window: a retransmission keeps the offsets, a later change moves them', () => {
    const c = conn();
    seqadjSet(c, IP_CT_ESTABLISHED, 1000, 2);
    expect(c.status & IPS_SEQ_ADJUST).toBeTruthy();
    expect(seqOffset(c.seqadj!, 0, 1000)).toBe(0);
    expect(seqOffset(c.seqadj!, 0, 1001)).toBe(2);
    seqadjSet(c, IP_CT_ESTABLISHED, 1000, 2);
    expect(c.seqadj![0]).toMatchObject({ correctionPos: 1000, offsetBefore: 0, offsetAfter: 2 });
    seqadjSet(c, IP_CT_ESTABLISHED, 1100, -3);
    expect(c.seqadj![0]).toMatchObject({ correctionPos: 1100, offsetBefore: 2, offsetAfter: -1 });
    expect(seqOffset(c.seqadj!, 1, 5)).toBe(0);
    // Sequence numbers wrap.
    const w = conn();
    seqadjSet(w, IP_CT_ESTABLISHED_REPLY, 0xfffffff0, 5);
    expect(seqOffset(w.seqadj!, 1, 0x10)).toBe(5);
  });

  it('shifts the sequence number, the acknowledgement and the SACK blocks, keeping the checksum right', () => {
    for (const v6 of [false, true]) {
      const c = conn(v6);
      seqadjSet(c, IP_CT_ESTABLISHED, 1000, 2); // the client's stream grew after 1000
      seqadjSet(c, IP_CT_ESTABLISHED_REPLY, 5000, 4); // the server's after 5000
      // The server acknowledges 1026 (its view) with a SACK block [1032, 1038); its own seq 5100 is after its change.
      const sack = new Uint8Array([1, 1, 5, 10, 0, 0, 4, 8, 0, 0, 4, 14]);
      const skb = tcpSkb(v6, { sport: 21, dport: 40000, flags: 'A', seq: 5100, ack: 1026, options: sack });
      const l4 = skb.thoff;
      skb.data[l4 + 16] = 0;
      skb.data[l4 + 17] = 0;
      const sum = v6 ? l4Checksum6(skb.data, l4, skb.len - l4, 6) : l4Checksum(skb.data, l4, skb.len - l4, 6);
      skb.data[l4 + 16] = sum >> 8;
      skb.data[l4 + 17] = sum & 0xff;
      expect(seqAdjust(skb, c, IP_CT_ESTABLISHED_REPLY, l4)).toBe(true);
      expect(rd32(skb.data, l4 + 4)).toBe(5104);
      expect(rd32(skb.data, l4 + 8)).toBe(1024);
      expect(rd32(skb.data, l4 + 24)).toBe(1030);
      expect(rd32(skb.data, l4 + 28)).toBe(1036);
      expect(tcpSumOk(skb)).toBe(true);
    }
  });

  it('leaves the acknowledgement of a segment without ACK alone, and refuses a partial option', () => {
    const c = conn();
    seqadjSet(c, IP_CT_ESTABLISHED_REPLY, 10, 4);
    const syn = tcpSkb(false, { sport: 40000, dport: 21, flags: 'S', seq: 1, ack: 77 });
    expect(seqAdjust(syn, c, IP_CT_ESTABLISHED, syn.thoff)).toBe(true);
    expect(rd32(syn.data, syn.thoff + 8)).toBe(77);
    const bad = tcpSkb(false, { sport: 40000, dport: 21, flags: 'A', seq: 1, ack: 77, options: new Uint8Array([5, 40, 0, 0]) });
    expect(seqAdjust(bad, c, IP_CT_ESTABLISHED, bad.thoff)).toBe(false);
  });
});

describe('mangling (nf_nat_helper)', () => {
  it('grows and shrinks a TCP payload with lengths, checksums and the sequence adjustment right, both families', () => {
    for (const v6 of [false, true]) {
      for (const rep of ['198,51,100,1,156,65', '1,2,3,4,5,6']) {
        const c = conn(v6);
        const text = 'PORT 192,0,2,10,156,65\r\n';
        const skb = tcpSkb(v6, { sport: 40000, dport: 21, flags: 'PA', seq: 7000, ack: 1, payload: enc.encode(text) });
        const before = skb.len;
        expect(mangleTcpPacket(skb, c, IP_CT_ESTABLISHED, skb.thoff, 5, 17, ascii(rep))).toBe(true);
        const diff = rep.length - 17;
        expect(skb.len).toBe(before + diff);
        expect(dec.decode(skb.data.subarray(skb.thoff + 20, skb.len))).toBe(`PORT ${rep}\r\n`);
        if (v6) expect((skb.data[4]! << 8) | skb.data[5]!).toBe(skb.len - 40);
        else {
          expect((skb.data[2]! << 8) | skb.data[3]!).toBe(skb.len);
          expect(inetChecksum(skb.data, 0, 20)).toBe(0);
        }
        expect(tcpSumOk(skb)).toBe(true);
        expect(c.seqadj![0]).toMatchObject({ correctionPos: 7000, offsetBefore: 0, offsetAfter: diff });
      }
    }
  });

  it('rewrites a UDP payload and its length; a datagram without a checksum keeps none', () => {
    const c = conn();
    const payload = enc.encode('CONNECT DATA 50000 MESG 1\n');
    const skb = new Skb().load(ipv4({ src: '203.0.113.9', dst: '198.51.100.1' }, udp({ sport: 10080, dport: 850, payload })));
    expect(mangleUdpPacket(skb, c, IP_CT_ESTABLISHED_REPLY, skb.thoff, 13, 5, ascii('1234567'))).toBe(true);
    expect(dec.decode(skb.data.subarray(skb.thoff + 8, skb.len))).toBe('CONNECT DATA 1234567 MESG 1\n');
    expect((skb.data[skb.thoff + 4]! << 8) | skb.data[skb.thoff + 5]!).toBe(skb.len - skb.thoff);
    expect(l4Checksum(skb.data, skb.thoff, skb.len - skb.thoff, 17)).toBe(0);
    const none = new Skb().load(ipv4({ src: '203.0.113.9', dst: '198.51.100.1' }, udp({ sport: 10080, dport: 850, payload })));
    none.data[none.thoff + 6] = 0;
    none.data[none.thoff + 7] = 0;
    expect(mangleUdpPacket(none, c, IP_CT_ESTABLISHED_REPLY, none.thoff, 13, 5, ascii('7'))).toBe(true);
    expect(none.data[none.thoff + 6]! | none.data[none.thoff + 7]!).toBe(0);
  });

  it('refuses a packet cut short by the capture', () => {
    const c = conn();
    const skb = tcpSkb(false, { sport: 40000, dport: 21, flags: 'PA', seq: 1, ack: 1, payload: enc.encode('PORT 1,2,3,4,5,6\r\n') });
    skb.truncated = true;
    expect(mangleTcpPacket(skb, c, IP_CT_ESTABLISHED, skb.thoff, 5, 11, ascii('x'))).toBe(false);
  });
});

describe('nf_nat_exp_find_port', () => {
  /** A host whose expectation table refuses the ports in `busy` with -EBUSY. */
  function host(busy: Set<number>, draws: number[]): HelperHost {
    return {
      expectRelated: (e) => (busy.has(e.dport) ? -16 : 0),
      unexpectRelated: () => {},
      removeExpectation: () => false,
      findExpectation: () => null,
      refreshExpectation: () => false,
      refreshTimeout: () => {},
      localBroadcastMask: () => 0,
      removeExpectations: () => {},
      findOwnExpectation: () => null,
      setExpectTimeout: () => {},
      sameRoute: () => false,
      sameDevice: () => false,
      params: DEFAULT_MODULE_PARAMS,
      nat: { setup: () => 0, random: () => draws.shift() ?? 0 },
      expectFind: () => null,
      lookup: () => null,
      kill: () => {},
      greKeymapAdd: () => false,
      greKeymapDestroy: () => {},
    };
  }
  const exp = (): Expectation => new Expectation(conn(), 0, 6, null, parseInetAddr('198.51.100.1')!, -1, 0);

  it('keeps the port when free, else tries random ones above it, and gives up on 65535', () => {
    expect(expFindPort(host(new Set(), []), exp(), 40001)).toBe(40001);
    const e = exp();
    // 65530 busy: random draws modulo the range (5) above 65530.
    expect(expFindPort(host(new Set([65530, 65531]), [1, 3]), e, 65530)).toBe(65533);
    expect(e.dport).toBe(65533);
    expect(expFindPort(host(new Set([65535]), []), exp(), 65535)).toBe(0);
    // Another error than -EBUSY stops the search at once.
    const h = host(new Set(), []);
    expect(expFindPort({ ...h, expectRelated: () => -24 }, exp(), 1000)).toBe(0);
  });
});
