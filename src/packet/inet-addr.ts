/**
 * An address of either family, as the kernel's `union nf_inet_addr`: four
 * unsigned 32-bit words in network order of significance (word 0 holds the
 * most significant bits), an IPv4 address in word 0 with the other three
 * zero. The record carries its family, so that it prints and compares
 * without outside help.
 *
 * Hot-path contract: an `InetAddr` is a mutable record meant to be reused.
 * `readV4`, `readV6`, `copyFrom`, `and` and the tests allocate nothing, so a
 * packet record can hold two of them and re-point them at every packet;
 * values that must outlive the packet (a conntrack tuple, a rule) take a
 * `clone()`.
 *
 * Address text: IPv4 is the dotted quad; IPv6 is parsed as `inet_pton`
 * parses it (with the `ip-address` package, after refusing what inet_pton
 * refuses and the package accepts: zone indices, prefixes) and printed as
 * glibc's `inet_ntop` prints it (RFC 5952 zero compression, lower case, and
 * the dotted tail for IPv4-mapped and IPv4-compatible addresses, where
 * `ip-address` prints hex words): the text `ip6tables-save` and
 * `conntrack -L` show.
 *
 * @example
 * const a = parseInetAddr('2001:db8::1')!;
 * a.family === Family.V6; a.toString() === '2001:db8::1';
 * InetAddr.v4(0xc0000201).toString() === '192.0.2.1';
 */
import { Address6 } from 'ip-address';
import { parseIPv4 } from './addr.js';

/** Address families, numbered as netfilter numbers them (NFPROTO_*). */
export enum Family {
  Unspec = 0,
  V4 = 2,
  V6 = 10,
}

/** The family's name as iptables' messages and reports use it. */
export function familyName(f: Family): 'IPv4' | 'IPv6' | 'any' {
  return f === Family.V4 ? 'IPv4' : f === Family.V6 ? 'IPv6' : 'any';
}

/** Address length in bits. */
export function familyBits(f: Family): number {
  return f === Family.V6 ? 128 : 32;
}

export class InetAddr {
  family: Family = Family.V4;
  /*
   * The words as signed 32-bit integers, read back unsigned through `w0`
   * to `w3`. V8 keeps a small integer in the object itself, but a number of
   * 2^31 or more (half of all addresses' first words) as a heap number of
   * its own, made anew at every store into a record that is reused for
   * every packet (`readV4`, `setV4`, `copyFrom`): two allocations a packet.
   */
  private i0 = 0;
  private i1 = 0;
  private i2 = 0;
  private i3 = 0;

  constructor(family: Family = Family.V4, w0 = 0, w1 = 0, w2 = 0, w3 = 0) {
    this.family = family;
    this.i0 = w0 | 0;
    this.i1 = w1 | 0;
    this.i2 = w2 | 0;
    this.i3 = w3 | 0;
  }

  /** Word 0 (the most significant 32 bits; an IPv4 address), unsigned. */
  get w0(): number {
    return this.i0 >>> 0;
  }
  set w0(v: number) {
    this.i0 = v | 0;
  }
  get w1(): number {
    return this.i1 >>> 0;
  }
  set w1(v: number) {
    this.i1 = v | 0;
  }
  get w2(): number {
    return this.i2 >>> 0;
  }
  set w2(v: number) {
    this.i2 = v | 0;
  }
  get w3(): number {
    return this.i3 >>> 0;
  }
  set w3(v: number) {
    this.i3 = v | 0;
  }

  /** An IPv4 address from its unsigned 32-bit value. */
  static v4(n: number): InetAddr {
    return new InetAddr(Family.V4, n >>> 0);
  }

  /** An IPv6 address from four unsigned 32-bit words. */
  static v6(w0: number, w1: number, w2: number, w3: number): InetAddr {
    return new InetAddr(Family.V6, w0 >>> 0, w1 >>> 0, w2 >>> 0, w3 >>> 0);
  }

  /** The all-zero address of a family (the "any" of `-s 0.0.0.0/0` and `::/0`). */
  static any(f: Family): InetAddr {
    return new InetAddr(f);
  }

  /** The netmask of a prefix length in a family: `mask(V4, 24)` is 255.255.255.0. */
  static mask(f: Family, prefix: number): InetAddr {
    const m = new InetAddr(f);
    m.w0 = wordMask(prefix);
    if (f === Family.V6) {
      m.w1 = wordMask(prefix - 32);
      m.w2 = wordMask(prefix - 64);
      m.w3 = wordMask(prefix - 96);
    }
    return m;
  }

  /** Reads an IPv4 address at `off` (big endian). Allocates nothing. */
  readV4(b: Uint8Array, off: number): this {
    this.family = Family.V4;
    this.i0 = word(b, off) | 0;
    this.i1 = this.i2 = this.i3 = 0;
    return this;
  }

  /** Reads an IPv6 address (16 bytes) at `off`. Allocates nothing. */
  readV6(b: Uint8Array, off: number): this {
    this.family = Family.V6;
    this.i0 = word(b, off) | 0;
    this.i1 = word(b, off + 4) | 0;
    this.i2 = word(b, off + 8) | 0;
    this.i3 = word(b, off + 12) | 0;
    return this;
  }

  /** Sets this record to an IPv4 address. */
  setV4(n: number): this {
    this.family = Family.V4;
    this.i0 = n | 0;
    this.i1 = this.i2 = this.i3 = 0;
    return this;
  }

  copyFrom(o: InetAddr): this {
    this.family = o.family;
    this.i0 = o.i0;
    this.i1 = o.i1;
    this.i2 = o.i2;
    this.i3 = o.i3;
    return this;
  }

  clone(): InetAddr {
    return new InetAddr(this.family, this.w0, this.w1, this.w2, this.w3);
  }

  /** Writes the address in network byte order at `off` (4 or 16 bytes). */
  write(b: Uint8Array, off: number): void {
    putWord(b, off, this.w0);
    if (this.family === Family.V6) {
      putWord(b, off + 4, this.w1);
      putWord(b, off + 8, this.w2);
      putWord(b, off + 12, this.w3);
    }
  }

  /** The address's bytes (4 or 16). Allocates: not for the hot path. */
  bytes(): Uint8Array {
    const b = new Uint8Array(this.family === Family.V6 ? 16 : 4);
    this.write(b, 0);
    return b;
  }

  equals(o: InetAddr): boolean {
    return this.i0 === o.i0 && this.i1 === o.i1 && this.i2 === o.i2 && this.i3 === o.i3 && this.family === o.family;
  }

  isZero(): boolean {
    return (this.i0 | this.i1 | this.i2 | this.i3) === 0;
  }

  /** Is `(this & mask) == net`? The test of `-s net/mask`, in the family's width. */
  inNet(net: InetAddr, mask: InetAddr): boolean {
    return (this.i0 & mask.i0) === net.i0 && (this.i1 & mask.i1) === net.i1 && (this.i2 & mask.i2) === net.i2 && (this.i3 & mask.i3) === net.i3;
  }

  /** `this &= mask`, in place. */
  and(mask: InetAddr): this {
    this.i0 &= mask.i0;
    this.i1 &= mask.i1;
    this.i2 &= mask.i2;
    this.i3 &= mask.i3;
    return this;
  }

  /** Unsigned comparison, word by word (for ranges): negative, zero or positive. */
  compare(o: InetAddr): number {
    return this.w0 !== o.w0 ? this.w0 - o.w0 : this.w1 !== o.w1 ? this.w1 - o.w1 : this.w2 !== o.w2 ? this.w2 - o.w2 : this.w3 - o.w3;
  }

  /** The prefix length of a contiguous mask, or -1 when the mask has holes. */
  prefixLength(): number {
    const words = this.family === Family.V6 ? [this.w0, this.w1, this.w2, this.w3] : [this.w0];
    let n = 0;
    let i = 0;
    for (; i < words.length; i++) {
      const p = wordPrefix(words[i]!);
      if (p < 0) return -1;
      n += p;
      if (p < 32) break;
    }
    for (i++; i < words.length; i++) if (words[i] !== 0) return -1;
    return n;
  }

  /** A 32-bit hash of the address mixed into `seed` (the murmur3 finalizer per word). */
  hash(seed: number): number {
    let h = mix32(seed ^ this.i0);
    if (this.family === Family.V6) {
      h = mix32(h ^ this.i1);
      h = mix32(h ^ this.i2);
      h = mix32(h ^ this.i3);
    }
    return h;
  }

  /** The text `iptables-save` / `ip6tables-save` print: dotted quad, or inet_ntop's IPv6 form. */
  toString(): string {
    if (this.family !== Family.V6) return `${this.w0 >>> 24}.${(this.w0 >>> 16) & 255}.${(this.w0 >>> 8) & 255}.${this.w0 & 255}`;
    return formatIPv6Words([
      this.w0 >>> 16,
      this.w0 & 0xffff,
      this.w1 >>> 16,
      this.w1 & 0xffff,
      this.w2 >>> 16,
      this.w2 & 0xffff,
      this.w3 >>> 16,
      this.w3 & 0xffff,
    ]);
  }
}

function word(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

function putWord(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 24;
  b[off + 1] = (v >>> 16) & 255;
  b[off + 2] = (v >>> 8) & 255;
  b[off + 3] = v & 255;
}

/** The 32-bit slice of a mask of `prefix` bits (clamped to 0..32). */
function wordMask(prefix: number): number {
  return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffff : (0xffffffff << (32 - prefix)) >>> 0;
}

function wordPrefix(w: number): number {
  let n = 0;
  while (n < 32 && w & (0x80000000 >>> n)) n++;
  return wordMask(n) === w >>> 0 ? n : -1;
}

/**
 * A 32-bit integer mixer (the murmur3 finalizer): spreads nearby keys over
 * hash buckets (conntrack, hashlimit, addresses).
 */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * glibc's inet_ntop6: the longest run of two or more zero words becomes
 * `::` (the first such run on a tie), hex in lower case without leading
 * zeros, and a dotted IPv4 tail for `::a.b.c.d` (IPv4-compatible, except
 * `::1` and `::0.0.0.1`-like `::x` forms) and `::ffff:a.b.c.d` (IPv4-mapped).
 */
export function formatIPv6Words(words: readonly number[]): string {
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    // Encapsulated IPv4: the dotted tail.
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 7 && words[7] !== 0x0001) || (bestLen === 5 && words[5] === 0xffff))) {
      out += `${words[6]! >>> 8}.${words[6]! & 255}.${words[7]! >>> 8}.${words[7]! & 255}`;
      return out;
    }
    out += words[i]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

/**
 * Parses IPv6 text as inet_pton(AF_INET6) does; undefined when it is not
 * an address (zone indices and prefixes are not part of an address).
 */
export function parseIPv6(text: string): InetAddr | undefined {
  // Every IPv6 text has a colon: without one (a prefix length such as 64) it is not one, and ip-address would throw to say so.
  if (!text.includes(':') || text.includes('%') || text.includes('/') || !/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  // inet_pton takes at most four hex digits a group and a dotted tail only at the end.
  if (text.split(':').some((g, i, all) => g.length > 4 && !(i === all.length - 1 && g.includes('.')))) return undefined;
  if (!Address6.isValid(text)) return undefined;
  const b = new Address6(text).toUnsignedByteArray();
  const full = new Uint8Array(16);
  full.set(b, 16 - b.length);
  return new InetAddr(Family.V6).readV6(full, 0);
}

/** Parses a strict dotted quad (four decimal parts of at most 255). */
export function parseIPv4Addr(text: string): InetAddr | undefined {
  const v = parseIPv4(text);
  return v === undefined ? undefined : InetAddr.v4(v);
}

/** Parses an address of either family (IPv6 when the text has a colon). */
export function parseInetAddr(text: string): InetAddr | undefined {
  return text.includes(':') ? parseIPv6(text) : parseIPv4Addr(text);
}
