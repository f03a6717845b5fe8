/**
 * Splits an iptables-restore line into words exactly as iptables-restore
 * 1.8.9 does (add_param_to_argv in iptables/xshared.c):
 *
 * - blanks (space, tab, and the line's newline) separate words; every
 *   other byte, a carriage return included, is part of a word;
 * - a double quote opens a quoted part, in which blanks are kept and a
 *   backslash takes the next character literally; the closing quote ends
 *   the word, even when no blank follows (`"a"b` is two words, `""` is an
 *   empty word); a quote never closed runs to the end of the line, its
 *   newline included;
 * - a backslash outside quotes and a single quote are ordinary characters;
 * - a word of 1,024 bytes or more is refused (`Parameter too long!`, its
 *   buffer holds 1,023 and a NUL), and a line of more words than
 *   iptables' argv holds (MAX_ARGC 255, three of them taken by the
 *   program name and `-t TABLE`) is refused (`Parser cannot handle more
 *   arguments`).
 *
 * Each word keeps its 1-based column for error messages.
 */

export interface Token {
  readonly text: string;
  readonly column: number;
  /** Whether any part of the word was quoted (iptables-xml's argvattr; do_parse ignores it: a quoted `!` still negates). */
  readonly quoted: boolean;
}

export class TokenizeError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
  }
}

/** xt_param_buf: a word holds at most 1,023 bytes. */
export const MAX_PARAM_BYTES = 1023;
/** MAX_ARGC in iptables/xshared.h. */
export const MAX_ARGC = 255;

/** Bytes of `s` in UTF-8 (what C's strlen measures in the file; a lone surrogate is the 3 bytes of U+FFFD). */
export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Bytes the UTF-16 code unit at `s[i]` adds in UTF-8 (a surrogate pair's 4 bytes: 3 for the first, 1 for the second). */
function unitBytes(s: string, i: number, c: number): number {
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
    const h = s.charCodeAt(i - 1);
    if (h >= 0xd800 && h <= 0xdbff) return 1;
  }
  return 3;
}

/**
 * The words of a rule line, given with its newline when it has one (an
 * unclosed quote keeps it).
 *
 * @param argvBefore how many argv entries iptables-restore puts before the
 *   line's words (3: the program name, `-t`, the table; 6 with restored
 *   counters, which add `--set-counters P B`).
 * @throws TokenizeError `Parameter too long!` or `Parser cannot handle more arguments`.
 */
export function tokenize(line: string, argvBefore = 3): Token[] {
  const out: Token[] = [];
  /** The word so far, and where its current run of literal characters began (-1: none). */
  let text = '';
  let run = -1;
  let bytes = 0;
  let start = -1;
  let quoted = false;
  let quoteOpen = false;
  let escaped = false;
  const flush = (to: number): void => {
    if (run >= 0) text += line.slice(run, to);
    run = -1;
  };
  const push = (): void => {
    if (argvBefore + out.length + 1 >= MAX_ARGC) {
      throw new TokenizeError(
        `Parser cannot handle more arguments: iptables-restore takes at most ${MAX_ARGC - 1 - argvBefore} words on a line; split the rule`,
        start + 1,
      );
    }
    out.push({ text, column: start + 1, quoted });
    text = '';
    bytes = 0;
    start = -1;
    quoted = false;
  };
  const n = line.length;
  for (let i = 0; i < n; i++) {
    const c = line.charCodeAt(i);
    if (quoteOpen) {
      if (escaped) escaped = false;
      else if (c === 0x5c) {
        // A backslash in quotes: the next character is taken as it is.
        flush(i);
        escaped = true;
        continue;
      } else if (c === 0x22) {
        // The closing quote ends the word, even an empty one.
        flush(i);
        quoteOpen = false;
        push();
        continue;
      }
    } else if (c === 0x22) {
      flush(i);
      if (start < 0) start = i;
      quoteOpen = true;
      quoted = true;
      continue;
    } else if (c === 0x20 || c === 0x09 || c === 0x0a) {
      flush(i);
      if (start >= 0) push();
      continue;
    }
    if (start < 0) start = i;
    if (run < 0) run = i;
    bytes += unitBytes(line, i, c);
    if (bytes > MAX_PARAM_BYTES) {
      throw new TokenizeError(`Parameter too long!: a word holds at most ${MAX_PARAM_BYTES} bytes in iptables-restore`, start + 1);
    }
  }
  flush(n);
  if (text) push();
  return out;
}

/**
 * Quotes a string argument as iptables-save does (xtables_save_string):
 * bare when it is made only of letters, digits, `_` and `-` (and is not
 * empty), else in double quotes with `"`, `\\` and `'` escaped.
 */
export function saveString(s: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(s)) return s;
  return `"${s.replace(/(["\\'])/g, '\\$1')}"`;
}
