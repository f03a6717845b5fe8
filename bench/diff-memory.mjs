#!/usr/bin/env node
/**
 * `cofw diff`'s memory as the capture grows: the synthetic capture of
 * bench/memory.mjs (N packets, every one from a fresh random source,
 * streamed to a temporary file), diffed between its 1000-rule block list
 * and the same list with one rule more (`--change few`: TCP 8080 from one
 * /12 accepted, under 1% of the packets change fate; `--change many`: all
 * TCP 8080 accepted, a third of the packets change fate, each its own
 * connection, so the listed connections reach their cap). Prints the
 * diff's summary, the time and the peak RSS and heap (sampled every 50 ms
 * during the diff). Run after `npm run build`:
 *
 *   node bench/diff-memory.mjs [packets=1000000] [--change few|many]
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blockListRules, writeTemplateCapture } from './template-capture.mjs';
import { main } from '../dist/cli/main.js';

const args = process.argv.slice(2);
const many = args.includes('many');
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const B = 1000;
const dir = mkdtempSync(join(tmpdir(), 'cofw-mem-'));

let seed = 11;
const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;

const rules = blockListRules(B, rand).split('\n');
writeFileSync(join(dir, 'rules.v4'), rules.join('\n'));
// The new rule file: one rule more, before the block list.
const extra = many ? '-A FORWARD -p tcp --dport 8080 -j ACCEPT' : '-A FORWARD -s 100.0.0.0/12 -p tcp --dport 8080 -j ACCEPT';
writeFileSync(join(dir, 'new.v4'), [...rules.slice(0, 4), extra, ...rules.slice(4)].join('\n'));

const capPath = join(dir, 'capture.pcap');
const genSecs = writeTemplateCapture(capPath, N, rand);

writeFileSync(
  join(dir, 'machine.yaml'),
  `hostname: bench
interfaces:
  - { name: eth0, mac: "02:00:00:00:00:01", addresses: [198.51.100.1/24] }
  - { name: eth1, mac: "02:00:00:00:01:01", addresses: [192.0.2.1/24] }
routes:
  - { to: default, via: 198.51.100.254, dev: eth0 }
`,
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
const json = join(dir, 'diff.json');
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = () => true;
const code = await main([
  'node',
  'cofw',
  'diff',
  capPath,
  '--rules',
  join(dir, 'rules.v4'),
  '--rules-new',
  join(dir, 'new.v4'),
  '--machine',
  join(dir, 'machine.yaml'),
  '-q',
  '--json',
  json,
]);
process.stdout.write = write;
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
clearInterval(timer);
sample();
const summary = JSON.parse(readFileSync(json, 'utf8')).summary;
const captureMiB = statSync(capPath).size / 2 ** 20;
rmSync(dir, { recursive: true, force: true });
const mib = (b) => +(b / 2 ** 20).toFixed(1);
console.log(
  JSON.stringify({
    packets: summary.frames,
    captureMiB: +captureMiB.toFixed(1),
    change: many ? 'many' : 'few',
    exitCode: code,
    differing: summary.differing,
    connections: summary.connections,
    connectionsNotListed: summary.connectionsNotListed,
    generateSeconds: +genSecs.toFixed(2),
    diffSeconds: +secs.toFixed(2),
    peakRssMiB: mib(process.resourceUsage().maxRSS * 1024),
    peakDiffRssMiB: mib(peakRss),
    peakDiffHeapMiB: mib(peakHeap),
  }),
);
