/**
 * TEE (xt_TEE.c revision 1 with nf_dup_ipv4.c and nf_dup_ipv6.c;
 * iptables extensions/libxt_TEE.c): sends a copy of the packet to a
 * gateway, and lets the packet itself go on to the next rule
 * (XT_CONTINUE). Both families, any table, any hook.
 *
 * Options as iptables 1.8.9 takes them: `--gateway ADDR` (XTTYPE_HOST,
 * mandatory, once: a numeric host of the rule file's family, inet_aton's
 * forms for IPv4: `010.1.1.1` is 8.1.1.1, `1.2.3` is 1.2.0.3), `--oif NAME`
 * (XTTYPE_STRING into the 16 bytes of xt_tee_tginfo.oif: a longer name is
 * cut to 15 characters, silently). iptables-save prints `--gateway ADDR`
 * and, when one was named, ` --oif NAME`. tee_tg_check refuses the
 * unspecified address (0.0.0.0, ::) with EINVAL, which iptables-restore
 * reports as a failed RULE_APPEND.
 *
 * What happens to the copy (nf_dup_ipv4, nf_dup_ipv6), done by the guest
 * stack (`GuestServices.duplicate`) at once, before the packet goes on:
 *
 * - nothing while the stack is already sending a copy (the per-task
 *   `in_nf_duplicate` guard): a TEE rule the copy meets in OUTPUT or
 *   POSTROUTING counts it and sends no copy of the copy;
 * - the copy is the packet as it is at this rule (pskb_copy: its mark, its
 *   packet type), untracked (IP_CT_UNTRACKED: conntrack, the nat table and
 *   its helpers leave it alone; `--ctstate UNTRACKED` matches it), owned by
 *   no socket; IPv4 sets DF, and in PREROUTING and INPUT the TTL (the hop
 *   limit) is decremented, without a floor (0 becomes 255);
 * - it is routed to the gateway (ip_route_output_key with
 *   FLOWI_FLAG_KNOWN_NH: the gateway is the next hop, the packet's own
 *   addresses are kept), bound to the `--oif` device when the machine has
 *   one of that name (a name no device has binds nothing, as the kernel's
 *   priv->oif -1); without a route the copy is freed;
 * - it is sent as the firewall's own (ip_local_out): OUTPUT and POSTROUTING
 *   with its route's device, then out of it.
 *
 * @example
 * -A PREROUTING -i eth0 -p tcp --dport 80 -j TEE --gateway 192.0.2.10
 */
import { InetAddr } from '../../packet/inet-addr.js';
import { hostArg, IFNAMSIZ } from '../args.js';
import { XT_CONTINUE } from '../types.js';
import { CheckError, defineTarget, Family, type OptionSpec } from '../xt.js';

export interface TeeConfig {
  /** The gateway, of the rule file's family. */
  readonly gw: InetAddr;
  /** The `--oif` name as the kernel holds it (at most 15 characters), '' when none. */
  readonly oif: string;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'gateway', args: 1, mandatory: true },
  { name: 'oif', args: 1 },
];

export const teeTarget = defineTarget<TeeConfig>({
  name: 'TEE',
  options: OPTIONS,
  parse(uses, ctx) {
    let gw = InetAddr.any(ctx.family);
    let oif = '';
    for (const u of uses) {
      if (u.spec.name === 'gateway') gw = hostArg(u, ctx.family);
      // xtopt_parse_string with the field's size: strncpy and a NUL in its last byte.
      else oif = (u.args[0] ?? '').slice(0, IFNAMSIZ - 1);
    }
    return { gw, oif };
  },
  /** tee_tg_check: "0.0.0.0 and :: not allowed". */
  check(c) {
    if (c.gw.isZero()) {
      throw new CheckError(
        `TEE: the gateway ${c.gw.family === Family.V6 ? '::' : '0.0.0.0'} is refused by the kernel (tee_tg_check: Invalid argument); name the host the copies go to`,
      );
    }
  },
  save(c) {
    return c.oif ? `--gateway ${c.gw.toString()} --oif ${c.oif}` : `--gateway ${c.gw.toString()}`;
  },
  target(c, _skb, par) {
    par.services.duplicate?.(par.hook, c.gw, c.oif);
    return XT_CONTINUE;
  },
});
