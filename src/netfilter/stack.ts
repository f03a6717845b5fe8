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
