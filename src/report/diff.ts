/**
 * `cofw diff`: what changes if the new rule files replace the old ones, on
 * real traffic. The captures are replayed twice, through each rule set;
 * every captured frame's fate is compared, and the frames whose fate
 * differs are grouped by connection.
 *
 * Memory: the first replay's fates are written as one 8-byte record per
 * frame (fate, what decided it) to a temporary file indexed by frame
 * number (FrameFateLog: pages of it are cached, so fates that come in
 * order cost a sequential write and read), and the second replay reads
 * them back as its own fates come. Neither replay holds more than its
 * frames in flight; the diff holds the connections that differ (at most
 * DIFF_CONNECTION_CAP, then counted) and the names of what decided.
 *
 * @example
 * const log = new FrameFateLog();
 * // first replay: log.set(frameNo, fateCode, deciderId)
 * // second replay: const old = log.get(frameNo) ...
 * log.close();
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Family } from '../packet/inet-addr.js';
import type { Flow } from '../packet/flow.js';
import type { Rule, Ruleset } from '../netfilter/rules/model.js';
import { ruleLine } from '../netfilter/rules/save.js';
import { FRAME_FATES, type FrameFate } from './frame-fates.js';
import { flowText } from './expect.js';
import { protocolName } from '../netfilter/names.js';

const REC = 8;
const PAGE_RECS = 8192;
const PAGE_BYTES = REC * PAGE_RECS;
const CACHED_PAGES = 16;

/**
 * One record per frame number (1-based): a fate code (1..255, 0 = none
 * yet) and a 32-bit id, in a temporary file (removed by `close`), with a
 * small cache of pages. Memory stays at CACHED_PAGES pages however many
 * frames there are.
 */
export class FrameFateLog {
  private readonly dir: string;
  private readonly fd: number;
  private readonly pages = new Map<number, { buf: Buffer; dirty: boolean }>();
  /** Bytes the file holds (beyond: zeros). */
  private fileBytes = 0;

  constructor(tmp = tmpdir()) {
    this.dir = mkdtempSync(join(tmp, 'cofw-diff-'));
    this.fd = openSync(join(this.dir, 'fates'), 'w+');
  }

  /** The highest page used so far: pages from one before it on are cached; older ones are read and written in place. */
  private front = 0;
  private readonly one = Buffer.alloc(REC);

  /** Page `n` from the cache (loading it, writing back the least recently used one), or undefined for an old page not cached. */
  private page(n: number): Buffer | undefined {
    let p = this.pages.get(n);
    if (p) {
      // Most recently used last.
      this.pages.delete(n);
      this.pages.set(n, p);
      return p.buf;
    }
    if (n < this.front - 1) return undefined;
    if (n > this.front) this.front = n;
    if (this.pages.size >= CACHED_PAGES) {
      const [oldN, old] = this.pages.entries().next().value as [number, { buf: Buffer; dirty: boolean }];
      this.pages.delete(oldN);
      if (old.dirty) this.writeAt(old.buf, PAGE_BYTES, oldN * PAGE_BYTES);
    }
    const buf = Buffer.alloc(PAGE_BYTES);
    this.readAt(buf, PAGE_BYTES, n * PAGE_BYTES);
    p = { buf, dirty: false };
    this.pages.set(n, p);
    return buf;
  }

  private writeAt(buf: Buffer, len: number, pos: number): void {
    // What lies before `pos` and was never written reads as zeros (a hole).
    let done = 0;
    while (done < len) done += writeSync(this.fd, buf, done, len - done, pos + done);
    if (pos + len > this.fileBytes) this.fileBytes = pos + len;
  }

  /** Reads what the file holds at `pos` (zeros beyond its end). */
  private readAt(buf: Buffer, len: number, pos: number): void {
    buf.fill(0, 0, len);
    let got = 0;
    while (got < len && pos + got < this.fileBytes) {
      const r = readSync(this.fd, buf, got, len - got, pos + got);
      if (r <= 0) break;
      got += r;
    }
  }

  set(frameNo: number, code: number, id: number): void {
    const i = frameNo - 1;
    const n = Math.floor(i / PAGE_RECS);
    const buf = this.page(n);
    const o = (i % PAGE_RECS) * REC;
    if (!buf) {
      // A straggler far behind: its 8 bytes, in place.
      this.one.fill(0);
      this.one[0] = code;
      this.one.writeUInt32LE(id >>> 0, 4);
      this.writeAt(this.one, REC, i * REC);
      return;
    }
    buf[o] = code;
    buf.writeUInt32LE(id >>> 0, o + 4);
    this.pages.get(n)!.dirty = true;
  }

  /** The record of `frameNo`: its code (0 when never set) and id. */
  get(frameNo: number): { code: number; id: number } {
    const i = frameNo - 1;
    const buf = this.page(Math.floor(i / PAGE_RECS));
    if (!buf) {
      this.readAt(this.one, REC, i * REC);
      return { code: this.one[0]!, id: this.one.readUInt32LE(4) };
    }
    const o = (i % PAGE_RECS) * REC;
    return { code: buf[o]!, id: buf.readUInt32LE(o + 4) };
  }

  /** Removes the file. */
  close(): void {
    try {
      closeSync(this.fd);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** Strings by number and numbers by string: what decided fates, named once. */
export class Interner {
  readonly names: string[] = [''];
  private readonly ids = new Map<string, number>([['', 0]]);
  id(s: string): number {
    let n = this.ids.get(s);
    if (n === undefined) {
      n = this.names.length;
      this.names.push(s);
      this.ids.set(s, n);
    }
    return n;
  }
}

export const fateCode = (f: FrameFate): number => FRAME_FATES.indexOf(f) + 1;
export const fateOf = (code: number): FrameFate | undefined => FRAME_FATES[code - 1];

/** One side of a change: the fate, what decided it, and that rule's text. */
export interface DiffSide {
  fate: FrameFate;
  decider: string;
  rule?: string;
}

/** Frames of one connection whose fate changed the same way. */
export interface DiffChange {
  old: DiffSide;
  new: DiffSide;
  packets: number;
  bytes: number;
  /** The first frames (up to five), by frame number. */
  frames: number[];
}

/** A connection (both directions) with frames whose fate differs. */
export interface DiffConnection {
  /** Protocol name (`tcp`, `udp`, `icmp`, `ipv6-icmp`, a number). */
  proto: string;
  /** As its first differing frame went: source, destination, ports (0 without). */
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** `tcp 203.0.113.5:40000 -> 198.51.100.1:22`. */
  flow: string;
  /** Capture times of its first and last differing frame (ISO 8601, microseconds). */
  first: string;
  last: string;
  packets: number;
  bytes: number;
  changes: DiffChange[];
}

/** A rule only one side's replay hit. */
export interface OneSidedRule {
  side: 'old' | 'new';
  table: string;
  chain: string;
  rule: number;
  ipv6?: boolean;
  file: string;
  line: number;
  text: string;
  hits: number;
}

export interface DiffSummary {
  frames: number;
  differing: number;
  bytes: number;
  connections: number;
  /** Connections beyond DIFF_CONNECTION_CAP: counted in the totals, not listed. */
  connectionsNotListed: number;
  /** Frames by change of fate, most first. */
  byChange: Array<{ old: FrameFate; new: FrameFate; packets: number; bytes: number }>;
}

/** Most connections a diff lists (the totals count them all). */
export const DIFF_CONNECTION_CAP = 100_000;

const EXAMPLE_FRAMES = 5;

/** Nanoseconds since the epoch as ISO 8601 with microseconds. */
export function isoTime(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const us = Number((ns / 1000n) % 1000n);
  return new Date(ms).toISOString().replace(/Z$/, `${String(us).padStart(3, '0')}Z`);
}

interface ConnState {
  conn: DiffConnection;
  firstNs: bigint;
  lastNs: bigint;
  byChange: Map<string, DiffChange>;
}

/** Collects the frames whose fate differs into connections. */
export class DiffCollector {
  private readonly conns = new Map<string, ConnState>();
  private readonly changes = new Map<string, { old: FrameFate; new: FrameFate; packets: number; bytes: number }>();
  private notListed = new Set<string>();
  frames = 0;
  differing = 0;
  bytes = 0;

  /** A frame whose fate is the same on both sides. */
  same(): void {
    this.frames++;
  }

  /** A frame whose fate differs. `flow` is its flow (undefined when not IP); `ipLen` the bytes the counters count. */
  differ(frameNo: number, tsNs: bigint, flow: Flow | undefined, ipLen: number, old: DiffSide, now: DiffSide): void {
    this.frames++;
    this.differing++;
    this.bytes += ipLen;
    const ck = `${old.fate}>${now.fate}`;
    let c = this.changes.get(ck);
    if (!c) this.changes.set(ck, (c = { old: old.fate, new: now.fate, packets: 0, bytes: 0 }));
    c.packets++;
    c.bytes += ipLen;
    const key = flow ? connectionKey(flow) : 'not IP';
    let s = this.conns.get(key);
    if (!s) {
      if (this.conns.size >= DIFF_CONNECTION_CAP) {
        this.notListed.add(key);
        return;
      }
      const icmp = flow && flow.icmpType >= 0;
      const conn: DiffConnection = flow
        ? {
            proto: protocolName(flow.proto),
            src: flow.src.toString(),
            sport: icmp ? 0 : flow.sport,
            dst: flow.dst.toString(),
            dport: icmp ? 0 : flow.dport,
            flow: flowText(flow),
            first: '',
            last: '',
            packets: 0,
            bytes: 0,
            changes: [],
          }
        : { proto: '', src: '', sport: 0, dst: '', dport: 0, flow: 'not IP', first: '', last: '', packets: 0, bytes: 0, changes: [] };
      s = { conn, firstNs: tsNs, lastNs: tsNs, byChange: new Map() };
      this.conns.set(key, s);
    }
    s.conn.packets++;
    s.conn.bytes += ipLen;
    if (tsNs < s.firstNs) s.firstNs = tsNs;
    if (tsNs > s.lastNs) s.lastNs = tsNs;
    const k = `${old.fate}\0${old.decider}\0${now.fate}\0${now.decider}`;
    let ch = s.byChange.get(k);
    if (!ch) s.byChange.set(k, (ch = { old, new: now, packets: 0, bytes: 0, frames: [] }));
    ch.packets++;
    ch.bytes += ipLen;
    if (ch.frames.length < EXAMPLE_FRAMES) ch.frames.push(frameNo);
    else if (frameNo < ch.frames[EXAMPLE_FRAMES - 1]!) ch.frames[EXAMPLE_FRAMES - 1] = frameNo;
    if (ch.frames.length > 1) ch.frames.sort((a, b) => a - b);
  }

  /** The connections, by first differing frame's time, and the summary. */
  finish(): { summary: DiffSummary; connections: DiffConnection[] } {
    const states = [...this.conns.values()].sort((a, b) => (a.firstNs < b.firstNs ? -1 : a.firstNs > b.firstNs ? 1 : 0));
    const connections = states.map((s) => {
      s.conn.first = isoTime(s.firstNs);
      s.conn.last = isoTime(s.lastNs);
      s.conn.changes = [...s.byChange.values()].sort((a, b) => b.packets - a.packets || a.frames[0]! - b.frames[0]!);
      return s.conn;
    });
    return {
      summary: {
        frames: this.frames,
        differing: this.differing,
        bytes: this.bytes,
        connections: this.conns.size + this.notListed.size,
        connectionsNotListed: this.notListed.size,
        byChange: [...this.changes.values()].sort((a, b) => b.packets - a.packets),
      },
      connections,
    };
  }
}

/** A connection's key, the same for both directions: protocol, then the lower (address, port) end first. */
function connectionKey(f: Flow): string {
  const icmp = f.icmpType >= 0;
  const a = `${f.src.toString()}|${icmp ? 0 : f.sport}`;
  const b = `${f.dst.toString()}|${icmp ? 0 : f.dport}`;
  return `${f.proto}|${a < b ? `${a}|${b}` : `${b}|${a}`}`;
}

/**
 * The rules only one side hit: each rule of either side's rule sets
 * (after its replay, with counters) is matched with the same rule text in
 * the same table and chain of the other side (the nth copy with the nth
 * copy); a rule with packets on one side and none (or no such rule) on the
 * other is listed. `named` gives the rule files as loaded (for lines).
 */
export function oneSidedRules(
  old: { counted: Array<Ruleset | undefined>; named: Array<Ruleset | undefined> },
  now: { counted: Array<Ruleset | undefined>; named: Array<Ruleset | undefined> },
): OneSidedRule[] {
  interface Entry {
    table: string;
    chain: string;
    rule: number;
    ipv6: boolean;
    file: string;
    line: number;
    text: string;
    hits: number;
  }
  const index = (side: typeof old): Map<string, Entry> => {
    const out = new Map<string, Entry>();
    side.counted.forEach((rs, fam) => {
      if (!rs) return;
      const named = side.named[fam];
      for (const t of rs.tables.values()) {
        for (const c of t.chains.values()) {
          const seen = new Map<string, number>();
          c.rules.forEach((r: Rule, i) => {
            const text = ruleLine(c.name, r);
            const nth = (seen.get(text) ?? 0) + 1;
            seen.set(text, nth);
            const line = named?.tables.get(t.name)?.chains.get(c.name)?.rules[i]?.line ?? 0;
            out.set(`${fam}|${t.name}|${c.name}|${text}|${nth}`, {
              table: t.name,
              chain: c.name,
              rule: i + 1,
              ipv6: rs.family === Family.V6,
              file: named?.file ?? rs.file,
              line,
              text,
              hits: r.packets,
            });
          });
        }
      }
    });
    return out;
  };
  const a = index(old);
  const b = index(now);
  const out: OneSidedRule[] = [];
  const add = (side: 'old' | 'new', e: Entry): void => {
    out.push({ side, table: e.table, chain: e.chain, rule: e.rule, ...(e.ipv6 ? { ipv6: true } : {}), file: e.file, line: e.line, text: e.text, hits: e.hits });
  };
  for (const [k, e] of a) if (e.hits > 0 && (b.get(k)?.hits ?? 0) === 0) add('old', e);
  for (const [k, e] of b) if (e.hits > 0 && (a.get(k)?.hits ?? 0) === 0) add('new', e);
  return out;
}

/** The whole diff. */
export interface DiffResult {
  summary: DiffSummary;
  connections: DiffConnection[];
  rules: OneSidedRule[];
}

function sideText(s: DiffSide): string {
  return `${s.fate}${s.decider ? ` (${s.decider})` : ''}`;
}

/** The diff as text: the summary, the connections (the `top` with most packets), the rules one side hit. */
export function formatDiff(d: DiffResult, ctx: { old: string; new: string; top: number }): string {
  const out: string[] = [];
  const s = d.summary;
  out.push(`cofw diff: ${ctx.old} -> ${ctx.new}`);
  out.push(
    `  ${s.frames} frames replayed through each; ${s.differing} (${s.bytes} bytes) in ${s.connections} connection${s.connections === 1 ? '' : 's'} change fate`,
  );
  for (const c of s.byChange) out.push(`  ${String(c.packets).padStart(9)} ${String(c.bytes).padStart(11)}  ${c.old} -> ${c.new}`);
  if (d.connections.length) {
    const shown = [...d.connections].sort((a, b) => b.packets - a.packets || (a.first < b.first ? -1 : 1)).slice(0, ctx.top);
    shown.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
    out.push('');
    out.push(
      `Connections whose fate changes (${shown.length === d.connections.length ? d.connections.length : `the ${shown.length} with most packets of ${d.connections.length}`}${s.connectionsNotListed ? `; ${s.connectionsNotListed} more not listed` : ''})`,
    );
    for (const c of shown) {
      out.push(`  ${c.flow}  ${c.packets} packet${c.packets === 1 ? '' : 's'}, ${c.bytes} bytes, ${c.first} .. ${c.last}`);
      for (const ch of c.changes) {
        out.push(
          `    ${String(ch.packets).padStart(6)}  ${sideText(ch.old)} -> ${sideText(ch.new)}  frames ${ch.frames.join(',')}${ch.packets > ch.frames.length ? ',...' : ''}`,
        );
        if (ch.old.rule) out.push(`            old: ${ch.old.rule}`);
        if (ch.new.rule) out.push(`            new: ${ch.new.rule}`);
      }
    }
  }
  for (const side of ['old', 'new'] as const) {
    const rules = d.rules.filter((r) => r.side === side);
    if (!rules.length) continue;
    out.push('');
    out.push(`Rules only the ${side} rules' replay hit (${rules.length}; packets, file:line, rule)`);
    for (const r of rules)
      out.push(
        `  ${String(r.hits).padStart(9)}  ${`${r.file}:${r.line}`.padEnd(20)} ${`${r.ipv6 ? 'ip6:' : ''}${r.table}:${r.chain}:${r.rule}`.padEnd(22)} ${r.text}`,
      );
  }
  return out.join('\n') + '\n';
}
