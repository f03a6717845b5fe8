/**
 * MARK, CONNMARK, CT, NOTRACK, DSCP, TOS, TTL, ECN, TCPMSS, NFLOG, TRACE:
 * rule text -> iptables-save text, refusals, and what each does to a packet.
 * Every SAVE row and refusal was read from Debian's iptables v1.8.9
 * (nf_tables) on Linux 6.18 in a network namespace (iptables-restore, then
 * iptables-save; the kernel's reasons from dmesg).
 */
import { InetAddr } from '../../packet/inet-addr.js';
import { describe, expect, it } from 'vitest';
import { ipv4, tcp, udp } from '../../packet/build.js';
import { inetChecksum, l4Checksum } from '../../packet/checksum.js';
import { Conn } from '../conntrack/conn.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';
import { Hook, NF_DROP, XT_CONTINUE, type Skb, type XtParams } from '../types.js';
import type { TargetModule } from '../xt.js';
import { connmarkTarget } from './connmark.js';
import { ctTarget, notrackTarget } from './ct.js';
import { dscpTarget, tosTarget } from './dscp.js';
import { ecnTarget } from './ecn.js';
import { markTarget } from './mark.js';
import { nflogTarget } from './nflog.js';
import { tcpmssTarget } from './tcpmss.js';
import { ttlTarget } from './ttl.js';
import { device, ETH0, params, parseCtx, recorder, skbOf, usesOf } from './test-services.js';
import { cStrtoul, ipv4ChangeDsfield } from './xt-util.js';

/** Loads one rule (with a user chain X declared) and returns its saved line. */
function saved(table: string, rule: string): string {
  const rs = loadRuleset(`*${table}\n:X - [0:0]\n${rule}\nCOMMIT\n`, 'test.v4');
  return saveRuleset(rs)
    .split('\n')
    .filter((l) => l.startsWith('-A') && !l.endsWith('-j X'))
    .at(-1)!;
}

function refusal(table: string, rule: string): string {
  try {
    loadRuleset(`*${table}\n:X - [0:0]\n${rule}\nCOMMIT\n`, 'test.v4');
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
}

/** [table, rule, what iptables-save printed]. */
const SAVE_ROWS: Array<[string, string, string]> = [
  ['mangle', '-A PREROUTING -j MARK --set-mark 1', '-A PREROUTING -j MARK --set-xmark 0x1/0xffffffff'],
  ['mangle', '-A PREROUTING -j MARK --set-mark 0x5/0xf', '-A PREROUTING -j MARK --set-xmark 0x5/0xf'],
  ['mangle', '-A PREROUTING -j MARK --set-xmark 0x5/0xf', '-A PREROUTING -j MARK --set-xmark 0x5/0xf'],
  ['mangle', '-A PREROUTING -j MARK --and-mark 0xf0', '-A PREROUTING -j MARK --set-xmark 0x0/0xffffff0f'],
  ['mangle', '-A PREROUTING -j MARK --or-mark 0xf0', '-A PREROUTING -j MARK --set-xmark 0xf0/0xf0'],
  ['mangle', '-A PREROUTING -j MARK --xor-mark 0xf0', '-A PREROUTING -j MARK --set-xmark 0xf0/0x0'],
  ['mangle', '-A PREROUTING -j MARK --set-mark 0x10/0xff00', '-A PREROUTING -j MARK --set-xmark 0x10/0xff10'],
  ['mangle', '-A PREROUTING -j MARK --set-mark 4294967295', '-A PREROUTING -j MARK --set-xmark 0xffffffff/0xffffffff'],
  ['mangle', '-A PREROUTING -j MARK --set-mark 010', '-A PREROUTING -j MARK --set-xmark 0x8/0xffffffff'],
  ['mangle', '-A PREROUTING -j MARK --set-mark +1', '-A PREROUTING -j MARK --set-xmark 0x1/0xffffffff'],
  ['mangle', '-A PREROUTING -j MARK --set-xmark 7', '-A PREROUTING -j MARK --set-xmark 0x7/0xffffffff'],
  ['mangle', '-A PREROUTING -j MARK --set-mark 0/0', '-A PREROUTING -j MARK --set-xmark 0x0/0x0'],
  ['mangle', '-A PREROUTING -j MARK --and-mark 0xffffffff', '-A PREROUTING -j MARK --set-xmark 0x0/0x0'],
  ['mangle', '-A PREROUTING -j MARK --set-mark 0X1F', '-A PREROUTING -j MARK --set-xmark 0x1f/0xffffffff'],
  ['filter', '-A INPUT -j MARK --set-mark 1', '-A INPUT -j MARK --set-xmark 0x1/0xffffffff'],
  ['mangle', '-A PREROUTING -j CONNMARK --set-mark 1', '-A PREROUTING -j CONNMARK --set-xmark 0x1/0xffffffff'],
  ['mangle', '-A PREROUTING -j CONNMARK --set-mark 0x1/0xf', '-A PREROUTING -j CONNMARK --set-xmark 0x1/0xf'],
  ['mangle', '-A PREROUTING -j CONNMARK --save-mark', '-A PREROUTING -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff'],
  ['mangle', '-A PREROUTING -j CONNMARK --restore-mark', '-A PREROUTING -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff'],
  ['mangle', '-A PREROUTING -j CONNMARK --save-mark --mask 0xff', '-A PREROUTING -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff'],
  ['mangle', '-A PREROUTING -j CONNMARK --restore-mark --mask 0xff', '-A PREROUTING -j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xff'],
  ['mangle', '-A PREROUTING -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xf0', '-A PREROUTING -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xf0'],
  ['mangle', '-A PREROUTING -j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xf0', '-A PREROUTING -j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xf0'],
  ['mangle', '-A PREROUTING -j CONNMARK --and-mark 0xf', '-A PREROUTING -j CONNMARK --set-xmark 0x0/0xfffffff0'],
  ['mangle', '-A PREROUTING -j CONNMARK --or-mark 0xf', '-A PREROUTING -j CONNMARK --set-xmark 0xf/0xf'],
  ['mangle', '-A PREROUTING -j CONNMARK --xor-mark 0xf', '-A PREROUTING -j CONNMARK --set-xmark 0xf/0x0'],
  ['mangle', '-A PREROUTING -j CONNMARK --set-mark 1 --mask 0xff', '-A PREROUTING -j CONNMARK --set-xmark 0x1/0xff'],
  ['mangle', '-A PREROUTING -j CONNMARK --mask 0xff --set-mark 1', '-A PREROUTING -j CONNMARK --set-xmark 0x1/0xffffffff'],
  [
    'mangle',
    '-A PREROUTING -j CONNMARK --save-mark --left-shift-mark 3',
    '-A PREROUTING -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff --left-shift-mark 3',
  ],
  [
    'mangle',
    '-A PREROUTING -j CONNMARK --restore-mark --right-shift-mark 3 --ctmask 0xff',
    '-A PREROUTING -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xff --right-shift-mark 3',
  ],
  ['mangle', '-A PREROUTING -j CONNMARK --set-mark 5 --right-shift-mark 0', '-A PREROUTING -j CONNMARK --set-xmark 0x5/0xffffffff'],
  ['mangle', '-A PREROUTING -j CONNMARK --save-mark --nfmask 0xf', '-A PREROUTING -j CONNMARK --save-mark --nfmask 0xf --ctmask 0xffffffff'],
  ['mangle', '-A PREROUTING -j CONNMARK --set-xmark 0x3', '-A PREROUTING -j CONNMARK --set-xmark 0x3/0xffffffff'],
  ['filter', '-A INPUT -j CONNMARK --restore-mark', '-A INPUT -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff'],
  ['raw', '-A PREROUTING -j CONNMARK --restore-mark', '-A PREROUTING -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff'],
  ['raw', '-A PREROUTING -j CT --notrack', '-A PREROUTING -j CT --notrack'],
  ['raw', '-A PREROUTING -j NOTRACK', '-A PREROUTING -j NOTRACK'],
  ['raw', '-A X -j NOTRACK', '-A X -j NOTRACK'],
  ['raw', '-A PREROUTING -j CT --zone 0', '-A PREROUTING -j CT'],
  ['raw', '-A PREROUTING -j CT', '-A PREROUTING -j CT'],
  ['raw', '-A PREROUTING -j CT --zone 1', '-A PREROUTING -j CT --zone 1'],
  ['raw', '-A PREROUTING -j CT --zone-orig 1', '-A PREROUTING -j CT --zone-orig 1'],
  ['raw', '-A PREROUTING -j CT --zone-reply 1', '-A PREROUTING -j CT --zone-reply 1'],
  ['raw', '-A PREROUTING -j CT --zone-orig 1 --zone-reply 1', '-A PREROUTING -j CT --zone 1'],
  ['raw', '-A PREROUTING -j CT --zone-orig 1 --zone-reply 2', '-A PREROUTING -j CT --zone 2'],
  ['raw', '-A PREROUTING -j CT --zone-orig 0 --zone-reply 2', '-A PREROUTING -j CT --zone 2'],
  ['raw', '-A PREROUTING -j CT --zone-reply 0', '-A PREROUTING -j CT'],
  ['raw', '-A PREROUTING -j CT --zone mark', '-A PREROUTING -j CT --zone mark'],
  ['raw', '-A PREROUTING -j CT --zone-orig mark', '-A PREROUTING -j CT --zone-orig mark'],
  ['raw', '-A PREROUTING -j CT --zone 65535', '-A PREROUTING -j CT --zone 65535'],
  ['raw', '-A PREROUTING -j CT --zone 0x10', '-A PREROUTING -j CT --zone 16'],
  ['raw', '-A PREROUTING -j CT --zone 5 --notrack', '-A PREROUTING -j CT --notrack --zone 5'],
  ['raw', '-A PREROUTING -j CT --zone 1 --ctevents new', '-A PREROUTING -j CT --ctevents new --zone 1'],
  ['raw', '-A OUTPUT -j CT --zone 3', '-A OUTPUT -j CT --zone 3'],
  ['raw', '-A PREROUTING -j CT --notrack --zone 3', '-A PREROUTING -j CT --notrack --zone 3'],
  ['raw', '-A OUTPUT -j CT --ctevents new,related', '-A OUTPUT -j CT --ctevents new,related'],
  ['raw', '-A PREROUTING -j CT --expevents new', '-A PREROUTING -j CT --expevents new'],
  ['raw', '-A PREROUTING -p tcp -m tcp --dport 21 -j CT --helper ftp', '-A PREROUTING -p tcp -m tcp --dport 21 -j CT --helper ftp'],
  ['raw', '-A OUTPUT -p udp -j CT --helper tftp --zone 2', '-A OUTPUT -p udp -j CT --helper tftp --zone 2'],
  ['raw', '-A OUTPUT -p udp -m udp --dport 137 -j CT --helper netbios-ns', '-A OUTPUT -p udp -m udp --dport 137 -j CT --helper netbios-ns'],
  ['raw', '-A PREROUTING -p tcp -m tcp --dport 6667 -j CT --helper irc', '-A PREROUTING -p tcp -m tcp --dport 6667 -j CT --helper irc'],
  ['raw', '-A PREROUTING -p tcp -m tcp --dport 6566 -j CT --helper sane', '-A PREROUTING -p tcp -m tcp --dport 6566 -j CT --helper sane'],
  ['raw', '-A OUTPUT -p udp -m udp --dport 161 -j CT --helper snmp', '-A OUTPUT -p udp -m udp --dport 161 -j CT --helper snmp'],
  ['raw', '-A PREROUTING -p udp -m udp --dport 162 -j CT --helper snmp_trap', '-A PREROUTING -p udp -m udp --dport 162 -j CT --helper snmp_trap'],
  ['raw', '-A OUTPUT -p udp -j CT --notrack --helper sip', '-A OUTPUT -p udp -j CT --notrack --helper sip'],
  ['raw', '-A PREROUTING -p udp -m udp --dport 5060 -j CT --helper sip', '-A PREROUTING -p udp -m udp --dport 5060 -j CT --helper sip'],
  ['raw', '-A PREROUTING -p tcp -m tcp --dport 5060 -j CT --helper sip', '-A PREROUTING -p tcp -m tcp --dport 5060 -j CT --helper sip'],
  ['raw', '-A PREROUTING -p udp -m udp --dport 1719 -j CT --helper RAS', '-A PREROUTING -p udp -m udp --dport 1719 -j CT --helper RAS'],
  ['raw', '-A PREROUTING -p tcp -m tcp --dport 1720 -j CT --helper Q.931', '-A PREROUTING -p tcp -m tcp --dport 1720 -j CT --helper Q.931'],
  ['raw', '-A PREROUTING -p udp -j CT --helper H.245', '-A PREROUTING -p udp -j CT --helper H.245'],
  ['raw', '-A PREROUTING -j CT --notrack --ctevents new', '-A PREROUTING -j CT --notrack --ctevents new'],
  [
    'raw',
    '-A PREROUTING -j CT --ctevents new,related,destroy,reply,assured,protoinfo,helper,mark,natseqinfo,secmark',
    '-A PREROUTING -j CT --ctevents new,related,destroy,reply,assured,protoinfo,helper,mark,natseqinfo,secmark',
  ],
  ['mangle', '-A PREROUTING -j DSCP --set-dscp 10', '-A PREROUTING -j DSCP --set-dscp 0x0a'],
  ['mangle', '-A PREROUTING -j DSCP --set-dscp 0x3f', '-A PREROUTING -j DSCP --set-dscp 0x3f'],
  ['mangle', '-A PREROUTING -j DSCP --set-dscp-class EF', '-A PREROUTING -j DSCP --set-dscp 0x2e'],
  ['mangle', '-A PREROUTING -j DSCP --set-dscp-class ef', '-A PREROUTING -j DSCP --set-dscp 0x2e'],
  ['mangle', '-A PREROUTING -j DSCP --set-dscp-class cs0', '-A PREROUTING -j DSCP --set-dscp 0x00'],
  ['mangle', '-A PREROUTING -j DSCP --set-dscp-class AF41', '-A PREROUTING -j DSCP --set-dscp 0x22'],
  ['mangle', '-A PREROUTING -j DSCP --set-dscp-class BE', '-A PREROUTING -j DSCP --set-dscp 0x00'],
  ['mangle', '-A PREROUTING -j DSCP --set-dscp-class cs7', '-A PREROUTING -j DSCP --set-dscp 0x38'],
  ['mangle', '-A PREROUTING -j TOS --set-tos 0x10', '-A PREROUTING -j TOS --set-tos 0x10/0xff'],
  ['mangle', '-A PREROUTING -j TOS --set-tos Minimize-Delay', '-A PREROUTING -j TOS --set-tos 0x10/0x3f'],
  ['mangle', '-A PREROUTING -j TOS --set-tos minimize-delay', '-A PREROUTING -j TOS --set-tos 0x10/0x3f'],
  ['mangle', '-A PREROUTING -j TOS --set-tos Minimize-Cost', '-A PREROUTING -j TOS --set-tos 0x02/0x3f'],
  ['mangle', '-A PREROUTING -j TOS --set-tos normal-service', '-A PREROUTING -j TOS --set-tos 0x00/0x3f'],
  ['mangle', '-A PREROUTING -j TOS --set-tos Maximize-Throughput', '-A PREROUTING -j TOS --set-tos 0x08/0x3f'],
  ['mangle', '-A PREROUTING -j TOS --set-tos Maximize-Reliability', '-A PREROUTING -j TOS --set-tos 0x04/0x3f'],
  ['mangle', '-A PREROUTING -j TOS --set-tos 0x10/0x3f', '-A PREROUTING -j TOS --set-tos 0x10/0x3f'],
  ['mangle', '-A PREROUTING -j TOS --set-tos 0x00/0x00', '-A PREROUTING -j TOS --set-tos 0x00/0x00'],
  ['mangle', '-A PREROUTING -j TOS --set-tos 255', '-A PREROUTING -j TOS --set-tos 0xff/0xff'],
  ['mangle', '-A PREROUTING -j TOS --set-tos 010/077', '-A PREROUTING -j TOS --set-tos 0x08/0x3f'],
  ['mangle', '-A PREROUTING -j TOS --and-tos 0x10', '-A PREROUTING -j TOS --set-tos 0x00/0xef'],
  ['mangle', '-A PREROUTING -j TOS --and-tos 0xff', '-A PREROUTING -j TOS --set-tos 0x00/0x00'],
  ['mangle', '-A PREROUTING -j TOS --or-tos 0x10', '-A PREROUTING -j TOS --set-tos 0x10/0x10'],
  ['mangle', '-A PREROUTING -j TOS --or-tos 0', '-A PREROUTING -j TOS --set-tos 0x00/0x00'],
  ['mangle', '-A PREROUTING -j TOS --xor-tos 0x10', '-A PREROUTING -j TOS --set-tos 0x10/0x00'],
  ['mangle', '-A PREROUTING -j TTL --ttl-set 64', '-A PREROUTING -j TTL --ttl-set 64'],
  ['mangle', '-A PREROUTING -j TTL --ttl-set 0', '-A PREROUTING -j TTL --ttl-set 0'],
  ['mangle', '-A PREROUTING -j TTL --ttl-set 0x10', '-A PREROUTING -j TTL --ttl-set 16'],
  ['mangle', '-A PREROUTING -j TTL --ttl-dec 1', '-A PREROUTING -j TTL --ttl-dec 1'],
  ['mangle', '-A PREROUTING -j TTL --ttl-inc 255', '-A PREROUTING -j TTL --ttl-inc 255'],
  ['mangle', '-A PREROUTING -p tcp -j ECN --ecn-tcp-remove', '-A PREROUTING -p tcp -j ECN --ecn-tcp-remove'],
  ['mangle', '-A PREROUTING -p tcp -j ECN --ecn-tcp-ece 0 --ecn-tcp-cwr 0', '-A PREROUTING -p tcp -j ECN --ecn-tcp-remove'],
  ['mangle', '-A PREROUTING -p tcp -j ECN --ecn-tcp-cwr 0 --ecn-tcp-ece 0', '-A PREROUTING -p tcp -j ECN --ecn-tcp-remove'],
  ['mangle', '-A PREROUTING -p tcp -j ECN --ecn-tcp-remove --ecn-ip-ect 0', '-A PREROUTING -p tcp -j ECN --ecn-tcp-ece 0 --ecn-tcp-cwr 0 --ecn-ip-ect 0'],
  ['mangle', '-A PREROUTING -p tcp -j ECN --ecn-tcp-cwr 1', '-A PREROUTING -p tcp -j ECN --ecn-tcp-cwr 1'],
  ['mangle', '-A PREROUTING -p tcp -j ECN --ecn-tcp-ece 1', '-A PREROUTING -p tcp -j ECN --ecn-tcp-ece 1'],
  ['mangle', '-A PREROUTING -p tcp -j ECN --ecn-tcp-ece 0 --ecn-tcp-cwr 1', '-A PREROUTING -p tcp -j ECN --ecn-tcp-ece 0 --ecn-tcp-cwr 1'],
  ['mangle', '-A PREROUTING -p tcp -j ECN --ecn-ip-ect 2', '-A PREROUTING -p tcp -j ECN --ecn-ip-ect 2'],
  ['mangle', '-A PREROUTING -j ECN --ecn-ip-ect 0', '-A PREROUTING -j ECN --ecn-ip-ect 0'],
  ['mangle', '-A PREROUTING -p tcp -j ECN --ecn-tcp-remove --ecn-ip-ect 1', '-A PREROUTING -p tcp -j ECN --ecn-tcp-ece 0 --ecn-tcp-cwr 0 --ecn-ip-ect 1'],
  ['mangle', '-A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1400', '-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1400'],
  [
    'mangle',
    '-A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu',
    '-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu',
  ],
  ['filter', '-A INPUT -p tcp -j TCPMSS --set-mss 1000', '-A INPUT -p tcp -j TCPMSS --set-mss 1000'],
  ['raw', '-A PREROUTING -p tcp -j TCPMSS --set-mss 0', '-A PREROUTING -p tcp -j TCPMSS --set-mss 0'],
  ['mangle', '-A PREROUTING -p tcp -j TCPMSS --set-mss 65515', '-A PREROUTING -p tcp -j TCPMSS --set-mss 65515'],
  ['filter', '-A OUTPUT -p tcp -j TCPMSS --clamp-mss-to-pmtu --set-mss 100', '-A OUTPUT -p tcp -j TCPMSS --set-mss 100'],
  ['mangle', '-A INPUT -j X\n-A X -p tcp -j TCPMSS --clamp-mss-to-pmtu', '-A X -p tcp -j TCPMSS --clamp-mss-to-pmtu'],
  ['mangle', '-A X -p tcp -j TCPMSS --clamp-mss-to-pmtu', '-A X -p tcp -j TCPMSS --clamp-mss-to-pmtu'],
  ['mangle', '-A PREROUTING -j NFLOG', '-A PREROUTING -j NFLOG'],
  ['filter', '-A INPUT -j NFLOG --nflog-group 0', '-A INPUT -j NFLOG'],
  ['filter', '-A INPUT -j NFLOG --nflog-group 65535', '-A INPUT -j NFLOG --nflog-group 65535'],
  ['filter', '-A INPUT -j NFLOG --nflog-group 0x10', '-A INPUT -j NFLOG --nflog-group 16'],
  ['filter', '-A INPUT -j NFLOG --nflog-threshold 1', '-A INPUT -j NFLOG --nflog-threshold 1'],
  ['filter', '-A INPUT -j NFLOG --nflog-threshold 0', '-A INPUT -j NFLOG'],
  ['filter', '-A INPUT -j NFLOG --nflog-size 0', '-A INPUT -j NFLOG --nflog-size 0'],
  ['filter', '-A INPUT -j NFLOG --nflog-size 4294967295', '-A INPUT -j NFLOG --nflog-size 4294967295'],
  ['filter', '-A INPUT -j NFLOG --nflog-range 0', '-A INPUT -j NFLOG'],
  ['filter', '-A INPUT -j NFLOG --nflog-prefix abc', '-A INPUT -j NFLOG --nflog-prefix abc'],
  ['filter', `-A INPUT -j NFLOG --nflog-prefix "a\\"b'c"`, `-A INPUT -j NFLOG --nflog-prefix "a\\"b\\'c"`],
  [
    'mangle',
    '-A PREROUTING -j NFLOG --nflog-group 5 --nflog-prefix "hi there" --nflog-range 100 --nflog-threshold 2',
    '-A PREROUTING -j NFLOG --nflog-prefix "hi there" --nflog-group 5 --nflog-threshold 2',
  ],
  [
    'filter',
    '-A INPUT -j NFLOG --nflog-size 5 --nflog-threshold 3 --nflog-group 2 --nflog-prefix x',
    '-A INPUT -j NFLOG --nflog-prefix x --nflog-group 2 --nflog-size 5 --nflog-threshold 3',
  ],
  ['filter', `-A INPUT -j NFLOG --nflog-prefix ${'a'.repeat(300)}`, `-A INPUT -j NFLOG --nflog-prefix ${'a'.repeat(127)}`],
  ['raw', '-A PREROUTING -j TRACE', '-A PREROUTING -j TRACE'],
  ['filter', '-A INPUT -j TRACE', '-A INPUT -j TRACE'],
  ['mangle', '-A INPUT -j TRACE', '-A INPUT -j TRACE'],
];

/** [table, rule, a piece of the message]: iptables' parse errors, or the kernel's reason (dmesg). */
const REFUSALS: Array<[string, string, string]> = [
  ['mangle', '-A PREROUTING -j MARK --set-mark abc', 'MARK: bad integer value for option "--set-mark", or out of range.'],
  ['mangle', '-A PREROUTING -j MARK --set-mark 0x100000000', 'MARK: bad integer value for option "--set-mark", or out of range.'],
  ['mangle', '-A PREROUTING -j MARK --set-mark 1/abc', 'MARK: bad integer value for option "--set-mark", or out of range.'],
  ['mangle', '-A PREROUTING -j MARK --set-mark -1', 'MARK: bad integer value for option "--set-mark", or out of range.'],
  ['mangle', '-A PREROUTING -j MARK --set-mark 1/', 'MARK: bad integer value for option "--set-mark", or out of range.'],
  ['mangle', '-A PREROUTING -j MARK --set-mark 1x', 'MARK: trailing garbage after value for option "--set-mark".'],
  ['mangle', '-A PREROUTING -j MARK --set-mark 1/2x', 'MARK: trailing garbage after value for option "--set-mark".'],
  ['mangle', '-A PREROUTING -j MARK --and-mark x', 'MARK: bad value for option "--and-mark", or out of range (0-4294967295).'],
  ['mangle', '-A PREROUTING -j MARK', 'MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required'],
  ['mangle', '-A PREROUTING -j MARK --set-mark 1 --or-mark 2', 'MARK: option "--set-mark" cannot be used together with "--or-mark".'],
  ['mangle', '-A PREROUTING -j CONNMARK', 'CONNMARK target: No operation specified'],
  ['mangle', '-A PREROUTING -j CONNMARK --mask 1', 'CONNMARK target: No operation specified'],
  ['mangle', '-A PREROUTING -j CONNMARK --save-mark --mask 1 --ctmask 2', 'CONNMARK: option "--mask" cannot be used together with "--ctmask".'],
  ['mangle', '-A PREROUTING -j CONNMARK --save-mark --right-shift-mark 33', 'CONNMARK: bad value for option "--right-shift-mark", or out of range (0-32).'],
  ['mangle', '-A PREROUTING -j CONNMARK --set-mark 1 --restore-mark', 'CONNMARK: option "--set-mark" cannot be used together with "--restore-mark".'],
  ['filter', '-A INPUT -j CT --notrack', 'CT target is only valid in the raw table'],
  ['mangle', '-A PREROUTING -j NOTRACK', 'NOTRACK target is only valid in the raw table'],
  ['raw', '-A PREROUTING -j CT --zone 65536', 'Cannot parse 65536 as a zone ID'],
  ['raw', '-A PREROUTING -j CT --ctevents foo', 'Unknown event type "foo"'],
  ['raw', '-A OUTPUT -j CT --helper ftp', 'xt_CT: You must specify a L4 protocol and not use inversions on it'],
  ['raw', '-A PREROUTING -j CT --timeout foo', 'xt_CT: You must specify a L4 protocol and not use inversions on it'],
  ['raw', '-A PREROUTING -p tcp -j CT --timeout foo', 'No such timeout policy "foo" (declare it in the machine file'],
  ['raw', '-A PREROUTING -p udp -j CT --helper ftp', 'xt_CT: No such helper "ftp"'],
  ['raw', '-A PREROUTING -p tcp -j CT --helper tftp', 'xt_CT: No such helper "tftp"'],
  ['raw', '-A PREROUTING -p tcp -j CT --helper FTP', 'xt_CT: No such helper "FTP"'],
  ['raw', '-A PREROUTING -p tcp -j CT --helper snmp', 'xt_CT: No such helper "snmp"'],
  ['raw', '-A PREROUTING -p udp -j CT --helper irc', 'xt_CT: No such helper "irc"'],
  ['raw', '-A PREROUTING -p sctp -j CT --helper sip', 'xt_CT: No such helper "sip"'],
  ['raw', '-A PREROUTING -p tcp -j CT --helper H.245', 'xt_CT: No such helper "H.245"'],
  ['raw', '-A PREROUTING -p tcp -j CT --helper RAS', 'xt_CT: No such helper "RAS"'],
  ['raw', '-A PREROUTING -j CT --zone 1 --zone 2', 'CT: option "--zone" can only be used once.'],
  ['filter', '-A INPUT -j CT --zone 1', 'CT target is only valid in the raw table'],
  ['raw', '-A OUTPUT -j NOTRACK --notrack', 'unknown option "--notrack"'],
  ['mangle', '-A PREROUTING -j DSCP', 'DSCP target: Parameter --set-dscp is required'],
  ['mangle', '-A PREROUTING -j DSCP --set-dscp 64', 'DSCP: bad value for option "--set-dscp", or out of range (0-63).'],
  ['mangle', '-A PREROUTING -j DSCP --set-dscp-class foo', "Invalid DSCP value `foo'"],
  ['mangle', '-A PREROUTING -j DSCP --set-dscp-class le', "Invalid DSCP value `le'"],
  ['mangle', '-A PREROUTING -j DSCP --set-dscp 1 --set-dscp-class EF', 'DSCP: option "--set-dscp" cannot be used together with "--set-dscp-class".'],
  ['filter', '-A INPUT -j DSCP --set-dscp 1', 'DSCP target is only valid in the mangle table'],
  ['mangle', '-A PREROUTING -j TOS', 'TOS: An action is required'],
  ['mangle', '-A PREROUTING -j TOS --set-tos 0x100', 'Symbolic name "0x100" is unknown'],
  ['mangle', '-A PREROUTING -j TOS --set-tos foo', 'Symbolic name "foo" is unknown'],
  ['mangle', '-A PREROUTING -j TOS --set-tos 0x10/0x1ff', 'Illegal value: "0x10/0x1ff"'],
  ['mangle', '-A PREROUTING -j TOS --set-tos 0x10/', 'Illegal value: "0x10/"'],
  ['mangle', '-A PREROUTING -j TOS --set-tos 0x10x', 'Illegal value: "0x10x"'],
  ['mangle', '-A PREROUTING -j TOS --and-tos 0x100', 'TOS: bad value for option "--and-tos", or out of range (0-255).'],
  ['mangle', '-A PREROUTING -j TOS --set-tos 0x10 --and-tos 3', 'TOS: option "--set-tos" cannot be used together with "--and-tos".'],
  ['filter', '-A INPUT -j TOS --set-tos 1', 'TOS target is only valid in the mangle table'],
  ['mangle', '-A PREROUTING -j TTL', 'TTL: You must specify an action'],
  ['mangle', '-A PREROUTING -j TTL --ttl-dec 0', 'TTL: bad value for option "--ttl-dec", or out of range (1-255).'],
  ['mangle', '-A PREROUTING -j TTL --ttl-set 256', 'TTL: bad value for option "--ttl-set", or out of range (0-255).'],
  ['mangle', '-A PREROUTING -j TTL --ttl-set 1 --ttl-dec 2', 'TTL: option "--ttl-set" cannot be used together with "--ttl-dec".'],
  ['filter', '-A INPUT -j TTL --ttl-set 1', 'TTL target is only valid in the mangle table'],
  ['filter', '-A INPUT -p tcp -j ECN --ecn-tcp-remove', 'ECN target is only valid in the mangle table'],
  ['mangle', '-A INPUT -j ECN --ecn-tcp-remove', 'ipt_ECN: cannot use operation on non-tcp rule'],
  ['mangle', '-A INPUT -p udp -j ECN --ecn-tcp-remove', 'ipt_ECN: cannot use operation on non-tcp rule'],
  ['mangle', '-A INPUT ! -p tcp -j ECN --ecn-tcp-remove', 'ipt_ECN: cannot use operation on non-tcp rule'],
  ['mangle', '-A INPUT -p tcp -j ECN', 'ECN target: An operation is required'],
  ['mangle', '-A PREROUTING -p tcp -j ECN --ecn-tcp-remove --ecn-tcp-cwr 1', 'ECN: option "--ecn-tcp-remove" cannot be used together with "--ecn-tcp-cwr".'],
  ['mangle', '-A INPUT -j ECN --ecn-ip-ect 4', 'ECN: bad value for option "--ecn-ip-ect", or out of range (0-3).'],
  ['mangle', '-A PREROUTING -p tcp -j ECN --ecn-tcp-cwr 2', 'ECN: bad value for option "--ecn-tcp-cwr", or out of range (0-1).'],
  ['mangle', '-A INPUT -p tcp -j TCPMSS --clamp-mss-to-pmtu', 'path-MTU clamping only supported in FORWARD, OUTPUT and POSTROUTING hooks'],
  ['raw', '-A PREROUTING -p tcp -j TCPMSS --set-mss 100 --clamp-mss-to-pmtu', 'path-MTU clamping only supported in FORWARD, OUTPUT and POSTROUTING hooks'],
  ['mangle', '-A INPUT -j TCPMSS --set-mss 1000', 'TCPMSS target: only valid for protocol 6'],
  ['mangle', '-A POSTROUTING -j TCPMSS --set-mss 100', 'TCPMSS target: only valid for protocol 6'],
  ['raw', '-A PREROUTING -p tcp -j TCPMSS --set-mss 65535', 'TCPMSS: bad value for option "--set-mss", or out of range (0-65515).'],
  ['raw', '-A PREROUTING -p tcp -j TCPMSS', 'TCPMSS target: At least one parameter is required'],
  ['filter', '-A INPUT -j NFLOG --nflog-group 65536', 'NFLOG: bad value for option "--nflog-group", or out of range (0-65535).'],
  ['filter', '-A INPUT -j NFLOG --nflog-threshold 65536', 'NFLOG: bad value for option "--nflog-threshold", or out of range (0-65535).'],
  ['filter', '-A INPUT -j NFLOG --nflog-prefix ""', 'Argument must have a minimum length of 1 characters'],
  ['filter', '-A INPUT -j NFLOG --nflog-range 5 --nflog-size 7', 'NFLOG: option "--nflog-range" cannot be used together with "--nflog-size".'],
];

describe('mangling targets: iptables-save text', () => {
  it.each(SAVE_ROWS)('%s: %s', (table, rule, want) => {
    expect(saved(table, rule)).toBe(want);
  });
  it('save(parse(save(x))) is stable', () => {
    for (const [table, rule] of SAVE_ROWS) {
      const once = saved(table, rule);
      expect(saved(table, once)).toBe(once);
    }
  });
});

describe('mangling targets: refusals', () => {
  it.each(REFUSALS)('%s: %s', (table, rule, want) => {
    expect(refusal(table, rule)).toContain(want);
  });
});

describe('number parsing as strtoumax with base 0', () => {
  it('reads decimal, octal and hex prefixes', () => {
    expect(cStrtoul('10')).toEqual({ value: 10, end: 2 });
    expect(cStrtoul('010')).toEqual({ value: 8, end: 3 });
    expect(cStrtoul('0x1f/3')).toEqual({ value: 31, end: 4 });
    expect(cStrtoul('0x')).toEqual({ value: 0, end: 1 });
    expect(cStrtoul('08')).toEqual({ value: 0, end: 1 });
    expect(cStrtoul('x')).toBeUndefined();
  });
});

// -- per-packet behaviour ------------------------------------------------------

function cfg<C>(module: TargetModule<C>, text: string, proto = 0): C {
  return module.parse(usesOf(module as TargetModule<any>, text), parseCtx(proto));
}

function par(hook = Hook.PreRouting, outDev = ETH0): XtParams {
  return params(recorder(), hook, hook === Hook.LocalOut || hook === Hook.PostRouting || hook === Hook.Forward ? null : ETH0, outDev);
}

/** IP header and TCP checksums verify (a full recomputation agrees with the incremental updates). */
function checksOut(ip: Uint8Array): void {
  const ihl = (ip[0]! & 0x0f) * 4;
  expect(inetChecksum(ip, 0, ihl)).toBe(0);
  const tot = (ip[2]! << 8) | ip[3]!;
  if (ip[9] === 6 || ip[9] === 17) {
    const saved = (ip[ihl + (ip[9] === 6 ? 16 : 6)]! << 8) | ip[ihl + (ip[9] === 6 ? 17 : 7)]!;
    const at = ihl + (ip[9] === 6 ? 16 : 6);
    const copy = ip.slice(0, tot);
    copy[at] = 0;
    copy[at + 1] = 0;
    expect(saved).toBe(l4Checksum(copy, ihl, tot - ihl, ip[9]!));
  }
}

const syn = (opts?: Uint8Array, extra: { tos?: number; ttl?: number; flags?: string; payload?: Uint8Array } = {}): Skb =>
  skbOf(
    ipv4(
      { src: '192.0.2.10', dst: '198.51.100.20', tos: extra.tos ?? 0, ttl: extra.ttl ?? 64, id: 0x1234 },
      tcp({ sport: 40000, dport: 80, flags: extra.flags ?? 'S', seq: 1, options: opts, payload: extra.payload }),
    ),
  );

describe('MARK and CONNMARK per packet', () => {
  it('MARK applies (mark & ~mask) ^ value', () => {
    const s = syn();
    s.mark = 0xff00ff00;
    expect(markTarget.target(cfg(markTarget, '--set-mark 0x5/0xf'), s, par())).toBe(XT_CONTINUE);
    expect(s.mark).toBe(0xff00ff05);
    markTarget.target(cfg(markTarget, '--xor-mark 0xffffffff'), s, par());
    expect(s.mark).toBe(0x00ff00fa);
    markTarget.target(cfg(markTarget, '--and-mark 0xf0'), s, par());
    expect(s.mark).toBe(0xf0);
    markTarget.target(cfg(markTarget, '--or-mark 0x80000000'), s, par());
    expect(s.mark).toBe(0x800000f0);
  });

  it('CONNMARK sets, saves and restores through the entry, with masks and shifts', () => {
    const s = syn();
    const ct = new Conn(6, InetAddr.v4(1), InetAddr.v4(2), 3, 4, InetAddr.v4(2), InetAddr.v4(1), 4, 3);
    s.ct = ct;
    connmarkTarget.target(cfg(connmarkTarget, '--set-mark 0x12'), s, par());
    expect(ct.mark).toBe(0x12);
    s.mark = 0xabcd;
    connmarkTarget.target(cfg(connmarkTarget, '--save-mark --nfmask 0xff --ctmask 0xf00'), s, par());
    expect(ct.mark).toBe((0x12 & ~0xf00) ^ 0xcd);
    ct.mark = 0x1234;
    s.mark = 0xffff0000;
    connmarkTarget.target(cfg(connmarkTarget, '--restore-mark --mask 0xff'), s, par());
    expect(s.mark).toBe(0xffff0034);
    connmarkTarget.target(cfg(connmarkTarget, '--restore-mark --ctmask 0xff00 --nfmask 0xff --right-shift-mark 8'), s, par());
    expect(s.mark).toBe(0xffff0012);
    connmarkTarget.target(cfg(connmarkTarget, '--save-mark --left-shift-mark 4'), s, par());
    expect(ct.mark).toBe(0xfff00120);
  });

  it('CONNMARK does nothing to a packet without an entry', () => {
    const s = syn();
    s.mark = 7;
    expect(connmarkTarget.target(cfg(connmarkTarget, '--restore-mark'), s, par())).toBe(XT_CONTINUE);
    expect(s.mark).toBe(7);
  });
});

describe('CT and NOTRACK per packet', () => {
  it('mark the packet untracked unless it already has an entry', () => {
    const s = syn();
    expect(ctTarget.target(cfg(ctTarget, '--notrack'), s, par())).toBe(XT_CONTINUE);
    expect(s.ctState).toBe(2);
    const t = syn();
    notrackTarget.target(null, t, par());
    expect(t.ctState).toBe(2);
    const u = syn();
    u.ct = new Conn(6, InetAddr.v4(1), InetAddr.v4(2), 3, 4, InetAddr.v4(2), InetAddr.v4(1), 4, 3);
    notrackTarget.target(null, u, par());
    expect(u.ctState).toBe(0);
    const v = syn();
    ctTarget.target(cfg(ctTarget, '--zone 0'), v, par());
    expect(v.ctState).toBe(0);
  });
});

describe('DSCP, TOS, TTL, ECN rewrite the header with checksums right', () => {
  it('DSCP keeps the ECN bits', () => {
    const s = syn(undefined, { tos: 0x03 });
    dscpTarget.target(cfg(dscpTarget, '--set-dscp-class EF'), s, par());
    expect(s.data[1]).toBe(0xbb);
    checksOut(s.data);
  });

  it('TOS applies (tos & ~mask) ^ value', () => {
    const s = syn(undefined, { tos: 0xe3 });
    tosTarget.target(cfg(tosTarget, '--set-tos Minimize-Delay'), s, par());
    expect(s.data[1]).toBe(0xd0);
    checksOut(s.data);
    tosTarget.target(cfg(tosTarget, '--xor-tos 0xff'), s, par());
    expect(s.data[1]).toBe(0x2f);
    checksOut(s.data);
  });

  it('ipv4_change_dsfield computes the kernel checksum for every TOS change', () => {
    const ip = syn().data;
    for (let tos = 0; tos < 256; tos += 7) {
      for (let nv = 0; nv < 256; nv += 13) {
        const b = ip.slice();
        b[1] = tos;
        b[10] = 0;
        b[11] = 0;
        const c = inetChecksum(b, 0, 20);
        b[10] = c >> 8;
        b[11] = c & 255;
        ipv4ChangeDsfield(b, 0, nv);
        expect(b[1]).toBe(nv);
        expect(inetChecksum(b, 0, 20)).toBe(0);
      }
    }
  });

  it('TTL sets, clamps and keeps the checksum', () => {
    const s = syn(undefined, { ttl: 3 });
    ttlTarget.target(cfg(ttlTarget, '--ttl-dec 5'), s, par());
    expect(s.data[8]).toBe(0);
    checksOut(s.data);
    ttlTarget.target(cfg(ttlTarget, '--ttl-inc 255'), s, par());
    expect(s.data[8]).toBe(255);
    checksOut(s.data);
    ttlTarget.target(cfg(ttlTarget, '--ttl-set 64'), s, par());
    expect(s.data[8]).toBe(64);
    checksOut(s.data);
  });

  it('ECN clears ECE and CWR of TCP and sets the IP field', () => {
    const s = syn(undefined, { flags: 'SEC', tos: 0x02 });
    ecnTarget.target(cfg(ecnTarget, '--ecn-tcp-remove --ecn-ip-ect 1', 6), s, par());
    expect(s.data[20 + 13]).toBe(0x02);
    expect(s.data[1]).toBe(0x01);
    checksOut(s.data);
  });

  it('ECN leaves UDP alone and drops a TCP packet whose header is missing', () => {
    const u = skbOf(ipv4({ src: '192.0.2.10', dst: '198.51.100.20' }, udp({ sport: 1, dport: 2 })));
    const before = u.data.slice();
    expect(ecnTarget.target(cfg(ecnTarget, '--ecn-tcp-remove', 6), u, par())).toBe(XT_CONTINUE);
    expect(u.data).toEqual(before);
    const short = ipv4({ src: '192.0.2.10', dst: '198.51.100.20', proto: 6 }, { proto: 6, bytes: new Uint8Array(8) });
    expect(ecnTarget.target(cfg(ecnTarget, '--ecn-tcp-remove', 6), skbOf(short), par())).toBe(NF_DROP);
  });
});

describe('TCPMSS', () => {
  const mssOpt = (mss: number, pad = 0): Uint8Array => {
    const o = new Uint8Array(pad + 4);
    o.fill(1, 0, pad); // NOPs
    o.set([2, 4, mss >> 8, mss & 255], pad);
    return o;
  };

  it('lowers an MSS option, never raises it', () => {
    const s = syn(mssOpt(1460));
    tcpmssTarget.target(cfg(tcpmssTarget, '--set-mss 1400', 6), s, par(Hook.Forward));
    expect((s.data[42]! << 8) | s.data[43]!).toBe(1400);
    checksOut(s.data);
    tcpmssTarget.target(cfg(tcpmssTarget, '--set-mss 1450', 6), s, par(Hook.Forward));
    expect((s.data[42]! << 8) | s.data[43]!).toBe(1400);
  });

  it('updates the checksum for an option at an odd offset', () => {
    const s = syn(mssOpt(1460, 1));
    tcpmssTarget.target(cfg(tcpmssTarget, '--set-mss 536', 6), s, par(Hook.Forward));
    expect((s.data[43]! << 8) | s.data[44]!).toBe(536);
    checksOut(s.data);
  });

  it('clamps to the smaller MTU of the way out and the way back, minus 40', () => {
    const s = syn(mssOpt(1460));
    const small = device('eth1', 3, 1, '192.0.2.1');
    const p = par(Hook.Forward, { ...small, mtu: 1400 });
    tcpmssTarget.target(cfg(tcpmssTarget, '--clamp-mss-to-pmtu', 6), s, p);
    expect((s.data[42]! << 8) | s.data[43]!).toBe(1360);
    checksOut(s.data);
  });

  it('adds an MSS option (at most 536) to a segment without one and without data', () => {
    const s = syn(new Uint8Array([1, 1, 4, 2])); // NOP NOP SACK-permitted
    expect(s.totLen).toBe(44);
    expect(tcpmssTarget.target(cfg(tcpmssTarget, '--set-mss 1400', 6), s, par(Hook.Forward))).toBe(XT_CONTINUE);
    expect(s.totLen).toBe(48);
    expect(s.data.length).toBe(48);
    expect(s.data[32]! >> 4).toBe(7);
    expect(Array.from(s.data.subarray(40, 48))).toEqual([2, 4, 0x02, 0x18, 1, 1, 4, 2]);
    checksOut(s.data);
  });

  it('leaves a segment with data and no MSS option as it is, and skips later fragments', () => {
    const s = syn(undefined, { payload: new Uint8Array([1, 2, 3]) });
    const before = s.data.slice();
    tcpmssTarget.target(cfg(tcpmssTarget, '--set-mss 1400', 6), s, par(Hook.Forward));
    expect(s.data).toEqual(before);
  });

  it('drops a packet whose TCP header is short or whose path MTU is 40 or less', () => {
    const short = ipv4({ src: '192.0.2.10', dst: '198.51.100.20', proto: 6 }, { proto: 6, bytes: new Uint8Array(8) });
    expect(tcpmssTarget.target(cfg(tcpmssTarget, '--set-mss 1400', 6), skbOf(short), par(Hook.Forward))).toBe(NF_DROP);
    const tiny = { ...ETH0, mtu: 40 };
    expect(tcpmssTarget.target(cfg(tcpmssTarget, '--clamp-mss-to-pmtu', 6), syn(mssOpt(1460)), par(Hook.Forward, tiny))).toBe(NF_DROP);
  });
});

describe('NFLOG', () => {
  it('reports the packet on the console with its group and prefix', () => {
    const r = recorder();
    const p = params(r, Hook.LocalIn, ETH0, null);
    nflogTarget.target(cfg(nflogTarget, '--nflog-group 5 --nflog-prefix "in: "'), syn(), p);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]![1]).toMatch(/^NFLOG group=5 prefix="in: " IN=veth1 OUT= .*SRC=192\.0\.2\.10 DST=198\.51\.100\.20 .*PROTO=TCP SPT=40000 DPT=80 /);
  });
});

describe('CT --helper under the helper modules ports parameters', () => {
  const load = (rule: string, modules?: Parameters<typeof loadRuleset>[2]): string =>
    saveRuleset(loadRuleset(`*raw\n${rule}\nCOMMIT\n`, 'r.v4', modules ?? {}))
      .split('\n')
      .find((l) => l.startsWith('-A'))!;
  it('names each port helper as nf_ct_helper_init does: by port for ftp and sane, by place for tftp, irc and sip', () => {
    const modules = { nf_conntrack_ftp: { ports: [21, 2121] }, nf_conntrack_sip: { ports: [5080, 5060] }, nf_conntrack_tftp: { ports: [1069] } };
    expect(load('-A PREROUTING -p tcp -j CT --helper ftp-2121', { modules })).toBe('-A PREROUTING -p tcp -j CT --helper ftp-2121');
    expect(load('-A PREROUTING -p tcp -j CT --helper ftp', { modules })).toBe('-A PREROUTING -p tcp -j CT --helper ftp');
    expect(load('-A PREROUTING -p udp -j CT --helper sip-0', { modules })).toBe('-A PREROUTING -p udp -j CT --helper sip-0');
    expect(load('-A PREROUTING -p tcp -j CT --helper sip', { modules })).toBe('-A PREROUTING -p tcp -j CT --helper sip');
    expect(load('-A PREROUTING -p udp -j CT --helper tftp-0', { modules })).toBe('-A PREROUTING -p udp -j CT --helper tftp-0');
    for (const [rule, name] of [
      ['-A PREROUTING -p udp -j CT --helper tftp', 'tftp'],
      ['-A PREROUTING -p udp -j CT --helper sip-1', 'sip-1'],
      ['-A PREROUTING -p tcp -j CT --helper ftp-21', 'ftp-21'],
      ['-A PREROUTING -p udp -j CT --helper ftp-2121', 'ftp-2121'],
    ])
      expect(() => load(rule!, { modules })).toThrow(`xt_CT: No such helper "${name}"`);
    // Without the parameter (measured: the kernel's default ports), ftp-2121 is no helper.
    expect(() => load('-A PREROUTING -p tcp -j CT --helper ftp-2121')).toThrow('xt_CT: No such helper "ftp-2121"');
  });
});
