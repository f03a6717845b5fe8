/**
 * `-m cpu` (net/netfilter/xt_cpu.c, extensions/libxt_cpu.c), both
 * families: `[!] --cpu N` (mandatory, 0 to 4294967295) matches the packets
 * processed on CPU N (smp_processor_id()).
 *
 * cofw's guest processes every packet on CPU 0, as a one-CPU machine
 * does (and as the kernel oracle does when its replay is pinned to CPU 0:
 * a packet sent into a veth is received on the sending CPU's backlog).
 * `--cpu 0` matches every packet, any other number none. A multi-core
 * host spreads packets over its CPUs by its NIC's receive queues, RPS and
 * where the sending process runs; cofw does not model that.
 *
 * @example
 * -A PREROUTING -m cpu --cpu 0 -j REDIRECT --to-port 8080
 */
import { defineMatch, type OptionSpec } from '../xt.js';
import { uintArg } from '../args.js';
import { checkMandatory, checkUses } from './util.js';

/** The CPU that processes every packet in cofw's guest. */
export const GUEST_CPU = 0;

export interface CpuConfig {
  readonly cpu: number;
  readonly invert: boolean;
}

const OPTIONS: readonly OptionSpec[] = [{ name: 'cpu', args: 1, invert: true }];

export const cpuMatch = defineMatch<CpuConfig>({
  name: 'cpu',
  options: OPTIONS,
  parse(uses) {
    checkUses('cpu', uses);
    checkMandatory('cpu', uses, ['cpu']);
    const u = uses.find((x) => x.spec.name === 'cpu')!;
    return { cpu: uintArg('cpu', u, 0, 0xffffffff), invert: u.invert };
  },
  save(c) {
    return `${c.invert ? '! ' : ''}--cpu ${c.cpu}`;
  },
  match(c) {
    return (c.cpu === GUEST_CPU) !== c.invert;
  },
});
