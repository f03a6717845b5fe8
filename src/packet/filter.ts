/**
 * A small packet filter language, a subset of tcpdump's, for choosing
 * frames (`cofw trace --match 'tcp and dport 22'`). It is read once and
 * compiled to a function of a frame's flow (src/packet/flow.ts).
 *
 *   expr      := term (('or' | '||') term)*
 *   term      := factor (('and' | '&&') factor)*
 *   factor    := ('not' | '!') factor | '(' expr ')' | primitive
 *   primitive := ip | ip6 | tcp | udp | icmp | icmp6 | sctp | dccp | udplite | esp | ah | gre
 *              | proto NAME-OR-NUMBER
 *              | [src | dst] host ADDRESS          (IPv4 or IPv6)
 *              | [src | dst] net ADDRESS/PREFIX
 *              | [src | dst] port PORT             (TCP, UDP, SCTP, DCCP, UDP-Lite)
 *              | [src | dst] portrange LOW-HIGH
 *              | sport PORT | dport PORT          (shorthand for src port, dst port)
 *              | icmp-type NUMBER                  (ICMP or ICMPv6 type)
 *
 * Without `src` or `dst`, host, net and port match either side. `and`
 * binds tighter than `or`; both are left to right. Protocol names are
 * those of /etc/protocols. A fragment other than the first has no ports:
 * no port primitive matches it. Frames that are not IPv4 or IPv6 match
 * nothing but `not ...`.
 *
 * @example
 * const m = compileFilter('tcp and (dport 22 or dport 2222) and not src net 10.0.0.0/8');
 * if (readFrameFlow(frame, flow) && m(flow)) ...
 */
import { getprotobyname } from '../netfilter/names.js';
import { Family, InetAddr, parseInetAddr } from './inet-addr.js';
import type { Flow } from './flow.js';

/** A filter that cannot be read: the message names the expression, the place and what was expected. */
export class FilterError extends Error {
  override readonly name = 'FilterError';
  constructor(
    readonly expression: string,
    /** 0-based character offset of the problem. */
    readonly at: number,
    what: string,
  ) {
    super(`${JSON.stringify(expression)}, at character ${at + 1}: ${what}`);
  }
}

/** A compiled filter: true when the flow (false: not IP) matches. */
export type FrameFilter = (f: Flow | null) => boolean;

const PROTOS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmp6: 58, sctp: 132, dccp: 33, udplite: 136, esp: 50, ah: 51, gre: 47 };

function hasPorts(proto: number): boolean {
  return proto === 6 || proto === 17 || proto === 132 || proto === 33 || proto === 136;
}

interface Token {
  text: string;
  at: number;
}

function tokenize(expr: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(\(|\)|&&|\|\||!|[^\s()!&|]+)/y;
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while (re.lastIndex < expr.length && (m = re.exec(expr))) {
    if (!m[1]) break;
    out.push({ text: m[1], at: m.index + m[0].length - m[1].length });
  }
  const rest = expr.slice(re.lastIndex);
  if (rest.trim()) throw new FilterError(expr, re.lastIndex + rest.length - rest.trimStart().length, `unexpected ${JSON.stringify(rest.trim()[0])}`);
  return out;
}

/** Reads a filter; throws FilterError naming where it went wrong. */
export function compileFilter(expr: string): FrameFilter {
  const toks = tokenize(expr);
  let i = 0;
  const peek = (): Token | undefined => toks[i];
  const where = (): number => toks[i]?.at ?? expr.length;
  const fail = (what: string): never => {
    throw new FilterError(expr, where(), what);
  };
  const next = (what: string): Token => toks[i++] ?? fail(`expected ${what}, found the end`);

  const port = (what: string): number => {
    const t = next(`a port number after ${what}`);
    const n = /^\d+$/.test(t.text) ? Number(t.text) : NaN;
    if (!(n >= 0 && n <= 65535)) throw new FilterError(expr, t.at, `${JSON.stringify(t.text)} is not a port number (0 to 65535) after ${what}`);
    return n;
  };

  const primitive = (): FrameFilter => {
    const t = next('a primitive (tcp, host ADDRESS, port N, ...)');
    let side: 'src' | 'dst' | undefined;
    let word = t.text.toLowerCase();
    if (word === 'src' || word === 'dst') {
      side = word;
      const k = next(`host, net, port or portrange after ${word}`);
      word = k.text.toLowerCase();
      if (!['host', 'net', 'port', 'portrange'].includes(word))
        throw new FilterError(expr, k.at, `expected host, net, port or portrange after ${side}, found ${JSON.stringify(k.text)}`);
    }
    if (word === 'sport' || word === 'dport') {
      const p = port(word);
      const src = word === 'sport';
      return (f) => !!f && f.l4 && hasPorts(f.proto) && (src ? f.sport : f.dport) === p;
    }
    if (word === 'port' || word === 'portrange') {
      let lo: number;
      let hi: number;
      if (word === 'port') lo = hi = port('port');
      else {
        const r = next('a range LOW-HIGH after portrange');
        const m = /^(\d+)-(\d+)$/.exec(r.text);
        lo = m ? Number(m[1]) : NaN;
        hi = m ? Number(m[2]) : NaN;
        if (!(lo >= 0 && hi <= 65535 && lo <= hi)) throw new FilterError(expr, r.at, `${JSON.stringify(r.text)} is not a port range such as 1024-65535`);
      }
      const inR = (p: number): boolean => p >= lo && p <= hi;
      return (f) => !!f && f.l4 && hasPorts(f.proto) && (side === 'src' ? inR(f.sport) : side === 'dst' ? inR(f.dport) : inR(f.sport) || inR(f.dport));
    }
    if (word === 'host' || word === 'net') {
      const a = next(`an address after ${word}`);
      let text = a.text;
      let prefix: number | undefined;
      if (word === 'net') {
        const slash = text.indexOf('/');
        if (slash < 0) throw new FilterError(expr, a.at, `expected ADDRESS/PREFIX after net, such as 10.0.0.0/8, found ${JSON.stringify(text)}`);
        prefix = /^\d+$/.test(text.slice(slash + 1)) ? Number(text.slice(slash + 1)) : NaN;
        text = text.slice(0, slash);
      }
      const addr = parseInetAddr(text);
      if (!addr) throw new FilterError(expr, a.at, `${JSON.stringify(text)} is not an IPv4 or IPv6 address`);
      const bits = addr.family === Family.V6 ? 128 : 32;
      const len = prefix ?? bits;
      if (!(len >= 0 && len <= bits)) throw new FilterError(expr, a.at, `the prefix length of ${JSON.stringify(a.text)} must be 0 to ${bits}`);
      const mask = InetAddr.mask(addr.family, len);
      const net = addr.clone().and(mask);
      const hit = (x: InetAddr): boolean => x.family === net.family && x.inNet(net, mask);
      return (f) => !!f && (side === 'src' ? hit(f.src) : side === 'dst' ? hit(f.dst) : hit(f.src) || hit(f.dst));
    }
    if (word === 'ip') return (f) => !!f && f.family === Family.V4;
    if (word === 'ip6') return (f) => !!f && f.family === Family.V6;
    if (word === 'proto') {
      const p = next('a protocol name or number after proto');
      const n = /^\d+$/.test(p.text) ? Number(p.text) : getprotobyname(p.text);
      if (n === undefined || !(n >= 0 && n <= 255)) throw new FilterError(expr, p.at, `${JSON.stringify(p.text)} is not a protocol name or number (0 to 255)`);
      return (f) => !!f && f.proto === n;
    }
    if (word === 'icmp-type') {
      const p = next('a type number after icmp-type');
      const n = /^\d+$/.test(p.text) ? Number(p.text) : NaN;
      if (!(n >= 0 && n <= 255)) throw new FilterError(expr, p.at, `${JSON.stringify(p.text)} is not an ICMP type (0 to 255)`);
      return (f) => !!f && f.icmpType === n;
    }
    const proto = PROTOS[word];
    if (proto !== undefined) return (f) => !!f && f.proto === proto;
    throw new FilterError(
      expr,
      t.at,
      `unknown word ${JSON.stringify(t.text)}: expected a protocol (tcp, udp, icmp, icmp6, ...), host, net, port, portrange, sport, dport, proto, icmp-type, src, dst, not or (`,
    );
  };

  const factor = (): FrameFilter => {
    const t = peek();
    if (!t) return fail('expected a primitive (tcp, host ADDRESS, port N, ...), found the end');
    if (t.text === '!' || t.text.toLowerCase() === 'not') {
      i++;
      const inner = factor();
      return (f) => !inner(f);
    }
    if (t.text === '(') {
      i++;
      const inner = or();
      const c = peek();
      if (c?.text !== ')') fail(`expected ) to close the ( at character ${t.at + 1}`);
      i++;
      return inner;
    }
    return primitive();
  };

  const and = (): FrameFilter => {
    let left = factor();
    while (peek() && (peek()!.text === '&&' || peek()!.text.toLowerCase() === 'and')) {
      i++;
      const l = left;
      const r = factor();
      left = (f) => l(f) && r(f);
    }
    return left;
  };

  const or = (): FrameFilter => {
    let left = and();
    while (peek() && (peek()!.text === '||' || peek()!.text.toLowerCase() === 'or')) {
      i++;
      const l = left;
      const r = and();
      left = (f) => l(f) || r(f);
    }
    return left;
  };

  if (!toks.length) throw new FilterError(expr, 0, 'empty: give an expression such as tcp and dport 22');
  const f = or();
  if (i < toks.length) fail(`unexpected ${JSON.stringify(toks[i]!.text)}: join primitives with and, or`);
  return f;
}
