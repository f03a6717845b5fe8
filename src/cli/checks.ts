/**
 * What `cofw replay` and `cofw diff` check besides the report:
 * expectations (`--expect FILE`, `--junit FILE`) and the rules no packet
 * hit (`--unused`). The rule files are loaded on the host too, as the
 * guest loads them (the machine's hosts), so that expectations can be
 * checked against their chains and rules before anything is replayed, and
 * rules named by their lines in the files.
 */
import { readFileSync } from 'node:fs';
import { machineFacts, type MachineSpec } from '../machine/spec.js';
import type { FateMsg } from '../machine/passage/index.js';
import type { SourceFrame } from '../conet/daemon.js';
import { Family } from '../packet/inet-addr.js';
import { hostsTable } from '../netfilter/rules/hosts.js';
import type { Ruleset } from '../netfilter/rules/model.js';
import { loadRuleset } from '../netfilter/rules/restore.js';
import { ruleLine } from '../netfilter/rules/save.js';
import { ExpectationRun, formatExpectations, junitXml, parseExpectations, type ExpectationResult } from '../report/expect.js';
import { RuleSets } from '../report/frame-fates.js';
import { InputError } from './errors.js';

/** A rule no packet hit. */
export interface UnusedRule {
  table: string;
  chain: string;
  /** 1-based number in its chain. */
  rule: number;
  ipv6?: boolean;
  /** The rule file and the line the rule was written on. */
  file: string;
  line: number;
  /** As iptables-save prints it. */
  text: string;
}

/** The rule files a replay runs, loaded on the host as the guest loads them. */
export function hostRuleSets(
  spec: MachineSpec,
  r: { rules?: string | undefined; rulesText?: string; rules6?: string | undefined; rules6Text?: string | undefined },
): RuleSets {
  const hosts = hostsTable(spec.hosts, spec.hostname);
  const extra = machineFacts(spec);
  const v4 = r.rules !== undefined && r.rulesText !== undefined ? loadRuleset(r.rulesText, r.rules, { hosts, ...extra }) : undefined;
  const v6 = r.rules6 !== undefined && r.rules6Text !== undefined ? loadRuleset(r.rules6Text, r.rules6, { family: Family.V6, hosts, ...extra }) : undefined;
  return new RuleSets(v4, v6);
}

/**
 * The rules of `counted` (a replay's final rule set) whose packet counter
 * is zero, named by the rule file `loaded` (same tables, chains and rules,
 * with their lines).
 */
export function unusedRules(counted: Ruleset | undefined, loaded: Ruleset | undefined): UnusedRule[] {
  const out: UnusedRule[] = [];
  if (!counted || !loaded) return out;
  const ipv6 = loaded.family === Family.V6;
  for (const t of loaded.tables.values()) {
    for (const c of t.chains.values()) {
      const cc = counted.tables.get(t.name)?.chains.get(c.name);
      c.rules.forEach((r, i) => {
        if ((cc?.rules[i]?.packets ?? 0) !== 0) return;
        out.push({ table: t.name, chain: c.name, rule: i + 1, ...(ipv6 ? { ipv6: true } : {}), file: loaded.file, line: r.line, text: ruleLine(c.name, r) });
      });
    }
  }
  return out;
}

/** The unused rules as text. */
export function formatUnused(unused: readonly UnusedRule[], total: number): string {
  const out = [`Unused rules (no packet hit them): ${unused.length} of ${total}`];
  for (const u of unused) out.push(`  ${`${u.file}:${u.line}`.padEnd(20)} ${`${u.ipv6 ? 'ip6:' : ''}${u.table}:${u.chain}:${u.rule}`.padEnd(22)} ${u.text}`);
  return out.join('\n') + '\n';
}

function ruleCount(rs: Ruleset | undefined): number {
  let n = 0;
  if (rs) for (const t of rs.tables.values()) for (const c of t.chains.values()) n += c.rules.length;
  return n;
}

/** The checks of one replay: feed it every frame's fate, then ask for the results. */
export interface ReplayChecks {
  onFrameFate?: (f: FateMsg, frame: SourceFrame, unit: number) => void;
  /** Results, text and JUnit XML after the replay. */
  finish(result: { ruleset?: Ruleset | undefined; ruleset6?: Ruleset | undefined }): CheckResults;
}

export interface CheckResults {
  expectations?: { file: string; passed: number; failed: number; results: ExpectationResult[] };
  unused?: UnusedRule[];
  /** What to print after the report. */
  text: string;
  junit?: string;
  /** An expectation failed. */
  failed: boolean;
}

/**
 * Prepares the checks the options ask for (undefined when none): reads
 * and checks the expectation file against the rule files and the machine
 * (ExpectFileError, with positions, when it is wrong).
 */
export function prepareChecks(
  o: { expect?: string | undefined; unused?: boolean | undefined; junit?: string | undefined },
  spec: MachineSpec,
  rules: RuleSets,
  started = new Date(),
): ReplayChecks | undefined {
  if (!o.expect && !o.unused) return undefined;
  let run: ExpectationRun | undefined;
  if (o.expect) {
    let text: string;
    try {
      text = readFileSync(o.expect, 'utf8');
    } catch (e) {
      throw new InputError(`${o.expect}: cannot read the expectation file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check the path`, {
        cause: e,
      });
    }
    run = new ExpectationRun(parseExpectations(text, o.expect, { rules, devices: spec.devices }), { rules, spec });
  }
  const r = run;
  return {
    ...(r ? { onFrameFate: (f: FateMsg, frame: SourceFrame, unit: number) => r.frame(f, frame, unit) } : {}),
    finish(result) {
      const out: CheckResults = { text: '', failed: false };
      if (o.unused) {
        out.unused = [...unusedRules(result.ruleset, rules.v4), ...unusedRules(result.ruleset6, rules.v6)];
        out.text += '\n' + formatUnused(out.unused, ruleCount(rules.v4) + ruleCount(rules.v6));
      }
      if (r && o.expect) {
        const results = r.finish(result);
        const failed = results.filter((x) => !x.passed).length;
        out.expectations = { file: o.expect, passed: results.length - failed, failed, results };
        out.failed = failed > 0;
        out.text += '\n' + formatExpectations(results, o.expect);
        if (o.junit) out.junit = junitXml(results, { file: o.expect, seconds: (Date.now() - started.getTime()) / 1000, timestamp: started });
      }
      return out;
    },
  };
}
