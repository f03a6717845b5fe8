/**
 * NFQUEUE: rule text -> iptables-save text and refusals, read from Debian's
 * iptables 1.8.9 (nf_tables) on Linux 6.18 in a network namespace, and what
 * becomes of a packet with nothing listening on its queue (recorded from
 * the kernel: test/golden/queue-policy, compared by test/golden.test.ts)
 * or with the machine file's verdict for it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Family } from '../../packet/inet-addr.js';
import { ipv4, ipv6, udp } from '../../packet/build.js';
import { parseMachineFile } from '../../machine/machine-file.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';
import { queueVerdicts } from '../sockets.js';
import { Hook, NF_ACCEPT, NF_DROP, Skb } from '../types.js';
import { MACHINE, RULES, RULES6 } from './fixtures/queue-policy/build.js';
import { nfqueueQueue, nfqueueTarget } from './nfqueue.js';
import { ETH0, params, parseCtx, recorder, skbOf, usesOf } from './test-services.js';

const golden = join(import.meta.dirname, '..', '..', '..', 'test', 'golden', 'queue-policy');

function saved(rule: string, family = Family.V4): string {
  const rs = loadRuleset(`*filter\n:INPUT ACCEPT [0:0]\n${rule}\nCOMMIT\n`, 'nfqueue.rules', { family });
  return saveRuleset(rs)
    .split('\n')
    .find((l) => l.startsWith('-A'))!;
}

function refusal(rule: string): string {
  try {
    saved(rule);
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
}

const ROWS: Array<[string, string]> = [
  ['-A INPUT -j NFQUEUE', '-A INPUT -j NFQUEUE --queue-num 0'],
  ['-A INPUT -j NFQUEUE --queue-num 3', '-A INPUT -j NFQUEUE --queue-num 3'],
  ['-A INPUT -j NFQUEUE --queue-num 3 --queue-bypass', '-A INPUT -j NFQUEUE --queue-num 3 --queue-bypass'],
  ['-A INPUT -j NFQUEUE --queue-balance 0:3', '-A INPUT -j NFQUEUE --queue-balance 0:3'],
  ['-A INPUT -j NFQUEUE --queue-balance 0:3 --queue-bypass --queue-cpu-fanout', '-A INPUT -j NFQUEUE --queue-balance 0:3 --queue-bypass --queue-cpu-fanout'],
  ['-A INPUT -j NFQUEUE --queue-num 65535', '-A INPUT -j NFQUEUE --queue-num 65535'],
  ['-A INPUT -j NFQUEUE --queue-balance 65530:65535', '-A INPUT -j NFQUEUE --queue-balance 65530:65535'],
  ['-A INPUT -j NFQUEUE --queue-num 0x10', '-A INPUT -j NFQUEUE --queue-num 16'],
  ['-A INPUT -j NFQUEUE --queue-balance :5', '-A INPUT -j NFQUEUE --queue-balance 0:5'],
  ['-A INPUT -j NFQUEUE --queue-balance 5:', '-A INPUT -j NFQUEUE --queue-balance 5:65535'],
];

const REFUSED: Array<[string, RegExp]> = [
  ['-A INPUT -j NFQUEUE --fail-open', /unknown option .--fail-open/],
  ['-A INPUT -j NFQUEUE --queue-cpu-fanout', /NFQUEUE: option "--queue-cpu-fanout" also requires "--queue-balance"\./],
  ['-A INPUT -j NFQUEUE --queue-balance 3:1', /3 should be less than 1/],
  ['-A INPUT -j NFQUEUE --queue-balance 3:3', /3 should be less than 3/],
  ['-A INPUT -j NFQUEUE --queue-num 1 --queue-balance 0:3', /NFQUEUE: option "--queue-num" cannot be used together with "--queue-balance"\./],
  ['-A INPUT -j NFQUEUE --queue-balance 0:3 --queue-num 1', /NFQUEUE: option "--queue-num" cannot be used together with "--queue-balance"\./],
  ['-A INPUT -j NFQUEUE --queue-num 65536', /NFQUEUE: bad value for option "--queue-num", or out of range \(0-65535\)\./],
  ['-A INPUT -j NFQUEUE --queue-balance 65530:65536', /NFQUEUE: bad value for option "--queue-balance" near "65536", or out of range \(0-65535\)\./],
  ['-A INPUT -j NFQUEUE --queue-balance 5', /Bad range "5"/],
  ['-A INPUT -j NFQUEUE --queue-balance 1:2:3', /NFQUEUE: Too many components for option "--queue-balance" \(max: 2\)/],
  ['-A INPUT -j NFQUEUE --queue-num 1 --queue-num 2', /(multiple --queue-num|"--queue-num" can only be used once)/],
  ['-A INPUT -j NFQUEUE ! --queue-num 1', /cannot be inverted/],
];

const cfg = (t: string) => nfqueueTarget.parse(usesOf(nfqueueTarget, t), parseCtx());
const pkt = (src: string, dst: string, sport = 1000, dport = 2000): Skb => skbOf(ipv4({ src, dst }, udp({ sport, dport })));

describe('NFQUEUE', () => {
  it.each(ROWS)('save %s', (r, s) => expect(saved(r)).toBe(s));
  it('saves the same in ip6tables', () => expect(saved('-A INPUT -j NFQUEUE --queue-balance 0:1', Family.V6)).toBe('-A INPUT -j NFQUEUE --queue-balance 0:1'));
  it.each(REFUSED)('refuses %s', (r, m) => expect(refusal(r)).toMatch(m));

  it('drops when nothing listens on the queue, accepts with --queue-bypass', () => {
    const par = params(recorder(), Hook.LocalIn, ETH0, null);
    const s = pkt('203.0.113.7', '198.51.100.7');
    expect(nfqueueTarget.target(cfg('--queue-num 3'), s, par)).toBe(NF_DROP);
    expect(nfqueueTarget.target(cfg('--queue-num 3 --queue-bypass'), s, par)).toBe(NF_ACCEPT);
    expect(nfqueueTarget.target(cfg('--queue-balance 0:3'), s, par)).toBe(NF_DROP);
    expect(nfqueueTarget.target(cfg('--queue-balance 0:3 --queue-bypass'), s, par)).toBe(NF_ACCEPT);
  });

  it("gives the machine file's verdict of a queue with a listener", () => {
    const spec = parseMachineFile(`${MACHINE}queues:\n  3: accept\n  4: drop\n`, 'm.yaml');
    const svc = { ...recorder(), queueVerdict: queueVerdicts(spec) };
    const par = params(svc, Hook.Forward, ETH0, ETH0);
    const s = pkt('203.0.113.7', '192.0.2.10');
    expect(nfqueueTarget.target(cfg('--queue-num 3'), s, par)).toBe(NF_ACCEPT);
    expect(nfqueueTarget.target(cfg('--queue-num 4 --queue-bypass'), s, par)).toBe(NF_DROP);
    expect(nfqueueTarget.target(cfg('--queue-num 5'), s, par)).toBe(NF_DROP);
    // --queue-cpu-fanout on CPU 0 (the default): the first queue of the range.
    expect(nfqueueTarget.target(cfg('--queue-balance 3:6 --queue-cpu-fanout'), s, par)).toBe(NF_ACCEPT);
  });

  it('spreads flows over a balance, both directions of a flow on one queue, seeded per guest', () => {
    const par = params(recorder(), Hook.Forward, ETH0, ETH0);
    const c = cfg('--queue-balance 10:13');
    const seen = new Set<number>();
    for (let i = 1; i < 60; i++) {
      const a = `203.0.113.${i}`;
      const q = nfqueueQueue(c, pkt(a, '192.0.2.10'), par);
      expect(q).toBeGreaterThanOrEqual(10);
      expect(q).toBeLessThanOrEqual(13);
      expect(nfqueueQueue(c, pkt('192.0.2.10', a, 2000, 1000), par)).toBe(q);
      seen.add(q);
    }
    expect(seen.size).toBe(4);
    const v6 = new Skb().loadV6(ipv6({ src: '2001:db8:100::fe', dst: '2001:db8:2::10' }, udp({ sport: 1, dport: 2 })));
    const back = new Skb().loadV6(ipv6({ src: '2001:db8:2::10', dst: '2001:db8:100::fe' }, udp({ sport: 2, dport: 1 })));
    expect(nfqueueQueue(c, v6, par)).toBe(nfqueueQueue(c, back, par));
  });

  it("the committed golden files are the builder's", () => {
    expect(readFileSync(join(golden, 'rules.v4'), 'utf8')).toBe(RULES);
    expect(readFileSync(join(golden, 'rules.v6'), 'utf8')).toBe(RULES6);
    expect(readFileSync(join(golden, 'machine.yaml'), 'utf8')).toBe(MACHINE);
  });
});
