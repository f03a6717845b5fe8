import { describe, expect, it } from 'vitest';
import { decodeSave, encodeSave } from './save.js';

describe('save messages', () => {
  it('round-trip', () => {
    expect(decodeSave(encodeSave({ counters: true, text: '*filter\nCOMMIT\n' }))).toEqual({ counters: true, text: '*filter\nCOMMIT\n' });
  });
});
