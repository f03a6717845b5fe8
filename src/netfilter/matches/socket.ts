/**
 * `-m socket` (xt_socket.c revision 3 / libxt_socket.c): does the packet
 * belong to a local socket? In PREROUTING and INPUT (the kernel's hook
 * mask), the packet's own socket or the one nf_sk_lookup_slow finds for
 * its addresses and ports: an established connection, or a listener
 * (ignored when bound to the wildcard address unless `--nowildcard`);
 * `--transparent` wants an IP_TRANSPARENT socket, `--restore-skmark` copies
 * the socket's mark to the packet. Both families.
 *
 * cofw's guest runs no programs: no packet it receives has a local socket
 * (the machine file's `sockets:` name the owners of the firewall's own
 * packets for the owner match; they are no listeners and no connections),
 * so the match is false for every packet and no mark is restored, as on a
 * host where nothing listens. A non-first fragment is false in the kernel
 * too.
 *
 * The kernel enables IPv4 (IPv6) defragmentation before PREROUTING for the
 * namespace when a rule uses this match (nf_defrag_ipv4_enable); cofw's
 * stack reassembles there only when connection tracking runs, so
 * fragmented traffic without conntrack meets the rules fragment by
 * fragment (see the README's known limitations).
 *
 * @example
 * -A PREROUTING -p tcp -m socket --transparent -j MARK --set-mark 1
 */
import { Hook } from '../types.js';
import { CheckError, defineMatch, hookBits, type OptionSpec } from '../xt.js';
import { hookNames } from './mac.js';

export interface SocketMatchConfig {
  readonly transparent: boolean;
  readonly nowildcard: boolean;
  readonly restoreSkmark: boolean;
}

export const SOCKET_HOOKS = hookBits(Hook.PreRouting, Hook.LocalIn);

const OPTIONS: readonly OptionSpec[] = [
  { name: 'transparent', args: 0 },
  { name: 'nowildcard', args: 0 },
  { name: 'restore-skmark', args: 0 },
];

export const socketMatch = defineMatch<SocketMatchConfig>({
  name: 'socket',
  options: OPTIONS,
  parse(uses) {
    const has = (n: string): boolean => uses.some((u) => u.spec.name === n);
    return { transparent: has('transparent'), nowildcard: has('nowildcard'), restoreSkmark: has('restore-skmark') };
  },
  check(_c, ctx) {
    if (ctx.hookMask & ~SOCKET_HOOKS) {
      throw new CheckError(`socket match: used from hooks ${hookNames(ctx.hookMask)}, but only valid from ${hookNames(SOCKET_HOOKS)}`);
    }
  },
  save(c) {
    const parts: string[] = [];
    if (c.transparent) parts.push('--transparent');
    if (c.nowildcard) parts.push('--nowildcard');
    if (c.restoreSkmark) parts.push('--restore-skmark');
    return parts.join(' ');
  },
  match() {
    // No local socket, established or listening: socket_match's sk stays NULL.
    return false;
  },
});
