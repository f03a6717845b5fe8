/**
 * glibc's getopt_long (2.36, Debian 12's), as iptables' do_parse calls it
 * on the words of a rule line: the option string starts with `-`
 * (RETURN_IN_ORDER: a word that is not an option comes back as code 1 with
 * the word as its argument) and `:` (a missing argument is `:`, not `?`),
 * and error messages are off (iptables prints its own).
 *
 * Long options are found as glibc finds them: an exact name first (the
 * first in the table), else a unique prefix; several prefixes are
 * ambiguous unless they all have the same `hasArg` and `val` (aliases of
 * one option). `--name=value` gives the value to an option that takes an
 * argument and is refused (`?`) by one that does not. Short options may be
 * clustered (`-fj ACCEPT`) and take their argument from the rest of the
 * word (`-AINPUT`) or from the next word. `--` ends the options: words after
 * it are left unread (`optind` points at them).
 *
 * The caller may move `optind` between calls, as iptables does (`-I CHAIN
 * NUM` reads NUM itself, `optind--` re-reads a word after loading the
 * protocol's match); the option table may grow between calls (each `-m`
 * and `-j` adds its module's options).
 */

/** One entry of `struct option`. */
export interface LongOption {
  readonly name: string;
  /** 0 no argument, 1 required, 2 optional (only as `--name=value`). */
  readonly hasArg: 0 | 1 | 2;
  /** What getopt returns for it; entries with the same val and hasArg are one option. */
  readonly val: number;
}

/** What one call found. */
export interface GetoptResult {
  /**
   * The option's val or short option character code; 1 for a word that is
   * not an option; `?` (63) for an unknown, ambiguous or misused option;
   * `:` (58) for a missing argument; -1 at the end.
   */
  readonly c: number;
  /** The argument (the word itself for code 1), when there is one. */
  readonly optarg?: string;
  /** For a long option found: its entry. */
  readonly long?: LongOption;
  /** For `?` on a long option: the names it could have been (more than one when ambiguous). */
  readonly candidates?: readonly LongOption[];
  /** Index in argv of the word the option was read from (its argument may be the next word). */
  readonly at: number;
  /** For `?` on a short option: the option character. */
  readonly optopt?: string;
}

export const GETOPT_UNKNOWN = 63; // '?'
export const GETOPT_MISSING = 58; // ':'
export const GETOPT_NONOPTION = 1;

const SHORT_OPTIONS = new Map<string, ReadonlyMap<string, 0 | 1 | 2>>();

/** Each short option of an option string and how it takes an argument (0 none, 1 required, 2 optional). */
function shortOptions(optstring: string): ReadonlyMap<string, 0 | 1 | 2> {
  let m = SHORT_OPTIONS.get(optstring);
  if (m) return m;
  const out = new Map<string, 0 | 1 | 2>();
  for (let i = 0; i < optstring.length; i++) {
    const ch = optstring[i]!;
    if (ch === ':' || ch === ';') continue;
    let n: 0 | 1 | 2 = 0;
    if (optstring[i + 1] === ':') n = optstring[i + 2] === ':' ? 2 : 1;
    out.set(ch, n);
  }
  SHORT_OPTIONS.set(optstring, (m = out));
  return m;
}

/** The state of one getopt_long scan over `argv` (glibc's struct _getopt_data). */
export class Getopt {
  /** Index of the next word to read (argv[0] is the program name). */
  optind = 1;
  private nextchar: string | undefined;
  private nextpos = 0;
  /** Index of the word `nextchar` is in. */
  private nextword = 0;
  private firstNonopt = 1;
  private lastNonopt = 1;
  private readonly shortArgs: ReadonlyMap<string, 0 | 1 | 2>;

  /**
   * @param optstring short options as getopt's string, without the leading
   *   `-:` (which this emulation always assumes).
   */
  constructor(
    readonly argv: readonly string[],
    optstring: string,
  ) {
    this.shortArgs = shortOptions(optstring);
  }

  /** The next option, with `longopts` as the table now stands. */
  next(longopts: readonly LongOption[]): GetoptResult {
    const argv = this.argv;
    const argc = argv.length;
    if (this.nextchar === undefined || this.nextpos >= this.nextchar.length) {
      if (this.lastNonopt > this.optind) this.lastNonopt = this.optind;
      if (this.firstNonopt > this.optind) this.firstNonopt = this.optind;
      if (this.optind !== argc && argv[this.optind] === '--') {
        this.optind++;
        if (this.firstNonopt === this.lastNonopt) this.firstNonopt = this.optind;
        this.lastNonopt = argc;
        this.optind = argc;
      }
      if (this.optind >= argc) {
        if (this.firstNonopt !== this.lastNonopt) this.optind = this.firstNonopt;
        return { c: -1, at: this.optind };
      }
      const word = argv[this.optind]!;
      if (word[0] !== '-' || word.length === 1) {
        return { c: GETOPT_NONOPTION, optarg: word, at: this.optind++ };
      }
      if (word[1] === '-') return this.longOption(longopts, word.slice(2));
      this.nextchar = word;
      this.nextpos = 1;
      this.nextword = this.optind;
    }
    const at = this.nextword;
    const word = this.nextchar!;
    const c = word[this.nextpos++]!;
    const kind = this.shortArgs.get(c);
    if (this.nextpos >= word.length) this.optind++;
    if (kind === undefined) return { c: GETOPT_UNKNOWN, at, optopt: c };
    if (kind === 0) return { c: c.charCodeAt(0), at };
    const rest = word.slice(this.nextpos);
    this.nextchar = undefined;
    if (kind === 2) {
      if (rest) {
        this.optind++;
        return { c: c.charCodeAt(0), optarg: rest, at };
      }
      return { c: c.charCodeAt(0), at };
    }
    if (rest) {
      this.optind++;
      return { c: c.charCodeAt(0), optarg: rest, at };
    }
    if (this.optind >= argc) return { c: GETOPT_MISSING, at };
    return { c: c.charCodeAt(0), optarg: argv[this.optind++]!, at };
  }

  /** process_long_option: `text` is the word without its `--`. */
  private longOption(longopts: readonly LongOption[], text: string): GetoptResult {
    const at = this.optind;
    const eq = text.indexOf('=');
    const name = eq < 0 ? text : text.slice(0, eq);
    let found = longopts.find((o) => o.name === name);
    if (!found) {
      const prefixed = longopts.filter((o) => o.name.startsWith(name));
      const first = prefixed[0];
      if (first && prefixed.some((o) => o.hasArg !== first.hasArg || o.val !== first.val)) {
        this.nextchar = undefined;
        this.optind++;
        return { c: GETOPT_UNKNOWN, candidates: prefixed, at };
      }
      found = first;
    }
    this.nextchar = undefined;
    this.optind++;
    if (!found) return { c: GETOPT_UNKNOWN, candidates: [], at };
    if (eq >= 0) {
      if (found.hasArg) return { c: found.val, optarg: text.slice(eq + 1), long: found, at };
      return { c: GETOPT_UNKNOWN, long: found, candidates: [found], at };
    }
    if (found.hasArg === 1) {
      if (this.optind < this.argv.length) return { c: found.val, optarg: this.argv[this.optind++]!, long: found, at };
      return { c: GETOPT_MISSING, long: found, at };
    }
    return { c: found.val, long: found, at };
  }
}
