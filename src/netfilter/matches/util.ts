/**
 * Parsing helpers shared by the match modules: ports and port ranges,
 * service names, TCP flag names, ICMP type names, the generic option rules
 * (once, not inverted, mandatory, exclusive) and iptables-save's string
 * quoting. Numbers, addresses and the other argument kinds are args.ts's.
 *
 * Everything here runs at rule load time, never per packet.
 */
import { OptionError, type OptionUse } from '../xt.js';
import { xtStrtoul, xtStrtoulAll } from '../args.js';
import { SERVICES_TEXT } from './services.js';

// ---------------------------------------------------------------------------
// Numbers: args.ts (xtables_strtoul), under the names this file gave them

/** @deprecated Use xtStrtoul from ../args.js (the same function). */
export { xtStrtoul as strtoulPrefix, type NumPrefix } from '../args.js';
/** @deprecated Use xtStrtoulAll from ../args.js (the same function). */
export { xtStrtoulAll as strtoul } from '../args.js';

// ---------------------------------------------------------------------------
// Services and ports

/** Protocol sets for service name lookups. */
export const SVC_TCP = 1;
export const SVC_UDP = 2;
export const SVC_SCTP = 4;

interface ServiceEntry {
  readonly names: readonly string[];
  readonly port: number;
  readonly proto: number;
}

const SERVICES: readonly ServiceEntry[] = SERVICES_TEXT.split('\n')
  .filter((l) => l.length > 0)
  .map((l) => {
    const [name, portProto, ...aliases] = l.split(' ');
    const p = portProto!;
    const proto = p.endsWith('t') ? SVC_TCP : p.endsWith('u') ? SVC_UDP : SVC_SCTP;
    return { names: [name!, ...aliases], port: Number(p.slice(0, -1)), proto };
  });

/**
 * The port of a service name (case-sensitive, as getservbyname), looked up
 * among the entries of the protocols in `protos`; undefined when unknown.
 */
export function serviceToPort(name: string, protos: number): number | undefined {
  for (const s of SERVICES) if (s.proto & protos && s.names.includes(name)) return s.port;
  return undefined;
}

/** Parses one port: a number 0-65535 or a service name; undefined when neither. */
export function parsePortText(text: string, protos: number): number | undefined {
  return xtStrtoulAll(text, 65535) ?? serviceToPort(text, protos);
}

/** The iptables complaint about a port, naming what is accepted. */
export function badPort(text: string, use?: OptionUse): OptionError {
  return new OptionError(`invalid port/service \`${text}' specified; expected a number 0-65535 or a service name (e.g. ssh, http, domain)`, use);
}

/**
 * A tcp/udp port range: `p`, `a:b`, `:b` (from 0), `a:` (to 65535).
 * Throws OptionError with iptables' messages.
 */
export function parsePortRange(text: string, protos: number, use?: OptionUse): [number, number] {
  const colon = text.indexOf(':');
  const port = (t: string): number => {
    const v = parsePortText(t, protos);
    if (v === undefined) throw badPort(t, use);
    return v;
  };
  if (colon < 0) {
    const p = port(text);
    return [p, p];
  }
  const a = text.slice(0, colon);
  const b = text.slice(colon + 1);
  const lo = a.length > 0 ? port(a) : 0;
  const hi = b.length > 0 ? port(b) : 65535;
  if (lo > hi) throw new OptionError(`invalid portrange (min > max): ${text}; write the lower port first`, use);
  return [lo, hi];
}

/** iptables-save text of a port range (`p` or `a:b`). */
export function formatPortRange(lo: number, hi: number): string {
  return lo === hi ? String(lo) : `${lo}:${hi}`;
}

// ---------------------------------------------------------------------------
// TCP flags

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;

const TCP_FLAG_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['FIN', TCP_FIN],
  ['SYN', TCP_SYN],
  ['RST', TCP_RST],
  ['PSH', TCP_PSH],
  ['ACK', TCP_ACK],
  ['URG', TCP_URG],
  ['ALL', 0x3f],
  ['NONE', 0],
];

/** Parses a comma list of TCP flag names (case-insensitive; empty items skipped). */
export function parseTcpFlags(text: string, use?: OptionUse): number {
  let v = 0;
  for (const item of text.split(',')) {
    if (item === '') continue;
    const u = item.toUpperCase();
    const hit = TCP_FLAG_NAMES.find(([n]) => n === u);
    if (!hit) {
      throw new OptionError(`Unknown TCP flag \`${item}'; expected a comma list of FIN, SYN, RST, PSH, ACK, URG, ALL, NONE`, use);
    }
    v |= hit[1];
  }
  return v;
}

/** iptables-save text of a flag set: `SYN,ACK`, `NONE` for none. */
export function formatTcpFlags(flags: number): string {
  if (flags === 0) return 'NONE';
  const out: string[] = [];
  for (let i = 0; i < 6; i++) if (flags & (1 << i)) out.push(TCP_FLAG_NAMES[i]![0]);
  return out.join(',');
}

// ---------------------------------------------------------------------------
// ICMP types

/** iptables' ICMP type names: name, type, lowest and highest code. */
export const ICMP_NAMES: ReadonlyArray<readonly [string, number, number, number]> = [
  ['any', 0xff, 0, 0xff],
  ['echo-reply', 0, 0, 0xff],
  ['pong', 0, 0, 0xff],
  ['destination-unreachable', 3, 0, 0xff],
  ['network-unreachable', 3, 0, 0],
  ['host-unreachable', 3, 1, 1],
  ['protocol-unreachable', 3, 2, 2],
  ['port-unreachable', 3, 3, 3],
  ['fragmentation-needed', 3, 4, 4],
  ['source-route-failed', 3, 5, 5],
  ['network-unknown', 3, 6, 6],
  ['host-unknown', 3, 7, 7],
  ['network-prohibited', 3, 9, 9],
  ['host-prohibited', 3, 10, 10],
  ['TOS-network-unreachable', 3, 11, 11],
  ['TOS-host-unreachable', 3, 12, 12],
  ['communication-prohibited', 3, 13, 13],
  ['host-precedence-violation', 3, 14, 14],
  ['precedence-cutoff', 3, 15, 15],
  ['source-quench', 4, 0, 0xff],
  ['redirect', 5, 0, 0xff],
  ['network-redirect', 5, 0, 0],
  ['host-redirect', 5, 1, 1],
  ['TOS-network-redirect', 5, 2, 2],
  ['TOS-host-redirect', 5, 3, 3],
  ['echo-request', 8, 0, 0xff],
  ['ping', 8, 0, 0xff],
  ['router-advertisement', 9, 0, 0xff],
  ['router-solicitation', 10, 0, 0xff],
  ['time-exceeded', 11, 0, 0xff],
  ['ttl-exceeded', 11, 0, 0xff],
  ['ttl-zero-during-transit', 11, 0, 0],
  ['ttl-zero-during-reassembly', 11, 1, 1],
  ['parameter-problem', 12, 0, 0xff],
  ['ip-header-bad', 12, 0, 0],
  ['required-option-missing', 12, 1, 1],
  ['timestamp-request', 13, 0, 0xff],
  ['timestamp-reply', 14, 0, 0xff],
  ['address-mask-request', 17, 0, 0xff],
  ['address-mask-reply', 18, 0, 0xff],
];

export interface IcmpSpec {
  type: number;
  codeMin: number;
  codeMax: number;
}

/**
 * Parses `--icmp-type`: a name or an unambiguous prefix of one
 * (case-insensitive), `type` or `type/code`. Throws with iptables' messages.
 */
export function parseIcmpType(text: string, use?: OptionUse): IcmpSpec {
  const lower = text.toLowerCase();
  let found = -1;
  for (let i = 0; i < ICMP_NAMES.length; i++) {
    if (!ICMP_NAMES[i]![0].toLowerCase().startsWith(lower)) continue;
    if (found >= 0) {
      throw new OptionError(`Ambiguous ICMP type \`${text}': \`${ICMP_NAMES[found]![0]}' or \`${ICMP_NAMES[i]![0]}'?`, use);
    }
    found = i;
  }
  if (found >= 0) {
    const [, type, codeMin, codeMax] = ICMP_NAMES[found]!;
    return { type, codeMin, codeMax };
  }
  const hint = '; expected a type name (e.g. echo-request), a number 0-255 or type/code';
  const t = xtStrtoul(text, 255);
  if (!t) throw new OptionError(`Unknown ICMP type \`${text}'${hint}`, use);
  let end = t.end;
  let codeMin = 0;
  let codeMax = 0xff;
  if (text[end] === '/') {
    const c = xtStrtoul(text, 255, end + 1);
    if (!c) throw new OptionError(`Unknown ICMP code \`${text}'${hint}`, use);
    codeMin = codeMax = c.value;
    end = c.end;
  }
  if (end < text.length) {
    const ch = text[end]!;
    if (ch === ':') throw new OptionError(`ICMP type range not supported: ${text}${hint}`, use);
    throw new OptionError(`unknown character ${ch} in ICMP type \`${text}'${hint}`, use);
  }
  return { type: t.value, codeMin, codeMax };
}

// ---------------------------------------------------------------------------
// IPv4 addresses: args.ts

/** @deprecated Use numericIPv4 from ../args.js (the same function). */
export { numericIPv4 as parseIptablesIPv4 } from '../args.js';

// ---------------------------------------------------------------------------
// Generic option rules

function optName(use: OptionUse): string {
  return use.spec.name;
}

/**
 * Enforces what libxtables enforces for every module: an option without
 * `repeat` used twice, `!` before an option that cannot be inverted, an
 * option used with one it excludes, and mandatory options missing.
 */
export function checkUses(module: string, uses: readonly OptionUse[]): void {
  const seen = new Set<string>();
  for (const u of uses) {
    const n = optName(u);
    if (u.invert && !u.spec.invert) {
      throw new OptionError(`${module}: option "--${n}" cannot be inverted.`, u);
    }
    if (seen.has(n) && !u.spec.repeat) {
      throw new OptionError(`${module}: option "--${n}" can only be used once.`, u);
    }
    for (const other of uses) {
      if (other === u) break;
      const on = optName(other);
      if (u.spec.excludes?.includes(on) || other.spec.excludes?.includes(n)) {
        if (on === n) continue;
        throw new OptionError(`${module}: option "--${n}" cannot be used together with "--${on}".`, u);
      }
    }
    seen.add(n);
  }
}

/** Throws iptables' "must be specified" for a missing mandatory option. */
export function checkMandatory(module: string, uses: readonly OptionUse[], names: readonly string[]): void {
  for (const n of names) {
    if (!uses.some((u) => u.spec.name === n)) {
      throw new OptionError(`${module}: option "--${n}" must be specified`);
    }
  }
}

// ---------------------------------------------------------------------------
// Saving strings

/** A string as iptables-save prints it (the rule printer's own quoting). */
export { saveString } from '../rules/tokenize.js';
