/**
 * AUDIT (net/netfilter/xt_AUDIT.c, extensions/libxt_AUDIT.c), both
 * families: `--type accept|drop|reject` (any case on input; iptables-save
 * prints it in lower case) records the packet with the audit subsystem
 * (an AUDIT_NETFILTER_PKT record: mark, addresses, protocol) and the
 * packet goes on (XT_CONTINUE): it decides nothing.
 *
 * The record is written only while auditing is enabled (auditd running, or
 * the kernel booted with audit=1); the reference kernel, as a default
 * Debian machine without auditd, has it off and writes none, neither to an
 * audit log nor to the kernel log. cofw's guest likewise writes none: the
 * rule counts its packets and nothing more.
 *
 * @example
 * -A INPUT -p tcp --dport 22 -j AUDIT --type accept
 */
import { XT_CONTINUE } from '../types.js';
import { defineTarget, OptionError, type OptionSpec } from '../xt.js';
import { checkMandatory, checkUses } from '../matches/util.js';

export interface AuditConfig {
  /** XT_AUDIT_TYPE_ACCEPT 0, DROP 1, REJECT 2. */
  readonly type: number;
}

const TYPES = ['accept', 'drop', 'reject'] as const;
const OPTIONS: readonly OptionSpec[] = [{ name: 'type', args: 1 }];

export const auditTarget = defineTarget<AuditConfig>({
  name: 'AUDIT',
  options: OPTIONS,
  parse(uses) {
    checkUses('AUDIT', uses);
    checkMandatory('AUDIT', uses, ['type']);
    const u = uses[0]!;
    const text = u.args[0] ?? '';
    const type = (TYPES as readonly string[]).indexOf(text.toLowerCase());
    if (type < 0) throw new OptionError(`Bad action type value "${text}" (expected accept, drop or reject)`, u);
    return { type };
  },
  save(c) {
    return `--type ${TYPES[c.type]}`;
  },
  target() {
    return XT_CONTINUE;
  },
});
