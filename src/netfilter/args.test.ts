/**
 * The shared argument kinds: each kind on what iptables 1.8.9 accepts and
 * refuses, with its messages. Rows marked "recorded" repeat what the module
 * tests recorded from Debian's iptables 1.8.9; the others follow the
 * libxtables source of that release (xtables.c, xtoptions.c), cited where
 * the behaviour is not obvious.
 */
import { describe, expect, it } from 'vitest';
import { Family, InetAddr } from '../packet/inet-addr.js';
import {
  DSCP_CLASSES,
  HASHLIMIT_RATE,
  HZ,
  IFNAMSIZ,
  LIMIT_RATE,
  TOS_NAMES,
  atoiUnsigned,
  cStrtoumax,
  dscpClass,
  dscpClassArg,
  hostAddr,
  inetAton,
  interfaceName,
  numericAddr,
  numericIPv4,
  parsePlen,
  parseRate,
  parseTosMask,
  parseUintRange,
  parseValMask,
  plenError,
  plenMask,
  printRate,
  rateUnit,
  splitRange,
  uintArg,
  xtStrtoul,
  xtStrtoulAll,
} from './args.js';
import { msecsToJiffies } from './clock.js';
import type { OptionSpec, OptionUse } from './xt.js';

/** An OptionUse of option `--name` with one argument. */
function use(name: string, arg: string): OptionUse {
  const spec: OptionSpec = { name, args: 1 };
  return { spec, written: name, args: [arg], invert: false, pos: { line: 1, column: 1 } };
}

/** The message `f` throws, or 'accepted'. */
function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
}

const v4 = (text: string): string | undefined => {
  const n = numericIPv4(text);
  return n === undefined ? undefined : InetAddr.v4(n).toString();
};

describe('xtables_strtoul: the numbers of every option kind', () => {
  it('reads base 0: decimal, leading-0 octal, 0x hex, white space and +', () => {
    expect(xtStrtoulAll('10', 255)).toBe(10);
    expect(xtStrtoulAll('010', 255)).toBe(8);
    expect(xtStrtoulAll('0x1F', 255)).toBe(31);
    expect(xtStrtoulAll('0X1f', 255)).toBe(31);
    expect(xtStrtoulAll(' \t+7', 255)).toBe(7);
    expect(xtStrtoulAll('0', 255)).toBe(0);
  });

  it('refuses a leading minus, even -0 (its own check before strtoumax)', () => {
    expect(xtStrtoulAll('-1', 255)).toBeUndefined();
    expect(xtStrtoulAll('-0', 255)).toBeUndefined();
    expect(xtStrtoulAll('  -0', 255)).toBeUndefined();
    expect(xtStrtoul('5:-1', 255, 2)).toBeUndefined();
  });

  it('refuses no digits, values out of [min, max] and beyond 2^64-1', () => {
    expect(xtStrtoulAll('', 255)).toBeUndefined();
    expect(xtStrtoulAll('x', 255)).toBeUndefined();
    expect(xtStrtoulAll('+', 255)).toBeUndefined();
    expect(xtStrtoulAll('+-5', 255)).toBeUndefined();
    expect(xtStrtoulAll('256', 255)).toBeUndefined();
    expect(xtStrtoulAll('0', 255, 1)).toBeUndefined();
    expect(xtStrtoulAll('4294967295', 0xffffffff)).toBe(0xffffffff);
    expect(xtStrtoulAll('4294967296', 0xffffffff)).toBeUndefined();
    expect(xtStrtoul('18446744073709551616', Number.MAX_SAFE_INTEGER)).toBeUndefined();
  });

  it('with an end pointer, stops at the first character that is not a digit of the base', () => {
    expect(xtStrtoul('0x', 255)).toEqual({ value: 0, end: 1 });
    expect(xtStrtoul('08', 255)).toEqual({ value: 0, end: 1 });
    expect(xtStrtoul('12:34', 255)).toEqual({ value: 12, end: 2 });
    expect(xtStrtoul('12:34', 255, 3)).toEqual({ value: 34, end: 5 });
    expect(xtStrtoul('5kb', 255)).toEqual({ value: 5, end: 1 });
    expect(xtStrtoulAll('5kb', 255)).toBeUndefined();
  });
});

describe('strtoul called directly (libxt_time): the other behaviour', () => {
  it('negates a minus modulo 2^64 (so -0 is 0)', () => {
    expect(cStrtoumax('-1')).toEqual({ value: (1n << 64n) - 1n, end: 2 });
    expect(cStrtoumax('-0')).toEqual({ value: 0n, end: 2 });
    expect(Number(cStrtoumax('-1', 0, 10).value & 0xffffffffn)).toBe(0xffffffff);
  });

  it('gives 0 with the end at the start when there is no digit, 2^64-1 on overflow', () => {
    expect(cStrtoumax('x')).toEqual({ value: 0n, end: 0 });
    expect(cStrtoumax('12:x', 3, 10)).toEqual({ value: 0n, end: 3 });
    expect(cStrtoumax(' -')).toEqual({ value: 0n, end: 0 });
    expect(cStrtoumax('99999999999999999999')).toEqual({ value: (1n << 64n) - 1n, end: 20, overflow: true });
  });

  it('takes the base it is given: base 10 reads 0x1 as 0', () => {
    expect(cStrtoumax('0x1', 0, 10)).toEqual({ value: 0n, end: 1 });
    expect(cStrtoumax('0x1', 0, 16)).toEqual({ value: 1n, end: 3 });
    expect(cStrtoumax('010', 0, 10)).toEqual({ value: 10n, end: 3 });
    expect(cStrtoumax('010', 0, 0)).toEqual({ value: 8n, end: 3 });
    expect(cStrtoumax('2021-06', 0, 10)).toEqual({ value: 2021n, end: 4 });
  });
});

describe('atoi and atoll into unsigned variables', () => {
  it('reads white space, a sign and decimal digits, wraps to the width', () => {
    expect(atoiUnsigned('5/sec', 32)).toBe(5n);
    expect(atoiUnsigned(' +7x', 32)).toBe(7n);
    expect(atoiUnsigned('abc', 32)).toBe(0n);
    expect(atoiUnsigned('-5', 32)).toBe(4294967291n);
    expect(atoiUnsigned('-5', 64)).toBe(18446744073709551611n);
    expect(atoiUnsigned('4294967301', 32)).toBe(5n);
    expect(atoiUnsigned('0x10', 64)).toBe(0n);
  });
});

describe('XTTYPE_UINT* options', () => {
  it("take the whole argument in range, with xtopt_parse_int's message", () => {
    expect(uintArg('TTL', use('ttl-set', '0x10'), 0, 255)).toBe(16);
    // recorded
    expect(refusal(() => uintArg('TTL', use('ttl-set', '256'), 0, 255))).toBe('TTL: bad value for option "--ttl-set", or out of range (0-255).');
    expect(refusal(() => uintArg('TTL', use('ttl-dec', '0'), 1, 255))).toBe('TTL: bad value for option "--ttl-dec", or out of range (1-255).');
    expect(refusal(() => uintArg('MARK', use('and-mark', 'x'), 0, 0xffffffff))).toBe(
      'MARK: bad value for option "--and-mark", or out of range (0-4294967295).',
    );
    // xtopt_parse_int reads with xtables_strtoul: no minus, not even -0.
    expect(refusal(() => uintArg('TTL', use('ttl-set', '-0'), 0, 255))).toBe('TTL: bad value for option "--ttl-set", or out of range (0-255).');
  });
});

describe('ranges', () => {
  const range = (text: string, max = 65535) => parseUintRange('length', use('length', text), max);
  it('read a, a:b, :b, a: and keep a high:low range as written (xtopt_parse_mint)', () => {
    expect(range('5')).toEqual([5, 5]);
    expect(range('5:9')).toEqual([5, 9]);
    expect(range(':9')).toEqual([0, 9]);
    expect(range('5:')).toEqual([5, 65535]);
    expect(range('9:5')).toEqual([9, 5]);
    expect(range('0x10:020')).toEqual([16, 16]);
    expect(range('5:', 0xffffffff)).toEqual([5, 0xffffffff]);
  });

  it("refuse with iptables' messages", () => {
    // recorded (length)
    expect(refusal(() => range('100-200'))).toBe('length: Argument to "--length" has unexpected characters near "-200".');
    expect(refusal(() => range('1:2:3'))).toBe('length: Too many components for option "--length" (max: 2)');
    expect(refusal(() => range('x:5'))).toBe('length: bad value for option "--length" near "x:5", or out of range (0-65535).');
    expect(refusal(() => range('5:x'))).toBe('length: bad value for option "--length" near "x", or out of range (0-65535).');
    expect(refusal(() => range('65536'))).toBe('length: bad value for option "--length" near "65536", or out of range (0-65535).');
  });

  it('cut at the first separator, as strchr does', () => {
    expect(splitRange('1.2.3.4-1.2.3.5-1.2.3.6', '-')).toEqual(['1.2.3.4', '1.2.3.5-1.2.3.6']);
    expect(splitRange('10.0.0.1', '-')).toEqual(['10.0.0.1', undefined]);
    expect(splitRange('10.0.0.0/8', '/')).toEqual(['10.0.0.0', '8']);
  });
});

describe('rates', () => {
  it('read the unit as any prefix of second, minute, hour, day, in any case', () => {
    expect(rateUnit('5')).toBe(1);
    expect(rateUnit('5/s')).toBe(1);
    expect(rateUnit('5/se')).toBe(1);
    expect(rateUnit('5/MIN')).toBe(60);
    expect(rateUnit('5/minute')).toBe(60);
    expect(rateUnit('5/h')).toBe(3600);
    expect(rateUnit('5/d')).toBe(86400);
    expect(rateUnit('5/')).toBe(0);
    expect(rateUnit('5/x')).toBe(0);
    expect(rateUnit('5/minutes')).toBe(0);
  });

  it("give limit's average interval in 1/10000 s, read with atoi into 32 bits", () => {
    expect(parseRate('3/min', LIMIT_RATE)).toEqual({ avg: 200000n, mult: 60 });
    expect(parseRate('3/hour', LIMIT_RATE)).toEqual({ avg: 12000000n, mult: 3600 });
    expect(parseRate('5x/s', LIMIT_RATE)).toEqual({ avg: 2000n, mult: 1 });
    expect(parseRate('10000/s', LIMIT_RATE)).toEqual({ avg: 1n, mult: 1 });
    expect(parseRate('5/x', LIMIT_RATE)).toBeUndefined();
    expect(parseRate('0/s', LIMIT_RATE)).toBeUndefined();
    expect(parseRate('/s', LIMIT_RATE)).toBeUndefined();
    // recorded (limit)
    expect(refusal(() => parseRate('10001/s', LIMIT_RATE))).toBe('Rate too fast "10001/s"');
    expect(refusal(() => parseRate('-5/s', LIMIT_RATE))).toBe('Rate too fast "-5/s"');
  });

  it("give hashlimit's in 1/1000000 s, read with atoll into 64 bits", () => {
    expect(parseRate('5', HASHLIMIT_RATE)).toEqual({ avg: 200000n, mult: 1 });
    expect(parseRate('5/min', HASHLIMIT_RATE)).toEqual({ avg: 12000000n, mult: 60 });
    expect(parseRate('1000000/s', HASHLIMIT_RATE)).toEqual({ avg: 1n, mult: 1 });
    // recorded (hashlimit)
    expect(refusal(() => parseRate('1000001/s', HASHLIMIT_RATE))).toBe('Rate too fast "1000001/s"');
  });

  it('print in the largest unit that keeps the rate (print_rate)', () => {
    const text = (avg: bigint, scale: bigint) => printRate(avg, scale).text;
    expect(text(200000n, LIMIT_RATE.scale)).toBe('3/min');
    expect(text(12000000n, LIMIT_RATE.scale)).toBe('3/hour');
    expect(text(2000n, LIMIT_RATE.scale)).toBe('5/sec');
    expect(text(432000000n, LIMIT_RATE.scale)).toBe('2/day');
    expect(text(25n, LIMIT_RATE.scale)).toBe('400/sec');
    expect(text(12000000n, HASHLIMIT_RATE.scale)).toBe('5/min');
    expect(printRate(12000000n, HASHLIMIT_RATE.scale)).toMatchObject({ count: 5n, unit: 'min', seconds: 60 });
  });
});

describe('value/mask pairs', () => {
  const vm = (text: string) => parseValMask('MARK', use('set-mark', text));
  it('read value[/mask] (XTTYPE_MARKMASK32), the mask all ones when absent', () => {
    expect(vm('0x10/0xff')).toEqual({ value: 0x10, mask: 0xff });
    expect(vm('7')).toEqual({ value: 7, mask: 0xffffffff });
    expect(vm('0/0')).toEqual({ value: 0, mask: 0 });
    expect(vm('4294967295')).toEqual({ value: 0xffffffff, mask: 0xffffffff });
  });

  it("refuse with xtables_parse_val_mask's messages", () => {
    // recorded (MARK)
    expect(refusal(() => vm('abc'))).toBe('MARK: bad integer value for option "--set-mark", or out of range.');
    expect(refusal(() => vm('0x100000000'))).toBe('MARK: bad integer value for option "--set-mark", or out of range.');
    expect(refusal(() => vm('1/'))).toBe('MARK: bad integer value for option "--set-mark", or out of range.');
    expect(refusal(() => vm('-1'))).toBe('MARK: bad integer value for option "--set-mark", or out of range.');
    expect(refusal(() => vm('1x'))).toBe('MARK: trailing garbage after value for option "--set-mark".');
    expect(refusal(() => vm('1/2x'))).toBe('MARK: trailing garbage after value for option "--set-mark".');
    // xtables_strtoui refuses the minus of -0 too.
    expect(refusal(() => vm('-0'))).toBe('MARK: bad integer value for option "--set-mark", or out of range.');
  });

  it('read TOS value[/mask] or a TOS name (XTTYPE_TOSMASK)', () => {
    expect(parseTosMask('0x10')).toEqual({ value: 0x10, mask: 0xff });
    expect(parseTosMask('010/077')).toEqual({ value: 8, mask: 0x3f });
    expect(parseTosMask('Minimize-Delay')).toEqual({ value: 0x10, mask: 0x3f });
    expect(parseTosMask('normal-service')).toEqual({ value: 0, mask: 0x3f });
    expect(parseTosMask('minimize-cost', 0xff)).toEqual({ value: 2, mask: 0xff });
    expect([...TOS_NAMES.keys()]).toEqual(['minimize-delay', 'maximize-throughput', 'maximize-reliability', 'minimize-cost', 'normal-service']);
    // recorded (TOS)
    expect(refusal(() => parseTosMask('0x100'))).toBe('Symbolic name "0x100" is unknown');
    expect(refusal(() => parseTosMask('0x10/0x1ff'))).toBe('Illegal value: "0x10/0x1ff"');
    expect(refusal(() => parseTosMask('0x10/'))).toBe('Illegal value: "0x10/"');
    expect(refusal(() => parseTosMask('0x10x'))).toBe('Illegal value: "0x10x"');
    // A number xtables_strtoui refuses is taken for a name.
    expect(refusal(() => parseTosMask('-0'))).toBe('Symbolic name "-0" is unknown');
  });
});

describe('DSCP classes (one table for the dscp match and the DSCP target)', () => {
  it("compare the class name's length without case, the first in table order winning", () => {
    expect(dscpClass('EF')).toBe(0x2e);
    expect(dscpClass('ef')).toBe(0x2e);
    expect(dscpClass('EFX')).toBe(0x2e);
    expect(dscpClass('cs10')).toBe(0x08);
    expect(dscpClass('af41')).toBe(0x22);
    expect(dscpClass('BE')).toBe(0);
    expect(dscpClass('le')).toBeUndefined();
    expect(dscpClass('A')).toBeUndefined();
    expect(DSCP_CLASSES).toHaveLength(22);
  });

  it("refuse with class_to_dscp's message (recorded)", () => {
    expect(refusal(() => dscpClassArg(use('set-dscp-class', 'foo')))).toBe("Invalid DSCP value `foo'");
  });
});

describe("IPv4 addresses, read as the option's libxtables function reads them", () => {
  it('xtables_numeric_to_ipaddr completes a network address with zero bytes', () => {
    expect(v4('10.0.0.1')).toBe('10.0.0.1');
    expect(v4('10.1')).toBe('10.1.0.0');
    expect(v4('1')).toBe('1.0.0.0');
    expect(v4('1.2.3')).toBe('1.2.3.0');
    expect(v4('010.0.0.1')).toBe('8.0.0.1');
    expect(v4('0x1.2.3.4')).toBe('1.2.3.4');
    expect(v4(' 1.2.3.4')).toBe('1.2.3.4');
    for (const bad of ['', '10.0.0.256', '1.2.3.4.5', '1..3.4', '10.0.0.1/24', 'localhost', '-1.2.3.4']) expect(v4(bad)).toBeUndefined();
  });

  it('xtables_numeric_to_ipaddr reads at most 19 characters (its buffer)', () => {
    expect(v4('1.2.3.0000000000004')).toBe('1.2.3.4');
    expect(v4('1.2.3.00000000000004')).toBe('1.2.3.0');
  });

  it('getaddrinfo (inet_aton) lets the last part fill the remaining bytes', () => {
    const aton = (t: string) => {
      const n = inetAton(t);
      return n === undefined ? undefined : InetAddr.v4(n).toString();
    };
    expect(aton('16')).toBe('0.0.0.16');
    expect(aton('10.1')).toBe('10.0.0.1');
    expect(aton('1.2.3')).toBe('1.2.0.3');
    expect(aton('0x7f.1')).toBe('127.0.0.1');
    expect(aton('255.255.255.0')).toBe('255.255.255.0');
    expect(aton('4294967295')).toBe('255.255.255.255');
    for (const bad of ['', ' 1.2.3.4', '+1.2.3.4', '1.2.3.4.5', '256.1', '1.2.65536', '1..2', '1.2.3.4x']) expect(aton(bad)).toBeUndefined();
  });
});

describe('addresses of either family', () => {
  it('numeric addresses: IPv6 as inet_pton, each family refusing the other', () => {
    expect(numericAddr('2001:DB8::1', Family.V6)?.toString()).toBe('2001:db8::1');
    expect(numericAddr('::ffff:192.0.2.1', Family.V6)?.toString()).toBe('::ffff:192.0.2.1');
    expect(numericAddr('10.1', Family.V4)?.toString()).toBe('10.1.0.0');
    expect(numericAddr('192.0.2.1', Family.V6)).toBeUndefined();
    expect(numericAddr('2001:db8::1', Family.V4)).toBeUndefined();
    expect(numericAddr('2001:db8::1/64', Family.V6)).toBeUndefined();
    expect(numericAddr('2001:db8::1', Family.V6)?.family).toBe(Family.V6);
  });

  it('hosts (getaddrinfo, numeric): inet_aton for IPv4, inet_pton for IPv6', () => {
    expect(hostAddr('10.1', Family.V4)?.toString()).toBe('10.0.0.1');
    expect(hostAddr('2001:db8::10', Family.V6)?.toString()).toBe('2001:db8::10');
    expect(hostAddr('300.1.1.1', Family.V4)).toBeUndefined();
    expect(hostAddr('10.0.0.1', Family.V6)).toBeUndefined();
  });

  it('prefix lengths or masks written as addresses (xtopt_parse_plen), -1 for a mask with holes', () => {
    expect(parsePlen('24', Family.V4)).toBe(24);
    expect(parsePlen('0', Family.V4)).toBe(0);
    expect(parsePlen('0x10', Family.V4)).toBe(16);
    expect(parsePlen('255.255.255.0', Family.V4)).toBe(24);
    expect(parsePlen('255.0.255.0', Family.V4)).toBe(-1);
    // Above 32 it is read as an address (inet_aton: 0.0.0.33), which is no mask.
    expect(parsePlen('33', Family.V4)).toBe(-1);
    expect(parsePlen('x', Family.V4)).toBeUndefined();
    expect(parsePlen('64', Family.V6)).toBe(64);
    expect(parsePlen('128', Family.V6)).toBe(128);
    expect(parsePlen('ffff:ffff::', Family.V6)).toBe(32);
    expect(parsePlen('ffff::ffff', Family.V6)).toBe(-1);
    expect(parsePlen('129', Family.V6)).toBeUndefined();
    expect(parsePlen('255.255.255.0', Family.V6)).toBeUndefined();
  });

  it('masks of a prefix length (xtopt_parse_plenmask), all ones for -1', () => {
    expect(plenMask(Family.V4, 24).toString()).toBe('255.255.255.0');
    expect(plenMask(Family.V4, 0).toString()).toBe('0.0.0.0');
    expect(plenMask(Family.V4, -1).toString()).toBe('255.255.255.255');
    expect(plenMask(Family.V6, 64).toString()).toBe('ffff:ffff:ffff:ffff::');
    expect(plenMask(Family.V6, -1).prefixLength()).toBe(128);
  });

  it("refuse a bad mask with xtopt_parse_plen's message, its range the family's", () => {
    // recorded (hashlimit)
    expect(plenError('hashlimit', use('hashlimit-srcmask', 'x'), Family.V4).message).toBe(
      'hashlimit: bad value for option "--hashlimit-srcmask", neither a valid network mask nor valid CIDR (0-32).',
    );
    expect(plenError('connlimit', use('connlimit-mask', 'x'), Family.V6).message).toBe(
      'connlimit: bad value for option "--connlimit-mask", neither a valid network mask nor valid CIDR (0-128).',
    );
  });
});

describe('interface names', () => {
  it('take 1 to 15 characters without white space or /', () => {
    expect(interfaceName('eth0', '-i')).toBe('eth0');
    expect(interfaceName('eth+', '-o')).toBe('eth+');
    expect(interfaceName('a'.repeat(IFNAMSIZ - 1), '-i')).toHaveLength(15);
    expect(refusal(() => interfaceName('', '-i'))).toBe("interface name `' for -i must be 1 to 15 characters");
    expect(refusal(() => interfaceName('a'.repeat(16), '-i'))).toBe(`interface name \`${'a'.repeat(16)}' for -i must be 1 to 15 characters`);
    expect(refusal(() => interfaceName('a/b', '-i'))).toBe("invalid interface name `a/b' for -i");
    expect(refusal(() => interfaceName('..', '-i'))).toBe("invalid interface name `..' for -i");
  });
});

describe('the clock', () => {
  it('runs at HZ=250, milliseconds rounded up to jiffies', () => {
    expect(HZ).toBe(250);
    expect(msecsToJiffies(1000)).toBe(250);
    expect(msecsToJiffies(1)).toBe(1);
    expect(msecsToJiffies(4)).toBe(1);
    expect(msecsToJiffies(5)).toBe(2);
    expect(msecsToJiffies(0)).toBe(0);
  });
});
