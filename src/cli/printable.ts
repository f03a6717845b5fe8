/**
 * Text from input files made safe to print on a terminal: control
 * characters (C0 but newline and tab, DEL, C1) and the Unicode controls that
 * reorder or hide text (bidirectional embeddings, overrides and isolates,
 * zero-width marks) are written as escapes, so that a rule file, a capture
 * or a file name cannot move the cursor, clear the screen or disguise what
 * a message says.
 *
 * @example
 * printable('bad\x1b[2Jname') // 'bad\\x1b[2Jname'
 */

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** `text` with every unsafe character escaped (`\x1b`, `\u202e`); newlines and tabs are kept. */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}
