/**
 * TCPMSS (net/netfilter/xt_TCPMSS.c; iptables extensions/libxt_TCPMSS.c):
 * lowers the MSS option of TCP segments (in practice SYNs: the rule
 * selects them), or adds one.
 *
 * tcpmss_mangle_packet, for IPv4: nothing for a later fragment; the packet
 * is dropped when its TCP header is short or its data offset is wrong. The
 * new MSS is `--set-mss N`, or with `--clamp-mss-to-pmtu` the smaller of the
 * output route's MTU and the MTU of the route back to the source, minus 40
 * (an MTU of 40 or less drops the packet). An MSS option is only ever
 * lowered, never raised; its checksum update handles an option at an odd
 * offset. When there is no MSS option, the segment has no data and its
 * header has room, a 4-byte option is inserted right after the fixed
 * header with min(MSS, 536) (RFC 1122's default), the data offset, IP total
 * length and both checksums updated.
 *
 * IPv6 (tcpmss_tg6): the TCP header is found as ipv6_skip_exthdr finds it
 * (past hop-by-hop, routing, destination options and AH; a chain that
 * runs past the packet drops it); clamping subtracts 60 (the IPv6 and TCP
 * headers) from the path MTU, the route back being the IPv6 route to the
 * source; an inserted option carries at most 1220 (IPv6's minimum MTU,
 * 1280, minus 60); the payload length grows instead of the total length,
 * and there is no header checksum.
 *
 * Load-time rules under nf_tables (nft_compat): the rule needs `-p tcp`
 * ("TCPMSS target: only valid for protocol 6"); a SYN match is NOT required
 * (the kernel skips that check for nft_compat); `--clamp-mss-to-pmtu` is
 * refused in the base chains PREROUTING and INPUT, but accepted in a user
 * chain whatever jumps to it, as the kernel does. Any table is valid.
 * `--set-mss` takes 0-65515; the last of the two options wins.
 */
import { Hook, NF_DROP, XT_CONTINUE, type Skb, type XtParams } from '../types.js';
import { uintArg } from '../args.js';
import { BASE_CHAIN_HOOK, CheckError, defineTarget, Family, OptionError } from '../xt.js';
import { csumReplace2, csumReplaceByte } from './xt-util.js';

/** XT_TCPMSS_CLAMP_PMTU. */
export const CLAMP_PMTU = 0xffff;
const TCPOLEN_MSS = 4;
const MINLEN = 40; // sizeof(iphdr) + sizeof(tcphdr)
const MINLEN6 = 60; // sizeof(ipv6hdr) + sizeof(tcphdr)

export interface TcpmssConfig {
  /** The MSS to set, or CLAMP_PMTU. */
  readonly mss: number;
}

export const tcpmssTarget = defineTarget<TcpmssConfig>({
  name: 'TCPMSS',
  options: [
    { name: 'set-mss', args: 1 },
    { name: 'clamp-mss-to-pmtu', args: 0 },
  ],

  parse(uses) {
    let mss = -1;
    for (const u of uses) mss = u.spec.name === 'set-mss' ? uintArg('TCPMSS', u, 0, 65515) : CLAMP_PMTU;
    if (mss < 0) throw new OptionError('TCPMSS target: At least one parameter is required');
    return { mss };
  },

  check(config, ctx) {
    if (ctx.head.proto !== 6 || ctx.head.invProto) throw new CheckError('TCPMSS target: only valid for protocol 6 (add -p tcp)');
    const hook = BASE_CHAIN_HOOK[ctx.chain];
    if (config.mss === CLAMP_PMTU && hook !== undefined && ctx.hookMask & (1 << hook)) {
      if (hook === Hook.PreRouting || hook === Hook.LocalIn) {
        throw new CheckError('xt_TCPMSS: path-MTU clamping only supported in FORWARD, OUTPUT and POSTROUTING hooks');
      }
    }
  },

  target(config, skb, par) {
    const r = mangle(config.mss, skb, par);
    if (r < 0) {
      if (skb.truncated) par.hotdrop = true;
      return NF_DROP;
    }
    return XT_CONTINUE;
  },

  save(config) {
    return config.mss === CLAMP_PMTU ? '--clamp-mss-to-pmtu' : `--set-mss ${config.mss}`;
  },
});

/** tcpmss_mangle_packet: -1 drop, 0 unchanged or rewritten in place, 4 option added. */
function mangle(mssIn: number, skb: Skb, par: XtParams): number {
  const v6 = skb.family === Family.V6;
  // tcpmss_tg6: ipv6_skip_exthdr fails on a chain past the packet or one ending in "no next header".
  if (v6 && skb.fragoff === 0 && (skb.protocol < 0 || skb.protocol === 59)) return -1;
  if (skb.fragoff !== 0) return 0;
  const th = skb.thoff;
  const len = skb.totLen - th;
  if (len < 20 || th + 20 > skb.len) return -1;
  let ip = skb.data;
  const hdrlen = (ip[th + 12]! >> 4) * 4;
  if (len < hdrlen || hdrlen < 20) return -1;
  if (th + hdrlen > skb.len) return -1; // options cut off by the capture
  let newmss = mssIn;
  if (mssIn === CLAMP_PMTU) {
    const back = v6 ? par.services.route(skb.src).dev : par.services.routeOutput(skb.saddr);
    const inMtu = back ? back.mtu : 0xffffffff;
    const outMtu = par.outDev ? par.outDev.mtu : 0xffffffff;
    const minMtu = Math.min(outMtu, inMtu);
    const minlen = v6 ? MINLEN6 : MINLEN;
    if (minMtu <= minlen) return -1;
    newmss = Math.min(minMtu - minlen, 0xffff);
  }
  for (let i = 20; i <= hdrlen - TCPOLEN_MSS;) {
    const kind = ip[th + i]!;
    const olen = ip[th + i + 1]!;
    if (kind === 2 && olen === TCPOLEN_MSS) {
      const old = (ip[th + i + 2]! << 8) | ip[th + i + 3]!;
      if (old <= newmss) return 0;
      const hi = newmss >> 8;
      const lo = newmss & 0xff;
      // Each byte updates its own half of a checksum word (an odd offset straddles two words).
      csumReplaceByte(ip, th + 16, (i + 2) % 2 === 1, ip[th + i + 2]!, hi);
      csumReplaceByte(ip, th + 16, (i + 3) % 2 === 1, ip[th + i + 3]!, lo);
      ip[th + i + 2] = hi;
      ip[th + i + 3] = lo;
      return 0;
    }
    i += kind <= 1 || olen === 0 ? 1 : olen;
  }
  // No MSS option: add one, if there is no data and the header has room.
  if (len > hdrlen) return 0;
  if (hdrlen >= 15 * 4) return 0;
  newmss = Math.min(newmss, v6 ? 1220 : 536);
  const grown = new Uint8Array(skb.totLen + TCPOLEN_MSS);
  grown.set(ip.subarray(0, th + 20), 0);
  grown.set(ip.subarray(th + 20, th + hdrlen), th + 20 + TCPOLEN_MSS);
  ip = grown;
  const ck = th + 16;
  csumReplace2(ip, ck, len, len + TCPOLEN_MSS); // pseudo-header length
  const o = th + 20;
  ip[o] = 2;
  ip[o + 1] = TCPOLEN_MSS;
  ip[o + 2] = newmss >> 8;
  ip[o + 3] = newmss & 0xff;
  csumReplace2(ip, ck, 0, (ip[o]! << 8) | ip[o + 1]!);
  csumReplace2(ip, ck, 0, (ip[o + 2]! << 8) | ip[o + 3]!);
  const oldWord = (ip[th + 12]! << 8) | ip[th + 13]!;
  ip[th + 12] = ip[th + 12]! + ((TCPOLEN_MSS / 4) << 4);
  csumReplace2(ip, ck, oldWord, (ip[th + 12]! << 8) | ip[th + 13]!);
  if (v6) {
    // tcpmss_tg6: the payload length grows (no header checksum).
    const plen = skb.totLen - 40 + TCPOLEN_MSS;
    ip[4] = plen >> 8;
    ip[5] = plen & 0xff;
    skb.loadV6(ip);
    return TCPOLEN_MSS;
  }
  // tcpmss_tg4: the IP total length grows, its checksum follows.
  const oldTot = skb.totLen;
  const newTot = oldTot + TCPOLEN_MSS;
  ip[2] = newTot >> 8;
  ip[3] = newTot & 0xff;
  csumReplace2(ip, 10, oldTot, newTot);
  skb.load(ip);
  return TCPOLEN_MSS;
}
