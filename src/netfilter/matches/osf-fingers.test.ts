import { describe, expect, it } from 'vitest';
import { ipv4, tcp } from '../../packet/build.js';
import {
  cStrtoul,
  formatOsfFinger,
  OSF_TTL_LESS,
  OSF_TTL_NOCHECK,
  OSF_TTL_TRUE,
  osfCtx,
  osfFind,
  OsfFileError,
  osfLists,
  osfMatchOne,
  OsfWss,
  parseOsfFingerprints,
  type OsfFinger,
} from './osf-fingers.js';

const one = (line: string): OsfFinger => {
  const f = parseOsfFingerprints(`${line}\n`, 'pf.os');
  expect(f).toHaveLength(1);
  return f[0]!;
};
const refused = (text: string): string => {
  try {
    parseOsfFingerprints(text, 'pf.os');
  } catch (e) {
    if (e instanceof OsfFileError) return e.message;
    throw e;
  }
  return 'accepted';
};
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('pf.os lines as nfnl_osf (iptables 1.8.9) reads them', () => {
  it('reads every field of a pf.os line', () => {
    expect(one('S44:64:1:60:M*,S,T,N,W7:Linux:2.6:2.6.x:Linux 2.6 and later')).toEqual({
      wssWc: OsfWss.Mss,
      wssVal: 44,
      ttl: 64,
      df: 1,
      ss: 60,
      opts: [2, 4, 8, 1, 3],
      genre: 'Linux',
      version: '2.6',
      subtype: '2.6.x',
      line: 1,
    });
  });

  it.each([
    ['S4', OsfWss.Mss, 4],
    ['S%4', OsfWss.Mss, 4],
    ['S*', OsfWss.Mss, 0],
    ['S', OsfWss.Mss, 0],
    ['T8', OsfWss.Mtu, 8],
    ['T%2', OsfWss.Mtu, 2],
    ['T*', OsfWss.Mtu, 0],
    ['%8192', OsfWss.Modulo, 8192],
    ['65535', OsfWss.Plain, 65535],
    ['0', OsfWss.Plain, 0],
    ['*', OsfWss.Plain, 0],
    ['x12', OsfWss.Plain, 0],
    [' 12', OsfWss.Plain, 0], // no whitespace is skipped before the first field
    ['4294967297', OsfWss.Plain, 1], // strtoul's 64 bits kept to the field's 32
    ['S-1', OsfWss.Mss, 0xffffffff],
  ])('window %s', (w, wc, val) => {
    const f = one(`${w}:64:1:40:.:G:v:s:`);
    expect([f.wssWc, f.wssVal]).toEqual([wc, val]);
  });

  it('keeps ttl and df to 8 bits and the size to 16, as the kernel fields hold them', () => {
    const f = one('*:320:258:65576:.:G:v:s:');
    expect([f.ttl, f.df, f.ss]).toEqual([64, 2, 40]);
    expect(osfLists([f]).lists[1]).toEqual([f]); // df 2 is the DF list (!!df)
  });

  it('reads options by their first letter and skips the others', () => {
    expect(one('*:64:1:40:M1460,W%2,S,T0,N,E,?12,.,mss:G:v:s:').opts).toEqual([2, 3, 4, 8, 1, 0]);
    expect(one('*:64:1:40:.:G:v:s:').opts).toEqual([]);
    expect(one('*:64:1:40::G:v:s:').opts).toEqual([]);
    expect(one('*:64:1:40:M*, N,  W0:G:v:s:').opts).toEqual([2, 1, 3]); // whitespace after a comma is skipped
    expect(one('*:64:1:40: M*:G:v:s:').opts).toEqual([2]); // and after a colon
  });

  it("drops a genre's leading @ or *, keeps trailing whitespace and cuts names to 31 bytes", () => {
    expect(one('*:64:1:40:.:@Linux:v:s:').genre).toBe('Linux');
    expect(one('*:64:1:40:.:*Linux:v:s:').genre).toBe('Linux');
    expect(one('*:64:1:40:.:@@Linux:v:s:').genre).toBe('@Linux');
    expect(one('*:64:1:40:.:Linux :v:s:').genre).toBe('Linux ');
    const f = one(`*:64:1:40:.:${'g'.repeat(40)}:${'v'.repeat(40)}:${'s'.repeat(40)}:`);
    expect([f.genre, f.version, f.subtype]).toEqual(['g'.repeat(31), 'v'.repeat(31), 's'.repeat(31)]);
  });

  it('skips comments, blank lines and lines that start with a carriage return; reads CRLF files', () => {
    const f = parseOsfFingerprints('# comment\n\n\r\n\r junk\n*:64:1:40:.:A:v:s:x\r\n', 'pf.os');
    expect(f.map((x) => [x.genre, x.subtype, x.line])).toEqual([['A', 's', 5]]);
  });

  it('drops the last byte of every line: a last line without a newline loses its last character', () => {
    expect(parseOsfFingerprints('*:64:1:40:.:A:v:sub:x', 'pf.os')[0]!.subtype).toBe('sub');
    expect(refused('*:64:1:40:.:A:v:sub:')).toMatch(/^pf.os:1: 7 colons; .*\(the last line has no newline: nfnl_osf drops its last character\)$/);
  });

  it('refuses a line without 8 colons, naming the file, the line and why', () => {
    expect(refused('# ok\n*:64:1:40:.:A:v:s:\nS44:64:1:60:M*:Linux:2.6:2.6.x:said: twice\n')).toBe(
      'pf.os:3: 9 colons; nfnl_osf takes a line of 9 fields separated by 8 colons (window:ttl:df:size:options:genre:version:subtype:details) and refuses it (Invalid argument)',
    );
    expect(refused('junk\n')).toMatch(/^pf.os:1: 0 colons;/);
    expect(refused('  \n')).toMatch(/^pf.os:1: 0 colons;/); // whitespace alone is no blank line to nfnl_osf
  });

  it('refuses a modulo window of 0, which the kernel would divide by', () => {
    for (const w of ['%0', '%', '%x']) expect(refused(`${w}:64:1:40:.:A:v:s:\n`)).toMatch(/^pf.os:1: window `.*' is a modulo of 0: the kernel would divide/);
  });

  it('refuses more than 40 options, more than the fingerprint holds', () => {
    expect(refused(`*:64:1:40:${Array(41).fill('N').join(',')}:A:v:s:\n`)).toMatch(/^pf.os:1: 41 options/);
    expect(one(`*:64:1:40:${Array(40).fill('N').join(',')}:A:v:s:`).opts).toHaveLength(40);
  });

  it('cuts the options field to 126 bytes, as nfnl_osf does', () => {
    // 62 two-byte "N," then "M*": 124 + 2 = 126 bytes kept; past it, nothing.
    expect(one(`*:64:1:40:${'E,'.repeat(20)}${'?,'.repeat(42)}M*,N:A:v:s:`).opts).toEqual([...Array(20).fill(0), 2]);
  });

  it('reads a line as fgets does: 1,023 bytes at most, the rest as the next line', () => {
    const long = `*:64:1:40:.:A:v:s:${'x'.repeat(1100)}\n`;
    expect(refused(long)).toMatch(/^pf.os:1: 0 colons/); // the second piece has no colon (reported at its line)
  });

  it('loads a fingerprint equal to one already loaded only once; option values count', () => {
    const f = parseOsfFingerprints('S4:64:1:60:M*,S:A:v:s:one\nS4:64:1:60:M*,S:A:v:s:two\nS4:64:1:60:M1460,S:A:v:s:three\nS4:64:1:60:M 0,S:A:v:s:\n', 'pf.os');
    // M* and "M 0" are both MSS with value 0 (strtoul skips the space): the same record.
    expect(f.map((x) => x.line)).toEqual([1, 3]);
  });

  it('writes a line that reads back as the same fingerprint', () => {
    for (const line of [
      'S44:64:1:60:M*,S,T,N,W7:Linux:2.6:2.6.x:',
      'T4:255:0:44:M*,E:@@x:1:mtu:',
      '%8192:128:1:48:M*,N,N,S:Windows:XP:SP1:',
      '*:64:1:40:.:Wild:any:noopt:',
      '1234:64:1:40:.:W:::',
    ]) {
      const f = one(line);
      const { line: _l, ...again } = one(formatOsfFinger(f));
      const { line: _m, ...orig } = f;
      expect(again).toEqual(orig);
    }
  });

  it('strtoul: whitespace, sign, overflow to ULONG_MAX, kept to the field', () => {
    expect(cStrtoul(enc(' \t42x'), 0, 32)).toBe(42);
    expect(cStrtoul(enc('+7'), 0, 8)).toBe(7);
    expect(cStrtoul(enc('-1'), 0, 16)).toBe(0xffff);
    expect(cStrtoul(enc('99999999999999999999999'), 0, 32)).toBe(0xffffffff);
    expect(cStrtoul(enc('-99999999999999999999999'), 0, 32)).toBe(0xffffffff);
    expect(cStrtoul(enc('abc'), 0, 32)).toBe(0);
  });
});

const LINUX_OPTS = (mss = 1460): Uint8Array => Uint8Array.of(2, 4, mss >> 8, mss & 0xff, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7);
const synOf = (o: { ttl?: number; df?: boolean; window: number; options?: Uint8Array; flags?: string; payload?: Uint8Array }): Uint8Array =>
  ipv4(
    { src: '203.0.113.9', dst: '198.51.100.1', ttl: o.ttl ?? 64, df: o.df ?? true },
    tcp({
      sport: 40000,
      dport: 80,
      flags: o.flags ?? 'S',
      window: o.window,
      ...(o.options ? { options: o.options } : {}),
      ...(o.payload ? { payload: o.payload } : {}),
    }),
  );
const matchOne = (line: string, pkt: Uint8Array, ttl = OSF_TTL_TRUE): boolean => {
  const ctx = osfCtx(pkt, pkt.length, 0);
  return ctx !== null && osfMatchOne(one(line), ttl, ctx);
};

describe('nf_osf_match_one', () => {
  const LINUX = 'S44:64:1:60:M*,S,T,N,W7:Linux:2.6:2.6.x:';
  it('compares the window with the MSS the SYN carries, or 1460 or 1448', () => {
    expect(matchOne(LINUX, synOf({ window: 44 * 1460, options: LINUX_OPTS() }))).toBe(true);
    expect(matchOne(LINUX, synOf({ window: 44 * 1400, options: LINUX_OPTS(1400) }))).toBe(true);
    expect(matchOne(LINUX, synOf({ window: 44 * 1448, options: LINUX_OPTS(1000) }))).toBe(true);
    expect(matchOne(LINUX, synOf({ window: 44 * 1000 + 1, options: LINUX_OPTS(1000) }))).toBe(false);
  });
  it('compares the TTL: the same without --ttl and with --ttl 0, at most with 1, any with 2', () => {
    const at = (ttl: number, check: number): boolean => matchOne(LINUX, synOf({ ttl, window: 44 * 1460, options: LINUX_OPTS() }), check);
    expect([at(64, OSF_TTL_TRUE), at(60, OSF_TTL_TRUE), at(60, OSF_TTL_LESS), at(65, OSF_TTL_LESS), at(65, OSF_TTL_NOCHECK)]).toEqual([
      true,
      false,
      true,
      false,
      true,
    ]);
  });
  it('needs the same IP total length, option kinds in order and option length', () => {
    expect(matchOne(LINUX, synOf({ window: 44 * 1460, options: LINUX_OPTS(), payload: Uint8Array.of(1) }))).toBe(false);
    const swapped = LINUX_OPTS();
    swapped.set([4, 2, 2, 4, 5, 0xb4], 0);
    expect(matchOne(LINUX, synOf({ window: 44 * 1460, options: swapped }))).toBe(false);
    // The packet's option length bytes are not read: the fingerprint's lengths walk the options.
    const oddLen = LINUX_OPTS();
    oddLen[5] = 9;
    expect(matchOne(LINUX, synOf({ window: 44 * 1460, options: oddLen }))).toBe(true);
  });
  it('MTU windows, modulo windows, plain windows and wildcards', () => {
    const mssOnly = (m: number): Uint8Array => Uint8Array.of(2, 4, m >> 8, m & 0xff);
    expect(matchOne('T4:64:1:44:M*:A:v:s:', synOf({ window: 4 * 1500, options: mssOnly(1460) }))).toBe(true);
    expect(matchOne('T4:64:1:44:M*:A:v:s:', synOf({ window: 4 * 1240, options: mssOnly(1200) }))).toBe(true);
    expect(matchOne('T4:64:1:44:M*:A:v:s:', synOf({ window: 4 * 1488, options: mssOnly(1200) }))).toBe(true);
    expect(matchOne('%8192:64:1:44:M*:A:v:s:', synOf({ window: 8192 * 3, options: mssOnly(1460) }))).toBe(true);
    expect(matchOne('%8192:64:1:44:M*:A:v:s:', synOf({ window: 0, options: mssOnly(1460) }))).toBe(true);
    expect(matchOne('%8192:64:1:44:M*:A:v:s:', synOf({ window: 8191, options: mssOnly(1460) }))).toBe(false);
    expect(matchOne('512:64:1:40:.:A:v:s:', synOf({ window: 512 }))).toBe(true);
    expect(matchOne('512:64:1:40:.:A:v:s:', synOf({ window: 513 }))).toBe(false);
    expect(matchOne('*:64:1:40:.:A:v:s:', synOf({ window: 513 }))).toBe(true);
    // S* is 0 times the MSS: window 0 only.
    expect(matchOne('S*:64:1:44:M*:A:v:s:', synOf({ window: 0, options: mssOnly(1460) }))).toBe(true);
    expect(matchOne('S*:64:1:44:M*:A:v:s:', synOf({ window: 1460, options: mssOnly(1460) }))).toBe(false);
    // Without an MSS option the SYN's MSS is 0, and 1460 and 1448 are still tried.
    expect(matchOne('S2:64:1:40:.:A:v:s:', synOf({ window: 2920 }))).toBe(true);
  });
  it('takes any SYN (SYN-ACK too), never a segment without SYN', () => {
    expect(osfCtx(synOf({ window: 1, flags: 'SA' }), 40, 0)).not.toBeNull();
    expect(osfCtx(synOf({ window: 1, flags: 'A' }), 40, 0)).toBeNull();
    expect(osfCtx(synOf({ window: 1 }), 39, 0)).toBeNull(); // no whole TCP header
  });
  it('takes options that are not there to read as no match', () => {
    const pkt = synOf({ window: 44 * 1460, options: LINUX_OPTS() });
    const ctx = osfCtx(pkt, 50, 0)!;
    expect(ctx.optStart).toBe(-1);
    expect(osfMatchOne(one(LINUX), OSF_TTL_TRUE, ctx)).toBe(false);
  });
});

describe('nf_osf_find', () => {
  it("looks only at the list of the SYN's DF bit, in load order: the first fingerprint wins", () => {
    const fingers = osfLists(parseOsfFingerprints('*:64:0:40:.:NoDF:v:s:\n512:64:1:40:.:First:v:s:\n*:64:1:40:.:Second:v:s:\n', 'pf.os'));
    const find = (p: Uint8Array): string | null => osfFind(fingers, p, p.length, 0, OSF_TTL_TRUE);
    expect(find(synOf({ window: 512 }))).toBe('First');
    expect(find(synOf({ window: 513 }))).toBe('Second');
    expect(find(synOf({ window: 513, df: false }))).toBe('NoDF');
    expect(find(synOf({ window: 513, ttl: 63 }))).toBeNull();
  });
});
