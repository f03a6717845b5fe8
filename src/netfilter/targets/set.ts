/**
 * `-j SET` (libxt_SET.c revision 3 / xt_set.c set_target_v3): adds the
 * packet's entry to an IP set and/or deletes it from another, and/or looks
 * it up in a third to give the packet the entry's skbinfo, then lets the
 * packet go on to the next rule.
 *
 *   --add-set NAME src[,dst...]   adds the entry (counters start at this packet: 1 and its length)
 *   --exist                       an entry already there gets its timeout (and counters) renewed
 *   --timeout N                   the new entry's timeout in seconds (0: permanent; default: the set's)
 *   --del-set NAME src[,dst...]   deletes the entry
 *   --map-set NAME src[,dst...]   looks the entry up (counting the packet in it, as `-m set` does); when
 *                                 found, with
 *   --map-mark                    the mark becomes (mark & ~skbmark's mask) ^ skbmark's value
 *   --map-prio                    skb->priority becomes skbprio
 *   --map-queue                   skb->queue_mapping becomes skbqueue, when the device (the input
 *                                 device in FORWARD, the output device in POSTROUTING, none in OUTPUT)
 *                                 has more transmit queues than that (machine file `txqueues:`)
 *
 * The values are the entry's (0 for those it was added without, and for
 * every entry of a set created without `skbinfo`); a list:set gives its
 * member's entry's, or its own entry's when the list has skbinfo too.
 * --map-set needs at least one of the three flags, and is refused by the
 * kernel outside the mangle table; --map-prio and --map-queue also in the
 * mangle table's PREROUTING and INPUT (not in user chains, whatever jumps
 * to them). libxt_SET accepts a `!` before any option and ignores it.
 *
 * A full set (maxelem) takes no new entry, as in the kernel (entries that
 * timed out are forgotten first).
 *
 * @example
 * -A INPUT -p tcp --dport 22 -m recent ... -j SET --add-set banned src --exist --timeout 600
 * -t mangle -A FORWARD -j SET --map-set classes src --map-mark --map-prio
 */
import { Hook, XT_CONTINUE } from '../types.js';
import { type IpSet, type MatchedExt, type TestOpts } from '../ipset/ipset.js';
import { ipSetAdd, ipSetDel, ipSetTest, type SetDirs } from '../ipset/kernel.js';
import { dirsText, parseDirs, setByName } from '../matches/set.js';
import { skbDev } from '../matches/bpf.js';
import { BASE_CHAIN_HOOK, CheckError, defineTarget, OptionError, type OptionSpec } from '../xt.js';

export interface SetTargetConfig {
  readonly add: { readonly set: IpSet; readonly dirs: SetDirs } | undefined;
  readonly del: { readonly set: IpSet; readonly dirs: SetDirs } | undefined;
  readonly map: { readonly set: IpSet; readonly dirs: SetDirs } | undefined;
  readonly exist: boolean;
  /** Seconds, or undefined when not given (the set's default). */
  readonly timeout: number | undefined;
  readonly mapMark: boolean;
  readonly mapPrio: boolean;
  readonly mapQueue: boolean;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'add-set', args: 2, invert: true, repeat: true },
  { name: 'del-set', args: 2, invert: true, repeat: true },
  { name: 'exist', args: 0, invert: true, repeat: true },
  { name: 'timeout', args: 1, invert: true, repeat: true },
  { name: 'map-set', args: 2, invert: true, repeat: true },
  { name: 'map-mark', args: 0, invert: true, repeat: true },
  { name: 'map-prio', args: 0, invert: true, repeat: true },
  { name: 'map-queue', args: 0, invert: true, repeat: true },
];

/** The map lookup's options (set_target_v3's map_opt): counters counted, none compared. */
const MAP_OPTS: TestOpts = {
  skipCounterUpdate: false,
  skipSubcounterUpdate: false,
  matchCounters: false,
  packetsOp: 0,
  packets: 0,
  bytesOp: 0,
  bytes: 0,
};

export const setTarget = defineTarget<SetTargetConfig>({
  name: 'SET',
  options: OPTIONS,
  parse(uses, ctx) {
    let add: SetTargetConfig['add'];
    let del: SetTargetConfig['del'];
    let map: SetTargetConfig['map'];
    let exist = false;
    let timeout: number | undefined;
    let mapMark = false;
    let mapPrio = false;
    let mapQueue = false;
    for (const u of uses) {
      switch (u.spec.name) {
        case 'add-set':
        case 'del-set':
        case 'map-set': {
          const what = u.spec.name;
          if ((what === 'add-set' ? add : what === 'del-set' ? del : map) !== undefined) throw new OptionError(`--${what} can be specified only once`, u);
          const set = setByName(u.args[0]!, ctx, u);
          const v = { set, dirs: parseDirs(u.args[1]!, u) };
          if (what === 'add-set') add = v;
          else if (what === 'del-set') del = v;
          else map = v;
          break;
        }
        case 'exist':
          exist = true;
          break;
        case 'timeout': {
          const t = u.args[0]!;
          const n = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/.test(t) ? Number(t.length > 1 && t[0] === '0' && !/^0[xX]/.test(t) ? parseInt(t, 8) : t) : NaN;
          if (!Number.isInteger(n) || n > 4294967294) throw new OptionError('Invalid value for option --timeout or out of range 0-4294967294', u);
          timeout = n;
          break;
        }
        case 'map-mark':
          mapMark = true;
          break;
        case 'map-prio':
          mapPrio = true;
          break;
        default:
          mapQueue = true;
      }
    }
    // set_target_check_v3.
    if (!add && !del && !map) throw new OptionError("You must specify either `--add-set' or `--del-set' or `--map-set'");
    if (!add) {
      if (exist) throw new OptionError("Flag `--exist' can be used with `--add-set' only");
      if (timeout !== undefined) throw new OptionError("Option `--timeout' can be used with `--add-set' only");
    }
    if (!map) {
      if (mapMark) throw new OptionError("Flag `--map-mark' can be used with `--map-set' only");
      if (mapPrio) throw new OptionError("Flag `--map-prio' can be used with `--map-set' only");
      if (mapQueue) throw new OptionError("Flag `--map-queue' can be used with `--map-set' only");
    } else if (!mapMark && !mapPrio && !mapQueue) throw new OptionError("You must specify flags `--map-mark' or '--map-prio` or `--map-queue'");
    return { add, del, map, exist, timeout, mapMark, mapPrio, mapQueue };
  },
  check(c, ctx) {
    // set_target_v3_checkentry: the mapping changes the packet, so the mangle table only; the priority and the
    // queue only where the packet is bound out (nf_tables hands a base chain's hook, none for a user chain).
    if (!c.map) return;
    if (ctx.table !== 'mangle') throw new CheckError('--map-set only usable from mangle table');
    const hook = BASE_CHAIN_HOOK[ctx.chain];
    if ((c.mapPrio || c.mapQueue) && (hook === Hook.PreRouting || hook === Hook.LocalIn)) {
      throw new CheckError('mapping of prio or/and queue is allowed only from OUTPUT/FORWARD/POSTROUTING chains');
    }
  },
  save(c) {
    const parts: string[] = [];
    if (c.add) {
      parts.push(`--add-set ${c.add.set.name} ${dirsText(c.add.dirs)}`);
      if (c.exist) parts.push('--exist');
      if (c.timeout !== undefined) parts.push(`--timeout ${c.timeout}`);
    }
    if (c.del) parts.push(`--del-set ${c.del.set.name} ${dirsText(c.del.dirs)}`);
    if (c.map) {
      parts.push(`--map-set ${c.map.set.name} ${dirsText(c.map.dirs)}`);
      if (c.mapMark) parts.push('--map-mark');
      if (c.mapPrio) parts.push('--map-prio');
      if (c.mapQueue) parts.push('--map-queue');
    }
    return parts.join(' ');
  },
  target(c, skb, par) {
    if (c.add) ipSetAdd(c.add.set, skb, par, c.add.dirs, c.exist, c.timeout);
    if (c.del) ipSetDel(c.del.set, skb, par, c.del.dirs);
    if (c.map) {
      const mext: MatchedExt = { skbinfo: undefined };
      if (ipSetTest(c.map.set, skb, par, c.map.dirs, MAP_OPTS, false, false, mext) > 0) {
        const i = mext.skbinfo;
        if (c.mapMark) skb.mark = ((skb.mark & ~(i?.markMask ?? 0)) ^ (i?.mark ?? 0)) >>> 0;
        if (c.mapPrio) skb.priority = i?.prio ?? 0;
        if (c.mapQueue) {
          const queue = i?.queue ?? 0;
          const dev = skbDev(par);
          if (dev && (dev.txQueues ?? 1) > queue) skb.queueMapping = queue;
        }
      }
    }
    return XT_CONTINUE;
  },
});
