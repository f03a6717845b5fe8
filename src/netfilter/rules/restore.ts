/**
 * Loads an `iptables-restore` file into a ruleset, as iptables-restore (and
 * the kernel behind it) would: tables, chain declarations, commands (-A -I
 * -D -R -N -X -F -Z -P -E), generic options, matches and targets by module,
 * and the kernel's load-time checks at COMMIT.
 *
 * Every error names file, line and column, the offending option, and what is
 * accepted instead. All errors of a file are collected, not just the first.
 *
 * Like iptables-restore without `-c`, `[packets:bytes]` prefixes are parsed
 * and ignored (counters start at zero), unless `restoreCounters` is set.
 */
import { Family, InetAddr, parseIPv4Addr, parseIPv6 } from '../../packet/inet-addr.js';
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
import { RuleFileError, RuleFileErrors } from './api.js';
import {
  BUILTIN_CHAINS,
  CHAIN_HOOK,
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
import { tokenize, TokenizeError, type Token } from './tokenize.js';

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

/** Kernel extensions cofw knows by name but does not implement yet. */
const KNOWN_MATCHES = new Set(
  'ah bpf cgroup cluster comment connbytes connlabel connlimit connmark conntrack cpu dccp devgroup dscp ecn esp hashlimit helper hl icmp iprange ipvs length limit mac mark multiport nfacct osf owner physdev pkttype policy quota rateest realm recent rpfilter sctp set socket state statistic string tcp tcpmss time tos ttl u32 udp udplite addrtype'.split(
    ' ',
  ),
);
const KNOWN_TARGETS = new Set(
  'AUDIT CHECKSUM CLASSIFY CLUSTERIP CONNMARK CONNSECMARK CT DNAT DSCP ECN HMARK IDLETIMER LED LOG MARK MASQUERADE NETMAP NFLOG NFQUEUE NOTRACK RATEEST REDIRECT REJECT SECMARK SET SNAT SYNPROXY TCPMSS TCPOPTSTRIP TEE TOS TPROXY TRACE TTL ULOG'.split(
    ' ',
  ),
);

const VALID_TABLES = Object.keys(BUILTIN_CHAINS);
const IFNAMSIZ = 16;
const CHAIN_NAME_MAX = 28; // XT_EXTENSION_MAXNAMELEN - 1 for user chains

export interface LoadOptions {
  /** Family.V4 (an iptables rule file, the default) or Family.V6 (ip6tables). */
  family?: Family;
  /** Take `[packets:bytes]` prefixes and `:CHAIN POLICY [p:b]` counters as the starting values (iptables-restore -c). */
  restoreCounters?: boolean;
}

/** An error at a token, before it knows its file (filled in by the line loop). */
class LineError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
  }
}

interface Loaded {
  readonly module: MatchModule<any> | TargetModule<any>;
  readonly uses: OptionUse[];
  readonly column: number;
  readonly implicit: boolean;
}

/** A rule as parsed, before its modules are bound (they need the whole line). */
interface ParsedLine {
  command: string;
  commandColumn: number;
  chain?: string;
  /** Further command arguments (rule number, new name, policy). */
  cmdArgs: Token[];
  ip: IpMatch;
  /** -s/-d lists (comma-separated): the rule is repeated for each pair. */
  srcs: Array<[InetAddr, InetAddr]>;
  dsts: Array<[InetAddr, InetAddr]>;
  loaded: Loaded[];
  targetName?: string;
  targetColumn: number;
  goto: boolean;
  counters?: [number, number];
}

const COMMANDS: Record<string, string> = {
  '-A': 'A', '--append': 'A', '-I': 'I', '--insert': 'I', '-D': 'D', '--delete': 'D',
  '-R': 'R', '--replace': 'R', '-N': 'N', '--new-chain': 'N', '-X': 'X', '--delete-chain': 'X',
  '-F': 'F', '--flush': 'F', '-Z': 'Z', '--zero': 'Z', '-P': 'P', '--policy': 'P',
  '-E': 'E', '--rename-chain': 'E', '-L': 'L', '--list': 'L', '-S': 'S', '--list-rules': 'S',
  '-C': 'C', '--check': 'C',
};

function parseCounters(text: string): [number, number] | undefined {
  const m = /^\[(\d+):(\d+)\]$/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/**
 * `ADDR[/MASK]` where MASK is a prefix length or a mask written as an
 * address, in the rule file's family; returns the masked address and mask.
 */
function parseAddress(text: string, column: number, opt: string, family: Family): [InetAddr, InetAddr] {
  const v6 = family === Family.V6;
  const slash = text.indexOf('/');
  const a = slash < 0 ? text : text.slice(0, slash);
  const m = slash < 0 ? undefined : text.slice(slash + 1);
  const addr = v6 ? parseIPv6(a) : parseIPv4Addr(a);
  if (addr === undefined) {
    const other = v6 ? parseIPv4Addr(a) !== undefined : parseIPv6(a) !== undefined;
    const hint = other ? (v6 ? ' (an IPv4 address belongs in iptables rules)' : ' (an IPv6 address belongs in ip6tables rules)') : '';
    const example = v6 ? 'an IPv6 address such as 2001:db8::1 or 2001:db8::/64' : 'an IPv4 address such as 192.0.2.1 or 192.0.2.0/24';
    throw new LineError(`host/network \`${a}' not found for ${opt}${hint}: expected ${example} (cofw does not resolve host names)`, column);
  }
  const bits = v6 ? 128 : 32;
  let mask = InetAddr.mask(family, bits);
  if (m !== undefined) {
    if (/^\d{1,3}$/.test(m) && Number(m) <= bits) mask = InetAddr.mask(family, Number(m));
    else {
      const dm = v6 ? (m.includes(':') ? parseIPv6(m) : undefined) : parseIPv4Addr(m);
      if (dm === undefined) throw new LineError(`invalid mask \`${m}' for ${opt}: expected a prefix length 0-${bits} or a mask written as an address`, column);
      mask = dm;
    }
  }
  return [addr.and(mask), mask];
}

function parseInterface(text: string, column: number, opt: string): string {
  if (text.length === 0 || text.length >= IFNAMSIZ) {
    throw new LineError(`interface name \`${text}' for ${opt} must be 1 to ${IFNAMSIZ - 1} characters`, column);
  }
  if (/[\s/]/.test(text) || text === '.' || text === '..') throw new LineError(`invalid interface name \`${text}' for ${opt}`, column);
  return text;
}

/** The spec an option token names within a module, if any. */
function findSpec(module: { options: readonly OptionSpec[] }, name: string): OptionSpec | undefined {
  for (const s of module.options) if (s.name === name || s.aliases?.includes(name)) return s;
  return undefined;
}

export class RestoreParser {
  private readonly tables = new Map<string, Table>();
  private table: Table | undefined;
  private tableLine = 0;
  /** Rules parsed in the open table, with their line, for checks at COMMIT. */
  private pending: Array<{ rule: Rule; chain: string; line: number; column: number; targetColumn: number }> = [];
  readonly errors: RuleFileError[] = [];
  /** State shared by name between the rules of this load (see ParseContext.shared). */
  private readonly shared = new Map<string, unknown>();

  constructor(
    private readonly file: string,
    private readonly opts: LoadOptions = {},
  ) {
    this.family = opts.family ?? Family.V4;
  }

  /** The family of the rules being loaded. */
  readonly family: Family;

  private err(message: string, line: number, column: number): void {
    this.errors.push(new RuleFileError(message, this.file, line, column));
  }

  load(text: string): Ruleset {
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const lineNo = i + 1;
      const raw = lines[i]!;
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const col = raw.indexOf(line[0]!) + 1;
      try {
        this.line(line, raw, lineNo, col);
      } catch (e) {
        if (e instanceof LineError) this.err(e.message, lineNo, e.column);
        else if (e instanceof TokenizeError) this.err(e.message, lineNo, e.column);
        else throw e;
      }
    }
    if (this.table) {
      this.err(`table \`${this.table.name}' opened here is never committed: add a COMMIT line`, this.tableLine, 1);
    }
    if (this.errors.length) throw new RuleFileErrors(this.errors);
    return { family: this.family, tables: this.tables, file: this.file };
  }

  private line(line: string, raw: string, lineNo: number, col: number): void {
    if (line.startsWith('*')) {
      if (this.table) throw new LineError(`table \`${line.slice(1)}' starts before table \`${this.table.name}' was committed: add COMMIT first`, col);
      const name = line.slice(1).trim();
      if (!VALID_TABLES.includes(name)) {
        throw new LineError(`unknown table \`${name}': expected one of ${VALID_TABLES.join(', ')}`, col + 1);
      }
      // iptables-restore without --noflush replaces each table it names.
      this.table = newTable(name, lineNo);
      this.tableLine = lineNo;
      this.pending = [];
      return;
    }
    if (line === 'COMMIT') {
      if (!this.table) throw new LineError('COMMIT without a table: start one with a line like *filter', col);
      this.commit();
      return;
    }
    if (!this.table) throw new LineError('rule outside a table: start one with a line like *filter', col);
    if (line.startsWith(':')) {
      this.chainDecl(raw, lineNo);
      return;
    }
    this.ruleLine(raw, lineNo);
  }

  private chainDecl(raw: string, lineNo: number): void {
    const table = this.table!;
    const toks = tokenize(raw);
    const first = toks[0]!;
    const name = first.text.slice(1);
    const policyTok = toks[1];
    if (!name) throw new LineError('chain declaration without a name: expected `:NAME POLICY [packets:bytes]`', first.column);
    if (!policyTok) throw new LineError(`chain \`${name}' declared without a policy: expected \`:${name} ACCEPT [0:0]' or \`:${name} - [0:0]'`, first.column);
    const counters = toks[2] ? parseCounters(toks[2].text) : undefined;
    if (toks[2] && !counters) throw new LineError(`bad counters \`${toks[2].text}': expected [packets:bytes]`, toks[2].column);
    const builtin = (BUILTIN_CHAINS[table.name] ?? []).includes(name);
    if (builtin) {
      const p = policyTok.text;
      if (p !== 'ACCEPT' && p !== 'DROP') {
        throw new LineError(`bad policy \`${p}' for built-in chain ${name}: expected ACCEPT or DROP`, policyTok.column);
      }
      const c = table.chains.get(name)!;
      c.policy = p;
      if (counters && this.opts.restoreCounters) [c.packets, c.bytes] = counters;
      return;
    }
    if (policyTok.text !== '-') {
      throw new LineError(`user chain \`${name}' cannot have a policy (\`${policyTok.text}'): write \`:${name} - [0:0]'`, policyTok.column);
    }
    this.checkChainName(name, first.column + 1);
    if (table.chains.has(name)) throw new LineError(`chain \`${name}' already exists`, first.column + 1);
    table.chains.set(name, { name, builtin: false, policy: 'ACCEPT', packets: 0, bytes: 0, rules: [] });
  }

  private checkChainName(name: string, column: number): void {
    if (name.length > CHAIN_NAME_MAX) throw new LineError(`chain name \`${name}' is too long (must be under 29 chars)`, column);
    if (name.startsWith('-') || name.startsWith('!')) throw new LineError(`invalid chain name \`${name}'`, column);
    if (TARGET_BY_NAME.has(name) || KNOWN_TARGETS.has(name) || ['ACCEPT', 'DROP', 'RETURN', 'QUEUE'].includes(name)) {
      throw new LineError(`chain name \`${name}' is a target name: choose another`, column);
    }
  }

  private chainOf(name: string | undefined, column: number): Chain {
    const table = this.table!;
    if (!name) throw new LineError('missing chain name', column);
    const c = table.chains.get(name);
    if (!c) throw new LineError(`chain \`${name}' does not exist in table ${table.name}: declare it with \`:${name} - [0:0]'`, column);
    return c;
  }

  private ruleLine(raw: string, lineNo: number): void {
    let toks = tokenize(raw);
    let counters: [number, number] | undefined;
    const c0 = toks[0] ? parseCounters(toks[0].text) : undefined;
    if (c0) {
      counters = c0;
      toks = toks.slice(1);
    }
    const p = this.parseArgs(toks, lineNo);
    if (!p) return; // an ip6tables-only line (-6)
    if (counters) p.counters = counters;
    const table = this.table!;
    const argAt = (i: number): Token | undefined => p.cmdArgs[i];
    switch (p.command) {
      case 'N': {
        const name = p.chain!;
        this.checkChainName(name, p.commandColumn);
        if (table.chains.has(name)) throw new LineError(`chain \`${name}' already exists`, p.commandColumn);
        table.chains.set(name, { name, builtin: false, policy: 'ACCEPT', packets: 0, bytes: 0, rules: [] });
        return;
      }
      case 'X': {
        if (p.chain === undefined) {
          for (const [n, c] of table.chains) if (!c.builtin) table.chains.delete(n);
          return;
        }
        const c = this.chainOf(p.chain, p.commandColumn);
        if (c.builtin) throw new LineError(`cannot delete built-in chain ${c.name}`, p.commandColumn);
        if (c.rules.length) throw new LineError(`chain \`${c.name}' is not empty: flush it first (-F ${c.name})`, p.commandColumn);
        for (const other of table.chains.values()) {
          for (const r of other.rules) {
            if (r.target.kind === 'jump' && r.target.chain === c.name) {
              throw new LineError(`chain \`${c.name}' is still referenced from ${other.name}`, p.commandColumn);
            }
          }
        }
        table.chains.delete(c.name);
        return;
      }
      case 'F': {
        const chains = p.chain === undefined ? [...table.chains.values()] : [this.chainOf(p.chain, p.commandColumn)];
        for (const c of chains) c.rules = [];
        this.pending = this.pending.filter((x) => !chains.some((c) => c.name === x.chain));
        return;
      }
      case 'Z': {
        const chains = p.chain === undefined ? [...table.chains.values()] : [this.chainOf(p.chain, p.commandColumn)];
        for (const c of chains) {
          c.packets = c.bytes = 0;
          for (const r of c.rules) r.packets = r.bytes = 0;
        }
        return;
      }
      case 'P': {
        const c = this.chainOf(p.chain, p.commandColumn);
        const t = argAt(0);
        if (!c.builtin) throw new LineError(`cannot set a policy on user chain \`${c.name}': only built-in chains have one`, p.commandColumn);
        if (!t || (t.text !== 'ACCEPT' && t.text !== 'DROP')) {
          throw new LineError(`bad policy \`${t?.text ?? ''}' for ${c.name}: expected ACCEPT or DROP`, t?.column ?? p.commandColumn);
        }
        c.policy = t.text;
        return;
      }
      case 'E': {
        const c = this.chainOf(p.chain, p.commandColumn);
        const t = argAt(0);
        if (!t) throw new LineError('-E needs the new chain name', p.commandColumn);
        if (c.builtin) throw new LineError(`cannot rename built-in chain ${c.name}`, p.commandColumn);
        this.checkChainName(t.text, t.column);
        if (table.chains.has(t.text)) throw new LineError(`chain \`${t.text}' already exists`, t.column);
        table.chains.delete(c.name);
        const old = c.name;
        c.name = t.text;
        table.chains.set(c.name, c);
        for (const other of table.chains.values()) {
          for (const r of other.rules) {
            if (r.target.kind === 'jump' && r.target.chain === old) r.target = { ...r.target, chain: c.name };
          }
        }
        for (const x of this.pending) if (x.chain === old) x.chain = c.name;
        return;
      }
      case 'L':
      case 'S':
      case 'C':
        throw new LineError(`command ${p.command === 'C' ? '-C' : '-' + p.command} is not allowed in a rule file: use -A, -I, -D, -R, -N, -X, -F, -Z, -P or -E`, p.commandColumn);
    }
    // -A -I -D -R: a rule specification.
    const chain = this.chainOf(p.chain, p.commandColumn);
    const rules = this.buildRules(p, chain, lineNo);
    let at = chain.rules.length;
    if (p.command === 'I' || p.command === 'R' || (p.command === 'D' && argAt(0))) {
      const numTok = argAt(0);
      let num = 1;
      if (numTok) {
        if (!/^\d+$/.test(numTok.text) || Number(numTok.text) < 1) throw new LineError(`invalid rule number \`${numTok.text}': expected 1 or more`, numTok.column);
        num = Number(numTok.text);
      } else if (p.command === 'R') throw new LineError('-R needs a rule number', p.commandColumn);
      const limit = p.command === 'I' ? chain.rules.length + 1 : chain.rules.length;
      if (num > limit) {
        throw new LineError(`index of ${p.command === 'I' ? 'insertion' : p.command === 'R' ? 'replacement' : 'deletion'} too big: chain ${chain.name} has ${chain.rules.length} rules`, numTok?.column ?? p.commandColumn);
      }
      at = num - 1;
    }
    if (p.command === 'D') {
      if (argAt(0)) {
        const [gone] = chain.rules.splice(at, 1);
        this.pending = this.pending.filter((x) => x.rule !== gone);
        return;
      }
      // Delete by specification: the first rule with the same canonical text.
      const want = rules.map((r) => ruleText(r));
      const idx = chain.rules.findIndex((r) => ruleText(r) === want[0]);
      if (idx < 0) throw new LineError(`bad rule (does a matching rule exist in chain ${chain.name}?)`, p.commandColumn);
      const [gone] = chain.rules.splice(idx, 1);
      this.pending = this.pending.filter((x) => x.rule !== gone);
      return;
    }
    if (p.command === 'R') {
      if (rules.length !== 1) throw new LineError('-R takes a single source and destination address', p.commandColumn);
      const [gone] = chain.rules.splice(at, 1, rules[0]!);
      this.pending = this.pending.filter((x) => x.rule !== gone);
    } else {
      chain.rules.splice(at, 0, ...rules);
    }
    for (const r of rules) this.pending.push({ rule: r, chain: chain.name, line: lineNo, column: p.commandColumn, targetColumn: p.targetColumn });
  }

  /** Walks the tokens of a rule line: command, generic options, matches, target. */
  private parseArgs(toks: Token[], lineNo: number): ParsedLine | undefined {
    const p: ParsedLine = {
      command: '',
      commandColumn: 1,
      cmdArgs: [],
      ip: emptyIpMatch(this.family),
      srcs: [],
      dsts: [],
      loaded: [],
      targetColumn: 0,
      goto: false,
    };
    let invert = false;
    let invertCol = 0;
    const seen = new Set<string>();
    const takeInvert = (opt: string): boolean => {
      const v = invert;
      if (v && !['-s', '-d', '-i', '-o', '-p', '-f'].includes(opt)) throw new LineError(`option ${opt} cannot be inverted`, invertCol);
      invert = false;
      return v;
    };
    let i = 0;
    const need = (opt: string, col: number): Token => {
      const t = toks[++i];
      if (!t) throw new LineError(`option ${opt} requires an argument`, col);
      return t;
    };
    const once = (canon: string, written: string, col: number): void => {
      if (seen.has(canon)) throw new LineError(`multiple ${written} flags not allowed`, col);
      seen.add(canon);
    };
    for (; i < toks.length; i++) {
      const tok = toks[i]!;
      const t = tok.text;
      const col = tok.column;
      if (t === '!' && !tok.quoted) {
        if (invert) throw new LineError('multiple consecutive ! not allowed', col);
        invert = true;
        invertCol = col;
        continue;
      }
      const cmd = COMMANDS[t];
      if (cmd) {
        if (p.command) throw new LineError(`cannot use ${t} with -${p.command}: one command per line`, col);
        p.command = cmd;
        p.commandColumn = col;
        // Command arguments: chain (optional for -X -F -Z), then extra ones.
        const next = toks[i + 1];
        if (next && !next.text.startsWith('-')) {
          p.chain = next.text;
          i++;
          while (toks[i + 1] && !toks[i + 1]!.text.startsWith('-') && toks[i + 1]!.text !== '!') {
            p.cmdArgs.push(toks[++i]!);
          }
        } else if (!['X', 'F', 'Z', 'L', 'S'].includes(cmd)) {
          throw new LineError(`option ${t} requires a chain name`, col);
        }
        continue;
      }
      switch (t) {
        case '-4':
        case '--ipv4':
          if (this.family === Family.V6) return undefined; // ip6tables-restore ignores iptables-only lines
          continue;
        case '-6':
        case '--ipv6':
          if (this.family === Family.V4) return undefined; // iptables-restore ignores ip6tables-only lines
          continue;
        case '-t':
        case '--table':
          throw new LineError('the -t option cannot be used in a rule file: start a table with *name instead', col);
        case '-s':
        case '--source':
        case '--src':
        case '-d':
        case '--destination':
        case '--dst': {
          const isSrc = t === '-s' || t.startsWith('--s');
          once(isSrc ? '-s' : '-d', t, col);
          const inv = takeInvert(isSrc ? '-s' : '-d');
          const a = need(t, col);
          const list = a.text.split(',').map((x) => parseAddress(x, a.column, t, this.family));
          if (inv) p.ip.invflags |= isSrc ? INV_SRCIP : INV_DSTIP;
          if (inv && list.length > 1) throw new LineError(`! not allowed with multiple ${isSrc ? 'source' : 'destination'} addresses`, col);
          if (isSrc) p.srcs = list;
          else p.dsts = list;
          continue;
        }
        case '-i':
        case '--in-interface':
        case '-o':
        case '--out-interface': {
          const isIn = t === '-i' || t === '--in-interface';
          once(isIn ? '-i' : '-o', t, col);
          const inv = takeInvert(isIn ? '-i' : '-o');
          const a = need(t, col);
          const name = parseInterface(a.text, a.column, t);
          if (isIn) p.ip.iniface = name;
          else p.ip.outiface = name;
          if (inv) p.ip.invflags |= isIn ? INV_VIA_IN : INV_VIA_OUT;
          continue;
        }
        case '-p':
        case '--protocol': {
          once('-p', t, col);
          const inv = takeInvert('-p');
          const a = need(t, col);
          const proto = parseProtocol(a.text);
          if (proto === undefined) {
            throw new LineError(`unknown protocol \`${a.text}' specified: expected a name such as tcp, udp, icmp, gre, esp, or a number 0-255`, a.column);
          }
          if (inv && proto === 0) throw new LineError('rule would never match protocol (! -p all)', col);
          p.ip.proto = proto;
          if (inv) p.ip.invflags |= INV_PROTO;
          continue;
        }
        case '-f':
        case '--fragment': {
          once('-f', t, col);
          const inv = takeInvert('-f');
          p.ip.fragment = true;
          if (inv) p.ip.invflags |= INV_FRAG;
          continue;
        }
        case '-c':
        case '--set-counters': {
          takeInvert(t);
          const a = need(t, col);
          const b = need(t, col);
          if (!/^\d+$/.test(a.text) || !/^\d+$/.test(b.text)) throw new LineError(`-c needs two numbers (packets bytes)`, a.column);
          p.counters = [Number(a.text), Number(b.text)];
          continue;
        }
        case '-m':
        case '--match': {
          takeInvert(t);
          const a = need(t, col);
          this.loadMatch(p, a.text, a.column, false);
          continue;
        }
        case '-j':
        case '--jump':
        case '-g':
        case '--goto': {
          takeInvert(t);
          const isGoto = t === '-g' || t === '--goto';
          if (p.targetName !== undefined) throw new LineError(`multiple -j/-g flags not allowed`, col);
          const a = need(t, col);
          p.targetName = a.text;
          p.targetColumn = a.column;
          p.goto = isGoto;
          if (!isGoto && !this.table!.chains.has(a.text)) {
            const mod = TARGET_BY_NAME.get(a.text);
            if (mod) this.checkFamily('target', mod, a.column);
            if (mod) p.loaded.push({ module: mod, uses: [], column: a.column, implicit: false });
            // Refused here, before its options are taken for unknown ones.
            else if (a.text === 'QUEUE' || KNOWN_TARGETS.has(a.text)) this.standardTarget(a.text, a.column, false);
          }
          continue;
        }
      }
      if (t.startsWith('-') && t.length > 1) {
        this.moduleOption(p, toks, i, invert, invertCol, lineNo);
        const spec = this.lastSpec!;
        i += spec.args;
        invert = false;
        continue;
      }
      if (!p.command) throw new LineError(`bad argument \`${t}': a rule line starts with a command such as -A CHAIN`, col);
      throw new LineError(`bad argument \`${t}'`, col);
    }
    if (invert) throw new LineError('! must be followed by an option', invertCol);
    if (!p.command) throw new LineError('no command specified: a rule line starts with -A CHAIN (or -I, -D, -R, -N, -X, -F, -Z, -P, -E)', toks[0]?.column ?? 1);
    return p;
  }

  private lastSpec: OptionSpec | undefined;

  private loadMatch(p: ParsedLine, name: string, column: number, implicit: boolean): MatchModule<any> {
    const mod = MATCH_BY_NAME.get(name);
    if (!mod) {
      if (KNOWN_MATCHES.has(name)) {
        throw new LineError(`match \`${name}' is not supported by cofw yet; remove or rewrite the rule, or see the README's list of supported matches`, column);
      }
      throw new LineError(`Couldn't load match \`${name}': no such iptables match (known: ${[...MATCH_BY_NAME.keys()].sort().join(', ')})`, column);
    }
    this.checkFamily('match', mod, column);
    p.loaded.push({ module: mod, uses: [], column, implicit });
    return mod;
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
        throw new LineError(`${kind} \`${mod.name}' is not emulated for ${fam} rules yet: cofw refuses it rather than guess; see the README's list of supported modules`, column);
      }
      return;
    }
    const tool = this.family === Family.V6 ? 'ip6tables' : 'iptables';
    const other = f === Family.V6 ? 'ip6tables' : 'iptables';
    throw new LineError(`Couldn't load ${kind} \`${mod.name}':No such file or directory (${mod.name} is an ${other} ${kind}; ${tool} rules cannot use it)`, column);
  }

  /** Attaches an option token to the most recently loaded module that declares it. */
  private moduleOption(p: ParsedLine, toks: Token[], i: number, invert: boolean, invertCol: number, lineNo: number): void {
    const tok = toks[i]!;
    const written = tok.text.replace(/^--?/, '');
    let owner: Loaded | undefined;
    let spec: OptionSpec | undefined;
    for (let k = p.loaded.length - 1; k >= 0 && !spec; k--) {
      const l = p.loaded[k]!;
      spec = findSpec(l.module, written);
      if (spec) owner = l;
    }
    if (!spec && p.ip.proto && !(p.ip.invflags & INV_PROTO)) {
      // iptables loads the protocol's match implicitly (`-p tcp --dport 22`).
      const pname = protocolName(p.ip.proto);
      const mod = MATCH_BY_NAME.get(pname);
      const fits = mod !== undefined && (mod.family === undefined || mod.family === Family.Unspec || mod.family === this.family);
      if (mod && fits && !p.loaded.some((l) => l.module === mod)) {
        spec = findSpec(mod, written);
        if (spec) {
          p.loaded.push({ module: mod, uses: [], column: tok.column, implicit: true });
          owner = p.loaded[p.loaded.length - 1];
        }
      }
    }
    if (!spec || !owner) {
      const mods = p.loaded.map((l) => l.module.name);
      const where = mods.length ? ` (loaded: ${mods.join(', ')})` : '';
      let hint = '';
      if (!p.ip.proto && /^(d|s)port$|^(tcp|syn|tcp-flags|icmp-type)/.test(written)) hint = '; add -p tcp, -p udp or -p icmp before it';
      throw new LineError(`unknown option \`${tok.text}'${where}${hint}`, tok.column);
    }
    if (invert && !spec.invert) throw new LineError(`option --${spec.name} cannot be inverted`, invertCol);
    if (!spec.repeat && owner.uses.some((u) => u.spec === spec)) {
      throw new LineError(`multiple --${spec.name} flags not allowed`, tok.column);
    }
    const args: string[] = [];
    for (let k = 1; k <= spec.args; k++) {
      const a = toks[i + k];
      if (!a || (a.text.startsWith('--') && !a.quoted) || (a.text === '!' && !a.quoted)) {
        throw new LineError(`option --${spec.name} requires ${spec.args === 1 ? 'an argument' : `${spec.args} arguments`}`, tok.column);
      }
      args.push(a.text);
    }
    owner.uses.push({ spec, written, args, invert, pos: { line: lineNo, column: invert ? invertCol : tok.column } });
    this.lastSpec = spec;
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
    const ctx: ParseContext = { family: this.family, table: table.name, chain: chain.name, head, shared: this.shared };
    if (chain.builtin) {
      if (p.ip.iniface && (chain.name === 'OUTPUT' || chain.name === 'POSTROUTING')) {
        throw new LineError(`Can't use -i with ${chain.name}: packets there have no input interface`, p.commandColumn);
      }
      if (p.ip.outiface && (chain.name === 'PREROUTING' || chain.name === 'INPUT')) {
        throw new LineError(`Can't use -o with ${chain.name}: packets there have no output interface yet`, p.commandColumn);
      }
    }
    // Each rule a comma list expands into gets modules of its own (their state is per rule).
    const bind = (): { matches: BoundMatch[]; target: Rule['target'] } => {
      const matches: BoundMatch[] = [];
      let target: Rule['target'] = { kind: 'none' };
      for (const l of p.loaded) {
        const mod = l.module;
        let config: unknown;
        try {
          for (const s of mod.options) {
            if (s.mandatory && !l.uses.some((u) => u.spec === s)) throw new OptionError(`${mod.name}: option --${s.name} must be specified`);
          }
          for (const u of l.uses) {
            for (const ex of u.spec.excludes ?? []) {
              if (l.uses.some((o) => o.spec.name === ex)) throw new OptionError(`${mod.name}: --${u.spec.name} and --${ex} cannot be used together`, u);
            }
          }
          config = mod.parse(l.uses, ctx);
        } catch (e) {
          if (e instanceof OptionError) throw new LineError(e.message, e.use?.pos.column ?? l.column);
          throw e;
        }
        if (mod.kind === 'match') matches.push({ module: mod, config });
        else target = { kind: 'module', module: mod, config };
      }
      if (p.targetName !== undefined && target.kind === 'none') {
        target = this.standardTarget(p.targetName, p.targetColumn, p.goto);
      }
      return { matches, target };
    };
    const none: [InetAddr, InetAddr] = [p.ip.src, p.ip.smsk];
    const srcs = p.srcs.length ? p.srcs : [none];
    const dsts = p.dsts.length ? p.dsts : [none];
    const out: Rule[] = [];
    for (const [src, smsk] of srcs) {
      for (const [dst, dmsk] of dsts) {
        const ip: IpMatch = { ...p.ip, src, smsk, dst, dmsk };
        const counters: [number, number] = this.opts.restoreCounters && p.counters ? p.counters : [0, 0];
        const { matches, target } = bind();
        out.push({ ip, matches, target, packets: counters[0], bytes: counters[1], line: lineNo });
      }
    }
    return out;
  }

  private standardTarget(name: string, column: number, goto: boolean): StandardTarget {
    if (!goto && name === 'DROP' && this.table?.name === 'nat') {
      throw new LineError('The "nat" table is not intended for filtering, the use of DROP is therefore inhibited.', column);
    }
    if (!goto && (name === 'ACCEPT' || name === 'DROP' || name === 'RETURN')) return { kind: 'verdict', verdict: name };
    const table = this.table!;
    const c = table.chains.get(name);
    if (c) {
      if (c.builtin) throw new LineError(`cannot jump to built-in chain ${name}`, column);
      return { kind: 'jump', chain: name, goto };
    }
    if (goto) throw new LineError(`goto target \`${name}' is not a user chain in table ${table.name}: declare it with \`:${name} - [0:0]'`, column);
    if (name === 'QUEUE' || KNOWN_TARGETS.has(name)) {
      throw new LineError(`target \`${name}' is not supported by cofw yet; remove or rewrite the rule, or see the README's list of supported targets`, column);
    }
    throw new LineError(`Couldn't load target \`${name}': not a user chain in table ${table.name} nor a known target (ACCEPT, DROP, RETURN, ${TARGETS.map((t) => t.name).join(', ')})`, column);
  }

  /** COMMIT: the kernel's translate_table checks (loops, hooks), then each module's check. */
  private commit(): void {
    const table = this.table!;
    const masks = hookMasks(table);
    const loop = findLoop(table);
    if (loop) {
      const at = this.pending.find((x) => x.chain === loop[0]);
      this.err(`chains form a loop (${loop.join(' -> ')}): the kernel refuses such a table (ELOOP)`, at?.line ?? this.tableLine, at?.column ?? 1);
    }
    for (const x of this.pending) {
      const mask = masks.get(x.chain) ?? 0;
      const r = x.rule;
      const ctx: CheckContext = {
        family: this.family,
        table: table.name,
        chain: x.chain,
        hookMask: mask,
        head: { proto: r.ip.proto, invProto: (r.ip.invflags & INV_PROTO) !== 0, fragment: r.ip.fragment, invFragment: (r.ip.invflags & INV_FRAG) !== 0 },
      };
      try {
        for (const m of r.matches) m.module.check?.(m.config, ctx);
        const t = r.target;
        if (t.kind === 'module') {
          if (t.module.tables && !t.module.tables.includes(table.name)) {
            throw new CheckError(`${t.module.name} target is only valid in the ${t.module.tables.join(', ')} table${t.module.tables.length > 1 ? 's' : ''}, not ${table.name}`);
          }
          if (t.module.hooks !== undefined && mask & ~t.module.hooks) {
            const bad = HOOK_NAMES.filter((_, h) => mask & ~t.module.hooks! & (1 << h));
            throw new CheckError(`${t.module.name} target used from hook ${bad.join(', ')}, where it is not valid (chain ${x.chain} is reached from there)`);
          }
          t.module.check?.(t.config, ctx);
        }
      } catch (e) {
        if (e instanceof CheckError) this.err(`${e.message} (refused when loading the table, as the kernel's checkentry does)`, x.line, x.column);
        else throw e;
      }
    }
    this.tables.delete(table.name);
    this.tables.set(table.name, table);
    this.table = undefined;
    this.pending = [];
  }
}

/** Hooks from which each chain is reachable (mark_source_chains). */
export function hookMasks(table: Table): Map<string, number> {
  const masks = new Map<string, number>();
  const visit = (name: string, bit: number, depth: number): void => {
    const prev = masks.get(name) ?? 0;
    if (prev & bit || depth > 64) return;
    masks.set(name, prev | bit);
    const c = table.chains.get(name);
    if (!c) return;
    for (const r of c.rules) if (r.target.kind === 'jump') visit(r.target.chain, bit, depth + 1);
  };
  for (const c of table.chains.values()) {
    if (c.builtin) visit(c.name, 1 << CHAIN_HOOK[c.name]!, 0);
  }
  return masks;
}

/** A cycle of jumps, as a list of chain names, or undefined. */
export function findLoop(table: Table): string[] | undefined {
  const state = new Map<string, number>(); // 1 visiting, 2 done
  const path: string[] = [];
  const dfs = (name: string): string[] | undefined => {
    const s = state.get(name);
    if (s === 2) return undefined;
    if (s === 1) return [...path.slice(path.indexOf(name)), name];
    state.set(name, 1);
    path.push(name);
    const c = table.chains.get(name);
    for (const r of c?.rules ?? []) {
      if (r.target.kind === 'jump') {
        const l = dfs(r.target.chain);
        if (l) return l;
      }
    }
    path.pop();
    state.set(name, 2);
    return undefined;
  };
  for (const name of table.chains.keys()) {
    const l = dfs(name);
    if (l) return l;
  }
  return undefined;
}

/**
 * Loads an iptables-restore text.
 *
 * @example
 * const rs = loadRuleset('*filter\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n', 'rules.v4');
 * @throws RuleFileErrors listing every error with file, line and column.
 */
export function loadRuleset(text: string, file: string, opts: LoadOptions = {}): Ruleset {
  return new RestoreParser(file, opts).load(text);
}
