/**
 * SYNPROXY (net/netfilter/xt_SYNPROXY.c with nf_synproxy_core.c;
 * iptables extensions/libxt_SYNPROXY.c): answers a client's SYN itself with
 * a SYN cookie, and only once the client's ACK proves the cookie does it
 * open the connection to the server.
 *
 * Options as iptables 1.8.9 takes them, each at most once: `--mss N` and
 * `--wscale N` (XTTYPE_UINT32: any base strtoul reads, 0-4294967295,
 * stored in the kernel's u16 and u8: `--mss 65536` saves as `--mss 0`,
 * `--wscale 300` as `--wscale 44`), `--sack-perm`, `--timestamp`, `--ecn`.
 * iptables-save prints `--sack-perm --timestamp --wscale N --mss N --ecn`,
 * each when given. The kernel registers the target for INPUT and FORWARD
 * in any table; its checkentry wants `-p tcp` (not inverted; `-f` is not
 * looked at) and registers connection tracking for the family
 * (nf_ct_netns_get). iptables-restore reports a refusal as a failed
 * RULE_APPEND.
 *
 * Per packet (synproxy_tg4, synproxy_tg6), after the TCP checksum is found
 * right (nf_ip_checksum, nf_ip6_checksum: a wrong one, a header or options
 * the packet cuts short, a later fragment, drop the packet):
 *
 * - a SYN (no ACK, FIN or RST): answered by a SYN-ACK from the server's
 *   address (synproxy_send_client_synack) whose sequence number is the
 *   cookie of the SYN (encoding the client's MSS rounded down to the
 *   family's table), window 0, ECE when `--ecn` and the SYN had ECE and
 *   CWR, and the options the SYN offered that the rule allows: MSS (the
 *   rule's `--mss`), and with `--timestamp` a timestamp whose low six bits
 *   carry the client's window scale (0xf: none), SACK and ECN, with the
 *   rule's `--wscale` and SACK-permitted; without a timestamp no window
 *   scale, SACK or ECN. IPv4: TOS 0, ID 0, DF, TTL 64; IPv6: traffic class
 *   and flow label 0, hop limit 64. It goes out through OUTPUT and
 *   POSTROUTING as the machine's own packet, carrying the SYN's connection
 *   as ESTABLISHED_REPLY (none when the SYN was untracked or invalid:
 *   conntrack then looks the SYN-ACK up itself). The SYN is consumed
 *   (counted by the rule; cofw reports the frame dropped by it);
 * - an ACK (no SYN, FIN or RST): its acknowledgement must be a cookie of
 *   this minute or the last for its addresses, ports and sequence number
 *   (__cookie_v4_check, __cookie_v6_check); if not, it is dropped;
 * - anything else goes on to the next rule (XT_CONTINUE).
 *
 * A valid cookie opens the connection to the server (serverSyn, as
 * synproxy_send_server_syn); SYNPROXY's conntrack hooks (synproxyHook,
 * called by the guest stack just before conntrack confirms) answer the
 * server's SYN-ACK and translate sequence numbers and timestamps for the
 * rest of the connection.
 *
 * The cookies' secrets are cofw's own (see conntrack/syncookie.ts): the
 * kernel's are drawn at boot and unknowable, so an ACK a capture holds,
 * answering the real kernel's SYN-ACK, fails cofw's check and is dropped,
 * as it would be by any other host.
 *
 * @example
 * -A INPUT -i eth0 -p tcp --dport 80 -m conntrack --ctstate INVALID,UNTRACKED -j SYNPROXY --sack-perm --timestamp --wscale 7 --mss 1460
 */
import { csumReplace4, setIPv4Checksum, l4Checksum, l4Checksum6 } from '../../packet/checksum.js';
import { transportChecksumOk } from '../../packet/reject.js';
import { Family } from '../../packet/inet-addr.js';
import { xtStrtoulAll } from '../args.js';
import type { Conn } from '../conntrack/conn.js';
import { IP_CT_ESTABLISHED_REPLY, IP_CT_IS_REPLY, IP_CT_NEW, TcpState } from '../conntrack/conn.js';
import { seqadjInit } from '../conntrack/seqadj.js';
import { cookieCheck, cookieInit, SyncookieSecrets, type CookieFlow } from '../conntrack/syncookie.js';
import { guestTable } from '../matches/shared-state.js';
import { Hook, NF_DROP, XT_CONTINUE, type GuestServices, type Skb, type XtParams } from '../types.js';
import { CheckError, defineTarget, hookBits, OptionError, type OptionSpec, type OptionUse } from '../xt.js';

/** NF_SYNPROXY_OPT_* (include/uapi/linux/netfilter/nf_synproxy.h). */
export const OPT_MSS = 0x01;
export const OPT_WSCALE = 0x02;
export const OPT_SACK_PERM = 0x04;
export const OPT_TIMESTAMP = 0x08;
export const OPT_ECN = 0x10;

/** struct xt_synproxy_info. */
export interface SynproxyConfig {
  readonly options: number;
  /** u8. */
  readonly wscale: number;
  /** u16. */
  readonly mss: number;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'mss', args: 1 },
  { name: 'wscale', args: 1 },
  { name: 'sack-perm', args: 0 },
  { name: 'timestamp', args: 0 },
  { name: 'ecn', args: 0 },
];

function u32Arg(use: OptionUse): number {
  const v = xtStrtoulAll(use.args[0] ?? '', 4294967295);
  if (v === undefined) throw new OptionError(`SYNPROXY: bad value for option "--${use.spec.name}", or out of range (0-4294967295).`, use);
  return v;
}

const IPPROTO_TCP = 6;

/** The TCP options of a segment as synproxy_parse_options reads them (struct synproxy_options). */
export interface SynproxyOptions {
  options: number;
  wscale: number;
  /** The MSS option a packet carried (mss_option). */
  mss: number;
  /** The client's MSS a cookie encodes (mss_encode). */
  mssEncode: number;
  tsval: number;
  tsecr: number;
}

function newOptions(): SynproxyOptions {
  return { options: 0, wscale: 0, mss: 0, mssEncode: 0, tsval: 0, tsecr: 0 };
}

function rd16(d: Uint8Array, o: number): number {
  return (d[o]! << 8) | d[o + 1]!;
}

function rd32(d: Uint8Array, o: number): number {
  return ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
}

function wr16(d: Uint8Array, o: number, v: number): void {
  d[o] = (v >>> 8) & 0xff;
  d[o + 1] = v & 0xff;
}

function wr32(d: Uint8Array, o: number, v: number): void {
  d[o] = v >>> 24;
  d[o + 1] = (v >>> 16) & 0xff;
  d[o + 2] = (v >>> 8) & 0xff;
  d[o + 3] = v & 0xff;
}

/**
 * synproxy_parse_options: the MSS, window scale (at most 14), timestamp
 * and SACK-permitted options of the TCP header at `th`; false when the
 * data offset is below 5 or the options run past the packet (`len`).
 */
export function parseOptions(d: Uint8Array, th: number, len: number, opts: SynproxyOptions): boolean {
  let length = (d[th + 12]! >> 4) * 4 - 20;
  if (length < 0) return false;
  let p = th + 20;
  if (p + length > len) return false;
  opts.options = 0;
  while (length > 0) {
    const opcode = d[p++]!;
    if (opcode === 0) return true;
    if (opcode === 1) {
      length--;
      continue;
    }
    if (length < 2) return true;
    const opsize = d[p++]!;
    if (opsize < 2 || opsize > length) return true;
    if (opcode === 2 && opsize === 4) {
      opts.mss = rd16(d, p);
      opts.options |= OPT_MSS;
    } else if (opcode === 3 && opsize === 3) {
      opts.wscale = Math.min(d[p]!, 14);
      opts.options |= OPT_WSCALE;
    } else if (opcode === 8 && opsize === 10) {
      opts.tsval = rd32(d, p);
      opts.tsecr = rd32(d, p + 4);
      opts.options |= OPT_TIMESTAMP;
    } else if (opcode === 4 && opsize === 2) opts.options |= OPT_SACK_PERM;
    p += opsize - 2;
    length -= opsize;
  }
  return true;
}

/** synproxy_options_size. */
export function optionsSize(o: number): number {
  let size = 0;
  if (o & OPT_MSS) size += 4;
  if (o & OPT_TIMESTAMP) size += 12;
  else if (o & OPT_SACK_PERM) size += 4;
  if (o & OPT_WSCALE) size += 4;
  return size;
}

/** synproxy_build_options: the options after the fixed header at `th`. */
export function buildOptions(d: Uint8Array, th: number, opts: SynproxyOptions): void {
  let p = th + 20;
  const o = opts.options;
  if (o & OPT_MSS) {
    wr32(d, p, ((2 << 24) | (4 << 16) | opts.mss) >>> 0);
    p += 4;
  }
  if (o & OPT_TIMESTAMP) {
    wr32(d, p, o & OPT_SACK_PERM ? ((4 << 24) | (2 << 16) | (8 << 8) | 10) >>> 0 : ((1 << 24) | (1 << 16) | (8 << 8) | 10) >>> 0);
    wr32(d, p + 4, opts.tsval);
    wr32(d, p + 8, opts.tsecr);
    p += 12;
  } else if (o & OPT_SACK_PERM) {
    wr32(d, p, ((1 << 24) | (1 << 16) | (4 << 8) | 2) >>> 0);
    p += 4;
  }
  if (o & OPT_WSCALE) wr32(d, p, ((1 << 24) | (3 << 16) | (3 << 8) | opts.wscale) >>> 0);
}

/**
 * synproxy_init_timestamp_cookie: the SYN-ACK echoes the client's
 * timestamp and sends the time in milliseconds with its low six bits
 * replaced by the client's window scale (0xf when it offered none), SACK
 * (bit 4) and ECN (bit 5); the window scale offered becomes the rule's.
 */
export function initTimestampCookie(info: SynproxyConfig, opts: SynproxyOptions, nowMs: number): void {
  opts.tsecr = opts.tsval;
  let ts = (nowMs & ~0x3f) >>> 0;
  if (opts.options & OPT_WSCALE) {
    ts |= opts.wscale;
    opts.wscale = info.wscale;
  } else ts |= 0xf;
  if (opts.options & OPT_SACK_PERM) ts |= 1 << 4;
  if (opts.options & OPT_ECN) ts |= 1 << 5;
  opts.tsval = ts >>> 0;
}

/** synproxy_check_timestamp_cookie: the options the client's SYN offered, read back from the echoed timestamp. */
export function checkTimestampCookie(opts: SynproxyOptions): void {
  opts.wscale = opts.tsecr & 0xf;
  if (opts.wscale !== 0xf) opts.options |= OPT_WSCALE;
  if (opts.tsecr & (1 << 4)) opts.options |= OPT_SACK_PERM;
  if (opts.tsecr & (1 << 5)) opts.options |= OPT_ECN;
}

/** The guest's SYNPROXY state (struct synproxy_net): its cookie secrets and its statistics (/proc/net/stat/synproxy). */
export class SynproxyNet {
  readonly secrets = new SyncookieSecrets();
  synReceived = 0;
  cookieInvalid = 0;
  cookieValid = 0;
  cookieRetrans = 0;
  connReopened = 0;
}

/** The guest's SYNPROXY state, made at its first use. */
export function synproxyNet(s: GuestServices): SynproxyNet {
  return guestTable(s, 'synproxy', () => new SynproxyNet());
}

/** The addresses and ports of the segment at `th` of `skb`, as a cookie reads them. */
function flowOf(skb: Skb, th: number): CookieFlow {
  const d = skb.data;
  const v6 = skb.family === Family.V6;
  return {
    v6,
    saddr4: skb.saddr,
    daddr4: skb.daddr,
    saddr6: v6 ? d.subarray(8, 24) : EMPTY,
    daddr6: v6 ? d.subarray(24, 40) : EMPTY,
    sport: rd16(d, th),
    dport: rd16(d, th + 2),
  };
}
const EMPTY = new Uint8Array(0);

/** nf_ip_checksum, nf_ip6_checksum for TCP at `thoff` over what the packet holds. */
function tcpChecksumOk(skb: Skb): boolean {
  const d = skb.data;
  if (skb.family === Family.V4) return transportChecksumOk(d, skb.len);
  if (skb.thoff > skb.len) return false;
  return l4Checksum6(d, skb.thoff, skb.len - skb.thoff, IPPROTO_TCP) === 0;
}

/**
 * synproxy_build_ip(_ipv6) and the TCP header of a packet the proxy sends
 * from `src` to `dst` (the address fields of `orig`, swapped or not), with
 * its checksum complete (the kernel leaves it to the device,
 * CHECKSUM_PARTIAL; the wire sees the same sum).
 */
export function buildSegment(orig: Skb, swap: boolean, fill: (d: Uint8Array, th: number) => void, opts: SynproxyOptions): Uint8Array {
  const v6 = orig.family === Family.V6;
  const tcpLen = 20 + optionsSize(opts.options);
  const ipLen = v6 ? 40 : 20;
  const d = new Uint8Array(ipLen + tcpLen);
  const o = orig.data;
  if (v6) {
    d[0] = 0x60;
    wr16(d, 4, tcpLen);
    d[6] = IPPROTO_TCP;
    d[7] = 64; // ipv6.devconf_all->hop_limit
    d.set(o.subarray(swap ? 24 : 8, swap ? 40 : 24), 8);
    d.set(o.subarray(swap ? 8 : 24, swap ? 24 : 40), 24);
  } else {
    d[0] = 0x45;
    wr16(d, 2, ipLen + tcpLen);
    d[6] = 0x40; // IP_DF, id 0
    d[8] = 64; // sysctl_ip_default_ttl
    d[9] = IPPROTO_TCP;
    d.set(o.subarray(swap ? 16 : 12, swap ? 20 : 16), 12);
    d.set(o.subarray(swap ? 12 : 16, swap ? 16 : 20), 16);
    setIPv4Checksum(d);
  }
  d[ipLen + 12] = (tcpLen / 4) << 4;
  fill(d, ipLen);
  buildOptions(d, ipLen, opts);
  const c = v6 ? l4Checksum6(d, 40, tcpLen, IPPROTO_TCP) : l4Checksum(d, 20, tcpLen, IPPROTO_TCP);
  wr16(d, ipLen + 16, c);
  return d;
}

const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;
const TCP_ECE = 0x40;
const TCP_CWR = 0x80;

/** synproxy_send_client_synack(_ipv6): the cookie SYN-ACK answering the SYN at `th`. */
function sendClientSynack(skb: Skb, th: number, opts: SynproxyOptions, par: XtParams, snet: SynproxyNet): void {
  const s = par.services;
  const d = skb.data;
  const flow = flowOf(skb, th);
  const seq = rd32(d, th + 4);
  const { cookie } = cookieInit(snet.secrets, flow, seq, opts.mssEncode, s.jiffies());
  const ip = buildSegment(
    skb,
    true,
    (n, t) => {
      n.set(d.subarray(th + 2, th + 4), t);
      n.set(d.subarray(th, th + 2), t + 2);
      wr32(n, t + 4, cookie);
      wr32(n, t + 8, (seq + 1) >>> 0);
      n[t + 13] = TCP_SYN | TCP_ACK | (opts.options & OPT_ECN ? TCP_ECE : 0);
    },
    opts,
  );
  // ip_route_me_harder, nf_ip6_route: no route back, nothing sent.
  if (!s.route(skb.src).dev) return;
  sendTcp(s, ip, skb, skb.ctState === 0 ? skb.ct : null, IP_CT_ESTABLISHED_REPLY);
}

/** Hands a segment the proxy built to the local output path, with the connection nf_ct_set gives it (none: conntrack looks it up). */
function sendTcp(s: GuestServices, ip: Uint8Array, cause: Skb, ct: Conn | null, ctinfo: number): void {
  s.sendProxied?.(ip, cause, ct, ctinfo);
}

export const synproxyTarget = defineTarget<SynproxyConfig>({
  name: 'SYNPROXY',
  options: OPTIONS,
  hooks: hookBits(Hook.LocalIn, Hook.Forward),

  parse(uses) {
    let options = 0;
    let wscale = 0;
    let mss = 0;
    for (const u of uses) {
      switch (u.spec.name) {
        case 'mss':
          mss = u32Arg(u) & 0xffff;
          options |= OPT_MSS;
          break;
        case 'wscale':
          wscale = u32Arg(u) & 0xff;
          options |= OPT_WSCALE;
          break;
        case 'sack-perm':
          options |= OPT_SACK_PERM;
          break;
        case 'timestamp':
          options |= OPT_TIMESTAMP;
          break;
        case 'ecn':
          options |= OPT_ECN;
          break;
      }
    }
    return { options, wscale, mss };
  },

  /** synproxy_tg4_check, synproxy_tg6_check: `-p tcp`, not inverted. */
  check(_config, ctx) {
    if (ctx.head.proto !== IPPROTO_TCP || ctx.head.invProto)
      throw new CheckError('SYNPROXY target: only valid for -p tcp, not inverted (the kernel answers RULE_APPEND failed (Invalid argument))');
  },

  target(info, skb, par) {
    const snet = synproxyNet(par.services);
    const d = skb.data;
    // A later fragment's payload is no TCP header: its "checksum" fails.
    if (skb.fragoff !== 0 || skb.protocol !== IPPROTO_TCP) return NF_DROP;
    if (!tcpChecksumOk(skb)) return NF_DROP;
    const th = skb.thoff;
    if (th + 20 > skb.len) return NF_DROP;
    const opts = newOptions();
    if (!parseOptions(d, th, skb.len, opts)) return NF_DROP;
    const flags = d[th + 13]!;
    if (flags & TCP_SYN && !(flags & (TCP_ACK | TCP_FIN | TCP_RST))) {
      // Initial SYN from the client.
      snet.synReceived++;
      if (flags & TCP_ECE && flags & TCP_CWR) opts.options |= OPT_ECN;
      opts.options &= info.options;
      opts.mssEncode = opts.mss;
      opts.mss = info.mss;
      if (opts.options & OPT_TIMESTAMP) initTimestampCookie(info, opts, Math.floor(par.services.nowNs() / 1e6));
      else opts.options &= ~(OPT_WSCALE | OPT_SACK_PERM | OPT_ECN);
      sendClientSynack(skb, th, opts, par, snet);
      return NF_DROP;
    }
    if (flags & TCP_ACK && !(flags & (TCP_FIN | TCP_RST | TCP_SYN))) {
      // The client's ACK: it must carry a cookie.
      recvClientAck(skb, th, opts, rd32(d, th + 4), par, snet);
      return NF_DROP;
    }
    return XT_CONTINUE;
  },

  save(c) {
    const out: string[] = [];
    if (c.options & OPT_SACK_PERM) out.push('--sack-perm');
    if (c.options & OPT_TIMESTAMP) out.push('--timestamp');
    if (c.options & OPT_WSCALE) out.push(`--wscale ${c.wscale}`);
    if (c.options & OPT_MSS) out.push(`--mss ${c.mss}`);
    if (c.options & OPT_ECN) out.push('--ecn');
    return out.join(' ');
  },
});

/**
 * synproxy_recv_client_ack(_ipv6): checks the cookie; when it is good,
 * the connection to the server is opened (serverSyn). True when the
 * cookie was good.
 */
function recvClientAck(skb: Skb, th: number, opts: SynproxyOptions, recvSeq: number, par: XtParams, snet: SynproxyNet): boolean {
  const d = skb.data;
  const mss = cookieCheck(snet.secrets, flowOf(skb, th), rd32(d, th + 4), rd32(d, th + 8), par.services.jiffies());
  if (mss === 0) {
    snet.cookieInvalid++;
    return false;
  }
  snet.cookieValid++;
  opts.mss = mss;
  opts.options |= OPT_MSS;
  if (opts.options & OPT_TIMESTAMP) checkTimestampCookie(opts);
  serverSyn(skb, th, opts, recvSeq, par);
  return true;
}

/**
 * synproxy_send_server_syn(_ipv6): the SYN to the server, from the
 * client's address, numbered one below the client's ACK, acknowledging the
 * cookie minus one (how the proxy's ISN reaches its conntrack hook), with
 * the client's window and the options the cookie carried. It carries the
 * synproxy template: conntrack in OUTPUT makes its entry with SYNPROXY's
 * record and sequence adjustment.
 */
function serverSyn(skb: Skb, th: number, opts: SynproxyOptions, recvSeq: number, par: XtParams): void {
  sendServerSyn(skb, th, opts, recvSeq, par.services);
}

function sendServerSyn(skb: Skb, th: number, opts: SynproxyOptions, recvSeq: number, s: GuestServices): void {
  const d = skb.data;
  const ip = buildSegment(
    skb,
    false,
    (n, t) => {
      n.set(d.subarray(th, th + 4), t);
      wr32(n, t + 4, (recvSeq - 1) >>> 0);
      wr32(n, t + 8, (rd32(d, th + 8) - 1) >>> 0);
      n[t + 13] = TCP_SYN | (opts.options & OPT_ECN ? TCP_ECE | TCP_CWR : 0);
      n.set(d.subarray(th + 14, th + 16), t + 14);
    },
    opts,
  );
  if (!s.route(skb.dst).dev) return;
  s.sendProxied?.(ip, skb, null, IP_CT_NEW, { template: true });
}

/** What the synproxy hook does with a packet: let it go on, drop it, or keep it (NF_STOLEN: answered by the proxy). */
export const enum HookVerdict {
  Drop = 0,
  Accept = 1,
  Stolen = 2,
}

/**
 * ipv4_synproxy_hook, ipv6_synproxy_hook (NF_INET_LOCAL_IN and
 * NF_INET_POST_ROUTING, just before conntrack confirms): for the entries
 * SYNPROXY made (a proxied SYN's), the server side of the handshake.
 *
 * - SYN_SENT (the proxied SYN itself): the proxy's ISN (the SYN's
 *   acknowledgement, the cookie) and timestamp are remembered; a client's
 *   ACK seen again (a keep-alive or retransmission) is checked as a cookie
 *   again and sends another SYN;
 * - SYN_RECV (the server's SYN-ACK): the server's timestamp offset is
 *   remembered, an ACK goes to the server (from the client's address, the
 *   window conntrack saw from the client), the server's sequence numbers
 *   are translated to the cookie's from then on (seqadj), and the client
 *   gets an ACK from the server carrying the server's window (the window
 *   update that opens its zero window); the SYN-ACK itself is consumed;
 * - CLOSE, a RST from the server: its sequence adjustment is set; a new
 *   SYN of the client: the adjustments start again;
 * - every other packet of such an entry has its timestamps translated.
 *
 * `loopback`: the packet came back in over lo (nf_is_loopback_packet).
 */
export function synproxyHook(skb: Skb, loopback: boolean, s: GuestServices): HookVerdict {
  const ct = skb.ct;
  if (ct === null || ct.synproxy === null || ct.tcp === null) return HookVerdict.Accept;
  if (loopback || skb.protocol !== IPPROTO_TCP || skb.fragoff !== 0) return HookVerdict.Accept;
  const th = skb.thoff;
  const d = skb.data;
  if (th + 20 > skb.len) return HookVerdict.Drop;
  const sp = ct.synproxy;
  const snet = synproxyNet(s);
  const ctinfo = skb.ctinfo;
  const original = ctinfo < IP_CT_IS_REPLY;
  const flags = d[th + 13]!;
  const opts = newOptions();
  const state = ct.tcp.state;
  let synSent = state === TcpState.SynSent;
  if (state === TcpState.Close) {
    if (flags & TCP_RST && !original) seqadjInit(ct, ctinfo, (sp.isn - rd32(d, th + 4) + 1) | 0);
    else if (flags & TCP_SYN && !(flags & TCP_ACK) && original) {
      // A reopened connection: the adjustments start again once it is established.
      seqadjInit(ct, ctinfo, 0);
      sp.tsoff = 0;
      snet.connReopened++;
      synSent = true;
    }
  }
  if (synSent) {
    if (!parseOptions(d, th, skb.len, opts)) return HookVerdict.Drop;
    if (!(flags & TCP_SYN) && flags & TCP_ACK && original) {
      // Keep-alives are sent with SEG.SEQ = SND.NXT-1: one more makes the first SYN's.
      const recvSeq = (rd32(d, th + 4) + 1) >>> 0;
      const mss = cookieCheck(snet.secrets, flowOf(skb, th), rd32(d, th + 4), rd32(d, th + 8), s.jiffies());
      if (mss === 0) {
        snet.cookieInvalid++;
        return HookVerdict.Drop;
      }
      snet.cookieValid++;
      opts.mss = mss;
      opts.options |= OPT_MSS;
      if (opts.options & OPT_TIMESTAMP) checkTimestampCookie(opts);
      sendServerSyn(skb, th, opts, recvSeq, s);
      snet.cookieRetrans++;
      return HookVerdict.Stolen;
    }
    sp.isn = rd32(d, th + 8);
    if (opts.options & OPT_TIMESTAMP) sp.its = opts.tsecr;
  } else if (state === TcpState.SynRecv && flags & TCP_SYN && flags & TCP_ACK) {
    if (!parseOptions(d, th, skb.len, opts)) return HookVerdict.Drop;
    if (opts.options & OPT_TIMESTAMP) sp.tsoff = (opts.tsval - sp.its) | 0;
    opts.options &= ~(OPT_MSS | OPT_WSCALE | OPT_SACK_PERM);
    swapTimestamps(opts);
    const serverIsn = rd32(d, th + 4);
    sendServerAck(skb, th, opts, ct.tcp.maxwin(0), s, () => seqadjInit(ct, ctinfo, (sp.isn - serverIsn) | 0));
    swapTimestamps(opts);
    sendClientAck(skb, th, opts, ct, s);
    return HookVerdict.Stolen;
  }
  tstampAdjust(skb, th, ctinfo, sp.tsoff);
  return HookVerdict.Accept;
}

function swapTimestamps(o: SynproxyOptions): void {
  const t = o.tsval;
  o.tsval = o.tsecr;
  o.tsecr = t;
}

/**
 * synproxy_send_server_ack(_ipv6): answers the server's SYN-ACK in the
 * client's name: from the client's address, numbered as the server
 * acknowledged, acknowledging its SYN, with the largest window conntrack
 * saw from the client. No connection attached: conntrack finds it in
 * OUTPUT. `after` runs once it is out (the sequence adjustment starts
 * after it).
 */
function sendServerAck(skb: Skb, th: number, opts: SynproxyOptions, window: number, s: GuestServices, after: () => void): void {
  const d = skb.data;
  const ip = buildSegment(
    skb,
    true,
    (n, t) => {
      n.set(d.subarray(th + 2, th + 4), t);
      n.set(d.subarray(th, th + 2), t + 2);
      wr32(n, t + 4, rd32(d, th + 8));
      wr32(n, t + 8, (rd32(d, th + 4) + 1) >>> 0);
      n[t + 13] = TCP_ACK;
      wr16(n, t + 14, window & 0xffff);
    },
    opts,
  );
  if (!s.route(skb.src).dev) {
    after();
    return;
  }
  s.sendProxied?.(ip, skb, null, 0, { after });
}

/**
 * synproxy_send_client_ack(_ipv6): the server's ACK to the client (the
 * window update): one past the server's ISN (the sequence adjustment turns
 * it into the cookie's numbering), the server's window scaled down by its
 * window scale, as the connection's ESTABLISHED_REPLY packet.
 */
function sendClientAck(skb: Skb, th: number, opts: SynproxyOptions, ct: Conn, s: GuestServices): void {
  const d = skb.data;
  const ip = buildSegment(
    skb,
    false,
    (n, t) => {
      n.set(d.subarray(th, th + 4), t);
      wr32(n, t + 4, (rd32(d, th + 4) + 1) >>> 0);
      wr32(n, t + 8, rd32(d, th + 8));
      n[t + 13] = TCP_ACK;
      wr16(n, t + 14, rd16(d, th + 14) >>> opts.wscale);
    },
    opts,
  );
  if (!s.route(skb.dst).dev) return;
  s.sendProxied?.(ip, skb, ct, IP_CT_ESTABLISHED_REPLY);
}

/**
 * synproxy_tstamp_adjust: once the server's timestamps are known to be
 * `tsoff` ahead of the proxy's, the server's timestamp values (reply
 * direction) are lowered and the client's echoes (original direction)
 * raised by it, the TCP checksum updated; the first timestamp option only.
 */
function tstampAdjust(skb: Skb, th: number, ctinfo: number, tsoff: number): void {
  if (tsoff === 0) return;
  const d = skb.data;
  let p = th + 20;
  const end = th + (d[th + 12]! >> 4) * 4;
  if (end > skb.len) return;
  while (p < end) {
    const kind = d[p]!;
    if (kind === 0) return;
    if (kind === 1) {
      p++;
      continue;
    }
    if (p + 1 === end || p + d[p + 1]! > end || d[p + 1]! < 2) return;
    if (kind === 8 && d[p + 1] === 10) {
      const at = ctinfo >= IP_CT_IS_REPLY ? p + 2 : p + 6;
      const old = rd32(d, at);
      const v = ctinfo >= IP_CT_IS_REPLY ? (old - tsoff) >>> 0 : (old + tsoff) >>> 0;
      csumReplace4(d, th + 16, old, v);
      wr32(d, at, v);
      return;
    }
    p += d[p + 1]!;
  }
}
