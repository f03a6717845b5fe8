/**
 * cofw's own limits on rule files (iptables-restore has none): the file's
 * size, the rules one line's -s and -d lists expand into, and the rules of
 * one load. Each is refused with a message that says what and why.
 */
import { describe, expect, it } from 'vitest';
import { RuleFileErrors } from './api.js';
import { MAX_LINE_RULES, MAX_RULE_FILE_BYTES, loadRuleset } from './restore.js';

function errors(text: string, opts: Parameters<typeof loadRuleset>[2] = {}): RuleFileErrors {
  try {
    loadRuleset(text, 'rules', opts);
  } catch (e) {
    if (e instanceof RuleFileErrors) return e;
    throw e;
  }
  throw new Error('loaded');
}

/** `n` times the address `a`, comma-separated (a word holds at most 1023 bytes; iptables keeps the repeats). */
const list = (n: number, a: string): string => Array(n).fill(a).join(',');

describe('limits of a rule file', () => {
  it(`refuses text over ${MAX_RULE_FILE_BYTES / 1024 / 1024} MiB at once, saying its size`, () => {
    const e = errors('#'.repeat(MAX_RULE_FILE_BYTES + 1));
    expect(e.errors).toHaveLength(1);
    expect(e.errors[0]).toMatchObject({ line: 1, column: 1 });
    expect(e.errors[0]!.message).toMatch(/the rule file is 64 MiB; cofw reads rule files of at most 64 MiB/);
    // Counted in bytes of UTF-8: 23 million three-byte characters are 69 MB.
    expect(errors('€'.repeat(23_000_000)).errors[0]!.message).toMatch(/the rule file is 65\.8 MiB/);
  });

  it('loads a file just under the limit', () => {
    const rs = loadRuleset('*filter\n-A INPUT -j ACCEPT\nCOMMIT\n' + '#'.repeat(1000), 'rules');
    expect(rs.tables.get('filter')!.chains.get('INPUT')!.rules).toHaveLength(1);
  });

  it(`refuses -s and -d lists whose product is over ${MAX_LINE_RULES} rules, at the longer list`, () => {
    // 300 x 300 = 90,000 rules from one line of 1,200 bytes.
    const line = `-A INPUT -s ${list(300, '1')} -d ${list(300, '2')} -j ACCEPT`;
    const e = errors(`*filter\n${line}\nCOMMIT\n`);
    expect(e.errors).toHaveLength(1);
    expect(e.errors[0]).toMatchObject({ line: 2, column: line.indexOf('-s ') + 4 });
    expect(e.errors[0]!.message).toMatch(/-s and -d lists of 300 and 300 addresses make 90000 rules, one for each pair; cofw expands at most 65536/);
  });

  it('expands a product within the limit, as iptables does', () => {
    const rs = loadRuleset(`*filter\n-A INPUT -s ${list(50, '1')} -d ${list(40, '10.0.0.0/8')} -j ACCEPT\nCOMMIT\n`, 'rules');
    expect(rs.tables.get('filter')!.chains.get('INPUT')!.rules).toHaveLength(2000);
  });

  it('stops at the line that passes the most rules of one load, and reads no further', () => {
    const text = `*filter\n-A INPUT -j ACCEPT\n-A INPUT -s ${list(3, '192.0.2.1')} -j ACCEPT\n-A INPUT -j NOSUCH\nCOMMIT\n`;
    const e = errors(text, { maxRules: 3 });
    expect(e.errors).toHaveLength(1);
    expect(e.errors[0]).toMatchObject({ line: 3, column: 1 });
    expect(e.errors[0]!.message).toMatch(
      /this line would make the file's rule 2 to 4; cofw builds at most 3 rules from one file .*the rest of the file is not read/,
    );
    expect(loadRuleset(text.replace('-A INPUT -j NOSUCH\n', ''), 'rules', { maxRules: 4 }).tables.get('filter')!.chains.get('INPUT')!.rules).toHaveLength(4);
  });
});
