/**
 * iptables-restore's own parsing, case by case against the real tool: every
 * row of fixtures/restore-1.8.9.json was recorded from Debian's iptables
 * 1.8.9 (nf_tables) on Linux 6.18 by fixtures/record-restore.mjs (a fresh
 * network namespace per file, `iptables-restore` and `--test`, then
 * `iptables-save`; with the case's /etc/hosts when it has one).
 *
 * For each file cofw must decide as iptables did: a file iptables-restore
 * loads, cofw loads, and `cofw save` prints what iptables-save printed,
 * line for line; a file it refuses, cofw refuses, at the same line (at the
 * rule's own line where iptables-nft only notices at COMMIT), and cofw's
 * message carries iptables' own words. The few places where cofw decides
 * differently on purpose are listed in DIFFERENT, each with the reason.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Family, parseInetAddr } from '../../packet/inet-addr.js';
import { RuleFileErrors } from './api.js';
import type { HostEntry } from './hosts.js';
import { loadRuleset } from './restore.js';
import { saveRuleset } from './save.js';

interface Recorded {
  name: string;
  family: 4 | 6;
  text: string;
  hosts?: string;
  rc: number;
  stderr: string;
  testRc: number;
  testStderr: string;
  save: string[];
}

const recorded = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'restore-1.8.9.json'), 'utf8')) as { recorded: string; cases: Recorded[] };

/**
 * Where cofw refuses what iptables-restore accepts, or words it otherwise,
 * on purpose: case name to what cofw says instead.
 */
const DIFFERENT: Record<string, RegExp> = {
  // iptables-restore prints its version or help and exits 0 without loading the table (or the rest of the file).
  '-V': /-V makes iptables-restore print its version and stop/,
  '-h': /-h makes iptables-restore print its help and stop/,
  // The module reads `!` as its argument at once (libxt_tcp, libxt_state); cofw's modules read their options after the
  // line, so the stray word after `!` is found first. Both are refused, with the hint to write `! --option`.
  '-A INPUT -p tcp --dport ! 22': /Bad argument `22'.*old way to negate.*write `! --dport 22'/,
  '-A INPUT -m state --state ! NEW': /Bad argument `NEW'.*old way to negate.*write `! --state NEW'/,
  // iptables-restore cuts the line at 10,239 bytes and fails on the rest, read as line 3; cofw refuses the line itself.
  'a line over 10,239 bytes': /line of 10\d\d\d bytes: iptables-restore reads at most 10239 bytes of a line/,
};

/**
 * Refused by both, in other words: where the refusal comes from a module's
 * own check (the tcp and udp modules say why in the kernel's terms), or
 * where iptables' words are misleading.
 */
const WORDED: Record<string, RegExp> = {
  '-A INPUT -m tcp --dport 22': /tcp match: only valid for protocol 6/,
  '-A INPUT -p tcp -m udp --dport 23': /udp match: only valid for protocol 17/,
  // iptables-nft says the chain "is incompatible, use 'nft' tool".
  '-L nosuch': /No chain\/target\/match by that name: chain `nosuch' does not exist/,
};

/** iptables' own words in its standard error: what cofw's message must carry. */
function coreOf(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l !== '' && !l.startsWith('Try `') && !l.startsWith('Error occurred at line') && !l.startsWith('Warning:'));
  const first = lines.map((l) => l.replace(/^ip6?tables-restore v1\.8\.9 \(nf_tables\): ?/, '')).find((l) => l !== '') ?? '';
  const m =
    /^ip6?tables-restore: (line \d+ (?:table|chain) name .*|line \d+ policy invalid|COMMIT expected at line \d+)/.exec(first) ??
    /^ip6?tables-restore: line \d+ failed: (.*?)\.?$/.exec(first) ??
    /^line \d+: (\w+ failed \([^)]*\))/.exec(first);
  if (m) return m[1]!;
  if (/^ip6?tables-restore: line \d+ failed$/.test(first)) return first.replace(/^ip6?tables-restore: /, '');
  return first.replace(/\.$/, '');
}

/** The line iptables names, when it names one. */
function lineOf(stderr: string): number | undefined {
  const m = /Error occurred at line: (\d+)|line (\d+)(?: failed|:| table| chain| policy)/.exec(stderr);
  return m ? Number(m[1] ?? m[2]) : undefined;
}

/** /etc/hosts text as host table lines. */
function hostsOf(text: string): HostEntry[] {
  const out: HostEntry[] = [];
  for (const l of text.split('\n')) {
    const [a, ...names] = l.replace(/#.*/, '').trim().split(/\s+/);
    if (!a || !names.length) continue;
    out.push({ address: parseInetAddr(a)!, names });
  }
  return out;
}

function load(c: Recorded): { save?: string[]; errors?: RuleFileErrors } {
  try {
    const rs = loadRuleset(c.text, 'rules', { family: c.family === 6 ? Family.V6 : Family.V4, ...(c.hosts !== undefined ? { hosts: hostsOf(c.hosts) } : {}) });
    return {
      save: saveRuleset(rs)
        .split('\n')
        .filter((l) => l !== ''),
    };
  } catch (e) {
    if (e instanceof RuleFileErrors) return { errors: e };
    throw e;
  }
}

const title = (c: Recorded): string => `${c.family === 6 ? 'ip6tables ' : ''}${JSON.stringify(c.name.length > 90 ? c.name.slice(0, 87) + '...' : c.name)}`;

describe(`iptables-restore's parsing, against ${recorded.recorded}`, () => {
  it.each(recorded.cases.filter((c) => c.rc === 0 && !DIFFERENT[c.name]).map((c) => [title(c), c] as const))('loads as iptables does: %s', (_, c) => {
    const r = load(c);
    expect(r.errors?.message).toBeUndefined();
    expect(r.save).toEqual(c.save);
  });

  it.each(recorded.cases.filter((c) => c.rc !== 0 && !DIFFERENT[c.name]).map((c) => [title(c), c] as const))('refuses as iptables does: %s', (_, c) => {
    const r = load(c);
    expect(r.errors, 'iptables-restore refused this file').toBeDefined();
    const first = r.errors!.errors[0]!;
    if (WORDED[c.name]) expect(first.message).toMatch(WORDED[c.name]!);
    else expect(first.message).toContain(coreOf(c.stderr));
    // Errors iptables-nft finds only at COMMIT (its --test passes) are reported by cofw at the rule's line.
    const line = lineOf(c.stderr);
    if (c.testRc !== 0 && line !== undefined) expect(first.line).toBe(line);
  });

  it.each(recorded.cases.filter((c) => DIFFERENT[c.name]).map((c) => [title(c), c] as const))('refuses on purpose: %s', (_, c) => {
    const r = load(c);
    expect(r.errors?.errors[0]?.message).toMatch(DIFFERENT[c.name]!);
  });

  it('has a recording for each exception', () => {
    for (const name of [...Object.keys(DIFFERENT), ...Object.keys(WORDED)])
      expect(
        recorded.cases.some((c) => c.name === name),
        name,
      ).toBe(true);
  });
});
