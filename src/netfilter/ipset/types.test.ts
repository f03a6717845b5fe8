/**
 * The set types beyond the first ten: hash:ip,port,net and bitmap:ip,mac,
 * which the reference kernel has (their `ipset save` texts below were
 * recorded with ipset 7.17 on Linux 6.18 in a network namespace; golden
 * `ipset-types` replays packets through them), and hash:ip,mark,
 * hash:ip,mac, hash:net,net and hash:net,port,net, which it has no module
 * for ("Kernel error received: set type not supported"): those follow the
 * kernel's ip_set_hash_*.c and ipset 7.17's parsing and printing, and no
 * kernel checked them.
 */
import { describe, expect, it } from 'vitest';
import { ethernet, ipv4, tcp, udp } from '../../packet/build.js';
import { Family } from '../../packet/inet-addr.js';
import { loadRuleset } from '../rules/restore.js';
import { setMatch, type SetMatchConfig } from '../matches/set.js';
import { setTarget, type SetTargetConfig } from '../targets/set.js';
import { params, skbOf } from '../matches/test-util.js';
import type { Skb, XtParams } from '../types.js';
import { parseIpsets, type IpsetStore } from './ipset.js';
import { refusal } from './test-util.js';

/** The sets' lines after restore: per set, the create line (without initval) and the sorted add lines. */
function saved(text: string, now = 0): string {
  const lines = parseIpsets(text, 'sets').save(now).split('\n').filter(Boolean);
  return lines
    .map((l) => l.replace(/ initval 0x[0-9a-f]+$/, ''))
    .sort((a, b) => (a.startsWith('create') === b.startsWith('create') ? (a < b ? -1 : 1) : a.startsWith('create') ? -1 : 1))
    .join('\n');
}

function bind<C>(store: IpsetStore, rule: string): C {
  const text = `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rule}\nCOMMIT\n`;
  const rs = loadRuleset(text, 'set.rules', { family: Family.V4, ipsets: store });
  const r = rs.tables.get('filter')!.chains.get('INPUT')!.rules[0]!;
  if (r.matches.length) return r.matches[r.matches.length - 1]!.config as C;
  return (r.target as { config: C }).config;
}

let clock = 0;
function par(): XtParams {
  const p = params(1);
  (p.services as { jiffies: () => number }).jiffies = () => clock;
  return p;
}

/** A TCP packet received in an Ethernet frame from `mac`. */
function framed(src: string, dst: string, mac: string, dport = 80, mark = 0): Skb {
  const f = ethernet({ src: mac, dst: '02:00:00:00:00:01' }, ipv4({ src, dst }, tcp({ sport: 40000, dport })));
  const s = skbOf(f.subarray(14), f.subarray(0, 14));
  s.mark = mark;
  return s;
}

describe('hash:ip,port,net (recorded from the kernel)', () => {
  it('restores and saves as ipset 7.17 on Linux 6.18', () => {
    const text = [
      'create ipn hash:ip,port,net counters',
      'add ipn 192.0.2.1,tcp:80,10.0.0.0/24',
      'add ipn 192.0.2.1,udp:53,10.0.0.0/8 nomatch',
      'add ipn 192.0.2.2,80,10.1.2.3',
      'add ipn 192.0.2.3,icmp:ping,10.0.0.0/16',
      'add ipn 192.0.2.4-192.0.2.5,tcp:22-23,10.0.0.0-10.0.0.5',
      'create ipn6 hash:ip,port,net family inet6',
      'add ipn6 2001:db8::1,tcp:80,2001:db8:2::/64',
    ].join('\n');
    expect(saved(text)).toBe(
      [
        'create ipn hash:ip,port,net family inet hashsize 1024 maxelem 65536 counters bucketsize 12',
        'create ipn6 hash:ip,port,net family inet6 hashsize 1024 maxelem 65536 bucketsize 12',
        'add ipn 192.0.2.1,tcp:80,10.0.0.0/24 packets 0 bytes 0',
        'add ipn 192.0.2.1,udp:53,10.0.0.0/8 nomatch packets 0 bytes 0',
        'add ipn 192.0.2.2,tcp:80,10.1.2.3 packets 0 bytes 0',
        'add ipn 192.0.2.3,icmp:echo-request,10.0.0.0/16 packets 0 bytes 0',
        'add ipn 192.0.2.4,tcp:22,10.0.0.0/30 packets 0 bytes 0',
        'add ipn 192.0.2.4,tcp:22,10.0.0.4/31 packets 0 bytes 0',
        'add ipn 192.0.2.4,tcp:23,10.0.0.0/30 packets 0 bytes 0',
        'add ipn 192.0.2.4,tcp:23,10.0.0.4/31 packets 0 bytes 0',
        'add ipn 192.0.2.5,tcp:22,10.0.0.0/30 packets 0 bytes 0',
        'add ipn 192.0.2.5,tcp:22,10.0.0.4/31 packets 0 bytes 0',
        'add ipn 192.0.2.5,tcp:23,10.0.0.0/30 packets 0 bytes 0',
        'add ipn 192.0.2.5,tcp:23,10.0.0.4/31 packets 0 bytes 0',
        'add ipn6 2001:db8::1,tcp:80,2001:db8:2::/64',
      ].join('\n'),
    );
    // An address network expands to its addresses; a /0 network is refused.
    expect(parseIpsets('create a hash:ip,port,net\nadd a 192.0.2.0/24,tcp:80,10.0.0.0/8\n', 's').get('a')!.size(0)).toBe(256);
    expect(refusal('create a hash:ip,port,net\nadd a 192.0.2.9,tcp:80,10.0.0.0/0\n')).toBe(
      'sets:2:7: The value of the CIDR parameter of the IP address is invalid',
    );
  });

  it('looks the network up most specific first, the address and port exactly', () => {
    const store = parseIpsets('create s hash:ip,port,net\nadd s 192.0.2.10,tcp:80,203.0.113.0/24\nadd s 192.0.2.10,tcp:80,203.0.113.128/25 nomatch\n', 's');
    const m = bind<SetMatchConfig>(store, '-A INPUT -m set --match-set s dst,dst,src');
    expect(setMatch.match(m, framed('203.0.113.5', '192.0.2.10', '02:00:00:00:00:02'), par())).toBe(true);
    expect(setMatch.match(m, framed('203.0.113.200', '192.0.2.10', '02:00:00:00:00:02'), par())).toBe(false);
    expect(setMatch.match(m, framed('203.0.113.5', '192.0.2.10', '02:00:00:00:00:02', 81), par())).toBe(false);
    expect(setMatch.match(m, framed('203.0.113.5', '192.0.2.11', '02:00:00:00:00:02'), par())).toBe(false);
  });
});

describe('bitmap:ip,mac (recorded from the kernel)', () => {
  it('restores and saves as ipset 7.17 on Linux 6.18: by address, the MAC optional and in upper case', () => {
    const text = [
      'create bm bitmap:ip,mac range 10.0.0.0/24 timeout 100 counters',
      'add bm 10.0.0.3,0:1:2:3:4:5 timeout 50 packets 3 bytes 100',
      'add bm 10.0.0.1,00:11:22:aa:bb:cc',
      'add bm 10.0.0.2',
      'add bm 10.0.0.4,00:00:00:00:00:00',
    ].join('\n');
    expect(parseIpsets(text, 's').save(250).split('\n').filter(Boolean)).toEqual([
      'create bm bitmap:ip,mac range 10.0.0.0-10.0.0.255 timeout 100 counters',
      'add bm 10.0.0.1,00:11:22:AA:BB:CC timeout 99 packets 0 bytes 0',
      // Without a MAC its timeout has not started.
      'add bm 10.0.0.2 timeout 100 packets 0 bytes 0',
      'add bm 10.0.0.3,00:01:02:03:04:05 timeout 49 packets 3 bytes 100',
      'add bm 10.0.0.4,00:00:00:00:00:00 timeout 99 packets 0 bytes 0',
    ]);
    expect(refusal('create bm bitmap:ip,mac range 10.0.0.0/24\nadd bm 10.0.1.1\n')).toBe('sets:2:8: Element is out of the range of the set');
    expect(refusal('create bm bitmap:ip,mac range 10.0.0.0/24\nadd bm 10.0.0.5,00:00:00:00:00:01\nadd bm 10.0.0.5,00:00:00:00:00:02\n')).toBe(
      "sets:3:8: Element cannot be added to the set: it's already added",
    );
    expect(refusal('create bm bitmap:ip,mac range 10.0.0.0/24\nadd bm 10.0.0.6-10.0.0.7\n')).toBe(
      'sets:2:8: Syntax error: plain IP address must be supplied: 10.0.0.6-10.0.0.7',
    );
    expect(refusal('create bm bitmap:ip,mac range 10.0.0.0/8\n')).toMatch(/^sets:1:31: The range you specified exceeds the size limit of the set type/);
    expect(refusal('create bm bitmap:ip,mac range 10.0.0.0/16 netmask 24\n')).toBe("sets:1:43: Unknown argument: `netmask'");
  });

  it('a packet fills in a missing MAC and matches; then only that MAC does (golden ipset-types)', () => {
    clock = 0;
    const store = parseIpsets('create h bitmap:ip,mac range 192.0.2.0/24 timeout 300 counters\nadd h 192.0.2.20,02:00:00:00:01:02\nadd h 192.0.2.22\n', 's');
    const m = bind<SetMatchConfig>(store, '-A INPUT -m set --match-set h src,src');
    const a = framed('192.0.2.20', '203.0.113.9', '02:00:00:00:01:02');
    expect(setMatch.match(m, a, par())).toBe(true);
    expect(setMatch.match(m, framed('192.0.2.20', '203.0.113.9', '02:00:00:00:01:77'), par())).toBe(false);
    clock = 250;
    expect(setMatch.match(m, framed('192.0.2.22', '203.0.113.9', '02:00:00:00:01:02'), par())).toBe(true);
    expect(setMatch.match(m, framed('192.0.2.22', '203.0.113.9', '02:00:00:00:01:77'), par())).toBe(false);
    expect(setMatch.match(m, framed('192.0.2.30', '203.0.113.9', '02:00:00:00:01:02'), par())).toBe(false);
    expect(
      store
        .save(500)
        .split('\n')
        .filter((l) => l.startsWith('add')),
    ).toEqual([
      `add h 192.0.2.20,02:00:00:00:01:02 timeout 298 packets 1 bytes ${a.totLen}`,
      `add h 192.0.2.22,02:00:00:00:01:02 timeout 299 packets 1 bytes ${a.totLen}`,
    ]);
    // -j SET --add-set takes the packet's MAC; an address already there keeps its own.
    const seen = parseIpsets('create seen bitmap:ip,mac range 192.0.2.0/26\n', 's');
    const add = bind<SetTargetConfig>(seen, '-A INPUT -j SET --add-set seen src,src');
    setTarget.target(add, framed('192.0.2.40', '203.0.113.9', '02:00:00:00:01:02'), par());
    setTarget.target(add, framed('192.0.2.40', '203.0.113.9', '02:00:00:00:01:77'), par());
    setTarget.target(add, framed('192.0.2.100', '203.0.113.9', '02:00:00:00:01:02'), par());
    expect(seen.save(0)).toContain('add seen 192.0.2.40,02:00:00:00:01:02\n');
    expect(seen.get('seen')!.size(0)).toBe(1);
  });
});

describe('types the reference kernel lacks (from the kernel sources, not checked against a kernel)', () => {
  it('hash:ip,mark: the mark under the markmask, printed in hex', () => {
    expect(saved('create m hash:ip,mark markmask 0xff00\nadd m 10.0.0.1,0x1234\nadd m 10.0.0.2-10.0.0.3,5\n')).toBe(
      [
        'create m hash:ip,mark family inet markmask 0x0000ff00 hashsize 1024 maxelem 65536 bucketsize 12',
        'add m 10.0.0.1,0x00001200',
        'add m 10.0.0.2,0x00000000',
        'add m 10.0.0.3,0x00000000',
      ].join('\n'),
    );
    expect(saved('create m hash:ip,mark\n')).toBe('create m hash:ip,mark family inet markmask 0xffffffff hashsize 1024 maxelem 65536 bucketsize 12');
    expect(refusal('create m hash:ip,mark markmask 0\n')).toMatch(/^sets:1:32: Invalid markmask/);
    const store = parseIpsets('create m hash:ip,mark markmask 0xff\nadd m 10.0.0.1,0x7\n', 's');
    const m = bind<SetMatchConfig>(store, '-A INPUT -m set --match-set m src,src');
    expect(setMatch.match(m, framed('10.0.0.1', '10.0.0.9', '02:00:00:00:00:02', 80, 0x107), par())).toBe(true);
    expect(setMatch.match(m, framed('10.0.0.1', '10.0.0.9', '02:00:00:00:00:02', 80, 0x8), par())).toBe(false);
    expect(setMatch.match(m, framed('10.0.0.2', '10.0.0.9', '02:00:00:00:00:02', 80, 0x7), par())).toBe(false);
  });

  it('hash:ip,mac: a plain address with the source (second flag src) or destination MAC', () => {
    expect(saved('create a hash:ip,mac\nadd a 10.0.0.1,0:11:22:aa:bb:cc\n')).toBe(
      'create a hash:ip,mac family inet hashsize 1024 maxelem 65536 bucketsize 12\nadd a 10.0.0.1,00:11:22:AA:BB:CC',
    );
    expect(refusal('create a hash:ip,mac\nadd a 10.0.0.0/24,00:11:22:33:44:55\n')).toBe(
      'sets:2:7: Syntax error: plain IP address must be supplied: 10.0.0.0/24',
    );
    expect(refusal('create a hash:ip,mac\nadd a 10.0.0.1,00:00:00:00:00:00\n')).toBe('sets:2:7: Syntax error: the zero MAC address cannot be added');
    const store = parseIpsets('create a hash:ip,mac\nadd a 10.0.0.1,02:00:00:00:00:02\nadd a 10.0.0.9,02:00:00:00:00:01\n', 's');
    expect(
      setMatch.match(bind<SetMatchConfig>(store, '-A INPUT -m set --match-set a src,src'), framed('10.0.0.1', '10.0.0.9', '02:00:00:00:00:02'), par()),
    ).toBe(true);
    expect(
      setMatch.match(bind<SetMatchConfig>(store, '-A INPUT -m set --match-set a src,src'), framed('10.0.0.1', '10.0.0.9', '02:00:00:00:00:03'), par()),
    ).toBe(false);
    expect(
      setMatch.match(bind<SetMatchConfig>(store, '-A INPUT -m set --match-set a dst,dst'), framed('10.0.0.1', '10.0.0.9', '02:00:00:00:00:02'), par()),
    ).toBe(true);
    // A locally generated packet has no MAC header: nothing to look up.
    const local = skbOf(ipv4({ src: '10.0.0.1', dst: '10.0.0.9' }, udp({ sport: 1, dport: 2 })));
    expect(setMatch.match(bind<SetMatchConfig>(store, '-A INPUT -m set --match-set a src,src'), local, par())).toBe(false);
  });

  it('hash:net,net: every pair of prefix lengths, the first network outermost, most specific first', () => {
    const text = [
      'create nn hash:net,net',
      'add nn 10.0.0.0/8,192.168.0.0/16',
      'add nn 10.1.0.0/16,192.168.0.0/16 nomatch',
      'add nn 10.1.0.0/16,192.168.1.0/24',
      'add nn 10.0.0.0-10.0.0.2,1.2.3.4',
    ].join('\n');
    expect(saved(text)).toBe(
      [
        'create nn hash:net,net family inet hashsize 1024 maxelem 65536 bucketsize 12',
        'add nn 10.0.0.0/31,1.2.3.4',
        'add nn 10.0.0.0/8,192.168.0.0/16',
        'add nn 10.0.0.2,1.2.3.4',
        'add nn 10.1.0.0/16,192.168.0.0/16 nomatch',
        'add nn 10.1.0.0/16,192.168.1.0/24',
      ].join('\n'),
    );
    const store = parseIpsets(text, 's');
    const m = bind<SetMatchConfig>(store, '-A INPUT -m set --match-set nn src,dst');
    const p = (src: string, dst: string): boolean => setMatch.match(m, framed(src, dst, '02:00:00:00:00:02'), par());
    expect(p('10.9.9.9', '192.168.7.7')).toBe(true);
    expect(p('10.1.9.9', '192.168.7.7')).toBe(false); // the /16,/16 nomatch before /8,/16
    expect(p('10.1.9.9', '192.168.1.7')).toBe(true); // /16,/24 is tried before /16,/16
    expect(p('10.0.0.1', '1.2.3.4')).toBe(true);
    expect(p('10.0.0.3', '1.2.3.4')).toBe(false);
    expect(p('11.0.0.1', '192.168.7.7')).toBe(false);
    expect(refusal('create nn hash:net,net\nadd nn 10.0.0.0/8\n')).toMatch(/^sets:2:8: Syntax error: hash:net,net entries are IP\[\/CIDR\],IP\[\/CIDR\]/);
  });

  it('hash:net,port,net: two networks around a port; -j SET adds with the most specific lengths', () => {
    expect(saved('create npn hash:net,port,net\nadd npn 10.0.0.0/8,udp:53,192.168.0.0/16\nadd npn 10.0.0.0/24,tcp:80-81,1.2.3.4 nomatch\n')).toBe(
      [
        'create npn hash:net,port,net family inet hashsize 1024 maxelem 65536 bucketsize 12',
        'add npn 10.0.0.0/24,tcp:80,1.2.3.4 nomatch',
        'add npn 10.0.0.0/24,tcp:81,1.2.3.4 nomatch',
        'add npn 10.0.0.0/8,udp:53,192.168.0.0/16',
      ].join('\n'),
    );
    const store = parseIpsets('create npn hash:net,port,net\nadd npn 10.0.0.0/8,tcp:80,192.168.0.0/16\n', 's');
    const m = bind<SetMatchConfig>(store, '-A INPUT -m set --match-set npn src,dst,dst');
    expect(setMatch.match(m, framed('10.2.3.4', '192.168.9.9', '02:00:00:00:00:02', 80), par())).toBe(true);
    expect(setMatch.match(m, framed('10.2.3.4', '192.168.9.9', '02:00:00:00:00:02', 81), par())).toBe(false);
    const add = bind<SetTargetConfig>(store, '-A INPUT -j SET --add-set npn src,dst,dst');
    setTarget.target(add, framed('11.2.3.4', '172.16.9.9', '02:00:00:00:00:02', 443), par());
    expect(store.save(0)).toContain('add npn 11.0.0.0/8,tcp:443,172.16.0.0/16\n');
  });
});
