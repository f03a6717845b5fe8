import { describe, expect, it } from 'vitest';
import { loadRuleset } from '../netfilter/rules/restore.js';
import type { ReplayResult } from '../replay.js';
import { esc, htmlReport, MAX_BARS, MAX_SAMPLED_CAUSES } from './html.js';

const ctx = { captures: ['<cap>.pcap'], rulesFile: 'r"ules.v4', machine: "m'<x>", top: 10 };

/** A result with `causes` dropping rules of one chain, each with a sample of two frames. */
function result(causes: number, rules: string): ReplayResult {
  const ruleset = loadRuleset(rules, 'r.v4');
  const sites = Array.from({ length: causes }, (_, i) => ({ table: 'filter', chain: 'INPUT', rule: i + 1, count: causes - i, bytes: 40 * (causes - i) }));
  return {
    complete: true,
    ruleset,
    save: '',
    fates: {
      forwarded: 0,
      delivered: 0,
      sent: 0,
      droppedByRule: sites.reduce((s, x) => s + x.count, 0),
      droppedByPolicy: 0,
      droppedByStack: 0,
      generated: 0,
      generatedDropped: 0,
      bridged: 0,
      failPolicy: 0,
      outbound: 0,
      copies: 0,
    },
    drops: { sites, reasons: [] },
    flows: [],
    flowsForgotten: 0,
    generated: 0,
    framesIn: sites.reduce((s, x) => s + x.count, 0),
    console: [],
    stats: { switches: 0, messagesToGuest: 0, messagesToHost: 0, bytesThroughPage: 0 },
    damage: [],
    details: {
      timeline: { start: 1_767_225_600, width: 1, accepted: [0], dropped: [1] },
      sources: [{ addr: '<script>', count: 1 }],
      ports: [],
      forgotten: 0,
      samples: sites.map((s) => ({
        cause: `filter:INPUT:${s.rule}`,
        count: s.count,
        frames: [
          { frame: 1, time: 1_767_225_600.5, flow: 'tcp 192.0.2.1:1 -> 198.51.100.1:22', length: 40 },
          { frame: 2, time: 1_767_225_601, flow: 'tcp 192.0.2.1:2 -> 198.51.100.1:22', length: 40 },
        ],
      })),
      sampleSize: 100,
    },
  };
}

describe('htmlReport', () => {
  it('escapes what comes from the inputs: file names, chain and interface names, comments', () => {
    const rules =
      '*filter\n:INPUT ACCEPT [0:0]\n:<b>x - [0:0]\n-A INPUT -i "e<t>h" -m comment --comment "</table><script>alert(1)</script>" -j DROP\n-A INPUT -j <b>x\nCOMMIT\n';
    const html = htmlReport(result(1, rules), ctx);
    expect(html).not.toMatch(/<script|<b>|<t>|<cap>/);
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).toContain('Chain &#60;b&#62;x (1 references)');
    expect(html).toContain('r&#34;ules.v4');
    expect(html).toContain(`default-src 'none'`);
  });

  it('stays bounded for a big replay: at most MAX_BARS bars and MAX_SAMPLED_CAUSES samples', () => {
    const n = MAX_SAMPLED_CAUSES + 50;
    const rules = `*filter\n:INPUT ACCEPT [0:0]\n${Array.from({ length: n }, (_, i) => `-A INPUT -s 10.0.${i >> 8}.${i & 255}/32 -j DROP\n`).join('')}COMMIT\n`;
    const html = htmlReport(result(n, rules), ctx);
    expect(html.match(/<g class="bar"/g)).toHaveLength(MAX_BARS + 1);
    expect(html).toContain(`${n - MAX_BARS} more causes`);
    expect(html.match(/<table class="sample">/g)).toHaveLength(MAX_SAMPLED_CAUSES);
    expect(html).toContain(`for the ${MAX_SAMPLED_CAUSES} causes that dropped most (of ${n})`);
    // Every rule is listed, the most-dropping ones linked to their samples, the others not.
    expect(html.match(/<tr class="rule/g)).toHaveLength(n);
    expect(html).toContain('href="#s-filter-INPUT-1"');
    expect(html).not.toContain(`href="#s-filter-INPUT-${n}"`);
  });

  it('esc escapes the five characters HTML gives meaning to', () => {
    expect(esc(`<a href="x" title='y'>&</a>`)).toBe('&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;&#60;/a&#62;');
  });
});
