import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ethernet, fragHeader, icmp, ipv4, ipv6, raw, tcp, udp } from '../../packet/build.js';
import { Hook } from '../types.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';
import { bpfMatch, classicBpfProblem, parseBytecode, type BpfConfig } from './bpf.js';
import { checkCtx, dev, params, parseCtx, parseError, roundTrip, run, skb6, skbOf, usesOf } from './test-util.js';

/** Recorded with iptables-restore and iptables-save 1.8.9 (nf_tables) on Linux 6.18. */
const ROWS: ReadonlyArray<readonly [string, string]> = [
  ['--bytecode "1,6 0 0 1"', '--bytecode "1,6 0 0 1"'],
  ['--bytecode "1,6 0 0 1,"', '--bytecode "1,6 0 0 1"'],
  ['--bytecode " 1, 6 0 0 1"', '--bytecode "1,6 0 0 1"'],
  ['--bytecode "+1,6 0 0 1"', '--bytecode "1,6 0 0 1"'],
  ['--bytecode "1,6 0 0 -1"', '--bytecode "1,6 0 0 4294967295"'],
  ['--bytecode "1,6 0 0 4294967296"', '--bytecode "1,6 0 0 0"'],
  ['--bytecode "1,6 0 0 99999999999999999999"', '--bytecode "1,6 0 0 4294967295"'],
  ['--bytecode "1,6 0 0 -99999999999999999999"', '--bytecode "1,6 0 0 4294967295"'],
  ['--bytecode "1,65542 0 0 1"', '--bytecode "1,6 0 0 1"'],
  ['--bytecode "1,6 256 0 1"', '--bytecode "1,6 0 0 1"'],
  ['--bytecode "1,6 -1 0 1"', '--bytecode "1,6 255 0 1"'],
  ['--bytecode "1,6 0 0 1junk"', '--bytecode "1,6 0 0 1"'],
  ['--bytecode "1,6 0 0 +5"', '--bytecode "1,6 0 0 5"'],
  ['--bytecode "2,6 0 0 1junk,6 0 0 0"', '--bytecode "2,6 0 0 1,6 0 0 0"'],
  ['--bytecode "3,6 0 0 1 , 6 0 0 2 ,6 0 0 3"', '--bytecode "3,6 0 0 1,6 0 0 2,6 0 0 3"'],
  ['--bytecode "1,6\t0 0 1"', '--bytecode "1,6 0 0 1"'],
];

const BAD: ReadonlyArray<readonly [string, string]> = [
  ['--bytecode "2,6 0 0 1"', 'bpf: parsed program length is less than the encoded length parameter'],
  ['--bytecode "65,6 0 0 1"', 'bpf: number of instructions exceeds maximum'],
  ['--bytecode "0,6 0 0 1"', 'bpf: illegal zero length program'],
  ['--bytecode "1,6 0 0 1,6 0 0 1"', 'bpf: real program length exceeds the encoded length parameter'],
  ['--bytecode "1 ,6 0 0 1"', 'bpf: error parsing program length'],
  ['--bytecode "1,6 0 0 1,,"', 'bpf: real program length exceeds the encoded length parameter'],
  ['--bytecode "1, 6,0,0,1"', 'bpf: error at instr 0'],
  ['--bytecode "1,0x6 0 0 1"', 'bpf: error at instr 0'],
  ['--bytecode "1,6 0 0 1" --bytecode "1,6 0 0 0"', 'bpf: option "--bytecode" can only be used once.'],
  ['! --bytecode "1,6 0 0 1"', 'bpf: option "--bytecode" cannot be inverted.'],
  ['', 'bpf: one of --bytecode or --pinned is required'],
];

/** Programs the kernel refused (RULE_APPEND failed (Invalid argument)) or took. */
const CHECKS: ReadonlyArray<readonly [string, RegExp | null]> = [
  ['1,0 0 0 1', /instruction 0 \(0 0 0 1\) is the last and not a return/],
  ['2,21 1 0 5,6 0 0 1', /instruction 0 .* jumps past/],
  ['2,52 0 0 0,6 0 0 1', /divides by the constant 0/],
  ['3,96 0 0 0,2 0 0 0,6 0 0 1', /reads scratch cell M\[0\] before/],
  ['2,32 0 0 4294963201,6 0 0 1', /ancillary data SKF_AD_OFF\+1/],
  ['2,32 0 0 4294963264,6 0 0 1', /ancillary data SKF_AD_OFF\+64/],
  ['2,100 0 0 32,6 0 0 1', /shifts by 32/],
  ['2,5 0 0 1,6 0 0 1', /jumps past/],
  ['2,12 0 0 0,6 0 0 1', null],
  ['2,5 0 0 0,6 0 0 1', null],
  ['2,32 0 0 4294963200,6 0 0 1', null],
  ['1,22 0 0 0', null],
  ['2,6 0 0 1,22 0 0 0', null],
  ['3,2 0 0 15,97 0 0 15,22 0 0 0', null],
  ['2,2 0 0 16,6 0 0 1', /M\[16\]/],
  ['2,200 0 0 0,6 0 0 1', /not a classic BPF instruction/],
];

/** tcpdump -y RAW -ddd (libpcap 1.10): the programs of the golden scenario `bpf`. */
const TCP22 =
  '19,48 0 0 0,84 0 0 240,21 0 4 96,48 0 0 6,21 0 13 6,40 0 0 42,21 10 11 22,48 0 0 0,84 0 0 240,21 0 8 64,48 0 0 9,21 0 6 6,40 0 0 6,69 4 0 8191,177 0 0 0,72 0 0 2,21 0 1 22,6 0 0 65535,6 0 0 0';
const ICMP = '7,48 0 0 0,84 0 0 240,21 0 3 64,48 0 0 9,21 0 1 1,6 0 0 65535,6 0 0 0';

const cfg = (t: string): BpfConfig => bpfMatch.parse(usesOf(bpfMatch, t), parseCtx());
const prog = (bc: string): BpfConfig => cfg(`--bytecode "${bc}"`);
const FW = { src: '203.0.113.1', dst: '198.51.100.1' };
/** SKF_AD_OFF, SKF_NET_OFF and SKF_LL_OFF as k. */
const AD = 4294963200;
const NET = 4293918720;
const LL = 4292870144;

describe('bpf', () => {
  it.each(ROWS)('save %s', (i, s) => expect(roundTrip(bpfMatch, i)).toBe(s));
  it.each(BAD)('refuse %s', (i, e) => expect(parseError(bpfMatch, i)).toBe(e));
  it('refuses --object-pinned, saying why and what to do instead', () => {
    expect(parseError(bpfMatch, '--object-pinned /sys/fs/bpf/prog')).toMatch(/runs no eBPF programs: give the program as classic BPF with --bytecode/);
    expect(parseError(bpfMatch, '--bytecode "1,6 0 0 1" --object-pinned /x')).toMatch(/--object-pinned \/x/);
  });
  it.each(CHECKS)('the kernel check of %s', (bc, why) => {
    const problem = classicBpfProblem(parseBytecode(bc));
    if (why) expect(problem).toMatch(why);
    else expect(problem).toBeUndefined();
    if (why) expect(() => bpfMatch.check!(prog(bc), checkCtx(2))).toThrow(/Invalid argument/);
  });

  it('runs tcpdump programs on IPv4 and IPv6', () => {
    const ssh = skbOf(ipv4(FW, tcp({ sport: 4000, dport: 22, flags: 'S' })));
    const web = skbOf(ipv4(FW, tcp({ sport: 4000, dport: 80, flags: 'S' })));
    const ping = skbOf(ipv4(FW, icmp({ type: 8 })));
    expect(run(bpfMatch, prog(TCP22), ssh).matched).toBe(true);
    expect(run(bpfMatch, prog(TCP22), web).matched).toBe(false);
    expect(run(bpfMatch, prog(TCP22), ping).matched).toBe(false);
    expect(run(bpfMatch, prog(ICMP), ping).matched).toBe(true);
    const ssh6 = skb6(ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }, tcp({ sport: 4000, dport: 22, flags: 'S' })));
    expect(run(bpfMatch, prog(TCP22), ssh6).matched).toBe(true);
    // A later IPv4 fragment has no ports (tcpdump's jset 0x1fff).
    const frag = skbOf(ipv4({ ...FW, fragoff: 8 }, tcp({ sport: 4000, dport: 22, flags: 'S' })));
    expect(run(bpfMatch, prog(TCP22), frag).matched).toBe(false);
  });

  it('ends with 0 on a load outside the packet, and hot-drops in bytes the capture cut off', () => {
    const tiny = skbOf(ipv4(FW, raw(253, Uint8Array.of(1, 2, 3, 4)))); // 24 bytes
    expect(run(bpfMatch, prog('2,32 0 0 20,22 0 0 0'), tiny).matched).toBe(true);
    expect(run(bpfMatch, prog('2,32 0 0 21,6 0 0 1'), tiny)).toEqual({ matched: false, hotdrop: false });
    expect(run(bpfMatch, prog('3,1 0 0 23,80 0 0 0,6 0 0 1'), tiny).matched).toBe(true); // ldb [x+0] at 23
    expect(run(bpfMatch, prog('3,1 0 0 24,80 0 0 0,6 0 0 1'), tiny).matched).toBe(false);
    // SKF_NET_OFF reads from the network header.
    expect(run(bpfMatch, prog(`4,48 0 0 ${NET + 9},21 0 1 253,6 0 0 1,6 0 0 0`), tiny).matched).toBe(true);
    const cut = skbOf(ipv4(FW, raw(253, new Uint8Array(40))).slice(0, 30));
    expect(run(bpfMatch, prog('2,48 0 0 40,6 0 0 1'), cut)).toEqual({ matched: false, hotdrop: true });
  });

  it('reads the link-layer header from SKF_LL_OFF when the packet has one', () => {
    const ip = ipv4(FW, icmp({ type: 8 }));
    const frame = ethernet({ src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01', ethertype: 0x0800 }, ip);
    const ethType = `4,40 0 0 ${LL + 12},21 0 1 2048,6 0 0 1,6 0 0 0`;
    expect(run(bpfMatch, prog(ethType), skbOf(ip, frame.subarray(0, 14))).matched).toBe(true);
    expect(run(bpfMatch, prog(ethType), skbOf(ip)).matched).toBe(false);
    // The frame goes on with the IP header at offset 14.
    expect(run(bpfMatch, prog(`4,48 0 0 ${LL + 14},21 0 1 69,6 0 0 1,6 0 0 0`), skbOf(ip, frame.subarray(0, 14))).matched).toBe(true);
  });

  it('computes as the kernel: 32-bit arithmetic, shifts by X mod 32, division by X = 0 ends with 0', () => {
    const p = skbOf(ipv4(FW, icmp({ type: 8 })));
    // A = 0xffffffff + 2 = 1
    expect(run(bpfMatch, prog('3,0 0 0 4294967295,4 0 0 2,22 0 0 0'), p).matched).toBe(true);
    // A = 1 << (33 & 31) = 2; jeq 2
    expect(run(bpfMatch, prog('6,1 0 0 33,0 0 0 1,108 0 0 0,21 0 1 2,6 0 0 1,6 0 0 0'), p).matched).toBe(true);
    // A / X with X = 0 returns 0 although the next instruction returns 1.
    expect(run(bpfMatch, prog('4,0 0 0 7,60 0 0 0,6 0 0 1,6 0 0 1'), p).matched).toBe(false);
    // neg, mod, scratch cells, txa/tax
    expect(run(bpfMatch, prog('7,0 0 0 1,132 0 0 0,2 0 0 3,0 0 0 0,96 0 0 3,21 0 1 4294967295,6 0 0 1'), p).matched).toBe(true);
    expect(run(bpfMatch, prog('4,0 0 0 10,148 0 0 4,21 0 1 2,6 0 0 1'), p).matched).toBe(true);
    // len is the IP packet's length (28)
    expect(run(bpfMatch, prog('4,128 0 0 0,21 0 1 28,6 0 0 1,6 0 0 0'), p).matched).toBe(true);
    // ldx 4*([0]&0xf) = 20
    expect(run(bpfMatch, prog('4,177 0 0 0,135 0 0 0,21 0 1 20,6 0 0 1'), p).matched).toBe(true);
  });

  it('reads the ancillary data as the kernel does in each hook', () => {
    const p = skbOf(ipv4(FW, icmp({ type: 8 })));
    p.mark = 0x42;
    const eth0 = dev('eth0', 2);
    const eth1 = dev('eth1', 3);
    const is = (anc: number, v: number): BpfConfig => prog(`4,32 0 0 ${AD + anc},21 0 1 ${v},6 0 0 1,6 0 0 0`);
    const pre = params(Hook.PreRouting, { inDev: eth0 });
    expect(run(bpfMatch, is(0, 0x800), p, pre).matched).toBe(true);
    expect(run(bpfMatch, is(4, 0), p, pre).matched).toBe(true);
    expect(run(bpfMatch, is(8, 2), p, pre).matched).toBe(true);
    expect(run(bpfMatch, is(28, 1), p, pre).matched).toBe(true);
    expect(run(bpfMatch, is(20, 0x42), p, pre).matched).toBe(true);
    expect(run(bpfMatch, is(52, 28), p, pre).matched).toBe(true); // payload offset: 20 + ICMP's 8
    expect(run(bpfMatch, is(8, 3), p, params(Hook.PostRouting, { inDev: eth0, outDev: eth1 })).matched).toBe(true);
    expect(run(bpfMatch, is(8, 2), p, params(Hook.Forward, { inDev: eth0, outDev: eth1 })).matched).toBe(true);
    // OUTPUT: no skb->dev, so the program ends there returning A (7 here, then 0).
    const out = params(Hook.LocalOut, { outDev: eth0 });
    expect(run(bpfMatch, prog(`3,0 0 0 7,32 0 0 ${AD + 8},6 0 0 0`), p, out).matched).toBe(true);
    expect(run(bpfMatch, prog(`3,32 0 0 ${AD + 8},22 0 0 0,6 0 0 0`), p, out).matched).toBe(false);
    for (const zero of [24, 32, 36, 44, 48, 60])
      expect(run(bpfMatch, prog(`2,32 0 0 ${AD + zero},22 0 0 0`), p, pre).matched, `SKF_AD_OFF+${zero}`).toBe(false);
    // A ^= X
    expect(run(bpfMatch, prog(`6,0 0 0 6,1 0 0 3,32 0 0 ${AD + 40},21 0 1 5,6 0 0 1,6 0 0 0`), p, pre).matched).toBe(true);
  });

  it('finds the payload offset past TCP options and IPv6 extension headers', () => {
    const is = (v: number): BpfConfig => prog(`4,32 0 0 ${AD + 52},21 0 1 ${v},6 0 0 1,6 0 0 0`);
    const t = skbOf(ipv4(FW, tcp({ sport: 1, dport: 2, flags: 'S', options: new Uint8Array(12) })));
    expect(run(bpfMatch, is(52), t).matched).toBe(true);
    const u6 = skb6(ipv6({ src: '2001:db8::1', dst: '2001:db8::2', ext: [fragHeader(0, true, 1)] }, udp({ sport: 1, dport: 2 })));
    expect(run(bpfMatch, is(56), u6).matched).toBe(true);
    const later6 = skb6(ipv6({ src: '2001:db8::1', dst: '2001:db8::2', ext: [fragHeader(16, false, 1)] }, udp({ sport: 1, dport: 2 })));
    expect(run(bpfMatch, is(48), later6).matched).toBe(true);
  });
});

/** The rows above against the real iptables-restore and iptables-save, when this machine can run them. */
function liveUnavailable(): string {
  if (process.getuid?.() !== 0) return 'it needs root (network namespaces and iptables-restore)';
  const v = spawnSync('iptables-restore', ['--version'], { encoding: 'utf8' });
  if (v.status !== 0 || !/v1\.8\.9 \(nf_tables\)/.test(v.stdout)) return 'it needs iptables 1.8.9 (nf_tables)';
  const ns = `cofwbpf${process.pid}`;
  if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) return 'network namespaces cannot be made here';
  spawnSync('ip', ['netns', 'del', ns]);
  return '';
}

describe('bpf against iptables-restore in a network namespace', () => {
  const why = liveUnavailable();
  it.skipIf(why !== '')('loads, refuses and saves as iptables 1.8.9 and the kernel do', () => {
    const ns = `cofwbpf${process.pid}`;
    spawnSync('ip', ['netns', 'add', ns]);
    try {
      const cases = [...ROWS.map((r) => r[0]), ...BAD.map((r) => r[0]).filter((t) => t !== ''), ...CHECKS.map((c) => `--bytecode "${c[0]}"`)];
      for (const opts of cases) {
        const file = `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m bpf ${opts}\nCOMMIT\n`;
        const real = spawnSync('ip', ['netns', 'exec', ns, 'iptables-restore'], { input: file });
        const saved = spawnSync('ip', ['netns', 'exec', ns, 'iptables-save'], { encoding: 'utf8' }).stdout;
        let mine: string;
        try {
          mine = saveRuleset(loadRuleset(file, 'bpf.rules'));
        } catch {
          mine = 'refused';
        }
        if (real.status === 0) {
          const rule = saved.split('\n').find((l) => l.startsWith('-A INPUT'));
          expect(mine, opts).toContain(rule);
        } else expect(mine, opts).toBe('refused');
        spawnSync('ip', ['netns', 'exec', ns, 'iptables', '-F']);
      }
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  });
  if (why) it.skip(`live: ${why}`, () => {});
});
