/**
 * Walks of a table's jump graph, as the kernel makes them when a table is
 * committed, all iterative (a file of thousands of chained chains is
 * refused with a message, never a stack overflow):
 *
 * - the hooks each chain is reached from (the mask the kernel checks
 *   targets and matches against);
 * - nf_tables' jump validation (nft_chain_validate): from each base chain,
 *   every path of jumps and gotos is followed; a chain reached at depth 16
 *   (NFT_JUMP_STACK_SIZE) is refused with EMLINK, "Too many links", and a
 *   loop reachable from a base chain never ends, so it is refused the same
 *   way. Chains no base chain reaches are never validated: a loop or a deep
 *   chain among them loads.
 */
import { CHAIN_HOOK, type Rule, type Table } from './model.js';

/** nf_tables' NFT_JUMP_STACK_SIZE: a chain reached at this depth is refused. */
export const JUMP_STACK_SIZE = 16;

/** The user chains a chain's rules jump or go to, in rule order, with the rule. */
function edges(table: Table, name: string): Array<{ to: string; rule: Rule; index: number }> {
  const out: Array<{ to: string; rule: Rule; index: number }> = [];
  const rules = table.chains.get(name)?.rules ?? [];
  for (let i = 0; i < rules.length; i++) {
    const t = rules[i]!.target;
    if (t.kind === 'jump' && table.chains.has(t.chain)) out.push({ to: t.chain, rule: rules[i]!, index: i });
  }
  return out;
}

/** Hooks from which each chain is reachable (bit `1 << Hook`), for the chains some built-in chain reaches. */
export function hookMasks(table: Table): Map<string, number> {
  const masks = new Map<string, number>();
  for (const c of table.chains.values()) {
    if (!c.builtin) continue;
    const bit = 1 << CHAIN_HOOK[c.name]!;
    const work = [c.name];
    masks.set(c.name, (masks.get(c.name) ?? 0) | bit);
    while (work.length) {
      const name = work.pop()!;
      for (const e of edges(table, name)) {
        const m = masks.get(e.to) ?? 0;
        if (m & bit) continue;
        masks.set(e.to, m | bit);
        work.push(e.to);
      }
    }
  }
  return masks;
}

/**
 * When each chain became reachable from each hook, as the kernel saw the
 * rules arrive one by one: for chain C and hook h, the smallest L such that
 * the rules with lines up to L hold a path of jumps from h's built-in chain
 * to C (0 for the built-in chain itself; absent when unreachable). nf_tables
 * validates a rule's matches and target against the hooks its chain is
 * reached from when the rule is added, and again for a chain's rules when a
 * jump makes it reachable from a new hook: a refusal names that line.
 */
export function hookReachLines(table: Table, lineOf: (rule: Rule) => number): Map<string, Map<number, number>> {
  const reach = new Map<string, Map<number, number>>();
  for (const c of table.chains.values()) {
    if (!c.builtin) continue;
    const hook = CHAIN_HOOK[c.name]!;
    // Bottleneck shortest paths: a path's line is its latest jump's; keep the earliest per chain.
    const best = new Map<string, number>([[c.name, 0]]);
    let changed = true;
    while (changed) {
      changed = false;
      for (const [from, at] of [...best]) {
        for (const e of edges(table, from)) {
          const l = Math.max(at, lineOf(e.rule));
          if (l < (best.get(e.to) ?? Infinity)) {
            best.set(e.to, l);
            changed = true;
          }
        }
      }
    }
    for (const [name, l] of best) {
      let m = reach.get(name);
      if (!m) reach.set(name, (m = new Map()));
      m.set(hook, l);
    }
  }
  return reach;
}

/** A rule the kernel's jump validation refuses. */
export interface JumpProblem {
  readonly kind: 'loop' | 'depth';
  /** The chain holding the rule and the rule's index in it. */
  readonly chain: string;
  readonly index: number;
  readonly rule: Rule;
  /** The jumps that lead there: built-in chain first (depth), or the loop's chains, first repeated at the end. */
  readonly path: readonly string[];
}

/**
 * What nf_tables' validation of the committed table refuses: one loop
 * reachable from a built-in chain (reported at the loop's rule written
 * last, the one whose addition closed it), and each rule that jumps from a
 * chain at depth 15 on its longest path from a built-in chain (so the
 * chain it names would sit at depth 16).
 */
export function jumpProblems(table: Table): JumpProblem[] {
  // Chains some built-in chain reaches.
  const reach = new Set<string>();
  const work: string[] = [];
  const visit = (name: string): void => {
    if (reach.has(name)) return;
    reach.add(name);
    work.push(name);
  };
  for (const c of table.chains.values()) if (c.builtin) visit(c.name);
  while (work.length) for (const e of edges(table, work.pop()!)) visit(e.to);
  // Longest paths by Kahn's order over the reachable chains; what stays unordered lies on or after a loop.
  const indeg = new Map<string, number>();
  for (const n of reach) indeg.set(n, 0);
  for (const n of reach) for (const e of edges(table, n)) indeg.set(e.to, indeg.get(e.to)! + 1);
  const level = new Map<string, number>();
  const pred = new Map<string, string>();
  const ready: string[] = [];
  for (const [n, d] of indeg) {
    if (d !== 0) continue;
    ready.push(n);
    level.set(n, 0);
  }
  let ordered = 0;
  const problems: JumpProblem[] = [];
  while (ready.length) {
    const n = ready.pop()!;
    ordered++;
    const l = level.get(n)!;
    for (const e of edges(table, n)) {
      if (l + 1 > (level.get(e.to) ?? -1)) {
        level.set(e.to, l + 1);
        pred.set(e.to, n);
      }
      const d = indeg.get(e.to)! - 1;
      indeg.set(e.to, d);
      if (d === 0) ready.push(e.to);
    }
  }
  for (const n of reach) {
    const l = level.get(n);
    if (l !== JUMP_STACK_SIZE - 1 || (indeg.get(n) ?? 0) > 0) continue;
    const path: string[] = [n];
    for (let p = pred.get(n); p !== undefined; p = pred.get(p)) path.unshift(p);
    for (const e of edges(table, n)) problems.push({ kind: 'depth', chain: n, index: e.index, rule: e.rule, path: [...path, e.to] });
  }
  if (ordered < reach.size) {
    // Every chain left has a predecessor left: walking predecessors must come back to a chain seen.
    const left = new Set([...reach].filter((n) => indeg.get(n)! > 0));
    const predLeft = new Map<string, string>();
    for (const n of left) for (const e of edges(table, n)) if (left.has(e.to) && !predLeft.has(e.to)) predLeft.set(e.to, n);
    const start = left.values().next().value!;
    const seen = new Map<string, number>();
    const walk: string[] = [];
    let at = start;
    while (!seen.has(at)) {
      seen.set(at, walk.length);
      walk.push(at);
      at = predLeft.get(at)!;
    }
    const cycle = walk.slice(seen.get(at)!).reverse(); // forward order
    let last: { chain: string; index: number; rule: Rule } | undefined;
    for (let i = 0; i < cycle.length; i++) {
      const from = cycle[i]!;
      const to = cycle[(i + 1) % cycle.length]!;
      for (const e of edges(table, from)) {
        if (e.to === to && (!last || e.rule.line > last.rule.line)) last = { chain: from, index: e.index, rule: e.rule };
      }
    }
    const k = cycle.indexOf(last!.chain);
    const loop = [...cycle.slice(k + 1), ...cycle.slice(0, k + 1)];
    problems.unshift({ kind: 'loop', chain: last!.chain, index: last!.index, rule: last!.rule, path: [...loop, loop[0]!] });
  }
  return problems;
}
