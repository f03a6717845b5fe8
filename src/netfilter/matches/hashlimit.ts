/**
 * `-m hashlimit` (libxt_hashlimit.c revision 3 / xt_hashlimit.c): a token
 * bucket per hash entry, the entry chosen by the packet's masked source
 * and/or destination address and ports (`--hashlimit-mode`), in packets
 * (`5/sec`) or bytes (`100kb/s`), `--hashlimit-upto` or `--hashlimit-above`.
 * iptables-nft keeps this one as an xt match, so the kernel's jiffies
 * arithmetic (HZ=250, 64-bit credits) applies.
 *
 * Rules naming the same `--hashlimit-name` share one table, whose mode,
 * masks, rate, burst, size and expiry are those of the rule that created
 * it (the first); each rule keeps its own upto/above. Entries expire
 * `--hashlimit-htable-expire` ms after their last packet, removed by the
 * garbage collector that runs every `--hashlimit-htable-gcinterval` ms
 * (counted from boot here); a full table (`--hashlimit-htable-max`, by
 * default 8 × 8192 buckets) drops the packet that would need a new entry.
 *
 * In an ip6tables rule the addresses are IPv6, masked to
 * `--hashlimit-srcmask` / `--hashlimit-dstmask` bits (0-128, 128 by
 * default: hashlimit_ipv6_mask), and the ports are found as
 * hashlimit_init_dst finds them with ipv6_skip_exthdr: none for a later
 * fragment, and a header chain that ends in "no next header" or runs past
 * the packet hot-drops it. Tables are per family (htable_find_get takes
 * the family): an iptables and an ip6tables rule of the same name have
 * one table each. Per packet nothing is allocated but a new entry.
 *
 * @example
 * -p tcp -m hashlimit --hashlimit-upto 5/sec --hashlimit-burst 3 --hashlimit-mode srcip,dstport --hashlimit-name ssh
 */
import { mix32, portsOffset } from '../hash.js';
import { CheckError, Family, OptionError, defineMatch, type OptionSpec, type OptionUse, type ParseContext } from '../xt.js';
import type { GuestServices, Skb, XtParams } from '../types.js';
import { InetAddr, familyBits } from '../../packet/inet-addr.js';
import { HASHLIMIT_RATE, atoiUnsigned, parsePlen, parseRate, plenError, printRate, uintArg, xtStrtoul } from '../args.js';
import { HZ, msecsToJiffies } from '../clock.js';
import { checkUses } from './util.js';
import { groupOf, guestTable, procNameProblem } from './shared-state.js';

export const HASH_DIP = 1 << 0;
export const HASH_DPT = 1 << 1;
export const HASH_SIP = 1 << 2;
export const HASH_SPT = 1 << 3;
export const HL_INVERT = 1 << 4;
export const HL_BYTES = 1 << 5;
export const HL_RATE_MATCH = 1 << 6;

const SCALE = HASHLIMIT_RATE.scale;
const U64 = (1n << 64n) - 1n;
const U32_MAX = 4294967295n;
/** HZ as a bigint, for the 64-bit credit arithmetic. */
const HZ_N = BigInt(HZ);
/** CREDITS_PER_JIFFY for 64-bit credits: the power of two below 2^64 / (HZ * 86400). */
const CPJ = 1n << 39n;
/** CREDITS_PER_JIFFY_BYTES: the power of two below 2^32 / HZ. */
const CPJ_BYTES = 1n << 24n;
const BYTES_CAP = CPJ_BYTES * HZ_N;
const BYTE_SHIFT = 4n;
const DEFAULT_BURST = 5;
const BURST_MAX = 1000000;
const GC_INTERVAL = 1000;
const MAX_SIZE = 1048576;
/** Buckets when --hashlimit-htable-size is not given (machines with more than 1 GiB). */
const DEFAULT_SIZE = 8192;
const NAME_LEN = 255;

/** The table's settings (struct hashlimit_cfg3). */
export interface HashlimitCfg {
  readonly mode: number;
  /** Packets: SCALE-units per packet; bytes: the cost iptables derived. */
  readonly avg: bigint;
  readonly burst: number;
  readonly size: number;
  readonly max: number;
  readonly gcInterval: number;
  readonly expire: number;
  readonly srcmask: number;
  readonly dstmask: number;
  /** The family of the rule file: IPv6 tables take IPv6 addresses and masks of up to 128 bits. */
  readonly family: Family;
}

interface Group {
  readonly cfg: HashlimitCfg;
}

export interface HashlimitConfig {
  readonly name: string;
  readonly cfg: HashlimitCfg;
  /** Whether --hashlimit-burst was given (bytes mode saves it then). */
  readonly group: Group;
  /** Run-time binding to the guest's table. */
  boundTo: GuestServices | null;
  table: HashTable | null;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'hashlimit-upto', aliases: ['hashlimit'], args: 1, invert: true, excludes: ['hashlimit-above'] },
  { name: 'hashlimit-above', args: 1, invert: true, excludes: ['hashlimit-upto'] },
  { name: 'hashlimit-srcmask', args: 1 },
  { name: 'hashlimit-dstmask', args: 1 },
  { name: 'hashlimit-burst', args: 1 },
  { name: 'hashlimit-htable-size', args: 1 },
  { name: 'hashlimit-htable-max', args: 1 },
  { name: 'hashlimit-htable-gcinterval', args: 1 },
  { name: 'hashlimit-htable-expire', args: 1 },
  { name: 'hashlimit-mode', args: 1 },
  { name: 'hashlimit-name', args: 1 },
  { name: 'hashlimit-rate-match', args: 0 },
  { name: 'hashlimit-rate-interval', args: 1 },
];

// ---------------------------------------------------------------------------
// Parsing, as libxt_hashlimit does it

function bytesToCost(bytes: bigint): bigint {
  const r = BigInt.asUintN(32, bytes >> BYTE_SHIFT);
  return U32_MAX / (r + 1n);
}

function costToBytes(cost: bigint): bigint {
  const r = cost ? U32_MAX / cost : U32_MAX;
  return BigInt.asUintN(64, (r - 1n) << BYTE_SHIFT);
}

function factor(c: string | undefined): bigint {
  return c === 'm' ? 1048576n : c === 'k' ? 1024n : 1n;
}

/** parse_bytes: the cost for a `Nb/s`, `Nkb/s`, `Nmb/s` rate, or undefined when the text is not one. */
function parseBytes(text: string, use: OptionUse): bigint | undefined {
  const at = text.indexOf('b/s');
  if (at <= 0) return undefined;
  const r = atoiUnsigned(text, 64);
  if (r === 0n) return undefined;
  const tmp = r * factor(text[at - 1]);
  if (tmp > U64) throw new OptionError(`Rate value too large "${tmp}" (max ${U64})`, use);
  const cost = bytesToCost(tmp);
  if (cost === 0n) throw new OptionError(`Rate too high "${text}"`, use);
  return cost;
}

function burstError(use: OptionUse): OptionError {
  return new OptionError(`bad value for option "--hashlimit-burst", or out of range (1-${BURST_MAX}).`, use);
}

/** parse_burst: a count, or bytes with a k/m suffix. */
function parseBurst(text: string, use: OptionUse): bigint {
  // xtables_strtoul with an end pointer: the number may be followed by a suffix.
  const p = xtStrtoul(text, Number.MAX_SAFE_INTEGER, 0, 1);
  if (!p) throw burstError(use);
  const end = text[p.end];
  if (p.end === text.length && p.value > BURST_MAX) throw burstError(use);
  return BigInt(p.value) * factor(end);
}

function parseMode(text: string, use: OptionUse): number {
  let mode = 0;
  for (const tok of text.split(/[,|]/)) {
    if (tok === '') continue;
    if (tok === 'dstip') mode |= HASH_DIP;
    else if (tok === 'srcip') mode |= HASH_SIP;
    else if (tok === 'srcport') mode |= HASH_SPT;
    else if (tok === 'dstport') mode |= HASH_DPT;
    else throw new OptionError(`hashlimit: Bad value for "--hashlimit-mode" option: "${text}"`, use);
  }
  return mode;
}

/** An XTTYPE_PLEN mask length (xtopt_parse_plen); a mask with holes gives hlen -1, kept in the u8 as 255. */
function maskLength(use: OptionUse, family: Family): number {
  const n = parsePlen(use.args[0] ?? '', family);
  if (n === undefined) throw plenError('hashlimit', use, family);
  return n & 0xff;
}

// ---------------------------------------------------------------------------
// Kernel arithmetic

function user2credits(user: bigint): bigint {
  // HZ * CPJ > SCALE, so: user * (HZ * CPJ / SCALE), in 64 bits.
  return BigInt.asUintN(64, user * ((HZ_N * CPJ) / SCALE));
}

function user2creditsByte(user: bigint): bigint {
  return BigInt.asUintN(32, BigInt.asUintN(64, BigInt.asUintN(32, user) * HZ_N * CPJ_BYTES) >> 32n);
}

/**
 * One hash entry (struct dsthash_ent): its key (struct dsthash_dst) is the
 * masked source and destination and the ports. `src` and `dst` are the
 * IPv4 addresses, or the first words of the IPv6 ones (the other words in
 * s1..s3, d1..d3, zero in an IPv4 table).
 */
class Entry {
  next: Entry | null = null;
  expires = 0;
  prev = 0;
  credit = 0n;
  creditCap = 0n;
  cost = 0n;
  s1 = 0;
  s2 = 0;
  s3 = 0;
  d1 = 0;
  d2 = 0;
  d3 = 0;
  constructor(
    readonly src: number,
    readonly dst: number,
    readonly ports: number,
  ) {}
}

/** A guest's hashlimit table (struct xt_hashlimit_htable). */
export class HashTable {
  readonly cfg: HashlimitCfg;
  /** Entries the table may hold. */
  readonly max: number;
  private readonly heads: Array<Entry | null>;
  private readonly bucketMask: number;
  count = 0;
  private readonly gcJiffies: number;
  private nextGc: number;
  private readonly expireJiffies: number;

  constructor(cfg: HashlimitCfg) {
    this.cfg = cfg;
    const size = cfg.size || DEFAULT_SIZE;
    this.max = cfg.max === 0 ? 8 * size : cfg.max < size ? size : cfg.max;
    let b = 16;
    while (b < size && b < 65536) b <<= 1;
    this.heads = new Array<Entry | null>(b).fill(null);
    this.bucketMask = b - 1;
    this.gcJiffies = Math.max(1, msecsToJiffies(cfg.gcInterval));
    this.nextGc = this.gcJiffies;
    this.expireJiffies = msecsToJiffies(cfg.expire);
  }

  private bucket(src: number, dst: number, ports: number): number {
    return mix32(mix32(mix32(src) ^ dst) ^ ports) & this.bucketMask;
  }

  /** The garbage collector's runs up to `now`: entries expired at the last run are freed. */
  private gc(now: number): void {
    if (now < this.nextGc) return;
    const runs = Math.floor((now - this.nextGc) / this.gcJiffies);
    const at = this.nextGc + runs * this.gcJiffies;
    this.nextGc = at + this.gcJiffies;
    if (this.count === 0) return;
    for (let i = 0; i < this.heads.length; i++) {
      let prev: Entry | null = null;
      for (let e = this.heads[i] ?? null; e !== null; e = e.next) {
        if (at - e.expires >= 0) {
          if (prev) prev.next = e.next;
          else this.heads[i] = e.next;
          this.count--;
        } else prev = e;
      }
    }
  }

  /** Finds or creates the entry of IPv4 addresses; null when the table is full (the packet is dropped). */
  lookup(src: number, dst: number, ports: number, now: number): Entry | null {
    this.gc(now);
    const b = this.bucket(src, dst, ports);
    for (let e = this.heads[b] ?? null; e !== null; e = e.next) {
      if (e.src === src && e.dst === dst && e.ports === ports) {
        e.expires = now + this.expireJiffies;
        recalc(e, now, this.cfg.mode);
        return e;
      }
    }
    return this.add(b, new Entry(src, dst, ports), now);
  }

  /** The same for IPv6 addresses (masked), read without being kept. */
  lookup6(src: InetAddr, dst: InetAddr, ports: number, now: number): Entry | null {
    this.gc(now);
    let h = mix32(src.w0);
    h = mix32(h ^ src.w1);
    h = mix32(h ^ src.w2);
    h = mix32(h ^ src.w3);
    h = mix32(h ^ dst.w0);
    h = mix32(h ^ dst.w1);
    h = mix32(h ^ dst.w2);
    h = mix32(h ^ dst.w3);
    const b = mix32(h ^ ports) & this.bucketMask;
    for (let e = this.heads[b] ?? null; e !== null; e = e.next) {
      if (
        e.src === src.w0 &&
        e.s1 === src.w1 &&
        e.s2 === src.w2 &&
        e.s3 === src.w3 &&
        e.dst === dst.w0 &&
        e.d1 === dst.w1 &&
        e.d2 === dst.w2 &&
        e.d3 === dst.w3 &&
        e.ports === ports
      ) {
        e.expires = now + this.expireJiffies;
        recalc(e, now, this.cfg.mode);
        return e;
      }
    }
    const e = new Entry(src.w0, dst.w0, ports);
    e.s1 = src.w1;
    e.s2 = src.w2;
    e.s3 = src.w3;
    e.d1 = dst.w1;
    e.d2 = dst.w2;
    e.d3 = dst.w3;
    return this.add(b, e, now);
  }

  /** dsthash_alloc_init: a new entry in bucket `b`, unless the table is full. */
  private add(b: number, e: Entry, now: number): Entry | null {
    if (this.count >= this.max) return null;
    e.next = this.heads[b] ?? null;
    this.heads[b] = e;
    this.count++;
    e.expires = now + this.expireJiffies;
    init(e, this.cfg, now);
    return e;
  }

  /** Live entries (for tests and reports). */
  get size(): number {
    return this.count;
  }
}

function init(e: Entry, cfg: HashlimitCfg, now: number): void {
  e.prev = now;
  if (cfg.mode & HL_BYTES) {
    e.credit = BYTES_CAP;
    e.cost = user2creditsByte(cfg.avg);
    e.creditCap = BigInt(cfg.burst);
  } else {
    e.credit = user2credits(BigInt.asUintN(64, cfg.avg * BigInt(cfg.burst)));
    e.cost = user2credits(cfg.avg);
    e.creditCap = e.credit;
  }
}

function recalc(e: Entry, now: number, mode: number): void {
  const delta = now - e.prev;
  if (delta === 0) return;
  e.prev = now;
  let cap: bigint;
  if (mode & HL_BYTES) {
    const tmp = e.credit;
    e.credit = BigInt.asUintN(64, e.credit + CPJ_BYTES * BigInt(delta >>> 0));
    cap = BYTES_CAP;
    if (tmp >= e.credit) {
      e.credit = cap;
      return;
    }
  } else {
    e.credit = BigInt.asUintN(64, e.credit + BigInt(delta >>> 0) * CPJ);
    cap = e.creditCap;
  }
  if (e.credit > cap) e.credit = cap;
}

function byteCost(len: number, e: Entry): bigint {
  let tmp = BigInt((len >>> 4) + 1) * e.cost;
  if (tmp > BYTES_CAP) tmp = BYTES_CAP;
  if (e.credit < tmp && e.creditCap) {
    e.creditCap--;
    e.credit = BYTES_CAP;
  }
  return BigInt.asUintN(32, tmp);
}

function maskl(a: number, l: number): number {
  return l ? (a & (~0 << (32 - l))) >>> 0 : 0;
}

// ---------------------------------------------------------------------------
// The module

/** print_rate: the text and the default expiry (ms) of a packet rate. */
function rateText(period: bigint): [string, number] {
  const r = printRate(period, SCALE);
  return [r.text, r.seconds * 1000];
}

const UNITS: ReadonlyArray<readonly [string, bigint]> = [
  ['m', 1048576n],
  ['k', 1024n],
  ['', 1n],
];

/** print_bytes: the rate (and burst) text and the default expiry (ms) of a byte rate. */
function printBytes(avg: bigint, burst: number): [string, number] {
  let r = costToBytes(avg);
  let i = 0;
  for (; i < UNITS.length - 1; i++) {
    const t = UNITS[i]![1];
    if (r >= t && bytesToCost(r & ~(t - 1n)) === avg) break;
  }
  let s = `${r / UNITS[i]![1]}${UNITS[i]![0]}b/s`;
  if (burst === 0) return [s, 15000];
  r *= BigInt(burst);
  for (i = 0; i < UNITS.length - 1; i++) if (r >= UNITS[i]![1]) break;
  s += ` --hashlimit-burst ${r / UNITS[i]![1]}${UNITS[i]![0]}b`;
  return [s, 60000];
}

function printMode(mode: number): string {
  const out: string[] = [];
  if (mode & HASH_SIP) out.push('srcip');
  if (mode & HASH_SPT) out.push('srcport');
  if (mode & HASH_DIP) out.push('dstip');
  if (mode & HASH_DPT) out.push('dstport');
  return out.join(',');
}

export const hashlimitMatch = defineMatch<HashlimitConfig>({
  name: 'hashlimit',
  options: OPTIONS,
  parse(uses, ctx: ParseContext) {
    checkUses('hashlimit', uses);
    let mode = 0;
    let avg = 0n;
    let mult = 1;
    let burst = BigInt(DEFAULT_BURST);
    let size = 0;
    let max = 0;
    let gcInterval = GC_INTERVAL;
    let expire = -1;
    const bits = familyBits(ctx.family);
    let srcmask = bits;
    let dstmask = bits;
    let name: string | undefined;
    let haveRate = false;
    let haveBurst = false;
    for (const u of uses) {
      const a = u.args[0] ?? '';
      switch (u.spec.name) {
        case 'hashlimit-upto':
        case 'hashlimit-above': {
          const above = u.spec.name === 'hashlimit-above';
          if (above !== u.invert) mode |= HL_INVERT;
          const cost = parseBytes(a, u);
          if (cost !== undefined) {
            avg = cost;
            mode |= HL_BYTES;
            mult = 15;
          } else {
            const r = parseRate(a, HASHLIMIT_RATE, u);
            if (!r) throw new OptionError(`hashlimit: Bad value for "--${u.spec.name}" option: "${a}"`, u);
            avg = r.avg;
            mult = r.mult;
          }
          haveRate = true;
          break;
        }
        case 'hashlimit-burst':
          burst = parseBurst(a, u);
          haveBurst = true;
          break;
        case 'hashlimit-mode':
          mode |= parseMode(a, u);
          break;
        case 'hashlimit-srcmask':
          srcmask = maskLength(u, ctx.family);
          break;
        case 'hashlimit-dstmask':
          dstmask = maskLength(u, ctx.family);
          break;
        case 'hashlimit-htable-size':
          size = uintArg('hashlimit', u, 0, 4294967295);
          break;
        case 'hashlimit-htable-max':
          max = uintArg('hashlimit', u, 0, 4294967295);
          break;
        case 'hashlimit-htable-gcinterval':
          gcInterval = uintArg('hashlimit', u, 0, 4294967295);
          break;
        case 'hashlimit-htable-expire':
          expire = uintArg('hashlimit', u, 0, 4294967295);
          break;
        case 'hashlimit-name':
          if (a.length < 1) throw new OptionError('hashlimit: option "--hashlimit-name" requires a name', u);
          name = a;
          break;
        case 'hashlimit-rate-match':
        case 'hashlimit-rate-interval':
          throw new OptionError(`hashlimit: --${u.spec.name} is not supported by cofw yet; remove it or use --hashlimit-upto/--hashlimit-above`, u);
      }
    }
    if (name === undefined) throw new OptionError('hashlimit: option "--hashlimit-name" must be specified');
    if (!haveRate) throw new OptionError('You have to specify --hashlimit');
    if (expire < 0) expire = mult * 1000;
    let finalBurst: number;
    if (mode & HL_BYTES) {
      let b = 0n;
      if (haveBurst) {
        const per = costToBytes(avg);
        if (burst < per) throw new OptionError(`burst cannot be smaller than ${per}b`);
        b = burst / per + (burst % per ? 1n : 0n);
        b = BigInt.asUintN(32, b);
        if (!uses.some((u) => u.spec.name === 'hashlimit-htable-expire')) expire = 60000;
      }
      finalBurst = Number(b);
    } else {
      if (burst > BigInt(BURST_MAX)) throw new OptionError(`bad value for option "--hashlimit-burst", or out of range (1-${BURST_MAX}).`);
      finalBurst = Number(burst);
    }
    // checkentry truncates what is too large, and iptables-save shows it truncated.
    if (size > MAX_SIZE) size = MAX_SIZE;
    if (max > MAX_SIZE) max = MAX_SIZE;
    const cfg: HashlimitCfg = { mode, avg, burst: finalBurst, size, max, gcInterval, expire, srcmask, dstmask, family: ctx.family };
    const group = groupOf<Group>(ctx, `hashlimit:${name}`, () => ({ cfg }));
    return { name, cfg, group, boundTo: null, table: null };
  },
  check(c) {
    const cfg = c.cfg;
    const why = procNameProblem(c.name, NAME_LEN);
    if (why) throw new CheckError(`hashlimit: invalid --hashlimit-name: ${why} (Invalid argument)`);
    if (cfg.gcInterval === 0 || cfg.expire === 0) {
      throw new CheckError('hashlimit: --hashlimit-htable-gcinterval and --hashlimit-htable-expire must not be 0 (Invalid argument)');
    }
    if (cfg.family === Family.V6) {
      if (cfg.srcmask > 128 || cfg.dstmask > 128) {
        throw new CheckError('hashlimit: --hashlimit-srcmask and --hashlimit-dstmask must be 0-128 for IPv6 (Invalid argument)');
      }
    } else if (cfg.srcmask > 32 || cfg.dstmask > 32) {
      throw new CheckError('hashlimit: --hashlimit-srcmask and --hashlimit-dstmask must be 0-32 for IPv4 (Invalid argument)');
    }
    if (cfg.mode & HL_BYTES) {
      if (user2creditsByte(cfg.avg) === 0n) throw new CheckError(`hashlimit: overflow, rate too high: ${cfg.avg} (Invalid argument)`);
    } else if (cfg.burst === 0 || user2credits(BigInt.asUintN(64, cfg.avg * BigInt(cfg.burst))) < user2credits(cfg.avg)) {
      throw new CheckError(`hashlimit: overflow, try lower: ${cfg.avg}/${cfg.burst} (Numerical result out of range)`);
    }
  },
  save(c) {
    const cfg = c.cfg;
    let s = cfg.mode & HL_INVERT ? '--hashlimit-above ' : '--hashlimit-upto ';
    let quantum: number;
    if (cfg.mode & HL_BYTES) {
      const [t, q] = printBytes(cfg.avg, cfg.burst);
      s += t;
      quantum = q;
    } else {
      const [t, q] = rateText(cfg.avg);
      s += `${t} --hashlimit-burst ${cfg.burst}`;
      quantum = q;
    }
    if (cfg.mode & (HASH_SIP | HASH_SPT | HASH_DIP | HASH_DPT)) s += ` --hashlimit-mode ${printMode(cfg.mode)}`;
    s += ` --hashlimit-name ${c.name}`;
    if (cfg.size) s += ` --hashlimit-htable-size ${cfg.size}`;
    if (cfg.max) s += ` --hashlimit-htable-max ${cfg.max}`;
    if (cfg.gcInterval !== GC_INTERVAL) s += ` --hashlimit-htable-gcinterval ${cfg.gcInterval}`;
    if (cfg.expire !== quantum) s += ` --hashlimit-htable-expire ${cfg.expire}`;
    const bits = familyBits(cfg.family);
    if (cfg.srcmask !== bits) s += ` --hashlimit-srcmask ${cfg.srcmask}`;
    if (cfg.dstmask !== bits) s += ` --hashlimit-dstmask ${cfg.dstmask}`;
    return s;
  },
  match(c, skb, par) {
    return hashlimitMatches(c, skb, par);
  },
});

function bind(c: HashlimitConfig, svc: GuestServices): HashTable {
  const group = c.group;
  const key = c.cfg.family === Family.V6 ? `hashlimit6:${c.name}` : `hashlimit:${c.name}`;
  const t = guestTable(svc, key, () => new HashTable(group.cfg));
  c.boundTo = svc;
  c.table = t;
  return t;
}

/** The masked addresses of the IPv6 packet at hand (read by lookup6, never kept). */
const SRC6 = new InetAddr(Family.V6);
const DST6 = new InetAddr(Family.V6);

/** hashlimit_ipv6_mask: the first `p` bits of `a` (all of them for 128). */
function mask6(a: InetAddr, p: number): void {
  a.w0 = maskl(a.w0, p >= 32 ? 32 : p);
  a.w1 = p <= 32 ? 0 : maskl(a.w1, p >= 64 ? 32 : p - 32);
  a.w2 = p <= 64 ? 0 : maskl(a.w2, p >= 96 ? 32 : p - 64);
  a.w3 = p <= 96 ? 0 : maskl(a.w3, p >= 128 ? 32 : p - 96);
}

/** Per packet, as hashlimit_mt_common. */
export function hashlimitMatches(c: HashlimitConfig, skb: Skb, par: XtParams): boolean {
  const svc = par.services;
  const t = c.boundTo === svc && c.table ? c.table : bind(c, svc);
  if (t.cfg.family === Family.V6) return hashlimitMatches6(c, t, skb, par);
  const tc = t.cfg;
  const tm = tc.mode;
  const src = tm & HASH_SIP ? maskl(skb.saddr, tc.srcmask) : 0;
  const dst = tm & HASH_DIP ? maskl(skb.daddr, tc.dstmask) : 0;
  let ports = 0;
  if (tm & (HASH_SPT | HASH_DPT)) {
    const poff = portsOffset(skb.protocol);
    if (poff >= 0) {
      const o = skb.thoff + poff;
      if (o + 4 > skb.len) {
        par.hotdrop = true;
        return false;
      }
      const d = skb.data;
      if (tm & HASH_SPT) ports = ((d[o]! << 8) | d[o + 1]!) << 16;
      if (tm & HASH_DPT) ports |= (d[o + 2]! << 8) | d[o + 3]!;
      ports >>>= 0;
    }
  }
  return spend(c, t.lookup(src, dst, ports, svc.jiffies()), skb, par);
}

/** hashlimit_mt_common in an IPv6 table: hashlimit_init_dst's NFPROTO_IPV6 case. */
function hashlimitMatches6(c: HashlimitConfig, t: HashTable, skb: Skb, par: XtParams): boolean {
  const tc = t.cfg;
  const tm = tc.mode;
  if (tm & HASH_SIP) mask6(SRC6.copyFrom(skb.src), tc.srcmask);
  else SRC6.w0 = SRC6.w1 = SRC6.w2 = SRC6.w3 = 0;
  if (tm & HASH_DIP) mask6(DST6.copyFrom(skb.dst), tc.dstmask);
  else DST6.w0 = DST6.w1 = DST6.w2 = DST6.w3 = 0;
  let ports = 0;
  if (tm & (HASH_SPT | HASH_DPT)) {
    // ipv6_skip_exthdr: a later fragment stops at its fragment header (no ports); "no next
    // header" or a chain past the packet fails, and so does the match (hot drop).
    if (skb.fragoff === 0) {
      const proto = skb.protocol;
      if (proto < 0 || proto === 59) {
        par.hotdrop = true;
        return false;
      }
      const poff = portsOffset(proto);
      if (poff >= 0) {
        const o = skb.thoff + poff;
        if (o + 4 > skb.len) {
          par.hotdrop = true;
          return false;
        }
        const d = skb.data;
        if (tm & HASH_SPT) ports = ((d[o]! << 8) | d[o + 1]!) << 16;
        if (tm & HASH_DPT) ports |= (d[o + 2]! << 8) | d[o + 3]!;
        ports >>>= 0;
      }
    }
  }
  return spend(c, t.lookup6(SRC6, DST6, ports, par.services.jiffies()), skb, par);
}

/** The rest of hashlimit_mt_common: the entry's credit pays for the packet, or not. */
function spend(c: HashlimitConfig, e: Entry | null, skb: Skb, par: XtParams): boolean {
  if (e === null) {
    par.hotdrop = true;
    return false;
  }
  const mode = c.cfg.mode;
  const cost = mode & HL_BYTES ? byteCost(skb.totLen, e) : e.cost;
  if (e.credit >= cost) {
    e.credit -= cost;
    return !(mode & HL_INVERT);
  }
  return (mode & HL_INVERT) !== 0;
}
