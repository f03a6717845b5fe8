#!/usr/bin/env node
/**
 * Memory as the capture grows: streams a synthetic capture of N packets to
 * a temporary file (1 MiB at a time, never the whole capture in memory),
 * replays it through the whole machine (passage page, guest stack, engine)
 * with a 1000-rule block list, and prints peak RSS. Every packet has a
 * fresh random source, so the dropped flows grow with N: the case that
 * would make unbounded per-flow or per-frame state show. Run after
 * `npm run build`:
 *
 *   node bench/memory.mjs [packets=1000000] [--write] [--workers N]
 *
 * --write also writes the accepted and dropped captures (to the temporary
 * directory) as `cofw replay` does with -a/-d. Peak RSS is the kernel's
 * high-water mark for the process (getrusage maxrss), which includes the
 * generation phase (small: it streams); peakReplayRssMiB and
 * peakReplayHeapMiB are sampled every 50 ms during the replay itself.
 * --workers N replays on N worker threads (as `cofw replay --workers N`);
 * the threads live in this process, so peak RSS includes their guests, and
 * peakReplayHeapMiB is the main thread's heap only.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blockListRules, writeTemplateCapture } from './template-capture.mjs';
import { parseMachineFile } from '../dist/machine/machine-file.js';
import { replay } from '../dist/replay.js';

const args = process.argv.slice(2);
const write = args.includes('--write');
const wi = args.indexOf('--workers');
const workers = wi >= 0 ? Number(args[wi + 1]) : 1;
const N = Number(args.find((a, i) => !a.startsWith('--') && (wi < 0 || i !== wi + 1)) ?? 1_000_000);
const B = 1000;
const dir = mkdtempSync(join(tmpdir(), 'cofw-mem-'));

let seed = 11;
const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;

writeFileSync(join(dir, 'rules.v4'), blockListRules(B, rand));

const capPath = join(dir, 'capture.pcap');
const genSecs = writeTemplateCapture(capPath, N, rand);

const machine = parseMachineFile(
  `hostname: bench
interfaces:
  - { name: eth0, mac: "02:00:00:00:00:01", addresses: [198.51.100.1/24] }
  - { name: eth1, mac: "02:00:00:00:01:01", addresses: [192.0.2.1/24] }
routes:
  - { to: default, via: 198.51.100.254, dev: eth0 }
`,
  'bench.yaml',
);

let peakRss = 0;
let peakHeap = 0;
const sample = () => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
};
const timer = setInterval(sample, 50);
const t0 = process.hrtime.bigint();
const r = await replay({
  rulesFile: join(dir, 'rules.v4'),
  machine,
  captures: [capPath],
  workers,
  onNote: (line) => console.error(line),
  ...(write ? { accepted: join(dir, 'accepted.pcap'), dropped: join(dir, 'dropped.pcapng') } : {}),
});
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
clearInterval(timer);
sample();
const captureMiB = statSync(capPath).size / 2 ** 20;
rmSync(dir, { recursive: true, force: true });
const mib = (b) => +(b / 2 ** 20).toFixed(1);
console.log(
  JSON.stringify({
    packets: r.framesIn,
    captureMiB: +captureMiB.toFixed(1),
    writeCaptures: write,
    workers,
    generateSeconds: +genSecs.toFixed(2),
    replaySeconds: +secs.toFixed(2),
    packetsPerSecond: Math.round(r.framesIn / secs),
    peakRssMiB: mib(process.resourceUsage().maxRSS * 1024),
    peakReplayRssMiB: mib(peakRss),
    peakReplayHeapMiB: mib(peakHeap),
    dropped: r.fates.droppedByRule + r.fates.droppedByPolicy,
    flowsForgotten: r.flowsForgotten,
    consoleLines: r.console.length,
    switches: r.stats.switches,
  }),
);
