import { describe, expect, it } from 'vitest';
import { icmp, ipv4 } from '../../packet/build.js';
import { kernelMonthday, timeMatch, timeMatches, type TimeConfig, type WallClock } from './time.js';
import { params, parseCtx, parseError, roundTrip, skbOf, usesOf } from './test-util.js';

const STOP = '--datestop 2038-01-19T03:14:07';

// iptables-restore then iptables-save, iptables 1.8.9 (nf_tables) on Linux 6.18.
const ROWS: Array<[string, string]> = [
  ['--timestart 10:00 --timestop 12:00', `--timestart 10:00:00 --timestop 12:00:00 ${STOP}`],
  ['--timestart 10:00', `--timestart 10:00:00 --timestop 23:59:59 ${STOP}`],
  ['--timestop 12:00:30', `--timestart 00:00:00 --timestop 12:00:30 ${STOP}`],
  ['--timestart 23:00 --timestop 01:00 --contiguous', `--timestart 23:00:00 --timestop 01:00:00 ${STOP} --contiguous`],
  ['--timestart 1:2:3', `--timestart 01:02:03 --timestop 23:59:59 ${STOP}`],
  ['--weekdays Mon,Tue', `--weekdays Mon,Tue ${STOP}`],
  ['--weekdays Sun,Mon', `--weekdays Mon,Sun ${STOP}`],
  ['--weekdays 1,7', `--weekdays Mon,Sun ${STOP}`],
  ['--weekdays 8', `--weekdays  ${STOP}`],
  ['--weekdays Monday', `--weekdays Mon ${STOP}`],
  ['! --weekdays Sat,Sun', `--weekdays Mon,Tue,Wed,Thu,Fri ${STOP}`],
  ['--weekdays Mon,Tue,Wed,Thu,Fri,Sat,Sun', STOP],
  ['--weekdays Mon,', `--weekdays Mon ${STOP}`],
  ["--weekdays ''", `--weekdays  ${STOP}`],
  ['--monthdays 1,15,31', `--monthdays 1,15,31 ${STOP}`],
  ['! --monthdays 1', `--monthdays ${Array.from({ length: 30 }, (_, i) => i + 2).join(',')} ${STOP}`],
  ['--monthdays 0', `--monthdays  ${STOP}`],
  ['--monthdays 100', `--monthdays 10 ${STOP}`],
  ['--monthdays 1,,2', `--monthdays 1,2 ${STOP}`],
  ['--datestart 2020-01-01', `--datestart 2020-01-01T00:00:00 ${STOP}`],
  ['--datestart 2020', `--datestart 2020-01-01T00:00:00 ${STOP}`],
  ['--datestart 2020-02-30T10:11:12', `--datestart 2020-03-01T10:11:12 ${STOP}`],
  ['--datestart 2020-01-00', `--datestart 2019-12-31T00:00:00 ${STOP}`],
  ['--datestart 2020-1-5T1:2:3', `--datestart 2020-01-05T01:02:03 ${STOP}`],
  ['--datestop 2038-01-19T03:14:07', STOP],
  ['--datestop 2038-12-31', '--datestop 2038-12-31T00:00:00'],
  ['--datestart 1970-01-01', STOP],
  ['--datestart 1970-01-01T00:00:01', `--datestart 1970-01-01T00:00:01 ${STOP}`],
  ['--kerneltz', `${STOP} --kerneltz`],
  ['--localtz', `${STOP} --kerneltz`],
  ['--utc', STOP],
  ['', STOP],
  ['--datestop 2025-01-01 --datestart 2026-01-01', '--datestart 2026-01-01T00:00:00 --datestop 2025-01-01T00:00:00'],
  [
    '--datestart 2021-06-01 --datestop 2021-06-30 --kerneltz --timestart 22:00 --timestop 02:00 --contiguous --monthdays 2 --weekdays Fri',
    '--timestart 22:00:00 --timestop 02:00:00 --monthdays 2 --weekdays Fri --datestart 2021-06-01T00:00:00 --datestop 2021-06-30T00:00:00 --kerneltz --contiguous',
  ],
];
const BAD: Array<[string, string]> = [
  ['--timestart 01:00 --timestop 23:00 --contiguous', 'time: --contiguous only makes sense when stoptime is smaller than starttime'],
  ['--contiguous', 'time: --contiguous only makes sense when stoptime is smaller than starttime'],
  ['--timestart 24:00', 'invalid time "24:00" specified, should be hh:mm[:ss] format and within the boundaries'],
  ['--timestart 10', 'invalid time "10" specified, should be hh:mm[:ss] format and within the boundaries'],
  ['--timestart 10:60', 'invalid time "60" specified, should be hh:mm[:ss] format and within the boundaries'],
  ['--timestart 10:00:60', 'invalid time "60" specified, should be hh:mm[:ss] format and within the boundaries'],
  ['--weekdays 0', 'No, the week does NOT begin with Sunday.'],
  ['--weekdays ,Mon', 'No, the week does NOT begin with Sunday.'],
  ['--weekdays mo', 'mo is not a valid day specifier'],
  ['--weekdays Xx', 'Xx is not a valid day specifier'],
  ['--monthdays 32', '32 is not a valid day for --monthdays'],
  ['--monthdays 0x1f', '0x is not a valid day for --monthdays'],
  ['--datestart 1969', 'Invalid date "1969" specified. Should be YYYY[-MM[-DD[Thh[:mm[:ss]]]]]'],
  ['--datestart 2039', 'Invalid date "2039" specified. Should be YYYY[-MM[-DD[Thh[:mm[:ss]]]]]'],
  ['--datestart 2020-13', 'Invalid date "2020-13" specified. Should be YYYY[-MM[-DD[Thh[:mm[:ss]]]]]'],
  ['--datestart 2020-01-01T24', 'Invalid date "2020-01-01T24" specified. Should be YYYY[-MM[-DD[Thh[:mm[:ss]]]]]'],
  ['--utc --kerneltz', 'time: option "--utc" cannot be used together with "--kerneltz".'],
];

const cfg = (t: string): TimeConfig => timeMatch.parse(usesOf(timeMatch, t), parseCtx());
/** Seconds since 1970 of an ISO date-time in UTC. */
const at = (iso: string): number => Date.parse(`${iso}Z`) / 1000;

describe('time', () => {
  it.each(ROWS)('save %s', (i, s) => expect(roundTrip(timeMatch, i)).toBe(s));
  it.each(BAD)('refuse %s', (i, e) => expect(parseError(timeMatch, i)).toBe(e));

  it('daytime ranges, wrapping past midnight', () => {
    const day = cfg('--timestart 10:00 --timestop 12:00');
    expect(timeMatches(day, at('2026-01-01T09:59:59'))).toBe(false);
    expect(timeMatches(day, at('2026-01-01T10:00:00'))).toBe(true);
    expect(timeMatches(day, at('2026-01-01T12:00:00'))).toBe(true);
    expect(timeMatches(day, at('2026-01-01T12:00:01'))).toBe(false);
    const night = cfg('--timestart 22:00 --timestop 02:00');
    expect(timeMatches(night, at('2026-01-01T23:00:00'))).toBe(true);
    expect(timeMatches(night, at('2026-01-01T01:00:00'))).toBe(true);
    expect(timeMatches(night, at('2026-01-01T03:00:00'))).toBe(false);
  });

  it('weekdays, and --contiguous counting the small hours to the day before', () => {
    // 2026-01-01 is a Thursday.
    expect(timeMatches(cfg('--weekdays Thu'), at('2026-01-01T12:00:00'))).toBe(true);
    expect(timeMatches(cfg('--weekdays Fri'), at('2026-01-01T12:00:00'))).toBe(false);
    expect(timeMatches(cfg('--weekdays Sun'), at('2026-01-04T00:00:00'))).toBe(true);
    const fri = '--timestart 22:00 --timestop 02:00 --weekdays Thu';
    expect(timeMatches(cfg(fri), at('2026-01-02T01:00:00'))).toBe(false); // Friday 01:00
    expect(timeMatches(cfg(`${fri} --contiguous`), at('2026-01-02T01:00:00'))).toBe(true);
    expect(timeMatches(cfg(`${fri} --contiguous`), at('2026-01-01T01:00:00'))).toBe(false);
  });

  it('month days with the kernel calendar, and inclusive date bounds', () => {
    expect(timeMatches(cfg('--monthdays 29'), at('2024-02-29T08:00:00'))).toBe(true);
    expect(timeMatches(cfg('--monthdays 1'), at('2024-03-01T08:00:00'))).toBe(true);
    expect(timeMatches(cfg('--monthdays 31'), at('2025-12-31T23:59:59'))).toBe(true);
    expect(timeMatches(cfg('! --monthdays 31'), at('2025-12-31T23:59:59'))).toBe(false);
    for (const iso of ['1970-01-01', '2000-02-29', '2001-03-01', '2038-01-19', '2039-12-31']) {
      expect(kernelMonthday(Date.parse(iso) / 86_400_000)).toBe(Number(iso.slice(8)));
    }
    // The kernel's year table ends in 2039: later years count on from 2039-01-01.
    expect(kernelMonthday(Date.parse('2040-01-02') / 86_400_000)).toBe(367 - 334);
    const d = cfg('--datestart 2026-01-01 --datestop 2026-01-01T00:00:10');
    expect(timeMatches(d, at('2025-12-31T23:59:59'))).toBe(false);
    expect(timeMatches(d, at('2026-01-01T00:00:00'))).toBe(true);
    expect(timeMatches(d, at('2026-01-01T00:00:10'))).toBe(true);
    expect(timeMatches(d, at('2026-01-01T00:00:11'))).toBe(false);
  });

  it('reads the guest wall clock, in whole seconds, with --kerneltz shifted by the kernel timezone', () => {
    const s = skbOf(ipv4({ src: '203.0.113.1', dst: '198.51.100.1' }, icmp({ type: 8 })));
    const par = params();
    const clock: WallClock = { wallNs: () => BigInt(at('2026-01-01T09:59:59')) * 1_000_000_000n + 999_999_999n, tzMinutesWest: () => -60 };
    Object.assign(par.services, clock);
    expect(timeMatch.match(cfg('--timestart 10:00 --timestop 11:00'), s, par)).toBe(false);
    // Central European time: 10:59:59 local.
    expect(timeMatch.match(cfg('--timestart 10:00 --timestop 11:00 --kerneltz'), s, par)).toBe(true);
    // 1970-01-01 01:00 UTC was a Thursday.
    const bare = params();
    bare.services.wallNs = () => 3_600_000_000_000n;
    expect(timeMatch.match(cfg('--timestart 01:00 --timestop 01:01 --weekdays Thu'), s, bare)).toBe(true);
  });
});
