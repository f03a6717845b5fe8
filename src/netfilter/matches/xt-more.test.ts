/**
 * quota, cpu, dccp, ipcomp, cluster (both families) and srh (IPv6): the
 * rule text as iptables-restore then iptables-save 1.8.9 (nf_tables) gave
 * it back, and its refusals, recorded in a network namespace; then each
 * match on packets (the kernel's verdicts on such packets are in golden
 * xt-matches).
 */
import { describe, expect, it } from 'vitest';
import { Family } from '../../packet/inet-addr.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';
import { ipv4, ipv6, raw, udp } from '../../packet/build.js';
import { parseInetAddr } from '../../packet/inet-addr.js';
import { Conn } from '../conntrack/conn.js';
import { PacketType } from '../types.js';
import { quotaMatch } from './quota.js';
import { cpuMatch } from './cpu.js';
import { dccpMatch } from './dccp.js';
import { ipcompMatch } from './ipcomp.js';
import { clusterMatch, clusterNode } from './cluster.js';
import { srhMatch } from './srh.js';
import { parseCtx, parseCtx6, run, skb6, skbOf, usesOf } from './test-util.js';

/** One rule through cofw's restore and save: the -A line, or the error. */
function save(rule: string, family = Family.V4): string {
  const text = ['*filter', ':INPUT ACCEPT [0:0]', rule, 'COMMIT', ''].join('\n');
  try {
    return saveRuleset(loadRuleset(text, 'rules', { family }), { counters: false })
      .split('\n')
      .filter((l) => l.startsWith('-A'))
      .join('\n');
  } catch (e) {
    return (e as Error).message;
  }
}

// [rule, what iptables-save printed]; the same in ip6tables unless noted.
const ROWS: Array<[string, string]> = [
  ['-A INPUT -m quota --quota 1000', '-A INPUT -m quota --quota 1000'],
  ['-A INPUT -m quota ! --quota 0x10', '-A INPUT -m quota ! --quota 16'],
  ['-A INPUT -m quota --quota 18446744073709551615', '-A INPUT -m quota --quota 18446744073709551615'],
  ['-A INPUT -m cpu --cpu 0', '-A INPUT -m cpu --cpu 0'],
  ['-A INPUT -m cpu ! --cpu 3', '-A INPUT -m cpu ! --cpu 3'],
  ['-A INPUT -m cpu --cpu 4294967295', '-A INPUT -m cpu --cpu 4294967295'],
  ['-A INPUT -m cpu --cpu 0x10', '-A INPUT -m cpu --cpu 16'],
  ['-A INPUT -p dccp -m dccp --sport 10:20 --dport 30', '-A INPUT -p dccp -m dccp --sport 10:20 --dport 30'],
  ['-A INPUT -p dccp -m dccp ! --sport 10 ! --dport 5:4', '-A INPUT -p dccp -m dccp ! --sport 10 ! --dport 5:4'],
  ['-A INPUT -p dccp -m dccp', '-A INPUT -p dccp -m dccp'],
  [
    '-A INPUT -p 33 -m dccp --dccp-types REQUEST,RESPONSE,DATA,ACK,DATAACK,CLOSEREQ,CLOSE,RESET,SYNC,SYNCACK,INVALID',
    '-A INPUT -p dccp -m dccp --dccp-types REQUEST,RESPONSE,DATA,ACK,DATAACK,CLOSEREQ,CLOSE,RESET,SYNC,SYNCACK,INVALID',
  ],
  ['-A INPUT -p dccp -m dccp ! --dccp-types request,ack', '-A INPUT -p dccp -m dccp ! --dccp-types REQUEST,ACK'],
  ['-A INPUT -p dccp -m dccp --dccp-option 5', '-A INPUT -p dccp -m dccp --dccp-option 5'],
  ['-A INPUT -p dccp -m dccp ! --dccp-option 0x20', '-A INPUT -p dccp -m dccp ! --dccp-option 32'],
  ['-A INPUT -p dccp -m dccp --source-port ssh:http --destination-port :100', '-A INPUT -p dccp -m dccp --sport 22:80 --dport 0:100'],
  ['-A INPUT -p dccp -m dccp --sport 100:', '-A INPUT -p dccp -m dccp --sport 100:65535'],
  ['-A INPUT -p dccp -m dccp --sport :', '-A INPUT -p dccp -m dccp --sport 0:65535'],
  ['-A INPUT -p dccp -m dccp --sport 70000', '-A INPUT -p dccp -m dccp --sport 4464'],
  ['-A INPUT -p dccp -m dccp --sport bootps', '-A INPUT -p dccp -m dccp --sport 67'],
  ['-A INPUT -p dccp -m dccp --dccp-types ,,', '-A INPUT -p dccp -m dccp --dccp-types '],
  ['-A INPUT -p dccp -m dccp ! --dccp-types ,,', '-A INPUT -p dccp -m dccp ! --dccp-types '],
  ['-A INPUT -p dccp --dport 5', '-A INPUT -p dccp -m dccp --dport 5'],
  ['-A INPUT -p dccp -m dccp --dccp-types DATA,DATA --dccp-option 3', '-A INPUT -p dccp -m dccp --dccp-types DATA --dccp-option 3'],
  [
    '-A INPUT -p dccp -m dccp --sport 10:20 --dport 30 --dccp-types DATA --dccp-option 5',
    '-A INPUT -p dccp -m dccp --sport 10:20 --dport 30 --dccp-types DATA --dccp-option 5',
  ],
  ['-A INPUT -p ipcomp -m ipcomp --ipcompspi 10:20', '-A INPUT -p ipcomp -m ipcomp --ipcompspi 10:20'],
  ['-A INPUT -p 108 -m ipcomp ! --ipcompspi 0x10', '-A INPUT -p ipcomp -m ipcomp ! --ipcompspi 16'],
  ['-A INPUT -p ipcomp -m ipcomp', '-A INPUT -p ipcomp -m ipcomp --ipcompspi 0'],
  ['-A INPUT -p ipcomp -m ipcomp --ipcompspi 0:4294967295', '-A INPUT -p ipcomp -m ipcomp'],
  ['-A INPUT -p ipcomp -m ipcomp ! --ipcompspi 0:4294967295', '-A INPUT -p ipcomp -m ipcomp'],
  ['-A INPUT -p ipcomp -m ipcomp --ipcompspi 20:10 --compres', '-A INPUT -p ipcomp -m ipcomp --ipcompspi 20:10 --compres'],
  ['-A INPUT -p ipcomp -m ipcomp --compres', '-A INPUT -p ipcomp -m ipcomp --ipcompspi 0 --compres'],
  ['-A INPUT -p ipcomp -m ipcomp --ipcompspi 70000', '-A INPUT -p ipcomp -m ipcomp --ipcompspi 70000'],
  ['-A INPUT -p ipcomp -m ipcomp --ipcompspi :5', '-A INPUT -p ipcomp -m ipcomp --ipcompspi 0:5'],
  ['-A INPUT -p ipcomp -m ipcomp --ipcompspi 5:', '-A INPUT -p ipcomp -m ipcomp --ipcompspi 5:4294967295'],
  ['-A INPUT -p ipcomp -m ipcomp --ipcompspi 5:5', '-A INPUT -p ipcomp -m ipcomp --ipcompspi 5'],
  [
    '-A INPUT -m cluster --cluster-total-nodes 2 --cluster-local-node 1 --cluster-hash-seed 0xdeadbeef',
    '-A INPUT -m cluster --cluster-local-nodemask 0x00000001 --cluster-total-nodes 2 --cluster-hash-seed 0xdeadbeef',
  ],
  [
    '-A INPUT -m cluster --cluster-total-nodes 4 ! --cluster-local-nodemask 5 --cluster-hash-seed 7',
    '-A INPUT -m cluster ! --cluster-local-nodemask 0x00000005 --cluster-total-nodes 4 --cluster-hash-seed 0x00000007',
  ],
  [
    '-A INPUT -m cluster --cluster-total-nodes 4 ! --cluster-local-node 3 --cluster-hash-seed 7',
    '-A INPUT -m cluster ! --cluster-local-nodemask 0x00000004 --cluster-total-nodes 4 --cluster-hash-seed 0x00000007',
  ],
  [
    '-A INPUT -m cluster --cluster-total-nodes 32 --cluster-local-node 32 --cluster-hash-seed 7',
    '-A INPUT -m cluster --cluster-local-nodemask 0x80000000 --cluster-total-nodes 32 --cluster-hash-seed 0x00000007',
  ],
];

const BAD: Array<[string, string]> = [
  ['-A INPUT -m quota', 'quota: option "--quota" must be specified'],
  ['-A INPUT -m quota --quota 18446744073709551616', 'quota: bad value for option "--quota", or out of range (0-18446744073709551615).'],
  ['-A INPUT -m quota --quota -1', 'quota: bad value for option "--quota", or out of range (0-18446744073709551615).'],
  ['-A INPUT -m quota --quota 1k', 'quota: bad value for option "--quota", or out of range (0-18446744073709551615).'],
  ['-A INPUT -m cpu', 'cpu: option "--cpu" must be specified'],
  ['-A INPUT -m cpu --cpu 4294967296', 'cpu: bad value for option "--cpu", or out of range (0-4294967295).'],
  ['-A INPUT -m dccp --dport 1', 'dccp match: only valid for protocol 33'],
  ['-A INPUT ! -p dccp -m dccp', 'dccp match: only valid for protocol 33'],
  ['-A INPUT -p dccp -m dccp --dccp-types 3', "Unknown DCCP type `3'"],
  ['-A INPUT -p dccp -m dccp --dccp-types all', "Unknown DCCP type `all'"],
  ['-A INPUT -p dccp -m dccp --dccp-option 256', 'dccp: bad value for option "--dccp-option", or out of range (1-255).'],
  ['-A INPUT -p dccp -m dccp --dccp-option 0', 'dccp: bad value for option "--dccp-option", or out of range (1-255).'],
  ['-A INPUT -p dccp -m dccp --sport 1:2:3', 'dccp: Too many components for option "--source-port" (max: 2)'],
  ['-A INPUT -p dccp -m dccp --sport foo', 'Port "foo" does not resolve to anything.'],
  ['-A INPUT -p dccp -m dccp --sport 0x10', 'Port "0x10" does not resolve to anything.'],
  ['-A INPUT -p dccp -m dccp --sport 5 --sport 6', 'dccp: option "--source-port" can only be used once.'],
  ['-A INPUT -p dccp -m dccp --dccp-types DATA --dccp-types ACK', 'dccp: option "--dccp-types" can only be used once.'],
  ['-A INPUT -p ipcomp -m ipcomp --ipcompspi 4294967296', 'ipcomp: bad value for option "--ipcompspi" near "4294967296", or out of range (0-4294967295).'],
  ['-A INPUT -m ipcomp --ipcompspi 1', 'ipcomp match: only valid for protocol 108'],
  ['-A INPUT -m cluster --cluster-total-nodes 2 --cluster-local-node 1', 'cluster: option "--cluster-hash-seed" must be specified'],
  [
    '-A INPUT -m cluster --cluster-total-nodes 2 --cluster-local-node 3 --cluster-hash-seed 7',
    "cluster match: `--cluster-local-node' must be <= `--cluster-total-nodes'",
  ],
  [
    '-A INPUT -m cluster --cluster-total-nodes 2 --cluster-local-nodemask 4 --cluster-hash-seed 7',
    "cluster match: `--cluster-local-nodemask' too big for `--cluster-total-nodes'",
  ],
  [
    '-A INPUT -m cluster --cluster-total-nodes 33 --cluster-local-node 1 --cluster-hash-seed 7',
    'cluster: bad value for option "--cluster-total-nodes", or out of range (1-32).',
  ],
  [
    '-A INPUT -m cluster --cluster-total-nodes 32 --cluster-local-nodemask 0xffffffff --cluster-hash-seed 7',
    'cluster: bad value for option "--cluster-local-nodemask", or out of range (1-32).',
  ],
  [
    '-A INPUT -m cluster --cluster-total-nodes 2 --cluster-local-node 0 --cluster-hash-seed 7',
    'cluster: bad value for option "--cluster-local-node", or out of range (1-32).',
  ],
  ['-A INPUT -m cluster --cluster-local-node 1 --cluster-hash-seed 7', 'cluster: option "--cluster-total-nodes" must be specified'],
  ['-A INPUT -m cluster --cluster-total-nodes 2 --cluster-hash-seed 7', "cluster match: `--cluster-local-node' or`--cluster-local-nodemask' is missing"],
  [
    '-A INPUT -m cluster --cluster-total-nodes 2 --cluster-local-node 1 --cluster-local-nodemask 1 --cluster-hash-seed 7',
    'cluster: option "--cluster-local-node" cannot be used together with "--cluster-local-nodemask".',
  ],
  ['-A INPUT -m cluster ! --cluster-total-nodes 2 --cluster-local-node 1 --cluster-hash-seed 7', 'cluster: option "--cluster-total-nodes" cannot be inverted.'],
  ['-A INPUT -m cluster --cluster-total-nodes 2 --cluster-local-node 1 ! --cluster-hash-seed 7', 'cluster: option "--cluster-hash-seed" cannot be inverted.'],
];

// ip6tables-restore then ip6tables-save 1.8.9.
const SRH_ROWS: Array<[string, string]> = [
  ['-A INPUT -m srh', '-A INPUT -m srh'],
  [
    '-A INPUT -m srh --srh-next-hdr 17 ! --srh-hdr-len-eq 8 --srh-hdr-len-gt 1 ! --srh-hdr-len-lt 200 --srh-segs-left-eq 1 --srh-segs-left-gt 0 --srh-segs-left-lt 5 --srh-last-entry-eq 2 --srh-last-entry-gt 1 --srh-last-entry-lt 9 ! --srh-tag 0x10',
    '-A INPUT -m srh --srh-next-hdr 17 ! --srh-hdr-len-eq 200 --srh-hdr-len-gt 200 ! --srh-hdr-len-lt 200 --srh-segs-left-eq 5 --srh-segs-left-gt 5 --srh-segs-left-lt 5 --srh-last-entry-eq 9 --srh-last-entry-gt 9 --srh-last-entry-lt 9 ! --srh-tag 16',
  ],
  [
    '-A INPUT -m srh --srh-psid 2001:db8::1 ! --srh-nsid 2001:db8::/32 --srh-lsid 2001:db8::5/ffff::',
    '-A INPUT -m srh --srh-psid 2001:db8::1/128 ! --srh-nsid 2001:db8::/32 --srh-lsid 2001:db8::5/16',
  ],
  ['-A INPUT -m srh --srh-psid 2001:db8::1/64', '-A INPUT -m srh --srh-psid 2001:db8::1/64'],
  ['-A INPUT -m srh --srh-psid 2001:db8::1/0', '-A INPUT -m srh --srh-psid 2001:db8::1/0'],
  ['-A INPUT -m srh --srh-lsid ::/0', '-A INPUT -m srh --srh-lsid ::/0'],
  ['-A INPUT -m srh --srh-next-hdr 0x11', '-A INPUT -m srh --srh-next-hdr 17'],
  ['-A INPUT -m srh --srh-psid 2001:db8::1/ffff:ffff::1', '-A INPUT -m srh --srh-psid 2001:db8::1/128'],
];

const SRH_BAD: Array<[string, string]> = [
  ['-A INPUT -m srh --srh-next-hdr 256', 'srh: bad value for option "--srh-next-hdr", or out of range (0-255).'],
  ['-A INPUT -m srh --srh-next-hdr tcp', 'srh: bad value for option "--srh-next-hdr", or out of range (0-255).'],
  ['-A INPUT -m srh --srh-tag 65536', 'srh: bad value for option "--srh-tag", or out of range (0-65535).'],
  ['-A INPUT -m srh --srh-tag 65535 --srh-tag 1', 'srh: option "--srh-tag" can only be used once.'],
  ['-A INPUT -m srh --srh-psid 2001:db8::1/129', 'srh: bad value for option "--srh-psid", neither a valid network mask nor valid CIDR (0-128).'],
  ['-A INPUT -m srh --srh-psid foo', 'getaddrinfo: Name or service not known'],
];

describe('quota, cpu, dccp, ipcomp, cluster: restore then save', () => {
  it.each(ROWS)('%s', (rule, saved) => {
    expect(save(rule)).toBe(saved);
    expect(save(rule, Family.V6)).toBe(saved);
  });
  it.each(BAD)('refuses %s', (rule, err) => {
    expect(save(rule)).toContain(err);
    expect(save(rule, Family.V6)).toContain(err);
  });
});

describe('srh: ip6tables only', () => {
  it.each(SRH_ROWS)('%s', (rule, saved) => expect(save(rule, Family.V6)).toBe(saved));
  it.each(SRH_BAD)('refuses %s', (rule, err) => expect(save(rule, Family.V6)).toContain(err));
  it('iptables cannot load it', () => expect(save('-A INPUT -m srh')).toMatch(/srh/));
});

describe('quota: matching', () => {
  const cfg = (t: string) => quotaMatch.parse(usesOf(quotaMatch, t), parseCtx());
  const pkt = (n: number) => skbOf(ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, udp({ sport: 1, dport: 2, payload: new Uint8Array(n - 28) })));
  it('takes each packet off the quota while it fits; the first that does not empties it for good', () => {
    const c = cfg('--quota 300');
    expect([100, 150, 50, 28, 60].map((n) => run(quotaMatch, c, pkt(n)).matched)).toEqual([true, true, true, false, false]);
    expect(c.left).toBe(0n);
    expect(quotaMatch.save(c)).toBe('--quota 300');
    const d = cfg('--quota 300');
    expect([100, 250, 28].map((n) => run(quotaMatch, d, pkt(n)).matched)).toEqual([true, false, false]);
  });
  it('! inverts the answer, not the counting; IPv6 counts the whole packet', () => {
    const c = cfg('! --quota 100');
    expect([60, 60, 28].map((n) => run(quotaMatch, c, pkt(n)).matched)).toEqual([false, true, true]);
    const six = quotaMatch.parse(usesOf(quotaMatch, '--quota 88'), parseCtx6());
    const p6 = skb6(ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }, udp({ sport: 1, dport: 2, payload: new Uint8Array(40) })));
    expect(run(quotaMatch, six, p6).matched).toBe(true);
    expect(six.left).toBe(0n);
  });
});

describe('cpu: matching', () => {
  it('every packet is on CPU 0', () => {
    const p = skbOf(ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, udp({ sport: 1, dport: 2 })));
    const m = (t: string) => run(cpuMatch, cpuMatch.parse(usesOf(cpuMatch, t), parseCtx()), p).matched;
    expect([m('--cpu 0'), m('! --cpu 0'), m('--cpu 1'), m('! --cpu 1')]).toEqual([true, false, false, true]);
  });
});

/** A DCCP header: type, X bit, Data Offset (words; default what the headers and options make), options, data bytes. */
function dccpBytes(type: number, o: { x?: boolean; doff?: number; options?: number[]; data?: number; sport?: number; dport?: number } = {}): Uint8Array {
  const x = o.x ?? true;
  const typeLen = type === 2 ? 0 : type === 0 ? 4 : type === 1 || type >= 7 ? 12 : 8;
  const hdr = 12 + (x ? 4 : 0) + typeLen;
  const opts = o.options ?? [];
  const optLen = Math.ceil(opts.length / 4) * 4;
  const b = new Uint8Array(hdr + optLen + (o.data ?? 0));
  b[0] = (o.sport ?? 1500) >> 8;
  b[1] = (o.sport ?? 1500) & 0xff;
  b[2] = (o.dport ?? 5004) >> 8;
  b[3] = (o.dport ?? 5004) & 0xff;
  b[4] = o.doff ?? (hdr + optLen) / 4;
  b[8] = (type << 1) | (x ? 1 : 0);
  b.set(opts, hdr);
  return b;
}

describe('dccp: matching', () => {
  const cfg = (t: string) => dccpMatch.parse(usesOf(dccpMatch, t), parseCtx(33));
  const pkt = (b: Uint8Array, fragoff = 0) => skbOf(ipv4({ src: '192.0.2.1', dst: '192.0.2.2', fragoff }, raw(33, b)));
  it('ports, types and inversions', () => {
    const req = pkt(dccpBytes(0));
    expect(run(dccpMatch, cfg('--sport 1500 --dport 5004'), req).matched).toBe(true);
    expect(run(dccpMatch, cfg('! --dport 5004'), req).matched).toBe(false);
    expect(run(dccpMatch, cfg('--sport 1000:2000 --dccp-types REQUEST,RESPONSE'), req).matched).toBe(true);
    expect(run(dccpMatch, cfg('! --dccp-types REQUEST'), req).matched).toBe(false);
    expect(run(dccpMatch, cfg('--dccp-types DATA'), pkt(dccpBytes(2, { x: false }))).matched).toBe(true);
    expect(run(dccpMatch, cfg('--dport 5004'), pkt(dccpBytes(2), 3))).toEqual({ matched: false, hotdrop: false });
    expect(run(dccpMatch, cfg(''), pkt(dccpBytes(2).subarray(0, 11)))).toEqual({ matched: false, hotdrop: true });
  });
  it('options: walked after the type header, types 2-31 taken to have a length byte', () => {
    expect(run(dccpMatch, cfg('--dccp-option 32'), pkt(dccpBytes(0, { options: [1, 32, 3, 0] }))).matched).toBe(true);
    expect(run(dccpMatch, cfg('--dccp-option 32'), pkt(dccpBytes(3, { options: [2, 32, 3, 0] }))).matched).toBe(false);
    expect(run(dccpMatch, cfg('! --dccp-option 44'), pkt(dccpBytes(3, { options: [44, 3, 0, 0] }))).matched).toBe(false);
    // No options at all: not found, no drop.
    expect(run(dccpMatch, cfg('--dccp-option 1'), pkt(dccpBytes(2)))).toEqual({ matched: false, hotdrop: false });
    // A Data Offset shorter than the headers, or options past the packet: hotdrop.
    expect(run(dccpMatch, cfg('--dccp-option 1'), pkt(dccpBytes(3, { doff: 4 })))).toEqual({ matched: false, hotdrop: true });
    expect(run(dccpMatch, cfg('--dccp-option 1'), pkt(dccpBytes(2, { doff: 30 })))).toEqual({ matched: false, hotdrop: true });
    // A failed port test stops before the option walk: no drop.
    expect(run(dccpMatch, cfg('--dport 1 --dccp-option 1'), pkt(dccpBytes(3, { doff: 4 })))).toEqual({ matched: false, hotdrop: false });
  });
});

describe('ipcomp: matching', () => {
  const cfg = (t: string) => ipcompMatch.parse(usesOf(ipcompMatch, t), parseCtx(108));
  const comp = (cpi: number, n = 8) => {
    const b = new Uint8Array(4 + n);
    b[2] = cpi >> 8;
    b[3] = cpi & 0xff;
    return b;
  };
  it('the 16-bit CPI against the range; 0:0 without --ipcompspi; a short header drops', () => {
    const p = (cpi: number) => skbOf(ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, raw(108, comp(cpi))));
    expect(run(ipcompMatch, cfg('--ipcompspi 256:511'), p(0x1ff)).matched).toBe(true);
    expect(run(ipcompMatch, cfg('! --ipcompspi 256:511'), p(0x1ff)).matched).toBe(false);
    expect(run(ipcompMatch, cfg(''), p(0)).matched).toBe(true);
    expect(run(ipcompMatch, cfg(''), p(1)).matched).toBe(false);
    expect(run(ipcompMatch, cfg('--ipcompspi 70000'), p(70000 & 0xffff)).matched).toBe(false);
    const short = skbOf(ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, raw(108, comp(1).subarray(0, 3))));
    expect(run(ipcompMatch, cfg('--ipcompspi 1'), short)).toEqual({ matched: false, hotdrop: true });
    const six = skb6(ipv6({ src: '2001:db8::1', dst: '2001:db8::2', rawL4: true }, raw(108, comp(300))));
    expect(run(ipcompMatch, ipcompMatch.parse(usesOf(ipcompMatch, '--ipcompspi 300'), parseCtx6(108)), six).matched).toBe(true);
  });
});

describe('cluster: matching', () => {
  const cfg = (t: string) => clusterMatch.parse(usesOf(clusterMatch, t), parseCtx());
  const conn = (src: string, dst = '192.0.2.2') => {
    const s = parseInetAddr(src)!;
    const d = parseInetAddr(dst)!;
    return new Conn(17, s, d, 1, 2, d, s, 2, 1);
  };
  const tracked = (c: Conn | null, mcast = false) => {
    const p = skbOf(ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, udp({ sport: 1, dport: 2 })));
    p.ct = c;
    p.ctState = c ? 0 : 1;
    if (mcast) p.pktType = PacketType.Multicast;
    return p;
  };
  // Two sources on different nodes of a 2-node cluster with seed 0xdeadbeef.
  const srcs = Array.from({ length: 20 }, (_, i) => `203.0.113.${i + 1}`);
  const a = srcs.find((s) => clusterNode(parseInetAddr(s)!, 0xdeadbeef, 2) === 0)!;
  const b = srcs.find((s) => clusterNode(parseInetAddr(s)!, 0xdeadbeef, 2) === 1)!;
  const node1 = cfg('--cluster-total-nodes 2 --cluster-local-node 1 --cluster-hash-seed 0xdeadbeef');
  it('hashes the original source of the connection, or of its master', () => {
    expect(run(clusterMatch, node1, tracked(conn(a))).matched).toBe(true);
    expect(run(clusterMatch, node1, tracked(conn(b))).matched).toBe(false);
    const child = conn(b);
    child.master = conn(a);
    expect(run(clusterMatch, node1, tracked(child)).matched).toBe(true);
  });
  it('no connection: no match, even inverted; a multicast frame to a unicast address becomes PACKET_HOST', () => {
    const inv = cfg('--cluster-total-nodes 2 ! --cluster-local-node 1 --cluster-hash-seed 0xdeadbeef');
    expect(run(clusterMatch, inv, tracked(null)).matched).toBe(false);
    const p = tracked(null, true);
    run(clusterMatch, node1, p);
    expect(p.pktType).toBe(PacketType.Host);
  });
  it('IPv6: only the first 32 bits of the address are hashed', () => {
    const x = parseInetAddr('2001:db8::1')!;
    const y = parseInetAddr('2001:db8:ffff::9')!;
    for (const n of [2, 3, 7, 32]) expect(clusterNode(x, 12345, n)).toBe(clusterNode(y, 12345, n));
  });
});

describe('srh: matching', () => {
  const cfg = (t: string) => srhMatch.parse(usesOf(srhMatch, t), parseCtx6());
  const segs = ['2001:db8:2::20', '2001:db8:b::1', '2001:db8:a::1'];
  const srh = (segsLeft: number, last = 2, tagBytes: [number, number] = [0, 0], type = 4) => {
    const b = new Uint8Array(8 + 16 * segs.length);
    b[1] = segs.length * 2;
    b[2] = type;
    b[3] = segsLeft;
    b[4] = last;
    b[6] = tagBytes[0];
    b[7] = tagBytes[1];
    segs.forEach((s, i) => parseInetAddr(s)!.write(b, 8 + 16 * i));
    return skb6(ipv6({ src: '2001:db8:99::1', dst: '2001:db8:2::20', ext: [{ type: 43, bytes: b }] }, udp({ sport: 1, dport: 2 })));
  };
  it('previous, next and last segment', () => {
    expect(run(srhMatch, cfg('--srh-psid 2001:db8:a::/48 --srh-nsid 2001:db8:2::20 --srh-lsid 2001:db8:2::20'), srh(1)).matched).toBe(true);
    expect(run(srhMatch, cfg('! --srh-psid 2001:db8:a::/48'), srh(1)).matched).toBe(false);
    // Segments Left = Last Entry: no previous segment; 0: no next one (even inverted).
    expect(run(srhMatch, cfg('! --srh-psid 2001:db8:a::/48'), srh(2)).matched).toBe(false);
    expect(run(srhMatch, cfg('! --srh-nsid ::/0'), srh(0)).matched).toBe(false);
    expect(run(srhMatch, cfg('--srh-nsid 2001:db8:b::1'), srh(2)).matched).toBe(true);
  });
  it('shared field values, the byte order of the tag, and what is not an SRH', () => {
    expect(run(srhMatch, cfg('--srh-segs-left-gt 0 --srh-segs-left-lt 2'), srh(1)).matched).toBe(false);
    expect(run(srhMatch, cfg('--srh-tag 0x1234'), srh(1, 2, [0x34, 0x12])).matched).toBe(true);
    expect(run(srhMatch, cfg('--srh-tag 0x1234'), srh(1, 2, [0x12, 0x34])).matched).toBe(false);
    expect(run(srhMatch, cfg(''), srh(3))).toEqual({ matched: false, hotdrop: false });
    expect(run(srhMatch, cfg(''), srh(1, 2, [0, 0], 2))).toEqual({ matched: false, hotdrop: false });
    expect(run(srhMatch, cfg('--srh-last-entry-eq 2 ! --srh-next-hdr 6 --srh-hdr-len-eq 6'), srh(1)).matched).toBe(true);
  });
});
