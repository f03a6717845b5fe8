/**
 * CLASSIFY, AUDIT and IDLETIMER: the rule texts as iptables-restore and
 * iptables-save 1.8.9 gave them back (and, as root, as they do here), the
 * kernel's refusals, and that each lets the packet go on.
 */
import { describe, expect, it } from 'vitest';
import { ipv4, udp } from '../../packet/build.js';
import { XT_CONTINUE } from '../types.js';
import { cofwOutcome, kernelRows, liveUnavailable, type KernelRow } from '../kernel-rows.js';
import { params, parseCtx, skbOf, usesOf } from '../matches/test-util.js';
import { auditTarget } from './audit.js';
import { classifyTarget } from './classify.js';
import { idletimerTarget } from './idletimer.js';

const M = 'mangle';
const ROWS: readonly KernelRow[] = [
  { rule: '-A POSTROUTING -j CLASSIFY --set-class 1:10', save: '-A POSTROUTING -j CLASSIFY --set-class 0001:0010', table: M },
  { rule: '-A POSTROUTING -j CLASSIFY --set-class ffff:ffff', save: '-A POSTROUTING -j CLASSIFY --set-class ffff:ffff', table: M },
  { rule: '-A FORWARD -j CLASSIFY --set-class 0:0', save: '-A FORWARD -j CLASSIFY --set-class 0000:0000', table: M },
  { rule: '-A OUTPUT -j CLASSIFY --set-class 0x1:0x10', save: '-A OUTPUT -j CLASSIFY --set-class 0001:0010', table: M },
  { rule: '-A OUTPUT -j CLASSIFY --set-class 12345:1abcde', save: '-A OUTPUT -j CLASSIFY --set-class 2345:bcde', table: M },
  { rule: '-A OUTPUT -j CLASSIFY --set-class 1:2zz', save: '-A OUTPUT -j CLASSIFY --set-class 0001:0002', table: M },
  { rule: '-A OUTPUT -j CLASSIFY --set-class 3:4', save: '-A OUTPUT -j CLASSIFY --set-class 0003:0004', table: M, family: 6 },
  // Recorded from iptables 1.8.9: glibc's %x takes a 0x with no digit as 0 and saturates past 64 bits.
  { rule: '-A FORWARD -j CLASSIFY --set-class 0x:1', save: '-A FORWARD -j CLASSIFY --set-class 0000:0001', table: M },
  { rule: '-A FORWARD -j CLASSIFY --set-class 11111111111111111:1', save: '-A FORWARD -j CLASSIFY --set-class ffff:0001', table: M },
  { rule: '-A FORWARD -j CLASSIFY --set-class 123456789:1', save: '-A FORWARD -j CLASSIFY --set-class 6789:0001', table: M },
  { rule: '-A FORWARD -j CLASSIFY --set-class 1:0x', save: '-A FORWARD -j CLASSIFY --set-class 0001:0000', table: M },
  { rule: '-A FORWARD -j CLASSIFY --set-class -1:2', save: '-A FORWARD -j CLASSIFY --set-class ffff:0002', table: M },
  { rule: '-A OUTPUT -j CLASSIFY --set-class 1', save: null, error: 'Bad class value "1"', table: M },
  { rule: '-A OUTPUT -j CLASSIFY --set-class x:1', save: null, error: 'Bad class value', table: M },
  { rule: '-A OUTPUT -j CLASSIFY', save: null, error: 'must be specified', table: M },
  { rule: '-A INPUT -j CLASSIFY --set-class 1:1', save: null, error: 'only valid in the mangle table' },
  { rule: '-A PREROUTING -j CLASSIFY --set-class 1:1', save: null, error: 'PREROUTING', table: M },
  { rule: '-A INPUT -j CLASSIFY --set-class 1:1', save: null, error: 'INPUT', table: M },
  { rule: '-A INPUT -j AUDIT --type drop', save: '-A INPUT -j AUDIT --type drop' },
  { rule: '-A INPUT -j AUDIT --type ACCEPT', save: '-A INPUT -j AUDIT --type accept' },
  { rule: '-A OUTPUT -j AUDIT --type Reject', save: '-A OUTPUT -j AUDIT --type reject', family: 6 },
  { rule: '-A PREROUTING -j AUDIT --type accept', save: '-A PREROUTING -j AUDIT --type accept', table: 'raw' },
  { rule: '-A INPUT -j AUDIT', save: null, error: 'option "--type" must be specified' },
  { rule: '-A INPUT -j AUDIT --type foo', save: null, error: 'Bad action type value "foo"' },
  { rule: '-A INPUT -j IDLETIMER --timeout 10 --label foo', save: '-A INPUT -j IDLETIMER --timeout 10 --label foo' },
  { rule: '-A INPUT -j IDLETIMER --label foo2 --alarm --timeout 10', save: '-A INPUT -j IDLETIMER --timeout 10 --label foo2 --alarm' },
  { rule: '-A INPUT -j IDLETIMER --timeout 2147482 --label big', save: '-A INPUT -j IDLETIMER --timeout 2147482 --label big' },
  {
    rule: '-A INPUT -j IDLETIMER --timeout 10 --label 0123456789012345678901234567890',
    save: '-A INPUT -j IDLETIMER --timeout 10 --label 012345678901234567890123456',
  },
  { rule: '-A INPUT -j IDLETIMER --timeout 10 --label -x', save: '-A INPUT -j IDLETIMER --timeout 10 --label -x' },
  {
    rule: '-A INPUT -j IDLETIMER --timeout 5 --label same',
    before: ['-A INPUT -j IDLETIMER --timeout 7 --label same'],
    save: '-A INPUT -j IDLETIMER --timeout 5 --label same',
  },
  { rule: '-A INPUT -j IDLETIMER --timeout 5 --label v6', save: '-A INPUT -j IDLETIMER --timeout 5 --label v6', family: 6 },
  {
    rule: '-A INPUT -j IDLETIMER --timeout 5 --label same2 --alarm',
    before: ['-A INPUT -j IDLETIMER --timeout 5 --label same2'],
    save: null,
    error: 'other type',
  },
  { rule: '-A INPUT -j IDLETIMER --timeout 0 --label foo', save: null, error: 'zero or too big' },
  { rule: '-A INPUT -j IDLETIMER --timeout 2147483 --label foo', save: null, error: 'zero or too big' },
  { rule: '-A INPUT -j IDLETIMER --timeout 4294967296 --label foo', save: null, error: 'out of range (0-4294967295)' },
  { rule: '-A INPUT -j IDLETIMER --timeout 10 --label a/b', save: null, error: 'cannot name a sysfs file' },
  { rule: '-A INPUT -j IDLETIMER --timeout 10 --label ..', save: null, error: 'cannot name a sysfs file' },
  { rule: '-A INPUT -j IDLETIMER --timeout 10 --label power', save: null, error: 'already has' },
  { rule: '-A INPUT -j IDLETIMER --timeout 10 --label uevent', save: null, error: 'already has' },
  { rule: '-A INPUT -j IDLETIMER --timeout 10', save: null, error: 'option "--label" must be specified' },
  { rule: '-A INPUT -j IDLETIMER --label x', save: null, error: 'option "--timeout" must be specified' },
];

describe('CLASSIFY, AUDIT and IDLETIMER: the rule text', () => {
  it.each(ROWS.map((r) => [`${r.table ?? 'filter'} ${r.rule}`, r] as const))('%s', (_, row) => {
    expect(cofwOutcome(row)).toBe(row.save);
  });
  const why = liveUnavailable();
  it.skipIf(why !== '')('the real iptables-restore and iptables-save still answer as recorded', () => {
    expect(kernelRows(ROWS, 'tg')).toEqual(ROWS.map((r) => r.save));
  });
  if (why) it.skip(`live: ${why}`, () => {});
});

describe('CLASSIFY, AUDIT and IDLETIMER on packets', () => {
  it('each lets the packet go on, unchanged', () => {
    const ip = ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, udp({ sport: 1, dport: 2, payload: new Uint8Array(8) }));
    const skb = skbOf(ip.slice());
    for (const [t, text] of [
      [classifyTarget, '--set-class 1:10'],
      [auditTarget, '--type drop'],
      [idletimerTarget, '--timeout 10 --label t'],
    ] as const) {
      const c = (t.parse as (u: unknown, ctx: unknown) => unknown)(usesOf(t, text), parseCtx());
      expect((t.target as (c: unknown, s: unknown, p: unknown) => number)(c, skb, params())).toBe(XT_CONTINUE);
    }
    expect(skb.data).toEqual(ip);
    // CLASSIFY's class is the packet's priority from then on (its bytes unchanged).
    expect(skb.priority).toBe(0x10010);
  });
});
