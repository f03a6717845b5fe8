/**
 * CT and NOTRACK (net/netfilter/xt_CT.c; iptables extensions/libxt_CT.c):
 * raw-table targets that decide how connection tracking treats a packet
 * before it runs (nf_conntrack_in comes after the raw table).
 *
 * `CT --notrack` and `NOTRACK` (which iptables-nft loads as CT revision 2
 * with the notrack flag, saved back as `NOTRACK`) mark the packet untracked:
 * `skb.ctState = CT_UNTRACKED`, so conntrack leaves it alone and
 * `-m state --state UNTRACKED` matches. A packet that already carries an
 * entry (looped back) is left as it is, as xt_ct_target does.
 *
 * Without --notrack, CT attaches a template that conntrack reads when it
 * looks the packet up: its zone (`--zone N`, `--zone-orig N`,
 * `--zone-reply N`: the zone holds for that direction of the entry only,
 * both named is both; `mark`: the zone id is the packet's mark, its low 16
 * bits, when conntrack runs). The packet is looked up and its new entry
 * made in that zone (nf_conntrack_zone). The first CT target a packet meets
 * decides, as in xt_ct_target (the packet carries its template or its
 * untracked state from then on): a later CT or NOTRACK rule counts the
 * packet and changes nothing. The event masks (--ctevents, --expevents:
 * netlink events only) change no verdict and are accepted.
 *
 * `--helper NAME` gives the entry conntrack makes for the packet that
 * helper (conntrack/helpers.ts): the template carries its index. The rule
 * must name the helper's protocol with `-p` (xt_ct_find_proto: "You must
 * specify a L4 protocol and not use inversions on it"), and the kernel must
 * have the helper for that family and protocol ("No such helper"). cofw
 * emulates ftp, tftp, netbios-ns, amanda, irc, sane, snmp, snmp_trap, pptp,
 * sip and the H.323 helpers (RAS, Q.931, H.245): every helper the kernel
 * has. The helper modules' `ports` parameters (machine file `modules:`)
 * name them: `ftp-2121` with `nf_conntrack_ftp: {ports: [21, 2121]}`, and
 * no `ftp` without 21 among them.
 *
 * `--timeout NAME` gives the entry the timeout policy NAME
 * (conntrack/timeout-policy.ts): the machine file's `cttimeout:` declares
 * the guest's policies, as `nfct add timeout` does on a host before the
 * rules load. xt_ct_set_timeout refuses a rule without `-p` (or with `! -p`)
 * as for --helper, then nf_ct_set_timeout a name the namespace has no
 * policy of (`No such timeout policy "NAME"`), a policy of the other family
 * ("Timeout policy `NAME' can only be used by L3 protocol number 2") and a
 * policy for another tracker than `-p`'s (nf_ct_l4proto_find: TCP, UDP,
 * UDP-Lite, ICMP, ICMPv6, SCTP and GRE have their own, every other
 * protocol is the generic tracker's: "... by L4 protocol number 255").
 *
 * iptables-save prints only the first 4 characters of the policy's name:
 * xt_CT's revisions 1 and 2 declare as their `usersize` the v0 structure's
 * (offsetof(struct xt_ct_target_info, ct), 32 bytes), which ends 4 bytes
 * into the v1 structure's `timeout[32]`, and the kernel hands userspace
 * only those bytes of the rule (xt_target_to_user, nft_compat alike;
 * iptables and ip6tables, legacy and nft). `--timeout short` saves as
 * `--timeout shor`, which iptables-restore then refuses unless a policy has
 * that name: cofw prints what the kernel prints.
 *
 * The kernel accepts both only in the raw table ("CT target: only valid in
 * raw table").
 */
import { CT_UNTRACKED, zoneTemplate } from '../conntrack/conn.js';
import { CTTIMEOUT_PROTOCOLS, l3num, trackerOf } from '../conntrack/timeout-policy.js';
import { Family } from '../../packet/inet-addr.js';
import { emulatedHelperNames, helperIndex, lookupHelper } from '../conntrack/helper-registry.js';
import { XT_CONTINUE, type Skb } from '../types.js';
import { xtStrtoulAll } from '../args.js';
import { CheckError, defineTarget, OptionError, type OptionUse } from '../xt.js';

/** ct_event_tbl and exp_event_tbl of libxt_CT, in bit order. */
const CT_EVENTS = ['new', 'related', 'destroy', 'reply', 'assured', 'protoinfo', 'helper', 'mark', 'natseqinfo', 'secmark'];
const EXP_EVENTS = ['new'];

const ZONE_ORIG = 1;
const ZONE_REPL = 2;

export interface CtConfig {
  readonly notrack: boolean;
  readonly helper: string;
  readonly timeout: string;
  /** The policy --timeout names: its index in the machine's list (from 1), 0 when the machine has none of that name. */
  readonly timeoutIndex: number;
  /** That policy's family and tracker (its l3num and l4proto). */
  readonly timeoutFamily: Family;
  readonly timeoutL4: number;
  readonly ctEvents: number;
  readonly expEvents: number;
  /** Zone id, or -1 for `mark` (the zone taken from the packet's mark). */
  readonly zone: number;
  /** ZONE_ORIG | ZONE_REPL: which directions `--zone-orig`/`--zone-reply` named. */
  readonly zoneDirs: number;
  /** The template as `Skb.ctZone` holds it. */
  readonly template: number;
}

/** `a, b and c`. */
function listText(xs: readonly string[]): string {
  return xs.length > 1 ? `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}` : (xs[0] ?? '');
}

function parseEvents(use: OptionUse, table: readonly string[]): number {
  let bits = 0;
  for (const w of (use.args[0] ?? '').split(',')) {
    const i = table.indexOf(w);
    if (i < 0) throw new OptionError(`Unknown event type "${w}"`, use);
    bits |= 1 << i;
  }
  return bits;
}

function parseZone(use: OptionUse): number {
  const a = use.args[0] ?? '';
  // ct_parse_zone_id: strcasecmp "mark", else xtables_strtoul(opt, NULL, &val, 0, UINT16_MAX).
  if (a.toLowerCase() === 'mark') return -1;
  const v = xtStrtoulAll(a, 65535);
  if (v !== undefined) return v;
  throw new OptionError(`Cannot parse ${a} as a zone ID`, use);
}

/** xt_ct_target: a packet that has an entry, a template or the untracked state already is left alone. */
function attached(skb: Skb): boolean {
  return skb.ct !== null || skb.ctZone >= 0 || skb.ctState === CT_UNTRACKED;
}

function notrack(skb: Skb): number {
  if (!attached(skb)) skb.ctState = CT_UNTRACKED;
  return XT_CONTINUE;
}

export const ctTarget = defineTarget<CtConfig>({
  name: 'CT',
  tables: ['raw'],
  options: [
    { name: 'notrack', args: 0 },
    { name: 'helper', args: 1 },
    { name: 'timeout', args: 1 },
    { name: 'ctevents', args: 1 },
    { name: 'expevents', args: 1 },
    { name: 'zone', args: 1 },
    { name: 'zone-orig', args: 1 },
    { name: 'zone-reply', args: 1 },
  ],

  parse(uses, ctx) {
    let nt = false;
    let helper = '';
    let timeout = '';
    let ctEvents = 0;
    let expEvents = 0;
    let zone = 0;
    let zoneDirs = 0;
    let helperUse: OptionUse | undefined;
    for (const u of uses) {
      switch (u.spec.name) {
        case 'notrack':
          nt = true;
          break;
        case 'helper':
          helper = (u.args[0] ?? '').slice(0, 15);
          helperUse = u;
          break;
        case 'timeout':
          timeout = (u.args[0] ?? '').slice(0, 31);
          break;
        case 'ctevents':
          ctEvents = parseEvents(u, CT_EVENTS);
          break;
        case 'expevents':
          expEvents = parseEvents(u, EXP_EVENTS);
          break;
        case 'zone':
          zone = parseZone(u);
          break;
        case 'zone-orig':
          zone = parseZone(u);
          zoneDirs |= ZONE_ORIG;
          break;
        case 'zone-reply':
          zone = parseZone(u);
          zoneDirs |= ZONE_REPL;
          break;
      }
    }
    if (!nt) {
      // With --notrack the kernel ignores everything else (xt_ct_tg_check).
      // Without -p the kernel's own refusal (check) comes first.
      if (helper && helperUse && ctx.head.proto !== 0 && !ctx.head.invProto && lookupHelper(helper, ctx.family, ctx.head.proto, ctx.modules) === 'unemulated') {
        throw new OptionError(
          `CT --helper ${helper}: cofw emulates the ${listText(emulatedHelperNames())} conntrack helpers only (no ${helper} expectations, so its related connections would be judged wrongly); remove the rule or judge its traffic without it`,
          helperUse,
        );
      }
    }
    // nf_ct_timeout_find_get: the namespace's policy of that name (names are one list for both families).
    const policies = ctx.cttimeout ?? [];
    let at = timeout ? policies.findIndex((p) => p.name === timeout) : -1;
    // The guest's own save text names a policy by its first 4 bytes.
    if (at < 0 && timeout && ctx.guestSave && timeout.length <= 4) at = policies.findIndex((p) => p.name.slice(0, 4) === timeout);
    const policy = at >= 0 ? policies[at] : undefined;
    const timeoutIndex = policy ? at + 1 : 0;
    const timeoutFamily = policy?.family ?? ctx.family;
    const timeoutL4 = policy ? CTTIMEOUT_PROTOCOLS[policy.protocol]!.l4proto : 0;
    const template = zoneTemplate(zone < 0 ? 0 : zone, zoneDirs, zone < 0, nt || !helper ? 0 : helperIndex(helper, ctx.head.proto), nt ? 0 : timeoutIndex);
    return { notrack: nt, helper, timeout, timeoutIndex, timeoutFamily, timeoutL4, ctEvents, expEvents, zone, zoneDirs, template };
  },

  check(config, ctx) {
    if (config.notrack) return;
    if (config.helper && (ctx.head.proto === 0 || ctx.head.invProto)) {
      throw new CheckError('xt_CT: You must specify a L4 protocol and not use inversions on it');
    }
    if (config.helper && lookupHelper(config.helper, ctx.family, ctx.head.proto, ctx.modules) === 'absent')
      throw new CheckError(`xt_CT: No such helper "${config.helper}"`);
    if (!config.timeout) return;
    // xt_ct_set_timeout, then nf_ct_set_timeout.
    if (ctx.head.proto === 0 || ctx.head.invProto) throw new CheckError('xt_CT: You must specify a L4 protocol and not use inversions on it');
    if (config.timeoutIndex === 0)
      throw new CheckError(
        `No such timeout policy "${config.timeout}" (declare it in the machine file's cttimeout:, as nfct add timeout ${config.timeout} ${ctx.family === Family.V6 ? 'inet6' : 'inet'} PROTOCOL STATE SECONDS... would on the host)`,
      );
    if (config.timeoutFamily !== ctx.family)
      throw new CheckError(`Timeout policy \`${config.timeout}' can only be used by L3 protocol number ${l3num(config.timeoutFamily)}`);
    if (config.timeoutL4 !== trackerOf(ctx.head.proto))
      throw new CheckError(`Timeout policy \`${config.timeout}' can only be used by L4 protocol number ${config.timeoutL4}`);
  },

  target(config, skb) {
    if (config.notrack) return notrack(skb);
    if (!attached(skb)) skb.ctZone = config.template;
    return XT_CONTINUE;
  },

  save(config) {
    const out: string[] = [];
    if (config.notrack) out.push('--notrack');
    if (config.helper) out.push('--helper', config.helper);
    // Only the first 4 bytes of the name reach userspace (xt_CT's usersize; see above).
    if (config.timeout) out.push('--timeout', config.timeout.slice(0, 4));
    if (config.ctEvents) out.push('--ctevents', CT_EVENTS.filter((_, i) => config.ctEvents & (1 << i)).join(','));
    if (config.expEvents) out.push('--expevents', EXP_EVENTS.filter((_, i) => config.expEvents & (1 << i)).join(','));
    if (config.zone !== 0) {
      const both = config.zoneDirs === 0 || config.zoneDirs === (ZONE_ORIG | ZONE_REPL);
      const opt = both ? '--zone' : config.zoneDirs === ZONE_ORIG ? '--zone-orig' : '--zone-reply';
      out.push(opt, config.zone < 0 ? 'mark' : String(config.zone));
    }
    return out.join(' ');
  },
});

/** NOTRACK: `CT --notrack` under its old name; no options. */
export const notrackTarget = defineTarget<null>({
  name: 'NOTRACK',
  tables: ['raw'],
  options: [],
  parse: () => null,
  target: (_config, skb) => notrack(skb),
  save: () => '',
});
