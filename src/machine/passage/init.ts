/**
 * How init ends (LINUX -> MONITOR): Booted, or InitFailed with the rule
 * file's errors.
 *
 * Booted: u32 rules, u32 tables.
 * InitFailed: u8 kind (1: rule file errors, 2: other), u16 count, each: u32 line, u32 column, str16 file, str32 message.
 */
import { ByteReader, ByteWriter } from './bytes.js';
import { PassageError } from './page.js';

export interface BootedMsg {
  readonly rules: number;
  readonly tables: number;
}
export function encodeBooted(m: BootedMsg): Uint8Array {
  return new ByteWriter().u32(m.rules).u32(m.tables).done();
}
export function decodeBooted(b: Uint8Array): BootedMsg {
  const r = new ByteReader(b, 'booted');
  const rules = r.u32();
  const tables = r.u32();
  r.end();
  return { rules, tables };
}

export interface InitError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Without the `file:line:column: ` prefix. */
  readonly message: string;
}
export interface InitFailedMsg {
  readonly ruleFile: boolean;
  readonly errors: readonly InitError[];
}
export function encodeInitFailed(m: InitFailedMsg): Uint8Array {
  const w = new ByteWriter().u8(m.ruleFile ? 1 : 2).u16(m.errors.length);
  for (const e of m.errors) w.u32(e.line).u32(e.column).str(e.file, 2).str(e.message, 4);
  return w.done();
}
export function decodeInitFailed(b: Uint8Array): InitFailedMsg {
  const r = new ByteReader(b, 'init failure');
  const kind = r.u8();
  if (kind !== 1 && kind !== 2) throw new PassageError(`init failure: unknown kind ${kind}`);
  const errors: InitError[] = [];
  for (let n = r.u16(), i = 0; i < n; i++) {
    const line = r.u32();
    const column = r.u32();
    const file = r.str(2);
    errors.push({ line, column, file, message: r.str(4) });
  }
  r.end();
  return { ruleFile: kind === 1, errors };
}
