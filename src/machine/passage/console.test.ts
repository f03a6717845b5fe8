import { describe, expect, it } from 'vitest';
import { decodeConsole, encodeConsole } from './console.js';

describe('console lines', () => {
  it('round-trips a console line', () => {
    expect(decodeConsole(encodeConsole({ level: 4, sinceBootNs: 1_234_567_000n, text: 'héllo' }))).toEqual({
      level: 4,
      sinceBootNs: 1_234_567_000n,
      text: 'héllo',
    });
  });
});
