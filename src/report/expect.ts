/**
 * Expectations (`--expect FILE`): what an administrator promises about the
 * traffic, checked against a replay. A YAML list; each item is either
 *
 * - a traffic expectation: selectors (`from`, `to`, `proto`, `sport`,
 *   `dport`, `in`, `out`, `family`) pick captured frames, and `fate` says
 *   what must become of them (`accepted`, `dropped`, `rejected`,
 *   `forwarded`, `delivered`, `sent`, `any`), optionally decided by a given
 *   `table` / `chain` / `rule`; without `count` every picked frame must
 *   meet it, with `count` (bounds: `5`, `">0"`, `"<=10"`, `"2..8"`) the
 *   number of picked frames that meet it must be within the bounds;
 * - a counter expectation: `rule: filter:INPUT:3` or `policy:
 *   filter:FORWARD` with `hits` bounds on the rule's (policy's) packet
 *   counter after the replay, the kernel's `iptables-save -c` counter.
 *
 * Frames are checked as their fates come (nothing per frame is kept but
 * up to five counter-examples per expectation), counters at the end.
 * Mistakes in the file (an unknown key, a bad address, a chain, rule or
 * interface that does not exist) are ExpectFileErrors naming file, line
 * and column.
 *
 * @example
 * const exps = parseExpectations(text, 'expect.yaml', { rules, devices: spec.devices });
 * const run = new ExpectationRun(exps, { rules, spec });
 * await replay({ ..., onFrameFate: (f, frame, unit) => run.frame(f, frame, unit) });
 * const results = run.finish(result);
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { parseInetCidr } from '../machine/machine-file.js';
import type { MachineSpec } from '../machine/spec.js';
import { Fib } from '../net/fib.js';
import { FateKind, type DropSite } from '../netfilter/fate.js';
import { parseProtocol, protocolName } from '../netfilter/names.js';
import type { Ruleset } from '../netfilter/rules/model.js';
import type { NetDevice } from '../netfilter/types.js';
import type { FateMsg } from '../machine/passage/index.js';
import type { SourceFrame } from '../conet/daemon.js';
import { Family, InetAddr, familyBits } from '../packet/inet-addr.js';
import { Flow, readFrameFlow } from '../packet/flow.js';
import { deciderOf, frameFate, passed, RuleSets, siteName, type FrameFate } from './frame-fates.js';

/** Mistakes in an expectation file, each with its line and column. */
export class ExpectFileError extends Error {
  override readonly name = 'ExpectFileError';
  constructor(
    readonly file: string,
    readonly problems: ReadonlyArray<{ line: number; column: number; message: string }>,
  ) {
    super(problems.map((p) => `${file}:${p.line}:${p.column}: ${p.message}`).join('\n'));
  }
}

/** Bounds on a count: `min <= n <= max`. */
export interface Bounds {
  readonly min: number;
  readonly max: number;
  /** As written (`>0`, `5`, `2..8`). */
  readonly text: string;
}

/** `5`, `=5`, `>0`, `>=2`, `<10`, `<=10`, `2..8`; undefined when malformed. */
export function parseBounds(v: unknown): Bounds | undefined {
  const text = String(v).trim();
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? { min: v, max: v, text } : undefined;
  let m = /^(=|>=|>|<=|<)?\s*(\d+)$/.exec(text);
  if (m) {
    const n = Number(m[2]);
    switch (m[1]) {
      case '>':
        return { min: n + 1, max: Infinity, text };
      case '>=':
        return { min: n, max: Infinity, text };
      case '<':
        return n > 0 ? { min: 0, max: n - 1, text } : undefined;
      case '<=':
        return { min: 0, max: n, text };
      default:
        return { min: n, max: n, text };
    }
  }
  m = /^(\d+)\s*\.\.\s*(\d+)$/.exec(text);
  if (m && Number(m[1]) <= Number(m[2])) return { min: Number(m[1]), max: Number(m[2]), text };
  return undefined;
}

function inBounds(n: number, b: Bounds): boolean {
  return n >= b.min && n <= b.max;
}

/** Fates an expectation may ask for, and which frame fates each admits. */
const FATE_GROUPS: Record<string, (f: FrameFate) => boolean> = {
  accepted: (f) => passed(f),
  dropped: (f) => f === 'dropped' || f === 'rejected' || f === 'fail-closed',
  rejected: (f) => f === 'rejected',
  forwarded: (f) => f === 'forwarded',
  delivered: (f) => f === 'delivered',
  sent: (f) => f === 'sent',
  any: () => true,
};

interface NetSel {
  readonly nets: ReadonlyArray<{ readonly addr: InetAddr; readonly mask: InetAddr }>;
  readonly neg: boolean;
}
interface PortSel {
  readonly ranges: ReadonlyArray<readonly [number, number]>;
  readonly neg: boolean;
}
interface IfSel {
  readonly name: string;
  readonly prefix: boolean;
  readonly neg: boolean;
}

export interface TrafficExpectation {
  readonly kind: 'traffic';
  readonly name: string;
  readonly line: number;
  readonly column: number;
  readonly family?: Family;
  readonly from?: NetSel;
  readonly to?: NetSel;
  readonly proto?: { readonly num: number; readonly neg: boolean };
  readonly sport?: PortSel;
  readonly dport?: PortSel;
  readonly in?: IfSel;
  readonly out?: IfSel;
  /** The fate asked for, as written. */
  readonly fate: string;
  /** Must be decided there (each part optional; rule 0 is the policy). */
  readonly decided?: { readonly table?: string; readonly chain?: string; readonly rule?: number };
  readonly count?: Bounds;
}

export interface CounterExpectation {
  readonly kind: 'counter';
  readonly name: string;
  readonly line: number;
  readonly column: number;
  /** The rule (rule 0: the chain's policy). */
  readonly site: DropSite;
  readonly hits: Bounds;
}

export type Expectation = TrafficExpectation | CounterExpectation;

/** A frame that shows an expectation failing. */
export interface CounterExample {
  readonly frame: number;
  /** `tcp 203.0.113.5:40000 -> 198.51.100.1:22`. */
  readonly flow: string;
  readonly fate: FrameFate;
  /** What decided it (`filter:INPUT:3`, `stack: IP_CSUM`, '' for nothing). */
  readonly decider: string;
  /** The deciding rule's text, when a rule or policy decided it. */
  readonly rule?: string;
}

export interface ExpectationResult {
  readonly name: string;
  readonly line: number;
  readonly column: number;
  readonly kind: 'traffic' | 'counter';
  readonly passed: boolean;
  /** One line saying what was found. */
  readonly summary: string;
  /** Traffic: frames the selectors picked, and how many of them met the fate. */
  readonly selected?: number;
  readonly matching?: number;
  /** Counter: the rule's packet counter. */
  readonly hits?: number;
  /** Up to five frames that show the failure (empty when it passed). */
  readonly examples: CounterExample[];
}

const TRAFFIC_KEYS = ['name', 'from', 'to', 'proto', 'sport', 'dport', 'in', 'out', 'family', 'fate', 'table', 'chain', 'rule', 'count'];
const COUNTER_KEYS = ['name', 'rule', 'policy', 'hits'];

export interface ExpectContext {
  readonly rules: RuleSets;
  /** The machine's interfaces (for `in` and `out`). */
  readonly devices: readonly NetDevice[];
}

/** A rule or policy reference: `[ip6:]table:CHAIN:N`, `[ip6:]table:CHAIN:policy`, `CHAIN:N` (filter); `policy` without a number. */
function parseSiteRef(text: string, policy: boolean): { site?: DropSite; error?: string } {
  let t = text.trim();
  let ipv6 = false;
  if (/^ip6:/i.test(t)) {
    ipv6 = true;
    t = t.slice(4);
  }
  const parts = t.split(':');
  if (policy) {
    if (parts.length === 1) parts.unshift('filter');
    if (parts.length !== 2 || !parts[0] || !parts[1]) return { error: `expected a chain as [ip6:]TABLE:CHAIN, such as filter:FORWARD` };
    return { site: { table: parts[0], chain: parts[1], rule: 0, ...(ipv6 ? { ipv6 } : {}) } };
  }
  if (parts.length === 2) parts.unshift('filter');
  const num = parts[2]?.replace(/^#/, '');
  if (parts.length !== 3 || !parts[0] || !parts[1] || !num || !(/^\d+$/.test(num) || num === 'policy'))
    return { error: `expected a rule as [ip6:]TABLE:CHAIN:NUMBER, such as filter:INPUT:3 (or TABLE:CHAIN:policy)` };
  const rule = num === 'policy' ? 0 : Number(num);
  if (num !== 'policy' && rule < 1) return { error: 'rules are numbered from 1, as iptables -L --line-numbers numbers them' };
  return { site: { table: parts[0], chain: parts[1], rule, ...(ipv6 ? { ipv6 } : {}) } };
}

/** Why `site` is not in the rule sets (undefined when it is). */
function siteProblem(site: DropSite, rules: RuleSets, chainOnly = false): string | undefined {
  const rs = rules.of(site);
  const fam = site.ipv6 ? 'ip6tables' : 'iptables';
  if (!rs) return `there is no ${fam} rule file${site.ipv6 ? ' (give one with --rules6)' : ''}`;
  const t = rs.tables.get(site.table);
  if (!t) return `${fam} rule file ${rs.file} has no table ${site.table} (it has ${[...rs.tables.keys()].join(', ') || 'none'})`;
  const c = t.chains.get(site.chain);
  if (!c) return `table ${site.table} of ${rs.file} has no chain ${site.chain} (it has ${[...t.chains.keys()].join(', ')})`;
  if (chainOnly) return undefined;
  if (site.rule === 0 && !c.builtin) return `${site.chain} is a user chain: it has no policy`;
  if (site.rule > c.rules.length)
    return `chain ${site.chain} of table ${site.table} in ${rs.file} has ${c.rules.length} rule${c.rules.length === 1 ? '' : 's'}, not ${site.rule}`;
  return undefined;
}

/**
 * Reads an expectation file: a YAML list (or a mapping with the list under
 * `expectations`). Throws ExpectFileError listing every mistake.
 */
export function parseExpectations(text: string, file: string, ctx: ExpectContext): Expectation[] {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const problems: Array<{ line: number; column: number; message: string }> = [];
  const pos = (node: Node | null | undefined): { line: number; column: number } => {
    const p = lc.linePos(node?.range?.[0] ?? 0);
    return { line: p.line, column: p.col };
  };
  const at = (node: Node | null | undefined, message: string): void => {
    problems.push({ ...pos(node), message });
  };
  for (const e of doc.errors) {
    const p = e.linePos?.[0] ?? { line: 1, col: 1 };
    problems.push({ line: p.line, column: p.col, message: `not valid YAML: ${e.message.split('\n')[0]}` });
  }
  if (problems.length) throw new ExpectFileError(file, problems);
  let list: Node | null = doc.contents as Node | null;
  if (isMap(list)) {
    const pair = list.items.find((p) => isScalar(p.key) && p.key.value === 'expectations');
    list = (pair?.value as Node | null | undefined) ?? null;
  }
  if (!isSeq(list)) {
    at(
      doc.contents as Node | null,
      'an expectation file is a list of expectations (- name: ..., from: ..., fate: ...), or a mapping with that list under expectations:',
    );
    throw new ExpectFileError(file, problems);
  }
  const out: Expectation[] = [];
  for (const item of list.items as Array<Node | null>) {
    if (!isMap(item)) {
      at(item, 'an expectation is a mapping, such as {name: ssh, dport: 22, fate: accepted}');
      continue;
    }
    const e = parseOne(item, ctx, at, pos);
    if (e) out.push(e);
  }
  if (!out.length && !problems.length) at(list, 'the list of expectations is empty');
  if (problems.length) throw new ExpectFileError(file, problems);
  return out;
}

type At = (node: Node | null | undefined, message: string) => void;

function parseOne(map: YAMLMap, ctx: ExpectContext, at: At, pos: (n: Node | null | undefined) => { line: number; column: number }): Expectation | undefined {
  const keys = new Map<string, { pair: Pair; node: Node | null; value: unknown }>();
  for (const pair of map.items) {
    const k = isScalar(pair.key) ? String(pair.key.value) : '';
    const node = (pair.value as Node | null) ?? null;
    keys.set(k, { pair, node, value: isScalar(node) ? node.value : isSeq(node) ? node.items.map((i) => (isScalar(i) ? i.value : undefined)) : undefined });
  }
  const counter = keys.has('hits') || keys.has('policy');
  const allowed = counter ? COUNTER_KEYS : TRAFFIC_KEYS;
  let bad = false;
  for (const [k, v] of keys) {
    if (!allowed.includes(k)) {
      at(
        v.pair.key as Node,
        counter
          ? `unknown key \`${k}' in a counter expectation (one with hits: or policy:); accepted: ${COUNTER_KEYS.join(', ')}`
          : `unknown key \`${k}'; accepted: ${TRAFFIC_KEYS.join(', ')} (or rule:/policy: with hits:)`,
      );
      bad = true;
    }
  }
  const p = pos(map);
  const str = (k: string): string | undefined => {
    const v = keys.get(k);
    if (!v) return undefined;
    if (!isScalar(v.node) || v.value === null || typeof v.value === 'object') {
      at(v.node ?? (v.pair.key as Node), `${k}: expected a single value`);
      bad = true;
      return undefined;
    }
    return String(v.value);
  };
  const name = str('name');
  if (counter) {
    const ruleText = str('rule');
    const policyText = str('policy');
    const hitsText = keys.get('hits');
    if (ruleText !== undefined && policyText !== undefined) {
      at(keys.get('policy')!.pair.key as Node, 'give rule: or policy:, not both');
      return undefined;
    }
    if (ruleText === undefined && policyText === undefined) {
      at(map, 'hits: needs the rule (rule: filter:INPUT:3) or the policy (policy: filter:FORWARD) whose counter it bounds');
      return undefined;
    }
    if (!hitsText) {
      at(map, `${policyText !== undefined ? 'policy' : 'rule'}: needs hits: bounds (0, ">0", "<=10", "2..8")`);
      return undefined;
    }
    const ref = parseSiteRef((ruleText ?? policyText)!, policyText !== undefined);
    const refNode = keys.get(policyText !== undefined ? 'policy' : 'rule')!.node;
    if (!ref.site) {
      at(refNode, `${policyText !== undefined ? 'policy' : 'rule'}: ${ref.error}`);
      return undefined;
    }
    const problem = siteProblem(ref.site, ctx.rules);
    if (problem) {
      at(refNode, `${policyText !== undefined ? 'policy' : 'rule'} ${(ruleText ?? policyText)!}: ${problem}`);
      bad = true;
    }
    const hits = parseBounds(hitsText.value);
    if (!hits || !isScalar(hitsText.node)) {
      at(hitsText.node, `hits: expected a count or bounds: 0, 5, ">0", ">=2", "<10", "2..8" (quote those with < or >)`);
      return undefined;
    }
    if (bad) return undefined;
    const site = ref.site;
    return {
      kind: 'counter',
      name: name ?? `${site.rule === 0 ? `policy ${site.ipv6 ? 'ip6:' : ''}${site.table}:${site.chain}` : `rule ${siteName(site)}`} hits ${hits.text}`,
      ...p,
      site,
      hits,
    };
  }

  // A traffic expectation.
  const fateNode = keys.get('fate');
  const fate = str('fate');
  if (fate === undefined) {
    if (!fateNode) at(map, `an expectation needs fate: (${Object.keys(FATE_GROUPS).join(', ')}), or hits: with rule: or policy:`);
    return undefined;
  }
  if (!FATE_GROUPS[fate]) {
    at(fateNode!.node, `fate: unknown fate \`${fate}'; one of ${Object.keys(FATE_GROUPS).join(', ')}`);
    bad = true;
  }
  let family: Family | undefined;
  const famText = str('family');
  if (famText !== undefined) {
    const f = famText.toLowerCase();
    if (f === 'ipv4' || f === 'inet' || f === '4') family = Family.V4;
    else if (f === 'ipv6' || f === 'inet6' || f === '6') family = Family.V6;
    else {
      at(keys.get('family')!.node, 'family: ipv4 or ipv6');
      bad = true;
    }
  }
  const nets = (k: 'from' | 'to'): NetSel | undefined => {
    const v = keys.get(k);
    if (!v) return undefined;
    const items = Array.isArray(v.value) ? (v.value as unknown[]) : [v.value];
    let neg = false;
    const out: Array<{ addr: InetAddr; mask: InetAddr }> = [];
    for (let i = 0; i < items.length; i++) {
      let t = String(items[i] ?? '').trim();
      if (t.startsWith('!')) {
        if (items.length > 1) {
          at(v.node, `${k}: put ! once before a list ("!" applies to the whole list): ${k}: "!10.0.0.0/8"`);
          bad = true;
        }
        neg = true;
        t = t.slice(1).trim();
      }
      const c = parseInetCidr(t);
      if (!c) {
        at(v.node, `${k}: \`${t}' is not an address or network (192.0.2.0/24, 2001:db8::/32)`);
        bad = true;
        continue;
      }
      if (family !== undefined && c.addr.family !== family) {
        at(v.node, `${k}: ${t} is not of the family the expectation is about`);
        bad = true;
      }
      family ??= c.addr.family;
      const mask = InetAddr.mask(c.addr.family, c.prefix);
      out.push({ addr: c.addr.clone().and(mask), mask });
    }
    if (out.some((n) => n.addr.family !== out[0]!.addr.family)) {
      at(v.node, `${k}: addresses of both families in one expectation; write one expectation per family`);
      bad = true;
    }
    return { nets: out, neg };
  };
  const from = nets('from');
  const to = nets('to');
  let proto: { num: number; neg: boolean } | undefined;
  const protoText = str('proto');
  if (protoText !== undefined) {
    let t = protoText.trim();
    const neg = t.startsWith('!');
    if (neg) t = t.slice(1).trim();
    const alias: Record<string, number> = { icmpv6: 58, icmp6: 58 };
    const num = alias[t.toLowerCase()] ?? parseProtocol(t);
    if (num === undefined || num === 0) {
      at(keys.get('proto')!.node, `proto: unknown protocol \`${t}' (tcp, udp, icmp, icmpv6, a name from /etc/protocols, or a number)`);
      bad = true;
    } else proto = { num, neg };
  }
  const ports = (k: 'sport' | 'dport'): PortSel | undefined => {
    const v = keys.get(k);
    if (!v) return undefined;
    const items = Array.isArray(v.value) ? (v.value as unknown[]) : [v.value];
    let neg = false;
    const ranges: Array<[number, number]> = [];
    for (const it of items) {
      let t = String(it ?? '').trim();
      if (t.startsWith('!')) {
        neg = true;
        t = t.slice(1).trim();
      }
      for (const part of t.split(',')) {
        const m = /^(\d+)(?:\s*[:-]\s*(\d+))?$/.exec(part.trim());
        const lo = m ? Number(m[1]) : NaN;
        const hi = m ? Number(m[2] ?? m[1]) : NaN;
        if (!m || lo > 65535 || hi > 65535 || hi < lo) {
          at(v.node, `${k}: \`${part.trim()}' is not a port or range (22, 1024:65535, [80, 443])`);
          bad = true;
          continue;
        }
        ranges.push([lo, hi]);
      }
    }
    if (proto && !proto.neg && ![6, 17, 33, 132, 136].includes(proto.num)) {
      at(v.node, `${k}: ${protocolName(proto.num)} has no ports (tcp, udp, sctp, dccp, udplite have)`);
      bad = true;
    }
    return { ranges, neg };
  };
  const sport = ports('sport');
  const dport = ports('dport');
  const iface = (k: 'in' | 'out'): IfSel | undefined => {
    const t0 = str(k);
    if (t0 === undefined) return undefined;
    let t = t0.trim();
    const neg = t.startsWith('!');
    if (neg) t = t.slice(1).trim();
    const prefix = t.endsWith('+');
    const name = prefix ? t.slice(0, -1) : t;
    const known = ctx.devices.map((d) => d.name);
    if (!known.some((d) => (prefix ? d.startsWith(name) : d === name))) {
      at(keys.get(k)!.node, `${k}: the machine has no interface ${prefix ? 'matching ' : ''}${t} (it has ${known.join(', ')})`);
      bad = true;
    }
    return { name, prefix, neg };
  };
  const inIf = iface('in');
  const outIf = iface('out');
  // What must decide it.
  let decided: { table?: string; chain?: string; rule?: number } | undefined;
  const table = str('table');
  const chain = str('chain');
  const ruleText = str('rule');
  if (table !== undefined || chain !== undefined || ruleText !== undefined) {
    let d: { table?: string; chain?: string; rule?: number; ipv6?: boolean } = {};
    if (table !== undefined) d.table = table;
    if (chain !== undefined) d.chain = chain;
    const ruleNode = keys.get('rule')?.node;
    if (ruleText !== undefined) {
      if (/^\d+$/.test(ruleText) || ruleText === 'policy') {
        if (chain === undefined) {
          at(ruleNode, `rule: ${ruleText} needs chain: (or write rule: TABLE:CHAIN:${ruleText})`);
          bad = true;
        }
        d.rule = ruleText === 'policy' ? 0 : Number(ruleText);
        if (d.rule === 0 && ruleText !== 'policy') {
          at(ruleNode, 'rules are numbered from 1, as iptables -L --line-numbers numbers them');
          bad = true;
        }
      } else {
        const ref = parseSiteRef(ruleText, false);
        if (!ref.site) {
          at(ruleNode, `rule: ${ref.error}`);
          bad = true;
        } else {
          if ((table !== undefined && table !== ref.site.table) || (chain !== undefined && chain !== ref.site.chain)) {
            at(ruleNode, `rule: ${ruleText} names another table or chain than table:/chain: do`);
            bad = true;
          }
          d = { table: ref.site.table, chain: ref.site.chain, rule: ref.site.rule, ...(ref.site.ipv6 ? { ipv6: true } : {}) };
          if (ref.site.ipv6) {
            if (family === Family.V4) {
              at(ruleNode, 'rule: an ip6tables rule for IPv4 traffic');
              bad = true;
            }
            family = Family.V6;
          }
        }
      }
    }
    // The table, chain and rule must exist in a rule set the traffic can meet.
    const families = family !== undefined ? [family === Family.V6] : [false, true];
    const tableName = d.table ?? 'filter';
    const problems: string[] = [];
    let found = false;
    for (const ipv6 of families) {
      const rs = ipv6 ? ctx.rules.v6 : ctx.rules.v4;
      if (!rs) continue;
      const problem =
        d.chain === undefined
          ? rs.tables.has(tableName)
            ? undefined
            : `${rs.file} has no table ${tableName}`
          : siteProblem({ table: tableName, chain: d.chain, rule: d.rule ?? 0, ...(ipv6 ? { ipv6 } : {}) }, ctx.rules, d.rule === undefined);
      if (!problem) found = true;
      else problems.push(problem);
    }
    if (!found) {
      at(
        ruleNode ?? keys.get('chain')?.node ?? keys.get('table')?.node,
        problems.length ? problems.join('; ') : 'there is no rule file for the traffic this expectation picks',
      );
      bad = true;
    }
    if (d.table === undefined && d.chain === undefined && d.rule !== undefined) d.table = 'filter';
    decided = {
      ...(d.table !== undefined ? { table: d.table } : {}),
      ...(d.chain !== undefined ? { chain: d.chain } : {}),
      ...(d.rule !== undefined ? { rule: d.rule } : {}),
    };
  }
  let count: Bounds | undefined;
  const countNode = keys.get('count');
  if (countNode) {
    count = parseBounds(countNode.value);
    if (!count || !isScalar(countNode.node)) {
      at(countNode.node, 'count: expected a count or bounds: 0, 5, ">0", ">=2", "<10", "2..8" (quote those with < or >)');
      bad = true;
    }
  }
  if (bad || !fate) return undefined;
  const e: TrafficExpectation = {
    kind: 'traffic',
    name: '',
    ...p,
    ...(family !== undefined ? { family } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(proto ? { proto } : {}),
    ...(sport ? { sport } : {}),
    ...(dport ? { dport } : {}),
    ...(inIf ? { in: inIf } : {}),
    ...(outIf ? { out: outIf } : {}),
    fate,
    ...(decided ? { decided } : {}),
    ...(count ? { count } : {}),
  };
  return { ...e, name: name ?? describe(e, keys) };
}

/** A name for an unnamed expectation, from what it says. */
function describe(e: TrafficExpectation, keys: Map<string, { value: unknown }>): string {
  const w: string[] = [];
  const v = (k: string): string => {
    const x = keys.get(k)?.value;
    return Array.isArray(x) ? x.join(',') : String(x);
  };
  for (const k of ['proto', 'from', 'sport', 'in', 'to', 'dport', 'out']) if (keys.has(k)) w.push(`${k === 'proto' ? '' : `${k} `}${v(k)}`);
  let s = `${w.join(' ') || 'all traffic'}: ${e.fate}`;
  if (e.decided) s += ` by ${[e.decided.table, e.decided.chain, e.decided.rule === 0 ? 'policy' : e.decided.rule].filter((x) => x !== undefined).join(':')}`;
  if (e.count) s += ` (count ${e.count.text})`;
  return s;
}

function netMatch(sel: NetSel, a: InetAddr): boolean {
  let hit = false;
  for (const n of sel.nets) {
    if (n.addr.family === a.family && a.inNet(n.addr, n.mask)) {
      hit = true;
      break;
    }
  }
  return hit !== sel.neg;
}

function portMatch(sel: PortSel, p: number): boolean {
  let hit = false;
  for (const [lo, hi] of sel.ranges) {
    if (p >= lo && p <= hi) {
      hit = true;
      break;
    }
  }
  return hit !== sel.neg;
}

function ifMatch(sel: IfSel, name: string | undefined): boolean {
  if (name === undefined) return sel.neg;
  const hit = sel.prefix ? name.startsWith(sel.name) : name === sel.name;
  return hit !== sel.neg;
}

/** A frame's flow as one line: `tcp 203.0.113.5:40000 -> 198.51.100.1:22`, `icmp 192.0.2.7 -> 198.51.100.1 type 8`. */
export function flowText(f: Flow): string {
  const name = protocolName(f.proto);
  const v6 = f.family === Family.V6;
  const host = (a: InetAddr, port: number): string => (f.l4 && f.icmpType < 0 ? (v6 ? `[${a.toString()}]:${port}` : `${a.toString()}:${port}`) : a.toString());
  const type = f.icmpType >= 0 ? ` type ${f.icmpType}` : '';
  return `${name} ${host(f.src, f.sport)} -> ${host(f.dst, f.dport)}${type}`;
}

interface TrafficState {
  readonly e: TrafficExpectation;
  readonly admits: (f: FrameFate) => boolean;
  selected: number;
  matching: number;
  /** First five picked frames that met it, and that did not. */
  readonly met: CounterExample[];
  readonly unmet: CounterExample[];
}

const EXAMPLES = 5;

/**
 * Checks expectations against one replay: `frame` with every captured
 * frame's fate (ReplayOptions.onFrameFate), `finish` with the result's
 * rule sets (their counters) at the end.
 */
export class ExpectationRun {
  private readonly traffic: TrafficState[] = [];
  private readonly flow = new Flow();
  private readonly fib: Fib;
  private readonly devName: Array<string | undefined> = [];

  constructor(
    readonly expectations: readonly Expectation[],
    private readonly ctx: { rules: RuleSets; spec: MachineSpec },
  ) {
    for (const e of expectations)
      if (e.kind === 'traffic') this.traffic.push({ e, admits: FATE_GROUPS[e.fate]!, selected: 0, matching: 0, met: [], unmet: [] });
    this.fib = new Fib(ctx.spec);
    for (const d of ctx.spec.devices) if (d.unit >= 0) this.devName[d.unit] = d.name;
  }

  /** One captured frame's fate (a reused record: read during the call). */
  frame(f: FateMsg, frame: SourceFrame, unit: number): void {
    if (!this.traffic.length || f.kind === FateKind.Outbound) return;
    const flow = this.flow;
    const ip = readFrameFlow(frame.data, flow);
    let fate: FrameFate | undefined;
    let decider: string | undefined;
    let inName: string | undefined | null = null;
    let outName: string | undefined | null = null;
    for (const s of this.traffic) {
      const e = s.e;
      if (e.family !== undefined && (!ip || flow.family !== e.family)) continue;
      if (e.from && (!ip || !netMatch(e.from, flow.src))) continue;
      if (e.to && (!ip || !netMatch(e.to, flow.dst))) continue;
      if (e.proto && (!ip || (flow.proto === e.proto.num) === e.proto.neg)) continue;
      if (e.sport && (!ip || !flow.l4 || flow.icmpType >= 0 || !portMatch(e.sport, flow.sport))) continue;
      if (e.dport && (!ip || !flow.l4 || flow.icmpType >= 0 || !portMatch(e.dport, flow.dport))) continue;
      if (e.in) {
        // Frames from the firewall itself did not arrive on an interface.
        if (inName === null) inName = ip && this.fib.isLocal(flow.src) ? undefined : this.devName[unit];
        if (!ifMatch(e.in, inName)) continue;
      }
      if (e.out) {
        if (outName === null) {
          // The interface it left on, else the one its destination routes to (none when it is the firewall's own).
          if (f.unit >= 0) outName = this.devName[f.unit];
          else if (ip && !this.fib.isLocal(flow.dst)) outName = this.fib.lookup(flow.dst).dev?.name;
          else outName = undefined;
        }
        if (!ifMatch(e.out, outName)) continue;
      }
      s.selected++;
      fate ??= frameFate(f.kind, f.site, this.ctx.rules, this.ctx.spec.failPolicy);
      let ok = s.admits(fate);
      const d = e.decided;
      if (ok && d) {
        const site = f.kind === FateKind.DroppedByStack ? undefined : f.site;
        ok =
          !!site &&
          (d.table === undefined || d.table === site.table) &&
          (d.chain === undefined || d.chain === site.chain) &&
          (d.rule === undefined || d.rule === site.rule);
      }
      if (ok) s.matching++;
      const list = ok ? s.met : s.unmet;
      if (list.length < EXAMPLES) {
        decider ??= deciderOf(f.kind, f.site, f.reason);
        const rule = f.site && f.kind !== FateKind.DroppedByStack ? this.ctx.rules.text(f.site) : undefined;
        list.push({ frame: f.frameNo, flow: ip ? flowText(flow) : 'not IP', fate, decider, ...(rule ? { rule } : {}) });
      }
    }
  }

  /** The results, in the file's order; counters read from the replay's final rule sets. */
  finish(final: { ruleset?: Ruleset | undefined; ruleset6?: Ruleset | undefined }): ExpectationResult[] {
    const byExp = new Map<Expectation, TrafficState>();
    for (const s of this.traffic) byExp.set(s.e, s);
    const counted = new RuleSets(final.ruleset, final.ruleset6);
    return this.expectations.map((e): ExpectationResult => {
      const base = { name: e.name, line: e.line, column: e.column, kind: e.kind };
      if (e.kind === 'counter') {
        const c = counted.of(e.site)?.tables.get(e.site.table)?.chains.get(e.site.chain);
        const hits = e.site.rule === 0 ? (c?.packets ?? 0) : (c?.rules[e.site.rule - 1]?.packets ?? 0);
        const ok = inBounds(hits, e.hits);
        const what = e.site.rule === 0 ? `policy ${e.site.ipv6 ? 'ip6:' : ''}${e.site.table}:${e.site.chain}` : `rule ${siteName(e.site)}`;
        return {
          ...base,
          passed: ok,
          hits,
          summary: `${what} has ${hits} hit${hits === 1 ? '' : 's'}${ok ? '' : `, expected ${e.hits.text}`}`,
          examples: [],
        };
      }
      const s = byExp.get(e)!;
      const by = e.decided
        ? ` by ${[e.decided.table, e.decided.chain, e.decided.rule === 0 ? 'policy' : e.decided.rule].filter((x) => x !== undefined).join(':')}`
        : '';
      const what = `${e.fate}${by}`;
      let ok: boolean;
      let summary: string;
      let examples: CounterExample[];
      if (e.count) {
        ok = inBounds(s.matching, e.count);
        summary = `${s.matching} of ${s.selected} packet${s.selected === 1 ? '' : 's'} ${e.fate === 'any' && !by ? 'picked' : what}${ok ? '' : `, expected ${e.count.text}`}`;
        examples = ok ? [] : s.matching > e.count.max ? s.met : s.unmet;
      } else {
        ok = s.matching === s.selected;
        summary =
          s.selected === 0
            ? 'no packet picked (nothing to check)'
            : ok
              ? `all ${s.selected} packet${s.selected === 1 ? '' : 's'} ${what}`
              : `${s.selected - s.matching} of ${s.selected} packets not ${what}`;
        examples = ok ? [] : s.unmet;
      }
      return { ...base, passed: ok, selected: s.selected, matching: s.matching, summary, examples: [...examples].sort((a, b) => a.frame - b.frame) };
    });
  }
}

/** The expectations' results as text: one line each, PASS or FAIL, and a failure's counter-examples. */
export function formatExpectations(results: readonly ExpectationResult[], file: string, note?: string): string {
  const failed = results.filter((r) => !r.passed).length;
  const out: string[] = [];
  out.push(`Expectations (${file}${note ? `, ${note}` : ''}): ${results.length - failed} passed, ${failed} failed`);
  for (const r of results) {
    out.push(`  ${r.passed ? 'PASS' : 'FAIL'}  ${r.name} (line ${r.line}): ${r.summary}`);
    for (const x of r.examples) {
      out.push(`          frame ${x.frame}  ${x.flow}  ${x.fate}${x.decider ? `  ${x.decider}` : ''}${x.rule ? `  ${x.rule}` : ''}`);
    }
  }
  return out.join('\n') + '\n';
}

function xmlEscape(s: string): string {
  // Characters XML 1.0 cannot hold at all become U+FFFD.
  return (
    s
      // eslint-disable-next-line no-control-regex
      .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g, '\ufffd')
      .replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
  );
}

/**
 * The results as JUnit XML, as CI systems (Jenkins, GitLab, GitHub
 * actions' reporters) read it: one `testsuite` for the file, one
 * `testcase` per expectation, a `failure` with the summary and
 * counter-examples for each that failed.
 */
export function junitXml(results: readonly ExpectationResult[], o: { file: string; seconds: number; timestamp: Date; suite?: string }): string {
  const failed = results.filter((r) => !r.passed).length;
  const time = o.seconds.toFixed(3);
  const suite = o.suite ?? `cofw expectations ${o.file}`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="cofw" tests="${results.length}" failures="${failed}" errors="0" time="${time}">`,
    `  <testsuite name="${xmlEscape(suite)}" tests="${results.length}" failures="${failed}" errors="0" skipped="0" time="${time}" timestamp="${o.timestamp.toISOString().replace(/\.\d+Z$/, '')}" file="${xmlEscape(o.file)}">`,
  ];
  for (const r of results) {
    const open = `    <testcase name="${xmlEscape(r.name)}" classname="${xmlEscape(`${o.file}:${r.line}`)}" time="0"`;
    if (r.passed) {
      lines.push(`${open}/>`);
      continue;
    }
    lines.push(`${open}>`);
    const body = r.examples.map((x) => `frame ${x.frame}  ${x.flow}  ${x.fate}${x.decider ? `  ${x.decider}` : ''}${x.rule ? `  ${x.rule}` : ''}`).join('\n');
    lines.push(
      `      <failure type="expectation" message="${xmlEscape(r.summary)}">${xmlEscape(`${o.file}:${r.line}:${r.column}: ${r.summary}${body ? `\n${body}` : ''}`)}</failure>`,
    );
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>');
  return lines.join('\n') + '\n';
}
