/**
 * The pieces of the rule loader that emulate iptables' C: glibc's
 * getopt_long, add_param_to_argv's words, the host table, the kernel's
 * jump validation at scale, and the error count. Expected values marked
 * "recorded" were observed with Debian's iptables 1.8.9 (nf_tables) on
 * Linux 6.18 (see fixtures/record-restore.mjs); the rest follow glibc 2.36's
 * and iptables' sources.
 */
import { describe, expect, it } from 'vitest';
import { Family } from '../../packet/inet-addr.js';
import { ERRORS_LISTED, RuleFileErrors } from './api.js';
import { Getopt, GETOPT_MISSING, GETOPT_NONOPTION, GETOPT_UNKNOWN, type LongOption } from './getopt.js';
import { hostsTable, resolveHost } from './hosts.js';
import { loadRuleset } from './restore.js';
import { saveRuleset } from './save.js';
import { byteLength, tokenize } from './tokenize.js';

const c = (s: string): number => s.charCodeAt(0);

describe('getopt_long as glibc 2.36 runs it for iptables', () => {
  const LONG: LongOption[] = [
    { name: 'append', hasArg: 1, val: c('A') },
    { name: 'delete', hasArg: 1, val: c('D') },
    { name: 'delete-chain', hasArg: 2, val: c('X') },
    { name: 'destination', hasArg: 1, val: c('d') },
    { name: 'dst', hasArg: 1, val: c('d') },
    { name: 'source', hasArg: 1, val: c('s') },
    { name: 'src', hasArg: 1, val: c('s') },
    { name: 'syn', hasArg: 0, val: 300 },
  ];
  const all = (words: string[], opts = LONG): Array<[number, string | undefined]> => {
    const g = new Getopt(['prog', ...words], 'A:D:X::d:s:fj:');
    const out: Array<[number, string | undefined]> = [];
    for (let r = g.next(opts); r.c !== -1; r = g.next(opts)) out.push([r.c, r.optarg]);
    return out;
  };

  it('takes a unique prefix and the same option under two names (aliases share val and hasArg)', () => {
    expect(all(['--app', 'INPUT'])).toEqual([[c('A'), 'INPUT']]);
    expect(all(['--sr', '1.2.3.4'])).toEqual([[c('s'), '1.2.3.4']]);
    expect(
      all(
        ['--s', '1.2.3.4'],
        LONG.filter((o) => o.name !== 'syn'),
      ),
    ).toEqual([[c('s'), '1.2.3.4']]);
    expect(all(['--s', '1.2.3.4'])[0]![0]).toBe(GETOPT_UNKNOWN);
    expect(all(['--sy'])).toEqual([[300, undefined]]);
  });

  it('refuses a prefix of options that differ, and says which', () => {
    const g = new Getopt(['prog', '--de', 'x'], '');
    const r = g.next(LONG);
    expect(r.c).toBe(GETOPT_UNKNOWN);
    expect(r.candidates!.map((o) => o.name)).toEqual(['delete', 'delete-chain', 'destination']);
    expect(g.optind).toBe(2);
  });

  it('prefers an exact name to longer ones', () => {
    expect(all(['--delete', 'x'])).toEqual([[c('D'), 'x']]);
  });

  it('gives `=value` to an option with an argument, refuses it for one without', () => {
    expect(all(['--source=1.2.3.4'])).toEqual([[c('s'), '1.2.3.4']]);
    expect(all(['--delete-chain=foo'])).toEqual([[c('X'), 'foo']]);
    expect(all(['--delete-chain', 'foo'])).toEqual([
      [c('X'), undefined],
      [GETOPT_NONOPTION, 'foo'],
    ]);
    expect(all(['--syn=1'])[0]![0]).toBe(GETOPT_UNKNOWN);
  });

  it('takes the next word as a required argument, whatever it starts with', () => {
    expect(all(['--source', '--x'])).toEqual([[c('s'), '--x']]);
    expect(all(['-s', '!'])).toEqual([[c('s'), '!']]);
  });

  it('reads short clusters and attached arguments', () => {
    expect(all(['-fj', 'ACCEPT'])).toEqual([
      [c('f'), undefined],
      [c('j'), 'ACCEPT'],
    ]);
    expect(all(['-AINPUT'])).toEqual([[c('A'), 'INPUT']]);
    expect(all(['-Xfoo', '-X'])).toEqual([
      [c('X'), 'foo'],
      [c('X'), undefined],
    ]);
  });

  it('returns words that are not options in order, `-` among them, and `:` for a missing argument', () => {
    expect(all(['x', '-', '-s'])).toEqual([
      [GETOPT_NONOPTION, 'x'],
      [GETOPT_NONOPTION, '-'],
      [GETOPT_MISSING, undefined],
    ]);
  });

  it('stops at `--`, leaving what follows unread', () => {
    const g = new Getopt(['prog', '-f', '--', '-f', 'x'], 'f');
    expect(g.next([]).c).toBe(c('f'));
    expect(g.next([]).c).toBe(-1);
    expect(g.optind).toBe(3);
    const end = new Getopt(['prog', '-f', '--'], 'f');
    end.next([]);
    expect(end.next([]).c).toBe(-1);
    expect(end.optind).toBe(3);
  });

  it('re-reads a word when the caller steps back (iptables after loading the protocol match)', () => {
    const g = new Getopt(['prog', '--dport', '22'], '');
    expect(g.next([]).c).toBe(GETOPT_UNKNOWN);
    g.optind--;
    const r = g.next([{ name: 'dport', hasArg: 1, val: 512 }]);
    expect([r.c, r.optarg]).toEqual([512, '22']);
  });
});

describe("add_param_to_argv's words", () => {
  const words = (line: string): string[] => tokenize(line).map((t) => t.text);

  it('splits on blanks only: a carriage return is part of a word', () => {
    expect(words('-A INPUT -j ACCEPT\r')).toEqual(['-A', 'INPUT', '-j', 'ACCEPT\r']);
    expect(words('\t-A\tINPUT ')).toEqual(['-A', 'INPUT']);
  });

  it('quotes as iptables-restore does (recorded)', () => {
    expect(words('"a b"c')).toEqual(['a b', 'c']);
    expect(words('a"b c"')).toEqual(['ab c']);
    expect(words('"" x')).toEqual(['', 'x']);
    expect(words('"a\\"b\\\\c\\d"')).toEqual(['a"b\\cd']);
    expect(words('a\\"b"')).toEqual(['a\\b']);
    expect(words("'a b'")).toEqual(["'a", "b'"]);
    expect(words('--comment "abc\n')).toEqual(['--comment', 'abc\n']);
  });

  it('counts columns from 1, at the opening quote of a quoted word', () => {
    expect(tokenize('-A  "x y" z').map((t) => t.column)).toEqual([1, 5, 11]);
  });

  it('refuses a word of 1,024 bytes and a line of more words than argv holds (recorded)', () => {
    expect(words('x'.repeat(1023))).toHaveLength(1);
    expect(() => tokenize('x'.repeat(1024))).toThrow(/Parameter too long!/);
    expect(() => tokenize('\u20ac'.repeat(341) + 'x')).toThrow(/Parameter too long!/);
    expect(tokenize(Array(251).fill('-v').join(' '))).toHaveLength(251);
    expect(() => tokenize(Array(252).fill('-v').join(' '))).toThrow(/Parser cannot handle more arguments/);
    expect(byteLength('\u20ac\u{1f600}a')).toBe(8);
  });
});

describe('host names', () => {
  it("resolves from the guest's /etc/hosts as glibc's files backend does (recorded)", () => {
    const hosts = hostsTable({ web1: ['192.0.2.10', '192.0.2.11', '2001:db8::10'], mapped: ['::ffff:203.0.113.9'] });
    expect(resolveHost('WEB1', Family.V4, hosts).map(String)).toEqual(['192.0.2.10', '192.0.2.11']);
    expect(resolveHost('web1', Family.V6, hosts).map(String)).toEqual(['2001:db8::10']);
    expect(resolveHost('mapped', Family.V4, hosts).map(String)).toEqual(['203.0.113.9']);
    // Debian's /etc/hosts names localhost on two lines: an IPv4 lookup gets 127.0.0.1 twice.
    expect(resolveHost('localhost', Family.V4, hosts).map(String)).toEqual(['127.0.0.1', '127.0.0.1']);
    expect(resolveHost('localhost', Family.V6, hosts).map(String)).toEqual(['::1']);
    expect(resolveHost('cofw', Family.V4, hosts).map(String)).toEqual(['127.0.1.1']);
    expect(resolveHost('nosuch', Family.V4, hosts)).toEqual([]);
  });

  it('lets the machine file replace a default name', () => {
    const hosts = hostsTable({ localhost: ['10.0.0.1'] }, 'fw1');
    expect(resolveHost('localhost', Family.V4, hosts).map(String)).toEqual(['10.0.0.1']);
    expect(resolveHost('ip6-localhost', Family.V6, hosts).map(String)).toEqual(['::1']);
    expect(resolveHost('fw1', Family.V4, hosts).map(String)).toEqual(['127.0.1.1']);
  });

  it('expands a name into one rule per address, in /etc/hosts order, and refuses an unknown name with how to add it', () => {
    const hosts = hostsTable({ web1: ['192.0.2.10', '192.0.2.11'] });
    const rs = loadRuleset('*filter\n-A INPUT -s web1 -j ACCEPT\nCOMMIT\n', 'r', { hosts });
    expect(saveRuleset(rs)).toContain('-A INPUT -s 192.0.2.10/32 -j ACCEPT\n-A INPUT -s 192.0.2.11/32 -j ACCEPT\n');
    expect(() => loadRuleset('*filter\n-A INPUT -s web2 -j ACCEPT\nCOMMIT\n', 'r', { hosts })).toThrow(
      /host\/network `web2' not found: .*cofw does not resolve names through DNS. Name it in the machine file \(hosts: \{ web2: 192\.0\.2\.10 \}\)/,
    );
  });
});

describe("the kernel's jump validation, iteratively", () => {
  const chained = (n: number, fromInput: boolean): string => {
    const lines = ['*filter'];
    for (let i = 1; i <= n; i++) lines.push(`:c${i} - [0:0]`);
    if (fromInput) lines.push('-A INPUT -j c1');
    for (let i = 1; i < n; i++) lines.push(`-A c${i} -j c${i + 1}`);
    return lines.join('\n') + '\nCOMMIT\n';
  };

  it('refuses 8,000 chained chains reached from INPUT with one clear error, not a stack overflow', () => {
    let err: unknown;
    try {
      loadRuleset(chained(8000, true), 'deep.v4');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RuleFileErrors);
    const errors = (err as RuleFileErrors).errors;
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/Too many links\): rule 1 of c15 jumps to c16, 16 jumps deep \(INPUT -> c1 -> .* -> c16\)/);
  });

  it('loads 8,000 chained chains no built-in chain reaches, as the kernel does (recorded with 30)', () => {
    const rs = loadRuleset(chained(8000, false), 'deep.v4');
    expect(rs.tables.get('filter')!.chains.size).toBe(8003);
  });

  it('refuses a loop only when a built-in chain reaches it (recorded)', () => {
    expect(() => loadRuleset('*filter\n:a - [0:0]\n:b - [0:0]\n-A a -j b\n-A b -j a\nCOMMIT\n', 'r')).not.toThrow();
    expect(() => loadRuleset('*filter\n:a - [0:0]\n:b - [0:0]\n-A INPUT -j a\n-A a -j b\n-A b -j a\nCOMMIT\n', 'r')).toThrow(
      /r:6:\d+: RULE_APPEND failed \(Too many links\): rule 1 of b closes a loop .*\(a -> b -> a\)/,
    );
  });
});

describe('errors of a file', () => {
  it('of a file with Windows line endings: one a line iptables-restore refuses, the COMMIT too, and no cascade after it', () => {
    let err: RuleFileErrors | undefined;
    try {
      loadRuleset('*filter\r\n:INPUT ACCEPT [0:0]\r\n:user - [0:0]\r\n-A INPUT -j ACCEPT\r\nCOMMIT\r\n*nat\nCOMMIT\n', 'crlf.v4');
    } catch (e) {
      err = e as RuleFileErrors;
    }
    // The chain lines load: iptables-restore reads their counters, which hold the carriage return, only with -c (recorded).
    expect(
      err!.errors.map(
        (e) =>
          `${e.line}: ${e.message
            .replace(/^crlf\.v4:\d+:\d+: /, '')
            .split(/[:(]/)[0]!
            .trim()}`,
      ),
    ).toEqual(['1: iptables-restore', "4: Invalid target name `ACCEPT\r'", "5: Bad argument `COMMIT\r'; the line ends with a carriage return"]);
  });

  it('are all kept, and a message lists a screenful then counts the rest', () => {
    const text = '*filter\n' + Array.from({ length: 100 }, (_, i) => `-A INPUT -p nosuch${i}`).join('\n') + '\nCOMMIT\n';
    let err: RuleFileErrors | undefined;
    try {
      loadRuleset(text, 'many.v4');
    } catch (e) {
      err = e as RuleFileErrors;
    }
    expect(err!.errors).toHaveLength(100);
    const lines = err!.message.split('\n');
    expect(lines).toHaveLength(ERRORS_LISTED + 1);
    expect(lines.at(-1)).toBe('many.v4: and 80 more errors');
  });
});
