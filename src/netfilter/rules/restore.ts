/**
 * Loads an `iptables-restore` file into a ruleset, as Debian's
 * iptables-restore 1.8.9 (nf_tables) and the kernel behind it would:
 *
 * - lines as iptables-restore reads them (xtables_restore_parse_line):
 *   `#` comments and empty lines, `*table`, `:CHAIN POLICY [p:b]` (words
 *   after the policy ignored; a user chain declared again is flushed; a
 *   built-in chain's `-` keeps its policy), `COMMIT` alone on its line, and
 *   every other line of an open table is a command. Leading blanks, a
 *   carriage return, a byte-order mark are taken where iptables-restore
 *   takes them and refused where it refuses them, with what to do;
 * - words split as add_param_to_argv splits them (tokenize.ts), then read
 *   by glibc's getopt_long (getopt.ts) with the option table iptables
 *   builds as it goes: the generic options, then each loaded match's and
 *   target's, so long options may be abbreviated to a unique prefix among
 *   those known at that point (`-m multiport --dport 1,2` is `--dports`)
 *   and written `--option=value`;
 * - each option handled as do_parse handles it (iptables/xshared.c), with
 *   its quirks: the protocol's match loaded when an option is unknown,
 *   `-s`, `-d`, `-p`, `-i`, `-o`, `-j` taking the word itself when written
 *   `--source=ADDR` or `-sADDR` (iptables 1.8.9 reads argv[optind-1]),
 *   generic_opt_check's table, chain names in bytes;
 * - addresses as libxtables reads them (addresses.ts), names from the
 *   guest's /etc/hosts (hosts.ts), never DNS;
 * - the nf_tables commit: chain and rule commands in order, target and
 *   match checks on the hooks each chain is reached from, jumps more than
 *   15 deep or in a loop reached from a built-in chain refused (graph.ts).
 *
 * Every error names file, line and column, iptables' own words and what to
 * do. All errors of a file are collected (one per line), not just the
 * first.
 *
 * Like iptables-restore without `-c`, `[packets:bytes]` prefixes are
 * read and ignored (counters start at zero; a rule's own `-c P B` sets
 * them), unless `restoreCounters` is set.
 */
import type { ModuleSettings } from '../conntrack/module-params.js';
import type { TimeoutPolicy } from '../conntrack/timeout-policy.js';
import { MiB, sizeText } from '../../io/input-file.js';
import { Family, InetAddr } from '../../packet/inet-addr.js';
import { xtStrtoulAll } from '../args.js';
import { MATCHES } from '../matches/index.js';
import { parseProtocol, protocolName } from '../names.js';
import { TARGETS } from '../targets/index.js';
import { HOOK_NAMES } from '../types.js';
import {
  CheckError,
  OptionError,
  type BoundMatch,
  type CheckContext,
  type MatchModule,
  type OptionSpec,
  type OptionUse,
  type ParseContext,
  type RuleHead,
  type TargetModule,
} from '../xt.js';
import { AddressError, parseAddressList } from './addresses.js';
import { RuleFileError, RuleFileErrors } from './api.js';
import { Getopt, GETOPT_MISSING, GETOPT_NONOPTION, GETOPT_UNKNOWN, type GetoptResult, type LongOption } from './getopt.js';
import { JUMP_STACK_SIZE, hookMasks, hookReachLines, jumpProblems } from './graph.js';
import { hostsTable, type HostsTable } from './hosts.js';
import type { IpsetStore } from '../ipset/ipset.js';
import type { NfacctSpec } from '../nfacct.js';
import {
  BUILTIN_CHAINS,
  INV_DSTIP,
  INV_FRAG,
  INV_PROTO,
  INV_SRCIP,
  INV_VIA_IN,
  INV_VIA_OUT,
  emptyIpMatch,
  newTable,
  type Chain,
  type IpMatch,
  type Rule,
  type Ruleset,
  type StandardTarget,
  type Table,
} from './model.js';
import { ruleText } from './save.js';
import { byteLength, tokenize, TokenizeError } from './tokenize.js';
import type { OsfFingers } from '../matches/osf-fingers.js';

export type { HostEntry, HostsTable } from './hosts.js';
export { debianHosts, hostsTable } from './hosts.js';

/** The match registry by name and alias (tests may add stand-ins). */
export const MATCH_BY_NAME = new Map<string, MatchModule<any>>();
for (const m of MATCHES) {
  MATCH_BY_NAME.set(m.name, m);
  for (const a of m.aliases ?? []) MATCH_BY_NAME.set(a, m);
}
/** The target registry by name and alias. */
export const TARGET_BY_NAME = new Map<string, TargetModule<any>>();
for (const t of TARGETS) {
  TARGET_BY_NAME.set(t.name, t);
  for (const a of t.aliases ?? []) TARGET_BY_NAME.set(a, t);
}

const XT_MATCHES =
  'addrtype bpf cgroup cluster comment connbytes connlabel connlimit connmark conntrack cpu dccp devgroup dscp ecn esp hashlimit helper ipcomp iprange ipvs length limit mac mark multiport nfacct owner physdev pkttype policy quota rateest recent rpfilter sctp set socket state statistic string tcp tcpmss time tos u32 udp';
/** The matches Debian's iptables 1.8.9 can load, per family (its libxt_, libipt_ and libip6t_ extensions). */
const KNOWN_MATCHES: Readonly<Record<number, ReadonlySet<string>>> = {
  [Family.V4]: new Set(`${XT_MATCHES} ah icmp osf realm ttl`.split(' ')),
  [Family.V6]: new Set(`${XT_MATCHES} ah dst eui64 frag hbh hl icmp6 ipv6header mh rt srh`.split(' ')),
};
const XT_TARGETS =
  'AUDIT CHECKSUM CLASSIFY CONNMARK CONNSECMARK CT DNAT DSCP HMARK IDLETIMER LED LOG MARK MASQUERADE NETMAP NFLOG NFQUEUE NOTRACK RATEEST REDIRECT REJECT SECMARK SET SNAT SYNPROXY TCPMSS TCPOPTSTRIP TEE TOS TPROXY TRACE standard';
/**
 * The targets Debian's iptables 1.8.9 loads, per family: what `-N NAME`
 * may not be called (recorded with `-N NAME` in iptables-restore and
 * ip6tables-restore), besides ACCEPT, DROP, QUEUE and RETURN.
 */
const KNOWN_TARGETS: Readonly<Record<number, ReadonlySet<string>>> = {
  [Family.V4]: new Set(`${XT_TARGETS} CLUSTERIP ECN TTL ULOG`.split(' ')),
  [Family.V6]: new Set(`${XT_TARGETS} DNPT HL SNPT`.split(' ')),
};
const STANDARD_TARGETS = ['ACCEPT', 'DROP', 'QUEUE', 'RETURN'];

/** Targets the reference kernel itself refuses, with what it says and why. */
const REFUSED_TARGETS: ReadonlyMap<string, string> = new Map([
  [
    'SECMARK',
    'the kernel refuses it (RULE_APPEND failed (No such file or directory)): no security module with a loaded policy turns --selctx into a security id ' +
      '(the reference kernel has SELinux built in but not enabled, as Debian boots); without SECMARK every security mark is 0, so CONNSECMARK copies nothing: remove the rule, or mark packets with MARK or CONNMARK',
  ],
]);

const VALID_TABLES = Object.keys(BUILTIN_CHAINS);
/**
 * The largest rule file cofw reads (64 MiB). The largest of the corpus of
 * real files (test/fixtures/corpus) is 0.7 MiB; kube-proxy's rules for
 * thousands of services reach tens of MiB. iptables-restore has no limit.
 */
export const MAX_RULE_FILE_BYTES = 64 * MiB;
/** The most rules one line's `-s` and `-d` lists may expand into (the product of their lengths). */
export const MAX_LINE_RULES = 65_536;
/** The most rules one load may build, lines and expansions together (about 900 bytes of memory each). */
export const MAX_RULES = 1_000_000;

/** Why a rule file over MAX_RULE_FILE_BYTES is refused. */
export function ruleFileTooLarge(file: string, size: number | undefined, what = 'rule file'): string {
  return (
    `${file}: the ${what} is ${size === undefined ? `more than ${sizeText(MAX_RULE_FILE_BYTES)}` : sizeText(size)}; cofw reads ${what}s of at most ` +
    `${sizeText(MAX_RULE_FILE_BYTES)}, more than any real rule set needs: check that this is the rule file, or split it`
  );
}

/** XT_EXTENSION_MAXNAMELEN: chain and target names hold at most 28 bytes and a NUL. */
const NAME_MAX = 29;
const IFNAMSIZ = 16;
/** iptables-restore reads a line with fgets into 10,240 bytes: longer lines are cut into pieces. */
const LINE_MAX = 10239;

/**
 * libxtables cuts an XTOPT_PUT string argument to its field's size
 * (xtopt_parse_string): these options' names are cut, by bytes, rather
 * than refused (recorded: 250 characters give recent 199, hashlimit 254).
 */
const PUT_STRING_SIZES: ReadonlyMap<string, number> = new Map([
  ['recent/name', 200],
  ['hashlimit/hashlimit-name', 255],
  ['RATEEST/rateest-name', 16],
  ['TEE/oif', 16],
  ['osf/genre', 32],
  ['cgroup/path', 512],
]);

export interface LoadOptions {
  /** Family.V4 (an iptables rule file, the default) or Family.V6 (ip6tables). */
  family?: Family;
  /** Take `[packets:bytes]` prefixes and `:CHAIN POLICY [p:b]` counters as the starting values (iptables-restore -c). */
  restoreCounters?: boolean;
  /**
   * The guest's /etc/hosts, whole, for host names in `-s` and `-d` (see
   * hosts.ts): `hostsTable(spec.hosts, spec.hostname)` makes it from the
   * machine file's `hosts:` and Debian's default lines, which are what a
   * load without it uses. The guest passes it when it boots; `cofw check`
   * and `cofw save` with `--machine`.
   */
  hosts?: HostsTable;
  /** The most rules the load may build (MAX_RULES by default). */
  maxRules?: number;
  /**
   * The IP sets the rules may name (`-m set`, `-j SET`), as `ipset restore`
   * left them before iptables-restore ran; a rule naming another set is
   * refused as iptables refuses it (`Set NAME doesn't exist.`).
   */
  ipsets?: IpsetStore;
  /**
   * The machine's bridge ports (`bridgePorts(spec)`, from the machine
   * file's `bridges:`): `-m physdev` is read only when there are some.
   */
  bridgePorts?: readonly string[];
  /**
   * The cgroup2 paths that exist on the machine (`machineFacts(spec)`):
   * `-m cgroup --path` must name one. The root `/` alone when absent.
   */
  cgroups?: readonly string[];
  /** The helper modules' parameters (the machine file's `modules:`), for `CT --helper`. */
  modules?: ModuleSettings;
  /** The guest's timeout policies (the machine file's `cttimeout:`), for `CT --timeout`. */
  cttimeout?: readonly TimeoutPolicy[];
  /**
   * The text is the guest's own iptables-save output, loaded again by the
   * host: a `CT --timeout` name in it is a policy name's first 4 bytes (as
   * the kernel gives them back), which names the first policy so beginning.
   */
  guestSave?: boolean;
  /** The passive OS fingerprints `nfnl_osf` loaded (the machine file's `osf:`), for `-m osf`; none when absent. */
  osf?: OsfFingers;
  /** The accounting objects `-m nfacct` may name (the machine file's `nfacct:`); a rule naming another is refused, as the kernel refuses it. */
  nfacct?: readonly NfacctSpec[];
}

/** An error at a word, before it knows its file (filled in by the line loop). */
class LineError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
  }
}

/** The end of a LimitError's message. */
const LIMIT_NOTE = 'the rest of the file is not read';

/** A limit of cofw's own was passed: the load stops at that line. */
class LimitError extends LineError {}

/** A module loaded on a rule line, with the options given to it. */
interface Loaded {
  readonly module: MatchModule<any> | TargetModule<any>;
  readonly uses: OptionUse[];
  readonly column: number;
  /** Its options' getopt values are offset + index in `module.options`. */
  offset: number;
  /** A later `-m` of the same match takes the options from here on (xtables_find_match's `completed`). */
  completed: boolean;
}

/** A rule line as do_parse leaves it. */
interface ParsedLine {
  command: number;
  commandColumn: number;
  chain?: string;
  chainColumn: number;
  rulenum?: number;
  rulenumColumn: number;
  newname?: string;
  policy?: string;
  policyColumn: number;
  options: number;
  ip: IpMatch;
  /** -s/-d lists (comma-separated, names expanded): the rule is repeated for each pair. */
  srcs: Array<[InetAddr, InetAddr]>;
  dsts: Array<[InetAddr, InetAddr]>;
  loaded: Loaded[];
  /** The target or chain of -j/-g, when not a module. */
  jumpto?: string;
  jumpColumn: number;
  goto: boolean;
  /** `-c P B` (or `--set-counters` from a `[P:B]` prefix under restoreCounters). */
  counters?: [number, number];
}

// The commands (CMD_* of xshared.h), in cmd2char's bit order.
const CMD_INSERT = 1 << 0;
const CMD_DELETE = 1 << 1;
const CMD_DELETE_NUM = 1 << 2;
const CMD_REPLACE = 1 << 3;
const CMD_APPEND = 1 << 4;
const CMD_LIST = 1 << 5;
const CMD_FLUSH = 1 << 6;
const CMD_ZERO = 1 << 7;
const CMD_NEW_CHAIN = 1 << 8;
const CMD_DELETE_CHAIN = 1 << 9;
const CMD_SET_POLICY = 1 << 10;
const CMD_RENAME_CHAIN = 1 << 11;
const CMD_LIST_RULES = 1 << 12;
const CMD_ZERO_NUM = 1 << 13;
const CMD_CHECK = 1 << 14;
const CMD_CHARS = 'IDDRALFZNXPESZC';
const RULE_COMMANDS = CMD_APPEND | CMD_DELETE | CMD_DELETE_NUM | CMD_CHECK | CMD_INSERT | CMD_REPLACE;

// The generic options (OPT_* of xshared.h), in optflags' order.
const OPT_CHARS = 'nsdpjvxio0cf';
const OPT = Object.fromEntries([...OPT_CHARS].map((c, i) => [c, 1 << i])) as Record<string, number>;
const INVERTIBLE: Record<string, number> = { s: INV_SRCIP, d: INV_DSTIP, p: INV_PROTO, i: INV_VIA_IN, o: INV_VIA_OUT, f: INV_FRAG };
/** commands_v_options: for each command, the options it refuses (`x`). */
const ILLEGAL: ReadonlyArray<readonly [number, string]> = [
  [CMD_INSERT, 'nx0'],
  [CMD_DELETE, 'nx0c'],
  [CMD_DELETE_NUM, 'nsdpjxio0cf'],
  [CMD_REPLACE, 'nx0'],
  [CMD_APPEND, 'nx0'],
  [CMD_LIST, 'sdpjiocf'],
  [CMD_FLUSH, 'nsdpjxio0cf'],
  [CMD_ZERO, 'nsdpjxio0cf'],
  [CMD_NEW_CHAIN, 'nsdpjxio0cf'],
  [CMD_DELETE_CHAIN, 'nsdpjxio0cf'],
  [CMD_SET_POLICY, 'nsdpjxio0f'],
  [CMD_RENAME_CHAIN, 'nsdpjxio0cf'],
  [CMD_LIST_RULES, 'nsdpjxio0cf'],
  [CMD_ZERO_NUM, 'nsdpjxio0cf'],
  [CMD_CHECK, 'nx0c'],
];

/** A module's long options at a getopt offset (its share of xtables_options_xfrm), and the generic options followed by them. */
interface ModuleOptions {
  own: readonly LongOption[];
  first: readonly LongOption[];
}
const moduleOptionTables = new WeakMap<object, Map<number, ModuleOptions>>();

/** `ModuleOptions` of `module` at `offset`, made once per module and offset (every rule that loads the module asks again). */
function moduleOptions(
  module: { readonly options: ReadonlyArray<{ name: string; args: number; aliases?: readonly string[] }> },
  offset: number,
): ModuleOptions {
  let byOffset = moduleOptionTables.get(module);
  if (!byOffset) moduleOptionTables.set(module, (byOffset = new Map()));
  let t = byOffset.get(offset);
  if (!t) {
    const own: LongOption[] = [];
    module.options.forEach((s, k) => {
      const hasArg = s.args > 0 ? 1 : 0;
      for (const name of [s.name, ...(s.aliases ?? [])]) own.push({ name, hasArg, val: offset + k });
    });
    byOffset.set(offset, (t = { own, first: [...GENERIC_OPTS, ...own] }));
  }
  return t;
}

/** ILLEGAL with each command's refused options as one mask of OPT bits (most rules give none: one test, not one per option). */
const ILLEGAL_MASKS: ReadonlyArray<readonly [number, string, number]> = ILLEGAL.map(([cmd, refused]) => [
  cmd,
  refused,
  [...refused].reduce((m, o) => m | OPT[o]!, 0),
]);

/** IPT_OPTSTRING after its `-:` (return in order, `:` for a missing argument). */
const OPTSTRING = 'A:C:D:E:F::I:L::M:N:P:VX::Z::c:d:i:j:o:p:s:t:R:S::W::46bfg:h::m:nvw::x';
const ch = (c: string): number => c.charCodeAt(0);
/** original_opts of iptables/xtables.c, in order. */
const GENERIC_OPTS: readonly LongOption[] = (
  [
    ['append', 1, 'A'],
    ['delete', 1, 'D'],
    ['check', 1, 'C'],
    ['insert', 1, 'I'],
    ['replace', 1, 'R'],
    ['list', 2, 'L'],
    ['list-rules', 2, 'S'],
    ['flush', 2, 'F'],
    ['zero', 2, 'Z'],
    ['new-chain', 1, 'N'],
    ['delete-chain', 2, 'X'],
    ['rename-chain', 1, 'E'],
    ['policy', 1, 'P'],
    ['source', 1, 's'],
    ['destination', 1, 'd'],
    ['src', 1, 's'],
    ['dst', 1, 'd'],
    ['protocol', 1, 'p'],
    ['in-interface', 1, 'i'],
    ['jump', 1, 'j'],
    ['table', 1, 't'],
    ['match', 1, 'm'],
    ['numeric', 0, 'n'],
    ['out-interface', 1, 'o'],
    ['verbose', 0, 'v'],
    ['wait', 2, 'w'],
    ['wait-interval', 2, 'W'],
    ['exact', 0, 'x'],
    ['fragments', 0, 'f'],
    ['version', 0, 'V'],
    ['help', 2, 'h'],
    ['line-numbers', 0, '0'],
    ['modprobe', 1, 'M'],
    ['set-counters', 1, 'c'],
    ['goto', 1, 'g'],
    ['ipv4', 0, '4'],
    ['ipv6', 0, '6'],
  ] as const
).map(([name, hasArg, c]) => ({ name, hasArg, val: ch(c) }));
/** XT_OPTION_OFFSET_SCALE: each loaded module's options get the next block of getopt values. */
const OFFSET_SCALE = 256;

/** xtables_strtoui(s, NULL, &n, 1, INT_MAX): a rule number. */
function ruleNumber(text: string): number | undefined {
  return xtStrtoulAll(text, 0x7fffffff, 1);
}

/** sscanf("%llu"): blanks, an optional sign, decimal digits (a minus wraps, as strtoull). */
function scanCounter(text: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)/.exec(text);
  if (!m) return undefined;
  const v = BigInt(m[2]!);
  return Number(m[1] === '-' ? BigInt.asUintN(64, -v) : BigInt.asUintN(64, v));
}

/** Words of a `*table` or `:chain` line as strtok(" \t\n") finds them. */
function strtokWords(text: string): string[] {
  return text.split(/[ \t\n]+/).filter((w) => w !== '');
}

/** Whether the text has a byte C's isspace() takes (what makes a chain or target name invalid). */
function hasCSpace(s: string): boolean {
  return /[ \t\n\v\f\r]/.test(s);
}

/** How a name or word is shown in a message: control characters are left to the printer; a carriage return is named. */
function crNote(text: string): string {
  return /\r/.test(text) ? ' (it ends with a carriage return: the file has Windows line endings)' : '';
}

/** The hint for a line that ends with a carriage return. */
const CR_HINT =
  'the line ends with a carriage return (a Windows line ending), which iptables-restore keeps as part of the last word: convert the file with dos2unix or `sed -i "s/\\r$//"`';

export class RestoreParser {
  private readonly tables = new Map<string, Table>();
  private table: Table | undefined;
  private tableLine = 0;
  /** A `*table` line was refused: its lines are skipped up to COMMIT, not reported one by one. */
  private skipping = false;
  /**
   * Whether the open table's block created anything (a chain line, -N, -P,
   * a rule, -F CHAIN): iptables-nft makes the table only then, and a block
   * that creates nothing leaves no table at all (it still removes the one
   * an earlier block of the file loaded).
   */
  private touched = false;
  /** Rules added in the open table, with their line, for checks at COMMIT. */
  private pending: Array<{ rule: Rule; chain: string; line: number; column: number; targetColumn: number }> = [];
  /** Chain names a `:NAME` line announced: for the rest of the file, `-j NAME` is a chain, not a target (xtables_announce_chain). */
  private readonly announced = new Set<string>();
  readonly errors: RuleFileError[] = [];
  /** Rules built so far in this load (MAX_RULES). */
  private ruleCount = 0;
  /** State shared by name between the rules of this load (see ParseContext.shared). */
  private readonly shared = new Map<string, unknown>();
  private readonly hosts: HostsTable;

  constructor(
    private readonly file: string,
    private readonly opts: LoadOptions = {},
  ) {
    this.family = opts.family ?? Family.V4;
    this.hosts = opts.hosts ?? hostsTable();
  }

  /** The family of the rules being loaded. */
  readonly family: Family;

  private get tool(): string {
    return this.family === Family.V6 ? 'ip6tables-restore' : 'iptables-restore';
  }

  private err(message: string, line: number, column: number): void {
    this.errors.push(new RuleFileError(message, this.file, line, column));
  }

  load(text: string): Ruleset {
    // A character is one to three bytes of UTF-8 (a surrogate pair two characters, four bytes).
    if (text.length > MAX_RULE_FILE_BYTES || (text.length * 3 > MAX_RULE_FILE_BYTES && byteLength(text) > MAX_RULE_FILE_BYTES)) {
      this.err(ruleFileTooLarge(this.file, byteLength(text)), 1, 1);
      throw new RuleFileErrors(this.errors);
    }
    let pos = 0;
    let lineNo = 0;
    let stopped = false;
    lines: while (pos < text.length) {
      const nl = text.indexOf('\n', pos);
      const raw = nl < 0 ? text.slice(pos) : text.slice(pos, nl);
      pos = nl < 0 ? text.length : nl + 1;
      lineNo++;
      if (raw === '') continue;
      // fgets reads the bytes; C reads the buffer up to its first NUL.
      const z = raw.indexOf('\0');
      const line = z < 0 ? raw : raw.slice(0, z);
      try {
        if (byteLength(raw) > LINE_MAX) {
          throw new LineError(
            `line of ${byteLength(raw)} bytes: ${this.tool} reads at most ${LINE_MAX} bytes of a line at once and takes the rest for another line; split the rule`,
            1,
          );
        }
        this.line(line, nl >= 0, lineNo);
      } catch (e) {
        if (!(e instanceof LineError || e instanceof TokenizeError)) throw e;
        const hint = raw.endsWith('\r') && !/carriage return/.test(e.message) ? `; ${CR_HINT}` : '';
        this.err(e.message + hint, lineNo, e.column);
        if (e instanceof LimitError) {
          stopped = true;
          break lines;
        }
      }
    }
    if ((this.table || this.skipping) && !stopped) {
      this.err(
        `COMMIT expected at line ${lineNo + 1}: table \`${this.table?.name ?? '?'}' opened here is never committed; add a COMMIT line`,
        this.tableLine,
        1,
      );
    }
    if (this.errors.length) throw new RuleFileErrors(this.errors);
    return { family: this.family, tables: this.tables, file: this.file };
  }

  /** One line, as xtables_restore_parse_line dispatches it. */
  private line(line: string, newline: boolean, lineNo: number): void {
    const inTable = this.table !== undefined || this.skipping;
    if (line[0] === '#') return;
    if (inTable && line === 'COMMIT') {
      if (this.skipping) this.skipping = false;
      else this.commit();
      return;
    }
    if (line[0] === '*' && !inTable) {
      this.tableLine = lineNo;
      const name = strtokWords(line.slice(1))[0];
      if (name === undefined) {
        this.skipping = true;
        throw new LineError(`${this.tool}: line ${lineNo} table name invalid: write the table's name after the star, such as *filter`, 1);
      }
      if (!VALID_TABLES.includes(name)) {
        const trimmed = name.replace(/[\r\v\f]+$/, '');
        if (VALID_TABLES.includes(trimmed)) {
          this.table = newTable(trimmed, lineNo);
          this.touched = false;
        } else this.skipping = true;
        throw new LineError(`${this.tool}: line ${lineNo} table name '${name}' invalid${crNote(name)}: expected one of ${VALID_TABLES.join(', ')}`, 2);
      }
      // iptables-restore without --noflush replaces each table it names.
      this.table = newTable(name, lineNo);
      this.touched = false;
      this.pending = [];
      return;
    }
    if (line[0] === ':' && inTable) {
      if (!this.skipping) this.chainDecl(line, lineNo);
      return;
    }
    if (inTable) {
      // `COMMIT ` or `COMMIT\r` is a bad command to iptables-restore; reported as such, it still ends the table for
      // what follows, so that one carriage return does not make every later line an error too.
      const commitLike = line.trim() === 'COMMIT';
      try {
        if (!this.skipping) this.ruleLine(line, newline, lineNo);
      } finally {
        if (commitLike && this.skipping) this.skipping = false;
        else if (commitLike) this.commit();
      }
      return;
    }
    throw new LineError(`${this.tool}: line ${lineNo} failed: ${outsideTable(line)}`, 1);
  }

  /** A `:CHAIN POLICY [packets:bytes]` line. */
  private chainDecl(line: string, lineNo: number): void {
    const table = this.table!;
    this.touched = true;
    const words = strtokWords(line.slice(1));
    const name = words[0];
    const column = line.indexOf(name ?? '', 1) + 1;
    if (name === undefined) throw new LineError(`${this.tool}: line ${lineNo} chain name invalid: expected \`:NAME POLICY [packets:bytes]'`, 1);
    this.announced.add(name);
    this.assertValidChainName(name, column);
    const policy = words[1];
    if (policy === undefined) {
      throw new LineError(
        `${this.tool}: line ${lineNo} policy invalid: expected \`:${name} ACCEPT [0:0]' for a built-in chain or \`:${name} - [0:0]' for a user chain`,
        column,
      );
    }
    const policyColumn = line.indexOf(policy, column + name.length - 1) + 1;
    const builtin = (BUILTIN_CHAINS[table.name] ?? []).includes(name);
    if (builtin) {
      const c = table.chains.get(name)!;
      let counters: [number, number] | undefined;
      if (this.opts.restoreCounters) {
        const m = /^\[(\d+):(\d+)\]/.exec(words[2] ?? '');
        if (!m) throw new LineError(`invalid policy counters for chain '${name}': expected [packets:bytes]`, policyColumn);
        counters = [Number(m[1]), Number(m[2])];
      }
      if (policy !== '-' && policy !== 'ACCEPT' && policy !== 'DROP') {
        throw new LineError(
          `Bad policy name \`${policy}' for built-in chain ${name}${crNote(policy)}: expected ACCEPT, DROP, or - to keep the policy`,
          policyColumn,
        );
      }
      if (policy !== '-') c.policy = policy;
      if (counters) [c.packets, c.bytes] = counters;
      return;
    }
    // A user chain: created, or flushed when it exists (nft_cmd_chain_restore); the policy and counters are not read.
    const c = table.chains.get(name);
    if (c) {
      c.rules = [];
      this.pending = this.pending.filter((x) => x.chain !== name);
      return;
    }
    table.chains.set(name, { name, builtin: false, policy: 'ACCEPT', packets: 0, bytes: 0, rules: [] });
  }

  /** The targets iptables loads for this family under `name` (before announced chain names hide them). */
  private isTargetName(name: string): boolean {
    if (STANDARD_TARGETS.includes(name)) return true;
    if (this.announced.has(name)) return false;
    const mod = TARGET_BY_NAME.get(name);
    if (mod && this.fits(mod)) return true;
    return KNOWN_TARGETS[this.family]!.has(name);
  }

  /** assert_valid_chain_name. */
  private assertValidChainName(name: string, column: number): void {
    if (byteLength(name) >= NAME_MAX) {
      const chars = name.length !== byteLength(name) ? ` (${byteLength(name)} bytes)` : '';
      throw new LineError(`chain name \`${name}' too long (must be under ${NAME_MAX} chars)${chars}: the kernel keeps ${NAME_MAX - 1} bytes`, column);
    }
    if (name[0] === '-' || name[0] === '!') throw new LineError(`chain name not allowed to start with \`${name[0]}'`, column);
    if (this.isTargetName(name)) throw new LineError(`chain name may not clash with target name: \`${name}' is a target; choose another name`, column);
    if (hasCSpace(name)) throw new LineError(`Invalid chain name \`${name}'${crNote(name)}: a chain name has no blanks`, column);
  }

  private chainOf(name: string | undefined, column: number): Chain {
    const table = this.table!;
    const c = name === undefined ? undefined : table.chains.get(name);
    if (!c) {
      throw new LineError(
        `No chain/target/match by that name: chain \`${name ?? ''}' does not exist in table ${table.name}${name && /\r/.test(name) ? crNote(name) : `; declare it with \`:${name ?? 'NAME'} - [0:0]'`}`,
        column,
      );
    }
    return c;
  }

  /** A command line: words, do_parse, then the command on the table. */
  private ruleLine(line: string, newline: boolean, lineNo: number): void {
    let rest = line;
    let offset = 0;
    const argv = [this.tool, '-t', this.table!.name];
    const cols = [1, 1, 1];
    if (line[0] === '[') {
      // tokenize_rule_counters
      const close = line.indexOf(']');
      if (close < 0) throw new LineError(`Bad line ${lineNo}: need ]: a rule's counters are written [packets:bytes]`, 1);
      const inner = line.slice(1).replace(/^:+/, '');
      const colon = inner.indexOf(':');
      if (inner === '') throw new LineError(`Bad line ${lineNo}: need :: a rule's counters are written [packets:bytes]`, 1);
      const after = colon < 0 ? '' : inner.slice(colon + 1).replace(/^\]+/, '');
      if (colon < 0 || after === '') throw new LineError(`Bad line ${lineNo}: need ]: a rule's counters are written [packets:bytes]`, 1);
      const pcnt = inner.slice(0, colon);
      const end = after.indexOf(']');
      const bcnt = end < 0 ? after : after.slice(0, end);
      if (this.opts.restoreCounters) {
        argv.push('--set-counters', pcnt, bcnt);
        cols.push(1, 2, 2 + colon);
      }
      offset = close + 1;
      rest = line.slice(offset);
    }
    const toks = tokenize(rest + (newline ? '\n' : ''), argv.length);
    for (const t of toks) {
      argv.push(t.text);
      cols.push(t.column + offset);
    }
    const state: ParseState = {};
    try {
      const p = this.doParse(argv, cols, argv.length - toks.length, state);
      if (p) this.apply(p, lineNo);
    } catch (e) {
      if (e instanceof LineError && state.oldNegation) {
        const o = state.oldNegation;
        throw new LineError(
          `${e.message}; \`${o.opt} ! ${o.arg ?? 'X'}' is the old way to negate, which iptables 1.8 does not take: write \`! ${o.opt} ${o.arg ?? 'X'}'`,
          e.column,
        );
      }
      if (e instanceof LineError && state.attached && e.message.includes(state.attached.word)) {
        const a = state.attached;
        throw new LineError(
          `${e.message}; iptables 1.8.9 takes the whole word \`${a.word}' as ${a.opt}'s value when the value is attached to ${a.opt}: write \`${a.opt} ${a.value}'`,
          e.column,
        );
      }
      throw e;
    }
  }

  /** do_parse: the words of one line read as iptables reads them. Undefined for a line of the other family (-4/-6). */
  private doParse(argv: string[], cols: number[], firstWord: number, state: ParseState): ParsedLine | undefined {
    const v6 = this.family === Family.V6;
    const p: ParsedLine = {
      command: 0,
      commandColumn: 1,
      chainColumn: 1,
      rulenumColumn: 1,
      policyColumn: 1,
      options: 0,
      ip: emptyIpMatch(this.family),
      srcs: [],
      dsts: [],
      loaded: [],
      jumpColumn: 0,
      goto: false,
    };
    const g = new Getopt(argv, OPTSTRING);
    let opts: readonly LongOption[] = GENERIC_OPTS;
    let offsets = 0;
    let invert = false;
    let invertCol = 0;
    let tableSet = false;
    let protoUsed = false;
    let protocol: string | undefined;
    let shost: { text: string; column: number } | undefined;
    let dhost: { text: string; column: number } | undefined;
    let target: Loaded | undefined;
    let verbose = false;
    const col = (i: number): number => cols[Math.max(0, Math.min(i, cols.length - 1))] ?? 1;
    /** The word iptables quotes for the option just read (argv[optind-1]: its argument when separate), and the option's own word. */
    let word = 0;
    let at = 0;
    const hasArg = (): boolean => g.optind < argv.length && argv[g.optind]![0] !== '-' && argv[g.optind]![0] !== '!';
    const addCommand = (cmd: number, others: number): void => {
      if (invert) throw new LineError(`unexpected '!' flag before -${CMD_CHARS[Math.log2(cmd)]}`, invertCol);
      const clash = p.command & ~others;
      if (clash) {
        const a = CMD_CHARS[Math.log2(cmd)]!;
        const b = CMD_CHARS[Math.log2(clash & -clash)]!;
        throw new LineError(`Cannot use -${a} with -${b}: one command per line`, col(at));
      }
      p.command |= cmd;
      p.commandColumn = col(at);
    };
    const setOption = (o: string): void => {
      const bit = OPT[o]!;
      if (p.options & bit) throw new LineError(`multiple -${o} flags not allowed`, col(at));
      p.options |= bit;
      if (invert) {
        if (!INVERTIBLE[o]) throw new LineError(`cannot have ! before -${o}`, invertCol);
        p.ip.invflags |= INVERTIBLE[o]!;
      }
    };
    /** do_parse reads these options' value as argv[optind-1]: the option's own word when the value is attached to it. */
    const valueWord = (opt: string): string => {
      const w = argv[word]!;
      if (w !== r0.optarg && !state.attached) state.attached = { opt, value: r0.optarg ?? '', word: w };
      return w;
    };
    const noteOldNegation = (opt: string, arg: string | undefined, at: number): void => {
      if (arg === '!' && !state.oldNegation) {
        const next = argv[at + 1];
        state.oldNegation = { opt, ...(next !== undefined && next[0] !== '-' ? { arg: next } : {}) };
      }
    };
    /** Merges a module's options into the table (xtables_options_xfrm): generic first, the new module's, then the older ones. */
    const merge = (l: Loaded): void => {
      offsets += OFFSET_SCALE;
      l.offset = offsets;
      const mine = moduleOptions(l.module, offsets);
      // The table after a rule's first module is the same for every rule that loads it first: made once.
      opts = opts === GENERIC_OPTS ? mine.first : [...GENERIC_OPTS, ...mine.own, ...opts.slice(GENERIC_OPTS.length)];
    };
    const loadMatch = (name: string, column: number): Loaded => {
      const mod = this.findMatch(name, column);
      const earlier = p.loaded.filter((l) => l.module === mod && l.module.kind === 'match');
      for (const l of earlier) l.completed = true;
      const l: Loaded = { module: mod, uses: [], column, offset: earlier.at(-1)?.offset ?? 0, completed: false };
      p.loaded.push(l);
      return l;
    };

    let r0: GetoptResult = { c: 0, at: 0 };
    for (;;) {
      const r: GetoptResult = g.next(opts);
      r0 = r;
      if (r.c === -1) break;
      word = g.optind - 1;
      at = r.at;
      const c = r.c;
      const letter = c < 128 ? String.fromCharCode(c) : '';
      switch (c < OFFSET_SCALE ? letter : '') {
        case 'A':
        case 'C':
          addCommand(c === ch('A') ? CMD_APPEND : CMD_CHECK, 0);
          p.chain = r.optarg!;
          p.chainColumn = col(word);
          break;
        case 'D':
          addCommand(CMD_DELETE, 0);
          p.chain = r.optarg!;
          p.chainColumn = col(word);
          if (hasArg()) {
            p.rulenum = this.parseRuleNumber(argv[g.optind]!, col(g.optind));
            p.rulenumColumn = col(g.optind++);
            p.command = CMD_DELETE_NUM;
          }
          break;
        case 'R':
          addCommand(CMD_REPLACE, 0);
          p.chain = r.optarg!;
          p.chainColumn = col(word);
          if (!hasArg()) throw new LineError('-R requires a rule number: write -R CHAIN NUMBER followed by the rule', col(at));
          p.rulenum = this.parseRuleNumber(argv[g.optind]!, col(g.optind));
          p.rulenumColumn = col(g.optind++);
          break;
        case 'I':
          addCommand(CMD_INSERT, 0);
          p.chain = r.optarg!;
          p.chainColumn = col(word);
          p.rulenum = 1;
          if (hasArg()) {
            p.rulenum = this.parseRuleNumber(argv[g.optind]!, col(g.optind));
            p.rulenumColumn = col(g.optind++);
          }
          break;
        case 'L':
        case 'S':
        case 'F':
        case 'Z':
        case 'X': {
          const cmd = { L: CMD_LIST, S: CMD_LIST_RULES, F: CMD_FLUSH, Z: CMD_ZERO, X: CMD_DELETE_CHAIN }[letter]!;
          const others = letter === 'L' || letter === 'S' ? CMD_ZERO | CMD_ZERO_NUM : letter === 'Z' ? CMD_LIST | CMD_LIST_RULES : 0;
          addCommand(cmd, others);
          if (r.optarg !== undefined) {
            p.chain = r.optarg;
            p.chainColumn = col(word);
          } else if (hasArg()) {
            p.chain = argv[g.optind]!;
            p.chainColumn = col(g.optind++);
          }
          if ((letter === 'L' || letter === 'S' || letter === 'Z') && hasArg()) {
            p.rulenum = this.parseRuleNumber(argv[g.optind]!, col(g.optind));
            p.rulenumColumn = col(g.optind++);
            if (letter === 'Z') p.command = (p.command & ~CMD_ZERO) | CMD_ZERO_NUM;
          }
          break;
        }
        case 'N':
          this.assertValidChainName(r.optarg!, col(word));
          addCommand(CMD_NEW_CHAIN, 0);
          p.chain = r.optarg!;
          p.chainColumn = col(word);
          break;
        case 'E':
          addCommand(CMD_RENAME_CHAIN, 0);
          p.chain = r.optarg!;
          p.chainColumn = col(word);
          if (!hasArg()) throw new LineError('-E requires old-chain-name and new-chain-name', col(at));
          p.newname = argv[g.optind++];
          break;
        case 'P':
          addCommand(CMD_SET_POLICY, 0);
          p.chain = r.optarg!;
          p.chainColumn = col(word);
          if (!hasArg()) throw new LineError('-P requires a chain and a policy: write -P CHAIN ACCEPT or -P CHAIN DROP', col(at));
          p.policyColumn = col(g.optind);
          p.policy = argv[g.optind++];
          break;
        case 'h':
        case 'V':
          throw new LineError(
            `-${letter} makes ${this.tool} print its ${letter === 'h' ? 'help' : 'version'} and stop with success, without loading this table or the rest of the file: remove it`,
            col(at),
          );
        case 'p': {
          setOption('p');
          noteOldNegation('-p', r.optarg, word);
          protocol = valueWord('-p').toLowerCase();
          const proto = this.parseProtocol(protocol, col(word));
          if (proto === 0 && p.ip.invflags & INV_PROTO)
            throw new LineError('rule would never match protocol: `! -p all` matches nothing; remove the rule or the `!`', col(at));
          p.ip.proto = proto;
          break;
        }
        case 's':
        case 'd':
          setOption(letter);
          noteOldNegation(`-${letter}`, r.optarg, word);
          if (letter === 's') shost = { text: valueWord('-s'), column: col(word) };
          else dhost = { text: valueWord('-d'), column: col(word) };
          break;
        case 'g':
          setOption('j');
          p.goto = true;
          p.jumpto = this.parseTargetName(r.optarg!, col(word));
          p.jumpColumn = col(word);
          break;
        case 'j': {
          setOption('j');
          const name = this.parseTargetName(valueWord('-j'), col(word));
          p.jumpto = name;
          p.jumpColumn = col(word);
          const mod = this.findTarget(name, col(word));
          if (mod) {
            target = { module: mod, uses: [], column: col(word), offset: 0, completed: false };
            merge(target);
            p.loaded.push(target);
          }
          break;
        }
        case 'i':
        case 'o': {
          if (r.optarg === '')
            throw new LineError(`Empty interface is likely to be undesired: give -${letter} an interface name, or leave it out to match any`, col(at));
          setOption(letter);
          noteOldNegation(`-${letter}`, r.optarg, word);
          let name = valueWord(`-${letter}`);
          if (byteLength(name) + 1 > IFNAMSIZ) {
            const bytes = name.length !== byteLength(name) ? ` (it is ${byteLength(name)} bytes)` : '';
            throw new LineError(`interface name \`${name}' must be shorter than IFNAMSIZ (${IFNAMSIZ - 1})${bytes}${crNote(name)}`, col(word));
          }
          // `+` alone matches every interface: nothing to match.
          if (name === '+' && !(p.ip.invflags & INVERTIBLE[letter]!)) name = '';
          if (letter === 'i') p.ip.iniface = name;
          else p.ip.outiface = name;
          break;
        }
        case 'f':
          if (v6) throw new LineError("`-f' is not supported in IPv6, use -m frag instead", col(at));
          setOption('f');
          p.ip.fragment = true;
          break;
        case 'v':
          if (!verbose) setOption('v');
          verbose = true;
          break;
        case 'm':
          if (invert) throw new LineError('unexpected ! flag before --match: `!` goes before a match option, not before -m', invertCol);
          {
            const l = loadMatch(r.optarg!, col(word));
            if (l.offset === 0) merge(l);
          }
          break;
        case 'n':
          setOption('n');
          break;
        case 't':
          if (invert) throw new LineError('unexpected ! flag before --table', invertCol);
          if (tableSet) throw new LineError(`The -t option cannot be used in ${this.tool}: the table is the one of the last *table line`, col(at));
          tableSet = true;
          break;
        case 'x':
          setOption('x');
          break;
        case 'w':
        case 'W':
          throw new LineError(`You cannot use \`-${letter}' from ${this.tool}`, col(at));
        case '0':
          setOption('0');
          break;
        case 'M':
          break;
        case 'c': {
          setOption('c');
          const pcnt = r.optarg!;
          const comma = pcnt.indexOf(',', 1);
          let bcnt = comma < 0 ? undefined : pcnt.slice(comma + 1);
          if (bcnt === undefined && hasArg()) bcnt = argv[g.optind++];
          if (bcnt === undefined) throw new LineError('-c requires packet and byte counter: write -c PACKETS BYTES', col(word));
          const pk = scanCounter(pcnt);
          if (pk === undefined) throw new LineError('-c packet counter not numeric', col(word));
          const by = scanCounter(bcnt);
          if (by === undefined) throw new LineError('-c byte counter not numeric', col(word));
          p.counters = [pk, by];
          break;
        }
        case '4':
          if (v6) return undefined;
          break;
        case '6':
          if (!v6) return undefined;
          break;
        default: {
          if (c === GETOPT_NONOPTION) {
            if (r.optarg === '!') {
              if (invert) throw new LineError('multiple consecutive ! not allowed', col(word));
              invert = true;
              invertCol = col(word);
              continue;
            }
            throw new LineError(`Bad argument \`${r.optarg}'${badArgumentHint(r.optarg!, word === firstWord, col(word) > 1)}`, col(word));
          }
          // command_default: the target's options, each match's, then the protocol's match.
          const owner =
            target && c >= target.offset && c < target.offset + OFFSET_SCALE
              ? target
              : p.loaded.find((l) => l !== target && !l.completed && l.offset > 0 && c >= l.offset && c < l.offset + OFFSET_SCALE);
          if (owner) {
            this.moduleOption(owner, owner.module.options[c - owner.offset]!, r, argv, cols[at] ?? 1, g, word, invert, invertCol, state);
            break;
          }
          if (protocol !== undefined && !protoUsed) {
            const m = this.protoMatch(protocol, col(word));
            if (m) {
              protoUsed = true;
              const l = loadMatch(m.name, col(word));
              merge(l);
              g.optind--;
              continue;
            }
          }
          if (c === GETOPT_MISSING) throw new LineError(`option "${argv[word]}" requires an argument`, col(word));
          if (c === GETOPT_UNKNOWN)
            throw new LineError(`unknown option "${argv[word]}"${this.unknownHint(argv[word]!, r, p, protocol, argv[r.at] ?? '')}`, col(word));
          throw new LineError(`Unknown arg "${r.optarg ?? '(null)'}"`, col(word));
        }
      }
      invert = false;
    }

    if (this.table!.name === 'nat' && ((p.policy === 'DROP' && p.command & CMD_SET_POLICY) || p.jumpto === 'DROP')) {
      throw new LineError(
        'The "nat" table is not intended for filtering, the use of DROP is therefore inhibited.',
        p.command & CMD_SET_POLICY ? p.policyColumn : p.jumpColumn,
      );
    }
    if (g.optind < argv.length)
      throw new LineError(`unknown arguments found on commandline: the words after \`--' are never read; remove \`--'`, col(g.optind - 1));
    if (!p.command)
      throw new LineError('no command specified: a rule line starts with a command such as -A CHAIN (or -I, -D, -R, -N, -X, -F, -Z, -P)', col(firstWord));
    if (invert) throw new LineError('nothing appropriate following !', invertCol);

    // post_parse: the addresses of a rule command, then the combinations.
    const rule = p.command & RULE_COMMANDS;
    if (shost || rule) p.srcs = this.addresses(shost?.text ?? (v6 ? '::/0' : '0.0.0.0/0'), shost?.column ?? 1);
    if (dhost || rule) p.dsts = this.addresses(dhost?.text ?? (v6 ? '::/0' : '0.0.0.0/0'), dhost?.column ?? 1);
    if ((p.srcs.length > 1 || p.dsts.length > 1) && p.ip.invflags & (INV_SRCIP | INV_DSTIP)) {
      throw new LineError(
        '! not allowed with multiple source or destination IP addresses: write one rule per address',
        (p.ip.invflags & INV_SRCIP ? shost : dhost)?.column ?? 1,
      );
    }
    // iptables-nft turns `! -s 0.0.0.0/0` into a compare of no bytes, which nf_tables refuses at commit.
    const zeroInverted =
      p.ip.invflags & INV_SRCIP && p.srcs[0]?.[1].isZero() ? shost : p.ip.invflags & INV_DSTIP && p.dsts[0]?.[1].isZero() ? dhost : undefined;
    if (zeroInverted && p.command & (CMD_APPEND | CMD_INSERT | CMD_REPLACE)) {
      const op = p.command === CMD_APPEND ? 'RULE_APPEND' : p.command === CMD_INSERT ? 'RULE_INSERT' : 'RULE_REPLACE';
      const opt = zeroInverted === shost ? '-s' : '-d';
      throw new LineError(
        `${op} failed (Invalid argument): \`! ${opt} ${zeroInverted.text}' (a /0 network, every address) can match no packet; iptables-nft makes it a compare of no bytes, which the kernel refuses. Remove the rule, or the \`! ${opt}' to match every packet`,
        zeroInverted.column,
      );
    }
    if (p.srcs.length * p.dsts.length > MAX_LINE_RULES) {
      throw new LineError(
        `-s and -d lists of ${p.srcs.length} and ${p.dsts.length} addresses make ${p.srcs.length * p.dsts.length} rules, one for each pair; ` +
          `cofw expands at most ${MAX_LINE_RULES} rules from one line: split the line, or match the addresses with -m iprange or -m set`,
        (p.srcs.length >= p.dsts.length ? shost : dhost)?.column ?? 1,
      );
    }
    if (p.command === CMD_REPLACE && (p.srcs.length !== 1 || p.dsts.length !== 1)) {
      throw new LineError('Replacement rule does not specify a unique address', p.commandColumn);
    }
    for (const [cmd, refused, mask] of ILLEGAL_MASKS) {
      if (!(p.command & cmd) || !(p.options & mask)) continue;
      for (const o of refused) {
        if (p.options & OPT[o]!) throw new LineError(`Illegal option \`-${o}' with this command`, p.commandColumn);
      }
    }
    if (p.chain !== undefined && byteLength(p.chain) >= NAME_MAX) {
      throw new LineError(`chain name \`${p.chain}' too long (must be under ${NAME_MAX} chars)`, p.chainColumn);
    }
    if (rule && p.chain !== undefined) {
      if ((p.chain === 'PREROUTING' || p.chain === 'INPUT') && p.options & OPT['o']!) {
        throw new LineError(`Can't use -o with ${p.chain}: packets there have no output interface yet`, p.commandColumn);
      }
      if ((p.chain === 'POSTROUTING' || p.chain === 'OUTPUT') && p.options & OPT['i']!) {
        throw new LineError(`Can't use -i with ${p.chain}: packets there have no input interface`, p.commandColumn);
      }
    }
    return p;
  }

  /** An option of a loaded module, with its arguments (the first as getopt gave it, a second read from the next word). */
  private moduleOption(
    owner: Loaded,
    spec: OptionSpec,
    r: GetoptResult,
    argv: string[],
    column: number,
    g: Getopt,
    word: number,
    invert: boolean,
    invertCol: number,
    state: ParseState,
  ): void {
    const mod = owner.module;
    if (invert && !spec.invert) throw new LineError(`${mod.name}: option "--${spec.name}" cannot be inverted.`, invertCol);
    if (!spec.repeat && owner.uses.some((u) => u.spec === spec)) {
      throw new LineError(`${mod.name}: option "--${spec.name}" can only be used once.`, column);
    }
    const args: string[] = [];
    if (spec.args > 0) {
      let a = r.optarg!;
      const size = PUT_STRING_SIZES.get(`${mod.name}/${spec.name}`);
      if (size !== undefined && byteLength(a) >= size) a = cutBytes(a, size - 1);
      args.push(a);
      if (a === '!' && !state.oldNegation) {
        const next = argv[word + 1];
        state.oldNegation = { opt: `--${r.long?.name ?? spec.name}`, ...(next !== undefined && next[0] !== '-' ? { arg: next } : {}) };
      }
    }
    for (let k = 1; k < spec.args; k++) {
      const next = argv[g.optind];
      if (next === undefined || next[0] === '-' || next[0] === '!')
        throw new LineError(`--${spec.name} requires ${spec.args === 2 ? 'two' : spec.args} args.`, column);
      args.push(next);
      g.optind++;
    }
    if (spec.optionalArg) {
      const next = argv[g.optind];
      if (next !== undefined && next[0] !== '-' && next[0] !== '!') {
        args.push(next);
        g.optind++;
      }
    }
    const written = r.long?.name ?? spec.name;
    owner.uses.push({ spec, written, args, invert, pos: { line: 0, column: invert ? invertCol : column } });
  }

  /** Why an option is unknown, beyond iptables' words. */
  private unknownHint(text: string, r: GetoptResult, p: ParsedLine, protocol: string | undefined, optionWord: string): string {
    if (r.optopt !== undefined) {
      const where = text !== optionWord ? ` (in \`${optionWord}'; getopt names the word before it)` : '';
      return `: -${r.optopt} is not an option of ${this.family === Family.V6 ? 'ip6tables' : 'iptables'}${where}`;
    }
    const c = r.candidates ?? [];
    if (c.length > 1) {
      const names = [...new Set(c.map((o) => `--${o.name}`))];
      return `: ambiguous, it abbreviates ${names.join(', ')}; write more of the option's name`;
    }
    if (c.length === 1 && text.includes('=')) return `: --${c[0]!.name} takes no argument`;
    const target = p.jumpto === undefined ? undefined : TARGET_BY_NAME.get(p.jumpto);
    if (target && !p.loaded.some((l) => l.module === target) && !this.fits(target)) {
      const [mine, other] = this.family === Family.V6 ? ['ip6tables', 'iptables'] : ['iptables', 'ip6tables'];
      return `: -j ${p.jumpto} was taken for a chain, as ${target.name} is an ${other} target (Couldn't load target \`${target.name}'); ${mine} rules cannot use it`;
    }
    const mods = p.loaded.map((l) => l.module.name);
    const where = mods.length ? ` (loaded: ${mods.join(', ')})` : '';
    if (protocol === undefined && /^--(d|s)port|^--(tcp|syn|icmp)/.test(text)) return `${where}; add -p tcp, -p udp or -p icmp before it`;
    return `${where}: no option of that name is known here`;
  }

  /** xt_parse_target. */
  private parseTargetName(name: string, column: number): string {
    if (name.length === 0) throw new LineError('Invalid target name (too short)', column);
    if (byteLength(name) >= NAME_MAX) throw new LineError(`Invalid target name \`${name}' (${NAME_MAX - 1} chars max)`, column);
    if (hasCSpace(name)) throw new LineError(`Invalid target name \`${name}'${crNote(name)}`, column);
    return name;
  }

  /** parse_rulenumber. */
  private parseRuleNumber(text: string, column: number): number {
    const n = ruleNumber(text);
    if (n === undefined) throw new LineError(`Invalid rule number \`${text}': rule numbers start at 1`, column);
    return n;
  }

  /** xtables_parse_protocol (on the lower-cased word). */
  private parseProtocol(text: string, column: number): number {
    const n = xtStrtoulAll(text, 255);
    if (n !== undefined) return n;
    const p = /^\d/.test(text) ? undefined : parseProtocol(text);
    if (p === undefined) {
      throw new LineError(`unknown protocol "${text}" specified${crNote(text)}: expected a name such as tcp, udp, icmp, gre, esp, or a number 0-255`, column);
    }
    return p;
  }

  private fits(mod: MatchModule<any> | TargetModule<any>): boolean {
    const f = mod.family ?? Family.Unspec;
    return f === Family.Unspec || f === this.family;
  }

  /** xtables_find_match(name, XTF_LOAD_MUST_SUCCEED), with cofw's refusals of what it does not emulate. */
  private findMatch(name: string, column: number): MatchModule<any> {
    const mod = MATCH_BY_NAME.get(name);
    if (mod) {
      this.checkFamily('match', mod, column);
      return mod;
    }
    if (KNOWN_MATCHES[this.family]!.has(name)) {
      throw new LineError(`match \`${name}' is not supported by cofw yet; remove or rewrite the rule, or see the README's list of supported matches`, column);
    }
    const known = [...MATCH_BY_NAME.entries()].filter(([, m]) => this.fits(m)).map(([n]) => n);
    throw new LineError(`Couldn't load match \`${name}':No such file or directory${crNote(name)} (known: ${known.sort().join(', ')})`, column);
  }

  /** The protocol's match, loaded when an option is unknown (load_proto); undefined when there is none for this family. */
  private protoMatch(protocol: string, column: number): MatchModule<any> | undefined {
    const n = xtStrtoulAll(protocol, 255);
    const name = n === undefined ? protocol : n === 0 ? undefined : protocolName(n);
    const mod = name === undefined ? undefined : MATCH_BY_NAME.get(name);
    if (!mod || !this.fits(mod)) return undefined;
    this.checkFamily('match', mod, column);
    return mod;
  }

  /** xtables_find_target(name, XTF_TRY_LOAD) as command_jump calls it; undefined for a chain (or a standard verdict). */
  private findTarget(name: string, column: number): TargetModule<any> | undefined {
    if (STANDARD_TARGETS.includes(name) || this.announced.has(name)) return undefined;
    const mod = TARGET_BY_NAME.get(name);
    if (mod) {
      if (this.fits(mod)) {
        this.checkFamily('target', mod, column);
        return mod;
      }
      return undefined;
    }
    const why = REFUSED_TARGETS.get(name);
    if (why && KNOWN_TARGETS[this.family]!.has(name)) throw new LineError(`target \`${name}': ${why}`, column);
    if (KNOWN_TARGETS[this.family]!.has(name) && name !== 'standard') {
      throw new LineError(`target \`${name}' is not supported by cofw yet; remove or rewrite the rule, or see the README's list of supported targets`, column);
    }
    return undefined;
  }

  /**
   * A module registered for the other family only does not exist for this
   * rule file: iptables cannot load it (its own words, then what to do).
   */
  private checkFamily(kind: 'match' | 'target', mod: MatchModule<any> | TargetModule<any>, column: number): void {
    const f = mod.family ?? Family.Unspec;
    if (f === Family.Unspec || f === this.family) {
      if (mod.emulates !== undefined && mod.emulates !== this.family) {
        const fam = this.family === Family.V6 ? 'IPv6' : 'IPv4';
        throw new LineError(
          `${kind} \`${mod.name}' is not emulated for ${fam} rules yet: cofw refuses it rather than guess; see the README's list of supported modules`,
          column,
        );
      }
      return;
    }
    const tool = this.family === Family.V6 ? 'ip6tables' : 'iptables';
    const other = f === Family.V6 ? 'ip6tables' : 'iptables';
    throw new LineError(
      `Couldn't load ${kind} \`${mod.name}':No such file or directory (${mod.name} is an ${other} ${kind}; ${tool} rules cannot use it)`,
      column,
    );
  }

  private addresses(text: string, column: number): Array<[InetAddr, InetAddr]> {
    try {
      return parseAddressList(text, this.family, this.hosts);
    } catch (e) {
      if (e instanceof AddressError) throw new LineError(e.message, column);
      throw e;
    }
  }

  /** The command of a parsed line, on the open table (what nft_cmd_* and the commit do). */
  private apply(p: ParsedLine, lineNo: number): void {
    const table = this.table!;
    const col = p.commandColumn;
    if (p.chain !== undefined || !(p.command & (CMD_FLUSH | CMD_ZERO | CMD_DELETE_CHAIN | CMD_LIST | CMD_LIST_RULES))) this.touched = true;
    switch (p.command) {
      case CMD_NEW_CHAIN: {
        const name = p.chain!;
        if (table.chains.has(name)) throw new LineError(`Chain already exists: \`${name}' was declared before in table ${table.name}`, p.chainColumn);
        table.chains.set(name, { name, builtin: false, policy: 'ACCEPT', packets: 0, bytes: 0, rules: [] });
        return;
      }
      case CMD_DELETE_CHAIN: {
        if (p.chain === undefined) {
          for (const c of table.chains.values()) if (!c.builtin) this.deleteChain(c, p.chainColumn);
          return;
        }
        const c = this.chainOf(p.chain, p.chainColumn);
        if (c.builtin) throw new LineError(`No chain/target/match by that name: ${c.name} is a built-in chain, which cannot be deleted`, p.chainColumn);
        this.deleteChain(c, p.chainColumn);
        return;
      }
      case CMD_FLUSH: {
        const chains = p.chain === undefined ? [...table.chains.values()] : [this.chainOf(p.chain, p.chainColumn)];
        for (const c of chains) c.rules = [];
        this.pending = this.pending.filter((x) => !chains.some((c) => c.name === x.chain));
        return;
      }
      case CMD_ZERO: {
        const chains = p.chain === undefined ? [...table.chains.values()] : [this.chainOf(p.chain, p.chainColumn)];
        for (const c of chains) {
          c.packets = c.bytes = 0;
          for (const r of c.rules) r.packets = r.bytes = 0;
        }
        return;
      }
      case CMD_ZERO_NUM:
        throw new LineError(`-Z CHAIN NUMBER crashes ${this.tool} 1.8.9 (it ends on a signal, loading nothing): zero the whole chain with -Z CHAIN`, col);
      case CMD_LIST:
      case CMD_LIST_RULES:
      case CMD_LIST | CMD_ZERO:
      case CMD_LIST_RULES | CMD_ZERO:
      case CMD_LIST | CMD_ZERO_NUM:
      case CMD_LIST_RULES | CMD_ZERO_NUM:
        // iptables-restore prints the listing and goes on; nothing changes.
        if (p.chain !== undefined) this.chainOf(p.chain, p.chainColumn);
        if (p.command & CMD_ZERO_NUM) throw new LineError(`-Z CHAIN NUMBER crashes ${this.tool} 1.8.9: zero the whole chain with -Z CHAIN`, col);
        return;
      case CMD_SET_POLICY: {
        const c = table.chains.get(p.chain!);
        if (!c || !c.builtin)
          throw new LineError(
            `Bad built-in chain name: \`${p.chain}' is not a built-in chain of table ${table.name}; only built-in chains have a policy`,
            p.chainColumn,
          );
        const t = p.policy!;
        if (t !== 'ACCEPT' && t !== 'DROP') throw new LineError(`Bad policy name \`${t}' for ${c.name}${crNote(t)}: expected ACCEPT or DROP`, p.policyColumn);
        c.policy = t;
        return;
      }
      case CMD_RENAME_CHAIN: {
        const c = table.chains.get(p.chain!);
        if (!c || c.builtin) throw new LineError(`No chain/target/match by that name: \`${p.chain}' is not a user chain of table ${table.name}`, p.chainColumn);
        if (table.chains.has(p.newname!)) throw new LineError(`File exists: chain \`${p.newname}' already exists in table ${table.name}`, p.chainColumn);
        throw new LineError(
          `CHAIN_RENAME failed (No such file or directory): chain ${p.newname}: iptables-nft-restore cannot rename a chain it creates in the same run; declare the chain under its new name instead`,
          col,
        );
      }
    }
    // -A -I -D -R -C: a rule specification.
    const chain = this.chainOf(p.chain, p.chainColumn);
    const rules = this.buildRules(p, chain, lineNo);
    if (p.command === CMD_DELETE_NUM) {
      if (p.rulenum! > chain.rules.length)
        throw new LineError(`No chain/target/match by that name: chain ${chain.name} has ${chain.rules.length} rules, no rule ${p.rulenum}`, p.rulenumColumn);
      const [gone] = chain.rules.splice(p.rulenum! - 1, 1);
      this.pending = this.pending.filter((x) => x.rule !== gone);
      return;
    }
    if (p.command === CMD_DELETE || p.command === CMD_CHECK) {
      // By specification: the first rule of the same canonical text, for each address pair.
      for (const r of rules) {
        const want = ruleText(r);
        const idx = chain.rules.findIndex((x) => ruleText(x) === want);
        if (idx < 0) throw new LineError(`Bad rule (does a matching rule exist in that chain?): no rule \`${want}' in ${chain.name}`, col);
        if (p.command === CMD_DELETE) {
          const [gone] = chain.rules.splice(idx, 1);
          this.pending = this.pending.filter((x) => x.rule !== gone);
        }
      }
      return;
    }
    if (p.command === CMD_REPLACE) {
      if (p.rulenum! > chain.rules.length)
        throw new LineError(
          `No chain/target/match by that name: chain ${chain.name} has ${chain.rules.length} rules, no rule ${p.rulenum} to replace`,
          p.rulenumColumn,
        );
      const [gone] = chain.rules.splice(p.rulenum! - 1, 1, rules[0]!);
      this.pending = this.pending.filter((x) => x.rule !== gone);
    } else if (p.command === CMD_INSERT) {
      if (p.rulenum! > chain.rules.length + 1) {
        throw new LineError(`Index of insertion too big: chain ${chain.name} has ${chain.rules.length} rules`, p.rulenumColumn);
      }
      chain.rules.splice(p.rulenum! - 1, 0, ...rules);
    } else {
      chain.rules.push(...rules);
    }
    for (const r of rules) this.pending.push({ rule: r, chain: chain.name, line: lineNo, column: col, targetColumn: p.jumpColumn });
  }

  private deleteChain(c: Chain, column: number): void {
    const table = this.table!;
    const refs = [...table.chains.values()].filter((o) => o.rules.some((r) => r.target.kind === 'jump' && r.target.chain === c.name));
    if (c.rules.length || refs.length) {
      const why = c.rules.length
        ? `it holds ${c.rules.length} rule${c.rules.length === 1 ? '' : 's'} (flush it first: -F ${c.name})`
        : `${refs.map((o) => o.name).join(', ')} jump${refs.length === 1 ? 's' : ''} to it`;
      throw new LineError(`CHAIN_DEL failed (Device or resource busy): chain ${c.name}: ${why}`, column);
    }
    table.chains.delete(c.name);
  }

  /** Binds modules and expands address lists into the rules of one line. */
  private buildRules(p: ParsedLine, chain: Chain, lineNo: number): Rule[] {
    const table = this.table!;
    const head: RuleHead = {
      proto: p.ip.proto,
      invProto: (p.ip.invflags & INV_PROTO) !== 0,
      fragment: p.ip.fragment,
      invFragment: (p.ip.invflags & INV_FRAG) !== 0,
    };
    const ctx: ParseContext = {
      family: this.family,
      table: table.name,
      chain: chain.name,
      head,
      shared: this.shared,
      ...(this.opts.ipsets ? { ipsets: this.opts.ipsets } : {}),
      ...(this.opts.bridgePorts ? { bridgePorts: this.opts.bridgePorts } : {}),
      ...(this.opts.cgroups ? { cgroups: this.opts.cgroups } : {}),
      ...(this.opts.modules ? { modules: this.opts.modules } : {}),
      ...(this.opts.cttimeout ? { cttimeout: this.opts.cttimeout } : {}),
      ...(this.opts.guestSave ? { guestSave: true } : {}),
      ...(this.opts.osf ? { osf: this.opts.osf } : {}),
      ...(this.opts.nfacct ? { nfacct: this.opts.nfacct } : {}),
    };
    for (const l of p.loaded) for (const u of l.uses) (u.pos as { line: number }).line = lineNo;
    // Each rule a comma list expands into gets modules of its own (their state is per rule).
    const bind = (): { matches: BoundMatch[]; target: Rule['target'] } => {
      const matches: BoundMatch[] = [];
      let target: Rule['target'] = { kind: 'none' };
      for (const l of p.loaded) {
        const mod = l.module;
        let config: unknown;
        try {
          for (const s of mod.options) {
            if (s.mandatory && !l.uses.some((u) => u.spec === s)) throw new OptionError(`${mod.name}: option "--${s.name}" must be specified`);
          }
          // xtables_options_fcheck: the first option (in the module's order) used with one it excludes.
          for (const s of mod.options) {
            const u = l.uses.find((x) => x.spec === s);
            if (!u) continue;
            const other = mod.options.find((o) => o !== s && s.excludes?.includes(o.name) && l.uses.some((x) => x.spec === o));
            if (other) throw new OptionError(`${mod.name}: option "--${s.name}" cannot be used together with "--${other.name}".`, u);
          }
          config = mod.parse(l.uses, ctx);
        } catch (e) {
          if (e instanceof OptionError) throw new LineError(e.message, e.use?.pos.column ?? l.column);
          throw e;
        }
        if (mod.kind === 'match') matches.push({ module: mod, config });
        else target = { kind: 'module', module: mod, config };
      }
      if (p.jumpto !== undefined && target.kind === 'none') target = this.standardTarget(p.jumpto, p.jumpColumn, p.goto);
      return { matches, target };
    };
    const n = p.srcs.length * p.dsts.length;
    const max = this.opts.maxRules ?? MAX_RULES;
    if (this.ruleCount + n > max) {
      throw new LimitError(
        `this line would make the file's rule ${this.ruleCount + 1}${n > 1 ? ` to ${this.ruleCount + n}` : ''}; cofw builds at most ${max} rules from one file ` +
          `(each takes about 900 bytes of memory), more than any real rule set has: ${LIMIT_NOTE}`,
        1,
      );
    }
    this.ruleCount += n;
    const out: Rule[] = [];
    const counters: [number, number] = p.counters ?? [0, 0];
    for (const [src, smsk] of p.srcs) {
      for (const [dst, dmsk] of p.dsts) {
        const ip: IpMatch = { ...p.ip, src, smsk, dst, dmsk };
        const { matches, target } = bind();
        out.push({ ip, matches, target, packets: counters[0], bytes: counters[1], line: lineNo });
      }
    }
    return out;
  }

  /** -j/-g to a verdict or a chain (what is not a module target). */
  private standardTarget(name: string, column: number, goto: boolean): StandardTarget {
    if (!goto && (name === 'ACCEPT' || name === 'DROP' || name === 'RETURN')) return { kind: 'verdict', verdict: name };
    if (!goto && name === 'QUEUE') {
      throw new LineError("target `QUEUE' is not supported by cofw yet; remove or rewrite the rule, or see the README's list of supported targets", column);
    }
    const table = this.table!;
    const c = table.chains.get(name);
    if (c) {
      if (c.builtin) throw new LineError(`RULE_APPEND failed (Operation not supported): cannot ${goto ? 'go' : 'jump'} to built-in chain ${name}`, column);
      return { kind: 'jump', chain: name, goto };
    }
    const mod = TARGET_BY_NAME.get(name);
    const other =
      mod && !this.fits(mod)
        ? ` (Couldn't load target \`${name}': ${name} is an ${this.family === Family.V6 ? 'iptables' : 'ip6tables'} target, which ${this.family === Family.V6 ? 'ip6tables' : 'iptables'} rules cannot use)`
        : '';
    const announced =
      this.announced.has(name) && (TARGET_BY_NAME.has(name) || KNOWN_TARGETS[this.family]!.has(name))
        ? ` (\`:${name}' declared a chain of that name earlier in the file, which hides the ${name} target from there on)`
        : '';
    throw new LineError(
      `Chain '${name}' does not exist${crNote(name)}${other}${announced}: ${goto ? 'a goto' : '-j'} names a user chain of table ${table.name} or a target (ACCEPT, DROP, RETURN, ${TARGETS.filter(
        (t) => this.fits(t),
      )
        .map((t) => t.name)
        .join(', ')}); declare a chain with \`:${name} - [0:0]'`,
      column,
    );
  }

  /** COMMIT: nf_tables' validation of the table (jump depth and loops, hooks), then each module's check. */
  private commit(): void {
    const table = this.table!;
    const masks = hookMasks(table);
    const lineOf = (rule: Rule): { line: number; column: number } => {
      const at = this.pending.find((x) => x.rule === rule);
      return { line: at?.line ?? rule.line ?? this.tableLine, column: at?.targetColumn ?? at?.column ?? 1 };
    };
    for (const j of jumpProblems(table)) {
      const at = lineOf(j.rule);
      const rule = `rule ${j.index + 1} of ${j.chain}`;
      if (j.kind === 'loop') {
        this.err(
          `RULE_APPEND failed (Too many links): ${rule} closes a loop of jumps reached from a built-in chain (${j.path.join(' -> ')}); the kernel refuses it`,
          at.line,
          at.column,
        );
      } else {
        this.err(
          `RULE_APPEND failed (Too many links): ${rule} jumps to ${j.path.at(-1)}, ${JUMP_STACK_SIZE} jumps deep (${j.path.join(' -> ')}); nf_tables follows at most ${JUMP_STACK_SIZE - 1}`,
          at.line,
          at.column,
        );
      }
    }
    let reach: Map<string, Map<number, number>> | undefined;
    for (const x of this.pending) {
      const mask = masks.get(x.chain) ?? 0;
      const r = x.rule;
      const ctxFor = (hookMask: number): CheckContext => ({
        family: this.family,
        table: table.name,
        chain: x.chain,
        hookMask,
        head: { proto: r.ip.proto, invProto: (r.ip.invflags & INV_PROTO) !== 0, fragment: r.ip.fragment, invFragment: (r.ip.invflags & INV_FRAG) !== 0 },
        ...(this.opts.cgroups ? { cgroups: this.opts.cgroups } : {}),
        ...(this.opts.modules ? { modules: this.opts.modules } : {}),
        ...(this.opts.nfacct ? { nfacct: this.opts.nfacct } : {}),
      });
      const check = (hookMask: number): void => {
        const ctx = ctxFor(hookMask);
        for (const m of r.matches) m.module.check?.(m.config, ctx);
        const t = r.target;
        if (t.kind === 'module') {
          if (t.module.tables && !t.module.tables.includes(table.name)) {
            throw new CheckError(
              `${t.module.name} target is only valid in the ${t.module.tables.join(', ')} table${t.module.tables.length > 1 ? 's' : ''}, not ${table.name}`,
            );
          }
          if (t.module.hooks !== undefined && hookMask & ~t.module.hooks) {
            const bad = HOOK_NAMES.filter((_, h) => hookMask & ~t.module.hooks! & (1 << h));
            throw new CheckError(`${t.module.name} target used from hook ${bad.join(', ')}, where it is not valid (chain ${x.chain} is reached from there)`);
          }
          t.module.check?.(t.config, ctx);
        }
      };
      try {
        check(mask);
      } catch (e) {
        if (!(e instanceof CheckError)) throw e;
        // The kernel refuses at the line where the conflict first exists: the rule's own, or a later
        // jump that made its chain reachable from a hook the rule is not valid from.
        reach ??= hookReachLines(table, (rule) => lineOf(rule).line);
        const throws = (hookMask: number): boolean => {
          try {
            check(hookMask);
            return false;
          } catch (e2) {
            if (e2 instanceof CheckError) return true;
            throw e2;
          }
        };
        const byHook = [...(reach.get(x.chain) ?? new Map<number, number>())].sort((a, b) => a[1] - b[1]);
        let sofar = 0;
        let i = 0;
        for (; i < byHook.length && byHook[i]![1] <= x.line; i++) sofar |= 1 << byHook[i]![0];
        let at = { line: x.line, column: x.column };
        if (!throws(sofar)) {
          while (i < byHook.length) {
            const l = byHook[i]![1];
            for (; i < byHook.length && byHook[i]![1] === l; i++) sofar |= 1 << byHook[i]![0];
            if (throws(sofar)) {
              const jump = this.pending.find((p) => p.line === l);
              at = { line: l, column: jump ? (jump.targetColumn ?? jump.column) : 1 };
              break;
            }
          }
        }
        this.err(`${e.message} (refused when loading the table, as the kernel's checkentry does)`, at.line, at.column);
      }
    }
    this.tables.delete(table.name);
    if (this.touched) this.tables.set(table.name, table);
    this.table = undefined;
    this.pending = [];
  }
}

/** What a rule line noticed while being read, for hints. */
interface ParseState {
  /** `-s ! ADDR`: an option whose argument is `!`, and the word after it. */
  oldNegation?: { opt: string; arg?: string };
  /** `--source=ADDR`, `-sADDR`: an option whose value iptables 1.8.9 takes with the option's word. */
  attached?: { opt: string; value: string; word: string };
}

/** Cuts a string to at most `max` bytes of UTF-8 (strncpy into a field). */
function cutBytes(s: string, max: number): string {
  const b = Buffer.from(s, 'utf8');
  if (b.length <= max) return s;
  return b.subarray(0, max).toString('utf8');
}

/** Why a line outside a table fails in iptables-restore, and what to do. */
function outsideTable(line: string): string {
  if (line.startsWith('\ufeff')) {
    return "the file starts with a UTF-8 byte-order mark, which iptables-restore does not skip: save the file without it (for example `sed -i '1s/^\\xEF\\xBB\\xBF//' FILE`)";
  }
  if (/^[ \t\v\f\r]*$/.test(line)) {
    return line.includes('\r')
      ? 'a carriage return alone outside a table (a Windows line ending): convert the file with dos2unix'
      : 'a line of blanks outside a table: iptables-restore skips only empty lines; remove the blanks';
  }
  const t = line.replace(/^[ \t]+/, '');
  if (t !== line && (t[0] === '*' || t[0] === '#' || t[0] === ':')) {
    return `leading blanks: iptables-restore reads \`${t[0]}' only as the first character of a line; remove the blanks`;
  }
  if (t.startsWith('COMMIT')) return 'COMMIT without a table: a table starts with a line like *filter';
  if (t[0] === ':') return 'a chain outside a table: start one with a line like *filter';
  return 'a line outside a table: start one with a line like *filter (or is a COMMIT missing before it?)';
}

/** What a stray word on a rule line may be. */
function badArgumentHint(word: string, first: boolean, indented: boolean): string {
  if (!first) return word === '' ? ': an empty word ("")' : '';
  if (word === 'COMMIT') return ': COMMIT must be alone on its line, with nothing before or after it (no blanks)';
  if (word.toUpperCase() === 'COMMIT') return ': COMMIT is written in capitals';
  const c = word[0];
  if (indented && (c === ':' || c === '*' || c === '#')) {
    return `: iptables-restore reads \`${c}' only as the first character of a line; remove the blanks before it`;
  }
  if (c === '*') return `: a table starts only after the previous one is committed; add COMMIT before ${word}`;
  return '';
}

/**
 * Loads an iptables-restore text.
 *
 * @example
 * const rs = loadRuleset('*filter\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n', 'rules.v4');
 * const rs6 = loadRuleset(text6, 'rules.v6', { family: Family.V6, hosts: hostsTable({ web1: ['2001:db8::10'] }) });
 * @throws RuleFileErrors listing every error with file, line and column.
 */
export function loadRuleset(text: string, file: string, opts: LoadOptions = {}): Ruleset {
  return new RestoreParser(file, opts).load(text);
}

export { hookMasks, jumpProblems } from './graph.js';
