/**
 * Who talks to whom over the passage page: module numbers as coLinux
 * numbers them (LINUX 0, MONITOR 1, DAEMON 2, CONSOLE 6, CONET0-15 8..23,
 * COBD0-31 24..55), the guest's exit operation (Op), the termination
 * reasons, the message types with their MORE bit, and which types each
 * destination accepts (the page rejects every other).
 */

/** Module numbers (co_module_t). */
export const Module = {
  LINUX: 0,
  MONITOR: 1,
  DAEMON: 2,
  IDLE: 3,
  KERNEL_SWITCH: 4,
  USER_SWITCH: 5,
  CONSOLE: 6,
  PRINTK: 7,
  CONET0: 8,
  CONET_END: 23,
  COBD0: 24,
  COBD_END: 55,
} as const;
/** One past the highest module number cofw uses. */
export const MODULES_MAX = 56;
export const MAX_CONET = 16;
export const MAX_COBD = 32;

export const conet = (unit: number): number => Module.CONET0 + unit;
export const cobd = (unit: number): number => Module.COBD0 + unit;

/** The guest's exit operation, left in the page when it switches to the host. */
export const enum Op {
  None = 0,
  /** Nothing more to do: the host may deliver more. */
  Idle = 1,
  /** Messages for the host (the page is full, or a batch is ready); resume me afterwards. */
  Message = 2,
  /** A synchronous device request (cobd) is in the page; reply, then resume me. */
  Device = 3,
  /** The guest has stopped; a Terminate message says why. */
  Terminate = 4,
}

/** Termination reasons (co_termination_reason_t). */
export const Termination = {
  END: 0,
  REBOOT: 1,
  POWEROFF: 2,
  PANIC: 3,
  HALT: 4,
  INVALID_OPERATION: 7,
  STACK_OVERFLOW: 8,
  BUG: 9,
} as const;
export type TerminationReason = keyof typeof Termination;
export function terminationName(n: number): TerminationReason | undefined {
  for (const [k, v] of Object.entries(Termination)) if (v === n) return k as TerminationReason;
  return undefined;
}

/** Message types. The MORE bit marks a chunk that has a continuation. */
export const MsgType = {
  /** MONITOR -> LINUX: boot parameters (machine spec, boot time, rule file name). */
  Boot: 1,
  /** MONITOR -> LINUX: the captures have ended; finish and power off. */
  Shutdown: 2,
  /** LINUX -> MONITOR: the guest stops (reason, frame, text). */
  Terminate: 3,
  /** LINUX -> MONITOR: init failed (rule file errors). */
  InitFailed: 4,
  /** LINUX -> MONITOR: iptables-save text (at boot without, at shutdown with counters). */
  Save: 5,
  /** LINUX -> MONITOR: init done. */
  Booted: 6,
  /** LINUX -> MONITOR: the connection tracking table at shutdown, as `conntrack -L` prints it. */
  Conntrack: 7,
  /** LINUX -> MONITOR: the IPv6 connection tracking table at shutdown (`conntrack -L -f ipv6`). */
  Conntrack6: 8,
  /** LINUX -> MONITOR: the IP sets at shutdown, as `ipset save` prints them. */
  Ipsets: 9,
  /** LINUX -> MONITOR: the pending conntrack expectations at shutdown (`conntrack -L expect`, IPv4 then IPv6). */
  ConntrackExpect: 10,
  /** MONITOR -> LINUX: from now on, say which frame caused what follows (Mark messages); a machine that is one of several workers asks it. */
  MarksOn: 13,
  /** MONITOR -> LINUX: the clock moves to a frame another worker handles (u32 frame, u64 ns): timers fire as they would have. */
  Tick: 11,
  /** LINUX -> MONITOR, with marks, at shutdown: the most conntrack entries held at once and the table's limit (u32, u32). */
  ConntrackPeak: 12,
  /**
   * LINUX -> MONITOR, at shutdown, when the host asked for no conntrack table: the lines of it (IPv4, then IPv6)
   * that may show an address translation.
   */
  ConntrackTranslated: 14,
  /** LINUX -> MONITOR: the accounting objects at shutdown, as `nfacct list` prints them (when the machine has any). */
  Nfacct: 15,
  /** LINUX -> DAEMON: the fates and console lines that follow come from frame N's timers (phase 0), its handling (1), or the shutdown (2). */
  Mark: 19,
  /** DAEMON -> CONETn: a frame for the guest. */
  Frame: 16,
  /** CONETn (or LINUX) -> DAEMON: a fate record. */
  Fate: 17,
  /** LINUX -> DAEMON: defines a drop site or reason that later fate records name by number. */
  Intern: 18,
  /** LINUX -> CONSOLE: one kernel log line. */
  ConsoleLine: 32,
  /** LINUX -> COBDn: block requests. */
  BlkOpen: 48,
  BlkStat: 49,
  BlkRead: 50,
  BlkClose: 51,
  /** COBDn -> LINUX: the reply to a block request. */
  BlkReply: 52,
} as const;
export const MORE = 0x8000;

/** A module's name as error messages give it: `CONET3`, `COBD0`, `MONITOR`. */
export function moduleName(m: number): string {
  if (m >= Module.CONET0 && m <= Module.CONET_END) return `CONET${m - Module.CONET0}`;
  if (m >= Module.COBD0 && m <= Module.COBD_END) return `COBD${m - Module.COBD0}`;
  return ['LINUX', 'MONITOR', 'DAEMON', 'IDLE', 'KERNEL_SWITCH', 'USER_SWITCH', 'CONSOLE', 'PRINTK'][m] ?? `module ${m}`;
}

/** Types each destination accepts, as a table: ACCEPTS[to * TYPE_SLOTS + type] is 1. */
export const TYPE_SLOTS = 64;
export const ACCEPTS = new Uint8Array(MODULES_MAX * TYPE_SLOTS);
function accept(to: number, types: readonly number[]): void {
  for (const t of types) ACCEPTS[to * TYPE_SLOTS + t] = 1;
}
accept(Module.LINUX, [MsgType.Boot, MsgType.Shutdown, MsgType.BlkReply, MsgType.MarksOn, MsgType.Tick]);
accept(Module.MONITOR, [
  MsgType.Terminate,
  MsgType.InitFailed,
  MsgType.Save,
  MsgType.Booted,
  MsgType.Conntrack,
  MsgType.Conntrack6,
  MsgType.Ipsets,
  MsgType.ConntrackExpect,
  MsgType.ConntrackPeak,
  MsgType.ConntrackTranslated,
  MsgType.Nfacct,
]);
accept(Module.DAEMON, [MsgType.Fate, MsgType.Intern, MsgType.Mark]);
accept(Module.CONSOLE, [MsgType.ConsoleLine]);
for (let m = Module.CONET0; m <= Module.CONET_END; m++) accept(m, [MsgType.Frame]);
for (let m = Module.COBD0; m <= Module.COBD_END; m++) accept(m, [MsgType.BlkOpen, MsgType.BlkStat, MsgType.BlkRead, MsgType.BlkClose]);
