/**
 * `-m owner`: rule text -> iptables-save text and refusals, read from
 * Debian's iptables 1.8.9 (nf_tables) on Linux 6.18 in a network namespace
 * (iptables-restore, then iptables-save), and owner_mt's answer for each
 * kind of socket. The counters of test/golden/owner (recorded from the
 * kernel with sockets of several owners, REJECT's replies and forwarded
 * packets) are compared by test/golden.test.ts; this file checks that its
 * committed files are the builder's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Family } from '../../packet/inet-addr.js';
import { ipv4, ipv6, tcp, udp } from '../../packet/build.js';
import { parseMachineFile } from '../../machine/machine-file.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';
import { KERNEL_SOCKET, socketLookup } from '../sockets.js';
import { Hook, Skb, type PacketSocket } from '../types.js';
import { MACHINE, RULES, RULES6 } from './fixtures/owner/build.js';
import { ownerMatch, ownerMatches } from './owner.js';
import { params, parseCtx, parseError, roundTrip, run, skbOf, usesOf } from './test-util.js';

const golden = join(import.meta.dirname, '..', '..', '..', 'test', 'golden', 'owner');

/** [rule text, what iptables-save printed]. */
const ROWS: Array<[string, string]> = [
  ['--uid-owner root', '--uid-owner 0'],
  ['--uid-owner www-data', '--uid-owner 33'],
  ['--uid-owner 33', '--uid-owner 33'],
  ['--uid-owner 33-40', '--uid-owner 33-40'],
  ['--uid-owner 33:40', '--uid-owner 33-40'],
  ['--uid-owner 4294967294', '--uid-owner 4294967294'],
  ['--uid-owner 0x10', '--uid-owner 16'],
  ['--uid-owner 010', '--uid-owner 8'],
  ['--gid-owner adm', '--gid-owner 4'],
  ['! --uid-owner 0 ! --gid-owner 1-5 --suppl-groups', '! --uid-owner 0 ! --gid-owner 1-5 --suppl-groups'],
  ['--gid-owner 3 --suppl-groups --socket-exists', '--socket-exists --gid-owner 3 --suppl-groups'],
  ['! --socket-exists', '! --socket-exists'],
  ['--gid-owner 7 --uid-owner 5', '--uid-owner 5 --gid-owner 7'],
];

/** [rule text, iptables' message]. */
const REFUSED: Array<[string, string]> = [
  ['--suppl-groups', 'owner: Bad value for "--suppl-groups" option: "you need to use --gid-owner first"'],
  ['--suppl-groups --gid-owner 1', 'owner: Bad value for "--suppl-groups" option: "you need to use --gid-owner first"'],
  ['', 'owner: At least one of --uid-owner, --gid-owner or --socket-exists is required'],
  ['--uid-owner 4294967295', 'owner: Bad value for "--uid-owner" option: "4294967295"'],
  ['--uid-owner -1', 'owner: Bad value for "--uid-owner" option: "-1"'],
  ['--uid-owner 5-', 'owner: Bad value for "--uid-owner" option: "5-"'],
  ['--gid-owner 1-2-3', 'owner: Bad value for "--gid-owner" option: "1-2-3"'],
];

function saved(table: string, chain: string, rule: string, family = Family.V4): string {
  const rs = loadRuleset(`*${table}\n:${chain} ACCEPT [0:0]\n${rule}\nCOMMIT\n`, 'owner.rules', { family });
  return saveRuleset(rs)
    .split('\n')
    .find((l) => l.startsWith('-A'))!;
}

function refusal(text: string, family = Family.V4): string {
  try {
    loadRuleset(text, 'owner.rules', { family });
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
}

const cfg = (t: string) => ownerMatch.parse(usesOf(ownerMatch, t), parseCtx());

describe('owner', () => {
  it.each(ROWS)('save %s', (i, s) => expect(roundTrip(ownerMatch, i)).toBe(s));
  it.each(REFUSED)('refuses %s', (i, m) => expect(parseError(ownerMatch, i)).toBe(m));

  it('says when a name is not one of the base system', () => {
    expect(parseError(ownerMatch, '--uid-owner nosuchuser')).toMatch(
      /^owner: Bad value for "--uid-owner" option: "nosuchuser" \(not a number, nor a user of Debian's base system/,
    );
    expect(parseError(ownerMatch, '--gid-owner wheel')).toMatch(/nor a group of Debian's base system/);
  });

  it('is valid from OUTPUT and POSTROUTING only, as the kernel registers it; both families', () => {
    expect(saved('filter', 'OUTPUT', '-A OUTPUT -m owner --uid-owner 0')).toBe('-A OUTPUT -m owner --uid-owner 0');
    expect(saved('mangle', 'POSTROUTING', '-A POSTROUTING -m owner ! --socket-exists')).toBe('-A POSTROUTING -m owner ! --socket-exists');
    expect(saved('filter', 'OUTPUT', '-A OUTPUT -m owner --uid-owner 5', Family.V6)).toBe('-A OUTPUT -m owner --uid-owner 5');
    expect(refusal('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m owner --uid-owner 0\nCOMMIT\n')).toMatch(
      /owner match: used from hooks INPUT, but only valid from OUTPUT\/POSTROUTING/,
    );
    expect(
      refusal(
        '*filter\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:X - [0:0]\n-A INPUT -j X\n-A OUTPUT -j X\n-A X -m owner --uid-owner 0\nCOMMIT\n',
        Family.V6,
      ),
    ).toMatch(/owner match: used from hooks INPUT\/OUTPUT, but only valid from OUTPUT\/POSTROUTING/);
  });

  it('refuses a range ending below its start at load time, as owner_check does', () => {
    expect(refusal('*filter\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -m owner --uid-owner 40:33\nCOMMIT\n')).toMatch(/--uid-owner 40-33 ends below its start/);
    expect(refusal('*filter\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -m owner --gid-owner 9-8\nCOMMIT\n')).toMatch(/--gid-owner 9-8 ends below its start/);
  });

  it('without a socket matches only when every option it uses is inverted', () => {
    const none = (t: string): boolean => ownerMatches(cfg(t), null);
    expect(none('--socket-exists')).toBe(false);
    expect(none('! --socket-exists')).toBe(true);
    expect(none('--uid-owner 0')).toBe(false);
    expect(none('! --uid-owner 0')).toBe(true);
    expect(none('! --uid-owner 0 ! --gid-owner 0')).toBe(true);
    expect(none('! --uid-owner 0 --gid-owner 0')).toBe(false);
    // --suppl-groups cannot be inverted: the rule never matches without a socket.
    expect(none('! --gid-owner 0 --suppl-groups')).toBe(false);
  });

  it("with the kernel's own socket (no file): no ! --socket-exists, uid and gid options only inverted", () => {
    const k = (t: string): boolean => ownerMatches(cfg(t), KERNEL_SOCKET);
    expect(k('--socket-exists')).toBe(true);
    expect(k('! --socket-exists')).toBe(false);
    expect(k('! --socket-exists ! --uid-owner 0')).toBe(false);
    expect(k('--uid-owner 0')).toBe(false);
    expect(k('! --uid-owner 0')).toBe(true);
    expect(k('--socket-exists ! --uid-owner 0')).toBe(true);
    expect(k('! --gid-owner 0 --suppl-groups')).toBe(true);
  });

  it("with a socket's file: uid range, gid range or a supplementary group in it", () => {
    const www: PacketSocket = { file: { uid: 33, gid: 33, groups: [4, 24] } };
    const m = (t: string): boolean => ownerMatches(cfg(t), www);
    expect(m('--uid-owner 33')).toBe(true);
    expect(m('--uid-owner 30-40')).toBe(true);
    expect(m('! --uid-owner 33')).toBe(false);
    expect(m('--gid-owner 4')).toBe(false);
    expect(m('--gid-owner 4 --suppl-groups')).toBe(true);
    expect(m('--gid-owner 20-30 --suppl-groups')).toBe(true);
    expect(m('! --gid-owner 4 --suppl-groups')).toBe(false);
    expect(m('--uid-owner 33 --gid-owner 34')).toBe(false);
    expect(m('! --socket-exists')).toBe(false);
  });

  it('asks the guest for the packet socket', () => {
    const spec = parseMachineFile(MACHINE, 'owner.yaml');
    const local = new Set(['198.51.100.1', '192.0.2.1', '2001:db8:100::1', '2001:db8:2::1']);
    const socketOf = socketLookup(spec, (a) => local.has(a.toString()));
    const par = params(Hook.LocalOut);
    par.services = { ...par.services, socketOf };
    const c = cfg('--uid-owner 33');
    const mine = skbOf(ipv4({ src: '198.51.100.1', dst: '203.0.113.5' }, udp({ sport: 5000, dport: 53 })));
    expect(run(ownerMatch, c, mine, par).matched).toBe(true);
    const tcp5000 = skbOf(ipv4({ src: '198.51.100.1', dst: '203.0.113.5' }, tcp({ sport: 5000, dport: 80 })));
    expect(run(ownerMatch, c, tcp5000, par).matched).toBe(true);
    const v6 = new Skb().loadV6(ipv6({ src: '2001:db8:100::1', dst: '2001:db8:100::fe' }, udp({ sport: 5000, dport: 53 })));
    expect(run(ownerMatch, c, v6, par).matched).toBe(true);
    // Another port: the catch-all socket of root.
    const other = skbOf(ipv4({ src: '198.51.100.1', dst: '203.0.113.5' }, udp({ sport: 5009, dport: 53 })));
    expect(socketOf(other)?.file).toEqual({ uid: 0, gid: 0, groups: [] });
    // A forwarded packet (not from a guest address) and a generated reset have none; a generated ICMP error the kernel's.
    const fwd = skbOf(ipv4({ src: '203.0.113.6', dst: '192.0.2.10' }, udp({ sport: 5000, dport: 53 })));
    expect(socketOf(fwd)).toBeNull();
    expect(run(ownerMatch, cfg('! --socket-exists'), fwd, par).matched).toBe(true);
    const rst = skbOf(ipv4({ src: '198.51.100.1', dst: '203.0.113.5' }, tcp({ sport: 9, dport: 4001, flags: 'RA' })));
    rst.generated = true;
    expect(socketOf(rst)).toBeNull();
    const err = skbOf(ipv4({ src: '198.51.100.1', dst: '203.0.113.5' }, udp({ sport: 1, dport: 1 })));
    err.protocol = 1;
    err.generated = true;
    expect(socketOf(err)).toBe(KERNEL_SOCKET);
    // Without the service (a guest with no sockets), every packet is socket-less.
    expect(run(ownerMatch, cfg('! --socket-exists'), mine).matched).toBe(true);
  });

  it("the committed golden files are the builder's", () => {
    expect(readFileSync(join(golden, 'rules.v4'), 'utf8')).toBe(RULES);
    expect(readFileSync(join(golden, 'rules.v6'), 'utf8')).toBe(RULES6);
    expect(readFileSync(join(golden, 'machine.yaml'), 'utf8')).toBe(MACHINE);
  });
});
