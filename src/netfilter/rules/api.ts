/**
 * The rule file API the rest of cofw uses: load an iptables-restore text
 * into a ruleset, save it back in iptables-save form.
 */

/** A rule file error with its position and what to do about it. */
export class RuleFileError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${file}:${line}:${column}: ${message}`);
    this.name = 'RuleFileError';
  }
}

/** How many errors of a file a message lists (a screenful); the rest are counted. */
export const ERRORS_LISTED = 20;

/**
 * Every error found in a rule file (a file is checked as a whole). The
 * message lists the first ERRORS_LISTED of each file, then says how many
 * more there are; `errors` holds them all.
 */
export class RuleFileErrors extends Error {
  constructor(readonly errors: readonly RuleFileError[]) {
    const byFile = new Map<string, RuleFileError[]>();
    for (const e of errors) {
      const list = byFile.get(e.file) ?? [];
      list.push(e);
      byFile.set(e.file, list);
    }
    const lines: string[] = [];
    for (const [file, errs] of byFile) {
      for (const e of errs.slice(0, ERRORS_LISTED)) lines.push(e.message);
      const more = errs.length - ERRORS_LISTED;
      if (more > 0) lines.push(`${file}: and ${more} more error${more === 1 ? '' : 's'}`);
    }
    super(lines.join('\n'));
    this.name = 'RuleFileErrors';
  }
}
