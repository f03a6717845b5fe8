import { describe, expect, it } from 'vitest';
import { parseIPv4 } from '../packet/addr.js';
import { Family, InetAddr, parseInetAddr } from '../packet/inet-addr.js';
import { parseMachineFile } from '../machine/machine-file.js';
import { RouteType } from '../netfilter/types.js';
import { Fib } from './fib.js';
import { Fib6 } from './fib6.js';

const SPEC = parseMachineFile(
  `interfaces:
  - name: eth0
    mac: "02:00:00:00:00:01"
    addresses: [198.51.100.1/24, 2001:db8:0:1::1/64]
  - name: eth1
    mac: "02:00:00:00:01:01"
    addresses: [192.0.2.1/24, 2001:db8:0:2::1/64, 2001:db8:0:2::2/64]
  - name: eth2
    mac: "02:00:00:00:02:01"
    addresses: [10.9.0.1/16, 2001:db8:9::1/48]
routes:
  - to: 10.0.0.0/8
    via: 10.9.0.254
  - to: default
    via: 198.51.100.254
  - to: 2001:db8::/32
    via: 2001:db8:9::fe
  - to: 2001:db8:0:2:8000::/65
    dev: eth0
  - to: default
    via: 2001:db8:0:1::fe
`,
  'm.yaml',
);
const fib = new Fib(SPEC);
const dev = (name: string) => SPEC.devices.find((d) => d.name === name)!;
const n4 = (t: string): number => parseIPv4(t)!;
const a = (t: string): InetAddr => parseInetAddr(t)!;

describe('IPv4 table (numbers, the per-packet path)', () => {
  it('local, broadcast, connected, routes, longest prefix first', () => {
    expect(fib.lookupV4(n4('192.0.2.1'))).toEqual({ type: RouteType.Local, dev: dev('lo'), gateway: n4('192.0.2.1') });
    expect(fib.lookupV4(n4('192.0.2.255')).type).toBe(RouteType.Broadcast);
    // On-link: no gateway (the next hop is the destination itself, as the kernel's rt_gw4 of 0).
    expect(fib.lookupV4(n4('192.0.2.77'))).toEqual({ type: RouteType.Unicast, dev: dev('eth1'), gateway: 0 });
    expect(fib.lookupV4(n4('10.200.0.1'))).toEqual({ type: RouteType.Unicast, dev: dev('eth2'), gateway: n4('10.9.0.254') });
    expect(fib.lookupV4(n4('10.9.7.7')).gateway).toBe(0);
    expect(fib.lookup(InetAddr.v4(n4('10.9.7.7'))).gateway).toEqual(InetAddr.v4(n4('10.9.7.7')));
    expect(fib.lookupV4(n4('203.0.113.5'))).toEqual({ type: RouteType.Unicast, dev: dev('eth0'), gateway: n4('198.51.100.254') });
    expect(fib.lookupV4(n4('224.0.0.5')).type).toBe(RouteType.Multicast);
    expect(fib.deviceForV4(n4('10.200.0.1'))).toBe(dev('eth2'));
    expect(fib.isLocalV4(n4('127.3.2.1'))).toBe(true);
    expect(fib.isLocalV4(n4('192.0.2.2'))).toBe(false);
    expect(fib.addrTypeV4(n4('198.51.100.255'))).toBe(RouteType.Broadcast);
    expect(fib.addrTypeOnV4(n4('198.51.100.1'), dev('eth1'))).toBe(RouteType.Unicast);
    expect(fib.selectSourceV4(dev('eth2'), n4('10.200.0.1'))).toBe(n4('10.9.0.1'));
    expect(fib.selectSourceV4(dev('eth1'), n4('203.0.113.5'))).toBe(n4('192.0.2.1'));
  });

  it("the network address is no broadcast (Linux 6.18's local table has none for it)", () => {
    expect(fib.addrTypeV4(n4('192.0.2.0'))).toBe(RouteType.Unicast);
    expect(fib.lookupV4(n4('192.0.2.0'))).toEqual({ type: RouteType.Unicast, dev: dev('eth1'), gateway: 0 });
  });

  it('answers with objects made once with the table (the per-packet path allocates nothing)', () => {
    for (const t of ['192.0.2.1', '192.0.2.255', '192.0.2.77', '10.200.0.1', '203.0.113.5', '127.0.0.1', '224.0.0.5', '255.255.255.255']) {
      expect(fib.lookupV4(n4(t)), t).toBe(fib.lookupV4(n4(t)));
    }
    expect(fib.lookupV4(n4('192.0.2.77'))).toBe(fib.lookupV4(n4('192.0.2.78')));
    expect(fib.lookupV4(n4('127.3.2.1'))).toEqual({ type: RouteType.Local, dev: dev('lo'), gateway: 0 });
    expect(fib.lookupV4(n4('255.255.255.255'))).toEqual({ type: RouteType.Broadcast, dev: null, gateway: 0xffffffff });
  });

  it('fib_lookup as rpfilter asks it: local routes on their interface, no special case for 255.255.255.255 or multicast', () => {
    expect(fib.fibLookupV4(n4('192.0.2.1'))).toEqual({ type: RouteType.Local, dev: dev('eth1') });
    expect(fib.fibLookupV4(n4('127.0.0.1'))).toEqual({ type: RouteType.Local, dev: dev('lo') });
    expect(fib.fibLookupV4(n4('192.0.2.255')).type).toBe(RouteType.Broadcast);
    expect(fib.fibLookupV4(n4('255.255.255.255'))).toEqual({ type: RouteType.Unicast, dev: dev('eth0') });
    expect(fib.fibLookupV4(n4('224.1.1.1'))).toEqual({ type: RouteType.Unicast, dev: dev('eth0') });
    expect(fib.fibLookupV4(n4('0.0.0.0'))).toEqual({ type: RouteType.Unicast, dev: dev('eth0') });
    expect(fib.fibLookupV4(n4('10.200.0.1'))).toEqual({ type: RouteType.Unicast, dev: dev('eth2') });
  });

  it('the IPv6 addresses and routes stay out of it', () => {
    const v4only = new Fib({ ...SPEC, routes: SPEC.routes.filter((r) => r.dst.family === Family.V6) });
    expect(v4only.lookupV4(n4('203.0.113.5')).type).toBe(RouteType.Unreachable);
    expect(v4only.lookupV4(n4('192.0.2.9')).dev).toBe(dev('eth1'));
  });
});

describe('IPv6 table (longest prefix on InetAddr)', () => {
  it('picks the longest prefix: /65 over the connected /64, the connected /64 over /32, /32 over the default', () => {
    expect(fib.lookup(a('2001:db8:0:2:8000::5'))).toEqual({ type: RouteType.Unicast, dev: dev('eth0'), gateway: a('2001:db8:0:2:8000::5') });
    expect(fib.lookup(a('2001:db8:0:2::99'))).toEqual({ type: RouteType.Unicast, dev: dev('eth1'), gateway: a('2001:db8:0:2::99') });
    expect(fib.lookup(a('2001:db8:0:1::99')).dev).toBe(dev('eth0'));
    expect(fib.lookup(a('2001:db8:77::1'))).toEqual({ type: RouteType.Unicast, dev: dev('eth2'), gateway: a('2001:db8:9::fe') });
    expect(fib.lookup(a('2001:db8:9:ab::1'))).toEqual({ type: RouteType.Unicast, dev: dev('eth2'), gateway: a('2001:db8:9:ab::1') });
    expect(fib.lookup(a('2620:0:ccc::2'))).toEqual({ type: RouteType.Unicast, dev: dev('eth0'), gateway: a('2001:db8:0:1::fe') });
    expect(fib.deviceFor(a('2620:0:ccc::2'))).toBe(dev('eth0'));
  });

  it('knows its own addresses, ::1, subnet-router anycast and multicast', () => {
    expect(fib.lookup(a('2001:db8:0:2::2'))).toEqual({ type: RouteType.Local, dev: dev('lo'), gateway: a('2001:db8:0:2::2') });
    expect(fib.lookup(a('::1')).type).toBe(RouteType.Local);
    expect(fib.isLocal(a('2001:db8:0:1::1'))).toBe(true);
    expect(fib.isLocal(a('::1'))).toBe(true);
    expect(fib.isLocal(a('2001:db8:0:1::'))).toBe(false);
    expect(fib.isLocal(a('2001:db8:0:1::2'))).toBe(false);
    expect(fib.addrType(a('2001:db8:0:1::'))).toBe(RouteType.Anycast);
    expect(fib.lookup(a('2001:db8:0:1::')).type).toBe(RouteType.Anycast);
    expect(fib.addrType(a('2001:db8:0:1::1'))).toBe(RouteType.Local);
    expect(fib.addrTypeOn(a('2001:db8:0:1::1'), dev('eth0'))).toBe(RouteType.Local);
    expect(fib.addrTypeOn(a('2001:db8:0:1::1'), dev('eth1'))).toBe(RouteType.Unicast);
    expect(fib.addrType(a('ff02::1'))).toBe(RouteType.Multicast);
    expect(fib.lookup(a('ff02::1'))).toMatchObject({ type: RouteType.Multicast, dev: null });
    expect(fib.addrType(a('::'))).toBe(RouteType.Unspec);
    expect(fib.addrType(a('2620:0:ccc::2'))).toBe(RouteType.Unicast);
  });

  it('without a default route, an address off every prefix is unreachable', () => {
    const t = new Fib6(SPEC.devices, []);
    expect(t.lookup(a('2620:0:ccc::2'))).toMatchObject({ type: RouteType.Unreachable, dev: null });
    expect(t.deviceFor(a('2620:0:ccc::2'))).toBeNull();
    expect(t.lookup(a('2001:db8:0:2::99')).dev).toBe(dev('eth1'));
  });

  it('selects a source on the destination prefix, else the interface first one', () => {
    expect(fib.selectSource(dev('eth1'), a('2001:db8:0:2::99'))).toEqual(a('2001:db8:0:2::1'));
    expect(fib.selectSource(dev('eth2'), a('2620:0:ccc::2'))).toEqual(a('2001:db8:9::1'));
    expect(fib.selectSource(null, a('2620:0:ccc::2'))).toEqual(a('2001:db8:0:1::1'));
    expect(fib.selectSource(dev('eth1'), a('203.0.113.5'))).toEqual(InetAddr.v4(n4('192.0.2.1')));
  });

  it('gives results of the family asked, the IPv4 ones through the numeric table', () => {
    expect(fib.lookup(InetAddr.v4(n4('10.200.0.1')))).toEqual({ type: RouteType.Unicast, dev: dev('eth2'), gateway: InetAddr.v4(n4('10.9.0.254')) });
    expect(fib.isLocal(InetAddr.v4(n4('198.51.100.1')))).toBe(true);
    expect(fib.addrType(InetAddr.v4(n4('192.0.2.255')))).toBe(RouteType.Broadcast);
    // An IPv4 address never matches an IPv6 prefix: ::/0 does not catch 203.0.113.5.
    expect(fib.lookup(InetAddr.v4(n4('203.0.113.5'))).gateway).toEqual(InetAddr.v4(n4('198.51.100.254')));
    expect(fib.v6.lookup(a('::ffff:203.0.113.5')).gateway).toEqual(a('2001:db8:0:1::fe'));
  });

  it('refuses a route whose gateway is of the other family', () => {
    expect(() => new Fib({ ...SPEC, routes: [{ dst: InetAddr.any(Family.V6), prefix: 0, via: InetAddr.v4(1), dev: 'eth0' }] })).toThrow(/not an IPv6 address/);
  });
});
