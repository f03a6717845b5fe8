import { describe, expect, it } from 'vitest';
import { ipv4, ipv6, tcp, udp } from '../../packet/build.js';
import { Hook, NF_ACCEPT, Skb } from '../types.js';
import { helperIndex } from './helper-registry.js';
import { Conntrack, IPS_EXPECTED, IP_CT_NEW, IP_CT_RELATED, ZONE_DIR_BOTH, zoneTemplate, type Conn, type ConntrackOptions } from './index.js';

const C = '192.0.2.10';
const SRV = '203.0.113.21';
const C6 = '2001:db8:2::10';
const SRV6 = '2001:db8:ff::21';
const enc = new TextEncoder();

/** A control connection with the ftp (or tftp) helper, driven packet by packet through in() and confirm(). */
class Rig {
  readonly ct: Conntrack;
  now = 1_000_000_000;
  cseq = 1000;
  sseq = 900000;
  constructor(
    readonly v6 = false,
    readonly helper = 'ftp',
    opts: ConntrackOptions = {},
  ) {
    this.ct = new Conntrack(opts);
  }

  send(ip: Uint8Array, tmpl = -1): { skb: Skb; ok: boolean } {
    const skb = ip[0]! >> 4 === 6 ? new Skb().loadV6(ip) : new Skb().load(ip);
    skb.ctZone = tmpl;
    this.now += 1_000_000;
    expect(this.ct.in(skb, Hook.PreRouting, this.now)).toBe(NF_ACCEPT);
    const ok = this.ct.confirm(skb, this.now);
    return { skb, ok };
  }
  ip(src: string, dst: string, l4: ReturnType<typeof tcp>): Uint8Array {
    return this.v6 ? ipv6({ src, dst }, l4) : ipv4({ src, dst }, l4);
  }
  get c(): string {
    return this.v6 ? C6 : C;
  }
  get s(): string {
    return this.v6 ? SRV6 : SRV;
  }
  tmpl(): number {
    return zoneTemplate(0, ZONE_DIR_BOTH, false, helperIndex(this.helper));
  }
  open(): this {
    this.send(this.ip(this.c, this.s, tcp({ sport: 40000, dport: 21, flags: 'S', seq: this.cseq++ })), this.tmpl());
    this.send(this.ip(this.s, this.c, tcp({ sport: 21, dport: 40000, flags: 'SA', seq: this.sseq++, ack: this.cseq })));
    this.send(this.ip(this.c, this.s, tcp({ sport: 40000, dport: 21, flags: 'A', seq: this.cseq, ack: this.sseq })));
    return this;
  }
  /** The client sends `text`; true when the packet passed. */
  cl(text: string): boolean {
    const p = enc.encode(text);
    const r = this.send(this.ip(this.c, this.s, tcp({ sport: 40000, dport: 21, flags: 'PA', seq: this.cseq, ack: this.sseq, payload: p })));
    this.cseq += p.length;
    return r.ok;
  }
  sv(text: string): boolean {
    const p = enc.encode(text);
    const r = this.send(this.ip(this.s, this.c, tcp({ sport: 21, dport: 40000, flags: 'PA', seq: this.sseq, ack: this.cseq, payload: p })));
    this.sseq += p.length;
    return r.ok;
  }
  /** A SYN opening a data connection: its ctinfo. */
  data(src: string, dst: string, sport: number, dport: number): Skb {
    return this.send(this.ip(src, dst, tcp({ sport, dport, flags: 'S', seq: 5 }))).skb;
  }
  expectations(): string {
    return this.ct.listExpectations(this.now);
  }
  control(): Conn {
    return [...this.ct.entries(this.now)].find((c) => c.orig.dport === 21)!;
  }
}

function loggedIn(v6 = false, opts: ConntrackOptions = {}, helper = 'ftp'): Rig {
  const r = new Rig(v6, helper, opts).open();
  r.sv('220 hi\r\n');
  r.cl('USER a\r\n');
  r.sv('331 pw\r\n');
  r.cl('PASS b\r\n');
  return r;
}

describe('ftp helper', () => {
  it('gives the entry its helper and lists it as conntrack does', () => {
    const r = loggedIn();
    expect(r.control().helper?.name).toBe('ftp');
    expect(r.ct.list(r.now)).toContain('mark=0 helper=ftp use=1');
  });

  it('a PORT naming another address is ignored, unless the module parameter loose is 1 (then that address is expected)', () => {
    const strict = loggedIn();
    expect(strict.cl('PORT 192,0,2,99,156,65\r\n')).toBe(true);
    expect(strict.expectations()).toBe('');
    const loose = loggedIn(false, { modules: { nf_conntrack_ftp: { loose: 1 } } });
    expect(loose.cl('PORT 192,0,2,99,156,65\r\n')).toBe(true);
    expect(loose.expectations()).toMatch(/^300 proto=6 src=203.0.113.21 dst=192.0.2.99 sport=0 dport=40001 .* helper=ftp\n$/);
    expect(loose.data(SRV, '192.0.2.99', 20, 40001).ctinfo).toBe(IP_CT_RELATED);
  });

  it('a helper named after a port of the ports parameter (ftp-2121) is the ftp helper under that name', () => {
    const r = loggedIn(false, { modules: { nf_conntrack_ftp: { ports: [21, 2121] } } }, 'ftp-2121');
    expect(r.cl('PORT 192,0,2,10,156,65\r\n')).toBe(true);
    expect(r.expectations()).toMatch(/ helper=ftp-2121\n$/);
    expect(r.ct.list(r.now)).toContain('mark=0 helper=ftp-2121 use=1');
  });

  it('PORT expects the server to connect to the named port; the data connection is RELATED, its master the control', () => {
    const r = loggedIn();
    expect(r.cl('PORT 192,0,2,10,156,65\r\n')).toBe(true);
    expect(r.expectations()).toMatch(
      /^300 proto=6 src=203.0.113.21 dst=192.0.2.10 sport=0 dport=40001 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=192.0.2.10 master-dst=203.0.113.21 sport=40000 dport=21 class=0 helper=ftp\n$/,
    );
    const d = r.data(SRV, C, 20, 40001);
    expect(d.ctinfo).toBe(IP_CT_RELATED);
    expect(d.ct!.status & IPS_EXPECTED).toBeTruthy();
    expect(d.ct!.master).toBe(r.control());
    expect(d.ct!.helper).toBeNull();
    expect(r.expectations()).toBe('');
    // Used up: a second connection to that port is NEW.
    expect(r.data(SRV, C, 21, 40001).ctinfo).toBe(IP_CT_NEW);
  });

  it('reads the 227 and 229 replies, EPRT, and lower case', () => {
    const r = loggedIn();
    r.sv('230 ok\r\n');
    r.cl('PASV\r\n');
    r.sv('227 Entering Passive Mode (203,0,113,21,195,80).\r\n');
    expect(r.data(C, SRV, 40100, 50000).ctinfo).toBe(IP_CT_RELATED);
    r.cl('EPSV\r\n');
    r.sv('229 Entering Extended Passive Mode (|||50002|)\r\n');
    expect(r.data(C, SRV, 40101, 50002).ctinfo).toBe(IP_CT_RELATED);
    r.cl('eprt |1|192.0.2.10|40002|\r\n');
    expect(r.data(SRV, C, 20, 40002).ctinfo).toBe(IP_CT_RELATED);
  });

  it('reads only commands at a line start it knows', () => {
    const r = loggedIn();
    r.cl('NOOP');
    r.cl('PORT 192,0,2,10,156,65\r\n');
    expect(r.expectations()).toBe('');
    r.cl('PORT 192,0,2,10,156,66\r\n');
    expect(r.expectations()).toContain('dport=40002 ');
  });

  it('ignores a PORT naming another address (loose is 0) and drops a partial one', () => {
    const r = loggedIn();
    expect(r.cl('PORT 192,0,2,99,156,65\r\n')).toBe(true);
    expect(r.expectations()).toBe('');
    expect(r.cl('PORT\r\n')).toBe(false);
    expect(r.ct.helperDropReason).toBe("nf_ct_ftp: dropping packet: partial matching of `PORT'");
    // After a drop the next line start is unknown.
    expect(r.cl('PORT 192,0,2,10,160,1,2\r\n')).toBe(true);
    expect(r.cl('PORT 192,0,2,10,160,1,2\r\n')).toBe(false);
    expect(r.cl('NOOP\r\n')).toBe(true);
    // No range check (measured on 6.18): numbers wrap.
    expect(r.cl('PORT 192,0,2,10,300,1\r\n')).toBe(true);
    expect(r.expectations()).toContain(' dport=11265 ');
    expect(r.cl('EPRT |1|192.0.2.10|70000|\r\n')).toBe(true);
    expect(r.expectations()).toContain(' dport=4464 ');
    expect(r.cl('EPRT |1|192.0.2.10|65536|\r\n')).toBe(false);
  });

  it('keeps one expectation per control connection: the second evicts the first', () => {
    const r = loggedIn();
    r.cl('PORT 192,0,2,10,156,65\r\n');
    r.cl('PORT 192,0,2,10,156,66\r\n');
    expect(r.expectations().split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.data(SRV, C, 20, 40001).ctinfo).toBe(IP_CT_NEW);
    expect(r.data(SRV, C, 20, 40002).ctinfo).toBe(IP_CT_RELATED);
  });

  it('lets expectations expire after 300 seconds and go with their master', () => {
    const r = loggedIn();
    r.cl('PORT 192,0,2,10,156,65\r\n');
    // Everything acknowledged, so that the control connection outlives its expectation.
    r.sv('200 ok\r\n');
    r.cl('');
    r.now += 299 * 1_000_000_000;
    expect(r.expectations()).toMatch(/^[01] proto=6 /);
    r.now += 1_000_000_000;
    expect(r.expectations()).toBe('');
    r.cl('PORT 192,0,2,10,156,66\r\n');
    expect(r.expectations()).not.toBe('');
    r.ct.remove(r.control());
    expect(r.expectations()).toBe('');
  });

  it('in IPv6: EPRT |2| and EPSV; PORT is ignored, an IPv4 EPRT dropped', () => {
    const r = loggedIn(true);
    r.cl(`EPRT |2|${C6}|40001|\r\n`);
    expect(r.expectations()).toContain('mask-src=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
    expect(r.data(SRV6, C6, 20, 40001).ctinfo).toBe(IP_CT_RELATED);
    r.cl('PORT 192,0,2,10,156,66\r\n');
    expect(r.expectations()).toBe('');
    expect(r.cl('EPRT |1|192.0.2.10|40002|\r\n')).toBe(false);
  });
});

describe('tftp helper', () => {
  it('a read request expects the server from any port', () => {
    const r = new Rig(false, 'tftp');
    const rrq = new Uint8Array([0, 1, ...enc.encode('f\0octet\0')]);
    r.send(ipv4({ src: C, dst: SRV }, udp({ sport: 3000, dport: 69, payload: rrq })), r.tmpl());
    expect(r.expectations()).toContain('proto=17 src=203.0.113.21 dst=192.0.2.10 sport=0 dport=3000');
    const d = r.send(ipv4({ src: SRV, dst: C }, udp({ sport: 33000, dport: 3000, payload: new Uint8Array([0, 3, 0, 1]) }))).skb;
    expect(d.ctinfo).toBe(IP_CT_RELATED);
    expect(r.ct.list(r.now)).toContain('dport=3000 mark=0 helper=tftp use=1');
  });
});
