/**
 * The ipset file reader and `ipset save` printer, against what ipset 7.17
 * and Linux 6.18 did with the same lines in a network namespace
 * (`ipset restore`, then `ipset save`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIpsets } from './ipset.js';
import { refusal } from './test-util.js';

const FIXTURES = new URL('../matches/fixtures/set/', import.meta.url);

/** Per set: the create line without its initval, and the sorted add lines (the kernel prints entries in hash order). */
function bySet(text: string): Map<string, { create: string; adds: string[] }> {
  const out = new Map<string, { create: string; adds: string[] }>();
  for (const l of text.split('\n').filter(Boolean)) {
    const name = l.split(' ')[1]!;
    if (l.startsWith('create ')) out.set(name, { create: l.replace(/ initval 0x[0-9a-f]+$/, ''), adds: [] });
    else out.get(name)!.adds.push(l);
  }
  for (const v of out.values()) v.adds.sort();
  return out;
}

function saveOf(text: string, now = 0): string {
  return parseIpsets(text, 'sets')
    .save(now)
    .split('\n')
    .filter((l) => l.startsWith('add'))
    .sort()
    .join('\n');
}

describe('ipset restore, then ipset save', () => {
  it('skbinfo-rows.txt: skbmark, skbprio, skbqueue as ipset 7.17 reads, refuses and saves them (CREATE|ENTRY OPTIONS; timeouts left out)', () => {
    const rows = readFileSync(new URL('skbinfo-rows.txt', FIXTURES), 'utf8').split('\n').filter(Boolean);
    expect(rows.length).toBeGreaterThan(70);
    for (const row of rows) {
      const [head, verdict, ...rest] = row.split(';');
      const [create, opts] = head!.split('|');
      const text = `${create}\nadd a ${opts}\n`;
      const want = rest.join(';');
      if (verdict === 'FAIL') {
        const got = refusal(text);
        expect(got, head).toMatch(/^sets:2:\d+: /);
        expect(got, head).toContain(want);
      } else expect(saveOf(text).replace(/ timeout \d+/, ''), head).toBe(want);
    }
  });

  it('every type of fixtures/set/sets.save saves as the kernel saved it (one jiffy later: timeouts of 50 s print 49)', () => {
    const store = parseIpsets(readFileSync(new URL('sets.save', FIXTURES), 'utf8'), 'sets.save');
    const kernel = bySet(readFileSync(new URL('sets.kernel-save', FIXTURES), 'utf8'));
    const mine = bySet(store.save(1));
    expect([...mine.keys()]).toEqual([...kernel.keys()]);
    for (const [name, k] of kernel) expect(mine.get(name), name).toEqual(k);
  });

  it('create options as the kernel keeps them: hashsize a power of two, bucketsize even, list:set size at least 4 and printed last', () => {
    const s = parseIpsets(
      'create x hash:ip netmask 24 timeout 5 counters comment skbinfo hashsize 100 bucketsize 5 initval 0xcf43033a\ncreate l list:set size 3 timeout 4 counters\ncreate b bitmap:ip range 10.0.0.0/16 netmask 24 counters timeout 10 comment\ncreate bp bitmap:port range 1024-2048 timeout 3\ncreate hm hash:net,iface timeout 4 maxelem 3\n',
      'sets',
    ).save(0);
    expect(s.split('\n').map((l) => l.replace(/ initval 0x[0-9a-f]+$/, ''))).toEqual([
      'create x hash:ip family inet hashsize 128 maxelem 65536 netmask 24 timeout 5 counters comment skbinfo bucketsize 6',
      'create b bitmap:ip range 10.0.0.0-10.0.255.255 netmask 24 timeout 10 counters comment',
      'create bp bitmap:port range 1024-2048 timeout 3',
      'create hm hash:net,iface family inet hashsize 1024 maxelem 3 timeout 4 bucketsize 12',
      'create l list:set size 4 timeout 4 counters',
      '',
    ]);
    expect(s).toContain('initval 0xcf43033a');
  });

  it('entries as ipset reads and prints them: ranges and networks, ports, ICMP names, nomatch, comments', () => {
    expect(saveOf('create a hash:ip\nadd a 10.0.0.0/30\nadd a 10.0.1.1-10.0.1.2\n')).toBe(
      ['add a 10.0.0.0', 'add a 10.0.0.1', 'add a 10.0.0.2', 'add a 10.0.0.3', 'add a 10.0.1.1', 'add a 10.0.1.2'].join('\n'),
    );
    expect(saveOf('create a hash:net\nadd a 10.0.0.5/24\nadd a 10.0.1.0-10.0.1.5\nadd a 10.0.0.1\n')).toBe(
      ['add a 10.0.0.0/24', 'add a 10.0.0.1', 'add a 10.0.1.0/30', 'add a 10.0.1.4/31'].join('\n'),
    );
    expect(
      saveOf(
        'create p hash:ip,port\nadd p 1.1.1.1,icmp:8/0\nadd p 1.1.1.1,icmp:3/3\nadd p 1.1.1.1,icmp:3/8\nadd p 1.1.1.1,udp:80-81\nadd p 1.1.1.1,ssh\nadd p 1.1.1.1,gre:0\nadd p 1.1.1.1,sctp:5\nadd p 1.1.1.1,udplite:7\nadd p 1.1.1.1,10\n',
      ),
    ).toBe(
      [
        'add p 1.1.1.1,gre:0',
        'add p 1.1.1.1,icmp:3/8',
        'add p 1.1.1.1,icmp:echo-request',
        'add p 1.1.1.1,icmp:port-unreachable',
        'add p 1.1.1.1,sctp:5',
        'add p 1.1.1.1,tcp:10',
        'add p 1.1.1.1,tcp:22',
        'add p 1.1.1.1,udp:80',
        'add p 1.1.1.1,udp:81',
        'add p 1.1.1.1,udplite:7',
      ].join('\n'),
    );
    expect(saveOf('create p6 hash:ip,port family inet6\nadd p6 ::1,icmpv6:1/4\nadd p6 ::1,icmpv6:128/0\nadd p6 ::1,icmpv6:1/0\nadd p6 ::1,icmpv6:3/1\n')).toBe(
      [
        'add p6 ::1,ipv6-icmp:echo-request',
        'add p6 ::1,ipv6-icmp:no-route',
        'add p6 ::1,ipv6-icmp:port-unreachable',
        'add p6 ::1,ipv6-icmp:ttl-zero-during-reassembly',
      ].join('\n'),
    );
    expect(saveOf('create x hash:net timeout 50 counters comment skbinfo\nadd x 10.0.0.0/8 nomatch comment "a b" skbmark 0x5\n', 1)).toBe(
      'add x 10.0.0.0/8 timeout 49 nomatch packets 0 bytes 0 comment "a b" skbmark 0x5',
    );
    expect(saveOf('create y hash:net,iface\nadd y 10.0.0.0/8,eth0 nomatch\nadd y 10.0.0.0/8,physdev:eth1\n')).toBe(
      'add y 10.0.0.0/8,eth0 nomatch\nadd y 10.0.0.0/8,physdev:eth1',
    );
    expect(saveOf('create z hash:ip,port,ip family inet6\nadd z ::1,80,::2\n')).toBe('add z ::1,tcp:80,::2');
    expect(saveOf('create a bitmap:ip range 10.0.0.0/16 netmask 24\nadd a 10.0.5.7\n')).toBe('add a 10.0.5.0');
    expect(saveOf('create a bitmap:port range 1-100\nadd a tcp:5\n')).toBe('add a 5');
    expect(saveOf('# comment\ncreate a hash:ip\n\nadd a 1.1.1.1\nadd -exist a 1.1.1.1\nCOMMIT\n')).toBe('add a 1.1.1.1');
    expect(saveOf('create m hash:mac\nadd m 0:11:22:33:44:5\n')).toBe('add m 00:11:22:33:44:05');
  });

  it("refuses what ipset restore refuses, in ipset's words, with line and column", () => {
    expect(refusal('create a hash:ip\nadd a 1.1.1.1\nadd a 1.1.1.1\n')).toBe("sets:3:7: Element cannot be added to the set: it's already added");
    expect(refusal('create a hash:ip maxelem 1\nadd a 1.1.1.1\nadd a 1.1.1.2\n')).toBe('sets:3:7: Hash is full, cannot add more elements (maxelem 1)');
    expect(refusal('create a hash:net\nadd a 10.0.0.0/0\n')).toBe('sets:2:7: The value of the CIDR parameter of the IP address is invalid');
    expect(refusal('create a hash:ip\nadd b 1.1.1.1\n')).toMatch(/^sets:2:5: The set with the given name does not exist/);
    expect(refusal('create a hash:ip\nadd a 2001::1\n')).toMatch(/^sets:2:7: Syntax error: cannot parse 2001::1: resolving to IPv4 address failed/);
    expect(refusal('create a hash:ip\nadd a 1.1.1.1 timeout 5\n')).toBe('sets:2:15: Timeout cannot be used: set was created without timeout support');
    expect(refusal('create a hash:ip\nadd a 1.1.1.1 nomatch\n')).toBe("sets:2:15: Unknown argument: `nomatch'");
    expect(refusal('create a hash:ip family inet6\nadd a 1.1.1.1\n')).toMatch(
      /^sets:2:7: Syntax error: cannot parse 1.1.1.1: resolving to IPv6 address failed/,
    );
    expect(refusal('create a hash:ip\ncreate a hash:ip\n')).toBe('sets:2:1: Set cannot be created: set with the same name already exists');
    expect(refusal('create a hash:ip foo\n')).toBe("sets:1:18: Unknown argument: `foo'");
    expect(refusal('create a hash:ip6\n')).toBe("sets:1:10: Syntax error: typename 'hash:ip6' is unknown");
    expect(refusal('create a bitmap:port range 1-100\nadd a 200\n')).toBe('sets:2:7: Element is out of the range of the set');
    expect(refusal('create a list:set\nadd a nosuch\n')).toBe('sets:2:7: Set to be added/deleted/tested as element does not exist.');
    expect(refusal('flush\n')).toMatch(/^sets:1:1: Syntax error: unknown command `flush'/);
  });
});
