import { describe, expect, it } from 'vitest';
import { parseBounds, parseExpectations, ExpectFileError } from './expect.js';
import { RuleSets } from './frame-fates.js';
import { loadRuleset } from '../netfilter/rules/restore.js';
import { defaultMachine } from '../machine/machine-file.js';

describe('expectation bounds', () => {
  it.each([
    [0, 0, 0],
    [5, 5, 5],
    ['>0', 1, Infinity],
    ['>=2', 2, Infinity],
    ['<10', 0, 9],
    ['<=10', 0, 10],
    ['=3', 3, 3],
    ['2..8', 2, 8],
  ] as const)('%s is %s to %s', (text, min, max) => {
    expect(parseBounds(text)).toMatchObject({ min, max });
  });
  it.each(['lots', '-1', '<0', '8..2', '1.5', ''])('refuses %j', (text) => {
    expect(parseBounds(text)).toBeUndefined();
  });
});

describe('expectation files', () => {
  const rules = new RuleSets(
    loadRuleset(
      '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:web - [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j web\nCOMMIT\n',
      'r.v4',
    ),
  );
  const devices = defaultMachine([{ addr: 0xc6336401, prefix: 24 }]).devices;
  it('reads traffic and counter expectations, naming the unnamed ones from what they say', () => {
    const e = parseExpectations(
      'expectations:\n  - {from: 203.0.113.0/24, proto: tcp, dport: 22, fate: accepted, rule: filter:INPUT:1}\n  - {policy: filter:INPUT, hits: ">0"}\n  - {name: web, chain: web, fate: any, count: 0}\n',
      'e.yaml',
      { rules, devices },
    );
    expect(e.map((x) => x.name)).toEqual(['tcp from 203.0.113.0/24 dport 22: accepted by filter:INPUT:1', 'policy filter:INPUT hits >0', 'web']);
    expect(e.map((x) => [x.line, x.column])).toEqual([
      [2, 5],
      [3, 5],
      [4, 5],
    ]);
  });
  it('lists every mistake with its position', () => {
    try {
      parseExpectations('- {chain: web, rule: policy, fate: any}\n- {rule: filter:OUTPUT:1, hits: 1}\n- {dport: 22, proto: icmp, fate: any}\n', 'e.yaml', {
        rules,
        devices,
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ExpectFileError);
      expect((err as Error).message.split('\n')).toEqual([
        'e.yaml:1:22: web is a user chain: it has no policy',
        'e.yaml:2:10: rule filter:OUTPUT:1: chain OUTPUT of table filter in r.v4 has 0 rules, not 1',
        'e.yaml:3:11: dport: icmp has no ports (tcp, udp, sctp, dccp, udplite have)',
      ]);
    }
  });
});
