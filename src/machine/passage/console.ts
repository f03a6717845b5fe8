/**
 * Console lines (LINUX -> CONSOLE): one kernel log line each.
 *
 * Payload: u8 level, u64 ns since boot, text.
 */
import type { MessageBuffer } from './buffer.js';
import { ByteReader, ByteWriter, dec, enc } from './bytes.js';
import { Module, MsgType } from './modules.js';
import { PassageError } from './page.js';

export interface ConsoleMsg {
  readonly level: number;
  readonly sinceBootNs: bigint;
  readonly text: string;
}
/** Appends a console line to a MessageBuffer. */
export function putConsole(b: MessageBuffer, level: number, sinceBootNs: bigint, text: string): void {
  const o = b.begin(Module.LINUX, Module.CONSOLE, MsgType.ConsoleLine, 9 + text.length * 3);
  b.bytes[o] = level;
  b.view.setBigUint64(o + 1, sinceBootNs, true);
  const r = enc.encodeInto(text, b.bytes.subarray(o + 9));
  b.end(o + 9 + r.written);
}
export function encodeConsole(c: ConsoleMsg): Uint8Array {
  return new ByteWriter().u8(c.level).u64(c.sinceBootNs).bytes(enc.encode(c.text)).done();
}
export function decodeConsole(b: Uint8Array): ConsoleMsg {
  const r = new ByteReader(b, 'console line');
  const level = r.u8();
  if (level > 7) throw new PassageError(`console line: log level ${level} out of range (0-7)`);
  const sinceBootNs = r.u64();
  return { level, sinceBootNs, text: dec.decode(r.rest()) };
}
