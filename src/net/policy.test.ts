import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMachineFile } from '../machine/machine-file.js';
import { decodeBoot, encodeBoot } from '../machine/passage/boot.js';
import { Family, parseInetAddr } from '../packet/inet-addr.js';
import { RouteType } from '../netfilter/types.js';
import { Fib } from './fib.js';

const HEAD = `interfaces:
  - name: eth0
    mac: "02:00:00:00:00:01"
    addresses: [198.51.100.1/24, 2001:db8:100::1/64]
  - name: eth1
    mac: "02:00:00:00:01:01"
    addresses: [192.0.2.1/24, 2001:db8:2::1/64]
`;

const WG = `${HEAD}routes:
  - {to: default, via: 198.51.100.254, dev: eth0}
  - {to: "::/0", via: "2001:db8:100::fe", dev: eth0}
  - {to: default, via: 192.0.2.200, dev: eth1, table: 51820}
  - {to: "::/0", via: "2001:db8:2::c8", dev: eth1, table: 51820}
rules:
  - {not: true, fwmark: 51820, table: 51820}
  - {table: main, suppress_prefixlength: 0}
`;

const ip = (s: string): number => parseInetAddr(s)!.w0;
const dev = (fib: Fib, r: { dev: { name: string } | null }): string | null => (void fib, r.dev?.name ?? null);

describe('policy routing', () => {
  it('wg-quick: everything through table 51820 but the tunnel (marked) and what main has longer than /0', () => {
    const spec = parseMachineFile(WG, 'wg.yaml');
    const fib = new Fib(spec);
    const eth1 = spec.devices.find((d) => d.name === 'eth1')!;
    const eth0 = spec.devices.find((d) => d.name === 'eth0')!;
    // Forwarded: the default route of main is suppressed, table 51820 answers.
    expect(dev(fib, fib.inputV4(ip('203.0.113.5'), ip('192.0.2.10'), 0, eth1))).toBe('eth1');
    expect(fib.inputV4(ip('203.0.113.5'), ip('192.0.2.10'), 0, eth1).gateway).toBe(ip('192.0.2.200'));
    // A connected /24 of main is not suppressed.
    expect(dev(fib, fib.inputV4(ip('198.51.100.7'), ip('192.0.2.10'), 0, eth1))).toBe('eth0');
    // The tunnel's own packets (mark 51820) use main's default route.
    expect(dev(fib, fib.outputV4(ip('203.0.113.5'), ip('198.51.100.1'), 51820))).toBe('eth0');
    expect(dev(fib, fib.lookupV4(ip('203.0.113.5')))).toBe('eth1');
    // Local addresses come from the local table first.
    expect(fib.inputV4(ip('198.51.100.1'), ip('203.0.113.5'), 0, eth0).type).toBe(RouteType.Local);
    // rpfilter's lookup: with --validmark the mark takes part.
    expect(fib.fibLookupV4(ip('203.0.113.5')).dev?.name).toBe('eth1');
    expect(fib.fibLookupV4(ip('203.0.113.5'), 51820).dev?.name).toBe('eth0');
    // IPv6 alike.
    const v6 = fib.v6;
    const a6 = (s: string) => parseInetAddr(s)!;
    expect(v6.input(a6('2001:db8:5::5'), a6('2001:db8:2::10'), 0, eth1).dev?.name).toBe('eth1');
    expect(v6.output(a6('2001:db8:5::5'), a6('2001:db8:100::1'), 51820).dev?.name).toBe('eth0');
    expect(v6.lookup(a6('2001:db8:100::7')).dev?.name).toBe('eth0');
    // The ingress decision and the address types never go through rules.
    expect(fib.deviceForV4(ip('203.0.113.5'))?.name).toBe('eth0');
    expect(fib.addrTypeV4(ip('192.0.2.1'))).toBe(RouteType.Local);
  });

  it('actions and route types: blackhole, unreachable, prohibit, throw, with the ICMP codes ip_error sends', () => {
    const spec = parseMachineFile(
      `${HEAD}routes:
  - {to: default, via: 198.51.100.254, dev: eth0}
  - {to: 10.1.0.0/16, type: unreachable}
  - {to: 10.2.0.0/16, type: prohibit}
  - {to: 10.3.0.0/16, type: blackhole}
  - {to: 10.4.0.0/16, type: throw, table: 7}
  - {to: 10.0.0.0/8, via: 192.0.2.9, table: 7}
rules:
  - {to: 10.5.0.0/16, action: unreachable}
  - {to: 10.6.0.0/16, action: prohibit}
  - {fwmark: "0x10/0x10", action: blackhole}
  - {fwmark: "0x20/0x20", action: nop}
  - {iif: eth1, table: 7}
`,
      'm.yaml',
    );
    const fib = new Fib(spec);
    const eth1 = spec.devices.find((d) => d.name === 'eth1')!;
    const eth0 = spec.devices.find((d) => d.name === 'eth0')!;
    const r = (d: string, mark = 0, iif = eth0) => fib.inputV4(ip(d), ip('203.0.113.5'), mark, iif);
    expect(r('10.1.0.1')).toMatchObject({ type: RouteType.Unreachable, dev: null, code: 1 });
    expect(r('10.2.0.1')).toMatchObject({ type: RouteType.Prohibit, code: 13 });
    expect(r('10.3.0.1')).toMatchObject({ type: RouteType.Blackhole, code: -1 });
    expect(r('10.5.0.1')).toMatchObject({ type: RouteType.Unreachable, code: 0 });
    expect(r('10.6.0.1')).toMatchObject({ type: RouteType.Prohibit, code: 13 });
    expect(r('10.9.0.1', 0x31)).toMatchObject({ type: RouteType.Blackhole });
    expect(r('10.9.0.1', 0x20).dev?.name).toBe('eth0');
    // Table 7 for packets from eth1 (its 10/8 before main's blackhole); its throw route goes on to the next rules (main).
    expect(r('10.9.0.1', 0, eth1).dev?.name).toBe('eth1');
    expect(r('10.3.0.1', 0, eth1).dev?.name).toBe('eth1');
    expect(r('10.4.0.1', 0, eth1).dev?.name).toBe('eth0');
    // Priorities as the kernel gives them: each rule added without one comes first.
    expect(fib.policy4!.ruleText(spec.devices)).toEqual([
      '0:\tfrom all lookup local',
      '32761:\tfrom all iif eth1 lookup 7',
      '32762:\tfrom all fwmark 0x20/0x20 nop',
      '32763:\tfrom all fwmark 0x10/0x10 blackhole',
      '32764:\tfrom all to 10.6.0.0/16 prohibit',
      '32765:\tfrom all to 10.5.0.0/16 unreachable',
      '32766:\tfrom all lookup main',
      '32767:\tfrom all lookup default',
    ]);
  });

  it('a machine without rules keeps the plain tables (no policy), and its unusual routes still answer', () => {
    const spec = parseMachineFile(`${HEAD}routes:\n  - {to: default, via: 198.51.100.254, dev: eth0}\n  - {to: 10.3.0.0/16, type: blackhole}\n`, 'm.yaml');
    const fib = new Fib(spec);
    expect(fib.policy4).toBeNull();
    expect(fib.v6.policy).toBeNull();
    expect(fib.lookupV4(ip('10.3.0.1')).type).toBe(RouteType.Blackhole);
    expect(fib.deviceForV4(ip('10.3.0.1'))).toBeNull();
  });

  it.each(['policy-routing', 'policy-wg'])('%s: the rules are listed as the kernel listed them (ip rule show)', (name) => {
    const dir = new URL(`../../test/golden/${name}/`, import.meta.url);
    const spec = parseMachineFile(readFileSync(new URL('machine.yaml', dir), 'utf8'), `${name}/machine.yaml`);
    const fib = new Fib(spec);
    const kernel = readFileSync(new URL('kernel.ip-rules', dir), 'utf8').trimEnd().split('\n');
    expect([...fib.policy4!.ruleText(spec.devices), ...fib.v6.policy!.ruleText(spec.devices)]).toEqual(kernel);
  });

  it('rules and tables cross the passage page', () => {
    const spec = parseMachineFile(readFileSync(new URL('../../test/golden/policy-routing/machine.yaml', import.meta.url), 'utf8'), 'm.yaml');
    const back = decodeBoot(encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec })).spec;
    expect(back.rules).toEqual(spec.rules);
    expect(back.routes).toEqual(spec.routes);
    expect(back.rules!.some((r) => r.family === Family.V6)).toBe(true);
  });
});
