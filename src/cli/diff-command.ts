/**
 * `cofw diff CAPTURE... --rules OLD.v4 --rules-new NEW.v4`: replays the
 * captures through the old rule files, then through the new ones, on the
 * same machine, and reports every connection whose frames change fate
 * (src/report/diff.ts), the rules only one side hits, and, with
 * `--expect`, the expectations checked on the new side. The first
 * replay's per-frame fates go to a temporary file (FrameFateLog), which
 * the second reads back as its own fates come: neither holds the capture.
 */
import { FateKind } from '../netfilter/fate.js';
import type { MachineSpec } from '../machine/spec.js';
import { Flow, readFrameFlow } from '../packet/flow.js';
import { partialNote, replay, type ReplayResult } from '../replay.js';
import { DiffCollector, FrameFateLog, Interner, fateCode, fateOf, formatDiff, oneSidedRules, type DiffResult, type DiffSide } from '../report/diff.js';
import { deciderOf, frameFate, type RuleSets } from '../report/frame-fates.js';
import { prepareCaptures, type PreparedCaptures } from './captures.js';
import { hostRuleSets, prepareChecks, type CheckResults } from './checks.js';
import { EXIT_DAMAGED, EXIT_FINDINGS, EXIT_OK } from './errors.js';
import { Interrupts } from './interrupts.js';
import type { ReplayOutputs } from './outputs.js';
import { printable } from './printable.js';
import { GuessInterrupted, interruptedEarly, machineFor } from './replay-command.js';

export interface DiffCommandOptions {
  /** The old rule files (either may be missing: an empty rule set) and their texts. */
  rules?: string;
  rulesText: string;
  rules6?: string;
  rules6Text?: string;
  /** The new ones (the old one of a family when not given). */
  rulesNew?: string;
  rulesNewText: string;
  rules6New?: string;
  rules6NewText?: string;
  machine?: string;
  local?: string[];
  json?: string;
  expect?: string;
  junit?: string;
  fail?: 'closed' | 'open';
  top: number;
  quiet?: boolean;
}

/** What a frame's fate is recorded as on the old side: its fate code and what decided it. */
interface Side {
  readonly rules: RuleSets;
  readonly deciders: Interner;
  /** Rule texts by decider id. */
  readonly texts: Array<string | undefined>;
}

function sideOf(rules: RuleSets): Side {
  return { rules, deciders: new Interner(), texts: [undefined] };
}

/** The frame's fate and decider on a side: [fate code, decider id]. */
function record(side: Side, kind: FateKind, site: Parameters<typeof frameFate>[1], reason: string | undefined, policy: 'open' | 'closed'): [number, number] {
  const code = fateCode(frameFate(kind, site, side.rules, policy));
  const decider = deciderOf(kind, site, reason);
  const id = side.deciders.id(decider);
  if (id === side.texts.length) side.texts.push(site && kind !== FateKind.DroppedByStack ? side.rules.text(site) : undefined);
  return [code, id];
}

function diffSide(side: Side, code: number, id: number): DiffSide {
  const rule = side.texts[id];
  return { fate: fateOf(code) ?? 'dropped', decider: side.deciders.names[id] ?? '', ...(rule ? { rule } : {}) };
}

/** `cofw diff` with its outputs opened (the JSON report, the JUnit XML); returns the exit code. */
export async function runDiff(captures: string[], o: DiffCommandOptions, outputs: ReplayOutputs): Promise<number> {
  let caps: PreparedCaptures | undefined;
  let log: FrameFateLog | undefined;
  const progress = !o.quiet && process.stderr.isTTY;
  const intr = new Interrupts({
    onStop: (sig) =>
      process.stderr.write(`${progress ? '\r\x1b[K' : '\n'}cofw: ${sig}: stopping: the diff covers the frames read so far (interrupt again to stop at once)\n`),
    onForce: (code) => {
      outputs.files.discard();
      log?.close();
      caps?.cleanup();
      process.exit(code);
    },
  });
  intr.install();
  try {
    caps = await prepareCaptures(captures, intr.stage());
    const signal = intr.stage();
    let m: { spec: MachineSpec; name: string };
    try {
      m = await machineFor(caps.paths, o, signal);
    } catch (e) {
      if (e instanceof GuessInterrupted) {
        outputs.files.discard();
        return interruptedEarly(intr);
      }
      throw e;
    }
    const spec: MachineSpec = o.fail ? { ...m.spec, failPolicy: o.fail } : m.spec;
    const policy = spec.failPolicy;
    const oldRules = hostRuleSets(spec, { rules: o.rulesText ? o.rules : undefined, rulesText: o.rulesText, rules6: o.rules6, rules6Text: o.rules6Text });
    const newRules = hostRuleSets(spec, {
      rules: o.rulesNewText ? (o.rulesNew ?? o.rules) : undefined,
      rulesText: o.rulesNewText,
      rules6: o.rules6New ?? o.rules6,
      rules6Text: o.rules6NewText,
    });
    const checks = prepareChecks(o, spec, newRules);
    const oldSide = sideOf(oldRules);
    const newSide = sideOf(newRules);
    const diff = new DiffCollector();
    const flow = new Flow();
    log = new FrameFateLog();
    const theLog = log;
    let last = 0;
    const onProgress = (what: string) => (n: number) => {
      const now = Date.now();
      if (now - last > 200) {
        last = now;
        process.stderr.write(`\rcofw: ${what}: ${n} frames replayed`);
      }
    };
    const run = async (
      which: 'old' | 'new',
      rules: string | undefined,
      rulesText: string,
      rules6: string | undefined,
      rules6Text: string | undefined,
      onFrameFate: Parameters<typeof replay>[0]['onFrameFate'],
    ): Promise<ReplayResult> => {
      try {
        return await replay({
          rulesFile: rules ?? '(no iptables rule file)',
          rulesText,
          ...(rules6 !== undefined ? { rules6File: rules6, rules6Text: rules6Text ?? '' } : {}),
          machine: spec,
          captures: caps!.paths,
          signal,
          ...(onFrameFate ? { onFrameFate } : {}),
          ...(progress ? { onProgress: onProgress(`${which} rules`) } : {}),
        });
      } catch (e) {
        if (e instanceof Error) e.message = caps!.shown(e.message);
        throw e;
      }
    };
    const a = await run('old', o.rules, o.rulesText, o.rules6, o.rules6Text, (f, _frame) => {
      const [code, id] = record(oldSide, f.kind, f.site, f.reason, policy);
      theLog.set(f.frameNo, code, id);
    });
    const b = await run('new', o.rulesNew ?? o.rules, o.rulesNewText, o.rules6New ?? o.rules6, o.rules6NewText, (f, frame, unit) => {
      checks?.onFrameFate?.(f, frame, unit);
      const [code, id] = record(newSide, f.kind, f.site, f.reason, policy);
      const old = theLog.get(f.frameNo);
      // A frame the old replay never reached (it was interrupted earlier) is not compared.
      if (old.code === 0) return;
      if (old.code === code) {
        diff.same();
        return;
      }
      const ip = readFrameFlow(frame.data, flow);
      diff.differ(
        f.frameNo,
        frame.tsNs,
        ip ? flow : undefined,
        ip ? flow.ipLen : frame.data.length,
        diffSide(oldSide, old.code, old.id),
        diffSide(newSide, code, id),
      );
    });
    if (progress) process.stderr.write('\r\x1b[K');
    intr.finalStage();
    const { summary, connections } = diff.finish();
    const result: DiffResult = {
      summary,
      connections,
      rules: oneSidedRules(
        { counted: [a.ruleset, a.ruleset6], named: [oldRules.v4, oldRules.v6] },
        { counted: [b.ruleset, b.ruleset6], named: [newRules.v4, newRules.v6] },
      ),
    };
    const found: CheckResults | undefined = checks?.finish(b);
    const name = (v4?: string, v6?: string): string => [v4, v6].filter((x) => x).join(' + ');
    const oldName = name(o.rules, o.rules6);
    const newName = name(o.rulesNew ?? o.rules, o.rules6New ?? o.rules6);
    const interrupted = a.interrupted ?? b.interrupted;
    const t = outputs.text;
    if (t.json) {
      t.json.write(
        JSON.stringify(
          {
            old: { rules: o.rules ?? null, rules6: o.rules6 ?? null },
            new: { rules: o.rulesNew ?? o.rules ?? null, rules6: o.rules6New ?? o.rules6 ?? null },
            machine: m.name,
            complete: !interrupted,
            ...(interrupted ? { interrupted } : {}),
            ...result,
            ...(found?.expectations ? { expectations: found.expectations } : {}),
            damage: b.damage,
          },
          null,
          2,
        ) + '\n',
      );
    }
    if (found?.junit) t.junit?.write(found.junit);
    outputs.files.commit();
    let text = formatDiff(result, { old: oldName, new: newName, top: o.top });
    if (b.damage.length)
      text += `\nDamaged input (what came before the damage was replayed):\n${b.damage.map((d) => `  ${caps!.shown(d.message)}`).join('\n')}\n`;
    if (found?.text) text += found.text.replace(/^\nExpectations \(([^)]*)\)/m, '\nExpectations ($1, on the new rules)');
    process.stdout.write(printable(text));
    if (interrupted) {
      process.stderr.write(printable(`cofw: ${caps.shown(partialNote(interrupted)).replace(/^cofw: PARTIAL: /, '')}; the diff covers only those\n`));
      return intr.exitCode || 130;
    }
    if (summary.differing > 0 || found?.failed) return EXIT_FINDINGS;
    return b.damage.length ? EXIT_DAMAGED : EXIT_OK;
  } finally {
    intr.uninstall();
    outputs.files.discard();
    log?.close();
    caps?.cleanup();
  }
}
