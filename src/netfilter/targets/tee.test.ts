/**
 * TEE: rule text -> iptables-save text and refusals, as Debian's iptables
 * and ip6tables 1.8.9 (nf_tables) on Linux 6.18 gave them in a network
 * namespace; and what the guest stack does with the copy where the golden
 * scenario `tee` (recorded from the kernel) cannot go: the `--oif` binding
 * off the routes, no route to the gateway, the loop guard, a copy too long
 * for its device.
 */
import { describe, expect, it } from 'vitest';
import { ethernet, ipv4, udp } from '../../packet/build.js';
import { Family, InetAddr } from '../../packet/inet-addr.js';
import { FateKind, type Fate } from '../fate.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';
import { GuestStack } from '../../net/ipv4/stack.js';
import type { MachineSpec } from '../../machine/spec.js';
import type { NetDevice } from '../types.js';

const CHAINS = ':PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n';

function saved(rule: string, family = Family.V4, table = 'mangle'): string {
  const head =
    table === 'filter'
      ? ':INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n'
      : table === 'raw'
        ? ':PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n'
        : CHAINS;
  const rs = loadRuleset(`*${table}\n${head}${rule}\nCOMMIT\n`, 'tee.rules', { family });
  return saveRuleset(rs)
    .split('\n')
    .find((l) => l.startsWith('-A'))!;
}

function refusal(rule: string, family = Family.V4): string {
  try {
    saved(rule, family);
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
}

// iptables-restore then iptables-save on Linux 6.18 (nf_tables).
const ROWS: Array<[string, string]> = [
  ['-A PREROUTING -p udp --dport 9 -j TEE --gateway 192.0.2.10', '-A PREROUTING -p udp -m udp --dport 9 -j TEE --gateway 192.0.2.10'],
  ['-A PREROUTING -j TEE --gateway 192.0.2.10 --oif eth1', '-A PREROUTING -j TEE --gateway 192.0.2.10 --oif eth1'],
  ['-A PREROUTING -j TEE --oif eth1 --gateway 192.0.2.10', '-A PREROUTING -j TEE --gateway 192.0.2.10 --oif eth1'],
  // inet_aton's forms.
  ['-A FORWARD -j TEE --gateway 010.1.1.1 --oif nonexist0123456', '-A FORWARD -j TEE --gateway 8.1.1.1 --oif nonexist0123456'],
  ['-A PREROUTING -j TEE --gateway 1.2.3', '-A PREROUTING -j TEE --gateway 1.2.0.3'],
  // A name of 16 characters or more is cut to 15, silently; `+` is no wildcard here.
  ['-A PREROUTING -j TEE --gateway 1.2.3.4 --oif abcdefghijklmnop', '-A PREROUTING -j TEE --gateway 1.2.3.4 --oif abcdefghijklmno'],
  ['-A PREROUTING -j TEE --gateway 1.2.3.4 --oif abcdefghijklmnopqrstuvwxyz0123456789', '-A PREROUTING -j TEE --gateway 1.2.3.4 --oif abcdefghijklmno'],
  ['-A POSTROUTING -j TEE --gateway 192.0.2.10 --oif eth+', '-A POSTROUTING -j TEE --gateway 192.0.2.10 --oif eth+'],
];

const ROWS6: Array<[string, string]> = [
  ['-A PREROUTING -j TEE --gateway 2001:DB8:0:0::0:1', '-A PREROUTING -j TEE --gateway 2001:db8::1'],
  ['-A PREROUTING -j TEE --gateway ::ffff:1.2.3.4 --oif eth1', '-A PREROUTING -j TEE --gateway ::ffff:1.2.3.4 --oif eth1'],
];

describe('TEE: parsing, saving, refusals', () => {
  it.each(ROWS)('%s', (rule, want) => expect(saved(rule)).toBe(want));
  it.each(ROWS6)('ip6tables: %s', (rule, want) => expect(saved(rule, Family.V6)).toBe(want));

  it('is accepted in every table and chain, as the kernel registers it (no table, no hooks)', () => {
    expect(saved('-A INPUT -j TEE --gateway 1.2.3.4', Family.V4, 'filter')).toBe('-A INPUT -j TEE --gateway 1.2.3.4');
    expect(saved('-A PREROUTING -j TEE --gateway 1.2.3.4', Family.V4, 'raw')).toBe('-A PREROUTING -j TEE --gateway 1.2.3.4');
    expect(saved('-A PREROUTING -j TEE --gateway 1.2.3.4', Family.V4, 'nat')).toBe('-A PREROUTING -j TEE --gateway 1.2.3.4');
  });

  it('refuses what iptables and the kernel refuse', () => {
    expect(refusal('-A PREROUTING -j TEE')).toMatch(/TEE: option "--gateway" must be specified/);
    expect(refusal('-A PREROUTING -j TEE --gateway 1.2.3.4 --gateway 1.2.3.5')).toMatch(/TEE: option "--gateway" can only be used once\./);
    expect(refusal('-A PREROUTING -j TEE --gateway 1.2.3.4 --oif eth0 --oif eth1')).toMatch(/TEE: option "--oif" can only be used once\./);
    // tee_tg_check: EINVAL for the unspecified address (iptables-restore: RULE_APPEND failed (Invalid argument)).
    expect(refusal('-A PREROUTING -j TEE --gateway 0.0.0.0')).toMatch(/TEE: the gateway 0\.0\.0\.0 is refused by the kernel/);
    expect(refusal('-A PREROUTING -j TEE --gateway ::', Family.V6)).toMatch(/TEE: the gateway :: is refused by the kernel/);
    expect(refusal('-A PREROUTING -j TEE --gateway ::1')).toMatch(/getaddrinfo: Address family for hostname not supported/);
    expect(refusal('-A PREROUTING -j TEE --gateway 1.2.3.4', Family.V6)).toMatch(/getaddrinfo: Address family for hostname not supported/);
    expect(refusal('-A PREROUTING -j TEE --gateway 1.2.3.4/24')).toMatch(/getaddrinfo: Name or service not known/);
    expect(refusal('-A PREROUTING -j TEE --gateway host.invalid')).toMatch(/getaddrinfo: Name or service not known/);
  });
});

const WIRE = { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' };

function dev(name: string, index: number, unit: number, mac: string, addr: string, prefix: number): NetDevice {
  const a = InetAddr.v4(Number(addr.split('.').reduce((n, o) => n * 256n + BigInt(o), 0n)));
  const m = new Uint8Array(mac.split(':').map((h) => parseInt(h, 16)));
  return { name, index, unit, mac: m, mtu: unit < 0 ? 65536 : 1500, addrs: [{ addr: a, prefix }] };
}

/** The oracle's topology (test/golden/machine.yaml). */
const ORACLE_MACHINE: MachineSpec = {
  hostname: 'test',
  devices: [
    dev('lo', 1, -1, '00:00:00:00:00:00', '127.0.0.1', 8),
    dev('eth0', 2, 0, '02:00:00:00:00:01', '198.51.100.1', 24),
    dev('eth1', 3, 1, '02:00:00:00:01:01', '192.0.2.1', 24),
  ],
  routes: [{ dst: InetAddr.v4(0), prefix: 0, via: InetAddr.v4(0xc63364fe), dev: 'eth0' }],
  failPolicy: 'closed',
};

/** Replays frames received on eth0 (unit 0) through a mangle table of `rules`; the fates and the counters. */
function replay(rules: string, frames: Uint8Array[], spec = ORACLE_MACHINE): { fates: Fate[]; save: string } {
  const rs = loadRuleset(`*mangle\n${CHAINS}${rules}\nCOMMIT\n`, 'tee.v4');
  const fates: Fate[] = [];
  const st = new GuestStack({ spec, printk: () => {}, fate: (f) => fates.push({ ...f, ...(f.frame ? { frame: f.frame.slice() } : {}) }) }, rs);
  frames.forEach((f, i) => {
    st.setClock(i * 1_000_000);
    st.receive(0, f, i + 1);
  });
  st.finish();
  return { fates, save: saveRuleset(rs, { counters: true }) };
}

const fwd = (id: number, len = 20): Uint8Array =>
  ethernet(WIRE, ipv4({ src: '203.0.113.9', dst: '192.0.2.20', id, df: false }, udp({ sport: 40000, dport: 5000, payload: new Uint8Array(len) })));

/** The IPv4 packet of a leaving frame. */
const ipOf = (f: Fate): Uint8Array => f.frame!.subarray(14);
const dst = (ip: Uint8Array): string => InetAddr.v4(((ip[16]! << 24) | (ip[17]! << 16) | (ip[18]! << 8) | ip[19]!) >>> 0).toString();

describe('TEE: the copy', () => {
  it('leaves before the packet, as a generated packet of its frame; the packet keeps its one fate', () => {
    const { fates } = replay('-A PREROUTING -j TEE --gateway 192.0.2.50', [fwd(1)]);
    expect(fates.map((f) => [f.kind, f.frameNo, f.unit])).toEqual([
      [FateKind.Generated, 1, 1],
      [FateKind.Forwarded, 1, 1],
    ]);
    const copy = ipOf(fates[0]!);
    const orig = ipOf(fates[1]!);
    // DF set, TTL one lower than the packet's own before forwarding (64 -> 63), the same addresses.
    expect(copy[6]! & 0x40).toBe(0x40);
    expect(orig[6]! & 0x40).toBe(0);
    expect(copy[8]).toBe(63);
    expect(orig[8]).toBe(63);
    expect(dst(copy)).toBe('192.0.2.20');
  });

  it('binds the route to --oif: a gateway of another link leaves by the named device (taken as on its link)', () => {
    const { fates } = replay('-A PREROUTING -j TEE --gateway 203.0.113.77 --oif eth1', [fwd(1)]);
    expect(fates.map((f) => [f.kind, f.unit])).toEqual([
      [FateKind.Generated, 1],
      [FateKind.Forwarded, 1],
    ]);
    // Without --oif the default route (eth0) takes it.
    const plain = replay('-A PREROUTING -j TEE --gateway 203.0.113.77', [fwd(1)]).fates;
    expect(plain.map((f) => [f.kind, f.unit])).toEqual([
      [FateKind.Generated, 0],
      [FateKind.Forwarded, 1],
    ]);
    // A name no device has binds nothing.
    const none = replay('-A PREROUTING -j TEE --gateway 203.0.113.77 --oif nosuchdev', [fwd(1)]).fates;
    expect(none.map((f) => [f.kind, f.unit])).toEqual([
      [FateKind.Generated, 0],
      [FateKind.Forwarded, 1],
    ]);
  });

  it('sends nothing without a route to the gateway', () => {
    // No default route: 203.0.113.77 is unreachable; the packet, to a connected network, is forwarded.
    const spec = { ...ORACLE_MACHINE, routes: [] };
    const { fates, save } = replay('-A PREROUTING -j TEE --gateway 203.0.113.77\n-A OUTPUT', [fwd(1)], spec);
    expect(fates.map((f) => f.kind)).toEqual([FateKind.Forwarded]);
    expect(save).toContain('[0:0] -A OUTPUT');
  });

  it('sends no copy of a copy (the loop guard), and counts the rule that would', () => {
    const { fates, save } = replay(
      '-A PREROUTING -j TEE --gateway 192.0.2.50\n-A OUTPUT -j TEE --gateway 192.0.2.51\n-A POSTROUTING -j TEE --gateway 192.0.2.52',
      [fwd(1)],
    );
    // PREROUTING's copy meets both later rules (guarded); the packet's POSTROUTING copy is made, and meets both too.
    expect(save).toContain('[2:96] -A OUTPUT -j TEE --gateway 192.0.2.51');
    expect(save).toContain('[3:144] -A POSTROUTING -j TEE --gateway 192.0.2.52');
    expect(fates.map((f) => [f.kind, f.unit, dst(ipOf(f))])).toEqual([
      [FateKind.Generated, 1, '192.0.2.20'],
      [FateKind.Generated, 1, '192.0.2.20'],
      [FateKind.Forwarded, 1, '192.0.2.20'],
    ]);
  });

  it('drops a copy longer than its device allows (DF), and lets the packet go', () => {
    const spec = { ...ORACLE_MACHINE, devices: ORACLE_MACHINE.devices.map((d) => (d.name === 'eth0' ? { ...d, mtu: 100 } : d)) };
    const { fates } = replay('-A PREROUTING -j TEE --gateway 198.51.100.77', [fwd(1, 200)], spec);
    expect(fates.map((f) => f.kind)).toEqual([FateKind.GeneratedDropped, FateKind.Forwarded]);
    expect(fates[0]!.reason).toMatch(/^PKT_TOO_BIG/);
  });

  it('is untracked: the packet keeps its connection, the copy makes none', () => {
    const rs = `*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -j TEE --gateway 192.0.2.50\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -m state --state NEW\n-A OUTPUT -m state --state UNTRACKED\nCOMMIT\n`;
    const fates: Fate[] = [];
    const st = new GuestStack({ spec: ORACLE_MACHINE, printk: () => {}, fate: (f) => fates.push({ ...f }) }, loadRuleset(rs, 'tee.v4'));
    st.setClock(0);
    st.receive(0, fwd(1), 1);
    st.finish();
    const save = saveRuleset(st.ruleset, { counters: true });
    expect(save).toContain('[1:48] -A FORWARD -m state --state NEW');
    expect(save).toContain('[1:48] -A OUTPUT -m state --state UNTRACKED');
    expect(st.conntrackList()?.trim().split('\n')).toHaveLength(1);
  });
});
