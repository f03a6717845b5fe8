import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from './frame.js';

const bytes = (n: number, fill = 0xab): Uint8Array => new Uint8Array(n).fill(fill);

describe('frame messages', () => {
  it('round-trips a frame delivery', () => {
    const f = { frameNo: 7, tsNs: 1_700_000_000_123_456_789n, output: true, truncated: false, data: bytes(60) };
    expect(decodeFrame(encodeFrame(f))).toEqual(f);
    const cut = { ...f, output: false, truncated: true };
    expect(decodeFrame(encodeFrame(cut))).toEqual(cut);
  });
});
