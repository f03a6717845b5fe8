/**
 * `-m set` (libxt_set.c revision 4 / xt_set.c set_match_v4): the packet is
 * looked up in an IP set (src/netfilter/ipset/) by the rule's src/dst flags.
 *
 *   [!] --match-set NAME src[,dst...]   (--set is its old spelling)
 *   --return-nomatch                    a hash:net* nomatch entry matches, other entries do not
 *   ! --update-counters                 the entry's counters are left alone
 *   ! --update-subcounters              list:set: the member set's counters are left alone
 *   --packets-eq/lt/gt N, ! --packets-eq N, --bytes-...   compare the entry's counters
 *                                        (after this packet was counted), as the kernel does
 *
 * The set must exist when the rule is loaded (`Set NAME doesn't exist.`)
 * and be of the rule file's family or of both (`The protocol family of set
 * NAME is IPv6, which is not applicable.`), as iptables refuses them.
 *
 * @example
 * -m set --match-set banned src --packets-gt 5 -j DROP
 */
import { Family } from '../../packet/inet-addr.js';
import { IPSET_DIM_MAX, IPSET_MAXNAMELEN, COUNTER_EQ, COUNTER_GT, COUNTER_LT, COUNTER_NE, COUNTER_NONE, type IpSet, type TestOpts } from '../ipset/ipset.js';
import { ipSetTest, type SetDirs } from '../ipset/kernel.js';
import { OptionError, defineMatch, type OptionSpec, type OptionUse, type ParseContext } from '../xt.js';

export interface SetMatchConfig {
  readonly set: IpSet;
  readonly dirs: SetDirs;
  readonly invert: boolean;
  readonly returnNomatch: boolean;
  readonly opts: TestOpts;
  /** Counter values as written (64-bit), for the save. */
  readonly packetsText: bigint;
  readonly bytesText: bigint;
}

const COUNTER_OPTS = ['packets-eq', 'packets-lt', 'packets-gt', 'bytes-eq', 'bytes-lt', 'bytes-gt'];
const OPTIONS: readonly OptionSpec[] = [
  { name: 'match-set', args: 2, invert: true, repeat: true },
  { name: 'set', args: 2, invert: true, repeat: true },
  { name: 'return-nomatch', args: 0, invert: true, repeat: true },
  { name: 'update-counters', args: 0, invert: true, repeat: true },
  ...COUNTER_OPTS.map((name) => ({ name, args: 1 as const, invert: true, repeat: true })),
  { name: 'update-subcounters', args: 0, invert: true, repeat: true },
];

/** get_set_byname: the set, of the rule's family or of both, else iptables' refusal. */
export function setByName(name: string, ctx: ParseContext, use: OptionUse): IpSet {
  if (name.length > IPSET_MAXNAMELEN - 1) throw new OptionError(`setname \`${name}' too long, max ${IPSET_MAXNAMELEN - 1} characters.`, use);
  const set = ctx.ipsets?.get(name);
  if (!set) {
    const hint = ctx.ipsets ? ' (the ipset file given does not create it)' : ' (give the sets with --ipsets FILE, in `ipset save` format)';
    throw new OptionError(`Set ${name} doesn't exist.${hint}`, use);
  }
  if (set.family !== Family.Unspec && set.family !== ctx.family) {
    throw new OptionError(`The protocol family of set ${name} is ${set.family === Family.V4 ? 'IPv4' : 'IPv6'}, which is not applicable.`, use);
  }
  return set;
}

/** parse_dirs: `src,dst,...` as libxt_set reads it (each part starts with src or dst; at most six). */
export function parseDirs(text: string, use: OptionUse): SetDirs {
  const parts = text.split(',');
  let dim = 0;
  let flags = 0;
  for (const p of parts.slice(0, IPSET_DIM_MAX)) {
    dim++;
    if (p.startsWith('src')) flags |= 1 << dim;
    else if (!p.startsWith('dst')) throw new OptionError("You must spefify (the comma separated list of) 'src' or 'dst'.", use);
  }
  if (parts.length > IPSET_DIM_MAX) throw new OptionError(`Can't be more src/dst options than ${IPSET_DIM_MAX}.`, use);
  return { dim, flags };
}

/** The src/dst flags as iptables-save prints them. */
export function dirsText(d: SetDirs): string {
  const out: string[] = [];
  for (let i = 1; i <= d.dim; i++) out.push(d.flags & (1 << i) ? 'src' : 'dst');
  return out.join(',');
}

/** parse_counter: xtables_strtoul with base 0 over 64 bits. */
function counterArg(use: OptionUse): bigint {
  const t = use.args[0]!;
  if (/^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/.test(t)) {
    const v = t.length > 1 && t[0] === '0' && t[1] !== 'x' && t[1] !== 'X' ? BigInt(`0o${t.slice(1)}`) : BigInt(t);
    if (v <= 0xffffffffffffffffn) return v;
  }
  throw new OptionError(`Cannot parse ${t} as a counter value`, use);
}

function opText(op: number, name: string, v: bigint): string {
  switch (op) {
    case COUNTER_EQ:
      return ` --${name}-eq ${v}`;
    case COUNTER_NE:
      return ` ! --${name}-eq ${v}`;
    case COUNTER_LT:
      return ` --${name}-lt ${v}`;
    case COUNTER_GT:
      return ` --${name}-gt ${v}`;
    default:
      return '';
  }
}

export const setMatch = defineMatch<SetMatchConfig>({
  name: 'set',
  options: OPTIONS,
  parse(uses, ctx) {
    let set: IpSet | undefined;
    let dirs: SetDirs = { dim: 0, flags: 0 };
    let invert = false;
    let returnNomatch = false;
    let skipCounterUpdate = false;
    let skipSubcounterUpdate = false;
    let packetsOp = COUNTER_NONE;
    let bytesOp = COUNTER_NONE;
    let packets = 0n;
    let bytes = 0n;
    for (const u of uses) {
      const n = u.spec.name;
      if (n === 'match-set' || n === 'set') {
        if (set) throw new OptionError('--match-set can be specified only once', u);
        invert = u.invert;
        set = setByName(u.args[0]!, ctx, u);
        dirs = parseDirs(u.args[1]!, u);
      } else if (n === 'return-nomatch') {
        if (u.invert) throw new OptionError('--return-nomatch flag cannot be inverted', u);
        returnNomatch = true;
      } else if (n === 'update-counters') {
        if (u.invert) skipCounterUpdate = true;
      } else if (n === 'update-subcounters') {
        if (u.invert) skipSubcounterUpdate = true;
      } else {
        const isPackets = n.startsWith('packets');
        if ((isPackets ? packetsOp : bytesOp) !== COUNTER_NONE) {
          throw new OptionError(`only one of the --${isPackets ? 'packets' : 'bytes'}-[eq|lt|gt] is allowed`, u);
        }
        const kind = n.slice(-2);
        if (kind !== 'eq' && u.invert) throw new OptionError(`--${n} option cannot be inverted`, u);
        const op = kind === 'eq' ? (u.invert ? COUNTER_NE : COUNTER_EQ) : kind === 'lt' ? COUNTER_LT : COUNTER_GT;
        const v = counterArg(u);
        if (isPackets) [packetsOp, packets] = [op, v];
        else [bytesOp, bytes] = [op, v];
      }
    }
    if (!set) throw new OptionError("You must specify `--match-set' with proper arguments");
    return {
      set,
      dirs,
      invert,
      returnNomatch,
      opts: {
        skipCounterUpdate,
        skipSubcounterUpdate,
        matchCounters: packetsOp !== COUNTER_NONE || bytesOp !== COUNTER_NONE,
        packetsOp,
        packets: Number(packets),
        bytesOp,
        bytes: Number(bytes),
      },
      packetsText: packets,
      bytesText: bytes,
    };
  },
  save(c) {
    let s = `${c.invert ? '! ' : ''}--match-set ${c.set.name} ${dirsText(c.dirs)}`;
    if (c.returnNomatch) s += ' --return-nomatch';
    if (c.opts.skipCounterUpdate) s += ' ! --update-counters';
    if (c.opts.skipSubcounterUpdate) s += ' ! --update-subcounters';
    s += opText(c.opts.packetsOp, 'packets', c.packetsText);
    s += opText(c.opts.bytesOp, 'bytes', c.bytesText);
    return s;
  },
  match(c, skb, par) {
    // set_match_v4: the lookup (counting the packet in the entry it finds), inverted, then the counters compared.
    const found = ipSetTest(c.set, skb, par, c.dirs, c.opts, c.returnNomatch) > 0;
    return found !== c.invert;
  },
});
