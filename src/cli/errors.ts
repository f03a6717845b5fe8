/** Exit codes and the CLI's own error. */

export const EXIT_OK = 0;
/** Bad input: a message names the file and the position. */
export const EXIT_BAD_INPUT = 1;
/** Usage error (unknown option, missing argument). */
export const EXIT_USAGE = 2;
/** The replay finished but a capture was damaged; what could be read was replayed. */
export const EXIT_DAMAGED = 3;
/** Something was found: an expectation failed (`--expect`), or `diff` found a difference, or `check --shadowed` a shadowed rule. */
export const EXIT_FINDINGS = 4;
/** An internal error (a bug in cofw, such as a broken conservation law). */
export const EXIT_INTERNAL = 70;

/** An error the CLI reports as bad input (exit 1), with its message as is. */
export class InputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InputError';
  }
}
