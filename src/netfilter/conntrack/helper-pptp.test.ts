import { describe, expect, it } from 'vitest';
import { Family } from '../../packet/inet-addr.js';
import { icmp, ipv4, raw, tcp } from '../../packet/build.js';
import { Hook, NF_ACCEPT, Skb } from '../types.js';
import { helperIndex, lookupHelper } from './helper-registry.js';
import { CallState, PPTP_MESSAGES as M, SessionState, type PptpState } from './helper-pptp.js';
import { Conntrack, IP_CT_ESTABLISHED_REPLY, IP_CT_NEW, IP_CT_RELATED, IP_CT_RELATED_REPLY, ZONE_DIR_BOTH, zoneTemplate, type Conn } from './index.js';

const PNS = '192.0.2.10';
const PAC = '203.0.113.40';

/** A PPTP control message: PPTP header, control header, a body of `size` bytes with `fields` (offset, bytes, value). */
function msg(type: number, size: number, fields: Array<[number, number, number]> = [], magic = 0x1a2b3c4d): Uint8Array {
  const b = new Uint8Array(12 + size);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, b.length);
  dv.setUint16(2, 1);
  dv.setUint32(4, magic);
  dv.setUint16(8, type);
  for (const [off, n, v] of fields) {
    if (n === 1) b[12 + off] = v;
    else dv.setUint16(12 + off, v);
  }
  return b;
}

const sccrq = (): Uint8Array => msg(M.START_SESSION_REQUEST, 144);
const sccrp = (result = 1): Uint8Array => msg(M.START_SESSION_REPLY, 144, [[2, 1, result]]);
const ocrq = (cid: number): Uint8Array => msg(M.OUT_CALL_REQUEST, 156, [[0, 2, cid]]);
const ocrp = (cid: number, peer: number, result = 1, size = 20): Uint8Array =>
  msg(M.OUT_CALL_REPLY, size, [
    [0, 2, cid],
    [2, 2, peer],
    [4, 1, result],
  ]);
const cdn = (cid: number): Uint8Array => msg(M.CALL_DISCONNECT_NOTIFY, 136, [[0, 2, cid]]);

function gre(key: number): Uint8Array {
  return new Uint8Array([0x30, 0x01, 0x88, 0x0b, 0, 4, key >> 8, key & 255, 0, 0, 0, 1, 0xff, 0x03, 0x00, 0x21]);
}

/** A PPTP control connection with the pptp helper, driven packet by packet through in() and confirm(). */
class Rig {
  readonly ct = new Conntrack();
  now = 1_000_000_000;
  cseq = 1000;
  sseq = 900000;

  send(ip: Uint8Array, tmpl = -1): { skb: Skb; ok: boolean } {
    const skb = new Skb().load(ip);
    skb.ctZone = tmpl;
    this.now += 1_000_000;
    expect(this.ct.in(skb, Hook.PreRouting, this.now)).toBe(NF_ACCEPT);
    return { skb, ok: this.ct.confirm(skb, this.now) };
  }
  open(): this {
    const tmpl = zoneTemplate(0, ZONE_DIR_BOTH, false, helperIndex('pptp'));
    this.send(ipv4({ src: PNS, dst: PAC }, tcp({ sport: 40000, dport: 1723, flags: 'S', seq: this.cseq++ })), tmpl);
    this.send(ipv4({ src: PAC, dst: PNS }, tcp({ sport: 1723, dport: 40000, flags: 'SA', seq: this.sseq++, ack: this.cseq })));
    this.send(ipv4({ src: PNS, dst: PAC }, tcp({ sport: 40000, dport: 1723, flags: 'A', seq: this.cseq, ack: this.sseq })));
    return this;
  }
  pns(m: Uint8Array): boolean {
    const r = this.send(ipv4({ src: PNS, dst: PAC }, tcp({ sport: 40000, dport: 1723, flags: 'PA', seq: this.cseq, ack: this.sseq, payload: m })));
    this.cseq += m.length;
    return r.ok;
  }
  pac(m: Uint8Array): boolean {
    const r = this.send(ipv4({ src: PAC, dst: PNS }, tcp({ sport: 1723, dport: 40000, flags: 'PA', seq: this.sseq, ack: this.cseq, payload: m })));
    this.sseq += m.length;
    return r.ok;
  }
  greOut(key: number): Skb {
    return this.send(ipv4({ src: PNS, dst: PAC }, raw(47, gre(key)))).skb;
  }
  greIn(key: number): Skb {
    return this.send(ipv4({ src: PAC, dst: PNS }, raw(47, gre(key)))).skb;
  }
  control(): Conn {
    return [...this.ct.entries(this.now)].find((c) => c.orig.dport === 1723)!;
  }
  state(): PptpState {
    return this.control().helpData as PptpState;
  }
  expectations(): string[] {
    return this.ct.listExpectations(this.now).split('\n').filter(Boolean);
  }
  gre(): string[] {
    return this.ct
      .list(this.now)
      .split('\n')
      .filter((l) => l.startsWith('gre'));
  }
}

function call(r: Rig, pns = 0x1111, pac = 0x2222): Rig {
  r.open().pns(sccrq());
  r.pac(sccrp());
  r.pns(ocrq(pns));
  r.pac(ocrp(pac, pns));
  return r;
}

describe('pptp helper', () => {
  it('is registered for IPv4 TCP only, as in the kernel', () => {
    expect(lookupHelper('pptp', Family.V4, 6)).toBe('ok');
    expect(lookupHelper('pptp', Family.V6, 6)).toBe('absent');
    expect(lookupHelper('pptp', Family.V4, 17)).toBe('absent');
  });

  it('follows the session and the call, and expects the call’s GRE both ways', () => {
    const r = call(new Rig());
    expect(r.state()).toEqual({
      sstate: SessionState.Confirmed,
      cstate: CallState.OutConf,
      pnsCallId: 0x1111,
      pacCallId: 0x2222,
      natPnsCallId: 0,
      natPacCallId: 0,
    });
    expect(r.expectations()).toEqual([
      '300 proto=47 src=192.0.2.10 dst=203.0.113.40 srckey=0x1111 dstkey=0x2222 mask-src=255.255.255.255 mask-dst=255.255.255.255 srckey=0xffff dstkey=0xffff master-src=192.0.2.10 master-dst=203.0.113.40 sport=40000 dport=1723 class=0 helper=pptp',
      '300 proto=47 src=203.0.113.40 dst=192.0.2.10 srckey=0x2222 dstkey=0x1111 mask-src=255.255.255.255 mask-dst=255.255.255.255 srckey=0xffff dstkey=0xffff master-src=192.0.2.10 master-dst=203.0.113.40 sport=40000 dport=1723 class=0 helper=pptp',
    ]);
    // The client's GRE (key: the server's call id) is RELATED; the other expectation is withdrawn.
    const first = r.greOut(0x2222);
    expect(first.ctinfo).toBe(IP_CT_RELATED);
    expect(first.ct!.master).toBe(r.control());
    expect(r.expectations()).toEqual([]);
    // The server's GRE (key: the client's call id) finds the same entry through the keymap.
    const back = r.greIn(0x1111);
    expect(back.ct).toBe(first.ct);
    expect(back.ctinfo).toBe(IP_CT_ESTABLISHED_REPLY);
    expect(r.gre()).toEqual([
      'gre      47 30 src=192.0.2.10 dst=203.0.113.40 srckey=0x1111 dstkey=0x2222 src=203.0.113.40 dst=192.0.2.10 srckey=0x2222 dstkey=0x1111 mark=0 use=1',
    ]);
    // An ICMP error quoting the client's GRE is RELATED to the call (reply direction).
    const quoted = ipv4({ src: PNS, dst: PAC }, raw(47, gre(0x2222)));
    const err = r.send(ipv4({ src: '198.51.100.254', dst: PNS }, icmp({ type: 11, payload: quoted }))).skb;
    expect(err.ct).toBe(first.ct);
    expect(err.ctinfo).toBe(IP_CT_RELATED_REPLY);
  });

  it('drops nothing: malformed and out-of-place messages are let through and ignored', () => {
    const r = new Rig().open();
    expect(r.pns(ocrq(0x1111))).toBe(true);
    expect(r.state().cstate).toBe(CallState.None);
    r.pns(sccrq());
    r.pac(sccrp());
    r.pns(ocrq(0x1111));
    expect(r.pac(ocrp(0x2222, 0x1111, 1, 19))).toBe(true);
    expect(r.pac(msg(M.OUT_CALL_REPLY, 20, [[2, 2, 0x1111]], 0x1a2b3c4e))).toBe(true);
    expect(r.pac(ocrp(0x2222, 0x1112))).toBe(true);
    expect(r.pns(msg(99, 0))).toBe(true);
    expect(r.pns(new Uint8Array([0, 4]))).toBe(true);
    expect(r.state().cstate).toBe(CallState.OutReq);
    expect(r.expectations()).toEqual([]);
    expect(r.greOut(0x2222).ctinfo).toBe(IP_CT_NEW);
  });

  it('Call-Disconnect-Notify removes the keymap and the call’s GRE entry', () => {
    const r = call(new Rig());
    r.greOut(0x2222);
    r.greIn(0x1111);
    r.pac(cdn(0x2222));
    expect(r.gre()).toEqual([]);
    expect(r.state().cstate).toBe(CallState.None);
    // No keymap: the client's GRE has source key 0, a new entry nobody expected.
    const again = r.greOut(0x2222);
    expect(again.ctinfo).toBe(IP_CT_NEW);
    expect(again.ct!.orig.sport).toBe(0);
  });

  it('one call per session: a second call is not expected while the first holds the keymap', () => {
    const r = call(new Rig());
    r.pns(ocrq(0x1112));
    r.pac(ocrp(0x2223, 0x1112));
    expect(r.expectations()).toEqual([]);
    expect(r.state().pacCallId).toBe(0x2223);
    expect(r.greOut(0x2223).ctinfo).toBe(IP_CT_NEW);
    // The first call's GRE still gets its source key from the keymap, though its expectations were evicted.
    const first = r.greOut(0x2222);
    expect(first.ctinfo).toBe(IP_CT_NEW);
    expect(first.ct!.orig.sport).toBe(0x1111);
  });

  it('the control entry’s end takes its GRE entry, expectations and keymap with it', () => {
    const r = call(new Rig());
    const g = r.greIn(0x1111).ct!;
    expect(g.orig.sport).toBe(0x2222);
    r.ct.remove(r.control());
    expect(g.dead).toBe(true);
    expect(r.gre()).toEqual([]);
    expect(r.greIn(0x1111).ct!.orig.sport).toBe(0);

    const r2 = call(new Rig());
    expect(r2.expectations()).toHaveLength(2);
    r2.ct.remove(r2.control());
    expect(r2.expectations()).toEqual([]);
  });

  it('a dropped first GRE packet takes the keymap with it', () => {
    const r = call(new Rig());
    const skb = new Skb().load(ipv4({ src: PNS, dst: PAC }, raw(47, gre(0x2222))));
    r.now += 1_000_000;
    r.ct.in(skb, Hook.PreRouting, r.now);
    expect(skb.ctinfo).toBe(IP_CT_RELATED);
    // Never confirmed (dropped): the next packet finds no keymap.
    expect(r.greIn(0x1111).ct!.orig.sport).toBe(0);
  });
});
