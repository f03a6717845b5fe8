/**
 * `-m pkttype` (xt_pkttype.c / libxt_pkttype.c): the link-layer packet
 * type, `unicast`, `broadcast`, `multicast` or `otherhost` (aliases
 * `host`, `bcast`, `mcast`), with `!`. A looped-back packet counts as
 * multicast when its IPv4 destination is multicast, else as broadcast; a
 * looped-back IPv6 packet always as multicast, as the kernel decides.
 *
 * @example
 * -m pkttype --pkt-type broadcast
 */
import { Family, OptionError, defineMatch, type OptionSpec } from '../xt.js';
import { PacketType } from '../types.js';
import { checkMandatory, checkUses } from './util.js';

/** PACKET_LOOPBACK (linux/if_packet.h). */
export const PACKET_LOOPBACK = 5;

export interface PkttypeConfig {
  readonly type: number;
  readonly invert: boolean;
}

const OPTIONS: readonly OptionSpec[] = [{ name: 'pkt-type', args: 1, invert: true, mandatory: true }];

const NAMES: ReadonlyArray<readonly [string, number]> = [
  ['unicast', PacketType.Host],
  ['broadcast', PacketType.Broadcast],
  ['multicast', PacketType.Multicast],
  ['otherhost', PacketType.OtherHost],
  ['bcast', PacketType.Broadcast],
  ['mcast', PacketType.Multicast],
  ['host', PacketType.Host],
];

export const pkttypeMatch = defineMatch<PkttypeConfig>({
  name: 'pkttype',
  options: OPTIONS,
  parse(uses) {
    checkUses('pkttype', uses);
    checkMandatory('pkttype', uses, ['pkt-type']);
    const u = uses.find((x) => x.spec.name === 'pkt-type')!;
    const text = u.args[0]!.toLowerCase();
    const hit = NAMES.find(([n]) => n === text);
    if (!hit) {
      throw new OptionError(`Bad packet type '${u.args[0]}'; expected unicast, broadcast, multicast or otherhost`, u);
    }
    return { type: hit[1], invert: u.invert };
  },
  save(c) {
    const name = NAMES.find(([, t]) => t === c.type)?.[0] ?? String(c.type);
    return `${c.invert ? '! ' : ''}--pkt-type ${name}`;
  },
  match(c, skb) {
    let type: number = skb.pktType;
    if (type === PACKET_LOOPBACK) {
      // pkttype_mt: IPv4 looks at the destination; a looped-back IPv6 packet is multicast.
      type = skb.family === Family.V6 || skb.daddr >>> 28 === 0xe ? PacketType.Multicast : PacketType.Broadcast;
    }
    return (type === c.type) !== c.invert;
  },
});
