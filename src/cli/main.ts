/**
 * The cofw command line.
 *
 *   cofw replay CAPTURE... --rules rules.v4 [--machine machine.yaml] [--accepted a.pcap] [--dropped d.pcap] [--save counters.v4]
 *   cofw check rules.v4      validates a rule file like `iptables-restore --test`
 *   cofw save rules.v4       prints the rule file in canonical iptables-save form
 *   cofw trace CAPTURE... --rules rules.v4 --frames 3,7-9   each rule chosen frames meet, and their fates
 *                                            (or --match 'tcp and dport 22', --flow N; --format kernel: TRACE lines)
 *   cofw replay ... --ipsets sets.save --save-ipsets after.save   rules naming IP sets, and the sets afterwards
 *   cofw replay ... --dropped d.pcapng --split-by rule      also d-filter-INPUT-rule3.pcapng, ... one per cause
 *
 * Exit codes: 0 success, 1 bad input or an output that cannot be written
 * (a message names the file and position, or the option and path), 2 usage
 * errors, 3 the replay finished but an input capture was damaged (what
 * could be read was replayed and reported), 128 + the signal's number when
 * an interrupt stopped the replay (130 SIGINT, 143 SIGTERM, 129 SIGHUP; the
 * outputs are written for what was replayed and marked partial), 70 an
 * internal error (a bug in cofw). A capture named `-` is standard input.
 *
 * Messages escape the control characters they quote from input files
 * (printable.ts), and a rule file's errors are listed up to
 * MAX_ERRORS_SHOWN, then counted.
 */
import { Family } from '../packet/inet-addr.js';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { RuleFileError, RuleFileErrors } from '../netfilter/rules/api.js';
import { MAX_RULE_FILE_BYTES, loadRuleset, ruleFileTooLarge } from '../netfilter/rules/restore.js';
import { InputTooLargeError, readInputText } from '../io/input-file.js';
import { saveRuleset } from '../netfilter/rules/save.js';
import { CaptureError } from '../capture/index.js';
import { MachineFileError, loadMachineFile } from '../machine/machine-file.js';
import { hostsTable } from '../netfilter/rules/hosts.js';
import { machineFacts } from '../machine/spec.js';
import { IpsetError, parseIpsets } from '../netfilter/ipset/ipset.js';
import { ConservationError } from '../replay.js';
import { ExpectFileError } from '../report/expect.js';
import { OutputError } from '../io/output-file.js';
import { EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, InputError } from './errors.js';
import { findShadowed, formatShadowed } from '../netfilter/rules/shadow.js';
import { captureNameProblem, openReplayOutputs } from './outputs.js';
import { printable } from './printable.js';
import { mergeCommandOptions, runReplay, runShard, runTrace, type MergeOptions, type ReplayCommandOptions, type ShardOptions } from './replay-command.js';
import { ShardError, ShardSet, parseShardSpec } from '../workers/shard-dir.js';
import { BATCH } from '../workers/sharded.js';
import { compileFilter } from '../packet/filter.js';
import { MAX_TRACED_FRAMES } from './trace-select.js';
import { runDiff } from './diff-command.js';

/** A screenful: a rule file's errors beyond this many are counted, not listed. */
export const MAX_ERRORS_SHOWN = 20;

function readText(path: string, what: string): string {
  try {
    return readInputText(path, MAX_RULE_FILE_BYTES);
  } catch (e) {
    if (e instanceof InputTooLargeError) throw new InputError(ruleFileTooLarge(path, e.size, what), { cause: e });
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`${path}: cannot read the ${what} (${code ?? (e as Error).message}); check the path`, { cause: e });
  }
}

/**
 * A rule file as the guest loads it; with a machine file, its `hosts:` are
 * the guest's /etc/hosts for host names in -s and -d; the sets of --ipsets
 * (else of the machine file's `ipsets:`) are restored first.
 */
function loadRulesFile(path: string, ipv6 = false, machine?: string, ipsetsPath?: string): ReturnType<typeof loadRuleset> {
  const spec = machine === undefined ? undefined : loadMachineFile(machine);
  const hosts = hostsTable(spec?.hosts, spec?.hostname);
  const setsFile = ipsetsPath ?? spec?.ipsets;
  const ipsets = setsFile === undefined ? undefined : parseIpsets(readText(setsFile, 'ipset file'), setsFile);
  const facts = spec ? machineFacts(spec) : {};
  return loadRuleset(readText(path, 'rule file'), path, {
    ...(ipv6 ? { family: Family.V6 } : {}),
    hosts,
    ...(ipsets ? { ipsets } : {}),
    ...facts,
  });
}

const IPSETS_HELP = 'IP sets the rules name (-m set, -j SET), in `ipset save` format; restored before the rules';

/** The outputs and checks of a replay, which `cofw merge` writes as well. */
function addReplayOutputOptions(cmd: Command): Command {
  return cmd
    .option('--save-ipsets <file>', 'write the IP sets after the replay, as `ipset save` prints them (with counters where a set has them)')
    .option('--save-nfacct <file>', "write the machine file's accounting objects (nfacct:) after the replay, as `nfacct list` prints them")
    .option('-a, --accepted <file>', 'write the packets that left the firewall or reached it (and generated replies)')
    .option('-d, --dropped <file>', 'write the dropped packets')
    .addOption(new Option('--out-format <format>', 'format of --accepted/--dropped and the split captures (default: by extension)').choices(['pcap', 'pcapng']))
    .addOption(
      new Option(
        '--split-by <what>',
        'also write the dropped packets as one capture per cause: per dropping rule, chain policy and stack reason (see below)',
      ).choices(['rule']),
    )
    .option('--split-dir <dir>', "folder for the --split-by captures (created if missing; default: the --dropped file's folder)")
    .option('-s, --save <file>', 'write the rules with their counters in iptables-save -c format')
    .option('--save6 <file>', 'write the ip6tables rules with their counters in ip6tables-save -c format')
    .option('--console <file>', "write the guest's console (kernel log: boot, LOG lines, oops)")
    .option('--conntrack <file>', 'write the final connection tracking table, as `conntrack -L` prints it (empty when the rules track nothing)')
    .option('--conntrack-expect <file>', 'write the conntrack expectations still pending at the end (CT --helper), as `conntrack -L expect` prints them')
    .option('--json <file>', 'write the report as JSON')
    .option('--report <file>', 'write the report as one self-contained HTML page (charts, top lists, the rule sets with counters, dropped frames)')
    .option(
      '--top <n>',
      'how many dropped flows to list',
      (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number, such as 10');
        return n;
      },
      10,
    )
    .option('-q, --quiet', 'no progress on stderr')
    .option('--expect <file>', 'check the expectations in this YAML file (exit 4 when one fails; see the README)')
    .option('--junit <file>', 'with --expect: write the results as JUnit XML, for CI')
    .option('--unused', 'also list the rules no packet hit, with their lines in the rule files');
}

/** With only --rules6, the IPv4 side runs an empty rule set (everything passes, as on a host without iptables rules). */
const NO_RULES = '(no iptables rule file)';

/** Where a command's actions leave the exit code (so that `main` can be called again, as tests do). */
export interface RunState {
  code: number;
}

/**
 * The program. Errors from commander (unknown option, missing argument)
 * are thrown as CommanderError rather than ending the process, and its
 * messages go to `process.stderr`, for every subcommand.
 */
export function buildProgram(state: RunState = { code: EXIT_OK }): Command {
  const program = new Command();
  // Set before the subcommands are added: they copy these settings when created.
  program.exitOverride();
  program.configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(printable(s)) });
  program
    .name('cofw')
    .description('Replays packet captures through iptables rules in an emulated Cooperative Linux firewall, as the Linux kernel would.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('check')
    .description('validate a rule file (iptables-restore format), as iptables-restore --test would; exit 1 on any error')
    .argument('<rules>', 'rule file in iptables-save / iptables-restore format')
    .option('-6, --ipv6', 'an ip6tables rule file (ip6tables-restore --test)')
    .option('-m, --machine <file>', "machine file (YAML): its hosts: are the guest's /etc/hosts, for host names in -s and -d")
    .option('--shadowed', 'also list the rules earlier rules of their chain keep from ever matching (exit 4 when there are any)')
    .option('--ipsets <file>', IPSETS_HELP)
    .action((rules: string, o: { ipv6?: boolean; machine?: string; shadowed?: boolean; ipsets?: string }) => {
      const rs = loadRulesFile(rules, !!o.ipv6, o.machine, o.ipsets);
      let n = 0;
      for (const t of rs.tables.values()) for (const c of t.chains.values()) n += c.rules.length;
      if (o.shadowed) {
        const found = findShadowed(rs);
        process.stdout.write(printable(formatShadowed(found, rules, n)));
        if (found.length) state.code = EXIT_FINDINGS;
        return;
      }
      process.stdout.write(`${rules}: OK (${rs.tables.size} table${rs.tables.size === 1 ? '' : 's'}, ${n} rule${n === 1 ? '' : 's'})\n`);
    });

  program
    .command('save')
    .description('print a rule file in the canonical form iptables-save would print after loading it')
    .argument('<rules>', 'rule file in iptables-restore format')
    .option('-c, --counters', 'print [packets:bytes] counters (all zero without a replay)')
    .option('-6, --ipv6', 'an ip6tables rule file, printed as ip6tables-save does')
    .option('-m, --machine <file>', "machine file (YAML): its hosts: are the guest's /etc/hosts, for host names in -s and -d")
    .option('--ipsets <file>', IPSETS_HELP)
    .action((rules: string, o: { counters?: boolean; ipv6?: boolean; machine?: string; ipsets?: string }) => {
      process.stdout.write(saveRuleset(loadRulesFile(rules, !!o.ipv6, o.machine, o.ipsets), { counters: !!o.counters }));
    });

  addReplayOutputOptions(
    program
      .command('replay')
      .description('replay captures through the firewall and report what the rules did')
      .argument('<captures...>', 'pcap / pcapng captures (optionally .gz); several are merged by timestamp')
      .option('-r, --rules <file>', 'rule file in iptables-save / iptables-restore format (IPv4)')
      .option('-6, --rules6 <file>', 'rule file in ip6tables-save / ip6tables-restore format (IPv6); without it IPv6 passes unfiltered')
      .option('-m, --machine <file>', 'machine file (YAML): interfaces, addresses, routes, fail policy')
      .option('-l, --local <addr...>', "without a machine file: the firewall's own addresses (CIDR), on one interface eth0")
      .option('--ipsets <file>', `${IPSETS_HELP} (default: the machine file's ipsets:)`),
  )
    .addOption(new Option('--fail <policy>', 'fail policy if the guest oopses (overrides the machine file)').choices(['closed', 'open']))
    .option(
      '--workers <n>',
      `worker threads, each a guest of its own, among which connections are sharded (default 1: one guest in this thread; not yet faster than one guest, see bench/RESULTS.md); the results are those of one guest, and where the rules share state across connections the replay runs on one worker and says why`,
      (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError('expected a whole number from 1 to 256, such as 2');
        return n;
      },
    )
    .option(
      '--shard <i/n>',
      'past one machine: replay only the connections of shard I of N (0 to N-1), writing what the merge needs to --shard-dir (see below)',
      (v: string) => {
        const r = parseShardSpec(v);
        if (typeof r === 'string') throw new InvalidArgumentError(r);
        return r;
      },
    )
    .option('--shard-dir <dir>', "with --shard: the directory the shard writes (created if missing); `cofw merge` reads every shard's")
    .addHelpText(
      'after',
      `
With --shard I/N --shard-dir DIR, the replay reads the whole capture but
runs only the connections whose address pair hashes to shard I (as --workers
shards them) and writes no report: DIR holds what \`cofw merge DIR...\`
needs to give the results of one replay. A rule set with state shared across
connections (limit, recent, NAT...) cannot be sharded: the shard says why
and exits 1.

With --split-by rule, the dropped packets are also written one capture per
cause, next to the --dropped file (or into --split-dir), named after it
(d.pcapng gives d-filter-INPUT-rule3.pcapng; without --dropped: dropped-...),
in --out-format, else the --dropped file's format, else pcapng:
  dropped-filter-INPUT-rule3.pcapng        rule 3 of filter's INPUT chain
  dropped-filter-FORWARD-policy.pcapng     the FORWARD chain's policy
  dropped-stack-IP_CSUM.pcapng             the stack (reason: bad IP checksum)
  dropped-fail-closed-guest-oops.pcapng    the fail policy, after a guest oops
Only causes that dropped something get a file; the report lists them.`,
    )
    .action(async (captures: string[], o: Omit<ReplayCommandOptions, 'rulesText'> & ShardOptions, cmd: Command) => {
      if (o.shard || o.shardDir) {
        checkShardUsage(captures, o, cmd);
        const rules = o.rules ?? NO_RULES;
        state.code = await runShard(captures, {
          ...o,
          rules,
          rulesText: o.rules ? readText(o.rules, 'rule file') : '',
          ...(o.rules6 ? { rules6Text: readText(o.rules6, 'ip6tables rule file') } : {}),
          ...(o.ipsets ? { ipsetsText: readText(o.ipsets, 'ipset file') } : {}),
          shard: o.shard!,
          shardDir: o.shardDir!,
        });
        return;
      }
      if (o.splitBy && !o.dropped && !o.splitDir)
        cmd.error('error: --split-by rule needs --dropped FILE or --split-dir DIR (where the split captures go)', { exitCode: EXIT_USAGE, code: 'cofw.usage' });
      if (o.splitDir && !o.splitBy) cmd.error('error: --split-dir needs --split-by rule', { exitCode: EXIT_USAGE, code: 'cofw.usage' });
      if (!o.rules && !o.rules6)
        cmd.error('error: give a rule file: --rules FILE (iptables), --rules6 FILE (ip6tables), or both', { exitCode: EXIT_USAGE, code: 'cofw.usage' });
      if (o.save6 && !o.rules6) cmd.error('error: --save6 needs --rules6 FILE', { exitCode: EXIT_USAGE, code: 'cofw.usage' });
      if (o.junit && !o.expect) usageError(cmd, '--junit needs --expect FILE (the expectations whose results it holds)');
      if (o.saveIpsets && !o.ipsets && !o.machine)
        cmd.error('error: --save-ipsets needs the sets: --ipsets FILE, or a machine file with ipsets:', { exitCode: EXIT_USAGE, code: 'cofw.usage' });
      if (o.saveNfacct && !o.machine) usageError(cmd, '--save-nfacct needs the accounting objects: a machine file (--machine) with nfacct:');
      checkCommonUsage(captures, o, cmd);
      for (const [option, path] of [
        ['--accepted', o.accepted],
        ['--dropped', o.dropped],
      ] as const) {
        const problem = path && captureNameProblem(option, path, o.outFormat);
        if (problem) usageError(cmd, problem);
      }
      // Outputs are checked (not the same file as an input or another output) and opened before anything is read.
      const outputs = openReplayOutputs({ captures, rules: o.rules, rules6: o.rules6, machine: o.machine, expect: o.expect, ipsets: o.ipsets }, o);
      try {
        const rules = o.rules ?? NO_RULES;
        state.code = await runReplay(
          captures,
          {
            ...o,
            rules,
            rulesText: o.rules ? readText(o.rules, 'rule file') : '',
            ...(o.rules6 ? { rules6Text: readText(o.rules6, 'ip6tables rule file') } : {}),
            ...(o.ipsets ? { ipsetsText: readText(o.ipsets, 'ipset file') } : {}),
          },
          outputs,
        );
      } finally {
        outputs.files.discard();
      }
    });

  addReplayOutputOptions(
    program
      .command('merge')
      .description('merge the directories of every `cofw replay --shard I/N` of a run into the results of one replay')
      .argument('<dirs...>', "the shards' --shard-dir directories, one per shard, in any order"),
  )
    .option(
      '-c, --capture <file>',
      'where the captures the shards read are now (once per capture, in the order the shards read them; default: the paths the shards read)',
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .addHelpText(
      'after',
      `
The merge reads the captures again (their frames go into the output captures
and the report) and checks that they are the ones the shards read (size and
SHA-256). It refuses shard directories of different runs (other rules,
machine or captures, another N), a missing, duplicated or unfinished shard,
and a run that cannot be exact (fragments on several shards...), saying
which directory and why.`,
    )
    .action(async (dirs: string[], o: MergeOptions, cmd: Command) => {
      if (o.splitBy && !o.dropped && !o.splitDir)
        cmd.error('error: --split-by rule needs --dropped FILE or --split-dir DIR (where the split captures go)', { exitCode: EXIT_USAGE, code: 'cofw.usage' });
      if (o.splitDir && !o.splitBy) cmd.error('error: --split-dir needs --split-by rule', { exitCode: EXIT_USAGE, code: 'cofw.usage' });
      if (o.junit && !o.expect) usageError(cmd, '--junit needs --expect FILE (the expectations whose results it holds)');
      for (const [option, path] of [
        ['--accepted', o.accepted],
        ['--dropped', o.dropped],
      ] as const) {
        const problem = path && captureNameProblem(option, path, o.outFormat);
        if (problem) usageError(cmd, problem);
      }
      const set = ShardSet.open(dirs, BATCH);
      try {
        const inputs = set.inputs;
        const captures = o.capture ?? inputs.captures.map((c) => c.path);
        if (o.save6 && inputs.rules6File === undefined) usageError(cmd, '--save6: the shards ran no ip6tables rule file');
        if (o.saveIpsets && inputs.ipsetsFile === undefined) usageError(cmd, '--save-ipsets: the shards ran no ipset file');
        const outputs = openReplayOutputs({ captures, expect: o.expect }, o);
        try {
          state.code = await runReplay(captures, mergeCommandOptions(o, set), outputs);
        } finally {
          outputs.files.discard();
        }
      } finally {
        await set.close();
      }
    });

  addDiffCommand(program, state);

  program
    .command('trace')
    .description("replay and show, for chosen frames, every rule, chain return and policy they meet (as the kernel's TRACE target logs them) and their fate")
    .argument('<captures...>', 'pcap / pcapng captures')
    .option('-r, --rules <file>', 'rule file in iptables-save / iptables-restore format (IPv4)')
    .option('-6, --rules6 <file>', 'rule file in ip6tables-save / ip6tables-restore format (IPv6)')
    .option('-f, --frames <list>', 'frame numbers to trace, 1-based: 5 or 3,7-9', (v: string) => {
      try {
        return parseFrameList(v);
      } catch (e) {
        throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
      }
    })
    .option('--match <expression>', "trace the frames a filter matches, such as 'tcp and dport 22' (see below)", (v: string) => {
      try {
        compileFilter(v);
        return v;
      } catch (e) {
        throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
      }
    })
    .option('--flow <frame>', 'trace every frame of the connection of frame N (either direction)', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a frame number from 1, such as 5');
      return n;
    })
    .addOption(
      new Option('--format <format>', "human: each rule met, with its text and line; kernel: the kernel TRACE target's log lines")
        .choices(['human', 'kernel'])
        .default('human'),
    )
    .addHelpText('after', TRACE_HELP)
    .option('-m, --machine <file>', 'machine file (YAML)')
    .option('-l, --local <addr...>', "without a machine file: the firewall's own addresses (CIDR)")
    .option('--ipsets <file>', `${IPSETS_HELP} (default: the machine file's ipsets:)`)
    .action(async (captures: string[], o, cmd: Command) => {
      if (!o.rules && !o.rules6)
        cmd.error('error: give a rule file: --rules FILE (iptables), --rules6 FILE (ip6tables), or both', { exitCode: EXIT_USAGE, code: 'cofw.usage' });
      checkCommonUsage(captures, o, cmd);
      if ([o.frames, o.match, o.flow].filter((x) => x !== undefined).length !== 1)
        usageError(cmd, 'say which frames to trace: --frames LIST, --match EXPRESSION or --flow FRAME (one of them)');
      state.code = await runTrace(captures, {
        ...o,
        rules: o.rules ?? NO_RULES,
        rulesText: o.rules ? readText(o.rules, 'rule file') : '',
        ...(o.rules6 ? { rules6Text: readText(o.rules6, 'ip6tables rule file') } : {}),
        ...(o.ipsets ? { ipsetsText: readText(o.ipsets, 'ipset file') } : {}),
      });
    });

  return program;
}

/** The filter language of `trace --match`, for its help. */
const TRACE_HELP = `
--match reads a small filter language, a subset of tcpdump's:
  ip, ip6, tcp, udp, icmp, icmp6, sctp, dccp, udplite, esp, ah, gre, proto NAME|NUMBER
  [src|dst] host ADDRESS    [src|dst] net ADDRESS/PREFIX
  [src|dst] port N          [src|dst] portrange LOW-HIGH    sport N    dport N    icmp-type N
  joined with and (&&), or (||), not (!) and parentheses; and binds tighter than or.
Examples: --match 'tcp and dport 22'   --match 'ip6 and not (icmp6 or src net 2001:db8::/32)'
At most ${MAX_TRACED_FRAMES} frames are traced (the first that match).`;
/** `cofw diff`: the captures through the old and the new rule files, and what changes. */
function addDiffCommand(program: Command, state: RunState): void {
  program
    .command('diff')
    .description('replay captures through the old and the new rule files and list every connection whose fate changes (exit 4 when one does)')
    .argument('<captures...>', 'pcap / pcapng captures (optionally .gz); several are merged by timestamp')
    .option('-r, --rules <file>', 'the old iptables rule file')
    .option('--rules-new <file>', 'the new iptables rule file (default: the old one)')
    .option('-6, --rules6 <file>', 'the old ip6tables rule file')
    .option('--rules6-new <file>', 'the new ip6tables rule file (default: the old one)')
    .option('-m, --machine <file>', 'machine file (YAML): interfaces, addresses, routes, fail policy')
    .option('-l, --local <addr...>', "without a machine file: the firewall's own addresses (CIDR), on one interface eth0")
    .option('--json <file>', 'write the diff as JSON')
    .option('--expect <file>', 'check the expectations in this YAML file on the new rules (exit 4 when one fails)')
    .option('--junit <file>', 'with --expect: write the results as JUnit XML')
    .addOption(new Option('--fail <policy>', 'fail policy if the guest oopses (overrides the machine file)').choices(['closed', 'open']))
    .option('--top <n>', 'how many connections to list (those with most changed packets)', wholeNumber, 20)
    .option('-q, --quiet', 'no progress on stderr')
    .action(
      async (
        captures: string[],
        o: Record<string, string | undefined> & { local?: string[]; top: number; quiet?: boolean; fail?: 'closed' | 'open' },
        cmd: Command,
      ) => {
        if (!o.rules && !o.rules6 && !o.rulesNew && !o.rules6New)
          usageError(cmd, 'give the rule files to compare: --rules OLD --rules-new NEW (iptables), --rules6 OLD --rules6-new NEW (ip6tables), or both');
        if (!o.rulesNew && !o.rules6New)
          usageError(cmd, 'give the new rule file: --rules-new FILE or --rules6-new FILE (the old ones are --rules and --rules6)');
        if (o.junit && !o.expect) usageError(cmd, '--junit needs --expect FILE (the expectations whose results it holds)');
        checkCommonUsage(captures, o, cmd);
        const outputs = openReplayOutputs(
          { captures, rules: o.rules, rules6: o.rules6, machine: o.machine, expect: o.expect },
          { json: o.json, junit: o.junit },
        );
        try {
          const text = (p: string | undefined, what: string): string => (p ? readText(p, what) : '');
          state.code = await runDiff(
            captures,
            {
              ...(o.rules ? { rules: o.rules } : {}),
              rulesText: text(o.rules, 'rule file'),
              ...(o.rules6 ? { rules6: o.rules6, rules6Text: text(o.rules6, 'ip6tables rule file') } : {}),
              ...(o.rulesNew ? { rulesNew: o.rulesNew } : {}),
              rulesNewText: o.rulesNew ? text(o.rulesNew, 'rule file') : text(o.rules, 'rule file'),
              ...(o.rules6New ? { rules6New: o.rules6New } : {}),
              ...(o.rules6New || o.rules6 ? { rules6NewText: text(o.rules6New ?? o.rules6, 'ip6tables rule file') } : {}),
              ...(o.machine ? { machine: o.machine } : {}),
              ...(o.local ? { local: o.local } : {}),
              ...(o.json ? { json: o.json } : {}),
              ...(o.expect ? { expect: o.expect } : {}),
              ...(o.junit ? { junit: o.junit } : {}),
              ...(o.fail ? { fail: o.fail } : {}),
              top: o.top,
              ...(o.quiet ? { quiet: true } : {}),
            },
            outputs,
          );
        } finally {
          outputs.files.discard();
        }
      },
    );
}

/** A whole number option (`--top 10`). */
function wholeNumber(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number, such as 10');
  return n;
}

/** Ends the command with a usage error (exit 2). */
function usageError(cmd: Command, message: string): never {
  cmd.error(`error: ${message}`, { exitCode: EXIT_USAGE, code: 'cofw.usage' });
}

/** Usage rules replay and trace share: one machine description, standard input at most once. */
function checkCommonUsage(captures: string[], o: { machine?: string; local?: string[] }, cmd: Command): void {
  if (o.machine && o.local?.length)
    usageError(
      cmd,
      "--machine and --local both describe the firewall's addresses: give one (the machine file's interfaces, or --local without a machine file)",
    );
  if (captures.filter((c) => c === '-').length > 1) usageError(cmd, 'standard input (-) can be read only once; give it as one capture');
}

/** What --shard runs may be given: the inputs, no output (the merge writes them). */
function checkShardUsage(captures: string[], o: Omit<ReplayCommandOptions, 'rulesText'> & ShardOptions, cmd: Command): void {
  if (!o.shard) usageError(cmd, '--shard-dir needs --shard I/N (which shard this run is)');
  if (!o.shardDir) usageError(cmd, '--shard needs --shard-dir DIR (where the shard writes what the merge needs)');
  if (!o.rules && !o.rules6) usageError(cmd, 'give a rule file: --rules FILE (iptables), --rules6 FILE (ip6tables), or both');
  checkCommonUsage(captures, o, cmd);
  if (captures.includes('-')) usageError(cmd, '--shard reads its captures from files: `cofw merge` reads them again, which standard input cannot give');
  const outs = (
    [
      ['--accepted', o.accepted],
      ['--dropped', o.dropped],
      ['--split-by', o.splitBy],
      ['--split-dir', o.splitDir],
      ['--save', o.save],
      ['--save6', o.save6],
      ['--console', o.console],
      ['--conntrack', o.conntrack],
      ['--conntrack-expect', o.conntrackExpect],
      ['--save-ipsets', o.saveIpsets],
      ['--save-nfacct', o.saveNfacct],
      ['--json', o.json],
      ['--report', o.report],
      ['--expect', o.expect],
      ['--junit', o.junit],
      ['--unused', o.unused],
      ['--workers', o.workers],
    ] as const
  )
    .filter(([, v]) => v !== undefined && v !== false)
    .map(([k]) => k);
  if (outs.length)
    usageError(cmd, `--shard writes only its shard's directory: give ${outs.join(', ')} to \`cofw merge\`, which writes the results of the whole run`);
}

/** `5`, `3,7-9` -> [[5,5]], [[3,3],[7,9]]. */
export function parseFrameList(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || lo < 1 || hi < lo) throw new InputError(`--frames ${text}: expected frame numbers from 1, as 5 or 3,7-9`);
    out.push([lo, hi]);
  }
  return out;
}

/**
 * Runs the command line `argv` (as `process.argv`: node, script, then the
 * arguments) and resolves to the exit code; it never calls process.exit.
 *
 * @example
 * process.exitCode = await main(['node', 'cofw', 'check', 'rules.v4']);
 */
export async function main(argv: string[]): Promise<number> {
  const state: RunState = { code: EXIT_OK };
  const program = buildProgram(state);
  try {
    await program.parseAsync(argv);
    return state.code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT_OK;
      return EXIT_USAGE;
    }
    if (e instanceof RuleFileErrors) {
      process.stderr.write(printable(ruleFileErrorsText(e)));
      return EXIT_BAD_INPUT;
    }
    if (
      e instanceof RuleFileError ||
      e instanceof IpsetError ||
      e instanceof InputError ||
      e instanceof MachineFileError ||
      e instanceof CaptureError ||
      e instanceof OutputError ||
      e instanceof ExpectFileError ||
      e instanceof ShardError
    ) {
      process.stderr.write(printable(e.message.replace(/^/gm, 'cofw: ') + '\n'));
      return EXIT_BAD_INPUT;
    }
    const what = e instanceof ConservationError ? 'a frame was lost or counted twice' : 'unexpected error';
    process.stderr.write(
      printable(`cofw: internal error (${what}; please report it with the command line): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`),
    );
    return EXIT_INTERNAL;
  }
}

/** A rule file's errors: at most MAX_ERRORS_SHOWN of each file listed, then how many more; a count per file. */
export function ruleFileErrorsText(e: RuleFileErrors): string {
  const byFile = new Map<string, RuleFileError[]>();
  for (const err of e.errors) {
    const list = byFile.get(err.file) ?? [];
    list.push(err);
    byFile.set(err.file, list);
  }
  let out = '';
  for (const [file, errs] of byFile) {
    for (const err of errs.slice(0, MAX_ERRORS_SHOWN)) out += `cofw: ${err.message}\n`;
    const more = errs.length - MAX_ERRORS_SHOWN;
    if (more > 0) out += `cofw: ... and ${more} more error${more === 1 ? '' : 's'} in ${file} (fix these first, then check again)\n`;
    out += `cofw: ${errs.length} error${errs.length === 1 ? '' : 's'} in ${file}\n`;
  }
  if (!byFile.size) out += 'cofw: errors in the rule file\n';
  return out;
}
