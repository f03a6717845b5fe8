import { describe, expect, it } from 'vitest';
import { ipv4, udp } from '../../packet/build.js';
import { addrtypeMatch } from './addrtype.js';
import { checkCtx, dev, params, parseCtx, parseError, roundTrip, run, skbOf, usesOf } from './test-util.js';
import { hookBits } from '../xt.js';
import { Hook, RouteType, type NetDevice } from '../types.js';
import { parseIPv4 } from '../../packet/addr.js';

const ROWS: Array<[string, string]> = [
  ['--src-type LOCAL', '--src-type LOCAL'],
  ['--dst-type LOCAL', '--dst-type LOCAL'],
  ['--src-type LOCAL,UNICAST', '--src-type UNICAST,LOCAL'],
  ['! --src-type LOCAL', '! --src-type LOCAL'],
  ['--src-type local', '--src-type LOCAL'],
  [
    '--src-type BLACKHOLE,UNREACHABLE,PROHIBIT,THROW,NAT,XRESOLVE,UNSPEC,ANYCAST,MULTICAST,BROADCAST',
    '--src-type UNSPEC,BROADCAST,ANYCAST,MULTICAST,BLACKHOLE,UNREACHABLE,PROHIBIT,THROW,NAT,XRESOLVE',
  ],
  ['--src-type LOCAL --dst-type UNICAST', '--src-type LOCAL --dst-type UNICAST'],
  ['! --src-type LOCAL ! --dst-type UNICAST', '! --src-type LOCAL ! --dst-type UNICAST'],
  ['--src-type LOCAL --limit-iface-in', '--src-type LOCAL --limit-iface-in'],
  ['--src-type LOCAL --limit-iface-out', '--src-type LOCAL --limit-iface-out'],
  ['--limit-iface-in --dst-type LOCAL', '--dst-type LOCAL --limit-iface-in'],
  ['--dst-type UNSPEC', '--dst-type UNSPEC'],
  ['--dst-type LOCAL,LOCAL', '--dst-type LOCAL'],
];
const BAD: Array<[string, string]> = [
  ['--src-type FOO', 'addrtype: bad type "FOO"'],
  ['--src-type 2', 'addrtype: bad type "2"'],
  ['--dst-type LOCAL,', 'addrtype: bad type ""'],
  ['', 'addrtype: you must specify --src-type or --dst-type'],
  ['--limit-iface-in', 'addrtype: you must specify --src-type or --dst-type'],
  ['--src-type LOCAL --limit-iface-in --limit-iface-out', 'addrtype: option "--limit-iface-out" cannot be used together with "--limit-iface-in".'],
  ['--src-type LOCAL --src-type UNICAST', 'addrtype: option "--src-type" can only be used once.'],
  ['! --limit-iface-in --src-type LOCAL', 'addrtype: option "--limit-iface-in" cannot be inverted.'],
];

describe('addrtype: parse -> save (iptables-save 1.8.9)', () => {
  it.each(ROWS)('%s', (i, s) => expect(roundTrip(addrtypeMatch, i)).toBe(s));
  it.each(BAD)('refuse %s', (i, e) => expect(parseError(addrtypeMatch, i)).toContain(e));
});

describe('addrtype: the kernel limits the interface options by hook', () => {
  const cfg = (t: string) => addrtypeMatch.parse(usesOf(addrtypeMatch, t), parseCtx());
  it.each([
    ['--src-type LOCAL --limit-iface-in', Hook.LocalIn, ''],
    ['--src-type LOCAL --limit-iface-out', Hook.LocalIn, 'output interface limitation not valid in PREROUTING and INPUT'],
    ['--dst-type LOCAL --limit-iface-out', Hook.PreRouting, 'output interface limitation not valid in PREROUTING and INPUT'],
    ['--src-type LOCAL --limit-iface-in', Hook.LocalOut, 'input interface limitation not valid in POSTROUTING and OUTPUT'],
    ['--dst-type LOCAL --limit-iface-in', Hook.PostRouting, 'input interface limitation not valid in POSTROUTING and OUTPUT'],
    ['--src-type LOCAL --limit-iface-out', Hook.LocalOut, ''],
    ['--src-type LOCAL --limit-iface-in', Hook.Forward, ''],
    ['--src-type LOCAL --limit-iface-out', Hook.Forward, ''],
    ['--src-type LOCAL', Hook.LocalOut, ''],
  ] as const)('%s from hook %i', (text, hook, err) => {
    const f = () => addrtypeMatch.check!(cfg(text), checkCtx(hookBits(hook)));
    if (err) expect(f).toThrow(err);
    else expect(f).not.toThrow();
  });
});

describe('addrtype: matching', () => {
  const cfg = (t: string) => addrtypeMatch.parse(usesOf(addrtypeMatch, t), parseCtx());
  const eth0 = dev('eth0', 2);
  const eth1 = dev('eth1', 3);
  const local = parseIPv4('192.0.2.1')!;
  const bcast = parseIPv4('192.0.2.255')!;
  const seen: Array<NetDevice | null> = [];
  const addrType = (a: number, d: NetDevice | null): RouteType => {
    seen.push(d);
    if (a === local) return d === null || d === eth0 ? RouteType.Local : RouteType.Unicast;
    if (a === bcast) return RouteType.Broadcast;
    return RouteType.Unicast;
  };
  const pkt = (src: string, dst: string) => skbOf(ipv4({ src, dst }, udp({ sport: 1, dport: 2 })));

  it('source and destination types with inversion', () => {
    const par = params(Hook.LocalIn, { addrType, inDev: eth1 });
    expect(run(addrtypeMatch, cfg('--dst-type LOCAL'), pkt('198.51.100.1', '192.0.2.1'), par).matched).toBe(true);
    expect(run(addrtypeMatch, cfg('--dst-type BROADCAST,MULTICAST'), pkt('198.51.100.1', '192.0.2.255'), par).matched).toBe(true);
    expect(run(addrtypeMatch, cfg('! --dst-type LOCAL'), pkt('198.51.100.1', '192.0.2.1'), par).matched).toBe(false);
    expect(run(addrtypeMatch, cfg('--src-type UNICAST --dst-type LOCAL'), pkt('198.51.100.1', '192.0.2.1'), par).matched).toBe(true);
    expect(run(addrtypeMatch, cfg('! --src-type UNICAST --dst-type LOCAL'), pkt('198.51.100.1', '192.0.2.1'), par).matched).toBe(false);
  });

  it('--limit-iface-in asks about the input device, otherwise no device', () => {
    seen.length = 0;
    const par = params(Hook.LocalIn, { addrType, inDev: eth1, outDev: eth0 });
    expect(run(addrtypeMatch, cfg('--dst-type LOCAL --limit-iface-in'), pkt('198.51.100.1', '192.0.2.1'), par).matched).toBe(false);
    expect(seen).toEqual([eth1]);
    seen.length = 0;
    expect(run(addrtypeMatch, cfg('--dst-type LOCAL --limit-iface-out'), pkt('198.51.100.1', '192.0.2.1'), par).matched).toBe(true);
    expect(seen).toEqual([eth0]);
    seen.length = 0;
    expect(run(addrtypeMatch, cfg('--dst-type LOCAL'), pkt('198.51.100.1', '192.0.2.1'), par).matched).toBe(true);
    expect(seen).toEqual([null]);
  });
});
