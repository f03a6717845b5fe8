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
 * src/netfilter/rules/texts.ts (from the booted rule set, loaded by the rule
 * loader).
 *
 * @example
 * const r = await replay({ rulesFile: 'rules.v4', machine: loadMachineFile('m.yaml'), captures: ['a.pcapng'], dropped: 'dropped.pcapng' });
 * console.log(r.fates, r.drops.sites, r.save);
 */
import { translations, type Translation } from './report/translations.js';
import { Family } from './packet/inet-addr.js';
import { existsSync } from 'node:fs';
import { openCaptures, openCaptureWriter, type CaptureDamage, type CaptureWriter } from './capture/index.js';
import { ConetDaemon, restoreDestination, type SourceFrame } from './conet/daemon.js';
import { fileBlockDevice, memoryBlockDevice } from './machine/cobd.js';
import type { GuestDeps } from './machine/guest.js';
import { Machine, type MachineStats } from './machine/machine.js';
import type { MachineSpec } from './machine/spec.js';
import { FRAME_OUTPUT, FRAME_TRUNCATED, type FateMsg } from './machine/passage/index.js';
import { FateKind, type DropSite } from './netfilter/fate.js';
import type { Ruleset } from './netfilter/rules/model.js';
import { loadRuleset } from './netfilter/rules/restore.js';
import { saveRuleset } from './netfilter/rules/save.js';
import { ruleTextAt } from './netfilter/rules/texts.js';
import { GuestStack } from './net/ipv4/stack.js';
import { Flow, frameIpLength, readFrameFlow } from './packet/flow.js';
import { FlowTable, type DroppedFlow } from './report/flows.js';
import { splitCapturesFor, type SplitCapture, type SplitFile } from './report/split-captures.js';

export { ConservationError, restoreDestination } from './conet/daemon.js';
export { FlowTable, FLOW_TABLE_CAP, type DroppedFlow } from './report/flows.js';

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

export interface ReplayResult {
  /** The rule set with the kernel's final counters. */
  ruleset: Ruleset;
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
  /** Packets the guest generated (REJECT), whatever became of them. */
  generated: number;
  framesIn: number;
  console: string[];
  stats: MachineStats;
  oops?: { message: string; frameNo: number; reason: string };
  damage: CaptureDamage[];
  /** The connection tracking table at the end (`conntrack -L`, sorted), when the rules needed tracking. */
  conntrack?: string;
  /** The connections of that table that NAT translated: original and translated tuple. */
  translations?: Translation[];
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

/** The guest's boot-time iptables-save text, loaded; undefined when there is none or it does not load (a fake guest's). */
function loadBooted(save: string | undefined, file: string): Ruleset | undefined {
  if (!save) return undefined;
  try {
    return loadRuleset(save, file);
  } catch {
    return undefined;
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
  const split = splitCapturesFor(opts);
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
  // The rule set as booted (the guest's iptables-save text, loaded again when a drop first needs a rule's text).
  let bootSave: string | undefined;
  let booted: Ruleset | null | undefined;
  let accepted: CaptureWriter | undefined;
  let dropped: CaptureWriter | undefined;
  const fmt = opts.outFormat ? { format: opts.outFormat } : {};

  const siteOf = (site: DropSite): { count: DropSiteCount; comment: string; split?: SplitCapture } => {
    booted ??= loadBooted(bootSave, opts.rulesFile) ?? null;
    const text = booted ? ruleTextAt(booted, site.table, site.chain, site.rule) : undefined;
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
    const bytes = data ? frameIpLength(data) : 0;
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
    if (readFrameFlow(data, flow)) flows.add(flow);
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
    bootSave = machine.bootSave;
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
  if (machine.conntrack !== undefined) {
    result.conntrack = machine.conntrack;
    result.translations = translations(machine.conntrack);
  }
  if (t?.oops) result.oops = { message: t.message, frameNo: t.frameNo, reason: t.reason };
  return result;
}
