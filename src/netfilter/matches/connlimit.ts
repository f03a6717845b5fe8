/**
 * `-m connlimit` (libxt_connlimit.c revision 1 / xt_connlimit.c with
 * nf_conncount.c): matches when the packet's masked source (or destination,
 * `--connlimit-daddr`) address has more than `--connlimit-above` (or at most
 * `--connlimit-upto`) connections.
 *
 * As in the kernel, the connections counted are those this rule has seen:
 * each rule keeps, per masked address, a list of the connections of the
 * packets it evaluated, and adds the current packet's connection. Before
 * adding, the list is cleaned (at most once per jiffy, as `last_gc` does):
 * a connection no longer in the conntrack table, or a TCP connection in
 * TIME_WAIT or CLOSE, is forgotten (at most 8 per packet); a connection
 * already listed is not added again.
 *
 * The conntrack table is read through the packet's entry (`Skb.ct`): a
 * listed entry counts while it is confirmed, not removed and not expired
 * at the guest's jiffies. A packet without an entry (untracked, invalid) is
 * counted once and forgotten at the next clean-up, as its tuple is never
 * found in the table. The rule needs connection tracking: the stack must
 * register it for `connlimit` rules (CONNTRACK_USERS in stack.ts).
 *
 * In an ip6tables rule the key is the packet's IPv6 address masked to
 * `--connlimit-mask` bits (0-128, 128 by default), as connlimit_mt builds
 * its four-word key; lists are found through a hash of it, and nothing is
 * allocated per packet but a new list.
 *
 * @example
 * -p tcp --syn -m connlimit --connlimit-above 2 --connlimit-mask 24
 */
import { Family, OptionError, defineMatch, type OptionSpec, type OptionUse } from '../xt.js';
import { InetAddr, familyBits } from '../../packet/inet-addr.js';
import { parsePlen, plenError, plenMask, uintArg } from '../args.js';
import type { Skb, XtParams } from '../types.js';
import { Conn, TcpState } from '../conntrack/index.js';
import { checkUses } from './util.js';

const FLAG_INVERT = 1;
const FLAG_DADDR = 2;
/** CONNCOUNT_GC_MAX_NODES. */
const GC_MAX_NODES = 8;

/**
 * What connlimit needs from connection tracking: whether a listed entry is
 * still in the table. The default reads the entry itself; a guest may offer
 * a lookup by tuple instead (see the report of this module).
 */
export interface ConnlimitView {
  /** 0: not in the table; 1: in it; 2: in it but closed (TCP TIME_WAIT / CLOSE). */
  status(ct: object | null, jiffies: number): 0 | 1 | 2;
}

/** The view over cofw's Conntrack entries. */
export const CONN_VIEW: ConnlimitView = {
  status(ct, jiffies) {
    if (!(ct instanceof Conn) || ct.dead || !ct.confirmed || ct.timeout - jiffies <= 0) return 0;
    const st = ct.tcp?.state;
    return st === TcpState.TimeWait || st === TcpState.Close ? 2 : 1;
  },
};

class CountList {
  readonly conns: Array<object | null> = [];
  lastGc = -1;
  /** The masked IPv6 address this list counts for (IPv4 lists are keyed by the address itself). */
  addr: InetAddr | null = null;
}

export interface ConnlimitConfig {
  readonly limit: number;
  readonly flags: number;
  /** The mask in the rule file's family. */
  readonly mask: InetAddr;
  readonly prefix: number;
  /** Per masked IPv4 address: the connections this rule has seen. */
  readonly lists: Map<number, CountList>;
  /** Per hash of a masked IPv6 address: the lists of the addresses with that hash. */
  readonly lists6: Map<number, CountList[]>;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'connlimit-upto', args: 1, invert: true, excludes: ['connlimit-above'] },
  { name: 'connlimit-above', args: 1, invert: true, excludes: ['connlimit-upto'] },
  { name: 'connlimit-mask', args: 1 },
  { name: 'connlimit-saddr', args: 0, excludes: ['connlimit-daddr'] },
  { name: 'connlimit-daddr', args: 0, excludes: ['connlimit-saddr'] },
];

/** XTTYPE_PLENMASK (xtopt_parse_plenmask): a prefix length or a mask written as an address; a mask with holes becomes all ones. */
function parseMask(use: OptionUse, family: Family): InetAddr {
  const n = parsePlen(use.args[0] ?? '', family);
  if (n === undefined) throw plenError('connlimit', use, family);
  return plenMask(family, n);
}

export const connlimitMatch = defineMatch<ConnlimitConfig>({
  name: 'connlimit',
  options: OPTIONS,
  parse(uses, ctx) {
    checkUses('connlimit', uses);
    let limit = 0;
    let flags = 0;
    let mask = plenMask(ctx.family, familyBits(ctx.family));
    let have = false;
    for (const u of uses) {
      switch (u.spec.name) {
        case 'connlimit-upto':
        case 'connlimit-above': {
          limit = uintArg('connlimit', u, 0, 4294967295);
          have = true;
          if ((u.spec.name === 'connlimit-upto') !== u.invert) flags |= FLAG_INVERT;
          break;
        }
        case 'connlimit-mask':
          mask = parseMask(u, ctx.family);
          break;
        case 'connlimit-saddr':
          flags &= ~FLAG_DADDR;
          break;
        case 'connlimit-daddr':
          flags |= FLAG_DADDR;
          break;
      }
    }
    if (!have) throw new OptionError('You must specify "--connlimit-above" or "--connlimit-upto".');
    return { limit, flags, mask, prefix: mask.prefixLength(), lists: new Map(), lists6: new Map() };
  },
  save(c) {
    return `${c.flags & FLAG_INVERT ? '--connlimit-upto' : '--connlimit-above'} ${c.limit} --connlimit-mask ${c.prefix} ${
      c.flags & FLAG_DADDR ? '--connlimit-daddr' : '--connlimit-saddr'
    }`;
  },
  match(c, skb, par) {
    return connlimitMatches(c, skb, par, CONN_VIEW);
  },
});

/** Per packet, as connlimit_mt with nf_conncount_count. */
export function connlimitMatches(c: ConnlimitConfig, skb: Skb, par: XtParams, view: ConnlimitView): boolean {
  // The entries' timeouts count on conntrack's clock (nfct_time_stamp).
  const svc = par.services;
  const now = svc.ctJiffies ? svc.ctJiffies() : svc.jiffies();
  const ct = skb.ct;
  let list: CountList | undefined;
  if (skb.family === Family.V6) list = list6(c, c.flags & FLAG_DADDR ? skb.dst : skb.src);
  else {
    const key = ((c.flags & FLAG_DADDR ? skb.daddr : skb.saddr) & c.mask.w0) >>> 0;
    list = c.lists.get(key);
    if (list === undefined) {
      list = new CountList();
      c.lists.set(key, list);
    }
  }
  // The list keeps the entry: conntrack must not reuse it if its packet is dropped (Conntrack.release).
  if (ct !== null) ct.held = true;
  addConn(list, ct, now, view);
  // A list that became empty is dropped, as the kernel frees its tree node.
  const count = list.conns.length;
  return count > c.limit !== ((c.flags & FLAG_INVERT) !== 0);
}

/** The masked IPv6 address of the packet at hand (copied only into a new list). */
const KEY6 = new InetAddr(Family.V6);

/** The list of `addr` masked with the rule's mask, made when it has none. */
function list6(c: ConnlimitConfig, addr: InetAddr): CountList {
  const k = KEY6.copyFrom(addr).and(c.mask);
  const h = k.hash(0);
  let bucket = c.lists6.get(h);
  if (bucket === undefined) c.lists6.set(h, (bucket = []));
  for (const l of bucket) if (l.addr!.equals(k)) return l;
  const l = new CountList();
  l.addr = k.clone();
  bucket.push(l);
  return l;
}

function addConn(list: CountList, ct: object | null, now: number, view: ConnlimitView): void {
  if (now !== list.lastGc) {
    let collect = 0;
    const conns = list.conns;
    for (let i = 0; i < conns.length;) {
      if (collect > GC_MAX_NODES) break;
      const other = conns[i]!;
      const st = view.status(other, now);
      if (st === 0) {
        conns.splice(i, 1);
        collect++;
        continue;
      }
      if (other === ct) return;
      if (st === 2) {
        conns.splice(i, 1);
        collect++;
        continue;
      }
      i++;
    }
  }
  list.conns.push(ct);
  list.lastGc = now;
}
