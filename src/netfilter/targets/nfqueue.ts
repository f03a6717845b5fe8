/**
 * NFQUEUE (xt_NFQUEUE.c revision 3 / libxt_NFQUEUE.c): hands the packet to
 * the userspace program listening on a netlink queue (an IPS such as
 * Suricata in inline mode), which answers with a verdict.
 *
 * Options as iptables 1.8.9 takes them: `--queue-num N` (0-65535, 0 when
 * left out) or `--queue-balance A:B` (A < B; the queue is picked by a hash
 * of the addresses and protocol, both directions of a flow on the same
 * queue, or with `--queue-cpu-fanout` by the CPU: A + cpu % (B - A + 1),
 * the CPU the machine file's `cpu:` gives, 0 by default), `--queue-bypass`. (`--fail-open` is not an iptables
 * option: it is a flag the listening program sets on its queue, for when
 * the queue is full.) Any table, any hook; both families.
 *
 * What happens to the packet, as nf_queue decides it:
 *
 * - no program listens on the queue (a machine without the machine file's
 *   `queues:` entry for it): the packet is dropped (-ESRCH), or, with
 *   `--queue-bypass`, accepted by this table: it goes on to the next table
 *   or hook as after ACCEPT;
 * - a program listens (`queues: {N: accept}` or `{N: drop}`): its verdict,
 *   for every packet; accept goes on after this table as above (nf_reinject).
 *
 * The hash's seed is random at each boot in the kernel; cofw draws it from
 * its seeded generator (COFW_RANDOM_SEED), so which queue of a balance a
 * flow reaches repeats from replay to replay but not the real host's.
 *
 * @example
 * -A FORWARD -j NFQUEUE --queue-balance 0:3 --queue-bypass
 */
import { leWord, jhash2, reciprocalScale } from '../nat/jhash.js';
import { SeededRandom, seedFromEnv } from '../matches/statistic.js';
import { guestTable } from '../matches/shared-state.js';
import { Family } from '../../packet/inet-addr.js';
import { NF_ACCEPT, NF_DROP, type Skb, type XtParams } from '../types.js';
import { parseUintRange, uintArg } from '../args.js';
import { OptionError, defineTarget, type OptionSpec, type OptionUse } from '../xt.js';

export interface NfqueueConfig {
  /** The first queue. */
  readonly num: number;
  /** How many queues, from `num` (1 without --queue-balance). */
  readonly total: number;
  readonly bypass: boolean;
  readonly fanout: boolean;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'queue-num', args: 1 },
  { name: 'queue-balance', args: 1 },
  { name: 'queue-bypass', args: 0 },
  { name: 'queue-cpu-fanout', args: 0 },
];

/** jhash_initval: random at the first rule's checkentry in the kernel; seeded here, once per guest, never 0. */
function initval(par: XtParams): number {
  return guestTable(par.services, 'NFQUEUE:initval', () => new SeededRandom(seedFromEnv() ^ 0x4e4651).next() || 1);
}

/**
 * nfqueue_hash's hash_v4 / hash_v6: the addresses as a little-endian CPU
 * reads them, the smaller first, so both directions of a flow agree.
 */
function flowHash(skb: Skb, seed: number): number {
  if (skb.family === Family.V6) {
    const s3 = leWord(skb.src.w3);
    const d3 = leWord(skb.dst.w3);
    const s1 = leWord(skb.src.w1);
    const d1 = leWord(skb.dst.w1);
    const [a, b] = s3 < d3 ? [s3, d3] : [d3, s3];
    return jhash2([a, b, s1 < d1 ? s1 : d1], seed);
  }
  const s = leWord(skb.saddr);
  const d = leWord(skb.daddr);
  const proto = skb.data[9]!;
  return s < d ? jhash2([s, d, proto], seed) : jhash2([d, s, proto], seed);
}

/** The queue a packet goes to (nfqueue_tg_v3). */
export function nfqueueQueue(c: NfqueueConfig, skb: Skb, par: XtParams): number {
  if (c.total <= 1) return c.num;
  // smp_processor_id(): the machine file's cpu of the receiving interface or the machine.
  if (c.fanout) return c.num + ((par.cpu ?? 0) % c.total);
  return c.num + reciprocalScale(flowHash(skb, initval(par)), c.total);
}

export const nfqueueTarget = defineTarget<NfqueueConfig>({
  name: 'NFQUEUE',
  options: OPTIONS,
  parse(uses) {
    let num = 0;
    let total = 1;
    let bypass = false;
    let fanout = false;
    const seen = new Set<string>();
    for (const u of uses) {
      seen.add(u.spec.name);
      switch (u.spec.name) {
        case 'queue-num':
          num = uintArg('NFQUEUE', u, 0, 65535);
          total = 1;
          break;
        case 'queue-balance': {
          const [lo, hi] = parseUintRange('NFQUEUE', u, 65535);
          // xtopt_parse_mint's count of components: one without the separator.
          if (!(u.args[0] ?? '').includes(':')) throw new OptionError(`Bad range "${u.args[0] ?? ''}"`, u);
          if (lo >= hi) throw new OptionError(`${lo} should be less than ${hi}`, u);
          num = lo;
          total = hi - lo + 1;
          break;
        }
        case 'queue-bypass':
          bypass = true;
          break;
        case 'queue-cpu-fanout':
          fanout = true;
          break;
      }
    }
    // xtables_options_fcheck, in the option table's order.
    const use = (n: string): OptionUse | undefined => uses.find((u) => u.spec.name === n);
    if (seen.has('queue-num') && seen.has('queue-balance')) {
      throw new OptionError('NFQUEUE: option "--queue-num" cannot be used together with "--queue-balance".', use('queue-num'));
    }
    if (fanout && !seen.has('queue-balance'))
      throw new OptionError('NFQUEUE: option "--queue-cpu-fanout" also requires "--queue-balance".', use('queue-cpu-fanout'));
    return { num, total, bypass, fanout };
  },
  save(c) {
    const parts = [c.total > 1 ? `--queue-balance ${c.num}:${c.num + c.total - 1}` : `--queue-num ${c.num}`];
    if (c.bypass) parts.push('--queue-bypass');
    if (c.fanout) parts.push('--queue-cpu-fanout');
    return parts.join(' ');
  },
  target(c, skb, par) {
    const verdict = par.services.queueVerdict?.(nfqueueQueue(c, skb, par)) ?? null;
    if (verdict === null) return c.bypass ? NF_ACCEPT : NF_DROP;
    return verdict;
  },
});
