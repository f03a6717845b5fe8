/**
 * The link types that carry IP besides Ethernet, read as tshark dissects
 * the same captures: for every frame, the IP packet tshark finds (its
 * addresses, IP ID or payload length) is the one cofw replays, the MACs
 * tshark gives an 802.11 frame's source and destination are the ones the
 * firewall sees, and a frame where tshark finds no IP is one cofw accounts
 * for as not IP. Skips without tshark.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCaptures, type CaptureFrame } from './index.js';
import { pcapHeader, pcapRecord } from './pcap-write.js';
import { linkTypeName, toEthernet, LINKTYPE_NFLOG, LINKTYPE_PPP_ETHER, LINKTYPE_ETHERNET } from './link.js';
import { LINK_SAMPLES, nflogRecord, V4_TCP } from './link-fixture.js';
import { etherPayload } from '../conet/daemon.js';
import { formatMac } from '../packet/addr.js';

const TSHARK = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

async function read(path: string): Promise<CaptureFrame[]> {
  const c = openCaptures([path]);
  const got: CaptureFrame[] = [];
  for await (const f of c.frames) got.push(f);
  expect(c.damage).toEqual([]);
  return got;
}

function writeCapture(dir: string, linkType: number, frames: Uint8Array[]): string {
  const path = join(dir, `lt${linkType}.pcap`);
  writeFileSync(path, Buffer.concat([pcapHeader(linkType), ...frames.map((d, i) => pcapRecord(1_700_000_000_000_000_000n + BigInt(i) * 1000n, d))]));
  return path;
}

/** The IP packet of a converted frame (the stack's view: tags and PPPoE skipped), or undefined. */
function ipOf(f: CaptureFrame): Uint8Array | undefined {
  if (f.nonIp !== undefined) return undefined;
  const { off, type } = etherPayload(f.data);
  return type === 0x0800 || type === 0x86dd ? f.data.subarray(off) : undefined;
}

describe('link types that carry IP', () => {
  for (const [linkType, samples] of LINK_SAMPLES) {
    it(`${linkTypeName(linkType)}: each frame's IP packet and MACs, or not IP`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cofw-lt-'));
      try {
        const frames = await read(
          writeCapture(
            dir,
            linkType,
            samples.map((s) => s.data),
          ),
        );
        expect(frames.length).toBe(samples.length);
        frames.forEach((f, i) => {
          const s = samples[i]!;
          const ip = ipOf(f);
          expect(ip && hex(ip.subarray(0, s.ip?.length ?? 0)), `frame ${i + 1}`).toBe(s.ip && hex(s.ip));
          if (!s.ip && linkType !== LINKTYPE_ETHERNET) expect(f.nonIp, `frame ${i + 1}`).toMatch(/./);
          if (s.ip) {
            expect(formatMac(f.data, 6), `frame ${i + 1} source MAC`).toBe(s.src ?? '00:00:00:00:00:00');
            expect(formatMac(f.data, 0), `frame ${i + 1} destination MAC`).toBe(s.dst ?? '00:00:00:00:00:00');
            expect(f.truncated).toBe(0);
          }
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it.skipIf(!TSHARK)('tshark finds the same IP packets, MACs and non-IP frames in every link type (pcap and pcapng)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cofw-lt-'));
    try {
      // One pcapng with an interface of each link type (as mergecap writes it), and the pcap files it was made from.
      const pcaps = [...LINK_SAMPLES].map(([linkType, samples]) =>
        writeCapture(
          dir,
          linkType,
          samples.map((s) => s.data),
        ),
      );
      const ng = join(dir, 'all.pcapng');
      expect(spawnSync('mergecap', ['-a', '-F', 'pcapng', '-w', ng, ...pcaps]).status).toBe(0);
      const fields = ['frame.protocols', 'ip.src', 'ip.dst', 'ip.id', 'ipv6.src', 'ipv6.dst', 'ipv6.plen', 'wlan.sa', 'wlan.da'];
      const r = spawnSync('tshark', ['-r', ng, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=f', ...fields.flatMap((x) => ['-e', x])], {
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      const rows = r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => l.split('\t'));
      const frames = await read(ng);
      const fromPcaps = (await Promise.all(pcaps.map((p) => read(p)))).flat();
      expect(frames.map((f) => [hex(f.data), f.nonIp])).toEqual(fromPcaps.map((f) => [hex(f.data), f.nonIp]));
      expect(frames.length).toBe(rows.length);
      frames.forEach((f, i) => {
        const [protocols, src4, dst4, id4, src6, dst6, plen6, wsa, wda] = rows[i]!;
        const at = `${linkTypeName(f.linkType)} frame ${i + 1} (${protocols})`;
        const ip = ipOf(f);
        // A frame whose FCS failed is dissected by tshark, but the radio drops it.
        if (f.nonIp?.includes('FCS')) return;
        expect(ip !== undefined, at).toBe(/(^|:)ip(v6)?(:|$)/.test(protocols!));
        if (!ip) return;
        if (ip[0]! >> 4 === 4) {
          expect([`${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`, `${ip[16]}.${ip[17]}.${ip[18]}.${ip[19]}`, String((ip[4]! << 8) | ip[5]!)], at).toEqual([
            src4,
            dst4,
            String(Number(id4)),
          ]);
        } else {
          const a6 = (o: number): string =>
            Array.from({ length: 8 }, (_, k) => ((ip[o + 2 * k]! << 8) | ip[o + 2 * k + 1]!).toString(16))
              .join(':')
              .replace(/(^|:)0(:0)+(:|$)/, '::');
          expect([a6(8), a6(24), String((ip[4]! << 8) | ip[5]!)], at).toEqual([src6, dst6, plen6]);
        }
        if (wsa) expect([formatMac(f.data, 6), formatMac(f.data, 0)], at).toEqual([wsa, wda]);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('NFLOG TLVs in big-endian (a capture from a big-endian host) read as well', () => {
    const c = toEthernet(LINKTYPE_NFLOG, nflogRecord(2, V4_TCP, 'x ', undefined, true), 0);
    expect(c.nonIp).toBeUndefined();
    expect(hex(c.data.subarray(14))).toBe(hex(V4_TCP));
  });

  it('NFLOG: a packet cut by --nflog-size is as long as its IP header says (replayed as cut short)', () => {
    const rec = nflogRecord(2, V4_TCP.subarray(0, 28));
    const c = toEthernet(LINKTYPE_NFLOG, rec, rec.length);
    expect(c.data.length).toBe(14 + 28);
    expect(c.origLen).toBe(14 + V4_TCP.length);
  });

  it('hostile bytes never throw and never read past the frame', () => {
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (const linkType of LINK_SAMPLES.keys()) {
      for (const s of LINK_SAMPLES.get(linkType)!)
        for (let cut = 0; cut <= s.data.length; cut++) {
          const c = toEthernet(linkType, s.data.subarray(0, cut), s.data.length);
          expect(c.data.length).toBeLessThanOrEqual(Math.max(cut + 14, 14));
          expect(c.origLen).toBeGreaterThanOrEqual(c.data.length);
        }
      for (let n = 0; n < 300; n++) {
        const b = Uint8Array.from({ length: Math.floor(rnd() * 80) }, () => Math.floor(rnd() * 256));
        const c = toEthernet(linkType, b, b.length + Math.floor(rnd() * 10));
        expect(c.origLen).toBeGreaterThanOrEqual(c.data.length);
      }
    }
    expect(toEthernet(LINKTYPE_PPP_ETHER, new Uint8Array(3), 3).nonIp).toMatch(/cut short/);
  });
});
