/**
 * ip6_rcv_core's checks as cofw's IPv6 path makes them, for what the
 * rcv-checks golden scenario cannot record from outside: packets received on
 * lo, and a packet failing two checks (the kernel's order names the drop).
 */
import { describe, expect, it } from 'vitest';
import { ipv6, udp } from '../../packet/build.js';
import type { NetDevice } from '../../netfilter/types.js';
import { Ipv6Path, Ipv6Reason, type StackCore } from './path.js';

const lo = { name: 'lo' } as NetDevice;
const eth0 = { name: 'eth0' } as NetDevice;
const path = new Ipv6Path({ lo } as StackCore);
const pkt = (src: string, dst: string): Uint8Array => ipv6({ src, dst }, udp({ sport: 1, dport: 2, payload: new Uint8Array(8) }));

describe('ip6_rcv_core checks', () => {
  it('drops multicast of scope 0 on every device, of scope 1 and loopback addresses only from outside', () => {
    expect(path.validate(pkt('::1', 'ff00::1'), lo, false)).toBe(Ipv6Reason.scopeZero);
    expect(path.validate(pkt('::1', 'ff01::1'), lo, false)).toBeUndefined();
    expect(path.validate(pkt('::1', '::1'), lo, false)).toBeUndefined();
    expect(path.validate(pkt('fe80::2', 'ff01::1'), eth0, false)).toBe(Ipv6Reason.interfaceLocal);
    expect(path.validate(pkt('2001:db8::5', '::1'), eth0, false)).toBe(Ipv6Reason.loopback);
  });

  it('checks in the kernel order: addresses before the payload length, the version first', () => {
    const bad = pkt('ff02::5', '2001:db8::1');
    bad[5] = bad[5]! + 8;
    expect(path.validate(bad, eth0, false)).toBe(Ipv6Reason.multicastSource);
    const loop = pkt('::1', 'ff00::1');
    expect(path.validate(loop, eth0, false)).toBe(Ipv6Reason.loopback);
    loop[0] = 0x40;
    expect(path.validate(loop, eth0, false)).toBe(Ipv6Reason.badVersion);
    expect(path.validate(loop.subarray(0, 39), eth0, false)).toBe(Ipv6Reason.headerShort);
  });

  it('lets an IPv4-mapped source through', () => {
    expect(path.validate(pkt('::ffff:203.0.113.5', '2001:db8::1'), eth0, false)).toBeUndefined();
  });
});
