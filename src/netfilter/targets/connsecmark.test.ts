import { describe, expect, it } from 'vitest';
import { liveCompare, liveUnavailable } from '../matches/live-iptables.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';

const file = (table: string, rule: string): string => `*${table}\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rule}\nCOMMIT\n`;

/** Recorded with iptables 1.8.9 (nf_tables) on Linux 6.18: what loads, and its text. */
const FILES = [
  file('mangle', '-A INPUT -j CONNSECMARK --save'),
  file('security', '-A OUTPUT -j CONNSECMARK --restore'),
  file('filter', '-A INPUT -j CONNSECMARK --save'),
  file('mangle', '-A INPUT -j CONNSECMARK'),
  file('mangle', '-A INPUT -j CONNSECMARK --save --restore'),
  file('mangle', '-A INPUT -j CONNSECMARK --save --save'),
  file('mangle', '-A INPUT -j SECMARK --selctx system_u:object_r:http_packet_t:s0'),
  file('security', '-A INPUT -j SECMARK --selctx system_u:object_r:http_packet_t:s0'),
];

const refusal = (text: string): string => {
  try {
    loadRuleset(text, 'x.rules');
    return '';
  } catch (e) {
    return (e as Error).message;
  }
};

describe('CONNSECMARK and SECMARK', () => {
  it('CONNSECMARK loads in mangle and security and saves as written', () => {
    expect(saveRuleset(loadRuleset(FILES[0]!, 'x.rules'))).toContain('-A INPUT -j CONNSECMARK --save');
    expect(saveRuleset(loadRuleset(FILES[1]!, 'x.rules'))).toContain('-A OUTPUT -j CONNSECMARK --restore');
    expect(refusal(FILES[2]!)).toMatch(/only valid in the mangle, security tables, not filter/);
    expect(refusal(FILES[3]!)).toMatch(/CONNSECMARK target: parameter required/);
    expect(refusal(FILES[4]!)).toMatch(/"--save" cannot be used together with "--restore"|"--restore" cannot be used together with "--save"/);
  });
  it("SECMARK is refused with the kernel's error and why", () => {
    expect(refusal(FILES[6]!)).toMatch(/target `SECMARK': the kernel refuses it \(RULE_APPEND failed \(No such file or directory\)\).*SELinux/);
  });
});

describe('CONNSECMARK and SECMARK against iptables-restore in a network namespace', () => {
  const why = liveUnavailable();
  it.skipIf(why !== '')('load and are refused as iptables 1.8.9 and the kernel do', () => {
    for (const o of liveCompare(FILES)) expect(o.cofw, o.file).toEqual(o.kernel);
  });
  if (why) it.skip(`live: ${why}`, () => {});
});
