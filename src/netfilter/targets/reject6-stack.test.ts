/** ip6t_REJECT's replies through the guest: OUTPUT and POSTROUTING, RELATED to what they answer, out of the interface. */
import { describe, expect, it } from 'vitest';
import { ethernet, ipv6, tcp, udp } from '../../packet/build.js';
import { parseMac } from '../../packet/addr.js';
import { Family, parseIPv6 } from '../../packet/inet-addr.js';
import type { MachineSpec } from '../../machine/spec.js';
import { FateKind, type Fate } from '../fate.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';
import { GuestStack } from '../../net/ipv4/stack.js';
import type { NetDevice } from '../types.js';

function dev(name: string, index: number, unit: number, mac: string, addr: string, prefix: number): NetDevice {
  return { name, index, unit, mac: parseMac(mac)!, mtu: unit < 0 ? 65536 : 1500, addrs: [{ addr: parseIPv6(addr)!, prefix }] };
}

const MACHINE: MachineSpec = {
  hostname: 'test6',
  devices: [dev('lo', 1, -1, '00:00:00:00:00:00', '::1', 128), dev('eth0', 2, 0, '02:00:00:00:00:01', '2001:db8:100::1', 64)],
  routes: [{ dst: parseIPv6('::')!, prefix: 0, via: parseIPv6('2001:db8:100::fe')!, dev: 'eth0' }],
  failPolicy: 'closed',
};

const RULES6 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p udp -m udp --dport 9 -j REJECT
-A INPUT -p tcp -m tcp --dport 80 -j REJECT --reject-with tcp-reset
-A OUTPUT -m conntrack --ctstate RELATED -j ACCEPT
COMMIT
`;
const EMPTY4 = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';
const WIRE = { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01', ethertype: 0x86dd };

function run(frames: Uint8Array[]): { fates: Fate[]; save: string } {
  const rs = loadRuleset(EMPTY4, 'test.v4');
  const rs6 = loadRuleset(RULES6, 'test.v6', { family: Family.V6 });
  const fates: Fate[] = [];
  const st = new GuestStack({ spec: MACHINE, printk: () => {}, fate: (f) => fates.push({ ...f, ...(f.frame ? { frame: f.frame.slice() } : {}) }) }, rs, rs6);
  frames.forEach((f, i) => {
    st.setClock(i * 1_000_000);
    st.receive(0, f, i + 1);
  });
  st.finish();
  return { fates, save: saveRuleset(rs6, { counters: true }) };
}

describe('REJECT (ip6tables) through the guest', () => {
  it('the ICMPv6 error and the reset leave eth0 after OUTPUT, RELATED to the rejected packets', () => {
    const { fates, save } = run([
      ethernet(WIRE, ipv6({ src: '2001:db8:100::2', dst: '2001:db8:100::1' }, udp({ sport: 1234, dport: 9 }))),
      ethernet(WIRE, ipv6({ src: '2001:db8:100::2', dst: '2001:db8:100::1' }, tcp({ sport: 1234, dport: 80, flags: 'S', seq: 1000 }))),
    ]);
    expect(fates.map((f) => [f.kind, f.frameNo])).toEqual([
      [FateKind.DroppedByRule, 1],
      [FateKind.Generated, 1],
      [FateKind.DroppedByRule, 2],
      [FateKind.Generated, 2],
    ]);
    const icmp = fates[1]!.frame!;
    expect([icmp[12], icmp[13]]).toEqual([0x86, 0xdd]);
    expect(icmp[14 + 6]).toBe(58);
    expect([icmp[14 + 40], icmp[14 + 41]]).toEqual([1, 4]);
    const rst = fates[3]!.frame!;
    expect(rst[14 + 6]).toBe(6);
    expect(rst[14 + 53]).toBe(0x14);
    expect(save).toContain('[2:156] -A OUTPUT -m conntrack --ctstate RELATED -j ACCEPT');
  });
});
