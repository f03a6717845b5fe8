/**
 * Timeout policies (CT --timeout): an entry made under a template that
 * carries one takes every timeout from it (nf_ct_timeout_lookup), the
 * states the policy leaves out at the namespace's values; other entries
 * keep the defaults. Against the kernel's own rules as golden `ct-timeout`
 * recorded them.
 */
import { describe, expect, it } from 'vitest';
import { icmp, ipv4, ipv6, raw, sctp, sctpInit, tcp, udp } from '../../packet/build.js';
import { Family } from '../../packet/inet-addr.js';
import { Hook, NF_ACCEPT, Skb } from '../types.js';
import { Conntrack, IP_CT_NEW, zoneTemplate } from './index.js';
import { CTTIMEOUT_PROTOCOLS, policyJiffies, trackerOf, type TimeoutPolicy } from './timeout-policy.js';
import { tcpTimeoutJiffies } from './tcp.js';

const C = '192.0.2.10';
const V = '203.0.113.5';
const S = 1e9;

const POLICIES: TimeoutPolicy[] = [
  { name: 'u', family: Family.V4, protocol: 'udp', timeouts: { unreplied: 5, replied: 7 } },
  { name: 't', family: Family.V4, protocol: 'tcp', timeouts: { syn_sent: 11, established: 100 } },
  { name: 'i', family: Family.V4, protocol: 'icmp', timeouts: { timeout: 3 } },
  { name: 'g', family: Family.V4, protocol: 'generic', timeouts: { timeout: 9 } },
  { name: 'u6', family: Family.V6, protocol: 'udp', timeouts: { unreplied: 4 } },
];
/** The template of `CT --timeout` naming POLICIES[i]. */
const tmpl = (i: number): number => zoneTemplate(0, 0, false, 0, i + 1);

function send(ct: Conntrack, ip: Uint8Array, ns: number, template = -1): Skb {
  const skb = (ip[0]! >> 4 === 6 ? new Skb().loadV6(ip) : new Skb().load(ip)) as Skb;
  skb.ctZone = template;
  if (ct.in(skb, Hook.PreRouting, ns) === NF_ACCEPT && skb.ct !== null) ct.confirm(skb, ns);
  return skb;
}
const out = (sport = 5000): Uint8Array => ipv4({ src: C, dst: V }, udp({ sport, dport: 53, payload: new Uint8Array(8) }));
const back = (dport = 5000): Uint8Array => ipv4({ src: V, dst: C }, udp({ sport: 53, dport, payload: new Uint8Array(8) }));
/** Each entry's protocol and remaining seconds, as conntrack -L prints them, then its source port, ordered by that port. */
const left = (ct: Conntrack, ns: number): string[] =>
  ct
    .list(ns)
    .split('\n')
    .filter(Boolean)
    .map((l) => ({ port: Number(/ sport=(\d+)/.exec(l)?.[1] ?? 0), text: l.split(/\s+/).slice(0, 3).join(' ') }))
    .sort((a, b) => a.port - b.port)
    .map((e) => (e.port ? `${e.text} ${e.port}` : e.text));

describe('timeout policies', () => {
  it('a UDP entry under a policy takes its unreplied and replied timeouts; one without keeps the defaults', () => {
    const ct = new Conntrack({ timeoutPolicies: POLICIES });
    send(ct, out(1), 0, tmpl(0));
    send(ct, out(2), 0);
    expect(left(ct, 0)).toEqual(['udp 17 5 1', 'udp 17 30 2']);
    // A reply within 2 s: still the unreplied timeout (nf_conntrack_udp_packet's stream rule); later, the replied one.
    send(ct, back(1), 1 * S, tmpl(0));
    expect(left(ct, 1 * S)[0]).toBe('udp 17 5 1');
    send(ct, out(1), 3 * S);
    expect(left(ct, 3 * S)[0]).toBe('udp 17 7 1');
    // It expires under the policy: 7 s later a packet opens a new entry, which again takes the policy.
    const again = send(ct, out(1), 10 * S + 1, tmpl(0));
    expect(again.ctinfo).toBe(IP_CT_NEW);
    expect(left(ct, 10 * S + 1)[0]).toBe('udp 17 5 1');
  });

  it('the template matters when the entry is made only: a later packet under it changes nothing', () => {
    const ct = new Conntrack({ timeoutPolicies: POLICIES });
    send(ct, out(1), 0);
    send(ct, out(1), 1 * S, tmpl(0));
    expect(left(ct, 1 * S)).toEqual(['udp 17 30 1']);
  });

  it('TCP: the states the policy sets, and the sysctls for the others', () => {
    const ct = new Conntrack({ timeoutPolicies: POLICIES, tcpTimeouts: { synRecv: 33 } });
    const syn = ipv4({ src: C, dst: V }, tcp({ sport: 4000, dport: 80, seq: 100, flags: 'S' }));
    send(ct, syn, 0, tmpl(1));
    expect(left(ct, 0)).toEqual(['tcp 6 11 4000']);
    const synack = ipv4({ src: V, dst: C }, tcp({ sport: 80, dport: 4000, seq: 500, ack: 101, flags: 'SA' }));
    send(ct, synack, 0);
    expect(left(ct, 0)).toEqual(['tcp 6 33 4000']);
    send(ct, ipv4({ src: C, dst: V }, tcp({ sport: 4000, dport: 80, seq: 101, ack: 501, flags: 'A' })), 0);
    expect(left(ct, 0)).toEqual(['tcp 6 100 4000']);
  });

  it('ICMP and the generic tracker', () => {
    const ct = new Conntrack({ timeoutPolicies: POLICIES });
    send(ct, ipv4({ src: C, dst: V }, icmp({ type: 8, rest: 0x00010001 })), 0, tmpl(2));
    send(ct, ipv4({ src: C, dst: V }, raw(50, new Uint8Array(16))), 0, tmpl(3));
    expect(left(ct, 0).sort()).toEqual(['icmp 1 3', 'unknown 50 9']);
  });

  it('an IPv6 policy, its unset state at the machine sysctl', () => {
    const ct = new Conntrack({ timeoutPolicies: POLICIES, timeouts: { udpReplied: 44 } });
    const o = ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }, udp({ sport: 7, dport: 53, payload: new Uint8Array(4) }));
    const b = ipv6({ src: '2001:db8::2', dst: '2001:db8::1' }, udp({ sport: 53, dport: 7, payload: new Uint8Array(4) }));
    send(ct, o, 0, tmpl(4));
    expect(left(ct, 0)).toEqual(['udp 17 4 7']);
    // The first reply still takes the unreplied timeout (IPS_SEEN_REPLY is set after the tracker ran); the next the replied one.
    send(ct, b, 3 * S);
    expect(left(ct, 3 * S)).toEqual(['udp 17 4 7']);
    send(ct, b, 3 * S);
    expect(left(ct, 3 * S)).toEqual(['udp 17 44 7']);
  });

  it('SCTP, GRE and UDP-Lite: the state the policy names, the defaults for the others', () => {
    const policies: TimeoutPolicy[] = [
      { name: 's', family: Family.V4, protocol: 'sctp', timeouts: { closed: 9 } },
      { name: 'g', family: Family.V4, protocol: 'gre', timeouts: { unreplied: 8 } },
      { name: 'l', family: Family.V4, protocol: 'udplite', timeouts: { unreplied: 7, replied: 6 } },
    ];
    // No checksum verification: the UDP-Lite datagrams carry a made-up (non-zero) checksum.
    const ct = new Conntrack({ timeoutPolicies: policies, checksum: false });
    // An INIT: CLOSED, 9 s under the policy (10 by default); then the INIT_ACK: COOKIE_WAIT, the default 3 s.
    send(ct, ipv4({ src: C, dst: V }, sctp({ sport: 5000, dport: 36412, vtag: 0, chunks: [{ type: 1, value: sctpInit(0x1111) }] })), 0, tmpl(0));
    expect(left(ct, 0)).toEqual(['sctp 132 9 5000']);
    send(ct, ipv4({ src: V, dst: C }, sctp({ sport: 36412, dport: 5000, vtag: 0x1111, chunks: [{ type: 2, value: sctpInit(0x2222) }] })), 0);
    expect(left(ct, 0)).toEqual(['sctp 132 3 5000']);
    const gre = (src: string, dst: string): Uint8Array => ipv4({ src, dst }, raw(47, new Uint8Array([0, 0, 0x08, 0x00, ...new Uint8Array(20)])));
    send(ct, gre(C, V), 0, tmpl(1));
    expect(left(ct, 0)).toContain('gre 47 8');
    // Answered (the answer itself still unreplied's), then the replied timeout the policy leaves out, GRE's default 180 s.
    send(ct, gre(V, C), 0);
    expect(left(ct, 0)).toContain('gre 47 8');
    send(ct, gre(C, V), 0);
    expect(left(ct, 0)).toContain('gre 47 180');
    const lite = (sport: number, dport: number, src = C, dst = V): Uint8Array =>
      ipv4({ src, dst }, raw(136, new Uint8Array([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, 0, 8, 0x12, 0x34, 1, 2, 3, 4])));
    send(ct, lite(6000, 7000), 0, tmpl(2));
    expect(left(ct, 0)).toContain('udplite 136 7 6000');
    send(ct, lite(7000, 6000, V, C), 0);
    send(ct, lite(6000, 7000), 0);
    expect(left(ct, 0)).toContain('udplite 136 6 6000');
  });

  it('an entry made again from the free list forgets its policy', () => {
    const ct = new Conntrack({ timeoutPolicies: POLICIES });
    const skb = new Skb().load(out(1));
    skb.ctZone = tmpl(0);
    ct.in(skb, Hook.PreRouting, 0);
    // Dropped before confirmation: the entry goes to the free list.
    skb.ct = null;
    ct.release();
    send(ct, out(2), 0);
    expect(ct.reused).toBe(1);
    expect(left(ct, 0)).toEqual(['udp 17 30 2']);
  });

  it("a policy's arrays: the defaults with the named states replaced; TCP's slot 0 and SCTP's NONE follow", () => {
    const tcpDefaults = tcpTimeoutJiffies();
    const j = policyJiffies({ name: 'x', family: Family.V4, protocol: 'tcp', timeouts: { syn_sent: 1, unacknowledged: 2 } }, tcpDefaults);
    expect(j[0]).toBe(250);
    expect(j[1]).toBe(250);
    expect(j[11]).toBe(500);
    expect(j[3]).toBe(tcpDefaults[3]);
    const s = policyJiffies({ name: 'y', family: Family.V4, protocol: 'sctp', timeouts: { closed: 4 } }, new Array<number>(9).fill(0));
    expect(s.slice(0, 3)).toEqual([1000, 1000, 0]);
    expect(Object.values(CTTIMEOUT_PROTOCOLS).map((p) => trackerOf(p.l4proto))).toEqual([6, 17, 136, 1, 58, 132, 47, 255]);
    expect(trackerOf(33)).toBe(255);
  });
});
