/**
 * `cofw trace` for a person, on golden scenarios of both families: the
 * rules met with their texts and lines, conntrack's entry before and after,
 * NAT, the fate; `--flow` follows a connection; `--format kernel` keeps the
 * TRACE lines.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';

const root = join(import.meta.dirname, '..');
const DUAL = join(root, 'test/golden/dual-stack');
const NAT = join(root, 'test/golden/nat-gateway');

afterEach(() => {
  vi.restoreAllMocks();
});

async function cofw(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const grab = (add: (s: string) => void) => ((chunk: string | Uint8Array) => (add(String(chunk)), true)) as typeof process.stdout.write;
  vi.spyOn(process.stdout, 'write').mockImplementation(grab((s) => (out += s)));
  vi.spyOn(process.stderr, 'write').mockImplementation(grab((s) => (err += s)));
  const code = await main(['node', 'cofw', ...args]);
  vi.restoreAllMocks();
  return { code, out, err };
}

const dual = ['--rules', join(DUAL, 'rules.v4'), '--rules6', join(DUAL, 'rules.v6'), '--machine', join(DUAL, 'machine.yaml')];

describe('cofw trace', () => {
  it('follows an IPv6 frame through ip6tables, with conntrack before and after', async () => {
    const r = await cofw('trace', join(DUAL, 'capture.pcap'), ...dual, '--match', 'ip6 and tcp and dport 22');
    expect(r.code, r.err).toBe(0);
    const frame1 = r.out.split('\n\n')[0]!;
    expect(frame1).toMatch(/^frame 1: tcp \[2001:db8:99::5\]:50000 -> \[2001:db8:100::1\]:22 \[S\] len 60, in on eth0\n/);
    expect(frame1).toContain('    ip6tables -t filter, chain INPUT:\n');
    const v6rules = readFileSync(join(DUAL, 'rules.v6'), 'utf8').split('\n');
    const hit = /INPUT #6 +line (\d+) +MATCH +(-A INPUT .*)/.exec(frame1)!;
    expect(hit).not.toBeNull();
    expect(v6rules[Number(hit[1]) - 1]).toContain('--dport 22');
    expect(frame1).toContain('      entry before: none (a new connection)\n');
    expect(frame1).toMatch(/ {6}entry after: {2}tcp +6 \d+ SYN_SENT src=2001:db8:99::5 dst=2001:db8:100::1 sport=50000 dport=22 \[UNREPLIED\]/);
    expect(frame1).toMatch(/\n {2}conntrack after: .*\(packet NEW\)\n/);
    expect(frame1).toMatch(/\n {2}fate: delivered\n?$/);
  });

  it('--flow follows a connection through NAT: the translation, and the nat table consulted for its first packet only', async () => {
    const r = await cofw(
      'trace',
      join(NAT, 'capture.pcap'),
      '--rules',
      join(NAT, 'rules.v4'),
      '--machine',
      join(root, 'test/golden/machine.yaml'),
      '--flow',
      '1',
    );
    expect(r.code, r.err).toBe(0);
    const frames = r.out.split('\n\n');
    expect(frames.length).toBeGreaterThan(1);
    expect(frames[0]).toContain('  NAT: tcp 192.0.2.10:40000 -> 203.0.113.5:443  became  tcp 198.51.100.1:40000 -> 203.0.113.5:443\n');
    expect(frames[0]).toMatch(/POSTROUTING #5 +line 18 +MATCH +-A POSTROUTING -s 192\.0\.2\.0\/24 -o eth0 -j MASQUERADE/);
    expect(frames[1]).toContain('nat: not consulted');
    expect(frames[1]).toMatch(/ {6}entry before: tcp +6 \d+ SYN_RECV /);
    for (const f of frames) expect(f).toMatch(/^frame \d+: tcp 192\.0\.2\.10:40000 -> 203\.0\.113\.5:443 /);
  });

  it('--format kernel prints the TRACE lines of both families, as before', async () => {
    const r = await cofw('trace', join(DUAL, 'capture.pcap'), ...dual, '-f', '1', '--format', 'kernel');
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split('\n').filter(Boolean);
    for (const l of lines) expect(l).toMatch(/^TRACE: /);
    expect(lines.at(-1)).toBe('TRACE: frame=1 delivered');
    expect(r.out).not.toContain('cofw-trace');
  });

  it('--flow of a frame the captures do not have is an error naming it', async () => {
    const r = await cofw('trace', join(NAT, 'capture.pcap'), '--rules', join(NAT, 'rules.v4'), '--flow', '100000');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--flow 100000: the captures have \d+ frames/);
  });
});
