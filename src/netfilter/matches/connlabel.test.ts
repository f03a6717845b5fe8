/**
 * `-m connlabel`: the rule texts as iptables-restore and iptables-save
 * 1.8.9 gave them back on Debian, which ships no
 * /etc/xtables/connlabel.conf (and, as root, as they do here); the labels
 * an entry carries. The kernel's counters on traffic are in golden
 * connlabel.
 */
import { describe, expect, it } from 'vitest';
import { ipv4, udp } from '../../packet/build.js';
import { Conn } from '../conntrack/conn.js';
import { cofwOutcome, kernelRows, liveUnavailable, type KernelRow } from '../kernel-rows.js';
import { connlabelMatch } from './connlabel.js';
import { params, parseCtx, skbOf, usesOf } from './test-util.js';

const ROWS: readonly KernelRow[] = [
  { rule: '-A INPUT -m connlabel --label 5', save: '-A INPUT -m connlabel --label "5"' },
  { rule: '-A INPUT -m connlabel ! --label 127 --set', save: '-A INPUT -m connlabel ! --label "127" --set' },
  { rule: '-A INPUT -m connlabel --set --label 0', save: '-A INPUT -m connlabel --label "0" --set' },
  { rule: '-A INPUT -m connlabel --label 0x10', save: '-A INPUT -m connlabel --label "16"' },
  { rule: '-A INPUT -m connlabel --label 010', save: '-A INPUT -m connlabel --label "8"' },
  // Stored in 16 bits: 65536 is bit 0, 65537 bit 1.
  { rule: '-A INPUT -m connlabel --label 65537', save: '-A INPUT -m connlabel --label "1"' },
  { rule: '-A INPUT -m connlabel --label 3', save: '-A INPUT -m connlabel --label "3"', family: 6 },
  { rule: '-A INPUT -m connlabel --label 128', save: null, error: 'Numerical result out of range' },
  { rule: '-A INPUT -m connlabel --label 65535', save: null, error: 'Numerical result out of range' },
  { rule: '-A INPUT -m connlabel --label foo', save: null, error: "label 'foo' not found or invalid value" },
  { rule: '-A INPUT -m connlabel --label -1', save: null, error: "label '-1' not found or invalid value" },
  { rule: '-A INPUT -m connlabel --label 2147483648', save: null, error: "label '2147483648' not found" },
  { rule: '-A INPUT -m connlabel --label 5x', save: null, error: "label '5x' not found" },
  { rule: '-A INPUT -m connlabel --set', save: null, error: 'option "--label" must be specified' },
  { rule: '-A INPUT -m connlabel --label 1 --label 2', save: null, error: 'can only be used once' },
  { rule: '-A INPUT -m connlabel --label 1 ! --set', save: null, error: 'cannot be inverted' },
];

describe('-m connlabel: the rule text', () => {
  it.each(ROWS.map((r) => [r.rule, r] as const))('%s', (_, row) => {
    expect(cofwOutcome(row)).toBe(row.save);
  });
  const why = liveUnavailable();
  it.skipIf(why !== '')('the real iptables-restore and iptables-save still answer as recorded', () => {
    expect(kernelRows(ROWS, 'cl')).toEqual(ROWS.map((r) => r.save));
  });
  if (why) it.skip(`live: ${why}`, () => {});
});

describe('-m connlabel on packets', () => {
  const cfg = (text: string) => connlabelMatch.parse(usesOf(connlabelMatch, text), parseCtx());
  const skb = skbOf(ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, udp({ sport: 1, dport: 2 })));
  const par = params();
  const conn = (labels: boolean): Conn => {
    const c = new Conn(17, skb.src.clone(), skb.dst.clone(), 1, 2, skb.dst.clone(), skb.src.clone(), 2, 1);
    if (labels) c.labels = new Uint32Array(4);
    return c;
  };

  it('--set sets the bit and matches; ! --label N --set sets it and never matches', () => {
    skb.ct = conn(true);
    expect(connlabelMatch.match(cfg('--label 100'), skb, par)).toBe(false);
    expect(connlabelMatch.match(cfg('! --label 100 --set'), skb, par)).toBe(false);
    expect(skb.ct.labels![3]).toBe(1 << 4);
    expect(connlabelMatch.match(cfg('--label 100'), skb, par)).toBe(true);
    expect(connlabelMatch.match(cfg('! --label 100'), skb, par)).toBe(false);
    expect(connlabelMatch.match(cfg('--label 5 --set'), skb, par)).toBe(true);
    expect(skb.ct.labels![0]).toBe(1 << 5);
  });

  it('without an entry, or an entry without labels, only the inverted test matches (and --set sets nothing)', () => {
    for (const ct of [null, conn(false)]) {
      skb.ct = ct;
      expect(connlabelMatch.match(cfg('--label 1 --set'), skb, par)).toBe(false);
      expect(connlabelMatch.match(cfg('! --label 1'), skb, par)).toBe(true);
      expect(ct?.labels ?? null).toBeNull();
    }
  });
});
