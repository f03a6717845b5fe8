/**
 * Passive OS fingerprints for `-m osf`: the pf.os-format file `nfnl_osf -f
 * FILE` loads into the kernel (iptables 1.8.9 utils/nfnl_osf.c), read as
 * nfnl_osf reads it, and the kernel's matching of a TCP SYN against them
 * (net/netfilter/nfnetlink_osf.c: nf_osf_match, nf_osf_match_one).
 *
 * A line is `window:ttl:df:size:options:genre:version:subtype:details`.
 * nfnl_osf reads the file with fgets into 1,024 bytes, skips lines that
 * begin with `#`, a newline or a carriage return, drops each line's last
 * byte (the newline, or the last character of a last line without one),
 * and refuses a line without exactly 8 colons; it reads the other fields
 * with strtoul and keeps the low bits the kernel's fields hold (ttl and df
 * 8 bits, size 16, window 32):
 *
 * - window: `S N` (N times the MSS; `S%N` too), `T N` (N times the MTU,
 *   MSS + 40; `T%N` too), `%N` (a multiple of N), digits (exactly N, 0 any
 *   window); anything else, `*` among them, is 0: any window. `S*` and
 *   `T*` are 0 times the MSS or MTU: a window of 0 only.
 * - options: comma-separated, each known by its first character: `M`
 *   MSS (4 bytes), `W` window scale (3), `S` SACK permitted (2), `T`
 *   timestamp (10), `N` NOP (1), `E` end of list (1); any other is skipped
 *   (`.` for none, `?n`). Values (`M1460`, `W%2`, `T0`) are read but the
 *   kernel compares only the kinds and lengths: the SYN's options must be
 *   the same kinds in the same order, of the same total length.
 * - genre: a leading `@` or `*` is dropped; genre, version and subtype are
 *   cut to 31 bytes. The details after the 8th colon are ignored.
 *
 * Whitespace after a colon or a comma is skipped (not before). The kernel
 * keeps one list per DF bit in file order and ignores a fingerprint equal
 * to one already loaded (nfnl_osf_add_callback compares the whole record).
 *
 * cofw refuses, with the file and line, what nfnl_osf refuses (a line
 * without 8 colons) and what it cannot load as the kernel would keep it:
 * a modulo window of 0 (`%0`, `%`, `%x`: the kernel divides the SYN's
 * window by it, a divide error) and more than 40 options (nfnl_osf writes
 * them past the end of its fingerprint's option array).
 *
 * @example
 * const fingers = parseOsfFingerprints('S4:64:1:60:M*,S,T,N,W7:.:Linux:2.6:2.6.x\n', 'pf.os');
 * osfFind(osfLists(fingers), skb.data, skb.len, 0, OSF_TTL_TRUE) // 'Linux' for a matching SYN
 */

/** OSF_WSS_* of linux/netfilter/nfnetlink_osf.h: how a fingerprint's window is compared. */
export const enum OsfWss {
  Plain = 0,
  Mss = 1,
  Mtu = 2,
  Modulo = 3,
}

/** One fingerprint as the kernel holds it (struct nf_osf_user_finger, without the option values it never reads). */
export interface OsfFinger {
  readonly wssWc: OsfWss;
  /** u32. */
  readonly wssVal: number;
  /** u8. */
  readonly ttl: number;
  /** u8: the kernel's list is `!!df`. */
  readonly df: number;
  /** u16: the IP total length. */
  readonly ss: number;
  /** The option kinds in order (0 EOL, 1 NOP, 2 MSS, 3 WSO, 4 SACKP, 8 TS). */
  readonly opts: readonly number[];
  readonly genre: string;
  readonly version: string;
  readonly subtype: string;
  /** The line of the file it comes from, for messages (0 when unknown). */
  readonly line?: number;
}

/** A fingerprint file nfnl_osf would refuse (or that cofw cannot load as the kernel keeps it). */
export class OsfFileError extends Error {
  override readonly name = 'OsfFileError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

/** IANA_opts of nfnl_osf.c, indexed by the OSFOPT_* kind: each option's length. */
const OPT_LEN: Readonly<Record<number, number>> = { 0: 1, 1: 1, 2: 4, 3: 3, 4: 2, 8: 10 };
/** The option kinds a fingerprint may hold. */
export const OSF_OPTION_KINDS: readonly number[] = [0, 1, 2, 3, 4, 8];
/** Option letters nfnl_osf knows, and their kinds. */
const OPT_KIND: Readonly<Record<string, number>> = { N: 1, S: 4, T: 8, W: 3, M: 2, E: 0 };
/** MAX_IPOPTLEN: the size of the fingerprint's option array. */
const MAX_OPTS = 40;
/** MAXGENRELEN - 1: genre, version and subtype are cut to 31 bytes. */
const NAME_MAX = 31;
/** fgets(buf, 1024, ...) reads at most 1,023 bytes a line. */
const FGETS_MAX = 1023;
/** MAXOPTSTRLEN - 2: the options field is cut to 126 bytes before a comma is added. */
const OPTSTR_MAX = 126;

const U64 = (1n << 64n) - 1n;

/** C isspace in the C locale. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** strtoul(s + from, NULL, 10) as a 64-bit unsigned long, kept to `bits` bits as the assignment to the kernel's field does. */
export function cStrtoul(s: Uint8Array, from: number, bits: number): number {
  let i = from;
  while (i < s.length && isSpace(s[i]!)) i++;
  let neg = false;
  if (s[i] === 0x2b || s[i] === 0x2d) neg = s[i++] === 0x2d;
  let v = 0n;
  let over = false;
  while (i < s.length && s[i]! >= 0x30 && s[i]! <= 0x39) {
    v = v * 10n + BigInt(s[i]! - 0x30);
    if (v > U64) over = true;
    i++;
  }
  if (over) v = U64;
  else if (neg) v = -v & U64;
  return Number(v & ((1n << BigInt(bits)) - 1n));
}

const dec = new TextDecoder('utf-8');

/** snprintf(dst, 32, "%.*s", 31, s): the first 31 bytes. */
function name(b: Uint8Array): string {
  return dec.decode(b.subarray(0, NAME_MAX));
}

/**
 * xt_osf_strchr: the first `c` from `from`, or -1; the caller cuts the text
 * there and goes on after the whitespace that follows it.
 */
function nextField(b: Uint8Array, from: number, c: number): { end: number; next: number } | null {
  const at = b.indexOf(c, from);
  if (at < 0) return null;
  let t = at;
  while (t + 1 < b.length && isSpace(b[t + 1]!)) t++;
  return { end: at, next: t + 1 };
}

/**
 * xt_osf_parse_opt: the option kinds of the options field, and the field
 * as nfnl_osf stores it (kinds with their wildcard and value: part of the
 * record the kernel compares to tell a fingerprint already loaded).
 */
function parseOptions(field: Uint8Array, file: string, line: number): { kinds: number[]; key: string } {
  const len = Math.min(field.length, OPTSTR_MAX);
  const s = new Uint8Array(len + 1);
  s.set(field.subarray(0, len));
  s[len] = 0x2c;
  const kinds: number[] = [];
  let key = '';
  let i = 0;
  while (i < s.length) {
    const kind = OPT_KIND[String.fromCharCode(s[i]!)];
    const f = nextField(s, i, 0x2c)!; // the added comma is always there
    if (kind !== undefined) {
      kinds.push(kind);
      let wc = OsfWss.Plain;
      let val = 0;
      const tok = s.subarray(0, f.end);
      if (kind === 3) {
        const c = s[i + 1];
        wc = c === 0x25 ? OsfWss.Modulo : c === 0x53 ? OsfWss.Mss : c === 0x54 ? OsfWss.Mtu : OsfWss.Plain;
        val = cStrtoul(tok, wc ? i + 2 : i + 1, 32);
      } else if (kind === 2) {
        if (s[i + 1] === 0x25) wc = OsfWss.Modulo;
        val = cStrtoul(tok, wc ? i + 2 : i + 1, 32);
      }
      key += `${kind}/${wc}/${val},`;
    }
    i = f.next;
  }
  if (kinds.length > MAX_OPTS)
    throw new OsfFileError(
      file,
      line,
      `${kinds.length} options: nfnl_osf holds at most ${MAX_OPTS} in a fingerprint and writes the others past its end (the kernel compares at most 40 bytes of options anyway)`,
    );
  return { kinds, key };
}

/** osf_load_line: one line (its last byte already dropped). */
function parseLine(b: Uint8Array, file: string, line: number, unterminated: boolean): { finger: OsfFinger; key: string } {
  let colons = 0;
  for (const c of b) if (c === 0x3a) colons++;
  if (colons !== 8)
    throw new OsfFileError(
      file,
      line,
      `${colons} colon${colons === 1 ? '' : 's'}; nfnl_osf takes a line of 9 fields separated by 8 colons (window:ttl:df:size:options:genre:version:subtype:details) and refuses it (Invalid argument)` +
        (unterminated ? ' (the last line has no newline: nfnl_osf drops its last character)' : ''),
    );
  const fields: Uint8Array[] = [];
  let pos = 0;
  for (let k = 0; k < 8; k++) {
    const f = nextField(b, pos, 0x3a)!;
    fields.push(b.subarray(pos, f.end));
    pos = f.next;
  }
  const w = fields[0]!;
  let wssWc = OsfWss.Plain;
  let wssVal = 0;
  const c0 = w[0];
  if (c0 === 0x53 || c0 === 0x54) {
    // S: times the MSS, T: times the MTU; `%N` reads N, `*` is 0.
    wssWc = c0 === 0x53 ? OsfWss.Mss : OsfWss.Mtu;
    wssVal = w[1] === 0x25 ? cStrtoul(w, 2, 32) : w[1] === 0x2a ? 0 : cStrtoul(w, 1, 32);
  } else if (c0 === 0x25) {
    wssWc = OsfWss.Modulo;
    wssVal = cStrtoul(w, 1, 32);
    if (wssVal === 0)
      throw new OsfFileError(
        file,
        line,
        `window \`${dec.decode(w)}' is a modulo of 0: the kernel would divide the SYN's window by 0 (a divide error, the machine's oops); give %N with N > 0, or * for any window`,
      );
  } else if (c0 !== undefined && c0 >= 0x30 && c0 <= 0x39) wssVal = cStrtoul(w, 0, 32);
  const { kinds: opts, key } = parseOptions(fields[4]!, file, line);
  let g = fields[5]!;
  if (g[0] === 0x40 || g[0] === 0x2a) g = g.subarray(1);
  const finger: OsfFinger = {
    wssWc,
    wssVal,
    ttl: cStrtoul(fields[1]!, 0, 8),
    df: cStrtoul(fields[2]!, 0, 8),
    ss: cStrtoul(fields[3]!, 0, 16),
    opts,
    genre: name(g),
    version: name(fields[6]!),
    subtype: name(fields[7]!),
    line,
  };
  const f = finger;
  return { finger, key: `${f.wssWc}/${f.wssVal}/${f.ttl}/${f.df}/${f.ss}/${key}/${f.genre}\0${f.version}\0${f.subtype}` };
}

/**
 * Reads a pf.os-format fingerprint file as `nfnl_osf -f FILE` loads it,
 * in the kernel's order, without the fingerprints the kernel ignores as
 * already loaded. Throws OsfFileError naming the first line refused.
 */
export function parseOsfFingerprints(text: string | Uint8Array, file: string): OsfFinger[] {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  const out: OsfFinger[] = [];
  const seen = new Set<string>();
  let pos = 0;
  let lineNo = 1;
  while (pos < bytes.length) {
    // fgets: up to and with a newline, at most 1,023 bytes.
    const nl = bytes.indexOf(0x0a, pos);
    const end = Math.min(nl < 0 ? bytes.length : nl + 1, pos + FGETS_MAX);
    const chunk = bytes.subarray(pos, end);
    const line = lineNo;
    if (end > pos && bytes[end - 1] === 0x0a) lineNo++;
    pos = end;
    const c = chunk[0]!;
    if (c === 0x23 || c === 0x0a || c === 0x0d) continue;
    const nul = chunk.indexOf(0);
    const len = (nul < 0 ? chunk.length : nul) - 1;
    if (len <= 0) continue;
    const b = chunk.subarray(0, len);
    const { finger, key } = parseLine(b, file, line, chunk[chunk.length - 1] !== 0x0a && pos === bytes.length);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(finger);
  }
  return out;
}

const OPT_LETTER: Readonly<Record<number, string>> = { 0: 'E', 1: 'N', 2: 'M*', 3: 'W*', 4: 'S', 8: 'T' };

/**
 * A line nfnl_osf reads back as `f` (the machine file writer's form).
 * Option values are not kept (the kernel never reads them): two lines that
 * differ only there, two fingerprints to the kernel, come back as one.
 */
export function formatOsfFinger(f: OsfFinger): string {
  const w =
    f.wssWc === OsfWss.Mss
      ? `S${f.wssVal}`
      : f.wssWc === OsfWss.Mtu
        ? `T${f.wssVal}`
        : f.wssWc === OsfWss.Modulo
          ? `%${f.wssVal}`
          : f.wssVal
            ? `${f.wssVal}`
            : '*';
  const opts = f.opts.length ? f.opts.map((k) => OPT_LETTER[k] ?? '').join(',') : '.';
  // A genre that starts with @ or * keeps it behind one more, which nfnl_osf drops.
  const genre = f.genre.startsWith('@') || f.genre.startsWith('*') ? `@${f.genre}` : f.genre;
  return `${w}:${f.ttl}:${f.df}:${f.ss}:${opts}:${genre}:${f.version}:${f.subtype}:`;
}

/** The loaded fingerprints in the kernel's two lists, indexed by the DF bit. */
export interface OsfFingers {
  readonly lists: readonly [readonly OsfFinger[], readonly OsfFinger[]];
}

/** nf_osf_fingers as nfnl_osf leaves it. */
export function osfLists(fingers: readonly OsfFinger[]): OsfFingers {
  return { lists: [fingers.filter((f) => f.df === 0), fingers.filter((f) => f.df !== 0)] };
}

/** NF_OSF_TTL_*: --ttl 0 (and no --ttl) the same TTL, 1 at most the fingerprint's, 2 no check. */
export const OSF_TTL_TRUE = 0;
export const OSF_TTL_LESS = 1;
export const OSF_TTL_NOCHECK = 2;

/** nf_osf_hdr_ctx: what the kernel reads once from the SYN. */
export interface OsfCtx {
  totlen: number;
  df: number;
  window: number;
  ttl: number;
  /** Where the options start in `b`, -1 when skb_header_pointer could not read them (the kernel's NULL). */
  optStart: number;
  optSize: number;
  b: Uint8Array;
  /** skb->len: bytes past it are not the packet's. */
  len: number;
  /** The TCP header's offset. */
  th: number;
}

/**
 * nf_osf_hdr_ctx_init: null unless the packet's TCP header (read at the IP
 * header's length, whatever the fragment offset) is there with SYN set.
 */
export function osfCtx(b: Uint8Array, len: number, ip: number): OsfCtx | null {
  const ihl = (b[ip]! & 0x0f) * 4;
  const th = ip + ihl;
  if (th + 20 > len) return null;
  if (!(b[th + 13]! & 0x02)) return null;
  const doff = (b[th + 12]! >> 4) * 4;
  let optSize = 0;
  let optStart = -1;
  if (doff > 20) {
    optSize = doff - 20;
    if (th + 20 + optSize <= len) optStart = th + 20;
  }
  return {
    totlen: (b[ip + 2]! << 8) | b[ip + 3]!,
    df: b[ip + 6]! & 0x40 ? 1 : 0,
    window: (b[th + 14]! << 8) | b[th + 15]!,
    ttl: b[ip + 8]!,
    optStart,
    optSize,
    b,
    len,
    th,
  };
}

const SMART_MSS_1 = 1460;
const SMART_MSS_2 = 1448;

/**
 * nf_osf_match_one. `ttlCheck` is OSF_TTL_*; the TTL is that of the SYN.
 * The options are walked with the fingerprint's lengths from their start
 * for every fingerprint, as the recorded kernel does (older kernels left a
 * shared pointer past the options after a match, for the next one).
 */
export function osfMatchOne(f: OsfFinger, ttlCheck: number, ctx: OsfCtx): boolean {
  if (ctx.totlen !== f.ss) return false;
  if (ttlCheck === OSF_TTL_TRUE ? ctx.ttl !== f.ttl : ttlCheck !== OSF_TTL_NOCHECK && ctx.ttl > f.ttl) return false;
  let foptsize = 0;
  for (const k of f.opts) foptsize += OPT_LEN[k]!;
  if (foptsize > 40 || ctx.optSize !== foptsize) return false;
  let optp = ctx.optStart;
  // FMATCH_WRONG 0, FMATCH_OK 1, FMATCH_OPT_WRONG 2.
  let fmatch = 0;
  let mss = 0;
  for (const k of f.opts) {
    // The kernel dereferences a NULL ctx->optp here when the options were not there to read: taken as no match.
    if (ctx.optStart < 0) return false;
    // Within the options: the lengths add up to their size.
    if (ctx.b[optp] === k) {
      fmatch = 1;
      if (k === 2) mss = (ctx.b[optp + 2]! << 8) | ctx.b[optp + 3]!;
      optp += OPT_LEN[k]!;
    } else {
      fmatch = 2;
      break;
    }
  }
  if (fmatch !== 2) {
    fmatch = 0;
    const w = ctx.window;
    const v = f.wssVal;
    switch (f.wssWc) {
      case OsfWss.Plain:
        if (v === 0 || w === v) fmatch = 1;
        break;
      case OsfWss.Mss:
        if (w === Math.imul(v, mss) >>> 0 || w === Math.imul(v, SMART_MSS_1) >>> 0 || w === Math.imul(v, SMART_MSS_2) >>> 0) fmatch = 1;
        break;
      case OsfWss.Mtu:
        if (w === Math.imul(v, mss + 40) >>> 0 || w === Math.imul(v, SMART_MSS_1 + 40) >>> 0 || w === Math.imul(v, SMART_MSS_2 + 40) >>> 0) fmatch = 1;
        break;
      case OsfWss.Modulo:
        if (v !== 0 && w % v === 0) fmatch = 1;
        break;
    }
  }
  return fmatch === 1;
}

/** nf_osf_find: the genre of the first fingerprint the SYN matches, or null (for a caller that wants the genre, as nft's `osf name`). */
export function osfFind(fingers: OsfFingers, b: Uint8Array, len: number, ip: number, ttlCheck: number): string | null {
  const ctx = osfCtx(b, len, ip);
  if (!ctx) return null;
  for (const f of fingers.lists[ctx.df]!) if (osfMatchOne(f, ttlCheck, ctx)) return f.genre;
  return null;
}
