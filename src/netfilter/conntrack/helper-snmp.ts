/**
 * The snmp and snmp_trap conntrack helpers, IPv4 only.
 *
 * `snmp` (net/netfilter/nf_conntrack_snmp.c) is a broadcast helper like
 * netbios-ns: an SNMP request the machine itself broadcasts expects the
 * agents' answers from port 161 of that subnet for 30 seconds (the
 * module's `timeout`). On a connection with NAT it then also runs
 * `snmp_trap`'s translation on every packet.
 *
 * `snmp_trap` (net/ipv4/netfilter/nf_nat_snmp_basic_main.c) expects
 * nothing: on a connection without NAT it does nothing. With NAT (SNAT,
 * MASQUERADE or DNAT changed a tuple), it reads every packet except one
 * from port 161 in the original direction and one to port 162 in the reply
 * direction, after NAT rewrote its header: a UDP length that is not the
 * packet's makes it drop the packet (`dropping malformed packet`); else,
 * when the connection's original source differs from its reply's
 * destination (a source NAT), it decodes the payload as an SNMPv1 or
 * SNMPv2c message (snmp-ber.ts) and rewrites every IpAddress value equal to
 * the original source into the reply's destination (the translated
 * source), in both directions, fixing the UDP checksum (left 0 when it
 * was 0); the length never changes. A message that does not decode (an
 * SNMPv1 Trap-PDU among them: the kernel's grammar lacks it, a version
 * other than 0 or 1, an IpAddress not four bytes long) makes it drop the
 * packet (`parser failed`).
 */
import { NF_ACCEPT, type Skb } from '../types.js';
import { IPS_DST_NAT, IPS_SRC_NAT, IP_CT_IS_REPLY, type Conn } from './conn.js';
import { broadcastHelp } from './helper-broadcast.js';
import { helperDrop, type Helper, type HelperHost } from './helpers.js';
import { ACT_VERSION, decodeSnmp, type BerAction } from './snmp-ber.js';

const SNMP_PORT = 161;
const SNMP_TRAP_PORT = 162;
/** nf_conntrack_snmp's `timeout` parameter's default (seconds; module-params.ts). */
const TIMEOUT = 30;

/** The translation under way (struct snmp_ctx). */
const ctx = { from: 0, to: 0, begin: 0, check: 0 };

function rd32(d: Uint8Array, off: number): number {
  return ((d[off]! << 24) | (d[off + 1]! << 16) | (d[off + 2]! << 8) | d[off + 3]!) >>> 0;
}

/** Adds the 16-bit words of `w` to a ones' complement sum (end-around carry). */
function add16(sum: number, w: number): number {
  sum += w;
  return (sum & 0xffff) + (sum >>> 16);
}

/**
 * fast_csum: the UDP checksum after the four bytes at `offset` of the
 * payload changed from `from` to `to` (the old bytes' complement and the
 * new bytes added where they lie, at an even or odd offset).
 */
function fastCsum(check: number, offset: number, from: number, to: number): number {
  const s = new Uint8Array(12);
  const f = [from >>> 24, (from >>> 16) & 0xff, (from >>> 8) & 0xff, from & 0xff];
  const t = [to >>> 24, (to >>> 16) & 0xff, (to >>> 8) & 0xff, to & 0xff];
  let size: number;
  if (offset & 1) {
    s[0] = 0xff;
    for (let i = 0; i < 4; i++) s[1 + i] = ~f[i]! & 0xff;
    s[5] = 0xff;
    for (let i = 0; i < 4; i++) s[7 + i] = t[i]!;
    size = 12;
  } else {
    for (let i = 0; i < 4; i++) s[i] = ~f[i]! & 0xff;
    for (let i = 0; i < 4; i++) s[4 + i] = t[i]!;
    size = 8;
  }
  // csum_fold(csum_partial(s, size, ~csum_unfold(check))): the complement's upper half is 0xffff.
  let sum = add16(0xffff, ~check & 0xffff);
  for (let i = 0; i < size; i += 2) sum = add16(sum, (s[i]! << 8) | s[i + 1]!);
  return ~sum & 0xffff;
}

/** The decoder's actions: snmp_version and snmp_helper. */
const actions: BerAction = (act, data, value, vlen) => {
  if (act === ACT_VERSION) {
    if (vlen !== 1) return -22; // -EINVAL
    return data[value]! > 1 ? -524 : 1; // -ENOTSUPP
  }
  if (vlen !== 4) return -22;
  if (rd32(data, value) === ctx.from) {
    if (ctx.check !== 0) ctx.check = fastCsum(ctx.check, (value - ctx.begin) & 0xff, ctx.from, ctx.to);
    const to = ctx.to;
    data[value] = to >>> 24;
    data[value + 1] = (to >>> 16) & 0xff;
    data[value + 2] = (to >>> 8) & 0xff;
    data[value + 3] = to & 0xff;
  }
  return 1;
};

/** nf_nat_snmp_basic's help (nf_nat_snmp_hook), for the entry's helper `h`. */
function snmpNat(h: Helper, skb: Skb, thoff: number, conn: Conn, ctinfo: number): number {
  const d = skb.data;
  if (thoff + 8 > skb.len) return NF_ACCEPT;
  const reply = ctinfo >= IP_CT_IS_REPLY;
  const sport = (d[thoff]! << 8) | d[thoff + 1]!;
  const dport = (d[thoff + 2]! << 8) | d[thoff + 3]!;
  // SNMP replies and originating SNMP traps get mangled.
  if (sport === SNMP_PORT && !reply) return NF_ACCEPT;
  if (dport === SNMP_TRAP_PORT && reply) return NF_ACCEPT;
  if (!(conn.status & (IPS_SRC_NAT | IPS_DST_NAT))) return NF_ACCEPT;
  const udpLen = (d[thoff + 4]! << 8) | d[thoff + 5]!;
  if (udpLen !== skb.totLen - thoff) return helperDrop(h, 'dropping malformed packet');
  // A packet the capture cut short cannot be read whole (the kernel always has all of it).
  if (skb.truncated) return NF_ACCEPT;
  // In both directions: the original source becomes the reply's destination.
  ctx.from = conn.orig.src.w0;
  ctx.to = conn.reply.dst.w0;
  if (ctx.from === ctx.to) return NF_ACCEPT;
  ctx.begin = thoff + 8;
  ctx.check = (d[thoff + 6]! << 8) | d[thoff + 7]!;
  const ret = decodeSnmp(d, thoff + 8, (udpLen - 8) & 0xffff, actions);
  d[thoff + 6] = ctx.check >>> 8;
  d[thoff + 7] = ctx.check & 0xff;
  return ret < 0 ? helperDrop(h, 'parser failed') : NF_ACCEPT;
}

export const snmpTrapHelper: Helper = {
  name: 'snmp_trap',
  proto: 17,
  policy: { maxExpected: 0, timeout: 180 },
  init: () => null,

  help(_host: HelperHost, skb: Skb, thoff: number, conn: Conn, ctinfo: number): number {
    return snmpNat(snmpTrapHelper, skb, thoff, conn, ctinfo);
  },
};

export const snmpHelper: Helper = {
  name: 'snmp',
  proto: 17,
  policy: { maxExpected: 1, timeout: TIMEOUT },
  policyWith: (p) => ({ maxExpected: 1, timeout: p.snmpTimeout }),
  init: () => null,

  help(host: HelperHost, skb: Skb, thoff: number, conn: Conn, ctinfo: number): number {
    broadcastHelp(host, skb, conn, ctinfo, SNMP_PORT, host.params.snmpTimeout);
    if (conn.status & (IPS_SRC_NAT | IPS_DST_NAT)) return snmpNat(snmpHelper, skb, thoff, conn, ctinfo);
    return NF_ACCEPT;
  },
};
