import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { translations } from './translations.js';

describe('translations', () => {
  // The kernel's own `conntrack -L` of the nat-gateway scenario.
  const kernel = readFileSync(join(import.meta.dirname, '../../test/golden/nat-gateway/kernel.conntrack'), 'utf8');
  const all = translations(kernel);

  it('lists each translated connection with what changed', () => {
    expect(all).toContainEqual({
      proto: 'tcp',
      original: '192.0.2.12:40500 -> 198.51.100.1:2222',
      translated: '192.0.2.1:40500 -> 192.0.2.20:22',
      kind: 'SNAT+DNAT',
    });
    expect(all).toContainEqual({ proto: 'icmp', original: '192.0.2.10 -> 203.0.113.9', translated: '198.51.100.1 -> 203.0.113.9', kind: 'SNAT' });
    expect(all).toContainEqual({
      proto: 'udp',
      original: '203.0.113.62:5353 -> 198.51.100.1:5353',
      translated: '203.0.113.62:5353 -> 192.0.2.22:5353',
      kind: 'DNAT',
    });
    expect(all).toContainEqual({
      proto: 'tcp',
      original: '203.0.113.77:51000 -> 198.51.100.1:22',
      translated: '10.99.0.1:51000 -> 198.51.100.1:22',
      kind: 'SNAT',
    });
  });

  it('leaves untranslated connections out', () => {
    const plain =
      'udp      17 29 src=192.0.2.10 dst=203.0.113.5 sport=5000 dport=53 [UNREPLIED] src=203.0.113.5 dst=192.0.2.10 sport=53 dport=5000 mark=0 use=1\n';
    expect(translations(plain)).toEqual([]);
    expect(all.length).toBe(kernel.split('\n').filter((l) => l).length);
  });

  it('brackets IPv6 endpoints with ports', () => {
    const v6 =
      'tcp      6 119 SYN_SENT src=2001:db8:2::10 dst=2001:db8::5 sport=40000 dport=80 [UNREPLIED] src=2001:db8::5 dst=2001:db8:100::1 sport=80 dport=40000 mark=0 use=1\n';
    expect(translations(v6)[0]!.translated).toBe('[2001:db8:100::1]:40000 -> [2001:db8::5]:80');
  });
});

/** The reading translations() does, written plainly with strings: the reference its index-based reading must agree with. */
function plainTranslations(text: string): ReturnType<typeof translations> {
  const out: ReturnType<typeof translations> = [];
  for (const raw of text.split('\n')) {
    const words = raw.split(' ');
    const first = words.findIndex((w) => w.startsWith('src='));
    if (first < 0) continue;
    const sides: Record<string, string>[] = [];
    let side: Record<string, string> = {};
    for (let i = first; i < words.length && sides.length < 2; i++) {
      const w = words[i]!;
      if (w === '') continue;
      const eq = w.indexOf('=');
      if (eq < 0) {
        if (w.startsWith('[')) continue;
        break;
      }
      const k = w.slice(0, eq);
      if (k === 'mark' || k === 'use' || k === 'zone') break;
      if (k === 'src' && side.src !== undefined) {
        sides.push(side);
        side = {};
      }
      if (['src', 'dst', 'sport', 'dport', 'id'].includes(k)) side[k] = w.slice(eq + 1);
    }
    if (sides.length < 2) sides.push(side);
    const [o, r] = sides;
    if (!o?.src || !o.dst || !r?.src || !r.dst) continue;
    const snat = r.dst !== o.src || (r.dport ?? r.id) !== (o.sport ?? o.id);
    const dnat = r.src !== o.dst || r.sport !== o.dport;
    if (!snat && !dnat) continue;
    const ep = (a: string, p?: string): string => (p === undefined ? a : a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`);
    out.push({
      proto: raw.trim().split(/\s/)[0]!,
      original: `${ep(o.src, o.sport)} -> ${ep(o.dst, o.dport)}`,
      translated: `${ep(r.dst, r.dport)} -> ${ep(r.src, r.sport)}`,
      kind: snat && dnat ? 'SNAT+DNAT' : snat ? 'SNAT' : 'DNAT',
    });
  }
  return out;
}

describe('translations against a plain reading', () => {
  it('agrees on random lines of every shape', () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const addrs = ['192.0.2.1', '192.0.2.10', '198.51.100.1', '2001:db8::1', '::1', '10.0.0.1'];
    const ports = ['22', '2222', '53', '40000', '0'];
    const tuple = (): string => {
      const a = [`src=${addrs[rnd(addrs.length)]}`, `dst=${addrs[rnd(addrs.length)]}`];
      const k = rnd(4);
      if (k === 0) a.push(`sport=${ports[rnd(ports.length)]}`, `dport=${ports[rnd(ports.length)]}`);
      else if (k === 1) a.push(`type=8 code=0 id=${ports[rnd(ports.length)]}`);
      else if (k === 2) a.push(`srckey=0x0 dstkey=0x${rnd(16).toString(16)}`);
      return a.join(' ');
    };
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const o = tuple();
      let r = tuple();
      // Mostly the mirror of the original, as without NAT.
      if (rnd(3) > 0) r = o.replace(/src=(\S+) dst=(\S+)/, 'src=$2 dst=$1').replace(/sport=(\S+) dport=(\S+)/, 'sport=$2 dport=$1');
      const extra = ['', ' zone-orig=3', ' [UNREPLIED]'][rnd(3)];
      lines.push(
        `${['tcp     ', 'udp     ', 'icmp    ', 'gre     '][rnd(4)]} 6 ${rnd(500)} ${o}${extra} ${r}${rnd(2) ? ' [ASSURED]' : ''} mark=${rnd(3)}${rnd(2) ? ' zone=5' : ''} use=1`,
      );
    }
    lines.push('', 'garbage', 'tcp 6 1 xsrc=1 src=1.2.3.4', 'tcp 6 1 src=1.2.3.4 dst=5.6.7.8 src=9.9.9.9');
    const text = `${lines.join('\n')}\n`;
    const want = plainTranslations(text);
    expect(want.length).toBeGreaterThan(500);
    expect(translations(text)).toEqual(want);
  });
});
