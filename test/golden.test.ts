/**
 * Golden tests: every scenario under test/golden/ was replayed once through
 * the real Linux netfilter (shared/kernel-oracle) and its `iptables-save -c`
 * recorded as kernel.save. cofw replays the same capture through the same
 * rules and must print the same rules with the same counters, line for line.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCaptures } from '../src/capture/index.js';
import { fold, l4Checksum, l4Checksum6, sum16 } from '../src/packet/checksum.js';
import { afterAll, describe, expect, it } from 'vitest';
import { removeCliBuild, workerScript } from './cli-build.js';
import { loadMachineFile } from '../src/machine/machine-file.js';
import type { MachineSpec } from '../src/machine/spec.js';
import { replay, replayShard, type ReplayOptions, type ReplayResult } from '../src/replay.js';
import { captureDigests, ShardSet, ShardWriter, type ShardInputs } from '../src/workers/shard-dir.js';
import { BATCH } from '../src/workers/sharded.js';

const root = join(import.meta.dirname, 'golden');
const scenarios = existsSync(root) ? readdirSync(root).filter((d) => existsSync(join(root, d, 'kernel.save'))) : [];

/** The rule and chain lines of an iptables-save text, without comments. */
function saveLines(text: string): string[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#'));
}

/**
 * The oracle's links are veth pairs, which hand a packet whose transport
 * checksum the stack left to the device (CHECKSUM_PARTIAL: REJECT's resets,
 * a payload a NAT helper rewrote, nf_nat_csum_recalc) to the far end
 * unfinished: its checksum field holds only the pseudo header's sum. A real
 * interface finishes it; so does this, before comparing (IPv4, and IPv6
 * without extension headers).
 */
function finishPartialChecksum(ip: Uint8Array): void {
  const v6 = ip[0]! >> 4 === 6;
  const ihl = v6 ? 40 : (ip[0]! & 15) * 4;
  const proto = ip[v6 ? 6 : 9]!;
  const at = proto === 6 ? ihl + 16 : proto === 17 ? ihl + 6 : -1;
  if (at < 0 || at + 2 > ip.length) return;
  const l4len = ip.length - ihl;
  let pseudo = (v6 ? sum16(ip, 8, 32) : sum16(ip, 12, 8)) + proto + l4len;
  while (pseudo > 0xffff) pseudo = (pseudo & 0xffff) + (pseudo >>> 16);
  if (((ip[at]! << 8) | ip[at + 1]!) !== pseudo) return;
  ip[at] = 0;
  ip[at + 1] = 0;
  let c = v6 ? l4Checksum6(ip, ihl, l4len, proto) : l4Checksum(ip, ihl, l4len, proto);
  if (proto === 17 && c === 0) c = 0xffff;
  ip[at] = c >> 8;
  ip[at + 1] = c & 0xff;
}

/**
 * What the kernel draws at random in the ICMP errors the firewall sends
 * itself (REJECT's, the stack's): the IPv4 identification
 * (ip_select_ident: a per-destination counter with a random start and
 * random steps) and the ICMPv6 error's flow label (ip6_make_flowlabel: a
 * flow hash keyed by a secret drawn at boot), and the identification of an
 * IPv6 fragment header (a packet the firewall cuts again draws a new one in
 * ip6_fragment, ipv6_select_ident; forwarded fragments keep theirs, and
 * lose only this from the comparison). None can be replayed, so they are
 * zeroed on either side before comparing, the IPv4 header checksum with
 * the identification once it is found right. `own` holds the firewall's
 * addresses as hex.
 */
function maskDrawn(ip: Uint8Array, own: ReadonlySet<string>): void {
  const hex = (from: number, to: number): string => Buffer.from(ip.subarray(from, to)).toString('hex');
  if (ip[0]! >> 4 === 6) {
    for (let nh = ip[6]!, at = 40; at + 8 <= ip.length && (nh === 0 || nh === 43 || nh === 44 || nh === 60);) {
      if (nh === 44) {
        ip.fill(0, at + 4, at + 8);
        break;
      }
      nh = ip[at]!;
      at += (ip[at + 1]! + 1) << 3;
    }
    if (ip.length >= 41 && ip[6] === 58 && ip[40]! < 128 && own.has(hex(8, 24))) {
      ip[1] = ip[1]! & 0xf0;
      ip[2] = 0;
      ip[3] = 0;
    }
    return;
  }
  const ihl = (ip[0]! & 15) * 4;
  const error = ip[9] === 1 && ip.length > ihl && [3, 4, 5, 11, 12].includes(ip[ihl]!);
  if (!error || !own.has(hex(12, 16)) || ip[6]! & 0x40) return;
  if (fold(sum16(ip, 0, ihl)) !== 0) return; // a wrong checksum stays, and differs
  ip.fill(0, 4, 6);
  ip.fill(0, 10, 12);
}

/**
 * What the kernel draws from its secrets and its clock in SYNPROXY's
 * SYN-ACK (a SYN-ACK with window 0, which no host's stack sends): the
 * sequence number (a SYN cookie keyed by secrets drawn at boot), the upper
 * 26 bits of the timestamp value (milliseconds since boot; the low six
 * carry the client's options and stay compared) and the TCP checksum that
 * covers them. They are zeroed on either side before comparing.
 */
function maskSynproxy(ip: Uint8Array): void {
  const v6 = ip[0]! >> 4 === 6;
  const th = v6 ? 40 : (ip[0]! & 15) * 4;
  if ((v6 ? ip[6] : ip[9]) !== 6 || ip.length < th + 20) return;
  if (ip[th + 13] !== 0x12 && ip[th + 13] !== 0x52) return;
  if (ip[th + 14] !== 0 || ip[th + 15] !== 0) return;
  ip.fill(0, th + 4, th + 8);
  ip.fill(0, th + 16, th + 18);
  const end = th + (ip[th + 12]! >> 4) * 4;
  for (let p = th + 20; p + 1 < end && ip[p] !== 0;) {
    if (ip[p] === 1) {
      p++;
      continue;
    }
    if (ip[p] === 8 && ip[p + 1] === 10 && p + 10 <= end) {
      ip.fill(0, p + 2, p + 5);
      ip[p + 5] = ip[p + 5]! & 0x3f;
    }
    p += Math.max(ip[p + 1]!, 2);
  }
}

/** The firewall's addresses of both families, as hex. */
function ownAddresses(machine: MachineSpec): Set<string> {
  const out = new Set<string>();
  for (const d of machine.devices) for (const a of d.addrs) out.add(Buffer.from(a.addr.bytes()).toString('hex'));
  return out;
}

/** The IP packets of a capture's Ethernet frames that left through `ifName` (all frames when undefined), in order, as hex. */
async function sentPackets(file: string, own: ReadonlySet<string>, ifName?: string): Promise<string[]> {
  const out: string[] = [];
  for await (const f of openCaptures([file]).frames) {
    if (ifName !== undefined && (f.ifName !== ifName || f.direction !== 'out')) continue;
    const d = f.data;
    if (d.length < 14) continue;
    const v6 = d[12] === 0x86 && d[13] === 0xdd;
    if (!v6 && (d[12] !== 0x08 || d[13] !== 0x00)) continue;
    const ip = d.slice(14, 14 + (v6 ? 40 + ((d[18]! << 8) | d[19]!) : (d[16]! << 8) | d[17]!));
    if (ifName === undefined) finishPartialChecksum(ip);
    maskDrawn(ip, own);
    maskSynproxy(ip);
    out.push(Buffer.from(ip).toString('hex'));
  }
  return out;
}

describe('golden: counters equal the real kernel', () => {
  it('has scenarios recorded from the kernel', () => {
    expect(scenarios.length).toBeGreaterThan(0);
  });

  // A scenario recorded ahead of the modules it needs says why in `pending`.
  const pending = scenarios.filter((d) => existsSync(join(root, d, 'pending')));
  for (const name of pending) {
    it.skip(`${name} (pending: ${readFileSync(join(root, name, 'pending'), 'utf8').trim()})`, () => {});
  }

  const ready = scenarios.filter((d) => !pending.includes(d));
  it.each(ready)('%s', async (name) => {
    await check(name, 1);
  });
  // Sharded by connection among worker threads, each a guest of its own: the kernel's counters still
  // (a rule set with state shared across connections runs on one worker: the fallback is checked too).
  it.each(ready)('%s on 2 workers', async (name) => {
    await check(name, 2);
  });
  // Past one machine: two shard runs (each its own guest, its records in a directory) and their merge.
  // A rule set with state shared across connections, or traffic that cannot be sharded exactly, is refused.
  it.each(ready)('%s as 2 shards and their merge', async (name) => {
    await check(name, 1, 2);
  });
});

afterAll(() => removeCliBuild());

/** Replays as `of` shard runs into directories and merges them (src/workers/shard-dir.ts); undefined when the run is refused as not exact. */
async function replayAsShards(opts: ReplayOptions, machineFile: string, of: number): Promise<ReplayResult | undefined> {
  const tmp = mkdtempSync(join(tmpdir(), 'cofw-golden-shards-'));
  try {
    const inputs: ShardInputs = {
      rulesFile: opts.rulesFile,
      rulesText: readFileSync(opts.rulesFile, 'utf8'),
      ...(opts.rules6File ? { rules6File: opts.rules6File, rules6Text: readFileSync(opts.rules6File, 'utf8') } : {}),
      ...(opts.ipsetsFile ? { ipsetsFile: opts.ipsetsFile, ipsetsText: readFileSync(opts.ipsetsFile, 'utf8') } : {}),
      machineName: machineFile,
      machineText: readFileSync(machineFile, 'utf8'),
      captures: await captureDigests(opts.captures),
    };
    const { accepted: _, ...shardOpts } = opts;
    const dirs = Array.from({ length: of }, (_, i) => join(tmp, `shard-${i}`));
    for (let i = 0; i < of; i++) {
      try {
        const r = await replayShard(shardOpts, new ShardWriter(dirs[i]!, i, of), inputs);
        if (r.notExact) return undefined;
      } catch (e) {
        // A rule set with shared state: refused, saying where and why (the one-worker run covers it).
        expect((e as Error).message).toMatch(/^--shard \d+\/\d+: this replay cannot be sharded: .+; replay it on one machine \(without --shard\)$/);
        return undefined;
      }
    }
    const set = ShardSet.open(dirs, BATCH);
    try {
      return await replay({ ...opts, shards: set });
    } catch (e) {
      expect((e as Error).message).toMatch(/^the shards cannot be merged exactly: /);
      return undefined;
    } finally {
      await set.close();
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function check(name: string, workers: number, shards = 0): Promise<void> {
  {
    const dir = join(root, name);
    const machineFile = existsSync(join(dir, 'machine.yaml')) ? join(dir, 'machine.yaml') : join(root, 'machine.yaml');
    const recorded = ['eth0', 'eth1', 'eth2', 'eth3'].filter((i) => existsSync(join(dir, `kernel-${i}.pcap`)));
    const tmp = recorded.length ? mkdtempSync(join(tmpdir(), 'cofw-golden-')) : undefined;
    const accepted = tmp ? join(tmp, 'accepted.pcapng') : undefined;
    const rules6File = existsSync(join(dir, 'rules.v6')) ? join(dir, 'rules.v6') : undefined;
    const ipsetsFile = existsSync(join(dir, 'ipsets')) ? join(dir, 'ipsets') : undefined;
    const machine = loadMachineFile(machineFile);
    const own = ownAddresses(machine);
    const opts: ReplayOptions = {
      ...(rules6File ? { rules6File } : {}),
      ...(ipsetsFile ? { ipsetsFile } : {}),
      rulesFile: join(dir, 'rules.v4'),
      machine,
      captures: [join(dir, existsSync(join(dir, 'capture.pcapng')) ? 'capture.pcapng' : 'capture.pcap')],
      ...(accepted ? { accepted } : {}),
      ...(workers > 1 ? { workers, workerUrl: await workerScript(), onNote: () => {} } : {}),
    };
    const result = shards ? await replayAsShards(opts, machineFile, shards) : await replay(opts);
    if (!result) {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
      return;
    }
    try {
      for (const i of recorded) {
        expect(await sentPackets(accepted!, own, i), `packets sent out of ${i}`).toEqual(await sentPackets(join(dir, `kernel-${i}.pcap`), own));
      }
    } finally {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    }
    expect(result.damage).toEqual([]);
    expect(result.oops).toBeUndefined();
    // Conservation: every frame has exactly one fate (replay asserts it too).
    const f = result.fates;
    expect(f.forwarded + f.delivered + f.sent + f.droppedByRule + f.droppedByPolicy + f.droppedByStack + f.bridged + f.failPolicy + f.outbound).toBe(
      result.framesIn,
    );
    // A scenario may name lines whose kernel counters come from the oracle's
    // own topology, not from netfilter (see its oracle-artifacts file).
    const artifactsFile = join(dir, 'oracle-artifacts');
    const artifacts = existsSync(artifactsFile)
      ? readFileSync(artifactsFile, 'utf8')
          .split('\n')
          .filter((l) => l && !l.startsWith('#'))
      : [];
    const keep = (l: string): boolean => !artifacts.some((a) => l.startsWith(a));
    expect(saveLines(result.save).filter(keep)).toEqual(saveLines(readFileSync(join(dir, 'kernel.save'), 'utf8')).filter(keep));
    // The connection tracking table, entry for entry, when the rules tracked connections
    // (`use=` counts the kernel's own references, e.g. packets waiting on ARP: not netfilter's state).
    // The kernel lists its table a moment after the capture ends (the oracle waits, then saves),
    // so its remaining timeouts may be one second lower than at the last packet.
    const ctFile = join(dir, 'kernel.conntrack');
    const kernelCt = existsSync(ctFile) ? readFileSync(ctFile, 'utf8').trim() : '';
    const ctEntries = (t: string): Array<{ key: string; timeout: number }> =>
      t
        .split('\n')
        .filter((l) => l)
        .map((l) => {
          const [proto = '', num = '', timeout = '', ...rest] = l.replace(/ use=\d+$/, '').split(/\s+/);
          return { key: `${proto} ${num} ${rest.join(' ')}`, timeout: Number(timeout) };
        })
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    if (kernelCt || result.conntrack) {
      const ours = ctEntries(result.conntrack ?? '');
      const theirs = ctEntries(kernelCt);
      expect(ours.map((e) => e.key)).toEqual(theirs.map((e) => e.key));
      ours.forEach((e, i) => expect(e.timeout - theirs[i]!.timeout, e.key).toBeOneOf([0, 1]));
    }
    // The ip6tables side: its counters and canonical text, and its conntrack entries (conntrack -L -f ipv6).
    if (rules6File) {
      expect(saveLines(result.save6 ?? '').filter(keep)).toEqual(saveLines(readFileSync(join(dir, 'kernel.save6'), 'utf8')).filter(keep));
      const ct6File = join(dir, 'kernel.conntrack6');
      const kernelCt6 = existsSync(ct6File) ? readFileSync(ct6File, 'utf8').trim() : '';
      const ours6 = ctEntries(result.conntrack6 ?? '');
      const theirs6 = ctEntries(kernelCt6);
      expect(ours6.map((e) => e.key)).toEqual(theirs6.map((e) => e.key));
      ours6.forEach((e, i) => expect(e.timeout - theirs6[i]!.timeout, e.key).toBeOneOf([0, 1]));
    }
    // The pending conntrack expectations (`conntrack -L expect -f ipv4`, and `-f ipv6`), when the scenario
    // recorded them: line for line, the remaining timeout within a second as for the entries.
    const expFile = join(dir, 'kernel.expect');
    if (existsSync(expFile)) {
      const exp6File = join(dir, 'kernel.expect6');
      const kernelExp = readFileSync(expFile, 'utf8') + (existsSync(exp6File) ? readFileSync(exp6File, 'utf8') : '');
      const split = (t: string): Array<{ key: string; timeout: number }> =>
        t
          .split('\n')
          .filter((l) => l)
          .map((l) => ({ key: l.replace(/^\d+ /, ''), timeout: Number(l.split(' ')[0]) }))
          .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const ours = split(result.conntrackExpect ?? '');
      const theirs = split(kernelExp);
      expect(ours.map((e) => e.key)).toEqual(theirs.map((e) => e.key));
      ours.forEach((e, i) => expect(e.timeout - theirs[i]!.timeout, e.key).toBeOneOf([0, 1]));
    }
    // The IP sets after the capture (`ipset save`), set by set: the create line and every entry with its
    // counters; the remaining timeouts within a second, as for conntrack. Not compared: the initval the
    // kernel drew, and the order of the entries (the kernel's hash buckets).
    if (ipsetsFile) {
      const sets = (t: string): Map<string, { create: string; adds: Array<{ key: string; timeout: number }> }> => {
        const out = new Map<string, { create: string; adds: Array<{ key: string; timeout: number }> }>();
        for (const l of t.split('\n').filter(Boolean)) {
          const name = l.split(' ')[1]!;
          if (l.startsWith('create ')) out.set(name, { create: l.replace(/ initval 0x[0-9a-f]+$/, ''), adds: [] });
          else {
            const m = / timeout (\d+)/.exec(l);
            out.get(name)!.adds.push({ key: l.replace(/ timeout \d+/, ''), timeout: m ? Number(m[1]) : -1 });
          }
        }
        for (const s of out.values()) s.adds.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
        return out;
      };
      const ours = sets(result.ipsets ?? '');
      const theirs = sets(readFileSync(join(dir, 'kernel.ipsets'), 'utf8'));
      expect([...ours.keys()]).toEqual([...theirs.keys()]);
      for (const [name, k] of theirs) {
        const o = ours.get(name)!;
        expect(o.create, name).toBe(k.create);
        expect(
          o.adds.map((e) => e.key),
          name,
        ).toEqual(k.adds.map((e) => e.key));
        o.adds.forEach((e, i) => expect(e.timeout - k.adds[i]!.timeout, e.key).toBeOneOf(e.timeout <= 0 ? [0] : [0, 1]));
      }
    }
  }
}
