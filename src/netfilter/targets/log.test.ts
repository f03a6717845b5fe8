import { describe, expect, it } from 'vitest';
import { ethernet, ipv4, icmp, tcp, udp } from '../../packet/build.js';
import { Hook, XT_CONTINUE } from '../types.js';
import { CheckError, OptionError } from '../xt.js';
import { KERNEL_CASES } from './kernel-fixtures.js';
import { logTarget, saveString, type LogConfig } from './log.js';
import { ETH0, LO, checkCtx, hex, params, parseCtx, recorder, skbOf, usesOf } from './test-services.js';

const parse = (text: string): LogConfig => logTarget.parse(usesOf(logTarget, text), parseCtx());
const save = (text: string): string => logTarget.save(parse(text));

/** Input -> what iptables-save v1.8.9 (nf_tables) printed for `-j LOG <input>`. */
const SAVE_ROWS: Array<[string, string]> = [
  ['', ''],
  ['--log-level 4', ''],
  ['--log-level warning', ''],
  ['--log-level 7', '--log-level 7'],
  ['--log-level debug', '--log-level 7'],
  ['--log-level panic', '--log-level 0'],
  ['--log-level error', '--log-level 3'],
  ['--log-level emerg', '--log-level 0'],
  ['--log-level 0', '--log-level 0'],
  ['--log-level 0x3 --log-prefix x', '--log-prefix x --log-level 3'],
  ['--log-level " 3"', '--log-level 3'],
  ['--log-level 4 --log-prefix a', '--log-prefix a'],
  ['--log-prefix "abc "', '--log-prefix "abc "'],
  ['--log-prefix abc', '--log-prefix abc'],
  ['--log-prefix "a b\\"c"', '--log-prefix "a b\\"c"'],
  ['--log-prefix "it\'s"', '--log-prefix "it\\\'s"'],
  ['--log-prefix "a\\\\b"', '--log-prefix "a\\\\b"'],
  ['--log-prefix "a.b"', '--log-prefix "a.b"'],
  ['--log-prefix a_b-1', '--log-prefix a_b-1'],
  ['--log-prefix -x', '--log-prefix -x'],
  ['--log-prefix "é"', '--log-prefix "é"'],
  ['--log-prefix 1234567890123456789012345678901234567890', '--log-prefix 12345678901234567890123456789'],
  [
    '--log-tcp-sequence --log-tcp-options --log-ip-options --log-uid --log-macdecode',
    '--log-tcp-sequence --log-tcp-options --log-ip-options --log-uid --log-macdecode',
  ],
  [
    '--log-macdecode --log-uid --log-ip-options --log-tcp-options --log-tcp-sequence --log-level 6 --log-prefix "x: "',
    '--log-prefix "x: " --log-level 6 --log-tcp-sequence --log-tcp-options --log-ip-options --log-uid --log-macdecode',
  ],
];

/** Input -> the part of iptables-restore's complaint cofw repeats. */
const BAD_ROWS: Array<[string, string]> = [
  ['--log-level warn', 'log level "warn" unknown'],
  ['--log-level err', 'log level "err" unknown'],
  ['--log-level 8', 'log level "8" unknown'],
  ['--log-level INFO', 'log level "INFO" unknown'],
  ['--log-level -1', 'log level "-1" unknown'],
  ['--log-level 3x', 'log level "3x" unknown'],
  ['--log-prefix ""', 'Argument must have a minimum length of 1 characters'],
  ['--log-prefix "a\nb"', 'Newlines not allowed in --log-prefix'],
];

describe('LOG options', () => {
  it.each(SAVE_ROWS)('saves %s as iptables-save does', (input, out) => expect(save(input)).toBe(out));
  it.each(BAD_ROWS)('refuses %s', (input, msg) => {
    expect(() => parse(input)).toThrow(OptionError);
    expect(() => parse(input)).toThrow(msg);
  });
  it('accepts every syslog level name xtables knows', () => {
    const names = ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug'];
    names.forEach((n, i) => expect(parse(`--log-level ${n}`).level).toBe(i));
  });
  it('passes the kernel check for every parsed level', () => {
    expect(() => logTarget.check!(parse('--log-level 7'), checkCtx())).not.toThrow();
    expect(() => logTarget.check!({ level: 8, prefix: '', flags: 0 }, checkCtx())).toThrow(CheckError);
  });
  it('quotes like xtables_save_string', () => {
    expect(saveString('ABC_def-9')).toBe('ABC_def-9');
    expect(saveString('a:b')).toBe('"a:b"');
  });
});

/** The rules of the fixture rule set, by prefix letter (see kernel-fixtures.ts). */
const RULES: Record<string, string> = {
  'A:': '--log-prefix "A: "',
  'B:': '--log-prefix "B: " --log-level 7 --log-tcp-sequence --log-tcp-options --log-ip-options --log-uid',
  'M:': '--log-prefix "M: " --log-macdecode',
  'F:': '--log-prefix "F: "',
  'O:': '--log-prefix "O: "',
};
const MAC_FW = '02:00:00:00:00:01';
const MAC_PEER = '02:00:00:00:00:02';

describe('LOG lines match the kernel (fixtures recorded from Linux 6.18)', () => {
  const rows = KERNEL_CASES.flatMap((c) => c.log.map(([level, text]) => ({ c, level, text })));
  it.each(rows.map((r) => [r.c.name, r.text.slice(0, 2), r] as const))('%s %s', (_n, _p, { c, level, text }) => {
    const rule = RULES[text.slice(0, 2)]!;
    const cfg = parse(rule);
    const svc = recorder();
    if (text.startsWith('O:')) {
      // The kernel logged its own reply on the way out (OUTPUT, no input device).
      const r = hex(c.reply);
      // The capture's RST checksum is what the NIC finished; the line does not show it.
      expect(logTarget.target(cfg, skbOf(r), params(svc, Hook.LocalOut, null, ETH0))).toBe(XT_CONTINUE);
    } else {
      const orig = hex(c.orig);
      const dst = c.name === 'bcast53' ? 'ff:ff:ff:ff:ff:ff' : MAC_FW;
      const frame = ethernet({ src: MAC_PEER, dst }, orig);
      const skb = skbOf(orig, { mac: frame.subarray(0, 14), mark: c.name === 'mark24' ? 0x2a : 0 });
      const hook = text.startsWith('F:') ? Hook.PreRouting : Hook.LocalIn;
      expect(logTarget.target(cfg, skb, params(svc, hook, ETH0, null))).toBe(XT_CONTINUE);
    }
    expect(svc.lines).toEqual([[level, text]]);
  });
});

describe('LOG lines in cases the fixtures do not cover (read from nf_log_syslog.c)', () => {
  const line = (rule: string, ip: Uint8Array, hook = Hook.Forward, extra: Parameters<typeof skbOf>[1] = {}) => {
    const svc = recorder();
    const inDev = hook === Hook.LocalOut ? null : ETH0;
    const outDev = hook === Hook.LocalIn ? null : ETH0;
    logTarget.target(parse(rule), skbOf(ip, extra), params(svc, hook, inDev, outDev));
    return svc.lines[0]![1];
  };
  const S = { src: '192.0.2.10', dst: '198.51.100.7', id: 1 };

  it('prints MAC= with nothing after it when the frame has no link header', () => {
    expect(line('', ipv4(S, udp({ sport: 1, dport: 2 })))).toBe(
      'IN=veth1 OUT=veth1 MAC= SRC=192.0.2.10 DST=198.51.100.7 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=UDP SPT=1 DPT=2 LEN=8 ',
    );
  });
  it("prints loopback's all-zero Ethernet header, even with --log-macdecode", () => {
    const svc = recorder();
    const ip = ipv4({ src: '127.0.0.1', dst: '127.0.0.1', id: 2 }, icmp({ type: 8, id: 7, seq: 1 }));
    logTarget.target(parse('--log-macdecode'), skbOf(ip), params(svc, Hook.LocalIn, LO, null));
    expect(svc.lines[0]![1]).toBe(
      'IN=lo OUT= MAC=00:00:00:00:00:00:00:00:00:00:00:00:08:00 SRC=127.0.0.1 DST=127.0.0.1 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=2 DF PROTO=ICMP TYPE=8 CODE=0 ID=7 SEQ=1 ',
    );
  });
  it('decodes an 802.1Q frame with --log-macdecode', () => {
    const f = ethernet({ src: MAC_PEER, dst: MAC_FW, vlan: 5 }, new Uint8Array(0));
    const out = line('--log-macdecode', ipv4(S, udp({ sport: 1, dport: 2 })), Hook.LocalIn, { mac: f });
    expect(out).toContain('MACSRC=02:00:00:00:00:02 MACDST=02:00:00:00:00:01 VPROTO=8100 VID=5 MACPROTO=0800 SRC=');
  });
  it('prints MF, and a first fragment in full', () => {
    const ip = ipv4({ ...S, mf: true }, tcp({ sport: 5, dport: 6, flags: 'S' }));
    expect(line('', ip)).toContain('ID=1 MF PROTO=TCP SPT=5 DPT=6 ');
  });
  it('prints TCP OPT (TRUNCATED) and stops when the options run past the packet', () => {
    const ip = ipv4(S, tcp({ sport: 5, dport: 6, options: Uint8Array.of(2, 4, 5, 0xb4) }));
    const cut = ip.slice(0, ip.length - 2);
    cut[3] = cut.length;
    expect(line('--log-tcp-options', cut, Hook.Forward, { mark: 1 })).toMatch(/URGP=0 OPT \(TRUNCATED\)$/);
  });
  it('prints ICMP INCOMPLETE, echo ids, redirects with GATEWAY= and MTU= for frag-needed', () => {
    const short = ipv4(S, icmp({ type: 3, code: 4, rest: 1400, payload: new Uint8Array(4) }));
    expect(line('', short)).toMatch(/PROTO=ICMP TYPE=3 CODE=4 INCOMPLETE \[12 bytes\] $/);
    const inner = ipv4({ src: '198.51.100.7', dst: '192.0.2.10', id: 3 }, udp({ sport: 9, dport: 10 }));
    const fn = ipv4(S, icmp({ type: 3, code: 4, rest: 1400, payload: inner }));
    expect(line('', fn)).toMatch(/TYPE=3 CODE=4 \[SRC=198\.51\.100\.7 .* PROTO=UDP SPT=9 DPT=10 LEN=8 \] MTU=1400 $/);
    const rd = ipv4(S, icmp({ type: 5, code: 1, rest: 0xc0000201, payload: inner }));
    expect(line('', rd)).toMatch(/TYPE=5 CODE=1 GATEWAY=192\.0\.2\.1 \[SRC=/);
  });
  it('prints SPI for ESP and AH, PROTO=n for others, and MARK= last', () => {
    const esp = ipv4({ ...S, proto: 50 }, { proto: 50, bytes: Uint8Array.of(0xf1, 0x23, 0x45, 0x67, 0, 0, 0, 1) });
    expect(line('', esp, Hook.Forward, { mark: 0xff })).toMatch(/PROTO=ESP SPI=0xf1234567 MARK=0xff $/);
    const ah = ipv4({ ...S, proto: 51 }, { proto: 51, bytes: Uint8Array.of(6, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1) });
    expect(line('', ah)).toMatch(/DF PROTO=AH SPI=0x100 $/);
    const ahFrag = ipv4({ ...S, proto: 51, fragoff: 10 }, { proto: 51, bytes: new Uint8Array(12) });
    expect(line('', ahFrag)).toMatch(/ID=1 FRAG:10 $/);
  });
  it('leaves out MAC= in OUTPUT', () => {
    expect(line('', ipv4(S, udp({ sport: 1, dport: 2 })), Hook.LocalOut)).toMatch(/^IN= OUT=veth1 SRC=/);
  });
});
