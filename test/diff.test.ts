/**
 * `cofw diff` on golden scenarios: a rule set compared with itself changes
 * nothing (exit 0); a rule changed from DROP to ACCEPT or REJECT changes
 * the fate of exactly the packets the kernel counted for it (kernel.save),
 * and only theirs (exit 4); IPv6 (--rules6-new); expectations on the new
 * side; the per-frame log the two replays share.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FrameFateLog } from '../src/report/diff.js';
import { cofw, HAVE_XMLLINT, xmlSchemaErrors } from './cli-run.js';

const golden = join(import.meta.dirname, 'golden');
const MACHINE = join(golden, 'machine.yaml');
const FB = join(golden, 'filter-basic');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cofw-diff-'));
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** The kernel's packet counter of rule `n` of `chain` in a kernel.save. */
function kernelHits(save: string, chain: string, n: number): number {
  const lines = save.split('\n').filter((l) => new RegExp(`^\\[\\d+:\\d+\\] -A ${chain} `).test(l));
  return Number(/^\[(\d+):/.exec(lines[n - 1]!)![1]);
}

/** A copy of a rule file with one line replaced. */
function edited(from: string, name: string, line: string, to: string): string {
  const text = readFileSync(from, 'utf8');
  expect(text).toContain(`${line}\n`);
  const path = join(dir, name);
  writeFileSync(path, text.replace(`${line}\n`, `${to}\n`));
  return path;
}

describe('cofw diff', () => {
  it('a rule set compared with itself: nothing changes (exit 0)', async () => {
    const json = join(dir, 'same.json');
    const r = await cofw(
      'diff',
      join(FB, 'capture.pcap'),
      '--rules',
      join(FB, 'rules.v4'),
      '--rules-new',
      join(FB, 'rules.v4'),
      '--machine',
      MACHINE,
      '-q',
      '--json',
      json,
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/293 frames replayed through each; 0 \(0 bytes\) in 0 connections change fate/);
    const d = JSON.parse(readFileSync(json, 'utf8'));
    expect(d.summary).toMatchObject({ frames: 293, differing: 0, connections: 0 });
    expect(d.connections).toEqual([]);
    expect(d.rules).toEqual([]);
  });

  it('DROP to ACCEPT and DROP to REJECT: the packets the kernel counted for those rules change, and no others (exit 4)', async () => {
    const save = readFileSync(join(FB, 'kernel.save'), 'utf8');
    const banned = kernelHits(save, 'INPUT', 3);
    const ssh = kernelHits(save, 'INPUT', 7);
    expect(banned).toBeGreaterThan(0);
    expect(ssh).toBeGreaterThan(0);
    let next = edited(join(FB, 'rules.v4'), 'fb1.v4', '-A INPUT -s 192.0.2.66 -j DROP', '-A INPUT -s 192.0.2.66 -j ACCEPT');
    next = edited(next, 'fb2.v4', '-A INPUT ! -i eth1 -p tcp --dport 22 -j DROP', '-A INPUT ! -i eth1 -p tcp --dport 22 -j REJECT');
    const json = join(dir, 'changed.json');
    const r = await cofw('diff', join(FB, 'capture.pcap'), '--rules', join(FB, 'rules.v4'), '--rules-new', next, '--machine', MACHINE, '-q', '--json', json);
    expect(r.code).toBe(4);
    const d = JSON.parse(readFileSync(json, 'utf8'));
    expect(d.summary.differing).toBe(banned + ssh);
    const by = Object.fromEntries(d.summary.byChange.map((c: { old: string; new: string; packets: number }) => [`${c.old}>${c.new}`, c.packets]));
    expect(by).toEqual({ 'dropped>delivered': banned, 'dropped>rejected': ssh });
    // Grouped by connection, with the deciding rule and its text on each side.
    for (const c of d.connections) {
      for (const ch of c.changes) {
        if (ch.new.fate === 'delivered') {
          expect(c.src).toBe('192.0.2.66');
          expect(ch.old).toEqual({ fate: 'dropped', decider: 'filter:INPUT:3', rule: '-A INPUT -s 192.0.2.66/32 -j DROP' });
          expect(ch.new).toEqual({ fate: 'delivered', decider: 'filter:INPUT:3', rule: '-A INPUT -s 192.0.2.66/32 -j ACCEPT' });
        } else {
          expect(c.dport).toBe(22);
          expect(ch.old.decider).toBe('filter:INPUT:7');
          expect(ch.new.rule).toBe('-A INPUT ! -i eth1 -p tcp -m tcp --dport 22 -j REJECT --reject-with icmp-port-unreachable');
        }
        expect(ch.frames.length).toBeLessThanOrEqual(5);
      }
      expect(c.first <= c.last).toBe(true);
      expect(c.first).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    }
    expect(d.connections.reduce((n: number, c: { packets: number }) => n + c.packets, 0)).toBe(banned + ssh);
    // The rules only one side hits: the two changed ones, on each side, with their lines.
    expect(d.rules.map((x: { side: string; rule: number; line: number; hits: number }) => [x.side, x.rule, x.line, x.hits])).toEqual([
      ['old', 3, 9, banned],
      ['old', 7, 13, ssh],
      ['new', 3, 9, banned],
      ['new', 7, 13, ssh],
    ]);
    expect(r.out).toContain(`${banned + ssh} (`);
    expect(r.out).toMatch(/dropped \(filter:INPUT:3\) -> delivered \(filter:INPUT:3\) {2}frames \d+/);
  });

  it('IPv6: --rules6-new alone (ufw6); only IPv6 connections change', async () => {
    const d6 = join(golden, 'ufw6');
    const next = edited(
      join(d6, 'rules.v6'),
      'ufw6.v6',
      '-A ufw6-user-input -p tcp -m tcp --dport 22 -j ACCEPT',
      '-A ufw6-user-input -p tcp -m tcp --dport 22 -j DROP',
    );
    const hits = Number(/^\[(\d+):\d+\] -A ufw6-user-input -p tcp -m tcp --dport 22 -j ACCEPT$/m.exec(readFileSync(join(d6, 'kernel.save6'), 'utf8'))![1]);
    const json = join(dir, 'v6.json');
    const r = await cofw(
      'diff',
      join(d6, 'capture.pcap'),
      '--rules',
      join(d6, 'rules.v4'),
      '--rules6',
      join(d6, 'rules.v6'),
      '--rules6-new',
      next,
      '--machine',
      join(d6, 'machine.yaml'),
      '-q',
      '--json',
      json,
    );
    expect(r.code).toBe(4);
    const d = JSON.parse(readFileSync(json, 'utf8'));
    expect(d.connections.length).toBeGreaterThan(0);
    for (const c of d.connections) {
      expect(c.src).toContain(':');
      expect([c.sport, c.dport]).toContain(22);
    }
    // The packets the kernel accepted by that rule are now dropped by it (and later packets of their connections, no longer
    // established, meet it too).
    type Change = { old: { fate: string; decider: string }; new: { fate: string; decider: string }; packets: number };
    const changes: Change[] = d.connections.flatMap((c: { changes: Change[] }) => c.changes);
    const rule = 'ip6:filter:ufw6-user-input:1';
    const sum = (l: Change[]): number => l.reduce((n, ch) => n + ch.packets, 0);
    expect(sum(changes.filter((ch) => ch.old.decider === rule && ch.new.decider === rule))).toBe(hits);
    expect(sum(changes.filter((ch) => ch.new.decider === rule))).toBeGreaterThanOrEqual(hits);
    for (const ch of changes) expect(ch.new.fate).toBe('dropped');
    expect(r.out).toMatch(/tcp \[2001:db8:[0-9a-f:]+\]:\d+ -> \[2001:db8:[0-9a-f:]+\]:22/);
  });

  it('--expect checks the new rules; --junit writes their results', async () => {
    const next = edited(join(FB, 'rules.v4'), 'fb3.v4', '-A INPUT -s 192.0.2.66 -j DROP', '-A INPUT -s 192.0.2.66 -j ACCEPT');
    const exp = join(dir, 'diff-expect.yaml');
    writeFileSync(exp, '- name: the banned host stays out\n  from: 192.0.2.66\n  to: 192.0.2.1\n  fate: dropped\n');
    const junit = join(dir, 'diff.xml');
    const r = await cofw(
      'diff',
      join(FB, 'capture.pcap'),
      '--rules',
      join(FB, 'rules.v4'),
      '--rules-new',
      next,
      '--machine',
      MACHINE,
      '-q',
      '--expect',
      exp,
      '--junit',
      junit,
    );
    expect(r.code).toBe(4);
    expect(r.out).toContain(`Expectations (${exp}, on the new rules): 0 passed, 1 failed`);
    expect(r.out).toMatch(/FAIL {2}the banned host stays out \(line 1\): 6 of 6 packets not dropped/);
    if (HAVE_XMLLINT) expect(xmlSchemaErrors(junit, join(import.meta.dirname, 'fixtures/junit/junit.xsd'))).toBe('');
  });

  it('usage errors (exit 2)', async () => {
    expect((await cofw('diff', join(FB, 'capture.pcap'), '--rules', join(FB, 'rules.v4'))).code).toBe(2);
    expect((await cofw('diff', join(FB, 'capture.pcap'))).code).toBe(2);
  });
});

describe('the per-frame fate log', () => {
  it('keeps records in any order across pages with a bounded cache, and reads back zeros for frames never set', () => {
    const log = new FrameFateLog(dir);
    try {
      const n = 200_000;
      // In order, except every 1000th frame, which comes 100,000 frames late (a fragment the guest held), across ~25 pages (16 cached).
      const late: number[] = [];
      for (let f = 1; f <= n; f++) {
        if (f % 1000 === 0) late.push(f);
        else log.set(f, (f % 9) + 1, f * 3);
        if (late.length && late[0]! + 100_000 <= f) log.set(late.shift()!, 7, 42);
      }
      for (const f of late) log.set(f, 7, 42);
      // Then a few out of any order.
      for (let i = 0, f = 17; i < 2000; i++, f = ((f + 7919) % n) + 1) if (f % 1000) log.set(f, (f % 9) + 1, f * 3);
      for (let f = 1; f <= n; f += 37) expect(log.get(f)).toEqual(f % 1000 ? { code: (f % 9) + 1, id: f * 3 } : { code: 7, id: 42 });
      expect(log.get(n + 5)).toEqual({ code: 0, id: 0 });
      expect(log.get(n + 100_000)).toEqual({ code: 0, id: 0 });
    } finally {
      log.close();
    }
  });
});
