/**
 * The guest's bridge: layer-2 forwarding with a learned forwarding
 * database, flooding, local delivery, and br_netfilter's iptables hooks
 * with physdev (bridged and routed packets), against a machine file with
 * `bridges:`.
 */
import { describe, expect, it } from 'vitest';
import { arp, ethernet, icmp, ipv4, ipv6, icmp6, tcp, udp } from '../packet/build.js';
import { formatMac } from '../packet/addr.js';
import { parseMachineFile } from '../machine/machine-file.js';
import { bridgePorts } from '../machine/spec.js';
import { FateKind, type Fate } from '../netfilter/fate.js';
import { loadRuleset } from '../netfilter/rules/restore.js';
import { saveRuleset } from '../netfilter/rules/save.js';
import { Family } from '../packet/inet-addr.js';
import { GuestStack } from './ipv4/stack.js';
import { Fib } from './fib.js';
import { decideIngress } from '../conet/daemon.js';

const MACHINE = `
interfaces:
  - {name: eth0, mac: "02:00:00:00:00:01", addresses: [198.51.100.1/24, 2001:db8:100::1/64]}
  - {name: eth1, mac: "02:00:00:00:01:01"}
  - {name: eth2, mac: "02:00:00:00:02:01"}
  - {name: eth3, mac: "02:00:00:00:03:01"}
bridges:
  - name: br0
    mac: "02:00:00:00:0b:01"
    ports: [eth1, eth2, eth3]
    addresses: [192.0.2.1/24, 2001:db8:2::1/64]
routes:
  - {to: default, via: 198.51.100.254}
  - {to: "::/0", via: "2001:db8:100::fe"}
`;

const BR = '02:00:00:00:0b:01';
const A = { mac: '02:00:00:00:01:10', ip: '192.0.2.10' };
const B = { mac: '02:00:00:00:02:20', ip: '192.0.2.20' };
const C = { mac: '02:00:00:00:03:30', ip: '192.0.2.30' };
const WIRE = '02:00:00:00:00:02';

type In = [unit: number, frame: Uint8Array];

function run(rules: string, frames: In[], rules6?: string, machine = MACHINE): { fates: Fate[]; save: string; save6: string; log: string[] } {
  const spec = parseMachineFile(machine, 'bridge.yaml');
  const ports = bridgePorts(spec);
  const rs = loadRuleset(rules, 'bridge.v4', ports ? { bridgePorts: ports } : {});
  const rs6 = rules6 ? loadRuleset(rules6, 'bridge.v6', { family: Family.V6, ...(ports ? { bridgePorts: ports } : {}) }) : null;
  const fates: Fate[] = [];
  const log: string[] = [];
  const st = new GuestStack(
    { spec, printk: (_l, t) => log.push(t), fate: (f) => fates.push({ ...f, ...(f.frame ? { frame: f.frame.slice() } : {}) }) },
    rs,
    rs6,
  );
  frames.forEach(([unit, f], i) => {
    st.setClock((i + 1) * 1_000_000);
    st.receive(unit, f, i + 1);
  });
  st.finish();
  return { fates, save: saveRuleset(rs, { counters: true }), save6: rs6 ? saveRuleset(rs6, { counters: true }) : '', log };
}

const counters = (save: string): string[] => save.split('\n').filter((l) => /^\[|^:/.test(l) || /^-A/.test(l));

function own(fates: Fate[], n: number): Fate {
  const f = fates.filter((x) => x.frameNo === n && x.kind !== FateKind.Copy && x.kind !== FateKind.Generated && x.kind !== FateKind.GeneratedDropped);
  expect(f).toHaveLength(1);
  return f[0]!;
}

const copies = (fates: Fate[], n: number): number[] => fates.filter((x) => x.frameNo === n && x.kind === FateKind.Copy).map((x) => x.unit);

describe('bridge', () => {
  const RULES = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i br0 -m physdev --physdev-in eth1 -j ACCEPT
-A INPUT -i br0 -m physdev --physdev-in eth+ ! --physdev-is-bridged -j ACCEPT
-A FORWARD -i br0 -o br0 -m physdev --physdev-in eth1 --physdev-out eth2 -j ACCEPT
-A FORWARD -m physdev --physdev-is-bridged --physdev-out eth3 -j DROP
-A FORWARD -m physdev --physdev-is-in --physdev-in eth2 -j ACCEPT
-A FORWARD -i br0 -o eth0 -m physdev --physdev-in eth1 ! --physdev-is-out -j ACCEPT
-A FORWARD -i eth0 -o br0 -m physdev ! --physdev-is-in -j ACCEPT
COMMIT
`;

  it('bridges between ports through FORWARD with physdev, floods unknown destinations, learns sources, passes the bridge MAC up', () => {
    const aToB = ethernet({ src: A.mac, dst: B.mac }, ipv4({ src: A.ip, dst: B.ip }, tcp({ sport: 1000, dport: 80, flags: 'S' })));
    const bToA = ethernet({ src: B.mac, dst: A.mac }, ipv4({ src: B.ip, dst: A.ip }, tcp({ sport: 80, dport: 1000, flags: 'SA' })));
    const aToB2 = ethernet({ src: A.mac, dst: B.mac }, ipv4({ src: A.ip, dst: B.ip }, tcp({ sport: 1000, dport: 80, flags: 'A' })));
    const aToFw = ethernet({ src: A.mac, dst: BR }, ipv4({ src: A.ip, dst: '192.0.2.1' }, icmp({ type: 8, id: 1, seq: 1 })));
    const aOut = ethernet({ src: A.mac, dst: BR }, ipv4({ src: A.ip, dst: '203.0.113.5' }, udp({ sport: 5000, dport: 53 })));
    const back = ethernet({ src: WIRE, dst: '02:00:00:00:00:01' }, ipv4({ src: '203.0.113.5', dst: A.ip }, udp({ sport: 53, dport: 5000 })));
    const { fates, save } = run(RULES, [
      [1, aToB], // 1: B unknown: flooded to eth3 (dropped by rule 4) and eth2 (accepted by rule 3)
      [2, bToA], // 2: A learned on eth1: forwarded there (rule 5)
      [1, aToB2], // 3: B learned on eth2: to eth2 only
      [1, aToFw], // 4: to the bridge: INPUT -i br0 with physdev-in eth1
      [1, aOut], // 5: routed out of eth0 (FORWARD -i br0 -o eth0, physdev-in set, no physdev-out)
      [0, back], // 6: routed into br0, out of eth1 (A's port), to A's MAC
    ]);
    expect(own(fates, 1)).toMatchObject({ kind: FateKind.Forwarded, unit: 2 });
    expect(copies(fates, 1)).toEqual([]);
    const f1 = own(fates, 1).frame!;
    expect(formatMac(f1, 0)).toBe(B.mac);
    expect(formatMac(f1, 6)).toBe(A.mac); // bridged frames keep their source MAC
    expect(f1[14 + 8]).toBe(64); // and their TTL
    expect(own(fates, 2)).toMatchObject({ kind: FateKind.Forwarded, unit: 1 });
    expect(own(fates, 3)).toMatchObject({ kind: FateKind.Forwarded, unit: 2 });
    expect(own(fates, 4)).toMatchObject({ kind: FateKind.Delivered });
    expect(own(fates, 5)).toMatchObject({ kind: FateKind.Forwarded, unit: 0 });
    const f6 = own(fates, 6);
    expect(f6).toMatchObject({ kind: FateKind.Forwarded, unit: 1 });
    expect(formatMac(f6.frame!, 0)).toBe(A.mac);
    expect(formatMac(f6.frame!, 6)).toBe(BR);
    expect(counters(save)).toEqual([
      ':INPUT ACCEPT [0:0]',
      ':FORWARD DROP [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      '[1:28] -A INPUT -i br0 -m physdev --physdev-in eth1 -j ACCEPT',
      '[0:0] -A INPUT -i br0 -m physdev --physdev-in eth+ ! --physdev-is-bridged -j ACCEPT',
      '[2:80] -A FORWARD -i br0 -o br0 -m physdev --physdev-in eth1 --physdev-out eth2 -j ACCEPT',
      '[1:40] -A FORWARD -m physdev --physdev-out eth3 --physdev-is-bridged -j DROP',
      '[1:40] -A FORWARD -m physdev --physdev-is-in --physdev-in eth2 -j ACCEPT',
      '[1:28] -A FORWARD -i br0 -o eth0 -m physdev --physdev-in eth1 ! --physdev-is-out -j ACCEPT',
      '[1:28] -A FORWARD -i eth0 -o br0 -m physdev ! --physdev-is-in -j ACCEPT',
    ]);
  });

  it('floods a broadcast out of every other port, one FORWARD traversal per copy, and passes it up', () => {
    const rules = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m physdev --physdev-in eth1 -m pkttype --pkt-type broadcast
-A FORWARD -m physdev --physdev-out eth2
-A FORWARD -m physdev --physdev-out eth3 -j DROP
-A FORWARD -m physdev --physdev-out eth1
COMMIT
`;
    const bc = ethernet({ src: A.mac, dst: 'ff:ff:ff:ff:ff:ff' }, ipv4({ src: A.ip, dst: '192.0.2.255' }, udp({ sport: 137, dport: 137 })));
    const who = ethernet({ src: C.mac, dst: 'ff:ff:ff:ff:ff:ff', ethertype: 0x0806 }, arp(1, C.mac, C.ip, '00:00:00:00:00:00', A.ip));
    const { fates, save } = run(rules, [
      [1, bc],
      [3, who],
    ]);
    expect(own(fates, 1)).toMatchObject({ kind: FateKind.Forwarded, unit: 2 });
    expect(copies(fates, 1)).toEqual([]);
    // ARP is not seen by iptables: bridged, its copies out of the other ports.
    expect(own(fates, 2)).toMatchObject({ kind: FateKind.Bridged });
    expect(copies(fates, 2).sort()).toEqual([1, 2]);
    expect(counters(save).slice(3)).toEqual([
      '[1:28] -A INPUT -m physdev --physdev-in eth1 -m pkttype --pkt-type broadcast',
      '[1:28] -A FORWARD -m physdev --physdev-out eth2',
      '[1:28] -A FORWARD -m physdev --physdev-out eth3 -j DROP',
      '[0:0] -A FORWARD -m physdev --physdev-out eth1',
    ]);
  });

  it('tracks bridged connections and drops in FORWARD; a flood whose copies all pass leaves copies', () => {
    const rules = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT
-A FORWARD -m physdev --physdev-in eth1 -m conntrack --ctstate NEW -j ACCEPT
COMMIT
`;
    const syn = ethernet({ src: A.mac, dst: B.mac }, ipv4({ src: A.ip, dst: B.ip }, tcp({ sport: 1000, dport: 80, flags: 'S' })));
    const synack = ethernet({ src: B.mac, dst: A.mac }, ipv4({ src: B.ip, dst: A.ip }, tcp({ sport: 80, dport: 1000, flags: 'SA', ack: 1 })));
    const fromB = ethernet({ src: B.mac, dst: C.mac }, ipv4({ src: B.ip, dst: C.ip }, tcp({ sport: 80, dport: 1000, flags: 'S' })));
    const { fates, save } = run(rules, [
      [1, syn], // flooded to eth2 and eth3: both pass; one frame, one copy
      [2, synack], // established, A learned on eth1
      [2, fromB], // NEW from eth2: dropped by the policy (both copies)
    ]);
    expect(own(fates, 1)).toMatchObject({ kind: FateKind.Forwarded });
    expect(copies(fates, 1)).toHaveLength(1);
    expect(own(fates, 2)).toMatchObject({ kind: FateKind.Forwarded, unit: 1 });
    expect(own(fates, 3)).toMatchObject({ kind: FateKind.DroppedByPolicy });
    expect(counters(save)).toContain('[1:40] -A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT');
    expect(counters(save)).toContain('[2:80] -A FORWARD -m physdev --physdev-in eth1 -m conntrack --ctstate NEW -j ACCEPT');
    expect(counters(save)).toContain(':FORWARD DROP [2:80]');
  });

  it('bridges IPv6 through ip6tables with physdev', () => {
    const rules6 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -i br0 -o br0 -m physdev --physdev-in eth1 --physdev-out eth2 -j ACCEPT
COMMIT
`;
    const a6 = ethernet(
      { src: A.mac, dst: B.mac, ethertype: 0x86dd },
      ipv6({ src: '2001:db8:2::10', dst: '2001:db8:2::20' }, icmp6({ type: 128, id: 1, seq: 1 })),
    );
    const b6 = ethernet(
      { src: B.mac, dst: A.mac, ethertype: 0x86dd },
      ipv6({ src: '2001:db8:2::20', dst: '2001:db8:2::10' }, icmp6({ type: 129, id: 1, seq: 1 })),
    );
    const { fates, save6 } = run(
      '*filter\nCOMMIT\n',
      [
        [2, b6], // B learned on eth2; A unknown: flooded to eth1 and eth3: dropped by the policy
        [1, a6], // to eth2: accepted
      ],
      rules6,
    );
    expect(own(fates, 1)).toMatchObject({ kind: FateKind.DroppedByPolicy });
    expect(own(fates, 2)).toMatchObject({ kind: FateKind.Forwarded, unit: 2 });
    expect(counters(save6)).toContain('[1:48] -A FORWARD -i br0 -o br0 -m physdev --physdev-in eth1 --physdev-out eth2 -j ACCEPT');
    expect(counters(save6)).toContain(':FORWARD DROP [2:96]');
  });

  it('with bridge-nf-call-iptables 0, bridged IPv4 never meets iptables', () => {
    const machine = MACHINE.replace('    ports: [eth1, eth2, eth3]', '    ports: [eth1, eth2, eth3]\n    bridge-nf-call-iptables: 0');
    const rules = `*filter
:FORWARD DROP [0:0]
-A FORWARD -m physdev --physdev-is-bridged
COMMIT
`;
    const aToB = ethernet({ src: A.mac, dst: B.mac }, ipv4({ src: A.ip, dst: B.ip }, udp({ sport: 1, dport: 2 })));
    const { fates, save } = run(rules, [[1, aToB]], undefined, machine);
    expect(own(fates, 1)).toMatchObject({ kind: FateKind.Forwarded });
    expect(copies(fates, 1)).toHaveLength(1);
    expect(counters(save)).toContain('[0:0] -A FORWARD -m physdev --physdev-is-bridged');
  });
});

describe('physdev without a bridge', () => {
  it('is refused, pointing at the machine file', () => {
    expect(() => loadRuleset('*filter\n-A FORWARD -m physdev --physdev-is-bridged -j ACCEPT\nCOMMIT\n', 'r.v4')).toThrow(
      /declare the bridge in the machine file \(`bridges:`/,
    );
  });
});

describe('ingress by bridge ports', () => {
  it("picks the port whose `from:` names the source MAC or address, else the bridge's first port", () => {
    const spec = parseMachineFile(
      MACHINE.replace('    ports: [eth1, eth2, eth3]', '    ports: [eth1, {name: eth2, from: [192.0.2.16/28, "02:00:00:00:03:30"]}, eth3]'),
      'b.yaml',
    );
    const fib = new Fib(spec);
    const at = (src: { mac: string; ip: string }): number =>
      decideIngress({ data: ethernet({ src: src.mac, dst: BR }, ipv4({ src: src.ip, dst: '192.0.2.1' }, udp({ sport: 1, dport: 2 }))) }, fib, spec.devices)
        .unit;
    expect(at(A)).toBe(1); // no from: the first port
    expect(at(B)).toBe(2); // 192.0.2.20 in 192.0.2.16/28
    expect(at(C)).toBe(2); // its MAC
    expect(at({ mac: WIRE, ip: '203.0.113.9' })).toBe(0); // not on the bridge: the route back
    const named = decideIngress(
      { data: ethernet({ src: A.mac, dst: BR }, ipv4({ src: A.ip, dst: '192.0.2.1' }, udp({ sport: 1, dport: 2 }))), ifName: 'eth3' },
      fib,
      spec.devices,
    );
    expect(named.unit).toBe(3);
    const arpFromB = ethernet({ src: B.mac, dst: 'ff:ff:ff:ff:ff:ff', ethertype: 0x0806 }, arp(1, B.mac, B.ip, '00:00:00:00:00:00', A.ip));
    expect(decideIngress({ data: arpFromB }, fib, spec.devices).unit).toBe(2);
  });
});

describe('physdev with a bridge: parse, save, checkentry', () => {
  const load = (rule: string, table = 'filter'): string => {
    try {
      return saveRuleset(loadRuleset(`*${table}\n${rule}\nCOMMIT\n`, 'p.v4', { bridgePorts: ['eth1', 'eth2'] }), {})
        .split('\n')
        .filter((l) => l.startsWith('-A'))
        .join('\n');
    } catch (e) {
      return (e as Error).message;
    }
  };
  it('saves options in iptables-save order: is-in, in, is-out, out, is-bridged', () => {
    expect(load('-A FORWARD -m physdev ! --physdev-in eth+ --physdev-out eth2 ! --physdev-is-bridged --physdev-is-in ! --physdev-is-out')).toBe(
      '-A FORWARD -m physdev --physdev-is-in ! --physdev-in eth+ ! --physdev-is-out --physdev-out eth2 ! --physdev-is-bridged',
    );
    expect(load('-A FORWARD -m physdev --physdev-is-bridged --physdev-out eth2 --physdev-in eth1')).toBe(
      '-A FORWARD -m physdev --physdev-in eth1 --physdev-out eth2 --physdev-is-bridged',
    );
    expect(load('-A FORWARD -m physdev --physdev-in +')).toBe('-A FORWARD -m physdev --physdev-in +');
  });
  it('refuses what iptables and the kernel refuse, in their words', () => {
    expect(load('-A FORWARD -m physdev --physdev-in eth1 --physdev-in eth2')).toMatch(/physdev: option "--physdev-in" can only be used once/);
    expect(load('-A OUTPUT -m physdev --physdev-out eth1')).toMatch(/RULE_APPEND failed \(Invalid argument\): rule in chain OUTPUT/);
    expect(load('-A OUTPUT -m physdev ! --physdev-is-bridged --physdev-is-out', 'mangle')).toMatch(/RULE_APPEND failed/);
    // With a plain --physdev-is-bridged, in POSTROUTING, and in a user chain reached from OUTPUT, it loads (as with iptables-nft).
    expect(load('-A OUTPUT -m physdev --physdev-is-bridged --physdev-out eth1')).toBe('-A OUTPUT -m physdev --physdev-out eth1 --physdev-is-bridged');
    expect(load('-A POSTROUTING -m physdev --physdev-out eth1', 'mangle')).toBe('-A POSTROUTING -m physdev --physdev-out eth1');
    expect(load(':X - [0:0]\n-A OUTPUT -j X\n-A X -m physdev --physdev-out eth1')).toBe('-A OUTPUT -j X\n-A X -m physdev --physdev-out eth1');
  });
});
