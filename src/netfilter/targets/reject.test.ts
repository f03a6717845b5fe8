import { describe, expect, it } from 'vitest';
import { ipv4, tcp, udp } from '../../packet/build.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';
import { Hook, NF_DROP, PacketType } from '../types.js';
import { CheckError, OptionError } from '../xt.js';
import { KERNEL_CASES } from './kernel-fixtures.js';
import { rejectTarget, type RejectConfig } from './reject.js';
import { ETH0, checkCtx, hex, params, parseCtx, recorder, skbOf, toHex, usesOf } from './test-services.js';

const parse = (text: string, proto = 0): RejectConfig => rejectTarget.parse(usesOf(rejectTarget, text), parseCtx(proto));

/** Input -> what iptables-save v1.8.9 (nf_tables) printed after `-j REJECT`. */
const SAVE_ROWS: Array<[string, string]> = [
  ['', '--reject-with icmp-port-unreachable'],
  ['--reject-with tcp-reset', '--reject-with tcp-reset'],
  ['--reject-with tcp-rst', '--reject-with tcp-reset'],
  ['--reject-with TCP-RESET', '--reject-with tcp-reset'],
  ['--reject-with tcp', '--reject-with tcp-reset'],
  ['--reject-with net-unreach', '--reject-with icmp-net-unreachable'],
  ['--reject-with host-unreach', '--reject-with icmp-host-unreachable'],
  ['--reject-with port-unreach', '--reject-with icmp-port-unreachable'],
  ['--reject-with proto-unreach', '--reject-with icmp-proto-unreachable'],
  ['--reject-with net-prohib', '--reject-with icmp-net-prohibited'],
  ['--reject-with host-prohib', '--reject-with icmp-host-prohibited'],
  ['--reject-with admin-prohib', '--reject-with icmp-admin-prohibited'],
  ['--reject-with icmp-net-unreachable', '--reject-with icmp-net-unreachable'],
  ['--reject-with icmp-host-unreachable', '--reject-with icmp-host-unreachable'],
  ['--reject-with icmp-port-unreachable', '--reject-with icmp-port-unreachable'],
  ['--reject-with icmp-proto-unreachable', '--reject-with icmp-proto-unreachable'],
  ['--reject-with icmp-net-prohibited', '--reject-with icmp-net-prohibited'],
  ['--reject-with icmp-host-prohibited', '--reject-with icmp-host-prohibited'],
  ['--reject-with icmp-admin-prohibited', '--reject-with icmp-admin-prohibited'],
  ['--reject-with ICMP-HOST-PROHIB', '--reject-with icmp-host-prohibited'],
  ['--reject-with port', '--reject-with icmp-port-unreachable'],
  ['--reject-with icmp', '--reject-with icmp-net-unreachable'],
  ['--reject-with ""', '--reject-with icmp-net-unreachable'],
];

describe('REJECT options', () => {
  it.each(SAVE_ROWS)('saves %s as iptables-save does', (input, out) => expect(rejectTarget.save(parse(input, 6))).toBe(out));
  it.each([['foo'], ['icmp-echo-reply'], ['tcp-reset-x'], ['echo']])('refuses --reject-with %s', (arg) => {
    expect(() => parse(`--reject-with ${arg}`)).toThrow(OptionError);
    expect(() => parse(`--reject-with ${arg}`)).toThrow(`unknown reject type "${arg}"`);
  });
  it('refuses tcp-reset without -p tcp, or with ! -p tcp, as reject_tg_check does', () => {
    const rst = parse('--reject-with tcp-reset');
    expect(() => rejectTarget.check!(rst, checkCtx(0))).toThrow('TCP_RESET invalid for non-tcp');
    expect(() => rejectTarget.check!(rst, checkCtx(17))).toThrow(CheckError);
    expect(() => rejectTarget.check!(rst, checkCtx(6, true))).toThrow(CheckError);
    expect(() => rejectTarget.check!(rst, checkCtx(6))).not.toThrow();
    expect(() => rejectTarget.check!(parse(''), checkCtx(0))).not.toThrow();
  });
});

describe('REJECT in a rule file', () => {
  const load = (body: string, table = 'filter') => loadRuleset(`*${table}\n${body}\nCOMMIT\n`, 'rules.v4');
  it('loads and saves as iptables-save printed it', () => {
    const rs = load(
      ':FOO - [0:0]\n-A INPUT -p tcp -j REJECT\n-A INPUT -p tcp -j REJECT --reject-with tcp-rst\n-A FOO -j REJECT\n-A INPUT -j LOG --log-prefix "x: " --log-level debug',
    );
    const text = saveRuleset(rs);
    expect(text).toContain('-A INPUT -p tcp -j REJECT --reject-with icmp-port-unreachable\n');
    expect(text).toContain('-A INPUT -p tcp -j REJECT --reject-with tcp-reset\n');
    expect(text).toContain('-A FOO -j REJECT --reject-with icmp-port-unreachable\n');
    expect(text).toContain('-A INPUT -j LOG --log-prefix "x: " --log-level 7\n');
  });
  it('refuses what the kernel refused (iptables-restore: RULE_APPEND failed (Invalid argument))', () => {
    expect(() => load('-A INPUT -j REJECT --reject-with tcp-reset')).toThrow('TCP_RESET invalid for non-tcp');
    expect(() => load('-A INPUT ! -p tcp -j REJECT --reject-with tcp-reset')).toThrow('TCP_RESET invalid for non-tcp');
    // Kernel: "x_tables: ip_tables: REJECT target: only valid in filter table, not mangle".
    expect(() => load('-A INPUT -j REJECT', 'mangle')).toThrow(/REJECT target.*only valid in the filter table, not mangle/);
    expect(() => load('-A PREROUTING -j REJECT', 'raw')).toThrow(/not raw/);
  });
});

describe('REJECT at work', () => {
  const S = { src: '198.51.100.10', dst: '198.51.100.7' };
  const run = (rule: string, ip: Uint8Array, hook: Hook, svc = recorder(), extra: Parameters<typeof skbOf>[1] = {}) => {
    const v = rejectTarget.target(parse(rule, 6), skbOf(ip, extra), params(svc, hook, hook === Hook.LocalOut ? null : ETH0, null));
    expect(v).toBe(NF_DROP);
    return svc.sent;
  };
  it("sends the kernel's reset for the fixture SYN", () => {
    const c = KERNEL_CASES.find((k) => k.name === 'syn22')!;
    expect(run('--reject-with tcp-reset', hex(c.orig), Hook.LocalIn).map(toHex)).toEqual([c.reply]);
  });
  it("sends the kernel's ICMP error for the fixture (ID aside, which Linux draws at random)", () => {
    const c = KERNEL_CASES.find((k) => k.name === 'syn23tos')!;
    const [got] = run('', hex(c.orig), Hook.LocalIn);
    const want = hex(c.reply);
    for (const b of [got!, want]) b.fill(0, 4, 6).fill(0, 10, 12);
    expect(toHex(got!)).toBe(toHex(want));
  });
  it('answers from the original destination when it is local, else from the routed source', () => {
    const ip = ipv4({ src: '192.0.2.10', dst: '203.0.113.5' }, udp({ sport: 1, dport: 2 }));
    const [fwd] = run('', ip, Hook.Forward, recorder({ source: '198.51.100.7' }));
    expect(toHex(fwd!.subarray(12, 16))).toBe('c6336407');
    const [none] = run('', ip, Hook.Forward, recorder({ source: '0.0.0.0' }));
    expect(toHex(none!.subarray(12, 16))).toBe('c0000008');
  });
  it('sends nothing to broadcast or multicast, for non-host frames, or without a route back', () => {
    const b = ipv4({ ...S, dst: '198.51.100.255' }, udp({ sport: 1, dport: 2 }));
    expect(run('', b, Hook.LocalIn)).toEqual([]);
    expect(run('--reject-with tcp-reset', ipv4({ ...S, dst: '224.0.0.1' }, tcp({ sport: 1, dport: 2 })), Hook.LocalIn)).toEqual([]);
    const u = ipv4(S, udp({ sport: 1, dport: 2 }));
    expect(run('', u, Hook.LocalIn, recorder(), { pktType: PacketType.Broadcast })).toEqual([]);
    expect(run('', u, Hook.LocalIn, recorder({ noRoute: true }))).toEqual([]);
    // A reset does not look at pkt_type (nf_send_reset checks the route only).
    const t = ipv4(S, tcp({ sport: 1, dport: 2 }));
    expect(run('--reject-with tcp-reset', t, Hook.LocalIn, recorder(), { pktType: PacketType.OtherHost })).toHaveLength(1);
  });
  it('does not check checksums of local packets (OUTPUT)', () => {
    const t = ipv4({ src: '198.51.100.7', dst: '198.51.100.10' }, tcp({ sport: 1, dport: 2 }));
    t[37] = t[37]! ^ 1;
    expect(run('--reject-with tcp-reset', t, Hook.LocalIn)).toEqual([]);
    expect(run('--reject-with tcp-reset', t, Hook.LocalOut)).toHaveLength(1);
    expect(run('', t, Hook.LocalOut)).toHaveLength(1);
  });
});
