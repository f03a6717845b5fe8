/**
 * NAT ranges (the kernel's `struct nf_nat_range2`) and their text: how
 * iptables 1.8.9 (extensions/libxt_NAT.c) parses `--to-source`,
 * `--to-destination` and `--to-ports` and prints them back in
 * `iptables-save`. Shared by SNAT, DNAT, MASQUERADE and REDIRECT; the NAT
 * core (core.ts) reads the same record.
 *
 * @example
 * parseNatTo('192.0.2.1-192.0.2.9:1000-2000', true, Family.V4)
 * // { flags: MAP_IPS | PROTO_SPECIFIED, minAddr: 192.0.2.1, maxAddr: 192.0.2.9, minProto: 1000, maxProto: 2000, baseProto: 0 }
 */
import { Family, InetAddr, parseIPv4Addr, parseIPv6 } from '../../packet/inet-addr.js';
import { Hook } from '../types.js';
import { SVC_SCTP, SVC_TCP, SVC_UDP, serviceToPort } from '../matches/util.js';

/** xtables_service_to_port(name, NULL): a service of any protocol. */
function lookupService(name: string): number | undefined {
  return serviceToPort(name, SVC_TCP | SVC_UDP | SVC_SCTP);
}

/** nf_nat_range2.flags (NF_NAT_RANGE_*). */
export const NF_NAT_RANGE_MAP_IPS = 1 << 0;
export const NF_NAT_RANGE_PROTO_SPECIFIED = 1 << 1;
export const NF_NAT_RANGE_PROTO_RANDOM = 1 << 2;
export const NF_NAT_RANGE_PERSISTENT = 1 << 3;
export const NF_NAT_RANGE_PROTO_RANDOM_FULLY = 1 << 4;
export const NF_NAT_RANGE_PROTO_OFFSET = 1 << 5;
export const NF_NAT_RANGE_NETMAP = 1 << 6;
export const NF_NAT_RANGE_PROTO_RANDOM_ALL = NF_NAT_RANGE_PROTO_RANDOM | NF_NAT_RANGE_PROTO_RANDOM_FULLY;

/** Which side of the tuple a NAT step rewrites (enum nf_nat_manip_type). */
export const enum Manip {
  Src = 0,
  Dst = 1,
}

/** HOOK2MANIP: PREROUTING and OUTPUT change the destination, INPUT and POSTROUTING the source. */
export function hookManip(hook: Hook): Manip {
  return hook === Hook.PostRouting || hook === Hook.LocalIn ? Manip.Src : Manip.Dst;
}

export interface NatRange {
  flags: number;
  minAddr: InetAddr;
  maxAddr: InetAddr;
  /** Ports (or ICMP ids, GRE keys), host order. */
  minProto: number;
  maxProto: number;
  /** With NF_NAT_RANGE_PROTO_OFFSET: the port the range's first port stands for. */
  baseProto: number;
}

export function emptyRange(family: Family): NatRange {
  return { flags: 0, minAddr: InetAddr.any(family), maxAddr: InetAddr.any(family), minProto: 0, maxProto: 0, baseProto: 0 };
}

/** A refusal in iptables' own words (the caller adds file and position). */
export class NatParseError extends Error {}

/** Protocols whose rules may name ports (portok in libxt_NAT.c): the value of -p, inverted or not. */
export function portsAllowed(proto: number): boolean {
  return proto === 6 || proto === 17 || proto === 132 || proto === 33 || proto === 1;
}

/**
 * xtables_strtoui(text, &end, &v, min, max) for a port: the number (base 0:
 * decimal, 0x hex, 0 octal) and where it stopped, or undefined when no
 * digits were read or the value is out of range.
 */
function strtouiPrefix(text: string, min: number, max: number): { value: number; rest: string } | undefined {
  const m = /^\s*\+?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(text);
  if (!m) return undefined;
  const lit = m[1]!;
  const value = /^0[xX]/.test(lit) ? parseInt(lit.slice(2), 16) : lit.length > 1 && lit.startsWith('0') ? parseInt(lit, 8) : Number(lit);
  if (value < min || value > max) return undefined;
  return { value, rest: text.slice(m[0].length) };
}

/** parse_ports: `PORT`, `PORT-PORT` or `PORT-PORT/BASE` (a service name for the single port and the base). */
export function parseNatPorts(arg: string, portok: boolean, range: NatRange): void {
  if (!portok) throw new NatParseError('Need TCP, UDP, SCTP or DCCP with port specification');
  range.flags |= NF_NAT_RANGE_PROTO_SPECIFIED;
  let port: number;
  let end: string;
  // xtables_strtoui with an end pointer: a number in range, whatever follows it.
  const first = strtouiPrefix(arg, 0, 65535);
  if (first) {
    port = first.value;
    end = first.rest;
  } else {
    const svc = lookupService(arg);
    if (svc === undefined) throw new NatParseError(`Port \`${arg}' not valid`);
    port = svc;
    end = '';
  }
  if (end === '') {
    range.minProto = range.maxProto = port;
    return;
  }
  if (end[0] === ':') throw new NatParseError('Invalid port:port syntax - use dash');
  if (end[0] !== '-') throw new NatParseError(`Garbage after port value: \`${end}'`);
  const maxText = end.slice(1);
  const second = strtouiPrefix(maxText, 0, 65535);
  if (!second) throw new NatParseError(`Port \`${maxText}' not valid`);
  if (second.value < port) throw new NatParseError(`Port range \`${maxText}' funky`);
  range.minProto = port;
  range.maxProto = second.value;
  if (second.rest === '') return;
  if (second.rest[0] !== '/') throw new NatParseError(`Garbage after port range: \`${second.rest}'`);
  const baseText = second.rest.slice(1);
  const base = strtouiPrefix(baseText, 1, 65535);
  let baseport: number;
  if (base) baseport = base.value;
  else {
    const svc = lookupService(baseText);
    if (svc === undefined) throw new NatParseError(`Port \`${baseText}' not valid`);
    baseport = svc;
  }
  range.flags |= NF_NAT_RANGE_PROTO_OFFSET;
  range.baseProto = baseport;
}

function parseFamilyAddr(text: string, family: Family): InetAddr | undefined {
  return family === Family.V6 ? parseIPv6(text) : parseIPv4Addr(text);
}

/**
 * parse_to: `[ADDR[-ADDR]][:PORT[-PORT[/BASE]]]`, IPv6 addresses in
 * brackets when a port follows (`[2001:db8::1]:80`).
 */
export function parseNatTo(orig: string, portok: boolean, range: NatRange, family: Family): void {
  let start: string;
  let colon: number;
  const lb = orig.indexOf('[');
  if (lb < 0) {
    start = orig;
    // One colon is port information; more make an IPv6 address.
    colon = orig.indexOf(':');
    if (colon >= 0 && orig.indexOf(':', colon + 1) >= 0) colon = -1;
  } else {
    const rb = orig.indexOf(']', lb + 1);
    if (rb < 0 || family === Family.V4) throw new NatParseError('Invalid address format');
    start = orig.slice(lb + 1, rb);
    const c = orig.indexOf(':', rb + 1);
    colon = c;
    if (c >= 0) {
      parseNatPorts(orig.slice(c + 1), portok, range);
      if (lb === 0 && rb === 1) return; // `[]:port`: no address
    }
    return setAddrs(start, range, family);
  }
  if (colon >= 0) {
    parseNatPorts(orig.slice(colon + 1), portok, range);
    // Starts with a colon: no address.
    if (colon === 0) return;
    start = orig.slice(0, colon);
  }
  setAddrs(start, range, family);
}

function setAddrs(start: string, range: NatRange, family: Family): void {
  range.flags |= NF_NAT_RANGE_MAP_IPS;
  const dash = start.indexOf('-');
  const lo = dash >= 0 ? start.slice(0, dash) : start;
  const min = parseFamilyAddr(lo, family);
  if (!min) throw new NatParseError(`Bad IP address "${lo}"`);
  range.minAddr = min;
  if (dash >= 0) {
    const hiText = start.slice(dash + 1);
    const max = parseFamilyAddr(hiText, family);
    if (!max) throw new NatParseError(`Bad IP address "${hiText}"`);
    range.maxAddr = max;
  } else range.maxAddr = min;
}

/** sprint_range: the range as iptables-save prints it after `--to-source ` and friends. */
export function formatNatRange(r: NatRange, family: Family): string {
  const brackets = family === Family.V6 && (r.flags & NF_NAT_RANGE_PROTO_SPECIFIED) !== 0;
  let s = '';
  if (r.flags & NF_NAT_RANGE_MAP_IPS) {
    if (brackets) s += '[';
    s += r.minAddr.toString();
    if (!r.minAddr.equals(r.maxAddr)) s += `-${r.maxAddr.toString()}`;
    if (brackets) s += ']';
  }
  if (r.flags & NF_NAT_RANGE_PROTO_SPECIFIED) {
    s += `:${r.minProto}`;
    if (r.maxProto !== r.minProto) s += `-${r.maxProto}`;
    if (r.flags & NF_NAT_RANGE_PROTO_OFFSET) s += `/${r.baseProto}`;
  }
  return s;
}

/** __NAT_print for iptables-save: `--to-source RANGE` (or `--to-ports` without the colon) and the flags. */
export function saveNatRange(r: NatRange, family: Family, option: string, skipColon: boolean): string {
  const out: string[] = [];
  let text = formatNatRange(r, family);
  if (text) {
    if (skipColon && text.startsWith(':')) text = text.slice(1);
    out.push(`${option} ${text}`);
  }
  if (r.flags & NF_NAT_RANGE_PROTO_RANDOM) out.push('--random');
  if (r.flags & NF_NAT_RANGE_PROTO_RANDOM_FULLY) out.push('--random-fully');
  if (r.flags & NF_NAT_RANGE_PERSISTENT) out.push('--persistent');
  return out.join(' ');
}
