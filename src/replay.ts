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
import { existsSync } from 'node:fs';
import { openCaptures, openCaptureWriter, type CaptureDamage, type CaptureWriter } from './capture/index.js';
import { ConetDaemon, etherPayload, type Outcome } from './conet/daemon.js';
import { fileBlockDevice, memoryBlockDevice } from './machine/cobd.js';
import type { GuestDeps } from './machine/guest.js';
import { Machine, type MachineStats } from './machine/machine.js';
import type { MachineSpec } from './machine/spec.js';
import { FateKind } from './netfilter/fate.js';
import type { Ruleset } from './netfilter/rules/model.js';
import { loadRuleset } from './netfilter/rules/restore.js';
import { saveRuleset } from './netfilter/rules/save.js';
import { GuestStack } from './netfilter/stack.js';
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
  onProgress?: (framesDone: number) => void;
  /** What the guest runs (the real rule loader and stack by default; tests pass fakes). */
  guest?: GuestDeps;
  /** Passage page size in bytes (64 KiB by default). */
  pageSize?: number;
}

export type FateName = 'forwarded' | 'delivered' | 'sent' | 'droppedByRule' | 'droppedByPolicy' | 'droppedByStack' | 'generated' | 'generatedDropped' | 'bridged' | 'failPolicy';
const FATE_NAMES: readonly FateName[] = ['forwarded', 'delivered', 'sent', 'droppedByRule', 'droppedByPolicy', 'droppedByStack', 'generated', 'generatedDropped', 'bridged', 'failPolicy'];

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
  /** Top dropped flows, most dropped first. */
  flows: DroppedFlow[];
  /** Packets the guest generated (REJECT), whatever became of them. */
  generated: number;
  framesIn: number;
  console: string[];
  stats: MachineStats;
  oops?: { message: string; frameNo: number; reason: string };
  damage: CaptureDamage[];
}

/** The guest's software: cofw's rule loader and IPv4 stack. */
export const linuxGuest: GuestDeps = {
  loadRuleset: (text, file) => loadRuleset(text, file),
  createStack: (opts, rs) => new GuestStack(opts, rs),
  saveRuleset: (rs, opts) => saveRuleset(rs, opts),
};

const TOP_FLOWS = 20;
const FLOW_LIMIT = 200_000;

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

function flowOf(frame: Uint8Array): Omit<DroppedFlow, 'count'> | undefined {
  const { off, type } = etherPayload(frame);
  if (type !== 0x0800 || frame.length < off + 20) return undefined;
  const ihl = (frame[off]! & 15) * 4;
  const proto = frame[off + 9]!;
  const fragoff = ((frame[off + 6]! & 0x1f) << 8) | frame[off + 7]!;
  const l4 = off + ihl;
  let dport = 0;
  if (fragoff === 0 && frame.length >= l4 + 4) {
    if (proto === 6 || proto === 17 || proto === 132 || proto === 33 || proto === 136) dport = (frame[l4 + 2]! << 8) | frame[l4 + 3]!;
    else if (proto === 1) dport = frame[l4]!;
  }
  return { src: formatIPv4(readIPv4(frame, off + 12)), dst: formatIPv4(readIPv4(frame, off + 16)), proto, dport };
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
  const counts = Object.fromEntries(FATE_NAMES.map((n) => [n, 0])) as Record<FateName, number>;
  const sites = new Map<string, DropSiteCount>();
  const reasons = new Map<string, DropReasonCount>();
  const flows = new Map<string, DroppedFlow>();
  let rules = new Map<string, string>();
  let accepted: CaptureWriter | undefined;
  let dropped: CaptureWriter | undefined;
  const fmt = opts.outFormat ? { format: opts.outFormat } : {};

  const onOutcome = (o: Outcome): void => {
    const f = o.fate;
    counts[FATE_NAMES[f.kind - 1]!]++;
    const original = o.frame?.data;
    const pass = f.kind === FateKind.Forwarded || f.kind === FateKind.Sent || f.kind === FateKind.Generated || f.kind === FateKind.Delivered || (f.kind === FateKind.FailPolicy && policy === 'open');
    if (pass) {
      if (!accepted) return;
      const data = f.frame ?? original;
      if (!data) return;
      const out = f.unit >= 0;
      const ifName = out ? devName(f.unit) : o.frame ? devName(o.frame.unit) : undefined;
      const w: Parameters<CaptureWriter['write']>[0] = { tsNs: o.tsNs, data, direction: out ? 'out' : 'in' };
      if (ifName) w.ifName = ifName;
      if (f.kind === FateKind.FailPolicy) w.comment = `fail policy (open): ${f.reason ?? ''}`;
      else if (f.kind === FateKind.Generated) w.comment = `generated by netfilter for frame ${f.frameNo}`;
      accepted.write(w);
      return;
    }
    if (f.kind === FateKind.Bridged) return;
    // A drop: by rule, policy, the stack, the fail policy, or of a generated packet.
    const data = original ?? f.frame;
    const bytes = data ? ipBytes(data) : 0;
    let comment: string;
    if (f.site) {
      const key = `${f.site.table}\0${f.site.chain}\0${f.site.rule}`;
      const text = rules.get(key);
      let s = sites.get(key);
      if (!s) {
        s = { table: f.site.table, chain: f.site.chain, rule: f.site.rule, count: 0, bytes: 0, ...(text ? { text } : {}) };
        sites.set(key, s);
      }
      s.count++;
      s.bytes += bytes;
      comment = f.site.rule === 0 ? `${f.site.table}/${f.site.chain} policy${text ? `: ${text}` : ''}` : `${f.site.table}/${f.site.chain} rule ${f.site.rule}${text ? `: ${text}` : ''}`;
      if (f.reason) comment += ` (${f.reason})`;
    } else {
      const reason = f.kind === FateKind.FailPolicy ? `fail policy (${policy}): ${f.reason ?? 'guest stopped'}` : (f.reason ?? 'dropped');
      let r = reasons.get(reason);
      if (!r) {
        r = { reason, count: 0, bytes: 0 };
        reasons.set(reason, r);
      }
      r.count++;
      r.bytes += bytes;
      comment = f.kind === FateKind.FailPolicy ? reason : `stack: ${reason}`;
    }
    if (f.kind === FateKind.GeneratedDropped) comment = `generated for frame ${f.frameNo}, dropped: ${comment}`;
    if (data) {
      const fl = flowOf(data);
      if (fl) {
        const k = `${fl.src} ${fl.dst} ${fl.proto} ${fl.dport}`;
        const e = flows.get(k);
        if (e) e.count++;
        else if (flows.size < FLOW_LIMIT) flows.set(k, { ...fl, count: 1 });
      }
      if (dropped) {
        const w: Parameters<CaptureWriter['write']>[0] = { tsNs: o.tsNs, data, comment, direction: 'in' };
        const ifName = o.frame ? devName(o.frame.unit) : undefined;
        if (ifName) w.ifName = ifName;
        dropped.write(w);
      }
    }
  };

  const daemon = new ConetDaemon(opts.machine, onOutcome);
  const disk = opts.rulesText !== undefined ? memoryBlockDevice(opts.rulesFile, new TextEncoder().encode(opts.rulesText)) : fileBlockDevice(opts.rulesFile);
  const machine = new Machine({ spec: opts.machine, rulesFile: opts.rulesFile, disks: [disk], guest: opts.guest ?? linuxGuest, onFate: (f) => daemon.fate(f), ...(opts.pageSize ? { pageSize: opts.pageSize } : {}) });

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
        const { unit, msg } = daemon.submit(f);
        machine.deliver(unit, msg);
        checkGuest();
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
  }

  const save = machine.finalSave ?? machine.bootSave ?? '';
  let ruleset: Ruleset;
  try {
    ruleset = save ? loadRuleset(save, opts.rulesFile, { restoreCounters: true }) : { tables: new Map(), file: opts.rulesFile };
  } catch {
    // The guest's own save text should always load; a fake guest's may not.
    ruleset = { tables: new Map(), file: opts.rulesFile };
  }
  const console = machine.console.slice();
  if (machine.consoleDropped) console.push(`cocon: ${machine.consoleDropped} further console lines not kept`);
  const t = machine.termination;
  const result: ReplayResult = {
    ruleset,
    save,
    fates: counts,
    drops: {
      sites: [...sites.values()].sort((a, b) => b.count - a.count || a.table.localeCompare(b.table) || a.chain.localeCompare(b.chain) || a.rule - b.rule),
      reasons: [...reasons.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    },
    flows: [...flows.values()].sort((a, b) => b.count - a.count).slice(0, TOP_FLOWS),
    generated: daemon.generated,
    framesIn: daemon.framesIn,
    console,
    stats: { ...machine.stats },
    damage: caps.damage,
  };
  if (t?.oops) result.oops = { message: t.message, frameNo: t.frameNo, reason: t.reason };
  return result;
}
