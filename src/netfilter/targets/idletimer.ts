/**
 * IDLETIMER (net/netfilter/xt_IDLETIMER.c revision 1,
 * extensions/libxt_IDLETIMER.c), both families: `--timeout SECONDS --label
 * NAME [--alarm]`. Each packet restarts the named timer; when it runs out
 * the kernel notifies user space through the timer's sysfs file
 * (/sys/class/xt_idletimer/timers/NAME, which reads the seconds left) and
 * a uevent. The packet goes on (XT_CONTINUE).
 *
 * What cofw checks as the kernel does: the timeout must be 1 to 2147482
 * (below INT_MAX / 1000), the label non-empty, not `.` or `..`, without
 * `/`, and not `power`, `subsystem` or `uevent` (names the sysfs
 * directory already has) (EINVAL). iptables keeps the first 27 bytes of a
 * longer label. Rules that share a label share one timer, whose type
 * (`--alarm` or not) must agree (EINVAL for a second rule of the other
 * type, checked within each rule file; the kernel's timers are global, so
 * it also refuses an ip6tables rule whose label an iptables rule of the
 * other type holds, which cofw does not check).
 *
 * cofw's guest has no sysfs and no user space to notify: the rule counts
 * its packets and the timers are not reported.
 *
 * @example
 * -A FORWARD -o eth0 -j IDLETIMER --timeout 60 --label wan
 */
import { XT_CONTINUE } from '../types.js';
import { CheckError, defineTarget, type OptionSpec } from '../xt.js';
import { uintArg } from '../args.js';
import { checkMandatory, checkUses } from '../matches/util.js';

export interface IdletimerConfig {
  readonly timeout: number;
  readonly label: string;
  readonly alarm: boolean;
}

/** MAX_IDLETIMER_LABEL_SIZE: the label's bytes, its terminating zero included. */
const LABEL_SIZE = 28;
/** INT_MAX / 1000: the first timeout the kernel refuses. */
const TIMEOUT_LIMIT = 2147483;

const OPTIONS: readonly OptionSpec[] = [
  { name: 'timeout', args: 1 },
  { name: 'label', args: 1 },
  { name: 'alarm', args: 0 },
];

/** Why the kernel refuses the label (xt_check_proc_name and idletimer_check_sysfs_name), or undefined. */
function labelProblem(label: string): string | undefined {
  if (label === '') return 'the label is empty';
  if (label === '.' || label === '..' || label.includes('/')) return `the label ${label} cannot name a sysfs file (no "/", not "." or "..")`;
  if (label === 'power' || label === 'subsystem' || label === 'uevent') return `the label ${label} is a name the timers' sysfs directory already has`;
  return undefined;
}

export const idletimerTarget = defineTarget<IdletimerConfig>({
  name: 'IDLETIMER',
  options: OPTIONS,
  parse(uses, ctx) {
    checkUses('IDLETIMER', uses);
    checkMandatory('IDLETIMER', uses, ['timeout', 'label']);
    let timeout = 0;
    let label = '';
    let alarm = false;
    for (const u of uses) {
      if (u.spec.name === 'timeout') timeout = uintArg('IDLETIMER', u, 0, 0xffffffff);
      else if (u.spec.name === 'alarm') alarm = true;
      else {
        // xtopt_parse_string into char label[28]: the first 27 bytes.
        const bytes = Buffer.from(u.args[0] ?? '', 'utf8');
        label = bytes.subarray(0, Math.min(bytes.length, LABEL_SIZE - 1)).toString('latin1');
      }
    }
    // Rules sharing a label share the timer (idletimer_tg_checkentry): the first one sets its type.
    const key = `IDLETIMER ${label}`;
    const first = ctx.shared?.get(key) as boolean | undefined;
    if (first === undefined) ctx.shared?.set(key, alarm);
    return { timeout, label, alarm, ...(first !== undefined && first !== alarm ? { clash: true } : {}) };
  },
  check(c) {
    if (c.timeout === 0 || c.timeout >= TIMEOUT_LIMIT)
      throw new CheckError(`IDLETIMER: timeout ${c.timeout} is zero or too big (1 to ${TIMEOUT_LIMIT - 1} seconds) (Invalid argument)`);
    const why = labelProblem(c.label);
    if (why) throw new CheckError(`IDLETIMER: ${why} (Invalid argument)`);
    if ((c as { clash?: boolean }).clash)
      throw new CheckError(`IDLETIMER: label ${c.label} is already a timer of the other type (${c.alarm ? 'without' : 'with'} --alarm) (Invalid argument)`);
  },
  save(c) {
    return `--timeout ${c.timeout} --label ${Buffer.from(c.label, 'latin1').toString('utf8')}${c.alarm ? ' --alarm' : ''}`;
  },
  target() {
    return XT_CONTINUE;
  },
});
