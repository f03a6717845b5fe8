/**
 * Hop-by-hop options as ip6_rcv_core reads them before PREROUTING
 * (ipv6_parse_hopopts, ip6_parse_tlv), and the parameter problem
 * icmp6_send makes about an unknown option (recorded from the kernel:
 * test/golden/frag6, its eth0 capture).
 */
import { describe, expect, it } from 'vitest';
import { ipv6, udp } from '../../packet/build.js';
import { l4Checksum6 } from '../../packet/checksum.js';
import { parseIPv6 } from '../../packet/inet-addr.js';
import { buildIcmp6Error } from '../../packet/reject.js';
import { parseHopOpts } from './path.js';

/** A packet whose hop-by-hop header carries `opts` (padded to 8 bytes by the caller). */
function withHbh(opts: number[], dst = '2001:db8:100::1'): Uint8Array {
  const b = new Uint8Array(2 + opts.length);
  b[1] = (b.length >> 3) - 1;
  b.set(opts, 2);
  return ipv6({ src: '2001:db8:99::c', dst, ext: [{ type: 0, bytes: b }] }, udp({ sport: 1, dport: 7000, payload: new Uint8Array(8) }));
}

describe('hop-by-hop options before PREROUTING', () => {
  it('passes padding and known options', () => {
    expect(parseHopOpts(withHbh([1, 4, 0, 0, 0, 0]), 64)).toBeUndefined();
    expect(parseHopOpts(withHbh([5, 2, 0, 0, 1, 0]), 64)).toBeUndefined(); // router alert, PadN of 0
    expect(parseHopOpts(withHbh([0x1e, 0, 1, 2, 0, 0]), 64)).toBeUndefined(); // unknown, action 00: skipped
  });

  it('drops on bad padding (more than 7 bytes in a row, PadN not zeros) and a router alert of the wrong length', () => {
    const p = withHbh([1, 4, 0, 0, 0, 0, 1, 6, 0, 0, 0, 0, 0, 0]);
    expect(parseHopOpts(p, p.length)).toEqual({ reason: expect.stringMatching(/hop-by-hop/) });
    expect(parseHopOpts(withHbh([1, 4, 0, 0, 9, 0]), 64)).toEqual({ reason: expect.stringMatching(/hop-by-hop/) });
    expect(parseHopOpts(withHbh([5, 3, 0, 0, 0, 0]), 64)).toEqual({ reason: expect.stringMatching(/hop-by-hop/) });
  });

  it("follows an unknown option's action: 01 drops, 10 asks for a parameter problem, 11 only to a unicast destination", () => {
    expect(parseHopOpts(withHbh([0x5e, 2, 0, 0, 1, 0]), 64)).toEqual({ reason: expect.stringMatching(/unknown/) });
    expect(parseHopOpts(withHbh([0x9e, 2, 0, 0, 1, 0]), 64)).toEqual({ reason: expect.stringMatching(/unknown/), pointer: 42 });
    expect(parseHopOpts(withHbh([0xde, 2, 0, 0, 1, 0]), 64)).toEqual({ reason: expect.stringMatching(/unknown/), pointer: 42 });
    expect(parseHopOpts(withHbh([0xde, 2, 0, 0, 1, 0], 'ff02::1'), 64)).toEqual({ reason: expect.stringMatching(/unknown/) });
  });
});

describe('the stack’s ICMPv6 errors (icmp6_send)', () => {
  const me = parseIPv6('2001:db8:100::1')!;

  it('a parameter problem about an unknown option: type 4 code 2, the pointer, the whole packet quoted, hop limit 64', () => {
    const orig = withHbh([0x9e, 2, 0, 0, 1, 0]);
    const out = buildIcmp6Error(orig, 4, 2, 42, me)!;
    expect(out.length).toBe(48 + orig.length);
    expect([out[6], out[7], out[40], out[41]]).toEqual([58, 64, 4, 2]);
    expect((out[44]! << 24) | (out[45]! << 16) | (out[46]! << 8) | out[47]!).toBe(42);
    expect(out.subarray(48)).toEqual(orig);
    expect(out.subarray(24, 40)).toEqual(orig.subarray(8, 24));
    expect(l4Checksum6(out, 40, out.length - 40, 58)).toBe(0);
  });

  it('goes to a multicast destination only for a packet too big or an option whose type asks for it', () => {
    const toAll = withHbh([0x9e, 2, 0, 0, 1, 0], 'ff02::1');
    expect(buildIcmp6Error(toAll, 4, 2, 42, me)).not.toBeNull();
    expect(buildIcmp6Error(withHbh([0xde, 2, 0, 0, 1, 0], 'ff02::1'), 4, 2, 42, me)).toBeNull();
    expect(buildIcmp6Error(toAll, 3, 1, 0, me)).toBeNull();
    expect(buildIcmp6Error(toAll, 2, 0, 1280, me)).not.toBeNull();
    expect(buildIcmp6Error(withHbh([1, 4, 0, 0, 0, 0]), 3, 1, 0, me, { toHost: false })).toBeNull();
  });

  it('quotes at most 1232 bytes, and never answers an ICMPv6 error', () => {
    const big = ipv6({ src: '2001:db8:99::5', dst: '2001:db8:100::1' }, udp({ sport: 1, dport: 2, payload: new Uint8Array(1400) }));
    expect(buildIcmp6Error(big, 3, 1, 0, me)!.length).toBe(1280);
    const err = buildIcmp6Error(big, 3, 1, 0, me)!;
    expect(buildIcmp6Error(err, 3, 1, 0, me)).toBeNull();
  });
});
