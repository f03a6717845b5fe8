/**
 * `-m osf` (net/netfilter/xt_osf.c, nfnetlink_osf.c, extensions/libxt_osf.c),
 * IPv4 only: `[!] --genre NAME [--ttl 0|1|2] [--log 0|1|2]`, passive OS
 * fingerprinting of TCP SYN packets against the fingerprints `nfnl_osf -f
 * pf.os` loaded into the kernel.
 *
 * The kernel takes the rule with `-p tcp` only, from PREROUTING, INPUT and
 * FORWARD (EINVAL elsewhere). The genre is cut to 31 bytes (MAXGENRELEN);
 * iptables-save prints it as it is, unquoted, then `--ttl N` and `--log N`
 * when given.
 *
 * cofw's guest has no fingerprints loaded (Debian ships no pf.os, and
 * nothing runs nfnl_osf at boot), so, as on such a kernel, the match is
 * false for every packet, inverted or not: nf_osf_match never looks at
 * the `!` (XT_OSF_INVERT), and with an empty list no genre is found. With
 * `--log` the kernel would log "Remote OS is not known" through the
 * namespace's bound logger, which a namespace has none of by default: cofw
 * logs nothing.
 *
 * @example
 * -A INPUT -p tcp -m osf --genre Windows --ttl 2 -j DROP
 */
import { uintArg } from '../args.js';
import { Hook } from '../types.js';
import { CheckError, defineMatch, Family, hookBits, type OptionSpec } from '../xt.js';
import { checkMandatory, checkUses } from './util.js';

export interface OsfConfig {
  readonly genre: string;
  readonly invert: boolean;
  /** --ttl: 0 the same TTL, 1 a TTL at most the fingerprint's (or the same from the local network), 2 no check; undefined when absent. */
  readonly ttl?: number;
  /** --log: 0 every fingerprint found, 1 the first, 2 all (logged even when no genre is asked); undefined when absent. */
  readonly log?: number;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'genre', args: 1, invert: true },
  { name: 'ttl', args: 1 },
  { name: 'log', args: 1 },
];

/** The hooks xt_osf registers for. */
const OSF_HOOKS = hookBits(Hook.PreRouting, Hook.LocalIn, Hook.Forward);

export const osfMatch = defineMatch<OsfConfig>({
  name: 'osf',
  family: Family.V4,
  options: OPTIONS,
  parse(uses) {
    checkUses('osf', uses);
    checkMandatory('osf', uses, ['genre']);
    const g = uses.find((u) => u.spec.name === 'genre')!;
    const ttl = uses.find((u) => u.spec.name === 'ttl');
    const log = uses.find((u) => u.spec.name === 'log');
    return {
      genre: g.args[0] ?? '',
      invert: g.invert,
      ...(ttl ? { ttl: uintArg('osf', ttl, 0, 2) } : {}),
      ...(log ? { log: uintArg('osf', log, 0, 2) } : {}),
    };
  },
  check(_c, ctx) {
    if (ctx.head.proto !== 6 || ctx.head.invProto) {
      throw new CheckError('osf: the kernel takes the osf match only with -p tcp (Invalid argument)');
    }
    if (ctx.hookMask & ~OSF_HOOKS) {
      throw new CheckError('osf: the osf match is only valid in PREROUTING, INPUT and FORWARD (and chains reached only from them) (Invalid argument)');
    }
  },
  save(c) {
    let s = `${c.invert ? '! ' : ''}--genre ${c.genre}`;
    if (c.ttl !== undefined) s += ` --ttl ${c.ttl}`;
    if (c.log !== undefined) s += ` --log ${c.log}`;
    return s;
  },
  match() {
    return false; // no fingerprints loaded: no genre is ever found
  },
});
