/**
 * The rule engine: a table compiled into flat per-chain arrays, traversed as
 * the kernel's ipt_do_table (and nft_do_chain, which agrees on everything a
 * ruleset written for iptables can express): generic IP match, then each
 * match in order, counter, then the target; jumps push a return position,
 * gotos do not; RETURN or falling off a user chain pops, and with nothing
 * to pop the built-in chain's policy decides (and is counted).
 *
 * Hotdrop (a match that cannot read its header) drops the packet without
 * counting the rule, as in the kernel.
 *
 * A table is compiled for its rule set's family: IPv4 rules test addresses
 * as 32-bit numbers (and runs of them become hash lookups), IPv6 rules test
 * the four words of the packet's addresses, as ip6_packet_match does.
 */
import type { Chain, Rule, Table } from './rules/model.js';
import { CHAIN_HOOK, INV_DSTIP, INV_FRAG, INV_PROTO, INV_SRCIP, INV_VIA_IN, INV_VIA_OUT } from './rules/model.js';
import { NF_ACCEPT, NF_DROP, XT_CONTINUE, XT_RETURN, type Hook, type NetDevice, type Skb, type XtParams } from './types.js';
import type { MatchModule, TargetModule } from './xt.js';
import { Family, type InetAddr } from '../packet/inet-addr.js';
import { tcpMatch, type TcpConfig } from './matches/tcp.js';
import { udpMatch } from './matches/udp.js';
import { PortMode, type PortTest } from './matches/nft-ports.js';

const enum Kind {
  Accept,
  Drop,
  Return,
  Jump,
  Goto,
  Module,
  None,
}

/** Interface test compiled from `eth0` / `eth+` / `+`. */
interface IfTest {
  readonly name: string;
  readonly prefix: boolean;
}

function ifTest(written: string): IfTest | null {
  if (!written) return null;
  return written.endsWith('+') ? { name: written.slice(0, -1), prefix: true } : { name: written, prefix: false };
}

function ifMatches(t: IfTest, dev: NetDevice | null): boolean {
  const n = dev ? dev.name : '';
  return t.prefix ? n.startsWith(t.name) : n === t.name;
}

interface CRule {
  readonly rule: Rule;
  /** IPv4: the addresses and masks as numbers. */
  readonly src: number;
  readonly smsk: number;
  readonly dst: number;
  readonly dmsk: number;
  /** IPv6: the addresses and masks as written (null in IPv4 tables). */
  readonly src6: InetAddr | null;
  readonly smsk6: InetAddr | null;
  readonly dst6: InetAddr | null;
  readonly dmsk6: InetAddr | null;
  readonly inv: number;
  readonly inIf: IfTest | null;
  readonly outIf: IfTest | null;
  readonly proto: number;
  readonly fragment: boolean;
  readonly matchFns: ReadonlyArray<MatchModule<unknown>>;
  readonly matchCfgs: readonly unknown[];
  readonly kind: Kind;
  /** Index of the target chain for jumps and gotos. */
  jump: number;
  readonly target: TargetModule<unknown> | null;
  readonly targetCfg: unknown;
  /** At the head of a run of plain address or port rules: the run's lookup. */
  set: RuleRun | null;
}

/** A run of consecutive rules compiled into a lookup: the first rule of the run that can match a packet. */
interface RuleRun {
  /** Index of the first rule after the run. */
  readonly end: number;
  /** Index of the first rule in the run that matches the packet, or `end`. */
  find(skb: Skb): number;
}

/** Fewest consecutive plain address rules worth a set lookup. */
const MIN_RUN = 8;

/**
 * A run of consecutive rules that test only `-s` (or only `-d`) without
 * inversion: a hash per distinct mask maps the masked address to the first
 * rule of the run that has it, so a lookup costs one probe per distinct mask
 * instead of one test per rule, and finds the rule a linear walk would.
 */
class AddrRun implements RuleRun {
  private readonly masks: number[] = [];
  private readonly maps: Map<number, number>[] = [];

  constructor(
    readonly field: 'src' | 'dst',
    rules: readonly CRule[],
    /** Index of the first rule after the run. */
    readonly end: number,
    readonly start: number,
  ) {
    for (let i = start; i < end; i++) {
      const r = rules[i]!;
      const mask = field === 'src' ? r.smsk : r.dmsk;
      const net = field === 'src' ? r.src : r.dst;
      let k = this.masks.indexOf(mask);
      if (k < 0) {
        k = this.masks.push(mask) - 1;
        this.maps.push(new Map());
      }
      const m = this.maps[k]!;
      if (!m.has(net)) m.set(net, i);
    }
  }

  find(skb: Skb): number {
    return this.lookup(this.field === 'src' ? skb.saddr : skb.daddr);
  }

  /** Index of the first rule in the run that matches `addr`, or `end`. */
  lookup(addr: number): number {
    let best = this.end;
    for (let k = 0; k < this.masks.length; k++) {
      const i = this.maps[k]!.get((addr & this.masks[k]!) >>> 0);
      if (i !== undefined && i < best) best = i;
    }
    return best;
  }
}

/** Is the rule a plain, non-inverted test of one address field with a standard target? */
function plainAddrField(r: CRule): 'src' | 'dst' | null {
  if (r.src6 || r.inv || r.inIf || r.outIf || r.proto || r.fragment || r.matchFns.length || r.kind === Kind.Module) return null;
  if (r.smsk && !r.dmsk) return 'src';
  if (r.dmsk && !r.smsk) return 'dst';
  return null;
}

/**
 * The protocol (6 or 17) of a rule that tests nothing but `-p tcp` or `-p
 * udp` and one destination port or range of the tcp or udp match (as
 * nf_tables tests it: no inversion, no source port, no flags or options),
 * with a standard target, in an IPv4 table; 0 for any other rule.
 */
function plainPortRule(r: CRule): number {
  if (r.src6 || r.inv || r.inIf || r.outIf || r.fragment || r.smsk || r.dmsk || r.kind === Kind.Module) return 0;
  if ((r.proto !== 6 && r.proto !== 17) || r.matchFns.length !== 1) return 0;
  const fn = r.matchFns[0];
  if (fn !== (r.proto === 6 ? tcpMatch : udpMatch)) return 0;
  const cfg = r.matchCfgs[0] as { native: PortTest | null; flgMask?: number };
  const t = cfg.native;
  if (!t || t.mode !== PortMode.Separate || t.testSrc || !t.testDst || t.invDst) return 0;
  if (r.proto === 6 && (cfg as TcpConfig).flgMask) return 0;
  return r.proto;
}

/**
 * A run of consecutive plain port rules (plainPortRule), of tcp and udp in
 * any mix: for each protocol, the ports cut into segments that each know
 * the first rule of the run covering them, found by binary search. Exactly
 * what the walk decides: such a rule matches when the packet's protocol is
 * its own, its transport header holds the ports, and the destination port
 * is in its range (nft-ports.ts), and no test has a side effect.
 */
class PortRun implements RuleRun {
  /** Per protocol (0: tcp, 1: udp): the first port of each segment, and the segment's first rule (or `end`). */
  private readonly starts: [Int32Array, Int32Array];
  private readonly firsts: [Int32Array, Int32Array];

  constructor(
    rules: readonly CRule[],
    readonly end: number,
    start: number,
  ) {
    const starts: Int32Array[] = [];
    const firsts: Int32Array[] = [];
    for (const proto of [6, 17]) {
      // Each port gets the first rule covering it: a skip list over the ports not yet given one.
      const first = new Int32Array(65536).fill(end);
      const next = new Int32Array(65537);
      for (let p = 0; p <= 65536; p++) next[p] = p;
      const free = (x: number): number => {
        let root = x;
        while (next[root] !== root) root = next[root]!;
        while (next[x] !== root) {
          const n = next[x]!;
          next[x] = root;
          x = n;
        }
        return root;
      };
      for (let i = start; i < end; i++) {
        const r = rules[i]!;
        if (r.proto !== proto) continue;
        const [lo, hi] = (r.matchCfgs[0] as { native: PortTest }).native.dpts;
        for (let p = free(lo); p <= hi; p = free(p)) {
          first[p] = i;
          next[p] = p + 1;
        }
      }
      const s: number[] = [0];
      const f: number[] = [first[0]!];
      for (let p = 1; p < 65536; p++) {
        if (first[p] !== first[p - 1]) {
          s.push(p);
          f.push(first[p]!);
        }
      }
      starts.push(Int32Array.from(s));
      firsts.push(Int32Array.from(f));
    }
    this.starts = [starts[0]!, starts[1]!];
    this.firsts = [firsts[0]!, firsts[1]!];
  }

  find(skb: Skb): number {
    const proto = skb.protocol;
    if (proto !== 6 && proto !== 17) return this.end;
    const th = skb.thoff;
    if (th + 4 > skb.len) return this.end;
    const port = (skb.data[th + 2]! << 8) | skb.data[th + 3]!;
    const k = proto === 6 ? 0 : 1;
    const starts = this.starts[k];
    // The last segment starting at or before the port.
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= port) lo = mid;
      else hi = mid - 1;
    }
    return this.firsts[k][lo]!;
  }
}

function buildRuns(rules: CRule[]): void {
  let i = 0;
  while (i < rules.length) {
    const f = plainAddrField(rules[i]!);
    let j = i + 1;
    if (f) {
      while (j < rules.length && plainAddrField(rules[j]!) === f) j++;
      if (j - i >= MIN_RUN) rules[i]!.set = new AddrRun(f, rules, j, i);
    } else if (plainPortRule(rules[i]!)) {
      while (j < rules.length && plainPortRule(rules[j]!)) j++;
      if (j - i >= MIN_RUN) rules[i]!.set = new PortRun(rules, j, i);
    }
    i = j;
  }
}

interface CChain {
  readonly chain: Chain;
  readonly rules: CRule[];
  /** Built-in chain's policy verdict, or -1 for user chains. */
  readonly policy: number;
}

/** Where the last verdict was decided, for reports. Rule 0 = policy. */
export interface VerdictSite {
  chain: string;
  rule: number;
}

const MAX_STACK = 64;

/** What a table's tracer is told: a rule matched, did not match, a user chain returned, a policy applied. */
export type TraceKind = 'rule' | 'nomatch' | 'return' | 'policy';

export class CompiledTable {
  readonly name: string;
  private readonly v6: boolean;
  private readonly chains: CChain[] = [];
  private readonly entry = new Map<Hook, number>();
  private readonly stackChain = new Int32Array(MAX_STACK);
  private readonly stackRule = new Int32Array(MAX_STACK);
  /** Set by `run`: the chain and 1-based rule number (0 = policy) of the verdict. */
  readonly site: VerdictSite = { chain: '', rule: 0 };
  /** The index of `site`'s chain, for siteRecord. */
  private siteCi = 0;
  /** siteRecord's objects: per chain, per rule number (0 = policy). */
  private readonly siteRecords: Array<Array<{ readonly table: string; readonly chain: string; readonly rule: number; readonly ipv6?: boolean }>> = [];
  /**
   * When set, called as the kernel's TRACE would log: `rule` when a rule
   * matches, `return` when a user chain is left at its end, `policy` when
   * the built-in chain's policy applies (numbered as the kernel numbers them);
   * and `nomatch` for each rule the packet met that did not match (those an
   * address set skips included), which TRACE does not log.
   */
  tracer: ((chain: string, kind: TraceKind, num: number) => void) | null = null;

  constructor(
    readonly table: Table,
    /** The family of the rule set the table belongs to. */
    readonly family: Family = Family.V4,
    /** `runs: false`: every rule is tested in turn (the plain path), no run becomes a lookup. */
    opts: { runs?: boolean } = {},
  ) {
    this.name = table.name;
    this.v6 = family === Family.V6;
    const index = new Map<string, number>();
    for (const c of table.chains.values()) index.set(c.name, index.size);
    for (const c of table.chains.values()) {
      const rules = c.rules.map((r) => compileRule(r, this.v6));
      c.rules.forEach((r, i) => {
        if (r.target.kind === 'jump') rules[i]!.jump = index.get(r.target.chain) ?? -1;
      });
      if (opts.runs !== false) buildRuns(rules);
      this.chains.push({ chain: c, rules, policy: c.builtin ? (c.policy === 'ACCEPT' ? NF_ACCEPT : NF_DROP) : -1 });
      if (c.builtin) this.entry.set(CHAIN_HOOK[c.name]!, index.get(c.name)!);
    }
  }

  /**
   * The last verdict's site as one object per site (the same object every
   * time): `{ table, chain, rule }`, `ipv6: true` in an ip6tables table.
   */
  siteRecord(): { readonly table: string; readonly chain: string; readonly rule: number; readonly ipv6?: boolean } {
    const byRule = (this.siteRecords[this.siteCi] ??= []);
    const rule = this.site.rule;
    return (byRule[rule] ??= this.v6 ? { table: this.name, chain: this.site.chain, rule, ipv6: true } : { table: this.name, chain: this.site.chain, rule });
  }

  /** Does this table have a chain on `hook`? */
  hasHook(hook: Hook): boolean {
    return this.entry.has(hook);
  }

  /**
   * Runs the packet through the table's chain for `par.hook`; returns
   * NF_ACCEPT or NF_DROP and sets `site`. `par.hotdrop` is set when a match
   * hot-dropped the packet.
   */
  run(skb: Skb, par: XtParams): number {
    // A table is entered again while it runs when a target sends a packet at once (TEE's copy crossing
    // OUTPUT and POSTROUTING): that traversal gets a jump stack of its own.
    if (this.running) return this.walk(skb, par, new Int32Array(MAX_STACK), new Int32Array(MAX_STACK));
    this.running = true;
    const v = this.walk(skb, par, this.stackChain, this.stackRule);
    this.running = false;
    return v;
  }

  /** A table is being traversed (its jump stack is in use). */
  private running = false;

  private walk(skb: Skb, par: XtParams, stackChain: Int32Array, stackRule: Int32Array): number {
    const start = this.entry.get(par.hook);
    if (start === undefined) return NF_ACCEPT;
    const chains = this.chains;
    let ci = start;
    let chain = chains[ci]!;
    let ri = 0;
    let sp = 0;
    // The packet's length, re-read after a target that may change it (TCPMSS adds an option).
    let len = skb.totLen;
    par.hotdrop = false;
    for (;;) {
      if (ri >= chain.rules.length) {
        // End of chain: a user chain returns; a built-in one applies its policy.
        if (chain.policy < 0) {
          if (this.tracer) this.tracer(chain.chain.name, 'return', ri + 1);
          if (sp > 0) {
            sp--;
            ci = stackChain[sp]!;
            chain = chains[ci]!;
            ri = stackRule[sp]!;
            continue;
          }
          chain = chains[start]!;
          ci = start;
        }
        chain.chain.packets++;
        chain.chain.bytes += len;
        if (this.tracer) this.tracer(chain.chain.name, 'policy', chain.rules.length + 1);
        this.siteCi = ci;
        this.site.chain = chain.chain.name;
        this.site.rule = 0;
        return chain.policy;
      }
      let r = chain.rules[ri]!;
      if (r.set) {
        // Skip straight to the first rule of the run that can match.
        const to = r.set.find(skb);
        if (this.tracer) for (let k = ri; k < to; k++) this.tracer(chain.chain.name, 'nomatch', k + 1);
        if (to === r.set.end) {
          ri = to;
          continue;
        }
        ri = to;
        r = chain.rules[ri]!;
      }
      if (!(this.v6 ? ip6Match(r, skb, par) : ipMatch(r, skb, par)) || !this.matchAll(r, skb, par)) {
        if (par.hotdrop) {
          this.siteCi = ci;
          this.site.chain = chain.chain.name;
          this.site.rule = ri + 1;
          return NF_DROP;
        }
        if (this.tracer) this.tracer(chain.chain.name, 'nomatch', ri + 1);
        ri++;
        continue;
      }
      r.rule.packets++;
      r.rule.bytes += len;
      if (this.tracer) this.tracer(chain.chain.name, 'rule', ri + 1);
      switch (r.kind) {
        case Kind.Accept:
        case Kind.Drop:
          this.siteCi = ci;
          this.site.chain = chain.chain.name;
          this.site.rule = ri + 1;
          return r.kind === Kind.Accept ? NF_ACCEPT : NF_DROP;
        case Kind.None:
          ri++;
          continue;
        case Kind.Jump:
          if (sp >= MAX_STACK) {
            this.siteCi = ci;
            this.site.chain = chain.chain.name;
            this.site.rule = ri + 1;
            return NF_DROP;
          }
          stackChain[sp] = ci;
          stackRule[sp] = ri + 1;
          sp++;
          ci = r.jump;
          chain = chains[ci]!;
          ri = 0;
          continue;
        case Kind.Goto:
          ci = r.jump;
          chain = chains[ci]!;
          ri = 0;
          continue;
        case Kind.Return:
          break;
        case Kind.Module: {
          const v = r.target!.target(r.targetCfg, skb, par);
          if (v === XT_CONTINUE) {
            len = skb.totLen;
            ri++;
            continue;
          }
          if (v !== XT_RETURN) {
            this.siteCi = ci;
            this.site.chain = chain.chain.name;
            this.site.rule = ri + 1;
            return v;
          }
          break;
        }
      }
      // RETURN: pop, or underflow to the built-in chain's policy.
      if (sp > 0) {
        sp--;
        ci = stackChain[sp]!;
        chain = chains[ci]!;
        ri = stackRule[sp]!;
      } else {
        ci = start;
        chain = chains[start]!;
        ri = chain.rules.length;
      }
    }
  }

  private matchAll(r: CRule, skb: Skb, par: XtParams): boolean {
    const fns = r.matchFns;
    for (let i = 0; i < fns.length; i++) {
      if (!fns[i]!.match(r.matchCfgs[i], skb, par)) return false;
    }
    return true;
  }
}

function compileRule(r: Rule, v6: boolean): CRule {
  const t = r.target;
  let kind: Kind;
  let target: TargetModule<unknown> | null = null;
  let targetCfg: unknown = undefined;
  switch (t.kind) {
    case 'verdict':
      kind = t.verdict === 'ACCEPT' ? Kind.Accept : t.verdict === 'DROP' ? Kind.Drop : Kind.Return;
      break;
    case 'jump':
      kind = t.goto ? Kind.Goto : Kind.Jump;
      break;
    case 'module':
      kind = Kind.Module;
      target = t.module as TargetModule<unknown>;
      targetCfg = t.config;
      break;
    default:
      kind = Kind.None;
  }
  return {
    rule: r,
    src: r.ip.src.w0,
    smsk: r.ip.smsk.w0,
    dst: r.ip.dst.w0,
    dmsk: r.ip.dmsk.w0,
    src6: v6 ? r.ip.src : null,
    smsk6: v6 ? r.ip.smsk : null,
    dst6: v6 ? r.ip.dst : null,
    dmsk6: v6 ? r.ip.dmsk : null,
    inv: r.ip.invflags,
    inIf: ifTest(r.ip.iniface),
    outIf: ifTest(r.ip.outiface),
    proto: r.ip.proto,
    fragment: r.ip.fragment,
    matchFns: r.matches.map((m) => m.module as MatchModule<unknown>),
    matchCfgs: r.matches.map((m) => m.config),
    kind,
    jump: -1,
    target,
    targetCfg,
    set: null,
  };
}

/** ip_packet_match: addresses, interfaces, protocol, fragment flag, each invertible. */
function ipMatch(r: CRule, skb: Skb, par: XtParams): boolean {
  const inv = r.inv;
  if (((skb.saddr & r.smsk) >>> 0 !== r.src) !== ((inv & INV_SRCIP) !== 0)) return false;
  if (((skb.daddr & r.dmsk) >>> 0 !== r.dst) !== ((inv & INV_DSTIP) !== 0)) return false;
  if (r.inIf && ifMatches(r.inIf, par.inDev) === ((inv & INV_VIA_IN) !== 0)) return false;
  if (r.outIf && ifMatches(r.outIf, par.outDev) === ((inv & INV_VIA_OUT) !== 0)) return false;
  if (r.proto && (skb.protocol !== r.proto) !== ((inv & INV_PROTO) !== 0)) return false;
  if (r.fragment && (skb.fragoff === 0) !== ((inv & INV_FRAG) !== 0)) return false;
  return true;
}

/**
 * ip6_packet_match: the same tests on the packet's IPv6 addresses. The
 * protocol is the one the extension header walk found (`skb.protocol`), and
 * there is no fragment flag (ip6tables has no -f).
 */
function ip6Match(r: CRule, skb: Skb, par: XtParams): boolean {
  const inv = r.inv;
  if (!skb.src.inNet(r.src6!, r.smsk6!) !== ((inv & INV_SRCIP) !== 0)) return false;
  if (!skb.dst.inNet(r.dst6!, r.dmsk6!) !== ((inv & INV_DSTIP) !== 0)) return false;
  if (r.inIf && ifMatches(r.inIf, par.inDev) === ((inv & INV_VIA_IN) !== 0)) return false;
  if (r.outIf && ifMatches(r.outIf, par.outDev) === ((inv & INV_VIA_OUT) !== 0)) return false;
  // -p becomes nf_tables' `meta l4proto`, which matches nothing (inverted or not) when the header chain is malformed.
  if (r.proto && (skb.protocol < 0 || (skb.protocol !== r.proto) !== ((inv & INV_PROTO) !== 0))) return false;
  return true;
}
