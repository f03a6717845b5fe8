/**
 * ICMP of the other family (found by the property tests in
 * test/properties/packets.test.ts): the kernel's nf_conntrack_handle_icmp
 * runs the ICMP error handler for protocol 1 in IPv4 and the ICMPv6 one for
 * protocol 58 in IPv6 only; an IPv4 packet of protocol 58 or an IPv6 packet
 * of protocol 1 is tracked by its protocol's tuple (an 8-byte header, else
 * INVALID) without the error path. cofw ran the ICMPv6 error handler on
 * IPv4 packets, reading IPv6 addresses past their end, and read the ICMP
 * tuple of a header cut short past the packet.
 */
import { describe, expect, it } from 'vitest';
import { ipv4, ipv6, raw } from '../../packet/build.js';
import { Hook, NF_ACCEPT, Skb } from '../types.js';
import { CT_INVALID, CT_TRACKED, Conntrack } from './index.js';
import { guarded, type OobLog } from '../../../test/properties/guard.js';

function track(ct: Conntrack, skb: Skb): number {
  const v = ct.in(skb, Hook.PreRouting, 1_000_000_000);
  if (v === NF_ACCEPT && skb.ct) ct.confirm(skb, 1_000_000_000);
  return v;
}

describe('conntrack: ICMP of the other family', () => {
  it('an IPv4 packet of protocol 58 is tracked as an ICMPv6 query, within its bytes (no ICMPv6 checksum over IPv6 addresses it does not have)', () => {
    const ct = new Conntrack();
    // ICMPv6 echo request (128), id 7, seq 1, in IPv4.
    const ip = ipv4({ src: '192.0.2.10', dst: '198.51.100.1' }, raw(58, Uint8Array.of(128, 0, 0, 0, 0, 7, 0, 1)));
    const log: OobLog = [];
    const skb = new Skb().load(guarded(ip, log));
    expect(track(ct, skb)).toBe(NF_ACCEPT);
    expect(log).toEqual([]);
    expect(skb.ctState).toBe(CT_TRACKED);
    expect(ct.size).toBe(1);
  });

  it('an IPv6 packet of protocol 1 whose ICMP header is cut short is INVALID, read within its bytes', () => {
    const ct = new Conntrack();
    const ip = ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1' }, raw(1, Uint8Array.of(8, 0, 0)));
    const log: OobLog = [];
    const skb = new Skb().loadV6(guarded(ip, log));
    ct.in(skb, Hook.PreRouting, 1_000_000_000);
    expect(log).toEqual([]);
    expect(skb.ctState).toBe(CT_INVALID);
    expect(skb.ct).toBeNull();
  });

  it('an IPv6 packet of protocol 1 is tracked as an ICMP query, not checked as an ICMPv4 error', () => {
    const ct = new Conntrack();
    // ICMP echo request (8) in IPv6, its checksum not right: only the ICMPv4 error handler, not run here, checks it.
    // And an ICMP "error" (3) that the ICMPv4 handler would have read as quoting an IPv4 header.
    const echo = new Skb().loadV6(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1' }, raw(1, Uint8Array.of(8, 0, 0, 0, 0, 9, 0, 1))));
    expect(track(ct, echo)).toBe(NF_ACCEPT);
    expect(echo.ctState).toBe(CT_TRACKED);
    const log: OobLog = [];
    const err = new Skb().loadV6(guarded(ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1' }, raw(1, Uint8Array.of(3, 1, 0, 0, 0, 0, 0, 0))), log));
    track(ct, err);
    expect(log).toEqual([]);
    // Not a query with a reply type (icmp_pkt_to_tuple's invmap): INVALID, as the kernel's icmp tracker leaves it.
    expect(err.ctState).toBe(CT_INVALID);
  });
});
