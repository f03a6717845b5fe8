/**
 * `cofw replay`'s outputs, checked and opened before anything is read.
 *
 * An output that is the same file as an input (a capture, the rule files,
 * the machine file) or as another output is refused: two names are the
 * same file when they have the same device and inode (so a hard link, a
 * symbolic link or `./x` is caught), or, for names that do not exist yet,
 * the same path once the folders' links are resolved. Then every output is
 * opened (a temporary file beside it: src/io/output-file.ts), its folder
 * checked, and the --split-by folder created, so that a bad path fails at
 * once, naming the option and the path. Nothing is put in place before
 * `commit`; `discard` leaves every earlier file as it was.
 */
import { fstatSync, mkdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { captureFormatFor, openCaptureWriter, type CaptureWriter } from '../capture/writer.js';
import { OutputError, OutputFiles, reasonText, type OutputFile } from '../io/output-file.js';
import { splitStem } from '../report/split-captures.js';

/** The files a replay reads. */
export interface ReplayInputs {
  captures: string[];
  rules?: string | undefined;
  rules6?: string | undefined;
  machine?: string | undefined;
  /** The expectation file (--expect). */
  expect?: string | undefined;
  ipsets?: string | undefined;
}

/** The outputs a replay is asked for (the command line's options). */
export interface ReplayOutputOptions {
  accepted?: string | undefined;
  dropped?: string | undefined;
  outFormat?: 'pcap' | 'pcapng' | undefined;
  splitBy?: 'rule' | undefined;
  splitDir?: string | undefined;
  save?: string | undefined;
  save6?: string | undefined;
  console?: string | undefined;
  conntrack?: string | undefined;
  conntrackExpect?: string | undefined;
  saveIpsets?: string | undefined;
  saveNfacct?: string | undefined;
  json?: string | undefined;
  report?: string | undefined;
  junit?: string | undefined;
}

/** The text outputs, by option. */
export type TextOutput = 'save' | 'save6' | 'console' | 'conntrack' | 'conntrackExpect' | 'saveIpsets' | 'saveNfacct' | 'json' | 'report' | 'junit';
const TEXT_OUTPUTS: ReadonlyArray<[TextOutput, string]> = [
  ['save', '--save'],
  ['save6', '--save6'],
  ['console', '--console'],
  ['conntrack', '--conntrack'],
  ['conntrackExpect', '--conntrack-expect'],
  ['saveIpsets', '--save-ipsets'],
  ['saveNfacct', '--save-nfacct'],
  ['json', '--json'],
  ['report', '--report'],
  ['junit', '--junit'],
];

/** The opened outputs of one replay. */
export interface ReplayOutputs {
  /** Every file, put in place together (`files.commit()`) or abandoned (`files.discard()`). */
  files: OutputFiles;
  accepted?: CaptureWriter;
  dropped?: CaptureWriter;
  text: Partial<Record<TextOutput, OutputFile>>;
}

/** What a name is, to compare it with others: `id:DEV:INO` for an existing file, `path:...` for a name not yet there. */
function identity(path: string): string | undefined {
  let st: Stats;
  try {
    st = path === '-' ? fstatSync(0) : statSync(path);
  } catch {
    if (path === '-') return undefined;
    return `path:${resolvedPath(path)}`;
  }
  // Terminals and /dev/null: writing them twice destroys nothing.
  if (st.isCharacterDevice()) return undefined;
  return `id:${st.dev}:${st.ino}`;
}

/** The absolute path with the links of its longest existing folder resolved. */
function resolvedPath(path: string): string {
  const abs = resolve(path);
  const rest: string[] = [];
  for (let dir = abs; ;) {
    try {
      return join(realpathSync(dir), ...rest);
    } catch {
      const up = dirname(dir);
      if (up === dir) return abs;
      rest.unshift(basename(dir));
      dir = up;
    }
  }
}

/** How a message names an input: `the capture big.pcap`, `standard input`. */
function inputName(what: string, path: string): string {
  return path === '-' ? 'standard input (-)' : `${what} ${path}`;
}

/**
 * The split captures' names: `STEM-[ip6-]TABLE-CHAIN-ruleN`, `-policy`,
 * `STEM-stack-REASON`, `STEM-fail-...`, with an optional `-N` for clashes.
 */
function isSplitName(name: string, stem: string, format: string): boolean {
  if (!name.startsWith(`${stem}-`) || !name.toLowerCase().endsWith(`.${format}`)) return false;
  const middle = name.slice(stem.length + 1, name.length - format.length - 1);
  return /^(stack-|fail-|(ip6-)?(raw|mangle|nat|filter|security)-.+-(rule\d+|policy)(-\d+)?$)/.test(middle);
}

/**
 * Refuses an output that is an input or another output, and a split folder
 * whose captures would replace one of them. Reads and writes nothing.
 */
export function refuseSameFiles(inputs: ReplayInputs, o: ReplayOutputOptions): void {
  const ins: Array<[string, string]> = inputs.captures.map((c): [string, string] => [inputName('the capture', c), c]);
  if (inputs.rules) ins.push([inputName('the rule file (--rules)', inputs.rules), inputs.rules]);
  if (inputs.rules6) ins.push([inputName('the ip6tables rule file (--rules6)', inputs.rules6), inputs.rules6]);
  if (inputs.machine) ins.push([inputName('the machine file (--machine)', inputs.machine), inputs.machine]);
  if (inputs.expect) ins.push([inputName('the expectation file (--expect)', inputs.expect), inputs.expect]);
  if (inputs.ipsets) ins.push([inputName('the ipset file (--ipsets)', inputs.ipsets), inputs.ipsets]);
  const outs: Array<[string, string]> = [];
  if (o.accepted) outs.push(['--accepted', o.accepted]);
  if (o.dropped) outs.push(['--dropped', o.dropped]);
  for (const [key, option] of TEXT_OUTPUTS) {
    const p = o[key];
    if (p) outs.push([option, p]);
  }
  const seen = new Map<string, string>();
  for (const [what, path] of ins) {
    const id = identity(path);
    if (id && !seen.has(id)) seen.set(id, what);
  }
  for (const [option, path] of outs) {
    const id = identity(path);
    if (!id) continue;
    const other = seen.get(id);
    if (other?.startsWith('--')) throw new OutputError(path, option, `${option} ${path}: the same file as ${other}; give each output a file of its own`);
    if (other) throw new OutputError(path, option, `${option} ${path}: the same file as ${other}; cofw does not write over what it reads: choose another name`);
    seen.set(id, `${option} ${path}`);
  }
  if (o.splitBy) {
    const dir = o.splitDir ?? dirname(o.dropped ?? '.');
    const stem = splitStem(o.dropped);
    const format = o.outFormat ?? (o.dropped && !/\.pcapng$/i.test(o.dropped) ? 'pcap' : 'pcapng');
    const real = resolvedPath(dir);
    for (const [what, path] of [...ins, ...outs.map(([option, p]): [string, string] => [`${option} ${p}`, p])]) {
      if (path === '-' || !isSplitName(basename(path), stem, format)) continue;
      if (resolvedPath(dirname(path)) === real)
        throw new OutputError(
          path,
          '--split-by',
          `--split-by rule: its captures (${stem}-*.${format} in ${dir}) could replace ${what}; move it or give another --split-dir`,
        );
    }
  }
}

/** Checks (and creates) the --split-by folder: it must be a folder, or be creatable. */
function prepareSplitDir(o: ReplayOutputOptions): void {
  if (!o.splitBy) return;
  const option = o.splitDir ? '--split-dir' : '--dropped';
  const dir = o.splitDir ?? dirname(o.dropped ?? '.');
  let st: Stats | undefined;
  try {
    st = statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' || !o.splitDir)
      throw new OutputError(dir, option, `${option} ${dir}: cannot use the folder for the --split-by captures: ${reasonText(e)}`, { cause: e });
  }
  if (st && !st.isDirectory()) throw new OutputError(dir, option, `${option} ${dir}: not a folder: --split-by rule writes its captures into a folder`);
  if (!st) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new OutputError(dir, option, `${option} ${dir}: cannot create the folder: ${reasonText(e)}`, { cause: e });
    }
  }
  // Can files be created in it? (A temporary file tells, whoever runs cofw.)
  const files = new OutputFiles();
  try {
    files.open(join(dir, `${splitStem(o.dropped)}-probe`), option);
  } finally {
    files.discard();
  }
}

/**
 * Checks and opens every output of a replay (see the module comment).
 * Throws OutputError naming the option and the path; on failure nothing is
 * left behind.
 */
export function openReplayOutputs(inputs: ReplayInputs, o: ReplayOutputOptions): ReplayOutputs {
  refuseSameFiles(inputs, o);
  const files = new OutputFiles();
  const out: ReplayOutputs = { files, text: {} };
  try {
    prepareSplitDir(o);
    const fmt = o.outFormat ? { format: o.outFormat } : {};
    if (o.accepted) out.accepted = openCaptureWriter(o.accepted, { ...fmt, files, option: '--accepted' });
    if (o.dropped) out.dropped = openCaptureWriter(o.dropped, { ...fmt, files, option: '--dropped' });
    for (const [key, option] of TEXT_OUTPUTS) {
      const p = o[key];
      if (p) out.text[key] = files.open(p, option);
    }
  } catch (e) {
    files.discard();
    throw e;
  }
  return out;
}

/**
 * A capture name that says one format while --out-format says the other
 * (`--out-format pcap` with `a.pcapng`), or a compressed name (cofw writes
 * no gzip): the message, or undefined when the name is fine.
 */
export function captureNameProblem(option: string, path: string, outFormat: 'pcap' | 'pcapng' | undefined): string | undefined {
  if (/\.gz$/i.test(path)) return `${option} ${path}: cofw does not compress the captures it writes; give a name without .gz (and gzip it afterwards)`;
  if (!outFormat) return undefined;
  const named = /\.pcapng$/i.test(path) ? 'pcapng' : /\.(pcap|cap)$/i.test(path) ? 'pcap' : undefined;
  if (named && named !== captureFormatFor(path, outFormat))
    return `${option} ${path}: the name says ${named} but --out-format is ${outFormat}; name it .${outFormat === 'pcap' ? 'pcap' : 'pcapng'} or leave out --out-format (the format then follows the name)`;
  return undefined;
}
