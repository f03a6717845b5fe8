/**
 * The guest side of conet: the driver that turns frame messages from the
 * passage page into calls on the guest's network stack. A frame for unit N
 * arrives on ethN (`receive`); a frame the host marked as locally generated
 * (its source is a guest address) takes the OUTPUT path (`output`). The
 * stack reports fates synchronously; the kernel collects them and sends
 * them back to the host's conet daemon as fate messages.
 */
import type { FrameMsg } from '../machine/passage.js';

/** What the driver needs of the guest's network stack (GuestStack has it). */
export interface NetStack {
  setClock(tsNs: bigint): void;
  receive(unit: number, frame: Uint8Array, frameNo: number): void;
  output(frame: Uint8Array, frameNo: number): void;
  /** End of the run: anything still held (fragments) gets its fate. */
  finish?(): void;
}

export class ConetDriver {
  /** Frames handed to the stack, per unit (`ifconfig ethN` RX packets). */
  readonly rxPackets: number[] = [];

  constructor(private readonly stack: NetStack) {}

  /** Hands one delivered frame to the stack (the virtual IRQ 10 bottom half). */
  deliver(unit: number, f: FrameMsg): void {
    this.stack.setClock(f.tsNs);
    this.rxPackets[unit] = (this.rxPackets[unit] ?? 0) + 1;
    if (f.output) this.stack.output(f.data, f.frameNo);
    else this.stack.receive(unit, f.data, f.frameNo);
  }
}
