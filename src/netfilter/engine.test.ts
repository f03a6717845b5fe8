import { describe, expect, it } from 'vitest';
import { formatIPv4, prefixMask } from '../packet/addr.js';
import { CompiledTable } from './engine.js';
import { loadRuleset } from './rules/restore.js';
import { Hook, NF_ACCEPT, Skb, type XtParams } from './types.js';

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('address runs compiled to set lookups', () => {
  it('pick the same rule as a linear walk, for random blocklists', () => {
    const rand = rng(42);
    const rules: Array<{ net: number; prefix: number; field: 's' | 'd'; verdict: string }> = [];
    for (let i = 0; i < 200; i++) {
      const prefix = [8, 16, 20, 24, 28, 32][Math.floor(rand() * 6)]!;
      // Few distinct top octets so that networks overlap.
      const addr = ((10 + Math.floor(rand() * 3)) << 24) | Math.floor(rand() * 0x1000000);
      rules.push({ net: (addr & prefixMask(prefix)) >>> 0, prefix, field: i < 120 ? 's' : 'd', verdict: rand() < 0.5 ? 'DROP' : 'ACCEPT' });
    }
    const text = ['*filter', ':INPUT ACCEPT [0:0]']
      .concat(rules.map((r) => `-A INPUT -${r.field} ${formatIPv4(r.net)}/${r.prefix} -j ${r.verdict}`))
      .concat(['COMMIT', ''])
      .join('\n');
    const table = new CompiledTable(loadRuleset(text, 'blocklist.v4').tables.get('filter')!);
    const par: XtParams = { hook: Hook.LocalIn, table: 'filter', inDev: null, outDev: null, hotdrop: false, services: undefined as never };
    const skb = new Skb();
    const ip = new Uint8Array(20);
    ip[0] = 0x45;
    ip[3] = 20;
    let hits = 0;
    for (let n = 0; n < 3000; n++) {
      const pick = rules[Math.floor(rand() * rules.length)]!;
      const near = (pick.net | Math.floor(rand() * 2 ** (32 - pick.prefix))) >>> 0;
      const saddr = rand() < 0.5 ? near : ((10 << 24) | Math.floor(rand() * 0x3000000)) >>> 0;
      const daddr = rand() < 0.5 ? near : ((10 << 24) | Math.floor(rand() * 0x3000000)) >>> 0;
      const dv = new DataView(ip.buffer);
      dv.setUint32(12, saddr);
      dv.setUint32(16, daddr);
      skb.load(ip);
      const v = table.run(skb, par);
      const linear = rules.findIndex((r) => ((r.field === 's' ? saddr : daddr) & prefixMask(r.prefix)) >>> 0 === r.net);
      expect(table.site.rule).toBe(linear + 1);
      if (linear >= 0) {
        hits++;
        expect(v === NF_ACCEPT).toBe(rules[linear]!.verdict === 'ACCEPT');
      }
    }
    expect(hits).toBeGreaterThan(1000);
  });
});
