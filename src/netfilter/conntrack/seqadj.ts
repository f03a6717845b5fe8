/**
 * TCP sequence number adjustment (net/netfilter/nf_conntrack_seqadj.c).
 *
 * A NAT helper that changes the length of a TCP segment's payload (the
 * ftp helper rewriting `PORT 192,0,2,10,...` into a longer or shorter
 * address) shifts every later sequence number of that direction. The entry
 * remembers, per direction, where the last change happened
 * (`correctionPos`, the sequence number of the segment it changed, as its
 * sender numbered it) and the offset before and after it. Every later
 * packet of the entry, in either direction, is adjusted where the kernel
 * adjusts it (nf_confirm, after the helper): its own sequence number by
 * its direction's offset, its acknowledgement and SACK blocks by the other
 * direction's, with the TCP checksum updated incrementally. The TCP
 * tracker reads the same offsets (`seqOffset`) so that acknowledgements of
 * rewritten data stay within the window it tracks (tcp_in_window).
 *
 * Only one change per window is followed, as in the kernel: a change at a
 * sequence number not after the last one (a retransmission) leaves the
 * offsets as they are.
 *
 * An entry gets this record (the kernel's seqadj extension) when the NAT
 * core changes a tuple of an entry that has a helper (nf_nat_setup_info);
 * entries without one carry `seqadj === null` and never pay for it.
 */
import { csumReplace4 } from '../../packet/checksum.js';
import type { Skb } from '../types.js';
import { IPS_SEQ_ADJUST, IP_CT_IS_REPLY, type Conn } from './conn.js';

/** struct nf_ct_seqadj: one direction's offsets. */
export class SeqAdjDir {
  correctionPos = 0;
  offsetBefore = 0;
  offsetAfter = 0;
}

/** struct nf_conn_seqadj: both directions, indexed by IP_CT_DIR_*. */
export type SeqAdj = readonly [SeqAdjDir, SeqAdjDir];

/** nfct_seqadj_ext_add: gives the entry its (zeroed) offsets, once. */
export function seqadjExtAdd(conn: Conn): SeqAdj {
  return (conn.seqadj ??= [new SeqAdjDir(), new SeqAdjDir()]);
}

function before(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

function after(a: number, b: number): boolean {
  return ((b - a) | 0) < 0;
}

/**
 * nf_ct_seqadj_set: the segment of direction `ctinfo` starting at `seq`
 * changed length by `off` bytes. The first change, or one after the last
 * correction position, moves the position there; a retransmission of the
 * changed segment (not after it) changes nothing.
 */
export function seqadjSet(conn: Conn, ctinfo: number, seq: number, off: number): void {
  if (off === 0) return;
  const adj = conn.seqadj;
  // The kernel warns once ("Missing nfct_seqadj_ext_add() setup call") and changes nothing.
  if (adj === null) return;
  conn.status |= IPS_SEQ_ADJUST;
  const w = adj[ctinfo >= IP_CT_IS_REPLY ? 1 : 0];
  if (w.offsetBefore === w.offsetAfter || before(w.correctionPos, seq >>> 0)) {
    w.correctionPos = seq >>> 0;
    w.offsetBefore = w.offsetAfter;
    w.offsetAfter = (w.offsetAfter + off) | 0;
  }
}

/**
 * nf_ct_seqadj_init: direction `ctinfo` of the entry is offset by `off`
 * from here on, before and after any correction (SYNPROXY: the server's
 * ISN against the cookie the client was given); nothing for 0.
 */
export function seqadjInit(conn: Conn, ctinfo: number, off: number): void {
  if ((off | 0) === 0) return;
  const adj = seqadjExtAdd(conn);
  conn.status |= IPS_SEQ_ADJUST;
  const w = adj[ctinfo >= IP_CT_IS_REPLY ? 1 : 0];
  w.offsetBefore = off | 0;
  w.offsetAfter = off | 0;
}

/** nf_ct_seq_offset: the offset direction `dir` adds to the sequence number `seq` (0 without seqadj). */
export function seqOffset(adj: SeqAdj, dir: number, seq: number): number {
  const w = adj[dir]!;
  return after(seq >>> 0, w.correctionPos) ? w.offsetAfter : w.offsetBefore;
}

function rd32(d: Uint8Array, o: number): number {
  return ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
}

function wr32(d: Uint8Array, o: number, v: number): void {
  d[o] = v >>> 24;
  d[o + 1] = (v >>> 16) & 0xff;
  d[o + 2] = (v >>> 8) & 0xff;
  d[o + 3] = v & 0xff;
}

/** nf_ct_sack_block_adjust: the SACK blocks in [from, to) numbered in the other direction's space. */
function sackBlockAdjust(d: Uint8Array, th: number, from: number, to: number, w: SeqAdjDir): void {
  for (let p = from; p + 8 <= to; p += 8) {
    for (const at of [p, p + 4]) {
      const old = rd32(d, at);
      const off = after((old - w.offsetBefore) >>> 0, w.correctionPos) ? w.offsetAfter : w.offsetBefore;
      const v = (old - off) >>> 0;
      csumReplace4(d, th + 16, old, v);
      wr32(d, at, v);
    }
  }
}

/** nf_ct_sack_adjust: walks the options; false on a partial option (the packet is dropped). */
function sackAdjust(d: Uint8Array, th: number, len: number, w: SeqAdjDir): boolean {
  const optend = th + (d[th + 12]! >> 4) * 4;
  if (optend > len) return false;
  let optoff = th + 20;
  while (optoff < optend) {
    const kind = d[optoff]!;
    if (kind === 0) return true;
    if (kind === 1) {
      optoff++;
      continue;
    }
    const size = d[optoff + 1]!;
    if (optoff + 1 === optend || optoff + size > optend || size < 2) return false;
    if (kind === 5 && size >= 2 + 8 && (size - 2) % 8 === 0) sackBlockAdjust(d, th, optoff + 2, optoff + size, w);
    optoff += size;
  }
  return true;
}

/**
 * nf_ct_seq_adjust: the TCP segment at `protoff` gets its direction's
 * offset added to its sequence number and, when it carries an ACK, the
 * other direction's offset taken off its acknowledgement and its SACK
 * blocks. False when the header or its options cannot be read (the kernel
 * drops the packet and counts it in the `drop` statistic).
 */
export function seqAdjust(skb: Skb, conn: Conn, ctinfo: number, protoff: number): boolean {
  const adj = conn.seqadj;
  if (adj === null) return true;
  const d = skb.data;
  const len = skb.len;
  if (protoff + 20 > len) return false;
  const dir = ctinfo >= IP_CT_IS_REPLY ? 1 : 0;
  const thisWay = adj[dir];
  const otherWay = adj[dir ^ 1]!;
  const seq = rd32(d, protoff + 4);
  const newSeq = (seq + (after(seq, thisWay.correctionPos) ? thisWay.offsetAfter : thisWay.offsetBefore)) >>> 0;
  csumReplace4(d, protoff + 16, seq, newSeq);
  wr32(d, protoff + 4, newSeq);
  if (!(d[protoff + 13]! & 0x10)) return true;
  const ack = rd32(d, protoff + 8);
  const ackoff = after((ack - otherWay.offsetBefore) >>> 0, otherWay.correctionPos) ? otherWay.offsetAfter : otherWay.offsetBefore;
  const newAck = (ack - ackoff) >>> 0;
  csumReplace4(d, protoff + 16, ack, newAck);
  wr32(d, protoff + 8, newAck);
  return sackAdjust(d, protoff, len, otherWay);
}
