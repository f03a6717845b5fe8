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

/** Parses the key=value fields of one tuple starting at `from`; returns it and where the next tuple starts. */
function tupleAt(words: string[], from: number): [Side, number] | undefined {
  const side: Partial<Side> = {};
  let i = from;
  for (; i < words.length; i++) {
    const w = words[i]!;
    const eq = w.indexOf('=');
    if (eq < 0) {
      if (w.startsWith('[')) continue;
      break;
    }
    const k = w.slice(0, eq);
    const v = w.slice(eq + 1);
    if (k === 'src' && side.src !== undefined) break;
    if (k === 'src') side.src = v;
    else if (k === 'dst') side.dst = v;
    else if (k === 'sport') side.sport = v;
    else if (k === 'dport') side.dport = v;
    else if (k === 'id') side.id = v;
    else if (k === 'mark' || k === 'use' || k === 'zone') break;
  }
  if (side.src === undefined || side.dst === undefined) return undefined;
  return [side as Side, i];
}

/** The translated connections in a `conntrack -L` text, in its order. */
export function translations(conntrackText: string): Translation[] {
  const out: Translation[] = [];
  for (const line of conntrackText.split('\n')) {
    const words = line.split(/\s+/).filter((w) => w);
    const start = words.findIndex((w) => w.startsWith('src='));
    if (start < 0) continue;
    const first = tupleAt(words, start);
    if (!first) continue;
    const [orig, next] = first;
    const second = tupleAt(words, next);
    if (!second) continue;
    const [reply] = second;
    const snat = reply.dst !== orig.src || (reply.dport ?? reply.id) !== (orig.sport ?? orig.id);
    const dnat = reply.src !== orig.dst || reply.sport !== orig.dport;
    if (!snat && !dnat) continue;
    const proto = words[0]!;
    const origText = `${endpoint(orig.src, orig.sport)} -> ${endpoint(orig.dst, orig.dport)}`;
    const transText = `${endpoint(reply.dst, reply.dport)} -> ${endpoint(reply.src, reply.sport)}`;
    out.push({ proto, original: origText, translated: transText, kind: snat && dnat ? 'SNAT+DNAT' : snat ? 'SNAT' : 'DNAT' });
  }
  return out;
}
