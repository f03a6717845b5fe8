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

interface Side {
  src: string;
  dst: string;
  sport?: string;
  dport?: string;
  id?: string;
}

function endpoint(addr: string, port: string | undefined): string {
  if (port === undefined) return addr;
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** Parses the key=value fields of one tuple of `line` starting at `from`; returns it and where the next tuple starts. */
function tupleAt(line: string, from: number, end: number): [Side, number] | undefined {
  const side: Partial<Side> = {};
  let i = from;
  while (i < end) {
    if (line.charCodeAt(i) === 32) {
      i++;
      continue;
    }
    let e = line.indexOf(' ', i);
    if (e < 0 || e > end) e = end;
    const eq = line.indexOf('=', i);
    if (eq < 0 || eq >= e) {
      if (line.charCodeAt(i) === 91 /* [ */) {
        i = e;
        continue;
      }
      break;
    }
    const k = line.slice(i, eq);
    if (k === 'src' && side.src !== undefined) break;
    if (k === 'mark' || k === 'use' || k === 'zone') break;
    const v = line.slice(eq + 1, e);
    if (k === 'src') side.src = v;
    else if (k === 'dst') side.dst = v;
    else if (k === 'sport') side.sport = v;
    else if (k === 'dport') side.dport = v;
    else if (k === 'id') side.id = v;
    i = e;
  }
  if (side.src === undefined || side.dst === undefined) return undefined;
  return [side as Side, i];
}

/** The translated connections in a `conntrack -L` text, in its order. */
export function translations(conntrackText: string): Translation[] {
  const out: Translation[] = [];
  for (let at = 0; at < conntrackText.length;) {
    let end = conntrackText.indexOf('\n', at);
    if (end < 0) end = conntrackText.length;
    const lineAt = at;
    at = end + 1;
    let start = conntrackText.indexOf('src=', lineAt);
    // The first src= word of the line (at its start or after a blank).
    while (start >= 0 && start < end && start > lineAt && !/\s/.test(conntrackText[start - 1]!)) start = conntrackText.indexOf('src=', start + 1);
    if (start < 0 || start >= end) continue;
    const first = tupleAt(conntrackText, start, end);
    if (!first) continue;
    const [orig, next] = first;
    const second = tupleAt(conntrackText, next, end);
    if (!second) continue;
    const [reply] = second;
    const snat = reply.dst !== orig.src || (reply.dport ?? reply.id) !== (orig.sport ?? orig.id);
    const dnat = reply.src !== orig.dst || reply.sport !== orig.dport;
    if (!snat && !dnat) continue;
    const line = conntrackText.slice(lineAt, end).trim();
    const proto = line.slice(0, line.search(/\s|$/));
    const origText = `${endpoint(orig.src, orig.sport)} -> ${endpoint(orig.dst, orig.dport)}`;
    const transText = `${endpoint(reply.dst, reply.dport)} -> ${endpoint(reply.src, reply.sport)}`;
    out.push({ proto, original: origText, translated: transText, kind: snat && dnat ? 'SNAT+DNAT' : snat ? 'SNAT' : 'DNAT' });
  }
  return out;
}
