/**
 * `-m realm` and the realms of the machine file's routes and rules: the
 * rule texts as iptables-restore and iptables-save 1.8.9 gave them back on
 * Debian (and, as root, as they do here), the kernel's refusals by hook,
 * the realms through the machine file, and the realms the guest's routes
 * give packets. The kernel's counters on traffic are in golden realm.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadMachineFile, machineFileText, parseMachineFile } from '../../machine/machine-file.js';
import { replay } from '../../replay.js';
import { Fib, setClassTag } from '../../net/fib.js';
import { Family } from '../../packet/inet-addr.js';
import { cofwOutcome, kernelRows, liveUnavailable, type KernelRow } from '../kernel-rows.js';

const ROWS: readonly KernelRow[] = [
  { rule: '-A INPUT -m realm --realm 5', save: '-A INPUT -m realm --realm 0x5' },
  { rule: '-A INPUT -m realm --realm cosmos', save: '-A INPUT -m realm --realm cosmos' },
  { rule: '-A INPUT -m realm --realm 0', save: '-A INPUT -m realm --realm cosmos' },
  { rule: '-A INPUT -m realm --realm 0/0xffffffff', save: '-A INPUT -m realm --realm cosmos' },
  { rule: '-A INPUT -m realm ! --realm cosmos', save: '-A INPUT -m realm ! --realm cosmos' },
  { rule: '-A INPUT -m realm --realm 0x10/0xf0', save: '-A INPUT -m realm --realm 0x10/0xf0' },
  { rule: '-A INPUT -m realm --realm 0/0', save: '-A INPUT -m realm --realm 0x0/0x0' },
  { rule: '-A INPUT -m realm ! --realm 010', save: '-A INPUT -m realm ! --realm 0x8' },
  { rule: '-A INPUT -m realm --realm 4294967295', save: '-A INPUT -m realm --realm 0xffffffff' },
  { rule: '-A FORWARD -m realm --realm 0x30000/0xffff0000', save: '-A FORWARD -m realm --realm 0x30000/0xffff0000' },
  { rule: '-A OUTPUT -m realm --realm 7', save: '-A OUTPUT -m realm --realm 0x7' },
  { rule: '-A POSTROUTING -m realm --realm 1', save: '-A POSTROUTING -m realm --realm 0x1', table: 'mangle' },
  { rule: '-A INPUT -m realm --realm 1', save: '-A INPUT -m realm --realm 0x1', table: 'nat' },
  { rule: '-A OUTPUT -m realm --realm 1', save: '-A OUTPUT -m realm --realm 0x1', table: 'raw' },
  { rule: '-A INPUT -j c', before: [':c - [0:0]', '-A c -m realm --realm 2'], save: '-A c -m realm --realm 0x2' },
  { rule: '-A PREROUTING -m realm --realm 1', save: null, error: 'only valid from INPUT/FORWARD/OUTPUT/POSTROUTING', table: 'mangle' },
  { rule: '-A PREROUTING -m realm --realm 1', save: null, error: 'only valid from INPUT/FORWARD/OUTPUT/POSTROUTING', table: 'raw' },
  { rule: '-A PREROUTING -m realm --realm 1', save: null, error: 'only valid from INPUT/FORWARD/OUTPUT/POSTROUTING', table: 'nat' },
  // A user chain's rules are checked by nf_tables when a jump from PREROUTING reaches them: refused at that jump.
  { rule: '-A PREROUTING -j c', before: [':c - [0:0]', '-A c -m realm --realm 1'], save: null, error: 'only valid from', table: 'mangle' },
  { rule: '-A INPUT -m realm', save: null, error: 'realm: option "--realm" must be specified' },
  { rule: '-A INPUT -m realm --realm foo', save: null, error: 'realm: could not map name foo to an integer value for option "--realm".' },
  { rule: '-A INPUT -m realm --realm Cosmos', save: null, error: 'could not map name Cosmos' },
  { rule: '-A INPUT -m realm --realm 5x', save: null, error: 'could not map name 5x' },
  { rule: '-A INPUT -m realm --realm -1', save: null, error: 'could not map name -1' },
  { rule: '-A INPUT -m realm --realm 4294967296', save: null, error: 'could not map name 4294967296' },
  { rule: '-A INPUT -m realm --realm 5/', save: null, error: 'realm: bad integer value for option "--realm", or out of range.' },
  { rule: '-A INPUT -m realm --realm 5/x', save: null, error: 'realm: bad integer value for option "--realm", or out of range.' },
  { rule: '-A INPUT -m realm --realm 1/-1', save: null, error: 'realm: bad integer value for option "--realm", or out of range.' },
  { rule: '-A INPUT -m realm --realm 5/1x', save: null, error: 'trailing garbage' },
  { rule: '-A INPUT -m realm --realm 1 --realm 2', save: null, error: 'realm: option "--realm" can only be used once.' },
];

describe('-m realm: the rule text', () => {
  it.each(ROWS.map((r) => [r.rule, r] as const))('%s', (_, row) => {
    expect(cofwOutcome(row)).toBe(row.save);
  });
  const why = liveUnavailable();
  it.skipIf(why !== '')('the real iptables-restore and iptables-save still answer as recorded', () => {
    expect(kernelRows(ROWS, 'rl')).toEqual(ROWS.map((r) => r.save));
  });
  if (why) it.skip(`live: ${why}`, () => {});
  it('is IPv4 only, as libipt_realm: ip6tables cannot load it', () => {
    expect(cofwOutcome({ rule: '-A INPUT -m realm --realm 1', save: null, family: 6 })).toBeNull();
  });
});

const MACHINE = `hostname: t
interfaces:
  - {name: eth0, addresses: [198.51.100.1/24]}
  - {name: eth1, addresses: [192.0.2.1/24]}
routes:
  - {to: default, via: 198.51.100.254, realm: 1}
  - {to: 203.0.113.0/25, via: 198.51.100.254, realm: "2/3"}
  - {to: 192.0.2.128/25, dev: eth1, realm: 9}
`;

describe('realms in the machine file', () => {
  const text = (realm: string): string =>
    `hostname: t\ninterfaces:\n  - {name: eth0, addresses: [192.0.2.1/24]}\nroutes:\n  - {to: default, via: 192.0.2.254, realm: ${realm}}\n`;
  it('reads iproute2 forms (a raw number, FROM/TO with numbers up to 255 or cosmos) and writes them back', () => {
    const cases: Array<[string, number | undefined]> = [
      ['5', 5],
      ['0x10', 16],
      ['"010"', 8],
      ['65536', 0x10000],
      ['4294967295', 0xffffffff],
      ['"3/7"', 0x30007],
      ['"cosmos/4"', 4],
      ['"5/cosmos"', 0x50000],
      ['"6/"', 0x60000],
      ['0', undefined],
      ['cosmos', undefined],
    ];
    for (const [v, want] of cases) {
      const m = parseMachineFile(text(v), 'm.yaml');
      expect([v, m.routes[0]!.realm]).toEqual([v, want]);
      const again = parseMachineFile(machineFileText(m), 'again.yaml');
      expect(again.routes[0]!.realm).toBe(want);
    }
  });
  it('refuses what iproute2 refuses, and realms of IPv6 routes and rules', () => {
    for (const bad of ['-1', '4294967296', '"/4"', '"300/2"', '"1/256"', 'wan', '1.5', '"1/2/3"'])
      expect(() => parseMachineFile(text(bad), 'bad.yaml')).toThrow(/bad\.yaml:5:\d+: realm `.*': accepted are/);
    expect(() =>
      parseMachineFile(`interfaces:\n  - {name: eth0, addresses: [2001:db8::1/64]}\nroutes:\n  - {to: "::/0", dev: eth0, realm: 3}\n`, 'v6.yaml'),
    ).toThrow(/v6\.yaml:4:\d+: an IPv6 route has no realms/);
    expect(() =>
      parseMachineFile(`interfaces:\n  - {name: eth0, addresses: [192.0.2.1/24]}\nrules:\n  - {family: ipv6, table: 5, realm: 3}\n`, 'r6.yaml'),
    ).toThrow(/r6\.yaml:4:\d+: an IPv6 rule has no realms/);
  });
  it('a rule of both families keeps its realms in its IPv4 half, and ip rule shows them', () => {
    const m = parseMachineFile(
      `${MACHINE}rules:\n  - {table: main, realm: "3/4", priority: 100}\n  - {action: blackhole, realm: 7, fwmark: 1}\n  - {table: 5, realm: "3/0", iif: eth0}\n`,
      'm.yaml',
    );
    expect(m.rules!.filter((r) => r.family === Family.V4).map((r) => r.realm)).toEqual([0x30004, 7, 0x30000]);
    expect(m.rules!.filter((r) => r.family === Family.V6).map((r) => r.realm)).toEqual([undefined, undefined, undefined]);
    const fib = new Fib(m);
    expect(fib.policy4!.ruleText(m.devices)).toEqual([
      '0:\tfrom all lookup local',
      '98:\tfrom all iif eth0 lookup 5 realms 3/cosmos',
      '99:\tfrom all fwmark 0x1 realms 7 blackhole',
      '100:\tfrom all lookup main realms 3/4',
      '32766:\tfrom all lookup main',
      '32767:\tfrom all lookup default',
    ]);
  });
});

describe('the realms of routes (rt_set_nexthop, fib_validate_source)', () => {
  const ip = (t: string): number => t.split('.').reduce((a, b) => ((a << 8) | Number(b)) >>> 0, 0);
  it('set_class_tag fills only the empty halves', () => {
    expect(setClassTag(0x20003, 0x90004)).toBe(0x20003);
    expect(setClassTag(4, 0x90000)).toBe(0x90004);
    expect(setClassTag(0x50000, 0x90004)).toBe(0x50004);
    expect(setClassTag(0, 0xffffffff)).toBe(0xffffffff);
  });
  it('the route back gives its TO realm as the FROM realm; a broadcast or local source is martian', () => {
    const m = parseMachineFile(MACHINE, 'm.yaml');
    const fib = new Fib(m);
    expect(fib.realms).toBe(true);
    const eth1 = m.devices.find((d) => d.name === 'eth1')!;
    expect(fib.checkSourceV4(ip('203.0.113.10'), ip('192.0.2.10'), eth1, true)).toEqual({ bad: null, itag: 0x30000 });
    expect(fib.checkSourceV4(ip('8.8.8.8'), ip('192.0.2.10'), eth1, true)).toEqual({ bad: null, itag: 0x10000 });
    expect(fib.checkSourceV4(ip('192.0.2.10'), ip('8.8.8.8'), null, true)).toEqual({ bad: null, itag: 0 });
    expect(fib.checkSourceV4(ip('192.0.2.200'), 0, null, true)).toEqual({ bad: null, itag: 0x90000 });
    expect(fib.checkSourceV4(ip('192.0.2.255'), 0, null, true)).toEqual({ bad: 'type', itag: 0 });
    expect(fib.checkSourceV4(ip('192.0.2.1'), 0, null, false)).toEqual({ bad: 'local', itag: 0 });
    expect(fib.checkSourceV4(ip('192.0.2.1'), 0, null, true)).toEqual({ bad: null, itag: 0 });
    expect(fib.lookupV4(ip('203.0.113.1')).realm).toBe(0x20003);
    expect(fib.lookupV4(ip('192.0.2.129')).realm).toBe(9);
    expect(fib.lookupV4(ip('192.0.2.1')).realm ?? 0).toBe(0);
  });
  it('a rule lends its realms: its TO realm to the route found, its FROM realm to the route back', () => {
    const m = parseMachineFile(`${MACHINE}rules:\n  - {from: 192.0.2.0/26, table: main, realm: "5/6", priority: 100}\n`, 'm.yaml');
    const fib = new Fib(m);
    const r = fib.inputV4(
      ip('8.8.8.8'),
      ip('192.0.2.10'),
      0,
      m.devices.find((d) => d.name === 'eth1')!,
    );
    expect([r.realm, r.ruleRealm]).toEqual([1, 0x50006]);
    // The route back to 8.8.8.8 is looked up from the packet's destination, 192.0.2.10: through the rule.
    expect(fib.checkSourceV4(ip('8.8.8.8'), ip('192.0.2.10'), null, true)).toEqual({ bad: null, itag: 0x10005 });
    expect(fib.checkSourceV4(ip('192.0.2.10'), ip('8.8.8.8'), null, true)).toEqual({ bad: null, itag: 0 });
  });
});

describe('rule realms and workers', () => {
  it('a rule set with -m realm on a machine whose rules have realms replays on one worker, saying why', async () => {
    const dir = join(import.meta.dirname, '..', '..', '..', 'test', 'golden', 'realm-rules');
    const notes: string[] = [];
    const r = await replay({
      rulesFile: join(dir, 'rules.v4'),
      machine: loadMachineFile(join(dir, 'machine.yaml')),
      captures: [join(dir, 'capture.pcap')],
      workers: 2,
      onNote: (n) => notes.push(n),
    });
    expect(notes).toEqual([
      "cofw: --workers 2: replaying on one worker: the machine's policy rules have realms, which the routes the kernel caches on a next hop carry to the packets of every connection routed there (-m realm reads them)",
    ]);
    // The cached route: three forwarded packets with realms 5/1, as the kernel counted them.
    expect(r.save).toContain('[3:144] -A FORWARD -m realm --realm 0x50001');
  });
});
