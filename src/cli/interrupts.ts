/**
 * SIGINT, SIGTERM and SIGHUP during a command: the first one stops the
 * reading (the current `stage()` signal is aborted: no further frame is
 * read, the frames in flight are finished, and the outputs are written for
 * what was replayed, marked partial); one more while that is under way
 * ends the process at once through `onForce` (which abandons the outputs).
 * The exit code is the shell's for the first signal: 128 + its number
 * (130 SIGINT, 143 SIGTERM, 129 SIGHUP).
 *
 * @example
 * const intr = new Interrupts({ onStop: (s) => log(s), onForce: (code) => { files.discard(); process.exit(code); } });
 * intr.install();
 * try { await replay({ ..., signal: intr.stage() }); } finally { intr.uninstall(); }
 * if (intr.received) return intr.exitCode;
 */
import { constants } from 'node:os';

export const INTERRUPT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type InterruptSignal = (typeof INTERRUPT_SIGNALS)[number];

/** 128 + the signal's number, as a shell reports a process it ended. */
export function signalExitCode(sig: InterruptSignal): number {
  return 128 + constants.signals[sig];
}

export class Interrupts {
  /** The first signal received, if any. */
  received: InterruptSignal | undefined;
  private ctrl = new AbortController();
  private final = false;
  private readonly handlers = new Map<InterruptSignal, () => void>();

  constructor(
    private readonly on: {
      /** The first signal of a stage: the reading stops. */
      onStop(sig: InterruptSignal): void;
      /** A signal while stopping (or after `finalStage`): end at once with this exit code. */
      onForce(code: number, sig: InterruptSignal): void;
    },
  ) {}

  install(): void {
    for (const sig of INTERRUPT_SIGNALS) {
      const h = (): void => this.handle(sig);
      this.handlers.set(sig, h);
      process.on(sig, h);
    }
  }

  uninstall(): void {
    for (const [sig, h] of this.handlers) process.off(sig, h);
    this.handlers.clear();
  }

  /** The exit code for the first signal (0 when none came). */
  get exitCode(): number {
    return this.received ? signalExitCode(this.received) : 0;
  }

  /**
   * The signal for the next stage of reading: aborted by the next
   * interrupt. (A stage already interrupted gives way to a fresh one: what
   * was read before the interrupt is still replayed.)
   */
  stage(): AbortSignal {
    if (this.ctrl.signal.aborted) this.ctrl = new AbortController();
    return this.ctrl.signal;
  }

  /** From now on (the outputs are being written) an interrupt ends the process at once. */
  finalStage(): void {
    this.final = true;
  }

  /** Delivers a signal as if it had come (for tests, and for the handlers). */
  handle(sig: InterruptSignal): void {
    this.received ??= sig;
    if (this.final || this.ctrl.signal.aborted) {
      this.on.onForce(signalExitCode(this.received), sig);
      return;
    }
    this.ctrl.abort(sig);
    this.on.onStop(sig);
  }
}
