import { describe, expect, it } from 'vitest';
import { ethernet, ipv4, tcp, udp } from './build.js';
import { compileFilter, FilterError } from './filter.js';
import { Flow, readFrameFlow } from './flow.js';

const MACS = { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' };

function flowOf(frame: Uint8Array): Flow {
  const f = new Flow();
  expect(readFrameFlow(frame, f)).toBe(true);
  return f;
}

const ssh = flowOf(ethernet(MACS, ipv4({ src: '192.0.2.7', dst: '198.51.100.1' }, tcp({ sport: 40000, dport: 22, flags: 'S' }))));
const dns = flowOf(ethernet(MACS, ipv4({ src: '10.1.2.3', dst: '192.0.2.53' }, udp({ sport: 5353, dport: 53 }))));

describe('compileFilter', () => {
  it.each([
    ['tcp', true, false],
    ['udp', false, true],
    ['ip', true, true],
    ['ip6', false, false],
    ['tcp and dport 22', true, false],
    ['dport 22 or dport 53', true, true],
    ['port 53', false, true],
    ['src port 5353', false, true],
    ['dst port 5353', false, false],
    ['portrange 20-30', true, false],
    ['host 192.0.2.7', true, false],
    ['src host 198.51.100.1', false, false],
    ['dst host 198.51.100.1', true, false],
    ['net 10.0.0.0/8', false, true],
    ['not net 10.0.0.0/8', true, false],
    ['! tcp && ! udp', false, false],
    ['tcp or udp and port 53', true, true],
    ['(tcp or udp) and port 53', false, true],
    ['proto 17', false, true],
    ['proto tcp', true, false],
    ['TCP AND DPORT 22', true, false],
    ['net 192.0.2.0/24', true, true],
  ])('%s', (expr, onSsh, onDns) => {
    const m = compileFilter(expr);
    expect([m(ssh), m(dns)]).toEqual([onSsh, onDns]);
  });

  it('matches nothing but a negation on a frame that is not IP', () => {
    expect(compileFilter('tcp')(null)).toBe(false);
    expect(compileFilter('not tcp')(null)).toBe(true);
  });

  it.each([
    ['', 1, /empty/],
    ['tcp and', 8, /expected a primitive/],
    ['dport x', 7, /"x" is not a port number/],
    ['port 70000', 6, /not a port number/],
    ['host 300.1.1.1', 6, /not an IPv4 or IPv6 address/],
    ['net 10.0.0.0', 5, /expected ADDRESS\/PREFIX/],
    ['(tcp or udp', 12, /expected \) to close the \( at character 1/],
    ['tcp udp', 5, /unexpected "udp": join primitives with and, or/],
    ['src tcp', 5, /expected host, net, port or portrange after src/],
    ['frob', 1, /unknown word "frob"/],
    ['tcp $ 1', 5, /unexpected "\$"|unknown word "\$"/],
  ])('refuses %j at character %i', (expr, at, why) => {
    let err: unknown;
    try {
      compileFilter(expr);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FilterError);
    expect((err as FilterError).at + 1).toBe(at);
    expect((err as FilterError).message).toMatch(why);
  });
});
