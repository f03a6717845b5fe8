/**
 * The SCTP tracker against facts recorded from Linux 6.18 (golden `sctp`):
 * an INIT opens a CLOSED entry (10 s) that an INIT retransmitted does not
 * refresh, the set-up reaches ESTABLISHED (210 s, ASSURED), wrong tags and
 * out-of-the-blue chunks are INVALID, and conntrack -L prints the state.
 */
import { describe, expect, it } from 'vitest';
import { ipv4, ipv6, sctp, sctpInit, type SctpChunk } from '../../packet/build.js';
import { Hook, NF_ACCEPT, Skb } from '../types.js';
import { CT_INVALID, CT_TRACKED, Conntrack, IPS_ASSURED, IP_CT_ESTABLISHED_REPLY, IP_CT_NEW, SctpState } from './index.js';

const S = 1_000_000_000;
const C = '192.0.2.10';
const V = '203.0.113.5';

const INIT = 1;
const INIT_ACK = 2;
const ABORT = 6;
const COOKIE_ECHO = 10;
const COOKIE_ACK = 11;
const SHUTDOWN = 7;
const SHUTDOWN_ACK = 8;
const SHUTDOWN_COMPLETE = 14;
const HEARTBEAT = 4;
const HEARTBEAT_ACK = 5;

const ch = (type: number, value: Uint8Array = new Uint8Array(4), flags = 0): SctpChunk => ({ type, value, flags });
const data = (): SctpChunk => ({ type: 0, flags: 3, value: new Uint8Array(16) });

class Rig {
  readonly ct = new Conntrack();
  now = 0;
  constructor(readonly v6 = false) {}
  send(from: 'c' | 's', vtag: number, chunks: SctpChunk[], o: { bad?: boolean; at?: number; sport?: number } = {}): Skb {
    if (o.at !== undefined) this.now = o.at;
    const cp = o.sport ?? 5000;
    const l4 =
      from === 'c' ? sctp({ sport: cp, dport: 36412, vtag, chunks, badChecksum: o.bad }) : sctp({ sport: 36412, dport: cp, vtag, chunks, badChecksum: o.bad });
    const [src, dst] = this.v6 ? ['2001:db8:2::10', '2001:db8:99::5'] : [C, V];
    const [a, b] = from === 'c' ? [src, dst] : [dst, src];
    const ip = this.v6 ? ipv6({ src: a, dst: b }, l4) : ipv4({ src: a, dst: b }, l4);
    const skb = this.v6 ? new Skb().loadV6(ip) : new Skb().load(ip);
    const v = this.ct.in(skb, Hook.PreRouting, this.now);
    if (v === NF_ACCEPT) this.ct.confirm(skb, this.now);
    return skb;
  }
  setup(): void {
    this.send('c', 0, [ch(INIT, sctpInit(0x1111))]);
    this.send('s', 0x1111, [ch(INIT_ACK, sctpInit(0x2222))]);
    this.send('c', 0x2222, [ch(COOKIE_ECHO)]);
    this.send('s', 0x1111, [ch(COOKIE_ACK, new Uint8Array(0))]);
  }
  state(): number {
    const all = [...this.ct.entries(this.now)];
    expect(all).toHaveLength(1);
    return all[0]!.sctp!.state;
  }
}

describe('SCTP conntrack', () => {
  it('INIT opens a CLOSED entry of 10 s; the set-up reaches ESTABLISHED, ASSURED, 210 s', () => {
    const r = new Rig();
    const init = r.send('c', 0, [ch(INIT, sctpInit(0x1111))]);
    expect(init.ctinfo).toBe(IP_CT_NEW);
    expect(r.state()).toBe(SctpState.Closed);
    expect(r.ct.list(r.now)).toBe(
      'sctp     132 10 CLOSED src=192.0.2.10 dst=203.0.113.5 sport=5000 dport=36412 [UNREPLIED] src=203.0.113.5 dst=192.0.2.10 sport=36412 dport=5000 mark=0 use=1\n',
    );
    const ack = r.send('s', 0x1111, [ch(INIT_ACK, sctpInit(0x2222))]);
    expect(ack.ctinfo).toBe(IP_CT_ESTABLISHED_REPLY);
    expect(r.state()).toBe(SctpState.CookieWait);
    r.send('c', 0x2222, [ch(COOKIE_ECHO), data()]);
    expect(r.state()).toBe(SctpState.CookieEchoed);
    r.send('s', 0x1111, [ch(COOKIE_ACK, new Uint8Array(0))]);
    expect(r.state()).toBe(SctpState.Established);
    const [c] = [...r.ct.entries(r.now)];
    expect(c!.status & IPS_ASSURED).toBe(IPS_ASSURED);
    expect(r.ct.list(r.now)).toContain('sctp     132 210 ESTABLISHED src=192.0.2.10');
  });

  it('checks verification tags; a wrong one is INVALID and changes nothing', () => {
    const r = new Rig();
    r.setup();
    expect(r.send('c', 0x2222, [data()]).ctState).toBe(CT_TRACKED);
    expect(r.send('c', 0x9999, [data()]).ctState).toBe(CT_INVALID);
    expect(r.send('s', 0x2222, [data()]).ctState).toBe(CT_INVALID);
    // ABORT: the sender's own tag without T, the peer's with it.
    expect(r.send('s', 0x7777, [ch(ABORT, new Uint8Array(0))]).ctState).toBe(CT_INVALID);
    expect(r.state()).toBe(SctpState.Established);
    expect(r.send('s', 0x2222, [ch(ABORT, new Uint8Array(0), 1)]).ctState).toBe(CT_TRACKED);
    expect(r.state()).toBe(SctpState.Closed);
  });

  it('shuts down: SHUTDOWN_SENT, SHUTDOWN_ACK_SENT, CLOSED', () => {
    const r = new Rig(true);
    r.setup();
    r.send('c', 0x2222, [ch(SHUTDOWN)]);
    expect(r.state()).toBe(SctpState.ShutdownSent);
    r.send('s', 0x1111, [ch(SHUTDOWN_ACK, new Uint8Array(0))]);
    expect(r.state()).toBe(SctpState.ShutdownAckSent);
    r.send('c', 0x2222, [ch(SHUTDOWN_COMPLETE, new Uint8Array(0))]);
    expect(r.state()).toBe(SctpState.Closed);
    expect(r.ct.list(r.now)).toContain('sctp     132 10 CLOSED src=2001:db8:2::10 dst=2001:db8:99::5');
  });

  it('out-of-the-blue chunks, an INIT with a tag or not alone, a wrong CRC32c are INVALID', () => {
    const r = new Rig();
    expect(r.send('c', 5, [data()]).ctState).toBe(CT_INVALID);
    expect(r.send('c', 5, [ch(COOKIE_ACK, new Uint8Array(0))]).ctState).toBe(CT_INVALID);
    expect(r.send('c', 5, [ch(ABORT, new Uint8Array(0))]).ctState).toBe(CT_INVALID);
    expect(r.send('c', 5, [ch(INIT, sctpInit(1))]).ctState).toBe(CT_INVALID);
    expect(r.send('c', 0, [ch(INIT, sctpInit(1)), data()]).ctState).toBe(CT_INVALID);
    expect(r.send('c', 0, [ch(INIT, sctpInit(1))], { bad: true }).ctState).toBe(CT_INVALID);
    expect(r.send('c', 0, [{ type: 0, length: 0, value: new Uint8Array(4) }]).ctState).toBe(CT_INVALID);
    expect(r.ct.size).toBe(0);
    expect(r.ct.invalid).toBe(7);
  });

  it('an INIT retransmitted in CLOSED does not refresh the entry', () => {
    const r = new Rig();
    r.send('c', 0, [ch(INIT, sctpInit(0x5150))]);
    r.send('c', 0, [ch(INIT, sctpInit(0x5150))], { at: 2 * S });
    expect(r.ct.list(r.now)).toContain(' 8 CLOSED ');
  });

  it('a HEARTBEAT opens a secondary path (HEARTBEAT_SENT, 30 s); its ACK makes it ESTABLISHED', () => {
    const r = new Rig();
    r.send('c', 0xabcd, [ch(HEARTBEAT, new Uint8Array(8))]);
    expect(r.state()).toBe(SctpState.HeartbeatSent);
    expect(r.ct.list(r.now)).toContain(' 30 HEARTBEAT_SENT ');
    r.send('s', 0xdcba, [ch(HEARTBEAT_ACK, new Uint8Array(8))]);
    expect(r.state()).toBe(SctpState.Established);
    expect(r.send('c', 0xabcd, [data()]).ctState).toBe(CT_TRACKED);
  });
});
