import { describe, expect, it } from 'vitest';
import { ipv4, tcp, udp } from '../../packet/build.js';
import { multiportMatch } from './multiport.js';
import { checkCtx, parseCtx, parseError, roundTrip, run, skbOf, truncate, usesOf } from './test-util.js';

// [protocol, input, iptables-save 1.8.9 text after `-m multiport`]
const ROWS: Array<[number, string, string]> = [
  [6, '--dports 22,80,443', '--dports 22,80,443'],
  [6, '--dports ssh,http', '--dports 22,80'],
  [6, '--sports 1024:65535', '--sports 1024:65535'],
  [6, '--ports 53', '--ports 53'],
  [6, '! --dports 22,80', '! --dports 22,80'],
  [17, '--dports 53,123:125', '--dports 53,123:125'],
  [17, '--dports domain,bootps', '--dports 53,67'],
  [6, '--destination-ports 22', '--dports 22'],
  [6, '--source-ports 22', '--sports 22'],
  [6, '--dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15', '--dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15'],
  [6, '--dports 1:2,3,4,5,6,7,8,9,10,11,12,13,14,15', '--dports 1:2,3,4,5,6,7,8,9,10,11,12,13,14,15'],
  [6, '--dports 22,22', '--dports 22,22'],
  [6, '--dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14:15', '--dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14:15'],
  [6, '--dports 0:65535', '--dports 0:65535'],
  [6, '--ports 22:80,443', '--ports 22:80,443'],
  [6, '! --ports 22:80,443', '! --ports 22:80,443'],
  [6, '--dports 80,22', '--dports 80,22'],
  [6, "--dports ' 22'", '--dports 22'],
  [6, '--dports 0x16,http', '--dports 22,80'],
  [132, '--dports 22', '--dports 22'],
  [132, '--dports amqp', '--dports 5672'],
  [33, '--dports 22', '--dports 22'],
  [136, '--dports 22', '--dports 22'],
];

const BAD: Array<[number, string, string, boolean?]> = [
  [6, '--dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16', 'too many ports specified'],
  [6, '--dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15:16', 'too many ports specified'],
  [6, '--dports 22 --sports 80', 'multiport: option "--source-ports" cannot be used together with "--destination-ports".'],
  [6, '! --sports 22 ! --dports 22', 'multiport: option "--destination-ports" cannot be used together with "--source-ports".'],
  [6, '--dports 22 --dports 80', 'multiport: option "--destination-ports" can only be used once.'],
  [6, '', 'multiport expection an option'],
  [0, '--dports 22', "multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'"],
  [6, '--dports 22', 'multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP', true],
  [1, '--dports 22', 'multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP'],
  [6, '--dports 80:22', 'invalid portrange specified'],
  [6, '--dports 22:22', 'invalid portrange specified'],
  [6, '--dports :80', "invalid port/service `' specified"],
  [6, '--dports 80:', "invalid port/service `' specified"],
  [6, '--dports 22,', "invalid port/service `' specified"],
  [6, '--dports ,22', "invalid port/service `' specified"],
  [6, '--dports sshh', "invalid port/service `sshh' specified"],
  [17, '--dports ssh', "invalid port/service `ssh' specified"],
  [17, '--dports ftp', "invalid port/service `ftp' specified"],
  [6, '--dports bootps', "invalid port/service `bootps' specified"],
  [132, '--dports http', "invalid port/service `http' specified"],
  [136, '--dports domain', "invalid port/service `domain' specified"],
  [33, '--dports domain', "invalid port/service `domain' specified"],
];

describe('multiport: parse -> save (iptables-save 1.8.9)', () => {
  it.each(ROWS)('-p %i %s', (proto, input, saved) => expect(roundTrip(multiportMatch, input, proto)).toBe(saved));
});

describe('multiport: refusals', () => {
  it.each(BAD)('-p %i %s', (proto, input, err, inv) => expect(parseError(multiportMatch, input, proto, inv ?? false)).toContain(err));
  it('check refuses other or inverted protocols', () => {
    const c = multiportMatch.parse(usesOf(multiportMatch, '--dports 22'), parseCtx(6));
    expect(() => multiportMatch.check!(c, checkCtx(2, 6))).not.toThrow();
    expect(() => multiportMatch.check!(c, checkCtx(2, 6, true))).toThrow('multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP');
    expect(() => multiportMatch.check!(c, checkCtx(2, 47))).toThrow('multiport only works');
  });
});

describe('multiport: matching', () => {
  const cfg = (t: string, proto = 6) => multiportMatch.parse(usesOf(multiportMatch, t), parseCtx(proto));
  const tp = (sport: number, dport: number) => skbOf(ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, tcp({ sport, dport })));
  it('lists, ranges, sides and inversion', () => {
    expect(run(multiportMatch, cfg('--dports 22,80,443'), tp(40000, 80)).matched).toBe(true);
    expect(run(multiportMatch, cfg('--dports 22,80,443'), tp(80, 40000)).matched).toBe(false);
    expect(run(multiportMatch, cfg('--sports 22,80,443'), tp(80, 40000)).matched).toBe(true);
    expect(run(multiportMatch, cfg('--ports 22,80,443'), tp(80, 40000)).matched).toBe(true);
    expect(run(multiportMatch, cfg('--ports 22,80,443'), tp(40000, 443)).matched).toBe(true);
    expect(run(multiportMatch, cfg('--dports 1000:2000,22'), tp(1, 1500)).matched).toBe(true);
    expect(run(multiportMatch, cfg('--dports 1000:2000,22'), tp(1, 2001)).matched).toBe(false);
    expect(run(multiportMatch, cfg('--dports 1000:2000,22'), tp(1, 22)).matched).toBe(true);
    expect(run(multiportMatch, cfg('! --dports 1000:2000,22'), tp(1, 22)).matched).toBe(false);
    expect(run(multiportMatch, cfg('! --dports 1000:2000,22'), tp(1, 23)).matched).toBe(true);
    const u = skbOf(ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, udp({ sport: 5353, dport: 53 })));
    expect(run(multiportMatch, cfg('--dports 53,123', 17), u).matched).toBe(true);
  });
  it('needs only the 4 port bytes; fewer hotdrops a first fragment', () => {
    const p = ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, tcp({ sport: 1, dport: 22 }));
    expect(run(multiportMatch, cfg('--dports 22'), skbOf(truncate(p, 24)))).toEqual({ matched: true, hotdrop: false });
    expect(run(multiportMatch, cfg('--dports 22'), skbOf(truncate(p, 23)))).toEqual({ matched: false, hotdrop: true });
  });
  it('never matches later fragments', () => {
    const f = skbOf(ipv4({ src: '192.0.2.1', dst: '192.0.2.2', fragoff: 1, proto: 6 }, { proto: 6, bytes: new Uint8Array(8) }));
    expect(run(multiportMatch, cfg('! --dports 22'), f)).toEqual({ matched: false, hotdrop: false });
  });
});
