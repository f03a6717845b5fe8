/**
 * The ICMPv6 errors ip6_forward sends on the way through, as cofw's IPv6
 * path makes them: a packet larger than the output interface's MTU gets a
 * packet too big (not recordable from the kernel oracle, whose interfaces
 * share one MTU; net/ipv6/ip6_output.c: icmpv6_send(skb, ICMPV6_PKT_TOOBIG,
 * 0, mtu)), RELATED to the packet's connection, from the address of the
 * interface towards the sender. (No route and beyond scope are recorded in
 * test/golden/ip6-nd.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writePcapFile } from '../../capture/pcap-write.js';
import { openCaptures } from '../../capture/index.js';
import { ethernet, ipv6, udp } from '../../packet/build.js';
import { parseMachineFile } from '../../machine/machine-file.js';
import { replay } from '../../replay.js';

const MACHINE = parseMachineFile(
  `interfaces:
  - name: eth0
    mac: "02:00:00:00:00:01"
    addresses: [198.51.100.1/24, 2001:db8:100::1/64]
    mtu: 1400
  - name: eth1
    mac: "02:00:00:00:01:01"
    addresses: [192.0.2.1/24, 2001:db8:2::1/64]
routes:
  - to: ::/0
    via: 2001:db8:100::fe
    dev: eth0
`,
  'm.yaml',
);

const RULES6 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m conntrack --ctstate NEW
-A OUTPUT -p ipv6-icmp -m icmp6 --icmpv6-type packet-too-big -m conntrack --ctstate RELATED
COMMIT
`;

describe('ip6_forward: packet too big', () => {
  it('answers a packet larger than the output MTU from the inside with its MTU, RELATED, and forwards one that fits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cofw-ptb-'));
    try {
      const l2 = { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01', ethertype: 0x86dd };
      const big = ipv6({ src: '2001:db8:2::10', dst: '2001:db8:99::1' }, udp({ sport: 5000, dport: 5001, payload: new Uint8Array(1400) }));
      const small = ipv6({ src: '2001:db8:2::10', dst: '2001:db8:99::1' }, udp({ sport: 5000, dport: 5001, payload: new Uint8Array(1000) }));
      const cap = join(dir, 'in.pcap');
      writePcapFile(cap, [
        { tsNs: 1_000_000_000n, data: ethernet(l2, big) },
        { tsNs: 1_010_000_000n, data: ethernet(l2, small) },
      ]);
      const accepted = join(dir, 'acc.pcapng');
      const r = await replay({ rulesFile: 'r.v4', rulesText: '', rules6File: 'r.v6', rules6Text: RULES6, machine: MACHINE, captures: [cap], accepted });
      expect(r.fates).toMatchObject({ droppedByStack: 1, forwarded: 1 });
      expect(r.save6).toContain('[1:1280] -A OUTPUT -p ipv6-icmp -m icmp6 --icmpv6-type 2 -m conntrack --ctstate RELATED');
      // Both packets passed PREROUTING's conntrack; only the one that fits reached FORWARD.
      expect(r.save6).toContain('[1:1048] -A FORWARD -m conntrack --ctstate NEW');
      const out: Uint8Array[] = [];
      for await (const f of openCaptures([accepted]).frames) if (f.direction === 'out' && f.ifName === 'eth1') out.push(new Uint8Array(f.data.subarray(14)));
      const ptb = out[0]!;
      expect([ptb[40], ptb[41]]).toEqual([2, 0]);
      expect((ptb[44]! << 24) | (ptb[45]! << 16) | (ptb[46]! << 8) | ptb[47]!).toBe(1400);
      expect(Buffer.from(ptb.subarray(8, 24)).toString('hex')).toBe('20010db8000200000000000000000001');
      expect(ptb.subarray(48)).toEqual(big.subarray(0, 1232));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
