/**
 * The guest side of conet: the driver that turns frame messages from the
 * passage page into calls on the guest's network stack. A frame for unit N
 * arrives on ethN (`receive`); a frame the host marked as locally generated
 * (its source is a guest address) takes the OUTPUT path (`output`). The
 * stack reports fates synchronously; the kernel collects them and sends
 * them back to the host's conet daemon as fate records.
 *
 * Frames are handed to the stack in place: `frame` is a view into the
 * passage page, valid for the duration of the call (the stack may rewrite
 * it, as the kernel rewrites an skb). The one thing the stack keeps beyond
 * the call is an IPv4 fragment waiting for reassembly, so fragments are
 * handed over as copies of their own.
 */
import { FRAME_OUTPUT, FRAME_TRUNCATED } from '../machine/passage/index.js';

/** What the driver needs of the guest's network stack (GuestStack has it). */
export interface NetStack {
  /** The time of the next frame, nanoseconds since the boot (see GuestStack.setClock). */
  setClock(tsNs: number): void;
  receive(unit: number, frame: Uint8Array, frameNo: number, truncated?: boolean): void;
  output(frame: Uint8Array, frameNo: number, truncated?: boolean): void;
  /** `receive` of the frame in buf[start, end), for a stack that can take it without a view. */
  receiveAt?(unit: number, buf: Uint8Array, start: number, end: number, frameNo: number, truncated?: boolean): void;
  /** The connection tracking table (`conntrack -L`), when the stack tracks connections. */
  conntrackList?(): string | undefined;
  /** Its IPv6 entries (`conntrack -L -f ipv6`). */
  conntrackList6?(): string | undefined;
  /** The lines of those two (IPv6 only when `ipv6`) that may show an address translation, in their order there. */
  conntrackTranslated?(ipv6: boolean): string | undefined;
  /** The pending expectations (`conntrack -L expect -f ipv4`, then `-f ipv6` when `ipv6`). */
  conntrackExpect?(ipv6: boolean): string | undefined;
  /** The most entries the conntrack table held at once, and its limit (0 unlimited). */
  conntrackPeak?(): { peak: number; max: number } | undefined;
  /** The accounting objects (`nfacct list`), when the machine has any. */
  nfacctList?(): string | undefined;
  /** End of the run: anything still held (fragments) gets its fate. */
  finish?(): void;
}

export class ConetDriver {
  /** Frames handed to the stack, per unit (`ifconfig ethN` RX packets). */
  readonly rxPackets: number[] = [];

  constructor(private readonly stack: NetStack) {}

  /**
   * Hands one delivered frame to the stack (the virtual IRQ 10 bottom half).
   * `frame` is a view into the page: the stack may change it and copies
   * whatever it keeps (fragments waiting for reassembly).
   * `flags`: FRAME_OUTPUT (the OUTPUT path), FRAME_TRUNCATED (cut short by the capture).
   */
  deliver(unit: number, frameNo: number, tsNs: number, flags: number, frame: Uint8Array): void {
    this.stack.setClock(tsNs);
    this.rxPackets[unit] = (this.rxPackets[unit] ?? 0) + 1;
    const truncated = (flags & FRAME_TRUNCATED) !== 0;
    if (flags & FRAME_OUTPUT) this.stack.output(frame, frameNo, truncated);
    else this.stack.receive(unit, frame, frameNo, truncated);
  }

  /** `deliver` of the frame in buf[start, end) (the page message), viewed only where the stack needs a view. */
  deliverAt(unit: number, frameNo: number, tsNs: number, flags: number, buf: Uint8Array, start: number, end: number): void {
    const stack = this.stack;
    if (flags & FRAME_OUTPUT || !stack.receiveAt) {
      this.deliver(unit, frameNo, tsNs, flags, buf.subarray(start, end));
      return;
    }
    stack.setClock(tsNs);
    this.rxPackets[unit] = (this.rxPackets[unit] ?? 0) + 1;
    stack.receiveAt(unit, buf, start, end, frameNo, (flags & FRAME_TRUNCATED) !== 0);
  }
}
