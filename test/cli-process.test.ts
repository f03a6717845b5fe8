/**
 * The command line as its own process (test/cli-build.ts), for what only a
 * process shows: signals during a replay (the outputs written for the frames
 * replayed, marked partial; exit 130, 143, 129), standard input and named
 * pipes as captures, and a reader that closes the pipe early
 * (`cofw save big.v4 | head -1`).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCaptures } from '../src/capture/index.js';
import { writePcapFile } from '../src/capture/pcap-write.js';
import { TEMP_SUFFIX } from '../src/io/output-file.js';
import { ethernet, ipv4, udp } from '../src/packet/build.js';
import type { ReplayResult } from '../src/replay.js';
import { buildCli, removeCliBuild } from './cli-build.js';
import { expectValidReport } from './report-schema.js';

const root = join(import.meta.dirname, '..');
const SAMPLE = join(root, 'pcaps/sample.pcap');
const RULES = join(root, 'rules/sample.v4');
const MACHINE = join(root, 'machines/sample.yaml');
/** Frames in the large capture: far more than are replayed before the signal comes. */
const BIG_FRAMES = 300_000;

let bin: string;
let work: string;
let big: string;

beforeAll(async () => {
  bin = await buildCli();
  work = mkdtempSync(join(tmpdir(), 'cofw-process-'));
  big = join(work, 'big.pcap');
  const template = ethernet(
    { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' },
    ipv4({ src: '203.0.113.9', dst: '198.51.100.1' }, udp({ sport: 1000, dport: 53 })),
  );
  function* frames(): Generator<{ tsNs: bigint; data: Uint8Array }> {
    for (let i = 0; i < BIG_FRAMES; i++) yield { tsNs: 1_700_000_000_000_000_000n + BigInt(i) * 1000n, data: template };
  }
  writePcapFile(big, frames());
}, 120_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  removeCliBuild();
});

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

function run(args: string[], opts: { env?: NodeJS.ProcessEnv; stdin?: 'pipe' | number } = {}): { child: ChildProcess; done: Promise<Exit> } {
  const child = spawn(process.execPath, [bin, ...args], { cwd: work, env: { ...process.env, ...opts.env }, stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const done = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out, err })));
  return { child, done };
}

/** Waits until `test` holds, checking every 20 ms; fails after `ms`. */
async function until(test: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The size of the temporary file of output `name` in `d`, or -1. */
function tempSize(d: string, name: string): number {
  const t = readdirSync(d).find((n) => n.startsWith(`.${name}.`) && n.endsWith(TEMP_SUFFIX));
  if (!t) return -1;
  try {
    return statSync(join(d, t)).size;
  } catch {
    return -1;
  }
}

async function frameCount(path: string): Promise<number> {
  let n = 0;
  for await (const _ of openCaptures([path]).frames) n++;
  return n;
}

/** The shb_comment of a little-endian pcapng file's first section, if any. */
function sectionComment(path: string): string | undefined {
  const b = readFileSync(path);
  const len = b.readUInt32LE(4);
  for (let o = 24; o + 4 <= len - 4;) {
    const code = b.readUInt16LE(o);
    const n = b.readUInt16LE(o + 2);
    if (code === 0) break;
    if (code === 1) return b.subarray(o + 4, o + 4 + n).toString('utf8');
    o += 4 + ((n + 3) & ~3);
  }
  return undefined;
}

describe('an interrupt during the replay', () => {
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    it(`${sig}: stops reading, writes every output for the frames replayed, marked partial, says so, exits ${code}`, async () => {
      const d = join(work, sig);
      mkdirSync(d);
      // An earlier run's --save is replaced by the partial one (which says so).
      writeFileSync(join(d, 's.v4'), 'earlier run\n');
      const { child, done } = run([
        'replay',
        big,
        '-r',
        RULES,
        '-m',
        MACHINE,
        '-a',
        join(d, 'a.pcapng'),
        '-d',
        join(d, 'd.pcapng'),
        '--save',
        join(d, 's.v4'),
        '--json',
        join(d, 'r.json'),
        '--console',
        join(d, 'c.txt'),
        '--conntrack',
        join(d, 'ct.txt'),
        '-q',
      ]);
      // The replay is under way once the accepted capture's first megabyte is written out.
      await until(() => tempSize(d, 'a.pcapng') > 0 || child.exitCode !== null, 'the replay to start');
      expect(child.exitCode, 'the replay ended before the signal: make the capture larger').toBeNull();
      child.kill(sig);
      const r = await done;
      expect(r.err).not.toMatch(/\n\s+at /);
      expect(r.code, r.err).toBe(code);
      expect(r.err).toContain(`cofw: ${sig}: stopping: the frames read are finished and the outputs written for them, marked partial`);
      expectValidReport(readFileSync(join(d, 'r.json'), 'utf8'));
      expectValidReport(readFileSync(join(d, 'r.json'), 'utf8'));
      const report = JSON.parse(readFileSync(join(d, 'r.json'), 'utf8')) as Omit<ReplayResult, 'ruleset'>;
      expect(report.complete).toBe(false);
      const i = report.interrupted!;
      expect(i.reason).toBe(sig);
      expect(i.framesRead).toBeGreaterThan(0);
      expect(i.framesRead).toBeLessThan(BIG_FRAMES);
      expect(i.lastFrame).toEqual({ number: i.framesRead, file: big, record: i.framesRead });
      expect(report.framesIn).toBe(i.framesRead);
      expect(r.err).toContain(`cofw: the replay was interrupted (${sig}) after frame ${i.framesRead} (${big}, record ${i.framesRead})`);
      expect(r.out).toMatch(new RegExp(`Frames in\\s+${i.framesRead}\\n`));
      const note = `cofw: PARTIAL: the replay was interrupted (${sig}) after frame ${i.framesRead}`;
      for (const f of ['s.v4', 'c.txt', 'ct.txt']) expect(readFileSync(join(d, f), 'utf8').split('\n')[0]!.startsWith(`# ${note} `), f).toBe(true);
      expect(readFileSync(join(d, 's.v4'), 'utf8')).toContain('*filter');
      for (const f of ['a.pcapng', 'd.pcapng']) expect(sectionComment(join(d, f))?.startsWith(`${note} `), f).toBe(true);
      const f = report.fates;
      expect(await frameCount(join(d, 'a.pcapng'))).toBe(f.forwarded + f.delivered + f.sent + f.generated);
      expect(await frameCount(join(d, 'd.pcapng'))).toBe(f.droppedByRule + f.droppedByPolicy + f.droppedByStack + f.generatedDropped + f.failPolicy);
      expect(readdirSync(d).filter((n) => n.endsWith(TEMP_SUFFIX))).toEqual([]);
    });
  }
});

describe('standard input and named pipes', () => {
  const sample = readFileSync(SAMPLE);
  const args = ['-r', RULES, '-m', MACHINE, '-q'];

  it('- reads a capture piped in, and one redirected from a file', async () => {
    const expected = spawnSync(process.execPath, [bin, 'replay', SAMPLE, ...args], { encoding: 'utf8' });
    expect(expected.status).toBe(0);
    const piped = run(['replay', '-', ...args], { stdin: 'pipe' });
    piped.child.stdin!.end(sample);
    const p = await piped.done;
    expect(p.code, p.err).toBe(0);
    expect(p.out).toBe(expected.stdout.replace(`cofw replay of ${SAMPLE}`, 'cofw replay of -'));
    const fd = openSync(SAMPLE, 'r');
    const redirected = run(['replay', '-', ...args], { stdin: fd });
    closeSync(fd);
    const q = await redirected.done;
    expect(q.code, q.err).toBe(0);
    expect(q.out).toBe(p.out);
  });

  it('an output may be a pipe: --json /dev/stderr', async () => {
    const r = await run(['replay', SAMPLE, ...args, '--json', '/dev/stderr']).done;
    expect(r.code).toBe(0);
    expectValidReport(r.err);
    expect((JSON.parse(r.err) as Omit<ReplayResult, 'ruleset'>).framesIn).toBe(224);
  });

  it('- that is not a capture: exit 1, the message names standard input', async () => {
    const { child, done } = run(['replay', '-', ...args], { stdin: 'pipe' });
    child.stdin!.end('hello, not a capture\n');
    const r = await done;
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^cofw: standard input, byte 0: not a pcap or pcapng file: it looks like a text file/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('a named pipe (FIFO) works', async (ctx) => {
    const fifo = join(work, 'capture.fifo');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      return ctx.skip('mkfifo is not available');
    }
    const { done } = run(['replay', fifo, ...args]);
    const w = createWriteStream(fifo);
    w.end(sample);
    const r = await done;
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/Frames in\s+224\n/);
  });

  it('an interrupt while standard input is read: what came is replayed, marked partial, exit 130; no copy is left', async () => {
    const tmp = join(work, 'tmp');
    mkdirSync(tmp);
    const d = join(work, 'stdin-out');
    mkdirSync(d);
    const { child, done } = run(['replay', '-', ...args, '--json', join(d, 'r.json'), '-d', join(d, 'd.pcapng')], { stdin: 'pipe', env: { TMPDIR: tmp } });
    const whole = readFileSync(big);
    const part = whole.subarray(0, 2 * 1024 * 1024 + 7); // ends inside a record
    child.stdin!.write(part);
    const copied = (): number => {
      for (const sub of readdirSync(tmp)) for (const f of readdirSync(join(tmp, sub))) return statSync(join(tmp, sub, f)).size;
      return 0;
    };
    await until(() => copied() === part.length, 'standard input to be copied');
    child.kill('SIGINT');
    const r = await done;
    expect(r.code, r.err).toBe(130);
    expectValidReport(readFileSync(join(d, 'r.json'), 'utf8'));
    const report = JSON.parse(readFileSync(join(d, 'r.json'), 'utf8')) as Omit<ReplayResult, 'ruleset'>;
    expect(report.complete).toBe(false);
    expect(report.interrupted!.reason).toBe('SIGINT');
    // Every whole record that came was replayed.
    const records = Math.floor((part.length - 24) / (16 + 42));
    expect(report.framesIn).toBe(records);
    expect(report.interrupted!.lastFrame).toEqual({ number: records, file: 'standard input', record: records });
    expect(sectionComment(join(d, 'd.pcapng'))).toContain('cofw: PARTIAL: the replay was interrupted (SIGINT)');
    expect(readdirSync(tmp)).toEqual([]);
    expect(existsSync(join(d, 'r.json'))).toBe(true);
  });
});

describe('a reader that closes the pipe early', () => {
  it('`cofw save big.v4 | head -1` prints one line and exits 0 without a word', (ctx) => {
    const bash = spawnSync('bash', ['-c', 'true']);
    if (bash.error) return ctx.skip('bash is not available');
    const rules = join(work, 'big.v4');
    const lines = Array.from({ length: 30_000 }, (_, i) => `-A INPUT -s 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32 -j DROP`);
    writeFileSync(rules, `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${lines.join('\n')}\nCOMMIT\n`);
    const r = spawnSync('bash', ['-c', 'set -o pipefail; "$0" "$1" save "$2" | head -1', process.execPath, bin, rules], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('*filter\n');
  });
});
