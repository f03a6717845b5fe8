/**
 * `-m connbytes` (net/netfilter/xt_connbytes.c, extensions/libxt_connbytes.c),
 * both families: `[!] --connbytes FROM[:TO] --connbytes-dir
 * original|reply|both --connbytes-mode packets|bytes|avgpkt`, all three
 * mandatory.
 *
 * It reads the accounting of the packet's conntrack entry (nf_conn_acct):
 * the packets or bytes of one direction or both, or their average packet
 * size (bytes / packets, integer division; 0 with no packet). The counters
 * include the packet in hand: conntrack counted it at PREROUTING or OUTPUT,
 * before any table looks at it. A packet without an entry (untracked,
 * invalid) or whose entry has no accounting never matches, even inverted.
 *
 * Ranges are unsigned 64-bit. `!` is stored by swapping the bounds
 * (`! --connbytes 10:20` is from 20 to 10), and the kernel reads a range
 * whose `from` exceeds its `to` as the inverted one: `what < to || what >
 * from`. So `! --connbytes 5:5` is the same as `--connbytes 5:5`, and
 * iptables-save prints it without `!`. Without `:TO`, TO is 2^64-1, and a TO
 * of 0 or 2^64-1 is not printed (`--connbytes 0:0` saves as `--connbytes 0`,
 * though it matches only 0).
 *
 * checkentry turns on the namespace's connection accounting
 * (nf_conntrack_acct) if it is off, with a warning in the kernel log
 * ("xt_connbytes: Forcing CT accounting to be enabled"); entries made from
 * then on count, and `conntrack -L` prints their `packets=` and `bytes=`.
 *
 * @example
 * -A FORWARD -m connbytes --connbytes 10485760: --connbytes-dir both --connbytes-mode bytes -j MARK --set-mark 2
 */
import { cStrtoumax } from '../args.js';
import { defineMatch, OptionError, type OptionSpec, type OptionUse } from '../xt.js';
import { checkMandatory, checkUses } from './util.js';

export const enum ConnbytesMode {
  Packets = 0,
  Bytes = 1,
  Avgpkt = 2,
}

export const enum ConnbytesDir {
  Original = 0,
  Reply = 1,
  Both = 2,
}

export interface ConnbytesConfig {
  /** As the kernel holds them: `from > to` is the inverted range. */
  readonly from: bigint;
  readonly to: bigint;
  readonly mode: ConnbytesMode;
  readonly dir: ConnbytesDir;
  /** The bounds as numbers, for the per-packet test (the counters stay far below 2^53), and whether the range is the inverted one. */
  readonly lo: number;
  readonly hi: number;
  readonly inverted: boolean;
}

const U64_MAX = (1n << 64n) - 1n;
const MODES = ['packets', 'bytes', 'avgpkt'] as const;
const DIRS = ['original', 'reply', 'both'] as const;

const OPTIONS: readonly OptionSpec[] = [
  { name: 'connbytes', args: 1, invert: true },
  { name: 'connbytes-dir', args: 1 },
  { name: 'connbytes-mode', args: 1 },
];

/** xtables_strtoul for a 64-bit bound at `from`: undefined for a minus sign, no digit or overflow. */
function u64At(text: string, from: number): { value: bigint; end: number } | undefined {
  let i = from;
  while (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\v' || text[i] === '\f' || text[i] === '\r') i++;
  if (text[i] === '-') return undefined;
  const r = cStrtoumax(text, from);
  if (r.end === from || r.overflow) return undefined;
  return { value: r.value, end: r.end };
}

/**
 * An XTTYPE_UINT64RC option (xtopt_parse_mint): `a`, `a:b`, `:b` (from 0),
 * `a:` (to 2^64-1); the values and how many were given. Messages are iptables'.
 */
function parseU64Range(use: OptionUse): { vals: bigint[] } {
  const text = use.args[0] ?? '';
  const vals: bigint[] = [];
  let pos = 0;
  for (let i = 0; ; i++) {
    if (i === 2) throw new OptionError(`connbytes: Too many components for option "--connbytes" (max: 2)`, use);
    let end: number;
    let value: bigint;
    if (pos >= text.length || text[pos] === ':') {
      end = pos;
      value = i > 0 ? U64_MAX : 0n;
    } else {
      const r = u64At(text, pos);
      if (!r) throw new OptionError(`connbytes: bad value for option "--connbytes" near "${text.slice(pos)}", or out of range (0-${U64_MAX}).`, use);
      end = r.end;
      value = r.value;
      if (end < text.length && text[end] !== ':') {
        throw new OptionError(`connbytes: Argument to "--connbytes" has unexpected characters near "${text.slice(end)}".`, use);
      }
    }
    vals.push(value);
    if (end >= text.length) break;
    pos = end + 1;
  }
  return { vals };
}

export const connbytesMatch = defineMatch<ConnbytesConfig>({
  name: 'connbytes',
  options: OPTIONS,
  parse(uses) {
    checkUses('connbytes', uses);
    let from = 0n;
    let to = U64_MAX;
    let mode = -1;
    let dir = -1;
    for (const u of uses) {
      const arg = u.args[0] ?? '';
      switch (u.spec.name) {
        case 'connbytes': {
          const { vals } = parseU64Range(u);
          from = vals[0]!;
          to = vals.length === 2 ? vals[1]! : U64_MAX;
          if (to < from) throw new OptionError(`${from} should be less than ${to}`, u);
          if (u.invert) [from, to] = [to, from];
          break;
        }
        case 'connbytes-dir':
          dir = (DIRS as readonly string[]).indexOf(arg);
          if (dir < 0) throw new OptionError(`Unknown --connbytes-dir \`${arg}'; expected original, reply or both`, u);
          break;
        case 'connbytes-mode':
          mode = (MODES as readonly string[]).indexOf(arg);
          if (mode < 0) throw new OptionError(`Unknown --connbytes-mode \`${arg}'; expected packets, bytes or avgpkt`, u);
          break;
      }
    }
    checkMandatory('connbytes', uses, ['connbytes', 'connbytes-dir', 'connbytes-mode']);
    return { from, to, mode: mode as ConnbytesMode, dir: dir as ConnbytesDir, lo: Number(from), hi: Number(to), inverted: from > to };
  },
  attach(_c, services) {
    if (services.forceConntrackAcct?.()) services.printk(4, 'xt_connbytes: Forcing CT accounting to be enabled');
  },
  save(c) {
    // print_from_to: a swapped range is printed inverted, its bounds back in order.
    const inv = c.from > c.to;
    const from = inv ? c.to : c.from;
    const to = inv ? c.from : c.to;
    let s = `${inv ? '! ' : ''}--connbytes ${from}`;
    if (to !== 0n && to < U64_MAX) s += `:${to}`;
    return `${s} --connbytes-mode ${MODES[c.mode]} --connbytes-dir ${DIRS[c.dir]}`;
  },
  match(c, skb) {
    const a = skb.ct?.acct;
    if (!a) return false;
    let packets: number;
    let bytes: number;
    if (c.dir === ConnbytesDir.Original) {
      packets = a[0]!;
      bytes = a[1]!;
    } else if (c.dir === ConnbytesDir.Reply) {
      packets = a[2]!;
      bytes = a[3]!;
    } else {
      packets = a[0]! + a[2]!;
      bytes = a[1]! + a[3]!;
    }
    const what = c.mode === ConnbytesMode.Packets ? packets : c.mode === ConnbytesMode.Bytes ? bytes : packets === 0 ? 0 : Math.floor(bytes / packets);
    return c.inverted ? what < c.hi || what > c.lo : what <= c.hi && what >= c.lo;
  },
});
