#!/usr/bin/env node
/**
 * The command as one file (`npm run build` runs this after tsc): Node's ES
 * module loader resolves, reads and compiles each of cofw's ~250 modules
 * one by one, about a third of a second before a command does anything;
 * one file loads in a fraction of that. From tsc's output in dist/ (which
 * stays as it is: the library entry dist/index.js and the tests use it):
 *
 *   dist/cofw-main.cjs    the command, from dist/cli/bin.js, as a CommonJS
 *                         script that dist/cofw.mjs (package.json's bin,
 *                         a copy of scripts/launcher.mjs) compiles with
 *                         dist/cofw-main.cache, V8's code cache, which this
 *                         script makes last by replaying the shipped sample
 *   dist/cofw-worker.mjs  a replay worker thread's script (--workers N), from
 *                         dist/workers/worker.js: only what a worker imports
 *
 * each bundle with its source map (.map beside it, back to src/*.ts through
 * tsc's maps: `node --enable-source-maps dist/cofw.mjs ...` names src lines
 * in stack traces). The worker's dependencies written as CommonJS get a
 * `require` of their own from its banner.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url);
const dist = new URL('dist/', root);
for (const entry of ['cli/bin.js', 'workers/worker.js']) {
  if (!existsSync(new URL(entry, dist))) {
    console.error(`bundle: dist/${entry} is missing: run tsc first (npm run build does both)`);
    process.exit(1);
  }
}

const common = {
  absWorkingDir: new URL('.', root).pathname,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  metafile: true,
};
const results = [
  // The command, as a CommonJS script that the launcher (scripts/launcher.mjs) compiles with a code cache.
  await build({
    ...common,
    entryPoints: { 'cofw-main': 'dist/cli/bin.js' },
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    // src/workers/worker-script.ts: where the command's bundle finds the worker's.
    define: { COFW_WORKER_BUNDLE: JSON.stringify('./cofw-worker.mjs'), 'import.meta.url': '__cofwUrl' },
    // Strict, as the ES modules it is made of are: the banner comes before esbuild's own "use strict".
    banner: { js: "'use strict';\nconst __cofwUrl = require('node:url').pathToFileURL(__filename).href;" },
    logOverride: { 'empty-import-meta': 'error' },
  }),
  await build({
    ...common,
    entryPoints: { 'cofw-worker': 'dist/workers/worker.js' },
    outExtension: { '.js': '.mjs' },
    format: 'esm',
    banner: { js: "import { createRequire as __cofwCreateRequire } from 'node:module';\nconst require = __cofwCreateRequire(import.meta.url);" },
    logOverride: { 'empty-import-meta': 'error' },
  }),
];
const warnings = results.reduce((n, r) => n + r.warnings.length, 0);
if (warnings > 0) {
  console.error(`bundle: ${warnings} warning(s) above; the bundle must build without any`);
  process.exit(1);
}
for (const r of results) {
  for (const [file, out] of Object.entries(r.metafile.outputs)) {
    if (!file.endsWith('.map')) console.log(`bundle: ${file} (${Object.keys(out.inputs).length} modules, ${(out.bytes / 1024 / 1024).toFixed(1)} MiB)`);
  }
}

// A script's first line may not be a shebang inside the launcher's function wrapper (the launcher has its own).
const mainFile = fileURLToPath(new URL('cofw-main.cjs', dist));
writeFileSync(mainFile, readFileSync(mainFile, 'utf8').replace(/^#!.*/, ''));
const launcher = fileURLToPath(new URL('cofw.mjs', dist));
copyFileSync(fileURLToPath(new URL('scripts/launcher.mjs', root)), launcher);
chmodSync(launcher, 0o755);

// The code cache: the sample replay with every output, so that the cache holds what a replay compiles.
const out = mkdtempSync(join(tmpdir(), 'cofw-build-'));
const sample = (p) => fileURLToPath(new URL(p, root));
const outputs = ['-a', 'a.pcap', '-d', 'd.pcapng', '-s', 's.v4', '--json', 'r.json', '--report', 'r.html'].map((a) => (a.startsWith('-') ? a : join(out, a)));
const run = spawnSync(
  process.execPath,
  [launcher, 'replay', sample('pcaps/sample.pcap'), '-r', sample('rules/sample.v4'), '-m', sample('machines/sample.yaml'), ...outputs],
  { env: { ...process.env, COFW_WRITE_CODE_CACHE: '1' }, encoding: 'utf8' },
);
rmSync(out, { recursive: true, force: true });
const cache = new URL('cofw-main.cache', dist);
if (run.status !== 0 || !existsSync(cache)) {
  console.error(`bundle: the sample replay that makes the code cache failed (exit ${run.status}):\n${run.stderr}`);
  process.exit(1);
}
console.log(`bundle: dist/cofw.mjs (the launcher) and dist/cofw-main.cache (${(readFileSync(cache).length / 1024 / 1024).toFixed(1)} MiB of compiled code)`);
