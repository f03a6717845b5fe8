/**
 * The NAT helper API (net/netfilter/nf_nat_helper.c): what the NAT side of
 * a conntrack helper uses to rewrite the addresses and ports an application
 * protocol carries in its payload, and to have the connection it announces
 * translated as its master is.
 *
 * How a helper uses it (nf_nat_ftp is the model; see helper-ftp.ts here):
 *
 * 1. The conntrack helper (src/netfilter/conntrack/helper-NAME.ts) parses
 *    the packet at the confirm hook, after NAT rewrote its header, and
 *    builds its `Expectation`. When the entry is NATed
 *    (`conn.status & (IPS_SRC_NAT | IPS_DST_NAT)`) and its NAT hook is set,
 *    it hands the expectation to the hook instead of calling
 *    `host.expectRelated` itself (the kernel's `nf_nat_NAME_hook`). A hook
 *    slot is a plain exported object in the conntrack helper's module
 *    (`ftpNatHook.fn`), filled when this folder's `helper-registry.ts` is
 *    loaded: the NAT core imports it, so the hooks are set whenever NAT
 *    can be (as with a kernel that has the NAT helpers built in).
 * 2. The hook sets `exp.savedProto` (the port the connection is really
 *    for), `exp.dir` (the master's direction the expected connection goes
 *    in) and `exp.expectfn = followMaster`, then registers the expectation:
 *    `expFindPort` for a port of the NAT side's choosing (the same port,
 *    else random ones: 128 tries), or `host.expectRelated` directly.
 * 3. It rewrites the payload with `mangleTcpPacket` or `mangleUdpPacket`
 *    (offsets relative to the transport payload): the packet is resized,
 *    the IP length, the IP header checksum and the transport checksum are
 *    made right, and for TCP a length change is recorded in the entry's
 *    sequence adjustment (conntrack/seqadj.ts), which then shifts every
 *    later packet's sequence and acknowledgement numbers (SACK blocks too)
 *    in both directions and keeps the TCP tracker's window right.
 * 4. On failure it returns `helperDrop(helper, "all ports in use")` or
 *    `"cannot mangle packet"` (after `host.unexpectRelated(exp)`), the
 *    kernel's nf_ct_helper_log texts.
 *
 * When the expected connection arrives, conntrack calls `exp.expectfn`
 * (`followMaster`) on its new entry before the nat table could see it:
 * both of its sides are bound then (nf_nat_setup_info), so the nat table's
 * rules never see the data connection, as in the kernel.
 */
import { Family } from '../../packet/inet-addr.js';
import { l4Checksum, l4Checksum6, setIPv4Checksum } from '../../packet/checksum.js';
import type { Conn } from '../conntrack/conn.js';
import type { Expectation, HelperHost } from '../conntrack/helpers.js';
import { seqadjSet } from '../conntrack/seqadj.js';
import type { Skb } from '../types.js';
import { Manip, NF_NAT_RANGE_MAP_IPS, NF_NAT_RANGE_PROTO_SPECIFIED } from './range.js';

const enc = new TextEncoder();

/** The bytes of a replacement text (ASCII, as the kernel's snprintf writes it). */
export function ascii(text: string): Uint8Array {
  return enc.encode(text);
}

/** -EBUSY: the expectation clashes with another master's. */
const EBUSY = -16;

/**
 * mangle_contents (with enlarge_skb's limit): replaces `matchlen` bytes at
 * `dataoff + matchoff` with `rep`, moving the rest of the packet, and
 * writes the new IP length (and the IPv4 header checksum). The packet
 * record's buffer is replaced when the packet grows past it. False when
 * the packet would pass 65,535 bytes or is cut short (the capture's
 * snaplen: its end is unknown).
 */
function mangleContents(skb: Skb, dataoff: number, matchoff: number, matchlen: number, rep: Uint8Array): boolean {
  const len = skb.len;
  const at = dataoff + matchoff;
  if (skb.truncated || at + matchlen > len) return false;
  const newLen = len + rep.length - matchlen;
  const v6 = skb.family === Family.V6;
  if ((v6 ? newLen - 40 : newLen) > 65535) return false;
  let d = skb.data;
  if (newLen > d.length) {
    const grown = new Uint8Array(newLen);
    grown.set(d.subarray(0, at), 0);
    grown.set(d.subarray(at + matchlen, len), at + rep.length);
    d = grown;
    skb.data = grown;
  } else {
    d.copyWithin(at + rep.length, at + matchlen, len);
  }
  d.set(rep, at);
  skb.len = newLen;
  skb.totLen = newLen;
  if (v6) {
    d[4] = (newLen - 40) >> 8;
    d[5] = (newLen - 40) & 0xff;
  } else {
    d[2] = newLen >> 8;
    d[3] = newLen & 0xff;
    setIPv4Checksum(d);
  }
  return true;
}

/**
 * nf_nat_csum_recalc: the kernel leaves the transport checksum to the
 * device (CHECKSUM_PARTIAL); cofw's packets leave finished, so it is
 * computed here over the new length. UDP's zero result is sent as 0xffff.
 */
function recalcChecksum(skb: Skb, protoff: number, proto: number, at: number): void {
  const d = skb.data;
  d[at] = 0;
  d[at + 1] = 0;
  const l4len = skb.len - protoff;
  let c = skb.family === Family.V6 ? l4Checksum6(d, protoff, l4len, proto) : l4Checksum(d, protoff, l4len, proto);
  if (proto === 17 && c === 0) c = 0xffff;
  d[at] = c >> 8;
  d[at + 1] = c & 0xff;
}

/**
 * __nf_nat_mangle_tcp_packet: replaces `matchlen` bytes of the TCP payload
 * at `matchoff` (from the payload's start) with `rep`, fixes the lengths
 * and checksums, and (with `adjust`, the default) records a length change
 * in the entry's sequence adjustment at this segment's sequence number.
 * False when the packet cannot be rewritten (the caller drops it).
 */
export function mangleTcpPacket(
  skb: Skb,
  conn: Conn,
  ctinfo: number,
  protoff: number,
  matchoff: number,
  matchlen: number,
  rep: Uint8Array,
  adjust = true,
): boolean {
  if (protoff + 20 > skb.len) return false;
  const dataoff = protoff + (skb.data[protoff + 12]! >> 4) * 4;
  if (!mangleContents(skb, dataoff, matchoff, matchlen, rep)) return false;
  recalcChecksum(skb, protoff, 6, protoff + 16);
  if (adjust && rep.length !== matchlen) {
    const d = skb.data;
    const seq = ((d[protoff + 4]! << 24) | (d[protoff + 5]! << 16) | (d[protoff + 6]! << 8) | d[protoff + 7]!) >>> 0;
    seqadjSet(conn, ctinfo, seq, rep.length - matchlen);
  }
  return true;
}

/**
 * nf_nat_mangle_udp_packet: replaces `matchlen` bytes of the UDP payload at
 * `matchoff` with `rep`, writes the UDP length and, unless the datagram
 * had no checksum (IPv4's zero), computes its checksum again. False when
 * the packet cannot be rewritten.
 */
export function mangleUdpPacket(skb: Skb, _conn: Conn, _ctinfo: number, protoff: number, matchoff: number, matchlen: number, rep: Uint8Array): boolean {
  if (protoff + 8 > skb.len) return false;
  if (!mangleContents(skb, protoff + 8, matchoff, matchlen, rep)) return false;
  const d = skb.data;
  const ulen = skb.len - protoff;
  d[protoff + 4] = ulen >> 8;
  d[protoff + 5] = ulen & 0xff;
  if ((d[protoff + 6]! | d[protoff + 7]!) === 0 && skb.family === Family.V4) return true;
  recalcChecksum(skb, protoff, 17, protoff + 6);
  return true;
}

/**
 * nf_nat_follow_master, an expectation's `expectfn`: the new entry's source
 * becomes the address its master sends to in the expected direction
 * (`exp.dir`), and its destination the master's source there, on the
 * port saved in `exp.savedProto`. Both sides are bound before the entry's
 * first packet reaches a nat table (a binding that finds no free tuple
 * makes the entry clash when confirmed, and the packet is dropped).
 */
export function followMaster(host: HelperHost, conn: Conn, exp: Expectation): void {
  const nat = host.nat;
  const master = conn.master;
  if (nat === null || master === null) return;
  const t = master.tuple(exp.dir ^ 1);
  nat.setup(conn, { flags: NF_NAT_RANGE_MAP_IPS, minAddr: t.dst, maxAddr: t.dst, minProto: 0, maxProto: 0, baseProto: 0 }, Manip.Src);
  nat.setup(
    conn,
    {
      flags: NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED,
      minAddr: t.src,
      maxAddr: t.src,
      minProto: exp.savedProto,
      maxProto: exp.savedProto,
      baseProto: 0,
    },
    Manip.Dst,
  );
}

/** How many random ports nf_nat_exp_find_port tries after the first. */
const MAX_ATTEMPTS = 128;

/**
 * nf_nat_exp_find_port: registers `exp` for destination port `port`, or,
 * while the expectation clashes with another master's (-EBUSY), for up to
 * 128 ports drawn at random from [port, 65534] (from the NAT core's seeded
 * generator, where the kernel draws its own). The port it got, or 0 (none
 * free, or another error: the caller drops the packet, "all ports in use").
 */
export function expFindPort(host: HelperHost, exp: Expectation, port: number): number {
  const min = port;
  const range = 65535 - port;
  let attemptsLeft = Math.min(range, MAX_ATTEMPTS);
  for (;;) {
    exp.dport = port;
    const res = host.expectRelated(exp);
    if (res === 0) return port;
    if (res !== EBUSY || --attemptsLeft < 0) break;
    port = min + ((host.nat?.random() ?? 0) % range);
  }
  return 0;
}
