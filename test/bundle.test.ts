/**
 * The command as users run it: package.json's `bin` is the single-file
 * bundle dist/cofw.mjs (scripts/bundle.mjs, after tsc, in `npm run build`),
 * with the replay workers' own bundle dist/cofw-worker.mjs beside it. The
 * bundle must do what tsc's dist/cli/bin.js does, byte for byte: the
 * version, a replay with every output, an error; `--workers 2` must start
 * its threads from the worker bundle (a thread that cannot load it makes the
 * replay start again on one worker, with a note on stderr), and shard runs
 * and their merge must work from it too.
 *
 * Needs a build (`npm ci` runs it through `prepare`, or `npm run build`);
 * without dist/cofw.mjs the tests skip and say so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('..', import.meta.url));
const bundle = join(repo, 'dist', 'cofw.mjs');
const tscBin = join(repo, 'dist', 'cli', 'bin.js');
const built = existsSync(bundle) && existsSync(tscBin);
const NOT_BUILT = 'dist/cofw.mjs is missing: run `npm run build` (npm ci runs it) to check the bundled command';

const sample = ['replay', join(repo, 'pcaps', 'sample.pcap'), '-r', join(repo, 'rules', 'sample.v4'), '-m', join(repo, 'machines', 'sample.yaml'), '-q'];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cofw-bundle-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  files: Map<string, Buffer>;
}

/** Runs `script` with `args`; with `out`, adds every output of a replay into that folder and reads them back. */
function run(script: string, args: string[], out?: string): Run {
  const more: string[] = [];
  if (out) {
    const o = join(dir, out);
    mkdirSync(o, { recursive: true });
    more.push('-a', join(o, 'accepted.pcap'), '-d', join(o, 'dropped.pcap'), '-s', join(o, 'save.v4'), '--conntrack', join(o, 'conntrack'));
    more.push('--console', join(o, 'console'), '--json', join(o, 'report.json'), '--report', join(o, 'report.html'));
  }
  const r = spawnSync(process.execPath, [script, ...args, ...more], { encoding: 'utf8', cwd: dir });
  const files = new Map<string, Buffer>();
  if (out) for (const f of readdirSync(join(dir, out))) files.set(f, readFileSync(join(dir, out, f)));
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, files };
}

/** The machine's statistics describe the run (how many guests, how many messages), not the traffic. */
const runFacts = (b: Buffer | string): string =>
  b
    .toString()
    .replace(/Machine: [^\n<]*/g, 'Machine: ...')
    .replace(/"(switches|messagesToGuest|messagesToHost|bytesThroughPage)": ?\d+/g, '"$1": 0');

describe('the bundled command (dist/cofw.mjs)', () => {
  it("is package.json's bin: a launcher with its shebang, the command's bundle with its source map and code cache, the worker's bundle", (ctx) => {
    ctx.skip(!built, NOT_BUILT);
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin).toEqual({ cofw: 'dist/cofw.mjs' });
    const text = readFileSync(bundle, 'utf8');
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(bundle).mode & 0o111, 'executable').not.toBe(0);
    for (const [file, source] of [
      ['cofw-main.cjs', '../src/cli/main.ts'],
      ['cofw-worker.mjs', '../src/workers/worker.ts'],
    ] as const) {
      const js = readFileSync(join(repo, 'dist', file), 'utf8');
      expect(js.trimEnd().endsWith(`//# sourceMappingURL=${file}.map`), file).toBe(true);
      // Back through tsc's maps to the TypeScript sources, for `node --enable-source-maps`.
      const map = JSON.parse(readFileSync(join(repo, 'dist', `${file}.map`), 'utf8')) as { sources: string[] };
      expect(map.sources).toContain(source);
    }
    // One file: nothing of cofw's own is loaded at run time but the bundle, only Node's modules.
    const main = readFileSync(join(repo, 'dist', 'cofw-main.cjs'), 'utf8');
    expect([...main.matchAll(/\brequire\(["']([^"']+)["']\)/g)].map((m) => m[1]).filter((s) => !s!.startsWith('node:') && !/^[a-z_]+$/.test(s!))).toEqual([]);
    expect([...text.matchAll(/^import .* from ["']([^"']+)["'];?$/gm)].map((m) => m[1]).filter((s) => !s!.startsWith('node:'))).toEqual([]);
    // Strict mode, as the ES modules it is made of: the directive must open the script.
    expect(main.startsWith("\n'use strict';\n")).toBe(true);
  });

  it('starts from the code cache the build made, which this Node accepts', (ctx) => {
    ctx.skip(!built, NOT_BUILT);
    // As the launcher compiles the bundle: V8 rejects a cache made from another source, by another V8 or with other flags.
    const probe = `
      const { readFileSync } = require('node:fs'); const { Script } = require('node:vm');
      const file = ${JSON.stringify(join(repo, 'dist', 'cofw-main.cjs'))};
      const s = new Script('(function (exports, require, module, __filename, __dirname) {' + readFileSync(file, 'utf8') + '\\n})', { filename: file, cachedData: readFileSync(${JSON.stringify(join(repo, 'dist', 'cofw-main.cache'))}) });
      console.log(s.cachedDataRejected);`;
    const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('false\n');
    // Without it, or with source maps on (Node's own loader), the command is the same.
    const hidden = join(dir, 'cache-aside');
    renameSync(join(repo, 'dist', 'cofw-main.cache'), hidden);
    try {
      expect(run(bundle, ['--version']).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    } finally {
      renameSync(hidden, join(repo, 'dist', 'cofw-main.cache'));
    }
    const mapped = spawnSync(process.execPath, ['--enable-source-maps', bundle, 'check', join(repo, 'rules', 'sample.v4')], { encoding: 'utf8' });
    const plain = run(bundle, ['check', join(repo, 'rules', 'sample.v4')]);
    expect({ code: mapped.status, stdout: mapped.stdout, stderr: mapped.stderr }).toEqual({ code: plain.code, stdout: plain.stdout, stderr: plain.stderr });
  });

  it('prints what dist/cli/bin.js prints: the version, a replay with every output, an error', (ctx) => {
    ctx.skip(!built, NOT_BUILT);
    for (const args of [['--version'], ['check', join(repo, 'rules', 'sample.v4')], ['replay', 'missing.pcap', '-r', join(repo, 'rules', 'sample.v4')]]) {
      const b = run(bundle, args);
      const t = run(tscBin, args);
      expect({ code: b.code, stdout: b.stdout, stderr: b.stderr }, args.join(' ')).toEqual({ code: t.code, stdout: t.stdout, stderr: t.stderr });
    }
    expect(run(bundle, ['--version']).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(run(bundle, ['replay', 'missing.pcap', '-r', 'x']).code).toBe(1);
    const b = run(bundle, sample, 'bundle');
    const t = run(tscBin, sample, 'tsc');
    expect(b.code).toBe(0);
    expect(b.stdout).toBe(t.stdout);
    expect(b.stderr).toBe(t.stderr);
    expect([...b.files.keys()].sort()).toEqual([...t.files.keys()].sort());
    expect(b.files.size).toBe(7);
    for (const [name, data] of t.files) expect(b.files.get(name)!.equals(data), name).toBe(true);
  });

  it('replays on two worker threads started from dist/cofw-worker.mjs, with the results of one', (ctx) => {
    ctx.skip(!built, NOT_BUILT);
    const one = run(bundle, sample, 'one');
    const two = run(bundle, [...sample, '--workers', '2'], 'two');
    // A worker that could not load its script would have made the replay start again on one, saying so.
    expect(two.stderr).toBe('');
    expect(two.code).toBe(0);
    expect(runFacts(two.stdout)).toBe(runFacts(one.stdout));
    for (const [name, data] of one.files) {
      if (/\.(json|html)$/.test(name)) expect(runFacts(two.files.get(name)!), name).toBe(runFacts(data));
      else expect(two.files.get(name)!.equals(data), name).toBe(true);
    }
    // Two guests ran: their statistics are the sum of two machines'.
    const stats = (r: Run): { switches: number } => (JSON.parse(r.files.get('report.json')!.toString()) as { stats: { switches: number } }).stats;
    expect(stats(two).switches).toBeGreaterThan(stats(one).switches);
  });

  it('runs shards and merges them (`--shard`, `cofw merge`)', (ctx) => {
    ctx.skip(!built, NOT_BUILT);
    for (const i of [0, 1]) {
      const s = run(bundle, [...sample, '--shard', `${i}/2`, '--shard-dir', join(dir, `shard${i}`)]);
      expect(s.stderr).toBe('');
      expect(s.code).toBe(0);
    }
    mkdirSync(join(dir, 'merged'));
    const m = spawnSync(process.execPath, [bundle, 'merge', join(dir, 'shard0'), join(dir, 'shard1'), '-q', '-s', join(dir, 'merged', 'save.v4')], {
      encoding: 'utf8',
    });
    expect(m.stderr).toBe('');
    expect(m.status).toBe(0);
    const one = join(dir, 'one', 'save.v4');
    if (!existsSync(one)) run(bundle, sample, 'one');
    expect(readFileSync(join(dir, 'merged', 'save.v4'), 'utf8')).toBe(readFileSync(one, 'utf8'));
  });
});
