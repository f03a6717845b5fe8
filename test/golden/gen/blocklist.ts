/**
 * blocklist: about 300 address rules (-s and -d, DROP and ACCEPT) in INPUT
 * and FORWARD, with nested and overlapping networks in both orders, so that
 * "first match wins" decides: a narrow exception before a wide block, a wide
 * block shadowing a later narrow rule, masks written as dotted quads or with
 * host bits set.
 */
import { ipv4, tcp, udp } from '../../../src/packet/build.js';
import { formatIPv4, prefixMask } from '../../../src/packet/addr.js';
import { Capture, between, pick, seeded, type Scenario } from './capture.js';

interface Net {
  net: number;
  prefix: number;
}

export function build(): Scenario {
  const c = new Capture();
  const r = seeded(404);
  const tops = [5, 31, 45, 91, 185, 193];
  const input: string[] = [];
  const forward: string[] = [];
  const inputNets: Net[] = [];
  const forwardNets: Net[] = [];
  const mask = (p: number) => prefixMask(p) >>> 0;
  const text = (n: Net, i: number): string => {
    // Every seventh as a dotted mask, every eleventh with host bits set.
    if (i % 7 === 3) return `${formatIPv4(n.net)}/${formatIPv4(mask(n.prefix))}`;
    if (i % 11 === 5 && n.prefix < 32) return `${formatIPv4((n.net | 1) >>> 0)}/${n.prefix}`;
    return n.prefix === 32 ? formatIPv4(n.net) : `${formatIPv4(n.net)}/${n.prefix}`;
  };
  let i = 0;
  // Families of nested networks: a /16, a /20 and a /24 inside it, and a /32 inside that.
  while (input.length + forward.length < 296) {
    const base = (((pick(r, tops) << 24) | (between(r, 0, 255) << 16)) >>> 0) as number;
    const n16: Net = { net: base, prefix: 16 };
    const n20: Net = { net: (base | (between(r, 0, 15) << 12)) >>> 0, prefix: 20 };
    const n24: Net = { net: (n20.net | (between(r, 0, 15) << 8)) >>> 0, prefix: 24 };
    const n32: Net = { net: (n24.net | between(r, 1, 254)) >>> 0, prefix: 32 };
    const family = [n32, n24, n20, n16].filter(() => r() < 0.8);
    // Usually narrowest first (exceptions work); sometimes widest first (later rules shadowed).
    if (r() < 0.25) family.reverse();
    const toForward = input.length >= 170;
    for (const n of family) {
      const verdict = n.prefix === 32 || n.prefix === 20 ? (r() < 0.7 ? 'ACCEPT' : 'DROP') : r() < 0.8 ? 'DROP' : 'ACCEPT';
      if (!toForward) {
        input.push(`-A INPUT -s ${text(n, i)} -j ${verdict}`);
        inputNets.push(n);
      } else {
        const field = i % 3 === 0 ? '-d' : '-s';
        forward.push(`-A FORWARD ${field} ${text(n, i)} -j ${verdict}`);
        forwardNets.push({ ...n, prefix: field === '-d' ? -n.prefix : n.prefix });
      }
      i++;
    }
  }
  const rules = `# cofw golden: blocklist (${input.length + forward.length} address rules, nested networks, first match wins)
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${input.join('\n')}
-A INPUT -p tcp -j DROP
${forward.join('\n')}
-A FORWARD -i eth0 -j DROP
COMMIT
`;
  const inside = (n: Net): number => {
    const p = Math.abs(n.prefix);
    return p === 32 ? n.net : (n.net | between(r, 1, 2 ** (32 - p) - 2)) >>> 0;
  };
  const outsider = () => ((between(r, 60, 80) << 24) | between(r, 0, 0xffffff)) >>> 0;
  // Each network in turn, so that every rule that can match is reached, and
  // now and then an address no rule covers.
  let nextIn = 0;
  let nextFwd = 0;
  for (let k = 0; k < 400; k++) {
    const stray = k % 20 >= 18;
    if (k % 2 === 0) {
      const n = inputNets[nextIn++ % inputNets.length]!;
      const src = formatIPv4(stray ? outsider() : inside(n));
      c.wire(ipv4({ src, dst: pick(r, ['198.51.100.1', '192.0.2.1']), id: k }, tcp({ sport: between(r, 1024, 65535), dport: pick(r, [22, 443]), flags: 'S' })));
    } else {
      const n = forwardNets[nextFwd++ % forwardNets.length]!;
      const addr = formatIPv4(stray ? outsider() : inside(n));
      if (n.prefix < 0) c.host(ipv4({ src: `192.0.2.${between(r, 2, 254)}`, dst: addr, id: k }, udp({ sport: between(r, 1024, 65535), dport: 53 })));
      else c.wire(ipv4({ src: addr, dst: `192.0.2.${between(r, 2, 254)}`, id: k }, tcp({ sport: between(r, 1024, 65535), dport: 443, flags: 'S' })));
    }
  }
  return { rules, capture: c };
}
