/**
 * map-set: `-j SET --map-set` in the mangle table, both families, with
 * sets restored from `ipsets` whose entries carry skbinfo, and later rules
 * that read what the mapping set: `-m mark` (in mangle and in filter, the
 * mark kept through the later chains) and `-m bpf` programs that load
 * SKF_AD_QUEUE (skb->queue_mapping). skb->priority (`--map-prio`) is read
 * by no rule iptables can write (classic BPF has no load of it), so only
 * the rules' counters and the entries' counters show those lookups.
 *
 * The firewall's eth0 has 4 transmit queues and eth1 2 (`numtxqueues` in
 * the recording oracle's topology, `txqueues:` in machine.yaml):
 * `--map-queue` sets the queue only when skb->dev has more queues than the
 * entry's skbqueue, skb->dev being the input device in PREROUTING and
 * FORWARD (a user chain reached from PREROUTING takes --map-queue), the
 * output device in POSTROUTING, none in OUTPUT.
 *
 * - hash:net `marks` with counters: a /24 with `skbmark 0x10/0xf0 skbqueue
 *   3`, a /25 in it with `skbmark 0x20 skbprio 1:1 skbqueue 1` (mask
 *   0xffffffff: the whole mark replaced), a nomatch /26 (no mapping), a
 *   /15 with only `skbqueue 7` (the mark kept; 7 queues too many for eth0);
 *   looked up by source after `MARK --set-xmark 0x3`, by destination for
 *   packets from the inside (eth1's two queues);
 * - hash:ip,port `svc` by destination address and port in FORWARD,
 *   POSTROUTING and OUTPUT (`skbqueue 2` too many for eth1; OUTPUT has no
 *   device);
 * - list:set `lst` with skbinfo: its member `svc` without skbinfo of its
 *   own entry (the list's zeros replace the member's values: the mark is
 *   kept) and `plain` (a set without skbinfo) with the list's
 *   `skbmark 0xa0000/0xf0000`; a one-flag rule never reaches svc's two
 *   parts;
 * - IPv6: hash:net `marks6` and hash:ip,port `svc6`.
 */
import { ipv4, ipv6, tcp, udp } from '../../../src/packet/build.js';
import { Capture, DUAL_STACK_MACHINE, WIRE, type Scenario } from './capture.js';

const AD = 0xfffff000;
/** A program that matches when skb->queue_mapping (SKF_AD_QUEUE) is `q`. */
const queueIs = (q: number): string => `-m bpf --bytecode "4,32 0 0 ${AD + 24},21 0 1 ${q},6 0 0 1,6 0 0 0"`;
const queues = (chain: string, qs: readonly number[]): string => qs.map((q) => `-A ${chain} ${queueIs(q)}`).join('\n');

export const ipsets = `create marks hash:net family inet hashsize 1024 maxelem 65536 counters skbinfo
add marks 203.0.113.0/24 skbmark 0x10/0xf0 skbqueue 3
add marks 203.0.113.128/25 skbmark 0x20 skbprio 1:1 skbqueue 1
add marks 203.0.113.192/26 nomatch skbmark 0x30
add marks 198.18.0.0/15 skbqueue 7
create svc hash:ip,port family inet hashsize 1024 maxelem 65536 skbinfo
add svc 192.0.2.10,tcp:80 skbmark 0x100/0x100 skbqueue 1
add svc 192.0.2.10,tcp:443 skbqueue 2
add svc 203.0.113.7,udp:53 skbmark 0x5000/0xf000 skbqueue 1
create plain hash:ip family inet hashsize 1024 maxelem 65536
add plain 192.0.2.11
add plain 192.0.2.10
create lst list:set size 8 skbinfo
add lst svc
add lst plain skbmark 0xa0000/0xf0000
create marks6 hash:net family inet6 hashsize 1024 maxelem 65536 counters skbinfo
add marks6 2001:db8:dead::/48 skbmark 0x60/0xf0 skbqueue 3
add marks6 2001:db8:dead:beef::/64 skbmark 0x70 skbqueue 2
create svc6 hash:ip,port family inet6 hashsize 1024 maxelem 65536 skbinfo
add svc6 2001:db8:2::10,tcp:80 skbmark 0x100/0x100 skbqueue 1
add svc6 2001:db8:2::10,udp:9 skbqueue 2
`;

const MARKS4 = ['0x3', '0x13', '0x20', '0x113', '0x120', '0xa0003', '0xa0013', '0xa0020', '0xa0113', '0x5000'];

export const rules = `# cofw golden: map-set (IPv4 side)
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:qpre - [0:0]
-A PREROUTING -j MARK --set-xmark 0x3/0xffffffff
-A PREROUTING -j SET --map-set marks src --map-mark
${MARKS4.map((m) => `-A PREROUTING -m mark --mark ${m}`).join('\n')}
-A PREROUTING -p udp -m udp --dport 5000 -j qpre
-A qpre -j SET --map-set marks src --map-queue --map-prio
${queues('qpre', [0, 1, 3, 7])}
-A INPUT -m mark --mark 0x13
-A INPUT -m mark --mark 0x20
${queues('FORWARD', [0, 1, 3])}
-A FORWARD -i eth0 -j SET --map-set marks src --map-queue --map-prio
-A FORWARD -i eth1 -j SET --map-set marks dst --map-queue
${queues('FORWARD', [0, 1, 3, 7])}
-A FORWARD -j SET --map-set svc dst,dst --map-mark
${MARKS4.map((m) => `-A FORWARD -m mark --mark ${m}`).join('\n')}
-A OUTPUT -j SET --map-set svc dst,dst --map-mark --map-queue
-A OUTPUT -m mark --mark 0x5000
${queues('OUTPUT', [0, 1])}
${queues('POSTROUTING', [0, 1, 2, 3])}
-A POSTROUTING -j SET --map-set svc dst,dst --map-queue
${queues('POSTROUTING', [0, 1, 2, 3])}
-A POSTROUTING -o eth1 -j SET --map-set lst dst --map-mark
-A POSTROUTING -o eth1 -j SET --map-set lst dst,dst --map-mark
${MARKS4.map((m) => `-A POSTROUTING -m mark --mark ${m}`).join('\n')}
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${MARKS4.map((m) => `-A INPUT -m mark --mark ${m}`).join('\n')}
${MARKS4.map((m) => `-A FORWARD -m mark --mark ${m}`).join('\n')}
-A OUTPUT -m mark --mark 0x5000
COMMIT
`;

const MARKS6 = ['0x3', '0x63', '0x70', '0x163', '0x170'];

export const rules6 = `# cofw golden: map-set (IPv6 side)
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -j MARK --set-xmark 0x3/0xffffffff
-A PREROUTING -j SET --map-set marks6 src --map-mark
${MARKS6.map((m) => `-A PREROUTING -m mark --mark ${m}`).join('\n')}
-A FORWARD -j SET --map-set marks6 src --map-queue --map-prio
${queues('FORWARD', [0, 2, 3])}
-A POSTROUTING -j SET --map-set svc6 dst,dst --map-queue --map-mark
${queues('POSTROUTING', [0, 1, 2, 3])}
${MARKS6.map((m) => `-A POSTROUTING -m mark --mark ${m}`).join('\n')}
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${MARKS6.map((m) => `-A FORWARD -m mark --mark ${m}`).join('\n')}
COMMIT
`;

/** The oracle's machine with eth0's 4 and eth1's 2 transmit queues. */
export const machine = DUAL_STACK_MACHINE.replace('hostname: cofw-dual-stack', 'hostname: cofw-map-set')
  .replace('    addresses: [198.51.100.1/24, 2001:db8:100::1/64]\n', '    addresses: [198.51.100.1/24, 2001:db8:100::1/64]\n    txqueues: 4\n')
  .replace('    addresses: [192.0.2.1/24, 2001:db8:2::1/64]\n', '    addresses: [192.0.2.1/24, 2001:db8:2::1/64]\n    txqueues: 2\n');

const FW = '198.51.100.1';

export function build(): Scenario & { rules6: string; ipsets: string; machine: string } {
  const c = new Capture(2_000_000n);
  const u = (src: string, dst: string, dport: number, n = 20): Uint8Array => ipv4({ src, dst }, udp({ sport: 50000, dport, payload: new Uint8Array(n) }));
  const t = (src: string, dst: string, dport: number): Uint8Array => ipv4({ src, dst }, tcp({ sport: 40000 + (dport % 1000), dport, flags: 'S' }));
  const wire6 = (ip: Uint8Array): void => c.wire(ip, { ...WIRE, ethertype: 0x86dd });
  const t6 = (src: string, dport: number): Uint8Array => ipv6({ src, dst: '2001:db8:2::10' }, tcp({ sport: 41000, dport, flags: 'S' }));
  const u6 = (src: string, dport: number): Uint8Array => ipv6({ src, dst: '2001:db8:2::10' }, udp({ sport: 51000, dport, payload: new Uint8Array(12) }));

  // Forwarded from outside, through qpre (dport 5000): the /24, the /25, the nomatch /26, the /15 (queue 7 too many).
  for (const src of ['203.0.113.5', '203.0.113.130', '203.0.113.200', '198.18.0.1']) c.wire(u(src, '192.0.2.10', 5000));
  // To svc in FORWARD and POSTROUTING: tcp:80 (mark 0x100 over the /24's or the /25's, queue 1 on eth1), tcp:443 (queue 2: too many for eth1).
  c.wire(t('203.0.113.5', '192.0.2.10', 80));
  c.wire(t('203.0.113.130', '192.0.2.10', 80));
  c.wire(t('203.0.113.5', '192.0.2.10', 443));
  c.wire(t('198.19.1.1', '192.0.2.10', 443));
  // The list: plain's 192.0.2.11 by one flag (the list's skbmark), svc's 192.0.2.10,tcp:80 by two (the list's zeros).
  c.wire(u('203.0.113.5', '192.0.2.11', 9));
  c.wire(u('198.51.100.77', '192.0.2.11', 9));
  // Not in any set.
  c.wire(u('198.51.100.77', '192.0.2.12', 9));
  // To the firewall: the mark seen in INPUT.
  c.wire(u('203.0.113.5', FW, 9));
  c.wire(u('203.0.113.140', FW, 9));
  // From the inside, mapped by destination (eth1, the input device in FORWARD, has 2 queues: the /25's 1 fits, the /24's 3 not).
  c.host(u('192.0.2.20', '203.0.113.140', 9));
  c.host(u('192.0.2.20', '203.0.113.50', 9));
  c.host(u('192.0.2.20', '198.18.5.5', 9));
  // The firewall's own: svc's udp:53 entry in OUTPUT (no device: the queue stays), and one not in it.
  c.local(u(FW, '203.0.113.7', 53));
  c.local(u(FW, '203.0.113.8', 53));
  // IPv6: the /48 and the /64 in it, and neither; svc6's tcp:80 (queue 1) and udp:9 (queue 2, too many for eth1).
  wire6(t6('2001:db8:dead::5', 80));
  wire6(t6('2001:db8:dead:beef::5', 80));
  wire6(u6('2001:db8:dead:beef::6', 9));
  wire6(u6('2001:db8:dead::6', 9));
  wire6(t6('2001:db8:feed::1', 80));
  return { rules, rules6, ipsets, machine, capture: c };
}
