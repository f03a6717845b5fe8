/**
 * Replay: the library entry point. Boots the cooperative machine with the
 * rule file on cobd0, streams the captures through the host's conet daemon
 * into the guest, collects every fate, writes the accepted and dropped
 * captures, and reports what the rules did.
 *
 * Only frames in flight (handed to the guest, fate not yet back) are held
 * in memory. Conservation is asserted at the end of every run: frames in =
 * fates of captured frames (generated packets are counted apart); a
 * mismatch throws ConservationError.
 *
 * This module orchestrates; the pieces live where their kind does: the
 * ingress decision and frame bookkeeping in the conet daemon
 * (src/conet/daemon.ts), a frame's flow in src/packet/flow.ts, the
 * dropped-flow table in src/report/flows.ts, the split captures in
 * src/report/split-captures.ts, the rule texts drops are named by in
 * src/netfilter/rules/texts.ts (the lines of the booted rule set's save
 * text).
 *
 * @example
 * const r = await replay({ rulesFile: 'rules.v4', machine: loadMachineFile('m.yaml'), captures: ['a.pcapng'], dropped: 'dropped.pcapng' });
 * console.log(r.fates, r.drops.sites, r.save);
 */
import { translations, type Translation } from './report/translations.js';
import { Family } from './packet/inet-addr.js';
import { existsSync, readFileSync } from 'node:fs';
import { parseIpsets, type IpsetStore } from './netfilter/ipset/ipset.js';
import { FrameBatch, openCaptures, openCaptureWriter, type CaptureDamage, type CaptureFrame, type CaptureSkip, type CaptureWriter } from './capture/index.js';
import type { CaptureRecord } from './capture/writer.js';
import { bigintNs, tsBefore } from './capture/timestamp.js';
import { ConetDaemon, restoreDestination, type SourceFrame } from './conet/daemon.js';
import { fileBlockDevice, memoryBlockDevice } from './machine/cobd.js';
import type { GuestDeps } from './machine/guest.js';
import { Machine, type MachineStats } from './machine/machine.js';
import { bridgePorts, machineFacts, type MachineFacts, type MachineSpec } from './machine/spec.js';
import { FRAME_OUTPUT, FRAME_TRUNCATED, type FateMsg } from './machine/passage/index.js';
import { FateKind, type DropSite } from './netfilter/fate.js';
import type { Ruleset } from './netfilter/rules/model.js';
import { loadRuleset } from './netfilter/rules/restore.js';
import { saveRuleset } from './netfilter/rules/save.js';
import { SaveTexts } from './netfilter/rules/texts.js';
import { GuestStack } from './net/ipv4/stack.js';
import { Flow, frameIpLength, readFrameFlow } from './packet/flow.js';
import { FlowTable, type DroppedFlow } from './report/flows.js';
import { splitCapturesFor, type SplitCapture, type SplitFile } from './report/split-captures.js';
import type { OutputFiles } from './io/output-file.js';
import { DetailsCollector, type ReplayDetails } from './report/details.js';
import { BATCH, ShardedMachine, type ShardTransport } from './workers/sharded.js';
import { sharedState, sharedStateText } from './workers/exactness.js';
import { ShardError, type ShardInputs, type ShardSet, type ShardWriter } from './workers/shard-dir.js';

export { ConservationError, restoreDestination } from './conet/daemon.js';
export { FlowTable, FLOW_TABLE_CAP, type DroppedFlow } from './report/flows.js';

export interface ReplayOptions {
  rulesFile: string;
  /** The rule file's text, when it is not read from `rulesFile` (which then only names it). */
  rulesText?: string;
  /** An ip6tables rule file (ip6tables-save format) for the IPv6 traffic; without it IPv6 passes as through empty tables. */
  rules6File?: string;
  /** Its text, when it is not read from `rules6File`. */
  rules6Text?: string;
  /**
   * An ipset file (`ipset save` format): the guest restores its sets before
   * loading the rules, which may name them (`-m set`, `-j SET`).
   */
  ipsetsFile?: string;
  /** Its text, when it is not read from `ipsetsFile`. */
  ipsetsText?: string;
  machine: MachineSpec;
  captures: string[];
  /**
   * Output capture for the frames that got through (Forwarded, Delivered,
   * Sent, Generated): a path, or a writer the caller opened (its `write`
   * gets one reused record whose `data` may view the guest's page: valid
   * during the call only).
   */
  accepted?: string | CaptureWriter;
  /** Output capture for dropped frames, each with a comment naming why: a path, or a writer the caller opened (as `accepted`: each record for the call only). */
  dropped?: string | CaptureWriter;
  outFormat?: 'pcap' | 'pcapng';
  /**
   * `rule`: the dropped packets are also written one capture per cause:
   * per dropping rule, chain policy, stack reason and fail policy, named
   * `<stem>-<table>-<chain>-rule<N>`, `<stem>-<table>-<chain>-policy`,
   * `<stem>-stack-<REASON>`, `<stem>-fail-<policy>-<reason>`, where the
   * stem is the `dropped` file's name without its extension (`dropped`
   * without one). Needs `dropped` or `splitDir`. Format: `outFormat`, else
   * the `dropped` file's extension, else pcapng (which keeps the comments).
   */
  splitBy?: 'rule';
  /** Folder for the split captures (created if missing); by default the `dropped` file's folder. */
  splitDir?: string;
  /**
   * Where the output files are gathered. Every output is written to a
   * temporary file and put in place when complete; without `outputs`, the
   * replay puts its captures in place when it ends. With it, the captures
   * opened for paths (and the split captures) are opened in this set and
   * the caller puts them in place (`outputs.commit()`) with its own, or
   * abandons them (`outputs.discard()`). Either way, a replay that throws
   * abandons its captures: earlier files of those names stay as they were.
   */
  outputs?: OutputFiles;
  /**
   * Stops the replay early: once aborted, no further frame is read; the
   * frames already handed to the guest are finished, the outputs hold what
   * the frames replayed so far did, and the result says it is not complete
   * (`complete: false`, `interrupted`). The pcapng captures get a section
   * comment saying so. `signal.reason`, when a string (`SIGINT`), names why.
   */
  signal?: AbortSignal;
  /**
   * The input was cut short before the replay (an interrupt while a pipe
   * was being read; the reason, such as `SIGINT`): every frame read is
   * replayed, and the result and outputs are marked partial as with `signal`.
   */
  inputCut?: string;
  /** Called every 1024 frames and at the end: frames replayed, and the last one's capture and record offset (for a percentage of bytes read). */
  onProgress?: (framesDone: number, at?: { file: string; offset: number }) => void;
  /**
   * Called with every captured frame's own fate, once per frame, as it
   * comes (not in frame order: a fragment's comes when its datagram is
   * complete), with the frame as captured and the conet unit it entered
   * on. A fate that got through names the filter table's verdict that let
   * it (`site`: the rule, or rule 0 for the policy), when the filter table
   * saw it. The records are reused (the fate and the frame): valid during the call.
   */
  onFrameFate?: (fate: FateMsg, frame: SourceFrame, unit: number) => void;
  /** What the guest runs (the real rule loader and stack by default; tests pass fakes). */
  guest?: GuestDeps;
  /** Passage page size in bytes (64 KiB by default). */
  pageSize?: number;
  /**
   * false: the final conntrack table is not listed (`conntrack` and
   * `conntrack6` are left out of the result; `conntrackExpect` and the
   * address translations are not). With tens of thousands of entries left
   * at the end, listing them costs about 5% of a run; a caller that writes
   * no table saves it. Replays on several workers list it anyway.
   */
  conntrackList?: boolean;
  /** Frame number ranges [first, last] to trace: each rule, return and policy they meet is logged on the console as `TRACE:` lines. */
  trace?: ReadonlyArray<readonly [number, number]>;
  /** Gather what the HTML report shows (`ReplayResult.details`): a timeline, the most-dropped sources and ports, samples of each cause's drops. */
  details?: boolean;
  /**
   * Worker threads, each a guest of its own, among which the connections
   * are sharded by a symmetric hash of their address pair (1 by default:
   * the calling thread's one guest). The results are those of one guest;
   * where they could not be (state the rules share across connections,
   * fragments on several workers...), the replay runs on one worker and
   * `onNote` says why (src/workers/).
   */
  workers?: number;
  /** The worker script (dist/workers/worker.js by default; tests pass a transpiled one). */
  workerUrl?: URL;
  /** Why a replay asked for several workers runs on one (a line for stderr, `cofw: ...`). */
  onNote?: (note: string) => void;
  /**
   * Called when a replay on several workers is done again on one (what it
   * found could not be exact): whatever `onFrameFate` and `onProgress`
   * gathered is to be forgotten.
   */
  onRestart?: () => void;
  /**
   * A merge of shard directories (`cofw merge`, src/workers/shard-dir.ts):
   * the captures are read again and the records every shard's guest wrote
   * stand in for the guests, merged into one guest's order as worker
   * threads' are. Throws ShardError when the shards do not fit the
   * captures, or the run they made cannot be exact.
   */
  shards?: ShardSet;
}

export type FateName =
  | 'forwarded'
  | 'delivered'
  | 'sent'
  | 'droppedByRule'
  | 'droppedByPolicy'
  | 'droppedByStack'
  | 'generated'
  | 'generatedDropped'
  | 'bridged'
  | 'failPolicy'
  | 'outbound'
  /** Copies of frames a bridge sent out of ports beyond each frame's own fate (flooded frames; frames iptables does not see). */
  | 'copies';
/** Fate names in FateKind order (kind k is FATE_NAMES[k - 1]). */
const FATE_NAMES: readonly FateName[] = [
  'forwarded',
  'delivered',
  'sent',
  'droppedByRule',
  'droppedByPolicy',
  'droppedByStack',
  'generated',
  'generatedDropped',
  'bridged',
  'failPolicy',
  'outbound',
  'copies',
];

export interface DropSiteCount {
  table: string;
  chain: string;
  /** 1-based rule number; 0 for the chain's policy. */
  rule: number;
  /** The rule as iptables-save prints it (or `-P CHAIN POLICY`). */
  text?: string;
  /** A site of the ip6tables rule set. */
  ipv6?: boolean;
  count: number;
  /** IP bytes (total length), as the kernel's counters count them. */
  bytes: number;
}

export interface DropReasonCount {
  reason: string;
  count: number;
  bytes: number;
}

/** How far an interrupted replay got. */
export interface ReplayInterruption {
  /** Why it stopped: the signal's reason when a string (`SIGINT`), else `aborted`. */
  reason: string;
  /** Frames read from the captures and replayed (later ones were not read). */
  framesRead: number;
  /** The last frame replayed: its number in the replay (1-based), its capture and its record number there. */
  lastFrame?: { number: number; file: string; record: number };
}

export interface ReplayResult {
  /**
   * False when the replay was stopped early (`signal`): the counters and
   * outputs cover the frames read until then. `replay` always sets it.
   */
  complete?: boolean;
  /** With `complete: false`: why and how far it got. */
  interrupted?: ReplayInterruption;
  /** The rule set with the kernel's final counters. */
  ruleset: Ruleset;
  /** The ip6tables rule set with its final counters, when one was loaded. */
  ruleset6?: Ruleset;
  /** Its `ip6tables-save -c` text. */
  save6?: string;
  /** The IPv6 connection tracking table at the end (`conntrack -L -f ipv6`, sorted). */
  conntrack6?: string;
  /**
   * The conntrack expectations still pending at the end, as `conntrack -L
   * expect` prints them (each family sorted, IPv4 first), when the rules
   * track connections.
   */
  conntrackExpect?: string;
  /** iptables-save -c after the run. */
  save: string;
  /** Fates by kind. */
  fates: Record<FateName, number>;
  drops: { sites: DropSiteCount[]; reasons: DropReasonCount[] };
  /**
   * Top dropped flows (at most 20), most dropped first, of either family
   * (IPv6 addresses as inet_ntop prints them). Flows are counted
   * in a table of at most FLOW_TABLE_CAP (65,536) flows, so that memory
   * stays flat however many flows a capture has: when it is full, the
   * flows with the fewest drops (at or below the median) are forgotten. A
   * count is exact unless its flow was forgotten earlier (then it is a lower
   * bound); `flowsForgotten` says how many flows were.
   */
  flows: DroppedFlow[];
  flowsForgotten: number;
  /** Packets the guest generated (REJECT replies, TEE copies), whatever became of them. */
  generated: number;
  framesIn: number;
  console: string[];
  stats: MachineStats;
  oops?: { message: string; frameNo: number; reason: string };
  damage: CaptureDamage[];
  /** The records of pcapng interfaces of link types cofw does not read: skipped, counted by interface (when there were any). */
  skipped?: CaptureSkip[];
  /**
   * What was odd about the capture's timestamps, said once each: frames
   * whose timestamp goes back (the firewall's clock does not: it stays at
   * the latest time seen, as the kernel's monotonic clock would), a jump
   * forward of more than a year, timestamps past what pcapng can hold.
   */
  clockNotes?: string[];
  /** What the bridged frames were (ARP, PPPoE discovery, PPP LCP, protected 802.11 frames...), most frequent first (when there were any). */
  notIp?: { reason: string; count: number }[];
  /** The connection tracking table at the end (`conntrack -L`, sorted), when the rules needed tracking. */
  conntrack?: string;
  /** The connections of that table that NAT translated: original and translated tuple. */
  translations?: Translation[];
  /** With `splitBy`: the captures written, one per cause, in the order their first packet came. */
  split?: SplitFile[];
  /** With `details`: what the HTML report shows beyond this (src/report/details.ts). Not in the JSON report. */
  details?: ReplayDetails;
  /** With `ipsetsFile`: the guest's sets after the replay, as `ipset save` prints them (with counters when a set has them). */
  ipsets?: string;
  /** When the machine file declares accounting objects (`nfacct:`): them after the replay, as `nfacct list` prints them. */
  nfacct?: string;
}

/** The guest's software: cofw's rule loader and IPv4 stack. */
export const linuxGuest: GuestDeps = {
  loadRuleset: (text, file, ipv6, hosts, ipsets, ports) =>
    loadRuleset(text, file, {
      ...(ipv6 ? { family: Family.V6 } : {}),
      ...(hosts ? { hosts } : {}),
      ...(ipsets ? { ipsets } : {}),
      ...ports,
    }),
  createStack: (opts, rs, rs6) => new GuestStack(opts, rs, rs6 ?? null),
  saveRuleset: (rs, opts) => saveRuleset(rs, opts),
};

const TOP_FLOWS = 20;
const EMPTY_RULESET: Ruleset = { family: Family.V4, tables: new Map(), file: '' };

/**
 * Makes `key` of `o` a value computed by `make` when first read (then an
 * ordinary property, which may also be assigned): the loaded rule sets of
 * a result, which only some reports read, cost a parse of the whole save
 * text (a second or so for 10,000 rules).
 */
function lazyProperty<T extends object, K extends keyof T>(o: T, key: K, make: () => T[K]): void {
  const settle = (v: T[K]): void => void Object.defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
  Object.defineProperty(o, key, {
    enumerable: true,
    configurable: true,
    get: () => {
      const v = make();
      settle(v);
      return v;
    },
    set: settle,
  });
}

/** How the details (and the HTML report) name a drop site: `[ip6:]table:chain:rule`, rule 0 for the policy. */
export function siteCause(s: { table: string; chain: string; rule: number; ipv6?: boolean }): string {
  return `${s.ipv6 ? 'ip6:' : ''}${s.table}:${s.chain}:${s.rule}`;
}

/** What an interrupted replay's outputs say about themselves: `cofw: PARTIAL: ...`. */
export function partialNote(i: ReplayInterruption): string {
  const where = i.lastFrame ? `after frame ${i.lastFrame.number} (${i.lastFrame.file}, record ${i.lastFrame.record})` : 'before the first frame';
  return `cofw: PARTIAL: the replay was interrupted (${i.reason}) ${where}; this output covers the ${i.framesRead} frame${i.framesRead === 1 ? '' : 's'} replayed until then`;
}

/**
 * Replays captures through the rule file on the machine. Throws
 * RuleFileError(s) when the guest's init refuses the rule file (nothing is
 * replayed then), CaptureError when a capture cannot be read at all,
 * OutputError when an output cannot be written (its folder is missing or
 * read-only, the disk is full: the outputs are then abandoned, and earlier
 * files of their names stay as they were), and ConservationError if the
 * accounting does not add up.
 */
/** The latest timestamp a frame may have: pcapng's 64-bit nanoseconds (the year 2554); later ones are absurd. */
const MAX_TS_NS = (1n << 64n) - 1n;
/** The same as seconds and nanoseconds (18,446,744,073.709551615 s). */
const MAX_TS_SEC = 18_446_744_073;
const MAX_TS_NSEC = 709_551_615;
/** A jump forward between consecutive frames this long (a year, in seconds) is said. */
const JUMP_SEC = 365 * 86_400;
/** pcap's 32-bit seconds end in 2106. */
const PCAP_MAX_NS = 0xffffffffn * 1_000_000_000n;

const isoOf = (ns: bigint): string => {
  const ms = ns / 1_000_000n;
  return ms <= 8_640_000_000_000_000n ? new Date(Number(ms)).toISOString() : `${ns} ns after 1970`;
};
const seconds = (ns: bigint): string => (Number(ns / 1_000_000n) / 1000).toFixed(3);

/** Gathers what is odd about the timestamps, for `clockNotes`: the first of each kind and how many. */
class ClockNotes {
  private back = 0;
  private firstBack = '';
  private jumps = 0;
  private firstJump = '';
  private huge = 0;
  private firstHuge = '';
  private pcapLate = false;

  backwards(f: CaptureFrame, prev: CaptureFrame): void {
    if (this.back++ === 0)
      this.firstBack = `${f.file} record ${f.index}: its timestamp (${isoOf(f.tsNs)}) is ${seconds(prev.tsNs - f.tsNs)} s before that of ${prev.file} record ${prev.index} (${isoOf(prev.tsNs)})`;
  }

  absurd(f: CaptureFrame, prev: CaptureFrame | undefined): void {
    if (f.tsNs > MAX_TS_NS) {
      if (this.huge++ === 0)
        this.firstHuge = `${f.file} record ${f.index}: its timestamp (${f.tsNs} ns after 1970) is past the year 2554, which pcapng cannot hold`;
      return;
    }
    if (f.tsNs > PCAP_MAX_NS) this.pcapLate = true;
    if (prev && this.jumps++ === 0)
      this.firstJump = `${f.file} record ${f.index}: the clock jumps forward ${(Number((f.tsNs - prev.tsNs) / 1_000_000_000n) / 86_400).toFixed(1)} days (from ${isoOf(prev.tsNs)} to ${isoOf(f.tsNs)})`;
  }

  notes(): string[] {
    const out: string[] = [];
    if (this.back)
      out.push(
        `${this.firstBack}; ${this.back === 1 ? 'it is the only frame' : `${this.back} frames in all`} whose timestamp goes back: the firewall's clock does not go back (the kernel's is monotonic), so conntrack, fragment and limit timers count from the latest time seen; the outputs keep each frame's own timestamp`,
      );
    if (this.jumps)
      out.push(
        `${this.firstJump}${this.jumps > 1 ? ` (${this.jumps} such jumps)` : ''}: every connection tracking entry and fragment queue expires across it, as in the kernel`,
      );
    if (this.huge) out.push(`${this.firstHuge}${this.huge > 1 ? ` (${this.huge} such frames)` : ''}: each is replayed at the time of the frame before it`);
    if (this.pcapLate)
      out.push('timestamps after 2106-02-07T06:28:15Z cannot be written in pcap (32-bit seconds): pcap outputs hold that time for them; use pcapng');
    return out;
  }
}

/** Distinct kinds of non-IP frames the report names; the rest are counted together. */
const MAX_NOT_IP_REASONS = 100;
const OTHER_NOT_IP = 'other frames that are not IP';

export async function replay(opts: ReplayOptions): Promise<ReplayResult> {
  if (opts.rulesText === undefined && !existsSync(opts.rulesFile)) {
    throw new Error(`${opts.rulesFile}: rule file not found; give the path of an iptables-save file`);
  }
  if (opts.shards) {
    await opts.shards.checkCaptures(opts.captures);
    const r = await replayOnce(opts, opts.shards.shards, opts.shards);
    if (r instanceof NotExact) throw new ShardError(`the shards cannot be merged exactly: ${r.reason}; replay the capture on one machine (without --shard)`);
    return r as ReplayResult;
  }
  const n = opts.workers ?? 1;
  if (n <= 1) return (await replayOnce(opts, 1)) as ReplayResult;
  const asked = `--workers ${n}`;
  const why = shardRefusal(opts);
  if (why) {
    opts.onNote?.(`cofw: ${asked}: replaying on one worker: ${why}`);
    return (await replayOnce(opts, 1)) as ReplayResult;
  }
  // The captures are opened here, so that a run found not exact can write them again from the start.
  const fmt = opts.outFormat ? { format: opts.outFormat } : {};
  const files = opts.outputs ? { files: opts.outputs } : {};
  const own: CaptureWriter[] = [];
  const o: ReplayOptions = { ...opts };
  try {
    if (typeof opts.accepted === 'string') own.push((o.accepted = openCaptureWriter(opts.accepted, { ...fmt, ...files })));
    if (typeof opts.dropped === 'string') own.push((o.dropped = openCaptureWriter(opts.dropped, { ...fmt, ...files })));
  } catch (e) {
    for (const w of own) w.abort();
    throw e;
  }
  const writers = [o.accepted, o.dropped].filter((w): w is CaptureWriter => typeof w === 'object');
  if (writers.some((w) => !w.restart)) {
    opts.onNote?.(`cofw: ${asked}: replaying on one worker: an output capture cannot be written again from the start`);
    return (await replayOnce(o, 1)) as ReplayResult;
  }
  let r: ReplayResult | NotExact;
  try {
    r = (await replayOnce(o, n)) as ReplayResult | NotExact;
  } catch (e) {
    for (const w of own) w.abort();
    throw e;
  }
  if (!(r instanceof NotExact)) return r;
  opts.onNote?.(`cofw: ${asked}: replaying again on one worker: ${r.reason}, so several workers would not give the same results`);
  if (!writers.every((w) => w.restart!())) {
    for (const w of own) w.abort();
    throw new Error(`an output capture could not be written again from the start`);
  }
  opts.onRestart?.();
  return (await replayOnce(o, 1)) as ReplayResult;
}

/** A replay on several workers found what it could not do exactly: it is done again on one. */
class NotExact {
  constructor(readonly reason: string) {}
}

/** A shard run's end: its records are in its directory. */
class ShardDone {
  constructor(readonly frames: number) {}
}

/**
 * Past one machine: replays only the connections of shard `w.index` of
 * `w.shards` (as `--workers` shards them), writing what its guest reports
 * to the shard's directory for `cofw merge` (src/workers/shard-dir.ts);
 * `inputs` is what the directory records of the run. A rule set with state
 * shared across connections cannot be sharded: throws ShardError saying
 * why. When the traffic cannot be sharded exactly (fragments of one family
 * on several shards), the directory says so (the merge refuses it) and so
 * does the result.
 */
export async function replayShard(opts: ReplayOptions, w: ShardWriter, inputs: ShardInputs): Promise<{ frames: number; notExact?: string }> {
  if (opts.accepted !== undefined || opts.dropped !== undefined || opts.splitBy) throw new Error('a shard run writes no capture: its merge does');
  const why = shardRefusal(opts);
  if (why) {
    await w.close();
    throw new ShardError(`--shard ${w.index}/${w.shards}: this replay cannot be sharded: ${why}; replay it on one machine (without --shard)`);
  }
  let r: ReplayResult | NotExact | ShardDone;
  try {
    r = await replayOnce(opts, w.shards, w);
  } finally {
    await w.close();
  }
  if (r instanceof NotExact) {
    w.complete(inputs, BATCH, 0, r.reason);
    return { frames: 0, notExact: r.reason };
  }
  const frames = (r as ShardDone).frames;
  w.complete(inputs, BATCH, frames);
  return { frames };
}

/** Why a replay cannot be sharded at all (from its options and rule sets), or undefined. */
function shardRefusal(opts: ReplayOptions): string | undefined {
  if (opts.guest && opts.guest !== linuxGuest) return 'the guest is not the real one';
  if (opts.splitBy) return '--split-by writes its captures as one replay does';
  if (bridgePorts(opts.machine))
    return 'the machine has a bridge, whose forwarding database (and the MACs its next hops were seen with) every connection teaches';
  for (const w of [opts.accepted, opts.dropped]) if (typeof w === 'object' && !w.restart) return 'an output capture cannot be written again from the start';
  let rs: Ruleset | undefined;
  let rs6: Ruleset | undefined;
  let sets: IpsetStore | undefined;
  try {
    if (opts.ipsetsFile !== undefined) sets = parseIpsets(opts.ipsetsText ?? readFileSync(opts.ipsetsFile, 'utf8'), opts.ipsetsFile);
    const mods = {
      ...(opts.machine.modules ? { modules: opts.machine.modules } : {}),
      ...(opts.machine.cttimeout ? { cttimeout: opts.machine.cttimeout } : {}),
      ...(opts.machine.nfacct ? { nfacct: opts.machine.nfacct } : {}),
    };
    rs = loadRuleset(opts.rulesText ?? readFileSync(opts.rulesFile, 'utf8'), opts.rulesFile, { ...(sets ? { ipsets: sets } : {}), ...mods });
    if (opts.rules6File !== undefined)
      rs6 = loadRuleset(opts.rules6Text ?? readFileSync(opts.rules6File, 'utf8'), opts.rules6File, {
        family: Family.V6,
        ...(sets ? { ipsets: sets } : {}),
        ...mods,
      });
  } catch {
    // The guest refuses it, with its position: one worker says so.
    return 'the rule files do not load';
  }
  const shared = sharedState(rs, rs6, sets, opts.machine.modules);
  if (shared.length) return sharedStateText(shared);
  if (
    opts.machine.rules?.some((r) => r.realm) &&
    [...rs.tables.values()].some((t) => [...t.chains.values()].some((c) => c.rules.some((r) => r.matches.some((m) => m.module.name === 'realm'))))
  )
    return "the machine's policy rules have realms, which the routes the kernel caches on a next hop carry to the packets of every connection routed there (-m realm reads them)";
  return undefined;
}

/** One replay: on one guest (`workers` 1, no transport), on worker threads, as a shard run, or as a merge of shard directories (`transport`). */
async function replayOnce(opts: ReplayOptions, workers: number, transport?: ShardTransport): Promise<ReplayResult | NotExact | ShardDone> {
  // The sets the rules name, for the host's own loads of the guest's rule texts (report texts, final counters).
  let hostIpsets: IpsetStore | undefined;
  const hostPorts = machineFacts(opts.machine);
  let ipsetsText = opts.ipsetsText;
  if (opts.ipsetsFile !== undefined) {
    ipsetsText ??= readFileSync(opts.ipsetsFile, 'utf8');
    try {
      hostIpsets = parseIpsets(ipsetsText, opts.ipsetsFile);
    } catch {
      // The guest refuses it, with its position.
    }
  }
  // Every output is opened before the first frame is read, so that a bad path fails at once.
  const fmt = opts.outFormat ? { format: opts.outFormat } : {};
  const files = opts.outputs ? { files: opts.outputs } : {};
  const writers: CaptureWriter[] = [];
  let split: ReturnType<typeof splitCapturesFor>;
  let accepted: CaptureWriter | undefined;
  let dropped: CaptureWriter | undefined;
  try {
    // The split folder first: --dropped may be in it.
    split = splitCapturesFor({ ...opts, dropped: typeof opts.dropped === 'string' ? opts.dropped : opts.dropped?.path });
    if (opts.accepted !== undefined)
      writers.push((accepted = typeof opts.accepted === 'string' ? openCaptureWriter(opts.accepted, { ...fmt, ...files }) : opts.accepted));
    if (opts.dropped !== undefined)
      writers.push((dropped = typeof opts.dropped === 'string' ? openCaptureWriter(opts.dropped, { ...fmt, ...files }) : opts.dropped));
  } catch (e) {
    for (const w of writers) w.abort();
    throw e;
  }
  const policy = opts.machine.failPolicy;
  // The conet units' devices (the first of each unit), looked up once: every record of an output capture names its interface.
  const unitDevices: Array<MachineSpec['devices'][number] | undefined> = [];
  for (const d of opts.machine.devices) if (d.unit >= 0) unitDevices[d.unit] ??= d;
  const devName = (unit: number): string | undefined => unitDevices[unit]?.name;
  const macOf = (unit: number): Uint8Array | undefined => unitDevices[unit]?.mac;
  const counts = new Array<number>(FATE_NAMES.length + 1).fill(0);
  const notIp = new Map<string, number>();
  // Per drop site (the host keeps one DropSite object per site the guest defined), per reason.
  const sites = new Map<DropSite, { count: DropSiteCount; comment: string; split?: SplitCapture }>();
  const reasons = new Map<string, { count: DropReasonCount; comment: string; split?: SplitCapture }>();
  // One split capture per cause, by name (two DropSite records for one rule share it).
  const splitFiles = new Map<string, SplitCapture>();
  const splitFile = (name: string, what: string): SplitCapture => {
    let s = splitFiles.get(name);
    if (!s) splitFiles.set(name, (s = split!.file(name, what)));
    return s;
  };
  // The last frame a rule dropped and why: a REJECT's reply follows it and names it.
  let lastDropNo = 0;
  let lastDropComment = '';
  const failReasons = new Map<string, string>();
  const flows = new FlowTable();
  const flow = new Flow();
  const details = opts.details ? new DetailsCollector() : undefined;
  // The rule set as booted (the guest's iptables-save text): a drop site's rule text is its line there.
  let bootSave: string | undefined;
  let booted: SaveTexts | undefined;
  let booted6: SaveTexts | undefined;

  const siteOf = (site: DropSite): { count: DropSiteCount; comment: string; split?: SplitCapture } => {
    const texts = site.ipv6 ? (booted6 ??= new SaveTexts(machine.bootSave6 ?? '')) : (booted ??= new SaveTexts(bootSave ?? ''));
    const text = texts.at(site.table, site.chain, site.rule);
    const count: DropSiteCount = {
      table: site.table,
      chain: site.chain,
      rule: site.rule,
      ...(site.ipv6 ? { ipv6: true } : {}),
      count: 0,
      bytes: 0,
      ...(text ? { text } : {}),
    };
    const where = `${site.ipv6 ? 'ip6 ' : ''}${site.table}/${site.chain}`;
    const comment = site.rule === 0 ? `${where} policy${text ? `: ${text}` : ''}` : `${where} rule ${site.rule}${text ? `: ${text}` : ''}`;
    const e = { count, comment };
    sites.set(site, e);
    return e;
  };
  const reasonOf = (reason: string, comment: string): { count: DropReasonCount; comment: string; split?: SplitCapture } => {
    const e = { count: { reason, count: 0, bytes: 0 }, comment };
    reasons.set(reason, e);
    return e;
  };

  // One record for every write: the writers copy what they are given during the call (CaptureWriter.write).
  const rec: CaptureRecord = { tsSec: 0, tsNsec: 0, data: new Uint8Array(0), origLen: undefined, comment: undefined, ifName: undefined, direction: undefined };
  const record = (tsSec: number, tsNsec: number, data: Uint8Array): CaptureRecord => {
    rec.tsSec = tsSec;
    rec.tsNsec = tsNsec;
    rec.data = data;
    rec.origLen = undefined;
    rec.comment = undefined;
    return rec;
  };
  const onFrameFate = opts.onFrameFate;
  const onOutcome = (f: FateMsg, frame: SourceFrame | undefined, unit: number, tsSec: number, tsNsec: number, output = false): void => {
    const kind = f.kind;
    if (onFrameFate && frame) onFrameFate(f, frame, unit);
    counts[kind] = counts[kind]! + 1;
    // The captured frame's bytes are viewed only where they are read (a dropped frame, an output capture).
    const pass =
      kind === FateKind.Forwarded ||
      kind === FateKind.Sent ||
      kind === FateKind.Generated ||
      kind === FateKind.Copy ||
      kind === FateKind.Delivered ||
      (kind === FateKind.FailPolicy && policy === 'open');
    if (pass) {
      if (details && kind !== FateKind.Generated && kind !== FateKind.Copy) details.passed(bigintNs(tsSec, tsNsec));
      if (!accepted) return;
      // The leaving frame where the guest's record holds it: the writer copies it during the call.
      const leaving = f.frameView ? f.frameView() : f.frame;
      const original = leaving ? undefined : frame?.data;
      const data = leaving ?? original;
      // An empty leaving frame: the packet left in the pieces other frames carry (an IPv6 packet cut again).
      if (!data || data.length === 0) return;
      const out = f.unit >= 0;
      const ifName = out ? devName(f.unit) : frame ? devName(unit) : undefined;
      // A locally generated frame delivered to the firewall itself has no direction: replaying the capture makes it local again.
      const w = record(tsSec, tsNsec, data);
      w.direction = out ? 'out' : !output ? 'in' : undefined;
      w.ifName = ifName || undefined;
      if (kind === FateKind.FailPolicy) w.comment = `fail policy (open): ${f.reason ?? ''}`;
      else if (kind === FateKind.Generated)
        w.comment = `generated by netfilter for frame ${f.frameNo}${f.frameNo === lastDropNo ? ` (${lastDropComment})` : ''}`;
      else if (kind === FateKind.Copy) w.comment = `a copy of frame ${f.frameNo} the bridge also sent out of ${ifName ?? `unit ${f.unit}`}`;
      else if (data === original && frame && frame.origLen > data.length) w.origLen = frame.origLen;
      accepted.write(w);
      return;
    }
    if (kind === FateKind.Bridged) {
      const reason = f.reason ?? 'not IP';
      const n = notIp.get(reason);
      if (n !== undefined) notIp.set(reason, n + 1);
      else if (notIp.size < MAX_NOT_IP_REASONS) notIp.set(reason, 1);
      else notIp.set(OTHER_NOT_IP, (notIp.get(OTHER_NOT_IP) ?? 0) + 1);
      return;
    }
    if (kind === FateKind.Outbound) return;
    // A drop: by rule, policy, the stack, the fail policy, or of a generated packet.
    const original = frame?.data;
    const data = original ?? f.frame;
    const bytes = data ? frameIpLength(data) : 0;
    let comment: string;
    let to: SplitCapture | undefined;
    if (f.site) {
      const e = sites.get(f.site) ?? siteOf(f.site);
      if (details) details.dropped(siteCause(f.site), f.frameNo, bigintNs(tsSec, tsNsec), data, bytes, kind !== FateKind.GeneratedDropped);
      e.count.count++;
      e.count.bytes += bytes;
      comment = e.comment;
      if (kind === FateKind.DroppedByRule) {
        lastDropNo = f.frameNo;
        lastDropComment = comment;
      }
      if (split && data) {
        const site = f.site;
        to = e.split ??= splitFile(`${site.ipv6 ? 'ip6-' : ''}${site.table}-${site.chain}-${site.rule === 0 ? 'policy' : `rule${site.rule}`}`, e.comment);
      }
      if ((dropped || to) && f.reason) comment += ` (${f.reason})`;
    } else {
      let reason = f.reason ?? 'dropped';
      if (kind === FateKind.FailPolicy) {
        let r = failReasons.get(reason);
        if (r === undefined) failReasons.set(reason, (r = `fail policy (${policy}): ${f.reason ?? 'guest stopped'}`));
        reason = r;
      }
      const e = reasons.get(reason) ?? reasonOf(reason, kind === FateKind.FailPolicy ? reason : `stack: ${reason}`);
      if (details) details.dropped(`stack:${reason}`, f.frameNo, bigintNs(tsSec, tsNsec), data, bytes, kind !== FateKind.GeneratedDropped);
      e.count.count++;
      e.count.bytes += bytes;
      comment = e.comment;
      if (split && data)
        to = e.split ??= splitFile(kind === FateKind.FailPolicy ? `fail-${policy}-${f.reason ?? 'guest-stopped'}` : `stack-${reason}`, e.comment);
    }
    if (!data) return;
    if (readFrameFlow(data, flow)) flows.add(flow);
    if (dropped || to) {
      if (kind === FateKind.GeneratedDropped) comment = `generated for frame ${f.frameNo}, dropped: ${comment}`;
      // A locally generated frame has no direction: replaying the capture makes it local again.
      const w = record(tsSec, tsNsec, data);
      w.comment = comment;
      w.direction = output ? undefined : 'in';
      w.ifName = (frame ? devName(unit) : undefined) || undefined;
      if (data === original && frame && frame.origLen > data.length) w.origLen = frame.origLen;
      dropped?.write(w);
      to?.write(w);
    }
  };

  const daemon = new ConetDaemon(opts.machine, onOutcome);
  const disk = opts.rulesText !== undefined ? memoryBlockDevice(opts.rulesFile, new TextEncoder().encode(opts.rulesText)) : fileBlockDevice(opts.rulesFile);
  const disks = [disk];
  if (opts.rules6File !== undefined) {
    disks.push(
      opts.rules6Text !== undefined ? memoryBlockDevice(opts.rules6File, new TextEncoder().encode(opts.rules6Text)) : fileBlockDevice(opts.rules6File),
    );
  }
  if (opts.ipsetsFile !== undefined) disks.push(memoryBlockDevice(opts.ipsetsFile, new TextEncoder().encode(ipsetsText ?? '')));
  // A shard run keeps the leaving frames in its records: the merge may write the accepted capture.
  const shardRun = transport !== undefined && !transport.merges;
  const sharded =
    workers > 1 || transport
      ? new ShardedMachine({
          workers,
          ...(transport ? { transport } : {}),
          boot: {
            rulesFile: opts.rulesFile,
            spec: opts.machine,
            ...(opts.trace ? { trace: opts.trace } : {}),
            ...(opts.rules6File !== undefined ? { rules6File: opts.rules6File } : {}),
            ...(opts.ipsetsFile !== undefined ? { ipsetsFile: opts.ipsetsFile } : {}),
            ...(accepted === undefined && !opts.onFrameFate && !shardRun ? { noLeavingFrames: true } : {}),
            // A shard run lists its table: the merge may be asked for it.
            ...(opts.conntrackList === false && !shardRun ? { noConntrackList: true } : {}),
          },
          rulesText: opts.rulesText ?? readFileSync(opts.rulesFile, 'utf8'),
          ...(opts.rules6File !== undefined ? { rules6Text: opts.rules6Text ?? readFileSync(opts.rules6File, 'utf8') } : {}),
          ...(opts.ipsetsFile !== undefined ? { ipsetsText: ipsetsText ?? '' } : {}),
          ...(opts.pageSize ? { pageSize: opts.pageSize } : {}),
          ...(opts.workerUrl ? { workerUrl: opts.workerUrl } : {}),
          onFate: (f) => daemon.fate(f),
        })
      : undefined;
  const machine: Machine | ShardedMachine =
    sharded ??
    new Machine({
      spec: opts.machine,
      rulesFile: opts.rulesFile,
      ...(opts.rules6File !== undefined ? { rules6File: opts.rules6File } : {}),
      ...(opts.ipsetsFile !== undefined ? { ipsetsFile: opts.ipsetsFile } : {}),
      disks,
      guest: opts.guest ?? linuxGuest,
      onFate: (f) => daemon.fate(f),
      ...(opts.pageSize ? { pageSize: opts.pageSize } : {}),
      ...(opts.trace ? { trace: opts.trace } : {}),
      // Only the accepted capture and the frame callback read the frames of packets that got through.
      ...(accepted === undefined && !opts.onFrameFate ? { noLeavingFrames: true } : {}),
      ...(opts.conntrackList === false ? { noConntrackList: true } : {}),
    });

  let splitDone: SplitFile[] | undefined;
  let caps: ReturnType<typeof openCaptures>;
  try {
    caps = openCaptures(opts.captures);
  } catch (e) {
    for (const w of writers) w.abort();
    split?.discard();
    throw e;
  }
  const it = caps.batches[Symbol.asyncIterator]();
  const clock = new ClockNotes();
  // A frame later than this may be a jump (see ClockNotes): the latest frame's time plus a year, or less.
  // A frame after this time (a year after the last frame that passed it) is checked for a jump (ClockNotes.absurd).
  let jumpSec = -Infinity;
  let jumpNsec = 0;
  let failed = false;
  let interrupted: ReplayInterruption | undefined;
  const signal = opts.signal;
  const checkGuest = (): void => {
    if (!failed && !machine.running) {
      failed = true;
      daemon.failInFlight(policy, (machine as Machine).termination?.oops === false ? 'guest-stopped' : 'guest-oops');
    }
  };
  let ok = false;
  try {
    // Once the signal is aborted, no further frame is read.
    let batch: FrameBatch = new FrameBatch(0);
    let at = 0;
    const more = async (): Promise<boolean> => {
      while (at >= batch.length) {
        if (signal?.aborted) return false;
        const r = await it.next();
        if (r.done) return false;
        batch = r.value;
        at = 0;
      }
      return !signal?.aborted;
    };
    let has = await more();
    if (sharded) {
      if (!(await sharded.boot(has ? bigintNs(batch.tsSec[at]!, batch.tsNsec[at]!) : 0n))) {
        ok = true;
        return new NotExact(sharded.notExact ?? 'a worker did not boot');
      }
    } else (machine as Machine).boot(has ? bigintNs(batch.tsSec[at]!, batch.tsNsec[at]!) : 0n);
    bootSave = machine.bootSave;
    checkGuest();
    // The firewall's clock: the latest time seen (what each worker's guest is told).
    let fwClock = -1n;
    let fwSec = -Infinity;
    let fwNsec = 0;
    let done = 0;
    // The frame before (its batch and place there; its time, which a later frame's check may have replaced).
    let lastBatch: FrameBatch | undefined;
    let lastAt = 0;
    let lastSec = 0;
    let lastNsec = 0;
    // Frames are read in place in their batch (FrameBatch: no object per frame); the rare cases make one.
    for (; has; has = at < batch.length && !signal?.aborted ? true : await more()) {
      const b = batch;
      const i = at++;
      const tsSec = b.tsSec[i]!;
      const tsNsec = b.tsNsec[i]!;
      if (lastBatch && tsBefore(tsSec, tsNsec, lastSec, lastNsec)) clock.backwards(b.frame(i), lastBatch.frame(lastAt));
      else if (tsBefore(jumpSec, jumpNsec, tsSec, tsNsec)) {
        // Rare (once a year of capture time).
        const huge = tsBefore(MAX_TS_SEC, MAX_TS_NSEC, tsSec, tsNsec);
        if (huge || (lastBatch && tsBefore(lastSec + JUMP_SEC, lastNsec, tsSec, tsNsec))) clock.absurd(b.frame(i), lastBatch?.frame(lastAt));
        if (huge) {
          b.tsSec[i] = lastBatch ? lastSec : 0;
          b.tsNsec[i] = lastBatch ? lastNsec : 0;
        } else {
          jumpSec = tsSec + JUMP_SEC;
          jumpNsec = tsNsec;
        }
      }
      lastBatch = b;
      lastAt = i;
      lastSec = b.tsSec[i]!;
      lastNsec = b.tsNsec[i]!;
      if (failed) daemon.failNewAt(b, i, policy, (machine as Machine).termination?.oops === false ? 'guest-stopped' : 'guest-oops');
      else {
        const frameNo = daemon.submitAt(b, i);
        const x = b.extra[i];
        if (x !== undefined) {
          if (x.direction === 'out' && !daemon.output) {
            // A packet seen leaving the capture point that the firewall did not send: its inbound copy is replayed.
            daemon.settle(frameNo, bigintNs(lastSec, lastNsec), FateKind.Outbound, 'outbound copy (pcapng direction out): not replayed');
            done++;
            continue;
          }
          if (x.nonIp !== undefined) {
            // A link-layer frame without an IP packet (PPP LCP, PPPoE discovery, a protected 802.11 frame): as the bridge passes ARP.
            daemon.settle(frameNo, bigintNs(lastSec, lastNsec), FateKind.Bridged, x.nonIp);
            done++;
            continue;
          }
          if (x.pktType !== undefined) restoreDestination(b.data(i), x.pktType, macOf(daemon.unit));
        }
        const flags = (daemon.output ? FRAME_OUTPUT : 0) | (b.truncated[i]! > 0 ? FRAME_TRUNCATED : 0);
        if (sharded) {
          if (tsBefore(fwSec, fwNsec, lastSec, lastNsec)) {
            fwSec = lastSec;
            fwNsec = lastNsec;
            fwClock = bigintNs(fwSec, fwNsec);
          }
          sharded.deliverFrame(daemon.unit, frameNo, fwClock, flags, b.data(i));
          if (shardRun) daemon.forget(frameNo);
          if (sharded.needsFlush) {
            await sharded.flush();
            if (sharded.notExact) {
              ok = true;
              return new NotExact(sharded.notExact);
            }
          }
        } else if (!(machine as Machine).deliverFrameAt(daemon.unit, frameNo, lastSec, lastNsec, flags, b.buf[i]!, b.start[i]!, b.len[i]!)) checkGuest();
      }
      done++;
      if (opts.onProgress && done % 1024 === 0) opts.onProgress(done, { file: b.file[i]!, offset: b.offset[i]! });
    }
    if (signal?.aborted || opts.inputCut !== undefined) {
      const reason = signal?.aborted ? signal.reason : opts.inputCut;
      interrupted = { reason: typeof reason === 'string' ? reason : 'aborted', framesRead: done };
      if (lastBatch) interrupted.lastFrame = { number: done, file: lastBatch.file[lastAt]!, record: lastBatch.index[lastAt]! };
    }
    // The frames in flight are finished.
    if (sharded) {
      await sharded.shutdown();
      if (sharded.notExact) {
        ok = true;
        return new NotExact(sharded.notExact);
      }
      if (shardRun) {
        ok = true;
        return new ShardDone(daemon.framesIn);
      }
    } else (machine as Machine).shutdown();
    checkGuest();
    if (opts.onProgress) opts.onProgress(done);
    daemon.assertConservation();
    ok = true;
  } finally {
    await it.return?.();
    await sharded?.terminate();
    if (!ok) {
      for (const w of writers) w.abort();
      split?.discard();
    }
  }
  // The outputs of an interrupted replay say so (pcapng: a section comment).
  const partial = interrupted ? { sectionComment: partialNote(interrupted) } : {};
  try {
    // Closed together: their syncs to the disk run at the same time (CaptureWriter.close).
    const closing = await Promise.allSettled(writers.map((w) => w.close(partial)));
    for (const c of closing) if (c.status === 'rejected') throw c.reason;
    splitDone = split?.close(partial);
  } catch (e) {
    for (const w of writers) w.abort();
    split?.discard();
    throw e;
  }

  const save = machine.finalSave ?? machine.bootSave ?? '';
  // The final rule set, loaded from the save text when a report first reads it (the text report does not).
  const loadFinal = (): Ruleset => {
    try {
      if (save)
        return loadRuleset(save, opts.rulesFile, {
          restoreCounters: true,
          guestSave: true,
          ...(hostIpsets ? { ipsets: hostIpsets } : {}),
          ...hostPorts,
        });
    } catch {
      // The guest's own save text should always load; a fake guest's may not.
    }
    return { family: Family.V4, tables: new Map(), file: opts.rulesFile };
  };
  const console = machine.console.slice();
  if (machine.consoleDropped) console.push(`cocon: ${machine.consoleDropped} further console lines not kept`);
  const t = sharded ? undefined : (machine as Machine).termination;
  const result: ReplayResult = {
    complete: !interrupted,
    ...(interrupted ? { interrupted } : {}),
    ruleset: EMPTY_RULESET,
    save,
    fates: Object.fromEntries(FATE_NAMES.map((n, i) => [n, counts[i + 1]!])) as Record<FateName, number>,
    drops: {
      sites: [...sites.values()]
        .map((e) => e.count)
        .sort((a, b) => b.count - a.count || a.table.localeCompare(b.table) || a.chain.localeCompare(b.chain) || a.rule - b.rule),
      reasons: [...reasons.values()].map((e) => e.count).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    },
    flows: flows.top(TOP_FLOWS),
    flowsForgotten: flows.forgotten,
    generated: daemon.generated,
    framesIn: daemon.framesIn,
    console,
    stats: { ...machine.stats },
    damage: caps.damage,
    ...(caps.skipped.length ? { skipped: caps.skipped } : {}),
    ...(clock.notes().length ? { clockNotes: clock.notes() } : {}),
    ...(notIp.size
      ? { notIp: [...notIp].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)) }
      : {}),
  };
  lazyProperty(result, 'ruleset', loadFinal);
  if (splitDone) result.split = splitDone;
  if (details) result.details = details.result(TOP_FLOWS);
  if (machine.conntrack !== undefined) {
    result.conntrack = machine.conntrack;
    result.translations = translations(machine.conntrack + (machine.conntrack6 ?? ''));
  } else if (machine.conntrackTranslated !== undefined) result.translations = translations(machine.conntrackTranslated);
  if (opts.rules6File !== undefined) {
    const save6 = machine.finalSave6 ?? machine.bootSave6 ?? '';
    result.save6 = save6;
    // With the final counters, as the IPv4 rule set, loaded when first read.
    const file6 = opts.rules6File;
    if (save6)
      lazyProperty(result, 'ruleset6', () => {
        try {
          return loadRuleset(save6, file6, {
            family: Family.V6,
            restoreCounters: true,
            guestSave: true,
            ...(hostIpsets ? { ipsets: hostIpsets } : {}),
            ...hostPorts,
          });
        } catch {
          // A fake guest's save text may not load.
          return undefined;
        }
      });
    if (machine.conntrack6 !== undefined) result.conntrack6 = machine.conntrack6;
  }
  if (machine.conntrackExpect !== undefined) result.conntrackExpect = machine.conntrackExpect;
  if (machine.ipsets !== undefined) result.ipsets = machine.ipsets;
  if (machine.nfacct !== undefined) result.nfacct = machine.nfacct;
  if (t?.oops) result.oops = { message: t.message, frameNo: t.frameNo, reason: t.reason };
  return result;
}
