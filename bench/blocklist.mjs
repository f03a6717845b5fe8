#!/usr/bin/env node
/**
 * Replay throughput: builds a capture of N packets and a rule set with a
 * block list of B address rules plus port rules, replays it through the
 * whole machine (passage page, guest stack, engine) and prints packets per
 * second and peak RSS. Run after `npm run build`:
 *
 *   node bench/run.mjs [packets=200000] [blocklist=1000] [stateful|fragments]
 */
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ethernet, ipv4, tcp, udp } from '../dist/packet/build.js';
import { pcapHeader, pcapRecord } from '../dist/capture/pcap-write.js';
import { formatIPv4 } from '../dist/packet/addr.js';
import { parseMachineFile } from '../dist/machine/machine-file.js';
import { replay } from '../dist/replay.js';
import { openSync, writeSync, closeSync } from 'node:fs';

const N = Number(process.argv[2] ?? 200_000);
const B = Number(process.argv[3] ?? 1000);
/** `stateful`: connection tracking on (an ESTABLISHED,RELATED rule first), every flow a new entry. */
const STATEFUL = process.argv[4] === 'stateful';
/** `fragments`: every packet is the first fragment of a datagram to the firewall that never completes (the reassembly flood). */
const FRAGMENTS = process.argv[4] === 'fragments';
const dir = mkdtempSync(join(tmpdir(), 'cofw-bench-'));

let seed = 7;
const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;

const rules = ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]'];
for (let i = 0; i < B; i++) {
  const net = (((100 + Math.floor(rand() * 20)) << 24) | (Math.floor(rand() * 0xffff) << 8)) >>> 0;
  rules.push(`-A FORWARD -s ${formatIPv4(net)}/24 -j DROP`);
}
if (STATEFUL) rules.splice(4, 0, '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
rules.push(
  '-A FORWARD -p tcp -m multiport --dports 80,443 -j ACCEPT',
  '-A FORWARD -p udp --dport 53 -j ACCEPT',
  '-A INPUT -p tcp --dport 22 -j ACCEPT',
  'COMMIT',
  '',
);
writeFileSync(join(dir, 'rules.v4'), rules.join('\n'));

const W = { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' };
const fd = openSync(join(dir, 'capture.pcap'), 'w');
writeSync(fd, pcapHeader());
let t = 1_700_000_000_000_000_000n;
const batch = [];
for (let i = 0; i < N; i++) {
  const src = (((100 + Math.floor(rand() * 40)) << 24) | Math.floor(rand() * 0xffffff)) >>> 0;
  const l4 = i % 3 === 0 ? udp({ sport: 1024 + (i % 5000), dport: 53 }) : tcp({ sport: 1024 + (i % 5000), dport: i % 2 ? 443 : 8080, flags: 'A' });
  const ip = FRAGMENTS
    ? ipv4({ src, dst: '198.51.100.1', id: i & 0xffff, mf: true, proto: 17 }, udp({ sport: 1024 + (i % 5000), dport: 53, payload: new Uint8Array(16) }))
    : ipv4({ src, dst: '192.0.2.10' }, l4);
  batch.push(pcapRecord(t, ethernet(W, ip)));
  t += 10_000n;
  if (batch.length === 4096) {
    writeSync(fd, Buffer.concat(batch));
    batch.length = 0;
  }
}
if (batch.length) writeSync(fd, Buffer.concat(batch));
closeSync(fd);

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

let peak = 0;
const timer = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 50);
const t0 = process.hrtime.bigint();
const r = await replay({ rulesFile: join(dir, 'rules.v4'), machine, captures: [join(dir, 'capture.pcap')] });
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage().rss);
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    packets: r.framesIn,
    blocklistRules: B,
    stateful: STATEFUL,
    fragments: FRAGMENTS,
    seconds: +secs.toFixed(2),
    packetsPerSecond: Math.round(r.framesIn / secs),
    peakRssMiB: +(peak / 2 ** 20).toFixed(1),
    dropped: r.fates.droppedByRule + r.fates.droppedByPolicy,
    switches: r.stats.switches,
  }),
);
