import { describe, expect, it } from 'vitest';
import { ipv4, ipv6, udp } from '../../packet/build.js';
import { Family } from '../../packet/inet-addr.js';
import { RuleFileErrors } from '../rules/api.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';
import { mergeNfacctLists, NfacctObject, nfacctList, nfacctObject, parseNfacctList, type NfacctSpec } from '../nfacct.js';
import { nfacctMatch } from './nfacct.js';
import { Skb } from '../types.js';
import { params, parseCtx, parseError, run, skbOf, usesOf } from './test-util.js';

const OBJECTS: NfacctSpec[] = [
  { name: 'http' },
  { name: '0123456789012345678901234567890' },
  { name: 'a b' },
  { name: 'capped', quota: { mode: 'bytes', value: 90n } },
  { name: 'pk', quota: { mode: 'packets', value: 2n } },
];

const file = (rule: string): string => `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rule}\nCOMMIT\n`;
const save = (rule: string, family = Family.V4): string => {
  const s = saveRuleset(loadRuleset(file(rule), 'r', { family, nfacct: OBJECTS }), {});
  return s.split('\n').find((l) => l.startsWith('-A'))!;
};
const loadError = (rule: string, nfacct: NfacctSpec[] = OBJECTS): string => {
  try {
    loadRuleset(file(rule), 'r', { nfacct });
    return '';
  } catch (e) {
    return (e as RuleFileErrors).errors[0]!.message;
  }
};

/** Recorded with iptables-restore and iptables-save 1.8.9 (nf_tables) on Linux 6.18: two spaces before the name, the name cut to 31 bytes. */
const ROWS: ReadonlyArray<readonly [string, string]> = [
  ['-A INPUT -m nfacct --nfacct-name http -j ACCEPT', '-A INPUT -m nfacct --nfacct-name  http -j ACCEPT'],
  ['-A INPUT -m nfacct --nfacct-name 0123456789012345678901234567890123', '-A INPUT -m nfacct --nfacct-name  0123456789012345678901234567890'],
  ['-A INPUT -m nfacct --nfacct-name 01234567890123456789012345678901', '-A INPUT -m nfacct --nfacct-name  0123456789012345678901234567890'],
  ['-A INPUT -m nfacct --nfacct-name "a b"', '-A INPUT -m nfacct --nfacct-name  "a b"'],
  ['-A INPUT -m nfacct --nfacct-name http -m nfacct --nfacct-name http', '-A INPUT -m nfacct --nfacct-name  http -m nfacct --nfacct-name  http'],
  ['-A FORWARD -m nfacct --nfacct-name  capped', '-A FORWARD -m nfacct --nfacct-name  capped'],
];

describe('nfacct', () => {
  it.each(ROWS)('save %s', (i, s) => {
    expect(save(i)).toBe(s);
    expect(save(i, Family.V6)).toBe(s);
    expect(save(s)).toBe(s);
  });

  it('refuses what iptables refuses, with its words', () => {
    expect(parseError(nfacctMatch, '! --nfacct-name http')).toBe('nfacct: option "--nfacct-name" cannot be inverted.');
    expect(parseError(nfacctMatch, '--nfacct-name http --nfacct-name http')).toBe('nfacct: option "--nfacct-name" can only be used once.');
    expect(parseError(nfacctMatch, '')).toBe('nfacct: option "--nfacct-name" must be specified');
    expect(parseError(nfacctMatch, '--nfacct-name ""')).toBe('Argument must have a minimum length of 1 characters');
  });

  it('refuses a rule naming an object the machine lacks, as the kernel does (ENOENT), saying where to add it', () => {
    expect(loadError('-A INPUT -m nfacct --nfacct-name nothere')).toMatch(
      /no accounting object `nothere'.*No such file or directory.*machine has http, .*nfacct: \[\{name: nothere\}\]/,
    );
    expect(loadError('-A INPUT -m nfacct --nfacct-name http', [])).toMatch(/no accounting object `http'.*the machine has none/);
    expect(loadError('-A INPUT -m nfacct --nfacct-name http')).toBe('');
  });

  it('counts every packet into the object, skb->len bytes of either family, and always matches without a quota', () => {
    const cfg = nfacctMatch.parse(usesOf(nfacctMatch, '--nfacct-name http'), { ...parseCtx(), nfacct: OBJECTS });
    const par = params();
    const p4 = skbOf(ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }, udp({ sport: 1, dport: 9, payload: new Uint8Array(2) })));
    const p6 = new Skb().loadV6(ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }, udp({ sport: 1, dport: 9, payload: new Uint8Array(2) })));
    for (let i = 0; i < 4; i++) expect(run(nfacctMatch, cfg, p4, par).matched).toBe(true);
    for (let i = 0; i < 2; i++) expect(run(nfacctMatch, cfg, p6, par).matched).toBe(true);
    // Recorded: 4 IPv4 UDP packets of 30 bytes and 2 IPv6 ones of 50, through rules of both families naming one object.
    expect(nfacctList([nfacctObject(par.services, OBJECTS[0]!)])).toBe('{ pkts = 00000000000000000006, bytes = 00000000000000000220 } = http;\n');
  });

  it('with a quota, matches once the counter has passed it; overquota from the moment it reaches it (recorded)', () => {
    const bytes = new NfacctObject(OBJECTS[3]!);
    const pkts = new NfacctObject(OBJECTS[4]!);
    // The kernel's rule counters: [1:30] for byte 90, [2:60] for packet 2, after four 30-byte packets.
    expect([30, 30, 30, 30].map((l) => bytes.count(l))).toEqual([false, false, false, true]);
    expect([30, 30, 30, 30].map((l) => pkts.count(l))).toEqual([false, false, true, true]);
    expect(nfacctList([bytes, pkts])).toBe(
      '{ pkts = 00000000000000000004, bytes = 00000000000000000120, quota = 00000000000000000090, mode = byte, overquota = yes } = capped;\n' +
        '{ pkts = 00000000000000000004, bytes = 00000000000000000120, quota = 00000000000000000002, mode = packet, overquota = yes } = pk;\n',
    );
    const at = new NfacctObject({ name: 'q', quota: { mode: 'bytes', value: 60n } });
    at.count(30);
    expect(at.overquota).toBe(false);
    expect(at.count(30)).toBe(false);
    expect(at.overquota).toBe(true);
  });

  it('starts from the starting counters, which count towards the quota', () => {
    const o = new NfacctObject({ name: 'q', quota: { mode: 'packets', value: 10n }, packets: 10n, bytes: 5n });
    expect(o.overquota).toBe(false);
    expect(o.count(100)).toBe(true);
    expect(nfacctList([o])).toBe(
      '{ pkts = 00000000000000000011, bytes = 00000000000000000105, quota = 00000000000000000010, mode = packet, overquota = yes } = q;\n',
    );
  });

  it('merges the lists of several guests exactly (their starting counters counted once)', () => {
    const spec: NfacctSpec = { name: 'http', packets: 5n, bytes: 500n };
    const a = new NfacctObject(spec);
    const b = new NfacctObject(spec);
    a.count(40);
    b.count(60);
    b.count(60);
    const merged = mergeNfacctLists([nfacctList([a]), nfacctList([b])], [spec]);
    expect(parseNfacctList(merged!)).toEqual([{ name: 'http', packets: 8n, bytes: 660n, overquota: false }]);
    expect(mergeNfacctLists([undefined], [])).toBeUndefined();
    expect(() => mergeNfacctLists(['{ pkts = 1, bytes = 2 } = a;\n', '{ pkts = 1, bytes = 2 } = b;\n'], [])).toThrow(/different objects/);
  });
});
