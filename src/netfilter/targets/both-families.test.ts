/**
 * DSCP, TOS, TCPMSS and NFLOG in ip6tables rules: the saved texts and
 * refusals of Debian's ip6tables 1.8.9 (nf_tables) on Linux 6.18, and what
 * each does to an IPv6 packet as dscp_tg6, tos_tg6 and tcpmss_tg6 do it.
 * The TCPMSS rows were checked on the same kernel: SYNs sent through a
 * raw socket past `-j TCPMSS` in OUTPUT, their MSS and length counted by
 * `-m tcpmss` and `-m length` rules in POSTROUTING (an inserted option
 * carries min(MSS, 1220); clamping over a 1400-byte MTU gives 1340).
 */
import { describe, expect, it } from 'vitest';
import { fragHeader, ipv6, optionsHeader, raw, tcp, udp } from '../../packet/build.js';
import { l4Checksum6 } from '../../packet/checksum.js';
import { Family } from '../../packet/inet-addr.js';
import { Hook, NF_DROP, Skb, XT_CONTINUE, type XtParams } from '../types.js';
import type { TargetModule } from '../xt.js';
import { save6 } from '../matches/test-util.js';
import { dscpTarget, tosTarget } from './dscp.js';
import { nflogTarget } from './nflog.js';
import { tcpmssTarget } from './tcpmss.js';
import { ETH0, params, recorder, usesOf } from './test-services.js';

const SAVE6: Array<[string, string, string]> = [
  ['mangle', '-A PREROUTING -j DSCP --set-dscp 10', '-A PREROUTING -j DSCP --set-dscp 0x0a'],
  ['mangle', '-A PREROUTING -j DSCP --set-dscp-class AF41', '-A PREROUTING -j DSCP --set-dscp 0x22'],
  ['mangle', '-A PREROUTING -j TOS --set-tos 0x10', '-A PREROUTING -j TOS --set-tos 0x10/0xff'],
  ['mangle', '-A PREROUTING -j TOS --and-tos 0x0f', '-A PREROUTING -j TOS --set-tos 0x00/0xf0'],
  ['mangle', '-A PREROUTING -j TOS --set-tos Minimize-Cost', '-A PREROUTING -j TOS --set-tos 0x02/0x3f'],
  [
    'mangle',
    '-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu',
    '-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu',
  ],
  ['mangle', '-A POSTROUTING -p tcp -j TCPMSS --set-mss 1400', '-A POSTROUTING -p tcp -j TCPMSS --set-mss 1400'],
  [
    'mangle',
    '-A PREROUTING -j NFLOG --nflog-group 3 --nflog-prefix "x y" --nflog-size 100 --nflog-threshold 2',
    '-A PREROUTING -j NFLOG --nflog-prefix "x y" --nflog-group 3 --nflog-size 100 --nflog-threshold 2',
  ],
];

const REFUSED6: Array<[string, string, string]> = [
  ['filter', '-A INPUT -j DSCP --set-dscp 1', 'DSCP target is only valid in the mangle table'],
  ['filter', '-A INPUT -j TOS --set-tos 1', 'TOS target is only valid in the mangle table'],
  ['mangle', '-A PREROUTING -j DSCP --set-dscp 64', 'DSCP: bad value for option "--set-dscp", or out of range (0-63).'],
  ['mangle', '-A INPUT -p tcp -j TCPMSS --clamp-mss-to-pmtu', 'path-MTU clamping only supported in FORWARD, OUTPUT and POSTROUTING hooks'],
  ['mangle', '-A POSTROUTING -j TCPMSS --set-mss 100', 'TCPMSS target: only valid for protocol 6'],
];

describe('ip6tables-restore -> ip6tables-save', () => {
  it.each(SAVE6)('%s: %s', (table, rule, want) => expect(save6(rule, table)).toBe(want));
  it.each(REFUSED6)('%s: refuses %s', (table, rule, want) => expect(save6(rule, table)).toContain(want));
});

function cfg<C>(module: TargetModule<C>, text: string): C {
  return module.parse(usesOf(module, text), {
    family: Family.V6,
    table: 'mangle',
    chain: 'FORWARD',
    head: { proto: 6, invProto: false, fragment: false, invFragment: false },
  });
}

function par(hook = Hook.Forward, outDev = ETH0): XtParams {
  return params(recorder(), hook, ETH0, outDev);
}

const A = '2001:db8:2::10';
const B = '2001:db8:100::20';

describe('DSCP and TOS rewrite the traffic class', () => {
  const pkt = (trafficClass: number, flowLabel = 0xabcde): Skb =>
    new Skb().loadV6(ipv6({ src: A, dst: B, trafficClass, flowLabel }, udp({ sport: 1, dport: 2 })));
  const tc = (s: Skb): number => ((s.data[0]! << 4) | (s.data[1]! >> 4)) & 0xff;
  const rest = (s: Skb): number[] => [s.data[0]! >> 4, ((s.data[1]! & 15) << 16) | (s.data[2]! << 8) | s.data[3]!];

  it('DSCP keeps the ECN bits, the version and the flow label', () => {
    const s = pkt(0x03);
    expect(dscpTarget.target(cfg(dscpTarget, '--set-dscp-class EF'), s, par())).toBe(XT_CONTINUE);
    expect(tc(s)).toBe(0xbb);
    expect(rest(s)).toEqual([6, 0xabcde]);
    const same = pkt(0xb9);
    const before = same.data.slice();
    dscpTarget.target(cfg(dscpTarget, '--set-dscp 0x2e'), same, par());
    expect(same.data).toEqual(before);
  });

  it('TOS applies (tc & ~mask) ^ value to the whole traffic class', () => {
    const s = pkt(0xff);
    tosTarget.target(cfg(tosTarget, '--and-tos 0x0f'), s, par());
    expect(tc(s)).toBe(0x0f);
    tosTarget.target(cfg(tosTarget, '--set-tos Minimize-Delay'), s, par());
    expect(tc(s)).toBe(0x10);
    tosTarget.target(cfg(tosTarget, '--xor-tos 0x81'), s, par());
    expect(tc(s)).toBe(0x91);
    expect(rest(s)).toEqual([6, 0xabcde]);
  });
});

describe('TCPMSS on IPv6', () => {
  const mssOpt = (mss: number): Uint8Array => new Uint8Array([2, 4, mss >> 8, mss & 255]);
  type Ext = Array<{ type: number; bytes: Uint8Array }>;
  const syn = (options?: Uint8Array, ext: Ext = [], payload?: Uint8Array): Skb =>
    new Skb().loadV6(
      ipv6({ src: A, dst: B, ext }, tcp({ sport: 40000, dport: 80, flags: 'S', ...(options ? { options } : {}), ...(payload ? { payload } : {}) })),
    );
  const mss = (s: Skb): number => (s.data[s.thoff + 22]! << 8) | s.data[s.thoff + 23]!;
  const checksOut = (s: Skb): void => expect(l4Checksum6(s.data, s.thoff, s.totLen - s.thoff, 6)).toBe(0);

  it('lowers an MSS option past extension headers, never raises it', () => {
    const s = syn(mssOpt(1460), [optionsHeader(0), optionsHeader(60, 16)]);
    expect(tcpmssTarget.target(cfg(tcpmssTarget, '--set-mss 1400'), s, par())).toBe(XT_CONTINUE);
    expect(mss(s)).toBe(1400);
    checksOut(s);
    tcpmssTarget.target(cfg(tcpmssTarget, '--set-mss 1450'), s, par());
    expect(mss(s)).toBe(1400);
  });

  it('clamps to the path MTU minus 60, the way back being the route to the source', () => {
    const s = syn(mssOpt(1460));
    tcpmssTarget.target(cfg(tcpmssTarget, '--clamp-mss-to-pmtu'), s, par(Hook.Forward, { ...ETH0, mtu: 1400 }));
    expect(mss(s)).toBe(1340);
    checksOut(s);
    expect(tcpmssTarget.target(cfg(tcpmssTarget, '--clamp-mss-to-pmtu'), syn(mssOpt(1460)), par(Hook.Forward, { ...ETH0, mtu: 60 }))).toBe(NF_DROP);
  });

  it('adds an MSS option of at most 1220 to a segment without one; the payload length grows', () => {
    const s = syn(undefined, [optionsHeader(60)]);
    expect(s.totLen).toBe(40 + 8 + 20);
    expect(tcpmssTarget.target(cfg(tcpmssTarget, '--set-mss 1400'), s, par())).toBe(XT_CONTINUE);
    expect(s.totLen).toBe(40 + 8 + 24);
    expect((s.data[4]! << 8) | s.data[5]!).toBe(32);
    expect(s.data[s.thoff + 12]! >> 4).toBe(6);
    expect(mss(s)).toBe(1220);
    checksOut(s);
    const small = syn();
    tcpmssTarget.target(cfg(tcpmssTarget, '--set-mss 1000'), small, par());
    expect(mss(small)).toBe(1000);
    checksOut(small);
  });

  it('leaves data-carrying segments and later fragments alone', () => {
    const d = syn(undefined, [], new Uint8Array([1, 2, 3]));
    const before = d.data.slice();
    tcpmssTarget.target(cfg(tcpmssTarget, '--set-mss 1400'), d, par());
    expect(d.data).toEqual(before);
    const later = new Skb().loadV6(ipv6({ src: A, dst: B, ext: [fragHeader(8, false, 1)], rawL4: true }, raw(6, new Uint8Array(24))));
    expect(tcpmssTarget.target(cfg(tcpmssTarget, '--set-mss 1400'), later, par())).toBe(XT_CONTINUE);
  });
});

describe('NFLOG on IPv6', () => {
  it('reports the packet on the console in the IPv6 log line', () => {
    const r = recorder();
    const s = new Skb().loadV6(ipv6({ src: A, dst: B, hopLimit: 63 }, tcp({ sport: 40000, dport: 80, flags: 'S' })));
    nflogTarget.target(cfg(nflogTarget, '--nflog-group 5 --nflog-prefix "in6: "'), s, params(r, Hook.LocalIn, ETH0, null));
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]![1]).toBe(
      'NFLOG group=5 prefix="in6: " IN=veth1 OUT= MAC= SRC=2001:0db8:0002:0000:0000:0000:0000:0010 DST=2001:0db8:0100:0000:0000:0000:0000:0020 ' +
        'LEN=60 TC=0 HOPLIMIT=63 FLOWLBL=0 PROTO=TCP SPT=40000 DPT=80 WINDOW=64240 RES=0x00 SYN URGP=0 ',
    );
  });
});
