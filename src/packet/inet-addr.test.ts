import { Address6 } from 'ip-address';
import { describe, expect, it } from 'vitest';
import { Family, InetAddr, parseIPv4Addr, parseIPv6, parseInetAddr } from './inet-addr.js';

describe('InetAddr', () => {
  it('holds IPv4 in word 0 and prints the dotted quad', () => {
    const a = parseIPv4Addr('192.0.2.1')!;
    expect([a.family, a.w0, a.w1, a.w2, a.w3]).toEqual([Family.V4, 0xc0000201, 0, 0, 0]);
    expect(a.toString()).toBe('192.0.2.1');
    expect(a.bytes()).toEqual(Uint8Array.from([192, 0, 2, 1]));
  });

  it('keeps words of 2^31 and more unsigned through every way in and out', () => {
    const hi = InetAddr.v6(0xffffffff, 0x80000000, 0xfe800000, 0xc0000201);
    expect([hi.w0, hi.w1, hi.w2, hi.w3]).toEqual([0xffffffff, 0x80000000, 0xfe800000, 0xc0000201]);
    const b = new Uint8Array(16);
    hi.write(b, 0);
    const back = new InetAddr().readV6(b, 0);
    expect(back.equals(hi)).toBe(true);
    expect(back.w2).toBe(0xfe800000);
    const a = new InetAddr().setV4(0xc6336401);
    expect(a.w0).toBe(0xc6336401);
    expect(a.toString()).toBe('198.51.100.1');
    // Stores take the word modulo 2^32, as the words are unsigned 32-bit values.
    a.w0 = -1;
    expect(a.w0).toBe(0xffffffff);
    a.w0 = 0x1c0000201;
    expect(a.w0).toBe(0xc0000201);
    expect(new InetAddr().copyFrom(a).equals(InetAddr.v4(0xc0000201))).toBe(true);
    expect(a.inNet(InetAddr.v4(0xc0000200), InetAddr.mask(Family.V4, 24))).toBe(true);
    expect(a.inNet(InetAddr.v4(0xc0000300), InetAddr.mask(Family.V4, 24))).toBe(false);
    expect(a.clone().and(InetAddr.mask(Family.V4, 16)).w0).toBe(0xc0000000);
    expect(InetAddr.v4(0xc0000201).compare(InetAddr.v4(0x0a000001))).toBeGreaterThan(0);
    expect(InetAddr.v4(0x80000000).hash(7)).toBe(new InetAddr().readV4(Uint8Array.from([128, 0, 0, 0]), 0).hash(7));
    expect(InetAddr.v4(0x80000000).isZero()).toBe(false);
  });

  it('reads and writes IPv6 in network order', () => {
    const b = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    const a = new InetAddr().readV6(b, 0);
    expect(a.toString()).toBe('2001:db8::1');
    expect(a.bytes()).toEqual(b);
    expect(a.equals(parseIPv6('2001:0db8:0:0::1')!)).toBe(true);
  });

  it('tests prefixes in either family', () => {
    const net = parseInetAddr('2001:db8:100::')!;
    const mask = InetAddr.mask(Family.V6, 40);
    expect(parseInetAddr('2001:db8:1ff::5')!.inNet(net, mask)).toBe(true);
    expect(parseInetAddr('2001:db8:200::5')!.inNet(net, mask)).toBe(false);
    expect(mask.prefixLength()).toBe(40);
    expect(InetAddr.mask(Family.V6, 128).prefixLength()).toBe(128);
    expect(InetAddr.mask(Family.V4, 24).toString()).toBe('255.255.255.0');
    expect(InetAddr.v6(0xffffffff, 0, 0xffffffff, 0).prefixLength()).toBe(-1);
    expect(InetAddr.v4(0xff00ff00).prefixLength()).toBe(-1);
  });

  it('orders addresses as unsigned numbers', () => {
    expect(parseInetAddr('10.0.0.1')!.compare(parseInetAddr('200.0.0.1')!)).toBeLessThan(0);
    expect(parseInetAddr('8000::')!.compare(parseInetAddr('7fff::')!)).toBeGreaterThan(0);
  });

  it('hashes equal addresses alike and families apart in width', () => {
    expect(parseInetAddr('2001:db8::1')!.hash(7)).toBe(parseInetAddr('2001:db8::1')!.hash(7));
    expect(parseInetAddr('2001:db8::1')!.hash(7)).not.toBe(parseInetAddr('2001:db8::2')!.hash(7));
  });

  it('prints IPv6 as glibc inet_ntop does (RFC 5952 and dotted IPv4 tails)', () => {
    const cases: Array<[string, string]> = [
      ['0:0:0:0:0:0:0:0', '::'],
      ['0:0:0:0:0:0:0:1', '::1'],
      ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['fe80::', 'fe80::'],
      ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
      ['::c000:201', '::192.0.2.1'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ];
    for (const [text, printed] of cases) expect(parseIPv6(text)!.toString()).toBe(printed);
  });

  it('refuses what inet_pton refuses', () => {
    for (const bad of ['1::2::3', 'fe80::1%eth0', '2001:db8::/64', '12345::', '::1.2.3', 'g::1', '', ':']) {
      expect(parseIPv6(bad), bad).toBeUndefined();
    }
    for (const bad of ['10.1', '256.0.0.1', '1.2.3.4.5', '01.2.3.4x']) expect(parseIPv4Addr(bad), bad).toBeUndefined();
  });

  // Where the ip-address package and the kernel's tools part ways: each is
  // handled here, not by the package.
  describe('differences from the ip-address package', () => {
    it('the package accepts a zone index and a prefix as an address; inet_pton does not', () => {
      expect(Address6.isValid('fe80::1%eth0')).toBe(true);
      expect(Address6.isValid('2001:db8::/64')).toBe(true);
      expect(parseIPv6('fe80::1%eth0')).toBeUndefined();
    });

    it('the package prints IPv4-mapped addresses in hex; inet_ntop prints a dotted tail', () => {
      expect(new Address6('::ffff:192.0.2.1').correctForm()).toBe('::ffff:c000:201');
      expect(parseIPv6('::ffff:192.0.2.1')!.toString()).toBe('::ffff:192.0.2.1');
    });
  });
});
