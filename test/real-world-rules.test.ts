/**
 * Rule files as real tools write them (ufw's, recorded from ufw itself in a
 * network namespace; Docker's and kube-proxy's in the shape those tools
 * write, each loaded into the real kernel with iptables-restore first) parse
 * completely: every line is either loaded or refused by name because cofw
 * does not implement its match or target yet. Nothing is silently ignored.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MATCHES } from '../src/netfilter/matches/index.js';
import { RuleFileError, RuleFileErrors } from '../src/netfilter/rules/api.js';
import { TARGETS } from '../src/netfilter/targets/index.js';
import { loadRuleset } from '../src/netfilter/rules/restore.js';
import { saveRuleset } from '../src/netfilter/rules/save.js';

const dir = join(import.meta.dirname, 'fixtures', 'rules');

const FILES = ['ufw.v4', 'docker.v4', 'kube-proxy.v4'];

/** Names cofw implements, so that a refusal can be checked to be about something it really lacks. */
const IMPLEMENTED = new Set([...MATCHES.map((m) => `match \`${m.name}'`), ...TARGETS.map((t) => `target \`${t.name}'`)]);

describe('real-world rule files', () => {
  it.each(FILES)('%s parses; only unimplemented extensions are refused, by name and line', (file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    let errors: readonly RuleFileError[] = [];
    try {
      loadRuleset(text, file);
    } catch (e) {
      expect(e).toBeInstanceOf(RuleFileErrors);
      errors = (e as RuleFileErrors).errors;
    }
    const names = new Set<string>();
    for (const e of errors) {
      expect(e.message).toMatch(/is not supported by cofw yet/);
      expect(e.file).toBe(file);
      const m = /(match|target) `[^']+'/.exec(e.message);
      names.add(m![0]);
      // The error points at the line that uses the extension.
      const line = text.split('\n')[e.line - 1]!;
      expect(line).toContain(m![0].replace(/^(match|target) `|'$/g, ''));
    }
    for (const n of names) expect(IMPLEMENTED.has(n), `${n} is implemented, yet refused`).toBe(false);
  });

  it("the lines of ufw's file that use implemented extensions load and save canonically", () => {
    const text = readFileSync(join(dir, 'ufw.v4'), 'utf8');
    const kept = text;
    const rs = loadRuleset(kept, 'ufw.v4');
    const filter = rs.tables.get('filter')!;
    expect(filter.chains.size).toBeGreaterThan(20);
    // Every rule line that was kept saves back exactly as iptables-save wrote it.
    const saved = new Set(saveRuleset(rs).split('\n'));
    for (const l of kept.split('\n')) if (l.startsWith('-A')) expect(saved.has(l)).toBe(true);
  });
});
