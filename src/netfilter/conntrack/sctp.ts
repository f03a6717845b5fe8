/**
 * The SCTP tracker (net/netfilter/nf_conntrack_proto_sctp.c as in Linux
 * 6.18): the CRC32c check on PREROUTING, the chunk walk's basic checks,
 * the state table (an association's states NONE to HEARTBEAT_SENT, one
 * transition per chunk), the verification tags of both directions (RFC
 * 9260 section 8.5 and its special cases for INIT, ABORT,
 * SHUTDOWN_COMPLETE, COOKIE_ECHO, HEARTBEAT), INIT retransmissions that do
 * not refresh a CLOSED entry, and each state's timeout. Multihoming is the
 * kernel's too: one entry per address pair, a HEARTBEAT opening a
 * secondary path's entry (HEARTBEAT_SENT) whose HEARTBEAT_ACK makes it
 * ESTABLISHED.
 */
import { HZ } from '../clock.js';
import { sctpChecksum, sctpStoredChecksum } from '../../packet/checksum.js';

/** enum sctp_conntrack. */
export const enum SctpState {
  None = 0,
  Closed = 1,
  CookieWait = 2,
  CookieEchoed = 3,
  Established = 4,
  ShutdownSent = 5,
  ShutdownRecd = 6,
  ShutdownAckSent = 7,
  HeartbeatSent = 8,
  /** sIV: SCTP_CONNTRACK_MAX. */
  Max = 9,
}

/** The names conntrack -L prints (sctp_conntrack_names). */
export const SCTP_STATE_NAMES = [
  'NONE',
  'CLOSED',
  'COOKIE_WAIT',
  'COOKIE_ECHOED',
  'ESTABLISHED',
  'SHUTDOWN_SENT',
  'SHUTDOWN_RECD',
  'SHUTDOWN_ACK_SENT',
  'HEARTBEAT_SENT',
] as const;

/** Default timeouts in seconds, per state (sctp_timeouts; NONE takes CLOSED's). */
export const SCTP_TIMEOUTS_S = [10, 10, 3, 3, 210, 3, 3, 3, 30] as const;

/** Chunk types (SCTP_CID_*). */
const CID_DATA = 0;
const CID_INIT = 1;
const CID_INIT_ACK = 2;
const CID_HEARTBEAT = 4;
const CID_HEARTBEAT_ACK = 5;
const CID_ABORT = 6;
const CID_SHUTDOWN = 7;
const CID_SHUTDOWN_ACK = 8;
const CID_ERROR = 9;
const CID_COOKIE_ECHO = 10;
const CID_COOKIE_ACK = 11;
const CID_SHUTDOWN_COMPLETE = 14;

/** SCTP_CHUNK_FLAG_T. */
const FLAG_T = 1;
/** SCTP_FLAG_HEARTBEAT_VTAG_FAILED. */
const HEARTBEAT_VTAG_FAILED = 1;

const sNO = SctpState.None;
const sCL = SctpState.Closed;
const sCW = SctpState.CookieWait;
const sCE = SctpState.CookieEchoed;
const sES = SctpState.Established;
const sSS = SctpState.ShutdownSent;
const sSR = SctpState.ShutdownRecd;
const sSA = SctpState.ShutdownAckSent;
const sHS = SctpState.HeartbeatSent;
const sIV = SctpState.Max;

/** sctp_conntracks[dir][chunk row][state]. */
const TABLE: readonly (readonly (readonly number[])[])[] = [
  [
    // ORIGINAL     sNO  sCL  sCW  sCE  sES  sSS  sSR  sSA  sHS
    /* init      */ [sCL, sCL, sCW, sCE, sES, sCL, sCL, sSA, sCW],
    /* init_ack  */ [sCL, sCL, sCW, sCE, sES, sSS, sSR, sSA, sCL],
    /* abort     */ [sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    /* shutdown  */ [sCL, sCL, sCW, sCE, sSS, sSS, sSR, sSA, sCL],
    /* shut_ack  */ [sSA, sCL, sCW, sCE, sES, sSA, sSA, sSA, sSA],
    /* error     */ [sCL, sCL, sCW, sCE, sES, sSS, sSR, sSA, sCL],
    /* cook_echo */ [sCL, sCL, sCE, sCE, sES, sSS, sSR, sSA, sCL],
    /* cook_ack  */ [sCL, sCL, sCW, sES, sES, sSS, sSR, sSA, sCL],
    /* shut_comp */ [sCL, sCL, sCW, sCE, sES, sSS, sSR, sCL, sCL],
    /* heartbeat */ [sHS, sCL, sCW, sCE, sES, sSS, sSR, sSA, sHS],
    /* hb_ack    */ [sCL, sCL, sCW, sCE, sES, sSS, sSR, sSA, sHS],
  ],
  [
    // REPLY        sNO  sCL  sCW  sCE  sES  sSS  sSR  sSA  sHS
    /* init      */ [sIV, sCL, sCW, sCE, sES, sSS, sSR, sSA, sIV],
    /* init_ack  */ [sIV, sCW, sCW, sCE, sES, sSS, sSR, sSA, sIV],
    /* abort     */ [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sIV],
    /* shutdown  */ [sIV, sCL, sCW, sCE, sSR, sSS, sSR, sSA, sIV],
    /* shut_ack  */ [sIV, sCL, sCW, sCE, sES, sSA, sSA, sSA, sIV],
    /* error     */ [sIV, sCL, sCW, sCL, sES, sSS, sSR, sSA, sIV],
    /* cook_echo */ [sIV, sCL, sCE, sCE, sES, sSS, sSR, sSA, sIV],
    /* cook_ack  */ [sIV, sCL, sCW, sES, sES, sSS, sSR, sSA, sIV],
    /* shut_comp */ [sIV, sCL, sCW, sCE, sES, sSS, sSR, sCL, sIV],
    /* heartbeat */ [sIV, sCL, sCW, sCE, sES, sSS, sSR, sSA, sHS],
    /* hb_ack    */ [sIV, sCL, sCW, sCE, sES, sSS, sSR, sSA, sES],
  ],
];

/** The table's row for a chunk type, or -1 for chunks that leave the state alone (DATA, SACK, ...). */
function chunkRow(type: number): number {
  switch (type) {
    case CID_INIT:
      return 0;
    case CID_INIT_ACK:
      return 1;
    case CID_ABORT:
      return 2;
    case CID_SHUTDOWN:
      return 3;
    case CID_SHUTDOWN_ACK:
      return 4;
    case CID_ERROR:
      return 5;
    case CID_COOKIE_ECHO:
      return 6;
    case CID_COOKIE_ACK:
      return 7;
    case CID_SHUTDOWN_COMPLETE:
      return 8;
    case CID_HEARTBEAT:
      return 9;
    case CID_HEARTBEAT_ACK:
      return 10;
    default:
      return -1;
  }
}

/** sctp_new_state. */
function newState(dir: number, cur: number, type: number): number {
  const row = chunkRow(type);
  return row < 0 ? cur : TABLE[dir]![row]![cur]!;
}

/** struct ip_ct_sctp. */
export class SctpCt {
  state: SctpState = SctpState.None;
  /** Verification tags expected in each direction. */
  readonly vtag = new Uint32Array(2);
  /** An INIT was seen in each direction (init collisions). */
  readonly init = new Uint8Array(2);
  flags = 0;
  lastDir = 0;
}

/** The outcome of a packet for the entry. */
export const enum SctpVerdict {
  /** Accepted; refresh the entry with `timeout` jiffies. */
  Accept = 0,
  /** Accepted without refreshing the timeout (an INIT retransmitted in CLOSED, a heartbeat on a new path's tag). */
  AcceptNoRefresh = 1,
  Invalid = 2,
}

export interface SctpResult {
  verdict: SctpVerdict;
  timeout: number;
  /** The entry just became ESTABLISHED (set ASSURED). */
  assure: boolean;
}

const RESULT: SctpResult = { verdict: SctpVerdict.Invalid, timeout: 0, assure: false };

/** INVALID; `assure` keeps what the chunks before the bad one did (the kernel sets ASSURED as it goes). */
function invalid(): SctpResult {
  RESULT.verdict = SctpVerdict.Invalid;
  RESULT.timeout = 0;
  return RESULT;
}

const u32 = (d: Uint8Array, o: number): number => ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;

/** Chunk type bitmap of the packet (do_basic_checks' map), reused. */
const map = new Uint8Array(32);
const has = (t: number): boolean => (map[t >> 3]! & (1 << (t & 7))) !== 0;

/**
 * do_basic_checks: walks the chunks from `th + 12` while a whole chunk
 * header is left; fills `map`. False when a COOKIE_ACK or COOKIE_ECHO is not
 * the first chunk, an INIT, INIT_ACK or SHUTDOWN_COMPLETE is not alone, a
 * chunk has length 0, or there is no chunk.
 */
function basicChecks(d: Uint8Array, th: number, len: number): boolean {
  map.fill(0);
  let flag = false;
  let count = 0;
  for (let off = th + 12; off < len && off + 4 <= len; count++) {
    const type = d[off]!;
    const clen = (d[off + 2]! << 8) | d[off + 3]!;
    if (type === CID_INIT || type === CID_INIT_ACK || type === CID_SHUTDOWN_COMPLETE) flag = true;
    if (((type === CID_COOKIE_ACK || type === CID_COOKIE_ECHO || flag) && count !== 0) || clen === 0) return false;
    map[type >> 3]! |= 1 << (type & 7);
    off += (clen + 3) & ~3;
  }
  return count !== 0;
}

/**
 * sctp_new: the state a packet without an entry opens. Every chunk must be
 * one a new association or path may start with (a DATA or SACK alone opens
 * nothing); an INIT must carry tag 0 and its initiate tag becomes the
 * reply's tag, a HEARTBEAT's tag the original's, any other chunk's tag the
 * reply's (an out-of-the-blue SHUTDOWN_ACK awaits its SHUTDOWN_COMPLETE).
 */
function sctpNew(ct: SctpCt, d: Uint8Array, th: number, len: number): boolean {
  ct.state = SctpState.None;
  ct.vtag[0] = 0;
  ct.vtag[1] = 0;
  ct.init[0] = 0;
  ct.init[1] = 0;
  ct.flags = 0;
  ct.lastDir = 0;
  const vtag = u32(d, th + 4);
  for (let off = th + 12; off < len && off + 4 <= len;) {
    const type = d[off]!;
    const s = newState(0, SctpState.None, type);
    if (s === SctpState.None || s === SctpState.Max) return false;
    if (type === CID_INIT) {
      if (vtag !== 0) return false;
      if (off + 4 + 16 > len) return false;
      ct.vtag[1] = u32(d, off + 4);
    } else if (type === CID_HEARTBEAT) {
      ct.vtag[0] = vtag;
    } else {
      ct.vtag[1] = vtag;
    }
    ct.state = SctpState.None;
    off += (((d[off + 2]! << 8) | d[off + 3]!) + 3) & ~3;
  }
  return true;
}

/**
 * The SCTP common header is at `th`, the packet ends at `len`: short
 * packets and (on PREROUTING, with nf_conntrack_checksum) a wrong CRC32c are
 * INVALID (sctp_error).
 */
export function sctpError(d: Uint8Array, th: number, len: number, csum: boolean): boolean {
  if (th + 12 > len) return true;
  return csum && sctpStoredChecksum(d, th) !== sctpChecksum(d, th, len - th);
}

/**
 * nf_conntrack_sctp_packet after sctp_error: the packet's chunks move the
 * entry `ct` (fresh when `confirmed` is false) in direction `dir`.
 * `timeouts` are in jiffies per state.
 */
export function sctpPacket(ct: SctpCt, confirmed: boolean, dir: number, d: Uint8Array, th: number, len: number, timeouts: readonly number[]): SctpResult {
  RESULT.assure = false;
  if (!basicChecks(d, th, len)) return invalid();
  const vtag = u32(d, th + 4);
  if (!confirmed) {
    // An out-of-the-blue packet with any of these is discarded (section 8.4).
    if (has(CID_ABORT) || has(CID_SHUTDOWN_COMPLETE) || has(CID_COOKIE_ACK)) return invalid();
    if (!sctpNew(ct, d, th, len)) return invalid();
  }
  const odir = dir ^ 1;
  // The verification tag (section 8.5), unless a chunk with its own rule is there.
  if (
    !has(CID_INIT) &&
    !has(CID_SHUTDOWN_COMPLETE) &&
    !has(CID_COOKIE_ECHO) &&
    !has(CID_ABORT) &&
    !has(CID_SHUTDOWN_ACK) &&
    !has(CID_HEARTBEAT) &&
    !has(CID_HEARTBEAT_ACK) &&
    vtag !== ct.vtag[dir]
  ) {
    return invalid();
  }
  let oldState: number = SctpState.None;
  let state: number = SctpState.None;
  let ignore = false;
  for (let off = th + 12; off < len && off + 4 <= len; off += (((d[off + 2]! << 8) | d[off + 3]!) + 3) & ~3) {
    const type = d[off]!;
    const flags = d[off + 1]!;
    if (type === CID_INIT) {
      if (vtag !== 0) return invalid();
    } else if (type === CID_ABORT || type === CID_SHUTDOWN_COMPLETE) {
      // Own tag without the T flag, the peer's with it.
      if (vtag !== ct.vtag[flags & FLAG_T ? odir : dir]) return invalid();
    } else if (type === CID_COOKIE_ECHO) {
      if (vtag !== ct.vtag[dir]) return invalid();
    } else if (type === CID_COOKIE_ACK) {
      ct.init[0] = 0;
      ct.init[1] = 0;
    } else if (type === CID_HEARTBEAT) {
      if (ct.vtag[dir] === 0) {
        ct.vtag[dir] = vtag;
      } else if (vtag !== ct.vtag[dir]) {
        if (has(CID_DATA) || ignore) return invalid();
        ct.flags |= HEARTBEAT_VTAG_FAILED;
        ct.lastDir = dir;
        ignore = true;
        continue;
      } else if (ct.flags & HEARTBEAT_VTAG_FAILED) {
        ct.flags &= ~HEARTBEAT_VTAG_FAILED;
      }
    } else if (type === CID_HEARTBEAT_ACK) {
      if (ct.vtag[dir] === 0) {
        ct.vtag[dir] = vtag;
      } else if (vtag !== ct.vtag[dir]) {
        if (has(CID_DATA) || ignore) return invalid();
        if ((ct.flags & HEARTBEAT_VTAG_FAILED) === 0 || ct.lastDir === dir) return invalid();
        ct.flags &= ~HEARTBEAT_VTAG_FAILED;
        ct.vtag[dir] = vtag;
        ct.vtag[odir] = 0;
      } else if (ct.flags & HEARTBEAT_VTAG_FAILED) {
        ct.flags &= ~HEARTBEAT_VTAG_FAILED;
      }
    }
    oldState = ct.state;
    state = newState(dir, oldState, type);
    if (state === SctpState.Max) return invalid();
    if (type === CID_INIT) {
      if (off + 4 + 16 > len) return invalid();
      if (ct.init[dir] && ct.init[odir]) ct.init[odir] = 0;
      ct.init[dir] = 1;
      ct.vtag[odir] = u32(d, off + 4);
      // An INIT retransmitted in CLOSED does not keep the entry alive.
      if (state === SctpState.Closed && oldState === SctpState.Closed && confirmed) ignore = true;
    } else if (type === CID_INIT_ACK) {
      if (off + 4 + 16 > len) return invalid();
      const tag = u32(d, off + 4);
      const known = ct.vtag[odir]!;
      if (!ct.init[odir] && known && known !== tag) return invalid();
      // An INIT collision.
      if (ct.init[dir] && ct.init[odir] && known !== tag) return invalid();
      ct.vtag[odir] = tag;
    }
    ct.state = state as SctpState;
    if (oldState !== state && state === SctpState.Established) RESULT.assure = true;
  }
  RESULT.verdict = ignore ? SctpVerdict.AcceptNoRefresh : SctpVerdict.Accept;
  RESULT.timeout = timeouts[state]!;
  return RESULT;
}

/** sctp_can_early_drop: an ASSURED entry in a SHUTDOWN state may go. */
export function sctpCanEarlyDrop(ct: SctpCt): boolean {
  return ct.state === SctpState.ShutdownSent || ct.state === SctpState.ShutdownRecd || ct.state === SctpState.ShutdownAckSent;
}

/** The default timeouts in jiffies, per state. */
export function sctpTimeoutJiffies(): number[] {
  return SCTP_TIMEOUTS_S.map((s) => s * HZ);
}
