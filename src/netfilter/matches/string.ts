/**
 * `-m string` (xt_string.c / libxt_string.c revision 1, the kernel's
 * textsearch in lib/ts_bm.c and lib/ts_kmp.c):
 * `--algo bm|kmp`, `[!] --string text` or `[!] --hex-string "a|0d 0a|b"`,
 * `--from N`, `--to N` (0-65535, default 0 and 65535), `--icase`.
 *
 * Where the kernel looks: skb_find_text(skb, from, to) on the skb as
 * netfilter's IPv4 hooks see it, whose data starts at the IP header and
 * whose length is the IP total length (Ethernet padding was trimmed by
 * ip_rcv). So offsets count from the first byte of the IP header. The
 * search runs over the bytes from `from` to the end of the packet (a linear
 * skb is one block; `to` does not shorten the block) and the first
 * occurrence the algorithm finds counts only when it ends at or before `to`.
 *
 * Both algorithms are the kernel's own, step for step, so their quirks are
 * kept: Boyer-Moore uses the kernel's bad-character and good-suffix tables;
 * `--icase` folds with the kernel's Latin-1 ctype (toupper of 0xdf is 0xbf).
 *
 * Load-time refusals as the kernel's checkentry: `--from` above `--to` and an
 * empty pattern (EINVAL), an algorithm the kernel does not have (ENOENT).
 * `fsm` (ts_fsm, a token automaton, not a string search) is refused by cofw.
 *
 * iptables-save prints `--string "text"` when every byte is printable ASCII
 * and the last is not `\`, otherwise `--hex-string "|..|"`, then `--algo`,
 * `--from`/`--to` when not the defaults, and `--icase`.
 *
 * @example
 * -p tcp -m tcp --dport 80 -m string --string "GET /admin" --algo bm --to 200
 */
import { CheckError, defineMatch, OptionError, type OptionSpec, type OptionUse } from '../xt.js';
import { uintArg } from '../args.js';
import { checkOptionUses } from './mark.js';

/** XT_STRING_MAX_PATTERN_SIZE. */
const MAX_PATTERN = 128;
/** XT_STRING_MAX_ALGO_NAME_SIZE (the name keeps 15 characters). */
const ALGO_SIZE = 16;
const NOT_FOUND = -1;

export const enum StringAlgo {
  Bm = 0,
  Kmp = 1,
  /** Any other name: refused by check. */
  Other = 2,
}

export interface StringConfig {
  readonly algoName: string;
  readonly algo: StringAlgo;
  /** The pattern as given (for save). */
  readonly pattern: Uint8Array;
  /** The pattern as searched (upper-cased with --icase). */
  readonly search: Uint8Array;
  readonly from: number;
  readonly to: number;
  readonly icase: boolean;
  readonly invert: boolean;
  /** Boyer-Moore tables, or KMP's prefix table. */
  readonly badShift: Uint32Array;
  readonly goodShift: Int32Array;
  readonly prefix: Uint32Array;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'from', args: 1 },
  { name: 'to', args: 1 },
  { name: 'algo', args: 1, mandatory: true },
  { name: 'string', args: 1, invert: true, excludes: ['hex-string'] },
  { name: 'hex-string', args: 1, invert: true, excludes: ['string'] },
  { name: 'icase', args: 0 },
];

// ---------------------------------------------------------------------------
// The kernel's ctype (lib/ctype.c: Latin-1 letters count as letters).

function kIsUpper(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0xc0 && c <= 0xde && c !== 0xd7);
}

function kIsLower(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0xdf && c !== 0xf7);
}

/** The kernel's toupper over all 256 byte values. */
const TO_UPPER = Uint8Array.from({ length: 256 }, (_, c) => (kIsLower(c) ? c - 32 : c));
const TO_LOWER = Uint8Array.from({ length: 256 }, (_, c) => (kIsUpper(c) ? c + 32 : c));

// ---------------------------------------------------------------------------
// Parsing

function bytesOf(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** parse_hex_string of libxt_string, with its quirks (`|41||42|` is `A|42`). */
export function parseHexString(text: string): Uint8Array {
  const s = bytesOf(text);
  const ch = (k: number): string | undefined => (k < s.length ? String.fromCharCode(s[k]!) : undefined);
  const slen = s.length;
  if (slen === 0) throw new OptionError('STRING must contain at least one char');
  const out: number[] = [];
  let i = 0;
  let hex = false;
  let literal = false;
  while (i < slen) {
    if (out.length >= MAX_PATTERN) throw new OptionError(`STRING too long "${text}"`);
    if (s[i] === 0x5c && !hex) literal = true;
    else if (s[i] === 0x5c) throw new OptionError('Cannot include literals in hex data');
    else if (s[i] === 0x7c) {
      if (hex) hex = false;
      else {
        hex = true;
        while (s[i + 1] === 0x20) i++;
      }
      if (i + 1 >= slen) break;
      i++;
    }
    if (literal) {
      if (i + 1 >= slen) throw new OptionError('Bad literal placement at end of string');
      out.push(s[i + 1]!);
      i += 2;
      literal = false;
    } else if (hex) {
      if (i + 1 >= slen) throw new OptionError('Odd number of hex digits');
      if (i + 2 >= slen) throw new OptionError('Invalid hex block');
      if (!isHex(ch(i))) throw new OptionError(`Invalid hex char '${ch(i)}'`);
      if (!isHex(ch(i + 1))) throw new OptionError(`Invalid hex char '${ch(i + 1)}'`);
      out.push(parseInt(ch(i)! + ch(i + 1)!, 16));
      i += s[i + 2] === 0x20 ? 3 : 2;
    } else {
      out.push(s[i]!);
      i++;
    }
  }
  return Uint8Array.from(out);
}

/** is_hex_string: saved as hex when a byte is not printable ASCII or the last is `\`. */
function savesAsHex(p: Uint8Array): boolean {
  for (const b of p) if (b < 0x20 || b > 0x7e) return true;
  return p.length > 0 && p[p.length - 1] === 0x5c;
}

function savePattern(p: Uint8Array): string {
  if (savesAsHex(p)) return `--hex-string "|${Array.from(p, (b) => b.toString(16).padStart(2, '0')).join('')}|"`;
  let s = '';
  for (const b of p) s += (b === 0x22 || b === 0x5c ? '\\' : '') + String.fromCharCode(b);
  return `--string "${s}"`;
}

// ---------------------------------------------------------------------------
// Tables (bm_init / kmp_init)

function bmTables(pat: Uint8Array, icase: boolean): { bad: Uint32Array; good: Int32Array } {
  const n = pat.length;
  const bad = new Uint32Array(256).fill(n);
  for (let i = 0; i < n - 1; i++) {
    bad[pat[i]!] = n - 1 - i;
    if (icase) bad[TO_LOWER[pat[i]!]!] = n - 1 - i;
  }
  const good = new Int32Array(Math.max(n, 1));
  good[0] = 1;
  for (let i = 1; i < n; i++) good[i] = n;
  const sub = (i: number, j: number, g: number): boolean => {
    let x = i + g - 1;
    let y = j + g - 1;
    while (pat[x--] === pat[y--]) {
      if (y < 0) return true;
      if (--g === 0) return pat[i - 1] !== pat[j - 1];
    }
    return false;
  };
  for (let i = n - 1, g = 1; i > 0; g++, i--) {
    for (let j = i - 1; j >= 1 - g; j--) {
      if (sub(i, j, g)) {
        good[g] = n - j - g;
        break;
      }
    }
  }
  return { bad, good };
}

function kmpPrefix(pat: Uint8Array, icase: boolean): Uint32Array {
  const t = new Uint32Array(pat.length);
  const f = (b: number): number => (icase ? TO_UPPER[b]! : b);
  for (let k = 0, q = 1; q < pat.length; q++) {
    while (k > 0 && f(pat[k]!) !== f(pat[q]!)) k = t[k - 1]!;
    if (f(pat[k]!) === f(pat[q]!)) k++;
    t[q] = k;
  }
  return t;
}

// ---------------------------------------------------------------------------
// Searching: offsets relative to `from`, NOT_FOUND when nothing was found.

function bmFind(c: StringConfig, d: Uint8Array, from: number, end: number): number {
  const p = c.search;
  const n = p.length;
  const textLen = end - from;
  let shift = n - 1;
  while (shift < textLen) {
    let i = 0;
    for (; i < n; i++) {
      let t = d[from + shift - i]!;
      if (c.icase) t = TO_UPPER[t]!;
      if (t !== p[n - 1 - i]) break;
    }
    if (i === n) return shift - (n - 1);
    const bs = c.badShift[d[from + shift - i]!]!;
    shift = Math.max(shift - i + bs, shift + c.goodShift[i]!);
  }
  return NOT_FOUND;
}

function kmpFind(c: StringConfig, d: Uint8Array, from: number, end: number): number {
  const p = c.search;
  const n = p.length;
  let q = 0;
  for (let i = from; i < end; i++) {
    const t = c.icase ? TO_UPPER[d[i]!]! : d[i]!;
    while (q > 0 && p[q] !== t) q = c.prefix[q - 1]!;
    if (p[q] === t) q++;
    if (q === n) return i + 1 - from - n;
  }
  return NOT_FOUND;
}

// ---------------------------------------------------------------------------

function stringUse(uses: readonly OptionUse[], name: string): OptionUse | undefined {
  return uses.find((u) => u.spec.name === name);
}

export const stringMatch = defineMatch<StringConfig>({
  name: 'string',
  options: OPTIONS,
  parse(uses) {
    checkOptionUses('string', uses);
    const algoUse = stringUse(uses, 'algo');
    const fromUse = stringUse(uses, 'from');
    const toUse = stringUse(uses, 'to');
    const from = fromUse ? uintArg('string', fromUse, 0, 65535) : 0;
    const to = toUse ? uintArg('string', toUse, 0, 65535) : 65535;
    const strUse = stringUse(uses, 'string') ?? stringUse(uses, 'hex-string');
    let pattern: Uint8Array | undefined;
    if (strUse) {
      const arg = strUse.args[0] ?? '';
      try {
        if (strUse.spec.name === 'hex-string') pattern = parseHexString(arg);
        else {
          pattern = bytesOf(arg);
          if (pattern.length > MAX_PATTERN) throw new OptionError(`STRING too long "${arg}"`);
        }
      } catch (e) {
        throw new OptionError((e as Error).message, strUse);
      }
    }
    if (!pattern || !strUse) throw new OptionError("STRING match: You must specify `--string' or `--hex-string'");
    if (!algoUse) throw new OptionError('string: option "--algo" must be specified');
    const algoName = (algoUse.args[0] ?? '').slice(0, ALGO_SIZE - 1);
    const algo = algoName === 'bm' ? StringAlgo.Bm : algoName === 'kmp' ? StringAlgo.Kmp : StringAlgo.Other;
    const icase = !!stringUse(uses, 'icase');
    const search = icase ? pattern.map((b) => TO_UPPER[b]!) : pattern;
    const bm = algo === StringAlgo.Bm && pattern.length > 0 ? bmTables(search, icase) : { bad: new Uint32Array(0), good: new Int32Array(0) };
    const prefix = algo === StringAlgo.Kmp ? kmpPrefix(pattern, icase) : new Uint32Array(0);
    return {
      algoName,
      algo,
      pattern,
      search,
      from,
      to,
      icase,
      invert: strUse.invert,
      badShift: bm.bad,
      goodShift: bm.good,
      prefix,
    };
  },
  check(c) {
    if (c.from > c.to) throw new CheckError(`string: --from ${c.from} is beyond --to ${c.to} (Invalid argument)`);
    if (c.algo === StringAlgo.Other) {
      if (c.algoName === 'fsm') throw new CheckError('string: --algo fsm (a textsearch token automaton) is not emulated by cofw; use bm or kmp');
      throw new CheckError(`string: no text search algorithm "${c.algoName}" (bm or kmp; No such file or directory)`);
    }
    if (c.pattern.length === 0) throw new CheckError('string: the pattern is empty (Invalid argument)');
  },
  save(c) {
    const out = [`${c.invert ? '! ' : ''}${savePattern(c.pattern)}`, `--algo ${c.algoName}`];
    if (c.from !== 0) out.push(`--from ${c.from}`);
    if (c.to !== 65535) out.push(`--to ${c.to}`);
    if (c.icase) out.push('--icase');
    return out.join(' ');
  },
  match(c, skb, par) {
    const n = c.search.length;
    if (n === 0) return c.invert;
    // The block searched: from `from` to the end of the packet present.
    const end = skb.len;
    let found = NOT_FOUND;
    if (c.from < end) found = c.algo === StringAlgo.Bm ? bmFind(c, skb.data, c.from, end) : kmpFind(c, skb.data, c.from, end);
    if (found === NOT_FOUND && skb.len < skb.totLen && skb.len < c.to) {
      // The capture cut off bytes the kernel would have searched.
      par.hotdrop = true;
      return false;
    }
    return (found !== NOT_FOUND && found + n <= c.to - c.from) !== c.invert;
  },
});
