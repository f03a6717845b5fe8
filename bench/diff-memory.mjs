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
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ethernet, ipv4, tcp, udp } from '../dist/packet/build.js';
import { setIPv4Checksum } from '../dist/packet/checksum.js';
import { formatIPv4 } from '../dist/packet/addr.js';
import { main } from '../dist/cli/main.js';

const args = process.argv.slice(2);
const many = args.includes('many');
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const B = 1000;
const dir = mkdtempSync(join(tmpdir(), 'cofw-mem-'));

let seed = 11;
const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;

const rules = ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]'];
for (let i = 0; i < B; i++) {
  const net = (((100 + Math.floor(rand() * 20)) << 24) | (Math.floor(rand() * 0xffff) << 8)) >>> 0;
  rules.push(`-A FORWARD -s ${formatIPv4(net)}/24 -j DROP`);
}
rules.push(
  '-A FORWARD -p tcp -m multiport --dports 80,443 -j ACCEPT',
  '-A FORWARD -p udp --dport 53 -j ACCEPT',
  '-A INPUT -p tcp --dport 22 -j ACCEPT',
  'COMMIT',
  '',
);
writeFileSync(join(dir, 'rules.v4'), rules.join('\n'));
// The new rule file: one rule more, before the block list.
const extra = many ? '-A FORWARD -p tcp --dport 8080 -j ACCEPT' : '-A FORWARD -s 100.0.0.0/12 -p tcp --dport 8080 -j ACCEPT';
writeFileSync(join(dir, 'new.v4'), [...rules.slice(0, 4), extra, ...rules.slice(4)].join('\n'));

// Three templates (UDP 53, TCP 443, TCP 8080); each packet patches source address, source port and the IP checksum.
const W = { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' };
const templates = [udp({ sport: 1024, dport: 53 }), tcp({ sport: 1024, dport: 443, flags: 'A' }), tcp({ sport: 1024, dport: 8080, flags: 'A' })].map((l4) =>
  ethernet(W, ipv4({ src: '100.0.0.1', dst: '192.0.2.10' }, l4)),
);
const capPath = join(dir, 'capture.pcap');
const fd = openSync(capPath, 'w');
const CHUNK = 1 << 20;
const buf = Buffer.alloc(CHUNK);
let len = 0;
buf.writeUInt32LE(0xa1b2c3d4, 0);
buf.writeUInt16LE(2, 4);
buf.writeUInt16LE(4, 6);
buf.writeUInt32LE(65535, 16);
buf.writeUInt32LE(1, 20);
len = 24;
let sec = 1_700_000_000;
let usec = 0;
const tg0 = process.hrtime.bigint();
for (let i = 0; i < N; i++) {
  const t = templates[i % 3 === 0 ? 0 : i % 2 ? 1 : 2];
  if (len + 16 + t.length > CHUNK) {
    writeSync(fd, buf, 0, len);
    len = 0;
  }
  buf.writeUInt32LE(sec, len);
  buf.writeUInt32LE(usec, len + 4);
  buf.writeUInt32LE(t.length, len + 8);
  buf.writeUInt32LE(t.length, len + 12);
  len += 16;
  const f = buf.subarray(len, len + t.length);
  f.set(t);
  const src = (((100 + Math.floor(rand() * 40)) << 24) | Math.floor(rand() * 0xffffff)) >>> 0;
  f.writeUInt32BE(src, 26);
  f.writeUInt16BE(1024 + (i % 5000), 34);
  f[24] = 0;
  f[25] = 0;
  setIPv4Checksum(f.subarray(14));
  len += t.length;
  usec += 10;
  if (usec >= 1_000_000) {
    usec -= 1_000_000;
    sec++;
  }
}
writeSync(fd, buf, 0, len);
closeSync(fd);
const genSecs = Number(process.hrtime.bigint() - tg0) / 1e9;

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
