/**
 * Compares the tracker with the kernel's own table recorded by
 * ../shared/kernel-oracle (fixtures/NAME/kernel.conntrack). The filter
 * rules of the scenario are applied by hand here (the stack is not involved),
 * so that only what conntrack decides is compared.
 *
 * Re-record: RECORD=1 npx vitest run src/netfilter/conntrack/oracle.test.ts
 * (writes each scenario's rules.v4 and capture.pcap), then as root, for NAME
 * in mixed and edges (d=src/netfilter/conntrack/fixtures/NAME):
 *   ../shared/kernel-oracle/run-kernel.sh $d/rules.v4 $d/capture.pcap $d
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writePcapFile } from '../../capture/pcap-write.js';
import { Hook, NF_ACCEPT, Skb } from '../types.js';
import { CT_INVALID, Conntrack, IP_CT_IS_REPLY, IP_CT_RELATED, resetCt } from './index.js';
import { RULES, mixedFrames, type Frame } from './fixtures/mixed.js';
import { edgesFrames } from './fixtures/edges.js';
import { REJECT_RULES, rejectFrames } from './fixtures/reject.js';
import { pcapHeader, pcapRecord } from '../../capture/pcap-write.js';

// The recordings live with the golden scenarios (test/golden/ct-NAME); the generators stay here.
const golden = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'golden');
const fixtures = { mixed: join(golden, 'ct-mixed'), edges: join(golden, 'ct-edges'), reject: join(golden, 'ct-reject') };
const SCENARIOS: Array<[string, () => Frame[]]> = [
  ['mixed', mixedFrames],
  ['edges', edgesFrames],
];
const LOCAL = new Set([0xc6336401 /* 198.51.100.1 */, 0xc0000201 /* 192.0.2.1 */]);

/** ESTABLISHED or RELATED, as `--ctstate RELATED,ESTABLISHED` sees it. */
function estRel(skb: Skb): boolean {
  return skb.ct !== null && (skb.ctinfo % IP_CT_IS_REPLY === 0 || skb.ctinfo % IP_CT_IS_REPLY === IP_CT_RELATED);
}

/** Replays the scenario; returns the tracker and the virtual time of the last packet. */
export function replay(frames: Frame[]): { ct: Conntrack; lastNs: number; verdicts: boolean[] } {
  const ct = new Conntrack();
  const skb = new Skb();
  const t0 = frames[0]!.tsNs;
  const verdicts: boolean[] = [];
  for (const f of frames) {
    const now = Number(f.tsNs - t0);
    resetCt(skb);
    skb.load(f.data.slice(14));
    const local = LOCAL.has(skb.saddr);
    const v = ct.in(skb, local ? Hook.LocalOut : Hook.PreRouting, now);
    expect(v).toBe(NF_ACCEPT);
    let accept: boolean;
    if (local) accept = true;
    else if (LOCAL.has(skb.daddr)) {
      // INPUT: RELATED,ESTABLISHED accept; INVALID drop; tcp dport 22 accept; policy DROP.
      if (estRel(skb)) accept = true;
      else if (skb.ct === null && skb.ctState === CT_INVALID) accept = false;
      else accept = skb.protocol === 6 && ((skb.data[skb.thoff + 2]! << 8) | skb.data[skb.thoff + 3]!) === 22;
    } else {
      // FORWARD: RELATED,ESTABLISHED accept; INVALID drop; -i eth1 accept; policy DROP.
      const fromHost = skb.saddr >>> 8 === 0xc00002;
      if (estRel(skb)) accept = true;
      else if (skb.ct === null) accept = false;
      else accept = fromHost;
    }
    verdicts.push(accept);
    if (accept) ct.confirm(skb, now);
  }
  return { ct, lastNs: Number(frames[frames.length - 1]!.tsNs - t0), verdicts };
}

describe('conntrack against the kernel', () => {
  for (const [name, frames] of SCENARIOS) {
    const dir = fixtures[name as keyof typeof fixtures];
    if (process.env.RECORD) {
      it(`records ${name}`, () => {
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'rules.v4'), RULES);
        writePcapFile(join(dir, 'capture.pcap'), frames());
      });
    }
    it(`${name}: lists what the kernel lists, a fraction of a second after the last packet`, () => {
      const file = join(dir, 'kernel.conntrack');
      expect(existsSync(file)).toBe(true);
      const { ct, lastNs } = replay(frames());
      expect(ct.list(lastNs + 400_000_000)).toBe(readFileSync(file, 'utf8'));
    });
  }
});

describe('the reject fixture', () => {
  it('is what its generator writes', () => {
    const dir = fixtures.reject;
    expect(readFileSync(join(dir, 'rules.v4'), 'utf8')).toBe(REJECT_RULES);
    const parts = [pcapHeader(), ...rejectFrames().map((f) => pcapRecord(f.tsNs, f.data))];
    const bytes = Buffer.concat(parts.map((p) => Buffer.from(p)));
    expect(readFileSync(join(dir, 'capture.pcap')).equals(bytes)).toBe(true);
    expect(readFileSync(join(dir, 'kernel.conntrack'), 'utf8')).toBe('');
  });
});
