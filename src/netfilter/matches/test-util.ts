/**
 * Test helpers for the match modules: option lists from text, contexts,
 * packets as the rule engine hands them over, and a stub of the guest.
 * Test-only; the real rule parser lives elsewhere.
 */
import type { CheckContext, MatchModule, OptionUse, ParseContext, RuleHead, TargetModule } from '../xt.js';
import { Family, type InetAddr } from '../../packet/inet-addr.js';
import { Skb, type GuestServices, type Hook, type NetDevice, type RouteType, type XtParams } from '../types.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';

/** Splits text into words with shell-like single and double quotes and `\` escapes. */
export function words(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let have = false;
  let q: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (q) {
      if (c === q) q = null;
      else if (c === '\\' && q === '"' && i + 1 < text.length) cur += text[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      q = c;
      have = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      have = true;
    } else if (c === ' ' || c === '\t') {
      if (have) out.push(cur);
      cur = '';
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (have) out.push(cur);
  return out;
}

/** Builds the OptionUse list for a match or target from text such as `--dport 22 ! --sport 1:1024`. */
export function usesOf(module: MatchModule<any> | TargetModule<any>, text: string): OptionUse[] {
  const w = words(text);
  const out: OptionUse[] = [];
  let invert = false;
  for (let i = 0; i < w.length; i++) {
    const t = w[i]!;
    if (t === '!') {
      invert = true;
      continue;
    }
    if (!t.startsWith('--')) throw new Error(`test text: expected an option at ${t}`);
    const name = t.slice(2);
    const spec = module.options.find((s) => s.name === name || s.aliases?.includes(name));
    if (!spec) throw new Error(`test text: ${module.name} has no option --${name}`);
    const args: string[] = [];
    for (let k = 0; k < spec.args && i + 1 < w.length && w[i + 1] !== '!' && !w[i + 1]!.startsWith('--'); k++) {
      args.push(w[++i]!);
    }
    // Option arguments may start with dashes (a comment "-x"): take them when the spec wants them.
    while (args.length < spec.args && i + 1 < w.length) args.push(w[++i]!);
    out.push({ spec, written: name, args, invert, pos: { line: 1, column: i + 1 } });
    invert = false;
  }
  return out;
}

export function head(proto = 0, invProto = false): RuleHead {
  return { proto, invProto, fragment: false, invFragment: false };
}

export function parseCtx(proto = 0, invProto = false, chain = 'INPUT', table = 'filter'): ParseContext {
  return { family: Family.V4, table, chain, head: head(proto, invProto) };
}

export function checkCtx(hookMask: number, proto = 0, invProto = false): CheckContext {
  return { ...parseCtx(proto, invProto), hookMask };
}

/** parse then save, as iptables-restore followed by iptables-save. */
export function roundTrip<C>(module: MatchModule<C>, text: string, proto = 0, invProto = false): string {
  return module.save(module.parse(usesOf(module, text), parseCtx(proto, invProto)));
}

/** The error message parse throws for `text`, or '' when it parses. */
export function parseError<C>(module: MatchModule<C>, text: string, proto = 0, invProto = false): string {
  try {
    module.parse(usesOf(module, text), parseCtx(proto, invProto));
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

export interface StubOptions {
  addrType?: (addr: number, dev: NetDevice | null) => RouteType;
  addrType6?: (addr: InetAddr, dev: NetDevice | null) => RouteType;
}

export function services(o: StubOptions = {}): GuestServices {
  return {
    jiffies: () => 0,
    nowNs: () => 0,
    wallNs: () => 0n,
    tzMinutesWest: () => 0,
    addrType: o.addrType ?? (() => 1 as RouteType),
    addrType6: o.addrType6 ?? (() => 1 as RouteType),
    printk: () => {},
    sendLocal: () => {},
    selectSource: () => 0,
    routeOutput: () => null,
    route: () => ({ type: 7 as RouteType, dev: null }),
    sourceAddress: () => null,
    nat: null,
  };
}

export function params(hook: Hook = 1 as Hook, o: StubOptions & { inDev?: NetDevice | null; outDev?: NetDevice | null } = {}): XtParams {
  return { hook, table: 'filter', inDev: o.inDev ?? null, outDev: o.outDev ?? null, hotdrop: false, services: services(o) };
}

/** A packet as the stack hands it to a table; `len` overrides the IP total length field. */
export function skbOf(ip: Uint8Array, mac: Uint8Array | null = null): Skb {
  const s = new Skb().load(ip);
  s.mac = mac;
  return s;
}

/** Cuts an IPv4 packet to `len` bytes and fixes its total length field. */
export function truncate(ip: Uint8Array, len: number): Uint8Array {
  const b = ip.slice(0, len);
  b[2] = len >> 8;
  b[3] = len & 255;
  return b;
}

export interface Outcome {
  matched: boolean;
  hotdrop: boolean;
}

/** Runs a parsed match on a packet. */
export function run<C>(module: MatchModule<C>, config: C, skb: Skb, par: XtParams = params()): Outcome {
  par.hotdrop = false;
  const matched = module.match(config, skb, par);
  return { matched, hotdrop: par.hotdrop };
}

export function dev(name: string, index: number): NetDevice {
  return { name, index, mac: new Uint8Array(6), addrs: [], mtu: 1500, unit: index - 2 };
}

// ---------------------------------------------------------------------------
// ip6tables rule files and IPv6 packets

/** The parse context of an ip6tables rule file. */
export function parseCtx6(proto = 0, invProto = false, chain = 'INPUT', table = 'filter'): ParseContext {
  return { ...parseCtx(proto, invProto, chain, table), family: Family.V6 };
}

export function checkCtx6(hookMask: number, proto = 0, invProto = false): CheckContext {
  return { ...parseCtx6(proto, invProto), hookMask };
}

/** The error message parse throws for `text` in an ip6tables rule, or '' when it parses. */
export function parseError6<C>(module: MatchModule<C> | TargetModule<C>, text: string, proto = 0, invProto = false): string {
  try {
    module.parse(usesOf(module, text), parseCtx6(proto, invProto));
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

const BUILTIN6: Record<string, string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
};

/**
 * One rule line through ip6tables-restore and ip6tables-save as cofw does
 * them: the saved `-A` line, or the loader's error message.
 */
export function save6(rule: string, table = 'filter'): string {
  const text = [`*${table}`, ...BUILTIN6[table]!.map((c) => `:${c} ACCEPT [0:0]`), rule, 'COMMIT', ''].join('\n');
  try {
    const saved = saveRuleset(loadRuleset(text, 'rules.v6', { family: Family.V6 }), { counters: false });
    return saved
      .split('\n')
      .filter((l) => l.startsWith('-A'))
      .join('\n');
  } catch (e) {
    return (e as Error).message;
  }
}

/** A packet as the IPv6 stack hands it to a table. */
export function skb6(ip: Uint8Array, mac: Uint8Array | null = null): Skb {
  const s = new Skb().loadV6(ip);
  s.mac = mac;
  return s;
}

/** Cuts an IPv6 packet to `len` bytes and fixes its payload length field. */
export function truncate6(ip: Uint8Array, len: number): Uint8Array {
  const b = ip.slice(0, len);
  b[4] = (len - 40) >> 8;
  b[5] = (len - 40) & 255;
  return b;
}
