import { describe, expect, it } from 'vitest';
import { icmp, ipv4 } from '../../packet/build.js';
import { dscpMatch } from './dscp.js';
import { tosMatch } from './tos.js';
import { parseCtx, parseError, roundTrip, run, skbOf, usesOf } from './test-util.js';

// iptables-restore then iptables-save, iptables 1.8.9 (nf_tables) on Linux 6.18.
const DSCP_ROWS: Array<[string, string]> = [
  ['--dscp 10', '--dscp 0x0a'],
  ['! --dscp 0x3f', '! --dscp 0x3f'],
  ['--dscp 0', '--dscp 0x00'],
  ['--dscp 010', '--dscp 0x08'],
  ["--dscp ' 5'", '--dscp 0x05'],
  ['--dscp-class EF', '--dscp 0x2e'],
  ['--dscp-class ef', '--dscp 0x2e'],
  ['! --dscp-class BE', '! --dscp 0x00'],
  ['--dscp-class CS7', '--dscp 0x38'],
  ['--dscp-class AF13', '--dscp 0x0e'],
  ['--dscp-class af41', '--dscp 0x22'],
  ['--dscp-class EFX', '--dscp 0x2e'],
  ['--dscp-class BEST', '--dscp 0x00'],
  ['--dscp-class AF411', '--dscp 0x22'],
  ['--dscp-class cs10', '--dscp 0x08'],
];
const DSCP_BAD: Array<[string, string]> = [
  ['--dscp 64', 'dscp: bad value for option "--dscp", or out of range (0-63).'],
  ['--dscp x', 'dscp: bad value for option "--dscp", or out of range (0-63).'],
  ['--dscp 5x', 'dscp: bad value for option "--dscp", or out of range (0-63).'],
  ['--dscp-class XX', "Invalid DSCP value `XX'"],
  ['--dscp-class af4', "Invalid DSCP value `af4'"],
  ['--dscp-class E', "Invalid DSCP value `E'"],
  ["--dscp-class ''", "Invalid DSCP value `'"],
  ['--dscp 1 --dscp-class EF', 'dscp: option "--dscp" cannot be used together with "--dscp-class".'],
  ['', 'DSCP match: Parameter --dscp is required'],
];
const TOS_ROWS: Array<[string, string]> = [
  ['--tos Minimize-Delay', '--tos 0x10/0x3f'],
  ['--tos minimize-delay', '--tos 0x10/0x3f'],
  ['--tos Normal-Service', '--tos 0x00/0x3f'],
  ['--tos Maximize-Throughput', '--tos 0x08/0x3f'],
  ['--tos Maximize-Reliability', '--tos 0x04/0x3f'],
  ['! --tos Minimize-Cost', '! --tos 0x02/0x3f'],
  ['--tos 0x10', '--tos 0x10/0xff'],
  ['--tos 16', '--tos 0x10/0xff'],
  ['--tos 0x10/0x0f', '--tos 0x10/0x0f'],
  ['--tos 0/0', '--tos 0x00/0x00'],
  ["--tos ' 1'", '--tos 0x01/0xff'],
  ['! --tos 0x1c', '! --tos 0x1c/0xff'],
];
const TOS_BAD: Array<[string, string]> = [
  ['--tos 256', 'Symbolic name "256" is unknown'],
  ['--tos 300/1', 'Symbolic name "300/1" is unknown'],
  ['--tos foo', 'Symbolic name "foo" is unknown'],
  ['--tos Min', 'Symbolic name "Min" is unknown'],
  ['--tos 1/256', 'Illegal value: "1/256"'],
  ['--tos 0x10/', 'Illegal value: "0x10/"'],
  ['--tos 5/x', 'Illegal value: "5/x"'],
  ['--tos 1x', 'Illegal value: "1x"'],
  ['', 'tos: option "--tos" must be specified'],
];

const withTos = (tos: number) => skbOf(ipv4({ src: '203.0.113.1', dst: '198.51.100.1', tos }, icmp({ type: 8 })));

describe('dscp', () => {
  it.each(DSCP_ROWS)('save %s', (i, s) => expect(roundTrip(dscpMatch, i)).toBe(s));
  it.each(DSCP_BAD)('refuse %s', (i, e) => expect(parseError(dscpMatch, i)).toBe(e));
  it('tests the upper six bits of the TOS byte', () => {
    const cfg = (t: string) => dscpMatch.parse(usesOf(dscpMatch, t), parseCtx());
    expect(run(dscpMatch, cfg('--dscp-class EF'), withTos(0xb8)).matched).toBe(true);
    expect(run(dscpMatch, cfg('--dscp-class EF'), withTos(0xbb)).matched).toBe(true); // ECN bits ignored
    expect(run(dscpMatch, cfg('--dscp-class EF'), withTos(0xb4)).matched).toBe(false);
    expect(run(dscpMatch, cfg('! --dscp 0'), withTos(0x03)).matched).toBe(false);
    expect(run(dscpMatch, cfg('! --dscp 0'), withTos(0x04)).matched).toBe(true);
  });
});

describe('tos', () => {
  it.each(TOS_ROWS)('save %s', (i, s) => expect(roundTrip(tosMatch, i)).toBe(s));
  it.each(TOS_BAD)('refuse %s', (i, e) => expect(parseError(tosMatch, i)).toBe(e));
  it('tests (tos & mask) == value', () => {
    const cfg = (t: string) => tosMatch.parse(usesOf(tosMatch, t), parseCtx());
    // A symbolic name masks 0x3f: precedence bits do not matter.
    expect(run(tosMatch, cfg('--tos Minimize-Delay'), withTos(0xd0)).matched).toBe(true);
    // A number masks 0xff.
    expect(run(tosMatch, cfg('--tos 0x10'), withTos(0xd0)).matched).toBe(false);
    expect(run(tosMatch, cfg('--tos 0x01/0x03'), withTos(0x05)).matched).toBe(true);
    expect(run(tosMatch, cfg('! --tos 0x01/0x03'), withTos(0x05)).matched).toBe(false);
    expect(run(tosMatch, cfg('--tos 0/0'), withTos(0xff)).matched).toBe(true);
  });
});
