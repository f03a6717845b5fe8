import { describe, expect, it } from 'vitest';
import { decodeInitFailed, encodeInitFailed } from './init.js';

describe('init failure messages', () => {
  it('round-trip', () => {
    const init = { ruleFile: true, errors: [{ file: 'r.v4', line: 3, column: 9, message: 'bad port' }] };
    expect(decodeInitFailed(encodeInitFailed(init))).toEqual(init);
  });
});
