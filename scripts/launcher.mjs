#!/usr/bin/env node
/**
 * cofw's command (package.json's bin; scripts/bundle.mjs copies this file
 * to dist/cofw.mjs). The command itself is the bundle beside it,
 * cofw-main.cjs; this loads it with the V8 code cache the build left beside
 * it, cofw-main.cache, so that V8 does not parse and compile the bundle's
 * 2 MB again at every start (about a quarter of a small replay's time;
 * bench/RESULTS.md). V8 checks the cache against the source, its own
 * version and its flags, and rejects one that does not fit (another Node,
 * `node --cpu-prof ...`): the bundle is then compiled from its source, as
 * when the cache is missing. Nothing here writes the cache but the build
 * (scripts/bundle.mjs runs the sample replay with COFW_WRITE_CODE_CACHE
 * set, so the cache holds the functions a replay compiles).
 *
 * With source maps on (`node --enable-source-maps dist/cofw.mjs ...`),
 * Node's own loader loads the bundle, so that stack traces name the lines
 * of src/ (through cofw-main.cjs.map).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const file = fileURLToPath(new URL('./cofw-main.cjs', import.meta.url));
const cacheFile = fileURLToPath(new URL('./cofw-main.cache', import.meta.url));
const require = createRequire(file);

// process.sourceMapsEnabled is Node 20.7's; before it, the flag as given.
const sourceMaps = process.sourceMapsEnabled ?? [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].includes('--enable-source-maps');
if (sourceMaps) {
  require(file);
} else {
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // No cache: compiled from the source.
  }
  // Node's own wrapper for a CommonJS module, on the bundle's first line: line numbers stay the bundle's.
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`;
  const script = new Script(wrapped, { filename: file, cachedData });
  const module = { exports: {}, filename: file, id: file, loaded: false };
  script.runInThisContext()(module.exports, require, module, file, dirname(file));
  if (process.env.COFW_WRITE_CODE_CACHE) {
    // At exit, with every function the run compiled in it.
    process.once('exit', () => {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile);
    });
  }
}
