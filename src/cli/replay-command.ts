/**
 * `cofw replay`: checks and opens every output (src/cli/outputs.ts), makes
 * pipes and standard input readable (src/cli/captures.ts), builds the
 * machine (from a machine file, from --local, or guessed from the capture),
 * replays, writes the outputs, puts them all in place together and prints
 * the report. An interrupt (src/cli/interrupts.ts) stops the reading; the
 * outputs are still written, for the frames replayed, and marked partial.
 */
import { readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { openCaptures } from '../capture/index.js';
import { defaultMachine, LocalAddressGuesser, loadMachineFile, machineFileText, parseCidr, parseMachineFile } from '../machine/machine-file.js';
import type { MachineSpec } from '../machine/spec.js';
import { formatIPv4 } from '../packet/addr.js';
import { formatReport } from '../report/text.js';
import { htmlReport } from '../report/html.js';
import { jsonReportText } from '../report/json.js';
import { partialNote, replay, replayShard, type ReplayResult } from '../replay.js';
import { captureDigests, ShardWriter, type ShardInputs, type ShardSet } from '../workers/shard-dir.js';
import { prepareCaptures, type PreparedCaptures } from './captures.js';
import { EXIT_BAD_INPUT, EXIT_DAMAGED, EXIT_FINDINGS, EXIT_OK, InputError } from './errors.js';
import { hostRuleSets, prepareChecks, type CheckResults } from './checks.js';
import { Interrupts, type InterruptSignal } from './interrupts.js';
import type { ReplayOutputs } from './outputs.js';
import { printable } from './printable.js';
import { ReplayProgress, type ProgressPosition } from './progress.js';
import { compileFilter } from '../packet/filter.js';
import { formatTrace, traceEvents } from '../report/trace-text.js';
import { MAX_TRACED_FRAMES, selectFrames } from './trace-select.js';

export interface ReplayCommandOptions {
  rules: string;
  rulesText: string;
  /** An ip6tables rule file, and its text. */
  rules6?: string;
  rules6Text?: string;
  /** Where to write the ip6tables rules with their counters. */
  save6?: string;
  /** An ipset file (`ipset save` format), and its text: restored before the rules load. */
  ipsets?: string;
  ipsetsText?: string;
  /** Where to write the sets after the replay (`ipset save`). */
  saveIpsets?: string;
  /** Where to write the accounting objects after the replay (`nfacct list`). */
  saveNfacct?: string;
  machine?: string;
  local?: string[];
  accepted?: string;
  dropped?: string;
  outFormat?: 'pcap' | 'pcapng';
  splitBy?: 'rule';
  splitDir?: string;
  save?: string;
  console?: string;
  conntrack?: string;
  conntrackExpect?: string;
  json?: string;
  /** The HTML report (src/report/html.ts). */
  report?: string;
  fail?: 'closed' | 'open';
  top: number;
  quiet?: boolean;
  /** Expectations to check (YAML), and where to write their JUnit XML. */
  expect?: string;
  junit?: string;
  /** List the rules no packet hit. */
  unused?: boolean;
  /** Worker threads (src/workers/); 1 unless asked (sharding is not yet faster than one guest: bench/RESULTS.md). */
  workers?: number;
  /** The machine as already built (a merge: the shards' machine), instead of --machine / --local / a guess. */
  machineSpec?: { spec: MachineSpec; name: string };
  /** A merge: the shard directories, whose records stand in for the guests (src/workers/shard-dir.ts). */
  shards?: ShardSet;
}

/** `cofw replay --shard I/N --shard-dir DIR`. */
export interface ShardOptions {
  shard?: { index: number; of: number };
  shardDir?: string;
}

/** `cofw merge`'s options: a replay's outputs, and where the captures are. */
export type MergeOptions = Omit<ReplayCommandOptions, 'rules' | 'rulesText' | 'machine' | 'local' | 'workers' | 'fail'> & { capture?: string[] };

/**
 * A shard run (`cofw replay --shard I/N --shard-dir DIR`): replays the
 * connections of shard I (src/workers/shard-dir.ts) and writes its
 * directory. The machine is written there as machine file text and read
 * back from it, so the merge builds the very machine the shard ran.
 */
export async function runShard(
  captures: string[],
  o: Omit<ReplayCommandOptions, 'rulesText'> & { rulesText: string; shard: { index: number; of: number }; shardDir: string },
): Promise<number> {
  const name = `--shard ${o.shard.index}/${o.shard.of}`;
  for (const c of captures) {
    let ok = false;
    try {
      ok = statSync(c).isFile();
    } catch (e) {
      throw new InputError(`${c}: cannot read the capture (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check the path`, { cause: e });
    }
    if (!ok) throw new InputError(`${c}: ${name} reads captures from regular files (\`cofw merge\` reads them again); copy it to a file first`);
  }
  const m = await machineFor(captures, o);
  const machineText = o.machine ? readFileSync(o.machine, 'utf8') : machineFileText(m.spec);
  const parsed = parseMachineFile(machineText, o.machine ?? m.name);
  const spec: MachineSpec = o.fail ? { ...parsed, failPolicy: o.fail } : parsed;
  const sets = ipsetsOf(o, spec);
  const digests = await captureDigests(captures);
  const inputs: ShardInputs = {
    rulesFile: o.rules,
    rulesText: o.rulesText,
    ...(o.rules6 !== undefined ? { rules6File: o.rules6, rules6Text: o.rules6Text ?? '' } : {}),
    ...(sets.ipsetsFile !== undefined ? { ipsetsFile: sets.ipsetsFile, ipsetsText: sets.ipsetsText ?? '' } : {}),
    machineName: o.machine ?? m.name,
    machineText,
    ...(o.fail ? { fail: o.fail } : {}),
    captures: digests,
  };
  const writer = new ShardWriter(o.shardDir, o.shard.index, o.shard.of);
  const r = await replayShard(
    {
      rulesFile: o.rules,
      rulesText: o.rulesText,
      ...(o.rules6 !== undefined ? { rules6File: o.rules6, rules6Text: o.rules6Text ?? '' } : {}),
      ...sets,
      machine: spec,
      captures,
    },
    writer,
    inputs,
  );
  if (r.notExact) {
    process.stderr.write(
      printable(
        `cofw: ${name}: this capture cannot be sharded exactly: ${r.notExact}; \`cofw merge\` will refuse the shards: replay it on one machine (without --shard)\n`,
      ),
    );
    return EXIT_BAD_INPUT;
  }
  if (!o.quiet)
    process.stderr.write(
      printable(`cofw: ${name}: ${r.frames} frames read; this shard's results are in ${o.shardDir} (merge every shard's directory with \`cofw merge\`)\n`),
    );
  return EXIT_OK;
}

/** What `cofw merge` replays with: the inputs the shards recorded, the outputs asked for. */
export function mergeCommandOptions(o: MergeOptions, set: ShardSet): ReplayCommandOptions {
  const i = set.inputs;
  const parsed = parseMachineFile(i.machineText, i.machineName);
  return {
    ...o,
    rules: i.rulesFile,
    rulesText: i.rulesText,
    ...(i.rules6File !== undefined ? { rules6: i.rules6File, rules6Text: i.rules6Text ?? '' } : {}),
    ...(i.ipsetsFile !== undefined ? { ipsets: i.ipsetsFile, ipsetsText: i.ipsetsText ?? '' } : {}),
    machineSpec: { spec: i.fail ? { ...parsed, failPolicy: i.fail } : parsed, name: i.machineName },
    shards: set,
  };
}

/**
 * The workers of a replay: as asked, else one. Two workers measured slower
 * than one on 2 cores (bench/RESULTS.md), so sharding is opt-in until it pays.
 */
function workersFor(o: { workers?: number }): number {
  return o.workers ?? 1;
}

/** The machine guess was cut short by an interrupt: nothing is replayed. */
export class GuessInterrupted extends Error {}

export async function machineFor(
  captures: string[],
  o: { machine?: string; local?: string[] },
  signal?: AbortSignal,
): Promise<{ spec: MachineSpec; name: string }> {
  if (o.machine) return { spec: loadMachineFile(o.machine), name: o.machine };
  if (o.local?.length) {
    const addrs = o.local.map((t) => {
      const c = parseCidr(t);
      if (!c) throw new InputError(`--local ${t}: expected an IPv4 address with an optional /prefix, such as 192.0.2.1/24`);
      return c;
    });
    return { spec: defaultMachine(addrs), name: `eth0 with ${o.local.join(', ')} (from --local)` };
  }
  // Neither: guess the firewall's addresses from a first pass over the captures.
  const guesser = new LocalAddressGuesser();
  const { frames } = openCaptures(captures);
  for await (const f of frames) {
    if (signal?.aborted) break;
    guesser.observe(f.data);
  }
  const guess = guesser.propose();
  if (!guess.addrs.length) {
    if (signal?.aborted) throw new GuessInterrupted();
    throw new InputError(
      `cannot tell which addresses are the firewall's own from ${captures.join(', ')}: give them with --local ADDR/PREFIX or a machine file (--machine)`,
    );
  }
  const spec = defaultMachine(guess.addrs);
  process.stderr.write(
    `cofw: no machine file: taking ${guess.addrs.map(formatIPv4).join(', ')} as the firewall's addresses (${guess.how}).\n` +
      `cofw: if that is wrong, pass --local or a machine file like this one:\n${machineFileText(spec).replace(/^/gm, '    ')}\n`,
  );
  return { spec, name: `guessed: eth0 with ${guess.addrs.map(formatIPv4).join(', ')}` };
}

export interface TraceCommandOptions {
  rules: string;
  rulesText: string;
  rules6?: string;
  rules6Text?: string;
  ipsets?: string;
  ipsetsText?: string;
  machine?: string;
  local?: string[];
  /** Which frames: a list, a filter expression (src/packet/filter.ts), or the connection of a frame. */
  frames?: Array<[number, number]>;
  match?: string;
  flow?: number;
  /** human (src/report/trace-text.ts) or kernel (the TRACE target's lines). */
  format?: 'human' | 'kernel';
}

/** The ipset file of a replay: --ipsets, else the machine file's `ipsets:` (read here), else none. */
function ipsetsOf(o: { ipsets?: string; ipsetsText?: string }, spec: MachineSpec): { ipsetsFile?: string; ipsetsText?: string } {
  if (o.ipsets !== undefined) return { ipsetsFile: o.ipsets, ipsetsText: o.ipsetsText ?? '' };
  if (spec.ipsets === undefined) return {};
  try {
    return { ipsetsFile: spec.ipsets, ipsetsText: readFileSync(spec.ipsets, 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`${spec.ipsets}: cannot read the ipset file the machine file names (ipsets:) (${code ?? (e as Error).message}); check the path`, {
      cause: e,
    });
  }
}

/** `cofw trace`: replays with the chosen frames traced and prints what they met (or the TRACE lines, with format kernel). */
export async function runTrace(captures: string[], o: TraceCommandOptions): Promise<number> {
  let caps: PreparedCaptures | undefined;
  const intr = new Interrupts({
    onStop: (sig) => process.stderr.write(`\ncofw: ${sig}: stopping after the frames read so far\n`),
    onForce: (code) => {
      caps?.cleanup();
      process.exit(code);
    },
  });
  intr.install();
  try {
    caps = await prepareCaptures(captures, intr.stage());
    const signal = intr.stage();
    let result: ReplayResult;
    let frames = o.frames ?? [];
    try {
      if (!o.frames) {
        const sel = await selectFrames(caps.paths, { ...(o.match ? { match: compileFilter(o.match) } : {}), ...(o.flow ? { flow: o.flow } : {}) }, signal);
        frames = sel.ranges;
        const what = o.match ? `--match ${o.match}` : `--flow ${o.flow}`;
        if (!sel.matched) {
          process.stdout.write(printable(`no frame matches ${what}\n`));
          return EXIT_OK;
        }
        if (sel.matched > MAX_TRACED_FRAMES)
          process.stderr.write(printable(`cofw: ${sel.matched} frames match ${what}; tracing the first ${MAX_TRACED_FRAMES} (narrow it to see the others)\n`));
      }
      const { spec } = await machineFor(caps.paths, o, signal);
      result = await replay({
        rulesFile: o.rules,
        rulesText: o.rulesText,
        ...(o.rules6 !== undefined ? { rules6File: o.rules6, rules6Text: o.rules6Text ?? '' } : {}),
        ...ipsetsOf(o, spec),
        machine: spec,
        captures: caps.paths,
        trace: frames,
        signal,
      });
    } catch (e) {
      if (e instanceof GuessInterrupted) return interruptedEarly(intr);
      if (e instanceof Error) e.message = caps.shown(e.message);
      throw e;
    }
    const lines = result.console.filter((l) => l.includes('TRACE: '));
    let out = '';
    if (!lines.length) out += `no frame in ${frames.map(([a, b]) => (a === b ? a : `${a}-${b}`)).join(',')} (the capture has ${result.framesIn} frames)\n`;
    else if (o.format !== 'kernel') out += formatTrace(traceEvents(result.console), { ruleset: result.ruleset, ruleset6: result.ruleset6 });
    else
      for (const l of lines) {
        out += l.replace(/^\[[^\]]*\]\s*/, '') + '\n';
        if (/TRACE: frame=\d+ /.test(l)) out += '\n';
      }
    process.stdout.write(printable(out));
    const cut = result.console.at(-1)?.match(/^cocon: (\d+) further console lines not kept$/);
    if (cut) {
      const last = [...lines]
        .reverse()
        .find((l) => /TRACE: frame=\d+ /.test(l))
        ?.match(/TRACE: frame=(\d+) /)?.[1];
      process.stderr.write(
        `cofw: the trace was cut: the guest's console keeps ${result.console.length - 1} lines and ${cut[1]} more were not kept; ` +
          `${last ? `the last frame traced in full is frame ${last}; ` : ''}trace fewer frames at a time (--frames ${last ? Number(last) + 1 : 'A'}-...)\n`,
      );
    }
    if (intr.received) {
      process.stderr.write(printable(`cofw: ${caps.shown(partialNote(result.interrupted ?? { reason: intr.received, framesRead: result.framesIn }))}\n`));
      return intr.exitCode;
    }
    return result.damage.length ? EXIT_DAMAGED : EXIT_OK;
  } finally {
    intr.uninstall();
    caps?.cleanup();
  }
}

/** An interrupt came before the replay could begin: nothing is written. */
export function interruptedEarly(intr: Interrupts): number {
  process.stderr.write(`cofw: interrupted (${intr.received ?? 'signal'}) before the replay began: nothing replayed, no output written\n`);
  return intr.exitCode || 130;
}

/** The JSON report's fields for the checks: `expectations`, `unused`. */
function jsonChecks(found: CheckResults | undefined): object {
  return { ...(found?.expectations ? { expectations: found.expectations } : {}), ...(found?.unused ? { unused: found.unused } : {}) };
}

/** The temporary paths in a result's names replaced by the user's names. */
function showNames(result: ReplayResult, caps: PreparedCaptures): void {
  for (const d of result.damage) {
    d.file = caps.shown(d.file);
    d.message = caps.shown(d.message);
  }
  if (result.interrupted?.lastFrame) result.interrupted.lastFrame.file = caps.shown(result.interrupted.lastFrame.file);
}

/**
 * `cofw replay` with its outputs already checked and opened
 * (openReplayOutputs): replays, writes them, puts them in place and prints
 * the report. Returns the exit code.
 */
export async function runReplay(captures: string[], o: ReplayCommandOptions, outputs: ReplayOutputs): Promise<number> {
  let caps: PreparedCaptures | undefined;
  const progress = !o.quiet && process.stderr.isTTY;
  let bar: ReplayProgress | undefined;
  const intr = new Interrupts({
    onStop: (sig: InterruptSignal) =>
      process.stderr.write(
        `${progress ? '\r\x1b[K' : '\n'}cofw: ${sig}: stopping: the frames read are finished and the outputs written for them, marked partial (interrupt again to stop at once, writing nothing)\n`,
      ),
    onForce: (code: number, sig: InterruptSignal) => {
      outputs.files.discard();
      caps?.cleanup();
      process.stderr.write(`cofw: ${sig} again: stopped at once; no output written (earlier files of those names are as they were)\n`);
      process.exit(code);
    },
  });
  intr.install();
  try {
    caps = await prepareCaptures(captures, intr.stage());
    // A fresh stage when the copying of a pipe was interrupted: what came is replayed.
    const signal = intr.stage();
    let result: ReplayResult;
    let name: string;
    let found: CheckResults | undefined;
    try {
      const m = o.machineSpec ?? (await machineFor(caps.paths, o, signal));
      name = m.name;
      const spec: MachineSpec = o.fail ? { ...m.spec, failPolicy: o.fail } : m.spec;
      if (progress) bar = ReplayProgress.start(process.stderr, caps.paths);
      const makeChecks = (): ReturnType<typeof prepareChecks> | undefined =>
        o.expect || o.unused ? prepareChecks(o, spec, hostRuleSets(spec, { ...o, rules: o.rulesText ? o.rules : undefined })) : undefined;
      let checks = makeChecks();
      const onFrameFate = checks?.onFrameFate;
      result = await replay({
        workers: workersFor(o),
        ...(o.shards ? { shards: o.shards } : {}),
        onNote: (note) => {
          if (!o.quiet || o.workers !== undefined) process.stderr.write(printable(`${progress ? '\r\x1b[K' : ''}${caps!.shown(note)}\n`));
        },
        onRestart: () => {
          checks = makeChecks();
        },
        rulesFile: o.rules,
        rulesText: o.rulesText,
        ...(o.rules6 !== undefined ? { rules6File: o.rules6, rules6Text: o.rules6Text ?? '' } : {}),
        ...ipsetsOf(o, spec),
        machine: spec,
        captures: caps.paths,
        outputs: outputs.files,
        // The table is listed only to be written (the report's translations come without it).
        ...(o.conntrack === undefined ? { conntrackList: false } : {}),
        signal,
        ...(caps.cut.length && intr.received ? { inputCut: intr.received } : {}),
        ...(outputs.accepted ? { accepted: outputs.accepted } : {}),
        ...(outputs.dropped ? { dropped: outputs.dropped } : {}),
        ...(o.outFormat ? { outFormat: o.outFormat } : {}),
        ...(o.splitBy ? { splitBy: o.splitBy } : {}),
        ...(o.splitDir ? { splitDir: o.splitDir } : {}),
        ...(o.report ? { details: true } : {}),
        ...(onFrameFate ? { onFrameFate: (f, frame, unit) => checks!.onFrameFate!(f, frame, unit) } : {}),
        ...(bar ? { onProgress: (n: number, at?: ProgressPosition) => bar!.update(n, at) } : {}),
      });
      bar?.stop();
      bar = undefined;
      found = checks?.finish(result);
    } catch (e) {
      if (e instanceof GuessInterrupted) {
        outputs.files.discard();
        return interruptedEarly(intr);
      }
      if (e instanceof Error) e.message = caps.shown(e.message);
      throw e;
    }
    // From here an interrupt ends at once, writing nothing.
    intr.finalStage();
    showNames(result, caps);
    const note = result.interrupted ? partialNote(result.interrupted) : undefined;
    const text = (t: string): string => (note ? `# ${note}\n${t}` : t);
    const t = outputs.text;
    t.save?.write(text(result.save));
    t.save6?.write(text(result.save6 ?? ''));
    t.console?.write(text(result.console.join('\n') + (result.console.length ? '\n' : '')));
    // Both families' entries, IPv4 first.
    t.conntrack?.write(text((result.conntrack ?? '') + (result.conntrack6 ?? '')));
    t.conntrackExpect?.write(text(result.conntrackExpect ?? ''));
    t.saveIpsets?.write(text(result.ipsets ?? ''));
    t.saveNfacct?.write(text(result.nfacct ?? ''));
    t.json?.write(jsonReportText(result, jsonChecks(found)));
    const context = { captures, rulesFile: o.rules, ...(o.rules6 ? { rules6File: o.rules6 } : {}), machine: name, top: o.top };
    t.report?.write(htmlReport(result, context));
    if (found?.junit) t.junit?.write(found.junit);
    outputs.files.commit();
    for (const n of result.clockNotes ?? []) process.stderr.write(printable(`cofw: note: ${caps.shown(n)}\n`));
    process.stdout.write(printable(formatReport(result, context)));
    if (found?.text) process.stdout.write(printable(found.text));
    if (note) {
      process.stderr.write(printable(`cofw: ${note.replace(/^cofw: PARTIAL: /, '')}; the report and every output cover only those (the outputs say so)\n`));
      return intr.exitCode;
    }
    if (found?.failed) return EXIT_FINDINGS;
    return result.damage.length ? EXIT_DAMAGED : EXIT_OK;
  } finally {
    bar?.stop();
    intr.uninstall();
    outputs.files.discard();
    caps?.cleanup();
  }
}
