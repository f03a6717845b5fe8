/**
 * Captures from the wild through `cofw replay`: the exit code and the
 * report for a pcapng capture with an interface of a link type cofw does
 * not read, one with only such interfaces, a section version nobody reads,
 * a gzip member with a bad CRC, and a gzip bomb.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { pcapHeaderVariant, pcapRecordVariant } from '../src/capture/pcap-write.js';
import { pcapngInterface, pcapngPacket, pcapngSectionHeader } from '../src/capture/writer.js';
import { main } from '../src/cli/main.js';
import { ethernet, ipv4, udp } from '../src/packet/build.js';
import { expectValidReport } from './report-schema.js';

const root = join(import.meta.dirname, '..');
const RULES = join(root, 'rules/sample.v4');
const MACHINE = join(root, 'machines/sample.yaml');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cofw-wild-cli-'));
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function cofw(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const grab =
    (add: (s: string) => void) =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      add(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
      return true;
    };
  vi.spyOn(process.stdout, 'write').mockImplementation(grab((s) => (out += s)) as typeof process.stdout.write);
  vi.spyOn(process.stderr, 'write').mockImplementation(grab((s) => (err += s)) as typeof process.stderr.write);
  const code = await main(['node', 'cofw', ...args]);
  vi.restoreAllMocks();
  return { code, out, err };
}

const put = (name: string, b: Uint8Array): string => {
  const p = join(dir, name);
  writeFileSync(p, b);
  return p;
};
const T0 = 1_700_000_000_000_000_000n;
const frame = (i: number): Uint8Array =>
  ethernet(
    { src: '02:00:00:00:09:01', dst: '02:00:00:00:00:01' },
    ipv4({ src: '198.51.100.77', dst: '192.0.2.10', id: i }, udp({ sport: 4000 + i, dport: 53 })),
  );

describe('cofw replay on captures from the wild', () => {
  it('a pcapng interface of a link type cofw does not read: its records are skipped and counted, the replay goes on (exit 0)', async () => {
    const usb = new Uint8Array(48).fill(1);
    const p = put(
      'mixed.pcapng',
      Buffer.concat([
        pcapngSectionHeader(),
        pcapngInterface(1, { name: 'eth0', tsresol: 9 }),
        pcapngInterface(220, { name: 'usbmon1', tsresol: 9 }),
        pcapngPacket(1, T0, usb),
        pcapngPacket(0, T0 + 1n, frame(1)),
        pcapngPacket(1, T0 + 2n, usb),
        pcapngPacket(0, T0 + 3n, frame(2)),
      ]),
    );
    const json = join(dir, 'mixed.json');
    const r = await cofw('replay', p, '--rules', RULES, '--machine', MACHINE, '--json', json, '-q');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Skipped input (interfaces of link types cofw does not read):');
    expect(r.out).toContain(`${p}: 2 records of interface 1 (usbmon1), USB_LINUX_MMAPPED (usbmon) (220), skipped (the first is record 1 at byte`);
    expectValidReport(readFileSync(json, 'utf8'));
    const rep = JSON.parse(readFileSync(json, 'utf8'));
    expect(rep.framesIn).toBe(2);
    expect(rep.skipped).toEqual([expect.objectContaining({ interfaceId: 1, linkType: 220, records: 2, firstIndex: 1 })]);
  });

  it('a pcapng capture whose interfaces are all of such link types is exit 1, as a pcap capture of one is', async () => {
    const p = put('usb.pcapng', Buffer.concat([pcapngSectionHeader(), pcapngInterface(220, { name: 'usbmon1' }), pcapngPacket(0, 1n, new Uint8Array(48))]));
    const r = await cofw('replay', p, '--rules', RULES, '--machine', MACHINE, '-q');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^cofw: .*usb\.pcapng, byte \d+: interface 0 \(usbmon1\) is USB_LINUX_MMAPPED \(usbmon\) \(220\), which is not a link type cofw reads/,
    );
    const q = put('frelay.pcap', pcapHeaderVariant({ linkType: 107 }));
    const r2 = await cofw('replay', q, '--rules', RULES, '--machine', MACHINE, '-q');
    expect(r2.code).toBe(1);
    expect(r2.err).toMatch(/frelay\.pcap, byte 20: FRELAY \(107\) is not a link type cofw reads/);
  });

  it('pcapng version 1.1 is exit 1', async () => {
    const shb = pcapngSectionHeader();
    new DataView(shb.buffer, shb.byteOffset).setUint16(14, 1, true);
    const p = put('v11.pcapng', Buffer.concat([shb, pcapngInterface(1, { tsresol: 9 }), pcapngPacket(0, T0, frame(1))]));
    const r = await cofw('replay', p, '--rules', RULES, '--machine', MACHINE, '-q');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/v11\.pcapng, byte 12: pcapng version 1\.1 is not one cofw reads/);
  });

  it('a gzip member with a bad CRC: every frame is replayed, the damage is reported (exit 3)', async () => {
    const plain = Buffer.concat([pcapHeaderVariant({}), ...[1, 2, 3].map((i) => pcapRecordVariant({}, T0 + BigInt(i) * 1000n, frame(i)))]);
    const g = Buffer.from(gzipSync(plain));
    g[g.length - 6]! ^= 0x40;
    const p = put('crc.pcap.gz', g);
    const json = join(dir, 'crc.json');
    const r = await cofw('replay', p, '--rules', RULES, '--machine', MACHINE, '--json', json, '-q');
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/fails its CRC check .*: its data was read to the end, as `zcat` reads it, but may be damaged/);
    expectValidReport(readFileSync(json, 'utf8'));
    const rep = JSON.parse(readFileSync(json, 'utf8'));
    expect(rep.framesIn).toBe(3);
  });
});
