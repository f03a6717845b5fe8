/** ip6t_REJECT: parsing as ip6tables 1.8.9, and the replies nf_reject_ipv6 builds, recorded from the kernel. */
import { describe, expect, it } from 'vitest';
import { fragHeader, icmp6, ipv6, raw, tcp, udp } from '../../packet/build.js';
import { InetAddr, parseIPv6 } from '../../packet/inet-addr.js';
import { buildIcmp6Unreach, buildTcpReset6 } from '../../packet/reject.js';
import { Hook, NF_DROP, PacketType } from '../types.js';
import { checkCtx6, parseCtx6, parseError6, save6, skb6, usesOf } from '../matches/test-util.js';
import { ETH0, params, recorder, toHex } from './test-services.js';
import { rejectTarget } from './reject.js';

// Recorded from ip6tables-restore then ip6tables-save 1.8.9 (nf_tables); BAD: the options -> its message.
const ROWS: Array<[string, string]> = [
  ['-A INPUT -j REJECT', '-A INPUT -j REJECT --reject-with icmp6-port-unreachable'],
  ['-A INPUT -j REJECT --reject-with icmp6-no-route', '-A INPUT -j REJECT --reject-with icmp6-no-route'],
  ['-A INPUT -j REJECT --reject-with no-route', '-A INPUT -j REJECT --reject-with icmp6-no-route'],
  ['-A INPUT -j REJECT --reject-with icmp6-adm-prohibited', '-A INPUT -j REJECT --reject-with icmp6-adm-prohibited'],
  ['-A INPUT -j REJECT --reject-with adm-prohibited', '-A INPUT -j REJECT --reject-with icmp6-adm-prohibited'],
  ['-A INPUT -j REJECT --reject-with icmp6-addr-unreachable', '-A INPUT -j REJECT --reject-with icmp6-addr-unreachable'],
  ['-A INPUT -j REJECT --reject-with addr-unreach', '-A INPUT -j REJECT --reject-with icmp6-addr-unreachable'],
  ['-A INPUT -j REJECT --reject-with icmp6-port-unreachable', '-A INPUT -j REJECT --reject-with icmp6-port-unreachable'],
  ['-A INPUT -j REJECT --reject-with port-unreach', '-A INPUT -j REJECT --reject-with icmp6-port-unreachable'],
  ['-A INPUT -j REJECT --reject-with icmp6-policy-fail', '-A INPUT -j REJECT --reject-with icmp6-policy-fail'],
  ['-A INPUT -j REJECT --reject-with policy-fail', '-A INPUT -j REJECT --reject-with icmp6-policy-fail'],
  ['-A INPUT -j REJECT --reject-with icmp6-reject-route', '-A INPUT -j REJECT --reject-with icmp6-reject-route'],
  ['-A INPUT -j REJECT --reject-with reject-route', '-A INPUT -j REJECT --reject-with icmp6-reject-route'],
  ['-A INPUT -p tcp -j REJECT --reject-with tcp-reset', '-A INPUT -p tcp -j REJECT --reject-with tcp-reset'],
  ['-A INPUT -j REJECT --reject-with icmp6', '-A INPUT -j REJECT --reject-with icmp6-no-route'],
  ['-A INPUT -j REJECT --reject-with ICMP6-ADM', '-A INPUT -j REJECT --reject-with icmp6-adm-prohibited'],
  ['-A INPUT -j REJECT --reject-with p', '-A INPUT -j REJECT --reject-with icmp6-port-unreachable'],
  ['-A INPUT -j REJECT --reject-with a', '-A INPUT -j REJECT --reject-with icmp6-adm-prohibited'],
  ['-A INPUT -j REJECT --reject-with r', '-A INPUT -j REJECT --reject-with icmp6-reject-route'],
  ['-A INPUT -j REJECT --reject-with ""', '-A INPUT -j REJECT --reject-with icmp6-no-route'],
];
const BAD: Array<[string, string]> = [
  ['--reject-with icmp-port-unreachable', 'unknown reject type "icmp-port-unreachable"'],
  ['--reject-with foo', 'unknown reject type "foo"'],
  ['--reject-with tcp-rst', 'unknown reject type "tcp-rst"'],
  ['--reject-with echo-reply', 'unknown reject type "echo-reply"'],
  ['--reject-with icmp6-not-neighbor', 'unknown reject type "icmp6-not-neighbor"'],
  ['--reject-with tcp-reset-x', 'unknown reject type "tcp-reset-x"'],
  ['--reject-with icmp6-port-unreachablex', 'unknown reject type "icmp6-port-unreachablex"'],
];

describe('REJECT (ip6tables): ip6tables-restore -> ip6tables-save', () => {
  it.each(ROWS)('%s', (rule, saved) => expect(save6(rule)).toBe(saved));
  it('the filter table only, INPUT, FORWARD and OUTPUT (ip6tables: RULE_APPEND failed (Invalid argument))', () => {
    expect(save6('-A INPUT -j REJECT', 'mangle')).toContain('REJECT target is only valid in the filter table, not mangle');
  });
});

describe('REJECT (ip6tables): refusals', () => {
  it.each(BAD)('%s', (text, err) => expect(parseError6(rejectTarget, text)).toBe(err));
  it('tcp-reset needs -p tcp, not inverted (ip6tables: RULE_APPEND failed (Invalid argument))', () => {
    const c = rejectTarget.parse(usesOf(rejectTarget, '--reject-with tcp-reset'), parseCtx6(6));
    expect(() => rejectTarget.check!(c, checkCtx6(2, 0))).toThrow('REJECT: TCP_RESET illegal for non-tcp');
    expect(() => rejectTarget.check!(c, checkCtx6(2, 17))).toThrow('TCP_RESET illegal for non-tcp');
    expect(() => rejectTarget.check!(c, checkCtx6(2, 6, true))).toThrow('TCP_RESET illegal for non-tcp');
    expect(() => rejectTarget.check!(c, checkCtx6(2, 6))).not.toThrow();
    expect(save6('-A INPUT -j REJECT --reject-with t')).toContain('TCP_RESET illegal for non-tcp');
  });
});

const PEER = '2001:db8::2';
const ME = '2001:db8::1';
const me = parseIPv6(ME)!;

// Captured on the peer's veth while the kernel (Linux 6.18, ip6tables 1.8.9) rejected these packets in INPUT.
const KERNEL_PORT_UNREACH =
  '600b0be8003d3a4020010db800000000000000000000000120010db8000000000000000000000002010431e000000000' +
  '60000000000d114020010db800000000000000000000000220010db800000000000000000000000104d20009000d5bb268656c6c6f';
const KERNEL_RST_SYN = '600000000014064020010db800000000000000000000000120010db8000000000000000000000002005004d200000000000003e9501400004b510000';
const KERNEL_RST_ACK = '600000000014064020010db800000000000000000000000120010db8000000000000000000000002005104d20000004d00000000500400004efc0000';

const udpTo = (dport: number, payload = 'hello', dst = ME) => ipv6({ src: PEER, dst }, udp({ sport: 1234, dport, payload: new TextEncoder().encode(payload) }));

describe('nf_reject_ipv6: the replies, byte for byte', () => {
  it("ICMPv6 port unreachable: the original quoted, hop limit 64, traffic class 0 (the flow label is the kernel's secret hash)", () => {
    expect(toHex(buildIcmp6Unreach(udpTo(9), 4, me, { flowLabel: 0xb0be8 })!)).toBe(KERNEL_PORT_UNREACH);
    const e = buildIcmp6Unreach(udpTo(9), 4, me)!;
    expect(((e[1]! & 0x0f) << 16) | (e[2]! << 8) | e[3]!).not.toBe(0);
  });
  it('TCP reset to a SYN and to a segment with ACK', () => {
    expect(toHex(buildTcpReset6(ipv6({ src: PEER, dst: ME }, tcp({ sport: 1234, dport: 80, flags: 'S', seq: 1000 })))!)).toBe(KERNEL_RST_SYN);
    const ack = ipv6({ src: PEER, dst: ME }, tcp({ sport: 1234, dport: 81, flags: 'PA', seq: 5, ack: 77, payload: new TextEncoder().encode('abc') }));
    expect(toHex(buildTcpReset6(ack)!)).toBe(KERNEL_RST_ACK);
  });
  it('quotes at most 1232 bytes (recorded: a 1456-byte packet gave a 1240-byte ICMPv6 payload)', () => {
    const big = udpTo(10, 'x'.repeat(1400));
    const e = buildIcmp6Unreach(big, 1, me)!;
    expect(e.length).toBe(40 + 8 + 1232);
    expect(toHex(e.subarray(48))).toBe(toHex(big.subarray(0, 1232)));
  });
  // Each recorded from the kernel: which packets a REJECT rule in INPUT answers.
  it('answers a UDP packet without checksum, not one with a wrong checksum', () => {
    const zero = udpTo(9);
    zero[46] = 0;
    zero[47] = 0;
    expect(buildIcmp6Unreach(zero, 4, me)).not.toBeNull();
    const bad = udpTo(9);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
    expect(buildIcmp6Unreach(bad, 4, me)).toBeNull();
    expect(buildIcmp6Unreach(bad, 4, me, { verifyChecksum: false })).not.toBeNull();
  });
  it('answers an echo request, not an ICMPv6 error, "no next header" or an unknown protocol', () => {
    expect(buildIcmp6Unreach(ipv6({ src: PEER, dst: ME }, icmp6({ type: 128, id: 1, seq: 1 })), 4, me)).not.toBeNull();
    expect(buildIcmp6Unreach(ipv6({ src: PEER, dst: ME }, icmp6({ type: 1, code: 4, payload: new Uint8Array(8) })), 4, me)).toBeNull();
    expect(buildIcmp6Unreach(ipv6({ src: PEER, dst: ME, rawL4: true }, raw(59, new Uint8Array(0))), 4, me)).toBeNull();
    expect(buildIcmp6Unreach(ipv6({ src: PEER, dst: ME, rawL4: true }, raw(253, Uint8Array.from([0x61, 0x62, 0x63, 0x64]))), 4, me)).toBeNull();
  });
  it('no reset for a RST, a wrong checksum, a non-first fragment or a non-TCP packet; no ICMPv6 for a non-first fragment', () => {
    expect(buildTcpReset6(ipv6({ src: PEER, dst: ME }, tcp({ sport: 1, dport: 80, flags: 'R' })))).toBeNull();
    const bad = ipv6({ src: PEER, dst: ME }, tcp({ sport: 1, dport: 80 }));
    bad[bad.length - 3] = bad[bad.length - 3]! ^ 1;
    expect(buildTcpReset6(bad)).toBeNull();
    expect(buildTcpReset6(bad, { verifyChecksum: false })).not.toBeNull();
    const later = ipv6({ src: PEER, dst: ME, ext: [fragHeader(8, false, 1)], rawL4: true }, raw(6, new Uint8Array(20)));
    expect(buildTcpReset6(later, { verifyChecksum: false })).toBeNull();
    expect(buildIcmp6Unreach(later, 4, me, { verifyChecksum: false })).toBeNull();
    expect(buildTcpReset6(udpTo(9))).toBeNull();
  });
  it('no reply to or from a multicast or unspecified address', () => {
    const mc = ipv6({ src: PEER, dst: 'ff02::1' }, tcp({ sport: 1, dport: 80 }));
    expect(buildTcpReset6(mc)).toBeNull();
    expect(buildIcmp6Unreach(mc, 4, me)).toBeNull();
    const any = ipv6({ src: '::', dst: ME }, udp({ sport: 1, dport: 9 }));
    expect(buildIcmp6Unreach(any, 4, me)).toBeNull();
    expect(buildTcpReset6(ipv6({ src: '::ffff:192.0.2.1', dst: ME }, tcp({ sport: 1, dport: 80 })))).toBeNull();
  });
});

describe('REJECT (ip6tables): the target', () => {
  const cfg = (t: string, proto = 0) => rejectTarget.parse(usesOf(rejectTarget, t), parseCtx6(proto));
  it('sends the ICMPv6 error from the original destination when it is local, with the code of its type', () => {
    const g = recorder();
    const skb = skb6(ipv6({ src: PEER, dst: '2001:db8::7' }, udp({ sport: 1, dport: 9 })));
    expect(rejectTarget.target(cfg('--reject-with icmp6-adm-prohibited'), skb, params(g, Hook.LocalIn, ETH0, null))).toBe(NF_DROP);
    expect(g.sent.length).toBe(1);
    const e = g.sent[0]!;
    expect(e[40]).toBe(1);
    expect(e[41]).toBe(1);
    expect(new InetAddr().readV6(e, 8).toString()).toBe('2001:db8::7');
  });
  it.each([
    ['icmp6-no-route', 0],
    ['icmp6-addr-unreachable', 3],
    ['icmp6-port-unreachable', 4],
    ['icmp6-policy-fail', 5],
    ['icmp6-reject-route', 6],
  ] as const)('%s is code %i', (t, code) => {
    const g = recorder();
    rejectTarget.target(cfg(`--reject-with ${t}`), skb6(udpTo(9, 'x', '2001:db8::7')), params(g, Hook.LocalIn, ETH0, null));
    expect(g.sent[0]![41]).toBe(code);
  });
  it("in FORWARD: the error from the input interface's address, the reset from the original destination (recorded)", () => {
    const g = recorder({ source6: '2001:db8::7' });
    rejectTarget.target(cfg(''), skb6(udpTo(9, 'x', '2001:db8:99::5')), params(g, Hook.Forward, ETH0, ETH0));
    expect(toHex(g.sent[0]!.subarray(8, 24))).toBe('20010db8000000000000000000000007');
    rejectTarget.target(
      cfg('--reject-with tcp-reset', 6),
      skb6(ipv6({ src: PEER, dst: '2001:db8:99::5' }, tcp({ sport: 1, dport: 80 }))),
      params(g, Hook.Forward, ETH0, ETH0),
    );
    expect(toHex(g.sent[1]!.subarray(8, 24))).toBe('20010db8009900000000000000000005');
  });
  it('nothing for a frame not addressed to this host, nor without a route back', () => {
    const g = recorder();
    const skb = skb6(udpTo(9, 'x', '2001:db8::7'));
    skb.pktType = PacketType.Multicast;
    rejectTarget.target(cfg(''), skb, params(g, Hook.LocalIn, ETH0, null));
    const n = recorder({ noRoute: true });
    rejectTarget.target(cfg(''), skb6(udpTo(9, 'x', '2001:db8::7')), params(n, Hook.LocalIn, ETH0, null));
    rejectTarget.target(
      cfg('--reject-with tcp-reset', 6),
      skb6(ipv6({ src: PEER, dst: '2001:db8::7' }, tcp({ sport: 1, dport: 80 }))),
      params(n, Hook.LocalIn, ETH0, null),
    );
    expect(g.sent.length + n.sent.length).toBe(0);
  });
  it('in OUTPUT the checksum is not checked (CHECKSUM_PARTIAL)', () => {
    const g = recorder();
    const bad = ipv6({ src: '2001:db8::7', dst: PEER }, udp({ sport: 1, dport: 9 }));
    bad[46] = bad[46]! ^ 1;
    rejectTarget.target(cfg(''), skb6(bad), params(g, Hook.LocalOut, null, ETH0));
    expect(g.sent.length).toBe(1);
  });
});
