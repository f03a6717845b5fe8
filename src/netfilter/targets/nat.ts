/**
 * The NAT targets: SNAT and DNAT (net/netfilter/xt_nat.c), MASQUERADE
 * (xt_MASQUERADE.c, nf_nat_masquerade.c), REDIRECT (xt_REDIRECT.c,
 * nf_nat_redirect.c) and NETMAP (xt_NETMAP.c), parsed and saved as
 * iptables 1.8.9 does (extensions/libxt_NAT.c, libxt_NETMAP.c).
 *
 * Each target computes a range and hands it to the NAT core
 * (`par.services.nat.setup`, the kernel's nf_nat_setup_info), which binds
 * the connection and returns the verdict (NF_ACCEPT: the nat chain ends).
 * They run only in the nat table, which sees the first packet of a
 * connection; later packets are rewritten by the core itself.
 *
 * Hooks, as the kernel's checkentry allows them: SNAT on POSTROUTING and
 * INPUT, DNAT and REDIRECT on PREROUTING and OUTPUT, MASQUERADE on
 * POSTROUTING, NETMAP on all four (the destination on PREROUTING and
 * OUTPUT, the source on POSTROUTING and INPUT).
 *
 * iptables stores SNAT, MASQUERADE and REDIRECT in the old single-range
 * layout (revision 0), which has no room for a shifted port map's base:
 * SNAT and MASQUERADE keep the shift with base 0 (`/0` in iptables-save,
 * and so in the kernel), REDIRECT refuses it; DNAT (revision 2) keeps it.
 */
import { Family, InetAddr, parseIPv4Addr, parseIPv6 } from '../../packet/inet-addr.js';
import { CT_TRACKED } from '../conntrack/conn.js';
import {
  emptyRange,
  hookManip,
  Manip,
  NatParseError,
  NF_NAT_RANGE_MAP_IPS,
  NF_NAT_RANGE_PERSISTENT,
  NF_NAT_RANGE_PROTO_OFFSET,
  NF_NAT_RANGE_PROTO_RANDOM,
  NF_NAT_RANGE_PROTO_RANDOM_FULLY,
  parseNatPorts,
  parseNatTo,
  portsAllowed,
  saveNatRange,
  type NatRange,
} from '../nat/range.js';
import { Hook, NF_ACCEPT, NF_DROP, type NatServices, type Skb, type XtParams } from '../types.js';
import { defineTarget, hookBits, OptionError, type OptionUse, type ParseContext } from '../xt.js';

export interface NatTargetConfig {
  readonly family: Family;
  readonly range: NatRange;
}

/** Parses the options shared by the range targets into one nf_nat_range2. */
function parseRange(uses: readonly OptionUse[], ctx: ParseContext): NatRange {
  const range = emptyRange(ctx.family);
  const portok = portsAllowed(ctx.head.proto);
  for (const u of uses) {
    try {
      switch (u.spec.name) {
        case 'to-source':
        case 'to-destination':
          parseNatTo(u.args[0]!, portok, range, ctx.family);
          break;
        case 'to-ports':
          parseNatPorts(u.args[0]!, portok, range);
          break;
        case 'random':
          range.flags |= NF_NAT_RANGE_PROTO_RANDOM;
          break;
        case 'random-fully':
          range.flags |= NF_NAT_RANGE_PROTO_RANDOM_FULLY;
          break;
        case 'persistent':
          range.flags |= NF_NAT_RANGE_PERSISTENT;
          break;
      }
    } catch (e) {
      if (e instanceof NatParseError) throw new OptionError(e.message, u);
      throw e;
    }
  }
  return range;
}

/** Revision 0's single-range layout: a shifted port map loses its base. */
function compatRange(r: NatRange): NatRange {
  return r.flags & NF_NAT_RANGE_PROTO_OFFSET ? { ...r, baseProto: 0 } : r;
}

/** The connection a NAT target binds, or null when the packet has none (it is then accepted as is). */
function connOf(skb: Skb) {
  return skb.ctState === CT_TRACKED ? skb.ct : null;
}

/**
 * MASQUERADE, REDIRECT and NETMAP: binds side `manip` of the packet's
 * connection to the one address `pick` gives, keeping `range`'s ports and
 * flags; NF_DROP when there is no address to take.
 */
function setupAddress(skb: Skb, par: XtParams, range: NatRange, manip: Manip, pick: (nat: NatServices) => InetAddr | null): number {
  const nat = par.services.nat;
  const conn = connOf(skb);
  if (!nat || !conn) return NF_ACCEPT;
  const addr = pick(nat);
  if (!addr) return NF_DROP;
  return nat.setup(conn, { ...range, flags: range.flags | NF_NAT_RANGE_MAP_IPS, minAddr: addr, maxAddr: addr }, manip);
}

function setup(skb: Skb, par: XtParams, range: NatRange, manip: Manip): number {
  const nat = par.services.nat;
  const conn = connOf(skb);
  if (!nat || !conn) return NF_ACCEPT;
  return nat.setup(conn, range, manip);
}

export const snatTarget = defineTarget<NatTargetConfig>({
  name: 'SNAT',
  tables: ['nat'],
  hooks: hookBits(Hook.PostRouting, Hook.LocalIn),
  options: [
    { name: 'to-source', args: 1, mandatory: true },
    { name: 'random', args: 0 },
    { name: 'random-fully', args: 0 },
    { name: 'persistent', args: 0 },
  ],
  parse(uses, ctx) {
    const range = parseRange(uses, ctx);
    return { family: ctx.family, range: ctx.family === Family.V4 ? compatRange(range) : range };
  },
  target(c, skb, par) {
    return setup(skb, par, c.range, Manip.Src);
  },
  save(c) {
    return saveNatRange(c.range, c.family, '--to-source', false);
  },
});

export const dnatTarget = defineTarget<NatTargetConfig>({
  name: 'DNAT',
  tables: ['nat'],
  hooks: hookBits(Hook.PreRouting, Hook.LocalOut),
  options: [
    { name: 'to-destination', args: 1, mandatory: true },
    { name: 'random', args: 0 },
    { name: 'persistent', args: 0 },
  ],
  parse(uses, ctx) {
    return { family: ctx.family, range: parseRange(uses, ctx) };
  },
  target(c, skb, par) {
    return setup(skb, par, c.range, Manip.Dst);
  },
  save(c) {
    return saveNatRange(c.range, c.family, '--to-destination', false);
  },
});

export const masqueradeTarget = defineTarget<NatTargetConfig>({
  name: 'MASQUERADE',
  tables: ['nat'],
  hooks: hookBits(Hook.PostRouting),
  options: [
    { name: 'to-ports', args: 1 },
    { name: 'random', args: 0 },
    { name: 'random-fully', args: 0 },
  ],
  parse(uses, ctx) {
    const range = parseRange(uses, ctx);
    return { family: ctx.family, range: ctx.family === Family.V4 ? compatRange(range) : range };
  },
  target(c, skb, par) {
    // A locally generated packet from 0.0.0.0 is not masqueraded.
    if (connOf(skb)?.orig.src.isZero()) return NF_ACCEPT;
    // No address on the output interface: "<dev> ate my IP address".
    return setupAddress(skb, par, c.range, Manip.Src, (nat) => (par.outDev ? nat.masqueradeSource(par.outDev, skb.dst) : null));
  },
  save(c) {
    return saveNatRange(c.range, c.family, '--to-ports', true);
  },
});

const LOOPBACK4 = InetAddr.v4(0x7f000001);
const LOOPBACK6 = InetAddr.v6(0, 0, 0, 1);

export const redirectTarget = defineTarget<NatTargetConfig>({
  name: 'REDIRECT',
  tables: ['nat'],
  hooks: hookBits(Hook.PreRouting, Hook.LocalOut),
  options: [
    { name: 'to-ports', args: 1 },
    { name: 'random', args: 0 },
  ],
  parse(uses, ctx) {
    const range = parseRange(uses, ctx);
    if (range.flags & NF_NAT_RANGE_PROTO_OFFSET) throw new OptionError('Shifted portmap ranges not supported with this kernel');
    return { family: ctx.family, range };
  },
  target(c, skb, par) {
    return setupAddress(skb, par, c.range, Manip.Dst, (nat) => {
      if (par.hook === Hook.LocalOut) return c.family === Family.V6 ? LOOPBACK6 : LOOPBACK4;
      return par.inDev ? nat.primaryAddress(par.inDev, c.family) : null;
    });
  },
  save(c) {
    return saveNatRange(c.range, c.family, '--to-ports', true);
  },
});

export interface NetmapConfig {
  readonly family: Family;
  /** The network written, masked, and its mask. */
  readonly net: InetAddr;
  readonly mask: InetAddr;
}

/**
 * `--to ADDR[/MASK]`: IPv4 as libxt_NETMAP reads it (a prefix length or a
 * dotted mask; a mask with holes leaves the host mask, as libxtables'
 * hostmask parsing ends up), IPv6 with a prefix length or a mask written
 * as an address.
 */
function parseNetmap(text: string, use: OptionUse, family: Family): NetmapConfig {
  const v6 = family === Family.V6;
  const bits = v6 ? 128 : 32;
  const slash = text.indexOf('/');
  const host = slash < 0 ? text : text.slice(0, slash);
  const addr = v6 ? parseIPv6(host) : parseIPv4Addr(host);
  if (!addr) throw new OptionError(`host/network \`${host}' not found`, use);
  let mask = InetAddr.mask(family, bits);
  if (slash >= 0) {
    const m = text.slice(slash + 1);
    if (/^\d+$/.test(m)) {
      const n = Number(m);
      if (n > bits) throw new OptionError(`invalid mask \`${m}' specified`, use);
      mask = InetAddr.mask(family, n);
    } else {
      const dotted = v6 ? parseIPv6(m) : parseIPv4Addr(m);
      if (!dotted) throw new OptionError(`invalid mask \`${m}' specified`, use);
      if (dotted.prefixLength() >= 0) mask = dotted;
    }
  }
  return { family, net: addr.clone().and(mask), mask };
}

export const netmapTarget = defineTarget<NetmapConfig>({
  name: 'NETMAP',
  tables: ['nat'],
  hooks: hookBits(Hook.PreRouting, Hook.PostRouting, Hook.LocalOut, Hook.LocalIn),
  options: [{ name: 'to', args: 1, mandatory: true }],
  parse(uses, ctx) {
    return parseNetmap(uses[0]!.args[0]!, uses[0]!, ctx.family);
  },
  target(c, skb, par) {
    const manip = hookManip(par.hook);
    // The host part of the packet's address under the mapped network, word by word.
    const from = manip === Manip.Dst ? skb.dst : skb.src;
    const m = c.mask;
    const n = c.net;
    const word = (a: number, nw: number, mw: number): number => ((a & ~mw) | (nw & mw)) >>> 0;
    const ip = new InetAddr(c.family, word(from.w0, n.w0, m.w0), word(from.w1, n.w1, m.w1), word(from.w2, n.w2, m.w2), word(from.w3, n.w3, m.w3));
    return setupAddress(skb, par, emptyRange(c.family), manip, () => ip);
  },
  save(c) {
    const p = c.mask.prefixLength();
    return `--to ${c.net.toString()}/${p >= 0 ? p : c.mask.toString()}`;
  },
});

export const NAT_TARGETS = [snatTarget, dnatTarget, masqueradeTarget, redirectTarget, netmapTarget];
