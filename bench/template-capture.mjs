/**
 * The memory benchmarks' capture: N forwarded packets from three templates
 * (UDP 53, TCP 443, TCP 8080), each with a source address in 100.0.0.0/8 to
 * 139.0.0.0/8 drawn from `rand`, its own source port and IP checksum, 10 µs
 * apart, written as a classic pcap in 1 MiB pieces so that memory stays flat.
 *
 *   const seconds = writeTemplateCapture(path, 1_000_000, rand);
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { ethernet, ipv4, tcp, udp } from '../dist/packet/build.js';
import { setIPv4Checksum } from '../dist/packet/checksum.js';
import { formatIPv4 } from '../dist/packet/addr.js';

/** Writes the capture to `path`; returns the seconds it took. */
export function writeTemplateCapture(path, N, rand) {
  const W = { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' };
  const templates = [udp({ sport: 1024, dport: 53 }), tcp({ sport: 1024, dport: 443, flags: 'A' }), tcp({ sport: 1024, dport: 8080, flags: 'A' })].map((l4) =>
    ethernet(W, ipv4({ src: '100.0.0.1', dst: '192.0.2.10' }, l4)),
  );
  const fd = openSync(path, 'w');
  const CHUNK = 1 << 20;
  const buf = Buffer.alloc(CHUNK);
  buf.writeUInt32LE(0xa1b2c3d4, 0);
  buf.writeUInt16LE(2, 4);
  buf.writeUInt16LE(4, 6);
  buf.writeUInt32LE(65535, 16);
  buf.writeUInt32LE(1, 20);
  let len = 24;
  let sec = 1_700_000_000;
  let usec = 0;
  const t0 = process.hrtime.bigint();
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
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * The memory benchmarks' rule file: `count` /24 block-list rules in
 * FORWARD drawn from `rand` (in 100.0.0.0–119.255.255.255), then web, DNS
 * and SSH accepts.
 */
export function blockListRules(count, rand) {
  const rules = ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]'];
  for (let i = 0; i < count; i++) {
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
  return rules.join('\n');
}
