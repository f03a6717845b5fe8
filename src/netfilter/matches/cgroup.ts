/**
 * `-m cgroup` (net/netfilter/xt_cgroup.c, extensions/libxt_cgroup.c,
 * revision 2), both families: `[!] --path PATH` (the sending socket's
 * cgroup v2 is PATH or below it) or `[!] --cgroup CLASSID` (its net_cls
 * class id, 0 to 4294967295, any base), one of the two.
 *
 * The kernel takes the rule from INPUT, OUTPUT and POSTROUTING only
 * (EINVAL elsewhere), refuses it with neither or both options, and with a
 * PATH that is not a cgroup of the machine (cgroup_get_from_path: the
 * components between slashes, empty ones skipped, so "", "/" and "//"
 * are the root). cofw's guest has the root cgroup and those the machine
 * file's `sockets:` name (`cgroup:`), with their ancestors. The path is
 * cut to 511 bytes as libxt_cgroup cuts it; iptables-save prints it
 * quoted: `--path "/"`.
 *
 * Per packet, as cgroup_mt_v2: a packet without a full socket never
 * matches, `!` or not (received and forwarded packets; the firewall's own
 * when no `sockets:` entry owns them; TCP resets REJECT sends); otherwise
 * the socket's cgroup (`cgroup:`, the root by default) is compared with
 * PATH (a descendant matches), or its class id (`classid:`, 0 by default)
 * with CLASSID, and `!` inverts. The kernel's own ICMP socket (REJECT's
 * ICMP errors) is in the root cgroup with class id 0.
 *
 * @example
 * -A OUTPUT -m cgroup --path /system.slice/nginx.service -j ACCEPT
 */
import { uintArg } from '../args.js';
import { Hook } from '../types.js';
import { CheckError, defineMatch, hookBits, type OptionSpec } from '../xt.js';
import { checkUses, saveString } from './util.js';

export interface CgroupConfig {
  /** --path as given (cut to 511 bytes), or undefined. */
  readonly path?: string;
  /** The path's components, resolved from the root. */
  readonly parts: readonly string[];
  readonly invertPath: boolean;
  readonly classid?: number;
  readonly invertClassid: boolean;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'path', args: 1, invert: true },
  { name: 'cgroup', args: 1, invert: true },
];

/** The hooks xt_cgroup registers for. */
const CGROUP_HOOKS = hookBits(Hook.LocalIn, Hook.LocalOut, Hook.PostRouting);

const partsOf = (path: string): string[] => path.split('/').filter(Boolean);

/** Whether cgroup `sk` (a `/a/b` path) is `parts` or below it. */
function descends(sk: string, parts: readonly string[]): boolean {
  const s = partsOf(sk);
  if (s.length < parts.length) return false;
  for (let i = 0; i < parts.length; i++) if (s[i] !== parts[i]) return false;
  return true;
}

export const cgroupMatch = defineMatch<CgroupConfig>({
  name: 'cgroup',
  options: OPTIONS,
  parse(uses) {
    checkUses('cgroup', uses);
    const p = uses.find((u) => u.spec.name === 'path');
    const c = uses.find((u) => u.spec.name === 'cgroup');
    const path = p?.args[0];
    return {
      ...(path !== undefined ? { path } : {}),
      parts: path !== undefined ? partsOf(path) : [],
      invertPath: p?.invert ?? false,
      ...(c ? { classid: uintArg('cgroup', c, 0, 0xffffffff) } : {}),
      invertClassid: c?.invert ?? false,
    };
  },
  check(c, ctx) {
    if (c.path === undefined && c.classid === undefined)
      throw new CheckError('cgroup: give --path or --cgroup; the kernel refuses the match with neither (Invalid argument)');
    if (c.path !== undefined && c.classid !== undefined) {
      throw new CheckError('cgroup: give --path or --cgroup, not both; the kernel refuses the match with both (Invalid argument)');
    }
    if (ctx.hookMask & ~CGROUP_HOOKS) {
      throw new CheckError('cgroup: the cgroup match is only valid in INPUT, OUTPUT and POSTROUTING (and chains reached only from them) (Invalid argument)');
    }
    if (c.path !== undefined && c.parts.length) {
      const want = `/${c.parts.join('/')}`;
      if (!(ctx.cgroups ?? ['/']).includes(want)) {
        throw new CheckError(
          `cgroup: --path ${c.path}: no such cgroup on the machine, which the kernel refuses (Invalid argument); the guest has the root cgroup and those its machine file's sockets: name (cgroup: ${want})`,
        );
      }
    }
  },
  save(c) {
    const out: string[] = [];
    if (c.path !== undefined) out.push(`${c.invertPath ? '! ' : ''}--path ${saveString(c.path)}`);
    if (c.classid !== undefined) out.push(`${c.invertClassid ? '! ' : ''}--cgroup ${c.classid}`);
    return out.join(' ');
  },
  match(c, skb, par) {
    const sk = par.services.socketOf?.(skb) ?? null;
    if (sk === null) return false;
    if (c.path !== undefined) return descends(sk.cgroup ?? '/', c.parts) !== c.invertPath;
    return ((sk.classid ?? 0) === c.classid) !== c.invertClassid;
  },
});
