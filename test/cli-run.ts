/**
 * Runs the command line in-process for tests: `main(argv)` with stdout
 * and stderr captured.
 */
import { spawnSync } from 'node:child_process';
import { vi } from 'vitest';
import { main } from '../src/cli/main.js';

export interface Run {
  code: number;
  out: string;
  err: string;
}

/** Runs `cofw ...args` and returns its exit code and what it printed. */
export async function cofw(...args: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const grab =
    (add: (s: string) => void) =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      add(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    };
  const o = vi.spyOn(process.stdout, 'write').mockImplementation(grab((s) => (out += s)) as typeof process.stdout.write);
  const e = vi.spyOn(process.stderr, 'write').mockImplementation(grab((s) => (err += s)) as typeof process.stderr.write);
  try {
    const code = await main(['node', 'cofw', ...args]);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** Is xmllint (Debian's libxml2-utils) there? */
export const HAVE_XMLLINT = spawnSync('xmllint', ['--version']).status === 0;

/** Validates an XML file against a schema with xmllint: the error text, or '' when valid. */
export function xmlSchemaErrors(xml: string, xsd: string): string {
  const r = spawnSync('xmllint', ['--noout', '--schema', xsd, xml], { encoding: 'utf8' });
  return r.status === 0 ? '' : `${r.stderr}${r.stdout}`;
}
