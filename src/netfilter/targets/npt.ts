/**
 * SNPT and DNPT (net/ipv6/netfilter/ip6t_NPT.c; iptables
 * extensions/libip6t_SNPT.c, libip6t_DNPT.c): IPv6-to-IPv6 network prefix
 * translation (RFC 6296), stateless and checksum-neutral. SNPT rewrites the
 * source address, DNPT the destination.
 *
 * ip6t_npt_checkentry: both prefix lengths at most 64, and neither prefix
 * with a bit set past its length (otherwise "RULE_APPEND failed (Invalid
 * argument)"); the adjustment is the ones' complement sum of the 16-bit
 * words of the source prefix minus that of the destination prefix.
 *
 * ip6t_npt_map_pfx, per packet: the first max(src, dst length) bits of the
 * address become the destination prefix's; then one 16-bit word takes the
 * adjustment (ones' complement addition, a result of 0xffff written as 0),
 * so that the address's checksum contribution, and with it every transport
 * checksum over the pseudo header, is unchanged. That word is the fourth
 * (bits 48-63, the subnet id) when the longer prefix is at most 48 bits,
 * else the first of words 4-7 that is not 0xffff; when all four are 0xffff
 * the packet is dropped and answered with an ICMPv6 parameter problem
 * (erroneous header field) pointing at the address (offset 8 or 24), which
 * quotes the packet with its prefix already rewritten. The target does not
 * look at whether the address is in the source prefix: the rule selects
 * the packets (`-s` / `-d`). Nothing else in the packet changes; conntrack
 * (at priorities before mangle in PREROUTING and OUTPUT, after it in
 * POSTROUTING and INPUT) sees a DNPT packet's original destination and an
 * SNPT packet's rewritten source, as on Linux.
 *
 * Load-time rules, recorded with ip6tables 1.8.9 (nf_tables): the mangle
 * table only; SNPT from INPUT and POSTROUTING, DNPT from PREROUTING and
 * OUTPUT (user chains as reached). `--src-pfx` and `--dst-pfx` are
 * mandatory, once each, not invertible, XTTYPE_HOSTMASK (a numeric IPv6
 * address and `/` a prefix length or a mask; without one the length is 128,
 * refused by the kernel). iptables-save prints `--src-pfx ADDR/LEN
 * --dst-pfx ADDR/LEN`, leaving out a prefix that is ::/0.
 *
 * @example
 * -t mangle -A POSTROUTING -s fd00:1::/48 -o eth0 -j SNPT --src-pfx fd00:1::/48 --dst-pfx 2001:db8:1::/48
 * -t mangle -A PREROUTING -d 2001:db8:1::/48 -i eth0 -j DNPT --src-pfx 2001:db8:1::/48 --dst-pfx fd00:1::/48
 */
import { familyName, InetAddr } from '../../packet/inet-addr.js';
import { buildIcmp6Error } from '../../packet/reject.js';
import { hostAddr, parsePlen, plenError, splitRange } from '../args.js';
import { Hook, NF_DROP, PacketType, RouteType, XT_CONTINUE, type Skb, type XtParams } from '../types.js';
import { CheckError, defineTarget, Family, hookBits, OptionError, type OptionUse, type TargetModule } from '../xt.js';

const ICMPV6_PARAMPROB = 4;
const ICMPV6_HDR_FIELD = 0;

export interface NptConfig {
  /** The prefixes as written (host bits included: the kernel refuses those). */
  readonly srcPfx: InetAddr;
  readonly srcLen: number;
  readonly dstPfx: InetAddr;
  readonly dstLen: number;
  /** The destination prefix as four 32-bit words. */
  readonly dstWords: readonly number[];
  /** ip6t_npt_checkentry's adjustment: sum(src prefix) - sum(dst prefix), ones' complement. */
  readonly adjustment: number;
}

/** XTTYPE_HOSTMASK for ip6tables: the address and its prefix length (128 without one, -1 for a mask with holes). */
function parsePrefix(ext: string, use: OptionUse): { addr: InetAddr; len: number } {
  if (use.invert) throw new OptionError(`${ext}: option "--${use.spec.name}" cannot be inverted.`, use);
  const [host, m] = splitRange(use.args[0] ?? '', '/');
  const addr = hostAddr(host, Family.V6);
  if (addr === undefined) {
    if (hostAddr(host, Family.V4) !== undefined) throw new OptionError('getaddrinfo: Address family for hostname not supported', use);
    throw new OptionError(`getaddrinfo: Name or service not known (${host}: write a numeric ${familyName(Family.V6)} address)`, use);
  }
  let len = 128;
  if (m !== undefined) {
    const n = parsePlen(m, Family.V6);
    if (n === undefined) throw plenError(ext, use, Family.V6);
    len = n;
  }
  return { addr, len };
}

/** The eight 16-bit words of an IPv6 address. */
function words16(a: InetAddr): number[] {
  const b = new Uint8Array(16);
  a.write(b, 0);
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push((b[i]! << 8) | b[i + 1]!);
  return w;
}

/** Ones' complement fold of a 32-bit sum to 16 bits (csum_fold without its final inversion). */
function fold16(s: number): number {
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return s & 0xffff;
}

/** csum_add of two 32-bit partial sums (end-around carry). */
function csumAdd(a: number, b: number): number {
  const r = (a + b) >>> 0;
  return (r + (r < b >>> 0 ? 1 : 0)) >>> 0;
}

/** ip6t_npt_checkentry's adjustment: ~csum_fold(csum_sub(sum(src), sum(dst))). */
export function nptAdjustment(src: InetAddr, dst: InetAddr): number {
  const s = words16(src).reduce((x, w) => x + w, 0);
  const d = words16(dst).reduce((x, w) => x + w, 0);
  return fold16(csumAdd(s, ~d >>> 0));
}

/** Bits set past the prefix length (ipv6_addr_prefix differs from the address). */
function hasHostBits(a: InetAddr, len: number): boolean {
  const w = words16(a);
  for (let i = 0; i < 8; i++) {
    const keep = len >= (i + 1) * 16 ? 0xffff : len <= i * 16 ? 0 : (0xffff << (16 - (len - i * 16))) & 0xffff;
    if (w[i]! & ~keep & 0xffff) return true;
  }
  return false;
}

function parseNpt(ext: string, uses: readonly OptionUse[]): NptConfig {
  let src = { addr: InetAddr.v6(0, 0, 0, 0), len: 0 };
  let dst = { addr: InetAddr.v6(0, 0, 0, 0), len: 0 };
  for (const u of uses) {
    if (u.spec.name === 'src-pfx') src = parsePrefix(ext, u);
    else dst = parsePrefix(ext, u);
  }
  const dw = words16(dst.addr);
  const dstWords = [0, 2, 4, 6].map((i) => ((dw[i]! << 16) | dw[i + 1]!) >>> 0);
  return { srcPfx: src.addr, srcLen: src.len, dstPfx: dst.addr, dstLen: dst.len, dstWords, adjustment: nptAdjustment(src.addr, dst.addr) };
}

function checkNpt(ext: string, c: NptConfig): void {
  // The prefix length travels in a u8: a mask with holes (-1) arrives as 255.
  const sl = c.srcLen < 0 ? 255 : c.srcLen;
  const dl = c.dstLen < 0 ? 255 : c.dstLen;
  if (sl > 64 || dl > 64) throw new CheckError(`${ext} target: prefix lengths must be at most 64 (RULE_APPEND failed (Invalid argument))`);
  if (hasHostBits(c.srcPfx, sl) || hasHostBits(c.dstPfx, dl)) {
    throw new CheckError(`${ext} target: a prefix has bits set past its length (RULE_APPEND failed (Invalid argument)); write the network address`);
  }
}

function savePrefix(name: string, a: InetAddr, len: number): string {
  const zero = words16(a).every((w) => w === 0);
  return zero && len === 0 ? '' : `--${name} ${a.toString()}/${len < 0 ? 255 : len}`;
}

function saveNpt(c: NptConfig): string {
  return [savePrefix('src-pfx', c.srcPfx, c.srcLen), savePrefix('dst-pfx', c.dstPfx, c.dstLen)].filter((s) => s).join(' ');
}

/**
 * ip6t_npt_map_pfx on the address at `ip[at..at+16)`, in place: false when
 * no word can take the adjustment (the prefix is rewritten all the same).
 */
export function nptMapPrefix(c: NptConfig, ip: Uint8Array, at: number): boolean {
  const pfxLen = Math.max(c.srcLen, c.dstLen);
  for (let i = 0; i < pfxLen; i += 32) {
    const mask = pfxLen - i >= 32 ? 0 : (1 << (i - pfxLen + 32)) - 1;
    const o = at + (i / 32) * 4;
    const w = ((ip[o]! << 24) | (ip[o + 1]! << 16) | (ip[o + 2]! << 8) | ip[o + 3]!) >>> 0;
    const v = ((w & mask) | (~mask & c.dstWords[i / 32]!)) >>> 0;
    ip[o] = v >>> 24;
    ip[o + 1] = (v >>> 16) & 0xff;
    ip[o + 2] = (v >>> 8) & 0xff;
    ip[o + 3] = v & 0xff;
  }
  let idx = 3;
  if (pfxLen > 48) {
    for (idx = 4; idx < 8; idx++) if (((ip[at + idx * 2]! << 8) | ip[at + idx * 2 + 1]!) !== 0xffff) break;
    if (idx === 8) return false;
  }
  const o = at + idx * 2;
  let sum = fold16(((ip[o]! << 8) | ip[o + 1]!) + c.adjustment);
  if (sum === 0xffff) sum = 0;
  ip[o] = sum >> 8;
  ip[o + 1] = sum & 0xff;
  return true;
}

/**
 * icmpv6_send(skb, ICMPV6_PARAMPROB, ICMPV6_HDR_FIELD, pointer) about the
 * packet as it now is: from its destination when that is one of the
 * guest's addresses, else from the address chosen towards its source;
 * nothing without a route back (see REJECT's sendUnreach6).
 */
function sendParamProb(skb: Skb, par: XtParams, pointer: number): void {
  const s = par.services;
  const d = skb.data;
  const src = InetAddr.v6(0, 0, 0, 0).readV6(d, 8);
  const dst = InetAddr.v6(0, 0, 0, 0).readV6(d, 24);
  const back = s.route(src);
  if (!back.dev) return;
  const dtype = s.route(dst).type;
  const saddr = dtype === RouteType.Local || dtype === RouteType.Anycast ? dst : s.sourceAddress(par.inDev ?? back.dev, src);
  if (!saddr) return;
  const ip = buildIcmp6Error(d.subarray(0, skb.len), ICMPV6_PARAMPROB, ICMPV6_HDR_FIELD, pointer, saddr, { toHost: skb.pktType === PacketType.Host });
  if (ip) s.sendLocal(ip, skb);
}

function nptTarget(name: 'SNPT' | 'DNPT', at: number, hooks: number): TargetModule<NptConfig> {
  return defineTarget<NptConfig>({
    name,
    family: Family.V6,
    tables: ['mangle'],
    hooks,
    options: [
      { name: 'src-pfx', args: 1, mandatory: true },
      { name: 'dst-pfx', args: 1, mandatory: true },
    ],
    parse: (uses) => parseNpt(name, uses),
    check: (config) => checkNpt(name, config),
    target(config, skb, par) {
      if (!nptMapPrefix(config, skb.data, at)) {
        (at === 8 ? skb.src : skb.dst).readV6(skb.data, at);
        sendParamProb(skb, par, at);
        return NF_DROP;
      }
      (at === 8 ? skb.src : skb.dst).readV6(skb.data, at);
      return XT_CONTINUE;
    },
    save: saveNpt,
  });
}

export const snptTarget = nptTarget('SNPT', 8, hookBits(Hook.LocalIn, Hook.PostRouting));
export const dnptTarget = nptTarget('DNPT', 24, hookBits(Hook.PreRouting, Hook.LocalOut));
