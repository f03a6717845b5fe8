/**
 * The `-m osf --log` lines of golden `osf-loaded` against the kernel's own
 * (`kernel.log`: what dmesg showed with nf_log_ipv4 bound in the firewall's
 * namespace, timestamps and the continuation indent removed; see
 * test/golden/gen/osf-loaded.ts): the same lines, in the same order.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMachineFile } from '../src/machine/machine-file.js';
import { replay } from '../src/replay.js';

const dir = join(import.meta.dirname, 'golden', 'osf-loaded');

describe('golden osf-loaded: the osf log lines', () => {
  it('are the kernel lines, in order', async () => {
    const r = await replay({ rulesFile: join(dir, 'rules.v4'), machine: loadMachineFile(join(dir, 'machine.yaml')), captures: [join(dir, 'capture.pcap')] });
    const lines = r.console.map((l) => l.replace(/^\[[ 0-9.]+\] /, ''));
    const osf: string[] = [];
    lines.forEach((l, i) => {
      if (/^(.* \[.*:.*\] : .* hops=-?\d+|Remote OS is not known: .*)$/.test(l)) osf.push(l, lines[i + 1] ?? '');
    });
    const kernel = readFileSync(join(dir, 'kernel.log'), 'utf8').split('\n').slice(0, -1);
    expect(osf.length).toBeGreaterThan(0);
    expect(osf).toEqual(kernel);
  });
});
