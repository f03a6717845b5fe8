/**
 * Terminate (LINUX -> MONITOR): the guest stops, with a reason, the frame
 * it was working on and a text.
 *
 * Payload: u8 reason, u32 frameNo (0: none), text.
 */
import { ByteReader, ByteWriter, dec, enc } from './bytes.js';
import { terminationName } from './modules.js';
import { PassageError } from './page.js';

export interface TerminateMsg {
  readonly reason: number;
  readonly frameNo: number;
  readonly text: string;
}
export function encodeTerminate(t: TerminateMsg): Uint8Array {
  return new ByteWriter().u8(t.reason).u32(t.frameNo).bytes(enc.encode(t.text)).done();
}
export function decodeTerminate(b: Uint8Array): TerminateMsg {
  const r = new ByteReader(b, 'terminate');
  const reason = r.u8();
  if (terminationName(reason) === undefined) throw new PassageError(`terminate: unknown reason ${reason}`);
  const frameNo = r.u32();
  return { reason, frameNo, text: dec.decode(r.rest()) };
}
