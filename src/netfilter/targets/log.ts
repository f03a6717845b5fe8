/**
 * LOG (net/netfilter/xt_LOG.c, iptables extensions/libxt_LOG.c): writes a
 * kernel log line about the packet and lets it continue to the next rule.
 *
 * The line is the one nf_log_syslog.c builds: nf_log_dump_packet_common,
 * dump_mac_header when there is an input device, then dump_ipv4_packet
 * (nf_log_ip_packet) or dump_ipv6_packet (nf_log_ip6_packet: SRC= DST=
 * written in full, LEN= TC= HOPLIMIT= FLOWLBL=, the fragment header as
 * FRAG:, the other extension headers with --log-ip-options), each with one
 * level of recursion into ICMP and ICMPv6 errors. It is built only when
 * the rule fires; LOG is not on the hot path of other rules.
 *
 * Parsing follows iptables 1.8.9: `--log-level` takes 0-7 (C number syntax)
 * or alert, crit, debug, emerg, error, info, notice, panic, warning (exact
 * case; `warn` and `err` are refused); `--log-prefix` must not be empty
 * or hold a newline and is cut to 29 bytes without a word.
 *
 * Known limitations: --log-uid prints nothing (cofw's packets have no
 * owning sockets).
 */
import { saveString } from '../rules/tokenize.js';
import { XT_CONTINUE, type Skb, type XtParams } from '../types.js';
import { xtStrtoulAll } from '../args.js';
import { CheckError, defineTarget, Family, OptionError, type OptionUse } from '../xt.js';

/** XT_LOG_* flag bits (linux/netfilter/xt_LOG.h). */
export const XT_LOG_TCPSEQ = 0x01;
export const XT_LOG_TCPOPT = 0x02;
export const XT_LOG_IPOPT = 0x04;
export const XT_LOG_UID = 0x08;
export const XT_LOG_MACDECODE = 0x20;

/** LOG_DEFAULT_LEVEL in libxt_LOG.c: warning. */
export const LOG_DEFAULT_LEVEL = 4;
/** sizeof(xt_log_info.prefix) - 1. */
const PREFIX_MAX = 29;

export interface LogConfig {
  readonly level: number;
  readonly prefix: string;
  readonly flags: number;
}

/** xtopt_sysloglevel in libxtables/xtoptions.c. */
const LEVEL_NAMES: ReadonlyMap<string, number> = new Map([
  ['alert', 1],
  ['crit', 2],
  ['debug', 7],
  ['emerg', 0],
  ['error', 3],
  ['info', 6],
  ['notice', 5],
  ['panic', 0],
  ['warning', 4],
]);

function parseLevel(arg: string, use: OptionUse): number {
  // xtopt_sysloglevel: xtables_strtoui(arg, NULL, &num, 0, 7), then the names.
  const n = xtStrtoulAll(arg, 7);
  if (n !== undefined) return n;
  const v = LEVEL_NAMES.get(arg);
  if (v !== undefined) return v;
  throw new OptionError(`log level "${arg}" unknown (use 0-7 or one of emerg, alert, crit, error, warning, notice, info, debug, panic)`, use);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function parsePrefix(arg: string, use: OptionUse): string {
  if (arg.length === 0) throw new OptionError('--log-prefix: Argument must have a minimum length of 1 characters', use);
  if (arg.includes('\n')) throw new OptionError('Newlines not allowed in --log-prefix', use);
  const bytes = encoder.encode(arg);
  // xtopt_parse_string copies at most 29 bytes into the kernel's field, silently.
  return bytes.length <= PREFIX_MAX ? arg : decoder.decode(bytes.subarray(0, PREFIX_MAX));
}

const FLAG_OF: Record<string, number> = {
  'log-tcp-sequence': XT_LOG_TCPSEQ,
  'log-tcp-options': XT_LOG_TCPOPT,
  'log-ip-options': XT_LOG_IPOPT,
  'log-uid': XT_LOG_UID,
  'log-macdecode': XT_LOG_MACDECODE,
};

/** xtables_save_string, shared with the rule printer. */
export { saveString };

export const logTarget = defineTarget<LogConfig>({
  name: 'LOG',
  // xt_LOG serves both families: nf_log_ip_packet's line for IPv4, nf_log_ip6_packet's for IPv6.
  options: [
    { name: 'log-level', args: 1 },
    { name: 'log-prefix', args: 1 },
    { name: 'log-tcp-sequence', args: 0 },
    { name: 'log-tcp-options', args: 0 },
    { name: 'log-ip-options', args: 0 },
    { name: 'log-uid', args: 0 },
    { name: 'log-macdecode', args: 0 },
  ],

  parse(uses) {
    let level = LOG_DEFAULT_LEVEL;
    let prefix = '';
    let flags = 0;
    for (const u of uses) {
      const name = u.spec.name;
      if (name === 'log-level') level = parseLevel(u.args[0] ?? '', u);
      else if (name === 'log-prefix') prefix = parsePrefix(u.args[0] ?? '', u);
      else flags |= FLAG_OF[name] ?? 0;
    }
    return { level, prefix, flags };
  },

  /** log_tg_check (xt_LOG.c): level below 8, prefix NUL-terminated. */
  check(config) {
    if (config.level >= 8) throw new CheckError(`LOG: level ${config.level} >= 8`);
  },

  target(config, skb, par) {
    par.services.printk(config.level, formatLogLine(config, skb, par));
    return XT_CONTINUE;
  },

  save(config) {
    const out: string[] = [];
    if (config.prefix) out.push('--log-prefix', saveString(config.prefix));
    if (config.level !== LOG_DEFAULT_LEVEL) out.push('--log-level', String(config.level));
    if (config.flags & XT_LOG_TCPSEQ) out.push('--log-tcp-sequence');
    if (config.flags & XT_LOG_TCPOPT) out.push('--log-tcp-options');
    if (config.flags & XT_LOG_IPOPT) out.push('--log-ip-options');
    if (config.flags & XT_LOG_UID) out.push('--log-uid');
    if (config.flags & XT_LOG_MACDECODE) out.push('--log-macdecode');
    return out.join(' ');
  },
});

const HEX = '0123456789abcdef';
function hex2(v: number): string {
  return HEX[(v >> 4) & 15]! + HEX[v & 15]!;
}
function hex2U(v: number): string {
  return hex2(v).toUpperCase();
}
function macAt(b: Uint8Array, off: number): string {
  let s = hex2(b[off]!);
  for (let i = 1; i < 6; i++) s += ':' + hex2(b[off + i]!);
  return s;
}
function ipAt(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}
function u16(b: Uint8Array, off: number): number {
  return (b[off]! << 8) | b[off + 1]!;
}
function u32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

/** Loopback's Ethernet header as the kernel builds it (eth_header with zero addresses). */
const LOOPBACK_MAC = 'MAC=00:00:00:00:00:00:00:00:00:00:00:00:08:00 ';
/** The same for an IPv6 packet (ETH_P_IPV6). */
const LOOPBACK_MAC6 = 'MAC=00:00:00:00:00:00:00:00:00:00:00:00:86:dd ';

/**
 * dump_mac_header: with --log-macdecode on an Ethernet device, MACSRC=,
 * MACDST=, VPROTO/VID for a tagged frame, MACPROTO=; otherwise MAC= and the
 * hard header bytes (the 802.1Q tag is gone: the kernel untags on receive).
 */
function macPart(flags: number, skb: Skb, par: XtParams): string {
  const dev = par.inDev!;
  const mac = skb.mac;
  if (dev.unit < 0 && !dev.bridge) return skb.family === Family.V6 ? LOOPBACK_MAC6 : LOOPBACK_MAC; // ARPHRD_LOOPBACK: never decoded
  if (!mac || mac.length < 14) return 'MAC= ';
  const tagged = mac.length >= 18 && mac[12] === 0x81 && mac[13] === 0x00;
  const protoOff = tagged ? 16 : 12;
  if (flags & XT_LOG_MACDECODE) {
    let s = `MACSRC=${macAt(mac, 6)} MACDST=${macAt(mac, 0)} `;
    if (tagged) s += `VPROTO=8100 VID=${u16(mac, 14) & 0x0fff} `;
    return s + `MACPROTO=${hex2(mac[protoOff]!)}${hex2(mac[protoOff + 1]!)} `;
  }
  let s = 'MAC=' + macAt(mac, 0) + ':' + macAt(mac, 6);
  s += ':' + hex2(mac[protoOff]!) + ':' + hex2(mac[protoOff + 1]!);
  return s + ' ';
}

/** The log line nf_log_ip_packet writes (without the level), trailing space included. */
export function formatLogLine(config: LogConfig, skb: Skb, par: XtParams): string {
  let s = `${config.prefix}IN=${par.inDev?.name ?? ''} OUT=${par.outDev?.name ?? ''} `;
  // nf_log_dump_packet_common: the bridge ports of a packet that entered by one (br_netfilter), when not already named.
  if (skb.physIn && skb.physIn !== par.inDev) s += `PHYSIN=${skb.physIn.name} `;
  if (skb.physOut && skb.physOut !== par.outDev) s += `PHYSOUT=${skb.physOut.name} `;
  if (par.inDev) s += macPart(config.flags, skb, par);
  const out = { s };
  if (skb.family === Family.V6) dumpIpv6(out, skb.data, skb.len, 0, config.flags, skb.mark, true);
  else dumpIpv4(out, skb.data, skb.len, 0, config.flags, skb.mark);
  return out.s;
}

interface Buf {
  s: string;
}

/** ICMP lengths dump_ipv4_packet requires before decoding a type (required_len). */
const ICMP_REQUIRED = new Uint8Array(19);
ICMP_REQUIRED[0] = 4;
ICMP_REQUIRED[3] = 28;
ICMP_REQUIRED[4] = 28;
ICMP_REQUIRED[5] = 28;
ICMP_REQUIRED[8] = 4;
ICMP_REQUIRED[11] = 28;
ICMP_REQUIRED[12] = 28;
ICMP_REQUIRED[13] = 20;
ICMP_REQUIRED[14] = 20;
ICMP_REQUIRED[17] = 12;
ICMP_REQUIRED[18] = 12;

/**
 * dump_ipv4_packet. `len` is skb->len (the outer IP length): every read
 * past it is skb_header_pointer failing, which prints TRUNCATED or
 * INCOMPLETE as the kernel does.
 */
function dumpIpv4(m: Buf, b: Uint8Array, len: number, iphoff: number, flags: number, mark: number): void {
  if (iphoff + 20 > len) {
    m.s += 'TRUNCATED';
    return;
  }
  const ihl = (b[iphoff]! & 0x0f) * 4;
  const tos = b[iphoff + 1]!;
  const fo = u16(b, iphoff + 6);
  const proto = b[iphoff + 9]!;
  m.s += `SRC=${ipAt(b, iphoff + 12)} DST=${ipAt(b, iphoff + 16)} `;
  m.s += `LEN=${u16(b, iphoff + 2)} TOS=0x${hex2U(tos & 0x1e)} PREC=0x${hex2U(tos & 0xe0)} TTL=${b[iphoff + 8]} ID=${u16(b, iphoff + 4)} `;
  if (fo & 0x8000) m.s += 'CE ';
  if (fo & 0x4000) m.s += 'DF ';
  if (fo & 0x2000) m.s += 'MF ';
  const frag = fo & 0x1fff;
  if (frag) m.s += `FRAG:${frag} `;
  if (flags & XT_LOG_IPOPT && ihl > 20) {
    if (iphoff + ihl > len) {
      m.s += 'TRUNCATED';
      return;
    }
    m.s += 'OPT (';
    for (let i = iphoff + 20; i < iphoff + ihl; i++) m.s += hex2U(b[i]!);
    m.s += ') ';
  }
  const th = iphoff + ihl;
  switch (proto) {
    case 6:
      if (dumpTcp(m, b, len, frag, th, flags)) return;
      break;
    case 17:
    case 136:
      m.s += proto === 17 ? 'PROTO=UDP ' : 'PROTO=UDPLITE ';
      if (frag) break;
      if (th + 8 > len) {
        m.s += `INCOMPLETE [${len - th} bytes] `;
        return;
      }
      m.s += `SPT=${u16(b, th)} DPT=${u16(b, th + 2)} LEN=${u16(b, th + 4)} `;
      break;
    case 1:
      dumpIcmp(m, b, len, iphoff, frag, th, flags, mark);
      break;
    case 51: // AH: nothing at all for a later fragment
      if (frag) break;
      m.s += 'PROTO=AH ';
      if (th + 12 > len) m.s += `INCOMPLETE [${len - th} bytes] `;
      else m.s += `SPI=0x${u32(b, th + 4).toString(16)} `;
      break;
    case 50:
      m.s += 'PROTO=ESP ';
      if (frag) break;
      if (th + 8 > len) m.s += `INCOMPLETE [${len - th} bytes] `;
      else m.s += `SPI=0x${u32(b, th).toString(16)} `;
      break;
    default:
      m.s += `PROTO=${proto} `;
  }
  // UID=/GID= (--log-uid) need the owning socket: cofw's packets have none.
  if (!iphoff && mark) m.s += `MARK=0x${(mark >>> 0).toString(16)} `;
}

/** nf_log_dump_tcp_header; true when the dump stops there. */
function dumpTcp(m: Buf, b: Uint8Array, len: number, frag: number, th: number, flags: number): boolean {
  m.s += 'PROTO=TCP ';
  if (frag) return false;
  if (th + 20 > len) {
    // %u: an IPv6 chain may leave the offset past the packet.
    m.s += `INCOMPLETE [${(len - th) >>> 0} bytes] `;
    return true;
  }
  m.s += `SPT=${u16(b, th)} DPT=${u16(b, th + 2)} `;
  if (flags & XT_LOG_TCPSEQ) m.s += `SEQ=${u32(b, th + 4)} ACK=${u32(b, th + 8)} `;
  m.s += `WINDOW=${u16(b, th + 14)} `;
  const b12 = b[th + 12]!;
  const f = b[th + 13]!;
  m.s += `RES=0x${hex2((b12 & 0x0e) << 2)} `;
  if (b12 & 0x01) m.s += 'AE ';
  if (f & 0x80) m.s += 'CWR ';
  if (f & 0x40) m.s += 'ECE ';
  if (f & 0x20) m.s += 'URG ';
  if (f & 0x10) m.s += 'ACK ';
  if (f & 0x08) m.s += 'PSH ';
  if (f & 0x04) m.s += 'RST ';
  if (f & 0x02) m.s += 'SYN ';
  if (f & 0x01) m.s += 'FIN ';
  m.s += `URGP=${u16(b, th + 18)} `;
  const doff = (b12 >> 4) * 4;
  if (flags & XT_LOG_TCPOPT && doff > 20) {
    if (th + doff > len) {
      m.s += 'OPT (TRUNCATED)';
      return true;
    }
    m.s += 'OPT (';
    for (let i = th + 20; i < th + doff; i++) m.s += hex2U(b[i]!);
    m.s += ') ';
  }
  return false;
}

function dumpIcmp(m: Buf, b: Uint8Array, len: number, iphoff: number, frag: number, th: number, flags: number, mark: number): void {
  m.s += 'PROTO=ICMP ';
  if (frag) return;
  const rest = len - th;
  if (th + 8 > len) {
    m.s += `INCOMPLETE [${rest} bytes] `;
    return;
  }
  const type = b[th]!;
  const code = b[th + 1]!;
  m.s += `TYPE=${type} CODE=${code} `;
  if (type <= 18 && ICMP_REQUIRED[type] && rest < ICMP_REQUIRED[type]!) {
    m.s += `INCOMPLETE [${rest} bytes] `;
    return;
  }
  switch (type) {
    case 0:
    case 8:
      m.s += `ID=${u16(b, th + 4)} SEQ=${u16(b, th + 6)} `;
      break;
    case 12:
      m.s += `PARAMETER=${b[th + 4]} `;
      break;
    case 5:
    case 3:
    case 4:
    case 11:
      if (type === 5) m.s += `GATEWAY=${ipAt(b, th + 4)} `;
      if (!iphoff) {
        m.s += '[';
        dumpIpv4(m, b, len, th + 8, flags, mark);
        m.s += '] ';
      }
      if (type === 3 && code === 4) m.s += `MTU=${u16(b, th + 6)} `;
      break;
  }
}

/** %08x. */
function hex8(v: number): string {
  return v.toString(16).padStart(8, '0');
}

/** %pI6: eight groups of four hex digits, nothing shortened. */
function ip6At(b: Uint8Array, off: number): string {
  let s = hex2(b[off]!) + hex2(b[off + 1]!);
  for (let i = 2; i < 16; i += 2) s += ':' + hex2(b[off + i]!) + hex2(b[off + i + 1]!);
  return s;
}

/** nf_ip6_ext_hdr(): the headers dump_ipv6_packet walks (ESP included). */
function nfExtHdr6(h: number): boolean {
  return h === 0 || h === 43 || h === 44 || h === 50 || h === 51 || h === 59 || h === 60;
}

/**
 * dump_ipv6_packet: the IPv6 header at `ip6hoff`, the extension headers
 * (FRAG: always; with XT_LOG_IPOPT, `OPT ( ... ) ` around each and AH's and
 * ESP's SPI), then the upper-layer header, recursing once into an ICMPv6
 * error's quoted packet. `len` is skb->len: a read past it prints
 * TRUNCATED or INCOMPLETE as the kernel does.
 */
function dumpIpv6(m: Buf, b: Uint8Array, len: number, ip6hoff: number, flags: number, mark: number, recurse: boolean): void {
  if (ip6hoff + 40 > len) {
    m.s += 'TRUNCATED';
    return;
  }
  const w0 = u32(b, ip6hoff);
  m.s += `SRC=${ip6At(b, ip6hoff + 8)} DST=${ip6At(b, ip6hoff + 24)} `;
  m.s += `LEN=${u16(b, ip6hoff + 4) + 40} TC=${(w0 & 0x0ff00000) >>> 20} HOPLIMIT=${b[ip6hoff + 7]} FLOWLBL=${w0 & 0xfffff} `;
  const ipopt = (flags & XT_LOG_IPOPT) !== 0;
  let fragment = false;
  let ptr = ip6hoff + 40;
  let hdr = b[ip6hoff + 6]!;
  while (hdr !== 59 && nfExtHdr6(hdr)) {
    if (ptr + 2 > len) {
      m.s += 'TRUNCATED';
      return;
    }
    if (ipopt) m.s += 'OPT ( ';
    let hdrlen: number;
    switch (hdr) {
      case 44: {
        m.s += 'FRAG:';
        if (ptr + 8 > len) {
          m.s += 'TRUNCATED ';
          return;
        }
        const fo = u16(b, ptr + 2);
        m.s += `${fo & 0xfff8} `;
        if (fo & 1) m.s += 'INCOMPLETE ';
        m.s += `ID:${hex8(u32(b, ptr + 4))} `;
        if (fo & 0xfff8) fragment = true;
        hdrlen = 8;
        break;
      }
      case 60:
      case 43:
      case 0:
        if (fragment) {
          if (ipopt) m.s += ')';
          return;
        }
        hdrlen = (b[ptr + 1]! + 1) << 3;
        break;
      case 51:
        if (ipopt) {
          m.s += 'AH ';
          if (fragment) {
            m.s += ')';
            return;
          }
          if (ptr + 12 > len) {
            m.s += `INCOMPLETE [${(len - ptr) >>> 0} bytes] )`;
            return;
          }
          m.s += `SPI=0x${u32(b, ptr + 4).toString(16)} `;
        }
        hdrlen = (b[ptr + 1]! + 2) << 2;
        break;
      default:
        // ESP: nothing of it is printed without --log-ip-options, and nothing follows it.
        if (ipopt) {
          m.s += 'ESP ';
          if (fragment) {
            m.s += ')';
            return;
          }
          if (ptr + 8 > len) {
            m.s += `INCOMPLETE [${(len - ptr) >>> 0} bytes] )`;
            return;
          }
          m.s += `SPI=0x${u32(b, ptr).toString(16)} )`;
        }
        return;
    }
    if (ipopt) m.s += ') ';
    hdr = b[ptr]!;
    ptr += hdrlen;
  }
  const frag = fragment ? 1 : 0;
  switch (hdr) {
    case 6:
      if (dumpTcp(m, b, len, frag, ptr, flags)) return;
      break;
    case 17:
    case 136:
      m.s += hdr === 17 ? 'PROTO=UDP ' : 'PROTO=UDPLITE ';
      if (fragment) break;
      if (ptr + 8 > len) {
        m.s += `INCOMPLETE [${(len - ptr) >>> 0} bytes] `;
        return;
      }
      m.s += `SPT=${u16(b, ptr)} DPT=${u16(b, ptr + 2)} LEN=${u16(b, ptr + 4)} `;
      break;
    case 58: {
      m.s += 'PROTO=ICMPv6 ';
      if (fragment) break;
      if (ptr + 8 > len) {
        m.s += `INCOMPLETE [${(len - ptr) >>> 0} bytes] `;
        return;
      }
      const type = b[ptr]!;
      m.s += `TYPE=${type} CODE=${b[ptr + 1]} `;
      switch (type) {
        case 128:
        case 129:
          m.s += `ID=${u16(b, ptr + 4)} SEQ=${u16(b, ptr + 6)} `;
          break;
        case 4:
        case 1:
        case 2:
        case 3:
          if (type === 4) m.s += `POINTER=${hex8(u32(b, ptr + 4))} `;
          if (recurse) {
            m.s += '[';
            dumpIpv6(m, b, len, ptr + 8, flags, mark, false);
            m.s += '] ';
          }
          if (type === 2) m.s += `MTU=${u32(b, ptr + 4)} `;
          break;
      }
      break;
    }
    default:
      m.s += `PROTO=${hdr} `;
  }
  // UID=/GID= (--log-uid) need the owning socket: cofw's packets have none.
  if (recurse && mark) m.s += `MARK=0x${(mark >>> 0).toString(16)} `;
}
