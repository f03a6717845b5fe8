import { describe, expect, it } from 'vitest';
import { decodeBlkRead, decodeBlkReply, encodeBlkRead, encodeBlkReply } from './blk.js';
import { MsgType } from './modules.js';

const bytes = (n: number, fill = 0xab): Uint8Array => new Uint8Array(n).fill(fill);

describe('block requests and replies', () => {
  it('round-trips a read request and a reply', () => {
    expect(decodeBlkRead(encodeBlkRead({ offset: 70_000, length: 4096 }))).toEqual({ offset: 70_000, length: 4096 });
    const rep = { request: MsgType.BlkRead, status: 0, value: 70_000, data: bytes(10) };
    expect(decodeBlkReply(encodeBlkReply(rep))).toEqual(rep);
  });
  it('rejects a read request larger than a request may be', () => {
    expect(() => decodeBlkRead(encodeBlkRead({ offset: 0, length: 1 << 20 }))).toThrow(/at most/);
  });
});
