import { describe, expect, it } from 'vitest';
import { ipv4, ipv6, raw, tcp, udp } from '../../packet/build.js';
import { Skb } from '../types.js';
import { tcpMatch } from './tcp.js';
import { udpMatch } from './udp.js';
import { checkCtx, params, parseError, roundTrip, run, skbOf, truncate, usesOf, parseCtx } from './test-util.js';
import { CheckError, hookBits } from '../xt.js';
import { Hook } from '../types.js';

// Input options -> what iptables-save 1.8.9 printed after `-p tcp -m tcp`.
const TCP_ROWS: Array<[string, string]> = [
  ['--dport 22', '--dport 22'],
  ['--dport ssh', '--dport 22'],
  ['--sport http', '--sport 80'],
  ['--dport domain', '--dport 53'],
  ['--dport www', '--dport 80'],
  ['--dport https', '--dport 443'],
  ['--dport amqp', '--dport 5672'],
  ['--dport webcache', '--dport 8080'],
  ['--dport sink', '--dport 9'],
  ['! --dport 22', '! --dport 22'],
  ['--dport 22:80', '--dport 22:80'],
  ['--dport :80', '--dport 0:80'],
  ['--dport 80:', '--dport 80:65535'],
  ['--dport 0:65535', ''],
  ['--dport 1:65535', '--dport 1:65535'],
  ['--dport 22:22', '--dport 22'],
  ['--dport ssh:http', '--dport 22:80'],
  ['--dport 0x16', '--dport 22'],
  ['--dport 022', '--dport 18'],
  ['--dport " 22"', '--dport 22'],
  ['--sport +22', '--sport 22'],
  ['--dport 0', '--dport 0'],
  ['--sport :', ''],
  ['--sport 5:', '--sport 5:65535'],
  ['--sport :0', '--sport 0'],
  ['--sport 0:', ''],
  ['--sport 1:65535 --dport 0:65535', '--sport 1:65535'],
  ['--sport 1:1024 --dport 22', '--sport 1:1024 --dport 22'],
  ['--dport 22 --sport 1:1024', '--sport 1:1024 --dport 22'],
  ['--destination-port 22', '--dport 22'],
  ['--source-port 22', '--sport 22'],
  ['--syn', '--tcp-flags FIN,SYN,RST,ACK SYN'],
  ['! --syn', '! --tcp-flags FIN,SYN,RST,ACK SYN'],
  ['--tcp-flags SYN,ACK SYN', '--tcp-flags SYN,ACK SYN'],
  ['--tcp-flags ALL NONE', '--tcp-flags FIN,SYN,RST,PSH,ACK,URG NONE'],
  ['--tcp-flags ALL ALL', '--tcp-flags FIN,SYN,RST,PSH,ACK,URG FIN,SYN,RST,PSH,ACK,URG'],
  ['--tcp-flags ALL SYN,ACK', '--tcp-flags FIN,SYN,RST,PSH,ACK,URG SYN,ACK'],
  ['! --tcp-flags SYN,ACK SYN', '! --tcp-flags SYN,ACK SYN'],
  ['--tcp-flags syn,ack syn', '--tcp-flags SYN,ACK SYN'],
  ['--tcp-flags ACK,SYN SYN', '--tcp-flags SYN,ACK SYN'],
  ['--tcp-flags fin,SYN,ack,RST,PSH,URG SYN', '--tcp-flags FIN,SYN,RST,PSH,ACK,URG SYN'],
  ['--tcp-flags ALL,SYN SYN', '--tcp-flags FIN,SYN,RST,PSH,ACK,URG SYN'],
  ['--tcp-flags NONE,SYN SYN', '--tcp-flags SYN SYN'],
  ['--tcp-flags SYN, SYN', '--tcp-flags SYN SYN'],
  ["--tcp-flags SYN ''", '--tcp-flags SYN NONE'],
  ['--tcp-flags NONE NONE', ''],
  ['--tcp-flags SYN,SYN SYN', '--tcp-flags SYN SYN'],
  ['--tcp-flags SYN ACK', '--tcp-flags SYN ACK'],
  ['--tcp-option 2', '--tcp-option 2'],
  ['! --tcp-option 2', '! --tcp-option 2'],
  ['--tcp-option 255', '--tcp-option 255'],
  ['--tcp-option 0x2', '--tcp-option 2'],
  ['--dport 22 --syn --sport 1000 --tcp-option 3', '--sport 1000 --dport 22 --tcp-option 3 --tcp-flags FIN,SYN,RST,ACK SYN'],
  ['! --sport 1:1024 ! --dport 22 ! --tcp-flags SYN SYN ! --tcp-option 5', '! --sport 1:1024 ! --dport 22 ! --tcp-option 5 ! --tcp-flags SYN SYN'],
  ['', ''],
];

// Input options -> the start of the refusal (iptables' own words).
const TCP_BAD: Array<[string, string]> = [
  ['--dport 80:22', 'invalid portrange (min > max)'],
  ['--dport sshh', "invalid port/service `sshh' specified; expected a number 0-65535 or a service name"],
  ['--dport 65536', "invalid port/service `65536' specified"],
  ['--dport -1', "invalid port/service `-1' specified"],
  ['--sport -0', "invalid port/service `-0' specified"],
  ['--sport 0x', "invalid port/service `0x' specified"],
  ['--sport 22x', "invalid port/service `22x' specified"],
  ['--dport SSH', "invalid port/service `SSH' specified"],
  ['--dport bootps', "invalid port/service `bootps' specified"],
  ['--dport fsp', "invalid port/service `fsp' specified"],
  ['--dport 22,23', "invalid port/service `22,23' specified"],
  ['--dport 1:2:3', "invalid port/service `2:3' specified"],
  ["--dport ''", "invalid port/service `' specified"],
  ['--dport 22 --dport 23', "Only one `--destination-port' allowed"],
  ['--sport 22 --source-port 23', "Only one `--source-port' allowed"],
  ['--tcp-flags SYN,FOO SYN', "Unknown TCP flag `FOO'"],
  ['--tcp-flags ECE SYN', "Unknown TCP flag `ECE'"],
  ['--syn --tcp-flags SYN SYN', "Only one of `--syn' or `--tcp-flags'  allowed"],
  ['--tcp-flags SYN', '--tcp-flags requires two args.'],
  ['--tcp-option 256', 'Bad TCP option "256"'],
  ['--tcp-option 0', 'Bad TCP option "0"'],
  ['--tcp-option x', 'Bad TCP option "x"'],
  ['--tcp-option 2x', 'Bad TCP option "2x"'],
  ['--tcp-option 2 --tcp-option 3', "Only one `--tcp-option' allowed"],
];

const UDP_ROWS: Array<[string, string]> = [
  ['--dport 53', '--dport 53'],
  ['--dport domain', '--dport 53'],
  ['--sport 1:1024 ! --dport 53:54', '--sport 1:1024 ! --dport 53:54'],
  ['--dport 0:65535', ''],
  ['--dport ntp', '--dport 123'],
  ['--dport snmp', '--dport 161'],
  ['--dport bootps', '--dport 67'],
  ['--dport bootpc', '--dport 68'],
  // iptables resolves udp port names through the tcp entries too.
  ['--dport ssh', '--dport 22'],
  ['--dport http', '--dport 80'],
  ['--dport fsp', '--dport 21'],
  ['--dport ftp', '--dport 21'],
];

describe('tcp: parse -> save (iptables-save 1.8.9)', () => {
  it.each(TCP_ROWS)('%s', (input, saved) => {
    expect(roundTrip(tcpMatch, input, 6)).toBe(saved);
  });
});

describe('tcp: refusals', () => {
  it.each(TCP_BAD)('%s', (input, err) => {
    expect(parseError(tcpMatch, input, 6)).toContain(err);
  });
});

describe('udp: parse -> save', () => {
  it.each(UDP_ROWS)('%s', (input, saved) => {
    expect(roundTrip(udpMatch, input, 17)).toBe(saved);
  });
  it('refuses what iptables refuses', () => {
    expect(parseError(udpMatch, '--dport sshh', 17)).toContain("invalid port/service `sshh' specified");
    expect(parseError(udpMatch, '--dport 53 --dport 53', 17)).toContain("Only one `--destination-port' allowed");
    expect(parseError(udpMatch, '--dport 80:22', 17)).toContain('invalid portrange (min > max)');
    expect(() => usesOf(udpMatch, '--syn')).toThrow();
  });
});

describe('tcp/udp: the kernel wants the protocol, not inverted', () => {
  const all = hookBits(Hook.LocalIn);
  it.each([
    [tcpMatch, 6, 'tcp match: only valid for protocol 6'],
    [udpMatch, 17, 'udp match: only valid for protocol 17'],
  ] as const)('%s', (m, proto, msg) => {
    const c = (m as typeof tcpMatch).parse(usesOf(m, '--dport 22'), parseCtx(proto));
    expect(() => (m as typeof tcpMatch).check!(c, checkCtx(all, proto))).not.toThrow();
    expect(() => (m as typeof tcpMatch).check!(c, checkCtx(all, 0))).toThrow(CheckError);
    expect(() => (m as typeof tcpMatch).check!(c, checkCtx(all, proto === 6 ? 17 : 6))).toThrow(msg);
    expect(() => (m as typeof tcpMatch).check!(c, checkCtx(all, proto, true))).toThrow(msg);
  });
});

const SRC = '192.0.2.10';
const DST = '198.51.100.7';

function tcpPkt(f: Parameters<typeof tcp>[0], ip: Partial<Parameters<typeof ipv4>[0]> = {}) {
  return ipv4({ src: SRC, dst: DST, ...ip }, tcp(f));
}

function tcpCfg(text: string) {
  return tcpMatch.parse(usesOf(tcpMatch, text), parseCtx(6));
}

describe('tcp: matching', () => {
  it('ports and ranges, with inversion', () => {
    const p = skbOf(tcpPkt({ sport: 40000, dport: 22 }));
    expect(run(tcpMatch, tcpCfg('--dport 22'), p).matched).toBe(true);
    expect(run(tcpMatch, tcpCfg('--dport 23'), p).matched).toBe(false);
    expect(run(tcpMatch, tcpCfg('! --dport 23'), p).matched).toBe(true);
    expect(run(tcpMatch, tcpCfg('--sport 1024: --dport 1:22'), p).matched).toBe(true);
    expect(run(tcpMatch, tcpCfg('! --sport 1024: --dport 22'), p).matched).toBe(false);
  });

  it('flags: --syn matches a SYN only', () => {
    const syn = tcpCfg('--syn');
    expect(run(tcpMatch, syn, skbOf(tcpPkt({ sport: 1, dport: 2, flags: 'S' }))).matched).toBe(true);
    expect(run(tcpMatch, syn, skbOf(tcpPkt({ sport: 1, dport: 2, flags: 'SA' }))).matched).toBe(false);
    expect(run(tcpMatch, syn, skbOf(tcpPkt({ sport: 1, dport: 2, flags: 'SE' }))).matched).toBe(true);
    expect(run(tcpMatch, tcpCfg('! --syn'), skbOf(tcpPkt({ sport: 1, dport: 2, flags: 'A' }))).matched).toBe(true);
    expect(run(tcpMatch, tcpCfg('--tcp-flags ALL NONE'), skbOf(tcpPkt({ sport: 1, dport: 2, flags: 0 }))).matched).toBe(true);
    // comp outside mask never matches
    expect(run(tcpMatch, tcpCfg('--tcp-flags SYN ACK'), skbOf(tcpPkt({ sport: 1, dport: 2, flags: 'SA' }))).matched).toBe(false);
  });

  it('tcp-option walks the options', () => {
    // MSS (2, len 4), NOP, NOP, SACK-permitted (4, len 2) , window scale (3, len 3), EOL
    const opts = Uint8Array.from([2, 4, 5, 0xb4, 1, 1, 4, 2, 3, 3, 7, 0]);
    const p = skbOf(tcpPkt({ sport: 1, dport: 2, options: opts }));
    for (const k of [2, 4, 3, 1]) {
      expect(run(tcpMatch, tcpCfg(`--tcp-option ${k}`), p).matched).toBe(true);
    }
    expect(run(tcpMatch, tcpCfg('--tcp-option 8'), p).matched).toBe(false);
    expect(run(tcpMatch, tcpCfg('! --tcp-option 8'), p).matched).toBe(true);
    // The value 5 inside the MSS option is not an option kind.
    expect(run(tcpMatch, tcpCfg('--tcp-option 5'), p).matched).toBe(false);
    // No options at all: only the inverted test matches.
    const bare = skbOf(tcpPkt({ sport: 1, dport: 2 }));
    expect(run(tcpMatch, tcpCfg('--tcp-option 2'), bare)).toEqual({ matched: false, hotdrop: false });
    expect(run(tcpMatch, tcpCfg('! --tcp-option 2'), bare)).toEqual({ matched: true, hotdrop: false });
  });

  it('an option of length 0 advances by one byte', () => {
    // kind 3 with length 0: the walk steps one byte, over EOL (0), onto 8
    const p = skbOf(tcpPkt({ sport: 1, dport: 2, options: Uint8Array.from([3, 0, 8, 2]) }));
    expect(run(tcpMatch, tcpCfg('--tcp-option 8'), p).matched).toBe(true);
    // kind 3 with length 3 skips the 8
    const p2 = skbOf(tcpPkt({ sport: 1, dport: 2, options: Uint8Array.from([3, 3, 8, 1]) }));
    expect(run(tcpMatch, tcpCfg('--tcp-option 8'), p2).matched).toBe(false);
    expect(run(tcpMatch, tcpCfg('--tcp-option 1'), p2).matched).toBe(true);
  });

  // nf_tables semantics (iptables-nft translates tcp/udp ports and flags into
  // payload expressions), recorded with the kernel oracle: a field beyond the
  // packet does not match and nothing is hot-dropped; only --tcp-option keeps
  // xt_tcpudp's hotdrop.
  it('a header too short for a field: no match, no hotdrop (nf_tables)', () => {
    const p = skbOf(truncate(tcpPkt({ sport: 1, dport: 22 }), 20 + 10));
    expect(run(tcpMatch, tcpCfg('--dport 22'), p)).toEqual({ matched: true, hotdrop: false });
    expect(run(tcpMatch, tcpCfg('--syn'), p)).toEqual({ matched: false, hotdrop: false });
    // Nothing to translate: the xt match, which drops a header cut short.
    expect(run(tcpMatch, tcpCfg(''), p)).toEqual({ matched: false, hotdrop: true });
    expect(run(tcpMatch, tcpCfg('--sport 0:65535'), p)).toEqual({ matched: false, hotdrop: true });
    expect(run(tcpMatch, tcpCfg('! --dport 0:65535'), p)).toEqual({ matched: true, hotdrop: false });
    const short = skbOf(truncate(tcpPkt({ sport: 1, dport: 22 }), 20 + 19));
    expect(run(tcpMatch, tcpCfg('--tcp-option 2'), short)).toEqual({ matched: false, hotdrop: true });
  });

  it('single ports with the same inversion compare as one word (nf_tables)', () => {
    const at = (sport: number, dport: number) => skbOf(tcpPkt({ sport, dport }));
    expect(run(tcpMatch, tcpCfg('! --sport 1 ! --dport 2'), at(1, 3)).matched).toBe(true);
    expect(run(tcpMatch, tcpCfg('! --sport 1 ! --dport 2'), at(1, 2)).matched).toBe(false);
    expect(run(tcpMatch, tcpCfg('! --sport 1 ! --dport 2'), at(5, 6)).matched).toBe(true);
    expect(run(tcpMatch, tcpCfg('! --sport 1 --dport 2'), at(1, 2)).matched).toBe(false);
  });

  it('hotdrops a bad data offset or options cut short, only when --tcp-option asks', () => {
    const b = tcpPkt({ sport: 1, dport: 22 });
    b[20 + 12] = 4 << 4; // doff 4: 16 bytes, less than a TCP header
    expect(run(tcpMatch, tcpCfg('--dport 22'), skbOf(b))).toEqual({ matched: true, hotdrop: false });
    expect(run(tcpMatch, tcpCfg('--tcp-option 2'), skbOf(b))).toEqual({ matched: false, hotdrop: true });
    const c = tcpPkt({ sport: 1, dport: 22 });
    c[20 + 12] = 8 << 4; // claims 12 option bytes that are not there
    expect(run(tcpMatch, tcpCfg('--tcp-option 2'), skbOf(c))).toEqual({ matched: false, hotdrop: true });
  });

  it('reads a non-first fragment as a header (nf_tables); xt hotdrops offset 1 with --tcp-option', () => {
    const frag = skbOf(ipv4({ src: SRC, dst: DST, fragoff: 2, proto: 6 }, { proto: 6, bytes: new Uint8Array(16) }));
    expect(run(tcpMatch, tcpCfg('! --dport 22'), frag)).toEqual({ matched: true, hotdrop: false });
    expect(run(tcpMatch, tcpCfg('--dport 22'), frag)).toEqual({ matched: false, hotdrop: false });
    const evil = skbOf(ipv4({ src: SRC, dst: DST, fragoff: 1, proto: 6 }, { proto: 6, bytes: new Uint8Array(16) }));
    expect(run(tcpMatch, tcpCfg('--tcp-option 2'), evil)).toEqual({ matched: false, hotdrop: true });
  });

  it('with nothing to translate stays xt_tcpudp: no non-first fragment matches, offset 1 is dropped', () => {
    const frag = skbOf(ipv4({ src: SRC, dst: DST, fragoff: 2, proto: 6 }, { proto: 6, bytes: new Uint8Array(16) }));
    const evil = skbOf(ipv4({ src: SRC, dst: DST, fragoff: 1, proto: 6 }, { proto: 6, bytes: new Uint8Array(16) }));
    for (const text of ['', '--sport 0:65535', '--dport 0:65535 --sport 0:65535', '--tcp-flags NONE NONE']) {
      expect(run(tcpMatch, tcpCfg(text), frag), text).toEqual({ matched: false, hotdrop: false });
      expect(run(tcpMatch, tcpCfg(text), evil), text).toEqual({ matched: false, hotdrop: true });
      expect(run(tcpMatch, tcpCfg(text), skbOf(tcpPkt({ sport: 1, dport: 2 }))).matched, text).toBe(true);
    }
    // Anything translated (even a test of nothing, such as `!` of the full range) is nf_tables.
    for (const text of ['! --dport 0:65535', '! --tcp-flags NONE NONE', '--dport 1:65535']) {
      expect(run(tcpMatch, tcpCfg(text), evil).hotdrop, text).toBe(false);
    }
  });

  it('reads an IPv6 non-first fragment from the IPv6 header itself (nf_tables)', () => {
    const frag6 = new Skb().loadV6(
      ipv6(
        { src: '2001:db8:99::5', dst: '2001:db8:2::10', ext: [{ type: 44, bytes: Uint8Array.of(0, 0, 0, 24, 0, 0, 0, 1) }], rawL4: true },
        raw(6, new Uint8Array(16).fill(0x43)),
      ),
    );
    // Ports are the first four bytes of the IPv6 header (0x6000, 0x0000); byte 13 is a source address byte (0x99).
    expect(run(tcpMatch, tcpCfg('--sport 24576 --dport 0:1'), frag6).matched).toBe(true);
    expect(run(tcpMatch, tcpCfg('--tcp-flags SYN SYN'), frag6).matched).toBe(false);
    expect(run(tcpMatch, tcpCfg('--tcp-flags ALL FIN,PSH,ACK'), frag6).matched).toBe(true);
  });
});

describe('udp: matching', () => {
  const cfg = (t: string) => udpMatch.parse(usesOf(udpMatch, t), parseCtx(17));
  const pkt = (sport: number, dport: number) => ipv4({ src: SRC, dst: DST }, udp({ sport, dport }));
  it('ports', () => {
    expect(run(udpMatch, cfg('--dport 53'), skbOf(pkt(5353, 53))).matched).toBe(true);
    expect(run(udpMatch, cfg('--dport 53 --sport 1:1024'), skbOf(pkt(5353, 53))).matched).toBe(false);
    expect(run(udpMatch, cfg('! --dport 53'), skbOf(pkt(5353, 54))).matched).toBe(true);
  });
  it('reads what the packet holds (nf_tables): no hotdrop, fragments read as headers', () => {
    expect(run(udpMatch, cfg('--dport 53'), skbOf(truncate(pkt(1, 53), 27)))).toEqual({ matched: true, hotdrop: false });
    expect(run(udpMatch, cfg('--dport 53'), skbOf(truncate(pkt(1, 53), 23)))).toEqual({ matched: false, hotdrop: false });
    expect(run(udpMatch, cfg('--sport 1'), skbOf(truncate(pkt(1, 53), 23)))).toEqual({ matched: true, hotdrop: false });
    const frag = skbOf(ipv4({ src: SRC, dst: DST, fragoff: 1, proto: 17 }, { proto: 17, bytes: new Uint8Array(8) }));
    expect(run(udpMatch, cfg('! --dport 53'), frag)).toEqual({ matched: true, hotdrop: false });
  });
  it('with nothing to translate stays xt_tcpudp: no non-first fragment, a short header dropped', () => {
    const frag = skbOf(ipv4({ src: SRC, dst: DST, fragoff: 1, proto: 17 }, { proto: 17, bytes: new Uint8Array(8) }));
    expect(run(udpMatch, cfg(''), frag)).toEqual({ matched: false, hotdrop: false });
    expect(run(udpMatch, cfg('--sport 0:65535'), skbOf(pkt(1, 53)))).toEqual({ matched: true, hotdrop: false });
    expect(run(udpMatch, cfg(''), skbOf(truncate(pkt(1, 53), 27)))).toEqual({ matched: false, hotdrop: true });
  });
  it('an exactly 8-byte header is enough', () => {
    expect(run(udpMatch, cfg('--dport 53'), skbOf(pkt(1, 53))).matched).toBe(true);
  });
  it('a service name known only for udp is refused for tcp', () => {
    expect(parseError(tcpMatch, '--dport ntp', 6)).toContain("invalid port/service `ntp'");
    expect(parseError(tcpMatch, '--dport bootpc', 6)).toContain('invalid port/service');
    expect(roundTrip(udpMatch, '--dport amqp', 17)).toBe('--dport 5672');
  });
});
