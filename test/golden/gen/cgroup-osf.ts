/**
 * cgroup-osf: `-m cgroup` and `-m osf`, stateless.
 *
 * cgroup (both families): `--path` and `--cgroup` with and without `!` in
 * INPUT, OUTPUT and POSTROUTING. The firewall's own packets leave from the
 * oracle's raw sockets, made by a process in the cgroup v2 `/cofwgold`
 * (the machine file's `sockets:` says so); `/cofwgold/idle` exists with no
 * process in it; the machine has no net_cls hierarchy, so every class id
 * is 0. Received and forwarded packets have no socket: no rule matches
 * them, inverted or not.
 *
 * osf (IPv4): `--genre` with and without `!`, `--ttl`, `--log`, met by
 * TCP SYNs from several systems' stacks: the kernel has no fingerprints
 * loaded, so nothing matches.
 *
 * Recorded by a shell inside the cgroup `/cofwgold` (with `/cofwgold/idle`
 * made beside it):
 *
 *     mkdir -p /sys/fs/cgroup/unified/cofwgold/idle
 *     sh -c 'echo $$ > /sys/fs/cgroup/unified/cofwgold/cgroup.procs; exec flock /tmp/kernel-oracle.lock \
 *       ../shared/kernel-oracle/run-kernel.sh test/golden/cgroup-osf/rules.v4 test/golden/cgroup-osf/capture.pcap \
 *       test/golden/cgroup-osf test/golden/cgroup-osf/rules.v6'
 */
import { ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, DUAL_STACK_MACHINE, payload, type Scenario } from './capture.js';
import { senders6 } from './ip6.js';

const CGROUP_RULES = [
  '-m cgroup --path "/"',
  '-m cgroup ! --path "/"',
  '-m cgroup --path "/cofwgold"',
  '-m cgroup ! --path "/cofwgold"',
  '-m cgroup --path "/cofwgold/idle"',
  '-m cgroup ! --path "/cofwgold/idle"',
  '-m cgroup --path "//cofwgold/"',
  '-m cgroup --cgroup 0',
  '-m cgroup ! --cgroup 0',
  '-m cgroup --cgroup 1048577',
  '-m cgroup ! --cgroup 1048577',
];

const OSF_RULES = [
  '-p tcp -m osf --genre Linux',
  '-p tcp -m osf ! --genre Linux',
  '-p tcp -m osf --genre Windows --ttl 2',
  '-p tcp -m osf ! --genre unknown --ttl 0 --log 1',
];

function ruleFile(title: string, v4: boolean): string {
  const lines: string[] = [];
  for (const ch of ['INPUT', 'OUTPUT']) for (const r of CGROUP_RULES) lines.push(`-A ${ch} ${r}`);
  if (v4) for (const ch of ['INPUT', 'FORWARD']) for (const r of OSF_RULES) lines.push(`-A ${ch} ${r}`);
  const mangle = CGROUP_RULES.map((r) => `-A POSTROUTING ${r}`);
  return `# cofw golden: cgroup-osf (${title})
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
${mangle.join('\n')}
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${lines.join('\n')}
COMMIT
`;
}

/** Linux's, Windows's and an old BSD's SYN options (MSS, SACK, timestamps, window scale). */
const LINUX_SYN = Uint8Array.of(2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7);
const WINDOWS_SYN = Uint8Array.of(2, 4, 5, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2);
const BSD_SYN = Uint8Array.of(2, 4, 5, 0xb4, 1, 1, 4, 2);

export function build(): Scenario & { rules6: string; machine: string } {
  const c = new Capture(3_000_000n);
  const OUT = '203.0.113.9';
  const IN = '192.0.2.10';
  c.wire(ipv4({ src: OUT, dst: '198.51.100.1', ttl: 64 }, tcp({ sport: 40000, dport: 22, flags: 'S', window: 64240, options: LINUX_SYN })));
  c.wire(ipv4({ src: OUT, dst: IN, ttl: 128 }, tcp({ sport: 40001, dport: 80, flags: 'S', window: 64240, options: WINDOWS_SYN })));
  c.wire(ipv4({ src: OUT, dst: IN, ttl: 64, df: false }, tcp({ sport: 40002, dport: 80, flags: 'S', window: 16384, options: BSD_SYN })));
  c.wire(ipv4({ src: OUT, dst: IN }, tcp({ sport: 40002, dport: 80, flags: 'A' })));
  c.wire(ipv4({ src: OUT, dst: '198.51.100.1' }, udp({ sport: 5000, dport: 53, payload: payload(20) })));
  c.host(ipv4({ src: IN, dst: OUT, ttl: 128 }, tcp({ sport: 50000, dport: 443, flags: 'S', window: 64240, options: WINDOWS_SYN })));
  c.local(ipv4({ src: '198.51.100.1', dst: OUT }, tcp({ sport: 22, dport: 40000, flags: 'SA' })));
  c.local(ipv4({ src: '198.51.100.1', dst: OUT }, udp({ sport: 5001, dport: 53, payload: payload(30) })));
  c.local(ipv4({ src: '198.51.100.1', dst: IN }, udp({ sport: 5002, dport: 53, payload: payload(40) })));

  const { w6, h6, l6 } = senders6(c);
  const OUT6 = '2001:db8:99::9';
  const IN6 = '2001:db8:2::10';
  w6(ipv6({ src: OUT6, dst: '2001:db8:100::1' }, tcp({ sport: 40000, dport: 22, flags: 'S' })));
  w6(ipv6({ src: OUT6, dst: IN6 }, udp({ sport: 5000, dport: 53, payload: payload(20) })));
  h6(ipv6({ src: IN6, dst: OUT6 }, tcp({ sport: 50000, dport: 443, flags: 'S' })));
  l6(ipv6({ src: '2001:db8:100::1', dst: OUT6 }, udp({ sport: 5001, dport: 53, payload: payload(30) })));
  l6(ipv6({ src: '2001:db8:2::1', dst: IN6 }, tcp({ sport: 22, dport: 50001, flags: 'SA' })), true);
  // /cofwgold/idle exists on the machine: a socket of its own in it that sends nothing in the capture.
  const machine = `${DUAL_STACK_MACHINE}sockets:\n  - {proto: any, uid: 0, gid: 0, cgroup: /cofwgold}\n  - {proto: sctp, port: 9, uid: 0, gid: 0, cgroup: /cofwgold/idle}\n`;
  return { rules: ruleFile('IPv4', true), rules6: ruleFile('IPv6', false), capture: c, machine };
}
