/**
 * Every error a user can cause with `cofw replay`'s outputs and inputs is a
 * message and an exit code, never a stack trace, and never costs a file:
 * an output that is an input or another output is refused before anything
 * is read or written; every output is opened before the replay, so a bad
 * path fails at once naming the option and the path; a write that fails (a
 * full disk) leaves every earlier file as it was and no temporary file.
 * Also: usage errors (--machine with --local, a capture name that says the
 * other format), control characters escaped in messages, a screenful of a
 * rule file's errors, and replay() stopped by a signal.
 */
import fs, { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openCaptures } from '../src/capture/index.js';
import { MAX_ERRORS_SHOWN } from '../src/cli/main.js';
import { printable } from '../src/cli/printable.js';
import { TEMP_SUFFIX } from '../src/io/output-file.js';
import { loadMachineFile } from '../src/machine/machine-file.js';
import { writePcapFile } from '../src/capture/pcap-write.js';
import { ethernet, ipv4, udp } from '../src/packet/build.js';
import { replay } from '../src/replay.js';
import { cofw, type Run } from './cli-run.js';

const root = join(import.meta.dirname, '..');
const SAMPLE = join(root, 'pcaps/sample.pcap');
const RULES = join(root, 'rules/sample.v4');
const MACHINE = join(root, 'machines/sample.yaml');

/** A user error: exit 1, one `cofw: ` message and no stack trace, nothing on stdout. */
function userError(r: Run, message: RegExp): void {
  expect(r.code, r.err).toBe(1);
  expect(r.out).toBe('');
  expect(r.err).toMatch(message);
  expect(r.err).not.toMatch(/\n\s+at /);
  expect(r.err).not.toContain('internal error');
}

let dir: string;
/** Files in `dir` with their contents, to show that nothing changed. */
const snapshot = (d = dir): Record<string, string> =>
  Object.fromEntries(readdirSync(d).map((n) => [n, statSync(join(d, n)).isFile() ? readFileSync(join(d, n), 'latin1') : '<dir>']));
const temps = (d = dir): string[] => readdirSync(d).filter((n) => n.endsWith(TEMP_SUFFIX));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cofw-errors-'));
});
afterEach(() => {
  vi.restoreAllMocks();
});

const replayArgs = (capture = SAMPLE): string[] => ['replay', capture, '--rules', RULES, '--machine', MACHINE, '-q'];

describe('an output that is an input or another output is refused before anything is read or written', () => {
  it('-a naming the capture: exit 1 naming the option and the path; the capture is untouched', async () => {
    const cap = join(dir, 'big.pcap');
    fs.copyFileSync(SAMPLE, cap);
    const before = snapshot();
    const r = await cofw(...replayArgs(cap), '-a', cap);
    userError(r, new RegExp(`^cofw: --accepted ${esc(cap)}: the same file as the capture ${esc(cap)}; cofw does not write over what it reads`));
    expect(snapshot()).toEqual(before);
  });

  it('a hard link, a symbolic link and another spelling of an input are the same file', async () => {
    const cap = join(dir, 'in.pcap');
    fs.copyFileSync(SAMPLE, cap);
    linkSync(cap, join(dir, 'hard.pcap'));
    symlinkSync(cap, join(dir, 'soft.pcap'));
    const rules = join(dir, 'rules.v4');
    fs.copyFileSync(RULES, rules);
    const machine = join(dir, 'm.yaml');
    fs.copyFileSync(MACHINE, machine);
    const before = snapshot();
    const cases: Array<[string[], RegExp]> = [
      [['-d', join(dir, 'hard.pcap')], /--dropped .*hard\.pcap: the same file as the capture .*in\.pcap/],
      [['--console', join(dir, 'soft.pcap')], /--console .*soft\.pcap: the same file as the capture/],
      [['--save', `${dir}/./rules.v4`], /--save .*rules\.v4: the same file as the rule file \(--rules\)/],
      [['--conntrack', rules], /--conntrack .*: the same file as the rule file/],
      [['--json', machine], /--json .*m\.yaml: the same file as the machine file \(--machine\)/],
    ];
    for (const [extra, message] of cases) {
      const r = await cofw('replay', cap, '--rules', rules, '--machine', machine, '-q', ...extra);
      userError(r, message);
    }
    expect(snapshot()).toEqual(before);
  });

  it('two outputs naming one file, existing or not: refused, nothing created', async () => {
    const x = join(dir, 'x.pcap');
    let r = await cofw(...replayArgs(), '-a', x, '-d', join(dir, '.', 'x.pcap'));
    userError(r, /^cofw: --dropped .*x\.pcap: the same file as --accepted .*x\.pcap; give each output a file of its own/);
    expect(readdirSync(dir)).toEqual([]);
    writeFileSync(join(dir, 'r.txt'), 'earlier');
    r = await cofw(...replayArgs(), '--save', join(dir, 'r.txt'), '--json', join(dir, 'r.txt'));
    userError(r, /--json .*r\.txt: the same file as --save/);
    expect(snapshot()).toEqual({ 'r.txt': 'earlier' });
  });

  it('--split-by captures that could replace an input are refused', async () => {
    const cap = join(dir, 'd-filter-INPUT-rule4.pcapng');
    fs.copyFileSync(SAMPLE, cap);
    const r = await cofw(...replayArgs(cap), '--split-by', 'rule', '--dropped', join(dir, 'd.pcapng'));
    userError(r, /^cofw: --split-by rule: its captures \(d-\*\.pcapng in .*\) could replace the capture .*d-filter-INPUT-rule4\.pcapng/);
    expect(readdirSync(dir)).toEqual(['d-filter-INPUT-rule4.pcapng']);
  });
});

describe('a bad output path fails before the replay, naming the option and the path; no earlier file is touched', () => {
  it('a missing folder, a folder, a file as folder, an unwritable folder', async () => {
    writeFileSync(join(dir, 'acc.pcap'), 'earlier accepted');
    writeFileSync(join(dir, 'plain'), '');
    // Root writes anyway into a read-only folder: /sys refuses new files even to root.
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    fs.chmodSync(ro, 0o555);
    let roWritable = true;
    try {
      fs.accessSync(ro, fs.constants.W_OK);
    } catch {
      roWritable = false;
    }
    const unwritable = roWritable ? '/sys/cofw-test.json' : join(ro, 'r.json');
    const before = snapshot();
    const cases: Array<[string[], RegExp]> = [
      [['--save', join(dir, 'no', 'such', 's.v4')], /^cofw: --save .*s\.v4: cannot write the output: the folder .*such does not exist; create it first\n$/],
      [['-d', dir], /^cofw: --dropped .*: cannot write the output: it is a folder/],
      [['--console', join(dir, 'plain', 'c.txt')], /^cofw: --console .*c\.txt: cannot write the output: .*plain is not a folder/],
      [
        ['--json', unwritable],
        /^cofw: --json .*\.json: (cannot write the output: the folder .* is not writable|cannot create a file in .*: permission denied)/,
      ],
      [['--split-by', 'rule', '--split-dir', join(dir, 'plain')], /^cofw: --split-dir .*plain: not a folder/],
    ];
    for (const [extra, message] of cases) {
      // -a names an existing file: it must not be emptied when a later output fails.
      const r = await cofw(...replayArgs(), '-a', join(dir, 'acc.pcap'), ...extra);
      userError(r, message);
      expect(snapshot()).toEqual(before);
    }
  });

  it('a full disk (/dev/full, and an injected ENOSPC) is exit 1 with the reason; earlier files stay, no temporary file', async () => {
    if (existsSync('/dev/full')) {
      const r = await cofw(...replayArgs(), '--json', '/dev/full');
      userError(r, /^cofw: --json \/dev\/full: cannot write it: no space left on the device \(the disk is full\)\n$/);
    }
    for (const option of ['--accepted', '--dropped', '--save', '--json', '--console']) {
      writeFileSync(join(dir, 'a.pcapng'), 'earlier a');
      writeFileSync(join(dir, 'd.pcapng'), 'earlier d');
      writeFileSync(join(dir, 's.v4'), 'earlier s');
      writeFileSync(join(dir, 'r.json'), 'earlier r');
      writeFileSync(join(dir, 'c.txt'), 'earlier c');
      const before = snapshot();
      const target = { '--accepted': 'a.pcapng', '--dropped': 'd.pcapng', '--save': 's.v4', '--json': 'r.json', '--console': 'c.txt' }[option]!;
      // The disk fills up when that output is written (descriptors other than stdout and stderr).
      const realWrite = fs.writeSync.bind(fs);
      let full = false;
      const spy = vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, ...rest: unknown[]) => {
        if (full && fd > 2) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        return (realWrite as (...a: unknown[]) => number)(fd, ...rest);
      }) as typeof fs.writeSync);
      const openSync = fs.openSync.bind(fs);
      vi.spyOn(fs, 'openSync').mockImplementation(((p: fs.PathLike, ...rest: unknown[]) => {
        if (String(p).includes(`.${target}.`)) full = true;
        return (openSync as (...a: unknown[]) => number)(p, ...rest);
      }) as typeof fs.openSync);
      const r = await cofw(
        ...replayArgs(),
        '-a',
        join(dir, 'a.pcapng'),
        '-d',
        join(dir, 'd.pcapng'),
        '--save',
        join(dir, 's.v4'),
        '--json',
        join(dir, 'r.json'),
        '--console',
        join(dir, 'c.txt'),
      );
      spy.mockRestore();
      vi.restoreAllMocks();
      // The first output opened after the target fills the disk too; any of them may be named.
      userError(r, /^cofw: --\S+ .*: cannot write it: no space left on the device \(the disk is full\)\n$/);
      expect(snapshot(), option).toEqual(before);
      expect(temps()).toEqual([]);
    }
  });
});

describe('an input error after the outputs were opened', () => {
  it('a bad rule file, machine file or capture: exit 1, every earlier output as it was, no temporary file', async () => {
    writeFileSync(join(dir, 'a.pcapng'), 'earlier a');
    writeFileSync(join(dir, 's.v4'), 'earlier s');
    const badRules = join(dir, 'bad.v4');
    writeFileSync(badRules, '*filter\n-A NOSUCH -j DROP\nCOMMIT\n');
    const badMachine = join(dir, 'bad.yaml');
    writeFileSync(badMachine, 'interfaces: 7\n');
    const notCapture = join(dir, 'text.pcap');
    writeFileSync(notCapture, 'hello\n');
    const before = snapshot();
    const outs = ['-a', join(dir, 'a.pcapng'), '--save', join(dir, 's.v4'), '--json', join(dir, 'new.json'), '-q'];
    for (const args of [
      ['replay', SAMPLE, '-r', badRules, '-m', MACHINE, ...outs],
      ['replay', SAMPLE, '-r', RULES, '-m', badMachine, ...outs],
      ['replay', notCapture, '-r', RULES, '-m', MACHINE, ...outs],
    ]) {
      const r = await cofw(...args);
      userError(r, /^cofw: /);
      expect(snapshot()).toEqual(before);
    }
  });
});

describe('usage errors (exit 2)', () => {
  it('--machine with --local', async () => {
    for (const cmd of [
      ['replay', SAMPLE, '-r', RULES],
      ['trace', SAMPLE, '-r', RULES, '-f', '1'],
    ]) {
      const r = await cofw(...cmd, '--machine', MACHINE, '--local', '198.51.100.1/24');
      expect(r.code).toBe(2);
      expect(r.err).toContain("error: --machine and --local both describe the firewall's addresses: give one");
      expect(r.out).toBe('');
    }
  });

  it('--out-format against the name, a compressed name, standard input twice', async () => {
    const cases: Array<[string[], string]> = [
      [['--out-format', 'pcap', '-d', join(dir, 'd.pcapng')], '--dropped ' + join(dir, 'd.pcapng') + ': the name says pcapng but --out-format is pcap'],
      [['--out-format', 'pcapng', '-a', join(dir, 'a.pcap')], 'the name says pcap but --out-format is pcapng'],
      [['-a', join(dir, 'a.pcap.gz')], 'cofw does not compress the captures it writes'],
    ];
    for (const [extra, message] of cases) {
      const r = await cofw(...replayArgs(), ...extra);
      expect(r.code).toBe(2);
      expect(r.err).toContain(message);
    }
    const twice = await cofw('replay', '-', '-', '-r', RULES, '-m', MACHINE);
    expect(twice.code).toBe(2);
    expect(twice.err).toContain('standard input (-) can be read only once');
    expect(readdirSync(dir)).toEqual([]);
    // A name that says nothing takes --out-format.
    const ok = await cofw(...replayArgs(), '--out-format', 'pcapng', '-a', join(dir, 'a.out'));
    expect(ok.code).toBe(0);
  });
});

describe('messages', () => {
  it('control characters from input files and names are escaped', async () => {
    expect(printable('a\x1b[2Jb\x07c\u202ed\te\nf\x9b')).toBe('a\\x1b[2Jb\\x07c\\u202ed\te\nf\\x9b');
    const bad = join(dir, 'bad\x1b[31m.v4');
    writeFileSync(bad, '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m no\x1b]0;owned\x07such -j DROP\nCOMMIT\n');
    const r = await cofw('check', bad);
    expect(r.code).toBe(1);
    // eslint-disable-next-line no-control-regex
    expect(r.err).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(r.err).toContain('bad\\x1b[31m.v4');
    const missing = await cofw('replay', join(dir, 'no\x1bsuch.pcap'), '-r', RULES, '-m', MACHINE);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no\\x1bsuch.pcap');
    expect(missing.err).not.toContain('\x1b');
  });

  it(`a rule file with many errors: ${MAX_ERRORS_SHOWN} listed, then how many more, then the count`, async () => {
    const bad = join(dir, 'many.v4');
    writeFileSync(bad, `*filter\n:INPUT ACCEPT [0:0]\n${'-A INPUT -m nosuch -j DROP\n'.repeat(500)}COMMIT\n`);
    const r = await cofw('check', bad);
    expect(r.code).toBe(1);
    const lines = r.err.trimEnd().split('\n');
    expect(lines).toHaveLength(MAX_ERRORS_SHOWN + 2);
    expect(lines[MAX_ERRORS_SHOWN]).toBe(`cofw: ... and ${500 - MAX_ERRORS_SHOWN} more errors in ${bad} (fix these first, then check again)`);
    expect(lines.at(-1)).toBe(`cofw: 500 errors in ${bad}`);
  });
});

describe('input files larger than any real one', () => {
  it('a rule file over 64 MiB or a machine file over 16 MiB: exit 1, its size and the limit, nothing read', async () => {
    const big = join(dir, 'huge.v4');
    writeFileSync(big, '');
    fs.truncateSync(big, 100 * 1024 * 1024); // sparse
    userError(await cofw('check', big), new RegExp(`${esc(big)}: the rule file is 100 MiB; cofw reads rule files of at most 64 MiB`));
    userError(await cofw('save', big), /the rule file is 100 MiB/);
    const huge = join(dir, 'huge.yaml');
    writeFileSync(huge, '');
    fs.truncateSync(huge, 17 * 1024 * 1024);
    userError(await cofw('check', RULES, '--machine', huge), /the machine file is 17 MiB; cofw reads machine files of at most 16 MiB/);
  });
});

describe('replay() stopped by a signal', () => {
  it('already aborted: nothing read, the outputs written and marked partial, complete: false', async () => {
    const ctrl = new AbortController();
    ctrl.abort('SIGTERM');
    const d = join(dir, 'd.pcapng');
    const r = await replay({ rulesFile: RULES, machine: loadMachineFile(MACHINE), captures: [SAMPLE], dropped: d, signal: ctrl.signal });
    expect(r.complete).toBe(false);
    expect(r.interrupted).toEqual({ reason: 'SIGTERM', framesRead: 0 });
    expect(r.framesIn).toBe(0);
    expect(readFileSync(d).toString('latin1')).toContain('cofw: PARTIAL: the replay was interrupted (SIGTERM) before the first frame');
    let n = 0;
    for await (const _ of openCaptures([d]).frames) n++;
    expect(n).toBe(0);
  });

  it('aborted mid-way: the frames read are replayed, counted and written; the rest is not read', async () => {
    const cap = join(dir, 'many.pcap');
    writePcapFile(
      cap,
      Array.from({ length: 3000 }, (_, i) => ({
        tsNs: 1_700_000_000_000_000_000n + BigInt(i) * 1000n,
        data: ethernet(
          { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' },
          ipv4({ src: `203.0.113.${i % 200}`, dst: '198.51.100.1' }, udp({ sport: 1000 + i, dport: 53 })),
        ),
      })),
    );
    const ctrl = new AbortController();
    const a = join(dir, 'a.pcapng');
    const d = join(dir, 'd.pcapng');
    // onProgress comes every 1024 frames: the replay stops after the first 1024.
    const split = join(dir, 'split');
    const r = await replay({
      rulesFile: RULES,
      machine: loadMachineFile(MACHINE),
      captures: [cap],
      accepted: a,
      dropped: d,
      splitBy: 'rule',
      splitDir: split,
      signal: ctrl.signal,
      onProgress: () => ctrl.abort('SIGINT'),
    });
    expect(r.complete).toBe(false);
    expect(r.interrupted).toEqual({ reason: 'SIGINT', framesRead: 1024, lastFrame: { number: 1024, file: cap, record: 1024 } });
    expect(r.framesIn).toBe(1024);
    const f = r.fates;
    expect(f.forwarded + f.delivered + f.sent + f.droppedByRule + f.droppedByPolicy + f.droppedByStack + f.bridged + f.failPolicy + f.outbound).toBe(1024);
    let n = 0;
    for (const out of [a, d]) {
      expect(readFileSync(out).toString('latin1')).toContain(`cofw: PARTIAL: the replay was interrupted (SIGINT) after frame 1024 (${cap}, record 1024)`);
      for await (const _ of openCaptures([out]).frames) n++;
    }
    expect(n).toBe(1024 + r.generated);
    expect(temps()).toEqual([]);
    // The split captures say so too.
    expect(r.split!.length).toBeGreaterThan(0);
    for (const f of r.split!) expect(readFileSync(f.file).toString('latin1')).toContain('cofw: PARTIAL: the replay was interrupted (SIGINT) after frame 1024');
    expect(temps(split)).toEqual([]);
  });
});

/** `s` as a regular expression that matches it literally. */
function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
