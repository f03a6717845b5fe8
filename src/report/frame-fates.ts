/**
 * A captured frame's fate in an administrator's words, and what decided
 * it: the vocabulary `cofw diff` and the expectations (`--expect`) share.
 *
 * Fates: `forwarded`, `delivered` (to the firewall itself), `sent` (by the
 * firewall itself), `bridged` (not IP, passed unfiltered), `dropped` (by a
 * rule, a policy or the stack), `rejected` (dropped by a REJECT rule, which
 * answered it), `fail-open` / `fail-closed` (after a guest oops, the fail
 * policy), `outbound` (a copy seen leaving the capture point, not
 * replayed). What decided it: the rule or policy (`filter:INPUT:3`,
 * `filter:INPUT:policy`, `ip6:filter:FORWARD:2`; for a packet that got
 * through, the filter table's verdict that let it), the stack's reason
 * (`stack: IP_CSUM`), or nothing (no filter table saw it).
 *
 * @example
 * const rules = new RuleSets(loadRuleset(v4text, 'rules.v4'));
 * frameFate(FateKind.DroppedByRule, { table: 'filter', chain: 'INPUT', rule: 3 }, rules, 'closed'); // 'rejected' if rule 3 is -j REJECT
 */
import { FateKind, type DropSite } from '../netfilter/fate.js';
import type { Rule, Ruleset } from '../netfilter/rules/model.js';
import { ruleLine } from '../netfilter/rules/save.js';

export type FrameFate = 'forwarded' | 'delivered' | 'sent' | 'bridged' | 'dropped' | 'rejected' | 'fail-open' | 'fail-closed' | 'outbound';

/** Every fate, in a fixed order (their codes in compact per-frame records are index + 1). */
export const FRAME_FATES: readonly FrameFate[] = ['forwarded', 'delivered', 'sent', 'bridged', 'dropped', 'rejected', 'fail-open', 'fail-closed', 'outbound'];

/** Fates of frames that got through. */
export function passed(f: FrameFate): boolean {
  return f === 'forwarded' || f === 'delivered' || f === 'sent' || f === 'bridged' || f === 'fail-open';
}

/** The iptables and ip6tables rule sets a replay ran, to name and read the rules its fates name. */
export class RuleSets {
  constructor(
    readonly v4?: Ruleset,
    readonly v6?: Ruleset,
  ) {}

  /** The rule set of a site's family. */
  of(site: { ipv6?: boolean | undefined }): Ruleset | undefined {
    return site.ipv6 ? this.v6 : this.v4;
  }

  /** The rule at a site (undefined for a policy, or when there is none). */
  rule(site: DropSite): Rule | undefined {
    if (site.rule === 0) return undefined;
    return this.of(site)?.tables.get(site.table)?.chains.get(site.chain)?.rules[site.rule - 1];
  }

  /** Is the rule at `site` a REJECT rule? */
  isReject(site: DropSite): boolean {
    const t = this.rule(site)?.target;
    return t?.kind === 'module' && t.module.name === 'REJECT';
  }

  /** The site's text as iptables-save prints it (`-A INPUT ... -j DROP`, `-P INPUT DROP`), when it exists. */
  text(site: DropSite): string | undefined {
    const c = this.of(site)?.tables.get(site.table)?.chains.get(site.chain);
    if (!c) return undefined;
    if (site.rule === 0) return c.builtin ? `-P ${c.name} ${c.policy}` : undefined;
    const r = c.rules[site.rule - 1];
    return r ? ruleLine(c.name, r) : undefined;
  }

  /** The site's line in its rule file (0 when unknown). */
  line(site: DropSite): number {
    return this.rule(site)?.line ?? 0;
  }

  /** The rule file a site belongs to. */
  file(site: { ipv6?: boolean | undefined }): string {
    return this.of(site)?.file ?? '';
  }
}

/** A site's short name: `filter:INPUT:3`, `filter:INPUT:policy`, `ip6:filter:INPUT:3`. */
export function siteName(site: DropSite): string {
  return `${site.ipv6 ? 'ip6:' : ''}${site.table}:${site.chain}:${site.rule === 0 ? 'policy' : site.rule}`;
}

/** The fate of a captured frame from its fate record. */
export function frameFate(kind: FateKind, site: DropSite | undefined, rules: RuleSets, failPolicy: 'open' | 'closed'): FrameFate {
  switch (kind) {
    case FateKind.Forwarded:
      return 'forwarded';
    case FateKind.Delivered:
      return 'delivered';
    case FateKind.Sent:
      return 'sent';
    case FateKind.Bridged:
      return 'bridged';
    case FateKind.DroppedByRule:
      return site && rules.isReject(site) ? 'rejected' : 'dropped';
    case FateKind.FailPolicy:
      return failPolicy === 'open' ? 'fail-open' : 'fail-closed';
    case FateKind.Outbound:
      return 'outbound';
    default:
      return 'dropped';
  }
}

/**
 * What decided a frame's fate, as one string: the site's name, `stack:
 * REASON` for the stack's drops (and `fail: REASON` for the fail policy),
 * or '' when nothing did (no filter table saw a packet that got through).
 */
export function deciderOf(kind: FateKind, site: DropSite | undefined, reason: string | undefined): string {
  if (site && kind !== FateKind.DroppedByStack) return siteName(site);
  if (kind === FateKind.DroppedByStack) return `stack: ${reason ?? 'dropped'}${site ? ` (at ${siteName(site)})` : ''}`;
  if (kind === FateKind.FailPolicy) return `fail: ${reason ?? 'guest stopped'}`;
  return '';
}
