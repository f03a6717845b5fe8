/**
 * The state bits `-m state` and `-m conntrack --ctstate` test
 * (XT_CONNTRACK_STATE_* of xt_conntrack.h), their names in iptables-save's
 * order, and the bit a packet has.
 */
import { OptionError, type OptionUse } from '../../xt.js';
import type { Skb } from '../../types.js';
import { CT_UNTRACKED, IP_CT_IS_REPLY } from '../conn.js';

export const ST_INVALID = 1 << 0;
export const ST_ESTABLISHED = 1 << 1;
export const ST_RELATED = 1 << 2;
export const ST_NEW = 1 << 3;
export const ST_SNAT = 1 << 8;
export const ST_DNAT = 1 << 9;
export const ST_UNTRACKED = 1 << 10;

/** Names in the order iptables-save prints them. */
export const STATE_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['INVALID', ST_INVALID],
  ['NEW', ST_NEW],
  ['RELATED', ST_RELATED],
  ['ESTABLISHED', ST_ESTABLISHED],
  ['UNTRACKED', ST_UNTRACKED],
  ['SNAT', ST_SNAT],
  ['DNAT', ST_DNAT],
];

/**
 * Parses `NEW,ESTABLISHED` (any case). `withNat` admits SNAT and DNAT
 * (--ctstate only). `what` is `state` or `ctstate` for the message.
 */
export function parseStates(text: string, withNat: boolean, what: string, use: OptionUse): number {
  let mask = 0;
  for (const part of text.split(',')) {
    const up = part.toUpperCase();
    const e = STATE_NAMES.find(([n, bit]) => n === up && (withNat || bit < ST_SNAT || bit === ST_UNTRACKED));
    if (!e) throw new OptionError(`Bad ${what} "${part}"; expected INVALID, NEW, RELATED, ESTABLISHED, UNTRACKED${withNat ? ', SNAT, DNAT' : ''}`, use);
    mask |= e[1];
  }
  return mask;
}

export function formatStates(mask: number): string {
  return STATE_NAMES.filter(([, bit]) => mask & bit)
    .map(([n]) => n)
    .join(',');
}

/** The packet's state bit (without SNAT/DNAT), as xt_conntrack computes it. */
export function stateBit(skb: Skb): number {
  if (skb.ct !== null) return 1 << ((skb.ctinfo % IP_CT_IS_REPLY) + 1);
  return skb.ctState === CT_UNTRACKED ? ST_UNTRACKED : ST_INVALID;
}
