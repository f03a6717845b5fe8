/**
 * `-m dccp` (net/netfilter/xt_dccp.c, extensions/libxt_dccp.c), both
 * families: `--source-port`/`--sport` and `--destination-port`/`--dport`
 * (`p` or `a:b`, a range kept as written), `--dccp-types T,...` (packet
 * types by name: REQUEST RESPONSE DATA ACK DATAACK CLOSEREQ CLOSE RESET
 * SYNC SYNCACK INVALID, case-insensitive) and `--dccp-option N` (1-255: an
 * option of that type is in the header's options), each with `!`.
 *
 * The kernel requires `-p dccp` (33, without `!`). A later fragment does
 * not match; a first fragment shorter than the 12-byte generic header is
 * dropped (hotdrop). The tests run in the order ports, types, option, and
 * stop at the first that fails. `--dccp-option` walks the options after
 * the type's own header (12 bytes, 4 more with the X bit, then 0 to 12 by
 * type, as __dccp_hdr_len): a Data Offset shorter than those headers, or
 * options beyond the packet, drop it (hotdrop). Options 0 and 1 are one
 * byte; any other takes its length byte (0 read as 1). Where the kernel
 * reads a length byte just past the options it reads the packet's next
 * byte; cofw reads the same byte, or 0 past the packet's end.
 *
 * Ports are read as iptables 1.8.9 reads XTTYPE_PORTRC: numbers (kept to
 * 16 bits, as getaddrinfo does) or TCP/UDP/SCTP service names. Saved
 * `--sport`/`--dport` (a range `a:b` unless both ends are equal),
 * `--dccp-types` (names by type number; an empty list saves as
 * `--dccp-types ` with nothing after it), `--dccp-option`.
 *
 * @example
 * -p dccp -m dccp --dport 5004 --dccp-types REQUEST
 */
import { CheckError, defineMatch, OptionError, type OptionSpec, type OptionUse } from '../xt.js';
import { uintArg } from '../args.js';
import { getaddrinfoPort } from '../targets/tproxy.js';
import { checkUses } from './util.js';
import { u16 } from './ip6-ext.js';

export const IPPROTO_DCCP = 33;

/** libxt_dccp's dccp_pkt_types, by type number. */
export const DCCP_TYPES = ['REQUEST', 'RESPONSE', 'DATA', 'ACK', 'DATAACK', 'CLOSEREQ', 'CLOSE', 'RESET', 'SYNC', 'SYNCACK', 'INVALID'] as const;

export interface DccpConfig {
  readonly spts: readonly [number, number] | null;
  readonly dpts: readonly [number, number] | null;
  /** A bit per packet type (1 << type), or null without `--dccp-types`. */
  readonly types: number | null;
  /** The option type to find, or 0 without `--dccp-option`. */
  readonly option: number;
  readonly invSrc: boolean;
  readonly invDst: boolean;
  readonly invTypes: boolean;
  readonly invOption: boolean;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'source-port', aliases: ['sport'], args: 1, invert: true },
  { name: 'destination-port', aliases: ['dport'], args: 1, invert: true },
  { name: 'dccp-types', args: 1, invert: true },
  { name: 'dccp-option', args: 1, invert: true },
];

/**
 * An XTTYPE_PORTRC argument (xtopt_parse_mport): `p`, `a:b`, `:b` (from 0),
 * `a:` (to 65535), each port a number or a service name; more than two
 * components are refused. Kept as written (`5:4` stays 5:4).
 */
export function parsePortRangeRc(ext: string, use: OptionUse): [number, number] {
  const parts = (use.args[0] ?? '').split(':');
  if (parts.length > 2) throw new OptionError(`${ext}: Too many components for option "--${use.spec.name}" (max: 2)`, use);
  const vals = parts.map((p, i) => {
    if (p === '') return i === 0 ? 0 : 65535;
    const v = getaddrinfoPort(p);
    if (v === undefined) throw new OptionError(`Port "${p}" does not resolve to anything.`, use);
    return v;
  });
  return [vals[0]!, vals[1] ?? vals[0]!];
}

function parseTypes(text: string, use: OptionUse): number {
  let mask = 0;
  for (const item of text.split(',')) {
    if (item === '') continue;
    const i = DCCP_TYPES.findIndex((n) => n.toLowerCase() === item.toLowerCase());
    if (i < 0) throw new OptionError(`Unknown DCCP type \`${item}'; known: ${DCCP_TYPES.join(' ')}`, use);
    mask |= 1 << i;
  }
  return mask;
}

/** dccp_packet_hdr_len: the bytes after the generic header that a packet of this type carries before its options. */
function typeHdrLen(type: number): number {
  if (type === 2) return 0; // DATA
  if (type === 3 || type === 4 || type === 5 || type === 6 || type === 8 || type === 9) return 8; // the acknowledgement number
  if (type === 0) return 4; // REQUEST: service code
  return 12; // RESPONSE, RESET and the rest: acknowledgement and 4 more bytes
}

function rangeText(p: readonly [number, number]): string {
  return p[0] !== p[1] ? `${p[0]}:${p[1]}` : String(p[0]);
}

export const dccpMatch = defineMatch<DccpConfig>({
  name: 'dccp',
  options: OPTIONS,
  parse(uses) {
    checkUses('dccp', uses);
    let spts: [number, number] | null = null;
    let dpts: [number, number] | null = null;
    let types: number | null = null;
    let option = 0;
    let invSrc = false;
    let invDst = false;
    let invTypes = false;
    let invOption = false;
    for (const u of uses) {
      switch (u.spec.name) {
        case 'source-port':
          spts = parsePortRangeRc('dccp', u);
          invSrc = u.invert;
          break;
        case 'destination-port':
          dpts = parsePortRangeRc('dccp', u);
          invDst = u.invert;
          break;
        case 'dccp-types':
          types = parseTypes(u.args[0] ?? '', u);
          invTypes = u.invert;
          break;
        case 'dccp-option':
          option = uintArg('dccp', u, 1, 255);
          invOption = u.invert;
          break;
      }
    }
    return { spts, dpts, types, option, invSrc, invDst, invTypes, invOption };
  },
  /** xt_check_match: the match's .proto is IPPROTO_DCCP, without `!`. */
  check(_c, ctx) {
    if (ctx.head.proto !== IPPROTO_DCCP || ctx.head.invProto) {
      throw new CheckError('dccp match: only valid for protocol 33 (use -p dccp without !)');
    }
  },
  save(c) {
    const out: string[] = [];
    if (c.spts) out.push(`${c.invSrc ? '! ' : ''}--sport ${rangeText(c.spts)}`);
    if (c.dpts) out.push(`${c.invDst ? '! ' : ''}--dport ${rangeText(c.dpts)}`);
    if (c.types !== null) {
      const names: string[] = [];
      for (let i = 0; i < 16; i++) if (c.types & (1 << i)) names.push(DCCP_TYPES[i] ?? String(i));
      out.push(`${c.invTypes ? '! ' : ''}--dccp-types ${names.join(',')}`);
    }
    if (c.option) out.push(`${c.invOption ? '! ' : ''}--dccp-option ${c.option}`);
    return out.join(' ');
  },
  match(c, skb, par) {
    if (skb.fragoff !== 0) return false;
    const d = skb.data;
    const len = skb.len;
    const th = skb.thoff;
    // struct dccp_hdr: ports, data offset, CCVal/CsCov, checksum, Res|Type|X, sequence (12 bytes).
    if (th + 12 > len) {
      par.hotdrop = true;
      return false;
    }
    if (c.spts) {
      const sp = u16(d, th);
      if ((sp >= c.spts[0] && sp <= c.spts[1]) === c.invSrc) return false;
    }
    if (c.dpts) {
      const dp = u16(d, th + 2);
      if ((dp >= c.dpts[0] && dp <= c.dpts[1]) === c.invDst) return false;
    }
    const type = (d[th + 8]! >> 1) & 0x0f;
    if (c.types !== null && ((c.types & (1 << type)) !== 0) === c.invTypes) return false;
    if (c.option) {
      const found = findOption(c.option, d, len, th, type, par);
      if (par.hotdrop) return false;
      if (found === c.invOption) return false;
    }
    return true;
  },
});

/** dccp_find_option: is an option of type `option` in the header's options? Sets hotdrop on a bad Data Offset or options cut short. */
function findOption(option: number, d: Uint8Array, len: number, th: number, type: number, par: { hotdrop: boolean }): boolean {
  const hdrLen = 12 + (d[th + 8]! & 1 ? 4 : 0) + typeHdrLen(type);
  const doff = d[th + 4]! * 4;
  if (doff < hdrLen) {
    par.hotdrop = true;
    return false;
  }
  const optlen = doff - hdrLen;
  if (optlen === 0) return false;
  const op = th + hdrLen;
  if (op + optlen > len) {
    par.hotdrop = true;
    return false;
  }
  for (let i = 0; i < optlen;) {
    const t = d[op + i]!;
    if (t === option) return true;
    if (t < 2) i++;
    else i += (op + i + 1 < len ? d[op + i + 1]! : 0) || 1;
  }
  return false;
}
