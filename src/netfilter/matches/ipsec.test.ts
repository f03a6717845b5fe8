/** The ah and esp matches, in both families, and eui64. */
import { describe, expect, it } from 'vitest';
import { ethernet, fragHeader, ipv4, ipv6, raw, udp } from '../../packet/build.js';
import { Family } from '../../packet/inet-addr.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';
import { ahMatch } from './ah.js';
import { espMatch } from './esp.js';
import { eui64Match } from './eui64.js';
import { checkCtx, checkCtx6, dev, params, parseCtx, parseCtx6, parseError6, run, save6, skb6, skbOf, truncate6, usesOf } from './test-util.js';
import { Hook } from '../types.js';

// Recorded from ip6tables-restore then ip6tables-save 1.8.9 (nf_tables); BAD: the options -> its message.
const ROWS: Array<[string, string]> = [
  ['-A INPUT -m ah', '-A INPUT -m ah'],
  ['-A INPUT -m ah --ahspi 5', '-A INPUT -m ah --ahspi 5'],
  ['-A INPUT -m ah ! --ahspi 5:10', '-A INPUT -m ah ! --ahspi 5:10'],
  ['-A INPUT -m ah --ahspi 0:4294967295', '-A INPUT -m ah'],
  ['-A INPUT -m ah ! --ahspi 0:4294967295', '-A INPUT -m ah'],
  ['-A INPUT -m ah --ahspi 10:5', '-A INPUT -m ah --ahspi 10:5'],
  ['-A INPUT -m ah --ahlen 16', '-A INPUT -m ah --ahlen 16'],
  ['-A INPUT -m ah ! --ahlen 16', '-A INPUT -m ah ! --ahlen 16'],
  ['-A INPUT -m ah --ahlen 0', '-A INPUT -m ah'],
  ['-A INPUT -m ah ! --ahlen 0', '-A INPUT -m ah ! --ahlen 0'],
  ['-A INPUT -m ah --ahres', '-A INPUT -m ah --ahres'],
  ['-A INPUT -m ah --ahres --ahlen 3 --ahspi 7', '-A INPUT -m ah --ahspi 7 --ahlen 3 --ahres'],
  ['-A INPUT -p ah --ahspi 5', '-A INPUT -p ah -m ah --ahspi 5'],
  ['-A INPUT -p ah -m ah --ahspi 5', '-A INPUT -p ah -m ah --ahspi 5'],
];
const BAD: Array<[string, string]> = [['! --ahres', 'ah: option "--ahres" cannot be inverted.']];
const ESP_ROWS: Array<[string, string]> = [
  ['-A INPUT -p esp -m esp --espspi 5', '-A INPUT -p esp -m esp --espspi 5'],
  ['-A INPUT -p esp --espspi 5', '-A INPUT -p esp -m esp --espspi 5'],
  ['-A INPUT -p esp -m esp ! --espspi 5:6', '-A INPUT -p esp -m esp ! --espspi 5:6'],
  ['-A INPUT -p esp -m esp --espspi 6:5', '-A INPUT -p esp -m esp --espspi 6:5'],
  ['-A INPUT -p esp -m esp --espspi 0:4294967295', '-A INPUT -p esp -m esp'],
  ['-A INPUT -p esp -m esp ! --espspi 0:4294967295', '-A INPUT -p esp -m esp'],
  ['-A INPUT -p esp -m esp', '-A INPUT -p esp -m esp'],
];
const ESP_BAD: Array<[string, string]> = [
  ['--espspi 4294967296', 'esp: bad value for option "--espspi" near "4294967296", or out of range (0-4294967295).'],
  ['--espspi x', 'esp: bad value for option "--espspi" near "x", or out of range (0-4294967295).'],
];

/** One rule through iptables-restore and iptables-save as cofw does them. */
function save4(rule: string): string {
  const text = ['*filter', ':INPUT ACCEPT [0:0]', rule, 'COMMIT', ''].join('\n');
  try {
    return saveRuleset(loadRuleset(text, 'rules.v4', { family: Family.V4 }), { counters: false })
      .split('\n')
      .filter((l) => l.startsWith('-A'))
      .join('\n');
  } catch (e) {
    return (e as Error).message;
  }
}

// Recorded from iptables-restore then iptables-save 1.8.9 (nf_tables).
const ROWS4: Array<[string, string]> = [
  ['-A INPUT -p ah -m ah --ahspi 5', '-A INPUT -p ah -m ah --ahspi 5'],
  ['-A INPUT -p ah --ahspi 5:7', '-A INPUT -p ah -m ah --ahspi 5:7'],
  ['-A INPUT -p ah -m ah ! --ahspi 5', '-A INPUT -p ah -m ah ! --ahspi 5'],
  ['-A INPUT -p ah -m ah', '-A INPUT -p ah -m ah'],
  ['-A INPUT -p ah -m ah --ahspi 0:4294967295', '-A INPUT -p ah -m ah'],
  ['-A INPUT -p esp -m esp --espspi 5', '-A INPUT -p esp -m esp --espspi 5'],
];

describe('ah, esp: ip6tables-restore -> ip6tables-save', () => {
  it.each(ROWS)('%s', (rule, saved) => expect(save6(rule)).toBe(saved));
  it.each(ESP_ROWS)('%s', (rule, saved) => expect(save6(rule)).toBe(saved));
});

describe('ah, esp: iptables-restore -> iptables-save', () => {
  it.each(ROWS4)('%s', (rule, saved) => expect(save4(rule)).toBe(saved));
  it('iptables has --ahspi only', () => {
    expect(save4('-A INPUT -p ah -m ah --ahlen 5')).toContain('unknown option "--ahlen"');
    expect(save4('-A INPUT -p ah -m ah --ahres')).toContain('unknown option "--ahres"');
  });
  it('the IPv4 ah and esp need their -p (iptables: RULE_APPEND failed (Invalid argument))', () => {
    expect(save4('-A INPUT -m ah --ahspi 5')).toContain('ah match: only valid for protocol 51');
    expect(save4('-A INPUT -m esp --espspi 5')).toContain('esp match: only valid for protocol 50');
    expect(() => ahMatch.check!(ahMatch.parse([], parseCtx6()), checkCtx6(2))).not.toThrow();
  });
});

describe('ah, esp: refusals', () => {
  it.each(BAD)('%s', (text, err) => expect(parseError6(ahMatch, text)).toBe(err));
  it.each(ESP_BAD)('%s', (text, err) => expect(parseError6(espMatch, text, 50)).toBe(err));
  it('esp wants -p esp without ! in either family', () => {
    const c = espMatch.parse(usesOf(espMatch, '--espspi 5'), parseCtx6(50));
    expect(() => espMatch.check!(c, checkCtx6(2, 0))).toThrow('esp match: only valid for protocol 50');
    expect(() => espMatch.check!(c, checkCtx6(2, 50, true))).toThrow('esp match: only valid for protocol 50');
    expect(() => espMatch.check!(c, checkCtx(2, 50))).not.toThrow();
  });
});

const SRC = '2001:db8::2';
const DST = '2001:db8::1';
/** An AH header: next header, length field, reserved, SPI, sequence, ICV (`words` - 1 words in all after the first two). */
function ahHeader(spi: number, lenField = 4, reserved = 0): { type: number; bytes: Uint8Array } {
  const b = new Uint8Array((lenField + 2) * 4);
  b[1] = lenField;
  const v = new DataView(b.buffer);
  v.setUint16(2, reserved);
  v.setUint32(4, spi);
  v.setUint32(8, 1);
  return { type: 51, bytes: b };
}

describe('ah: matching', () => {
  const cfg6 = (t: string) => ahMatch.parse(usesOf(ahMatch, t), parseCtx6());
  const p = skb6(ipv6({ src: SRC, dst: DST, ext: [ahHeader(0x1234)] }, udp({ sport: 1, dport: 2 })));
  it('ip6t_ah finds the header in the chain: SPI, length, reserved', () => {
    expect(run(ahMatch, cfg6('--ahspi 4660'), p).matched).toBe(true);
    expect(run(ahMatch, cfg6('! --ahspi 4660'), p).matched).toBe(false);
    expect(run(ahMatch, cfg6('--ahspi 1:4659'), p).matched).toBe(false);
    expect(run(ahMatch, cfg6('--ahlen 24'), p).matched).toBe(true);
    expect(run(ahMatch, cfg6('! --ahlen 24'), p).matched).toBe(false);
    expect(run(ahMatch, cfg6('! --ahlen 0'), p).matched).toBe(true);
    expect(run(ahMatch, cfg6('--ahres'), p).matched).toBe(true);
    const r = skb6(ipv6({ src: SRC, dst: DST, ext: [ahHeader(0x1234, 4, 1)] }, udp({ sport: 1, dport: 2 })));
    expect(run(ahMatch, cfg6('--ahres'), r).matched).toBe(false);
    expect(run(ahMatch, cfg6(''), skb6(ipv6({ src: SRC, dst: DST }, udp({ sport: 1, dport: 2 }))))).toEqual({ matched: false, hotdrop: false });
  });
  // Recorded from the kernel (6.18): AH claiming 24 bytes of 12 present drops the packet.
  it('hotdrops a header shorter than its length field says, or than 12 bytes', () => {
    const short = skb6(ipv6({ src: SRC, dst: DST, rawL4: true }, raw(51, Uint8Array.from([59, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]))));
    expect(run(ahMatch, cfg6(''), short)).toEqual({ matched: false, hotdrop: true });
    const cut = skb6(truncate6(ipv6({ src: SRC, dst: DST, ext: [ahHeader(1)] }, udp({ sport: 1, dport: 2 })), 50));
    expect(run(ahMatch, cfg6(''), cut)).toEqual({ matched: false, hotdrop: true });
  });
  it('ipt_ah reads the SPI at the transport header; later fragments never match', () => {
    const cfg4 = (t: string) => ahMatch.parse(usesOf(ahMatch, t), parseCtx(51));
    const ah4 = ahHeader(7).bytes;
    expect(run(ahMatch, cfg4('--ahspi 7'), skbOf(ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, raw(51, ah4)))).matched).toBe(true);
    expect(run(ahMatch, cfg4('! --ahspi 7'), skbOf(ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, raw(51, ah4)))).matched).toBe(false);
    const frag = skbOf(ipv4({ src: '192.0.2.1', dst: '192.0.2.2', fragoff: 2 }, raw(51, ah4)));
    expect(run(ahMatch, cfg4('! --ahspi 7'), frag)).toEqual({ matched: false, hotdrop: false });
    const short = skbOf(ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, raw(51, ah4.subarray(0, 8))));
    expect(run(ahMatch, cfg4('--ahspi 7'), short)).toEqual({ matched: false, hotdrop: true });
  });
});

describe('esp: matching (esp_mt), both families', () => {
  const cfg = (t: string) => espMatch.parse(usesOf(espMatch, t), parseCtx6(50));
  const esp = Uint8Array.from([0, 0, 0, 5, 0, 0, 0, 1]);
  // Recorded from the kernel: SPI 5 matches, 6 does not; 7 bytes drop; a later fragment matches neither way.
  it('the SPI at the transport header', () => {
    const p = skb6(ipv6({ src: SRC, dst: DST, rawL4: true }, raw(50, esp)));
    expect(run(espMatch, cfg('--espspi 5'), p).matched).toBe(true);
    expect(run(espMatch, cfg('--espspi 6'), p).matched).toBe(false);
    expect(run(espMatch, cfg('! --espspi 6:7'), p).matched).toBe(true);
    expect(run(espMatch, cfg('--espspi 5'), skbOf(ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, raw(50, esp)))).matched).toBe(true);
  });
  it('hotdrops a header shorter than 8 bytes; never matches a later fragment', () => {
    const short = skb6(ipv6({ src: SRC, dst: DST, rawL4: true }, raw(50, esp.subarray(0, 7))));
    expect(run(espMatch, cfg('--espspi 5'), short)).toEqual({ matched: false, hotdrop: true });
    const later = skb6(ipv6({ src: SRC, dst: DST, ext: [fragHeader(8, false, 1)], rawL4: true }, raw(50, esp)));
    expect(run(espMatch, cfg('! --espspi 5'), later)).toEqual({ matched: false, hotdrop: false });
  });
});

describe('eui64', () => {
  it.each([
    ['-A INPUT -m eui64', '-A INPUT -m eui64'],
    ['-A FORWARD -m eui64', '-A FORWARD -m eui64'],
  ])('%s', (rule, saved) => expect(save6(rule)).toBe(saved));
  it('only from PREROUTING, INPUT and FORWARD (ip6tables: RULE_APPEND failed (Invalid argument))', () => {
    expect(save6('-A OUTPUT -m eui64')).toContain('eui64 match used from hook OUTPUT, but only valid from PREROUTING/INPUT/FORWARD');
    expect(save6('-A PREROUTING -m eui64', 'mangle')).toBe('-A PREROUTING -m eui64');
    expect(save6('-A POSTROUTING -m eui64', 'mangle')).toContain('used from hook POSTROUTING');
  });
  // Recorded from the kernel: frames from 02:00:00:00:00:02.
  it("compares the source address with the frame's MAC", () => {
    const frame = (src: string, ext = false) =>
      ethernet(
        { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01', ethertype: 0x86dd },
        ipv6({ src, dst: DST, ext: ext ? [fragHeader(8, false, 1)] : [], rawL4: ext }, udp({ sport: 1, dport: 2 })),
      );
    const m = (src: string, ext = false, inDev = dev('eth0', 2)) => {
      const f = frame(src, ext);
      return run(eui64Match, null, skb6(f.subarray(14), f.subarray(0, 14)), params(Hook.LocalIn, { inDev })).matched;
    };
    expect(m('2001:db8::ff:fe00:2')).toBe(true);
    expect(m('2001:db8::2ff:fe00:2')).toBe(false);
    expect(m('fe80::ff:fe00:2')).toBe(true);
    expect(m('2001:db8::ff:fe00:2', true)).toBe(true);
    expect(m('2001:db8::ff:fe00:2', false, dev('lo', 1))).toBe(false);
  });
});
