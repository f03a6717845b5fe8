/**
 * The JSON report's schema (docs/report.schema.json), for the tests that
 * write JSON reports: each checks what it wrote with `expectValidReport`,
 * so that every JSON output of the test suite is validated against it.
 *
 * @example
 * expectValidReport(readFileSync(json, 'utf8'));
 */
import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'docs', 'report.schema.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

/** The schema's complaints about a report (its JSON text or the parsed value): empty when it is valid. */
export function reportSchemaErrors(report: string | unknown): string[] {
  const value: unknown = typeof report === 'string' ? JSON.parse(report) : report;
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

/** Fails the test unless the report is valid against docs/report.schema.json. */
export function expectValidReport(report: string | unknown): void {
  expect(reportSchemaErrors(report)).toEqual([]);
}
