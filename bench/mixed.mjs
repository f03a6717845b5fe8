/**
 * The benchmark's inputs, built deterministically: a mixed capture of N
 * packets through ufw's own stateful rule set (test/golden/ufw/rules.v4,
 * written by ufw 0.36), and that rule set with long lists of user rules.
 *
 * The capture repeats a round of 17 packets with rolling addresses and
 * ports, 20 µs apart:
 * - an SSH connection to the firewall (8 packets: handshake, data both
 *   ways, FIN both ways; the firewall's answers are locally generated),
 *   from 16,384 clients in 100.64.0.0/10 on rolling source ports;
 * - two DNS queries from the inside (192.0.2.0/24) to the firewall and
 *   their answers;
 * - a ping and its answer;
 * - a TCP SYN to port 23 and a UDP datagram to port 161 (dropped by ufw's
 *   policy) and a forwarded TCP SYN (dropped by FORWARD's policy).
 * DNS and ping tuples recur; each SSH connection is new and stays in
 * TIME_WAIT (120 s) past the capture's end (N × 20 µs), so the final
 * conntrack table holds about N / 16 entries (63,824 for 1M).
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { ethernet, icmp, ipv4, tcp, udp } from '../dist/packet/build.js';
import { pcapHeader } from '../dist/capture/pcap-write.js';

const FW = 0xc6336401; // 198.51.100.1
const FW_IN = 0xc0000201; // 192.0.2.1
const WIRE = { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' };
const LOCAL = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };
const HOST = { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01' };
const LOCAL_IN = { src: '02:00:00:00:01:01', dst: '02:00:00:00:01:02' };
const payload = (n, b) => new Uint8Array(n).fill(b);

/** The machine file the capture is made for (the golden scenarios' machine). */
export const MACHINE = `hostname: bench
interfaces:
  - { name: eth0, mac: "02:00:00:00:00:01", addresses: [198.51.100.1/24] }
  - { name: eth1, mac: "02:00:00:00:01:01", addresses: [192.0.2.1/24] }
routes:
  - { to: default, via: 198.51.100.254, dev: eth0 }
`;

/** The packets of round `k`: [ethernet frame], each a fresh buffer. */
function round(k) {
  const out = [];
  const client = (0x64400000 | (((k * 2654435761) >>> 0) % 16384)) >>> 0; // 100.64.x.y
  const sport = 1024 + ((k >>> 4) % 60000);
  const iss = (k * 7919) >>> 0;
  const fss = (k * 104729) >>> 0;
  const c2s = (flags, seq, ack, data) => ethernet(WIRE, ipv4({ src: client, dst: FW }, tcp({ sport, dport: 22, flags, seq, ack, window: 502, payload: data })));
  const s2c = (flags, seq, ack, data) =>
    ethernet(LOCAL, ipv4({ src: FW, dst: client }, tcp({ sport: 22, dport: sport, flags, seq, ack, window: 509, payload: data })));
  out.push(ethernet(WIRE, ipv4({ src: client, dst: FW }, tcp({ sport, dport: 22, flags: 'S', seq: iss, window: 64240 }))));
  out.push(ethernet(LOCAL, ipv4({ src: FW, dst: client }, tcp({ sport: 22, dport: sport, flags: 'SA', seq: fss, ack: iss + 1, window: 65160 }))));
  out.push(c2s('A', iss + 1, fss + 1));
  out.push(c2s('PA', iss + 1, fss + 1, payload(40, 0x61)));
  out.push(s2c('PA', fss + 1, iss + 41, payload(120, 0x62)));
  out.push(c2s('FA', iss + 41, fss + 121));
  out.push(s2c('FA', fss + 121, iss + 42));
  out.push(c2s('A', iss + 42, fss + 122));
  for (let j = 0; j < 2; j++) {
    const h = (0xc0000200 | (2 + ((k * 2 + j) % 250))) >>> 0;
    const p = 5300 + ((k >>> 3) % 16);
    out.push(ethernet(HOST, ipv4({ src: h, dst: FW_IN }, udp({ sport: p, dport: 53, payload: payload(30, 0x63) }))));
    out.push(ethernet(LOCAL_IN, ipv4({ src: FW_IN, dst: h }, udp({ sport: 53, dport: p, payload: payload(60, 0x64) }))));
  }
  const pinger = (0xcb007100 | (k % 200)) >>> 0; // 203.0.113.x
  out.push(ethernet(WIRE, ipv4({ src: pinger, dst: FW }, icmp({ type: 8, id: k % 1000, seq: k & 0xffff, payload: payload(56, 0x65) }))));
  out.push(ethernet(LOCAL, ipv4({ src: FW, dst: pinger }, icmp({ type: 0, id: k % 1000, seq: k & 0xffff, payload: payload(56, 0x65) }))));
  out.push(ethernet(WIRE, ipv4({ src: pinger, dst: FW }, tcp({ sport: 44000 + (k % 1000), dport: 23, flags: 'S', seq: k }))));
  out.push(ethernet(WIRE, ipv4({ src: pinger, dst: FW }, udp({ sport: 45000 + (k % 1000), dport: 161, payload: payload(40, 0x66) }))));
  const inside = (0xc0000200 | (2 + (k % 250))) >>> 0;
  out.push(ethernet(HOST, ipv4({ src: inside, dst: 0xcb007164 + (k % 20) }, tcp({ sport: 46000 + (k % 4000), dport: 443, flags: 'S', seq: k }))));
  return out;
}

export const ROUND = 17;

/**
 * Writes the mixed capture of `n` packets to `path` (classic pcap,
 * microsecond timestamps), unless a file of that name already exists.
 */
export function writeMixedCapture(path, n) {
  if (existsSync(path)) return;
  const tmp = `${path}.part`;
  const fd = openSync(tmp, 'w');
  writeSync(fd, pcapHeader());
  const buf = Buffer.alloc(1 << 20);
  let len = 0;
  let t = 1_700_000_000_000_000; // microseconds
  let written = 0;
  for (let k = 0; written < n; k++) {
    for (const f of round(k)) {
      if (written === n) break;
      if (len + 16 + f.length > buf.length) {
        writeSync(fd, buf, 0, len);
        len = 0;
      }
      const sec = Math.floor(t / 1e6);
      buf.writeUInt32LE(sec, len);
      buf.writeUInt32LE(t - sec * 1e6, len + 4);
      buf.writeUInt32LE(f.length, len + 8);
      buf.writeUInt32LE(f.length, len + 12);
      buf.set(f, len + 16);
      len += 16 + f.length;
      t += 20;
      written++;
    }
  }
  writeSync(fd, buf, 0, len);
  closeSync(fd);
  renameSync(tmp, path);
}

/** ufw's rule set (the golden scenario's file). */
export function ufwRules() {
  return readFileSync(new URL('../test/golden/ufw/rules.v4', import.meta.url), 'utf8');
}

/**
 * ufw's rule set without its rules whose state spans connections (the
 * rate-limited LOG rules, `-m limit`, and `ufw limit`'s `-m recent`), which
 * `--workers` must replay on one worker: every other rule, the conntrack
 * states and the policies as ufw writes them, so that the capture can be
 * sharded by connection.
 */
export function ufwStatefulRules() {
  return ufwRules()
    .split('\n')
    .filter((l) => !/ -m (limit|recent) /.test(l))
    .join('\n');
}

let seed = 7;
const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;

/**
 * ufw's rule set with `count` more rules in the user chain ufw-user-input,
 * before ufw's own user rules, as `ufw deny from CIDR` / `ufw allow PORT/tcp`
 * write them. `kind` `cidr`: `-s a.b.c.0/24 -j DROP` over 100.0.0.0/8 (one
 * in 64 covers a 100.64.0.0/18 client); `dport`: `-p tcp --dport P -j ACCEPT`
 * for P in 10000 upwards (never the capture's ports).
 */
export function ufwRulesWith(kind, count) {
  seed = 7;
  const extra = [];
  for (let i = 0; i < count; i++) {
    if (kind === 'cidr') {
      const net = i % 64 === 63 ? (0x64400000 | (Math.floor(rand() * 64) << 8)) >>> 0 : ((100 << 24) | (Math.floor(rand() * 0xffff) << 8)) >>> 0;
      extra.push(`-A ufw-user-input -s ${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.0/24 -j DROP`);
    } else {
      extra.push(`-A ufw-user-input -p tcp -m tcp --dport ${10000 + i} -j ACCEPT`);
    }
  }
  const lines = ufwRules().split('\n');
  const at = lines.findIndex((l) => l.startsWith('-A ufw-user-input '));
  lines.splice(at, 0, ...extra);
  return lines.join('\n');
}
