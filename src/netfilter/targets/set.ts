/**
 * `-j SET` (libxt_SET.c revision 3 / xt_set.c set_target_v3): adds the
 * packet's entry to an IP set and/or deletes it from another, then lets the
 * packet go on to the next rule.
 *
 *   --add-set NAME src[,dst...]   adds the entry (counters start at this packet: 1 and its length)
 *   --exist                       an entry already there gets its timeout (and counters) renewed
 *   --timeout N                   the new entry's timeout in seconds (0: permanent; default: the set's)
 *   --del-set NAME src[,dst...]   deletes the entry
 *
 * A full set (maxelem) takes no new entry, as in the kernel (entries that
 * timed out are forgotten first). `--map-set` (skbinfo mapping of mark,
 * priority and queue) is refused: cofw does not emulate it.
 *
 * @example
 * -A INPUT -p tcp --dport 22 -m recent ... -j SET --add-set banned src --exist --timeout 600
 */
import { XT_CONTINUE } from '../types.js';
import { type IpSet } from '../ipset/ipset.js';
import { ipSetAdd, ipSetDel, type SetDirs } from '../ipset/kernel.js';
import { dirsText, parseDirs, setByName } from '../matches/set.js';
import { defineTarget, OptionError, type OptionSpec } from '../xt.js';

export interface SetTargetConfig {
  readonly add: { readonly set: IpSet; readonly dirs: SetDirs } | undefined;
  readonly del: { readonly set: IpSet; readonly dirs: SetDirs } | undefined;
  readonly exist: boolean;
  /** Seconds, or undefined when not given (the set's default). */
  readonly timeout: number | undefined;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'add-set', args: 2, repeat: true },
  { name: 'del-set', args: 2, repeat: true },
  { name: 'exist', args: 0, repeat: true },
  { name: 'timeout', args: 1, repeat: true },
  { name: 'map-set', args: 2, repeat: true },
  { name: 'map-mark', args: 0, repeat: true },
  { name: 'map-prio', args: 0, repeat: true },
  { name: 'map-queue', args: 0, repeat: true },
];

export const setTarget = defineTarget<SetTargetConfig>({
  name: 'SET',
  options: OPTIONS,
  parse(uses, ctx) {
    let add: SetTargetConfig['add'];
    let del: SetTargetConfig['del'];
    let exist = false;
    let timeout: number | undefined;
    for (const u of uses) {
      switch (u.spec.name) {
        case 'add-set':
        case 'del-set': {
          const what = u.spec.name;
          if ((what === 'add-set' ? add : del) !== undefined) throw new OptionError(`--${what} can be specified only once`, u);
          const set = setByName(u.args[0]!, ctx, u);
          const v = { set, dirs: parseDirs(u.args[1]!, u) };
          if (what === 'add-set') add = v;
          else del = v;
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
        default:
          throw new OptionError(
            `SET --${u.spec.name} is not emulated by cofw (the skbinfo mapping of --map-set); remove it, or see the README's ipset section`,
            u,
          );
      }
    }
    if (!add && !del) throw new OptionError("You must specify either `--add-set' or `--del-set' or `--map-set'");
    if (!add) {
      if (exist) throw new OptionError("Flag `--exist' can be used with `--add-set' only");
      if (timeout !== undefined) throw new OptionError("Option `--timeout' can be used with `--add-set' only");
    }
    return { add, del, exist, timeout };
  },
  save(c) {
    const parts: string[] = [];
    if (c.add) {
      parts.push(`--add-set ${c.add.set.name} ${dirsText(c.add.dirs)}`);
      if (c.exist) parts.push('--exist');
      if (c.timeout !== undefined) parts.push(`--timeout ${c.timeout}`);
    }
    if (c.del) parts.push(`--del-set ${c.del.set.name} ${dirsText(c.del.dirs)}`);
    return parts.join(' ');
  },
  target(c, skb, par) {
    if (c.add) ipSetAdd(c.add.set, skb, par, c.add.dirs, c.exist, c.timeout);
    if (c.del) ipSetDel(c.del.set, skb, par, c.del.dirs);
    return XT_CONTINUE;
  },
});
