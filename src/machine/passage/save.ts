/**
 * Save (LINUX -> MONITOR): iptables-save text, at boot without and at
 * shutdown with counters.
 *
 * Payload: u8 counters (0/1), text.
 */
import { ByteReader, ByteWriter, dec, enc } from './bytes.js';
import { PassageError } from './page.js';

export interface SaveMsg {
  readonly counters: boolean;
  readonly text: string;
}
export function encodeSave(m: SaveMsg): Uint8Array {
  return new ByteWriter().u8(m.counters ? 1 : 0).bytes(enc.encode(m.text)).done();
}
export function decodeSave(b: Uint8Array): SaveMsg {
  const r = new ByteReader(b, 'save');
  const c = r.u8();
  if (c > 1) throw new PassageError(`save: unknown flag ${c}`);
  return { counters: c === 1, text: dec.decode(r.rest()) };
}
