import { describe, expect, it } from 'vitest';
import { ethernet, ipv4, udp } from '../../packet/build.js';
import { macMatch } from './mac.js';
import { checkCtx, parseCtx, parseError, roundTrip, run, skbOf, usesOf } from './test-util.js';
import { hookBits } from '../xt.js';
import { Hook } from '../types.js';

const MAC_ROWS: Array<[string, string]> = [
  ['--mac-source 00:11:22:33:44:55', '--mac-source 00:11:22:33:44:55'],
  ['--mac-source 00:11:22:AA:bb:55', '--mac-source 00:11:22:aa:bb:55'],
  ['! --mac-source 00:11:22:33:44:55', '! --mac-source 00:11:22:33:44:55'],
  ['--mac-source 0:1:2:3:4:5', '--mac-source 00:01:02:03:04:05'],
];
const MAC_BAD: Array<[string, string]> = [
  ['--mac-source 00-11-22-33-44-55', 'Invalid MAC address specified'],
  ['--mac-source 00:11:22:33:44', 'Invalid MAC address specified'],
  ['--mac-source 00:11:22:33:44:55:66', 'Invalid MAC address specified'],
  ['--mac-source 000:11:22:33:44:55', 'Invalid MAC address specified'],
  ['--mac-source gg:11:22:33:44:55', 'Invalid MAC address specified'],
  ['', 'mac: option "--mac-source" must be specified'],
];

describe('mac', () => {
  it.each(MAC_ROWS)('save %s', (i, s) => expect(roundTrip(macMatch, i)).toBe(s));
  it.each(MAC_BAD)('refuse %s', (i, e) => expect(parseError(macMatch, i)).toContain(e));

  it('the kernel allows PREROUTING, INPUT and FORWARD only', () => {
    const c = macMatch.parse(usesOf(macMatch, '--mac-source 00:11:22:33:44:55'), parseCtx());
    expect(() => macMatch.check!(c, checkCtx(hookBits(Hook.PreRouting, Hook.LocalIn, Hook.Forward)))).not.toThrow();
    expect(() => macMatch.check!(c, checkCtx(hookBits(Hook.LocalOut)))).toThrow(
      'mac match: used from hooks OUTPUT, but only valid from PREROUTING/INPUT/FORWARD',
    );
    expect(() => macMatch.check!(c, checkCtx(hookBits(Hook.PostRouting)))).toThrow(
      'mac match: used from hooks POSTROUTING, but only valid from PREROUTING/INPUT/FORWARD',
    );
    // A user chain reached from INPUT and OUTPUT names every hook it is reached from.
    expect(() => macMatch.check!(c, checkCtx(hookBits(Hook.LocalIn, Hook.LocalOut)))).toThrow('used from hooks INPUT/OUTPUT');
  });

  it('compares the Ethernet source; no Ethernet header never matches', () => {
    const cfg = (t: string) => macMatch.parse(usesOf(macMatch, t), parseCtx());
    const ip = ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, udp({ sport: 1, dport: 2 }));
    const frame = ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, ip);
    const p = skbOf(ip, frame.subarray(0, 14));
    expect(run(macMatch, cfg('--mac-source 02:00:00:00:00:01'), p).matched).toBe(true);
    expect(run(macMatch, cfg('--mac-source 02:00:00:00:00:02'), p).matched).toBe(false);
    expect(run(macMatch, cfg('! --mac-source 02:00:00:00:00:02'), p).matched).toBe(true);
    const local = skbOf(ip, null);
    expect(run(macMatch, cfg('--mac-source 02:00:00:00:00:01'), local).matched).toBe(false);
    expect(run(macMatch, cfg('! --mac-source 02:00:00:00:00:01'), local).matched).toBe(false);
  });
});
