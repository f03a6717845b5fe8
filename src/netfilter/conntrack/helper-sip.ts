/**
 * The sip conntrack helper (net/netfilter/nf_conntrack_sip.c), UDP and TCP,
 * both families, with the module's parameters (module-params.ts; by
 * default sip_timeout 3600, sip_direct_media 1, sip_direct_signalling 1,
 * sip_external_media 0: what is described below).
 *
 * Every packet with a payload sets the entry to expire sip_timeout seconds
 * later (a TCP one too, whatever its TCP state). A UDP datagram is one SIP
 * message; a TCP segment (of an ESTABLISHED connection) holds as many whole
 * messages as it has, each ending `Content-Length` bytes after its blank
 * line; a segment without one, or whose last message runs past its end, is
 * read no further (and a message split across segments is never read).
 *
 * The parser reads the message as the kernel does: headers by name or
 * compact form (`f`, `t`, `m`, `v`, `l`, `i`) at a line start, continuation
 * lines, comma-separated values, the address of a `sip:` URI (after any
 * user part, an IPv6 one in brackets) and its port (1024 to 65535, or 5060
 * when absent). Requests (method, a space and a letter): INVITE flushes
 * the entry's media expectations and reads the SDP body, UPDATE, ACK and
 * PRACK read it, BYE flushes the media expectations, REGISTER expects the
 * registrar's calls to the Contact address (see below); any other method
 * (CANCEL, OPTIONS, ...) is let through unread. Responses are dispatched
 * by the method after the CSeq number: to INVITE, UPDATE and PRACK a 1xx or
 * 2xx reads the SDP body, any other code flushes the media expectations when
 * its CSeq is the last INVITE's; to REGISTER (its CSeq the last REGISTER's)
 * a 2xx activates the signalling expectation of a Contact that names the
 * client (for its `expires`), anything but 1xx removes it.
 *
 * SDP: the session's `c=` address (before the first `m=`), then up to three
 * `m=audio`, `m=video` or `m=image` lines with a port (port 0: inactive),
 * each with its own `c=` or the session's. A media address that is the
 * sender's own (sip_direct_media) expects RTP and RTCP (the even port and
 * the next) from the other end of the signalling, as a pair of expectations
 * of the class of its media: audio and video four each per entry, image
 * two, 180 seconds. An identical expectation of another SIP entry is not
 * made again. REGISTER: a Contact naming the sender, with a transport of
 * the entry's protocol and `expires` (the Expires header, or the Contact's
 * parameter) above 0, expects the registrar to open a connection of that
 * protocol from any port to the Contact's address and port: a permanent
 * expectation (each matching connection gets the sip helper), inactive
 * until the registrar's 2xx, one per entry, 180 seconds (then the 2xx's
 * expires). An entry that was itself expected does not register.
 *
 * Malformed messages are dropped with the kernel's log text: a response
 * without a code, a handled message without a CSeq number, an SDP media
 * port out of range, media without an address, an expectation that
 * cannot be added, an `expires=` without a number.
 *
 * On a NATed entry each message is handed to nf_nat_sip's hooks after it
 * was read (sipNatHooks, set by src/netfilter/nat/helper-sip.ts): the
 * expectations go through them to be registered at translated addresses,
 * and the message's addresses are rewritten; over TCP the segment's length
 * change is given to the sequence adjustment at its end.
 */
import { Family, InetAddr } from '../../packet/inet-addr.js';
import { NF_ACCEPT, NF_DROP, type Skb } from '../types.js';
import { IP_CT_ESTABLISHED, IP_CT_ESTABLISHED_REPLY, IP_CT_IS_REPLY, IPS_DST_NAT, IPS_EXPECTED, IPS_SRC_NAT, type Conn } from './conn.js';
import {
  Expectation,
  helperDrop,
  helperLog,
  NF_CT_EXP_F_SKIP_MASTER,
  NF_CT_EXPECT_INACTIVE,
  NF_CT_EXPECT_PERMANENT,
  type ExpectPolicy,
  type Helper,
  type HelperHost,
} from './helpers.js';
import { in4Pton, in6Pton, ptonEnd } from './inet-pton.js';

/** The standard SIP port. */
const SIP_PORT = 5060;

/** enum sip_expectation_classes. */
export const SIP_EXPECT_SIGNALLING = 0;
export const SIP_EXPECT_AUDIO = 1;
export const SIP_EXPECT_VIDEO = 2;
export const SIP_EXPECT_IMAGE = 3;

/** sip_exp_policy, by class. */
const POLICIES: readonly ExpectPolicy[] = [
  { maxExpected: 1, timeout: 3 * 60 },
  { maxExpected: 4, timeout: 3 * 60 },
  { maxExpected: 4, timeout: 3 * 60 },
  { maxExpected: 2, timeout: 3 * 60 },
];

/** struct nf_ct_sip_master. */
export interface SipState {
  registerCseq: number;
  inviteCseq: number;
  /** forced_dport: the port of a request's Via that names its sender at another port (0: none), for nf_nat_sip. */
  forcedDport: number;
}

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const TAB = 0x09;

// The kernel's ctype (lib/ctype.c): Latin-1 letters are letters too.
function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0xc0 && c !== 0xd7 && c !== 0xf7);
}
function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

const enc = new TextEncoder();

/**
 * One SIP message being read: the packet's bytes, where the message starts
 * and where it ends, and the entry's family and protocol. Offsets are into
 * `d` (the kernel's pointers).
 */
export interface Msg {
  /** The packet's bytes (a NAT rewrite that grows the packet replaces them). */
  d: Uint8Array;
  base: number;
  /** The message's end (moved by a NAT rewrite that changes its length). */
  limit: number;
  family: Family;
}

/** Results of the last look-up: matchoff (an offset into `d`), matchlen, and the skipped user part (shift). */
export const m = { off: 0, len: 0 };
let shift = 0;

/** strncasecmp(d + p, s, s.length) === 0, reading no further than `end`. */
function caseIs(d: Uint8Array, p: number, end: number, s: Uint8Array): boolean {
  if (p + s.length > end) return false;
  for (let i = 0; i < s.length; i++) if (lower(d[p + i]!) !== lower(s[i]!)) return false;
  return true;
}
/** strncmp(d + p, s, s.length) === 0. */
function bytesAre(d: Uint8Array, p: number, end: number, s: Uint8Array): boolean {
  if (p + s.length > end) return false;
  for (let i = 0; i < s.length; i++) if (d[p + i] !== s[i]) return false;
  return true;
}

type LenFn = (msg: Msg, p: number, limit: number) => number;

const stringLen: LenFn = (msg, p, limit) => {
  let n = 0;
  while (p + n < limit && isAlpha(msg.d[p + n]!)) n++;
  return n;
};

const digitsLen: LenFn = (msg, p, limit) => {
  let n = 0;
  while (p + n < limit && isDigit(msg.d[p + n]!)) n++;
  return n;
};

function isWordChar(c: number): boolean {
  return (
    isDigit(c) ||
    isAlpha(c) ||
    c === 0x21 || // !
    c === 0x22 || // "
    c === 0x25 || // %
    (c >= 0x28 && c <= 0x2b) || // ( ) * +
    c === 0x3a || // :
    c === 0x3c || // <
    c === 0x3e || // >
    c === 0x3f || // ?
    (c >= 0x5b && c <= 0x5d) || // [ \ ]
    c === 0x5f || // _
    c === 0x60 || // `
    c === 0x7b || // {
    c === 0x7d || // }
    c === 0x7e || // ~
    (c >= 0x2d && c <= 0x2f) || // - . /
    c === 0x27 // '
  );
}

function wordLen(msg: Msg, p: number, limit: number): number {
  let n = 0;
  while (p + n < limit && isWordChar(msg.d[p + n]!)) n++;
  return n;
}

const callidLen: LenFn = (msg, p, limit) => {
  let len = wordLen(msg, p, limit);
  p += len;
  if (!len || p === limit || msg.d[p] !== 0x40) return len;
  p++;
  len++;
  const domain = wordLen(msg, p, limit);
  return domain ? len + domain : 0;
};

/** media_len: the media type, a space and the port's digits. */
const mediaLen: LenFn = (msg, p, limit) => {
  let len = stringLen(msg, p, limit);
  p += len;
  if (p >= limit || msg.d[p] !== SP) return 0;
  len++;
  p++;
  return len + digitsLen(msg, p, limit);
};

const scratch = new InetAddr();

/** sip_parse_addr: the address at `p` (IPv6 in brackets when `delim`) into `out`; the offset after it, or -1. */
export function sipParseAddr(msg: Msg, p: number, limit: number, out: InetAddr, delim: boolean): number {
  if (msg.family === Family.V4) return in4Pton(msg.d, p, limit, out) ? ptonEnd.v : -1;
  if (p < limit && msg.d[p] === 0x5b) p++;
  else if (delim) return -1;
  if (!in6Pton(msg.d, p, limit, out)) return -1;
  let end = ptonEnd.v;
  if (end < limit && msg.d[end] === 0x5d) end++;
  else if (delim) return -1;
  return end;
}

/** sip_parse_port's results. */
const port = { value: 0, end: 0 };

/** sip_parse_port: `:` and 1024 to 65535 (at most five digits, not at the very end), or no port (5060). */
function sipParsePort(msg: Msg, p: number, limit: number): boolean {
  const d = msg.d;
  if (p >= limit) return false;
  if (d[p] !== 0x3a) {
    port.value = SIP_PORT;
    port.end = p;
    return true;
  }
  p++;
  let v = 0;
  let len = 0;
  while (p < limit && isDigit(d[p]!)) {
    v = v * 10 + d[p]! - 0x30;
    p++;
    if (++len > 5) return false;
  }
  if (len === 0 || p >= limit || v < 1024 || v > 65535) return false;
  port.value = v;
  port.end = p;
  return true;
}

/** epaddr_len: an address and an optional port. */
const epaddrLen: LenFn = (msg, p, limit) => {
  const end = sipParseAddr(msg, p, limit, scratch, true);
  if (end < 0 || !sipParsePort(msg, end, limit)) return 0;
  return port.end - p;
};

/** skp_epaddr_len: skips a user part up to `@` on the same line (counted in `shift`), then epaddr_len. */
const skpEpaddrLen: LenFn = (msg, p, limit) => {
  const d = msg.d;
  const start = p;
  const s = shift;
  while (p < limit && d[p] !== 0x40 && d[p] !== CR && d[p] !== LF) {
    shift++;
    p++;
  }
  if (p < limit && d[p] === 0x40) {
    p++;
    shift++;
  } else {
    p = start;
    shift = s;
  }
  return epaddrLen(msg, p, limit);
};

/**
 * sip_strtouint: decimal digits as an unsigned 32-bit number (0 when more
 * than eleven or above 4294967295, with `strtoEnd` left at `p`); `strtoEnd`
 * is where it stopped.
 */
let strtoEnd = 0;
function strtouint(d: Uint8Array, p: number, len: number): number {
  let max = Math.min(len, 11);
  let olen = len;
  let s = p;
  let r = 0;
  while (olen > 0 && isDigit(d[s]!)) {
    if (max === 0) {
      strtoEnd = p;
      return 0;
    }
    r = r * 10 + d[s]! - 0x30;
    if (r > 0xffffffff) {
      strtoEnd = p;
      return 0;
    }
    s++;
    max--;
    olen--;
  }
  strtoEnd = s;
  return r;
}

interface SipHeader {
  name: Uint8Array;
  cname: Uint8Array | null;
  search: Uint8Array | null;
  matchLen: LenFn;
}

const hdr = (name: string, cname: string | null, search: string | null, matchLen: LenFn): SipHeader => ({
  name: enc.encode(name),
  cname: cname === null ? null : enc.encode(cname),
  search: search === null ? null : enc.encode(search),
  matchLen,
});

/** ct_sip_hdrs (the ones conntrack reads; From, To and Via serve nf_nat_sip, Call-ID neither). */
const HDR_CSEQ = hdr('CSeq', null, null, digitsLen);
export const HDR_CONTACT = hdr('Contact', 'm', 'sip:', skpEpaddrLen);
const HDR_EXPIRES = hdr('Expires', null, null, digitsLen);
export const HDR_CONTENT_LENGTH = hdr('Content-Length', 'l', null, digitsLen);
export const HDR_FROM = hdr('From', 'f', 'sip:', skpEpaddrLen);
export const HDR_TO = hdr('To', 't', 'sip:', skpEpaddrLen);
export const HDR_VIA_UDP = hdr('Via', 'v', 'UDP ', epaddrLen);
export const HDR_VIA_TCP = hdr('Via', 'v', 'TCP ', epaddrLen);
/** The kernel's table by name, for the parser's tests. */
const HEADERS = {
  CSeq: HDR_CSEQ,
  From: HDR_FROM,
  To: HDR_TO,
  Contact: HDR_CONTACT,
  'Via/UDP': HDR_VIA_UDP,
  'Via/TCP': HDR_VIA_TCP,
  Expires: HDR_EXPIRES,
  'Content-Length': HDR_CONTENT_LENGTH,
  'Call-Id': hdr('Call-Id', 'i', null, callidLen),
};

/**
 * ct_sip_get_header on a message's text, for tests: 1 and the value the
 * kernel matched, 0 (no such header) or -1 (one it could not parse).
 */
export function sipHeader(text: string, name: keyof typeof HEADERS, family = Family.V4): { ret: number; value: string } {
  const d = enc.encode(text);
  const ret = getHeader({ d, base: 0, limit: d.length, family }, 0, HEADERS[name]);
  return { ret, value: ret > 0 ? new TextDecoder().decode(d.subarray(m.off, m.off + m.len)) : '' };
}

/** sip_follow_continuation: past a line end, the first non-blank of a continuation line, or -1. */
function followContinuation(d: Uint8Array, p: number, limit: number): number {
  if (++p >= limit) return -1;
  if (d[p - 1] === CR && d[p] === LF) {
    if (++p >= limit) return -1;
  }
  if (d[p] !== SP && d[p] !== TAB) return -1;
  for (; p < limit; p++) if (d[p] !== SP && d[p] !== TAB) break;
  return p;
}

/** sip_skip_whitespace: blanks and line ends followed by a continuation line; -1 when the header ends (or the data). */
function skipWhitespace(d: Uint8Array, p: number, limit: number): number {
  for (; p < limit; p++) {
    const c = d[p]!;
    if (c === SP || c === TAB) continue;
    if (c !== CR && c !== LF) break;
    p = followContinuation(d, p, limit);
    break;
  }
  return p >= limit ? -1 : p;
}

/** ct_sip_header_search: `needle` (any case) within a header's value and its continuation lines; its offset or -1. */
function headerSearch(d: Uint8Array, p: number, limit: number, needle: Uint8Array): number {
  for (limit -= needle.length; p < limit; p++) {
    const c = d[p]!;
    if (c === CR || c === LF) {
      p = followContinuation(d, p, limit);
      if (p < 0) break;
      continue;
    }
    if (caseIs(d, p, limit + needle.length, needle)) return p;
  }
  return -1;
}

/** ct_sip_get_header: the first header of its kind after `from`; 1 (m.off, m.len), 0 none, -1 unparsable (m.off at its value). */
export function getHeader(msg: Msg, from: number, h: SipHeader): number {
  const d = msg.d;
  const limit = msg.limit;
  shift = 0;
  for (let p = from; p < limit; p++) {
    if (d[p] !== CR && d[p] !== LF) continue;
    if (++p >= limit) break;
    if (d[p - 1] === CR && d[p] === LF) {
      if (++p >= limit) break;
    }
    if (d[p] === SP || d[p] === TAB) continue;
    if (limit - p >= h.name.length && caseIs(d, p, limit, h.name)) p += h.name.length;
    else if (h.cname && limit - p >= h.cname.length + 1 && caseIs(d, p, limit, h.cname) && !isAlpha(d[p + h.cname.length]!)) p += h.cname.length;
    else continue;
    p = skipWhitespace(d, p, limit);
    if (p < 0) break;
    if (d[p] !== 0x3a || ++p >= limit) break;
    p = skipWhitespace(d, p, limit);
    if (p < 0) break;
    m.off = p;
    if (h.search) {
      p = headerSearch(d, p, limit, h.search);
      if (p < 0) return -1;
      p += h.search.length;
    }
    m.len = h.matchLen(msg, p, limit);
    if (!m.len) return -1;
    m.off = p + shift;
    return 1;
  }
  return 0;
}

/** ct_sip_next_header: the next comma-separated value of the header being read. */
function nextHeader(msg: Msg, from: number, h: SipHeader): number {
  const d = msg.d;
  shift = 0;
  let p = headerSearch(d, from, msg.limit, COMMA);
  if (p < 0) return 0;
  p = headerSearch(d, p, msg.limit, h.search!);
  if (p < 0) return 0;
  p += h.search!.length;
  m.off = p;
  m.len = h.matchLen(msg, p, msg.limit);
  if (!m.len) return -1;
  m.off += shift;
  return 1;
}

const COMMA = enc.encode(',');
const SEMICOLON = enc.encode(';');

/** ct_sip_walk_headers: the first parsable value of its kind from `from` (in a header's list when `inHeader.v`). */
function walkHeaders(msg: Msg, from: number, h: SipHeader, inHeader: { v: boolean } | null): number {
  let ret: number;
  if (inHeader?.v) {
    for (;;) {
      ret = nextHeader(msg, from, h);
      if (ret > 0) return ret;
      if (ret === 0) break;
      from = m.off;
    }
    inHeader.v = false;
  }
  for (;;) {
    ret = getHeader(msg, from, h);
    if (ret > 0) break;
    if (ret === 0) return 0;
    from = m.off;
  }
  if (inHeader) inHeader.v = true;
  return 1;
}

/** ct_sip_parse_header_uri's results: the address, its port, and the offset after them. */
export const uri = { addr: new InetAddr(), port: 0, end: 0 };

/** ct_sip_parse_header_uri: a header's URI address and port (uri); 1, 0 none, -1 unparsable. */
export function parseHeaderUri(msg: Msg, from: number, h: SipHeader, inHeader: { v: boolean } | null): number {
  if (walkHeaders(msg, from, h, inHeader) === 0) return 0;
  const c = sipParseAddr(msg, m.off, msg.limit, uri.addr, true);
  if (c < 0 || !sipParsePort(msg, c, msg.limit)) return -1;
  uri.port = port.value;
  uri.end = port.end;
  return 1;
}

/** ct_sip_parse_param: `name` in the header value from `from` (up to a comma); its value in m. */
function parseParam(msg: Msg, from: number, name: Uint8Array): boolean {
  const d = msg.d;
  let limit = headerSearch(d, from, msg.limit, COMMA);
  if (limit < 0) limit = msg.limit;
  let start = headerSearch(d, from, limit, name);
  if (start < 0) return false;
  start += name.length;
  let end = headerSearch(d, start, limit, SEMICOLON);
  if (end < 0) end = limit;
  m.off = start;
  m.len = end - start;
  return true;
}

/** ct_sip_parse_numerical_param: 1 with the number in `numeric.v` (its text in m), 0 no such parameter, -1 no number after it. */
export const numeric = { v: 0 };
export function parseNumericalParam(msg: Msg, from: number, name: Uint8Array): number {
  const d = msg.d;
  let limit = headerSearch(d, from, msg.limit, COMMA);
  if (limit < 0) limit = msg.limit;
  let start = headerSearch(d, from, limit, name);
  if (start < 0) return 0;
  start += name.length;
  const v = strtouint(d, start, limit - start);
  if (strtoEnd === start) return -1;
  numeric.v = v;
  m.off = start;
  m.len = strtoEnd - start;
  return 1;
}

/** ct_sip_parse_address_param: the address after `name` in the header value from `from` (up to a comma) into `out`; its text in m; 1 or 0. */
export function parseAddressParam(msg: Msg, from: number, name: Uint8Array, out: InetAddr, delim: boolean): number {
  const d = msg.d;
  let limit = headerSearch(d, from, msg.limit, COMMA);
  if (limit < 0) limit = msg.limit;
  let start = headerSearch(d, from, limit, name);
  if (start < 0) return 0;
  start += name.length;
  const end = sipParseAddr(msg, start, limit, out, delim);
  if (end < 0) return 0;
  m.off = start;
  m.len = end - start;
  return 1;
}

const SIP_SCHEME = enc.encode('sip:');

/**
 * ct_sip_parse_request: the address and port (uri) of the request line's
 * `sip:` URI (after any user part); its text in m; 1, 0 (none) or -1
 * (unparsable, or a line end before `sip:`).
 */
export function parseRequest(msg: Msg): number {
  const d = msg.d;
  const limit = msg.limit;
  let p = msg.base;
  const mlen = stringLen(msg, p, limit);
  if (!mlen) return 0;
  p += mlen;
  if (++p >= limit) return 0;
  for (; p < limit - SIP_SCHEME.length; p++) {
    if (d[p] === CR || d[p] === LF) return -1;
    if (caseIs(d, p, limit, SIP_SCHEME)) {
      p += SIP_SCHEME.length;
      break;
    }
  }
  shift = 0;
  if (!skpEpaddrLen(msg, p, limit)) return 0;
  p += shift;
  const end = sipParseAddr(msg, p, limit, uri.addr, true);
  if (end < 0 || !sipParsePort(msg, end, limit)) return -1;
  if (port.end === p) return 0;
  uri.port = port.value;
  m.off = p;
  m.len = port.end - p;
  return 1;
}

const TRANSPORT = enc.encode('transport=');
const EXPIRES_PARAM = enc.encode('expires=');
const TCP = enc.encode('TCP');
const UDP = enc.encode('UDP');

/** ct_sip_parse_transport: the URI's `transport=` (it must be the entry's protocol), or the entry's protocol; -1 refused. */
function parseTransport(msg: Msg, from: number, conn: Conn): number {
  if (parseParam(msg, from, TRANSPORT)) {
    let proto: number;
    if (caseIs(msg.d, m.off, msg.d.length, TCP)) proto = 6;
    else if (caseIs(msg.d, m.off, msg.d.length, UDP)) proto = 17;
    else return -1;
    return proto === conn.proto ? proto : -1;
  }
  return conn.proto;
}

// SDP (its headers are case-insensitive at the line start, the search within them is not).
const SDP_VERSION = enc.encode('v=');
const SDP_OWNER = enc.encode('o=');
const SDP_CONNECTION = enc.encode('c=');
const SDP_MEDIA = enc.encode('m=');
const IN_IP4 = enc.encode('IN IP4 ');
const IN_IP6 = enc.encode('IN IP6 ');

/** sdp_addr_len: an address without brackets. */
const sdpAddrLen: LenFn = (msg, p, limit) => {
  const ok = msg.family === Family.V4 ? in4Pton(msg.d, p, limit, scratch) : in6Pton(msg.d, p, limit, scratch);
  return ok ? ptonEnd.v - p : 0;
};

/** enum sdp_header_types. */
export const enum Sdp {
  Unspec,
  Version,
  Owner,
  Connection,
  Media,
}

/** ct_sdp_header_search: `needle` (exact case) before the line ends. */
function sdpHeaderSearch(d: Uint8Array, p: number, limit: number, needle: Uint8Array): number {
  for (limit -= needle.length; p < limit; p++) {
    if (d[p] === CR || d[p] === LF) break;
    if (bytesAre(d, p, limit + needle.length, needle)) return p;
  }
  return -1;
}

/** ct_sip_get_sdp_header: the first SDP line of `type` after `from`, stopping at a `term` line; 1 (m), 0, -1. */
export function getSdpHeader(msg: Msg, from: number, type: Sdp, term: Sdp): number {
  const d = msg.d;
  const limit = msg.limit;
  const name = type === Sdp.Version ? SDP_VERSION : type === Sdp.Owner ? SDP_OWNER : type === Sdp.Connection ? SDP_CONNECTION : SDP_MEDIA;
  const termName = term === Sdp.Media ? SDP_MEDIA : null;
  for (let p = from; p < limit; p++) {
    if (d[p] !== CR && d[p] !== LF) continue;
    if (++p >= limit) break;
    if (d[p - 1] === CR && d[p] === LF) {
      if (++p >= limit) break;
    }
    if (termName && limit - p >= termName.length && caseIs(d, p, limit, termName)) break;
    else if (limit - p >= name.length && caseIs(d, p, limit, name)) p += name.length;
    else continue;
    m.off = p;
    if (type === Sdp.Connection || type === Sdp.Owner) {
      p = sdpHeaderSearch(d, p, limit, msg.family === Family.V4 ? IN_IP4 : IN_IP6);
      if (p < 0) return -1;
      p += IN_IP4.length;
    }
    m.len = type === Sdp.Version ? digitsLen(msg, p, limit) : type === Sdp.Media ? mediaLen(msg, p, limit) : sdpAddrLen(msg, p, limit);
    if (!m.len) return -1;
    m.off = p;
    return 1;
  }
  return 0;
}

/** ct_sip_parse_sdp_addr: a `c=` address (into `out`) before the next `m=`. */
function parseSdpAddr(msg: Msg, from: number, out: InetAddr): number {
  const ret = getSdpHeader(msg, from, Sdp.Connection, Sdp.Media);
  if (ret <= 0) return ret;
  const ok = msg.family === Family.V4 ? in4Pton(msg.d, m.off, m.off + m.len, out) : in6Pton(msg.d, m.off, m.off + m.len, out);
  return ok ? 1 : -1;
}

/** sdp_media_types. */
const MEDIA_TYPES: ReadonlyArray<{ name: Uint8Array; cls: number }> = [
  { name: enc.encode('audio '), cls: SIP_EXPECT_AUDIO },
  { name: enc.encode('video '), cls: SIP_EXPECT_VIDEO },
  { name: enc.encode('image '), cls: SIP_EXPECT_IMAGE },
];

/** What one message's handling needs. */
export interface Ctx {
  host: HelperHost;
  conn: Conn;
  /** 0 original, 1 reply (CTINFO2DIR). */
  dir: number;
  ctinfo: number;
  helper: Helper;
  skb: Skb;
  /** The transport header's offset. */
  protoff: number;
  /** The entry is NATed (IPS_NAT_MASK) and the NAT hooks are set: nf_nat_sip rewrites what it reads. */
  nat: SipNatHooks | null;
}

/**
 * nf_nat_sip_hooks: what nf_nat_sip (src/netfilter/nat/helper-sip.ts)
 * does for a NATed entry. The SDP hooks and `expect` return NF_ACCEPT or
 * NF_DROP; offsets are into `msg.d`, whose `d` and `limit` a rewrite moves.
 */
export interface SipNatHooks {
  /** nf_nat_sip: the message's own addresses (Request-URI, Via, Contact, From, To); false to drop. */
  msg(c: Ctx, msg: Msg): boolean;
  /** nf_nat_sip_seq_adjust: the segment's messages changed length by `off` bytes in all. */
  seqAdjust(c: Ctx, off: number): void;
  /** nf_nat_sip_expect: registers a REGISTER's signalling expectation for the translated Contact at `matchoff`. */
  expect(c: Ctx, msg: Msg, exp: Expectation, matchoff: number, matchlen: number): number;
  /** nf_nat_sdp_addr: the `c=` line of the media description at `mediaoff` names `addr`. */
  sdpAddr(c: Ctx, msg: Msg, mediaoff: number, addr: InetAddr): number;
  /** nf_nat_sdp_port: the media port at `matchoff` becomes `port`. */
  sdpPort(c: Ctx, msg: Msg, matchoff: number, matchlen: number, port: number): number;
  /** nf_nat_sdp_session: the session's `o=` and `c=` name `addr`. */
  sdpSession(c: Ctx, msg: Msg, sdpoff: number, addr: InetAddr): number;
  /** nf_nat_sdp_media: registers RTP and RTCP for translated ports (`rtpAddr` becomes the translated address). */
  sdpMedia(c: Ctx, msg: Msg, rtp: Expectation, rtcp: Expectation, mediaoff: number, medialen: number, rtpAddr: InetAddr): number;
}

/** The hook slot nf_nat_sip fills (src/netfilter/nat/helper-sip.ts). */
export const sipNatHooks: { hooks: SipNatHooks | null } = { hooks: null };

/** flush_expectations: the entry's media expectations (all), or its newest signalling one. */
function flushExpectations(c: Ctx, media: boolean): void {
  const mine = c.conn.expectations;
  if (!mine) return;
  for (const e of [...mine]) {
    if ((e.cls !== SIP_EXPECT_SIGNALLING) !== media) continue;
    if (!c.host.removeExpectation(e)) continue;
    if (!media) break;
  }
}

/**
 * set_expected_rtp_rtcp: expects RTP and RTCP to `daddr` (the even port and
 * the next); on a NATed entry through nf_nat_sdp_media, which may change
 * `daddr` (the caller's copy) to the translated address; NF_ACCEPT or NF_DROP.
 */
function setExpectedRtpRtcp(c: Ctx, msg: Msg, daddr: InetAddr, mport: number, cls: number, mediaoff: number, medialen: number): number {
  const conn = c.conn;
  const params = c.host.params;
  // sip_direct_media: only media of the sender's own address, from the other end of the signalling.
  // Without it the media may come from anywhere (its source address 0 in the look-up: any); with
  // sip_external_media, media reached by the device the message leaves by is not expected.
  let saddr: InetAddr | null = null;
  if (params.sipDirectMedia) {
    if (!daddr.equals(conn.tuple(c.dir).src)) return NF_ACCEPT;
    saddr = conn.tuple(1 - c.dir).src;
  } else if (params.sipExternalMedia && c.host.sameDevice(c.skb, daddr)) return NF_ACCEPT;
  const lookFrom = saddr ?? InetAddr.any(conn.family);
  // The same media seen on another SIP entry (a call forked to several phones) is expected once; when
  // that entry's expectation was translated and this entry is NATed too, both ends are taken to reach
  // each other directly: the media port is rewritten to the untranslated one, which is expected too.
  const tdst = daddr.clone();
  let tport = mport;
  let directRtp = false;
  let skipExpect = false;
  do {
    const other = c.host.findExpectation(17, lookFrom, tdst, 0, tport, conn.zone);
    if (other === null || other.master === conn || other.master.helper !== conn.helper || other.cls !== cls) break;
    const saved = other.savedAddr;
    if (!directRtp && saved !== null && (!saved.equals(other.dst) || other.savedProto !== other.dport) && c.nat !== null) {
      daddr.copyFrom(saved);
      tdst.copyFrom(saved);
      tport = other.savedProto;
      directRtp = true;
    } else skipExpect = true;
  } while (!skipExpect);
  const base = tport & ~1;
  if (directRtp && c.nat !== null && c.nat.sdpPort(c, msg, mediaoff, medialen, base) !== NF_ACCEPT) return NF_DROP;
  if (skipExpect) return NF_ACCEPT;
  const rtp = new Expectation(conn, cls, 17, saddr?.clone() ?? null, daddr.clone(), -1, base);
  const rtcp = new Expectation(conn, cls, 17, saddr?.clone() ?? null, daddr.clone(), -1, base + 1);
  if (c.nat !== null && !directRtp) return c.nat.sdpMedia(c, msg, rtp, rtcp, mediaoff, medialen, daddr);
  const errp = c.host.expectRelated(rtp, NF_CT_EXP_F_SKIP_MASTER);
  if (errp === 0 || errp === -114) {
    const errcp = c.host.expectRelated(rtcp, NF_CT_EXP_F_SKIP_MASTER);
    if (errcp === 0 || errcp === -114) return NF_ACCEPT;
    if (errp === 0) c.host.removeExpectation(rtp);
  }
  return NF_DROP;
}

const caddr = new InetAddr();
const maddr = new InetAddr();
const rtpAddr = new InetAddr();

/** process_sdp. */
function processSdp(c: Ctx, msg: Msg): number {
  if (getSdpHeader(msg, msg.base, Sdp.Version, Sdp.Unspec) <= 0) return NF_ACCEPT;
  const sdpoff = m.off;
  // The session's connection address: before the first media description.
  const haveCaddr = parseSdpAddr(msg, sdpoff, caddr) > 0;
  let mediaoff = sdpoff;
  let media = false;
  for (let i = 0; i < MEDIA_TYPES.length;) {
    if (getSdpHeader(msg, mediaoff, Sdp.Media, Sdp.Unspec) <= 0) break;
    mediaoff = m.off;
    let medialen = m.len;
    const t = MEDIA_TYPES.find((x) => medialen >= x.name.length && bytesAre(msg.d, mediaoff, msg.limit, x.name));
    if (!t) {
      mediaoff += medialen;
      continue;
    }
    mediaoff += t.name.length;
    medialen -= t.name.length;
    const mport = strtouint(msg.d, mediaoff, msg.limit - mediaoff);
    if (mport === 0 || strtoEnd === mediaoff) continue;
    if (mport < 1024 || mport > 65535) return helperDrop(c.helper, `wrong port ${mport}`);
    // The media description's own address overrides the session's.
    const ownAddr = parseSdpAddr(msg, mediaoff, maddr) > 0;
    if (ownAddr) rtpAddr.copyFrom(maddr);
    else if (haveCaddr) rtpAddr.copyFrom(caddr);
    else return helperDrop(c.helper, 'cannot parse SDP message');
    media = true;
    const ret = setExpectedRtpRtcp(c, msg, rtpAddr, mport, t.cls, mediaoff, medialen);
    if (ret !== NF_ACCEPT) return dropAfter(c, 'cannot add expectation for voice');
    // Update the media's connection address.
    if (ownAddr && c.nat !== null && c.nat.sdpAddr(c, msg, mediaoff, rtpAddr) !== NF_ACCEPT) return dropAfter(c, 'cannot mangle SDP');
    i++;
  }
  // The session's owner and connection addresses: the last media's address. (Without any media the
  // kernel writes an address it never set: cofw leaves the session alone then.)
  if (c.nat !== null && media) return c.nat.sdpSession(c, msg, sdpoff, rtpAddr);
  return NF_ACCEPT;
}

type Request = (c: Ctx, msg: Msg, cseq: number) => number;
type Response = (c: Ctx, msg: Msg, cseq: number, code: number) => number;

const state = (c: Ctx): SipState => c.conn.helpData as SipState;
const success = (code: number): boolean => (code >= 100 && code <= 199) || (code >= 200 && code <= 299);

/** process_invite_response, process_update_response, process_prack_response. */
const sdpResponse: Response = (c, msg, cseq, code) => {
  if (success(code)) return processSdp(c, msg);
  if (state(c).inviteCseq === cseq) flushExpectations(c, true);
  return NF_ACCEPT;
};

const inviteRequest: Request = (c, msg, cseq) => {
  flushExpectations(c, true);
  const ret = processSdp(c, msg);
  if (ret === NF_ACCEPT) state(c).inviteCseq = cseq;
  return ret;
};

const sdpRequest: Request = (c, msg) => processSdp(c, msg);

const byeRequest: Request = (c) => {
  flushExpectations(c, true);
  return NF_ACCEPT;
};

/** The Expires header's number, or 0. */
function expiresHeader(msg: Msg): number {
  if (getHeader(msg, msg.base, HDR_EXPIRES) > 0) return strtouint(msg.d, m.off, msg.limit - m.off);
  return 0;
}

const registerRequest: Request = (c, msg, cseq) => {
  const conn = c.conn;
  // Expected connections cannot register again.
  if (conn.status & IPS_EXPECTED) return NF_ACCEPT;
  let expires = expiresHeader(msg);
  const ret = parseHeaderUri(msg, msg.base, HDR_CONTACT, null);
  if (ret < 0) return helperDrop(c.helper, 'cannot parse contact');
  if (ret === 0) return NF_ACCEPT;
  // Third-party registrations are not supported.
  if (!conn.tuple(c.dir).src.equals(uri.addr)) return NF_ACCEPT;
  const contactOff = m.off;
  const contactLen = m.len;
  const after = m.off + m.len;
  const proto = parseTransport(msg, after, conn);
  if (proto < 0) return NF_ACCEPT;
  const n = parseNumericalParam(msg, after, EXPIRES_PARAM);
  if (n < 0) return helperDrop(c.helper, 'cannot parse expires');
  if (n > 0) expires = numeric.v;
  if (expires !== 0) {
    // sip_direct_signalling: only from the registrar (else from anywhere).
    const from = c.host.params.sipDirectSignalling ? conn.tuple(1 - c.dir).src.clone() : null;
    const exp = new Expectation(conn, SIP_EXPECT_SIGNALLING, proto, from, uri.addr.clone(), -1, uri.port);
    exp.helper = conn.helper;
    exp.flags = NF_CT_EXPECT_PERMANENT | NF_CT_EXPECT_INACTIVE;
    if (c.nat !== null) {
      if (c.nat.expect(c, msg, exp, contactOff, contactLen) !== NF_ACCEPT) return NF_DROP;
    } else if (c.host.expectRelated(exp) !== 0) return helperDrop(c.helper, 'cannot add expectation');
  }
  state(c).registerCseq = cseq;
  return NF_ACCEPT;
};

/** refresh_signalling_expectation: activates the entry's signalling expectation for that Contact. */
function refreshSignalling(c: Ctx, addr: InetAddr, proto: number, p: number, expires: number): boolean {
  for (const e of c.conn.expectations ?? []) {
    if (e.cls !== SIP_EXPECT_SIGNALLING || !e.dst.equals(addr) || e.proto !== proto || e.dport !== p) continue;
    if (c.host.refreshExpectation(e, expires)) {
      e.flags &= ~NF_CT_EXPECT_INACTIVE;
      return true;
    }
  }
  return false;
}

const registerResponse: Response = (c, msg, cseq, code) => {
  // Only the answer to the last REGISTER (some servers answer retransmissions late).
  if (state(c).registerCseq !== cseq) return NF_ACCEPT;
  if (code >= 100 && code <= 199) return NF_ACCEPT;
  if (code >= 200 && code <= 299) {
    const expires = expiresHeader(msg);
    const inContact = { v: false };
    let coff = msg.base;
    for (;;) {
      let cExpires = expires;
      const ret = parseHeaderUri(msg, coff, HDR_CONTACT, inContact);
      if (ret < 0) return helperDrop(c.helper, 'cannot parse contact');
      if (ret === 0) break;
      coff = uri.end;
      if (!c.conn.tuple(c.dir).dst.equals(uri.addr)) continue;
      const after = m.off + m.len;
      const proto = parseTransport(msg, after, c.conn);
      if (proto < 0) continue;
      const n = parseNumericalParam(msg, after, EXPIRES_PARAM);
      if (n < 0) return helperDrop(c.helper, 'cannot parse expires');
      if (n > 0) cExpires = numeric.v;
      if (cExpires === 0) break;
      if (refreshSignalling(c, uri.addr, proto, uri.port, cExpires)) return NF_ACCEPT;
    }
  }
  flushExpectations(c, false);
  return NF_ACCEPT;
};

/** sip_handlers, in the kernel's order. */
const HANDLERS: ReadonlyArray<{ method: Uint8Array; request: Request | null; response: Response | null }> = [
  { method: enc.encode('INVITE'), request: inviteRequest, response: sdpResponse },
  { method: enc.encode('UPDATE'), request: sdpRequest, response: sdpResponse },
  { method: enc.encode('ACK'), request: sdpRequest, response: null },
  { method: enc.encode('PRACK'), request: sdpRequest, response: sdpResponse },
  { method: enc.encode('BYE'), request: byeRequest, response: null },
  { method: enc.encode('REGISTER'), request: registerRequest, response: registerResponse },
];

const SIP_20 = enc.encode('SIP/2.0 ');
/** strlen("SIP/2.0 200"): shorter payloads are not read. */
const MIN_LEN = 11;

/** The CSeq number, or -1 when the message is dropped for it. */
function cseqOf(c: Ctx, msg: Msg): number {
  if (getHeader(msg, msg.base, HDR_CSEQ) <= 0) {
    helperDrop(c.helper, 'cannot parse cseq');
    return -1;
  }
  const v = strtouint(msg.d, m.off, msg.limit - m.off);
  if (strtoEnd === m.off) {
    helperDrop(c.helper, 'cannot get cseq');
    return -1;
  }
  return v;
}

function processResponse(c: Ctx, msg: Msg): number {
  const len = msg.limit - msg.base;
  if (len < MIN_LEN) return NF_ACCEPT;
  const code = strtouint(msg.d, msg.base + 8, len - 8);
  if (!code) return helperDrop(c.helper, 'cannot get code');
  const cseq = cseqOf(c, msg);
  if (cseq < 0) return NF_DROP;
  const matchend = m.off + m.len + 1;
  for (const h of HANDLERS) {
    if (h.response === null) continue;
    if (msg.limit < matchend + h.method.length || !caseIs(msg.d, matchend, msg.limit, h.method)) continue;
    return h.response(c, msg, cseq, code);
  }
  return NF_ACCEPT;
}

function processRequest(c: Ctx, msg: Msg): number {
  const d = msg.d;
  const len = msg.limit - msg.base;
  // Phones that send from a high port but listen on the one their (UDP) Via names: the port is kept
  // for nf_nat_sip, which sends the replies there.
  if (parseHeaderUri(msg, msg.base, HDR_VIA_UDP, null) > 0 && uri.port !== c.conn.tuple(c.dir).sport && uri.addr.equals(c.conn.tuple(c.dir).src)) {
    state(c).forcedDport = uri.port;
  }
  for (const h of HANDLERS) {
    if (h.request === null) continue;
    const n = h.method.length;
    if (len < n + 2 || !caseIs(d, msg.base, msg.limit, h.method)) continue;
    if (d[msg.base + n] !== SP || !isAlpha(d[msg.base + n + 1]!)) continue;
    const cseq = cseqOf(c, msg);
    if (cseq < 0) return NF_DROP;
    return h.request(c, msg, cseq);
  }
  return NF_ACCEPT;
}

/**
 * nf_ct_helper_log after a NAT hook that logged its own text: the kernel
 * logs both lines; the drop's reason names both, the NAT side's first.
 */
function dropAfter(c: Ctx, text: string): number {
  const first = helperLog.reason;
  helperDrop(c.helper, text);
  if (first) helperLog.reason = `${first}; ${helperLog.reason}`;
  return NF_DROP;
}

/** process_sip_msg: the message, then (NATed) nf_nat_sip on its addresses. */
function processMsg(c: Ctx, msg: Msg): number {
  helperLog.reason = '';
  const ret = caseIs(msg.d, msg.base, msg.limit, SIP_20) ? processResponse(c, msg) : processRequest(c, msg);
  if (ret === NF_ACCEPT && c.nat !== null && !c.nat.msg(c, msg)) return dropAfter(c, 'cannot NAT SIP message');
  return ret;
}

function ctxOf(host: HelperHost, skb: Skb, protoff: number, conn: Conn, ctinfo: number, helper: Helper): Ctx {
  const nat = conn.status & (IPS_SRC_NAT | IPS_DST_NAT) ? sipNatHooks.hooks : null;
  return { host, conn, dir: ctinfo >= IP_CT_IS_REPLY ? 1 : 0, ctinfo, helper, skb, protoff, nat };
}

const init = (): SipState => ({ registerCseq: 0, inviteCseq: 0, forcedDport: 0 });

const CRLFCRLF = enc.encode('\r\n\r\n');

/** sip_help_udp. */
export const sipUdpHelper: Helper = {
  name: 'sip',
  proto: 17,
  policy: POLICIES[0]!,
  policies: POLICIES,
  init,

  help(host: HelperHost, skb: Skb, thoff: number, conn: Conn, ctinfo: number): number {
    const dataoff = thoff + 8;
    if (dataoff >= skb.len) return NF_ACCEPT;
    host.refreshTimeout(conn, host.params.sipTimeout);
    if (skb.len - dataoff < MIN_LEN) return NF_ACCEPT;
    return processMsg(ctxOf(host, skb, thoff, conn, ctinfo, sipUdpHelper), { d: skb.data, base: dataoff, limit: skb.len, family: conn.family });
  },
};

/** sip_help_tcp: each whole message of an ESTABLISHED connection's segment. */
export const sipTcpHelper: Helper = {
  name: 'sip',
  proto: 6,
  policy: POLICIES[0]!,
  policies: POLICIES,
  init,

  help(host: HelperHost, skb: Skb, thoff: number, conn: Conn, ctinfo: number): number {
    if (ctinfo !== IP_CT_ESTABLISHED && ctinfo !== IP_CT_ESTABLISHED_REPLY) return NF_ACCEPT;
    let d = skb.data;
    let limit = skb.len;
    if (thoff + 20 > limit) return NF_ACCEPT;
    let dataoff = thoff + (d[thoff + 12]! >> 4) * 4;
    if (dataoff >= limit) return NF_ACCEPT;
    host.refreshTimeout(conn, host.params.sipTimeout);
    if (limit - dataoff < MIN_LEN) return NF_ACCEPT;
    const c = ctxOf(host, skb, thoff, conn, ctinfo, sipTcpHelper);
    let ret = NF_ACCEPT;
    // The length the NAT side's rewrites added to the segment (s16).
    let tdiff = 0;
    for (;;) {
      const rest: Msg = { d, base: dataoff, limit, family: conn.family };
      if (getHeader(rest, dataoff, HDR_CONTENT_LENGTH) <= 0) break;
      const clen = strtouint(d, m.off, limit - m.off);
      if (strtoEnd === m.off) break;
      // The blank line after the headers, from the end of the number on.
      let end = strtoEnd;
      let term = false;
      for (; end + 4 <= limit; end++) {
        if (bytesAre(d, end, limit, CRLFCRLF)) {
          term = true;
          break;
        }
      }
      if (!term) break;
      end += 4 + clen;
      if (end > limit) return NF_ACCEPT;
      const msg: Msg = { d, base: dataoff, limit: end, family: conn.family };
      ret = processMsg(c, msg);
      if (ret !== NF_ACCEPT) break;
      tdiff = ((tdiff + msg.limit - end) << 16) >> 16;
      // A rewrite moved the rest of the segment (and may have replaced its buffer).
      d = skb.data;
      limit = skb.len;
      dataoff = msg.limit;
    }
    if (ret === NF_ACCEPT && c.nat !== null) c.nat.seqAdjust(c, tdiff);
    return ret;
  },
};
