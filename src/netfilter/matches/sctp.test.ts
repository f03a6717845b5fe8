/**
 * `-m sctp`: rule text -> iptables-save text and refusals, recorded from
 * Debian's iptables and ip6tables 1.8.9 (nf_tables) on Linux 6.18 in a
 * network namespace (restore, then save; the kernel's reason from dmesg),
 * and the match on packets as xt_sctp decides it.
 */
import { describe, expect, it } from 'vitest';
import { ipv4, ipv6, sctp, sctpInit, type SctpChunk } from '../../packet/build.js';
import { sctpChecksum, sctpStoredChecksum } from '../../packet/checksum.js';
import { Family } from '../../packet/inet-addr.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';
import { sctpMatch } from './sctp.js';
import { parseCtx, run, skb6, skbOf, truncate, usesOf } from './test-util.js';
import { Skb } from '../types.js';

function save(rule: string, family = Family.V4): string {
  const text = ['*filter', ':INPUT ACCEPT [0:0]', rule, 'COMMIT', ''].join('\n');
  try {
    return saveRuleset(loadRuleset(text, 'rules', { family }), { counters: false })
      .split('\n')
      .filter((l) => l.startsWith('-A'))
      .join('\n');
  } catch (e) {
    return `ERR ${(e as Error).message}`;
  }
}

/** [rule, what iptables-save printed]. */
const ROWS: Array<[string, string]> = [
  ['-A INPUT -p sctp -m sctp --sport 1000', '-A INPUT -p sctp -m sctp --sport 1000'],
  ['-A INPUT -p sctp -m sctp --dport 1000:2000', '-A INPUT -p sctp -m sctp --dport 1000:2000'],
  ['-A INPUT -p sctp -m sctp ! --sport 5 ! --dport 6:7', '-A INPUT -p sctp -m sctp ! --sport 5 ! --dport 6:7'],
  ['-A INPUT -p sctp -m sctp --source-port 80 --destination-port 90', '-A INPUT -p sctp -m sctp --sport 80 --dport 90'],
  ['-A INPUT -p sctp -m sctp --dport :100', '-A INPUT -p sctp -m sctp --dport 0:100'],
  ['-A INPUT -p sctp -m sctp --dport 100:', '-A INPUT -p sctp -m sctp --dport 100:65535'],
  ['-A INPUT -p sctp -m sctp --dport 0:65535', '-A INPUT -p sctp -m sctp --dport 0:65535'],
  ['-A INPUT -p sctp -m sctp --sport 1: --dport :2', '-A INPUT -p sctp -m sctp --sport 1:65535 --dport 0:2'],
  ['-A INPUT -p sctp -m sctp --sport 0', '-A INPUT -p sctp -m sctp --sport 0'],
  ['-A INPUT -p sctp -m sctp --dport 5:5', '-A INPUT -p sctp -m sctp --dport 5'],
  ['-A INPUT -p sctp -m sctp --chunk-types all INIT', '-A INPUT -p sctp -m sctp --chunk-types all INIT'],
  ['-A INPUT -p sctp -m sctp --chunk-types any INIT,INIT_ACK', '-A INPUT -p sctp -m sctp --chunk-types any INIT,INIT_ACK'],
  ['-A INPUT -p sctp -m sctp --chunk-types only DATA,SACK', '-A INPUT -p sctp -m sctp --chunk-types only DATA,SACK'],
  ['-A INPUT -p sctp -m sctp ! --chunk-types any ABORT', '-A INPUT -p sctp -m sctp ! --chunk-types any ABORT'],
  ['-A INPUT -p sctp -m sctp --chunk-types all DATA:UBE', '-A INPUT -p sctp -m sctp --chunk-types all DATA:UBE'],
  ['-A INPUT -p sctp -m sctp --chunk-types all DATA:ube', '-A INPUT -p sctp -m sctp --chunk-types all DATA:ube'],
  ['-A INPUT -p sctp -m sctp --chunk-types all DATA:I', '-A INPUT -p sctp -m sctp --chunk-types all DATA:I'],
  ['-A INPUT -p sctp -m sctp --chunk-types all ABORT:T,SHUTDOWN_COMPLETE:t', '-A INPUT -p sctp -m sctp --chunk-types all ABORT:T,SHUTDOWN_COMPLETE:t'],
  [
    '-A INPUT -p sctp -m sctp --chunk-types any DATA,INIT,INIT_ACK,SACK,HEARTBEAT,HEARTBEAT_ACK,ABORT,SHUTDOWN,SHUTDOWN_ACK,ERROR,COOKIE_ECHO,COOKIE_ACK,ECN_ECNE,ECN_CWR,SHUTDOWN_COMPLETE,I_DATA,RE_CONFIG,PAD,ASCONF,ASCONF_ACK,FORWARD_TSN,I_FORWARD_TSN',
    '-A INPUT -p sctp -m sctp --chunk-types any DATA,INIT,INIT_ACK,SACK,HEARTBEAT,HEARTBEAT_ACK,ABORT,SHUTDOWN,SHUTDOWN_ACK,ERROR,COOKIE_ECHO,COOKIE_ACK,ECN_ECNE,ECN_CWR,SHUTDOWN_COMPLETE,I_DATA,ASCONF_ACK,RE_CONFIG,PAD,FORWARD_TSN,ASCONF,I_FORWARD_TSN',
  ],
  ['-A INPUT -p sctp -m sctp --chunk-types any ALL', '-A INPUT -p sctp -m sctp --chunk-types any ALL'],
  ['-A INPUT -p sctp -m sctp --chunk-types any NONE', '-A INPUT -p sctp -m sctp --chunk-types any NONE'],
  ['-A INPUT -p sctp -m sctp --chunk-types all ALL', '-A INPUT -p sctp -m sctp --chunk-types all ALL'],
  ['-A INPUT -p sctp -m sctp --chunk-types only NONE', '-A INPUT -p sctp -m sctp --chunk-types only NONE'],
  ['-A INPUT -p sctp -m sctp --chunk-types any init', '-A INPUT -p sctp -m sctp --chunk-types any INIT'],
  ['-A INPUT -p sctp -m sctp --chunk-types any DATA:UU', '-A INPUT -p sctp -m sctp --chunk-types any DATA:U'],
  ['-A INPUT -p sctp -m sctp --sport 1 --dport 2 --chunk-types any INIT', '-A INPUT -p sctp -m sctp --sport 1 --dport 2 --chunk-types any INIT'],
  ['-A INPUT -p sctp -m sctp --chunk-types any INIT --dport 2 --sport 1', '-A INPUT -p sctp -m sctp --sport 1 --dport 2 --chunk-types any INIT'],
  ['-A INPUT -p 132 -m sctp --dport 1', '-A INPUT -p sctp -m sctp --dport 1'],
  ['-A INPUT -p sctp --dport 1', '-A INPUT -p sctp -m sctp --dport 1'],
  ['-A INPUT -p sctp -m sctp', '-A INPUT -p sctp -m sctp'],
  ['-A INPUT -p sctp -m sctp --chunk-types any DATA,DATA', '-A INPUT -p sctp -m sctp --chunk-types any DATA'],
  ['-A INPUT -p sctp -m sctp --chunk-types any DATA:B,DATA:E', '-A INPUT -p sctp -m sctp --chunk-types any DATA:BE'],
  ['-A INPUT -p sctp -m sctp --chunk-types any INIT,', '-A INPUT -p sctp -m sctp --chunk-types any INIT'],
  ['-A INPUT -p sctp -m sctp --chunk-types any ""', '-A INPUT -p sctp -m sctp --chunk-types any NONE'],
  ['-A INPUT -p sctp -m sctp --chunk-types only INIT,DATA:U', '-A INPUT -p sctp -m sctp --chunk-types only DATA:U,INIT'],
  ['-A INPUT -p sctp -m sctp --chunk-types all INIT ! --dport 5', '-A INPUT -p sctp -m sctp ! --dport 5 --chunk-types all INIT'],
  ['-A INPUT -p sctp -m sctp --chunk-types any DATA:UBEI', '-A INPUT -p sctp -m sctp --chunk-types any DATA:IUBE'],
  ['-A INPUT -p sctp -m sctp --chunk-types any I_DATA:I', '-A INPUT -p sctp -m sctp --chunk-types any I_DATA'],
  ['-A INPUT -p sctp -m sctp --chunk-types any PAD', '-A INPUT -p sctp -m sctp --chunk-types any PAD'],
  ['-A INPUT -p sctp -m sctp --chunk-types any ABORT:t', '-A INPUT -p sctp -m sctp --chunk-types any ABORT:t'],
  ['-A INPUT -p sctp -m sctp --chunk-types any DATA:ue', '-A INPUT -p sctp -m sctp --chunk-types any DATA:ue'],
  ['-A INPUT -p sctp -m sctp --chunk-types ONLY DATA', '-A INPUT -p sctp -m sctp --chunk-types only DATA'],
  ['-A INPUT -p sctp -m sctp --chunk-types any ECN_ECNE,ECN_CWR', '-A INPUT -p sctp -m sctp --chunk-types any ECN_ECNE,ECN_CWR'],
  ['-A INPUT -p sctp -m multiport --dports 1,2', '-A INPUT -p sctp -m multiport --dports 1,2'],
  ['-A INPUT -p sctp -m sctp --dport 1 -m sctp --sport 2', '-A INPUT -p sctp -m sctp --dport 1 -m sctp --sport 2'],
  ['-A INPUT -p sctp -m sctp ! --chunk-types only INIT', '-A INPUT -p sctp -m sctp ! --chunk-types only INIT'],
  ['-A INPUT -p sctp -m sctp --dport 1 -j REJECT', '-A INPUT -p sctp -m sctp --dport 1 -j REJECT --reject-with icmp-port-unreachable'],
  [
    '-A INPUT -p sctp -m sctp --chunk-types any DATA:U,ABORT:T,SHUTDOWN_COMPLETE:T,I_DATA:I,DATA:B',
    '-A INPUT -p sctp -m sctp --chunk-types any DATA:UB,ABORT:T,SHUTDOWN_COMPLETE:T,I_DATA',
  ],
  [
    '-A INPUT -p sctp -m sctp --chunk-types any DATA:U,ABORT:T,SHUTDOWN_COMPLETE:T,I_DATA:I,ABORT:t',
    '-A INPUT -p sctp -m sctp --chunk-types any DATA:U,ABORT:T,SHUTDOWN_COMPLETE:T,I_DATA',
  ],
  [
    '-A INPUT -p sctp -m sctp --chunk-types any DATA:U,ABORT:T,SHUTDOWN_COMPLETE:T,I_DATA:I,I_FORWARD_TSN',
    '-A INPUT -p sctp -m sctp --chunk-types any DATA:U,ABORT:T,SHUTDOWN_COMPLETE:T,I_DATA,I_FORWARD_TSN',
  ],
  ['-A INPUT -p sctp -m sctp --chunk-types any INIT:-', '-A INPUT -p sctp -m sctp --chunk-types any INIT:-'],
  ['-A INPUT -p sctp -m sctp --chunk-types ALL DATA', '-A INPUT -p sctp -m sctp --chunk-types all DATA'],
  ['-A INPUT -p sctp -m sctp --chunk-types all all', '-A INPUT -p sctp -m sctp --chunk-types all ALL'],
  ['-A INPUT -p sctp -m sctp --chunk-types any none', '-A INPUT -p sctp -m sctp --chunk-types any NONE'],
];

/** [rule, the start of iptables' message (or the kernel's reason, for an empty one)]. */
const BAD: Array<[string, string]> = [
  ['-A INPUT -p sctp -m sctp --dport 2000:1000', 'invalid portrange (min > max)'],
  ['-A INPUT -p sctp -m sctp --dport http', "invalid port/service `http' specified"],
  ['-A INPUT -p sctp -m sctp --dport sctp', "invalid port/service `sctp' specified"],
  ['-A INPUT -p sctp -m sctp --sport 65536', "invalid port/service `65536' specified"],
  ['-A INPUT -p sctp -m sctp --chunk-types any FOO', "Unknown sctp chunk `FOO'"],
  ['-A INPUT -p sctp -m sctp --chunk-types any PAD,AUTH', "Unknown sctp chunk `AUTH'"],
  ['-A INPUT -p sctp -m sctp --chunk-types any 0x01', "Unknown sctp chunk `0x01'"],
  ['-A INPUT -p sctp -m sctp --chunk-types any ALL,DATA', "Unknown sctp chunk `ALL'"],
  ['-A INPUT -p sctp -m sctp --chunk-types foo INIT', 'Match type has to be one of "ALL", "ANY" or "ONLY"'],
  ['-A INPUT -p sctp -m sctp --chunk-types any INIT:U', 'Invalid flags for chunk type 1'],
  ['-A INPUT -p sctp -m sctp --chunk-types any DATA:X', 'Invalid flags for chunk type 0'],
  ['-A INPUT -p sctp -m sctp --chunk-types any ASCONF:U', 'Invalid flags for chunk type 18'],
  ['-A INPUT -p sctp -m sctp --chunk-types any HEARTBEAT:T', 'Invalid flags for chunk type 4'],
  ['-A INPUT -p sctp -m sctp --chunk-types any INIT --chunk-types any DATA', "Only one `--chunk-types' allowed"],
  ['-A INPUT -p sctp -m sctp --sport 1 --sport 2', "Only one `--source-port' allowed"],
  ['-A INPUT -p sctp -m sctp --chunk-types any', '--chunk-types requires two args'],
  ['-A INPUT -m sctp --sport 1', 'sctp match: only valid for protocol 132'],
  ['-A INPUT -p tcp -m sctp --sport 1', 'sctp match: only valid for protocol 132'],
  ['-A INPUT ! -p sctp -m sctp --sport 1', 'sctp match: only valid for protocol 132'],
  ['-A INPUT -p sctp -m sctp --dport 1 -j REJECT --reject-with tcp-reset', 'TCP_RESET invalid for non-tcp'],
];

describe('sctp match: iptables-save text', () => {
  it.each(ROWS)('%s', (rule, expected) => {
    expect(save(rule)).toBe(expected);
  });
  it('ip6tables', () => {
    expect(save('-A INPUT -p sctp -m sctp --sport 1000 --chunk-types only DATA:Ub,SACK', Family.V6)).toBe(
      '-A INPUT -p sctp -m sctp --sport 1000 --chunk-types only DATA:Ub,SACK',
    );
    expect(save('-A INPUT -p 132 -m sctp ! --chunk-types all INIT', Family.V6)).toBe('-A INPUT -p sctp -m sctp ! --chunk-types all INIT');
    expect(save('-A INPUT -m sctp --dport 1', Family.V6)).toContain('sctp match: only valid for protocol 132');
  });
  it.each(BAD)('refuses %s', (rule, message) => {
    const out = save(rule);
    expect(out.startsWith('ERR ')).toBe(true);
    expect(out).toContain(message);
  });
});

const DATA = 0;
const INIT = 1;
const SACK = 3;
const ABORT = 6;
const ch = (type: number, flags = 0, n = 4): SctpChunk => ({ type, flags, value: new Uint8Array(n) });

function pkt(chunks: SctpChunk[], sport = 5000, dport = 36412): Skb {
  return skbOf(ipv4({ src: '192.0.2.10', dst: '198.51.100.1' }, sctp({ sport, dport, vtag: 7, chunks })));
}

function config(text: string) {
  return sctpMatch.parse(usesOf(sctpMatch, text), parseCtx(132));
}

describe('sctp match: packets (xt_sctp)', () => {
  it('ports, with and without !', () => {
    const p = pkt([ch(DATA)]);
    expect(run(sctpMatch, config('--dport 36412'), p).matched).toBe(true);
    expect(run(sctpMatch, config('--dport 36000:36411'), p).matched).toBe(false);
    expect(run(sctpMatch, config('! --dport 36000:36411 --sport 5000'), p).matched).toBe(true);
    expect(run(sctpMatch, config('! --sport 5000'), p).matched).toBe(false);
  });
  it('any, all and only over the chunk walk', () => {
    const p = pkt([ch(DATA, 3), ch(SACK)]);
    expect(run(sctpMatch, config('--chunk-types any INIT,SACK'), p).matched).toBe(true);
    expect(run(sctpMatch, config('--chunk-types any INIT'), p).matched).toBe(false);
    expect(run(sctpMatch, config('--chunk-types all DATA,SACK'), p).matched).toBe(true);
    expect(run(sctpMatch, config('--chunk-types all DATA,SACK,INIT'), p).matched).toBe(false);
    expect(run(sctpMatch, config('--chunk-types only DATA,SACK,INIT'), p).matched).toBe(true);
    expect(run(sctpMatch, config('--chunk-types only DATA'), p).matched).toBe(false);
    expect(run(sctpMatch, config('! --chunk-types only DATA'), p).matched).toBe(true);
    expect(run(sctpMatch, config('--chunk-types only NONE'), p).matched).toBe(false);
    expect(run(sctpMatch, config('--chunk-types all NONE'), p).matched).toBe(true);
    expect(run(sctpMatch, config('--chunk-types any ALL'), p).matched).toBe(true);
  });
  it('flags: upper case set, lower case clear; I_DATA flags land on type 15', () => {
    const p = pkt([ch(DATA, 0x03)]); // B and E
    expect(run(sctpMatch, config('--chunk-types any DATA:BE'), p).matched).toBe(true);
    expect(run(sctpMatch, config('--chunk-types any DATA:Bu'), p).matched).toBe(true);
    expect(run(sctpMatch, config('--chunk-types any DATA:U'), p).matched).toBe(false);
    expect(run(sctpMatch, config('--chunk-types any DATA:e'), p).matched).toBe(false);
    const a = pkt([ch(ABORT, 1)]);
    expect(run(sctpMatch, config('--chunk-types any ABORT:T'), a).matched).toBe(true);
    expect(run(sctpMatch, config('--chunk-types any ABORT:t'), a).matched).toBe(false);
    const i = pkt([ch(64, 0)]);
    expect(run(sctpMatch, config('--chunk-types any I_DATA:I'), i).matched).toBe(true);
    expect(run(sctpMatch, config('--chunk-types all ALL'), i).matched).toBe(false);
  });
  it('drops a chunk of length 0 or cut short, and a header shorter than 12 bytes, when it must read them', () => {
    const zero = pkt([ch(DATA), { type: SACK, length: 0, value: new Uint8Array(4) }]);
    expect(run(sctpMatch, config('--chunk-types any SACK'), zero)).toEqual({ matched: false, hotdrop: true });
    // Only the port options: no walk, no drop.
    expect(run(sctpMatch, config('--dport 36412'), zero)).toEqual({ matched: true, hotdrop: false });
    // A match on the first chunk ends the walk before the bad one.
    expect(run(sctpMatch, config('--chunk-types any DATA'), zero)).toEqual({ matched: true, hotdrop: false });
    const noChunks = pkt([]);
    expect(run(sctpMatch, config('--chunk-types any DATA'), noChunks)).toEqual({ matched: false, hotdrop: true });
    const short = skbOf(truncate(ipv4({ src: '192.0.2.10', dst: '198.51.100.1' }, sctp({ sport: 1, dport: 2, vtag: 0, chunks: [ch(INIT, 0, 16)] })), 30));
    expect(run(sctpMatch, config('--dport 2'), short)).toEqual({ matched: false, hotdrop: true });
  });
  it('IPv6 packets', () => {
    const p = skb6(
      ipv6({ src: '2001:db8:2::10', dst: '2001:db8:100::1' }, sctp({ sport: 1, dport: 2, vtag: 0, chunks: [{ type: INIT, value: sctpInit(5) }] })),
    );
    expect(p.family).toBe(Family.V6);
    expect(run(sctpMatch, config('--dport 2 --chunk-types only INIT'), p).matched).toBe(true);
  });
});

describe('SCTP checksum (CRC32c)', () => {
  it('matches RFC 3720 check value and what the builder stores', () => {
    // RFC 3720 B.4: the CRC32c of 32 zero bytes is stored as aa 36 91 8a.
    expect(sctpChecksum(new Uint8Array(32), 0, 32)).toBe(0x8a9136aa);
    const b = sctp({ sport: 1, dport: 2, vtag: 3, chunks: [ch(DATA)] }).bytes;
    expect(sctpStoredChecksum(b, 0)).toBe(sctpChecksum(b, 0, b.length));
  });
});
