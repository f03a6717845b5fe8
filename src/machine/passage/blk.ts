/**
 * Block requests (LINUX -> COBDn) and their replies (COBDn -> LINUX): the
 * guest's synchronous access to its block devices.
 *
 * Requests: Open/Stat/Close empty; Read: u64 offset, u32 length.
 * Reply: u8 request type, i32 status (0 or -errno), u64 value (size, or offset of the data), data.
 */
import { ByteReader, ByteWriter } from './bytes.js';
import { MsgType } from './modules.js';
import { PassageError } from './page.js';

export const BLK_READ_MAX = 16 * 1024;
/** Bytes of a block reply before its data. */
export const BLK_REPLY_HEADER = 13;
export interface BlkRead {
  readonly offset: number;
  readonly length: number;
}
export function encodeBlkRead(r: BlkRead): Uint8Array {
  return new ByteWriter().u64(BigInt(r.offset)).u32(r.length).done();
}
export function decodeBlkRead(b: Uint8Array): BlkRead {
  const r = new ByteReader(b, 'block read request');
  const offset = r.u64();
  const length = r.u32();
  r.end();
  if (offset > BigInt(Number.MAX_SAFE_INTEGER)) throw new PassageError(`block read request: offset ${offset} out of range`);
  if (length > BLK_READ_MAX) throw new PassageError(`block read request: ${length} bytes asked, at most ${BLK_READ_MAX} per request`);
  return { offset: Number(offset), length };
}
export interface BlkReply {
  readonly request: number;
  readonly status: number;
  readonly value: number;
  readonly data: Uint8Array;
}
export function encodeBlkReply(r: BlkReply): Uint8Array {
  return new ByteWriter().u8(r.request).i32(r.status).u64(BigInt(r.value)).bytes(r.data).done();
}
export function decodeBlkReply(b: Uint8Array): BlkReply {
  const r = new ByteReader(b, 'block reply');
  const request = r.u8();
  if (request < MsgType.BlkOpen || request > MsgType.BlkClose) throw new PassageError(`block reply: unknown request type ${request}`);
  const status = r.i32();
  const value = r.u64();
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new PassageError(`block reply: value ${value} out of range`);
  return { request, status, value: Number(value), data: r.rest().slice() };
}
