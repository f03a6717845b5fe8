/**
 * `-m udp` (xt_tcpudp.c / libxt_udp.c): source and destination port
 * ranges, each with `!`.
 *
 * @example
 * -p udp -m udp --sport 1024:65535 --dport 53
 */
import { compilePorts, matchPorts, nftTransportOffset, nothingToTranslate, savePortOption, type PortTest } from './nft-ports.js';
import { OptionError, defineMatch, type OptionSpec } from '../xt.js';
import type { Skb, XtParams } from '../types.js';
import { checkProto } from './tcp.js';
import { SVC_SCTP, SVC_TCP, SVC_UDP, checkUses, parsePortRange } from './util.js';

export const IPPROTO_UDP = 17;

export interface UdpConfig {
  readonly spts: readonly [number, number];
  readonly dpts: readonly [number, number];
  readonly invSrc: boolean;
  readonly invDst: boolean;
  /** Ports as nf_tables tests them (see nft-ports.ts); null when there is nothing to translate and xt_tcpudp decides. */
  readonly native: PortTest | null;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'source-port', aliases: ['sport'], args: 1, invert: true, repeat: true },
  { name: 'destination-port', aliases: ['dport'], args: 1, invert: true, repeat: true },
];

/** iptables resolves udp port names through every protocol's entries. */
const PORT_PROTOS = SVC_TCP | SVC_UDP | SVC_SCTP;

export const udpMatch = defineMatch<UdpConfig>({
  name: 'udp',
  options: OPTIONS,
  parse(uses) {
    checkUses('udp', uses);
    let spts: [number, number] = [0, 65535];
    let dpts: [number, number] = [0, 65535];
    let invSrc = false;
    let invDst = false;
    let haveSrc = false;
    let haveDst = false;
    for (const u of uses) {
      if (u.spec.name === 'source-port') {
        if (haveSrc) throw new OptionError("Only one `--source-port' allowed", u);
        haveSrc = true;
        spts = parsePortRange(u.args[0]!, PORT_PROTOS, u);
        invSrc = u.invert;
      } else if (u.spec.name === 'destination-port') {
        if (haveDst) throw new OptionError("Only one `--destination-port' allowed", u);
        haveDst = true;
        dpts = parsePortRange(u.args[0]!, PORT_PROTOS, u);
        invDst = u.invert;
      }
    }
    const native = nothingToTranslate(spts, invSrc, dpts, invDst) ? null : compilePorts(spts, invSrc, dpts, invDst);
    return { spts, dpts, invSrc, invDst, native };
  },
  check(_c, ctx) {
    checkProto('udp', IPPROTO_UDP, ctx);
  },
  save(c) {
    return [savePortOption('sport', c.spts, c.invSrc, true), savePortOption('dport', c.dpts, c.invDst, true)].filter((o) => o).join(' ');
  },
  match(c, skb, par) {
    // As nf_tables evaluates iptables-nft's translation (see nft-ports.ts).
    return c.native ? matchPorts(c.native, skb.data, nftTransportOffset(skb), skb.len) : udpMatchesXt(skb, par);
  },
});

/** `-m udp` with full port ranges, as xt_tcpudp's udp_mt decides it: first fragments with a whole UDP header. */
function udpMatchesXt(skb: Skb, par: XtParams): boolean {
  if (skb.fragoff !== 0) return false;
  if (skb.thoff + 8 > skb.len) {
    par.hotdrop = true;
    return false;
  }
  return true;
}
