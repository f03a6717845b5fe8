/**
 * The published package: the build leaves test support out, `npm pack`
 * lists no test files, and `cofw` resolves (for Node and for TypeScript)
 * to the library entry point dist/index.js.
 *
 * The checks on dist/ need a build: `npm ci` runs it (`prepare`), or
 * `npm run build`. Without dist/index.js they skip and say so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const built = existsSync(join(repo, 'dist', 'index.js'));
const NOT_BUILT = 'dist/ is missing: run `npm run build` (npm ci runs it) to check the published package';

/** Tests, their helpers and fixtures, by name (the patterns tsconfig.build.json excludes, and then some). */
const TEST_SUPPORT =
  /(^|\/)([^/]*\.test\.[^/]*|[^/]*\.spec\.[^/]*|test-util\.[^/]+|testing\.[^/]+|test-services\.[^/]+|kernel-fixtures\.[^/]+|[^/]*-fixtures?\.[^/]+|fixtures\/.*|__tests__\/.*)$/;

const toPosix = (p: string): string => p.split(sep).join('/');

function run(cmd: string, args: string[], cwd = repo): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe('published package', () => {
  it('the build compiles no test support, and nothing it compiles imports any', () => {
    // --listFilesOnly also lists the files pulled in by imports, excluded or not.
    const files = run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--listFilesOnly'])
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.includes('/node_modules/'))
      .map((l) => toPosix(relative(repo, l)));
    expect(files).toContain('src/index.ts');
    expect(files).toContain('src/cli/bin.ts');
    expect(files.filter((f) => TEST_SUPPORT.test(f))).toEqual([]);
  });

  it('npm pack lists no tests, test helpers or fixtures', (ctx) => {
    ctx.skip(!built, NOT_BUILT);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const [pack] = JSON.parse(run(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'])) as Array<{ files: Array<{ path: string }> }>;
    const paths = pack!.files.map((f) => toPosix(f.path));
    for (const p of [
      'package.json',
      'README.md',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/bin.js',
      'dist/replay.js',
      'dist/cofw.mjs',
      'dist/cofw-worker.mjs',
      'dist/cofw-main.cjs',
      'dist/cofw-main.cache',
    ])
      expect(paths).toContain(p);
    expect(paths.filter((p) => p.startsWith('src/') || p.startsWith('test/'))).toEqual([]);
    // Left over from an older build? `npm run build` starts from an empty dist/.
    expect(
      paths.filter((p) => TEST_SUPPORT.test(p)),
      'test support in the package (if dist/ is old, run `npm run build`)',
    ).toEqual([]);
  });

  it('`cofw` resolves to dist/index.js for Node and exposes replay; deeper paths are not exported', (ctx) => {
    ctx.skip(!built, NOT_BUILT);
    // A package may import itself by name through its exports map, as a user's code imports it.
    const probe = `
      const m = await import('cofw');
      let deep = 'resolved';
      try { await import('cofw/dist/replay.js'); } catch (e) { deep = e.code; }
      console.log(JSON.stringify({ url: import.meta.resolve('cofw'), replay: typeof m.replay, loadRuleset: typeof m.loadRuleset, deep }));`;
    const out = JSON.parse(run(process.execPath, ['--input-type=module', '-e', probe])) as Record<string, string>;
    expect(toPosix(fileURLToPath(out.url!))).toBe(toPosix(join(repo, 'dist', 'index.js')));
    expect(out.replay).toBe('function');
    expect(out.loadRuleset).toBe('function');
    expect(out.deep).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { main: string; types: string; exports: Record<string, unknown> };
    for (const f of [pkg.main, pkg.types]) expect(existsSync(join(repo, f)), f).toBe(true);
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js' });
  });

  it('`cofw` resolves to its declarations for TypeScript users', (ctx) => {
    ctx.skip(!built, NOT_BUILT);
    const dir = mkdtempSync(join(tmpdir(), 'cofw-consumer-'));
    try {
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(repo, join(dir, 'node_modules', 'cofw'), 'junction');
      writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
      writeFileSync(
        join(dir, 'consumer.ts'),
        `import { replay, loadMachineFile, loadRuleset, saveRuleset, formatReport, type ReplayResult, type Ruleset } from 'cofw';
const rs: Ruleset = loadRuleset('*filter\\nCOMMIT\\n', 'rules.v4');
const result: Promise<ReplayResult> = replay({ rulesFile: 'rules.v4', machine: loadMachineFile('machine.yaml'), captures: ['a.pcap'] });
export const text: Promise<string> = result.then((r) => saveRuleset(rs) + formatReport(r, { captures: [], rulesFile: '', machine: '', top: 1 }));
`,
      );
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            target: 'ES2022',
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: ['node'],
            typeRoots: [join(repo, 'node_modules', '@types')],
          },
          files: ['consumer.ts'],
        }),
      );
      run(process.execPath, [tsc, '-p', dir], dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
