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

/** Every error found in a rule file (a file is checked as a whole). */
export class RuleFileErrors extends Error {
  constructor(readonly errors: readonly RuleFileError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'RuleFileErrors';
  }
}
