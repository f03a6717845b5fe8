import { describe, expect, it } from 'vitest';
import { icmp, icmp6, ipv4, ipv6, raw, sctp, sctpInit, tcp, udp } from '../../packet/build.js';
import { Hook, NF_ACCEPT, NF_DROP, Skb } from '../types.js';
import { Family } from '../../packet/inet-addr.js';
import { helperIndex } from './helper-registry.js';
import {
  CT_INVALID,
  CT_TRACKED,
  Conn,
  Conntrack,
  IPS_ASSURED,
  IPS_SEEN_REPLY,
  IP_CT_ESTABLISHED,
  IP_CT_ESTABLISHED_REPLY,
  IP_CT_NEW,
  IP_CT_RELATED,
  IP_CT_RELATED_REPLY,
  TCP_STATE_NAMES,
  ZONE_DIR_BOTH,
  ZONE_DIR_ORIG,
  ZONE_DIR_REPL,
  attachRelated,
  formatEntry,
  zoneTemplate,
  type ConntrackOptions,
} from './index.js';

const A = '192.0.2.10';
const B = '203.0.113.5';
const S = 1_000_000_000;

/** A tracker with a tiny driver: each packet goes through in() and, unless `drop`, confirm(). */
class Rig {
  readonly ct: Conntrack;
  now = 0;
  constructor(opts?: ConntrackOptions) {
    this.ct = new Conntrack(opts);
  }
  send(ip: Uint8Array, o: { hook?: Hook; drop?: boolean; at?: number } = {}): Skb {
    if (o.at !== undefined) this.now = o.at;
    const skb = new Skb().load(ip);
    const v = this.ct.in(skb, o.hook ?? Hook.PreRouting, this.now);
    if (v === NF_ACCEPT && !o.drop) this.ct.confirm(skb, this.now);
    (skb as Skb & { verdict?: number }).verdict = v;
    return skb;
  }
  tcp(
    from: 'c' | 's',
    flags: string,
    seq: number,
    ack: number,
    o: { len?: number; sport?: number; dport?: number; window?: number; at?: number; drop?: boolean } = {},
  ): Skb {
    const sport = o.sport ?? 40000;
    const dport = o.dport ?? 80;
    const payload = o.len ? new Uint8Array(o.len) : undefined;
    const seg =
      from === 'c'
        ? ipv4({ src: A, dst: B }, tcp({ sport, dport, flags, seq, ack, payload, window: o.window }))
        : ipv4({ src: B, dst: A }, tcp({ sport: dport, dport: sport, flags, seq, ack, payload, window: o.window }));
    return this.send(seg, o);
  }
  only(): Conn {
    const all = [...this.ct.entries(this.now)];
    expect(all).toHaveLength(1);
    return all[0]!;
  }
  state(): string {
    return TCP_STATE_NAMES[this.only().tcp!.state as number]!;
  }
  left(): number {
    return this.ct.expiresIn(this.only(), this.now);
  }
}

function conn(skb: Skb): Conn {
  expect(skb.ct).toBeInstanceOf(Conn);
  return skb.ct as Conn;
}

function handshake(r: Rig, o: { sport?: number } = {}): void {
  r.tcp('c', 'S', 1000, 0, o);
  r.tcp('s', 'SA', 5000, 1001, o);
  r.tcp('c', 'A', 1001, 5001, o);
}

describe('TCP', () => {
  it('handshake: SYN_SENT, SYN_RECV, ESTABLISHED; ASSURED once the client ACKs', () => {
    const r = new Rig();
    const syn = r.tcp('c', 'S', 1000, 0);
    expect(syn.ctinfo).toBe(IP_CT_NEW);
    expect(r.state()).toBe('SYN_SENT');
    expect(r.left()).toBe(120);
    const sa = r.tcp('s', 'SA', 5000, 1001);
    expect(sa.ctinfo).toBe(IP_CT_ESTABLISHED_REPLY);
    expect(r.state()).toBe('SYN_RECV');
    expect(r.left()).toBe(60);
    const ack = r.tcp('c', 'A', 1001, 5001);
    expect(ack.ctinfo).toBe(IP_CT_ESTABLISHED);
    expect(r.state()).toBe('ESTABLISHED');
    expect(r.only().status & IPS_ASSURED).toBeTruthy();
    expect(r.left()).toBe(432000);
    // Data not yet acknowledged: the UNACK timeout (300 s) applies.
    r.tcp('c', 'PA', 1001, 5001, { len: 100 });
    expect(r.left()).toBe(300);
    r.tcp('s', 'A', 5001, 1101);
    expect(r.left()).toBe(432000);
    expect(r.ct.list(r.now)).toBe(
      'tcp      6 431999 ESTABLISHED src=192.0.2.10 dst=203.0.113.5 sport=40000 dport=80 src=203.0.113.5 dst=192.0.2.10 sport=80 dport=40000 [ASSURED] mark=0 use=1\n'.replace(
        '431999',
        '432000',
      ),
    );
  });

  it('FIN teardown: FIN_WAIT, CLOSE_WAIT, LAST_ACK, TIME_WAIT', () => {
    const r = new Rig();
    handshake(r);
    r.tcp('c', 'FA', 1001, 5001);
    expect(r.state()).toBe('FIN_WAIT');
    r.tcp('s', 'A', 5001, 1002);
    expect(r.state()).toBe('CLOSE_WAIT');
    r.tcp('s', 'FA', 5001, 1002);
    expect(r.state()).toBe('LAST_ACK');
    expect(r.left()).toBe(30);
    r.tcp('c', 'A', 1002, 5002);
    expect(r.state()).toBe('TIME_WAIT');
    expect(r.left()).toBe(120);
  });

  it('RST closes the connection with the CLOSE timeout', () => {
    const r = new Rig();
    handshake(r);
    r.tcp('s', 'R', 5001, 0);
    expect(r.state()).toBe('CLOSE');
    expect(r.left()).toBe(10);
  });

  it('a RST answering a SYN removes the entry at once', () => {
    const r = new Rig();
    r.tcp('c', 'S', 1000, 0);
    const rst = r.tcp('s', 'RA', 0, 1001);
    expect(rst.ctState).toBe(CT_TRACKED);
    expect(r.ct.size).toBe(0);
  });

  it('out-of-window segments are INVALID and change nothing', () => {
    const r = new Rig();
    handshake(r);
    const before = r.only().tcp!.seen[0].tdEnd;
    const bad = r.tcp('c', 'PA', 900_000_000, 5001, { len: 10 });
    expect(bad.ct).toBeNull();
    expect(bad.ctState).toBe(CT_INVALID);
    const badAck = r.tcp('c', 'A', 1001, 900_000_000);
    expect(badAck.ct).toBeNull();
    expect(r.only().tcp!.seen[0].tdEnd).toBe(before);
    expect(r.state()).toBe('ESTABLISHED');
  });

  it("both directions' window data live in the entry: seen[] reads copies of what the tracker stored", () => {
    const r = new Rig();
    handshake(r);
    r.tcp('c', 'PA', 1001, 5001, { len: 100, window: 600 });
    const t = r.only().tcp!;
    const [s0, s1] = t.seen;
    // The client sent up to 1101 and the server up to 5001 (the SYN/ACK's sequence plus one).
    expect([s0.tdEnd, s1.tdEnd]).toEqual([1101, 5001]);
    expect(s0.tdMaxack).toBe(5001);
    expect(t.maxack(0)).toBe(5001);
    expect(t.maxwin(0)).toBe(s0.tdMaxwin);
    expect(t.flags(0)).toBe(s0.flags);
    // Copies: changing one changes nothing in the entry.
    s0.tdEnd = 1;
    expect(t.seen[0].tdEnd).toBe(1101);
    // Sequence numbers of 2^31 and more read back unsigned.
    const big = new Rig();
    big.tcp('c', 'S', 0xfffffff0, 0);
    expect(big.only().tcp!.seen[0].tdEnd).toBe(0xfffffff1);
  });

  it('an entry holds no extension record until one is set; reuse leaves none', () => {
    const r = new Rig();
    handshake(r);
    const c = r.only();
    expect(c.ext).toBeNull();
    expect([c.helper, c.helpData, c.expectations, c.master, c.seqadj, c.synproxy, c.acct, c.labels, c.sctp]).toEqual([
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
    c.helper = null;
    c.master = null;
    expect(c.ext).toBeNull();
    c.labels = new Uint32Array(4);
    expect(c.ext).not.toBeNull();
    expect(c.labels).toEqual(new Uint32Array(4));
    const acct = new Rig({ acct: true });
    acct.tcp('c', 'S', 1000, 0);
    expect(acct.only().acct).toEqual(new Float64Array([1, 40, 0, 0]));
    // A SYN dropped before confirmation frees its entry, which the next SYN reuses without the old extension.
    const skb = acct.tcp('c', 'S', 1, 0, { sport: 40001, drop: true });
    const dropped = conn(skb);
    expect(dropped.ext).not.toBeNull();
    acct.ct.release();
    acct.ct.acct = false;
    const next = conn(acct.tcp('c', 'S', 1, 0, { sport: 40002 }));
    expect(next).toBe(dropped);
    expect(next.ext).toBeNull();
  });

  it('be_liberal accepts out-of-window segments', () => {
    const r = new Rig({ tcpBeLiberal: true });
    handshake(r);
    expect(r.tcp('c', 'PA', 900_000_000, 5001, { len: 10 }).ct).not.toBeNull();
  });

  it('invalid flag combinations are INVALID and create nothing', () => {
    const r = new Rig();
    for (const f of ['SF', 'SR', 'F', '', 'FPU']) expect(r.tcp('c', f, 1, 0).ctState).toBe(CT_INVALID);
    expect(r.ct.size).toBe(0);
  });

  it('mid-stream pickup (loose): ESTABLISHED UNREPLIED with the UNACK timeout, then replied', () => {
    const r = new Rig();
    const p = r.tcp('c', 'PA', 4000, 9000, { len: 100 });
    expect(p.ctinfo).toBe(IP_CT_NEW);
    expect(r.state()).toBe('ESTABLISHED');
    expect(r.left()).toBe(300);
    expect(r.ct.list(r.now)).toContain('[UNREPLIED]');
    r.tcp('s', 'A', 9000, 4100);
    expect(r.only().status & IPS_SEEN_REPLY).toBeTruthy();
    // Assured on the next in-window packet with a reply seen.
    r.tcp('c', 'A', 4100, 9000);
    expect(r.only().status & IPS_ASSURED).toBeTruthy();
  });

  it('without loose, a mid-stream packet is INVALID', () => {
    const r = new Rig({ tcpLoose: false });
    expect(r.tcp('c', 'A', 4000, 9000).ctState).toBe(CT_INVALID);
    expect(r.ct.size).toBe(0);
  });

  it('a SYN retransmission does not renew the timeout', () => {
    const r = new Rig();
    r.tcp('c', 'S', 1000, 0);
    r.tcp('c', 'S', 1000, 0, { at: 10 * S });
    expect(r.state()).toBe('SYN_SENT');
    expect(r.left()).toBe(110);
  });

  it('a SYN on a TIME_WAIT entry reopens the connection as NEW', () => {
    const r = new Rig();
    handshake(r);
    r.tcp('c', 'FA', 1001, 5001);
    r.tcp('s', 'FA', 5001, 1002);
    r.tcp('c', 'A', 1002, 5002);
    expect(r.state()).toBe('TIME_WAIT');
    const syn = r.tcp('c', 'S', 90000, 0, { at: 5 * S });
    expect(syn.ctinfo).toBe(IP_CT_NEW);
    expect(r.state()).toBe('SYN_SENT');
    expect(r.only().status & IPS_ASSURED).toBe(0);
    r.tcp('s', 'SA', 70000, 90001);
    expect(r.state()).toBe('SYN_RECV');
  });

  it('a SYN in ESTABLISHED is ignored (accepted, state kept)', () => {
    const r = new Rig();
    handshake(r);
    const syn = r.tcp('c', 'S', 77777, 0);
    expect(syn.ct).not.toBeNull();
    expect(r.state()).toBe('ESTABLISHED');
  });

  it('a bad checksum is INVALID on PREROUTING, not on OUTPUT, and not with checksum off', () => {
    const seg = ipv4({ src: A, dst: B }, tcp({ sport: 1, dport: 2, flags: 'S', seq: 1 }));
    seg[20 + 17] = seg[20 + 17]! ^ 1;
    expect(new Rig().send(seg.slice()).ctState).toBe(CT_INVALID);
    expect(new Rig().send(seg.slice(), { hook: Hook.LocalOut }).ctState).toBe(CT_TRACKED);
    expect(new Rig({ checksum: false }).send(seg.slice()).ctState).toBe(CT_TRACKED);
  });

  it('a packet dropped before confirmation leaves no entry: the next is NEW again', () => {
    const r = new Rig();
    r.tcp('c', 'S', 1000, 0, { drop: true });
    expect(r.ct.size).toBe(0);
    expect(r.tcp('c', 'S', 1000, 0).ctinfo).toBe(IP_CT_NEW);
    expect(r.ct.size).toBe(1);
  });
});

describe('UDP', () => {
  const q = (sport = 5353) => ipv4({ src: A, dst: B }, udp({ sport, dport: 53, payload: new Uint8Array(8) }));
  const a = (sport = 5353) => ipv4({ src: B, dst: A }, udp({ sport: 53, dport: sport, payload: new Uint8Array(8) }));

  it('unreplied: 30 s, UNREPLIED', () => {
    const r = new Rig();
    expect(r.send(q()).ctinfo).toBe(IP_CT_NEW);
    expect(r.left()).toBe(30);
    expect(r.ct.list(r.now)).toBe(
      'udp      17 30 src=192.0.2.10 dst=203.0.113.5 sport=5353 dport=53 [UNREPLIED] src=203.0.113.5 dst=192.0.2.10 sport=53 dport=5353 mark=0 use=1\n',
    );
  });

  it('replied within 2 s: 30 s, not assured; traffic after 2 s: 120 s and ASSURED', () => {
    const r = new Rig();
    r.send(q());
    expect(r.send(a()).ctinfo).toBe(IP_CT_ESTABLISHED_REPLY);
    r.send(q(), { at: S });
    expect(r.left()).toBe(30);
    expect(r.only().status & IPS_ASSURED).toBe(0);
    r.send(q(), { at: 3 * S });
    expect(r.left()).toBe(120);
    expect(r.only().status & IPS_ASSURED).toBeTruthy();
  });

  it('truncated or bad-checksum datagrams are INVALID; a zero checksum is not checked', () => {
    const r = new Rig();
    const bad = q();
    bad[27] = bad[27]! ^ 1;
    expect(r.send(bad).ctState).toBe(CT_INVALID);
    const zero = q(6000);
    zero[26] = 0;
    zero[27] = 0;
    expect(r.send(zero).ctState).toBe(CT_TRACKED);
    const long = q(6001);
    long[25] = 200;
    expect(r.send(long).ctState).toBe(CT_INVALID);
  });
});

describe('ICMP', () => {
  const echo = (type: number, id = 7) =>
    type === 8 ? ipv4({ src: A, dst: B }, icmp({ type, id, seq: 1 })) : ipv4({ src: B, dst: A }, icmp({ type, id, seq: 1 }));

  it('echo request and reply pair up; 30 s', () => {
    const r = new Rig();
    expect(r.send(echo(8)).ctinfo).toBe(IP_CT_NEW);
    expect(r.send(echo(0)).ctinfo).toBe(IP_CT_ESTABLISHED_REPLY);
    expect(r.left()).toBe(30);
    expect(r.ct.list(r.now)).toBe(
      'icmp     1 30 src=192.0.2.10 dst=203.0.113.5 type=8 code=0 id=7 src=203.0.113.5 dst=192.0.2.10 type=0 code=0 id=7 mark=0 use=1\n',
    );
  });

  it('a reply without a request, or a type that opens nothing, is INVALID', () => {
    const r = new Rig();
    expect(r.send(echo(0, 99)).ctState).toBe(CT_INVALID);
    expect(r.send(ipv4({ src: B, dst: A }, icmp({ type: 9 }))).ctState).toBe(CT_INVALID);
    expect(r.send(ipv4({ src: B, dst: A }, icmp({ type: 40 }))).ctState).toBe(CT_INVALID);
    expect(r.ct.size).toBe(0);
  });

  it('errors quoting a tracked flow are RELATED to it; others are INVALID', () => {
    const r = new Rig();
    const dgram = ipv4({ src: A, dst: B }, udp({ sport: 5000, dport: 53 }));
    r.send(dgram);
    const err = r.send(ipv4({ src: B, dst: A }, icmp({ type: 3, code: 3, payload: dgram.subarray(0, 28) })));
    expect(err.ctinfo).toBe(IP_CT_RELATED_REPLY);
    expect(r.only().status & IPS_SEEN_REPLY).toBe(0);
    // From a router on the way, in the original direction: RELATED.
    const fwd = r.send(
      ipv4({ src: '198.51.100.254', dst: B }, icmp({ type: 11, payload: ipv4({ src: B, dst: A }, udp({ sport: 53, dport: 5000 })).subarray(0, 28) })),
    );
    expect(fwd.ctinfo).toBe(IP_CT_RELATED);
    // Quoting nothing we know, or sent to someone else: INVALID.
    const other = ipv4({ src: A, dst: B }, udp({ sport: 5001, dport: 53 }));
    expect(r.send(ipv4({ src: B, dst: A }, icmp({ type: 3, code: 3, payload: other.subarray(0, 28) }))).ctState).toBe(CT_INVALID);
    expect(r.send(ipv4({ src: B, dst: '192.0.2.99' }, icmp({ type: 3, code: 3, payload: dgram.subarray(0, 28) }))).ctState).toBe(CT_INVALID);
    // Too short to quote the ports.
    expect(r.send(ipv4({ src: B, dst: A }, icmp({ type: 3, code: 3, payload: dgram.subarray(0, 21) }))).ctState).toBe(CT_INVALID);
  });

  it('an error quoting an echo request is RELATED to the echo entry', () => {
    const r = new Rig();
    const req = echo(8, 42);
    r.send(req);
    const err = r.send(ipv4({ src: B, dst: A }, icmp({ type: 3, code: 1, payload: req.subarray(0, 28) })));
    expect(err.ctinfo).toBe(IP_CT_RELATED_REPLY);
  });
});

describe('generic protocols, expiry and the table limit', () => {
  it('a generic protocol gets 600 s', () => {
    const r = new Rig();
    r.send(ipv4({ src: A, dst: B }, raw(50, new Uint8Array(20))));
    expect(r.left()).toBe(600);
    expect(r.ct.list(r.now)).toBe('unknown  50 600 src=192.0.2.10 dst=203.0.113.5 [UNREPLIED] src=203.0.113.5 dst=192.0.2.10 mark=0 use=1\n');
  });

  it('entries expire on virtual time: gone from the list, NEW again, swept', () => {
    const r = new Rig();
    const q = () => ipv4({ src: A, dst: B }, udp({ sport: 1, dport: 2 }));
    r.send(q());
    r.now = 29 * S;
    expect(r.ct.list(r.now)).toContain(' 1 src=');
    r.now = 30 * S;
    expect(r.ct.list(r.now)).toBe('');
    expect(r.ct.size).toBe(1);
    expect(r.ct.sweep(r.now)).toBe(1);
    expect(r.ct.size).toBe(0);
    r.send(q());
    expect(r.ct.size).toBe(1);
    expect(r.send(q(), { at: 100 * S }).ctinfo).toBe(IP_CT_NEW);
  });

  it('a full table drops entries that are not ASSURED, else drops the packet', () => {
    const r = new Rig({ max: 2, buckets: 1 });
    const d = (sport: number) => ipv4({ src: A, dst: B }, udp({ sport, dport: 53 }));
    r.send(d(1));
    r.send(d(2));
    expect(r.ct.size).toBe(2);
    // Both unassured, in the one bucket: early drop evicts them.
    r.send(d(3));
    expect(r.ct.size).toBe(1);
    expect(r.ct.earlyDrops).toBe(2);

    const full = new Rig({ max: 1, buckets: 1 });
    handshake(full);
    expect(full.only().status & IPS_ASSURED).toBeTruthy();
    const s = full.send(d(4));
    expect((s as Skb & { verdict?: number }).verdict).toBe(NF_DROP);
    expect(full.ct.size).toBe(1);
    expect(full.ct.drops).toBe(1);
  });

  it('options are checked up front', () => {
    expect(() => new Conntrack({ max: -1 })).toThrow(/max/);
  });
});

describe('replies netfilter generates', () => {
  it("carry the cause's entry as RELATED in reply direction, which is never confirmed", () => {
    const r = new Rig();
    const syn = new Skb().load(ipv4({ src: A, dst: B }, tcp({ sport: 1, dport: 23, flags: 'S', seq: 1 })));
    expect(r.ct.in(syn, Hook.PreRouting, 0)).toBe(NF_ACCEPT);
    // REJECT drops the SYN; its reset goes out through OUTPUT and POSTROUTING.
    const rst = new Skb().load(ipv4({ src: B, dst: A }, tcp({ sport: 23, dport: 1, flags: 'RA', seq: 0, ack: 2 })));
    attachRelated(rst, syn.ct, syn.ctinfo);
    expect(rst.ctinfo).toBe(IP_CT_RELATED_REPLY);
    expect(r.ct.in(rst, Hook.LocalOut, 0)).toBe(NF_ACCEPT);
    expect(rst.ctinfo).toBe(IP_CT_RELATED_REPLY);
    r.ct.confirm(rst, 0);
    expect(r.ct.size).toBe(0);
  });
});

describe('what the NAT core asks of the table', () => {
  it('tupleTaken finds a live entry in either direction, ignoring the asker', () => {
    const r = new Rig();
    const first = conn(r.send(ipv4({ src: A, dst: B }, udp({ sport: 1000, dport: 53 }))));
    const reply = first.reply;
    expect(r.ct.tupleTaken(reply, null, r.now)).toBe(true);
    expect(r.ct.tupleTaken(reply, first, r.now)).toBe(false);
    expect(r.ct.tupleTaken({ ...reply, proto: 17, src: reply.src, dst: reply.dst, sport: 54, dport: 1000 }, null, r.now)).toBe(false);
  });

  it('alterReply gives an unconfirmed entry the reply tuple its translation expects', () => {
    const r = new Rig();
    const skb = r.send(ipv4({ src: A, dst: B }, udp({ sport: 1000, dport: 53 })), { drop: true });
    const c = conn(skb);
    expect(c.reply.swapsAddressesOf(c.orig)).toBe(true);
    const translated = new Skb().load(ipv4({ src: '198.51.100.1', dst: A }, udp({ sport: 53, dport: 1000 })));
    r.ct.alterReply(c, { proto: 17, src: c.reply.src, dst: translated.src.clone(), sport: 53, dport: 2000 });
    // The reply tuple's inline words follow the new address.
    expect(c.reply.swapsAddressesOf(c.orig)).toBe(false);
    expect(c.orig.swapsAddressesOf(c.orig)).toBe(false);
    r.ct.confirm(skb, r.now);
    expect(r.ct.list(r.now)).toContain('src=192.0.2.10 dst=203.0.113.5 sport=1000 dport=53 [UNREPLIED] src=203.0.113.5 dst=198.51.100.1 sport=53 dport=2000');
    // The reply to the translated address now belongs to the entry.
    const back = r.send(ipv4({ src: B, dst: '198.51.100.1' }, udp({ sport: 53, dport: 2000 })));
    expect(back.ct).toBe(c);
    expect(back.ctinfo).toBe(IP_CT_ESTABLISHED_REPLY);
    expect(() => r.ct.alterReply(c, c.reply)).toThrow(/confirmed/);
  });
});

describe('the conntrack -L text', () => {
  it('list() writes each entry as formatEntry prints it, sorted, for every protocol, family and zone', () => {
    const r = new Rig();
    const send = (ip: Uint8Array, zone = -1, mark = 0): void => {
      const skb = ip[0]! >> 4 === 6 ? new Skb().loadV6(ip) : new Skb().load(ip);
      skb.ctZone = zone;
      if (r.ct.in(skb, Hook.PreRouting, r.now) === NF_ACCEPT) r.ct.confirm(skb, r.now);
      if (skb.ct) skb.ct.mark = mark;
    };
    handshake(r);
    r.tcp('c', 'S', 7, 0, { sport: 9, dport: 65535 });
    send(ipv4({ src: A, dst: B }, udp({ sport: 53, dport: 1 })), -1, 0xffffffff);
    send(ipv4({ src: B, dst: A }, udp({ sport: 1, dport: 53 })));
    send(ipv4({ src: '0.0.0.0', dst: '255.255.255.255' }, udp({ sport: 68, dport: 67 })));
    send(ipv4({ src: A, dst: B }, icmp({ type: 8, code: 0, id: 4321, seq: 1 })));
    send(ipv4({ src: A, dst: B }, raw(50, new Uint8Array(20))));
    send(ipv4({ src: A, dst: B }, raw(47, new Uint8Array([0x20, 0x01, 0x88, 0x0b, 0, 0, 0xbe, 0xef]))));
    send(ipv4({ src: A, dst: B }, sctp({ sport: 5000, dport: 6000, vtag: 0, chunks: [{ type: 1, value: sctpInit(77) }] })));
    send(ipv6({ src: '2001:db8::1', dst: 'fe80::1:2' }, tcp({ sport: 1000, dport: 22, flags: 'S', seq: 1 })));
    send(ipv6({ src: '::ffff:192.0.2.1', dst: '2001:db8::' }, icmp6({ type: 128, code: 0, id: 1, seq: 1 })));
    send(ipv4({ src: A, dst: B }, tcp({ sport: 4000, dport: 21, flags: 'S', seq: 1 })), zoneTemplate(0, ZONE_DIR_BOTH, false, helperIndex('ftp')));
    for (const [i, dirs] of [ZONE_DIR_ORIG, ZONE_DIR_REPL, ZONE_DIR_BOTH].entries())
      send(ipv4({ src: A, dst: B }, udp({ sport: 100 + i, dport: 200 })), zoneTemplate(10 + i * 1000, dirs, false));
    // Many lines sharing long beginnings, some a prefix of others' text up to a field, in a random order.
    let seed = 7;
    for (let i = 0; i < 400; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const port = (seed >>> 8) % (i % 3 === 0 ? 12 : 65536);
      send(ipv4({ src: `192.0.2.${(seed >>> 4) % 3}`, dst: B }, udp({ sport: port, dport: (seed >>> 20) % 100 })));
      if (i % 50 === 0) r.now += S;
    }
    r.now += 7 * S;
    const all = [...r.ct.entries(r.now)];
    expect(all.length).toBeGreaterThan(300);
    const expected = all.map((c) => `${formatEntry(c, r.ct.expiresIn(c, r.now))}\n`).sort();
    expect(r.ct.list(r.now)).toBe(expected.join(''));
    expect(r.ct.list(r.now, Family.V6)).toBe(expected.filter((l) => l.includes('src=2001') || l.includes('src=::')).join(''));
    expect(r.ct.list(r.now)).toMatch(/zone-orig=10 .*zone-reply=1010 .*zone=2010 use=1/s);
    expect(r.ct.list(r.now)).toContain(' helper=ftp use=1');
  });
});

describe('entries freed before confirmation (release)', () => {
  /** Everything an entry holds, as text. */
  const whole = (c: Conn): string =>
    `${formatEntry(c, 0)} ${JSON.stringify({ tcp: c.tcp, status: c.status, timeout: c.timeout, mark: c.mark, stream: c.udpStreamTs, dead: c.dead, zone: [c.zone, c.zoneDirs] })}`;

  /** Replays the same packets twice: with every dropped packet's entry released and reused, and without. */
  function replay(release: boolean): { list: string; reused: number; states: string[] } {
    const r = new Rig();
    const states: string[] = [];
    for (let i = 0; i < 40; i++) {
      r.now = i * S;
      // A SYN to a closed port, dropped before confirmation; then a connection that is confirmed and answered.
      // A SYN or a mid-stream segment (picked up loosely), dropped: its entry dies unconfirmed, marked by a rule.
      const syn = r.tcp('c', i % 2 ? 'S' : 'A', 1000 + i, 77, { sport: 30000 + i, dport: 23, window: 100 + i, len: i % 3, drop: true });
      const dropped = conn(syn);
      states.push(whole(dropped));
      dropped.mark = i + 1;
      if (release) r.ct.release();
      const u = r.send(ipv4({ src: A, dst: B }, udp({ sport: 5000 + i, dport: 161 })), { drop: true });
      states.push(whole(conn(u)));
      conn(u).mark = i + 1;
      if (release) r.ct.release();
      const open = r.tcp('c', 'S', 7000 + i, 0, { sport: 40000 + i, dport: 22 });
      states.push(whole(conn(open)));
      if (release) r.ct.release();
      r.tcp('s', 'SA', 9000, 7001 + i, { sport: 40000 + i, dport: 22 });
      r.tcp('c', 'A', 7001 + i, 9001, { sport: 40000 + i, dport: 22 });
      if (release) r.ct.release();
    }
    return { list: r.ct.list(r.now), reused: r.ct.reused, states };
  }

  it('makes a dropped TCP or UDP entry new for a later packet, the table and every entry as without reuse', () => {
    const fresh = replay(false);
    const reusing = replay(true);
    expect(fresh.reused).toBe(0);
    // Each round's dropped SYN and datagram leave their records to the next round's (the first round makes them).
    expect(reusing.reused).toBeGreaterThanOrEqual(2 * 39);
    expect(reusing.states).toEqual(fresh.states);
    expect(reusing.list).toBe(fresh.list);
    expect(reusing.list.split('\n').filter((l) => l).length).toBe(40);
  });

  it('never reuses a confirmed entry, one held by something else, or one with a helper', () => {
    const r = new Rig();
    const confirmed = conn(r.tcp('c', 'S', 1, 0, { sport: 1000 }));
    r.ct.release();
    const held = conn(r.tcp('c', 'S', 1, 0, { sport: 1001, drop: true }));
    held.held = true;
    r.ct.release();
    const skb = new Skb().load(ipv4({ src: A, dst: B }, tcp({ sport: 1002, dport: 21, flags: 'S', seq: 1 })));
    skb.ctZone = zoneTemplate(0, ZONE_DIR_BOTH, false, helperIndex('ftp'));
    r.ct.in(skb, Hook.PreRouting, r.now);
    const helped = conn(skb);
    expect(helped.helper).not.toBeNull();
    r.ct.release();
    const next = [1004, 1005, 1006].map((p) => conn(r.tcp('c', 'S', 1, 0, { sport: p, drop: true })));
    for (const c of next) expect([confirmed, held, helped]).not.toContain(c);
    expect(r.ct.reused).toBe(0);
    expect(confirmed.confirmed && !confirmed.dead).toBe(true);
  });
});
