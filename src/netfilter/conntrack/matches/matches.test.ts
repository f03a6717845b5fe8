import { describe, expect, it } from 'vitest';
import { ipv4, tcp } from '../../../packet/build.js';
import { params, parseCtx, parseError, roundTrip, run, skbOf, usesOf } from '../../matches/test-util.js';
import { Hook, NF_ACCEPT } from '../../types.js';
import { CT_UNTRACKED, Conntrack } from '../index.js';
import { conntrackMatch } from './conntrack.js';
import { stateMatch } from './state.js';

/** Rule text -> what iptables-save 1.8.9 (nf_tables) printed for it. */
const STATE_ROUNDTRIP: Array<[string, string]> = [
  ['--state RELATED,ESTABLISHED', '--state RELATED,ESTABLISHED'],
  ['--state ESTABLISHED,RELATED,INVALID', '--state INVALID,RELATED,ESTABLISHED'],
  ['! --state INVALID,NEW,UNTRACKED', '! --state INVALID,NEW,UNTRACKED'],
  ['! --state NEW', '! --state NEW'],
  ['--state NEW,UNTRACKED', '--state NEW,UNTRACKED'],
];

const CONNTRACK_ROUNDTRIP: Array<[string, string]> = [
  ['--ctstate INVALID,NEW,RELATED,ESTABLISHED,UNTRACKED,SNAT,DNAT', '--ctstate INVALID,NEW,RELATED,ESTABLISHED,UNTRACKED,SNAT,DNAT'],
  [
    '! --ctstate NEW --ctproto tcp --ctorigsrc 10.0.0.0/8 ! --ctorigdst 1.2.3.4 --ctreplsrc 1.2.3.0/255.255.255.0 --ctrepldst 5.6.7.8/32 --ctorigsrcport 10 --ctorigdstport 20:30 --ctreplsrcport 40 ! --ctrepldstport 50 --ctstatus ASSURED,SEEN_REPLY,EXPECTED,CONFIRMED --ctdir ORIGINAL --ctexpire 10:20',
    '! --ctstate NEW --ctproto 6 --ctorigsrc 10.0.0.0/8 ! --ctorigdst 1.2.3.4 --ctreplsrc 1.2.3.0/24 --ctrepldst 5.6.7.8 --ctorigsrcport 10 --ctorigdstport 20:30 --ctreplsrcport 40 ! --ctrepldstport 50 --ctstatus EXPECTED,SEEN_REPLY,ASSURED,CONFIRMED --ctexpire 10:20 --ctdir ORIGINAL',
  ],
  ['--ctstatus NONE --ctdir REPLY --ctexpire 5', '--ctstatus NONE --ctexpire 5 --ctdir REPLY'],
  ['! --ctproto udp ! --ctstatus ASSURED ! --ctexpire 5:6', '! --ctproto 17 ! --ctstatus ASSURED ! --ctexpire 5:6'],
  ['--ctorigsrc 10.1.2.3/16', '--ctorigsrc 10.1.2.3/16'],
  ['--ctorigsrc 10.1.2.3/255.255.0.0', '--ctorigsrc 10.1.2.3/16'],
  ['--ctorigsrc 10.1.2.3/255.0.255.0 --ctorigdst 1.2.3.4/0', '--ctorigsrc 10.1.2.3 --ctorigdst 1.2.3.4/0'],
  ['--ctorigsrc 10.0.0.0/33', '--ctorigsrc 10.0.0.0'],
  ['! --ctrepldst 0.0.0.0/0', '! --ctrepldst 0.0.0.0/0'],
  ['--ctproto udp --ctorigdstport 53', '--ctproto 17 --ctorigdstport 53'],
  ['--ctstate established,related', '--ctstate RELATED,ESTABLISHED'],
  ['--ctstatus assured', '--ctstatus ASSURED'],
  ['--ctexpire 10:5', '--ctexpire 10:5'],
  ['--ctexpire 5:', '--ctexpire 5:4294967295'],
  ['--ctexpire :5', '--ctexpire 0:5'],
  ['--ctexpire 7:7', '--ctexpire 7'],
  ['--ctorigsrcport 0:65535', '--ctorigsrcport 0:65535'],
  ['--ctorigsrcport 30:20', '--ctorigsrcport 30:20'],
  ['--ctorigsrcport :80', '--ctorigsrcport 0:80'],
  ['--ctorigsrcport 80:', '--ctorigsrcport 80:65535'],
  ['--ctorigsrcport ssh', '--ctorigsrcport 22'],
  ['--ctorigsrcport 99999', '--ctorigsrcport 34463'],
  ['--ctdir original', '--ctdir ORIGINAL'],
  ['--ctproto all', '--ctproto 0'],
  ['--ctproto icmp --ctstate NEW', '--ctstate NEW --ctproto 1'],
  ['--ctproto tcp ! --ctorigsrcport 22 --ctexpire 7:7', '--ctproto 6 ! --ctorigsrcport 22 --ctexpire 7'],
];

describe('state and conntrack matches: canonical save text', () => {
  it.each(STATE_ROUNDTRIP)('state %s', (text, saved) => expect(roundTrip(stateMatch, text)).toBe(saved));
  it.each(CONNTRACK_ROUNDTRIP)('conntrack %s', (text, saved) => expect(roundTrip(conntrackMatch, text)).toBe(saved));

  it('refuses what iptables refuses', () => {
    expect(parseError(stateMatch, '--state SNAT')).toMatch(/^Bad state "SNAT"/);
    expect(parseError(stateMatch, '')).toMatch(/state: option "--state" must be specified/);
    expect(parseError(conntrackMatch, '')).toMatch(/^conntrack: At least one option is required/);
    expect(parseError(conntrackMatch, '--ctstate FOO')).toMatch(/^Bad ctstate "FOO"/);
    expect(parseError(conntrackMatch, '--ctstate NEW,')).toMatch(/^Bad ctstate ""/);
    expect(parseError(conntrackMatch, '--ctstatus FOO')).toMatch(/^Bad ctstatus "FOO"/);
    expect(parseError(conntrackMatch, '--ctdir FOO')).toMatch(/^conntrack: Bad value for "--ctdir" option: "FOO"/);
    expect(parseError(conntrackMatch, '! --ctdir REPLY')).toMatch(/conntrack: option "--ctdir" cannot be inverted/);
    expect(parseError(conntrackMatch, '--ctproto foo')).toMatch(/^unknown protocol "foo" specified/);
    expect(parseError(conntrackMatch, '--ctexpire x')).toMatch(/bad value for option "--ctexpire" near "x"/);
    expect(parseError(conntrackMatch, '--ctstate NEW --ctstate NEW')).toMatch(/can only be used once/);
    expect(parseError(conntrackMatch, '--ctorigsrc 300.1.1.1')).toMatch(/^getaddrinfo/);
  });
});

const A = '192.0.2.10';
const B = '203.0.113.5';

function pkt(src: string, dst: string, sport: number, dport: number, flags: string, seq: number, ack: number) {
  return skbOf(ipv4({ src, dst }, tcp({ sport, dport, flags, seq, ack })));
}

describe('state and conntrack matches on packets', () => {
  const state = (t: string) => stateMatch.parse(usesOf(stateMatch, t), parseCtx());
  const ctm = (t: string) => conntrackMatch.parse(usesOf(conntrackMatch, t), parseCtx());

  it('follow a handshake: NEW, then ESTABLISHED in both directions', () => {
    const ct = new Conntrack();
    const newSt = state('--state NEW');
    const est = state('--state ESTABLISHED');
    const syn = pkt(A, B, 1000, 80, 'S', 1, 0);
    expect(ct.in(syn, Hook.PreRouting, 0)).toBe(NF_ACCEPT);
    expect(run(stateMatch, newSt, syn).matched).toBe(true);
    expect(run(stateMatch, est, syn).matched).toBe(false);
    expect(run(conntrackMatch, ctm('--ctstatus CONFIRMED'), syn).matched).toBe(false);
    ct.confirm(syn, 0);
    const synack = pkt(B, A, 80, 1000, 'SA', 100, 2);
    ct.in(synack, Hook.PreRouting, 1_000_000);
    expect(run(stateMatch, est, synack).matched).toBe(true);
    expect(run(conntrackMatch, ctm('--ctdir REPLY --ctstatus CONFIRMED --ctproto tcp --ctorigdstport 80 --ctreplsrc 203.0.113.0/24'), synack).matched).toBe(
      true,
    );
    expect(run(conntrackMatch, ctm('--ctdir ORIGINAL'), synack).matched).toBe(false);
    expect(run(conntrackMatch, ctm('--ctstatus NONE'), synack).matched).toBe(false);
    expect(run(conntrackMatch, ctm('! --ctstatus ASSURED'), synack).matched).toBe(true);
    const p = params();
    p.services.jiffies = () => 250 * 5;
    // SYN_RECV after the SYN/ACK: 60 s from 1 ms, read at 5 s.
    expect(run(conntrackMatch, ctm('--ctexpire 55'), synack, p).matched).toBe(true);
    expect(run(conntrackMatch, ctm('! --ctexpire 0:54'), synack, p).matched).toBe(true);
  });

  it('INVALID and UNTRACKED packets match only through the state', () => {
    const ct = new Conntrack();
    const bad = pkt(A, B, 1, 2, 'SF', 1, 0);
    ct.in(bad, Hook.PreRouting, 0);
    expect(bad.ct).toBeNull();
    expect(run(stateMatch, state('--state INVALID'), bad).matched).toBe(true);
    expect(run(stateMatch, state('! --state NEW,ESTABLISHED'), bad).matched).toBe(true);
    expect(run(conntrackMatch, ctm('--ctstate INVALID'), bad).matched).toBe(true);
    expect(run(conntrackMatch, ctm('! --ctproto tcp'), bad).matched).toBe(false);
    expect(run(conntrackMatch, ctm('--ctstate INVALID --ctproto tcp'), bad).matched).toBe(true);
    const untracked = pkt(A, B, 1, 2, 'S', 1, 0);
    untracked.ctState = CT_UNTRACKED;
    expect(ct.in(untracked, Hook.PreRouting, 0)).toBe(NF_ACCEPT);
    expect(untracked.ct).toBeNull();
    expect(run(stateMatch, state('--state UNTRACKED'), untracked).matched).toBe(true);
    expect(run(stateMatch, state('--state INVALID'), untracked).matched).toBe(false);
    expect(ct.size).toBe(0);
  });
});
