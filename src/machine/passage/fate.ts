/**
 * Fate records (CONETn or LINUX -> DAEMON): what became of a frame, with the
 * guest's clock when it was decided; and the definitions (Intern) of the
 * drop sites and reasons they name. Drop sites and reasons are few and
 * repeat for every drop: they cross once, then by number.
 *
 * Fate: u8 kind, i8 unit, u8 flags (1 site, 2 reason, 4 frame), u32 frameNo, u64 tsNs,
 *   [site: u32 site id] [reason: u32 reason id] [frame: rest]
 * Intern (LINUX -> DAEMON): defines the next site or reason id, before the first fate that uses it:
 *   u8 kind (1 site, 2 reason, 3 a site of the ip6tables rule set), u32 id, then site: u32 rule, str8 table, str8 chain; reason: str16 text.
 */
import type { DropSite, Fate, FateKind } from '../../netfilter/fate.js';
import type { MessageBuffer } from './buffer.js';
import { ByteReader, enc } from './bytes.js';
import { MAX_CONET, Module, MsgType } from './modules.js';
import { PassageError } from './page.js';

/** A fate as it crosses the page: with the guest's clock when it was decided. */
export interface FateMsg extends Fate {
  readonly tsNs: bigint;
  /**
   * The leaving frame where the record lies, without a copy: valid during
   * the call the record is passed to (`frame` is a copy that may be kept).
   */
  frameView?(): Uint8Array | undefined;
}
const FATE_KIND_MAX = 12;
/**
 * Fate flag: the record begins the handling of its own frame, so it stands
 * for the Mark message (cause: its frame, phase 1) a guest with marks on
 * would have written before it; one message a frame less for a worker's guest.
 */
export const FATE_OPENS_MARK = 8;
/** Bytes of a fate record before its optional parts. */
export const FATE_HEADER = 15;
/** Most sites, and most reasons, a guest may define. */
export const INTERN_MAX = 1 << 20;
const INTERN_SITE = 1;
const INTERN_REASON = 2;
const INTERN_SITE6 = 3;

/** Writes a string with a length prefix of `width` bytes (1 or 2), truncated to fit; returns the next offset. */
function putStr(b: MessageBuffer, at: number, s: string, width: 1 | 2): number {
  const max = width === 1 ? 0xff : 0xffff;
  b.ensure(at - b.len + width + s.length * 3);
  const r = enc.encodeInto(s, b.bytes.subarray(at + width, at + width + Math.min(max, s.length * 3)));
  if (width === 1) b.bytes[at] = r.written;
  else b.view.setUint16(at, r.written, true);
  return at + width + r.written;
}

/** The guest's side of fate records: writes them into a MessageBuffer, defining sites and reasons on first use. */
export class FateEncoder {
  private readonly siteIds = new Map<string, Map<string, number[]>>();
  private readonly reasonIds = new Map<string, number>();
  private sites = 0;
  private reasons = 0;
  constructor(private readonly out: MessageBuffer) {}

  /** Ids by site record: the stack passes one record per site, so most fates find theirs here. */
  private readonly idOfRecord = new WeakMap<DropSite, number>();

  private siteId(s: DropSite): number {
    const known = this.idOfRecord.get(s);
    if (known !== undefined) return known;
    const id = this.siteIdByName(s);
    this.idOfRecord.set(s, id);
    return id;
  }

  private siteIdByName(s: DropSite): number {
    const tableKey = s.ipv6 ? `6 ${s.table}` : s.table;
    let chains = this.siteIds.get(tableKey);
    if (!chains) this.siteIds.set(tableKey, (chains = new Map()));
    let rules = chains.get(s.chain);
    if (!rules) chains.set(s.chain, (rules = []));
    const id = rules[s.rule];
    if (id !== undefined) return id;
    const n = this.sites++;
    rules[s.rule] = n;
    const b = this.out;
    const o = b.begin(Module.LINUX, Module.DAEMON, MsgType.Intern, 9);
    b.bytes[o] = s.ipv6 ? INTERN_SITE6 : INTERN_SITE;
    b.view.setUint32(o + 1, n, true);
    b.view.setUint32(o + 5, s.rule >>> 0, true);
    b.end(putStr(b, putStr(b, o + 9, s.table, 1), s.chain, 1));
    return n;
  }

  private reasonId(r: string): number {
    const id = this.reasonIds.get(r);
    if (id !== undefined) return id;
    const n = this.reasons++;
    this.reasonIds.set(r, n);
    const b = this.out;
    const o = b.begin(Module.LINUX, Module.DAEMON, MsgType.Intern, 5);
    b.bytes[o] = INTERN_REASON;
    b.view.setUint32(o + 1, n, true);
    b.end(putStr(b, o + 5, r, 2));
    return n;
  }

  /**
   * Appends one fate record (and the definitions it needs), at the u64 time whose 32-bit words are `tsHi` and `tsLo`.
   * `opensMark`: the record also stands for the Mark (its frame, phase 1) that would have come before it (`FATE_OPENS_MARK`).
   */
  fate(f: Fate, tsHi: number, tsLo: number, opensMark = false): void {
    const site = f.site ? this.siteId(f.site) : -1;
    const reason = f.reason !== undefined ? this.reasonId(f.reason) : -1;
    const frame = f.frame;
    const flags = (site >= 0 ? 1 : 0) | (reason >= 0 ? 2 : 0) | (frame ? 4 : 0) | (opensMark ? FATE_OPENS_MARK : 0);
    const b = this.out;
    const o = b.begin(f.unit >= 0 ? Module.CONET0 + f.unit : Module.LINUX, Module.DAEMON, MsgType.Fate, FATE_HEADER + 8 + (frame ? frame.length : 0));
    const u8 = b.bytes;
    const dv = b.view;
    u8[o] = f.kind;
    u8[o + 1] = f.unit & 0xff;
    u8[o + 2] = flags;
    dv.setUint32(o + 3, f.frameNo >>> 0, true);
    dv.setUint32(o + 7, tsLo, true);
    dv.setUint32(o + 11, tsHi, true);
    let p = o + FATE_HEADER;
    if (site >= 0) {
      dv.setUint32(p, site, true);
      p += 4;
    }
    if (reason >= 0) {
      dv.setUint32(p, reason, true);
      p += 4;
    }
    if (frame) {
      u8.set(frame, p);
      p += frame.length;
    }
    b.end(p);
  }
}

/**
 * A fate record read in place. The host reuses one for every fate: it is
 * valid during the call it is passed to; copy what you keep. `tsNs` and
 * `frame` are read from the page only when asked for (`frame` then as a
 * copy of its own, which may be kept), so a consumer that does not want the
 * leaving frame never pays for copying it.
 */
export class FateRecord implements FateMsg {
  kind: FateKind = 1 as FateKind;
  unit = -1;
  frameNo = 0;
  site: DropSite | undefined = undefined;
  reason: string | undefined = undefined;
  /** The record stands for the Mark (cause `frameNo`, phase 1) before it (FATE_OPENS_MARK). */
  opensMark = false;
  declare readonly tsNs: bigint;
  declare readonly frame: Uint8Array | undefined;
  /** The time's u64 nanoseconds as two 32-bit words (no BigInt). */
  get tsHi(): number {
    return this.#view.getUint32(this.#at + 11, true);
  }
  get tsLo(): number {
    return this.#view.getUint32(this.#at + 7, true);
  }
  // Where the record lies: src[at, end); its frame from frameAt (-1: none).
  #src: Uint8Array = new Uint8Array(0);
  #view = new DataView(this.#src.buffer);
  #at = 0;
  #end = 0;
  #frameAt = -1;
  #copy: Uint8Array | undefined = undefined;

  constructor() {
    Object.defineProperty(this, 'tsNs', { enumerable: true, get: () => this.#view.getBigUint64(this.#at + 7, true) });
    Object.defineProperty(this, 'frame', {
      enumerable: true,
      get: () => (this.#frameAt < 0 ? undefined : (this.#copy ??= this.#src.slice(this.#frameAt, this.#end))),
    });
  }

  /** The leaving frame as a view into the page (no copy): read it during the call only. */
  frameView(): Uint8Array | undefined {
    return this.#frameAt < 0 ? undefined : (this.#copy ?? this.#src.subarray(this.#frameAt, this.#end));
  }

  /** Points the record at a new place (the decoder calls this). */
  point(src: Uint8Array, view: DataView, at: number, end: number, frameAt: number): void {
    this.#src = src;
    this.#view = view;
    this.#at = at;
    this.#end = end;
    this.#frameAt = frameAt;
    this.#copy = undefined;
  }
}

/** The host's side of fate records: the sites and reasons the guest defined, and validation. */
export class FateDecoder {
  /** Site objects by id: the same object for every fate at that site. */
  readonly sites: DropSite[] = [];
  readonly reasons: string[] = [];

  /** A definition (Intern message). */
  intern(u8: Uint8Array, at: number, size: number): void {
    const r = new ByteReader(u8.subarray(at, at + size), 'definition');
    const kind = r.u8();
    const id = r.u32();
    if (kind === INTERN_SITE || kind === INTERN_SITE6) {
      if (id !== this.sites.length) throw new PassageError(`definition: site ${id} out of order (${this.sites.length} expected)`);
      if (id >= INTERN_MAX) throw new PassageError(`definition: more than ${INTERN_MAX} drop sites`);
      const rule = r.u32();
      const table = r.str(1);
      const chain = r.str(1);
      r.end();
      this.sites.push(kind === INTERN_SITE6 ? { table, chain, rule, ipv6: true } : { table, chain, rule });
    } else if (kind === INTERN_REASON) {
      if (id !== this.reasons.length) throw new PassageError(`definition: reason ${id} out of order (${this.reasons.length} expected)`);
      if (id >= INTERN_MAX) throw new PassageError(`definition: more than ${INTERN_MAX} reasons`);
      const text = r.str(2);
      r.end();
      this.reasons.push(text);
    } else throw new PassageError(`definition: unknown kind ${kind}`);
  }

  /** Decodes a fate record at `at` into `f`. */
  decode(f: FateRecord, u8: Uint8Array, dv: DataView, at: number, size: number): void {
    if (size < FATE_HEADER) throw new PassageError(`fate record: payload of ${size} bytes ends at byte ${size}, ${FATE_HEADER} needed`);
    const kind = u8[at]!;
    if (kind < 1 || kind > FATE_KIND_MAX) throw new PassageError(`fate record: unknown fate kind ${kind}`);
    const unit = dv.getInt8(at + 1);
    if (unit < -1 || unit >= MAX_CONET) throw new PassageError(`fate record: conet unit ${unit} out of range`);
    const flags = u8[at + 2]!;
    if (flags & ~(7 | FATE_OPENS_MARK)) throw new PassageError(`fate record: unknown flags 0x${flags.toString(16)}`);
    const end = at + size;
    let p = at + FATE_HEADER;
    let site: DropSite | undefined;
    let reason: string | undefined;
    if (flags & 1) {
      if (p + 4 > end) throw new PassageError(`fate record: payload of ${size} bytes ends before its site`);
      const id = dv.getUint32(p, true);
      site = this.sites[id];
      if (!site) throw new PassageError(`fate record: drop site ${id} was never defined`);
      p += 4;
    }
    if (flags & 2) {
      if (p + 4 > end) throw new PassageError(`fate record: payload of ${size} bytes ends before its reason`);
      const id = dv.getUint32(p, true);
      reason = this.reasons[id];
      if (reason === undefined) throw new PassageError(`fate record: reason ${id} was never defined`);
      p += 4;
    }
    if (!(flags & 4) && p !== end) throw new PassageError(`fate record: ${end - p} unexpected bytes after the payload`);
    f.kind = kind as FateKind;
    f.unit = unit;
    f.frameNo = dv.getUint32(at + 3, true);
    f.site = site;
    f.reason = reason;
    f.opensMark = (flags & FATE_OPENS_MARK) !== 0;
    f.point(u8, dv, at, end, flags & 4 ? p : -1);
  }
}
