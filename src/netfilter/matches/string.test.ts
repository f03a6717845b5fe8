import { describe, expect, it } from 'vitest';
import { ipv4, raw, udp } from '../../packet/build.js';
import { stringMatch, type StringConfig } from './string.js';
import { checkCtx, parseCtx, parseError, roundTrip, run, skbOf, truncate, usesOf } from './test-util.js';

// iptables-restore then iptables-save, iptables 1.8.9 (nf_tables) on Linux 6.18.
const ROWS: Array<[string, string]> = [
  ['--algo bm --string foo', '--string "foo" --algo bm'],
  ['--algo kmp --string "foo bar"', '--string "foo bar" --algo kmp'],
  ['--algo kmp ! --string foo', '! --string "foo" --algo kmp'],
  ['--algo bm --string foo --from 10 --to 100', '--string "foo" --algo bm --from 10 --to 100'],
  ['--algo bm --string foo --to 65535', '--string "foo" --algo bm'],
  ['--algo bm --string foo --from 0', '--string "foo" --algo bm'],
  ['--algo bm --string foo --icase', '--string "foo" --algo bm --icase'],
  ['--string foo --algo bm --icase --from 5', '--string "foo" --algo bm --from 5 --icase'],
  ['--algo bm --string foo --from 10 --to 10', '--string "foo" --algo bm --from 10 --to 10'],
  ['--algo bm --hex-string "|41 42|"', '--string "AB" --algo bm'],
  ['--algo bm --hex-string "|4142|c"', '--string "ABc" --algo bm'],
  ['--algo bm --hex-string "|00 01|"', '--hex-string "|0001|" --algo bm'],
  ['--algo bm --hex-string "a|0a|b"', '--hex-string "|610a62|" --algo bm'],
  ['--algo bm --hex-string "|0a|"', '--hex-string "|0a|" --algo bm'],
  ['--algo bm --hex-string "\\\\x"', '--string "x" --algo bm'],
  ['--algo bm --hex-string "|41 42 |"', '--string "AB" --algo bm'],
  ['--algo bm --hex-string "| 41|"', '--string "A" --algo bm'],
  ['--algo bm --hex-string "|41||42|"', '--string "A|42" --algo bm'],
  ['--algo bm --string ~', '--string "~" --algo bm'],
  ['--algo bm --hex-string "|7f|"', '--hex-string "|7f|" --algo bm'],
  ['--algo bm --hex-string "|80|"', '--hex-string "|80|" --algo bm'],
  ['--algo bm --string "a\'b"', '--string "a\'b" --algo bm'],
  ["--algo bm --string 'a\"b\\c'", '--string "a\\"b\\\\c" --algo bm'],
  ["--algo bm --string 'ab\\'", '--hex-string "|61625c|" --algo bm'],
  ['--algo kmp --hex-string "|00000000|"', '--hex-string "|00000000|" --algo kmp'],
  [`--algo bm --string ${'0123456789'.repeat(12)}01234567`, `--string "${'0123456789'.repeat(12)}01234567" --algo bm`],
];
const BAD: Array<[string, string]> = [
  ['--algo bm --hex-string ""', 'STRING must contain at least one char'],
  ['--algo bm --hex-string "|4|"', 'Invalid hex block'],
  ['--algo bm --hex-string "|41"', 'Invalid hex block'],
  ['--algo bm --hex-string "|4g|"', "Invalid hex char 'g'"],
  ['--algo bm --hex-string "a\\\\"', 'Bad literal placement at end of string'],
  ['--string foo', 'string: option "--algo" must be specified'],
  ['--algo bm', "STRING match: You must specify `--string' or `--hex-string'"],
  ['', "STRING match: You must specify `--string' or `--hex-string'"],
  ['--algo bm --string foo --from 65536', 'string: bad value for option "--from", or out of range (0-65535).'],
  ['--algo bm --string foo --to 65536', 'string: bad value for option "--to", or out of range (0-65535).'],
  ['--algo bm --string foo --hex-string "|41|"', 'string: option "--string" cannot be used together with "--hex-string".'],
  [`--algo bm --string ${'0123456789'.repeat(13)}`, `STRING too long "${'0123456789'.repeat(13)}"`],
];
/** Loaded by iptables-restore, refused by the kernel's checkentry (RULE_APPEND failed). */
const KERNEL_BAD: Array<[string, RegExp]> = [
  ['--algo bm --string ""', /Invalid argument/],
  ['--algo bm --string foo --from 100 --to 10', /Invalid argument/],
  ['--algo xx --string foo', /No such file or directory/],
  ['--algo BM --string foo', /No such file or directory/],
  ["--algo '' --string foo", /No such file or directory/],
  ['--algo abcdefghijklmnopq --string foo', /"abcdefghijklmno".*No such file or directory/],
  ['--algo fsm --string foo', /fsm/],
];

const cfg = (t: string): StringConfig => stringMatch.parse(usesOf(stringMatch, t), parseCtx());
const bytes = (s: string) => new TextEncoder().encode(s);
const udpWith = (payload: Uint8Array) => skbOf(ipv4({ src: '203.0.113.1', dst: '198.51.100.1' }, udp({ sport: 1, dport: 2, payload })));

describe('string', () => {
  it.each(ROWS)('save %s', (i, s) => expect(roundTrip(stringMatch, i)).toBe(s));
  it.each(BAD)('refuse %s', (i, e) => expect(parseError(stringMatch, i)).toBe(e));
  it.each(KERNEL_BAD)('the kernel refuses %s', (i, e) => {
    expect(() => stringMatch.check!(cfg(i), checkCtx(2))).toThrow(e);
  });

  it('offsets count from the IP header; a match must end at or before --to', () => {
    // "needle" at IP offset 100: 20 IP + 8 UDP + 72 bytes before it.
    const s = udpWith(Uint8Array.of(...new Uint8Array(72), ...bytes('needle'), 0x2e));
    for (const algo of ['bm', 'kmp']) {
      expect(run(stringMatch, cfg(`--algo ${algo} --string needle`), s).matched).toBe(true);
      expect(run(stringMatch, cfg(`--algo ${algo} --string needle --to 105`), s).matched).toBe(false);
      expect(run(stringMatch, cfg(`--algo ${algo} --string needle --to 106`), s).matched).toBe(true);
      expect(run(stringMatch, cfg(`--algo ${algo} --string needle --from 100 --to 106`), s).matched).toBe(true);
      expect(run(stringMatch, cfg(`--algo ${algo} --string needle --from 101`), s).matched).toBe(false);
      expect(run(stringMatch, cfg(`--algo ${algo} ! --string needle --from 101`), s).matched).toBe(true);
      // The IP header is searched too: version/IHL 0x45 is "E" at offset 0.
      expect(run(stringMatch, cfg(`--algo ${algo} --string E --to 1`), s).matched).toBe(true);
      expect(run(stringMatch, cfg(`--algo ${algo} --string E --from 1 --to 1`), s).matched).toBe(false);
    }
  });

  it('does not search Ethernet padding beyond the IP total length', () => {
    const ip = ipv4({ src: '203.0.113.1', dst: '198.51.100.1' }, udp({ sport: 1, dport: 2 }));
    const padded = new Uint8Array(ip.length + 8);
    padded.set(ip);
    padded.set(bytes('needle'), ip.length);
    expect(run(stringMatch, cfg('--algo kmp --string needle'), skbOf(padded)).matched).toBe(false);
  });

  it('folds case with the kernel ctype, Latin-1 included', () => {
    const s = udpWith(Uint8Array.of(0x41, 0xe9, 0x42, 0xdf, 0x43));
    for (const algo of ['bm', 'kmp']) {
      expect(run(stringMatch, cfg(`--algo ${algo} --hex-string "|c9|" --icase`), s).matched).toBe(true);
      expect(run(stringMatch, cfg(`--algo ${algo} --hex-string "|c9|"`), s).matched).toBe(false);
      // toupper(0xdf) is 0xbf in the kernel's table.
      expect(run(stringMatch, cfg(`--algo ${algo} --hex-string "|bf|" --icase`), s).matched).toBe(true);
      expect(run(stringMatch, cfg(`--algo ${algo} --string aeb --icase`), udpWith(bytes('xAEBx'))).matched).toBe(true);
      expect(run(stringMatch, cfg(`--algo ${algo} --string aeb`), udpWith(bytes('xAEBx'))).matched).toBe(false);
    }
    // A pattern 0xff folds to 0xdf, which text 0xff reaches; text 0xdf folds to 0xbf and does not.
    expect(run(stringMatch, cfg('--algo bm --hex-string "|ff|" --icase'), udpWith(Uint8Array.of(0xff))).matched).toBe(true);
    expect(run(stringMatch, cfg('--algo bm --hex-string "|ff|" --icase'), udpWith(Uint8Array.of(0xdf))).matched).toBe(false);
  });

  it('Boyer-Moore and KMP find what a plain search finds', () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let k = 0; k < 3000; k++) {
      const alpha = k % 2 ? 'ab' : 'abcA';
      let pat = '';
      for (let i = 0, n = 1 + rnd(7); i < n; i++) pat += alpha[rnd(alpha.length)];
      let text = '';
      for (let i = 0, n = rnd(30); i < n; i++) text += alpha[rnd(alpha.length)];
      const pkt = ipv4({ src: '203.0.113.1', dst: '198.51.100.1' }, raw(253, bytes(text)));
      const want = text.includes(pat);
      const wantI = text.toUpperCase().includes(pat.toUpperCase());
      for (const algo of ['bm', 'kmp']) {
        expect(run(stringMatch, cfg(`--algo ${algo} --string ${pat} --from 20`), skbOf(pkt)).matched, `${algo} ${pat} in ${text}`).toBe(want);
        expect(run(stringMatch, cfg(`--algo ${algo} --string ${pat} --from 20 --icase`), skbOf(pkt)).matched).toBe(wantI);
      }
    }
  });

  it('hot-drops a packet the capture cut short when the missing bytes could hold the pattern', () => {
    const ip = ipv4({ src: '203.0.113.1', dst: '198.51.100.1' }, udp({ sport: 1, dport: 2, payload: bytes('abcdefneedle') }));
    const cut = ip.slice(0, 34); // total length still says 48
    expect(run(stringMatch, cfg('--algo bm --string needle'), skbOf(cut))).toEqual({ matched: false, hotdrop: true });
    expect(run(stringMatch, cfg('--algo bm --string abc'), skbOf(cut))).toEqual({ matched: true, hotdrop: false });
    expect(run(stringMatch, cfg('--algo bm --string needle --to 30'), skbOf(cut))).toEqual({ matched: false, hotdrop: false });
    // Cut by its own total length: nothing is missing.
    expect(run(stringMatch, cfg('--algo bm --string needle'), skbOf(truncate(ip, 34)))).toEqual({ matched: false, hotdrop: false });
  });
});
