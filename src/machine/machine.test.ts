import { Family } from '../packet/inet-addr.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FateKind, type Fate } from '../netfilter/fate.js';
import { RuleFileError, RuleFileErrors } from '../netfilter/rules/api.js';
import type { Ruleset } from '../netfilter/rules/model.js';
import type { StackOptions } from '../net/ipv4/stack.js';
import { fileBlockDevice, memoryBlockDevice } from './cobd.js';
import type { GuestDeps } from './guest.js';
import { Machine, kernelTimestamp } from './machine.js';
import { defaultMachine } from './machine-file.js';
import { Module, MsgType, type FateMsg } from './passage/index.js';

const SPEC = defaultMachine([0xc6336401]);
const T0 = 1_000_000_000_000n;

/** A fake guest: every frame is delivered (one fate), and the rule text is kept for inspection. */
function fakeGuest(opts: { throwOn?: number; rulesSeen?: string[]; onStack?: (o: StackOptions) => void } = {}): GuestDeps {
  return {
    loadRuleset(text, file): Ruleset {
      opts.rulesSeen?.push(text);
      if (text.startsWith('BAD')) throw new RuleFileError('bad thing here', file, 2, 5);
      if (text.startsWith('MANY')) throw new RuleFileErrors([new RuleFileError('one', file, 1, 1), new RuleFileError('two', file, 4, 2)]);
      return { family: Family.V4, tables: new Map(), file };
    },
    createStack(o) {
      opts.onStack?.(o);
      return {
        setClock() {},
        receive(unit, frame, frameNo) {
          if (frameNo === opts.throwOn) throw new Error(`fake fault on ${frameNo}`);
          o.printk(6, `rx ${frameNo} on ${unit}`);
          o.fate({ kind: FateKind.Delivered, frameNo, unit: -1 });
        },
        output(frame, frameNo) {
          o.printk(6, `tx ${frameNo} `.padEnd(150, '.'));
          o.fate({ kind: FateKind.Sent, frameNo, unit: 0, frame });
        },
      };
    },
    saveRuleset: (_rs, o) => (o.counters ? '*filter\n[1:2] -A INPUT -j ACCEPT\nCOMMIT\n' : '*filter\n-A INPUT -j ACCEPT\nCOMMIT\n'),
  };
}

function machine(deps: GuestDeps, rules = 'ok rules', pageSize?: number): { m: Machine; fates: FateMsg[] } {
  const fates: FateMsg[] = [];
  const m = new Machine({
    spec: SPEC,
    rulesFile: 'r.v4',
    disks: [memoryBlockDevice('r.v4', new TextEncoder().encode(rules))],
    guest: deps,
    onFate: (f) => fates.push({ ...f }),
    ...(pageSize ? { pageSize } : {}),
  });
  return { m, fates };
}

describe('the cooperative machine', () => {
  it('boots, batches frames both ways and counts switches and messages', () => {
    const { m, fates } = machine(fakeGuest());
    m.boot(T0);
    expect(m.running).toBe(true);
    expect(m.booted).toEqual({ rules: 0, tables: 0 });
    const bootSwitches = m.stats.switches;
    const toGuest0 = m.stats.messagesToGuest;
    for (let i = 1; i <= 50; i++) m.deliver(0, { frameNo: i, tsNs: T0 + BigInt(i) * 1000n, output: false, data: new Uint8Array(60) });
    // 50 small frames fit in one page: no switch yet.
    expect(m.stats.switches).toBe(bootSwitches);
    m.settle();
    // One round trip handled the whole batch.
    expect(m.stats.switches).toBe(bootSwitches + 2);
    expect(m.stats.messagesToGuest - toGuest0).toBe(50);
    expect(fates.map((f) => f.frameNo)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(fates[49]!.tsNs).toBe(T0 + 50_000n);
    const save = m.shutdown();
    expect(save).toContain('[1:2]');
    expect(m.running).toBe(false);
    expect(m.termination).toMatchObject({ reason: 'POWEROFF', oops: false });
    // 50 fates + 50 console lines + boot lines, save texts, booted, terminate.
    expect(m.stats.messagesToHost).toBeGreaterThan(100);
    expect(m.stats.bytesThroughPage).toBe(m.page.bytesWritten);
    expect(m.console).toContain('[    0.000050] rx 50 on 0');
  });

  it('switches when the page is full, and the guest yields when its replies fill it', () => {
    const { m, fates } = machine(fakeGuest(), 'ok', 2048);
    m.boot(T0);
    const s0 = m.stats.switches;
    for (let i = 1; i <= 40; i++) m.deliver(0, { frameNo: i, tsNs: T0, output: true, data: new Uint8Array(200) });
    m.settle();
    expect(fates.length).toBe(40);
    expect(fates.every((f) => f.kind === FateKind.Sent && f.frame!.length === 200)).toBe(true);
    // A 2 KiB page holds a few 200-byte frames: many switches, each with a batch.
    const switches = m.stats.switches - s0;
    // 9 frames fill the page; their fates and console lines need two pages, so the guest
    // yields once inside each batch: about 4 switches per batch of 9.
    expect(switches).toBeGreaterThanOrEqual(4 * Math.floor(40 / 9));
    expect(switches).toBeLessThan(40);
    expect(m.console.filter((l) => l.includes('tx ')).length).toBe(40);
  });

  it('carries a frame larger than a chunk in pieces', () => {
    const { m, fates } = machine(fakeGuest(), 'ok', 4096);
    m.boot(T0);
    const big = Uint8Array.from({ length: 9000 }, (_, i) => i & 255);
    m.deliver(0, { frameNo: 1, tsNs: T0, output: true, data: big });
    m.settle();
    expect(fates[0]!.frame).toEqual(big);
  });

  it('reads a rule file larger than the page from cobd0 in several block reads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cofw-cobd-'));
    const path = join(dir, 'big.v4');
    const text = Array.from({ length: 3000 }, (_, i) => `# line ${i} ${'x'.repeat(40)}`).join('\n');
    writeFileSync(path, text);
    const seen: string[] = [];
    const fates: Fate[] = [];
    const m = new Machine({
      spec: SPEC,
      rulesFile: path,
      disks: [fileBlockDevice(path)],
      guest: fakeGuest({ rulesSeen: seen }),
      onFate: (f) => fates.push({ ...f }),
    });
    m.boot(T0);
    expect(text.length).toBeGreaterThan(2 * 64 * 1024);
    expect(seen).toEqual([text]);
    expect(m.console).toContain(`[    0.000000] cobd0: ${text.length} bytes`);
    // open + stat + ceil(size / 16 KiB) reads + close, each a DEVICE round trip.
    expect(m.stats.switches).toBeGreaterThanOrEqual(2 * (3 + Math.ceil(text.length / 16384)));
  });

  it('raises the guest init failure as RuleFileError(s) with positions', () => {
    const { m } = machine(fakeGuest(), 'BAD rules');
    let err: unknown;
    try {
      m.boot(T0);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RuleFileError);
    expect(err).toMatchObject({ file: 'r.v4', line: 2, column: 5, message: 'r.v4:2:5: bad thing here' });
    expect(m.console.some((l) => l.includes('iptables-restore: r.v4:2:5: bad thing here'))).toBe(true);
    expect(m.termination).toMatchObject({ reason: 'HALT', oops: false });
    const { m: m2 } = machine(fakeGuest(), 'MANY');
    expect(() => m2.boot(T0)).toThrow(RuleFileErrors);
  });

  it('an exception in the guest is an oops: console report, PANIC, host survives', () => {
    const { m, fates } = machine(fakeGuest({ throwOn: 3 }));
    m.boot(T0);
    for (let i = 1; i <= 5; i++) m.deliver(0, { frameNo: i, tsNs: T0 + BigInt(i) * 1_000_000_000n, output: false, data: new Uint8Array(60) });
    m.settle();
    expect(m.running).toBe(false);
    expect(fates.map((f) => f.frameNo)).toEqual([1, 2]);
    expect(m.termination).toMatchObject({ reason: 'PANIC', frameNo: 3, oops: true });
    expect(m.console.join('\n')).toMatch(/\[\s+3\.000000\] Oops: Error: fake fault on 3/);
    expect(m.console.join('\n')).toContain('Handling: frame 3 on eth0');
    expect(m.deliver(0, { frameNo: 6, tsNs: T0, output: false, data: new Uint8Array(60) })).toBe(false);
    expect(m.shutdown()).toBeUndefined();
  });

  it('a guest writing a malformed message is stopped (BUG), the host survives', () => {
    let opts: StackOptions | undefined;
    const { m } = machine(fakeGuest({ onStack: (o) => (opts = o) }));
    m.boot(T0);
    // The guest forges a fate with an unknown kind through its own stack callback.
    opts!.fate({ kind: 77 as FateKind, frameNo: 1, unit: -1 });
    m.deliver(0, { frameNo: 1, tsNs: T0, output: false, data: new Uint8Array(60) });
    m.settle();
    expect(m.running).toBe(false);
    expect(m.termination).toMatchObject({ reason: 'BUG', oops: true });
    expect(m.termination!.message).toContain('unknown fate kind 77');
  });

  it('formats kernel timestamps', () => {
    expect(kernelTimestamp(1_234_567_890n)).toBe('[    1.234567] ');
    expect(kernelTimestamp(123_456_000_000_000n)).toBe('[123456.000000] ');
    expect(Module.COBD0 + 0).toBe(24);
    expect(MsgType.BlkReply).toBe(52);
  });
});
