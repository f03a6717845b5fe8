/**
 * A connection tracking entry (the kernel's `struct nf_conn`) and the
 * constants shared by the tracker and the matches: status bits
 * (IPS_*), ctinfo values (enum ip_conntrack_info), TCP states.
 *
 * A tuple is (proto, src, dst, sport, dport), its addresses of either
 * family (`InetAddr`, the kernel's `nf_inet_addr`). For ICMP, as in the
 * kernel's `nf_conntrack_tuple`, `sport` is the echo id and `dport` is
 * `type << 8 | code` (the bytes of `dst.u.all`); for other protocols without
 * ports both are 0. Tuple addresses are values: they are replaced (NAT
 * alters an unconfirmed entry's reply tuple), never changed in place.
 */
import { Family, InetAddr } from '../../packet/inet-addr.js';
import { SctpCt } from './sctp.js';
import type { Expectation, Helper } from './helpers.js';
import type { SeqAdj } from './seqadj.js';
import type { PolicyTimeouts } from './timeout-policy.js';

/** A tuple as a value, for the NAT core's questions ("is this tuple taken?"). */
export interface Tuple {
  readonly proto: number;
  readonly src: InetAddr;
  readonly dst: InetAddr;
  readonly sport: number;
  readonly dport: number;
}

/** Status bits (enum ip_conntrack_status). */
export const IPS_EXPECTED = 1 << 0;
export const IPS_SEEN_REPLY = 1 << 1;
export const IPS_ASSURED = 1 << 2;
export const IPS_CONFIRMED = 1 << 3;
export const IPS_SRC_NAT = 1 << 4;
export const IPS_DST_NAT = 1 << 5;
/** Set once a NAT helper changed a TCP payload's length: nf_confirm adjusts every later packet (seqadj.ts). */
export const IPS_SEQ_ADJUST = 1 << 6;

/** ctinfo (enum ip_conntrack_info). */
export const IP_CT_ESTABLISHED = 0;
export const IP_CT_RELATED = 1;
export const IP_CT_NEW = 2;
export const IP_CT_IS_REPLY = 3;
export const IP_CT_ESTABLISHED_REPLY = 3;
export const IP_CT_RELATED_REPLY = 4;

/** Zone directions (NF_CT_ZONE_DIR_*): a zone may hold for one direction of an entry only. */
export const ZONE_DIR_ORIG = 1;
export const ZONE_DIR_REPL = 2;
export const ZONE_DIR_BOTH = 3;
/** In a zone template: the zone id is the packet's mark when it is looked up (NF_CT_FLAG_MARK). */
export const ZONE_FROM_MARK = 1 << 20;

/** In a template: the index of the template's helper in HELPER_TABLE (helpers.ts), 0 for none. */
export const TEMPLATE_HELPER_SHIFT = 21;
export const TEMPLATE_HELPER_MASK = 0xf;
/** In a template: the index of the template's timeout policy (CT --timeout; the machine's list, from 1), 0 for none. */
export const TEMPLATE_TIMEOUT_SHIFT = 25;
export const TEMPLATE_TIMEOUT_MASK = 0x3f;

/**
 * A zone template as `Skb.ctZone` holds it (struct nf_conntrack_zone of a
 * CT target's template): id in the low 16 bits, directions above, and
 * ZONE_FROM_MARK, the template's helper (TEMPLATE_HELPER_SHIFT) and its
 * timeout policy (TEMPLATE_TIMEOUT_SHIFT). It stays a positive 31-bit number.
 */
export function zoneTemplate(id: number, dirs: number, fromMark: boolean, helperIndex = 0, timeoutIndex = 0): number {
  return (
    (id & 0xffff) |
    ((dirs || ZONE_DIR_BOTH) << 16) |
    (fromMark ? ZONE_FROM_MARK : 0) |
    (helperIndex << TEMPLATE_HELPER_SHIFT) |
    ((timeoutIndex & TEMPLATE_TIMEOUT_MASK) << TEMPLATE_TIMEOUT_SHIFT)
  );
}

/** nf_ct_zone_id: the zone id `id` (directions `dirs`) has in direction `dir` (0 original, 1 reply): 0 where it does not hold. */
export function zoneIdIn(id: number, dirs: number, dir: number): number {
  return dirs & (1 << dir) ? id : 0;
}

/** Values of `Skb.ctState`. */
export const CT_TRACKED = 0;
export const CT_INVALID = 1;
export const CT_UNTRACKED = 2;

/** TCP states (enum tcp_conntrack). */
export const enum TcpState {
  None = 0,
  SynSent = 1,
  SynRecv = 2,
  Established = 3,
  FinWait = 4,
  CloseWait = 5,
  LastAck = 6,
  TimeWait = 7,
  Close = 8,
  SynSent2 = 9,
  /** sIV in the kernel's table. */
  Max = 10,
  /** sIG in the kernel's table. */
  Ignore = 11,
}

export const TCP_STATE_NAMES = [
  'NONE',
  'SYN_SENT',
  'SYN_RECV',
  'ESTABLISHED',
  'FIN_WAIT',
  'CLOSE_WAIT',
  'LAST_ACK',
  'TIME_WAIT',
  'CLOSE',
  'SYN_SENT2',
] as const;

/*
 * Sequence numbers and address words are unsigned 32-bit numbers; half of
 * them are 2^31 or more, which V8 cannot keep in an object field as a small
 * integer: each such field would be a heap number of its own (16 bytes, and
 * a pointer to follow), several per connection. The entries below keep them
 * as signed 32-bit integers (`| 0`) and read them back unsigned (`>>> 0`),
 * so an entry holds no heap numbers and the values are those of before.
 */

/**
 * Per-direction TCP window tracking data (struct ip_ct_tcp_state) as a
 * working copy: an entry keeps both directions' data as fields of its
 * `TcpCt` (no object per direction); the tracker loads a direction into a
 * `TcpSide` (`TcpCt.load`), works on it, and stores it back (`TcpCt.store`).
 * The raw fields `end_`, `maxend_` and `maxack_` are the sequence numbers
 * as signed 32-bit integers (read them unsigned through the accessors).
 */
export class TcpSide {
  end_ = 0;
  maxend_ = 0;
  maxack_ = 0;
  tdMaxwin = 0;
  tdScale = 0;
  flags = 0;

  get tdEnd(): number {
    return this.end_ >>> 0;
  }
  set tdEnd(v: number) {
    this.end_ = v | 0;
  }
  get tdMaxend(): number {
    return this.maxend_ >>> 0;
  }
  set tdMaxend(v: number) {
    this.maxend_ = v | 0;
  }
  get tdMaxack(): number {
    return this.maxack_ >>> 0;
  }
  set tdMaxack(v: number) {
    this.maxack_ = v | 0;
  }

  reset(keepLiberal: boolean): void {
    this.tdEnd = 0;
    this.tdMaxend = 0;
    this.tdMaxwin = 0;
    this.tdMaxack = 0;
    this.tdScale = 0;
    this.flags = keepLiberal ? this.flags & TCP_FLAG_BE_LIBERAL : 0;
  }
}

/** struct nf_conn_synproxy: the proxy's ISN (the cookie), its timestamp and the server's timestamp offset. */
export class SynproxyExt {
  isn = 0;
  its = 0;
  tsoff = 0;
}

/** ip_ct_tcp_state.flags (IP_CT_TCP_FLAG_*). */
export const TCP_FLAG_WINDOW_SCALE = 0x01;
export const TCP_FLAG_SACK_PERM = 0x02;
export const TCP_FLAG_CLOSE_INIT = 0x04;
export const TCP_FLAG_BE_LIBERAL = 0x08;
export const TCP_FLAG_DATA_UNACKNOWLEDGED = 0x10;
export const TCP_FLAG_MAXACK_SET = 0x20;
/** last_flags only. */
export const TCP_EXP_CHALLENGE_ACK = 0x40;
export const TCP_SIMULTANEOUS_OPEN = 0x80;

/**
 * struct ip_ct_tcp. Its two directions' window data (seen[0] original,
 * seen[1] reply) are fields of its own rather than objects of their own:
 * a TCP entry is one object less per direction to allocate, to copy in
 * each garbage collection and to reach (a dependent load) per packet.
 */
export class TcpCt {
  state: TcpState = TcpState.None;
  lastDir = 0;
  retrans = 0;
  lastIndex = 0;
  private lastSeq_ = 0;
  private lastAck_ = 0;
  private lastEnd_ = 0;
  lastWin = 0;
  lastWscale = 0;
  lastFlags = 0;
  // seen[0], as TcpSide's fields.
  private end0 = 0;
  private maxend0 = 0;
  private maxack0 = 0;
  private maxwin0 = 0;
  private scale0 = 0;
  private flags0 = 0;
  // seen[1].
  private end1 = 0;
  private maxend1 = 0;
  private maxack1 = 0;
  private maxwin1 = 0;
  private scale1 = 0;
  private flags1 = 0;

  get lastSeq(): number {
    return this.lastSeq_ >>> 0;
  }
  set lastSeq(v: number) {
    this.lastSeq_ = v | 0;
  }
  get lastAck(): number {
    return this.lastAck_ >>> 0;
  }
  set lastAck(v: number) {
    this.lastAck_ = v | 0;
  }
  get lastEnd(): number {
    return this.lastEnd_ >>> 0;
  }
  set lastEnd(v: number) {
    this.lastEnd_ = v | 0;
  }

  /** Copies the window data of direction `dir` (0 original, 1 reply) into `side`, and returns it. */
  load(dir: number, side: TcpSide): TcpSide {
    if (dir === 0) {
      side.end_ = this.end0;
      side.maxend_ = this.maxend0;
      side.maxack_ = this.maxack0;
      side.tdMaxwin = this.maxwin0;
      side.tdScale = this.scale0;
      side.flags = this.flags0;
    } else {
      side.end_ = this.end1;
      side.maxend_ = this.maxend1;
      side.maxack_ = this.maxack1;
      side.tdMaxwin = this.maxwin1;
      side.tdScale = this.scale1;
      side.flags = this.flags1;
    }
    return side;
  }

  /** Makes `side` the window data of direction `dir`. */
  store(dir: number, side: TcpSide): void {
    if (dir === 0) {
      this.end0 = side.end_;
      this.maxend0 = side.maxend_;
      this.maxack0 = side.maxack_;
      this.maxwin0 = side.tdMaxwin;
      this.scale0 = side.tdScale;
      this.flags0 = side.flags;
    } else {
      this.end1 = side.end_;
      this.maxend1 = side.maxend_;
      this.maxack1 = side.maxack_;
      this.maxwin1 = side.tdMaxwin;
      this.scale1 = side.tdScale;
      this.flags1 = side.flags;
    }
  }

  /** The flags (IP_CT_TCP_FLAG_*) of direction `dir`. */
  flags(dir: number): number {
    return dir === 0 ? this.flags0 : this.flags1;
  }

  /** Sets `f` in the flags of direction `dir`. */
  setFlags(dir: number, f: number): void {
    if (dir === 0) this.flags0 |= f;
    else this.flags1 |= f;
  }

  /** td_maxack of direction `dir`. */
  maxack(dir: number): number {
    return (dir === 0 ? this.maxack0 : this.maxack1) >>> 0;
  }

  /** td_maxwin of direction `dir`. */
  maxwin(dir: number): number {
    return dir === 0 ? this.maxwin0 : this.maxwin1;
  }

  /** Both directions' window data (struct ip_ct_tcp.seen), as copies: for inspection. */
  get seen(): readonly [TcpSide, TcpSide] {
    return [this.load(0, new TcpSide()), this.load(1, new TcpSide())];
  }

  clear(): void {
    this.state = TcpState.None;
    this.lastDir = 0;
    this.retrans = 0;
    this.lastIndex = 0;
    this.lastSeq_ = 0;
    this.lastAck_ = 0;
    this.lastEnd_ = 0;
    this.lastWin = 0;
    this.lastWscale = 0;
    this.lastFlags = 0;
    this.end0 = 0;
    this.maxend0 = 0;
    this.maxack0 = 0;
    this.maxwin0 = 0;
    this.scale0 = 0;
    this.flags0 = 0;
    this.end1 = 0;
    this.maxend1 = 0;
    this.maxack1 = 0;
    this.maxwin1 = 0;
    this.scale1 = 0;
    this.flags1 = 0;
  }
}

/** The words an IPv6 tuple has beyond its addresses' first (signed 32-bit integers): an IPv4 tuple has none. */
export class WideKey {
  s1 = 0;
  s2 = 0;
  s3 = 0;
  d1 = 0;
  d2 = 0;
  d3 = 0;

  equals(o: WideKey): boolean {
    return this.s1 === o.s1 && this.d1 === o.d1 && this.s2 === o.s2 && this.d2 === o.d2 && this.s3 === o.s3 && this.d3 === o.d3;
  }
}

/**
 * One direction of an entry as it sits in a hash chain
 * (struct nf_conntrack_tuple_hash). Its key is held inline as numbers (the
 * protocol, the family and the addresses' first words; an IPv6 tuple's
 * other words in `wide`), so that a lookup compares the entries of a chain
 * without reaching address records; the records `src` and `dst` are made
 * from those words the first time they are read (an entry made for a
 * packet holds none until something asks).
 */
export class TupleHash implements Tuple {
  next: TupleHash | null = null;
  bucket = -1;
  readonly proto: number;
  /** The inline key: the addresses' family and first words as signed 32-bit integers (kept in step with `src` and `dst`). */
  fam = 0;
  s0 = 0;
  d0 = 0;
  /** IPv6: the other words of both addresses; null for IPv4 (whose other words are zero). */
  wide: WideKey | null = null;
  private src_: InetAddr | null = null;
  private dst_: InetAddr | null = null;

  constructor(
    readonly conn: Conn,
    /** 0 original, 1 reply. */
    readonly dir: 0 | 1,
    /** Set when the entry is made; the reply tuple changes only while unconfirmed (nf_conntrack_alter_reply). */
    src: InetAddr | null,
    dst: InetAddr | null,
    public sport: number,
    public dport: number,
  ) {
    this.proto = conn.proto;
    if (src !== null) this.src = src;
    if (dst !== null) this.dst = dst;
  }

  get src(): InetAddr {
    if (this.src_ !== null) return this.src_;
    const w = this.wide;
    return (this.src_ = w === null ? new InetAddr(this.fam, this.s0 >>> 0) : new InetAddr(this.fam, this.s0 >>> 0, w.s1 >>> 0, w.s2 >>> 0, w.s3 >>> 0));
  }

  set src(a: InetAddr) {
    this.src_ = a;
    this.fam = a.family;
    this.s0 = a.w0 | 0;
    if (a.family === Family.V6) {
      const w = this.wide ?? (this.wide = new WideKey());
      w.s1 = a.w1 | 0;
      w.s2 = a.w2 | 0;
      w.s3 = a.w3 | 0;
    } else this.wide = null;
  }

  get dst(): InetAddr {
    if (this.dst_ !== null) return this.dst_;
    const w = this.wide;
    return (this.dst_ = w === null ? new InetAddr(this.fam, this.d0 >>> 0) : new InetAddr(this.fam, this.d0 >>> 0, w.d1 >>> 0, w.d2 >>> 0, w.d3 >>> 0));
  }

  set dst(a: InetAddr) {
    this.dst_ = a;
    this.d0 = a.w0 | 0;
    if (a.family === Family.V6) {
      const w = this.wide ?? (this.wide = new WideKey());
      w.d1 = a.w1 | 0;
      w.d2 = a.w2 | 0;
      w.d3 = a.w3 | 0;
    } else this.wide = null;
  }

  /**
   * Sets the key to (src, dst, sport, dport) by copying the words of `src`
   * and `dst` (records that may be reused: neither is kept), or, with
   * `swap`, to (dst, src, ...).
   */
  setKey(src: InetAddr, dst: InetAddr, sport: number, dport: number, swap: boolean): void {
    const a = swap ? dst : src;
    const b = swap ? src : dst;
    this.src_ = null;
    this.dst_ = null;
    this.fam = a.family;
    this.s0 = a.w0 | 0;
    this.d0 = b.w0 | 0;
    if (a.family === Family.V6) {
      const w = this.wide ?? (this.wide = new WideKey());
      w.s1 = a.w1 | 0;
      w.s2 = a.w2 | 0;
      w.s3 = a.w3 | 0;
      w.d1 = b.w1 | 0;
      w.d2 = b.w2 | 0;
      w.d3 = b.w3 | 0;
    } else this.wide = null;
    this.sport = sport;
    this.dport = dport;
  }

  /** Does this direction hold the tuple (proto, src, dst, sport, dport) (nf_ct_tuple_equal)? Reads only inline numbers. */
  holds(proto: number, src: InetAddr, dst: InetAddr, sport: number, dport: number): boolean {
    if (
      this.sport !== sport ||
      this.dport !== dport ||
      this.s0 !== (src.w0 | 0) ||
      this.d0 !== (dst.w0 | 0) ||
      this.proto !== proto ||
      this.fam !== src.family ||
      (dst.family as number) !== this.fam
    )
      return false;
    // An IPv4 address's other words are zero.
    const w = this.wide;
    return (
      w === null ||
      (w.s1 === (src.w1 | 0) && w.d1 === (dst.w1 | 0) && w.s2 === (src.w2 | 0) && w.d2 === (dst.w2 | 0) && w.s3 === (src.w3 | 0) && w.d3 === (dst.w3 | 0))
    );
  }

  /** Are this direction's addresses those of `o` swapped (src = o.dst, dst = o.src)? Reads only inline numbers. */
  swapsAddressesOf(o: TupleHash): boolean {
    if (this.fam !== o.fam || this.s0 !== o.d0 || this.d0 !== o.s0) return false;
    const w = this.wide;
    const v = o.wide;
    if (w === null || v === null) return w === v;
    return w.s1 === v.d1 && w.s2 === v.d2 && w.s3 === v.d3 && w.d1 === v.s1 && w.d2 === v.s2 && w.d3 === v.s3;
  }

  /** Does this direction hold the same tuple as `o` (nf_ct_tuple_equal)? Reads only inline numbers. */
  holdsKeyOf(o: TupleHash): boolean {
    if (this.sport !== o.sport || this.dport !== o.dport || this.s0 !== o.s0 || this.d0 !== o.d0 || this.proto !== o.proto || this.fam !== o.fam) return false;
    const w = this.wide;
    const v = o.wide;
    return w === null || v === null ? w === v : w.equals(v);
  }
}

/**
 * The extensions of an entry that almost no entry has (the kernel keeps
 * them in ct->ext, allocated when first added): an entry holds one of these
 * only once one of them is set, so that the common entry (no helper,
 * accounting, labels...) is smaller to allocate, to copy in each garbage
 * collection and to keep. `Conn` reads and writes them through accessors.
 */
export class ConnExt {
  helper: Helper | null = null;
  policy: PolicyTimeouts | null = null;
  helpData: unknown = null;
  expectations: Expectation[] | null = null;
  master: Conn | null = null;
  seqadj: SeqAdj | null = null;
  synproxy: SynproxyExt | null = null;
  acct: Float64Array | null = null;
  labels: Uint32Array | null = null;
  sctp: SctpCt | null = null;
}

/** A tracked connection (struct nf_conn). */
export class Conn {
  readonly orig: TupleHash;
  readonly reply: TupleHash;
  status = 0;
  /**
   * When confirmed: the jiffy at which the entry expires. Before: the
   * timeout in jiffies relative to confirmation (as the kernel keeps it).
   */
  timeout = 0;
  mark = 0;
  /** TCP tracking data, or null for other protocols. */
  readonly tcp: TcpCt | null;
  /** UDP: jiffy after which a replied flow counts as a stream. */
  udpStreamTs = 0;
  /** Set when the entry has been removed from the table (killed or expired). */
  dead = false;
  /** The conntrack zone (nf_ct_zone): its id and the directions it holds for (ZONE_DIR_*). */
  zone = 0;
  zoneDirs = ZONE_DIR_BOTH;
  /**
   * Set when something besides the packet keeps the entry (connlimit's
   * lists): an entry dropped before confirmation is then never reused.
   */
  held = false;
  /** The rare extensions below (helper, timeout policy, expectations, master, seqadj, synproxy, acct, labels, SCTP state), or null while the entry has none. */
  ext: ConnExt | null = null;

  /** The extension record, made on first write. */
  private extension(): ConnExt {
    return this.ext ?? (this.ext = new ConnExt());
  }

  /**
   * The conntrack helper (nfct_help(ct)->helper), from the template of a
   * `CT --helper` rule when the entry was made; null for almost every entry,
   * which is all `confirm` tests on its way.
   */
  get helper(): Helper | null {
    const e = this.ext;
    return e === null ? null : e.helper;
  }
  set helper(v: Helper | null) {
    if (v !== null || this.ext !== null) this.extension().helper = v;
  }
  /** The timeout policy (the timeout extension, nf_ct_timeout_lookup) of a `CT --timeout` template, or null: the namespace's timeouts. */
  get policy(): PolicyTimeouts | null {
    const e = this.ext;
    return e === null ? null : e.policy;
  }
  set policy(v: PolicyTimeouts | null) {
    if (v !== null || this.ext !== null) this.extension().policy = v;
  }
  /** The helper's own state for this entry (struct nf_ct_ftp_master, ...). */
  get helpData(): unknown {
    const e = this.ext;
    return e === null ? null : e.helpData;
  }
  set helpData(v: unknown) {
    if (v !== null || this.ext !== null) this.extension().helpData = v;
  }
  /** This entry's pending expectations, newest first (nf_conn_help.expectations). */
  get expectations(): Expectation[] | null {
    const e = this.ext;
    return e === null ? null : e.expectations;
  }
  set expectations(v: Expectation[] | null) {
    if (v !== null || this.ext !== null) this.extension().expectations = v;
  }
  /** The entry whose expectation this one matched (ct->master), or null. */
  get master(): Conn | null {
    const e = this.ext;
    return e === null ? null : e.master;
  }
  set master(v: Conn | null) {
    if (v !== null || this.ext !== null) this.extension().master = v;
  }
  /**
   * The TCP sequence offsets a NAT helper's rewrites left (the seqadj
   * extension, seqadj.ts): only an entry with a helper whose tuple NAT
   * changed has one.
   */
  get seqadj(): SeqAdj | null {
    const e = this.ext;
    return e === null ? null : e.seqadj;
  }
  set seqadj(v: SeqAdj | null) {
    if (v !== null || this.ext !== null) this.extension().seqadj = v;
  }
  /**
   * SYNPROXY's record of the connection it opened to the server (the
   * synproxy extension, nf_conn_synproxy), or null: only entries made by
   * a proxied SYN (the synproxy template) carry it.
   */
  get synproxy(): SynproxyExt | null {
    const e = this.ext;
    return e === null ? null : e.synproxy;
  }
  set synproxy(v: SynproxyExt | null) {
    if (v !== null || this.ext !== null) this.extension().synproxy = v;
  }
  /**
   * The accounting extension (nf_conn_acct): packets and bytes of the
   * original direction, then of the reply direction. Only entries made while
   * the namespace's nf_conntrack_acct was on have it (`Conntrack.acct`).
   */
  get acct(): Float64Array | null {
    const e = this.ext;
    return e === null ? null : e.acct;
  }
  set acct(v: Float64Array | null) {
    if (v !== null || this.ext !== null) this.extension().acct = v;
  }
  /**
   * The labels extension (nf_conn_labels): 128 bits as four 32-bit words,
   * bit N in word N >> 5. Only entries made while a connlabel rule was
   * loaded have it (`Conntrack.labelsUsed`).
   */
  get labels(): Uint32Array | null {
    const e = this.ext;
    return e === null ? null : e.labels;
  }
  set labels(v: Uint32Array | null) {
    if (v !== null || this.ext !== null) this.extension().labels = v;
  }
  /** SCTP tracking data, or null for other protocols. */
  get sctp(): SctpCt | null {
    const e = this.ext;
    return e === null ? null : e.sctp;
  }

  constructor(
    readonly proto: number,
    src: InetAddr | null,
    dst: InetAddr | null,
    sport: number,
    dport: number,
    rsrc: InetAddr | null,
    rdst: InetAddr | null,
    rsport: number,
    rdport: number,
  ) {
    this.orig = new TupleHash(this, 0, src, dst, sport, dport);
    this.reply = new TupleHash(this, 1, rsrc, rdst, rsport, rdport);
    this.tcp = proto === 6 ? new TcpCt() : null;
    if (proto === 132) this.extension().sctp = new SctpCt();
  }

  /**
   * A new entry for a packet from `src` to `dst` (records of the packet's,
   * which the entry copies and does not keep), its reply tuple from `dst`
   * to `src` with ports (or ICMP id and type) `rsport` and `rdport`.
   */
  static ofPacket(proto: number, src: InetAddr, dst: InetAddr, sport: number, dport: number, rsport: number, rdport: number): Conn {
    const c = new Conn(proto, null, null, sport, dport, null, null, rsport, rdport);
    c.orig.setKey(src, dst, sport, dport, false);
    c.reply.setKey(src, dst, rsport, rdport, true);
    return c;
  }

  /**
   * Makes a freed entry (TCP or UDP, unconfirmed, held by nothing) a new
   * one, as `ofPacket` makes it: every field as the constructor leaves it.
   */
  reuse(src: InetAddr, dst: InetAddr, sport: number, dport: number, rsport: number, rdport: number): this {
    this.orig.setKey(src, dst, sport, dport, false);
    this.reply.setKey(src, dst, rsport, rdport, true);
    this.status = 0;
    this.timeout = 0;
    this.mark = 0;
    this.tcp?.clear();
    this.udpStreamTs = 0;
    this.dead = false;
    this.zone = 0;
    this.zoneDirs = ZONE_DIR_BOTH;
    // A reused entry had no helper, master, expectation, seqadj or synproxy record: only accounting, labels or a timeout policy.
    this.ext = null;
    return this;
  }

  /** The entry's family (nf_ct_l3num). */
  get family(): Family {
    return this.orig.fam as Family;
  }

  get confirmed(): boolean {
    return (this.status & IPS_CONFIRMED) !== 0;
  }

  /** The tuple of direction `dir` (0 original, 1 reply). */
  tuple(dir: number): TupleHash {
    return dir === 0 ? this.orig : this.reply;
  }
}

/** Direction of a ctinfo value (CTINFO2DIR). */
export function ctinfoDir(ctinfo: number): 0 | 1 {
  return ctinfo >= IP_CT_IS_REPLY ? 1 : 0;
}
