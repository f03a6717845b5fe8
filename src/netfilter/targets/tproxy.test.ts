/**
 * TPROXY and CHECKSUM: rule text -> iptables-save text and refusals, read
 * from Debian's iptables and ip6tables 1.8.9 (nf_tables) on Linux 6.18 in a
 * network namespace (the kernel's reasons from dmesg), and what they do to
 * a packet on a guest where no proxy listens (recorded from the kernel:
 * test/golden/queue-policy).
 */
import { describe, expect, it } from 'vitest';
import { Family } from '../../packet/inet-addr.js';
import { ipv4, tcp, udp } from '../../packet/build.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';
import { Hook, NF_DROP, XT_CONTINUE } from '../types.js';
import { checksumTarget } from './checksum.js';
import { getaddrinfoPort, tproxyTarget } from './tproxy.js';
import { ETH0, params, parseCtx, recorder, skbOf, toHex, usesOf } from './test-services.js';

const CHAINS = ':PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n';

function saved(rule: string, family = Family.V4, table = 'mangle'): string {
  const rs = loadRuleset(`*${table}\n${table === 'mangle' ? CHAINS : ':INPUT ACCEPT [0:0]\n'}${rule}\nCOMMIT\n`, 'tproxy.rules', { family });
  return saveRuleset(rs)
    .split('\n')
    .find((l) => l.startsWith('-A'))!;
}

function refusal(rule: string, family = Family.V4, table = 'mangle'): string {
  try {
    saved(rule, family, table);
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
}

const ROWS: Array<[string, string]> = [
  ['-A PREROUTING -p tcp -j TPROXY --on-port 3128', '-A PREROUTING -p tcp -j TPROXY --on-port 3128 --on-ip 0.0.0.0 --tproxy-mark 0x0/0x0'],
  [
    '-A PREROUTING -p tcp -j TPROXY --on-port 3128 --on-ip 10.0.0.1 --tproxy-mark 0x1/0x1',
    '-A PREROUTING -p tcp -j TPROXY --on-port 3128 --on-ip 10.0.0.1 --tproxy-mark 0x1/0x1',
  ],
  ['-A PREROUTING -p tcp -j TPROXY --on-port 0', '-A PREROUTING -p tcp -j TPROXY --on-port 0 --on-ip 0.0.0.0 --tproxy-mark 0x0/0x0'],
  ['-A PREROUTING -p tcp -j TPROXY --on-port http', '-A PREROUTING -p tcp -j TPROXY --on-port 80 --on-ip 0.0.0.0 --tproxy-mark 0x0/0x0'],
  ['-A PREROUTING -p tcp -j TPROXY --on-port domain', '-A PREROUTING -p tcp -j TPROXY --on-port 53 --on-ip 0.0.0.0 --tproxy-mark 0x0/0x0'],
  ['-A PREROUTING -p tcp -j TPROXY --on-port 5 --on-ip 10.1', '-A PREROUTING -p tcp -j TPROXY --on-port 5 --on-ip 10.0.0.1 --tproxy-mark 0x0/0x0'],
  ['-A PREROUTING -p tcp -j TPROXY --on-port 5 --tproxy-mark 0x10/0xf0', '-A PREROUTING -p tcp -j TPROXY --on-port 5 --on-ip 0.0.0.0 --tproxy-mark 0x10/0xf0'],
  ['-A PREROUTING -p tcp -j TPROXY --on-port 5 --tproxy-mark 5', '-A PREROUTING -p tcp -j TPROXY --on-port 5 --on-ip 0.0.0.0 --tproxy-mark 0x5/0xffffffff'],
  ['-A PREROUTING -p udp -j TPROXY --on-port 5 --on-ip 0', '-A PREROUTING -p udp -j TPROXY --on-port 5 --on-ip 0.0.0.0 --tproxy-mark 0x0/0x0'],
  // getaddrinfo keeps a decimal service to 16 bits.
  ['-A PREROUTING -p tcp -j TPROXY --on-port 65536', '-A PREROUTING -p tcp -j TPROXY --on-port 0 --on-ip 0.0.0.0 --tproxy-mark 0x0/0x0'],
  ['-A PREROUTING -p tcp -j TPROXY --on-port 65537', '-A PREROUTING -p tcp -j TPROXY --on-port 1 --on-ip 0.0.0.0 --tproxy-mark 0x0/0x0'],
  ['-A PREROUTING -p tcp -j TPROXY --on-port 4294967296', '-A PREROUTING -p tcp -j TPROXY --on-port 0 --on-ip 0.0.0.0 --tproxy-mark 0x0/0x0'],
  ['-A PREROUTING -p tcp -j TPROXY --on-port +5', '-A PREROUTING -p tcp -j TPROXY --on-port 5 --on-ip 0.0.0.0 --tproxy-mark 0x0/0x0'],
  ['-A PREROUTING -p tcp -j TPROXY --on-port 010', '-A PREROUTING -p tcp -j TPROXY --on-port 10 --on-ip 0.0.0.0 --tproxy-mark 0x0/0x0'],
];

const ROWS6: Array<[string, string]> = [
  ['-A PREROUTING -p tcp -j TPROXY --on-port 5', '-A PREROUTING -p tcp -j TPROXY --on-port 5 --on-ip :: --tproxy-mark 0x0/0x0'],
  [
    '-A PREROUTING -p tcp -j TPROXY --on-port 5 --on-ip 2001:db8::1 --tproxy-mark 1/2',
    '-A PREROUTING -p tcp -j TPROXY --on-port 5 --on-ip 2001:db8::1 --tproxy-mark 0x1/0x2',
  ],
  ['-A PREROUTING -p udp -j CHECKSUM --checksum-fill', '-A PREROUTING -p udp -j CHECKSUM --checksum-fill'],
];

const REFUSED: Array<[string, RegExp]> = [
  ['-A PREROUTING -p udp -j TPROXY --on-ip 10.0.0.1 --tproxy-mark 5', /TPROXY: option "--on-port" must be specified/],
  ['-A PREROUTING -p tcp -j TPROXY', /TPROXY: option "--on-port" must be specified/],
  ['-A PREROUTING -j TPROXY --on-port 1', /xt_TPROXY: Can be used only with -p tcp or -p udp/],
  ['-A PREROUTING ! -p tcp -j TPROXY --on-port 5', /xt_TPROXY: Can be used only with -p tcp or -p udp/],
  ['-A PREROUTING -p icmp -j TPROXY --on-port 5', /xt_TPROXY: Can be used only with -p tcp or -p udp/],
  ['-A INPUT -p tcp -j TPROXY --on-port 5', /TPROXY target used from hook INPUT/],
  ['-A PREROUTING -p tcp -j TPROXY --on-port -1', /Port "-1" does not resolve to anything\./],
  ['-A PREROUTING -p tcp -j TPROXY --on-port 0x10', /Port "0x10" does not resolve to anything\./],
  ['-A PREROUTING -p tcp -j TPROXY --on-port 99999999999999999999', /Port "99999999999999999999" does not resolve to anything\./],
  ['-A PREROUTING -p tcp -j TPROXY --on-port 2147483648', /Port "2147483648" does not resolve to anything\./],
  ['-A PREROUTING -p tcp -j TPROXY --on-port HTTP', /Port "HTTP" does not resolve to anything\./],
  ['-A PREROUTING -p tcp -j TPROXY --on-port 5x', /Port "5x" does not resolve to anything\./],
  ['-A PREROUTING -p tcp -j TPROXY --on-port 5 --tproxy-mark -1', /TPROXY: bad integer value for option "--tproxy-mark", or out of range\./],
  ['-A PREROUTING -p udp -j TPROXY --on-port 5 --on-ip ::1', /getaddrinfo: Address family for hostname not supported/],
  ['-A PREROUTING -p udp -j TPROXY --on-port 5 --on-ip 1.2.3.256', /getaddrinfo: Name or service not known/],
  ['-A PREROUTING -p tcp -j TPROXY --on-port 5 --on-ip 1.2.3.4/24', /getaddrinfo: Name or service not known/],
  ['-A POSTROUTING -j CHECKSUM', /CHECKSUM: option "--checksum-fill" must be specified/],
  ['-A POSTROUTING -j CHECKSUM ! --checksum-fill', /cannot be inverted/],
];

describe('TPROXY', () => {
  it.each(ROWS)('save %s', (r, s) => expect(saved(r)).toBe(s));
  it.each(ROWS6)('save (ip6tables) %s', (r, s) => expect(saved(r, Family.V6)).toBe(s));
  it.each(REFUSED)('refuses %s', (r, m) => expect(refusal(r)).toMatch(m));
  it('is a mangle table target, for tcp and udp in ip6tables too', () => {
    expect(refusal('-A INPUT -p tcp -j TPROXY --on-port 5', Family.V4, 'filter')).toMatch(/TPROXY target is only valid in the mangle table, not filter/);
    expect(refusal('-A PREROUTING -p icmpv6 -j TPROXY --on-port 5', Family.V6)).toMatch(/Can be used only with -p tcp or -p udp/);
  });

  it('reads --on-port as getaddrinfo reads a service', () => {
    expect(getaddrinfoPort('3128')).toBe(3128);
    expect(getaddrinfoPort(' 7')).toBe(7);
    expect(getaddrinfoPort('-0')).toBe(0);
    expect(getaddrinfoPort('https')).toBe(443);
    expect(getaddrinfoPort('-5')).toBeUndefined();
  });

  it('drops every packet: no transparent socket listens on the guest', () => {
    const c = tproxyTarget.parse(usesOf(tproxyTarget, '--on-port 3129 --tproxy-mark 0x1/0x1'), parseCtx(6));
    const s = skbOf(ipv4({ src: '203.0.113.7', dst: '203.0.113.80' }, tcp({ sport: 41000, dport: 3128 })));
    expect(tproxyTarget.target(c, s, params(recorder(), Hook.PreRouting, ETH0, null))).toBe(NF_DROP);
    expect(s.mark).toBe(0);
  });
});

describe('CHECKSUM', () => {
  it('saves and refuses as iptables does; mangle only', () => {
    expect(saved('-A POSTROUTING -p udp -j CHECKSUM --checksum-fill')).toBe('-A POSTROUTING -p udp -j CHECKSUM --checksum-fill');
    // Without -p udp the kernel warns once and loads it.
    expect(saved('-A POSTROUTING -j CHECKSUM --checksum-fill')).toBe('-A POSTROUTING -j CHECKSUM --checksum-fill');
    expect(refusal('-A INPUT -p udp -j CHECKSUM --checksum-fill', Family.V4, 'filter')).toMatch(
      /CHECKSUM target is only valid in the mangle table, not filter/,
    );
  });
  it('leaves a packet whose checksums are complete as it is and goes on', () => {
    const ip = ipv4({ src: '198.51.100.7', dst: '203.0.113.7' }, udp({ sport: 67, dport: 68, payload: new Uint8Array([1, 2, 3]) }));
    const before = toHex(ip);
    const s = skbOf(ip);
    expect(checksumTarget.target({}, s, params(recorder(), Hook.PostRouting, null, ETH0))).toBe(XT_CONTINUE);
    expect(toHex(s.data)).toBe(before);
  });
});
