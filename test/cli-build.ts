/**
 * The command line as a separate process, for tests that need one (signals,
 * pipes, standard input): the modules src/cli/bin.ts imports, transpiled
 * one by one as the tests themselves are (Vite's Oxc transform, no type
 * check: `npm run typecheck` does that) into a temporary folder that runs
 * with the project's node_modules. Well under a second, once per test
 * file; dist/ is not used, so the tests never run an old build.
 *
 * @example
 * const bin = await buildCli();
 * spawnSync(process.execPath, [bin, 'check', 'rules.v4']);
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transformWithOxc } from 'vite';

const root = join(import.meta.dirname, '..');

let built: string | undefined;

/** Transpiles the CLI and what it imports; returns the path of bin.js. */
export async function buildCli(): Promise<string> {
  if (built) return built;
  const out = mkdtempSync(join(tmpdir(), 'cofw-cli-build-'));
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(join(root, 'node_modules'), join(out, 'node_modules'), 'dir');
  const src = join(root, 'src');
  const todo = [join(src, 'cli', 'bin.ts')];
  const done = new Set<string>();
  while (todo.length) {
    const file = todo.pop()!;
    if (done.has(file)) continue;
    done.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)\.js'/g)) todo.push(resolve(dirname(file), `${m[1]}.ts`));
    const { code: js } = await transformWithOxc(text, file, { sourcemap: false, target: 'es2022' });
    const to = join(out, relative(src, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, js);
  }
  built = join(out, 'cli', 'bin.js');
  return built;
}

/** The replay worker's script in the transpiled CLI (ReplayOptions.workerUrl), for tests that replay on several workers in-process. */
export async function workerScript(): Promise<URL> {
  return pathToFileURL(join(dirname(dirname(await buildCli())), 'workers', 'worker.js'));
}

/** Removes the transpiled CLI (call it in afterAll). */
export function removeCliBuild(): void {
  if (built) rmSync(dirname(dirname(built)), { recursive: true, force: true });
  built = undefined;
}
