/**
 * TCP SYN cookies as the kernel computes them for SYNPROXY
 * (net/ipv4/syncookies.c __cookie_v4_init_sequence / __cookie_v4_check,
 * net/ipv6/syncookies.c __cookie_v6_init_sequence / __cookie_v6_check).
 *
 * A cookie is the server's initial sequence number:
 *
 *     hash(secret0, addrs, ports, 0) + client ISN + (count << 24)
 *       + ((hash(secret1, addrs, ports, count) + mssind) & 0xffffff)
 *
 * where `count` is the minute (jiffies / (60 * HZ), tcp_cookie_time) and
 * `mssind` the index of the largest entry of the family's MSS table not
 * above the client's MSS. The check strips the first hash and the ISN, finds
 * the minute in the top 8 bits (at most one minute old: MAX_SYNCOOKIE_AGE
 * 2), and what remains after the second hash must be an index of the table.
 * The hash is SipHash-2-4 keyed by two 128-bit secrets: IPv4 hashes
 * (saddr, daddr, sport << 16 | dport, count) as four 32-bit words
 * (siphash_4u32), IPv6 the 40 bytes (saddr, daddr, count, sport, dport).
 *
 * The kernel draws its secrets at random once per boot (net_get_random_once)
 * and never shows them; cofw derives its own from the seed of its other
 * random choices (COFW_RANDOM_SEED, 0 when unset), so a replay repeats its
 * cookies, and a capture's ACK answering the real kernel's cookie fails
 * cofw's check, as it would fail on any other host.
 */
import { SeededRandom, seedFromEnv } from '../matches/statistic.js';

const M64 = (1n << 64n) - 1n;

function rotl(x: bigint, b: bigint): bigint {
  return ((x << b) | (x >> (64n - b))) & M64;
}

/** A SipHash key: two 64-bit words (siphash_key_t). */
export type SipKey = readonly [bigint, bigint];

/** SipHash-2-4 of `msg` (whose length is a multiple of 8, as every message here is) under `key`. */
export function siphash(msg: Uint8Array, key: SipKey): bigint {
  let v0 = 0x736f6d6570736575n ^ key[0];
  let v1 = 0x646f72616e646f6dn ^ key[1];
  let v2 = 0x6c7967656e657261n ^ key[0];
  let v3 = 0x7465646279746573n ^ key[1];
  const round = (): void => {
    v0 = (v0 + v1) & M64;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M64;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & M64;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & M64;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const len = msg.length;
  const view = new DataView(msg.buffer, msg.byteOffset, len);
  for (let i = 0; i + 8 <= len; i += 8) {
    const m = view.getBigUint64(i, true);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  // The last block holds the length in its top byte (no bytes remain: len % 8 is 0 here).
  const b = BigInt(len & 0xff) << 56n;
  v3 ^= b;
  round();
  round();
  v0 ^= b;
  v2 ^= 0xffn;
  round();
  round();
  round();
  round();
  return (v0 ^ v1 ^ v2 ^ v3) & M64;
}

/** The MSS values an IPv4 cookie can carry (msstab in net/ipv4/syncookies.c). */
export const MSSTAB4: readonly number[] = [536, 1300, 1440, 1460];
/** The MSS values an IPv6 cookie can carry (msstab in net/ipv6/syncookies.c: 1280, 1480, 1500 and 9000 minus 60). */
export const MSSTAB6: readonly number[] = [1220, 1420, 1440, 8940];

const COOKIEBITS = 24;
const COOKIEMASK = (1 << COOKIEBITS) - 1;
/** A cookie is good for the minute it was made in and the next. */
const MAX_SYNCOOKIE_AGE = 2;
/** TCP_SYNCOOKIE_PERIOD in jiffies (60 * HZ, HZ = 250). */
const SYNCOOKIE_PERIOD = 60 * 250;

/** A guest's cookie secrets: syncookie_secret[2] for IPv4 and syncookie6_secret[2] for IPv6. */
export class SyncookieSecrets {
  readonly v4: readonly [SipKey, SipKey];
  readonly v6: readonly [SipKey, SipKey];
  private readonly buf = new Uint8Array(40);
  private readonly view = new DataView(this.buf.buffer);

  constructor(seed: number = seedFromEnv()) {
    // A generator of its own (not the statistic match's sequence), so that cookies do not depend on other draws.
    const rng = new SeededRandom(seed ^ 0x53594e43);
    const key = (): SipKey => [(BigInt(rng.next()) << 32n) | BigInt(rng.next()), (BigInt(rng.next()) << 32n) | BigInt(rng.next())];
    this.v4 = [key(), key()];
    this.v6 = [key(), key()];
  }

  /** cookie_hash for IPv4: siphash_4u32(saddr, daddr, sport << 16 | dport, count), its low 32 bits. */
  hash4(saddr: number, daddr: number, sport: number, dport: number, count: number, c: 0 | 1): number {
    const v = this.view;
    // The words as the kernel holds them (__be32 addresses and ports in network order), laid out little-endian.
    v.setUint32(0, saddr >>> 0, false);
    v.setUint32(4, daddr >>> 0, false);
    v.setUint16(8, dport, false);
    v.setUint16(10, sport, false);
    v.setUint32(12, count >>> 0, true);
    return Number(siphash(this.buf.subarray(0, 16), this.v4[c]) & 0xffffffffn);
  }

  /** cookie_hash for IPv6: siphash over { saddr, daddr, count, sport, dport } (40 bytes), its low 32 bits. */
  hash6(saddr: Uint8Array, daddr: Uint8Array, sport: number, dport: number, count: number, c: 0 | 1): number {
    const b = this.buf;
    b.set(saddr.subarray(0, 16), 0);
    b.set(daddr.subarray(0, 16), 16);
    this.view.setUint32(32, count >>> 0, true);
    this.view.setUint16(36, sport, false);
    this.view.setUint16(38, dport, false);
    return Number(siphash(b, this.v6[c]) & 0xffffffffn);
  }
}

/** tcp_cookie_time: the cookie's minute, from the jiffies (get_jiffies_64() / (60 * HZ)). */
export function cookieTime(jiffies: number): number {
  return Math.floor(jiffies / SYNCOOKIE_PERIOD) >>> 0;
}

/** The index of the largest table entry not above `mss` (0 when none is). */
function mssIndex(table: readonly number[], mss: number): number {
  let i = table.length - 1;
  for (; i > 0; i--) if (mss >= table[i]!) break;
  return i;
}

/** Where a connection's cookie comes from: both addresses (IPv4 as numbers, IPv6 as 16 bytes) and both ports. */
export interface CookieFlow {
  /** Family.V4 = 4 or Family.V6 = 6. */
  readonly v6: boolean;
  readonly saddr4: number;
  readonly daddr4: number;
  readonly saddr6: Uint8Array;
  readonly daddr6: Uint8Array;
  readonly sport: number;
  readonly dport: number;
}

function hash(s: SyncookieSecrets, f: CookieFlow, count: number, c: 0 | 1): number {
  return f.v6 ? s.hash6(f.saddr6, f.daddr6, f.sport, f.dport, count, c) : s.hash4(f.saddr4, f.daddr4, f.sport, f.dport, count, c);
}

/**
 * __cookie_v4_init_sequence, __cookie_v6_init_sequence: the cookie for a
 * SYN of `flow` (as the SYN travelled: client to server) with sequence
 * number `seq` and MSS `mss` (0 when it had none), and the MSS the cookie
 * encodes (the table's entry at or below it).
 */
export function cookieInit(s: SyncookieSecrets, flow: CookieFlow, seq: number, mss: number, jiffies: number): { cookie: number; mss: number } {
  const table = flow.v6 ? MSSTAB6 : MSSTAB4;
  const mssind = mssIndex(table, mss);
  const count = cookieTime(jiffies);
  const cookie = hash(s, flow, 0, 0) + (seq >>> 0) + ((count << COOKIEBITS) >>> 0) + ((hash(s, flow, count, 1) + mssind) & COOKIEMASK);
  return { cookie: cookie >>> 0, mss: table[mssind]! };
}

/**
 * __cookie_v4_check, __cookie_v6_check: the MSS the cookie of an ACK of
 * `flow` encodes (its acknowledgement minus one is the cookie, its
 * sequence number minus one the client's ISN), or 0 when it is not a
 * cookie of this minute or the last.
 */
export function cookieCheck(s: SyncookieSecrets, flow: CookieFlow, seq: number, ackSeq: number, jiffies: number): number {
  const table = flow.v6 ? MSSTAB6 : MSSTAB4;
  const count = cookieTime(jiffies);
  let cookie = (ackSeq - 1) >>> 0;
  const sseq = (seq - 1) >>> 0;
  cookie = (cookie - ((hash(s, flow, 0, 0) + sseq) >>> 0)) >>> 0;
  const diff = (count - (cookie >>> COOKIEBITS)) & (0xffffffff >>> COOKIEBITS);
  if (diff >= MAX_SYNCOOKIE_AGE) return 0;
  const mssind = ((cookie - hash(s, flow, (count - diff) >>> 0, 1)) >>> 0) & COOKIEMASK;
  return mssind < table.length ? table[mssind]! : 0;
}
