import { describe, expect, it } from 'vitest';
import { ipv6, optionsHeader, raw, udp } from '../../packet/build.js';
import { dstMatch, hbhMatch } from './hbh.js';
import { parseCtx6, parseError6, run, save6, skb6, usesOf } from './test-util.js';

// Recorded from ip6tables-restore then ip6tables-save 1.8.9 (nf_tables); BAD: the options -> its message.
const ROWS: Array<[string, string]> = [
  ['-A INPUT -m hbh', '-A INPUT -m hbh'],
  ['-A INPUT -m hbh --hbh-len 8', '-A INPUT -m hbh --hbh-len 8'],
  ['-A INPUT -m hbh ! --hbh-len 8', '-A INPUT -m hbh ! --hbh-len 8'],
  ['-A INPUT -m hbh --hbh-len 0', '-A INPUT -m hbh --hbh-len 0'],
  ['-A INPUT -m hbh ! --hbh-len 0', '-A INPUT -m hbh ! --hbh-len 0'],
  ['-A INPUT -m hbh --hbh-opts 1', '-A INPUT -m hbh --hbh-opts 1'],
  ['-A INPUT -m hbh --hbh-opts 1:4', '-A INPUT -m hbh --hbh-opts 1:4'],
  ['-A INPUT -m hbh --hbh-opts 1:4,0,5:2,194', '-A INPUT -m hbh --hbh-opts 1:4,0,5:2,194'],
  ['-A INPUT -m hbh --hbh-opts 0x05:0x02', '-A INPUT -m hbh --hbh-opts 5:2'],
  ['-A INPUT -m hbh --hbh-opts 256', '-A INPUT -m hbh --hbh-opts 0'],
  ['-A INPUT -m hbh --hbh-opts 257:3', '-A INPUT -m hbh --hbh-opts 1:3'],
  ['-A INPUT -m hbh --hbh-opts 1:255', '-A INPUT -m hbh --hbh-opts 1'],
  ['-A INPUT -m hbh --hbh-opts 1:256', '-A INPUT -m hbh --hbh-opts 1:0'],
  ['-A INPUT -m hbh --hbh-opts -1', '-A INPUT -m hbh --hbh-opts 255'],
  ['-A INPUT -m hbh --hbh-opts 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16', '-A INPUT -m hbh --hbh-opts 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16'],
  ['-A INPUT -m hbh --hbh-opts 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15:1', '-A INPUT -m hbh --hbh-opts 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15:1'],
  ['-A INPUT -m hbh --hbh-len 16 --hbh-opts 5:2', '-A INPUT -m hbh --hbh-len 16 --hbh-opts 5:2'],
  ['-A INPUT -m hbh --hbh-opts " 1"', '-A INPUT -m hbh --hbh-opts 1'],
  ['-A INPUT -m hbh --hbh-opts +1:+2', '-A INPUT -m hbh --hbh-opts 1:2'],
];
const BAD: Array<[string, string]> = [
  ['--hbh-opts 256:3', 'PAD0 has not got length'],
  ['--hbh-opts 0:3', 'PAD0 has not got length'],
  ['--hbh-opts x', "hbh: no valid digits in opt `x'"],
  ['--hbh-opts 1x', "hbh: error parsing opt `1x'"],
  ['--hbh-opts 1:x', "hbh: no valid digits in length `x'"],
  ['--hbh-opts 1:', "hbh: no valid digits in length `'"],
  ['--hbh-opts :1', "hbh: no valid digits in opt `'"],
  ['--hbh-opts 1,,2', "hbh: no valid digits in opt `'"],
  ['--hbh-opts 1,', "hbh: no valid digits in opt `'"],
  ['--hbh-opts ,', "hbh: no valid digits in opt `'"],
  ['--hbh-opts 99999999999999999999', "opt `99999999999999999999' specified too big: would overflow"],
  ['--hbh-opts 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17', 'too many addresses specified'],
  ['--hbh-opts 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16:1', 'too many ports specified'],
  ['--hbh-opts 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,', 'too many addresses specified'],
  ['! --hbh-opts 5', 'hbh: option "--hbh-opts" cannot be inverted.'],
  ['--hbh-opts "1 "', "hbh: error parsing opt `1 '"],
];
const DST_ROWS: Array<[string, string]> = [
  ['-A INPUT -m dst --dst-len 8 --dst-opts 1:4', '-A INPUT -m dst --dst-len 8 --dst-opts 1:4'],
  ['-A INPUT -m dst ! --dst-len 16', '-A INPUT -m dst ! --dst-len 16'],
  ['-A INPUT -m dst --dst-opts " 1"', '-A INPUT -m dst --dst-opts 1'],
];
const DST_BAD: Array<[string, string]> = [
  ['--dst-opts 0:3', "PAD0 hasn't got length"],
  ['--dst-opts x', "dst: no valid digits in opt `x'"],
  ['--dst-opts 1x', "dst: error parsing opt `1x'"],
];

describe('hbh, dst: ip6tables-restore -> ip6tables-save', () => {
  it.each(ROWS)('%s', (rule, saved) => expect(save6(rule)).toBe(saved));
  it.each(DST_ROWS)('%s', (rule, saved) => expect(save6(rule)).toBe(saved));
  it('" 1" and "+1:+2" read as C strtoul reads them', () => {
    expect(save6('-A INPUT -m dst --dst-opts " 1"')).toBe('-A INPUT -m dst --dst-opts 1');
    expect(save6('-A INPUT -m hbh --hbh-opts +1:+2')).toBe('-A INPUT -m hbh --hbh-opts 1:2');
  });
});

describe('hbh, dst: refusals', () => {
  it.each(BAD)('%s', (text, err) => expect(parseError6(hbhMatch, text)).toBe(err));
  it.each(DST_BAD)('%s', (text, err) => expect(parseError6(dstMatch, text)).toBe(err));
  it('"1 " is trailing garbage', () => expect(parseError6(hbhMatch, '--hbh-opts "1 "')).toBe("hbh: error parsing opt `1 '"));
  it('lengths overflow too', () =>
    expect(parseError6(dstMatch, '--dst-opts 1:99999999999999999999')).toBe("length `99999999999999999999' specified too big: would overflow"));
});

const SRC = '2001:db8::2';
const DST = '2001:db8::1';
/** A packet with a destination options header of these bytes (after its first two). */
function dstPacket(hdrlen: number, opts: number[], nh = 59): Uint8Array {
  return ipv6({ src: SRC, dst: DST, rawL4: true }, raw(60, Uint8Array.from([nh, hdrlen, ...opts])));
}

describe('hbh, dst: matching (hbh_mt6)', () => {
  const dst = (t: string) => dstMatch.parse(usesOf(dstMatch, t), parseCtx6());
  const hbh = (t: string) => hbhMatch.parse(usesOf(hbhMatch, t), parseCtx6());
  it('finds its own header, anywhere in the chain', () => {
    const p = skb6(ipv6({ src: SRC, dst: DST, ext: [optionsHeader(0), optionsHeader(60, 16)] }, udp({ sport: 1, dport: 2 })));
    expect(run(hbhMatch, hbh('--hbh-len 8'), p).matched).toBe(true);
    expect(run(dstMatch, dst('--dst-len 16'), p).matched).toBe(true);
    expect(run(dstMatch, dst('! --dst-len 16'), p).matched).toBe(false);
    expect(run(dstMatch, dst('--dst-opts 1:12'), p).matched).toBe(true);
    const none = skb6(ipv6({ src: SRC, dst: DST }, udp({ sport: 1, dport: 2 })));
    expect(run(hbhMatch, hbh(''), none)).toEqual({ matched: false, hotdrop: false });
  });
  // Each recorded from the kernel (Linux 6.18) with the same rule and packet.
  it.each([
    ['--dst-opts 5,1', [5, 10, 0, 0, 0, 0], false],
    ['--dst-opts 5', [5, 10, 0, 0, 0, 0], true],
    ['--dst-opts 5:10', [5, 10, 0, 0, 0, 0], true],
    ['--dst-opts 1,1', [1, 4, 0, 0, 0, 0], false],
    ['--dst-opts 1:4', [1, 4, 0, 0, 0, 0], true],
    ['--dst-opts 1:3', [1, 4, 0, 0, 0, 0], false],
    ['--dst-opts 0', [1, 4, 0, 0, 0, 0], false],
    ['--dst-opts 0,0,0,0,0,5', [0, 0, 0, 0, 0, 5], false],
    ['--dst-opts 0,0,0,0,0', [0, 0, 0, 0, 0, 5], true],
  ] as const)('%s over %j', (t, opts, want) => expect(run(dstMatch, dst(t), skb6(dstPacket(0, [...opts])))).toEqual({ matched: want, hotdrop: false }));
  it('hotdrops a header whose length runs past the packet (Linux 6.18 stable)', () => {
    const p = skb6(dstPacket(1, [1, 4, 0, 0, 0, 0]));
    expect(run(dstMatch, dst(''), p)).toEqual({ matched: false, hotdrop: true });
    expect(run(dstMatch, dst('--dst-len 16'), p)).toEqual({ matched: false, hotdrop: true });
  });
});
