/**
 * The command line as a user runs it: `main(argv)` with stdout and stderr
 * captured, on the sample scenario (pcaps/sample.pcap, rules/sample.v4,
 * machines/sample.yaml), whose counters the real kernel recorded in
 * test/golden/sample/kernel.save. The captures it writes are read back by
 * cofw's own reader and, when it is installed, by tshark.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openCaptures, type CaptureFrame } from '../src/capture/index.js';
import { writePcapFile } from '../src/capture/pcap-write.js';
import { main } from '../src/cli/main.js';
import { ethernet, ipv4, udp } from '../src/packet/build.js';
import type { ReplayResult } from '../src/replay.js';
import { expectValidReport } from './report-schema.js';
import { cofw } from './cli-run.js';

const root = join(import.meta.dirname, '..');
const SAMPLE = join(root, 'pcaps/sample.pcap');
const RULES = join(root, 'rules/sample.v4');
const MACHINE = join(root, 'machines/sample.yaml');
const KERNEL = readFileSync(join(root, 'test/golden/sample/kernel.save'), 'utf8');
const GUEST_INTERFACES = ['eth0', 'eth1', 'lo'];

/** `s` as a regular expression that matches it literally. */
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The rule and chain lines of an iptables-save text, without comments. */
const saveLines = (text: string): string[] => text.split('\n').filter((l) => l && !l.startsWith('#'));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cofw-cli-'));
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function readFrames(path: string): Promise<CaptureFrame[]> {
  const got: CaptureFrame[] = [];
  for await (const f of openCaptures([path]).frames) got.push(f);
  return got;
}

describe('cofw check', () => {
  it('accepts a good rule file (exit 0)', async () => {
    const r = await cofw('check', RULES);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`${RULES}: OK (1 table, 21 rules)\n`);
    expect(r.err).toBe('');
  });

  it('refuses a bad one (exit 1), each error as cofw: file:line:col: message', async () => {
    const bad = join(dir, 'bad.v4');
    writeFileSync(bad, '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 99999 -j ACCEPT\n-A INPUT -m nosuch -j DROP\n-A FOO -j DROP\nCOMMIT\n');
    const r = await cofw('check', bad);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    const lines = r.err.trimEnd().split('\n');
    expect(lines.at(-1)).toBe(`cofw: 3 errors in ${bad}`);
    const errors = lines.slice(0, -1);
    expect(errors).toHaveLength(3);
    for (const l of errors) expect(l).toMatch(new RegExp(`^cofw: ${esc(bad)}:\\d+:\\d+: \\S`));
    expect(errors.map((l) => /:(\d+):\d+: /.exec(l)![1])).toEqual(['3', '4', '5']);
    expect(errors[1]).toContain('nosuch');
  });

  it('names a missing rule file (exit 1)', async () => {
    const r = await cofw('check', join(dir, 'missing.v4'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^cofw: .*missing\.v4: cannot read the rule file/);
  });
});

describe('cofw save', () => {
  it("prints the rules in the kernel's canonical form", async () => {
    const r = await cofw('save', RULES);
    expect(r.code).toBe(0);
    // The kernel's text with its counters zeroed.
    const zeroed = saveLines(KERNEL).map((l) => l.replace(/^\[\d+:\d+\] /, '').replace(/ \[\d+:\d+\]$/, ' [0:0]'));
    expect(saveLines(r.out)).toEqual(zeroed);
  });

  it('with -c prints the [packets:bytes] counters (all zero)', async () => {
    const r = await cofw('save', '-c', RULES);
    expect(r.code).toBe(0);
    expect(r.out).toContain('[0:0] -A INPUT -i lo -j ACCEPT');
  });
});

describe('cofw replay', () => {
  it("replays the sample: exit 0, the dropping rules in the report, the kernel's counters in --save", async () => {
    const save = join(dir, 'sample.save');
    const json = join(dir, 'sample.json');
    const r = await cofw('replay', SAMPLE, '--rules', RULES, '--machine', MACHINE, '--save', save, '--json', json);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^cofw replay of .*sample\.pcap\n/);
    expect(r.out).toMatch(/Frames in\s+224\n/);
    const dropping: Array<[string, string]> = [
      ['filter:log-drop:#2', '-A log-drop -j DROP'],
      ['filter:INPUT:#4', '-A INPUT -m pkttype --pkt-type broadcast -j DROP'],
      ['filter:blocklist:#1', '-A blocklist -s 185.220.101.0/24 -j DROP'],
      ['filter:lan-out:#1', '-A lan-out -p tcp -m multiport --dports 25,445 -j REJECT --reject-with tcp-reset'],
      ['filter:INPUT:#7', '-A INPUT -p udp -j REJECT --reject-with icmp-port-unreachable'],
      ['filter:FORWARD:policy', '-P FORWARD DROP'],
      ['filter:INPUT:policy', '-P INPUT DROP'],
    ];
    for (const [where, text] of dropping) expect(r.out).toMatch(new RegExp(`\\d+\\s+\\d+  ${esc(where)}\\s+${esc(text)}\\n`));
    expect(saveLines(readFileSync(save, 'utf8'))).toEqual(saveLines(KERNEL));
    expectValidReport(readFileSync(json, 'utf8'));
    const report = JSON.parse(readFileSync(json, 'utf8')) as Omit<ReplayResult, 'ruleset'>;
    expect(report.framesIn).toBe(224);
    expect(report.save).toBe(readFileSync(save, 'utf8'));
  });

  it('without --rules or --rules6 is a usage error (exit 2)', async () => {
    const r = await cofw('replay', SAMPLE, '--machine', MACHINE);
    expect(r.code).toBe(2);
    expect(r.err).toContain('give a rule file: --rules FILE (iptables), --rules6 FILE (ip6tables), or both');
    expect(r.out).toBe('');
  });

  it('an unknown option is a usage error (exit 2)', async () => {
    const r = await cofw('replay', SAMPLE, '--rules', RULES, '--machine', MACHINE, '--no-such-option');
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown option '--no-such-option'");
    expect(r.out).toBe('');
  });

  it('an unknown command and bad option values are usage errors (exit 2)', async () => {
    expect((await cofw('replay-all', SAMPLE)).code).toBe(2);
    expect((await cofw('replay', SAMPLE, '--rules', RULES, '--top', 'many')).code).toBe(2);
    expect((await cofw('replay', SAMPLE, '--rules', RULES, '--out-format', 'json')).code).toBe(2);
    expect((await cofw('trace', SAMPLE, '--rules', RULES, '--frames', '0')).code).toBe(2);
    const split = await cofw('replay', SAMPLE, '--rules', RULES, '--split-by', 'rule');
    expect(split.code).toBe(2);
    expect(split.err).toContain('--split-by rule needs --dropped FILE or --split-dir DIR');
  });

  it('a missing capture is bad input (exit 1) and the message names its path', async () => {
    const missing = join(dir, 'no-such-capture.pcap');
    const r = await cofw('replay', missing, '--rules', RULES, '--machine', MACHINE);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^cofw: /);
    expect(r.err).toContain(missing);
    expect(r.out).toBe('');
  });

  it('a capture cut in the middle of a record exits 3 and still prints the report of what came before', async () => {
    const damaged = join(dir, 'damaged.pcap');
    copyFileSync(SAMPLE, damaged);
    // Record 122's header starts at byte 12618 (the reader's message says so): cut 7 bytes into its body.
    const frames = await readFrames(SAMPLE);
    const rec = frames[121]!;
    truncateSync(damaged, rec.offset + 16 + 7);
    expect(statSync(damaged).size).toBeLessThan(statSync(SAMPLE).size);
    const r = await cofw('replay', damaged, '--rules', RULES, '--machine', MACHINE);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/Frames in\s+121\n/);
    expect(r.out).toContain('Damaged input (what came before the damage was replayed):');
    expect(r.out).toMatch(new RegExp(`damaged\\.pcap: record 122 at byte ${rec.offset}\\b`));
    expect(r.out).toContain('Drops by rule and policy');
  });

  it('--split-by rule writes one capture per rule, policy and stack reason, next to --dropped', async () => {
    // The sample and a second capture with a frame whose IP checksum is wrong, merged by timestamp.
    const frames = await readFrames(SAMPLE);
    const pkt = ethernet(
      { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' },
      ipv4({ src: '203.0.113.77', dst: '198.51.100.1' }, udp({ sport: 999, dport: 161 })),
    );
    pkt[14 + 10]! ^= 0x55;
    const bad = join(dir, 'bad-csum.pcap');
    writePcapFile(bad, [{ tsNs: frames[10]!.tsNs + 1000n, data: pkt }]);
    const out = join(dir, 'split');
    const dropped = join(out, 'd.pcapng');
    const r1 = await cofw('replay', SAMPLE, bad, '--rules', RULES, '--machine', MACHINE, '--split-by', 'rule', '--split-dir', out, '--dropped', dropped);
    expect(r1.code).toBe(0);
    const files = readdirSync(out).sort();
    expect(files).toEqual(
      [
        'd.pcapng',
        'd-filter-FORWARD-policy.pcapng',
        'd-filter-INPUT-policy.pcapng',
        'd-filter-INPUT-rule4.pcapng',
        'd-filter-INPUT-rule6.pcapng',
        'd-filter-INPUT-rule7.pcapng',
        'd-filter-blocklist-rule1.pcapng',
        'd-filter-blocklist-rule2.pcapng',
        'd-filter-blocklist-rule3.pcapng',
        'd-filter-lan-out-rule1.pcapng',
        'd-filter-log-drop-rule2.pcapng',
        'd-stack-IP_CSUM.pcapng',
      ].sort(),
    );
    // Each file holds exactly its cause's packets; together, all of --dropped.
    const all = await readFrames(dropped);
    expect(all).toHaveLength(96);
    let total = 0;
    for (const f of files.filter((n) => n !== 'd.pcapng')) {
      const got = await readFrames(join(out, f));
      total += got.length;
      expect(got.length).toBeGreaterThan(0);
      expect(r1.out).toMatch(new RegExp(`\\s${got.length}  ${esc(join(out, f))}\\n`));
    }
    expect(total).toBe(all.length);
    expect((await readFrames(join(out, 'd-filter-INPUT-rule4.pcapng'))).length).toBe(16);
    expect((await readFrames(join(out, 'd-filter-FORWARD-policy.pcapng'))).length).toBe(5);
    const csum = await readFrames(join(out, 'd-stack-IP_CSUM.pcapng'));
    expect(csum.map((f) => Buffer.from(f.data))).toEqual([Buffer.from(pkt)]);
    expect(csum[0]!.ifName).toBe('eth0');
    expect(r1.out).toContain('Dropped packets by cause (11 captures)');
  });

  it("--split-by rule follows --dropped's folder, name and format", async () => {
    const out = mkdtempSync(join(tmpdir(), 'cofw-split-'));
    const dropped = join(out, 'drops.pcap');
    const r = await cofw('replay', SAMPLE, '--rules', RULES, '--machine', MACHINE, '--split-by', 'rule', '--dropped', dropped);
    expect(r.code).toBe(0);
    const files = readdirSync(out);
    expect(files).toContain('drops-filter-log-drop-rule2.pcap');
    expect(files.every((f) => f.endsWith('.pcap'))).toBe(true);
    const fr = await readFrames(join(out, 'drops-filter-log-drop-rule2.pcap'));
    expect(fr).toHaveLength(21);
    expect(readFileSync(join(out, 'drops-filter-log-drop-rule2.pcap')).readUInt32LE(0)).toBe(0xa1b2c3d4);
  });
});

describe('cofw trace', () => {
  it('-f 2 --format kernel prints the TRACE lines of frame 2 and its fate', async () => {
    const r = await cofw('trace', SAMPLE, '--rules', RULES, '--machine', MACHINE, '-f', '2', '--format', 'kernel');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(l).toMatch(/^TRACE: /);
    expect(lines[0]).toMatch(/^TRACE: filter:INPUT:rule:5 IN=eth0 OUT= MAC=\S+ SRC=\S+ DST=198\.51\.100\.1 .*PROTO=TCP .*DPT=22 /);
    expect(lines.map((l) => l.split(' ', 2)[1])).toEqual(['filter:INPUT:rule:5', 'filter:log-drop:rule:1', 'filter:log-drop:rule:2', 'frame=2']);
    expect(lines.at(-1)).toBe('TRACE: frame=2 dropped by rule filter:log-drop:rule:2');
  });

  it('says so when the frames are not in the capture', async () => {
    const r = await cofw('trace', SAMPLE, '--rules', RULES, '--machine', MACHINE, '-f', '1000-1002');
    expect(r.code).toBe(0);
    expect(r.out).toBe('no frame in 1000-1002 (the capture has 224 frames)\n');
  });

  it('-f 2 prints each rule frame 2 met, with its line in the rule file, whether it matched, the verdict and the fate', async () => {
    const r = await cofw('trace', SAMPLE, '--rules', RULES, '--machine', MACHINE, '-f', '2');
    expect(r.code).toBe(0);
    const rules = readFileSync(RULES, 'utf8').split('\n');
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('frame 2: tcp 203.0.113.2:47606 -> 198.51.100.1:22 [S] len 40, in on eth0');
    const met = lines.filter((l) => /^ {6}\S+ #\d+/.test(l));
    expect(met.map((l) => l.trim().split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'INPUT #1',
      'INPUT #2',
      'INPUT #3',
      'INPUT #4',
      'INPUT #5',
      'log-drop #1',
      'log-drop #2',
    ]);
    for (const l of met) {
      const m = /line (\d+)\s+(MATCH|no match)\s+(-A .*)$/.exec(l)!;
      expect(m, l).not.toBeNull();
      // The line named holds the rule (as written; the text is its canonical form).
      expect(rules[Number(m[1]) - 1]).toMatch(/^-A /);
      expect(rules[Number(m[1]) - 1]!.split(' ')[1]).toBe(m[3]!.split(' ')[1]);
    }
    expect(met.map((l) => /MATCH/.test(l))).toEqual([false, false, false, false, true, true, true]);
    expect(r.out).toContain('    verdict of filter: DROP (log-drop #2)\n');
    expect(r.out).toContain('  NAT: none\n');
    expect(lines.filter(Boolean).at(-1)).toBe('  fate: dropped by rule filter:log-drop:rule:2');
  });

  it("--match 'tcp and dport 22' traces the frames it matches; a bad expression is a usage error naming the place", async () => {
    const r = await cofw('trace', SAMPLE, '--rules', RULES, '--machine', MACHINE, '--match', 'tcp and dport 22 and src host 203.0.113.2');
    expect(r.code).toBe(0);
    const heads = r.out.split('\n').filter((l) => l.startsWith('frame '));
    expect(heads.length).toBeGreaterThan(0);
    for (const h of heads) expect(h).toMatch(/^frame \d+: tcp 203\.0\.113\.2:\d+ -> \S+:22 /);
    const bad = await cofw('trace', SAMPLE, '--rules', RULES, '--match', 'tcp and dport');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/"tcp and dport", at character 14: expected a port number after dport, found the end/);
    const none = await cofw('trace', SAMPLE, '--rules', RULES, '--machine', MACHINE, '--match', 'udp and port 9');
    expect(none).toMatchObject({ code: 0, out: 'no frame matches --match udp and port 9\n' });
    const two = await cofw('trace', SAMPLE, '--rules', RULES, '--machine', MACHINE, '--match', 'tcp', '-f', '1');
    expect(two.code).toBe(2);
    expect(two.err).toMatch(/one of them/);
  });
});

const tshark = spawnSync('tshark', ['-v'], { encoding: 'utf8' });
const hasTshark = !tshark.error && tshark.status === 0;
if (!hasTshark) console.warn('test/cli.test.ts: tshark is not on PATH; the end-to-end tests with tshark are skipped (install tshark to run them)');

/** tshark's fields of every frame of `file`, one array per frame. */
function fields(file: string, ...names: string[]): string[][] {
  const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=/t', ...names.flatMap((n) => ['-e', n])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tshark -r ${file} failed (${r.status}): ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

describe.skipIf(!hasTshark)(`end to end with tshark${hasTshark ? '' : ' (skipped: tshark is not on PATH)'}`, () => {
  let x: string;
  let y: string;
  let result: Omit<ReplayResult, 'ruleset'>;

  beforeAll(async () => {
    const out = mkdtempSync(join(tmpdir(), 'cofw-tshark-'));
    x = join(out, 'x.pcapng');
    y = join(out, 'y.pcapng');
    const json = join(out, 'r.json');
    const r = await cofw('replay', SAMPLE, '--rules', RULES, '--machine', MACHINE, '--dropped', x, '--accepted', y, '--json', json);
    expect(r.code).toBe(0);
    expectValidReport(readFileSync(json, 'utf8'));
    result = JSON.parse(readFileSync(json, 'utf8')) as Omit<ReplayResult, 'ruleset'>;
  });

  it("every dropped frame has a comment naming table, chain and rule (or the stack's reason)", () => {
    const rows = fields(x, 'frame.comment', 'frame.interface_name');
    const f = result.fates;
    expect(rows).toHaveLength(f.droppedByRule + f.droppedByPolicy + f.droppedByStack + f.generatedDropped + f.failPolicy);
    for (const [comment, ifName] of rows) {
      expect(comment).toMatch(/^(filter|raw|mangle|security)\/[^ ]+ (rule \d+: -A |policy: -P )|^stack: /);
      expect(GUEST_INTERFACES).toContain(ifName);
    }
    const seen = new Set(rows.map(([c]) => c));
    expect(seen).toContain('filter/INPUT rule 4: -A INPUT -m pkttype --pkt-type broadcast -j DROP');
    expect(seen).toContain('filter/FORWARD policy: -P FORWARD DROP');
    expect(seen).toContain('filter/log-drop rule 2: -A log-drop -j DROP');
  });

  it("the accepted capture names the guest's interfaces, and REJECT's replies carry their comment", () => {
    const rows = fields(y, 'frame.interface_name', 'frame.comment');
    for (const [ifName] of rows) expect(GUEST_INTERFACES).toContain(ifName);
    expect(new Set(rows.map(([n]) => n))).toEqual(new Set(['eth0', 'eth1']));
    const generated = rows.filter(([, c]) => c);
    expect(generated).toHaveLength(result.generated);
    expect(result.generated).toBe(21);
    for (const [, c] of generated)
      expect(c).toMatch(
        /^generated by netfilter for frame \d+ \(filter\/(INPUT|lan-out) rule \d+: -A .* -j REJECT --reject-with (icmp-port-unreachable|tcp-reset)\)$/,
      );
  });

  it('frame counts add up: dropped + accepted + bridged = frames in, with the generated ones in accepted', () => {
    const framesIn = fields(SAMPLE, 'frame.number').length;
    const dropped = fields(x, 'frame.number').length;
    const accepted = fields(y, 'frame.number').length;
    const f = result.fates;
    expect(framesIn).toBe(result.framesIn);
    expect(dropped + (accepted - result.generated) + f.bridged).toBe(framesIn);
    expect(accepted).toBe(f.forwarded + f.delivered + f.sent + f.generated);
    expect(dropped).toBe(f.droppedByRule + f.droppedByPolicy + f.droppedByStack + f.failPolicy + f.generatedDropped);
  });
});

it('the test captures exist', () => {
  for (const p of [SAMPLE, RULES, MACHINE]) expect(existsSync(p), basename(p)).toBe(true);
});

describe('replay --conntrack-expect', () => {
  it('writes the pending expectations of CT --helper connections as conntrack -L expect does (golden ct-helpers)', async () => {
    const g = join(root, 'test/golden/ct-helpers');
    const out = join(dir, 'expect.txt');
    const ct = join(dir, 'ct-helpers.txt');
    const r = await cofw(
      'replay',
      join(g, 'capture.pcap'),
      '--rules',
      join(g, 'rules.v4'),
      '--rules6',
      join(g, 'rules.v6'),
      '-m',
      join(g, 'machine.yaml'),
      '--conntrack-expect',
      out,
      '--conntrack',
      ct,
      '-q',
    );
    expect(r.code, r.err).toBe(0);
    const strip = (t: string): string[] =>
      t
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace(/^\d+ /, ''));
    const kernel = readFileSync(join(g, 'kernel.expect'), 'utf8') + readFileSync(join(g, 'kernel.expect6'), 'utf8');
    expect(strip(readFileSync(out, 'utf8')).sort()).toEqual(strip(kernel).sort());
    expect(readFileSync(ct, 'utf8')).toContain('sport=21 dport=40000 [ASSURED] mark=0 helper=ftp use=1');
  });
});
