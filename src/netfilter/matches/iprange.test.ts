import { describe, expect, it } from 'vitest';
import { ipv4, udp } from '../../packet/build.js';
import { iprangeMatch } from './iprange.js';
import { parseCtx, parseError, roundTrip, run, skbOf, usesOf } from './test-util.js';

const ROWS: Array<[string, string]> = [
  ['--src-range 10.0.0.1-10.0.0.9', '--src-range 10.0.0.1-10.0.0.9'],
  ['! --src-range 10.0.0.1-10.0.0.9', '! --src-range 10.0.0.1-10.0.0.9'],
  ['--dst-range 10.0.0.1-10.0.0.9 --src-range 1.2.3.4-1.2.3.5', '--src-range 1.2.3.4-1.2.3.5 --dst-range 10.0.0.1-10.0.0.9'],
  ['--src-range 10.0.0.9-10.0.0.1', '--src-range 10.0.0.9-10.0.0.1'],
  ['--src-range 10.0.0.1', '--src-range 10.0.0.1-10.0.0.1'],
  ['--src-range 10.1-10.2', '--src-range 10.1.0.0-10.2.0.0'],
  ['--src-range 1-2', '--src-range 1.0.0.0-2.0.0.0'],
  ['--src-range 1.2.3-1.2.3.5', '--src-range 1.2.3.0-1.2.3.5'],
  ['--src-range 010.0.0.1-10.0.0.2', '--src-range 8.0.0.1-10.0.0.2'],
  ['--src-range 0x1.2.3.4-1.2.3.5', '--src-range 1.2.3.4-1.2.3.5'],
  ["--src-range ' 1.2.3.4-1.2.3.5'", '--src-range 1.2.3.4-1.2.3.5'],
  ['! --src-range 1.1.1.1-1.1.1.2 ! --dst-range 2.2.2.2-2.2.2.3', '! --src-range 1.1.1.1-1.1.1.2 ! --dst-range 2.2.2.2-2.2.2.3'],
];

const BAD: Array<[string, string]> = [
  ['--src-range 10.0.0.1-', 'iprange: Bad value for "--src-range" option: ""'],
  ['--src-range 10.0.0.256-10.0.0.3', 'iprange: Bad value for "--src-range" option: "10.0.0.256"'],
  ['--src-range 10.0.0.1/24-10.0.0.3', 'iprange: Bad value for "--src-range" option: "10.0.0.1/24"'],
  ['--src-range localhost-10.0.0.1', 'iprange: Bad value for "--src-range" option: "localhost"'],
  ['--src-range 1.2.3.4-1.2.3.5-1.2.3.6', 'iprange: Bad value for "--src-range" option: "1.2.3.5-1.2.3.6"'],
  ['--src-range 1.2.3.4.5-1.2.3.5', 'iprange: Bad value for "--src-range" option: "1.2.3.4.5"'],
  ['--src-range 1..3.4-1.2.3.5', 'iprange: Bad value for "--src-range" option: "1..3.4"'],
  ['', "iprange match: You must specify `--src-range' or `--dst-range'"],
  ['--src-range 1.1.1.1-1.1.1.2 --src-range 1.1.1.1-1.1.1.3', 'iprange: option "--src-range" can only be used once.'],
];

describe('iprange: parse -> save (iptables-save 1.8.9)', () => {
  it.each(ROWS)('%s', (input, saved) => expect(roundTrip(iprangeMatch, input)).toBe(saved));
});
describe('iprange: refusals', () => {
  it.each(BAD)('%s', (input, err) => expect(parseError(iprangeMatch, input)).toContain(err));
});
describe('iprange: matching', () => {
  const cfg = (t: string) => iprangeMatch.parse(usesOf(iprangeMatch, t), parseCtx());
  const pkt = (src: string, dst: string) => skbOf(ipv4({ src, dst }, udp({ sport: 1, dport: 2 })));
  it('inclusive bounds, inversion, both sides', () => {
    const c = cfg('--src-range 192.0.2.10-192.0.2.20');
    expect(run(iprangeMatch, c, pkt('192.0.2.10', '1.1.1.1')).matched).toBe(true);
    expect(run(iprangeMatch, c, pkt('192.0.2.20', '1.1.1.1')).matched).toBe(true);
    expect(run(iprangeMatch, c, pkt('192.0.2.21', '1.1.1.1')).matched).toBe(false);
    expect(run(iprangeMatch, c, pkt('192.0.2.9', '1.1.1.1')).matched).toBe(false);
    expect(run(iprangeMatch, cfg('! --src-range 192.0.2.10-192.0.2.20'), pkt('192.0.2.9', '1.1.1.1')).matched).toBe(true);
    const both = cfg('--src-range 192.0.2.0-192.0.2.255 ! --dst-range 10.0.0.0-10.255.255.255');
    expect(run(iprangeMatch, both, pkt('192.0.2.1', '11.0.0.1')).matched).toBe(true);
    expect(run(iprangeMatch, both, pkt('192.0.2.1', '10.0.0.1')).matched).toBe(false);
  });
  it('compares unsigned: high addresses work', () => {
    const c = cfg('--dst-range 224.0.0.0-239.255.255.255');
    expect(run(iprangeMatch, c, pkt('1.1.1.1', '239.1.2.3')).matched).toBe(true);
    expect(run(iprangeMatch, c, pkt('1.1.1.1', '240.0.0.1')).matched).toBe(false);
  });
  it('a reversed range matches nothing, its inversion everything', () => {
    expect(run(iprangeMatch, cfg('--src-range 10.0.0.9-10.0.0.1'), pkt('10.0.0.5', '1.1.1.1')).matched).toBe(false);
    expect(run(iprangeMatch, cfg('! --src-range 10.0.0.9-10.0.0.1'), pkt('10.0.0.5', '1.1.1.1')).matched).toBe(true);
  });
});
