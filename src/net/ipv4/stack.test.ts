import { describe, expect, it } from 'vitest';
import { ethernet, icmp, ipv4, tcp, udp } from '../../packet/build.js';
import { parseIPv4, parseMac } from '../../packet/addr.js';
import { InetAddr } from '../../packet/inet-addr.js';
import type { MachineSpec } from '../../machine/spec.js';
import type { NetDevice } from '../../netfilter/types.js';
import { FateKind, type Fate } from '../../netfilter/fate.js';
import { loadRuleset } from '../../netfilter/rules/restore.js';
import { saveRuleset } from '../../netfilter/rules/save.js';
import { GuestStack } from './stack.js';

function dev(name: string, index: number, unit: number, mac: string, addr: string, prefix: number): NetDevice {
  const a = parseIPv4(addr)!;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return {
    name,
    index,
    unit,
    mac: parseMac(mac)!,
    mtu: unit < 0 ? 65536 : 1500,
    addrs: [{ addr: InetAddr.v4(a), prefix, broadcast: InetAddr.v4((a | ~mask) >>> 0) }],
  };
}

export const ORACLE_MACHINE: MachineSpec = {
  hostname: 'test',
  devices: [
    dev('lo', 1, -1, '00:00:00:00:00:00', '127.0.0.1', 8),
    dev('eth0', 2, 0, '02:00:00:00:00:01', '198.51.100.1', 24),
    dev('eth1', 3, 1, '02:00:00:00:01:01', '192.0.2.1', 24),
  ],
  routes: [{ dst: InetAddr.v4(0), prefix: 0, via: InetAddr.v4(parseIPv4('198.51.100.254')!), dev: 'eth0' }],
  failPolicy: 'closed',
};

const WIRE = { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' };
const HOST = { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01' };

function run(rules: string, frames: Array<[number, Uint8Array]>, truncated = false): { fates: Fate[]; save: string } {
  const rs = loadRuleset(rules, 'test.v4');
  const fates: Fate[] = [];
  const st = new GuestStack({ spec: ORACLE_MACHINE, printk: () => {}, fate: (f) => fates.push({ ...f, ...(f.frame ? { frame: f.frame.slice() } : {}) }) }, rs);
  frames.forEach(([unit, f], i) => {
    st.setClock(i * 1_000_000);
    if (unit < 0) st.output(f, i + 1, truncated);
    else st.receive(unit, f, i + 1, truncated);
  });
  st.finish();
  return { fates, save: saveRuleset(rs, { counters: true }) };
}

describe('guest stack and engine', () => {
  it('walks jumps, gotos, RETURN and policies, counting as the kernel does', () => {
    const rules = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:a - [0:0]
:b - [0:0]
-A INPUT -s 203.0.113.0/24 -j a
-A INPUT -s 203.0.113.9 -j ACCEPT
-A FORWARD -i eth1 -o eth0 -g b
-A a -p udp -j RETURN
-A a -d 198.51.100.1 -j ACCEPT
-A b -s 192.0.2.66 -j DROP
COMMIT
`;
    const toFw = ethernet(WIRE, ipv4({ src: '203.0.113.9', dst: '198.51.100.1' }, tcp({ sport: 1000, dport: 22 })));
    const udpIn = ethernet(WIRE, ipv4({ src: '203.0.113.9', dst: '198.51.100.1' }, udp({ sport: 1000, dport: 53 })));
    const fwd = ethernet(HOST, ipv4({ src: '192.0.2.10', dst: '203.0.113.5' }, icmp({ type: 8, id: 1, seq: 1 })));
    const fwdBad = ethernet(HOST, ipv4({ src: '192.0.2.66', dst: '203.0.113.5' }, icmp({ type: 8 })));
    const ttl1 = ethernet(HOST, ipv4({ src: '192.0.2.10', dst: '203.0.113.5', ttl: 1 }, icmp({ type: 8 })));
    const out = ethernet(WIRE, ipv4({ src: '198.51.100.1', dst: '203.0.113.5' }, icmp({ type: 0 })));
    const { fates, save } = run(rules, [
      [0, toFw],
      [0, udpIn],
      [1, fwd],
      [1, fwdBad],
      [1, ttl1],
      [-1, out],
    ]);
    expect(fates.map((f) => f.kind)).toEqual([
      FateKind.Delivered,
      FateKind.Delivered,
      FateKind.DroppedByPolicy,
      FateKind.DroppedByRule,
      FateKind.DroppedByStack,
      FateKind.Sent,
    ]);
    expect(save).toContain(':INPUT DROP [0:0]');
    expect(save).toContain(':FORWARD DROP [1:28]');
    expect(save).toContain('[2:68] -A INPUT -s 203.0.113.0/24 -j a');
    expect(save).toContain('[1:28] -A INPUT -s 203.0.113.9/32 -j ACCEPT');
    expect(save).toContain('[2:56] -A FORWARD -i eth1 -o eth0 -g b');
    expect(save).toContain('[1:28] -A a -p udp -j RETURN');
    expect(save).toContain('[1:40] -A a -d 198.51.100.1/32 -j ACCEPT');
    expect(save).toContain('[1:28] -A b -s 192.0.2.66/32 -j DROP');
    expect(fates[2]!.site).toEqual({ table: 'filter', chain: 'FORWARD', rule: 0 });
    expect(fates[3]!.site).toEqual({ table: 'filter', chain: 'b', rule: 1 });
  });

  it('reassembles fragments before INPUT and counts the whole once', () => {
    const rules = `*filter
:INPUT ACCEPT [0:0]
-A INPUT -p udp
COMMIT
`;
    const whole = ipv4({ src: '203.0.113.9', dst: '198.51.100.1', id: 7 }, udp({ sport: 1, dport: 2, payload: new Uint8Array(40) }));
    const l4 = whole.subarray(20);
    const f1 = ipv4({ src: '203.0.113.9', dst: '198.51.100.1', id: 7, mf: true, proto: 17 }, { proto: 17, bytes: l4.subarray(0, 24) });
    const f2 = ipv4({ src: '203.0.113.9', dst: '198.51.100.1', id: 7, fragoff: 3, proto: 17 }, { proto: 17, bytes: l4.subarray(24) });
    const { fates, save } = run(rules, [
      [0, ethernet(WIRE, f1)],
      [0, ethernet(WIRE, f2)],
    ]);
    expect(fates.map((f) => f.kind)).toEqual([FateKind.Delivered, FateKind.Delivered]);
    expect(save).toContain('[1:68] -A INPUT -p udp');
  });

  it('replays a frame the capture cut short at its full length; a match needing the missing bytes hotdrops', () => {
    const rules = `*filter
:INPUT ACCEPT [0:0]
-A INPUT -p tcp --dport 22
-A INPUT -p tcp -m multiport --dports 22 -j ACCEPT
COMMIT
`;
    const whole = ethernet(WIRE, ipv4({ src: '203.0.113.9', dst: '198.51.100.1' }, tcp({ sport: 1000, dport: 22, payload: new Uint8Array(100) })));
    const cut = whole.slice(0, 14 + 20 + 3); // not even the destination port
    const { fates, save } = run(
      rules,
      [
        [0, whole.slice(0, 14 + 20 + 4)],
        [0, cut],
      ],
      true,
    );
    // First: the ports are there; multiport accepts. Second: the tcp match cannot read dport (no match),
    // multiport cannot read it either and hot-drops.
    expect(fates[0]!.kind).toBe(FateKind.Delivered);
    expect(fates[1]!.kind).toBe(FateKind.DroppedByStack);
    expect(fates[1]!.reason).toMatch(/snaplen/);
    expect(save).toContain('[1:140] -A INPUT -p tcp -m tcp --dport 22');
    expect(save).toContain('[1:140] -A INPUT -p tcp -m multiport --dports 22 -j ACCEPT');
  });

  it('traces packets the TRACE target marks, from there on, with their fate', () => {
    const rules = `*raw
:PREROUTING ACCEPT [0:0]
-A PREROUTING -p tcp --dport 22 -j TRACE
COMMIT
*filter
:INPUT DROP [0:0]
-A INPUT -p udp -j ACCEPT
-A INPUT -p tcp --dport 22 -j ACCEPT
COMMIT
`;
    const lines: string[] = [];
    const rs = loadRuleset(rules, 't.v4');
    const st = new GuestStack({ spec: ORACLE_MACHINE, printk: (_l, t) => lines.push(t), fate: () => {} }, rs);
    st.setClock(0);
    st.receive(0, ethernet(WIRE, ipv4({ src: '203.0.113.9', dst: '198.51.100.1' }, tcp({ sport: 1000, dport: 22 }))), 1);
    st.receive(0, ethernet(WIRE, ipv4({ src: '203.0.113.9', dst: '198.51.100.1' }, udp({ sport: 1000, dport: 53 }))), 2);
    const trace = lines.filter((l) => l.startsWith('TRACE: '));
    expect(trace.map((l) => l.split(' IN=')[0])).toEqual(['TRACE: filter:INPUT:rule:2', 'TRACE: frame=1 delivered']);
  });

  it('routes received packets as ip_route_input does: the martians the rcv-checks scenario does not record', () => {
    const rules = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p udp
COMMIT
`;
    const u = udp({ sport: 1, dport: 2 });
    const mc = { src: WIRE.src, dst: '01:00:5e:00:00:01' };
    const { fates, save } = run(rules, [
      // 0.0.0.0 to 0.0.0.0 is taken as a broadcast (brd_input), delivered.
      [0, ethernet(WIRE, ipv4({ src: '0.0.0.0', dst: '0.0.0.0' }, u))],
      // To a joined group (ip_route_input_mc): a loopback or multicast source is a martian, 0.0.0.0 is not.
      [0, ethernet(mc, ipv4({ src: '127.0.0.1', dst: '224.0.0.1' }, u))],
      [0, ethernet(mc, ipv4({ src: '224.0.0.5', dst: '224.0.0.1' }, u))],
      [0, ethernet(mc, ipv4({ src: '0.0.0.0', dst: '224.0.0.1' }, u))],
      // A loopback destination before a loopback source; 0.0.0.0 as destination.
      [0, ethernet(WIRE, ipv4({ src: '127.0.0.1', dst: '127.0.0.2' }, u))],
      [0, ethernet(WIRE, ipv4({ src: '203.0.113.5', dst: '0.0.0.0' }, u))],
    ]);
    expect(fates.map((f) => [f.kind, f.reason])).toEqual([
      [FateKind.Delivered, undefined],
      [FateKind.DroppedByStack, 'IP_LOCALNET (loopback address from outside)'],
      [FateKind.DroppedByStack, 'IP_INVALID_SOURCE (martian source)'],
      [FateKind.Delivered, undefined],
      [FateKind.DroppedByStack, 'IP_LOCALNET (loopback address from outside)'],
      [FateKind.DroppedByStack, 'IP_INVALID_DEST (martian destination 0.0.0.0)'],
    ]);
    expect(save).toContain('[2:56] -A INPUT -p udp');
  });
});
