/**
 * The irc conntrack helper (net/netfilter/nf_conntrack_irc.c), IPv4 only,
 * with the module's parameters (module-params.ts; by default
 * max_dcc_channels=8, dcc_timeout=300: the numbers below).
 *
 * It reads only what the IRC client sends (the original direction), once
 * the connection has seen traffic both ways, and at most the first 4095
 * bytes of a packet's payload. A message must be a `PRIVMSG` (any case,
 * after leading blanks, CRs and newlines) whose text, right after the
 * first ` :`, begins with `\1DCC `; then one of `SEND `, `CHAT `, `MOVE `,
 * `TSEND ` or `SCHAT ` (case-sensitive: `RESEND`, `ACCEPT` and lower case
 * are not read), a word (the file name or `chat`, up to its first blank),
 * the address as one decimal number and the port, with a newline somewhere
 * after the word. The numbers are simple_strtoul's: digits only, no range
 * check (the address is the low 32 bits, the port the low 16). An address
 * that is neither the client's (the original source) nor the address the
 * server sees it by (the reply's destination), or a port 0, is forged: the
 * kernel warns and reads on. The first DCC that passes expects a TCP
 * connection from anywhere to the client's address (the reply's
 * destination) and that port; eight per IRC connection (the ninth evicts
 * the oldest), 300 seconds each. One that clashes with another
 * connection's expectation makes the helper drop the packet (`cannot add
 * expectation`). On a NATed connection the NAT side (nf_nat_irc) rewrites
 * the offer and registers the expectation instead.
 */
import { NF_ACCEPT, type Skb } from '../types.js';
import { IPS_DST_NAT, IPS_SRC_NAT, IP_CT_ESTABLISHED, type Conn } from './conn.js';
import { Expectation, helperDrop, type Helper, type HelperHost, type PayloadNatHook } from './helpers.js';

/**
 * nf_nat_irc_hook: the NAT side (src/netfilter/nat/helper-irc.ts sets it),
 * given the address and port text at `matchoff` (from the TCP payload's
 * start) and its length; NF_ACCEPT or NF_DROP.
 */
export type IrcNatHook = PayloadNatHook;

/** The hook slot (null until the NAT helpers are loaded). */
export const ircNatHook: { fn: IrcNatHook | null } = { fn: null };

/** MAX_SEARCH_SIZE: the bytes of payload the helper reads at most. */
const MAX_SEARCH_SIZE = 4095;
/** MINMATCHLEN. */
const MINMATCHLEN = 5;

const enc = new TextEncoder();
const PRIVMSG = enc.encode('privmsg ');
const DCC = enc.encode('\x01DCC ');
/** dccprotos, in the kernel's order. */
const PROTOS = ['SEND ', 'CHAT ', 'MOVE ', 'TSEND ', 'SCHAT '].map((p) => enc.encode(p));

const SP = 0x20;
const NL = 0x0a;
const CR = 0x0d;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

function bytesAt(d: Uint8Array, off: number, p: Uint8Array): boolean {
  for (let k = 0; k < p.length; k++) if (d[off + k] !== p[k]) return false;
  return true;
}

/** The DCC command's numbers, and where their text begins and ends. */
const dcc = { ip: 0, port: 0, begin: 0, end: 0 };

/**
 * parse_dcc: the word, then the address and the port. `end` is the end of
 * the bytes read; the kernel's newline check and blank skipping may look
 * at the byte at `end` itself (the packet's next byte, or nothing).
 */
function parseDcc(d: Uint8Array, len: number, p: number, end: number): boolean {
  const at = (i: number): number => (i < len ? d[i]! : 0);
  // At least "AAAAAAAA P\1\n" after the word's blank.
  while (at(p++) !== SP) if (p > end - 12) return false;
  let t = p;
  while (t <= end && at(t) !== NL) t++;
  if (t > end) return false;
  // simple_strtoul: an unsigned long that wraps; the address is its low 32 bits.
  dcc.begin = p;
  let ip = 0;
  while (isDigit(at(p))) ip = (Math.imul(ip, 10) + at(p++) - 0x30) >>> 0;
  while (at(p) === SP) {
    if (p >= end) return false;
    p++;
  }
  let port = 0;
  while (isDigit(at(p))) port = (Math.imul(port, 10) + at(p++) - 0x30) & 0xffff;
  dcc.ip = ip;
  dcc.port = port;
  dcc.end = p;
  return true;
}

export const ircHelper: Helper = {
  name: 'irc',
  proto: 6,
  policy: { maxExpected: 8, timeout: 300 },
  policyWith: (p) => ({ maxExpected: p.ircMaxDccChannels, timeout: p.ircDccTimeout }),
  init: () => null,

  help(host: HelperHost, skb: Skb, thoff: number, conn: Conn, ctinfo: number): number {
    // The server's messages are not read; nor anything before traffic went both ways.
    if (ctinfo !== IP_CT_ESTABLISHED) return NF_ACCEPT;
    const d = skb.data;
    const len = skb.len;
    if (thoff + 20 > len) return NF_ACCEPT;
    const dataoff = thoff + (d[thoff + 12]! >> 4) * 4;
    if (dataoff >= len) return NF_ACCEPT;
    const limit = dataoff + Math.min(len - dataoff, MAX_SEARCH_SIZE);
    let p = dataoff;
    while (p < limit - 10 && (d[p] === SP || d[p] === CR || d[p] === NL)) p++;
    if (p < limit - 10) {
      for (let k = 0; k < PRIVMSG.length; k++) if (lower(d[p + k]!) !== PRIVMSG[k]) return NF_ACCEPT;
      p += PRIVMSG.length;
    }
    while (p < limit - (21 + MINMATCHLEN)) {
      // The message's text begins after the first " :", and must begin with the DCC.
      if (d[p] !== SP || d[p + 1] !== 0x3a) {
        p++;
        continue;
      }
      p += 2;
      if (!bytesAt(d, p, DCC)) return NF_ACCEPT;
      p += DCC.length;
      for (const proto of PROTOS) {
        if (!bytesAt(d, p, proto)) continue;
        p += proto.length;
        if (!parseDcc(d, len, p, limit)) continue;
        const o = conn.orig;
        const r = conn.reply;
        // Forged: an address other than the client's, before or after NAT, or port 0 (the kernel warns, reads on).
        if ((o.src.w0 !== dcc.ip && r.dst.w0 !== dcc.ip) || dcc.port === 0) continue;
        const exp = new Expectation(conn, 0, 6, null, r.dst.clone(), -1, dcc.port);
        // On a NATed connection the NAT side rewrites the address and port and registers the expectation.
        const nat = ircNatHook.fn;
        if (nat !== null && conn.status & (IPS_SRC_NAT | IPS_DST_NAT))
          return nat(host, skb, conn, ctinfo, thoff, dcc.begin - dataoff, dcc.end - dcc.begin, exp);
        return host.expectRelated(exp) === 0 ? NF_ACCEPT : helperDrop(conn.helper ?? ircHelper, 'cannot add expectation');
      }
    }
    return NF_ACCEPT;
  },
};
