import { describe, expect, it } from 'vitest';
import { icmp, ipv4, raw, tcp } from '../../packet/build.js';
import { u32Match, type U32Config } from './u32.js';
import { checkCtx, parseCtx, parseError, roundTrip, run, skbOf, usesOf } from './test-util.js';

// iptables-restore then iptables-save, iptables 1.8.9 (nf_tables) on Linux 6.18.
const ROWS: Array<[string, string]> = [
  ['--u32 "0>>22&0x3C@12>>26&0x3C@0=0x1234"', '--u32 "0x0>>0x16&0x3c@0xc>>0x1a&0x3c@0x0=0x1234"'],
  ['! --u32 "0 >> 28 = 4 && 8 & 0xFF0000 >> 16 = 6, 17"', '! --u32 "0x0>>0x1c=0x4&&0x8&0xff0000>>0x10=0x6,0x11"'],
  ['--u32 "6&0xFF=1:17"', '--u32 "0x6&0xff=0x1:0x11"'],
  ['--u32 "6&0xFF=1:17,20,30:40"', '--u32 "0x6&0xff=0x1:0x11,0x14,0x1e:0x28"'],
  ['--u32 "0<<1=5"', '--u32 "0x0<<0x1=0x5"'],
  ['--u32 "0=0xffffffff"', '--u32 "0x0=0xffffffff"'],
  ['--u32 "0=5:1"', '--u32 "0x0=0x5:0x1"'],
  ['--u32 "0&1&2&3&4&5&6&7&8&9=1"', '--u32 "0x0&0x1&0x2&0x3&0x4&0x5&0x6&0x7&0x8&0x9=0x1"'],
  ['--u32 "0=1,2,3,4,5,6,7,8,9,10"', '--u32 "0x0=0x1,0x2,0x3,0x4,0x5,0x6,0x7,0x8,0x9,0xa"'],
  [`--u32 "${Array(10).fill('0=1').join('&&')}"`, `--u32 "${Array(10).fill('0x0=0x1').join('&&')}"`],
  ['--u32 " 0 = 1 : 2 "', '--u32 "0x0=0x1:0x2"'],
  ['--u32 "0=1 &&0=2"', '--u32 "0x0=0x1&&0x0=0x2"'],
  ['--u32 "0<<31=0"', '--u32 "0x0<<0x1f=0x0"'],
];
const BAD: Array<[string, string]> = [
  ['--u32 "0=0x100000000"', 'u32: at char 2: not a number or out of range'],
  ['--u32 "0="', 'u32: test ended with no value specified'],
  ['--u32 "=5"', 'u32: at char 0: location spec missing'],
  ['--u32 "0"', 'u32: abrupt end of input after location specifier'],
  ['--u32 "0&"', 'u32: at char 2: not a number or out of range'],
  ['--u32 "0<1=5"', "u32: at char 2: a second '<' was expected"],
  ['--u32 "0>1=5"', "u32: at char 2: a second '>' was expected"],
  ['--u32 "0 1=5"', 'u32: at char 2: operator expected'],
  ['--u32 "0=1 2"', 'u32: at char 4: expected "," or "&&"'],
  ['--u32 "0=1&2"', "u32: at char 4: a second '&' was expected"],
  ['--u32 "0=1&&"', 'u32: abrupt end of input after location specifier'],
  ['--u32 "0=1&&=2"', 'u32: at char 5: location spec missing'],
  ['--u32 "0&1&2&3&4&5&6&7&8&9&10=1"', 'u32: at char 22: too many operators'],
  ['--u32 "0=1,2,3,4,5,6,7,8,9,10,11"', 'u32: at char 25: too many ","s'],
  [`--u32 "${Array(11).fill('0=1').join('&&')}"`, 'u32: at char 53: too many "&&"s'],
  ['--u32 "0=-1"', 'u32: at char 2: not a number or out of range'],
  ['--u32 "0=1:"', 'u32: at char 4: not a number or out of range'],
  ['--u32 ""', 'u32: abrupt end of input after location specifier'],
  ['--u32 "0x=1"', 'u32: at char 1: operator expected'],
  ['--u32 "08=1"', 'u32: at char 1: operator expected'],
  ['', 'u32: option "--u32" must be specified'],
];

const cfg = (t: string): U32Config => u32Match.parse(usesOf(u32Match, t), parseCtx());
const FW = { src: '203.0.113.1', dst: '198.51.100.1' };

describe('u32', () => {
  it.each(ROWS)('save %s', (i, s) => expect(roundTrip(u32Match, i)).toBe(s));
  it.each(BAD)('refuse %s', (i, e) => expect(parseError(u32Match, i)).toBe(e));
  it('the kernel (6.18.40 and later) refuses shift counts of 32 or more', () => {
    expect(() => u32Match.check!(cfg('--u32 "0<<32=0"'), checkCtx(2))).toThrow(/Invalid argument/);
    expect(() => u32Match.check!(cfg('--u32 "0>>32=0"'), checkCtx(2))).toThrow(/Invalid argument/);
    expect(() => u32Match.check!(cfg('--u32 "0>>31=0&&0&32=0"'), checkCtx(2))).not.toThrow();
  });

  it('reads words, masks, shifts and follows @ into the payload', () => {
    const get = skbOf(ipv4(FW, tcp({ sport: 1, dport: 80, flags: 'PA', payload: new TextEncoder().encode('GET / HTTP/1.0') })));
    expect(run(u32Match, cfg('--u32 "0>>22&0x3C@12>>26&0x3C@0=0x47455420"'), get).matched).toBe(true);
    expect(run(u32Match, cfg('--u32 "0>>22&0x3C@12>>26&0x3C@0=0x50555420"'), get).matched).toBe(false);
    expect(run(u32Match, cfg('--u32 "6&0xFF=6&&0>>28=4"'), get).matched).toBe(true);
    expect(run(u32Match, cfg('! --u32 "6&0xFF=6&&0>>28=4"'), get).matched).toBe(false);
    const ping = skbOf(ipv4(FW, icmp({ type: 8 })));
    expect(run(u32Match, cfg('--u32 "6&0xFF=1&&0>>22&0x3C@0>>24=8"'), ping).matched).toBe(true);
    expect(run(u32Match, cfg('--u32 "4<<31=0x80000000"'), ping).matched).toBe(false); // id 0
    expect(run(u32Match, cfg('--u32 "0&0xffff=0:0x1b,0x1d:0xffff"'), ping).matched).toBe(false); // 28 bytes
    expect(run(u32Match, cfg('--u32 "0=0x40:0x3f"'), ping).matched).toBe(false); // high:low holds nothing
  });

  it('fails (before the inversion) when a read leaves the packet', () => {
    const tiny = skbOf(ipv4(FW, raw(253, Uint8Array.of(1, 2, 3, 4)))); // 24 bytes
    expect(run(u32Match, cfg('--u32 "20=0x01020304"'), tiny).matched).toBe(true);
    expect(run(u32Match, cfg('--u32 "21=0:0xffffffff"'), tiny).matched).toBe(false);
    expect(run(u32Match, cfg('! --u32 "21=0:0xffffffff"'), tiny).matched).toBe(true);
    expect(run(u32Match, cfg('--u32 "0>>22&0x3C@0=0x01020304"'), tiny).matched).toBe(true);
    expect(run(u32Match, cfg('--u32 "0>>22&0x3C@1=0:0xffffffff"'), tiny).matched).toBe(false);
    expect(run(u32Match, cfg('--u32 "0>>22&0x3C@1000=0"'), tiny)).toEqual({ matched: false, hotdrop: false });
    // An @ offset near 2^32 fails instead of wrapping round to the start.
    expect(run(u32Match, cfg('--u32 "0&0@0xfffffffc=0:0xffffffff"'), tiny).matched).toBe(false);
    expect(run(u32Match, cfg('--u32 "0&0@0=0x4500:0x4500ffff"'), tiny).matched).toBe(true);
  });

  it('hot-drops when a word lies in bytes the capture cut off', () => {
    const ip = ipv4(FW, raw(253, new Uint8Array(40)));
    const cut = skbOf(ip.slice(0, 30)); // total length still 60
    expect(run(u32Match, cfg('--u32 "40=0"'), cut)).toEqual({ matched: false, hotdrop: true });
    expect(run(u32Match, cfg('--u32 "0>>22&0x3C@20=0"'), cut)).toEqual({ matched: false, hotdrop: true });
    expect(run(u32Match, cfg('--u32 "100=0"'), cut)).toEqual({ matched: false, hotdrop: false });
  });
});
