/**
 * `-m u32` (xt_u32.c / libxt_u32.c): `[!] --u32 tests`, Don Cohen's little
 * language for reading 32-bit words anywhere in the packet.
 *
 *     tests    := test { "&&" test }          (at most 10)
 *     test     := location "=" value { "," value }   (at most 10 values)
 *     value    := number [ ":" number ]       (a range min:max)
 *     location := number { op number }        (at most 10 numbers)
 *     op       := "&" | "<<" | ">>" | "@"
 *
 * A location starts by reading the big-endian word at the offset given by
 * its first number (from the IP header); `&` masks, `<<`/`>>` shift,
 * `@` adds the current value to a base offset and reads the word at base +
 * the next number. A shift count of 32 or more is refused at load time
 * (EINVAL), as Linux 6.18.40 and later check (CVE-2026-72350). Every read
 * must lie inside the packet, or the whole match fails (before the
 * inversion: `!` makes it true), exactly with the kernel's bounds tests,
 * including their unsigned wrap-around checks. A range written high:low is
 * kept and never contains a value.
 *
 * iptables-save prints every number in hex: `0x0>>0x16&0x3c@0xc=0x50:0x5f`.
 *
 * @example
 * -m u32 --u32 "0>>22&0x3C@12>>26&0x3C@0=0x474554"
 */
import { CheckError, defineMatch, OptionError, type OptionSpec } from '../xt.js';
import { xtStrtoul } from '../args.js';
import { checkUses } from './util.js';

/** XT_U32_MAXSIZE: the most tests, numbers per location and values per test. */
const MAXSIZE = 10;

export const enum U32Op {
  And = 0,
  LeftShift = 1,
  RightShift = 2,
  At = 3,
}

export interface U32Test {
  /** location[0] is the first offset; ops[i] applies nums[i] for i >= 1. */
  readonly nums: Uint32Array;
  readonly ops: Uint8Array;
  /** Ranges as pairs min, max. */
  readonly ranges: Uint32Array;
}

export interface U32Config {
  readonly tests: readonly U32Test[];
  readonly invert: boolean;
}

const OPTIONS: readonly OptionSpec[] = [{ name: 'u32', args: 1, invert: true, mandatory: true }];

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';

/** Parses the test language with libxt_u32's state machine and messages (positions count from 0). */
export function parseU32(arg: string): U32Test[] {
  const fail = (msg: string): never => {
    throw new OptionError(`u32: ${msg}`);
  };
  const tests: U32Test[] = [];
  let nums: number[] = [];
  let ops: number[] = [];
  let vals: number[] = [];
  let i = 0;
  let state = 0;
  const number = (): number => {
    const at = i;
    const r = xtStrtoul(arg, 0xffffffff, i);
    if (!r) return fail(`at char ${at}: not a number or out of range`);
    i = r.end;
    return r.value;
  };
  const finish = (): void => {
    tests.push({ nums: Uint32Array.from(nums), ops: Uint8Array.from(ops), ranges: Uint32Array.from(vals) });
  };
  for (;;) {
    while (isSpace(arg[i])) i++;
    if (i >= arg.length) {
      if (state === 0) fail('abrupt end of input after location specifier');
      if (vals.length === 0) fail('test ended with no value specified');
      finish();
      if (tests.length > MAXSIZE) fail(`at char ${i}: too many "&&"s`);
      return tests;
    }
    const ch = arg[i];
    if (state === 0) {
      if (ch === '=') {
        if (nums.length === 0) fail(`at char ${i}: location spec missing`);
        i++;
        state = 1;
        continue;
      }
      if (nums.length !== 0) {
        let op: U32Op;
        if (ch === '&') op = U32Op.And;
        else if (ch === '<') {
          if (arg[++i] !== '<') fail(`at char ${i}: a second '<' was expected`);
          op = U32Op.LeftShift;
        } else if (ch === '>') {
          if (arg[++i] !== '>') fail(`at char ${i}: a second '>' was expected`);
          op = U32Op.RightShift;
        } else if (ch === '@') op = U32Op.At;
        else return fail(`at char ${i}: operator expected`);
        ops.push(op);
        i++;
      } else ops.push(U32Op.And); // unused slot for location[0]
      nums.push(number());
      if (nums.length > MAXSIZE) fail(`at char ${i}: too many operators`);
    } else if (ch === '&') {
      if (arg[++i] !== '&') fail(`at char ${i}: a second '&' was expected`);
      if (vals.length === 0) fail(`at char ${i}: value spec missing`);
      finish();
      if (tests.length > MAXSIZE) fail(`at char ${i}: too many "&&"s`);
      i++;
      state = 0;
      nums = [];
      ops = [];
      vals = [];
    } else {
      if (vals.length > 0) {
        if (ch !== ',') fail(`at char ${i}: expected "," or "&&"`);
        i++;
      }
      const min = number();
      while (isSpace(arg[i])) i++;
      const max = arg[i] === ':' ? (i++, number()) : min;
      vals.push(min, max);
      if (vals.length / 2 > MAXSIZE) fail(`at char ${i}: too many ","s`);
    }
  }
}

const hex = (v: number): string => `0x${v.toString(16)}`;
const OP_TEXT = ['&', '<<', '>>', '@'] as const;

export function formatU32(tests: readonly U32Test[]): string {
  const parts: string[] = [];
  for (const t of tests) {
    let s = hex(t.nums[0]!);
    for (let k = 1; k < t.nums.length; k++) s += OP_TEXT[t.ops[k]!] + hex(t.nums[k]!);
    s += '=';
    const r: string[] = [];
    for (let k = 0; k < t.ranges.length; k += 2) {
      const lo = t.ranges[k]!;
      const hi = t.ranges[k + 1]!;
      r.push(lo === hi ? hex(lo) : `${hex(lo)}:${hex(hi)}`);
    }
    parts.push(s + r.join(','));
  }
  return `"${parts.join('&&')}"`;
}

/** The big-endian word at `pos` (the caller has checked pos + 4 <= len). */
function word(d: Uint8Array, pos: number): number {
  return ((d[pos]! << 24) | (d[pos + 1]! << 16) | (d[pos + 2]! << 8) | d[pos + 3]!) >>> 0;
}

/**
 * u32_match_it. `len` is skb->len (the IP total length); bytes the capture
 * cut off are not present, so a read there hot-drops instead.
 */
function u32Eval(c: U32Config, d: Uint8Array, len: number, present: number, par: { hotdrop: boolean }): boolean {
  for (let t = 0; t < c.tests.length; t++) {
    const test = c.tests[t]!;
    let at = 0;
    let pos = test.nums[0]!;
    if (len < 4 || pos > len - 4) return false;
    if (pos + 4 > present) {
      par.hotdrop = true;
      return false;
    }
    let val = word(d, pos);
    for (let k = 1; k < test.nums.length; k++) {
      const n = test.nums[k]!;
      switch (test.ops[k]) {
        case U32Op.And:
          val = (val & n) >>> 0;
          break;
        case U32Op.LeftShift:
          val = (val << n) >>> 0;
          break;
        case U32Op.RightShift:
          val = val >>> n;
          break;
        case U32Op.At: {
          // 32-bit unsigned arithmetic with the kernel's overflow tests.
          if (at + val > 0xffffffff) return false;
          at = at + val;
          pos = n;
          if (at + 4 > 0xffffffff || len < at + 4 || pos > len - at - 4) return false;
          if (at + pos + 4 > present) {
            par.hotdrop = true;
            return false;
          }
          val = word(d, at + pos);
          break;
        }
      }
    }
    const r = test.ranges;
    let k = 0;
    for (; k < r.length; k += 2) if (r[k]! <= val && val <= r[k + 1]!) break;
    if (k >= r.length) return false;
  }
  return true;
}

export const u32Match = defineMatch<U32Config>({
  name: 'u32',
  options: OPTIONS,
  parse(uses) {
    checkUses('u32', uses);
    const u = uses.find((x) => x.spec.name === 'u32');
    if (!u) throw new OptionError('u32: option "--u32" must be specified');
    try {
      return { tests: parseU32(u.args[0] ?? ''), invert: u.invert };
    } catch (e) {
      throw new OptionError((e as Error).message, u);
    }
  },
  check(c) {
    for (const t of c.tests) {
      for (let k = 1; k < t.nums.length; k++) {
        if ((t.ops[k] === U32Op.LeftShift || t.ops[k] === U32Op.RightShift) && t.nums[k]! >= 32) {
          throw new CheckError(`u32: shift count ${t.nums[k]} is 32 or more (Invalid argument)`);
        }
      }
    }
  },
  save(c) {
    return `${c.invert ? '! ' : ''}--u32 ${formatU32(c.tests)}`;
  },
  match(c, skb, par) {
    const r = u32Eval(c, skb.data, skb.totLen, skb.len, par);
    return par.hotdrop ? false : r !== c.invert;
  },
});
