import { describe, expect, it } from 'vitest';
import { InetAddr } from '../../packet/inet-addr.js';
import { ipv4, tcp, udp } from '../../packet/build.js';
import { Conn } from '../conntrack/conn.js';
import { ftpHelper } from '../conntrack/helper-ftp.js';
import { helperMatch } from './helper.js';
import { parseCtx, parseError, roundTrip, run, skbOf, usesOf } from './test-util.js';

// iptables-restore then iptables-save, iptables 1.8.9 (nf_tables) on Linux 6.18.
const ROWS: Array<[string, string]> = [
  ['--helper ftp', '--helper ftp'],
  ['! --helper ftp', '! --helper ftp'],
  ["--helper ''", '--helper ""'],
  ["--helper 'a b'", '--helper "a b"'],
  // The kernel's field keeps 29 characters.
  ['--helper abcdefghijabcdefghijabcdefghij', '--helper abcdefghijabcdefghijabcdefghi'],
];

describe('helper', () => {
  it.each(ROWS)('save %s', (i, s) => expect(roundTrip(helperMatch, i)).toBe(s));
  it('refuses a missing --helper', () => expect(parseError(helperMatch, '')).toBe('helper: option "--helper" must be specified'));
  it("matches an expected entry by its master's helper, a name beginning with the helper's", () => {
    const cfg = (t: string) => helperMatch.parse(usesOf(helperMatch, t), parseCtx());
    const s = skbOf(ipv4({ src: '203.0.113.1', dst: '192.0.2.10' }, tcp({ sport: 20, dport: 40001 })));
    const master = new Conn(6, InetAddr.v4(2), InetAddr.v4(1), 40000, 21, InetAddr.v4(1), InetAddr.v4(2), 21, 40000);
    master.helper = ftpHelper;
    const data = new Conn(6, InetAddr.v4(1), InetAddr.v4(2), 20, 40001, InetAddr.v4(2), InetAddr.v4(1), 40001, 20);
    data.master = master;
    s.ct = data;
    const m = (t: string): boolean => run(helperMatch, cfg(t), s).matched;
    expect([m('--helper ftp'), m("--helper ''"), m('--helper ftpx'), m('--helper ft'), m('--helper tftp'), m('! --helper ftp')]).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
    // The master itself has the helper but no master: it does not match.
    s.ct = master;
    expect(m('--helper ftp')).toBe(false);
  });
  it('without conntrack helpers only the inverted form matches, tracked or not', () => {
    const cfg = (t: string) => helperMatch.parse(usesOf(helperMatch, t), parseCtx());
    const s = skbOf(ipv4({ src: '203.0.113.1', dst: '198.51.100.1' }, udp({ sport: 1, dport: 21 })));
    for (const ct of [null, new Conn(17, InetAddr.v4(1), InetAddr.v4(2), 1, 21, InetAddr.v4(2), InetAddr.v4(1), 21, 1)]) {
      s.ct = ct;
      expect(run(helperMatch, cfg('--helper ftp'), s).matched).toBe(false);
      expect(run(helperMatch, cfg("--helper ''"), s).matched).toBe(false);
      expect(run(helperMatch, cfg('! --helper ftp'), s).matched).toBe(true);
    }
  });
});
