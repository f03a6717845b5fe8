/**
 * `-m cpu` (net/netfilter/xt_cpu.c, extensions/libxt_cpu.c), both
 * families: `[!] --cpu N` (mandatory, 0 to 4294967295) matches the packets
 * processed on CPU N (smp_processor_id()).
 *
 * The CPU is the machine file's: an interface's `cpu` for what it
 * receives (the CPU its receive queue's interrupt, or RPS, hands the
 * packets to: the whole way through PREROUTING, FORWARD or INPUT and
 * POSTROUTING runs there), the machine's `cpu` for the machine's own
 * packets; 0 when the file names none, as on a one-CPU machine (and as on
 * the kernel oracle when its replay is pinned to CPU 0: a packet sent into
 * a veth is received on the sending CPU's backlog). A multi-queue NIC that
 * spreads one interface's flows over several CPUs (RSS, RPS by flow hash)
 * is not modelled: one interface, one CPU.
 *
 * @example
 * -A PREROUTING -m cpu --cpu 0 -j REDIRECT --to-port 8080
 */
import { defineMatch, type OptionSpec } from '../xt.js';
import { uintArg } from '../args.js';
import { checkMandatory, checkUses } from './util.js';

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
  match(c, _skb, par) {
    return (c.cpu === (par.cpu ?? 0)) !== c.invert;
  },
});
