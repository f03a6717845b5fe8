/** `cofw check --shadowed`: exit 4 and the list when a rule is shadowed, 0 when none is; golden rule files from the wild. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cofw } from './cli-run.js';

const golden = join(import.meta.dirname, 'golden');
afterEach(() => {
  vi.restoreAllMocks();
});

describe('cofw check --shadowed', () => {
  it('lists the shadowed rules with the rules that catch them (exit 4)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cofw-shadow-')), 'r.v4');
    writeFileSync(
      file,
      '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -s 10.0.0.0/8 -j DROP\n' +
        '-A INPUT -p tcp --dport 1:100 -j ACCEPT\n-A INPUT -p tcp --dport 101:200 -j ACCEPT\n-A INPUT -s 10.1.0.0/16 -p tcp --dport 22 -j ACCEPT\n' +
        '-A INPUT -p tcp --dport 50:150 -j ACCEPT\nCOMMIT\n',
    );
    const r = await cofw('check', '--shadowed', file);
    expect(r.code).toBe(4);
    expect(r.out).toBe(
      `${file}: 2 shadowed rules (of 6): earlier rules catch every packet they would match\n` +
        `  ${file}:9  filter:INPUT:5  -A INPUT -s 10.1.0.0/16 -p tcp -m tcp --dport 22 -j ACCEPT\n` +
        '      never reached: caught, with another target, by\n' +
        `        ${file}:6  rule 2  -A INPUT -s 10.0.0.0/8 -j DROP\n` +
        `  ${file}:10  filter:INPUT:6  -A INPUT -p tcp -m tcp --dport 50:150 -j ACCEPT\n` +
        '      redundant: caught, with the same target, by\n' +
        `        ${file}:7  rule 3  -A INPUT -p tcp -m tcp --dport 1:100 -j ACCEPT\n` +
        `        ${file}:8  rule 4  -A INPUT -p tcp -m tcp --dport 101:200 -j ACCEPT\n`,
    );
  });
  it.each(['ufw', 'real-world', 'filter-basic'])('%s: none (exit 0)', async (name) => {
    const r = await cofw('check', '--shadowed', join(golden, name, 'rules.v4'));
    expect(r.out).toMatch(/: no shadowed rule \(\d+ rules checked\)\n$/);
    expect(r.code).toBe(0);
  });
  it('ip6tables files (-6)', async () => {
    const r = await cofw('check', '-6', '--shadowed', join(golden, 'ufw6', 'rules.v6'));
    expect(r.code === 0 || r.code === 4).toBe(true);
    expect(r.err).toBe('');
  });
});
