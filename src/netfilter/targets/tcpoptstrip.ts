/**
 * TCPOPTSTRIP (net/netfilter/xt_TCPOPTSTRIP.c; iptables
 * extensions/libxt_TCPOPTSTRIP.c): overwrites the named TCP options with
 * NOPs (kind 1), in both families, in the mangle table only.
 *
 * tcpoptstrip_mangle_packet: a non-first fragment passes untouched; a
 * packet whose fixed TCP header is missing, whose data offset is below 5,
 * or whose options run past the packet is dropped. The options are walked
 * from byte 20 while at least two bytes of the header are left (an option
 * in the header's very last byte is never looked at): an End of option
 * list, a NOP, or an option whose length byte is 0 counts one byte (the
 * walk does not stop at End of option list); an option whose length runs
 * past the header ends the walk. Every byte of a selected option becomes a
 * NOP, the TCP checksum updated byte by byte as inet_proto_csum_replace2
 * does (each byte in its half of a 16-bit word). The segment's length, data
 * offset and IP header stay as they were. IPv6 finds the TCP header as
 * ipv6_skip_exthdr does; the rule's `-p tcp` means the chain ended in TCP.
 *
 * Load-time rules (iptables 1.8.9 with nf_tables, recorded): the rule needs
 * `-p tcp` (not inverted; xt_check_target's protocol check, "RULE_APPEND
 * failed (Invalid argument)"), in the mangle table. `--strip-options`
 * takes a comma-separated list of option kinds 2-255 (xtables_strtoui, base
 * 0) or the names wscale, mss, sack-permitted, sack, timestamp, md5; each at
 * most once; the option itself at most once, and it may be left out (then
 * nothing is stripped and iptables-save prints no option). iptables-save
 * prints the kinds in ascending numeric order.
 *
 * @example
 * -t mangle -A FORWARD -p tcp -j TCPOPTSTRIP --strip-options sack-permitted,timestamp
 */
import { NF_DROP, XT_CONTINUE, type Skb, type XtParams } from '../types.js';
import { xtStrtoulAll } from '../args.js';
import { CheckError, defineTarget, OptionError, type OptionUse } from '../xt.js';
import { csumReplaceByte } from './xt-util.js';

const TCPOPT_NOP = 1;

/** tcp_optionmap: the names libxt_TCPOPTSTRIP accepts, in its order. */
const OPTION_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['wscale', 3],
  ['mss', 2],
  ['sack-permitted', 4],
  ['sack', 5],
  ['timestamp', 8],
  ['md5', 19],
];

export interface TcpoptstripConfig {
  /** strip_bmap: bit `kind` set for every option kind to strip (256 entries). */
  readonly strip: Uint8Array;
}

/** parse_list: the comma-separated kinds or names of `--strip-options`. */
export function parseStripList(arg: string, use?: OptionUse): Uint8Array {
  const strip = new Uint8Array(256);
  for (const word of arg.split(',')) {
    const kind = uintOrName(word, use);
    if (kind < 2) throw new OptionError('Option value may not be 0 or 1', use);
    if (strip[kind]) throw new OptionError(`Option "${word}" already specified`, use);
    strip[kind] = 1;
  }
  return strip;
}

function uintOrName(word: string, use?: OptionUse): number {
  const named = OPTION_NAMES.find(([n]) => n === word);
  if (named) return named[1];
  const n = xtStrtoulAll(word, 255);
  if (n === undefined) throw new OptionError(`Bad TCP option value "${word}"`, use);
  return n;
}

export const tcpoptstripTarget = defineTarget<TcpoptstripConfig>({
  name: 'TCPOPTSTRIP',
  tables: ['mangle'],
  options: [{ name: 'strip-options', args: 1 }],

  parse(uses) {
    let strip: Uint8Array = new Uint8Array(256);
    for (const u of uses) {
      if (u.invert) throw new OptionError('TCPOPTSTRIP: option "--strip-options" cannot be inverted.', u);
      strip = parseStripList(u.args[0] ?? '', u);
    }
    return { strip };
  },

  check(_config, ctx) {
    if (ctx.head.proto !== 6 || ctx.head.invProto) throw new CheckError('TCPOPTSTRIP target: only valid for protocol 6 (add -p tcp)');
  },

  target(config, skb, par) {
    const r = strip(config.strip, skb, par);
    if (r === NF_DROP && skb.truncated) par.hotdrop = true;
    return r;
  },

  save(config) {
    const kinds: number[] = [];
    for (let k = 0; k < 256; k++) if (config.strip[k]) kinds.push(k);
    return kinds.length ? `--strip-options ${kinds.join(',')}` : '';
  },
});

/** tcpoptstrip_mangle_packet. */
function strip(bmap: Uint8Array, skb: Skb, _par: XtParams): number {
  if (skb.fragoff !== 0) return XT_CONTINUE;
  // IPv6: ipv6_skip_exthdr failing (a chain past the packet) drops the packet.
  if (skb.protocol < 0) return NF_DROP;
  const th = skb.thoff;
  if (th + 20 > skb.len) return NF_DROP;
  const ip = skb.data;
  const hdrlen = (ip[th + 12]! >> 4) * 4;
  if (hdrlen < 20) return NF_DROP;
  // skb_ensure_writable(skb, tcphoff + tcp_hdrlen): the options must be in the packet.
  if (th + hdrlen > skb.len) return NF_DROP;
  const ck = th + 16;
  for (let i = 20; i < hdrlen - 1;) {
    const kind = ip[th + i]!;
    const optl = kind <= TCPOPT_NOP || ip[th + i + 1] === 0 ? 1 : ip[th + i + 1]!;
    if (i + optl > hdrlen) break;
    if (bmap[kind]) {
      for (let j = 0; j < optl; j++) {
        const at = th + i + j;
        csumReplaceByte(ip, ck, (i + j) % 2 === 1, ip[at]!, TCPOPT_NOP);
        ip[at] = TCPOPT_NOP;
      }
    }
    i += optl;
  }
  return XT_CONTINUE;
}
