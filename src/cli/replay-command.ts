/**
 * `cofw replay`: builds the machine (from a machine file, from --local, or
 * guessed from the capture), replays, writes the outputs and prints the
 * report.
 */
import { writeFileSync } from 'node:fs';
import { openCaptures } from '../capture/index.js';
import { defaultMachine, LocalAddressGuesser, loadMachineFile, machineFileText, parseCidr } from '../machine/machine-file.js';
import type { MachineSpec } from '../machine/spec.js';
import { formatIPv4 } from '../packet/addr.js';
import { formatReport } from '../report/text.js';
import { replay } from '../replay.js';
import { EXIT_DAMAGED, EXIT_OK, InputError } from './errors.js';

export interface ReplayCommandOptions {
  rules: string;
  rulesText: string;
  /** An ip6tables rule file, and its text. */
  rules6?: string;
  rules6Text?: string;
  /** Where to write the ip6tables rules with their counters. */
  save6?: string;
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
  json?: string;
  fail?: 'closed' | 'open';
  top: number;
  quiet?: boolean;
}

async function machineFor(captures: string[], o: { machine?: string; local?: string[] }): Promise<{ spec: MachineSpec; name: string }> {
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
  for await (const f of frames) guesser.observe(f.data);
  const guess = guesser.propose();
  if (!guess.addrs.length) {
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
  machine?: string;
  local?: string[];
  frames: Array<[number, number]>;
}

/** `cofw trace`: replays with the chosen frames traced and prints their TRACE lines. */
export async function runTrace(captures: string[], o: TraceCommandOptions): Promise<number> {
  const { spec } = await machineFor(captures, o);
  const result = await replay({ rulesFile: o.rules, rulesText: o.rulesText, ...(o.rules6 !== undefined ? { rules6File: o.rules6, rules6Text: o.rules6Text ?? '' } : {}), machine: spec, captures, trace: o.frames });
  const lines = result.console.filter((l) => l.includes('TRACE: '));
  if (!lines.length) process.stdout.write(`no frame in ${o.frames.map(([a, b]) => (a === b ? a : `${a}-${b}`)).join(',')} (the capture has ${result.framesIn} frames)\n`);
  for (const l of lines) {
    process.stdout.write(l.replace(/^\[[^\]]*\]\s*/, '') + '\n');
    if (/TRACE: frame=\d+ /.test(l)) process.stdout.write('\n');
  }
  return result.damage.length ? EXIT_DAMAGED : EXIT_OK;
}

export async function runReplay(captures: string[], o: ReplayCommandOptions): Promise<number> {
  const { spec: base, name } = await machineFor(captures, o);
  const spec: MachineSpec = o.fail ? { ...base, failPolicy: o.fail } : base;
  const progress = !o.quiet && process.stderr.isTTY;
  let last = 0;
  const result = await replay({
    rulesFile: o.rules,
    rulesText: o.rulesText,
    ...(o.rules6 !== undefined ? { rules6File: o.rules6, rules6Text: o.rules6Text ?? '' } : {}),
    machine: spec,
    captures,
    ...(o.accepted ? { accepted: o.accepted } : {}),
    ...(o.dropped ? { dropped: o.dropped } : {}),
    ...(o.outFormat ? { outFormat: o.outFormat } : {}),
    ...(o.splitBy ? { splitBy: o.splitBy } : {}),
    ...(o.splitDir ? { splitDir: o.splitDir } : {}),
    ...(progress
      ? {
          onProgress: (n: number) => {
            const now = Date.now();
            if (now - last > 200) {
              last = now;
              process.stderr.write(`\rcofw: ${n} frames replayed`);
            }
          },
        }
      : {}),
  });
  if (progress) process.stderr.write('\r\x1b[K');
  if (o.save) writeFileSync(o.save, result.save);
  if (o.save6) writeFileSync(o.save6, result.save6 ?? '');
  if (o.console) writeFileSync(o.console, result.console.join('\n') + (result.console.length ? '\n' : ''));
  if (o.conntrack) writeFileSync(o.conntrack, result.conntrack ?? '');
  if (o.json) {
    const { ruleset: _r, ...rest } = result;
    writeFileSync(o.json, JSON.stringify(rest, null, 2) + '\n');
  }
  process.stdout.write(formatReport(result, { captures, rulesFile: o.rules, machine: name, top: o.top }));
  return result.damage.length ? EXIT_DAMAGED : EXIT_OK;
}
