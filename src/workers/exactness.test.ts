import { describe, expect, it } from 'vitest';
import { loadRuleset } from '../netfilter/rules/restore.js';
import { parseIpsets } from '../netfilter/ipset/ipset.js';
import { Family } from '../packet/inet-addr.js';
import { ethernet, fragHeader, icmp, icmp6, ipv4, ipv6, raw, tcp, udp } from '../packet/build.js';
import { oneWorkerNote, sharedState } from './exactness.js';
import type { ModuleSettings } from '../netfilter/conntrack/module-params.js';
import { keyFrame } from './shard-key.js';

const filter = (rules: string): string => `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rules}\nCOMMIT\n`;
const why = (text: string, v6 = false): string[] =>
  sharedState(v6 ? undefined : loadRuleset(text, 'r'), v6 ? loadRuleset(text, 'r6', { family: Family.V6 }) : undefined).map((s) => `${s.where}: ${s.why}`);

describe('state shared across connections', () => {
  it('finds none in a stateful rule set that keeps its state per connection', () => {
    expect(
      why(
        filter(
          [
            '-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
            '-A INPUT -p tcp --dport 22 -m connmark --mark 1 -j ACCEPT',
            '-A INPUT -p tcp -j REJECT --reject-with tcp-reset',
            '-A INPUT -j LOG --log-prefix "x "',
          ].join('\n'),
        ),
      ),
    ).toEqual([]);
  });

  it.each([
    ['-A INPUT -m limit --limit 3/min -j LOG', 'filter/INPUT rule 1: -m limit keeps one token bucket per rule for every packet that reaches it'],
    ['-A INPUT -m recent --set --name x', 'filter/INPUT rule 1: -m recent keeps address lists that packets of every connection read and change'],
    ['-A INPUT -p tcp --syn -m connlimit --connlimit-above 2 -j DROP', 'filter/INPUT rule 1: -m connlimit counts the connections of an address group'],
    ['-A INPUT -m statistic --mode nth --every 3 --packet 0 -j DROP', 'filter/INPUT rule 1: -m statistic --mode nth keeps one packet counter per rule'],
    ['-A INPUT -m quota --quota 1000 -j ACCEPT', 'filter/INPUT rule 1: -m quota counts the bytes of every packet that reaches it'],
    [
      '-A INPUT -m statistic --mode random --probability 0.5 -j DROP',
      'filter/INPUT rule 1: -m statistic --mode random draws from one random sequence for every packet',
    ],
    [
      '-A INPUT -m hashlimit --hashlimit-upto 5/sec --hashlimit-mode srcip,dstip --hashlimit-name h',
      'filter/INPUT rule 1: -m hashlimit keeps one table of buckets, with a size limit, for the packets of every connection',
    ],
  ])('%s', (rule, reason) => {
    expect(why(filter(rule))).toEqual([reason]);
  });

  it('-m nfacct shares state only when its object has a quota (counting alone is summed over the workers)', () => {
    const nfacct = [{ name: 'http' }, { name: 'capped', quota: { mode: 'bytes' as const, value: 1000n } }];
    const rules = filter('-A INPUT -m nfacct --nfacct-name http\n-A INPUT -m nfacct --nfacct-name capped -j DROP');
    expect(sharedState(loadRuleset(rules, 'r', { nfacct })).map((s) => `${s.where}: ${s.why}`)).toEqual([
      'filter/INPUT rule 2: -m nfacct --nfacct-name capped: the accounting object has a bytes quota, which the packets of every connection count towards',
    ]);
  });

  it('finds none in the matches that decide per packet or per connection (cluster hashes the connection, cpu is CPU 0)', () => {
    expect(
      why(
        filter(
          [
            '-A INPUT -m cluster --cluster-total-nodes 2 --cluster-local-node 1 --cluster-hash-seed 1 -j ACCEPT',
            '-A INPUT -m cpu --cpu 0',
            '-A INPUT -p dccp -m dccp --dport 5004',
            '-A INPUT -p ipcomp -m ipcomp --ipcompspi 1',
          ].join('\n'),
        ),
      ),
    ).toEqual([]);
    expect(why(filter('-A INPUT -m srh --srh-tag 1\n-A INPUT -m quota --quota 5'), true)).toEqual([
      'ip6 filter/INPUT rule 2: -m quota counts the bytes of every packet that reaches it',
    ]);
  });

  it('finds NAT targets, in the nat table, and names the ip6tables rule set', () => {
    const nat = `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o eth0 -j MASQUERADE\nCOMMIT\n`;
    expect(why(nat)).toEqual([
      'nat/POSTROUTING rule 1: -j MASQUERADE: NAT allocates addresses and ports among every connection, and replies come to the translated address',
    ]);
    expect(why(filter('-A INPUT -m limit --limit 1/s -j ACCEPT'), true)).toEqual([
      'ip6 filter/INPUT rule 1: -m limit keeps one token bucket per rule for every packet that reaches it',
    ]);
  });

  it('finds helpers that expect connections from other addresses, not ftp or tftp', () => {
    const raw = (rule: string): string => `*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rule}\nCOMMIT\n`;
    expect(why(raw('-A OUTPUT -p udp --dport 137 -j CT --helper netbios-ns'))).toEqual([
      "raw/OUTPUT rule 1: -j CT --helper netbios-ns: the connections it expects come from other addresses than its own (a broadcast's answers), which may be on another worker",
    ]);
    expect(why(raw('-A PREROUTING -p tcp --dport 21 -j CT --helper ftp'))).toEqual([]);
    expect(why(raw('-A PREROUTING -p tcp --dport 6667 -j CT --helper irc'))).toEqual([
      'raw/PREROUTING rule 1: -j CT --helper irc: the connections it expects come from other addresses than its own (DCC peers), which may be on another worker',
    ]);
    for (const h of [
      '-p tcp -j CT --helper sane',
      '-p udp -j CT --helper amanda',
      '-p udp -j CT --helper snmp_trap',
      '-p tcp --dport 1723 -j CT --helper pptp',
      '-p udp --dport 5060 -j CT --helper sip',
    ])
      expect(why(raw(`-A PREROUTING ${h}`))).toEqual([]);
  });

  it('takes the helper module parameters into account: ftp loose, sip media and signalling from anywhere, helpers named after a port', () => {
    const shares = (rule: string, modules: ModuleSettings): string[] =>
      sharedState(loadRuleset(`*raw\n${rule}\nCOMMIT\n`, 'r', { modules }), undefined, undefined, modules).map((s) => s.why);
    expect(shares('-A PREROUTING -p tcp -j CT --helper ftp-2121', { nf_conntrack_ftp: { ports: [21, 2121] } })).toEqual([]);
    expect(shares('-A PREROUTING -p tcp -j CT --helper ftp', { nf_conntrack_ftp: { loose: 1 } })).toEqual([
      '-j CT --helper ftp: the connections it expects come from other addresses than its own (with nf_conntrack_ftp loose=1, data connections to the address a command names), which may be on another worker',
    ]);
    expect(shares('-A PREROUTING -p udp -j CT --helper sip', { nf_conntrack_sip: { sip_direct_media: 0 } })[0]).toMatch(/sip_direct_media=0/);
    expect(shares('-A PREROUTING -p udp -j CT --helper sip', { nf_conntrack_sip: { sip_direct_signalling: 0 } })[0]).toMatch(/sip_direct_signalling=0/);
    expect(shares('-A PREROUTING -p udp -j CT --helper sip', { nf_conntrack_sip: { sip_timeout: 60 } })).toEqual([]);
  });

  it('finds SET targets and sets with counters', () => {
    const sets = parseIpsets('create ban hash:ip counters\ncreate seen hash:ip\n', 'sets');
    const rs = loadRuleset(filter('-A INPUT -j SET --add-set seen src\n-A INPUT -m set --match-set ban src -j DROP'), 'r', { ipsets: sets });
    expect(sharedState(rs, undefined, sets).map((s) => `${s.where}: ${s.why}`)).toEqual([
      'filter/INPUT rule 1: -j SET adds and removes set entries that packets of every connection test',
      'ipset ban: the set counts the packets and bytes of every connection that matches it (counters)',
    ]);
  });

  it('says the first reason and how many more', () => {
    const shared = sharedState(loadRuleset(filter('-A INPUT -m limit -j LOG\n-A INPUT -m recent --set'), 'r'));
    expect(oneWorkerNote('--workers 2', shared)).toBe(
      'cofw: --workers 2: replaying on one worker: filter/INPUT rule 1: -m limit keeps one token bucket per rule for every packet that reaches it (and 1 more place); sharding by connection would not give the same results',
    );
  });
});

describe('the shard of a frame', () => {
  const E = { src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' };
  const E6 = { ...E, ethertype: 0x86dd };
  const shard = (d: Uint8Array, n = 7): number => keyFrame(d, n).shard;

  it('is the same both ways, whatever the ports and protocol', () => {
    for (let i = 0; i < 50; i++) {
      const a = 0x0a000000 + i * 7919;
      const b = 0xc0000201;
      const s = shard(ethernet(E, ipv4({ src: a, dst: b }, tcp({ sport: 1000 + i, dport: 22, flags: 'S' }))));
      expect(shard(ethernet(E, ipv4({ src: b, dst: a }, tcp({ sport: 22, dport: 1000 + i, flags: 'SA' }))))).toBe(s);
      expect(shard(ethernet(E, ipv4({ src: a, dst: b }, udp({ sport: 5, dport: 53 }))))).toBe(s);
    }
  });

  it('spreads address pairs over the shards', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 100; i++) seen.add(shard(ethernet(E, ipv4({ src: 0x64400000 + i, dst: 0xc6336401 }, udp({ sport: 1, dport: 2 })))));
    expect(seen.size).toBe(7);
  });

  it('keys an ICMP error by the packet it quotes, and fragments by their addresses', () => {
    const syn = ipv4({ src: '192.0.2.7', dst: '203.0.113.9' }, tcp({ sport: 40000, dport: 443, flags: 'S' }));
    const err = ethernet(E, ipv4({ src: '198.51.100.254', dst: '192.0.2.7' }, icmp({ type: 3, code: 1, payload: syn.subarray(0, 28) })));
    expect(shard(err)).toBe(shard(ethernet(E, syn)));
    expect(keyFrame(err, 7).fragment).toBe(0);
    const first = keyFrame(ethernet(E, ipv4({ src: '192.0.2.7', dst: '203.0.113.9', df: false, mf: true }, raw(17, new Uint8Array(16)))), 7);
    const later = keyFrame(ethernet(E, ipv4({ src: '192.0.2.7', dst: '203.0.113.9', df: false, fragoff: 2 }, raw(17, new Uint8Array(16)))), 7);
    expect([first.fragment, later.fragment, later.shard]).toEqual([4, 4, first.shard]);
    expect(first.shard).toBe(shard(ethernet(E, syn)));
    const fragErr = keyFrame(ethernet(E, ipv4({ src: '198.51.100.254', dst: '192.0.2.7', df: false, mf: true }, icmp({ type: 11, payload: syn }))), 7);
    expect(fragErr.fragmentedError).toBe(true);
  });

  it('does the same for IPv6, and sends frames that are not IP to shard 0', () => {
    const a = '2001:db8::7';
    const b = '2001:db8:1::1';
    const s = shard(ethernet(E6, ipv6({ src: a, dst: b }, tcp({ sport: 1, dport: 22, flags: 'S' }))));
    expect(shard(ethernet(E6, ipv6({ src: b, dst: a }, tcp({ sport: 22, dport: 1, flags: 'SA' }))))).toBe(s);
    const quoted = ipv6({ src: a, dst: b }, udp({ sport: 1, dport: 2 }));
    expect(shard(ethernet(E6, ipv6({ src: '2001:db8:ff::1', dst: a }, icmp6({ type: 1, code: 3, payload: quoted }))))).toBe(s);
    const frag = keyFrame(ethernet(E6, ipv6({ src: a, dst: b, ext: [fragHeader(8, false, 1)], rawL4: true }, raw(17, new Uint8Array(8)))), 7);
    expect([frag.fragment, frag.shard]).toEqual([6, s]);
    expect(shard(new Uint8Array(60).fill(0xff))).toBe(0);
  });
});
