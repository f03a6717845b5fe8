import { describe, expect, it } from 'vitest';
import { Family, InetAddr, parseInetAddr } from '../../packet/inet-addr.js';
import { defaultMachine, parseMachineFile } from '../machine-file.js';
import { decodeBoot, encodeBoot } from './boot.js';
import { ByteWriter } from './bytes.js';
import { PassageError } from './page.js';

const a = (t: string): InetAddr => parseInetAddr(t)!;

describe('boot parameters', () => {
  it('round-trip, machine spec and routes included', () => {
    const spec = { ...defaultMachine([0xc6336401]), routes: [{ dst: InetAddr.any(Family.V4), prefix: 0, via: InetAddr.v4(0xc63364fe), dev: 'eth0' }] };
    const boot = decodeBoot(encodeBoot({ bootTsNs: 99n, rulesFile: 'r.v4', spec }));
    expect(boot.rulesFile).toBe('r.v4');
    expect(boot.spec).toEqual(spec);
  });

  it('round-trip of the fail policy and whether the host keeps leaving frames', () => {
    const spec = defaultMachine([0xc6336401]);
    for (const failPolicy of ['open', 'closed'] as const)
      for (const noLeavingFrames of [false, true]) {
        const boot = decodeBoot(encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec: { ...spec, failPolicy }, noLeavingFrames }));
        expect(boot.spec.failPolicy).toBe(failPolicy);
        expect(boot.noLeavingFrames ?? false).toBe(noLeavingFrames);
      }
  });

  it('round-trip of addresses and routes of both families', () => {
    const spec = parseMachineFile(
      `interfaces:
  - name: eth0
    mac: "02:00:00:00:00:01"
    addresses: [198.51.100.1/24, 2001:db8:0:1::1/64]
  - name: eth1
    mac: "02:00:00:00:01:01"
    addresses: ["::ffff:192.0.2.1/128", 192.0.2.1/24]
routes:
  - to: default
    via: 198.51.100.254
  - to: default
    via: 2001:db8:0:1::fe
  - to: 2001:db8:100::/40
    dev: eth1
`,
      'm.yaml',
    );
    const boot = decodeBoot(encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec, trace: [[3, 4]] }));
    expect(boot.spec).toEqual(spec);
    expect(boot.trace).toEqual([[3, 4]]);
    const eth0 = boot.spec.devices[1]!;
    expect(eth0.addrs.map((x) => [x.addr.family, x.addr.toString(), x.prefix, x.broadcast?.toString()])).toEqual([
      [Family.V4, '198.51.100.1', 24, '198.51.100.255'],
      [Family.V6, '2001:db8:0:1::1', 64, undefined],
    ]);
    expect(boot.spec.devices[0]!.addrs.map((x) => `${x.addr.toString()}/${x.prefix}`)).toEqual(['127.0.0.1/8', '::1/128']);
    expect(boot.spec.routes.map((r) => [r.dst.toString(), r.prefix, r.via?.toString(), r.dev])).toEqual([
      ['0.0.0.0', 0, '198.51.100.254', 'eth0'],
      ['::', 0, '2001:db8:0:1::fe', 'eth0'],
      ['2001:db8:100::', 40, undefined, 'eth1'],
    ]);
    expect(boot.spec.routes[1]!.via!.equals(a('2001:db8:0:1::fe'))).toBe(true);
  });

  it('round-trip of route and rule realms, with tables, types and the other rule fields', () => {
    const spec = parseMachineFile(
      `interfaces:
  - {name: eth0, mac: "02:00:00:00:00:01", addresses: [198.51.100.1/24, 2001:db8::1/64]}
routes:
  - {to: default, via: 198.51.100.254, realm: 4294967295}
  - {to: 203.0.113.0/25, via: 198.51.100.254, realm: "3/7", table: 100}
  - {to: 203.0.113.128/25, dev: eth0, realm: 5}
  - {to: 10.0.0.0/8, type: blackhole, realm: "cosmos/9"}
  - {to: 192.0.2.0/24, via: 198.51.100.254}
  - {to: 2001:db8:5::/48, dev: eth0}
rules:
  - {from: 192.0.2.0/24, table: 100, realm: "255/0", suppress_prefixlength: 0}
  - {fwmark: 1, action: prohibit, realm: 0x10}
  - {dport: 53, table: main}
`,
      'm.yaml',
    );
    expect(spec.routes.map((r) => r.realm)).toEqual([0xffffffff, 0x30007, 5, 9, undefined, undefined]);
    expect(spec.rules!.filter((r) => r.realm).map((r) => [r.family, r.realm])).toEqual([
      [Family.V4, 0xff0000],
      [Family.V4, 0x10],
    ]);
    const boot = decodeBoot(encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec }));
    expect(boot.spec).toEqual(spec);
  });

  it('round-trip of device groups and CPUs, each with or without the other', () => {
    const spec = parseMachineFile(
      `interfaces:
  - {name: eth0, mac: "02:00:00:00:00:01", addresses: [198.51.100.1/24], group: 7, cpu: 1}
  - {name: eth1, mac: "02:00:00:00:01:01", addresses: [192.0.2.1/24], cpu: 8191}
  - {name: eth2, mac: "02:00:00:00:02:01", addresses: [10.0.0.1/8], group: 4294967295}
  - {name: eth3, mac: "02:00:00:00:03:01", addresses: [10.1.0.1/16]}
cpu: 3
`,
      'm.yaml',
    );
    const boot = decodeBoot(encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec }));
    expect(boot.spec).toEqual(spec);
    expect(boot.spec.devices.slice(1).map((d) => [d.name, d.group, d.cpu])).toEqual([
      ['eth0', 7, 1],
      ['eth1', undefined, 8191],
      ['eth2', 4294967295, undefined],
      ['eth3', undefined, undefined],
    ]);
    expect(boot.spec.cpu).toBe(3);
  });

  it('round-trip of timeout policies (cttimeout:), alone and after the other optional parts', () => {
    const policies = `cttimeout:
  - {name: short, family: inet, protocol: tcp, established: 100, close: 10}
  - {name: u6, family: inet6, protocol: udp, unreplied: 0, replied: 17179869}
  - {name: "x1", family: inet6, protocol: icmp, timeout: 3}
  - {name: abcdefghijklmnopqrstuvwxyz01234, family: inet, protocol: generic, timeout: 7}
`;
    const head = `interfaces:
  - {name: eth0, mac: "02:00:00:00:00:01", addresses: [198.51.100.1/24]}
`;
    for (const extra of ['', 'cpu: 2\n', 'modules:\n  nf_conntrack_ftp: {ports: [21, 2121]}\n', 'sysctl:\n  net.netfilter.nf_conntrack_udp_timeout: 40\n']) {
      const spec = parseMachineFile(head + extra + policies, 'm.yaml');
      expect(spec.cttimeout).toHaveLength(4);
      const boot = decodeBoot(encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec }));
      expect(boot.spec).toEqual(spec);
    }
    const spec = parseMachineFile(head + policies, 'm.yaml');
    expect(spec.cttimeout![1]).toEqual({ name: 'u6', family: Family.V6, protocol: 'udp', timeouts: { unreplied: 0, replied: 17179869 } });
    // A truncated policy list is refused, not half read.
    const bytes = encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec });
    expect(() => decodeBoot(bytes.subarray(0, bytes.length - 3))).toThrow(PassageError);
  });

  it('round-trip of the accounting objects, with and without a quota, starting counters and the fields before them', () => {
    const spec = parseMachineFile(
      `interfaces:
  - {name: eth0, mac: "02:00:00:00:00:01", addresses: [198.51.100.1/24]}
nfacct:
  - {name: http}
  - {name: "a b", quota: {bytes: "18446744073709551615"}, packets: 3, bytes: 700}
  - {name: pk, quota: {packets: 0}}
`,
      'm.yaml',
    );
    expect(spec.nfacct).toEqual([
      { name: 'http' },
      { name: 'a b', quota: { mode: 'bytes', value: 18446744073709551615n }, packets: 3n, bytes: 700n },
      { name: 'pk', quota: { mode: 'packets', value: 0n } },
    ]);
    const boot = decodeBoot(encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec }));
    expect(boot.spec).toEqual(spec);
    const withCpu = { ...spec, cpu: 2, queues: [{ num: 1, verdict: 'accept' as const }] };
    expect(decodeBoot(encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec: withCpu })).spec).toEqual(withCpu);
    const withPolicies = parseMachineFile(
      `interfaces:\n  - {name: eth0, mac: "02:00:00:00:00:01", addresses: [198.51.100.1/24]}\ncttimeout:\n  - {name: short, family: inet, protocol: tcp, established: 100}\nnfacct:\n  - {name: http}\n`,
      'm.yaml',
    );
    expect(decodeBoot(encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec: withPolicies })).spec).toEqual(withPolicies);
  });

  it('refuses an unknown address family and a prefix too long for its family', () => {
    // A device list with one device (MTU 1500, no flags) holding one address of family 7.
    const bad = new ByteWriter().u64(0n).str('r', 2).str('h', 2).u8(0).u8(1);
    bad.str('eth0', 1).u16(2).u8(0).bytes(new Uint8Array(6)).u32(1500).u8(0).u8(1).u8(7).bytes(new Uint8Array(4));
    expect(() => decodeBoot(bad.done())).toThrow(/address family 7/);
    const long = new ByteWriter().u64(0n).str('r', 2).str('h', 2).u8(0).u8(0).u16(1);
    long.u8(Family.V4).bytes(new Uint8Array(4)).u8(33).u8(0).str('eth0', 1);
    expect(() => decodeBoot(long.done())).toThrow(PassageError);
  });
});
