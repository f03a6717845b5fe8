/**
 * Address translations as the report shows them: each connection in the
 * final conntrack table whose reply tuple is not the mirror of its
 * original one (the kernel's IPS_SRC_NAT / IPS_DST_NAT), read from the
 * `conntrack -L` text the guest hands over, as "original -> translated".
 *
 * @example
 * translations('tcp 6 299 ESTABLISHED src=192.0.2.10 dst=203.0.113.5 sport=40000 dport=443 src=203.0.113.5 dst=198.51.100.1 sport=443 dport=40000 [ASSURED] mark=0 use=1\n')
 * // [{ proto: 'tcp', original: '192.0.2.10:40000 -> 203.0.113.5:443', translated: '198.51.100.1:40000 -> 203.0.113.5:443', kind: 'SNAT' }]
 */

export interface Translation {
  /** conntrack's protocol name (tcp, udp, icmp...). */
  readonly proto: string;
  /** The connection as its first packet arrived: `src[:port] -> dst[:port]`. */
  readonly original: string;
  /** The same direction after translation (the mirror of the reply tuple). */
  readonly translated: string;
  /** Which side changed. */
  readonly kind: 'SNAT' | 'DNAT' | 'SNAT+DNAT';
}

function endpoint(addr: string, port: string | undefined): string {
  if (port === undefined) return addr;
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

// A tuple's fields as ranges of the text (start, end; -1 when absent), so that a line whose reply
// mirrors its original (nearly all of them) is passed over without a string made.
const SRC = 0;
const DST = 2;
const SPORT = 4;
const DPORT = 6;
const ID = 8;

/**
 * Reads the key=value fields of one tuple of `text` from `from` to `end`
 * into `side` (ranges); returns where the next tuple starts, or -1 when the
 * tuple has no src or dst.
 */
function tupleAt(text: string, from: number, end: number, side: Int32Array): number {
  side.fill(-1);
  let i = from;
  while (i < end) {
    if (text.charCodeAt(i) === 32) {
      i++;
      continue;
    }
    let e = text.indexOf(' ', i);
    if (e < 0 || e > end) e = end;
    const eq = text.indexOf('=', i);
    if (eq < 0 || eq >= e) {
      if (text.charCodeAt(i) === 91 /* [ */) {
        i = e;
        continue;
      }
      break;
    }
    const k = keyAt(text, i, eq);
    if (k === SRC && side[SRC]! >= 0) break;
    if (k === STOP) break;
    if (k >= 0) {
      side[k] = eq + 1;
      side[k + 1] = e;
    }
    i = e;
  }
  if (side[SRC]! < 0 || side[DST]! < 0) return -1;
  return i;
}

const STOP = -2;

/** Which field the key text[i, eq) names: SRC, DST, SPORT, DPORT, ID, STOP (mark, use, zone) or -1. */
function keyAt(text: string, i: number, eq: number): number {
  const n = eq - i;
  if (n === 3) {
    if (text.startsWith('src', i)) return SRC;
    if (text.startsWith('dst', i)) return DST;
    if (text.startsWith('use', i)) return STOP;
  } else if (n === 5) {
    if (text.startsWith('sport', i)) return SPORT;
    if (text.startsWith('dport', i)) return DPORT;
  } else if (n === 2) {
    if (text.startsWith('id', i)) return ID;
  } else if (n === 4) {
    if (text.startsWith('mark', i) || text.startsWith('zone', i)) return STOP;
  }
  return -1;
}

/** Do fields `a` of tuple x and `b` of tuple y hold the same text (both absent counts as the same)? */
function same(text: string, x: Int32Array, a: number, y: Int32Array, b: number): boolean {
  const as = x[a]!;
  const bs = y[b]!;
  if (as < 0 || bs < 0) return as === bs;
  const n = x[a + 1]! - as;
  if (y[b + 1]! - bs !== n) return false;
  for (let k = 0; k < n; k++) if (text.charCodeAt(as + k) !== text.charCodeAt(bs + k)) return false;
  return true;
}

/** A field's text, or undefined when absent. */
function field(text: string, x: Int32Array, a: number): string | undefined {
  return x[a]! < 0 ? undefined : text.slice(x[a]!, x[a + 1]!);
}

/** The translated connections in a `conntrack -L` text, in its order. */
export function translations(conntrackText: string): Translation[] {
  const out: Translation[] = [];
  const orig = new Int32Array(10);
  const reply = new Int32Array(10);
  for (let at = 0; at < conntrackText.length;) {
    let end = conntrackText.indexOf('\n', at);
    if (end < 0) end = conntrackText.length;
    const lineAt = at;
    at = end + 1;
    let start = conntrackText.indexOf('src=', lineAt);
    // The first src= word of the line (at its start or after a blank).
    while (start >= 0 && start < end && start > lineAt && !/\s/.test(conntrackText[start - 1]!)) start = conntrackText.indexOf('src=', start + 1);
    if (start < 0 || start >= end) continue;
    const next = tupleAt(conntrackText, start, end, orig);
    if (next < 0) continue;
    if (tupleAt(conntrackText, next, end, reply) < 0) continue;
    // (reply.dport ?? reply.id) against (orig.sport ?? orig.id).
    const rPort = reply[DPORT]! >= 0 ? DPORT : ID;
    const oPort = orig[SPORT]! >= 0 ? SPORT : ID;
    const snat = !same(conntrackText, reply, DST, orig, SRC) || !same(conntrackText, reply, rPort, orig, oPort);
    const dnat = !same(conntrackText, reply, SRC, orig, DST) || !same(conntrackText, reply, SPORT, orig, DPORT);
    if (!snat && !dnat) continue;
    const line = conntrackText.slice(lineAt, end).trim();
    const proto = line.slice(0, line.search(/\s|$/));
    const t = conntrackText;
    const origText = `${endpoint(field(t, orig, SRC)!, field(t, orig, SPORT))} -> ${endpoint(field(t, orig, DST)!, field(t, orig, DPORT))}`;
    const transText = `${endpoint(field(t, reply, DST)!, field(t, reply, DPORT))} -> ${endpoint(field(t, reply, SRC)!, field(t, reply, SPORT))}`;
    out.push({ proto, original: origText, translated: transText, kind: snat && dnat ? 'SNAT+DNAT' : snat ? 'SNAT' : 'DNAT' });
  }
  return out;
}
