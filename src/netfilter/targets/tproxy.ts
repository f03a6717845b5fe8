/**
 * TPROXY (xt_TPROXY.c revision 1 / libxt_TPROXY.c): transparent proxying.
 * In the mangle table's PREROUTING, for `-p tcp` or `-p udp` only (the
 * kernel refuses it otherwise: "Can be used only with -p tcp or -p udp"),
 * it looks for the local socket the packet should go to: an established
 * one for its own addresses and ports, else a listener on `--on-ip`
 * (default: the address the packet was sent to) and `--on-port` (0: its
 * destination port). When that socket is transparent (IP_TRANSPARENT) the
 * packet is marked (`--tproxy-mark value/mask`) and assigned to it
 * (NF_ACCEPT); otherwise, and when the transport header cannot be read,
 * the packet is dropped (tproxy_tg4, tproxy_tg6_v1: NF_DROP).
 *
 * cofw's guest runs no proxy: no socket, transparent or not, is ever
 * found (the machine file's `sockets:` are neither listeners nor
 * transparent), so every packet that reaches a TPROXY rule is dropped by
 * it, as on a host whose proxy is not running. Both families.
 *
 * `--on-port` is read as getaddrinfo reads a service (a decimal number
 * kept to 16 bits, a leading `+` or white space allowed, else a service
 * name), `--on-ip` as a numeric host of the rule file's family,
 * `--tproxy-mark` as a value/mask pair (mask 0xffffffff when left out).
 * Like `-m socket`, a TPROXY rule makes the kernel reassemble fragments
 * before PREROUTING (nf_defrag_ipv4_enable); see the README's known
 * limitations.
 *
 * @example
 * -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3129 --tproxy-mark 0x1/0x1
 */
import { InetAddr } from '../../packet/inet-addr.js';
import { cStrtoumax, hostArg, parseValMask } from '../args.js';
import { SVC_SCTP, SVC_TCP, SVC_UDP, serviceToPort } from '../matches/util.js';
import { Hook, NF_DROP } from '../types.js';
import { CheckError, OptionError, defineTarget, hookBits, type OptionSpec } from '../xt.js';

export interface TproxyConfig {
  readonly port: number;
  readonly addr: InetAddr;
  readonly markValue: number;
  readonly markMask: number;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'on-port', args: 1 },
  { name: 'on-ip', args: 1 },
  { name: 'tproxy-mark', args: 1 },
];

/**
 * xtables_getportbyname: getaddrinfo(NULL, text): a service that strtoul
 * reads whole in base 10 is that number stored in an int and kept to 16
 * bits (65537 is 1; a negative int, such as -1 or 2147483648, is looked up
 * as a name instead); anything else a service name of TCP, UDP or SCTP.
 */
export function getaddrinfoPort(text: string): number | undefined {
  const n = cStrtoumax(text, 0, 10);
  if (n.end === text.length) {
    const asInt = Number(BigInt.asIntN(32, n.value));
    if (asInt >= 0) return asInt & 0xffff;
  }
  return serviceToPort(text, SVC_TCP | SVC_UDP | SVC_SCTP);
}

export const tproxyTarget = defineTarget<TproxyConfig>({
  name: 'TPROXY',
  options: OPTIONS,
  tables: ['mangle'],
  hooks: hookBits(Hook.PreRouting),
  parse(uses, ctx) {
    let port: number | undefined;
    let addr = InetAddr.any(ctx.family);
    let markValue = 0;
    let markMask = 0;
    for (const u of uses) {
      switch (u.spec.name) {
        case 'on-port': {
          const p = getaddrinfoPort(u.args[0] ?? '');
          if (p === undefined) throw new OptionError(`Port "${u.args[0] ?? ''}" does not resolve to anything.`, u);
          port = p;
          break;
        }
        case 'on-ip':
          addr = hostArg(u, ctx.family);
          break;
        case 'tproxy-mark': {
          const vm = parseValMask('TPROXY', u);
          markValue = vm.value;
          markMask = vm.mask;
          break;
        }
      }
    }
    if (port === undefined) throw new OptionError('TPROXY: option "--on-port" must be specified');
    return { port, addr, markValue, markMask };
  },
  check(_c, ctx) {
    const p = ctx.head.proto;
    if ((p !== 6 && p !== 17) || ctx.head.invProto) throw new CheckError('xt_TPROXY: Can be used only with -p tcp or -p udp');
  },
  save(c) {
    return `--on-port ${c.port} --on-ip ${c.addr.toString()} --tproxy-mark 0x${c.markValue.toString(16)}/0x${c.markMask.toString(16)}`;
  },
  target() {
    // No established or listening transparent socket is found: NF_DROP.
    return NF_DROP;
  },
});
