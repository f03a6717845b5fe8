/**
 * `-m sctp` (net/netfilter/xt_sctp.c, extensions/libxt_sctp.c), both
 * families: source and destination port ranges (each with `!`) and
 * `--chunk-types all|any|only CHUNK[:FLAGS],...` (with `!`).
 *
 * iptables-nft 1.8.9 keeps this match as an xt match (no native nf_tables
 * translation), so the kernel's xt_sctp decides: a later fragment never
 * matches, a first fragment shorter than the 12-byte common header is
 * dropped (hotdrop), and so is a packet whose chunk walk meets a chunk
 * header cut short or a chunk of length 0 (only when `--chunk-types` is
 * given, since the walk runs only then).
 *
 * Chunk names are libxt_sctp's table (case-insensitive on input); flags
 * are the letters of the chunk's `valid_flags` (`DATA:IUBE`, `ABORT:T`,
 * `SHUTDOWN_COMPLETE:T`, `I_DATA`), upper case for "set", lower case for
 * "clear". Two libxt_sctp quirks are kept, since they decide both the saved
 * text and the kernel's verdict: a chunk's flags are filed under the
 * chunk's position in the name table, not its type (the same for DATA,
 * ABORT and SHUTDOWN_COMPLETE; I_DATA's flags land on type 15 and are
 * neither printed nor applied to I_DATA), and at most four chunks may carry
 * flags (XT_NUM_SCTP_FLAGS).
 *
 * @example
 * -p sctp -m sctp --dport 36412 --chunk-types any INIT,INIT_ACK
 */
import { CheckError, OptionError, defineMatch, type OptionSpec, type OptionUse } from '../xt.js';
import type { Skb, XtParams } from '../types.js';
import { SVC_SCTP, checkUses, parsePortRange } from './util.js';

export const IPPROTO_SCTP = 132;

/** libxt_sctp's sctp_chunk_names, in its order: [name, chunk type, valid flags]. */
export const SCTP_CHUNKS: ReadonlyArray<readonly [string, number, string]> = [
  ['DATA', 0, '----IUBE'],
  ['INIT', 1, '--------'],
  ['INIT_ACK', 2, '--------'],
  ['SACK', 3, '--------'],
  ['HEARTBEAT', 4, '--------'],
  ['HEARTBEAT_ACK', 5, '--------'],
  ['ABORT', 6, '-------T'],
  ['SHUTDOWN', 7, '--------'],
  ['SHUTDOWN_ACK', 8, '--------'],
  ['ERROR', 9, '--------'],
  ['COOKIE_ECHO', 10, '--------'],
  ['COOKIE_ACK', 11, '--------'],
  ['ECN_ECNE', 12, '--------'],
  ['ECN_CWR', 13, '--------'],
  ['SHUTDOWN_COMPLETE', 14, '-------T'],
  ['I_DATA', 64, '----IUBE'],
  ['RE_CONFIG', 130, '--------'],
  ['PAD', 132, '--------'],
  ['ASCONF', 193, '--------'],
  ['ASCONF_ACK', 128, '--------'],
  ['FORWARD_TSN', 192, '--------'],
  ['I_FORWARD_TSN', 194, '--------'],
];

/** XT_NUM_SCTP_FLAGS. */
const MAX_FLAG_ENTRIES = 4;

export const enum ChunkMatch {
  Any = 1,
  All = 2,
  Only = 4,
}

/** struct xt_sctp_flag_info. */
export interface SctpFlagInfo {
  /** The chunk type the kernel compares with (libxt_sctp files the name table's index here). */
  readonly chunktype: number;
  readonly flag: number;
  readonly mask: number;
}

export interface SctpConfig {
  readonly spts: readonly [number, number];
  readonly dpts: readonly [number, number];
  readonly haveSrc: boolean;
  readonly haveDst: boolean;
  readonly invSrc: boolean;
  readonly invDst: boolean;
  readonly haveChunks: boolean;
  readonly invChunks: boolean;
  readonly chunkMatch: ChunkMatch;
  /** The chunk type bitmap (256 bits). */
  readonly chunkmap: Uint8Array;
  readonly flags: readonly SctpFlagInfo[];
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'source-port', aliases: ['sport'], args: 1, invert: true, repeat: true },
  { name: 'destination-port', aliases: ['dport'], args: 1, invert: true, repeat: true },
  { name: 'chunk-types', args: 2, invert: true, repeat: true },
];

function parseChunkList(text: string, use: OptionUse): { map: Uint8Array; flags: SctpFlagInfo[] } {
  const map = new Uint8Array(32);
  const flags: Array<{ chunktype: number; flag: number; mask: number }> = [];
  const lower = text.toLowerCase();
  if (lower === 'all') return { map: map.fill(0xff), flags };
  if (lower === 'none') return { map, flags };
  // strtok: empty items vanish.
  for (const item of text.split(',').filter((s) => s.length > 0)) {
    const colon = item.indexOf(':');
    const name = colon >= 0 ? item.slice(0, colon) : item;
    const i = SCTP_CHUNKS.findIndex(([n]) => n.toLowerCase() === name.toLowerCase());
    if (i < 0) throw new OptionError(`Unknown sctp chunk \`${name}'; known: ${SCTP_CHUNKS.map(([n]) => n).join(' ')} ALL NONE`, use);
    const [, type, valid] = SCTP_CHUNKS[i]!;
    map[type >> 3]! |= 1 << (type & 7);
    if (colon < 0) continue;
    for (const ch of item.slice(colon + 1)) {
      const p = valid.indexOf(ch.toUpperCase());
      if (p < 0) throw new OptionError(`Invalid flags for chunk type ${i} (${name} takes ${valid.replace(/-/g, '') || 'no flags'})`, use);
      const bit = 7 - p;
      const set = ch !== ch.toLowerCase() && ch === ch.toUpperCase();
      let e = flags.find((f) => f.chunktype === i);
      if (!e) {
        if (flags.length === MAX_FLAG_ENTRIES) {
          throw new OptionError(`Number of chunk types with flags exceeds currently allowed limit (${MAX_FLAG_ENTRIES})`, use);
        }
        e = { chunktype: i, flag: 0, mask: 0 };
        flags.push(e);
      }
      e.mask |= 1 << bit;
      if (set) e.flag |= 1 << bit;
    }
  }
  return { map, flags };
}

function chunkSet(map: Uint8Array, type: number): boolean {
  return (map[type >> 3]! & (1 << (type & 7))) !== 0;
}

export const sctpMatch = defineMatch<SctpConfig>({
  name: 'sctp',
  options: OPTIONS,
  parse(uses) {
    checkUses('sctp', uses);
    let spts: [number, number] = [0, 65535];
    let dpts: [number, number] = [0, 65535];
    let invSrc = false;
    let invDst = false;
    let haveSrc = false;
    let haveDst = false;
    let haveChunks = false;
    let invChunks = false;
    let chunkMatch = ChunkMatch.Any;
    let chunkmap: Uint8Array = new Uint8Array(32);
    let flags: SctpFlagInfo[] = [];
    for (const u of uses) {
      switch (u.spec.name) {
        case 'source-port':
          if (haveSrc) throw new OptionError("Only one `--source-port' allowed", u);
          haveSrc = true;
          spts = parsePortRange(u.args[0]!, SVC_SCTP, u);
          invSrc = u.invert;
          break;
        case 'destination-port':
          if (haveDst) throw new OptionError("Only one `--destination-port' allowed", u);
          haveDst = true;
          dpts = parsePortRange(u.args[0]!, SVC_SCTP, u);
          invDst = u.invert;
          break;
        case 'chunk-types': {
          if (haveChunks) throw new OptionError("Only one `--chunk-types' allowed", u);
          if (u.args.length < 2) throw new OptionError('--chunk-types requires two args', u);
          haveChunks = true;
          const t = u.args[0]!.toLowerCase();
          if (t === 'any') chunkMatch = ChunkMatch.Any;
          else if (t === 'all') chunkMatch = ChunkMatch.All;
          else if (t === 'only') chunkMatch = ChunkMatch.Only;
          else throw new OptionError('Match type has to be one of "ALL", "ANY" or "ONLY"', u);
          const l = parseChunkList(u.args[1]!, u);
          chunkmap = l.map;
          flags = l.flags;
          invChunks = u.invert;
          break;
        }
      }
    }
    return { spts, dpts, haveSrc, haveDst, invSrc, invDst, haveChunks, invChunks, chunkMatch, chunkmap, flags };
  },
  /** xt_check_match: the match's .proto is IPPROTO_SCTP, without `!`. */
  check(_c, ctx) {
    if (ctx.head.proto !== IPPROTO_SCTP || ctx.head.invProto) {
      throw new CheckError('sctp match: only valid for protocol 132 (use -p sctp without !)');
    }
  },
  save(c) {
    const out: string[] = [];
    const ports = (name: string, p: readonly [number, number], inv: boolean): void => {
      out.push(`${inv ? '! ' : ''}--${name} ${p[0] !== p[1] ? `${p[0]}:${p[1]}` : p[0]}`);
    };
    if (c.haveSrc) ports('sport', c.spts, c.invSrc);
    if (c.haveDst) ports('dport', c.dpts, c.invDst);
    if (c.haveChunks) out.push(`${c.invChunks ? '! ' : ''}--chunk-types ${chunkMatchName(c.chunkMatch)} ${chunkListText(c)}`);
    return out.join(' ');
  },
  match(c, skb, par) {
    if (skb.fragoff !== 0) return false;
    const d = skb.data;
    const th = skb.thoff;
    if (th + 12 > skb.len) {
      par.hotdrop = true;
      return false;
    }
    if (c.haveSrc) {
      const sp = (d[th]! << 8) | d[th + 1]!;
      if ((sp >= c.spts[0] && sp <= c.spts[1]) === c.invSrc) return false;
    }
    if (c.haveDst) {
      const dp = (d[th + 2]! << 8) | d[th + 3]!;
      if ((dp >= c.dpts[0] && dp <= c.dpts[1]) === c.invDst) return false;
    }
    if (c.haveChunks) {
      const m = matchChunks(c, skb, th + 12, par);
      if (par.hotdrop) return false;
      if (m === c.invChunks) return false;
    }
    return true;
  },
});

function chunkMatchName(m: ChunkMatch): string {
  return m === ChunkMatch.All ? 'all' : m === ChunkMatch.Only ? 'only' : 'any';
}

/** print_chunks: NONE, ALL, or the chunks by type with their flags. */
function chunkListText(c: SctpConfig): string {
  if (c.chunkmap.every((b) => b === 0)) return 'NONE';
  if (c.chunkmap.every((b) => b === 0xff)) return 'ALL';
  const items: string[] = [];
  for (let t = 0; t < 256; t++) {
    if (!chunkSet(c.chunkmap, t)) continue;
    // print_chunk prints the name of each table row of that type (nothing for a type without one).
    let s = SCTP_CHUNKS.filter(([, type]) => type === t)
      .map(([n]) => n)
      .join('');
    for (const f of c.flags) {
      if (f.chunktype !== t) continue;
      // print_chunk_flags reads the table at the chunk type's position.
      const valid = SCTP_CHUNKS[t]?.[2] ?? '--------';
      s += ':';
      for (let b = 7; b >= 0; b--) {
        if (!(f.mask & (1 << b))) continue;
        const ch = valid[7 - b]!;
        s += f.flag & (1 << b) ? ch : ch.toLowerCase();
      }
    }
    items.push(s);
  }
  return items.join(',');
}

/** match_flags: the first flag entry for the chunk's type decides. */
function flagsMatch(c: SctpConfig, type: number, chunkFlags: number): boolean {
  for (const f of c.flags) if (f.chunktype === type) return (chunkFlags & f.mask) === f.flag;
  return true;
}

/** match_packet: walks the chunks from `off`; sets `par.hotdrop` on a chunk header cut short or of length 0. */
function matchChunks(c: SctpConfig, skb: Skb, off: number, par: XtParams): boolean {
  const d = skb.data;
  const len = skb.len;
  const map = c.chunkmap;
  const pending: Uint8Array | null = c.chunkMatch === ChunkMatch.All ? map.slice() : null;
  do {
    if (off + 4 > len) {
      par.hotdrop = true;
      return false;
    }
    const type = d[off]!;
    const flags = d[off + 1]!;
    const clen = (d[off + 2]! << 8) | d[off + 3]!;
    if (clen === 0) {
      par.hotdrop = true;
      return false;
    }
    off += (clen + 3) & ~3;
    if (chunkSet(map, type)) {
      switch (c.chunkMatch) {
        case ChunkMatch.Any:
          if (flagsMatch(c, type, flags)) return true;
          break;
        case ChunkMatch.All:
          if (flagsMatch(c, type, flags)) pending![type >> 3]! &= ~(1 << (type & 7));
          break;
        case ChunkMatch.Only:
          if (!flagsMatch(c, type, flags)) return false;
          break;
      }
    } else if (c.chunkMatch === ChunkMatch.Only) {
      return false;
    }
  } while (off < len);
  if (c.chunkMatch === ChunkMatch.All) return pending!.every((b) => b === 0);
  return c.chunkMatch === ChunkMatch.Only;
}
