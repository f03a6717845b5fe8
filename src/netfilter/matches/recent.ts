/**
 * `-m recent` (libxt_recent.c revision 1 / xt_recent.c): named lists of
 * recently seen addresses with the jiffies of their last packets.
 * `--set` adds or refreshes the packet's address and always matches;
 * `--rcheck` matches when the address is listed (within `--seconds`, at
 * least `--hitcount` times, with the same TTL under `--rttl`); `--update`
 * is `--rcheck` that also stamps a match; `--remove` matches and forgets
 * the address. `--reap` drops the least recently stamped entry of the list
 * when it is older than `--seconds`.
 *
 * Addresses are the packet's in its family: an ip6tables rule keys the
 * list by IPv6 address (and `--mask` is an IPv6 mask, all ones by
 * default), its TTL is the hop limit. As in the kernel, iptables and
 * ip6tables rules naming the same list share it (one `recent_table` per
 * name): an entry holds its family and matches only packets of it, the
 * 100 addresses are counted over both, and the list's mask is that of the
 * rule that created it, applied to all four words of the address
 * (`nf_inet_addr_mask`). The default mask is all ones in all four words,
 * whatever the family (recorded: an IPv4 rule's default list keys IPv6
 * addresses whole); an IPv4 `--mask` sets the first word only, so an IPv6
 * address in its list keeps its first 32 bits, masked (recorded with
 * 255.255.0.0: 2001:db8::fe is listed as 2001::). The list is created
 * when the first rule naming it is loaded: `attach`, as the guest installs
 * the iptables rule set before the ip6tables one (iptables-restore before
 * ip6tables-restore). So ufw's `--mask 255.255.255.255` on its IPv4 limit
 * rule makes its IPv6 limit count per /32 (recorded: golden ufw6). Entries
 * are found through a hash of the masked address; per packet nothing is
 * allocated but a new entry.
 *
 * As in the kernel, a list holds `ip_list_tot` = 100 addresses
 * (the least recently stamped one is forgotten for a new one) and keeps
 * the last 32 stamps of each (ip_pkt_list_tot is 0 on the reference
 * kernel, so the ring holds the next power of two of the largest
 * `--hitcount` of the list's rules, and 32 when that is smaller); a
 * forwarded packet's TTL is counted as it was before forwarding.
 *
 * @example
 * -m recent --update --seconds 60 --hitcount 4 --name SSH --rsource
 */
import { CheckError, Family, OptionError, defineMatch, type OptionSpec, type ParseContext } from '../xt.js';
import type { GuestServices, Skb, XtParams } from '../types.js';
import { InetAddr, familyName, mix32 } from '../../packet/inet-addr.js';
import { hostAddr, uintArg } from '../args.js';
import { HZ } from '../clock.js';
import { checkUses } from './util.js';
import { groupOf, guestTable, procNameProblem } from './shared-state.js';

export const RECENT_CHECK = 1 << 0;
export const RECENT_SET = 1 << 1;
export const RECENT_UPDATE = 1 << 2;
export const RECENT_REMOVE = 1 << 3;
export const RECENT_TTL = 1 << 4;
export const RECENT_REAP = 1 << 5;

/** ip_list_tot: addresses per list. */
export const IP_LIST_TOT = 100;
const MAX_NSTAMPS = 65536;
const NAME_LEN = 200;

interface Group {
  /** The list's address mask (the first rule's), in the family of its rule file. */
  readonly mask: InetAddr;
  /** nstamps_max_mask: the largest any of the list's rules needs. */
  stampMask: number;
}

export interface RecentConfig {
  readonly checkSet: number;
  readonly invert: boolean;
  readonly seconds: number;
  readonly hitCount: number;
  readonly name: string;
  readonly mask: InetAddr;
  readonly dest: boolean;
  readonly group: Group;
  boundTo: GuestServices | null;
  list: RecentList | null;
}

const OPS = ['set', 'rcheck', 'update', 'remove'];
const OPTIONS: readonly OptionSpec[] = [
  { name: 'set', args: 0, invert: true, excludes: ['rcheck', 'update', 'remove'] },
  { name: 'rcheck', args: 0, invert: true, excludes: ['set', 'update', 'remove'] },
  { name: 'update', args: 0, invert: true, excludes: ['set', 'rcheck', 'remove'] },
  { name: 'remove', args: 0, invert: true, excludes: ['set', 'rcheck', 'update'] },
  { name: 'seconds', args: 1 },
  { name: 'reap', args: 0 },
  { name: 'hitcount', args: 1 },
  { name: 'rttl', args: 0, excludes: ['set', 'remove'] },
  { name: 'name', args: 1 },
  { name: 'rsource', args: 0, repeat: true },
  { name: 'rdest', args: 0, repeat: true },
  { name: 'mask', args: 1 },
];

function roundupPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** One address of a list (struct recent_entry): its family and masked address. */
class Entry {
  /** Position in the LRU order (doubly linked). */
  lruPrev: Entry | null = null;
  lruNext: Entry | null = null;
  ttl = 0;
  index = 0;
  nstamps = 0;
  stamps: number[];
  constructor(
    /** The key of its bucket in `byAddr`. */
    readonly key: number,
    readonly addr: InetAddr,
    capacity: number,
  ) {
    this.stamps = new Array<number>(capacity).fill(0);
  }
}

/** The bucket key of a masked IPv6 address (an IPv4 address is its own key). */
function key6(a: InetAddr): number {
  return mix32(mix32(mix32(mix32(a.w0) ^ a.w1) ^ a.w2) ^ a.w3);
}

/** A guest's list (struct recent_table), shared by both families. */
export class RecentList {
  private readonly byAddr = new Map<number, Entry[]>();
  private head: Entry | null = null;
  private tail: Entry | null = null;
  entries = 0;
  /** The mask's words (nf_inet_addr_mask over the whole union). */
  readonly m0: number;
  readonly m1: number;
  readonly m2: number;
  readonly m3: number;
  constructor(
    readonly mask: InetAddr,
    readonly group: Group,
  ) {
    this.m0 = mask.w0;
    this.m1 = mask.w1;
    this.m2 = mask.w2;
    this.m3 = mask.w3;
  }

  private unlinkLru(e: Entry): void {
    if (e.lruPrev) e.lruPrev.lruNext = e.lruNext;
    else this.head = e.lruNext;
    if (e.lruNext) e.lruNext.lruPrev = e.lruPrev;
    else this.tail = e.lruPrev;
    e.lruPrev = e.lruNext = null;
  }

  private pushLru(e: Entry): void {
    e.lruPrev = this.tail;
    e.lruNext = null;
    if (this.tail) this.tail.lruNext = e;
    else this.head = e;
    this.tail = e;
  }

  /** recent_entry_lookup for an IPv4 address (already masked), its own key. */
  lookup(addr: number, ttl: number): Entry | null {
    const l = this.byAddr.get(addr);
    if (!l) return null;
    for (const e of l) {
      const a = e.addr;
      if (a.family === Family.V4 && a.w0 === addr && (ttl === e.ttl || ttl === 0 || e.ttl === 0)) return e;
    }
    return null;
  }

  /** recent_entry_lookup for an IPv6 address (already masked) and its key. */
  lookup6(addr: InetAddr, key: number, ttl: number): Entry | null {
    const l = this.byAddr.get(key);
    if (!l) return null;
    for (const e of l) if (e.addr.equals(addr) && (ttl === e.ttl || ttl === 0 || e.ttl === 0)) return e;
    return null;
  }

  remove(e: Entry): void {
    const l = this.byAddr.get(e.key)!;
    const i = l.indexOf(e);
    l.splice(i, 1);
    if (l.length === 0) this.byAddr.delete(e.key);
    this.unlinkLru(e);
    this.entries--;
  }

  /** recent_entry_init: `addr` is kept (the caller passes a copy of its own). */
  init(key: number, addr: InetAddr, ttl: number, now: number): Entry {
    if (this.entries >= IP_LIST_TOT && this.head) this.remove(this.head);
    const e = new Entry(key, addr, this.group.stampMask + 1);
    e.ttl = ttl;
    e.stamps[0] = now;
    e.nstamps = 1;
    e.index = 1;
    let l = this.byAddr.get(key);
    if (!l) this.byAddr.set(key, (l = []));
    l.push(e);
    this.pushLru(e);
    this.entries++;
    return e;
  }

  update(e: Entry, now: number): void {
    const mask = this.group.stampMask;
    if (e.stamps.length < mask + 1) e.stamps.length = mask + 1;
    e.index &= mask;
    e.stamps[e.index++] = now;
    if (e.index > e.nstamps) e.nstamps = e.index;
    this.unlinkLru(e);
    this.pushLru(e);
  }

  /** recent_entry_reap: the oldest entry goes when its last stamp is before `time`. */
  reap(time: number, working: Entry, updating: boolean): void {
    const e = this.head;
    if (!e || (e === working && updating)) return;
    if (time - e.stamps[e.index - 1]! > 0) this.remove(e);
  }

  /** The addresses in the list, least recently stamped first. */
  addresses(): string[] {
    const out: string[] = [];
    for (let e = this.head; e; e = e.lruNext) out.push(e.addr.toString());
    return out;
  }
}

export const recentMatch = defineMatch<RecentConfig>({
  name: 'recent',
  options: OPTIONS,
  parse(uses, ctx: ParseContext) {
    checkUses('recent', uses);
    let checkSet = 0;
    let invert = false;
    let seconds = 0;
    let hitCount = 0;
    let name = 'DEFAULT';
    // libxt_recent's default mask is all ones over the whole union, for IPv4 too; --mask sets the family's bytes only.
    let mask = new InetAddr(ctx.family, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff);
    let dest = false;
    for (const u of uses) {
      switch (u.spec.name) {
        case 'set':
          checkSet |= RECENT_SET;
          invert ||= u.invert;
          break;
        case 'rcheck':
          checkSet |= RECENT_CHECK;
          invert ||= u.invert;
          break;
        case 'update':
          checkSet |= RECENT_UPDATE;
          invert ||= u.invert;
          break;
        case 'remove':
          checkSet |= RECENT_REMOVE;
          invert ||= u.invert;
          break;
        case 'seconds':
          seconds = uintArg('recent', u, 1, 4294967295);
          break;
        case 'hitcount':
          hitCount = uintArg('recent', u, 0, 4294967295);
          break;
        case 'reap':
          checkSet |= RECENT_REAP;
          if (!uses.some((o) => o.spec.name === 'seconds')) throw new OptionError('recent: option "--reap" also requires "--seconds".', u);
          break;
        case 'rttl':
          checkSet |= RECENT_TTL;
          break;
        case 'name':
          name = u.args[0]!;
          break;
        case 'rsource':
          dest = false;
          break;
        case 'rdest':
          dest = true;
          break;
        case 'mask': {
          // XTTYPE_HOST: getaddrinfo, numeric (inet_aton: `16` is 0.0.0.16).
          const m = hostAddr(u.args[0]!, ctx.family);
          if (m === undefined) {
            // getaddrinfo's refusals: an address of the other family, or no address at all.
            const other = hostAddr(u.args[0]!, ctx.family === Family.V6 ? Family.V4 : Family.V6);
            throw new OptionError(
              other
                ? 'getaddrinfo: Address family for hostname not supported'
                : `getaddrinfo: Name or service not known (${u.args[0]}: write a numeric ${familyName(ctx.family)} address)`,
              u,
            );
          }
          mask = m;
          break;
        }
      }
    }
    if (!uses.some((u) => OPS.includes(u.spec.name))) {
      throw new OptionError("recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'");
    }
    const stampMask = hitCount ? roundupPow2(hitCount) - 1 : 31;
    const group = groupOf<Group>(ctx, `recent:${name}`, () => ({ mask, stampMask }));
    if (stampMask > group.stampMask && hitCount < MAX_NSTAMPS) group.stampMask = stampMask;
    return { checkSet, invert, seconds, hitCount, name, mask, dest, group, boundTo: null, list: null };
  },
  check(c) {
    const cs = c.checkSet;
    if (cs & (RECENT_SET | RECENT_REMOVE) && (c.seconds || c.hitCount || cs & (RECENT_TTL | RECENT_REAP))) {
      throw new CheckError('recent: --seconds, --hitcount, --rttl and --reap only go with --rcheck or --update (Invalid argument)');
    }
    if (cs & RECENT_REAP && !c.seconds) throw new CheckError('recent: --reap needs --seconds (Invalid argument)');
    if (c.hitCount >= MAX_NSTAMPS) {
      throw new CheckError(`recent: hitcount (${c.hitCount}) is larger than allowed maximum (${MAX_NSTAMPS - 1}) (Invalid argument)`);
    }
    const why = procNameProblem(c.name, NAME_LEN);
    if (why) throw new CheckError(`recent: invalid --name: ${why} (Invalid argument)`);
  },
  save(c) {
    const cs = c.checkSet;
    let s = c.invert ? '! ' : '';
    if (cs & RECENT_SET) s += '--set';
    if (cs & RECENT_CHECK) s += '--rcheck';
    if (cs & RECENT_UPDATE) s += '--update';
    if (cs & RECENT_REMOVE) s += '--remove';
    if (c.seconds) s += ` --seconds ${c.seconds}`;
    if (cs & RECENT_REAP) s += ' --reap';
    if (c.hitCount) s += ` --hitcount ${c.hitCount}`;
    if (cs & RECENT_TTL) s += ' --rttl';
    s += ` --name ${c.name} --mask ${c.mask.toString()} ${c.dest ? '--rdest' : '--rsource'}`;
    return s;
  },
  attach(c, svc) {
    bind(c, svc);
  },
  match(c, skb, par) {
    return recentMatches(c, skb, par);
  },
});

function bind(c: RecentConfig, svc: GuestServices): RecentList {
  const g = c.group;
  const l = guestTable(svc, `recent:${c.name}`, () => new RecentList(g.mask, g));
  if (c.group !== l.group && c.group.stampMask > l.group.stampMask) l.group.stampMask = c.group.stampMask;
  c.boundTo = svc;
  c.list = l;
  return l;
}

/** The masked IPv6 address of the packet at hand (never kept: init takes a copy). */
const SCRATCH = new InetAddr(Family.V6);

/** Per packet, as recent_mt. */
export function recentMatches(c: RecentConfig, skb: Skb, par: XtParams): boolean {
  const svc = par.services;
  const t = c.boundTo === svc && c.list ? c.list : bind(c, svc);
  let ret = c.invert;
  const v6 = skb.family === Family.V6;
  // The TTL (IPv6: the hop limit) as seen before forwarding: a packet on its way out that no local socket sent.
  let ttl = v6 ? skb.data[7]! : skb.data[8]!;
  if (par.outDev !== null && (par.inDev !== null || skb.generated)) ttl = (ttl + 1) & 0xff;
  const cs = c.checkSet;
  const now = svc.jiffies();
  let addr = 0;
  let key: number;
  let e: Entry | null;
  if (v6) {
    const a = SCRATCH.copyFrom(c.dest ? skb.dst : skb.src);
    a.w0 = (a.w0 & t.m0) >>> 0;
    a.w1 = (a.w1 & t.m1) >>> 0;
    a.w2 = (a.w2 & t.m2) >>> 0;
    a.w3 = (a.w3 & t.m3) >>> 0;
    key = key6(a);
    e = t.lookup6(a, key, cs & RECENT_TTL ? ttl : 0);
  } else {
    addr = ((c.dest ? skb.daddr : skb.saddr) & t.m0) >>> 0;
    key = addr;
    e = t.lookup(addr, cs & RECENT_TTL ? ttl : 0);
  }
  if (e === null) {
    if (!(cs & RECENT_SET)) return ret;
    t.init(key, v6 ? SCRATCH.clone() : InetAddr.v4(addr), ttl, now);
    return !ret;
  }
  if (cs & RECENT_SET) ret = !ret;
  else if (cs & RECENT_REMOVE) {
    t.remove(e);
    return !ret;
  } else if (cs & (RECENT_CHECK | RECENT_UPDATE)) {
    const time = now - c.seconds * HZ;
    let hits = 0;
    for (let i = 0; i < e.nstamps; i++) {
      if (c.seconds && time - e.stamps[i]! > 0) continue;
      if (!c.hitCount || ++hits >= c.hitCount) {
        ret = !ret;
        break;
      }
    }
    if (cs & RECENT_REAP) t.reap(time, e, (cs & RECENT_UPDATE) !== 0 && ret);
  }
  if (cs & RECENT_SET || (cs & RECENT_UPDATE && ret)) {
    t.update(e, now);
    e.ttl = ttl;
  }
  return ret;
}
