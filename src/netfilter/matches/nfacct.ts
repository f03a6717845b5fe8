/**
 * `-m nfacct --nfacct-name NAME` (net/netfilter/xt_nfacct.c,
 * extensions/libxt_nfacct.c), both families: counts every packet that
 * reaches it into the accounting object NAME (src/netfilter/nfacct.ts),
 * then matches unless the object has a quota it is still within:
 * nfacct_mt returns `nfnl_acct_overquota() != NFACCT_UNDERQUOTA`, so an
 * object without a quota always matches, and one with a quota matches
 * only once its counter has passed it (the opposite of `-m quota`).
 *
 * - `--nfacct-name` is mandatory, given once, not invertible; an empty
 *   name is refused by iptables ("Argument must have a minimum length of 1
 *   characters"); a longer name than 31 bytes is cut to 31 (XTOPT_PUT's
 *   strncpy into the 32-byte field), as iptables-save then shows.
 * - The object must exist when the rule is loaded: checkentry's
 *   nfnl_acct_find_get, ENOENT otherwise (iptables-restore: `RULE_APPEND
 *   failed (No such file or directory)`). The guest's objects are the
 *   machine file's `nfacct:`.
 * - iptables-save prints `--nfacct-name  NAME` with two spaces (libxt_nfacct
 *   prints `--nfacct-name ` then xtables_save_string's ` NAME`), quoting a
 *   name as xtables_save_string does (recorded with iptables 1.8.9).
 *
 * The object is shared by every rule and connection that reaches it: a
 * rule set whose objects have a quota is replayed on one worker
 * (src/workers/exactness.ts); counting alone is summed over the workers.
 *
 * @example
 * -A FORWARD -p tcp --dport 80 -m nfacct --nfacct-name http
 */
import { CheckError, OptionError, defineMatch, type OptionSpec } from '../xt.js';
import type { GuestServices } from '../types.js';
import { NFACCT_NAME_MAX, nfacctObject, type NfacctObject, type NfacctSpec } from '../nfacct.js';
import { checkMandatory, checkUses, saveString } from './util.js';

export interface NfacctConfig {
  /** The name as the kernel keeps it (at most 31 bytes). */
  readonly name: string;
  /** The guest's object of that name, as the machine file declares it; undefined when it has none (check refuses the rule). */
  readonly spec: NfacctSpec | undefined;
  boundTo: GuestServices | null;
  obj: NfacctObject | null;
}

const OPTIONS: readonly OptionSpec[] = [{ name: 'nfacct-name', args: 1, mandatory: true }];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The name as strncpy(name, arg, 32) with the last byte zeroed leaves it. */
function cutName(arg: string): string {
  const b = encoder.encode(arg);
  if (b.length < NFACCT_NAME_MAX) return arg;
  let end = NFACCT_NAME_MAX - 1;
  while (end > 0 && (b[end]! & 0xc0) === 0x80) end--;
  return decoder.decode(b.subarray(0, end));
}

function bind(c: NfacctConfig, svc: GuestServices): NfacctObject {
  const o = nfacctObject(svc, c.spec ?? { name: c.name });
  c.boundTo = svc;
  c.obj = o;
  return o;
}

export const nfacctMatch = defineMatch<NfacctConfig>({
  name: 'nfacct',
  options: OPTIONS,
  parse(uses, ctx) {
    checkUses('nfacct', uses);
    checkMandatory('nfacct', uses, ['nfacct-name']);
    const u = uses.find((x) => x.spec.name === 'nfacct-name')!;
    const arg = u.args[0] ?? '';
    if (arg.length === 0) throw new OptionError('Argument must have a minimum length of 1 characters', u);
    if (arg.includes('\n')) throw new OptionError('Newlines not allowed in --nfacct-name', u);
    const name = cutName(arg);
    return { name, spec: ctx.nfacct?.find((o) => o.name === name), boundTo: null, obj: null };
  },
  check(c, ctx) {
    if (c.spec !== undefined) return;
    const have = ctx.nfacct?.length ? ` (the machine has ${ctx.nfacct.map((o) => o.name).join(', ')})` : ' (the machine has none)';
    throw new CheckError(
      `nfacct: no accounting object \`${c.name}', which the kernel refuses (RULE_APPEND failed (No such file or directory))${have}: ` +
        `declare it in the machine file, as \`nfacct add ${c.name}' would make it: nfacct: [{name: ${c.name}}]`,
    );
  },
  attach(c, svc) {
    bind(c, svc);
  },
  save(c) {
    return `--nfacct-name  ${saveString(c.name)}`;
  },
  match(c, skb, par) {
    const o = c.boundTo === par.services && c.obj ? c.obj : bind(c, par.services);
    return o.count(skb.totLen);
  },
});
