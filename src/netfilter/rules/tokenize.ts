/**
 * Splits an iptables-restore line into arguments the way iptables-restore
 * does: white space separates, double quotes group (and are removed), and a
 * backslash inside quotes escapes the next character. Each token keeps its
 * 1-based column for error messages.
 */

export interface Token {
  readonly text: string;
  readonly column: number;
  /** Whether any part of the token was quoted (a quoted `!` is not a negation). */
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

export function tokenize(line: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
    if (i >= n) break;
    const start = i;
    let text = '';
    let quoted = false;
    let inQuote = false;
    let quoteCol = 0;
    while (i < n) {
      const c = line[i]!;
      if (inQuote) {
        if (c === '\\' && i + 1 < n) {
          text += line[i + 1];
          i += 2;
          continue;
        }
        if (c === '"') {
          inQuote = false;
          i++;
          continue;
        }
        text += c;
        i++;
        continue;
      }
      if (c === ' ' || c === '\t') break;
      if (c === '"') {
        inQuote = true;
        quoted = true;
        quoteCol = i + 1;
        i++;
        continue;
      }
      text += c;
      i++;
    }
    if (inQuote) throw new TokenizeError('unterminated quoted string: add the closing `"`', quoteCol);
    out.push({ text, column: start + 1, quoted });
  }
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
