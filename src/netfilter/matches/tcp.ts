/**
 * `-m tcp` (xt_tcpudp.c / libxt_tcp.c): source and destination port ranges,
 * `--tcp-flags mask comp` (`--syn` is FIN,SYN,RST,ACK SYN) and
 * `--tcp-option N`, each with `!`.
 *
 * @example
 * -p tcp -m tcp --sport 1024:65535 --dport 22 --tcp-flags FIN,SYN,RST,ACK SYN
 */
import { compilePorts, matchPorts, nftTransportOffset, nothingToTranslate, savePortOption, type PortTest } from './nft-ports.js';
import { CheckError, OptionError, defineMatch, type CheckContext, type OptionSpec } from '../xt.js';
import type { Skb, XtParams } from '../types.js';
import { SVC_SCTP, SVC_TCP, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, checkUses, formatTcpFlags, parsePortRange, parseTcpFlags } from './util.js';
import { xtStrtoulAll } from '../args.js';

export const IPPROTO_TCP = 6;

export interface TcpConfig {
  readonly spts: readonly [number, number];
  readonly dpts: readonly [number, number];
  readonly invSrc: boolean;
  readonly invDst: boolean;
  readonly flgMask: number;
  readonly flgCmp: number;
  readonly invFlags: boolean;
  /** TCP option kind to look for, 0 for none. */
  readonly option: number;
  readonly invOption: boolean;
  /**
   * Ports as nf_tables tests them; null when the rule uses xt_tcpudp: with
   * `--tcp-option`, or when there is nothing to translate (nothingToTranslate, no flags).
   */
  readonly native: PortTest | null;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'source-port', aliases: ['sport'], args: 1, invert: true, repeat: true },
  { name: 'destination-port', aliases: ['dport'], args: 1, invert: true, repeat: true },
  { name: 'syn', args: 0, invert: true, repeat: true },
  { name: 'tcp-flags', args: 2, invert: true, repeat: true },
  { name: 'tcp-option', args: 1, invert: true, repeat: true },
];

/** Service names the tcp match resolves (getservbyname for tcp, and sctp). */
const PORT_PROTOS = SVC_TCP | SVC_SCTP;

/**
 * The kernel's xt_check_match protocol rule for tcp/udp/icmp: the rule's
 * `-p` must name the protocol and must not be inverted.
 */
export function checkProto(name: string, proto: number, ctx: CheckContext): void {
  if (ctx.head.proto !== proto || ctx.head.invProto) {
    throw new CheckError(`${name} match: only valid for protocol ${proto} (use -p ${name} without !)`);
  }
}

export const tcpMatch = defineMatch<TcpConfig>({
  name: 'tcp',
  options: OPTIONS,
  parse(uses) {
    checkUses('tcp', uses);
    let spts: [number, number] = [0, 65535];
    let dpts: [number, number] = [0, 65535];
    let invSrc = false;
    let invDst = false;
    let flgMask = 0;
    let flgCmp = 0;
    let invFlags = false;
    let option = 0;
    let invOption = false;
    let haveSrc = false;
    let haveDst = false;
    let haveFlags = false;
    let haveOption = false;
    for (const u of uses) {
      switch (u.spec.name) {
        case 'source-port':
          if (haveSrc) throw new OptionError("Only one `--source-port' allowed", u);
          haveSrc = true;
          spts = parsePortRange(u.args[0]!, PORT_PROTOS, u);
          invSrc = u.invert;
          break;
        case 'destination-port':
          if (haveDst) throw new OptionError("Only one `--destination-port' allowed", u);
          haveDst = true;
          dpts = parsePortRange(u.args[0]!, PORT_PROTOS, u);
          invDst = u.invert;
          break;
        case 'syn':
        case 'tcp-flags':
          if (haveFlags) throw new OptionError("Only one of `--syn' or `--tcp-flags'  allowed", u);
          haveFlags = true;
          if (u.spec.name === 'syn') {
            flgMask = TCP_FIN | TCP_SYN | TCP_RST | TCP_ACK;
            flgCmp = TCP_SYN;
          } else {
            if (u.args.length < 2) throw new OptionError('--tcp-flags requires two args.', u);
            flgMask = parseTcpFlags(u.args[0]!, u);
            flgCmp = parseTcpFlags(u.args[1]!, u);
          }
          invFlags = u.invert;
          break;
        case 'tcp-option': {
          if (haveOption) throw new OptionError("Only one `--tcp-option' allowed", u);
          haveOption = true;
          const v = xtStrtoulAll(u.args[0]!, 255);
          if (v === undefined || v === 0) {
            throw new OptionError(`Bad TCP option "${u.args[0]}"; expected an option kind 1-255`, u);
          }
          option = v;
          invOption = u.invert;
          break;
        }
      }
    }
    const xt = option !== 0 || (flgMask === 0 && !invFlags && nothingToTranslate(spts, invSrc, dpts, invDst));
    const native = xt ? null : compilePorts(spts, invSrc, dpts, invDst);
    return { spts, dpts, invSrc, invDst, flgMask, flgCmp, invFlags, option, invOption, native };
  },
  check(_c, ctx) {
    checkProto('tcp', IPPROTO_TCP, ctx);
  },
  save(c) {
    const out: string[] = [];
    for (const o of [savePortOption('sport', c.spts, c.invSrc, !!c.native), savePortOption('dport', c.dpts, c.invDst, !!c.native)]) {
      if (o) out.push(o);
    }
    if (c.option || c.invOption) out.push(`${c.invOption ? '! ' : ''}--tcp-option ${c.option}`);
    if (c.flgMask || c.invFlags) {
      out.push(`${c.invFlags ? '! ' : ''}--tcp-flags ${formatTcpFlags(c.flgMask)} ${formatTcpFlags(c.flgCmp)}`);
    }
    return out.join(' ');
  },
  match(c, skb, par) {
    return c.native ? tcpMatchesNative(c, c.native, skb) : tcpMatches(c, skb, par);
  },
});

/** Per packet, as nf_tables evaluates iptables-nft's translation (see nft-ports.ts). */
function tcpMatchesNative(c: TcpConfig, ports: PortTest, skb: Skb): boolean {
  const d = skb.data;
  const th = nftTransportOffset(skb);
  if (!matchPorts(ports, d, th, skb.len)) return false;
  if (c.flgMask) {
    if (th + 14 > skb.len) return false;
    if (((d[th + 13]! & c.flgMask) === c.flgCmp) === c.invFlags) return false;
  }
  return true;
}

/** Per packet, as xt_tcpudp does (rules with `--tcp-option` or nothing to translate). */
export function tcpMatches(c: TcpConfig, skb: Skb, par: XtParams): boolean {
  if (skb.fragoff !== 0) {
    // A fragment at offset 8 bytes could overwrite the flags: the kernel drops it.
    if (skb.fragoff === 1) par.hotdrop = true;
    return false;
  }
  const d = skb.data;
  const th = skb.thoff;
  if (th + 20 > skb.len) {
    par.hotdrop = true;
    return false;
  }
  const sport = (d[th]! << 8) | d[th + 1]!;
  if ((sport >= c.spts[0] && sport <= c.spts[1]) === c.invSrc) return false;
  const dport = (d[th + 2]! << 8) | d[th + 3]!;
  if ((dport >= c.dpts[0] && dport <= c.dpts[1]) === c.invDst) return false;
  if (((d[th + 13]! & c.flgMask) === c.flgCmp) === c.invFlags) return false;
  if (c.option) {
    const optlen = tcpOptionsLength(skb, par);
    if (optlen < 0) return false;
    const op = th + 20;
    for (let i = 0; i < optlen; i = nextTcpOption(d, op, i)) {
      if (d[op + i] === c.option) return !c.invOption;
    }
    return c.invOption;
  }
  return true;
}

/**
 * The length of a TCP header's options as xt_tcpudp and xt_tcpmss read them
 * (they start at thoff + 20; 0 when there are none), or -1 with hotdrop set
 * when the data offset is below 20 bytes or beyond the packet. The caller
 * has checked that the fixed 20-byte header is present.
 */
export function tcpOptionsLength(skb: Skb, par: XtParams): number {
  const hl = (skb.data[skb.thoff + 12]! >> 4) * 4;
  if (hl < 20 || (hl > 20 && skb.thoff + hl > skb.len)) {
    par.hotdrop = true;
    return -1;
  }
  return hl - 20;
}

/** Where the option after the one at `i` starts: END and NOP are one byte, the rest say their length (0 counts as 1). */
export function nextTcpOption(d: Uint8Array, op: number, i: number): number {
  return d[op + i]! < 2 ? i + 1 : i + (d[op + i + 1] || 1);
}
