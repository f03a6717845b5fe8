import { describe, expect, it } from 'vitest';
import { Termination } from './modules.js';
import { decodeTerminate, encodeTerminate } from './terminate.js';

describe('terminate messages', () => {
  it('round-trip', () => {
    expect(decodeTerminate(encodeTerminate({ reason: Termination.PANIC, frameNo: 12, text: 'oops' }))).toEqual({ reason: 3, frameNo: 12, text: 'oops' });
  });
  it('reject an unknown reason', () => {
    expect(() => decodeTerminate(new Uint8Array([42, 0, 0, 0, 0]))).toThrow(/unknown reason 42/);
  });
});
