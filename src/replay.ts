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
 * @example
 * const r = await replay({ rulesFile: 'rules.v4', machine: loadMachineFile('m.yaml'), captures: ['a.pcapng'], dropped: 'dropped.pcapng' });
 * console.log(r.fates, r.drops.sites, r.save);
 */
import { Family } from './packet/inet-addr.js';
import { existsSync, mkdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { openCaptures, openCaptureWriter, type CaptureDamage, type CaptureWriter } from './capture/index.js';
import { ConetDaemon, etherPayload, type SourceFrame } from './conet/daemon.js';
import { fileBlockDevice, memoryBlockDevice } from './machine/cobd.js';
import type { GuestDeps } from './machine/guest.js';
import { Machine, type MachineStats } from './machine/machine.js';
import type { MachineSpec } from './machine/spec.js';
import { FRAME_OUTPUT, FRAME_TRUNCATED, type FateMsg } from './machine/passage/index.js';
import { FateKind, type DropSite } from './netfilter/fate.js';
import type { Ruleset } from './netfilter/rules/model.js';
import { loadRuleset } from './netfilter/rules/restore.js';
import { saveRuleset } from './netfilter/rules/save.js';
import { GuestStack } from './net/ipv4/stack.js';
import { SplitCaptures, type SplitCapture, type SplitFile } from './report/split-captures.js';
import { formatIPv4, readIPv4 } from './packet/addr.js';

export { ConservationError } from './conet/daemon.js';

export interface ReplayOptions {
  rulesFile: string;
  /** The rule file's text, when it is not read from `rulesFile` (which then only names it). */
  rulesText?: string;
  machine: MachineSpec;
  captures: string[];
  /** Output capture for the frames that got through (Forwarded, Delivered, Sent, Generated). */
  accepted?: string;
  /** Output capture for dropped frames, each with a comment naming why. */
  dropped?: string;
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
  onProgress?: (framesDone: number) => void;
  /** What the guest runs (the real rule loader and stack by default; tests pass fakes). */
  guest?: GuestDeps;
  /** Passage page size in bytes (64 KiB by default). */
  pageSize?: number;
  /** Frame number ranges [first, last] to trace: each rule, return and policy they meet is logged on the console as `TRACE:` lines. */
  trace?: ReadonlyArray<readonly [number, number]>;
}

export type FateName = 'forwarded' | 'delivered' | 'sent' | 'droppedByRule' | 'droppedByPolicy' | 'droppedByStack' | 'generated' | 'generatedDropped' | 'bridged' | 'failPolicy' | 'outbound';
/** Fate names in FateKind order (kind k is FATE_NAMES[k - 1]). */
const FATE_NAMES: readonly FateName[] = ['forwarded', 'delivered', 'sent', 'droppedByRule', 'droppedByPolicy', 'droppedByStack', 'generated', 'generatedDropped', 'bridged', 'failPolicy', 'outbound'];

export interface DropSiteCount {
  table: string;
  chain: string;
  /** 1-based rule number; 0 for the chain's policy. */
  rule: number;
  /** The rule as iptables-save prints it (or `-P CHAIN POLICY`). */
  text?: string;
  count: number;
  /** IP bytes (total length), as the kernel's counters count them. */
  bytes: number;
}

export interface DropReasonCount {
  reason: string;
  count: number;
  bytes: number;
}

export interface DroppedFlow {
  src: string;
  dst: string;
  proto: number;
  /** Destination port for TCP, UDP, SCTP, DCCP, UDP-Lite; ICMP type for ICMP; else 0. */
  dport: number;
  count: number;
}

export interface ReplayResult {
  /** The rule set with the kernel's final counters. */
  ruleset: Ruleset;
  /** iptables-save -c after the run. */
  save: string;
  /** Fates by kind. */
  fates: Record<FateName, number>;
  drops: { sites: DropSiteCount[]; reasons: DropReasonCount[] };
  /**
   * Top dropped flows (at most 20), most dropped first. Flows are counted
   * in a table of at most FLOW_TABLE_CAP (65,536) flows, so that memory
   * stays flat however many flows a capture has: when it is full, the
   * flows with the fewest drops (at or below the median) are forgotten. A
   * count is exact unless its flow was forgotten earlier (then it is a lower
   * bound); `flowsForgotten` says how many flows were.
   */
  flows: DroppedFlow[];
  flowsForgotten: number;
  /** Packets the guest generated (REJECT), whatever became of them. */
  generated: number;
  framesIn: number;
  console: string[];
  stats: MachineStats;
  oops?: { message: string; frameNo: number; reason: string };
  damage: CaptureDamage[];
  /** The connection tracking table at the end (`conntrack -L`, sorted), when the rules needed tracking. */
  conntrack?: string;
  /** With `splitBy`: the captures written, one per cause, in the order their first packet came. */
  split?: SplitFile[];
}

/** The guest's software: cofw's rule loader and IPv4 stack. */
export const linuxGuest: GuestDeps = {
  loadRuleset: (text, file) => loadRuleset(text, file),
  createStack: (opts, rs) => new GuestStack(opts, rs),
  saveRuleset: (rs, opts) => saveRuleset(rs, opts),
};

const TOP_FLOWS = 20;
/** Most flows the dropped-flow table holds (see ReplayResult.flows). */
export const FLOW_TABLE_CAP = 65_536;

/**
 * Dropped flows (source, destination, protocol, destination port) counted
 * in flat typed arrays: open addressing, keys as numbers, no object or
 * string per packet. Bounded: at `cap` flows, those with counts at or
 * below the median are forgotten.
 */
export class FlowTable {
  private slots: number;
  private keys: Uint32Array;
  private counts: Float64Array;
  size = 0;
  forgotten = 0;

  constructor(private readonly cap = FLOW_TABLE_CAP) {
    this.slots = 1 << Math.ceil(Math.log2(cap * 2));
    this.keys = new Uint32Array(this.slots * 3);
    this.counts = new Float64Array(this.slots);
  }

  private static hash(src: number, dst: number, pd: number): number {
    let h = Math.imul(src ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ dst ^ (h >>> 13), 0xc2b2ae35);
    h = Math.imul(h ^ pd ^ (h >>> 16), 0x27d4eb2f);
    return (h ^ (h >>> 15)) >>> 0;
  }

  /** Counts one drop of the flow; `pd` is protocol << 16 | port. */
  add(src: number, dst: number, pd: number, n = 1): void {
    const mask = this.slots - 1;
    const keys = this.keys;
    for (let i = FlowTable.hash(src, dst, pd) & mask; ; i = (i + 1) & mask) {
      const c = this.counts[i]!;
      if (c === 0) {
        if (this.size >= this.cap) {
          this.prune();
          this.add(src, dst, pd, n);
          return;
        }
        keys[i * 3] = src;
        keys[i * 3 + 1] = dst;
        keys[i * 3 + 2] = pd;
        this.counts[i] = n;
        this.size++;
        return;
      }
      if (keys[i * 3] === src && keys[i * 3 + 1] === dst && keys[i * 3 + 2] === pd) {
        this.counts[i] = c + n;
        return;
      }
    }
  }

  /** Forgets the flows with counts at or below the median, keeping the others with their counts. */
  private prune(): void {
    const live: number[] = [];
    for (let i = 0; i < this.slots; i++) if (this.counts[i]! > 0) live.push(this.counts[i]!);
    live.sort((a, b) => a - b);
    const median = live[live.length >> 1] ?? 0;
    const keys = this.keys;
    const counts = this.counts;
    this.keys = new Uint32Array(this.slots * 3);
    this.counts = new Float64Array(this.slots);
    const before = this.size;
    this.size = 0;
    for (let i = 0; i < counts.length; i++) {
      const c = counts[i]!;
      if (c > median) this.add(keys[i * 3]!, keys[i * 3 + 1]!, keys[i * 3 + 2]!, c);
    }
    this.forgotten += before - this.size;
  }

  /** The `n` flows with the most drops, most first (ties: lower source, destination, protocol, port first). */
  top(n: number): DroppedFlow[] {
    const k = this.keys;
    const c = this.counts;
    const before = (a: number, b: number): boolean =>
      c[a]! > c[b]! || (c[a] === c[b] && (k[a * 3]! - k[b * 3]! || k[a * 3 + 1]! - k[b * 3 + 1]! || k[a * 3 + 2]! - k[b * 3 + 2]!) < 0);
    // Insertion into a short sorted list: one pass, no sort of the whole table.
    const best: number[] = [];
    for (let i = 0; i < this.slots; i++) {
      if (c[i]! === 0) continue;
      if (best.length === n && !before(i, best[n - 1]!)) continue;
      let j = best.length < n ? best.length : n - 1;
      while (j > 0 && before(i, best[j - 1]!)) {
        best[j] = best[j - 1]!;
        j--;
      }
      best[j] = i;
    }
    return best.map((i) => ({ src: formatIPv4(k[i * 3]!), dst: formatIPv4(k[i * 3 + 1]!), proto: k[i * 3 + 2]! >>> 16, dport: k[i * 3 + 2]! & 0xffff, count: c[i]! }));
  }
}

/** Index of rule texts by table, chain and number, from iptables-save text. */
function ruleIndex(save: string | undefined): Map<string, string> {
  const idx = new Map<string, string>();
  if (!save) return idx;
  let table = '';
  const n = new Map<string, number>();
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) {
      table = line.slice(1).trim();
      n.clear();
    } else if (line.startsWith('-A ')) {
      const chain = line.slice(3).split(' ', 1)[0]!;
      const k = (n.get(chain) ?? 0) + 1;
      n.set(chain, k);
      idx.set(`${table}\0${chain}\0${k}`, line);
    } else if (line.startsWith(':')) {
      const [chain, policy] = line.slice(1).split(' ');
      if (chain && policy && policy !== '-') idx.set(`${table}\0${chain}\0${0}`, `-P ${chain} ${policy}`);
    }
  }
  return idx;
}

/** IP total length (what counters count) of an Ethernet frame, else its length. */
function ipBytes(frame: Uint8Array): number {
  const { off, type } = etherPayload(frame);
  if (type === 0x0800 && frame.length >= off + 4) return (frame[off + 2]! << 8) | frame[off + 3]!;
  return frame.length;
}

/** Counts the dropped frame's flow, if it is IPv4. */
function countFlow(flows: FlowTable, frame: Uint8Array): void {
  const { off, type } = etherPayload(frame);
  if (type !== 0x0800 || frame.length < off + 20) return;
  const ihl = (frame[off]! & 15) * 4;
  const proto = frame[off + 9]!;
  const fragoff = ((frame[off + 6]! & 0x1f) << 8) | frame[off + 7]!;
  const l4 = off + ihl;
  let dport = 0;
  if (fragoff === 0 && frame.length >= l4 + 4) {
    if (proto === 6 || proto === 17 || proto === 132 || proto === 33 || proto === 136) dport = (frame[l4 + 2]! << 8) | frame[l4 + 3]!;
    else if (proto === 1) dport = frame[l4]!;
  }
  flows.add(readIPv4(frame, off + 12), readIPv4(frame, off + 16), (proto << 16) | dport);
}

/** The split captures `opts` ask for (folder created, format chosen), or undefined. */
function splitCaptures(opts: ReplayOptions): SplitCaptures | undefined {
  if (!opts.splitBy) return undefined;
  if (opts.splitBy !== 'rule') throw new Error(`splitBy: ${String(opts.splitBy)}: the only way to split is 'rule'`);
  if (!opts.dropped && !opts.splitDir) throw new Error('splitBy: the split captures go next to `dropped` or into `splitDir`; give one of them');
  const dir = opts.splitDir ?? dirname(opts.dropped!);
  if (opts.splitDir) mkdirSync(dir, { recursive: true });
  const stem = opts.dropped ? basename(opts.dropped).replace(/(\.(pcapng|pcap|cap|gz))+$/i, '') || 'dropped' : 'dropped';
  const format = opts.outFormat ?? (opts.dropped && !/\.pcapng$/i.test(opts.dropped) ? 'pcap' : 'pcapng');
  return new SplitCaptures({ dir, stem, format });
}

/**
 * A Linux cooked capture (SLL, SLL2) keeps the packet type the receiving
 * kernel gave a frame but not its link-layer destination, which the reader
 * leaves zero. The conet bridge hands the guest an Ethernet frame whose
 * destination says the same as the packet type, since the guest's stack
 * (and `-m pkttype`, LOG's MAC=) reads it from there: broadcast
 * ff:ff:ff:ff:ff:ff, IPv4 multicast 01:00:5e plus the group's low 23 bits
 * (IPv6 33:33 plus its low 32), to this host the receiving interface's
 * MAC. Other types (another host's, outgoing) and frames whose destination
 * is not zero are left as they are.
 */
export function restoreDestination(frame: Uint8Array, pktType: number, ifMac: Uint8Array | undefined): void {
  if (frame.length < 14 || frame[0] || frame[1] || frame[2] || frame[3] || frame[4] || frame[5]) return;
  if (pktType === 0) {
    if (ifMac && ifMac.length === 6) frame.set(ifMac, 0);
  } else if (pktType === 1) {
    frame.fill(0xff, 0, 6);
  } else if (pktType === 2) {
    const { off, type } = etherPayload(frame);
    if (type === 0x0800 && frame.length >= off + 20) frame.set([0x01, 0x00, 0x5e, frame[off + 17]! & 0x7f, frame[off + 18]!, frame[off + 19]!], 0);
    else if (type === 0x86dd && frame.length >= off + 40) frame.set([0x33, 0x33, frame[off + 36]!, frame[off + 37]!, frame[off + 38]!, frame[off + 39]!], 0);
    else frame.set([0x01, 0x00, 0x5e, 0, 0, 0], 0);
  }
}

/**
 * Replays captures through the rule file on the machine. Throws
 * RuleFileError(s) when the guest's init refuses the rule file (nothing is
 * replayed then), CaptureError when a capture cannot be read at all, and
 * ConservationError if the accounting does not add up.
 */
export async function replay(opts: ReplayOptions): Promise<ReplayResult> {
  if (opts.rulesText === undefined && !existsSync(opts.rulesFile)) {
    throw new Error(`${opts.rulesFile}: rule file not found; give the path of an iptables-save file`);
  }
  const policy = opts.machine.failPolicy;
  const devName = (unit: number): string | undefined => opts.machine.devices.find((d) => d.unit === unit)?.name;
  const macOf = (unit: number): Uint8Array | undefined => opts.machine.devices.find((d) => d.unit === unit)?.mac;
  const counts = new Array<number>(FATE_NAMES.length + 1).fill(0);
  // Per drop site (the host keeps one DropSite object per site the guest defined), per reason.
  const sites = new Map<DropSite, { count: DropSiteCount; comment: string; split?: SplitCapture }>();
  const reasons = new Map<string, { count: DropReasonCount; comment: string; split?: SplitCapture }>();
  const split = splitCaptures(opts);
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
  let rules = new Map<string, string>();
  let accepted: CaptureWriter | undefined;
  let dropped: CaptureWriter | undefined;
  const fmt = opts.outFormat ? { format: opts.outFormat } : {};

  const siteOf = (site: DropSite): { count: DropSiteCount; comment: string; split?: SplitCapture } => {
    const text = rules.get(`${site.table}\0${site.chain}\0${site.rule}`);
    const count: DropSiteCount = { table: site.table, chain: site.chain, rule: site.rule, count: 0, bytes: 0, ...(text ? { text } : {}) };
    const comment = site.rule === 0 ? `${site.table}/${site.chain} policy${text ? `: ${text}` : ''}` : `${site.table}/${site.chain} rule ${site.rule}${text ? `: ${text}` : ''}`;
    const e = { count, comment };
    sites.set(site, e);
    return e;
  };
  const reasonOf = (reason: string, comment: string): { count: DropReasonCount; comment: string; split?: SplitCapture } => {
    const e = { count: { reason, count: 0, bytes: 0 }, comment };
    reasons.set(reason, e);
    return e;
  };

  const onOutcome = (f: FateMsg, frame: SourceFrame | undefined, unit: number, tsNs: bigint): void => {
    const kind = f.kind;
    counts[kind] = counts[kind]! + 1;
    const original = frame?.data;
    const pass = kind === FateKind.Forwarded || kind === FateKind.Sent || kind === FateKind.Generated || kind === FateKind.Delivered || (kind === FateKind.FailPolicy && policy === 'open');
    if (pass) {
      if (!accepted) return;
      const data = f.frame ?? original;
      if (!data) return;
      const out = f.unit >= 0;
      const ifName = out ? devName(f.unit) : frame ? devName(unit) : undefined;
      const w: Parameters<CaptureWriter['write']>[0] = { tsNs, data, direction: out ? 'out' : 'in' };
      if (ifName) w.ifName = ifName;
      if (kind === FateKind.FailPolicy) w.comment = `fail policy (open): ${f.reason ?? ''}`;
      else if (kind === FateKind.Generated) w.comment = `generated by netfilter for frame ${f.frameNo}${f.frameNo === lastDropNo ? ` (${lastDropComment})` : ''}`;
      else if (data === original && frame && frame.origLen > data.length) w.origLen = frame.origLen;
      accepted.write(w);
      return;
    }
    if (kind === FateKind.Bridged || kind === FateKind.Outbound) return;
    // A drop: by rule, policy, the stack, the fail policy, or of a generated packet.
    const data = original ?? f.frame;
    const bytes = data ? ipBytes(data) : 0;
    let comment: string;
    let to: SplitCapture | undefined;
    if (f.site) {
      const e = sites.get(f.site) ?? siteOf(f.site);
      e.count.count++;
      e.count.bytes += bytes;
      comment = e.comment;
      if (kind === FateKind.DroppedByRule) {
        lastDropNo = f.frameNo;
        lastDropComment = comment;
      }
      if (split && data) {
        const site = f.site;
        to = e.split ??= splitFile(`${site.table}-${site.chain}-${site.rule === 0 ? 'policy' : `rule${site.rule}`}`, e.comment);
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
      e.count.count++;
      e.count.bytes += bytes;
      comment = e.comment;
      if (split && data) to = e.split ??= splitFile(kind === FateKind.FailPolicy ? `fail-${policy}-${f.reason ?? 'guest-stopped'}` : `stack-${reason}`, e.comment);
    }
    if (!data) return;
    countFlow(flows, data);
    if (dropped || to) {
      if (kind === FateKind.GeneratedDropped) comment = `generated for frame ${f.frameNo}, dropped: ${comment}`;
      const w: Parameters<CaptureWriter['write']>[0] = { tsNs, data, comment, direction: 'in' };
      const ifName = frame ? devName(unit) : undefined;
      if (ifName) w.ifName = ifName;
      if (data === original && frame && frame.origLen > data.length) w.origLen = frame.origLen;
      dropped?.write(w);
      to?.write(w);
    }
  };

  const daemon = new ConetDaemon(opts.machine, onOutcome);
  const disk = opts.rulesText !== undefined ? memoryBlockDevice(opts.rulesFile, new TextEncoder().encode(opts.rulesText)) : fileBlockDevice(opts.rulesFile);
  const machine = new Machine({ spec: opts.machine, rulesFile: opts.rulesFile, disks: [disk], guest: opts.guest ?? linuxGuest, onFate: (f) => daemon.fate(f), ...(opts.pageSize ? { pageSize: opts.pageSize } : {}), ...(opts.trace ? { trace: opts.trace } : {}) });

  let splitDone: SplitFile[] | undefined;
  const caps = openCaptures(opts.captures);
  const it = caps.frames[Symbol.asyncIterator]();
  let failed = false;
  const checkGuest = (): void => {
    if (!failed && !machine.running) {
      failed = true;
      daemon.failInFlight(policy, machine.termination?.oops === false ? 'guest-stopped' : 'guest-oops');
    }
  };
  try {
    let next = await it.next();
    machine.boot(next.done ? 0n : next.value.tsNs);
    rules = ruleIndex(machine.bootSave);
    if (opts.accepted) accepted = openCaptureWriter(opts.accepted, fmt);
    if (opts.dropped) dropped = openCaptureWriter(opts.dropped, fmt);
    checkGuest();
    let done = 0;
    for (; !next.done; next = await it.next()) {
      const f = next.value;
      if (failed) daemon.failNew(f, policy, machine.termination?.oops === false ? 'guest-stopped' : 'guest-oops');
      else {
        const frameNo = daemon.submit(f);
        if (f.direction === 'out' && !daemon.output) {
          // A packet seen leaving the capture point that the firewall did not send: its inbound copy is replayed.
          daemon.settle(frameNo, f.tsNs, FateKind.Outbound, 'outbound copy (pcapng direction out): not replayed');
          done++;
          continue;
        }
        if (f.pktType !== undefined) restoreDestination(f.data, f.pktType, macOf(daemon.unit));
        if (!machine.deliverFrame(daemon.unit, frameNo, f.tsNs, (daemon.output ? FRAME_OUTPUT : 0) | (f.truncated > 0 ? FRAME_TRUNCATED : 0), f.data)) checkGuest();
      }
      done++;
      if (opts.onProgress && done % 1024 === 0) opts.onProgress(done);
    }
    machine.shutdown();
    checkGuest();
    if (opts.onProgress) opts.onProgress(done);
    daemon.assertConservation();
  } finally {
    await it.return?.();
    await accepted?.close();
    await dropped?.close();
    splitDone = split?.close();
  }

  const save = machine.finalSave ?? machine.bootSave ?? '';
  let ruleset: Ruleset;
  try {
    ruleset = save ? loadRuleset(save, opts.rulesFile, { restoreCounters: true }) : { family: Family.V4, tables: new Map(), file: opts.rulesFile };
  } catch {
    // The guest's own save text should always load; a fake guest's may not.
    ruleset = { family: Family.V4, tables: new Map(), file: opts.rulesFile };
  }
  const console = machine.console.slice();
  if (machine.consoleDropped) console.push(`cocon: ${machine.consoleDropped} further console lines not kept`);
  const t = machine.termination;
  const result: ReplayResult = {
    ruleset,
    save,
    fates: Object.fromEntries(FATE_NAMES.map((n, i) => [n, counts[i + 1]!])) as Record<FateName, number>,
    drops: {
      sites: [...sites.values()].map((e) => e.count).sort((a, b) => b.count - a.count || a.table.localeCompare(b.table) || a.chain.localeCompare(b.chain) || a.rule - b.rule),
      reasons: [...reasons.values()].map((e) => e.count).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    },
    flows: flows.top(TOP_FLOWS),
    flowsForgotten: flows.forgotten,
    generated: daemon.generated,
    framesIn: daemon.framesIn,
    console,
    stats: { ...machine.stats },
    damage: caps.damage,
  };
  if (splitDone) result.split = splitDone;
  if (machine.conntrack !== undefined) result.conntrack = machine.conntrack;
  if (t?.oops) result.oops = { message: t.message, frameNo: t.frameNo, reason: t.reason };
  return result;
}
