import { describe, expect, it } from 'vitest';
import { ethernet, ipv4, raw, udp } from '../../packet/build.js';
import { parseIPv4, parseMac } from '../../packet/addr.js';
import { setIPv4Checksum } from '../../packet/checksum.js';
import { InetAddr } from '../../packet/inet-addr.js';
import type { MachineSpec } from '../../machine/spec.js';
import type { NetDevice } from '../../netfilter/types.js';
import { FateKind, type Fate } from '../../netfilter/fate.js';
import { loadRuleset } from '../../netfilter/rules/restore.js';
import { saveRuleset } from '../../netfilter/rules/save.js';
import { GuestStack, StackReason } from './stack.js';

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

/** The oracle's topology. */
const MACHINE: MachineSpec = {
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
const FW_MAC = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };
const SEC = 1_000_000_000;

/** Fragments of a UDP datagram from `src` to `dst`: its transport bytes cut at the given offsets (multiples of 8). */
function fragments(src: string, dst: string, id: number, dport: number, size: number, cuts: number[], df = false): Uint8Array[] {
  const l4 = udp({ sport: 4000, dport, payload: Uint8Array.from({ length: size }, (_, i) => i & 255) }).bytes;
  const bounds = [0, ...cuts, l4.length];
  const out: Uint8Array[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const ip = ipv4({ src, dst, id, fragoff: bounds[i]! / 8, mf: i + 2 < bounds.length, df: false, proto: 17 }, raw(17, l4.subarray(bounds[i], bounds[i + 1])));
    if (df) {
      ip[6] = ip[6]! | 0x40;
      setIPv4Checksum(ip);
    }
    out.push(ip);
  }
  return out;
}

interface Step {
  at: number;
  /** Arriving on eth0, or sent by the firewall itself. */
  ip: Uint8Array;
  local?: boolean;
}

function run(rules: string, steps: Step[]) {
  const rs = loadRuleset(rules, 'test.v4');
  const fates: Fate[] = [];
  const console: string[] = [];
  const st = new GuestStack(
    { spec: MACHINE, printk: (_l, t) => console.push(t), fate: (f) => fates.push({ ...f, ...(f.frame ? { frame: f.frame.slice() } : {}) }) },
    rs,
  );
  steps.forEach((s, i) => {
    st.setClock(1_767_225_600 * SEC + Math.round(s.at * 1e9));
    if (s.local) st.output(ethernet(FW_MAC, s.ip), i + 1);
    else st.receive(0, ethernet(WIRE, s.ip), i + 1);
  });
  const stats = st.fragStats();
  st.finish();
  const save = saveRuleset(rs, { counters: true });
  const line = (text: string): string => save.split('\n').find((l) => l.endsWith(text)) ?? `(no ${text})`;
  return { fates, save, line, stats, console };
}

const COUNTING = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p udp
-A FORWARD -p udp
-A OUTPUT -p icmp -m icmp --icmp-type 11/1
-A OUTPUT -p udp
COMMIT
`;

const TRACKING = COUNTING.replace('-A INPUT -p udp', '-A INPUT -m conntrack --ctstate NEW -p udp');

describe('the stack reassembles as the kernel does', () => {
  it('without conntrack: each fragment through PREROUTING, the whole once through INPUT, every frame delivered', () => {
    const [a, b, c] = fragments('203.0.113.9', '198.51.100.1', 7, 53, 100, [40, 80]);
    const r = run(COUNTING, [
      { at: 0, ip: c! },
      { at: 0.01, ip: a! },
      { at: 0.02, ip: b! },
    ]);
    expect(r.fates.map((f) => [f.frameNo, f.kind])).toEqual([
      [1, FateKind.Delivered],
      [2, FateKind.Delivered],
      [3, FateKind.Delivered],
    ]);
    expect(r.line('-A PREROUTING -p udp')).toBe('[3:168] -A PREROUTING -p udp');
    expect(r.line('-A INPUT -p udp')).toBe('[1:128] -A INPUT -p udp');
    expect(r.stats).toMatchObject({ reasmReqds: 3, reasmOKs: 1, queues: 0, memory: 0 });
  });

  it('drops every fragment of an overlapping datagram, with the reason, and nothing reaches INPUT', () => {
    const [a, b] = fragments('203.0.113.9', '198.51.100.1', 7, 53, 100, [40]);
    const over = fragments('203.0.113.9', '198.51.100.1', 7, 53, 100, [32])[1]!;
    const r = run(COUNTING, [
      { at: 0, ip: a! },
      { at: 0.01, ip: over },
      { at: 0.02, ip: b! },
    ]);
    expect(r.fates.slice(0, 2).map((f) => [f.frameNo, f.kind, f.reason])).toEqual([
      [1, FateKind.DroppedByStack, StackReason.fragOverlap],
      [2, FateKind.DroppedByStack, StackReason.fragOverlap],
    ]);
    // The last fragment found no queue: it waited, and the run ended.
    expect(r.fates[2]).toMatchObject({ frameNo: 3, kind: FateKind.DroppedByStack, reason: StackReason.fragPending });
    expect(r.line('-A INPUT -p udp')).toBe('[0:0] -A INPUT -p udp');
    expect(r.stats).toMatchObject({ reasmFails: 1, reasmOverlaps: 1, queues: 1 });
  });

  it('times a queue out after 30 s: its fragments dropped, an ICMP fragment reassembly time exceeded sent through OUTPUT', () => {
    const [a] = fragments('203.0.113.9', '198.51.100.1', 7, 53, 100, [40]);
    const [, late] = fragments('203.0.113.9', '198.51.100.1', 8, 53, 100, [40]);
    const r = run(COUNTING, [
      { at: 0, ip: a! },
      { at: 31, ip: late! },
    ]);
    expect(r.fates[0]).toMatchObject({ frameNo: 1, kind: FateKind.DroppedByStack, reason: StackReason.reasmTimeout });
    expect(r.fates[1]).toMatchObject({ frameNo: 1, kind: FateKind.Generated, unit: 0 });
    const icmp = r.fates[1]!.frame!.subarray(14);
    expect([icmp[9], icmp[20], icmp[21]]).toEqual([1, 11, 1]);
    expect(r.line('-A OUTPUT -p icmp -m icmp --icmp-type 11/1')).toBe(`[1:${icmp.length}] -A OUTPUT -p icmp -m icmp --icmp-type 11/1`);
    expect(r.stats).toMatchObject({ reasmFails: 1, reasmTimeout: 1, queues: 1 });
  });

  it('keeps the first fragment mark on the reassembled packet (skb_morph)', () => {
    const rules = `*mangle
:PREROUTING ACCEPT [0:0]
-A PREROUTING -f -j MARK --set-mark 2
-A PREROUTING -m mark --mark 0 -j MARK --set-mark 1
COMMIT
*filter
:INPUT ACCEPT [0:0]
-A INPUT -m mark --mark 1
-A INPUT -m mark --mark 2
COMMIT
`;
    const [a, b] = fragments('203.0.113.9', '198.51.100.1', 7, 53, 100, [40]);
    const r = run(rules, [
      { at: 0, ip: b! },
      { at: 0.01, ip: a! },
    ]);
    expect(r.line('-A INPUT -m mark --mark 0x1')).toBe('[1:128] -A INPUT -m mark --mark 0x1');
    expect(r.line('-A INPUT -m mark --mark 0x2')).toBe('[0:0] -A INPUT -m mark --mark 0x2');
  });

  it('with conntrack: forwarded fragments are reassembled first; DF from the largest fragment does not make it too big', () => {
    const frs = fragments('203.0.113.9', '192.0.2.10', 9, 53, 2000, [1480], true);
    expect(frs[0]![6]! & 0x40).toBe(0x40);
    const r = run(TRACKING, [
      { at: 0, ip: frs[0]! },
      { at: 0.01, ip: frs[1]! },
    ]);
    expect(r.fates.map((f) => [f.frameNo, f.kind])).toEqual([
      [1, FateKind.Forwarded],
      [2, FateKind.Forwarded],
    ]);
    expect(r.line('-A PREROUTING -p udp')).toBe('[1:2028] -A PREROUTING -p udp');
    expect(r.line('-A FORWARD -p udp')).toBe('[1:2028] -A FORWARD -p udp');
    const out = r.fates[1]!.frame!.subarray(14);
    expect([out.length, out[6]]).toEqual([2028, 0x40]);
  });

  it('with conntrack: the firewall own fragments are reassembled before OUTPUT', () => {
    const frs = fragments('198.51.100.1', '203.0.113.9', 11, 53, 100, [40]);
    const r = run(TRACKING, [
      { at: 0, ip: frs[0]!, local: true },
      { at: 0.01, ip: frs[1]!, local: true },
    ]);
    expect(r.fates.map((f) => [f.frameNo, f.kind])).toEqual([
      [1, FateKind.Sent],
      [2, FateKind.Sent],
    ]);
    expect(r.line('-A OUTPUT -p udp')).toBe('[1:128] -A OUTPUT -p udp');
  });

  it('refuses fragments above the memory threshold; every frame keeps one fate', () => {
    const steps: Step[] = [];
    for (let i = 0; i < 1700; i++) steps.push({ at: i * 0.001, ip: fragments('203.0.113.9', '198.51.100.1', i, 53, 2000, [1480])[0]! });
    const r = run(COUNTING, steps);
    expect(r.stats).toMatchObject({ queues: 1676, reasmReqds: 1700, reasmFails: 24 });
    expect(r.fates.length).toBe(1700);
    expect(new Set(r.fates.map((f) => f.frameNo)).size).toBe(1700);
    expect(r.fates.filter((f) => f.reason === StackReason.fragMemory).length).toBe(24);
    expect(r.fates.filter((f) => f.reason === StackReason.fragPending).length).toBe(1676);
  });
});
