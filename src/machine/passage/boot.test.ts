import { describe, expect, it } from 'vitest';
import { defaultMachine } from '../machine-file.js';
import { decodeBoot, encodeBoot } from './boot.js';

describe('boot parameters', () => {
  it('round-trip, machine spec and routes included', () => {
    const spec = { ...defaultMachine([0xc6336401]), routes: [{ dst: 0, prefix: 0, via: 0xc63364fe, dev: 'eth0' }] };
    const boot = decodeBoot(encodeBoot({ bootTsNs: 99n, rulesFile: 'r.v4', spec }));
    expect(boot.rulesFile).toBe('r.v4');
    expect(boot.spec).toEqual(spec);
  });
});
