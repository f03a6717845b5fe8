/**
 * `-m eui64` (net/ipv6/netfilter/ip6t_eui64.c, extensions/libip6t_eui64.c):
 * the packet's IPv6 source address ends with the modified EUI-64 interface
 * identifier derived from the Ethernet source address of the frame it
 * came in (the MAC's first three bytes, ff:fe, the last three, with the
 * universal/local bit flipped). No options. The kernel registers it for
 * PREROUTING, INPUT and FORWARD only; a packet that did not arrive in an
 * Ethernet frame (loopback) does not match.
 *
 * @example
 * -A INPUT -s 2001:db8::/64 -m eui64 -j ACCEPT    (addresses built by SLAAC from the sender's MAC)
 */
import { CheckError, defineMatch, Family, hookBits } from '../xt.js';
import { Hook, HOOK_NAMES } from '../types.js';

const HOOKS = hookBits(Hook.PreRouting, Hook.LocalIn, Hook.Forward);

export const eui64Match = defineMatch<null>({
  name: 'eui64',
  family: Family.V6,
  options: [],
  parse() {
    return null;
  },
  /** xt_check_match: the match's .hooks. */
  check(_c, ctx) {
    if (ctx.hookMask & ~HOOKS) {
      const bad = HOOK_NAMES.filter((_, h) => ctx.hookMask & ~HOOKS & (1 << h));
      throw new CheckError(`eui64 match used from hook ${bad.join(', ')}, but only valid from PREROUTING/INPUT/FORWARD`);
    }
  },
  save() {
    return '';
  },
  match(_c, skb, par) {
    const mac = skb.mac;
    // skb->dev must be an Ethernet device with a MAC header (loopback's is not).
    if (!par.inDev || (par.inDev.unit < 0 && !par.inDev.bridge) || !mac || mac.length < 14) return false;
    // eth_hdr(skb)->h_proto (the VLAN tag, when there was one, is already gone).
    if (mac[mac.length - 2] !== 0x86 || mac[mac.length - 1] !== 0xdd) return false;
    if (skb.data[0]! >> 4 !== 6) return false;
    const d = skb.data;
    return (
      d[16] === (mac[6]! ^ 0x02) &&
      d[17] === mac[7] &&
      d[18] === mac[8] &&
      d[19] === 0xff &&
      d[20] === 0xfe &&
      d[21] === mac[9] &&
      d[22] === mac[10] &&
      d[23] === mac[11]
    );
  },
});
