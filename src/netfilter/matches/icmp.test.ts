import { describe, expect, it } from 'vitest';
import { icmp, ipv4 } from '../../packet/build.js';
import { icmpMatch } from './icmp.js';
import { checkCtx, parseCtx, parseError, roundTrip, run, skbOf, truncate, usesOf } from './test-util.js';
import { CheckError } from '../xt.js';

// Input -> iptables-save 1.8.9 text after `-p icmp -m icmp`.
const ROWS: Array<[string, string]> = [
  ['--icmp-type 8', '--icmp-type 8'],
  ['--icmp-type echo-request', '--icmp-type 8'],
  ['--icmp-type 8/0', '--icmp-type 8/0'],
  ['--icmp-type 8/1', '--icmp-type 8/1'],
  ['--icmp-type 3/3', '--icmp-type 3/3'],
  ['--icmp-type port-unreachable', '--icmp-type 3/3'],
  ['--icmp-type port', '--icmp-type 3/3'],
  ['--icmp-type any', '--icmp-type any'],
  ['--icmp-type ANY', '--icmp-type any'],
  ['! --icmp-type any', '! --icmp-type any'],
  ['! --icmp-type echo-reply', '! --icmp-type 0'],
  ['--icmp-type destination-unreachable', '--icmp-type 3'],
  ['--icmp-type 255', '--icmp-type any'],
  ['--icmp-type 255/3', '--icmp-type any'],
  ['--icmp-type ping', '--icmp-type 8'],
  ['--icmp-type pong', '--icmp-type 0'],
  ['--icmp-type Echo-Request', '--icmp-type 8'],
  ['--icmp-type 11/1', '--icmp-type 11/1'],
  ['--icmp-type 200/7', '--icmp-type 200/7'],
  ['--icmp-type 0x8', '--icmp-type 8'],
  ['--icmp-type 010', '--icmp-type 8'],
  ['--icmp-type +8', '--icmp-type 8'],
  ["--icmp-type ' 8'", '--icmp-type 8'],
  ['--icmp-type 8/0x3', '--icmp-type 8/3'],
  ['--icmp-type ttl-exceeded', '--icmp-type 11'],
  ['--icmp-type time-exceeded', '--icmp-type 11'],
  ['--icmp-type ttl-zero-during-transit', '--icmp-type 11/0'],
  ['--icmp-type ttl-zero-during-reassembly', '--icmp-type 11/1'],
  ['--icmp-type network-unreachable', '--icmp-type 3/0'],
  ['--icmp-type tos-host-unreachable', '--icmp-type 3/12'],
  ['--icmp-type fragmentation-needed', '--icmp-type 3/4'],
  ['--icmp-type precedence-cutoff', '--icmp-type 3/15'],
  ['--icmp-type redirect', '--icmp-type 5'],
  ['--icmp-type host-redirect', '--icmp-type 5/1'],
  ['--icmp-type router-advertisement', '--icmp-type 9'],
  ['--icmp-type timestamp-request', '--icmp-type 13'],
  ['--icmp-type source-quench', '--icmp-type 4'],
  ['--icmp-type parameter-problem', '--icmp-type 12'],
  ['--icmp-type ip-header-bad', '--icmp-type 12/0'],
  ['--icmp-type required-option-missing', '--icmp-type 12/1'],
  ['--icmp-type address-mask-request', '--icmp-type 17'],
];

const BAD: Array<[string, string]> = [
  ['--icmp-type 256', "Unknown ICMP type `256'"],
  ['--icmp-type 3/256', "Unknown ICMP code `3/256'"],
  ['--icmp-type foo', "Unknown ICMP type `foo'"],
  ['--icmp-type 3/', "Unknown ICMP code `3/'"],
  ['--icmp-type /3', "Unknown ICMP type `/3'"],
  ['--icmp-type -0', "Unknown ICMP type `-0'"],
  ['--icmp-type any/3', "Unknown ICMP type `any/3'"],
  ['--icmp-type echo-request/3', "Unknown ICMP type `echo-request/3'"],
  ['--icmp-type echo', "Ambiguous ICMP type `echo': `echo-reply' or `echo-request'?"],
  ['--icmp-type e', "Ambiguous ICMP type `e': `echo-reply' or `echo-request'?"],
  ['--icmp-type network-un', "Ambiguous ICMP type `network-un': `network-unreachable' or `network-unknown'?"],
  ["--icmp-type ''", "Ambiguous ICMP type `': `any' or `echo-reply'?"],
  ['--icmp-type 8:0', 'ICMP type range not supported'],
  ['--icmp-type 8/0/0', 'unknown character /'],
  ['--icmp-type 8x', 'unknown character x'],
  ['--icmp-type 3/3x', 'unknown character x'],
  ['--icmp-type 8-9', 'unknown character -'],
  ['', 'icmp: option "--icmp-type" must be specified'],
  ['--icmp-type 8 --icmp-type 0', 'icmp: option "--icmp-type" can only be used once.'],
];

describe('icmp: parse -> save (iptables-save 1.8.9)', () => {
  it.each(ROWS)('%s', (input, saved) => expect(roundTrip(icmpMatch, input, 1)).toBe(saved));
});

describe('icmp: refusals', () => {
  it.each(BAD)('%s', (input, err) => expect(parseError(icmpMatch, input, 1)).toContain(err));
  it('the kernel wants -p icmp', () => {
    const c = icmpMatch.parse(usesOf(icmpMatch, '--icmp-type 8'), parseCtx(0));
    expect(() => icmpMatch.check!(c, checkCtx(2, 0))).toThrow(CheckError);
    expect(() => icmpMatch.check!(c, checkCtx(2, 1, true))).toThrow('icmp match: only valid for protocol 1');
    expect(() => icmpMatch.check!(c, checkCtx(2, 1))).not.toThrow();
  });
});

describe('icmp: matching', () => {
  const cfg = (t: string) => icmpMatch.parse(usesOf(icmpMatch, t), parseCtx(1));
  const pkt = (type: number, code = 0) => skbOf(ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, icmp({ type, code })));
  it('type, type/code, names, any and inversion', () => {
    expect(run(icmpMatch, cfg('--icmp-type echo-request'), pkt(8)).matched).toBe(true);
    expect(run(icmpMatch, cfg('--icmp-type echo-request'), pkt(0)).matched).toBe(false);
    expect(run(icmpMatch, cfg('--icmp-type 8'), pkt(8, 7)).matched).toBe(true);
    expect(run(icmpMatch, cfg('--icmp-type 8/0'), pkt(8, 7)).matched).toBe(false);
    expect(run(icmpMatch, cfg('--icmp-type port-unreachable'), pkt(3, 3)).matched).toBe(true);
    expect(run(icmpMatch, cfg('--icmp-type port-unreachable'), pkt(3, 1)).matched).toBe(false);
    expect(run(icmpMatch, cfg('--icmp-type any'), pkt(42, 9)).matched).toBe(true);
    expect(run(icmpMatch, cfg('! --icmp-type any'), pkt(42, 9)).matched).toBe(false);
    expect(run(icmpMatch, cfg('! --icmp-type echo-request'), pkt(0)).matched).toBe(true);
  });
  it('hotdrops a first fragment shorter than the 8-byte ICMP header', () => {
    const p = skbOf(truncate(ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, icmp({ type: 8 })), 27));
    expect(run(icmpMatch, cfg('--icmp-type any'), p)).toEqual({ matched: false, hotdrop: true });
  });
  it('never matches a later fragment, even `any`', () => {
    const p = skbOf(ipv4({ src: '192.0.2.1', dst: '192.0.2.2', fragoff: 3, proto: 1 }, { proto: 1, bytes: new Uint8Array(8) }));
    expect(run(icmpMatch, cfg('--icmp-type any'), p)).toEqual({ matched: false, hotdrop: false });
    expect(run(icmpMatch, cfg('! --icmp-type 8'), p)).toEqual({ matched: false, hotdrop: false });
  });
});
