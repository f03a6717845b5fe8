/**
 * The contract of a match or target module (the `xt_*` units of the kernel
 * and `libxt_*` of iptables, in one place).
 *
 * A module declares its options as data; the rule parser collects the
 * options that belong to it (with `!` inversion and position) and hands them
 * to `parse`, which returns the module's compiled configuration. `check`
 * refuses what the kernel's checkentry refuses, with the kernel's reason.
 * `match`/`target` run per packet: they never throw and never parse text.
 * `save` prints the canonical `iptables-save` text of the options.
 */
import type { ModuleSettings } from './conntrack/module-params.js';
import type { TimeoutPolicy } from './conntrack/timeout-policy.js';
import { Family } from '../packet/inet-addr.js';
import { Hook, type GuestServices, type Skb, type XtParams } from './types.js';
import type { Ruleset } from './rules/model.js';
import type { IpsetStore } from './ipset/ipset.js';
import type { OsfFingers } from './matches/osf-fingers.js';
import type { NfacctSpec } from './nfacct.js';

export { Family };

/** Where a token stood in its source, for error messages. */
export interface SourcePos {
  line: number;
  column: number;
}

/** One option a module accepts. */
export interface OptionSpec {
  /** Long name without the dashes: `dport`. */
  readonly name: string;
  /** Other spellings accepted: `destination-port`. */
  readonly aliases?: readonly string[];
  /** How many argument tokens follow the option (0, 1 or 2). */
  readonly args: 0 | 1 | 2;
  /** May be preceded by `!`. */
  readonly invert?: boolean;
  /** May appear more than once in one rule. */
  readonly repeat?: boolean;
  /** Must appear (iptables: "option --x must be specified"). */
  readonly mandatory?: boolean;
  /**
   * With `args: 0`: the next word is the option's argument unless there is
   * none or it starts with `-` or `!` (libxt_rateest's rates, read from
   * argv[optind] by hand).
   */
  readonly optionalArg?: boolean;
  /** Names of options this one cannot be combined with. */
  readonly excludes?: readonly string[];
}

/** An option as it appeared in a rule, matched to its spec. */
export interface OptionUse {
  readonly spec: OptionSpec;
  /** The name as written (may be an alias). */
  readonly written: string;
  readonly args: readonly string[];
  readonly invert: boolean;
  readonly pos: SourcePos;
}

/** The rule's generic (IP header) part, as far as modules need to know it. */
export interface RuleHead {
  /** Protocol number from `-p`, 0 when absent (any). */
  readonly proto: number;
  readonly invProto: boolean;
  /** Whether `-f` (fragments only) is set, and inverted. */
  readonly fragment: boolean;
  readonly invFragment: boolean;
}

/** What `parse` knows about where the module stands. */
export interface ParseContext {
  /** The family of the rule file being loaded: Family.V4 (iptables) or Family.V6 (ip6tables). */
  readonly family: Family;
  readonly table: string;
  readonly chain: string;
  readonly head: RuleHead;
  /**
   * One map per rule file load, for modules whose rules share state by name
   * (hashlimit tables, recent lists): the first rule in the file that names
   * it sets it up, as when iptables-restore loads the rules in order.
   */
  readonly shared?: Map<string, unknown>;
  /** The IP sets `-m set` and `-j SET` may name (the guest's, restored before the rules); none when absent. */
  readonly ipsets?: IpsetStore;
  /** The machine's bridge ports (machine file `bridges:`); none when absent: `-m physdev` is refused. */
  readonly bridgePorts?: readonly string[];
  /** The cgroup2 paths that exist on the machine (`/a/b`); only the root `/` when absent. */
  readonly cgroups?: readonly string[];
  /** The helper modules' parameters (machine file `modules:`): their `ports` name the helpers `CT --helper` may give; the defaults when absent. */
  readonly modules?: ModuleSettings;
  /** The guest's timeout policies (machine file `cttimeout:`), which `CT --timeout` names; none when absent. */
  readonly cttimeout?: readonly TimeoutPolicy[];
  /** The rules are the guest's own iptables-save text, loaded again (LoadOptions.guestSave). */
  readonly guestSave?: boolean;
  /** The passive OS fingerprints loaded (machine file `osf:`, `-m osf`); none when absent. */
  readonly osf?: OsfFingers;
  /** The guest's accounting objects (machine file `nfacct:`) that `-m nfacct` may name; none when absent. */
  readonly nfacct?: readonly NfacctSpec[];
}

/** What `check` knows: the hooks from which the rule's chain is reachable. */
export interface CheckContext extends ParseContext {
  /** Bit mask of `1 << Hook` from which the chain is reachable. */
  readonly hookMask: number;
}

/**
 * A module's complaint about its options. `use` names the offending option
 * so the rule parser can point at its file, line and column.
 */
export class OptionError extends Error {
  constructor(
    message: string,
    readonly use?: OptionUse,
  ) {
    super(message);
    this.name = 'OptionError';
  }
}

/** A refusal at load time, with the kernel's reason (checkentry). */
export class CheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckError';
  }
}

interface ModuleBase<C> {
  /** The name after `-m` / `-j`, as iptables-save prints it. */
  readonly name: string;
  /** Other names accepted on input (e.g. `state` for a conntrack alias). */
  readonly aliases?: readonly string[];
  readonly options: readonly OptionSpec[];
  /**
   * The family the kernel registers the module for (its `xt_match.family`):
   * Family.V4 (libipt_*, `ipt_*`), Family.V6 (libip6t_*) or Family.Unspec
   * (both, NFPROTO_UNSPEC; the default). A rule file of the other family
   * cannot name the module: iptables reports it cannot load it.
   */
  readonly family?: Family;
  /**
   * When the kernel's module serves both families but cofw's code reads
   * the headers of one only: that family. A rule file of the other family
   * naming the module is refused as not emulated (never run on headers it
   * does not understand).
   */
  readonly emulates?: Family;
  /** Builds the configuration from the options; throws OptionError. */
  parse(uses: readonly OptionUse[], ctx: ParseContext): C;
  /** Refuses what the kernel refuses at load time; throws CheckError. */
  check?(config: C, ctx: CheckContext): void;
  /**
   * The per-namespace half of the kernel's checkentry, for modules whose
   * rules share state by name that the first rule loaded creates (a recent
   * list takes that rule's mask): called once per rule when the rule set is
   * installed in a guest, in the kernel's load order (see {@link attachRuleset}).
   */
  attach?(config: C, services: GuestServices): void;
  /** Canonical option text for iptables-save, without the leading `-m name`. */
  save(config: C): string;
}

export interface MatchModule<C = unknown> extends ModuleBase<C> {
  readonly kind: 'match';
  /** Per packet: true when the packet matches. Never throws. */
  match(config: C, skb: Skb, par: XtParams): boolean;
}

export interface TargetModule<C = unknown> extends ModuleBase<C> {
  readonly kind: 'target';
  /**
   * Per packet: NF_ACCEPT, NF_DROP, XT_CONTINUE or XT_RETURN. Never throws.
   * A target may change the packet in place (mangle), keeping checksums right.
   */
  target(config: C, skb: Skb, par: XtParams): number;
  /** Hooks the target may be used from (bit mask of `1 << Hook`); all when absent. */
  readonly hooks?: number;
  /** Tables the target may be used in; all when absent. */
  readonly tables?: readonly string[];
}

/** A module bound to its parsed configuration, as it sits in a rule. */
export interface BoundMatch {
  readonly module: MatchModule;
  readonly config: unknown;
}

export interface BoundTarget {
  readonly module: TargetModule;
  readonly config: unknown;
}

/** Built-in chains and the hook each is (a chain of that name is a base chain). */
export const BASE_CHAIN_HOOK: Readonly<Record<string, Hook>> = {
  PREROUTING: Hook.PreRouting,
  INPUT: Hook.LocalIn,
  FORWARD: Hook.Forward,
  OUTPUT: Hook.LocalOut,
  POSTROUTING: Hook.PostRouting,
};

/** Helper for module authors: hook bit masks. */
export function hookBits(...hooks: Hook[]): number {
  let m = 0;
  for (const h of hooks) m |= 1 << h;
  return m;
}

/** Defines a match module with its config type inferred. */
export function defineMatch<C>(m: Omit<MatchModule<C>, 'kind'>): MatchModule<C> {
  return { kind: 'match', ...m };
}

/** Defines a target module with its config type inferred. */
export function defineTarget<C>(t: Omit<TargetModule<C>, 'kind'>): TargetModule<C> {
  return { kind: 'target', ...t };
}

/**
 * Installs a loaded rule set in a guest: each rule's modules `attach` in
 * the order iptables-restore adds the rules (the file's line order). Call
 * it for the iptables rule set before the ip6tables one, as the kernel
 * sees them when iptables-restore runs before ip6tables-restore (the order
 * of Debian's netfilter-persistent and ufw, and of the kernel oracle):
 * state the two families share by name (recent lists) is created by the
 * iptables rule.
 */
export function attachRuleset(rs: Ruleset, services: GuestServices): void {
  const rules = [];
  for (const t of rs.tables.values()) for (const c of t.chains.values()) rules.push(...c.rules);
  rules.sort((a, b) => a.line - b.line);
  for (const r of rules) {
    for (const m of r.matches) m.module.attach?.(m.config, services);
    if (r.target.kind === 'module') r.target.module.attach?.(r.target.config, services);
  }
}
