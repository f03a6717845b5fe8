/**
 * Golden `nfacct`'s accounting objects after the replay against the
 * kernel's (`kernel.nfacct`: `nfacct list` in the firewall's namespace
 * once the capture was played; see test/golden/gen/nfacct.ts): the same
 * objects, counters, quotas and over-quota flags, in the same order. The
 * counters of the rules are compared by the golden runner.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMachineFile } from '../src/machine/machine-file.js';
import { replay } from '../src/replay.js';

const dir = join(import.meta.dirname, 'golden', 'nfacct');

describe('golden nfacct: the accounting objects', () => {
  it('are the kernel nfacct list after the replay', async () => {
    const r = await replay({
      rulesFile: join(dir, 'rules.v4'),
      rules6File: join(dir, 'rules.v6'),
      machine: loadMachineFile(join(dir, 'machine.yaml')),
      captures: [join(dir, 'capture.pcap')],
    });
    expect(r.nfacct).toBe(readFileSync(join(dir, 'kernel.nfacct'), 'utf8'));
  });
});
