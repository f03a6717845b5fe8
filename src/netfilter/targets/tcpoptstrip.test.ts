/**
 * TCPOPTSTRIP: rule text -> iptables-save text and refusals, as Debian's
 * iptables 1.8.9 (nf_tables) on Linux 6.18 printed and refused them in a
 * network namespace; and what the target does to a segment's options and
 * checksum (test/golden/xt-targets holds the kernel's own rewritten packets).
 */
import { describe, expect, it } from 'vitest';
import { ipv4, ipv6, tcp } from '../../packet/build.js';
import { l4Checksum, l4Checksum6 } from '../../packet/checksum.js';
import { Family } from '../../packet/inet-addr.js';
import { loadRuleset } from '../rules/restore.js';
import { saveRuleset } from '../rules/save.js';
import { Hook, NF_DROP, Skb, XT_CONTINUE } from '../types.js';
import { tcpoptstripTarget, parseStripList } from './tcpoptstrip.js';
import { ETH0, params, recorder, skbOf } from './test-services.js';

function load(rule: string, table = 'mangle', family = Family.V4): string {
  try {
    const rs = loadRuleset(`*${table}\n:X - [0:0]\n${rule}\nCOMMIT\n`, 'test.rules', { family });
    return saveRuleset(rs)
      .split('\n')
      .filter((l) => l.startsWith('-A'))
      .at(-1)!;
  } catch (e) {
    return `refused: ${(e as Error).message}`;
  }
}

describe('TCPOPTSTRIP parsing and saving (iptables 1.8.9)', () => {
  it.each([
    [
      '-A PREROUTING -p tcp -j TCPOPTSTRIP --strip-options mss,wscale,sack-permitted,sack,timestamp,md5,30,255',
      '-A PREROUTING -p tcp -j TCPOPTSTRIP --strip-options 2,3,4,5,8,19,30,255',
    ],
    ['-A PREROUTING -p tcp -j TCPOPTSTRIP', '-A PREROUTING -p tcp -j TCPOPTSTRIP'],
    ['-A X -p tcp -j TCPOPTSTRIP --strip-options " 7"', '-A X -p tcp -j TCPOPTSTRIP --strip-options 7'],
    ['-A X -p tcp -j TCPOPTSTRIP --strip-options +7', '-A X -p tcp -j TCPOPTSTRIP --strip-options 7'],
    ['-A X -p tcp -j TCPOPTSTRIP --strip-options 013,0x13', '-A X -p tcp -j TCPOPTSTRIP --strip-options 11,19'],
  ])('%s', (rule, want) => {
    expect(load(rule)).toBe(want);
    expect(load(rule, 'mangle', Family.V6)).toBe(want);
  });

  it.each([
    ['-A X -p tcp -j TCPOPTSTRIP --strip-options 1', 'Option value may not be 0 or 1'],
    ['-A X -p tcp -j TCPOPTSTRIP --strip-options 256', 'Bad TCP option value "256"'],
    ['-A X -p tcp -j TCPOPTSTRIP --strip-options mss,', 'Bad TCP option value ""'],
    ['-A X -p tcp -j TCPOPTSTRIP --strip-options ,mss', 'Bad TCP option value ""'],
    ['-A X -p tcp -j TCPOPTSTRIP --strip-options MSS', 'Bad TCP option value "MSS"'],
    ['-A X -p tcp -j TCPOPTSTRIP --strip-options 2,mss', 'Option "mss" already specified'],
    ['-A X -p tcp -j TCPOPTSTRIP --strip-options 3 --strip-options 5', 'TCPOPTSTRIP: option "--strip-options" can only be used once.'],
    ['-A INPUT -j TCPOPTSTRIP --strip-options mss', 'only valid for protocol 6'],
    ['-A INPUT ! -p tcp -j TCPOPTSTRIP --strip-options mss', 'only valid for protocol 6'],
    ['-A INPUT -p udp -j TCPOPTSTRIP --strip-options mss', 'only valid for protocol 6'],
  ])('refuses %s', (rule, why) => {
    expect(load(rule)).toContain(why);
  });

  it('is valid in the mangle table only', () => {
    expect(load('-A INPUT -p tcp -j TCPOPTSTRIP --strip-options mss', 'filter')).toMatch(/^refused: .*mangle/);
    expect(load('-A OUTPUT -p tcp -j TCPOPTSTRIP --strip-options mss', 'raw')).toMatch(/^refused: .*mangle/);
  });
});

const OPTS = Uint8Array.from([2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]);

function run(strip: string, ip: Uint8Array, v6 = false): { verdict: number; skb: Skb } {
  const skb = v6 ? new Skb().loadV6(ip) : skbOf(ip);
  const cfg = tcpoptstripTarget.parse(
    [{ spec: tcpoptstripTarget.options[0]!, written: 'strip-options', args: [strip], invert: false, pos: { line: 1, column: 1 } }],
    {
      family: v6 ? Family.V6 : Family.V4,
      table: 'mangle',
      chain: 'FORWARD',
      head: { proto: 6, invProto: false, fragment: false, invFragment: false },
    },
  );
  const verdict = tcpoptstripTarget.target(cfg, skb, params(recorder(), Hook.Forward, ETH0, ETH0));
  return { verdict, skb };
}

describe('TCPOPTSTRIP on packets', () => {
  it('replaces the selected options with NOPs and keeps the checksum right', () => {
    const ip = ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, tcp({ sport: 1, dport: 2, flags: 'S', options: OPTS }));
    const { verdict, skb } = run('sack-permitted,timestamp', ip);
    expect(verdict).toBe(XT_CONTINUE);
    expect([...skb.data.subarray(40, 60)]).toEqual([2, 4, 5, 0xb4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 7]);
    expect(l4Checksum(skb.data, 20, skb.totLen - 20, 6)).toBe(0);
  });

  it('handles options at odd offsets (IPv6)', () => {
    const ip = ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }, tcp({ sport: 1, dport: 2, flags: 'S', options: OPTS }));
    const { verdict, skb } = run('wscale,mss', ip, true);
    expect(verdict).toBe(XT_CONTINUE);
    expect([...skb.data.subarray(60, 80)]).toEqual([1, 1, 1, 1, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1]);
    expect(l4Checksum6(skb.data, 40, skb.totLen - 40, 6)).toBe(0);
  });

  it('walks past End of option list, steps one byte over a zero length, stops at an option past the header', () => {
    // EOL, kind 30 with length 0 (one byte), 30/len 2, then kind 8 claiming 10 bytes in the last 4.
    const opts = Uint8Array.from([0, 30, 0, 1, 30, 2, 1, 1, 8, 10, 0, 0]);
    const ip = ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, tcp({ sport: 1, dport: 2, flags: 'A', options: opts }));
    const { skb } = run('30,8', ip);
    expect([...skb.data.subarray(40, 52)]).toEqual([0, 1, 0, 1, 1, 1, 1, 1, 8, 10, 0, 0]);
    expect(l4Checksum(skb.data, 20, skb.totLen - 20, 6)).toBe(0);
  });

  it("never looks at an option in the header's last byte", () => {
    const opts = Uint8Array.from([1, 1, 1, 30]);
    const ip = ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, tcp({ sport: 1, dport: 2, flags: 'A', options: opts }));
    const { skb } = run('30', ip);
    expect(skb.data[43]).toBe(30);
  });

  it('drops a segment whose header is short or whose data offset is below 5; passes later fragments', () => {
    const ip = ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, tcp({ sport: 1, dport: 2, flags: 'A' }));
    ip[32] = 0x40; // data offset 4
    expect(run('mss', ip).verdict).toBe(NF_DROP);
    const short = ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, { proto: 6, bytes: new Uint8Array(10) });
    expect(run('mss', short).verdict).toBe(NF_DROP);
    const frag = ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, tcp({ sport: 1, dport: 2, flags: 'A' }));
    frag[6] = 0x00;
    frag[7] = 0x10;
    frag[32] = 0x40;
    expect(run('mss', frag).verdict).toBe(XT_CONTINUE);
  });

  it('parses lists as parse_list does', () => {
    expect([...parseStripList('mss,19')].flatMap((v, i) => (v ? [i] : []))).toEqual([2, 19]);
  });
});
