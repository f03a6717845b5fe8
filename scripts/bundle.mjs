#!/usr/bin/env node
/**
 * The command as one file (`npm run build` runs this after tsc): Node's ES
 * module loader resolves, reads and compiles each of cofw's ~250 modules
 * one by one, about a third of a second before a command does anything;
 * one file loads in a fraction of that. From tsc's output in dist/ (which
 * stays as it is: the library entry dist/index.js and the tests use it):
 *
 *   dist/cofw.mjs         the command (package.json's bin), from dist/cli/bin.js
 *   dist/cofw-worker.mjs  a replay worker thread's script (--workers N), from
 *                         dist/workers/worker.js: only what a worker imports
 *
 * each with its source map (.map beside it, back to src/*.ts through tsc's
 * maps: `node --enable-source-maps dist/cofw.mjs ...` names src lines in
 * stack traces). The dependencies written as CommonJS (commander,
 * cli-progress) get a `require` of their own from the banner.
 */
import { existsSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url);
const dist = new URL('dist/', root);
for (const entry of ['cli/bin.js', 'workers/worker.js']) {
  if (!existsSync(new URL(entry, dist))) {
    console.error(`bundle: dist/${entry} is missing: run tsc first (npm run build does both)`);
    process.exit(1);
  }
}

const result = await build({
  absWorkingDir: new URL('.', root).pathname,
  entryPoints: { cofw: 'dist/cli/bin.js', 'cofw-worker': 'dist/workers/worker.js' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // src/workers/worker-script.ts: where the command's bundle finds the worker's.
  define: { COFW_WORKER_BUNDLE: JSON.stringify('./cofw-worker.mjs') },
  banner: { js: "import { createRequire as __cofwCreateRequire } from 'node:module';\nconst require = __cofwCreateRequire(import.meta.url);" },
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  logOverride: { 'empty-import-meta': 'error' },
  metafile: true,
});
if (result.warnings.length > 0) {
  console.error(`bundle: ${result.warnings.length} warning(s) above; the bundle must build without any`);
  process.exit(1);
}
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  if (!file.endsWith('.map')) console.log(`bundle: ${file} (${Object.keys(out.inputs).length} modules, ${(out.bytes / 1024 / 1024).toFixed(1)} MiB)`);
}
