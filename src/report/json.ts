/**
 * The JSON report (`cofw replay --json`): the replay's result as data, with
 * a `version` that says which shape it has. The shape is documented as a
 * JSON Schema in docs/report.schema.json (the tests validate every report
 * they write against it); a change that removes or renames a field, or
 * changes its meaning, raises REPORT_VERSION, and the schema says what
 * each version has.
 *
 * @example
 * writeFileSync('r.json', JSON.stringify(jsonReport(await replay(opts)), null, 2) + '\n');
 */
import type { ReplayResult } from '../replay.js';

/** The version of the JSON report's shape (docs/report.schema.json). */
export const REPORT_VERSION = 1;

/** The JSON report of a replay: `version`, then every field of the result but the loaded rule sets (their text is `save` and `save6`) and the page's details. */
export function jsonReport(result: ReplayResult, extra: object = {}): Record<string, unknown> {
  // The keys only: reading the rule sets would load them (they are loaded when first read).
  const rest: Record<string, unknown> = {};
  for (const k of Object.keys(result) as Array<keyof ReplayResult>) if (k !== 'ruleset' && k !== 'ruleset6' && k !== 'details') rest[k] = result[k];
  return { version: REPORT_VERSION, ...rest, ...extra };
}

/** The report as the file holds it: indented JSON and a final newline. `extra`: fields of the checks asked for (`expectations`, `unused`). */
export function jsonReportText(result: ReplayResult, extra: object = {}): string {
  return JSON.stringify(jsonReport(result, extra), null, 2) + '\n';
}
