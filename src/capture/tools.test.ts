/**
 * Captures written or rewritten by real tools (tcpdump, editcap, tshark,
 * mergecap) read back to the frames they were made from; the writer's
 * output opens in tshark with its comments.
 *
 * The committed fixtures in test/fixtures/captures/ are regenerated with
 * `COFW_REGEN_CAPTURE_FIXTURES=1 npx vitest run src/capture/tools.test.ts`.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openCaptures, openCaptureWriter, type CaptureFrame } from './index.js';
import { pcapHeaderVariant, pcapRecordVariant, writePcapFile } from './pcap-write.js';
import { encodeLink, expectedEthernet, sampleFrames, toMicro } from './testing.js';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL } from './link.js';

const FIXTURES = resolve(import.meta.dirname, '../../test/fixtures/captures');
const frames = sampleFrames();

function has(tool: string): boolean {
  return spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
}
const TOOLS = ['tcpdump', 'editcap', 'tshark', 'mergecap'].every(has);

async function readAll(paths: string[]): Promise<CaptureFrame[]> {
  const c = openCaptures(paths);
  const got: CaptureFrame[] = [];
  for await (const f of c.frames) got.push(f);
  expect(c.damage).toEqual([]);
  return got;
}

const core = (f: CaptureFrame) => ({ tsNs: f.tsNs, data: Buffer.from(f.data).toString('hex'), origLen: f.origLen, truncated: f.truncated });
const expected = (linkType: number, micro: boolean) =>
  frames.map((f) => {
    const d = expectedEthernet(linkType, f.data);
    return { tsNs: micro ? toMicro(f.tsNs) : f.tsNs, data: Buffer.from(d).toString('hex'), origLen: d.length, truncated: 0 };
  });

/** Writes the source captures and runs the tools on them, into `dir`. */
function makeFixtures(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const p = (n: string): string => join(dir, n);
  writePcapFile(p('sample.pcap'), frames);
  writeFileSync(
    p('sample-nsec.pcap'),
    Buffer.concat([pcapHeaderVariant({ nanosecond: true }), ...frames.map((f) => pcapRecordVariant({ nanosecond: true }, f.tsNs, f.data))]),
  );
  writeFileSync(
    p('sample-sll.pcap'),
    Buffer.concat([
      pcapHeaderVariant({ nanosecond: true, linkType: LINKTYPE_LINUX_SLL }),
      ...frames.map((f) => pcapRecordVariant({ nanosecond: true }, f.tsNs, encodeLink(LINKTYPE_LINUX_SLL, f.data))),
    ]),
  );
  const run = (cmd: string, args: string[]): void => void execFileSync(cmd, args, { stdio: 'ignore' });
  run('tcpdump', ['-r', p('sample.pcap'), '-w', p('tcpdump.pcap')]);
  run('tcpdump', ['--time-stamp-precision=nano', '-r', p('sample-nsec.pcap'), '-w', p('tcpdump-nsec.pcap')]);
  run('editcap', ['-F', 'pcapng', p('sample-nsec.pcap'), p('editcap.pcapng')]);
  run('editcap', ['-F', 'nsecpcap', p('sample.pcap'), p('editcap-nsec.pcap')]);
  run('editcap', ['-F', 'pcapng', p('sample-sll.pcap'), p('editcap-sll.pcapng')]);
  run('tshark', ['-r', p('sample.pcap'), '-F', 'pcapng', '-w', p('tshark.pcapng')]);
  run('mergecap', ['-F', 'pcapng', '-w', p('mergecap-two-if.pcapng'), p('sample-nsec.pcap'), p('sample-sll.pcap')]);
  writeFileSync(p('editcap.pcapng.gz'), gzipSync(readFileSync(p('editcap.pcapng')), { level: 9 }));
}

/** Checks every tool-made capture in `dir` against the frames it came from. */
async function checkFixtures(dir: string): Promise<void> {
  const p = (n: string): string => join(dir, n);
  for (const [name, micro] of [
    ['sample.pcap', true],
    ['tcpdump.pcap', true],
    ['tcpdump-nsec.pcap', false],
    ['editcap.pcapng', false],
    ['editcap-nsec.pcap', true],
    ['tshark.pcapng', true],
    ['editcap.pcapng.gz', false],
  ] as const) {
    expect((await readAll([p(name)])).map(core), name).toEqual(expected(LINKTYPE_ETHERNET, micro));
  }
  const sll = await readAll([p('editcap-sll.pcapng')]);
  expect(sll.map(core)).toEqual(expected(LINKTYPE_LINUX_SLL, false));
  expect(sll.every((f) => f.linkType === LINKTYPE_LINUX_SLL && f.pktType === 0)).toBe(true);
  // mergecap: two interfaces (Ethernet and SLL) in one section, one frame of each per timestamp
  // (mergecap's own order for ties), each converted according to its interface's link type.
  const merged = await readAll([p('mergecap-two-if.pcapng')]);
  expect(merged.map((f) => f.tsNs)).toEqual(frames.flatMap((f) => [f.tsNs, f.tsNs]));
  expect(merged.map(core).sort((a, b) => a.data.localeCompare(b.data))).toEqual(
    [...expected(LINKTYPE_ETHERNET, false), ...expected(LINKTYPE_LINUX_SLL, false)].sort((a, b) => a.data.localeCompare(b.data)),
  );
  expect(new Set(merged.map((f) => f.linkType))).toEqual(new Set([LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL]));
}

describe('real-tool captures', () => {
  it('committed fixtures read back to the frames they were made from', async () => {
    if (process.env.COFW_REGEN_CAPTURE_FIXTURES === '1') {
      if (!TOOLS) throw new Error('regenerating the capture fixtures needs tcpdump, editcap, tshark and mergecap');
      makeFixtures(FIXTURES);
    }
    expect(existsSync(join(FIXTURES, 'editcap.pcapng'))).toBe(true);
    await checkFixtures(FIXTURES);
  });

  it.skipIf(!TOOLS)('freshly made with the installed tools too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cofw-tools-'));
    makeFixtures(dir);
    await checkFixtures(dir);
  });
});

describe('writer', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cofw-writer-'));
  });

  it('pcap round trip (microseconds; comments and names dropped)', async () => {
    const path = join(dir, 'out.pcap');
    const w = openCaptureWriter(path);
    for (const f of frames) w.write({ ...f, comment: 'dropped', ifName: 'eth0' });
    await w.close();
    const got = await readAll([path]);
    expect(got.map(core)).toEqual(expected(LINKTYPE_ETHERNET, true));
    expect(got.every((f) => f.ifName === undefined)).toBe(true);
  });

  it('pcapng round trip: nanoseconds, one IDB per interface name, comments, direction, origLen', async () => {
    const path = join(dir, 'out.pcapng');
    const w = openCaptureWriter(path);
    frames.forEach((f, i) => {
      const rec: Parameters<typeof w.write>[0] = { tsNs: f.tsNs, data: f.data, comment: `frame ${i + 1}: filter/INPUT rule ${i}` };
      if (i !== 4) rec.ifName = i % 2 ? 'eth1' : 'eth0';
      if (i < 2) rec.direction = i ? 'out' : 'in';
      if (i === 3) rec.origLen = f.data.length + 100;
      w.write(rec);
    });
    await w.close();
    const got = await readAll([path]);
    expect(got.map((f) => [f.tsNs, f.ifName, f.direction, f.truncated])).toEqual(
      frames.map((f, i) => [f.tsNs, i === 4 ? undefined : i % 2 ? 'eth1' : 'eth0', i === 0 ? 'in' : i === 1 ? 'out' : undefined, i === 3 ? 100 : 0]),
    );
    expect(got.map((f) => Buffer.from(f.data).toString('hex'))).toEqual(frames.map((f) => Buffer.from(f.data).toString('hex')));
    const bytes = readFileSync(path);
    let idbs = 0;
    for (let o = 0; o < bytes.length; o += bytes.readUInt32LE(o + 4)) if (bytes.readUInt32LE(o) === 1) idbs++;
    expect(idbs).toBe(3);
  });

  it('format option overrides the extension; large outputs stream', async () => {
    const path = join(dir, 'out.bin');
    const w = openCaptureWriter(path, { format: 'pcapng' });
    const f = frames[3]!;
    for (let i = 0; i < 30000; i++) w.write({ tsNs: f.tsNs + BigInt(i), data: f.data });
    await w.close();
    const c = openCaptures([path]);
    expect(c.formats.get(path)).toBe('pcapng');
    let n = 0;
    for await (const x of c.frames) if (x.tsNs === f.tsNs + BigInt(n)) n++;
    expect(n).toBe(30000);
  });

  it('tshark shows the comments', (ctx) => {
    if (!has('tshark')) {
      ctx.skip('tshark is not installed: cannot check that Wireshark sees the comments');
      return;
    }
    const path = join(dir, 'comments.pcapng');
    const w = openCaptureWriter(path);
    frames.forEach((f, i) => w.write({ tsNs: f.tsNs, data: f.data, ifName: 'eth0', comment: `verdict ${i + 1}` }));
    return w.close().then(() => {
      const out = execFileSync('tshark', ['-r', path, '-T', 'fields', '-e', 'frame.comment', '-e', 'frame.interface_name'], { encoding: 'utf8' });
      expect(out.trim().split('\n')).toEqual(frames.map((_, i) => `verdict ${i + 1}\teth0`));
    });
  });
});
