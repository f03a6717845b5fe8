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

describe('port runs compiled to lookups', () => {
  it('decide as the plain path does (rule, verdict, counters), for random runs of tcp and udp ports and ranges among other rules', () => {
    const rand = rng(7);
    const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':ports - [0:0]', '-A INPUT -j ports', '-A INPUT -p tcp --dport 5 -j DROP'];
    const port = (): number => (rand() < 0.7 ? Math.floor(rand() * 64) : Math.floor(rand() * 65536));
    for (let i = 0; i < 400; i++) {
      const proto = rand() < 0.6 ? 'tcp' : 'udp';
      const a = port();
      const spec = rand() < 0.25 ? `${a}:${Math.min(65535, a + Math.floor(rand() * 40))}` : String(a);
      const verdict = ['ACCEPT', 'DROP', 'RETURN'][Math.floor(rand() * 3)]!;
      // Now and then a rule that is not a plain port test cuts the run.
      const cut = rand();
      if (cut < 0.03) lines.push(`-A ports -p tcp --sport ${port()} --dport ${spec} -j ${verdict}`);
      else if (cut < 0.05) lines.push(`-A ports -s 10.0.0.0/8 -p ${proto} --dport ${spec} -j ${verdict}`);
      else if (cut < 0.07) lines.push(`-A ports -p tcp ! --dport ${spec} -j ${verdict}`);
      else lines.push(`-A ports -p ${proto} -m ${proto} --dport ${spec} -j ${verdict}`);
    }
    lines.push('COMMIT', '');
    const text = lines.join('\n');
    const load = () => loadRuleset(text, 'ports.v4').tables.get('filter')!;
    const plainTable = load();
    const fastTable = load();
    const plain = new CompiledTable(plainTable, undefined, { runs: false });
    const fast = new CompiledTable(fastTable);
    const par: XtParams = { hook: Hook.LocalIn, table: 'filter', inDev: null, outDev: null, hotdrop: false, services: undefined as never };
    const skb = new Skb();
    let matched = 0;
    for (let n = 0; n < 4000; n++) {
      const proto = [6, 17, 1, 6, 17][Math.floor(rand() * 5)]!;
      // Some packets too short for their ports.
      const l4 = rand() < 0.05 ? 2 : proto === 6 ? 20 : 8;
      const ip = new Uint8Array(20 + l4);
      ip[0] = 0x45;
      ip[3] = ip.length;
      ip[9] = proto;
      const dv = new DataView(ip.buffer);
      dv.setUint32(12, ((rand() < 0.5 ? 10 : 11) << 24) | 5);
      dv.setUint32(16, 0xc0000201);
      if (l4 >= 4) {
        dv.setUint16(20, port());
        dv.setUint16(22, port());
      }
      skb.load(ip);
      const v1 = plain.run(skb, par);
      const site1 = { ...plain.site };
      skb.load(ip);
      const v2 = fast.run(skb, par);
      expect(v2).toBe(v1);
      expect(fast.site).toEqual(site1);
      if (site1.chain === 'ports') matched++;
    }
    expect(matched).toBeGreaterThan(500);
    const counters = (t: ReturnType<typeof load>) =>
      [...t.chains.values()].flatMap((c) => [c.packets, c.bytes, ...c.rules.flatMap((r) => [r.packets, r.bytes])]);
    expect(counters(fastTable)).toEqual(counters(plainTable));
  });
});
