import { describe, expect, it } from 'vitest';
import { ipv6, raw, udp } from '../../packet/build.js';
import { parseIPv6 } from '../../packet/inet-addr.js';
import { rtMatch } from './rt.js';
import { parseCtx6, parseError6, run, save6, skb6, usesOf } from './test-util.js';

// Recorded from ip6tables-restore then ip6tables-save 1.8.9 (nf_tables); BAD: the options -> its message.
const ROWS: Array<[string, string]> = [
  ['-A INPUT -m rt', '-A INPUT -m rt'],
  ['-A INPUT -m rt --rt-type 0', '-A INPUT -m rt --rt-type 0'],
  ['-A INPUT -m rt ! --rt-type 2', '-A INPUT -m rt ! --rt-type 2'],
  ['-A INPUT -m rt --rt-type 4294967295', '-A INPUT -m rt --rt-type 4294967295'],
  ['-A INPUT -m rt --rt-segsleft 3', '-A INPUT -m rt --rt-segsleft 3'],
  ['-A INPUT -m rt ! --rt-segsleft 3:5', '-A INPUT -m rt ! --rt-segsleft 3:5'],
  ['-A INPUT -m rt --rt-segsleft 5:3', '-A INPUT -m rt --rt-segsleft 5:3'],
  ['-A INPUT -m rt --rt-segsleft :5', '-A INPUT -m rt --rt-segsleft 0:5'],
  ['-A INPUT -m rt --rt-segsleft 0:4294967295', '-A INPUT -m rt'],
  ['-A INPUT -m rt ! --rt-segsleft 0:4294967295', '-A INPUT -m rt'],
  ['-A INPUT -m rt --rt-len 24', '-A INPUT -m rt --rt-len 24'],
  ['-A INPUT -m rt ! --rt-len 24', '-A INPUT -m rt ! --rt-len 24'],
  ['-A INPUT -m rt --rt-type 0 --rt-0-res', '-A INPUT -m rt --rt-type 0 --rt-0-res'],
  ['-A INPUT -m rt --rt-type 0 --rt-0-addrs 2001:db8::1', '-A INPUT -m rt --rt-type 0 --rt-0-addrs 2001:db8::1'],
  [
    '-A INPUT -m rt --rt-type 0 --rt-0-addrs 2001:db8::1,2001:DB8:0::2,::ffff:1.2.3.4',
    '-A INPUT -m rt --rt-type 0 --rt-0-addrs 2001:db8::1,2001:db8::2,::ffff:1.2.3.4',
  ],
  ['-A INPUT -m rt --rt-type 0 --rt-0-addrs 2001:db8::1 --rt-0-not-strict', '-A INPUT -m rt --rt-type 0 --rt-0-addrs 2001:db8::1 --rt-0-not-strict'],
  [
    '-A INPUT -m rt --rt-type 0 --rt-0-addrs ::1,::2,::3,::4,::5,::6,::7,::8,::9,::a,::b,::c,::d,::e,::f,::10',
    '-A INPUT -m rt --rt-type 0 --rt-0-addrs ::1,::2,::3,::4,::5,::6,::7,::8,::9,::a,::b,::c,::d,::e,::f,::10',
  ],
  [
    '-A INPUT -m rt --rt-type 0 --rt-segsleft 2 --rt-len 40 --rt-0-res --rt-0-addrs ::1,::2 --rt-0-not-strict',
    '-A INPUT -m rt --rt-type 0 --rt-segsleft 2 --rt-len 40 --rt-0-res --rt-0-addrs ::1,::2 --rt-0-not-strict',
  ],
];
const BAD: Array<[string, string]> = [
  ['--rt-type 4294967296', 'rt: bad value for option "--rt-type", or out of range (0-4294967295).'],
  ['--rt-0-res', "`--rt-type 0' required before `--rt-0-res'"],
  ['--rt-type 1 --rt-0-res', "`--rt-type 0' required before `--rt-0-res'"],
  ['! --rt-type 0 --rt-0-res', "`--rt-type 0' required before `--rt-0-res'"],
  ['--rt-0-res --rt-type 0', "`--rt-type 0' required before `--rt-0-res'"],
  ['--rt-type 0 --rt-0-not-strict --rt-0-addrs 2001:db8::1', "`--rt-0-addr ...' required before `--rt-0-not-strict'"],
  ['--rt-type 0 --rt-0-not-strict', "`--rt-0-addr ...' required before `--rt-0-not-strict'"],
  ['--rt-0-addrs 2001:db8::1', "`--rt-type 0' required before `--rt-0-addrs'"],
  ['--rt-type 0 --rt-0-addrs 1.2.3.4', 'bad address: 1.2.3.4'],
  ['--rt-type 0 --rt-0-addrs 2001:db8::1,', 'bad address: '],
  ['--rt-type 0 --rt-0-addrs ,2001:db8::1', 'bad address: '],
  ['--rt-type 0 --rt-0-addrs 2001:db8::/64', 'bad address: 2001:db8::/64'],
  ['--rt-type 0 --rt-0-addrs ::1,::2,::3,::4,::5,::6,::7,::8,::9,::a,::b,::c,::d,::e,::f,::10,::11', 'too many addresses specified'],
  ['--rt-0-not-strict --rt-type 0', "`--rt-0-addr ...' required before `--rt-0-not-strict'"],
  ['! --rt-0-res --rt-type 0', 'rt: option "--rt-0-res" cannot be inverted.'],
];

describe('rt: ip6tables-restore -> ip6tables-save', () => {
  it.each(ROWS)('%s', (rule, saved) => expect(save6(rule)).toBe(saved));
});

describe('rt: refusals', () => {
  it.each(BAD)('%s', (text, err) => expect(parseError6(rtMatch, text)).toBe(err));
});

const SRC = '2001:db8::2';
const DST = '2001:db8::1';
/** A routing header of `type` with `segs` segments left and these addresses, then UDP. */
function rtHeader(type: number, segs: number, addrs: string[], reserved = 0): { type: number; bytes: Uint8Array } {
  const b = new Uint8Array(8 + 16 * addrs.length);
  b[1] = 2 * addrs.length;
  b[2] = type;
  b[3] = segs;
  new DataView(b.buffer).setUint32(4, reserved);
  addrs.forEach((a, i) => parseIPv6(a)!.write(b, 8 + 16 * i));
  return { type: 43, bytes: b };
}

describe('rt: matching (rt_mt6)', () => {
  const cfg = (t: string) => rtMatch.parse(usesOf(rtMatch, t), parseCtx6());
  const p = skb6(ipv6({ src: SRC, dst: DST, ext: [rtHeader(0, 2, ['2001:db8::a', '2001:db8::b'])] }, udp({ sport: 1, dport: 2 })));
  // Each recorded from the kernel with the same packet.
  it.each([
    ['--rt-type 0', true],
    ['--rt-type 0 --rt-segsleft 2', true],
    ['--rt-segsleft 3:1', false],
    ['--rt-len 40', true],
    ['! --rt-len 40', false],
    ['--rt-type 0 --rt-0-res', true],
    ['--rt-type 0 --rt-0-addrs 2001:db8::a', false],
    ['--rt-type 0 --rt-0-addrs 2001:db8::a,2001:db8::b', true],
    ['--rt-type 0 --rt-0-addrs 2001:db8::b --rt-0-not-strict', true],
    ['--rt-type 0 --rt-0-addrs 2001:db8::a --rt-0-not-strict', true],
    ['--rt-type 0 --rt-0-addrs 2001:db8::b,2001:db8::a --rt-0-not-strict', false],
    ['--rt-type 0 --rt-0-addrs 2001:db8::a,2001:db8::b,::1', false],
  ] as const)('%s', (t, want) => expect(run(rtMatch, cfg(t), p)).toEqual({ matched: want, hotdrop: false }));
  it('type 2 with a reserved word set', () => {
    const q = skb6(ipv6({ src: SRC, dst: DST, ext: [rtHeader(2, 1, ['2001:db8::a'], 7)] }, udp({ sport: 1, dport: 2 })));
    expect(run(rtMatch, cfg('--rt-type 2'), q).matched).toBe(true);
    expect(run(rtMatch, cfg('! --rt-type 0 --rt-segsleft 1'), q).matched).toBe(true);
    expect(run(rtMatch, cfg('--rt-type 0 --rt-0-res'), q).matched).toBe(false);
  });
  it('no routing header: no match, no drop', () => {
    expect(run(rtMatch, cfg(''), skb6(ipv6({ src: SRC, dst: DST }, udp({ sport: 1, dport: 2 }))))).toEqual({ matched: false, hotdrop: false });
  });
  // Recorded from the kernel (6.18): a routing header claiming 24 bytes of 8 present drops the packet.
  it('hotdrops a header whose length runs past the packet', () => {
    const q = skb6(ipv6({ src: SRC, dst: DST, rawL4: true }, raw(43, Uint8Array.from([59, 2, 0, 1, 0, 0, 0, 0]))));
    expect(run(rtMatch, cfg(''), q)).toEqual({ matched: false, hotdrop: true });
    expect(run(rtMatch, cfg('--rt-type 0'), q)).toEqual({ matched: false, hotdrop: true });
  });
});
