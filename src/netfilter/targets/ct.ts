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
 * Without --notrack, CT attaches a template; one with zone 0, no helper and
 * no timeout policy changes nothing, so `CT`, `CT --zone 0` and the event
 * masks (--ctevents, --expevents: netlink events only) are accepted as
 * no-ops. Zones other than 0, helpers and timeout policies change tracking
 * in ways cofw does not emulate yet and are refused by name. The kernel
 * refuses --helper without `-p` and --timeout naming a policy that does not
 * exist (a fresh machine has none); so does cofw, with its reasons.
 *
 * The kernel accepts both only in the raw table ("CT target: only valid in
 * raw table").
 */
import { CT_UNTRACKED } from '../conntrack/conn.js';
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
  readonly ctEvents: number;
  readonly expEvents: number;
  /** Zone id, or -1 for `mark` (the zone taken from the packet's mark). */
  readonly zone: number;
  /** ZONE_ORIG | ZONE_REPL: which directions `--zone-orig`/`--zone-reply` named. */
  readonly zoneDirs: number;
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

function notrack(skb: Skb): number {
  // Previously seen (looped back): ignored.
  if (skb.ct === null) skb.ctState = CT_UNTRACKED;
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
    let zoneUse: OptionUse | undefined;
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
          zoneUse = u;
          break;
        case 'zone-orig':
          zone = parseZone(u);
          zoneDirs |= ZONE_ORIG;
          zoneUse = u;
          break;
        case 'zone-reply':
          zone = parseZone(u);
          zoneDirs |= ZONE_REPL;
          zoneUse = u;
          break;
      }
    }
    if (!nt) {
      // With --notrack the kernel ignores everything else (xt_ct_tg_check).
      if (zone !== 0 && zoneUse) {
        throw new OptionError(`CT --${zoneUse.spec.name} ${zoneUse.args[0]}: conntrack zones are not emulated by cofw yet`, zoneUse);
      }
      // Without -p the kernel's own refusal (check) comes first.
      if (helper && helperUse && ctx.head.proto !== 0 && !ctx.head.invProto) {
        throw new OptionError(`CT --helper ${helper}: conntrack helpers are not emulated by cofw yet`, helperUse);
      }
    }
    return { notrack: nt, helper, timeout, ctEvents, expEvents, zone, zoneDirs };
  },

  check(config, ctx) {
    if (config.notrack) return;
    if (config.helper && (ctx.head.proto === 0 || ctx.head.invProto)) {
      throw new CheckError('xt_CT: You must specify a L4 protocol and not use inversions on it');
    }
    if (config.timeout) throw new CheckError(`xt_CT: No such timeout policy "${config.timeout}" (cofw's guest has no nfct timeout objects)`);
  },

  target(config, skb) {
    return config.notrack ? notrack(skb) : XT_CONTINUE;
  },

  save(config) {
    const out: string[] = [];
    if (config.notrack) out.push('--notrack');
    if (config.helper) out.push('--helper', config.helper);
    if (config.timeout) out.push('--timeout', config.timeout);
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
