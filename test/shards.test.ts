/**
 * Past one machine: `cofw replay --shard I/N --shard-dir DIR` on each shard
 * and `cofw merge DIR...` give what one replay gives, byte for byte (the
 * captures, counters of both families, conntrack, console, the JSON, HTML,
 * text and JUnit reports), but for the machine's own statistics (context
 * switches, messages), which describe the run. Shard directories of
 * another run, missing, duplicated or unfinished shards, other captures,
 * a rule set with shared state and traffic that cannot be sharded exactly
 * are refused with a message that says which and why.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writePcapFile } from '../src/capture/pcap-write.js';
import { ethernet, ipv4, raw, udp } from '../src/packet/build.js';
import { buildCli, removeCliBuild } from './cli-build.js';
import { EXPECT, MACHINE, RULES, RULES6, mixedFrames } from './mixed-fixture.js';
import { ShardError, ShardSet } from '../src/workers/shard-dir.js';
import { BATCH } from '../src/workers/sharded.js';

let dir: string;
let bin: string;

// Each test runs a few cofw processes: slow on a busy machine.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

beforeAll(async () => {
  bin = await buildCli();
  dir = mkdtempSync(join(tmpdir(), 'cofw-shards-'));
  writeFileSync(join(dir, 'machine.yaml'), MACHINE);
  writeFileSync(join(dir, 'rules.v4'), RULES);
  writeFileSync(join(dir, 'rules.v6'), RULES6);
  writeFileSync(join(dir, 'expect.yaml'), EXPECT);
  writePcapFile(join(dir, 'mixed.pcap'), mixedFrames(120));
  writePcapFile(join(dir, 'other.pcap'), mixedFrames(30));
});

afterAll(() => {
  removeCliBuild();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cofw = (...args: string[]): { code: number; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

/** Every output of a replay (or merge) into `out/`. */
const outputs = (out: string): string[] => {
  const o = join(dir, out);
  mkdirSync(o, { recursive: true });
  return [
    ...['-a', 'accepted.pcapng', '-d', 'dropped.pcapng', '-s', 'save.v4', '--save6', 'save.v6', '--conntrack', 'conntrack', '--console', 'console'],
    ...['--json', 'report.json', '--report', 'report.html', '--junit', 'junit.xml'],
  ].map((a) => (a.startsWith('-') ? a : join(o, a)));
};
const files = (out: string): Map<string, Buffer> => new Map(readdirSync(join(dir, out)).map((f) => [f, readFileSync(join(dir, out, f))]));

/** The machine's statistics (they describe the run, not the traffic), and the JUnit time stamps. */
const runFacts = (name: string, b: Buffer): string =>
  b
    .toString('utf8')
    .replace(/Machine: \d+ context switches, \d+ messages to the guest, \d+ to the host, \d+ bytes through the passage page/g, 'Machine: ...')
    .replace(/Machine: [\d\u202f,]+ context switches, [\d\u202f,]+ bytes through the passage page/g, 'Machine: ...')
    .replace(/"(switches|messagesToGuest|messagesToHost|bytesThroughPage)": \d+/g, '"$1": 0')
    .replace(name === 'junit.xml' ? /(timestamp|time)="[^"]*"/g : /$^/, '$1=""');

const inputs = (rules = 'rules.v4', capture = 'mixed.pcap'): string[] => [capture, '-r', rules, '-6', 'rules.v6', '-m', 'machine.yaml'];

/** Runs shard I of N into `prefix-I` for each I given; returns the directories. */
function shards(prefix: string, n: number, which: number[] = [...Array(n).keys()], ...more: string[]): string[] {
  return which.map((i) => {
    const d = `${prefix}-${i}`;
    const r = cofw('replay', ...inputs(), '--shard', `${i}/${n}`, '--shard-dir', d, ...more);
    expect(r.stderr).toBe(
      `cofw: --shard ${i}/${n}: ${r.stderr.match(/(\d+) frames read/)?.[1]} frames read; this shard's results are in ${d} (merge every shard's directory with \`cofw merge\`)\n`,
    );
    expect(r.code, r.stderr).toBe(0);
    return d;
  });
}

describe('shard runs and their merge', () => {
  let one: { code: number; stdout: string; stderr: string };
  beforeAll(() => {
    one = cofw('replay', ...inputs(), ...outputs('one'), '--expect', 'expect.yaml', '-q');
  });

  it('N ways and merged give what one replay gives, byte for byte', () => {
    for (const n of [3]) {
      const dirs = shards(`s${n}`, n);
      // In any order.
      const m = cofw('merge', ...dirs.reverse(), ...outputs(`merged${n}`), '--expect', 'expect.yaml', '-q');
      expect(m.stderr).toBe(one.stderr);
      expect(m.code).toBe(one.code);
      expect(m.stdout.replace(/Machine: .*/, '')).toBe(one.stdout.replace(/Machine: .*/, ''));
      const a = files('one');
      const b = files(`merged${n}`);
      expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
      expect(a.size).toBe(9);
      for (const [name, x] of a) {
        const y = b.get(name)!;
        if (/\.(pcapng|v4|v6)$|^conntrack$|^console$/.test(name)) expect(y.equals(x), `${n} shards: ${name}`).toBe(true);
        else expect(runFacts(name, y), `${n} shards: ${name}`).toBe(runFacts(name, x));
      }
    }
    // The capture is varied enough to say something.
    const json = JSON.parse(files('one').get('report.json')!.toString()) as { fates: Record<string, number>; framesIn: number };
    expect(json.framesIn).toBeGreaterThan(2000);
    for (const k of ['forwarded', 'delivered', 'sent', 'droppedByRule', 'droppedByPolicy', 'generated', 'bridged']) expect(json.fates[k], k).toBeGreaterThan(0);
  });

  it('refuses missing, duplicated, unfinished and foreign shard directories, saying which', () => {
    // The three shards of the first test, copied.
    const [a, b, c] = ['s3-0', 's3-1', 's3-2'].map((d) => {
      cpSync(join(dir, d), join(dir, `r${d}`), { recursive: true });
      return `r${d}`;
    });
    const open = (...dirs: string[]): string => {
      try {
        void ShardSet.open(
          dirs.map((d) => join(dir, d)),
          BATCH,
        ).close();
        return 'opened';
      } catch (e) {
        expect(e).toBeInstanceOf(ShardError);
        return (e as Error).message.replaceAll(`${dir}/`, '');
      }
    };
    expect(open(a!, c!)).toBe('shard 1/3 missing: a merge needs the directories of all 3 shards (0 to 2)');
    expect(open(a!, b!, b!, c!)).toBe(`${b} and ${b} are both shard 1/3: give each shard's directory once`);
    const [x] = shards('d2', 2, [0]);
    expect(open(a!, b!, c!, x!)).toBe(`${x} is shard 0/2 but ${a} is shard 0/3: the shards of one run share their N`);
    expect(open('nowhere')).toBe('nowhere: no such directory (give the --shard-dir of every shard)');
    mkdirSync(join(dir, 'empty'));
    expect(open('empty')).toMatch(/^empty: not a shard directory \(no shard\.json;/);
    const m = JSON.parse(readFileSync(join(dir, b!, 'shard.json'), 'utf8')) as { version: number };
    writeFileSync(join(dir, b!, 'shard.json'), JSON.stringify({ ...m, version: 99 }));
    expect(open(a!, b!, c!)).toBe(`${b}/shard.json: a shard of format version 99; this cofw merges version 2: run the shards and the merge with one cofw`);
    writeFileSync(join(dir, b!, 'shard.json'), JSON.stringify(m));
    expect(open(a!, b!, c!)).toBe('opened');
    // Records cut short.
    const rec = join(dir, c!, 'records.bin');
    writeFileSync(rec, readFileSync(rec).subarray(0, 5000));
    const short = cofw('merge', a!, b!, c!);
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/^cofw: rs3-2[/\\]records\.bin: (ends before|batch \d+ is cut short)/);
    // A shard whose run did not finish (killed, or running again).
    rmSync(join(dir, c!, 'shard.json'));
    const cut = cofw('merge', a!, b!, c!);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toBe(`cofw: ${c}: the shard did not finish (no shard.json): run its \`cofw replay --shard\` again\n`);
  });

  it('refuses shards of other rules or other captures, and a merge given another capture', () => {
    const a = 'd2-0';
    writeFileSync(join(dir, 'rules-b.v4'), RULES.replace('--dport 443', '--dport 8443'));
    const other = cofw('replay', ...inputs('rules-b.v4'), '--shard', '1/2', '--shard-dir', 'd2-1b');
    expect(other.code).toBe(0);
    const m = cofw('merge', a, 'd2-1b');
    expect(m.code).toBe(1);
    expect(m.stderr).toBe('cofw: d2-1b (shard 1/2) was run on other inputs than d2-0 (shard 0/2): the iptables rule file (rules-b.v4 against rules.v4)\n');
    const cap = cofw('replay', ...inputs('rules.v4', 'other.pcap'), '--shard', '1/2', '--shard-dir', 'd2-1c');
    expect(cap.code).toBe(0);
    expect(cofw('merge', a, 'd2-1c').stderr).toMatch(
      /^cofw: d2-1c \(shard 1\/2\) was run on other inputs than d2-0 \(shard 0\/2\): capture 1 \(other\.pcap, \d+ bytes, against mixed\.pcap, \d+ bytes: their contents differ\)\n$/,
    );
    // Two shards of this capture hold fragments at the end (IPv4 on one, IPv6 on the other): only one guest's end may say so.
    const [b] = shards('d2', 2, [1]);
    const ends = cofw('merge', a, b!);
    expect(ends.code).toBe(1);
    expect(ends.stderr).toBe(
      'cofw: the shards cannot be merged exactly: the guests of two workers held fragments at the end; replay the capture on one machine (without --shard)\n',
    );
    const three = ['s3-0', 's3-1', 's3-2'];
    const moved = cofw('merge', ...three, '-c', 'other.pcap');
    expect(moved.code).toBe(1);
    expect(moved.stderr).toMatch(
      /^cofw: other\.pcap is not the capture the shards read as capture 1 \(mixed\.pcap: \d+ bytes, SHA-256 [0-9a-f]{64}; this one: /,
    );
    // The same capture under another name is fine.
    writeFileSync(join(dir, 'copy.pcap'), readFileSync(join(dir, 'mixed.pcap')));
    const copy = cofw('merge', ...three, '-c', 'copy.pcap', '-q', '-s', 'copy.v4');
    expect(copy.stderr).toMatch(/^cofw: note: copy\.pcap record \d+: its timestamp .* goes back/);
    expect(copy.code).toBe(0);
    expect(readFileSync(join(dir, 'copy.v4'))).toEqual(readFileSync(join(dir, 'one', 'save.v4')));
  });

  it('refuses to shard a rule set with state shared across connections, and output options', () => {
    writeFileSync(join(dir, 'limit.v4'), RULES.replace('-A logdrop -p tcp --dport 25 -j LOG', '-A logdrop -p tcp --dport 25 -m limit --limit 3/min -j LOG'));
    const r = cofw('replay', ...inputs('limit.v4'), '--shard', '0/2', '--shard-dir', 'lim-0');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'cofw: --shard 0/2: this replay cannot be sharded: filter/logdrop rule 1: -m limit keeps one token bucket per rule for every packet that reaches it; sharding by connection would not give the same results; replay it on one machine (without --shard)\n',
    );
    const outs = cofw('replay', ...inputs(), '--shard', '0/2', '--shard-dir', 'o-0', '-s', 'x.v4', '--json', 'x.json');
    expect(outs.code).toBe(2);
    expect(outs.stderr).toMatch(/--shard writes only its shard's directory: give --save, --json to `cofw merge`/);
    expect(cofw('replay', ...inputs(), '--shard', '0/2').stderr).toMatch(/--shard needs --shard-dir DIR/);
    expect(cofw('replay', ...inputs(), '--shard', '2/2', '--shard-dir', 'x').stderr).toMatch(/I must be from 0 to 1/);
    expect(cofw('replay', ...inputs(), '--shard-dir', 'x').stderr).toMatch(/--shard-dir needs --shard I\/N/);
  });

  it('says when the traffic cannot be sharded exactly, and the merge refuses it', () => {
    // Fragments of two address pairs that hash to different shards.
    const frames: Array<{ tsNs: bigint; data: Uint8Array }> = [];
    let t = 1_700_000_000_000_000_000n;
    const wire = { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' };
    for (let k = 0; k < 8; k++) {
      const payload = udp({ sport: 7000, dport: 53, payload: new Uint8Array(64).fill(3) });
      frames.push({
        tsNs: (t += 1000n),
        data: ethernet(wire, ipv4({ src: 0x64400001 + k, dst: 0xc6336401, id: k, df: false, mf: true }, raw(17, payload.bytes.subarray(0, 40)))),
      });
    }
    writePcapFile(join(dir, 'frags.pcap'), frames);
    const run = (i: number): { code: number; stderr: string } =>
      cofw('replay', ...inputs('rules.v4', 'frags.pcap'), '--shard', `${i}/2`, '--shard-dir', `f-${i}`);
    const r0 = run(0);
    expect(r0.code).toBe(1);
    expect(r0.stderr).toBe(
      'cofw: --shard 0/2: this capture cannot be sharded exactly: IPv4 fragments reached more than one worker (fragment memory and ipfrag_max_dist span every datagram); `cofw merge` will refuse the shards: replay it on one machine (without --shard)\n',
    );
    run(1);
    const m = cofw('merge', 'f-0', 'f-1');
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(
      /^cofw: f-0: shard 0\/2 found the run cannot be sharded exactly: IPv4 fragments reached more than one worker .*; replay the capture on one machine \(without --shard\)\n$/,
    );
  });
});
