import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ethernet, ipv4, tcp, arp } from '../packet/build.js';
import { parseIPv4 } from '../packet/addr.js';
import { Family, InetAddr, parseInetAddr } from '../packet/inet-addr.js';
import { LocalAddressGuesser, MachineFileError, defaultMachine, machineFileText, parseCidr, parseInetCidr, parseMachineFile } from './machine-file.js';
import { decodeBoot, encodeBoot } from './passage/index.js';

const SAMPLE = `hostname: cofw-sample
interfaces:
  - name: eth0
    mac: "02:00:00:00:00:01"
    addresses: [198.51.100.1/24]
    mtu: 1500            # optional
  - name: eth1
    mac: "02:00:00:00:01:01"
    addresses: [192.0.2.1/24]
routes:
  - to: default          # or a CIDR
    via: 198.51.100.254  # optional
    dev: eth0
fail: closed             # or open
`;

const v4 = (t: string): InetAddr => InetAddr.v4(parseIPv4(t)!);
const v6 = (t: string): InetAddr => parseInetAddr(t)!;

function problems(text: string): string[] {
  try {
    parseMachineFile(text, 'm.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(MachineFileError);
    return (e as MachineFileError).message.split('\n');
  }
  throw new Error('expected a MachineFileError');
}

describe('machine file', () => {
  it('builds the spec: lo first, ethN from index 2, broadcast computed, routes', () => {
    const s = parseMachineFile(SAMPLE, 'm.yaml');
    expect(s.hostname).toBe('cofw-sample');
    expect(s.failPolicy).toBe('closed');
    expect(s.devices.map((d) => [d.name, d.index, d.unit, d.mtu])).toEqual([
      ['lo', 1, -1, 65536],
      ['eth0', 2, 0, 1500],
      ['eth1', 3, 1, 1500],
    ]);
    expect(s.devices[0]!.addrs).toEqual([
      { addr: InetAddr.v4(0x7f000001), prefix: 8, broadcast: InetAddr.v4(0x7fffffff) },
      { addr: InetAddr.v6(0, 0, 0, 1), prefix: 128 },
    ]);
    expect(s.devices[2]!.addrs[0]).toEqual({ addr: v4('192.0.2.1'), prefix: 24, broadcast: v4('192.0.2.255') });
    expect(s.routes).toEqual([{ dst: InetAddr.any(Family.V4), prefix: 0, via: v4('198.51.100.254'), dev: 'eth0' }]);
    expect(parseMachineFile(machineFileText(s), 'again.yaml')).toEqual(s);
  });

  it('takes the route device from the gateway subnet when dev is left out', () => {
    const s = parseMachineFile(SAMPLE.replace('    dev: eth0\n', '').replace('198.51.100.254', '192.0.2.254'), 'm.yaml');
    expect(s.routes[0]!.dev).toBe('eth1');
  });

  it.each([
    [
      'unknown top-level key',
      SAMPLE.replace('fail: closed', 'fial: closed'),
      "m.yaml:14:1: unknown key `fial' in the machine file; accepted: hostname, interfaces, bridges, routes, fail",
    ],
    [
      'bad fail policy',
      SAMPLE.replace('fail: closed', 'fail: maybe'),
      "m.yaml:14:7: fail policy `maybe': accepted are `closed' (drop what the guest cannot handle) and `open' (pass it)",
    ],
    [
      'bad address',
      SAMPLE.replace('192.0.2.1/24', '192.0.2.300/24'),
      "m.yaml:9:17: address `192.0.2.300/24' must be an IPv4 or IPv6 address with its prefix length, such as 198.51.100.1/24 or 2001:db8::1/64",
    ],
    [
      'address without prefix',
      SAMPLE.replace('192.0.2.1/24', '192.0.2.1'),
      "m.yaml:9:17: address `192.0.2.1' must be an IPv4 or IPv6 address with its prefix length, such as 198.51.100.1/24 or 2001:db8::1/64",
    ],
    ['bad IPv6 address', SAMPLE.replace('192.0.2.1/24', '2001:db8::g/64'), "m.yaml:9:17: address `2001:db8::g/64' must be an IPv4 or IPv6 address"],
    ['IPv6 prefix too long', SAMPLE.replace('192.0.2.1/24', '2001:db8::1/129'), "m.yaml:9:17: address `2001:db8::1/129' must be"],
    [
      'IPv6 multicast address',
      SAMPLE.replace('192.0.2.1/24', 'ff02::1/64'),
      'm.yaml:9:17: address ff02::1/64 cannot be an interface address (multicast, ff00::/8)',
    ],
    [
      'IPv6 loopback address',
      SAMPLE.replace('192.0.2.1/24', '::1/128'),
      'm.yaml:9:17: address ::1/128 cannot be an interface address (loopback ::1, which is on lo)',
    ],
    [
      'IPv6 route with host bits',
      SAMPLE.replace('to: default', 'to: 2001:db8::1/32').replace('    via: 198.51.100.254  # optional\n', ''),
      'm.yaml:11:9: route destination 2001:db8::1/32 has host bits set for /32: did you mean 2001:db8::/32?',
    ],
    [
      'gateway of another family',
      SAMPLE.replace('to: default', 'to: 2001:db8::/32'),
      "m.yaml:12:10: gateway 198.51.100.254 is an IPv4 address and the destination 2001:db8::/32 IPv6: a route's gateway is of its destination's family",
    ],
    [
      'bad gateway',
      SAMPLE.replace('via: 198.51.100.254', 'via: 2001:db8::zz'),
      "m.yaml:12:10: via `2001:db8::zz' must be the gateway's address, such as 198.51.100.254 or 2001:db8::fe",
    ],
    ['bad mac', SAMPLE.replace('"02:00:00:00:01:01"', '"02:00:00:00:01"'), 'm.yaml:8:10: mac must be six hex bytes such as "02:00:00:00:00:01" (quote it)'],
    [
      'multicast mac',
      SAMPLE.replace('"02:00:00:00:01:01"', '"01:00:5e:00:00:01"'),
      'm.yaml:8:10: mac 01:00:5e:00:00:01 is a multicast address; an interface needs a unicast one (first byte even)',
    ],
    ['bad mtu', SAMPLE.replace('mtu: 1500', 'mtu: 20'), 'm.yaml:6:10: mtu must be a whole number from 68 to 65535 (1500 when left out)'],
    [
      'unknown route device',
      SAMPLE.replace('dev: eth0', 'dev: eth7'),
      "m.yaml:13:10: route device `eth7' is not an interface of this machine; interfaces: lo, eth0, eth1",
    ],
    [
      'route with host bits',
      SAMPLE.replace('to: default', 'to: 10.1.2.3/8'),
      'm.yaml:11:9: route destination 10.1.2.3/8 has host bits set for /8: did you mean 10.0.0.0/8?',
    ],
    ['duplicate interface', SAMPLE.replace('name: eth1', 'name: eth0'), "m.yaml:7:11: interface name `eth0' is used twice"],
    ['lo declared', SAMPLE.replace('name: eth1', 'name: lo'), 'm.yaml:7:11: `lo` is implicit (127.0.0.1/8); name the interfaces eth0, eth1, ...'],
    ['no interfaces', 'hostname: x\n', 'm.yaml:1:1: the machine needs `interfaces:`, a list of interfaces with name, mac and addresses'],
    ['not a mapping', '- a\n- b\n', 'm.yaml:1:1: a machine file is a mapping with the keys hostname, interfaces, bridges, routes, fail'],
    ['broken YAML', 'interfaces: [\n', 'm.yaml:1:1: not valid YAML:'],
  ])('reports %s with file, line and column', (_name, text, expected) => {
    const p = problems(text);
    expect(p.some((l) => l.startsWith(expected))).toBe(true);
  });

  it('reports every problem at once', () => {
    const p = problems(SAMPLE.replace('fail: closed', 'fail: maybe').replace('mtu: 1500', 'mtu: x'));
    expect(p.length).toBe(2);
  });

  it('offers a default machine for a list of local addresses', () => {
    const s = defaultMachine([parseIPv4('198.51.100.1')!, { addr: parseIPv4('10.0.0.1')!, prefix: 8 }]);
    expect(s.devices.map((d) => d.name)).toEqual(['lo', 'eth0']);
    expect(s.devices[1]!.addrs.map((a) => a.prefix)).toEqual([24, 8]);
    expect(s.routes).toEqual([{ dst: InetAddr.any(Family.V4), prefix: 0, dev: 'eth0' }]);
    const d = defaultMachine([v6('2001:db8::1'), { addr: v4('192.0.2.1'), prefix: 24 }]);
    expect(d.devices[1]!.addrs.map((a) => `${a.addr.toString()}/${a.prefix}`)).toEqual(['2001:db8::1/64', '192.0.2.1/24']);
    expect(d.routes.map((r) => `${r.dst.toString()}/${r.prefix}`)).toEqual(['0.0.0.0/0', '::/0']);
    expect(parseMachineFile(machineFileText(d), 'again.yaml')).toEqual(d);
  });

  it('reads IPv6 addresses and routes; `default` takes the family of its gateway', () => {
    const s = parseMachineFile(
      `interfaces:
  - name: eth0
    mac: "02:00:00:00:00:01"
    addresses: [198.51.100.1/24, 2001:db8:0:1::1/64]
  - name: eth1
    mac: "02:00:00:00:01:01"
    addresses:
      - 2001:DB8:0:2:0:0:0:1/64
      - "::ffff:192.0.2.1/128"
routes:
  - to: default
    via: 198.51.100.254
  - to: default
    via: 2001:db8:0:1::fe
  - to: ::/0
    dev: eth1
  - to: 2001:db8:100::/40
    via: 2001:db8:0:2::fe
  - to: 0.0.0.0/0
    dev: eth1
`,
      'm.yaml',
    );
    expect(s.devices[1]!.addrs.map((a) => [a.addr.family, a.addr.toString(), a.prefix])).toEqual([
      [Family.V4, '198.51.100.1', 24],
      [Family.V6, '2001:db8:0:1::1', 64],
    ]);
    expect(s.devices[1]!.addrs[1]!.broadcast).toBeUndefined();
    // inet_ntop's text: lower case, zeros compressed, the mapped IPv4 tail dotted.
    expect(s.devices[2]!.addrs.map((a) => `${a.addr.toString()}/${a.prefix}`)).toEqual(['2001:db8:0:2::1/64', '::ffff:192.0.2.1/128']);
    expect(s.routes.map((r) => [familyOf(r.dst), `${r.dst.toString()}/${r.prefix}`, r.via?.toString(), r.dev])).toEqual([
      ['IPv4', '0.0.0.0/0', '198.51.100.254', 'eth0'],
      ['IPv6', '::/0', '2001:db8:0:1::fe', 'eth0'], // dev from the gateway's IPv6 subnet
      ['IPv6', '::/0', undefined, 'eth1'],
      ['IPv6', '2001:db8:100::/40', '2001:db8:0:2::fe', 'eth1'],
      ['IPv4', '0.0.0.0/0', undefined, 'eth1'],
    ]);
    const text = machineFileText(s);
    expect(text).toContain('addresses: [198.51.100.1/24, 2001:db8:0:1::1/64]');
    expect(text).toContain('  - to: ::/0\n    via: 2001:db8:0:1::fe\n');
    expect(parseMachineFile(text, 'again.yaml')).toEqual(s);
  });

  it('names an IPv6 address used twice and an IPv6 gateway on no subnet', () => {
    const twice = problems(SAMPLE.replace('[198.51.100.1/24]', '[2001:db8::1/64]').replace('[192.0.2.1/24]', '[2001:db8::1/48]'));
    expect(twice).toContain('m.yaml:3:1: address 2001:db8::1 is on both eth0 and eth1');
    const gw = problems(SAMPLE.replace('via: 198.51.100.254', 'via: 2001:db8::fe').replace('    dev: eth0\n', ''));
    expect(gw).toEqual(["m.yaml:12:10: gateway 2001:db8::fe is not on any interface's subnet: add `dev:'"]);
  });

  it('parses addresses with prefixes of either family', () => {
    expect(parseCidr('198.51.100.1/24')).toEqual({ addr: parseIPv4('198.51.100.1'), prefix: 24 });
    expect(parseCidr('198.51.100.1')).toEqual({ addr: parseIPv4('198.51.100.1'), prefix: 32 });
    expect(parseCidr('2001:db8::1/64')).toBeUndefined();
    expect(parseInetCidr('2001:db8::1/64')).toEqual({ addr: v6('2001:db8::1'), prefix: 64 });
    expect(parseInetCidr('2001:db8::1')).toEqual({ addr: v6('2001:db8::1'), prefix: 128 });
    expect(parseInetCidr('192.0.2.1/8')).toEqual({ addr: v4('192.0.2.1'), prefix: 8 });
    expect(parseInetCidr('192.0.2.1/33')).toBeUndefined();
    expect(parseInetCidr('fe80::1%eth0/64')).toBeUndefined();
  });
});

const familyOf = (a: InetAddr): string => (a.family === Family.V6 ? 'IPv6' : 'IPv4');

describe('local address guessing', () => {
  const FW = '02:00:00:00:00:01';
  it('takes the addresses the busiest MAC announces in ARP', () => {
    const g = new LocalAddressGuesser();
    for (let i = 0; i < 10; i++)
      g.observe(
        ethernet(
          { src: '02:00:00:00:00:0' + ((i % 3) + 2), dst: FW },
          ipv4({ src: `203.0.113.${i + 1}`, dst: '192.0.2.9', ttl: 60 }, tcp({ sport: 1, dport: 2 })),
        ),
      );
    g.observe(ethernet({ src: FW, dst: 'ff:ff:ff:ff:ff:ff', ethertype: 0x0806 }, arp(1, FW, '198.51.100.1', '00:00:00:00:00:00', '198.51.100.254')));
    const p = g.propose();
    expect(p.addrs).toEqual([parseIPv4('198.51.100.1')]);
    expect(p.how).toContain('ARP');
  });
  it('without ARP, takes the sources the busiest MAC sends with an initial TTL', () => {
    const g = new LocalAddressGuesser();
    for (let i = 0; i < 10; i++)
      g.observe(ethernet({ src: FW, dst: '02:00:00:00:00:02' }, ipv4({ src: `203.0.113.${i + 1}`, dst: '192.0.2.9', ttl: 63 }, tcp({ sport: 1, dport: 2 }))));
    g.observe(ethernet({ src: FW, dst: '02:00:00:00:00:02' }, ipv4({ src: '198.51.100.1', dst: '192.0.2.9', ttl: 64 }, tcp({ sport: 22, dport: 2 }))));
    expect(g.propose().addrs).toEqual([parseIPv4('198.51.100.1')]);
  });
  it("does not take a flooding attacker's forged sources for the firewall's own", () => {
    const g = new LocalAddressGuesser();
    const ATT = '02:00:00:00:00:66';
    // The firewall answers two hosts on its segments now and then, with its own address.
    for (const h of ['02:00:00:00:00:02', '02:00:00:00:00:03']) {
      g.observe(ethernet({ src: h, dst: FW }, ipv4({ src: '192.0.2.20', dst: '198.51.100.1', ttl: 64 }, tcp({ sport: 1, dport: 22 }))));
      g.observe(ethernet({ src: FW, dst: h }, ipv4({ src: '198.51.100.1', dst: '192.0.2.20', ttl: 64 }, tcp({ sport: 22, dport: 1 }))));
    }
    // A flood from one MAC, 3,000 forged sources with TTL 64, that the firewall drops silently.
    for (let i = 0; i < 3000; i++)
      g.observe(ethernet({ src: ATT, dst: FW }, ipv4({ src: (0x0a000000 + i * 7919) >>> 0, dst: '198.51.100.1', ttl: 64 }, tcp({ sport: 1, dport: 80 }))));
    const p = g.propose();
    expect(p.addrs).toEqual([parseIPv4('198.51.100.1')]);
    expect(p.how).toContain(FW);
  });
  it('never proposes more than four addresses, and ignores the zero MAC of captures without a link layer', () => {
    const g = new LocalAddressGuesser();
    for (let i = 0; i < 50; i++)
      g.observe(ethernet({ src: FW, dst: '02:00:00:00:00:02' }, ipv4({ src: `198.51.100.${i + 1}`, dst: '192.0.2.9', ttl: 64 }, tcp({ sport: 1, dport: 2 }))));
    expect(g.propose().addrs.length).toBe(4);
    const raw = new LocalAddressGuesser();
    // A scanner (raw IP: zero MACs) sends to 500 addresses with TTL 64; one host exchanges packets with three peers.
    for (let i = 0; i < 500; i++)
      raw.observe(
        ethernet(
          { src: '00:00:00:00:00:00', dst: '00:00:00:00:00:00' },
          ipv4({ src: '203.0.113.66', dst: 0xc6336400 + i, ttl: 64 }, tcp({ sport: 1, dport: 2 })),
        ),
      );
    for (const peer of ['192.0.2.5', '192.0.2.6', '192.0.2.7']) {
      raw.observe(
        ethernet({ src: '00:00:00:00:00:00', dst: '00:00:00:00:00:00' }, ipv4({ src: peer, dst: '192.0.2.1', ttl: 64 }, tcp({ sport: 1, dport: 22 }))),
      );
      raw.observe(
        ethernet({ src: '00:00:00:00:00:00', dst: '00:00:00:00:00:00' }, ipv4({ src: '192.0.2.1', dst: peer, ttl: 64 }, tcp({ sport: 22, dport: 1 }))),
      );
    }
    expect(raw.propose()).toEqual({ addrs: [parseIPv4('192.0.2.1')], how: expect.stringContaining('both ways') });
  });
  it('keeps its tables bounded whatever the capture holds', () => {
    const g = new LocalAddressGuesser();
    for (let i = 0; i < 20_000; i++) {
      const m = `02:00:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
      g.observe(ethernet({ src: m, dst: FW }, ipv4({ src: 0x0a000000 + i, dst: 0x0b000000 + i, ttl: 64 }, tcp({ sport: 1, dport: 2 }))));
    }
    const t = g as unknown as { macFrames: Map<string, number>; sentTo: Map<number, Set<number>>; counterparts: Map<string, Set<string>> };
    expect(t.macFrames.size).toBeLessThanOrEqual(4096);
    expect(t.sentTo.size).toBeLessThanOrEqual(4096);
    expect(t.counterparts.get(FW)!.size).toBeLessThanOrEqual(64);
    expect(g.propose().addrs.length).toBeLessThanOrEqual(4);
  });
});

describe('conntrack settings', () => {
  const base = 'interfaces:\n  - name: eth0\n    mac: "02:00:00:00:00:01"\n    addresses: [198.51.100.1/24]\n';
  it('reads max, tcp_loose and tcp_be_liberal, and writes them back', () => {
    const spec = parseMachineFile(base + 'conntrack:\n  max: 64\n  tcp_loose: false\n', 'm.yaml');
    expect(spec.conntrack).toEqual({ max: 64, tcpLoose: false });
    expect(parseMachineFile(machineFileText(spec), 'again.yaml').conntrack).toEqual({ max: 64, tcpLoose: false });
  });
  it('names the bad value and its position', () => {
    expect(() => parseMachineFile(base + 'conntrack:\n  max: -1\n', 'm.yaml')).toThrow(/m\.yaml:6:8: conntrack max must be a whole number/);
    expect(() => parseMachineFile(base + 'conntrack:\n  tcp_loose: maybe\n', 'm.yaml')).toThrow(/conntrack tcp_loose must be true or false/);
  });
  it('crosses to the guest in the boot parameters', () => {
    const spec = parseMachineFile(base + 'conntrack:\n  max: 7\n  tcp_be_liberal: true\n', 'm.yaml');
    expect(decodeBoot(encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec })).spec.conntrack).toEqual({ max: 7, tcpBeLiberal: true });
  });
});

describe('sockets and queues', () => {
  const base = 'interfaces:\n  - name: eth0\n    mac: "02:00:00:00:00:01"\n    addresses: [198.51.100.1/24]\n';
  const SOCKETS = `sockets:
  - {proto: tcp, port: 8080, uid: 33, gid: 33}
  - proto: udp
    port: 53
    uid: 100
    gid: 101
    groups: [4, 24]
  - {proto: icmp, uid: 0, gid: 0}
  - {proto: any, uid: 65534, gid: 65534}
queues:
  0: accept
  7: drop
`;
  it('reads the firewall sockets and the queue verdicts, and writes them back', () => {
    const spec = parseMachineFile(base + SOCKETS, 'm.yaml');
    expect(spec.sockets).toEqual([
      { proto: 6, port: 8080, uid: 33, gid: 33 },
      { proto: 17, port: 53, uid: 100, gid: 101, groups: [4, 24] },
      { proto: 1, uid: 0, gid: 0 },
      { proto: -1, uid: 65534, gid: 65534 },
    ]);
    expect(spec.queues).toEqual([
      { num: 0, verdict: 'accept' },
      { num: 7, verdict: 'drop' },
    ]);
    expect(parseMachineFile(machineFileText(spec), 'again.yaml')).toEqual(spec);
    // Without the keys the spec has neither (and the text none).
    const plain = parseMachineFile(base, 'm.yaml');
    expect('sockets' in plain || 'queues' in plain).toBe(false);
    expect(machineFileText(plain)).not.toMatch(/sockets|queues/);
  });
  it('names each bad value and its position', () => {
    const bad = (text: string): string[] => problems(base + text);
    expect(bad('sockets:\n  - {proto: tcp, port: 0, uid: 1, gid: 1}\n')).toEqual([
      'm.yaml:6:24: a socket port must be a whole number from 1 to 65535 (the local port its packets leave from)',
    ]);
    expect(bad('sockets:\n  - {proto: icmp, port: 5, uid: 1, gid: 1}\n')[0]).toMatch(/icmp has no ports: a port belongs to tcp, udp, sctp, dccp or udplite/);
    expect(bad('sockets:\n  - {proto: tpc, uid: 1, gid: 1}\n')[0]).toMatch(/socket protocol `tpc': accepted are/);
    expect(bad('sockets:\n  - {proto: tcp, uid: 4294967295, gid: 1}\n')[0]).toMatch(/a socket's uid must be a whole number from 0 to 4294967294/);
    expect(bad('sockets:\n  - {proto: tcp, port: 1}\n')).toHaveLength(2);
    expect(bad('sockets:\n  - {proto: tcp, port: 1, uid: 1, gid: 1, user: x}\n')[0]).toMatch(
      /unknown key `user' in socket 1; accepted: proto, port, uid, gid, groups/,
    );
    expect(bad('sockets:\n  - {proto: udp, uid: 1, gid: 1}\n  - {proto: 17, uid: 2, gid: 2}\n')[0]).toMatch(
      /a socket for udp is already listed: each packet has one owner/,
    );
    expect(bad('queues:\n  0: pass\n')[0]).toMatch(/queue 0's verdict `pass': accepted are accept and drop/);
    expect(bad('queues:\n  65536: accept\n')[0]).toMatch(/a queue number must be a whole number from 0 to 65535/);
    expect(bad('queues: [0]\n')[0]).toMatch(/queues must be a mapping of queue numbers to verdicts/);
  });
  it('cross to the guest in the boot parameters; a message without them boots a machine with neither', () => {
    const spec = parseMachineFile(base + SOCKETS, 'm.yaml');
    const boot = decodeBoot(encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec, rules6File: 'r6' }));
    expect(boot.spec).toEqual(spec);
    expect(boot.rules6File).toBe('r6');
    // An older monitor's message ends after the ip6tables file name.
    const plain = parseMachineFile(base, 'm.yaml');
    const old = encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec: plain });
    expect(decodeBoot(old).spec).toEqual(plain);
    const withBoth = encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec });
    expect(withBoth.subarray(0, old.length)).toEqual(old);
  });
});

describe('machine file bridges', () => {
  const BASE = `interfaces:
  - {name: eth0, mac: "02:00:00:00:00:01", addresses: [198.51.100.1/24]}
  - {name: eth1, mac: "02:00:00:00:01:09"}
  - {name: eth2, mac: "02:00:00:00:01:05"}
`;
  const bad = (extra: string): string[] => problems(BASE + extra);

  it('declares a bridge: ports marked with their master, the bridge device after the interfaces with the smallest port MAC', () => {
    const s = parseMachineFile(
      BASE +
        `bridges:
  - name: br0
    ports: [eth1, {name: eth2, from: [192.0.2.128/25, "02:00:00:00:02:10", 2001:db8:2::/64]}]
    addresses: [192.0.2.1/24]
    bridge-nf-call-ip6tables: 0
    bridge-nf-filter-vlan-tagged: true
routes:
  - {to: 10.0.0.0/8, via: 192.0.2.254}
`,
      'm.yaml',
    );
    const br = s.devices.find((d) => d.name === 'br0')!;
    expect(br).toMatchObject({
      index: 5,
      unit: -1,
      mtu: 1500,
      bridge: { ports: ['eth1', 'eth2'], callIptables: true, callIp6tables: false, filterVlanTagged: true },
    });
    expect([...br.mac]).toEqual([2, 0, 0, 0, 1, 5]);
    expect(br.addrs.map((a) => `${a.addr.toString()}/${a.prefix}`)).toEqual(['192.0.2.1/24']);
    const eth2 = s.devices.find((d) => d.name === 'eth2')!;
    expect(eth2.master).toBe('br0');
    expect(eth2.from!.nets.map((n) => `${n.addr.toString()}/${n.prefix}`)).toEqual(['192.0.2.128/25', '2001:db8:2::/64']);
    expect(eth2.from!.macs).toHaveLength(1);
    expect(s.devices.find((d) => d.name === 'eth1')!.master).toBe('br0');
    expect(s.routes).toEqual([{ dst: v4('10.0.0.0'), prefix: 8, via: v4('192.0.2.254'), dev: 'br0' }]);
    // The guest gets the bridge and its ports (not the host-side `from:`).
    const boot = decodeBoot(encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec: s }));
    expect(boot.spec.devices.find((d) => d.name === 'br0')).toEqual(br);
    expect(boot.spec.devices.find((d) => d.name === 'eth2')).toEqual({ ...eth2, from: undefined });
  });

  it('refuses what cannot be a bridge, saying where and what to do', () => {
    expect(bad('bridges:\n  - {name: eth1, ports: [eth2]}\n')[0]).toMatch(
      /^m.yaml:6:12: bridge name `eth1' is taken \(by an interface or another bridge\): give the bridge a name of its own/,
    );
    expect(bad('bridges:\n  - {name: br0, ports: [eth7]}\n')[0]).toMatch(
      /^m.yaml:6:\d+: bridge port `eth7' is not an interface of this machine; interfaces: eth0, eth1, eth2/,
    );
    expect(bad('bridges:\n  - {name: br0, ports: [eth0]}\n')[0]).toMatch(
      /eth0 is a port of bridge br0, so its addresses \(198.51.100.1\/24\) would never be used: move them/,
    );
    expect(bad('bridges:\n  - {name: br0, ports: [eth1]}\n  - {name: br1, ports: [eth1, eth2]}\n')[0]).toMatch(/eth1 is already a port of bridge br0/);
    expect(bad('bridges:\n  - {name: br0, ports: []}\n')[0]).toMatch(/ports must be a non-empty list of interfaces/);
    expect(bad('bridges:\n  - {name: br0}\n')[0]).toMatch(/bridge br0 has no `ports'/);
    expect(bad('bridges:\n  - {name: br0, ports: [eth1], bridge-nf-call-iptables: 2}\n')[0]).toMatch(/bridge-nf-call-iptables must be 1 or 0/);
    expect(bad('bridges:\n  - {name: br0, ports: [eth1], stp: 1}\n')[0]).toMatch(
      /unknown key `stp' in bridge 1; accepted: name, mac, ports, addresses, bridge-nf-call-iptables/,
    );
    expect(bad('bridges:\n  - {name: br0, ports: [{name: eth1, from: [nowhere]}]}\n')[0]).toMatch(/`nowhere' behind eth1: accepted are networks/);
    expect(bad('bridges:\n  - {name: br0, ports: [eth1], addresses: [198.51.100.1/24]}\n')[0]).toMatch(/address 198.51.100.1 is already on eth0/);
    expect(bad('bridges:\n  - {name: br0, ports: [eth1]}\nroutes:\n  - {to: default, dev: eth1}\n')[0]).toMatch(
      /route device eth1 is a port of bridge br0: route through br0/,
    );
  });
});

describe('machine file: policy routing', () => {
  const head = `interfaces:
  - name: eth0
    addresses: [198.51.100.1/24]
`;
  const problemsOf = (text: string): string[] => {
    try {
      parseMachineFile(text, 'p.yaml');
    } catch (e) {
      if (e instanceof MachineFileError) return e.message.split('\n');
      throw e;
    }
    return [];
  };
  it.each([
    [
      'a rule without an action',
      'rules:\n  - {fwmark: 1}\n',
      "p.yaml:5:5: rule 1 has no action: give `table' (a number or local, main, default) or `action' (blackhole, unreachable, prohibit, nop)",
    ],
    ['a table and an action', 'rules:\n  - {table: 5, action: blackhole}\n', 'p.yaml:5:24: a rule has one action'],
    [
      'table 0',
      'rules:\n  - {table: 0}\n',
      "p.yaml:5:13: table `0': accepted are a number from 1 to 4294967295 and the names local (255), main (254) and default (253)",
    ],
    ['an unknown table name', 'rules:\n  - {table: vpn}\n', "p.yaml:5:13: table `vpn'"],
    ['a bad fwmark', 'rules:\n  - {fwmark: "1/x", table: 5}\n', "p.yaml:5:14: fwmark `1/x'"],
    ['an unknown interface', 'rules:\n  - {iif: eth9, table: 5}\n', "p.yaml:5:11: iif `eth9' is not an interface of this machine; interfaces: lo, eth0"],
    [
      'mixed families',
      'rules:\n  - {from: 10.0.0.0/8, to: "2001:db8::/32", table: 5}\n',
      'p.yaml:5:28: to 2001:db8::/32 is an IPv6 prefix in a rule of family IPv4',
    ],
    ['host bits', 'rules:\n  - {from: 10.0.0.1/8, table: 5}\n', 'p.yaml:5:12: from 10.0.0.1/8 has host bits set for /8: did you mean 10.0.0.0/8?'],
    ['suppress with an action', 'rules:\n  - {action: prohibit, suppress_prefixlength: 0}\n', 'p.yaml:5:47: suppress_prefixlength goes with `table`'],
    ['an unknown rule key', 'rules:\n  - {lookup: 5}\n', "p.yaml:5:6: unknown key `lookup' in rule 1; accepted: priority, family"],
    [
      'a bad route type',
      'routes:\n  - {to: 10.0.0.0/8, type: nat}\n',
      "p.yaml:5:28: route type `nat': accepted are unicast, blackhole, unreachable, prohibit, throw",
    ],
    [
      'a blackhole route with a device',
      'routes:\n  - {to: 10.0.0.0/8, type: blackhole, dev: eth0}\n',
      "p.yaml:5:44: a blackhole route has no device: leave out `dev'",
    ],
    [
      'an unknown sysctl',
      'sysctl:\n  net.ipv4.ip_forward: 1\n',
      "p.yaml:5:3: unknown key `net.ipv4.ip_forward' in sysctl; accepted: net.ipv4.conf.all.accept_local, net.ipv4.fwmark_reflect, net.ipv6.fwmark_reflect",
    ],
    ['a bad fwmark_reflect', 'sysctl:\n  net.ipv6.fwmark_reflect: yes\n', 'p.yaml:5:28: net.ipv6.fwmark_reflect must be 1 or 0 (true or false)'],
    ['a bad accept_local', 'sysctl:\n  net.ipv4.conf.all.accept_local: 2\n', 'p.yaml:5:35: net.ipv4.conf.all.accept_local must be 1 or 0 (true or false)'],
    ['a route in table 0', 'routes:\n  - {to: 10.0.0.0/8, dev: eth0, table: 0}\n', "p.yaml:5:40: table `0'"],
  ])('refuses %s, naming file, line and column', (_name, tail, expected) => {
    const p = problemsOf(head + tail);
    expect(
      p.some((l) => l.startsWith(expected)),
      p.join('\n'),
    ).toBe(true);
  });

  it('gives rules without a priority the ones the kernel would, per family, and writes them back', () => {
    const spec = parseMachineFile(
      `${head}rules:\n  - {priority: 100, fwmark: 1, table: 100}\n  - {to: 10.0.0.0/8, action: unreachable}\n  - {fwmark: 0, table: 7}\n  - {from: "2001:db8::/32", table: main}\n`,
      'p.yaml',
    );
    expect(spec.rules!.map((r) => [r.family, r.priority])).toEqual([
      [Family.V4, 100],
      [Family.V6, 100],
      [Family.V4, 99],
      [Family.V4, 98],
      [Family.V6, 99],
      [Family.V6, 98],
    ]);
    // fwmark 0 without a mask matches every mark (fib_nl2rule leaves its mask 0).
    expect(spec.rules![3]!.fwmark).toEqual({ mark: 0, mask: 0 });
    expect(parseMachineFile(machineFileText(spec), 'again.yaml')).toEqual(spec);
  });

  it('reads accept_local, writes it back and sends it to the guest', () => {
    const spec = parseMachineFile(`${head}sysctl:\n  net.ipv4.conf.all.accept_local: 1\n`, 'p.yaml');
    expect(spec.sysctl).toEqual({ acceptLocal: true });
    expect(parseMachineFile(machineFileText(spec), 'again.yaml')).toEqual(spec);
    expect(decodeBoot(encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec })).spec.sysctl).toEqual({ acceptLocal: true });
  });

  it('reads fwmark_reflect per family, writes it back and sends it to the guest', () => {
    const spec = parseMachineFile(`${head}sysctl:\n  net.ipv4.fwmark_reflect: 1\n  net.ipv6.fwmark_reflect: false\n`, 'p.yaml');
    expect(spec.sysctl).toEqual({ fwmarkReflect4: true, fwmarkReflect6: false });
    expect(machineFileText(spec)).toContain('sysctl:\n  net.ipv4.fwmark_reflect: 1\n  net.ipv6.fwmark_reflect: 0\n');
    expect(parseMachineFile(machineFileText(spec), 'again.yaml')).toEqual(spec);
    // Left out, a sysctl stays unset on the way to the guest (the kernel's default there).
    expect(decodeBoot(encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec })).spec.sysctl).toEqual({ fwmarkReflect4: true, fwmarkReflect6: false });
    const all = parseMachineFile(`${head}sysctl:\n  net.ipv4.conf.all.accept_local: 0\n  net.ipv6.fwmark_reflect: 1\n`, 'p.yaml');
    expect(decodeBoot(encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec: all })).spec.sysctl).toEqual({ acceptLocal: false, fwmarkReflect6: true });
  });
});

describe('machine file: conntrack sysctls and helper module parameters', () => {
  const head = `interfaces:\n  - name: eth0\n    addresses: [198.51.100.1/24]\n`;
  const problemsOf = (text: string): string[] => {
    try {
      parseMachineFile(text, 'p.yaml');
    } catch (e) {
      if (e instanceof MachineFileError) return e.message.split('\n');
      throw e;
    }
    return [];
  };

  it('reads the net.netfilter sysctls and the modules, writes them back and sends them to the guest', () => {
    const spec = parseMachineFile(
      `${head}conntrack:\n  tcp_loose: false\nsysctl:\n  net.netfilter.nf_conntrack_udp_timeout: 10\n  net.netfilter.nf_conntrack_checksum: 0\n` +
        `  net.netfilter.nf_conntrack_tcp_timeout_established: 600\n  net.netfilter.nf_conntrack_tcp_loose: 0\n` +
        `modules:\n  nf_conntrack_ftp: {ports: [21, 2121], loose: true}\n  nf_conntrack_sip: {sip_direct_media: 0, ports: 5080}\n`,
      'p.yaml',
    );
    expect(spec.conntrack).toEqual({ tcpLoose: false, checksum: false, timeouts: { udpUnreplied: 10 }, tcpTimeouts: { established: 600 } });
    expect(spec.modules).toEqual({ nf_conntrack_ftp: { ports: [21, 2121], loose: 1 }, nf_conntrack_sip: { sip_direct_media: 0, ports: [5080] } });
    const text = machineFileText(spec);
    expect(text).toContain('modules:\n  nf_conntrack_ftp: {ports: [21, 2121], loose: 1}\n');
    expect(parseMachineFile(text, 'again.yaml')).toEqual(spec);
    const booted = decodeBoot(encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec })).spec;
    expect(booted.conntrack).toEqual(spec.conntrack);
    expect(booted.modules).toEqual(spec.modules);
  });

  it.each([
    [
      'an unknown module',
      'modules:\n  nf_conntrack_foo: {ports: [1]}\n',
      "p.yaml:5:3: unknown module `nf_conntrack_foo'; cofw models the parameters of nf_conntrack_ftp",
    ],
    ['an unknown parameter', 'modules:\n  nf_conntrack_ftp: {port: 21}\n', "p.yaml:5:22: nf_conntrack_ftp has no parameter `port'; it has ports, loose"],
    [
      'nine ports',
      'modules:\n  nf_conntrack_tftp: {ports: [1, 2, 3, 4, 5, 6, 7, 8, 9]}\n',
      'p.yaml:5:30: nf_conntrack_tftp ports takes at most 8 ports (MAX_PORTS), not 9',
    ],
    ['a port twice', 'modules:\n  nf_conntrack_sane: {ports: [6566, 6566]}\n', 'p.yaml:5:30: nf_conntrack_sane ports names 6566 twice'],
    ['a port of another helper', 'modules:\n  nf_conntrack_sane: {ports: [21]}\n', "p.yaml:5:30: nf_conntrack_sane ports: 21 is nf_conntrack_ftp's already"],
    [
      'max_dcc_channels 0',
      'modules:\n  nf_conntrack_irc: {max_dcc_channels: 0}\n',
      'p.yaml:5:40: nf_conntrack_irc max_dcc_channels must be from 1 to 255 (NF_CT_EXPECT_MAX_CNT)',
    ],
    ['a bool of 2', 'modules:\n  nf_conntrack_h323: {gkrouted_only: 2}\n', 'p.yaml:5:38: nf_conntrack_h323 gkrouted_only must be 0 or 1'],
    [
      'a negative timeout',
      'sysctl:\n  net.netfilter.nf_conntrack_udp_timeout: -1\n',
      'p.yaml:5:43: net.netfilter.nf_conntrack_udp_timeout must be a whole number from 0 to 8589934 (seconds)',
    ],
    [
      'a sysctl given twice',
      'conntrack:\n  max: 100\nsysctl:\n  net.netfilter.nf_conntrack_max: 200\n',
      'p.yaml:7:35: net.netfilter.nf_conntrack_max is 200 here and 100 under conntrack:; give it once',
    ],
  ])('refuses %s, naming file, line and column', (_name, tail, expected) => {
    const p = problemsOf(head + tail);
    expect(
      p.some((l) => l.startsWith(expected)),
      p.join('\n'),
    ).toBe(true);
  });
});

describe('machine file: cpu', () => {
  it("reads the machine's and an interface's cpu, writes them back, sends them to the guest and refuses what is no CPU", () => {
    const spec = parseMachineFile(
      `interfaces:\n  - {name: eth0, addresses: [198.51.100.1/24], cpu: 3}\n  - {name: eth1, addresses: [192.0.2.1/24]}\ncpu: 1\n`,
      'c.yaml',
    );
    expect(spec.cpu).toBe(1);
    expect(spec.devices.map((d) => d.cpu)).toEqual([undefined, 3, undefined]);
    expect(parseMachineFile(machineFileText(spec), 'again.yaml')).toEqual(spec);
    const booted = decodeBoot(encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec })).spec;
    expect(booted.cpu).toBe(1);
    expect(booted.devices[1]!.cpu).toBe(3);
    expect(() => parseMachineFile(`interfaces:\n  - {name: eth0, addresses: [198.51.100.1/24], cpu: -1}\ncpu: 9000\n`, 'c.yaml')).toThrow(
      "c.yaml:2:53: an interface's cpu must be a CPU number from 0 to 8191 (the CPU that processes what it receives)\nc.yaml:3:6: cpu must be a CPU number from 0 to 8191",
    );
  });

  it('reads the accounting objects, writes them back and refuses what nfacct add refuses', () => {
    const spec = parseMachineFile(
      `interfaces:\n  - {name: eth0, addresses: [198.51.100.1/24]}\nnfacct:\n  - {name: http}\n  - {name: capped, quota: {bytes: 1000000}, packets: 2, bytes: 0}\n  - {name: 7, quota: {packets: 5}}\n`,
      'n.yaml',
    );
    expect(spec.nfacct).toEqual([
      { name: 'http' },
      { name: 'capped', quota: { mode: 'bytes', value: 1000000n }, packets: 2n },
      { name: '7', quota: { mode: 'packets', value: 5n } },
    ]);
    expect(parseMachineFile(machineFileText(spec), 'again.yaml')).toEqual(spec);
    const bad = (extra: string): string[] => problems(`interfaces:\n  - {name: eth0, addresses: [198.51.100.1/24]}\nnfacct:\n${extra}`);
    expect(bad('  - {name: http}\n  - {name: http}\n')).toEqual([
      "m.yaml:5:12: accounting object `http' is listed twice (nfacct add refuses an existing name)",
    ]);
    expect(bad(`  - {name: ${'x'.repeat(32)}}\n`)[0]).toMatch(/name must be text of 1 to 31 bytes/);
    expect(bad('  - {name: a, quota: {bytes: 1, packets: 2}}\n')[0]).toMatch(/a quota is \{bytes: N\} or \{packets: N\}/);
    expect(bad('  - {name: a, quota: {bytes: -1}}\n')[0]).toMatch(/a quota of bytes must be a whole number from 0 to 18446744073709551615/);
    expect(bad('  - {name: a, bytes: "18446744073709551616"}\n')[0]).toMatch(/starting bytes must be a whole number/);
    expect(bad('  - {quota: {bytes: 1}}\n')[0]).toMatch(/has no `name'/);
    expect(bad('  - {name: a, pkts: 1}\n')[0]).toMatch(/unknown key `pkts' in accounting object 1; accepted: name, quota, packets, bytes/);
    expect(problems(`interfaces:\n  - {name: eth0, addresses: [198.51.100.1/24]}\nnfacct: http\n`)[0]).toMatch(/nfacct must be a list/);
  });
});

describe('machine file: cttimeout (timeout policies)', () => {
  const head = `interfaces:\n  - name: eth0\n    addresses: [198.51.100.1/24]\n`;
  const problemsOf = (text: string): string[] => {
    try {
      parseMachineFile(text, 't.yaml');
    } catch (e) {
      if (e instanceof MachineFileError) return e.message.split('\n');
      throw e;
    }
    return [];
  };

  it('reads the policies (states in any case, as nfct takes them), writes them back and sends them to the guest', () => {
    const spec = parseMachineFile(
      `${head}cttimeout:\n  - {name: short, family: inet, protocol: tcp, ESTABLISHED: 100, close: 10}\n` +
        `  - {name: ping6, family: inet6, protocol: ICMPv6, timeout: 3}\n  - {name: sc, family: inet, protocol: sctp, shutdown_ack_sent: 1}\n`,
      't.yaml',
    );
    expect(spec.cttimeout).toEqual([
      { name: 'short', family: Family.V4, protocol: 'tcp', timeouts: { established: 100, close: 10 } },
      { name: 'ping6', family: Family.V6, protocol: 'icmpv6', timeouts: { timeout: 3 } },
      { name: 'sc', family: Family.V4, protocol: 'sctp', timeouts: { shutdown_ack_sent: 1 } },
    ]);
    const text = machineFileText(spec);
    expect(text).toContain('cttimeout:\n  - {name: "short", family: inet, protocol: tcp, established: 100, close: 10}\n');
    expect(parseMachineFile(text, 'again.yaml')).toEqual(spec);
    expect(decodeBoot(encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec })).spec.cttimeout).toEqual(spec.cttimeout);
  });

  it.each([
    ['a mapping', 'cttimeout: {name: a}\n', 't.yaml:4:12: cttimeout must be a list of timeout policies'],
    ['no name', 'cttimeout:\n  - {family: inet, protocol: tcp, close: 1}\n', "t.yaml:5:5: timeout policy 1 has no `name'"],
    ['a long name', `cttimeout:\n  - {name: ${'a'.repeat(32)}, family: inet, protocol: tcp, close: 1}\n`, 't.yaml:5:12: timeout policy name `aaaa'],
    [
      'a name twice',
      'cttimeout:\n  - {name: a, family: inet, protocol: tcp, close: 1}\n  - {name: a, family: inet6, protocol: udp, replied: 1}\n',
      't.yaml:6:12: timeout policy a is already declared: names are one list for both families',
    ],
    ['no family', 'cttimeout:\n  - {name: a, protocol: tcp, close: 1}\n', "t.yaml:5:5: timeout policy 1 has no `family' (inet for iptables rules, inet6"],
    ['family ipv4', 'cttimeout:\n  - {name: a, family: ipv4, protocol: tcp, close: 1}\n', "t.yaml:5:23: timeout policy family `ipv4': accepted are inet"],
    ['dccp', 'cttimeout:\n  - {name: a, family: inet, protocol: dccp, request: 1}\n', 't.yaml:5:39: timeout policy Linux 6.18 has no DCCP connection tracker'],
    [
      'esp',
      'cttimeout:\n  - {name: a, family: inet, protocol: esp, timeout: 1}\n',
      "t.yaml:5:39: timeout policy protocol `esp': accepted are tcp, udp, udplite",
    ],
    [
      'a state of another protocol',
      'cttimeout:\n  - {name: a, family: inet, protocol: udp, established: 1}\n',
      "t.yaml:5:44: unknown state `established' for udp",
    ],
    [
      'a negative value',
      'cttimeout:\n  - {name: a, family: inet, protocol: udp, replied: -1}\n',
      't.yaml:5:53: udp replied must be a whole number of seconds from 0 to 17179869',
    ],
    ['a value that wraps', 'cttimeout:\n  - {name: a, family: inet, protocol: gre, replied: 17179870}\n', 't.yaml:5:53: gre replied must be a whole number'],
    ['no state', 'cttimeout:\n  - {name: a, family: inet, protocol: generic}\n', 't.yaml:5:5: timeout policy 1 sets no state: give at least one of timeout'],
  ])('refuses %s, naming file, line and column', (_name, tail, expected) => {
    const p = problemsOf(head + tail);
    expect(
      p.some((l) => l.startsWith(expected)),
      p.join('\n'),
    ).toBe(true);
  });
});

describe('machine file osf: (passive OS fingerprints nfnl_osf loaded)', () => {
  const base = 'interfaces:\n  - name: eth0\n    mac: "02:00:00:00:00:01"\n    addresses: [198.51.100.1/24]\n';
  const PF = '# two\nS44:64:1:60:M*,S,T,N,W7:Linux:2.6:2.6.x:\n16384:64:0:44:M*:FreeBSD:4.8:noDF:\n';
  it('reads a pf.os file relative to the machine file, writes the fingerprints back inline, and carries them to the guest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cofw-osf-'));
    try {
      writeFileSync(join(dir, 'pf.os'), PF);
      const spec = parseMachineFile(base + 'osf: pf.os\n', join(dir, 'm.yaml'));
      expect(spec.osf?.map((f) => [f.genre, f.df, f.line])).toEqual([
        ['Linux', 1, 2],
        ['FreeBSD', 0, 3],
      ]);
      const again = parseMachineFile(machineFileText(spec), 'again.yaml');
      expect(again.osf?.map((f) => f.genre)).toEqual(['Linux', 'FreeBSD']);
      const booted = decodeBoot(encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec })).spec.osf;
      expect(booted?.map(({ line: _l, ...f }) => f)).toEqual(spec.osf?.map(({ line: _l, ...f }) => f));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('crosses to the guest beside timeout policies', () => {
    const spec = parseMachineFile(
      base + 'cttimeout:\n  - {name: short, family: inet, protocol: udp, unreplied: 3}\nosf: ["*:64:1:40:.:Wild:1:any:"]\n',
      'm.yaml',
    );
    const booted = decodeBoot(encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec })).spec;
    expect(booted.cttimeout).toEqual(spec.cttimeout);
    expect(booted.osf?.map((f) => f.genre)).toEqual(['Wild']);
  });
  it('takes the lines inline, as a list or a block', () => {
    expect(parseMachineFile(base + 'osf: ["S44:64:1:60:M*,S,T,N,W7:Linux:2.6:2.6.x:"]\n', 'm.yaml').osf?.[0]?.genre).toBe('Linux');
    expect(parseMachineFile(base + `osf: |\n  ${PF.split('\n').join('\n  ')}\n`, 'm.yaml').osf).toHaveLength(2);
  });
  it('names the machine file position, the fingerprint line and why nfnl_osf refuses it', () => {
    expect(problems(base + 'osf: ["*:64:1:40:.:A:v:s:", "S4:64:1:60:M*:Linux"]\n')).toEqual([
      'm.yaml:5:29: osf: line 2 of the list: 5 colons; nfnl_osf takes a line of 9 fields separated by 8 colons (window:ttl:df:size:options:genre:version:subtype:details) and refuses it (Invalid argument)',
    ]);
    expect(problems(base + 'osf: ["%0:64:1:40:.:A:v:s:"]\n')[0]).toMatch(/^m\.yaml:5:7: osf: line 1 of the list: window `%0' is a modulo of 0/);
    expect(problems(base + 'osf: no-such.os\n')[0]).toMatch(/^m\.yaml:5:6: osf: cannot read the fingerprint file .*no-such\.os/);
    expect(problems(base + 'osf: 12\n')[0]).toMatch(/^m\.yaml:5:6: osf must be the path of a pf\.os-format fingerprint file/);
    const dir = mkdtempSync(join(tmpdir(), 'cofw-osf-'));
    try {
      writeFileSync(join(dir, 'bad.os'), '# x\nS4:64:1\n');
      expect(() => parseMachineFile(base + 'osf: bad.os\n', join(dir, 'm.yaml'))).toThrow(
        `${join(dir, 'm.yaml')}:5:6: osf: ${join(dir, 'bad.os')}:2: 2 colons; nfnl_osf takes a line of 9 fields separated by 8 colons`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('machine file: txqueues', () => {
  it("reads an interface's transmit queues, writes them back, sends them to the guest and refuses what is no queue count", () => {
    const spec = parseMachineFile(
      `interfaces:\n  - {name: eth0, addresses: [198.51.100.1/24], txqueues: 4}\n  - {name: eth1, addresses: [192.0.2.1/24], txqueues: 1}\n`,
      't.yaml',
    );
    expect(spec.devices.map((d) => d.txQueues)).toEqual([undefined, 4, undefined]);
    expect(machineFileText(spec)).toContain('    txqueues: 4\n');
    expect(parseMachineFile(machineFileText(spec), 'again.yaml')).toEqual(spec);
    const booted = decodeBoot(encodeBoot({ bootTsNs: 1n, rulesFile: 'r', spec })).spec;
    expect(booted.devices[1]!.txQueues).toBe(4);
    expect(booted.devices[2]!.txQueues).toBeUndefined();
    expect(() => parseMachineFile(`interfaces:\n  - {name: eth0, addresses: [198.51.100.1/24], txqueues: 0}\n`, 't.yaml')).toThrow(
      "t.yaml:2:58: txqueues must be a whole number from 1 to 4096 (the interface's transmit queues, `ip link add ... numtxqueues N'; 1 when left out)",
    );
  });
});
