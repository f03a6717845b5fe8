/**
 * SYNPROXY: rule text -> iptables-save text and refusals, as Debian's
 * iptables and ip6tables 1.8.9 (nf_tables) on Linux 6.18 gave them in a
 * network namespace; the SYN cookies; and what the guest does with a
 * client's SYN and ACK where the golden scenario `synproxy` (recorded from
 * the kernel) cannot look: the cookie's value, an ACK that answers cofw's
 * own SYN-ACK.
 */
import { describe, expect, it } from 'vitest';
import { ethernet, ipv4, ipv6, tcp } from '../../packet/build.js';
import { l4Checksum, l4Checksum6, inetChecksum } from '../../packet/checksum.js';
import { Family, InetAddr, parseInetAddr } from '../../packet/inet-addr.js';
import { FateKind, type Fate } from '../fate.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';
import { GuestStack } from '../../net/ipv4/stack.js';
import type { MachineSpec } from '../../machine/spec.js';
import type { NetDevice } from '../types.js';
import { cookieCheck, cookieInit, cookieTime, MSSTAB4, siphash, SyncookieSecrets, type CookieFlow } from '../conntrack/syncookie.js';

const FILTER = ':INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n';

function saved(rule: string, family = Family.V4, table = 'filter'): string {
  const head =
    table === 'filter' ? FILTER : ':PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n';
  const rs = loadRuleset(`*${table}\n${head}${rule}\nCOMMIT\n`, 'synproxy.rules', { family });
  return saveRuleset(rs)
    .split('\n')
    .filter((l) => l.startsWith('-A'))
    .join('\n');
}

function refusal(rule: string, family = Family.V4, table = 'filter'): string {
  try {
    saved(rule, family, table);
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
}

// iptables-restore / iptables -A, then iptables-save, on Linux 6.18 (nf_tables).
const ROWS: Array<[string, string]> = [
  [
    '-A INPUT -i eth0 -p tcp --dport 80 -m conntrack --ctstate INVALID,UNTRACKED -j SYNPROXY --sack-perm --timestamp --wscale 7 --mss 1460',
    '-A INPUT -i eth0 -p tcp -m tcp --dport 80 -m conntrack --ctstate INVALID,UNTRACKED -j SYNPROXY --sack-perm --timestamp --wscale 7 --mss 1460',
  ],
  ['-A INPUT -p tcp -j SYNPROXY', '-A INPUT -p tcp -j SYNPROXY'],
  ['-A INPUT -p tcp -j SYNPROXY --ecn', '-A INPUT -p tcp -j SYNPROXY --ecn'],
  ['-A INPUT -p tcp -j SYNPROXY --mss 0 --wscale 0', '-A INPUT -p tcp -j SYNPROXY --wscale 0 --mss 0'],
  [
    '-A INPUT -p tcp -j SYNPROXY --timestamp --sack-perm --ecn --wscale 14 --mss 65535',
    '-A INPUT -p tcp -j SYNPROXY --sack-perm --timestamp --wscale 14 --mss 65535 --ecn',
  ],
  ['-A FORWARD -p tcp ! -f -j SYNPROXY --mss 536', '-A FORWARD -p tcp ! -f -j SYNPROXY --mss 536'],
  // XTTYPE_UINT32 into the kernel's u8 and u16, any base strtoul reads.
  ['-A INPUT -p tcp -j SYNPROXY --wscale 15', '-A INPUT -p tcp -j SYNPROXY --wscale 15'],
  ['-A INPUT -p tcp -j SYNPROXY --wscale 256', '-A INPUT -p tcp -j SYNPROXY --wscale 0'],
  ['-A INPUT -p tcp -j SYNPROXY --wscale 300', '-A INPUT -p tcp -j SYNPROXY --wscale 44'],
  ['-A INPUT -p tcp -j SYNPROXY --wscale 010', '-A INPUT -p tcp -j SYNPROXY --wscale 8'],
  ['-A INPUT -p tcp -j SYNPROXY --wscale 0x7', '-A INPUT -p tcp -j SYNPROXY --wscale 7'],
  ['-A INPUT -p tcp -j SYNPROXY --mss 65536', '-A INPUT -p tcp -j SYNPROXY --mss 0'],
  ['-A INPUT -p tcp -j SYNPROXY --mss 0x10', '-A INPUT -p tcp -j SYNPROXY --mss 16'],
  ['-A INPUT -p tcp -j SYNPROXY --mss 4294967295', '-A INPUT -p tcp -j SYNPROXY --mss 65535'],
  // The kernel's checkentry does not look at -f.
  ['-A INPUT -p tcp -f -j SYNPROXY', '-A INPUT -p tcp -f -j SYNPROXY'],
];

describe('SYNPROXY: parsing, saving, refusals', () => {
  it.each(ROWS)('%s', (rule, want) => expect(saved(rule)).toBe(want));

  it('ip6tables: the same options', () => {
    expect(saved('-A INPUT -p tcp -j SYNPROXY --mss 1440 --wscale 7 --timestamp --sack-perm', Family.V6)).toBe(
      '-A INPUT -p tcp -j SYNPROXY --sack-perm --timestamp --wscale 7 --mss 1440',
    );
    expect(saved('-A INPUT -p 6 -j SYNPROXY', Family.V6)).toBe('-A INPUT -p tcp -j SYNPROXY');
    expect(saved('-A INPUT -p tcp -m frag -j SYNPROXY', Family.V6)).toBe('-A INPUT -p tcp -m frag -j SYNPROXY');
  });

  it('is accepted in INPUT and FORWARD of any table (the kernel names no table)', () => {
    expect(saved('-A INPUT -p tcp -j SYNPROXY', Family.V4, 'mangle')).toBe('-A INPUT -p tcp -j SYNPROXY');
    expect(saved('-A FORWARD -p tcp -j SYNPROXY', Family.V4, 'mangle')).toBe('-A FORWARD -p tcp -j SYNPROXY');
  });

  it('refuses what iptables and the kernel refuse', () => {
    // synproxy_tg4_check, synproxy_tg6_check: EINVAL (RULE_APPEND failed (Invalid argument)).
    expect(refusal('-A INPUT -j SYNPROXY')).toMatch(/SYNPROXY target: only valid for -p tcp/);
    expect(refusal('-A INPUT ! -p tcp -j SYNPROXY')).toMatch(/SYNPROXY target: only valid for -p tcp/);
    expect(refusal('-A INPUT -p udp -j SYNPROXY')).toMatch(/SYNPROXY target: only valid for -p tcp/);
    expect(refusal('-A INPUT -j SYNPROXY', Family.V6)).toMatch(/SYNPROXY target: only valid for -p tcp/);
    // Registered for INPUT and FORWARD only, also through a user chain.
    expect(refusal('-A OUTPUT -p tcp -j SYNPROXY')).toMatch(/SYNPROXY target used from hook OUTPUT/);
    expect(refusal('-A PREROUTING -p tcp -j SYNPROXY', Family.V4, 'raw')).toMatch(/SYNPROXY target used from hook PREROUTING/);
    expect(refusal(':X - [0:0]\n-A INPUT -j X\n-A OUTPUT -j X\n-A X -p tcp -j SYNPROXY')).toMatch(/SYNPROXY target used from hook OUTPUT/);
    // libxt_SYNPROXY's option table.
    expect(refusal('-A INPUT -p tcp -j SYNPROXY --mss 1460 --mss 1400')).toMatch(/SYNPROXY: option "--mss" can only be used once\./);
    expect(refusal('-A INPUT -p tcp -j SYNPROXY --sack-perm --sack-perm')).toMatch(/SYNPROXY: option "--sack-perm" can only be used once\./);
    expect(refusal('-A INPUT -p tcp -j SYNPROXY --wscale -1')).toMatch(/SYNPROXY: bad value for option "--wscale", or out of range \(0-4294967295\)\./);
    expect(refusal('-A INPUT -p tcp -j SYNPROXY --mss 4294967296')).toMatch(/SYNPROXY: bad value for option "--mss", or out of range \(0-4294967295\)\./);
    expect(refusal('-A INPUT -p tcp -j SYNPROXY --mss 1k')).toMatch(/SYNPROXY: bad value for option "--mss"/);
    expect(refusal('-A INPUT -p tcp -j SYNPROXY ! --mss 5')).toMatch(/SYNPROXY: option "--mss" cannot be inverted/);
  });
});

describe('SYN cookies', () => {
  it('SipHash-2-4 gives the reference vectors', () => {
    const key = [0x0706050403020100n, 0x0f0e0d0c0b0a0908n] as const;
    expect(siphash(new Uint8Array(0), key)).toBe(0x726fdb47dd0e0e31n);
    expect(siphash(Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7]), key)).toBe(0x93f5f5799a932462n);
  });

  const flow: CookieFlow = {
    v6: false,
    saddr4: 0xcb007109,
    daddr4: 0xc6336401,
    saddr6: new Uint8Array(16),
    daddr6: new Uint8Array(16),
    sport: 40000,
    dport: 80,
  };

  it('encodes the MSS rounded down to the table, and checks for two minutes', () => {
    const s = new SyncookieSecrets(0);
    const j = 1_000_000;
    for (const [mss, want] of [
      [0, 536],
      [535, 536],
      [1299, 536],
      [1300, 1300],
      [1459, 1440],
      [1460, 1460],
      [9000, 1460],
    ] as const) {
      const c = cookieInit(s, flow, 1000, mss, j);
      expect(c.mss).toBe(want);
      expect(cookieCheck(s, flow, 1001, c.cookie + 1, j)).toBe(want);
    }
    const { cookie } = cookieInit(s, flow, 1000, 1460, j);
    // The next minute still, not the one after; a different ISN, port or secret fails.
    expect(cookieCheck(s, flow, 1001, cookie + 1, j + 60 * 250)).toBe(1460);
    expect(cookieCheck(s, flow, 1001, cookie + 1, (cookieTime(j) + 2) * 60 * 250)).toBe(0);
    // The ISN is added in: one more reads as the next lower MSS, a hundred more as none.
    expect(cookieCheck(s, flow, 1002, cookie + 1, j)).toBe(1440);
    expect(cookieCheck(s, flow, 1101, cookie + 1, j)).toBe(0);
    expect(cookieCheck(s, { ...flow, sport: 40001 }, 1001, cookie + 1, j)).toBe(0);
    expect(cookieCheck(new SyncookieSecrets(1), flow, 1001, cookie + 1, j)).toBe(0);
    expect(MSSTAB4).toEqual([536, 1300, 1440, 1460]);
  });

  it('IPv6 cookies use their own table and hash', () => {
    const s = new SyncookieSecrets(0);
    const f6: CookieFlow = { ...flow, v6: true, saddr6: parseInetAddr('2001:db8:100::9')!.bytes(), daddr6: parseInetAddr('2001:db8:100::1')!.bytes() };
    const c = cookieInit(s, f6, 7, 1440, 0);
    expect(c.mss).toBe(1440);
    expect(cookieCheck(s, f6, 8, c.cookie + 1, 0)).toBe(1440);
    expect(cookieInit(s, f6, 7, 1400, 0).mss).toBe(1220);
    expect(cookieInit(s, f6, 7, 9000, 0).mss).toBe(8940);
  });
});

const WIRE = { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' };

function dev(name: string, index: number, unit: number, mac: string, addrs: Array<[string, number]>): NetDevice {
  const m = new Uint8Array(mac.split(':').map((h) => parseInt(h, 16)));
  return { name, index, unit, mac: m, mtu: unit < 0 ? 65536 : 1500, addrs: addrs.map(([a, prefix]) => ({ addr: parseInetAddr(a)!, prefix })) };
}

/** The oracle's topology (test/golden/machine.yaml), both families. */
const MACHINE: MachineSpec = {
  hostname: 'test',
  devices: [
    dev('lo', 1, -1, '00:00:00:00:00:00', [['127.0.0.1', 8]]),
    dev('eth0', 2, 0, '02:00:00:00:00:01', [
      ['198.51.100.1', 24],
      ['2001:db8:100::1', 64],
    ]),
    dev('eth1', 3, 1, '02:00:00:00:01:01', [
      ['192.0.2.1', 24],
      ['2001:db8:2::1', 64],
    ]),
  ],
  routes: [
    { dst: InetAddr.v4(0), prefix: 0, via: parseInetAddr('198.51.100.254')!, dev: 'eth0' },
    { dst: InetAddr.any(Family.V6), prefix: 0, via: parseInetAddr('2001:db8:100::fe')!, dev: 'eth0' },
  ],
  failPolicy: 'closed',
};

/** The classic set-up: an ACK that is no connection's is INVALID (net.netfilter.nf_conntrack_tcp_loose=0), so it reaches SYNPROXY. */
const STRICT: MachineSpec = { ...MACHINE, conntrack: { tcpLoose: false } };

const RULES4 = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -i eth0 -p tcp -m tcp --dport 80 --tcp-flags FIN,SYN,RST,ACK SYN -j CT --notrack
COMMIT
*filter
${FILTER}-A INPUT -i eth0 -p tcp -m tcp --dport 80 -m conntrack --ctstate INVALID,UNTRACKED -j SYNPROXY --sack-perm --timestamp --wscale 7 --mss 1460
-A INPUT -m conntrack --ctstate INVALID -j DROP
-A OUTPUT -p tcp -m tcp --sport 80
COMMIT
`;

/** SYN options: MSS 1460, SACK permitted, timestamp (tsval 1000), NOP, window scale 9. */
function synOptions(tsval = 1000): Uint8Array {
  const o = new Uint8Array(20);
  o.set([2, 4, 0x05, 0xb4, 4, 2, 8, 10], 0);
  new DataView(o.buffer).setUint32(8, tsval);
  o.set([1, 3, 3, 9], 16);
  return o;
}

interface Run {
  fates: Fate[];
  save: string;
  log: string[];
  conntrack: string;
}

function replay(rules: string, frames: Uint8Array[], rules6?: string, spec: MachineSpec = MACHINE): Run {
  const rs = loadRuleset(rules, 'synproxy.v4');
  const rs6 = rules6 ? loadRuleset(rules6, 'synproxy.v6', { family: Family.V6 }) : null;
  const fates: Fate[] = [];
  const log: string[] = [];
  const st = new GuestStack(
    { spec, printk: (_l, t) => log.push(t), fate: (f) => fates.push({ ...f, ...(f.frame ? { frame: f.frame.slice() } : {}) }) },
    rs,
    rs6,
  );
  frames.forEach((f, i) => {
    st.setClock(i * 1_000_000);
    st.receive(0, f, i + 1);
  });
  st.finish();
  return { fates, save: saveRuleset(rs, { counters: true }) + (rs6 ? saveRuleset(rs6, { counters: true }) : ''), log, conntrack: st.conntrackList() ?? '' };
}

const syn4 = (flags = 'S', options = synOptions()): Uint8Array =>
  ethernet(WIRE, ipv4({ src: '203.0.113.9', dst: '198.51.100.1', id: 7 }, tcp({ sport: 40000, dport: 80, seq: 1000, flags, window: 64240, options })));

const rd32 = (d: Uint8Array, o: number): number => new DataView(d.buffer, d.byteOffset).getUint32(o);

describe('SYNPROXY: the client side, IPv4', () => {
  it("answers a SYN with a cookie SYN-ACK, a generated packet of the SYN's frame; the SYN is dropped by the rule", () => {
    const { fates, save } = replay(RULES4, [syn4()]);
    expect(fates.map((f) => [f.kind, f.frameNo, f.unit])).toEqual([
      [FateKind.DroppedByRule, 1, -1],
      [FateKind.Generated, 1, 0],
    ]);
    expect(fates[0]!.site).toMatchObject({ table: 'filter', chain: 'INPUT', rule: 1 });
    expect(save).toContain('[1:60] -A INPUT -i eth0 -p tcp -m tcp --dport 80 -m conntrack --ctstate INVALID,UNTRACKED -j SYNPROXY');
    // The SYN-ACK goes through OUTPUT (untracked SYN: conntrack looks the SYN-ACK up itself).
    expect(save).toContain('[1:60] -A OUTPUT -p tcp -m tcp --sport 80');
    const ip = fates[1]!.frame!.subarray(14);
    // IPv4: TOS 0, length 60, ID 0, DF, TTL 64, TCP, from the server to the client; header checksum right.
    expect(
      Buffer.from(ip.subarray(0, 20))
        .toString('hex')
        .replace(/^(.{20})..../, '$1....'),
    ).toBe('4500003c000040004006....c6336401cb007109');
    expect(inetChecksum(ip, 0, 20)).toBe(0);
    const t = ip.subarray(20);
    expect((t[0]! << 8) | t[1]!).toBe(80);
    expect((t[2]! << 8) | t[3]!).toBe(40000);
    expect(rd32(t, 8)).toBe(1001);
    // Data offset 10 (40 bytes), SYN|ACK, window 0, urgent 0.
    expect(Buffer.from(t.subarray(12, 16)).toString('hex')).toBe('a0120000');
    expect(Buffer.from(t.subarray(18, 20)).toString('hex')).toBe('0000');
    // MSS 1460 (the rule's), SACK-permitted + timestamp (echoing 1000), NOP + window scale 7 (the rule's).
    expect(Buffer.from(t.subarray(20, 28)).toString('hex')).toBe('020405b40402080a');
    expect(rd32(t, 32)).toBe(1000);
    expect(Buffer.from(t.subarray(36, 40)).toString('hex')).toBe('01030307');
    // The timestamp's low six bits: the client's window scale 9, SACK (bit 4).
    expect(rd32(t, 28) & 0x3f).toBe(9 | 0x10);
    expect(l4Checksum(ip, 20, 40, 6)).toBe(0);
    // The sequence number is the cookie (seed 0: COFW_RANDOM_SEED unset in tests).
    const flow: CookieFlow = {
      v6: false,
      saddr4: 0xcb007109,
      daddr4: 0xc6336401,
      saddr6: new Uint8Array(0),
      daddr6: new Uint8Array(0),
      sport: 40000,
      dport: 80,
    };
    expect(rd32(t, 4)).toBe(cookieInit(new SyncookieSecrets(0), flow, 1000, 1460, 0).cookie);
  });

  it('offers no window scale, SACK or ECN without a timestamp, and no MSS option when the SYN had none', () => {
    const rules = RULES4.replace('--sack-perm --timestamp --wscale 7 --mss 1460', '--sack-perm --wscale 7 --mss 1460 --ecn');
    const noMss = synOptions().slice(4);
    const { fates } = replay(rules, [syn4('SEC', noMss)]);
    const t = fates[1]!.frame!.subarray(34);
    // 20 bytes: no options at all (SACK, window scale, ECN need --timestamp; no MSS in the SYN).
    expect(t[12]! >> 4).toBe(5);
    expect(t[13]).toBe(0x12);
  });

  it('sets ECE when --ecn and --timestamp and the SYN has ECE and CWR', () => {
    const rules = RULES4.replace('--sack-perm --timestamp --wscale 7 --mss 1460', '--timestamp --ecn');
    const { fates } = replay(rules, [syn4('SEC')]);
    const t = fates[1]!.frame!.subarray(34);
    expect(t[13]).toBe(0x52);
    // NOP NOP timestamp; the low bits: window scale 9, ECN (bit 5), no SACK (not allowed by the rule).
    expect(Buffer.from(t.subarray(20, 24)).toString('hex')).toBe('0101080a');
    // No --wscale in the rule: the client's window scale is not offered back (0xf, none).
    expect(rd32(t, 24) & 0x3f).toBe(0xf | 0x20);
  });

  it('drops an ACK whose acknowledgement is no cookie of its own', () => {
    const ack = ethernet(
      WIRE,
      ipv4({ src: '203.0.113.9', dst: '198.51.100.1' }, tcp({ sport: 40000, dport: 80, seq: 1001, ack: 12345, flags: 'A', window: 502 })),
    );
    const { fates, save } = replay(RULES4.replace('-A INPUT -m conntrack --ctstate INVALID -j DROP\n', ''), [ack], undefined, STRICT);
    expect(fates.map((f) => [f.kind, f.frameNo])).toEqual([[FateKind.DroppedByRule, 1]]);
    // With tcp_loose (the default) conntrack picks the ACK up as ESTABLISHED: it never reaches the rule.
    expect(replay(RULES4, [ack]).fates.map((f) => f.kind)).toEqual([FateKind.Delivered]);
    expect(save).toContain('[1:40] -A INPUT -i eth0 -p tcp -m tcp --dport 80 -m conntrack --ctstate INVALID,UNTRACKED -j SYNPROXY');
  });

  it('drops a segment whose TCP checksum is wrong, and lets other flags go on to the next rule', () => {
    const bad = syn4();
    bad[14 + 20 + 16] = bad[14 + 20 + 16]! ^ 0xff;
    const fin = ethernet(WIRE, ipv4({ src: '203.0.113.9', dst: '198.51.100.1' }, tcp({ sport: 40000, dport: 80, seq: 1001, ack: 5, flags: 'FA' })));
    const { fates, save } = replay(RULES4, [bad, fin]);
    expect(fates.map((f) => [f.kind, f.frameNo, f.site?.rule])).toEqual([
      [FateKind.DroppedByRule, 1, 1],
      [FateKind.DroppedByRule, 2, 2],
    ]);
    expect(save).toContain('[0:0] -A OUTPUT');
  });

  it("checks the cookie of an ACK answering cofw's own SYN-ACK, and opens the connection to the server", () => {
    const first = replay(RULES4, [syn4()]);
    const synack = first.fates[1]!.frame!.subarray(34);
    const cookie = rd32(synack, 4);
    const ts = rd32(synack, 28);
    const ack = ethernet(
      WIRE,
      ipv4(
        { src: '203.0.113.9', dst: '198.51.100.1' },
        tcp({ sport: 40000, dport: 80, seq: 1001, ack: cookie + 1, flags: 'A', window: 502, options: tsOption(2000, ts) }),
      ),
    );
    const run = replay(RULES4, [syn4(), ack], undefined, STRICT);
    // The ACK is consumed (reported dropped by the rule); the SYN to the server (the firewall itself) goes out over lo and is delivered.
    expect(run.fates.map((f) => [f.kind, f.frameNo, f.unit]).slice(2)).toEqual([
      [FateKind.DroppedByRule, 2, -1],
      [FateKind.Generated, 2, -1],
    ]);
    expect(run.conntrack).toMatch(
      /^tcp +6 \d+ SYN_SENT src=203\.0\.113\.9 dst=198\.51\.100\.1 sport=40000 dport=80 \[UNREPLIED\] src=198\.51\.100\.1 dst=203\.0\.113\.9 sport=80 dport=40000 /,
    );
  });
});

/** A timestamp option (NOP NOP TS). */
function tsOption(tsval: number, tsecr: number): Uint8Array {
  const o = new Uint8Array(12);
  o.set([1, 1, 8, 10]);
  new DataView(o.buffer).setUint32(4, tsval);
  new DataView(o.buffer).setUint32(8, tsecr);
  return o;
}

const RULES_FWD = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -i eth0 -p tcp -m tcp --dport 8080 --tcp-flags FIN,SYN,RST,ACK SYN -j CT --notrack
COMMIT
*filter
${FILTER}-A FORWARD -i eth0 -o eth1 -p tcp -m tcp --dport 8080 -m conntrack --ctstate INVALID,UNTRACKED -j SYNPROXY --sack-perm --timestamp --wscale 7 --mss 1460
-A FORWARD -m conntrack --ctstate INVALID -j DROP
-A FORWARD -m conntrack --ctstate ESTABLISHED
-A OUTPUT -p tcp -m conntrack --ctstate NEW
-A OUTPUT -p tcp -m conntrack --ctstate ESTABLISHED
COMMIT
`;

const HOST = { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01' };

/** Replays frames, each on the unit its source's route uses (eth1 for 192.0.2.0/24), one millisecond apart; the fates keep their frames. */
function replayFwd(frames: Uint8Array[]): Run & { st: GuestStack } {
  const rs = loadRuleset(RULES_FWD, 'synproxy.v4');
  const fates: Fate[] = [];
  const log: string[] = [];
  const st = new GuestStack(
    { spec: STRICT, printk: (_l, t) => log.push(t), fate: (f) => fates.push({ ...f, ...(f.frame ? { frame: f.frame.slice() } : {}) }) },
    rs,
  );
  frames.forEach((f, i) => {
    st.setClock(i * 1_000_000);
    st.receive(f[0] === 0x02 && f[5] === 0x01 && f[11] === 0x02 && f[10] === 0x01 ? 1 : 0, f, i + 1);
  });
  st.finish();
  return { st, fates, save: saveRuleset(rs, { counters: true }), log, conntrack: st.conntrackList() ?? '' };
}

describe('SYNPROXY: the server side (forwarded), as the kernel code does it', () => {
  const client = (t: Parameters<typeof tcp>[0]): Uint8Array => ethernet(WIRE, ipv4({ src: '203.0.113.9', dst: '192.0.2.20' }, tcp(t)));
  const server = (t: Parameters<typeof tcp>[0]): Uint8Array => ethernet(HOST, ipv4({ src: '192.0.2.20', dst: '203.0.113.9' }, tcp(t)));
  const syn = client({ sport: 40000, dport: 8080, seq: 1000, flags: 'S', window: 64240, options: synOptions(500) });

  it('sends the server a SYN, answers its SYN-ACK with an ACK and the client with a window update, and translates sequence numbers and timestamps', () => {
    const synack = replayFwd([syn]).fates[1]!.frame!.subarray(34);
    const cookie = rd32(synack, 4);
    const ts = rd32(synack, 28);
    const ack = client({ sport: 40000, dport: 8080, seq: 1001, ack: cookie + 1, flags: 'A', window: 502, options: tsOption(600, ts) });
    // The server answers the proxied SYN: ISN 7000000, window 29200 scaled by 7, its clock at 90000.
    const serverSynack = server({
      sport: 8080,
      dport: 40000,
      seq: 7_000_000,
      ack: 1001,
      flags: 'SA',
      window: 29200,
      options: Uint8Array.from([2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 1, 0x5f, 0x90, 0, 0, 2, 0x58, 1, 3, 3, 7]),
    });
    const data = client({
      sport: 40000,
      dport: 8080,
      seq: 1001,
      ack: cookie + 1,
      flags: 'PA',
      window: 502,
      options: tsOption(700, ts),
      payload: new Uint8Array(10),
    });
    const reply = server({
      sport: 8080,
      dport: 40000,
      seq: 7_000_001,
      ack: 1011,
      flags: 'PA',
      window: 229,
      options: tsOption(90_100, 700),
      payload: new Uint8Array(5),
    });
    const run = replayFwd([syn, ack, serverSynack, data, reply]);
    const by = (n: number): Fate[] => run.fates.filter((f) => f.frameNo === n);
    // 2: the ACK is consumed; the SYN to the server leaves by eth1, from the client, numbered ISN, acknowledging the cookie.
    expect(by(2).map((f) => [f.kind, f.unit])).toEqual([
      [FateKind.DroppedByRule, -1],
      [FateKind.Generated, 1],
    ]);
    const sSyn = by(2)[1]!.frame!.subarray(34);
    expect(Buffer.from(by(2)[1]!.frame!.subarray(26, 34)).toString('hex')).toBe('cb007109c0000214');
    expect(rd32(sSyn, 4)).toBe(1000);
    expect(rd32(sSyn, 8)).toBe(cookie);
    expect(sSyn[13]).toBe(0x02);
    expect((sSyn[14]! << 8) | sSyn[15]!).toBe(502);
    // The options the cookie carried: MSS 1460, SACK, the client's timestamp (600, echoing the cookie's), window scale 9.
    expect(Buffer.from(sSyn.subarray(20, 28)).toString('hex')).toBe('020405b40402080a');
    expect(rd32(sSyn, 28)).toBe(600);
    expect(rd32(sSyn, 32)).toBe(ts);
    expect(Buffer.from(sSyn.subarray(36, 40)).toString('hex')).toBe('01030309');
    // 3: the server's SYN-ACK is consumed: an ACK to the server (eth1), then the window update to the client (eth0).
    expect(by(3).map((f) => [f.kind, f.unit, f.reason])).toEqual([
      [FateKind.DroppedByStack, -1, expect.stringMatching(/^SYNPROXY: answered by the proxy/)],
      [FateKind.Generated, 1, undefined],
      [FateKind.Generated, 0, undefined],
    ]);
    const sAck = by(3)[1]!.frame!.subarray(34);
    expect(Buffer.from(by(3)[1]!.frame!.subarray(26, 34)).toString('hex')).toBe('cb007109c0000214');
    expect(rd32(sAck, 4)).toBe(1001);
    expect(rd32(sAck, 8)).toBe(7_000_001);
    expect(sAck[13]).toBe(0x10);
    // The largest window conntrack saw from the client: the proxied SYN's (the client's ACK's, 502; the first SYN was untracked).
    expect((sAck[14]! << 8) | sAck[15]!).toBe(502);
    const cAck = by(3)[2]!.frame!.subarray(34);
    expect(Buffer.from(by(3)[2]!.frame!.subarray(26, 34)).toString('hex')).toBe('c0000214cb007109');
    // The server's ISN + 1, translated into the cookie's numbering; the server's window scaled down by its scale (29200 >> 7).
    expect(rd32(cAck, 4)).toBe((cookie + 1) >>> 0);
    expect(rd32(cAck, 8)).toBe(1001);
    expect((cAck[14]! << 8) | cAck[15]!).toBe(29200 >> 7);
    // Its timestamp: the server's, brought back to the proxy's clock (the cookie's timestamp).
    expect(rd32(cAck, 24)).toBe(ts);
    expect(rd32(cAck, 28)).toBe(600);
    expect(l4Checksum(by(3)[2]!.frame!.subarray(14), 20, cAck.length, 6)).toBe(0);
    // 4, 5: forwarded, acknowledgements and sequence numbers and timestamps translated.
    expect(by(4).map((f) => [f.kind, f.unit])).toEqual([[FateKind.Forwarded, 1]]);
    const fwdData = by(4)[0]!.frame!.subarray(34);
    expect(rd32(fwdData, 4)).toBe(1001);
    expect(rd32(fwdData, 8)).toBe(7_000_001);
    expect(rd32(fwdData, 28)).toBe((ts + (90_000 - ts)) >>> 0);
    expect(l4Checksum(by(4)[0]!.frame!.subarray(14), 20, by(4)[0]!.frame!.length - 34, 6)).toBe(0);
    expect(by(5).map((f) => [f.kind, f.unit])).toEqual([[FateKind.Forwarded, 0]]);
    const back = by(5)[0]!.frame!.subarray(34);
    expect(rd32(back, 4)).toBe((cookie + 1) >>> 0);
    expect(rd32(back, 24)).toBe((90_100 - (90_000 - ts)) >>> 0);
    expect(l4Checksum(by(5)[0]!.frame!.subarray(14), 20, by(5)[0]!.frame!.length - 34, 6)).toBe(0);
    expect(run.conntrack).toMatch(
      /^tcp +6 \d+ ESTABLISHED src=203\.0\.113\.9 dst=192\.0\.2\.20 sport=40000 dport=8080 src=192\.0\.2\.20 dst=203\.0\.113\.9 sport=8080 dport=40000 \[ASSURED\]/,
    );
  });
});

describe('SYNPROXY: IPv6', () => {
  const RULES6 = RULES4.replace('-A INPUT -m conntrack --ctstate INVALID -j DROP\n', '');
  it('answers a SYN with a cookie SYN-ACK from the server address, hop limit 64', () => {
    const syn = ethernet(
      { ...WIRE, ethertype: 0x86dd },
      ipv6({ src: '2001:db8:100::9', dst: '2001:db8:100::1' }, tcp({ sport: 40000, dport: 80, seq: 1000, flags: 'S', window: 64240, options: synOptions() })),
    );
    const { fates, save } = replay('*filter\n' + FILTER + 'COMMIT\n', [syn], RULES6);
    expect(fates.map((f) => [f.kind, f.frameNo, f.unit])).toEqual([
      [FateKind.DroppedByRule, 1, -1],
      [FateKind.Generated, 1, 0],
    ]);
    expect(save).toContain('[1:80] -A INPUT -i eth0 -p tcp -m tcp --dport 80 -m conntrack --ctstate INVALID,UNTRACKED -j SYNPROXY');
    const ip = fates[1]!.frame!.subarray(14);
    expect(Buffer.from(ip.subarray(0, 8)).toString('hex')).toBe('6000000000280640');
    expect(Buffer.from(ip.subarray(8, 24)).toString('hex')).toBe('20010db8010000000000000000000001');
    expect(l4Checksum6(ip, 40, 40, 6)).toBe(0);
    const t = ip.subarray(40);
    expect(rd32(t, 8)).toBe(1001);
    expect(Buffer.from(t.subarray(12, 16)).toString('hex')).toBe('a0120000');
    const f6: CookieFlow = {
      v6: true,
      saddr4: 0,
      daddr4: 0,
      saddr6: parseInetAddr('2001:db8:100::9')!.bytes(),
      daddr6: parseInetAddr('2001:db8:100::1')!.bytes(),
      sport: 40000,
      dport: 80,
    };
    // IPv6's table: 1460 rounds down to 1440.
    const c = cookieInit(new SyncookieSecrets(0), f6, 1000, 1460, 0);
    expect(c.mss).toBe(1440);
    expect(rd32(t, 4)).toBe(c.cookie);
  });
});

describe('SYNPROXY: the server side, IPv6', () => {
  const W6 = { ...WIRE, ethertype: 0x86dd };
  const H6 = { ...HOST, ethertype: 0x86dd };
  const client = (t: Parameters<typeof tcp>[0]): Uint8Array => ethernet(W6, ipv6({ src: '2001:db8:300::9', dst: '2001:db8:2::20' }, tcp(t)));
  const server = (t: Parameters<typeof tcp>[0]): Uint8Array => ethernet(H6, ipv6({ src: '2001:db8:2::20', dst: '2001:db8:300::9' }, tcp(t)));
  const rules6 = RULES_FWD.replace('-A OUTPUT -p tcp -m conntrack --ctstate NEW\n-A OUTPUT -p tcp -m conntrack --ctstate ESTABLISHED\n', '');

  function run6(frames: Uint8Array[]): Fate[] {
    const fates: Fate[] = [];
    const st = new GuestStack(
      { spec: STRICT, printk: () => {}, fate: (f) => fates.push({ ...f, ...(f.frame ? { frame: f.frame.slice() } : {}) }) },
      loadRuleset('*filter\n' + FILTER + 'COMMIT\n', 'synproxy.v4'),
      loadRuleset(rules6, 'synproxy.v6', { family: Family.V6 }),
    );
    frames.forEach((f, i) => {
      st.setClock(i * 1_000_000);
      st.receive(f[10] === 0x01 ? 1 : 0, f, i + 1);
    });
    st.finish();
    return fates;
  }

  it('opens the connection with a SYN from the client, answers the SYN-ACK and translates the server numbering', () => {
    const syn = client({ sport: 41000, dport: 8080, seq: 5000, flags: 'S', window: 64800, options: Uint8Array.from([2, 4, 0x05, 0xa0]) });
    const synack = run6([syn])[1]!.frame!.subarray(54);
    const cookie = rd32(synack, 4);
    // No --timestamp offered back (the SYN had none): MSS 1460 only; the cookie encodes 1440 (IPv6's table).
    expect(Buffer.from(synack.subarray(20, 24)).toString('hex')).toBe('020405b4');
    const ack = client({ sport: 41000, dport: 8080, seq: 5001, ack: cookie + 1, flags: 'A', window: 300 });
    const sSynack = server({ sport: 8080, dport: 41000, seq: 9_000_000, ack: 5001, flags: 'SA', window: 28800, options: Uint8Array.from([2, 4, 5, 0xa0]) });
    const data = server({ sport: 8080, dport: 41000, seq: 9_000_001, ack: 5001, flags: 'PA', window: 28800, payload: new Uint8Array(3) });
    const fates = run6([syn, ack, sSynack, data]);
    const by = (n: number): Fate[] => fates.filter((f) => f.frameNo === n);
    expect(by(2).map((f) => [f.kind, f.unit])).toEqual([
      [FateKind.DroppedByRule, -1],
      [FateKind.Generated, 1],
    ]);
    const sSyn = by(2)[1]!.frame!.subarray(54);
    expect(rd32(sSyn, 4)).toBe(5000);
    expect(rd32(sSyn, 8)).toBe(cookie);
    // The MSS the cookie encoded: 1440.
    expect(Buffer.from(sSyn.subarray(20, 24)).toString('hex')).toBe('020405a0');
    expect(by(3).map((f) => [f.kind, f.unit])).toEqual([
      [FateKind.DroppedByStack, -1],
      [FateKind.Generated, 1],
      [FateKind.Generated, 0],
    ]);
    const cAck = by(3)[2]!.frame!.subarray(54);
    expect(rd32(cAck, 4)).toBe((cookie + 1) >>> 0);
    expect((cAck[14]! << 8) | cAck[15]!).toBe(28800);
    expect(l4Checksum6(by(3)[2]!.frame!.subarray(14), 40, 20, 6)).toBe(0);
    expect(by(4).map((f) => [f.kind, f.unit])).toEqual([[FateKind.Forwarded, 0]]);
    const back = by(4)[0]!.frame!.subarray(54);
    expect(rd32(back, 4)).toBe((cookie + 1) >>> 0);
    expect(l4Checksum6(by(4)[0]!.frame!.subarray(14), 40, 23, 6)).toBe(0);
  });
});
