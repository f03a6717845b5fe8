/**
 * Conntrack zones (nf_conntrack_zone), against what Linux 6.18 recorded
 * (golden `zones`): the same tuple in two zones is two entries, a packet
 * finds only its zone's, a zone of one direction counts as zone 0 in the
 * other, the id may come from the mark, NAT keeps tuples unique per zone,
 * conntrack -L prints `zone=`, `zone-orig=` and `zone-reply=`.
 */
import { describe, expect, it } from 'vitest';
import { icmp, ipv4, udp } from '../../packet/build.js';
import { parseIPv4 } from '../../packet/addr.js';
import { InetAddr } from '../../packet/inet-addr.js';
import { Hook, NF_ACCEPT, Skb } from '../types.js';
import {
  CT_INVALID,
  CT_TRACKED,
  Conntrack,
  IP_CT_ESTABLISHED_REPLY,
  IP_CT_NEW,
  IP_CT_RELATED_REPLY,
  ZONE_DIR_ORIG,
  ZONE_DIR_REPL,
  zoneTemplate,
} from './index.js';

const C = '192.0.2.10';
const V = '203.0.113.5';

function send(ct: Conntrack, ip: Uint8Array, zone = -1, mark = 0, confirm = true): Skb {
  const skb = new Skb().load(ip);
  skb.ctZone = zone;
  skb.mark = mark;
  if (ct.in(skb, Hook.PreRouting, 0) === NF_ACCEPT && confirm) ct.confirm(skb, 0);
  return skb;
}
const out = (sport = 5000): Uint8Array => ipv4({ src: C, dst: V }, udp({ sport, dport: 53, payload: new Uint8Array(8) }));
const back = (dport = 5000): Uint8Array => ipv4({ src: V, dst: C }, udp({ sport: 53, dport, payload: new Uint8Array(8) }));

describe('conntrack zones', () => {
  it('the same tuple in zones 0 and 1 is two entries; each reply finds its own', () => {
    const ct = new Conntrack();
    const z1 = zoneTemplate(1, 0, false);
    expect(send(ct, out()).ctinfo).toBe(IP_CT_NEW);
    expect(send(ct, out(), z1).ctinfo).toBe(IP_CT_NEW);
    expect(ct.size).toBe(2);
    const r1 = send(ct, back(), z1);
    expect(r1.ctinfo).toBe(IP_CT_ESTABLISHED_REPLY);
    expect(r1.ct!.zone).toBe(1);
    expect(ct.list(0)).toBe(
      [
        'udp      17 30 src=192.0.2.10 dst=203.0.113.5 sport=5000 dport=53 [UNREPLIED] src=203.0.113.5 dst=192.0.2.10 sport=53 dport=5000 mark=0 use=1',
        'udp      17 30 src=192.0.2.10 dst=203.0.113.5 sport=5000 dport=53 src=203.0.113.5 dst=192.0.2.10 sport=53 dport=5000 mark=0 zone=1 use=1',
        '',
      ].join('\n'),
    );
  });

  it('a zone of one direction is zone 0 in the other (zone-orig=, zone-reply=)', () => {
    const ct = new Conntrack();
    send(ct, out(1), zoneTemplate(5, ZONE_DIR_ORIG, false));
    // The reply in zone 0 finds it; in zone 5 (reply direction) it does not.
    expect(send(ct, back(1), zoneTemplate(5, ZONE_DIR_REPL, false), 0, false).ctinfo).toBe(IP_CT_NEW);
    expect(send(ct, back(1)).ctinfo).toBe(IP_CT_ESTABLISHED_REPLY);
    send(ct, out(2), zoneTemplate(6, ZONE_DIR_REPL, false));
    expect(send(ct, back(2), zoneTemplate(6, ZONE_DIR_REPL, false)).ctinfo).toBe(IP_CT_ESTABLISHED_REPLY);
    const text = ct.list(0);
    expect(text).toContain('sport=1 dport=53 zone-orig=5 src=203.0.113.5');
    expect(text).toContain('sport=53 dport=2 zone-reply=6 mark=0 use=1');
  });

  it('--zone mark takes the low 16 bits of the mark at lookup', () => {
    const ct = new Conntrack();
    const m = zoneTemplate(0, 0, true);
    send(ct, out(), m, 0x2a);
    const r = send(ct, back(), m, 0x1002a);
    expect(r.ctinfo).toBe(IP_CT_ESTABLISHED_REPLY);
    expect(r.ct!.zone).toBe(42);
  });

  it('an ICMP error is RELATED only in its flow zone', () => {
    const ct = new Conntrack();
    const z1 = zoneTemplate(1, 0, false);
    send(ct, out(), z1);
    const err = ipv4({ src: V, dst: C }, icmp({ type: 3, code: 3, payload: out().subarray(0, 28) }));
    expect(send(ct, err).ctState).toBe(CT_INVALID);
    const ok = send(ct, err, z1);
    expect(ok.ctState).toBe(CT_TRACKED);
    expect(ok.ctinfo).toBe(IP_CT_RELATED_REPLY);
  });

  it('tuples are taken per zone (NAT uniqueness)', () => {
    const ct = new Conntrack();
    const a = send(ct, out()).ct!;
    const b = send(ct, out(), zoneTemplate(2, 0, false)).ct!;
    const reply = { proto: 17, src: InetAddr.v4(parseIPv4(V)!), dst: InetAddr.v4(parseIPv4(C)!), sport: 53, dport: 5000 };
    expect(ct.tupleTaken(reply, null, 0)).toBe(true);
    expect(ct.tupleTaken(reply, a, 0)).toBe(false);
    expect(ct.tupleTaken(reply, b, 0)).toBe(false);
    expect(ct.findEntry(reply, 0, b)).toBe(b);
    expect(ct.findEntry(reply, 0)).toBe(a);
  });
});
