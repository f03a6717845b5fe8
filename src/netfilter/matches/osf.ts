/**
 * `-m osf` (net/netfilter/xt_osf.c, nfnetlink_osf.c, extensions/libxt_osf.c),
 * IPv4 only: `[!] --genre NAME [--ttl 0|1|2] [--log 0|1|2]`, passive OS
 * fingerprinting of TCP SYN packets against the fingerprints `nfnl_osf -f
 * pf.os` loaded into the kernel: the machine file's `osf:` (osf-fingers.ts
 * reads the file and matches as nf_osf_match_one does); none when absent,
 * as on a machine where nfnl_osf never ran (Debian ships no pf.os).
 *
 * The kernel takes the rule with `-p tcp` only, from PREROUTING, INPUT and
 * FORWARD (EINVAL elsewhere). The genre is cut to 31 bytes (MAXGENRELEN);
 * iptables-save prints it as it is, unquoted, then `--ttl N` and `--log N`
 * when given.
 *
 * nf_osf_match, as the kernel runs it: a packet with SYN set (other flags
 * allowed) is compared with the fingerprints of its DF bit's list, in load
 * order: the IP total length, the TTL (without --ttl: the same; --ttl 1:
 * at most the fingerprint's; --ttl 2: any), the option kinds and total
 * length, the window. Without --log, only fingerprints of the genre count
 * (strcmp); with --log the genre is not looked at: any known OS matches,
 * and each fingerprint that matches is logged (--log 1: the first only,
 * then the loop stops; 0 and 2 alike: all), or "Remote OS is not known"
 * when none does. The `!` of `! --genre` is saved but never read
 * (XT_OSF_INVERT is ignored by nf_osf_match): it matches as `--genre`.
 *
 * The log line is nf_log_packet's with no loginfo: the bound logger's
 * (nf_log_ipv4, level 5, TCP sequence, TCP and IP options), with the
 * prefix "GENRE [VERSION:SUBTYPE] : SRC:SPT -> DST:DPT hops=N\n" (N the
 * fingerprint's TTL less the packet's) cut to 127 bytes; the newline makes
 * it two console lines. A new network namespace has no logger bound
 * (net.netfilter.nf_log.2 is NONE) and nf_log_syslog logs nothing outside
 * the initial namespace unless net.netfilter.nf_log_all_netns is 1: cofw
 * writes the lines to its console as a firewall in the initial namespace
 * does.
 *
 * @example
 * -A INPUT -p tcp -m osf --genre Windows --ttl 2 -j DROP
 */
import { uintArg } from '../args.js';
import { Hook, type Skb, type XtParams } from '../types.js';
import { CheckError, defineMatch, Family, hookBits, type OptionSpec } from '../xt.js';
import { formatLogLine } from '../targets/log.js';
import { osfCtx, osfMatchOne, type OsfFinger, type OsfFingers } from './osf-fingers.js';
import { checkMandatory, checkUses } from './util.js';

export interface OsfConfig {
  readonly genre: string;
  readonly invert: boolean;
  /** --ttl: 0 the same TTL, 1 a TTL at most the fingerprint's (or the same from the local network), 2 no check; undefined when absent. */
  readonly ttl?: number;
  /** --log: 0 every fingerprint found, 1 the first, 2 all (logged even when no genre is asked); undefined when absent. */
  readonly log?: number;
  /** The fingerprints loaded (the machine file's `osf:`); none when absent. */
  readonly fingers?: OsfFingers;
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
  parse(uses, ctx) {
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
      ...(ctx.osf ? { fingers: ctx.osf } : {}),
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
  match(c, skb, par) {
    return osfMatch4(c, skb, par);
  },
});

const NONE: readonly OsfFinger[] = [];
/** NF_OSF_LOGLEVEL_FIRST: log the first fingerprint found and stop. */
const LOGLEVEL_FIRST = 1;
/** nf_log_syslog's default_loginfo: level 5 (notice), NF_LOG_DEFAULT_MASK (TCP sequence, TCP options, IP options, UID). */
const DEFAULT_LOGINFO = { level: 5, prefix: '', flags: 0x0f };
/** NF_LOG_PREFIXLEN - 1. */
const PREFIX_MAX = 127;

function ip4(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/** nf_log_packet(..., NULL, fmt, ...): the text cut to the prefix's 127 bytes, then the logger's line; the prefix's newline splits it in two. */
function osfLog(prefix: string, skb: Skb, par: XtParams): void {
  const bytes = new TextEncoder().encode(prefix);
  const cut = bytes.length > PREFIX_MAX ? new TextDecoder().decode(bytes.subarray(0, PREFIX_MAX)) : prefix;
  const text = formatLogLine({ ...DEFAULT_LOGINFO, prefix: cut }, skb, par);
  for (const line of text.split('\n')) par.services.printk(DEFAULT_LOGINFO.level, line);
}

/** nf_osf_match. */
function osfMatch4(c: OsfConfig, skb: Skb, par: XtParams): boolean {
  const fingers = c.fingers;
  const log = c.log !== undefined;
  if (!fingers && !log) return false;
  const b = skb.data;
  const ctx = osfCtx(b, skb.len, 0);
  if (!ctx) return false;
  const ttlCheck = c.ttl ?? 0;
  const ends = (): string => `${ip4(b, 12)}:${(b[ctx.th]! << 8) | b[ctx.th + 1]!} -> ${ip4(b, 16)}:${(b[ctx.th + 2]! << 8) | b[ctx.th + 3]!}`;
  let count = 0;
  for (const f of fingers?.lists[ctx.df] ?? NONE) {
    if (!log && c.genre !== f.genre) continue;
    if (!osfMatchOne(f, ttlCheck, ctx)) continue;
    count++;
    if (!log) return true; // the kernel goes on through the list, to the same answer
    osfLog(`${f.genre} [${f.version}:${f.subtype}] : ${ends()} hops=${f.ttl - ctx.ttl}\n`, skb, par);
    if (c.log === LOGLEVEL_FIRST) break;
  }
  if (!count && log) osfLog(`Remote OS is not known: ${ends()}\n`, skb, par);
  return count > 0;
}
