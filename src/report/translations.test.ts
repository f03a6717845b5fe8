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
