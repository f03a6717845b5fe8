/**
 * Rule files from the wild against the real kernel: the corpus listed in
 * fixtures/corpus/sources.json (rule files from public repositories,
 * iptables-save dumps of servers, routers, NAS boxes and VPN gateways,
 * ufw, shorewall and ferm output, hand-written rules.v4 and rules.v6).
 * The files themselves are not part of cofw (their licences differ and
 * many state none): fixtures/corpus/fetch-corpus.sh downloads them into
 * fixtures/corpus/files, or COFW_CORPUS_DIR names a folder that has them.
 * Without them these tests skip, saying so.
 *
 * For each file cofw must decide as the kernel did: a file
 * iptables-restore (nf_tables, Debian 1.8.9) accepts, cofw accepts, and
 * `cofw save` prints what iptables-save printed (counters and comment lines
 * aside); one it refuses, cofw refuses, with a positioned message.
 * - recorded: against fixtures/corpus/kernel-1.8.9.json, recorded by
 *   fixtures/corpus/record.mjs (runs everywhere the files are);
 * - live: where the test runs as root with iptables-restore and network
 *   namespaces, each file is loaded into the real kernel in a namespace of
 *   its own as well, and the two saved texts are compared line by line.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Family } from '../src/packet/inet-addr.js';
import { RuleFileErrors } from '../src/netfilter/rules/api.js';
import { loadRuleset } from '../src/netfilter/rules/restore.js';
import { saveRuleset } from '../src/netfilter/rules/save.js';

interface Source {
  name: string;
  family: 4 | 6;
  repo: string;
  path: string;
  commit: string;
  licence: string;
  bytes: number;
  sha256: string;
}

interface Recorded {
  name: string;
  rc: number;
  stderr: string;
  saveSha256: string;
  saveLines: number;
}

const fixtures = join(import.meta.dirname, 'fixtures', 'corpus');
const sources = (JSON.parse(readFileSync(join(fixtures, 'sources.json'), 'utf8')) as { files: Source[] }).files;
const kernel = JSON.parse(readFileSync(join(fixtures, 'kernel-1.8.9.json'), 'utf8')) as { recorded: string; files: Recorded[] };
const recordedByName = new Map(kernel.files.map((r) => [r.name, r]));
const dir = process.env.COFW_CORPUS_DIR ?? join(fixtures, 'files');

/**
 * Files cofw decides differently from the kernel for now, each with the
 * reason. A file leaves this list as soon as cofw decides it as the kernel
 * did (the test fails while it is listed and agrees, so the list stays
 * true).
 */
const EXPECTED_TO_DIFFER: Record<string, string> = {
  'netnet-configs_openlab-stettenstr-doku-iptables-save.txt.v4': 'physdev is refused: the machine has no bridge',
};

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** iptables-save's text as compared here: no comment lines, no blank lines, every counter [0:0]. */
function normalSave(text: string): string {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/g, '[0:0]'))
    .join('\n');
}

/** What cofw makes of a file: its normalised save text, or its errors. */
function cofwLoad(s: Source, text: string): { save?: string; errors?: RuleFileErrors } {
  try {
    return { save: normalSave(saveRuleset(loadRuleset(text, s.name, { family: s.family === 6 ? Family.V6 : Family.V4 }))) };
  } catch (e) {
    if (e instanceof RuleFileErrors) return { errors: e };
    throw e;
  }
}

const present = sources.filter((s) => existsSync(join(dir, s.name)));
const missing = present.length === 0 ? `the corpus files are not in ${dir} (run test/fixtures/corpus/fetch-corpus.sh, or set COFW_CORPUS_DIR)` : '';

function read(s: Source): string {
  const buf = readFileSync(join(dir, s.name));
  expect(sha256(buf), `${s.name} in ${dir} is not the file sources.json describes`).toBe(s.sha256);
  return buf.toString('utf8');
}

/** The check both tests make: the kernel's verdict and saved text against cofw's. */
function agree(s: Source, text: string, rc: number, stderr: string, kernelSave: { sha256: string; text?: string }): void {
  const r = cofwLoad(s, text);
  const differ = EXPECTED_TO_DIFFER[s.name];
  const same = (rc === 0 && r.save !== undefined && sha256(r.save) === kernelSave.sha256) || (rc !== 0 && r.errors !== undefined);
  if (differ !== undefined) {
    expect(same, `${s.name} is listed in EXPECTED_TO_DIFFER (${differ}) but cofw now decides it as the kernel does: take it off the list`).toBe(false);
    return;
  }
  if (rc === 0) {
    expect(r.errors?.message, `iptables-restore loads ${s.name}`).toBeUndefined();
    if (kernelSave.text !== undefined) expect(r.save!.split('\n')).toEqual(kernelSave.text.split('\n'));
    else expect(sha256(r.save!), `cofw save differs from iptables-save for ${s.name} (run this test as root to see how)`).toBe(kernelSave.sha256);
  } else {
    expect(r.errors, `iptables-restore refuses ${s.name}: ${stderr.split('\n')[0]}`).toBeDefined();
    for (const e of r.errors!.errors) {
      expect(e.file).toBe(s.name);
      expect(e.line).toBeGreaterThanOrEqual(1);
    }
    // The line iptables-restore names is among those cofw names.
    const m = /Error occurred at line: (\d+)|line (\d+)(?: failed| table| chain| policy)/.exec(stderr);
    if (m) expect(r.errors!.errors.map((e) => e.line)).toContain(Number(m[1] ?? m[2]));
  }
}

describe(`the corpus of rule files from the wild, against ${kernel.recorded}`, () => {
  it('lists every file once, with where it comes from, and a recording of each', () => {
    expect(new Set(sources.map((s) => s.name)).size).toBe(sources.length);
    expect(sources.filter((s) => s.family === 4).length).toBeGreaterThanOrEqual(40);
    expect(sources.filter((s) => s.family === 6).length).toBeGreaterThanOrEqual(15);
    for (const s of sources) {
      expect(s.repo).toMatch(/^[\w.-]+\/[\w.-]+$/);
      expect(s.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(recordedByName.has(s.name), `${s.name} has no recording`).toBe(true);
    }
    for (const name of Object.keys(EXPECTED_TO_DIFFER)) expect(recordedByName.has(name), `${name} in EXPECTED_TO_DIFFER is not in the corpus`).toBe(true);
  });

  it.skipIf(missing !== '').each(present.map((s) => [s.name, s] as const))('recorded: cofw decides %s as the kernel did', (_, s) => {
    const r = recordedByName.get(s.name)!;
    agree(s, read(s), r.rc, r.stderr, { sha256: r.saveSha256 });
  });
  if (missing) it.skip(`recorded: ${missing}`, () => {});
});

/** Why the live comparison cannot run here, or '' when it can. */
function liveUnavailable(): string {
  if (missing) return missing;
  if (process.getuid?.() !== 0) return 'it needs root (network namespaces and iptables-restore)';
  const v = spawnSync('iptables-restore', ['--version'], { encoding: 'utf8' });
  if (v.status !== 0) return 'iptables-restore is not installed';
  if (!/v1\.8\.9 \(nf_tables\)/.test(v.stdout)) return `the recordings are of iptables 1.8.9 (nf_tables), this is ${v.stdout.trim()}`;
  const ns = spawnSync('ip', ['netns', 'add', `cofwcorpcheck${process.pid}`]);
  if (ns.status !== 0) return 'network namespaces cannot be made here';
  spawnSync('ip', ['netns', 'del', `cofwcorpcheck${process.pid}`]);
  return '';
}

/** Loads a file into a fresh network namespace with the real iptables-restore. */
function kernelLoad(text: string, family: 4 | 6): { rc: number; stderr: string; save: string } {
  const ns = `cofwcorp${process.pid}`;
  const tool = family === 6 ? 'ip6tables' : 'iptables';
  const add = spawnSync('ip', ['netns', 'add', ns]);
  if (add.status !== 0) throw new Error(`ip netns add ${ns}: ${add.stderr.toString()}`);
  try {
    const real = spawnSync('ip', ['netns', 'exec', ns, `${tool}-restore`], { input: text, timeout: 120_000 });
    const save = spawnSync('ip', ['netns', 'exec', ns, `${tool}-save`], { timeout: 120_000 });
    return { rc: real.status ?? -1, stderr: real.stderr.toString('utf8'), save: normalSave(save.stdout.toString('utf8')) };
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

describe('the corpus of rule files from the wild, against the kernel here', () => {
  const why = liveUnavailable();
  it.skipIf(why !== '').each(present.map((s) => [s.name, s] as const))('live: cofw decides %s as the kernel does', (_, s) => {
    const text = read(s);
    const k = kernelLoad(text, s.family);
    const r = recordedByName.get(s.name)!;
    // The kernel still answers as it did when recorded (else record again).
    expect({ rc: k.rc, save: sha256(k.save) }).toEqual({ rc: r.rc, save: r.saveSha256 });
    agree(s, text, k.rc, k.stderr, { sha256: sha256(k.save), text: k.save });
  });
  if (why) it.skip(`live: ${why}`, () => {});
});
