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
import { RuleFileErrors } from '../src/netfilter/rules/api.js';
import { loadRuleset } from '../src/netfilter/rules/restore.js';
import { saveRuleset } from '../src/netfilter/rules/save.js';

const dir = join(import.meta.dirname, 'fixtures', 'rules');

const CASES: Array<[string, string[]]> = [
  ['ufw.v4', ['match `limit\'', 'match `recent\'']],
  ['docker.v4', ['target `DNAT\'', 'target `MASQUERADE\'']],
  ['kube-proxy.v4', ['match `mark\'', 'target `DNAT\'', 'target `MARK\'', 'target `MASQUERADE\'']],
];

describe('real-world rule files', () => {
  it.each(CASES)('%s parses; only unimplemented extensions are refused, by name and line', (file, unsupported) => {
    const text = readFileSync(join(dir, file), 'utf8');
    let errors: RuleFileErrors | undefined;
    try {
      loadRuleset(text, file);
    } catch (e) {
      errors = e as RuleFileErrors;
    }
    expect(errors).toBeInstanceOf(RuleFileErrors);
    const names = new Set<string>();
    for (const e of errors!.errors) {
      expect(e.message).toMatch(/is not supported by cofw yet/);
      expect(e.file).toBe(file);
      const m = /(match|target) `[^']+'/.exec(e.message);
      names.add(m![0]);
      // The error points at the line that uses the extension.
      const line = text.split('\n')[e.line - 1]!;
      expect(line).toContain(m![0].replace(/^(match|target) `|'$/g, ''));
    }
    expect([...names].sort()).toEqual(unsupported);
  });

  it('the lines of ufw\'s file that use implemented extensions load and save canonically', () => {
    const text = readFileSync(join(dir, 'ufw.v4'), 'utf8');
    const kept = text
      .split('\n')
      .filter((l) => !/-m (limit|recent)/.test(l))
      .join('\n');
    const rs = loadRuleset(kept, 'ufw.v4');
    const filter = rs.tables.get('filter')!;
    expect(filter.chains.size).toBeGreaterThan(20);
    // Every rule line that was kept saves back exactly as iptables-save wrote it.
    const saved = new Set(saveRuleset(rs).split('\n'));
    for (const l of kept.split('\n')) if (l.startsWith('-A')) expect(saved.has(l)).toBe(true);
  });
});
