/**
 * `-m policy` (xt_policy.c / libxt_policy.c): the IPsec policy a packet
 * was decapsulated by (`--dir in`: its sec_path) or will be encapsulated
 * by (`--dir out`: the xfrm bundle of its route). `--pol none` matches a
 * packet without one, `--pol ipsec` a packet with one whose states fit the
 * policy elements: `[!] --reqid`, `[!] --spi`, `[!] --proto ah|esp|ipcomp`,
 * `[!] --mode tunnel|transport`, `[!] --tunnel-src`, `[!] --tunnel-dst`,
 * with `--strict` the whole policy element by element (`--next` starts the
 * next one, up to four).
 *
 * cofw's guest has no xfrm states or policies, as a host without IPsec
 * configured: no packet has a sec_path or an xfrm bundle, so policy_mt
 * sees none (-1) and the rule matches exactly when it says `--pol none`,
 * whatever its elements say. Every rule iptables loads is loaded, parsed,
 * saved and refused as iptables 1.8.9 and the kernel do: `--dir out` is
 * refused in chains reached from PREROUTING and INPUT, `--dir in` in chains
 * reached from OUTPUT and POSTROUTING (policy_mt_check, both families).
 *
 * @example
 * -A INPUT -m policy --dir in --pol ipsec --proto esp -j ACCEPT   # never matches here
 * -A FORWARD -m policy --dir out --pol none -j DROP                # every packet
 */
import { Family, familyBits, parseInetAddr, type InetAddr } from '../../packet/inet-addr.js';
import { hostAddr, parsePlen, plenError, plenMask, splitRange, uintArg, xtStrtoulAll } from '../args.js';
import { Hook } from '../types.js';
import { CheckError, OptionError, defineMatch, hookBits, type OptionSpec, type OptionUse } from '../xt.js';

/** XT_POLICY_MAX_ELEM. */
const MAX_ELEM = 4;

export interface PolicyAddr {
  readonly addr: InetAddr;
  readonly mask: InetAddr;
  readonly invert: boolean;
}

/** One policy element (xt_policy_elem): each test present only when given. */
export interface PolicyElem {
  reqid?: { value: number; invert: boolean };
  spi?: { value: number; invert: boolean };
  proto?: { value: number; invert: boolean };
  mode?: { tunnel: boolean; invert: boolean };
  src?: PolicyAddr;
  dst?: PolicyAddr;
}

export interface PolicyConfig {
  readonly dir: 'in' | 'out';
  /** `--pol none` (XT_POLICY_MATCH_NONE); `--pol ipsec` otherwise. */
  readonly none: boolean;
  readonly strict: boolean;
  /** The elements the kernel holds (info->len of them; none with `--pol none`). */
  readonly elems: readonly PolicyElem[];
}

const ELEM_OPTIONS = ['reqid', 'spi', 'proto', 'mode', 'tunnel-src', 'tunnel-dst'];

const OPTIONS: readonly OptionSpec[] = [
  { name: 'dir', args: 1 },
  { name: 'pol', args: 1 },
  { name: 'strict', args: 0 },
  ...ELEM_OPTIONS.map((name) => ({ name, args: 1 as const, invert: true, repeat: true })),
  { name: 'next', args: 0, repeat: true },
];

/** IPPROTO_AH, IPPROTO_ESP, IPPROTO_COMP and the names iptables-save prints for them (getprotobynumber). */
const IPSEC_PROTOS = new Map<number, string>([
  [51, 'ah'],
  [50, 'esp'],
  [108, 'ipcomp'],
]);

/** The names getprotobyname knows for them in Debian's /etc/protocols: exact, with their aliases. */
const IPSEC_NAMES = new Map<string, number>([
  ['ah', 51],
  ['IPSEC-AH', 51],
  ['esp', 50],
  ['IPSEC-ESP', 50],
  ['ipcomp', 108],
  ['IPCOMP', 108],
]);

/** Every name getprotobyname finds in Debian's /etc/protocols (names and aliases, exact case), and xtables_chain_protos' own. */
const PROTOCOL_NAMES = new Set(
  (
    'ip IP hopopt HOPOPT icmp ICMP igmp IGMP ggp GGP ipencap IP-ENCAP st ST tcp TCP egp EGP igp IGP pup PUP udp UDP hmp HMP ' +
    'xns-idp XNS-IDP rdp RDP iso-tp4 ISO-TP4 dccp DCCP xtp XTP ddp DDP idpr-cmtp IDPR-CMTP ipv6 IPv6 ipv6-route IPv6-Route ' +
    'ipv6-frag IPv6-Frag idrp IDRP rsvp RSVP gre GRE esp IPSEC-ESP ah IPSEC-AH skip SKIP ipv6-icmp IPv6-ICMP ipv6-nonxt ' +
    'IPv6-NoNxt ipv6-opts IPv6-Opts rspf RSPF CPHB vmtp VMTP eigrp EIGRP ospf OSPFIGP ax.25 AX.25 ipip IPIP etherip ETHERIP ' +
    'encap ENCAP pim PIM ipcomp IPCOMP vrrp VRRP l2tp L2TP isis ISIS sctp SCTP fc FC mobility-header Mobility-Header udplite ' +
    'UDPLite mpls-in-ip MPLS-in-IP manet hip HIP shim6 Shim6 wesp WESP rohc ROHC ethernet Ethernet mptcp MPTCP icmpv6 ipv6-mh mh'
  ).split(' '),
);

/**
 * xtables_parse_protocol: a number 0-255, `all` (0), or a name; then
 * libxt_policy's own check that it is AH, ESP or IPComp.
 */
function parseIpsecProto(use: OptionUse): number {
  const text = use.args[0] ?? '';
  const n = xtStrtoulAll(text, 255) ?? (text === 'all' ? 0 : IPSEC_NAMES.get(text));
  if (n === undefined) {
    // Another protocol's name or alias is known (then refused below); anything else is unknown.
    if (!PROTOCOL_NAMES.has(text)) throw new OptionError(`unknown protocol "${text}" specified`, use);
    throw new OptionError('policy match: protocol must be ah/esp/ipcomp', use);
  }
  if (!IPSEC_PROTOS.has(n)) throw new OptionError('policy match: protocol must be ah/esp/ipcomp', use);
  return n;
}

/** XTTYPE_HOSTMASK: a numeric host of the family, then an optional prefix length or mask (a mask with holes keeps the host mask). */
function parseHostMask(use: OptionUse, family: Family): PolicyAddr {
  const [host, m] = splitRange(use.args[0] ?? '', '/');
  const addr = hostAddr(host, family);
  if (addr === undefined) {
    const other = parseInetAddr(host);
    if (other && other.family !== family) throw new OptionError('getaddrinfo: Address family for hostname not supported', use);
    throw new OptionError(`getaddrinfo: Name or service not known (${host}: write a numeric address)`, use);
  }
  let plen = familyBits(family);
  if (m !== undefined) {
    const n = parsePlen(m, family);
    if (n === undefined) throw plenError('policy', use, family);
    plen = n;
  }
  return { addr, mask: plenMask(family, plen), invert: use.invert };
}

function formatAddr(a: PolicyAddr): string {
  const p = a.mask.prefixLength();
  return `${a.addr.toString()}${p >= 0 && p < familyBits(a.mask.family) ? `/${p}` : ''}`;
}

const IN_HOOKS = hookBits(Hook.PreRouting, Hook.LocalIn);
const OUT_HOOKS = hookBits(Hook.PostRouting, Hook.LocalOut);

export const policyMatch = defineMatch<PolicyConfig>({
  name: 'policy',
  options: OPTIONS,
  parse(uses, ctx) {
    let dir: 'in' | 'out' | undefined;
    let none = false;
    let strict = false;
    const elems: PolicyElem[] = [{}];
    for (const u of uses) {
      const e = elems[elems.length - 1]!;
      const a = u.args[0] ?? '';
      const once = (field: keyof PolicyElem, name: string): void => {
        if (e[field] !== undefined) throw new OptionError(`policy match: double --${name} option`, u);
      };
      switch (u.spec.name) {
        case 'dir':
          if (a !== 'in' && a !== 'out') throw new OptionError(`policy_match: invalid dir "${a}"`, u);
          dir = a;
          break;
        case 'pol':
          if (a === 'none') none = true;
          else if (a !== 'ipsec') throw new OptionError(`policy match: invalid policy "${a}"`, u);
          break;
        case 'strict':
          strict = true;
          break;
        case 'reqid':
          once('reqid', 'reqid');
          e.reqid = { value: uintArg('policy', u, 0, 0xffffffff), invert: u.invert };
          break;
        case 'spi':
          once('spi', 'spi');
          e.spi = { value: uintArg('policy', u, 0, 0xffffffff), invert: u.invert };
          break;
        case 'tunnel-src':
          once('src', 'tunnel-src');
          e.src = parseHostMask(u, ctx.family);
          break;
        case 'tunnel-dst':
          once('dst', 'tunnel-dst');
          e.dst = parseHostMask(u, ctx.family);
          break;
        case 'proto':
          once('proto', 'proto');
          e.proto = { value: parseIpsecProto(u), invert: u.invert };
          break;
        case 'mode':
          once('mode', 'mode');
          if (a !== 'tunnel' && a !== 'transport') throw new OptionError(`policy match: invalid mode "${a}"`, u);
          e.mode = { tunnel: a === 'tunnel', invert: u.invert };
          break;
        case 'next':
          if (elems.length === MAX_ELEM) throw new OptionError('policy match: maximum policy depth reached', u);
          elems.push({});
          break;
      }
    }
    // policy_check, then the option table's own rules (--next also requires --strict).
    if (dir === undefined) throw new OptionError('policy match: neither --dir in nor --dir out specified');
    if (none) {
      if (strict) throw new OptionError('policy match: policy none but --strict given');
      if (elems.length > 1) throw new OptionError('policy match: policy none but policy given');
    }
    const kept = none ? [] : elems;
    kept.forEach((e, i) => {
      if (strict && Object.keys(e).length === 0) {
        throw new OptionError(
          `policy match: empty policy element ${i}. --strict is in effect, but at least one of reqid, spi, tunnel-src, tunnel-dst, proto or mode is required.`,
        );
      }
      // An element without --mode is a transport one (XT_POLICY_MODE_TRANSPORT is 0).
      const tunnel = e.mode ? e.mode.tunnel !== e.mode.invert : false;
      if ((e.src || e.dst) && !tunnel) throw new OptionError('policy match: --tunnel-src/--tunnel-dst is only valid in tunnel mode');
    });
    const next = uses.find((u) => u.spec.name === 'next');
    if (next && !strict) throw new OptionError('policy: option "--next" also requires "--strict".', next);
    return { dir, none, strict, elems: kept };
  },
  check(c, ctx) {
    // policy_mt_check: the direction against the hooks the chain is reached from.
    if (c.dir === 'out' && ctx.hookMask & IN_HOOKS) throw new CheckError('xt_policy: output policy not valid in PREROUTING and INPUT');
    if (c.dir === 'in' && ctx.hookMask & OUT_HOOKS) throw new CheckError('xt_policy: input policy not valid in POSTROUTING and OUTPUT');
  },
  save(c) {
    const parts = [`--dir ${c.dir}`, `--pol ${c.none ? 'none' : 'ipsec'}`];
    if (c.strict) parts.push('--strict');
    c.elems.forEach((e, i) => {
      const inv = (x: { invert: boolean }): string => (x.invert ? '! ' : '');
      if (e.reqid) parts.push(`${inv(e.reqid)}--reqid ${e.reqid.value}`);
      if (e.spi) parts.push(`${inv(e.spi)}--spi 0x${e.spi.value.toString(16)}`);
      if (e.proto) parts.push(`${inv(e.proto)}--proto ${IPSEC_PROTOS.get(e.proto.value) ?? e.proto.value}`);
      if (e.mode) parts.push(`${inv(e.mode)}--mode ${e.mode.tunnel ? 'tunnel' : 'transport'}`);
      if (e.dst) parts.push(`${inv(e.dst)}--tunnel-dst ${formatAddr(e.dst)}`);
      if (e.src) parts.push(`${inv(e.src)}--tunnel-src ${formatAddr(e.src)}`);
      if (i + 1 < c.elems.length) parts.push('--next');
    });
    return parts.join(' ');
  },
  match(c) {
    // No sec_path, no xfrm bundle: policy_mt's -1, which only `--pol none` matches.
    return c.none;
  },
});
