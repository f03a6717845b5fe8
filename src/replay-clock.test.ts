/**
 * Timestamps that go back, jump forward or are past what pcapng holds: the
 * firewall's clock stays monotonic (conntrack's timers count from the
 * latest time seen, as the kernel's monotonic clock does), the report says
 * each kind once with where it first happened, and no timestamp wraps in
 * an output capture.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pcapngInterface, pcapngPacket, pcapngSectionHeader } from './capture/writer.js';
import { openCaptures } from './capture/index.js';
import { ethernet, ipv4, udp } from './packet/build.js';
import { parseMachineFile } from './machine/machine-file.js';
import { replay } from './replay.js';

const MACHINE = parseMachineFile(
  'interfaces:\n  - name: eth0\n    mac: "02:00:00:00:00:01"\n    addresses: [198.51.100.1/24]\n  - name: eth1\n    mac: "02:00:00:00:01:01"\n    addresses: [192.0.2.1/24]\n',
  'm.yaml',
);
// ESTABLISHED replies are accepted, NEW ones from outside dropped: the conntrack entry's life decides.
const RULES = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT
-A FORWARD -i eth1 -j ACCEPT
COMMIT
`;
const S = 1_000_000_000n;
const T0 = 1_700_000_000n * S;
const out = ethernet({ src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01' }, ipv4({ src: '192.0.2.10', dst: '198.51.100.9' }, udp({ sport: 5000, dport: 53 })));
const back = ethernet(
  { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' },
  ipv4({ src: '198.51.100.9', dst: '192.0.2.10' }, udp({ sport: 53, dport: 5000 })),
);

function pcapng(path: string, frames: [bigint, Uint8Array][]): void {
  writeFileSync(path, Buffer.concat([pcapngSectionHeader(), pcapngInterface(1, { tsresol: 9 }), ...frames.map(([t, d]) => pcapngPacket(0, t, d))]));
}

describe('odd timestamps', () => {
  it('a frame that goes back does not move the clock back: the UDP entry (30 s) is still alive for it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cofw-clock-'));
    try {
      const cap = join(dir, 'c.pcapng');
      // The request at T0+100 s, a reply stamped T0 (100 s earlier), then one 20 s after the request.
      pcapng(cap, [
        [T0 + 100n * S, out],
        [T0, back],
        [T0 + 120n * S, back],
      ]);
      const r = await replay({ rulesFile: 'r', rulesText: RULES, machine: MACHINE, captures: [cap], accepted: join(dir, 'a.pcapng') });
      expect(r.fates).toMatchObject({ forwarded: 3 });
      expect(r.clockNotes).toEqual([
        expect.stringMatching(
          /c\.pcapng record 2: its timestamp \(2023-11-14T22:13:20\.000Z\) is 100\.000 s before that of .*record 1 .*it is the only frame whose timestamp goes back: the firewall's clock does not go back/,
        ),
      ]);
      // The outputs keep each frame's own time.
      const ts: bigint[] = [];
      for await (const f of openCaptures([join(dir, 'a.pcapng')]).frames) ts.push(f.tsNs);
      expect(ts.sort()).toEqual([T0, T0 + 100n * S, T0 + 120n * S]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a jump of years expires every entry, and is said; a timestamp past 2554 is replayed at the time before it; pcap outputs never wrap', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cofw-clock-'));
    try {
      const cap = join(dir, 'j.pcapng');
      const late = 4_500_000_000n * S; // 2112: past pcap's 32-bit seconds
      pcapng(cap, [
        [T0, out],
        [late, back],
      ]);
      writeFileSync(join(dir, 'huge.pcapng'), Buffer.concat([pcapngSectionHeader(), pcapngInterface(1, { tsresol: 0 }), pcapngPacket(0, 1n << 40n, out)]));
      const r = await replay({
        rulesFile: 'r',
        rulesText: RULES,
        machine: MACHINE,
        captures: [cap, join(dir, 'huge.pcapng')],
        accepted: join(dir, 'a.pcap'),
      });
      // The reply comes years later: its entry is long gone, and it is NEW from outside.
      expect(r.fates).toMatchObject({ forwarded: 2, droppedByPolicy: 1 });
      expect(r.clockNotes).toEqual([
        expect.stringMatching(/j\.pcapng record 2: the clock jumps forward \d+\.\d days .*every connection tracking entry and fragment queue expires/),
        expect.stringMatching(/huge\.pcapng record 1: its timestamp \(\d+ ns after 1970\) is past the year 2554.*replayed at the time of the frame before it/),
        expect.stringMatching(/cannot be written in pcap .*use pcapng/),
      ]);
      const ts: bigint[] = [];
      for await (const f of openCaptures([join(dir, 'a.pcap')]).frames) ts.push(f.tsNs);
      expect(ts).toEqual([T0, 0xffffffffn * S + 999_999_000n]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('past 104 days (2^53 ns) after the first frame, timers still run and every output timestamp is exact to the nanosecond', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cofw-clock-'));
    try {
      const cap = join(dir, 'long.pcapng');
      const later = T0 + 200n * 86_400n * S; // 200 days: the guest's clock (ns since boot, a double) is past 2^53 there
      const rejected = ethernet(
        { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01' },
        ipv4({ src: '192.0.2.10', dst: '198.51.100.9' }, udp({ sport: 5001, dport: 7 })),
      );
      const times = [T0 + 1n, later + 123_456_789n, later + 10n * S + 987_654_321n, later + 11n * S + 7n];
      pcapng(cap, [
        [times[0]!, out],
        [times[1]!, out],
        [times[2]!, back],
        [times[3]!, rejected],
      ]);
      const rules = RULES.replace('-A FORWARD -m conntrack', '-A FORWARD -p udp --dport 7 -j REJECT\n-A FORWARD -m conntrack');
      const r = await replay({ rulesFile: 'r', rulesText: rules, machine: MACHINE, captures: [cap], accepted: join(dir, 'a.pcapng') });
      // The reply 10 s after its request, 200 days in: its entry (30 s) is alive.
      expect(r.fates).toMatchObject({ forwarded: 3, droppedByRule: 1, generated: 1 });
      expect(r.clockNotes).toBeUndefined();
      const ts: bigint[] = [];
      for await (const f of openCaptures([join(dir, 'a.pcapng')]).frames) ts.push(f.tsNs);
      // The REJECT's ICMP error carries the firewall's clock: the time of the frame that caused it.
      expect(ts).toEqual([times[0], times[1], times[2], times[3]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
