/**
 * cofw as a library: what the `cofw` command line is built from, for
 * programs that replay captures through iptables rules themselves.
 *
 * - {@link replay} runs captures through a rule file on a machine and
 *   returns what became of every packet, with the kernel's counters.
 * - {@link loadRuleset} / {@link saveRuleset} read and print rule files in
 *   the `iptables-save` / `iptables-restore` format.
 * - {@link loadMachineFile}, {@link parseMachineFile} and
 *   {@link defaultMachine} describe the firewall's interfaces and routes.
 * - {@link formatReport} renders a replay's result as `cofw replay` prints it.
 * - {@link openCaptures} and {@link openCaptureWriter} read and write pcap
 *   and pcapng captures.
 *
 * Errors carry the file and position in their message: {@link RuleFileErrors}
 * (every error of a rule file), {@link MachineFileError}, {@link CaptureError}.
 *
 * This module only re-exports; the code lives in the modules named below.
 *
 * @example
 * import { loadMachineFile, replay, formatReport } from 'cofw';
 *
 * const result = await replay({
 *   rulesFile: 'rules/sample.v4',
 *   machine: loadMachineFile('machines/sample.yaml'),
 *   captures: ['pcaps/sample.pcap'],
 *   dropped: 'dropped.pcapng',
 * });
 * console.log(result.fates.droppedByRule, result.drops.sites);
 * process.stdout.write(formatReport(result, { captures: ['pcaps/sample.pcap'], rulesFile: 'rules/sample.v4', machine: 'sample', top: 10 }));
 *
 * @packageDocumentation
 */

// ---------------------------------------------------------------------------
// Replay

/**
 * Replays captures through a rule file on an emulated machine: boots the
 * guest, streams every frame through the kernel's hooks, writes the accepted
 * and dropped captures when asked, and resolves to the report.
 *
 * @example
 * const r = await replay({ rulesFile: 'rules.v4', machine: loadMachineFile('machine.yaml'), captures: ['a.pcapng'], dropped: 'dropped.pcapng' });
 * for (const s of r.drops.sites) console.log(`${s.table}/${s.chain} rule ${s.rule}: ${s.count} packets`);
 */
export { replay } from './replay.js';

/**
 * Thrown by {@link replay} when a frame was lost or counted twice (a bug in
 * cofw, never bad input).
 *
 * @example
 * try { await replay(opts); } catch (e) { if (e instanceof ConservationError) reportBug(e); else throw e; }
 */
export { ConservationError } from './replay.js';

/**
 * How many dropped flows {@link replay} keeps counting at most (see
 * `ReplayResult.flowsForgotten`).
 *
 * @example
 * if (r.flowsForgotten) console.log(`more than ${FLOW_TABLE_CAP} dropped flows; counts are lower bounds`);
 */
export { FLOW_TABLE_CAP } from './replay.js';

/**
 * The options and result of {@link replay}: `ReplayOptions` says what to
 * replay and where the output captures go; `ReplayResult` holds the fates by
 * kind (`FateName`), the dropping rules, policies and stack reasons
 * (`DropSiteCount`, `DropReasonCount`), the most-dropped flows
 * (`DroppedFlow`), the rules with their counters, and any capture damage.
 *
 * @example
 * const opts: ReplayOptions = { rulesFile: 'rules.v4', machine: spec, captures: ['a.pcap'], accepted: 'ok.pcap' };
 * const r: ReplayResult = await replay(opts);
 * const dropped = (['droppedByRule', 'droppedByPolicy', 'droppedByStack'] as FateName[]).reduce((n, k) => n + r.fates[k], 0);
 */
export type { ReplayOptions, ReplayResult, FateName, DropSiteCount, DropReasonCount, DroppedFlow } from './replay.js';

/**
 * Parts of a {@link ReplayResult}: the machine's message statistics
 * (`stats`) and, with `splitBy: 'rule'`, the per-cause captures written
 * (`split`).
 *
 * @example
 * for (const f of r.split ?? []) console.log(`${f.file}: ${f.frames} packets (${f.what})`);
 */
export type { MachineStats } from './machine/machine.js';
export type { SplitFile } from './report/split-captures.js';

// ---------------------------------------------------------------------------
// The drop report

/**
 * Renders a replay's result as the text report `cofw replay` prints; every
 * line ends with a newline. `ReportContext` names the inputs in its header.
 *
 * @example
 * const ctx: ReportContext = { captures: ['a.pcap'], rulesFile: 'rules.v4', machine: 'machine.yaml', top: 10 };
 * process.stdout.write(formatReport(await replay(opts), ctx));
 */
export { formatReport } from './report/text.js';
export type { ReportContext } from './report/text.js';

/**
 * The JSON report `cofw replay --json` writes, with its `version`
 * (REPORT_VERSION; the shape is docs/report.schema.json).
 *
 * @example
 * writeFileSync('r.json', JSON.stringify(jsonReport(result), null, 2));
 */
export { jsonReport, REPORT_VERSION } from './report/json.js';

/**
 * The HTML page `cofw replay --report` writes: self-contained, no script.
 * Replay with `details: true` for its timeline, top lists and samples.
 *
 * @example
 * const result = await replay({ ...options, details: true });
 * writeFileSync('report.html', htmlReport(result, { captures, rulesFile: 'rules.v4', machine: 'm.yaml', top: 10 }));
 */
export { htmlReport } from './report/html.js';
export type { ReplayDetails, DropSample, DropSamples } from './report/details.js';

// ---------------------------------------------------------------------------
// Rule files

/**
 * Loads an `iptables-restore` text into a {@link Ruleset}, checking it as
 * the kernel would; throws {@link RuleFileErrors} listing every error with
 * file, line and column. `LoadOptions.restoreCounters` takes the file's
 * `[packets:bytes]` as starting counters (`iptables-restore -c`).
 *
 * @example
 * const rs = loadRuleset(readFileSync('rules.v4', 'utf8'), 'rules.v4');
 * const rs2 = loadRuleset('*filter\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n', 'inline');
 */
export { loadRuleset } from './netfilter/rules/restore.js';
export type { LoadOptions } from './netfilter/rules/restore.js';

/**
 * Prints a {@link Ruleset} as `iptables-save` would, with `[packets:bytes]`
 * counters when `SaveOptions.counters` is set (`iptables-save -c`).
 *
 * @example
 * process.stdout.write(saveRuleset(loadRuleset(text, 'rules.v4')));
 * writeFileSync('counters.v4', saveRuleset(result.ruleset, { counters: true }));
 */
export { saveRuleset } from './netfilter/rules/save.js';
export type { SaveOptions } from './netfilter/rules/save.js';

/**
 * The canonical text of one rule after `-A CHAIN`, as `iptables-save`
 * prints it.
 *
 * @example
 * for (const r of rs.tables.get('filter')!.chains.get('INPUT')!.rules) console.log(ruleText(r));
 */
export { ruleText } from './netfilter/rules/save.js';

/**
 * A loaded rule file: tables by name, each with its chains (policy and
 * counters for built-in chains) and their rules (with counters and the
 * source line).
 *
 * @example
 * let n = 0;
 * for (const t of rs.tables.values()) for (const c of t.chains.values()) n += c.rules.length;
 */
export type { Ruleset, Table, Chain, Rule } from './netfilter/rules/model.js';

/**
 * Errors of a rule file: `RuleFileErrors.errors` lists every
 * `RuleFileError`, each with `file`, `line`, `column` and a message that
 * says what is accepted.
 *
 * @example
 * try { loadRuleset(text, 'rules.v4'); } catch (e) { if (e instanceof RuleFileErrors) for (const err of e.errors) console.error(err.message); }
 */
export { RuleFileError, RuleFileErrors } from './netfilter/rules/api.js';

// ---------------------------------------------------------------------------
// Machine files

/**
 * Reads and validates a machine file (YAML: interfaces, addresses, routes,
 * fail policy, conntrack settings); throws {@link MachineFileError}.
 *
 * @example
 * const spec = loadMachineFile('machines/sample.yaml');
 */
export { loadMachineFile } from './machine/machine-file.js';

/**
 * Validates machine file text (its name is used in error messages).
 *
 * @example
 * const spec = parseMachineFile('interfaces:\n  - name: eth0\n    mac: "02:00:00:00:00:01"\n    addresses: [192.0.2.1/24]\n', 'inline.yaml');
 */
export { parseMachineFile } from './machine/machine-file.js';

/**
 * The machine without a machine file: one interface `eth0` with the given
 * addresses (a bare number is a /24), a default route out of it.
 *
 * @example
 * const spec = defaultMachine([parseCidr('198.51.100.1/24')!]);
 */
export { defaultMachine } from './machine/machine-file.js';

/**
 * The machine file text of a spec, for a user to save and edit.
 *
 * @example
 * writeFileSync('machine.yaml', machineFileText(defaultMachine([parseIPv4('192.0.2.1')!])));
 */
export { machineFileText } from './machine/machine-file.js';

/**
 * `a.b.c.d/n` (a bare address is a /32) as `{ addr, prefix }`; undefined
 * when malformed.
 *
 * @example
 * const c = parseCidr('192.0.2.1/24'); // { addr: 0xc0000201, prefix: 24 }
 */
export { parseCidr } from './machine/machine-file.js';

/**
 * Proposes the firewall's own addresses from a first pass over a capture
 * (what `cofw replay` does without a machine file); `propose()` returns a
 * `LocalGuess` with the addresses and how they were chosen.
 *
 * @example
 * const g = new LocalAddressGuesser();
 * for await (const f of openCaptures(['a.pcap']).frames) g.observe(f.data);
 * const { addrs, how } = g.propose();
 */
export { LocalAddressGuesser } from './machine/machine-file.js';
export type { LocalGuess } from './machine/machine-file.js';

/**
 * One or more problems in a machine file: `problems` lists each with line
 * and column; the message has one `file:line:column: ...` line per problem.
 *
 * @example
 * try { loadMachineFile('m.yaml'); } catch (e) { if (e instanceof MachineFileError) console.error(e.message); }
 */
export { MachineFileError } from './machine/machine-file.js';

/**
 * The machine's shape as {@link replay} boots it: devices (`lo` first, then
 * `eth0..N`) with their addresses, routes, fail policy, conntrack settings.
 *
 * @example
 * const spec: MachineSpec = { ...loadMachineFile('m.yaml'), failPolicy: 'open' };
 */
export type { MachineSpec, RouteSpec, ConntrackSettings, FailPolicy } from './machine/spec.js';
export type { NetDevice, IfAddress } from './netfilter/types.js';

/**
 * IPv4 addresses as numbers (unsigned, network order of significance) and
 * back, as machine specs and reports hold them.
 *
 * @example
 * formatIPv4(parseIPv4('192.0.2.1')!) === '192.0.2.1';
 */
export { parseIPv4, formatIPv4 } from './packet/addr.js';

/**
 * Addresses of either family, as rules, conntrack tuples and machine specs
 * hold them (the kernel's nf_inet_addr: four words and a family), parsed as
 * inet_pton and printed as inet_ntop does.
 *
 * @example
 * const a = parseInetAddr('2001:db8::1')!;
 * a.family === Family.V6; a.toString() === '2001:db8::1';
 */
export { InetAddr, Family, parseInetAddr, parseIPv6 } from './packet/inet-addr.js';

/**
 * The address translations of a replay, read from a `conntrack -L` text
 * (ReplayResult.translations holds them already).
 *
 * @example
 * translations(result.conntrack ?? '').map((t) => `${t.original} as ${t.translated}`);
 */
export { translations } from './report/translations.js';
export type { Translation } from './report/translations.js';

// ---------------------------------------------------------------------------
// Captures

/**
 * Streams the frames of one or more captures (pcap, pcapng, gzip-compressed
 * or not) merged by timestamp, each as an Ethernet frame (`CaptureFrame`).
 * A file that is not a capture throws {@link CaptureError}; damage found
 * later stops that file and is listed in `damage` (`CaptureDamage`).
 *
 * @example
 * const { frames, damage } = openCaptures(['a.pcapng', 'b.pcap.gz']);
 * for await (const f of frames) console.log(f.file, f.index, f.data.length);
 * for (const d of damage) console.error(d.message);
 */
export { openCaptures } from './capture/index.js';
export type { CaptureFrame, CaptureDamage, CaptureSkip } from './capture/index.js';

/**
 * Opens an output capture (`CaptureWriter`): pcapng or pcap, from `format`
 * or the file's extension.
 *
 * @example
 * const w = openCaptureWriter('out.pcapng');
 * w.write({ tsNs: f.tsNs, data: f.data, comment: 'kept' });
 * await w.close();
 */
export { openCaptureWriter } from './capture/index.js';
export type { CaptureWriter } from './capture/index.js';

/**
 * A capture that cannot be read at all (missing, not a capture, unsupported
 * link type); the message names the file, record and byte offset.
 *
 * @example
 * try { openCaptures(['notes.txt']); } catch (e) { if (e instanceof CaptureError) console.error(e.message); }
 */
export { CaptureError } from './capture/index.js';

/**
 * An output that cannot be written (a missing or read-only folder, a folder
 * given as the file, a full disk); the message names the option when there
 * is one, the path and why. Outputs are written to a temporary file and
 * renamed into place when complete, so after this error no earlier file of
 * that name has changed.
 *
 * @example
 * try { await replay({ ...opts, dropped: '/no/such/dir/d.pcapng' }); } catch (e) { if (e instanceof OutputError) console.error(e.message); }
 */
export { OutputError } from './io/output-file.js';

/**
 * Expectations (`--expect`): read a YAML file of them against the rule
 * files and the machine (ExpectFileError with positions when it is wrong),
 * feed a replay's frame fates to an ExpectationRun, and read the results
 * as text or JUnit XML.
 *
 * @example
 * const rules = new RuleSets(loadRuleset(text, 'rules.v4'));
 * const run = new ExpectationRun(parseExpectations(yaml, 'expect.yaml', { rules, devices: spec.devices }), { rules, spec });
 * const r = await replay({ ...opts, onFrameFate: (f, frame, unit) => run.frame(f, frame, unit) });
 * console.log(formatExpectations(run.finish(r), 'expect.yaml'));
 */
export { ExpectationRun, ExpectFileError, formatExpectations, junitXml, parseExpectations } from './report/expect.js';
export type { Expectation, ExpectationResult, CounterExample } from './report/expect.js';
export { RuleSets } from './report/frame-fates.js';
export type { FrameFate } from './report/frame-fates.js';

/**
 * Shadowed rules (`cofw check --shadowed`): the rules earlier rules of
 * their chain keep from ever matching, from the rules alone.
 *
 * @example
 * for (const s of findShadowed(loadRuleset(text, 'rules.v4'))) console.log(s.line, s.text, s.by);
 */
export { findShadowed, formatShadowed } from './netfilter/rules/shadow.js';
export type { ShadowedRule } from './netfilter/rules/shadow.js';
