/**
 * Replays on several workers (src/workers/) give the results of one guest:
 * a mixed capture (TCP handshakes and data both ways, UDP, pings, REJECTed
 * and LOGged packets with their generated replies, ICMP errors about a
 * connection, IPv6, ARP, fragments of one pair, a timestamp going back)
 * through a stateful rule set without state shared across connections,
 * replayed by the command line on one worker and on three: every output
 * byte for byte (captures, counters of both families, conntrack, console,
 * the JSON, HTML, text and JUnit reports), but for the machine's own
 * statistics (context switches, messages), which describe the run. And a
 * rule set with shared state runs on one worker and says why.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePcapFile } from '../src/capture/pcap-write.js';
import { EXPECT, MACHINE, RULES, RULES6, mixedFrames } from './mixed-fixture.js';
import { buildCli, removeCliBuild } from './cli-build.js';

let dir: string;
let bin: string;

beforeAll(async () => {
  bin = await buildCli();
  dir = mkdtempSync(join(tmpdir(), 'cofw-workers-'));
  writeFileSync(join(dir, 'machine.yaml'), MACHINE);
  writeFileSync(join(dir, 'rules.v4'), RULES);
  writeFileSync(join(dir, 'rules.v6'), RULES6);
  writeFileSync(join(dir, 'expect.yaml'), EXPECT);
  writePcapFile(join(dir, 'mixed.pcap'), mixedFrames(600));
});

afterAll(() => {
  removeCliBuild();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs `cofw replay` with every output into `out/`; returns stdout, stderr and the outputs by name. */
function run(out: string, rules: string, ...more: string[]): { code: number; stdout: string; stderr: string; files: Map<string, Buffer> } {
  const o = join(dir, out);
  return runWith(out, rules, ['-a', join(o, 'accepted.pcapng'), '--conntrack', join(o, 'conntrack'), '--report', join(o, 'report.html'), ...more]);
}

/** `run` with only the outputs every replay has (no accepted capture, no conntrack listing, no HTML) and `more`. */
function runWith(out: string, rules: string, more: string[]): { code: number; stdout: string; stderr: string; files: Map<string, Buffer> } {
  const o = join(dir, out);
  const r = spawnSync(
    process.execPath,
    [
      bin,
      'replay',
      join(dir, 'mixed.pcap'),
      '-r',
      join(dir, rules),
      '-6',
      join(dir, 'rules.v6'),
      '-m',
      join(dir, 'machine.yaml'),
      '-d',
      join(o, 'dropped.pcapng'),
      '-s',
      join(o, 'save.v4'),
      '--save6',
      join(o, 'save.v6'),
      '--console',
      join(o, 'console'),
      '--json',
      join(o, 'report.json'),
      '--expect',
      join(dir, 'expect.yaml'),
      '--junit',
      join(o, 'junit.xml'),
      '-q',
      ...more,
    ],
    { encoding: 'utf8', env: { ...process.env, COFW_OUT_DIR: o }, cwd: dir },
  );
  const files = new Map<string, Buffer>();
  for (const f of readdirSync(o)) files.set(f, readFileSync(join(o, f)));
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, files };
}

/** The machine's statistics (they describe the run, not the traffic), and the JUnit time stamps. */
const runFacts = (name: string, b: Buffer): string =>
  b
    .toString('utf8')
    .replace(/Machine: \d+ context switches, \d+ messages to the guest, \d+ to the host, \d+ bytes through the passage page/g, 'Machine: ...')
    .replace(/Machine: [\d\u202f,]+ context switches, [\d\u202f,]+ bytes through the passage page/g, 'Machine: ...')
    .replace(/"(switches|messagesToGuest|messagesToHost|bytesThroughPage)": \d+/g, '"$1": 0')
    .replace(name === 'junit.xml' ? /(timestamp|time)="[^"]*"/g : /$^/, '$1=""');

describe('replay on several workers', () => {
  it('writes what one worker writes, byte for byte', () => {
    for (const d of ['one', 'three']) spawnSync('mkdir', ['-p', join(dir, d)]);
    const one = run('one', 'rules.v4', '--workers', '1');
    const three = run('three', 'rules.v4', '--workers', '3');
    expect(one.stderr).toMatch(/^cofw: note: .* 7 frames in all whose timestamp goes back/);
    expect(three.stderr).toBe(one.stderr);
    expect(three.code).toBe(one.code);
    expect(three.stdout.replace(/Machine: .*/, '')).toBe(one.stdout.replace(/Machine: .*/, ''));
    expect([...three.files.keys()].sort()).toEqual([...one.files.keys()].sort());
    expect(one.files.size).toBe(9);
    for (const [name, b] of one.files) {
      const t = three.files.get(name)!;
      if (/\.(pcapng|v4|v6)$|^conntrack$|^console$/.test(name)) expect(t.equals(b), name).toBe(true);
      else expect(runFacts(name, t), name).toBe(runFacts(name, b));
    }
    // The capture is varied enough to say something.
    const json = JSON.parse(one.files.get('report.json')!.toString()) as { fates: Record<string, number>; framesIn: number };
    expect(json.framesIn).toBeGreaterThan(10_000);
    for (const k of ['forwarded', 'delivered', 'sent', 'droppedByRule', 'droppedByPolicy', 'generated', 'bridged']) expect(json.fates[k], k).toBeGreaterThan(0);
    expect(one.files.get('console')!.toString()).toContain('DROP25 ');
  });

  it('writes what one worker writes without an accepted capture or a conntrack listing (the guests then send neither)', () => {
    for (const d of ['lean1', 'lean3']) spawnSync('mkdir', ['-p', join(dir, d)]);
    const one = runWith('lean1', 'rules.v4', ['--workers', '1']);
    const three = runWith('lean3', 'rules.v4', ['--workers', '3']);
    expect(three.code).toBe(one.code);
    expect(three.stderr).toBe(one.stderr);
    expect(three.stdout.replace(/Machine: .*/, '')).toBe(one.stdout.replace(/Machine: .*/, ''));
    expect([...three.files.keys()].sort()).toEqual([...one.files.keys()].sort());
    expect(one.files.size).toBe(6);
    for (const [name, b] of one.files) {
      const t = three.files.get(name)!;
      if (/\.(pcapng|v4|v6)$|^console$/.test(name)) expect(t.equals(b), name).toBe(true);
      else expect(runFacts(name, t), name).toBe(runFacts(name, b));
    }
    // One guest's report lists no table without --conntrack; the workers' does not either.
    expect(one.files.get('report.json')!.toString()).not.toContain('"conntrack"');
  });

  it("replays again on one worker when the workers' conntrack tables could have filled one guest's", () => {
    writeFileSync(join(dir, 'small.yaml'), `${MACHINE}conntrack:\n  max: 2000\n`);
    spawnSync('mkdir', ['-p', join(dir, 'small')]);
    const r = run('small', 'rules.v4', '--workers', '3', '-m', join(dir, 'small.yaml'));
    // The table fills (early drop changes what the expectations see: exit 4 as on one worker).
    expect(r.code).toBe(4);
    expect(r.stderr.split('\n')[0]).toMatch(
      /^cofw: --workers 3: replaying again on one worker: the workers' conntrack tables held up to \d+ entries together, more than one table holds \(2000, nf_conntrack_max\)/,
    );
  });

  it('sums the accounting objects of the workers exactly (nfacct without a quota), starting counters counted once', () => {
    writeFileSync(join(dir, 'acct.yaml'), `${MACHINE}nfacct:\n  - {name: fwd, packets: 7, bytes: 700}\n  - {name: in}\n  - {name: none}\n`);
    writeFileSync(
      join(dir, 'acct.v4'),
      RULES.replace(':OUTPUT ACCEPT [0:0]\n', ':OUTPUT ACCEPT [0:0]\n-A FORWARD -m nfacct --nfacct-name fwd\n-A INPUT -m nfacct --nfacct-name in\n'),
    );
    for (const d of ['acct1', 'acct3']) spawnSync('mkdir', ['-p', join(dir, d)]);
    const more = (d: string): string[] => ['-m', join(dir, 'acct.yaml'), '--save-nfacct', join(dir, d, 'nfacct')];
    const one = run('acct1', 'acct.v4', '--workers', '1', ...more('acct1'));
    const three = run('acct3', 'acct.v4', '--workers', '3', ...more('acct3'));
    expect(three.stderr).toBe(one.stderr);
    const list = one.files.get('nfacct')!.toString();
    expect(three.files.get('nfacct')!.toString()).toBe(list);
    const lines = list.split('\n');
    expect(lines[0]).toMatch(/^\{ pkts = 0*[1-9]\d{3,}, bytes = \d+ \} = fwd;$/);
    expect(lines[1]).toMatch(/^\{ pkts = 0*[1-9]\d*, bytes = \d+ \} = in;$/);
    expect(lines[2]).toBe('{ pkts = 00000000000000000000, bytes = 00000000000000000000 } = none;');
    expect(runFacts('report.json', three.files.get('report.json')!)).toBe(runFacts('report.json', one.files.get('report.json')!));
  });

  it('runs a rule set with state shared across connections on one worker, and says why', () => {
    writeFileSync(join(dir, 'limit.v4'), RULES.replace('-A logdrop -p tcp --dport 25 -j LOG', '-A logdrop -p tcp --dport 25 -m limit --limit 3/min -j LOG'));
    spawnSync('mkdir', ['-p', join(dir, 'limit')]);
    const r = run('limit', 'limit.v4', '--workers', '2');
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n')[0]).toBe(
      'cofw: --workers 2: replaying on one worker: filter/logdrop rule 1: -m limit keeps one token bucket per rule for every packet that reaches it; sharding by connection would not give the same results',
    );
  });

  it('runs a rule set with a quota on one worker: the quota is used up as one guest uses it up', () => {
    writeFileSync(join(dir, 'quota.v4'), RULES.replace('--dport 443 -j ACCEPT', '--dport 443 -m quota --quota 20000 -j ACCEPT'));
    for (const d of ['quota1', 'quota2']) spawnSync('mkdir', ['-p', join(dir, d)]);
    const one = run('quota1', 'quota.v4', '--workers', '1');
    const two = run('quota2', 'quota.v4', '--workers', '2');
    expect(two.stderr.split('\n')[0]).toBe(
      'cofw: --workers 2: replaying on one worker: filter/FORWARD rule 2: -m quota counts the bytes of every packet that reaches it; sharding by connection would not give the same results',
    );
    const save = two.files.get('save.v4')!.toString();
    expect(save).toBe(one.files.get('save.v4')!.toString());
    // The quota ran out: it let through at most its 20000 bytes, and the rest of the HTTPS traffic went on to logdrop.
    const m = /\[(\d+):(\d+)\] -A FORWARD -i eth1 -o eth0 -p tcp -m tcp --dport 443 -m quota --quota 20000 -j ACCEPT/.exec(save);
    expect(m, save).not.toBeNull();
    expect(Number(m![2])).toBeGreaterThan(15000);
    expect(Number(m![2])).toBeLessThanOrEqual(20000);
    expect(two.files.get('accepted.pcapng')!.equals(one.files.get('accepted.pcapng')!)).toBe(true);
  });
});
