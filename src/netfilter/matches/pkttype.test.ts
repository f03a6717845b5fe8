import { describe, expect, it } from 'vitest';
import { ipv4, udp } from '../../packet/build.js';
import { pkttypeMatch } from './pkttype.js';
import { parseCtx, parseError, roundTrip, run, skbOf, usesOf } from './test-util.js';
import { PacketType } from '../types.js';

const PKT_ROWS: Array<[string, string]> = [
  ['--pkt-type unicast', '--pkt-type unicast'],
  ['--pkt-type broadcast', '--pkt-type broadcast'],
  ['--pkt-type multicast', '--pkt-type multicast'],
  ['! --pkt-type multicast', '! --pkt-type multicast'],
  ['--pkt-type host', '--pkt-type unicast'],
  ['--pkt-type otherhost', '--pkt-type otherhost'],
  ['--pkt-type Broadcast', '--pkt-type broadcast'],
  ['--pkt-type bcast', '--pkt-type broadcast'],
  ['--pkt-type mcast', '--pkt-type multicast'],
];
const PKT_BAD: Array<[string, string]> = [
  ['--pkt-type outgoing', "Bad packet type 'outgoing'"],
  ['--pkt-type loopback', "Bad packet type 'loopback'"],
  ['--pkt-type 2', "Bad packet type '2'"],
  ['--pkt-type foo', "Bad packet type 'foo'"],
  ['', 'pkttype: option "--pkt-type" must be specified'],
  ['--pkt-type unicast --pkt-type broadcast', 'pkttype: option "--pkt-type" can only be used once.'],
];

describe('pkttype', () => {
  it.each(PKT_ROWS)('save %s', (i, s) => expect(roundTrip(pkttypeMatch, i)).toBe(s));
  it.each(PKT_BAD)('refuse %s', (i, e) => expect(parseError(pkttypeMatch, i)).toContain(e));
  it('matches skb->pkt_type; looped-back packets by their destination', () => {
    const cfg = (t: string) => pkttypeMatch.parse(usesOf(pkttypeMatch, t), parseCtx());
    const pkt = (dst: string, type: number) => {
      const s = skbOf(ipv4({ src: '192.0.2.1', dst }, udp({ sport: 1, dport: 2 })));
      s.pktType = type as PacketType;
      return s;
    };
    expect(run(pkttypeMatch, cfg('--pkt-type broadcast'), pkt('192.0.2.255', PacketType.Broadcast)).matched).toBe(true);
    expect(run(pkttypeMatch, cfg('--pkt-type unicast'), pkt('192.0.2.255', PacketType.Broadcast)).matched).toBe(false);
    expect(run(pkttypeMatch, cfg('! --pkt-type unicast'), pkt('192.0.2.255', PacketType.Broadcast)).matched).toBe(true);
    expect(run(pkttypeMatch, cfg('--pkt-type otherhost'), pkt('192.0.2.7', PacketType.OtherHost)).matched).toBe(true);
    // PACKET_LOOPBACK (5)
    expect(run(pkttypeMatch, cfg('--pkt-type multicast'), pkt('224.0.0.251', 5)).matched).toBe(true);
    expect(run(pkttypeMatch, cfg('--pkt-type broadcast'), pkt('192.0.2.255', 5)).matched).toBe(true);
    expect(run(pkttypeMatch, cfg('--pkt-type unicast'), pkt('192.0.2.2', 5)).matched).toBe(false);
  });
});
