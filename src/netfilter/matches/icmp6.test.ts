import { describe, expect, it } from 'vitest';
import { fragHeader, icmp6, ipv6 } from '../../packet/build.js';
import { icmp6Match } from './icmp6.js';
import { checkCtx6, parseCtx6, parseError6, run, save6, skb6, truncate6, usesOf } from './test-util.js';

// Recorded from ip6tables-restore then ip6tables-save 1.8.9 (nf_tables): the rule line in, the saved line out.
const ROWS: Array<[string, string]> = [
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type echo-request', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type ping', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type pong', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 129'],
  ['-A INPUT -p ipv6-icmp -m icmp6 ! --icmpv6-type echo-reply', '-A INPUT -p ipv6-icmp -m icmp6 ! --icmpv6-type 129'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type destination-unreachable', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type no-route', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/0'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type communication-prohibited', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/1'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type beyond-scope', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/2'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type address-unreachable', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/3'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type port-unreachable', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/4'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type failed-policy', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/5'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type reject-route', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/6'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type packet-too-big', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 2'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type time-exceeded', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 3'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type ttl-exceeded', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 3'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type ttl-zero-during-transit', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 3/0'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type ttl-zero-during-reassembly', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 3/1'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type parameter-problem', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 4'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type bad-header', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 4/0'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type unknown-header-type', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 4/1'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type unknown-option', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 4/2'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type router-solicitation', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 133'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type router-advertisement', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 134'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-solicitation', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 135'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type neighbor-solicitation', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 135'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-advertisement', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 136'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type neighbor-advertisement', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 136'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type redirect', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 137'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type Redirect', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 137'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type redir', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 137'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-s', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 135'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/4', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/4'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/0', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/0'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/255', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/255'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/0:3', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/0'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/0:255', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/3:1', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/3'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1:1', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1:1/3', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/3'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 0x80', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 0200', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type +128', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 255', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 255'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 0', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 0'],
  ['-A INPUT -p icmpv6 --icmpv6-type 128', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128'],
  ['-A INPUT -p ipv6-icmp -m icmpv6 --icmpv6-type 128', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128'],
  ['-A INPUT -p ipv6-icmp -m ipv6-icmp --icmpv6-type 128', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type " 128"', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type "1/ 3"', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/3'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/0x10', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/16'],
  ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type NO-ROUTE', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/0'],
  ['-A INPUT -p 58 --icmpv6-type 1/4', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/4'],
  ['-A INPUT -p IPv6-ICMP --icmpv6-type 1', '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1'],
];

// The option's argument -> ip6tables-restore 1.8.9's message.
const BAD: Array<[string, string]> = [
  ['--icmpv6-type pa', "Ambiguous ICMPv6 type `pa': `packet-too-big' or `parameter-problem'?"],
  ['--icmpv6-type neighbo', "Ambiguous ICMPv6 type `neighbo': `neighbour-solicitation' or `neighbor-solicitation'?"],
  ['--icmpv6-type echo', "Ambiguous ICMPv6 type `echo': `echo-request' or `echo-reply'?"],
  ['--icmpv6-type e', "Ambiguous ICMPv6 type `e': `echo-request' or `echo-reply'?"],
  ['--icmpv6-type ""', "Ambiguous ICMPv6 type `': `destination-unreachable' or `no-route'?"],
  ['--icmpv6-type any', "Unknown ICMPv6 type `any'"],
  ['--icmpv6-type 1:2', 'ICMPv6 type range not supported'],
  ['--icmpv6-type 256', "Unknown ICMPv6 type `256'"],
  ['--icmpv6-type 1/256', "Unknown ICMPv6 code `1/256'"],
  ['--icmpv6-type 1/', "Unknown ICMPv6 code `1/'"],
  ['--icmpv6-type 1/-0', "Unknown ICMPv6 code `1/-0'"],
  ['--icmpv6-type 1/3:', "Unknown ICMPv6 code `1/3:'"],
  ['--icmpv6-type 1/:3', "Unknown ICMPv6 code `1/:3'"],
  ['--icmpv6-type 1:', "Unknown ICMPv6 type `1:'"],
  ['--icmpv6-type /1', "Unknown ICMPv6 type `/1'"],
  ['--icmpv6-type -0', "Unknown ICMPv6 type `-0'"],
  ['--icmpv6-type 128x', 'unknown character x'],
  ['--icmpv6-type "128 "', 'unknown character  '],
  ['--icmpv6-type 1/2x', 'unknown character x'],
  ['--icmpv6-type 1/2/3', 'unknown character /'],
  ['--icmpv6-type echo-request/3', "Unknown ICMPv6 type `echo-request/3'"],
  ['--icmpv6-type no-route/1', "Unknown ICMPv6 type `no-route/1'"],
  ['', 'icmp6: option "--icmpv6-type" must be specified'],
];

describe('icmp6: ip6tables-restore -> ip6tables-save', () => {
  it.each(ROWS)('%s', (rule, saved) => expect(save6(rule)).toBe(saved));
});

describe('icmp6: refusals', () => {
  it.each(BAD)('%s', (text, err) => expect(parseError6(icmp6Match, text, 58)).toBe(err));
  it('the kernel wants -p ipv6-icmp, not inverted (ip6tables: RULE_APPEND failed (Invalid argument))', () => {
    const c = icmp6Match.parse(usesOf(icmp6Match, '--icmpv6-type 128'), parseCtx6(58));
    expect(() => icmp6Match.check!(c, checkCtx6(2, 0))).toThrow('icmp6 match: only valid for protocol 58');
    expect(() => icmp6Match.check!(c, checkCtx6(2, 58, true))).toThrow('icmp6 match: only valid for protocol 58');
    expect(() => icmp6Match.check!(c, checkCtx6(2, 6))).toThrow('icmp6 match: only valid for protocol 58');
    expect(() => icmp6Match.check!(c, checkCtx6(2, 58))).not.toThrow();
    expect(save6('-A INPUT -m icmp6 --icmpv6-type 128')).toContain('only valid for protocol 58');
  });
  it('is an ip6tables match: iptables cannot load it, nor ip6tables the icmp match', () => {
    expect(save6('-A INPUT -p ipv6-icmp --icmp-type 8')).toMatch(/unknown option .--icmp-type/);
    expect(save6('-A INPUT -p ipv6-icmp -m icmp --icmp-type 8')).toMatch(/Couldn't load match .icmp/);
  });
});

describe('icmp6: matching (icmp6_match)', () => {
  const cfg = (t: string) => icmp6Match.parse(usesOf(icmp6Match, t), parseCtx6(58));
  const pkt = (type: number, code = 0) => skb6(ipv6({ src: '2001:db8::2', dst: '2001:db8::1' }, icmp6({ type, code })));
  it('type, type/code, code ranges the save does not show, names and inversion', () => {
    expect(run(icmp6Match, cfg('--icmpv6-type echo-request'), pkt(128)).matched).toBe(true);
    expect(run(icmp6Match, cfg('--icmpv6-type echo-request'), pkt(129)).matched).toBe(false);
    expect(run(icmp6Match, cfg('--icmpv6-type 1'), pkt(1, 6)).matched).toBe(true);
    expect(run(icmp6Match, cfg('--icmpv6-type port-unreachable'), pkt(1, 4)).matched).toBe(true);
    expect(run(icmp6Match, cfg('--icmpv6-type port-unreachable'), pkt(1, 3)).matched).toBe(false);
    expect(run(icmp6Match, cfg('--icmpv6-type 1/0:3'), pkt(1, 3)).matched).toBe(true);
    expect(run(icmp6Match, cfg('--icmpv6-type 1/0:3'), pkt(1, 4)).matched).toBe(false);
    expect(run(icmp6Match, cfg('--icmpv6-type 1/3:1'), pkt(1, 2)).matched).toBe(false);
    expect(run(icmp6Match, cfg('! --icmpv6-type echo-request'), pkt(135)).matched).toBe(true);
    expect(run(icmp6Match, cfg('! --icmpv6-type echo-request'), pkt(128)).matched).toBe(false);
  });
  it('reads the ICMPv6 header after extension headers', () => {
    const p = skb6(ipv6({ src: '2001:db8::2', dst: '2001:db8::1', ext: [fragHeader(0, false, 7)] }, icmp6({ type: 128 })));
    expect(run(icmp6Match, cfg('--icmpv6-type 128'), p)).toEqual({ matched: true, hotdrop: false });
  });
  // Recorded from the kernel: a 6-byte ICMPv6 header is dropped by the rule; a later fragment matches neither way.
  it('hotdrops a header shorter than 8 bytes', () => {
    const p = skb6(truncate6(ipv6({ src: '2001:db8::2', dst: '2001:db8::1' }, icmp6({ type: 128 })), 46));
    expect(run(icmp6Match, cfg('--icmpv6-type 128'), p)).toEqual({ matched: false, hotdrop: true });
  });
  it('never matches a non-first fragment, even inverted', () => {
    const p = skb6(
      ipv6({ src: '2001:db8::2', dst: '2001:db8::1', ext: [fragHeader(8, false, 1)], rawL4: true }, { proto: 58, bytes: new Uint8Array([1, 2, 3]) }),
    );
    expect(run(icmp6Match, cfg('--icmpv6-type 128'), p)).toEqual({ matched: false, hotdrop: false });
    expect(run(icmp6Match, cfg('! --icmpv6-type 128'), p)).toEqual({ matched: false, hotdrop: false });
  });
});
