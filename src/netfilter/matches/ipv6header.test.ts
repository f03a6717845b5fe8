import { describe, expect, it } from 'vitest';
import { fragHeader, ipv6, optionsHeader, raw, tcp, udp } from '../../packet/build.js';
import { ipv6headerMatch } from './ipv6header.js';
import { parseCtx6, parseError6, run, save6, skb6, usesOf } from './test-util.js';

// Recorded from ip6tables-restore then ip6tables-save 1.8.9 (nf_tables); BAD: the options -> its message.
const ROWS: Array<[string, string]> = [
  ['-A INPUT -m ipv6header --header hop', '-A INPUT -m ipv6header --header hop-by-hop'],
  ['-A INPUT -m ipv6header --header hop-by-hop', '-A INPUT -m ipv6header --header hop-by-hop'],
  ['-A INPUT -m ipv6header --header dst', '-A INPUT -m ipv6header --header ipv6-opts'],
  ['-A INPUT -m ipv6header --header ipv6-opts', '-A INPUT -m ipv6header --header ipv6-opts'],
  ['-A INPUT -m ipv6header --header route', '-A INPUT -m ipv6header --header ipv6-route'],
  ['-A INPUT -m ipv6header --header ipv6-route', '-A INPUT -m ipv6header --header ipv6-route'],
  ['-A INPUT -m ipv6header --header frag', '-A INPUT -m ipv6header --header ipv6-frag'],
  ['-A INPUT -m ipv6header --header ipv6-frag', '-A INPUT -m ipv6header --header ipv6-frag'],
  ['-A INPUT -m ipv6header --header auth', '-A INPUT -m ipv6header --header ah'],
  ['-A INPUT -m ipv6header --header ah', '-A INPUT -m ipv6header --header ah'],
  ['-A INPUT -m ipv6header --header esp', '-A INPUT -m ipv6header --header esp'],
  ['-A INPUT -m ipv6header --header none', '-A INPUT -m ipv6header --header ipv6-nonxt'],
  ['-A INPUT -m ipv6header --header ipv6-nonxt', '-A INPUT -m ipv6header --header ipv6-nonxt'],
  ['-A INPUT -m ipv6header --header prot', '-A INPUT -m ipv6header --header protocol'],
  ['-A INPUT -m ipv6header --header protocol', '-A INPUT -m ipv6header --header protocol'],
  [
    '-A INPUT -m ipv6header --header 0,60,43,44,51,50,59,255',
    '-A INPUT -m ipv6header --header hop-by-hop,ipv6-opts,ipv6-route,ipv6-frag,ah,esp,ipv6-nonxt,protocol',
  ],
  [
    '-A INPUT -m ipv6header --header prot,none,esp,auth,frag,route,dst,hop',
    '-A INPUT -m ipv6header --header hop-by-hop,ipv6-opts,ipv6-route,ipv6-frag,ah,esp,ipv6-nonxt,protocol',
  ],
  ['-A INPUT -m ipv6header ! --header hop,frag', '-A INPUT -m ipv6header ! --header hop-by-hop,ipv6-frag'],
  ['-A INPUT -m ipv6header --header hop,frag --soft', '-A INPUT -m ipv6header --header hop-by-hop,ipv6-frag --soft'],
  ['-A INPUT -m ipv6header ! --header dst --soft', '-A INPUT -m ipv6header ! --header ipv6-opts --soft'],
  ['-A INPUT -m ipv6header --soft --header dst', '-A INPUT -m ipv6header --header ipv6-opts --soft'],
  ['-A INPUT -m ipv6header --header ip', '-A INPUT -m ipv6header --header hop-by-hop'],
  ['-A INPUT -m ipv6header --header IP', '-A INPUT -m ipv6header --header hop-by-hop'],
  ['-A INPUT -m ipv6header --header HOPOPT', '-A INPUT -m ipv6header --header hop-by-hop'],
  ['-A INPUT -m ipv6header --header hopopt', '-A INPUT -m ipv6header --header hop-by-hop'],
  ['-A INPUT -m ipv6header --header IPv6-Route', '-A INPUT -m ipv6header --header ipv6-route'],
  ['-A INPUT -m ipv6header --header IPSEC-AH', '-A INPUT -m ipv6header --header ah'],
  ['-A INPUT -m ipv6header --header hop,,dst', '-A INPUT -m ipv6header --header hop-by-hop,ipv6-opts'],
  ['-A INPUT -m ipv6header --header ,hop', '-A INPUT -m ipv6header --header hop-by-hop'],
  ['-A INPUT -m ipv6header --header hop,', '-A INPUT -m ipv6header --header hop-by-hop'],
];
const BAD: Array<[string, string]> = [
  ['--header HOP', "unknown header `HOP' specified"],
  ['--header tcp', "unknown header `6' specified"],
  ['--header 6', "unknown header `6' specified"],
  ['--header 1', "unknown header `1' specified"],
  ['--header foo', "unknown header `foo' specified"],
  ['--header ,', 'ip6t_ipv6header: cannot parse header names'],
  ['--header mptcp', "unknown header `262' specified"],
  ['--header ipv6', "unknown header `41' specified"],
  ['--soft', 'ipv6header: option "--header" must be specified'],
  ['--header hop --header dst', 'ipv6header: option "--header" can only be used once.'],
  ['--header hop --soft --soft', 'ipv6header: option "--soft" can only be used once.'],
  ['! --soft --header hop', 'ipv6header: option "--soft" cannot be inverted.'],
];

describe('ipv6header: ip6tables-restore -> ip6tables-save', () => {
  it.each(ROWS)('%s', (rule, saved) => expect(save6(rule)).toBe(saved));
});

describe('ipv6header: refusals', () => {
  it.each(BAD)('%s', (text, err) => expect(parseError6(ipv6headerMatch, text)).toBe(err));
});

const SRC = '2001:db8::2';
const DST = '2001:db8::1';
/** An IPv6 packet whose payload is `bytes` after a first next-header `nh`. */
function rawPacket(nh: number, bytes: number[]): Uint8Array {
  const p = ipv6({ src: SRC, dst: DST, rawL4: true }, raw(nh, Uint8Array.from(bytes)));
  return p;
}

describe('ipv6header: matching (ipv6header_mt6)', () => {
  const cfg = (t: string) => ipv6headerMatch.parse(usesOf(ipv6headerMatch, t), parseCtx6());
  const m = (t: string, p: Uint8Array) => run(ipv6headerMatch, cfg(t), skb6(p));
  const hbhDstTcp = ipv6({ src: SRC, dst: DST, ext: [optionsHeader(0), optionsHeader(60, 16)] }, tcp({ sport: 1, dport: 2 }));
  it('exact sets, and the upper-layer header as protocol', () => {
    expect(m('--header hop,dst,prot', hbhDstTcp).matched).toBe(true);
    expect(m('--header hop,dst', hbhDstTcp).matched).toBe(false);
    expect(m('! --header hop,dst', hbhDstTcp).matched).toBe(true);
    expect(m('! --header hop,dst,prot', hbhDstTcp).matched).toBe(false);
    expect(m('--header prot', ipv6({ src: SRC, dst: DST }, udp({ sport: 1, dport: 2 }))).matched).toBe(true);
  });
  it('--soft: the listed headers are there; inverted: none of them is', () => {
    expect(m('--header hop --soft', hbhDstTcp).matched).toBe(true);
    expect(m('--header hop,frag --soft', hbhDstTcp).matched).toBe(false);
    expect(m('! --header frag --soft', hbhDstTcp).matched).toBe(true);
    expect(m('! --header frag,dst --soft', hbhDstTcp).matched).toBe(false);
  });
  it('no next header, ESP (which ends the walk) and AH', () => {
    expect(m('--header none', rawPacket(59, [])).matched).toBe(true);
    expect(m('--header dst,none', rawPacket(60, [59, 0, 1, 4, 0, 0, 0, 0])).matched).toBe(true);
    expect(m('--header esp', rawPacket(50, [0, 0, 0, 5, 0, 0, 0, 1])).matched).toBe(true);
    const ah = [6, 4, 0, 0, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    expect(m('--header auth,prot', rawPacket(51, [...ah, 0, 1, 0, 2])).matched).toBe(true);
  });
  it("every fragment carries the fragment header; a later one's payload is walked too", () => {
    const first = ipv6({ src: SRC, dst: DST, ext: [fragHeader(0, true, 1)], rawL4: true }, udp({ sport: 1, dport: 2 }));
    const later = ipv6({ src: SRC, dst: DST, ext: [fragHeader(16, false, 1)], rawL4: true }, raw(17, new Uint8Array(8)));
    // Recorded from the kernel: --header ipv6-frag,protocol matches first, later and last fragments alike.
    expect(m('--header frag,prot', first).matched).toBe(true);
    expect(m('--header frag,prot', later).matched).toBe(true);
  });
  // Recorded from the kernel (6.18): a destination options header claiming 16 bytes of 8 present,
  // and a chain whose next header has no bytes left, are mismatches, not drops.
  it('a chain running past the packet ends the walk without a drop', () => {
    const short = rawPacket(60, [59, 1, 1, 4, 0, 0, 0, 0]);
    expect(m('--header ipv6-opts --soft', short)).toEqual({ matched: true, hotdrop: false });
    expect(m('--header ipv6-opts,ipv6-nonxt', short)).toEqual({ matched: false, hotdrop: false });
    const empty = rawPacket(60, [60, 0, 1, 4, 0, 0, 0, 0]);
    expect(m('--header ipv6-opts --soft', empty)).toEqual({ matched: false, hotdrop: false });
  });
});
