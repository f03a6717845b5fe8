/**
 * net.ipv4.fwmark_reflect and net.ipv6.fwmark_reflect: the replies the
 * machine makes (REJECT's reset and ICMP error, the stack's ICMP errors)
 * carry the mark of the packet they answer when the sysctl is 1, and mark 0
 * otherwise (the kernel's default). OUTPUT and POSTROUTING see that mark,
 * and policy routing routes the reply by it.
 */
import { describe, expect, it } from 'vitest';
import { ethernet, ipv4, ipv6, tcp, udp } from '../../packet/build.js';
import { Family, InetAddr, parseInetAddr } from '../../packet/inet-addr.js';
import type { MachineSpec, RuleSpec, Sysctls } from '../../machine/spec.js';
import type { NetDevice } from '../../netfilter/types.js';
import { parseMac } from '../../packet/addr.js';
import { FateKind, type Fate } from '../../netfilter/fate.js';
import { loadRuleset } from '../../netfilter/rules/restore.js';
import { saveRuleset } from '../../netfilter/rules/save.js';
import { GuestStack } from './stack.js';

const WIRE = { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' };
const WIRE6 = { ...WIRE, ethertype: 0x86dd };

/** An address of either family. */
const addr = (text: string): InetAddr => parseInetAddr(text)!;

function dev(name: string, index: number, unit: number, mac: string, addrs: Array<[string, number, string?]>): NetDevice {
  return {
    name,
    index,
    unit,
    mac: parseMac(mac)!,
    mtu: unit < 0 ? 65536 : 1500,
    addrs: addrs.map(([a, prefix, brd]) => ({ addr: addr(a), prefix, ...(brd ? { broadcast: addr(brd) } : {}) })),
  };
}

const ROUTES: MachineSpec['routes'] = [
  { dst: InetAddr.v4(0), prefix: 0, via: addr('198.51.100.254'), dev: 'eth0' },
  { dst: addr('::'), prefix: 0, via: addr('2001:db8:100::fe'), dev: 'eth0' },
];

/** The oracle's firewall (both families), with the sysctls given. */
function machine(sysctl: Sysctls, extra: Partial<MachineSpec> = {}): MachineSpec {
  return {
    hostname: 'test',
    devices: [
      dev('lo', 1, -1, '00:00:00:00:00:00', [
        ['127.0.0.1', 8, '127.255.255.255'],
        ['::1', 128],
      ]),
      dev('eth0', 2, 0, '02:00:00:00:00:01', [
        ['198.51.100.1', 24, '198.51.100.255'],
        ['2001:db8:100::1', 64],
      ]),
      dev('eth1', 3, 1, '02:00:00:00:01:01', [
        ['192.0.2.1', 24, '192.0.2.255'],
        ['2001:db8:2::1', 64],
      ]),
    ],
    routes: ROUTES,
    failPolicy: 'closed',
    sysctl,
    ...extra,
  };
}

const RULES = (family: '4' | '6'): string => `*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -j MARK --set-xmark 0x5/0xffffffff
-A OUTPUT -m mark --mark 0x5
-A OUTPUT -m mark --mark 0x0
-A POSTROUTING -m mark --mark 0x5
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -j REJECT --reject-with tcp-reset
-A INPUT -p udp -j REJECT${family === '6' ? ' --reject-with icmp6-port-unreachable' : ''}
COMMIT
`;

/** Replays a TCP and a UDP packet to the firewall (both rejected), IPv4 and IPv6; the counters and fates. */
function run(spec: MachineSpec): { save4: string; save6: string; fates: Fate[] } {
  const rs = loadRuleset(RULES('4'), 'test.v4');
  const rs6 = loadRuleset(RULES('6'), 'test.v6', { family: Family.V6 });
  const fates: Fate[] = [];
  const st = new GuestStack({ spec, printk: () => {}, fate: (f) => fates.push({ ...f }) }, rs, rs6);
  const frames = [
    ethernet(WIRE, ipv4({ src: '203.0.113.9', dst: '198.51.100.1' }, tcp({ sport: 1000, dport: 22, flags: 'S' }))),
    ethernet(WIRE, ipv4({ src: '203.0.113.9', dst: '198.51.100.1' }, udp({ sport: 1000, dport: 53 }))),
    ethernet(WIRE6, ipv6({ src: '2001:db8:9::9', dst: '2001:db8:100::1' }, tcp({ sport: 1000, dport: 22, flags: 'S' }))),
    ethernet(WIRE6, ipv6({ src: '2001:db8:9::9', dst: '2001:db8:100::1' }, udp({ sport: 1000, dport: 53 }))),
  ];
  frames.forEach((f, i) => {
    st.setClock(i * 1_000_000);
    st.receive(0, f, i + 1);
  });
  st.finish();
  return { save4: saveRuleset(rs, { counters: true }), save6: saveRuleset(rs6, { counters: true }), fates };
}

/** The packet counters of mangle's OUTPUT rules (mark 5, mark 0) and POSTROUTING's (mark 5). */
function markCounts(save: string): number[] {
  return [...save.matchAll(/^\[(\d+):\d+\] -A (?:OUTPUT|POSTROUTING) -m mark/gm)].map((m) => Number(m[1]));
}

describe('fwmark_reflect', () => {
  it('leaves the replies unmarked by default, as the kernel does', () => {
    const { save4, save6, fates } = run(machine({}));
    expect(markCounts(save4)).toEqual([0, 2, 0]);
    expect(markCounts(save6)).toEqual([0, 2, 0]);
    expect(fates.filter((f) => f.kind === FateKind.Generated)).toHaveLength(4);
  });

  it('gives the replies the mark of what they answer, per family', () => {
    let r = run(machine({ fwmarkReflect4: true, fwmarkReflect6: true }));
    expect(markCounts(r.save4)).toEqual([2, 0, 2]);
    expect(markCounts(r.save6)).toEqual([2, 0, 2]);
    r = run(machine({ fwmarkReflect4: true }));
    expect(markCounts(r.save4)).toEqual([2, 0, 2]);
    expect(markCounts(r.save6)).toEqual([0, 2, 0]);
    r = run(machine({ fwmarkReflect4: false, fwmarkReflect6: true }));
    expect(markCounts(r.save4)).toEqual([0, 2, 0]);
    expect(markCounts(r.save6)).toEqual([2, 0, 2]);
  });

  it('routes a marked reply by its mark (policy routing fwmark rules)', () => {
    // Mark 5 goes by table 100, whose default route leaves by eth1; mark 0 by main (eth0).
    const extra: Partial<MachineSpec> = {
      routes: [
        ...ROUTES,
        { dst: InetAddr.v4(0), prefix: 0, via: parseInetAddr('192.0.2.254')!, dev: 'eth1', table: 100 },
        { dst: addr('::'), prefix: 0, via: addr('2001:db8:2::fe'), dev: 'eth1', table: 100 },
      ],
      rules: [
        { family: Family.V4, priority: 100, fwmark: { mark: 5, mask: 0xffffffff }, action: 'table', table: 100 },
        { family: Family.V6, priority: 100, fwmark: { mark: 5, mask: 0xffffffff }, action: 'table', table: 100 },
      ],
    };
    const units = (sysctl: Sysctls): number[] =>
      run(machine(sysctl, extra))
        .fates.filter((f) => f.kind === FateKind.Generated)
        .map((f) => f.unit);
    expect(units({})).toEqual([0, 0, 0, 0]);
    expect(units({ fwmarkReflect4: true, fwmarkReflect6: true })).toEqual([1, 1, 1, 1]);
    expect(units({ fwmarkReflect6: true })).toEqual([0, 0, 1, 1]);
  });

  it("checks the way back by the reply's flow: its mark, and for IPv6 its source, protocol and ports (nf_send_reset6, icmp6_send)", () => {
    const generated = (sysctl: Sysctls, rules: MachineSpec['rules']): number =>
      run(machine(sysctl, { rules: rules! })).fates.filter((f) => f.kind === FateKind.Generated).length;
    // Replies marked 5 have no way back (prohibit): REJECT sends nothing for them.
    const byMark: MachineSpec['rules'] = [
      { family: Family.V4, priority: 100, fwmark: { mark: 5, mask: 0xffffffff }, action: 'prohibit' },
      { family: Family.V6, priority: 100, fwmark: { mark: 5, mask: 0xffffffff }, action: 'prohibit' },
    ];
    expect(generated({}, byMark)).toBe(4);
    expect(generated({ fwmarkReflect6: true }, byMark)).toBe(2);
    expect(generated({ fwmarkReflect4: true, fwmarkReflect6: true }, byMark)).toBe(0);
    // The reset's flow: TCP from port 22 (the original's destination port) of the original destination.
    const v6 = (r: Omit<RuleSpec, 'family' | 'priority' | 'action'>): MachineSpec['rules'] => [{ family: Family.V6, priority: 100, action: 'prohibit', ...r }];
    expect(generated({}, v6({ ipproto: 6, sport: [22, 22] }))).toBe(3);
    expect(generated({}, v6({ ipproto: 6, dport: [22, 22] }))).toBe(4);
    expect(generated({}, v6({ from: { addr: addr('2001:db8:100::1'), prefix: 128 } }))).toBe(2);
    // The ICMPv6 error's flow: protocol 58, type 1 and code 4 where the destination port would be.
    expect(generated({}, v6({ ipproto: 58, dport: [0x104, 0x104] }))).toBe(3);
    expect(generated({}, v6({ ipproto: 58, dport: [0x103, 0x103] }))).toBe(4);
  });
});
