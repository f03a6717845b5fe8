/**
 * The ftp conntrack helper (net/netfilter/nf_conntrack_ftp.c).
 *
 * Once the control connection has seen traffic both ways (ESTABLISHED), the
 * helper reads the TCP payload of each packet, but only of a packet that
 * starts right after a line end it has seen: it remembers, per direction,
 * the sequence numbers after the last two packets that ended in `\n`
 * (seq_aft_nl). In the original direction it looks for `PORT a,b,c,d,p,q`
 * and `EPRT |1|a.b.c.d|port|` (`|2|` with an IPv6 address on an IPv6
 * connection), in the reply direction for the `227 ` reply to PASV (the six
 * numbers wherever its first digit is) and the `229 ` reply to EPSV
 * (`(|||port|)`), case-insensitively. A command that names an address other
 * than its sender's is ignored (the module's `loose` is 0); one that starts
 * like a command but does not parse (`PORT\r\n`, seven numbers, port 0, an
 * IPv4 EPRT on IPv6) makes the helper drop the packet. A match expects a
 * TCP connection from the other end (any source port) to the address and
 * port named; a second expectation from the same control connection evicts
 * the first (max_expected 1); expectations live 300 seconds.
 *
 * The `ports` module parameter only chooses which connections the kernel
 * assigned the helper to automatically, which 6.18 no longer does.
 */
import { Family, InetAddr } from '../../packet/inet-addr.js';
import { NF_ACCEPT, type Skb } from '../types.js';
import { IPS_DST_NAT, IPS_SRC_NAT, IP_CT_ESTABLISHED, IP_CT_ESTABLISHED_REPLY, IP_CT_IS_REPLY, type Conn } from './conn.js';
import { Expectation, helperDrop, type Helper, type HelperHost } from './helpers.js';

/** enum nf_ct_ftp_type: which command or reply a match was. */
export const enum FtpType {
  /** PORT a,b,c,d,p,q */
  Port = 0,
  /** 227 reply to PASV */
  Pasv = 1,
  /** EPRT |1|a.b.c.d|port| */
  Eprt = 2,
  /** 229 reply to EPSV */
  Epsv = 3,
}

/**
 * nf_nat_ftp_hook: the NAT side of the helper (src/netfilter/nat/helper-ftp.ts
 * sets it), called instead of registering the expectation when the entry is
 * NATed. `matchoff` and `matchlen` locate the address and port text in the
 * TCP payload. Returns NF_ACCEPT or NF_DROP.
 */
export type FtpNatHook = (
  host: HelperHost,
  skb: Skb,
  conn: Conn,
  ctinfo: number,
  type: FtpType,
  protoff: number,
  matchoff: number,
  matchlen: number,
  exp: Expectation,
) => number;

/** The hook slot (null until the NAT helpers are loaded). */
export const ftpNatHook: { fn: FtpNatHook | null } = { fn: null };

/** struct nf_ct_ftp_master: up to two sequence numbers after a newline, per direction. */
interface FtpState {
  readonly seq: [number[], number[]];
}

/** The command being parsed (struct nf_conntrack_man): address, port, family. */
interface Cmd {
  addr: InetAddr;
  port: number;
  family: Family;
}

type GetNum = (d: Uint8Array, off: number, dlen: number, cmd: Cmd, term: number, numoff: { v: number }) => number;

const CR = 0x0d;
const NL = 0x0a;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * try_number: `size` numbers separated by `sep`, ended by `term` (any
 * non-number when 0); its length, or 0. The reference kernel checks no
 * range: each number is a u32 that wraps (measured: `PORT 192,0,2,10,300,1`
 * expects port 11265, `192,0,2,266` names 192.0.3.10).
 */
function tryNumber(d: Uint8Array, off: number, dlen: number, out: number[], size: number, sep: number, term: number): number {
  out.fill(0);
  let i = 0;
  for (let len = 0; len < dlen && i < size; len++) {
    const c = d[off + len]!;
    if (isDigit(c)) out[i] = (Math.imul(out[i]!, 10) + c - 0x30) >>> 0;
    else if (c === sep) i++;
    else return (c === term || term === 0) && i === size - 1 ? len : 0;
  }
  return 0;
}

const nums = [0, 0, 0, 0, 0, 0];

/** try_rfc959: `a,b,c,d,p,q` (the address into the first word, as the kernel writes u3.ip). */
const tryRfc959: GetNum = (d, off, dlen, cmd, term) => {
  const length = tryNumber(d, off, dlen, nums, 6, 0x2c, term);
  if (length === 0) return 0;
  cmd.addr.w0 = ((nums[0]! << 24) | (nums[1]! << 16) | (nums[2]! << 8) | nums[3]!) >>> 0;
  cmd.port = ((nums[4]! << 8) | nums[5]!) & 0xffff;
  return length;
};

/** try_rfc1123: the 227 reply's numbers start at its first digit, wherever that is. */
const tryRfc1123: GetNum = (d, off, dlen, cmd, _term, numoff) => {
  let i = 0;
  while (i < dlen && !isDigit(d[off + i]!)) i++;
  if (i === dlen) return 0;
  numoff.v += i;
  return tryRfc959(d, off + i, dlen - i, cmd, 0, numoff);
};

/** get_port: a port up to `delim`, a u16 that wraps (measured: 70000 is 4464, 65536 is 0 and refused); the offset after the delimiter, or 0. */
function getPort(d: Uint8Array, off: number, start: number, dlen: number, delim: number, cmd: Cmd): number {
  let port = 0;
  for (let i = start; i < dlen; i++) {
    const c = d[off + i]!;
    if (c === delim) {
      if (port === 0) break;
      cmd.port = port;
      return i + 1;
    }
    if (!isDigit(c)) break;
    port = (port * 10 + c - 0x30) & 0xffff;
  }
  return 0;
}

function badDelim(c: number): boolean {
  return isDigit(c) || c < 33 || c > 126;
}

/** try_eprt: `|1|a.b.c.d|port|` or `|2|ipv6|port|` (the family must be the connection's). */
const tryEprt: GetNum = (d, off, dlen, cmd) => {
  if (dlen <= 3) return 0;
  const delim = d[off]!;
  if (badDelim(delim) || d[off + 2] !== delim) return 0;
  const proto = d[off + 1]!;
  if ((cmd.family === Family.V4 && proto !== 0x31) || (cmd.family === Family.V6 && proto !== 0x32)) return 0;
  let length = 0;
  if (proto === 0x31) {
    length = tryNumber(d, off + 3, dlen - 3, nums, 4, 0x2e, delim);
    if (length !== 0) cmd.addr.w0 = ((nums[0]! << 24) | (nums[1]! << 16) | (nums[2]! << 8) | nums[3]!) >>> 0;
  } else {
    // in6_pton up to the delimiter.
    let end = 3;
    while (end < dlen && d[off + end] !== delim) end++;
    if (end === dlen) return 0;
    let text = '';
    for (let i = off + 3; i < off + end; i++) text += String.fromCharCode(d[i]!);
    const a = parseIn6(text);
    if (a === undefined) return 0;
    cmd.addr.copyFrom(a);
    length = end - 3;
  }
  if (length === 0) return 0;
  return getPort(d, off, 3 + length + 1, dlen, delim, cmd);
};

/** in6_pton's grammar: hex groups of at most four digits, one `::`, an optional dotted IPv4 tail. */
function parseIn6(text: string): InetAddr | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const words: number[] = [];
  const group = (part: string, last: boolean): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const gs = part.split(':');
    for (let i = 0; i < gs.length; i++) {
      const g = gs[i]!;
      if (last && i === gs.length - 1 && g.includes('.')) {
        const q = g.split('.');
        if (q.length !== 4 || q.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) return undefined;
        out.push((Number(q[0]) << 8) | Number(q[1]), (Number(q[2]) << 8) | Number(q[3]));
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const head = group(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? group(halves[1]!, true) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1) {
    if (head.length !== 8) return undefined;
    words.push(...head);
  } else {
    if (head.length + tail.length > 7) return undefined;
    words.push(...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail);
  }
  const w = (i: number): number => ((words[i]! << 16) | words[i + 1]!) >>> 0;
  return InetAddr.v6(w(0), w(2), w(4), w(6));
}

/** try_epsv_response: `|||port|`. */
const tryEpsv: GetNum = (d, off, dlen, cmd) => {
  if (dlen <= 3) return 0;
  const delim = d[off]!;
  if (badDelim(delim) || d[off + 1] !== delim || d[off + 2] !== delim) return 0;
  return getPort(d, off, 3, dlen, delim, cmd);
};

interface Search {
  pattern: Uint8Array;
  text: string;
  skip: number;
  term: number;
  getnum: GetNum;
  type: FtpType;
}

const enc = new TextEncoder();
const SEARCH: readonly [readonly Search[], readonly Search[]] = [
  [
    { pattern: enc.encode('PORT'), text: 'PORT', skip: 0x20, term: CR, getnum: tryRfc959, type: FtpType.Port },
    { pattern: enc.encode('EPRT'), text: 'EPRT', skip: 0x20, term: CR, getnum: tryEprt, type: FtpType.Eprt },
  ],
  [
    { pattern: enc.encode('227 '), text: '227 ', skip: 0, term: 0, getnum: tryRfc1123, type: FtpType.Pasv },
    { pattern: enc.encode('229 '), text: '229 ', skip: 0x28, term: 0x29, getnum: tryEpsv, type: FtpType.Epsv },
  ],
];

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

/** strncasecmp(data, pattern, n) === 0. */
function prefixIs(d: Uint8Array, off: number, p: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (lower(d[off + i]!) !== lower(p[i]!)) return false;
  return true;
}

/** Where find_pattern found the numbers (numoff, numlen), from the payload's start. */
const match = { off: 0, len: 0 };

/** find_pattern: 1 match (`match` says where), 0 no match, -1 partial (or unparsable). */
function findPattern(d: Uint8Array, off: number, dlen: number, s: Search, cmd: Cmd): number {
  const plen = s.pattern.length;
  if (dlen <= plen) return prefixIs(d, off, s.pattern, dlen) ? -1 : 0;
  if (!prefixIs(d, off, s.pattern, plen)) return 0;
  let i = plen;
  if (s.skip) {
    for (; d[off + i] !== s.skip; i++) if (i === dlen - 1) return -1;
    i++;
  }
  const numoff = { v: i };
  const numlen = s.getnum(d, off + i, dlen - i, cmd, s.term, numoff);
  if (!numlen) return -1;
  match.off = numoff.v;
  match.len = numlen;
  return 1;
}

/** before(a, b) on 32-bit sequence numbers. */
function before(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** update_nl_seq: remember `nlSeq`, replacing the older of two when it is newer. */
function updateNlSeq(seqs: number[], nlSeq: number): void {
  if (seqs.includes(nlSeq)) return;
  if (seqs.length < 2) {
    seqs.push(nlSeq);
    return;
  }
  const oldest = before(seqs[0]!, seqs[1]!) ? 0 : 1;
  if (before(seqs[oldest]!, nlSeq)) seqs[oldest] = nlSeq;
}

const cmd: Cmd = { addr: new InetAddr(), port: 0, family: Family.V4 };

export const ftpHelper: Helper = {
  name: 'ftp',
  proto: 6,
  policy: { maxExpected: 1, timeout: 5 * 60 },
  init: (): FtpState => ({ seq: [[], []] }),

  help(host: HelperHost, skb: Skb, thoff: number, conn: Conn, ctinfo: number): number {
    if (ctinfo !== IP_CT_ESTABLISHED && ctinfo !== IP_CT_ESTABLISHED_REPLY) return NF_ACCEPT;
    const d = skb.data;
    const len = skb.len;
    if (thoff + 20 > len) return NF_ACCEPT;
    const dataoff = thoff + (d[thoff + 12]! >> 4) * 4;
    if (dataoff >= len) return NF_ACCEPT;
    const datalen = len - dataoff;
    const dir = ctinfo >= IP_CT_IS_REPLY ? 1 : 0;
    const info = conn.helpData as FtpState;
    const seqs = info.seq[dir]!;
    const endsInNl = d[len - 1] === NL;
    const thSeq = ((d[thoff + 4]! << 24) | (d[thoff + 5]! << 16) | (d[thoff + 6]! << 8) | d[thoff + 7]!) >>> 0;
    const nextSeq = (thSeq + datalen) >>> 0;
    if (!seqs.includes(thSeq)) {
      if (endsInNl) updateNlSeq(seqs, nextSeq);
      return NF_ACCEPT;
    }
    // The address the command should name: its sender's (EPSV's reply names none).
    const sender = conn.tuple(dir).src;
    cmd.family = conn.family;
    cmd.addr.copyFrom(sender);
    cmd.port = 0;
    let found = 0;
    let which: Search | undefined;
    for (const s of SEARCH[dir]) {
      which = s;
      found = findPattern(d, dataoff, datalen, s, cmd);
      if (found) break;
    }
    if (found === -1) return helperDrop(conn.helper ?? ftpHelper, `partial matching of \`${which!.text}'`);
    let verdict = NF_ACCEPT;
    // The expectation is for the other direction: from the other end to the address the command
    // names; a command naming another address is not recorded, unless the module's `loose` is 1
    // (then that address is expected).
    const elsewhere = found === 1 && !cmd.addr.equals(sender);
    if (found === 1 && (!elsewhere || host.params.ftpLoose)) {
      const other = conn.tuple(1 - dir);
      const exp = new Expectation(conn, 0, 6, other.src.clone(), elsewhere ? cmd.addr.clone() : other.dst.clone(), -1, cmd.port);
      // NAT might want to mangle the packet, and register the (possibly changed) expectation itself.
      const nat = ftpNatHook.fn;
      if (nat !== null && conn.status & (IPS_SRC_NAT | IPS_DST_NAT)) verdict = nat(host, skb, conn, ctinfo, which!.type, thoff, match.off, match.len, exp);
      else if (host.expectRelated(exp) !== 0) verdict = helperDrop(conn.helper ?? ftpHelper, 'cannot add expectation');
    }
    if (endsInNl) updateNlSeq(seqs, nextSeq);
    return verdict;
  },
};
