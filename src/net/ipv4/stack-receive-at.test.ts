/**
 * `receiveAt` (a frame read in place in a page message, no view of the
 * frame) against `receive` (a view): the same fates, leaving frames and
 * counters for every kind of frame, the plain IPv4 ones it handles itself
 * and those it hands to `receive`.
 */
import { describe, expect, it } from 'vitest';
import { ethernet, ipv4, tcp, udp } from '../../packet/build.js';
import type { Fate } from '../../netfilter/fate.js';
import { loadRuleset } from '../../netfilter/rules/restore.js';
import { saveRuleset } from '../../netfilter/rules/save.js';
import { GuestStack } from './stack.js';
import { parseMachineFile } from '../../machine/machine-file.js';

const MACHINE = parseMachineFile(
  'interfaces:\n  - name: eth0\n    mac: "02:00:00:00:00:01"\n    addresses: [198.51.100.1/24]\n  - name: eth1\n    mac: "02:00:00:00:01:01"\n    addresses: [192.0.2.1/24]\nroutes:\n  - to: default\n    via: 198.51.100.254\n    dev: eth0\n',
  'm.yaml',
);

const RULES = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m mac --mac-source 02:00:00:00:00:02 -p tcp --dport 22 -j ACCEPT
-A INPUT -m addrtype --dst-type BROADCAST -j ACCEPT
-A INPUT -p tcp -j REJECT --reject-with tcp-reset
-A FORWARD -i eth1 -j ACCEPT
COMMIT
`;

const WIRE = { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' };
const HOST = { src: '02:00:00:00:01:02', dst: '02:00:00:00:01:01' };

function frames(): Array<{ unit: number; frame: Uint8Array; truncated?: boolean }> {
  const syn = ipv4({ src: '203.0.113.5', dst: '198.51.100.1' }, tcp({ sport: 40000, dport: 22, flags: 'S' }));
  const other = ipv4({ src: '203.0.113.6', dst: '198.51.100.1' }, tcp({ sport: 40001, dport: 23, flags: 'S' }));
  const out = ipv4({ src: '192.0.2.10', dst: '203.0.113.9' }, udp({ sport: 5000, dport: 53 }));
  const bcast = ipv4({ src: '198.51.100.7', dst: '198.51.100.255' }, udp({ sport: 68, dport: 67 }));
  const mcast = ipv4({ src: '198.51.100.7', dst: '224.0.0.1' }, udp({ sport: 5353, dport: 5353 }));
  const badSum = ipv4({ src: '203.0.113.5', dst: '198.51.100.1' }, udp({ sport: 1, dport: 2 }));
  badSum[10]! ^= 0xff;
  const padded = new Uint8Array(80);
  padded.set(ethernet(WIRE, other));
  const vlan = ethernet(WIRE, syn);
  const tagged = new Uint8Array(vlan.length + 4);
  tagged.set(vlan.subarray(0, 12));
  tagged.set([0x81, 0x00, 0x00, 0x05], 12);
  tagged.set(vlan.subarray(12), 16);
  const cut = ethernet(WIRE, ipv4({ src: '203.0.113.5', dst: '198.51.100.1' }, tcp({ sport: 40002, dport: 22, flags: 'S', payload: new Uint8Array(200) })));
  return [
    { unit: 0, frame: ethernet(WIRE, syn) },
    { unit: 0, frame: ethernet(WIRE, other) },
    { unit: 1, frame: ethernet(HOST, out) },
    { unit: 0, frame: ethernet({ src: WIRE.src, dst: 'ff:ff:ff:ff:ff:ff' }, bcast) },
    { unit: 0, frame: ethernet({ src: WIRE.src, dst: '01:00:5e:00:00:01' }, mcast) },
    { unit: 0, frame: ethernet(WIRE, badSum) },
    { unit: 0, frame: padded },
    { unit: 0, frame: tagged },
    { unit: 0, frame: cut.subarray(0, 80), truncated: true },
    { unit: 0, frame: new Uint8Array(10) },
    { unit: 0, frame: ethernet({ ...WIRE, ethertype: 0x0806 }, new Uint8Array(28)) },
    { unit: 7, frame: ethernet(WIRE, syn) },
  ];
}

function run(inPlace: boolean): { fates: Fate[]; save: string } {
  const rs = loadRuleset(RULES, 'test.v4');
  const fates: Fate[] = [];
  const st = new GuestStack({ spec: MACHINE, printk: () => {}, fate: (f) => fates.push({ ...f, ...(f.frame ? { frame: f.frame.slice() } : {}) }) }, rs);
  st.setClock(0);
  frames().forEach(({ unit, frame, truncated = false }, i) => {
    st.setClock((i + 1) * 1_000_000);
    if (!inPlace) return st.receive(unit, frame.slice(), i + 1, truncated);
    // The frame in the middle of a larger buffer, with other bytes around it (as in a page).
    const page = new Uint8Array(frame.length + 64).fill(0xa5);
    page.set(frame, 32);
    st.receiveAt(unit, page, 32, 32 + frame.length, i + 1, truncated);
  });
  st.finish();
  return { fates, save: saveRuleset(rs, { counters: true }) };
}

describe('receiveAt', () => {
  it('gives every frame the fate, leaving frame and counters receive gives it', () => {
    const viewed = run(false);
    const inPlace = run(true);
    expect(inPlace.fates).toEqual(viewed.fates);
    expect(inPlace.save).toBe(viewed.save);
    // The rules were reached: accepted SSH by MAC, the REJECT's reset, forwarded, dropped.
    expect(viewed.save).toMatch(/\[3:\d+\] -A INPUT -p tcp -m mac --mac-source 02:00:00:00:00:02/);
    expect(viewed.save).toMatch(/\[2:\d+\] -A INPUT -p tcp -j REJECT/);
    expect(viewed.fates.length).toBeGreaterThan(frames().length);
  });
});
