/**
 * `-m rateest` (xt_rateest.c revision 0 / libxt_rateest.c): compares the
 * rates of the estimators RATEEST rules feed (src/netfilter/rateest.ts).
 * Both families.
 *
 * - Absolute: `--rateest NAME` (or `--rateest1`) with `--rateest-bps RATE`
 *   and/or `--rateest-pps N` and one of `--rateest-lt`, `--rateest-gt`,
 *   `--rateest-eq` (each invertible with `!`): the estimator's rate against
 *   the number. With `--rateest-delta`, `--rateest-bps1 RATE1` and
 *   `--rateest-pps1 N1` make the left side the headroom RATE1 - rate (0
 *   when the rate is above).
 * - Relative: `--rateest1 A ... --rateest2 B`: A's rates against B's (with
 *   `--rateest-delta`, both sides as headroom: `--rateest-bps1`/`-pps1`
 *   for A, `--rateest-bps2`/`-pps2` for B).
 *
 * Rates in bits per second as iproute's tc reads them (a C double, then
 * `bit`, `kbit`, `mbit`, `gbit`, `tbit`, `Kibit`..., `Bps`, `KBps`,
 * `KiBps`..., any case; none is bits), kept in bytes per second in 32 bits
 * (a rate under 8 bit is 0). The rate arguments are optional: a word that
 * starts with `-` or `!`, or none, is not taken. Packet rates are
 * xtables_strtoui numbers. iptables-save prints rates as bit, Kbit or Mbit
 * (`%.0f`), and the options in its own order (see `save`).
 *
 * The kernel's checkentry: a rate kind (bps or pps) and a comparison must
 * be given (EINVAL), and each estimator named must have been made by a
 * RATEEST rule loaded before (ENOENT).
 *
 * What the kernel compares (xt_rateest_mt): both sides as u32, `&&` of the
 * bps and pps comparisons given, then the inversion.
 *
 * @example
 * -m rateest --rateest wan --rateest-bps 8mbit --rateest-gt
 */
import { cStrtod, doubleToU32, estimators, type RateEstimator } from '../rateest.js';
import { xtStrtoulAll } from '../args.js';
import type { GuestServices, Skb, XtParams } from '../types.js';
import { CheckError, OptionError, defineMatch, type OptionSpec, type OptionUse } from '../xt.js';

const INVERT = 1 << 0;
const ABS = 1 << 1;
const REL = 1 << 2;
const DELTA = 1 << 3;
const BPS = 1 << 4;
const PPS = 1 << 5;

const enum Mode {
  None = 0,
  Eq = 1,
  Lt = 2,
  Gt = 3,
}

export interface RateestMatchConfig {
  readonly name1: string;
  readonly name2: string;
  readonly flags: number;
  readonly mode: Mode;
  readonly bps1: number;
  readonly pps1: number;
  readonly bps2: number;
  readonly pps2: number;
  boundTo: GuestServices | null;
  est1: RateEstimator | null;
  est2: RateEstimator | null;
}

// libxt_rateest's getopt table (it says itself what may not be repeated or inverted): --rateest-bps and --rateest-pps are --rateest-bps2 and --rateest-pps2.
const OPTIONS: readonly OptionSpec[] = [
  { name: 'rateest1', aliases: ['rateest'], args: 1, invert: true, repeat: true },
  { name: 'rateest2', args: 1, invert: true, repeat: true },
  { name: 'rateest-bps1', args: 0, optionalArg: true, invert: true, repeat: true },
  { name: 'rateest-pps1', args: 0, optionalArg: true, invert: true, repeat: true },
  { name: 'rateest-bps2', aliases: ['rateest-bps'], args: 0, optionalArg: true, invert: true, repeat: true },
  { name: 'rateest-pps2', aliases: ['rateest-pps'], args: 0, optionalArg: true, invert: true, repeat: true },
  { name: 'rateest-delta', args: 0, invert: true, repeat: true },
  { name: 'rateest-lt', args: 0, invert: true, repeat: true },
  { name: 'rateest-gt', args: 0, invert: true, repeat: true },
  { name: 'rateest-eq', args: 0, invert: true, repeat: true },
];

/** rate_suffix of libxt_rateest (iproute's), in its order: the first whose name equals the unit, any case. */
const SUFFIXES: ReadonlyArray<readonly [string, number]> = [
  ['bit', 1],
  ['Kibit', 1024],
  ['kbit', 1000],
  ['Mibit', 1024 * 1024],
  ['mbit', 1000000],
  ['Gibit', 1024 * 1024 * 1024],
  ['gbit', 1000000000],
  ['Tibit', 1024 * 1024 * 1024 * 1024],
  ['tbit', 1000000000000],
  ['Bps', 8],
  ['KiBps', 8 * 1024],
  ['KBps', 8000],
  ['MiBps', 8 * 1024 * 1024],
  ['MBps', 8000000],
  ['GiBps', 8 * 1024 * 1024 * 1024],
  ['GBps', 8000000000],
  ['TiBps', 8 * 1024 * 1024 * 1024 * 1024],
  ['TBps', 8000000000000],
];

/** rateest_get_rate: bytes per second, or undefined. */
export function rateestRate(text: string): number | undefined {
  const { value, end } = cStrtod(text);
  if (end === 0) return undefined;
  const unit = text.slice(end);
  if (unit === '') return doubleToU32(value / 8);
  for (const [name, scale] of SUFFIXES) if (name.toLowerCase() === unit.toLowerCase()) return doubleToU32((value * scale) / 8);
  return undefined;
}

/** %.0f: the nearest integer, ties to even (glibc rounds the exact value). */
function printf0(x: number): string {
  const f = Math.floor(x);
  const d = x - f;
  return String(d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f);
}

/** rateest_print_rate, not numeric. */
function printRate(rate: number): string {
  const tmp = rate * 8;
  if (tmp >= 1000.0 * 1000000.0) return `${printf0(tmp / 1000000.0)}Mbit`;
  if (tmp >= 1000.0 * 1000.0) return `${printf0(tmp / 1000.0)}Kbit`;
  return `${printf0(tmp)}bit`;
}

/** The name as strncpy(name, arg, 15) leaves it (bytes). */
function name15(s: string): string {
  const b = new TextEncoder().encode(s);
  return b.length <= 15 ? s : new TextDecoder().decode(b.subarray(0, 15));
}

/** Long option names as the error messages name them (libxt_rateest's). */
function twice(u: OptionUse): OptionError {
  const n = u.spec.name;
  if (n === 'rateest-lt' || n === 'rateest-gt' || n === 'rateest-eq') return new OptionError("rateest: can't specify lt/gt/eq twice", u);
  return new OptionError(`rateest: can't specify --${n} twice`, u);
}

export const rateestMatch = defineMatch<RateestMatchConfig>({
  name: 'rateest',
  options: OPTIONS,
  parse(uses, ctx) {
    let name1 = '';
    let name2 = '';
    let flags = 0;
    let mode = Mode.None;
    let bps1 = 0;
    let pps1 = 0;
    let bps2 = 0;
    let pps2 = 0;
    const seen = new Set<string>();
    for (const u of uses) {
      const n = u.spec.name;
      if (seen.has(n)) throw twice(u);
      seen.add(n);
      const arg = u.args[0];
      switch (n) {
        case 'rateest1':
          if (u.invert) throw new OptionError("rateest: rateest can't be inverted", u);
          name1 = name15(arg ?? '');
          break;
        case 'rateest2':
          if (u.invert) throw new OptionError("rateest: rateest can't be inverted", u);
          name2 = name15(arg ?? '');
          flags |= REL;
          break;
        case 'rateest-bps1':
        case 'rateest-bps2': {
          if (u.invert) throw new OptionError("rateest: rateest-bps can't be inverted", u);
          flags |= BPS;
          if (arg === undefined) break;
          const r = rateestRate(arg);
          if (r === undefined) throw new OptionError(`rateest: could not parse rate \`${arg}'`, u);
          if (n === 'rateest-bps1') bps1 = r;
          else bps2 = r;
          break;
        }
        case 'rateest-pps1':
        case 'rateest-pps2': {
          if (u.invert) throw new OptionError("rateest: rateest-pps can't be inverted", u);
          flags |= PPS;
          if (arg === undefined) break;
          const v = xtStrtoulAll(arg, 0xffffffff);
          if (v === undefined) throw new OptionError(`rateest: could not parse pps \`${arg}'`, u);
          if (n === 'rateest-pps1') pps1 = v;
          else pps2 = v;
          break;
        }
        case 'rateest-delta':
          if (u.invert) throw new OptionError("rateest: rateest-delta can't be inverted", u);
          flags |= DELTA;
          break;
        case 'rateest-lt':
        case 'rateest-gt':
        case 'rateest-eq':
          mode = n === 'rateest-lt' ? Mode.Lt : n === 'rateest-gt' ? Mode.Gt : Mode.Eq;
          if (u.invert) flags |= INVERT;
          break;
      }
    }
    if (!(flags & REL)) flags |= ABS;
    // xt_rateest_mt_checkentry's lookups, in the load's order: a RATEEST rule loaded before must have made each.
    const known = (n: string): boolean => !ctx.shared || ctx.shared.has(`rateest:${n}`);
    for (const n of flags & REL ? [name1, name2] : [name1]) {
      if (!known(n)) throw new OptionError(`rateest: no rate estimator ${n} (No such file or directory): a RATEEST rule loaded before must make it`);
    }
    return { name1, name2, flags, mode, bps1, pps1, bps2, pps2, boundTo: null, est1: null, est2: null };
  },
  /** xt_rateest_mt_checkentry. */
  check(c) {
    if (!(c.flags & (BPS | PPS))) throw new CheckError('rateest: give --rateest-bps or --rateest-pps (Invalid argument)');
    if (c.mode === Mode.None) throw new CheckError('rateest: give --rateest-lt, --rateest-gt or --rateest-eq (Invalid argument)');
  },
  save(c) {
    const f = c.flags;
    const mode = (): string => `${f & INVERT ? ' !' : ''} --rateest-${c.mode === Mode.Eq ? 'eq' : c.mode === Mode.Lt ? 'lt' : 'gt'}`;
    const rate = (kind: 'bps' | 'pps', r1: number, r2: number): string => {
      const show = (r: number): string => ` ${kind === 'bps' ? printRate(r) : String(r)}`;
      let s = f & DELTA ? ` --rateest-${kind}1${show(r1)}${mode()} --rateest-${kind}2` : `${mode()} --rateest-${kind}`;
      if (f & (ABS | DELTA)) s += show(r2);
      return s;
    };
    let s = f & DELTA ? ' --rateest-delta' : '';
    s += f & REL ? ` --rateest1 ${c.name1}` : ` --rateest ${c.name1}`;
    if (f & BPS) s += rate('bps', c.bps1, c.bps2);
    if (f & PPS) s += rate('pps', c.pps1, c.pps2);
    if (f & REL) s += ` --rateest2 ${c.name2}`;
    return s.slice(1);
  },
  match(c, _skb: Skb, par: XtParams) {
    const svc = par.services;
    if (c.boundTo !== svc) bind(c, svc);
    const now = svc.jiffies();
    const f = c.flags;
    let bps1: number;
    let pps1: number;
    let bps2: number;
    let pps2: number;
    const e1 = c.est1;
    // An estimator the guest never made (its RATEEST rule not installed) reads as 0.
    e1?.advance(now);
    const sb1 = e1 ? e1.bps() : 0;
    const sp1 = e1 ? e1.pps() : 0;
    if (f & DELTA) {
      bps1 = c.bps1 >= sb1 ? c.bps1 - sb1 : 0;
      pps1 = c.pps1 >= sp1 ? c.pps1 - sp1 : 0;
    } else {
      bps1 = sb1 % 2 ** 32;
      pps1 = sp1 % 2 ** 32;
    }
    if (f & ABS) {
      bps2 = c.bps2;
      pps2 = c.pps2;
    } else {
      const e2 = c.est2;
      e2?.advance(now);
      const sb2 = e2 ? e2.bps() : 0;
      const sp2 = e2 ? e2.pps() : 0;
      if (f & DELTA) {
        bps2 = c.bps2 >= sb2 ? c.bps2 - sb2 : 0;
        pps2 = c.pps2 >= sp2 ? c.pps2 - sp2 : 0;
      } else {
        bps2 = sb2 % 2 ** 32;
        pps2 = sp2 % 2 ** 32;
      }
    }
    let ret = true;
    switch (c.mode) {
      case Mode.Lt:
        if (f & BPS) ret &&= bps1 < bps2;
        if (f & PPS) ret &&= pps1 < pps2;
        break;
      case Mode.Gt:
        if (f & BPS) ret &&= bps1 > bps2;
        if (f & PPS) ret &&= pps1 > pps2;
        break;
      case Mode.Eq:
        if (f & BPS) ret &&= bps1 === bps2;
        if (f & PPS) ret &&= pps1 === pps2;
        break;
    }
    return f & INVERT ? !ret : ret;
  },
});

function bind(c: RateestMatchConfig, svc: GuestServices): void {
  const all = estimators(svc);
  c.est1 = all.get(c.name1) ?? null;
  c.est2 = c.flags & REL ? (all.get(c.name2) ?? null) : null;
  c.boundTo = svc;
}
