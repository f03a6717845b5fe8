/**
 * Captures of the link types that carry IP besides Ethernet, replayed: a
 * PPP capture and PPPoE inside Ethernet meet the rules as IP packets
 * received on the firewall's interface, frames without IP (LCP, PPPoE
 * discovery) are accounted for as not IP with what they are, the accepted
 * capture holds Ethernet frames as the firewall sends them and the dropped
 * capture the frames as the firewall received them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pcapHeader, pcapRecord } from './capture/pcap-write.js';
import { openCaptures, LINKTYPE_PPP, LINKTYPE_ETHERNET } from './capture/index.js';
import { ethernet, ipv4, tcp, udp } from './packet/build.js';
import { parseMachineFile } from './machine/machine-file.js';
import { replay } from './replay.js';

const MACHINE = parseMachineFile(
  `hostname: t
interfaces:
  - name: eth0
    mac: "02:00:00:00:00:01"
    addresses: [198.51.100.1/24]
  - name: eth1
    mac: "02:00:00:00:01:01"
    addresses: [192.0.2.1/24]
routes:
  - to: default
    via: 198.51.100.254
`,
  'm.yaml',
);
const RULES = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -p udp --dport 53 -j DROP
COMMIT
`;
const T0 = 1_700_000_000_000_000_000n;
const TCP80 = ipv4({ src: '192.0.2.10', dst: '203.0.113.80' }, tcp({ sport: 5000, dport: 80, flags: 'S' }));
const UDP53 = ipv4({ src: '192.0.2.10', dst: '203.0.113.53' }, udp({ sport: 5000, dport: 53 }));
const pppoe = (code: number, proto: number, body: Uint8Array): Uint8Array =>
  Uint8Array.from([0x11, code, 0, 7, (body.length + 2) >> 8, (body.length + 2) & 255, proto >> 8, proto & 255, ...body]);
const LAN = { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01', ethertype: 0x8864 };

function capture(path: string, linkType: number, frames: Uint8Array[], t: bigint): void {
  writeFileSync(path, Buffer.concat([pcapHeader(linkType), ...frames.map((d, i) => pcapRecord(t + BigInt(i) * 1_000_000n, d))]));
}

describe('replay of PPP and PPPoE captures', () => {
  it('IP inside PPP and PPPoE meets the rules; LCP and discovery are not IP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cofw-links-'));
    try {
      const ppp = join(dir, 'ppp.pcap');
      capture(
        ppp,
        LINKTYPE_PPP,
        [Uint8Array.from([0xff, 0x03, 0x00, 0x21, ...TCP80]), Uint8Array.from([0x00, 0x21, ...UDP53]), Uint8Array.from([0xc0, 0x21, 1, 1, 0, 4])],
        T0,
      );
      const eth = join(dir, 'pppoe.pcap');
      const pppoeUdp = ethernet(LAN, pppoe(0, 0x0021, UDP53));
      capture(
        eth,
        LINKTYPE_ETHERNET,
        [
          ethernet(LAN, pppoe(0, 0x0021, TCP80)),
          pppoeUdp,
          ethernet({ ...LAN, dst: 'ff:ff:ff:ff:ff:ff', ethertype: 0x8863 }, Uint8Array.from([0x11, 0x09, 0, 0, 0, 0])),
          ethernet(LAN, pppoe(0, 0xc021, Uint8Array.from([9, 1, 0, 4]))),
        ],
        T0 + 500_000n,
      );
      const r = await replay({
        rulesFile: 'rules.v4',
        rulesText: RULES,
        machine: MACHINE,
        captures: [ppp, eth],
        accepted: join(dir, 'acc.pcap'),
        dropped: join(dir, 'drop.pcap'),
      });
      expect(r.framesIn).toBe(7);
      expect(r.fates).toMatchObject({ forwarded: 2, droppedByRule: 2, bridged: 3 });
      expect(r.notIp).toEqual([
        { reason: 'PPP LCP (0xc021), not an IP packet', count: 1 },
        { reason: 'PPPoE discovery (PADI), not an IP packet', count: 1 },
        { reason: 'PPPoE session: PPP LCP (0xc021), not an IP packet', count: 1 },
      ]);
      expect(r.save).toContain('[2:56] -A FORWARD -p udp -m udp --dport 53 -j DROP');
      expect(r.save).toMatch(/:FORWARD ACCEPT \[2:80\]/);
      const acc = [];
      for await (const f of openCaptures([join(dir, 'acc.pcap')]).frames) acc.push(f.data);
      // Forwarded from eth0 as Ethernet frames carrying the IP packet (TTL one less).
      expect(acc.map((d) => [d[12], d[13], d.length, d[14 + 8]])).toEqual([
        [0x08, 0x00, 14 + TCP80.length, 63],
        [0x08, 0x00, 14 + TCP80.length, 63],
      ]);
      expect(Buffer.from(acc[0]!.subarray(6, 12)).toString('hex')).toBe('020000000001');
      const drop = [];
      for await (const f of openCaptures([join(dir, 'drop.pcap')]).frames) drop.push(Buffer.from(f.data).toString('hex'));
      // The dropped PPPoE frame as it came; the PPP one as the firewall received it (converted to Ethernet).
      expect(drop).toContain(Buffer.from(pppoeUdp).toString('hex'));
      expect(drop).toContain('000000000000000000000000' + '0800' + Buffer.from(UDP53).toString('hex'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
