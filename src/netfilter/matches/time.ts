/**
 * `-m time` (xt_time.c / libxt_time.c): `--datestart`/`--datestop`
 * (ISO 8601 `YYYY[-MM[-DD[Thh[:mm[:ss]]]]]`, 1970-2038, read as UTC),
 * `--timestart`/`--timestop` (`hh:mm[:ss]`), `[!] --monthdays 1,15,31`,
 * `[!] --weekdays Mon,Tue` (or 1-7), `--contiguous`, `--kerneltz`
 * (`--localtz` is its old spelling) and `--utc` (the default).
 *
 * The clock. The kernel reads the wall clock when the rule runs, in whole
 * seconds (ktime_get_real_seconds), minus the kernel timezone
 * (sys_tz.tz_minuteswest) with `--kerneltz`. cofw's clock is the capture's
 * timestamps: the time of a packet is its capture timestamp. That needs the
 * guest to tell absolute time, which GuestServices does not yet offer; the
 * match uses an optional `wallNs()` (nanoseconds since 1970, the capture
 * timestamp of the packet being processed) and `tzMinutesWest()` (the
 * kernel timezone, 0 by default) when the guest provides them, and
 * otherwise `nowNs()`, which counts from the first packet: as if the
 * capture had started on 1970-01-01 00:00:00 UTC.
 *
 * Per packet, in the kernel's order: date range (inclusive), daytime range
 * (start > stop wraps past midnight; with `--contiguous` the part after
 * midnight counts as the previous day), weekday, then month day. Month days
 * are computed with the kernel's year table, which ends in 2039.
 *
 * Parsing follows libxt_time's C code with its quirks, which iptables-save
 * shows: a weekday is recognised by its first two letters (`Monday` is
 * Mon, `mo` is not), at most 3 characters of a weekday and 2 of a month day
 * are read (`--monthdays 100` is 10), weekday numbers above 7 vanish in the
 * 8-bit mask (`--weekdays 8` saves as `--weekdays `), an empty item counts
 * as 0 (`--monthdays 1,,2` keeps a never-matching day 0), dates are
 * normalised as mktime does (`2020-02-30` is 2020-03-01), and `--datestop`
 * is always printed, even its default 2038-01-19T03:14:07.
 *
 * @example
 * -m time --timestart 22:00 --timestop 06:00 --weekdays Fri --contiguous
 */
import { defineMatch, OptionError, type OptionSpec, type OptionUse } from '../xt.js';
import type { GuestServices } from '../types.js';
import { cStrtoumax } from '../args.js';
import { checkOptionUses } from './mark.js';

/** XT_TIME_* flags. */
export const TIME_LOCAL_TZ = 1;
export const TIME_CONTIGUOUS = 2;
const ALL_MONTHDAYS = 0xfffffffe;
const ALL_WEEKDAYS = 0xfe;
const MAX_DAYTIME = 24 * 60 * 60 - 1;
const INT_MAX = 0x7fffffff;
const SECONDS_PER_DAY = 86400;

export interface TimeConfig {
  readonly dateStart: number;
  readonly dateStop: number;
  readonly daytimeStart: number;
  readonly daytimeStop: number;
  readonly monthdays: number;
  readonly weekdays: number;
  readonly flags: number;
}

/** The part of GuestServices the match reads: the capture's clock and the kernel timezone. */
export interface WallClock {
  /** The machine's absolute time in ns since 1970-01-01 UTC (the packet's capture timestamp). */
  wallNs?(): bigint;
  /** The kernel timezone (sys_tz.tz_minuteswest), minutes west of UTC. */
  tzMinutesWest?(): number;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'datestart', args: 1 },
  { name: 'datestop', args: 1 },
  { name: 'timestart', args: 1 },
  { name: 'timestop', args: 1 },
  { name: 'contiguous', args: 0 },
  { name: 'weekdays', args: 1, invert: true },
  { name: 'monthdays', args: 1, invert: true },
  { name: 'localtz', args: 0, excludes: ['utc'] },
  { name: 'utc', args: 0, excludes: ['localtz', 'kerneltz'] },
  { name: 'kerneltz', args: 0, excludes: ['utc'] },
];

const WEEK_DAYS = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

// ---------------------------------------------------------------------------
// C library pieces, at load time only.

/**
 * strtoul(s + from, &end, base) as libxt_time calls it, directly (glibc,
 * args.ts's cStrtoumax: a minus negates, no digits gives 0 with end = from),
 * the value kept as the `unsigned int` its variables are.
 */
function cStrtoul(s: string, from: number, base: 0 | 10): { value: number; end: number } {
  const r = cStrtoumax(s, from, base);
  return { value: Number(r.value & 0xffffffffn), end: r.end };
}

/** time_parse_date: seconds since 1970 (UTC), normalised as mktime does. */
export function parseDate(text: string): number {
  const bad = (): never => {
    throw new OptionError(`Invalid date "${text}" specified. Should be YYYY[-MM[-DD[Thh[:mm[:ss]]]]]`);
  };
  const parts = [1970, 1, 1, 0, 0, 0];
  // Each field: its maximum and the separator that may follow it.
  const fields: ReadonlyArray<readonly [number, string]> = [
    [2038, '-'],
    [12, '-'],
    [31, 'T'],
    [23, ':'],
    [59, ':'],
    [59, ''],
  ];
  let pos = 0;
  for (let f = 0; f < fields.length; f++) {
    const [max, sep] = fields[f]!;
    const r = cStrtoul(text, pos, 10);
    const next = text[r.end];
    if ((next !== undefined && (sep === '' || next !== sep)) || r.value > max || (f === 0 && r.value < 1970)) bad();
    parts[f] = r.value;
    if (next === undefined) break;
    pos = r.end + 1;
  }
  const [y, mo, d, h, mi, s] = parts as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  if (ms < 0) throw new OptionError('mktime returned an error');
  return ms / 1000;
}

/** time_parse_minutes: seconds since midnight. */
export function parseDaytime(text: string): number {
  const bad = (seg: string): never => {
    throw new OptionError(`invalid time "${seg}" specified, should be hh:mm[:ss] format and within the boundaries`);
  };
  const h = cStrtoul(text, 0, 10);
  if (text[h.end] !== ':' || h.value > 23) bad(text);
  let seg = h.end + 1;
  const m = cStrtoul(text, seg, 10);
  let sec = 0;
  const afterM = text[m.end];
  if ((afterM !== ':' && afterM !== undefined) || m.value > 59) bad(text.slice(seg));
  if (afterM === ':') {
    seg = m.end + 1;
    const s = cStrtoul(text, seg, 10);
    if (s.end !== text.length || s.value > 59) bad(text.slice(seg));
    sec = s.value;
  }
  return h.value * 3600 + m.value * 60 + sec;
}

/** my_strseg: the comma-separated items, each cut to `keep` characters. */
function segments(arg: string, keep: number): string[] {
  const out: string[] = [];
  let rest: string | null = arg;
  while (rest !== null && rest.length > 0) {
    const k = rest.indexOf(',');
    if (k < 0) {
      out.push(rest.slice(0, keep));
      rest = null;
    } else {
      out.push(rest.slice(0, Math.min(k, keep)));
      rest = rest.slice(k + 1);
    }
  }
  return out;
}

export function parseMonthdays(arg: string): number {
  let ret = 0;
  for (const day of segments(arg, 2)) {
    const r = cStrtoul(day, 0, 0);
    if (r.end !== day.length || r.value > 31) throw new OptionError(`${day} is not a valid day for --monthdays`);
    ret |= 1 << r.value;
  }
  return ret >>> 0;
}

export function parseWeekdays(arg: string): number {
  let ret = 0;
  for (const day of segments(arg, 3)) {
    const r = cStrtoul(day, 0, 0);
    if (r.end === day.length) {
      if (r.value === 0) throw new OptionError('No, the week does NOT begin with Sunday.');
      ret |= 1 << (r.value & 31);
      continue;
    }
    let valid = false;
    for (let i = 1; i <= 7; i++) {
      if (day.length >= 2 && day.slice(0, 2) === WEEK_DAYS[i]!.slice(0, 2)) {
        ret |= 1 << i;
        valid = true;
      }
    }
    if (!valid) throw new OptionError(`${day} is not a valid day specifier`);
  }
  return ret & 0xff;
}

// ---------------------------------------------------------------------------
// Saving

const two = (v: number): string => String(v).padStart(2, '0');

function daytimeText(t: number): string {
  return `${two(Math.floor(t / 3600))}:${two(Math.floor(t / 60) % 60)}:${two(t % 60)}`;
}

function dateText(t: number): string {
  const d = new Date(t * 1000);
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

// ---------------------------------------------------------------------------
// The kernel's calendar (localtime_2 and localtime_3)

/** days_since_epoch[] of xt_time.c: 1 January of 2039 down to 1970. */
const DSE_FIRST = 2039;
const DAYS_SINCE_EPOCH = Int32Array.from({ length: DSE_FIRST - 1970 + 1 }, (_, i) => Date.UTC(DSE_FIRST - i, 0, 1) / 86_400_000);
const DAYS_SINCE_YEAR = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334] as const;
const DAYS_SINCE_LEAPYEAR = [0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335] as const;

function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

/** localtime_3's month day for `dse` days since the epoch (kept to 8 bits, as its u8 field). */
export function kernelMonthday(dse: number): number {
  let i = 0;
  let year = DSE_FIRST;
  while (i < DAYS_SINCE_EPOCH.length - 1 && DAYS_SINCE_EPOCH[i]! > dse) {
    i++;
    year--;
  }
  const w = dse - DAYS_SINCE_EPOCH[i]!;
  const table = isLeap(year) ? DAYS_SINCE_LEAPYEAR : DAYS_SINCE_YEAR;
  let m = table.length - 1;
  while (m > 0 && table[m]! > w) m--;
  return (w - table[m]! + 1) & 0xff;
}

/** time_mt for the time `stamp` (seconds, already shifted by the timezone). */
export function timeMatches(c: TimeConfig, stamp: number): boolean {
  if (stamp < c.dateStart || stamp > c.dateStop) return false;
  const packetTime = ((stamp % SECONDS_PER_DAY) + SECONDS_PER_DAY) % SECONDS_PER_DAY;
  if (c.daytimeStart < c.daytimeStop) {
    if (packetTime < c.daytimeStart || packetTime > c.daytimeStop) return false;
  } else {
    if (packetTime < c.daytimeStart && packetTime > c.daytimeStop) return false;
    if (c.flags & TIME_CONTIGUOUS && packetTime <= c.daytimeStop) stamp -= SECONDS_PER_DAY;
  }
  const dse = Math.floor(stamp / SECONDS_PER_DAY);
  const weekday = ((4 + dse - 1) % 7) + 1;
  if (!(c.weekdays & (1 << weekday))) return false;
  if (c.monthdays !== ALL_MONTHDAYS && !(c.monthdays & (1 << kernelMonthday(dse)))) return false;
  return true;
}

function use(uses: readonly OptionUse[], name: string): OptionUse | undefined {
  return uses.find((u) => u.spec.name === name);
}

function withUse<T>(u: OptionUse, f: (arg: string) => T): T {
  try {
    return f(u.args[0] ?? '');
  } catch (e) {
    throw new OptionError((e as Error).message, u);
  }
}

export const timeMatch = defineMatch<TimeConfig>({
  name: 'time',
  options: OPTIONS,
  parse(uses) {
    checkOptionUses('time', uses);
    let dateStart = 0;
    let dateStop = INT_MAX;
    let daytimeStart = 0;
    let daytimeStop = MAX_DAYTIME;
    let monthdays = ALL_MONTHDAYS;
    let weekdays = ALL_WEEKDAYS;
    let flags = 0;
    for (const u of uses) {
      switch (u.spec.name) {
        case 'datestart':
          dateStart = withUse(u, parseDate);
          break;
        case 'datestop':
          dateStop = withUse(u, parseDate);
          break;
        case 'timestart':
          daytimeStart = withUse(u, parseDaytime);
          break;
        case 'timestop':
          daytimeStop = withUse(u, parseDaytime);
          break;
        case 'contiguous':
          flags |= TIME_CONTIGUOUS;
          break;
        case 'localtz':
        case 'kerneltz':
          flags |= TIME_LOCAL_TZ;
          break;
        case 'monthdays':
          monthdays = withUse(u, parseMonthdays);
          if (u.invert) monthdays = (monthdays ^ ALL_MONTHDAYS) >>> 0;
          break;
        case 'weekdays':
          weekdays = withUse(u, parseWeekdays);
          if (u.invert) weekdays ^= ALL_WEEKDAYS;
          break;
      }
    }
    if (use(uses, 'contiguous') && daytimeStart < daytimeStop) {
      throw new OptionError('time: --contiguous only makes sense when stoptime is smaller than starttime', use(uses, 'contiguous'));
    }
    return { dateStart, dateStop, daytimeStart, daytimeStop, monthdays, weekdays, flags };
  },
  save(c) {
    const out: string[] = [];
    if (c.daytimeStart !== 0 || c.daytimeStop !== MAX_DAYTIME) {
      out.push(`--timestart ${daytimeText(c.daytimeStart)}`, `--timestop ${daytimeText(c.daytimeStop)}`);
    }
    if (c.monthdays !== ALL_MONTHDAYS) {
      const days: number[] = [];
      for (let i = 1; i <= 31; i++) if (c.monthdays & (1 << i)) days.push(i);
      out.push(`--monthdays ${days.join(',')}`);
    }
    if (c.weekdays !== ALL_WEEKDAYS) {
      const days: string[] = [];
      for (let i = 1; i <= 7; i++) if (c.weekdays & (1 << i)) days.push(WEEK_DAYS[i]!);
      out.push(`--weekdays ${days.join(',')}`);
    }
    // time_print_date skips 0 and LONG_MAX; on 64-bit hosts the default INT_MAX stop is printed.
    if (c.dateStart !== 0) out.push(`--datestart ${dateText(c.dateStart)}`);
    if (c.dateStop !== 0) out.push(`--datestop ${dateText(c.dateStop)}`);
    if (c.flags & TIME_LOCAL_TZ) out.push('--kerneltz');
    if (c.flags & TIME_CONTIGUOUS) out.push('--contiguous');
    return out.join(' ');
  },
  match(c, _skb, par) {
    const svc = par.services;
    let stamp = Number(svc.wallNs() / 1_000_000_000n);
    if (c.flags & TIME_LOCAL_TZ) stamp -= 60 * svc.tzMinutesWest();
    return timeMatches(c, stamp);
  },
});
