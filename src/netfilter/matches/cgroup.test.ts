import { describe, expect, it } from 'vitest';
import { ipv4, udp } from '../../packet/build.js';
import { Hook, type PacketSocket } from '../types.js';
import { hookBits } from '../xt.js';
import { cgroupMatch, type CgroupConfig } from './cgroup.js';
import { liveCompare, liveUnavailable } from './live-iptables.js';
import { checkCtx, params, parseCtx, parseError, roundTrip, run, skbOf, usesOf } from './test-util.js';

/** Recorded with iptables-restore and iptables-save 1.8.9 (nf_tables) on Linux 6.18. */
const ROWS: ReadonlyArray<readonly [string, string]> = [
  ['--cgroup 1', '--cgroup 1'],
  ['! --cgroup 1', '! --cgroup 1'],
  ['--cgroup 0x10', '--cgroup 16'],
  ['--cgroup 4294967295', '--cgroup 4294967295'],
  ['--path /', '--path "/"'],
  ['! --path /', '! --path "/"'],
  ['--path ""', '--path ""'],
  ['--path //', '--path "//"'],
];

const BAD: ReadonlyArray<readonly [string, string]> = [
  ['--cgroup 4294967296', 'cgroup: bad value for option "--cgroup", or out of range (0-4294967295).'],
  ['--cgroup 1 --cgroup 2', 'cgroup: option "--cgroup" can only be used once.'],
];

const cfg = (t: string): CgroupConfig => cgroupMatch.parse(usesOf(cgroupMatch, t), parseCtx());
const OUT = hookBits(Hook.LocalOut);

const FILES = [
  ...ROWS.map((r) => `-A OUTPUT -m cgroup ${r[0]}`),
  '-A OUTPUT -m cgroup --path /no-such-cgroup-here',
  '-A OUTPUT -m cgroup --path / --cgroup 1',
  '-A OUTPUT -m cgroup',
  '-A INPUT -m cgroup --cgroup 1',
  '-A FORWARD -m cgroup --cgroup 1',
].map((r) => `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${r}\nCOMMIT\n`);

describe('cgroup', () => {
  it.each(ROWS)('save %s', (i, s) => expect(roundTrip(cgroupMatch, i)).toBe(s));
  it.each(BAD)('refuse %s', (i, e) => expect(parseError(cgroupMatch, i)).toBe(e));

  it('refuses what the kernel refuses at load', () => {
    expect(() => cgroupMatch.check!(cfg('--path / --cgroup 1'), checkCtx(OUT))).toThrow(/not both/);
    expect(() => cgroupMatch.check!(cfg(''), checkCtx(OUT))).toThrow(/with neither/);
    expect(() => cgroupMatch.check!(cfg('--cgroup 1'), checkCtx(hookBits(Hook.Forward)))).toThrow(/only valid in INPUT, OUTPUT and POSTROUTING/);
    expect(() => cgroupMatch.check!(cfg('--path /web'), checkCtx(OUT))).toThrow(/no such cgroup on the machine.*cgroup: \/web/);
    expect(() => cgroupMatch.check!(cfg('--path //web/'), { ...checkCtx(OUT), cgroups: ['/', '/web'] })).not.toThrow();
    expect(() => cgroupMatch.check!(cfg('--path //'), checkCtx(OUT))).not.toThrow();
  });

  it("matches the socket's cgroup and its descendants, or its class id; never a packet without a socket", () => {
    const p = skbOf(ipv4({ src: '198.51.100.1', dst: '203.0.113.9' }, udp({ sport: 1, dport: 2 })));
    const socketed = (sk: PacketSocket | null) => {
      const par = params(Hook.LocalOut);
      par.services.socketOf = () => sk;
      return par;
    };
    const web: PacketSocket = { file: { uid: 33, gid: 33, groups: [] }, cgroup: '/system.slice/nginx.service', classid: 0x100001 };
    const plain: PacketSocket = { file: { uid: 0, gid: 0, groups: [] } };
    const m = (t: string, sk: PacketSocket | null): boolean => run(cgroupMatch, cfg(t), p, socketed(sk)).matched;
    expect(m('--path /system.slice', web)).toBe(true);
    expect(m('--path /system.slice/nginx.service', web)).toBe(true);
    expect(m('--path /system.slice/nginx', web)).toBe(false);
    expect(m('! --path /system.slice', web)).toBe(false);
    expect(m('--path /', plain)).toBe(true);
    expect(m('! --path /system.slice', plain)).toBe(true);
    expect(m('--cgroup 0x100001', web)).toBe(true);
    expect(m('--cgroup 0', plain)).toBe(true);
    expect(m('! --cgroup 0', plain)).toBe(false);
    for (const t of ['--path /', '! --path /x', '--cgroup 0', '! --cgroup 5']) expect(m(t, null), t).toBe(false);
  });
});

describe('cgroup against iptables-restore in a network namespace', () => {
  const why = liveUnavailable();
  it.skipIf(why !== '')('loads, refuses and saves as iptables 1.8.9 and the kernel do', () => {
    for (const o of liveCompare(FILES)) expect(o.cofw, o.file).toEqual(o.kernel);
  });
  if (why) it.skip(`live: ${why}`, () => {});
});
