/**
 * Save (LINUX -> MONITOR): iptables-save (or ip6tables-save) text, at boot
 * without and at shutdown with counters.
 *
 * Payload: u8 flags (bit 0 counters, bit 1 the IPv6 rule set), text.
 */
import { ByteReader, ByteWriter, dec, enc } from './bytes.js';
import { PassageError } from './page.js';

export interface SaveMsg {
  readonly counters: boolean;
  readonly text: string;
  /** The ip6tables rule set's text. */
  readonly ipv6?: boolean;
}
export function encodeSave(m: SaveMsg): Uint8Array {
  return new ByteWriter()
    .u8((m.counters ? 1 : 0) | (m.ipv6 ? 2 : 0))
    .bytes(enc.encode(m.text))
    .done();
}
export function decodeSave(b: Uint8Array): SaveMsg {
  const r = new ByteReader(b, 'save');
  const c = r.u8();
  if (c > 3) throw new PassageError(`save: unknown flags ${c}`);
  return { counters: (c & 1) === 1, text: dec.decode(r.rest()), ...(c & 2 ? { ipv6: true } : {}) };
}
