/**
 * Test data: the rule set and capture of the mangling-targets recording
 * (fixtures/mangle/), built deterministically. The fixture directory holds
 * what the real kernel did with them (kernel.save, kernel.conntrack),
 * recorded with shared/kernel-oracle/run-kernel.sh on Linux 6.18 with
 * iptables 1.8.9 (nf_tables) in the topology of test/golden/machine.yaml.
 *
 * To rewrite rules.v4 and capture.pcap (then re-record as root):
 *   npx tsc -p tsconfig.json --outDir /tmp/cofw-gen
 *   node /tmp/cofw-gen/src/netfilter/targets/mangle-fixture.js src/netfilter/targets/fixtures/mangle
 *   ../shared/kernel-oracle/run-kernel.sh DIR/rules.v4 DIR/capture.pcap DIR
 *
 * What the kernel's results show, with no mark match in cofw yet:
 * - MARK and CONNMARK: the connection marks in kernel.conntrack (mark=N),
 *   set, saved, restored and xor-ed through the flows' packets;
 * - CT --notrack and NOTRACK: the UNTRACKED state rules' counters and the
 *   flows missing from kernel.conntrack;
 * - TTL: `-m ttl` counters after --ttl-set (and the forwarding decrement);
 * - TCPMSS: `--tcp-option 2` and `-m length` counters and byte counts after
 *   an MSS option was lowered or added (4 more bytes per packet);
 * - DSCP, TOS, ECN (iptables has no ECE/CWR flag names to match on), NFLOG,
 *   TRACE: their own counters.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ethernet, ipv4, icmp, tcp, udp } from '../../packet/build.js';
import { writePcapFile } from '../../capture/pcap-write.js';

export const MANGLE_RULES = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp -m udp --dport 53 -j CT --notrack
-A PREROUTING -p tcp -j CT --zone 0
-A PREROUTING -p icmp -j TRACE
-A OUTPUT -p udp -m udp --dport 514 -j NOTRACK
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:MSS - [0:0]
-A PREROUTING -j CONNMARK --restore-mark
-A PREROUTING -p udp -m udp --dport 123 -j MARK --set-mark 0x10/0xff
-A PREROUTING -p udp -m udp --dport 123 -j MARK --or-mark 0x100
-A PREROUTING -p tcp -m tcp --dport 443 -j MARK --set-xmark 0x7/0xf
-A PREROUTING -j CONNMARK --save-mark --mask 0xffff
-A PREROUTING -p tcp -m tcp --sport 443 -j CONNMARK --xor-mark 0x20000
-A PREROUTING -p tcp -m tcp --dport 80 -j CONNMARK --set-mark 0x300/0xf00
-A PREROUTING -p icmp -j TTL --ttl-set 9
-A PREROUTING -p udp -j DSCP --set-dscp-class AF41
-A PREROUTING -p udp -j TOS --set-tos 0x10/0x3f
-A PREROUTING -p tcp -j ECN --ecn-tcp-remove
-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j MSS
-A OUTPUT -p udp -j TTL --ttl-dec 10
-A POSTROUTING -p tcp -m tcp --tcp-option 2 -j NFLOG --nflog-group 3 --nflog-prefix "mss "
-A POSTROUTING -p icmp -j TTL --ttl-inc 2
-A MSS -p tcp -j TCPMSS --set-mss 1200
-A MSS -p tcp -j TCPMSS --clamp-mss-to-pmtu
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m state --state UNTRACKED -j ACCEPT
-A FORWARD -p icmp -m ttl --ttl-eq 8 -j ACCEPT
-A FORWARD -p icmp -j DROP
-A FORWARD -p tcp -m length --length 44 -j ACCEPT
-A FORWARD -p tcp -m tcp --tcp-option 2 -j ACCEPT
-A FORWARD -p udp -m udp --dport 123 -j ACCEPT
-A FORWARD -p tcp -j ACCEPT
-A OUTPUT -m state --state UNTRACKED -j ACCEPT
-A OUTPUT -p udp -m ttl --ttl-eq 54 -j ACCEPT
COMMIT
`;

const WIRE = '02:00:00:00:00:02';
const FW0 = '02:00:00:00:00:01';
const HOST = '02:00:00:00:01:02';
const FW1 = '02:00:00:00:01:01';

/** MSS 1460, SACK permitted, timestamps, NOP, window scale 7 (as Linux sends). */
const SYN_OPTS = Uint8Array.from([2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]);
const SYNACK_OPTS = Uint8Array.from([2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 2, 0, 0, 0, 1, 1, 3, 3, 7]);

/** The capture's frames, 20 ms apart. */
export function mangleFrames(): Array<{ tsNs: bigint; data: Uint8Array }> {
  const fromWire = (ip: Uint8Array) => ethernet({ src: WIRE, dst: FW0 }, ip);
  const fromHost = (ip: Uint8Array) => ethernet({ src: HOST, dst: FW1 }, ip);
  const local = (ip: Uint8Array) => ethernet({ src: FW0, dst: WIRE }, ip);
  const pkts: Uint8Array[] = [
    // A: a handshake to port 80 whose MSS options are lowered to 1200.
    fromWire(ipv4({ src: '203.0.113.5', dst: '192.0.2.10', id: 1 }, tcp({ sport: 40001, dport: 80, flags: 'S', seq: 1000, options: SYN_OPTS }))),
    fromHost(
      ipv4(
        { src: '192.0.2.10', dst: '203.0.113.5', id: 2 },
        tcp({ sport: 80, dport: 40001, flags: 'SA', seq: 5000, ack: 1001, window: 65160, options: SYNACK_OPTS }),
      ),
    ),
    fromWire(ipv4({ src: '203.0.113.5', dst: '192.0.2.10', id: 3 }, tcp({ sport: 40001, dport: 80, flags: 'A', seq: 1001, ack: 5001, window: 502 }))),
    // B: an ECN handshake to 443 without options: ECE/CWR removed, an MSS option added.
    fromWire(ipv4({ src: '203.0.113.6', dst: '192.0.2.10', id: 4 }, tcp({ sport: 40002, dport: 443, flags: 'SEC', seq: 7000 }))),
    fromHost(ipv4({ src: '192.0.2.10', dst: '203.0.113.6', id: 5 }, tcp({ sport: 443, dport: 40002, flags: 'SAE', seq: 9000, ack: 7001 }))),
    fromWire(ipv4({ src: '203.0.113.6', dst: '192.0.2.10', id: 6 }, tcp({ sport: 40002, dport: 443, flags: 'A', seq: 7001, ack: 9001 }))),
    fromWire(
      ipv4(
        { src: '203.0.113.6', dst: '192.0.2.10', id: 7 },
        tcp({ sport: 40002, dport: 443, flags: 'PA', seq: 7001, ack: 9001, payload: new TextEncoder().encode('hello') }),
      ),
    ),
    // C: DNS, not tracked.
    fromWire(ipv4({ src: '203.0.113.7', dst: '192.0.2.10', id: 8, tos: 0x01 }, udp({ sport: 5000, dport: 53, payload: new Uint8Array(12) }))),
    fromWire(ipv4({ src: '203.0.113.7', dst: '192.0.2.10', id: 9 }, udp({ sport: 5000, dport: 53, payload: new Uint8Array(20) }))),
    // D: NTP, marked and saved.
    fromWire(ipv4({ src: '203.0.113.8', dst: '192.0.2.10', id: 10, tos: 0xb8 }, udp({ sport: 5001, dport: 123, payload: new Uint8Array(48) }))),
    // E: a ping from the host side whose TTL is set.
    fromHost(ipv4({ src: '192.0.2.10', dst: '203.0.113.9', id: 11 }, icmp({ type: 8, code: 0, id: 77, seq: 1, payload: new Uint8Array(16) }))),
    // F: local syslog, not tracked, TTL lowered in OUTPUT.
    local(ipv4({ src: '198.51.100.1', dst: '203.0.113.20', id: 12 }, udp({ sport: 600, dport: 514, payload: new Uint8Array(30) }))),
    // G: local NTP: tracked, TTL lowered.
    local(ipv4({ src: '198.51.100.1', dst: '203.0.113.21', id: 13 }, udp({ sport: 601, dport: 123, payload: new Uint8Array(48) }))),
  ];
  const t0 = 1_700_000_000_000_000_000n;
  return pkts.map((data, i) => ({ tsNs: t0 + BigInt(i) * 20_000_000n, data }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.argv[2] ?? '.';
  writeFileSync(join(dir, 'rules.v4'), MANGLE_RULES);
  writePcapFile(join(dir, 'capture.pcap'), mangleFrames());
}
