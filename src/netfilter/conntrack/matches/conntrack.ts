/**
 * `-m conntrack` (xt_conntrack.c revision 3, libxt_conntrack.c): the
 * packet's state (`--ctstate`, with SNAT and DNAT), the entry's protocol,
 * addresses and ports of both directions, status bits, remaining lifetime
 * and the packet's direction. Every option but `--ctdir` takes `!`.
 *
 * A packet without an entry (INVALID or UNTRACKED) matches only through
 * `--ctstate`; with any other option alone it does not match.
 *
 * Canonical save text (as iptables-save 1.8.9 prints it): options in the
 * order ctstate, ctproto (a number), ctorigsrc, ctorigdst, ctreplsrc,
 * ctrepldst, the four ports, ctstatus, ctexpire, ctdir; addresses with
 * `/len` unless /32, unmasked; ranges `a:b`, a single value alone.
 *
 * @example
 * -m conntrack --ctstate RELATED,ESTABLISHED
 * -m conntrack --ctstate NEW --ctproto 6 --ctorigdstport 22 --ctdir ORIGINAL
 */
import { Family, familyBits, familyName, type InetAddr } from '../../../packet/inet-addr.js';
import { hostAddr, parsePlen, parseUintRange, plenError, plenMask, splitRange } from '../../args.js';
import { HZ } from '../../clock.js';
import { parseProtocol } from '../../names.js';
import { OptionError, defineMatch, type OptionSpec, type OptionUse } from '../../xt.js';
import { SVC_SCTP, SVC_TCP, SVC_UDP, checkUses, serviceToPort } from '../../matches/util.js';
import type { Skb, XtParams } from '../../types.js';
import { Conn, IPS_ASSURED, IPS_CONFIRMED, IPS_DST_NAT, IPS_EXPECTED, IPS_SEEN_REPLY, IPS_SRC_NAT, IP_CT_IS_REPLY } from '../conn.js';
import { ST_DNAT, ST_SNAT, formatStates, parseStates, stateBit } from './states.js';

interface AddrTest {
  /** The address as written (not masked: the kernel compares `(addr ^ tuple) & mask`). */
  readonly addr: InetAddr;
  readonly mask: InetAddr;
  readonly invert: boolean;
}

interface RangeTest {
  readonly lo: number;
  readonly hi: number;
  readonly invert: boolean;
}

export interface ConntrackConfig {
  readonly state: { readonly mask: number; readonly invert: boolean } | null;
  readonly proto: { readonly value: number; readonly invert: boolean } | null;
  readonly origSrc: AddrTest | null;
  readonly origDst: AddrTest | null;
  readonly replSrc: AddrTest | null;
  readonly replDst: AddrTest | null;
  readonly origSrcPort: RangeTest | null;
  readonly origDstPort: RangeTest | null;
  readonly replSrcPort: RangeTest | null;
  readonly replDstPort: RangeTest | null;
  readonly status: { readonly mask: number; readonly invert: boolean } | null;
  readonly expire: RangeTest | null;
  /** 0 ORIGINAL, 1 REPLY, or null. */
  readonly dir: 0 | 1 | null;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'ctstate', args: 1, invert: true },
  { name: 'ctproto', args: 1, invert: true },
  { name: 'ctorigsrc', args: 1, invert: true },
  { name: 'ctorigdst', args: 1, invert: true },
  { name: 'ctreplsrc', args: 1, invert: true },
  { name: 'ctrepldst', args: 1, invert: true },
  { name: 'ctorigsrcport', args: 1, invert: true },
  { name: 'ctorigdstport', args: 1, invert: true },
  { name: 'ctreplsrcport', args: 1, invert: true },
  { name: 'ctrepldstport', args: 1, invert: true },
  { name: 'ctstatus', args: 1, invert: true },
  { name: 'ctexpire', args: 1, invert: true },
  { name: 'ctdir', args: 1 },
];

const STATUS_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['EXPECTED', IPS_EXPECTED],
  ['SEEN_REPLY', IPS_SEEN_REPLY],
  ['ASSURED', IPS_ASSURED],
  ['CONFIRMED', IPS_CONFIRMED],
];

function parseStatus(text: string, use: OptionUse): number {
  let mask = 0;
  for (const part of text.split(',')) {
    const up = part.toUpperCase();
    if (up === 'NONE') continue;
    const e = STATUS_NAMES.find(([n]) => n === up);
    if (!e) throw new OptionError(`Bad ctstatus "${part}"; expected NONE, EXPECTED, SEEN_REPLY, ASSURED or CONFIRMED`, use);
    mask |= e[1];
  }
  return mask;
}

function formatStatus(mask: number): string {
  if (mask === 0) return 'NONE';
  return STATUS_NAMES.filter(([, b]) => mask & b)
    .map(([n]) => n)
    .join(',');
}

/**
 * XTTYPE_HOSTMASK (xtopt_parse_hostmask): a numeric host of the rule file's
 * family as getaddrinfo reads it (IPv4 with inet_aton, so `10.1` is
 * 10.0.0.1; IPv6 with inet_pton), then an optional `/` and a prefix length
 * or a mask written as an address (xtopt_parse_plenmask). A mask with holes
 * leaves the host mask, as the kernel ends up holding (iptables-save prints
 * such a rule without a mask).
 */
function parseAddr(use: OptionUse, family: Family): AddrTest {
  const [host, m] = splitRange(use.args[0]!, '/');
  const addr = hostAddr(host, family);
  if (addr === undefined) {
    throw new OptionError(`getaddrinfo: Name or service not known (${host}: write a numeric ${familyName(family)} address)`, use);
  }
  let plen = familyBits(family);
  if (m !== undefined) {
    const n = parsePlen(m, family);
    if (n === undefined) throw plenError('conntrack', use, family);
    plen = n;
  }
  return { addr, mask: plenMask(family, plen), invert: use.invert };
}

function formatAddr(a: AddrTest): string {
  const p = a.mask.prefixLength();
  const host = a.mask.family === Family.V6 ? 128 : 32;
  return `${a.invert ? '! ' : ''}${a.addr.toString()}${p >= 0 && p < host ? `/${p}` : ''}`;
}

function parsePort(text: string, use: OptionUse): number {
  if (/^\d+$/.test(text)) return Number(text) & 0xffff;
  const p = serviceToPort(text, SVC_TCP | SVC_UDP | SVC_SCTP);
  if (p === undefined) throw new OptionError(`invalid port/service \`${text}' specified; expected a number 0-65535 or a service name`, use);
  return p;
}

/** `--ctexpire a[:b]`: XTTYPE_UINT32RC (xtopt_parse_mint). */
function parseExpire(use: OptionUse): RangeTest {
  const [lo, hi] = parseUintRange('conntrack', use, 0xffffffff);
  return { lo, hi, invert: use.invert };
}

/** A port range `a[:b]`, each port a number (kept to 16 bits) or a service name. */
function parseRange(use: OptionUse): RangeTest {
  const text = use.args[0]!;
  const max = 65535;
  const one = (t: string, dflt: number): number => (t === '' ? dflt : parsePort(t, use));
  const colon = text.indexOf(':');
  if (colon < 0) {
    const v = one(text, -1);
    if (v < 0) throw new OptionError(`conntrack: bad value for option "--${use.spec.name}"`, use);
    return { lo: v, hi: v, invert: use.invert };
  }
  return { lo: one(text.slice(0, colon), 0), hi: one(text.slice(colon + 1), max), invert: use.invert };
}

function formatRange(r: RangeTest): string {
  return `${r.invert ? '! ' : ''}${r.lo === r.hi ? r.lo : `${r.lo}:${r.hi}`}`;
}

export const conntrackMatch = defineMatch<ConntrackConfig>({
  name: 'conntrack',
  options: OPTIONS,
  parse(uses, ctx) {
    checkUses('conntrack', uses);
    if (uses.length === 0) throw new OptionError('conntrack: At least one option is required (e.g. --ctstate RELATED,ESTABLISHED)');
    const c: { -readonly [K in keyof ConntrackConfig]: ConntrackConfig[K] } = {
      state: null,
      proto: null,
      origSrc: null,
      origDst: null,
      replSrc: null,
      replDst: null,
      origSrcPort: null,
      origDstPort: null,
      replSrcPort: null,
      replDstPort: null,
      status: null,
      expire: null,
      dir: null,
    };
    for (const u of uses) {
      const a = u.args[0]!;
      switch (u.spec.name) {
        case 'ctstate':
          c.state = { mask: parseStates(a, true, 'ctstate', u), invert: u.invert };
          break;
        case 'ctproto': {
          const p = parseProtocol(a);
          if (p === undefined) throw new OptionError(`unknown protocol "${a}" specified; expected a name such as tcp, udp, icmp or a number 0-255`, u);
          c.proto = { value: p, invert: u.invert };
          break;
        }
        case 'ctorigsrc':
          c.origSrc = parseAddr(u, ctx.family);
          break;
        case 'ctorigdst':
          c.origDst = parseAddr(u, ctx.family);
          break;
        case 'ctreplsrc':
          c.replSrc = parseAddr(u, ctx.family);
          break;
        case 'ctrepldst':
          c.replDst = parseAddr(u, ctx.family);
          break;
        case 'ctorigsrcport':
          c.origSrcPort = parseRange(u);
          break;
        case 'ctorigdstport':
          c.origDstPort = parseRange(u);
          break;
        case 'ctreplsrcport':
          c.replSrcPort = parseRange(u);
          break;
        case 'ctrepldstport':
          c.replDstPort = parseRange(u);
          break;
        case 'ctstatus':
          c.status = { mask: parseStatus(a, u), invert: u.invert };
          break;
        case 'ctexpire':
          c.expire = parseExpire(u);
          break;
        case 'ctdir': {
          const up = a.toUpperCase();
          if (up === 'ORIGINAL') c.dir = 0;
          else if (up === 'REPLY') c.dir = 1;
          else throw new OptionError(`conntrack: Bad value for "--ctdir" option: "${a}"; expected ORIGINAL or REPLY`, u);
          break;
        }
      }
    }
    return c;
  },
  save(c) {
    const out: string[] = [];
    if (c.state) out.push(`${c.state.invert ? '! ' : ''}--ctstate ${formatStates(c.state.mask)}`);
    if (c.proto) out.push(`${c.proto.invert ? '! ' : ''}--ctproto ${c.proto.value}`);
    if (c.origSrc) out.push(`${c.origSrc.invert ? '! ' : ''}--ctorigsrc ${formatAddr({ ...c.origSrc, invert: false })}`);
    if (c.origDst) out.push(`${c.origDst.invert ? '! ' : ''}--ctorigdst ${formatAddr({ ...c.origDst, invert: false })}`);
    if (c.replSrc) out.push(`${c.replSrc.invert ? '! ' : ''}--ctreplsrc ${formatAddr({ ...c.replSrc, invert: false })}`);
    if (c.replDst) out.push(`${c.replDst.invert ? '! ' : ''}--ctrepldst ${formatAddr({ ...c.replDst, invert: false })}`);
    const port = (name: string, r: RangeTest | null): void => {
      if (r) out.push(`${r.invert ? '! ' : ''}--${name} ${formatRange({ ...r, invert: false })}`);
    };
    port('ctorigsrcport', c.origSrcPort);
    port('ctorigdstport', c.origDstPort);
    port('ctreplsrcport', c.replSrcPort);
    port('ctrepldstport', c.replDstPort);
    if (c.status) out.push(`${c.status.invert ? '! ' : ''}--ctstatus ${formatStatus(c.status.mask)}`);
    if (c.expire) out.push(`${c.expire.invert ? '! ' : ''}--ctexpire ${formatRange({ ...c.expire, invert: false })}`);
    if (c.dir !== null) out.push(`--ctdir ${c.dir === 0 ? 'ORIGINAL' : 'REPLY'}`);
    return out.join(' ');
  },
  match(c, skb, par) {
    return conntrackMatches(c, skb, par);
  },
});

function addrOk(t: AddrTest | null, v: InetAddr): boolean {
  if (t === null) return true;
  const a = t.addr;
  const m = t.mask;
  const same = ((a.w0 ^ v.w0) & m.w0) === 0 && ((a.w1 ^ v.w1) & m.w1) === 0 && ((a.w2 ^ v.w2) & m.w2) === 0 && ((a.w3 ^ v.w3) & m.w3) === 0;
  return same !== t.invert;
}

function rangeOk(r: RangeTest | null, v: number): boolean {
  return r === null || (v >= r.lo && v <= r.hi) !== r.invert;
}

/** conntrack_mt, per packet. */
export function conntrackMatches(c: ConntrackConfig, skb: Skb, par: XtParams): boolean {
  const ct = skb.ct;
  if (c.state) {
    let bit = stateBit(skb);
    if (ct) {
      if (ct.status & IPS_SRC_NAT) bit |= ST_SNAT;
      if (ct.status & IPS_DST_NAT) bit |= ST_DNAT;
    }
    if (((c.state.mask & bit) !== 0) === c.state.invert) return false;
  }
  if (ct === null) return c.state !== null;
  if (c.dir !== null && (skb.ctinfo >= IP_CT_IS_REPLY ? 1 : 0) !== c.dir) return false;
  // The tuples are read only for a test of theirs: `--ctstate` alone (the common rule) reaches no
  // more of the entry than its status, where the other direction's tuple would be a cache miss.
  if (c.origSrc !== null || c.origDst !== null || c.origSrcPort !== null || c.origDstPort !== null) {
    const o = ct.orig;
    if (!addrOk(c.origSrc, o.src) || !addrOk(c.origDst, o.dst) || !rangeOk(c.origSrcPort, o.sport) || !rangeOk(c.origDstPort, o.dport)) return false;
  }
  if (c.replSrc !== null || c.replDst !== null || c.replSrcPort !== null || c.replDstPort !== null) {
    const r = ct.reply;
    if (!addrOk(c.replSrc, r.src) || !addrOk(c.replDst, r.dst) || !rangeOk(c.replSrcPort, r.sport) || !rangeOk(c.replDstPort, r.dport)) return false;
  }
  if (c.proto && (ct.proto === c.proto.value) === c.proto.invert) return false;
  if (c.status && ((c.status.mask & ct.status) !== 0) === c.status.invert) return false;
  if (c.expire) {
    // nf_ct_expires: (s32)(timeout - nfct_time_stamp), at least 0. An
    // unconfirmed entry's timeout is still relative (its first packet's
    // extra time), so against the jiffies of a host that has been up a
    // while it gives 0: a NEW packet sees no time left.
    let left = 0;
    if (ct.confirmed) {
      const s = par.services;
      const j = ct.timeout - (s.ctJiffies ? s.ctJiffies() : s.jiffies());
      if (j > 0) left = Math.floor(j / HZ);
    }
    if (!rangeOk(c.expire, left)) return false;
  }
  return true;
}
