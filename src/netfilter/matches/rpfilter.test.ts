/**
 * `-m rpfilter` in both families: what iptables-restore and ip6tables-restore
 * 1.8.9 (nf_tables) accept and print back, what the kernel refuses, and the
 * match against the oracle's dual-stack machine, case by case as the
 * kernel answered them (test/golden/rpfilter, recorded with Linux 6.18).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipv4, ipv6, udp } from '../../packet/build.js';
import { Family } from '../../packet/inet-addr.js';
import { Fib } from '../../net/fib.js';
import { loadMachineFile } from '../../machine/machine-file.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';
import { Hook, PacketType, type GuestServices, type NetDevice, type XtParams } from '../types.js';
import { rpfilterMatch, type RpfilterConfig } from './rpfilter.js';
import { services, skb6, skbOf } from './test-util.js';

/** A rule file through iptables-restore / ip6tables-restore and -save as cofw does them: the `-A` lines, or the error. */
function load(text: string, family: Family = Family.V4): string {
  try {
    return saveRuleset(loadRuleset(text, family === Family.V6 ? 'rules.v6' : 'rules.v4', { family }), { counters: false })
      .split('\n')
      .filter((l) => l.startsWith('-A'))
      .join('\n');
  } catch (e) {
    return (e as Error).message;
  }
}

const raw = (...rules: string[]): string => ['*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ...rules, 'COMMIT', ''].join('\n');

describe('rpfilter rules', () => {
  // Recorded with iptables-restore and ip6tables-restore 1.8.9 (nf_tables) in a network namespace.
  it.each([Family.V4, Family.V6])('prints its options in the kernel order (family %s)', (family) => {
    expect(load(raw('-A PREROUTING -m rpfilter'), family)).toBe('-A PREROUTING -m rpfilter');
    expect(load(raw('-A PREROUTING -m rpfilter --invert --accept-local --validmark --loose -j DROP'), family)).toBe(
      '-A PREROUTING -m rpfilter --loose --validmark --accept-local --invert -j DROP',
    );
    expect(load(raw('-A PREROUTING -m rpfilter --validmark --loose'), family)).toBe('-A PREROUTING -m rpfilter --loose --validmark');
    const mangle = '*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -m rpfilter --accept-local\nCOMMIT\n';
    expect(load(mangle, family)).toBe('-A PREROUTING -m rpfilter --accept-local');
  });

  it.each([Family.V4, Family.V6])('refuses what iptables refuses (family %s)', (family) => {
    // Parsed by iptables itself: its own messages.
    expect(load(raw('-A PREROUTING -m rpfilter ! --loose'), family)).toContain('rpfilter: option "--loose" cannot be inverted');
    expect(load(raw('-A PREROUTING -m rpfilter --loose --loose'), family)).toContain('rpfilter: option "--loose" can only be used once');
    // Refused by the kernel (RULE_APPEND failed (Invalid argument)): PREROUTING only, raw and mangle only.
    expect(load('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m rpfilter\nCOMMIT\n', family)).toContain(
      'rpfilter match: used from hooks INPUT, but only valid from PREROUTING',
    );
    expect(load('*mangle\n:INPUT ACCEPT [0:0]\n-A INPUT -m rpfilter\nCOMMIT\n', family)).toContain('only valid from PREROUTING');
    if (family === Family.V4) {
      expect(load('*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -m rpfilter\nCOMMIT\n', family)).toContain(
        "rpfilter: only valid in 'raw' or 'mangle' table, not 'nat'",
      );
    }
    // A user chain reached from PREROUTING and OUTPUT (the kernel names the rule in the chain, line 5).
    const both = load(raw('-N X', '-A PREROUTING -j X', '-A OUTPUT -j X', '-A X -m rpfilter --invert -j DROP'), family);
    expect(both).toContain('used from hooks PREROUTING/OUTPUT');
    expect(both).toMatch(/^rules\.v[46]:7:/);
    // A chain the rule sits in, reached from INPUT by a later jump: the kernel refuses the jump (line 7).
    const later = load(
      '*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n-N Y\n-A Y -m rpfilter --accept-local\n-A PREROUTING -j Y\n-A INPUT -j Y\nCOMMIT\n',
      family,
    );
    expect(later).toContain('used from hooks PREROUTING/INPUT');
    expect(later).toMatch(/^rules\.v[46]:7:/);
    // One reached from PREROUTING only is fine.
    expect(load(raw('-N X', '-A PREROUTING -j X', '-A X -m rpfilter --invert -j DROP'), family)).toBe('-A PREROUTING -j X\n-A X -m rpfilter --invert -j DROP');
  });
});

// The oracle's firewall with both families (test/golden/rpfilter/machine.yaml).
const spec = loadMachineFile(join(import.meta.dirname, '..', '..', '..', 'test', 'golden', 'rpfilter', 'machine.yaml'));
const fib = new Fib(spec);
const eth0 = spec.devices.find((d) => d.name === 'eth0')!;
const eth1 = spec.devices.find((d) => d.name === 'eth1')!;
const lo = spec.devices.find((d) => d.name === 'lo')!;
const svc: GuestServices = {
  ...services(),
  reverseRoute: (addr, oif, strictIface) => (addr.family === Family.V6 ? fib.v6.reverseLookup(addr, oif, strictIface) : fib.fibLookupV4(addr.w0)),
};
const par = (inDev: NetDevice): XtParams => ({ hook: Hook.PreRouting, table: 'raw', inDev, outDev: null, hotdrop: false, services: svc });

const MODES: Array<[string, RpfilterConfig]> = [
  ['strict', { loose: false, validmark: false, acceptLocal: false, invert: false }],
  ['loose', { loose: true, validmark: false, acceptLocal: false, invert: false }],
  ['accept-local', { loose: false, validmark: false, acceptLocal: true, invert: false }],
  ['loose accept-local', { loose: true, validmark: false, acceptLocal: true, invert: false }],
];

/** What the match answers in each mode, as a string of 1 and 0 (strict, loose, accept-local, loose accept-local). */
function answers(ip: Uint8Array, inDev: NetDevice, family: Family, pktType = PacketType.Host): string {
  const skb = family === Family.V6 ? skb6(ip) : skbOf(ip);
  skb.pktType = pktType;
  return MODES.map(([, c]) => {
    const m = rpfilterMatch.match(c, skb, par(inDev));
    // --invert is the exact opposite.
    expect(rpfilterMatch.match({ ...c, invert: true }, skb, par(inDev))).toBe(!m);
    return m ? '1' : '0';
  }).join('');
}

const v4 = (src: string, dst: string, on: NetDevice): string => answers(ipv4({ src, dst }, udp({ sport: 1, dport: 2 })), on, Family.V4);
const v6 = (src: string, dst: string, on: NetDevice): string => answers(ipv6({ src, dst }, udp({ sport: 1, dport: 2 })), on, Family.V6);

describe('rpfilter against the kernel (test/golden/rpfilter)', () => {
  it('IPv4', () => {
    // Case, then strict, loose, accept-local, loose accept-local as the kernel matched them.
    const rows: Array<[string, string, NetDevice, string]> = [
      ['203.0.113.5', '192.0.2.10', eth0, '1111'],
      ['192.0.2.10', '203.0.113.5', eth1, '1111'],
      ['198.51.100.254', '192.0.2.10', eth0, '1111'],
      ['192.0.2.10', '203.0.113.5', eth0, '0101'], // spoofed inside source from outside
      ['203.0.113.5', '192.0.2.10', eth1, '0101'], // the route back is the default route, through eth0
      ['192.0.2.1', '192.0.2.10', eth0, '0001'], // an own address: LOCAL, whose next hop is eth1
      ['192.0.2.1', '192.0.2.10', eth1, '0011'],
      ['198.51.100.1', '198.51.100.1', eth0, '0011'],
      ['127.0.0.1', '198.51.100.1', eth0, '0001'], // LOCAL through lo
      ['0.0.0.0', '255.255.255.255', eth1, '1111'], // DHCP discover: always
      ['0.0.0.0', '255.255.255.255', eth0, '1111'],
      ['0.0.0.0', '224.0.0.22', eth1, '1111'], // to 224.0.0.0/24: always
      ['0.0.0.0', '239.1.2.3', eth1, '0101'], // otherwise 0.0.0.0 takes the default route
      ['0.0.0.0', '239.1.2.3', eth0, '1111'],
      ['0.0.0.0', '192.0.2.1', eth1, '0101'],
      ['0.0.0.0', '192.0.2.255', eth1, '0101'], // the subnet broadcast is not 255.255.255.255
      ['224.1.1.1', '192.0.2.10', eth0, '1111'], // a multicast source takes the default route
      ['224.1.1.1', '192.0.2.10', eth1, '0101'],
      ['255.255.255.255', '192.0.2.10', eth0, '1111'], // no route of its own either
      ['192.0.2.255', '203.0.113.5', eth1, '0000'], // BROADCAST
      ['198.51.100.255', '192.0.2.10', eth0, '0000'],
      ['192.0.2.0', '203.0.113.5', eth1, '1111'], // the network address has no broadcast route (Linux 6.18)
    ];
    for (const [src, dst, on, want] of rows) expect(`${src} -> ${dst} on ${on.name}: ${v4(src, dst, on)}`).toBe(`${src} -> ${dst} on ${on.name}: ${want}`);
    // From lo, or a looped-back copy: always.
    expect(v4('192.0.2.1', '198.51.100.1', lo)).toBe('1111');
    expect(answers(ipv4({ src: '192.0.2.10', dst: '203.0.113.5' }, udp({ sport: 1, dport: 2 })), eth0, Family.V4, PacketType.Loopback)).toBe('1111');
  });

  it('IPv6', () => {
    const rows: Array<[string, string, NetDevice, string]> = [
      ['2001:db8:5::5', '2001:db8:2::10', eth0, '1111'],
      ['2001:db8:2::10', '2001:db8:5::5', eth1, '1111'],
      ['2001:db8:100::fe', '2001:db8:2::10', eth0, '1111'],
      ['2001:db8:2::10', '2001:db8:5::5', eth0, '0101'],
      ['2001:db8:5::5', '2001:db8:2::10', eth1, '0101'],
      ['2001:db8:2::1', '2001:db8:2::10', eth0, '0011'], // a local route: --accept-local decides, whatever the device
      ['2001:db8:2::1', '2001:db8:2::10', eth1, '0011'],
      ['2001:db8:100::1', '2001:db8:2::10', eth0, '0011'],
      ['::', 'ff02::1:ff00:10', eth1, '1111'], // the unspecified source: always
      ['::', '2001:db8:2::10', eth0, '1111'],
      ['fe80::5', '2001:db8:100::1', eth0, '1111'], // link-local: the lookup bound to the input device
      ['fe80::5', '2001:db8:2::1', eth1, '0000'], // no route through eth1, even --loose
      ['fe80::5', 'ff02::1', eth1, '0000'],
      ['2001:db8:2::', '2001:db8:5::5', eth1, '0000'], // the subnet-router anycast address
      ['2001:db8:2::10', 'ff02::1', eth1, '1111'],
      ['2001:db8:2::10', 'ff02::1', eth0, '0101'],
      ['2001:db8:5::5', 'ff05::1:3', eth1, '0101'],
    ];
    for (const [src, dst, on, want] of rows) expect(`${src} -> ${dst} on ${on.name}: ${v6(src, dst, on)}`).toBe(`${src} -> ${dst} on ${on.name}: ${want}`);
    expect(v6('2001:db8:2::1', '2001:db8:100::1', lo)).toBe('1111');
  });

  it('--validmark changes nothing without policy routing', () => {
    const skb = skbOf(ipv4({ src: '192.0.2.10', dst: '203.0.113.5' }, udp({ sport: 1, dport: 2 })));
    skb.mark = 7;
    expect(rpfilterMatch.match({ loose: false, validmark: true, acceptLocal: false, invert: false }, skb, par(eth0))).toBe(false);
    expect(rpfilterMatch.match({ loose: false, validmark: true, acceptLocal: false, invert: false }, skb, par(eth1))).toBe(true);
  });

  it('without routes (a guest that offers no reverse lookup) nothing but the special cases matches', () => {
    const bare: XtParams = { hook: Hook.PreRouting, table: 'raw', inDev: eth0, outDev: null, hotdrop: false, services: services() };
    const c = { loose: true, validmark: false, acceptLocal: true, invert: false };
    expect(rpfilterMatch.match(c, skbOf(ipv4({ src: '203.0.113.5', dst: '192.0.2.10' }, udp({ sport: 1, dport: 2 }))), bare)).toBe(false);
    expect(rpfilterMatch.match(c, skbOf(ipv4({ src: '0.0.0.0', dst: '255.255.255.255' }, udp({ sport: 1, dport: 2 }))), bare)).toBe(true);
    expect(rpfilterMatch.match({ ...c, invert: true }, skbOf(ipv4({ src: '203.0.113.5', dst: '192.0.2.10' }, udp({ sport: 1, dport: 2 }))), bare)).toBe(true);
  });
});
