/**
 * `-m set` and `-j SET`: rule text -> iptables-save text and refusals, as
 * recorded from Debian's iptables and ip6tables 1.8.9 (nf_tables) on Linux
 * 6.18 with ipset 7.17, in a network namespace: the sets of
 * fixtures/set/sets.save restored with `ipset restore`, then each rule of
 * rows.v4.txt / rows.v6.txt alone through iptables-restore and
 * iptables-save (`RULE;=;SAVED` or `RULE;FAIL;MESSAGE`); and what the
 * match and target do with packets.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Family } from '../../packet/inet-addr.js';
import { ethernet, icmp, ipv4, ipv6, tcp, udp } from '../../packet/build.js';
import { parseIpsets, type IpsetStore } from '../ipset/ipset.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';
import type { Skb, XtParams } from '../types.js';
import { setTarget } from '../targets/set.js';
import { setMatch, type SetMatchConfig } from './set.js';
import type { SetTargetConfig } from '../targets/set.js';
import { dev, params, skbOf } from './test-util.js';
import { Skb as SkbClass } from '../types.js';

const FIXTURES = new URL('./fixtures/set/', import.meta.url);
const SETS = readFileSync(new URL('sets.save', FIXTURES), 'utf8');

function saved(store: IpsetStore | undefined, rule: string, family = Family.V4): string {
  const text = `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rule}\nCOMMIT\n`;
  try {
    const rs = loadRuleset(text, 'set.rules', { family, ...(store ? { ipsets: store } : {}) });
    return saveRuleset(rs)
      .split('\n')
      .filter((l) => l.startsWith('-A'))
      .join('\n');
  } catch (e) {
    return `FAIL ${(e as Error).message}`;
  }
}

describe('rule texts recorded from iptables-restore and iptables-save 1.8.9 with ipset', () => {
  for (const [file, family] of [
    ['rows.v4.txt', Family.V4],
    ['rows.v6.txt', Family.V6],
  ] as const) {
    const rows = readFileSync(new URL(file, FIXTURES), 'utf8').split('\n').filter(Boolean);
    it(`${file}: ${rows.length} rows`, () => {
      const store = parseIpsets(SETS, 'sets.save');
      for (const row of rows) {
        const [rule, verdict, ...rest] = row.split(';');
        const want = rest.join(';');
        const got = saved(store, rule!, family);
        if (verdict === '=') expect(got, rule).toBe(want);
        else {
          const message = want.replace(/^ip6?tables-restore v1\.8\.9 \(nf_tables\): /, '');
          expect(got, rule).toMatch(/^FAIL /);
          expect(got, rule).toContain(message);
        }
      }
    });
  }

  it('map-rows.txt: -j SET --map-set in each table and chain, both families (FAMILY TABLE RULES, lines joined by |)', () => {
    const rows = readFileSync(new URL('map-rows.txt', FIXTURES), 'utf8').split('\n').filter(Boolean);
    expect(rows.length).toBeGreaterThan(40);
    const store = parseIpsets(SETS, 'sets.save');
    for (const row of rows) {
      const [head, verdict, ...rest] = row.split(';');
      const [, fam, table, rules] = /^(\d) (\w+) (.*)$/.exec(head!)!;
      const text = `*${table}\n${rules!.split('|').join('\n')}\nCOMMIT\n`;
      let got: string;
      try {
        const rs = loadRuleset(text, 'map.rules', { family: fam === '6' ? Family.V6 : Family.V4, ipsets: store });
        got = saveRuleset(rs)
          .split('\n')
          .filter((l) => l.startsWith('-A'))
          .join('|');
      } catch (e) {
        got = `FAIL ${(e as Error).message}`;
      }
      const want = rest.join(';');
      if (verdict === '=') {
        expect(got, head).toBe(want);
        continue;
      }
      expect(got, head).toMatch(/^FAIL /);
      // The kernel's refusals (checkentry) say only the line; cofw says the same line and why.
      const line = / line (\d+): RULE_APPEND failed \(Invalid argument\)/.exec(want);
      if (line)
        expect(got, head).toMatch(
          new RegExp(
            `^FAIL map\\.rules:${line[1]}:\\d+: .*(--map-set only usable from mangle table|mapping of prio or/and queue is allowed only from OUTPUT/FORWARD/POSTROUTING chains)`,
          ),
        );
      else expect(got, head).toContain(want.replace(/^ip6?tables-restore v1\.8\.9 \(nf_tables\): /, ''));
    }
  });

  it('without an ipset file a rule naming a set is refused as iptables refuses it, saying how to give the sets', () => {
    expect(saved(undefined, '-A INPUT -m set --match-set ban src -j DROP')).toMatch(
      /^FAIL set\.rules:5:\d+: Set ban doesn't exist\. \(give the sets with --ipsets FILE/,
    );
  });
});

/** A match or target bound to a store, from rule text. */
function bind<C>(store: IpsetStore, rule: string, family = Family.V4): C {
  const text = `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rule}\nCOMMIT\n`;
  const rs = loadRuleset(text, 'set.rules', { family, ipsets: store });
  const r = rs.tables.get('filter')!.chains.get('INPUT')!.rules[0]!;
  if (r.matches.length) return r.matches[r.matches.length - 1]!.config as C;
  return (r.target as { config: C }).config;
}

let clock = 0;
function par(o: Parameters<typeof params>[1] = {}): XtParams {
  const p = params(1, o);
  (p.services as { jiffies: () => number }).jiffies = () => clock;
  return p;
}

const pkt = (src: string, dst: string, dport = 80, proto: 'tcp' | 'udp' = 'tcp'): Skb =>
  skbOf(ipv4({ src, dst }, proto === 'tcp' ? tcp({ sport: 40000, dport }) : udp({ sport: 40000, dport })));

describe('-m set on packets', () => {
  it('hash:ip: src and dst flags, inversion, counters counted per match and compared after counting', () => {
    clock = 0;
    const store = parseIpsets('create s hash:ip counters\nadd s 10.0.0.1\n', 'f');
    const m = bind<SetMatchConfig>(store, '-A INPUT -m set --match-set s src');
    const inv = bind<SetMatchConfig>(store, '-A INPUT -m set ! --match-set s dst');
    const gt = bind<SetMatchConfig>(store, '-A INPUT -m set --match-set s src --packets-gt 2');
    const quiet = bind<SetMatchConfig>(store, '-A INPUT -m set --match-set s src ! --update-counters');
    const a = pkt('10.0.0.1', '10.0.0.9');
    expect(setMatch.match(m, a, par())).toBe(true);
    expect(setMatch.match(inv, a, par())).toBe(true);
    expect(setMatch.match(m, pkt('10.0.0.2', '10.0.0.1'), par())).toBe(false);
    expect(setMatch.match(quiet, a, par())).toBe(true);
    // 1 packet counted so far (the quiet rule counts nothing): the next two make 2 and 3.
    expect(setMatch.match(gt, a, par())).toBe(false);
    expect(setMatch.match(gt, a, par())).toBe(true);
    expect(store.save(0)).toContain(`add s 10.0.0.1 packets 3 bytes ${3 * a.totLen}`);
  });

  it('hash:net: the most specific prefix decides; nomatch entries exclude; --return-nomatch inverts that', () => {
    const store = parseIpsets('create n hash:net\nadd n 10.0.0.0/8\nadd n 10.1.0.0/16 nomatch\nadd n 10.1.2.0/24\n', 'f');
    const m = bind<SetMatchConfig>(store, '-A INPUT -m set --match-set n src');
    const rn = bind<SetMatchConfig>(store, '-A INPUT -m set --match-set n src --return-nomatch');
    expect(setMatch.match(m, pkt('10.9.9.9', '1.1.1.1'), par())).toBe(true);
    expect(setMatch.match(m, pkt('10.1.9.9', '1.1.1.1'), par())).toBe(false);
    expect(setMatch.match(m, pkt('10.1.2.9', '1.1.1.1'), par())).toBe(true);
    expect(setMatch.match(m, pkt('11.0.0.1', '1.1.1.1'), par())).toBe(false);
    expect(setMatch.match(rn, pkt('10.1.9.9', '1.1.1.1'), par())).toBe(true);
    expect(setMatch.match(rn, pkt('10.9.9.9', '1.1.1.1'), par())).toBe(false);
  });

  it('port types read the transport header; a rule with fewer flags than the set has parts never matches', () => {
    const store = parseIpsets('create p hash:ip,port\nadd p 10.0.0.2,tcp:80\nadd p 10.0.0.2,udp:53\ncreate q hash:net,port\nadd q 10.0.0.0/24,udp:53\n', 'f');
    const m = bind<SetMatchConfig>(store, '-A INPUT -m set --match-set p dst,dst');
    const short = bind<SetMatchConfig>(store, '-A INPUT -m set --match-set p dst');
    const q = bind<SetMatchConfig>(store, '-A INPUT -m set --match-set q dst,dst');
    expect(setMatch.match(m, pkt('1.1.1.1', '10.0.0.2', 80), par())).toBe(true);
    expect(setMatch.match(m, pkt('1.1.1.1', '10.0.0.2', 80, 'udp'), par())).toBe(false);
    expect(setMatch.match(m, pkt('1.1.1.1', '10.0.0.2', 53, 'udp'), par())).toBe(true);
    expect(setMatch.match(short, pkt('1.1.1.1', '10.0.0.2', 80), par())).toBe(false);
    expect(setMatch.match(q, pkt('1.1.1.1', '10.0.0.77', 53, 'udp'), par())).toBe(true);
    const ping = skbOf(ipv4({ src: '1.1.1.1', dst: '10.0.0.2' }, icmp({ type: 8, code: 0 })));
    const store2 = parseIpsets('create i hash:ip,port\nadd i 10.0.0.2,icmp:ping\n', 'f');
    expect(setMatch.match(bind<SetMatchConfig>(store2, '-A INPUT -m set --match-set i dst,dst'), ping, par())).toBe(true);
  });

  it('hash:ip,port,ip, hash:net,iface, hash:mac, bitmap:ip, bitmap:port and list:set', () => {
    const store = parseIpsets(
      [
        'create t hash:ip,port,ip',
        'add t 1.1.1.1,tcp:80,10.0.0.2',
        'create f hash:net,iface',
        'add f 1.1.1.0/24,eth0',
        'create mac hash:mac',
        'add mac 02:00:00:00:00:01',
        'create b bitmap:ip range 10.0.0.0/24',
        'add b 10.0.0.2',
        'create bp bitmap:port range 0-1024',
        'add bp 80',
        'create l list:set',
        'add l b',
        'add l t',
        '',
      ].join('\n'),
      'f',
    );
    const a = pkt('1.1.1.1', '10.0.0.2', 80);
    expect(setMatch.match(bind(store, '-A INPUT -m set --match-set t src,dst,dst'), a, par())).toBe(true);
    expect(setMatch.match(bind(store, '-A INPUT -m set --match-set t src,dst,src'), a, par())).toBe(false);
    expect(setMatch.match(bind(store, '-A INPUT -m set --match-set f src,src'), a, par({ inDev: dev('eth0', 2) }))).toBe(true);
    expect(setMatch.match(bind(store, '-A INPUT -m set --match-set f src,src'), a, par({ inDev: dev('eth1', 3) }))).toBe(false);
    expect(setMatch.match(bind(store, '-A INPUT -m set --match-set f src,dst'), a, par({ inDev: dev('eth0', 2) }))).toBe(false);
    const frame = ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:ff' }, new Uint8Array(0));
    const withMac = skbOf(ipv4({ src: '1.1.1.1', dst: '10.0.0.2' }, tcp({ sport: 1, dport: 80 })), frame.subarray(0, 14));
    expect(setMatch.match(bind(store, '-A INPUT -m set --match-set mac src'), withMac, par())).toBe(true);
    expect(setMatch.match(bind(store, '-A INPUT -m set --match-set mac dst'), withMac, par())).toBe(false);
    expect(setMatch.match(bind(store, '-A INPUT -m set --match-set mac src'), a, par())).toBe(false);
    expect(setMatch.match(bind(store, '-A INPUT -m set --match-set b dst'), a, par())).toBe(true);
    expect(setMatch.match(bind(store, '-A INPUT -m set --match-set bp dst'), a, par())).toBe(true);
    expect(setMatch.match(bind(store, '-A INPUT -m set --match-set l dst'), a, par())).toBe(true);
    expect(setMatch.match(bind(store, '-A INPUT -m set --match-set l src'), a, par())).toBe(false);
  });

  it('entries time out on the capture clock', () => {
    clock = 0;
    const store = parseIpsets('create s hash:ip timeout 10\nadd s 10.0.0.1 timeout 2\nadd s 10.0.0.3\n', 'f');
    const m = bind<SetMatchConfig>(store, '-A INPUT -m set --match-set s src');
    clock = 2 * 250;
    expect(setMatch.match(m, pkt('10.0.0.1', '1.1.1.1'), par())).toBe(true);
    clock = 2 * 250 + 1;
    expect(setMatch.match(m, pkt('10.0.0.1', '1.1.1.1'), par())).toBe(false);
    expect(store.save(clock)).toBe(
      `create s hash:ip family inet hashsize 1024 maxelem 65536 timeout 10 bucketsize 12 initval ${/initval (\S+)/.exec(store.save(0))![1]}\nadd s 10.0.0.3 timeout 7\n`,
    );
  });

  it('IPv6 sets with ip6tables rules', () => {
    const store = parseIpsets('create s6 hash:net family inet6\nadd s6 2001:db8::/32\n', 'f');
    const m = bind<SetMatchConfig>(store, '-A INPUT -m set --match-set s6 src', Family.V6);
    const skb = new SkbClass().loadV6(ipv6({ src: '2001:db8::5', dst: '2001:db9::1' }, tcp({ sport: 1, dport: 2 })));
    expect(setMatch.match(m, skb, par())).toBe(true);
    const other = new SkbClass().loadV6(ipv6({ src: '2001:db9::5', dst: '2001:db9::1' }, tcp({ sport: 1, dport: 2 })));
    expect(setMatch.match(m, other, par())).toBe(false);
  });
});

describe('-j SET', () => {
  it('adds with the set timeout or --timeout, --exist renews, a later --match-set sees it; del removes', () => {
    clock = 0;
    const store = parseIpsets('create ban hash:ip timeout 60 counters\n', 'f');
    const add = bind<SetTargetConfig>(store, '-A INPUT -j SET --add-set ban src');
    const renew = bind<SetTargetConfig>(store, '-A INPUT -j SET --add-set ban src --exist --timeout 100');
    const del = bind<SetTargetConfig>(store, '-A INPUT -j SET --del-set ban src');
    const m = bind<SetMatchConfig>(store, '-A INPUT -m set --match-set ban src');
    const a = pkt('192.0.2.7', '10.0.0.1');
    expect(setMatch.match(m, a, par())).toBe(false);
    setTarget.target(add, a, par());
    expect(store.save(0)).toContain(`add ban 192.0.2.7 timeout 60 packets 1 bytes ${a.totLen}`);
    clock = 250 * 10;
    setTarget.target(add, a, par());
    expect(store.save(clock)).toContain('add ban 192.0.2.7 timeout 50 packets 1');
    setTarget.target(renew, a, par());
    expect(store.save(clock)).toContain('add ban 192.0.2.7 timeout 100 packets 1');
    expect(setMatch.match(m, a, par())).toBe(true);
    setTarget.target(del, a, par());
    expect(setMatch.match(m, a, par())).toBe(false);
  });

  it('maxelem: a full set takes no new entry; hash:net adds with its most specific prefix', () => {
    clock = 0;
    const store = parseIpsets('create s hash:ip maxelem 1\ncreate n hash:net\nadd n 10.0.0.0/8\nadd n 192.168.0.0/16\n', 'f');
    const add = bind<SetTargetConfig>(store, '-A INPUT -j SET --add-set s src');
    setTarget.target(add, pkt('1.1.1.1', '2.2.2.2'), par());
    setTarget.target(add, pkt('1.1.1.2', '2.2.2.2'), par());
    expect(store.get('s')!.size(0)).toBe(1);
    setTarget.target(bind<SetTargetConfig>(store, '-A INPUT -j SET --add-set n src'), pkt('172.16.5.4', '2.2.2.2'), par());
    expect(store.save(0)).toContain('add n 172.16.0.0/16');
  });

  it("--map-set: on a match, the mark becomes (mark & ~mask) ^ value, the priority and the queue the entry's; no match changes nothing", () => {
    clock = 0;
    const store = parseIpsets(
      [
        'create m hash:ip skbinfo counters',
        'add m 10.0.0.1 skbmark 0x5/0xf skbprio 1:10 skbqueue 2',
        'add m 10.0.0.2 skbmark 0x30',
        'add m 10.0.0.3',
        'create plain hash:ip',
        'add plain 10.0.0.4',
        '',
      ].join('\n'),
      'f',
    );
    const t = (rule: string): SetTargetConfig => {
      const rs = loadRuleset(`*mangle\n${rule}\nCOMMIT\n`, 'm.rules', { family: Family.V4, ipsets: store });
      return (rs.tables.get('mangle')!.chains.get('FORWARD')!.rules[0]!.target as { config: SetTargetConfig }).config;
    };
    const all = t('-A FORWARD -j SET --map-set m src --map-mark --map-prio --map-queue');
    const plainAll = t('-A FORWARD -j SET --map-set plain src --map-mark --map-prio --map-queue');
    const run = (c: SetTargetConfig, src: string, txQueues?: number): Skb => {
      const skb = pkt(src, '192.0.2.9');
      skb.mark = 0x1234;
      skb.priority = 7;
      skb.queueMapping = 1;
      const p = par({ inDev: { ...dev('eth0', 2), ...(txQueues ? { txQueues } : {}) } });
      p.hook = 2; // FORWARD: skb->dev is the input device
      setTarget.target(c, skb, p);
      return skb;
    };
    let skb = run(all, '10.0.0.1', 4);
    expect([skb.mark, skb.priority, skb.queueMapping]).toEqual([(0x1234 & ~0xf) ^ 0x5, 0x10010, 2]);
    // One transmit queue (the default): the queue is left alone.
    skb = run(all, '10.0.0.1');
    expect(skb.queueMapping).toBe(1);
    // skbmark without a mask: the whole mark; no skbprio: priority 0; no skbqueue: queue 0.
    skb = run(all, '10.0.0.2', 4);
    expect([skb.mark, skb.priority, skb.queueMapping]).toEqual([0x30, 0, 0]);
    // An entry without skbinfo, a set without the extension: mark kept, priority and queue 0.
    skb = run(all, '10.0.0.3', 4);
    expect([skb.mark, skb.priority, skb.queueMapping]).toEqual([0x1234, 0, 0]);
    skb = run(plainAll, '10.0.0.4', 4);
    expect([skb.mark, skb.priority, skb.queueMapping]).toEqual([0x1234, 0, 0]);
    // Not in the set: nothing changes.
    skb = run(all, '10.0.0.9', 4);
    expect([skb.mark, skb.priority, skb.queueMapping]).toEqual([0x1234, 7, 1]);
    // The lookups count in the entry's counters.
    expect(store.save(0)).toContain('add m 10.0.0.1 packets 2 bytes');
    expect(store.save(0)).toContain('add m 10.0.0.1 packets 2 bytes 80 skbmark 0x5/0xf skbprio 1:10 skbqueue 2');
  });

  it('--add-set --exist over an entry with skbinfo leaves none (the kernel re-initialises the entry from the packet: recorded)', () => {
    clock = 0;
    const store = parseIpsets(
      'create s hash:ip skbinfo counters\nadd s 10.9.0.2 skbmark 0x5 skbprio 1:2 skbqueue 3 packets 7 bytes 9\ncreate t hash:ip skbinfo\nadd t 10.9.0.2 skbmark 0x5\n',
      'f',
    );
    const a = pkt('10.9.0.2', '10.9.0.1');
    setTarget.target(bind<SetTargetConfig>(store, '-A INPUT -j SET --add-set s src --exist'), a, par());
    setTarget.target(bind<SetTargetConfig>(store, '-A INPUT -j SET --add-set t src'), a, par());
    const adds = store
      .save(0)
      .split('\n')
      .filter((l) => l.startsWith('add'));
    expect(adds).toEqual([`add s 10.9.0.2 packets 1 bytes ${a.totLen}`, 'add t 10.9.0.2 skbmark 0x5']);
  });

  it("--map-set through a list:set: the member's entry, then the list's own when the list has skbinfo", () => {
    const store = parseIpsets(
      [
        'create a hash:ip skbinfo',
        'add a 10.0.0.1 skbmark 0x1',
        'create b hash:ip skbinfo',
        'add b 10.0.0.2 skbmark 0x2',
        'create l list:set',
        'add l a',
        'add l b',
        'create ls list:set skbinfo',
        'add ls a skbmark 0x100/0xf00',
        'add ls b',
        '',
      ].join('\n'),
      'f',
    );
    const t = (name: string): SetTargetConfig => {
      const rs = loadRuleset(`*mangle\n-A PREROUTING -j SET --map-set ${name} src --map-mark\nCOMMIT\n`, 'm.rules', { family: Family.V4, ipsets: store });
      return (rs.tables.get('mangle')!.chains.get('PREROUTING')!.rules[0]!.target as { config: SetTargetConfig }).config;
    };
    const mark = (c: SetTargetConfig, src: string): number => {
      const skb = pkt(src, '192.0.2.9');
      skb.mark = 0xff0;
      setTarget.target(c, skb, par());
      return skb.mark;
    };
    // skbmark without a mask: the mask 0xffffffff, the whole mark replaced.
    expect(mark(t('l'), '10.0.0.1')).toBe(0x1);
    expect(mark(t('l'), '10.0.0.2')).toBe(0x2);
    expect(mark(t('ls'), '10.0.0.1')).toBe((0xff0 & ~0xf00) ^ 0x100);
    // The list's own entry for b has no skbinfo: its zeros replace the member's.
    expect(mark(t('ls'), '10.0.0.2')).toBe(0xff0);
  });
});
