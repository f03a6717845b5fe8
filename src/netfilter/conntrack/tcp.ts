/**
 * TCP connection tracking as net/netfilter/nf_conntrack_proto_tcp.c does it:
 * the flag checks (tcp_error), the creation of an entry (tcp_new, with loose
 * mid-stream pickup), the state table (tcp_conntracks), window tracking
 * (tcp_in_window) and the timeouts chosen after each packet (tcp_packet).
 *
 * Sequence numbers are unsigned 32-bit values compared modulo 2^32 as the
 * kernel's before()/after() do. Everything reads the packet in place. An
 * entry whose payload a NAT helper resized (seqadj.ts) has the offsets taken
 * off the acknowledgements it checks, as tcp_in_window does with
 * nf_ct_seq_offset.
 */
import { HZ } from '../clock.js';
import {
  Conn,
  IPS_ASSURED,
  IPS_SEEN_REPLY,
  TCP_EXP_CHALLENGE_ACK,
  TCP_FLAG_BE_LIBERAL,
  TCP_FLAG_CLOSE_INIT,
  TCP_FLAG_DATA_UNACKNOWLEDGED,
  TCP_FLAG_MAXACK_SET,
  TCP_FLAG_SACK_PERM,
  TCP_FLAG_WINDOW_SCALE,
  TCP_SIMULTANEOUS_OPEN,
  TcpCt,
  TcpSide,
  TcpState,
} from './conn.js';
import { seqOffset, type SeqAdj } from './seqadj.js';

/** Default timeouts in seconds (nf_conntrack_tcp_timeout_*), indexed by TcpState, then RETRANS and UNACK. */
export const TCP_TIMEOUTS_S = {
  synSent: 120,
  synRecv: 60,
  established: 432000,
  finWait: 120,
  closeWait: 60,
  lastAck: 30,
  timeWait: 120,
  close: 10,
  synSent2: 120,
  maxRetrans: 300,
  unacknowledged: 300,
} as const;

/** Index of the RETRANS and UNACK timeouts in a timeouts array. */
const T_RETRANS = 10;
const T_UNACK = 11;

/** Timeouts in jiffies, indexed by state (0..9), then RETRANS (10) and UNACK (11). */
export function tcpTimeoutJiffies(t: Readonly<Record<keyof typeof TCP_TIMEOUTS_S, number>> = TCP_TIMEOUTS_S): number[] {
  return [0, t.synSent, t.synRecv, t.established, t.finWait, t.closeWait, t.lastAck, t.timeWait, t.close, t.synSent2, t.maxRetrans, t.unacknowledged].map(
    (s) => s * HZ,
  );
}

export interface TcpSettings {
  /** nf_conntrack_tcp_loose: pick up connections in the middle. */
  readonly loose: boolean;
  /** nf_conntrack_tcp_be_liberal: accept out-of-window packets. */
  readonly beLiberal: boolean;
  /** nf_conntrack_tcp_max_retrans. */
  readonly maxRetrans: number;
  /** nf_conntrack_tcp_ignore_invalid_rst. */
  readonly ignoreInvalidRst: boolean;
  /** See tcpTimeoutJiffies. */
  readonly timeouts: readonly number[];
}

// tcp_bit_set
const SYN_SET = 0;
const SYNACK_SET = 1;
const FIN_SET = 2;
const ACK_SET = 3;
const RST_SET = 4;
const NONE_SET = 5;

const F_FIN = 0x01;
const F_SYN = 0x02;
const F_RST = 0x04;
const F_PSH = 0x08;
const F_ACK = 0x10;
const F_URG = 0x20;
const F_ECE = 0x40;
const F_CWR = 0x80;

const sNO = TcpState.None;
const sSS = TcpState.SynSent;
const sSR = TcpState.SynRecv;
const sES = TcpState.Established;
const sFW = TcpState.FinWait;
const sCW = TcpState.CloseWait;
const sLA = TcpState.LastAck;
const sTW = TcpState.TimeWait;
const sCL = TcpState.Close;
const sS2 = TcpState.SynSent2;
const sIV = TcpState.Max;
const sIG = TcpState.Ignore;

/** tcp_conntracks[dir][index][state], as in the kernel (6.x). */
const TABLE: readonly (readonly (readonly TcpState[])[])[] = [
  [
    //        sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2
    /*syn*/ [sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2],
    /*synack*/ [sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR],
    /*fin*/ [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    /*ack*/ [sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV],
    /*rst*/ [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    /*none*/ [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  ],
  [
    /*syn*/ [sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2],
    /*synack*/ [sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR],
    /*fin*/ [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    /*ack*/ [sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG],
    /*rst*/ [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    /*none*/ [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  ],
];

/** Valid flag combinations once PSH, ECE and CWR are removed (tcp_valid_flags). */
const VALID_FLAGS = new Uint8Array(F_FIN + F_SYN + F_RST + F_ACK + F_URG + 1);
for (const f of [F_SYN, F_SYN | F_URG, F_SYN | F_ACK, F_RST, F_RST | F_ACK, F_FIN | F_ACK, F_FIN | F_ACK | F_URG, F_ACK, F_ACK | F_URG]) {
  VALID_FLAGS[f] = 1;
}

function before(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
function after(a: number, b: number): boolean {
  return ((b - a) | 0) < 0;
}

function rd32(d: Uint8Array, o: number): number {
  return ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
}

function flagsOf(d: Uint8Array, th: number): number {
  return d[th + 13]!;
}

function indexOf(flags: number): number {
  if (flags & F_RST) return RST_SET;
  if (flags & F_SYN) return flags & F_ACK ? SYNACK_SET : SYN_SET;
  if (flags & F_FIN) return FIN_SET;
  if (flags & F_ACK) return ACK_SET;
  return NONE_SET;
}

/** segment_seq_plus_len: seq + payload length + SYN + FIN, modulo 2^32. */
function segEnd(d: Uint8Array, th: number, len: number, seq: number): number {
  const doff = (d[th + 12]! >> 4) * 4;
  const f = flagsOf(d, th);
  return (seq + (len - th - doff) + (f & F_SYN ? 1 : 0) + (f & F_FIN ? 1 : 0)) >>> 0;
}

/**
 * tcp_error: true when the segment is malformed (truncated header, bad
 * flags). The checksum is checked by the caller.
 */
export function tcpMalformed(d: Uint8Array, th: number, len: number): boolean {
  if (th + 20 > len) return true;
  const doff = (d[th + 12]! >> 4) * 4;
  if (doff < 20 || len - th < doff) return true;
  return VALID_FLAGS[flagsOf(d, th) & ~(F_ECE | F_CWR | F_PSH)] !== 1;
}

/** tcp_options: window scale and SACK permitted into `side`. */
function parseOptions(d: Uint8Array, th: number, side: TcpSide): void {
  let length = (d[th + 12]! >> 4) * 4 - 20;
  if (length <= 0) return;
  side.tdScale = 0;
  side.flags &= TCP_FLAG_BE_LIBERAL;
  let p = th + 20;
  while (length > 0) {
    const op = d[p++]!;
    if (op === 0) return;
    if (op === 1) {
      length--;
      continue;
    }
    if (length < 2) return;
    const size = d[p++]!;
    if (size < 2 || size > length) return;
    if (op === 4 && size === 2) side.flags |= TCP_FLAG_SACK_PERM;
    else if (op === 3 && size === 3) {
      side.tdScale = Math.min(d[p]!, 14);
      side.flags |= TCP_FLAG_WINDOW_SCALE;
    }
    p += size - 2;
    length -= size;
  }
}

/** Options as parsed into a throw-away side (for last_flags). */
const scratchSide = new TcpSide();
/** The working copies of an entry's two directions (TcpCt.load, TcpCt.store): the packet's sender and its receiver. */
const senderSide = new TcpSide();
const receiverSide = new TcpSide();

/** tcp_sack: the highest right edge of the SACK blocks, or `sack`. */
function highestSack(d: Uint8Array, th: number, sack: number): number {
  let length = (d[th + 12]! >> 4) * 4 - 20;
  if (length <= 0) return sack;
  let p = th + 20;
  // Timestamp-only fast path: NOP NOP TS 10.
  if (length === 12 && d[p] === 1 && d[p + 1] === 1 && d[p + 2] === 8 && d[p + 3] === 10) return sack;
  while (length > 0) {
    const op = d[p++]!;
    if (op === 0) return sack;
    if (op === 1) {
      length--;
      continue;
    }
    if (length < 2) return sack;
    const size = d[p++]!;
    if (size < 2 || size > length) return sack;
    if (op === 5 && size >= 10 && (size - 2) % 8 === 0) {
      for (let i = 0; i < size - 2; i += 8) {
        const right = rd32(d, p + i + 4);
        if (after(right, sack)) sack = right;
      }
      return sack;
    }
    p += size - 2;
    length -= size;
  }
  return sack;
}

function initSender(sender: TcpSide, receiver: TcpSide, d: Uint8Array, th: number, end: number, win: number, dir: number): void {
  sender.tdEnd = end;
  sender.tdMaxend = end;
  sender.tdMaxwin = win === 0 ? 1 : win;
  parseOptions(d, th, sender);
  if (dir === 1 && !(sender.flags & TCP_FLAG_WINDOW_SCALE && receiver.flags & TCP_FLAG_WINDOW_SCALE)) {
    sender.tdScale = 0;
    receiver.tdScale = 0;
  }
}

/**
 * tcp_new: prepares a fresh entry for its first packet. False when the
 * packet cannot open a connection (INVALID).
 */
export function tcpNew(ct: TcpCt, d: Uint8Array, th: number, len: number, s: TcpSettings): boolean {
  const flags = flagsOf(d, th);
  const newState = TABLE[0]![indexOf(flags)]![sNO]!;
  if (newState >= sIV) return false;
  const seq = rd32(d, th + 4);
  const win = (d[th + 14]! << 8) | d[th + 15]!;
  const s0 = senderSide;
  if (newState === sSS) {
    ct.clear();
    s0.reset(false);
    s0.tdEnd = segEnd(d, th, len, seq);
    s0.tdMaxwin = win === 0 ? 1 : win;
    s0.tdMaxend = s0.tdEnd;
    parseOptions(d, th, s0);
  } else if (!s.loose) {
    return false;
  } else {
    ct.clear();
    s0.reset(false);
    s0.tdEnd = segEnd(d, th, len, seq);
    s0.tdMaxwin = win === 0 ? 1 : win;
    s0.tdMaxend = (s0.tdEnd + s0.tdMaxwin) >>> 0;
    s0.flags = TCP_FLAG_SACK_PERM | TCP_FLAG_BE_LIBERAL;
    ct.setFlags(1, TCP_FLAG_SACK_PERM | TCP_FLAG_BE_LIBERAL);
  }
  ct.store(0, s0);
  ct.lastIndex = NONE_SET;
  return true;
}

const enum WinResult {
  Accept,
  Ignore,
  Invalid,
}

function maxAckWindow(sender: TcpSide): number {
  return sender.tdMaxwin > 66000 ? sender.tdMaxwin : 66000;
}

function logInvalid(sender: TcpSide, s: TcpSettings, ret: WinResult): WinResult {
  return sender.flags & TCP_FLAG_BE_LIBERAL || s.beLiberal ? WinResult.Accept : ret;
}

/** tcp_in_window, on working copies of the entry's two directions (stored back whatever the outcome, as the kernel writes in place). */
function inWindow(ct: TcpCt, dir: number, index: number, d: Uint8Array, th: number, len: number, s: TcpSettings, adj: SeqAdj | null): WinResult {
  const sender = ct.load(dir, senderSide);
  const receiver = ct.load(dir ^ 1, receiverSide);
  const r = inWindowSides(ct, sender, receiver, dir, index, d, th, len, s, adj);
  ct.store(dir, sender);
  ct.store(dir ^ 1, receiver);
  return r;
}

function inWindowSides(
  ct: TcpCt,
  sender: TcpSide,
  receiver: TcpSide,
  dir: number,
  index: number,
  d: Uint8Array,
  th: number,
  len: number,
  s: TcpSettings,
  adj: SeqAdj | null,
): WinResult {
  const flags = flagsOf(d, th);
  let seq = rd32(d, th + 4);
  let ack = rd32(d, th + 8);
  let sack = ack;
  const winRaw = (d[th + 14]! << 8) | d[th + 15]!;
  let win = winRaw;
  let end = segEnd(d, th, len, seq);
  if (receiver.flags & TCP_FLAG_SACK_PERM) sack = highestSack(d, th, sack);
  if (adj !== null) {
    // Take into account NAT sequence number mangling: the receiver's data as its sender numbered it.
    const receiverOffset = seqOffset(adj, dir ^ 1, (ack - 1) >>> 0);
    ack = (ack - receiverOffset) >>> 0;
    sack = (sack - receiverOffset) >>> 0;
  }

  if (sender.tdMaxwin === 0) {
    if (flags & F_SYN) {
      initSender(sender, receiver, d, th, end, win, dir);
      if (!(flags & F_ACK)) return WinResult.Accept;
    } else {
      sender.tdEnd = end;
      const swin = (win * 2 ** sender.tdScale) >>> 0;
      sender.tdMaxwin = swin === 0 ? 1 : swin;
      sender.tdMaxend = (end + sender.tdMaxwin) >>> 0;
      if (receiver.tdMaxwin === 0) {
        receiver.tdEnd = sack;
        receiver.tdMaxend = sack;
      } else if (sack === (receiver.tdEnd + 1) >>> 0) {
        receiver.tdEnd = (receiver.tdEnd + 1) >>> 0;
      }
    }
  } else if (flags & F_SYN && after(end, sender.tdEnd) && (ct.state === sSS || ct.state === sSR)) {
    initSender(sender, receiver, d, th, end, win, dir);
    if (dir === 1 && !(flags & F_ACK)) return WinResult.Accept;
  }

  if (!(flags & F_ACK)) {
    ack = receiver.tdEnd;
    sack = ack;
  } else if ((flags & (F_ACK | F_RST)) === (F_ACK | F_RST) && ack === 0) {
    ack = receiver.tdEnd;
    sack = ack;
  }

  if (flags & F_RST && seq === 0 && ct.state === sSS) {
    seq = sender.tdEnd;
    end = sender.tdEnd;
  }

  const seqOk = before(seq, (sender.tdMaxend + 1) >>> 0);
  if (!seqOk) {
    const overshot = (end - sender.tdMaxend + 1) >>> 0;
    const ackOk = after(sack, (receiver.tdEnd - maxAckWindow(sender) - 1) >>> 0);
    const inRecv = receiver.tdMaxwin !== 0 && after(end, (sender.tdEnd - receiver.tdMaxwin - 1) >>> 0);
    if (inRecv && ackOk && overshot <= receiver.tdMaxwin && before(sack, (receiver.tdEnd + 1) >>> 0)) {
      sender.tdEnd = end;
      sender.flags |= TCP_FLAG_DATA_UNACKNOWLEDGED;
      return logInvalid(sender, s, WinResult.Ignore);
    }
    return logInvalid(sender, s, WinResult.Invalid);
  }
  if (!before(sack, (receiver.tdEnd + 1) >>> 0)) return logInvalid(sender, s, WinResult.Invalid);
  const inRecv = receiver.tdMaxwin === 0 || after(end, (sender.tdEnd - receiver.tdMaxwin - 1) >>> 0);
  if (!inRecv) return logInvalid(sender, s, WinResult.Ignore);
  if (!after(sack, (receiver.tdEnd - maxAckWindow(sender) - 1) >>> 0)) return logInvalid(sender, s, WinResult.Ignore);

  if (!(flags & F_SYN)) win = (win * 2 ** sender.tdScale) >>> 0;

  const swin = (win + ((sack - ack) >>> 0)) >>> 0;
  if (sender.tdMaxwin < swin) sender.tdMaxwin = swin;
  if (after(end, sender.tdEnd)) {
    sender.tdEnd = end;
    sender.flags |= TCP_FLAG_DATA_UNACKNOWLEDGED;
  }
  if (flags & F_ACK) {
    if (!(sender.flags & TCP_FLAG_MAXACK_SET)) {
      sender.tdMaxack = ack;
      sender.flags |= TCP_FLAG_MAXACK_SET;
    } else if (after(ack, sender.tdMaxack)) {
      sender.tdMaxack = ack;
    }
  }

  if (receiver.tdMaxwin !== 0 && after(end, sender.tdMaxend)) {
    receiver.tdMaxwin = (receiver.tdMaxwin + ((end - sender.tdMaxend) >>> 0)) >>> 0;
  }
  if (after((sack + win) >>> 0, (receiver.tdMaxend - 1) >>> 0)) {
    receiver.tdMaxend = (sack + win) >>> 0;
    if (win === 0) receiver.tdMaxend = (receiver.tdMaxend + 1) >>> 0;
  }
  if (ack === receiver.tdEnd) receiver.flags &= ~TCP_FLAG_DATA_UNACKNOWLEDGED;

  if (index === ACK_SET) {
    if (ct.lastDir === dir && ct.lastSeq === seq && ct.lastAck === ack && ct.lastEnd === end && ct.lastWin === winRaw) {
      ct.retrans++;
    } else {
      ct.lastDir = dir;
      ct.lastSeq = seq;
      ct.lastAck = ack;
      ct.lastEnd = end;
      ct.lastWin = winRaw;
      ct.retrans = 0;
    }
  }
  return WinResult.Accept;
}

/** Outcomes of tcpPacket. */
export const enum TcpVerdict {
  /** Accepted; the entry's timeout is `Conn.timeout` as refreshed. */
  Accept,
  /** Accepted without touching the entry (an ignored packet). */
  AcceptNoRefresh,
  /** INVALID (-NF_ACCEPT): the packet goes on without an entry. */
  Invalid,
  /** A SYN reopening a closed connection: kill the entry and look up again (-NF_REPEAT). */
  Repeat,
  /** Accepted, and the entry must be removed now (RST answering a SYN: nf_ct_kill_acct). */
  AcceptKill,
}

export interface TcpOutcome {
  verdict: TcpVerdict;
  /** New timeout in jiffies (relative), meaningful for Accept. */
  timeout: number;
  /** Set ASSURED. */
  assure: boolean;
}

const outcome: TcpOutcome = { verdict: TcpVerdict.Accept, timeout: 0, assure: false };

function result(v: TcpVerdict, timeout = 0, assure = false): TcpOutcome {
  outcome.verdict = v;
  outcome.timeout = timeout;
  outcome.assure = assure;
  return outcome;
}

/**
 * nf_conntrack_tcp_packet after tcp_error and tcp_new: the state machine,
 * window check and timeout choice for a packet in direction `dir`. The
 * returned object is reused: read it before the next call.
 */
export function tcpPacket(conn: Conn, dir: number, d: Uint8Array, th: number, len: number, s: TcpSettings): TcpOutcome {
  const ct = conn.tcp!;
  const flags = flagsOf(d, th);
  let oldState = ct.state;
  const index = indexOf(flags);
  let newState = TABLE[dir]![index]![oldState]!;
  const timeouts = s.timeouts;
  let skipWindow = false;

  switch (newState) {
    case sSS:
      if (oldState < sTW) break;
      if ((ct.flags(0) | ct.flags(1)) & TCP_FLAG_CLOSE_INIT || (ct.lastDir === dir && ct.lastIndex === RST_SET)) {
        return result(TcpVerdict.Repeat);
      }
      if (resyncOrIgnore(ct, dir, index, oldState, d, th, len)) {
        oldState = sSS;
        newState = sSR;
        break;
      }
      return result(TcpVerdict.AcceptNoRefresh);
    case sIG:
      if (resyncOrIgnore(ct, dir, index, oldState, d, th, len)) {
        oldState = sSS;
        newState = sSR;
        break;
      }
      return result(TcpVerdict.AcceptNoRefresh);
    case sIV:
      return result(TcpVerdict.Invalid);
    case sTW:
      if (oldState === sLA && index === ACK_SET && ct.lastDir !== dir && ct.lastIndex === SYN_SET && ct.lastFlags & TCP_EXP_CHALLENGE_ACK) {
        ct.lastFlags &= ~TCP_EXP_CHALLENGE_ACK;
        return result(TcpVerdict.AcceptNoRefresh);
      }
      break;
    case sS2:
      ct.lastFlags |= TCP_SIMULTANEOUS_OPEN;
      break;
    case sSR:
      if (dir === 1 && index === ACK_SET && ct.lastFlags & TCP_SIMULTANEOUS_OPEN) newState = sES;
      break;
    case sCL: {
      if (index !== RST_SET) break;
      if (oldState === sFW || oldState === sLA || oldState === sTW || oldState === sCL || oldState === sCW) {
        skipWindow = true;
        break;
      }
      if (ct.flags(dir ^ 1) & TCP_FLAG_MAXACK_SET && ct.lastIndex !== SYN_SET) {
        const seq = rd32(d, th + 4);
        const otherMaxack = ct.maxack(dir ^ 1);
        const established = oldState === sES && (conn.status & IPS_ASSURED) !== 0;
        if (seq === 0 && !established) break;
        if (before(seq, otherMaxack) && !s.ignoreInvalidRst) return result(TcpVerdict.Invalid);
        if (!established || seq === otherMaxack) break;
        if (ct.lastIndex === ACK_SET && ct.lastDir === dir && seq === ct.lastEnd) break;
        newState = oldState;
      }
      const ackSeq = rd32(d, th + 8);
      if (((conn.status & IPS_SEEN_REPLY && ct.lastIndex === SYN_SET) || (!(conn.status & IPS_ASSURED) && ct.lastIndex === ACK_SET)) && ackSeq === ct.lastEnd) {
        skipWindow = true;
        break;
      }
      if (oldState === sSS && ct.lastIndex === ACK_SET && ct.lastDir === 1 && rd32(d, th + 4) === ct.lastAck) {
        skipWindow = true;
      }
      break;
    }
    default:
      break;
  }

  if (!skipWindow) {
    const r = inWindow(ct, dir, index, d, th, len, s, conn.seqadj);
    if (r === WinResult.Ignore) return result(TcpVerdict.AcceptNoRefresh);
    if (r === WinResult.Invalid) {
      handleInvalid(conn, dir, index);
      return result(TcpVerdict.Invalid);
    }
  }

  ct.lastIndex = index;
  ct.lastDir = dir;
  ct.state = newState;
  if (oldState !== newState && newState === sFW) ct.setFlags(dir, TCP_FLAG_CLOSE_INIT);

  let timeout: number;
  if (ct.retrans >= s.maxRetrans && timeouts[newState]! > timeouts[T_RETRANS]!) timeout = timeouts[T_RETRANS]!;
  else if (index === RST_SET) timeout = timeouts[sCL]!;
  else if ((ct.flags(0) | ct.flags(1)) & TCP_FLAG_DATA_UNACKNOWLEDGED && timeouts[newState]! > timeouts[T_UNACK]!) {
    timeout = timeouts[T_UNACK]!;
  } else if (ct.lastWin === 0 && timeouts[newState]! > timeouts[T_RETRANS]!) timeout = timeouts[T_RETRANS]!;
  else timeout = timeouts[newState]!;

  if (!(conn.status & IPS_SEEN_REPLY)) {
    if (flags & F_RST) return result(TcpVerdict.AcceptKill);
    if (index === SYN_SET && oldState === sSS) return result(TcpVerdict.AcceptNoRefresh);
    if (newState === sES && timeout > timeouts[T_UNACK]!) timeout = timeouts[T_UNACK]!;
    return result(TcpVerdict.Accept, timeout, false);
  }
  const assure = !(conn.status & IPS_ASSURED) && (oldState === sSR || oldState === sES) && newState === sES;
  return result(TcpVerdict.Accept, timeout, assure);
}

/**
 * The ignored-packet branch of tcp_packet (sIG): true when a SYN/ACK
 * answers a SYN that was ignored before (the tracker resynchronises to
 * SYN_SENT -> SYN_RECV); false when the packet is let through untouched,
 * its values noted for later.
 */
function resyncOrIgnore(ct: TcpCt, dir: number, index: number, oldState: TcpState, d: Uint8Array, th: number, len: number): boolean {
  const ackSeq = rd32(d, th + 8);
  if (index === SYNACK_SET && ct.lastIndex === SYN_SET && ct.lastDir !== dir && ackSeq === ct.lastEnd) {
    const ls = ct.load(ct.lastDir, senderSide);
    ls.tdEnd = ct.lastEnd;
    ls.tdMaxend = ct.lastEnd;
    ls.tdMaxwin = ct.lastWin === 0 ? 1 : ct.lastWin;
    ls.tdScale = ct.lastWscale;
    ct.lastFlags &= ~TCP_EXP_CHALLENGE_ACK;
    ls.flags = ct.lastFlags;
    ct.store(ct.lastDir, ls);
    const own = ct.load(dir, receiverSide);
    own.reset(true);
    ct.store(dir, own);
    return true;
  }
  const seq = rd32(d, th + 4);
  ct.lastIndex = index;
  ct.lastDir = dir;
  ct.lastSeq = seq;
  ct.lastEnd = segEnd(d, th, len, seq);
  ct.lastWin = (d[th + 14]! << 8) | d[th + 15]!;
  if (index === SYN_SET && dir === 0) {
    ct.lastFlags = 0;
    ct.lastWscale = 0;
    scratchSide.reset(false);
    parseOptions(d, th, scratchSide);
    if (scratchSide.flags & TCP_FLAG_WINDOW_SCALE) {
      ct.lastFlags |= TCP_FLAG_WINDOW_SCALE;
      ct.lastWscale = scratchSide.tdScale;
    }
    if (scratchSide.flags & TCP_FLAG_SACK_PERM) ct.lastFlags |= TCP_FLAG_SACK_PERM;
    if (oldState === sLA) ct.lastFlags |= TCP_EXP_CHALLENGE_ACK;
  }
  if (oldState === sSS && index === ACK_SET && dir === 1) ct.lastAck = ackSeq;
  return false;
}

/**
 * nf_tcp_handle_invalid: an out-of-window FIN or RST answering one from the
 * other side shortens an assured entry's timeout to the UNACK value. The
 * caller applies `pendingShrink`.
 */
function handleInvalid(conn: Conn, dir: number, index: number): void {
  const ct = conn.tcp!;
  pendingShrink = false;
  if (!(conn.status & IPS_ASSURED)) return;
  if (index !== RST_SET && index !== FIN_SET) return;
  if (ct.lastDir !== dir && (ct.lastIndex === FIN_SET || ct.lastIndex === RST_SET)) {
    pendingShrink = true;
  } else {
    ct.lastIndex = index;
    ct.lastDir = dir;
  }
}

let pendingShrink = false;

/** True when the last Invalid verdict asks to lower an assured entry's timeout to UNACK (if it is above 120 s). */
export function takeShrink(): boolean {
  const v = pendingShrink;
  pendingShrink = false;
  return v;
}

/** Whether TCP state allows early drop (tcp_can_early_drop). */
export function tcpCanEarlyDrop(ct: TcpCt): boolean {
  const st = ct.state;
  return st === sFW || st === sLA || st === sTW || st === sCL || st === sCW;
}

export const TCP_UNACK_INDEX = T_UNACK;
