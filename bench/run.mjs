#!/usr/bin/env node
/**
 * The benchmark of issue 12 (`npm run bench`, after `npm run build`): a
 * mixed capture of N packets (bench/mixed.mjs: TCP conversations with
 * handshakes, UDP, ICMP) through ufw's stateful rule set, end to end as a
 * user runs it (`cofw replay CAPTURE -r RULES -m MACHINE`, package.json's
 * bin: the bundle dist/cofw.mjs, a process of its own: start, rule loading,
 * reading, the guest, conntrack, the report), and tcpdump reading and
 * filtering the same file. The figures are taken in R rounds, each round
 * running every figure once (so that a machine whose speed drifts, as a
 * virtual one does, moves every figure alike); each figure is the best of
 * its R runs (wall clock), with the CPU seconds (user + system) of that
 * run, the load average when it started, and the median wall clock of
 * the R runs (`wallMedian`):
 *
 *   node bench/run.mjs [packets=1000000] [--repeat R=2] [--only a,b,...] [--workers N]
 *
 * Figures: tcpdump; one-core (no output captures); with-output (-a and -d);
 * cidr-10 / cidr-10000 (ufw with that many `-s CIDR -j DROP` rules in
 * ufw-user-input); dport-10 / dport-10000 (that many `--dport` rules);
 * workers (with --workers N: ufw's rules, which run on one worker, and
 * ufw's rules without -m limit and -m recent on 1 and on N workers). The capture is cached in the temporary
 * folder between runs (its name carries N and the generator's version).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MACHINE, ufwRules, ufwRulesWith, ufwStatefulRules, writeMixedCapture } from './mixed.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const positional = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
const N = Number(positional[0] ?? 1_000_000);
const R = Number(opt('--repeat', 2));
const only = opt('--only', '')
  .split(',')
  .filter((s) => s);
const workers = Number(opt('--workers', 0));
const want = (name) => only.length === 0 || only.includes(name);

// The command as package.json's bin runs it: the single-file bundle (scripts/bundle.mjs).
const bin = new URL('../dist/cofw.mjs', import.meta.url).pathname;
if (!existsSync(bin)) {
  console.error('bench: run `npm run build` first (dist/cofw.mjs is missing)');
  process.exit(2);
}
if (spawnSync('tcpdump', ['--version']).status !== 0) {
  console.error('bench: tcpdump is missing; installing it with apt-get');
  spawnSync('apt-get', ['install', '-y', 'tcpdump'], { stdio: 'inherit' });
}

const capture = join(tmpdir(), `cofw-bench-mixed-v1-${N}.pcap`);
const g0 = Date.now();
writeMixedCapture(capture, N);
const dir = mkdtempSync(join(tmpdir(), 'cofw-bench-'));
writeFileSync(join(dir, 'machine.yaml'), MACHINE);
writeFileSync(join(dir, 'ufw.v4'), ufwRules());
writeFileSync(join(dir, 'stateful.v4'), ufwStatefulRules());
console.error(`bench: capture ${capture} (${N} packets) ready in ${((Date.now() - g0) / 1000).toFixed(1)} s`);

/** Runs `cmd` once under /usr/bin/time: wall and CPU seconds, peak RSS, the load average when it started. */
function measureOnce(cmd, argv) {
  const load = loadavg()[0];
  const timeFile = join(dir, 'time.txt');
  const r = spawnSync('/usr/bin/time', ['-o', timeFile, '-f', '%e %U %S %M', cmd, ...argv], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(-2000)}`);
  const [wall, user, sys, rssKiB] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  return { wall, cpu: +(user + sys).toFixed(2), rssMiB: +(rssKiB / 1024).toFixed(0), load: +load.toFixed(2) };
}

// The figures to take, in order.
const jobs = [];
const job = (name, cmd, argv) => jobs.push({ name, cmd, argv, runs: [] });
const cofw = (name, rules, more = []) => job(name, 'node', [bin, 'replay', capture, '-r', rules, '-m', join(dir, 'machine.yaml'), '-q', ...more]);

if (want('tcpdump') || want('one-core')) job('tcpdump', 'tcpdump', ['-r', capture, '-w', join(dir, 'tcpdump.pcap'), 'not (tcp port 23 or udp port 161)']);
if (want('one-core')) cofw('one-core', join(dir, 'ufw.v4'));
if (want('with-output')) cofw('with-output', join(dir, 'ufw.v4'), ['-a', join(dir, 'a.pcap'), '-d', join(dir, 'd.pcapng')]);
// ufw's rule set has -m limit and -m recent, whose state spans connections: --workers replays it on one worker (and says so).
// The speedup is measured on ufw's rules without those (bench/mixed.mjs ufwStatefulRules), on one worker and on N.
if (workers && want('workers')) {
  cofw(`workers-${workers}-ufw`, join(dir, 'ufw.v4'), ['--workers', String(workers)]);
  cofw('stateful-1', join(dir, 'stateful.v4'), ['--workers', '1']);
  cofw(`stateful-${workers}`, join(dir, 'stateful.v4'), ['--workers', String(workers)]);
}
for (const kind of ['cidr', 'dport']) {
  for (const count of [10, 10_000]) {
    const name = `${kind}-${count}`;
    if (!want(name) && !want(kind)) continue;
    const file = join(dir, `${name}.v4`);
    writeFileSync(file, ufwRulesWith(kind, count));
    cofw(name, file);
  }
}

// Round after round, every figure once per round: a machine whose speed drifts (a shared or virtual one)
// then slows or speeds every figure alike, and the ratios between figures stay meaningful.
for (let i = 0; i < R; i++) for (const j of jobs) j.runs.push(measureOnce(j.cmd, j.argv));

const results = {};
for (const j of jobs) {
  const best = j.runs.reduce((a, b) => (b.wall < a.wall ? b : a));
  const walls = j.runs.map((r) => r.wall).sort((a, b) => a - b);
  results[j.name] = {
    ...best,
    wallMedian: walls[walls.length >> 1],
    packetsPerSecond: Math.round(N / best.wall),
    packetsPerCpuSecond: Math.round(N / best.cpu),
  };
  console.log(JSON.stringify({ figure: j.name, ...results[j.name] }));
}

const ratio = (a, b) => (results[a] && results[b] ? +(results[a].wall / results[b].wall).toFixed(2) : undefined);
const summary = {
  packets: N,
  repeat: R,
  oneCorePacketsPerSecond: results['one-core']?.packetsPerSecond,
  withOutputPacketsPerSecond: results['with-output']?.packetsPerSecond,
  tcpdumpRatio: ratio('one-core', 'tcpdump'),
  cidrScaling: ratio('cidr-10000', 'cidr-10'),
  dportScaling: ratio('dport-10000', 'dport-10'),
  workersSpeedup: workers ? ratio('stateful-1', `stateful-${workers}`) : undefined,
  workersCpuRatio: workers && results['stateful-1'] ? +(results[`stateful-${workers}`].cpu / results['stateful-1'].cpu).toFixed(2) : undefined,
};
console.log(JSON.stringify({ summary }));
rmSync(dir, { recursive: true, force: true });
