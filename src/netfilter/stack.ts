/**
 * The guest's IPv4 stack as far as netfilter is concerned: it receives
 * frames from conet units, validates them as ip_rcv does, runs the hooks in
 * the kernel's order with a routing decision between them, and reports one
 * fate per packet.
 */
import type { MachineSpec } from '../machine/spec.js';
import type { Fate } from './fate.js';

export interface StackOptions {
  readonly spec: MachineSpec;
  /** Kernel log lines (printk), already formatted without the timestamp. */
  readonly printk: (level: number, text: string) => void;
  /** Receives every fate, in order. */
  readonly fate: (f: Fate) => void;
}

/*
 * API (being implemented):
 *   loadRuleset(text: string, file: string): Ruleset      // src/netfilter/rules/restore.ts, throws RuleFileError (list in .errors)
 *   saveRuleset(rs: Ruleset, opts?: { counters?: boolean }): string   // iptables-save [-c] text
 *   class GuestStack {
 *     constructor(opts: StackOptions, ruleset: Ruleset)
 *     setClock(tsNs: bigint): void            // virtual time of the next packet (ns since epoch)
 *     receive(unit: number, frame: Uint8Array, frameNo: number): void   // Ethernet frame arriving on ethN
 *     output(frame: Uint8Array, frameNo: number): void                  // Ethernet frame of a locally generated packet
 *   }
 *   Each call produces its fates synchronously through opts.fate before returning
 *   (exactly one for the frame itself, plus one per generated packet).
 */
