/**
 * ct-timeout: `-j CT --timeout NAME` with timeout policies (`nfct add
 * timeout` in the oracle, `cttimeout:` in machine.yaml), both families.
 * Forwarded UDP, TCP, ICMP/ICMPv6 and ESP (the generic tracker) flows whose
 * entries take their policy's timeouts; the gaps between their packets make
 * an entry expire under the policy where the default would keep it (a
 * later packet is NEW again, not ESTABLISHED: UDP, TCP picked up again
 * mid-stream, ICMP, ESP) and, for `udp-long`, keep one the default would
 * have let expire (its reply is ESTABLISHED, not a NEW entry of its own);
 * `udp-long` leaves `replied` unset, so its stream takes the default 120 s.
 * A TCP flow to port 81 without a policy is the control. The last packets
 * leave entries whose remaining timeouts kernel.conntrack lists. Times sit
 * half a second (or more) away from each expiry, so the jiffy the kernel's
 * clock is on cannot change an outcome. The rules are saved with the
 * policy names cut to 4 bytes (xt_CT's usersize), which kernel.save shows.
 */
import { icmp, icmp6, ipv4, ipv6, raw, tcp, udp } from '../../../src/packet/build.js';
import { Capture, DUAL_STACK_MACHINE, payload, type Scenario } from './capture.js';

/** The policies: [name, family, protocol, states]. */
const POLICIES: ReadonlyArray<readonly [string, 'inet' | 'inet6', string, Record<string, number>]> = [
  ['udp-short', 'inet', 'udp', { unreplied: 3, replied: 4 }],
  ['udp-long', 'inet', 'udp', { unreplied: 40 }],
  ['tcp-short', 'inet', 'tcp', { syn_sent: 4, established: 5 }],
  ['icmp-short', 'inet', 'icmp', { timeout: 3 }],
  ['esp-short', 'inet', 'generic', { timeout: 4 }],
  ['udp-short6', 'inet6', 'udp', { unreplied: 3, replied: 4 }],
  ['tcp-short6', 'inet6', 'tcp', { syn_sent: 4, established: 5 }],
  ['icmp6-short', 'inet6', 'icmpv6', { timeout: 3 }],
];

const states = (s: Record<string, number>): Array<[string, number]> => Object.entries(s);

/** The commands the oracle runs in the firewall's namespace before loading the rules. */
export const nfct = POLICIES.map(([n, f, p, s]) => `nfct add timeout ${n} ${f} ${p} ${states(s).flat().join(' ')}\n`).join('');

export const machine =
  DUAL_STACK_MACHINE.replace('hostname: cofw-dual-stack', 'hostname: cofw-ct-timeout') +
  'cttimeout:\n' +
  POLICIES.map(
    ([n, f, p, s]) =>
      `  - {name: ${n}, family: ${f}, protocol: ${p}, ${states(s)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')}}\n`,
  ).join('');

const counting = (proto: string, match: string): string =>
  `-A FORWARD -p ${proto} ${match}-m conntrack --ctstate NEW\n-A FORWARD -p ${proto} ${match}-m conntrack --ctstate ESTABLISHED\n`;

export const rules = `# cofw golden: ct-timeout (CT --timeout policies, IPv4)
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp -m udp --dport 5001 -j CT --timeout udp-short
-A PREROUTING -p udp -m udp --dport 5002 -j CT --timeout udp-long
-A PREROUTING -p tcp -m tcp --dport 80 -j CT --timeout tcp-short
-A PREROUTING -p icmp -j CT --timeout icmp-short
-A PREROUTING -p esp -j CT --timeout esp-short
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${counting('udp', '-m multiport --ports 5001 ')}${counting('udp', '-m multiport --ports 5002 ')}${counting('tcp', '-m multiport --ports 80 ')}${counting('tcp', '-m multiport --ports 81 ')}${counting('icmp', '')}${counting('esp', '')}COMMIT
`;

export const rules6 = `# cofw golden: ct-timeout (CT --timeout policies, IPv6)
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp -m udp --dport 5001 -j CT --timeout udp-short6
-A PREROUTING -p tcp -m tcp --dport 80 -j CT --timeout tcp-short6
-A PREROUTING -p ipv6-icmp -j CT --timeout icmp6-short
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${counting('udp', '-m multiport --ports 5001 ')}${counting('tcp', '-m multiport --ports 80 ')}${counting('tcp', '-m multiport --ports 81 ')}${counting('ipv6-icmp', '')}COMMIT
`;

const OUT = '203.0.113.10';
const IN = '192.0.2.10';
const OUT6 = '2001:db8:99::5';
const IN6 = '2001:db8:2::10';

export function build(): Scenario & { rules6: string; machine: string; nfct: string } {
  const c = new Capture(0n);
  // Events are gathered with their times, then written in time order.
  const events: Array<{ s: number; emit: () => void }> = [];
  let when = 0;
  const at = (s: number): void => {
    when = s;
  };
  /** The two families' packets, each from its side: `out` from the outside (eth0), else from the inside (eth1). */
  const v4 = (out: boolean, l4: Parameters<typeof ipv4>[1]): void => {
    const ip = out ? ipv4({ src: OUT, dst: IN }, l4) : ipv4({ src: IN, dst: OUT }, l4);
    events.push({ s: when, emit: () => (out ? c.wire(ip) : c.host(ip)) });
  };
  const v6 = (out: boolean, l4: Parameters<typeof ipv6>[1]): void => {
    const ip = out ? ipv6({ src: OUT6, dst: IN6 }, l4) : ipv6({ src: IN6, dst: OUT6 }, l4);
    events.push({ s: when, emit: () => (out ? c.wire6(ip) : c.host6(ip)) });
  };
  const both = (t: number, out: boolean, l4: () => Parameters<typeof ipv4>[1], six = true): void => {
    at(t);
    v4(out, l4());
    if (six) {
      at(t + 0.05);
      v6(out, l4());
    }
  };
  const u = (sport: number, dport: number) => (): Parameters<typeof ipv4>[1] => udp({ sport, dport, payload: payload(16) });
  const t =
    (sport: number, dport: number, flags: string, seq: number, ack: number, len = 0) =>
    (): Parameters<typeof ipv4>[1] =>
      tcp({ sport, dport, flags, seq, ack, window: 64240, ...(len ? { payload: payload(len) } : {}) });

  // UDP 5001 (udp-short: 3 s unreplied, 4 s replied): out, answer, out again within 2 s (3 s);
  // 6.5 s: NEW again under the policy (the default's 30 s would keep it ESTABLISHED).
  both(0.5, true, u(4000, 5001));
  both(0.6, false, u(5001, 4000));
  both(1.0, true, u(4000, 5001));
  both(6.5, true, u(4000, 5001));
  both(6.6, false, u(5001, 4000));
  // UDP 5002 (udp-long: 40 s unreplied, IPv4): unanswered until 33.5 s, past the default's 30 s.
  both(0.7, true, u(4001, 5002), false);

  // TCP to 80 (tcp-short: established 5 s) and to 81 (defaults): handshake, data, its ACK.
  for (const [dport, base] of [
    [80, 1.5],
    [81, 1.52],
  ] as const) {
    both(base, true, t(40000, dport, 'S', 1000, 0));
    both(base + 0.1, false, t(dport, 40000, 'SA', 5000, 1001));
    both(base + 0.2, true, t(40000, dport, 'A', 1001, 5001));
    both(base + 0.3, true, t(40000, dport, 'PA', 1001, 5001, 100));
    both(base + 0.4, false, t(dport, 40000, 'A', 5001, 1101));
    // 8.5 s: more data; port 80's entry has expired (picked up again: NEW), port 81's has not.
    both(base + 7, true, t(40000, dport, 'PA', 1101, 5001, 100));
    both(base + 7.1, false, t(dport, 40000, 'A', 5001, 1201));
  }

  // ICMP echo (icmp-short, icmp6-short: 3 s): request, reply; 5 s later the same id is NEW again.
  const echo = (type4: number, type6: number, seq: number, out: boolean, s: number): void => {
    at(s);
    v4(out, icmp({ type: type4, rest: (0x77 << 16) | seq, payload: payload(16) }));
    at(s + 0.05);
    v6(out, icmp6({ type: type6, rest: (0x77 << 16) | seq, payload: payload(16) }));
  };
  echo(8, 128, 1, true, 2.5);
  echo(0, 129, 1, false, 2.6);
  echo(8, 128, 2, true, 7.5);
  echo(0, 129, 2, false, 7.6);

  // ESP (esp-short, the generic tracker: 4 s): one way, then the other 6 s later (NEW: a reversed entry).
  const esp = (spi: number) => (): Parameters<typeof ipv4>[1] => raw(50, new Uint8Array([0, 0, spi >> 8, spi & 0xff, 0, 0, 0, 1, ...payload(24)]));
  both(3.5, true, esp(0x100), false);
  both(9.5, false, esp(0x100), false);

  // udp-long: the answer at 33.5 s finds the entry (ESTABLISHED); 35.8 s, past 2 s: the replied default, 120 s.
  both(33.5, false, u(5002, 4001), false);
  both(35.8, true, u(4001, 5002), false);

  // Left in the table: a UDP flow, a connection, a ping and ESP, each with its policy's time left.
  both(36.0, true, u(4002, 5001));
  both(36.1, true, t(40001, 80, 'S', 7000, 0));
  both(36.2, false, t(80, 40001, 'SA', 9000, 7001));
  both(36.3, true, t(40001, 80, 'A', 7001, 9001));
  echo(8, 128, 3, true, 36.4);
  both(36.5, true, esp(0x200), false);

  let now = 0;
  for (const e of [...events].sort((a, b) => a.s - b.s)) {
    c.pause((e.s - now) * 1000);
    now = e.s;
    e.emit();
  }
  return { rules, rules6, machine, nfct, capture: c };
}
