/**
 * State that several rules share by name, as the kernel shares hashlimit
 * tables and recent lists per network namespace.
 *
 * Two halves:
 * - at load time, rules naming the same table join one *group*, whose
 *   settings are the first rule's (the kernel creates the table at the first
 *   rule's checkentry and later rules reuse it). Groups live in
 *   `ParseContext.shared` when the rule loader provides one map per load
 *   (see {@link SharedParseContext}); without it every rule starts its own
 *   group, and the first rule to see a packet creates the table;
 * - at run time, the table itself belongs to the guest: it is found by name
 *   in a registry keyed by the guest's `GuestServices` object, once per rule
 *   and guest (the rule caches it), so two replays never share state.
 */
import type { ParseContext } from '../xt.js';
import type { GuestServices } from '../types.js';

/** A ParseContext that may carry one map per rule-set load, for state shared by name. */
export interface SharedParseContext extends ParseContext {
  readonly shared?: Map<string, unknown>;
}

/** The group of `key` in the load's shared map, created by `make` when the load has none yet (or no map). */
export function groupOf<G>(ctx: ParseContext, key: string, make: () => G): G {
  const shared = (ctx as SharedParseContext).shared;
  const have = shared?.get(key) as G | undefined;
  if (have !== undefined) return have;
  const g = make();
  shared?.set(key, g);
  return g;
}

const registries = new WeakMap<GuestServices, Map<string, unknown>>();

/** The guest's table named `key`, created by `make` on first use. */
export function guestTable<T>(svc: GuestServices, key: string, make: () => T): T {
  let reg = registries.get(svc);
  if (!reg) {
    reg = new Map();
    registries.set(svc, reg);
  }
  let t = reg.get(key) as T | undefined;
  if (t === undefined) {
    t = make();
    reg.set(key, t);
  }
  return t;
}

/** xt_check_proc_name: a name the kernel can use as a /proc file name; the reason when not. */
export function procNameProblem(name: string, max: number): string | undefined {
  if (name.length === 0) return 'the name is empty';
  if (name.length >= max) return `the name is longer than ${max - 1} characters`;
  if (name === '.' || name === '..') return `"${name}" is not a valid name`;
  if (name.includes('/')) return 'the name contains "/"';
  return undefined;
}
