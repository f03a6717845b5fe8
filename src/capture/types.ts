/**
 * The shapes shared by the capture readers and writers: one frame as the
 * rest of cofw sees it (always an Ethernet frame), the damage a reader
 * found, and the error for a capture that cannot be read at all.
 */

import { bigintNs } from './timestamp.js';

/** One frame read from a capture, already converted to Ethernet. */
export interface CaptureFrame {
  /** Timestamp: whole seconds since the epoch (an integer; before 1970 negative). */
  tsSec: number;
  /** Timestamp: nanoseconds within that second, 0 to 999,999,999. */
  tsNsec: number;
  /**
   * The same timestamp as one BigInt of nanoseconds since the epoch, made
   * when read (the replay itself reads `tsSec` and `tsNsec`: no BigInt per frame).
   */
  readonly tsNs: bigint;
  /**
   * The frame as an Ethernet frame. Other link types are converted: Linux
   * cooked v1/v2, raw IPv4 and loopback/null get a synthesized 14-byte
   * Ethernet header (zero MACs unless the cooked header carries the source
   * address; ethertype from the header or 0x0800 for raw IPv4).
   */
  data: Uint8Array;
  /** Length on the wire of the original frame (orig_len / packet length). */
  origLen: number;
  /**
   * How many bytes of the original (link-layer-converted) frame were not
   * captured (snaplen truncation): origLen - capturedLen, 0 when complete.
   */
  truncated: number;
  /** pcapng interface name (if_name option), when the capture has one. */
  ifName?: string;
  /** pcapng EPB direction flag. */
  direction?: 'in' | 'out';
  /** Cooked capture packet type (0 host, 1 broadcast, 2 multicast, 3 otherhost, 4 outgoing) when known. */
  pktType?: number;
  /**
   * The frame carries no IP packet cofw can read (a PPP control protocol,
   * PPPoE discovery, an 802.11 management or protected frame): what it is.
   * It is accounted for as not IP and not replayed.
   */
  nonIp?: string;
  /** Original link type. */
  linkType: number;
  /** File path. */
  file: string;
  /** 1-based record (packet) number in that file. */
  index: number;
  /** Byte offset of the record in the (decompressed) file. */
  offset: number;
}

/** A CaptureFrame as the readers make it (the optional fields are set when present). */
export class CapturedFrame implements CaptureFrame {
  declare ifName?: string;
  declare direction?: 'in' | 'out';
  declare pktType?: number;
  declare nonIp?: string;
  constructor(
    public tsSec: number,
    public tsNsec: number,
    public data: Uint8Array,
    public origLen: number,
    public truncated: number,
    public linkType: number,
    public file: string,
    public index: number,
    public offset: number,
  ) {}

  get tsNs(): bigint {
    return bigintNs(this.tsSec, this.tsNsec);
  }
}

/** Damage found after the first good record: reading of that file stopped there. */
export interface CaptureDamage {
  file: string;
  /** The record number the damaged record would have had (packets read before it + 1). */
  index: number;
  /** Byte offset of the damaged record in the (decompressed) file. */
  offset: number;
  /** Names file, record and byte offset, what is wrong and what to do. */
  message: string;
}

/**
 * The records of one pcapng interface whose link type cofw does not read:
 * skipped, not replayed, and counted (the rest of the file is read).
 */
export interface CaptureSkip {
  file: string;
  /** The section (1-based) and the interface's number in it, as the packet blocks name it. */
  section: number;
  interfaceId: number;
  /** The interface's if_name, when it has one. */
  ifName?: string;
  linkType: number;
  /** Records skipped so far. */
  records: number;
  /** Record number and byte offset of the first one. */
  firstIndex: number;
  firstOffset: number;
}

/**
 * A capture that cannot be read at all (missing, unreadable, not a capture,
 * unsupported link type). The message names the file, record number and
 * byte offset, and what to do.
 */
export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  constructor(
    readonly file: string,
    readonly index: number,
    readonly offset: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
