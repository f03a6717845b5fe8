/**
 * `-m udp` (xt_tcpudp.c / libxt_udp.c): source and destination port
 * ranges, each with `!`.
 *
 * @example
 * -p udp -m udp --sport 1024:65535 --dport 53
 */
import { compilePorts, matchPorts, savePortOption, type PortTest } from './nft-ports.js';
import { OptionError, defineMatch, type OptionSpec } from '../xt.js';
import { checkProto } from './tcp.js';
import { SVC_SCTP, SVC_TCP, SVC_UDP, checkUses, parsePortRange } from './util.js';

export const IPPROTO_UDP = 17;

export interface UdpConfig {
  readonly spts: readonly [number, number];
  readonly dpts: readonly [number, number];
  readonly invSrc: boolean;
  readonly invDst: boolean;
  /** Ports as nf_tables tests them (see nft-ports.ts). */
  readonly native: PortTest;
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
    return { spts, dpts, invSrc, invDst, native: compilePorts(spts, invSrc, dpts, invDst) };
  },
  check(_c, ctx) {
    checkProto('udp', IPPROTO_UDP, ctx);
  },
  save(c) {
    return [savePortOption('sport', c.spts, c.invSrc, true), savePortOption('dport', c.dpts, c.invDst, true)].filter((o) => o).join(' ');
  },
  match(c, skb) {
    // As nf_tables evaluates iptables-nft's translation (see nft-ports.ts).
    return matchPorts(c.native, skb.data, skb.thoff, skb.len);
  },
});
