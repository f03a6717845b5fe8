/**
 * `-m owner` (xt_owner.c revision 1 / libxt_owner.c): the socket that sent
 * a locally generated packet. `[!] --uid-owner U[-U]` and `[!] --gid-owner
 * G[-G]` compare the credentials of the socket's file (fsuid, fsgid) with a
 * range, `--suppl-groups` (after `--gid-owner`) lets a supplementary group
 * in the range match too, `[!] --socket-exists` asks whether there is a
 * socket at all. Valid only in chains reached from OUTPUT and POSTROUTING
 * (the kernel's hook mask); both families (NFPROTO_UNSPEC).
 *
 * owner_mt, exactly:
 *
 * - No socket (every received or forwarded packet, REJECT's TCP resets,
 *   and the firewall's own packets unless the machine file names their
 *   socket): the rule matches only when every option it uses is inverted,
 *   `(match ^ invert) == 0`. So `! --uid-owner 0` and `! --socket-exists`
 *   match, `--gid-owner 0 --suppl-groups` does not, nor does
 *   `! --gid-owner 0 --suppl-groups` (suppl-groups cannot be inverted).
 * - A socket without a file (the kernel's ICMP socket, which sends REJECT's
 *   and the reassembly timeout's ICMP errors): `! --socket-exists` does not
 *   match; otherwise the rule matches when its uid and gid options are all
 *   inverted.
 * - A socket with a file: the uid in range (inverted or not), then the gid
 *   or, with `--suppl-groups`, any supplementary group in range.
 *
 * Sockets come from the guest (`GuestServices.socketOf`, the machine file's
 * `sockets:`); src/netfilter/sockets.ts says which packets have which.
 * Recorded from the kernel (Linux 6.18, iptables 1.8.9) with REJECT's
 * replies and raw sockets opened with given credentials: owner.test.ts.
 *
 * User and group names are those of Debian's base system (base-passwd), the
 * /etc/passwd and /etc/group a minimal Debian firewall has; iptables-save
 * prints numbers.
 *
 * @example
 * -A OUTPUT -m owner --uid-owner www-data -j ACCEPT
 * -A OUTPUT -m owner ! --gid-owner 1000-1999 --suppl-groups -j DROP
 */
import { Hook, type PacketSocket } from '../types.js';
import { xtStrtoul } from '../args.js';
import { CheckError, OptionError, defineMatch, hookBits, type OptionSpec, type OptionUse } from '../xt.js';
import { hookNames } from './mac.js';

/** xt_owner.h: the bits of `match` and `invert`. */
export const XT_OWNER_UID = 1;
export const XT_OWNER_GID = 2;
export const XT_OWNER_SOCKET = 4;
export const XT_OWNER_SUPPL_GROUPS = 8;

export interface OwnerConfig {
  readonly match: number;
  readonly invert: number;
  readonly uidMin: number;
  readonly uidMax: number;
  readonly gidMin: number;
  readonly gidMax: number;
}

export const OWNER_HOOKS = hookBits(Hook.LocalOut, Hook.PostRouting);

const OPTIONS: readonly OptionSpec[] = [
  { name: 'uid-owner', args: 1, invert: true },
  { name: 'gid-owner', args: 1, invert: true },
  { name: 'socket-exists', args: 0, invert: true },
  { name: 'suppl-groups', args: 0 },
];

/** Debian's base-passwd users (/etc/passwd of a minimal Debian 12). */
const USERS = new Map<string, number>([
  ['root', 0],
  ['daemon', 1],
  ['bin', 2],
  ['sys', 3],
  ['sync', 4],
  ['games', 5],
  ['man', 6],
  ['lp', 7],
  ['mail', 8],
  ['news', 9],
  ['uucp', 10],
  ['proxy', 13],
  ['www-data', 33],
  ['backup', 34],
  ['list', 38],
  ['irc', 39],
  ['_apt', 42],
  ['nobody', 65534],
]);

/** Debian's base-passwd groups (/etc/group of a minimal Debian 12). */
const GROUPS = new Map<string, number>([
  ['root', 0],
  ['daemon', 1],
  ['bin', 2],
  ['sys', 3],
  ['adm', 4],
  ['tty', 5],
  ['disk', 6],
  ['lp', 7],
  ['mail', 8],
  ['news', 9],
  ['uucp', 10],
  ['man', 12],
  ['proxy', 13],
  ['kmem', 15],
  ['dialout', 20],
  ['fax', 21],
  ['voice', 22],
  ['cdrom', 24],
  ['floppy', 25],
  ['tape', 26],
  ['sudo', 27],
  ['audio', 29],
  ['dip', 30],
  ['www-data', 33],
  ['backup', 34],
  ['operator', 37],
  ['list', 38],
  ['irc', 39],
  ['src', 40],
  ['shadow', 42],
  ['utmp', 43],
  ['video', 44],
  ['sasl', 45],
  ['plugdev', 46],
  ['staff', 50],
  ['games', 60],
  ['users', 100],
  ['nogroup', 65534],
]);

/** The largest id a range may name: (uid_t)-1 is reserved. */
const MAX_ID = 0xfffffffe;

function badValue(use: OptionUse, what: string): OptionError {
  const text = use.args[0] ?? '';
  const name = /^\s*[+-]?\d/.test(text) ? '' : ` (not a number, nor a ${what} of Debian's base system: cofw knows those names only; write the number)`;
  return new OptionError(`owner: Bad value for "--${use.spec.name}" option: "${text}"${name}`, use);
}

/** owner_parse_range: `N`, `N-M` or `N:M`, each 0-4294967294 in xtables_strtoui form, or a user or group name. */
function parseIds(use: OptionUse, names: ReadonlyMap<string, number>, what: string): [number, number] {
  const text = use.args[0] ?? '';
  const named = names.get(text);
  if (named !== undefined) return [named, named];
  const a = xtStrtoul(text, MAX_ID);
  if (!a) throw badValue(use, what);
  let end = a.end;
  let to = a.value;
  if (text[end] === '-' || text[end] === ':') {
    const b = xtStrtoul(text, MAX_ID, end + 1);
    if (!b) throw badValue(use, what);
    to = b.value;
    end = b.end;
  }
  if (end !== text.length) throw badValue(use, what);
  return [a.value, to];
}

function saveIds(flag: string, inv: boolean, lo: number, hi: number): string {
  return `${inv ? '! ' : ''}--${flag} ${lo === hi ? lo : `${lo}-${hi}`}`;
}

/** owner_mt: does the packet's socket (or its absence) satisfy the rule? */
export function ownerMatches(c: OwnerConfig, sk: PacketSocket | null): boolean {
  if (sk === null) return (c.match ^ c.invert) === 0;
  if (c.match & c.invert & XT_OWNER_SOCKET) return false;
  const f = sk.file;
  if (f === null) return ((c.match ^ c.invert) & (XT_OWNER_UID | XT_OWNER_GID)) === 0;
  if (c.match & XT_OWNER_UID) {
    const inRange = f.uid >= c.uidMin && f.uid <= c.uidMax;
    if (inRange !== ((c.invert & XT_OWNER_UID) === 0)) return false;
  }
  if (c.match & XT_OWNER_GID) {
    let inRange = f.gid >= c.gidMin && f.gid <= c.gidMax;
    if (!inRange && c.match & XT_OWNER_SUPPL_GROUPS) inRange = f.groups.some((g) => g >= c.gidMin && g <= c.gidMax);
    if (inRange !== ((c.invert & XT_OWNER_GID) === 0)) return false;
  }
  return true;
}

export const ownerMatch = defineMatch<OwnerConfig>({
  name: 'owner',
  options: OPTIONS,
  parse(uses) {
    let match = 0;
    let invert = 0;
    let uid: [number, number] = [0, 0];
    let gid: [number, number] = [0, 0];
    for (const u of uses) {
      switch (u.spec.name) {
        case 'uid-owner':
          uid = parseIds(u, USERS, 'user');
          match |= XT_OWNER_UID;
          if (u.invert) invert |= XT_OWNER_UID;
          break;
        case 'gid-owner':
          gid = parseIds(u, GROUPS, 'group');
          match |= XT_OWNER_GID;
          if (u.invert) invert |= XT_OWNER_GID;
          break;
        case 'socket-exists':
          match |= XT_OWNER_SOCKET;
          if (u.invert) invert |= XT_OWNER_SOCKET;
          break;
        case 'suppl-groups':
          if (!(match & XT_OWNER_GID)) throw new OptionError('owner: Bad value for "--suppl-groups" option: "you need to use --gid-owner first"', u);
          match |= XT_OWNER_SUPPL_GROUPS;
          break;
      }
    }
    if (match === 0) throw new OptionError('owner: At least one of --uid-owner, --gid-owner or --socket-exists is required');
    return { match, invert, uidMin: uid[0], uidMax: uid[1], gidMin: gid[0], gidMax: gid[1] };
  },
  check(c, ctx) {
    if (ctx.hookMask & ~OWNER_HOOKS) {
      throw new CheckError(`owner match: used from hooks ${hookNames(ctx.hookMask)}, but only valid from ${hookNames(OWNER_HOOKS)}`);
    }
    // owner_check: a range whose end is below its start is EINVAL (no message).
    if (c.match & XT_OWNER_UID && c.uidMax < c.uidMin)
      throw new CheckError(`owner match: --uid-owner ${c.uidMin}-${c.uidMax} ends below its start (Invalid argument)`);
    if (c.match & XT_OWNER_GID && c.gidMax < c.gidMin)
      throw new CheckError(`owner match: --gid-owner ${c.gidMin}-${c.gidMax} ends below its start (Invalid argument)`);
  },
  save(c) {
    const parts: string[] = [];
    if (c.match & XT_OWNER_SOCKET) parts.push(`${c.invert & XT_OWNER_SOCKET ? '! ' : ''}--socket-exists`);
    if (c.match & XT_OWNER_UID) parts.push(saveIds('uid-owner', (c.invert & XT_OWNER_UID) !== 0, c.uidMin, c.uidMax));
    if (c.match & XT_OWNER_GID) parts.push(saveIds('gid-owner', (c.invert & XT_OWNER_GID) !== 0, c.gidMin, c.gidMax));
    if (c.match & XT_OWNER_SUPPL_GROUPS) parts.push('--suppl-groups');
    return parts.join(' ');
  },
  match(c, skb, par) {
    return ownerMatches(c, par.services.socketOf?.(skb) ?? null);
  },
});
