/**
 * Shadowed rules (`cofw check --shadowed`): rules that can never match
 * because earlier rules of the same chain catch every packet they would,
 * decided from the rules alone.
 *
 * A rule is read as a set of packets: a union of boxes, each box one set
 * per field (source and destination address, input and output interface,
 * protocol, source and destination port, the fragment flag, the
 * connection tracking state). The analysis understands `-s`, `-d` (with
 * masks that are prefixes, and `!`), `-i`, `-o` (with `+` wildcards and
 * `!`), `-p` (and `!`), `-f`, and the matches `tcp` and `udp` (`--sport`,
 * `--dport`, as nf_tables compares them: see nft-ports.ts), `multiport`
 * (`--sports`, `--dports`, `--ports`, `!`), `iprange` (`--src-range`,
 * `--dst-range`), `state` and `conntrack --ctstate`, and `comment` (which
 * matches everything). Any other match, or an option of those it does not
 * model (`--tcp-flags`, the other `conntrack` options, a mask that is not a
 * prefix), makes the rule "inexact": it is read as the larger set without
 * that condition, so it can be found shadowed (everything it could match
 * is caught earlier) but it never shadows a later rule.
 *
 * Only a rule whose target ends the packet's walk of the chain shadows
 * what comes after it: ACCEPT, DROP, REJECT, RETURN, a goto (`-g`), the
 * NAT targets (SNAT, DNAT, MASQUERADE, REDIRECT, NETMAP) and NFQUEUE; not
 * LOG, MARK, a jump to a user chain (which may return) or any other
 * target that lets the packet go on.
 *
 * @example
 * findShadowed(loadRuleset(text, 'rules.v4'));
 * // [{ table: 'filter', chain: 'INPUT', rule: 5, line: 12, text: '-A INPUT -p tcp ...', by: [{ rule: 2, ... }], redundant: true }]
 */
import { Family } from '../../packet/inet-addr.js';
import type { Rule, Ruleset } from './model.js';
import { INV_DSTIP, INV_FRAG, INV_PROTO, INV_SRCIP, INV_VIA_IN, INV_VIA_OUT } from './model.js';
import { ruleLine } from './save.js';

// -- sets of integers: sorted, disjoint, inclusive [lo, hi] intervals --------------------

type Iv = ReadonlyArray<readonly [bigint, bigint]>;

function ivAnd(a: Iv, b: Iv): Iv {
  const out: Array<[bigint, bigint]> = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const lo = a[i]![0] > b[j]![0] ? a[i]![0] : b[j]![0];
    const hi = a[i]![1] < b[j]![1] ? a[i]![1] : b[j]![1];
    if (lo <= hi) out.push([lo, hi]);
    if (a[i]![1] < b[j]![1]) i++;
    else j++;
  }
  return out;
}

function ivMinus(a: Iv, b: Iv): Iv {
  const out: Array<[bigint, bigint]> = [];
  let j = 0;
  for (const [lo0, hi] of a) {
    let lo = lo0;
    while (j < b.length && b[j]![1] < lo) j++;
    let k = j;
    while (k < b.length && b[k]![0] <= hi && lo <= hi) {
      if (b[k]![0] > lo) out.push([lo, b[k]![0] - 1n]);
      lo = b[k]![1] + 1n;
      k++;
    }
    if (lo <= hi) out.push([lo, hi]);
  }
  return out;
}

/** The intervals of [0, max] outside `a`. */
function ivNot(a: Iv, max: bigint): Iv {
  return ivMinus([[0n, max]], a);
}

function ivOf(ranges: Array<readonly [number | bigint, number | bigint]>): Iv {
  const s = ranges.map(([lo, hi]) => [BigInt(lo), BigInt(hi)] as [bigint, bigint]).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const out: Array<[bigint, bigint]> = [];
  for (const [lo, hi] of s) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1n) {
      if (hi > last[1]) last[1] = hi;
    } else out.push([lo, hi]);
  }
  return out;
}

// -- sets of interface names: unions of (pattern minus patterns) --------------------------

/** An interface name as iptables writes it: exact, or a prefix (`eth+`; `+` alone is every name). */
interface Pattern {
  readonly name: string;
  readonly prefix: boolean;
}
/** Names matching `pos` (null: any name) and none of `negs`. */
interface IfTerm {
  readonly pos: Pattern | null;
  readonly negs: readonly Pattern[];
}
type Ifs = readonly IfTerm[];

const ANY_IF: Ifs = [{ pos: null, negs: [] }];

/** Does `a` hold every name `b` holds? */
function covers(a: Pattern | null, b: Pattern | null): boolean {
  if (!a) return true;
  if (!b) return a.prefix && a.name === '';
  if (a.prefix) return b.name.startsWith(a.name);
  return !b.prefix && a.name === b.name;
}

/** The names both hold: one of them (the patterns nest or are disjoint), or undefined when none. */
function patternAnd(a: Pattern | null, b: Pattern | null): Pattern | null | undefined {
  if (covers(a, b)) return b;
  if (covers(b, a)) return a;
  return undefined;
}

function termEmpty(t: IfTerm): boolean {
  return t.negs.some((n) => covers(n, t.pos));
}

function ifAnd(a: Ifs, b: Ifs): Ifs {
  const out: IfTerm[] = [];
  for (const x of a) {
    for (const y of b) {
      const pos = patternAnd(x.pos, y.pos);
      if (pos === undefined) continue;
      const negs = [...x.negs, ...y.negs].filter((n) => patternAnd(n, pos) !== undefined);
      const t = { pos, negs };
      if (!termEmpty(t)) out.push(t);
    }
  }
  return out;
}

/** The names a term does not hold: outside its pattern, or in one of its exclusions. */
function ifTermNot(t: IfTerm): Ifs {
  const out: IfTerm[] = t.negs.map((n) => ({ pos: n, negs: [] }));
  if (t.pos) out.push({ pos: null, negs: [t.pos] });
  return out;
}

function ifMinus(a: Ifs, b: Ifs): Ifs {
  let out = a;
  for (const t of b) {
    out = ifAnd(out, ifTermNot(t));
    if (!out.length) break;
  }
  return out;
}

// -- boxes --------------------------------------------------------------------------------

/** A port field's value when the packet has none there (too short, or not a port protocol). */
const NO_PORT = 65536n;
const PORTS_PRESENT: Iv = [[0n, 65535n]];
const PORTS_ALL: Iv = [[0n, NO_PORT]];
/** Connection tracking states as values: INVALID, ESTABLISHED, RELATED, NEW, UNTRACKED. */
const STATE_BITS = [1 << 0, 1 << 1, 1 << 2, 1 << 3, 1 << 10];
const STATE_MAX = BigInt(STATE_BITS.length - 1);
const ST_NAT = (1 << 8) | (1 << 9);

interface Box {
  src: Iv;
  dst: Iv;
  in: Ifs;
  out: Ifs;
  proto: Iv;
  sport: Iv;
  dport: Iv;
  /** 0: an unfragmented packet or a first fragment; 1: a later fragment. */
  frag: Iv;
  state: Iv;
}

const INT_DIMS = ['src', 'dst', 'proto', 'sport', 'dport', 'frag', 'state'] as const;

function boxEmpty(b: Box): boolean {
  for (const d of INT_DIMS) if (!b[d].length) return true;
  return !b.in.length || !b.out.length;
}

/** a ∩ b, or undefined when empty (the cheap fields first). */
function boxAnd(a: Box, b: Box): Box | undefined {
  const src = ivAnd(a.src, b.src);
  if (!src.length) return undefined;
  const dst = ivAnd(a.dst, b.dst);
  if (!dst.length) return undefined;
  const proto = ivAnd(a.proto, b.proto);
  if (!proto.length) return undefined;
  const sport = ivAnd(a.sport, b.sport);
  if (!sport.length) return undefined;
  const dport = ivAnd(a.dport, b.dport);
  if (!dport.length) return undefined;
  const frag = ivAnd(a.frag, b.frag);
  if (!frag.length) return undefined;
  const state = ivAnd(a.state, b.state);
  if (!state.length) return undefined;
  const inI = ifAnd(a.in, b.in);
  if (!inI.length) return undefined;
  const outI = ifAnd(a.out, b.out);
  if (!outI.length) return undefined;
  return { src, dst, in: inI, out: outI, proto, sport, dport, frag, state };
}

/** a minus b, as disjoint boxes (none when b covers a). */
function boxMinus(a: Box, b: Box): Box[] {
  if (!boxAnd(a, b)) return [a];
  const out: Box[] = [];
  let cur: Box = a;
  for (const d of INT_DIMS) {
    const rest = ivMinus(cur[d], b[d]);
    if (rest.length) out.push({ ...cur, [d]: rest });
    cur = { ...cur, [d]: ivAnd(cur[d], b[d]) };
  }
  for (const d of ['in', 'out'] as const) {
    const rest = ifMinus(cur[d], b[d]);
    if (rest.length) out.push({ ...cur, [d]: rest });
    cur = { ...cur, [d]: ifAnd(cur[d], b[d]) };
  }
  return out;
}

// -- rules as boxes -------------------------------------------------------------------------

/** What a rule matches, as the analysis reads it. */
export interface RuleSet {
  /** The packets it can match (a superset when inexact). */
  readonly boxes: Box[];
  /** Every condition was understood: `boxes` is exactly what it matches. */
  readonly exact: boolean;
  /** The modules (or options) the analysis did not understand. */
  readonly unknown: string[];
}

/** An address and mask as an interval, or undefined when the mask is not a prefix. */
function addrInterval(addr: readonly number[], mask: readonly number[]): [bigint, bigint] | undefined {
  let a = 0n;
  let m = 0n;
  for (let i = 0; i < addr.length; i++) {
    a = (a << 32n) | BigInt(addr[i]! >>> 0);
    m = (m << 32n) | BigInt(mask[i]! >>> 0);
  }
  const bits = BigInt(addr.length * 32);
  const all = (1n << bits) - 1n;
  const host = all ^ m;
  // A prefix mask: its complement is 2^k - 1.
  if ((host & (host + 1n)) !== 0n) return undefined;
  return [a & m, (a & m) | host];
}

function words(a: { family: Family; w0: number; w1: number; w2: number; w3: number }): number[] {
  return a.family === Family.V6 ? [a.w0, a.w1, a.w2, a.w3] : [a.w0];
}

/** Reads a rule as boxes (see the module comment). */
export function ruleBoxes(r: Rule, family: Family): RuleSet {
  const unknown: string[] = [];
  const bits = family === Family.V6 ? 128n : 32n;
  const addrMax = (1n << bits) - 1n;
  const ip = r.ip;
  const addr = (a: typeof ip.src, m: typeof ip.smsk, inv: boolean, what: string): Iv => {
    const iv = addrInterval(words(a), words(m));
    if (!iv) {
      unknown.push(`${what} with a mask that is not a prefix`);
      return [[0n, addrMax]];
    }
    return inv ? ivNot([iv], addrMax) : [iv];
  };
  const iface = (name: string, inv: boolean): Ifs => {
    if (!name) return ANY_IF;
    const p: Pattern = name.endsWith('+') ? { name: name.slice(0, -1), prefix: true } : { name, prefix: false };
    return inv ? [{ pos: null, negs: [p] }] : [{ pos: p, negs: [] }];
  };
  const base: Box = {
    src: addr(ip.src, ip.smsk, (ip.invflags & INV_SRCIP) !== 0, '-s'),
    dst: addr(ip.dst, ip.dmsk, (ip.invflags & INV_DSTIP) !== 0, '-d'),
    in: iface(ip.iniface, (ip.invflags & INV_VIA_IN) !== 0),
    out: iface(ip.outiface, (ip.invflags & INV_VIA_OUT) !== 0),
    proto: ip.proto ? ((ip.invflags & INV_PROTO) !== 0 ? ivNot(ivOf([[ip.proto, ip.proto]]), 255n) : ivOf([[ip.proto, ip.proto]])) : [[0n, 255n]],
    sport: PORTS_ALL,
    dport: PORTS_ALL,
    frag: family === Family.V4 && ip.fragment ? ((ip.invflags & INV_FRAG) !== 0 ? [[0n, 0n]] : [[1n, 1n]]) : [[0n, 1n]],
    state: [[0n, STATE_MAX]],
  };
  let boxes: Box[] = [base];
  /** Every box narrowed by one of the alternatives (a union of partial boxes). */
  const narrow = (alts: Array<Partial<Box>>): void => {
    const next: Box[] = [];
    for (const b of boxes) {
      for (const alt of alts) {
        const n = { ...b };
        for (const [k, v] of Object.entries(alt) as Array<[keyof Box, Iv | Ifs]>) {
          (n as Record<string, unknown>)[k] = k === 'in' || k === 'out' ? ifAnd(b[k], v as Ifs) : ivAnd(b[k] as Iv, v as Iv);
        }
        if (!boxEmpty(n)) next.push(n);
      }
    }
    boxes = next;
  };
  const range = (lo: number, hi: number, inv: boolean): Iv => (inv ? ivMinus(PORTS_PRESENT, ivOf([[lo, hi]])) : ivOf([[lo, hi]]));
  const states = (mask: number, invert: boolean, what: string): Iv | undefined => {
    if (mask & ST_NAT) {
      unknown.push(`${what} SNAT/DNAT`);
      return undefined;
    }
    const set = ivOf(STATE_BITS.flatMap((bit, i) => (mask & bit ? [[i, i] as const] : [])));
    return invert ? ivNot(set, STATE_MAX) : set;
  };
  for (const m of r.matches) {
    const name = m.module.name;
    const c = m.config as Record<string, unknown>;
    switch (name) {
      case 'comment':
        break;
      case 'tcp':
      case 'udp': {
        const spts = c.spts as [number, number];
        const dpts = c.dpts as [number, number];
        const invSrc = c.invSrc as boolean;
        const invDst = c.invDst as boolean;
        if (name === 'tcp' && ((c.flgMask as number) || (c.invFlags as boolean))) unknown.push('tcp --tcp-flags');
        if (name === 'tcp' && ((c.option as number) || (c.invOption as boolean))) {
          // xt_tcpudp: later fragments never match; the ports of a packet that has them.
          unknown.push('tcp --tcp-option');
          narrow([{ frag: [[0n, 0n]], sport: range(spts[0], spts[1], invSrc), dport: range(dpts[0], dpts[1], invDst) }]);
          break;
        }
        const combined = spts[0] !== 0 && spts[0] === spts[1] && dpts[0] !== 0 && dpts[0] === dpts[1] && invSrc === invDst;
        if (combined && invSrc) {
          // One 32-bit compare: matches unless both ports are equal.
          narrow([{ sport: range(spts[0], spts[0], true) }, { sport: ivOf([[spts[0], spts[0]]]), dport: range(dpts[0], dpts[0], true) }]);
          break;
        }
        const alt: Partial<Box> = {};
        if (spts[0] !== 0 || spts[1] < 65535 || invSrc) alt.sport = range(spts[0], spts[1], invSrc);
        if (dpts[0] !== 0 || dpts[1] < 65535 || invDst) {
          alt.dport = range(dpts[0], dpts[1], invDst);
          // Read as one field after the source port: a packet with a destination port has a source port.
          alt.sport = ivAnd(alt.sport ?? PORTS_ALL, PORTS_PRESENT);
        }
        narrow([alt]);
        break;
      }
      case 'multiport': {
        const ports = c.ports as Uint16Array;
        const isRange = c.range as Uint8Array;
        const list: Array<[number, number]> = [];
        for (let i = 0; i < (c.count as number); i++) {
          if (isRange[i]) {
            list.push([ports[i]!, ports[i + 1]!]);
            i++;
          } else list.push([ports[i]!, ports[i]!]);
        }
        const set = ivOf(list);
        const inv = c.invert as boolean;
        const sel = inv ? ivMinus(PORTS_PRESENT, set) : set;
        const dir = c.dir as number;
        if (dir === 1) narrow([{ frag: [[0n, 0n]], sport: sel, dport: PORTS_PRESENT }]);
        else if (dir === 2) narrow([{ frag: [[0n, 0n]], sport: PORTS_PRESENT, dport: sel }]);
        else if (inv) narrow([{ frag: [[0n, 0n]], sport: sel, dport: sel }]);
        else
          narrow([
            { frag: [[0n, 0n]], sport: set, dport: PORTS_PRESENT },
            { frag: [[0n, 0n]], sport: PORTS_PRESENT, dport: set },
          ]);
        break;
      }
      case 'iprange': {
        const toBig = (a: { family: Family; w0: number; w1: number; w2: number; w3: number }): bigint =>
          words(a).reduce((v, w) => (v << 32n) | BigInt(w >>> 0), 0n);
        type Addr = { family: Family; w0: number; w1: number; w2: number; w3: number } | null;
        for (const key of ['src', 'dst'] as const) {
          if (!c[key]) continue;
          const lo = c[`${key}Min`] as Addr;
          const hi = c[`${key}Max`] as Addr;
          const inv = c[key === 'src' ? 'invSrc' : 'invDst'] as boolean;
          if (!lo || !hi) {
            unknown.push('iprange');
            continue;
          }
          const a = toBig(lo);
          const b = toBig(hi);
          const iv: Iv = a <= b ? [[a, b]] : [];
          narrow([{ [key]: inv ? ivNot(iv, addrMax) : iv }]);
        }
        break;
      }
      case 'state': {
        const s = states(c.mask as number, c.invert as boolean, 'state');
        if (s) narrow([{ state: s }]);
        break;
      }
      case 'conntrack': {
        const st = c.state as { mask: number; invert: boolean } | null;
        if (st) {
          const s = states(st.mask, st.invert, 'conntrack --ctstate');
          if (s) narrow([{ state: s }]);
        }
        const others = Object.entries(c).filter(([k, v]) => k !== 'state' && v !== null && v !== undefined);
        if (others.length) unknown.push(`conntrack ${others.map(([k]) => k).join(', ')}`);
        break;
      }
      default:
        unknown.push(name);
    }
  }
  return { boxes, exact: unknown.length === 0, unknown };
}

// -- the analysis -----------------------------------------------------------------------------

const TERMINATING_MODULES = new Set(['REJECT', 'SNAT', 'DNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP', 'NFQUEUE']);

/** Does the rule's target end the packet's walk of its chain? */
export function terminates(r: Rule): boolean {
  const t = r.target;
  if (t.kind === 'verdict') return true;
  if (t.kind === 'jump') return t.goto;
  if (t.kind === 'module') return TERMINATING_MODULES.has(t.module.name);
  return false;
}

/** A rule that shadows another. */
export interface ShadowingRule {
  rule: number;
  line: number;
  text: string;
}

export interface ShadowedRule {
  table: string;
  chain: string;
  /** 1-based number in its chain. */
  rule: number;
  ipv6?: boolean;
  file: string;
  line: number;
  text: string;
  /** The earlier rules that together catch all it would match (empty when its own conditions exclude each other). */
  by: ShadowingRule[];
  /** Every one of them does what it does (the same target): it is redundant; otherwise they decide differently. */
  redundant: boolean;
  /** What the analysis did not understand in it (it was read without those conditions). */
  unknown: string[];
}

/** Most pieces a rule's uncovered part may split into before the analysis gives up on it (it is then not reported). */
const MAX_PIECES = 4096;

/** The target part of a rule's text (`-j ACCEPT`, `-g web`), to tell whether two rules do the same. */
function targetText(text: string): string {
  const m = / (-[jg] .*)$/.exec(text);
  return m ? m[1]! : '';
}

/**
 * The earlier rules that intersect `boxes` when together they cover it
 * (in order), or undefined when they do not (or it splits into too many
 * pieces to tell).
 */
function coverOf(boxes: Box[], earlier: ReadonlyArray<{ n: number; boxes: Box[] }>): Array<{ n: number; boxes: Box[] }> | undefined {
  let rest = boxes;
  const used: Array<{ n: number; boxes: Box[] }> = [];
  for (const e of earlier) {
    if (!rest.length) break;
    let hit = false;
    for (const eb of e.boxes) {
      const next: Box[] = [];
      for (const b of rest) {
        const parts = boxMinus(b, eb);
        if (parts.length !== 1 || parts[0] !== b) hit = true;
        next.push(...parts);
      }
      rest = next;
      if (rest.length > MAX_PIECES) return undefined;
    }
    if (hit) used.push(e);
  }
  return rest.length ? undefined : used;
}

/**
 * The shadowed rules of a rule set, chain by chain, in order. A rule is
 * shadowed when the rules before it in its chain whose targets end the
 * walk, and which the analysis understands fully, match every packet it
 * could match.
 */
export function findShadowed(rs: Ruleset): ShadowedRule[] {
  const out: ShadowedRule[] = [];
  for (const t of rs.tables.values()) {
    for (const c of t.chains.values()) {
      const earlier: Array<{ n: number; boxes: Box[] }> = [];
      c.rules.forEach((r, i) => {
        const me = ruleBoxes(r, rs.family);
        const cover = coverOf(me.boxes, earlier);
        if (cover) {
          // The fewest rules needed, as far as dropping one at a time tells: each is tried without, latest first.
          let need = cover;
          for (let k = need.length - 1; k >= 0 && need.length > 1; k--) {
            const without = need.filter((_, j) => j !== k);
            if (coverOf(me.boxes, without)) need = without;
          }
          const text = ruleLine(c.name, r);
          const by = need.map((e) => ({ rule: e.n + 1, line: c.rules[e.n]!.line, text: ruleLine(c.name, c.rules[e.n]!) }));
          out.push({
            table: t.name,
            chain: c.name,
            rule: i + 1,
            ...(rs.family === Family.V6 ? { ipv6: true } : {}),
            file: rs.file,
            line: r.line,
            text,
            by,
            redundant: by.length > 0 && by.every((b) => targetText(b.text) === targetText(text)),
            unknown: me.unknown,
          });
        }
        if (me.exact && terminates(r)) earlier.push({ n: i, boxes: me.boxes });
      });
    }
  }
  return out;
}

/** The shadowed rules as text. */
export function formatShadowed(list: readonly ShadowedRule[], file: string, rules: number): string {
  if (!list.length) return `${file}: no shadowed rule (${rules} rule${rules === 1 ? '' : 's'} checked)\n`;
  const out = [`${file}: ${list.length} shadowed rule${list.length === 1 ? '' : 's'} (of ${rules}): earlier rules catch every packet they would match`];
  for (const s of list) {
    const where = `${s.ipv6 ? 'ip6:' : ''}${s.table}:${s.chain}:${s.rule}`;
    out.push(`  ${s.file}:${s.line}  ${where}  ${s.text}`);
    if (!s.by.length) out.push('      its own conditions exclude each other: it matches nothing');
    else {
      out.push(`      ${s.redundant ? 'redundant: caught, with the same target, by' : 'never reached: caught, with another target, by'}`);
      for (const b of s.by) out.push(`        ${s.file}:${b.line}  rule ${b.rule}  ${b.text}`);
    }
    if (s.unknown.length) out.push(`      (read without what the analysis does not understand: ${s.unknown.join(', ')})`);
  }
  return out.join('\n') + '\n';
}
